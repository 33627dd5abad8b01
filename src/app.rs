//! The eframe app: tab bar, status bar, dataset loading, and the hand-off of worker events to the lessons.

pub mod drop;
pub mod hall;
pub mod lecture;
pub mod scene;
pub mod slow_motion;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::time::Instant;

use eframe::egui::{self, RichText};

use crate::data::Dataset;
use crate::lessons::{self, Lesson, LessonContext};
use crate::models::device::{DeviceInfo, DevicePref};
use crate::pacing::{self, Pace, Pacer};
use crate::runtime::steps;
use crate::train::{TrainCommand, TrainConfig, TrainEvent, TrainerHandle, WorkerOptions, WorkerState};

/// Start-up choices from the command line.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    pub device: DevicePref,
    /// What draws the window (`--renderer`); read by the binary before the window opens.
    pub renderer: renderer::RendererPref,
    /// Measure this many frames while training, print frame-time percentiles, then quit.
    pub bench_frames: Option<usize>,
    /// When the process started, to report the time to the first frame.
    pub launched: Option<Instant>,
    /// The Flows lesson's WGSL heat maps: `None` = on a hardware GPU only (or as `LATENT_LAB_SHADER=off|force`
    /// says), `Some(true)` = on any wgpu adapter, `Some(false)` = never.
    pub shader: Option<bool>,
    /// View ▸ Refresh while training, overriding the remembered choice.
    pub refresh: Option<pacing::Refresh>,
    /// `--theme`, overriding the remembered View ▸ Theme.
    pub theme: Option<hall::Theme>,
    /// `--lecture [FILE] --stop N`: start in lecture mode (the shipped lecture without a file) at stop N (from 1).
    pub lecture: Option<(Option<PathBuf>, usize)>,
    /// `bench window`: the tabs to measure and where the numbers go; the window closes when they are done.
    pub window_bench: Option<(bench_window::Plan, bench_window::Results)>,
}

/// Frame-time bookkeeping (time spent building each frame on the UI thread).
#[derive(Default)]
struct FrameTimes {
    recent: std::collections::VecDeque<f64>,
}

impl FrameTimes {
    fn push(&mut self, ms: f64) {
        if self.recent.len() == 120 {
            self.recent.pop_front();
        }
        self.recent.push_back(ms);
    }

    fn mean(&self) -> f64 {
        if self.recent.is_empty() { 0.0 } else { self.recent.iter().sum::<f64>() / self.recent.len() as f64 }
    }
}

/// `--bench-ui`: collects frame times once training runs, then prints them and closes the window.
struct UiBench {
    frames: usize,
    /// Time spent building each frame on the UI thread (ms).
    times: Vec<f64>,
    /// Time from one frame's start to the next, rendering included (ms).
    intervals: Vec<f64>,
    started: bool,
    /// After the first tab: each further tab in turn, its training started (Space), `frames` frames each.
    tour: bench_tour::Tour,
}

mod bench_tour;
pub mod bench_window;
pub mod renderer;

pub use crate::numeric::percentile;

/// The whole application.
pub struct LatentLabApp {
    trainer: TrainerHandle,
    dataset: Arc<Dataset>,
    lessons: Vec<Box<dyn Lesson>>,
    selected: usize,
    device: Option<DeviceInfo>,
    worker_state: WorkerState,
    error: Option<String>,
    notice: Option<String>,
    dataset_job: Option<Receiver<Result<Dataset, String>>>,
    frames: FrameTimes,
    bench: Option<UiBench>,
    launched: Option<Instant>,
    first_frame_reported: bool,
    commands: Vec<TrainCommand>,
    hall: hall::Hall,
    scene_job: scene::SceneDialog,
    /// A saved scene waiting for the model files it names (written once they are there).
    pending_scene: Option<scene::PendingScene>,
    /// The lecture being given (Lecture ▸ Start the lecture).
    lecture: Option<lecture::LectureRun>,
    lecture_job: scene::SceneDialog,
    /// Files dropped on the window, being read.
    drop_job: drop::DropJob,
    pacer: Pacer,
    steps: StepRate,
    slow_motion: slow_motion::SlowMotion,
    /// What draws the window (`None` without a renderer, e.g. in tests).
    drawing: Option<renderer::Drawing>,
    window_bench: Option<bench_window::Run>,
}

