//! The "Hierarchical VAE" tab: a VAE within a VAE. Two stochastic layers z₂ → z₁ → x, the generative and the chosen
//! inference DAG (each opens in the d-separation editor), both latent spaces, ancestral samples, and the ELBO split
//! into reconstruction, KL_z₁ and KL_z₂. Training runs on the lesson's own thread ([`worker`]).

mod view;
pub mod worker;

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver};

use eframe::egui::{self, RichText};

use self::worker::{Job, Report, Snapshot, Worker};
use super::classroom::Control;
use super::{AppRequest, Lesson, LessonContext};
use crate::hvae::HvaeConfig;
use crate::hvae::Inference;
use crate::hvae::dags::Which;
use crate::hvae::train::StepTerms;
use crate::train::TrainEvent;
use crate::viz::widgets::CachedImage;

/// Points kept per curve (older points are thinned).
const MAX_CURVE: usize = 4000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunState {
    NotStarted,
    Training,
    Paused,
    Stopped,
}

/// The "Hierarchical VAE" tab.
pub struct HvaeLesson {
    z1_dim: usize,
    inference: Inference,
    worker: Option<Worker>,
    state: RunState,
    /// The configuration of the model on the thread (settings changed since then start a new one).
    run_config: Option<HvaeConfig>,
    step: usize,
    last: Option<StepTerms>,
    ms_per_step: f64,
    elbo: Vec<[f64; 2]>,
    kl1: Vec<[f64; 2]>,
    kl2: Vec<[f64; 2]>,
    snapshot: Option<Box<Snapshot>>,
    generation: u64,
    samples: CachedImage<u64>,
    sample_seed: u64,
    /// The seed of the next new model (weights, minibatches, noise).
    seed: u64,
    message: Option<(String, bool)>,
    request: Option<AppRequest>,
    /// A file dialog on a helper thread: the chosen path, and whether to save (else load).
    dialog: Option<(Receiver<Option<PathBuf>>, bool)>,
    /// A model file from an opened scene, sent to the thread with the next frame.
    scene_model: Option<PathBuf>,
}

impl Default for HvaeLesson {
    fn default() -> Self {
        Self {
            z1_dim: 8,
            inference: Inference::BottomUp,
            worker: None,
            state: RunState::NotStarted,
            run_config: None,
            step: 0,
            last: None,
            ms_per_step: 0.0,
            elbo: Vec::new(),
            kl1: Vec::new(),
            kl2: Vec::new(),
            snapshot: None,
            generation: 0,
            samples: CachedImage::default(),
            sample_seed: 1,
            seed: super::hall::default_seed(),
            message: None,
            request: None,
            dialog: None,
            scene_model: None,
        }
    }
}

fn push_thinned(curve: &mut Vec<[f64; 2]>, p: [f64; 2]) {
    if curve.len() >= MAX_CURVE {
        // Keep every other point: the curve's shape stays, the memory stays bounded.
        let kept: Vec<[f64; 2]> = curve.iter().step_by(2).copied().collect();
        *curve = kept;
    }
    curve.push(p);
}

impl HvaeLesson {
    fn send(&mut self, job: Job) {
        let ok = self.worker.as_ref().is_some_and(|w| w.tx.send(job).is_ok());
        if !ok {
            self.message = Some(("the lesson's training thread is not running; restart the app".into(), true));
        }
    }

    fn config(&self) -> HvaeConfig {
        HvaeConfig::new(self.z1_dim, self.inference)
    }

