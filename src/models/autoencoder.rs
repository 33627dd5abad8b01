//! MLP autoencoder and VAE with a Bernoulli observation model on logits.
//!
//! Encoder `D-h₁-…-h_k-(z or 2z)`, decoder mirrors it, rectifiers between layers. The VAE's encoder outputs the mean and
//! log-variance of a diagonal Gaussian q(z|x); z is sampled with the reparametrisation z = μ + σ ⊙ ε.

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{log_sigmoid, relu};

/// Shape of an autoencoder. `variational` selects the VAE.
#[derive(Config, Debug)]
pub struct AutoencoderConfig {
    pub input_dim: usize,
    pub hidden: Vec<usize>,
    pub latent_dim: usize,
    pub variational: bool,
}

/// An autoencoder (deterministic codes) or a VAE (Gaussian codes).
#[derive(Module, Debug)]
pub struct Autoencoder {
    encoder: Vec<Linear>,
    /// Outputs the code (AE) or its mean and log-variance side by side (VAE).
    head: Linear,
    decoder: Vec<Linear>,
    /// Outputs one Bernoulli logit per pixel.
    output: Linear,
    latent_dim: usize,
    variational: bool,
}

/// The loss split into the lecture's two terms, each a per-image mean over the batch.
pub struct LossTerms {
    /// −log p(x|z): binary cross-entropy summed over pixels.
    pub recon: Tensor<1>,
    /// KL(q(z|x) ‖ N(0, I)); zero for the AE.
    pub kl: Tensor<1>,
}

impl LossTerms {
    /// recon + KL: the negative ELBO for the VAE, the reconstruction loss for the AE.
    pub fn total(&self) -> Tensor<1> {
        self.recon.clone() + self.kl.clone()
    }
}

impl AutoencoderConfig {
    /// Builds the model on `device` (an autodiff device for training).
    pub fn init(&self, device: &Device) -> Autoencoder {
        let mut widths = vec![self.input_dim];
        widths.extend(&self.hidden);
        let encoder = widths.windows(2).map(|w| LinearConfig::new(w[0], w[1]).init(device)).collect();
        let last = *widths.last().unwrap_or(&self.input_dim);
        let code_width = if self.variational { 2 * self.latent_dim } else { self.latent_dim };
        let head = LinearConfig::new(last, code_width).init(device);
        let mut back: Vec<usize> = vec![self.latent_dim];
        back.extend(self.hidden.iter().rev());
        let decoder = back.windows(2).map(|w| LinearConfig::new(w[0], w[1]).init(device)).collect();
        let output = LinearConfig::new(*back.last().unwrap_or(&self.latent_dim), self.input_dim).init(device);
        Autoencoder { encoder, head, decoder, output, latent_dim: self.latent_dim, variational: self.variational }
    }
}

impl Autoencoder {
    pub fn latent_dim(&self) -> usize {
        self.latent_dim
    }

    pub fn is_variational(&self) -> bool {
        self.variational
    }

    /// The code (AE) or the mean and log-variance of q(z|x) (VAE; log-variance is `None` for the AE).
    pub fn encode(&self, x: Tensor<2>) -> (Tensor<2>, Option<Tensor<2>>) {
        let h = self.encoder.iter().fold(x, |h, layer| relu(layer.forward(h)));
        let out = self.head.forward(h);
        if self.variational {
            let mut parts = out.chunk(2, 1).into_iter();
            match (parts.next(), parts.next()) {
                (Some(mean), Some(log_var)) => (mean, Some(log_var)),
                _ => unreachable!("the head has 2·latent outputs"),
            }
        } else {
            (out, None)
        }
    }

    /// Bernoulli logits of p(x|z).
    pub fn decode(&self, z: Tensor<2>) -> Tensor<2> {
        let h = self.decoder.iter().fold(z, |h, layer| relu(layer.forward(h)));
        self.output.forward(h)
    }

    /// Loss terms for a batch `x` of pixels in [0, 1]. `eps` is the N(0, I) noise of the reparametrisation
    /// (ignored by the AE).
    pub fn loss(&self, x: Tensor<2>, eps: Option<Tensor<2>>) -> LossTerms {
        let [batch, _] = x.dims();
        let (mean, log_var) = self.encode(x.clone());
        let (z, kl) = match (log_var, eps) {
            (Some(log_var), Some(eps)) => {
                let std = log_var.clone().mul_scalar(0.5).exp();
                let z = mean.clone() + std * eps;
                (z, gaussian_kl(mean, log_var, batch))
            }
            // No noise given: decode the mean (a deterministic evaluation of the reconstruction term).
            (Some(log_var), None) => (mean.clone(), gaussian_kl(mean, log_var, batch)),
            (None, _) => (mean, Tensor::zeros([1], &x.device())),
        };
        let logits = self.decode(z);
        LossTerms { recon: bernoulli_nll(logits, x, batch), kl }
    }
}

