//! The Bounds tab's "true posterior" panel: one held-out digit, its exact posterior p(z|x) as a heat map with the
//! encoder's q(z|x) drawn on top (±1σ, ±2σ), q(z|x) alone on the same axes, and the gap
//! log p(x) − ELBO(x) = KL(q(z|x) ‖ p(z|x)) in nats.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Corner, Line, PlotImage, PlotPoint, Points};

use super::LessonContext;
use crate::models::posterior::PosteriorView;
use crate::train::{ModelKind, TrainCommand, TrainEvent};
use crate::viz::colormap::{field_image, scale};
use crate::viz::hover::{Rows, grid_value};
use crate::viz::widgets::tile;
use crate::viz::widgets::{CachedImage, fixed_square_plot};

/// Nats of log density shown by the colour maps (below that: the darkest colour).
const SPAN_NATS: f32 = 12.0;
const Q_COLOUR: Color32 = Color32::from_rgb(255, 90, 60);

/// The digit and the answer the worker sent for it.
struct Shown {
    item: usize,
    pixels: Vec<f32>,
    view: PosteriorView,
    /// Bumped for each answer, so the textures are redrawn once.
    version: u64,
}

/// State of the panel.
#[derive(Default)]
pub struct PosteriorPanel {
    item: usize,
    pending: bool,
    shown: Option<Shown>,
    answers: u64,
    digit: CachedImage<u64>,
    posterior: CachedImage<u64>,
    q: CachedImage<u64>,
}

impl PosteriorPanel {
    /// Forgets the picture (a new model or dataset).
    pub fn clear(&mut self) {
        self.shown = None;
        self.pending = false;
    }

    /// The held-out digit whose posterior is shown (or asked for).
    pub fn item(&self) -> usize {
        self.item
    }

    /// Asks the worker for the posterior of held-out digit `item`.
    pub fn request(&mut self, item: usize, cx: &mut LessonContext<'_>) {
        self.item = item;
        self.pending = true;
        cx.commands.push(TrainCommand::Posterior { model: ModelKind::Vae, item });
    }

    pub fn on_event(&mut self, event: &TrainEvent) {
        match event {
            TrainEvent::Posterior { item, pixels, view, .. } => {
                self.answers += 1;
                self.pending = false;
                self.shown =
                    Some(Shown { item: *item, pixels: pixels.clone(), view: view.clone(), version: self.answers });
            }
            TrainEvent::Failed(_) | TrainEvent::SessionStarted { .. } => self.pending = false,
            _ => {}
        }
    }

    /// Draws the panel; `blocked` says why the button is disabled (no model yet, an evaluation running).
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>, blocked: Option<&str>) {
        ui.label(RichText::new("The true posterior p(z|x) of one held-out digit, beside q(z|x)").strong());
        let count = cx.dataset.heldout_range().len().max(1);
        ui.horizontal(|ui| {
            let label = ui.label("Held-out digit");
            ui.add(egui::DragValue::new(&mut self.item).range(0..=count - 1)).labelled_by(label.id);
            ui.add_enabled_ui(blocked.is_none() && !self.pending, |ui| {
                if ui.button("Show posterior").clicked() {
                    self.request(self.item, cx);
                }
            });
            if self.pending {
                crate::pacing::spinner(ui);
                ui.label("integrating p(x|z) p(z) over a 120² and a 160² grid of z…");
            } else if let Some(reason) = blocked {
                ui.label(reason);
            }
        });
        let Some(shown) = &self.shown else {
            ui.small(
                "p(z|x) = p(x|z) p(z) / p(x) is computed exactly on a grid (the latent space is 2-D), so you can see \
                 where q(z|x) misses posterior mass — the reason L_1 sits below log p(x).",
            );
            return;
        };
        let view = &shown.view;
        ui.horizontal_wrapped(|ui| {
            ui.monospace(format!("digit #{}   log p(x) = {:.2}", shown.item, view.log_px));
            ui.monospace(format!("ELBO = {:.2} ± {:.2}", view.elbo.mean, view.elbo.stderr));
            ui.monospace(format!("KL(q‖p(z|x)) = log p(x) − ELBO = {:.2} nats", view.kl_gap()));
        });
        let side = ((ui.available_width() - 120.0) / 2.0).min(ui.available_height() - 8.0).max(120.0);
        let ctx = ui.ctx().clone();
        let version = shown.version;
        ui.horizontal(|ui| {
            let rows = cx.dataset.rows;
            let cols = cx.dataset.cols;
            let digit = self
                .digit
                .get(&ctx, "posterior-digit", version, || tile(std::slice::from_ref(&shown.pixels), rows, cols, 1, 0));
            ui.vertical(|ui| {
                ui.label("x");
                let shown = ui.add(egui::Image::new((digit, egui::vec2(100.0, 100.0))).sense(egui::Sense::click()));
                crate::viz::export::context_menu(&shown, "posterior-digit", None);
            });
            let post = self.posterior.get(&ctx, "posterior-p", version, || {
                field_image(&view.log_density, view.grid, scale(&view.log_density, SPAN_NATS))
            });
            let q = self.q.get(&ctx, "posterior-q", version, || {
                field_image(&view.log_q, view.grid, scale(&view.log_q, SPAN_NATS))
            });
            density_plot(ui, "true-posterior", "log p(z|x), with q(z|x) at 1σ and 2σ", post, view, true, side);
            density_plot(ui, "encoder-posterior", "log q(z|x)", q, view, false, side);
        });
        ui.small(format!("Colours: the top {SPAN_NATS:.0} nats of each log density (brighter = more probable)."));
    }
}

