//! `latent-lab train realnvp|resflow …` and `latent-lab bench flow …`: the 2-D flows, headless.

use anyhow::{Context, bail};
use clap::ValueEnum;
use serde::Serialize;

use super::{ModelArg, TrainArgs};
use crate::data::toy2d::Toy2d;
use crate::flows::kde::Kde;
use crate::flows::train::{Clock, FlowData, TOY_POINTS, TrainSettings, train_for, train_for_clock};
use crate::flows::{FlowModel, RealNvpConfig, ResFlowConfig, Trainer};

/// What `train realnvp|resflow` prints (`--json` prints exactly this).
#[derive(Debug, Serialize)]
pub struct FlowReport {
    pub model: String,
    pub data: String,
    pub train_points: usize,
    pub heldout_points: usize,
    pub steps: u64,
    pub seconds: f64,
    pub ms_per_step: f64,
    pub train_nll: f64,
    pub heldout_nll: f64,
    /// max |f⁻¹(f(x)) − x| over the held-out points.
    pub invertibility_error: f64,
    pub saved_to: Option<String>,
}

/// What `bench flow` prints.
#[derive(Debug, Serialize)]
pub struct FlowBench {
    pub realnvp_heldout_nll: f64,
    pub resflow_heldout_nll: f64,
    pub kde_heldout_nll: f64,
    pub kde_bandwidth: f64,
    pub realnvp_steps: u64,
    pub realnvp_ms_per_step: f64,
    pub resflow_steps: u64,
    pub resflow_ms_per_step: f64,
    pub train_points: usize,
    pub heldout_points: usize,
    /// Training budget per flow, in CPU seconds of its thread (wall-clock seconds where the OS does not tell).
    pub seconds: f64,
    pub realnvp_wall_seconds: f64,
    pub resflow_wall_seconds: f64,
}

/// The 2-D dataset named by `--data` (default two moons).
fn toy_dataset(args: &TrainArgs) -> anyhow::Result<Toy2d> {
    if args.data.labels.is_some() {
        bail!("--labels is for image datasets; the flows train on a 2-D toy dataset (--data moons|rings|…)");
    }
    let Some(name) = &args.data.data else { return Ok(Toy2d::Moons) };
    let name = name.to_string_lossy();
    Toy2d::from_str(&name, true).map_err(|_| {
        let names: Vec<String> = Toy2d::value_variants()
            .iter()
            .filter_map(ValueEnum::to_possible_value)
            .map(|v| v.get_name().into())
            .collect();
        anyhow::anyhow!("unknown 2-D dataset '{name}': choose one of {}", names.join(", "))
    })
}

/// `latent-lab train realnvp|resflow --data … [--seconds S] [--out FILE] [--json]`
pub fn train(args: &TrainArgs) -> anyhow::Result<()> {
    crate::runtime::files::check_out(args.out.as_deref()).map_err(anyhow::Error::msg)?;
    let kind = toy_dataset(args)?;
    if args.epochs.is_some() {
        bail!("the flows train for a time: use --seconds");
    }
    let seconds = args.seconds.unwrap_or(20.0);
    if !(seconds.is_finite() && seconds > 0.0) {
        bail!("--seconds must be positive, got {seconds}");
    }
    if !(args.lr.is_finite() && args.lr > 0.0) {
        bail!("--lr must be positive, got {}", args.lr);
    }
    let model = match args.model {
        ModelArg::Realnvp => FlowModel::real_nvp(RealNvpConfig::default(), args.seed),
        ModelArg::Resflow => {
            FlowModel::residual(ResFlowConfig { lipschitz: args.lipschitz, ..ResFlowConfig::default() }, args.seed)
                .map_err(anyhow::Error::msg)?
        }
        other => bail!("{other:?} is not a flow"),
    };
    let data = FlowData::toy(kind, TOY_POINTS, args.seed);
    let settings = TrainSettings {
        lr: args.lr,
        batch_size: args.batch_size.unwrap_or(TrainSettings::default().batch_size).max(1),
        seed: args.seed,
        ..TrainSettings::default()
    };
    let mut trainer = Trainer::new(model, settings);
    if !args.json {
        eprintln!("training {} on {} for {seconds} s…", trainer.model.kind().label(), kind.label());
    }
    let summary = train_for(&mut trainer, &data, seconds);
    if let Some(step) = summary.diverged_at {
        bail!("diverged at step {step} — learning rate too high? (the last good weights were kept)");
    }
    let saved_to = match &args.out {
        Some(path) => {
            let text = serde_json::to_string(&serde_json::json!({ "data": kind, "model": &trainer.model }))?;
            crate::runtime::files::write_atomic(path, text.as_bytes())
                .with_context(|| format!("could not write {}", path.display()))?;
            Some(path.display().to_string())
        }
        None => None,
    };
    let report = FlowReport {
        model: trainer.model.kind().label().into(),
        data: kind.label().into(),
        train_points: data.train.len(),
        heldout_points: data.test.len(),
        steps: summary.steps,
        seconds: summary.seconds,
        ms_per_step: summary.ms_per_step,
        train_nll: summary.train_nll,
        heldout_nll: summary.heldout_nll,
        invertibility_error: trainer.model.invertibility_error(&data.test),
        saved_to,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{} on {}: {} steps in {:.1} s ({:.2} ms/step)",
            report.model, report.data, report.steps, report.seconds, report.ms_per_step
        );
        println!("NLL (nats/point): train {:.4}, held-out {:.4}", report.train_nll, report.heldout_nll);
        println!("max |f⁻¹(f(x)) − x| on held-out points: {:.2e}", report.invertibility_error);
        if let Some(p) = &report.saved_to {
            println!("saved to {p}");
        }
    }
    Ok(())
}

