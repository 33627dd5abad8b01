//! The diffusion commands' flags and work: `train ddpm`, the diffusion arms of `sample FILE`, `bench diffusion` and
//! `average` (the command tree is `crate::cli`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::classifier::{Classifier, classifier_score, most_likely};
use super::digits::{self, DigitsTrainer, Guidance};
use super::sampler::Sampler;
use super::schedule::ScheduleKind;
use super::toy::{ToyConfig, ToyTrainer, read_toy_model};
use super::unet::UNetConfig;
use crate::data::Dataset;
use crate::data::toy2d::{Toy2d, energy_distance};
use crate::models::device::{self, DevicePref};
use crate::models::float_env::flush_subnormals;
use crate::nn::normal;
use crate::runtime::progress::Progress;
use crate::runtime::train_flags::TrainFlags;

/// What a diffusion model learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffData {
    Moons,
    Rings,
    Gaussians,
    SwissRoll,
    /// The built-in 28×28 MNIST digits (U-Net).
    Digits,
}

impl DiffData {
    fn toy(self) -> Option<Toy2d> {
        match self {
            Self::Moons => Some(Toy2d::Moons),
            Self::Rings => Some(Toy2d::Rings),
            Self::Gaussians => Some(Toy2d::Gaussians),
            Self::SwissRoll => Some(Toy2d::SwissRoll),
            Self::Digits => None,
        }
    }
}

#[derive(Debug, Args)]
pub struct AverageArgs {
    /// Two or more U-Net checkpoints (FILE.bpk + FILE.json each).
    #[arg(required = true, num_args = 2..)]
    pub models: Vec<PathBuf>,
    /// Where to write the averaged checkpoint (FILE.bpk + FILE.json).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct DdpmArgs {
    #[arg(long, value_enum, default_value_t = DiffData::Moons)]
    pub data: DiffData,
    #[arg(long, value_enum, default_value_t = ScheduleKind::Linear)]
    pub schedule: ScheduleKind,
    /// Diffusion steps T (default 200 for 2-D data, 1000 for digits).
    #[arg(long = "timesteps", value_parser = crate::bounds::within(1, crate::bounds::SAMPLING_STEPS))]
    pub timesteps: Option<usize>,
    /// Batch size (default 256 for 2-D data, 32 for digits).
    #[arg(long, value_parser = crate::bounds::batch())]
    pub batch_size: Option<usize>,
    /// Peak learning rate (cosine decay to a tenth over the run; default 2e-3 for 2-D, 1e-3 for digits).
    #[arg(long, value_parser = crate::bounds::learning_rate)]
    pub lr: Option<f64>,
    /// Digits: U-Net channels at 28, 14 and 7 pixels (multiples of 8).
    #[arg(long, value_delimiter = ',', default_value = "8,16,32", value_parser = crate::bounds::within(8, 512))]
    pub channels: Vec<usize>,
    /// Digits: continue training a saved U-Net (FILE.bpk + FILE.json; its channels and schedule are used).
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Digits: condition the U-Net on the digit's label (10 for MNIST), for classifier-free guidance. With
    /// --resume of an unconditional U-Net, the class embedding is added at zero and trained from there.
    #[arg(long, value_parser = crate::bounds::within(0, 1000))]
    pub classes: Option<usize>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[arg(long, value_enum, default_value_t = DiffData::Moons)]
    pub data: DiffData,
    /// 2-D training time.
    #[arg(long, default_value_t = 60.0, value_parser = crate::bounds::seconds)]
    pub seconds: f64,
    /// Digits: the checkpoint to judge (default: the shipped one).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Digits: DDIM steps for the 64 judged samples (the timing of 16 digits always uses 50).
    #[arg(long, default_value_t = 50, value_parser = crate::bounds::within(1, crate::bounds::SAMPLING_STEPS))]
    pub steps: usize,
    /// Digits: passes over the training digits for the judging classifier. At 20 its held-out accuracy has levelled
    /// off (4: 91.3 %, 20: 93.8 %, 40: 94.1 %) and it labels 89 % of real held-out digits with confidence ≥ 0.9;
    /// at 4 that is 74 %, so even perfect samples could not reach the 80 % target.
    #[arg(long, default_value_t = 20, value_parser = crate::bounds::within(1, 1000))]
    pub classifier_epochs: usize,
    /// Digits, class-conditional checkpoints: the 64 judged samples ask for 0, 1, …, 9 in turn with this
    /// classifier-free guidance scale w (0: unconditional, "no label"). The 16 timed ones use it too.
    #[arg(long, default_value_t = digits::DEFAULT_GUIDANCE)]
    pub guidance: f32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long)]
    pub json: bool,
}

