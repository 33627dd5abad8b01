//! The Flows lesson's own thread: trains RealNVP and the residual flow side by side (alternating steps, lowest
//! priority) and sends plain-data snapshots (log-density grids, samples, layer-by-layer views, numbers) a few
//! times per second. It blocks while idle or paused and ends when the lesson drops its sender.

use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use eframe::egui;

use crate::flows::residual::{InverseStats, LogDetComparison};
use crate::flows::train::{StepOutcome, TrainSettings, grid_points};
use crate::flows::{FlowData, FlowKind, FlowModel, P2, RealNvpConfig, ResFlowConfig, Trainer};
use crate::lessons::lesson_thread::{self, LessonThread};

/// Cells per side of the log-density grids.
pub const GRID: usize = 128;
/// Half-width of the square the heat maps cover.
pub const VIEW: f64 = 3.0;
/// Target time from the start of one snapshot to the start of the next (5.3 per second when a snapshot takes less).
pub const REFRESH: Duration = Duration::from_millis(190);
/// Samples drawn from each flow per snapshot.
pub const SAMPLES: usize = 600;
/// Training points shown moving through the layers.
pub const STAGE_POINTS: usize = 300;
/// Grid lines per direction in "inside the flow", and points per line.
pub const LINES: usize = 13;
const LINE_POINTS: usize = 48;
/// Every this many snapshots, samples, layer views and numbers are recomputed too.
pub const FULL_EVERY: u64 = 4;
/// Training stops by itself after this many steps per model.
pub const MAX_STEPS: u64 = 40_000;

/// What the lesson asks for.
#[derive(Debug, Clone)]
pub enum Request {
    /// Start (or restart) training on `data`.
    Train {
        data: FlowData,
        nvp: RealNvpConfig,
        res: ResFlowConfig,
        lr: f64,
        seed: u64,
    },
    /// Show trained flows (RealNVP, then the residual flow, each with its step count), paused, on `data`.
    Load {
        data: FlowData,
        models: Vec<(FlowModel, u64)>,
        lr: f64,
        seed: u64,
    },
    Pause,
    Resume,
    /// While paused: exactly this many optimiser steps of each flow, then a full snapshot.
    Step(u32),
    /// Power-series terms for the log-det comparison.
    SeriesTerms(usize),
}

/// One flow's state in a snapshot.
#[derive(Debug, Clone)]
pub struct ModelView {
    pub kind: FlowKind,
    /// log p over the `GRID × GRID` grid on [−VIEW, VIEW]², row 0 at the top.
    pub log_density: Vec<f32>,
    pub samples: Vec<P2>,
    /// (step, minibatch NLL smoothed) and (step, held-out NLL).
    pub train_curve: Vec<[f64; 2]>,
    pub heldout_curve: Vec<[f64; 2]>,
    pub steps: u64,
    pub heldout_nll: f64,
    /// Training points after each layer/block (first = the data).
    pub stages: Vec<Vec<P2>>,
    /// The grid lines after each layer/block: `grid_stages[k][line]`.
    pub grid_stages: Vec<Vec<Vec<P2>>>,
    pub invertibility_error: f64,
    pub diverged_at: Option<u64>,
    /// Residual flow only: fixed-point iterations of the inverse (sampling).
    pub inverse: Option<InverseStats>,
    /// Residual flow only: exact vs power-series log-determinants.
    pub log_det: Option<LogDetComparison>,
    /// Residual flow only: the largest ‖W̃₂‖·‖W̃₁‖ over the blocks (≤ c).
    pub lipschitz: Option<f64>,
}

/// A snapshot of both flows.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub models: Vec<ModelView>,
    /// Milliseconds the snapshot took to compute (grids, and samples and layers when it refreshed them).
    pub eval_ms: f64,
    /// Milliseconds for the two log-density grids alone.
    pub heat_ms: f64,
    pub training: bool,
    pub generation: u64,
}

/// What the thread sends back.
#[derive(Debug, Clone)]
pub enum Reply {
    Snapshot(Box<Snapshot>),
    Refused(String),
}

/// The lesson's handle on the thread.
pub type FlowWorker = LessonThread<Request, Reply>;

impl FlowWorker {
    pub fn spawn(ctx: egui::Context) -> Option<Self> {
        lesson_thread::spawn("flows", ctx, |requests, replies, ctx| run(&requests, &replies, &ctx))
    }
}

