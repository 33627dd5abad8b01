//! A small digit classifier (784-256-10 MLP with ReLU, softmax cross-entropy, Adam) used to judge generated
//! digits: trained with burn on the CPU backend on the training split, checked on the held-out split.

use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, relu};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;

use crate::data::Dataset;

/// The network: pixels → 256 (ReLU) → one logit per class.
#[derive(Module, Debug)]
struct Net {
    hidden: Linear,
    out: Linear,
}

impl Net {
    fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        self.out.forward(relu(self.hidden.forward(x)))
    }
}

/// A trained classifier and its held-out accuracy.
pub struct Classifier {
    net: Net,
    dim: usize,
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

/// `rows` images (flat pixels) as a `[rows, dim]` tensor.
fn images(pixels: Vec<f32>, rows: usize, dim: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(pixels, [rows, dim]), device)
}

impl Classifier {
    /// Trains for `epochs` passes over the training split (batch 128, Adam 1e-3).
    #[must_use]
    pub fn train(dataset: &Dataset, epochs: usize, seed: u64) -> Self {
        let dim = dataset.dim();
        let classes = dataset.classes.max(2);
        let device = Device::flex().autodiff();
        device.seed(seed);
        let mut net = Net {
            hidden: LinearConfig::new(dim, 256).init(&device),
            out: LinearConfig::new(256, classes).init(&device),
        };
        let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut order: Vec<usize> = (0..dataset.train_len).collect();
        for _ in 0..epochs {
            order.shuffle(&mut rng);
            for chunk in order.chunks(128) {
                let x: Vec<f32> = chunk.iter().flat_map(|&i| dataset.image(i).iter().copied()).collect();
                let one_hot: Vec<f32> = chunk
                    .iter()
                    .flat_map(|&i| {
                        (0..classes).map(move |c| if c == usize::from(dataset.labels[i]) { 1.0 } else { 0.0 })
                    })
                    .collect();
                let targets = images(one_hot, chunk.len(), classes, &device);
                let log_p = log_softmax(net.logits(images(x, chunk.len(), dim, &device)), 1);
                let loss = (log_p * targets).sum_dim(1).mean().neg();
                let grads = GradientsParams::from_grads(loss.backward(), &net);
                net = optim.step(1e-3, net, grads);
            }
        }
        let mut me = Self { net: net.valid(), dim, classes, heldout_accuracy: 0.0 };
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
        let rows = pixels.len() / self.dim.max(1);
        if rows == 0 {
            return Vec::new();
        }
        let x = images(pixels[..rows * self.dim].to_vec(), rows, self.dim, &Device::flex());
        let logits: Vec<f32> = self.net.logits(x).try_into_vec_as::<f32>().unwrap_or_default();
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

    /// Trained for two epochs on the built-in digits it labels most held-out digits right, and its probabilities
    /// are distributions.
    #[test]
    fn a_short_training_labels_most_held_out_digits() {
        let data = Dataset::builtin_mnist().unwrap();
        let classifier = Classifier::train(&data, 2, 1);
        assert!(classifier.heldout_accuracy > 0.85, "{}", classifier.heldout_accuracy);
        let p = classifier.probabilities(data.image(0));
        assert_eq!(p.len(), 1);
        assert!((p[0].iter().sum::<f32>() - 1.0).abs() < 1e-5 && p[0].len() == 10);
    }

    #[test]
    fn softmax_sums_to_one_and_is_shift_invariant() {
        let p = softmax(&[1.0, 2.0, 3.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let q = softmax(&[101.0, 102.0, 103.0]);
        assert!(p.iter().zip(&q).all(|(a, b)| (a - b).abs() < 1e-6));
    }
}
