//! RealNVP in 2-D: affine coupling layers with alternating masks (pure).
//!
//! Direction: `f` maps data x to the latent z (the normalising direction), so log p(x) = log N(f(x); 0, I) +
//! Σ_k s_k. Layer k keeps coordinate c = k mod 2 and moves the other one, d:
//!   y_c = x_c,  y_d = x_d · exp(s(x_c)) + t(x_c),  with s = S · tanh(ŝ / S) bounded by S.
//! Its Jacobian is triangular with diagonal (1, exp(s)), so log|det| = s. The inverse is the same kind of layer:
//! x_d = (y_d − t(y_c)) · exp(−s(y_c)). One small MLP per layer gives both s and t (two output units).

// Maths notation: one-letter names (x, z, s, t, J, W, h, k) as in the formulas.
#![allow(clippy::many_single_char_names)]

use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::mlp::{MlpCache, MlpShape, infer_f32};
use super::{LOG_2PI, P2};
use crate::nn::normal;

/// Shape of a RealNVP.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RealNvpConfig {
    /// Coupling layers (the masks alternate).
    pub layers: usize,
    /// Width of the hidden layers of each s/t network.
    pub hidden: usize,
    /// Hidden layers per s/t network.
    pub depth: usize,
    /// Bound S on |s| (log-scale per layer).
    pub scale_bound: f64,
}

impl Default for RealNvpConfig {
    fn default() -> Self {
        Self { layers: 8, hidden: 64, depth: 2, scale_bound: 2.0 }
    }
}

/// A RealNVP flow: the config and one flat parameter vector (layer after layer).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RealNvp {
    pub config: RealNvpConfig,
    shape: MlpShape,
    pub params: Vec<f64>,
}

/// Scratch memory for `loss_and_grad` (kept between steps to avoid allocations).
#[derive(Debug, Default)]
pub struct Workspace {
    caches: Vec<MlpCache>,
    /// Per layer: the moved coordinate before the layer, and s.
    xd: Vec<Vec<f64>>,
    s: Vec<Vec<f64>>,
    cond: Vec<f64>,
    gout: Vec<f64>,
    gin: Vec<f64>,
}

impl RealNvp {
    /// The s/t network of every layer: 1 input, `depth` hidden layers, (s, t) out.
    fn shape_for(config: &RealNvpConfig) -> MlpShape {
        let mut sizes = vec![1];
        sizes.extend(std::iter::repeat_n(config.hidden.max(1), config.depth));
        sizes.push(2);
        MlpShape::new(sizes)
    }

    /// Checks a flow read from a file: a shape within bounds, parameters of the length it needs, all finite.
    pub fn validate(&self) -> Result<(), String> {
        let c = &self.config;
        let in_bounds = (1..=64).contains(&c.layers)
            && (1..=1024).contains(&c.hidden)
            && (1..=8).contains(&c.depth)
            && c.scale_bound.is_finite()
            && c.scale_bound > 0.0;
        if !in_bounds {
            return Err(format!(
                "RealNVP shape out of range: {} layers (1–64), width {} (1–1024), depth {} (1–8), scale bound {}",
                c.layers, c.hidden, c.depth, c.scale_bound
            ));
        }
        let shape = Self::shape_for(c);
        let needed = shape.n_params() * c.layers;
        if self.shape != shape || self.params.len() != needed {
            return Err(format!("{} parameters for a shape that needs {needed}", self.params.len()));
        }
        if self.params.iter().any(|p| !p.is_finite()) {
            return Err("some parameters are NaN or infinite".into());
        }
        Ok(())
    }

    pub fn new(config: RealNvpConfig, seed: u64) -> Self {
        let shape = Self::shape_for(&config);
        let n = shape.n_params();
        let mut params = vec![0.0; n * config.layers];
        let mut rng = SmallRng::seed_from_u64(seed);
        for k in 0..config.layers {
            shape.init(&mut params[k * n..(k + 1) * n], &mut rng, true);
        }
        Self { config, shape, params }
    }

    pub fn layers(&self) -> usize {
        self.config.layers
    }

    fn layer(&self, k: usize) -> &[f64] {
        let n = self.shape.n_params();
        &self.params[k * n..(k + 1) * n]
    }

    /// (s, t) of layer k for the conditioning values `cond` (one per point).
    fn scale_shift(&self, k: usize, cond: &[f64], cache: &mut MlpCache) -> Vec<(f64, f64)> {
        self.shape.forward(self.layer(k), cond, cond.len(), cache);
        let bound = self.config.scale_bound;
        cache.output().chunks_exact(2).map(|o| (bound * (o[0] / bound).tanh(), o[1])).collect()
    }