struct Model {
    trainer: Trainer,
    ema: Option<f64>,
    train_curve: Vec<[f64; 2]>,
    heldout_curve: Vec<[f64; 2]>,
}

struct Session {
    data: FlowData,
    models: Vec<Model>,
    lr: f64,
    paused: bool,
    terms: usize,
    generation: u64,
    last_snapshot: Option<Instant>,
    stage_points: Vec<P2>,
    lines: Vec<Vec<P2>>,
    /// The last full views (samples, layers, numbers), reused by the light snapshots.
    views: Vec<ModelView>,
}

impl Session {
    fn training(&self) -> bool {
        !self.paused && self.models.iter().any(|m| m.trainer.diverged_at.is_none() && m.trainer.steps < MAX_STEPS)
    }

    fn step(&mut self) {
        for m in &mut self.models {
            if m.trainer.diverged_at.is_some() || m.trainer.steps >= MAX_STEPS {
                continue;
            }
            if let StepOutcome::Loss(loss) = m.trainer.step(&self.data.train, self.lr) {
                let ema = m.ema.map_or(loss, |e| 0.98 * e + 0.02 * loss);
                m.ema = Some(ema);
                if m.trainer.steps.is_multiple_of(10) {
                    m.train_curve.push([m.trainer.steps as f64, ema]);
                }
            }
        }
    }