    fn drain(&mut self) {
        let Some(w) = &self.worker else { return };
        let (reports, ended) = w.drain();
        if let Some(ended) = ended {
            // The next frame starts a fresh thread; the curves stay, the model on the dead thread is gone.
            self.worker = None;
            self.state = RunState::Stopped;
            self.run_config = None;
            self.message = Some((format!("{ended}. Press Train to start a new model."), true));
        }
        for r in reports {
            match r {
                Report::Progress { step, terms, ms_per_step } => {
                    self.step = step;
                    self.ms_per_step = ms_per_step;
                    self.last = Some(terms);
                    let s = step as f64;
                    push_thinned(&mut self.elbo, [s, terms.elbo()]);
                    push_thinned(&mut self.kl1, [s, terms.kl_z1]);
                    push_thinned(&mut self.kl2, [s, terms.kl_z2]);
                }
                Report::Snapshot(s) => {
                    self.snapshot = Some(s);
                    self.generation += 1;
                }
                Report::Paused { step } => {
                    self.step = step;
                    if self.state == RunState::Training {
                        self.state = RunState::Paused;
                    }
                }
                Report::Loaded { config, steps, message } => {
                    self.z1_dim = config.z1_dim;
                    self.inference = config.inference;
                    self.run_config = Some(config);
                    self.state = RunState::Paused;
                    self.step = steps;
                    self.last = None;
                    self.elbo.clear();
                    self.kl1.clear();
                    self.kl2.clear();
                    self.message = Some((message, false));
                }
                Report::Notice(m, error) => self.message = Some((m, error)),
                Report::Diverged(m) | Report::Failed(m) => {
                    self.state = RunState::Stopped;
                    self.message = Some((m, true));
                }
            }
        }
    }

