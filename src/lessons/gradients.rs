//! "Gradient estimators": score function (REINFORCE) vs reparametrisation on a 2-D Gaussian, with live variance.
//!
//! The maths lives in `crate::estimators`; a worker thread of this lesson runs `run_lab` for the newest setting
//! (older requests are skipped), so dragging a slider never blocks a frame.

// Maths notation: one-letter names (μ, C = [[a, 0], [b, d]], g, w, K) and formulas in doc comments.
#![allow(clippy::many_single_char_names, clippy::doc_markdown)]

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Arrows, Corner, Legend, Line, LineStyle, Plot, PlotBounds, PlotImage, PlotPoint, Points};

use super::lesson_thread::{self, LessonThread};
use super::{Lesson, LessonContext};
use crate::estimators::{
    Estimator, GRAD_NAMES, Gauss2, LabRequest, LabResult, MAX_C, MU_BOX, Objective, VAR_KS, run_lab,
};
use crate::train::TrainEvent;
use crate::viz::scatter::{Bounds, rasterize};
use crate::viz::widgets::{CachedImage, fixed_square_plot};

/// Estimates per estimator in the cloud and the table.
pub const ESTIMATES: usize = 1000;
/// Largest K the slider offers.
pub const MAX_K: usize = 500;
const STEPS: usize = 200;

const COLORS: [Color32; 3] =
    [Color32::from_rgb(225, 80, 80), Color32::from_rgb(235, 170, 40), Color32::from_rgb(80, 150, 240)];

/// The settings a student controls; `request` turns them into a valid [`LabRequest`] plus notes on what was
/// clamped or refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub g: Objective,
    pub mu: [f64; 2],
    pub c: [f64; 3],
    pub k: usize,
    pub lr: f64,
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self { g: Objective::Quadratic, mu: [-1.5, -1.0], c: [0.8, 0.3, 0.6], k: 10, lr: 0.05, seed: 1 }
    }
}

impl Settings {
    pub fn request(&self) -> (LabRequest, Vec<String>) {
        let (pi, mut notes) = Gauss2::clamped(self.mu, self.c);
        let k = if self.k == 0 {
            notes.push("K = 0 refused: an estimate needs at least one sample (using K = 1)".into());
            1
        } else {
            self.k.min(MAX_K)
        };
        let lr = if self.lr.is_finite() { self.lr.clamp(1e-4, 1.0) } else { 0.05 };
        let req = LabRequest { g: self.g, pi, k, estimates: ESTIMATES, seed: self.seed, lr, steps: STEPS };
        (req, notes)
    }
}

/// The lesson's compute thread: takes the newest request, sends back its result and wakes the UI.
type Worker = LessonThread<LabRequest, LabResult>;

impl Worker {
    fn spawn(ctx: egui::Context) -> Option<Self> {
        lesson_thread::spawn("gradient-lab", ctx, |requests, results, ctx| {
            while let Ok(mut req) = requests.recv() {
                while let Ok(newer) = requests.try_recv() {
                    req = newer;
                }
                if results.send(run_lab(&req)).is_err() {
                    break;
                }
                lesson_thread::reported(&ctx);
            }
        })
    }
}

/// The "Gradient estimators" tab.
#[derive(Default)]
pub struct GradientsLesson {
    settings: Settings,
    worker: Option<Worker>,
    sent: Option<LabRequest>,
    result: Option<LabResult>,
    /// Why the last request has no result (its thread died).
    message: Option<String>,
    /// Increments with every new result (cache key of the cloud image).
    generation: u64,
    heatmap: CachedImage<Objective>,
    cloud: CachedImage<(u64, [usize; 2])>,
}

