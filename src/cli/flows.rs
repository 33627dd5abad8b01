//! `latent-lab train realnvp|resflow …` and `latent-lab bench flow …`: the 2-D flows, headless.

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;

use crate::data::toy2d::Toy2d;
use crate::flows::kde::Kde;
use crate::flows::train::{Clock, FlowData, TOY_POINTS, TrainSettings, train_for, train_for_clock};
use crate::flows::{FlowModel, RealNvpConfig, ResFlowConfig, Trainer};
use crate::runtime::train_flags::TrainFlags;

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

/// `train realnvp` and `train resflow`: what both flows take.
#[derive(Debug, Args)]
pub struct FlowArgs {
    /// The 2-D toy dataset.
    #[arg(long, value_enum, default_value_t = Toy2d::Moons)]
    pub data: Toy2d,
    #[arg(long, default_value_t = 2e-3, value_parser = crate::bounds::learning_rate)]
    pub lr: f64,
    /// Minibatch size in points (default 256).
    #[arg(long, value_parser = crate::bounds::batch())]
    pub batch_size: Option<usize>,
    /// The Flows tab's size (8 layers or blocks of 32 hidden units) instead of the default, so the tab's heat maps
    /// stay fast with the file (the shipped lecture's flows are made so).
    #[arg(long)]
    pub lesson_size: bool,
}

/// `train resflow`: the flow's flags and the Lipschitz bound of its blocks.
#[derive(Debug, Args)]
pub struct ResFlowArgs {
    #[command(flatten)]
    pub flow: FlowArgs,
    /// Lipschitz bound c of each residual block (must lie in (0, 1) for the flow to be invertible).
    #[arg(long, default_value_t = 0.9)]
    pub lipschitz: f64,
}

/// Which flow `train` makes.
#[derive(Debug, Clone, Copy)]
pub enum FlowChoice {
    RealNvp,
    /// With its Lipschitz bound.
    Residual(f64),
}

/// `latent-lab train realnvp|resflow --data … [--seconds S] [--out FILE] [--json]`
pub fn train(choice: FlowChoice, args: &FlowArgs, flags: &TrainFlags) -> anyhow::Result<()> {
    flags.check_out()?;
    let kind = args.data;
    let seconds = flags.seconds_or(20.0);
    let seed = flags.seed_or(42);
    let model = match choice {
        FlowChoice::RealNvp if args.lesson_size => FlowModel::real_nvp(crate::lessons::flows::lesson_nvp(), seed),
        FlowChoice::RealNvp => FlowModel::real_nvp(RealNvpConfig::default(), seed),
        FlowChoice::Residual(lipschitz) => {
            let config = if args.lesson_size {
                crate::lessons::flows::lesson_res(lipschitz)
            } else {
                ResFlowConfig { lipschitz, ..ResFlowConfig::default() }
            };
            FlowModel::residual(config, seed).map_err(anyhow::Error::msg)?
        }
    };
    let data = FlowData::toy(kind, TOY_POINTS, seed);
    let settings = TrainSettings {
        lr: args.lr,
        batch_size: args.batch_size.unwrap_or(TrainSettings::default().batch_size).max(1),
        seed,
        ..TrainSettings::default()
    };
    let mut trainer = Trainer::new(model, settings);
    if !flags.json {
        eprintln!("training {} on {} for {seconds} s…", trainer.model.kind().label(), kind.label());
    }
    let summary = train_for(&mut trainer, &data, seconds);
    if let Some(step) = summary.diverged_at {
        bail!("diverged at step {step} — learning rate too high? (the last good weights were kept)");
    }
    let saved_to = match &flags.out {
        Some(path) => {
            crate::flows::file::FlowFile { data: kind, model: trainer.model.clone(), steps: trainer.steps }
                .save(path)
                .map_err(|e| anyhow::anyhow!("could not save: {e}"))?;
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
    crate::runtime::report::emit(flags.json, &report, |report| {
        println!(
            "{} on {}: {} steps in {:.1} s ({:.2} ms/step)",
            report.model, report.data, report.steps, report.seconds, report.ms_per_step
        );
        println!("NLL (nats/point): train {:.4}, held-out {:.4}", report.train_nll, report.heldout_nll);
        println!("max |f⁻¹(f(x)) − x| on held-out points: {:.2e}", report.invertibility_error);
        if let Some(p) = &report.saved_to {
            println!("saved to {p}");
        }
    })?;
    Ok(())
}

/// `latent-lab bench flow --data moons --seconds 60 [--json]`: RealNVP and the residual flow train side by side
/// (one thread each) for `seconds` of CPU time each, then the KDE is fitted on the same training points.
pub fn bench(kind: Toy2d, seconds: f64, json: bool) -> anyhow::Result<()> {
    let report = measure(kind, seconds)?;
    crate::runtime::report::emit(json, &report, |report| {
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
    })
}

/// RealNVP and the residual flow trained side by side for `seconds` of CPU time each, and the CV-bandwidth KDE,
/// scored on the same held-out points.
pub fn measure(kind: Toy2d, seconds: f64) -> anyhow::Result<FlowBench> {
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
    Ok(report)
}

/// `latent-lab sample FILE` for a flow (the file's text, already read): x = f⁻¹(z) for z ~ N(0, I), as a scatter.
pub fn sample(
    text: &str,
    path: &std::path::Path,
    count: usize,
    seed: u64,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let start = std::time::Instant::now();
    let file = crate::flows::file::FlowFile::from_text(text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let (points, stats) = file.model.sample(count, seed);
    let points: Vec<[f32; 2]> = points.iter().map(|p| [p[0] as f32, p[1] as f32]).collect();
    crate::runtime::png::write_scatter(&points, out)?;
    let inverse = stats
        .map_or(String::new(), |s| format!(", fixed-point inverse: at most {} iterations per block", s.max_iterations));
    println!(
        "{count} samples of {} ({}) in {:.2} s{inverse} → {}",
        file.model.kind().label(),
        file.data.label(),
        start.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}
