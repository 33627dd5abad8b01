//! One likelihood leaderboard: held-out negative log-likelihood in nats on the same binarised digits for every
//! model family (VAE and IWAE bounds, the hierarchical VAE, the exact autoregressive likelihood).
//!
//! Each model family provides a function that trains for a time budget and scores the held-out digits, returning a
//! [`Row`] (`vae::leaderboard_row`, `hvae::leaderboard_row`, `autoregressive::made::leaderboard_row`); this module
//! holds the shared types, and `run` runs the chosen families one after another.

use std::time::Duration;

/// How a row's number was obtained: an exact likelihood, or an upper bound on the NLL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NllKind {
    /// −log p(x) exactly (autoregressive models).
    Exact,
    /// −L_K, the IWAE bound with K importance samples: an upper bound on −log p(x).
    IwaeBound { k: usize },
}

/// One model's entry on the leaderboard.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    /// Model family as shown, e.g. "VAE (ELBO)", "MADE".
    pub model: String,
    /// Mean held-out negative log-likelihood (or its bound) in nats per digit.
    pub nll_nats: f64,
    /// Standard error of that mean over the held-out digits.
    pub std_error: f64,
    pub kind: NllKind,
    /// Number of held-out digits scored.
    pub digits: usize,
    /// Wall-clock training time.
    pub train_seconds: f64,
    /// Optimiser steps taken in that time.
    pub steps: usize,
}

/// What a leaderboard run is told: a time budget, a seed, and how many held-out digits to score.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub train_time: Duration,
    pub seed: u64,
    /// Score at most this many held-out digits (the first ones of the held-out split).
    pub heldout_digits: usize,
}

pub mod run;
pub mod vae;

pub use run::{Entry, RunEvent, run_entries};
