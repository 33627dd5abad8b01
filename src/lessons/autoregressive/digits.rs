//! The "Digits (MADE)" page: train MADE on the binarised digits, watch the exact NLL, sample pixel by pixel, and
//! complete a digit whose bottom half is hidden.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Corner, HLine, Legend, Line, LineStyle, Plot};

use super::paint_image;
use super::worker::{MadeView, Request};
use crate::autoregressive::made::{self, Made, MadeInfo, Sampler};
use crate::lessons::LessonContext;
use crate::lessons::classroom::{Control, unless_hidden};
use crate::viz::shapes::paint_brush;

/// The VAE's IWAE bound on these digits after 60 s (2-D latent), from the Bounds tab, for comparison.
pub const VAE_REFERENCE: f64 = 142.0;
/// Screen pixels per image pixel.
const CELL: f32 = 6.0;
const SMALL_CELL: f32 = 4.0;
/// Colours of pixels not drawn yet, of the hidden half, and of the pixel being drawn.
const UNDRAWN: Color32 = Color32::from_rgb(38, 48, 78);
const HIDDEN: Color32 = Color32::from_rgb(90, 40, 40);
const CURSOR: Color32 = Color32::from_rgb(255, 80, 60);

/// Where the digit to complete comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    HeldOut,
    Drawn,
}

/// What a Save/Load dialog (run on a helper thread) ended with.
pub enum FileOutcome {
    Loaded(PathBuf, Box<Made>, MadeInfo),
    Saved(PathBuf),
    Failed(String),
    Cancelled,
}

/// The page's state.
pub struct DigitsPage {
    file_job: Option<Receiver<FileOutcome>>,
    pub hidden_units: usize,
    /// The seed of a new MADE (its weights and minibatches): the same seed repeats a run step for step.
    pub seed: u64,
    pub view: MadeView,
    pub model: Option<Arc<Made>>,
    pub message: Option<String>,
    /// The animated sample: the weights it started with and its state.
    pub sampler: Option<(Arc<Made>, Sampler)>,
    pub sample_seed: u64,
    /// Start a new sample with the newest weights when one is finished.
    pub auto_resample: bool,
    /// Training steps behind `model`, and behind the sample being drawn.
    pub model_steps: usize,
    pub sampler_steps: usize,
    finished_at: Option<f64>,
    /// Pixels drawn per second.
    pub speed: f32,
    carry: f64,
    last_time: Option<f64>,
    pub source: Source,
    pub heldout_index: usize,
    pub canvas: Vec<f32>,
    canvas_last: Option<[f32; 2]>,
    pub hide_bottom: bool,
    pub count: usize,
    pub completion_seed: u64,
    pub completions: Vec<Vec<u8>>,
    pub completion_error: Option<String>,
}

impl Default for DigitsPage {
    fn default() -> Self {
        Self {
            file_job: None,
            hidden_units: made::DEFAULT_HIDDEN,
            seed: 1,
            view: MadeView::default(),
            model: None,
            message: None,
            sampler: None,
            sample_seed: 1,
            auto_resample: true,
            model_steps: 0,
            sampler_steps: 0,
            finished_at: None,
            speed: 300.0,
            carry: 0.0,
            last_time: None,
            source: Source::HeldOut,
            heldout_index: 0,
            canvas: Vec::new(),
            canvas_last: None,
            hide_bottom: false,
            count: 6,
            completion_seed: 1,
            completions: Vec::new(),
            completion_error: None,
        }
    }
}

fn bit_colour(b: u8) -> Color32 {
    if b == 0 { Color32::BLACK } else { Color32::WHITE }
}

impl DigitsPage {
    pub fn on_view(&mut self, view: MadeView) {
        if view.steps == 0 && view.train_curve.is_empty() && !view.training && view.model.is_none() {
            // A reset (a message about why is kept).
            *self = Self {
                speed: self.speed,
                hidden_units: self.hidden_units,
                message: self.message.take(),
                ..Self::default()
            };
            return;
        }
        if let Some(m) = &view.model {
            self.model = Some(m.clone());
            self.model_steps = view.steps;
        }
        self.view = view;
        self.view.model = None;
    }

    pub fn dataset_changed(&mut self) {
        *self = Self { speed: self.speed, hidden_units: self.hidden_units, seed: self.seed, ..Self::default() };
        self.message = Some("The dataset changed: MADE starts again on the new images (press Train MADE).".into());
    }

