//! The flows' networks (1 → 64 → 64 → 2, ReLU) on the one dense engine [`crate::nn::mlp`], in f64. Parameters
//! live in one flat slice per network (weights `in × out`, row-major, then the bias, layer after layer), so a whole
//! flow is one `Vec<f64>` that Adam updates and a divergence guard copies.

use rand::Rng;

use crate::nn::mlp::{self, Activation, Dense, DenseGrad};
use crate::nn::normal;

/// Layer sizes `[in, hidden…, out]`; ReLU after every layer but the last.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MlpShape {
    pub sizes: Vec<usize>,
}

/// Activations kept by `forward` for `backward`.
pub type MlpCache = mlp::Tape<f64>;

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

    /// The layers of the network whose parameters are `params`, seen in place.
    fn layers<'a, T>(&self, params: &'a [T]) -> Vec<Dense<'a, T>> {
        self.offsets().map(|(o, n_in, n_out)| Dense::packed(&params[o..], n_in, n_out)).collect()
    }

    /// Runs `batch` rows of `input` (`batch × in`) through the network; the output is `cache.output()`.
    pub fn forward(&self, params: &[f64], input: &[f64], batch: usize, cache: &mut MlpCache) {
        mlp::forward(&self.layers(params), Activation::Relu, input, batch, cache);
    }

    /// Backpropagates `grad_out` (`batch × out`, dLoss/d output of the last `forward`): adds dLoss/d params to
    /// `grad_params` and, if given, writes dLoss/d input to `grad_in`.
    pub fn backward(
        &self,
        params: &[f64],
        cache: &mut MlpCache,
        grad_out: &[f64],
        grad_params: &mut [f64],
        grad_in: Option<&mut [f64]>,
    ) {
        let mut rest = grad_params;
        let mut grads: Vec<DenseGrad<f64>> = self
            .offsets()
            .map(|(_, n_in, n_out)| {
                let (layer, tail) = std::mem::take(&mut rest).split_at_mut(n_in * n_out + n_out);
                rest = tail;
                DenseGrad::packed(layer, n_in, n_out)
            })
            .collect();
        mlp::backward(&self.layers(params), Activation::Relu, cache, grad_out, &mut grads, grad_in);
    }
}

/// Runs `batch` rows through the network in f32 (parameters already converted): the density grids' fast path,
/// about twice the throughput of f64. `tape` keeps its buffers between calls.
pub fn infer_f32<'t>(
    shape: &MlpShape,
    params: &[f32],
    input: &[f32],
    batch: usize,
    tape: &'t mut mlp::Tape<f32>,
) -> &'t [f32] {
    mlp::forward(&shape.layers(params), Activation::Relu, input, batch, tape);
    tape.output()
}
