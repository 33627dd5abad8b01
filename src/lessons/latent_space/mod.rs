//! "Latent space": an autoencoder and a VAE learn side by side; their 2-D codes and loss curves update live.

use eframe::egui::{self, RichText};

use super::hall::Explanation;
use super::observation::ObservationChoice;
use super::{Lesson, LessonContext};
use crate::train::{LossPoint, ModelKind, Purpose, TrainCommand, TrainConfig, TrainEvent, WorkerState};
use scene::{CanvasScene, LatentScene};

mod codes;
mod curves;
mod drawing;
mod scene;

use codes::{CodePlot, Explore};
pub use codes::{interpolation_points, nearest_within};
use curves::MAX_CURVE_POINTS;
use drawing::Canvas;

pub use crate::viz::shapes::{ellipse_points, ellipse_points_cov, paint_brush};

/// Everything one model has reported.
#[derive(Default)]
struct ModelView {
    explore: Explore,
    codes: Option<CodePlot>,
    train_curve: Vec<LossPoint>,
    heldout_curve: Vec<LossPoint>,
    diverged: Option<String>,
}

impl ModelView {
    fn push_train(&mut self, p: LossPoint) {
        if self.train_curve.len() >= MAX_CURVE_POINTS {
            let thinned = self.train_curve.iter().step_by(2).copied().collect();
            self.train_curve = thinned;
        }
        self.train_curve.push(p);
    }
}

/// What the lesson believes the run is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum RunState {
    #[default]
    NotStarted,
    Running,
    Paused,
}

/// The "Latent space" tab.
pub struct LatentSpaceLesson {
    config: TrainConfig,
    hidden_text: String,
    run: RunState,
    views: [ModelView; 2],
    /// Class names for the legend (digits 0–9 for MNIST).
    show_all_codes: bool,
    canvas: Canvas,
    observation: ObservationChoice,
    /// The exploration of a scene whose models the worker is loading, shown once it has them.
    pending_scene: Option<Box<[Explore; 2]>>,
}

impl Default for LatentSpaceLesson {
    fn default() -> Self {
        let config = TrainConfig::default();
        let hidden_text = format_hidden(&config.hidden);
        Self {
            config,
            hidden_text,
            run: RunState::NotStarted,
            views: Default::default(),
            show_all_codes: false,
            canvas: Canvas::default(),
            observation: ObservationChoice::default(),
            pending_scene: None,
        }
    }
}

fn format_hidden(hidden: &[usize]) -> String {
    hidden.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Parses "512, 256" into layer widths; explains what is wrong otherwise.
pub fn parse_hidden(text: &str) -> Result<Vec<usize>, String> {
    let mut widths = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.parse::<usize>() {
            Ok(w) if (1..=4096).contains(&w) => widths.push(w),
            Ok(w) => return Err(format!("layer width {w} is out of range (1..=4096)")),
            Err(_) => return Err(format!("\"{part}\" is not a whole number")),
        }
    }
    if widths.is_empty() || widths.len() > 6 {
        return Err("give 1 to 6 hidden layer widths, e.g. \"512, 256\"".into());
    }
    Ok(widths)
}

