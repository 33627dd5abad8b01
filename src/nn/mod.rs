//! The toolkit of the plain-Rust models (flows, the 2-D diffusion MLP, MADE, WaveNet): one MLP with backprop, one Adam over
//! parameter blocks, one budget loop, one learning-rate schedule, one source of standard normals, one divergence guard. Pure: no egui, no threads, no burn.

pub mod adam;
pub mod budget;
pub mod guard;
pub mod kernels;
pub mod mlp;
pub mod random;
pub mod schedule;

pub use adam::Adam;
pub use budget::{Budget, Clock, Spent};
pub use guard::{Diverged, check_finite};
pub use random::normal;
pub use schedule::cosine_decay;
