//! Reader for the IDX format used by MNIST and Fashion-MNIST.
//!
//! Files may be raw or gzip-compressed (detected by the gzip magic bytes, not by the name). Every header field is
//! validated against the bytes actually present, so a truncated or inconsistent file is reported, never trusted.

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

/// Magic number of an unsigned-byte IDX file with three dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an unsigned-byte IDX file with one dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// Largest decompressed file we accept (guards against gzip bombs and absurd headers).
const MAX_BYTES: u64 = 2 << 30;

/// Everything that can be wrong with an IDX file, always naming the file.
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    #[error("{path}: cannot read the file: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: is a directory, not an IDX file")]
    IsDirectory { path: PathBuf },
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: the name ends in .gz but the data is not gzip-compressed")]
    NotGzip { path: PathBuf },
    #[error("{path}: gzip data is corrupt: {source}")]
    BadGzip {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: wrong magic number 0x{found:08x} (expected 0x{expected:08x} for {kind})")]
    BadMagic { path: PathBuf, found: u32, expected: u32, kind: &'static str },
    #[error("{path}: the header is truncated ({len} bytes, need {need})")]
    TruncatedHeader { path: PathBuf, len: usize, need: usize },
    #[error("{path}: the header promises {expected} data bytes but the file holds {found}")]
    SizeMismatch { path: PathBuf, expected: u64, found: u64 },
    #[error("{path}: image size {rows}×{cols} is not usable (each side must be 1..=1024)")]
    BadImageSize { path: PathBuf, rows: u32, cols: u32 },
    #[error("{path}: the file holds no items")]
    NoItems { path: PathBuf },
    #[error("{path}: larger than the 2 GiB this app accepts")]
    TooLarge { path: PathBuf },
}

/// Images decoded from an IDX3 file: `count` images of `rows × cols` bytes, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

/// Reads a whole file, gunzipping it when it starts with the gzip magic bytes.
fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>, IdxError> {
    let io = |source| IdxError::Io { path: path.to_owned(), source };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(IdxError::IsDirectory { path: path.to_owned() });
    }
    if meta.len() > MAX_BYTES {
        return Err(IdxError::TooLarge { path: path.to_owned() });
    }
    let raw = std::fs::read(path).map_err(io)?;
    if raw.is_empty() {
        return Err(IdxError::Empty { path: path.to_owned() });
    }
    let is_gzip = raw.starts_with(&[0x1f, 0x8b]);
    let named_gz = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    if !is_gzip {
        if named_gz {
            return Err(IdxError::NotGzip { path: path.to_owned() });
        }
        return Ok(raw);
    }
    let mut out = Vec::new();
    GzDecoder::new(raw.as_slice())
        .take(MAX_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|source| IdxError::BadGzip { path: path.to_owned(), source })?;
    if out.len() as u64 > MAX_BYTES {
        return Err(IdxError::TooLarge { path: path.to_owned() });
    }
    if out.is_empty() {
        return Err(IdxError::Empty { path: path.to_owned() });
    }
    Ok(out)
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Checks the magic number and that the header fits; returns the header length.
fn check_header(path: &Path, bytes: &[u8], magic: u32, kind: &'static str, dims: usize) -> Result<usize, IdxError> {
    let need = 4 + 4 * dims;
    if bytes.len() < 4 {
        return Err(IdxError::TruncatedHeader { path: path.to_owned(), len: bytes.len(), need });
    }
    let found = be_u32(bytes, 0);
    if found != magic {
        return Err(IdxError::BadMagic { path: path.to_owned(), found, expected: magic, kind });
    }
    if bytes.len() < need {
        return Err(IdxError::TruncatedHeader { path: path.to_owned(), len: bytes.len(), need });
    }
    Ok(need)
}

fn check_payload(path: &Path, payload: usize, expected: u64) -> Result<(), IdxError> {
    if payload as u64 != expected {
        return Err(IdxError::SizeMismatch { path: path.to_owned(), expected, found: payload as u64 });
    }
    Ok(())
}

/// Parses IDX3 image bytes (already decompressed).
pub fn parse_images(path: &Path, bytes: &[u8]) -> Result<IdxImages, IdxError> {
    let header = check_header(path, bytes, IMAGES_MAGIC, "images (ubyte, 3 dimensions)", 3)?;
    let count = be_u32(bytes, 4);
    let rows = be_u32(bytes, 8);
    let cols = be_u32(bytes, 12);
    if !(1..=1024).contains(&rows) || !(1..=1024).contains(&cols) {
        return Err(IdxError::BadImageSize { path: path.to_owned(), rows, cols });
    }
    let expected = u64::from(count) * u64::from(rows) * u64::from(cols);
    check_payload(path, bytes.len() - header, expected)?;
    if count == 0 {
        return Err(IdxError::NoItems { path: path.to_owned() });
    }
    Ok(IdxImages { count: count as usize, rows: rows as usize, cols: cols as usize, pixels: bytes[header..].to_vec() })
}

/// Parses IDX1 label bytes (already decompressed).
pub fn parse_labels(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    let header = check_header(path, bytes, LABELS_MAGIC, "labels (ubyte, 1 dimension)", 1)?;
    let count = be_u32(bytes, 4);
    check_payload(path, bytes.len() - header, u64::from(count))?;
    if count == 0 {
        return Err(IdxError::NoItems { path: path.to_owned() });
    }
    Ok(bytes[header..].to_vec())
}

/// Reads an IDX3 image file (raw or gzip).
pub fn read_images(path: &Path) -> Result<IdxImages, IdxError> {
    parse_images(path, &read_maybe_gzip(path)?)
}

/// Reads an IDX1 label file (raw or gzip).
pub fn read_labels(path: &Path) -> Result<Vec<u8>, IdxError> {
    parse_labels(path, &read_maybe_gzip(path)?)
}

/// Decompresses in-memory bytes when they are gzip; `name` is used in messages only.
pub fn decode_bytes(name: &Path, raw: &[u8]) -> Result<Vec<u8>, IdxError> {
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw.to_vec());
    }
    let mut out = Vec::new();
    GzDecoder::new(raw)
        .take(MAX_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|source| IdxError::BadGzip { path: name.to_owned(), source })?;
    Ok(out)
}
