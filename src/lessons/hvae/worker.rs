//! The Hierarchical VAE lesson's compute thread: trains the model on the binarised digits and sends plain-data
//! reports (loss terms, latent codes, samples), waking the UI after each. Lowest priority, subnormals flushed; it
//! ends when the lesson drops its sender.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use burn::prelude::*;
use eframe::egui;

use crate::data::Dataset;
use crate::hvae::eval::{codes, mean_terms, sample_means};
use crate::hvae::train::{HvaeTrainer, StepTerms, TrainSettings};
use crate::hvae::{HvaeConfig, HvaeError};
use crate::models::float_env::flush_subnormals;
use crate::train::pca::plot_coordinates;

/// Samples in the grid.
pub const SAMPLES: usize = 36;
/// Seconds between snapshots (codes and samples) while training.
const SNAPSHOT_EVERY: f64 = 2.0;

/// Work for the thread.
pub enum Job {
    /// Train (continuing the current run if it has this configuration and dataset).
    Train { dataset: Arc<Dataset>, config: HvaeConfig },
    /// Stop training, keep the model.
    Pause,
    /// Forget the model.
    Reset,
    /// New samples from the current model with this seed.
    Sample { seed: u64 },
}

/// The plots' data at one moment.
pub struct Snapshot {
    pub step: usize,
    /// z₁ plot coordinates (the codes, or their first two principal components) of the held-out digits.
    pub z1: Vec<[f32; 2]>,
    /// Whether `z1` are principal components.
    pub z1_projected: bool,
    pub z2: Vec<[f32; 2]>,
    pub labels: Vec<u8>,
    /// `SAMPLES` pixel-mean images.
    pub samples: Vec<f32>,
    /// Image size of the samples.
    pub rows: usize,
    pub cols: usize,
    /// Held-out recon, KL_z₁, KL_z₂ (one sample per digit).
    pub heldout: [f64; 3],
}

/// What comes back.
pub enum Report {
    Progress { step: usize, terms: StepTerms, ms_per_step: f64 },
    Snapshot(Box<Snapshot>),
    Paused { step: usize },
    Diverged(String),
    Failed(String),
}

pub struct Worker {
    pub tx: Sender<Job>,
    pub rx: Receiver<Report>,
}

impl Worker {
    pub fn spawn(ctx: egui::Context) -> Option<Self> {
        let (tx, jobs) = mpsc::channel::<Job>();
        let (reports, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("hvae-lab".into())
            .spawn(move || {
                let _ = thread_priority::ThreadPriority::Min.set_for_current();
                let mut state =
                    State { jobs, reports, ctx, run: None, training: false, sample_seed: 1, last_snapshot: None };
                flush_subnormals(|| state.run());
            })
            .ok()?;
        Some(Self { tx, rx })
    }
}

struct Run {
    trainer: HvaeTrainer,
    source: Arc<Dataset>,
    data: Dataset,
}

struct State {
    jobs: Receiver<Job>,
    reports: Sender<Report>,
    ctx: egui::Context,
    run: Option<Run>,
    training: bool,
    sample_seed: u64,
    last_snapshot: Option<Instant>,
}

impl State {
    fn send(&self, r: Report) -> bool {
        let ok = self.reports.send(r).is_ok();
        self.ctx.request_repaint();
        ok
    }

    fn run(&mut self) {
        loop {
            let job = if self.training {
                match self.jobs.try_recv() {
                    Ok(job) => Some(job),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => return,
                }
            } else {
                match self.jobs.recv() {
                    Ok(job) => Some(job),
                    Err(_) => return,
                }
            };
            let alive = match job {
                Some(job) => self.handle(job),
                None => self.train_a_while(),
            };
            if !alive {
                return;
            }
        }
    }

    fn handle(&mut self, job: Job) -> bool {
        match job {
            Job::Train { dataset, config } => {
                let same =
                    self.run.as_ref().is_some_and(|r| Arc::ptr_eq(&r.source, &dataset) && r.trainer.config == config);
                if !same {
                    let data = dataset.binarised();
                    let config = HvaeConfig { input_dim: data.dim(), ..config };
                    match HvaeTrainer::new(config, TrainSettings::default(), &data) {
                        Ok(trainer) => self.run = Some(Run { trainer, source: dataset, data }),
                        Err(e) => return self.send(Report::Failed(e.to_string())),
                    }
                }
                self.training = true;
                true
            }
            Job::Pause => {
                self.training = false;
                let step = self.run.as_ref().map_or(0, |r| r.trainer.steps);
                self.send(Report::Paused { step }) && self.snapshot()
            }
            Job::Reset => {
                self.training = false;
                self.run = None;
                self.last_snapshot = None;
                true
            }
            Job::Sample { seed } => {
                self.sample_seed = seed;
                self.snapshot()
            }
        }
    }

    /// About a tenth of a second of steps, then a progress report (and a snapshot every few seconds).
    fn train_a_while(&mut self) -> bool {
        let Some(run) = self.run.as_mut() else {
            self.training = false;
            return true;
        };
        let start = Instant::now();
        let mut sum = StepTerms::default();
        let mut n = 0usize;
        while start.elapsed().as_secs_f64() < 0.1 {
            match run.trainer.step() {
                Ok(t) => {
                    sum.recon += t.recon;
                    sum.kl_z1 += t.kl_z1;
                    sum.kl_z2 += t.kl_z2;
                    n += 1;
                }
                Err(e @ HvaeError::Diverged { .. }) => {
                    self.training = false;
                    return self.send(Report::Diverged(e.to_string())) && self.snapshot();
                }
                Err(e) => {
                    self.training = false;
                    return self.send(Report::Failed(e.to_string()));
                }
            }
        }
        let ms_per_step = start.elapsed().as_secs_f64() * 1000.0 / n.max(1) as f64;
        let k = n.max(1) as f64;
        let terms = StepTerms { recon: sum.recon / k, kl_z1: sum.kl_z1 / k, kl_z2: sum.kl_z2 / k };
        let step = run.trainer.steps;
        if !self.send(Report::Progress { step, terms, ms_per_step }) {
            return false;
        }
        let due = self.last_snapshot.is_none_or(|t| t.elapsed() > Duration::from_secs_f64(SNAPSHOT_EVERY));
        if due { self.snapshot() } else { true }
    }

    fn snapshot(&mut self) -> bool {
        let Some(run) = self.run.as_ref() else { return true };
        self.last_snapshot = Some(Instant::now());
        let model = run.trainer.model();
        let device = Device::flex();
        let data = &run.data;
        let dim = data.dim();
        let items: Vec<usize> = data.heldout_range().take(1000).collect();
        let (z1, z2) = codes(&model, &data.pixels, dim, &items, &device);
        let (z1, projection) = plot_coordinates(&z1);
        let z2 = z2.iter().map(|c| [c.first().copied().unwrap_or(0.0), c.get(1).copied().unwrap_or(0.0)]).collect();
        let heldout = mean_terms(&model, &data.pixels, dim, &items, 3, &device);
        let snapshot = Snapshot {
            step: run.trainer.steps,
            z1,
            z1_projected: projection.is_some(),
            z2,
            labels: items.iter().map(|&i| data.labels[i]).collect(),
            samples: sample_means(&model, SAMPLES, self.sample_seed, &device),
            rows: data.rows,
            cols: data.cols,
            heldout,
        };
        self.send(Report::Snapshot(Box::new(snapshot)))
    }
}