/// g over the view box as a translucent orange glow (brighter = higher).
fn heatmap_image(g: Objective) -> egui::ColorImage {
    let n = 160;
    let vals: Vec<f64> = (0..n * n)
        .map(|i| {
            let (x, y) = (i % n, i / n);
            let w = [
                -MU_BOX + 2.0 * MU_BOX * (x as f64 + 0.5) / n as f64,
                MU_BOX - 2.0 * MU_BOX * (y as f64 + 0.5) / n as f64,
            ];
            g.value(w)
        })
        .collect();
    // Rank-free normalisation that copes with exp's range: clip to the 2nd–98th percentile.
    let mut sorted = vals.clone();
    sorted.sort_by(f64::total_cmp);
    let lo = sorted[sorted.len() / 50];
    let hi = sorted[sorted.len() - 1 - sorted.len() / 50];
    let pixels = vals
        .iter()
        .map(|v| {
            let t = ((v - lo) / (hi - lo).max(1e-12)).clamp(0.0, 1.0);
            Color32::from_rgba_unmultiplied(255, 150, 40, (t * 120.0) as u8)
        })
        .collect();
    egui::ColorImage::new([n, n], pixels)
}

fn ellipse(pi: &Gauss2, r: f64) -> Vec<[f64; 2]> {
    (0..=72)
        .map(|i| {
            let t = std::f64::consts::TAU * f64::from(i) / 72.0;
            pi.sample_from([r * t.cos(), r * t.sin()])
        })
        .collect()
}

/// Box around the 1st–99th percentiles of the ∇_μ estimates (score-function outliers would squash the rest).
fn cloud_bounds(r: &LabResult) -> Bounds {
    let mut lo = [f64::INFINITY; 2];
    let mut hi = [f64::NEG_INFINITY; 2];
    for cloud in &r.clouds {
        for d in 0..2 {
            let mut v: Vec<f64> = cloud.iter().map(|e| e[d]).filter(|x| x.is_finite()).collect();
            if v.is_empty() {
                continue;
            }
            v.sort_by(f64::total_cmp);
            lo[d] = lo[d].min(v[v.len() / 100]);
            hi[d] = hi[d].max(v[v.len() - 1 - v.len() / 100]);
        }
    }
    let corners = [lo, hi, [r.truth[0], r.truth[1]]];
    let mut b = Bounds::around(corners.iter().filter(|p| p[0].is_finite()), 0.08);
    // Equal scale on both axes, so the shape of the cloud is honest.
    let [w, h] = b.size();
    let half = w.max(h) / 2.0;
    let c = b.center();
    b = Bounds { min: [c[0] - half, c[1] - half], max: [c[0] + half, c[1] + half] };
    b
}

fn fmt_num(x: f64) -> String {
    if x == 0.0 || (1e-3..1e4).contains(&x.abs()) { format!("{x:.3}") } else { format!("{x:.2e}") }
}

impl GradientsLesson {
    fn controls(&mut self, ui: &mut egui::Ui) {
        super::hall::intro(ui, "Gradient estimators", &EXPLANATION);
        ui.separator();
        ui.label(RichText::new("Objective g").strong());
        for g in Objective::ALL {
            ui.radio_value(&mut self.settings.g, g, g.label());
        }
        ui.separator();
        ui.label(RichText::new("π = N(μ, C Cᵀ)").strong());
        let s = &mut self.settings;
        ui.add(egui::Slider::new(&mut s.mu[0], -MU_BOX..=MU_BOX).text("μ₁"));
        ui.add(egui::Slider::new(&mut s.mu[1], -MU_BOX..=MU_BOX).text("μ₂"));
        ui.add(egui::Slider::new(&mut s.c[0], 0.0..=MAX_C).text("C₁₁ (diagonal, > 0)"));
        ui.add(egui::Slider::new(&mut s.c[1], -MAX_C..=MAX_C).text("C₂₁"));
        ui.add(egui::Slider::new(&mut s.c[2], 0.0..=MAX_C).text("C₂₂ (diagonal, > 0)"));
        ui.add(egui::Slider::new(&mut s.k, 0..=MAX_K).logarithmic(true).text("K samples per estimate"));
        ui.add(egui::Slider::new(&mut s.lr, 0.001..=0.5).logarithmic(true).text("Ascent step size"));
        ui.horizontal(|ui| {
            if ui.button("Redraw").on_hover_text("New random draws for every estimate").clicked() {
                s.seed = s.seed.wrapping_add(1);
            }
            if ui.button("Reset").clicked() {
                *s = Settings::default();
            }
        });
        for note in &s.request().1 {
            ui.colored_label(ui.visuals().warn_fg_color, format!("⚠ {note}"));
        }
        ui.separator();
        self.tables(ui);
    }

