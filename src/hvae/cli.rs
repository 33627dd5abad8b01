//! `latent-lab train hvae …` (its flags; the command tree is `crate::cli`) and the HVAE arm of `latent-lab sample`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use super::eval::{bounds_on_threads, mean_terms, sample_means};
use super::leaderboard::mean_and_std_error;
use super::train::{HvaeTrainer, StepTerms, TrainSettings};
use super::{HvaeConfig, Inference, checkpoint};
use crate::data::Dataset;
use crate::models::device::{self, DevicePref};
use crate::runtime::progress::Progress;
use crate::runtime::train_flags::TrainFlags;

/// `--seconds` unless given.
pub const DEFAULT_SECONDS: f64 = 60.0;
/// `--seed` unless given.
pub const DEFAULT_SEED: u64 = 42;

#[derive(Debug, Args)]
pub struct HvaeArgs {
    /// Stop after this many steps (whichever of time and steps comes first).
    #[arg(long, value_parser = crate::bounds::steps())]
    pub steps: Option<usize>,
    /// Size of z₁ (z₂ is 2-D).
    #[arg(long, default_value_t = 8, value_parser = crate::bounds::within(1, 64))]
    pub z1: usize,
    /// The inference DAG: bottom-up (x → z₁ → z₂) or from-x (x → z₁, x → z₂).
    #[arg(long, value_enum, default_value_t = Inference::BottomUp)]
    pub inference: Inference,
    #[arg(long, default_value_t = 128, value_parser = crate::bounds::batch())]
    pub batch_size: usize,
    #[arg(long, default_value_t = 1e-3, value_parser = crate::bounds::learning_rate)]
    pub lr: f64,
    /// Importance samples per digit for the held-out IWAE bound (0 skips it).
    #[arg(long, default_value_t = 1000, value_parser = crate::bounds::within(0, 5000))]
    pub iwae_k: usize,
    /// Held-out digits scored by the IWAE bound.
    #[arg(long, default_value_t = 100, value_parser = crate::bounds::within(1, 1_000_000))]
    pub eval_digits: usize,
}

/// `latent-lab train hvae …`: trains, evaluates and prints the report.
pub fn run(args: &HvaeArgs, flags: &TrainFlags, device: DevicePref) -> anyhow::Result<()> {
    let report = train(args, flags, device)?;
    crate::runtime::report::emit(flags.json, &report, |report| {
        print_report(report);
    })?;
    Ok(())
}

/// What `train hvae` reports (nats per digit).
#[derive(Debug, Serialize)]
pub struct HvaeReport {
    pub inference: Inference,
    pub z1_dim: usize,
    pub steps: usize,
    pub seconds: f64,
    pub ms_per_step: f64,
    pub images_per_second: f64,
    /// The last 100 steps' mean terms on training batches.
    pub train_elbo: f64,
    pub train_recon: f64,
    pub train_kl_z1: f64,
    pub train_kl_z2: f64,
    /// All held-out digits, one sample each.
    pub heldout_elbo: f64,
    pub heldout_recon: f64,
    pub heldout_kl_z1: f64,
    pub heldout_kl_z2: f64,
    pub iwae_k: usize,
    pub iwae_digits: usize,
    /// −L_K on the first `iwae_digits` held-out digits, with its standard error.
    pub iwae_nll: Option<f64>,
    pub iwae_std_error: Option<f64>,
    /// −(mean log w) on the same digits and samples: the ELBO's estimate to compare with.
    pub elbo_nll_same_digits: Option<f64>,
    pub diverged: Option<String>,
    pub saved: Option<PathBuf>,
    /// Where it trained (the CPU backend or wgpu, as `--device` chose).
    pub device: String,
}

