//! "Latent space": an autoencoder and a VAE learn side by side; their 2-D codes and loss curves update live.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{
    Corner, ItemId, Legend, Line, LineStyle, MarkerShape, Plot, PlotBounds, PlotImage, PlotMemory, PlotPoint,
    PlotPoints, Points,
};

use super::hall::Explanation;
use super::observation::ObservationChoice;
use super::{Lesson, LessonContext};
use crate::train::pca::Projection;
use crate::train::{Codes, LossPoint, ModelKind, Purpose, TrainCommand, TrainConfig, TrainEvent, WorkerState};
use crate::viz::palette::class_color;
use crate::viz::scatter::{Bounds, rasterize};
use crate::viz::widgets::tile;
use crate::viz::widgets::{CachedImage, fixed_square_plot, upload};
use scene::{CanvasScene, LatentScene};

mod scene;

/// Largest number of loss points kept per curve; older points are thinned by half when it is reached.
const MAX_CURVE_POINTS: usize = 4000;

/// Codes of one model, grouped by class (one legend entry each), drawn as one image (see `viz::scatter`).
struct CodePlot {
    step: u64,
    /// The codes in item order (for picking a point).
    points: Vec<[f32; 2]>,
    by_class: Vec<Vec<[f64; 2]>>,
    count: usize,
    bounds: Bounds,
    /// The rasterised codes, keyed by image size and hidden classes (redrawn when either changes).
    image: CachedImage<([usize; 2], Vec<bool>)>,
    /// For latents wider than 2: the plot shows principal components, and picked points are lifted back.
    projection: Option<Projection>,
}

impl CodePlot {
    fn from_codes(codes: &Codes) -> Self {
        let classes = codes.labels.iter().copied().max().map_or(0, |m| usize::from(m) + 1);
        let mut by_class = vec![Vec::new(); classes];
        for (p, &l) in codes.points.iter().zip(&codes.labels) {
            by_class[usize::from(l)].push([f64::from(p[0]), f64::from(p[1])]);
        }
        let bounds = Bounds::around(by_class.iter().flatten(), 0.05);
        Self {
            step: codes.step,
            points: codes.points.clone(),
            by_class,
            count: codes.points.len(),
            bounds,
            image: CachedImage::default(),
            projection: codes.projection.clone(),
        }
    }

    /// The latent vector at plot position `p` (the plane of the principal components for wide latents).
    fn latent_at(&self, p: [f64; 2]) -> Vec<f32> {
        match &self.projection {
            Some(projection) => projection.lift(p),
            None => vec![p[0] as f32, p[1] as f32],
        }
    }

    /// Axis titles: z₁, z₂ or the principal components with their share of the variance.
    fn axes(&self) -> [String; 2] {
        match &self.projection {
            Some(p) => [0, 1].map(|i| format!("PC {} ({:.0} % of variance)", i + 1, 100.0 * p.explained[i])),
            None => ["z₁".to_owned(), "z₂".to_owned()],
        }
    }

    /// The texture of the visible classes at `size` pixels, redrawn only when something changed.
    fn texture(&mut self, ctx: &egui::Context, size: [usize; 2], hidden: Vec<bool>) -> egui::TextureId {
        let (by_class, bounds) = (&self.by_class, self.bounds);
        let visible: Vec<(Color32, &[[f64; 2]])> = by_class
            .iter()
            .enumerate()
            .filter(|(class, _)| !hidden.get(*class).copied().unwrap_or(false))
            .map(|(class, pts)| (class_color(class), pts.as_slice()))
            .collect();
        let radius = 2.0 * ctx.pixels_per_point();
        self.image.get(ctx, "codes", (size, hidden), || rasterize(&visible, bounds, size, radius))
    }
}

/// Points within this many screen pixels of a click pick it.
const PICK_PIXELS: f64 = 6.0;
/// Images in the interpolation strip.
const STRIP_LEN: usize = 10;

/// The index of the point nearest `target` within `max_px` screen pixels, given pixels per unit along each axis.
pub fn nearest_within(points: &[[f32; 2]], target: [f64; 2], px_per_unit: [f64; 2], max_px: f64) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, p) in points.iter().enumerate() {
        let dx = (f64::from(p[0]) - target[0]) * px_per_unit[0];
        let dy = (f64::from(p[1]) - target[1]) * px_per_unit[1];
        let d2 = dx * dx + dy * dy;
        if d2 <= max_px * max_px && best.is_none_or(|(_, b)| d2 < b) {
            best = Some((i, d2));
        }
    }
    best.map(|(i, _)| i)
}

/// `n` evenly spaced points from `a` to `b`, both ends included.
pub fn interpolation_points(a: [f64; 2], b: [f64; 2], n: usize) -> Vec<Vec<f32>> {
    (0..n)
        .map(|k| {
            let t = if n > 1 { k as f64 / (n - 1) as f64 } else { 0.0 };
            vec![(a[0] + t * (b[0] - a[0])) as f32, (a[1] + t * (b[1] - a[1])) as f32]
        })
        .collect()
}

/// A row of decoded images shown as one texture.
#[derive(Default)]
struct ImageRow {
    images: Vec<Vec<f32>>,
    rows: usize,
    cols: usize,
    alt: String,
    texture: Option<egui::TextureHandle>,
    stale: bool,
}

impl ImageRow {
    fn set(&mut self, images: Vec<Vec<f32>>, rows: usize, cols: usize, alt: String) {
        *self = Self { images, rows, cols, alt, texture: self.texture.take(), stale: true };
    }

    fn show(&mut self, ui: &mut egui::Ui, name: &str, height: f32) {
        if self.images.is_empty() {
            return;
        }
        if self.stale || self.texture.is_none() {
            let image = tile(&self.images, self.rows, self.cols, self.images.len(), 1);
            upload(&mut self.texture, ui.ctx(), name, image, egui::TextureOptions::NEAREST);
            self.stale = false;
        }
        if let Some(t) = &self.texture {
            let [w, h] = t.size();
            let scale = height / h.max(1) as f32;
            let size = egui::vec2(w as f32 * scale, height);
            let shown = ui.add(
                egui::Image::new(egui::load::SizedTexture::new(t.id(), size))
                    .alt_text(self.alt.clone())
                    .sense(egui::Sense::click()),
            );
            crate::viz::export::context_menu(&shown, name, None);
        }
    }
}

