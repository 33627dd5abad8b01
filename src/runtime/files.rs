//! One way to write a file a user keeps: never in place. The bytes go to a temporary file in the same folder,
//! which is flushed to disk and then renamed over the target, so a reader (or a crash, a full disk, a kill) sees
//! the old file or the new one, never a part of either; a failed write leaves no temporary file behind.
//!
//! And one way to read a file a user names: only a regular file (not a folder, a device such as `/dev/zero`, or a
//! pipe), and only up to a size stated for its kind ([`limit`]), checked before anything is allocated.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The largest file of each kind that is read.
pub mod limit {
    /// A model's JSON description beside its weights.
    pub const DESCRIPTION: u64 = 1 << 20;
    /// A model's weights, or a model file holding its weights (the largest shipped one is 0.75 MB).
    pub const MODEL: u64 = 512 << 20;
    /// A scene, a lecture, a graph (DAGitty, DOT, edge list).
    pub const DOCUMENT: u64 = 64 << 20;
    /// An IDX file as stored (raw or compressed); what it decompresses to is bounded by its header.
    pub const DATASET: u64 = 1 << 30;
}

/// Opens `path` for reading if it is a regular file of at most `max` bytes; returns the file and its length.
/// The error says what is wrong without the path (callers name the file).
pub fn open_regular(path: &Path, max: u64) -> io::Result<(File, u64)> {
    let meta = fs::metadata(path)?;
    if meta.is_dir() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "it is a folder, not a file"));
    }
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a regular file (a device, a pipe or a socket)",
        ));
    }
    if meta.len() > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it is {}; a file of this kind is at most {}", human_size(meta.len()), human_size(max)),
        ));
    }
    Ok((File::open(path)?, meta.len()))
}

/// The whole of a regular file of at most `max` bytes (a file that grows while it is read is cut off there and
/// refused).
pub fn read_limited(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let (file, len) = open_regular(path, max)?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("it grew past {} while read", human_size(max))));
    }
    Ok(bytes)
}

/// A text file read as [`read_limited`]: UTF-8, with a byte-order mark (as some Windows editors write) dropped.
pub fn read_text_limited(path: &Path, max: u64) -> io::Result<String> {
    let mut bytes = read_limited(path, max)?;
    let bom = bytes.len() - strip_bom(&bytes).len();
    bytes.drain(..bom);
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it is not UTF-8 text (byte {})", bom + e.utf8_error().valid_up_to()),
        )
    })
}

/// `bytes` without a leading UTF-8 byte-order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes)
}