/// The optimiser steps per second of every training thread, over the last second or so.
#[derive(Default)]
struct StepRate {
    last: Option<(Instant, u64)>,
    per_second: f64,
}

impl StepRate {
    fn update(&mut self) -> f64 {
        let (now, total) = (Instant::now(), steps::total());
        match self.last {
            Some((t, before)) if now.duration_since(t).as_secs_f64() >= 1.0 => {
                self.per_second = steps::rate(before, total, now.duration_since(t).as_secs_f64());
                self.last = Some((now, total));
            }
            Some(_) => {}
            None => self.last = Some((now, total)),
        }
        self.per_second
    }
}

/// Without a GPU a frame costs about this much CPU (UI thread + software renderer at 1400×900), until measured.
const SOFTWARE_FRAME_GUESS: std::time::Duration = std::time::Duration::from_millis(60);

impl LatentLabApp {
    /// Builds the app; the worker thread starts here and chooses the device in the background.
    pub fn new(cc: &eframe::CreationContext<'_>, options: &AppOptions) -> Self {
        crate::viz::fonts::install(&cc.egui_ctx);
        if let Some(rs) = &cc.wgpu_render_state {
            crate::viz::gpu_heatmap::register(rs, &cc.egui_ctx, options.shader);
        }
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let pacer = Pacer::install(&cc.egui_ctx, Pace::new(pacing::Refresh::default(), cores));
        let drawing = renderer::drawing(cc);
        if drawing.as_ref().is_some_and(|d| d.software) {
            pacer.assume_frame_cost(SOFTWARE_FRAME_GUESS);
        }
        let ctx = cc.egui_ctx.clone();
        let trainer =
            TrainerHandle::spawn(WorkerOptions { device: options.device }, Arc::new(move || pacing::wake(&ctx)));
        let (dataset, error) = match Dataset::builtin_mnist() {
            Ok(d) => (d, None),
            Err(e) => (fallback_dataset(), Some(format!("built-in digits unusable: {e}"))),
        };
        let mut app = Self {
            trainer,
            dataset: Arc::new(dataset),
            lessons: lessons::all(),
            selected: 0,
            device: None,
            worker_state: WorkerState::Starting,
            error,
            notice: None,
            dataset_job: None,
            frames: FrameTimes::default(),
            bench: options.bench_frames.map(|frames| UiBench {
                frames,
                times: Vec::with_capacity(frames),
                intervals: Vec::with_capacity(frames),
                started: false,
                tour: bench_tour::Tour::default(),
            }),
            launched: options.launched,
            first_frame_reported: false,
            commands: Vec::new(),
            hall: hall::Hall::default(),
            scene_job: None,
            pending_scene: None,
            lecture: None,
            lecture_job: None,
            drop_job: None,
            pacer,
            steps: StepRate::default(),
            slow_motion: slow_motion::SlowMotion::default(),
            drawing,
            window_bench: options.window_bench.clone().map(|(plan, results)| bench_window::Run::new(plan, results)),
        };
        // Dark unless the user chose otherwise (not the desktop's preference: the lessons' colours are set per theme).
        app.hall.set_theme(&cc.egui_ctx, hall::Theme::Dark);
        if let Some(storage) = cc.storage
            && let Some(remembered) = eframe::get_value::<hall::Remembered>(storage, hall::STORAGE_KEY)
        {
            app.restore(&cc.egui_ctx, &remembered);
        }
        if let Some(refresh) = options.refresh {
            app.pacer.set_refresh(refresh);
        }
        if let Some(theme) = options.theme {
            app.hall.set_theme(&cc.egui_ctx, theme);
        }
        if let Some((file, stop)) = &options.lecture {
            match file {
                Some(path) => app.open_lecture(path),
                None => app.start_shipped_lecture(),
            }
            if *stop > 1 {
                app.show_stop(stop - 1);
            }
        }
        if app.bench.is_some() {
            let config = TrainConfig { codes_for_all: true, ..TrainConfig::default() };
            app.commands.push(TrainCommand::Start { config, dataset: app.dataset.clone() });
        }
        app
    }

    /// Whether presentation mode is on.
    pub fn presenting(&self) -> bool {
        self.hall.presenting
    }