pub use crate::viz::shapes::{ellipse_points, ellipse_points_cov, paint_brush};

/// The "Draw a digit" canvas.
#[derive(Default)]
struct Canvas {
    pixels: Vec<f32>,
    rows: usize,
    cols: usize,
    /// Why the drawing was not encoded.
    refused: Option<String>,
    /// Where the pointer was in the previous frame of this stroke (canvas cells), so fast strokes have no gaps.
    last: Option<[f32; 2]>,
}

/// A 2×2 covariance matrix.
type Cov2 = [[f64; 2]; 2];

/// The exploration state of one model's code plot: the dragged marker, a clicked digit, an interpolation.
#[derive(Default)]
struct Explore {
    /// Where the marker is now.
    probe: Option<[f64; 2]>,
    /// The marker position of the request with the worker, and of the last one sent.
    probe_in_flight: Option<[f64; 2]>,
    probe_sent: Option<[f64; 2]>,
    probe_image: ImageRow,
    /// The clicked item (dataset index), its code and its pixels.
    clicked: Option<(usize, [f64; 2], Vec<f32>)>,
    clicked_image: ImageRow,
    /// The codes at both ends of the interpolation.
    strip_ends: Option<([f64; 2], [f64; 2])>,
    strip_image: ImageRow,
    /// The code of the drawn digit on the plot: encoder mean and, for the VAE, its covariance.
    drawn: Option<([f64; 2], Option<Cov2>)>,
    /// Ask the worker again for the clicked digit, the path and the drawing once codes arrive (a scene's models
    /// were loaded).
    refresh: bool,
}

/// Everything one model has reported.
#[derive(Default)]
struct ModelView {
    explore: Explore,
    codes: Option<CodePlot>,
    train_curve: Vec<LossPoint>,
    heldout_curve: Vec<LossPoint>,
    diverged: Option<String>,
}

impl ModelView {
    fn push_train(&mut self, p: LossPoint) {
        if self.train_curve.len() >= MAX_CURVE_POINTS {
            let thinned = self.train_curve.iter().step_by(2).copied().collect();
            self.train_curve = thinned;
        }
        self.train_curve.push(p);
    }
}

/// What the lesson believes the run is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum RunState {
    #[default]
    NotStarted,
    Running,
    Paused,
}

/// The "Latent space" tab.
pub struct LatentSpaceLesson {
    config: TrainConfig,
    hidden_text: String,
    run: RunState,
    views: [ModelView; 2],
    /// Class names for the legend (digits 0–9 for MNIST).
    show_all_codes: bool,
    canvas: Canvas,
    observation: ObservationChoice,
    /// The exploration of a scene whose models the worker is loading, shown once it has them.
    pending_scene: Option<Box<[Explore; 2]>>,
}

impl Default for LatentSpaceLesson {
    fn default() -> Self {
        let config = TrainConfig::default();
        let hidden_text = format_hidden(&config.hidden);
        Self {
            config,
            hidden_text,
            run: RunState::NotStarted,
            views: Default::default(),
            show_all_codes: false,
            canvas: Canvas::default(),
            observation: ObservationChoice::default(),
            pending_scene: None,
        }
    }
}

fn format_hidden(hidden: &[usize]) -> String {
    hidden.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Parses "512, 256" into layer widths; explains what is wrong otherwise.
pub fn parse_hidden(text: &str) -> Result<Vec<usize>, String> {
    let mut widths = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.parse::<usize>() {
            Ok(w) if (1..=4096).contains(&w) => widths.push(w),
            Ok(w) => return Err(format!("layer width {w} is out of range (1..=4096)")),
            Err(_) => return Err(format!("\"{part}\" is not a whole number")),
        }
    }
    if widths.is_empty() || widths.len() > 6 {
        return Err("give 1 to 6 hidden layer widths, e.g. \"512, 256\"".into());
    }
    Ok(widths)
}

impl LatentSpaceLesson {
    fn controls(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        super::hall::intro(ui, "Autoencoder vs VAE", &EXPLANATION);
        ui.separator();
        let editable = self.run == RunState::NotStarted;
        ui.add_enabled_ui(editable, |ui| {
            ui.add(
                egui::Slider::new(&mut self.config.learning_rate, 1e-5..=1e-1).logarithmic(true).text("Learning rate"),
            );
            ui.add(egui::Slider::new(&mut self.config.batch_size, 8..=1024).logarithmic(true).text("Batch size"));
            ui.horizontal(|ui| {
                let label = ui.label("Hidden sizes");
                ui.add(egui::TextEdit::singleline(&mut self.hidden_text).desired_width(110.0)).labelled_by(label.id);
            });
            ui.add(egui::Slider::new(&mut self.config.latent_dim, 2..=64).logarithmic(true).text("Latent size"));
            self.observation.ui(ui);
        });
        super::hall::seed_field(ui, &mut self.config.seed, editable, "pair of models");
        if self.config.latent_dim > 2 {
            ui.small("Latent size > 2: the plots show the codes' first two principal components.");
        }
        let hidden = parse_hidden(&self.hidden_text);
        match &hidden {
            Ok(h) => {
                let dim = cx.dataset.dim();
                let arch: Vec<String> = std::iter::once(dim).chain(h.iter().copied()).map(|w| w.to_string()).collect();
                ui.small(format!("encoder {}-{}, decoder mirrors it", arch.join("-"), self.config.latent_dim));
            }
            Err(e) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
        }
        if ui.checkbox(&mut self.show_all_codes, "Plot codes of all items (not just held-out)").changed() {
            self.config.codes_for_all = self.show_all_codes;
            cx.commands.push(TrainCommand::SetCodesForAll(self.show_all_codes));
        }
        ui.separator();
        let busy = matches!(cx.worker_state, WorkerState::Starting | WorkerState::WarmingUp);
        let training = super::classroom::Control::Training;
        super::classroom::unless_hidden(ui, training, |ui| {
            ui.horizontal(|ui| match self.run {
                RunState::NotStarted => {
                    if ui.add_enabled(hidden.is_ok() && !busy, egui::Button::new("Train")).clicked() {
                        self.toggle_run(cx);
                    }
                }
                RunState::Running => {
                    if ui.button("Pause").clicked() {
                        self.toggle_run(cx);
                    }
                    if ui.button("Reset").clicked() {
                        self.reset(cx);
                    }
                }
                RunState::Paused => {
                    if ui.button("Resume").clicked() {
                        self.toggle_run(cx);
                    }
                    if let Some(n) = super::hall::step_buttons(ui, true) {
                        self.step_training(n, cx);
                    }
                    if ui.button("Reset").clicked() {
                        self.reset(cx);
                    }
                }
            })
        });
        ui.separator();
        egui::Grid::new("loss-readout").num_columns(5).striped(true).show(ui, |ui| {
            for head in ["", "step", "recon", "KL", "−ELBO"] {
                ui.label(RichText::new(head).strong());
            }
            ui.end_row();
            for kind in ModelKind::ALL {
                ui.label(kind.short());
                match self.views[kind.index()].train_curve.last() {
                    Some(p) => {
                        ui.monospace(p.step.to_string());
                        ui.monospace(format!("{:.1}", p.recon));
                        if kind == ModelKind::Vae {
                            ui.monospace(format!("{:.2}", p.kl));
                            ui.monospace(format!("{:.1}", p.recon + p.kl));
                        } else {
                            ui.label("–");
                            ui.label("–");
                        }
                    }
                    None => {
                        ui.label(format!("{}: not trained yet", kind.short()));
                    }
                }
                ui.end_row();
            }
        });
        for view in &self.views {
            if let Some(msg) = &view.diverged {
                ui.colored_label(ui.visuals().error_fg_color, msg);
            }
        }
        ui.separator();
        self.draw_panel(ui, cx);
        ui.separator();
        self.explore_panel(ui);
    }