    /// The settings side panel: the introduction, Train / Pause / Reset / Load / Save, the size and the status.
    pub fn settings(&mut self, ui: &mut egui::Ui, cx: &LessonContext<'_>) -> Vec<Request> {
        let mut requests = Vec::new();
        crate::lessons::hall::intro(ui, "MADE: an exact likelihood by the chain rule", &EXPLANATION);
        ui.separator();
        self.controls(ui, cx, &mut requests);
        if let Some(m) = &self.message {
            ui.colored_label(Color32::from_rgb(230, 120, 60), m);
        }
        requests
    }

    /// The page itself: the NLL curves, the sampler and the completion.
    pub fn show(&mut self, ui: &mut egui::Ui, cx: &LessonContext<'_>) -> Vec<Request> {
        let mut requests = Vec::new();
        self.poll_file_job(cx, &mut requests);
        ui.horizontal_top(|ui| {
            // Room for the sampler on the right, also at twice the zoom (presentation mode).
            let width = (ui.available_width() - 230.0).clamp(240.0, 520.0);
            self.nll_plot(ui, width);
            ui.add_space(12.0);
            self.sampling(ui);
        });
        ui.separator();
        self.completion(ui, cx);
        requests
    }

    /// What a MADE file says about the model shown.
    pub fn info(&self) -> MadeInfo {
        MadeInfo {
            steps: self.model_steps,
            train_seconds: self.view.seconds,
            heldout_nll: self.view.heldout.map(|h| h.0),
        }
    }

    /// Space: Train (or resume) MADE, or pause it.
    pub fn toggle(&mut self, dataset: &crate::data::Dataset) -> Request {
        if self.view.training {
            Request::PauseMade
        } else {
            self.message = None;
            if self.view.steps > 0 { Request::ResumeMade } else { self.train_request(dataset, false) }
        }
    }

    /// A new MADE with the page's size and seed (or the current one if it fits), training or paused.
    fn train_request(&self, dataset: &crate::data::Dataset, paused: bool) -> Request {
        Request::TrainMade { data: Arc::new(dataset.binarised()), hidden: self.hidden_units, seed: self.seed, paused }
    }

    /// `.` / Step: `n` steps of the paused MADE, or of a new one (built with the seed) when there is none yet.
    pub fn step(&mut self, n: u32, dataset: &crate::data::Dataset) -> Option<Vec<Request>> {
        if self.paused() {
            Some(vec![Request::StepMade(n)])
        } else if self.fresh() {
            self.message = None;
            Some(vec![self.train_request(dataset, true), Request::StepMade(n)])
        } else {
            None
        }
    }

    /// No MADE yet (Step builds one).
    fn fresh(&self) -> bool {
        !self.view.training && self.view.steps == 0 && self.model.is_none()
    }

    /// Whether MADE has weights and is not training (Step works).
    pub fn paused(&self) -> bool {
        !self.view.training && self.view.steps > 0
    }

