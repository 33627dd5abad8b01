//! Likelihood bounds of a VAE: the importance-weighted bound L_K (IWAE), and for a 2-D latent the exact log p(x)
//! by numerical integration over a grid of z. Pure helpers (log-mean-exp, the grid, estimates) are separate from
//! the burn parts so they can be tested against closed forms.
//!
//! With q(z|x) the encoder's Gaussian and w_k = p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q:
//! L_K(x) = E[log (1/K) Σ_k w_k] ≤ log p(x), with L_1 the ELBO and L_K increasing in K.

use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::log_sigmoid;

use super::Autoencoder;

/// ln(2π).
pub const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Rows of decoder output evaluated per forward pass (bounds memory to a few tens of MB).
const ROWS_PER_PASS: usize = 8192;

/// Why a bound cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoundsError {
    #[error("K must be at least 1")]
    ZeroK,
    #[error("K = {0} is more than this app evaluates (at most 100,000 samples per digit)")]
    KTooLarge(usize),
    #[error("the model is not a VAE (an autoencoder has no q(z|x) to sample from)")]
    NotVariational,
    #[error("numerical integration over z needs a 2-D latent space; this model's is {0}-D")]
    NotTwoDimensional(usize),
    #[error("the grid must have 2 to 2000 cells per side and a positive half-width")]
    BadGrid,
}

/// Largest K accepted by the evaluators.
pub const MAX_K: usize = 100_000;

/// A running log-sum-exp: adds terms one at a time without overflow.
#[derive(Debug, Clone, Copy)]
pub struct LogSumExp {
    max: f64,
    sum: f64,
}

impl Default for LogSumExp {
    fn default() -> Self {
        Self { max: f64::NEG_INFINITY, sum: 0.0 }
    }
}

impl LogSumExp {
    pub fn add(&mut self, v: f64) {
        if v.is_nan() {
            self.max = f64::NAN;
        } else if v > self.max {
            self.sum = self.sum * (self.max - v).exp() + 1.0;
            self.max = v;
        } else if v > f64::NEG_INFINITY {
            self.sum += (v - self.max).exp();
        }
    }

    /// log Σ exp(terms); −∞ when nothing (or only −∞) was added.
    pub fn value(&self) -> f64 {
        if self.max == f64::NEG_INFINITY { f64::NEG_INFINITY } else { self.max + self.sum.ln() }
    }
}

/// log((1/n) Σ exp(vᵢ)), stable for huge and tiny values; −∞ for no values.
pub fn log_mean_exp(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NEG_INFINITY;
    }
    let mut acc = LogSumExp::default();
    for &v in values {
        acc.add(v);
    }
    acc.value() - (values.len() as f64).ln()
}

/// Mean and standard error of the mean.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Estimate {
    pub mean: f64,
    pub stderr: f64,
}

/// Mean ± standard error of `values` (standard error 0 for fewer than two values).
pub fn estimate(values: &[f64]) -> Estimate {
    let n = values.len() as f64;
    if values.is_empty() {
        return Estimate { mean: f64::NAN, stderr: f64::NAN };
    }
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return Estimate { mean, stderr: 0.0 };
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Estimate { mean, stderr: (var / n).sqrt() }
}

/// Midpoints of a `grid × grid` lattice over [−h, h]² (row-major, z₂ outer) and the area of one cell.
pub fn grid_points(grid: usize, half_width: f64) -> (Vec<[f32; 2]>, f64) {
    let step = 2.0 * half_width / grid as f64;
    let coord = |i: usize| (-half_width + (i as f64 + 0.5) * step) as f32;
    let points = (0..grid).flat_map(|j| (0..grid).map(move |i| [coord(i), coord(j)])).collect();
    (points, step * step)
}

/// log ∫ exp(f(z)) dz over [−h, h]² by the midpoint rule on the grid (the same rule `quadrature_log_px` uses).
pub fn grid_log_integral(f: impl Fn([f64; 2]) -> f64, grid: usize, half_width: f64) -> f64 {
    let (points, area) = grid_points(grid, half_width);
    let mut acc = LogSumExp::default();
    for p in points {
        acc.add(f([f64::from(p[0]), f64::from(p[1])]));
    }
    acc.value() + area.ln()
}

/// Σ_d log Bernoulli(x_d; σ(ℓ_d)) for each row: Σ x ℓ + log σ(−ℓ). Shape `[rows, 1]`.
pub fn bernoulli_log_lik(logits: Tensor<2>, x: Tensor<2>) -> Tensor<2> {
    (x * logits.clone() + log_sigmoid(logits.neg())).sum_dim(1)
}

