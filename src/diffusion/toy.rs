//! The 2-D diffusion model: an ε-prediction MLP with a sinusoidal time embedding, its training loop, sampling,
//! and the ELBO's per-step terms L_t (pure: no egui, no threads).
//!
//! Training minimises E ‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖² over data x_0, t ~ U{1 … T} and ε ~ N(0, I).

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::mlp::{Mlp, Tape};
use super::sampler::{self, Sampler};
use super::schedule::{Schedule, ScheduleError, ScheduleKind};
use crate::nn::Adam;
use crate::nn::normal;

/// Frequencies of the time embedding (each gives a sine and a cosine).
pub const FREQUENCIES: usize = 8;
/// Inputs of the network: the point and the time embedding.
pub const INPUTS: usize = 2 + 2 * FREQUENCIES;

/// Writes the embedding of step t of T: sin and cos of (1000 t/T)·1000^(−k/K), k = 0 … K − 1.
pub fn time_embedding(t: usize, steps: usize, out: &mut [f32]) {
    let pos = 1000.0 * t as f32 / steps.max(1) as f32;
    for k in 0..FREQUENCIES {
        let w = 1000_f32.powf(-(k as f32) / FREQUENCIES as f32);
        out[2 * k] = (pos * w).sin();
        out[2 * k + 1] = (pos * w).cos();
    }
}

/// Settings of a 2-D model and its training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToyConfig {
    pub schedule: ScheduleKind,
    pub steps: usize,
    pub hidden: Vec<usize>,
    pub learning_rate: f32,
    pub batch: usize,
    pub seed: u64,
}

impl Default for ToyConfig {
    fn default() -> Self {
        Self {
            schedule: ScheduleKind::Linear,
            steps: 200,
            hidden: vec![128, 128, 128],
            learning_rate: 2e-3,
            batch: 256,
            seed: 42,
        }
    }
}

/// A trained (or training) 2-D noise predictor: the network and the schedule it was trained with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToyModel {
    /// Always "ddpm-mlp-2d" (checked when a file is read).
    pub architecture: String,
    pub schedule: ScheduleKind,
    pub steps: usize,
    pub net: Mlp,
    /// The optimiser steps these weights were trained for (files from before it was saved: 0).
    #[serde(default)]
    pub trained_steps: usize,
}

/// Every state of a reverse pass, x_T first: `[state][point]`.
pub type Trajectory = Vec<Vec<[f32; 2]>>;

/// The architecture tag of [`ToyModel`] files.
pub const TOY_ARCHITECTURE: &str = "ddpm-mlp-2d";

impl ToyModel {
    pub fn new(config: &ToyConfig) -> Result<Self, ScheduleError> {
        Schedule::new(config.schedule, config.steps)?;
        let mut widths = vec![INPUTS];
        widths.extend(&config.hidden);
        widths.push(2);
        Ok(Self {
            architecture: TOY_ARCHITECTURE.into(),
            schedule: config.schedule,
            steps: config.steps,
            net: Mlp::new(&widths, config.seed),
            trained_steps: 0,
        })
    }

    /// The schedule (validated when the model was made or read).
    pub fn schedule(&self) -> Result<Schedule, ScheduleError> {
        Schedule::new(self.schedule, self.steps)
    }

    /// The network's input rows for points `x` (flat, 2 per point) at steps `ts` (one per point).
    fn inputs(&self, x: &[f32], ts: &[usize]) -> Vec<f32> {
        let mut input = vec![0.0_f32; ts.len() * INPUTS];
        for (n, row) in input.chunks_exact_mut(INPUTS).enumerate() {
            row[0] = x[2 * n];
            row[1] = x[2 * n + 1];
            time_embedding(ts[n], self.steps, &mut row[2..]);
        }
        input
    }

    /// ε_θ(x, t) for every point of `x` (flat) at the same step `t`.
    #[must_use]
    pub fn predict(&self, x: &[f32], t: usize) -> Vec<f32> {
        let ts = vec![t; x.len() / 2];
        self.net.forward(&self.inputs(x, &ts), ts.len(), None)
    }

    /// Samples `count` points with `sampler`; with `keep_trajectory`, also every intermediate state
    /// (`[state][point]`, x_T first).
    pub fn sample(
        &self,
        sampler: Sampler,
        count: usize,
        seed: u64,
        keep_trajectory: bool,
    ) -> Result<(Vec<[f32; 2]>, Trajectory), ScheduleError> {
        let schedule = self.schedule()?;
        let mut trajectory = Vec::new();
        let x = sampler::sample(
            &schedule,
            sampler,
            count,
            2,
            seed,
            None,
            |x, t| self.predict(x, t),
            |x| {
                if keep_trajectory {
                    trajectory.push(pairs(x));
                }
            },
        );
        Ok((pairs(&x), trajectory))
    }