    fn controls(&mut self, ui: &mut egui::Ui, cx: &LessonContext<'_>, requests: &mut Vec<Request>) {
        ui.horizontal_wrapped(|ui| {
            unless_hidden(ui, Control::Training, |ui| {
                let label = if self.view.training { "Pause MADE" } else { "Train MADE" };
                if ui.button(label).clicked() {
                    requests.push(self.toggle(cx.dataset));
                }
                if let Some(n) = crate::lessons::hall::step_buttons(ui, self.paused() || self.fresh())
                    && let Some(step) = self.step(n, cx.dataset)
                {
                    requests.extend(step);
                }
                if ui.button("Reset MADE").clicked() {
                    self.message = None;
                    requests.push(Request::ResetMade);
                }
            });
            if !crate::lessons::classroom::shown(ui.ctx(), Control::Files) {
                return;
            }
            let idle = self.file_job.is_none();
            if ui.add_enabled(idle && !self.view.training, egui::Button::new("Load MADE…")).clicked() {
                self.file_job = Some(file_dialog(ui.ctx(), None));
            }
            let save =
                ui.add_enabled(idle && self.model.is_some() && !self.view.training, egui::Button::new("Save MADE…"));
            if save.clicked()
                && let Some(m) = &self.model
            {
                self.file_job = Some(file_dialog(ui.ctx(), Some((m.clone(), self.info()))));
            }
        });
        ui.horizontal(|ui| {
            let enabled = self.view.steps == 0;
            ui.add_enabled(enabled, egui::Slider::new(&mut self.hidden_units, 50..=1000).text("Hidden units"))
                .on_disabled_hover_text("Reset MADE to change the size");
        });
        crate::lessons::hall::seed_field(ui, &mut self.seed, self.view.steps == 0, "MADE");
        let d = cx.dataset.rows * cx.dataset.cols;
        let status = match self.view.heldout {
            Some((nll, se)) => format!(
                "step {} · {:.0} s · train ≈ {} nats · held-out −log p(x) = {nll:.1} ± {se:.1} nats (exact, {} digits) \
                 · {:.3} bits per pixel",
                self.view.steps,
                self.view.seconds,
                // A model from a file has no training curve yet.
                self.view.train_curve.last().map_or_else(|| "–".to_owned(), |p| format!("{:.1}", p[1])),
                super::worker::HELDOUT_SCORED,
                nll / (d as f64 * std::f64::consts::LN_2)
            ),
            None if self.view.training => "training… (the first held-out score comes in 2 s)".into(),
            None => format!(
                "Press Train MADE: {} hidden units on the {}×{} binarised digits of {} (pixels ≥ 0.5 → 1).",
                self.hidden_units, cx.dataset.rows, cx.dataset.cols, cx.dataset.name
            ),
        };
        ui.label(status);
    }

    fn poll_file_job(&mut self, cx: &LessonContext<'_>, requests: &mut Vec<Request>) {
        let Some(rx) = &self.file_job else { return };
        let Ok(outcome) = rx.try_recv() else { return };
        self.file_job = None;
        self.on_file(outcome, cx, requests);
    }

