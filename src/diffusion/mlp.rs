//! A small multilayer perceptron in plain Rust with hand-written backpropagation, trained with `nn::Adam` (pure: no egui, no
//! threads). The 2-D diffusion model is tiny (a few thousand multiply-adds per point), so per-operation overhead
//! would dominate in a tensor library; plain loops over contiguous rows run it at full speed on one core.
//!
//! Layer k maps h ↦ h W_k + b_k (W_k stored input-major, `[in][out]`); hidden layers apply SiLU(z) = z σ(z).

use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use crate::nn::kernels::{matmul_a_bt_acc, matmul_acc, matmul_at_b_acc};
use crate::nn::normal;

/// The weights of one affine layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    pub inputs: usize,
    pub outputs: usize,
    /// `[inputs][outputs]`, row-major.
    pub w: Vec<f32>,
    pub b: Vec<f32>,
}

/// An MLP with SiLU between layers and a linear output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mlp {
    pub layers: Vec<Layer>,
}

/// What a forward pass keeps for the backward pass: every layer's input, pre-activation z and σ(z) (so the
/// backward pass computes no exponentials).
#[derive(Debug, Default)]
pub struct Tape {
    inputs: Vec<Vec<f32>>,
    pre: Vec<Vec<f32>>,
    sigma: Vec<Vec<f32>>,
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

impl Layer {
    fn new(inputs: usize, outputs: usize, rng: &mut SmallRng) -> Self {
        // He-style initialisation for SiLU.
        let scale = (2.0 / inputs as f32).sqrt();
        Self { inputs, outputs, w: (0..inputs * outputs).map(|_| normal(rng) * scale).collect(), b: vec![0.0; outputs] }
    }

    /// out[n] = x[n] W + b for `rows` rows.
    fn forward(&self, x: &[f32], rows: usize) -> Vec<f32> {
        let mut out = Vec::with_capacity(rows * self.outputs);
        for _ in 0..rows {
            out.extend_from_slice(&self.b);
        }
        matmul_acc(x, &self.w, self.inputs, self.outputs, &mut out);
        out
    }
}

impl Mlp {
    /// Widths `[in, h₁, …, out]`, weights drawn with `seed`.
    #[must_use]
    pub fn new(widths: &[usize], seed: u64) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut layers: Vec<Layer> = widths.windows(2).map(|w| Layer::new(w[0], w[1], &mut rng)).collect();
        // A small last layer: the first predictions are near zero.
        if let Some(last) = layers.last_mut() {
            last.w.iter_mut().for_each(|w| *w *= 0.1);
        }
        Self { layers }
    }

    #[must_use]
    pub fn input_dim(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }

    #[must_use]
    pub fn output_dim(&self) -> usize {
        self.layers.last().map_or(0, |l| l.outputs)
    }

    /// Number of parameters.
    #[must_use]
    pub fn parameters(&self) -> usize {
        self.layers.iter().map(|l| l.w.len() + l.b.len()).sum()
    }

    /// Forward pass of `rows` rows; with `tape`, keeps what `backward` needs.
    pub fn forward(&self, x: &[f32], rows: usize, mut tape: Option<&mut Tape>) -> Vec<f32> {
        if let Some(t) = tape.as_deref_mut() {
            t.inputs.clear();
            t.pre.clear();
            t.sigma.clear();
        }
        let mut h = x.to_vec();
        let last = self.layers.len().saturating_sub(1);
        for (k, layer) in self.layers.iter().enumerate() {
            let z = layer.forward(&h, rows);
            if k == last {
                if let Some(t) = tape.as_deref_mut() {
                    t.inputs.push(h);
                }
                return z;
            }
            let sigma: Vec<f32> = z.iter().map(|&v| sigmoid(v)).collect();
            let next = z.iter().zip(&sigma).map(|(v, s)| v * s).collect();
            if let Some(t) = tape.as_deref_mut() {
                t.inputs.push(std::mem::take(&mut h));
                t.pre.push(z);
                t.sigma.push(sigma);
            }
            h = next;
        }
        h
    }

