//! One envelope for every model file latent-lab writes: the description (the file itself, or the `.json` half of a
//! `.bpk` + `.json` pair) is a JSON object whose first fields are `"kind"` and `"version"`, beside the family's own
//! fields. Readers check the kind before anything else, so a file of another model is refused by name, and
//! `latent-lab sample FILE` chooses by kind, never by a substring. Files written before the envelope existed carry
//! no kind; [`kind_of`] recognises them by the fields each family always wrote.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::files;

/// The format version this build writes and the newest it reads.
pub const VERSION: u64 = 1;

/// Every kind of model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Autoencoder,
    Vae,
    Hvae,
    /// The digits U-Net of the diffusion lesson.
    UNet,
    /// The 2-D ε-prediction MLP of the diffusion lesson.
    Ddpm2d,
    Made,
    WaveNet,
    RealNvp,
    ResFlow,
}

impl FileKind {
    pub const ALL: [Self; 9] = [
        Self::Autoencoder,
        Self::Vae,
        Self::Hvae,
        Self::UNet,
        Self::Ddpm2d,
        Self::Made,
        Self::WaveNet,
        Self::RealNvp,
        Self::ResFlow,
    ];

    /// The `"kind"` written in files.
    #[must_use]
    pub fn tag(self) -> &'static str {
        match self {
            Self::Autoencoder => "autoencoder",
            Self::Vae => "vae",
            Self::Hvae => "hvae",
            Self::UNet => "ddpm-unet",
            Self::Ddpm2d => "ddpm-2d",
            Self::Made => "made",
            Self::WaveNet => "wavenet",
            Self::RealNvp => "realnvp",
            Self::ResFlow => "resflow",
        }
    }

    /// "a VAE", "a MADE model", … for messages.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Autoencoder => "an autoencoder",
            Self::Vae => "a VAE",
            Self::Hvae => "a hierarchical VAE",
            Self::UNet => "a digits diffusion U-Net",
            Self::Ddpm2d => "a 2-D diffusion model",
            Self::Made => "a MADE model",
            Self::WaveNet => "a WaveNet",
            Self::RealNvp => "a RealNVP flow",
            Self::ResFlow => "a residual flow",
        }
    }

    /// Weights in `FILE.bpk` beside the description `FILE.json` (else one JSON file holds everything).
    #[must_use]
    pub fn is_pair(self) -> bool {
        matches!(self, Self::Autoencoder | Self::Vae | Self::Hvae | Self::UNet)
    }

    #[must_use]
    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.tag() == tag)
    }
}

/// `body` (a struct that serialises to a JSON object) as the text of a `kind` file: `"kind"` and `"version"` first,
/// then the body's fields. Pair descriptions are pretty-printed (people read them); single files with all their
/// weights are compact.
pub fn wrap<T: Serialize + ?Sized>(kind: FileKind, body: &T) -> Result<String, String> {
    wrap_with(kind, None, body)
}

/// [`wrap`] for the description of a pair, which also names its weights file by length and hash
/// (`"weights_file": {"bytes": …, "fnv1a64": "…"}`), so a description is never read with weights it was not
/// written with.
pub fn wrap_pair<T: Serialize + ?Sized>(kind: FileKind, body: &T, weights: &[u8]) -> Result<String, String> {
    let stamp = serde_json::json!({ "bytes": weights.len(), "fnv1a64": files::content_hash(weights) });
    wrap_with(kind, Some(stamp), body)
}

fn wrap_with<T: Serialize + ?Sized>(kind: FileKind, stamp: Option<Value>, body: &T) -> Result<String, String> {
    let Value::Object(mut fields) = serde_json::to_value(body).map_err(|e| e.to_string())? else {
        return Err("the model description is not a JSON object".into());
    };
    for key in ENVELOPE_KEYS {
        fields.remove(key);
    }
    let pretty = kind.is_pair();
    let (sep, indent) = if pretty { ("\n  ", " ") } else { ("", "") };
    let mut head = format!("{{{sep}\"kind\":{indent}\"{}\",{sep}\"version\":{indent}{VERSION}", kind.tag());
    if let Some(stamp) = stamp {
        let _ = write!(head, ",{sep}\"weights_file\":{indent}{stamp}");
    }
    if fields.is_empty() {
        return Ok(head + if pretty { "\n}" } else { "}" });
    }
    let rest = Value::Object(fields);
    let rest = if pretty { serde_json::to_string_pretty(&rest) } else { serde_json::to_string(&rest) };
    let rest = rest.map_err(|e| e.to_string())?;
    // `rest` is `{…}`: its fields follow the envelope's after a comma (serde_json's maps are sorted by key, so the
    // envelope's fields are put first by hand).
    let inner = rest.strip_prefix('{').unwrap_or(&rest);
    Ok(format!("{head},{inner}"))
}

