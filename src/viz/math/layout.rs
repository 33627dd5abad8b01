//! Box layout of a parsed formula (TeX's rules, simplified): every node becomes a box with a width, a height
//! above the baseline and a depth below it, holding pieces of text, rules and strokes at positions relative to
//! the box's origin (left end of its baseline; y grows downwards, as on screen). Pure: widths of text come from a
//! [`Measure`], so tests use a fixed-pitch one and the app asks egui's fonts.

use super::parse::{Accent, Class, Delim, Face, Node, Side};

/// How wide a piece of text is at a font size.
pub trait Measure {
    fn width(&mut self, text: &str, size: f32, face: Face) -> f32;
}

/// Something to draw, relative to the formula's origin.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// Text with its baseline at `y`.
    Text { x: f32, y: f32, text: String, size: f32, face: Face },
    /// A filled rectangle (a fraction bar, an overline).
    Rule { x: f32, y: f32, width: f32, height: f32 },
    /// A polyline (radicals, stretched delimiters, accents).
    Stroke { points: Vec<[f32; 2]>, width: f32 },
}

/// A laid-out formula (or part of one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    pub width: f32,
    /// Extent above the baseline.
    pub ascent: f32,
    /// Extent below the baseline.
    pub descent: f32,
    pub items: Vec<Item>,
}

impl Layout {
    /// Adds `other` with its origin at (`x`, `y`) and grows the box to hold it (not its width: callers set that).
    fn place(&mut self, other: Layout, x: f32, y: f32) {
        self.ascent = self.ascent.max(other.ascent - y);
        self.descent = self.descent.max(other.descent + y);
        self.items.extend(other.items.into_iter().map(|item| item.moved(x, y)));
    }

    /// The height of the box.
    pub fn height(&self) -> f32 {
        self.ascent + self.descent
    }
}

impl Item {
    fn moved(self, dx: f32, dy: f32) -> Self {
        match self {
            Self::Text { x, y, text, size, face } => Self::Text { x: x + dx, y: y + dy, text, size, face },
            Self::Rule { x, y, width, height } => Self::Rule { x: x + dx, y: y + dy, width, height },
            Self::Stroke { points, width } => {
                Self::Stroke { points: points.into_iter().map(|[x, y]| [x + dx, y + dy]).collect(), width }
            }
        }
    }
}

/// Text's height above the baseline, in em.
const ASCENT: f32 = 0.72;
/// Text's depth below the baseline, in em.
const DESCENT: f32 = 0.22;
/// The maths axis (where a minus sign and fraction bars sit), in em above the baseline.
const AXIS: f32 = 0.27;
/// Scripts are this much smaller than their base…
const SCRIPT_SCALE: f32 = 0.7;
/// … and a fraction's numerator and denominator this much smaller than the fraction.
const FRACTION_SCALE: f32 = 0.85;
/// Big operators (∑ ∏) outside scripts are this much larger than the text.
const BIG_OP_SCALE: f32 = 1.35;
/// No text smaller than this (pixels).
const MIN_SIZE: f32 = 7.0;
const THIN: f32 = 3.0 / 18.0;
const MEDIUM: f32 = 4.0 / 18.0;
const THICK: f32 = 5.0 / 18.0;

/// Lays out `node` at font size `size` (pixels).
pub fn layout(node: &Node, size: f32, measure: &mut dyn Measure) -> Layout {
    Typesetter { measure }.node(node, Style { size, script: false })
}

#[derive(Clone, Copy)]
struct Style {
    size: f32,
    /// Inside a script or a fraction: TeX drops the medium and thick spaces there.
    script: bool,
}

impl Style {
    fn smaller(self, scale: f32) -> Self {
        Self { size: (self.size * scale).max(MIN_SIZE), script: true }
    }

    fn rule(self) -> f32 {
        (0.05 * self.size).max(1.0)
    }
}

struct Typesetter<'a> {
    measure: &'a mut dyn Measure,
}

