//! MLP autoencoder and VAE with a Bernoulli or Gaussian observation model p(x|z).
//!
//! Encoder `D-h₁-…-h_k-(z or 2z)`, decoder mirrors it, rectifiers between layers. The VAE's encoder outputs the mean and
//! log-variance of a diagonal Gaussian q(z|x); z is sampled with the reparametrisation z = μ + σ ⊙ ε.
//!
//! The decoder always outputs one number ℓ per pixel. For the Bernoulli model it is the logit of the pixel's
//! probability; for the Gaussian model the mean is μ = sigmoid(ℓ) (chosen so both models' means lie in [0, 1] and
//! every picture of a decoded image is `sigmoid(decode(z))` whatever the model), with the variance σ² shared by all
//! pixels, either fixed or learned as the parameter log σ².

use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{log_sigmoid, relu, sigmoid};
use serde::{Deserialize, Serialize};

/// ln(2π).
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// The observation model p(x|z) of a decoder output ℓ (one number per pixel).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Observation {
    /// Bernoulli pixels with probability sigmoid(ℓ): log p(x|z) = Σ x ℓ + log σ(−ℓ) (minus the cross-entropy).
    #[default]
    Bernoulli,
    /// Gaussian pixels N(x; sigmoid(ℓ), σ²): log p(x|z) = −½ Σ [(x − μ)²/σ² + ln σ² + ln 2π]. `sigma2` is the
    /// variance (the starting value when `learn_sigma`, then log σ² is a trained parameter).
    Gaussian { sigma2: f64, learn_sigma: bool },
}

impl Observation {
    /// Smallest and largest σ² accepted (from a slider, the CLI or a file).
    pub const SIGMA2_RANGE: std::ops::RangeInclusive<f64> = 1e-4..=10.0;

    /// Checks the variance of a Gaussian model.
    pub fn validate(self) -> Result<(), String> {
        match self {
            Self::Bernoulli => Ok(()),
            Self::Gaussian { sigma2, .. } if Self::SIGMA2_RANGE.contains(&sigma2) => Ok(()),
            Self::Gaussian { sigma2, .. } => Err(format!(
                "the Gaussian variance σ² = {sigma2} must be between {} and {}",
                Self::SIGMA2_RANGE.start(),
                Self::SIGMA2_RANGE.end()
            )),
        }
    }

    /// Short description for labels and reports.
    pub fn describe(self) -> String {
        match self {
            Self::Bernoulli => "Bernoulli".into(),
            Self::Gaussian { sigma2, learn_sigma: false } => format!("Gaussian (σ² = {sigma2})"),
            Self::Gaussian { sigma2, learn_sigma: true } => format!("Gaussian (σ² learned, from {sigma2})"),
        }
    }
}

/// Shape of an autoencoder. `variational` selects the VAE; `observation` is `None` (Bernoulli) in files written
/// before observation models existed.
#[derive(Config, Debug)]
pub struct AutoencoderConfig {
    pub input_dim: usize,
    pub hidden: Vec<usize>,
    pub latent_dim: usize,
    pub variational: bool,
    pub observation: Option<Observation>,
    /// Optimiser steps the weights were trained for (`None` in files written before it was recorded).
    pub steps: Option<u64>,
}

/// An autoencoder (deterministic codes) or a VAE (Gaussian codes).
#[derive(Module, Debug)]
pub struct Autoencoder {
    encoder: Vec<Linear>,
    /// Outputs the code (AE) or its mean and log-variance side by side (VAE).
    head: Linear,
    decoder: Vec<Linear>,
    /// Outputs one number ℓ per pixel (see [`Observation`]).
    output: Linear,
    /// log σ² of a Gaussian model that learns its variance; `None` otherwise.
    log_sigma2: Option<Param<Tensor<1>>>,
    latent_dim: usize,
    variational: bool,
    /// Whether p(x|z) is Gaussian (else Bernoulli).
    gaussian: bool,
    /// The fixed variance of a Gaussian model (unused when learned or Bernoulli).
    sigma2: f64,
}

