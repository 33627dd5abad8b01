//! "Bounds": a VAE (ELBO) and an IWAE (bound L_K) trained for the same time, then L_K on the held-out digits for
//! K = 1 … 5000 against log K with the quadrature log p(x) of a 2-D latent as the ceiling. Training and evaluation
//! run in the worker; this tab only sends commands and draws the numbers that come back.

use std::time::{Duration, Instant};

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Corner, HLine, Legend, Line, Plot, Points};

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
    seconds: f64,
    phase: Phase,
    /// Results of the VAE (slot 0) and the IWAE (slot 1) runs, with the label of each.
    results: [Option<(String, EvalResult)>; 2],
    message: Option<String>,
}

impl Default for BoundsLesson {
    fn default() -> Self {
        Self { iwae_k: 5, seconds: 20.0, phase: Phase::Idle, results: Default::default(), message: None }
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
            ..TrainConfig::default()
        };
        self.results[slot] = None;
        self.message = None;
        self.phase = Phase::Training { slot, until: Instant::now() + Duration::from_secs_f64(self.seconds) };
        cx.commands.push(TrainCommand::Start { config, dataset: cx.dataset.clone() });
    }

    fn controls(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        ui.heading("Importance-weighted bounds L_K");
        ui.label(
            "L_K(x) = E[log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x)], z_k ~ q(z|x). L_1 is the ELBO, \
             L_1 ≤ L_2 ≤ … ≤ L_K ≤ log p(x), and L_K → log p(x) as K grows. Train a VAE on the ELBO and an IWAE \
             on L_K for the same time, then evaluate both on the 1,000 held-out digits.",
        );
        ui.separator();
        let idle = self.phase == Phase::Idle;
        ui.add_enabled_ui(idle, |ui| {
            ui.add(egui::Slider::new(&mut self.seconds, 5.0..=120.0).text("Training time (s)"));
            ui.add(egui::Slider::new(&mut self.iwae_k, 2..=50).text("K for the IWAE"));
            ui.horizontal(|ui| {
                if ui.button("Train VAE").clicked() {
                    self.start(0, cx);
                }
                if ui.button("Train IWAE").clicked() {
                    self.start(1, cx);
                }
            });
        });
        match self.phase.clone() {
            Phase::Idle => {}
            Phase::Training { slot, until } => {
                let left = until.saturating_duration_since(Instant::now());
                ui.label(format!("Training the {}: {:.0} s left", self.label(slot), left.as_secs_f64().ceil()));
                if left.is_zero() {
                    cx.commands.push(TrainCommand::Pause);
                    cx.commands.push(TrainCommand::Evaluate { model: ModelKind::Vae, request: EvalRequest::default() });
                    self.phase = Phase::Evaluating { slot, stage: "starting".into(), fraction: 0.0 };
                }
                ui.ctx().request_repaint_after(Duration::from_millis(200));
            }
            Phase::Evaluating { slot, stage, fraction } => {
                ui.label(format!("Evaluating the {}: {stage}", self.label(slot)));
                ui.add(egui::ProgressBar::new(fraction as f32).show_percentage());
                if ui.button("Cancel evaluation").clicked() {
                    cx.commands.push(TrainCommand::CancelEvaluation);
                }
            }
        }
        ui.small("One trainer serves every tab: training here stops a run on the other tabs.");
        if let Some(m) = &self.message {
            ui.colored_label(ui.visuals().error_fg_color, m);
        }
        ui.separator();
        self.table(ui);
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

    fn plot(&self, ui: &mut egui::Ui) {
        ui.label(RichText::new("L_K against log₁₀ K, with log p(x) as the ceiling (dashed)").strong());
        Plot::new("bounds-vs-k")
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
            });
    }
}

impl Lesson for BoundsLesson {
    fn name(&self) -> &'static str {
        "Bounds"
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        egui::Panel::left("bounds-controls").resizable(true).default_size(440.0).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| self.controls(ui, cx));
        });
        egui::CentralPanel::default().show(ui, |ui| self.plot(ui));
    }

    fn on_event(&mut self, event: &TrainEvent) {
        let slot = match &self.phase {
            Phase::Idle => return,
            Phase::Training { slot, .. } | Phase::Evaluating { slot, .. } => *slot,
        };
        match event {
            TrainEvent::EvalProgress { stage, fraction, .. } => {
                if let Phase::Evaluating { .. } = self.phase {
                    self.phase = Phase::Evaluating { slot, stage: stage.clone(), fraction: *fraction };
                }
            }
            TrainEvent::Evaluated { result, .. } => {
                self.results[slot] = Some((self.label(slot), result.clone()));
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
        self.results = Default::default();
        self.phase = Phase::Idle;
    }
}