impl LatentSpaceLesson {
    fn controls(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        super::hall::intro(ui, "Autoencoder vs VAE", &EXPLANATION);
        ui.separator();
        let editable = self.run == RunState::NotStarted;
        ui.add_enabled_ui(editable, |ui| {
            ui.add(
                egui::Slider::new(&mut self.config.learning_rate, 1e-5..=1e-1).logarithmic(true).text("Learning rate"),
            );
            ui.add(egui::Slider::new(&mut self.config.batch_size, 8..=1024).logarithmic(true).text("Batch size"));
            ui.horizontal(|ui| {
                let label = ui.label("Hidden sizes");
                ui.add(egui::TextEdit::singleline(&mut self.hidden_text).desired_width(110.0)).labelled_by(label.id);
            });
            ui.add(egui::Slider::new(&mut self.config.latent_dim, 2..=64).logarithmic(true).text("Latent size"));
            self.observation.ui(ui);
        });
        super::hall::seed_field(ui, &mut self.config.seed, editable, "pair of models");
        if self.config.latent_dim > 2 {
            ui.small("Latent size > 2: the plots show the codes' first two principal components.");
        }
        let hidden = parse_hidden(&self.hidden_text);
        match &hidden {
            Ok(h) => {
                let dim = cx.dataset.dim();
                let arch: Vec<String> = std::iter::once(dim).chain(h.iter().copied()).map(|w| w.to_string()).collect();
                ui.small(format!("encoder {}-{}, decoder mirrors it", arch.join("-"), self.config.latent_dim));
            }
            Err(e) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
        }
        if ui.checkbox(&mut self.show_all_codes, "Plot codes of all items (not just held-out)").changed() {
            self.config.codes_for_all = self.show_all_codes;
            cx.commands.push(TrainCommand::SetCodesForAll(self.show_all_codes));
        }
        ui.separator();
        let busy = matches!(cx.worker_state, WorkerState::Starting | WorkerState::WarmingUp);
        let training = super::classroom::Control::Training;
        super::classroom::unless_hidden(ui, training, |ui| {
            ui.horizontal(|ui| match self.run {
                RunState::NotStarted => {
                    if ui.add_enabled(hidden.is_ok() && !busy, egui::Button::new("Train")).clicked() {
                        self.toggle_run(cx);
                    }
                }
                RunState::Running => {
                    if ui.button("Pause").clicked() {
                        self.toggle_run(cx);
                    }
                    if ui.button("Reset").clicked() {
                        self.reset(cx);
                    }
                }
                RunState::Paused => {
                    if ui.button("Resume").clicked() {
                        self.toggle_run(cx);
                    }
                    if let Some(n) = super::hall::step_buttons(ui, true) {
                        self.step_training(n, cx);
                    }
                    if ui.button("Reset").clicked() {
                        self.reset(cx);
                    }
                }
            })
        });
        ui.separator();
        egui::Grid::new("loss-readout").num_columns(5).striped(true).show(ui, |ui| {
            for head in ["", "step", "recon", "KL", "−ELBO"] {
                ui.label(RichText::new(head).strong());
            }
            ui.end_row();
            for kind in ModelKind::ALL {
                ui.label(kind.short());
                match self.views[kind.index()].train_curve.last() {
                    Some(p) => {
                        ui.monospace(p.step.to_string());
                        ui.monospace(format!("{:.1}", p.recon));
                        if kind == ModelKind::Vae {
                            ui.monospace(format!("{:.2}", p.kl));
                            ui.monospace(format!("{:.1}", p.recon + p.kl));
                        } else {
                            ui.label("–");
                            ui.label("–");
                        }
                    }
                    None => {
                        ui.label(format!("{}: not trained yet", kind.short()));
                    }
                }
                ui.end_row();
            }
        });
        for view in &self.views {
            if let Some(msg) = &view.diverged {
                ui.colored_label(ui.visuals().error_fg_color, msg);
            }
        }
        ui.separator();
        self.draw_panel(ui, cx);
        ui.separator();
        self.explore_panel(ui);
    }

    /// Train (with the current settings, when they are valid and the device is ready), Pause or Resume.
    fn toggle_run(&mut self, cx: &mut LessonContext<'_>) {
        match self.run {
            RunState::NotStarted => {
                let busy = matches!(cx.worker_state, WorkerState::Starting | WorkerState::WarmingUp);
                if let (Ok(h), false) = (parse_hidden(&self.hidden_text), busy) {
                    self.config.hidden = h;
                    self.config.observation = self.observation.observation();
                    self.views = Default::default();
                    self.run = RunState::Running;
                    cx.commands.push(TrainCommand::Start { config: self.config.clone(), dataset: cx.dataset.clone() });
                }
            }
            RunState::Running => {
                self.run = RunState::Paused;
                cx.commands.push(TrainCommand::Pause);
            }
            RunState::Paused => {
                self.run = RunState::Running;
                cx.commands.push(TrainCommand::Resume);
            }
        }
    }

    fn reset(&mut self, cx: &mut LessonContext<'_>) {
        cx.commands.push(TrainCommand::Stop);
        self.run = RunState::NotStarted;
        self.views = Default::default();
    }
}