impl Typesetter<'_> {
    fn node(&mut self, node: &Node, style: Style) -> Layout {
        match node {
            Node::Row(nodes) => self.row(nodes, style),
            Node::Symbol { text, face, .. } => self.text(text, style.size, *face),
            Node::BigOp { symbol, .. } => self.big_op(*symbol, style),
            Node::Frac { num, den } => self.fraction(num, den, style),
            Node::Sqrt(body) => self.sqrt(body, style),
            Node::Scripts { base, sub, sup } => self.scripts(base, sub.as_deref(), sup.as_deref(), style),
            Node::Delimited { left, body, right } => self.delimited(*left, body, *right, style),
            Node::Accent { accent, body } => self.accent(*accent, body, style),
            Node::Space(em) => Layout { width: em * style.size, ..Layout::default() },
        }
    }

    fn text(&mut self, text: &str, size: f32, face: Face) -> Layout {
        let width = self.measure.width(text, size, face);
        let item = Item::Text { x: 0.0, y: 0.0, text: text.to_owned(), size, face };
        Layout { width, ascent: ASCENT * size, descent: DESCENT * size, items: vec![item] }
    }

    fn row(&mut self, nodes: &[Node], style: Style) -> Layout {
        let classes = classes(nodes);
        let mut row = Layout::default();
        for (i, node) in nodes.iter().enumerate() {
            if i > 0 {
                row.width += space_between(classes[i - 1], classes[i], style.script) * style.size;
            }
            let part = self.node(node, style);
            let width = part.width;
            row.place(part, row.width, 0.0);
            row.width += width;
        }
        row
    }

    fn big_op(&mut self, symbol: char, style: Style) -> Layout {
        let size = if style.script { style.size } else { style.size * BIG_OP_SCALE };
        let mut op = self.text(&symbol.to_string(), size, Face::Upright);
        // Centre the larger glyph on the maths axis of the surrounding text.
        let shift = (ASCENT - DESCENT) / 2.0 * size - AXIS * style.size;
        op.items = op.items.into_iter().map(|item| item.moved(0.0, shift)).collect();
        op.ascent -= shift;
        op.descent += shift;
        op
    }

    fn fraction(&mut self, num: &Node, den: &Node, style: Style) -> Layout {
        let inner = style.smaller(FRACTION_SCALE);
        let (num, den) = (self.node(num, inner), self.node(den, inner));
        let (axis, rule, gap, pad) = (AXIS * style.size, style.rule(), 0.12 * style.size, 0.1 * style.size);
        let width = num.width.max(den.width) + 2.0 * pad;
        let mut frac = Layout { width, ..Layout::default() };
        let num_shift = axis + rule / 2.0 + gap + num.descent;
        let den_shift = -axis + rule / 2.0 + gap + den.ascent;
        let (num_x, den_x) = ((width - num.width) / 2.0, (width - den.width) / 2.0);
        frac.place(num, num_x, -num_shift);
        frac.place(den, den_x, den_shift);
        let bar = Item::Rule { x: pad / 2.0, y: -axis - rule / 2.0, width: width - pad, height: rule };
        frac.items.push(bar);
        frac
    }

    fn sqrt(&mut self, body: &Node, style: Style) -> Layout {
        let body = self.node(body, style);
        let (s, rule) = (style.size, style.rule());
        let (gap, sign) = (0.12 * s, 0.55 * s);
        let top = -(body.ascent + gap + rule / 2.0);
        let bottom = body.descent + 0.04 * s;
        let middle = bottom - 0.45 * (bottom - top);
        let end = sign + 0.05 * s + body.width + 0.08 * s;
        let points = vec![[0.0, middle + 0.06 * s], [0.12 * s, middle], [0.3 * s, bottom], [sign, top], [end, top]];
        let mut root = Layout { width: end + 0.05 * s, ..Layout::default() };
        root.place(body, sign + 0.05 * s, 0.0);
        root.ascent = root.ascent.max(-top + rule);
        root.descent = root.descent.max(bottom);
        root.items.push(Item::Stroke { points, width: rule });
        root
    }

    fn scripts(&mut self, base: &Node, sub: Option<&Node>, sup: Option<&Node>, style: Style) -> Layout {
        let limits = matches!(base, Node::BigOp { limits: true, .. }) && !style.script;
        let base = self.node(base, style);
        let small = style.smaller(SCRIPT_SCALE);
        let sub = sub.map(|n| self.node(n, small));
        let sup = sup.map(|n| self.node(n, small));
        if limits {
            return limits_layout(base, sub, sup, style);
        }
        let s = style.size;
        let mut up = (0.4 * s).max(base.ascent - 0.3 * s);
        let mut down = (0.18 * s).max(base.descent - 0.05 * s);
        if let (Some(sub), Some(sup)) = (&sub, &sup) {
            // Keep a gap between the superscript's bottom and the subscript's top.
            let gap = (up - sup.descent) - (sub.ascent - down);
            let wanted = 0.12 * s;
            if gap < wanted {
                let more = (wanted - gap) / 2.0;
                up += more;
                down += more;
            }
        }
        let x = base.width + 0.02 * s;
        let scripts_width = sub.as_ref().map_or(0.0, |l| l.width).max(sup.as_ref().map_or(0.0, |l| l.width));
        let mut out = Layout { width: x + scripts_width + 0.04 * s, ..Layout::default() };
        out.place(base, 0.0, 0.0);
        if let Some(sup) = sup {
            out.place(sup, x, -up);
        }
        if let Some(sub) = sub {
            out.place(sub, x, down);
        }
        out
    }

    fn delimited(&mut self, left: Delim, body: &Node, right: Delim, style: Style) -> Layout {
        let body = self.node(body, style);
        let s = style.size;
        let axis = AXIS * s;
        // Symmetric about the axis, at least as tall as ordinary brackets.
        let extent = (body.ascent - axis).max(body.descent + axis).max(0.5 * s) + 0.06 * s;
        let (top, bottom) = (-axis - extent, -axis + extent);
        let mut out = Layout::default();
        let left_width = delimiter(left, &mut out.items, 0.0, top, bottom, s);
        let body_width = body.width;
        out.place(body, left_width, 0.0);
        let right_width = delimiter(right, &mut out.items, left_width + body_width, top, bottom, s);
        out.width = left_width + body_width + right_width;
        out.ascent = out.ascent.max(-top);
        out.descent = out.descent.max(bottom);
        out
    }

    fn accent(&mut self, accent: Accent, body: &Node, style: Style) -> Layout {
        let body = self.node(body, style);
        let s = style.size;
        let (rule, y) = (style.rule(), -(body.ascent + 0.1 * s));
        let (x0, x1) = (0.12 * s, (body.width + 0.04 * s).max(0.3 * s));
        let centre = f32::midpoint(x0, x1);
        let mark = match accent {
            Accent::Bar => Item::Rule { x: x0 - 0.04 * s, y: y - rule, width: x1 - x0 + 0.04 * s, height: rule },
            Accent::Hat => Item::Stroke {
                points: vec![[centre - 0.16 * s, y], [centre, y - 0.12 * s], [centre + 0.16 * s, y]],
                width: rule,
            },
            Accent::Tilde => Item::Stroke {
                points: (0..=8)
                    .map(|i| {
                        let t = i as f32 / 8.0;
                        [centre + (t - 0.5) * 0.36 * s, y - 0.05 * s - 0.05 * s * (t * std::f32::consts::TAU).sin()]
                    })
                    .collect(),
                width: rule,
            },
        };
        let width = body.width;
        let mut out = Layout { width, ..Layout::default() };
        out.place(body, 0.0, 0.0);
        out.ascent = out.ascent.max(-y + 0.15 * s);
        out.items.push(mark);
        out
    }
}

