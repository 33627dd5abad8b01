//! `latent-lab sample FILE`: one command for every model file. The file's kind (the one envelope,
//! `runtime::envelope`) chooses what is drawn; flags that the kind has no use for are refused by name.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::bail;
use burn::prelude::*;
use clap::Args;
use rand::SeedableRng;

use crate::diffusion::cli::DiffusionSample;
use crate::diffusion::sampler::Sampler;
use crate::models::checkpoint;
use crate::models::device::{self, DevicePref};
use crate::runtime::envelope::{self, FileKind};

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// A model file from `train … --out` (a pair may be named FILE, FILE.bpk or FILE.json).
    pub model: PathBuf,
    /// How many samples: digits in a grid (at most 1,024), or points of a 2-D model (at most 1,000,000). Default 64
    /// (16 for MADE).
    #[arg(long, value_parser = crate::bounds::within(1, crate::bounds::POINTS))]
    pub count: Option<usize>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The picture to write (PNG; for a WaveNet, `.csv` writes the values instead).
    #[arg(long, default_value = "grid.png")]
    pub out: PathBuf,
    /// Diffusion: DDIM with this many reverse steps (default 50).
    #[arg(long, value_parser = crate::bounds::within(1, crate::bounds::SAMPLING_STEPS))]
    pub steps: Option<usize>,
    /// Diffusion: all T ancestral DDPM steps instead of DDIM.
    #[arg(long, conflicts_with = "steps")]
    pub ddpm: bool,
    /// Class-conditional U-Nets: classifier-free guidance scale w (0: ignore labels, 1: plain conditional).
    #[arg(long)]
    pub guidance: Option<f32>,
    /// Class-conditional U-Nets: only this digit (default: 0, 1, …, 9 in turn).
    #[arg(long)]
    pub digit: Option<usize>,
    /// WaveNet: samples to draw after the given start (default 400).
    #[arg(long, value_parser = crate::bounds::within(1, 50_000))]
    pub length: Option<usize>,
    /// WaveNet: softmax temperature (0: always the most likely level; default 1).
    #[arg(long)]
    pub temperature: Option<f32>,
}

impl SampleArgs {
    /// Refuses the flags `kind` has no use for, naming them.
    fn check_flags_for(&self, kind: FileKind) -> anyhow::Result<()> {
        let diffusion = matches!(kind, FileKind::UNet | FileKind::Ddpm2d);
        let given = [
            ("--steps", self.steps.is_some(), diffusion),
            ("--ddpm", self.ddpm, diffusion),
            ("--guidance", self.guidance.is_some(), kind == FileKind::UNet),
            ("--digit", self.digit.is_some(), kind == FileKind::UNet),
            ("--length", self.length.is_some(), kind == FileKind::WaveNet),
            ("--temperature", self.temperature.is_some(), kind == FileKind::WaveNet),
            ("--count", self.count.is_some(), kind != FileKind::WaveNet),
        ];
        let unused: Vec<&str> = given.iter().filter(|(_, set, fits)| *set && !fits).map(|(flag, ..)| *flag).collect();
        if !unused.is_empty() {
            bail!("{} holds {}: {} does not apply to it", self.model.display(), kind.label(), unused.join(", "));
        }
        Ok(())
    }

    /// `--count`, or the default, checked against what `kind` can draw.
    fn count_for(&self, kind: FileKind) -> anyhow::Result<usize> {
        let default = if kind == FileKind::Made { 16 } else { 64 };
        let count = self.count.unwrap_or(default);
        let points = matches!(kind, FileKind::Ddpm2d | FileKind::RealNvp | FileKind::ResFlow);
        let most = if points { crate::bounds::POINTS } else { crate::bounds::IMAGES } as usize;
        if count > most {
            bail!(
                "--count {count}: {} draws at most {most} samples ({})",
                kind.label(),
                if points { "points of a scatter" } else { "digits in one grid" }
            );
        }
        Ok(count)
    }
}

/// Runs `latent-lab sample`.
pub fn run(args: &SampleArgs, pref: DevicePref) -> anyhow::Result<()> {
    let found = envelope::identify(&args.model).map_err(anyhow::Error::msg)?;
    args.check_flags_for(found.kind)?;
    let count = args.count_for(found.kind)?;
    let (path, out) = (&found.description, &args.out);
    crate::runtime::files::check_out(Some(out)).map_err(anyhow::Error::msg)?;
    let diffusion = || DiffusionSample {
        sampler: if args.ddpm { Sampler::Ddpm } else { Sampler::Ddim { steps: args.steps.unwrap_or(50) } },
        count,
        seed: args.seed,
        guidance: args.guidance.unwrap_or(crate::diffusion::digits::DEFAULT_GUIDANCE),
        digit: args.digit,
    };
    match found.kind {
        FileKind::Autoencoder | FileKind::Vae => sample_autoencoder(path, count, args.seed, out, pref),
        FileKind::Hvae => crate::hvae::cli::sample_png(path, out, count, args.seed, pref),
        FileKind::UNet => crate::diffusion::cli::sample_unet(path, &diffusion(), out, pref),
        FileKind::Ddpm2d => crate::diffusion::cli::sample_toy(&found.text, path, &diffusion(), out),
        FileKind::Made => crate::autoregressive::cli::sample_made(&found.text, path, count, args.seed, out),
        FileKind::WaveNet => {
            let temperature = args.temperature.unwrap_or(1.0);
            if !(temperature.is_finite() && (0.0..=100.0).contains(&temperature)) {
                bail!("--temperature must be a number from 0 to 100, got {temperature}");
            }
            let length = args.length.unwrap_or(400);
            crate::autoregressive::cli::sample_wavenet((&found.text, path), length, temperature, args.seed, out)
        }
        FileKind::RealNvp | FileKind::ResFlow => super::flows::sample(&found.text, path, count, args.seed, out),
    }
}

/// An autoencoder's or a VAE's decoder on z ~ N(0, I): pixel means in a grid. For a VAE these are samples of the
/// model; an autoencoder was never asked to make N(0, I) codes meaningful, and the message says so.
fn sample_autoencoder(path: &Path, count: usize, seed: u64, out: &Path, pref: DevicePref) -> anyhow::Result<()> {
    let start = Instant::now();
    let device = device::select(pref).0.without_autodiff();
    let (model, config) = checkpoint::load(path, &device)?;
    let side = (config.input_dim as f64).sqrt().round() as usize;
    if side * side != config.input_dim {
        bail!("{}: images of {} pixels are not square, so they cannot be drawn", path.display(), config.input_dim);
    }
    let latent = config.latent_dim;
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let z: Vec<f32> = (0..count * latent).map(|_| crate::nn::normal(&mut rng)).collect();
    let z = Tensor::<2>::from_data(TensorData::new(z, [count, latent]), &device);
    let means = burn::tensor::activation::sigmoid(model.decode(z));
    let pixels = means.into_data().convert::<f32>().try_to_vec::<f32>().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    crate::runtime::png::write_grid(&pixels, count, (side, side), 1, out)?;
    let what = if config.variational {
        "VAE samples: z ~ N(0, I) → decoder means"
    } else {
        "autoencoder decodings of z ~ N(0, I) (an autoencoder has no prior: expect blurs and non-digits)"
    };
    println!("{count} {what} in {:.2} s → {}", start.elapsed().as_secs_f64(), out.display());
    Ok(())
}
