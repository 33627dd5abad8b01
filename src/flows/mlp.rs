//! Tiny dense networks with hand-written backpropagation, and Adam (pure, f64).
//!
//! The flows' networks are 1 → 64 → 64 → 2: at that size a tensor library spends its time on per-op overhead, so
//! the maths is written out. Parameters live in one flat slice per network (weights `in × out`, row-major, then the
//! bias, layer after layer), so a whole flow is one `Vec<f64>` that Adam updates and a divergence guard copies.

// Maths notation: one-letter names (x, z, s, t, J, W, h, k) as in the formulas.
#![allow(clippy::many_single_char_names, clippy::needless_range_loop)]

use rand::Rng;

use crate::nn::normal;

/// Layer sizes `[in, hidden…, out]`; ReLU after every layer but the last.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MlpShape {
    pub sizes: Vec<usize>,
}

/// Activations kept by `forward` for `backward`.
#[derive(Debug, Default, Clone)]
pub struct MlpCache {
    /// `acts[0]` is the input, `acts[l]` the output of layer l (after ReLU for hidden layers).
    acts: Vec<Vec<f64>>,
    grad: Vec<f64>,
    grad_next: Vec<f64>,
    transposed: Vec<f64>,
    batch: usize,
}

impl MlpCache {
    /// The network's output of the last `forward` (`batch × out`).
    pub fn output(&self) -> &[f64] {
        self.acts.last().map_or(&[], Vec::as_slice)
    }
}

impl MlpShape {
    pub fn new(sizes: Vec<usize>) -> Self {
        assert!(sizes.len() >= 2 && sizes.iter().all(|&s| s > 0), "an MLP needs at least an input and an output");
        Self { sizes }
    }

    pub fn input(&self) -> usize {
        self.sizes[0]
    }

    pub fn output(&self) -> usize {
        *self.sizes.last().unwrap_or(&0)
    }

    /// Number of weights and biases.
    pub fn n_params(&self) -> usize {
        self.sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }

    /// Offsets of each layer's weights in the flat parameter slice.
    fn offsets(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        let mut offset = 0;
        self.sizes.windows(2).map(move |w| {
            let o = offset;
            offset += w[0] * w[1] + w[1];
            (o, w[0], w[1])
        })
    }

    /// He-normal weights, zero biases; the last layer all zeros when `zero_last` (a flow starts as the identity).
    pub fn init(&self, params: &mut [f64], rng: &mut impl Rng, zero_last: bool) {
        let layers = self.sizes.len() - 1;
        for (l, (o, n_in, n_out)) in self.offsets().enumerate() {
            let scale = (2.0 / n_in as f64).sqrt();
            for w in &mut params[o..o + n_in * n_out] {
                *w = if zero_last && l + 1 == layers { 0.0 } else { scale * f64::from(normal(rng)) };
            }
            params[o + n_in * n_out..o + n_in * n_out + n_out].fill(0.0);
        }
    }

    /// Runs `batch` rows of `input` (`batch × in`) through the network; the output is `cache.output()`.
    pub fn forward(&self, params: &[f64], input: &[f64], batch: usize, cache: &mut MlpCache) {
        debug_assert_eq!(input.len(), batch * self.input());
        let layers = self.sizes.len() - 1;
        cache.acts.resize_with(layers + 1, Vec::new);
        cache.batch = batch;
        cache.acts[0].clear();
        cache.acts[0].extend_from_slice(input);
        for (l, (o, n_in, n_out)) in self.offsets().enumerate() {
            let (before, after) = cache.acts.split_at_mut(l + 1);
            dense_layer(&params[o..o + n_in * n_out + n_out], (n_in, n_out), &before[l], l + 1 < layers, &mut after[0]);
        }
    }

    /// Backpropagates `grad_out` (`batch × out`, dLoss/d output of the last `forward`): adds dLoss/d params to
    /// `grad_params` and, if given, writes dLoss/d input to `grad_in`.
    pub fn backward(
        &self,
        params: &[f64],
        cache: &mut MlpCache,
        grad_out: &[f64],
        grad_params: &mut [f64],
        mut grad_in: Option<&mut [f64]>,
    ) {
        let batch = cache.batch;
        let offsets: Vec<_> = self.offsets().collect();
        let MlpCache { acts, grad, grad_next, transposed, .. } = cache;
        grad.clear();
        grad.extend_from_slice(grad_out);
        for (l, &(o, n_in, n_out)) in offsets.iter().enumerate().rev() {
            let w = &params[o..o + n_in * n_out];
            let x = &acts[l];
            {
                let (gw, gb) = grad_params[o..o + n_in * n_out + n_out].split_at_mut(n_in * n_out);
                for gr in grad.chunks_exact(n_out) {
                    for (gbj, &g) in gb.iter_mut().zip(gr) {
                        *gbj += g;
                    }
                }
                matmul_at_b_acc(x, grad, n_in, n_out, gw);
            }
            if l == 0 && grad_in.is_none() {
                break;
            }
            // dL/dx = g · Wᵀ, with Wᵀ stored out × in so the kernel runs over contiguous memory.
            transposed.clear();
            transposed.resize(n_in * n_out, 0.0);
            for i in 0..n_in {
                for j in 0..n_out {
                    transposed[j * n_in + i] = w[i * n_out + j];
                }
            }
            grad_next.clear();
            grad_next.resize(batch * n_in, 0.0);
            matmul_acc(grad, transposed, n_out, n_in, grad_next);
            if l > 0 {
                // Through the ReLU of the layer below: its output is x.
                for (gn, &xv) in grad_next.iter_mut().zip(x.iter()) {
                    if xv <= 0.0 {
                        *gn = 0.0;
                    }
                }
            } else if let Some(gi) = grad_in.as_deref_mut() {
                gi.copy_from_slice(grad_next);
            }
            std::mem::swap(grad, grad_next);
        }
    }
}

