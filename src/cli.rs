//! Command line: no subcommand opens the GUI; `train` and `bench` run headless.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::data::Dataset;
use crate::models::device::{self, DevicePref};
use crate::models::{bounds, checkpoint};
use crate::train::knn::knn_accuracy;
use crate::train::{ModelKind, StepOutcome, TrainConfig, TrainSession};

#[derive(Debug, Parser)]
#[command(name = "latent-lab", version, about = "Live, touchable demos of deep generative models")]
pub struct Cli {
    /// Compute device: a hardware GPU if present (auto), the CPU, or wgpu.
    #[arg(long, value_enum, default_value_t = DevicePref::Auto, global = true)]
    pub device: DevicePref,
    /// GUI benchmark: train, measure this many frames, print p50/p95 frame times and quit.
    #[arg(long, value_name = "FRAMES")]
    pub bench_ui: Option<usize>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model headless and print its metrics.
    Train(TrainArgs),
    /// Estimate L_K on the held-out images (and log p(x) by quadrature for a 2-D latent).
    Eval(EvalArgs),
    /// Benchmarks that print numbers.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModelArg {
    Ae,
    Vae,
    /// A VAE trained on the importance-weighted bound L_K (`--k`).
    Iwae,
}

impl From<ModelArg> for ModelKind {
    fn from(m: ModelArg) -> Self {
        match m {
            ModelArg::Ae => Self::Autoencoder,
            ModelArg::Vae | ModelArg::Iwae => Self::Vae,
        }
    }
}

/// Which models `bench train` steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchModel {
    Ae,
    Vae,
    Both,
}

impl BenchModel {
    fn kinds(self) -> Vec<ModelKind> {
        match self {
            Self::Ae => vec![ModelKind::Autoencoder],
            Self::Vae => vec![ModelKind::Vae],
            Self::Both => ModelKind::ALL.to_vec(),
        }
    }
}

#[derive(Debug, Args)]
pub struct DataArgs {
    /// IDX images file (raw or .gz); default: the built-in MNIST digits.
    #[arg(long, requires = "labels")]
    pub data: Option<PathBuf>,
    /// IDX labels file matching --data.
    #[arg(long, requires = "data")]
    pub labels: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[arg(value_enum)]
    pub model: ModelArg,
    /// Importance samples per image for `iwae` (default 5).
    #[arg(long)]
    pub k: Option<usize>,
    /// Train for this many seconds (default 20 when neither --seconds nor --epochs is given).
    #[arg(long, conflicts_with = "epochs")]
    pub seconds: Option<f64>,
    /// Train for this many passes over the training items.
    #[arg(long)]
    pub epochs: Option<f64>,
    #[command(flatten)]
    pub data: DataArgs,
    /// Save the trained weights here (burnpack) with the model config beside it as FILE.json.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object on stdout instead of a text report.
    #[arg(long)]
    pub json: bool,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    /// Hidden layer widths, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "512,256")]
    pub hidden: Vec<usize>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The model file written by `train --out` (FILE.bpk, with FILE.json beside it).
    pub model: PathBuf,
    /// Importance samples per digit, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,5,50,5000")]
    pub k: Vec<usize>,
    #[command(flatten)]
    pub data: DataArgs,
    /// Evaluate only the first N held-out images.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Cells per side of the z-grid for the quadrature of log p(x) (2-D latents), over [−6, 6]².
    #[arg(long, default_value_t = 400)]
    pub grid: usize,
    #[arg(long)]
    pub json: bool,
}

/// One row of `eval`'s table.
#[derive(Debug, Serialize)]
pub struct BoundRow {
    pub k: usize,
    pub mean: f64,
    pub stderr: f64,
    pub seconds: f64,
}

/// What `eval` prints (`--json` prints exactly this).
#[derive(Debug, Serialize)]
pub struct EvalReport {
    pub images: usize,
    pub bounds: Vec<BoundRow>,
    /// Mean log p(x) per image by quadrature over z; `None` unless the latent space is 2-D.
    pub log_px_quadrature: Option<f64>,
    pub log_px_stderr: Option<f64>,
    pub quadrature_seconds: Option<f64>,
}

