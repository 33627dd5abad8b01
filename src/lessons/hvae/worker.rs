//! The Hierarchical VAE lesson's compute thread: trains the model on the binarised digits and sends plain-data
//! reports (loss terms, latent codes, samples), waking the UI after each. Lowest priority, subnormals flushed; it
//! ends when the lesson drops its sender.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use burn::prelude::*;
use eframe::egui;

use crate::data::Dataset;
use crate::hvae::eval::{codes, mean_terms, sample_means};
use crate::hvae::train::{HvaeTrainer, StepTerms, TrainSettings};
use crate::hvae::{HvaeConfig, HvaeError, checkpoint};
use crate::lessons::lesson_thread::{self, LessonThread};
use crate::train::pca::plot_coordinates;

/// Samples in the grid.
pub const SAMPLES: usize = 36;
/// Seconds between snapshots (codes and samples) while training.
const SNAPSHOT_EVERY: f64 = 2.0;

/// Work for the thread.
pub enum Job {
    /// Train (continuing the current run if it has this configuration and dataset).
    /// Train (a new model from `seed` unless the current one has this dataset and config: then go on).
    Train { dataset: Arc<Dataset>, config: HvaeConfig, seed: u64 },
    /// Stop training, keep the model.
    Pause,
    /// While paused: exactly this many optimiser steps, then the progress and a snapshot.
    Step(u32),
    /// Forget the model.
    Reset,
    /// New samples from the current model with this seed.
    Sample { seed: u64 },
    /// Save the current model (FILE.bpk + FILE.json).
    Save(PathBuf),
    /// Load a model file for `dataset`; a bad file leaves the current model.
    Load { path: PathBuf, dataset: Arc<Dataset> },
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
    Progress {
        step: usize,
        terms: StepTerms,
        ms_per_step: f64,
    },
    Snapshot(Box<Snapshot>),
    Paused {
        step: usize,
    },
    Diverged(String),
    Failed(String),
    /// A model file was loaded (training paused, curves start again).
    Loaded {
        config: HvaeConfig,
        /// The optimiser steps the loaded weights were trained for.
        steps: usize,
        message: String,
    },
    /// A message that changes nothing else (`true` for an error).
    Notice(String, bool),
}

/// The lesson's handle on the thread.
pub type Worker = LessonThread<Job, Report>;

impl Worker {
    pub fn spawn(ctx: egui::Context) -> Option<Self> {
        lesson_thread::spawn("hvae-lab", ctx, |jobs, reports, ctx| {
            State { jobs, reports, ctx, run: None, training: false, sample_seed: 1, last_snapshot: None }.run();
        })
    }
}

