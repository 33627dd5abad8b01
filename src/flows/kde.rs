//! Gaussian kernel density estimate in 2-D with one bandwidth, chosen by leave-one-out cross-validation (pure).
//!
//! p̂(x) = (1/n) Σᵢ N(x; xᵢ, h²I). The bandwidth maximises the mean leave-one-out log-likelihood on the training
//! points (golden-section search over log h). The baseline the flows are compared with.

// Maths notation: one-letter names (x, z, s, t, J, W, h, k) as in the formulas.
#![allow(clippy::many_single_char_names)]

use super::{LOG_2PI, P2};

/// Terms more than this many nats below the nearest one are skipped (e^−40 ≈ 4e−18).
const CUTOFF: f64 = 40.0;

#[derive(Debug, Clone)]
pub struct Kde {
    points: Vec<P2>,
    pub bandwidth: f64,
}

/// log Σ_j exp(−|x − x_j|²/(2h²)) over `points` (skipping index `skip`), stable for tiny h.
fn log_kernel_sum(x: P2, points: &[P2], h: f64, skip: Option<usize>) -> f64 {
    let d2 = |p: &P2| (x[0] - p[0]).powi(2) + (x[1] - p[1]).powi(2);
    let min =
        points.iter().enumerate().filter(|(j, _)| Some(*j) != skip).map(|(_, p)| d2(p)).fold(f64::INFINITY, f64::min);
    if !min.is_finite() {
        return f64::NEG_INFINITY;
    }
    let inv = 0.5 / (h * h);
    let mut sum = 0.0;
    for (j, p) in points.iter().enumerate() {
        if Some(j) == skip {
            continue;
        }
        let e = (d2(p) - min) * inv;
        if e < CUTOFF {
            sum += (-e).exp();
        }
    }
    sum.ln() - min * inv
}

/// Mean leave-one-out log-likelihood of `points` for bandwidth `h` (split over `threads` threads).
pub fn loo_log_likelihood(points: &[P2], h: f64, threads: usize) -> f64 {
    let n = points.len();
    if n < 2 {
        return f64::NEG_INFINITY;
    }
    let norm = ((n - 1) as f64).ln() + LOG_2PI + 2.0 * h.ln();
    let chunk = n.div_ceil(threads.max(1));
    let total: f64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| {
                s.spawn(move || {
                    (start..(start + chunk).min(n))
                        .map(|i| log_kernel_sum(points[i], points, h, Some(i)) - norm)
                        .sum::<f64>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(f64::NAN)).sum()
    });
    total / n as f64
}

impl Kde {
    /// A KDE with a given bandwidth.
    pub fn with_bandwidth(points: Vec<P2>, bandwidth: f64) -> Self {
        Self { points, bandwidth }
    }

    /// Chooses the bandwidth in [0.005, 2] by leave-one-out cross-validation on `points`.
    pub fn fit(points: Vec<P2>, threads: usize) -> Self {
        let f = |log_h: f64| loo_log_likelihood(&points, log_h.exp(), threads);
        // Golden-section search on log h (the LOO likelihood is unimodal in practice).
        let (mut a, mut b) = (0.005_f64.ln(), 2.0_f64.ln());
        let g = 0.5 * (5.0_f64.sqrt() - 1.0);
        let mut c = b - g * (b - a);
        let mut d = a + g * (b - a);
        let (mut fc, mut fd) = (f(c), f(d));
        for _ in 0..30 {
            if fc > fd {
                b = d;
                d = c;
                fd = fc;
                c = b - g * (b - a);
                fc = f(c);
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + g * (b - a);
                fd = f(d);
            }
        }
        Self { points, bandwidth: (0.5 * (a + b)).exp() }
    }

    pub fn log_prob(&self, x: P2) -> f64 {
        let h = self.bandwidth;
        log_kernel_sum(x, &self.points, h, None) - (self.points.len() as f64).ln() - LOG_2PI - 2.0 * h.ln()
    }

    /// Mean negative log-likelihood of `xs`.
    pub fn nll(&self, xs: &[P2]) -> f64 {
        -xs.iter().map(|&x| self.log_prob(x)).sum::<f64>() / xs.len().max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::toy2d::Toy2d;

    #[test]
    fn one_point_gives_a_normal_density() {
        let k = Kde::with_bandwidth(vec![[1.0, 2.0]], 0.5);
        let expected = -(0.25_f64 / (2.0 * 0.25)) - LOG_2PI - 2.0 * 0.5_f64.ln();
        assert!((k.log_prob([1.5, 2.0]) - expected).abs() < 1e-12);
    }

    #[test]
    fn cross_validation_picks_a_sensible_bandwidth() {
        let pts: Vec<P2> =
            Toy2d::Moons.sample_standardised(600, 1).iter().map(|p| [f64::from(p[0]), f64::from(p[1])]).collect();
        let kde = Kde::fit(pts.clone(), 2);
        assert!((0.02..0.5).contains(&kde.bandwidth), "{}", kde.bandwidth);
        let best = loo_log_likelihood(&pts, kde.bandwidth, 1);
        for factor in [0.5, 2.0] {
            assert!(loo_log_likelihood(&pts, kde.bandwidth * factor, 1) < best);
        }
    }
}
