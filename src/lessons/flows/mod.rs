//! "Flows": normalising flows in 2-D. RealNVP (coupling layers) and a residual flow (i-ResNet style) train side
//! by side by exact maximum likelihood on a toy dataset or a painted density; live log-density heat maps with
//! samples, the NLL curves, and "inside the flow": a grid and the data pushed through layer by layer.
//!
//! The maths lives in `crate::flows`; `worker` trains on the lesson's own thread and sends snapshots. Heat maps
//! are coloured by a WGSL shader where the app renders with wgpu on a hardware GPU (`viz::gpu_heatmap`), and
//! otherwise into images on the UI thread (a 128×128 grid costs well under a millisecond to colour).

pub mod worker;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use eframe::egui::{self, Color32, RichText, TextureHandle, TextureOptions};
use egui_plot::{Corner, Legend, Line, LineStyle, Plot, PlotBounds, PlotImage, PlotPoint, Points};
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::classroom::Control;
use super::{Lesson, LessonContext};
use crate::data::toy2d::Toy2d;
use crate::flows::train::{FlowData, TOY_POINTS};
use crate::flows::{FlowKind, FlowModel, P2, RealNvpConfig, ResFlowConfig};
use crate::nn::normal;
use crate::train::TrainEvent;
use crate::viz::colormap::{colour_bar, colourise, scale};
use crate::viz::gpu_heatmap::{self, GpuHeatmap, HeatmapCallback};
use crate::viz::scatter::{Bounds, rasterize};
use crate::viz::widgets::{CachedImage, fixed_square_plot, upload};
use worker::{FULL_EVERY, FlowWorker, GRID, Reply, Request, Snapshot, VIEW};

/// Nats shown by the heat maps below the highest log density.
pub const SPAN: f32 = 10.0;
const STAGE_VIEW: f64 = 4.0;
const COLORS: [Color32; 2] = [Color32::from_rgb(240, 120, 60), Color32::from_rgb(80, 170, 250)];

/// Where the training points come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Toy(Toy2d),
    Paint,
}

/// The RealNVP the lesson trains (smaller than the CLI's, so its 128×128 grid evaluates in tens of ms).
pub fn lesson_nvp() -> RealNvpConfig {
    RealNvpConfig { layers: 8, hidden: 32, ..RealNvpConfig::default() }
}

/// The residual flow the lesson trains, with Lipschitz bound `c`.
pub fn lesson_res(c: f64) -> ResFlowConfig {
    ResFlowConfig { blocks: 8, hidden: 32, lipschitz: c, ..ResFlowConfig::default() }
}

/// The "Flows" tab.
pub struct FlowsLesson {
    source: Source,
    painted: Vec<P2>,
    brush: f64,
    lipschitz: f64,
    lr: f64,
    terms: usize,
    stage: [usize; 2],
    seed: u64,
    rng: SmallRng,
    worker: Option<FlowWorker>,
    snapshot: Option<Box<Snapshot>>,
    message: Option<String>,
    paused: bool,
    preview: Option<(Toy2d, Vec<P2>)>,
    heat: [Option<TextureHandle>; 2],
    /// The grids as the GPU heat maps take them (with the generation they came in).
    grids: [Option<(u64, Arc<Vec<f32>>)>; 2],
    ranges: [(f32, f32); 2],
    bar: Option<TextureHandle>,
    samples: [CachedImage<(u64, [usize; 2])>; 2],
    data_image: CachedImage<(usize, u64, [usize; 2], bool)>,
    arrivals: VecDeque<Instant>,
    /// The data the shown models were trained on.
    trained_on: Option<&'static str>,
    /// Trained flows from a scene, sent to the thread on the next frame (it starts with the tab).
    scene_flows: Option<(Toy2d, Vec<(FlowModel, u64)>)>,
}

