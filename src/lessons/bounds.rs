//! "Bounds": a VAE (ELBO) and an IWAE (bound L_K) trained for the same time, then L_K on the held-out digits for
//! K = 1 … 5000 against log K with the quadrature log p(x) of a 2-D latent as the ceiling. Training and evaluation
//! run in the worker; this tab only sends commands and draws the numbers that come back.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Corner, HLine, Legend, Line, Plot, Points};

use super::classroom::Control;
use super::observation::ObservationChoice;
use super::posterior_panel::PosteriorPanel;
use super::{Lesson, LessonContext};
use crate::train::evaluation::{EvalRequest, EvalResult};
use crate::train::{ModelKind, TrainCommand, TrainConfig, TrainEvent};

const COLORS: [Color32; 2] = [Color32::from_rgb(70, 140, 230), Color32::from_rgb(230, 120, 40)];

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Idle,
    /// Training run `slot` until `until`.
    Training {
        slot: usize,
        until: Instant,
    },
    /// Run `slot` paused with `left` of its training time to go (Step trains one optimiser step at a time).
    Paused {
        slot: usize,
        left: Duration,
    },
    /// Evaluating run `slot`: `stage` and the fraction done.
    Evaluating {
        slot: usize,
        stage: String,
        fraction: f64,
    },
}

/// The "Bounds" tab.
pub struct BoundsLesson {
    iwae_k: usize,
    /// The seed of the next run.
    seed: u64,
    /// Observation model of the next run.
    observation: ObservationChoice,
    seconds: f64,
    phase: Phase,
    /// Results of the VAE (slot 0) and the IWAE (slot 1) runs, with the label of each.
    results: [Option<(String, EvalResult)>; 2],
    message: Option<String>,
    /// What the current model is called in the results ("VAE (ELBO)", "loaded: vae.bpk").
    current: Option<(usize, String)>,
    /// A save (`true`) or open (`false`) file dialog running on a helper thread.
    dialog: Option<(bool, Receiver<Option<PathBuf>>)>,
    info: Option<String>,
    /// The label of a model file asked for, until the worker answers.
    pending_load: Option<String>,
    /// The file of the model shown (saved or loaded), which a scene refers to; and the one asked for.
    model_file: Option<PathBuf>,
    pending_file: Option<PathBuf>,
    posterior: PosteriorPanel,
    /// The optimiser steps of the run in training, as last reported.
    step: u64,
}

impl Default for BoundsLesson {
    fn default() -> Self {
        Self {
            iwae_k: 5,
            seed: super::hall::default_seed(),
            observation: ObservationChoice::default(),
            seconds: 20.0,
            phase: Phase::Idle,
            results: Default::default(),
            message: None,
            current: None,
            dialog: None,
            info: None,
            pending_load: None,
            model_file: None,
            pending_file: None,
            posterior: PosteriorPanel::default(),
            step: 0,
        }
    }
}

impl BoundsLesson {
    fn label(&self, slot: usize) -> String {
        if slot == 0 { "VAE (ELBO)".into() } else { format!("IWAE (K = {})", self.iwae_k) }
    }

    fn start(&mut self, slot: usize, cx: &mut LessonContext<'_>) {
        let config = TrainConfig {
            models: vec![ModelKind::Vae],
            iwae_k: if slot == 0 { 1 } else { self.iwae_k },
            observation: self.observation.observation(),
            seed: self.seed,
            ..TrainConfig::default()
        };
        self.results[slot] = None;
        self.message = None;
        self.current = Some((slot, self.label(slot)));
        self.step = 0;
        self.phase = Phase::Training { slot, until: Instant::now() + Duration::from_secs_f64(self.seconds) };
        cx.commands.push(TrainCommand::Start { config, dataset: cx.dataset.clone() });
    }

    /// Pause (the time left is kept) or Resume a training run; `false` when none trains.
    fn toggle_pause(&mut self, cx: &mut LessonContext<'_>) -> bool {
        match self.phase {
            Phase::Training { slot, until } => {
                cx.commands.push(TrainCommand::Pause);
                self.phase = Phase::Paused { slot, left: until.saturating_duration_since(Instant::now()) };
            }
            Phase::Paused { slot, left } => {
                cx.commands.push(TrainCommand::Resume);
                self.phase = Phase::Training { slot, until: Instant::now() + left };
            }
            Phase::Idle | Phase::Evaluating { .. } => return false,
        }
        true
    }