    /// The ELBO's terms for data `x0`: L_t = E KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t)) for t = 2 … T with
    /// p_θ's variance fixed to β̃_t, which is c₀²(1 − ᾱ_t)/ᾱ_t ‖ε − ε_θ‖² / (2β̃_t); one noise draw per point.
    /// Also returns L_T's prior term KL(q(x_T | x_0) ‖ N(0, I)), averaged over the points. In nats per point.
    pub fn elbo_terms(&self, x0: &[[f32; 2]], seed: u64) -> Result<(Vec<(usize, f64)>, f64), ScheduleError> {
        let s = self.schedule()?;
        let mut rng = SmallRng::seed_from_u64(seed);
        let flat: Vec<f32> = x0.iter().flatten().copied().collect();
        let n = x0.len().max(1) as f64;
        let mut terms = Vec::with_capacity(s.steps());
        for t in 2..=s.steps() {
            let eps: Vec<f32> = (0..flat.len()).map(|_| normal(&mut rng)).collect();
            let xt = s.add_noise(&flat, &eps, t);
            let pred = self.predict(&xt, t);
            let sq: f64 = eps.iter().zip(&pred).map(|(a, b)| f64::from(a - b).powi(2)).sum::<f64>() / n;
            let (c0, _) = s.posterior_coefs(t);
            let ab = s.alpha_bar(t);
            terms.push((t, c0 * c0 * (1.0 - ab) / ab * sq / (2.0 * s.posterior_variance(t))));
        }
        let ab = s.alpha_bar(s.steps());
        let prior =
            flat.iter().map(|&v| 0.5 * ((1.0 - ab) + ab * f64::from(v).powi(2) - 1.0 - (1.0 - ab).ln())).sum::<f64>()
                / n;
        Ok((terms, prior))
    }
}

fn pairs(x: &[f32]) -> Vec<[f32; 2]> {
    x.chunks_exact(2).map(|p| [p[0], p[1]]).collect()
}

pub use crate::nn::Diverged;

/// Trains a [`ToyModel`] on a fixed set of points, one mini-batch per [`ToyTrainer::step`]. Keeps an exponential
/// moving average of the weights (decay 0.995) for sampling, as DDPM does.
pub struct ToyTrainer {
    pub model: ToyModel,
    pub ema: ToyModel,
    schedule: Schedule,
    adam: Adam<f32>,
    lr: f32,
    data: Vec<[f32; 2]>,
    rng: SmallRng,
    batch: usize,
    tape: Tape,
    pub steps_done: usize,
}

impl ToyTrainer {
    pub fn new(data: Vec<[f32; 2]>, config: &ToyConfig) -> Result<Self, ScheduleError> {
        let model = ToyModel::new(config)?;
        let schedule = model.schedule()?;
        Ok(Self {
            adam: Adam::new(model.net.block_lens()),
            lr: config.learning_rate,
            ema: model.clone(),
            model,
            schedule,
            data,
            rng: SmallRng::seed_from_u64(config.seed ^ 0xd1ff),
            batch: config.batch.max(1),
            tape: Tape::default(),
            steps_done: 0,
        })
    }

    /// Goes on training `model` (e.g. read from a file) on `data`: its weights start both the network and the moving
    /// average, the step count goes on from `trained_steps`; Adam starts afresh. The schedule is the model's.
    pub fn from_model(data: Vec<[f32; 2]>, model: ToyModel, config: &ToyConfig) -> Result<Self, ScheduleError> {
        let config = ToyConfig { schedule: model.schedule, steps: model.steps, ..config.clone() };
        let mut trainer = Self::new(data, &config)?;
        trainer.adam = Adam::new(model.net.block_lens());
        trainer.steps_done = model.trained_steps;
        trainer.ema = model.clone();
        trainer.model = model;
        Ok(trainer)
    }

