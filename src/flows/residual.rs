//! A residual flow (i-ResNet style) in 2-D (pure).
//!
//! Blocks x ↦ x + h(x) with h(x) = W₂ tanh(W₁x + b₁) + b₂. Spectral normalisation scales W₁ to norm ≤ a and W₂ to
//! norm ≤ c/a (norms by power iteration), and |tanh'| ≤ 1, so Lip(h) ≤ c < 1: each block is invertible, its inverse
//! found by the fixed-point iteration x ← y − h(x) (a contraction). The Jacobian of h is the 2×2 matrix
//! J = W₂ diag(tanh'(a)) W₁, propagated exactly; log|det(I + J)| is computed exactly (training uses it) and by the
//! power series Σ_{k≥1} (−1)^{k+1} tr(Jᵏ)/k truncated after n terms, with exact traces or Hutchinson's vᵀJᵏv.
//! Direction as in `coupling`: data x → latent z, log p(x) = log N(z) + Σ_blocks log det(I + J).

// Maths notation: one-letter names (x, z, s, t, J, W, h, k) as in the formulas.
#![allow(clippy::many_single_char_names, clippy::needless_range_loop)]

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{LOG_2PI, P2};
use crate::nn::normal;

type M2 = [[f64; 2]; 2];

/// tanh through one `exp` (libm's tanh costs several times more; the blocks evaluate it H times per point).
#[inline]
pub fn tanh(x: f64) -> f64 {
    let e = (2.0 * x.clamp(-20.0, 20.0)).exp();
    (e - 1.0) / (e + 1.0)
}

/// Shape and Lipschitz bound of a residual flow.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResFlowConfig {
    pub blocks: usize,
    pub hidden: usize,
    /// c: each h is c-Lipschitz; must lie in (0, 1).
    pub lipschitz: f64,
    /// a: the norm W₁ is scaled to (W₂ gets c/a).
    pub inner_norm: f64,
}

impl Default for ResFlowConfig {
    fn default() -> Self {
        Self { blocks: 10, hidden: 64, lipschitz: 0.9, inner_norm: 4.0 }
    }
}

impl ResFlowConfig {
    /// Refuses settings that would not give an invertible flow.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.lipschitz.is_finite() && self.lipschitz > 0.0 && self.lipschitz < 1.0) {
            return Err(format!(
                "Lipschitz bound c = {} refused: the residual flow is invertible only for 0 < c < 1",
                self.lipschitz
            ));
        }
        if self.blocks == 0 || self.hidden == 0 || !(self.inner_norm.is_finite() && self.inner_norm > 0.0) {
            return Err("a residual flow needs at least one block, one hidden unit and a positive inner norm".into());
        }
        Ok(())
    }
}

/// Power-iteration state of one weight matrix.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct SpectralNorm {
    u: Vec<f64>,
    v: Vec<f64>,
    sigma: f64,
}

/// One block's weights after spectral normalisation.
#[derive(Debug, Clone)]
pub struct Block {
    /// H × 2, row-major.
    pub w1: Vec<f64>,
    pub b1: Vec<f64>,
    /// 2 × H, row-major.
    pub w2: Vec<f64>,
    pub b2: [f64; 2],
}

impl Block {
    /// h(x) and its Jacobian.
    pub fn eval(&self, x: P2) -> (P2, M2) {
        let hidden = self.b1.len();
        let mut h = self.b2;
        let mut j = [[0.0; 2]; 2];
        for k in 0..hidden {
            let (w10, w11) = (self.w1[2 * k], self.w1[2 * k + 1]);
            let t = tanh(w10 * x[0] + w11 * x[1] + self.b1[k]);
            let d = 1.0 - t * t;
            let (w20, w21) = (self.w2[k], self.w2[hidden + k]);
            h[0] += w20 * t;
            h[1] += w21 * t;
            j[0][0] += w20 * d * w10;
            j[0][1] += w20 * d * w11;
            j[1][0] += w21 * d * w10;
            j[1][1] += w21 * d * w11;
        }
        (h, j)
    }

