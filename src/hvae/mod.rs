//! The hierarchical VAE ("a VAE within a VAE"): two stochastic layers z₂ → z₁ → x, trained by the ELBO with both
//! KL terms reported separately, scored by the IWAE bound.
//!
//! - [`model`]: the burn model (q(z₁|x), q(z₂|z₁) or q(z₂|x), p(z₁|z₂), p(x|z₁)) and the ELBO's terms.
//! - [`dags`]: the generative and inference DAGs (pure, checked with `causal`), as `DAGitty` text for the editor.
//! - [`eval`]: host noise, the IWAE bound, latent codes and ancestral samples.
//! - [`train`]: the training loop with its divergence guard.
//! - [`checkpoint`]: model files (`FILE.bpk` + `FILE.json`), validated.
//! - [`leaderboard`]: the leaderboard's row (train for a budget, score held-out digits by L₅₀₀₀).
//! - [`cli`]: `latent-lab train hvae` and `sample` for HVAE files.

pub mod checkpoint;
pub mod cli;
pub mod dags;
pub mod eval;
pub mod leaderboard;
pub mod model;
pub mod train;

pub use leaderboard::leaderboard_row;
pub use model::{ARCHITECTURE, Hvae, HvaeConfig, Inference};

use std::path::PathBuf;

/// Everything that can go wrong with the hierarchical VAE, with a message a student can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HvaeError {
    #[error("{path}: cannot read the model description: {message}")]
    ReadConfig { path: PathBuf, message: String },
    #[error("{path}: not a valid hierarchical VAE description: {message}")]
    BadConfig { path: PathBuf, message: String },
    #[error(
        "{path}: the weights do not fit the hierarchical VAE in its description (corrupt, truncated or another architecture): {message}"
    )]
    BadWeights { path: PathBuf, message: String },
    #[error("{path}: could not save: {message}")]
    Save { path: PathBuf, message: String },
    #[error("the model expects images of {expected} pixels but the dataset has {found}")]
    WrongImageSize { expected: usize, found: usize },
    #[error(transparent)]
    Diverged(#[from] crate::nn::Diverged),
    #[error("the dataset has no images to {0}")]
    NoData(&'static str),
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Invalid(String),
}

#[cfg(test)]
mod tests;