/// `k` samples z ~ q(z|x) per item (`[n·k, latent]`, item-major) and log p(z) − log q(z|x) for each (`[n·k, 1]`).
/// With `eps` (`[n·k, latent]` standard normals) given, or drawn from burn's generator.
fn sample_posterior(model: &Autoencoder, x: Tensor<2>, k: usize, eps: Option<Tensor<2>>) -> (Tensor<2>, Tensor<2>) {
    let [n, _] = x.dims();
    let device = x.device();
    let (mean, log_var) = model.encode(x);
    let log_var = log_var.unwrap_or_else(|| mean.zeros_like());
    let latent = model.latent_dim();
    let mean = repeat_rows(mean, k);
    let log_var = repeat_rows(log_var, k);
    let eps = eps.unwrap_or_else(|| Tensor::<2>::random([n * k, latent], Distribution::Normal(0.0, 1.0), &device));
    let z = mean + log_var.clone().mul_scalar(0.5).exp() * eps.clone();
    let half_latent_ln2pi = 0.5 * latent as f64 * LN_2PI;
    // log q(z|x) = −½ Σ (ε² + log σ² + ln 2π);  log p(z) = −½ Σ (z² + ln 2π).
    let log_q = (eps.square() + log_var).sum_dim(1).mul_scalar(-0.5).sub_scalar(half_latent_ln2pi);
    let log_prior = z.clone().square().sum_dim(1).mul_scalar(-0.5).sub_scalar(half_latent_ln2pi);
    (z, log_prior - log_q)
}

/// Each row repeated `k` times in place: `[n, w]` → `[n·k, w]`.
fn repeat_rows(t: Tensor<2>, k: usize) -> Tensor<2> {
    let [n, w] = t.dims();
    t.unsqueeze_dim::<3>(1).repeat_dim(1, k).reshape([n * k, w])
}

/// log w for `k` samples per item: `[n, k]`. Differentiable when the model is (IWAE training uses it).
pub fn iwae_log_weights(model: &Autoencoder, x: Tensor<2>, k: usize) -> Tensor<2> {
    iwae_log_weights_with(model, x, k, None)
}

fn iwae_log_weights_with(model: &Autoencoder, x: Tensor<2>, k: usize, eps: Option<Tensor<2>>) -> Tensor<2> {
    let [n, _] = x.dims();
    let (z, log_prior_minus_q) = sample_posterior(model, x.clone(), k, eps);
    let log_lik = model.log_lik(model.decode(z), repeat_rows(x, k));
    (log_lik + log_prior_minus_q).reshape([n, k])
}

/// −(1/n) Σ L_K(x): the IWAE training loss for a batch (K = 1 gives the negative ELBO estimate), with the noise
/// `eps` (`[n·k, latent]` standard normals, item-major) from the trainer's own generator, so a run repeats by seed.
pub fn iwae_loss(model: &Autoencoder, x: Tensor<2>, k: usize, eps: Tensor<2>) -> Tensor<1> {
    let log_w = iwae_log_weights_with(model, x, k, Some(eps));
    let max = log_w.clone().max_dim(1).detach();
    let lse = (log_w - max.clone()).exp().sum_dim(1).log() + max;
    lse.mean().sub_scalar((k as f64).ln()).neg()
}

fn check_k(model: &Autoencoder, k: usize) -> Result<(), BoundsError> {
    if k == 0 {
        return Err(BoundsError::ZeroK);
    }
    if k > MAX_K {
        return Err(BoundsError::KTooLarge(k));
    }
    if !model.is_variational() {
        return Err(BoundsError::NotVariational);
    }
    Ok(())
}

