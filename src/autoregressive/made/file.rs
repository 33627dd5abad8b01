//! MADE model files: JSON in the common envelope (`"kind": "made"`), validated on load.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{MAX_DIM, MAX_HIDDEN, Made, Masks};
use crate::autoregressive::ArError;
use crate::runtime::envelope;

impl Made {
    /// Writes the model file (JSON with `"kind": "made"`).
    pub fn save(&self, path: &Path, info: &MadeInfo) -> Result<(), ArError> {
        let file = MadeFileRef { kind: envelope::FileKind::Made.tag(), version: envelope::VERSION, info, model: self };
        let text =
            serde_json::to_string(&file).map_err(|e| ArError::Corrupt { path: path.into(), reason: e.to_string() })?;
        crate::runtime::files::write_atomic(path, text.as_bytes())
            .map_err(|error| ArError::Io { path: path.into(), error })
    }

    /// Reads and validates a model file.
    pub fn load(path: &Path) -> Result<(Self, MadeInfo), ArError> {
        let bytes = crate::runtime::files::read_limited(path, crate::runtime::files::limit::MODEL)
            .map_err(|error| ArError::Io { path: path.into(), error })?;
        Self::from_json(&bytes, path)
    }

    /// Parses and validates a model file's bytes (`path` only names it in errors).
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<(Self, MadeInfo), ArError> {
        let corrupt = |reason: String| ArError::Corrupt { path: path.into(), reason };
        let bytes = crate::runtime::files::strip_bom(bytes);
        let head: Head = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
        let made = [envelope::FileKind::Made];
        envelope::expect_head(head.kind.as_deref(), head.version.as_ref(), &made).map_err(|reason| {
            match head.kind.as_deref().and_then(envelope::FileKind::from_tag) {
                Some(found) if found != envelope::FileKind::Made => {
                    ArError::WrongKind { path: path.into(), found: found.label().into(), expected: "a MADE model" }
                }
                _ => corrupt(reason),
            }
        })?;
        let file: MadeFile = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
        let mut m = file.model;
        let (d, h) = (m.rows.saturating_mul(m.cols), m.hidden);
        if d == 0 || d > MAX_DIM || h == 0 || h > MAX_HIDDEN {
            return Err(corrupt(format!("unsupported size {}×{} with {h} hidden units", m.rows, m.cols)));
        }
        let lens = [(m.w.len(), d * h), (m.b.len(), h), (m.v.len(), h * d), (m.u.len(), d * d), (m.c.len(), d)];
        if lens.iter().any(|(got, want)| got != want) {
            return Err(corrupt("weight arrays do not match the stated sizes".into()));
        }
        if !m.is_finite() {
            return Err(corrupt("non-finite weights".into()));
        }
        m.masks = Masks::new(d, h);
        let masked_nonzero = (0..d).any(|i| m.w[i * h..i * h + m.masks.in_from[i]].iter().any(|&x| x != 0.0))
            || (0..h).any(|k| m.v[k * d..k * d + m.masks.degree[k].min(d)].iter().any(|&x| x != 0.0))
            || (0..d).any(|i| m.u[i * d..=i * d + i].iter().any(|&x| x != 0.0));
        if masked_nonzero {
            return Err(corrupt("masked weights are not zero (the model would not be autoregressive)".into()));
        }
        Ok((m, file.info))
    }
}

/// The envelope fields of a model file (the body is parsed apart).
#[derive(serde::Deserialize)]
struct Head {
    kind: Option<String>,
    version: Option<serde_json::Value>,
}

/// What a model file says about its training.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MadeInfo {
    pub steps: usize,
    pub train_seconds: f64,
    pub heldout_nll: Option<f64>,
}

#[derive(Serialize)]
struct MadeFileRef<'a> {
    kind: &'a str,
    version: u64,
    info: &'a MadeInfo,
    model: &'a Made,
}

#[derive(Deserialize)]
struct MadeFile {
    info: MadeInfo,
    model: Made,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autoregressive::made::tests::random_made;

    #[test]
    fn files_round_trip_and_bad_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let m = random_made(2, 3, 4, 1);
        let info = MadeInfo { steps: 12, train_seconds: 1.5, heldout_nll: Some(3.0) };
        m.save(&path, &info).unwrap();
        assert_eq!(crate::runtime::envelope::identify(&path).unwrap().kind, envelope::FileKind::Made);
        let (back, back_info) = Made::load(&path).unwrap();
        assert_eq!(back, m);
        assert_eq!(back_info, info);
        let bad = |text: &str| Made::from_json(text.as_bytes(), Path::new("x.json")).unwrap_err();
        assert!(matches!(bad("not json"), ArError::Corrupt { .. }));
        assert!(matches!(bad(r#"{"kind":"vae"}"#), ArError::WrongKind { .. }));
        assert!(matches!(bad(r#"{"kind":"ddpm"}"#), ArError::Corrupt { .. }), "an unknown kind");
        assert!(matches!(bad(r#"{"kind":"made","info":{}}"#), ArError::Corrupt { .. }));
        let text = std::fs::read_to_string(&path).unwrap();
        let truncated = &text[..text.len() / 2];
        assert!(matches!(bad(truncated), ArError::Corrupt { .. }));
        // A weight under a mask breaks the autoregressive property: refused.
        let mut leaky = m.clone();
        leaky.u[0] = 1.0;
        leaky.save(&path, &info).unwrap();
        assert!(matches!(Made::load(&path), Err(ArError::Corrupt { .. })));
        assert!(matches!(Made::load(&dir.path().join("missing.json")), Err(ArError::Io { .. })));
        assert!(matches!(m.check_size(28, 28), Err(ArError::SizeMismatch { .. })));
        // rows × cols that overflow a usize are refused as too big, not wrapped into a small size.
        let huge = text.replace("\"rows\":2,", "\"rows\":4294967296,").replace("\"cols\":3,", "\"cols\":4294967297,");
        assert_ne!(huge, text, "the test edits the sizes");
        let ArError::Corrupt { reason, .. } = bad(&huge) else { panic!("not refused as corrupt") };
        assert!(reason.contains("unsupported size"), "{reason}");
    }
}
