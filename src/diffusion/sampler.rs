//! The scheduler seam: which timesteps a sampler visits and one reverse step from x_t to x_{t'} given a noise
//! prediction ε̂ (pure: no egui, no threads).
//!
//! DDPM (ancestral): x_{t−1} = c₀ x̂_0 + c_t x_t + √β̃_t z, with x̂_0 = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t — the posterior
//! q(x_{t−1} | x_t, x̂_0); without clipping this is the familiar (x_t − β_t/√(1 − ᾱ_t) ε̂)/√α_t + √β̃_t z.
//! DDIM (η = 0, deterministic): x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'}) ε̂ on a subsequence of the timesteps.

use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::schedule::Schedule;

/// A reverse-process sampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sampler {
    /// Ancestral sampling through all T steps.
    Ddpm,
    /// Deterministic DDIM through `steps` evenly spaced timesteps.
    Ddim { steps: usize },
}

impl Sampler {
    /// Short name for labels.
    #[must_use]
    pub fn describe(self) -> String {
        match self {
            Self::Ddpm => "DDPM (ancestral)".into(),
            Self::Ddim { steps } => format!("DDIM, {steps} steps"),
        }
    }

    /// The timesteps visited, from T down to the last one before 0 (x_0 comes after the last step).
    #[must_use]
    pub fn timesteps(self, schedule: &Schedule) -> Vec<usize> {
        let big_t = schedule.steps();
        match self {
            Self::Ddpm => (1..=big_t).rev().collect(),
            Self::Ddim { steps } => {
                let n = steps.clamp(1, big_t);
                // Evenly spaced in [1, T], always including T; strictly decreasing.
                let mut ts: Vec<usize> = (0..n).map(|i| big_t - (i * big_t) / n).collect();
                ts.dedup();
                ts
            }
        }
    }

    /// The timestep after `t` in `timesteps` (0 after the last).
    #[must_use]
    pub fn next_t(timesteps: &[usize], index: usize) -> usize {
        timesteps.get(index + 1).copied().unwrap_or(0)
    }

    /// One reverse step of every element of `x` (at time `t`) to time `t_prev` < t, in place. `eps` is the
    /// predicted noise, `noise` the fresh N(0, 1) draws (used by DDPM only), `clip` bounds x̂_0 (images: ±1).
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        self,
        schedule: &Schedule,
        x: &mut [f32],
        eps: &[f32],
        t: usize,
        t_prev: usize,
        noise: &[f32],
        clip: Option<f32>,
    ) {
        let x0_hat = |xt: f32, e: f32| {
            let x0 = schedule.predict_x0(xt, e, t);
            clip.map_or(x0, |c| x0.clamp(-c, c))
        };
        match self {
            Self::Ddpm => {
                let (c0, ct) = schedule.posterior_coefs(t);
                let (c0, ct) = (c0 as f32, ct as f32);
                let sd = if t > 1 { schedule.posterior_variance(t).sqrt() as f32 } else { 0.0 };
                for (i, xi) in x.iter_mut().enumerate() {
                    let z = noise.get(i).copied().unwrap_or(0.0);
                    *xi = c0 * x0_hat(*xi, eps[i]) + ct * *xi + sd * z;
                }
            }
            Self::Ddim { .. } => {
                let ab_prev = schedule.alpha_bar(t_prev);
                let (a, b) = (ab_prev.sqrt() as f32, (1.0 - ab_prev).sqrt() as f32);
                for (i, xi) in x.iter_mut().enumerate() {
                    let x0 = x0_hat(*xi, eps[i]);
                    // With x̂_0 clipped, ε is re-derived so the step stays on the DDIM path.
                    let e = if clip.is_some() {
                        let ab = schedule.alpha_bar(t);
                        ((f64::from(*xi) - ab.sqrt() * f64::from(x0)) / (1.0 - ab).sqrt()) as f32
                    } else {
                        eps[i]
                    };
                    *xi = a * x0 + b * e;
                }
            }
        }
    }
}

pub use crate::nn::random::normals;

