//! `bench diffusion`: the 2-D DDPM's energy distance over repeated draws, and the digits U-Net judged by the classifier.

use std::time::Instant;

use serde::Serialize;

use crate::data::Dataset;
use crate::data::toy2d::{Toy2d, energy_distance};
use crate::diffusion::classifier::{Classifier, classifier_score, most_likely};
use crate::diffusion::digits::{self, Guidance};
use crate::diffusion::sampler::Sampler;
use crate::diffusion::schedule::ScheduleKind;
use crate::diffusion::toy::ToyConfig;
use crate::models::device::{self, DevicePref};
use crate::nn::normal;

use super::BenchArgs;
use super::sample::check_guidance;
use super::train::train_toy;
/// `bench diffusion --data <toy>`'s numbers. The ratio D²(samples, held-out) / D²(N(0, I), held-out) is taken on
/// 1,000 points of each, as the reference measured it; one such draw scatters by ±0.03 even for a perfect model,
/// so it is averaged over [`EVALUATION_DRAWS`] draws (fresh samples, held-out points and noise each time), and the
/// same average for fresh data points in place of samples (a perfect model) is the floor no model can beat.
#[derive(Debug, Serialize)]
pub struct ToyBench {
    pub energy_distance_samples: f64,
    pub energy_distance_noise: f64,
    /// Mean of the draws' ratios, and their standard deviation.
    pub ratio: f64,
    pub ratio_sd: f64,
    /// The mean ratio of fresh data points: what a perfect model would score.
    pub perfect_model_ratio: f64,
    pub steps: usize,
    pub ms_per_step: f64,
    /// One draw of 1,000 DDPM samples.
    pub sampling_seconds: f64,
}

/// How many 1,000-point draws the energy-distance ratio is averaged over.
pub const EVALUATION_DRAWS: u64 = 8;

/// Points per evaluation draw (the reference's 1,000).
pub const EVALUATION_POINTS: usize = 1000;

/// Trains on 10,000 standardised points for `seconds`, then compares DDPM samples (T steps) and N(0, I) points
/// with held-out points by the energy distance, [`EVALUATION_DRAWS`] times.
pub fn bench_toy(toy: Toy2d, seconds: f64, seed: u64) -> anyhow::Result<ToyBench> {
    let config = ToyConfig { seed, ..ToyConfig::default() };
    let (trainer, _) = train_toy(toy.sample_standardised(10_000, seed), &config, seconds, |_, _, _| {})?;
    let n = EVALUATION_POINTS;
    let (mut ratios, mut perfect, mut d_samples, mut d_noise) = (Vec::new(), 0.0, 0.0, 0.0);
    let mut sampling_seconds = 0.0;
    for draw in 0..EVALUATION_DRAWS {
        let heldout = toy.sample_standardised(n, seed + 1000 + draw);
        let start = Instant::now();
        let (samples, _) = trainer.ema.sample(Sampler::Ddpm, n, seed + 7 + draw, false)?;
        sampling_seconds = start.elapsed().as_secs_f64();
        let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(seed + 99 + draw);
        let noise: Vec<[f32; 2]> = (0..n).map(|_| [normal(&mut rng), normal(&mut rng)]).collect();
        let (d, d0) = (energy_distance(&samples, &heldout), energy_distance(&noise, &heldout));
        ratios.push(d / d0);
        perfect += energy_distance(&toy.sample_standardised(n, seed + 5000 + draw), &heldout) / d0;
        d_samples += d;
        d_noise += d0;
    }
    let draws = EVALUATION_DRAWS as f64;
    let ratio = ratios.iter().sum::<f64>() / draws;
    let ratio_sd = (ratios.iter().map(|r| (r - ratio).powi(2)).sum::<f64>() / (draws - 1.0)).sqrt();
    Ok(ToyBench {
        energy_distance_samples: d_samples / draws,
        energy_distance_noise: d_noise / draws,
        ratio,
        ratio_sd,
        perfect_model_ratio: perfect / draws,
        steps: trainer.steps_done,
        ms_per_step: seconds * 1000.0 / trainer.steps_done.max(1) as f64,
        sampling_seconds,
    })
}

/// `bench diffusion --data digits`'s numbers.
#[derive(Debug, Serialize)]
pub struct DigitsBench {
    pub classifier_heldout_accuracy: f64,
    /// The same confidence test on real held-out digits, for reference.
    pub heldout_confident_fraction: f64,
    /// exp(E KL(p(y|x) ‖ p(y))) of the 64 samples (see [`classifier_score`]; at most 10) and of the held-out digits.
    pub classifier_score: f64,
    pub heldout_classifier_score: f64,
    pub samples: usize,
    pub confident_fraction: f64,
    pub class_counts: Vec<usize>,
    /// Classes the checkpoint is conditioned on (0: unconditional), the guidance scale used, and the fraction of
    /// the 64 samples that the classifier gives the label they were asked for (conditional models only).
    pub classes: usize,
    pub guidance: Option<f32>,
    pub asked_label_agreement: Option<f64>,
    /// DDIM steps of the 64 judged samples and the time they took.
    pub judged_ddim_steps: usize,
    pub sample64_seconds: f64,
    pub sample16_ddim50_seconds: f64,
}

