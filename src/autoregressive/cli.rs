//! The autoregressive commands: `train made`, `train wavenet`, `sample MODEL` (for MADE files; diffusion files go to
//! `diffusion::cli`) and `bench made`. They have their own clap parser, which `main` tries first.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use super::made::{self, Digits, Made, MadeInfo, MadeTrainer, Sampler};
use super::signals::{self, SignalKind};
use super::wavenet::{WaveNet, WaveNetConfig, WaveNetTrainer};
use crate::data::Dataset;

#[derive(Debug, Parser)]
#[command(name = "latent-lab", about = "Autoregressive models (MADE, WaveNet): train, sample, bench")]
pub struct ArCli {
    /// Accepted for compatibility with the other commands (these models always run on the CPU).
    #[arg(long, global = true, hide = true)]
    pub device: Option<String>,
    #[command(subcommand)]
    pub command: ArCommand,
}

#[derive(Debug, Subcommand)]
pub enum ArCommand {
    /// Train a model: `train made` or `train wavenet`.
    Train {
        #[command(subcommand)]
        model: TrainAr,
    },
    /// Sample digits from a MADE model file into a PNG grid.
    Sample(SampleArgs),
    /// Benchmarks: `bench made` (pixels per second of pixel-by-pixel sampling).
    Bench {
        #[command(subcommand)]
        what: BenchAr,
    },
}

#[derive(Debug, Subcommand)]
pub enum TrainAr {
    /// MADE on the built-in binarised digits (exact held-out NLL).
    Made(MadeArgs),
    /// A WaveNet-style dilated causal CNN on synthetic signals.
    Wavenet(WaveNetArgs),
}

#[derive(Debug, Subcommand)]
pub enum BenchAr {
    /// Pixel-by-pixel sampling speed of a 28×28 MADE (and training step time).
    Made(BenchArgs),
}

#[derive(Debug, Args)]
pub struct MadeArgs {
    /// Training time budget in seconds.
    #[arg(long, default_value_t = 60.0, value_parser = crate::bounds::seconds)]
    pub seconds: f64,
    /// Stop after this many steps (whichever of --seconds and --steps comes first).
    #[arg(long, value_parser = crate::bounds::steps())]
    pub steps: Option<usize>,
    #[arg(long, default_value_t = made::DEFAULT_HIDDEN, value_parser = crate::bounds::within(1, 8192))]
    pub hidden: usize,
    #[arg(long, default_value_t = made::DEFAULT_LR, value_parser = crate::bounds::learning_rate_f32)]
    pub lr: f32,
    #[arg(long, default_value_t = made::DEFAULT_BATCH, value_parser = crate::bounds::batch())]
    pub batch_size: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Score the held-out digits every this many seconds of training (the NLL-vs-time curve).
    #[arg(long, default_value_t = 10.0, value_parser = crate::bounds::interval)]
    pub eval_every: f64,
    /// Write the model here (JSON, `"kind": "made"`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WaveNetArgs {
    #[arg(long, value_enum, default_value_t = SignalKind::Sines)]
    pub signal: SignalKind,
    #[arg(long, default_value_t = 30.0, value_parser = crate::bounds::seconds)]
    pub seconds: f64,
    #[arg(long, value_parser = crate::bounds::steps())]
    pub steps: Option<usize>,
    /// Dilations, comma-separated (kernel 2): receptive field = 1 + Σ dilations.
    #[arg(long, default_value = "1,2,4,8,16,32", value_delimiter = ',', value_parser = crate::bounds::within(1, 512))]
    pub dilations: Vec<usize>,
    #[arg(long, default_value_t = 24, value_parser = crate::bounds::within(1, 256))]
    pub channels: usize,
    /// Quantisation levels of the softmax output.
    #[arg(long, default_value_t = 64, value_parser = crate::bounds::within(2, 1024))]
    pub levels: usize,
    #[arg(long, default_value_t = 3e-3, value_parser = crate::bounds::learning_rate_f32)]
    pub lr: f32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the model here (JSON, `"kind": "wavenet"`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// A MADE model file (from `train made --out`).
    pub model: PathBuf,
    #[arg(long, default_value_t = 16, value_parser = crate::bounds::within(1, crate::bounds::IMAGES))]
    pub count: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value = "grid.png")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A MADE model file (default: a freshly initialised 28×28 MADE with 500 hidden units).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Digits to sample.
    #[arg(long, default_value_t = 50, value_parser = crate::bounds::within(1, crate::bounds::IMAGES))]
    pub digits: usize,
    #[arg(long)]
    pub json: bool,
}

