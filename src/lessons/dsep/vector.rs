//! The graph as vector drawings for slides: SVG (any browser, Inkscape, PowerPoint) and TikZ (LaTeX/Beamer), with
//! the editor's layout and the sets A, B and C coloured as on screen. Pure: text in, text out.

use std::fmt::Write as _;

use eframe::egui::{Color32, Pos2};

use super::canvas::{COLOR_A, COLOR_B, COLOR_C};
use super::doc::{GraphDoc, SetKind};

/// Node radius in the SVG, in the editor's units (pixels at zoom 1).
const RADIUS: f32 = 24.0;
/// Space around the drawing in the SVG.
const MARGIN: f32 = 40.0;

fn colour(kind: Option<SetKind>) -> Option<Color32> {
    kind.map(|k| match k {
        SetKind::A => COLOR_A,
        SetKind::B => COLOR_B,
        SetKind::C => COLOR_C,
    })
}

fn hex(c: Color32) -> String {
    format!("#{:02x}{:02x}{:02x}", c.r(), c.g(), c.b())
}

/// The graph as an SVG document: white nodes (A, B, C filled in their colours, names in white), black arrows.
pub fn to_svg(doc: &GraphDoc) -> String {
    let nodes: Vec<_> = doc.dag.nodes().map(|v| (v, doc.pos(v))).collect();
    let (min, max) = nodes.iter().fold(
        (Pos2::new(f32::INFINITY, f32::INFINITY), Pos2::new(f32::NEG_INFINITY, f32::NEG_INFINITY)),
        |(lo, hi), (_, p)| (lo.min(*p), hi.max(*p)),
    );
    let (min, max) = if nodes.is_empty() { (Pos2::ZERO, Pos2::ZERO) } else { (min, max) };
    let (width, height) = (max.x - min.x + 2.0 * MARGIN, max.y - min.y + 2.0 * MARGIN);
    let at = |p: Pos2| (p.x - min.x + MARGIN, p.y - min.y + MARGIN);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif">"#
    );
    s.push_str(
        "  <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" \
         orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"black\"/></marker></defs>\n",
    );
    for (u, v) in doc.dag.edges() {
        let (a, b) = (doc.pos(u), doc.pos(v));
        let dir = (b - a).normalized();
        if !dir.x.is_finite() {
            continue;
        }
        let (x1, y1) = at(a + dir * RADIUS);
        let (x2, y2) = at(b - dir * RADIUS);
        let _ = writeln!(
            s,
            r#"  <line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="black" stroke-width="2" marker-end="url(#arrow)"/>"#
        );
    }
    for (v, p) in &nodes {
        let (x, y) = at(*p);
        let fill = colour(doc.membership(*v));
        let name = doc.dag.name(*v).unwrap_or_default();
        let _ = writeln!(
            s,
            r#"  <circle cx="{x:.1}" cy="{y:.1}" r="{RADIUS}" fill="{}" stroke="black" stroke-width="2"/>"#,
            fill.map_or_else(|| "white".to_owned(), hex)
        );
        let _ = writeln!(
            s,
            r#"  <text x="{x:.1}" y="{y:.1}" text-anchor="middle" dominant-baseline="central" font-size="18" fill="{}">{name}</text>"#,
            if fill.is_some() { "white" } else { "black" }
        );
    }
    s.push_str("</svg>\n");
    s
}

/// A node name as TikZ maths: `x_T` → `x_{T}`, `z12` → `z_{12}`, `mu` → `mu`.
fn math_label(name: &str) -> String {
    if let Some((base, rest)) = name.split_once('_') {
        return format!("{base}_{{{}}}", rest.replace('_', r"\_"));
    }
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 && digits < name.len() {
        let (base, number) = name.split_at(name.len() - digits);
        return format!("{base}_{{{number}}}");
    }
    name.to_owned()
}