/// `latent-lab eval MODEL --k …`
pub fn eval(args: &EvalArgs, device_pref: DevicePref) -> anyhow::Result<EvalReport> {
    let dataset = load_data(&args.data)?;
    let (device, info) = device::select(device_pref);
    let device = device.without_autodiff();
    let (model, config) = checkpoint::load_for(&args.model, dataset.dim(), &device)?;
    if !config.variational {
        bail!("{} is an autoencoder: the bounds need a VAE (q(z|x) to sample from)", args.model.display());
    }
    let mut items: Vec<usize> = dataset.heldout_range().collect();
    if let Some(limit) = args.limit {
        items.truncate(limit.max(1));
    }
    let pixels: Vec<f32> = items.iter().flat_map(|&i| dataset.image(i).iter().copied()).collect();
    let threads = info.cpu_threads();
    let mut bounds = Vec::new();
    for &k in &args.k {
        let start = Instant::now();
        let per_image = bounds::iwae_bounds(&model, &pixels, dataset.dim(), k, threads, &device)?;
        let e = bounds::estimate(&per_image);
        bounds.push(BoundRow { k, mean: e.mean, stderr: e.stderr, seconds: start.elapsed().as_secs_f64() });
        if !args.json {
            eprintln!("L_{k} done in {:.1} s", start.elapsed().as_secs_f64());
        }
    }
    let (log_px, log_px_stderr, quadrature_seconds) = if config.latent_dim == 2 {
        let start = Instant::now();
        let per_image = bounds::quadrature_log_px(&model, &pixels, dataset.dim(), args.grid, 6.0, threads, &device)?;
        let e = bounds::estimate(&per_image);
        (Some(e.mean), Some(e.stderr), Some(start.elapsed().as_secs_f64()))
    } else {
        (None, None, None)
    };
    Ok(EvalReport { images: items.len(), bounds, log_px_quadrature: log_px, log_px_stderr, quadrature_seconds })
}

/// Human-readable `eval` table.
pub fn print_eval(r: &EvalReport, grid: usize) {
    println!("held-out images: {}", r.images);
    println!("{:>6}  {:>12}  {:>8}  {:>8}", "K", "L_K (nats)", "± s.e.", "seconds");
    for row in &r.bounds {
        println!("{:>6}  {:>12.3}  {:>8.3}  {:>8.1}", row.k, row.mean, row.stderr, row.seconds);
    }
    match (r.log_px_quadrature, r.log_px_stderr) {
        (Some(m), Some(se)) => {
            println!("log p(x) by quadrature ({grid}×{grid} grid on [−6, 6]²): {m:.3} ± {se:.3}");
        }
        _ => println!("log p(x) by quadrature: only for 2-D latent spaces"),
    }
}

#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Time the Gradient estimators lesson: 1,000 estimates per estimator, and everything it draws.
    Estimators {
        /// Samples per estimate.
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Repetitions (the median is printed).
        #[arg(long, default_value_t = 20)]
        repeats: usize,
    },
    /// Time training steps: prints ms/step and images/s.
    Train {
        /// `both` trains the AE and the VAE side by side, as the Latent space lesson does.
        #[arg(long, value_enum, default_value_t = BenchModel::Vae)]
        model: BenchModel,
        #[arg(long, default_value_t = 50)]
        steps: usize,
        #[arg(long, default_value_t = 128)]
        batch_size: usize,
        /// Threads a lone model splits its batch over (default: every core on the CPU backend, 1 on a GPU).
        #[arg(long)]
        split: Option<usize>,
    },
}

/// Final numbers of a headless run (`--json` prints exactly this).
#[derive(Debug, Serialize)]
pub struct TrainReport {
    pub model: String,
    pub device: String,
    pub dataset: String,
    pub steps: u64,
    pub epochs: f64,
    pub seconds: f64,
    pub images_per_second: f64,
    pub train_recon: f64,
    pub train_kl: f64,
    pub heldout_recon: f64,
    pub heldout_kl: f64,
    /// 5-NN accuracy of held-out codes classified by their nearest training codes.
    pub knn5_accuracy: f64,
    pub saved_to: Option<String>,
}

