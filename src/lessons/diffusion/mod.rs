//! "Diffusion": the forward process on 2-D data (scrub t, ᾱ_t and SNR per schedule), the learned reverse process
//! (an ε-prediction MLP trained on this lesson's thread, animated reverse pass with trajectories), digits with a
//! small U-Net (shipped checkpoint, denoising strip, train live), and diffusion as a hierarchical VAE (DAG, L_t).

// Maths notation: one-letter names (t, T, x) as in the lecture.
#![allow(clippy::many_single_char_names)]

mod digits;
mod elbo;
mod forward;
mod reverse;
pub mod worker;

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver};

use eframe::egui::{self, RichText};

use super::{Lesson, LessonContext};
use crate::data::toy2d::Toy2d;
use crate::diffusion::toy::{ToyConfig, ToyModel};
use crate::diffusion::{Sampler, Schedule, ScheduleKind};
use crate::nn::normal;
use crate::train::TrainEvent;
use crate::viz::widgets::CachedImage;
use worker::{Job, Report, Worker};

/// Points shown and trained on.
pub const POINTS: usize = 1000;
/// Points whose reverse trajectories are drawn.
pub const TRAJECTORIES: usize = 24;

/// The four parts of the lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Forward,
    Reverse,
    Digits,
    Elbo,
}

impl Page {
    const ALL: [Self; 4] = [Self::Forward, Self::Reverse, Self::Digits, Self::Elbo];
    fn label(self) -> &'static str {
        match self {
            Self::Forward => "1 · Forward: noise the data",
            Self::Reverse => "2 · Learn the reverse",
            Self::Digits => "3 · Digits (U-Net)",
            Self::Elbo => "4 · As a hierarchical VAE",
        }
    }
}

/// Where the 2-D points come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataChoice {
    Toy(Toy2d),
    Painted,
}

/// The 2-D model's training state.
#[derive(Default)]
pub struct ToyState {
    pub training: bool,
    /// The data generation the thread's kept run trained on (Resume and Step go on with it while it is current).
    pub run_data: Option<u64>,
    pub status: String,
    pub error: Option<String>,
    /// (step, smoothed loss).
    pub losses: Vec<[f64; 2]>,
    pub model: Option<ToyModel>,
    /// The animated reverse pass: states x_T … x_0 of every sampled point, and the timesteps between them.
    pub states: Vec<Vec<[f32; 2]>>,
    pub timesteps: Vec<usize>,
    pub sampler_used: Option<Sampler>,
    /// Index into `states` (fractional while playing).
    pub frame: f64,
    pub playing: bool,
    pub sample_seed: u64,
    pub elbo: Option<(Vec<(usize, f64)>, f64)>,
    pub generation: u64,
}

/// The digits part's state.
#[derive(Default)]
pub struct DigitsState {
    pub source: Option<String>,
    pub error: Option<String>,
    pub busy: Option<String>,
    pub training: bool,
    /// The live run is paused at this step (it can resume or step).
    pub live_paused: Option<usize>,
    pub losses: Vec<[f64; 2]>,
    pub states: Vec<Vec<f32>>,
    pub timesteps: Vec<usize>,
    pub sample_seconds: f64,
    pub step: usize,
    pub seed: u64,
    pub ddim_steps: usize,
    pub generation: u64,
    pub dialog: Option<Receiver<Option<PathBuf>>>,
    /// Classes the loaded model is conditioned on (0: unconditional), which digits to ask for, and the
    /// classifier-free guidance scale.
    pub classes: usize,
    pub wanted: digits::Wanted,
    pub guidance: f32,
    /// The labels and scale the shown samples were drawn with.
    pub shown_guidance: Option<crate::diffusion::digits::Guidance>,
}

/// Whether a scene's model file was written (else why not).
type Written = Result<(), String>;

