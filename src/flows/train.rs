//! Training flows by maximum likelihood: data splits, the step loop with a divergence guard, held-out NLL and
//! density grids (pure; the lesson's thread and the CLI both drive a [`Trainer`]).

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::P2;
use super::coupling::{self, RealNvp, RealNvpConfig};
use super::residual::{ResFlow, ResFlowConfig};
use crate::data::toy2d::Toy2d;
use crate::nn::Adam;
use crate::nn::kernels::clip_norm;

/// Points drawn from a toy dataset (a fifth held out).
pub const TOY_POINTS: usize = 5000;

/// Fewest points a painted density may have.
pub const MIN_POINTS: usize = 20;

/// Which flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum FlowKind {
    RealNvp,
    Residual,
}

impl FlowKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::RealNvp => "RealNVP",
            Self::Residual => "Residual flow",
        }
    }
}

/// Training and held-out points (same split for every model).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowData {
    pub train: Vec<P2>,
    pub test: Vec<P2>,
}

impl FlowData {
    /// `n` standardised points of a toy dataset, the last fifth held out.
    pub fn toy(kind: Toy2d, n: usize, seed: u64) -> Self {
        let pts: Vec<P2> =
            kind.sample_standardised(n, seed).iter().map(|p| [f64::from(p[0]), f64::from(p[1])]).collect();
        Self::split(pts, seed)
    }

    /// Painted (or any) points, shuffled and split 80/20; refused when there are too few to learn from.
    pub fn from_points(points: &[P2], seed: u64) -> Result<Self, String> {
        let finite: Vec<P2> = points.iter().copied().filter(|p| p[0].is_finite() && p[1].is_finite()).collect();
        if finite.len() < MIN_POINTS {
            return Err(format!(
                "nothing to learn: paint a density first (at least {MIN_POINTS} points, you have {})",
                finite.len()
            ));
        }
        Ok(Self::split(finite, seed))
    }

    fn split(mut pts: Vec<P2>, seed: u64) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed.wrapping_add(17));
        for i in (1..pts.len()).rev() {
            pts.swap(i, rng.random_range(0..=i));
        }
        let test = pts.split_off(pts.len() - pts.len() / 5);
        Self { train: pts, test }
    }
}

/// One of the two flows.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum FlowModel {
    RealNvp(RealNvp),
    Residual(ResFlow),
}

impl FlowModel {
    pub fn real_nvp(config: RealNvpConfig, seed: u64) -> Self {
        Self::RealNvp(RealNvp::new(config, seed))
    }

    pub fn residual(config: ResFlowConfig, seed: u64) -> Result<Self, String> {
        ResFlow::new(config, seed).map(Self::Residual)
    }

    pub fn kind(&self) -> FlowKind {
        match self {
            Self::RealNvp(_) => FlowKind::RealNvp,
            Self::Residual(_) => FlowKind::Residual,
        }
    }

    pub fn params(&self) -> &[f64] {
        match self {
            Self::RealNvp(f) => &f.params,
            Self::Residual(f) => &f.params,
        }
    }

    fn set_params(&mut self, p: &[f64]) {
        match self {
            Self::RealNvp(f) => f.params.copy_from_slice(p),
            Self::Residual(f) => {
                f.params.copy_from_slice(p);
                f.refresh_norms(ResFlow::POWER_ITERATIONS);
            }
        }
    }

    pub fn log_prob(&self, xs: &[P2]) -> Vec<f64> {
        match self {
            Self::RealNvp(f) => f.log_prob(xs),
            Self::Residual(f) => f.log_prob(xs),
        }
    }

    /// Samples x = f⁻¹(z) and, for the residual flow, the fixed-point iteration counts.
    pub fn sample(&self, n: usize, seed: u64) -> (Vec<P2>, Option<super::residual::InverseStats>) {
        match self {
            Self::RealNvp(f) => (f.sample(n, seed), None),
            Self::Residual(f) => {
                let (x, stats) = f.sample(n, seed);
                (x, Some(stats))
            }
        }
    }

    /// Points after each layer or block (first entry = the input).
    pub fn stages(&self, xs: &[P2]) -> Vec<Vec<P2>> {
        match self {
            Self::RealNvp(f) => f.stages(xs),
            Self::Residual(f) => f.stages(xs),
        }
    }