/// The float types the inference kernel runs in (f64 for training, f32 for fast density grids).
pub trait Real:
    Copy + Default + PartialOrd + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self> + std::ops::AddAssign
{
}
impl Real for f32 {}
impl Real for f64 {}

/// Runs `batch` rows through the network in f32 (parameters already converted): the density grids' fast path,
/// about twice the throughput of f64 on SSE2. `scratch` holds the activations between calls.
pub fn infer_f32(
    shape: &MlpShape,
    params: &[f32],
    input: &[f32],
    batch: usize,
    scratch: &mut [Vec<f32>; 2],
) -> Vec<f32> {
    debug_assert_eq!(input.len(), batch * shape.input());
    let layers = shape.sizes.len() - 1;
    let [x, y] = scratch;
    x.clear();
    x.extend_from_slice(input);
    for (l, (o, n_in, n_out)) in shape.offsets().enumerate() {
        dense_layer(&params[o..o + n_in * n_out + n_out], (n_in, n_out), x, l + 1 < layers, y);
        std::mem::swap(x, y);
    }
    x.clone()
}

/// One layer for every row of `x` (`rows × n_in`): y = x W + b, then ReLU unless it is the last layer.
/// `weights_and_bias` holds W (`n_in × n_out`, row-major) followed by b.
fn dense_layer<T: Real>(weights_and_bias: &[T], (n_in, n_out): (usize, usize), x: &[T], relu: bool, y: &mut Vec<T>) {
    let (w, b) = weights_and_bias.split_at(n_in * n_out);
    y.clear();
    y.resize(x.len() / n_in * n_out, T::default());
    for row in y.chunks_exact_mut(n_out) {
        row.copy_from_slice(b);
    }
    matmul_acc(x, w, n_in, n_out, y);
    if relu {
        for v in y.iter_mut() {
            if *v < T::default() {
                *v = T::default();
            }
        }
    }
}

/// Columns per register block of the kernels below.
const COLS: usize = 8;

/// out (rows × n) += a (rows × k) · w (k × n), all row-major. Two rows and eight columns at a time are kept in
/// registers, so each weight loaded serves two rows and each output is written once.
pub fn matmul_acc<T: Real>(a: &[T], w: &[T], k: usize, n: usize, out: &mut [T]) {
    let rows = out.len() / n;
    let full = n / COLS * COLS;
    let mut r = 0;
    while r + 2 <= rows {
        let (a0, a1) = (&a[r * k..(r + 1) * k], &a[(r + 1) * k..(r + 2) * k]);
        let (o0, o1) = out[r * n..(r + 2) * n].split_at_mut(n);
        for j in (0..full).step_by(COLS) {
            let mut acc0 = [T::default(); COLS];
            let mut acc1 = [T::default(); COLS];
            for i in 0..k {
                let Ok(wr) = <&[T; COLS]>::try_from(&w[i * n + j..i * n + j + COLS]) else { continue };
                let (x0, x1) = (a0[i], a1[i]);
                for c in 0..COLS {
                    acc0[c] += x0 * wr[c];
                    acc1[c] += x1 * wr[c];
                }
            }
            for c in 0..COLS {
                o0[j + c] += acc0[c];
                o1[j + c] += acc1[c];
            }
        }
        for j in full..n {
            for i in 0..k {
                o0[j] += a0[i] * w[i * n + j];
                o1[j] += a1[i] * w[i * n + j];
            }
        }
        r += 2;
    }
    if r < rows {
        let a0 = &a[r * k..(r + 1) * k];
        let o0 = &mut out[r * n..(r + 1) * n];
        for (i, &x) in a0.iter().enumerate() {
            for (o, &wv) in o0.iter_mut().zip(&w[i * n..(i + 1) * n]) {
                *o += x * wv;
            }
        }
    }
}

