//! The autoregressive commands' flags and work: `train made`, `train wavenet`, the MADE and WaveNet arms of
//! `sample FILE`, and `bench made` (the command tree is `crate::cli`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use super::made::{self, Digits, Made, MadeInfo, MadeTrainer, Sampler};
use super::signals::{self, SignalKind};
use super::wavenet::{WaveNet, WaveNetConfig, WaveNetTrainer};
use crate::data::Dataset;
use crate::runtime::progress::Progress;
use crate::runtime::train_flags::TrainFlags;

#[derive(Debug, Args)]
pub struct MadeArgs {
    /// Stop after this many steps (whichever of --seconds and --steps comes first).
    #[arg(long, value_parser = crate::bounds::steps())]
    pub steps: Option<usize>,
    #[arg(long, default_value_t = made::DEFAULT_HIDDEN, value_parser = crate::bounds::within(1, 8192))]
    pub hidden: usize,
    #[arg(long, default_value_t = made::DEFAULT_LR, value_parser = crate::bounds::learning_rate_f32)]
    pub lr: f32,
    #[arg(long, default_value_t = made::DEFAULT_BATCH, value_parser = crate::bounds::batch())]
    pub batch_size: usize,
    /// Score the held-out digits every this many seconds of training (the NLL-vs-time curve).
    #[arg(long, default_value_t = 10.0, value_parser = crate::bounds::interval)]
    pub eval_every: f64,
}

#[derive(Debug, Args)]
pub struct WaveNetArgs {
    #[arg(long, value_enum, default_value_t = SignalKind::Sines)]
    pub signal: SignalKind,
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

/// `latent-lab train made …`
pub fn train_made(args: &MadeArgs, flags: &TrainFlags) -> anyhow::Result<()> {
    flags.check_out()?;
    let seconds = flags.seconds_or(60.0);
    let seed = flags.seed_or(1);
    let every = args.eval_every;
    let data = Dataset::builtin_mnist()?;
    let train = Digits::from_dataset(&data, 0..data.train_len);
    let held = Digits::from_dataset(&data, data.heldout_range());
    let mut model = Made::new(data.rows, data.cols, args.hidden, seed)?;
    model.init_output_bias(&train);
    let parameters = model.parameters();
    let mut trainer = MadeTrainer::new(model, args.lr, args.batch_size, seed);
    let bar = Progress::new(seconds, "s");
    let cancel = AtomicBool::new(false);
    // --seconds is the whole run: training and the held-out scores along the way (the curve's times are training
    // seconds); the final score comes after.
    let clock = Instant::now();
    let (mut spent, mut curve, mut smooth) = (0.0_f64, Vec::new(), f64::NAN);
    while clock.elapsed().as_secs_f64() < seconds && args.steps.is_none_or(|m| trainer.steps < m) {
        let chunk = every.min(seconds - clock.elapsed().as_secs_f64()).max(1e-3);
        let taken = made::train_for(&mut trainer, &train, chunk, args.steps, &cancel, &mut |f, loss| {
            smooth = if smooth.is_nan() { loss } else { 0.98 * smooth + 0.02 * loss };
            let _ = f;
            bar.set(clock.elapsed().as_secs_f64(), format!("train {smooth:.1} nats"));
        })?;
        spent += taken;
        let (nll, _) = trainer.model.nll_stats(&held, held.len())?;
        curve.push((spent, nll));
        bar.set(
            clock.elapsed().as_secs_f64(),
            format!("step {}  train {smooth:.1}  held-out {nll:.1} nats", trainer.steps),
        );
    }
    bar.finish();
    let (heldout_nll, heldout_std_error) = trainer.model.nll_stats(&held, held.len())?;
    let saved_to = match &flags.out {
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
    crate::runtime::report::emit(flags.json, &report, |report| {
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
    })?;
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

/// `latent-lab train wavenet …`
pub fn train_wavenet(args: &WaveNetArgs, flags: &TrainFlags) -> anyhow::Result<()> {
    flags.check_out()?;
    let seconds = flags.seconds_or(30.0);
    let seed = flags.seed_or(1);
    let config = WaveNetConfig { channels: args.channels, dilations: args.dilations.clone(), levels: args.levels };
    let net = WaveNet::new(config, seed)?;
    let parameters = net.parameters();
    let mut trainer = WaveNetTrainer::new(net, args.signal, args.lr, seed);
    let bar = Progress::new(seconds, "s");
    let mut smooth = f64::NAN;
    let budget = crate::nn::Budget::seconds(seconds).with_steps(args.steps);
    let spent = crate::models::float_env::flush_subnormals(|| {
        crate::nn::budget::run(budget, None, |fraction| {
            let loss = trainer.step()?;
            smooth = if smooth.is_nan() { loss } else { 0.95 * smooth + 0.05 * loss };
            bar.set(fraction * seconds, format!("step {}  loss {smooth:.3} nats", trainer.steps));
            Ok::<(), super::ArError>(())
        })
    })?;
    let train_seconds = spent.seconds;
    bar.finish();
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
    let saved_to = match &flags.out {
        Some(path) => {
            super::wavenet::WaveNetFile { signal: args.signal, model: net.clone(), steps: trainer.steps }.save(path)?;
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
    crate::runtime::report::emit(flags.json, &report, |report| {
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
    })?;
    Ok(())
}

/// `latent-lab sample FILE` for a MADE model (the file's text, already read): `count` digits drawn pixel by pixel,
/// as a grid (each pixel 2×2).
pub fn sample_made(text: &str, path: &Path, count: usize, seed: u64, out: &Path) -> anyhow::Result<()> {
    let (model, _) = Made::from_json(text.as_bytes(), path)?;
    let images = made::sample(&model, count, seed);
    let pixels: Vec<f32> = images.iter().flatten().map(|&v| f32::from(v)).collect();
    crate::runtime::png::write_grid(&pixels, count, (model.rows, model.cols), 2, out)?;
    println!("{count} MADE samples ({}×{}) written to {}", model.rows, model.cols, out.display());
    Ok(())
}

/// `latent-lab sample FILE` for a WaveNet (the file's text, already read): a fresh signal of its family as the start (one receptive field), then
/// `length` samples drawn one at a time at `temperature` (0: the most likely level), drawn as a curve (the start
/// grey) or written as CSV (`--out *.csv`: one value per line).
pub fn sample_wavenet(
    (text, path): (&str, &Path),
    length: usize,
    temperature: f32,
    seed: u64,
    out: &Path,
) -> anyhow::Result<()> {
    let file = super::wavenet::WaveNetFile::from_text(text, path)?;
    let start = signals::generate(file.signal, file.model.receptive_field(), seed);
    let generated = file.model.continue_signal(&start, length, temperature, seed);
    let signal: Vec<f32> = start.iter().chain(&generated).copied().collect();
    if out.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        let text = signal.iter().fold(String::new(), |mut text, v| {
            let _ = writeln!(text, "{v}");
            text
        });
        crate::runtime::files::write_atomic(out, text.as_bytes())
            .with_context(|| format!("cannot write {}", out.display()))?;
    } else {
        crate::runtime::png::write_signal(&signal, start.len(), out)?;
    }
    println!(
        "WaveNet ({}): {} given samples then {length} drawn at temperature {temperature} → {}",
        file.signal.label(),
        start.len(),
        out.display()
    );
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

pub fn bench(args: &BenchArgs) -> anyhow::Result<()> {
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
    crate::runtime::report::emit(args.json, &report, |report| {
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
    })?;
    Ok(())
}