    fn controls(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        super::hall::intro(ui, "Importance-weighted bounds L_K", &EXPLANATION);
        ui.separator();
        let idle = self.phase == Phase::Idle;
        ui.add_enabled_ui(idle, |ui| {
            ui.add(egui::Slider::new(&mut self.seconds, 5.0..=120.0).text("Training time (s)"));
            ui.add(egui::Slider::new(&mut self.iwae_k, 2..=50).text("K for the IWAE"));
            self.observation.ui(ui);
            super::hall::seed_field(ui, &mut self.seed, true, "VAE or IWAE");
            super::classroom::unless_hidden(ui, Control::Training, |ui| {
                ui.horizontal(|ui| {
                    if ui.button("Train VAE").clicked() {
                        self.start(0, cx);
                    }
                    if ui.button("Train IWAE").clicked() {
                        self.start(1, cx);
                    }
                })
            });
        });
        match self.phase.clone() {
            Phase::Idle => {}
            Phase::Training { slot, until } => {
                let left = until.saturating_duration_since(Instant::now());
                let seconds = left.as_secs_f64().ceil();
                ui.label(format!("Training the {}: step {}, {seconds:.0} s left", self.label(slot), self.step));
                super::classroom::unless_hidden(ui, Control::Training, |ui| {
                    ui.horizontal(|ui| {
                        if ui.button("Pause").on_hover_text("The time left waits too (Space)").clicked() {
                            self.toggle_pause(cx);
                        }
                        super::hall::step_buttons(ui, false);
                    })
                });
                if left.is_zero() {
                    cx.commands.push(TrainCommand::Pause);
                    cx.commands.push(TrainCommand::Evaluate { model: ModelKind::Vae, request: EvalRequest::default() });
                    self.phase = Phase::Evaluating { slot, stage: "starting".into(), fraction: 0.0 };
                }
                crate::pacing::wake_after(ui.ctx(), Duration::from_millis(200));
            }
            Phase::Paused { slot, left } => {
                let seconds = left.as_secs_f64().ceil();
                ui.label(format!("The {} paused at step {}: {seconds:.0} s left", self.label(slot), self.step));
                super::classroom::unless_hidden(ui, Control::Training, |ui| {
                    ui.horizontal(|ui| {
                        if ui.button("Resume").clicked() {
                            self.toggle_pause(cx);
                        }
                        if let Some(n) = super::hall::step_buttons(ui, true) {
                            self.step_training(n, cx);
                        }
                    })
                });
            }
            Phase::Evaluating { slot, stage, fraction } => {
                ui.label(format!("Evaluating the {}: {stage}", self.label(slot)));
                ui.add(egui::ProgressBar::new(fraction as f32).show_percentage());
                if ui.button("Cancel evaluation").clicked() {
                    cx.commands.push(TrainCommand::CancelEvaluation);
                }
            }
        }
        self.files(ui, cx);
        ui.small("One trainer serves every tab: training here stops a run on the other tabs.");
        if let Some(m) = &self.message {
            ui.colored_label(ui.visuals().error_fg_color, m);
        }
        ui.separator();
        self.table(ui);
    }

    /// Save / load buttons; the dialogs run on a helper thread and the worker reads or writes the files.
    fn files(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        if let Some((save, rx)) = &self.dialog {
            match rx.try_recv() {
                Ok(Some(path)) => {
                    if *save {
                        cx.commands.push(TrainCommand::Save { model: ModelKind::Vae, path });
                    } else {
                        self.load_file(path, cx);
                    }
                    self.dialog = None;
                }
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => self.dialog = None,
                Err(mpsc::TryRecvError::Empty) => {}
            }
        }
        let idle = self.phase == Phase::Idle && self.dialog.is_none();
        ui.horizontal(|ui| {
            super::classroom::unless_hidden(ui, Control::Files, |ui| {
                ui.add_enabled_ui(idle && self.current.is_some(), |ui| {
                    if ui.button("Save model…").clicked() {
                        self.dialog = Some((true, spawn_dialog(ui.ctx(), true)));
                    }
                });
                ui.add_enabled_ui(idle, |ui| {
                    if ui.button("Load model…").clicked() {
                        self.dialog = Some((false, spawn_dialog(ui.ctx(), false)));
                    }
                });
            });
            ui.add_enabled_ui(idle && self.current.is_some(), |ui| {
                if ui.button("Evaluate").clicked()
                    && let Some((slot, _)) = &self.current
                {
                    let slot = *slot;
                    cx.commands.push(TrainCommand::Pause);
                    cx.commands.push(TrainCommand::Evaluate { model: ModelKind::Vae, request: EvalRequest::default() });
                    self.phase = Phase::Evaluating { slot, stage: "starting".into(), fraction: 0.0 };
                }
            });
        });
        if let Some(info) = &self.info {
            ui.label(info);
        }
    }

