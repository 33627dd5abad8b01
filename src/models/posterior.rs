//! The true posterior p(z|x) = p(x|z) p(z) / p(x) of a 2-D latent model on a grid, for one digit, beside the
//! encoder's q(z|x), with the gap log p(x) − ELBO(x) = KL(q(z|x) ‖ p(z|x)).
//!
//! The posterior is found in two passes: a coarse grid over [−6, 6]² locates its mass, then a fine grid over a
//! window holding that mass and q's ±4σ box resolves it (the VAE's posteriors are often only ~0.05 wide).

use burn::prelude::*;
use burn::tensor::Distribution;

use super::Autoencoder;
use super::bounds::{BoundsError, Estimate, LogSumExp, estimate};

/// Half-width of the coarse search box.
const SEARCH_HALF_WIDTH: f64 = 6.0;
/// Cells per side of the coarse and of the fine grid.
const COARSE: usize = 120;
pub const FINE: usize = 160;
/// Coarse cells with a log density within this many nats of the maximum are inside the window.
const MASS_NATS: f64 = 14.0;
/// Samples from q for the Monte Carlo ELBO.
const ELBO_SAMPLES: usize = 2000;
/// Decoder rows per tensor pass.
const ROWS: usize = 4096;

/// The posterior picture of one digit.
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorView {
    /// The window: [z₁ min, z₁ max, z₂ min, z₂ max] (square).
    pub extent: [f64; 4],
    /// Cells per side of `log_density`.
    pub grid: usize,
    /// log p(z|x) at the cell midpoints, row-major with z₂ growing from the first row.
    pub log_density: Vec<f32>,
    /// log q(z|x) at the same cells.
    pub log_q: Vec<f32>,
    pub q_mean: [f64; 2],
    pub q_sigma: [f64; 2],
    /// log p(x) by quadrature (fine window plus the coarse cells outside it).
    pub log_px: f64,
    /// ELBO(x) = E_q[log p(x, z) − log q(z|x)], Monte Carlo with its standard error.
    pub elbo: Estimate,
}

impl PosteriorView {
    /// log p(x) − ELBO(x) = KL(q(z|x) ‖ p(z|x)).
    #[must_use]
    pub fn kl_gap(&self) -> f64 {
        self.log_px - self.elbo.mean
    }
}

/// log p(x|z) + log p(z) for one image `x` at each latent point.
fn log_joint(model: &Autoencoder, x: &[f32], zs: &[[f32; 2]], device: &Device) -> Vec<f64> {
    let dim = x.len();
    let image = Tensor::<2>::from_data(TensorData::new(x.to_vec(), [1, dim]), device);
    let mut out = Vec::with_capacity(zs.len());
    for block in zs.chunks(ROWS) {
        let b = block.len();
        let flat: Vec<f32> = block.iter().flatten().copied().collect();
        let z = Tensor::<2>::from_data(TensorData::new(flat, [b, 2]), device);
        let log_prior = z.clone().square().sum_dim(1).mul_scalar(-0.5).sub_scalar((2.0 * std::f64::consts::PI).ln());
        let joint = model.log_lik(model.decode(z), image.clone().repeat_dim(0, b)) + log_prior;
        let values: Vec<f32> = joint.try_into_vec_as::<f32>().unwrap_or_else(|_| vec![f32::NAN; b]);
        out.extend(values.into_iter().map(f64::from));
    }
    out
}

/// Midpoints of a `grid × grid` lattice over `extent` and the cell area.
fn lattice(extent: [f64; 4], grid: usize) -> (Vec<[f32; 2]>, f64) {
    let [x0, x1, y0, y1] = extent;
    let (dx, dy) = ((x1 - x0) / grid as f64, (y1 - y0) / grid as f64);
    let points = (0..grid)
        .flat_map(|j| {
            (0..grid).map(move |i| [(x0 + (i as f64 + 0.5) * dx) as f32, (y0 + (j as f64 + 0.5) * dy) as f32])
        })
        .collect();
    (points, dx * dy)
}

/// log N(z; m, diag(s²)).
fn log_normal(z: [f64; 2], m: [f64; 2], s: [f64; 2]) -> f64 {
    let mut total = -(2.0 * std::f64::consts::PI).ln();
    for c in 0..2 {
        total -= 0.5 * ((z[c] - m[c]) / s[c]).powi(2) + s[c].ln();
    }
    total
}

/// The square window that holds the coarse cells within `MASS_NATS` of the best one and q's ±4σ box.
fn window(points: &[[f32; 2]], values: &[f64], cell: f64, q_mean: [f64; 2], q_sigma: [f64; 2]) -> [f64; 4] {
    let best = values.iter().copied().filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    let mut lo = [q_mean[0] - 4.0 * q_sigma[0], q_mean[1] - 4.0 * q_sigma[1]];
    let mut hi = [q_mean[0] + 4.0 * q_sigma[0], q_mean[1] + 4.0 * q_sigma[1]];
    for (p, v) in points.iter().zip(values) {
        if *v >= best - MASS_NATS {
            for c in 0..2 {
                lo[c] = lo[c].min(f64::from(p[c]) - cell);
                hi[c] = hi[c].max(f64::from(p[c]) + cell);
            }
        }
    }
    let centre = [0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1])];
    let half = (0.5 * (hi[0] - lo[0])).max(0.5 * (hi[1] - lo[1])).max(0.05);
    [centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half]
}