    /// x with x + h(x) = y by fixed-point iteration; returns x and the iterations used.
    pub fn invert(&self, y: P2, tol: f64, max_iter: usize) -> (P2, usize) {
        let mut x = y;
        for it in 1..=max_iter {
            let (h, _) = self.eval(x);
            let next = [y[0] - h[0], y[1] - h[1]];
            let change = (next[0] - x[0]).abs().max((next[1] - x[1]).abs());
            x = next;
            if change < tol {
                return (x, it);
            }
        }
        (x, max_iter)
    }
}

fn det(m: M2) -> f64 {
    m[0][0] * m[1][1] - m[0][1] * m[1][0]
}

fn mul(a: M2, b: M2) -> M2 {
    [
        [a[0][0] * b[0][0] + a[0][1] * b[1][0], a[0][0] * b[0][1] + a[0][1] * b[1][1]],
        [a[1][0] * b[0][0] + a[1][1] * b[1][0], a[1][0] * b[0][1] + a[1][1] * b[1][1]],
    ]
}

/// log det(I + J), exactly.
pub fn log_det_exact(j: M2) -> f64 {
    det([[1.0 + j[0][0], j[0][1]], [j[1][0], 1.0 + j[1][1]]]).ln()
}

/// The power series Σ_{k=1}^{n} (−1)^{k+1} tr(Jᵏ)/k with exact traces, and with Hutchinson's vᵀJᵏv for one
/// Rademacher v drawn from `rng`.
pub fn log_det_series(j: M2, terms: usize, rng: &mut impl Rng) -> (f64, f64) {
    let v = [if rng.random::<bool>() { 1.0 } else { -1.0 }, if rng.random::<bool>() { 1.0 } else { -1.0 }];
    let mut power = j;
    let mut jv = [j[0][0] * v[0] + j[0][1] * v[1], j[1][0] * v[0] + j[1][1] * v[1]];
    let (mut exact, mut hutch) = (0.0, 0.0);
    for k in 1..=terms {
        let sign = if k % 2 == 1 { 1.0 } else { -1.0 };
        exact += sign * (power[0][0] + power[1][1]) / k as f64;
        hutch += sign * (v[0] * jv[0] + v[1] * jv[1]) / k as f64;
        power = mul(power, j);
        jv = [j[0][0] * jv[0] + j[0][1] * jv[1], j[1][0] * jv[0] + j[1][1] * jv[1]];
    }
    (exact, hutch)
}

/// Largest singular value of the `rows × cols` matrix `w` by power iteration from `u`, which is updated; returns
/// (σ, v) with W v = σ u.
fn power_iteration(w: &[f64], rows: usize, cols: usize, u: &mut [f64], iters: usize) -> (f64, Vec<f64>) {
    let mut v = vec![0.0; cols];
    let mut sigma = 0.0;
    for _ in 0..iters.max(1) {
        v.fill(0.0);
        for r in 0..rows {
            for c in 0..cols {
                v[c] += w[r * cols + c] * u[r];
            }
        }
        let nv = v.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-300);
        for x in &mut v {
            *x /= nv;
        }
        for r in 0..rows {
            u[r] = (0..cols).map(|c| w[r * cols + c] * v[c]).sum();
        }
        sigma = u.iter().map(|x| x * x).sum::<f64>().sqrt();
        for x in u.iter_mut() {
            *x /= sigma.max(1e-300);
        }
    }
    (sigma, v)
}

/// A residual flow: config, flat raw parameters (per block W₁, b₁, W₂, b₂) and the power-iteration state.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ResFlow {
    pub config: ResFlowConfig,
    pub params: Vec<f64>,
    /// Two per block (W₁, W₂).
    norms: Vec<SpectralNorm>,
}

/// Inverse statistics: the largest and mean number of fixed-point iterations per block.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct InverseStats {
    pub max_iterations: usize,
    pub mean_iterations: f64,
}

/// log-determinants summed over the blocks and averaged over points.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LogDetComparison {
    pub exact: f64,
    pub series: f64,
    pub hutchinson: f64,
    pub terms: usize,
}