/// Runs `work(i)` for `i` in `0..parts` on scoped threads (the CPU backend gives each model one core, so this is
/// how evaluation uses all of them) and returns the results in order.
fn on_threads<T: Send>(parts: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    if parts <= 1 {
        return vec![work(0)];
    }
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = (0..parts).map(|i| scope.spawn(move || work(i))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

/// L_K(x) for each image in `pixels` (`n × dim`, values in [0, 1]) with a plain (inference) model, with the images
/// split over `threads` threads.
pub fn iwae_bounds(
    model: &Autoencoder,
    pixels: &[f32],
    dim: usize,
    k: usize,
    threads: usize,
    device: &Device,
) -> Result<Vec<f64>, BoundsError> {
    check_k(model, k)?;
    let n = pixels.len() / dim;
    let per_thread = n.div_ceil(threads.max(1)).max(1);
    let parts: Vec<&[f32]> = pixels.chunks(per_thread * dim).collect();
    let results = on_threads(parts.len(), |i| {
        let model = model.clone();
        iwae_bounds_serial(&model, parts[i], dim, k, device)
    });
    Ok(results.into_iter().flatten().collect())
}

fn iwae_bounds_serial(model: &Autoencoder, pixels: &[f32], dim: usize, k: usize, device: &Device) -> Vec<f64> {
    let items_per_pass = (ROWS_PER_PASS / k).max(1);
    let mut out = Vec::with_capacity(pixels.len() / dim);
    for chunk in pixels.chunks(items_per_pass * dim) {
        let n = chunk.len() / dim;
        let x = Tensor::<2>::from_data(TensorData::new(chunk.to_vec(), [n, dim]), device);
        let log_w: Vec<f32> = if model.gaussian_sigma2().is_none() {
            bernoulli_log_weights_host(model, &x, chunk, k)
        } else {
            iwae_log_weights(model, x, k).try_into_vec_as::<f32>().unwrap_or_default()
        };
        let log_w: Vec<f64> = log_w.into_iter().map(f64::from).collect();
        out.extend(log_w.chunks(k).map(log_mean_exp));
    }
    out
}

/// log w for `k` samples per item (`[n·k]`, item-major) for a Bernoulli model, with the likelihood summed on the
/// host by [`bernoulli_log_lik_row`]: burn's CPU backend computes log σ with scalar libm calls, which took about a
/// third of an evaluation at K = 5000. `pixels` holds the same images as `x`.
fn bernoulli_log_weights_host(model: &Autoencoder, x: &Tensor<2>, pixels: &[f32], k: usize) -> Vec<f32> {
    let [n, dim] = x.dims();
    let (z, log_prior_minus_q) = sample_posterior(model, x.clone(), k, None);
    let rest: Vec<f32> = log_prior_minus_q.try_into_vec_as::<f32>().unwrap_or_default();
    let logits: Vec<f32> = model.decode(z).try_into_vec_as::<f32>().unwrap_or_default();
    if logits.len() != n * k * dim || rest.len() != n * k {
        return vec![f32::NAN; n * k];
    }
    logits
        .chunks_exact(dim)
        .zip(rest)
        .enumerate()
        .map(|(row, (l, r))| {
            let item = row / k;
            bernoulli_log_lik_row(l, &pixels[item * dim..(item + 1) * dim]) + r
        })
        .collect()
}

/// Σ_d x_d ℓ_d − softplus(ℓ_d) = log Bernoulli(x; sigmoid(ℓ)) summed over a row, with a branch-free softplus the
/// compiler vectorises (error below 1e-6 per pixel; see the test against f64).
pub fn bernoulli_log_lik_row(logits: &[f32], x: &[f32]) -> f32 {
    const LANES: usize = 8;
    let mut acc = [0.0f32; LANES];
    let (lc, lr) = logits.split_at(logits.len() - logits.len() % LANES);
    let (xc, xr) = x.split_at(lc.len().min(x.len()));
    for (l8, x8) in lc.chunks_exact(LANES).zip(xc.chunks_exact(LANES)) {
        for i in 0..LANES {
            acc[i] += x8[i] * l8[i] - softplus_fast(l8[i]);
        }
    }
    let tail: f32 = lr.iter().zip(xr).map(|(&l, &x)| x * l - softplus_fast(l)).sum();
    acc.iter().sum::<f32>() + tail
}

/// softplus(ℓ) = max(ℓ, 0) + log(1 + e^−|ℓ|), with e^y = 2^k · 2^f (k the nearest integer to y·log₂e, a degree-7
/// polynomial for 2^f on [−½, ½]) and log(1 + t) = 2 atanh(t / (2 + t)) by its series (t ≤ 1, so s ≤ ⅓).
#[inline(always)]
#[allow(clippy::many_single_char_names)] // the names of the formulas above
fn softplus_fast(l: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2²³: adding and subtracting it rounds to an integer.
    let y = (-l.abs() * std::f32::consts::LOG2_E).max(-126.0);
    let k = (y + ROUND) - ROUND;
    let f = (y - k) * std::f32::consts::LN_2;
    let p = 1.0
        + f * (1.0
            + f * (0.5
                + f * (1.0 / 6.0 + f * (1.0 / 24.0 + f * (1.0 / 120.0 + f * (1.0 / 720.0 + f * (1.0 / 5040.0)))))));
    let t = p * f32::from_bits(((k as i32 + 127) as u32) << 23);
    let s = t / (2.0 + t);
    let s2 = s * s;
    let log1p =
        2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0))))));
    l.max(0.0) + log1p
}

