//! The two-layer hierarchical VAE in burn: generative z₂ → z₁ → x with p(z₂) = N(0, I), a Gaussian p(z₁|z₂) and
//! Bernoulli pixels p(x|z₁); Gaussian inference q(z₁|x) and either q(z₂|z₁) (bottom-up) or q(z₂|x).
//!
//! Sizes: x (784) → 256 → z₁ (2 or 8) → 128 → z₂ (2). Every q and p(z₁|z₂) outputs a mean and a log-variance,
//! clamped to [−12, 8] so one bad step cannot produce infinite variances. Samples are reparametrised:
//! z = μ + σ ⊙ ε with ε given by the caller (host noise, so runs are reproducible from a seed).

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{log_sigmoid, relu};
use serde::{Deserialize, Serialize};

/// ln(2π).
const LN_2PI: f64 = 1.837_877_066_409_345_5;
/// Range of every predicted log-variance.
const LOG_VAR_RANGE: (f64, f64) = (-12.0, 8.0);
/// Marker in the model file that says "this is a hierarchical VAE".
pub const ARCHITECTURE: &str = "hierarchical-vae";

/// How z₂ is inferred: the inference DAG is a design choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Inference {
    /// x → z₁ → z₂: q(z₁, z₂|x) = q(z₁|x) q(z₂|z₁), the mirror image of the generative chain.
    #[default]
    BottomUp,
    /// x → z₁ and x → z₂: q(z₁, z₂|x) = q(z₁|x) q(z₂|x), both read the image.
    FromX,
}

impl Inference {
    pub const ALL: [Self; 2] = [Self::BottomUp, Self::FromX];

    pub fn describe(self) -> &'static str {
        match self {
            Self::BottomUp => "bottom-up: x → z₁ → z₂",
            Self::FromX => "both from x: x → z₁, x → z₂",
        }
    }
}

/// The model's shape, saved as the `.json` half of a model file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HvaeConfig {
    /// Always [`ARCHITECTURE`].
    pub architecture: String,
    pub input_dim: usize,
    pub hidden1: usize,
    pub z1_dim: usize,
    pub hidden2: usize,
    pub z2_dim: usize,
    pub inference: Inference,
}

impl Default for HvaeConfig {
    fn default() -> Self {
        Self {
            architecture: ARCHITECTURE.into(),
            input_dim: 784,
            hidden1: 256,
            z1_dim: 8,
            hidden2: 128,
            z2_dim: 2,
            inference: Inference::BottomUp,
        }
    }
}

impl HvaeConfig {
    /// The default shape with a z₁ size and an inference DAG.
    pub fn new(z1_dim: usize, inference: Inference) -> Self {
        Self { z1_dim, inference, ..Self::default() }
    }

    /// Checks a description before anything is built from it.
    pub fn validate(&self) -> Result<(), String> {
        if self.architecture != ARCHITECTURE {
            return Err(format!("architecture \"{}\" is not a {ARCHITECTURE}", self.architecture));
        }
        if !(1..=1 << 20).contains(&self.input_dim) {
            return Err(format!("input size {} is out of range", self.input_dim));
        }
        for (name, w) in [("first hidden", self.hidden1), ("second hidden", self.hidden2)] {
            if !(1..=4096).contains(&w) {
                return Err(format!("{name} width {w} must be in 1..=4096"));
            }
        }
        for (name, d) in [("z1", self.z1_dim), ("z2", self.z2_dim)] {
            if !(1..=64).contains(&d) {
                return Err(format!("{name} size {d} must be in 1..=64"));
            }
        }
        Ok(())
    }

    /// Builds the model on `device` (an autodiff device for training).
    pub fn init(&self, device: &Device) -> Hvae {
        let lin = |i: usize, o: usize| LinearConfig::new(i, o).init(device);
        let from_x = self.inference == Inference::FromX;
        Hvae {
            enc1_hidden: lin(self.input_dim, self.hidden1),
            enc1_head: lin(self.hidden1, 2 * self.z1_dim),
            enc2_hidden: lin(if from_x { self.hidden1 } else { self.z1_dim }, self.hidden2),
            enc2_head: lin(self.hidden2, 2 * self.z2_dim),
            prior1_hidden: lin(self.z2_dim, self.hidden2),
            prior1_head: lin(self.hidden2, 2 * self.z1_dim),
            dec_hidden: lin(self.z1_dim, self.hidden1),
            dec_out: lin(self.hidden1, self.input_dim),
            from_x,
            z1_dim: self.z1_dim,
            z2_dim: self.z2_dim,
        }
    }
}

