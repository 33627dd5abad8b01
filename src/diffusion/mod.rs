//! Diffusion models: schedules, samplers and the 2-D model are pure (no egui, no threads); `unet` and `digits`
//! use burn; `cli` holds the `train ddpm`, `sample` and `bench diffusion` commands.

// Maths notation: one-letter names (x, t, T, β, ε) as in the lecture.
#![allow(clippy::many_single_char_names)]

pub mod classifier;
pub mod cli;
pub mod digits;
pub mod mlp;
pub mod sampler;
pub mod schedule;
pub mod toy;
pub mod unet;

pub use sampler::Sampler;
pub use schedule::{Schedule, ScheduleError, ScheduleKind};
