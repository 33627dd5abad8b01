//! The hierarchical VAE's leaderboard row: train (bottom-up inference) for the budget's time on the binarised train
//! split, then score the first held-out digits by the IWAE bound with K = 5000.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use burn::prelude::*;

use super::eval::bounds_on_threads;
use super::train::{HvaeTrainer, TrainSettings};
use super::{HvaeConfig, HvaeError, Inference};
use crate::data::Dataset;
use crate::score::{Budget, NllKind, Row};

/// Importance samples per held-out digit.
pub const K: usize = 5000;
/// Digits scored per progress report (and per check of `cancel`).
const DIGITS_PER_REPORT: usize = 16;

/// Trains for `budget.train_time` and scores `budget.heldout_digits` held-out digits by −L₅₀₀₀ (nats, mean and
/// standard error). `progress` gets the fraction done (training is the first 70 %); `cancel` stops at the next step
/// or batch of digits with [`HvaeError::Cancelled`].
pub fn leaderboard_row(
    data: &Dataset,
    budget: &Budget,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f32),
) -> Result<Row, HvaeError> {
    let data = data.binarised();
    let config = HvaeConfig { input_dim: data.dim(), ..HvaeConfig::new(8, Inference::BottomUp) };
    let settings = TrainSettings { seed: budget.seed, ..TrainSettings::default() };
    let digits = budget.heldout_digits.min(data.heldout_range().len());
    if digits == 0 {
        return Err(HvaeError::NoData("score (no held-out digits)"));
    }
    let start = Instant::now();
    let limit = budget.train_time.as_secs_f64();
    let mut trainer = HvaeTrainer::new(config, settings, &data)?;
    let mut last_report = Instant::now();
    let run = crate::models::float_env::flush_subnormals(|| {
        crate::nn::budget::run(crate::nn::Budget::seconds(limit), Some(cancel), |fraction| {
            trainer.step()?;
            if last_report.elapsed().as_secs_f64() > 0.2 {
                last_report = Instant::now();
                progress(0.7 * fraction as f32);
            }
            Ok(())
        })
    });
    match run {
        Ok(spent) if spent.cancelled => return Err(HvaeError::Cancelled),
        // The guard put the last good weights back: score those rather than lose the run.
        Ok(_) | Err(HvaeError::Diverged(_)) => {}
        Err(e) => return Err(e),
    }
    let train_seconds = start.elapsed().as_secs_f64();
    progress(0.7);
    let model = trainer.model();
    let device = Device::flex();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let first = data.train_len;
    let mut nll = Vec::with_capacity(digits);
    while nll.len() < digits {
        if cancel.load(Ordering::Relaxed) {
            return Err(HvaeError::Cancelled);
        }
        let from = first + nll.len();
        let to = (from + DIGITS_PER_REPORT * threads).min(first + digits);
        let seed = budget.seed.wrapping_add(1);
        nll.extend(
            bounds_on_threads(&model, &data.pixels, data.dim(), from..to, (K, seed), threads, &device)
                .iter()
                .map(|b| -b.iwae),
        );
        progress((0.7 + 0.3 * nll.len() as f32 / digits as f32).min(1.0));
    }
    progress(1.0);
    let (mean, std_error) = mean_and_std_error(&nll);
    let steps = trainer.steps;
    Ok(Row {
        model: "Hierarchical VAE".into(),
        nll_nats: mean,
        std_error,
        kind: NllKind::IwaeBound { k: K },
        digits,
        train_seconds,
        steps,
    })
}

/// Mean and standard error of the mean (sample standard deviation / √n; 0 for fewer than two values).
pub fn mean_and_std_error(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    if v.is_empty() {
        return (f64::NAN, 0.0);
    }
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (mean, 0.0);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_error_matches_the_textbook() {
        let (m, se) = mean_and_std_error(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        // s² = (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3; se = √(5/12).
        assert!((se - (5.0f64 / 12.0).sqrt()).abs() < 1e-12);
        assert_eq!(mean_and_std_error(&[7.0]), (7.0, 0.0));
    }
}
