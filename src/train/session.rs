//! One training run of the side-by-side models: batching, optimiser steps, divergence guard, codes and evaluation.
//! Used by the worker thread (GUI) and directly by the CLI; it has no threads of its own.

use std::path::Path;
use std::sync::Arc;

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::Distribution;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;

use super::protocol::{LossPoint, ModelKind, TrainConfig};
use crate::data::Dataset;
use crate::models::{Autoencoder, AutoencoderConfig};

/// Items encoded per forward pass when computing codes or held-out losses.
const EVAL_CHUNK: usize = 1000;

/// Why a run cannot start or continue.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("invalid settings: {0}")]
    InvalidConfig(String),
    #[error("could not save the model to {path}: {message}")]
    Save { path: String, message: String },
}

/// The outcome of one step for one model.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    Trained(LossPoint),
    /// The loss was NaN or infinite; the weights from before this step were kept and this model stops.
    Diverged {
        step: u64,
        message: String,
    },
}

/// One model with its optimiser and the last weights whose loss was finite.
struct ModelRun {
    kind: ModelKind,
    model: Autoencoder,
    optim: ModuleOptimizer,
    diverged: bool,
}

/// A training run over a dataset.
pub struct TrainSession {
    config: TrainConfig,
    dataset: Arc<Dataset>,
    device: Device,
    runs: Vec<ModelRun>,
    order: Vec<usize>,
    cursor: usize,
    rng: SmallRng,
    step: u64,
    batch_pixels: Vec<f32>,
}

/// Checks settings a user can type before anything is built.
pub fn validate(config: &TrainConfig, dataset: &Dataset) -> Result<(), TrainError> {
    let bad = |m: String| Err(TrainError::InvalidConfig(m));
    if !(config.learning_rate.is_finite() && config.learning_rate > 0.0) {
        return bad(format!("learning rate must be a positive number, got {}", config.learning_rate));
    }
    if config.batch_size == 0 || config.batch_size > dataset.train_len {
        return bad(format!(
            "batch size must be between 1 and the {} training items, got {}",
            dataset.train_len, config.batch_size
        ));
    }
    if config.hidden.is_empty() || config.hidden.iter().any(|&w| w == 0 || w > 4096) {
        return bad(format!("hidden sizes must be 1 to 6 widths in 1..=4096, got {:?}", config.hidden));
    }
    if !(1..=64).contains(&config.latent_dim) {
        return bad(format!("latent size must be in 1..=64, got {}", config.latent_dim));
    }
    if config.models.is_empty() {
        return bad("choose at least one model to train".into());
    }
    Ok(())
}

impl TrainSession {
    /// Builds fresh models on `device` (the autodiff decorator is added here).
    pub fn new(config: TrainConfig, dataset: Arc<Dataset>, device: &Device) -> Result<Self, TrainError> {
        validate(&config, &dataset)?;
        let device = device.clone().autodiff();
        device.seed(config.seed);
        let runs = config
            .models
            .iter()
            .map(|&kind| {
                let model = AutoencoderConfig::new(
                    dataset.dim(),
                    config.hidden.clone(),
                    config.latent_dim,
                    kind == ModelKind::Vae,
                )
                .init(&device);
                // PyTorch's Adam epsilon, so results compare with the lecture's reference numbers.
                let optim = AdamConfig::new().with_epsilon(1e-8).init();
                ModelRun { kind, model, optim, diverged: false }
            })
            .collect();
        let order: Vec<usize> = (0..dataset.train_len).collect();
        let mut session = Self {
            rng: SmallRng::seed_from_u64(config.seed),
            config,
            dataset,
            device,
            runs,
            order,
            cursor: 0,
            step: 0,
            batch_pixels: Vec::new(),
        };
        session.order.shuffle(&mut session.rng);
        Ok(session)
    }

    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    pub fn dataset(&self) -> &Arc<Dataset> {
        &self.dataset
    }

    /// Steps taken so far (each step trains every live model on the same batch).
    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// Fractional epochs seen so far.
    pub fn epoch(&self) -> f64 {
        (self.step as f64 * self.config.batch_size as f64) / self.dataset.train_len as f64
    }

    /// Whether any model is still training.
    pub fn any_live(&self) -> bool {
        self.runs.iter().any(|r| !r.diverged)
    }

    /// The models in this session.
    pub fn kinds(&self) -> Vec<ModelKind> {
        self.runs.iter().map(|r| r.kind).collect()
    }

    fn next_batch(&mut self) -> Tensor<2> {
        let b = self.config.batch_size;
        let dim = self.dataset.dim();
        self.batch_pixels.clear();
        for _ in 0..b {
            if self.cursor == self.order.len() {
                self.order.shuffle(&mut self.rng);
                self.cursor = 0;
            }
            self.batch_pixels.extend_from_slice(self.dataset.image(self.order[self.cursor]));
            self.cursor += 1;
        }
        Tensor::from_data(TensorData::new(self.batch_pixels.clone(), [b, dim]), &self.device)
    }

