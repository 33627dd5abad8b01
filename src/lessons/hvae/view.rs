//! Drawing for the Hierarchical VAE lesson: the DAGs with the painter, the two latent spaces, the samples grid and
//! the loss curves.

use eframe::egui::{self, Color32, ColorImage, Pos2, Rect, RichText, Stroke, StrokeKind, vec2};
use egui_plot::{Corner, Legend, Line, Plot, PlotBounds, PlotPoints, Points};

use super::worker::Snapshot;
use crate::hvae::dags::{POSITIONS, Which};
use crate::viz::palette::class_color;
use crate::viz::scatter::Bounds;
use crate::viz::widgets::fixed_square_plot;

/// Draws one DAG (nodes at [`POSITIONS`], x shaded as observed) in a `size` box with its title and factorisation.
pub fn dag(ui: &mut egui::Ui, title: &str, which: Which, size: egui::Vec2) {
    ui.vertical(|ui| {
        ui.label(RichText::new(title).strong());
        ui.small(which.factorisation());
        let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
        response.widget_info(|| {
            let edges: Vec<String> = which.edges().iter().map(|(a, b)| format!("{a} → {b}")).collect();
            egui::WidgetInfo::labeled(egui::Role::Image, true, format!("{title}: {}", edges.join(", ")))
        });
        let painter = ui.painter_at(rect);
        let visuals = ui.visuals();
        painter.rect_stroke(rect, 4.0, Stroke::new(1.0, visuals.weak_text_color()), StrokeKind::Inside);
        // DAGitty units: x from 1.5 to 2.3, y from 0.7 to 2.7; map into the box with a margin.
        let at = |name: &str| -> Pos2 {
            let p = POSITIONS.iter().find(|(n, _)| *n == name).map_or([1.9, 1.7], |(_, p)| *p);
            let fx = (p[0] - 1.1) / 1.6;
            let fy = (p[1] - 0.2) / 3.0;
            egui::pos2(rect.left() + fx * rect.width(), rect.top() + fy * rect.height())
        };
        let r = 18.0;
        let stroke = Stroke::new(1.6, visuals.text_color());
        for &(a, b) in which.edges() {
            let (pa, pb) = (at(a), at(b));
            let dir = (pb - pa).normalized();
            let (from, to) = (pa + dir * r, pb - dir * (r + 1.0));
            painter.line_segment([from, to], stroke);
            let side = vec2(-dir.y, dir.x) * 5.0;
            let back = to - dir * 10.0;
            painter.add(egui::Shape::convex_polygon(
                vec![to, back + side, back - side],
                visuals.text_color(),
                Stroke::NONE,
            ));
        }
        for (name, _) in POSITIONS {
            let c = at(name);
            let fill = if name == "x" { visuals.widgets.inactive.bg_fill } else { visuals.extreme_bg_color };
            painter.circle(c, r, fill, stroke);
            let label = match name {
                "z1" => "z₁",
                "z2" => "z₂",
                other => other,
            };
            painter.text(c, egui::Align2::CENTER_CENTER, label, egui::FontId::proportional(16.0), visuals.text_color());
        }
    });
}

/// A latent scatter of held-out digits coloured by label.
pub fn latent_plot(
    ui: &mut egui::Ui,
    id: &str,
    title: &str,
    points: &[[f32; 2]],
    labels: &[u8],
    axes: [&str; 2],
    size: egui::Vec2,
) {
    ui.vertical(|ui| {
        ui.label(RichText::new(title).strong());
        let plot = fixed_square_plot(id, size, Corner::RightTop, axes);
        let pts: Vec<[f64; 2]> = points.iter().map(|p| [f64::from(p[0]), f64::from(p[1])]).collect();
        let bounds = Bounds::around(&pts, 0.05);
        let shown = plot.show(ui, |plot_ui| {
            plot_ui.set_plot_bounds(PlotBounds::from_min_max(bounds.min, bounds.max));
            let classes = labels.iter().copied().max().map_or(0, |m| usize::from(m) + 1);
            for class in 0..classes {
                let these: Vec<[f64; 2]> =
                    pts.iter().zip(labels).filter(|(_, l)| usize::from(**l) == class).map(|(p, _)| *p).collect();
                if !these.is_empty() {
                    plot_ui.points(
                        Points::new(class.to_string(), PlotPoints::from(these)).color(class_color(class)).radius(2.0),
                    );
                }
            }
        });
        crate::viz::export::context_menu(&shown.response, id, None);
    });
}