    /// max |f⁻¹(f(x)) − x| over `xs`.
    pub fn invertibility_error(&self, xs: &[P2]) -> f64 {
        let back = match self {
            Self::RealNvp(f) => f.inverse(&f.forward(xs).0),
            Self::Residual(f) => f.inverse(&f.forward(xs).0).0,
        };
        xs.iter().zip(&back).map(|(a, b)| (a[0] - b[0]).abs().max((a[1] - b[1]).abs())).fold(0.0, f64::max)
    }

    /// Mean negative log-likelihood of `xs` (nats per point).
    pub fn nll(&self, xs: &[P2]) -> f64 {
        -self.log_prob(xs).iter().sum::<f64>() / xs.len().max(1) as f64
    }

    /// Layers (RealNVP) or blocks (residual flow).
    pub fn depth(&self) -> usize {
        match self {
            Self::RealNvp(f) => f.layers(),
            Self::Residual(f) => f.config.blocks,
        }
    }
}

/// Optimiser settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainSettings {
    pub lr: f64,
    pub batch_size: usize,
    pub clip: f64,
    pub seed: u64,
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self { lr: 3e-3, batch_size: 128, clip: 20.0, seed: 1 }
    }
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepOutcome {
    Loss(f64),
    /// The loss or gradient was not finite: the weights went back to the last ones with a finite loss.
    Diverged {
        step: u64,
    },
}

/// A flow, its optimiser and the divergence guard.
pub struct Trainer {
    pub model: FlowModel,
    pub settings: TrainSettings,
    adam: Adam<f64>,
    grad: Vec<f64>,
    ws: coupling::Workspace,
    rng: SmallRng,
    batch: Vec<P2>,
    /// Weights whose loss was finite most recently.
    last_good: Vec<f64>,
    pub steps: u64,
    pub diverged_at: Option<u64>,
}

impl Trainer {
    pub fn new(model: FlowModel, settings: TrainSettings) -> Self {
        let n = model.params().len();
        Self {
            last_good: model.params().to_vec(),
            model,
            settings,
            adam: Adam::new([n]),
            grad: vec![0.0; n],
            ws: coupling::Workspace::default(),
            rng: SmallRng::seed_from_u64(settings.seed),
            batch: Vec::new(),
            steps: 0,
            diverged_at: None,
        }
    }

    /// One Adam step on a random minibatch of `data` at learning rate `lr`.
    pub fn step(&mut self, data: &[P2], lr: f64) -> StepOutcome {
        if let Some(step) = self.diverged_at {
            return StepOutcome::Diverged { step };
        }
        self.batch.clear();
        for _ in 0..self.settings.batch_size.max(1) {
            self.batch.push(data[self.rng.random_range(0..data.len())]);
        }
        self.grad.fill(0.0);
        let loss = match &self.model {
            FlowModel::RealNvp(f) => f.loss_and_grad(&self.batch, &mut self.grad, &mut self.ws),
            FlowModel::Residual(f) => f.loss_and_grad(&self.batch, &mut self.grad),
        };
        let norm = clip_norm(&mut self.grad, self.settings.clip);
        self.steps += 1;
        crate::runtime::steps::record(1);
        let guard = crate::nn::check_finite(loss, [&self.grad[..]], usize::try_from(self.steps).unwrap_or(usize::MAX));
        if guard.is_err() || !norm.is_finite() || self.model.params().iter().any(|p| !p.is_finite()) {
            let good = std::mem::take(&mut self.last_good);
            self.model.set_params(&good);
            self.last_good = good;
            self.diverged_at = Some(self.steps);
            return StepOutcome::Diverged { step: self.steps };
        }
        self.last_good.copy_from_slice(self.model.params());
        let mut params = self.model.params().to_vec();
        self.adam.step(lr, 1.0, [(&mut params[..], &self.grad[..])]);
        self.model.set_params(&params);
        StepOutcome::Loss(loss)
    }
}

/// Cosine decay from `lr` to `lr`/20 over a run (`progress` in [0, 1]).
pub fn cosine_lr(lr: f64, progress: f64) -> f64 {
    crate::nn::cosine_decay(lr, 0.05, progress)
}