    /// Asks the worker to load a model file (what the Load dialog does once a file is chosen). A bad file is
    /// refused with a message and the current model stays.
    pub fn load_file(&mut self, path: PathBuf, cx: &mut LessonContext<'_>) {
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        self.pending_load = Some(format!("loaded: {name}"));
        self.pending_file = Some(path.clone());
        cx.commands.push(TrainCommand::Load { path, dataset: cx.dataset.clone() });
    }

    fn table(&self, ui: &mut egui::Ui) {
        if self.results.iter().all(Option::is_none) {
            ui.label("No evaluation yet: train a model.");
            return;
        }
        egui::Grid::new("bounds-table").num_columns(3).striped(true).show(ui, |ui| {
            ui.label(RichText::new("K").strong());
            for (slot, r) in self.results.iter().enumerate() {
                let name = r.as_ref().map_or_else(|| self.label(slot), |(l, _)| l.clone());
                ui.colored_label(COLORS[slot], RichText::new(name).strong());
            }
            ui.end_row();
            let ks = EvalRequest::default().ks;
            for (row, k) in ks.iter().enumerate() {
                ui.monospace(format!("L_{k}"));
                for r in &self.results {
                    match r.as_ref().and_then(|(_, res)| res.bounds.get(row)) {
                        Some(b) => ui.monospace(format!("{:.2} ± {:.2}", b.estimate.mean, b.estimate.stderr)),
                        None => ui.monospace("–"),
                    };
                }
                ui.end_row();
            }
            ui.monospace("log p(x)");
            for r in &self.results {
                match r.as_ref().and_then(|(_, res)| res.log_px) {
                    Some(e) => ui.monospace(format!("{:.2} ± {:.2}", e.mean, e.stderr)),
                    None => ui.monospace("–"),
                };
            }
            ui.end_row();
            ui.monospace("mean KL(q‖p(z|x))");
            for r in &self.results {
                match r.as_ref().and_then(|(_, res)| res.elbo_gap_per_digit()) {
                    Some(g) => ui.monospace(format!("{:.2}", crate::models::bounds::estimate(&g).mean)),
                    None => ui.monospace("–"),
                };
            }
            ui.end_row();
        });
        ui.small(
            "Nats per digit, mean ± standard error over the held-out digits. log p(x) by quadrature on a 400×400 grid.",
        );
    }

    /// Per-digit gaps log p(x) − L_1 of the latest evaluation of the current model, with a button to show the worst.
    fn gap_summary(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        let Some((slot, _)) = &self.current else { return };
        let Some((label, result)) = &self.results[*slot] else { return };
        let Some(gaps) = result.elbo_gap_per_digit() else { return };
        let Some((worst, max)) = gaps.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1)) else { return };
        let mut sorted = gaps.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "{label}: per-digit gap log p(x) − L_1 ≈ KL(q‖p(z|x)): median {median:.2} nats, largest {max:.2} \
                 (held-out digit #{worst})."
            ));
            if ui.button("Show the digit with the largest gap").clicked() {
                self.posterior.request(worst, cx);
            }
        });
    }

    fn plot(&self, ui: &mut egui::Ui, height: f32) {
        ui.label(RichText::new("L_K against log₁₀ K, with log p(x) as the ceiling (dashed)").strong());
        crate::viz::export::plot(
            Plot::new("bounds-vs-k")
                .height(height)
                .legend(Legend::default().position(Corner::RightBottom))
                .x_axis_label("log₁₀ K")
                .y_axis_label("nats per digit")
                .show(ui, |plot_ui| {
                    for (slot, r) in self.results.iter().enumerate() {
                        let Some((label, res)) = r else { continue };
                        let pts: Vec<[f64; 2]> =
                            res.bounds.iter().map(|b| [(b.k as f64).log10(), b.estimate.mean]).collect();
                        plot_ui.line(Line::new(label.clone(), pts.clone()).color(COLORS[slot]));
                        plot_ui.points(Points::new(label.clone(), pts).radius(3.0).color(COLORS[slot]));
                        if let Some(e) = res.log_px {
                            plot_ui.hline(
                                HLine::new(format!("{label}: log p(x)"), e.mean)
                                    .color(COLORS[slot])
                                    .style(egui_plot::LineStyle::dashed_loose()),
                            );
                        }
                    }
                }),
            "bounds-vs-k",
            None,
        );
    }
}