    /// Applies layer k (data → latent direction) in place; returns each point's log|det|.
    pub fn layer_forward(&self, k: usize, points: &mut [P2]) -> Vec<f64> {
        let (c, d) = (k % 2, 1 - k % 2);
        let cond: Vec<f64> = points.iter().map(|p| p[c]).collect();
        let st = self.scale_shift(k, &cond, &mut MlpCache::default());
        points
            .iter_mut()
            .zip(st)
            .map(|(p, (s, t))| {
                p[d] = p[d] * s.exp() + t;
                s
            })
            .collect()
    }

    /// Undoes layer k in place.
    pub fn layer_inverse(&self, k: usize, points: &mut [P2]) {
        let (c, d) = (k % 2, 1 - k % 2);
        let cond: Vec<f64> = points.iter().map(|p| p[c]).collect();
        let st = self.scale_shift(k, &cond, &mut MlpCache::default());
        for (p, (s, t)) in points.iter_mut().zip(st) {
            p[d] = (p[d] - t) * (-s).exp();
        }
    }

    /// z = f(x) and log|det ∂f/∂x| per point.
    pub fn forward(&self, xs: &[P2]) -> (Vec<P2>, Vec<f64>) {
        let mut z = xs.to_vec();
        let mut logdet = vec![0.0; xs.len()];
        for k in 0..self.layers() {
            for (l, s) in logdet.iter_mut().zip(self.layer_forward(k, &mut z)) {
                *l += s;
            }
        }
        (z, logdet)
    }

    /// x = f⁻¹(z).
    pub fn inverse(&self, zs: &[P2]) -> Vec<P2> {
        let mut x = zs.to_vec();
        for k in (0..self.layers()).rev() {
            self.layer_inverse(k, &mut x);
        }
        x
    }

    /// log p(x) per point with the networks run in f32 (relative error ~1e-6): the lesson's density grids.
    pub fn log_prob_fast(&self, xs: &[P2]) -> Vec<f64> {
        let params: Vec<f32> = self.params.iter().map(|&p| p as f32).collect();
        let n = self.shape.n_params();
        let bound = self.config.scale_bound;
        let mut scratch = crate::nn::mlp::Tape::default();
        let mut z = xs.to_vec();
        let mut logdet = vec![0.0; xs.len()];
        for k in 0..self.layers() {
            let (c, d) = (k % 2, 1 - k % 2);
            let cond: Vec<f32> = z.iter().map(|p| p[c] as f32).collect();
            let out = infer_f32(&self.shape, &params[k * n..(k + 1) * n], &cond, z.len(), &mut scratch);
            for ((p, l), o) in z.iter_mut().zip(&mut logdet).zip(out.chunks_exact(2)) {
                let s = bound * (f64::from(o[0]) / bound).tanh();
                p[d] = p[d] * s.exp() + f64::from(o[1]);
                *l += s;
            }
        }
        z.iter().zip(logdet).map(|(z, l)| -0.5 * (z[0] * z[0] + z[1] * z[1]) - LOG_2PI + l).collect()
    }

    /// log p(x) per point.
    pub fn log_prob(&self, xs: &[P2]) -> Vec<f64> {
        let (z, logdet) = self.forward(xs);
        z.iter().zip(logdet).map(|(z, l)| -0.5 * (z[0] * z[0] + z[1] * z[1]) - LOG_2PI + l).collect()
    }

    /// `n` samples x = f⁻¹(z), z ∼ N(0, I).
    pub fn sample(&self, n: usize, seed: u64) -> Vec<P2> {
        let mut rng = SmallRng::seed_from_u64(seed);
        let z: Vec<P2> = (0..n).map(|_| [f64::from(normal(&mut rng)), f64::from(normal(&mut rng))]).collect();
        self.inverse(&z)
    }

    /// The points after each layer: `stages[0]` = xs, `stages[k]` after k layers (L + 1 entries).
    pub fn stages(&self, xs: &[P2]) -> Vec<Vec<P2>> {
        let mut out = vec![xs.to_vec()];
        let mut p = xs.to_vec();
        for k in 0..self.layers() {
            self.layer_forward(k, &mut p);
            out.push(p.clone());
        }
        out
    }

