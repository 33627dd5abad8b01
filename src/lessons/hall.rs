//! Lecture-hall helpers shared by the lessons: the explanation each lesson gives, and the side panel of settings
//! that presentation mode hides. The app tells the lessons what to hide through egui's memory (so `LessonContext`
//! and every lesson's tests stay as they are).

use eframe::egui::{self, RichText};

use crate::train::LossPoint;

/// What a lesson shows, the lecture's formula behind it (typeset from TeX), and things to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explanation {
    /// What the student is looking at (a few sentences).
    pub what: &'static str,
    /// The formulas from the lecture in TeX (`viz::math`), one per line.
    pub formula: &'static str,
    /// Short experiments, each one line.
    pub things_to_try: &'static [&'static str],
}

fn hide_controls_id() -> egui::Id {
    egui::Id::unique("latent-lab/hide-controls")
}

fn explain_shown_id() -> egui::Id {
    egui::Id::unique("latent-lab/explanation-shown")
}

/// Set by the app each frame: `true` while presentation mode hides the lessons' settings panels.
pub fn set_controls_hidden(ctx: &egui::Context, hidden: bool) {
    ctx.data_mut(|d| d.insert_temp(hide_controls_id(), hidden));
}

/// Whether the lessons' settings panels are hidden (presentation mode).
pub fn controls_hidden(ctx: &egui::Context) -> bool {
    ctx.data(|d| d.get_temp(hide_controls_id()).unwrap_or(false))
}

/// Set by the app each frame: `true` while the app draws the explanation panel.
pub fn set_explanation_shown(ctx: &egui::Context, shown: bool) {
    ctx.data_mut(|d| d.insert_temp(explain_shown_id(), shown));
}

/// Whether the app draws the explanation panel now.
pub fn explanation_shown(ctx: &egui::Context) -> bool {
    ctx.data(|d| d.get_temp(explain_shown_id()).unwrap_or(false))
}

/// The lesson's left settings panel (resizable, scrolling), left out while presentation mode hides it.
pub fn controls_panel(ui: &mut egui::Ui, id: &'static str, width: f32, add: impl FnOnce(&mut egui::Ui)) {
    if controls_hidden(ui.ctx()) {
        return;
    }
    egui::Panel::left(id).resizable(true).default_size(width).show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, add);
    });
}

/// "Step" and "×10" beside a lesson's Pause / Resume: one or ten optimiser steps of a paused run (`.` and
/// Shift+`.` ask the same through [`super::Lesson::step_training`]). Greyed out, saying why, unless `paused`.
/// Returns the steps asked for.
pub fn step_buttons(ui: &mut egui::Ui, paused: bool) -> Option<u32> {
    let mut asked = None;
    for (label, n, hint) in [("Step", 1, "One optimiser step (.)"), ("×10", 10, "Ten optimiser steps (Shift+.)")] {
        let button = ui
            .add_enabled(paused, egui::Button::new(label))
            .on_hover_text(hint)
            .on_disabled_hover_text("Pause first: steps are taken one at a time while paused");
        if button.clicked() {
            asked = Some(n);
        }
    }
    asked
}

/// The largest seed the seed fields offer.
pub const MAX_SEED: u64 = 999_999;

/// The seed of the burn-trained tabs and the 2-D diffusion model until one is chosen (and of scenes from before
/// seeds were saved).
pub fn default_seed() -> u64 {
    42
}

/// "Seed" of the next new `model` (weights, minibatches, noise): the same seed, settings and step count repeat a
/// run exactly. Greyed out while a model exists (`enabled` false): it would not change it.
pub fn seed_field(ui: &mut egui::Ui, seed: &mut u64, enabled: bool, model: &str) {
    if !super::classroom::shown(ui.ctx(), super::classroom::Control::Seed) {
        return;
    }
    ui.horizontal(|ui| {
        ui.label("Seed");
        ui.add_enabled(enabled, egui::DragValue::new(seed).range(1..=MAX_SEED))
            .on_hover_text(format!("A new {model} starts from this seed: the same seed and steps repeat a run exactly"))
            .on_disabled_hover_text(format!(
                "The seed applies to a new {model}: Reset it (or let training stop) first"
            ));
    });
}

/// The lesson's introduction at the top of its settings: `what` of its explanation, unless the explanation panel
/// shows it already (then one line pointing there).
pub fn intro(ui: &mut egui::Ui, title: &str, explanation: &Explanation) {
    ui.heading(title);
    if explanation_shown(ui.ctx()) {
        ui.small("What you see, the formula and things to try: in the explanation panel below.");
    } else {
        ui.label(explanation.what);
        ui.small("F1: the formula and things to try.");
    }
}

/// Loss curves as CSV: one row per point, `series,step,epoch,recon,kl,neg_elbo,grad_norm`.
pub fn loss_points_csv(series: &[(String, &[LossPoint])]) -> String {
    let rows = series.iter().flat_map(|(name, points)| {
        points.iter().map(move |p| {
            vec![
                name.clone(),
                p.step.to_string(),
                p.epoch.to_string(),
                p.recon.to_string(),
                p.kl.to_string(),
                (p.recon + p.kl).to_string(),
                p.grad_norm.to_string(),
            ]
        })
    });
    crate::viz::export::csv(&["series", "step", "epoch", "recon", "kl", "neg_elbo", "grad_norm"], rows)
}

/// Draws an explanation (the app's explanation panel).
pub fn show_explanation(ui: &mut egui::Ui, name: &str, e: &Explanation) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("{name}: what you see")).strong());
        ui.label(e.what);
    });
    ui.add_space(4.0);
    ui.columns(2, |cols| {
        let left = egui::Layout::top_down(egui::Align::Min);
        cols[0].with_layout(left, |ui| {
            ui.label(RichText::new("From the lecture").strong());
            crate::viz::math::formula_lines(ui, e.formula, 17.0);
        });
        cols[1].with_layout(left, |ui| {
            ui.label(RichText::new("Things to try").strong());
            for tip in e.things_to_try {
                ui.label(format!("• {tip}"));
            }
        });
    });
}
