//! Tiny dense networks with hand-written backpropagation, and Adam (pure, f64).
//!
//! The flows' networks are 1 → 64 → 64 → 2: at that size a tensor library spends its time on per-op overhead, so
//! the maths is written out. Parameters live in one flat slice per network (weights `in × out`, row-major, then the
//! bias, layer after layer), so a whole flow is one `Vec<f64>` that Adam updates and a divergence guard copies.

// Maths notation: one-letter names (x, z, s, t, J, W, h, k) as in the formulas.
#![allow(clippy::many_single_char_names, clippy::needless_range_loop)]

use rand::Rng;

use crate::nn::kernels::{Real, matmul_a_bt_acc, matmul_acc, matmul_at_b_acc};
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
        let MlpCache { acts, grad, grad_next, .. } = cache;
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
            // dL/dx = g · Wᵀ.
            grad_next.clear();
            grad_next.resize(batch * n_in, 0.0);
            matmul_a_bt_acc(grad, w, n_in, n_out, grad_next);
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
}