/// One heat map over the view's window, optionally with q's ellipses.
fn density_plot(
    ui: &mut egui::Ui,
    id: &str,
    title: &str,
    texture: egui::TextureId,
    view: &PosteriorView,
    with_q: bool,
    side: f32,
) {
    let [x0, x1, y0, y1] = view.extent;
    ui.vertical(|ui| {
        ui.label(title);
        let shown = crate::viz::export::plot(
            fixed_square_plot(id, egui::vec2(side, side), Corner::RightTop, ["z₁", "z₂"])
                .include_x(x0)
                .include_x(x1)
                .include_y(y0)
                .include_y(y1)
                .show(ui, |p| {
                    let pointer = p.pointer_coordinate();
                    let centre = PlotPoint::new(0.5 * (x0 + x1), 0.5 * (y0 + y1));
                    p.image(PlotImage::new("", texture, centre, [(x1 - x0) as f32, (y1 - y0) as f32]));
                    if with_q {
                        for r in [1.0, 2.0] {
                            p.line(Line::new(format!("q(z|x) ±{r:.0}σ"), ellipse(view, r)).color(Q_COLOUR).width(1.5));
                        }
                        p.points(Points::new("q mean", vec![view.q_mean]).radius(3.0).color(Q_COLOUR));
                    }
                    pointer
                }),
            "posterior",
            None,
        );
        // Hover read-out: the log-density under the pointer (rows run from the bottom, as the image is drawn).
        let (values, name) = if with_q { (&view.log_density, "log p(z|x)") } else { (&view.log_q, "log q(z|x)") };
        if let Some(at) = shown.inner
            && let Some(v) = grid_value(values, view.grid, view.extent, Rows::BottomFirst, at.x, at.y)
        {
            let text = format!("{name} = {v:.2} at z = ({:.2}, {:.2})", at.x, at.y).replace('-', "−");
            shown.response.clone().on_hover_text_at_pointer(text);
        }
    });
}

/// The axis-aligned ellipse of q(z|x) at `r` standard deviations.
fn ellipse(view: &PosteriorView, r: f64) -> Vec<[f64; 2]> {
    (0..=64)
        .map(|i| {
            let t = f64::from(i) * std::f64::consts::TAU / 64.0;
            [view.q_mean[0] + r * view.q_sigma[0] * t.cos(), view.q_mean[1] + r * view.q_sigma[1] * t.sin()]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::data::Dataset;
    use crate::models::bounds::Estimate;
    use crate::train::WorkerState;

    fn view() -> PosteriorView {
        PosteriorView {
            extent: [-1.0, 1.0, -1.0, 1.0],
            grid: 2,
            log_density: vec![0.0; 4],
            log_q: vec![0.0; 4],
            q_mean: [0.0, 0.0],
            q_sigma: [0.5, 0.5],
            log_px: -100.0,
            elbo: Estimate { mean: -103.5, stderr: 0.1 },
        }
    }

    #[test]
    fn asks_the_worker_and_shows_the_answer() {
        let dataset = Arc::new(Dataset::builtin_mnist().unwrap());
        let (mut commands, state) = (Vec::new(), WorkerState::Paused);
        let mut cx = LessonContext { dataset: &dataset, worker_state: &state, commands: &mut commands };
        let mut panel = PosteriorPanel::default();
        panel.request(12, &mut cx);
        assert!(matches!(commands.as_slice(), [TrainCommand::Posterior { model: ModelKind::Vae, item: 12 }]));
        assert!(panel.pending);
        panel.on_event(&TrainEvent::Failed("posterior: no model".into()));
        assert!(!panel.pending, "a refusal re-enables the button");
        panel.on_event(&TrainEvent::Posterior { model: ModelKind::Vae, item: 12, pixels: vec![0.0; 4], view: view() });
        let shown = panel.shown.as_ref().expect("shown");
        assert_eq!(shown.item, 12);
        assert!((shown.view.kl_gap() - 3.5).abs() < 1e-12);
        panel.clear();
        assert!(panel.shown.is_none());
    }

    #[test]
    fn ellipses_go_around_the_mean_at_r_sigma() {
        let e = ellipse(&view(), 2.0);
        assert!((e[0][0] - 1.0).abs() < 1e-12 && e[0][1].abs() < 1e-12);
        assert!(e.iter().all(|p| ((p[0] / 1.0).powi(2) + (p[1] / 1.0).powi(2) - 1.0).abs() < 1e-9));
    }
}