/// The fields of the envelope itself (never part of a family's body).
const ENVELOPE_KEYS: [&str; 3] = ["kind", "version", "weights_file"];

/// Reads a pair's weights for the description `description_text`: `weights` when it is the file the description
/// names (by length and hash), else the previous weights `files::write_pair` keeps beside it while a save is in
/// progress (a save killed between its two renames), when those are. A description written before weights were
/// named accepts `weights` as it is. Anything else is refused: the weights belong to another save.
pub fn read_pair_weights(weights: &Path, description_text: &str) -> std::io::Result<Vec<u8>> {
    let stamp = serde_json::from_str::<Value>(description_text).ok().and_then(|v| v.get("weights_file").cloned());
    let Some(stamp) = stamp else { return files::read_limited(weights, files::limit::MODEL) };
    let fits = |bytes: &[u8]| {
        stamp.get("bytes").and_then(Value::as_u64) == Some(bytes.len() as u64)
            && stamp.get("fnv1a64").and_then(Value::as_str) == Some(files::content_hash(bytes).as_str())
    };
    let current = files::read_limited(weights, files::limit::MODEL);
    if let Ok(bytes) = &current
        && fits(bytes)
    {
        return current;
    }
    if let Ok(bytes) = files::read_limited(&files::previous_of(weights), files::limit::MODEL)
        && fits(&bytes)
    {
        return Ok(bytes);
    }
    current?;
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "these weights were not saved with this description (another save's file, or a save that was interrupted)",
    ))
}

/// The kind of a parsed description: its `"kind"`, or for a file written before the envelope, the fields its family
/// always wrote (`"architecture"`, `"variational"`, a flow's `"model"`).
pub fn kind_of(value: &Value) -> Result<FileKind, String> {
    let Some(object) = value.as_object() else {
        return Err("it is not a latent-lab model file (not a JSON object)".into());
    };
    if let Some(kind) = object.get("kind") {
        return known_kind(kind.as_str().ok_or("its \"kind\" is not a string")?);
    }
    let legacy = match object.get("architecture").and_then(Value::as_str) {
        Some("hierarchical-vae") => Some(FileKind::Hvae),
        Some("ddpm-unet") => Some(FileKind::UNet),
        Some("ddpm-mlp-2d") => Some(FileKind::Ddpm2d),
        _ => None,
    };
    let legacy = legacy.or_else(|| match object.get("variational").and_then(Value::as_bool) {
        Some(true) => Some(FileKind::Vae),
        Some(false) => Some(FileKind::Autoencoder),
        None => None,
    });
    let legacy = legacy.or_else(|| {
        let model = object.get("model")?.as_object()?;
        if model.contains_key("RealNvp") {
            Some(FileKind::RealNvp)
        } else if model.contains_key("Residual") {
            Some(FileKind::ResFlow)
        } else {
            None
        }
    });
    legacy.ok_or_else(|| "it is not a latent-lab model file (it has no \"kind\")".into())
}

/// Checks that `value` is a file of one of `expected` in a version this build reads; returns its kind.
pub fn expect(value: &Value, expected: &[FileKind]) -> Result<FileKind, String> {
    let found = kind_of(value)?;
    check_found(found, value.get("version"), expected)
}

/// [`expect`] from only the `"kind"` and `"version"` fields, for a reader that parses its body straight into its own
/// types (a file with all its weights is parsed once). A missing kind is refused here: only files that always wrote
/// one may use this.
pub fn expect_head(kind: Option<&str>, version: Option<&Value>, expected: &[FileKind]) -> Result<FileKind, String> {
    let Some(tag) = kind else { return Err("it has no \"kind\" (not a latent-lab model file?)".into()) };
    check_found(known_kind(tag)?, version, expected)
}

/// The kind a `"kind"` tag names, or why it names none.
fn known_kind(tag: &str) -> Result<FileKind, String> {
    FileKind::from_tag(tag).ok_or_else(|| {
        let known: Vec<&str> = FileKind::ALL.iter().map(|k| k.tag()).collect();
        format!("its kind \"{tag}\" is not one latent-lab knows ({})", known.join(", "))
    })
}

