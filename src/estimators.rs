//! Gradient estimators for ∇_γ E_{w∼π_γ}[g(w)] with π_γ = N(μ, C Cᵀ), C lower-triangular with a positive diagonal.
//!
//! γ = (μ₁, μ₂, C₁₁, C₂₁, C₂₂). Three estimators from K samples:
//! - score function (REINFORCE): (1/K) Σ g(w_k) ∇_γ log π_γ(w_k);
//! - score function with a leave-one-out baseline: (1/K) Σ (g(w_k) − b_k) ∇_γ log π_γ(w_k), b_k the mean of g over the
//!   other K − 1 samples (independent of w_k, so still unbiased); with K = 1 the baseline is g(μ);
//! - reparametrisation: w = μ + C ε, ε ∼ N(0, I): (1/K) Σ (∇g(w_k), ∇g(w_k) ε_kᵀ restricted to the lower triangle).
//!
//! Pure maths: no egui, no threads. Normals come from Box–Muller on `SmallRng`, so runs are reproducible by seed.

// Maths notation: one-letter names (μ, C = [[a, 0], [b, d]], g, w, K) and formulas in doc comments.
#![allow(clippy::many_single_char_names, clippy::doc_markdown)]

use rand::SeedableRng;
use rand::rngs::SmallRng;

/// A gradient with respect to γ = (μ₁, μ₂, C₁₁, C₂₁, C₂₂).
pub type Grad = [f64; 5];

/// Names of the components of [`Grad`].
pub const GRAD_NAMES: [&str; 5] = ["μ₁", "μ₂", "C₁₁", "C₂₁", "C₂₂"];

/// Smallest diagonal entry of C we accept (Σ stays positive definite).
pub const MIN_DIAG: f64 = 0.05;
/// Largest |entry| of C the lesson and the optimiser allow.
pub const MAX_C: f64 = 3.0;
/// μ stays in [−MU_BOX, MU_BOX]² (the optimiser clamps to it; the view shows it).
pub const MU_BOX: f64 = 4.0;

/// π = N(μ, C Cᵀ) with C = [[c₁₁, 0], [c₂₁, c₂₂]].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gauss2 {
    pub mu: [f64; 2],
    /// (C₁₁, C₂₁, C₂₂).
    pub c: [f64; 3],
}

impl Gauss2 {
    /// Checks that every number is finite and the diagonal of C is at least [`MIN_DIAG`].
    pub fn new(mu: [f64; 2], c: [f64; 3]) -> Result<Self, String> {
        if mu.iter().chain(&c).any(|v| !v.is_finite()) {
            return Err("μ and C must be finite numbers".into());
        }
        if c[0] < MIN_DIAG || c[2] < MIN_DIAG {
            return Err(format!("the diagonal of C must be ≥ {MIN_DIAG} so that Σ = C Cᵀ is positive definite"));
        }
        Ok(Self { mu, c })
    }

    /// Moves μ and C into the allowed ranges; returns what had to change (empty when nothing did).
    pub fn clamped(mu: [f64; 2], c: [f64; 3]) -> (Self, Vec<String>) {
        let mut notes = Vec::new();
        let fix = |v: f64, lo: f64, hi: f64| if v.is_finite() { v.clamp(lo, hi) } else { lo.max(0.0).min(hi) };
        let mut out = Self { mu: [fix(mu[0], -MU_BOX, MU_BOX), fix(mu[1], -MU_BOX, MU_BOX)], c: [0.0; 3] };
        out.c[0] = fix(c[0], MIN_DIAG, MAX_C);
        out.c[1] = fix(c[1], -MAX_C, MAX_C);
        out.c[2] = fix(c[2], MIN_DIAG, MAX_C);
        for (i, name) in ["C₁₁", "C₂₁", "C₂₂"].iter().enumerate() {
            if out.c[i] != c[i] {
                let why = if i == 1 { "" } else { " (the diagonal must stay > 0 so Σ is positive definite)" };
                notes.push(format!("{name} clamped to {:.2}{why}", out.c[i]));
            }
        }
        for (i, name) in ["μ₁", "μ₂"].iter().enumerate() {
            if out.mu[i] != mu[i] {
                notes.push(format!("{name} clamped to {:.2}", out.mu[i]));
            }
        }
        (out, notes)
    }