    fn tables(&self, ui: &mut egui::Ui) {
        if let Some(m) = &self.message {
            ui.colored_label(ui.visuals().error_fg_color, m);
        }
        let Some(r) = &self.result else {
            ui.label("computing…");
            return;
        };
        let truth_note = if r.exact { "closed form" } else { "no closed form: 200,000-sample reparametrised estimate" };
        ui.label(RichText::new(format!("Gradient of E[g] ({truth_note})")).strong());
        egui::Grid::new("grad-means").num_columns(5).striped(true).show(ui, |ui| {
            ui.label("");
            ui.label(RichText::new("true").strong());
            for (e, c) in Estimator::ALL.iter().zip(COLORS) {
                ui.label(
                    RichText::new(match e {
                        Estimator::Score => "SF",
                        Estimator::ScoreBaseline => "SF+b",
                        Estimator::Reparam => "rep.",
                    })
                    .color(c)
                    .strong(),
                );
            }
            ui.end_row();
            for (i, name) in GRAD_NAMES.iter().enumerate() {
                ui.label(format!("∂/∂{name}"));
                ui.monospace(fmt_num(r.truth[i]));
                for s in &r.stats {
                    ui.monospace(fmt_num(s.mean[i]));
                }
                ui.end_row();
            }
        });
        ui.small(format!("Means of {} estimates with K = {}.", r.stats[0].n, r.request.k));
        ui.add_space(6.0);
        ui.label(RichText::new("Bias and variance").strong());
        egui::Grid::new("bias-variance").num_columns(4).striped(true).show(ui, |ui| {
            for head in ["estimator", "‖bias‖", "max |bias|/SE", "variance"] {
                ui.label(RichText::new(head).strong());
            }
            ui.end_row();
            for (i, e) in Estimator::ALL.iter().enumerate() {
                let s = &r.stats[i];
                let bias: f64 = (0..5).map(|j| (s.mean[j] - r.truth[j]).powi(2)).sum::<f64>().sqrt();
                ui.label(RichText::new(e.label()).color(COLORS[i]));
                ui.monospace(fmt_num(bias));
                ui.monospace(format!("{:.2}", s.max_z(&r.truth)));
                ui.monospace(fmt_num(s.total_var()));
                ui.end_row();
            }
        });
        let best = (0..3).min_by(|&a, &b| r.stats[a].total_var().total_cmp(&r.stats[b].total_var())).unwrap_or(2);
        let verdict = if best == Estimator::Reparam.index() {
            "Lowest variance here: reparametrisation, as usual.".to_owned()
        } else {
            format!(
                "Lowest variance here: {}. Reparametrisation is not always best: it uses ∇g, and the ripples of \
                 this g make ∇g large and erratic.",
                Estimator::ALL[best].label()
            )
        };
        ui.label(verdict);
        ui.small(
            "Variance = sum over the 5 components. |bias|/SE below ≈ 3 means no bias detectable: all three are \
             unbiased, they differ only in noise.",
        );
        ui.small(format!(
            "{} estimates × 3 estimators: {:.1} ms on the lesson's worker thread (all panels {:.0} ms).",
            r.stats[0].n, r.cloud_ms, r.total_ms
        ));
    }

