//! "Leaderboard": every model family trained for the same time on the same binarised digits and scored on the same
//! held-out digits, in nats. A run happens on its own low-priority thread (`leaderboard::run_entries`), reporting
//! progress over a channel; Cancel stops it between steps.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Bar, BarChart, Plot};

use super::lesson_thread::{self, End, LessonThread};
use super::{Lesson, LessonContext};
use crate::data::Dataset;
use crate::leaderboard::{Budget, Entry, NllKind, Row, RunEvent, run_entries};
use crate::train::TrainEvent;

/// Shortest time between two progress updates sent to the UI.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(500);

const EXACT: Color32 = Color32::from_rgb(60, 160, 90);
const BOUND: Color32 = Color32::from_rgb(70, 130, 220);

/// A run in progress.
struct Running {
    entries: Vec<Entry>,
    progress: Vec<f32>,
    thread: LessonThread<(), RunEvent>,
    cancel: Arc<AtomicBool>,
}

/// The finished (or partial) board; scenes keep it, so a lecturer's run is not lost.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Board {
    rows: Vec<Row>,
    failed: Vec<(String, String)>,
    seconds: f64,
    digits: usize,
    dataset: String,
}

/// The "Leaderboard" tab.
pub struct LeaderboardLesson {
    /// Training time per model, seconds.
    pub seconds: f64,
    /// Held-out digits scored.
    pub heldout_digits: usize,
    /// Entries ticked for the next run.
    pub chosen: Vec<(Entry, bool)>,
    running: Option<Running>,
    board: Board,
    /// Space asked for a run (started in the next frame, which has the egui context).
    start_requested: bool,
}

/// The Leaderboard tab in a scene file: its settings and the ticked models.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct LeaderboardScene {
    seconds: f64,
    heldout_digits: usize,
    entries: Vec<Entry>,
    /// The last board (rows, failures, its budget); older scenes have none.
    #[serde(default)]
    board: Option<Board>,
}

/// The explanation panel's text for this tab.
pub const EXPLANATION: super::hall::Explanation = super::hall::Explanation {
    what: "Every model is trained for the same time on the same binarised digits (pixels ≥ 0.5 → 1) and scored on \
           the same held-out digits, in nats per digit. Autoregressive models give p(x) exactly; latent-variable \
           models only give a bound, which at K = 5000 is within about a nat of the truth for these models, so a \
           VAE's true NLL is a little lower than its bar. Space starts a run when none is going.",
    formula: concat!(
        r"\mathrm{NLL} = -\log p(x) \text{, exact for autoregressive models: } p(x) = \prod_j p(x_j \mid x_{<j})",
        "\n",
        r"\text{latent-variable models: } -L_K \geq -\log p(x), \quad L_K = \mathbb{E} \log \frac{1}{K} \sum_k \frac{p(x, z_k)}{q(z_k \mid x)}",
        "\n",
        r"\text{scored with } K = 5000 \text{; lower is better}",
    ),
    things_to_try: &[
        "Train for 10 s and for 120 s and see which family gains most from time.",
        "Compare the VAE and the IWAE at equal time (the IWAE takes K times the decoder work per step).",
        "Tick only MADE and the hierarchical VAE: is the exact NLL below the bound?",
    ],
};

impl Default for LeaderboardLesson {
    fn default() -> Self {
        Self {
            seconds: 60.0,
            heldout_digits: 1000,
            chosen: Entry::ALL.iter().map(|&e| (e, true)).collect(),
            running: None,
            board: Board::default(),
            start_requested: false,
        }
    }
}

impl Drop for LeaderboardLesson {
    fn drop(&mut self) {
        if let Some(run) = &self.running {
            run.cancel.store(true, Ordering::Relaxed);
        }
    }
}

