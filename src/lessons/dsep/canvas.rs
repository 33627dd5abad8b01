//! The graph canvas: nodes and arrows drawn with the painter; each node is also a labelled widget ("node a"), so
//! it can be clicked, dragged, and found by screen readers and tests.

use eframe::egui::{
    self, Align2, Color32, FontId, Key, Pos2, Rect, Sense, Shape, Stroke, StrokeKind, Vec2, WidgetInfo, vec2,
};

use super::answer::Answer;
use super::doc::{GraphDoc, History, SetKind};
use crate::causal::NodeId;

pub const RADIUS: f32 = 22.0;

/// What a click or drag on a node does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Move,
    Edge,
    Mark(SetKind),
}

/// What is selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    Node(NodeId),
    Edge(NodeId, NodeId),
}

pub const COLOR_A: Color32 = Color32::from_rgb(52, 120, 230);
pub const COLOR_B: Color32 = Color32::from_rgb(40, 160, 80);
pub const COLOR_C: Color32 = Color32::from_rgb(110, 110, 110);
pub const COLOR_OPEN: Color32 = Color32::from_rgb(255, 140, 0);
pub const COLOR_BLOCK: Color32 = Color32::from_rgb(220, 50, 50);
pub const COLOR_BLANKET: Color32 = Color32::from_rgb(190, 110, 255);

pub fn set_color(kind: SetKind) -> Color32 {
    match kind {
        SetKind::A => COLOR_A,
        SetKind::B => COLOR_B,
        SetKind::C => COLOR_C,
    }
}

/// Interaction state that lives across frames.
#[derive(Debug, Default)]
pub struct CanvasState {
    pub selected: Option<Selection>,
    /// The node being moved and the document before the move started.
    moving: Option<(NodeId, GraphDoc)>,
    /// Tail of the edge being drawn.
    edge_from: Option<NodeId>,
    /// A chain in the list the pointer is over: drawn on top.
    pub hovered_chain: Option<usize>,
    /// Nodes to ring as the selected node's Markov blanket.
    pub blanket: Vec<NodeId>,
    /// Drawing scale (1 = document units are points).
    pub zoom: f32,
}

impl CanvasState {
    pub fn with_zoom(zoom: f32) -> Self {
        Self { zoom, ..Self::default() }
    }
}

/// Result of one frame of canvas interaction.
#[derive(Debug)]
pub struct CanvasOutput {
    pub rect: Rect,
    pub changed: bool,
    pub message: Option<String>,
}

fn distance_to_segment(p: Pos2, a: Pos2, b: Pos2) -> f32 {
    let ab = b - a;
    let t = if ab.length_sq() > 0.0 { ((p - a).dot(ab) / ab.length_sq()).clamp(0.0, 1.0) } else { 0.0 };
    p.distance(a + ab * t)
}

/// Where document coordinates land on the screen.
#[derive(Debug, Clone, Copy)]
struct View {
    origin: Vec2,
    zoom: f32,
}

impl View {
    fn screen(self, p: Pos2) -> Pos2 {
        (p.to_vec2() * self.zoom + self.origin).to_pos2()
    }

    fn doc(self, p: Pos2) -> Pos2 {
        ((p.to_vec2() - self.origin) / self.zoom).to_pos2()
    }

    fn radius(self) -> f32 {
        RADIUS * self.zoom
    }

    /// Endpoints of an arrow between two node centres (document coordinates), cut at the circles.
    fn arrow_ends(self, from: Pos2, to: Pos2) -> (Pos2, Pos2) {
        let (from, to) = (self.screen(from), self.screen(to));
        let dir = (to - from).normalized();
        (from + dir * self.radius(), to - dir * (self.radius() + 2.0))
    }
}

fn arrow(painter: &egui::Painter, from: Pos2, to: Pos2, stroke: Stroke) {
    let dir = (to - from).normalized();
    if !dir.x.is_finite() {
        return;
    }
    painter.line_segment([from, to], stroke);
    let size = 7.0 + stroke.width * 1.5;
    let normal = vec2(-dir.y, dir.x);
    let tip = to;
    let base = to - dir * size;
    painter.add(Shape::convex_polygon(
        vec![tip, base + normal * size * 0.5, base - normal * size * 0.5],
        stroke.color,
        Stroke::NONE,
    ));
}

