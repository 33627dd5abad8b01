//! Hierarchical VAE model files: weights in burn's record format (`FILE.bpk`) beside the description (`FILE.json`,
//! with `"architecture": "hierarchical-vae"`). Loading validates both and never panics; a file of another model
//! (an autoencoder, a diffusion U-Net) is refused by name.

use std::path::{Path, PathBuf};

use burn::prelude::*;

use super::{ARCHITECTURE, Hvae, HvaeConfig, HvaeError};
use crate::runtime::envelope::{self, FileKind};
use crate::runtime::files;

/// The two files of a model given either of them (or the name without extension).
pub fn files(path: &Path) -> (PathBuf, PathBuf) {
    files::pair_paths(path)
}

/// The description: the architecture and the optimiser steps the weights were trained for (0 in files written
/// before it was recorded).
#[derive(serde::Serialize, serde::Deserialize)]
struct Described<C> {
    #[serde(flatten)]
    config: C,
    #[serde(default)]
    steps: usize,
}

/// Saves `model`, trained for `steps` optimiser steps, and `config`; returns the weights file.
pub fn save(model: &Hvae, config: &HvaeConfig, steps: usize, path: &Path) -> Result<PathBuf, HvaeError> {
    let (weights, description) = files(path);
    let err = |path: &Path, message: String| HvaeError::Save { path: path.to_owned(), message };
    let bytes = model.clone().into_record().into_bytes().map_err(|e| err(&weights, e.to_string()))?;
    let described = Described { config, steps };
    let text = envelope::wrap_pair(FileKind::Hvae, &described, &bytes).map_err(|e| err(&description, e))?;
    files::write_pair((&weights, &bytes[..]), (&description, text.as_bytes()))
        .map_err(|e| err(&weights, e.to_string()))?;
    Ok(weights)
}

/// Parses and checks a description; returns it with the steps the weights were trained for.
pub fn parse_config(text: &str, path: &Path) -> Result<(HvaeConfig, usize), HvaeError> {
    let bad = |message: String| HvaeError::BadConfig { path: path.to_owned(), message };
    let Described { config, steps }: Described<HvaeConfig> = envelope::read_as(text, FileKind::Hvae).map_err(bad)?;
    if config.architecture != ARCHITECTURE {
        return Err(bad(format!("its architecture \"{}\" is not a {ARCHITECTURE}", config.architecture)));
    }
    config.validate().map_err(bad)?;
    Ok((config, steps))
}

/// Loads a model onto `device` for inference; returns it with its description and the steps it was trained for.
pub fn load(path: &Path, device: &Device) -> Result<(Hvae, HvaeConfig, usize), HvaeError> {
    let (weights, description) = files(path);
    let text = files::read_text_limited(&description, files::limit::DESCRIPTION)
        .map_err(|e| HvaeError::ReadConfig { path: description.clone(), message: e.to_string() })?;
    let (config, steps) = parse_config(&text, &description)?;
    let bytes = envelope::read_pair_weights(&weights, &text).map_err(|e| {
        let message =
            if e.kind() == std::io::ErrorKind::NotFound { "the file does not exist".into() } else { e.to_string() };
        HvaeError::BadWeights { path: weights.clone(), message }
    })?;
    let model = crate::models::checkpoint::load_weights(config.init(device), bytes)
        .map_err(|message| HvaeError::BadWeights { path: weights, message })?;
    Ok((model, config, steps))
}