/// How much one call of `train_a_while` trains.
#[derive(Debug, Clone, Copy)]
enum Slice {
    /// While training: about this many seconds.
    Seconds(f64),
    /// While paused (Step): exactly this many optimiser steps.
    Steps(usize),
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
        lesson_thread::reported(&self.ctx);
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
                None => self.train_a_while(Slice::Seconds(0.1)),
            };
            if !alive {
                return;
            }
        }
    }

    fn handle(&mut self, job: Job) -> bool {
        match job {
            Job::Train { dataset, config, seed } => {
                // The image size comes from the dataset; the rest must match.
                let same = self.run.as_ref().is_some_and(|r| {
                    Arc::ptr_eq(&r.source, &dataset)
                        && r.trainer.config == HvaeConfig { input_dim: r.trainer.config.input_dim, ..config.clone() }
                });
                if !same {
                    let data = dataset.binarised();
                    let config = HvaeConfig { input_dim: data.dim(), ..config };
                    match HvaeTrainer::new(config, TrainSettings { seed, ..TrainSettings::default() }, &data) {
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
            Job::Step(n) => {
                if self.training || self.run.is_none() {
                    return true;
                }
                self.train_a_while(Slice::Steps(n as usize))
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
            Job::Save(path) => {
                let Some(run) = self.run.as_ref() else {
                    return self.send(Report::Notice("No model to save yet: train one first.".into(), true));
                };
                match checkpoint::save(&run.trainer.model(), &run.trainer.config, run.trainer.steps, &path) {
                    Ok(weights) => self.send(Report::Notice(
                        format!("Saved {}", weights.with_extension("{bpk,json}").display()),
                        false,
                    )),
                    Err(e) => self.send(Report::Notice(e.to_string(), true)),
                }
            }
            Job::Load { path, dataset } => self.load(&path, dataset),
        }
    }

    fn load(&mut self, path: &std::path::Path, dataset: Arc<Dataset>) -> bool {
        let data = dataset.binarised();
        let loaded = checkpoint::load(path, &HvaeTrainer::device()).and_then(|(model, config, steps)| {
            if config.input_dim != data.dim() {
                return Err(HvaeError::WrongImageSize { expected: config.input_dim, found: data.dim() });
            }
            let mut trainer = HvaeTrainer::from_model(config, TrainSettings::default(), &data, model)?;
            trainer.steps = steps;
            Ok(trainer)
        });
        match loaded {
            Ok(trainer) => {
                let (config, steps) = (trainer.config.clone(), trainer.steps);
                self.training = false;
                self.run = Some(Run { trainer, source: dataset, data });
                // The file's name: the folder (for the shipped lecture, a cache folder) says nothing to the room.
                let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into());
                let message = format!("Loaded {name}; Train goes on training it.");
                self.send(Report::Loaded { config, steps, message }) && self.snapshot()
            }
            Err(e) => self.send(Report::Notice(format!("{e} — the current model is kept"), true)),
        }
    }

    /// A slice of steps, then a progress report (and a snapshot every few seconds, or after counted steps).
    fn train_a_while(&mut self, slice: Slice) -> bool {
        let Some(run) = self.run.as_mut() else {
            self.training = false;
            return true;
        };
        let start = Instant::now();
        let mut sum = StepTerms::default();
        let mut n = 0usize;
        let more = |n: usize| match slice {
            Slice::Seconds(s) => start.elapsed().as_secs_f64() < s,
            Slice::Steps(count) => n < count,
        };
        while more(n) {
            match run.trainer.step() {
                Ok(t) => {
                    sum.recon += t.recon;
                    sum.kl_z1 += t.kl_z1;
                    sum.kl_z2 += t.kl_z2;
                    n += 1;
                }
                Err(e @ HvaeError::Diverged(_)) => {
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
        let due = matches!(slice, Slice::Steps(_))
            || self.last_snapshot.is_none_or(|t| t.elapsed() > Duration::from_secs_f64(SNAPSHOT_EVERY));
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The next report that is not progress or a snapshot.
    fn next_other(w: &Worker) -> Report {
        loop {
            match w.recv_timeout(Duration::from_mins(2)).expect("a report") {
                Report::Progress { .. } | Report::Snapshot(_) => {}
                other => return other,
            }
        }
    }

    #[test]
    fn a_saved_model_loads_back_and_a_bad_file_keeps_the_current_one() {
        let w = Worker::spawn(egui::Context::default()).unwrap();
        let dataset = Arc::new(Dataset::builtin_mnist().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        w.tx.send(Job::Save(path.clone())).unwrap();
        assert!(matches!(next_other(&w), Report::Notice(m, true) if m.contains("No model")));
        let config = HvaeConfig::new(2, crate::hvae::Inference::FromX);
        w.tx.send(Job::Train { dataset: dataset.clone(), config: config.clone(), seed: 42 }).unwrap();
        w.tx.send(Job::Pause).unwrap();
        assert!(matches!(next_other(&w), Report::Paused { .. }));
        w.tx.send(Job::Save(path.clone())).unwrap();
        assert!(matches!(next_other(&w), Report::Notice(m, false) if m.contains("Saved")));
        std::fs::write(dir.path().join("bad.json"), "{}").unwrap();
        w.tx.send(Job::Load { path: dir.path().join("bad.json"), dataset: dataset.clone() }).unwrap();
        match next_other(&w) {
            Report::Notice(m, true) => assert!(m.contains("bad.json") && m.contains("current model is kept"), "{m}"),
            _ => panic!("expected an error notice"),
        }
        w.tx.send(Job::Load { path, dataset }).unwrap();
        match next_other(&w) {
            Report::Loaded { config: loaded, .. } => assert_eq!(loaded, config),
            _ => panic!("expected the model to load"),
        }
    }
}
