//! The Latent space tab's code plots: the codes of each model as one image, hover, drag, click and Shift-click
//! (the marker decoded, the clicked digit and its reconstruction, the interpolation strip), and the Explore panel.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Corner, ItemId, Line, MarkerShape, PlotBounds, PlotImage, PlotMemory, PlotPoint, PlotPoints, Points};

use crate::lessons::LessonContext;
use crate::train::pca::Projection;
use crate::train::{Codes, ModelKind, Purpose, TrainCommand};
use crate::viz::palette::class_color;
use crate::viz::scatter::{Bounds, rasterize};
use crate::viz::widgets::tile;
use crate::viz::widgets::{CachedImage, fixed_square_plot, upload};

use super::LatentSpaceLesson;
use super::drawing::Canvas;
use crate::viz::shapes::ellipse_points_cov;

/// Codes of one model, grouped by class (one legend entry each), drawn as one image (see `viz::scatter`).
pub(super) struct CodePlot {
    pub(super) step: u64,
    /// The codes in item order (for picking a point).
    pub(super) points: Vec<[f32; 2]>,
    pub(super) by_class: Vec<Vec<[f64; 2]>>,
    pub(super) count: usize,
    pub(super) bounds: Bounds,
    /// The rasterised codes, keyed by image size and hidden classes (redrawn when either changes).
    pub(super) image: CachedImage<([usize; 2], Vec<bool>)>,
    /// For latents wider than 2: the plot shows principal components, and picked points are lifted back.
    pub(super) projection: Option<Projection>,
}

impl CodePlot {
    pub(super) fn from_codes(codes: &Codes) -> Self {
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
    pub(super) fn latent_at(&self, p: [f64; 2]) -> Vec<f32> {
        match &self.projection {
            Some(projection) => projection.lift(p),
            None => vec![p[0] as f32, p[1] as f32],
        }
    }

    /// Axis titles: z₁, z₂ or the principal components with their share of the variance.
    pub(super) fn axes(&self) -> [String; 2] {
        match &self.projection {
            Some(p) => [0, 1].map(|i| format!("PC {} ({:.0} % of variance)", i + 1, 100.0 * p.explained[i])),
            None => ["z₁".to_owned(), "z₂".to_owned()],
        }
    }

    /// The texture of the visible classes at `size` pixels, redrawn only when something changed.
    pub(super) fn texture(&mut self, ctx: &egui::Context, size: [usize; 2], hidden: Vec<bool>) -> egui::TextureId {
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
pub(super) const PICK_PIXELS: f64 = 6.0;
/// Images in the interpolation strip.
pub(super) const STRIP_LEN: usize = 10;

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
pub(super) struct ImageRow {
    pub(super) images: Vec<Vec<f32>>,
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) alt: String,
    pub(super) texture: Option<egui::TextureHandle>,
    pub(super) stale: bool,
}

impl ImageRow {
    pub(super) fn set(&mut self, images: Vec<Vec<f32>>, rows: usize, cols: usize, alt: String) {
        *self = Self { images, rows, cols, alt, texture: self.texture.take(), stale: true };
    }

    pub(super) fn show(&mut self, ui: &mut egui::Ui, name: &str, height: f32) {
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

/// A 2×2 covariance matrix.
pub(super) type Cov2 = [[f64; 2]; 2];

/// The exploration state of one model's code plot: the dragged marker, a clicked digit, an interpolation.
#[derive(Default)]
pub(super) struct Explore {
    /// Where the marker is now.
    pub(super) probe: Option<[f64; 2]>,
    /// The marker position of the request with the worker, and of the last one sent.
    pub(super) probe_in_flight: Option<[f64; 2]>,
    pub(super) probe_sent: Option<[f64; 2]>,
    pub(super) probe_image: ImageRow,
    /// The clicked item (dataset index), its code and its pixels.
    pub(super) clicked: Option<(usize, [f64; 2], Vec<f32>)>,
    pub(super) clicked_image: ImageRow,
    /// The codes at both ends of the interpolation.
    pub(super) strip_ends: Option<([f64; 2], [f64; 2])>,
    pub(super) strip_image: ImageRow,
    /// The code of the drawn digit on the plot: encoder mean and, for the VAE, its covariance.
    pub(super) drawn: Option<([f64; 2], Option<Cov2>)>,
    /// Ask the worker again for the clicked digit, the path and the drawing once codes arrive (a scene's models
    /// were loaded).
    pub(super) refresh: bool,
}

impl LatentSpaceLesson {
    pub(super) fn code_plot(
        &mut self,
        ui: &mut egui::Ui,
        cx: &mut LessonContext<'_>,
        kind: ModelKind,
        size: egui::Vec2,
    ) {
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

    pub(super) fn explore_panel(&mut self, ui: &mut egui::Ui) {
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
}

/// The dataset item of the `i`-th code: codes cover the held-out items, or every item when "all" is on.
pub(super) fn item_of(codes: &CodePlot, i: usize, dataset: &crate::data::Dataset) -> usize {
    if codes.count == dataset.len() { i } else { dataset.heldout_range().start + i }
}

/// What hovering a code says: "digit #9012 · label 7 · code (0.41, −1.20)".
pub(super) fn hover_text(item: usize, label: Option<u8>, code: [f32; 2]) -> String {
    let label = label.map_or_else(String::new, |l| format!(" · label {l}"));
    format!("digit #{item}{label} · code ({:.2}, {:.2})", code[0], code[1]).replace('-', "−")
}

/// A drag moves `kind`'s marker to `at`; a click picks the digit there (Shift: the path from the clicked digit).
pub(super) fn pointer_actions(
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
pub(super) fn strip_request(kind: ModelKind, codes: &CodePlot, a: [f64; 2], b: [f64; 2]) -> TrainCommand {
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
pub(super) fn refresh_requests(
    ex: &Explore,
    codes: &CodePlot,
    canvas: &Canvas,
    kind: ModelKind,
    cx: &mut LessonContext<'_>,
) {
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

#[cfg(test)]
mod tests {
    use super::{hover_text, interpolation_points, nearest_within};

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
    fn interpolation_includes_both_ends() {
        let zs = interpolation_points([0.0, 1.0], [2.0, -1.0], 5);
        assert_eq!(zs.len(), 5);
        assert_eq!(zs[0], vec![0.0, 1.0]);
        assert_eq!(zs[2], vec![1.0, 0.0]);
        assert_eq!(zs[4], vec![2.0, -1.0]);
        assert_eq!(interpolation_points([3.0, 3.0], [0.0, 0.0], 1), vec![vec![3.0, 3.0]]);
    }
}
