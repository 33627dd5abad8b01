//! Noise schedules of a diffusion model (pure: no egui, no threads, f64 throughout).
//!
//! The forward process q(x_t | x_{t−1}) = N(√(1 − β_t) x_{t−1}, β_t I) for t = 1 … T, with α_t = 1 − β_t and
//! ᾱ_t = Π_{s ≤ t} α_s, has the closed form q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) and the Gaussian posterior
//! q(x_{t−1} | x_t, x_0) = N(c₀ x_0 + c_t x_t, β̃_t I) with c₀ = √ᾱ_{t−1} β_t / (1 − ᾱ_t),
//! c_t = √α_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t) and β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t).

use serde::{Deserialize, Serialize};

/// Largest β the cosine schedule allows (Nichol & Dhariwal clip β at 0.999 so the last steps stay finite).
pub const COSINE_MAX_BETA: f64 = 0.999;
/// The offset s of the cosine schedule.
pub const COSINE_S: f64 = 0.008;
/// Largest number of steps accepted.
pub const MAX_STEPS: usize = 10_000;

/// Which schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    /// β_t linear from 1e-4 to 0.02 (for T = 1000; both ends scaled by 1000/T otherwise, so ᾱ_T stays tiny).
    Linear,
    /// Nichol & Dhariwal: ᾱ_t = f(t)/f(0), f(t) = cos²(((t/T + s)/(1 + s))·π/2), β_t clipped at 0.999.
    Cosine,
}

impl ScheduleKind {
    pub const ALL: [Self; 2] = [Self::Linear, Self::Cosine];

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Cosine => "cosine",
        }
    }
}

/// Why a schedule was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    #[error("T = {0} steps: a schedule needs between 1 and {MAX_STEPS} steps")]
    Steps(usize),
    #[error("β_{t} = {beta} is outside (0, 1): every step must add some noise and keep some signal")]
    Beta { t: usize, beta: f64 },
}

/// A validated schedule: β_t, α_t, ᾱ_t for t = 1 … T (index t − 1 in the vectors).
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    kind: Option<ScheduleKind>,
    betas: Vec<f64>,
    alpha_bars: Vec<f64>,
}

/// The closed-form ᾱ(t) of the cosine schedule (before clipping).
#[must_use]
pub fn cosine_alpha_bar(t: f64, steps: f64) -> f64 {
    let f = |u: f64| (((u / steps + COSINE_S) / (1.0 + COSINE_S)) * std::f64::consts::FRAC_PI_2).cos().powi(2);
    f(t) / f(0.0)
}

impl Schedule {
    /// Any schedule given its β_1 … β_T.
    pub fn from_betas(betas: Vec<f64>) -> Result<Self, ScheduleError> {
        if betas.is_empty() || betas.len() > MAX_STEPS {
            return Err(ScheduleError::Steps(betas.len()));
        }
        if let Some((i, &beta)) = betas.iter().enumerate().find(|(_, b)| !(**b > 0.0 && **b < 1.0)) {
            return Err(ScheduleError::Beta { t: i + 1, beta });
        }
        let mut alpha_bars = Vec::with_capacity(betas.len());
        let mut prod = 1.0;
        for b in &betas {
            prod *= 1.0 - b;
            alpha_bars.push(prod);
        }
        Ok(Self { kind: None, betas, alpha_bars })
    }

    /// β linear from `start` to `end` over `steps` steps.
    pub fn linear_range(steps: usize, start: f64, end: f64) -> Result<Self, ScheduleError> {
        if steps == 0 || steps > MAX_STEPS {
            return Err(ScheduleError::Steps(steps));
        }
        let betas = (0..steps)
            .map(|i| if steps == 1 { start } else { start + (end - start) * i as f64 / (steps - 1) as f64 })
            .collect();
        Self::from_betas(betas)
    }

    /// The named schedule with `steps` steps.
    pub fn new(kind: ScheduleKind, steps: usize) -> Result<Self, ScheduleError> {
        if steps == 0 || steps > MAX_STEPS {
            return Err(ScheduleError::Steps(steps));
        }
        let mut s = match kind {
            ScheduleKind::Linear => {
                let scale = 1000.0 / steps as f64;
                Self::linear_range(steps, 1e-4 * scale, 0.02 * scale)?
            }
            ScheduleKind::Cosine => {
                let n = steps as f64;
                let betas = (1..=steps)
                    .map(|t| {
                        let b = 1.0 - cosine_alpha_bar(t as f64, n) / cosine_alpha_bar(t as f64 - 1.0, n);
                        b.clamp(1e-12, COSINE_MAX_BETA)
                    })
                    .collect();
                Self::from_betas(betas)?
            }
        };
        s.kind = Some(kind);
        Ok(s)
    }