    /// w = μ + C ε.
    pub fn sample_from(&self, eps: [f64; 2]) -> [f64; 2] {
        [self.mu[0] + self.c[0] * eps[0], self.mu[1] + self.c[1] * eps[0] + self.c[2] * eps[1]]
    }

    /// Σ = C Cᵀ as [[Σ₁₁, Σ₁₂], [Σ₂₁, Σ₂₂]].
    pub fn cov(&self) -> [[f64; 2]; 2] {
        let [a, b, d] = self.c;
        [[a * a, a * b], [a * b, b * b + d * d]]
    }

    /// ∇_γ log π_γ(w) at w = μ + C ε.
    pub fn score(&self, eps: [f64; 2]) -> Grad {
        let [a, b, d] = self.c;
        // v = C⁻ᵀ ε = Σ⁻¹ (w − μ); ∇_C log π = C⁻ᵀ ε εᵀ − diag(1/C_ii), lower triangle.
        let v = [eps[0] / a - b * eps[1] / (a * d), eps[1] / d];
        [v[0], v[1], v[0] * eps[0] - 1.0 / a, v[1] * eps[0], v[1] * eps[1] - 1.0 / d]
    }

    /// Parameters moved by `step` and clamped into range.
    #[must_use]
    pub fn moved(&self, step: &Grad) -> Self {
        Self::clamped(
            [self.mu[0] + step[0], self.mu[1] + step[1]],
            [self.c[0] + step[2], self.c[1] + step[3], self.c[2] + step[4]],
        )
        .0
    }
}

pub use crate::nn::random::normal_pair;

/// The function g whose expectation under π is differentiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Objective {
    /// g(w) = −‖w − a‖², a = (1.5, 1).
    #[default]
    Quadratic,
    /// g(w) = bᵀw, b = (1, 0.5).
    Linear,
    /// g(w) = exp(bᵀw), b = (0.6, 0.3).
    ExpLinear,
    /// Two Gaussian bumps plus ripples: no closed form used.
    Bumpy,
}

const QUAD_A: [f64; 2] = [1.5, 1.0];
const LIN_B: [f64; 2] = [1.0, 0.5];
const EXP_B: [f64; 2] = [0.6, 0.3];
const BUMPS: [([f64; 2], f64, f64); 2] = [([1.8, 1.4], 2.0, 0.7), ([-1.6, -1.2], 1.4, 0.5)];
const RIPPLE: f64 = 0.3;

impl Objective {
    pub const ALL: [Self; 4] = [Self::Quadratic, Self::Linear, Self::ExpLinear, Self::Bumpy];