    /// What a Load or Save (from a dialog or a scene) ended with: a message, and a loaded model goes to the thread.
    pub fn on_file(&mut self, outcome: FileOutcome, cx: &LessonContext<'_>, requests: &mut Vec<Request>) {
        match outcome {
            FileOutcome::Loaded(path, model, info) => match model.check_size(cx.dataset.rows, cx.dataset.cols) {
                Ok(()) => {
                    // The file's name: the folder (for the shipped lecture, a cache folder) says nothing to the room.
                    let name =
                        path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into());
                    self.message = Some(format!(
                        "Loaded {name} ({} hidden units, {} steps); press Train MADE to go on training.",
                        model.hidden, info.steps
                    ));
                    self.hidden_units = model.hidden;
                    self.sampler = None;
                    self.completions.clear();
                    requests.push(Request::UseMade {
                        model,
                        steps: info.steps,
                        data: Arc::new(cx.dataset.binarised()),
                    });
                }
                Err(e) => self.message = Some(format!("{}: {e}; the current model is kept.", path.display())),
            },
            FileOutcome::Saved(path) => self.message = Some(format!("Saved {}.", path.display())),
            FileOutcome::Failed(e) => self.message = Some(format!("{e}; the current model is kept.")),
            FileOutcome::Cancelled => {}
        }
    }

    fn nll_plot(&self, ui: &mut egui::Ui, width: f32) {
        ui.vertical(|ui| {
            ui.set_max_width(width);
            ui.label(RichText::new("MADE negative log-likelihood (nats per digit)").strong());
            let shown = Plot::new("made-nll")
                .legend(Legend::default().position(Corner::RightTop))
                .width(width)
                .height(260.0)
                .x_axis_label("step")
                .label_formatter(crate::viz::hover::step_and_value)
                .y_axis_label("−log p(x)")
                .include_y(60.0)
                .include_y(220.0)
                .show(ui, |p| {
                    p.line(Line::new("train (minibatches, smoothed)", self.view.train_curve.clone()));
                    p.line(
                        Line::new("held-out (exact)", self.view.heldout_curve.clone())
                            .color(Color32::from_rgb(230, 140, 40))
                            .width(2.0),
                    );
                    p.hline(
                        HLine::new("VAE 2-D latent, IWAE bound after 60 s ≈ 142", VAE_REFERENCE)
                            .color(Color32::GRAY)
                            .style(LineStyle::dashed_loose()),
                    );
                });
            let csv = || {
                crate::viz::export::xy_csv(
                    "step",
                    "nll_nats",
                    &[("train".into(), &self.view.train_curve), ("held-out".into(), &self.view.heldout_curve)],
                )
            };
            crate::viz::export::plot(shown, "made-nll", Some(&csv));
        });
    }

    fn sampling(&mut self, ui: &mut egui::Ui) {
        ui.vertical(|ui| {
            ui.label(RichText::new("Sampling, pixel by pixel").strong());
            let now = ui.input(|i| i.time);
            let done = self.sampler.as_ref().is_none_or(|(_, s)| s.done());
            if done && self.sampler.is_some() && self.finished_at.is_none() {
                self.finished_at = Some(now);
            }
            let restart = self.sampler.is_none()
                || (self.auto_resample
                    && self.model_steps > self.sampler_steps
                    && self.finished_at.is_some_and(|t| now - t > 1.5));
            if restart && let Some(m) = &self.model {
                if self.sampler.is_some() {
                    self.sample_seed += 1;
                }
                self.sampler = Some((m.clone(), Sampler::new(m, self.sample_seed)));
                self.sampler_steps = self.model_steps;
                self.finished_at = None;
                self.carry = 0.0;
            }
            if self.auto_resample && self.view.training {
                crate::pacing::wake_after(ui.ctx(), std::time::Duration::from_millis(200));
            }
            let dt = self.last_time.map_or(0.0, |t| (now - t).clamp(0.0, 0.25));
            self.last_time = Some(now);
            if let Some((m, s)) = &mut self.sampler
                && !s.done()
            {
                self.carry += dt * f64::from(self.speed);
                while self.carry >= 1.0 && s.step(m).is_some() {
                    self.carry -= 1.0;
                }
                crate::pacing::wake(ui.ctx());
            }
            if let Some((m, s)) = &self.sampler {
                let next = s.next;
                let shown = paint_image(ui, "Sample being drawn", (m.rows, m.cols), CELL, |k| match k.cmp(&next) {
                    std::cmp::Ordering::Less => bit_colour(s.x[k]),
                    std::cmp::Ordering::Equal => CURSOR,
                    std::cmp::Ordering::Greater => UNDRAWN,
                });
                crate::viz::export::context_menu(&shown, "made-sample", None);
                let j = next.min(s.x.len()).saturating_sub(1);
                ui.label(format!(
                    "pixel {} of {} · p(x = 1 | pixels before) = {:.2}",
                    next,
                    s.x.len(),
                    s.probs.get(j).copied().unwrap_or(0.0)
                ));
                ui.label(format!("weights after step {} · seed {}", self.sampler_steps, self.sample_seed));
            } else {
                paint_image(ui, "Sample being drawn", (28, 28), CELL, |_| UNDRAWN);
                ui.label("Train MADE first: the sample appears here.");
            }
            ui.add(egui::Slider::new(&mut self.speed, 20.0..=5000.0).logarithmic(true).text("Pixels per second"));
            if ui.button("Sample again").clicked()
                && let Some(m) = &self.model
            {
                self.sample_seed += 1;
                self.carry = 0.0;
                self.sampler = Some((m.clone(), Sampler::new(m, self.sample_seed)));
                self.sampler_steps = self.model_steps;
                self.finished_at = None;
            }
            ui.checkbox(&mut self.auto_resample, "Start a new sample with the newest weights when one is done");
            ui.small("Blue: not drawn yet · red: the pixel being drawn.");
        });
    }

    /// The digit to complete, as bits (held-out digit or the drawing).
    fn source_bits(&self, cx: &LessonContext<'_>) -> Vec<u8> {
        match self.source {
            Source::HeldOut => {
                let held = cx.dataset.heldout_range();
                let i = (held.start + self.heldout_index).min(cx.dataset.len().saturating_sub(1));
                made::binarise(cx.dataset.image(i))
            }
            Source::Drawn => made::binarise(&self.canvas),
        }
    }

    fn completion(&mut self, ui: &mut egui::Ui, cx: &LessonContext<'_>) {
        let (rows, cols) = (cx.dataset.rows, cx.dataset.cols);
        if self.canvas.len() != rows * cols {
            self.canvas = vec![0.0; rows * cols];
        }
        ui.label(RichText::new("Completion (as in the PixelRNN paper's Figure 1)").strong());
        ui.label(
            "Pick a held-out digit or draw one, hide its bottom half, and let the model draw the hidden pixels \
             several times: each completion continues the chain rule from the last visible pixel, p(x_hidden | \
             x_visible) = Π over hidden j of p(xⱼ | x<ⱼ).",
        );
        let mut changed = false;
        ui.horizontal(|ui| {
            changed |= ui.selectable_value(&mut self.source, Source::HeldOut, "Held-out digit").changed();
            changed |= ui.selectable_value(&mut self.source, Source::Drawn, "Draw your own").changed();
            if self.source == Source::HeldOut {
                let count = cx.dataset.heldout_range().len().max(1);
                let label = ui.label("Held-out index");
                changed |= ui
                    .add(egui::DragValue::new(&mut self.heldout_index).range(0..=count - 1))
                    .labelled_by(label.id)
                    .changed();
            } else if ui.button("Clear drawing").clicked() {
                self.canvas.fill(0.0);
                changed = true;
            }
        });
        ui.horizontal(|ui| {
            if ui.button("Hide the bottom half").clicked() {
                self.hide_bottom = true;
                changed = true;
            }
            if ui.button("Show the whole digit").clicked() {
                self.hide_bottom = false;
                self.completions.clear();
                self.completion_error = None;
            }
            changed |= ui.add(egui::Slider::new(&mut self.count, 4..=8).text("Completions")).changed();
            let label = ui.label("Completion seed");
            changed |= ui
                .add(egui::DragValue::new(&mut self.completion_seed).range(1..=999_999))
                .labelled_by(label.id)
                .changed();
            if ui.button("Complete").clicked() {
                changed = true;
                if !self.hide_bottom {
                    self.completions.clear();
                    self.completion_error = Some(crate::autoregressive::ArError::NothingHidden.to_string());
                    changed = false;
                }
            }
        });
        let bits = self.source_bits(cx);
        let known = if self.hide_bottom { (rows / 2) * cols } else { rows * cols };
        if changed && self.hide_bottom {
            self.complete(&bits, known, rows, cols);
        }
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.label("Original");
                if self.source == Source::Drawn {
                    self.draw_canvas(ui, rows, cols);
                } else {
                    paint_image(ui, "Original digit", (rows, cols), SMALL_CELL, |k| bit_colour(bits[k]));
                }
            });
            ui.vertical(|ui| {
                ui.label("Shown to the model");
                paint_image(ui, "Visible part", (rows, cols), SMALL_CELL, |k| {
                    if k < known { bit_colour(bits[k]) } else { HIDDEN }
                });
            });
            for (n, c) in self.completions.iter().enumerate() {
                ui.vertical(|ui| {
                    ui.label(format!("Completion {}", n + 1));
                    let shown =
                        paint_image(ui, &format!("Completion image {}", n + 1), (rows, cols), SMALL_CELL, |k| {
                            let b = c.get(k).copied().unwrap_or(0);
                            if k < known {
                                bit_colour(b)
                            } else if b == 0 {
                                Color32::from_rgb(10, 10, 30)
                            } else {
                                Color32::from_rgb(255, 210, 120)
                            }
                        });
                    crate::viz::export::context_menu(&shown, &format!("made-completion-{}", n + 1), None);
                });
            }
        });
        if let Some(e) = &self.completion_error {
            ui.colored_label(Color32::from_rgb(230, 120, 60), e);
        } else if !self.completions.is_empty() {
            ui.small("Completed pixels are drawn in amber; the visible half is copied from the original.");
        }
    }

    fn complete(&mut self, bits: &[u8], known: usize, rows: usize, cols: usize) {
        self.completions.clear();
        self.completion_error = None;
        let Some(model) = &self.model else {
            self.completion_error = Some("Train MADE first (a few seconds are enough to see something).".into());
            return;
        };
        if let Err(e) = model.check_size(rows, cols) {
            self.completion_error = Some(e.to_string());
            return;
        }
        match made::complete(model, bits, known, self.count, self.completion_seed) {
            Ok(c) => self.completions = c,
            Err(e) => self.completion_error = Some(e.to_string()),
        }
    }

    fn draw_canvas(&mut self, ui: &mut egui::Ui, rows: usize, cols: usize) {
        let canvas = self.canvas.clone();
        let response = paint_image(ui, "Drawing canvas", (rows, cols), SMALL_CELL, |k| {
            Color32::from_gray((canvas[k].clamp(0.0, 1.0) * 255.0) as u8)
        });
        if (response.dragged() || response.drag_started())
            && let Some(pos) = response.interact_pointer_pos()
        {
            let rect = response.rect;
            let now = [(pos.y - rect.min.y) / SMALL_CELL, (pos.x - rect.min.x) / SMALL_CELL];
            let from = self.canvas_last.unwrap_or(now);
            let steps = ((now[0] - from[0]).abs().max((now[1] - from[1]).abs()) * 2.0).ceil().max(1.0) as usize;
            for k in 0..=steps {
                let t = k as f32 / steps as f32;
                let (r, c) = (from[0] + t * (now[0] - from[0]), from[1] + t * (now[1] - from[1]));
                if r >= 0.0 && c >= 0.0 && (r as usize) < rows && (c as usize) < cols {
                    paint_brush(&mut self.canvas, rows, cols, r as usize, c as usize);
                }
            }
            self.canvas_last = Some(now);
        } else {
            self.canvas_last = None;
        }
        if response.drag_stopped() && self.hide_bottom {
            let bits = made::binarise(&self.canvas);
            self.complete(&bits, (rows / 2) * cols, rows, cols);
        }
    }
}

