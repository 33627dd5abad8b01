//! The lecture shipped in `assets/lecture`: the lecture file and the small checkpoints its stops start from
//! (made by the project's own CLI; `assets/lecture/README.md` has the commands). They are built into the binary
//! and written to a cache folder on first use, so the lecture opens offline from any working directory.

use std::io;
use std::path::{Path, PathBuf};

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../../assets/lecture/", $name)) as &[u8])),*]
    };
}

/// The shipped lecture's files: name in the folder, contents.
pub const FILES: &[(&str, &[u8])] = shipped![
    "lecture.json",
    "latent-ae.bpk",
    "latent-ae.json",
    "latent-vae.bpk",
    "latent-vae.json",
    "iwae-k5.bpk",
    "iwae-k5.json",
    "hvae.bpk",
    "hvae.json",
    "made.json",
    "flow-realnvp.json",
    "flow-resflow.json",
    "ddpm-2d.json",
    "wavenet.json",
];

/// The lecture file's name in the folder.
pub const LECTURE: &str = "lecture.json";

/// The shipped lecture file's text.
pub fn lecture_text() -> &'static str {
    FILES.iter().find(|(name, _)| *name == LECTURE).and_then(|(_, b)| std::str::from_utf8(b).ok()).unwrap_or("")
}

/// The folder the shipped lecture is written to: `latent-lab/lecture-<hash>` in the user's cache folder
/// (`$XDG_CACHE_HOME`, `~/.cache`, else the temporary folder). The hash names the contents, so a newer version's
/// lecture never mixes with an older one's.
pub fn folder() -> PathBuf {
    // Hashed once per run, file by file (the files are 13 MB: not copied into one buffer, not hashed per click).
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = HASH.get_or_init(|| {
        let per_file = FILES.iter().fold(String::new(), |mut all, (name, bytes)| {
            all.push_str(name);
            all.push(':');
            all.push_str(&crate::runtime::files::content_hash(bytes));
            all.push(';');
            all
        });
        crate::runtime::files::content_hash(per_file.as_bytes())
    });
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("latent-lab").join(format!("lecture-{hash}"))
}

/// Writes the shipped lecture into `dir` (each file atomically; files already there with the right size are
/// kept) and returns the lecture file's path.
pub fn extract_to(dir: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    for (name, bytes) in FILES {
        let path = dir.join(name);
        let same = std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64);
        if !same {
            crate::runtime::files::write_atomic(&path, bytes)?;
        }
    }
    Ok(dir.join(LECTURE))
}

/// Writes the shipped lecture into its cache [`folder`] and returns the lecture file's path.
pub fn extract() -> io::Result<PathBuf> {
    extract_to(&folder())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_lecture_is_written_whole_and_rewritten_when_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let lecture = extract_to(dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(&lecture).unwrap(), lecture_text());
        for (name, bytes) in FILES {
            assert_eq!(std::fs::read(dir.path().join(name)).unwrap(), *bytes, "{name}");
        }
        std::fs::write(dir.path().join(FILES[1].0), b"cut").unwrap();
        extract_to(dir.path()).unwrap();
        assert_eq!(std::fs::read(dir.path().join(FILES[1].0)).unwrap(), FILES[1].1);
    }

    #[test]
    fn every_file_a_stop_refers_to_is_shipped() {
        let lecture = super::super::parse(lecture_text(), &crate::lessons::names()).unwrap();
        let shipped = |r: &str| FILES.iter().any(|(name, _)| *name == r);
        for stop in &lecture.stops {
            if let Some(scene) = &stop.scene {
                assert!(shipped(scene), "stop \"{}\": {scene} is not shipped", stop.title);
            }
            for value in stop.lessons.values() {
                for reference in super::super::referenced_files(value) {
                    assert!(shipped(&reference), "stop \"{}\": {reference} is not shipped", stop.title);
                }
            }
        }
    }
}
