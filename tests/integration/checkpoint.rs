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

/// The Latent space scene's pair: both models of a run saved, then read back into one session, decode alike; files
/// of two different runs (other hidden sizes) or two of one kind are refused.
#[test]
fn an_ae_and_a_vae_load_back_into_one_session() {
    use std::sync::Arc;

    use latent_lab::data::Dataset;
    use latent_lab::train::{ModelKind, TrainConfig, TrainSession};

    let dir = tempfile::tempdir().unwrap();
    let device = Device::flex();
    let data = Arc::new(Dataset::builtin_mnist().unwrap());
    let config = TrainConfig { hidden: vec![16], batch_size: 32, ..TrainConfig::default() };
    let mut session = TrainSession::new(config, data.clone(), &device).unwrap();
    for _ in 0..3 {
        session.step();
    }
    let paths: Vec<_> = ["ae", "vae"].iter().map(|n| dir.path().join(format!("{n}.bpk"))).collect();
    for (kind, path) in ModelKind::ALL.into_iter().zip(&paths) {
        session.save(kind, path).unwrap();
    }
    let loaded = TrainSession::from_checkpoints(&paths, data.clone(), &device).unwrap();
    assert_eq!(loaded.kinds(), ModelKind::ALL.to_vec());
    let resumed = TrainSession::from_checkpoints(&paths, data.clone(), &device).unwrap().with_learning(5e-4, 64);
    assert_eq!((resumed.config().learning_rate, resumed.config().batch_size), (5e-4, 64));
    let ignored = TrainSession::from_checkpoints(&paths, data.clone(), &device).unwrap().with_learning(f64::NAN, 0);
    assert_eq!((ignored.config().learning_rate, ignored.config().batch_size), (2e-3, 128), "out of range: kept");
    let zs = vec![vec![0.5, -1.0], vec![-2.0, 0.25]];
    for kind in ModelKind::ALL {
        let (a, b) = (session.decode(kind, &zs).unwrap(), loaded.decode(kind, &zs).unwrap());
        assert_eq!(a, b, "{kind:?} decodes as before");
    }

    let other = TrainConfig { hidden: vec![8], models: vec![ModelKind::Autoencoder], ..TrainConfig::default() };
    let other_ae = dir.path().join("other-ae.bpk");
    TrainSession::new(other, data.clone(), &device).unwrap().save(ModelKind::Autoencoder, &other_ae).unwrap();
    let Err(e) = TrainSession::from_checkpoints(&[paths[1].clone(), other_ae], data.clone(), &device) else {
        panic!("two runs' models mixed")
    };
    assert!(e.to_string().contains("does not match the first model's architecture"), "{e}");
    let Err(e) = TrainSession::from_checkpoints(&[paths[0].clone(), paths[0].clone()], data, &device) else {
        panic!("two AEs")
    };
    assert!(e.to_string().contains("holds a second AE"), "{e}");
}