/// The samples as one grey image (a square grid with 1-pixel gaps).
pub fn samples_image(snapshot: &Snapshot) -> ColorImage {
    let (ih, iw) = (snapshot.rows.max(1), snapshot.cols.max(1));
    let n = snapshot.samples.len() / (ih * iw);
    let cols = (n as f64).sqrt().ceil().max(1.0) as usize;
    let rows = n.div_ceil(cols).max(1);
    let (w, h) = (cols * (iw + 1) + 1, rows * (ih + 1) + 1);
    let mut pixels = vec![Color32::from_gray(40); w * h];
    for (i, digit) in snapshot.samples.chunks_exact(ih * iw).enumerate() {
        let (ox, oy) = (1 + (i % cols) * (iw + 1), 1 + (i / cols) * (ih + 1));
        for (p, &v) in digit.iter().enumerate() {
            pixels[(oy + p / iw) * w + ox + p % iw] = Color32::from_gray((v.clamp(0.0, 1.0) * 255.0) as u8);
        }
    }
    ColorImage::new([w, h], pixels)
}

/// Curves: the ELBO on the left, the two KL terms on the right (nats per digit against steps).
pub fn curves(ui: &mut egui::Ui, elbo: &[[f64; 2]], kl1: &[[f64; 2]], kl2: &[[f64; 2]], size: egui::Vec2) {
    ui.horizontal_top(|ui| {
        let w = (size.x - ui.spacing().item_spacing.x) / 2.0;
        ui.vertical(|ui| {
            ui.label(RichText::new("ELBO per digit (nats, training batches)").strong());
            let shown = Plot::new("hvae-elbo")
                .width(w)
                .height(size.y)
                .x_axis_label("step")
                .label_formatter(crate::viz::hover::step_and_value)
                .legend(Legend::default())
                .show(ui, |p| {
                    p.line(Line::new("ELBO", PlotPoints::from(elbo.to_vec())).color(Color32::from_rgb(235, 170, 40)));
                });
            let csv = || crate::viz::export::xy_csv("step", "nats", &[("ELBO".into(), elbo)]);
            crate::viz::export::plot(shown, "hvae-elbo", Some(&csv));
        });
        ui.vertical(|ui| {
            ui.label(RichText::new("KL terms (nats)").strong());
            let shown = Plot::new("hvae-kl")
                .width(w)
                .height(size.y)
                .x_axis_label("step")
                .label_formatter(crate::viz::hover::step_and_value)
                .legend(Legend::default())
                .show(ui, |p| {
                    p.line(Line::new("KL_z₁", PlotPoints::from(kl1.to_vec())).color(Color32::from_rgb(90, 170, 250)));
                    p.line(Line::new("KL_z₂", PlotPoints::from(kl2.to_vec())).color(Color32::from_rgb(230, 90, 90)));
                });
            let csv = || crate::viz::export::xy_csv("step", "nats", &[("KL_z1".into(), kl1), ("KL_z2".into(), kl2)]);
            crate::viz::export::plot(shown, "hvae-kl", Some(&csv));
        });
    });
}

/// A placeholder box with a message.
pub fn placeholder(ui: &mut egui::Ui, size: egui::Vec2, text: &str) {
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, text));
    let painter = ui.painter_at(rect);
    painter.rect_stroke(
        Rect::from_min_size(rect.min, rect.size()),
        4.0,
        Stroke::new(1.0, ui.visuals().weak_text_color()),
        StrokeKind::Inside,
    );
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        text,
        egui::FontId::proportional(13.0),
        ui.visuals().weak_text_color(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_of_any_image_shape_land_in_their_cells() {
        // Two 2×3 images (rows × cols): a 2-column grid of 4×3-pixel cells plus the outer gap.
        let mut samples = vec![0.0; 12];
        samples[5] = 1.0; // first image, row 1, col 2
        samples[6] = 0.5; // second image, row 0, col 0
        let snapshot = Snapshot {
            step: 0,
            z1: Vec::new(),
            z1_projected: false,
            z2: Vec::new(),
            labels: Vec::new(),
            samples,
            rows: 2,
            cols: 3,
            heldout: [0.0; 3],
        };
        let image = samples_image(&snapshot);
        assert_eq!(image.size, [9, 4]);
        let at = |x: usize, y: usize| image.pixels[y * 9 + x];
        assert_eq!(at(1 + 2, 1 + 1), Color32::from_gray(255));
        assert_eq!(at(5, 1), Color32::from_gray(127));
        assert_eq!(at(1, 1), Color32::from_gray(0));
        assert_eq!(at(0, 0), Color32::from_gray(40), "gap");
    }
}