impl Default for FlowsLesson {
    fn default() -> Self {
        Self {
            source: Source::Toy(Toy2d::Moons),
            painted: Vec::new(),
            brush: 0.15,
            lipschitz: 0.9,
            lr: 3e-3,
            terms: 8,
            stage: [0, 0],
            seed: 1,
            rng: SmallRng::seed_from_u64(7),
            worker: None,
            snapshot: None,
            message: None,
            paused: false,
            preview: None,
            heat: [None, None],
            grids: [None, None],
            ranges: [(0.0, 1.0); 2],
            bar: None,
            samples: [CachedImage::default(), CachedImage::default()],
            data_image: CachedImage::default(),
            arrivals: VecDeque::new(),
            trained_on: None,
            scene_flows: None,
        }
    }
}

impl FlowsLesson {
    /// Snapshots received per second over the last two seconds.
    pub fn refresh_rate(&self) -> f64 {
        match (self.arrivals.front(), self.arrivals.back()) {
            (Some(a), Some(b)) if self.arrivals.len() > 1 => {
                (self.arrivals.len() - 1) as f64 / b.duration_since(*a).as_secs_f64().max(1e-3)
            }
            _ => 0.0,
        }
    }

    fn data_points(&mut self) -> Vec<P2> {
        match self.source {
            Source::Paint => self.painted.clone(),
            Source::Toy(kind) => {
                if self.preview.as_ref().is_none_or(|(k, _)| *k != kind) {
                    let d = FlowData::toy(kind, TOY_POINTS, self.seed);
                    self.preview = Some((kind, d.train));
                }
                self.preview.as_ref().map(|(_, p)| p.clone()).unwrap_or_default()
            }
        }
    }

    fn train(&mut self) {
        let data = match self.source {
            Source::Toy(kind) => Ok(FlowData::toy(kind, TOY_POINTS, self.seed)),
            Source::Paint => FlowData::from_points(&self.painted, self.seed),
        };
        let data = match data {
            Ok(d) => d,
            Err(message) => {
                self.message = Some(message);
                return;
            }
        };
        if let Err(message) = lesson_res(self.lipschitz).validate() {
            self.message = Some(message);
            return;
        }
        self.message = None;
        self.paused = false;
        self.trained_on = Some(match self.source {
            Source::Toy(kind) => kind.label(),
            Source::Paint => "your painting",
        });
        let request =
            Request::Train { data, nvp: lesson_nvp(), res: lesson_res(self.lipschitz), lr: self.lr, seed: self.seed };
        if let Some(w) = &self.worker {
            let _ = w.tx.send(Request::SeriesTerms(self.terms));
            if w.tx.send(request).is_err() {
                self.message = Some("the flows' thread has stopped".into());
            }
        }
    }

    fn receive(&mut self, ctx: &egui::Context) {
        let Some(w) = &self.worker else { return };
        let (replies, ended) = w.drain();
        if let Some(ended) = ended {
            // The next frame starts a fresh thread; what was shown stays, marked as no longer training.
            self.worker = None;
            self.paused = false;
            if let Some(s) = &mut self.snapshot {
                s.training = false;
            }
            self.message = Some(format!("{ended}. Press Train to start again."));
        }
        let mut newest = None;
        for reply in replies {
            match reply {
                Reply::Snapshot(s) => {
                    self.arrivals.push_back(Instant::now());
                    newest = Some(s);
                }
                Reply::Refused(m) => self.message = Some(m),
            }
        }
        while self.arrivals.len() > 2 && self.arrivals.front().is_some_and(|t| t.elapsed().as_secs_f64() > 2.0) {
            self.arrivals.pop_front();
        }
        if let Some(s) = newest {
            let gpu = gpu_heatmap::available(ctx);
            for (i, m) in s.models.iter().enumerate().take(2) {
                let range = scale(&m.log_density, SPAN);
                self.ranges[i] = range;
                if gpu {
                    self.grids[i] = Some((s.generation, Arc::new(m.log_density.clone())));
                } else {
                    let image = colourise(&m.log_density, GRID, range);
                    upload(&mut self.heat[i], ctx, "flow-density", image, TextureOptions::LINEAR);
                }
            }
            for (i, m) in s.models.iter().enumerate().take(2) {
                self.stage[i] = self.stage[i].min(m.stages.len().saturating_sub(1));
            }
            self.snapshot = Some(s);
        }
    }

