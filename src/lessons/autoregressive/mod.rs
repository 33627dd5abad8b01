//! "Autoregressive": exact likelihood by the chain rule. Two pages: MADE on the binarised digits (NLL curves,
//! pixel-by-pixel sampling, completion of a hidden bottom half) and a WaveNet-style dilated causal CNN on synthetic
//! signals (receptive-field diagram, loss, continuations). Training runs on the lesson's own thread (`worker`).

mod digits;
mod wave;
pub mod worker;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};

use eframe::egui::{self, Color32};

use super::{Lesson, LessonContext};
use crate::train::TrainEvent;
use worker::{ArWorker, Reply, Request};

use crate::autoregressive::made::Made;
use crate::autoregressive::wavenet::WaveNetFile;
pub use digits::DigitsPage;
pub use digits::EXPLANATION as DIGITS_EXPLANATION;
use digits::FileOutcome;
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

/// How a model file of a page went (written or read on a helper thread).
type PageFile = (Page, FileOutcome);
/// Writes a model file, on a helper thread.
type SaveJob = Box<dyn FnOnce(&Path) -> Result<(), String> + Send>;

/// The lesson: its pages' state and its thread.
pub struct AutoregressiveLesson {
    page: Page,
    /// Scenes' model files are written and read on helper threads, which report here (with the page whose model
    /// it is).
    scene_files: (Sender<PageFile>, Receiver<PageFile>),
    /// A MADE file from an opened scene, read from the next frame on.
    scene_made: Option<PathBuf>,
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
            scene_files: mpsc::channel(),
            scene_made: None,
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
        let (replies, ended) = w.drain();
        for reply in replies {
            match reply {
                Reply::Made(view) => self.digits.on_view(*view),
                Reply::Wave(view) => self.wave.on_view(*view),
                Reply::MadeMessage(m) => self.digits.message = Some(m),
                Reply::WaveMessage(m) => self.wave.message = Some(m),
            }
        }
        if let Some(ended) = ended {
            // The next frame starts a fresh thread; what the pages show stays, marked as no longer training.
            self.worker = None;
            self.digits.view.training = false;
            self.wave.view.training = false;
            let message = format!("{ended}. Press Train to start again.");
            self.digits.message = Some(message.clone());
            self.wave.message = Some(message);
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
        self.scene_files(ui.ctx(), cx);
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
        self.send_or_queue(vec![request]);
        true
    }

    /// `.`: steps of the page shown's model while it is paused.
    fn step_training(&mut self, n: u32, cx: &mut LessonContext<'_>) -> bool {
        let requests = match self.page {
            Page::Digits => self.digits.step(n, cx.dataset),
            Page::Signals => self.wave.step(n),
        };
        let Some(requests) = requests else { return false };
        self.send_or_queue(requests);
        true
    }

    fn save_scene(&self, _dir: &Path) -> Option<serde_json::Value> {
        super::scene::to_value(&self.scene_settings(None))
    }

    /// The settings and, once MADE or the WaveNet has weights, the model as `<scene stem>-made.json` /
    /// `<scene stem>-wavenet.json` next to the scene (the weights the page last received: while training, up to
    /// two seconds old). Helper threads write the files (promised, so the scene file follows them); how that went
    /// is the page's message.
    fn save_scene_with_models(
        &mut self,
        dir: &Path,
        stem: &str,
        _cx: &mut LessonContext<'_>,
    ) -> Option<(serde_json::Value, Vec<PathBuf>)> {
        let scene = &dir.join(format!("{stem}.json"));
        let mut promised = Vec::new();
        let mut write = |page: Page, name: &str, save: SaveJob| {
            let path = super::scene::model_file(scene, name, "json");
            let (tx, file) = (self.scene_files.0.clone(), path.clone());
            std::thread::spawn(move || {
                let outcome = match save(&file) {
                    Ok(()) => FileOutcome::Saved(file),
                    Err(e) => FileOutcome::Failed(e),
                };
                let _ = tx.send((page, outcome));
            });
            promised.push(path.clone());
            super::scene::reference(&path, dir)
        };
        let made = self.digits.model.clone().map(|m| {
            let info = self.digits.info();
            write(Page::Digits, "made", Box::new(move |file| m.save(file, &info).map_err(|e| e.to_string())))
        });
        let view = &self.wave.view;
        let wavenet = view.net.clone().filter(|_| view.steps > 0).map(|net| {
            let file = WaveNetFile { signal: view.kind, model: (*net).clone(), steps: view.steps };
            write(Page::Signals, "wavenet", Box::new(move |path| file.save(path).map_err(|e| e.to_string())))
        });
        let mut settings = self.scene_settings(made);
        settings.wavenet = wavenet;
        super::scene::to_value(&settings).map(|part| (part, promised))
    }