/// The "Diffusion" tab.
pub struct DiffusionLesson {
    page: Page,
    data_choice: DataChoice,
    painted: Vec<[f32; 2]>,
    data: Vec<[f32; 2]>,
    /// One fixed ε per point, so scrubbing t moves every point smoothly.
    noise: Vec<[f32; 2]>,
    schedule_kind: ScheduleKind,
    steps: usize,
    t: usize,
    data_generation: u64,
    sampler_ddim: bool,
    ddim_steps: usize,
    train_iterations: usize,
    /// The seed of the next 2-D model (weights, minibatches, noise).
    pub toy_seed: u64,
    worker: Option<Worker>,
    /// Jobs asked for before the thread was started (a scene opened before the tab was shown), sent once it is.
    queued: Vec<Job>,
    started: bool,
    toy: ToyState,
    digits: DigitsState,
    cloud: CachedImage<(u64, usize, usize, [usize; 2])>,
    reverse_cloud: CachedImage<(u64, usize, [usize; 2], bool)>,
    digit_textures: digits::Textures,
    /// Saved scenes' 2-D model files are written on helper threads, which report here.
    scene_saves: (mpsc::Sender<Written>, mpsc::Receiver<Written>),
}

impl Default for DiffusionLesson {
    fn default() -> Self {
        let mut me = Self {
            page: Page::Forward,
            data_choice: DataChoice::Toy(Toy2d::Moons),
            painted: Vec::new(),
            data: Vec::new(),
            noise: Vec::new(),
            schedule_kind: ScheduleKind::Linear,
            steps: 200,
            t: 0,
            data_generation: 0,
            sampler_ddim: false,
            ddim_steps: 20,
            train_iterations: 4000,
            toy_seed: 42,
            worker: None,
            queued: Vec::new(),
            started: false,
            toy: ToyState { sample_seed: 1, ..ToyState::default() },
            digits: DigitsState {
                seed: 1,
                ddim_steps: 50,
                guidance: digits::DEFAULT_GUIDANCE,
                ..DigitsState::default()
            },
            cloud: CachedImage::default(),
            reverse_cloud: CachedImage::default(),
            digit_textures: digits::Textures::default(),
            scene_saves: mpsc::channel(),
        };
        me.refresh_data();
        me
    }
}

impl DiffusionLesson {
    /// Redraws the 2-D data for the current choice (and fresh fixed noise).
    fn refresh_data(&mut self) {
        self.data = match self.data_choice {
            DataChoice::Toy(toy) => toy.sample_standardised(POINTS, 7),
            DataChoice::Painted => self.painted.clone(),
        };
        let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(self.data_generation ^ 0xace);
        self.noise = (0..self.data.len()).map(|_| [normal(&mut rng), normal(&mut rng)]).collect();
        self.data_generation += 1;
    }

    /// The schedule the controls ask for, or why it is refused.
    fn schedule(&self) -> Result<Schedule, String> {
        Schedule::new(self.schedule_kind, self.steps).map_err(|e| e.to_string())
    }

    fn sampler(&self) -> Sampler {
        if self.sampler_ddim { Sampler::Ddim { steps: self.ddim_steps } } else { Sampler::Ddpm }
    }

    fn send(&mut self, job: Job) {
        match &self.worker {
            None => self.queued.push(job),
            Some(w) if w.tx.send(job).is_err() => self.toy.error = Some("the lesson's compute thread stopped".into()),
            Some(_) => {}
        }
    }

    /// Starts training the 2-D model on the current points.
    pub fn start_training(&mut self) {
        if self.data.len() < 2 {
            self.toy.error = Some("paint at least a few points first (click or drag in the plot)".into());
            return;
        }
        if let Err(e) = self.schedule() {
            self.toy.error = Some(e);
            return;
        }
        let config =
            ToyConfig { schedule: self.schedule_kind, steps: self.steps, seed: self.toy_seed, ..ToyConfig::default() };
        self.toy.training = true;
        self.toy.run_data = Some(self.data_generation);
        self.toy.error = None;
        self.toy.losses.clear();
        self.toy.status = "starting…".into();
        self.toy.elbo = None;
        self.send(Job::TrainToy { data: self.data.clone(), config, iterations: self.train_iterations });
    }