/// Runs a save or open dialog on a helper thread (it blocks that thread, not the UI) and wakes the UI with the choice.
fn spawn_dialog(ctx: &egui::Context, save: bool) -> Receiver<Option<PathBuf>> {
    let (tx, rx) = mpsc::channel();
    let ctx = ctx.clone();
    std::thread::spawn(move || {
        let dialog = rfd::FileDialog::new().add_filter("latent-lab model", &["bpk", "json"]);
        let path = if save {
            dialog.set_title("Save the model (FILE.bpk + FILE.json)").set_file_name("vae.bpk").save_file()
        } else {
            dialog.set_title("Load a model (FILE.bpk with FILE.json beside it)").pick_file()
        };
        let _ = tx.send(path);
        crate::pacing::wake(&ctx);
    });
    rx
}

/// The explanation panel's text for this tab.
pub const EXPLANATION: super::hall::Explanation = super::hall::Explanation {
    what: "Train a VAE on the ELBO and an IWAE on L_K for the same time, then evaluate both on the 1,000 held-out \
           digits: the plot shows each model's L_K for growing K, the table the numbers, and below, the digit with \
           the largest gap and its posterior.",
    formula: concat!(
        r"L_K(x) = \mathbb{E}\left[\log \frac{1}{K} \sum_{k=1}^K \frac{p(x \mid z_k)\, p(z_k)}{q(z_k \mid x)}\right], \quad z_k \sim q(z \mid x)",
        "\n",
        r"L_1 = \mathrm{ELBO} \leq L_2 \leq \ldots \leq L_K \leq \log p(x)",
        "\n",
        r"L_K \to \log p(x) \text{ as } K \to \infty",
    ),
    things_to_try: &[
        "Set K = 1 and K = 50 for the IWAE and compare L_K.",
        "Train a VAE and an IWAE for the same time: which has the higher bound at large K?",
        "Show the digit with the largest gap between the ELBO and L_K, and its posterior.",
    ],
};

/// The Bounds tab in a scene file: the settings and the model file shown (saved or loaded), if any.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct BoundsScene {
    seconds: f64,
    iwae_k: usize,
    #[serde(default = "super::hall::default_seed")]
    seed: u64,
    observation: ObservationChoice,
    model: Option<String>,
}

