//! MADE (Germain et al. 2015) on binarised images, in plain Rust (pure: no egui, no threads).
//!
//! One hidden layer of H ReLU units plus direct input→output connections, all masked so that output j (the logit
//! of p(xⱼ = 1 | x<ⱼ)) only sees pixels i < j in raster order. Hidden unit k gets a degree m(k) ∈ [1, D−1] (spread
//! evenly and sorted, so every mask is a contiguous range): input i (degree i+1) feeds k iff m(k) ≥ i+1, and k
//! feeds output j (degree j+1) iff j+1 > m(k). Masked weights start at zero and get zero gradients, so Adam never
//! moves them. Inputs are binary, so a forward pass only adds the weight rows of the "on" pixels.

// Maths notation: one-letter names (x, h, d, l) as in the lecture.
#![allow(clippy::many_single_char_names, clippy::needless_range_loop)]

use crate::nn::kernels::axpy;
use crate::numeric::dot;

use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::ArError;
use crate::nn::normal;

/// Hidden units used by the CLI, the lesson and the leaderboard unless told otherwise.
pub const DEFAULT_HIDDEN: usize = 500;
/// Adam learning rate and minibatch size used by default.
pub const DEFAULT_LR: f32 = 2e-3;
pub const DEFAULT_BATCH: usize = 64;
/// The largest image (pixels) and hidden layer a model file may state.
const MAX_DIM: usize = 4096;
const MAX_HIDDEN: usize = 8192;

mod digits;
mod file;
mod leaderboard;
mod sample;
mod train;

pub use digits::{Digits, binarise};
pub use file::MadeInfo;
pub use leaderboard::leaderboard_row;
pub use sample::{Sampler, complete, sample};
use train::Scratch;
pub use train::{MadeTrainer, train_for};

/// The weights of a MADE (masked entries are exactly zero).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Made {
    pub rows: usize,
    pub cols: usize,
    pub hidden: usize,
    /// Input → hidden, `[D][H]`.
    w: Vec<f32>,
    b: Vec<f32>,
    /// Hidden → output, `[H][D]`.
    v: Vec<f32>,
    /// Direct input → output, `[D][D]` (strictly upper triangular: input i feeds outputs j > i).
    u: Vec<f32>,
    c: Vec<f32>,
    #[serde(skip)]
    masks: Masks,
}

/// Hidden degrees and the contiguous ranges they give.
#[derive(Debug, Clone, PartialEq, Default)]
struct Masks {
    /// m(k), nondecreasing, in [1, max(D−1, 1)].
    degree: Vec<usize>,
    /// Input i feeds hidden units `in_from[i]..H`.
    in_from: Vec<usize>,
    /// Output j is fed by hidden units `0..out_to[j]`.
    out_to: Vec<usize>,
}

impl Masks {
    fn new(d: usize, h: usize) -> Self {
        let degree: Vec<usize> = (0..h).map(|k| if d < 2 { 1 } else { 1 + k * (d - 1) / h }).collect();
        let in_from = (0..d).map(|i| degree.partition_point(|&m| m < i + 1)).collect();
        let out_to = (0..d).map(|j| degree.partition_point(|&m| m <= j)).collect();
        Self { degree, in_from, out_to }
    }
}

fn softplus(l: f32) -> f32 {
    l.max(0.0) + (-l.abs()).exp().ln_1p()
}

fn sigmoid(l: f32) -> f32 {
    1.0 / (1.0 + (-l).exp())
}

fn add(y: &mut [f32], x: &[f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += xi;
    }
}