/// `latent-lab bench flow --data moons --seconds 60 [--json]`: RealNVP and the residual flow train side by side
/// (one thread each) for `seconds` of CPU time each, then the KDE is fitted on the same training points.
pub fn bench(kind: Toy2d, seconds: f64, json: bool) -> anyhow::Result<()> {
    if !(seconds.is_finite() && seconds > 0.0) {
        bail!("--seconds must be positive, got {seconds}");
    }
    let data = FlowData::toy(kind, TOY_POINTS, 1);
    let settings = TrainSettings::default();
    let residual = FlowModel::residual(ResFlowConfig::default(), 1).map_err(anyhow::Error::msg)?;
    let (nvp, res) = std::thread::scope(|s| {
        let nvp = s.spawn(|| {
            let mut t = Trainer::new(FlowModel::real_nvp(RealNvpConfig::default(), 1), settings);
            train_for_clock(&mut t, &data, seconds, Clock::ThreadCpu)
        });
        let res = s.spawn(|| {
            let mut t = Trainer::new(residual, settings);
            train_for_clock(&mut t, &data, seconds, Clock::ThreadCpu)
        });
        (nvp.join(), res.join())
    });
    let (nvp, res) =
        (nvp.ok().context("the RealNVP thread panicked")?, res.ok().context("the residual thread panicked")?);
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let kde = Kde::fit(data.train.clone(), threads);
    let report = FlowBench {
        realnvp_heldout_nll: nvp.heldout_nll,
        resflow_heldout_nll: res.heldout_nll,
        kde_heldout_nll: kde.nll(&data.test),
        kde_bandwidth: kde.bandwidth,
        realnvp_steps: nvp.steps,
        realnvp_ms_per_step: nvp.ms_per_step,
        resflow_steps: res.steps,
        resflow_ms_per_step: res.ms_per_step,
        train_points: data.train.len(),
        heldout_points: data.test.len(),
        seconds,
        realnvp_wall_seconds: nvp.seconds,
        resflow_wall_seconds: res.seconds,
    };
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "held-out NLL on {} ({} train / {} held-out points, nats/point):",
            kind.label(),
            report.train_points,
            report.heldout_points
        );
        println!(
            "  RealNVP        {:.4}  ({} steps, {:.2} ms/step)",
            report.realnvp_heldout_nll, report.realnvp_steps, report.realnvp_ms_per_step
        );
        println!(
            "  residual flow  {:.4}  ({} steps, {:.2} ms/step)",
            report.resflow_heldout_nll, report.resflow_steps, report.resflow_ms_per_step
        );
        println!(
            "  KDE            {:.4}  (bandwidth {:.4}, by leave-one-out CV)",
            report.kde_heldout_nll, report.kde_bandwidth
        );
    }
    Ok(())
}