/// A big operator's scripts centred below and above it.
fn limits_layout(base: Layout, sub: Option<Layout>, sup: Option<Layout>, style: Style) -> Layout {
    let gap = 0.1 * style.size;
    let width = base.width.max(sub.as_ref().map_or(0.0, |l| l.width)).max(sup.as_ref().map_or(0.0, |l| l.width));
    let mut out = Layout { width, ..Layout::default() };
    let (base_ascent, base_descent, base_width) = (base.ascent, base.descent, base.width);
    out.place(base, (width - base_width) / 2.0, 0.0);
    if let Some(sup) = sup {
        let (x, y) = ((width - sup.width) / 2.0, -(base_ascent + gap + sup.descent));
        out.place(sup, x, y);
    }
    if let Some(sub) = sub {
        let (x, y) = ((width - sub.width) / 2.0, base_descent + gap + sub.ascent);
        out.place(sub, x, y);
    }
    out
}

/// Draws a stretched delimiter from `top` to `bottom` starting at `x`; returns its width.
fn delimiter(delim: Delim, items: &mut Vec<Item>, x: f32, top: f32, bottom: f32, s: f32) -> f32 {
    let height = bottom - top;
    let line = (0.06 * s).max(1.0);
    let (width, points): (f32, Vec<Vec<[f32; 2]>>) = match delim {
        Delim::None => (0.05 * s, Vec::new()),
        Delim::Bar => (0.25 * s, vec![vec![[x + 0.125 * s, top], [x + 0.125 * s, bottom]]]),
        Delim::DoubleBar => {
            let (a, b) = (x + 0.1 * s, x + 0.25 * s);
            (0.35 * s, vec![vec![[a, top], [a, bottom]], vec![[b, top], [b, bottom]]])
        }
        Delim::Paren(side) => {
            let width = 0.3 * s + 0.04 * height;
            let bulge = 0.1 * s + 0.04 * height;
            let inner = match side {
                Side::Left => x + width - 0.06 * s,
                Side::Right => x + 0.06 * s,
            };
            let sign = if side == Side::Left { -1.0 } else { 1.0 };
            let arc = (0..=16)
                .map(|i| {
                    let t = i as f32 / 16.0;
                    [inner + sign * bulge * (t * std::f32::consts::PI).sin(), top + t * height]
                })
                .collect();
            (width, vec![arc])
        }
        Delim::Bracket(side) => {
            let width = 0.3 * s;
            let (outer, inner) = match side {
                Side::Left => (x + 0.1 * s, x + 0.25 * s),
                Side::Right => (x + 0.2 * s, x + 0.05 * s),
            };
            (width, vec![vec![[inner, top], [outer, top], [outer, bottom], [inner, bottom]]])
        }
        Delim::Brace(side) => {
            let width = 0.4 * s;
            let (outer, middle, tip) = match side {
                Side::Left => (x + 0.32 * s, x + 0.2 * s, x + 0.06 * s),
                Side::Right => (x + 0.08 * s, x + 0.2 * s, x + 0.34 * s),
            };
            let mid = f32::midpoint(top, bottom);
            let q = 0.08 * height;
            let points = vec![
                [outer, top],
                [middle, top + q],
                [middle, mid - q],
                [tip, mid],
                [middle, mid + q],
                [middle, bottom - q],
                [outer, bottom],
            ];
            (width, vec![points])
        }
    };
    items.extend(points.into_iter().map(|points| Item::Stroke { points, width: line }));
    width
}

