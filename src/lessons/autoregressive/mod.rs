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
pub use wave::{WavePage, receptive_set};

/// The two parts of the lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    started: bool,
    pub digits: DigitsPage,
    pub wave: WavePage,
}

impl Default for AutoregressiveLesson {
    fn default() -> Self {
        Self {
            page: Page::Digits,
            worker: None,
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
    let (response, painter) = ui.allocate_painter(size, egui::Sense::drag());
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
        egui::Frame::new().inner_margin(8.0).show(ui, |ui| self.page_ui(ui, cx));
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
    fn page_ui(&mut self, ui: &mut egui::Ui, cx: &LessonContext<'_>) {
        ui.horizontal(|ui| {
            for page in Page::ALL {
                ui.selectable_value(&mut self.page, page, page.label());
            }
        });
        ui.separator();
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| match self.page {
            Page::Digits => {
                let requests = self.digits.show(ui, cx);
                send(self.worker.as_ref(), requests, &mut self.digits.message);
            }
            Page::Signals => {
                let requests = self.wave.show(ui);
                send(self.worker.as_ref(), requests, &mut self.wave.message);
            }
        });
    }
}