fn check_found(found: FileKind, version: Option<&Value>, expected: &[FileKind]) -> Result<FileKind, String> {
    if !expected.contains(&found) {
        let wanted: Vec<&str> = expected.iter().map(|k| k.label()).collect();
        return Err(format!("it holds {}, not {}", found.label(), wanted.join(" or ")));
    }
    match version {
        None => Ok(found),
        Some(v) => match v.as_u64() {
            Some(n) if (1..=VERSION).contains(&n) => Ok(found),
            Some(n) if n > VERSION => Err(format!(
                "it was written in format version {n} by a newer latent-lab; this one reads version {VERSION}"
            )),
            _ => Err(format!("its \"version\" {v} is not a format version")),
        },
    }
}

/// Parses `text` (as `files::read_text_limited` gives it: a byte-order mark is already dropped), checks it as
/// [`expect`] does and returns the family's fields (without `"kind"` and `"version"`).
pub fn parse_expecting(text: &str, expected: &[FileKind]) -> Result<(Value, FileKind), String> {
    let mut value: Value = serde_json::from_str(text).map_err(|e| format!("it is not valid JSON: {e}"))?;
    let kind = expect(&value, expected)?;
    if let Some(object) = value.as_object_mut() {
        for key in ENVELOPE_KEYS {
            object.remove(key);
        }
    }
    Ok((value, kind))
}

/// Parses `text` as a `kind` file and deserialises its fields as `T`.
pub fn read_as<T: serde::de::DeserializeOwned>(text: &str, kind: FileKind) -> Result<T, String> {
    let (body, _) = parse_expecting(text, &[kind])?;
    serde_json::from_value(body).map_err(|e| e.to_string())
}

/// A model file a user named, identified.
#[derive(Debug)]
pub struct Identified {
    pub kind: FileKind,
    /// The file that holds the description (`FILE.json` of a pair, or the file itself).
    pub description: PathBuf,
    /// That file's text.
    pub text: String,
}

/// Which model `path` holds. A pair may be named as `FILE`, `FILE.bpk` or `FILE.json`; a single file by its name.
/// The description is read within the model-file limit; errors name the file and say what is wrong.
pub fn identify(path: &Path) -> Result<Identified, String> {
    let description = description_of(path);
    let shown = description.display();
    let text = files::read_text_limited(&description, files::limit::MODEL).map_err(|e| format!("{shown}: {e}"))?;
    let (_, kind) =
        parse_expecting(&text, &FileKind::ALL).map_err(|e| format!("{shown}: not a valid model file ({e})"))?;
    Ok(Identified { kind, description, text })
}