    /// Runs the system file dialog on a helper thread (the UI never waits on it).
    fn open_dialog(&mut self, ctx: &egui::Context, save: bool) {
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let dialog = rfd::FileDialog::new().add_filter("Hierarchical VAE model", &["json", "bpk"]);
            let path = if save {
                dialog.set_title("Save the hierarchical VAE").set_file_name("hvae.json").save_file()
            } else {
                dialog.set_title("Load a hierarchical VAE").pick_file()
            };
            let _ = tx.send(path);
            crate::pacing::wake(&ctx);
        });
        self.dialog = Some((rx, save));
    }

    fn poll_dialog(&mut self, cx: &LessonContext<'_>) {
        let Some((rx, save)) = &self.dialog else { return };
        let save = *save;
        let Ok(path) = rx.try_recv() else { return };
        self.dialog = None;
        match path {
            Some(path) if save => self.send(Job::Save(path)),
            Some(path) => self.send(Job::Load { path, dataset: cx.dataset.clone() }),
            None => {
                self.message = Some(("No file chosen (or no file dialog is available on this desktop).".into(), true));
            }
        }
    }

    fn reset(&mut self) {
        self.send(Job::Reset);
        self.state = RunState::NotStarted;
        self.run_config = None;
        self.step = 0;
        self.last = None;
        self.elbo.clear();
        self.kl1.clear();
        self.kl2.clear();
        self.snapshot = None;
        self.message = None;
    }

    fn controls(&mut self, ui: &mut egui::Ui, cx: &LessonContext<'_>) {
        super::hall::intro(ui, "A VAE within a VAE", &self.explanation_text());
        ui.separator();
        ui.label(RichText::new("Model").strong());
        let before = (self.z1_dim, self.inference);
        ui.horizontal(|ui| {
            ui.label("Size of z₁:");
            ui.radio_value(&mut self.z1_dim, 2, "z₁ 2-D");
            ui.radio_value(&mut self.z1_dim, 8, "z₁ 8-D");
        });
        ui.label("Inference DAG:");
        for inference in Inference::ALL {
            let label = match inference {
                Inference::BottomUp => "Bottom-up: x → z₁ → z₂",
                Inference::FromX => "Both from x: x → z₁, x → z₂",
            };
            ui.radio_value(&mut self.inference, inference, label);
        }
        if before.1 != self.inference {
            // The explanation panel, drawn before, follows the inference DAG: draw the frame again.
            ui.ctx().request_discard("the inference DAG changed");
        }
        if before != (self.z1_dim, self.inference) && self.run_config.is_some() {
            self.reset();
            self.message = Some(("Model changed: press Train to train the new one from scratch.".into(), false));
        }
        ui.small("z₂ is 2-D. Layers: x (784) → 256 → z₁ → 128 → z₂; p(z₁|z₂) and p(x|z₁) mirror them.");
        super::hall::seed_field(ui, &mut self.seed, self.run_config.is_none(), "hierarchical VAE");
        ui.separator();
        super::classroom::unless_hidden(ui, Control::Training, |ui| {
            ui.horizontal(|ui| {
                let training = self.state == RunState::Training;
                let label = if self.run_config.is_some() && !training { "Resume" } else { "Train" };
                if ui
                    .add_enabled(!training, egui::Button::new(label))
                    .on_hover_text("Train on the binarised digits (Adam, batch 128)")
                    .clicked()
                {
                    self.train(cx);
                }
                if ui.add_enabled(training, egui::Button::new("Pause")).clicked() {
                    self.pause();
                }
                if let Some(n) = super::hall::step_buttons(ui, self.state == RunState::Paused) {
                    self.step_paused(n);
                }
                if ui
                    .add_enabled(self.run_config.is_some(), egui::Button::new("Reset"))
                    .on_hover_text("Forget the model")
                    .clicked()
                {
                    self.reset();
                }
            })
        });
        if ui.add_enabled(self.snapshot.is_some(), egui::Button::new("New samples")).clicked() {
            self.sample_seed += 1;
            let seed = self.sample_seed;
            self.send(Job::Sample { seed });
        }
        super::classroom::unless_hidden(ui, Control::Files, |ui| {
            ui.horizontal(|ui| {
                let idle = self.dialog.is_none() && self.state != RunState::Training;
                if ui
                    .add_enabled(idle && self.snapshot.is_some(), egui::Button::new("Save model…"))
                    .on_hover_text("FILE.bpk + FILE.json")
                    .clicked()
                {
                    self.open_dialog(ui.ctx(), true);
                }
                if ui
                    .add_enabled(idle, egui::Button::new("Load model…"))
                    .on_hover_text("e.g. a model from latent-lab train hvae --out FILE")
                    .clicked()
                {
                    self.open_dialog(ui.ctx(), false);
                }
            })
        });
        let status = match self.state {
            RunState::NotStarted => "Press Train to start.".to_owned(),
            RunState::Training => {
                format!("Training: step {} ({:.1} ms per step of 128 digits)", self.step, self.ms_per_step)
            }
            RunState::Paused => format!("Paused at step {}.", self.step),
            RunState::Stopped => format!("Stopped at step {}.", self.step),
        };
        ui.label(status);
        if let Some((m, error)) = &self.message {
            if *error {
                ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {m}"));
            } else {
                ui.label(m);
            }
        }
        ui.separator();
        ui.label(RichText::new("The DAGs in the d-separation editor").strong());
        if ui.button("Open the generative DAG in the d-separation editor").clicked() {
            self.request = Some(AppRequest::OpenInDsep { dagitty: Which::Generative.dagitty() });
        }
        if ui.button("Open the inference DAG in the d-separation editor").clicked() {
            self.request = Some(AppRequest::OpenInDsep { dagitty: Which::Inference(self.inference).dagitty() });
        }
        ui.small("Your graph in the editor stays one Undo away.");
    }

    fn train(&mut self, cx: &LessonContext<'_>) {
        let config = self.config();
        self.run_config = Some(config.clone());
        self.message = None;
        self.state = RunState::Training;
        self.send(Job::Train { dataset: cx.dataset.clone(), config, seed: self.seed });
    }

    fn pause(&mut self) {
        self.send(Job::Pause);
        self.state = RunState::Paused;
    }

    /// `n` optimiser steps of the paused model; `false` unless paused.
    fn step_paused(&mut self, n: u32) -> bool {
        if self.state != RunState::Paused {
            return false;
        }
        self.send(Job::Step(n));
        true
    }

    /// The explanation of the chosen inference DAG (the KL terms differ).
    fn explanation_text(&self) -> super::hall::Explanation {
        match self.inference {
            Inference::BottomUp => EXPLANATION_BOTTOM_UP,
            Inference::FromX => EXPLANATION_FROM_X,
        }
    }

    fn numbers(&self, ui: &mut egui::Ui) {
        if self.last.is_none() && self.snapshot.is_none() {
            ui.label("ELBO terms appear once training starts.");
            return;
        }
        let t = self.last;
        egui::Grid::new("hvae-terms").num_columns(3).striped(true).show(ui, |ui| {
            ui.label("");
            ui.label(RichText::new("training batches").strong());
            ui.label(RichText::new("held-out digits").strong());
            ui.end_row();
            let held = self.snapshot.as_ref().map(|s| s.heldout);
            let rows: [(&str, Option<f64>, Option<f64>); 4] = [
                ("ELBO", t.map(|t| t.elbo()), held.map(|h| -(h[0] + h[1] + h[2]))),
                ("reconstruction −E_q[log p(x|z₁)]", t.map(|t| t.recon), held.map(|h| h[0])),
                ("KL_z₁", t.map(|t| t.kl_z1), held.map(|h| h[1])),
                ("KL_z₂", t.map(|t| t.kl_z2), held.map(|h| h[2])),
            ];
            for (name, train, held) in rows {
                ui.label(name);
                ui.label(train.map_or_else(|| "…".to_owned(), |v| format!("{v:.2} nats")));
                ui.label(held.map_or_else(|| "…".to_owned(), |v| format!("{v:.2} nats")));
                ui.end_row();
            }
        });
    }

    fn central(&mut self, ui: &mut egui::Ui) {
        let avail = ui.available_size();
        let gap = ui.spacing().item_spacing.x;
        ui.horizontal_top(|ui| {
            let dag_size = egui::vec2(150.0, 190.0);
            view::dag(ui, "Generative DAG", Which::Generative, dag_size);
            view::dag(ui, "Inference DAG", Which::Inference(self.inference), dag_size);
            ui.vertical(|ui| {
                ui.label(RichText::new("The ELBO in three terms (nats per digit)").strong());
                self.numbers(ui);
            });
        });
        ui.separator();
        let plot_w = ((avail.x - 2.0 * gap) / 3.0).clamp(160.0, 330.0);
        let plot = egui::vec2(plot_w, plot_w);
        ui.horizontal_top(|ui| match &self.snapshot {
            Some(s) => {
                view::latent_plot(
                    ui,
                    "hvae-z2",
                    &format!("z₂ of held-out digits (step {})", s.step),
                    &s.z2,
                    &s.labels,
                    ["z₂,₁", "z₂,₂"],
                    plot,
                );
                let (title, axes) = if s.z1_projected {
                    ("z₁: first two principal components", ["PC 1", "PC 2"])
                } else {
                    ("z₁ of held-out digits", ["z₁,₁", "z₁,₂"])
                };
                view::latent_plot(ui, "hvae-z1", title, &s.z1, &s.labels, axes, plot);
                ui.vertical(|ui| {
                    ui.label(RichText::new("Samples from the full model").strong());
                    let key = self.generation;
                    let texture = self.samples.get(ui.ctx(), "hvae-samples", key, || view::samples_image(s));
                    let side = plot_w - 24.0;
                    let shown = ui.add(
                        egui::Image::new(egui::load::SizedTexture::new(texture, egui::vec2(side, side)))
                            .alt_text("Samples z₂ ~ N(0, I) → z₁ ~ p(z₁|z₂) → mean of p(x|z₁)")
                            .sense(egui::Sense::click()),
                    );
                    crate::viz::export::context_menu(&shown, "hvae-samples", None);
                });
            }
            None => {
                for text in ["z₂ (2-D) appears here", "z₁ appears here", "samples appear here"] {
                    view::placeholder(ui, plot, text);
                }
            }
        });
        ui.separator();
        let h = (ui.available_height() - 40.0).max(120.0);
        view::curves(ui, &self.elbo, &self.kl1, &self.kl2, egui::vec2(ui.available_width(), h));
    }
}