    /// Train (with the current settings, when they are valid and the device is ready), Pause or Resume.
    fn toggle_run(&mut self, cx: &mut LessonContext<'_>) {
        match self.run {
            RunState::NotStarted => {
                let busy = matches!(cx.worker_state, WorkerState::Starting | WorkerState::WarmingUp);
                if let (Ok(h), false) = (parse_hidden(&self.hidden_text), busy) {
                    self.config.hidden = h;
                    self.config.observation = self.observation.observation();
                    self.views = Default::default();
                    self.run = RunState::Running;
                    cx.commands.push(TrainCommand::Start { config: self.config.clone(), dataset: cx.dataset.clone() });
                }
            }
            RunState::Running => {
                self.run = RunState::Paused;
                cx.commands.push(TrainCommand::Pause);
            }
            RunState::Paused => {
                self.run = RunState::Running;
                cx.commands.push(TrainCommand::Resume);
            }
        }
    }

    fn reset(&mut self, cx: &mut LessonContext<'_>) {
        cx.commands.push(TrainCommand::Stop);
        self.run = RunState::NotStarted;
        self.views = Default::default();
    }

    fn code_plot(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>, kind: ModelKind, size: egui::Vec2) {
        let view = &mut self.views[kind.index()];
        let name = if kind == ModelKind::Autoencoder { "Autoencoder codes" } else { "VAE codes: encoder means" };
        let title = match &view.codes {
            Some(c) => format!("{name} ({} digits, step {})", c.count, c.step),
            None => name.to_owned(),
        };
        ui.vertical(|ui| {
            ui.label(RichText::new(title).strong());
            let plot_id = ui.make_persistent_id(("codes", kind));
            // Classes switched off in the legend are left out of the image too.
            let hidden_items = PlotMemory::load(ui.ctx(), plot_id).map(|m| m.hidden_items).unwrap_or_default();
            let axes = view.codes.as_ref().map_or_else(|| ["z₁".to_owned(), "z₂".to_owned()], CodePlot::axes);
            let plot = fixed_square_plot(("codes", kind), size, Corner::RightTop, [&axes[0], &axes[1]]).id(plot_id);
            let marker = view.explore.probe;
            let chosen = view.explore.clicked.as_ref().map(|(_, code, _)| *code);
            let drawn = view.explore.drawn;
            let ends = view.explore.strip_ends;
            let shown = crate::viz::export::plot(
                plot.show(ui, |plot_ui| {
                    let pointer = plot_ui.pointer_coordinate();
                    let Some(codes) = view.codes.as_mut() else { return pointer };
                    let hidden: Vec<bool> =
                        (0..codes.by_class.len()).map(|c| hidden_items.contains(&ItemId::new(("class", c)))).collect();
                    let bounds = codes.bounds;
                    plot_ui.set_plot_bounds(PlotBounds::from_min_max(bounds.min, bounds.max));
                    // Rasterise at the size the codes' box has on screen (the plot widens one axis to keep the aspect
                    // ratio), so markers stay round; capped by the plot's own size.
                    let rect = plot_ui.response().rect;
                    let ppp = plot_ui.ctx().pixels_per_point();
                    let corner_a = plot_ui.screen_from_plot(PlotPoint::new(bounds.min[0], bounds.min[1]));
                    let corner_b = plot_ui.screen_from_plot(PlotPoint::new(bounds.max[0], bounds.max[1]));
                    let on_screen = (corner_b - corner_a).abs().min(rect.size()).max(egui::vec2(8.0, 8.0));
                    let pixels = [(on_screen.x * ppp).round() as usize, (on_screen.y * ppp).round() as usize];
                    let texture = codes.texture(plot_ui.ctx(), pixels, hidden);
                    let [w, h] = bounds.size();
                    let center = bounds.center();
                    plot_ui.image(PlotImage::new(
                        "",
                        texture,
                        PlotPoint::new(center[0], center[1]),
                        [w as f32, h as f32],
                    ));
                    for (class, pts) in codes.by_class.iter().enumerate() {
                        if let Some(&first) = pts.first() {
                            // One invisible point per class: it gives the legend its entry (and its show/hide toggle).
                            plot_ui.points(
                                Points::new(class.to_string(), PlotPoints::from(vec![first]))
                                    .id(("class", class))
                                    .color(class_color(class))
                                    .radius(0.0),
                            );
                        }
                    }
                    if let Some((a, b)) = ends {
                        plot_ui
                            .line(Line::new("", vec![a, b]).color(crate::viz::palette::ink(plot_ui.ctx())).width(1.5));
                    }
                    if let Some((mean, cov)) = drawn {
                        if let Some(cov) = cov {
                            plot_ui.line(
                                Line::new("", ellipse_points_cov(mean, cov, 64)).color(Color32::YELLOW).width(1.5),
                            );
                        }
                        plot_ui.points(
                            Points::new("", vec![mean])
                                .shape(MarkerShape::Diamond)
                                .filled(true)
                                .radius(6.0)
                                .color(Color32::YELLOW),
                        );
                    }
                    if let Some(c) = chosen {
                        plot_ui.points(
                            Points::new("", vec![c])
                                .shape(MarkerShape::Square)
                                .filled(false)
                                .radius(6.0)
                                .color(crate::viz::palette::ink(plot_ui.ctx())),
                        );
                    }
                    if let Some(m) = marker {
                        plot_ui.points(
                            Points::new("", vec![m])
                                .shape(MarkerShape::Circle)
                                .filled(false)
                                .radius(7.0)
                                .color(crate::viz::palette::ink(plot_ui.ctx())),
                        );
                    }
                    pointer
                }),
                &format!("{}-codes", kind.short()),
                None,
            );
            let Some(codes) = view.codes.as_ref() else { return };
            if std::mem::take(&mut view.explore.refresh) {
                refresh_requests(&view.explore, codes, &self.canvas, kind, cx);
            }
            let ex = &mut view.explore;
            // Also with the pointer elsewhere: the marker is decoded again when new codes or a scene's models arrive.
            let at = shown.inner.map(|p| [p.x, p.y]);
            if let Some(at) = at {
                pointer_actions(ex, codes, at, &shown, ui, kind, cx);
                // Hover read-out: the digit under the pointer, its label and its code.
                let under = nearest_within(&codes.points, at, shown.transform.dpos_dvalue(), PICK_PIXELS);
                if let Some(i) = under.filter(|_| !shown.response.dragged()) {
                    let item = item_of(codes, i, cx.dataset);
                    let label = cx.dataset.labels.get(item).copied();
                    shown.response.clone().on_hover_text_at_pointer(hover_text(item, label, codes.points[i]));
                }
            }
            if ex.probe_in_flight.is_none()
                && let Some(p) = ex.probe
                && ex.probe_sent != Some(p)
            {
                cx.commands.push(TrainCommand::Decode {
                    model: kind,
                    purpose: Purpose::Probe,
                    zs: vec![codes.latent_at(p)],
                });
                ex.probe_in_flight = Some(p);
                ex.probe_sent = Some(p);
            }
        });
    }