    /// Both flows' NLL curves as CSV (the NLL plot's "Export CSV…").
    fn nll_csv(&self) -> String {
        let Some(s) = &self.snapshot else { return crate::viz::export::xy_csv("step", "nll", &[]) };
        let series: Vec<(String, &[[f64; 2]])> = s
            .models
            .iter()
            .flat_map(|m| {
                [
                    (format!("{} train (smoothed)", m.kind.label()), m.train_curve.as_slice()),
                    (format!("{} held-out", m.kind.label()), m.heldout_curve.as_slice()),
                ]
            })
            .collect();
        crate::viz::export::xy_csv("step", "nll", &series)
    }

    /// Shows trained flows (from a scene), paused: Resume trains them on, Train starts from scratch.
    fn show_trained(&mut self, toy: Toy2d, models: Vec<(FlowModel, u64)>) {
        let data = FlowData::toy(toy, TOY_POINTS, self.seed);
        self.message = None;
        self.paused = true;
        self.trained_on = Some(toy.label());
        if let Some(w) = &self.worker {
            let _ = w.tx.send(Request::SeriesTerms(self.terms));
            if w.tx.send(Request::Load { data, models, lr: self.lr, seed: self.seed }).is_err() {
                self.message = Some("the flows' thread has stopped".into());
            }
        }
    }

    /// `n` optimiser steps of each flow while paused; `false` when not paused.
    fn step(&mut self, n: u32) -> bool {
        if !self.paused {
            return false;
        }
        if let Some(w) = &self.worker {
            let _ = w.tx.send(Request::Step(n));
        }
        true
    }

    fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
        if let Some(w) = &self.worker {
            let _ = w.tx.send(if paused { Request::Pause } else { Request::Resume });
        }
    }

    fn controls(&mut self, ui: &mut egui::Ui) {
        super::hall::intro(ui, "Normalising flows", &EXPLANATION);
        ui.separator();
        ui.label(RichText::new("Data").strong());
        for kind in Toy2d::ALL {
            if ui.radio(self.source == Source::Toy(kind), kind.label()).clicked() {
                self.source = Source::Toy(kind);
            }
        }
        if ui.radio(self.source == Source::Paint, "Paint your own density").clicked() {
            self.source = Source::Paint;
        }
        if self.source == Source::Paint {
            ui.add(egui::Slider::new(&mut self.brush, 0.03..=0.6).text("brush size"));
            ui.horizontal(|ui| {
                ui.label(format!("{} points painted (drag on the Data plot)", self.painted.len()));
                if ui.button("Clear").clicked() {
                    self.painted.clear();
                }
            });
        }
        ui.separator();
        ui.add(egui::Slider::new(&mut self.lipschitz, 0.5..=1.2).text("Lipschitz bound c (residual flow, < 1)"));
        ui.add(egui::Slider::new(&mut self.lr, 1e-4..=1.0).logarithmic(true).text("learning rate"));
        super::hall::seed_field(ui, &mut self.seed, true, "pair of flows (and its data)");
        super::classroom::unless_hidden(ui, Control::Training, |ui| {
            ui.horizontal(|ui| {
                if ui.button("Train").on_hover_text("Start training both flows from scratch").clicked() {
                    self.train();
                }
                let training = self.snapshot.as_ref().is_some_and(|s| s.training);
                if training && !self.paused && ui.button("Pause").clicked() {
                    self.set_paused(true);
                }
                if self.paused && ui.button("Resume").clicked() {
                    self.set_paused(false);
                }
                if let Some(n) = super::hall::step_buttons(ui, self.paused) {
                    self.step(n);
                }
            })
        });
        if let Some(m) = &self.message {
            ui.colored_label(ui.visuals().warn_fg_color, format!("⚠ {m}"));
        }
        ui.separator();
        self.numbers(ui);
    }

    fn numbers(&mut self, ui: &mut egui::Ui) {
        let Some(s) = &self.snapshot else {
            ui.label("Press Train: both flows learn the chosen density.");
            return;
        };
        egui::Grid::new("flow-numbers").num_columns(3).striped(true).show(ui, |ui| {
            ui.label("");
            for m in &s.models {
                ui.label(RichText::new(m.kind.label()).strong());
            }
            ui.end_row();
            ui.label("steps");
            for m in &s.models {
                ui.monospace(m.steps.to_string());
            }
            ui.end_row();
            ui.label("held-out NLL (nats)");
            for m in &s.models {
                ui.monospace(format!("{:.3}", m.heldout_nll));
            }
            ui.end_row();
            ui.label("max |f⁻¹(f(x)) − x|");
            for m in &s.models {
                ui.monospace(format!("{:.1e}", m.invertibility_error));
            }
            ui.end_row();
        });
        for m in &s.models {
            if let Some(step) = m.diverged_at {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "⚠ {} diverged at step {step} — learning rate too high? Kept the last good weights.",
                        m.kind.label()
                    ),
                );
            }
        }
        if let Some(res) = s.models.iter().find(|m| m.kind == FlowKind::Residual) {
            ui.add_space(4.0);
            ui.label(RichText::new("Residual flow").strong());
            if let Some(l) = res.lipschitz {
                ui.label(format!("largest ‖W̃₂‖·‖W̃₁‖ over the blocks: {l:.3} (bound c = {:.2})", self.lipschitz));
            }
            if let Some(inv) = res.inverse {
                ui.label(format!(
                    "inverse by fixed-point iteration (sampling): {} iterations at most per block, {:.1} on average (to 1e-9)",
                    inv.max_iterations, inv.mean_iterations
                ));
            }
            if let Some(ld) = res.log_det {
                let before = self.terms;
                ui.add(egui::Slider::new(&mut self.terms, 1..=30).text("power-series terms n"));
                if self.terms != before
                    && let Some(w) = &self.worker
                {
                    let _ = w.tx.send(Request::SeriesTerms(self.terms));
                }
                egui::Grid::new("flow-logdet").num_columns(2).show(ui, |ui| {
                    ui.label("log det(I + J), exact (2×2)");
                    ui.monospace(format!("{:.6}", ld.exact));
                    ui.end_row();
                    ui.label(format!("power series, n = {}, exact traces", ld.terms));
                    ui.monospace(format!("{:.6}  (Δ {:.1e})", ld.series, ld.series - ld.exact));
                    ui.end_row();
                    ui.label("power series, Hutchinson vᵀJᵏv");
                    ui.monospace(format!("{:.6}  (Δ {:.1e})", ld.hutchinson, ld.hutchinson - ld.exact));
                    ui.end_row();
                });
                ui.small("Summed over the blocks, averaged over training points. Training uses the exact value.");
            }
        }
        ui.add_space(4.0);
        ui.small(format!(
            "Heat maps ({}): {GRID}×{GRID} grid, {:.1} refreshes/s, {:.0} ms to evaluate both (lesson thread; samples and \
             layers every {FULL_EVERY}th refresh, last one {:.0} ms).",
            if gpu_heatmap::available(ui.ctx()) { "WGSL shader" } else { "CPU-coloured texture" },
            self.refresh_rate(),
            s.heat_ms,
            s.eval_ms
        ));
    }

    fn data_plot(&mut self, ui: &mut egui::Ui, size: egui::Vec2) {
        let points = self.data_points();
        let painting = self.source == Source::Paint;
        ui.vertical(|ui| {
            ui.set_max_width(size.x);
            let title = if painting { "Data: drag to paint a density" } else { "Data (standardised)" };
            ui.label(RichText::new(title).strong());
            let key_len = points.len();
            let seed = match self.source {
                Source::Toy(k) => k as u64,
                Source::Paint => 99,
            };
            let mut new_points = Vec::new();
            crate::viz::export::plot(
                fixed_square_plot("flow-data", size, Corner::LeftTop, ["x₁", "x₂"]).show(ui, |p| {
                    p.set_plot_bounds(PlotBounds::from_min_max([-VIEW, -VIEW], [VIEW, VIEW]));
                    let px = plot_pixels(p);
                    let bounds = Bounds { min: [-VIEW; 2], max: [VIEW; 2] };
                    let ink = crate::viz::palette::points_ink(p.ctx());
                    let light = crate::viz::palette::is_light(p.ctx());
                    let tex = self.data_image.get(p.ctx(), "flow-data", (key_len, seed, px, light), || {
                        rasterize(&[(ink, &points)], bounds, px, 1.2 * p.ctx().pixels_per_point())
                    });
                    let side = (2.0 * VIEW) as f32;
                    p.image(PlotImage::new("", tex, PlotPoint::new(0.0, 0.0), [side, side]));
                    if painting {
                        let r = p.response();
                        if (r.dragged() || r.clicked() || r.is_pointer_button_down_on())
                            && let Some(c) = p.pointer_coordinate()
                        {
                            new_points.push([c.x, c.y]);
                        }
                    }
                }),
                "flow-data",
                None,
            );
            for c in new_points {
                self.painted.extend(brush_points(c, self.brush, BRUSH_POINTS, &mut self.rng));
            }
        });
    }

    fn density_plot(&mut self, ui: &mut egui::Ui, size: egui::Vec2, i: usize) {
        let kind = [FlowKind::RealNvp, FlowKind::Residual][i];
        ui.vertical(|ui| {
            ui.set_max_width(size.x);
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("{}: log p(x) with samples", kind.label())).strong());
                if let Some(data) = self.trained_on {
                    let steps = self.snapshot.as_ref().and_then(|s| s.models.get(i)).map(|m| m.steps);
                    ui.small(steps.map_or_else(|| format!("({data})"), |n| format!("({data}, step {n})")));
                }
            });
            let plot_size = egui::vec2(size.x, size.y - 22.0);
            let shown = crate::viz::export::plot(
                fixed_square_plot(("flow-density", i), plot_size, Corner::LeftTop, ["x₁", "x₂"]).show(ui, |p| {
                    let pointer = p.pointer_coordinate();
                    p.set_plot_bounds(PlotBounds::from_min_max([-VIEW, -VIEW], [VIEW, VIEW]));
                    let side = (2.0 * VIEW) as f32;
                    if let Some((generation, values)) = &self.grids[i] {
                        let callback = HeatmapCallback {
                            slot: i,
                            generation: *generation,
                            n: GRID,
                            values: Arc::clone(values),
                            range: self.ranges[i],
                        };
                        p.add(GpuHeatmap::new("log p(x) (GPU shader)", callback, VIEW));
                    } else if let Some(t) = &self.heat[i] {
                        p.image(PlotImage::new("log p(x)", t.id(), PlotPoint::new(0.0, 0.0), [side, side]));
                    }
                    let Some(s) = &self.snapshot else { return pointer };
                    let Some(m) = s.models.get(i) else { return pointer };
                    let px = plot_pixels(p);
                    let bounds = Bounds { min: [-VIEW; 2], max: [VIEW; 2] };
                    let tex = self.samples[i].get(p.ctx(), "flow-samples", (s.generation, px), || {
                        rasterize(
                            &[(Color32::WHITE.gamma_multiply(0.8), &m.samples)],
                            bounds,
                            px,
                            1.3 * p.ctx().pixels_per_point(),
                        )
                    });
                    p.image(PlotImage::new("samples f⁻¹(z)", tex, PlotPoint::new(0.0, 0.0), [side, side]));
                    pointer
                }),
                "flow-density",
                None,
            );
            // Hover read-out: the heat map's log-density under the pointer.
            let model = self.snapshot.as_ref().and_then(|s| s.models.get(i));
            if let (Some(at), Some(m)) = (shown.inner, model)
                && let Some(value) = crate::viz::hover::grid_value(
                    &m.log_density,
                    GRID,
                    [-VIEW, VIEW, -VIEW, VIEW],
                    crate::viz::hover::Rows::TopFirst,
                    at.x,
                    at.y,
                )
            {
                let text = format!("log p(x) = {value:.2} at x = ({:.2}, {:.2})", at.x, at.y).replace('-', "−");
                shown.response.clone().on_hover_text_at_pointer(text);
            }
            if self.heat[i].is_some() || self.grids[i].is_some() {
                let bar = upload(&mut self.bar, ui.ctx(), "flow-bar", colour_bar(128, 1), TextureOptions::LINEAR);
                let (lo, hi) = self.ranges[i];
                ui.horizontal(|ui| {
                    ui.small(format!("log p: {lo:.1}"));
                    ui.add(egui::Image::new((bar, egui::vec2((size.x - 130.0).max(40.0), 10.0))));
                    ui.small(format!("{hi:.1}"));
                });
            }
        });
    }

    fn nll_plot(&self, ui: &mut egui::Ui, size: egui::Vec2) {
        ui.vertical(|ui| {
            ui.set_max_width(size.x);
            ui.label(RichText::new("Negative log-likelihood (nats per point)").strong());
            crate::viz::export::plot(
                Plot::new("flow-nll")
                    .legend(Legend::default().position(Corner::RightTop))
                    .width(size.x)
                    .height(size.y - 24.0)
                    .x_axis_label("step")
                    .label_formatter(crate::viz::hover::step_and_value)
                    .y_axis_label("NLL")
                    .show(ui, |p| {
                        let Some(s) = &self.snapshot else { return };
                        for (m, c) in s.models.iter().zip(COLORS) {
                            p.line(
                                Line::new(format!("{} (train, smoothed)", m.kind.label()), m.train_curve.clone())
                                    .color(c),
                            );
                            p.line(
                                Line::new(format!("{} (held-out)", m.kind.label()), m.heldout_curve.clone())
                                    .color(c)
                                    .style(LineStyle::dashed_loose()),
                            );
                        }
                    }),
                "flow-nll",
                Some(&|| self.nll_csv()),
            );
        });
    }

    fn stage_plot(&mut self, ui: &mut egui::Ui, size: egui::Vec2, i: usize) {
        ui.vertical(|ui| {
            ui.set_max_width(size.x);
            let Some(s) = &self.snapshot else {
                ui.label(RichText::new("Inside the flow").strong());
                return;
            };
            let Some(m) = s.models.get(i) else { return };
            let last = m.stages.len().saturating_sub(1);
            let noun = if m.kind == FlowKind::RealNvp { "layer" } else { "block" };
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("Inside {}:", m.kind.label())).strong());
                ui.add(egui::Slider::new(&mut self.stage[i], 0..=last).text(format!("after {noun}")));
            });
            let k = self.stage[i].min(last);
            let what = match (m.kind, k) {
                (_, 0) => "the data and a grid, before any layer".to_owned(),
                (FlowKind::RealNvp, k) => {
                    let moved = if (k - 1) % 2 == 0 { ("x₂", "x₁") } else { ("x₁", "x₂") };
                    format!("layer {k} moved {} conditioned on {}", moved.0, moved.1)
                }
                (FlowKind::Residual, k) => format!("block {k}: x + h(x), both coordinates, each by a contraction"),
            };
            ui.small(what);
            let plot_size = egui::vec2(size.x, size.y - 22.0);
            crate::viz::export::plot(
                fixed_square_plot(("flow-stage", i), plot_size, Corner::LeftTop, ["", ""]).show(ui, |p| {
                    p.set_plot_bounds(PlotBounds::from_min_max([-STAGE_VIEW, -STAGE_VIEW], [STAGE_VIEW, STAGE_VIEW]));
                    if let Some(lines) = m.grid_stages.get(k) {
                        for line in lines {
                            p.line(Line::new("", line.clone()).color(Color32::from_gray(110)).width(0.8));
                        }
                    }
                    if let Some(pts) = m.stages.get(k) {
                        p.points(Points::new("training points", pts.clone()).color(COLORS[i]).radius(1.6));
                    }
                }),
                "flow-stages",
                None,
            );
        });
    }
}

