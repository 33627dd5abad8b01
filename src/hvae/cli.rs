//! `latent-lab train hvae …` (its own clap parser, tried by `main` before the general one) and the HVAE arm of
//! `latent-lab sample MODEL`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use burn::prelude::*;
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use super::eval::{bounds_on_threads, mean_terms, sample_means};
use super::leaderboard::mean_and_std_error;
use super::train::{HvaeTrainer, StepTerms, TrainSettings};
use super::{HvaeConfig, Inference, checkpoint};
use crate::data::Dataset;
use crate::models::device::DevicePref;

#[derive(Debug, Parser)]
#[command(name = "latent-lab", about = "Hierarchical VAE: train")]
pub struct HvaeCli {
    /// Accepted for symmetry with the other commands; the hierarchical VAE trains on the CPU backend.
    #[arg(long, value_enum, default_value_t = DevicePref::Auto, global = true)]
    pub device: DevicePref,
    #[command(subcommand)]
    pub command: HvaeCommand,
}

#[derive(Debug, Subcommand)]
pub enum HvaeCommand {
    /// Train a model: `train hvae`.
    Train {
        #[command(subcommand)]
        model: TrainHvae,
    },
}

#[derive(Debug, Subcommand)]
pub enum TrainHvae {
    /// A two-layer hierarchical VAE (z₂ → z₁ → x) on the built-in binarised digits.
    Hvae(HvaeArgs),
}

#[derive(Debug, Args)]
pub struct HvaeArgs {
    /// Training time budget in seconds.
    #[arg(long, default_value_t = 60.0, value_parser = crate::bounds::seconds)]
    pub seconds: f64,
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
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Importance samples per digit for the held-out IWAE bound (0 skips it).
    #[arg(long, default_value_t = 1000, value_parser = crate::bounds::within(0, 5000))]
    pub iwae_k: usize,
    /// Held-out digits scored by the IWAE bound.
    #[arg(long, default_value_t = 100, value_parser = crate::bounds::within(1, 1_000_000))]
    pub eval_digits: usize,
    /// Save the model: FILE.bpk + FILE.json.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Whether the arguments name `train hvae` (possibly after `--device X`).
pub fn is_hvae_command(args: &[OsString]) -> bool {
    let words = crate::cli::command_words(args);
    matches!(words.as_slice(), ["train", "hvae", ..])
}

/// Parses and runs `train hvae` (clap prints help and usage errors and exits).
pub fn run_args(args: &[OsString]) -> anyhow::Result<()> {
    let cli = HvaeCli::try_parse_from(args).unwrap_or_else(|e| e.exit());
    match cli.command {
        HvaeCommand::Train { model: TrainHvae::Hvae(args) } => {
            let report = train(&args)?;
            if args.json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print_report(&report);
            }
            Ok(())
        }
    }
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
}