    fn density_plot(&mut self, ui: &mut egui::Ui, size: egui::Vec2, req: &LabRequest) {
        let heat = self.heatmap.get(ui.ctx(), "objective", req.g, || heatmap_image(req.g));
        ui.vertical(|ui| {
            ui.set_max_width(size.x);
            ui.label(RichText::new("π with its K samples; arrow: true ∇_μ E[g]").strong());
            crate::viz::export::plot(
                fixed_square_plot("grad-density", size, Corner::LeftTop, ["w₁", "w₂"]).show(ui, |p| {
                    p.set_plot_bounds(PlotBounds::from_min_max([-MU_BOX, -MU_BOX], [MU_BOX, MU_BOX]));
                    let side = (2.0 * MU_BOX) as f32;
                    p.image(PlotImage::new("g (brighter = higher)", heat, PlotPoint::new(0.0, 0.0), [side, side]));
                    let Some(r) = &self.result else { return };
                    let pi = r.request.pi;
                    let grey = crate::viz::palette::points_ink(p.ctx());
                    p.line(Line::new("1σ, 2σ contours of π", ellipse(&pi, 1.0)).color(grey));
                    p.line(
                        Line::new("1σ, 2σ contours of π", ellipse(&pi, 2.0))
                            .color(grey)
                            .style(LineStyle::dashed_loose()),
                    );
                    p.points(
                        Points::new(format!("samples w_k (K = {})", r.request.k), r.samples.clone())
                            .radius(2.0)
                            .color(crate::viz::palette::ink(p.ctx())),
                    );
                    let g = [r.truth[0], r.truth[1]];
                    let norm = g[0].hypot(g[1]);
                    let scale = if norm > 1.5 { 1.5 / norm } else { 1.0 };
                    let name = if scale < 1.0 {
                        format!("true ∇_μ (scaled ×{scale:.2})")
                    } else {
                        "true ∇_μ".to_owned()
                    };
                    p.arrows(
                        Arrows::new(name, vec![pi.mu], vec![[pi.mu[0] + scale * g[0], pi.mu[1] + scale * g[1]]])
                            .color(Color32::from_rgb(120, 230, 120)),
                    );
                }),
                "gradient-density",
                None,
            );
        });
    }

    fn cloud_plot(&mut self, ui: &mut egui::Ui, size: egui::Vec2) {
        ui.vertical(|ui| {
            ui.set_max_width(size.x);
            let title = match &self.result {
                Some(r) => format!("{} estimates of ∇_μ per estimator (K = {})", r.stats[0].n, r.request.k),
                None => "estimates of ∇_μ".to_owned(),
            };
            ui.label(RichText::new(title).strong());
            let generation = self.generation;
            crate::viz::export::plot(
                fixed_square_plot("grad-cloud", size, Corner::LeftTop, ["∂/∂μ₁", "∂/∂μ₂"]).show(ui, |p| {
                    let Some(r) = &self.result else { return };
                    let bounds = cloud_bounds(r);
                    p.set_plot_bounds(PlotBounds::from_min_max(bounds.min, bounds.max));
                    let rect = p.response().rect;
                    let ppp = p.ctx().pixels_per_point();
                    let px = [(rect.width() * ppp).round() as usize, (rect.height() * ppp).round() as usize];
                    let texture = self.cloud.get(p.ctx(), "estimates", (generation, px), || {
                        let pts: Vec<Vec<[f64; 2]>> =
                            r.clouds.iter().map(|c| c.iter().map(|e| [e[0], e[1]]).collect()).collect();
                        let series: Vec<(Color32, &[[f64; 2]])> =
                            pts.iter().zip(COLORS).map(|(v, c)| (c.gamma_multiply(0.7), v.as_slice())).collect();
                        rasterize(&series, bounds, px, 1.6 * ppp)
                    });
                    let [w, h] = bounds.size();
                    let c = bounds.center();
                    p.image(PlotImage::new("", texture, PlotPoint::new(c[0], c[1]), [w as f32, h as f32]));
                    for (i, e) in Estimator::ALL.iter().enumerate() {
                        // Invisible point: the legend entry of the cloud drawn in the image.
                        p.points(Points::new(e.label(), vec![[c[0], c[1]]]).color(COLORS[i]).radius(0.0));
                    }
                    p.points(
                        Points::new("true ∇_μ", vec![[r.truth[0], r.truth[1]]])
                            .color(Color32::from_rgb(120, 230, 120))
                            .shape(egui_plot::MarkerShape::Plus)
                            .radius(7.0),
                    );
                }),
                "gradient-estimates",
                None,
            );
        });
    }