impl Made {
    /// A freshly initialised MADE for `rows × cols` images with `hidden` units.
    pub fn new(rows: usize, cols: usize, hidden: usize, seed: u64) -> Result<Self, ArError> {
        let d = rows * cols;
        if d == 0 || d > MAX_DIM || hidden == 0 || hidden > MAX_HIDDEN {
            return Err(ArError::BadInput(format!(
                "MADE needs 1 … {MAX_DIM} pixels and 1 … {MAX_HIDDEN} hidden units (got {rows}×{cols}, {hidden})"
            )));
        }
        let masks = Masks::new(d, hidden);
        let mut rng = SmallRng::seed_from_u64(seed);
        let (sw, sv) = (2.0 / (d as f32).sqrt(), 1.0 / (hidden as f32).sqrt());
        let mut w = vec![0.0; d * hidden];
        for i in 0..d {
            for k in masks.in_from[i]..hidden {
                w[i * hidden + k] = sw * normal(&mut rng);
            }
        }
        let mut v = vec![0.0; hidden * d];
        for k in 0..hidden {
            for j in masks.degree[k].min(d)..d {
                v[k * d + j] = sv * normal(&mut rng);
            }
        }
        Ok(Self { rows, cols, hidden, w, b: vec![0.0; hidden], v, u: vec![0.0; d * d], c: vec![0.0; d], masks })
    }

    pub fn dim(&self) -> usize {
        self.rows * self.cols
    }

    /// Number of weights that are not masked out.
    pub fn parameters(&self) -> usize {
        let d = self.dim();
        let w: usize = self.masks.in_from.iter().map(|&f| self.hidden - f).sum();
        let v: usize = self.masks.out_to.iter().sum();
        w + v + d * (d - 1) / 2 + self.hidden + d
    }

    /// Sets the output biases to the logits of the pixels' mean values in `data` (a good start).
    pub fn init_output_bias(&mut self, data: &Digits) {
        let d = self.dim();
        if data.is_empty() || data.dim() != d {
            return;
        }
        let mut on = vec![0usize; d];
        for a in &data.active {
            for &i in a {
                on[usize::from(i)] += 1;
            }
        }
        for (c, &n) in self.c.iter_mut().zip(&on) {
            let p = ((n as f32 + 0.5) / (data.len() as f32 + 1.0)).clamp(1e-4, 1.0 - 1e-4);
            *c = (p / (1.0 - p)).ln();
        }
    }

    /// Hidden pre-activations for the "on" pixels `active`.
    fn hidden_pre(&self, active: &[u16], a: &mut [f32]) {
        let h = self.hidden;
        a.copy_from_slice(&self.b);
        for &i in active {
            let i = usize::from(i);
            let from = self.masks.in_from[i];
            add(&mut a[from..], &self.w[i * h + from..(i + 1) * h]);
        }
    }

    /// Output logits given the hidden pre-activations `a` and the "on" pixels.
    fn logits_from(&self, active: &[u16], a: &[f32], out: &mut [f32]) {
        let d = self.dim();
        out.copy_from_slice(&self.c);
        for (k, &ak) in a.iter().enumerate() {
            if ak > 0.0 {
                let j0 = self.masks.degree[k].min(d);
                axpy(&mut out[j0..], ak, &self.v[k * d + j0..(k + 1) * d]);
            }
        }
        for &i in active {
            let i = usize::from(i);
            add(&mut out[i + 1..], &self.u[i * d + i + 1..(i + 1) * d]);
        }
    }

    /// The logits of p(xⱼ = 1 | x<ⱼ) for every j, for one binary image.
    pub fn logits(&self, image: &[u8]) -> Vec<f32> {
        let active: Vec<u16> = image.iter().enumerate().filter(|&(_, &b)| b != 0).map(|(i, _)| i as u16).collect();
        let mut a = vec![0.0; self.hidden];
        self.hidden_pre(&active, &mut a);
        let mut out = vec![0.0; self.dim()];
        self.logits_from(&active, &a, &mut out);
        out
    }

    /// Exact log p(x) in nats for one binary image (`dim()` bytes, 0 or 1).
    pub fn log_prob(&self, image: &[u8]) -> f64 {
        let l = self.logits(image);
        -image.iter().zip(&l).map(|(&x, &l)| f64::from(softplus(l) - f32::from(x) * l)).sum::<f64>()
    }

    /// Mean and standard error of −log p(x) over the first `limit` images of `data`.
    pub fn nll_stats(&self, data: &Digits, limit: usize) -> Result<(f64, f64), ArError> {
        self.check_size(data.rows, data.cols)?;
        let n = data.len().min(limit);
        if n == 0 {
            return Err(ArError::BadInput("no images to score".into()));
        }
        let nll: Vec<f64> = (0..n).map(|i| -self.log_prob(data.image(i))).collect();
        let mean = nll.iter().sum::<f64>() / n as f64;
        let var = if n > 1 { nll.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64 } else { 0.0 };
        Ok((mean, (var / n as f64).sqrt()))
    }