    /// The window's pacing now (refresh setting, presented fps, measured frame cost).
    pub fn pace_status(&self) -> pacing::PaceStatus {
        self.pacer.status()
    }

    /// Whether the explanation panel is open.
    pub fn explanation_open(&self) -> bool {
        self.hall.explain
    }

    /// The tab shown now.
    pub fn selected_lesson(&self) -> &str {
        self.lessons.get(self.selected).map_or("", |l| l.name())
    }

    /// Shows the tab with this name (no effect for an unknown name).
    pub fn select_lesson(&mut self, name: &str) {
        if let Some(i) = self.lessons.iter().position(|l| l.name() == name) {
            self.selected = i;
        }
    }

    /// What is remembered between runs.
    pub fn remembered(&self) -> hall::Remembered {
        hall::Remembered {
            lesson: self.selected_lesson().to_owned(),
            explain: self.hall.explain,
            zoom_before_presentation: if self.hall.presenting { self.hall.zoom_before() } else { None },
            refresh: self.pacer.status().refresh,
            theme: self.hall.theme,
        }
    }

    /// Restores what was remembered (an unknown tab name is ignored; a zoom left by presentation mode is undone).
    pub fn restore(&mut self, ctx: &egui::Context, remembered: &hall::Remembered) {
        self.select_lesson(&remembered.lesson);
        self.hall.explain = remembered.explain;
        self.pacer.set_refresh(remembered.refresh);
        self.hall.set_theme(ctx, remembered.theme);
        if let Some(zoom) = remembered.zoom_before_presentation {
            ctx.set_zoom_factor(zoom);
        }
    }

