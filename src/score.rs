//! What a likelihood-leaderboard entry is (pure data): a family's row, how its number was obtained, and the budget
//! every family gets. Below both the families that produce rows and `leaderboard`, which runs them, so neither
//! imports the other in a circle.

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
