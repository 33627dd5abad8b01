//! A small digit classifier (784-256-10 MLP, softmax cross-entropy) used to judge generated digits: trained on
//! the training split, checked on the held-out split. Pure Rust on [`Mlp`](super::mlp::Mlp).

use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;

use super::mlp::{Mlp, Tape};
use crate::data::Dataset;

/// A trained classifier and its held-out accuracy.
pub struct Classifier {
    pub net: Mlp,
    pub classes: usize,
    pub heldout_accuracy: f64,
}

/// Softmax of one row of logits.
#[must_use]
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

impl Classifier {
    /// Trains for `epochs` passes over the training split (batch 128, Adam 1e-3).
    #[must_use]
    pub fn train(dataset: &Dataset, epochs: usize, seed: u64) -> Self {
        let dim = dataset.dim();
        let classes = dataset.classes.max(2);
        let mut net = Mlp::new(&[dim, 256, classes], seed);
        let mut adam = crate::nn::Adam::new(net.block_lens());
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut order: Vec<usize> = (0..dataset.train_len).collect();
        let mut tape = Tape::default();
        for _ in 0..epochs {
            order.shuffle(&mut rng);
            for chunk in order.chunks(128) {
                let x: Vec<f32> = chunk.iter().flat_map(|&i| dataset.image(i).iter().copied()).collect();
                let logits = net.forward(&x, chunk.len(), Some(&mut tape));
                let mut d = Vec::with_capacity(logits.len());
                for (row, &i) in logits.chunks_exact(classes).zip(chunk) {
                    let p = softmax(row);
                    for (c, pc) in p.iter().enumerate() {
                        let y = if c == usize::from(dataset.labels[i]) { 1.0 } else { 0.0 };
                        d.push((pc - y) / chunk.len() as f32);
                    }
                }
                let g = net.backward(&tape, &d, chunk.len());
                net.adam_step(&mut adam, 1e-3, &g);
            }
        }
        let mut me = Self { net, classes, heldout_accuracy: 0.0 };
        let held: Vec<usize> = dataset.heldout_range().collect();
        let x: Vec<f32> = held.iter().flat_map(|&i| dataset.image(i).iter().copied()).collect();
        let right =
            me.predict(&x).iter().zip(&held).filter(|((c, _), i)| *c == usize::from(dataset.labels[**i])).count();
        me.heldout_accuracy = right as f64 / held.len().max(1) as f64;
        me
    }

    /// The class probabilities p(y | x) of every image in `pixels` (flat, values in [0, 1]).
    #[must_use]
    pub fn probabilities(&self, pixels: &[f32]) -> Vec<Vec<f32>> {
        let dim = self.net.input_dim();
        let rows = pixels.len() / dim.max(1);
        let logits = self.net.forward(pixels, rows, None);
        logits.chunks_exact(self.classes).map(softmax).collect()
    }

    /// (class, confidence) for every image in `pixels` (flat, values in [0, 1]).
    #[must_use]
    pub fn predict(&self, pixels: &[f32]) -> Vec<(usize, f32)> {
        self.probabilities(pixels).iter().map(|p| most_likely(p)).collect()
    }
}

/// The most likely class of a probability vector and its probability.
#[must_use]
pub fn most_likely(p: &[f32]) -> (usize, f32) {
    p.iter().enumerate().fold((0, 0.0), |best, (c, &v)| if v > best.1 { (c, v) } else { best })
}

/// The classifier score exp(E_x KL(p(y | x) ‖ p(y))), p(y) the mean of the p(y | x) (the Inception Score with
/// this classifier): 1 when every image gets the same label distribution, the number of classes when each image
/// is labelled with certainty and the labels are spread evenly. Confident blobs that all look like one digit
/// score low.
#[must_use]
pub fn classifier_score(probabilities: &[Vec<f32>]) -> f64 {
    let Some(first) = probabilities.first() else { return 1.0 };
    let n = probabilities.len() as f64;
    let mut marginal = vec![0.0_f64; first.len()];
    for p in probabilities {
        marginal.iter_mut().zip(p).for_each(|(m, &v)| *m += f64::from(v) / n);
    }
    let mean_kl = probabilities
        .iter()
        .map(|p| {
            p.iter()
                .zip(&marginal)
                .filter(|(v, _)| **v > 0.0)
                .map(|(&v, &m)| f64::from(v) * (f64::from(v).ln() - m.ln()))
                .sum::<f64>()
        })
        .sum::<f64>()
        / n;
    mean_kl.exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classifier_score_has_its_closed_forms() {
        let one_hot = |c: usize| (0..10).map(|i| if i == c { 1.0 } else { 0.0 }).collect::<Vec<f32>>();
        // Certain and evenly spread over 10 classes: 10.
        let even: Vec<Vec<f32>> = (0..50).map(|i| one_hot(i % 10)).collect();
        assert!((classifier_score(&even) - 10.0).abs() < 1e-9);
        // Certain but all one class: 1.
        let same: Vec<Vec<f32>> = (0..50).map(|_| one_hot(3)).collect();
        assert!((classifier_score(&same) - 1.0).abs() < 1e-9);
        // Certain, half 3s and half 8s: 2.
        let two: Vec<Vec<f32>> = (0..50).map(|i| one_hot(if i % 2 == 0 { 3 } else { 8 })).collect();
        assert!((classifier_score(&two) - 2.0).abs() < 1e-9);
        // Unsure of everything: 1.
        let unsure: Vec<Vec<f32>> = (0..50).map(|_| vec![0.1; 10]).collect();
        assert!((classifier_score(&unsure) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn softmax_sums_to_one_and_is_shift_invariant() {
        let p = softmax(&[1.0, 2.0, 3.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let q = softmax(&[101.0, 102.0, 103.0]);
        assert!(p.iter().zip(&q).all(|(a, b)| (a - b).abs() < 1e-6));
    }
}