    /// Shows a trained 2-D model (from a scene): its samples and L_t; Train trains a new one from scratch.
    fn show_trained_toy(&mut self, model: ToyModel) {
        self.schedule_kind = model.schedule;
        self.steps = model.steps;
        self.t = self.t.min(self.steps);
        self.toy.training = false;
        self.toy.run_data = Some(self.data_generation);
        self.toy.error = None;
        self.toy.losses.clear();
        self.toy.status = format!(
            "trained: {} steps (T = {}, {} schedule), loaded — Resume trains on, Train trains a new one",
            model.trained_steps,
            model.steps,
            model.schedule.label()
        );
        self.toy.model = Some(model.clone());
        self.toy.generation += 1;
        self.request_samples();
        let data = self.data.clone();
        self.send(Job::Elbo { model: Box::new(model.clone()), data: data.clone() });
        let config = ToyConfig { seed: self.toy_seed, ..ToyConfig::default() };
        self.send(Job::UseToy { model: Box::new(model), data, config, iterations: self.train_iterations });
    }

    /// Whether the thread keeps a stopped run on the current data (Resume and Step work).
    pub fn toy_paused(&self) -> bool {
        !self.toy.training && self.toy.model.is_some() && self.toy.run_data == Some(self.data_generation)
    }

    /// Goes on training the stopped run.
    pub fn resume_training(&mut self) {
        self.toy.training = true;
        self.toy.error = None;
        self.send(Job::ResumeToy);
    }

    /// `n` optimiser steps of the stopped run; `false` when there is none on the current data.
    pub fn step_toy(&mut self, n: u32) -> bool {
        if !self.toy_paused() {
            return false;
        }
        self.send(Job::StepToy(n));
        true
    }

    fn request_samples(&mut self) {
        if let Some(model) = &self.toy.model {
            let job = Job::SampleToy {
                model: Box::new(model.clone()),
                sampler: self.sampler(),
                count: POINTS,
                seed: self.toy.sample_seed,
            };
            self.send(job);
        }
    }

    fn drain(&mut self) {
        let Some(w) = &self.worker else { return };
        let (reports, ended) = w.drain();
        for r in reports {
            self.on_report(r);
        }
        if let Some(ended) = ended {
            // The next frame starts a fresh thread; the U-Net on the dead one is gone until one is loaded again.
            // Both pages say so, whichever was working.
            self.worker = None;
            self.toy.training = false;
            self.toy.error = Some(format!("{ended}. Press Train to start again."));
            self.digits.training = false;
            self.digits.busy = None;
            self.digits.source = None;
            self.digits.error = Some(format!("{ended}. Load a checkpoint to go on."));
        }
    }

