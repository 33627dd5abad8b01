//! `latent-lab bench reference`: the lessons' own work against PyTorch 2.x running the same networks, data and
//! optimiser on this machine (2 cores, no GPU; the figures of issue #21, measured once and written here), in one
//! run: our number, the reference, the target, and whether it is met.

use serde::Serialize;

use super::{ImageModel, ImageTrainArgs};
use crate::data::toy2d::Toy2d;
use crate::models::device::DevicePref;
use crate::runtime::train_flags::TrainFlags;

/// One row of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub work: &'static str,
    pub ours: f64,
    /// The spread of our figure where it is a mean over independent draws.
    pub ours_spread: Option<f64>,
    /// PyTorch's figure measured here (mean), and its spread over runs where it was measured.
    pub pytorch: f64,
    pub pytorch_spread: Option<f64>,
    /// What the issue asks of us.
    pub target: &'static str,
    pub met: bool,
    /// ours / PyTorch where a ratio means something (throughput, accuracy); `None` for differences.
    pub ratio: Option<f64>,
    /// What puts the figure in context (a metric's floor), printed under the table.
    pub note: Option<String>,
}

/// Runs the four measurements: the 2-D DDPM and RealNVP for `seconds` each, the VAE's training throughput over
/// `steps` steps, and the VAE's held-out 5-NN accuracy after `vae_seconds` (the reference's 20).
pub fn run(seconds: f64, steps: usize, vae_seconds: f64, device: DevicePref) -> anyhow::Result<Vec<Comparison>> {
    eprintln!("2-D DDPM on two moons, {seconds} s …");
    let ddpm = crate::diffusion::cli::bench_toy(Toy2d::Moons, seconds, 1)?;
    eprintln!("RealNVP (and the residual flow) on two moons, {seconds} s of CPU each, and the CV-KDE …");
    let flows = super::flows::measure(Toy2d::Moons, seconds)?;
    eprintln!("VAE 784-512-256-2, batch 128: {steps} steps …");
    let throughput = super::bench_train(super::BenchModel::Vae, steps, 128, None, device, false)?;
    eprintln!("VAE for {vae_seconds} s, then the held-out 5-NN accuracy of its codes …");
    let args = ImageTrainArgs::defaults();
    let flags = TrainFlags { seconds: Some(vae_seconds), ..TrainFlags::default() };
    let vae = super::train(ImageModel::Vae, &args, &flags, device)?;
    let gap = flows.realnvp_heldout_nll - flows.kde_heldout_nll;
    Ok(vec![
        Comparison {
            work: "2-D DDPM on two moons: energy distance, samples / noise",
            ours: ddpm.ratio,
            ours_spread: Some(ddpm.ratio_sd),
            pytorch: 0.044,
            pytorch_spread: Some(0.015),
            target: "≤ 0.044",
            met: ddpm.ratio <= 0.044,
            ratio: None,
            note: Some(format!(
                "DDPM: mean ± sd over {} draws of {} points; fresh two-moons data (a perfect model) scores {:.3}",
                crate::diffusion::cli::EVALUATION_DRAWS,
                crate::diffusion::cli::EVALUATION_POINTS,
                ddpm.perfect_model_ratio
            )),
        },
        Comparison {
            work: "RealNVP on two moons: held-out NLL minus CV-KDE (nats)",
            ours: gap,
            ours_spread: None,
            pytorch: 0.001,
            pytorch_spread: Some(0.003),
            target: "≤ +0.003",
            met: gap <= 0.003,
            ratio: None,
            note: None,
        },
        Comparison {
            work: "VAE 784-512-256-2, batch 128, Adam: images/s",
            ours: throughput,
            ours_spread: None,
            pytorch: 12_000.0,
            pytorch_spread: None,
            target: "≥ 1.2× PyTorch",
            met: throughput >= 1.2 * 12_000.0,
            ratio: Some(throughput / 12_000.0),
            note: None,
        },
        Comparison {
            work: "VAE held-out 5-NN accuracy after 20 s",
            ours: vae.knn5_accuracy,
            ours_spread: None,
            pytorch: 0.707,
            pytorch_spread: None,
            target: "≥ 0.75",
            met: vae.knn5_accuracy >= 0.75,
            ratio: Some(vae.knn5_accuracy / 0.707),
            note: None,
        },
    ])
}

/// The table `bench reference` prints.
pub fn print(rows: &[Comparison]) {
    println!("{:<58} {:>14} {:>16} {:>16} {:>6}", "work", "latent-lab", "PyTorch (here)", "target", "met");
    for r in rows {
        let pytorch = match r.pytorch_spread {
            Some(s) => format!("{} ± {s}", r.pytorch),
            None => format!("{}", r.pytorch),
        };
        let ours = match (r.ratio, r.ours_spread) {
            (Some(x), _) if r.ours > 100.0 => format!("{:.0} ({x:.2}×)", r.ours),
            (Some(x), _) => format!("{:.3} ({x:.2}×)", r.ours),
            (None, Some(sd)) => format!("{:.3} ± {sd:.3}", r.ours),
            (None, None) => format!("{:+.3}", r.ours),
        };
        println!(
            "{:<58} {:>14} {:>16} {:>16} {:>6}",
            r.work,
            ours,
            pytorch,
            r.target,
            if r.met { "yes" } else { "no" }
        );
    }
    for note in rows.iter().filter_map(|r| r.note.as_deref()) {
        println!("  {note}");
    }
}