impl LeaderboardLesson {
    fn start(&mut self, dataset: &Arc<Dataset>, ctx: &egui::Context) {
        let entries: Vec<Entry> = self.chosen.iter().filter(|(_, on)| *on).map(|(e, _)| *e).collect();
        if entries.is_empty() {
            return;
        }
        let digits = self.heldout_digits.clamp(1, dataset.heldout_range().len().max(1));
        let budget = Budget { train_time: Duration::from_secs_f64(self.seconds), seed: 42, heldout_digits: digits };
        self.board = Board { seconds: self.seconds, digits, dataset: dataset.binarised().name, ..Board::default() };
        let cancel = Arc::new(AtomicBool::new(false));
        let (thread_cancel, thread_entries, data) = (cancel.clone(), entries.clone(), dataset.clone());
        let spawned = lesson_thread::spawn("leaderboard", ctx.clone(), move |_jobs: Receiver<()>, tx, ctx| {
            let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
            let device = burn::tensor::Device::flex();
            // Progress comes every training step; the UI hears it at most twice a second. Without a GPU every
            // repaint is drawn by the CPU, and repainting per step starved the models of the time they are given
            // (MADE took 477 steps in 60 s in the app against 4,335 headless).
            let mut last_progress: Option<Instant> = None;
            let mut report = |event: RunEvent| {
                if matches!(event, RunEvent::Progress { .. })
                    && last_progress.is_some_and(|t| t.elapsed() < PROGRESS_INTERVAL)
                {
                    return;
                }
                if matches!(event, RunEvent::Progress { .. }) {
                    last_progress = Some(Instant::now());
                }
                let _ = tx.send(event);
                lesson_thread::reported(&ctx);
            };
            run_entries(&thread_entries, &data, &budget, &device, threads, &thread_cancel, &mut report);
        });
        match spawned {
            Some(thread) => {
                self.running = Some(Running { progress: vec![0.0; entries.len()], entries, thread, cancel });
            }
            None => self.board.failed.push(("leaderboard".into(), "could not start a thread".into())),
        }
    }

    /// Applies the thread's events; ends the run when the thread has gone.
    fn drain(&mut self) {
        let Some(run) = &mut self.running else { return };
        let (events, end) = run.thread.drain_all();
        for event in events {
            match event {
                RunEvent::Progress { entry, fraction } => {
                    if let Some(p) = run.progress.get_mut(entry) {
                        *p = fraction;
                    }
                }
                RunEvent::Finished { entry, result } => {
                    if let Some(p) = run.progress.get_mut(entry) {
                        *p = 1.0;
                    }
                    match result {
                        Ok(row) => {
                            self.board.rows.push(row);
                            self.board.rows.sort_by(|a, b| a.nll_nats.total_cmp(&b.nll_nats));
                        }
                        Err(e) => {
                            let name = run.entries.get(entry).map_or_else(String::new, |e| e.label());
                            self.board.failed.push((name, e));
                        }
                    }
                }
            }
        }
        match end {
            None => {}
            Some(End::Finished) => self.running = None,
            Some(End::Died(sentence)) => {
                // The models not yet finished are named as failed; the rows already scored stay.
                for (entry, progress) in run.entries.iter().zip(&run.progress) {
                    if *progress < 1.0 {
                        self.board.failed.push((entry.label(), sentence.clone()));
                    }
                }
                self.running = None;
            }
        }
    }

    fn controls(&mut self, ui: &mut egui::Ui, cx: &LessonContext<'_>) {
        let idle = self.running.is_none();
        ui.add_enabled_ui(idle, |ui| {
            ui.horizontal_wrapped(|ui| {
                for (entry, on) in &mut self.chosen {
                    ui.checkbox(on, entry.label());
                }
            });
            ui.add(
                egui::Slider::new(&mut self.seconds, 2.0..=600.0)
                    .logarithmic(true)
                    .suffix(" s")
                    .text("Training time per model"),
            );
            let most = cx.dataset.heldout_range().len().max(1);
            ui.add(egui::Slider::new(&mut self.heldout_digits, 1..=most).text("Held-out digits scored"));
        });
        let chosen = self.chosen.iter().filter(|(_, on)| *on).count();
        ui.horizontal_wrapped(|ui| {
            if idle {
                let button = ui.add_enabled(chosen > 0, egui::Button::new("Run the leaderboard"));
                if button.clicked() {
                    self.start(cx.dataset, ui.ctx());
                }
                ui.label(format!(
                    "about {:.0} s of training, then scoring ({} model{})",
                    self.seconds * chosen as f64,
                    chosen,
                    if chosen == 1 { "" } else { "s" }
                ));
            } else if ui.button("Cancel the run").clicked()
                && let Some(run) = &self.running
            {
                run.cancel.store(true, Ordering::Relaxed);
            }
        });
    }

