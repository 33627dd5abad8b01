//! The Diffusion lesson's compute thread: trains and samples the 2-D model, computes the ELBO terms, and owns the
//! digits U-Net (load, sample, train live). It receives [`Job`]s and sends back plain-data [`Report`]s, waking
//! the UI after each. It runs at the lowest priority with subnormals flushed, and ends when the lesson drops.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Instant;

use eframe::egui;

use crate::data::Dataset;
use crate::diffusion::Sampler;
use crate::diffusion::digits::{DigitsEngine, DigitsTrainer, Guidance, live_trainer};
use crate::diffusion::toy::{ToyConfig, ToyModel, ToyTrainer};
use crate::lessons::lesson_thread::{self, LessonThread};

/// Work for the thread.
pub enum Job {
    TrainToy {
        data: Vec<[f32; 2]>,
        config: ToyConfig,
        iterations: usize,
    },
    /// Stops any training (2-D or digits); the weights so far are kept (the 2-D run can go on: `ResumeToy`).
    Stop,
    /// Goes on training the stopped 2-D run.
    ResumeToy,
    /// Keeps a trained 2-D model (from a file) as the stopped run on `data`, for Resume and Step; up to
    /// `iterations` more steps.
    UseToy {
        model: Box<ToyModel>,
        data: Vec<[f32; 2]>,
        config: ToyConfig,
        iterations: usize,
    },
    /// While the 2-D run is stopped: exactly this many optimiser steps, then its model (`ToyTrained`).
    StepToy(u32),
    SampleToy {
        model: Box<ToyModel>,
        sampler: Sampler,
        count: usize,
        seed: u64,
    },
    Elbo {
        model: Box<ToyModel>,
        data: Vec<[f32; 2]>,
    },
    LoadShipped,
    LoadDigits(PathBuf),
    SampleDigits {
        sampler: Sampler,
        count: usize,
        seed: u64,
        /// Labels and guidance scale, for a class-conditional model.
        guidance: Option<Guidance>,
    },
    TrainDigits {
        dataset: Arc<Dataset>,
        seconds: f64,
    },
    /// Goes on training the paused live U-Net run (what is left of its time).
    ResumeDigits,
    /// While the live run is paused: exactly this many optimiser steps, then its samples.
    StepDigits(u32),
}

/// What comes back.
pub enum Report {
    ToyProgress {
        step: usize,
        loss: f32,
        ms_per_step: f64,
    },
    ToyTrained {
        model: Box<ToyModel>,
        steps: usize,
    },
    ToyFailed(String),
    ToySamples {
        states: Vec<Vec<[f32; 2]>>,
        timesteps: Vec<usize>,
        sampler: Sampler,
    },
    Elbo {
        terms: Vec<(usize, f64)>,
        prior: f64,
    },
    /// A digits model is ready; `classes` is 0 for an unconditional one.
    DigitsReady {
        source: String,
        classes: usize,
    },
    DigitsFailed(String),
    /// Every state of a reverse pass, and the guidance it used (None: unconditional).
    DigitsStrip {
        states: Vec<Vec<f32>>,
        timesteps: Vec<usize>,
        seconds: f64,
        guidance: Option<Guidance>,
    },
    DigitsProgress {
        step: usize,
        loss: f32,
        elapsed: f64,
    },
    /// The live U-Net run stopped with time left: it can resume or step.
    DigitsPaused {
        step: usize,
    },
}

/// The lesson's handle on the thread.
pub type Worker = LessonThread<Job, Report>;

impl Worker {
    pub fn spawn(ctx: egui::Context) -> Option<Self> {
        lesson_thread::spawn("diffusion-lab", ctx, |jobs, reports, ctx| {
            State { jobs, reports, ctx, pending: VecDeque::new(), digits: None, toy: None, live: None }.run();
        })
    }
}

struct State {
    jobs: Receiver<Job>,
    reports: Sender<Report>,
    ctx: egui::Context,
    pending: VecDeque<Job>,
    digits: Option<DigitsEngine>,
    /// The 2-D run, kept when training stops so it can go on or step.
    toy: Option<ToyRun>,
    /// The live U-Net run, kept when paused with time left.
    live: Option<LiveRun>,
}

/// A live U-Net training run: the trainer, the seconds it trained and the seconds it may.
struct LiveRun {
    trainer: DigitsTrainer,
    spent: f64,
    budget: f64,
}

/// A 2-D training run: the trainer, its step budget and its learning-rate schedule's base.
struct ToyRun {
    trainer: ToyTrainer,
    iterations: usize,
    learning_rate: f32,
    /// The smoothed loss shown.
    smooth: f32,
}

impl ToyRun {
    fn new(trainer: ToyTrainer, iterations: usize, learning_rate: f32) -> Self {
        Self { trainer, iterations, learning_rate, smooth: f32::NAN }
    }