impl ResFlow {
    pub const POWER_ITERATIONS: usize = 20;

    pub fn new(config: ResFlowConfig, seed: u64) -> Result<Self, String> {
        config.validate()?;
        let hd = config.hidden;
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut params = vec![0.0; config.blocks * Self::block_len(hd)];
        for chunk in params.chunks_exact_mut(Self::block_len(hd)) {
            let (w1, rest) = chunk.split_at_mut(2 * hd);
            let (b1, rest) = rest.split_at_mut(hd);
            let (w2, _) = rest.split_at_mut(2 * hd);
            for w in w1.iter_mut() {
                *w = f64::from(normal(&mut rng));
            }
            for b in b1.iter_mut() {
                *b = f64::from(normal(&mut rng));
            }
            for w in w2.iter_mut() {
                *w = 0.01 * f64::from(normal(&mut rng));
            }
        }
        let mut norms = Vec::new();
        for _ in 0..config.blocks {
            norms.push(SpectralNorm { u: vec![1.0 / (hd as f64).sqrt(); hd], v: vec![0.0; 2], sigma: 1.0 });
            norms.push(SpectralNorm { u: vec![std::f64::consts::FRAC_1_SQRT_2; 2], v: vec![0.0; hd], sigma: 1.0 });
        }
        let mut flow = Self { config, params, norms };
        flow.refresh_norms(50);
        Ok(flow)
    }

    /// Checks a flow read from a file: a valid config within bounds, parameters and power-iteration states of the
    /// sizes it needs, all finite.
    pub fn validate(&self) -> Result<(), String> {
        let c = &self.config;
        c.validate()?;
        if c.blocks > 256 || c.hidden > 1024 {
            return Err(format!("{} blocks of width {} is more than 256 blocks of width 1024", c.blocks, c.hidden));
        }
        let hd = c.hidden;
        let needed = c.blocks * Self::block_len(hd);
        if self.params.len() != needed {
            return Err(format!("{} parameters for a shape that needs {needed}", self.params.len()));
        }
        let norms_fit = self.norms.len() == 2 * c.blocks
            && self
                .norms
                .chunks_exact(2)
                .all(|pair| (pair[0].u.len(), pair[0].v.len(), pair[1].u.len(), pair[1].v.len()) == (hd, 2, 2, hd));
        if !norms_fit {
            return Err("the spectral-norm states do not fit the blocks".into());
        }
        let finite = self.params.iter().all(|p| p.is_finite())
            && self.norms.iter().all(|n| n.sigma.is_finite() && n.u.iter().chain(&n.v).all(|x| x.is_finite()));
        if !finite {
            return Err("some parameters are NaN or infinite".into());
        }
        Ok(())
    }

    fn block_len(hidden: usize) -> usize {
        5 * hidden + 2
    }

    /// Re-estimates every weight's spectral norm (power iteration, warm-started); call after each update.
    pub fn refresh_norms(&mut self, iters: usize) {
        let hd = self.config.hidden;
        for (b, chunk) in self.params.chunks_exact(Self::block_len(hd)).enumerate() {
            let (w1, w2) = (&chunk[..2 * hd], &chunk[3 * hd..5 * hd]);
            for (which, (w, rows, cols)) in [(w1, hd, 2), (w2, 2, hd)].into_iter().enumerate() {
                let state = &mut self.norms[2 * b + which];
                let (sigma, v) = power_iteration(w, rows, cols, &mut state.u, iters);
                state.sigma = sigma;
                state.v = v;
            }
        }
    }

    /// Scale factors min(1, κ/σ) of W₁ and W₂ in block b.
    fn scales(&self, b: usize) -> [f64; 2] {
        let kappa = [self.config.inner_norm, self.config.lipschitz / self.config.inner_norm];
        [0, 1].map(|w| {
            let sigma = self.norms[2 * b + w].sigma;
            if sigma > kappa[w] { kappa[w] / sigma } else { 1.0 }
        })
    }

