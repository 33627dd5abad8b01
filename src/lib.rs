//! latent-lab: live, touchable demos of deep generative models.
//!
//! Module map: see ARCHITECTURE.md. Pure cores (`causal`, `data`, `train::knn`, the loss formulas in `models`) have
//! no egui and no threads; `lessons` are pure egui and never import burn; `train::worker` is the only thread.

pub mod app;
pub mod autoregressive;
pub mod bounds;
pub mod causal;
pub mod cli;
pub mod data;
pub mod diffusion;
pub mod estimators;
pub mod flows;
pub mod hvae;
pub mod leaderboard;
pub mod lecture;
pub mod lessons;
pub mod models;
pub mod nn;
pub mod numeric;
pub mod pacing;
pub mod runtime;
pub mod score;
pub mod train;
pub mod viz;