/// The explanation panel's text for the Digits (MADE) page.
pub const EXPLANATION: crate::lessons::hall::Explanation = crate::lessons::hall::Explanation {
    what: "MADE on the binarised digits: each pixel is a Bernoulli whose logit ℓⱼ is output j of one network, and \
           output j may only look at the pixels before j (raster order), so log p(x) is exact, in one pass — no \
           bound, no sampling. The plot shows the exact held-out NLL against the VAE's bound; generating is \
           sequential (drawn pixel by pixel on the right); below, a digit with its bottom half hidden is completed.",
    formula: concat!(
        r"p(x) = \prod_j p(x_j \mid x_{<j}), \quad \log p(x) = \sum_j \left[x_j \log \sigma(\ell_j) + (1 - x_j) \log\left(1 - \sigma(\ell_j)\right)\right]",
        "\n",
        r"\text{masks: hidden unit } k \text{ has a degree } m(k) \in \{1, \ldots, D - 1\}",
        "\n",
        r"\text{pixel } i \text{ feeds unit } k \text{ only if } m(k) \geq i \text{, unit } k \text{ feeds output } j \text{ only if } j > m(k)",
    ),
    things_to_try: &[
        "Train for a minute: the held-out NLL drops well below the VAE's ≈ 142-nat bound — and it is exact.",
        "Slow the sampler right down: early rows are almost surely black, the stroke appears only once the first \
         white pixel is drawn.",
        "Hide the bottom half of a 7 or a 4 and compare completions: the model keeps the stroke going, but several \
         digits can fit.",
        "Draw the top of a digit yourself and complete it.",
        "Sample before training: the untrained model draws independent noise with the pixels' mean brightness.",
    ],
};

/// Runs a Load (no model) or Save dialog and the file work on a helper thread.
fn file_dialog(ctx: &egui::Context, save: Option<(Arc<Made>, MadeInfo)>) -> Receiver<FileOutcome> {
    let (tx, rx) = mpsc::channel();
    let ctx = ctx.clone();
    std::thread::spawn(move || {
        let dialog = rfd::FileDialog::new().add_filter("MADE model", &["json"]);
        let outcome = match save {
            Some((model, info)) => match dialog.set_title("Save MADE").set_file_name("made.json").save_file() {
                Some(path) => match model.save(&path, &info) {
                    Ok(()) => FileOutcome::Saved(path),
                    Err(e) => FileOutcome::Failed(e.to_string()),
                },
                None => FileOutcome::Cancelled,
            },
            None => match dialog.set_title("Load MADE").pick_file() {
                Some(path) => match Made::load(&path) {
                    Ok((model, info)) => FileOutcome::Loaded(path, Box::new(model), info),
                    Err(e) => FileOutcome::Failed(e.to_string()),
                },
                None => FileOutcome::Cancelled,
            },
        };
        let _ = tx.send(outcome);
        crate::pacing::wake(&ctx);
    });
    rx
}