impl Lesson for HvaeLesson {
    fn name(&self) -> &'static str {
        "Hierarchical VAE"
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        if self.worker.is_none() {
            self.worker = Worker::spawn(ui.ctx().clone());
        }
        self.drain();
        if let Some(path) = self.scene_model.take() {
            // The scene's sample seed first, so the loaded model's samples are the scene's.
            self.send(Job::Sample { seed: self.sample_seed });
            self.send(Job::Load { path, dataset: cx.dataset.clone() });
        }
        self.poll_dialog(cx);
        super::hall::controls_panel(ui, "hvae-controls", 360.0, |ui| self.controls(ui, cx));
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| self.central(ui));
        });
    }

    fn on_event(&mut self, _event: &TrainEvent) {}

    fn on_dataset_changed(&mut self) {
        if self.run_config.is_some() {
            self.reset();
            self.message = Some(("New dataset: press Train to train on it.".into(), false));
        }
    }

    fn take_request(&mut self) -> Option<AppRequest> {
        self.request.take()
    }

    fn explanation(&self) -> Option<super::hall::Explanation> {
        Some(self.explanation_text())
    }

    /// Space: Train (or Resume) when idle, Pause while training.
    fn toggle_training(&mut self, cx: &mut LessonContext<'_>) -> bool {
        if self.state == RunState::Training {
            self.pause();
        } else {
            self.train(cx);
        }
        true
    }

    fn step_training(&mut self, n: u32, _cx: &mut LessonContext<'_>) -> bool {
        self.step_paused(n)
    }

    fn save_scene(&self, _dir: &std::path::Path) -> Option<serde_json::Value> {
        super::scene::to_value(&self.scene_settings(None))
    }

    /// The settings and, once a model exists, the model as `<scene stem>-hvae.bpk` + `.json` next to the scene. The
    /// lesson's thread writes the files (Save model…'s path; promised, so the scene file follows them): it handles
    /// jobs in order, so the files are there before anything else it is asked; a failure shows as the tab's
    /// message.
    fn save_scene_with_models(
        &mut self,
        dir: &std::path::Path,
        stem: &str,
        _cx: &mut LessonContext<'_>,
    ) -> Option<(serde_json::Value, Vec<std::path::PathBuf>)> {
        let path = super::scene::model_file(&dir.join(format!("{stem}.json")), "hvae", "json");
        let sent = self.run_config.is_some()
            && self.worker.as_ref().is_some_and(|w| w.tx.send(Job::Save(path.clone())).is_ok());
        let (weights, description) = crate::runtime::files::pair_paths(&path);
        let promised = if sent { vec![weights, description] } else { Vec::new() };
        let part = super::scene::to_value(&self.scene_settings(sent.then(|| super::scene::reference(&path, dir))))?;
        Some((part, promised))
    }

    /// The settings, and the model when the scene has one (loaded by the thread with the tab's next frame, i.e.
    /// when the tab is next shown, as with Load
    /// model…: damaged weights are the tab's message and the current model is kept). A missing model file, or a
    /// description that is not a hierarchical VAE's, refuses the scene. Without a model in the scene, a trained model with other settings is forgotten, as when the settings
    /// change on screen.
    fn load_scene(
        &mut self,
        scene: &serde_json::Value,
        dir: &std::path::Path,
        _cx: &mut LessonContext<'_>,
    ) -> Result<(), String> {
        let s: HvaeScene = super::scene::parse(scene)?;
        let model = s.model.as_deref().map(|m| super::scene::resolve_model(m, dir)).transpose()?;
        if let Some(path) = &model {
            // The description is small: another model's file is refused here; the weights are checked on loading.
            let (_, description) = crate::hvae::checkpoint::files(path);
            let text =
                crate::runtime::files::read_text_limited(&description, crate::runtime::files::limit::DESCRIPTION)
                    .map_err(|e| format!("{}: {e}", description.display()))?;
            crate::hvae::checkpoint::parse_config(&text, &description).map_err(|e| e.to_string())?;
        }
        if ![2, 8].contains(&s.z1_dim) {
            return Err(format!("z₁ must be 2-D or 8-D, not {}-D", s.z1_dim));
        }
        if self.state == RunState::Training {
            return Err("the Hierarchical VAE is training: pause it first".into());
        }
        let changed = (s.z1_dim, s.inference) != (self.z1_dim, self.inference);
        self.z1_dim = s.z1_dim;
        self.inference = s.inference;
        self.sample_seed = s.sample_seed;
        self.seed = s.seed.clamp(1, super::hall::MAX_SEED);
        if changed && self.run_config.is_some() {
            self.reset();
        }
        self.scene_model = model;
        Ok(())
    }
}