    /// One optimiser step at the cosine schedule's rate for this point of the run.
    fn step(&mut self) -> Result<(), crate::nn::Diverged> {
        let fraction = self.trainer.steps_done as f64 / self.iterations.max(1) as f64;
        let lr = crate::nn::cosine_decay(f64::from(self.learning_rate), 0.1, fraction) as f32;
        self.trainer.set_learning_rate(lr);
        let l = self.trainer.step()?;
        self.smooth = if self.smooth.is_nan() { l } else { 0.97 * self.smooth + 0.03 * l };
        Ok(())
    }
}

impl State {
    fn send(&self, r: Report) -> bool {
        let ok = self.reports.send(r).is_ok();
        lesson_thread::reported(&self.ctx);
        ok
    }

    fn next(&mut self) -> Option<Job> {
        if let Some(j) = self.pending.pop_front() {
            return Some(j);
        }
        self.jobs.recv().ok()
    }

    /// While training: true if a Stop arrived (other jobs wait in `pending`).
    fn stop_requested(&mut self) -> bool {
        let mut stop = false;
        while let Ok(job) = self.jobs.try_recv() {
            match job {
                Job::Stop => stop = true,
                // A new training run replaces this one.
                Job::TrainToy { .. } | Job::TrainDigits { .. } => {
                    stop = true;
                    self.pending.push_back(job);
                }
                other => self.pending.push_back(other),
            }
        }
        stop
    }

    fn run(&mut self) {
        while let Some(job) = self.next() {
            let alive = match job {
                Job::TrainToy { data, config, iterations } => match ToyTrainer::new(data, &config) {
                    Ok(trainer) => {
                        self.toy = Some(ToyRun::new(trainer, iterations, config.learning_rate));
                        self.train_toy()
                    }
                    Err(e) => self.send(Report::ToyFailed(e.to_string())),
                },
                Job::ResumeToy => self.train_toy(),
                Job::UseToy { model, data, config, iterations } => {
                    let total = model.trained_steps + iterations;
                    match ToyTrainer::from_model(data, *model, &config) {
                        Ok(trainer) => {
                            self.toy = Some(ToyRun::new(trainer, total, config.learning_rate));
                            true
                        }
                        Err(e) => self.send(Report::ToyFailed(e.to_string())),
                    }
                }
                Job::StepToy(n) => self.step_toy(n),
                Job::Stop => true,
                Job::SampleToy { model, sampler, count, seed } => {
                    let mut timesteps = Vec::new();
                    if let Ok(s) = model.schedule() {
                        timesteps = sampler.timesteps(&s);
                    }
                    match model.sample(sampler, count, seed, true) {
                        Ok((_, states)) => self.send(Report::ToySamples { states, timesteps, sampler }),
                        Err(e) => self.send(Report::ToyFailed(e.to_string())),
                    }
                }
                Job::Elbo { model, data } => match model.elbo_terms(&data, 11) {
                    Ok((terms, prior)) => self.send(Report::Elbo { terms, prior }),
                    Err(e) => self.send(Report::ToyFailed(e.to_string())),
                },
                Job::LoadShipped => match DigitsEngine::shipped() {
                    Ok(engine) => {
                        self.live = None;
                        self.ready(engine)
                    }
                    Err(e) => self.send(Report::DigitsFailed(e.to_string())),
                },
                Job::LoadDigits(path) => match DigitsEngine::load(&path, 28) {
                    Ok(engine) => {
                        self.live = None;
                        self.ready(engine)
                    }
                    Err(e) => self.send(Report::DigitsFailed(format!("{e} — the current model is kept"))),
                },
                Job::SampleDigits { sampler, count, seed, guidance } => {
                    self.sample_digits(sampler, count, seed, guidance.as_ref())
                }
                Job::TrainDigits { dataset, seconds } => match live_trainer(&dataset, 1) {
                    Ok(trainer) => {
                        self.live = Some(LiveRun { trainer, spent: 0.0, budget: seconds });
                        self.train_live()
                    }
                    Err(e) => self.send(Report::DigitsFailed(e)),
                },
                Job::ResumeDigits => self.train_live(),
                Job::StepDigits(n) => self.step_live(n),
            };
            if !alive {
                return;
            }
        }
    }

    fn ready(&mut self, engine: DigitsEngine) -> bool {
        let (source, classes) = (engine.source.clone(), engine.config.classes);
        self.digits = Some(engine);
        self.send(Report::DigitsReady { source, classes })
    }

    fn sample_digits(&mut self, sampler: Sampler, count: usize, seed: u64, guidance: Option<&Guidance>) -> bool {
        let Some(engine) = &self.digits else { return self.send(Report::DigitsFailed("no digits model yet".into())) };
        let start = Instant::now();
        let mut states = Vec::new();
        let result =
            engine.sample(sampler, count, seed, guidance, |x| states.push(crate::diffusion::digits::to_pixels(x)));
        let timesteps = crate::diffusion::Schedule::new(engine.config.schedule, engine.config.steps)
            .map(|s| sampler.timesteps(&s))
            .unwrap_or_default();
        match result {
            Ok(_) => self.send(Report::DigitsStrip {
                states,
                timesteps,
                seconds: start.elapsed().as_secs_f64(),
                guidance: guidance.filter(|_| engine.config.classes > 0).cloned(),
            }),
            Err(e) => self.send(Report::DigitsFailed(e)),
        }
    }