    fn draw_panel(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        ui.heading("Draw a digit");
        let (rows, cols) = (cx.dataset.rows, cx.dataset.cols);
        let canvas = &mut self.canvas;
        if canvas.pixels.is_empty() {
            *canvas = Canvas { pixels: vec![0.0; rows * cols], rows, cols, refused: None, last: None };
        }
        let cell = 6.0;
        let size = egui::vec2(canvas.cols as f32 * cell, canvas.rows as f32 * cell);
        let (response, painter) = ui.allocate_painter(size, egui::Sense::drag());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "Drawing canvas"));
        let rect = response.rect;
        if (response.dragged() || response.drag_started())
            && let Some(pos) = response.interact_pointer_pos()
        {
            let now = [(pos.y - rect.min.y) / cell, (pos.x - rect.min.x) / cell];
            let from = canvas.last.unwrap_or(now);
            // Paint along the segment from the previous position, half a cell at a time.
            let steps = ((now[0] - from[0]).abs().max((now[1] - from[1]).abs()) * 2.0).ceil().max(1.0) as usize;
            for k in 0..=steps {
                let t = k as f32 / steps as f32;
                let (r, c) = (from[0] + t * (now[0] - from[0]), from[1] + t * (now[1] - from[1]));
                if r >= 0.0 && c >= 0.0 && (r as usize) < canvas.rows && (c as usize) < canvas.cols {
                    paint_brush(&mut canvas.pixels, canvas.rows, canvas.cols, r as usize, c as usize);
                }
            }
            canvas.last = Some(now);
        } else {
            canvas.last = None;
        }
        painter.rect_filled(rect, 0.0, Color32::BLACK);
        for (k, &v) in canvas.pixels.iter().enumerate() {
            if v > 0.0 {
                let (r, c) = (k / canvas.cols, k % canvas.cols);
                let min = rect.min + egui::vec2(c as f32 * cell, r as f32 * cell);
                let g = (v.clamp(0.0, 1.0) * 255.0) as u8;
                painter.rect_filled(egui::Rect::from_min_size(min, egui::vec2(cell, cell)), 0.0, Color32::from_gray(g));
            }
        }
        painter.rect_stroke(rect, 0.0, egui::Stroke::new(1.0, Color32::GRAY), egui::StrokeKind::Outside);
        let clear = ui.button("Clear").clicked();
        if response.drag_stopped() {
            canvas.refused = if canvas.rows != rows || canvas.cols != cols {
                Some(format!(
                    "The canvas is {}×{} but this dataset's images are {rows}×{cols}: press Clear to start a new \
                     canvas.",
                    canvas.rows, canvas.cols
                ))
            } else if canvas.pixels.iter().any(|v| !v.is_finite()) {
                Some("The drawing has invalid (NaN) pixels: press Clear.".to_owned())
            } else {
                None
            };
            if canvas.refused.is_none() {
                for kind in ModelKind::ALL {
                    cx.commands.push(TrainCommand::Encode {
                        model: kind,
                        purpose: Purpose::Drawn,
                        images: vec![canvas.pixels.clone()],
                    });
                }
            }
        }
        if clear {
            *canvas = Canvas { pixels: vec![0.0; rows * cols], rows, cols, refused: None, last: None };
            for view in &mut self.views {
                view.explore.drawn = None;
            }
        }
        if let Some(msg) = &self.canvas.refused {
            ui.colored_label(ui.visuals().error_fg_color, msg);
        }
        for kind in ModelKind::ALL {
            if let Some(([x, y], cov)) = self.views[kind.index()].explore.drawn {
                let short = kind.short();
                let text = match cov {
                    Some(c) => {
                        let (sx, sy) = (c[0][0].sqrt(), c[1][1].sqrt());
                        format!("{short}: drawn digit at mean ({x:.2}, {y:.2}), σ along the axes = ({sx:.2}, {sy:.2})")
                    }
                    None => format!("{short}: drawn digit at ({x:.2}, {y:.2})"),
                };
                ui.small(text);
            }
        }
    }

    fn explore_panel(&mut self, ui: &mut egui::Ui) {
        ui.heading("Explore");
        ui.small(
            "Drag in a code plot to decode the marker; click a digit for it and its reconstruction; Shift-click \
             a second digit for the path between them.",
        );
        for kind in ModelKind::ALL {
            let ex = &mut self.views[kind.index()].explore;
            let short = kind.short();
            if let Some([x, y]) = ex.probe {
                ui.label(format!("{short} marker at z = ({x:.2}, {y:.2})"));
                ex.probe_image.show(ui, &format!("{short}-probe"), 84.0);
            }
            if let Some((item, _, _)) = &ex.clicked {
                ui.label(format!("{short}: digit #{item} (left) and its reconstruction"));
                ex.clicked_image.show(ui, &format!("{short}-clicked"), 84.0);
            }
            if ex.strip_ends.is_some() {
                ui.label(format!("{short}: decoded path between the two codes"));
                ex.strip_image.show(ui, &format!("{short}-strip"), 26.0);
            }
        }
    }

    /// Both models' training and held-out curves as CSV (the loss plots' "Export CSV…").
    fn curves_csv(&self) -> String {
        let series: Vec<(String, &[LossPoint])> = ModelKind::ALL
            .iter()
            .flat_map(|k| {
                let v = &self.views[k.index()];
                [
                    (format!("{} train", k.short()), v.train_curve.as_slice()),
                    (format!("{} held-out", k.short()), v.heldout_curve.as_slice()),
                ]
            })
            .collect();
        super::hall::loss_points_csv(&series)
    }

    fn loss_plots(&self, ui: &mut egui::Ui, size: egui::Vec2) {
        let curve = |points: &[LossPoint], f: fn(&LossPoint) -> f64| -> Vec<[f64; 2]> {
            points.iter().map(|p| [p.epoch, f(p)]).collect()
        };
        let colors = [Color32::from_rgb(230, 140, 40), Color32::from_rgb(70, 140, 230)];
        // Models loaded from files have no curves yet: say so instead of showing empty axes.
        let weak = ui.visuals().weak_text_color();
        let loaded = self.run == RunState::Paused && self.views.iter().all(|v| v.train_curve.is_empty());
        let note = |plot_ui: &mut egui_plot::PlotUi<'_>| {
            if loaded {
                let note = "Loaded from files: the curves start when training resumes (Resume)";
                crate::viz::widgets::plot_note(plot_ui, note, weak);
            }
        };
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.label(RichText::new("Reconstruction error  −log p(x|z)  (nats per image)").strong());
                crate::viz::export::plot(
                    Plot::new("recon-curves")
                        .legend(Legend::default().position(Corner::RightTop))
                        .width(size.x)
                        .height(size.y - 24.0)
                        .x_axis_label("epoch")
                        .label_formatter(|pos| crate::viz::hover::curve_label(pos, "epoch", |y| format!("{y:.1} nats")))
                        .show(ui, |plot_ui| {
                            note(plot_ui);
                            for kind in ModelKind::ALL {
                                let v = &self.views[kind.index()];
                                let c = colors[kind.index()];
                                plot_ui.line(
                                    Line::new(format!("{} train", kind.short()), curve(&v.train_curve, |p| p.recon))
                                        .color(c),
                                );
                                plot_ui.line(
                                    Line::new(
                                        format!("{} held-out", kind.short()),
                                        curve(&v.heldout_curve, |p| p.recon),
                                    )
                                    .color(c)
                                    .style(LineStyle::dashed_loose())
                                    .width(2.0),
                                );
                            }
                        }),
                    "reconstruction-curves",
                    Some(&|| self.curves_csv()),
                );
            });
            ui.vertical(|ui| {
                ui.label(RichText::new("VAE KL regulariser  KL(q(z|x) ‖ N(0, I))  (nats per image)").strong());
                let v = &self.views[ModelKind::Vae.index()];
                crate::viz::export::plot(
                    Plot::new("kl-curves")
                        .legend(Legend::default().position(Corner::RightTop))
                        .width(size.x)
                        .height(size.y - 24.0)
                        .x_axis_label("epoch")
                        .label_formatter(|pos| crate::viz::hover::curve_label(pos, "epoch", |y| format!("{y:.1} nats")))
                        .show(ui, |plot_ui| {
                            note(plot_ui);
                            plot_ui.line(Line::new("VAE KL train", curve(&v.train_curve, |p| p.kl)).color(colors[1]));
                            plot_ui.line(
                                Line::new("VAE KL held-out", curve(&v.heldout_curve, |p| p.kl))
                                    .color(colors[1])
                                    .style(LineStyle::dashed_loose())
                                    .width(2.0),
                            );
                        }),
                    "kl-curves",
                    Some(&|| self.curves_csv()),
                );
            });
        });
    }
}