/// Draws the canvas and handles its mouse input.
pub fn show(
    ui: &mut egui::Ui,
    doc: &mut GraphDoc,
    history: &mut History,
    state: &mut CanvasState,
    tool: Tool,
    answer: &Answer,
) -> CanvasOutput {
    let (rect, bg) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    let mut out = CanvasOutput { rect, changed: false, message: None };
    bg.widget_info(|| {
        WidgetInfo::labeled(egui::Role::Canvas, true, "Graph canvas: double-click empty space to add a node")
    });
    let view = View { origin: rect.min.to_vec2(), zoom: if state.zoom > 0.0 { state.zoom } else { 1.0 } };
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals().clone();
    painter.rect(rect, 4.0, visuals.extreme_bg_color, visuals.widgets.noninteractive.bg_stroke, StrokeKind::Inside);

    let nodes: Vec<NodeId> = doc.dag.nodes().collect();
    let node_at = |doc: &GraphDoc, p: Pos2| {
        nodes.iter().copied().find(|&v| view.screen(doc.pos(v)).distance(p) <= view.radius() + 2.0)
    };
    let shift = ui.input(|i| i.modifiers.shift);

    // Node widgets (added after the background, so they win the hit test).
    for &v in &nodes {
        let centre = view.screen(doc.pos(v));
        let name = doc.dag.name(v).unwrap_or_default().to_owned();
        let resp = ui.interact(
            Rect::from_center_size(centre, Vec2::splat(2.0 * view.radius())),
            ui.scope_id().with(("dsep-node", v.index())),
            Sense::click_and_drag(),
        );
        let member = doc.membership(v).map_or(String::new(), |k| format!(", in {}", k.label()));
        resp.widget_info(|| WidgetInfo::labeled(egui::Role::Button, true, format!("node {name}{member}")));
        if resp.clicked() {
            match tool {
                Tool::Mark(kind) => {
                    history.record(doc.clone());
                    doc.toggle(v, kind);
                    out.changed = true;
                }
                Tool::Move | Tool::Edge => state.selected = Some(Selection::Node(v)),
            }
        }
        if resp.drag_started() {
            if tool == Tool::Edge || shift {
                state.edge_from = Some(v);
            } else {
                state.moving = Some((v, doc.clone()));
                state.selected = Some(Selection::Node(v));
            }
        }
        if resp.dragged() && state.moving.as_ref().is_some_and(|(m, _)| *m == v) {
            doc.move_by(v, resp.drag_delta() / view.zoom);
        }
        if resp.drag_stopped() {
            if let Some((_, before)) = state.moving.take() {
                history.record(before);
            }
            if let Some(from) = state.edge_from.take() {
                let target = resp.interact_pointer_pos().or_else(|| ui.input(|i| i.pointer.latest_pos()));
                if let Some(to) = target.and_then(|p| node_at(doc, p)).filter(|&to| to != from) {
                    let before = doc.clone();
                    match doc.dag.add_edge(from, to) {
                        Ok(()) => {
                            history.record(before);
                            out.changed = true;
                        }
                        Err(e) => out.message = Some(format!("Edge refused: {e}")),
                    }
                }
            }
        }
    }

    // Background: double-click adds a node; a click selects the nearest edge or clears the selection.
    if bg.double_clicked()
        && let Some(p) = bg.interact_pointer_pos()
    {
        let before = doc.clone();
        if let Some(v) = doc.add_node(view.doc(p)) {
            history.record(before);
            state.selected = Some(Selection::Node(v));
            out.changed = true;
        }
    } else if bg.clicked()
        && let Some(p) = bg.interact_pointer_pos()
    {
        state.selected = doc
            .dag
            .edges()
            .map(|(u, v)| {
                let (a, b) = view.arrow_ends(doc.pos(u), doc.pos(v));
                (distance_to_segment(p, a, b), u, v)
            })
            .filter(|(d, _, _)| *d < 6.0)
            .min_by(|x, y| x.0.total_cmp(&y.0))
            .map(|(_, u, v)| Selection::Edge(u, v));
    }

    draw(&painter, doc, state, answer, view, &visuals);
    if let Some(from) = state.edge_from
        && let Some(p) = ui.input(|i| i.pointer.latest_pos())
    {
        arrow(&painter, view.screen(doc.pos(from)), p, Stroke::new(2.5, COLOR_OPEN.gamma_multiply(0.7)));
    }
    legend(&painter, rect, &visuals);
    if ui.input(|i| i.key_pressed(Key::Escape)) {
        state.edge_from = None;
    }
    out
}