    fn variance_plot(&self, ui: &mut egui::Ui, size: egui::Vec2) {
        ui.vertical(|ui| {
            ui.set_max_width(size.x);
            ui.label(
                RichText::new(format!(
                    "Variance vs K (log–log, {} estimates per point)",
                    crate::estimators::VAR_REPEATS
                ))
                .strong(),
            );
            crate::viz::export::plot(
                Plot::new("grad-variance")
                    .legend(Legend::default().position(Corner::RightTop))
                    .width(size.x)
                    .height(size.y - 24.0)
                    .x_axis_label("K")
                    .y_axis_label("variance")
                    .x_axis_formatter(|mark, _| pow10_label(mark.value))
                    .y_axis_formatter(|mark, _| pow10_label(mark.value))
                    .show(ui, |p| {
                        let Some(r) = &self.result else { return };
                        for (i, e) in Estimator::ALL.iter().enumerate() {
                            let pts: Vec<[f64; 2]> = r.var_vs_k[i]
                                .iter()
                                .filter(|(_, v)| *v > 0.0 && v.is_finite())
                                .map(|&(k, v)| [(k as f64).log10(), v.log10()])
                                .collect();
                            p.line(Line::new(e.label(), pts.clone()).color(COLORS[i]).width(2.0));
                            p.points(Points::new(e.label(), pts).color(COLORS[i]).radius(3.0));
                        }
                        // The 1/K slope, through the score function's K = 1 point.
                        if let Some(&(_, v1)) = r.var_vs_k[0].first().filter(|(_, v)| *v > 0.0) {
                            let kmax = VAR_KS[VAR_KS.len() - 1] as f64;
                            p.line(
                                Line::new(
                                    "slope 1/K",
                                    vec![[0.0, v1.log10() + 0.3], [kmax.log10(), v1.log10() + 0.3 - kmax.log10()]],
                                )
                                .color(Color32::GRAY)
                                .style(LineStyle::dashed_loose()),
                            );
                        }
                    }),
                "gradient-variance",
                None,
            );
        });
    }

    fn trajectory_plot(&mut self, ui: &mut egui::Ui, size: egui::Vec2, req: &LabRequest) {
        let heat = self.heatmap.get(ui.ctx(), "objective", req.g, || heatmap_image(req.g));
        ui.vertical(|ui| {
            ui.set_max_width(size.x);
            let title = match &self.result {
                Some(r) if r.request.g.maximise() => {
                    format!("Gradient ascent on E[g]: μ, {STEPS} steps, K = {}, step {:.3}", r.request.k, r.request.lr)
                }
                Some(r) => format!(
                    "Gradient descent (g has no maximum): μ, {STEPS} steps, K = {}, step {:.3}",
                    r.request.k, r.request.lr
                ),
                None => "Gradient ascent on E[g]".to_owned(),
            };
            ui.label(RichText::new(title).strong());
            crate::viz::export::plot(
                fixed_square_plot("grad-paths", size, Corner::LeftTop, ["μ₁", "μ₂"]).show(ui, |p| {
                    p.set_plot_bounds(PlotBounds::from_min_max([-MU_BOX, -MU_BOX], [MU_BOX, MU_BOX]));
                    let side = (2.0 * MU_BOX) as f32;
                    p.image(PlotImage::new("g", heat, PlotPoint::new(0.0, 0.0), [side, side]));
                    let Some(r) = &self.result else { return };
                    p.points(
                        Points::new("start", vec![r.request.pi.mu])
                            .color(crate::viz::palette::ink(p.ctx()))
                            .radius(4.0),
                    );
                    for (i, e) in Estimator::ALL.iter().enumerate() {
                        let pts: Vec<[f64; 2]> = r.paths[i].iter().map(|g| g.mu).collect();
                        let end = pts.last().copied();
                        p.line(Line::new(e.label(), pts).color(COLORS[i]).width(1.5));
                        if let Some(end) = end {
                            p.points(Points::new(e.label(), vec![end]).color(COLORS[i]).radius(3.5));
                        }
                    }
                }),
                "gradient-ascent-paths",
                None,
            );
        });
    }