impl Lesson for BoundsLesson {
    fn name(&self) -> &'static str {
        "Bounds"
    }

    fn save_scene(&self, dir: &std::path::Path) -> Option<serde_json::Value> {
        super::scene::to_value(&BoundsScene {
            seconds: self.seconds,
            iwae_k: self.iwae_k,
            seed: self.seed,
            observation: self.observation,
            model: self.model_file.as_deref().map(|p| super::scene::reference(p, dir)),
        })
    }

    /// A referenced model file must exist; the worker then loads it (a bad file is refused there, with a message,
    /// and the current model stays).
    fn load_scene(
        &mut self,
        scene: &serde_json::Value,
        dir: &std::path::Path,
        cx: &mut LessonContext<'_>,
    ) -> Result<(), String> {
        let s: BoundsScene = super::scene::parse(scene)?;
        let model = s.model.as_deref().map(|m| super::scene::resolve_model(m, dir)).transpose()?;
        if !s.seconds.is_finite() {
            return Err("its training time is not a number".into());
        }
        if self.phase != Phase::Idle {
            return Err("the Bounds tab is busy training or evaluating: cancel it first".into());
        }
        self.seconds = s.seconds.clamp(5.0, 120.0);
        self.iwae_k = s.iwae_k.clamp(2, 50);
        self.seed = s.seed.clamp(1, super::hall::MAX_SEED);
        self.observation = s.observation;
        if let Some(path) = model {
            self.load_file(path, cx);
        }
        Ok(())
    }

    fn explanation(&self) -> Option<super::hall::Explanation> {
        Some(EXPLANATION)
    }

    /// Space trains the VAE when nothing runs (the evaluation starts by itself when the time is up), and pauses
    /// or resumes a run in training.
    fn toggle_training(&mut self, cx: &mut LessonContext<'_>) -> bool {
        if self.phase == Phase::Idle {
            self.start(0, cx);
        } else {
            self.toggle_pause(cx);
        }
        true
    }

    fn step_training(&mut self, n: u32, cx: &mut LessonContext<'_>) -> bool {
        if !matches!(self.phase, Phase::Paused { .. }) {
            return false;
        }
        cx.commands.push(TrainCommand::Step(n));
        true
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        super::hall::controls_panel(ui, "bounds-controls", 440.0, |ui| self.controls(ui, cx));
        egui::CentralPanel::default().show(ui, |ui| {
            let height = (ui.available_height() * 0.4).max(160.0);
            self.plot(ui, height);
            ui.separator();
            self.gap_summary(ui, cx);
            let blocked = if matches!(self.phase, Phase::Evaluating { .. }) {
                Some("Available when the evaluation has finished.")
            } else if self.current.is_none() {
                Some("Train or load a 2-D VAE first.")
            } else {
                None
            };
            self.posterior.ui(ui, cx, blocked);
        });
    }

    fn on_event(&mut self, event: &TrainEvent) {
        self.posterior.on_event(event);
        if let TrainEvent::SessionStarted { .. } = event {
            self.posterior.clear();
        }
        match event {
            TrainEvent::Loaded { description, .. } => {
                let label = self.pending_load.take().unwrap_or_else(|| "loaded model".into());
                self.model_file = self.pending_file.take();
                self.info = Some(format!("{label} ({description}). Evaluate it, or train a new one."));
                self.message = None;
                self.current = Some((0, label));
                self.phase = Phase::Idle;
                return;
            }
            TrainEvent::Saved { path, .. } => {
                self.info = Some(format!("Saved to {path}"));
                self.model_file = Some(PathBuf::from(path));
                return;
            }
            TrainEvent::Failed(message) if self.phase == Phase::Idle => {
                self.pending_load = None;
                self.pending_file = None;
                self.message = Some(message.clone());
                return;
            }
            _ => {}
        }
        let slot = match &self.phase {
            Phase::Idle => return,
            Phase::Training { slot, .. } | Phase::Paused { slot, .. } | Phase::Evaluating { slot, .. } => *slot,
        };
        match event {
            TrainEvent::Loss { model: ModelKind::Vae, point } => self.step = point.step,
            TrainEvent::EvalProgress { stage, fraction, .. } => {
                if let Phase::Evaluating { .. } = self.phase {
                    self.phase = Phase::Evaluating { slot, stage: stage.clone(), fraction: *fraction };
                }
            }
            TrainEvent::Evaluated { result, .. } => {
                let label = self.current.as_ref().map_or_else(|| self.label(slot), |(_, l)| l.clone());
                self.results[slot] = Some((label, result.clone()));
                self.phase = Phase::Idle;
            }
            TrainEvent::EvalCancelled { .. } => {
                self.message = Some("Evaluation cancelled.".into());
                self.phase = Phase::Idle;
            }
            TrainEvent::Diverged { message, .. } | TrainEvent::Failed(message) => {
                self.message = Some(message.clone());
                self.phase = Phase::Idle;
            }
            TrainEvent::SessionStarted { kinds } if kinds.as_slice() != [ModelKind::Vae] => self.phase = Phase::Idle,
            _ => {}
        }
    }

    fn on_dataset_changed(&mut self) {
        self.posterior.clear();
        self.results = Default::default();
        self.phase = Phase::Idle;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::data::Dataset;
    use crate::train::WorkerState;

    /// The load path without dialogs: the lesson asks the worker, shows a refusal and keeps the current model, and
    /// names a loaded one in its results.
    #[test]
    fn loading_asks_the_worker_and_keeps_the_model_on_refusal() {
        let dataset = Arc::new(Dataset::builtin_mnist().unwrap());
        let mut commands = Vec::new();
        let state = WorkerState::Paused;
        let mut lesson = BoundsLesson { current: Some((0, "VAE (ELBO)".into())), ..BoundsLesson::default() };
        let mut cx = LessonContext { dataset: &dataset, worker_state: &state, commands: &mut commands };
        lesson.load_file(PathBuf::from("/tmp/missing/model.bpk"), &mut cx);
        assert!(matches!(commands.as_slice(), [TrainCommand::Load { .. }]));
        lesson.on_event(&TrainEvent::Failed("could not load the model: model.json: cannot read".into()));
        assert!(lesson.message.as_deref().is_some_and(|m| m.contains("model.json")));
        assert_eq!(lesson.current, Some((0, "VAE (ELBO)".into())), "the current model stays");
        let mut cx = LessonContext { dataset: &dataset, worker_state: &state, commands: &mut commands };
        lesson.load_file(PathBuf::from("/tmp/good.bpk"), &mut cx);
        lesson.on_event(&TrainEvent::Loaded { model: ModelKind::Vae, description: "Bernoulli".into() });
        assert_eq!(lesson.current, Some((0, "loaded: good.bpk".into())));
        assert!(lesson.info.as_deref().is_some_and(|i| i.contains("loaded: good.bpk (Bernoulli)")));
    }
}