/// The graph as a TikZ picture (`\usetikzlibrary{arrows.meta}`): circles in the editor's layout (1 cm per 100
/// pixels, y pointing up), A, B and C filled as on screen, with their colours defined in the picture.
pub fn to_tikz(doc: &GraphDoc) -> String {
    let mut s =
        String::from("% latent-lab d-separation graph; needs \\usepackage{tikz} and \\usetikzlibrary{arrows.meta}\n");
    for (kind, label) in [(SetKind::A, "A"), (SetKind::B, "B"), (SetKind::C, "C")] {
        if let Some(c) = colour(Some(kind)) {
            let _ = writeln!(s, "\\definecolor{{dsep{label}}}{{RGB}}{{{},{},{}}}", c.r(), c.g(), c.b());
        }
    }
    s.push_str("\\begin{tikzpicture}[>={Stealth[length=3mm]}, var/.style={circle, draw, thick, minimum size=9mm}]\n");
    for v in doc.dag.nodes() {
        let p = doc.pos(v);
        let style = match doc.membership(v) {
            Some(SetKind::A) => ", fill=dsepA, text=white",
            Some(SetKind::B) => ", fill=dsepB, text=white",
            Some(SetKind::C) => ", fill=dsepC, text=white",
            None => "",
        };
        let name = doc.dag.name(v).unwrap_or_default();
        let _ = writeln!(
            s,
            "  \\node[var{style}] (n{}) at ({:.2}, {:.2}) {{${}$}};",
            v.index(),
            p.x / 100.0,
            -p.y / 100.0,
            math_label(name)
        );
    }
    for (u, v) in doc.dag.edges() {
        let _ = writeln!(s, "  \\draw[->, thick] (n{}) -- (n{});", u.index(), v.index());
    }
    s.push_str("\\end{tikzpicture}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::super::presets::PRESETS;
    use super::*;

    fn bishop() -> GraphDoc {
        PRESETS.iter().find(|p| p.label == "Bishop Fig. 8.22").unwrap().build()
    }

    #[test]
    fn svg_has_every_node_and_arrow_in_the_editors_layout() {
        let doc = bishop();
        let svg = to_svg(&doc);
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), doc.dag.len());
        assert_eq!(svg.matches("<line").count(), doc.dag.edge_count());
        for name in ["a", "b", "c", "e", "f"] {
            assert!(svg.contains(&format!(">{name}</text>")), "{name}");
        }
        // a (in A) is blue; f (in no set) is white. The layout: a at (110, 80) is the top-left node.
        assert!(svg.contains(&format!(r#"<circle cx="40.0" cy="40.0" r="24" fill="{}""#, hex(COLOR_A))), "{svg}");
        assert!(svg.contains(r#"<circle cx="260.0" cy="40.0" r="24" fill="white""#), "{svg}");
        // The size: nodes span 220 × 260 pixels, plus the margins.
        assert!(svg.contains(r#"width="300" height="340""#));
        // The arrow a → e runs down from a's rim to e's.
        assert!(svg.contains(r#"<line x1="40.0" y1="64.0" x2="40.0" y2="146.0""#), "{svg}");
    }

    #[test]
    fn tikz_draws_the_same_graph_with_maths_labels() {
        let doc = bishop();
        let tikz = to_tikz(&doc);
        assert!(tikz.contains("\\begin{tikzpicture}") && tikz.contains("\\end{tikzpicture}"));
        assert_eq!(tikz.matches("\\node[var").count(), doc.dag.len());
        assert_eq!(tikz.matches("\\draw[->").count(), doc.dag.edge_count());
        let a = doc.dag.find("a").unwrap().index();
        assert!(
            tikz.contains(&format!("\\node[var, fill=dsepA, text=white] (n{a}) at (1.10, -0.80) {{$a$}};")),
            "{tikz}"
        );
        assert_eq!(math_label("x_T"), "x_{T}");
        assert_eq!(math_label("z12"), "z_{12}");
        assert_eq!(math_label("x_t_1"), r"x_{t\_1}");
        assert_eq!(math_label("mu"), "mu");
        assert_eq!(math_label("42"), "42");
    }

    #[test]
    fn an_empty_graph_is_still_a_valid_drawing() {
        let doc = GraphDoc::default();
        assert!(to_svg(&doc).contains(r#"width="80" height="80""#));
        assert!(to_tikz(&doc).contains("\\end{tikzpicture}"));
    }
}