    /// The named kind, `None` for a schedule built from its β.
    #[must_use]
    pub fn kind(&self) -> Option<ScheduleKind> {
        self.kind
    }

    /// T.
    #[must_use]
    pub fn steps(&self) -> usize {
        self.betas.len()
    }

    /// β_t for t in 1 ..= T.
    #[must_use]
    pub fn beta(&self, t: usize) -> f64 {
        self.betas[t.clamp(1, self.steps()) - 1]
    }

    /// α_t = 1 − β_t.
    #[must_use]
    pub fn alpha(&self, t: usize) -> f64 {
        1.0 - self.beta(t)
    }

    /// ᾱ_t = Π_{s ≤ t} α_s, with ᾱ_0 = 1.
    #[must_use]
    pub fn alpha_bar(&self, t: usize) -> f64 {
        if t == 0 { 1.0 } else { self.alpha_bars[t.min(self.steps()) - 1] }
    }

    /// Signal-to-noise ratio ᾱ_t / (1 − ᾱ_t) of q(x_t | x_0).
    #[must_use]
    pub fn snr(&self, t: usize) -> f64 {
        let ab = self.alpha_bar(t);
        ab / (1.0 - ab)
    }

    /// x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, element by element (`t` = 0 returns x_0).
    #[must_use]
    pub fn add_noise(&self, x0: &[f32], eps: &[f32], t: usize) -> Vec<f32> {
        let ab = self.alpha_bar(t);
        let (a, b) = (ab.sqrt() as f32, (1.0 - ab).sqrt() as f32);
        x0.iter().zip(eps).map(|(x, e)| a * x + b * e).collect()
    }

    /// Coefficients (c₀, c_t) of the posterior mean c₀ x_0 + c_t x_t of q(x_{t−1} | x_t, x_0), t ≥ 1.
    #[must_use]
    pub fn posterior_coefs(&self, t: usize) -> (f64, f64) {
        let (ab, ab_prev, beta) = (self.alpha_bar(t), self.alpha_bar(t - 1), self.beta(t));
        (ab_prev.sqrt() * beta / (1.0 - ab), self.alpha(t).sqrt() * (1.0 - ab_prev) / (1.0 - ab))
    }

    /// Posterior variance β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t) (0 at t = 1).
    #[must_use]
    pub fn posterior_variance(&self, t: usize) -> f64 {
        self.beta(t) * (1.0 - self.alpha_bar(t - 1)) / (1.0 - self.alpha_bar(t))
    }