/// Trains on the built-in binarised digits and evaluates on the held-out ones.
pub fn train(args: &HvaeArgs, flags: &TrainFlags, device: DevicePref) -> anyhow::Result<HvaeReport> {
    flags.check_out()?;
    let seconds_budget = flags.seconds_or(DEFAULT_SECONDS);
    let seed = flags.seed_or(DEFAULT_SEED);
    if args.iwae_k > crate::models::bounds::MAX_K {
        anyhow::bail!("--iwae-k {} is more than {} samples per digit", args.iwae_k, crate::models::bounds::MAX_K);
    }
    let data = Dataset::builtin_mnist().context("the built-in digits")?.binarised();
    let config = HvaeConfig { input_dim: data.dim(), ..HvaeConfig::new(args.z1, args.inference) };
    let settings = TrainSettings { batch_size: args.batch_size, learning_rate: args.lr, seed };
    let (eval_device, info) = device::select(device);
    let mut trainer = HvaeTrainer::new_on(config.clone(), settings, &data, eval_device.clone().autodiff())?;
    let bar = Progress::new(seconds_budget, "s");
    let mut recent: std::collections::VecDeque<StepTerms> = std::collections::VecDeque::new();
    let mut diverged = None;
    // Diverged (the last good weights are kept) or refused: the run stops and reports it with what was trained.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let budget = crate::nn::Budget::seconds(seconds_budget).with_steps(args.steps);
    let spent = crate::models::float_env::flush_subnormals(|| {
        crate::nn::budget::run::<()>(budget, Some(&stop), |fraction| {
            match trainer.step() {
                Ok(t) => {
                    if recent.len() == 100 {
                        recent.pop_front();
                    }
                    recent.push_back(t);
                }
                Err(e) => {
                    diverged = Some(e.to_string());
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            if trainer.steps % 20 == 0 {
                let elbo = recent.back().map_or(f64::NAN, StepTerms::elbo);
                bar.set(fraction * seconds_budget, format!("step {}  ELBO {elbo:.1}", trainer.steps));
            }
            Ok(())
        })
    })
    .unwrap_or_default();
    let seconds = spent.wall_seconds;
    bar.finish();
    let n = recent.len().max(1) as f64;
    let avg = |f: fn(&StepTerms) -> f64| recent.iter().map(f).sum::<f64>() / n;
    let model = trainer.model();
    let device = eval_device;
    let dim = data.dim();
    let heldout: Vec<usize> = data.heldout_range().collect();
    let [recon, kl1, kl2] = mean_terms(&model, &data.pixels, dim, &heldout, seed ^ 0x7, &device);
    let digits = args.eval_digits.min(heldout.len());
    let (mut iwae_nll, mut iwae_se, mut elbo_same) = (None, None, None);
    if args.iwae_k > 0 && digits > 0 {
        let threads = info.cpu_threads();
        let range = data.train_len..data.train_len + digits;
        let b = bounds_on_threads(&model, &data.pixels, dim, range, (args.iwae_k, seed ^ 0xB), threads, &device);
        let nll: Vec<f64> = b.iter().map(|b| -b.iwae).collect();
        let (m, se) = mean_and_std_error(&nll);
        iwae_nll = Some(m);
        iwae_se = Some(se);
        elbo_same = Some(-b.iter().map(|b| b.elbo).sum::<f64>() / b.len() as f64);
    }
    let saved = match &flags.out {
        Some(path) => Some(checkpoint::save(&model, &config, trainer.steps, path)?),
        None => None,
    };
    Ok(HvaeReport {
        inference: args.inference,
        z1_dim: args.z1,
        steps: trainer.steps,
        seconds,
        ms_per_step: seconds * 1000.0 / trainer.steps.max(1) as f64,
        images_per_second: (trainer.steps * args.batch_size) as f64 / seconds.max(1e-9),
        train_elbo: -(avg(|t| t.recon) + avg(|t| t.kl_z1) + avg(|t| t.kl_z2)),
        train_recon: avg(|t| t.recon),
        train_kl_z1: avg(|t| t.kl_z1),
        train_kl_z2: avg(|t| t.kl_z2),
        heldout_elbo: -(recon + kl1 + kl2),
        heldout_recon: recon,
        heldout_kl_z1: kl1,
        heldout_kl_z2: kl2,
        iwae_k: args.iwae_k,
        iwae_digits: digits,
        iwae_nll,
        iwae_std_error: iwae_se,
        elbo_nll_same_digits: elbo_same,
        diverged,
        saved,
        device: info.label,
    })
}

fn print_report(r: &HvaeReport) {
    println!(
        "Hierarchical VAE ({}, z1 {}-D, z2 2-D): {} steps in {:.1} s ({:.1} ms/step, {:.0} images/s)",
        r.inference.describe(),
        r.z1_dim,
        r.steps,
        r.seconds,
        r.ms_per_step,
        r.images_per_second
    );
    if let Some(d) = &r.diverged {
        println!("  stopped early: {d}");
    }
    println!(
        "  train ELBO    {:8.2} nats = −(recon {:.2} + KL_z1 {:.2} + KL_z2 {:.2})  (last 100 steps)",
        r.train_elbo, r.train_recon, r.train_kl_z1, r.train_kl_z2
    );
    println!(
        "  held-out ELBO {:8.2} nats = −(recon {:.2} + KL_z1 {:.2} + KL_z2 {:.2})",
        r.heldout_elbo, r.heldout_recon, r.heldout_kl_z1, r.heldout_kl_z2
    );
    if let (Some(nll), Some(se), Some(elbo)) = (r.iwae_nll, r.iwae_std_error, r.elbo_nll_same_digits) {
        println!(
            "  held-out −L_{} {:.2} ± {:.2} nats on {} digits (−ELBO on the same samples {:.2})",
            r.iwae_k, nll, se, r.iwae_digits, elbo
        );
    }
    if let Some(p) = &r.saved {
        println!("  saved {}", p.display());
    }
}

/// `latent-lab sample MODEL --out FILE.png` for a hierarchical VAE: `n` ancestral samples (pixel means) in a square
/// grid, reproducible from `seed`.
pub fn sample_png(model_path: &Path, out: &Path, n: usize, seed: u64, device: DevicePref) -> anyhow::Result<()> {
    let start = Instant::now();
    let device = device::select(device).0.without_autodiff();
    let (model, config, _) = checkpoint::load(model_path, &device)?;
    let n = n.clamp(1, 4096);
    let pixels = sample_means(&model, n, seed, &device);
    let side = (config.input_dim as f64).sqrt().round() as usize;
    if side * side != config.input_dim {
        anyhow::bail!("{}: images of {} pixels are not square", model_path.display(), config.input_dim);
    }
    crate::runtime::png::write_grid(&pixels, n, (side, side), 1, out)?;
    println!(
        "{n} samples (z₂ ~ N(0, I) → z₁ ~ p(z₁|z₂) → x means) in {:.2} s → {}",
        start.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}