/// The hierarchical VAE's eight linear layers.
#[derive(Module, Debug)]
pub struct Hvae {
    /// q(z₁|x): x → h₁ → (μ, log σ²).
    enc1_hidden: Linear,
    enc1_head: Linear,
    /// q(z₂|z₁) (or q(z₂|x), reading h₁): → h₂ → (μ, log σ²).
    enc2_hidden: Linear,
    enc2_head: Linear,
    /// p(z₁|z₂): z₂ → h₂ → (μ, log σ²).
    prior1_hidden: Linear,
    prior1_head: Linear,
    /// p(x|z₁): z₁ → h₁ → Bernoulli logits.
    dec_hidden: Linear,
    dec_out: Linear,
    from_x: bool,
    z1_dim: usize,
    z2_dim: usize,
}

/// A diagonal Gaussian, one per row.
#[derive(Debug, Clone)]
pub struct Gauss {
    pub mean: Tensor<2>,
    pub log_var: Tensor<2>,
}

impl Gauss {
    fn from_head(out: Tensor<2>) -> Self {
        let [_, w] = out.dims();
        let d = w / 2;
        let log_var = out.clone().narrow(1, d, d).clamp(LOG_VAR_RANGE.0, LOG_VAR_RANGE.1);
        Self { mean: out.narrow(1, 0, d), log_var }
    }

    /// μ + σ ⊙ ε (rows of `eps` broadcast against a single-row Gaussian).
    pub fn sample(&self, eps: Tensor<2>) -> Tensor<2> {
        self.mean.clone() + self.log_var.clone().mul_scalar(0.5).exp() * eps
    }

    /// log N(z; μ, σ²) summed over dimensions: `[rows, 1]`.
    pub fn log_density(&self, z: Tensor<2>) -> Tensor<2> {
        let [_, d] = z.dims();
        ((z - self.mean.clone()).square() * self.log_var.clone().neg().exp() + self.log_var.clone())
            .sum_dim(1)
            .add_scalar(d as f64 * LN_2PI)
            .mul_scalar(-0.5)
    }

    /// KL(self ‖ N(0, I)) = ½ Σ (μ² + σ² − 1 − log σ²) per row: `[rows, 1]`.
    pub fn kl_standard(&self) -> Tensor<2> {
        (self.mean.clone().square() + self.log_var.clone().exp() - self.log_var.clone().add_scalar(1.0))
            .sum_dim(1)
            .mul_scalar(0.5)
    }

    /// KL(self ‖ other) = ½ Σ [log σ₂² − log σ₁² + (σ₁² + (μ₁ − μ₂)²)/σ₂² − 1] per row: `[rows, 1]`.
    pub fn kl(&self, other: &Self) -> Tensor<2> {
        let ratio = (self.log_var.clone().exp() + (self.mean.clone() - other.mean.clone()).square())
            * other.log_var.clone().neg().exp();
        (other.log_var.clone() - self.log_var.clone() + ratio).sub_scalar(1.0).sum_dim(1).mul_scalar(0.5)
    }
}

/// The ELBO's three terms, each a per-image mean over the batch (nats): −ELBO = recon + kl_z1 + kl_z2.
pub struct Terms {
    /// −E_q[log p(x|z₁)].
    pub recon: Tensor<1>,
    /// E_q[log q(z₁|x) − log p(z₁|z₂)].
    pub kl_z1: Tensor<1>,
    /// KL(q(z₂|·) ‖ N(0, I)), closed form (averaged over z₁ ~ q for bottom-up inference).
    pub kl_z2: Tensor<1>,
}

impl Terms {
    /// The negative ELBO, the training loss.
    pub fn total(&self) -> Tensor<1> {
        self.recon.clone() + self.kl_z1.clone() + self.kl_z2.clone()
    }
}

impl Hvae {
    pub fn z1_dim(&self) -> usize {
        self.z1_dim
    }

    pub fn z2_dim(&self) -> usize {
        self.z2_dim
    }

    pub fn inference(&self) -> Inference {
        if self.from_x { Inference::FromX } else { Inference::BottomUp }
    }