    /// The spectrally normalised blocks.
    pub fn blocks(&self) -> Vec<Block> {
        let hd = self.config.hidden;
        self.params
            .chunks_exact(Self::block_len(hd))
            .enumerate()
            .map(|(b, c)| {
                let [s1, s2] = self.scales(b);
                Block {
                    w1: c[..2 * hd].iter().map(|w| w * s1).collect(),
                    b1: c[2 * hd..3 * hd].to_vec(),
                    w2: c[3 * hd..5 * hd].iter().map(|w| w * s2).collect(),
                    b2: [c[5 * hd], c[5 * hd + 1]],
                }
            })
            .collect()
    }

    /// z = f(x) and the exact log det per point.
    pub fn forward(&self, xs: &[P2]) -> (Vec<P2>, Vec<f64>) {
        let blocks = self.blocks();
        xs.iter()
            .map(|&x| {
                let mut p = x;
                let mut ld = 0.0;
                for blk in &blocks {
                    let (h, j) = blk.eval(p);
                    ld += log_det_exact(j);
                    p = [p[0] + h[0], p[1] + h[1]];
                }
                (p, ld)
            })
            .unzip()
    }

    pub fn log_prob(&self, xs: &[P2]) -> Vec<f64> {
        let (z, ld) = self.forward(xs);
        z.iter().zip(ld).map(|(z, l)| -0.5 * (z[0] * z[0] + z[1] * z[1]) - LOG_2PI + l).collect()
    }

    /// x = f⁻¹(z) block by block (last first), with the fixed-point iteration counts (to 1e-12).
    pub fn inverse(&self, zs: &[P2]) -> (Vec<P2>, InverseStats) {
        self.inverse_to(zs, 1e-12)
    }

    /// [`Self::inverse`] iterating until no coordinate moves by more than `tol`.
    pub fn inverse_to(&self, zs: &[P2], tol: f64) -> (Vec<P2>, InverseStats) {
        let blocks = self.blocks();
        let (mut max_it, mut total) = (0, 0usize);
        let xs = zs
            .iter()
            .map(|&z| {
                let mut p = z;
                for blk in blocks.iter().rev() {
                    let (x, it) = blk.invert(p, tol, 500);
                    max_it = max_it.max(it);
                    total += it;
                    p = x;
                }
                p
            })
            .collect();
        let count = (zs.len() * blocks.len()).max(1);
        (xs, InverseStats { max_iterations: max_it, mean_iterations: total as f64 / count as f64 })
    }

