//! Reader for the IDX format used by MNIST and Fashion-MNIST.
//!
//! Files may be raw or gzip-compressed (detected by the gzip magic bytes, not by the name; files of several gzip
//! members, as bgzip and pigz write, are read whole). The header is read first and checked — magic number, image
//! size, and the payload it promises against [`MAX_PAYLOAD`] and, for a raw file, against the file's length —
//! before the payload is allocated; the payload is then decoded once, straight into its buffer.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::bufread::MultiGzDecoder;

use crate::runtime::files::{self, human_size};

/// Magic number of an unsigned-byte IDX file with three dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an unsigned-byte IDX file with one dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// The most payload bytes (pixels or labels) one file may promise: 256 MB, e.g. 340,000 images of 28×28 (the
/// pixels are held as `f32` afterwards, four times that).
pub const MAX_PAYLOAD: u64 = 256 << 20;
/// The longest side of an image.
pub const MAX_SIDE: u32 = 1024;

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
    #[error("{path}: the header promises {expected} data bytes but the file holds more")]
    TrailingData { path: PathBuf, expected: u64 },
    #[error("{path}: image size {rows}×{cols} is not usable (each side must be 1..={MAX_SIDE})")]
    BadImageSize { path: PathBuf, rows: u32, cols: u32 },
    #[error("{path}: the file holds no items")]
    NoItems { path: PathBuf },
    #[error("{path}: the header promises {promised} of data; this app reads at most {}", human_size(MAX_PAYLOAD))]
    TooLarge { path: PathBuf, promised: String },
}

/// Images decoded from an IDX3 file: `count` images of `rows × cols` bytes, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

/// An IDX stream: the (decompressed) bytes, and the raw payload length where it is known before decoding.
struct Source<'a> {
    name: &'a Path,
    reader: Box<dyn Read + 'a>,
    gzip: bool,
    /// Bytes after the header in a raw file (known from its length).
    raw_len: Option<u64>,
}

impl<'a> Source<'a> {
    /// Sniffs the gzip magic in `input` (of `len` bytes where known) and wraps it in a decoder if needed.
    fn new(name: &'a Path, mut input: impl BufRead + 'a, len: Option<u64>) -> Result<Self, IdxError> {
        let head = input.fill_buf().map_err(|source| IdxError::Io { path: name.to_owned(), source })?;
        if head.is_empty() {
            return Err(IdxError::Empty { path: name.to_owned() });
        }
        let gzip = head.starts_with(&[0x1f, 0x8b]);
        if gzip {
            return Ok(Self { name, reader: Box::new(MultiGzDecoder::new(input)), gzip, raw_len: None });
        }
        if name.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
            return Err(IdxError::NotGzip { path: name.to_owned() });
        }
        Ok(Self { name, reader: Box::new(input), gzip, raw_len: len })
    }

    fn error(&self, source: std::io::Error) -> IdxError {
        let path = self.name.to_owned();
        if self.gzip { IdxError::BadGzip { path, source } } else { IdxError::Io { path, source } }
    }

    /// Reads up to `buf.len()` bytes; returns how many there were.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize, IdxError> {
        let mut got = 0;
        while got < buf.len() {
            match self.reader.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.error(e)),
            }
        }
        Ok(got)
    }

    /// Checks the magic number and reads the `dims` sizes after it.
    fn header(&mut self, magic: u32, kind: &'static str, dims: usize) -> Result<Vec<u32>, IdxError> {
        let need = 4 + 4 * dims;
        let mut bytes = vec![0; need];
        let len = self.fill(&mut bytes)?;
        let truncated = || IdxError::TruncatedHeader { path: self.name.to_owned(), len, need };
        if len < 4 {
            return Err(truncated());
        }
        let found = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if found != magic {
            return Err(IdxError::BadMagic { path: self.name.to_owned(), found, expected: magic, kind });
        }
        if len < need {
            return Err(truncated());
        }
        self.raw_len = self.raw_len.map(|l| l.saturating_sub(need as u64));
        Ok(bytes[4..].chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    /// Reads exactly the `expected` payload bytes (already bounded), refusing a file with fewer or more.
    fn payload(&mut self, expected: u64) -> Result<Vec<u8>, IdxError> {
        let path = || self.name.to_owned();
        if expected > MAX_PAYLOAD {
            return Err(IdxError::TooLarge { path: path(), promised: human_size(expected) });
        }
        if let Some(found) = self.raw_len.filter(|&l| l != expected) {
            return Err(if found > expected {
                IdxError::TrailingData { path: path(), expected }
            } else {
                IdxError::SizeMismatch { path: path(), expected, found }
            });
        }
        // Bounded above; a compressed stream that ends early leaves the rest unused but never grows it.
        let mut out = vec![0; usize::try_from(expected).unwrap_or(usize::MAX)];
        let found = self.fill(&mut out)?;
        if found as u64 != expected {
            return Err(IdxError::SizeMismatch { path: path(), expected, found: found as u64 });
        }
        if self.fill(&mut [0])? > 0 {
            return Err(IdxError::TrailingData { path: path(), expected });
        }
        Ok(out)
    }

    fn images(mut self) -> Result<IdxImages, IdxError> {
        let dims = self.header(IMAGES_MAGIC, "images (ubyte, 3 dimensions)", 3)?;
        let (count, rows, cols) = (dims[0], dims[1], dims[2]);
        if !(1..=MAX_SIDE).contains(&rows) || !(1..=MAX_SIDE).contains(&cols) {
            return Err(IdxError::BadImageSize { path: self.name.to_owned(), rows, cols });
        }
        // At most 2^32 · 2^20: no overflow in u64.
        let pixels = self.payload(u64::from(count) * u64::from(rows) * u64::from(cols))?;
        if count == 0 {
            return Err(IdxError::NoItems { path: self.name.to_owned() });
        }
        Ok(IdxImages { count: count as usize, rows: rows as usize, cols: cols as usize, pixels })
    }

    fn labels(mut self) -> Result<Vec<u8>, IdxError> {
        let count = self.header(LABELS_MAGIC, "labels (ubyte, 1 dimension)", 1)?[0];
        let labels = self.payload(u64::from(count))?;
        if count == 0 {
            return Err(IdxError::NoItems { path: self.name.to_owned() });
        }
        Ok(labels)
    }
}

/// Opens a regular file as an IDX stream.
fn open(path: &Path) -> Result<Source<'_>, IdxError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => return Err(IdxError::IsDirectory { path: path.to_owned() }),
        Err(source) => return Err(IdxError::Io { path: path.to_owned(), source }),
        Ok(_) => {}
    }
    let (file, len) = files::open_regular(path, files::limit::DATASET)
        .map_err(|source| IdxError::Io { path: path.to_owned(), source })?;
    Source::new(path, BufReader::with_capacity(1 << 16, file), Some(len))
}

