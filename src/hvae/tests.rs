//! The hierarchical VAE against closed forms and its own bounds.

use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::eval::{digit_bound, log_weights, noise, sample_means};
use super::model::Gauss;
use super::train::{HvaeTrainer, TrainSettings};
use super::{HvaeConfig, HvaeError, Inference, checkpoint};
use crate::data::Dataset;

fn digits() -> Dataset {
    Dataset::builtin_mnist().unwrap().binarised()
}

fn trained(inference: Inference, steps: usize) -> (HvaeTrainer, Dataset) {
    let data = digits();
    let mut t = HvaeTrainer::new(HvaeConfig::new(2, inference), TrainSettings::default(), &data).unwrap();
    for _ in 0..steps {
        t.step().unwrap();
    }
    (t, data)
}

fn row(v: &[f32]) -> Tensor<2> {
    Tensor::from_data(TensorData::new(v.to_vec(), [1, v.len()]), &Device::flex())
}

/// KL(q ‖ N(0, I)) in closed form agrees with a Monte Carlo average of log q(z) − log N(z; 0, I), and KL(q ‖ p)
/// between two Gaussians with the average of log q − log p.
#[test]
#[allow(clippy::many_single_char_names)] // q, p, z, n as in the formulas
fn kl_terms_match_monte_carlo() {
    let device = Device::flex();
    let q = Gauss { mean: row(&[0.5, -1.0]), log_var: row(&[(0.3f32).ln(), (2.0f32).ln()]) };
    let p = Gauss { mean: row(&[-0.2, 0.4]), log_var: row(&[(1.5f32).ln(), (0.7f32).ln()]) };
    let standard = Gauss { mean: row(&[0.0, 0.0]), log_var: row(&[0.0, 0.0]) };
    let n = 200_000;
    let z = q.sample(noise(&mut SmallRng::seed_from_u64(3), n, 2, &device));
    let mc = |other: &Gauss| -> f64 {
        let d = q.log_density(z.clone()) - other.log_density(z.clone());
        f64::from(d.mean().into_scalar::<f32>())
    };
    let closed_std = f64::from(q.kl_standard().into_scalar::<f32>());
    let closed_qp = f64::from(q.kl(&p).into_scalar::<f32>());
    // By hand: ½ Σ (μ² + σ² − 1 − log σ²).
    let by_hand = 0.5 * ((0.25 + 0.3 - 1.0 - 0.3f64.ln()) + (1.0 + 2.0 - 1.0 - 2.0f64.ln()));
    assert!((closed_std - by_hand).abs() < 1e-5, "{closed_std} vs {by_hand}");
    // KL(q‖N(0,I)) is KL(q‖p) with p standard.
    assert!((f64::from(q.kl(&standard).into_scalar::<f32>()) - closed_std).abs() < 1e-5);
    for (closed, other) in [(closed_std, &standard), (closed_qp, &p)] {
        let est = mc(other);
        assert!((est - closed).abs() < 0.02 * closed.max(0.5), "closed {closed} vs Monte Carlo {est}");
    }
}