/// log p(x) = log ∫ p(x|z) p(z) dz for each image, by the midpoint rule on a `grid × grid` lattice over
/// [−h, h]² (2-D latents only), with the grid split over `threads` threads. log p(x|z) for all images at once is
/// a matrix product: X ℓᵀ − Σ softplus(ℓ) (Bernoulli), or X μᵀ/σ² − (‖x‖² + ‖μ‖²)/(2σ²) − D/2 ln(2πσ²) (Gaussian).
pub fn quadrature_log_px(
    model: &Autoencoder,
    pixels: &[f32],
    dim: usize,
    grid: usize,
    half_width: f64,
    threads: usize,
    device: &Device,
) -> Result<Vec<f64>, BoundsError> {
    if model.latent_dim() != 2 {
        return Err(BoundsError::NotTwoDimensional(model.latent_dim()));
    }
    if !((2..=2000).contains(&grid) && half_width.is_finite() && half_width > 0.0) {
        return Err(BoundsError::BadGrid);
    }
    let (points, area) = grid_points(grid, half_width);
    let total = log_joint_sums_threaded(model, pixels, dim, &points, threads, device);
    Ok(total.iter().map(|a| a.value() + area.ln()).collect())
}

/// For each image in `pixels`, log Σ_z p(x|z) p(z) over the latent points `zs` (2-D), split over `threads`
/// threads: a piece of the quadrature sum (the evaluation worker adds pieces chunk by chunk).
pub fn log_joint_sums_threaded(
    model: &Autoencoder,
    pixels: &[f32],
    dim: usize,
    zs: &[[f32; 2]],
    threads: usize,
    device: &Device,
) -> Vec<LogSumExp> {
    let n = pixels.len() / dim;
    let mut total = vec![LogSumExp::default(); n];
    if zs.is_empty() {
        return total;
    }
    let per_thread = zs.len().div_ceil(threads.max(1));
    let parts: Vec<&[[f32; 2]]> = zs.chunks(per_thread).collect();
    let partial = on_threads(parts.len(), |i| {
        let model = model.clone();
        let x = Tensor::<2>::from_data(TensorData::new(pixels.to_vec(), [n, dim]), device);
        log_joint_sums(&model, &x, parts[i], device)
    });
    for part in partial {
        for (acc, sum) in total.iter_mut().zip(part) {
            acc.add(sum.value());
        }
    }
    total
}

