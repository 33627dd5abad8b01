//! Saving and loading a trained autoencoder: weights in burn's record format (`FILE.bpk`) next to the model's
//! description as JSON (`FILE.json`). Loading checks both and never panics on a bad file.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use burn::prelude::*;

use super::{Autoencoder, AutoencoderConfig};
use crate::runtime::envelope::{self, FileKind};
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

/// Most weights one autoencoder may have (64 Mi: 256 MB of f32, and Adam keeps two more copies while training).
pub const MAX_WEIGHTS: usize = 1 << 26;

/// Checks a shape before anything is built from it: the one check for models being trained and models being
/// loaded, so every model that can be saved can be loaded again.
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
    let weights = weight_count(config);
    if weights > MAX_WEIGHTS {
        return Err(format!(
            "{} inputs with hidden sizes {:?} make {:.0} million weights; at most {} million fit (choose narrower \
             --hidden layers or smaller images)",
            config.input_dim,
            config.hidden,
            weights as f64 / 1e6,
            MAX_WEIGHTS / 1_000_000
        ));
    }
    config.observation().validate()?;
    Ok(())
}

/// Weights and biases of the encoder, the code head and the decoder (a VAE's head is twice as wide).
pub fn weight_count(config: &AutoencoderConfig) -> usize {
    let head = if config.variational { 2 * config.latent_dim } else { config.latent_dim };
    let layers = |widths: &[usize]| widths.windows(2).map(|w| w[0] * w[1] + w[1]).sum::<usize>();
    let mut encoder = vec![config.input_dim];
    encoder.extend(&config.hidden);
    encoder.push(head);
    let mut decoder = vec![config.latent_dim];
    decoder.extend(config.hidden.iter().rev());
    decoder.push(config.input_dim);
    layers(&encoder) + layers(&decoder)
}

/// Parses and checks a description: an autoencoder's or a VAE's, of a shape [`validate`] accepts.
pub fn parse_config(text: &str) -> Result<AutoencoderConfig, String> {
    let (body, kind) = envelope::parse_expecting(text, &[FileKind::Autoencoder, FileKind::Vae])?;
    let config: AutoencoderConfig = serde_json::from_value(body).map_err(|e| e.to_string())?;
    if config.variational != (kind == FileKind::Vae) {
        return Err(format!("it says it holds {} but describes the other model", kind.label()));
    }
    validate(&config)?;
    Ok(config)
}

/// Saves `model` (weights) and `config` (JSON). Returns the weights file.
pub fn save(model: &Autoencoder, config: &AutoencoderConfig, path: &Path) -> Result<PathBuf, CheckpointError> {
    let (weights, description) = files(path);
    let err = |path: &Path, message: String| CheckpointError::Save { path: path.to_owned(), message };
    let bytes = model.valid().into_record().into_bytes().map_err(|e| err(&weights, e.to_string()))?;
    let kind = if config.variational { FileKind::Vae } else { FileKind::Autoencoder };
    let text = envelope::wrap_pair(kind, config, &bytes).map_err(|e| err(&description, e))?;
    files::write_pair((&weights, &bytes[..]), (&description, text.as_bytes()))
        .map_err(|e| err(&weights, e.to_string()))?;
    Ok(weights)
}

/// Loads a checkpoint onto `device` (plain, for inference; call `.train()` on an autodiff device to train on).
pub fn load(path: &Path, device: &Device) -> Result<(Autoencoder, AutoencoderConfig), CheckpointError> {
    let (weights, description) = files(path);
    let text = files::read_text_limited(&description, files::limit::DESCRIPTION)
        .map_err(|e| CheckpointError::ReadConfig { path: description.clone(), message: e.to_string() })?;
    let config =
        parse_config(&text).map_err(|message| CheckpointError::BadConfig { path: description.clone(), message })?;
    let bytes = match envelope::read_pair_weights(&weights, &text) {
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

/// `module` with the weights of a burnpack file held in `bytes`, refused if any weight is NaN or infinite. burn's
/// `try_load_file` keeps reading the file after it returns, so a model loaded that way breaks when its file is
/// overwritten (e.g. saved again to the same path); loading from memory makes the model own its weights.
pub fn load_weights<M: burn::module::Module>(module: M, bytes: Vec<u8>) -> Result<M, String> {
    let loaded = catch_unwind(AssertUnwindSafe(|| {
        let record = burn::store::ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes))
            .map_err(|e| e.to_string())?;
        module.try_load_record(record).map_err(|e| e.to_string())
    }));
    let module = loaded.unwrap_or_else(|_| Err("the data is malformed".into()))?;
    let mut count = NonFinite::default();
    module.visit(&mut count);
    if count.bad > 0 {
        return Err(format!(
            "{} of its {} weights are NaN or infinite (a model saved after its training diverged?)",
            count.bad, count.all
        ));
    }
    Ok(module)
}

/// Counts the weights that are not finite numbers.
#[derive(Default)]
struct NonFinite {
    bad: usize,
    all: usize,
}

impl burn::module::ModuleVisitor for NonFinite {
    fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<burn::prelude::Tensor<D>>) {
        let values = param.val().into_data().convert::<f32>().try_to_vec::<f32>().unwrap_or_default();
        self.all += values.len();
        self.bad += values.iter().filter(|v| !v.is_finite()).count();
    }
}

/// Loads a checkpoint and checks it fits images of `dim` pixels.
pub fn load_for(path: &Path, dim: usize, device: &Device) -> Result<(Autoencoder, AutoencoderConfig), CheckpointError> {
    let (model, config) = load(path, device)?;
    if config.input_dim != dim {
        return Err(CheckpointError::WrongImageSize { path: files(path).1, expected: config.input_dim, found: dim });
    }
    Ok((model, config))
}

#[cfg(test)]
mod tests {
    use burn::module::{Module, ModuleMapper, Param};
    use burn::prelude::*;

    use super::*;

    fn small(variational: bool) -> AutoencoderConfig {
        AutoencoderConfig::new(12, vec![7, 5], 2, variational)
    }

    #[test]
    fn the_weight_count_is_burns_parameter_count() {
        for variational in [false, true] {
            let config = small(variational);
            assert_eq!(weight_count(&config), config.init(&Device::flex()).num_params(), "variational {variational}");
        }
    }

    #[test]
    fn a_shape_too_big_to_train_is_refused_by_the_same_check_as_loading() {
        let huge = AutoencoderConfig::new(1024 * 1024, vec![512, 256], 2, true);
        assert!(validate(&huge).unwrap_err().contains("million weights"));
        let seven = AutoencoderConfig::new(784, vec![16; 7], 2, true);
        assert!(validate(&seven).unwrap_err().contains("1 to 6 widths"));
    }

    struct Poison;
    impl ModuleMapper for Poison {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            param.map(|t| t.mul_scalar(f32::NAN))
        }
    }

    #[test]
    fn weights_that_are_not_finite_are_refused_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let config = small(true);
        let device = Device::flex();
        let path = dir.path().join("poisoned");
        save(&config.init(&device).map(&mut Poison), &config, &path).unwrap();
        let message = load(&path, &device).unwrap_err().to_string();
        assert!(message.contains("NaN or infinite"), "{message}");
        save(&config.init(&device), &config, &path).unwrap();
        assert!(load(&path, &device).is_ok(), "finite weights load");
    }
}