impl HvaeLesson {
    fn scene_settings(&self, model: Option<String>) -> HvaeScene {
        HvaeScene {
            z1_dim: self.z1_dim,
            inference: self.inference,
            sample_seed: self.sample_seed,
            seed: self.seed,
            model,
        }
    }
}

/// The Hierarchical VAE tab in a scene file: its settings and the model file, if one was trained.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct HvaeScene {
    z1_dim: usize,
    inference: Inference,
    sample_seed: u64,
    /// The seed of the next new model.
    #[serde(default = "super::hall::default_seed")]
    seed: u64,
    /// `NAME.bpk` (with `NAME.json`), relative to the scene's folder when inside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model: Option<String>,
}

const WHAT: &str = "Two layers of latent variables, z₂ → z₁ → x, each with its own KL term. The generative and the \
    inference DAG (each opens in the d-separation editor), the ELBO split into three terms, the encoder means of the \
    1,000 held-out digits (z₂ directly; z₁ directly when 2-D, else its first two principal components), and samples \
    z₂ ∼ N(0, I) → z₁ ∼ p(z₁|z₂) → the mean of p(x|z₁).";

const THINGS_TO_TRY: &[&str] = &[
    "Train and watch KL_z₂: if it sinks towards 0 the top layer is unused (posterior collapse) and the z₂ plot \
     becomes one round blob.",
    "Switch to 'Both from x' and compare the ELBO and the two KL terms after the same number of steps.",
    "Open the inference DAG in the d-separation editor: is z₂ ⊥⊥ x | z₁? Yes for bottom-up, no for both-from-x.",
    "Open the generative DAG: which nodes are x's parents? Is x ⊥⊥ z₂ | z₁?",
    "Set z₁ to 2-D: the z₁ plot then shows the codes themselves, and the ELBO drops.",
    "Press New samples a few times: the digits come from the full model, top to bottom.",
];