fn load_data(args: &DataArgs) -> anyhow::Result<Dataset> {
    Ok(match (&args.data, &args.labels) {
        (Some(images), Some(labels)) => Dataset::load(images, labels)?,
        _ => Dataset::builtin_mnist()?,
    })
}

/// `latent-lab train ae|vae …`
pub fn train(args: &TrainArgs, device_pref: DevicePref) -> anyhow::Result<TrainReport> {
    let dataset = Arc::new(load_data(&args.data)?);
    let (device, info) = device::select(device_pref);
    let kind = ModelKind::from(args.model);
    let iwae_k = match (args.model, args.k) {
        (ModelArg::Iwae, k) => k.unwrap_or(5),
        (_, None | Some(1)) => 1,
        (_, Some(k)) => bail!("--k {k} needs the iwae model: `latent-lab train iwae --k {k}`"),
    };
    let config = TrainConfig {
        iwae_k,
        learning_rate: args.lr,
        batch_size: args.batch_size,
        hidden: args.hidden.clone(),
        seed: args.seed,
        models: vec![kind],
        ..TrainConfig::default()
    };
    let mut session = TrainSession::new(config, dataset.clone(), &device)?.with_cpu_threads(info.cpu_threads());
    let seconds = match (args.seconds, args.epochs) {
        (Some(s), _) if !(s.is_finite() && s > 0.0) => bail!("--seconds must be positive, got {s}"),
        (_, Some(e)) if !(e.is_finite() && e > 0.0) => bail!("--epochs must be positive, got {e}"),
        (Some(s), _) => Some(s),
        (None, Some(_)) => None,
        (None, None) => Some(20.0),
    };
    let bar = progress_bar(seconds, args.epochs);
    let start = Instant::now();
    loop {
        let elapsed = start.elapsed().as_secs_f64();
        let done = match (seconds, args.epochs) {
            (Some(s), _) => elapsed >= s,
            (None, Some(e)) => session.epoch() >= e,
            (None, None) => true,
        };
        if done {
            break;
        }
        for (_, outcome) in session.step() {
            match outcome {
                StepOutcome::Trained(p) => {
                    let position = if seconds.is_some() { elapsed } else { session.epoch() };
                    bar.set_position((position * 100.0) as u64);
                    bar.set_message(format!("step {}  recon {:.1}  KL {:.2}", p.step, p.recon, p.kl));
                }
                StepOutcome::Diverged { message, .. } => {
                    bar.abandon();
                    bail!(message);
                }
            }
        }
    }
    let seconds_taken = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let train_items: Vec<usize> = (0..dataset.train_len).collect();
    let heldout_items: Vec<usize> = dataset.heldout_range().collect();
    let train_loss = session.evaluate(kind, &train_items).context("no model to evaluate")?;
    let heldout_loss = session.evaluate(kind, &heldout_items).context("no model to evaluate")?;
    let train_codes = session.codes_full(kind, &train_items);
    let heldout_codes = session.codes_full(kind, &heldout_items);
    let knn5 = knn_accuracy(
        &train_codes,
        &dataset.labels[..dataset.train_len],
        &heldout_codes,
        &dataset.labels[dataset.train_len..],
        5,
    );
    let saved_to = match &args.out {
        Some(path) => Some(session.save(kind, path)?.display().to_string()),
        None => None,
    };
    let steps = session.step_count();
    Ok(TrainReport {
        model: if iwae_k > 1 { format!("IWAE (K={iwae_k})") } else { kind.short().into() },
        device: info.label,
        dataset: dataset.name.clone(),
        steps,
        epochs: session.epoch(),
        seconds: seconds_taken,
        images_per_second: steps as f64 * args.batch_size as f64 / seconds_taken.max(1e-9),
        train_recon: train_loss.recon,
        train_kl: train_loss.kl,
        heldout_recon: heldout_loss.recon,
        heldout_kl: heldout_loss.kl,
        knn5_accuracy: knn5,
        saved_to,
    })
}

