//! Standard normal draws for every plain-Rust model and lesson (Box–Muller on a seeded generator, so runs repeat
//! by seed).

use std::f32::consts::TAU;

use rand::Rng;

/// One standard normal draw.
pub fn normal(rng: &mut impl Rng) -> f32 {
    let u1 = rng.random::<f32>().max(f32::MIN_POSITIVE);
    let u2 = rng.random::<f32>();
    (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
}

/// `n` standard normal draws.
pub fn normals(rng: &mut impl Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| normal(rng)).collect()
}

/// Two independent standard normals in double precision (both halves of one Box–Muller draw).
pub fn normal_pair(rng: &mut impl Rng) -> [f64; 2] {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random();
    let r = (-2.0 * u1.ln()).sqrt();
    let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
    [r * c, r * s]
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    use super::*;

    #[test]
    fn draws_have_the_moments_of_a_standard_normal_and_repeat_by_seed() {
        let mut rng = SmallRng::seed_from_u64(7);
        let xs = normals(&mut rng, 200_000);
        let n = xs.len() as f64;
        let mean = xs.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = xs.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / n;
        let fourth = xs.iter().map(|&x| (f64::from(x) - mean).powi(4)).sum::<f64>() / n;
        assert!(mean.abs() < 0.01 && (var - 1.0).abs() < 0.01 && (fourth - 3.0).abs() < 0.05, "{mean} {var} {fourth}");
        assert!(xs.iter().all(|x| x.is_finite()));
        assert_eq!(normals(&mut SmallRng::seed_from_u64(7), 5), xs[..5]);
        let pairs: Vec<[f64; 2]> = (0..100_000).map(|_| normal_pair(&mut rng)).collect();
        let cov = pairs.iter().map(|p| p[0] * p[1]).sum::<f64>() / 1e5;
        let var1 = pairs.iter().map(|p| p[1] * p[1]).sum::<f64>() / 1e5;
        assert!(cov.abs() < 0.02 && (var1 - 1.0).abs() < 0.02, "{cov} {var1}");
    }
}