    pub fn label(self) -> &'static str {
        match self {
            Self::Quadratic => "quadratic  −‖w − a‖²",
            Self::Linear => "linear  bᵀw",
            Self::ExpLinear => "exponential  exp(bᵀw)",
            Self::Bumpy => "bumpy (two bumps + ripples)",
        }
    }

    /// Whether the optimiser climbs E[g] (quadratic, bumpy: they have a maximum) or descends it (linear and
    /// exponential have no maximum; descending exp(bᵀw) is well behaved, its gradient fades).
    pub fn maximise(self) -> bool {
        matches!(self, Self::Quadratic | Self::Bumpy)
    }

    /// g(w).
    pub fn value(self, w: [f64; 2]) -> f64 {
        match self {
            Self::Quadratic => -((w[0] - QUAD_A[0]).powi(2) + (w[1] - QUAD_A[1]).powi(2)),
            Self::Linear => LIN_B[0] * w[0] + LIN_B[1] * w[1],
            Self::ExpLinear => (EXP_B[0] * w[0] + EXP_B[1] * w[1]).exp(),
            Self::Bumpy => {
                let bumps: f64 = BUMPS
                    .iter()
                    .map(|(m, h, s)| h * (-((w[0] - m[0]).powi(2) + (w[1] - m[1]).powi(2)) / (2.0 * s * s)).exp())
                    .sum();
                bumps + RIPPLE * (3.0 * w[0]).cos() * (3.0 * w[1]).cos()
            }
        }
    }

    /// ∇_w g(w).
    pub fn grad(self, w: [f64; 2]) -> [f64; 2] {
        match self {
            Self::Quadratic => [-2.0 * (w[0] - QUAD_A[0]), -2.0 * (w[1] - QUAD_A[1])],
            Self::Linear => LIN_B,
            Self::ExpLinear => {
                let e = (EXP_B[0] * w[0] + EXP_B[1] * w[1]).exp();
                [e * EXP_B[0], e * EXP_B[1]]
            }
            Self::Bumpy => {
                let mut g = [0.0; 2];
                for (m, h, s) in BUMPS {
                    let d = [w[0] - m[0], w[1] - m[1]];
                    let e = h * (-(d[0] * d[0] + d[1] * d[1]) / (2.0 * s * s)).exp();
                    g[0] -= e * d[0] / (s * s);
                    g[1] -= e * d[1] / (s * s);
                }
                let (s0, c0) = (3.0 * w[0]).sin_cos();
                let (s1, c1) = (3.0 * w[1]).sin_cos();
                g[0] -= 3.0 * RIPPLE * s0 * c1;
                g[1] -= 3.0 * RIPPLE * c0 * s1;
                g
            }
        }
    }

    /// E_π[g] in closed form, where there is one.
    pub fn expected(self, pi: &Gauss2) -> Option<f64> {
        let [a, b, d] = pi.c;
        match self {
            Self::Quadratic => {
                let dm = [pi.mu[0] - QUAD_A[0], pi.mu[1] - QUAD_A[1]];
                Some(-(dm[0] * dm[0] + dm[1] * dm[1]) - (a * a + b * b + d * d))
            }
            Self::Linear => Some(LIN_B[0] * pi.mu[0] + LIN_B[1] * pi.mu[1]),
            Self::ExpLinear => {
                let s = pi.cov();
                let v =
                    EXP_B[0] * EXP_B[0] * s[0][0] + 2.0 * EXP_B[0] * EXP_B[1] * s[0][1] + EXP_B[1] * EXP_B[1] * s[1][1];
                Some((EXP_B[0] * pi.mu[0] + EXP_B[1] * pi.mu[1] + 0.5 * v).exp())
            }
            Self::Bumpy => None,
        }
    }

    /// ∇_γ E_π[g] in closed form, where there is one.
    pub fn true_grad(self, pi: &Gauss2) -> Option<Grad> {
        let [a, b, d] = pi.c;
        match self {
            // E = −‖μ − a‖² − ‖C‖²_F.
            Self::Quadratic => {
                Some([-2.0 * (pi.mu[0] - QUAD_A[0]), -2.0 * (pi.mu[1] - QUAD_A[1]), -2.0 * a, -2.0 * b, -2.0 * d])
            }
            Self::Linear => Some([LIN_B[0], LIN_B[1], 0.0, 0.0, 0.0]),
            // E = exp(bᵀμ + ½ bᵀ C Cᵀ b): ∇_μ = E b, ∇_C = E b bᵀ C.
            Self::ExpLinear => {
                let e = self.expected(pi)?;
                let bt_c = [EXP_B[0] * a + EXP_B[1] * b, EXP_B[1] * d]; // row vector bᵀ C
                Some([
                    e * EXP_B[0],
                    e * EXP_B[1],
                    e * EXP_B[0] * bt_c[0],
                    e * EXP_B[1] * bt_c[0],
                    e * EXP_B[1] * bt_c[1],
                ])
            }
            Self::Bumpy => None,
        }
    }
}

/// Which estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    Score,
    ScoreBaseline,
    Reparam,
}

impl Estimator {
    pub const ALL: [Self; 3] = [Self::Score, Self::ScoreBaseline, Self::Reparam];