    /// One Adam step on a random mini-batch; returns the batch's mean squared error per coordinate.
    pub fn step(&mut self) -> Result<f32, Diverged> {
        if self.data.is_empty() {
            return Ok(0.0);
        }
        crate::runtime::steps::record(1);
        let b = self.batch;
        let big_t = self.schedule.steps();
        let mut x0 = Vec::with_capacity(2 * b);
        let mut ts = Vec::with_capacity(b);
        for _ in 0..b {
            let p = self.data[self.rng.random_range(0..self.data.len())];
            x0.extend_from_slice(&p);
            ts.push(self.rng.random_range(1..=big_t));
        }
        let eps: Vec<f32> = (0..2 * b).map(|_| normal(&mut self.rng)).collect();
        let mut xt = vec![0.0_f32; 2 * b];
        for n in 0..b {
            let ab = self.schedule.alpha_bar(ts[n]);
            let (a, s) = (ab.sqrt() as f32, (1.0 - ab).sqrt() as f32);
            for d in 0..2 {
                xt[2 * n + d] = a * x0[2 * n + d] + s * eps[2 * n + d];
            }
        }
        let input = self.model.inputs(&xt, &ts);
        let pred = self.model.net.forward(&input, b, Some(&mut self.tape));
        let scale = 2.0 / (2 * b) as f32;
        let mut loss = 0.0_f32;
        let d_out: Vec<f32> = pred
            .iter()
            .zip(&eps)
            .map(|(p, e)| {
                loss += (p - e) * (p - e);
                scale * (p - e)
            })
            .collect();
        loss /= (2 * b) as f32;
        crate::nn::check_finite::<f32>(f64::from(loss), [], self.steps_done + 1)?;
        let grads = self.model.net.backward(&mut self.tape, &d_out);
        let before = self.model.net.clone();
        self.model.net.adam_step(&mut self.adam, self.lr, &grads);
        if !self.model.net.is_finite() {
            self.model.net = before;
            return Err(Diverged { step: self.steps_done + 1 });
        }
        self.steps_done += 1;
        self.ema.trained_steps = self.steps_done;
        self.model.trained_steps = self.steps_done;
        // EMA with a warm-up (1 + n)/(10 + n), capped at 0.995, so early snapshots are not dominated by the init.
        let n = self.steps_done as f32;
        let decay = ((1.0 + n) / (10.0 + n)).min(0.995);
        for (e, m) in self.ema.net.layers.iter_mut().zip(&self.model.net.layers) {
            for (a, b) in e.w.iter_mut().zip(&m.w).chain(e.b.iter_mut().zip(&m.b)) {
                *a = decay * *a + (1.0 - decay) * b;
            }
        }
        Ok(loss)
    }

    /// Sets the learning rate (e.g. for a decay over a fixed time budget).
    pub fn set_learning_rate(&mut self, lr: f32) {
        self.lr = lr;
    }
}

/// The text of a 2-D model file (the one envelope, `"kind": "ddpm-2d"`).
pub fn write_toy_model(model: &ToyModel) -> Result<String, String> {
    crate::runtime::envelope::wrap(crate::runtime::envelope::FileKind::Ddpm2d, model)
}