/// The dataset item of the `i`-th code: codes cover the held-out items, or every item when "all" is on.
fn item_of(codes: &CodePlot, i: usize, dataset: &crate::data::Dataset) -> usize {
    if codes.count == dataset.len() { i } else { dataset.heldout_range().start + i }
}

/// What hovering a code says: "digit #9012 · label 7 · code (0.41, −1.20)".
fn hover_text(item: usize, label: Option<u8>, code: [f32; 2]) -> String {
    let label = label.map_or_else(String::new, |l| format!(" · label {l}"));
    format!("digit #{item}{label} · code ({:.2}, {:.2})", code[0], code[1]).replace('-', "−")
}

/// A drag moves `kind`'s marker to `at`; a click picks the digit there (Shift: the path from the clicked digit).
fn pointer_actions(
    ex: &mut Explore,
    codes: &CodePlot,
    at: [f64; 2],
    shown: &egui_plot::PlotResponse<Option<PlotPoint>>,
    ui: &egui::Ui,
    kind: ModelKind,
    cx: &mut LessonContext<'_>,
) {
    let response = &shown.response;
    if response.dragged() || response.drag_started() {
        ex.probe = Some(at);
    } else if response.clicked() {
        let picked = nearest_within(&codes.points, at, shown.transform.dpos_dvalue(), PICK_PIXELS);
        let picked_code = picked.map(|i| {
            let p = codes.points[i];
            (i, [f64::from(p[0]), f64::from(p[1])])
        });
        let shift = ui.input(|i| i.modifiers.shift);
        match (shift, &ex.clicked, picked_code) {
            (true, Some((_, a, _)), _) => {
                // Between the clicked digit and the second one (or the clicked spot).
                let (a, b) = (*a, picked_code.map_or(at, |(_, c)| c));
                ex.strip_ends = Some((a, b));
                cx.commands.push(strip_request(kind, codes, a, b));
            }
            (_, _, Some((i, code))) => {
                let item = item_of(codes, i, cx.dataset);
                let pixels = cx.dataset.image(item).to_vec();
                cx.commands.push(TrainCommand::Encode {
                    model: kind,
                    purpose: Purpose::Clicked,
                    images: vec![pixels.clone()],
                });
                ex.clicked = Some((item, code, pixels));
                ex.strip_ends = None;
                ex.strip_image = ImageRow::default();
            }
            _ => ex.probe = Some(at),
        }
    }
}