    /// The settings of both pages, and MADE when the scene has it (read on a helper thread from the tab's next
    /// frame on,
    /// as with Load MADE…: a bad file is the page's message and the current model is kept). Refused while a page
    /// trains, when the MADE file is missing, and, without a MADE file, when a trained MADE has another size or
    /// the WaveNet another signal (reset it first).
    fn load_scene(&mut self, scene: &serde_json::Value, dir: &Path, _cx: &mut LessonContext<'_>) -> Result<(), String> {
        let s: ArScene = super::scene::parse(scene)?;
        let made = s.made.as_deref().map(|m| super::scene::resolve_file(m, dir)).transpose()?;
        let wavenet = s.wavenet.as_deref().map(|w| read_scene_wavenet(w, dir)).transpose()?;
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
        if made.is_none() && self.digits.view.steps > 0 && hidden != self.digits.hidden_units {
            return Err(format!(
                "MADE is trained with {} hidden units, the scene has {hidden}: press Reset MADE first",
                self.digits.hidden_units
            ));
        }
        if wavenet.is_none()
            && self.wave.view.steps > 0
            && (s.signal, s.dilations) != (self.wave.kind, self.wave.preset)
        {
            return Err("the WaveNet is trained on another signal or dilations: press Reset WaveNet first".into());
        }
        self.scene_made = made;
        self.apply_settings(&s, hidden);
        if let Some((file, preset)) = wavenet {
            self.wave.kind = file.signal;
            self.wave.preset = preset;
            self.wave.message = None;
            let request = Request::UseWaveNet { net: Box::new(file.model), kind: file.signal, steps: file.steps };
            self.send_or_queue(vec![request]);
        }
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
    fn scene_settings(&self, made: Option<String>) -> ArScene {
        ArScene {
            page: self.page,
            hidden_units: self.digits.hidden_units,
            pixels_per_second: self.digits.speed,
            auto_resample: self.digits.auto_resample,
            heldout_index: self.digits.heldout_index,
            hide_bottom: self.digits.hide_bottom,
            completions: self.digits.count,
            completion_seed: self.digits.completion_seed,
            made_seed: self.digits.seed,
            wavenet_seed: self.wave.seed,
            signal: self.wave.kind,
            dilations: self.wave.preset,
            temperature: self.wave.temperature,
            made,
            wavenet: None,
        }
    }

    fn apply_settings(&mut self, s: &ArScene, hidden: usize) {
        self.page = s.page;
        self.digits.hidden_units = hidden;
        self.digits.speed = s.pixels_per_second.clamp(20.0, 5000.0);
        self.digits.auto_resample = s.auto_resample;
        self.digits.source = digits::Source::HeldOut;
        self.digits.heldout_index = s.heldout_index;
        self.digits.hide_bottom = s.hide_bottom;
        self.digits.count = s.completions.clamp(4, 8);
        self.digits.completion_seed = s.completion_seed.clamp(1, 999_999);
        self.digits.seed = s.made_seed.clamp(1, crate::lessons::hall::MAX_SEED);
        self.wave.seed = s.wavenet_seed.clamp(1, crate::lessons::hall::MAX_SEED);
        self.digits.completions.clear();
        self.wave.kind = s.signal;
        self.wave.preset = s.dilations;
        self.wave.temperature = s.temperature.clamp(0.0, 1.5);
    }

    /// Starts reading a scene's MADE file and takes what the scenes' file threads report.
    fn scene_files(&mut self, ctx: &egui::Context, cx: &LessonContext<'_>) {
        if let Some(path) = self.scene_made.take() {
            let (tx, ctx) = (self.scene_files.0.clone(), ctx.clone());
            std::thread::spawn(move || {
                let outcome = match Made::load(&path) {
                    Ok((model, info)) => FileOutcome::Loaded(path, Box::new(model), info),
                    Err(e) => FileOutcome::Failed(e.to_string()),
                };
                let _ = tx.send((Page::Digits, outcome));
                crate::pacing::wake(&ctx);
            });
        }
        let outcomes: Vec<PageFile> = self.scene_files.1.try_iter().collect();
        for (page, outcome) in outcomes {
            if page == Page::Signals {
                self.wave.on_saved(outcome);
                continue;
            }
            let mut requests = Vec::new();
            self.digits.on_file(outcome, cx, &mut requests);
            send(self.worker.as_ref(), requests, &mut self.digits.message);
        }
    }

    /// Sends requests of the page shown (a failure is that page's message).
    /// Sends now, or with the first frame that has started the thread.
    fn send_or_queue(&mut self, requests: Vec<Request>) {
        if self.worker.is_some() {
            self.send_page(requests);
        } else {
            self.queued.extend(requests);
        }
    }

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

/// Reads a scene's WaveNet file and finds its dilation stack among the tab's presets.
fn read_scene_wavenet(reference: &str, dir: &Path) -> Result<(WaveNetFile, usize), String> {
    let path = super::scene::resolve_file(reference, dir)?;
    let file = WaveNetFile::load(&path).map_err(|e| e.to_string())?;
    let preset = wave::PRESETS.iter().position(|d| *d == file.model.config.dilations.as_slice()).ok_or_else(|| {
        format!("{reference}: its dilations {:?} are not one of the tab's stacks", file.model.config.dilations)
    })?;
    Ok((file, preset))
}

fn one() -> u64 {
    1
}

/// The Autoregressive tab in a scene file: the page shown, both pages' settings and the MADE file, if MADE has weights.
/// A scene may name a WaveNet file too (the lecture's does); the app does not write one (it trains in seconds).
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
    /// The seeds of a new MADE and a new WaveNet (scenes from before they were saved: 1).
    #[serde(default = "one")]
    made_seed: u64,
    #[serde(default = "one")]
    wavenet_seed: u64,
    signal: crate::autoregressive::signals::SignalKind,
    /// Index into the dilation presets.
    dilations: usize,
    temperature: f32,
    /// MADE's file, relative to the scene's folder when inside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    made: Option<String>,
    /// A WaveNet file (`latent-lab train wavenet --out`), likewise: shown paused on its signal and dilations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wavenet: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autoregressive::wavenet::{WaveNet, WaveNetConfig};

    #[test]
    fn a_scene_reads_the_shipped_wavenet_and_refuses_other_dilations() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lecture");
        let (file, preset) = read_scene_wavenet("wavenet.json", &dir).unwrap();
        assert_eq!(wave::PRESETS[preset], file.model.config.dilations.as_slice());
        assert!(file.steps > 1000, "the shipped WaveNet records its steps: {}", file.steps);
        let odd = tempfile::tempdir().unwrap();
        let net = WaveNet::new(WaveNetConfig { dilations: vec![1, 3], ..WaveNetConfig::default() }, 1).unwrap();
        WaveNetFile { signal: file.signal, model: net, steps: 5 }.save(&odd.path().join("odd.json")).unwrap();
        let e = read_scene_wavenet("odd.json", odd.path()).unwrap_err();
        assert!(e.contains("odd.json") && e.contains("[1, 3]"), "{e}");
        assert!(read_scene_wavenet("made.json", &dir).is_err(), "a MADE file is not a WaveNet");
    }
}
