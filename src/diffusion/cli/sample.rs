//! The diffusion arms of `sample FILE`: digits from a U-Net (optionally guided), points from a 2-D DDPM.

use std::path::Path;
use std::time::Instant;

use anyhow::bail;

use crate::diffusion::digits::{self, Guidance};
use crate::diffusion::sampler::Sampler;
use crate::diffusion::toy::read_toy_model;
use crate::models::device::{self, DevicePref};

/// The `sample` settings of a diffusion model.
#[derive(Debug, Clone)]
pub struct DiffusionSample {
    /// DDIM with this many reverse steps, or all T ancestral steps.
    pub sampler: Sampler,
    pub count: usize,
    pub seed: u64,
    /// Class-conditional U-Nets: the guidance scale w and one digit (default: 0, 1, …, 9 in turn).
    pub guidance: f32,
    pub digit: Option<usize>,
}

/// `latent-lab sample FILE` for a digits U-Net: a square grid of digits.
pub fn sample_unet(path: &Path, opts: &DiffusionSample, out: &Path, pref: DevicePref) -> anyhow::Result<()> {
    let start = Instant::now();
    let (device, _) = device::select(pref);
    let (model, config) = digits::load_described(path, &device)?;
    let guidance = sample_guidance(opts, config.classes, path)?;
    let pixels =
        digits::sample_digits(&model, &config, opts.sampler, opts.count, opts.seed, guidance.as_ref(), &device, |_| {})
            .map_err(anyhow::Error::msg)?;
    crate::runtime::png::write_grid(&pixels, opts.count, (config.image_size, config.image_size), 1, out)?;
    report_sampled(opts, start, out);
    Ok(())
}

/// `latent-lab sample FILE` for a 2-D model (the file's text, already read): a scatter of the samples.
pub fn sample_toy(text: &str, path: &Path, opts: &DiffusionSample, out: &Path) -> anyhow::Result<()> {
    let start = Instant::now();
    let model = read_toy_model(text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if opts.digit.is_some() {
        bail!("--digit: {} is a 2-D model, not a class-conditional U-Net", path.display());
    }
    let (points, _) = model.sample(opts.sampler, opts.count, opts.seed, false)?;
    crate::runtime::png::write_scatter(&points, out)?;
    report_sampled(opts, start, out);
    Ok(())
}

fn report_sampled(opts: &DiffusionSample, start: Instant, out: &Path) {
    println!(
        "{} samples ({}) in {:.2} s → {}",
        opts.count,
        opts.sampler.describe(),
        start.elapsed().as_secs_f64(),
        out.display()
    );
}

pub(super) fn check_guidance(w: f32) -> anyhow::Result<()> {
    if w.is_finite() && w >= 0.0 { Ok(()) } else { bail!("--guidance must be 0 or more, got {w}") }
}

/// The labels `sample` asks a model with `classes` classes for (None for an unconditional model).
fn sample_guidance(opts: &DiffusionSample, classes: usize, path: &Path) -> anyhow::Result<Option<Guidance>> {
    check_guidance(opts.guidance)?;
    if classes == 0 {
        if opts.digit.is_some() {
            bail!("--digit: {} is not class-conditional", path.display());
        }
        return Ok(None);
    }
    Ok(Some(match opts.digit {
        Some(d) if d >= classes => bail!("--digit {d}: the model knows classes 0 to {}", classes - 1),
        Some(d) => Guidance { labels: vec![Some(d); opts.count], scale: opts.guidance },
        None => Guidance::cycling(opts.count, classes, opts.guidance),
    }))
}
