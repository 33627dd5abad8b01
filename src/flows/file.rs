//! Flow model files (the one envelope, `"kind": "realnvp"` or `"resflow"`): the flow and the 2-D dataset it learned.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::FlowModel;
use crate::data::toy2d::Toy2d;
use crate::runtime::envelope::{self, FileKind};

/// What `train realnvp|resflow --out FILE` writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FlowFile {
    pub data: Toy2d,
    pub model: FlowModel,
    /// Optimiser steps the flow was trained for (files before this field: 0).
    #[serde(default)]
    pub steps: u64,
}

impl FlowFile {
    /// The envelope's kind of this flow.
    #[must_use]
    pub fn kind(&self) -> FileKind {
        match self.model {
            FlowModel::RealNvp(_) => FileKind::RealNvp,
            FlowModel::Residual(_) => FileKind::ResFlow,
        }
    }

    /// Writes the file atomically; errors name it.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = envelope::wrap(self.kind(), self).map_err(|e| format!("{}: {e}", path.display()))?;
        crate::runtime::files::write_atomic(path, text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads and validates a file; errors name it.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = crate::runtime::files::read_text_limited(path, crate::runtime::files::limit::MODEL)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Self::from_text(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses and validates a file's text: the kind says which flow, and the flow must be that one, of a shape within
    /// bounds, with finite parameters.
    pub fn from_text(text: &str) -> Result<Self, String> {
        let (body, kind) = envelope::parse_expecting(text, &[FileKind::RealNvp, FileKind::ResFlow])?;
        let file: Self = serde_json::from_value(body).map_err(|e| format!("not a flow file: {e}"))?;
        if file.kind() != kind {
            return Err(format!("it says it holds {} but holds {}", kind.label(), file.kind().label()));
        }
        match &file.model {
            FlowModel::RealNvp(f) => f.validate()?,
            FlowModel::Residual(f) => f.validate()?,
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::{RealNvpConfig, ResFlowConfig};

    fn small() -> [FlowFile; 2] {
        let nvp = FlowModel::real_nvp(RealNvpConfig { layers: 2, hidden: 4, depth: 1, scale_bound: 2.0 }, 1);
        let res = FlowModel::residual(ResFlowConfig { blocks: 2, hidden: 4, ..ResFlowConfig::default() }, 1).unwrap();
        [FlowFile { data: Toy2d::Moons, model: nvp, steps: 3 }, FlowFile { data: Toy2d::Rings, model: res, steps: 0 }]
    }

    #[test]
    fn both_flows_round_trip_with_the_same_density() {
        let dir = tempfile::tempdir().unwrap();
        for file in small() {
            let path = dir.path().join("flow.json");
            file.save(&path).unwrap();
            let back = FlowFile::load(&path).unwrap();
            assert_eq!(back.kind(), file.kind());
            assert_eq!((back.data, back.steps), (file.data, file.steps));
            let xs = [[0.3, -0.2], [1.5, 0.7]];
            assert_eq!(back.model.log_prob(&xs), file.model.log_prob(&xs));
        }
    }

    #[test]
    fn files_written_before_the_envelope_still_load() {
        for file in small() {
            let old = serde_json::to_string(&file).unwrap();
            assert_eq!(FlowFile::from_text(&old).unwrap().kind(), file.kind());
        }
    }

    #[test]
    fn wrong_kinds_short_parameters_and_nan_are_refused() {
        let [nvp, res] = small();
        let text = envelope::wrap(FileKind::RealNvp, &nvp).unwrap();
        let swapped = text.replacen("\"realnvp\"", "\"resflow\"", 1);
        assert!(FlowFile::from_text(&swapped).unwrap_err().contains("says it holds a residual flow"));
        let made = text.replacen("\"realnvp\"", "\"made\"", 1);
        assert!(FlowFile::from_text(&made).unwrap_err().contains("holds a MADE model"));
        for mut file in [nvp, res] {
            let kind = file.kind();
            match &mut file.model {
                FlowModel::RealNvp(f) => {
                    f.params.pop();
                }
                FlowModel::Residual(f) => {
                    f.params.pop();
                }
            }
            let short = envelope::wrap(kind, &file).unwrap();
            assert!(FlowFile::from_text(&short).unwrap_err().contains("parameters for a shape"), "{kind:?}");
            let poisoned = short.replacen("\"params\":[", "\"params\":[1e309,", 1);
            let err = FlowFile::from_text(&poisoned).unwrap_err();
            assert!(err.contains("number out of range"), "1e309 is past f64's range: {err}");
        }
    }
}