/// Points one brush dab adds per frame.
pub const BRUSH_POINTS: usize = 4;

/// One dab of the paint brush: `n` points around `centre`, Gaussian with standard deviation `size`, kept inside the
/// view (the heat maps' square).
pub fn brush_points(centre: P2, size: f64, n: usize, rng: &mut SmallRng) -> Vec<P2> {
    (0..n)
        .map(|_| [centre[0] + size * f64::from(normal(rng)), centre[1] + size * f64::from(normal(rng))])
        .filter(|q| q[0].abs() < VIEW && q[1].abs() < VIEW)
        .collect()
}

fn plot_pixels(p: &egui_plot::PlotUi<'_>) -> [usize; 2] {
    let rect = p.response().rect;
    let ppp = p.ctx().pixels_per_point();
    [(rect.width() * ppp).round().max(1.0) as usize, (rect.height() * ppp).round().max(1.0) as usize]
}

/// The explanation panel's text for this tab.
pub const EXPLANATION: super::hall::Explanation = super::hall::Explanation {
    what: "An invertible f maps data x to z ∼ N(0, I), and training maximises the exact log-likelihood. Top: the \
           data and the density each flow learnt (RealNVP, residual flow); bottom: the training NLL and the data \
           pushed through each flow's stages. A residual flow is invertible when h is c-Lipschitz with c < 1; its \
           inverse needs a fixed-point iteration and its log-det a power series (in 2-D also exact).",
    formula: concat!(
        r"\log p(x) = \log \mathcal{N}\left(f(x); 0, I\right) + \log \left|\det \frac{\partial f}{\partial x}\right|",
        "\n",
        r"\text{Coupling: } y_1 = x_1, \quad y_2 = x_2 \odot \exp\left(s(x_1)\right) + t(x_1), \quad \log \left|\det\right| = s(x_1)",
        "\n",
        r"\text{Inverse: } x_1 = y_1, \quad x_2 = \left(y_2 - t(y_1)\right) \odot \exp\left(-s(y_1)\right)",
        "\n",
        r"\text{Residual: } f(x) = x + h(x), \quad \operatorname{Lip}(h) \leq c < 1",
        "\n",
        r"\log \left|\det(I + J_h)\right| = \sum_{k \geq 1} \frac{(-1)^{k+1}}{k} \operatorname{tr}\left(J_h^k\right)",
    ),
    things_to_try: &[
        "Train on two moons and watch both densities sharpen.",
        "Set c = 1.2: the residual flow is no longer guaranteed to be invertible.",
        "Paint your own density and train on it.",
        "Raise the learning rate to 1: training stops with a message and keeps the last good weights.",
    ],
};