    /// One progress bar per model of the running board (each trains for its budget, then scores the digits).
    fn progress(&self, ui: &mut egui::Ui) {
        let Some(run) = &self.running else { return };
        ui.label(format!(
            "Running: each model trains for {:.0} s, then scores {} held-out digits. Cancel stops the run.",
            self.board.seconds, self.board.digits
        ));
        let current = run.progress.iter().position(|p| *p < 1.0);
        egui::Grid::new("leaderboard-progress").num_columns(2).show(ui, |ui| {
            for (i, (entry, p)) in run.entries.iter().zip(&run.progress).enumerate() {
                ui.label(entry.label());
                let text = if *p >= 1.0 {
                    "done".to_owned()
                } else if current == Some(i) {
                    format!("{:.0} %", p * 100.0)
                } else {
                    "waiting".to_owned()
                };
                ui.add(egui::ProgressBar::new(*p).text(text).desired_width(320.0));
                ui.end_row();
            }
        });
        ui.separator();
    }

    fn table(&self, ui: &mut egui::Ui) {
        let board = &self.board;
        if board.rows.is_empty() && board.failed.is_empty() {
            if self.running.is_none() {
                ui.label("No results yet: press \"Run the leaderboard\" (or Space).");
            }
            return;
        }
        ui.label(format!(
            "{} · {} held-out digits · {:.0} s of training per model · lower is better",
            board.dataset, board.digits, board.seconds
        ));
        egui::Grid::new("leaderboard-table").striped(true).num_columns(6).show(ui, |ui| {
            for head in ["#", "model", "NLL (nats)", "measured as", "steps", "training"] {
                ui.label(RichText::new(head).strong());
            }
            ui.end_row();
            for (rank, row) in board.rows.iter().enumerate() {
                ui.label(format!("{}", rank + 1));
                ui.label(&row.model);
                ui.label(format!("{:.2} ± {:.2}", row.nll_nats, row.std_error));
                let (kind, colour) = match row.kind {
                    NllKind::Exact => ("exact −log p(x)".to_owned(), EXACT),
                    NllKind::IwaeBound { k } => (format!("−L_{k}, an upper bound"), BOUND),
                };
                ui.colored_label(colour, kind);
                ui.label(row.steps.to_string());
                ui.label(format!("{:.1} s", row.train_seconds));
                ui.end_row();
            }
        });
        for (model, why) in &board.failed {
            ui.colored_label(Color32::from_rgb(220, 90, 60), format!("{model}: {why}"));
        }
    }

    fn chart(&self, ui: &mut egui::Ui) {
        let bars: Vec<Bar> = self
            .board
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let colour = if row.kind == NllKind::Exact { EXACT } else { BOUND };
                Bar::new(i as f64, row.nll_nats).width(0.6).fill(colour).name(&row.model)
            })
            .collect();
        let names: Vec<String> = self.board.rows.iter().map(|r| r.model.clone()).collect();
        let shown = Plot::new("leaderboard-bars")
            .height(260.0)
            .y_axis_label("held-out NLL (nats)")
            .x_axis_formatter(move |mark, _| {
                let i = mark.value.round();
                if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .show(ui, |plot| plot.bar_chart(BarChart::new("NLL", bars)));
        let csv = || self.board_csv();
        crate::viz::export::plot(shown, "leaderboard", Some(&csv));
    }

    /// The board as CSV: one row per model, best first.
    fn board_csv(&self) -> String {
        let rows = self.board.rows.iter().map(|r| {
            let kind = match r.kind {
                NllKind::Exact => "exact".to_owned(),
                NllKind::IwaeBound { k } => format!("-L_{k}"),
            };
            vec![
                r.model.replace(',', ";"),
                r.nll_nats.to_string(),
                r.std_error.to_string(),
                kind,
                r.steps.to_string(),
                r.train_seconds.to_string(),
            ]
        });
        crate::viz::export::csv(&["model", "nll_nats", "std_error", "measured_as", "steps", "train_seconds"], rows)
    }
}