/// Whether `args` is one of these commands (`sample` only for a file whose `kind` is "made").
pub fn is_ar_command(args: &[OsString]) -> bool {
    let words = crate::cli::command_words(args);
    match words.as_slice() {
        ["train", "made" | "wavenet" | "pixelcnn", ..] | ["bench", "made", ..] => true,
        ["sample", model, ..] => made::file_kind(Path::new(model)).as_deref() == Some(made::FILE_KIND),
        _ => false,
    }
}

/// Parses and runs an autoregressive command (clap prints help and usage errors and exits).
pub fn run_args(args: &[OsString]) -> anyhow::Result<()> {
    if args.iter().skip(1).filter_map(|a| a.to_str()).any(|a| a == "pixelcnn") {
        anyhow::bail!(
            "there is no PixelCNN in latent-lab: the autoregressive model for digits is MADE (`latent-lab train made`), \
             with the same exact likelihood p(x) = Π p(x_j | x_<j) through masks"
        );
    }
    let cli = match ArCli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match cli.command {
        ArCommand::Train { model: TrainAr::Made(a) } => train_made(&a),
        ArCommand::Train { model: TrainAr::Wavenet(a) } => train_wavenet(&a),
        ArCommand::Sample(a) => sample(&a),
        ArCommand::Bench { what: BenchAr::Made(a) } => bench(&a),
    }
}

fn progress_bar(seconds: f64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(1000);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template(&format!("{{bar:30}} {{percent:>3}}% of {seconds} s  {{msg}}"))
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// What `train made` reports.
#[derive(Debug, Serialize)]
pub struct MadeReport {
    pub hidden: usize,
    pub parameters: usize,
    pub steps: usize,
    pub train_seconds: f64,
    pub ms_per_step: f64,
    pub train_nll: f64,
    pub heldout_nll: f64,
    pub heldout_std_error: f64,
    pub heldout_digits: usize,
    /// (seconds of training, held-out NLL in nats).
    pub curve: Vec<(f64, f64)>,
    pub saved_to: Option<String>,
}

fn train_made(args: &MadeArgs) -> anyhow::Result<()> {
    crate::runtime::files::check_out(args.out.as_deref()).map_err(anyhow::Error::msg)?;
    let seconds = args.seconds;
    let every = args.eval_every;
    let data = Dataset::builtin_mnist()?;
    let train = Digits::from_dataset(&data, 0..data.train_len);
    let held = Digits::from_dataset(&data, data.heldout_range());
    let mut model = Made::new(data.rows, data.cols, args.hidden, args.seed)?;
    model.init_output_bias(&train);
    let parameters = model.parameters();
    let mut trainer = MadeTrainer::new(model, args.lr, args.batch_size, args.seed);
    let bar = progress_bar(seconds);
    let cancel = AtomicBool::new(false);
    let (mut spent, mut curve, mut smooth) = (0.0_f64, Vec::new(), f64::NAN);
    while spent < seconds && args.steps.is_none_or(|m| trainer.steps < m) {
        let chunk = every.min(seconds - spent);
        let taken = made::train_for(&mut trainer, &train, chunk, args.steps, &cancel, &mut |f, loss| {
            smooth = if smooth.is_nan() { loss } else { 0.98 * smooth + 0.02 * loss };
            bar.set_position((((spent + f64::from(f) * chunk) / seconds) * 1000.0) as u64);
        })?;
        spent += taken;
        let (nll, _) = trainer.model.nll_stats(&held, held.len())?;
        curve.push((spent, nll));
        bar.set_message(format!("step {}  train {smooth:.1}  held-out {nll:.1} nats", trainer.steps));
    }
    bar.finish_and_clear();
    let (heldout_nll, heldout_std_error) = trainer.model.nll_stats(&held, held.len())?;
    let saved_to = match &args.out {
        Some(path) => {
            let info = MadeInfo { steps: trainer.steps, train_seconds: spent, heldout_nll: Some(heldout_nll) };
            trainer.model.save(path, &info)?;
            Some(path.display().to_string())
        }
        None => None,
    };
    let report = MadeReport {
        hidden: args.hidden,
        parameters,
        steps: trainer.steps,
        train_seconds: spent,
        ms_per_step: spent * 1e3 / trainer.steps.max(1) as f64,
        train_nll: smooth,
        heldout_nll,
        heldout_std_error,
        heldout_digits: held.len(),
        curve,
        saved_to,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "MADE {}×{} → {} hidden ({} weights): {} steps in {:.1} s ({:.1} ms/step)",
            data.rows, data.cols, report.hidden, report.parameters, report.steps, spent, report.ms_per_step
        );
        for (t, nll) in &report.curve {
            println!("  after {t:6.1} s: held-out −log p(x) = {nll:.2} nats");
        }
        println!(
            "held-out −log p(x) = {:.2} ± {:.2} nats (exact, {} digits); train minibatches ≈ {:.2}",
            heldout_nll, heldout_std_error, report.heldout_digits, smooth
        );
        if let Some(p) = &report.saved_to {
            println!("saved to {p}");
        }
    }
    Ok(())
}

