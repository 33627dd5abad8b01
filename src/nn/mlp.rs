//! The one dense network of the plain-Rust models: forward and backward passes of an MLP whose layers are seen in
//! place (so each model keeps its own storage — a flow's flat parameter vector, the 2-D diffusion model's layer
//! list in its checkpoint files), with ReLU or SiLU between layers and a linear output. Pure.
//!
//! Layer l maps h ↦ h W_l + b_l with W_l stored input-major (`inputs × outputs`, row-major).

use super::kernels::{Real, matmul_a_bt_acc, matmul_acc, matmul_at_b_acc};

/// The nonlinearity after every layer but the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// max(z, 0).
    Relu,
    /// z σ(z) (the swish).
    Silu,
}

/// One affine layer seen in place.
#[derive(Debug, Clone, Copy)]
pub struct Dense<'a, T> {
    /// `inputs × outputs`, row-major.
    pub w: &'a [T],
    pub b: &'a [T],
    pub inputs: usize,
    pub outputs: usize,
}

impl<'a, T> Dense<'a, T> {
    /// A layer from a slice holding W (`inputs × outputs`) followed by b.
    #[must_use]
    pub fn packed(weights_and_bias: &'a [T], inputs: usize, outputs: usize) -> Self {
        let (w, b) = weights_and_bias.split_at(inputs * outputs);
        Self { w, b: &b[..outputs], inputs, outputs }
    }
}

/// Where one layer's gradients are added: the same layout as its [`Dense`].
#[derive(Debug)]
pub struct DenseGrad<'a, T> {
    pub w: &'a mut [T],
    pub b: &'a mut [T],
}

impl<'a, T> DenseGrad<'a, T> {
    /// The gradient of a layer stored as W followed by b (see [`Dense::packed`]).
    pub fn packed(weights_and_bias: &'a mut [T], inputs: usize, outputs: usize) -> Self {
        let (w, b) = weights_and_bias.split_at_mut(inputs * outputs);
        Self { w, b: &mut b[..outputs] }
    }
}

/// What a forward pass keeps for the backward pass, and the buffers both reuse between calls.
#[derive(Debug, Clone)]
pub struct Tape<T> {
    /// `acts[l]` is layer l's input (so `acts[0]` is the network's input and the last entry its output).
    acts: Vec<Vec<T>>,
    /// SiLU only: each hidden layer's pre-activation z and σ(z) (the backward pass then computes no exponentials).
    pre: Vec<Vec<T>>,
    gate: Vec<Vec<T>>,
    grad: Vec<T>,
    grad_next: Vec<T>,
    rows: usize,
}

impl<T> Default for Tape<T> {
    fn default() -> Self {
        Self { acts: Vec::new(), pre: Vec::new(), gate: Vec::new(), grad: Vec::new(), grad_next: Vec::new(), rows: 0 }
    }
}

impl<T> Tape<T> {
    /// The network's output of the last [`forward`] (`rows × outputs`).
    #[must_use]
    pub fn output(&self) -> &[T] {
        self.acts.last().map_or(&[], Vec::as_slice)
    }

    /// Takes the output of the last [`forward`] out of the tape.
    pub fn take_output(&mut self) -> Vec<T> {
        self.acts.last_mut().map(std::mem::take).unwrap_or_default()
    }
}

