//! Synthetic 1-D signals for the WaveNet lesson, in [−1, 1], and their quantisation to Q levels (pure).

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::f32::consts::TAU;

use crate::nn::normal;

/// Which family of signals to learn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
pub enum SignalKind {
    /// Two or three sines of random period, amplitude and phase, plus a little noise.
    #[default]
    Sines,
    /// A square wave of random period and phase, plus a little noise.
    Square,
    /// A sawtooth of random period and phase, plus a little noise.
    Sawtooth,
}

impl SignalKind {
    pub const ALL: [Self; 3] = [Self::Sines, Self::Square, Self::Sawtooth];

    pub fn label(self) -> &'static str {
        match self {
            Self::Sines => "Mixture of sines + noise",
            Self::Square => "Square wave + noise",
            Self::Sawtooth => "Sawtooth + noise",
        }
    }
}

/// Standard deviation of the added noise.
pub const NOISE: f32 = 0.03;

/// One signal of `len` samples, seeded.
pub fn generate(kind: SignalKind, len: usize, seed: u64) -> Vec<f32> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let phase0: f32 = rng.random();
    let raw: Vec<f32> = match kind {
        SignalKind::Sines => {
            let n = rng.random_range(2..=3);
            let parts: Vec<(f32, f32, f32)> = (0..n)
                .map(|_| (rng.random_range(8.0..40.0), rng.random_range(0.15..0.4), rng.random::<f32>()))
                .collect();
            (0..len).map(|t| parts.iter().map(|&(p, a, ph)| a * (TAU * (t as f32 / p + ph)).sin()).sum()).collect()
        }
        SignalKind::Square => {
            let period: f32 = rng.random_range(12.0..40.0);
            let amp: f32 = rng.random_range(0.4..0.8);
            (0..len).map(|t| if (t as f32 / period + phase0).fract() < 0.5 { amp } else { -amp }).collect()
        }
        SignalKind::Sawtooth => {
            let period: f32 = rng.random_range(12.0..40.0);
            let amp: f32 = rng.random_range(0.4..0.8);
            (0..len).map(|t| amp * (2.0 * (t as f32 / period + phase0).fract() - 1.0)).collect()
        }
    };
    raw.into_iter().map(|x| (x + NOISE * normal(&mut rng)).clamp(-1.0, 1.0)).collect()
}

/// The level (0 … levels−1) nearest to `x` ∈ [−1, 1].
pub fn quantise(x: f32, levels: usize) -> usize {
    let q = ((x.clamp(-1.0, 1.0) + 1.0) * 0.5 * (levels - 1) as f32).round();
    (q as usize).min(levels - 1)
}

/// The value of `level`.
pub fn dequantise(level: usize, levels: usize) -> f32 {
    level as f32 / (levels - 1) as f32 * 2.0 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_seeded_and_in_range() {
        for kind in SignalKind::ALL {
            let a = generate(kind, 300, 4);
            assert_eq!(a, generate(kind, 300, 4));
            assert_ne!(a, generate(kind, 300, 5));
            assert!(a.iter().all(|x| (-1.0..=1.0).contains(x)));
        }
    }

    #[test]
    fn quantisation_round_trips_levels() {
        for levels in [2, 64, 256] {
            for q in 0..levels {
                assert_eq!(quantise(dequantise(q, levels), levels), q);
            }
        }
        assert_eq!(quantise(-5.0, 64), 0);
        assert_eq!(quantise(5.0, 64), 63);
    }
}
