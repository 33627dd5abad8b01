//! The one integration-test crate (each file in tests/ would link burn and egui again).

mod app_harness;
mod autoregressive;
mod checkpoint;
mod cli;
mod diffusion;
mod dsep;
mod encoder_gradients;
mod explore;
mod flows;
mod fuzz;
mod gradients;
mod hall;
mod hvae;
mod idx_files;
mod latent_scene;
mod leaderboard;
mod lecture;
mod pacing;
mod samples;
mod scene;
mod stepping;
mod thread_death;
mod ui;
mod worker;