/// The Flows tab in a scene file: the data (a toy dataset's label or "paint"), the painted points, the settings.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct FlowsScene {
    data: String,
    painted: Vec<P2>,
    brush: f64,
    lipschitz: f64,
    lr: f64,
    seed: u64,
    /// Trained flows to start from: a RealNVP file and a residual-flow file (`train realnvp|resflow --out`),
    /// relative to the scene's folder, both trained on `data`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    models: Vec<String>,
}

const PAINT: &str = "paint";

/// Reads the two flow files a scene names: a RealNVP and a residual flow, trained on `toy`.
fn read_scene_flows(models: &[String], dir: &std::path::Path, toy: Toy2d) -> Result<Vec<(FlowModel, u64)>, String> {
    if models.len() != 2 {
        return Err(format!("it names {} flow files instead of two (RealNVP, residual flow)", models.len()));
    }
    let mut flows = Vec::new();
    for (reference, want) in models.iter().zip([FlowKind::RealNvp, FlowKind::Residual]) {
        let path = super::scene::resolve_file(reference, dir)?;
        let file = crate::flows::file::FlowFile::load(&path)?;
        if file.model.kind() != want {
            return Err(format!("{reference} holds a {}, not a {}", file.model.kind().label(), want.label()));
        }
        if file.data != toy {
            return Err(format!("{reference} was trained on {}, the scene shows {}", file.data.label(), toy.label()));
        }
        flows.push((file.model, file.steps));
    }
    Ok(flows)
}