    fn on_report(&mut self, r: Report) {
        match r {
            Report::ToyProgress { step, loss, ms_per_step } => {
                if self.toy.losses.last().is_none_or(|p| p[0] < step as f64) {
                    self.toy.losses.push([step as f64, f64::from(loss)]);
                }
                self.toy.status = if ms_per_step.is_finite() {
                    format!(
                        "training: step {step} of {}, loss {loss:.3}, {ms_per_step:.1} ms/step",
                        self.train_iterations
                    )
                } else {
                    format!("stepped: step {step} of {}, loss {loss:.3}", self.train_iterations)
                };
            }
            Report::ToyTrained { model, steps } => {
                self.toy.training = false;
                self.toy.status =
                    format!("trained: {steps} steps (T = {}, {} schedule)", model.steps, model.schedule.label());
                let data = self.data.clone();
                self.toy.model = Some(*model.clone());
                self.toy.generation += 1;
                self.request_samples();
                self.send(Job::Elbo { model, data });
            }
            Report::ToyFailed(e) => {
                self.toy.training = false;
                self.toy.run_data = None;
                self.toy.error = Some(e);
            }
            Report::ToySamples { states, timesteps, sampler } => {
                self.toy.states = states;
                self.toy.timesteps = timesteps;
                self.toy.sampler_used = Some(sampler);
                self.toy.frame = 0.0;
                self.toy.playing = true;
                self.toy.generation += 1;
            }
            Report::Elbo { terms, prior } => self.toy.elbo = Some((terms, prior)),
            Report::DigitsReady { source, classes } => {
                self.digits.source = Some(source);
                self.digits.classes = classes;
                self.digits.training = false;
                self.digits.live_paused = None;
                self.digits.error = None;
                self.request_digits();
            }
            Report::DigitsFailed(e) => {
                self.digits.busy = None;
                self.digits.training = false;
                self.digits.live_paused = None;
                self.digits.error = Some(e);
            }
            Report::DigitsStrip { states, timesteps, seconds, guidance } => {
                self.digits.shown_guidance = guidance;
                self.digits.step = states.len().saturating_sub(1);
                self.digits.states = states;
                self.digits.timesteps = timesteps;
                self.digits.sample_seconds = seconds;
                self.digits.busy = None;
                self.digits.generation += 1;
            }
            Report::DigitsProgress { step, loss, elapsed } => {
                self.digits.losses.push([step as f64, f64::from(loss)]);
                self.digits.busy = Some(format!("training live: step {step}, loss {loss:.3}, {elapsed:.0} s"));
            }
            Report::DigitsPaused { step } => self.digits.live_paused = Some(step),
        }
    }

    /// `n` optimiser steps of the paused live U-Net run; `false` when none is paused.
    pub fn step_live_digits(&mut self, n: u32) -> bool {
        if self.digits.live_paused.is_none() || self.digits.training {
            return false;
        }
        self.digits.training = true;
        self.digits.busy = Some(format!("{n} live training step{}…", if n == 1 { "" } else { "s" }));
        self.send(Job::StepDigits(n));
        true
    }

    fn request_digits(&mut self) {
        self.digits.busy = Some(format!("sampling 16 digits with {} DDIM steps…", self.digits.ddim_steps));
        let d = &self.digits;
        let job = Job::SampleDigits {
            sampler: Sampler::Ddim { steps: d.ddim_steps },
            count: 16,
            seed: d.seed,
            guidance: (d.classes > 0).then(|| d.wanted.guidance(16, d.classes, d.guidance)),
        };
        self.send(job);
    }

    fn data_controls(&mut self, ui: &mut egui::Ui) {
        ui.label(RichText::new("2-D data").strong());
        let before = self.data_choice;
        for toy in [Toy2d::Moons, Toy2d::SwissRoll, Toy2d::Gaussians, Toy2d::Rings] {
            ui.radio_value(&mut self.data_choice, DataChoice::Toy(toy), toy.label());
        }
        ui.radio_value(&mut self.data_choice, DataChoice::Painted, "Paint your own points");
        if self.data_choice == DataChoice::Painted {
            ui.horizontal(|ui| {
                ui.small("Click or drag in the data plot (page 1, t = 0) to add points.");
                if ui.button("Clear points").clicked() {
                    self.painted.clear();
                    self.refresh_data();
                }
            });
        }
        if self.data_choice != before {
            self.refresh_data();
        }
    }

    fn schedule_controls(&mut self, ui: &mut egui::Ui) {
        ui.label(RichText::new("Noise schedule").strong());
        ui.horizontal(|ui| {
            for kind in ScheduleKind::ALL {
                ui.radio_value(&mut self.schedule_kind, kind, format!("{} schedule", kind.label()));
            }
        });
        ui.add(egui::Slider::new(&mut self.steps, 0..=1000).text("T (diffusion steps)"));
        if let Err(e) = self.schedule() {
            ui.colored_label(ui.visuals().warn_fg_color, format!("⚠ {e}"));
        }
        self.t = self.t.min(self.steps);
    }