/// `latent-lab average A B … --out C`
pub fn average(args: &AverageArgs) -> anyhow::Result<()> {
    let (model, config) = digits::average(&args.models, &burn::prelude::Device::flex())?;
    let saved = digits::save(&model, &config, &args.out)?;
    println!("the mean of {} U-Nets → {}", args.models.len(), saved.display());
    Ok(())
}

/// Cosine decay from `peak` to `peak / 10` as `fraction` goes from 0 to 1.
fn decayed(peak: f64, fraction: f64) -> f64 {
    let f = fraction.clamp(0.0, 1.0);
    peak * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * f).cos()))
}

/// What `train ddpm` reports.
#[derive(Debug, Serialize)]
pub struct DdpmReport {
    pub data: String,
    pub steps: usize,
    pub seconds: f64,
    pub ms_per_step: f64,
    pub final_loss: f64,
    pub saved_to: Option<String>,
}

/// Trains a 2-D model for `seconds` (cosine learning-rate decay over the time budget); returns the trainer.
pub fn train_toy(
    data: Vec<[f32; 2]>,
    config: &ToyConfig,
    seconds: f64,
    mut progress: impl FnMut(usize, f32, f64),
) -> anyhow::Result<(ToyTrainer, f64)> {
    let mut trainer = ToyTrainer::new(data, config)?;
    let mut smooth = f64::NAN;
    flush_subnormals(|| {
        crate::nn::budget::run(crate::nn::Budget::seconds(seconds), None, |fraction| {
            trainer.set_learning_rate(decayed(f64::from(config.learning_rate), fraction) as f32);
            let loss = f64::from(trainer.step()?);
            smooth = if smooth.is_nan() { loss } else { 0.98 * smooth + 0.02 * loss };
            if trainer.steps_done % 20 == 0 {
                progress(trainer.steps_done, smooth as f32, fraction * seconds);
            }
            Ok::<(), super::toy::Diverged>(())
        })
    })?;
    Ok((trainer, smooth))
}