fn progress_bar(seconds: Option<f64>, epochs: Option<f64>) -> indicatif::ProgressBar {
    let (len, unit) = match (seconds, epochs) {
        (Some(s), _) => (s, "s"),
        (None, Some(e)) => (e, "epochs"),
        (None, None) => (1.0, ""),
    };
    let bar = indicatif::ProgressBar::new((len * 100.0) as u64);
    let template = format!("{{bar:30}} {{percent:>3}}% of {len} {unit}  {{msg}}");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Human-readable report.
pub fn print_report(r: &TrainReport) {
    println!(
        "{} on {} ({}), {} steps, {:.2} epochs in {:.1} s ({:.0} images/s)",
        r.model, r.dataset, r.device, r.steps, r.epochs, r.seconds, r.images_per_second
    );
    println!("  train    recon {:8.2}  KL {:6.2}  (nats per image)", r.train_recon, r.train_kl);
    println!("  held-out recon {:8.2}  KL {:6.2}", r.heldout_recon, r.heldout_kl);
    println!("  held-out 5-NN accuracy of the codes: {:.3}", r.knn5_accuracy);
    if let Some(p) = &r.saved_to {
        println!("  saved to {p} (model description in {})", std::path::Path::new(p).with_extension("json").display());
    }
}

/// `latent-lab bench train …`: prints ms/step and images/s (images through all models together).
pub fn bench_train(
    model: BenchModel,
    steps: usize,
    batch_size: usize,
    split: Option<usize>,
    device_pref: DevicePref,
) -> anyhow::Result<()> {
    let dataset = Arc::new(Dataset::builtin_mnist()?);
    let (device, info) = device::select(device_pref);
    let kinds = model.kinds();
    let names: Vec<&str> = kinds.iter().map(|k| k.short()).collect();
    let config = TrainConfig { batch_size, models: kinds.clone(), ..TrainConfig::default() };
    let threads = split.unwrap_or_else(|| info.cpu_threads());
    let mut session = TrainSession::new(config, dataset, &device)?.with_cpu_threads(threads);
    println!("device: {} ({}); a lone model splits its batch over {threads} thread(s)", info.label, info.reason);
    let warm = Instant::now();
    for _ in 0..5 {
        session.step();
    }
    let _ = device.sync();
    println!("warm-up (5 steps): {:.2} s", warm.elapsed().as_secs_f64());
    let steps = steps.max(1);
    let start = Instant::now();
    for _ in 0..steps {
        session.step();
    }
    let _ = device.sync();
    let per_step = start.elapsed().as_secs_f64() * 1000.0 / steps as f64;
    println!("{}: {steps} steps, batch {batch_size}: {per_step:.2} ms/step", names.join("+"));
    println!("throughput: {:.0} images/s", (batch_size * kinds.len()) as f64 * 1000.0 / per_step);
    Ok(())
}

/// `latent-lab bench estimators`: median time for 1,000 estimates of each estimator (the lesson's cloud) and for a
/// whole lesson update, per objective.
pub fn bench_estimators(k: usize, repeats: usize) -> anyhow::Result<()> {
    use crate::estimators::{Estimator, Gauss2, LabRequest, Objective, run_lab};
    if k == 0 {
        bail!("K must be at least 1");
    }
    let pi = Gauss2::new([-1.5, -1.0], [0.8, 0.3, 0.6]).map_err(anyhow::Error::msg)?;
    let repeats = repeats.max(1);
    println!("K = {k}, median of {repeats} runs, one thread");
    for g in Objective::ALL {
        let mut cloud = Vec::with_capacity(repeats);
        let mut total = Vec::with_capacity(repeats);
        for seed in 0..repeats as u64 {
            let req = LabRequest { g, pi, k, estimates: 1000, seed, lr: 0.05, steps: 200 };
            let r = run_lab(&req);
            cloud.push(r.cloud_ms);
            total.push(r.total_ms);
        }
        cloud.sort_by(f64::total_cmp);
        total.sort_by(f64::total_cmp);
        println!(
            "{:<30} 1,000 estimates × {} estimators: {:6.2} ms   whole lesson update: {:6.1} ms",
            g.label(),
            Estimator::ALL.len(),
            cloud[repeats / 2],
            total[repeats / 2]
        );
    }
    Ok(())
}