/// The explanation with the bottom-up inference DAG.
pub const EXPLANATION_BOTTOM_UP: super::hall::Explanation = super::hall::Explanation {
    what: WHAT,
    formula: concat!(
        r"p(x, z_1, z_2) = p(z_2)\, p(z_1 \mid z_2)\, p(x \mid z_1), \quad p(z_2) = \mathcal{N}(0, I), \quad \text{Bernoulli pixels } p(x \mid z_1)",
        "\n",
        r"\mathrm{ELBO} = \mathbb{E}_q\left[\log p(x \mid z_1)\right] - \mathrm{KL}\left(q(z_1 \mid x) \,\|\, p(z_1 \mid z_2)\right) - \mathrm{KL}\left(q(z_2 \mid z_1) \,\|\, \mathcal{N}(0, I)\right) \leq \log p(x)",
        "\n",
        r"\text{bottom-up: } q(z_1, z_2 \mid x) = q(z_1 \mid x)\, q(z_2 \mid z_1) \text{; } \mathrm{KL}_{z_2} \text{ in closed form for each sampled } z_1",
        "\n",
        r"\mathrm{KL}_{z_1} = \mathbb{E}_q\left[\log q(z_1 \mid x) - \log p(z_1 \mid z_2)\right] \text{, a one-sample Monte Carlo estimate}",
    ),
    things_to_try: THINGS_TO_TRY,
};

/// The explanation with both latents inferred from x.
pub const EXPLANATION_FROM_X: super::hall::Explanation = super::hall::Explanation {
    what: WHAT,
    formula: concat!(
        r"p(x, z_1, z_2) = p(z_2)\, p(z_1 \mid z_2)\, p(x \mid z_1), \quad p(z_2) = \mathcal{N}(0, I), \quad \text{Bernoulli pixels } p(x \mid z_1)",
        "\n",
        r"\mathrm{ELBO} = \mathbb{E}_q\left[\log p(x \mid z_1)\right] - \mathrm{KL}\left(q(z_1 \mid x) \,\|\, p(z_1 \mid z_2)\right) - \mathrm{KL}\left(q(z_2 \mid x) \,\|\, \mathcal{N}(0, I)\right) \leq \log p(x)",
        "\n",
        r"\text{both from } x \text{: } q(z_1, z_2 \mid x) = q(z_1 \mid x)\, q(z_2 \mid x) \text{; } \mathrm{KL}_{z_2} \text{ in closed form}",
        "\n",
        r"\mathrm{KL}_{z_1} = \mathbb{E}_{q(z_2 \mid x)}\left[\mathrm{KL}\left(q(z_1 \mid x) \,\|\, p(z_1 \mid z_2)\right)\right] \text{, in closed form for each sampled } z_2",
    ),
    things_to_try: THINGS_TO_TRY,
};