    /// A snapshot: the log-density grids always; samples, layer views and the numbers every `FULL_EVERY`-th
    /// time (or when `full`), reusing the previous ones in between so the heat maps refresh often.
    fn snapshot(&mut self, full: bool) -> Snapshot {
        let start = Instant::now();
        self.generation += 1;
        let full = full || self.views.is_empty() || self.generation.is_multiple_of(FULL_EVERY);
        let grid = grid_points(GRID, VIEW);
        // One scoped thread per flow (they inherit this thread's low priority).
        let densities: Vec<Vec<f32>> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .models
                .iter()
                .map(|m| {
                    let grid = &grid;
                    s.spawn(move || m.trainer.model.log_prob_display(grid).into_iter().map(|v| v as f32).collect())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        let heat_ms = start.elapsed().as_secs_f64() * 1e3;
        if full {
            self.views = self.full_views();
        }
        let models = self
            .models
            .iter()
            .zip(&self.views)
            .zip(densities)
            .map(|((m, v), log_density)| ModelView {
                log_density,
                train_curve: m.train_curve.clone(),
                heldout_curve: m.heldout_curve.clone(),
                steps: m.trainer.steps,
                diverged_at: m.trainer.diverged_at,
                ..v.clone()
            })
            .collect();
        self.last_snapshot = Some(start);
        Snapshot {
            models,
            eval_ms: start.elapsed().as_secs_f64() * 1e3,
            heat_ms,
            training: self.training(),
            generation: self.generation,
        }
    }

    /// Everything but the grids: held-out NLL, samples, layer views, inverse and log-det numbers.
    fn full_views(&mut self) -> Vec<ModelView> {
        let flat: Vec<P2> = self.lines.iter().flatten().copied().collect();
        let seed = self.generation;
        let (test, stage_points, terms) = (&self.data.test, &self.stage_points, self.terms);
        self.models
            .iter_mut()
            .map(|m| {
                let model = &m.trainer.model;
                let heldout_nll = model.nll(test);
                if heldout_nll.is_finite() {
                    m.heldout_curve.push([m.trainer.steps as f64, heldout_nll]);
                }
                let (samples, inverse) = model.sample(SAMPLES, seed);
                let grid_stages = model
                    .stages(&flat)
                    .into_iter()
                    .map(|pts| pts.chunks(LINE_POINTS).map(<[P2]>::to_vec).collect())
                    .collect();
                let (log_det, lipschitz) = match model {
                    FlowModel::Residual(f) => (
                        Some(f.log_det_comparison(stage_points, terms, seed)),
                        f.lipschitz_bounds().into_iter().reduce(f64::max),
                    ),
                    FlowModel::RealNvp(_) => (None, None),
                };
                ModelView {
                    kind: model.kind(),
                    log_density: Vec::new(),
                    samples,
                    train_curve: Vec::new(),
                    heldout_curve: Vec::new(),
                    steps: m.trainer.steps,
                    heldout_nll,
                    stages: model.stages(stage_points),
                    grid_stages,
                    invertibility_error: model.invertibility_error(stage_points),
                    diverged_at: m.trainer.diverged_at,
                    inverse,
                    log_det,
                    lipschitz,
                }
            })
            .collect()
    }
}

/// Grid lines x = const and y = const over [−2.5, 2.5]².
fn grid_lines() -> Vec<Vec<P2>> {
    let at = |i: usize, n: usize| -2.5 + 5.0 * i as f64 / (n - 1) as f64;
    let mut lines = Vec::new();
    for i in 0..LINES {
        let c = at(i, LINES);
        lines.push((0..LINE_POINTS).map(|j| [c, at(j, LINE_POINTS)]).collect());
        lines.push((0..LINE_POINTS).map(|j| [at(j, LINE_POINTS), c]).collect());
    }
    lines
}

fn start(data: FlowData, nvp: RealNvpConfig, res: ResFlowConfig, lr: f64, seed: u64) -> Result<Session, String> {
    let residual = FlowModel::residual(res, seed)?;
    new_session(data, vec![(FlowModel::real_nvp(nvp, seed), 0), (residual, 0)], lr, seed, false)
}

/// A session of these flows (with the steps they were trained for), paused or not.
fn new_session(
    data: FlowData,
    flows: Vec<(FlowModel, u64)>,
    lr: f64,
    seed: u64,
    paused: bool,
) -> Result<Session, String> {
    if !(lr.is_finite() && lr > 0.0) {
        return Err(format!("learning rate {lr} refused: it must be positive"));
    }
    let settings = TrainSettings { lr, seed, ..TrainSettings::default() };
    let model = |(m, steps): (FlowModel, u64)| {
        let mut trainer = Trainer::new(m, settings);
        trainer.steps = steps;
        Model { trainer, ema: None, train_curve: Vec::new(), heldout_curve: Vec::new() }
    };
    let step = (data.train.len() / STAGE_POINTS).max(1);
    let stage_points = data.train.iter().step_by(step).take(STAGE_POINTS).copied().collect();
    Ok(Session {
        models: flows.into_iter().map(model).collect(),
        data,
        lr,
        paused,
        terms: 8,
        generation: 0,
        last_snapshot: None,
        stage_points,
        lines: grid_lines(),
        views: Vec::new(),
    })
}

fn run(requests: &Receiver<Request>, replies: &Sender<Reply>, ctx: &egui::Context) {
    let mut session: Option<Session> = None;
    loop {
        let busy = session.as_ref().is_some_and(Session::training);
        let request = if busy {
            match requests.try_recv() {
                Ok(r) => Some(r),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => return,
            }
        } else {
            match requests.recv() {
                Ok(r) => Some(r),
                Err(_) => return,
            }
        };
        let mut send_now = false;
        let started = match request {
            Some(Request::Train { data, nvp, res, lr, seed }) => Some(start(data, nvp, res, lr, seed)),
            Some(Request::Load { data, models, lr, seed }) => Some(new_session(data, models, lr, seed, true)),
            Some(Request::Pause) => {
                if let Some(s) = &mut session {
                    s.paused = true;
                    send_now = true;
                }
                None
            }
            Some(Request::Resume) => {
                if let Some(s) = &mut session {
                    s.paused = false;
                }
                None
            }
            Some(Request::Step(n)) => {
                if let Some(s) = session.as_mut().filter(|s| s.paused) {
                    for _ in 0..n {
                        s.step();
                    }
                    send_now = true;
                }
                None
            }
            Some(Request::SeriesTerms(n)) => {
                if let Some(s) = &mut session {
                    s.terms = n.max(1);
                    send_now = true;
                }
                None
            }
            None => None,
        };
        match started {
            Some(Ok(s)) => {
                session = Some(s);
                send_now = true;
            }
            Some(Err(message)) => {
                if replies.send(Reply::Refused(message)).is_err() {
                    return;
                }
                lesson_thread::reported(ctx);
            }
            None => {}
        }
        let Some(s) = &mut session else { continue };
        let was_training = s.training();
        if was_training {
            s.step();
        }
        let stopped = was_training && !s.training();
        let due = s.last_snapshot.is_none_or(|t| t.elapsed() >= REFRESH);
        if send_now || stopped || (s.training() && due) {
            let snap = s.snapshot(send_now || stopped);
            if replies.send(Reply::Snapshot(Box::new(snap))).is_err() {
                return;
            }
            lesson_thread::reported(ctx);
        }
    }
}