/// out (k × n) += aᵀ · b for a (rows × k) and b (rows × n), row-major (the weight gradient Xᵀ G).
pub fn matmul_at_b_acc(a: &[f64], b: &[f64], k: usize, n: usize, out: &mut [f64]) {
    let rows = a.len() / k;
    let full = n / COLS * COLS;
    let mut i = 0;
    while i + 2 <= k {
        for j in (0..full).step_by(COLS) {
            let mut acc0 = [0.0; COLS];
            let mut acc1 = [0.0; COLS];
            for r in 0..rows {
                let br: &[f64; COLS] = b[r * n + j..r * n + j + COLS].try_into().unwrap_or(&[0.0; COLS]);
                let (x0, x1) = (a[r * k + i], a[r * k + i + 1]);
                for c in 0..COLS {
                    acc0[c] += x0 * br[c];
                    acc1[c] += x1 * br[c];
                }
            }
            for c in 0..COLS {
                out[i * n + j + c] += acc0[c];
                out[(i + 1) * n + j + c] += acc1[c];
            }
        }
        i += 2;
    }
    for i in i..k {
        for j in 0..full {
            out[i * n + j] += (0..rows).map(|r| a[r * k + i] * b[r * n + j]).sum::<f64>();
        }
    }
    for i in 0..k {
        for j in full..n {
            out[i * n + j] += (0..rows).map(|r| a[r * k + i] * b[r * n + j]).sum::<f64>();
        }
    }
}

/// Scales `grads` so its Euclidean norm is at most `max_norm`; returns the norm before clipping.
pub fn clip_norm(grads: &mut [f64], max_norm: f64) -> f64 {
    let norm = grads.iter().map(|g| g * g).sum::<f64>().sqrt();
    if norm > max_norm && norm.is_finite() {
        let s = max_norm / norm;
        for g in grads {
            *g *= s;
        }
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    #[test]
    fn backprop_matches_finite_differences() {
        let shape = MlpShape::new(vec![3, 16, 9, 2]);
        let mut rng = SmallRng::seed_from_u64(1);
        let mut params = vec![0.0; shape.n_params()];
        shape.init(&mut params, &mut rng, false);
        for b in &mut params {
            *b += 0.05 * f64::from(normal(&mut rng));
        }
        let batch = 5;
        let input: Vec<f64> = (0..batch * 3).map(|_| f64::from(normal(&mut rng))).collect();
        let coeff: Vec<f64> = (0..batch * 2).map(|_| f64::from(normal(&mut rng))).collect();
        // Loss = Σ coeff ⊙ output (so dL/d output = coeff).
        let loss = |p: &[f64], x: &[f64]| {
            let mut c = MlpCache::default();
            shape.forward(p, x, batch, &mut c);
            c.output().iter().zip(&coeff).map(|(o, k)| o * k).sum::<f64>()
        };
        let mut cache = MlpCache::default();
        shape.forward(&params, &input, batch, &mut cache);
        let mut gp = vec![0.0; shape.n_params()];
        let mut gi = vec![0.0; input.len()];
        shape.backward(&params, &mut cache, &coeff, &mut gp, Some(&mut gi));
        let h = 1e-6;
        for k in 0..params.len() {
            let mut p = params.clone();
            p[k] += h;
            let up = loss(&p, &input);
            p[k] -= 2.0 * h;
            let fd = (up - loss(&p, &input)) / (2.0 * h);
            assert!((fd - gp[k]).abs() < 1e-5 * (1.0 + fd.abs()), "param {k}: fd {fd} vs {}", gp[k]);
        }
        for k in 0..input.len() {
            let mut x = input.clone();
            x[k] += h;
            let up = loss(&params, &x);
            x[k] -= 2.0 * h;
            let fd = (up - loss(&params, &x)) / (2.0 * h);
            assert!((fd - gi[k]).abs() < 1e-5 * (1.0 + fd.abs()), "input {k}: fd {fd} vs {}", gi[k]);
        }
    }

    #[test]
    fn kernels_match_naive_products() {
        let mut rng = SmallRng::seed_from_u64(2);
        for (rows, k, n) in [(5, 3, 17), (4, 16, 8), (1, 1, 64), (7, 64, 2), (6, 9, 24)] {
            let a: Vec<f64> = (0..rows * k).map(|_| f64::from(normal(&mut rng))).collect();
            let w: Vec<f64> = (0..k * n).map(|_| f64::from(normal(&mut rng))).collect();
            let b: Vec<f64> = (0..rows * n).map(|_| f64::from(normal(&mut rng))).collect();
            let mut out = vec![1.0; rows * n];
            matmul_acc(&a, &w, k, n, &mut out);
            for r in 0..rows {
                for j in 0..n {
                    let want = 1.0 + (0..k).map(|i| a[r * k + i] * w[i * n + j]).sum::<f64>();
                    assert!((out[r * n + j] - want).abs() < 1e-12);
                }
            }
            let mut atb = vec![0.5; k * n];
            matmul_at_b_acc(&a, &b, k, n, &mut atb);
            for i in 0..k {
                for j in 0..n {
                    let want = 0.5 + (0..rows).map(|r| a[r * k + i] * b[r * n + j]).sum::<f64>();
                    assert!((atb[i * n + j] - want).abs() < 1e-12, "{rows}×{k}×{n} at ({i}, {j})");
                }
            }
        }
    }

    #[test]
    fn clipping_bounds_the_norm() {
        let mut g = vec![3.0, 4.0];
        assert_eq!(clip_norm(&mut g, 1.0), 5.0);
        assert!((g[0] - 0.6).abs() < 1e-12 && (g[1] - 0.8).abs() < 1e-12);
    }
}