    /// q(z₁|x) and the hidden layer h₁ it was computed from.
    pub fn q_z1(&self, x: Tensor<2>) -> (Gauss, Tensor<2>) {
        let h = relu(self.enc1_hidden.forward(x));
        (Gauss::from_head(self.enc1_head.forward(h.clone())), h)
    }

    /// q(z₂|·) from z₁ (bottom-up) or from h₁ (the x → z₂ variant).
    pub fn q_z2(&self, input: Tensor<2>) -> Gauss {
        Gauss::from_head(self.enc2_head.forward(relu(self.enc2_hidden.forward(input))))
    }

    /// The input q(z₂|·) reads: z₁ or h₁.
    fn z2_input(&self, z1: Tensor<2>, h1: Tensor<2>) -> Tensor<2> {
        if self.from_x { h1 } else { z1 }
    }

    /// p(z₁|z₂).
    pub fn p_z1(&self, z2: Tensor<2>) -> Gauss {
        Gauss::from_head(self.prior1_head.forward(relu(self.prior1_hidden.forward(z2))))
    }

    /// Bernoulli logits of p(x|z₁).
    pub fn decode(&self, z1: Tensor<2>) -> Tensor<2> {
        self.dec_out.forward(relu(self.dec_hidden.forward(z1)))
    }

    /// The ELBO's terms for a batch `x` with noise `eps1` (`[batch, z1]`) and `eps2` (`[batch, z2]`).
    pub fn terms(&self, x: Tensor<2>, eps1: Tensor<2>, eps2: Tensor<2>) -> Terms {
        let [batch, _] = x.dims();
        let n = batch as f64;
        let (q1, h1) = self.q_z1(x.clone());
        let z1 = q1.sample(eps1);
        let q2 = self.q_z2(self.z2_input(z1.clone(), h1));
        let z2 = q2.sample(eps2);
        let p1 = self.p_z1(z2);
        let kl_z2 = q2.kl_standard().sum().div_scalar(n);
        let kl_z1 = if self.from_x {
            // z₁ and z₂ are independent given x: integrate z₁ exactly for the sampled z₂.
            q1.kl(&p1).sum().div_scalar(n)
        } else {
            // z₂ was drawn from z₁: a single-sample Monte Carlo estimate.
            (q1.log_density(z1.clone()) - p1.log_density(z1.clone())).sum().div_scalar(n)
        };
        let logits = self.decode(z1);
        let recon = (x.neg().add_scalar(1.0) * logits.clone() - log_sigmoid(logits)).sum().div_scalar(n);
        Terms { recon, kl_z1, kl_z2 }
    }

    /// For one image's q(z₁|x) (one row) and h₁: samples `k` (z₁, z₂) from noise `eps1` `[k, z1]`, `eps2` `[k, z2]`
    /// and returns z₁ with log p(z₁|z₂) + log p(z₂) − log q(z₁|x) − log q(z₂|·) per sample (`[k, 1]`).
    pub fn latent_log_ratio(
        &self,
        q1: &Gauss,
        h1: &Tensor<2>,
        eps1: Tensor<2>,
        eps2: Tensor<2>,
    ) -> (Tensor<2>, Tensor<2>) {
        let z1 = q1.sample(eps1);
        let q2 = if self.from_x { self.q_z2(h1.clone()) } else { self.q_z2(z1.clone()) };
        let z2 = q2.sample(eps2);
        let [_, d2] = z2.dims();
        let log_p2 = z2.clone().square().sum_dim(1).add_scalar(d2 as f64 * LN_2PI).mul_scalar(-0.5);
        let log_q2 = q2.log_density(z2.clone());
        let log_p1 = self.p_z1(z2).log_density(z1.clone());
        let log_q1 = q1.log_density(z1.clone());
        (z1, log_p1 + log_p2 - log_q1 - log_q2)
    }

    /// Ancestral samples: z₂ = `eps2`, z₁ = μ(z₂) + σ(z₂) ⊙ `eps1`; returns the pixel means sigmoid(logits).
    pub fn sample_means(&self, eps1: Tensor<2>, eps2: Tensor<2>) -> Tensor<2> {
        let z1 = self.p_z1(eps2).sample(eps1);
        burn::tensor::activation::sigmoid(self.decode(z1))
    }
}