/// For each image (rows of `x`), log Σ_z p(x|z) p(z) over the grid points `zs`.
fn log_joint_sums(model: &Autoencoder, x: &Tensor<2>, zs: &[[f32; 2]], device: &Device) -> Vec<LogSumExp> {
    let [n, dim] = x.dims();
    let mut acc = vec![LogSumExp::default(); n];
    let sigma2 = model.gaussian_sigma2();
    // Gaussian: the part of log p(x|z) that depends on x alone, −‖x‖²/(2σ²).
    let per_item = sigma2.map(|s2| x.clone().square().sum_dim(1).mul_scalar(-0.5 / s2)); // [n, 1]
    for block in zs.chunks(ROWS_PER_PASS / 2) {
        let b = block.len();
        let flat: Vec<f32> = block.iter().flatten().copied().collect();
        let z = Tensor::<2>::from_data(TensorData::new(flat, [b, 2]), device);
        let log_prior = z.clone().square().sum_dim(1).mul_scalar(-0.5).sub_scalar(LN_2PI); // [b, 1]
        let out = model.decode(z); // [b, dim]
        let joint = if let (Some(s2), Some(per_item)) = (sigma2, &per_item) {
            let mu = burn::tensor::activation::sigmoid(out);
            let per_point = mu.clone().square().sum_dim(1).mul_scalar(-0.5 / s2)
                + log_prior.sub_scalar(0.5 * dim as f64 * (s2.ln() + LN_2PI));
            x.clone().matmul(mu.transpose()).mul_scalar(1.0 / s2) + per_point.transpose() + per_item.clone()
        } else {
            // −Σ softplus(ℓ) = Σ log σ(−ℓ), plus the prior: one number per grid point.
            let per_point = log_sigmoid(out.clone().neg()).sum_dim(1) + log_prior; // [b, 1]
            x.clone().matmul(out.transpose()) + per_point.transpose() // [n, b]
        };
        let values: Vec<f32> = joint.try_into_vec_as::<f32>().unwrap_or_default();
        for (row, acc) in values.chunks(b).zip(acc.iter_mut()) {
            for &v in row {
                acc.add(f64::from(v));
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::AutoencoderConfig;

    #[test]
    fn log_mean_exp_is_stable() {
        assert!((log_mean_exp(&[0.0, 0.0]) - 0.0).abs() < 1e-12);
        assert!((log_mean_exp(&[1000.0, 1000.0]) - 1000.0).abs() < 1e-9);
        assert!((log_mean_exp(&[-1000.0, -1000.0 + 2f64.ln()]) - (-1000.0 + 1.5f64.ln())).abs() < 1e-9);
        assert!((log_mean_exp(&[800.0, -800.0]) - (800.0 - 2f64.ln())).abs() < 1e-9);
        assert_eq!(log_mean_exp(&[f64::NEG_INFINITY, f64::NEG_INFINITY]), f64::NEG_INFINITY);
        assert_eq!(log_mean_exp(&[]), f64::NEG_INFINITY);
        let direct = ((1f64.exp() + 2f64.exp() + 3f64.exp()) / 3.0).ln();
        assert!((log_mean_exp(&[3.0, 1.0, 2.0]) - direct).abs() < 1e-12);
    }

    #[test]
    fn estimates_have_the_textbook_standard_error() {
        let e = estimate(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(e.mean, 2.5);
        assert!((e.stderr - (5.0f64 / 3.0 / 4.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn the_grid_integrates_gaussians_exactly() {
        // ∫ N(z; m, s²I) dz = 1.
        let log_normal = |z: [f64; 2], m: [f64; 2], s2: f64| {
            -0.5 * ((z[0] - m[0]).powi(2) + (z[1] - m[1]).powi(2)) / s2 - (2.0 * std::f64::consts::PI * s2).ln()
        };
        assert!(grid_log_integral(|z| log_normal(z, [0.5, -1.0], 0.3), 400, 6.0).abs() < 1e-6);
        // ∫ N(z; 0, I) N(z; m, s²I) dz = N(m; 0, (1 + s²) I): the marginal likelihood of a linear-Gaussian model.
        let (m, s2) = ([1.0, 2.0], 0.04);
        let exact = log_normal(m, [0.0, 0.0], 1.0 + s2);
        let got = grid_log_integral(|z| log_normal(z, [0.0, 0.0], 1.0) + log_normal(z, m, s2), 400, 6.0);
        assert!((got - exact).abs() < 1e-3, "{got} vs {exact}");
    }

    fn pixels(n: usize, dim: usize) -> Vec<f32> {
        (0..n * dim).map(|i| if (i * 7) % 5 < 2 { 1.0 } else { 0.0 }).collect()
    }

    #[test]
    fn bounds_increase_with_k_and_stay_below_log_px() {
        let device = Device::flex();
        device.seed(3);
        let model = AutoencoderConfig::new(12, vec![16], 2, true).init(&device);
        let x = pixels(6, 12);
        let mean_bound = |k| estimate(&iwae_bounds(&model, &x, 12, k, 2, &device).unwrap());
        let (l1, l10, l200) = (mean_bound(1), mean_bound(10), mean_bound(200));
        let log_px = estimate(&quadrature_log_px(&model, &x, 12, 300, 6.0, 2, &device).unwrap()).mean;
        let tol = |a: Estimate, b: Estimate| 3.0 * (a.stderr.powi(2) + b.stderr.powi(2)).sqrt();
        assert!(l1.mean <= l10.mean + tol(l1, l10), "{l1:?} {l10:?}");
        assert!(l10.mean <= l200.mean + tol(l10, l200), "{l10:?} {l200:?}");
        assert!(l200.mean <= log_px + 3.0 * l200.stderr + 1e-3, "{l200:?} vs log p(x) {log_px}");
        assert!(log_px - l200.mean < 0.5, "with 200 samples an untrained 2-D VAE's bound is tight: {l200:?} {log_px}");
    }

    /// The Gaussian observation model goes through the same two paths (sampled L_K, matrix-product quadrature): on an
    /// untrained 2-D VAE with 500 samples they agree.
    #[test]
    fn gaussian_bounds_approach_the_gaussian_quadrature() {
        let device = Device::flex();
        device.seed(4);
        for learn_sigma in [false, true] {
            let observation = Some(crate::models::Observation::Gaussian { sigma2: 0.5, learn_sigma });
            let model = AutoencoderConfig::new(12, vec![16], 2, true).with_observation(observation).init(&device);
            let x = pixels(6, 12);
            let l1 = estimate(&iwae_bounds(&model, &x, 12, 1, 2, &device).unwrap());
            let l500 = estimate(&iwae_bounds(&model, &x, 12, 500, 2, &device).unwrap());
            let log_px = estimate(&quadrature_log_px(&model, &x, 12, 300, 6.0, 2, &device).unwrap()).mean;
            assert!(l1.mean <= l500.mean + 3.0 * l1.stderr, "{l1:?} {l500:?}");
            assert!((log_px - l500.mean).abs() < 0.05, "{l500:?} vs log p(x) {log_px}");
        }
    }

    #[test]
    fn host_bernoulli_log_likelihood_matches_f64() {
        let softplus = |l: f64| l.max(0.0) + (-l.abs()).exp().ln_1p();
        let mut worst = 0.0f64;
        let mut l = -120.0f64;
        while l <= 120.0 {
            let got = f64::from(softplus_fast(l as f32));
            worst = worst.max((got - softplus(f64::from(l as f32))).abs());
            l += 0.000_731;
        }
        assert!(worst < 1e-6, "worst softplus error {worst}");
        // A whole row with fractional targets and a tail that is not a multiple of the lanes.
        let logits: Vec<f32> = (0..787).map(|i| ((i * 37) % 200) as f32 / 10.0 - 10.0).collect();
        let x: Vec<f32> = (0..787).map(|i| ((i * 13) % 11) as f32 / 10.0).collect();
        let exact: f64 =
            logits.iter().zip(&x).map(|(&l, &x)| f64::from(x) * f64::from(l) - softplus(f64::from(l))).sum();
        let got = f64::from(bernoulli_log_lik_row(&logits, &x));
        assert!((got - exact).abs() < 1e-6 * 787.0 + 1e-5 * exact.abs(), "{got} vs {exact}");
        // And it agrees with the tensor formula.
        let device = Device::flex();
        let t = |v: &[f32]| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [1, 787]), &device);
        let tensor = f64::from(bernoulli_log_lik(t(&logits), t(&x)).into_scalar::<f32>());
        assert!((got - tensor).abs() < 1e-3, "{got} vs {tensor}");
    }

    #[test]
    fn iwae_loss_with_one_sample_matches_the_elbo() {
        let device = Device::flex();
        let model = AutoencoderConfig::new(12, vec![8], 2, true).init(&device);
        let x = Tensor::<2>::from_data(TensorData::new(pixels(400, 12), [400, 12]), &device);
        let noise = || Tensor::<2>::random([400, 2], Distribution::Normal(0.0, 1.0), &device);
        let iwae = f64::from(iwae_loss(&model, x.clone(), 1, noise()).into_scalar::<f32>());
        let eps = noise();
        let elbo = f64::from(model.loss(x, Some(eps)).total().into_scalar::<f32>());
        // Both are one-sample estimates of −ELBO (different noise): close on 400 items.
        assert!((iwae - elbo).abs() < 0.02 * elbo.abs(), "{iwae} vs {elbo}");
    }

    #[test]
    fn bad_requests_are_refused() {
        let device = Device::flex();
        let vae = AutoencoderConfig::new(4, vec![4], 3, true).init(&device);
        let ae = AutoencoderConfig::new(4, vec![4], 2, false).init(&device);
        assert_eq!(iwae_bounds(&vae, &[0.0; 4], 4, 0, 1, &device), Err(BoundsError::ZeroK));
        assert_eq!(iwae_bounds(&vae, &[0.0; 4], 4, MAX_K + 1, 1, &device), Err(BoundsError::KTooLarge(MAX_K + 1)));
        assert_eq!(iwae_bounds(&ae, &[0.0; 4], 4, 5, 1, &device), Err(BoundsError::NotVariational));
        assert_eq!(quadrature_log_px(&vae, &[0.0; 4], 4, 10, 6.0, 1, &device), Err(BoundsError::NotTwoDimensional(3)));
    }
}
