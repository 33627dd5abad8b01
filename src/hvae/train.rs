//! Training the hierarchical VAE: shuffled mini-batches of binarised digits, Adam on −ELBO, and a divergence guard
//! that refuses a non-finite loss and puts back the weights from before the step that produced it.

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;

use super::eval::noise;
use super::{Hvae, HvaeConfig, HvaeError};
use crate::data::Dataset;

/// The ELBO's terms of one step, nats per image.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StepTerms {
    pub recon: f64,
    pub kl_z1: f64,
    pub kl_z2: f64,
}

impl StepTerms {
    /// ELBO = −(recon + KL_z₁ + KL_z₂).
    pub fn elbo(&self) -> f64 {
        -(self.recon + self.kl_z1 + self.kl_z2)
    }
}

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainSettings {
    pub batch_size: usize,
    pub learning_rate: f64,
    pub seed: u64,
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self { batch_size: 128, learning_rate: 1e-3, seed: 42 }
    }
}

/// A training run on the train split of a (binarised) dataset.
pub struct HvaeTrainer {
    pub config: HvaeConfig,
    pub settings: TrainSettings,
    model: Hvae,
    /// The weights before the last step (put back if that step made the loss non-finite).
    good: Hvae,
    optim: ModuleOptimizer,
    device: Device,
    pixels: Vec<f32>,
    dim: usize,
    order: Vec<usize>,
    cursor: usize,
    rng: SmallRng,
    pub steps: usize,
}

impl HvaeTrainer {
    /// Binarises nothing: `data` should already be binarised (see [`Dataset::binarised`]).
    pub fn new(config: HvaeConfig, settings: TrainSettings, data: &Dataset) -> Result<Self, HvaeError> {
        Self::new_on(config, settings, data, Self::device())
    }

    /// [`HvaeTrainer::new`] on another autodiff device (`--device`).
    pub fn new_on(
        config: HvaeConfig,
        settings: TrainSettings,
        data: &Dataset,
        device: Device,
    ) -> Result<Self, HvaeError> {
        config.validate().map_err(HvaeError::Invalid)?;
        if data.dim() != config.input_dim {
            return Err(HvaeError::WrongImageSize { expected: config.input_dim, found: data.dim() });
        }
        if data.train_len == 0 {
            return Err(HvaeError::NoData("train on"));
        }
        let lr_ok = settings.learning_rate > 0.0 && settings.learning_rate < 1.0;
        if !(1..=4096).contains(&settings.batch_size) || !lr_ok {
            return Err(HvaeError::Invalid(format!(
                "batch size {} must be in 1..=4096 and the learning rate {} in (0, 1)",
                settings.batch_size, settings.learning_rate
            )));
        }
        device.seed(settings.seed);
        let model = config.init(&device);
        let dim = data.dim();
        Ok(Self {
            good: model.clone(),
            model,
            optim: AdamConfig::new().with_epsilon(1e-8).init(),
            device,
            pixels: data.pixels[..data.train_len * dim].to_vec(),
            dim,
            order: (0..data.train_len).collect(),
            cursor: usize::MAX,
            rng: SmallRng::seed_from_u64(settings.seed),
            config,
            settings,
            steps: 0,
        })
    }

    /// A run that goes on from `model` (loaded onto [`HvaeTrainer::device`]'s kind of device, e.g. from a file) with
    /// a fresh optimiser.
    pub fn from_model(
        config: HvaeConfig,
        settings: TrainSettings,
        data: &Dataset,
        model: Hvae,
    ) -> Result<Self, HvaeError> {
        let mut t = Self::new(config, settings, data)?;
        t.model = model;
        t.good = t.model.clone();
        Ok(t)
    }

    /// The autodiff device training runs on by default (load weights onto it to go on training them).
    pub fn device() -> Device {
        Device::flex().autodiff()
    }

    fn next_batch(&mut self) -> Tensor<2> {
        let b = self.settings.batch_size.min(self.order.len());
        if self.cursor.saturating_add(b) > self.order.len() {
            self.order.shuffle(&mut self.rng);
            self.cursor = 0;
        }
        let idx = &self.order[self.cursor..self.cursor + b];
        self.cursor += b;
        let d = self.dim;
        let flat: Vec<f32> = idx.iter().flat_map(|&i| self.pixels[i * d..(i + 1) * d].iter().copied()).collect();
        Tensor::from_data(TensorData::new(flat, [b, d]), &self.device)
    }

    /// One Adam step on −ELBO. A non-finite loss is refused: the weights from before the previous step are put back
    /// and [`HvaeError::Diverged`] returned.
    pub fn step(&mut self) -> Result<StepTerms, HvaeError> {
        crate::runtime::steps::record(1);
        let x = self.next_batch();
        let [b, _] = x.dims();
        let eps1 = noise(&mut self.rng, b, self.config.z1_dim, &self.device);
        let eps2 = noise(&mut self.rng, b, self.config.z2_dim, &self.device);
        let terms = self.model.terms(x, eps1, eps2);
        let read = |t: &Tensor<1>| f64::from(t.clone().into_scalar::<f32>());
        let out = StepTerms { recon: read(&terms.recon), kl_z1: read(&terms.kl_z1), kl_z2: read(&terms.kl_z2) };
        let loss = -out.elbo();
        if let Err(diverged) = crate::nn::check_finite::<f32>(loss, [], self.steps + 1) {
            self.model = self.good.clone();
            return Err(diverged.into());
        }
        let grads = GradientsParams::from_grads(terms.total().backward(), &self.model);
        self.good = self.model.clone();
        self.model = self.optim.step(self.settings.learning_rate, self.model.clone(), grads);
        self.steps += 1;
        Ok(out)
    }

    /// An inference copy of the current weights (plain CPU device).
    pub fn model(&self) -> Hvae {
        self.model.valid()
    }

    /// Scales every weight by `factor` (for the divergence test: a huge factor makes the next loss infinite).
    #[doc(hidden)]
    pub fn corrupt_for_test(&mut self, factor: f64) {
        self.good = self.model.clone();
        self.model = self.model.clone().map(&mut Scale(factor));
    }
}

struct Scale(f64);

impl burn::module::ModuleMapper for Scale {
    fn map_float<const D: usize>(&mut self, param: burn::module::Param<Tensor<D>>) -> burn::module::Param<Tensor<D>> {
        param.map(|t| t.mul_scalar(self.0))
    }
}