    /// Mean negative log-likelihood of `batch` (nats per point); adds its gradient to `grad` (zeroed by the caller).
    pub fn loss_and_grad(&self, batch: &[P2], grad: &mut [f64], ws: &mut Workspace) -> f64 {
        let b = batch.len();
        let layers = self.layers();
        let bound = self.config.scale_bound;
        ws.caches.resize_with(layers, MlpCache::default);
        ws.xd.resize_with(layers, Vec::new);
        ws.s.resize_with(layers, Vec::new);
        let mut x = batch.to_vec();
        let mut sum_s = 0.0;
        for k in 0..layers {
            let (c, d) = (k % 2, 1 - k % 2);
            ws.cond.clear();
            ws.cond.extend(x.iter().map(|p| p[c]));
            self.shape.forward(self.layer(k), &ws.cond, b, &mut ws.caches[k]);
            ws.xd[k].clear();
            ws.s[k].clear();
            for (p, o) in x.iter_mut().zip(ws.caches[k].output().chunks_exact(2)) {
                let s = bound * (o[0] / bound).tanh();
                ws.xd[k].push(p[d]);
                ws.s[k].push(s);
                sum_s += s;
                p[d] = p[d] * s.exp() + o[1];
            }
        }
        let inv_b = 1.0 / b as f64;
        let loss = x.iter().map(|z| 0.5 * (z[0] * z[0] + z[1] * z[1]) + LOG_2PI).sum::<f64>() * inv_b - sum_s * inv_b;
        // dL/dz, then back through the layers.
        let mut g: Vec<P2> = x.iter().map(|z| [z[0] * inv_b, z[1] * inv_b]).collect();
        let n = self.shape.n_params();
        for k in (0..layers).rev() {
            let (c, d) = (k % 2, 1 - k % 2);
            ws.gout.clear();
            for ((gp, &xd), &s) in g.iter_mut().zip(&ws.xd[k]).zip(&ws.s[k]) {
                let gy = gp[d];
                let es = s.exp();
                let gs = gy * xd * es - inv_b;
                let r = s / bound;
                ws.gout.push(gs * (1.0 - r * r));
                ws.gout.push(gy);
                gp[d] = gy * es;
            }
            ws.gin.clear();
            ws.gin.resize(b, 0.0);
            self.shape.backward(
                self.layer(k),
                &mut ws.caches[k],
                &ws.gout,
                &mut grad[k * n..(k + 1) * n],
                Some(&mut ws.gin),
            );
            for (gp, gi) in g.iter_mut().zip(&ws.gin) {
                gp[c] += gi;
            }
        }
        loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_flow(seed: u64) -> RealNvp {
        let mut f = RealNvp::new(RealNvpConfig { layers: 4, hidden: 8, depth: 2, scale_bound: 2.0 }, seed);
        let mut rng = SmallRng::seed_from_u64(seed + 1);
        for p in &mut f.params {
            *p += 0.3 * f64::from(normal(&mut rng));
        }
        f
    }

    fn points(n: usize, seed: u64) -> Vec<P2> {
        let mut rng = SmallRng::seed_from_u64(seed);
        (0..n).map(|_| [f64::from(normal(&mut rng)), f64::from(normal(&mut rng))]).collect()
    }

    #[test]
    fn log_det_matches_a_finite_difference_jacobian() {
        let f = random_flow(3);
        for x in points(20, 4) {
            let (_, ld) = f.forward(&[x]);
            let jac = crate::flows::fd_jacobian(|p| f.forward(&[p]).0[0], x);
            let det = jac[0][0] * jac[1][1] - jac[0][1] * jac[1][0];
            assert!((det.abs().ln() - ld[0]).abs() < 1e-5, "{x:?}: fd {} vs {}", det.abs().ln(), ld[0]);
        }
    }

    #[test]
    fn inverse_undoes_forward() {
        let f = random_flow(5);
        let xs = points(500, 6);
        let (z, _) = f.forward(&xs);
        let back = f.inverse(&z);
        let err = xs.iter().zip(&back).map(|(a, b)| (a[0] - b[0]).abs().max((a[1] - b[1]).abs())).fold(0.0, f64::max);
        assert!(err < 1e-10, "max |f⁻¹(f(x)) − x| = {err}");
        let fast = f.log_prob_fast(&xs);
        for (a, b) in f.log_prob(&xs).iter().zip(&fast) {
            assert!((a - b).abs() < 1e-3 * (1.0 + a.abs()), "f32 grid path {b} vs {a}");
        }
        let stages = f.stages(&xs);
        assert_eq!(stages.len(), 5);
        assert_eq!(stages[4], z);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let f = random_flow(7);
        let batch = points(16, 8);
        let mut grad = vec![0.0; f.params.len()];
        let loss = f.loss_and_grad(&batch, &mut grad, &mut Workspace::default());
        let nll = |g: &RealNvp| -g.log_prob(&batch).iter().sum::<f64>() / batch.len() as f64;
        assert!((loss - nll(&f)).abs() < 1e-10);
        let h = 1e-6;
        for k in (0..f.params.len()).step_by(3) {
            let mut g = f.clone();
            g.params[k] += h;
            let up = nll(&g);
            g.params[k] -= 2.0 * h;
            let fd = (up - nll(&g)) / (2.0 * h);
            assert!((fd - grad[k]).abs() < 1e-5 * (1.0 + fd.abs()), "param {k}: fd {fd} vs {}", grad[k]);
        }
    }
}