    pub fn label(self) -> &'static str {
        match self {
            Self::Score => "score function",
            Self::ScoreBaseline => "score fn + baseline",
            Self::Reparam => "reparametrisation",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// One estimate of ∇_γ E_π[g] from `k` fresh samples (k ≥ 1; 0 is treated as 1).
    pub fn estimate(self, g: Objective, pi: &Gauss2, k: usize, rng: &mut SmallRng) -> Grad {
        let k = k.max(1);
        let mut sum_gs = [0.0; 5];
        let mut sum_s = [0.0; 5];
        let mut sum_g = 0.0;
        for _ in 0..k {
            let eps = normal_pair(rng);
            let w = pi.sample_from(eps);
            match self {
                Self::Reparam => {
                    let gr = g.grad(w);
                    let e = [gr[0], gr[1], gr[0] * eps[0], gr[1] * eps[0], gr[1] * eps[1]];
                    add(&mut sum_gs, &e, 1.0);
                }
                Self::Score | Self::ScoreBaseline => {
                    let v = g.value(w);
                    let s = pi.score(eps);
                    add(&mut sum_gs, &s, v);
                    add(&mut sum_s, &s, 1.0);
                    sum_g += v;
                }
            }
        }
        let kf = k as f64;
        match self {
            Self::Score | Self::Reparam => sum_gs.map(|x| x / kf),
            // Σ (g_k − b_k) s_k with b_k = (S − g_k)/(K − 1) = K/(K−1) Σ g_k s_k − S/(K−1) Σ s_k.
            Self::ScoreBaseline if k >= 2 => {
                let km1 = kf - 1.0;
                std::array::from_fn(|i| (kf / km1 * sum_gs[i] - sum_g / km1 * sum_s[i]) / kf)
            }
            Self::ScoreBaseline => {
                let b = g.value(pi.mu);
                std::array::from_fn(|i| sum_gs[i] - b * sum_s[i])
            }
        }
    }
}

fn add(acc: &mut Grad, v: &Grad, scale: f64) {
    for (a, x) in acc.iter_mut().zip(v) {
        *a += scale * x;
    }
}

/// `n` estimates with `k` samples each.
pub fn estimates(est: Estimator, g: Objective, pi: &Gauss2, k: usize, n: usize, rng: &mut SmallRng) -> Vec<Grad> {
    (0..n).map(|_| est.estimate(g, pi, k, rng)).collect()
}

/// Mean and per-component variance of a set of estimates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub n: usize,
    pub mean: Grad,
    /// Unbiased sample variance of each component.
    pub var: Grad,
}

impl Stats {
    pub fn of(xs: &[Grad]) -> Self {
        let n = xs.len();
        let nf = n.max(1) as f64;
        let mut mean = [0.0; 5];
        for x in xs {
            add(&mut mean, x, 1.0 / nf);
        }
        let mut var = [0.0; 5];
        for x in xs {
            for i in 0..5 {
                var[i] += (x[i] - mean[i]).powi(2);
            }
        }
        let denom = (n.max(2) - 1) as f64;
        Self { n, mean, var: var.map(|v| v / denom) }
    }

    /// Total variance (trace of the covariance), optionally of the μ part only.
    pub fn total_var(&self) -> f64 {
        self.var.iter().sum()
    }

    /// Standard error of each component of the mean.
    pub fn std_err(&self) -> Grad {
        self.var.map(|v| (v / self.n.max(1) as f64).sqrt())
    }

    /// Largest |mean − truth| / standard error over the components (components with zero variance count only
    /// when they differ from the truth by more than rounding).
    pub fn max_z(&self, truth: &Grad) -> f64 {
        let se = self.std_err();
        (0..5)
            .map(|i| {
                let diff = (self.mean[i] - truth[i]).abs();
                if se[i] > 1e-12 {
                    diff / se[i]
                } else if diff < 1e-9 {
                    0.0
                } else {
                    f64::INFINITY
                }
            })
            .fold(0.0, f64::max)
    }
}

/// Samples used for "truth" where there is no closed form.
pub const TRUTH_SAMPLES: usize = 200_000;

/// ∇_γ E_π[g] and E_π[g]: closed form where available, else the reparametrised estimate from [`TRUTH_SAMPLES`]
/// samples (fixed seed, so it does not flicker). The flag says whether it is exact.
pub fn truth(g: Objective, pi: &Gauss2) -> (Grad, f64, bool) {
    if let (Some(grad), Some(value)) = (g.true_grad(pi), g.expected(pi)) {
        return (grad, value, true);
    }
    let mut rng = SmallRng::seed_from_u64(0x7275_7468);
    let grad = Estimator::Reparam.estimate(g, pi, TRUTH_SAMPLES, &mut rng);
    (grad, monte_carlo_value(g, pi, TRUTH_SAMPLES / 10, 0x7661_6c75), false)
}

/// E_π[g] from `n` samples with common random numbers (`seed`), for curves that should not jitter.
pub fn monte_carlo_value(g: Objective, pi: &Gauss2, n: usize, seed: u64) -> f64 {
    let mut rng = SmallRng::seed_from_u64(seed);
    let n = n.max(1);
    (0..n).map(|_| g.value(pi.sample_from(normal_pair(&mut rng)))).sum::<f64>() / n as f64
}

