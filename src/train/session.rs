//! One training run of the side-by-side models: batching, optimiser steps, divergence guard, codes and evaluation.
//! Used by the worker thread (GUI) and directly by the CLI. Within a step it may use scoped threads (one per model,
//! or one per shard of a batch) that end before the step returns.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::optim::{AdamConfig, GradientsAccumulator, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::Distribution;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;

use super::protocol::{LossPoint, ModelKind, TrainConfig};
use crate::data::Dataset;
use crate::models::bounds::iwae_loss;
use crate::models::float_env::flush_subnormals;
use crate::models::posterior::{PosteriorView, posterior_view};
use crate::models::{Autoencoder, AutoencoderConfig, checkpoint};

/// Items encoded per forward pass when computing codes or held-out losses.
const EVAL_CHUNK: usize = 1000;

/// Why a run cannot start or continue.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("invalid settings: {0}")]
    InvalidConfig(String),
    #[error("could not save the model to {path}: {message}")]
    Save { path: String, message: String },
    #[error("could not load the model: {0}")]
    Load(String),
    #[error("no {} model yet — train or load one first", .0.short())]
    NoModel(ModelKind),
    #[error("there is no held-out digit number {0}")]
    NoSuchDigit(usize),
    #[error(transparent)]
    Bounds(#[from] crate::models::bounds::BoundsError),
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

/// One model with its optimiser.
struct ModelRun {
    kind: ModelKind,
    model: Autoencoder,
    optim: ModuleOptimizer,
    diverged: bool,
}

/// What every model needs to know about the current step.
struct StepInfo {
    step: u64,
    epoch: f64,
    /// Batch size and pixels per image.
    shape: [usize; 2],
    latent: usize,
    learning_rate: f64,
    inject_nan: bool,
    /// Threads to split the batch over (1: no split).
    shards: usize,
    /// Importance samples per image for a VAE (1: ELBO).
    iwae_k: usize,
    track_encoder_grad: bool,
    /// The run's seed: with the step, the model and the shard it seeds the step's noise.
    seed: u64,
}

impl StepInfo {
    /// The seed of the noise of `kind`'s shard `shard` at this step (`seed_from_u64` scrambles it further).
    fn noise_seed(&self, kind: ModelKind, shard: usize) -> u64 {
        self.seed
            ^ self.step.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ ((kind.index() as u64) << 48)
            ^ ((shard as u64) << 40)
    }
}

/// Loss terms (already weighted by the shard's share of the batch) and gradients of one shard of a batch.
struct Shard {
    recon: f64,
    kl: f64,
    total: f64,
    /// `None` when the loss was not finite.
    grads: Option<GradientsParams>,
}

impl Shard {
    /// Forward and backward pass of `model` on `rows` images; the loss is scaled by `rows / batch` so the shards'
    /// gradients add up to the whole batch's.
    fn compute(
        kind: ModelKind,
        model: &Autoencoder,
        pixels: &[f32],
        rows: usize,
        device: &Device,
        info: &StepInfo,
        shard: usize,
    ) -> Self {
        let [batch, dim] = info.shape;
        let weight = rows as f64 / batch as f64;
        let x = Tensor::<2>::from_data(TensorData::new(pixels.to_vec(), [rows, dim]), device);
        // The noise comes from a generator of this step, model and shard, not from burn's global one: threads
        // (shards, models trained side by side, other tabs) draw from that in an order that varies run to run.
        let mut rng = SmallRng::seed_from_u64(info.noise_seed(kind, shard));
        let mut noise = |samples: usize| {
            let eps = crate::nn::random::normals(&mut rng, rows * samples * info.latent);
            Tensor::<2>::from_data(TensorData::new(eps, [rows * samples, info.latent]), device)
        };
        let (mut loss, recon, kl) = if model.is_variational() && info.iwae_k > 1 {
            let loss = iwae_loss(model, x, info.iwae_k, noise(info.iwae_k)).mul_scalar(weight);
            let value = f64::from(loss.clone().into_scalar::<f32>());
            (loss, value, 0.0)
        } else {
            let (terms, total) = if kind == ModelKind::VaeReinforce {
                model.reinforce_loss(x, noise(1))
            } else {
                let terms = model.loss(x, model.is_variational().then(|| noise(1)));
                let total = terms.total();
                (terms, total)
            };
            let total = total.mul_scalar(weight);
            let recon = weight * f64::from(terms.recon.into_scalar::<f32>());
            let kl = weight * f64::from(terms.kl.into_scalar::<f32>());
            (total, recon, kl)
        };
        if info.inject_nan {
            loss = loss.mul_scalar(f32::NAN);
        }
        let total = f64::from(loss.clone().into_scalar::<f32>());
        let grads = total.is_finite().then(|| GradientsParams::from_grads(loss.backward(), model));
        Self { recon, kl, total, grads }
    }
}

impl ModelRun {
    /// Forward, divergence check, backward and Adam update on one batch. With `info.shards > 1` the batch is split
    /// across that many threads, each with a replica of the model sharing its weights, and the gradients are summed
    /// (data parallelism on the CPU). Takes the run by value so the optimiser holds the only handle to the weights
    /// and can update them in place.
    fn train_step(mut self, pixels: &[f32], device: &Device, info: &StepInfo) -> (Self, StepOutcome) {
        let step = info.step;
        let [batch, dim] = info.shape;
        // Shards of fewer than 16 images cost more in threads than they save.
        let shards = info.shards.clamp(1, (batch / 16).max(1));
        let results: Vec<Shard> = if shards == 1 {
            vec![Shard::compute(self.kind, &self.model, pixels, batch, device, info, 0)]
        } else {
            let rows_per = batch.div_ceil(shards);
            std::thread::scope(|scope| {
                let handles: Vec<_> = pixels
                    .chunks(rows_per * dim)
                    .enumerate()
                    .map(|(shard, part)| {
                        let replica = self.model.valid().train().fork(device);
                        let kind = self.kind;
                        scope.spawn(move || {
                            let rows = part.len() / dim;
                            flush_subnormals(|| Shard::compute(kind, &replica, part, rows, device, info, shard))
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
            })
        };
        let recon = results.iter().map(|r| r.recon).sum();
        let kl = results.iter().map(|r| r.kl).sum();
        let total: f64 = results.iter().map(|r| r.total).sum();
        let grads: Option<Vec<GradientsParams>> = results.into_iter().map(|r| r.grads).collect();
        let guard = crate::nn::check_finite::<f32>(total, [], usize::try_from(step).unwrap_or(usize::MAX));
        let Some(mut grads) = grads.filter(|_| guard.is_ok()) else {
            // The current weights produced finite losses on every earlier step: keep them and stop.
            self.diverged = true;
            let why = guard.err().map_or_else(|| "a step failed".to_owned(), |d| d.to_string());
            let message = format!("{}: {why}", self.kind.short());
            return (self, StepOutcome::Diverged { step, message });
        };
        let grads = if grads.len() == 1 {
            grads.remove(0)
        } else {
            let mut sum = GradientsAccumulator::new();
            for g in grads {
                sum.accumulate(&self.model, g);
            }
            sum.grads()
        };
        let grad_norm = if info.track_encoder_grad { self.model.encoder_params().gradient_norm(&grads) } else { 0.0 };
        self.model = self.optim.step(info.learning_rate, self.model, grads);
        let point = LossPoint { step, epoch: info.epoch, recon, kl, grad_norm, grad_norm_sq: grad_norm * grad_norm };
        (self, StepOutcome::Trained(point))
    }
}

/// Codes and reconstructions of some images.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedImages {
    pub means: Vec<Vec<f32>>,
    pub log_vars: Option<Vec<Vec<f32>>>,
    pub reconstructions: Vec<Vec<f32>>,
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
    /// CPU threads one model may use by splitting its batch (1 on a GPU).
    cpu_threads: usize,
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
    if !(1..=5000).contains(&config.iwae_k) {
        return bad(format!("K (importance samples) must be in 1..=5000, got {}", config.iwae_k));
    }
    if config.models.is_empty() {
        return bad("choose at least one model to train".into());
    }
    // The shape is checked as the loader checks it, so every model trained here loads again.
    for &kind in &config.models {
        crate::models::checkpoint::validate(&model_config(config, dataset.dim(), kind))
            .map_err(TrainError::InvalidConfig)?;
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
                let model = model_config(&config, dataset.dim(), kind).init(&device);
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
            cpu_threads: 1,
        };
        session.order.shuffle(&mut session.rng);
        Ok(session)
    }

    /// A session holding one model read from a checkpoint (`FILE.bpk` + `FILE.json`), ready to train on or evaluate.
    /// The file must describe a model for images of `dataset`'s size; errors name the file and say what is wrong.
    pub fn from_checkpoint(path: &Path, dataset: Arc<Dataset>, device: &Device) -> Result<Self, TrainError> {
        let autodiff = device.clone().autodiff();
        let (model, described) =
            checkpoint::load_for(path, dataset.dim(), &autodiff).map_err(|e| TrainError::Load(e.to_string()))?;
        let kind = if described.variational { ModelKind::Vae } else { ModelKind::Autoencoder };
        let config = TrainConfig {
            hidden: described.hidden.clone(),
            latent_dim: described.latent_dim,
            observation: described.observation(),
            models: vec![kind],
            batch_size: TrainConfig::default().batch_size.min(dataset.train_len.max(1)),
            ..TrainConfig::default()
        };
        let mut session = Self::new(config, dataset, device)?;
        if let Some(run) = session.runs.first_mut() {
            run.model = model;
        }
        Ok(session)
    }

    /// A session holding several models read from checkpoints (e.g. the Latent space run's AE and VAE), paused
    /// state and fresh optimisers. They must be of different kinds and share one architecture (hidden sizes,
    /// latent size, observation model), as models of one run do; errors name the file and say what is wrong.
    pub fn from_checkpoints(paths: &[PathBuf], dataset: Arc<Dataset>, device: &Device) -> Result<Self, TrainError> {
        let autodiff = device.clone().autodiff();
        let mut loaded: Vec<(ModelKind, Autoencoder, AutoencoderConfig)> = Vec::new();
        for path in paths {
            let (model, described) =
                checkpoint::load_for(path, dataset.dim(), &autodiff).map_err(|e| TrainError::Load(e.to_string()))?;
            let kind = if described.variational { ModelKind::Vae } else { ModelKind::Autoencoder };
            if let Some((_, _, first)) = loaded.first()
                && (first.hidden != described.hidden
                    || first.latent_dim != described.latent_dim
                    || first.observation() != described.observation())
            {
                return Err(TrainError::Load(format!(
                    "{} does not match the first model's architecture (hidden sizes, latent size, observation)",
                    path.display()
                )));
            }
            if loaded.iter().any(|(k, _, _)| *k == kind) {
                return Err(TrainError::Load(format!("{} holds a second {}", path.display(), kind.short())));
            }
            loaded.push((kind, model, described));
        }
        let Some((_, _, first)) = loaded.first() else {
            return Err(TrainError::Load("no model file given".into()));
        };
        let config = TrainConfig {
            hidden: first.hidden.clone(),
            latent_dim: first.latent_dim,
            observation: first.observation(),
            models: loaded.iter().map(|(k, _, _)| *k).collect(),
            batch_size: TrainConfig::default().batch_size.min(dataset.train_len.max(1)),
            ..TrainConfig::default()
        };
        let steps = loaded.iter().filter_map(|(_, _, c)| c.steps).min().unwrap_or(0);
        let mut session = Self::new(config, dataset, device)?;
        session.step = steps;
        for (run, (_, model, _)) in session.runs.iter_mut().zip(loaded) {
            run.model = model;
        }
        Ok(session)
    }

    /// Trains on with this learning rate and batch size (a loaded run resumes with the settings it was saved
    /// with); values out of range (not finite or positive, a batch larger than the training set) are ignored.
    #[must_use]
    pub fn with_learning(mut self, learning_rate: f64, batch_size: usize) -> Self {
        if learning_rate.is_finite() && learning_rate > 0.0 {
            self.config.learning_rate = learning_rate;
        }
        if (1..=self.dataset.train_len).contains(&batch_size) {
            self.config.batch_size = batch_size;
        }
        self
    }

    /// Lets a lone model split each batch over `threads` CPU threads (data parallelism). Use on the CPU backend
    /// with one rayon thread per model; with two models, each already has a core.
    #[must_use]
    pub fn with_cpu_threads(mut self, threads: usize) -> Self {
        self.cpu_threads = threads.max(1);
        self
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

    /// Fills `batch_pixels` with the next mini-batch (reshuffling at the end of each epoch).
    fn next_batch(&mut self) {
        self.batch_pixels.clear();
        for _ in 0..self.config.batch_size {
            if self.cursor == self.order.len() {
                self.order.shuffle(&mut self.rng);
                self.cursor = 0;
            }
            self.batch_pixels.extend_from_slice(self.dataset.image(self.order[self.cursor]));
            self.cursor += 1;
        }
    }

    /// One optimiser step for every live model on the same mini-batch. Models train in parallel, one thread each:
    /// on the CPU backend a model of this size runs fastest on one core, so two models use both. A lone model
    /// splits its batch over `cpu_threads` instead.
    pub fn step(&mut self) -> Vec<(ModelKind, StepOutcome)> {
        self.next_batch();
        self.step += 1;
        let live_count = self.runs.iter().filter(|r| !r.diverged).count();
        let step = StepInfo {
            step: self.step,
            epoch: self.epoch(),
            shape: [self.config.batch_size, self.dataset.dim()],
            latent: self.config.latent_dim,
            learning_rate: self.config.learning_rate,
            inject_nan: self.config.inject_nan_at_step == Some(self.step),
            shards: if live_count == 1 { self.cpu_threads } else { 1 },
            iwae_k: self.config.iwae_k,
            track_encoder_grad: self.config.track_encoder_grad,
            seed: self.config.seed,
        };
        assert!(self.config.inject_panic_at_step != Some(step.step), "injected test panic at step {}", step.step);
        let (pixels, device) = (&self.batch_pixels, &self.device);
        let (live, resting): (Vec<ModelRun>, Vec<ModelRun>) =
            std::mem::take(&mut self.runs).into_iter().partition(|r| !r.diverged);
        let results: Vec<(ModelRun, StepOutcome)> = if live.len() < 2 {
            live.into_iter().map(|run| flush_subnormals(|| run.train_step(pixels, device, &step))).collect()
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = live
                    .into_iter()
                    .map(|run| scope.spawn(|| flush_subnormals(|| run.train_step(pixels, device, &step))))
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
            })
        };
        crate::runtime::steps::record(results.len() as u64);
        let mut outcomes = Vec::with_capacity(results.len());
        for (run, outcome) in results {
            outcomes.push((run.kind, outcome));
            self.runs.push(run);
        }
        self.runs.extend(resting);
        self.runs.sort_by_key(|r| r.kind.index());
        outcomes
    }

    fn run(&self, kind: ModelKind) -> Option<&ModelRun> {
        self.runs.iter().find(|r| r.kind == kind)
    }

    /// Inference copy of a model (no autodiff graph).
    pub fn inference_model(&self, kind: ModelKind) -> Option<Autoencoder> {
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

    /// Pixels of the held-out digits, row after row.
    pub fn heldout_pixels(&self) -> Vec<f32> {
        self.dataset.heldout_range().flat_map(|i| self.dataset.image(i).iter().copied()).collect()
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

    /// Decoder means (pixel probabilities) at each latent point; points are padded with zeros or cut to the
    /// latent size. `None` when this session has no such model.
    pub fn decode(&self, kind: ModelKind, zs: &[Vec<f32>]) -> Option<Vec<Vec<f32>>> {
        let model = self.inference_model(kind)?;
        let device = self.device.clone().without_autodiff();
        let latent = model.latent_dim();
        let dim = self.dataset.dim();
        let mut out = Vec::with_capacity(zs.len());
        for chunk in zs.chunks(EVAL_CHUNK) {
            let flat: Vec<f32> =
                chunk.iter().flat_map(|z| (0..latent).map(|i| z.get(i).copied().unwrap_or(0.0))).collect();
            let z = Tensor::<2>::from_data(TensorData::new(flat, [chunk.len(), latent]), &device);
            let probs: Vec<f32> =
                burn::tensor::activation::sigmoid(model.decode(z)).try_into_vec_as::<f32>().unwrap_or_default();
            out.extend(probs.chunks(dim).map(<[f32]>::to_vec));
        }
        Some(out)
    }

    /// Encoder means, log-variances (VAE) and reconstructions (decoder at the mean) of `images`.
    pub fn encode_images(&self, kind: ModelKind, images: &[Vec<f32>]) -> Option<EncodedImages> {
        let model = self.inference_model(kind)?;
        let device = self.device.clone().without_autodiff();
        let dim = self.dataset.dim();
        let latent = model.latent_dim();
        let flat: Vec<f32> =
            images.iter().flat_map(|img| (0..dim).map(|i| img.get(i).copied().unwrap_or(0.0))).collect();
        let x = Tensor::<2>::from_data(TensorData::new(flat, [images.len(), dim]), &device);
        let (mean, log_var) = model.encode(x);
        let rows = |t: Tensor<2>, width: usize| -> Vec<Vec<f32>> {
            t.try_into_vec_as::<f32>().unwrap_or_default().chunks(width).map(<[f32]>::to_vec).collect()
        };
        let recon = burn::tensor::activation::sigmoid(model.decode(mean.clone()));
        Some(EncodedImages {
            means: rows(mean, latent),
            log_vars: log_var.map(|t| rows(t, latent)),
            reconstructions: rows(recon, dim),
        })
    }

    /// Held-out digit `item` and its true posterior beside q(z|x) (2-D VAEs only).
    pub fn posterior(&self, kind: ModelKind, item: usize) -> Result<(Vec<f32>, PosteriorView), TrainError> {
        let model = self.inference_model(kind).ok_or(TrainError::NoModel(kind))?;
        let index = self.dataset.heldout_range().nth(item).ok_or(TrainError::NoSuchDigit(item))?;
        let pixels = self.dataset.image(index).to_vec();
        let device = self.device.clone().without_autodiff();
        let view = posterior_view(&model, &pixels, self.config.seed ^ item as u64, &device)?;
        Ok((pixels, view))
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
        Some(LossPoint {
            step: self.step,
            epoch: self.epoch(),
            recon: recon / n,
            kl: kl / n,
            grad_norm: 0.0,
            grad_norm_sq: 0.0,
        })
    }

    /// The variance σ² of `kind`'s Gaussian observation model now (learned or fixed); `None` for Bernoulli.
    pub fn gaussian_sigma2(&self, kind: ModelKind) -> Option<f64> {
        self.run(kind).and_then(|run| run.model.gaussian_sigma2())
    }

    /// Saves a model's weights (`FILE.bpk`) next to its description (`FILE.json`); returns the weights file.
    pub fn save(&self, kind: ModelKind, path: &Path) -> Result<std::path::PathBuf, TrainError> {
        let run = self.run(kind).ok_or_else(|| TrainError::Save {
            path: path.display().to_string(),
            message: format!("no {} in this session", kind.short()),
        })?;
        let config = model_config(&self.config, self.dataset.dim(), kind).with_steps(Some(self.step));
        checkpoint::save(&run.model, &config, path)
            .map_err(|e| TrainError::Save { path: path.display().to_string(), message: e.to_string() })
    }
}

/// The architecture of `kind` under `config` for images of `dim` pixels.
fn model_config(config: &TrainConfig, dim: usize, kind: ModelKind) -> AutoencoderConfig {
    AutoencoderConfig::new(dim, config.hidden.clone(), config.latent_dim, kind.is_variational())
        .with_observation(Some(config.observation))
}

#[cfg(test)]
mod tests {
    use burn::optim::SgdConfig;

    use super::*;

    /// A step of a 32-image batch of 6 pixels with a 2-D latent.
    fn step_info(shards: usize, iwae_k: usize, seed: u64) -> StepInfo {
        StepInfo {
            step: 3,
            epoch: 0.0,
            shape: [32, 6],
            latent: 2,
            learning_rate: 0.05,
            inject_nan: false,
            shards,
            iwae_k,
            track_encoder_grad: false,
            seed,
        }
    }

    /// Codes of a few fixed inputs, to compare two models' weights through their behaviour.
    fn probe(model: &Autoencoder) -> Vec<f32> {
        let device = Device::flex();
        let x: Vec<f32> = (0..3 * 6).map(|i| ((i * 5) % 7) as f32 / 7.0).collect();
        let (code, _) = model.valid().encode(Tensor::from_data(TensorData::new(x, [3, 6]), &device));
        code.try_into_vec_as::<f32>().unwrap()
    }

    /// With plain SGD the update is proportional to the gradient, so equal changes mean the shards' gradients
    /// (each weighted by its share of the batch, computed on replicas) add up to the whole batch's.
    #[test]
    fn splitting_a_batch_over_threads_gives_the_same_update() {
        let device = Device::flex().autodiff();
        let model = AutoencoderConfig::new(6, vec![5], 2, false).init(&device);
        let before = probe(&model);
        let pixels: Vec<f32> = (0..32 * 6).map(|i| ((i * 7) % 11) as f32 / 10.0).collect();
        let change = |shards: usize| {
            let run = ModelRun {
                kind: ModelKind::Autoencoder,
                model: model.clone(),
                optim: SgdConfig::new().init(),
                diverged: false,
            };
            let info = step_info(shards, 1, 1);
            let (run, outcome) = run.train_step(&pixels, &device, &info);
            let StepOutcome::Trained(point) = outcome else { panic!("{outcome:?}") };
            let delta: Vec<f32> = probe(&run.model).iter().zip(&before).map(|(a, b)| a - b).collect();
            (delta, point.recon)
        };
        let (whole, whole_loss) = change(1);
        let (split, split_loss) = change(2);
        let norm = whole.iter().map(|d| d * d).sum::<f32>().sqrt();
        assert!(norm > 1e-3, "the step must change the model: {whole:?}");
        let diff = whole.iter().zip(&split).map(|(a, b)| (a - b) * (a - b)).sum::<f32>().sqrt();
        assert!(diff < 0.01 * norm, "whole-batch change {whole:?} vs split change {split:?}");
        assert!((whole_loss - split_loss).abs() < 1e-4 * whole_loss, "{whole_loss} vs {split_loss}");
    }

    #[test]
    fn a_split_batch_also_stops_on_nan_and_keeps_the_weights() {
        let device = Device::flex().autodiff();
        let model = AutoencoderConfig::new(6, vec![5], 2, true).init(&device);
        let before = probe(&model);
        let run = ModelRun { kind: ModelKind::Vae, model, optim: AdamConfig::new().init(), diverged: false };
        let info = StepInfo { step: 7, learning_rate: 0.5, inject_nan: true, ..step_info(2, 1, 1) };
        let (run, outcome) = run.train_step(&[0.5; 32 * 6], &device, &info);
        assert!(matches!(outcome, StepOutcome::Diverged { step: 7, .. }), "{outcome:?}");
        assert!(run.diverged);
        assert_eq!(probe(&run.model), before);
    }

    /// The noise of a step comes from the run's seed, not burn's global generator: the same seed gives the same
    /// update bit for bit for the ELBO, the IWAE bound and REINFORCE, over two shards, while another thread draws
    /// from the global generator all along (an evaluation, another tab); another seed gives another update.
    #[test]
    fn a_steps_noise_repeats_by_seed_whatever_other_threads_draw() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let device = Device::flex().autodiff();
        let model = AutoencoderConfig::new(6, vec![5], 2, true).init(&device);
        let pixels: Vec<f32> = (0..32 * 6).map(|i| f32::from(u8::from((i * 7) % 11 < 5))).collect();
        let change = |kind: ModelKind, iwae_k: usize, seed: u64| {
            let run = ModelRun { kind, model: model.clone(), optim: SgdConfig::new().init(), diverged: false };
            let info = step_info(2, iwae_k, seed);
            let (run, outcome) = run.train_step(&pixels, &device, &info);
            assert!(matches!(outcome, StepOutcome::Trained(_)), "{outcome:?}");
            probe(&run.model)
        };
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let _ = Tensor::<2>::random([64, 2], Distribution::Normal(0.0, 1.0), &Device::flex());
                }
            });
            for (kind, k) in [(ModelKind::Vae, 1), (ModelKind::Vae, 3), (ModelKind::VaeReinforce, 1)] {
                let first = change(kind, k, 5);
                assert_eq!(change(kind, k, 5), first, "{kind:?}, K = {k}: the same seed, the same update");
                assert_ne!(change(kind, k, 6), first, "{kind:?}, K = {k}: another seed, another update");
            }
            stop.store(true, Ordering::Relaxed);
        });
    }
}