/// The explanation panel's text for this tab.
pub const EXPLANATION: Explanation = Explanation {
    what: "Both models squeeze each digit into a 2-D code and decode it again. Top: each held-out digit's code, \
           coloured by class; bottom: the losses. The VAE also pays a KL price for straying from N(0, I), so its \
           codes form a round blob with digit clusters.",
    formula: concat!(
        r"\text{Autoencoder: minimise } {-\log p\left(x \mid z = f(x)\right)}",
        "\n",
        r"\text{VAE: } \mathrm{ELBO}(x) = \mathbb{E}_{q(z \mid x)}\left[\log p(x \mid z)\right] - \mathrm{KL}\left(q(z \mid x) \,\|\, p(z)\right)",
        "\n",
        r"q(z \mid x) = \mathcal{N}\left(\mu(x), \operatorname{diag} \sigma^2(x)\right), \quad p(z) = \mathcal{N}(0, I)",
        "\n",
        r"\mathrm{KL} = \frac{1}{2} \sum_j \left(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\right)",
    ),
    things_to_try: &[
        "Train both: the autoencoder's codes spread anywhere, the VAE's fill a round blob.",
        "Drag in a code plot: the decoder draws the digit at the marker. Where are the gaps?",
        "Shift-click two digits: the decoded path between their codes.",
        "Draw a digit on the canvas and see where each encoder puts it.",
        "Set the latent size to 16: the plots then show the first two principal components.",
    ],
};

