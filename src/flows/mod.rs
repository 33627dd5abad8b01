//! Normalising flows in 2-D (pure maths and training; no egui, no threads of their own).
//!
//! - `mlp`: tiny dense networks with hand-written backprop, and Adam.
//! - `coupling`: RealNVP (affine coupling layers, alternating masks, bounded log-scale).
//! - `residual`: an i-ResNet-style residual flow (spectral normalisation, fixed-point inverse, exact and
//!   power-series log-determinants).
//! - `file`: the model file (the one envelope) and its checks.
//! - `kde`: a Gaussian kernel density estimate with its bandwidth chosen by leave-one-out cross-validation.
//! - `train`: data splits, the training loop (divergence guard), held-out NLL, density grids.

pub mod coupling;
pub mod file;
pub mod kde;
pub mod mlp;
pub mod residual;
pub mod train;

pub use coupling::{RealNvp, RealNvpConfig};
pub use residual::{ResFlow, ResFlowConfig};
pub use train::{FlowData, FlowKind, FlowModel, Trainer};

/// A point in the plane.
pub type P2 = [f64; 2];

/// log(2π): the normaliser of the 2-D standard normal, log N(z; 0, I) = −|z|²/2 − log(2π).
pub const LOG_2PI: f64 = 1.837_877_066_409_345_3;

/// Central finite-difference Jacobian of a map of the plane at `x` (for the log-determinant tests).
#[cfg(test)]
pub(crate) fn fd_jacobian(map: impl Fn(P2) -> P2, at: P2) -> [[f64; 2]; 2] {
    let step = 1e-6;
    let mut jac = [[0.0; 2]; 2];
    for col in 0..2 {
        let (mut ahead, mut behind) = (at, at);
        ahead[col] += step;
        behind[col] -= step;
        let (up, down) = (map(ahead), map(behind));
        for row in 0..2 {
            jac[row][col] = (up[row] - down[row]) / (2.0 * step);
        }
    }
    jac
}
