//! Autoregressive models: exact likelihood by the chain rule p(x) = Πⱼ p(xⱼ | x<ⱼ), each factor computed by one
//! network whose connections are masked so output j only sees inputs before j.
//!
//! - `made`: MADE on binarised digits (one masked hidden layer plus masked direct connections), trained with
//!   hand-written backprop and Adam in plain Rust; exact log-likelihood, O(H)-per-pixel sampling and completion,
//!   model files, and the leaderboard row.
//! - `wavenet`: a WaveNet-style stack of dilated causal convolutions (kernel 2) with a softmax over quantised
//!   levels, trained on `signals`.
//! - `signals`: synthetic 1-D signals (sines with noise, square and sawtooth waves).
//! - `cli`: `train made`, `train wavenet`, `sample MODEL` (MADE files), `bench made`.
//!
//! Pure: no egui, no threads (the CLI and the lesson's worker call in).

pub mod cli;
pub mod made;
pub mod signals;
pub mod wavenet;

/// Everything that can go wrong with an autoregressive model, its files or its inputs.
#[derive(Debug, thiserror::Error)]
pub enum ArError {
    /// The cause is part of the message and not a `source`, so a report of the error chain says it once.
    #[error("{path}: {error}")]
    Io { path: std::path::PathBuf, error: std::io::Error },
    #[error("{path}: not a valid model file ({reason})")]
    Corrupt { path: std::path::PathBuf, reason: String },
    #[error("{path}: it holds {found}, not {expected}")]
    WrongKind { path: std::path::PathBuf, found: String, expected: &'static str },
    #[error("the model was trained on {model_rows}×{model_cols} images but the data is {data_rows}×{data_cols}")]
    SizeMismatch { model_rows: usize, model_cols: usize, data_rows: usize, data_cols: usize },
    #[error("nothing is hidden: hide some pixels first (e.g. the bottom half), then complete")]
    NothingHidden,
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    Diverged(#[from] crate::nn::Diverged),
    #[error("cancelled")]
    Cancelled,
}
