//! Model files: a save → load round trip reproduces the model; every bad file is refused with a clear message.

use burn::prelude::*;
use latent_lab::models::AutoencoderConfig;
use latent_lab::models::checkpoint::{self, CheckpointError};

fn outputs(model: &latent_lab::models::Autoencoder) -> Vec<f32> {
    let x: Vec<f32> = (0..4 * 12).map(|i| (i % 3) as f32 / 2.0).collect();
    let (mean, log_var) = model.encode(Tensor::from_data(TensorData::new(x, [4, 12]), &Device::flex()));
    let mut all = mean.clone().try_into_vec_as::<f32>().unwrap();
    all.extend(log_var.unwrap().try_into_vec_as::<f32>().unwrap());
    all.extend(model.decode(mean).try_into_vec_as::<f32>().unwrap());
    all
}

#[test]
fn save_then_load_gives_identical_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::flex();
    let config = AutoencoderConfig::new(12, vec![10, 6], 2, true);
    let model = config.init(&device);
    let weights = checkpoint::save(&model, &config, &dir.path().join("vae")).unwrap();
    assert_eq!(weights, dir.path().join("vae.bpk"));
    // Either file names the checkpoint.
    for name in ["vae.bpk", "vae.json", "vae"] {
        let (loaded, loaded_config) = checkpoint::load(&dir.path().join(name), &device).unwrap();
        assert_eq!(loaded_config.hidden, vec![10, 6]);
        assert_eq!(outputs(&loaded), outputs(&model));
    }
}

#[test]
fn bad_model_files_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::flex();
    let config = AutoencoderConfig::new(12, vec![10], 2, true);
    let base = dir.path().join("m");
    checkpoint::save(&config.init(&device), &config, &base).unwrap();
    let (weights, description) = checkpoint::files(&base);
    let good_json = std::fs::read_to_string(&description).unwrap();
    let good_weights = std::fs::read(&weights).unwrap();
    let expect = |what: &str, check: &dyn Fn(&CheckpointError) -> bool| {
        let err = checkpoint::load(&base, &device).expect_err(what);
        assert!(check(&err), "{what}: {err}");
        let text = err.to_string();
        assert!(text.contains(dir.path().to_str().unwrap()), "{what}: message names the file: {text}");
    };

    std::fs::write(&weights, &good_weights[..good_weights.len() / 2]).unwrap();
    expect("truncated weights", &|e| matches!(e, CheckpointError::BadWeights { .. }));
    std::fs::write(&weights, b"garbage").unwrap();
    expect("corrupt weights", &|e| matches!(e, CheckpointError::BadWeights { .. }));
    std::fs::write(&weights, &good_weights).unwrap();

    std::fs::write(&description, good_json.replace("10", "11")).unwrap();
    expect("another architecture", &|e| matches!(e, CheckpointError::BadWeights { .. }));
    std::fs::write(&description, "{ not json").unwrap();
    expect("invalid description", &|e| matches!(e, CheckpointError::BadConfig { .. }));
    std::fs::write(&description, good_json.replace("\"latent_dim\": 2", "\"latent_dim\": 0")).unwrap();
    expect("invalid latent size", &|e| matches!(e, CheckpointError::BadConfig { .. }));
    std::fs::remove_file(&description).unwrap();
    expect("missing description", &|e| matches!(e, CheckpointError::ReadConfig { .. }));
    std::fs::write(&description, &good_json).unwrap();

    let err = checkpoint::load_for(&base, 784, &device).expect_err("28×28 images into a 12-pixel model");
    assert!(matches!(err, CheckpointError::WrongImageSize { expected: 12, found: 784, .. }), "{err}");
    assert!(checkpoint::load_for(&base, 12, &device).is_ok());
}

/// A loaded model owns its weights: overwriting or deleting the file afterwards (e.g. "Save model…" to the same
/// path) must not change or break it.
#[test]
fn a_loaded_model_does_not_depend_on_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::flex();
    let config = AutoencoderConfig::new(12, vec![10, 6], 2, true);
    let model = config.init(&device);
    checkpoint::save(&model, &config, &dir.path().join("vae")).unwrap();
    let (loaded, _) = checkpoint::load(&dir.path().join("vae"), &device).unwrap();
    std::fs::write(dir.path().join("vae.bpk"), b"overwritten").unwrap();
    std::fs::remove_file(dir.path().join("vae.bpk")).unwrap();
    assert_eq!(outputs(&loaded), outputs(&model));
}