/// Reads a 2-D model file (JSON) and checks it is one.
pub fn read_toy_model(text: &str) -> Result<ToyModel, String> {
    let model: ToyModel = crate::runtime::envelope::read_as(text, crate::runtime::envelope::FileKind::Ddpm2d)?;
    if model.architecture != TOY_ARCHITECTURE {
        return Err(format!("architecture \"{}\" is not {TOY_ARCHITECTURE}", model.architecture));
    }
    model.schedule().map_err(|e| e.to_string())?;
    let widths_ok = model.net.input_dim() == INPUTS
        && model.net.output_dim() == 2
        && model.net.layers.len() <= 16
        && model.net.layers.iter().all(|l| l.outputs <= 4096)
        && model.net.layers.windows(2).all(|w| w[0].outputs == w[1].inputs)
        && model
            .net
            .layers
            .iter()
            .all(|l| Some(l.w.len()) == l.inputs.checked_mul(l.outputs) && l.b.len() == l.outputs);
    if !widths_ok {
        return Err("the layer sizes do not fit together (corrupt file?)".into());
    }
    if !model.net.layers.iter().all(|l| l.w.iter().chain(&l.b).all(|v| v.is_finite())) {
        return Err("some weights are NaN or infinite (a model saved after its training diverged?)".into());
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::toy2d::Toy2d;

    #[test]
    fn training_goes_on_from_a_saved_model_and_its_step_count() {
        let data = Toy2d::Moons.sample_standardised(500, 1);
        let config = ToyConfig { hidden: vec![16, 16], steps: 30, ..ToyConfig::default() };
        let mut first = ToyTrainer::new(data.clone(), &config).unwrap();
        for _ in 0..40 {
            first.step().unwrap();
        }
        let text = write_toy_model(&first.ema).unwrap();
        let saved = read_toy_model(&text).unwrap();
        assert_eq!(saved.trained_steps, 40, "the file records the steps");
        // Another schedule in the settings: the model's own (T = 30, linear) wins.
        let other = ToyConfig { steps: 99, schedule: ScheduleKind::Cosine, ..config };
        let mut again = ToyTrainer::from_model(data, saved.clone(), &other).unwrap();
        assert_eq!((again.steps_done, again.model.steps, again.model.schedule), (40, 30, ScheduleKind::Linear));
        assert_eq!(again.model.net, saved.net, "the weights are the file's");
        again.step().unwrap();
        assert_eq!((again.steps_done, again.ema.trained_steps), (41, 41));
        assert_ne!(again.model.net, saved.net, "and they train on");
    }

    #[test]
    fn training_lowers_the_loss_and_samples_have_the_right_shape() {
        let data = Toy2d::Moons.sample_standardised(2000, 1);
        let config = ToyConfig { hidden: vec![32, 32], steps: 50, ..ToyConfig::default() };
        let mut trainer = ToyTrainer::new(data.clone(), &config).unwrap();
        let first: f32 = (0..20).map(|_| trainer.step().unwrap()).sum::<f32>() / 20.0;
        for _ in 0..300 {
            trainer.step().unwrap();
        }
        let last: f32 = (0..20).map(|_| trainer.step().unwrap()).sum::<f32>() / 20.0;
        assert!(last < first, "{first} → {last}");
        let (x, traj) = trainer.ema.sample(Sampler::Ddim { steps: 10 }, 30, 1, true).unwrap();
        assert_eq!(x.len(), 30);
        assert_eq!(traj.len(), 11);
        assert_eq!(traj[10], x);
        let (terms, prior) = trainer.ema.elbo_terms(&data[..100], 3).unwrap();
        assert_eq!(terms.len(), 49);
        assert!(terms.iter().all(|(_, l)| l.is_finite() && *l >= 0.0));
        assert!((0.0..0.1).contains(&prior), "prior term {prior}");
    }

    #[test]
    fn divergence_stops_training_and_keeps_finite_weights() {
        let data = Toy2d::Rings.sample_standardised(500, 2);
        let config = ToyConfig { hidden: vec![16], steps: 50, learning_rate: 1e30, ..ToyConfig::default() };
        let mut trainer = ToyTrainer::new(data, &config).unwrap();
        let err = (0..20).find_map(|_| trainer.step().err()).expect("a learning rate of 1e30 diverges");
        assert!(err.to_string().contains("last good weights are kept"), "{err}");
        assert!(trainer.model.net.is_finite() && trainer.ema.net.is_finite());
    }

    #[test]
    fn model_files_round_trip_and_bad_ones_are_refused() {
        let model = ToyModel::new(&ToyConfig { hidden: vec![8], ..ToyConfig::default() }).unwrap();
        let text = write_toy_model(&model).unwrap();
        assert_eq!(read_toy_model(&text).unwrap(), model);
        let before_the_envelope = serde_json::to_string(&model).unwrap();
        assert_eq!(read_toy_model(&before_the_envelope).unwrap(), model);
        let other = text.replace(TOY_ARCHITECTURE, "unet");
        assert!(read_toy_model(&other).unwrap_err().contains("architecture"));
        let bad_steps = text.replace("\"steps\":200", "\"steps\":0");
        assert!(read_toy_model(&bad_steps).unwrap_err().contains("T = 0"));
        assert!(read_toy_model("{").is_err());
        // 1e39 is past f32's range: it reads as infinity, and is refused.
        let mut poisoned = model.clone();
        poisoned.net.layers[0].b[0] = 0.123_456_79;
        let poisoned = serde_json::to_string(&poisoned).unwrap().replacen("0.12345679", "1e39", 1);
        assert!(read_toy_model(&poisoned).unwrap_err().contains("NaN or infinite"), "{poisoned:.80}");
        assert!(ToyModel::new(&ToyConfig { steps: 0, ..ToyConfig::default() }).is_err());
    }

    #[test]
    fn time_embedding_is_bounded_and_distinguishes_steps() {
        let mut a = [0.0; 2 * FREQUENCIES];
        let mut b = [0.0; 2 * FREQUENCIES];
        time_embedding(10, 200, &mut a);
        time_embedding(11, 200, &mut b);
        assert!(a.iter().all(|v| v.abs() <= 1.0));
        assert!(a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f32>() > 0.1);
    }
}