    /// `n` samples (inverted to 1e-9: far below a pixel).
    pub fn sample(&self, n: usize, seed: u64) -> (Vec<P2>, InverseStats) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let z: Vec<P2> = (0..n).map(|_| [f64::from(normal(&mut rng)), f64::from(normal(&mut rng))]).collect();
        self.inverse_to(&z, 1e-9)
    }

    /// Points after each block (blocks + 1 entries).
    pub fn stages(&self, xs: &[P2]) -> Vec<Vec<P2>> {
        let mut out = vec![xs.to_vec()];
        let mut p = xs.to_vec();
        for blk in self.blocks() {
            for q in &mut p {
                let (h, _) = blk.eval(*q);
                *q = [q[0] + h[0], q[1] + h[1]];
            }
            out.push(p.clone());
        }
        out
    }

    /// Exact vs power-series log-determinants (summed over blocks, averaged over `xs`).
    pub fn log_det_comparison(&self, xs: &[P2], terms: usize, seed: u64) -> LogDetComparison {
        let blocks = self.blocks();
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut out = LogDetComparison { terms, ..LogDetComparison::default() };
        for &x in xs {
            let mut p = x;
            for blk in &blocks {
                let (h, j) = blk.eval(p);
                out.exact += log_det_exact(j);
                let (series, hutch) = log_det_series(j, terms, &mut rng);
                out.series += series;
                out.hutchinson += hutch;
                p = [p[0] + h[0], p[1] + h[1]];
            }
        }
        let n = xs.len().max(1) as f64;
        out.exact /= n;
        out.series /= n;
        out.hutchinson /= n;
        out
    }

    /// Largest spectral norm estimate of h's Jacobian bound per block: ‖W̃₂‖·‖W̃₁‖ (≤ c).
    pub fn lipschitz_bounds(&self) -> Vec<f64> {
        (0..self.config.blocks)
            .map(|b| {
                let s = self.scales(b);
                s[0] * self.norms[2 * b].sigma * s[1] * self.norms[2 * b + 1].sigma
            })
            .collect()
    }

    /// Mean NLL of `batch` with the exact log det; adds the gradient to `grad`.
    pub fn loss_and_grad(&self, batch: &[P2], grad: &mut [f64]) -> f64 {
        let blocks = self.blocks();
        let hd = self.config.hidden;
        let nb = blocks.len();
        let b = batch.len();
        let inv_b = 1.0 / b as f64;
        // Forward, keeping each block's input and tanh activations.
        let mut inputs = vec![vec![[0.0; 2]; b]; nb];
        let mut acts = vec![vec![0.0; b * hd]; nb];
        let mut x = batch.to_vec();
        let mut sum_ld = 0.0;
        for (k, blk) in blocks.iter().enumerate() {
            for (i, p) in x.iter_mut().enumerate() {
                inputs[k][i] = *p;
                let t = &mut acts[k][i * hd..(i + 1) * hd];
                let mut h = blk.b2;
                let mut j = [[0.0; 2]; 2];
                for u in 0..hd {
                    let (w10, w11) = (blk.w1[2 * u], blk.w1[2 * u + 1]);
                    let tv = tanh(w10 * p[0] + w11 * p[1] + blk.b1[u]);
                    t[u] = tv;
                    let d = 1.0 - tv * tv;
                    let (w20, w21) = (blk.w2[u], blk.w2[hd + u]);
                    h[0] += w20 * tv;
                    h[1] += w21 * tv;
                    j[0][0] += w20 * d * w10;
                    j[0][1] += w20 * d * w11;
                    j[1][0] += w21 * d * w10;
                    j[1][1] += w21 * d * w11;
                }
                sum_ld += log_det_exact(j);
                *p = [p[0] + h[0], p[1] + h[1]];
            }
        }
        let loss = x.iter().map(|z| 0.5 * (z[0] * z[0] + z[1] * z[1]) + LOG_2PI).sum::<f64>() * inv_b - sum_ld * inv_b;
        let mut g: Vec<P2> = x.iter().map(|z| [z[0] * inv_b, z[1] * inv_b]).collect();
        let len = Self::block_len(hd);
        let mut gw1 = vec![0.0; 2 * hd];
        let mut gw2 = vec![0.0; 2 * hd];
        for k in (0..nb).rev() {
            let blk = &blocks[k];
            gw1.fill(0.0);
            gw2.fill(0.0);
            let gblock = &mut grad[k * len..(k + 1) * len];
            for (i, gp) in g.iter_mut().enumerate() {
                let p = inputs[k][i];
                let t = &acts[k][i * hd..(i + 1) * hd];
                let gy = *gp;
                // Recompute J (cheap) for G = dL/d(I + J) = −(1/B) (I + J)^{−T}.
                let mut j = [[0.0; 2]; 2];
                for u in 0..hd {
                    let d = 1.0 - t[u] * t[u];
                    let (w10, w11, w20, w21) = (blk.w1[2 * u], blk.w1[2 * u + 1], blk.w2[u], blk.w2[hd + u]);
                    j[0][0] += w20 * d * w10;
                    j[0][1] += w20 * d * w11;
                    j[1][0] += w21 * d * w10;
                    j[1][1] += w21 * d * w11;
                }
                let m = [[1.0 + j[0][0], j[0][1]], [j[1][0], 1.0 + j[1][1]]];
                let c = -inv_b / det(m);
                // (M⁻¹)ᵀ = [[m11, −m10], [−m01, m00]] / det.
                let gm = [[c * m[1][1], -c * m[1][0]], [-c * m[0][1], c * m[0][0]]];
                let mut gx = gy;
                for u in 0..hd {
                    let tv = t[u];
                    let d = 1.0 - tv * tv;
                    let (w10, w11, w20, w21) = (blk.w1[2 * u], blk.w1[2 * u + 1], blk.w2[u], blk.w2[hd + u]);
                    let gt = w20 * gy[0] + w21 * gy[1];
                    let q0 = gm[0][0] * w10 + gm[0][1] * w11;
                    let q1 = gm[1][0] * w10 + gm[1][1] * w11;
                    gw2[u] += gy[0] * tv + d * q0;
                    gw2[hd + u] += gy[1] * tv + d * q1;
                    let gd = w20 * q0 + w21 * q1;
                    let ga = gt * d - 2.0 * tv * d * gd;
                    let r0 = gm[0][0] * w20 + gm[1][0] * w21;
                    let r1 = gm[0][1] * w20 + gm[1][1] * w21;
                    gw1[2 * u] += ga * p[0] + d * r0;
                    gw1[2 * u + 1] += ga * p[1] + d * r1;
                    gblock[2 * hd + u] += ga;
                    gx[0] += w10 * ga;
                    gx[1] += w11 * ga;
                }
                gblock[5 * hd] += gy[0];
                gblock[5 * hd + 1] += gy[1];
                *gp = gx;
            }
            // From the normalised weights W̃ = s·W back to W: s = κ/σ(W) when σ > κ, and dσ = uᵀ dW v.
            let scales = self.scales(k);
            let raw = &self.params[k * len..(k + 1) * len];
            for (which, (gt, off, rows, cols)) in [(&gw1, 0, hd, 2), (&gw2, 3 * hd, 2, hd)].into_iter().enumerate() {
                let s = scales[which];
                let w = &raw[off..off + rows * cols];
                let dst = &mut gblock[off..off + rows * cols];
                if s < 1.0 {
                    let state = &self.norms[2 * k + which];
                    let inner: f64 = gt.iter().zip(w).map(|(a, b)| a * b).sum();
                    let coef = inner * s / state.sigma;
                    for r in 0..rows {
                        for c in 0..cols {
                            dst[r * cols + c] += s * gt[r * cols + c] - coef * state.u[r] * state.v[c];
                        }
                    }
                } else {
                    for (d, g) in dst.iter_mut().zip(gt.iter()) {
                        *d += g;
                    }
                }
            }
        }
        loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(n: usize, seed: u64) -> Vec<P2> {
        let mut rng = SmallRng::seed_from_u64(seed);
        (0..n).map(|_| [1.5 * f64::from(normal(&mut rng)), 1.5 * f64::from(normal(&mut rng))]).collect()
    }

    /// A flow whose output weights are large enough that the normalisation is active.
    fn strong_flow(c: f64) -> ResFlow {
        let mut f = ResFlow::new(ResFlowConfig { blocks: 3, hidden: 8, lipschitz: c, inner_norm: 2.0 }, 3).unwrap();
        let mut rng = SmallRng::seed_from_u64(9);
        for p in &mut f.params {
            *p += f64::from(normal(&mut rng));
        }
        f.refresh_norms(100);
        f
    }

    #[test]
    fn tanh_through_exp_matches_libm() {
        for i in -400..=400 {
            let x = f64::from(i) * 0.07;
            assert!((tanh(x) - x.tanh()).abs() < 1e-15, "{x}");
        }
    }

    #[test]
    fn a_bound_of_one_or_more_is_refused() {
        for c in [1.0, 1.5, f64::NAN, 0.0] {
            let err = ResFlow::new(ResFlowConfig { lipschitz: c, ..ResFlowConfig::default() }, 1).unwrap_err();
            assert!(err.contains("refused"), "{err}");
        }
        assert!(ResFlow::new(ResFlowConfig { lipschitz: 0.99, ..ResFlowConfig::default() }, 1).is_ok());
    }

    #[test]
    fn power_iteration_finds_the_largest_singular_value() {
        // W = [[3, 0], [4, 5]] has σ_max² = largest eigenvalue of WᵀW = [[25, 20], [20, 25]] = 45.
        let w = [3.0, 0.0, 4.0, 5.0];
        let mut u = vec![1.0, 0.0];
        let (sigma, _) = power_iteration(&w, 2, 2, &mut u, 100);
        assert!((sigma - 45.0_f64.sqrt()).abs() < 1e-9, "{sigma}");
    }

    #[test]
    fn measured_lipschitz_constants_stay_below_the_bound() {
        let c = 0.7;
        let f = strong_flow(c);
        assert!(f.lipschitz_bounds().iter().all(|&l| l <= c + 1e-9), "{:?}", f.lipschitz_bounds());
        let xs = points(2000, 4);
        let mut worst: f64 = 0.0;
        for blk in f.blocks() {
            for pair in xs.chunks_exact(2) {
                let (ha, ja) = blk.eval(pair[0]);
                let (hb, _) = blk.eval(pair[1]);
                let num = (ha[0] - hb[0]).hypot(ha[1] - hb[1]);
                let den = (pair[0][0] - pair[1][0]).hypot(pair[0][1] - pair[1][1]);
                worst = worst.max(num / den);
                // ‖J‖₂ from the 2×2 JᵀJ.
                let jtj = mul([[ja[0][0], ja[1][0]], [ja[0][1], ja[1][1]]], ja);
                let tr = jtj[0][0] + jtj[1][1];
                let top = 0.5 * (tr + (tr * tr - 4.0 * det(jtj)).max(0.0).sqrt());
                worst = worst.max(top.sqrt());
            }
        }
        assert!(worst < c, "measured Lipschitz constant {worst} ≥ bound {c}");
        assert!(worst > 0.3 * c, "the normalisation should be active in this test ({worst})");
    }

    #[test]
    fn log_det_matches_a_finite_difference_jacobian_and_the_series() {
        let f = strong_flow(0.9);
        for x in points(20, 5) {
            let (_, ld) = f.forward(&[x]);
            let jac = crate::flows::fd_jacobian(|p| f.forward(&[p]).0[0], x);
            assert!((det(jac).ln() - ld[0]).abs() < 1e-5, "fd {} vs {}", det(jac).ln(), ld[0]);
        }
        // With ‖J‖ ≤ 0.9 the series converges; 200 terms agree with the exact value closely.
        let xs = points(50, 6);
        let cmp = f.log_det_comparison(&xs, 200, 1);
        assert!((cmp.exact - cmp.series).abs() < 1e-6, "{cmp:?}");
        let short = f.log_det_comparison(&xs, 2, 1);
        assert!((short.exact - short.series).abs() > 1e-6, "two terms should be visibly off: {short:?}");
    }

    #[test]
    fn inverse_by_fixed_point_undoes_forward() {
        let f = strong_flow(0.9);
        let xs = points(300, 7);
        let (z, _) = f.forward(&xs);
        let (back, stats) = f.inverse(&z);
        let err = xs.iter().zip(&back).map(|(a, b)| (a[0] - b[0]).abs().max((a[1] - b[1]).abs())).fold(0.0, f64::max);
        assert!(err < 1e-9, "max |f⁻¹(f(x)) − x| = {err}");
        assert!(stats.max_iterations > 1 && stats.max_iterations < 500, "{stats:?}");
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let f = strong_flow(0.8);
        let batch = points(12, 8);
        let mut grad = vec![0.0; f.params.len()];
        let loss = f.loss_and_grad(&batch, &mut grad);
        // The loss as a function of the raw parameters, with σ from converged power iteration.
        let nll = |g: &ResFlow| {
            let mut g = g.clone();
            g.refresh_norms(300);
            -g.log_prob(&batch).iter().sum::<f64>() / batch.len() as f64
        };
        assert!((loss - nll(&f)).abs() < 1e-8);
        let h = 1e-6;
        for k in 0..f.params.len() {
            let mut g = f.clone();
            g.params[k] += h;
            let up = nll(&g);
            g.params[k] -= 2.0 * h;
            let fd = (up - nll(&g)) / (2.0 * h);
            assert!((fd - grad[k]).abs() < 1e-4 * (1.0 + fd.abs()), "param {k}: fd {fd} vs {}", grad[k]);
        }
    }
}