    /// Runs `f` on the tab shown with its context (`None` without tabs).
    fn with_selected_lesson<R>(&mut self, f: impl FnOnce(&mut dyn Lesson, &mut LessonContext<'_>) -> R) -> Option<R> {
        let lesson = self.lessons.get_mut(self.selected)?;
        let mut cx =
            LessonContext { dataset: &self.dataset, worker_state: &self.worker_state, commands: &mut self.commands };
        Some(f(lesson.as_mut(), &mut cx))
    }

    /// View ▸ Slow motion: one step of the shown lesson when due (silently nothing unless it is paused), and a
    /// frame when the next one is.
    fn slow_motion_frame(&mut self, ctx: &egui::Context) {
        let Some(interval) = self.slow_motion.interval() else { return };
        if self.slow_motion.due(Instant::now()) {
            self.with_selected_lesson(|lesson, cx| lesson.step_training(1, cx));
        }
        crate::pacing::wake_after(ctx, interval);
    }

    /// Carries out shortcuts, menu items and buttons of the lecture-hall controls.
    fn apply_actions(&mut self, ctx: &egui::Context, actions: &[hall::Action]) {
        for &action in actions {
            match action {
                hall::Action::NextLesson => self.selected = hall::step_lesson(self.selected, self.lessons.len(), 1),
                hall::Action::PreviousLesson => {
                    self.selected = hall::step_lesson(self.selected, self.lessons.len(), -1);
                }
                hall::Action::ToggleTraining => {
                    if let Some(false) = self.with_selected_lesson(|lesson, cx| lesson.toggle_training(cx)) {
                        let name = self.selected_lesson();
                        self.notice = Some(format!("{name}: nothing to train here (Space = Train / Pause)"));
                    }
                }
                hall::Action::StepTraining(n) => {
                    if let Some(false) = self.with_selected_lesson(|lesson, cx| lesson.step_training(n, cx)) {
                        let name = self.selected_lesson();
                        self.notice = Some(format!(
                            "{name}: steps one at a time only while paused, on the tabs that have Step (\".\")"
                        ));
                    }
                }
                hall::Action::StartLecture
                | hall::Action::OpenLecture
                | hall::Action::SaveLecture
                | hall::Action::SaveLectureAs
                | hall::Action::LeaveLecture
                | hall::Action::NextStop
                | hall::Action::PreviousStop => self.apply_lecture_action(ctx, action),
                hall::Action::SaveScene => self.start_scene_dialog(ctx, true),
                hall::Action::OpenScene => self.start_scene_dialog(ctx, false),
                hall::Action::SetRefresh(refresh) => self.pacer.set_refresh(refresh),
                hall::Action::SetSlowMotion(rate) => self.slow_motion.set(rate),
                other => self.hall.apply(ctx, other),
            }
        }
    }

    /// The dataset the lessons use now.
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// The last error shown to the user, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Replaces the dataset (stops training: the models were built for the old one).
    pub fn set_dataset(&mut self, dataset: Dataset) {
        self.commands.push(TrainCommand::Stop);
        self.notice = Some(format!(
            "Loaded {}: {} images of {}×{}, {} classes",
            dataset.name,
            dataset.len(),
            dataset.rows,
            dataset.cols,
            dataset.classes
        ));
        self.dataset = Arc::new(dataset);
        for lesson in &mut self.lessons {
            lesson.on_dataset_changed();
        }
    }

    /// Loads a pair of IDX files; on failure the current dataset stays and the error is shown.
    pub fn open_dataset(&mut self, images: &std::path::Path, labels: &std::path::Path) {
        self.take_loaded(Dataset::load(images, labels).map_err(|e| format!("Could not open the dataset: {e}")));
    }

    /// Switches to a loaded dataset, or shows why loading failed and keeps the current one.
    fn take_loaded(&mut self, result: Result<Dataset, String>) {
        match result {
            Ok(d) => {
                self.error = None;
                self.set_dataset(d);
            }
            Err(e) => self.error = Some(e),
        }
    }

    fn start_dataset_dialog(&mut self, ctx: &egui::Context) {
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let result = pick_dataset_files().and_then(|(images, labels)| {
                Dataset::load(&images, &labels).map_err(|e| format!("Could not open the dataset: {e}"))
            });
            let _ = tx.send(result);
            crate::pacing::wake(&ctx);
        });
        self.dataset_job = Some(rx);
    }

    fn handle_event(&mut self, event: &TrainEvent) {
        match event {
            TrainEvent::DeviceReady(info) => self.device = Some(info.clone()),
            TrainEvent::State(state) => self.worker_state = *state,
            TrainEvent::Failed(msg) => self.error = Some(msg.clone()),
            TrainEvent::Diverged { message, .. } => self.error = Some(message.clone()),
            _ => {}
        }
        for lesson in &mut self.lessons {
            lesson.on_event(event);
        }
    }

    /// Hands a lesson's request to the lesson that takes it and shows that lesson's tab.
    fn route_requests(&mut self) {
        let Some(request) = self.lessons.get_mut(self.selected).and_then(|l| l.take_request()) else { return };
        if let Some(i) = self.lessons.iter_mut().position(|l| l.handle_request(&request)) {
            self.selected = i;
        }
    }

    fn status_text(&self) -> String {
        match self.worker_state {
            WorkerState::Starting => "starting: choosing the compute device…".into(),
            WorkerState::WarmingUp => "compiling GPU kernels… (the first run on a GPU takes a while)".into(),
            WorkerState::Idle => "idle".into(),
            WorkerState::Training => "training".into(),
            WorkerState::Paused => "paused".into(),
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui, actions: &mut Vec<hall::Action>) {
        egui::Panel::top("tabs").show(ui, |ui| {
            if self.hall.presenting {
                hall::presentation_bar(ui, &self.hall, &self.lessons, &mut self.selected, actions);
            } else {
                self.tab_row(ui, actions);
            }
            self.messages(ui);
        });
        self.lecture_panel(ui, actions);
    }

    fn tab_row(&mut self, ui: &mut egui::Ui, actions: &mut Vec<hall::Action>) {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("latent-lab").strong().size(18.0));
            ui.separator();
            for (i, lesson) in self.lessons.iter().enumerate() {
                ui.selectable_value(&mut self.selected, i, lesson.name());
            }
            ui.separator();
            let loading = self.dataset_job.is_some();
            let label = if loading { "Opening…" } else { "Open dataset…" };
            if ui
                .add_enabled(!loading, egui::Button::new(label))
                .on_hover_text("Load a pair of IDX files (images, then labels), e.g. Fashion-MNIST")
                .clicked()
            {
                self.start_dataset_dialog(ui.ctx());
            }
            // One piece: a long dataset name moves to the next row whole instead of wrapping under the title.
            ui.add(egui::Label::new(format!("Data: {}", self.dataset.name)).wrap_mode(egui::TextWrapMode::Extend));
            ui.separator();
            hall::file_menu(ui, self.scene_job.is_some(), actions);
            hall::lecture_menu(ui, self.lecture.is_some(), actions);
            hall::view_menu(ui, &self.hall, (self.pacer.status().refresh, self.slow_motion.rate()), actions);
        });
    }

    fn messages(&mut self, ui: &mut egui::Ui) {
        if let Some(err) = self.error.clone() {
            ui.horizontal(|ui| {
                ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {err}"));
                if ui.small_button("Dismiss").clicked() {
                    self.error = None;
                }
            });
        } else if let Some(notice) = self.notice.clone() {
            ui.horizontal(|ui| {
                ui.label(notice);
                if ui.small_button("OK").clicked() {
                    self.notice = None;
                }
            });
        }
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        let steps_per_second = self.steps.update();
        let pace = self.pacer.status();
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                let device = self.device.as_ref().map_or_else(|| "choosing…".to_owned(), |d| d.label.clone());
                let reason = self.device.as_ref().map_or("", |d| d.reason.as_str()).to_owned();
                ui.label(format!("Device: {device}")).on_hover_text(reason);
                ui.separator();
                let cost =
                    pace.frame_cost.map_or_else(String::new, |c| format!(", {:.0} ms CPU each", c.as_secs_f64() * 1e3));
                let drawing = self.drawing.as_ref().map_or("", |d| d.label.as_str());
                ui.label(format!("Window {:.0} fps", pace.fps)).on_hover_text(format!(
                    "Drawn by {drawing}. Frames presented in the last second{cost}; new data is drawn at most every \
                     {:.0} ms ({}). The UI thread spends {:.1} ms building a frame.",
                    pace.interval.as_secs_f64() * 1e3,
                    pace.refresh.label(),
                    self.frames.mean()
                ));
                ui.separator();
                ui.label(format!("Training {steps_per_second:.0} steps/s"))
                    .on_hover_text("Optimiser steps per second, all models and lessons together");
                ui.separator();
                ui.label(format!("Trainer: {}", self.status_text()));
                if let Some(rate) = self.slow_motion.rate() {
                    ui.separator();
                    ui.label(format!("Slow motion: {rate} steps/s while paused"))
                        .on_hover_text("View ▸ Slow motion: a paused lesson steps by itself");
                }
            });
        });
    }

    /// `bench window`: shows and starts the tabs in turn, and closes the window when every tab is measured.
    fn window_bench_frame(&mut self, ctx: &egui::Context, actions: &mut Vec<hall::Action>) {
        let Some(run) = &mut self.window_bench else { return };
        let ready = !matches!(self.worker_state, WorkerState::Starting | WorkerState::WarmingUp);
        for step in run.frame(Instant::now(), ready) {
            match step {
                bench_window::Step::Show(name) => self.select_lesson(name),
                bench_window::Step::ToggleTraining => actions.push(hall::Action::ToggleTraining),
                bench_window::Step::Finished => {
                    self.window_bench = None;
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
        // The run's clock must advance even while nothing trains.
        ctx.request_repaint_after(std::time::Duration::from_millis(250));
    }

    fn bench_frame(&mut self, ui: &egui::Ui, ms: f64) {
        let Some(bench) = self.bench.as_mut() else { return };
        if !bench.started {
            bench.started = self.worker_state == WorkerState::Training;
        }
        let interval = f64::from(ui.input(|i| i.unstable_dt)) * 1000.0;
        if bench.started && bench.times.len() < bench.frames {
            bench.times.push(ms);
            bench.intervals.push(interval);
        } else if bench.started {
            let name = self.lessons.get(self.selected).map_or("", |l| l.name());
            bench.tour.record(name, bench.frames, ms, interval);
        }
        // Unpaced on purpose: this benchmark measures what a frame costs when frames come back to back.
        ui.ctx().request_repaint();
        if bench.tour.finished {
            let summary = |samples: &[f64]| {
                let mut sorted = samples.to_vec();
                sorted.sort_by(f64::total_cmp);
                format!(
                    "p50 {:.2} ms  p95 {:.2} ms  max {:.2} ms",
                    percentile(&sorted, 50.0),
                    percentile(&sorted, 95.0),
                    sorted.last().copied().unwrap_or(0.0)
                )
            };
            println!("{} frames while training, {} codes per plot:", bench.times.len(), self.dataset.len());
            println!("  UI thread time per frame:     {}", summary(&bench.times));
            println!("  frame to frame (with render): {}", summary(&bench.intervals));
            print!("{}", bench.tour.report());
            self.bench = None;
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}

/// Asks for the images file, then the labels file (runs on a helper thread; the dialogs block it, not the UI).
fn pick_dataset_files() -> Result<(PathBuf, PathBuf), String> {
    let idx = ["gz", "idx3-ubyte", "idx1-ubyte", "ubyte"];
    let images = rfd::FileDialog::new()
        .set_title("Open images (IDX3, e.g. train-images-idx3-ubyte.gz)")
        .add_filter("IDX files", &idx)
        .add_filter("All files", &["*"])
        .pick_file()
        .ok_or("No images file chosen (or no file dialog is available on this desktop).")?;
    let labels = rfd::FileDialog::new()
        .set_title("Open labels (IDX1, e.g. train-labels-idx1-ubyte.gz)")
        .add_filter("IDX files", &idx)
        .add_filter("All files", &["*"])
        .pick_file()
        .ok_or("No labels file chosen.")?;
    Ok((images, labels))
}

/// A tiny dataset used only if the embedded digits cannot be decoded (never expected), so the UI still opens.
fn fallback_dataset() -> Dataset {
    Dataset {
        name: "empty".into(),
        rows: 28,
        cols: 28,
        pixels: vec![0.0; 2 * 784],
        labels: vec![0, 0],
        classes: 1,
        train_len: 1,
    }
}

impl eframe::App for LatentLabApp {
    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, hall::STORAGE_KEY, &self.remembered());
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll_scene_job(ctx);
        self.poll_lecture_job(ctx);
        self.poll_drop_job();
        self.poll_pending_scene(ctx);
        for event in self.trainer.drain() {
            self.handle_event(&event);
        }
        if let Some(job) = &self.dataset_job
            && let Ok(result) = job.try_recv()
        {
            self.dataset_job = None;
            self.take_loaded(result);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let started = Instant::now();
        if !self.first_frame_reported {
            self.first_frame_reported = true;
            if let (Some(t0), Some(_)) = (self.launched, &self.bench) {
                println!("first frame after {:.0} ms", t0.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let ctx = ui.ctx().clone();
        self.take_dropped_files(&ctx);
        let mut actions = hall::read_shortcuts(&ctx, self.hall.presenting);
        if ctx.current_pass_index() == 0 {
            self.pacer.frame_started(&ctx);
            self.window_bench_frame(&ctx, &mut actions);
        }
        if let Some(bench) = &mut self.bench
            && bench.started
            && bench.times.len() >= bench.frames
            && let Some(action) = bench.tour.advance(bench.frames, self.lessons.len(), &mut self.selected)
        {
            actions.push(action);
        }
        self.apply_actions(&ctx, &actions);
        if ctx.current_pass_index() == 0 {
            self.slow_motion_frame(&ctx);
        }
        let mut clicked = Vec::new();
        self.top_bar(ui, &mut clicked);
        self.apply_actions(&ctx, &clicked);
        self.hall.publish(&ctx, self.classroom(), self.hidden_controls());
        if !self.hall.presenting {
            self.status_bar(ui);
        }
        if self.hall.explain
            && let Some(lesson) = self.lessons.get(self.selected)
        {
            hall::explanation_panel(ui, lesson.name(), lesson.explanation());
        }
        hall::help_window(&ctx, &mut self.hall.help);
        for done in crate::viz::export::take_finished(&ctx) {
            match done {
                crate::viz::export::Done::Saved(msg) => self.notice = Some(msg),
                crate::viz::export::Done::Failed(msg) => self.error = Some(msg),
            }
        }
        let mut commands = std::mem::take(&mut self.commands);
        if let Some(lesson) = self.lessons.get_mut(self.selected) {
            let mut cx =
                LessonContext { dataset: &self.dataset, worker_state: &self.worker_state, commands: &mut commands };
            lesson.ui(ui, &mut cx);
        }
        self.route_requests();
        for command in commands {
            if !self.trainer.send(command) {
                self.error = Some("the trainer thread has stopped; restart the app".into());
            }
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        self.frames.push(ms);
        self.bench_frame(ui, ms);
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 95.0), 95.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