pub fn bench(args: &BenchArgs, pref: DevicePref) -> anyhow::Result<()> {
    if let Some(toy) = args.data.toy() {
        let seconds = args.seconds;
        let r = bench_toy(toy, seconds, args.seed)?;
        crate::runtime::report::emit(args.json, &r, |r| {
            println!(
                "{}: D²(samples, data) = {:.4}, D²(N(0, I), data) = {:.4}, ratio {:.3} ± {:.3} over {EVALUATION_DRAWS} draws (a perfect model: {:.3}); {} steps, {:.2} ms/step; 1,000 DDPM samples in {:.2} s",
                toy.label(),
                r.energy_distance_samples,
                r.energy_distance_noise,
                r.ratio,
                r.ratio_sd,
                r.perfect_model_ratio,
                r.steps,
                r.ms_per_step,
                r.sampling_seconds
            );
        })?;
        return Ok(());
    }
    let dataset = Dataset::builtin_mnist()?;
    let device = device::select(pref).0;
    let (model, config) = match &args.model {
        Some(path) => digits::load(path, &device, 28, (ScheduleKind::Linear, 1000))?,
        None => digits::load_shipped(&device)?,
    };
    check_guidance(args.guidance)?;
    let classifier = Classifier::train(&dataset, args.classifier_epochs.max(1), 7);
    let judged = Sampler::Ddim { steps: args.steps.max(1) };
    let guidance = |count| (config.classes > 0).then(|| Guidance::cycling(count, config.classes, args.guidance));
    let asked = guidance(64);
    let start = Instant::now();
    let pixels = digits::sample_digits(&model, &config, judged, 64, args.seed, asked.as_ref(), &device, |_| {})
        .map_err(anyhow::Error::msg)?;
    let t64 = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let timed = Sampler::Ddim { steps: 50 };
    digits::sample_digits(&model, &config, timed, 16, args.seed + 1, guidance(16).as_ref(), &device, |_| {})
        .map_err(anyhow::Error::msg)?;
    let t16 = start.elapsed().as_secs_f64();
    let probabilities = classifier.probabilities(&pixels);
    let predictions: Vec<(usize, f32)> = probabilities.iter().map(|p| most_likely(p)).collect();
    let mut counts = vec![0; classifier.classes];
    for (c, _) in &predictions {
        counts[*c] += 1;
    }
    let confident = predictions.iter().filter(|(_, p)| *p >= 0.9).count();
    let asked_label_agreement = asked.as_ref().filter(|g| g.scale > 0.0).map(|g| {
        let agree = g.labels.iter().zip(&predictions).filter(|(asked, (label, _))| **asked == Some(*label)).count();
        agree as f64 / 64.0
    });
    let real: Vec<f32> = dataset.heldout_range().flat_map(|i| dataset.image(i).iter().copied()).collect();
    let real_probabilities = classifier.probabilities(&real);
    let real_confident = real_probabilities.iter().filter(|p| most_likely(p).1 >= 0.9).count() as f64
        / real_probabilities.len().max(1) as f64;
    let r = DigitsBench {
        classifier_heldout_accuracy: classifier.heldout_accuracy,
        heldout_confident_fraction: real_confident,
        classifier_score: classifier_score(&probabilities),
        heldout_classifier_score: classifier_score(&real_probabilities),
        samples: 64,
        confident_fraction: confident as f64 / 64.0,
        class_counts: counts,
        classes: config.classes,
        guidance: asked.as_ref().map(|g| g.scale),
        asked_label_agreement,
        judged_ddim_steps: args.steps.max(1),
        sample64_seconds: t64,
        sample16_ddim50_seconds: t16,
    };
    crate::runtime::report::emit(args.json, &r, |r| {
        println!(
            "classifier: {:.1} % on the held-out digits, {:.0} % of them labelled with confidence ≥ 0.9; {:.0} % of 64 samples labelled with confidence ≥ 0.9 (target ≥ 80 %); classes {:?}",
            100.0 * r.classifier_heldout_accuracy,
            100.0 * r.heldout_confident_fraction,
            100.0 * r.confident_fraction,
            r.class_counts
        );
        println!(
            "classifier score exp(E KL(p(y|x) ‖ p(y))) (10 at best): samples {:.2}, held-out digits {:.2}",
            r.classifier_score, r.heldout_classifier_score
        );
        if let (Some(w), Some(agreement)) = (r.guidance, r.asked_label_agreement) {
            println!(
                "class-conditional ({} classes): asked for 0, 1, …, 9 in turn with guidance w = {w}; the classifier gives {:.0} % the label asked for",
                r.classes,
                100.0 * agreement
            );
        } else if r.classes > 0 {
            println!("class-conditional ({} classes), sampled without labels (w = 0)", r.classes);
        }
        println!(
            "sampling: 16 digits with 50 DDIM steps in {t16:.2} s (target < 10 s); the 64 judged ({} DDIM steps) in {t64:.2} s",
            r.judged_ddim_steps
        );
    })?;
    Ok(())
}