/// `latent-lab train ddpm …`: the 2-D ε-model, or the digits U-Net with `--data digits`.
pub fn train(args: &DdpmArgs, flags: &TrainFlags, pref: DevicePref) -> anyhow::Result<()> {
    flags.check_out()?;
    let seed = flags.seed_or(42);
    if let Some(toy) = args.data.toy() {
        let seconds = flags.seconds_or(60.0);
        let config = ToyConfig {
            schedule: args.schedule,
            steps: args.timesteps.unwrap_or(200),
            batch: args.batch_size.unwrap_or(256),
            learning_rate: args.lr.unwrap_or(2e-3) as f32,
            seed,
            ..ToyConfig::default()
        };
        let bar = Progress::new(seconds, "s");
        let (trainer, loss) = train_toy(toy.sample_standardised(10_000, seed), &config, seconds, |step, loss, t| {
            bar.set(t, format!("step {step}  loss {loss:.4}"));
        })?;
        bar.finish();
        let saved_to = match &flags.out {
            Some(path) => {
                let path = crate::runtime::files::with_added_extension(path, "json");
                crate::runtime::files::write_atomic(
                    &path,
                    super::toy::write_toy_model(&trainer.ema).map_err(anyhow::Error::msg)?.as_bytes(),
                )
                .with_context(|| format!("cannot write {}", path.display()))?;
                Some(path.display().to_string())
            }
            None => None,
        };
        let report = DdpmReport {
            data: toy.label().into(),
            steps: trainer.steps_done,
            seconds,
            ms_per_step: seconds * 1000.0 / trainer.steps_done.max(1) as f64,
            final_loss: loss,
            saved_to,
        };
        return print_report(&report, flags.json);
    }
    let seconds = flags.seconds_or(1500.0);
    let dataset = Dataset::builtin_mnist()?;
    let (device, info) = device::select(pref);
    let Ok(channels) = <[usize; 3]>::try_from(args.channels.as_slice()) else {
        bail!("--channels needs three widths, e.g. 8,16,32");
    };
    let (config, weights) = match &args.resume {
        Some(path) => {
            let (config, bytes) = digits::read_checkpoint(path)?;
            eprintln!(
                "continuing {} ({} steps, {:.0} s of training so far)",
                digits::files(path).0.display(),
                config.trained_steps,
                config.trained_seconds
            );
            (config, Some(bytes))
        }
        None => (
            UNetConfig {
                schedule: args.schedule,
                steps: args.timesteps.unwrap_or(1000),
                channels,
                ..UNetConfig::default()
            },
            None,
        ),
    };
    let (steps_before, seconds_before) = (config.trained_steps, config.trained_seconds);
    let resumed_classes = config.classes;
    let mut trainer =
        DigitsTrainer::with_weights(&dataset, config, weights, &device, args.batch_size.unwrap_or(32), seed)
            .map_err(anyhow::Error::msg)?;
    match args.classes {
        Some(classes) if classes != resumed_classes => {
            if classes > dataset.classes {
                bail!("--classes {classes}: {} has only {} classes", dataset.name, dataset.classes);
            }
            trainer.add_classes(classes).map_err(anyhow::Error::msg)?;
            eprintln!(
                "conditioning the U-Net on {classes} classes ({:.0} % of training digits go without their label)",
                100.0 * digits::UNLABELLED_FRACTION
            );
        }
        _ => {}
    }
    let peak = args.lr.unwrap_or(1e-3);
    eprintln!("training the digits U-Net on {} for {seconds} s ({})", dataset.name, info.label);
    let bar = Progress::new(seconds, "s");
    let start = Instant::now();
    let mut last_save = Instant::now();
    let mut smooth = f64::NAN;
    let save = |trainer: &DigitsTrainer, path: &Path, elapsed: f64| -> anyhow::Result<String> {
        let model = trainer.model().context("no model")?;
        let config = UNetConfig {
            trained_steps: steps_before + trainer.steps_done,
            trained_seconds: seconds_before + elapsed,
            ..trainer.config.clone()
        };
        Ok(digits::save(&model, &config, path)?.display().to_string())
    };
    flush_subnormals(|| {
        crate::nn::budget::run(crate::nn::Budget::seconds(seconds), None, |fraction| -> anyhow::Result<()> {
            trainer.learning_rate = decayed(peak, fraction);
            let loss = trainer.step().map_err(anyhow::Error::msg)?;
            smooth = if smooth.is_nan() { f64::from(loss) } else { 0.99 * smooth + 0.01 * f64::from(loss) };
            let elapsed = start.elapsed().as_secs_f64();
            bar.set(elapsed, format!("step {}  loss {smooth:.4}", trainer.steps_done));
            if let Some(path) = &flags.out
                && last_save.elapsed() > Duration::from_mins(2)
            {
                save(&trainer, path, elapsed)?;
                last_save = Instant::now();
            }
            Ok(())
        })
    })?;
    bar.finish();
    let taken = start.elapsed().as_secs_f64();
    let saved_to = match &flags.out {
        Some(path) => Some(save(&trainer, path, taken)?),
        None => None,
    };
    let report = DdpmReport {
        data: dataset.name.clone(),
        steps: trainer.steps_done,
        seconds: taken,
        ms_per_step: taken * 1000.0 / trainer.steps_done.max(1) as f64,
        final_loss: smooth,
        saved_to,
    };
    print_report(&report, flags.json)
}