    fn objective_plot(&self, ui: &mut egui::Ui, size: egui::Vec2) {
        ui.vertical(|ui| {
            ui.set_max_width(size.x);
            let climbing = self.result.as_ref().is_none_or(|r| r.request.g.maximise());
            ui.label(RichText::new("E[g] over the optimiser steps (exact, or 400-sample Monte Carlo)").strong());
            crate::viz::export::plot(
                Plot::new("grad-objective")
                    .legend(Legend::default().position(if climbing { Corner::RightBottom } else { Corner::RightTop }))
                    .width(size.x)
                    .height(size.y - 24.0)
                    .x_axis_label("step")
                    .label_formatter(crate::viz::hover::step_and_value)
                    .y_axis_label("E[g]")
                    .show(ui, |p| {
                        let Some(r) = &self.result else { return };
                        for (i, e) in Estimator::ALL.iter().enumerate() {
                            let pts: Vec<[f64; 2]> =
                                r.path_values[i].iter().enumerate().map(|(s, v)| [s as f64, *v]).collect();
                            p.line(Line::new(e.label(), pts).color(COLORS[i]).width(1.5));
                        }
                    }),
                "gradient-objective",
                None,
            );
        });
    }
}

/// Tick label of a log10 axis value: 10^x written out.
fn pow10_label(x: f64) -> String {
    let v = 10f64.powf(x);
    if (0.01..1e5).contains(&v) { format!("{}", (v * 100.0).round() / 100.0) } else { format!("{v:.0e}") }
}

/// The explanation panel's text for this tab.
pub const EXPLANATION: super::hall::Explanation = super::hall::Explanation {
    what: "We want ∇ of E[g(w)] over w ∼ π = N(μ, C Cᵀ). Left: g and π; middle: 1000 estimates of ∇_μ from each \
           estimator; right: gradient ascent with each. The score function (REINFORCE) only needs g(w); \
           reparametrising uses ∇g and is far less noisy. For a discrete latent there is no reparametrisation: the \
           score function (with a baseline) is all we have.",
    formula: concat!(
        r"\nabla_\mu \mathbb{E}_\pi\left[g(w)\right], \quad \pi = \mathcal{N}(\mu, C C^\top)",
        "\n",
        r"\text{Score function: } \frac{1}{K} \sum_k \left(g(w_k) - b\right) \nabla_\mu \log \pi(w_k), \quad w_k \sim \pi",
        "\n",
        r"\text{Reparametrisation: } w = \mu + C \epsilon, \; \epsilon \sim \mathcal{N}(0, I) \text{:} \quad \frac{1}{K} \sum_k \nabla g(\mu + C \epsilon_k)",
        "\n",
        r"\text{Both unbiased; the variance falls like } 1/K",
    ),
    things_to_try: &[
        "Set K = 1 and K = 50 and compare the clouds of estimates.",
        "Shrink C₁₁ and C₂₂ near a maximum of g: ∇ log π grows like 1/C and the score function's ascent jumps.",
        "Switch the objective g: which estimator suffers most?",
        "Press Redraw: new random draws for every estimate.",
    ],
};

/// The Gradient estimators tab in a scene file (the objective by its label).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct GradientsScene {
    objective: String,
    mu: [f64; 2],
    c: [f64; 3],
    k: usize,
    lr: f64,
    seed: u64,
}

