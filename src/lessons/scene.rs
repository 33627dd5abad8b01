//! Helpers for the lessons' parts of a scene file (see `app::scene`): reading a lesson's JSON with a clear
//! message, toy datasets by name, and model files referenced relative to the scene's folder.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::data::toy2d::Toy2d;

/// A lesson's settings from its JSON, or why they are unreadable.
pub fn parse<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, String> {
    serde_json::from_value(value.clone()).map_err(|e| format!("its settings are unreadable ({e})"))
}

/// A lesson's settings as JSON.
pub fn to_value<T: Serialize>(settings: &T) -> Option<serde_json::Value> {
    serde_json::to_value(settings).ok()
}

/// The toy dataset with this label ("Two moons", …).
pub fn toy_from_label(label: &str) -> Result<Toy2d, String> {
    Toy2d::ALL.into_iter().find(|t| t.label() == label).ok_or_else(|| format!("unknown dataset \"{label}\""))
}

/// How a scene refers to a file: relative to the scene's folder when it lies inside it, else the full path.
pub fn reference(path: &Path, dir: &Path) -> String {
    path.strip_prefix(dir).unwrap_or(path).display().to_string()
}

/// The file a scene refers to, which must exist (a model file is `NAME.bpk` next to `NAME.json`).
pub fn resolve_model(reference: &str, dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join(reference);
    let (weights, config) = crate::runtime::files::pair_paths(&path);
    if weights.is_file() && config.is_file() {
        Ok(path)
    } else {
        Err(format!("it refers to the model file {} (with its .json), which is missing", weights.display()))
    }
}

/// Where a scene saved to `scene` keeps one of its models: `<scene stem>-<model>.<ext>` in the scene's folder
/// (`lecture.json`, "hvae", "json" → `lecture-hvae.json`), so several scenes can share a folder.
pub fn model_file(scene: &Path, model: &str, ext: &str) -> PathBuf {
    let stem = scene.file_stem().map_or_else(|| "scene".into(), |s| s.to_string_lossy().into_owned());
    scene.with_file_name(format!("{stem}-{model}.{ext}"))
}

/// The single file a scene refers to (a model in one file, e.g. MADE's JSON), which must exist.
pub fn resolve_file(reference: &str, dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join(reference);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("it refers to the model file {}, which is missing", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_relative_inside_the_scene_folder() {
        assert_eq!(reference(Path::new("/a/b/vae.bpk"), Path::new("/a")), "b/vae.bpk");
        assert_eq!(reference(Path::new("/c/vae.bpk"), Path::new("/a")), "/c/vae.bpk");
    }

    #[test]
    fn a_missing_model_is_named_in_the_message() {
        let dir = tempfile::tempdir().unwrap();
        let e = resolve_model("gone.bpk", dir.path()).unwrap_err();
        assert!(e.contains("gone.bpk") && e.contains("missing"), "{e}");
        std::fs::write(dir.path().join("vae.bpk"), b"x").unwrap();
        std::fs::write(dir.path().join("vae.json"), b"{}").unwrap();
        assert_eq!(resolve_model("vae.bpk", dir.path()).unwrap(), dir.path().join("vae.bpk"));
    }

    #[test]
    fn model_files_sit_next_to_the_scene_and_missing_ones_are_named() {
        assert_eq!(model_file(Path::new("/a/lecture.json"), "made", "json"), Path::new("/a/lecture-made.json"));
        assert_eq!(model_file(Path::new("talk"), "hvae", "json"), Path::new("talk-hvae.json"));
        let dir = tempfile::tempdir().unwrap();
        let e = resolve_file("gone-made.json", dir.path()).unwrap_err();
        assert!(e.contains("gone-made.json") && e.contains("missing"), "{e}");
        std::fs::write(dir.path().join("m.json"), b"{}").unwrap();
        assert_eq!(resolve_file("m.json", dir.path()).unwrap(), dir.path().join("m.json"));
    }

    #[test]
    fn toy_labels_round_trip() {
        for t in Toy2d::ALL {
            assert_eq!(toy_from_label(t.label()), Ok(t));
        }
        assert!(toy_from_label("Unicorns").is_err());
    }
}