    /// Trains the kept 2-D run to its step budget or until a Stop, reporting progress every 0.1 s; the run stays
    /// for `ResumeToy` / `StepToy`.
    fn train_toy(&mut self) -> bool {
        let Some(mut run) = self.toy.take() else { return true };
        let start = Instant::now();
        let first = run.trainer.steps_done;
        let mut last = Instant::now();
        let failure = loop {
            if run.trainer.steps_done >= run.iterations || self.stop_requested() {
                break None;
            }
            if let Err(e) = (0..10).try_for_each(|_| run.step()) {
                break Some(e.to_string());
            }
            if last.elapsed().as_secs_f64() > 0.1 {
                last = Instant::now();
                let ms = start.elapsed().as_secs_f64() * 1000.0 / (run.trainer.steps_done - first).max(1) as f64;
                let step = run.trainer.steps_done;
                if !self.send(Report::ToyProgress { step, loss: run.smooth, ms_per_step: ms }) {
                    return false;
                }
            }
        };
        if let Some(message) = failure {
            return self.toy_failed(run, &message);
        }
        let done =
            self.send(Report::ToyTrained { model: Box::new(run.trainer.ema.clone()), steps: run.trainer.steps_done });
        self.toy = Some(run);
        done
    }

    /// Exactly `n` optimiser steps of the stopped 2-D run, then its progress and model.
    fn step_toy(&mut self, n: u32) -> bool {
        let Some(mut run) = self.toy.take() else { return true };
        if let Err(e) = (0..n).try_for_each(|_| run.step()) {
            return self.toy_failed(run, &e.to_string());
        }
        let step = run.trainer.steps_done;
        let alive = self.send(Report::ToyProgress { step, loss: run.smooth, ms_per_step: f64::NAN })
            && self.send(Report::ToyTrained { model: Box::new(run.trainer.ema.clone()), steps: step });
        self.toy = Some(run);
        alive
    }

    /// A diverged step: the moving average so far is shown, the run is dropped.
    fn toy_failed(&mut self, run: ToyRun, message: &str) -> bool {
        self.send(Report::ToyTrained { model: Box::new(run.trainer.ema), steps: run.trainer.steps_done });
        self.send(Report::ToyFailed(message.to_owned()))
    }

    /// Trains the live U-Net run until its time is spent (then its samples; the run ends) or a Stop (then its
    /// samples and `DigitsPaused`; the run stays for `ResumeDigits` / `StepDigits`).
    fn train_live(&mut self) -> bool {
        let Some(mut run) = self.live.take() else { return true };
        let start = Instant::now();
        let stopped = loop {
            let elapsed = run.spent + start.elapsed().as_secs_f64();
            if elapsed >= run.budget {
                break false;
            }
            if self.stop_requested() {
                break true;
            }
            match run.trainer.step() {
                Ok(loss) => {
                    let step = run.trainer.steps_done;
                    if !self.send(Report::DigitsProgress { step, loss, elapsed }) {
                        return false;
                    }
                }
                Err(e) => {
                    self.send(Report::DigitsFailed(e));
                    break false;
                }
            }
        };
        run.spent += start.elapsed().as_secs_f64();
        self.show_live(run, stopped)
    }

    /// Exactly `n` optimiser steps of the paused live run, then its samples.
    fn step_live(&mut self, n: u32) -> bool {
        let Some(mut run) = self.live.take() else { return true };
        let start = Instant::now();
        for _ in 0..n {
            match run.trainer.step() {
                Ok(loss) => {
                    let (step, elapsed) = (run.trainer.steps_done, run.spent + start.elapsed().as_secs_f64());
                    if !self.send(Report::DigitsProgress { step, loss, elapsed }) {
                        return false;
                    }
                }
                Err(e) => {
                    self.send(Report::DigitsFailed(e));
                    break;
                }
            }
        }
        run.spent += start.elapsed().as_secs_f64();
        self.show_live(run, true)
    }

    /// The live run's model becomes the one sampled; a run that is only paused (`keep`) stays for more.
    fn show_live(&mut self, run: LiveRun, keep: bool) -> bool {
        let trainer = &run.trainer;
        let source = format!(
            "trained live ({} channels, {} steps in {:.0} s)",
            crate::diffusion::digits::channels_label(&trainer.config),
            trainer.steps_done,
            run.spent
        );
        let Some(engine) = DigitsEngine::from_trainer(trainer, source) else {
            return self.send(Report::DigitsFailed("training lost the model".into()));
        };
        let step = trainer.steps_done;
        if !self.ready(engine) {
            return false;
        }
        if keep {
            self.live = Some(run);
            return self.send(Report::DigitsPaused { step });
        }
        true
    }
}