/// Samples of the Monte Carlo E_π[g] along optimiser paths (common random numbers keep the curve smooth).
pub const PATH_MC_SAMPLES: usize = 400;

/// E_π[g]: closed form, or Monte Carlo with common random numbers.
pub fn objective_value(g: Objective, pi: &Gauss2) -> f64 {
    g.expected(pi).unwrap_or_else(|| monte_carlo_value(g, pi, PATH_MC_SAMPLES, 0x006f_626a))
}

/// Gradient ascent on E_π[g] (γ ← γ + lr ĝ), or descent where g has no maximum (see [`Objective::maximise`]),
/// clamped into range after each step. Returns the parameters before each step and after the last one
/// (`steps + 1` entries).
pub fn ascend(est: Estimator, g: Objective, start: Gauss2, k: usize, lr: f64, steps: usize, seed: u64) -> Vec<Gauss2> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut pi = start;
    let mut path = Vec::with_capacity(steps + 1);
    path.push(pi);
    for _ in 0..steps {
        let grad = est.estimate(g, &pi, k, &mut rng);
        let sign = if g.maximise() { lr } else { -lr };
        let step = grad.map(|x| if x.is_finite() { sign * x } else { 0.0 });
        pi = pi.moved(&step);
        path.push(pi);
    }
    path
}

/// Everything the lesson shows for one setting: what to compute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabRequest {
    pub g: Objective,
    pub pi: Gauss2,
    /// Samples per estimate (≥ 1).
    pub k: usize,
    /// Estimates per estimator in the cloud and the table.
    pub estimates: usize,
    pub seed: u64,
    /// Gradient-ascent step size and number of steps.
    pub lr: f64,
    pub steps: usize,
}

/// K values of the variance-vs-K curves, and the estimates per point.
pub const VAR_KS: [usize; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];
pub const VAR_REPEATS: usize = 300;

/// What the lesson shows for one [`LabRequest`].
#[derive(Debug, Clone)]
pub struct LabResult {
    pub request: LabRequest,
    pub truth: Grad,
    pub truth_value: f64,
    /// Whether `truth` is a closed form (else a large reparametrised sample).
    pub exact: bool,
    /// The K samples w_k of one draw (at most 1,000).
    pub samples: Vec<[f64; 2]>,
    /// Per estimator: all estimates.
    pub clouds: [Vec<Grad>; 3],
    pub stats: [Stats; 3],
    /// Per estimator: (K, total variance) for [`VAR_KS`].
    pub var_vs_k: [Vec<(usize, f64)>; 3],
    /// Per estimator: μ, C along gradient ascent, and E[g] there.
    pub paths: [Vec<Gauss2>; 3],
    pub path_values: [Vec<f64>; 3],
    /// Milliseconds for the clouds alone (`estimates` estimates for each of the three estimators).
    pub cloud_ms: f64,
    /// Milliseconds for everything.
    pub total_ms: f64,
}