impl Lesson for LeaderboardLesson {
    fn name(&self) -> &'static str {
        "Leaderboard"
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        self.drain();
        if std::mem::take(&mut self.start_requested) && self.running.is_none() {
            self.start(cx.dataset, ui.ctx());
        }
        super::hall::controls_panel(ui, "leaderboard-controls", 380.0, |ui| {
            super::hall::intro(ui, "One likelihood leaderboard", &EXPLANATION);
            ui.separator();
            self.controls(ui, cx);
        });
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                self.progress(ui);
                self.table(ui);
                if !self.board.rows.is_empty() {
                    self.chart(ui);
                }
            });
        });
    }

    fn explanation(&self) -> Option<super::hall::Explanation> {
        Some(EXPLANATION)
    }

    /// Space starts a run with the ticked models when none is running (a run is not paused: Cancel stops it).
    fn toggle_training(&mut self, cx: &mut LessonContext<'_>) -> bool {
        if self.running.is_none() {
            self.start_requested = true;
        }
        let _ = cx;
        true
    }

    fn save_scene(&self, _dir: &std::path::Path) -> Option<serde_json::Value> {
        super::scene::to_value(&LeaderboardScene {
            seconds: self.seconds,
            heldout_digits: self.heldout_digits,
            entries: self.chosen.iter().filter(|(_, on)| *on).map(|(e, _)| *e).collect(),
            board: (!self.board.rows.is_empty() || !self.board.failed.is_empty()).then(|| self.board.clone()),
        })
    }

    /// The settings, the ticked models and the last board. Refused while a run is going.
    fn load_scene(
        &mut self,
        scene: &serde_json::Value,
        _dir: &std::path::Path,
        cx: &mut LessonContext<'_>,
    ) -> Result<(), String> {
        let s: LeaderboardScene = super::scene::parse(scene)?;
        if !s.seconds.is_finite() {
            return Err("its training time is not a number".into());
        }
        if self.running.is_some() {
            return Err("the leaderboard is running: cancel the run first".into());
        }
        self.seconds = s.seconds.clamp(2.0, 600.0);
        self.heldout_digits = s.heldout_digits.clamp(1, cx.dataset.heldout_range().len().max(1));
        if let Some(board) = &s.board
            && board.rows.iter().any(|r| !(r.nll_nats.is_finite() && r.std_error.is_finite()))
        {
            return Err("its leaderboard rows hold numbers that are not finite".into());
        }
        for (entry, on) in &mut self.chosen {
            *on = s.entries.contains(entry);
        }
        if let Some(board) = s.board {
            self.board = board;
        }
        Ok(())
    }

    fn on_event(&mut self, _event: &TrainEvent) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_board_exports_one_csv_row_per_model_best_first() {
        let row = |model: &str, nll: f64, kind| Row {
            model: model.into(),
            nll_nats: nll,
            std_error: 0.5,
            kind,
            digits: 10,
            train_seconds: 2.0,
            steps: 7,
        };
        let mut lesson = LeaderboardLesson::default();
        lesson.board.rows = vec![
            row("MADE", 90.25, NllKind::Exact),
            row("VAE (ELBO, 8-D latent)", 101.5, NllKind::IwaeBound { k: 5000 }),
        ];
        assert_eq!(
            lesson.board_csv(),
            "model,nll_nats,std_error,measured_as,steps,train_seconds\nMADE,90.25,0.5,exact,7,2\n\
             VAE (ELBO; 8-D latent),101.5,0.5,-L_5000,7,2\n"
        );
    }

    #[test]
    fn space_asks_for_a_run_and_a_scene_keeps_the_ticked_models() {
        let dataset = Arc::new(Dataset::builtin_mnist().unwrap());
        let (mut commands, state) = (Vec::new(), crate::train::WorkerState::Paused);
        let mut cx = LessonContext { dataset: &dataset, worker_state: &state, commands: &mut commands };
        let mut lesson = LeaderboardLesson::default();
        assert!(lesson.toggle_training(&mut cx));
        assert!(lesson.start_requested, "the run starts with the next frame");
        let mut saved = LeaderboardLesson::default();
        (saved.seconds, saved.heldout_digits) = (12.0, 50);
        saved.chosen[0].1 = false;
        let row = Row {
            model: "MADE (exact)".into(),
            nll_nats: 80.5,
            std_error: 0.9,
            kind: NllKind::Exact,
            digits: 50,
            train_seconds: 12.0,
            steps: 900,
        };
        saved.board.rows.push(row);
        let scene = saved.save_scene(std::path::Path::new(".")).unwrap();
        lesson.load_scene(&scene, std::path::Path::new("."), &mut cx).unwrap();
        assert_eq!((lesson.seconds, lesson.heldout_digits), (12.0, 50));
        assert_eq!(lesson.chosen, saved.chosen);
        assert_eq!(lesson.board, saved.board, "the finished board comes back with the scene");
        let mut nan = scene.clone();
        nan["board"]["rows"][0]["nll_nats"] = serde_json::json!(null);
        assert!(lesson.load_scene(&nan, std::path::Path::new("."), &mut cx).is_err());
        let mut bad = scene.clone();
        bad["entries"] = serde_json::json!(["Unicorn"]);
        assert!(lesson.load_scene(&bad, std::path::Path::new("."), &mut cx).unwrap_err().contains("unreadable"));
    }
}