impl Lesson for LatentSpaceLesson {
    fn name(&self) -> &'static str {
        "Latent space"
    }

    fn save_scene(&self, _dir: &std::path::Path) -> Option<serde_json::Value> {
        super::scene::to_value(&self.scene())
    }

    /// With a run (training or paused), the worker writes both models as `STEM-latent-space-ae.bpk` and
    /// `…-vae.bpk` (+ `.json`) in `dir` right after this returns (the four files are promised); the scene refers
    /// to them and keeps the
    /// markers, the clicked digit, the interpolation and the drawing.
    fn save_scene_with_models(
        &mut self,
        dir: &std::path::Path,
        stem: &str,
        cx: &mut LessonContext<'_>,
    ) -> Option<(serde_json::Value, Vec<std::path::PathBuf>)> {
        let mut s = self.scene();
        let mut promised = Vec::new();
        if self.run != RunState::NotStarted {
            for kind in ModelKind::ALL {
                let file = format!("{stem}-latent-space-{}.bpk", kind.short().to_lowercase());
                cx.commands.push(TrainCommand::Save { model: kind, path: dir.join(&file) });
                let (weights, description) = crate::runtime::files::pair_paths(&dir.join(&file));
                promised.extend([weights, description]);
                s.models.push(file);
            }
            s.explore = self.views.iter().map(|v| v.explore.to_scene()).collect();
            if self.canvas.pixels.iter().any(|&v| v > 0.0) {
                let c = &self.canvas;
                s.canvas = Some(CanvasScene { rows: c.rows, cols: c.cols, pixels: c.pixels.clone() });
            }
        }
        super::scene::to_value(&s).map(|part| (part, promised))
    }

    /// Loading settings alone ends a run of this tab (the settings belong to the next one). A scene with models
    /// has them loaded by the worker (paused, replacing the current run only once both files are read: a bad file
    /// is refused there with a message); the markers, the clicked digit and the path are asked for again then.
    fn load_scene(
        &mut self,
        scene: &serde_json::Value,
        dir: &std::path::Path,
        cx: &mut LessonContext<'_>,
    ) -> Result<(), String> {
        let s: LatentScene = super::scene::parse(scene)?;
        parse_hidden(&s.hidden).map_err(|e| format!("its hidden sizes are invalid ({e})"))?;
        let models =
            s.models.iter().map(|m| super::scene::resolve_model(m, dir)).collect::<Result<Vec<_>, String>>()?;
        if !models.is_empty() && models.len() != ModelKind::ALL.len() {
            return Err(format!("it refers to {} model files instead of two (AE and VAE)", models.len()));
        }
        let explore = Self::restored_explore(&s, cx)?;
        let canvas = Self::restored_canvas(&s, cx)?;
        self.pending_scene = None;
        if models.is_empty() {
            if self.run != RunState::NotStarted {
                self.reset(cx);
            }
        } else {
            self.pending_scene = Some(explore);
            let learning = (s.config.learning_rate, s.config.batch_size);
            cx.commands.push(TrainCommand::LoadAll { paths: models, dataset: cx.dataset.clone(), learning });
        }
        if let Some(canvas) = canvas {
            self.canvas = canvas;
        }
        self.config = s.config;
        self.config.codes_for_all = s.show_all_codes;
        self.hidden_text = s.hidden;
        self.show_all_codes = s.show_all_codes;
        self.observation = s.observation;
        Ok(())
    }

    fn explanation(&self) -> Option<Explanation> {
        Some(EXPLANATION)
    }

    fn toggle_training(&mut self, cx: &mut LessonContext<'_>) -> bool {
        self.toggle_run(cx);
        true
    }

    fn step_training(&mut self, n: u32, cx: &mut LessonContext<'_>) -> bool {
        if self.run != RunState::Paused {
            return false;
        }
        cx.commands.push(TrainCommand::Step(n));
        true
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        super::hall::controls_panel(ui, "latent-controls", 300.0, |ui| self.controls(ui, cx));
        egui::CentralPanel::default().show(ui, |ui| {
            let avail = ui.available_size();
            let gap = ui.spacing().item_spacing;
            let top_h = (avail.y * 0.62).max(200.0);
            let half_w = ((avail.x - gap.x) / 2.0).max(150.0);
            ui.horizontal_top(|ui| {
                self.code_plot(ui, cx, ModelKind::Autoencoder, egui::vec2(half_w, top_h));
                self.code_plot(ui, cx, ModelKind::Vae, egui::vec2(half_w, top_h));
            });
            let bottom_h = (ui.available_height() - gap.y).max(120.0);
            self.loss_plots(ui, egui::vec2(half_w, bottom_h));
        });
    }

    fn on_event(&mut self, event: &TrainEvent) {
        match event {
            // Another tab's models: not ours to plot.
            TrainEvent::Loss { model, .. }
            | TrainEvent::HeldOut { model, .. }
            | TrainEvent::Codes { model, .. }
            | TrainEvent::Diverged { model, .. }
                if !ModelKind::ALL.contains(model) => {}
            TrainEvent::SessionStarted { kinds } if !kinds.iter().any(|k| ModelKind::ALL.contains(k)) => {
                // Another tab started training: this run is over (its curves stay on screen).
                self.run = RunState::NotStarted;
                self.pending_scene = None;
            }
            TrainEvent::SessionStarted { .. } if self.pending_scene.is_some() => {
                // A scene's models are in: a paused run, ready to explore or resume.
                self.views = Default::default();
                if let Some(explore) = self.pending_scene.take() {
                    for (view, ex) in self.views.iter_mut().zip(*explore) {
                        view.explore = ex;
                    }
                }
                self.run = RunState::Paused;
            }
            TrainEvent::Loss { model, point } => self.views[model.index()].push_train(*point),
            TrainEvent::HeldOut { model, point } => self.views[model.index()].heldout_curve.push(*point),
            TrainEvent::Codes { model, codes } => {
                let view = &mut self.views[model.index()];
                view.codes = Some(CodePlot::from_codes(codes));
                // The model moved on: decode the marker again.
                view.explore.probe_sent = None;
            }
            TrainEvent::Diverged { model, message, .. } => {
                self.views[model.index()].diverged = Some(message.clone());
            }
            TrainEvent::Decoded { model, purpose, images, rows, cols } if ModelKind::ALL.contains(model) => {
                let ex = &mut self.views[model.index()].explore;
                match purpose {
                    Purpose::Probe => {
                        if let Some([x, y]) = ex.probe_in_flight.take() {
                            let alt = format!("{} decoded at z = ({x:.2}, {y:.2})", model.short());
                            ex.probe_image.set(images.clone(), *rows, *cols, alt);
                        }
                    }
                    Purpose::Interpolation => {
                        let alt = format!("{} interpolation: {} images", model.short(), images.len());
                        ex.strip_image.set(images.clone(), *rows, *cols, alt);
                    }
                    _ => {}
                }
            }
            TrainEvent::Encoded { model, purpose: Purpose::Clicked, reconstructions, .. }
                if ModelKind::ALL.contains(model) =>
            {
                let ex = &mut self.views[model.index()].explore;
                if let (Some((item, _, pixels)), Some(recon)) = (&ex.clicked, reconstructions.first()) {
                    let side = (pixels.len() as f64).sqrt().round() as usize;
                    let alt = format!("{} digit #{item} and its reconstruction", model.short());
                    ex.clicked_image.set(vec![pixels.clone(), recon.clone()], side, side, alt);
                }
            }
            TrainEvent::Encoded { model, purpose: Purpose::Drawn, means, log_vars, .. }
                if ModelKind::ALL.contains(model) =>
            {
                let view = &mut self.views[model.index()];
                let projection = view.codes.as_ref().and_then(|c| c.projection.as_ref());
                if let Some(m) = means.first().filter(|m| m.len() >= 2) {
                    let variances = log_vars.as_ref().and_then(|lv| lv.first()).filter(|lv| lv.len() == m.len());
                    let variances: Option<Vec<f32>> = variances.map(|lv| lv.iter().map(|v| v.exp()).collect());
                    let (mean, cov) = match projection {
                        Some(p) => {
                            let [a, b] = p.project(m);
                            let cov = variances.map(|v| p.project_diagonal_covariance(&v));
                            ([f64::from(a), f64::from(b)], cov)
                        }
                        None => (
                            [f64::from(m[0]), f64::from(m[1])],
                            variances.map(|v| [[f64::from(v[0]), 0.0], [0.0, f64::from(v[1])]]),
                        ),
                    };
                    view.explore.drawn = Some((mean, cov));
                }
            }
            TrainEvent::NoModel { model, purpose: Purpose::Probe } if ModelKind::ALL.contains(model) => {
                self.views[model.index()].explore.probe_in_flight = None;
            }
            TrainEvent::Failed(_) => {
                self.run = RunState::NotStarted;
                self.pending_scene = None;
            }
            TrainEvent::State(WorkerState::Idle) if self.run != RunState::NotStarted => {
                // The worker stopped on its own (both models diverged, or it restarted after a failure).
                self.run = RunState::NotStarted;
            }
            _ => {}
        }
    }

    fn on_dataset_changed(&mut self) {
        self.views = Default::default();
        self.run = RunState::NotStarted;
    }
}

