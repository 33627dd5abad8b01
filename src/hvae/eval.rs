//! Evaluating a trained hierarchical VAE: host-side noise (reproducible from a seed whatever the thread split),
//! the importance-weighted bound, latent codes for the plots and ancestral samples.
//!
//! With (z₁ₖ, z₂ₖ) ~ q(z₁, z₂|x) and wₖ = p(x|z₁ₖ) p(z₁ₖ|z₂ₖ) p(z₂ₖ) / q(z₁ₖ, z₂ₖ|x):
//! L_K(x) = log (1/K) Σₖ wₖ ≤ log p(x) in expectation, and the mean of log wₖ estimates the ELBO = L₁.

use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::Hvae;
use crate::models::bounds::{bernoulli_log_lik_row, log_mean_exp};
use crate::nn::normal;

/// Samples per forward pass (bounds memory: 8192 × 784 floats ≈ 25 MB per temporary).
const ROWS_PER_PASS: usize = 8192;

/// `rows × cols` standard normal draws as a tensor.
pub fn noise(rng: &mut SmallRng, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    let v: Vec<f32> = (0..rows * cols).map(|_| normal(rng)).collect();
    Tensor::from_data(TensorData::new(v, [rows, cols]), device)
}

/// The random stream of item `i` of a run seeded with `seed`.
pub fn item_rng(seed: u64, i: usize) -> SmallRng {
    SmallRng::seed_from_u64(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// log wₖ for `k` samples of one image `x` (pixels in {0, 1}).
pub fn log_weights(model: &Hvae, x: &[f32], k: usize, rng: &mut SmallRng, device: &Device) -> Vec<f64> {
    let dim = x.len();
    let xt = Tensor::<2>::from_data(TensorData::new(x.to_vec(), [1, dim]), device);
    let (q1, h1) = model.q_z1(xt);
    let mut out = Vec::with_capacity(k);
    let mut left = k;
    while left > 0 {
        let rows = left.min(ROWS_PER_PASS);
        left -= rows;
        let eps1 = noise(rng, rows, model.z1_dim(), device);
        let eps2 = noise(rng, rows, model.z2_dim(), device);
        let (z1, ratio) = model.latent_log_ratio(&q1, &h1, eps1, eps2);
        let ratio: Vec<f32> = ratio.try_into_vec_as::<f32>().unwrap_or_default();
        // The likelihood is summed on the host: burn's CPU log σ is scalar libm, the slow part at K = 5000.
        let logits: Vec<f32> = model.decode(z1).try_into_vec_as::<f32>().unwrap_or_default();
        if logits.len() != rows * dim || ratio.len() != rows {
            out.extend(std::iter::repeat_n(f64::NAN, rows));
            continue;
        }
        out.extend(logits.chunks_exact(dim).zip(ratio).map(|(l, r)| f64::from(bernoulli_log_lik_row(l, x) + r)));
    }
    out
}

/// One image's bounds from the same K samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DigitBound {
    /// L_K = log-mean-exp of the log-weights.
    pub iwae: f64,
    /// The mean log-weight: an unbiased estimate of the ELBO.
    pub elbo: f64,
}

/// Bounds for image `i` of `pixels` (`n × dim`) with `k` samples from `item_rng(seed, i)`.
pub fn digit_bound(
    model: &Hvae,
    pixels: &[f32],
    dim: usize,
    i: usize,
    k: usize,
    seed: u64,
    device: &Device,
) -> DigitBound {
    let log_w = log_weights(model, &pixels[i * dim..(i + 1) * dim], k, &mut item_rng(seed, i), device);
    DigitBound { iwae: log_mean_exp(&log_w), elbo: log_w.iter().sum::<f64>() / log_w.len().max(1) as f64 }
}

/// Bounds for images `range` of `pixels` with `k` samples each (seeded by `seed`), split over `threads` scoped threads (the CPU backend gives each thread
/// one core), in order. Results do not depend on the split.
pub fn bounds_on_threads(
    model: &Hvae,
    pixels: &[f32],
    dim: usize,
    range: std::ops::Range<usize>,
    (k, seed): (usize, u64),
    threads: usize,
    device: &Device,
) -> Vec<DigitBound> {
    let items: Vec<usize> = range.collect();
    let per = items.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|part| {
                let model = model.clone();
                scope.spawn(move || {
                    crate::models::float_env::flush_subnormals(|| {
                        part.iter().map(|&i| digit_bound(&model, pixels, dim, i, k, seed, device)).collect::<Vec<_>>()
                    })
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

/// Encoder means for images `items`: z₁ = μ₁(x) and z₂ = μ₂(μ₁(x)) (bottom-up) or μ₂(x).
pub fn codes(
    model: &Hvae,
    pixels: &[f32],
    dim: usize,
    items: &[usize],
    device: &Device,
) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let mut z1s = Vec::with_capacity(items.len());
    let mut z2s = Vec::with_capacity(items.len());
    for chunk in items.chunks(1024) {
        let flat: Vec<f32> = chunk.iter().flat_map(|&i| pixels[i * dim..(i + 1) * dim].iter().copied()).collect();
        let x = Tensor::<2>::from_data(TensorData::new(flat, [chunk.len(), dim]), device);
        let (q1, h1) = model.q_z1(x);
        let input = if model.inference() == super::Inference::FromX { h1 } else { q1.mean.clone() };
        let q2 = model.q_z2(input);
        let rows = |t: Tensor<2>, w: usize| -> Vec<Vec<f32>> {
            t.try_into_vec_as::<f32>().unwrap_or_default().chunks(w).map(<[f32]>::to_vec).collect()
        };
        z1s.extend(rows(q1.mean, model.z1_dim()));
        z2s.extend(rows(q2.mean, model.z2_dim()));
    }
    (z1s, z2s)
}

/// `n` ancestral samples z₂ ~ N(0, I) → z₁ ~ p(z₁|z₂) → the pixel means of p(x|z₁): `n × dim` values in [0, 1].
/// The same seed gives the same pictures.
pub fn sample_means(model: &Hvae, n: usize, seed: u64, device: &Device) -> Vec<f32> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let eps2 = noise(&mut rng, n, model.z2_dim(), device);
    let eps1 = noise(&mut rng, n, model.z1_dim(), device);
    model.sample_means(eps1, eps2).try_into_vec_as::<f32>().unwrap_or_default()
}

/// The ELBO's terms (nats per image, −ELBO = recon + KL_z₁ + KL_z₂) averaged over `items` with one sample each.
pub fn mean_terms(model: &Hvae, pixels: &[f32], dim: usize, items: &[usize], seed: u64, device: &Device) -> [f64; 3] {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut sum = [0.0; 3];
    for chunk in items.chunks(1024) {
        let flat: Vec<f32> = chunk.iter().flat_map(|&i| pixels[i * dim..(i + 1) * dim].iter().copied()).collect();
        let x = Tensor::<2>::from_data(TensorData::new(flat, [chunk.len(), dim]), device);
        let eps1 = noise(&mut rng, chunk.len(), model.z1_dim(), device);
        let eps2 = noise(&mut rng, chunk.len(), model.z2_dim(), device);
        let t = model.terms(x, eps1, eps2);
        let w = chunk.len() as f64;
        for (s, v) in sum.iter_mut().zip([t.recon, t.kl_z1, t.kl_z2]) {
            *s += f64::from(v.into_scalar::<f32>()) * w;
        }
    }
    sum.map(|s| s / items.len().max(1) as f64)
}
