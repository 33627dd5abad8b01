//! burn models and the device choice. Nothing here knows about egui or threads.

pub mod autoencoder;
pub mod bounds;
pub mod checkpoint;
pub mod device;
pub mod float_env;
pub mod posterior;
pub mod weight_average;

pub use autoencoder::{Autoencoder, AutoencoderConfig, LossTerms, Observation};