#[cfg(test)]
mod tests {
    use super::parse_hidden;

    #[test]
    fn a_scene_with_a_digit_or_drawing_the_dataset_lacks_is_refused() {
        use std::sync::Arc;

        use super::{LatentSpaceLesson, Lesson, LessonContext, TrainCommand, WorkerState};
        use crate::data::Dataset;

        let data = Arc::new(Dataset::builtin_mnist().unwrap());
        let dir = tempfile::tempdir().unwrap();
        for f in ["m-ae.bpk", "m-ae.json", "m-vae.bpk", "m-vae.json"] {
            std::fs::write(dir.path().join(f), b"x").unwrap();
        }
        let mut lesson = LatentSpaceLesson::default();
        let mut scene = lesson.save_scene(dir.path()).unwrap();
        scene["models"] = serde_json::json!(["m-ae.bpk", "m-vae.bpk"]);
        let (state, mut commands) = (WorkerState::Idle, Vec::new());
        let mut load = |lesson: &mut LatentSpaceLesson, scene: &serde_json::Value| {
            let mut cx = LessonContext { dataset: &data, worker_state: &state, commands: &mut commands };
            lesson.load_scene(scene, dir.path(), &mut cx)
        };
        scene["explore"] = serde_json::json!([{"probe": null, "clicked": [99_999, [0.0, 0.0]], "strip": null}]);
        let e = load(&mut lesson, &scene).unwrap_err();
        assert!(e.contains("clicked digit #99999 is not in this dataset (10000 images)"), "{e}");
        scene["explore"] = serde_json::json!([{"probe": [0.5, 1.0], "clicked": [3, [0.0, 0.0]], "strip": null}]);
        scene["canvas"] = serde_json::json!({"rows": 3, "cols": 3, "pixels": vec![0.0; 9]});
        let e = load(&mut lesson, &scene).unwrap_err();
        assert!(e.contains("drawing is 3×3 (9 pixels) but this dataset's images are 28×28"), "{e}");
        assert!(lesson.pending_scene.is_none());
        scene["canvas"] = serde_json::json!({"rows": 28, "cols": 28, "pixels": vec![2.0; 784]});
        assert_eq!(load(&mut lesson, &scene), Ok(()));
        assert!(lesson.canvas.pixels.iter().all(|&v| (v - 1.0).abs() < f32::EPSILON), "pixels clamped to [0, 1]");
        let pending = lesson.pending_scene.as_ref().unwrap();
        assert_eq!((pending[0].probe, pending[0].clicked.as_ref().map(|c| c.0)), (Some([0.5, 1.0]), Some(3)));
        assert!(matches!(commands.as_slice(), [TrainCommand::LoadAll { paths, .. }] if paths.len() == 2));
    }

    #[test]
    fn hidden_sizes_parse_and_explain_errors() {
        assert_eq!(parse_hidden("512, 256"), Ok(vec![512, 256]));
        assert_eq!(parse_hidden(" 64 ,"), Ok(vec![64]));
        assert!(parse_hidden("").unwrap_err().contains("1 to 6"));
        assert!(parse_hidden("512, abc").unwrap_err().contains("\"abc\""));
        assert!(parse_hidden("0").unwrap_err().contains("out of range"));
    }
}