    /// x̂_0 = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t: the clean point a noise prediction implies.
    #[must_use]
    pub fn predict_x0(&self, x_t: f32, eps: f32, t: usize) -> f32 {
        let ab = self.alpha_bar(t);
        ((f64::from(x_t) - (1.0 - ab).sqrt() * f64::from(eps)) / ab.sqrt()) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn alpha_bar_is_the_product_of_alphas() {
        for kind in ScheduleKind::ALL {
            for steps in [1, 50, 200, 1000] {
                let Ok(s) = Schedule::new(kind, steps) else {
                    assert!(kind == ScheduleKind::Linear && steps < 21, "{kind:?} T = {steps} refused");
                    continue;
                };
                let mut prod = 1.0;
                for t in 1..=steps {
                    prod *= s.alpha(t);
                    assert!((s.alpha_bar(t) - prod).abs() < 1e-12);
                    // Cumulative formula: ᾱ_t = exp(Σ ln(1 − β_s)).
                    let cumulative = (1..=t).map(|u| (1.0 - s.beta(u)).ln()).sum::<f64>().exp();
                    assert!((s.alpha_bar(t) - cumulative).abs() < 1e-9, "{kind:?} t = {t}");
                }
            }
        }
    }

    #[test]
    fn linear_has_the_ddpm_endpoints_at_t_1000() {
        let s = Schedule::new(ScheduleKind::Linear, 1000).unwrap();
        assert!((s.beta(1) - 1e-4).abs() < 1e-15);
        assert!((s.beta(1000) - 0.02).abs() < 1e-15);
        assert!((s.beta(500) - (1e-4 + 0.0199 * 499.0 / 999.0)).abs() < 1e-12);
    }

    #[test]
    fn cosine_matches_its_closed_form_until_the_clip() {
        for steps in [10, 100, 200, 1000] {
            let s = Schedule::new(ScheduleKind::Cosine, steps).unwrap();
            let n = steps as f64;
            let mut checked = 0;
            for t in 1..=steps {
                if s.beta(t) >= COSINE_MAX_BETA {
                    break;
                }
                let f = |u: f64| (((u / n + COSINE_S) / (1.0 + COSINE_S)) * std::f64::consts::FRAC_PI_2).cos().powi(2);
                let closed = f(t as f64) / f(0.0);
                assert!((s.alpha_bar(t) - closed).abs() < 1e-6, "T = {steps}, t = {t}");
                checked += 1;
            }
            assert!(checked >= steps - 1, "only {checked} steps before the clip");
            assert!(s.betas.iter().all(|b| *b <= COSINE_MAX_BETA));
        }
    }

    #[test]
    fn alpha_bar_at_t_is_small_enough_for_pure_noise() {
        for kind in ScheduleKind::ALL {
            for steps in [100, 200, 1000] {
                let s = Schedule::new(kind, steps).unwrap();
                // √ᾱ_T is the weight of x_0 left in x_T: below 1 % means q(x_T | x_0) ≈ N(0, I).
                assert!(s.alpha_bar(steps).sqrt() < 0.01, "{kind:?} T = {steps}: ᾱ_T = {}", s.alpha_bar(steps));
                assert!(s.snr(steps) < 1e-4);
                assert!((1..steps).all(|t| s.snr(t) > s.snr(t + 1)), "SNR decreases");
            }
        }
    }

    #[test]
    fn bad_schedules_are_refused() {
        assert_eq!(Schedule::new(ScheduleKind::Linear, 0), Err(ScheduleError::Steps(0)));
        assert_eq!(Schedule::new(ScheduleKind::Cosine, 0), Err(ScheduleError::Steps(0)));
        assert!(matches!(Schedule::from_betas(vec![0.1, 1.0]), Err(ScheduleError::Beta { t: 2, .. })));
        assert!(matches!(Schedule::from_betas(vec![0.0]), Err(ScheduleError::Beta { t: 1, .. })));
        assert!(matches!(Schedule::from_betas(vec![f64::NAN]), Err(ScheduleError::Beta { .. })));
        assert!(matches!(Schedule::linear_range(10, -0.1, 0.2), Err(ScheduleError::Beta { t: 1, .. })));
        // T = 10 linear would need β up to 2: refused with a message naming β.
        let err = Schedule::new(ScheduleKind::Linear, 10).unwrap_err();
        assert!(err.to_string().contains("outside (0, 1)"), "{err}");
    }

    #[test]
    fn forward_noising_has_the_closed_form_moments() {
        let s = Schedule::new(ScheduleKind::Cosine, 100).unwrap();
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        let n = 200_000;
        let x0 = vec![1.5_f32; n];
        let eps: Vec<f32> = (0..n).map(|_| crate::nn::normal(&mut rng)).collect();
        for t in [1, 30, 70, 100] {
            let xt = s.add_noise(&x0, &eps, t);
            let mean = xt.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
            let var = xt.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n as f64;
            let ab = s.alpha_bar(t);
            let sd = (1.0 - ab).sqrt();
            assert!((mean - 1.5 * ab.sqrt()).abs() < 5.0 * sd / (n as f64).sqrt(), "t = {t}: mean {mean}");
            assert!((var - (1.0 - ab)).abs() < 0.02 * (1.0 - ab) + 1e-9, "t = {t}: var {var}");
        }
    }

    #[test]
    fn posterior_matches_bayes_on_the_gaussian_chain() {
        // Given x_0, (x_{t−1}, x_t) is jointly Gaussian: x_{t−1} ~ N(√ᾱ_{t−1} x_0, 1 − ᾱ_{t−1}),
        // x_t = √α_t x_{t−1} + √β_t n. Conditioning gives the posterior mean and variance by the Gaussian formulas.
        let s = Schedule::new(ScheduleKind::Linear, 200).unwrap();
        let (x0, xt) = (0.7, -0.4);
        for t in [1, 2, 50, 199, 200] {
            let (ab_prev, alpha) = (s.alpha_bar(t - 1), s.alpha(t));
            let (m_prev, v_prev) = (ab_prev.sqrt() * x0, 1.0 - ab_prev);
            let (m_t, v_t) = (alpha.sqrt() * m_prev, alpha * v_prev + s.beta(t));
            let cov = alpha.sqrt() * v_prev;
            let mean = m_prev + cov / v_t * (xt - m_t);
            let var = v_prev - cov * cov / v_t;
            let (c0, ct) = s.posterior_coefs(t);
            assert!((c0 * x0 + ct * xt - mean).abs() < 1e-12, "t = {t}");
            assert!((s.posterior_variance(t) - var).abs() < 1e-12, "t = {t}");
            // The x̂_0 a perfect ε gives back is x_0.
            let eps = ((xt - s.alpha_bar(t).sqrt() * x0) / (1.0 - s.alpha_bar(t)).sqrt()) as f32;
            assert!((f64::from(s.predict_x0(xt as f32, eps, t)) - x0).abs() < 1e-4);
        }
    }
}
