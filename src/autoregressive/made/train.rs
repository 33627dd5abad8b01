//! Training MADE: Adam on random minibatches, and the wall-clock budget loop around it.

use std::sync::atomic::AtomicBool;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{Digits, Made};
use crate::autoregressive::ArError;

#[derive(Debug, Default)]
pub(super) struct Scratch {
    pub(super) a: Vec<f32>,
    pub(super) da: Vec<f32>,
    pub(super) l: Vec<f32>,
    pub(super) dl: Vec<f32>,
}

impl Scratch {
    pub(super) fn resize(&mut self, d: usize, h: usize) {
        self.a.resize(h, 0.0);
        self.da.resize(h, 0.0);
        self.l.resize(d, 0.0);
        self.dl.resize(d, 0.0);
    }
}

/// Adam on a MADE, minibatches drawn with a seeded generator; a non-finite loss stops before the update.
pub struct MadeTrainer {
    pub model: Made,
    pub lr: f32,
    pub batch: usize,
    pub steps: usize,
    grads: Made,
    adam: crate::nn::Adam<f32>,
    rng: SmallRng,
    scratch: Scratch,
}

impl MadeTrainer {
    pub fn new(model: Made, lr: f32, batch: usize, seed: u64) -> Self {
        let mut grads = model.zeroed();
        // Masked weights never get a gradient: sparse Adam skips them (most of a MADE's weights).
        let mut adam = crate::nn::Adam::new(grads.blocks_mut().iter().map(|b| b.len()));
        adam.sparse = true;
        Self {
            model,
            lr,
            batch: batch.max(1),
            steps: 0,
            grads,
            adam,
            rng: SmallRng::seed_from_u64(seed ^ 0x5eed),
            scratch: Scratch::default(),
        }
    }

    /// One Adam step on a random minibatch of `train`; returns the minibatch's mean −log p(x) in nats.
    pub fn step(&mut self, train: &Digits) -> Result<f64, ArError> {
        self.model.check_size(train.rows, train.cols)?;
        if train.is_empty() {
            return Err(ArError::BadInput("no training images".into()));
        }
        crate::runtime::steps::record(1);
        for g in self.grads.blocks_mut() {
            g.fill(0.0);
        }
        let mut total = 0.0;
        for _ in 0..self.batch {
            let i = self.rng.random_range(0..train.len());
            total += self.model.accumulate(train.image(i), &train.active[i], &mut self.grads, &mut self.scratch);
        }
        let loss = total / self.batch as f64;
        crate::nn::check_finite(loss, self.grads.blocks_mut().into_iter().map(|g| &g[..]), self.steps + 1)?;
        self.steps += 1;
        let scale = 1.0 / self.batch as f64;
        let grads = self.grads.blocks_mut().into_iter().map(|g| &g[..]);
        let params = self.model.blocks_mut().into_iter().map(|p| &mut p[..]);
        self.adam.step(f64::from(self.lr), scale, params.zip(grads));
        Ok(loss)
    }
}

/// Trains MADE on `train` until `seconds` have passed (or `max_steps`, or `cancel`), calling `progress` with the
/// fraction done and the latest minibatch NLL after each step. Subnormals are flushed while it runs.
pub fn train_for(
    trainer: &mut MadeTrainer,
    train: &Digits,
    seconds: f64,
    max_steps: Option<usize>,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f32, f64),
) -> Result<f64, ArError> {
    let remaining = max_steps.map(|m| m.saturating_sub(trainer.steps));
    let budget = crate::nn::Budget::seconds(seconds).with_steps(remaining);
    let spent = crate::models::float_env::flush_subnormals(|| {
        crate::nn::budget::run(budget, Some(cancel), |fraction| {
            let loss = trainer.step(train)?;
            progress(fraction as f32, loss);
            Ok::<(), ArError>(())
        })
    })?;
    if spent.cancelled {
        return Err(ArError::Cancelled);
    }
    Ok(spent.seconds)
}
