//! The Latent space tab's "Draw a digit" canvas: a brush on a dataset-sized grid, encoded by both models.

use eframe::egui::{self, Color32};

use crate::lessons::LessonContext;
use crate::train::{ModelKind, Purpose, TrainCommand};

use super::LatentSpaceLesson;
use crate::viz::shapes::paint_brush;

/// The "Draw a digit" canvas.
#[derive(Default)]
pub(super) struct Canvas {
    pub(super) pixels: Vec<f32>,
    pub(super) rows: usize,
    pub(super) cols: usize,
    /// Why the drawing was not encoded.
    pub(super) refused: Option<String>,
    /// Where the pointer was in the previous frame of this stroke (canvas cells), so fast strokes have no gaps.
    pub(super) last: Option<[f32; 2]>,
}

impl LatentSpaceLesson {
    pub(super) fn draw_panel(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
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
}

#[cfg(test)]
mod tests {
    use crate::viz::shapes::{ellipse_points, paint_brush};

    #[test]
    fn brush_and_ellipse() {
        let mut px = vec![0.0; 9];
        paint_brush(&mut px, 3, 3, 0, 0);
        assert_eq!(px, vec![1.0, 0.6, 0.0, 0.6, 0.25, 0.0, 0.0, 0.0, 0.0]);
        let e = ellipse_points([1.0, 2.0], [0.5, 0.25], 4);
        assert_eq!(e.len(), 5);
        assert!((e[0][0] - 2.0).abs() < 1e-12 && (e[0][1] - 2.0).abs() < 1e-12);
        assert!((e[1][0] - 1.0).abs() < 1e-12 && (e[1][1] - 2.5).abs() < 1e-12);
    }
}