    /// Gradients of a loss with ∂L/∂output = `d_out` (for the rows of the last `forward` with `tape`), in the
    /// same layout as the weights: one `(dW, db)` per layer.
    #[must_use]
    pub fn backward(&self, tape: &Tape, d_out: &[f32], rows: usize) -> Vec<(Vec<f32>, Vec<f32>)> {
        let mut grads: Vec<(Vec<f32>, Vec<f32>)> = Vec::with_capacity(self.layers.len());
        let mut delta = d_out.to_vec();
        let last = self.layers.len().saturating_sub(1);
        for k in (0..self.layers.len()).rev() {
            let layer = &self.layers[k];
            if k < last {
                // Through SiLU: d/dz [z σ(z)] = σ(z) (1 + z (1 − σ(z))).
                for ((d, &z), &s) in delta.iter_mut().zip(&tape.pre[k]).zip(&tape.sigma[k]) {
                    *d *= s * (1.0 + z * (1.0 - s));
                }
            }
            let input = &tape.inputs[k];
            let mut dw = vec![0.0_f32; layer.w.len()];
            let mut db = vec![0.0_f32; layer.outputs];
            for dn in delta.chunks_exact(layer.outputs).take(rows) {
                db.iter_mut().zip(dn).for_each(|(b, d)| *b += d);
            }
            matmul_at_b_acc(input, &delta, layer.inputs, layer.outputs, &mut dw);
            if k > 0 {
                // dL/dh = δ Wᵀ.
                let mut d_in = vec![0.0_f32; rows * layer.inputs];
                matmul_a_bt_acc(&delta, &layer.w, layer.inputs, layer.outputs, &mut d_in);
                delta = d_in;
            }
            grads.push((dw, db));
        }
        grads.reverse();
        grads
    }

    /// Whether every weight is finite.
    #[must_use]
    pub fn is_finite(&self) -> bool {
        self.layers.iter().all(|l| l.w.iter().chain(&l.b).all(|v| v.is_finite()))
    }

    /// Lengths of the parameter blocks (each layer's weights, then its bias), for [`crate::nn::Adam::new`].
    #[must_use]
    pub fn block_lens(&self) -> Vec<usize> {
        self.layers.iter().flat_map(|l| [l.w.len(), l.b.len()]).collect()
    }

    /// One Adam step with `grads` from [`Mlp::backward`].
    pub fn adam_step(&mut self, adam: &mut crate::nn::Adam<f32>, lr: f32, grads: &[(Vec<f32>, Vec<f32>)]) {
        let blocks = self
            .layers
            .iter_mut()
            .zip(grads)
            .flat_map(|(l, (gw, gb))| [(&mut l.w[..], &gw[..]), (&mut l.b[..], &gb[..])]);
        adam.step(f64::from(lr), 1.0, blocks);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loss(model: &Mlp, x: &[f32], target: &[f32], rows: usize) -> f64 {
        let y = model.forward(x, rows, None);
        y.iter().zip(target).map(|(a, b)| 0.5 * (f64::from(*a) - f64::from(*b)).powi(2)).sum()
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn gradients_match_finite_differences() {
        let model = Mlp::new(&[3, 5, 4, 2], 1);
        let mut rng = SmallRng::seed_from_u64(2);
        let rows = 4;
        let x: Vec<f32> = (0..rows * 3).map(|_| normal(&mut rng)).collect();
        let target: Vec<f32> = (0..rows * 2).map(|_| normal(&mut rng)).collect();
        let mut tape = Tape::default();
        let y = model.forward(&x, rows, Some(&mut tape));
        let d_out: Vec<f32> = y.iter().zip(&target).map(|(a, b)| a - b).collect();
        let grads = model.backward(&tape, &d_out, rows);
        let h = 1e-2_f32;
        let mut checked = 0;
        for k in 0..model.layers.len() {
            for which in 0..2 {
                let len = if which == 0 { model.layers[k].w.len() } else { model.layers[k].b.len() };
                for i in 0..len {
                    let mut plus = model.clone();
                    let mut minus = model.clone();
                    let (p, m) = if which == 0 {
                        (&mut plus.layers[k].w[i], &mut minus.layers[k].w[i])
                    } else {
                        (&mut plus.layers[k].b[i], &mut minus.layers[k].b[i])
                    };
                    *p += h;
                    *m -= h;
                    let numeric =
                        (loss(&plus, &x, &target, rows) - loss(&minus, &x, &target, rows)) / f64::from(2.0 * h);
                    let analytic = f64::from(if which == 0 { grads[k].0[i] } else { grads[k].1[i] });
                    assert!(
                        (numeric - analytic).abs() < 2e-3 * (1.0 + numeric.abs()),
                        "layer {k} {} {i}: numeric {numeric} analytic {analytic}",
                        if which == 0 { "w" } else { "b" }
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, model.parameters());
    }

    #[test]
    fn adam_fits_a_small_regression() {
        let mut model = Mlp::new(&[1, 16, 1], 3);
        let mut adam = crate::nn::Adam::new(model.block_lens());
        let xs: Vec<f32> = (0..32).map(|i| i as f32 / 16.0 - 1.0).collect();
        let ys: Vec<f32> = xs.iter().map(|x| x * x).collect();
        let start = loss(&model, &xs, &ys, 32);
        let mut tape = Tape::default();
        for _ in 0..500 {
            let y = model.forward(&xs, 32, Some(&mut tape));
            let d: Vec<f32> = y.iter().zip(&ys).map(|(a, b)| a - b).collect();
            let g = model.backward(&tape, &d, 32);
            model.adam_step(&mut adam, 1e-2, &g);
        }
        let end = loss(&model, &xs, &ys, 32);
        assert!(end < start * 0.05, "{start} → {end}");
        assert!(model.is_finite());
    }
}