/// The loss split into the lecture's two terms, each a per-image mean over the batch.
pub struct LossTerms {
    /// −log p(x|z) summed over pixels (binary cross-entropy for the Bernoulli model).
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
        let observation = self.observation();
        let (gaussian, sigma2, learn) = match observation {
            Observation::Bernoulli => (false, 1.0, false),
            Observation::Gaussian { sigma2, learn_sigma } => (true, sigma2, learn_sigma),
        };
        let log_sigma2 = learn.then(|| Param::from_tensor(Tensor::<1>::from_floats([sigma2.ln() as f32], device)));
        Autoencoder {
            encoder,
            head,
            decoder,
            output,
            log_sigma2,
            latent_dim: self.latent_dim,
            variational: self.variational,
            gaussian,
            sigma2,
        }
    }

    /// The observation model (Bernoulli when the description has none).
    pub fn observation(&self) -> Observation {
        self.observation.unwrap_or_default()
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

    /// The variance σ² of a Gaussian model now (the learned value when it is learned); `None` for Bernoulli.
    pub fn gaussian_sigma2(&self) -> Option<f64> {
        if !self.gaussian {
            return None;
        }
        Some(match &self.log_sigma2 {
            Some(p) => f64::from(p.val().into_scalar::<f32>()).exp(),
            None => self.sigma2,
        })
    }

    /// log p(x|z) for each row given the decoder output `out` (`[rows, dim]`), summed over pixels: `[rows, 1]`.
    pub fn log_lik(&self, out: Tensor<2>, x: Tensor<2>) -> Tensor<2> {
        if !self.gaussian {
            return crate::models::bounds::bernoulli_log_lik(out, x);
        }
        let [_, dim] = x.dims();
        let sq = (x - sigmoid(out)).square().sum_dim(1); // [rows, 1]
        match &self.log_sigma2 {
            Some(p) => {
                let log_s2 = p.val().unsqueeze::<2>(); // [1, 1]
                let inv = log_s2.clone().neg().exp();
                (sq * inv + log_s2.mul_scalar(dim as f64)).add_scalar(dim as f64 * LN_2PI).mul_scalar(-0.5)
            }
            None => gaussian_log_lik_fixed(sq, dim, self.sigma2),
        }
    }

    /// Decoder outputs ℓ for latent points (Bernoulli logits, or the pre-sigmoid Gaussian means).
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
        let out = self.decode(z);
        let recon = if self.gaussian {
            self.log_lik(out, x).sum().neg().div_scalar(batch as f64)
        } else {
            bernoulli_nll(out, x, batch)
        };
        LossTerms { recon, kl }
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
        let log_lik = self.log_lik(self.decode(z), x); // [batch, 1]
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

/// −½ [sq/σ² + dim (ln σ² + ln 2π)]: the Gaussian log-likelihood of rows whose squared residuals sum to `sq`.
pub fn gaussian_log_lik_fixed(sq: Tensor<2>, dim: usize, sigma2: f64) -> Tensor<2> {
    sq.mul_scalar(-0.5 / sigma2).sub_scalar(0.5 * dim as f64 * (sigma2.ln() + LN_2PI))
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

    /// Decoder outputs of `model` for a few latent points, with the images they are compared with.
    fn fixture(model: &Autoencoder, dim: usize) -> (Tensor<2>, Tensor<2>) {
        let device = Device::flex();
        let z = t2(vec![vec![0.3, -1.0], vec![1.5, 0.2]]);
        let x: Vec<Vec<f32>> = (0..2).map(|r| (0..dim).map(|d| ((r * 3 + d * 5) % 7) as f32 / 6.0).collect()).collect();
        let _ = device;
        (model.decode(z), t2(x))
    }

    fn rows_of(t: Tensor<2>) -> Vec<Vec<f64>> {
        let [_, c] = t.dims();
        t.try_into_vec_as::<f32>().unwrap().chunks(c).map(|r| r.iter().map(|&v| f64::from(v)).collect()).collect()
    }

    #[test]
    fn bernoulli_and_gaussian_log_likelihoods_match_their_closed_forms() {
        let device = Device::flex();
        let sig = |l: f64| 1.0 / (1.0 + (-l).exp());
        for observation in [
            None,
            Some(Observation::Bernoulli),
            Some(Observation::Gaussian { sigma2: 0.05, learn_sigma: false }),
            Some(Observation::Gaussian { sigma2: 0.3, learn_sigma: true }),
        ] {
            let model = AutoencoderConfig::new(7, vec![5], 2, true).with_observation(observation).init(&device);
            let (out, x) = fixture(&model, 7);
            let got = rows_of(model.log_lik(out.clone(), x.clone()));
            for ((l, x), got) in rows_of(out).iter().zip(rows_of(x)).zip(got) {
                let expected: f64 = match observation.unwrap_or_default() {
                    // log Bernoulli(x; p) = x log p + (1 − x) log(1 − p), fractional x allowed.
                    Observation::Bernoulli => {
                        l.iter().zip(&x).map(|(&l, &x)| x * sig(l).ln() + (1.0 - x) * (1.0 - sig(l)).ln()).sum()
                    }
                    // log N(x; μ, σ²) = −(x − μ)²/(2σ²) − ½ log(2πσ²).
                    Observation::Gaussian { sigma2, .. } => l
                        .iter()
                        .zip(&x)
                        .map(|(&l, &x)| {
                            -(x - sig(l)).powi(2) / (2.0 * sigma2) - 0.5 * (2.0 * std::f64::consts::PI * sigma2).ln()
                        })
                        .sum(),
                };
                assert!(
                    (got[0] - expected).abs() < 1e-4 * expected.abs().max(1.0),
                    "{observation:?}: {got:?} vs {expected}"
                );
            }
            // The loss's reconstruction term is the same quantity, negated and averaged.
            let (_, x) = fixture(&model, 7);
            let (mean, _) = model.encode(x.clone());
            let recon = scalar(model.loss(x.clone(), None).recon);
            let direct: f64 = rows_of(model.log_lik(model.decode(mean), x)).iter().map(|r| -r[0]).sum::<f64>() / 2.0;
            assert!((recon - direct).abs() < 1e-4 * direct.abs().max(1.0), "{recon} vs {direct}");
        }
        let gaussian = Some(Observation::Gaussian { sigma2: 0.25, learn_sigma: true });
        let model = AutoencoderConfig::new(7, vec![5], 2, true).with_observation(gaussian).init(&device);
        assert!((model.gaussian_sigma2().unwrap() - 0.25).abs() < 1e-6);
        assert_eq!(AutoencoderConfig::new(7, vec![5], 2, true).init(&device).gaussian_sigma2(), None);
    }

    /// With σ² learned, its optimum for fixed residuals is their mean square: training moves it there.
    #[test]
    fn learned_sigma2_moves_to_the_residual_variance() {
        use burn::optim::{AdamConfig, GradientsParams};
        let device = Device::flex().autodiff();
        device.seed(5);
        let observation = Some(Observation::Gaussian { sigma2: 1.0, learn_sigma: true });
        let mut model = AutoencoderConfig::new(6, vec![8], 2, false).with_observation(observation).init(&device);
        let rows: Vec<Vec<f32>> =
            (0..32).map(|r| (0..6).map(|d| ((r * 7 + d * 3) % 11) as f32 / 10.0).collect()).collect();
        let flat: Vec<f32> = rows.into_iter().flatten().collect();
        let x = Tensor::<2>::from_data(TensorData::new(flat, [32, 6]), &device);
        let mut optim = AdamConfig::new().init();
        for _ in 0..400 {
            let loss = model.loss(x.clone(), None).total();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(0.02, model, grads);
        }
        let (code, _) = model.encode(x.clone());
        let residual = scalar((x - sigmoid(model.decode(code))).square().mean());
        let sigma2 = model.gaussian_sigma2().unwrap();
        assert!(sigma2 < 0.5, "σ² should fall from 1 towards the residual variance {residual}: {sigma2}");
        assert!((sigma2 - residual).abs() < 0.15 * residual, "σ² {sigma2} vs residual variance {residual}");
    }

    #[test]
    fn descriptions_without_an_observation_model_are_bernoulli() {
        let old = r#"{"input_dim": 784, "hidden": [512, 256], "latent_dim": 2, "variational": true}"#;
        let config: AutoencoderConfig = serde_json::from_str(old).unwrap();
        assert_eq!(config.observation, None);
        assert_eq!(config.observation(), Observation::Bernoulli);
        let gaussian = config.with_observation(Some(Observation::Gaussian { sigma2: 0.1, learn_sigma: true }));
        let back: AutoencoderConfig = serde_json::from_str(&burn::config::config_to_json(&gaussian)).unwrap();
        assert_eq!(back.observation, gaussian.observation);
        assert!(Observation::Gaussian { sigma2: 0.0, learn_sigma: false }.validate().is_err());
        assert!(Observation::Gaussian { sigma2: f64::NAN, learn_sigma: false }.validate().is_err());
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
