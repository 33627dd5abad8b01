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

impl Autoencoder {
    /// The VAE loss with the encoder's gradient replaced by the score-function (REINFORCE) estimate
    /// (log p(x|z) − b) ∇ log q(z|x) with a leave-one-out baseline b over the batch; the decoder's gradient and the
    /// KL term's are unchanged. Returns the reported terms (the same quantities as [`Autoencoder::loss`]) and the
    /// surrogate to differentiate. For the plain autoencoder it is just [`Autoencoder::loss`].
    pub fn reinforce_loss(&self, x: Tensor<2>, eps: Tensor<2>) -> (LossTerms, Tensor<1>) {
        let [batch, _] = x.dims();
        let (mean, log_var) = self.encode(x.clone());
        let Some(log_var) = log_var else {
            let terms = self.loss(x, None);
            let total = terms.total();
            return (terms, total);
        };
        // z is a sample, not a function of the encoder: no gradient flows through it.
        let z = (mean.clone() + log_var.clone().mul_scalar(0.5).exp() * eps).detach();
        // log q(z|x) up to a constant, as a function of the encoder's outputs.
        let log_q = ((z.clone() - mean.clone()).square() * log_var.clone().neg().exp() + log_var.clone())
            .sum_dim(1)
            .mul_scalar(-0.5);
        let log_lik = crate::models::bounds::bernoulli_log_lik(self.decode(z), x); // [batch, 1]
        let reward = log_lik.clone().detach();
        // Leave-one-out baseline: advantage_i = r_i − mean_{j≠i} r_j = B/(B−1) (r_i − mean r), unbiased.
        let scale = if batch > 1 { batch as f64 / (batch as f64 - 1.0) } else { 1.0 };
        let advantage = (reward.clone() - reward.mean().unsqueeze()).mul_scalar(scale);
        let score_term = (advantage * log_q).sum().div_scalar(batch as f64);
        let recon = log_lik.sum().neg().div_scalar(batch as f64);
        let kl = gaussian_kl(mean, log_var, batch);
        let surrogate = recon.clone() + kl.clone() - score_term;
        (LossTerms { recon, kl }, surrogate)
    }

    /// The encoder's parameters (hidden layers and head), for measuring its gradient.
    pub fn encoder_params(&self) -> EncoderParams {
        let layers = || self.encoder.iter().chain(std::iter::once(&self.head));
        EncoderParams {
            weights: layers().map(|l| l.weight.id).collect(),
            biases: layers().filter_map(|l| l.bias.as_ref().map(|b| b.id)).collect(),
        }
    }
}

/// Parameter ids of an encoder, by rank (the gradient store must be read with the right rank).
#[derive(Debug, Clone)]
pub struct EncoderParams {
    pub weights: Vec<burn::module::ParamId>,
    pub biases: Vec<burn::module::ParamId>,
}

impl EncoderParams {
    /// L2 norm of the encoder's gradient in `grads` (parameters without a gradient count as zero).
    pub fn gradient_norm(&self, grads: &burn::optim::GradientsParams) -> f64 {
        let squares = |t: Tensor<1>| f64::from(t.into_scalar::<f32>());
        let weights: f64 =
            self.weights.iter().filter_map(|&id| grads.get::<2>(id)).map(|g| squares(g.square().sum())).sum();
        let biases: f64 =
            self.biases.iter().filter_map(|&id| grads.get::<1>(id)).map(|g| squares(g.square().sum())).sum();
        (weights + biases).sqrt()
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

    fn grads_of(model: &Autoencoder, loss: &Tensor<1>) -> burn::optim::GradientsParams {
        burn::optim::GradientsParams::from_grads(loss.backward(), model)
    }

    fn grad_vec<const D: usize>(grads: &burn::optim::GradientsParams, id: burn::module::ParamId) -> Vec<f32> {
        grads.get::<D>(id).expect("gradient").try_into_vec_as::<f32>().unwrap()
    }

    /// REINFORCE changes only the encoder's gradient: with the same noise, the decoder's is identical, and averaged
    /// over many samples the encoder's agrees with the reparametrised one (both estimate the same gradient).
    #[test]
    fn reinforce_keeps_the_decoder_gradient_and_estimates_the_same_encoder_gradient() {
        let device = Device::flex().autodiff();
        device.seed(11);
        let model = AutoencoderConfig::new(6, vec![5], 1, true).init(&device);
        let n = 40_000;
        let row = [1.0, 0.0, 1.0, 1.0, 0.0, 0.3];
        let x = Tensor::<2>::from_data(TensorData::new(row.repeat(n), [n, 6]), &device);
        let eps = Tensor::<2>::random([n, 1], burn::tensor::Distribution::Normal(0.0, 1.0), &device);
        let reparam = grads_of(&model, &model.loss(x.clone(), Some(eps.clone())).total());
        let (_, surrogate) = model.reinforce_loss(x, eps);
        let reinforce = grads_of(&model, &surrogate);
        let same = |a: Vec<f32>, b: Vec<f32>, tol: f32, what: &str| {
            let scale = a.iter().map(|v| v.abs()).fold(0.0f32, f32::max).max(1e-3);
            for (u, v) in a.iter().zip(&b) {
                assert!((u - v).abs() <= tol * scale, "{what}: {a:?} vs {b:?}");
            }
        };
        same(
            grad_vec::<2>(&reparam, model.output.weight.id),
            grad_vec::<2>(&reinforce, model.output.weight.id),
            1e-4,
            "decoder",
        );
        // The head's gradient: exact under reparametrisation (up to noise), unbiased but noisier under REINFORCE.
        same(
            grad_vec::<2>(&reparam, model.head.weight.id),
            grad_vec::<2>(&reinforce, model.head.weight.id),
            0.15,
            "encoder head",
        );
    }

    #[test]
    fn encoder_gradient_norm_covers_every_encoder_parameter() {
        let device = Device::flex().autodiff();
        let model = AutoencoderConfig::new(6, vec![5, 4], 2, true).init(&device);
        let params = model.encoder_params();
        assert_eq!((params.weights.len(), params.biases.len()), (3, 3));
        let x = Tensor::<2>::ones([3, 6], &device);
        let grads = grads_of(&model, &model.loss(x, None).total());
        let by_hand: f64 = params
            .weights
            .iter()
            .map(|&id| grad_vec::<2>(&grads, id))
            .chain(params.biases.iter().map(|&id| grad_vec::<1>(&grads, id)))
            .flatten()
            .map(|g| f64::from(g) * f64::from(g))
            .sum::<f64>()
            .sqrt();
        let norm = params.gradient_norm(&grads);
        assert!(norm > 0.0 && (norm - by_hand).abs() < 1e-6 * by_hand.max(1.0), "{norm} vs {by_hand}");
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