fn print_report(r: &DdpmReport, json: bool) -> anyhow::Result<()> {
    crate::runtime::report::emit(json, r, |r| {
        println!(
            "{}: {} steps in {:.1} s ({:.2} ms/step), final loss {:.4}",
            r.data, r.steps, r.seconds, r.ms_per_step, r.final_loss
        );
        if let Some(p) = &r.saved_to {
            println!("saved to {p}");
        }
    })?;
    Ok(())
}

/// The `sample` settings of a diffusion model.
#[derive(Debug, Clone)]
pub struct DiffusionSample {
    /// DDIM with this many reverse steps, or all T ancestral steps.
    pub sampler: Sampler,
    pub count: usize,
    pub seed: u64,
    /// Class-conditional U-Nets: the guidance scale w and one digit (default: 0, 1, …, 9 in turn).
    pub guidance: f32,
    pub digit: Option<usize>,
}

/// `latent-lab sample FILE` for a digits U-Net: a square grid of digits.
pub fn sample_unet(path: &Path, opts: &DiffusionSample, out: &Path, pref: DevicePref) -> anyhow::Result<()> {
    let start = Instant::now();
    let (device, _) = device::select(pref);
    let (model, config) = digits::load_described(path, &device)?;
    let guidance = sample_guidance(opts, config.classes, path)?;
    let pixels =
        digits::sample_digits(&model, &config, opts.sampler, opts.count, opts.seed, guidance.as_ref(), &device, |_| {})
            .map_err(anyhow::Error::msg)?;
    crate::runtime::png::write_grid(&pixels, opts.count, (config.image_size, config.image_size), 1, out)?;
    report_sampled(opts, start, out);
    Ok(())
}

/// `latent-lab sample FILE` for a 2-D model (the file's text, already read): a scatter of the samples.
pub fn sample_toy(text: &str, path: &Path, opts: &DiffusionSample, out: &Path) -> anyhow::Result<()> {
    let start = Instant::now();
    let model = read_toy_model(text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if opts.digit.is_some() {
        bail!("--digit: {} is a 2-D model, not a class-conditional U-Net", path.display());
    }
    let (points, _) = model.sample(opts.sampler, opts.count, opts.seed, false)?;
    crate::runtime::png::write_scatter(&points, out)?;
    report_sampled(opts, start, out);
    Ok(())
}

fn report_sampled(opts: &DiffusionSample, start: Instant, out: &Path) {
    println!(
        "{} samples ({}) in {:.2} s → {}",
        opts.count,
        opts.sampler.describe(),
        start.elapsed().as_secs_f64(),
        out.display()
    );
}

fn check_guidance(w: f32) -> anyhow::Result<()> {
    if w.is_finite() && w >= 0.0 { Ok(()) } else { bail!("--guidance must be 0 or more, got {w}") }
}

/// The labels `sample` asks a model with `classes` classes for (None for an unconditional model).
fn sample_guidance(opts: &DiffusionSample, classes: usize, path: &Path) -> anyhow::Result<Option<Guidance>> {
    check_guidance(opts.guidance)?;
    if classes == 0 {
        if opts.digit.is_some() {
            bail!("--digit: {} is not class-conditional", path.display());
        }
        return Ok(None);
    }
    Ok(Some(match opts.digit {
        Some(d) if d >= classes => bail!("--digit {d}: the model knows classes 0 to {}", classes - 1),
        Some(d) => Guidance { labels: vec![Some(d); opts.count], scale: opts.guidance },
        None => Guidance::cycling(opts.count, classes, opts.guidance),
    }))
}

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