/// Each node's spacing class, with TeX's rule that a binary operator with nothing to operate on (at the start,
/// after another operator or an opening bracket, before a relation or the end) is ordinary: a sign.
fn classes(nodes: &[Node]) -> Vec<Class> {
    let mut classes: Vec<Class> = nodes.iter().map(class_of).collect();
    for i in 0..classes.len() {
        if classes[i] != Class::Binary {
            continue;
        }
        let before = i.checked_sub(1).map(|j| classes[j]);
        let after = classes.get(i + 1).copied();
        let lonely_before = matches!(
            before,
            None | Some(Class::Binary | Class::Relation | Class::Open | Class::Punct | Class::Function)
        );
        let lonely_after = matches!(after, None | Some(Class::Relation | Class::Close | Class::Punct));
        if lonely_before || lonely_after {
            classes[i] = Class::Ordinary;
        }
    }
    classes
}

fn class_of(node: &Node) -> Class {
    match node {
        Node::Symbol { class, .. } => *class,
        Node::Scripts { base, .. } => class_of(base),
        Node::BigOp { .. } => Class::Function,
        _ => Class::Ordinary,
    }
}

/// The space between two neighbours, in em.
fn space_between(before: Class, after: Class, script: bool) -> f32 {
    let wide = |em: f32| if script { 0.0 } else { em };
    match (before, after) {
        (Class::Relation, Class::Relation) | (Class::Function, Class::Open) => 0.0,
        (Class::Relation, _) | (_, Class::Relation) => wide(THICK),
        (Class::Binary, _) | (_, Class::Binary) => wide(MEDIUM),
        (Class::Punct, _) => wide(THIN),
        (Class::Function, _) | (Class::Ordinary | Class::Close, Class::Function) => THIN,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    /// Every character 0.5 em wide.
    struct FixedPitch;

    impl Measure for FixedPitch {
        fn width(&mut self, text: &str, size: f32, _: Face) -> f32 {
            text.chars().count() as f32 * 0.5 * size
        }
    }

    fn lay(source: &str) -> Layout {
        layout(&parse(source).unwrap(), 20.0, &mut FixedPitch)
    }

    fn texts(layout: &Layout) -> Vec<(String, f32, f32, f32)> {
        layout
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Text { x, y, text, size, .. } => Some((text.clone(), *x, *y, *size)),
                _ => None,
            })
            .collect()
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-4
    }

    #[test]
    fn a_row_puts_atoms_side_by_side_with_tex_spacing() {
        // xy: no space; x = y: thick spaces round the relation; −x at the start is a sign (no space).
        assert!(close(lay("xy").width, 20.0));
        assert!(close(lay("x=y").width, 30.0 + 2.0 * THICK * 20.0));
        assert!(close(lay("-x").width, 20.0));
        assert!(close(lay("a-b").width, 30.0 + 2.0 * MEDIUM * 20.0));
        // A function name gets a thin space before an ordinary atom, none before a bracket.
        assert!(close(lay(r"\log x").width, 40.0 + THIN * 20.0));
        assert!(close(lay(r"\log(x)").width, 60.0));
        // … and so does an atom before it (x log y, as TeX spaces an operator).
        assert!(close(lay(r"x \log y").width, 50.0 + 2.0 * THIN * 20.0));
    }

    #[test]
    fn a_fraction_stacks_numerator_over_denominator_around_the_axis() {
        let frac = lay(r"\frac{ab}{c}");
        let parts = texts(&frac);
        let (num, den) = (&parts[0], &parts[2]);
        let inner = 20.0 * FRACTION_SCALE;
        assert!(close(num.3, inner) && close(den.3, inner));
        // As wide as the wider part plus padding; both parts centred.
        assert!(close(frac.width, 2.0 * 0.5 * inner + 2.0 * 2.0));
        assert!(close(num.1 + inner * 0.5, frac.width / 2.0));
        assert!(close(den.1 + inner * 0.25, frac.width / 2.0));
        // The numerator's descent clears the bar, the denominator's ascent too.
        let Some(Item::Rule { y, height, .. }) = frac.items.iter().find(|i| matches!(i, Item::Rule { .. })) else {
            panic!("a fraction bar")
        };
        assert!(num.2 + DESCENT * inner < *y);
        assert!(den.2 - ASCENT * inner > y + height);
        assert!(close(y + height / 2.0, -AXIS * 20.0));
    }

    #[test]
    fn scripts_are_smaller_and_sit_above_and_below_the_baseline() {
        let parts = texts(&lay("x_t^2"));
        let (base, sub, sup) = (&parts[0], &parts[2], &parts[1]);
        assert!(close(base.2, 0.0));
        assert!(close(sub.3, 20.0 * SCRIPT_SCALE) && close(sup.3, 20.0 * SCRIPT_SCALE));
        assert!(sup.2 < -0.3 * 20.0, "superscript raised: {}", sup.2);
        assert!(sub.2 > 0.1 * 20.0, "subscript lowered: {}", sub.2);
        // The superscript's bottom stays above the subscript's top.
        let sup_bottom = sup.2 + DESCENT * sup.3;
        let sub_top = sub.2 - ASCENT * sub.3;
        assert!(sup_bottom < sub_top);
        assert!(sub.1 >= 10.0 && sup.1 >= 10.0);
    }

    #[test]
    fn a_sum_takes_its_limits_below_and_above() {
        let sum = lay(r"\sum_{k=1}^K");
        let parts = texts(&sum);
        let find = |text: &str| parts.iter().find(|p| p.0 == text).expect(text);
        let (op, sub, sup) = (find("∑"), find("k"), find("K"));
        assert!(close(op.3, 20.0 * BIG_OP_SCALE));
        assert!(sub.2 > op.2 && sup.2 < op.2);
        // Centred on one vertical line.
        let centre = |t: &(String, f32, f32, f32)| t.1 + t.0.chars().count() as f32 * 0.25 * t.3;
        assert!(close(centre(op), centre(sup)));
        let equals = find("=");
        assert!(close(centre(op), centre(equals)), "k=1 is centred on its '='");
        // Inside a script a sum takes side scripts at script size.
        let inline = texts(&lay(r"x^{\sum_k}"));
        assert!(close(inline[1].3, 14.0) && inline[2].1 > inline[1].1);
    }

    #[test]
    fn stretched_delimiters_cover_their_contents() {
        let tall = lay(r"\left( \frac{a}{b} \right)");
        let strokes: Vec<&Vec<[f32; 2]>> = tall
            .items
            .iter()
            .filter_map(|i| if let Item::Stroke { points, .. } = i { Some(points) } else { None })
            .collect();
        assert_eq!(strokes.len(), 2);
        let inner = lay(r"\frac{a}{b}");
        for points in strokes {
            let top = points.iter().map(|p| p[1]).fold(f32::MAX, f32::min);
            let bottom = points.iter().map(|p| p[1]).fold(f32::MIN, f32::max);
            assert!(top <= -inner.ascent && bottom >= inner.descent, "{top}..{bottom}");
        }
        assert!(tall.width > inner.width);
    }

    #[test]
    fn a_square_root_covers_its_body() {
        let root = lay(r"\sqrt{1-\beta}");
        let body = lay(r"1-\beta");
        assert!(root.width > body.width && root.ascent > body.ascent);
        let Some(Item::Stroke { points, .. }) = root.items.last() else { panic!("a radical") };
        let bar = points[points.len() - 1];
        assert!(bar[0] >= root.width - 0.1 * 20.0 - 1.0 && bar[1] < -body.ascent);
    }

    #[test]
    fn accents_sit_over_their_letter() {
        let hat = lay(r"\bar{\alpha}_t");
        assert!(hat.ascent > ASCENT * 20.0);
        assert!(hat.items.iter().any(|i| matches!(i, Item::Rule { .. })));
    }
}