/// The posterior view of the image `x` (pixels in [0, 1]) under a variational model with a 2-D latent.
pub fn posterior_view(
    model: &Autoencoder,
    x: &[f32],
    seed: u64,
    device: &Device,
) -> Result<PosteriorView, BoundsError> {
    if model.latent_dim() != 2 {
        return Err(BoundsError::NotTwoDimensional(model.latent_dim()));
    }
    let dim = x.len();
    let image = Tensor::<2>::from_data(TensorData::new(x.to_vec(), [1, dim]), device);
    let (mean, log_var) = model.encode(image);
    let mean: Vec<f32> = mean.try_into_vec_as::<f32>().unwrap_or_default();
    let log_var: Vec<f32> = log_var.map(|t| t.try_into_vec_as::<f32>().unwrap_or_default()).unwrap_or_default();
    if mean.len() != 2 || log_var.len() != 2 {
        return Err(BoundsError::NotVariational);
    }
    let q_mean = [f64::from(mean[0]), f64::from(mean[1])];
    let q_sigma = [f64::from(log_var[0]).mul_add(0.5, 0.0).exp(), f64::from(log_var[1]).mul_add(0.5, 0.0).exp()];

    let coarse_extent = [-SEARCH_HALF_WIDTH, SEARCH_HALF_WIDTH, -SEARCH_HALF_WIDTH, SEARCH_HALF_WIDTH];
    let (coarse_points, coarse_area) = lattice(coarse_extent, COARSE);
    let coarse = log_joint(model, x, &coarse_points, device);
    let extent = window(&coarse_points, &coarse, 2.0 * SEARCH_HALF_WIDTH / COARSE as f64, q_mean, q_sigma);
    let (fine_points, fine_area) = lattice(extent, FINE);
    let fine = log_joint(model, x, &fine_points, device);

    let mut evidence = LogSumExp::default();
    for v in &fine {
        evidence.add(v + fine_area.ln());
    }
    let inside = |p: &[f32; 2]| {
        let (a, b) = (f64::from(p[0]), f64::from(p[1]));
        a >= extent[0] && a < extent[1] && b >= extent[2] && b < extent[3]
    };
    for (p, v) in coarse_points.iter().zip(&coarse) {
        if !inside(p) {
            evidence.add(v + coarse_area.ln());
        }
    }
    let log_px = evidence.value();
    let log_density = fine.iter().map(|v| (v - log_px) as f32).collect();
    let log_q =
        fine_points.iter().map(|p| log_normal([f64::from(p[0]), f64::from(p[1])], q_mean, q_sigma) as f32).collect();

    // ELBO by Monte Carlo: z = μ + σ ε.
    device.seed(seed);
    let eps: Vec<f32> = Tensor::<2>::random([ELBO_SAMPLES, 2], Distribution::Normal(0.0, 1.0), device)
        .try_into_vec_as::<f32>()
        .unwrap_or_default();
    let samples: Vec<[f32; 2]> = eps
        .chunks_exact(2)
        .map(|e| [(q_mean[0] + q_sigma[0] * f64::from(e[0])) as f32, (q_mean[1] + q_sigma[1] * f64::from(e[1])) as f32])
        .collect();
    let joint = log_joint(model, x, &samples, device);
    let weights: Vec<f64> = samples
        .iter()
        .zip(joint)
        .map(|(z, j)| j - log_normal([f64::from(z[0]), f64::from(z[1])], q_mean, q_sigma))
        .collect();
    Ok(PosteriorView { extent, grid: FINE, log_density, log_q, q_mean, q_sigma, log_px, elbo: estimate(&weights) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::AutoencoderConfig;
    use crate::models::bounds::quadrature_log_px;

    fn digit(dim: usize) -> Vec<f32> {
        (0..dim).map(|i| if (i * 7) % 5 < 2 { 1.0 } else { 0.0 }).collect()
    }

    #[test]
    fn the_posterior_is_a_density_and_the_gap_is_a_kl() {
        let device = Device::flex();
        device.seed(5);
        let model = AutoencoderConfig::new(12, vec![16], 2, true).init(&device);
        let x = digit(12);
        let view = posterior_view(&model, &x, 1, &device).expect("2-D VAE");
        // p(z|x) integrates to (almost) 1 over the window; the rest lies outside it.
        let cell = (view.extent[1] - view.extent[0]) * (view.extent[3] - view.extent[2]) / (FINE * FINE) as f64;
        let mass: f64 = view.log_density.iter().map(|v| f64::from(*v).exp() * cell).sum();
        assert!(mass > 0.5 && mass <= 1.0 + 1e-3, "mass {mass}");
        // log p(x) agrees with the evaluation's quadrature on a fine global grid.
        let global = quadrature_log_px(&model, &x, 12, 600, 6.0, 1, &device).expect("2-D")[0];
        assert!((view.log_px - global).abs() < 0.02, "{} vs {global}", view.log_px);
        // KL(q‖p(z|x)) ≥ 0, up to Monte Carlo error.
        assert!(view.kl_gap() > -3.0 * view.elbo.stderr, "gap {} ± {}", view.kl_gap(), view.elbo.stderr);
        // The KL on the grid agrees with the Monte Carlo gap where q sits inside the window.
        let kl_grid: f64 =
            view.log_q.iter().zip(&view.log_density).map(|(q, p)| f64::from(*q).exp() * f64::from(q - p) * cell).sum();
        assert!((kl_grid - view.kl_gap()).abs() < 0.05 + 4.0 * view.elbo.stderr, "{kl_grid} vs {}", view.kl_gap());
    }

    #[test]
    fn other_latent_sizes_and_autoencoders_are_refused() {
        let device = Device::flex();
        let wide = AutoencoderConfig::new(12, vec![16], 3, true).init(&device);
        assert!(matches!(posterior_view(&wide, &digit(12), 1, &device), Err(BoundsError::NotTwoDimensional(3))));
        let ae = AutoencoderConfig::new(12, vec![16], 2, false).init(&device);
        assert!(matches!(posterior_view(&ae, &digit(12), 1, &device), Err(BoundsError::NotVariational)));
    }
}