impl Lesson for FlowsLesson {
    fn name(&self) -> &'static str {
        "Flows"
    }

    fn save_scene(&self, _dir: &std::path::Path) -> Option<serde_json::Value> {
        let data = match self.source {
            Source::Toy(t) => t.label().to_owned(),
            Source::Paint => PAINT.to_owned(),
        };
        super::scene::to_value(&FlowsScene {
            data,
            painted: self.painted.clone(),
            brush: self.brush,
            lipschitz: self.lipschitz,
            lr: self.lr,
            seed: self.seed,
            models: Vec::new(),
        })
    }

    /// Settings, and trained flows when the scene names them (read here: two small files; shown paused).
    fn load_scene(
        &mut self,
        scene: &serde_json::Value,
        dir: &std::path::Path,
        _cx: &mut LessonContext<'_>,
    ) -> Result<(), String> {
        let s: FlowsScene = super::scene::parse(scene)?;
        let source = if s.data == PAINT { Source::Paint } else { Source::Toy(super::scene::toy_from_label(&s.data)?) };
        if s.painted.iter().flatten().any(|v| !v.is_finite()) {
            return Err("its painted points are not all finite numbers".into());
        }
        let flows = match (source, s.models.is_empty()) {
            (_, true) => None,
            (Source::Toy(toy), false) => Some((toy, read_scene_flows(&s.models, dir, toy)?)),
            (Source::Paint, false) => return Err("its flow files need a toy dataset, not a painting".into()),
        };
        self.scene_flows = flows;
        self.source = source;
        self.painted = s.painted;
        self.brush = s.brush.clamp(0.03, 0.6);
        self.lipschitz = s.lipschitz.clamp(0.5, 1.2);
        self.lr = s.lr.clamp(1e-4, 1.0);
        self.seed = s.seed;
        Ok(())
    }

    fn explanation(&self) -> Option<super::hall::Explanation> {
        Some(EXPLANATION)
    }

    fn toggle_training(&mut self, _cx: &mut LessonContext<'_>) -> bool {
        let training = self.snapshot.as_ref().is_some_and(|s| s.training);
        if self.paused {
            self.set_paused(false);
        } else if training {
            self.set_paused(true);
        } else {
            self.train();
        }
        true
    }

    fn step_training(&mut self, n: u32, _cx: &mut LessonContext<'_>) -> bool {
        self.step(n)
    }

    fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut LessonContext<'_>) {
        if self.worker.is_none() {
            self.worker = FlowWorker::spawn(ui.ctx().clone());
        }
        if let Some((toy, models)) = self.scene_flows.take() {
            self.show_trained(toy, models);
        }
        self.receive(ui.ctx());
        super::hall::controls_panel(ui, "flow-controls", 380.0, |ui| self.controls(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            let avail = ui.available_size();
            let gap = ui.spacing().item_spacing;
            let w = ((avail.x - 2.0 * gap.x) / 3.0).max(150.0);
            let h = ((avail.y - gap.y) / 2.0).max(180.0);
            let size = egui::vec2(w, h);
            ui.horizontal(|ui| {
                self.data_plot(ui, size);
                self.density_plot(ui, size, 0);
                self.density_plot(ui, size, 1);
            });
            ui.horizontal(|ui| {
                self.nll_plot(ui, size);
                self.stage_plot(ui, size, 0);
                self.stage_plot(ui, size, 1);
            });
        });
    }

    fn on_event(&mut self, _event: &TrainEvent) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brush_paints_near_the_pointer_and_inside_the_view() {
        let mut rng = SmallRng::seed_from_u64(1);
        let dab = brush_points([1.0, -1.0], 0.1, 200, &mut rng);
        assert!(dab.len() > 190);
        assert!(dab.iter().all(|p| (p[0] - 1.0).hypot(p[1] + 1.0) < 0.6));
        let edge = brush_points([VIEW, VIEW], 0.2, 200, &mut rng);
        assert!(edge.len() < 150 && edge.iter().all(|p| p[0] < VIEW && p[1] < VIEW));
        // Enough dabs make a trainable density.
        let mut painted = Vec::new();
        for i in 0..10 {
            painted.extend(brush_points([f64::from(i) * 0.2 - 1.0, 0.0], 0.15, BRUSH_POINTS, &mut rng));
        }
        assert!(FlowData::from_points(&painted, 1).is_ok());
    }

    #[test]
    fn lesson_configs_are_valid() {
        assert!(lesson_res(0.9).validate().is_ok());
        assert!(lesson_res(1.0).validate().is_err());
        assert_eq!(lesson_nvp().layers, 8);
    }
}