    fn controls(&mut self, ui: &mut egui::Ui, cx: &LessonContext<'_>) {
        super::hall::intro(ui, "Diffusion", &EXPLANATION);
        ui.separator();
        match self.page {
            Page::Forward | Page::Reverse | Page::Elbo => {
                self.data_controls(ui);
                ui.separator();
                self.schedule_controls(ui);
                ui.separator();
                reverse::training_controls(self, ui);
            }
            Page::Digits => digits::controls(self, ui, cx),
        }
    }
}

/// The explanation panel's text for this tab.
pub const EXPLANATION: super::hall::Explanation = super::hall::Explanation {
    what: "Forward: a little Gaussian noise per step turns the data into x_T ≈ N(0, I). Reverse: a network learns \
           the noise ε_θ(x_t, t) and p_θ(x_{t−1} | x_t) undoes one step at a time. The pages show the forward \
           process, the reverse pass with trajectories, digits from a trained U-Net and the ELBO's terms.",
    formula: concat!(
        r"q(x_t \mid x_{t-1}) = \mathcal{N}\left(\sqrt{1 - \beta_t}\, x_{t-1}, \beta_t I\right)",
        "\n",
        r"q(x_t \mid x_0) = \mathcal{N}\left(\sqrt{\bar\alpha_t}\, x_0, (1 - \bar\alpha_t) I\right), \quad \bar\alpha_t = \prod_{s \leq t} (1 - \beta_s)",
        "\n",
        r"\text{Loss: } \left\| \epsilon - \epsilon_\theta\left(\sqrt{\bar\alpha_t}\, x_0 + \sqrt{1 - \bar\alpha_t}\, \epsilon, t\right) \right\|^2, \quad \epsilon \sim \mathcal{N}(0, I)",
        "\n",
        r"p_\theta(x_{t-1} \mid x_t) = \mathcal{N}\left(\frac{1}{\sqrt{1 - \beta_t}} \left(x_t - \frac{\beta_t}{\sqrt{1 - \bar\alpha_t}}\, \epsilon_\theta(x_t, t)\right), \sigma_t^2 I\right)",
    ),
    things_to_try: &[
        "Scrub t: with the linear schedule the moons are gone by t ≈ T/3; the cosine schedule destroys them more evenly.",
        "Set T = 10 with the linear schedule: β would exceed 1, so it is refused.",
        "Train, then watch the reverse pass: points drift to the data only in the last steps.",
        "Compare DDPM (all T steps, fresh noise) with DDIM (20 steps, deterministic).",
        "Paint a smiley and train on it.",
    ],
};

/// The Diffusion tab in a scene file: the page, the data, the schedule and sampler settings.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct DiffusionScene {
    page: usize,
    data: String,
    painted: Vec<[f32; 2]>,
    schedule: ScheduleKind,
    steps: usize,
    train_iterations: usize,
    sampler_ddim: bool,
    ddim_steps: usize,
    /// Scenes from before the seed was saved: the default, 42.
    #[serde(default = "super::hall::default_seed")]
    toy_seed: u64,
    /// A trained 2-D model file (`latent-lab train ddpm --out`), relative to the scene's folder when inside it:
    /// shown at once, Train still trains a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    toy_model: Option<String>,
}

/// Reads a scene's 2-D model file.
fn read_scene_toy(reference: &str, dir: &std::path::Path) -> Result<ToyModel, String> {
    let path = super::scene::resolve_file(reference, dir)?;
    let text = crate::runtime::files::read_text_limited(&path, crate::runtime::files::limit::MODEL)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    crate::diffusion::toy::read_toy_model(&text).map_err(|e| format!("{reference}: {e}"))
}

const PAINTED: &str = "painted";