/// Runs `rows` rows of `input` (`rows × inputs`) through `layers`; the output is `tape.output()`.
pub fn forward<T: Real>(layers: &[Dense<'_, T>], activation: Activation, input: &[T], rows: usize, tape: &mut Tape<T>) {
    debug_assert_eq!(input.len(), rows * layers.first().map_or(0, |l| l.inputs));
    let hidden = layers.len().saturating_sub(1);
    tape.rows = rows;
    tape.acts.resize_with(layers.len() + 1, Vec::new);
    let silu = activation == Activation::Silu;
    let kept = if silu { hidden } else { 0 };
    tape.pre.resize_with(kept, Vec::new);
    tape.gate.resize_with(kept, Vec::new);
    tape.acts[0].clear();
    tape.acts[0].extend_from_slice(input);
    for (l, layer) in layers.iter().enumerate() {
        let (before, after) = tape.acts.split_at_mut(l + 1);
        let (x, y) = (&before[l], &mut after[0]);
        affine(layer, x, rows, y);
        if l == hidden {
            break;
        }
        match activation {
            Activation::Relu => y.iter_mut().filter(|v| **v < T::default()).for_each(|v| *v = T::default()),
            Activation::Silu => {
                let (pre, gate) = (&mut tape.pre[l], &mut tape.gate[l]);
                pre.clear();
                pre.extend_from_slice(y);
                gate.clear();
                gate.extend(pre.iter().map(|&z| z.sigmoid()));
                for (v, &s) in y.iter_mut().zip(gate.iter()) {
                    *v = *v * s;
                }
            }
        }
    }
}

/// Backpropagates `grad_out` (`rows × outputs`, dLoss/d output of the last [`forward`] on `tape`): adds
/// dLoss/d parameters to `grads` (one per layer) and, if given, writes dLoss/d input to `grad_in`.
pub fn backward<T: Real>(
    layers: &[Dense<'_, T>],
    activation: Activation,
    tape: &mut Tape<T>,
    grad_out: &[T],
    grads: &mut [DenseGrad<'_, T>],
    mut grad_in: Option<&mut [T]>,
) {
    assert_eq!(grads.len(), layers.len(), "one gradient per layer");
    let rows = tape.rows;
    let Tape { acts, pre, gate, grad, grad_next, .. } = tape;
    grad.clear();
    grad.extend_from_slice(grad_out);
    for (l, (layer, g)) in layers.iter().zip(grads.iter_mut()).enumerate().rev() {
        let x = &acts[l];
        for row in grad.chunks_exact(layer.outputs) {
            g.b.iter_mut().zip(row).for_each(|(gb, &d)| *gb += d);
        }
        matmul_at_b_acc(x, grad, layer.inputs, layer.outputs, g.w);
        if l == 0 && grad_in.is_none() {
            break;
        }
        // dL/dx = δ Wᵀ.
        grad_next.clear();
        grad_next.resize(rows * layer.inputs, T::default());
        matmul_a_bt_acc(grad, layer.w, layer.inputs, layer.outputs, grad_next);
        if l > 0 {
            // Through the activation of the layer below, whose output is x.
            match activation {
                Activation::Relu => {
                    for (d, &xv) in grad_next.iter_mut().zip(x.iter()) {
                        if xv <= T::default() {
                            *d = T::default();
                        }
                    }
                }
                // d/dz [z σ(z)] = σ(z) (1 + z (1 − σ(z))).
                Activation::Silu => {
                    for ((d, &z), &s) in grad_next.iter_mut().zip(&pre[l - 1]).zip(&gate[l - 1]) {
                        *d = *d * s * (T::ONE + z * (T::ONE - s));
                    }
                }
            }
        } else if let Some(gi) = grad_in.as_deref_mut() {
            gi.copy_from_slice(grad_next);
        }
        std::mem::swap(grad, grad_next);
    }
}

/// y = x W + b for every row of x.
fn affine<T: Real>(layer: &Dense<'_, T>, x: &[T], rows: usize, y: &mut Vec<T>) {
    y.clear();
    y.reserve(rows * layer.outputs);
    for _ in 0..rows {
        y.extend_from_slice(layer.b);
    }
    matmul_acc(x, layer.w, layer.inputs, layer.outputs, y);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::normal;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    /// A 3 → 7 → 5 → 2 network in one packed slice, with random weights and biases.
    fn network(seed: u64) -> (Vec<f64>, Vec<(usize, usize)>) {
        let sizes = [(3, 7), (7, 5), (5, 2)];
        let mut rng = SmallRng::seed_from_u64(seed);
        let n: usize = sizes.iter().map(|(i, o)| i * o + o).sum();
        ((0..n).map(|_| 0.7 * f64::from(normal(&mut rng))).collect(), sizes.to_vec())
    }

    fn views<'a>(params: &'a [f64], sizes: &[(usize, usize)]) -> Vec<Dense<'a, f64>> {
        let mut rest = params;
        sizes
            .iter()
            .map(|&(i, o)| {
                let (layer, tail) = rest.split_at(i * o + o);
                rest = tail;
                Dense::packed(layer, i, o)
            })
            .collect()
    }

    /// Σ coeff ⊙ output, so dLoss/d output = coeff.
    fn loss(params: &[f64], sizes: &[(usize, usize)], act: Activation, x: &[f64], coeff: &[f64]) -> f64 {
        let mut tape = Tape::default();
        forward(&views(params, sizes), act, x, x.len() / 3, &mut tape);
        tape.output().iter().zip(coeff).map(|(o, k)| o * k).sum()
    }

    #[test]
    fn backprop_matches_finite_differences_for_both_activations() {
        for act in [Activation::Relu, Activation::Silu] {
            let (params, sizes) = network(1);
            let mut rng = SmallRng::seed_from_u64(2);
            let rows = 4;
            let x: Vec<f64> = (0..rows * 3).map(|_| f64::from(normal(&mut rng))).collect();
            let coeff: Vec<f64> = (0..rows * 2).map(|_| f64::from(normal(&mut rng))).collect();
            let mut tape = Tape::default();
            let layers = views(&params, &sizes);
            forward(&layers, act, &x, rows, &mut tape);
            let mut gp = vec![0.0; params.len()];
            let mut gi = vec![0.0; x.len()];
            {
                let mut rest = &mut gp[..];
                let mut grads: Vec<DenseGrad<f64>> = sizes
                    .iter()
                    .map(|&(i, o)| {
                        let (layer, tail) = std::mem::take(&mut rest).split_at_mut(i * o + o);
                        rest = tail;
                        DenseGrad::packed(layer, i, o)
                    })
                    .collect();
                backward(&layers, act, &mut tape, &coeff, &mut grads, Some(&mut gi));
            }
            let h = 1e-6;
            let fd = |f: &dyn Fn(f64) -> f64| (f(h) - f(-h)) / (2.0 * h);
            for k in 0..params.len() {
                let numeric = fd(&|e| {
                    let mut p = params.clone();
                    p[k] += e;
                    loss(&p, &sizes, act, &x, &coeff)
                });
                assert!(
                    (numeric - gp[k]).abs() < 1e-5 * (1.0 + numeric.abs()),
                    "{act:?} param {k}: {numeric} vs {}",
                    gp[k]
                );
            }
            for k in 0..x.len() {
                let numeric = fd(&|e| {
                    let mut xs = x.clone();
                    xs[k] += e;
                    loss(&params, &sizes, act, &xs, &coeff)
                });
                assert!(
                    (numeric - gi[k]).abs() < 1e-5 * (1.0 + numeric.abs()),
                    "{act:?} input {k}: {numeric} vs {}",
                    gi[k]
                );
            }
        }
    }

    #[test]
    fn forward_matches_a_hand_computed_network() {
        // 1 → 2 → 1: h = act([2x + 1, −x]), y = 3 h₀ − h₁ + 0.5.
        let params = [2.0, -1.0, 1.0, 0.0, 3.0, -1.0, 0.5];
        let layers = [Dense::packed(&params[..4], 1, 2), Dense::packed(&params[4..], 2, 1)];
        let mut tape = Tape::default();
        forward(&layers, Activation::Relu, &[1.0, -2.0], 2, &mut tape);
        // x = 1: h = [3, 0] → 9.5; x = −2: h = [0, 2] → −1.5.
        assert_eq!(tape.output(), &[9.5, -1.5]);
        forward(&layers, Activation::Silu, &[1.0], 1, &mut tape);
        let silu = |z: f64| z / (1.0 + (-z).exp());
        let expected = 3.0 * silu(3.0) - silu(-1.0) + 0.5;
        assert!((tape.output()[0] - expected).abs() < 1e-12);
    }
}
