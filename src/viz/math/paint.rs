//! Draws laid-out formulas with egui's painter, in the UI's text colour, scaled down to fit the space there is.

use eframe::egui::{self, Color32, FontId, Pos2, Response, Sense, Shape, Stroke, Ui, Vec2, WidgetInfo};

use super::layout::{Item, Layout, Measure, layout};
use super::parse::{Face, MathError, Node, parse};
use crate::viz::fonts::math_family;

/// A formula wider than the space there is is drawn smaller, down to this font size.
const MIN_FIT_SIZE: f32 = 10.0;

/// Text widths from egui's fonts.
struct EguiFonts<'a> {
    ctx: &'a egui::Context,
}

impl Measure for EguiFonts<'_> {
    fn width(&mut self, text: &str, size: f32, face: Face) -> f32 {
        let font = FontId::new(size, math_family(face));
        self.ctx.fonts_mut(|fonts| fonts.layout_no_wrap(text.to_owned(), font, Color32::WHITE).size().x)
    }
}

/// One line of TeX maths, typeset at font size `size` (smaller when the line is wider than the space there is).
/// A formula that cannot be read is shown as a message naming the problem (lecture files are edited by hand).
/// Screen readers get the formula as Unicode text.
pub fn formula(ui: &mut Ui, source: &str, size: f32) -> Response {
    let mut responses = show_lines(ui, &[source], size);
    responses.pop().unwrap_or_else(|| ui.label(""))
}

/// Several formulas, one per line of `source` (an empty line leaves a gap), all at one size: `size`, or smaller
/// when the widest line would not fit.
pub fn formula_lines(ui: &mut Ui, source: &str, size: f32) {
    let lines: Vec<&str> = source.lines().collect();
    ui.vertical(|ui| {
        ui.spacing_mut().item_spacing.y = ui.spacing().item_spacing.y.max(0.2 * size);
        show_lines(ui, &lines, size);
    });
}

fn show_lines(ui: &mut Ui, lines: &[&str], size: f32) -> Vec<Response> {
    let ctx = ui.ctx().clone();
    let mut fonts = EguiFonts { ctx: &ctx };
    let parsed: Vec<Option<Result<Node, MathError>>> =
        lines.iter().map(|line| (!line.trim().is_empty()).then(|| parse(line))).collect();
    let lay_all = |fonts: &mut EguiFonts<'_>, size: f32| -> Vec<Option<Layout>> {
        parsed.iter().map(|p| p.as_ref().and_then(|p| p.as_ref().ok()).map(|node| layout(node, size, fonts))).collect()
    };
    let mut laid = lay_all(&mut fonts, size);
    let widest = laid.iter().flatten().map(|l| l.width).fold(0.0, f32::max);
    let available = ui.available_width();
    if widest > available && available > 0.0 {
        laid = lay_all(&mut fonts, (size * available / widest).max(MIN_FIT_SIZE));
    }
    let mut responses = Vec::new();
    for ((line, parsed), laid) in lines.iter().zip(&parsed).zip(laid) {
        match (parsed, laid) {
            (None, _) => ui.add_space(size * 0.4),
            (Some(Err(error)), _) => {
                responses.push(ui.colored_label(ui.visuals().error_fg_color, format!("{error} in “{line}”")));
            }
            (Some(Ok(node)), Some(laid)) => responses.push(show(ui, node, &laid)),
            (Some(Ok(_)), None) => {}
        }
    }
    responses
}

/// Allocates the space for `laid` and draws it.
fn show(ui: &mut Ui, node: &Node, laid: &Layout) -> Response {
    let (rect, response) = ui.allocate_exact_size(Vec2::new(laid.width, laid.height()), Sense::hover());
    if ui.is_rect_visible(rect) {
        let origin = rect.left_top() + Vec2::new(0.0, laid.ascent);
        paint(ui.painter(), laid, origin, ui.visuals().strong_text_color());
    }
    let plain = node.plain();
    response.widget_info(|| WidgetInfo::labeled(egui::Role::Label, true, &plain));
    response
}

/// What [`formula_lines`] shows for each line of `source`, as screen readers get it (the message for a line that
/// cannot be read).
pub fn plain_lines(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| match parse(line) {
            Ok(node) => node.plain(),
            Err(error) => format!("{error} in “{line}”"),
        })
        .collect()
}

/// Draws `laid` with its baseline's left end at `origin`.
fn paint(painter: &egui::Painter, laid: &Layout, origin: Pos2, color: Color32) {
    let at = |x: f32, y: f32| origin + Vec2::new(x, y);
    for item in &laid.items {
        match item {
            Item::Text { x, y, text, size, face } => {
                let galley = painter.layout_no_wrap(text.clone(), FontId::new(*size, math_family(*face)), color);
                let baseline = galley
                    .rows
                    .first()
                    .and_then(|row| row.row.glyphs.first().map(|glyph| row.pos.y + glyph.pos.y))
                    .unwrap_or(size * 0.8);
                painter.galley(at(*x, y - baseline), galley, color);
            }
            Item::Rule { x, y, width, height } => {
                let rect = egui::Rect::from_min_size(at(*x, *y), Vec2::new(*width, *height));
                painter.rect_filled(rect, 0.0, color);
            }
            Item::Stroke { points, width } => {
                let points = points.iter().map(|&[x, y]| at(x, y)).collect();
                painter.add(Shape::line(points, Stroke::new(*width, color)));
            }
        }
    }
}