/// Computes a [`LabResult`] (pure; the lesson runs it on a worker thread).
pub fn run_lab(req: &LabRequest) -> LabResult {
    let start = std::time::Instant::now();
    let k = req.k.max(1);
    let (truth, truth_value, exact) = truth(req.g, &req.pi);
    let mut rng = SmallRng::seed_from_u64(req.seed);
    let samples = (0..k.min(1000)).map(|_| req.pi.sample_from(normal_pair(&mut rng))).collect();
    let cloud_start = std::time::Instant::now();
    let clouds = Estimator::ALL.map(|e| estimates(e, req.g, &req.pi, k, req.estimates, &mut rng));
    let cloud_ms = cloud_start.elapsed().as_secs_f64() * 1000.0;
    let stats = [0, 1, 2].map(|i| Stats::of(&clouds[i]));
    let var_vs_k = Estimator::ALL.map(|e| {
        VAR_KS
            .iter()
            .map(|&kk| (kk, Stats::of(&estimates(e, req.g, &req.pi, kk, VAR_REPEATS, &mut rng)).total_var()))
            .collect()
    });
    let paths = Estimator::ALL.map(|e| ascend(e, req.g, req.pi, k, req.lr, req.steps, req.seed ^ 0xa5a5));
    let path_values = [0, 1, 2].map(|i| paths[i].iter().map(|p| objective_value(req.g, p)).collect());
    LabResult {
        request: *req,
        truth,
        truth_value,
        exact,
        samples,
        clouds,
        stats,
        var_vs_k,
        paths,
        path_values,
        cloud_ms,
        total_ms: start.elapsed().as_secs_f64() * 1000.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pi() -> Gauss2 {
        Gauss2::new([-0.5, 0.3], [0.8, 0.4, 0.6]).unwrap()
    }

    #[test]
    fn cholesky_sampling_gives_the_requested_covariance() {
        let pi = Gauss2::new([1.0, -2.0], [1.2, -0.7, 0.5]).unwrap();
        let mut rng = SmallRng::seed_from_u64(1);
        let n: usize = 200_000;
        let ws: Vec<[f64; 2]> = (0..n).map(|_| pi.sample_from(normal_pair(&mut rng))).collect();
        let m = [0, 1].map(|d| ws.iter().map(|w| w[d]).sum::<f64>() / n as f64);
        let mut s = [[0.0; 2]; 2];
        for w in &ws {
            for i in 0..2 {
                for j in 0..2 {
                    s[i][j] += (w[i] - m[i]) * (w[j] - m[j]) / (n - 1) as f64;
                }
            }
        }
        let want = pi.cov();
        assert!((m[0] - 1.0).abs() < 0.01 && (m[1] + 2.0).abs() < 0.01, "{m:?}");
        for i in 0..2 {
            for j in 0..2 {
                assert!((s[i][j] - want[i][j]).abs() < 0.02, "Σ{i}{j}: {} vs {}", s[i][j], want[i][j]);
            }
        }
    }

    #[test]
    fn closed_form_gradients_match_finite_differences() {
        let pi = pi();
        for g in [Objective::Quadratic, Objective::Linear, Objective::ExpLinear] {
            let grad = g.true_grad(&pi).unwrap();
            for i in 0..5 {
                let h = 1e-6;
                let mut up = [0.0; 5];
                up[i] = h;
                let down = up.map(|x| -x);
                let fd = (g.expected(&pi.moved(&up)).unwrap() - g.expected(&pi.moved(&down)).unwrap()) / (2.0 * h);
                assert!((fd - grad[i]).abs() < 1e-5, "{g:?} component {i}: {fd} vs {}", grad[i]);
            }
        }
    }

    #[test]
    fn score_matches_finite_differences_of_log_density() {
        let pi = pi();
        let w = [0.3, -0.2];
        let log_pdf = |p: &Gauss2| {
            let [a, b, d] = p.c;
            let e0 = (w[0] - p.mu[0]) / a;
            let e1 = (w[1] - p.mu[1] - b * e0) / d;
            -(a * d).ln() - 0.5 * (e0 * e0 + e1 * e1)
        };
        let e0 = (w[0] - pi.mu[0]) / pi.c[0];
        let eps = [e0, (w[1] - pi.mu[1] - pi.c[1] * e0) / pi.c[2]];
        let s = pi.score(eps);
        for i in 0..5 {
            let mut up = [0.0; 5];
            up[i] = 1e-6;
            let fd = (log_pdf(&pi.moved(&up)) - log_pdf(&pi.moved(&up.map(|x| -x)))) / 2e-6;
            assert!((fd - s[i]).abs() < 1e-5, "component {i}: {fd} vs {}", s[i]);
        }
    }

    #[test]
    fn every_estimator_is_unbiased_within_three_standard_errors() {
        let pi = pi();
        let mut rng = SmallRng::seed_from_u64(7);
        for g in [Objective::Quadratic, Objective::Linear, Objective::ExpLinear] {
            let truth = g.true_grad(&pi).unwrap();
            for est in Estimator::ALL {
                for k in [1, 2, 8] {
                    let stats = Stats::of(&estimates(est, g, &pi, k, 20_000, &mut rng));
                    let z = stats.max_z(&truth);
                    assert!(z < 3.0, "{g:?} {est:?} K={k}: mean {:?} truth {truth:?} (z = {z:.2})", stats.mean);
                }
            }
        }
    }

    #[test]
    fn reparametrisation_beats_the_score_function_on_the_quadratic() {
        let pi = pi();
        let mut rng = SmallRng::seed_from_u64(11);
        for k in [1, 2, 4, 8, 16, 32, 64, 128] {
            let v = Estimator::ALL.map(|e| Stats::of(&estimates(e, Objective::Quadratic, &pi, k, 2000, &mut rng)));
            let [score, baseline, reparam] = v.map(|s| s.total_var());
            assert!(reparam < score, "K={k}: reparam {reparam} vs score {score}");
            assert!(baseline < score, "K={k}: baseline {baseline} vs score {score}");
        }
    }

    #[test]
    fn variance_falls_like_one_over_k() {
        let pi = pi();
        let mut rng = SmallRng::seed_from_u64(3);
        for est in Estimator::ALL {
            let v1 = Stats::of(&estimates(est, Objective::Quadratic, &pi, 4, 4000, &mut rng)).total_var();
            let v2 = Stats::of(&estimates(est, Objective::Quadratic, &pi, 64, 4000, &mut rng)).total_var();
            let ratio = v1 / v2;
            assert!((10.0..25.0).contains(&ratio), "{est:?}: var(K=4)/var(K=64) = {ratio}");
        }
    }

    #[test]
    fn monte_carlo_truth_agrees_with_the_closed_form() {
        let pi = pi();
        let exact = Objective::ExpLinear.true_grad(&pi).unwrap();
        let mut rng = SmallRng::seed_from_u64(5);
        let mc = Estimator::Reparam.estimate(Objective::ExpLinear, &pi, TRUTH_SAMPLES, &mut rng);
        for i in 0..5 {
            assert!((mc[i] - exact[i]).abs() < 0.01, "component {i}: {} vs {}", mc[i], exact[i]);
        }
        let (grad, _, exact_flag) = truth(Objective::Bumpy, &pi);
        assert!(!exact_flag && grad.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn bad_parameters_are_refused_or_clamped_with_a_note() {
        assert!(Gauss2::new([0.0, 0.0], [0.0, 0.0, 1.0]).is_err());
        assert!(Gauss2::new([f64::NAN, 0.0], [1.0, 0.0, 1.0]).is_err());
        let (p, notes) = Gauss2::clamped([0.0, 9.0], [-1.0, 0.2, 1.0]);
        assert_eq!(p.c[0], MIN_DIAG);
        assert_eq!(p.mu[1], MU_BOX);
        assert!(notes.iter().any(|n| n.contains("C₁₁") && n.contains("positive definite")), "{notes:?}");
        assert!(Gauss2::clamped([0.0, 0.0], [1.0, 0.0, 1.0]).1.is_empty());
        // K = 0 is treated as 1.
        let mut rng = SmallRng::seed_from_u64(1);
        assert!(Estimator::Score.estimate(Objective::Linear, &p, 0, &mut rng).iter().all(|x| x.is_finite()));
    }

    #[test]
    fn ascent_with_reparametrisation_reaches_the_quadratic_maximum() {
        let start = Gauss2::new([-2.0, -2.0], [1.0, 0.0, 1.0]).unwrap();
        let path = ascend(Estimator::Reparam, Objective::Quadratic, start, 8, 0.05, 200, 1);
        let end = path.last().unwrap();
        assert_eq!(path.len(), 201);
        assert!((end.mu[0] - 1.5).abs() < 0.15 && (end.mu[1] - 1.0).abs() < 0.15, "{end:?}");
        assert!(objective_value(Objective::Quadratic, end) > objective_value(Objective::Quadratic, &start));
        let down = ascend(Estimator::Reparam, Objective::ExpLinear, start, 8, 0.05, 100, 1);
        let (first, last) = (
            objective_value(Objective::ExpLinear, &start),
            down.last().map(|p| objective_value(Objective::ExpLinear, p)),
        );
        assert!(last.is_some_and(|l| l < first), "exp(bᵀw) has no maximum: the optimiser descends it");
    }

    #[test]
    fn the_lab_fills_every_panel() {
        let req = LabRequest { g: Objective::Bumpy, pi: pi(), k: 5, estimates: 1000, seed: 1, lr: 0.05, steps: 50 };
        let r = run_lab(&req);
        assert_eq!(r.samples.len(), 5);
        assert!(r.clouds.iter().all(|c| c.len() == 1000));
        assert!(r.var_vs_k.iter().all(|v| v.len() == VAR_KS.len()));
        assert!(r.paths.iter().all(|p| p.len() == 51) && r.path_values.iter().all(|v| v.len() == 51));
        assert!(r.stats.iter().all(|s| s.max_z(&r.truth) < 4.0), "{:?}", r.stats);
    }
}
