//! One likelihood leaderboard: held-out negative log-likelihood in nats on the same binarised digits for every
//! model family (VAE and IWAE bounds, the hierarchical VAE, the exact autoregressive likelihood).
//!
//! Each model family provides a function that trains for a time budget and scores the held-out digits, returning a
//! [`Row`] (`vae::leaderboard_row`, `hvae::leaderboard_row`, `autoregressive::made::leaderboard_row`); `crate::score`
//! holds the shared types (below the families, so nothing imports in a circle), and `run` runs the chosen families.

pub use crate::score::{Budget, NllKind, Row};

pub mod run;
pub mod vae;

pub use run::{Entry, RunEvent, run_entries};
