//! "Autoregressive": exact likelihood by the chain rule. Two pages: MADE on the binarised digits (NLL curves,
//! pixel-by-pixel sampling, completion of a hidden bottom half) and a WaveNet-style dilated causal CNN on synthetic
//! signals (receptive-field diagram, loss, continuations). Training runs on the lesson's own thread (`worker`).

mod digits;
mod wave;
pub mod worker;

use eframe::egui::{self, Color32};

use super::{Lesson, LessonContext};
use crate::train::TrainEvent;
use worker::{ArWorker, Reply, Request};

pub use digits::DigitsPage;
pub use digits::EXPLANATION as DIGITS_EXPLANATION;
pub use wave::{EXPLANATION as SIGNALS_EXPLANATION, WavePage, receptive_set};

/// The two parts of the lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Page {
    Digits,
    Signals,
}

impl Page {
    const ALL: [Self; 2] = [Self::Digits, Self::Signals];
    fn label(self) -> &'static str {
        match self {
            Self::Digits => "Digits (MADE)",
            Self::Signals => "Signals (WaveNet)",
        }
    }
}

/// The lesson: its pages' state and its thread.
pub struct AutoregressiveLesson {
    page: Page,
    worker: Option<ArWorker>,
    /// Requests made before the thread was started (sent with the next frame).
    queued: Vec<Request>,
    started: bool,
    pub digits: DigitsPage,
    pub wave: WavePage,
}

impl Default for AutoregressiveLesson {
    fn default() -> Self {
        Self {
            page: Page::Digits,
            worker: None,
            queued: Vec::new(),
            started: false,
            digits: DigitsPage::default(),
            wave: WavePage::default(),
        }
    }
}

impl AutoregressiveLesson {
    fn drain(&mut self) {
        let Some(w) = &self.worker else { return };
        while let Ok(reply) = w.rx.try_recv() {
            match reply {
                Reply::Made(view) => self.digits.on_view(*view),
                Reply::Wave(view) => self.wave.on_view(*view),
                Reply::MadeMessage(m) => self.digits.message = Some(m),
                Reply::WaveMessage(m) => self.wave.message = Some(m),
            }
        }
    }
}

/// Sends `requests` to the lesson's thread (or says that it could not start).
fn send(worker: Option<&ArWorker>, requests: Vec<Request>, message: &mut Option<String>) {
    match worker {
        Some(w) => {
            for r in requests {
                if w.tx.send(r).is_err() {
                    *message = Some("the lesson's training thread has stopped".into());
                }
            }
        }
        None => *message = Some("could not start the lesson's training thread".into()),
    }
}

/// Paints a `rows × cols` image cell by cell with `colour(pixel)` and gives it an accessible label.
fn paint_image(
    ui: &mut egui::Ui,
    label: &str,
    (rows, cols): (usize, usize),
    cell: f32,
    colour: impl Fn(usize) -> Color32,
) -> egui::Response {
    let size = egui::vec2(cols as f32 * cell, rows as f32 * cell);
    let (response, painter) = ui.allocate_painter(size, egui::Sense::click_and_drag());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, label));
    let rect = response.rect;
    painter.rect_filled(rect, 0.0, Color32::BLACK);
    for k in 0..rows * cols {
        let c = colour(k);
        if c != Color32::BLACK {
            let min = rect.min + egui::vec2((k % cols) as f32 * cell, (k / cols) as f32 * cell);
            painter.rect_filled(egui::Rect::from_min_size(min, egui::vec2(cell, cell)), 0.0, c);
        }
    }
    painter.rect_stroke(rect, 0.0, egui::Stroke::new(1.0, Color32::GRAY), egui::StrokeKind::Outside);
    response
}