/// −log p(x|logits) for Bernoulli pixels with (possibly fractional) targets in [0, 1], summed over pixels and
/// averaged over the batch: Σ (1 − x)·ℓ − log σ(ℓ).
pub fn bernoulli_nll(logits: Tensor<2>, x: Tensor<2>, batch: usize) -> Tensor<1> {
    let per_pixel = x.neg().add_scalar(1.0) * logits.clone() - log_sigmoid(logits);
    per_pixel.sum().div_scalar(batch as f64)
}

/// KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ (μ² + σ² − 1 − log σ²), averaged over the batch.
pub fn gaussian_kl(mean: Tensor<2>, log_var: Tensor<2>, batch: usize) -> Tensor<1> {
    (mean.square() + log_var.clone().exp() - log_var.add_scalar(1.0)).sum().mul_scalar(0.5 / batch as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t2(rows: Vec<Vec<f32>>) -> Tensor<2> {
        let (r, c) = (rows.len(), rows[0].len());
        let flat: Vec<f32> = rows.into_iter().flatten().collect();
        Tensor::from_data(TensorData::new(flat, [r, c]), &Device::flex())
    }

    fn scalar(t: Tensor<1>) -> f64 {
        f64::from(t.into_scalar::<f32>())
    }

    #[test]
    fn kl_matches_the_closed_form() {
        // Two images, 2-D latent. KL per dim = ½(μ² + σ² − 1 − log σ²).
        let mean = t2(vec![vec![0.0, 1.0], vec![-2.0, 0.5]]);
        let log_var = t2(vec![vec![0.0, 0.0], vec![(0.25f32).ln(), (4.0f32).ln()]]);
        let kl_dim = |m: f64, v: f64| 0.5 * (m * m + v - 1.0 - v.ln());
        let expected = (kl_dim(0.0, 1.0) + kl_dim(1.0, 1.0) + kl_dim(-2.0, 0.25) + kl_dim(0.5, 4.0)) / 2.0;
        let got = scalar(gaussian_kl(mean, log_var, 2));
        assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
        // A standard normal posterior costs nothing.
        assert!(scalar(gaussian_kl(t2(vec![vec![0.0; 3]]), t2(vec![vec![0.0; 3]]), 1)).abs() < 1e-7);
    }

    #[test]
    fn bernoulli_nll_matches_cross_entropy() {
        let logits = t2(vec![vec![0.0, 2.0, -1.0]]);
        let x = t2(vec![vec![1.0, 0.0, 0.3]]);
        let sig = |l: f64| 1.0 / (1.0 + (-l).exp());
        let bce = |x: f64, l: f64| -(x * sig(l).ln() + (1.0 - x) * (1.0 - sig(l)).ln());
        let expected = bce(1.0, 0.0) + bce(0.0, 2.0) + bce(0.3, -1.0);
        let got = scalar(bernoulli_nll(logits, x, 1));
        assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
        assert!((bce(1.0, 0.0) - std::f64::consts::LN_2).abs() < 1e-12);
    }

    #[test]
    fn shapes_follow_the_config() {
        let device = Device::flex();
        let vae = AutoencoderConfig::new(12, vec![8, 4], 2, true).init(&device);
        let x = Tensor::<2>::zeros([5, 12], &device);
        let (mean, log_var) = vae.encode(x.clone());
        assert_eq!(mean.dims(), [5, 2]);
        assert_eq!(log_var.map(|t| t.dims()), Some([5, 2]));
        assert_eq!(vae.decode(mean).dims(), [5, 12]);
        let ae = AutoencoderConfig::new(12, vec![8], 2, false).init(&device);
        let (code, none) = ae.encode(x.clone());
        assert_eq!(code.dims(), [5, 2]);
        assert!(none.is_none());
        let terms = ae.loss(x, None);
        assert_eq!(scalar(terms.kl), 0.0);
        // All-zero input, any logits: recon is finite and positive.
        assert!(scalar(terms.recon) > 0.0);
    }
}