/// What `train wavenet` reports.
#[derive(Debug, Serialize)]
pub struct WaveNetReport {
    pub signal: SignalKind,
    pub receptive_field: usize,
    pub parameters: usize,
    pub steps: usize,
    pub train_seconds: f64,
    pub train_loss: f64,
    /// Cross-entropy in nats per sample on 32 fresh signals.
    pub heldout_loss: f64,
    /// Mean |error| of the most-likely continuation over the next 64 samples of 32 fresh signals.
    pub continuation_mae: f64,
    /// The same for "repeat the last value" (a baseline).
    pub repeat_last_mae: f64,
    pub saved_to: Option<String>,
}

fn train_wavenet(args: &WaveNetArgs) -> anyhow::Result<()> {
    crate::runtime::files::check_out(args.out.as_deref()).map_err(anyhow::Error::msg)?;
    let seconds = args.seconds;
    let config = WaveNetConfig { channels: args.channels, dilations: args.dilations.clone(), levels: args.levels };
    let net = WaveNet::new(config, args.seed)?;
    let parameters = net.parameters();
    let mut trainer = WaveNetTrainer::new(net, args.signal, args.lr, args.seed);
    let bar = progress_bar(seconds);
    let start = Instant::now();
    let mut smooth = f64::NAN;
    crate::models::float_env::flush_subnormals(|| -> anyhow::Result<()> {
        while start.elapsed().as_secs_f64() < seconds && args.steps.is_none_or(|m| trainer.steps < m) {
            let loss = trainer.step()?;
            smooth = if smooth.is_nan() { loss } else { 0.95 * smooth + 0.05 * loss };
            bar.set_position((start.elapsed().as_secs_f64() / seconds * 1000.0) as u64);
            bar.set_message(format!("step {}  loss {smooth:.3} nats", trainer.steps));
        }
        Ok(())
    })?;
    let train_seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let net = &trainer.net;
    let r = net.receptive_field();
    let (mut held, mut mae, mut base) = (0.0, 0.0, 0.0);
    for i in 0..32_u64 {
        let s = signals::generate(args.signal, r + 160, 1_000_000 + i);
        held += net.signal_loss(&s) / 32.0;
        let split = r + 96;
        let cont = net.continue_signal(&s[..split], 64, 0.0, i);
        let truth = &s[split..split + 64];
        mae += cont.iter().zip(truth).map(|(a, b)| f64::from((a - b).abs())).sum::<f64>() / (64.0 * 32.0);
        base += truth.iter().map(|b| f64::from((s[split - 1] - b).abs())).sum::<f64>() / (64.0 * 32.0);
    }
    let saved_to = match &args.out {
        Some(path) => {
            let text = serde_json::to_string(&serde_json::json!({ "kind": "wavenet", "version": 1, "model": net }))?;
            crate::runtime::files::write_atomic(path, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            Some(path.display().to_string())
        }
        None => None,
    };
    let report = WaveNetReport {
        signal: args.signal,
        receptive_field: r,
        parameters,
        steps: trainer.steps,
        train_seconds,
        train_loss: smooth,
        heldout_loss: held,
        continuation_mae: mae,
        repeat_last_mae: base,
        saved_to,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "WaveNet on {}: receptive field {r} samples, {} weights, {} steps in {:.1} s",
            args.signal.label(),
            parameters,
            report.steps,
            train_seconds
        );
        println!(
            "cross-entropy: train ≈ {smooth:.3}, fresh signals {held:.3} nats per sample ({} levels)",
            args.levels
        );
        println!("most-likely continuation, 64 samples: mean |error| {mae:.3} (repeat-last-value baseline {base:.3})");
        if let Some(p) = &report.saved_to {
            println!("saved to {p}");
        }
    }
    Ok(())
}

