//! Draws laid-out formulas with egui's painter, in the UI's text colour, scaled down to fit the space there is.

use std::sync::Arc;

use eframe::egui::{self, Color32, FontId, Pos2, Sense, Shape, Stroke, Ui, Vec2, WidgetInfo};

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

/// Formulas in TeX, one per line of `source` (an empty line leaves a gap), all at one size: `size`, or smaller when
/// the widest line would not fit. A line that cannot be read is shown as a message naming the problem (lecture
/// files are edited by hand). Screen readers get each formula as Unicode text.
pub fn formula_lines(ui: &mut Ui, source: &str, size: f32) {
    let available = ui.available_width();
    // One cache entry per block and size: it is laid out again only when the width or the zoom changes.
    let id = egui::Id::unique(("latent-lab/formula", source, size.to_bits()));
    let fits = (available.to_bits(), ui.ctx().pixels_per_point().to_bits());
    let cached = ui.ctx().data(|d| d.get_temp::<Block>(id)).filter(|b| b.fits == fits);
    let block = cached.unwrap_or_else(|| {
        let block = Block { fits, lines: Arc::new(lay_out_block(ui.ctx(), source, size, available)) };
        ui.ctx().data_mut(|d| d.insert_temp(id, block.clone()));
        block
    });
    ui.vertical(|ui| {
        ui.spacing_mut().item_spacing.y = ui.spacing().item_spacing.y.max(0.2 * size);
        for line in block.lines.iter() {
            match line {
                Line::Gap => ui.add_space(size * 0.4),
                Line::Unreadable(message) => {
                    ui.colored_label(ui.visuals().error_fg_color, message);
                }
                Line::Typeset(node, laid) => show(ui, node, laid),
            }
        }
    });
}

/// One line of a block as drawn.
enum Line {
    Gap,
    Unreadable(String),
    Typeset(Node, Layout),
}

/// A laid-out block and the (width, pixels per point) it was laid out for, kept in egui's memory so parsing and
/// measuring every symbol happen once, not every frame.
#[derive(Clone)]
struct Block {
    fits: (u32, u32),
    lines: Arc<Vec<Line>>,
}

/// Parses and lays out every line of `source` at one size that fits `available` points.
fn lay_out_block(ctx: &egui::Context, source: &str, size: f32, available: f32) -> Vec<Line> {
    let lines: Vec<&str> = source.lines().collect();
    let parsed: Vec<Option<Result<Node, MathError>>> =
        lines.iter().map(|line| (!line.trim().is_empty()).then(|| parse(line))).collect();
    let mut fonts = EguiFonts { ctx };
    let mut lay_all = |size: f32| -> Vec<Option<Layout>> {
        let nodes = parsed.iter().map(|p| p.as_ref().and_then(|p| p.as_ref().ok()));
        nodes.map(|node| node.map(|node| layout(node, size, &mut fonts))).collect()
    };
    let mut laid = lay_all(size);
    let widest = laid.iter().flatten().map(|l| l.width).fold(0.0, f32::max);
    if widest > available && available > 0.0 {
        laid = lay_all((size * available / widest).max(MIN_FIT_SIZE));
    }
    lines
        .iter()
        .zip(parsed)
        .zip(laid)
        .map(|((line, parsed), laid)| match (parsed, laid) {
            (Some(Err(error)), _) => Line::Unreadable(unreadable(&error, line)),
            (Some(Ok(node)), Some(laid)) => Line::Typeset(node, laid),
            _ => Line::Gap,
        })
        .collect()
}

/// What stands where a line that cannot be read would go.
fn unreadable(error: &MathError, line: &str) -> String {
    format!("{error} in “{line}”")
}

/// Allocates the space for `laid` and draws it.
fn show(ui: &mut Ui, node: &Node, laid: &Layout) {
    let (rect, response) = ui.allocate_exact_size(Vec2::new(laid.width, laid.height()), Sense::hover());
    if ui.is_rect_visible(rect) {
        let origin = rect.left_top() + Vec2::new(0.0, laid.ascent);
        paint(ui.painter(), laid, origin, ui.visuals().strong_text_color());
    }
    response.widget_info(|| WidgetInfo::labeled(egui::Role::Label, true, node.plain()));
}

/// What [`formula_lines`] shows for each line of `source`, as screen readers get it (the message for a line that
/// cannot be read).
pub fn plain_lines(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| match parse(line) {
            Ok(node) => node.plain(),
            Err(error) => unreadable(&error, line),
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