    /// One optimiser step for every live model on the same mini-batch.
    pub fn step(&mut self) -> Vec<(ModelKind, StepOutcome)> {
        let x = self.next_batch();
        self.step += 1;
        let step = self.step;
        assert!(self.config.inject_panic_at_step != Some(step), "injected test panic at step {step}");
        let epoch = self.epoch();
        let b = self.config.batch_size;
        let latent = self.config.latent_dim;
        let inject_nan = self.config.inject_nan_at_step == Some(step);
        let mut outcomes = Vec::with_capacity(self.runs.len());
        for run in self.runs.iter_mut().filter(|r| !r.diverged) {
            let eps = run
                .model
                .is_variational()
                .then(|| Tensor::<2>::random([b, latent], Distribution::Normal(0.0, 1.0), &self.device));
            let terms = run.model.loss(x.clone(), eps);
            let mut loss = terms.total();
            if inject_nan {
                loss = loss.mul_scalar(f32::NAN);
            }
            let recon = f64::from(terms.recon.into_scalar::<f32>());
            let kl = f64::from(terms.kl.into_scalar::<f32>());
            let total = f64::from(loss.clone().into_scalar::<f32>());
            if !total.is_finite() {
                // The weights that produced this loss came from steps whose losses were all finite: keep them.
                run.diverged = true;
                let message = format!(
                    "{} diverged at step {step} (loss {total}) — learning rate too high? The weights from before this step are kept.",
                    run.kind.short()
                );
                outcomes.push((run.kind, StepOutcome::Diverged { step, message }));
                continue;
            }
            let grads = GradientsParams::from_grads(loss.backward(), &run.model);
            run.model = run.optim.step(self.config.learning_rate, run.model.clone(), grads);
            outcomes.push((run.kind, StepOutcome::Trained(LossPoint { step, epoch, recon, kl })));
        }
        outcomes
    }

    fn run(&self, kind: ModelKind) -> Option<&ModelRun> {
        self.runs.iter().find(|r| r.kind == kind)
    }

    /// Inference copy of a model (no autodiff graph).
    fn inference_model(&self, kind: ModelKind) -> Option<Autoencoder> {
        self.run(kind).map(|r| r.model.valid())
    }

    fn items_tensor(&self, items: &[usize], device: &Device) -> Tensor<2> {
        let dim = self.dataset.dim();
        let mut pixels = Vec::with_capacity(items.len() * dim);
        for &i in items {
            pixels.extend_from_slice(self.dataset.image(i));
        }
        Tensor::from_data(TensorData::new(pixels, [items.len(), dim]), device)
    }

    /// Codes (encoder means) of `items`, first two coordinates.
    pub fn codes(&self, kind: ModelKind, items: &[usize]) -> Vec<[f32; 2]> {
        self.codes_full(kind, items)
            .into_iter()
            .map(|c| [c.first().copied().unwrap_or(0.0), c.get(1).copied().unwrap_or(0.0)])
            .collect()
    }

    /// Full codes (encoder means) of `items`.
    pub fn codes_full(&self, kind: ModelKind, items: &[usize]) -> Vec<Vec<f32>> {
        let Some(model) = self.inference_model(kind) else { return Vec::new() };
        let device = self.device.clone().without_autodiff();
        let latent = model.latent_dim();
        let mut out = Vec::with_capacity(items.len());
        for chunk in items.chunks(EVAL_CHUNK) {
            let (mean, _) = model.encode(self.items_tensor(chunk, &device));
            let flat: Vec<f32> = mean.try_into_vec_as::<f32>().unwrap_or_default();
            out.extend(flat.chunks(latent).map(<[f32]>::to_vec));
        }
        out
    }

    /// Mean loss terms over `items` (the VAE with one reparametrised sample per item).
    pub fn evaluate(&self, kind: ModelKind, items: &[usize]) -> Option<LossPoint> {
        let model = self.inference_model(kind)?;
        let device = self.device.clone().without_autodiff();
        let (mut recon, mut kl) = (0.0, 0.0);
        for chunk in items.chunks(EVAL_CHUNK) {
            let x = self.items_tensor(chunk, &device);
            let eps = model.is_variational().then(|| {
                Tensor::<2>::random([chunk.len(), model.latent_dim()], Distribution::Normal(0.0, 1.0), &device)
            });
            let terms = model.loss(x, eps);
            let w = chunk.len() as f64;
            recon += w * f64::from(terms.recon.into_scalar::<f32>());
            kl += w * f64::from(terms.kl.into_scalar::<f32>());
        }
        let n = items.len().max(1) as f64;
        Some(LossPoint { step: self.step, epoch: self.epoch(), recon: recon / n, kl: kl / n })
    }

    /// Saves a model's weights (burnpack) next to its config as JSON (`FILE.json`).
    pub fn save(&self, kind: ModelKind, path: &Path) -> Result<(), TrainError> {
        let err = |message: String| TrainError::Save { path: path.display().to_string(), message };
        let run = self.run(kind).ok_or_else(|| err(format!("no {} in this session", kind.short())))?;
        let config = AutoencoderConfig::new(
            self.dataset.dim(),
            self.config.hidden.clone(),
            self.config.latent_dim,
            kind == ModelKind::Vae,
        );
        run.model.valid().save_file(path).map_err(|e| err(e.to_string()))?;
        let json_path = path.with_extension("json");
        std::fs::write(&json_path, burn::config::config_to_json(&config)).map_err(|e| err(e.to_string()))?;
        Ok(())
    }
}