/// Writes binary images (`rows × cols` each) as a PNG grid, each pixel drawn 2×2.
pub fn write_grid(images: &[Vec<u8>], rows: usize, cols: usize, out: &Path) -> anyhow::Result<()> {
    let per_row = (images.len() as f64).sqrt().ceil().max(1.0) as usize;
    let grid_rows = images.len().div_ceil(per_row).max(1);
    let (cw, ch) = (cols * 2 + 4, rows * 2 + 4);
    let mut img = image::GrayImage::from_pixel((per_row * cw) as u32, (grid_rows * ch) as u32, image::Luma([60]));
    for (n, im) in images.iter().enumerate() {
        let (gy, gx) = (n / per_row, n % per_row);
        for y in 0..rows * 2 {
            for x in 0..cols * 2 {
                let v = im.get((y / 2) * cols + x / 2).copied().unwrap_or(0);
                img.put_pixel((gx * cw + 2 + x) as u32, (gy * ch + 2 + y) as u32, image::Luma([v * 255]));
            }
        }
    }
    img.save(out).with_context(|| format!("cannot write {}", out.display()))
}

fn sample(args: &SampleArgs) -> anyhow::Result<()> {
    if args.count == 0 || args.count > 4096 {
        bail!("--count must be 1 … 4096");
    }
    let (model, _) = Made::load(&args.model)?;
    let images = made::sample(&model, args.count, args.seed);
    write_grid(&images, model.rows, model.cols, &args.out)?;
    println!("{} MADE samples ({}×{}) written to {}", args.count, model.rows, model.cols, args.out.display());
    Ok(())
}

/// What `bench made` reports.
#[derive(Debug, Serialize)]
pub struct MadeBench {
    pub pixels_per_second: f64,
    pub ms_per_digit: f64,
    pub ms_per_train_step: f64,
    pub batch: usize,
}

fn bench(args: &BenchArgs) -> anyhow::Result<()> {
    let model = match &args.model {
        Some(p) => Made::load(p)?.0,
        None => Made::new(28, 28, made::DEFAULT_HIDDEN, 1)?,
    };
    let digits = args.digits.max(1);
    let start = Instant::now();
    let mut on = 0usize;
    for i in 0..digits as u64 {
        let mut s = Sampler::new(&model, i);
        on += s.finish(&model).iter().map(|&b| usize::from(b)).sum::<usize>();
    }
    let t = start.elapsed().as_secs_f64();
    let pixels = (digits * model.dim()) as f64;
    let data = Dataset::builtin_mnist()?;
    let train = Digits::from_dataset(&data, 0..data.train_len);
    let mut step_ms = f64::NAN;
    if model.rows == data.rows && model.cols == data.cols {
        let mut trainer = MadeTrainer::new(model.clone(), made::DEFAULT_LR, made::DEFAULT_BATCH, 1);
        trainer.step(&train)?;
        let s = Instant::now();
        for _ in 0..20 {
            trainer.step(&train)?;
        }
        step_ms = s.elapsed().as_secs_f64() * 1e3 / 20.0;
    }
    let report = MadeBench {
        pixels_per_second: pixels / t,
        ms_per_digit: t * 1e3 / digits as f64,
        ms_per_train_step: step_ms,
        batch: made::DEFAULT_BATCH,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "MADE {}×{}, {} hidden: sampling {:.0} pixels/s ({:.2} ms per digit, {digits} digits, {on} pixels on); \
             training {:.1} ms per step of {}",
            model.rows,
            model.cols,
            model.hidden,
            report.pixels_per_second,
            report.ms_per_digit,
            report.ms_per_train_step,
            report.batch
        );
    }
    Ok(())
}
