//! The leaderboard's VAE rows: a VAE trained on the ELBO or an IWAE trained on L_K, for a time budget on the
//! binarised digits, then scored with the IWAE bound L_5000 on held-out digits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use burn::tensor::Device;

use super::{Budget, NllKind, Row};
use crate::data::Dataset;
use crate::train::evaluation::{EvalJob, EvalRequest};
use crate::train::{ModelKind, StepOutcome, TrainConfig, TrainError, TrainSession};

/// Importance samples of the score: L_5000 is within a fraction of a nat of log p(x) for these models.
pub const SCORE_K: usize = 5000;

/// Why a VAE row could not be made.
#[derive(Debug, thiserror::Error)]
pub enum VaeRowError {
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error("{model} diverged at step {step}: {message}")]
    Diverged { model: String, step: u64, message: String },
    #[error(transparent)]
    Bounds(#[from] crate::models::bounds::BoundsError),
    #[error("cancelled")]
    Cancelled,
    #[error("the dataset has no held-out digits to score")]
    NoHeldout,
}

/// Which objective the VAE trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    /// The ELBO (K = 1).
    Elbo,
    /// The importance-weighted bound L_K.
    Iwae { k: usize },
}

impl Objective {
    /// Row label.
    pub fn label(self, latent_dim: usize) -> String {
        match self {
            Self::Elbo => format!("VAE (ELBO, {latent_dim}-D latent)"),
            Self::Iwae { k } => format!("IWAE (K = {k}, {latent_dim}-D latent)"),
        }
    }

    fn k(self) -> usize {
        match self {
            Self::Elbo => 1,
            Self::Iwae { k } => k,
        }
    }
}

/// Trains a VAE with `objective` on the binarised train split of `data` for `budget.train_time`, then scores the
/// first `budget.heldout_digits` held-out digits with L_5000. `progress` gets the fraction done (training is the
/// first half, scoring the second); `cancel` is polled between steps and chunks.
#[allow(clippy::too_many_arguments)]
pub fn leaderboard_row(
    data: &Dataset,
    objective: Objective,
    latent_dim: usize,
    budget: &Budget,
    device: &Device,
    cpu_threads: usize,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f32),
) -> Result<Row, VaeRowError> {
    let binary = Arc::new(data.binarised());
    let config = TrainConfig {
        latent_dim,
        iwae_k: objective.k(),
        seed: budget.seed,
        models: vec![ModelKind::Vae],
        ..TrainConfig::default()
    };
    let mut session = TrainSession::new(config, binary.clone(), device)?.with_cpu_threads(cpu_threads);
    let seconds = budget.train_time.as_secs_f64().max(1e-3);
    let spent = crate::nn::budget::run(crate::nn::Budget::seconds(seconds), Some(cancel), |fraction| {
        for (_, outcome) in session.step() {
            if let StepOutcome::Diverged { step, message } = outcome {
                return Err(VaeRowError::Diverged { model: objective.label(latent_dim), step, message });
            }
        }
        progress(0.5 * fraction as f32);
        Ok(())
    })?;
    if spent.cancelled {
        return Err(VaeRowError::Cancelled);
    }
    let (steps, train_seconds) = (spent.steps, spent.wall_seconds);
    let model = session.inference_model(ModelKind::Vae).ok_or(TrainError::NoModel(ModelKind::Vae))?;
    let items = binary.heldout_range().take(budget.heldout_digits.max(1));
    let pixels: Vec<f32> = items.flat_map(|i| binary.image(i).iter().copied()).collect();
    if pixels.is_empty() {
        return Err(VaeRowError::NoHeldout);
    }
    let request = EvalRequest { ks: vec![SCORE_K], grid: None, half_width: 6.0 };
    let mut job = EvalJob::new(model, pixels, binary.dim(), request, cpu_threads, device.clone().without_autodiff())?;
    while !job.step() {
        if cancel.load(Ordering::Relaxed) {
            return Err(VaeRowError::Cancelled);
        }
        progress(0.5 + 0.5 * job.progress() as f32);
    }
    progress(1.0);
    let result = job.result();
    let row = result.bounds.first().ok_or(VaeRowError::NoHeldout)?;
    Ok(Row {
        model: objective.label(latent_dim),
        nll_nats: -row.estimate.mean,
        std_error: row.estimate.stderr,
        kind: NllKind::IwaeBound { k: SCORE_K },
        digits: result.per_digit.first().map_or(0, Vec::len),
        train_seconds,
        steps,
    })
}