/// Decodes the path from `a` to `b` (plot coordinates) for the interpolation strip.
fn strip_request(kind: ModelKind, codes: &CodePlot, a: [f64; 2], b: [f64; 2]) -> TrainCommand {
    TrainCommand::Decode {
        model: kind,
        purpose: Purpose::Interpolation,
        zs: interpolation_points(a, b, STRIP_LEN)
            .iter()
            .map(|p| codes.latent_at([f64::from(p[0]), f64::from(p[1])]))
            .collect(),
    }
}

/// Asks for everything a restored exploration shows besides the marker (which `code_plot` decodes by itself): the
/// clicked digit's reconstruction, the interpolation strip and the drawn digit's code.
fn refresh_requests(ex: &Explore, codes: &CodePlot, canvas: &Canvas, kind: ModelKind, cx: &mut LessonContext<'_>) {
    if let Some((_, _, pixels)) = &ex.clicked {
        cx.commands.push(TrainCommand::Encode { model: kind, purpose: Purpose::Clicked, images: vec![pixels.clone()] });
    }
    if let Some((a, b)) = ex.strip_ends {
        cx.commands.push(strip_request(kind, codes, a, b));
    }
    if canvas.pixels.iter().any(|&v| v > 0.0) && canvas.pixels.len() == cx.dataset.dim() {
        cx.commands.push(TrainCommand::Encode {
            model: kind,
            purpose: Purpose::Drawn,
            images: vec![canvas.pixels.clone()],
        });
    }
}

/// The explanation panel's text for this tab.
pub const EXPLANATION: Explanation = Explanation {
    what: "Both models squeeze each digit into a 2-D code and decode it again. Top: each held-out digit's code, \
           coloured by class; bottom: the losses. The VAE also pays a KL price for straying from N(0, I), so its \
           codes form a round blob with digit clusters.",
    formula: concat!(
        r"\text{Autoencoder: minimise } {-\log p\left(x \mid z = f(x)\right)}",
        "\n",
        r"\text{VAE: } \mathrm{ELBO}(x) = \mathbb{E}_{q(z \mid x)}\left[\log p(x \mid z)\right] - \mathrm{KL}\left(q(z \mid x) \,\|\, p(z)\right)",
        "\n",
        r"q(z \mid x) = \mathcal{N}\left(\mu(x), \operatorname{diag} \sigma^2(x)\right), \quad p(z) = \mathcal{N}(0, I)",
        "\n",
        r"\mathrm{KL} = \frac{1}{2} \sum_j \left(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\right)",
    ),
    things_to_try: &[
        "Train both: the autoencoder's codes spread anywhere, the VAE's fill a round blob.",
        "Drag in a code plot: the decoder draws the digit at the marker. Where are the gaps?",
        "Shift-click two digits: the decoded path between their codes.",
        "Draw a digit on the canvas and see where each encoder puts it.",
        "Set the latent size to 16: the plots then show the first two principal components.",
    ],
};

