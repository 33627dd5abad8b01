//! The 2-D diffusion model's network: an MLP with SiLU between layers and a linear output, stored as a list of
//! layers (the layout of its checkpoint files) and run by the one dense engine [`crate::nn::mlp`], in f32. The
//! model is tiny (a few thousand multiply-adds per point), so per-operation overhead would dominate in a tensor
//! library; plain loops over contiguous rows run it at full speed on one core.

use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use crate::nn::mlp::{self, Activation, Dense, DenseGrad};
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

/// What a forward pass keeps for the backward pass.
pub type Tape = mlp::Tape<f32>;

impl Layer {
    fn new(inputs: usize, outputs: usize, rng: &mut SmallRng) -> Self {
        // He-style initialisation for SiLU.
        let scale = (2.0 / inputs as f32).sqrt();
        Self { inputs, outputs, w: (0..inputs * outputs).map(|_| normal(rng) * scale).collect(), b: vec![0.0; outputs] }
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

    /// The layers seen in place, for the engine.
    fn views(&self) -> Vec<Dense<'_, f32>> {
        self.layers.iter().map(|l| Dense { w: &l.w, b: &l.b, inputs: l.inputs, outputs: l.outputs }).collect()
    }

    /// Forward pass of `rows` rows; with `tape`, keeps what `backward` needs.
    #[must_use]
    pub fn forward(&self, x: &[f32], rows: usize, tape: Option<&mut Tape>) -> Vec<f32> {
        if let Some(tape) = tape {
            mlp::forward(&self.views(), Activation::Silu, x, rows, tape);
            tape.output().to_vec()
        } else {
            let mut tape = Tape::default();
            mlp::forward(&self.views(), Activation::Silu, x, rows, &mut tape);
            tape.take_output()
        }
    }

    /// Gradients of a loss with ∂L/∂output = `d_out` (for the rows of the last `forward` with `tape`), in the
    /// same layout as the weights: one `(dW, db)` per layer.
    #[must_use]
    pub fn backward(&self, tape: &mut Tape, d_out: &[f32]) -> Vec<(Vec<f32>, Vec<f32>)> {
        let mut grads: Vec<(Vec<f32>, Vec<f32>)> =
            self.layers.iter().map(|l| (vec![0.0; l.w.len()], vec![0.0; l.b.len()])).collect();
        let mut views: Vec<DenseGrad<f32>> = grads.iter_mut().map(|(w, b)| DenseGrad { w, b }).collect();
        mlp::backward(&self.views(), Activation::Silu, tape, d_out, &mut views, None);
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
            let g = model.backward(&mut tape, &d);
            model.adam_step(&mut adam, 1e-2, &g);
        }
        let end = loss(&model, &xs, &ys, 32);
        assert!(end < start * 0.05, "{start} → {end}");
        assert!(model.is_finite());
    }
}