impl Lesson for GradientsLesson {
    fn name(&self) -> &'static str {
        "Gradient estimators"
    }

    fn save_scene(&self, _dir: &std::path::Path) -> Option<serde_json::Value> {
        let s = &self.settings;
        super::scene::to_value(&GradientsScene {
            objective: s.g.label().to_owned(),
            mu: s.mu,
            c: s.c,
            k: s.k,
            lr: s.lr,
            seed: s.seed,
        })
    }

    fn load_scene(
        &mut self,
        scene: &serde_json::Value,
        _dir: &std::path::Path,
        _cx: &mut LessonContext<'_>,
    ) -> Result<(), String> {
        let s: GradientsScene = super::scene::parse(scene)?;
        let g = Objective::ALL
            .into_iter()
            .find(|g| g.label() == s.objective)
            .ok_or_else(|| format!("unknown objective \"{}\"", s.objective))?;
        // `Settings::request` clamps whatever is out of range, with a note on screen.
        self.settings = Settings { g, mu: s.mu, c: s.c, k: s.k, lr: s.lr, seed: s.seed };
        Ok(())
    }

    fn explanation(&self) -> Option<super::hall::Explanation> {
        Some(EXPLANATION)
    }

    fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut LessonContext<'_>) {
        if self.worker.is_none() {
            self.worker = Worker::spawn(ui.ctx().clone());
        }
        // Newest result last (the worker may have finished several).
        if let Some(w) = &self.worker {
            let (results, ended) = w.drain();
            for r in results {
                self.result = Some(r);
                self.generation += 1;
                self.message = None;
            }
            if let Some(ended) = ended {
                // A fresh thread takes the next setting; the one that failed is not sent again.
                self.worker = None;
                self.message = Some(format!("{ended}. Change a setting to compute again."));
            }
        }
        super::hall::controls_panel(ui, "grad-controls", 380.0, |ui| self.controls(ui));
        let (req, _) = self.settings.request();
        if self.sent != Some(req) {
            match &self.worker {
                Some(w) if w.tx.send(req).is_ok() => {}
                _ => {
                    // No thread: compute here (slower frames, same numbers).
                    self.result = Some(run_lab(&req));
                    self.generation += 1;
                }
            }
            self.sent = Some(req);
        }
        egui::CentralPanel::default().show(ui, |ui| {
            let avail = ui.available_size();
            let gap = ui.spacing().item_spacing;
            let w = ((avail.x - 2.0 * gap.x) / 3.0).max(150.0);
            let h = ((avail.y - gap.y) / 2.0).max(180.0);
            ui.horizontal_top(|ui| {
                self.density_plot(ui, egui::vec2(w, h), &req);
                self.cloud_plot(ui, egui::vec2(w, h));
                self.variance_plot(ui, egui::vec2(w, h));
            });
            ui.horizontal_top(|ui| {
                self.trajectory_plot(ui, egui::vec2(w, h), &req);
                self.objective_plot(ui, egui::vec2(2.0 * w + gap.x, h));
            });
        });
    }

    fn on_event(&mut self, _event: &TrainEvent) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_clamped_with_notes() {
        let s = Settings { k: 0, c: [0.0, 0.2, 0.5], ..Settings::default() };
        let (req, notes) = s.request();
        assert_eq!(req.k, 1);
        assert!(req.pi.c[0] > 0.0);
        assert!(notes.iter().any(|n| n.contains("K = 0 refused")), "{notes:?}");
        assert!(notes.iter().any(|n| n.contains("C₁₁ clamped")), "{notes:?}");
        assert!(Settings::default().request().1.is_empty());
    }

    #[test]
    fn log_ticks_read_as_plain_numbers() {
        assert_eq!(pow10_label(0.0), "1");
        assert_eq!(pow10_label(2.0), "100");
        assert_eq!(pow10_label(-1.0), "0.1");
    }
}