impl Lesson for AutoregressiveLesson {
    fn name(&self) -> &'static str {
        "Autoregressive"
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        if !self.started {
            self.started = true;
            self.worker = ArWorker::spawn(ui.ctx().clone());
        }
        self.drain();
        if !self.queued.is_empty() {
            let queued = std::mem::take(&mut self.queued);
            self.send_page(queued);
        }
        super::hall::controls_panel(ui, "autoregressive-controls", 380.0, |ui| {
            let requests = match self.page {
                Page::Digits => self.digits.settings(ui, cx),
                Page::Signals => self.wave.settings(ui),
            };
            self.send_page(requests);
        });
        egui::CentralPanel::default().show(ui, |ui| self.page_ui(ui, cx));
    }

    fn explanation(&self) -> Option<super::hall::Explanation> {
        Some(match self.page {
            Page::Digits => digits::EXPLANATION,
            Page::Signals => wave::EXPLANATION,
        })
    }

    /// Space: Train / Pause / Resume of the page shown (MADE or the WaveNet).
    fn toggle_training(&mut self, cx: &mut LessonContext<'_>) -> bool {
        let request = match self.page {
            Page::Digits => self.digits.toggle(cx.dataset),
            Page::Signals => self.wave.toggle(),
        };
        if self.worker.is_some() {
            self.send_page(vec![request]);
        } else {
            self.queued.push(request);
        }
        true
    }

    fn save_scene(&self, _dir: &std::path::Path) -> Option<serde_json::Value> {
        super::scene::to_value(&ArScene {
            page: self.page,
            hidden_units: self.digits.hidden_units,
            pixels_per_second: self.digits.speed,
            auto_resample: self.digits.auto_resample,
            heldout_index: self.digits.heldout_index,
            hide_bottom: self.digits.hide_bottom,
            completions: self.digits.count,
            completion_seed: self.digits.completion_seed,
            signal: self.wave.kind,
            dilations: self.wave.preset,
            temperature: self.wave.temperature,
        })
    }

    /// The settings of both pages (not the models: save MADE with Save MADE…). Refused while a page trains, and
    /// when a trained model has another size or signal (reset it first).
    fn load_scene(
        &mut self,
        scene: &serde_json::Value,
        _dir: &std::path::Path,
        _cx: &mut LessonContext<'_>,
    ) -> Result<(), String> {
        let s: ArScene = super::scene::parse(scene)?;
        if !(s.pixels_per_second.is_finite() && s.temperature.is_finite()) {
            return Err("its sampling speed or temperature is not a number".into());
        }
        if s.dilations >= wave::PRESETS.len() {
            return Err(format!("there is no dilation stack number {}", s.dilations + 1));
        }
        if self.digits.view.training || self.wave.view.training {
            return Err("the Autoregressive tab is training: pause it first".into());
        }
        let hidden = s.hidden_units.clamp(50, 1000);
        if self.digits.view.steps > 0 && hidden != self.digits.hidden_units {
            return Err(format!(
                "MADE is trained with {} hidden units, the scene has {hidden}: press Reset MADE first",
                self.digits.hidden_units
            ));
        }
        if self.wave.view.steps > 0 && (s.signal, s.dilations) != (self.wave.kind, self.wave.preset) {
            return Err("the WaveNet is trained on another signal or dilations: press Reset WaveNet first".into());
        }
        self.page = s.page;
        self.digits.hidden_units = hidden;
        self.digits.speed = s.pixels_per_second.clamp(20.0, 5000.0);
        self.digits.auto_resample = s.auto_resample;
        self.digits.source = digits::Source::HeldOut;
        self.digits.heldout_index = s.heldout_index;
        self.digits.hide_bottom = s.hide_bottom;
        self.digits.count = s.completions.clamp(4, 8);
        self.digits.completion_seed = s.completion_seed.clamp(1, 999_999);
        self.digits.completions.clear();
        self.wave.kind = s.signal;
        self.wave.preset = s.dilations;
        self.wave.temperature = s.temperature.clamp(0.0, 1.5);
        Ok(())
    }

    fn on_event(&mut self, _event: &TrainEvent) {}

    fn on_dataset_changed(&mut self) {
        self.digits.dataset_changed();
        if let Some(w) = &self.worker {
            let _ = w.tx.send(Request::ResetMade);
        }
    }
}

impl AutoregressiveLesson {
    /// Sends requests of the page shown (a failure is that page's message).
    fn send_page(&mut self, requests: Vec<Request>) {
        let message = match self.page {
            Page::Digits => &mut self.digits.message,
            Page::Signals => &mut self.wave.message,
        };
        send(self.worker.as_ref(), requests, message);
    }

    fn page_ui(&mut self, ui: &mut egui::Ui, cx: &LessonContext<'_>) {
        ui.horizontal(|ui| {
            for page in Page::ALL {
                if ui.selectable_value(&mut self.page, page, page.label()).changed() {
                    // The settings panel, drawn before, belongs to the other page: draw the frame again.
                    ui.ctx().request_discard("the Autoregressive page changed");
                }
            }
        });
        ui.separator();
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| match self.page {
            Page::Digits => {
                let requests = self.digits.show(ui, cx);
                send(self.worker.as_ref(), requests, &mut self.digits.message);
            }
            Page::Signals => self.wave.show(ui),
        });
    }
}

/// The Autoregressive tab in a scene file: the page shown and both pages' settings (not the models).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct ArScene {
    page: Page,
    hidden_units: usize,
    pixels_per_second: f32,
    auto_resample: bool,
    heldout_index: usize,
    hide_bottom: bool,
    completions: usize,
    completion_seed: u64,
    signal: crate::autoregressive::signals::SignalKind,
    /// Index into the dilation presets.
    dilations: usize,
    temperature: f32,
}
