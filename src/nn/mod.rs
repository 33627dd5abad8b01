//! The toolkit of the plain-Rust models (flows, the 2-D diffusion MLP, MADE, WaveNet): one Adam over parameter
//! blocks, one source of standard normals, one divergence guard. Pure: no egui, no threads, no burn.

pub mod adam;
pub mod guard;
pub mod random;

pub use adam::Adam;
pub use guard::{Diverged, check_finite};
pub use random::normal;