/// The file holding the description of the model named `path`.
fn description_of(path: &Path) -> PathBuf {
    let is_bpk = path.extension().and_then(|e| e.to_str()) == Some("bpk");
    if !is_bpk && path.is_file() { path.to_owned() } else { files::pair_paths(path).1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Body {
        layers: usize,
        kind: &'static str,
    }

    #[test]
    fn wrapped_files_lead_with_kind_and_version_and_read_back_as_their_kind() {
        for kind in FileKind::ALL {
            let text = wrap(kind, &Body { layers: 3, kind: "stale" }).unwrap();
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(compact.starts_with(&format!("{{\"kind\":\"{}\",\"version\":{VERSION},", kind.tag())), "{text}");
            let (value, found) = parse_expecting(&text, &[kind]).unwrap();
            assert_eq!(found, kind);
            assert_eq!(value["layers"], 3);
            assert!(value.get("version").is_none() && value.get("kind").is_none());
            assert!(
                text.contains(&format!("\"version\":{VERSION}")) || text.contains(&format!("\"version\": {VERSION}"))
            );
            assert_eq!(FileKind::from_tag(kind.tag()), Some(kind));
        }
    }

    #[test]
    fn a_file_of_another_kind_is_refused_by_name() {
        let text = wrap(FileKind::Made, &Body { layers: 1, kind: "" }).unwrap();
        let err = parse_expecting(&text, &[FileKind::Autoencoder, FileKind::Vae]).unwrap_err();
        assert_eq!(err, "it holds a MADE model, not an autoencoder or a VAE");
    }

    #[test]
    fn newer_versions_unknown_kinds_and_non_objects_are_refused() {
        let newer = r#"{"kind":"made","version":7}"#;
        assert!(parse_expecting(newer, &[FileKind::Made]).unwrap_err().contains("newer latent-lab"));
        let zero = r#"{"kind":"made","version":0}"#;
        assert!(parse_expecting(zero, &[FileKind::Made]).unwrap_err().contains("not a format version"));
        let unknown = r#"{"kind":"pixelcnn"}"#;
        assert!(parse_expecting(unknown, &FileKind::ALL).unwrap_err().contains("\"pixelcnn\" is not one"));
        assert!(parse_expecting("[1, 2]", &FileKind::ALL).unwrap_err().contains("not a JSON object"));
        assert!(parse_expecting("{\"layers\": 2}", &FileKind::ALL).unwrap_err().contains("no \"kind\""));
        assert!(parse_expecting("{", &FileKind::ALL).unwrap_err().contains("not valid JSON"));
    }

    #[test]
    fn files_from_before_the_envelope_are_recognised_by_their_fields() {
        let cases = [
            (r#"{"architecture":"hierarchical-vae"}"#, FileKind::Hvae),
            (r#"{"architecture":"ddpm-unet","image_size":28}"#, FileKind::UNet),
            (r#"{"architecture":"ddpm-mlp-2d"}"#, FileKind::Ddpm2d),
            (r#"{"input_dim":784,"variational":true}"#, FileKind::Vae),
            (r#"{"input_dim":784,"variational":false}"#, FileKind::Autoencoder),
            (r#"{"data":"Moons","model":{"RealNvp":{}}}"#, FileKind::RealNvp),
            (r#"{"data":"Moons","model":{"Residual":{}}}"#, FileKind::ResFlow),
        ];
        for (text, kind) in cases {
            assert_eq!(parse_expecting(text, &FileKind::ALL).unwrap().1, kind, "{text}");
        }
    }

    #[test]
    fn a_pair_reads_the_weights_its_description_names_even_after_an_interrupted_save() {
        let dir = tempfile::tempdir().unwrap();
        let (weights, description) = files::pair_paths(&dir.path().join("m"));
        let body = Body { layers: 2, kind: "" };
        let old = wrap_pair(FileKind::Vae, &body, b"old weights").unwrap();
        files::write_pair((&weights, b"old weights"), (&description, old.as_bytes())).unwrap();
        assert_eq!(read_pair_weights(&weights, &old).unwrap(), b"old weights");
        assert!(!files::previous_of(&weights).exists(), "the kept weights go once the save is done");
        // A save killed between its renames: new weights in place, the old description, the old weights kept.
        std::fs::hard_link(&weights, files::previous_of(&weights)).unwrap();
        let renamed = dir.path().join("new.tmp");
        std::fs::write(&renamed, b"new weights").unwrap();
        std::fs::rename(&renamed, &weights).unwrap();
        assert_eq!(read_pair_weights(&weights, &old).unwrap(), b"old weights", "the old pair still loads");
        // The next save cleans up after it.
        let new = wrap_pair(FileKind::Vae, &body, b"new weights").unwrap();
        files::write_pair((&weights, b"new weights"), (&description, new.as_bytes())).unwrap();
        assert_eq!(read_pair_weights(&weights, &new).unwrap(), b"new weights");
        assert!(!files::previous_of(&weights).exists());
        // Weights of another save are refused; a description from before the stamp takes what is there.
        let err = read_pair_weights(&weights, &old).unwrap_err();
        assert!(err.to_string().contains("not saved with this description"), "{err}");
        assert_eq!(read_pair_weights(&weights, r#"{"variational": true}"#).unwrap(), b"new weights");
        let (body, kind) = parse_expecting(&new, &[FileKind::Vae]).unwrap();
        assert_eq!((kind, body.get("weights_file")), (FileKind::Vae, None), "the stamp is the envelope's");
    }

    #[test]
    fn a_pair_is_found_from_any_of_its_names() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("vae.lr0.002");
        std::fs::write(files::with_added_extension(&stem, "json"), r#"{"variational":true}"#).unwrap();
        std::fs::write(files::with_added_extension(&stem, "bpk"), b"weights").unwrap();
        for name in ["vae.lr0.002", "vae.lr0.002.bpk", "vae.lr0.002.json"] {
            let found = identify(&dir.path().join(name)).unwrap();
            assert_eq!(found.kind, FileKind::Vae, "{name}");
        }
        let single = dir.path().join("moons.flow");
        std::fs::write(&single, r#"{"kind":"realnvp","version":1}"#).unwrap();
        assert_eq!(identify(&single).unwrap().kind, FileKind::RealNvp);
        let missing = identify(&dir.path().join("nothing")).unwrap_err();
        assert!(missing.contains("nothing.json"), "{missing}");
    }
}