impl Lesson for DiffusionLesson {
    fn name(&self) -> &'static str {
        "Diffusion"
    }

    fn save_scene(&self, _dir: &std::path::Path) -> Option<serde_json::Value> {
        let data = match self.data_choice {
            DataChoice::Toy(t) => t.label().to_owned(),
            DataChoice::Painted => PAINTED.to_owned(),
        };
        super::scene::to_value(&DiffusionScene {
            page: Page::ALL.iter().position(|&p| p == self.page).unwrap_or(0),
            data,
            painted: self.painted.clone(),
            schedule: self.schedule_kind,
            steps: self.steps,
            train_iterations: self.train_iterations,
            toy_seed: self.toy_seed,
            toy_model: None,
            sampler_ddim: self.sampler_ddim,
            ddim_steps: self.ddim_steps,
        })
    }

    /// The settings and, once the 2-D model has weights, the model as `<scene stem>-ddpm-2d.json` next to the
    /// scene (the weights the tab shows), written on a helper thread (promised, so the scene file follows it); a
    /// failure is the 2-D model's error message.
    fn save_scene_with_models(
        &mut self,
        dir: &std::path::Path,
        stem: &str,
        _cx: &mut LessonContext<'_>,
    ) -> Option<(serde_json::Value, Vec<std::path::PathBuf>)> {
        let mut part = self.save_scene(dir)?;
        let Some(model) = self.toy.model.clone() else { return Some((part, Vec::new())) };
        let path = super::scene::model_file(&dir.join(format!("{stem}.json")), "ddpm-2d", "json");
        part["toy_model"] = super::scene::reference(&path, dir).into();
        let (tx, file) = (self.scene_saves.0.clone(), path.clone());
        std::thread::spawn(move || {
            let written = crate::diffusion::toy::write_toy_model(&model).and_then(|text| {
                crate::runtime::files::write_atomic(&file, text.as_bytes())
                    .map_err(|e| format!("{}: {e}", file.display()))
            });
            let _ = tx.send(written);
        });
        Some((part, vec![path]))
    }

    fn load_scene(
        &mut self,
        scene: &serde_json::Value,
        dir: &std::path::Path,
        _cx: &mut LessonContext<'_>,
    ) -> Result<(), String> {
        let s: DiffusionScene = super::scene::parse(scene)?;
        let toy_model = s.toy_model.as_deref().map(|r| read_scene_toy(r, dir)).transpose()?;
        if toy_model.is_some() && self.toy.training {
            return Err("the 2-D model is training: pause it first".into());
        }
        let page = *Page::ALL.get(s.page).ok_or_else(|| format!("it names page {} of 4", s.page + 1))?;
        let data_choice = if s.data == PAINTED {
            DataChoice::Painted
        } else {
            DataChoice::Toy(super::scene::toy_from_label(&s.data)?)
        };
        if s.painted.iter().flatten().any(|v| !v.is_finite()) {
            return Err("its painted points are not all finite numbers".into());
        }
        self.page = page;
        self.data_choice = data_choice;
        self.painted = s.painted;
        self.schedule_kind = s.schedule;
        self.steps = s.steps;
        self.train_iterations = s.train_iterations.clamp(200, 20_000);
        self.toy_seed = s.toy_seed.clamp(1, super::hall::MAX_SEED);
        self.sampler_ddim = s.sampler_ddim;
        self.ddim_steps = s.ddim_steps.clamp(2, 100);
        self.t = self.t.min(self.steps);
        self.refresh_data();
        if let Some(model) = toy_model {
            self.show_trained_toy(model);
        }
        Ok(())
    }

    fn explanation(&self) -> Option<super::hall::Explanation> {
        Some(EXPLANATION)
    }

    /// Space trains the 2-D model (or stops its training) on the 2-D pages; on the digits page it pauses or
    /// resumes a live run (starting one takes its button: three minutes of the room's time).
    fn toggle_training(&mut self, _cx: &mut LessonContext<'_>) -> bool {
        if self.page == Page::Digits {
            if self.digits.training {
                self.send(worker::Job::Stop);
            } else if self.digits.live_paused.is_some() {
                self.digits.training = true;
                self.send(worker::Job::ResumeDigits);
            } else {
                return false;
            }
            return true;
        }
        if self.toy.training {
            self.send(worker::Job::Stop);
        } else if self.toy_paused() {
            self.resume_training();
        } else {
            self.start_training();
        }
        true
    }

    fn step_training(&mut self, n: u32, _cx: &mut LessonContext<'_>) -> bool {
        if self.page == Page::Digits {
            return self.step_live_digits(n);
        }
        self.step_toy(n)
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        while let Ok(written) = self.scene_saves.1.try_recv() {
            if let Err(e) = written {
                self.toy.error = Some(format!("The 2-D model was not saved with the scene: {e}"));
            }
        }
        if self.worker.is_none() {
            self.worker = Worker::spawn(ui.ctx().clone());
            // Only the first thread loads the shipped U-Net by itself (a load that killed a thread must not loop).
            if !self.started {
                self.started = true;
                self.digits.busy = Some("loading the shipped checkpoint…".into());
                self.send(Job::LoadShipped);
            }
            for job in std::mem::take(&mut self.queued) {
                self.send(job);
            }
        }
        self.drain();
        digits::poll_dialog(self);
        super::hall::controls_panel(ui, "diffusion-controls", 380.0, |ui| self.controls(ui, cx));
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                for page in Page::ALL {
                    ui.selectable_value(&mut self.page, page, page.label());
                }
            });
            ui.separator();
            match self.page {
                Page::Forward => forward::show(self, ui),
                Page::Reverse => reverse::show(self, ui),
                Page::Digits => digits::show(self, ui),
                Page::Elbo => elbo::show(self, ui),
            }
        });
    }

    fn on_event(&mut self, _event: &TrainEvent) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scene_reads_the_shipped_2d_model_with_its_steps_and_names_a_bad_one() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lecture");
        let model = read_scene_toy("ddpm-2d.json", &dir).unwrap();
        assert!(model.trained_steps > 1000, "the shipped model records its steps: {}", model.trained_steps);
        let e = read_scene_toy("made.json", &dir).unwrap_err();
        assert!(e.contains("made.json"), "another model's file is named: {e}");
        assert!(read_scene_toy("no-such.json", &dir).unwrap_err().contains("no-such.json"));
    }

    #[test]
    fn a_scene_with_a_2d_model_shows_it_trained_and_a_bad_one_changes_nothing() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lecture");
        let mut lesson = DiffusionLesson::default();
        let scene = lesson.save_scene(&dir).unwrap();
        let mut with_model = scene.clone();
        with_model["toy_model"] = "ddpm-2d.json".into();
        with_model["page"] = 1.into();
        let dataset = std::sync::Arc::new(crate::data::Dataset::builtin_mnist().unwrap());
        let (state, mut commands) = (crate::train::WorkerState::Idle, Vec::new());
        let mut cx = LessonContext { dataset: &dataset, worker_state: &state, commands: &mut commands };
        let mut bad = with_model.clone();
        bad["toy_model"] = "made.json".into();
        assert!(lesson.load_scene(&bad, &dir, &mut cx).is_err());
        assert!(lesson.toy.model.is_none() && lesson.page == Page::Forward, "a refused scene changes nothing");
        lesson.load_scene(&with_model, &dir, &mut cx).unwrap();
        assert!(lesson.toy.model.is_some() && lesson.page == Page::Reverse);
        assert!(lesson.toy.status.starts_with("trained: "), "{}", lesson.toy.status);
        assert!(lesson.toy_paused(), "a loaded model is shown paused: Resume and Step go on training it");
        assert_eq!(lesson.queued.len(), 3, "its samples, L_t and the run wait for the thread");
    }
}