/// `1.5 MB`, `64 MB`, `2.0 GB` (powers of 1024, as the limits are).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else if value.fract().abs() < 0.05 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Writes `bytes` to `path` atomically (see the module doc).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temporary_sibling(path)?;
    let result = write_synced(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    // Make the rename itself durable (where a folder can be opened and synced; elsewhere this is best effort).
    if let Ok(dir) = File::open(folder_of(path)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Writes two files that belong together (a model's weights and its description, which names the weights by
/// length and hash: `envelope::wrap_pair`). Both are written completely to temporary siblings first and only then
/// renamed into place, `first` before `second`: a full disk, a missing folder or a kill while writing leaves the
/// previous pair as it was, and no temporary file. Between the two renames the previous `first` is still there
/// as a hard link, `FIRST.prev` (removed once `second` is in place), so a kill between them leaves the previous
/// description beside the weights it names ([`previous_of`]; `envelope::read_pair_weights` finds them).
pub fn write_pair(first: (&Path, &[u8]), second: (&Path, &[u8])) -> io::Result<()> {
    let (tmp_first, tmp_second) = (temporary_sibling(first.0)?, temporary_sibling(second.0)?);
    let previous = previous_of(first.0);
    let written = write_synced(&tmp_first, first.1).and_then(|()| write_synced(&tmp_second, second.1));
    if written.is_err() {
        let _ = fs::remove_file(&tmp_first);
        let _ = fs::remove_file(&tmp_second);
        return written;
    }
    // Keep the previous weights reachable until the new description is in place (a file system without hard
    // links only narrows the window back to the two renames).
    let _ = fs::remove_file(&previous);
    let _ = fs::hard_link(first.0, &previous);
    let renamed = fs::rename(&tmp_first, first.0).and_then(|()| fs::rename(&tmp_second, second.0));
    if renamed.is_err() {
        let _ = fs::remove_file(&tmp_first);
        let _ = fs::remove_file(&tmp_second);
        return renamed;
    }
    let _ = fs::remove_file(&previous);
    for folder in [folder_of(first.0), folder_of(second.0)] {
        if let Ok(dir) = File::open(folder) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// Where [`write_pair`] keeps the previous `first` file while a pair is replaced: `FIRST.prev`.
#[must_use]
pub fn previous_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".prev");
    PathBuf::from(name)
}

/// A 64-bit FNV-1a hash of `bytes` as 16 hex digits: how a description names the weights file it belongs to.
#[must_use]
pub fn content_hash(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

/// The weights (`.bpk`) and description (`.json`) of a model named by `path`, taken literally: a name that ends in
/// `.bpk` or `.json` names the pair, any other name gets the extensions added (`vae-lr0.002` →
/// `vae-lr0.002.bpk` + `vae-lr0.002.json`, not `vae-lr0.bpk`).
pub fn pair_paths(path: &Path) -> (PathBuf, PathBuf) {
    let stem = match path.extension().and_then(|e| e.to_str()) {
        Some("bpk" | "json") => path.with_extension(""),
        _ => path.to_owned(),
    };
    (with_added_extension(&stem, "bpk"), with_added_extension(&stem, "json"))
}

/// `path` with `.ext` appended (an existing extension is kept: `a.b` → `a.b.ext`); a name already ending in
/// `.ext` is returned as it is.
pub fn with_added_extension(path: &Path, ext: &str) -> PathBuf {
    if path.extension().and_then(|e| e.to_str()) == Some(ext) {
        return path.to_owned();
    }
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

/// Checks, before a long run, that a file can later be written at `path`: its folder exists (missing folders are
/// created, as saving would) and takes a file (one is written and removed again). `path` itself may exist (it will
/// be replaced) but must not be a folder.
///
/// # Errors
/// Naming the folder or the path and what is wrong with it.
pub fn check_writable(path: &Path) -> io::Result<()> {
    let folder = folder_of(path);
    let refuse = |what: String| Err(io::Error::other(what));
    // Fails where a part of the folder's path is a file.
    if let Err(e) = fs::create_dir_all(folder) {
        return refuse(format!("the folder {} cannot be made ({e})", folder.display()));
    }
    if path.is_dir() {
        return refuse(format!("{} is a folder", path.display()));
    }
    let probe = temporary_sibling(path)?;
    match File::create(&probe) {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => refuse(format!("the folder {} takes no new file ({e})", folder.display())),
    }
}

/// [`check_writable`] for a command's optional `--out`, as the sentence a command prints.
///
/// # Errors
/// "--out PATH cannot be saved: …" when the check fails.
pub fn check_out(out: Option<&Path>) -> Result<(), String> {
    match out {
        Some(path) => check_writable(path).map_err(|e| format!("--out {} cannot be saved: {e}", path.display())),
        None => Ok(()),
    }
}

/// The folder `path` lives in (`.` for a bare file name).
pub fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// A name beside `path` that nothing else uses and that keeps its extension: `.tmp-<pid>-<n>-<name>`.
fn temporary_sibling(path: &Path) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("{} names no file", path.display())))?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    Ok(folder_of(path).join(format!(".tmp-{}-{n}-{}", std::process::id(), name.to_string_lossy())))
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".tmp-"))
            .collect()
    }

    #[test]
    fn a_write_replaces_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.json");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new contents").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new contents");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_place_to_write_is_checked_before_the_work_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_writable(&dir.path().join("model.json")).is_ok());
        assert!(check_writable(&dir.path().join("runs/first/model.json")).is_ok());
        assert!(dir.path().join("runs/first").is_dir(), "a missing folder is made, as saving would");
        std::fs::write(dir.path().join("file"), b"x").unwrap();
        let under_a_file = check_writable(&dir.path().join("file/model.json")).unwrap_err().to_string();
        assert!(under_a_file.contains("cannot be made"), "{under_a_file}");
        std::fs::create_dir(dir.path().join("taken")).unwrap();
        assert!(check_writable(&dir.path().join("taken")).unwrap_err().to_string().contains("is a folder"));
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 3, "only the entries made here, no probe file: {left:?}");
        assert!(std::fs::read_dir(dir.path().join("runs/first")).unwrap().next().is_none(), "no probe file left");
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scene.json");
        write_atomic(&path, b"kept").unwrap();
        // A folder in the way of the rename: the write fails after the temporary file was complete.
        let blocked = dir.path().join("blocked");
        fs::create_dir(&blocked).unwrap();
        fs::write(blocked.join("occupant"), b"x").unwrap();
        assert!(write_atomic(&blocked, b"new").is_err());
        assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
        assert_eq!(fs::read(&path).unwrap(), b"kept");
        // A missing folder fails before anything is written.
        assert!(write_atomic(&dir.path().join("no/such/folder/x.json"), b"x").is_err());
    }

    #[test]
    fn a_pair_is_replaced_only_when_both_files_are_complete() {
        let dir = tempfile::tempdir().unwrap();
        let (weights, description) = (dir.path().join("m.bpk"), dir.path().join("m.json"));
        write_pair((&weights, b"w1"), (&description, b"d1")).unwrap();
        write_pair((&weights, b"w2"), (&description, b"d2")).unwrap();
        assert_eq!((fs::read(&weights).unwrap(), fs::read(&description).unwrap()), (b"w2".to_vec(), b"d2".to_vec()));
        // The description cannot be written (its folder is missing): the weights stay the old ones too.
        let elsewhere = dir.path().join("gone/m.json");
        assert!(write_pair((&weights, b"w3"), (&elsewhere, b"d3")).is_err());
        assert_eq!(fs::read(&weights).unwrap(), b"w2");
        assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
    }

    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let message = |r: io::Result<Vec<u8>>| r.unwrap_err().to_string();
        assert!(message(read_limited(dir.path(), 100)).contains("folder"));
        assert!(message(read_limited(Path::new("/dev/zero"), 100)).contains("not a regular file"));
        let big = dir.path().join("big.json");
        fs::write(&big, vec![b' '; 3 << 20]).unwrap();
        assert_eq!(message(read_limited(&big, limit::DESCRIPTION)), "it is 3 MB; a file of this kind is at most 1 MB");
        assert_eq!(read_limited(&big, 4 << 20).unwrap().len(), 3 << 20);
        assert_eq!(read_limited(&dir.path().join("none"), 1).unwrap_err().kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn text_loses_its_byte_order_mark_and_must_be_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scene.json");
        fs::write(&path, "\u{feff}{\"a\": 1}").unwrap();
        assert_eq!(read_text_limited(&path, 100).unwrap(), "{\"a\": 1}");
        fs::write(&path, b"ok\xff").unwrap();
        assert_eq!(read_text_limited(&path, 100).unwrap_err().to_string(), "it is not UTF-8 text (byte 2)");
        assert_eq!(human_size(1536), "1.5 KB");
        assert_eq!(human_size(12), "12 bytes");
    }

    #[test]
    fn output_names_are_taken_literally() {
        let pair = |p: &str| {
            let (w, d) = pair_paths(Path::new(p));
            (w.to_string_lossy().into_owned(), d.to_string_lossy().into_owned())
        };
        assert_eq!(pair("out/vae-lr0.002"), ("out/vae-lr0.002.bpk".into(), "out/vae-lr0.002.json".into()));
        assert_ne!(pair("vae-lr0.002"), pair("vae-lr0.001"), "two runs, two pairs");
        assert_eq!(pair("m.bpk"), ("m.bpk".into(), "m.json".into()));
        assert_eq!(pair("m.json"), ("m.bpk".into(), "m.json".into()));
        assert_eq!(pair("m"), ("m.bpk".into(), "m.json".into()));
        assert_eq!(with_added_extension(Path::new("moons.v2"), "json"), PathBuf::from("moons.v2.json"));
        assert_eq!(with_added_extension(Path::new("moons.json"), "json"), PathBuf::from("moons.json"));
    }

    #[test]
    fn temporary_names_keep_the_extension() {
        let tmp = temporary_sibling(Path::new("out/model.bpk")).unwrap();
        assert_eq!(tmp.parent(), Some(Path::new("out")));
        assert_eq!(tmp.extension().and_then(|e| e.to_str()), Some("bpk"));
    }

    #[test]
    fn a_bare_file_name_lives_in_the_current_folder() {
        assert_eq!(folder_of(Path::new("model.json")), Path::new("."));
        assert_eq!(folder_of(Path::new("out/model.json")), Path::new("out"));
        assert!(write_atomic(Path::new("/"), b"x").is_err(), "the root names no file");
    }
}