impl Lesson for LatentSpaceLesson {
    fn name(&self) -> &'static str {
        "Latent space"
    }

    fn save_scene(&self, _dir: &std::path::Path) -> Option<serde_json::Value> {
        super::scene::to_value(&self.scene())
    }

    /// With a run (training or paused), the worker writes both models as `STEM-latent-space-ae.bpk` and
    /// `…-vae.bpk` (+ `.json`) in `dir` right after this returns (the four files are promised); the scene refers
    /// to them and keeps the
    /// markers, the clicked digit, the interpolation and the drawing.
    fn save_scene_with_models(
        &mut self,
        dir: &std::path::Path,
        stem: &str,
        cx: &mut LessonContext<'_>,
    ) -> Option<(serde_json::Value, Vec<std::path::PathBuf>)> {
        let mut s = self.scene();
        let mut promised = Vec::new();
        if self.run != RunState::NotStarted {
            for kind in ModelKind::ALL {
                let file = format!("{stem}-latent-space-{}.bpk", kind.short().to_lowercase());
                cx.commands.push(TrainCommand::Save { model: kind, path: dir.join(&file) });
                let (weights, description) = crate::runtime::files::pair_paths(&dir.join(&file));
                promised.extend([weights, description]);
                s.models.push(file);
            }
            s.explore = self.views.iter().map(|v| v.explore.to_scene()).collect();
            if self.canvas.pixels.iter().any(|&v| v > 0.0) {
                let c = &self.canvas;
                s.canvas = Some(CanvasScene { rows: c.rows, cols: c.cols, pixels: c.pixels.clone() });
            }
        }
        super::scene::to_value(&s).map(|part| (part, promised))
    }

    /// Loading settings alone ends a run of this tab (the settings belong to the next one). A scene with models
    /// has them loaded by the worker (paused, replacing the current run only once both files are read: a bad file
    /// is refused there with a message); the markers, the clicked digit and the path are asked for again then.
    fn load_scene(
        &mut self,
        scene: &serde_json::Value,
        dir: &std::path::Path,
        cx: &mut LessonContext<'_>,
    ) -> Result<(), String> {
        let s: LatentScene = super::scene::parse(scene)?;
        parse_hidden(&s.hidden).map_err(|e| format!("its hidden sizes are invalid ({e})"))?;
        let models =
            s.models.iter().map(|m| super::scene::resolve_model(m, dir)).collect::<Result<Vec<_>, String>>()?;
        if !models.is_empty() && models.len() != ModelKind::ALL.len() {
            return Err(format!("it refers to {} model files instead of two (AE and VAE)", models.len()));
        }
        let explore = Self::restored_explore(&s, cx)?;
        let canvas = Self::restored_canvas(&s, cx)?;
        self.pending_scene = None;
        if models.is_empty() {
            if self.run != RunState::NotStarted {
                self.reset(cx);
            }
        } else {
            self.pending_scene = Some(explore);
            let learning = (s.config.learning_rate, s.config.batch_size);
            cx.commands.push(TrainCommand::LoadAll { paths: models, dataset: cx.dataset.clone(), learning });
        }
        if let Some(canvas) = canvas {
            self.canvas = canvas;
        }
        self.config = s.config;
        self.config.codes_for_all = s.show_all_codes;
        self.hidden_text = s.hidden;
        self.show_all_codes = s.show_all_codes;
        self.observation = s.observation;
        Ok(())
    }

    fn explanation(&self) -> Option<Explanation> {
        Some(EXPLANATION)
    }

    fn toggle_training(&mut self, cx: &mut LessonContext<'_>) -> bool {
        self.toggle_run(cx);
        true
    }

    fn step_training(&mut self, n: u32, cx: &mut LessonContext<'_>) -> bool {
        if self.run != RunState::Paused {
            return false;
        }
        cx.commands.push(TrainCommand::Step(n));
        true
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        super::hall::controls_panel(ui, "latent-controls", 300.0, |ui| self.controls(ui, cx));
        egui::CentralPanel::default().show(ui, |ui| {
            let avail = ui.available_size();
            let gap = ui.spacing().item_spacing;
            let top_h = (avail.y * 0.62).max(200.0);
            let half_w = ((avail.x - gap.x) / 2.0).max(150.0);
            ui.horizontal_top(|ui| {
                self.code_plot(ui, cx, ModelKind::Autoencoder, egui::vec2(half_w, top_h));
                self.code_plot(ui, cx, ModelKind::Vae, egui::vec2(half_w, top_h));
            });
            let bottom_h = (ui.available_height() - gap.y).max(120.0);
            self.loss_plots(ui, egui::vec2(half_w, bottom_h));
        });
    }

    fn on_event(&mut self, event: &TrainEvent) {
        match event {
            // Another tab's models: not ours to plot.
            TrainEvent::Loss { model, .. }
            | TrainEvent::HeldOut { model, .. }
            | TrainEvent::Codes { model, .. }
            | TrainEvent::Diverged { model, .. }
                if !ModelKind::ALL.contains(model) => {}
            TrainEvent::SessionStarted { kinds } if !kinds.iter().any(|k| ModelKind::ALL.contains(k)) => {
                // Another tab started training: this run is over (its curves stay on screen).
                self.run = RunState::NotStarted;
                self.pending_scene = None;
            }
            TrainEvent::SessionStarted { .. } if self.pending_scene.is_some() => {
                // A scene's models are in: a paused run, ready to explore or resume.
                self.views = Default::default();
                if let Some(explore) = self.pending_scene.take() {
                    for (view, ex) in self.views.iter_mut().zip(*explore) {
                        view.explore = ex;
                    }
                }
                self.run = RunState::Paused;
            }
            TrainEvent::Loss { model, point } => self.views[model.index()].push_train(*point),
            TrainEvent::HeldOut { model, point } => self.views[model.index()].heldout_curve.push(*point),
            TrainEvent::Codes { model, codes } => {
                let view = &mut self.views[model.index()];
                view.codes = Some(CodePlot::from_codes(codes));
                // The model moved on: decode the marker again.
                view.explore.probe_sent = None;
            }
            TrainEvent::Diverged { model, message, .. } => {
                self.views[model.index()].diverged = Some(message.clone());
            }
            TrainEvent::Decoded { model, purpose, images, rows, cols } if ModelKind::ALL.contains(model) => {
                let ex = &mut self.views[model.index()].explore;
                match purpose {
                    Purpose::Probe => {
                        if let Some([x, y]) = ex.probe_in_flight.take() {
                            let alt = format!("{} decoded at z = ({x:.2}, {y:.2})", model.short());
                            ex.probe_image.set(images.clone(), *rows, *cols, alt);
                        }
                    }
                    Purpose::Interpolation => {
                        let alt = format!("{} interpolation: {} images", model.short(), images.len());
                        ex.strip_image.set(images.clone(), *rows, *cols, alt);
                    }
                    _ => {}
                }
            }
            TrainEvent::Encoded { model, purpose: Purpose::Clicked, reconstructions, .. }
                if ModelKind::ALL.contains(model) =>
            {
                let ex = &mut self.views[model.index()].explore;
                if let (Some((item, _, pixels)), Some(recon)) = (&ex.clicked, reconstructions.first()) {
                    let side = (pixels.len() as f64).sqrt().round() as usize;
                    let alt = format!("{} digit #{item} and its reconstruction", model.short());
                    ex.clicked_image.set(vec![pixels.clone(), recon.clone()], side, side, alt);
                }
            }
            TrainEvent::Encoded { model, purpose: Purpose::Drawn, means, log_vars, .. }
                if ModelKind::ALL.contains(model) =>
            {
                let view = &mut self.views[model.index()];
                let projection = view.codes.as_ref().and_then(|c| c.projection.as_ref());
                if let Some(m) = means.first().filter(|m| m.len() >= 2) {
                    let variances = log_vars.as_ref().and_then(|lv| lv.first()).filter(|lv| lv.len() == m.len());
                    let variances: Option<Vec<f32>> = variances.map(|lv| lv.iter().map(|v| v.exp()).collect());
                    let (mean, cov) = match projection {
                        Some(p) => {
                            let [a, b] = p.project(m);
                            let cov = variances.map(|v| p.project_diagonal_covariance(&v));
                            ([f64::from(a), f64::from(b)], cov)
                        }
                        None => (
                            [f64::from(m[0]), f64::from(m[1])],
                            variances.map(|v| [[f64::from(v[0]), 0.0], [0.0, f64::from(v[1])]]),
                        ),
                    };
                    view.explore.drawn = Some((mean, cov));
                }
            }
            TrainEvent::NoModel { model, purpose: Purpose::Probe } if ModelKind::ALL.contains(model) => {
                self.views[model.index()].explore.probe_in_flight = None;
            }
            TrainEvent::Failed(_) => {
                self.run = RunState::NotStarted;
                self.pending_scene = None;
            }
            TrainEvent::State(WorkerState::Idle) if self.run != RunState::NotStarted => {
                // The worker stopped on its own (both models diverged, or it restarted after a failure).
                self.run = RunState::NotStarted;
            }
            _ => {}
        }
    }

    fn on_dataset_changed(&mut self) {
        self.views = Default::default();
        self.run = RunState::NotStarted;
    }
}