/// Trains on the built-in binarised digits and evaluates on the held-out ones.
pub fn train(args: &HvaeArgs) -> anyhow::Result<HvaeReport> {
    crate::runtime::files::check_out(args.out.as_deref()).map_err(anyhow::Error::msg)?;
    if args.iwae_k > crate::models::bounds::MAX_K {
        anyhow::bail!("--iwae-k {} is more than {} samples per digit", args.iwae_k, crate::models::bounds::MAX_K);
    }
    if !(args.seconds > 0.0 && args.seconds.is_finite()) {
        anyhow::bail!("--seconds must be a positive number of seconds, not {}", args.seconds);
    }
    let data = Dataset::builtin_mnist().context("the built-in digits")?.binarised();
    let config = HvaeConfig { input_dim: data.dim(), ..HvaeConfig::new(args.z1, args.inference) };
    let settings = TrainSettings { batch_size: args.batch_size, learning_rate: args.lr, seed: args.seed };
    let mut trainer = HvaeTrainer::new(config.clone(), settings, &data)?;
    let max_steps = args.steps.unwrap_or(usize::MAX);
    let bar = indicatif::ProgressBar::new((args.seconds * 10.0) as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template(&format!("{{bar:30}} {{percent:>3}}% of {} s  {{msg}}", args.seconds))
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    let start = Instant::now();
    let mut recent: std::collections::VecDeque<StepTerms> = std::collections::VecDeque::new();
    let mut diverged = None;
    crate::models::float_env::flush_subnormals(|| {
        while trainer.steps < max_steps && start.elapsed().as_secs_f64() < args.seconds {
            match trainer.step() {
                Ok(t) => {
                    if recent.len() == 100 {
                        recent.pop_front();
                    }
                    recent.push_back(t);
                }
                // Diverged (the last good weights are kept) or refused: report it with what was trained.
                Err(e) => {
                    diverged = Some(e.to_string());
                    break;
                }
            }
            if trainer.steps % 20 == 0 {
                bar.set_position((start.elapsed().as_secs_f64() * 10.0) as u64);
                if let Some(t) = recent.back() {
                    bar.set_message(format!("step {}  ELBO {:.1}", trainer.steps, t.elbo()));
                }
            }
        }
    });
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let n = recent.len().max(1) as f64;
    let avg = |f: fn(&StepTerms) -> f64| recent.iter().map(f).sum::<f64>() / n;
    let model = trainer.model();
    let device = Device::flex();
    let dim = data.dim();
    let heldout: Vec<usize> = data.heldout_range().collect();
    let [recon, kl1, kl2] = mean_terms(&model, &data.pixels, dim, &heldout, args.seed ^ 0x7, &device);
    let digits = args.eval_digits.min(heldout.len());
    let (mut iwae_nll, mut iwae_se, mut elbo_same) = (None, None, None);
    if args.iwae_k > 0 && digits > 0 {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let range = data.train_len..data.train_len + digits;
        let b = bounds_on_threads(&model, &data.pixels, dim, range, (args.iwae_k, args.seed ^ 0xB), threads, &device);
        let nll: Vec<f64> = b.iter().map(|b| -b.iwae).collect();
        let (m, se) = mean_and_std_error(&nll);
        iwae_nll = Some(m);
        iwae_se = Some(se);
        elbo_same = Some(-b.iter().map(|b| b.elbo).sum::<f64>() / b.len() as f64);
    }
    let saved = match &args.out {
        Some(path) => Some(checkpoint::save(&model, &config, path)?),
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

/// Whether a model description (the `.json` text) is a hierarchical VAE's.
pub fn is_hvae_description(text: &str) -> bool {
    text.contains(super::ARCHITECTURE)
}

/// `latent-lab sample MODEL --out FILE.png` for a hierarchical VAE: `n` ancestral samples (pixel means) in a square
/// grid, reproducible from `seed`.
pub fn sample_png(model_path: &Path, out: &Path, n: usize, seed: u64) -> anyhow::Result<()> {
    let start = Instant::now();
    let device = Device::flex();
    let (model, config) = checkpoint::load(model_path, &device)?;
    let n = n.clamp(1, 4096);
    let pixels = sample_means(&model, n, seed, &device);
    let side = (config.input_dim as f64).sqrt().round() as usize;
    if side * side != config.input_dim {
        anyhow::bail!("{}: images of {} pixels are not square", model_path.display(), config.input_dim);
    }
    write_grid(&pixels, n, side, out)?;
    println!(
        "{n} samples (z₂ ~ N(0, I) → z₁ ~ p(z₁|z₂) → x means) in {:.2} s → {}",
        start.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

/// Writes `n` grey `side × side` images as a square grid with 2-pixel gaps.
pub fn write_grid(pixels: &[f32], n: usize, side: usize, out: &Path) -> anyhow::Result<()> {
    let cols = (n as f64).sqrt().ceil() as usize;
    let rows = n.div_ceil(cols);
    let cell = side + 2;
    let mut img = image::GrayImage::new((cols * cell + 2) as u32, (rows * cell + 2) as u32);
    for (i, digit) in pixels.chunks(side * side).take(n).enumerate() {
        let (ox, oy) = (2 + (i % cols) * cell, 2 + (i / cols) * cell);
        for (p, &v) in digit.iter().enumerate() {
            let value = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            img.put_pixel((ox + p % side) as u32, (oy + p / side) as u32, image::Luma([value]));
        }
    }
    img.save(out).with_context(|| format!("cannot write {}", out.display()))
}