fn draw(
    painter: &egui::Painter,
    doc: &GraphDoc,
    state: &CanvasState,
    answer: &Answer,
    view: View,
    visuals: &egui::Visuals,
) {
    let text_color = visuals.strong_text_color();
    let edge_color = visuals.text_color().gamma_multiply(0.6);
    let hovered = state.hovered_chain.and_then(|i| answer.chains.get(i));
    for (u, v) in doc.dag.edges() {
        let (a, b) = view.arrow_ends(doc.pos(u), doc.pos(v));
        let stroke = if answer.open_edges.contains(&(u, v)) {
            Stroke::new(4.0, COLOR_OPEN)
        } else {
            Stroke::new(2.0, edge_color)
        };
        if state.selected == Some(Selection::Edge(u, v)) {
            painter.line_segment([a, b], Stroke::new(stroke.width + 6.0, visuals.selection.bg_fill));
        }
        if answer.cut_edges.contains(&(u, v)) {
            // Cut by do(A): dashed and faint, with a gap where the scissors went.
            let faint = Stroke::new(1.5, edge_color.gamma_multiply(0.6));
            painter.extend(Shape::dashed_line(&[a, b], faint, 6.0, 5.0));
            painter.text(
                a + (b - a) * 0.5,
                egui::Align2::CENTER_CENTER,
                "✂",
                egui::FontId::proportional(16.0),
                text_color,
            );
        } else {
            arrow(painter, a, b, stroke);
        }
    }
    if let Some(ch) = hovered {
        let color = if ch.open { COLOR_OPEN } else { visuals.text_color() };
        for &(u, v) in &ch.edges {
            let (a, b) = view.arrow_ends(doc.pos(u), doc.pos(v));
            arrow(painter, a, b, Stroke::new(5.0, color));
        }
    }
    for v in doc.dag.nodes() {
        let c = view.screen(doc.pos(v));
        let radius = view.radius();
        let fill = doc.membership(v).map_or(visuals.panel_fill, set_color);
        let name_color = if doc.membership(v).is_some() { Color32::WHITE } else { text_color };
        if answer.blockers.contains(&v) || hovered.is_some_and(|ch| ch.blocker == Some(v)) {
            let width = if hovered.is_some_and(|ch| ch.blocker == Some(v)) { 4.0 } else { 2.5 };
            painter.circle_stroke(c, radius + 6.0, Stroke::new(width, COLOR_BLOCK));
        }
        if state.blanket.contains(&v) {
            let pts: Vec<Pos2> =
                (0..=40).map(|i| c + radius * 1.45 * Vec2::angled(i as f32 / 40.0 * std::f32::consts::TAU)).collect();
            painter.extend(Shape::dashed_line(&pts, Stroke::new(2.0, COLOR_BLANKET), 5.0, 4.0));
        }
        let ring = if state.selected == Some(Selection::Node(v)) {
            Stroke::new(3.0, visuals.selection.stroke.color)
        } else {
            Stroke::new(1.5, text_color)
        };
        painter.circle(c, radius, fill, ring);
        let name = doc.dag.name(v).unwrap_or_default();
        let size = if name.len() > 4 { 12.0 } else { 16.0 };
        painter.text(c, Align2::CENTER_CENTER, name, FontId::proportional(size * view.zoom), name_color);
    }
}

fn legend(painter: &egui::Painter, rect: Rect, visuals: &egui::Visuals) {
    let font = FontId::proportional(13.0);
    let color = visuals.text_color();
    let mut p = rect.right_top() + vec2(-150.0, 14.0);
    for kind in SetKind::ALL {
        painter.circle(p, 7.0, set_color(kind), Stroke::new(1.0, color));
        painter.text(p + vec2(14.0, 0.0), Align2::LEFT_CENTER, kind.label(), font.clone(), color);
        p.y += 20.0;
    }
    painter.line_segment([p - vec2(8.0, 0.0), p + vec2(8.0, 0.0)], Stroke::new(4.0, COLOR_OPEN));
    painter.text(p + vec2(14.0, 0.0), Align2::LEFT_CENTER, "open chain", font.clone(), color);
    p.y += 20.0;
    painter.circle_stroke(p, 7.0, Stroke::new(2.5, COLOR_BLOCK));
    painter.text(p + vec2(14.0, 0.0), Align2::LEFT_CENTER, "blocks a chain", font.clone(), color);
    p.y += 20.0;
    painter.circle_stroke(p, 7.0, Stroke::new(2.0, COLOR_BLANKET));
    painter.text(p + vec2(14.0, 0.0), Align2::LEFT_CENTER, "Markov blanket", font.clone(), color);
    let help = "Double-click: new node · drag: move · Shift+drag node to node: edge · Delete: remove · Ctrl+Z / Ctrl+Y";
    painter.text(rect.left_bottom() + vec2(10.0, -10.0), Align2::LEFT_BOTTOM, help, font, visuals.weak_text_color());
}