/// The ELBO's three terms (analytic KLs where they exist) average to the mean log-weight −E[log w], and the
/// ELBO lies below the IWAE bound with K = 50 on several digits, within Monte Carlo error.
#[test]
fn elbo_terms_agree_with_log_weights_and_stay_below_iwae() {
    for inference in Inference::ALL {
        let (t, data) = trained(inference, 60);
        let model = t.model();
        let device = Device::flex();
        let dim = data.dim();
        let mut elbo_sum = 0.0;
        let mut iwae_sum = 0.0;
        let digits: Vec<usize> = data.heldout_range().take(6).collect();
        for &i in &digits {
            let x = &data.pixels[i * dim..(i + 1) * dim];
            // ELBO from the loss terms with many samples of one digit.
            let n = 4000;
            let xs = Tensor::<2>::from_data(TensorData::new(x.repeat(n), [n, dim]), &device);
            let mut rng = SmallRng::seed_from_u64(i as u64);
            let terms = model.terms(xs, noise(&mut rng, n, 2, &device), noise(&mut rng, n, 2, &device));
            let elbo_terms = -f64::from(terms.total().into_scalar::<f32>());
            let log_w = log_weights(&model, x, n, &mut SmallRng::seed_from_u64(100 + i as u64), &device);
            let mean = log_w.iter().sum::<f64>() / n as f64;
            let sd = (log_w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            assert!(
                (elbo_terms - mean).abs() < 5.0 * sd / (n as f64).sqrt() + 0.05,
                "{inference:?} digit {i}: terms {elbo_terms} vs mean log w {mean} (sd {sd})"
            );
            let b = digit_bound(&model, &data.pixels, dim, i, 50, 7, &device);
            assert!(b.iwae >= b.elbo, "log-mean-exp ≥ mean");
            elbo_sum += elbo_terms;
            iwae_sum += b.iwae;
            // Each digit: the ELBO is below L_50 up to the noise of one L_50 draw.
            assert!(
                elbo_terms <= b.iwae + 3.0 * sd / 50f64.sqrt(),
                "{inference:?} digit {i}: ELBO {elbo_terms} > L_50 {}",
                b.iwae
            );
        }
        let k = digits.len() as f64;
        assert!(elbo_sum / k < iwae_sum / k, "{inference:?}: mean ELBO {} ≥ mean L_50 {}", elbo_sum / k, iwae_sum / k);
    }
}

#[test]
fn samples_are_deterministic_with_a_seed() {
    let (t, _) = trained(Inference::BottomUp, 5);
    let model = t.model();
    let device = Device::flex();
    let a = sample_means(&model, 9, 5, &device);
    assert_eq!(a.len(), 9 * 784);
    assert_eq!(a, sample_means(&model, 9, 5, &device));
    assert_ne!(a, sample_means(&model, 9, 6, &device));
    assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn training_raises_the_elbo_and_a_diverging_step_keeps_the_last_good_weights() {
    let data = digits();
    let mut t = HvaeTrainer::new(HvaeConfig::new(8, Inference::BottomUp), TrainSettings::default(), &data).unwrap();
    let first = t.step().unwrap().elbo();
    let mut last = first;
    for _ in 0..150 {
        last = t.step().unwrap().elbo();
    }
    assert!(last > first + 100.0, "ELBO should rise quickly from {first}: {last}");
    let good = sample_means(&t.model(), 4, 1, &Device::flex());
    t.corrupt_for_test(1e30);
    match t.step() {
        Err(HvaeError::Diverged { .. }) => {}
        other => panic!("expected divergence, got {other:?}"),
    }
    assert_eq!(sample_means(&t.model(), 4, 1, &Device::flex()), good, "the weights before the bad step are back");
    assert!(t.step().is_ok(), "training can go on from the good weights");
}

#[test]
fn model_files_round_trip_and_bad_files_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = trained(Inference::FromX, 3);
    let model = t.model();
    let path = dir.path().join("h");
    checkpoint::save(&model, &t.config, t.steps, &path).unwrap();
    let device = Device::flex();
    let (back, config, steps) = checkpoint::load(&path.with_extension("json"), &device).unwrap();
    assert_eq!((config, steps), (t.config.clone(), 3));
    assert_eq!(sample_means(&back, 4, 2, &device), sample_means(&model, 4, 2, &device));
    // Truncated weights.
    let bpk = path.with_extension("bpk");
    let bytes = std::fs::read(&bpk).unwrap();
    std::fs::write(&bpk, &bytes[..bytes.len() / 3]).unwrap();
    let err = checkpoint::load(&path, &device).unwrap_err();
    assert!(matches!(err, HvaeError::BadWeights { .. }), "{err}");
    // Another architecture in the description: the same weights file for a z₁ of 8.
    std::fs::write(&bpk, &bytes).unwrap();
    let other = HvaeConfig { z1_dim: 8, ..t.config.clone() };
    std::fs::write(path.with_extension("json"), serde_json::to_string(&other).unwrap()).unwrap();
    let err = checkpoint::load(&path, &device).unwrap_err();
    assert!(err.to_string().contains("do not fit"), "{err}");
    // An autoencoder's description.
    let ae = r#"{"input_dim": 784, "hidden": [512, 256], "latent_dim": 2, "variational": true}"#;
    std::fs::write(path.with_extension("json"), ae).unwrap();
    let err = checkpoint::load(&path, &device).unwrap_err();
    assert!(err.to_string().contains("it holds a VAE, not a hierarchical VAE"), "{err}");
    // Garbage and a missing file.
    std::fs::write(path.with_extension("json"), "{\"architecture\": \"hierarchical-vae\", \"z1_dim\": ").unwrap();
    assert!(matches!(checkpoint::load(&path, &device), Err(HvaeError::BadConfig { .. })));
    assert!(matches!(checkpoint::load(&dir.path().join("none"), &device), Err(HvaeError::ReadConfig { .. })));
}

#[test]
fn the_leaderboard_row_trains_scores_reports_progress_and_can_be_cancelled() {
    use std::sync::atomic::AtomicBool;
    let data = Dataset::builtin_mnist().unwrap();
    let budget = crate::score::Budget { train_time: std::time::Duration::from_millis(400), seed: 3, heldout_digits: 4 };
    let mut seen = Vec::new();
    let row = super::leaderboard_row(&data, &budget, &AtomicBool::new(false), &mut |f| seen.push(f)).unwrap();
    assert_eq!(row.model, "Hierarchical VAE");
    assert_eq!(row.kind, crate::score::NllKind::IwaeBound { k: 5000 });
    assert_eq!(row.digits, 4);
    assert!(row.steps > 0 && row.train_seconds >= 0.4, "{row:?}");
    // −L_K of a briefly trained model: a finite, positive number of nats.
    assert!(row.nll_nats.is_finite() && row.nll_nats > 0.0 && row.std_error >= 0.0, "{row:?}");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress only grows: {seen:?}");
    assert_eq!(seen.last().copied(), Some(1.0));
    let cancelled = super::leaderboard_row(&data, &budget, &AtomicBool::new(true), &mut |_| {});
    assert_eq!(cancelled, Err(HvaeError::Cancelled));
}