/// Runs a whole reverse pass for `count` points of `dim` numbers from x_T ~ N(0, I) (seeded), asking `eps_fn(x, t)`
/// for the noise prediction of the whole batch at each step. `keep(x)` sees x_T and every later state (so a
/// trajectory has `timesteps.len() + 1` states). Returns x_0.
#[allow(clippy::too_many_arguments)]
pub fn sample(
    schedule: &Schedule,
    sampler: Sampler,
    count: usize,
    dim: usize,
    seed: u64,
    clip: Option<f32>,
    mut eps_fn: impl FnMut(&[f32], usize) -> Vec<f32>,
    mut keep: impl FnMut(&[f32]),
) -> Vec<f32> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut x = normals(&mut rng, count * dim);
    keep(&x);
    let ts = sampler.timesteps(schedule);
    for (i, &t) in ts.iter().enumerate() {
        let eps = eps_fn(&x, t);
        let noise = if sampler == Sampler::Ddpm { normals(&mut rng, x.len()) } else { Vec::new() };
        sampler.step(schedule, &mut x, &eps, t, Sampler::next_t(&ts, i), &noise, clip);
        keep(&x);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diffusion::schedule::ScheduleKind;

    /// Data x_0 ~ N(m, s²) in 1-D: q(x_t) = N(√ᾱ_t m, v_t), v_t = ᾱ_t s² + 1 − ᾱ_t, and the MMSE noise
    /// prediction is E[ε | x_t] = √(1 − ᾱ_t)(x_t − √ᾱ_t m)/v_t.
    fn oracle(s: &Schedule, m: f64, sd: f64, x: f32, t: usize) -> f32 {
        let ab = s.alpha_bar(t);
        let v = ab * sd * sd + 1.0 - ab;
        ((1.0 - ab).sqrt() * (f64::from(x) - ab.sqrt() * m) / v) as f32
    }

    #[test]
    fn a_ddpm_step_with_a_perfect_oracle_is_the_true_reverse() {
        let s = Schedule::new(ScheduleKind::Linear, 100).unwrap();
        for &(m, sd) in &[(1.0, 0.0), (0.5, 0.3), (-2.0, 1.0)] {
            for t in [2, 10, 50, 100] {
                let xt = 0.8_f32;
                // True reverse q(x_{t−1} | x_t) for Gaussian data, by conditioning the joint Gaussian.
                let (ab, ab_prev, alpha) = (s.alpha_bar(t), s.alpha_bar(t - 1), s.alpha(t));
                let (m_prev, v_prev) = (ab_prev.sqrt() * m, ab_prev * sd * sd + 1.0 - ab_prev);
                let (m_t, v_t) = (ab.sqrt() * m, ab * sd * sd + 1.0 - ab);
                let cov = alpha.sqrt() * v_prev;
                let true_mean = m_prev + cov / v_t * (f64::from(xt) - m_t);
                let true_var = v_prev - cov * cov / v_t;
                let eps = [oracle(&s, m, sd, xt, t)];
                let mut x = [xt];
                Sampler::Ddpm.step(&s, &mut x, &eps, t, t - 1, &[0.0], None);
                assert!((f64::from(x[0]) - true_mean).abs() < 1e-4, "m {m} sd {sd} t {t}: {} vs {true_mean}", x[0]);
                // The step's noise scale is √β̃_t: exact when the data is a point (sd = 0); otherwise the true
                // reverse also carries c₀² Var(x_0 | x_t), which DDPM's fixed variance leaves out.
                let (c0, _) = s.posterior_coefs(t);
                let var_x0_given_xt = sd * sd * (1.0 - ab) / v_t;
                assert!((s.posterior_variance(t) + c0 * c0 * var_x0_given_xt - true_var).abs() < 1e-9);
                let mut y = [xt];
                Sampler::Ddpm.step(&s, &mut y, &eps, t, t - 1, &[1.0], None);
                let sd_step = f64::from(y[0] - x[0]);
                assert!((sd_step - s.posterior_variance(t).sqrt()).abs() < 1e-5);
                if sd == 0.0 {
                    assert!((sd_step * sd_step - true_var).abs() < 1e-6);
                }
            }
        }
    }

    #[test]
    fn oracle_sampling_recovers_the_gaussian() {
        // A full reverse pass with the oracle lands on N(m, s²), for DDPM and for a 20-step DDIM.
        let s = Schedule::new(ScheduleKind::Cosine, 200).unwrap();
        let (m, sd) = (1.5, 0.5);
        for sampler in [Sampler::Ddpm, Sampler::Ddim { steps: 20 }] {
            let x = sample(
                &s,
                sampler,
                20_000,
                1,
                7,
                None,
                |x, t| x.iter().map(|&v| oracle(&s, m, sd, v, t)).collect(),
                |_| {},
            );
            let n = x.len() as f64;
            let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let var = x.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n;
            assert!((mean - m).abs() < 0.03, "{sampler:?}: mean {mean}");
            assert!((var.sqrt() - sd).abs() < 0.05, "{sampler:?}: sd {}", var.sqrt());
        }
    }

    #[test]
    fn timesteps_and_shapes() {
        let s = Schedule::new(ScheduleKind::Linear, 200).unwrap();
        assert_eq!(Sampler::Ddpm.timesteps(&s).len(), 200);
        let ts = Sampler::Ddim { steps: 50 }.timesteps(&s);
        assert_eq!(ts.len(), 50);
        assert_eq!(ts[0], 200);
        assert!(ts.windows(2).all(|w| w[0] > w[1]) && *ts.last().unwrap() >= 1);
        assert_eq!(Sampler::Ddim { steps: 1000 }.timesteps(&s).len(), 200);
        assert_eq!(Sampler::Ddim { steps: 0 }.timesteps(&s), vec![200]);
        let mut states = 0;
        let x = sample(
            &s,
            Sampler::Ddim { steps: 10 },
            5,
            3,
            1,
            None,
            |x, _| vec![0.0; x.len()],
            |st| {
                assert_eq!(st.len(), 15);
                states += 1;
            },
        );
        assert_eq!(x.len(), 15);
        assert_eq!(states, 11);
    }

    #[test]
    fn sampling_is_deterministic_for_a_seed() {
        let s = Schedule::new(ScheduleKind::Cosine, 50).unwrap();
        let eps = |x: &[f32], t: usize| x.iter().map(|v| v * 0.1 + t as f32 * 1e-3).collect::<Vec<_>>();
        for sampler in [Sampler::Ddpm, Sampler::Ddim { steps: 10 }] {
            let a = sample(&s, sampler, 8, 2, 5, Some(3.0), eps, |_| {});
            let b = sample(&s, sampler, 8, 2, 5, Some(3.0), eps, |_| {});
            let c = sample(&s, sampler, 8, 2, 6, Some(3.0), eps, |_| {});
            assert_eq!(a, b);
            assert_ne!(a, c);
        }
    }

    #[test]
    fn ddim_is_deterministic_given_x_t() {
        // DDIM uses no fresh noise: the noise argument is ignored.
        let s = Schedule::new(ScheduleKind::Linear, 100).unwrap();
        let mut a = [0.3_f32, -1.0];
        let mut b = a;
        let sampler = Sampler::Ddim { steps: 10 };
        sampler.step(&s, &mut a, &[0.1, 0.2], 100, 90, &[], None);
        sampler.step(&s, &mut b, &[0.1, 0.2], 100, 90, &[5.0, 5.0], None);
        assert_eq!(a, b);
    }
}