#[cfg(test)]
mod tests {
    use super::{hover_text, interpolation_points, nearest_within, parse_hidden};

    #[test]
    fn hovering_a_code_names_the_digit_its_label_and_code() {
        assert_eq!(hover_text(9012, Some(7), [0.414, -1.2]), "digit #9012 · label 7 · code (0.41, −1.20)");
        assert_eq!(hover_text(3, None, [0.0, 2.0]), "digit #3 · code (0.00, 2.00)");
    }

    #[test]
    fn nearest_point_within_a_few_pixels() {
        let pts = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]];
        // 10 pixels per unit in x, 20 in y.
        assert_eq!(nearest_within(&pts, [0.9, 0.1], [10.0, 20.0], 5.0), Some(1));
        assert_eq!(nearest_within(&pts, [0.5, 0.5], [10.0, 20.0], 5.0), None);
        assert_eq!(nearest_within(&pts, [1.0, 0.6], [10.0, 20.0], 9.0), Some(2), "8 px from (1, 1), 12 from (1, 0)");
        assert_eq!(nearest_within(&[], [0.0, 0.0], [1.0, 1.0], 5.0), None);
    }

    #[test]
    fn brush_and_ellipse() {
        let mut px = vec![0.0; 9];
        super::paint_brush(&mut px, 3, 3, 0, 0);
        assert_eq!(px, vec![1.0, 0.6, 0.0, 0.6, 0.25, 0.0, 0.0, 0.0, 0.0]);
        let e = super::ellipse_points([1.0, 2.0], [0.5, 0.25], 4);
        assert_eq!(e.len(), 5);
        assert!((e[0][0] - 2.0).abs() < 1e-12 && (e[0][1] - 2.0).abs() < 1e-12);
        assert!((e[1][0] - 1.0).abs() < 1e-12 && (e[1][1] - 2.5).abs() < 1e-12);
    }

    #[test]
    fn interpolation_includes_both_ends() {
        let zs = interpolation_points([0.0, 1.0], [2.0, -1.0], 5);
        assert_eq!(zs.len(), 5);
        assert_eq!(zs[0], vec![0.0, 1.0]);
        assert_eq!(zs[2], vec![1.0, 0.0]);
        assert_eq!(zs[4], vec![2.0, -1.0]);
        assert_eq!(interpolation_points([3.0, 3.0], [0.0, 0.0], 1), vec![vec![3.0, 3.0]]);
    }

    /// A scene's digit index and drawing are checked against the dataset before anything changes.
    #[test]
    fn a_scene_with_a_digit_or_drawing_the_dataset_lacks_is_refused() {
        use std::sync::Arc;

        use super::{LatentSpaceLesson, Lesson, LessonContext, TrainCommand, WorkerState};
        use crate::data::Dataset;

        let data = Arc::new(Dataset::builtin_mnist().unwrap());
        let dir = tempfile::tempdir().unwrap();
        for f in ["m-ae.bpk", "m-ae.json", "m-vae.bpk", "m-vae.json"] {
            std::fs::write(dir.path().join(f), b"x").unwrap();
        }
        let mut lesson = LatentSpaceLesson::default();
        let mut scene = lesson.save_scene(dir.path()).unwrap();
        scene["models"] = serde_json::json!(["m-ae.bpk", "m-vae.bpk"]);
        let (state, mut commands) = (WorkerState::Idle, Vec::new());
        let mut load = |lesson: &mut LatentSpaceLesson, scene: &serde_json::Value| {
            let mut cx = LessonContext { dataset: &data, worker_state: &state, commands: &mut commands };
            lesson.load_scene(scene, dir.path(), &mut cx)
        };
        scene["explore"] = serde_json::json!([{"probe": null, "clicked": [99_999, [0.0, 0.0]], "strip": null}]);
        let e = load(&mut lesson, &scene).unwrap_err();
        assert!(e.contains("clicked digit #99999 is not in this dataset (10000 images)"), "{e}");
        scene["explore"] = serde_json::json!([{"probe": [0.5, 1.0], "clicked": [3, [0.0, 0.0]], "strip": null}]);
        scene["canvas"] = serde_json::json!({"rows": 3, "cols": 3, "pixels": vec![0.0; 9]});
        let e = load(&mut lesson, &scene).unwrap_err();
        assert!(e.contains("drawing is 3×3 (9 pixels) but this dataset's images are 28×28"), "{e}");
        assert!(lesson.pending_scene.is_none());
        scene["canvas"] = serde_json::json!({"rows": 28, "cols": 28, "pixels": vec![2.0; 784]});
        assert_eq!(load(&mut lesson, &scene), Ok(()));
        assert!(lesson.canvas.pixels.iter().all(|&v| (v - 1.0).abs() < f32::EPSILON), "pixels clamped to [0, 1]");
        let pending = lesson.pending_scene.as_ref().unwrap();
        assert_eq!((pending[0].probe, pending[0].clicked.as_ref().map(|c| c.0)), (Some([0.5, 1.0]), Some(3)));
        assert!(matches!(commands.as_slice(), [TrainCommand::LoadAll { paths, .. }] if paths.len() == 2));
    }

    #[test]
    fn hidden_sizes_parse_and_explain_errors() {
        assert_eq!(parse_hidden("512, 256"), Ok(vec![512, 256]));
        assert_eq!(parse_hidden(" 64 ,"), Ok(vec![64]));
        assert!(parse_hidden("").unwrap_err().contains("1 to 6"));
        assert!(parse_hidden("512, abc").unwrap_err().contains("\"abc\""));
        assert!(parse_hidden("0").unwrap_err().contains("out of range"));
    }
}
