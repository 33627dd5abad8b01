//! Saving and loading a trained autoencoder: weights in burn's record format (`FILE.bpk`) next to the model's
//! description as JSON (`FILE.json`). Loading checks both and never panics on a bad file.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use burn::prelude::*;

use super::{Autoencoder, AutoencoderConfig};
use crate::runtime::files;

/// Everything that can be wrong with a model file, naming the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: cannot read the model description: {message}")]
    ReadConfig { path: PathBuf, message: String },
    #[error("{path}: the model description is not valid: {message}")]
    BadConfig { path: PathBuf, message: String },
    #[error(
        "{path}: the weights do not fit the model in its description (corrupt, truncated or another architecture): {message}"
    )]
    BadWeights { path: PathBuf, message: String },
    #[error("{path}: could not save: {message}")]
    Save { path: PathBuf, message: String },
    #[error("{path}: the model expects images of {expected} pixels but the dataset has {found}")]
    WrongImageSize { path: PathBuf, expected: usize, found: usize },
}

/// The two files of a checkpoint given either of them (or the name without extension).
pub fn files(path: &Path) -> (PathBuf, PathBuf) {
    files::pair_paths(path)
}

/// Checks a description before anything is built from it.
pub fn validate(config: &AutoencoderConfig) -> Result<(), String> {
    if !(1..=1 << 20).contains(&config.input_dim) {
        return Err(format!("input size {} is out of range", config.input_dim));
    }
    if config.hidden.is_empty() || config.hidden.len() > 6 || config.hidden.iter().any(|&w| !(1..=4096).contains(&w)) {
        return Err(format!("hidden sizes {:?} must be 1 to 6 widths in 1..=4096", config.hidden));
    }
    if !(1..=64).contains(&config.latent_dim) {
        return Err(format!("latent size {} must be in 1..=64", config.latent_dim));
    }
    config.observation().validate()?;
    Ok(())
}

/// Saves `model` (weights) and `config` (JSON). Returns the weights file.
pub fn save(model: &Autoencoder, config: &AutoencoderConfig, path: &Path) -> Result<PathBuf, CheckpointError> {
    let (weights, description) = files(path);
    let err = |path: &Path, message: String| CheckpointError::Save { path: path.to_owned(), message };
    let bytes = model.valid().into_record().into_bytes().map_err(|e| err(&weights, e.to_string()))?;
    let text = burn::config::config_to_json(config);
    files::write_pair((&weights, &bytes[..]), (&description, text.as_bytes()))
        .map_err(|e| err(&weights, e.to_string()))?;
    Ok(weights)
}

/// Loads a checkpoint onto `device` (plain, for inference; call `.train()` on an autodiff device to train on).
pub fn load(path: &Path, device: &Device) -> Result<(Autoencoder, AutoencoderConfig), CheckpointError> {
    let (weights, description) = files(path);
    let text = files::read_text_limited(&description, files::limit::DESCRIPTION)
        .map_err(|e| CheckpointError::ReadConfig { path: description.clone(), message: e.to_string() })?;
    let config: AutoencoderConfig = serde_json::from_str(&text)
        .map_err(|e| CheckpointError::BadConfig { path: description.clone(), message: e.to_string() })?;
    validate(&config).map_err(|message| CheckpointError::BadConfig { path: description.clone(), message })?;
    let bytes = match files::read_limited(&weights, files::limit::MODEL) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CheckpointError::BadWeights { path: weights, message: "the file does not exist".into() });
        }
        Err(e) => return Err(CheckpointError::BadWeights { path: weights, message: e.to_string() }),
    };
    let model = load_weights(config.init(device), bytes)
        .map_err(|message| CheckpointError::BadWeights { path: weights, message })?;
    Ok((model, config))
}

/// `module` with the weights of a burnpack file held in `bytes`. burn's `try_load_file` keeps reading the file
/// after it returns, so a model loaded that way breaks when its file is overwritten (e.g. saved again to the same
/// path); loading from memory makes the model own its weights.
pub fn load_weights<M: burn::module::Module>(module: M, bytes: Vec<u8>) -> Result<M, String> {
    let loaded = catch_unwind(AssertUnwindSafe(|| {
        let record = burn::store::ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes))
            .map_err(|e| e.to_string())?;
        module.try_load_record(record).map_err(|e| e.to_string())
    }));
    loaded.unwrap_or_else(|_| Err("the data is malformed".into()))
}

/// Loads a checkpoint and checks it fits images of `dim` pixels.
pub fn load_for(path: &Path, dim: usize, device: &Device) -> Result<(Autoencoder, AutoencoderConfig), CheckpointError> {
    let (model, config) = load(path, device)?;
    if config.input_dim != dim {
        return Err(CheckpointError::WrongImageSize { path: files(path).1, expected: config.input_dim, found: dim });
    }
    Ok((model, config))
}
