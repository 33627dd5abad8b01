//! Two-dimensional toy datasets for the diffusion and flow lessons (pure: no egui, no threads).
//!
//! Every generator is deterministic for a seed. `standardise` rescales a cloud to mean 0 and unit variance per
//! coordinate, which is how the lessons' targets ("two moons, standardised") are stated.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::f32::consts::{PI, TAU};

use crate::nn::normal;

/// The built-in 2-D datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
pub enum Toy2d {
    /// Two interleaving half circles (scikit-learn's `make_moons`, noise 0.05).
    Moons,
    /// Three concentric rings.
    Rings,
    /// Eight Gaussians on a circle.
    Gaussians,
    /// A 4×4 checkerboard (uniform on the dark squares).
    Checkerboard,
    /// Two interleaved spirals.
    Spirals,
    /// The 2-D swiss roll.
    SwissRoll,
}

impl Toy2d {
    /// All datasets, in menu order.
    pub const ALL: [Self; 6] =
        [Self::Moons, Self::Rings, Self::Gaussians, Self::Checkerboard, Self::Spirals, Self::SwissRoll];

    /// Name shown in the UI.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Moons => "Two moons",
            Self::Rings => "Rings",
            Self::Gaussians => "8 Gaussians",
            Self::Checkerboard => "Checkerboard",
            Self::Spirals => "Spirals",
            Self::SwissRoll => "Swiss roll",
        }
    }

    /// `n` points drawn with `seed` (not standardised).
    #[must_use]
    pub fn sample(self, n: usize, seed: u64) -> Vec<[f32; 2]> {
        let mut rng = SmallRng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15);
        (0..n).map(|i| self.point(i, &mut rng)).collect()
    }

    /// `n` points, standardised to mean 0 and unit variance per coordinate.
    #[must_use]
    pub fn sample_standardised(self, n: usize, seed: u64) -> Vec<[f32; 2]> {
        let mut points = self.sample(n, seed);
        standardise(&mut points);
        points
    }

    fn point(self, i: usize, rng: &mut SmallRng) -> [f32; 2] {
        match self {
            Self::Moons => {
                let t = rng.random::<f32>() * PI;
                let [x, y] = if i.is_multiple_of(2) { [t.cos(), t.sin()] } else { [1.0 - t.cos(), 0.5 - t.sin()] };
                [x + 0.05 * normal(rng), y + 0.05 * normal(rng)]
            }
            Self::Rings => {
                let radius = [1.0, 2.0, 3.0][i % 3];
                let t = rng.random::<f32>() * TAU;
                [radius * t.cos() + 0.08 * normal(rng), radius * t.sin() + 0.08 * normal(rng)]
            }
            Self::Gaussians => {
                let t = (i % 8) as f32 * TAU / 8.0;
                [2.0 * t.cos() + 0.1 * normal(rng), 2.0 * t.sin() + 0.1 * normal(rng)]
            }
            Self::Checkerboard => {
                // Column and row on a 4×4 board; keep squares where column + row is even.
                let col = rng.random_range(0..4_i32);
                let row = 2 * rng.random_range(0..2_i32) + (col % 2);
                [col as f32 - 2.0 + rng.random::<f32>(), row as f32 - 2.0 + rng.random::<f32>()]
            }
            Self::Spirals => {
                let t = rng.random::<f32>().sqrt() * 3.0 * PI;
                let sign = if i.is_multiple_of(2) { 1.0 } else { -1.0 };
                [sign * t * t.cos() / 3.0 + 0.1 * normal(rng), sign * t * t.sin() / 3.0 + 0.1 * normal(rng)]
            }
            Self::SwissRoll => {
                let t = 1.5 * PI * (1.0 + 2.0 * rng.random::<f32>());
                [t * t.cos() / 5.0 + 0.1 * normal(rng), t * t.sin() / 5.0 + 0.1 * normal(rng)]
            }
        }
    }
}