    /// Refuses data of another image size.
    pub fn check_size(&self, rows: usize, cols: usize) -> Result<(), ArError> {
        if rows == self.rows && cols == self.cols {
            Ok(())
        } else {
            Err(ArError::SizeMismatch {
                model_rows: self.rows,
                model_cols: self.cols,
                data_rows: rows,
                data_cols: cols,
            })
        }
    }

    fn is_finite(&self) -> bool {
        [&self.w, &self.b, &self.v, &self.u, &self.c].iter().all(|p| p.iter().all(|x| x.is_finite()))
    }

    fn blocks_mut(&mut self) -> [&mut Vec<f32>; 5] {
        [&mut self.w, &mut self.b, &mut self.v, &mut self.u, &mut self.c]
    }

    fn zeroed(&self) -> Self {
        let z = |v: &Vec<f32>| vec![0.0; v.len()];
        Self {
            w: z(&self.w),
            b: z(&self.b),
            v: z(&self.v),
            u: z(&self.u),
            c: z(&self.c),
            masks: self.masks.clone(),
            ..*self
        }
    }

    /// Adds the gradient of −log p(x) for one image to `g`; returns −log p(x).
    fn accumulate(&self, image: &[u8], active: &[u16], g: &mut Self, scratch: &mut Scratch) -> f64 {
        let (d, h) = (self.dim(), self.hidden);
        scratch.resize(d, h);
        self.hidden_pre(active, &mut scratch.a);
        self.logits_from(active, &scratch.a, &mut scratch.l);
        let mut nll = 0.0_f64;
        for j in 0..d {
            let (l, x) = (scratch.l[j], f32::from(image[j]));
            nll += f64::from(softplus(l) - x * l);
            scratch.dl[j] = sigmoid(l) - x;
        }
        add(&mut g.c, &scratch.dl);
        for &i in active {
            let i = usize::from(i);
            add(&mut g.u[i * d + i + 1..(i + 1) * d], &scratch.dl[i + 1..]);
        }
        for k in 0..h {
            let ak = scratch.a[k];
            scratch.da[k] = if ak > 0.0 {
                let j0 = self.masks.degree[k].min(d);
                axpy(&mut g.v[k * d + j0..(k + 1) * d], ak, &scratch.dl[j0..]);
                dot(&self.v[k * d + j0..(k + 1) * d], &scratch.dl[j0..])
            } else {
                0.0
            };
        }
        add(&mut g.b, &scratch.da);
        for &i in active {
            let i = usize::from(i);
            let from = self.masks.in_from[i];
            add(&mut g.w[i * h + from..(i + 1) * h], &scratch.da[from..]);
        }
        nll
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// A small MADE with every unmasked weight random, so the test is not trivial.
    pub(super) fn random_made(rows: usize, cols: usize, hidden: usize, seed: u64) -> Made {
        let mut m = Made::new(rows, cols, hidden, seed).unwrap();
        let mut rng = SmallRng::seed_from_u64(seed + 7);
        let (d, h) = (m.dim(), m.hidden);
        for k in 0..h {
            m.b[k] = normal(&mut rng);
        }
        for j in 0..d {
            m.c[j] = normal(&mut rng);
            for i in 0..j {
                m.u[i * d + j] = normal(&mut rng);
            }
        }
        m
    }

    fn bits(n: usize, d: usize) -> Vec<u8> {
        (0..d).map(|j| ((n >> j) & 1) as u8).collect()
    }

    #[test]
    fn masks_follow_the_degree_rule() {
        let (d, h) = (10, 7);
        let masks = Masks::new(d, h);
        for k in 0..h {
            assert!((1..d).contains(&masks.degree[k]));
            for i in 0..d {
                assert_eq!(k >= masks.in_from[i], masks.degree[k] > i);
                assert_eq!(k < masks.out_to[i], masks.degree[k] <= i);
            }
        }
    }

    #[test]
    fn output_j_ignores_pixels_from_j_on() {
        let m = random_made(3, 4, 9, 3);
        let d = m.dim();
        let mut rng = SmallRng::seed_from_u64(1);
        for _ in 0..20 {
            let x: Vec<u8> = (0..d).map(|_| u8::from(rng.random::<bool>())).collect();
            let base = m.logits(&x);
            for p in 0..d {
                let mut y = x.clone();
                y[p] ^= 1;
                let l = m.logits(&y);
                for j in 0..=p {
                    assert_eq!(l[j], base[j], "output {j} changed when pixel {p} flipped");
                }
            }
        }
    }

    #[test]
    fn probabilities_sum_to_one_over_all_inputs() {
        let m = random_made(2, 4, 16, 5);
        let total: f64 = (0..256).map(|n| m.log_prob(&bits(n, 8)).exp()).sum();
        assert!((total - 1.0).abs() < 1e-5, "Σ p(x) = {total}");
    }

    #[test]
    fn gradients_match_finite_differences() {
        let m = random_made(2, 3, 5, 11);
        let x: Vec<u8> = vec![1, 0, 1, 1, 0, 1];
        let active: Vec<u16> = vec![0, 2, 3, 5];
        let mut g = m.zeroed();
        m.accumulate(&x, &active, &mut g, &mut Scratch::default());
        let nll = |m: &Made| -m.log_prob(&x);
        let eps = 1e-2_f32;
        let mut checked = 0;
        for block in 0..5 {
            let len = m.clone().blocks_mut()[block].len();
            for i in 0..len {
                let analytic = g.clone().blocks_mut()[block][i];
                let (mut plus, mut minus) = (m.clone(), m.clone());
                plus.blocks_mut()[block][i] += eps;
                minus.blocks_mut()[block][i] -= eps;
                let numeric = (nll(&plus) - nll(&minus)) / (2.0 * f64::from(eps));
                assert!((numeric - f64::from(analytic)).abs() < 2e-3 + 1e-2 * numeric.abs(), "block {block}[{i}]");
                checked += 1;
            }
        }
        assert!(checked > 50);
    }

    #[test]
    fn training_lowers_the_nll_of_a_simple_pattern() {
        let mut data = Digits { rows: 2, cols: 3, ..Digits::default() };
        for n in 0..40 {
            let a = u8::from(n % 2 == 0);
            data.push(&[a, 1 - a, a, 1 - a, a, 1 - a]);
        }
        let mut model = Made::new(2, 3, 8, 1).unwrap();
        model.init_output_bias(&data);
        let before = model.nll_stats(&data, 40).unwrap().0;
        let mut t = MadeTrainer::new(model, 0.02, 16, 1);
        for _ in 0..800 {
            t.step(&data).unwrap();
        }
        // The ideal is ln 2 ≈ 0.69 nats: a fair coin for the first pixel, the rest determined by it.
        let after = t.model.nll_stats(&data, 40).unwrap().0;
        assert!(before > 3.0 && after < 0.85, "{before} → {after}");
    }

    #[test]
    fn samples_and_completions_are_deterministic_with_a_seed() {
        let m = random_made(3, 3, 10, 2);
        assert_eq!(sample(&m, 3, 9), sample(&m, 3, 9));
        assert_ne!(sample(&m, 6, 9), sample(&m, 6, 10));
        let x = vec![1, 0, 1, 1, 0, 0, 1, 1, 0];
        let a = complete(&m, &x, 4, 4, 1).unwrap();
        assert_eq!(a, complete(&m, &x, 4, 4, 1).unwrap());
        for c in &a {
            assert_eq!(&c[..4], &x[..4], "the known pixels are kept");
        }
        assert!(matches!(complete(&m, &x, 9, 4, 1), Err(ArError::NothingHidden)));
        assert!(matches!(complete(&m, &x[..4], 2, 4, 1), Err(ArError::BadInput(_))));
    }

    #[test]
    fn incremental_sampling_matches_the_full_forward_pass() {
        let m = random_made(3, 3, 10, 4);
        let mut s = Sampler::new(&m, 3);
        s.finish(&m);
        let l = m.logits(&s.x);
        for j in 0..m.dim() {
            assert!((sigmoid(l[j]) - s.probs[j]).abs() < 1e-5);
        }
    }
}