/// Parses IDX3 image bytes held in memory (raw or gzip); `path` is used in messages only.
pub fn parse_images(path: &Path, bytes: &[u8]) -> Result<IdxImages, IdxError> {
    Source::new(path, bytes, Some(bytes.len() as u64))?.images()
}

/// Parses IDX1 label bytes held in memory (raw or gzip); `path` is used in messages only.
pub fn parse_labels(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    Source::new(path, bytes, Some(bytes.len() as u64))?.labels()
}

/// Reads an IDX3 image file (raw or gzip).
pub fn read_images(path: &Path) -> Result<IdxImages, IdxError> {
    open(path)?.images()
}

/// Reads an IDX1 label file (raw or gzip).
pub fn read_labels(path: &Path) -> Result<Vec<u8>, IdxError> {
    open(path)?.labels()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn header(count: u32, rows: u32, cols: u32) -> Vec<u8> {
        let mut b = IMAGES_MAGIC.to_be_bytes().to_vec();
        for v in [count, rows, cols] {
            b.extend(v.to_be_bytes());
        }
        b
    }

    #[test]
    fn a_file_of_several_gzip_members_is_read_whole() {
        let mut bytes = header(2, 2, 2);
        bytes.extend(1..=8);
        let (first, second) = bytes.split_at(10);
        let two_members = [gzip(first), gzip(second)].concat();
        let images = parse_images(Path::new("pigz.gz"), &two_members).unwrap();
        assert_eq!(images.pixels, (1..=8).collect::<Vec<u8>>());
    }

    #[test]
    fn a_huge_promise_is_refused_before_anything_is_allocated() {
        // A 1024×1024 header claiming 4 billion images, compressed to a few bytes.
        let bomb = gzip(&header(u32::MAX, 1024, 1024));
        let e = parse_images(Path::new("bomb.gz"), &bomb).unwrap_err();
        assert!(matches!(e, IdxError::TooLarge { .. }), "{e}");
        assert!(e.to_string().ends_with("this app reads at most 256 MB"), "{e}");
        // The same in a raw file: the header is checked against the file's length first.
        let e = parse_images(Path::new("raw.idx"), &header(1000, 28, 28)).unwrap_err();
        assert!(matches!(e, IdxError::SizeMismatch { expected: 784_000, found: 0, .. }), "{e}");
    }

    #[test]
    fn a_compressed_file_with_more_or_fewer_bytes_than_promised_is_refused() {
        let mut bytes = header(1, 2, 2);
        bytes.extend([1, 2, 3]);
        let e = parse_images(Path::new("short.gz"), &gzip(&bytes)).unwrap_err();
        assert!(matches!(e, IdxError::SizeMismatch { expected: 4, found: 3, .. }), "{e}");
        bytes.extend([4, 5]);
        let e = parse_images(Path::new("long.gz"), &gzip(&bytes)).unwrap_err();
        assert!(matches!(e, IdxError::TrailingData { expected: 4, .. }), "{e}");
    }

    #[test]
    fn devices_and_pipes_are_refused() {
        let e = read_images(Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }
}