/// Result of a timed run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunSummary {
    pub steps: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// CPU seconds of the training thread, when measured by that clock.
    pub cpu_seconds: Option<f64>,
    /// Per step, by the run's clock.
    pub ms_per_step: f64,
    pub train_nll: f64,
    pub heldout_nll: f64,
    pub diverged_at: Option<u64>,
}

pub use crate::nn::Clock;
use crate::runtime::cpu_time::thread_cpu_seconds;

/// Trains for `seconds` by `clock` (cosine learning-rate decay over that time), then measures the NLLs.
pub fn train_for(trainer: &mut Trainer, data: &FlowData, seconds: f64) -> RunSummary {
    train_for_clock(trainer, data, seconds, Clock::Wall)
}

/// [`train_for`] with a choice of clock.
pub fn train_for_clock(trainer: &mut Trainer, data: &FlowData, seconds: f64, clock: Clock) -> RunSummary {
    let budget = crate::nn::Budget::seconds(seconds).on(clock);
    // A diverged run stops with the weights of its last finite loss (the trainer says at which step).
    let stop = std::sync::atomic::AtomicBool::new(false);
    let spent = crate::nn::budget::run::<()>(budget, Some(&stop), |progress| {
        if let StepOutcome::Diverged { .. } = trainer.step(&data.train, cosine_lr(trainer.settings.lr, progress)) {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    })
    .unwrap_or_default();
    let (elapsed, measured) = (spent.wall_seconds, spent.seconds);
    RunSummary {
        steps: trainer.steps,
        seconds: elapsed,
        cpu_seconds: (clock == Clock::ThreadCpu && thread_cpu_seconds().is_some()).then_some(measured),
        ms_per_step: 1e3 * measured / trainer.steps.max(1) as f64,
        train_nll: trainer.model.nll(&data.train),
        heldout_nll: trainer.model.nll(&data.test),
        diverged_at: trainer.diverged_at,
    }
}

/// A square view of the plane: `[-half, half]²`.
pub const VIEW_HALF: f64 = 3.0;

/// log p at the centres of an `n × n` grid over `[-half, half]²`, row 0 at the top (largest y).
pub fn log_density_grid(model: &FlowModel, n: usize, half: f64) -> Vec<f64> {
    model.log_prob(&grid_points(n, half))
}

impl FlowModel {
    /// log p for display: RealNVP's networks in f32 (about twice as fast; ~1e-6 relative error).
    pub fn log_prob_display(&self, xs: &[P2]) -> Vec<f64> {
        match self {
            Self::RealNvp(f) => f.log_prob_fast(xs),
            Self::Residual(f) => f.log_prob(xs),
        }
    }
}

/// Centres of an `n × n` grid over `[-half, half]²`, row-major with row 0 at the top.
pub fn grid_points(n: usize, half: f64) -> Vec<P2> {
    let cell = 2.0 * half / n as f64;
    (0..n * n)
        .map(|i| {
            let (col, row) = (i % n, i / n);
            [-half + (col as f64 + 0.5) * cell, half - (row as f64 + 0.5) * cell]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn painting_nothing_is_refused_with_a_message() {
        let err = FlowData::from_points(&[], 1).unwrap_err();
        assert!(err.contains("paint"), "{err}");
        let few = vec![[0.0, 0.0]; MIN_POINTS - 1];
        assert!(FlowData::from_points(&few, 1).is_err());
        let ok = FlowData::from_points(&vec![[0.5, 0.5]; 100], 1).unwrap();
        assert_eq!((ok.train.len(), ok.test.len()), (80, 20));
    }

    #[test]
    fn divergence_stops_and_keeps_the_last_good_weights() {
        let data = FlowData::toy(Toy2d::Moons, 500, 1);
        let model = FlowModel::real_nvp(RealNvpConfig { layers: 4, hidden: 16, ..RealNvpConfig::default() }, 1);
        let mut t = Trainer::new(model, TrainSettings { clip: f64::INFINITY, ..TrainSettings::default() });
        let mut outcome = StepOutcome::Loss(0.0);
        for _ in 0..200 {
            outcome = t.step(&data.train, 1e12);
            if matches!(outcome, StepOutcome::Diverged { .. }) {
                break;
            }
        }
        assert!(matches!(outcome, StepOutcome::Diverged { .. }), "a learning rate of 1e12 must diverge");
        assert!(t.model.params().iter().all(|p| p.is_finite()));
        assert!(t.model.log_prob(&data.test).iter().all(|l| l.is_finite()), "the kept weights give finite losses");
        assert!(matches!(t.step(&data.train, 1e-3), StepOutcome::Diverged { .. }), "a diverged trainer stays stopped");
    }

    /// Trains briefly and integrates exp(log p) over a box that holds the data.
    fn integral(model: &FlowModel) -> f64 {
        let (n, half) = (300, 6.0);
        let cell = (2.0 * half / n as f64).powi(2);
        log_density_grid(model, n, half).iter().map(|l| l.exp() * cell).sum()
    }

    #[test]
    fn learned_densities_integrate_to_one() {
        let data = FlowData::toy(Toy2d::Moons, 2000, 2);
        let models = [
            FlowModel::real_nvp(RealNvpConfig { layers: 6, hidden: 32, ..RealNvpConfig::default() }, 2),
            FlowModel::residual(ResFlowConfig { blocks: 6, hidden: 32, ..ResFlowConfig::default() }, 2).unwrap(),
        ];
        for model in models {
            let mut t = Trainer::new(model, TrainSettings::default());
            let first = t.model.nll(&data.test);
            for _ in 0..400 {
                assert!(matches!(t.step(&data.train, 3e-3), StepOutcome::Loss(_)));
            }
            let nll = t.model.nll(&data.test);
            assert!(nll < first - 0.3, "{:?}: held-out NLL {first} → {nll}", t.model.kind());
            let mass = integral(&t.model);
            assert!((mass - 1.0).abs() < 0.02, "{:?}: ∫ p = {mass}", t.model.kind());
        }
    }

    #[test]
    fn grid_rows_run_top_to_bottom() {
        let g = grid_points(4, 2.0);
        assert_eq!(g[0], [-1.5, 1.5]);
        assert_eq!(g[15], [1.5, -1.5]);
    }
}

#[cfg(test)]
mod tuning {
    use super::*;

    /// `FLOW_TUNE="layers,hidden,batch,lr,steps" cargo test --release tune_realnvp -- --ignored --nocapture`
    #[test]
    #[ignore = "a tuning aid, minutes long"]
    fn tune_realnvp() {
        let spec = std::env::var("FLOW_TUNE").unwrap_or_else(|_| "8,64,256,0.002,2000".into());
        let v: Vec<f64> = spec.split(',').map(|x| x.parse().unwrap()).collect();
        let data = FlowData::toy(Toy2d::Moons, TOY_POINTS, 1);
        let config = RealNvpConfig { layers: v[0] as usize, hidden: v[1] as usize, ..RealNvpConfig::default() };
        let mut t = Trainer::new(
            FlowModel::real_nvp(config, 1),
            TrainSettings { batch_size: v[2] as usize, lr: v[3], ..TrainSettings::default() },
        );
        let steps = v[4] as u64;
        let c0 = thread_cpu_seconds().unwrap();
        while t.steps < steps {
            let lr = cosine_lr(v[3], t.steps as f64 / steps as f64);
            t.step(&data.train, lr);
        }
        let cpu = thread_cpu_seconds().unwrap() - c0;
        println!(
            "{spec}: held-out {:.4} train {:.4}, {:.2} cpu-ms/step",
            t.model.nll(&data.test),
            t.model.nll(&data.train),
            1e3 * cpu / steps as f64
        );
    }
}

#[cfg(test)]
mod timing {
    use super::*;

    #[test]
    #[ignore = "a timing aid"]
    fn time_density_grids() {
        let grid = grid_points(128, 3.0);
        let nvp = FlowModel::real_nvp(RealNvpConfig { layers: 8, hidden: 32, ..RealNvpConfig::default() }, 1);
        let res = FlowModel::residual(ResFlowConfig { blocks: 8, hidden: 32, ..ResFlowConfig::default() }, 1).unwrap();
        for m in [&nvp, &res] {
            let c0 = thread_cpu_seconds().unwrap();
            let t = std::time::Instant::now();
            for _ in 0..5 {
                std::hint::black_box(m.log_prob_display(&grid));
            }
            println!(
                "{:?}: {:.1} ms wall, {:.1} ms cpu per grid",
                m.kind(),
                t.elapsed().as_secs_f64() * 200.0,
                (thread_cpu_seconds().unwrap() - c0) * 200.0
            );
        }
    }
}
