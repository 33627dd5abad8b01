//! `train ddpm`: the 2-D DDPM and the digits U-Net, with a report.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;

use crate::data::Dataset;
use crate::diffusion::digits::{self, DigitsTrainer};
use crate::diffusion::toy::{ToyConfig, ToyTrainer};
use crate::diffusion::unet::UNetConfig;
use crate::models::device::{self, DevicePref};
use crate::models::float_env::flush_subnormals;
use crate::runtime::progress::Progress;
use crate::runtime::train_flags::TrainFlags;

use super::DdpmArgs;

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
            trainer.set_learning_rate(crate::nn::cosine_decay(f64::from(config.learning_rate), 0.1, fraction) as f32);
            let loss = f64::from(trainer.step()?);
            smooth = if smooth.is_nan() { loss } else { 0.98 * smooth + 0.02 * loss };
            if trainer.steps_done % 20 == 0 {
                progress(trainer.steps_done, smooth as f32, fraction * seconds);
            }
            Ok::<(), crate::diffusion::toy::Diverged>(())
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
                    crate::diffusion::toy::write_toy_model(&trainer.ema).map_err(anyhow::Error::msg)?.as_bytes(),
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
            trainer.learning_rate = crate::nn::cosine_decay(peak, 0.1, fraction);
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