/// Mean and standard deviation per coordinate.
#[must_use]
pub fn moments(points: &[[f32; 2]]) -> ([f32; 2], [f32; 2]) {
    if points.is_empty() {
        return ([0.0; 2], [1.0; 2]);
    }
    let n = points.len() as f64;
    let mut mean = [0.0_f64; 2];
    for p in points {
        mean[0] += f64::from(p[0]) / n;
        mean[1] += f64::from(p[1]) / n;
    }
    let mut var = [0.0_f64; 2];
    for p in points {
        var[0] += (f64::from(p[0]) - mean[0]).powi(2) / n;
        var[1] += (f64::from(p[1]) - mean[1]).powi(2) / n;
    }
    let sd = |v: f64| if v > 1e-12 { v.sqrt() as f32 } else { 1.0 };
    ([mean[0] as f32, mean[1] as f32], [sd(var[0]), sd(var[1])])
}

/// Rescales `points` in place to mean 0 and unit variance per coordinate (a constant coordinate is only centred).
pub fn standardise(points: &mut [[f32; 2]]) {
    let (mean, sd) = moments(points);
    for p in points {
        p[0] = (p[0] - mean[0]) / sd[0];
        p[1] = (p[1] - mean[1]) / sd[1];
    }
}

/// Energy distance D² = 2E|X−Y| − E|X−X'| − E|Y−Y'| over all pairs (V-statistic; ≥ 0, 0 iff the samples coincide
/// as distributions). O(n·m): meant for a few thousand points.
#[must_use]
pub fn energy_distance(a: &[[f32; 2]], b: &[[f32; 2]]) -> f64 {
    fn mean_dist(p: &[[f32; 2]], q: &[[f32; 2]]) -> f64 {
        if p.is_empty() || q.is_empty() {
            return 0.0;
        }
        let mut sum = 0.0_f64;
        for x in p {
            for y in q {
                sum += f64::from((x[0] - y[0]).hypot(x[1] - y[1]));
            }
        }
        sum / (p.len() * q.len()) as f64
    }
    2.0 * mean_dist(a, b) - mean_dist(a, a) - mean_dist(b, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_deterministic_and_standardised() {
        for kind in Toy2d::ALL {
            let a = kind.sample_standardised(2000, 3);
            assert_eq!(a, kind.sample_standardised(2000, 3), "{kind:?}");
            assert_ne!(a, kind.sample_standardised(2000, 4), "{kind:?}");
            let (mean, sd) = moments(&a);
            for c in 0..2 {
                assert!(mean[c].abs() < 1e-4 && (sd[c] - 1.0).abs() < 1e-3, "{kind:?}: {mean:?} {sd:?}");
            }
            assert!(a.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
        }
    }

    #[test]
    fn moons_lie_on_two_half_circles() {
        let points = Toy2d::Moons.sample(1000, 1);
        for (i, p) in points.iter().enumerate() {
            let centre = if i.is_multiple_of(2) { [0.0, 0.0] } else { [1.0, 0.5] };
            let r = (p[0] - centre[0]).hypot(p[1] - centre[1]);
            assert!((r - 1.0).abs() < 0.3, "point {i} at radius {r}");
        }
    }

    #[test]
    fn checkerboard_keeps_to_dark_squares() {
        for p in Toy2d::Checkerboard.sample(2000, 5) {
            let (col, row) = ((p[0] + 2.0).floor() as i32, (p[1] + 2.0).floor() as i32);
            assert!((0..4).contains(&col) && (0..4).contains(&row));
            assert_eq!((col + row) % 2, 0, "{p:?}");
        }
    }

    #[test]
    fn energy_distance_matches_a_hand_computed_case() {
        // One point each, 5 apart: 2·5 − 0 − 0 = 10.
        assert!((energy_distance(&[[0.0, 0.0]], &[[3.0, 4.0]]) - 10.0).abs() < 1e-9);
        let a = Toy2d::Moons.sample(300, 1);
        assert!(energy_distance(&a, &a).abs() < 1e-9);
        let far: Vec<_> = a.iter().map(|p| [p[0] + 5.0, p[1]]).collect();
        assert!(energy_distance(&a, &far) > 5.0);
    }
}
