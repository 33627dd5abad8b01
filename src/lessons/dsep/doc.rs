//! The edited graph: the DAG, where each node is drawn, the marked sets A, B, C, and the undo history.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use eframe::egui::{Pos2, Vec2, pos2};

use crate::causal::text::LoadedGraph;
use crate::causal::{CausalError, Dag, NodeId};

/// Canvas points per `DAGitty` position unit.
const POS_UNIT: f32 = 100.0;

/// Which set a node is marked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    A,
    B,
    C,
}

impl SetKind {
    pub const ALL: [Self; 3] = [Self::A, Self::B, Self::C];

    pub fn label(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C (given)",
        }
    }
}

/// Most nodes the editor draws (a graph for a lecture has tens; past this a drawing is no longer readable).
pub const MAX_EDITOR_NODES: usize = 2_000;
/// Most edges the editor draws.
pub const MAX_EDITOR_EDGES: usize = 10_000;

/// A graph as drawn: the DAG, node positions (canvas coordinates relative to its top-left) and the three sets.
#[derive(Debug, Clone, Default)]
pub struct GraphDoc {
    pub dag: Dag,
    /// Indexed by node id; `None` for removed ids.
    pub pos: Vec<Option<Pos2>>,
    pub a: BTreeSet<NodeId>,
    pub b: BTreeSet<NodeId>,
    pub c: BTreeSet<NodeId>,
}

impl GraphDoc {
    /// A document for `dag` laid out in layers (each node one row below its lowest parent).
    pub fn laid_out(dag: Dag) -> Self {
        let mut doc = Self { dag, ..Self::default() };
        doc.layout();
        doc
    }

    /// Places every node: row = longest path from a source, nodes of a row spread evenly.
    pub fn layout(&mut self) {
        let order = self.dag.topological_order();
        let mut layer = vec![0usize; self.dag.id_bound()];
        for &v in &order {
            for &c in self.dag.children(v) {
                layer[c.index()] = layer[c.index()].max(layer[v.index()] + 1);
            }
        }
        let mut per_layer: Vec<usize> = Vec::new();
        self.pos = vec![None; self.dag.id_bound()];
        for &v in &order {
            let l = layer[v.index()];
            if per_layer.len() <= l {
                per_layer.resize(l + 1, 0);
            }
            let k = per_layer[l];
            per_layer[l] += 1;
            // Stagger odd rows so edges between rows do not hide behind nodes.
            let x = 90.0 + 130.0 * k as f32 + if l % 2 == 1 { 40.0 } else { 0.0 };
            self.pos[v.index()] = Some(pos2(x, 70.0 + 110.0 * l as f32));
        }
    }

    /// A document for a parsed file: nodes with a `pos` attribute go there, the others are laid out.
    ///
    /// # Errors
    /// A node name the editor does not accept.
    pub fn from_loaded(graph: &LoadedGraph<'_>) -> Result<Self, CausalError> {
        // `to_dag` adds the nodes in id order, so file id i becomes NodeId(i).
        let mut doc = Self::laid_out(graph.to_dag()?);
        if !graph.positions.is_empty() {
            let min_x = graph.positions.iter().map(|(_, p)| p[0]).fold(f32::INFINITY, f32::min) * POS_UNIT;
            let min_y = graph.positions.iter().map(|(_, p)| p[1]).fold(f32::INFINITY, f32::min) * POS_UNIT;
            // Keep coordinates as written unless some would fall off the canvas.
            let shift =
                Vec2::new(if min_x < 20.0 { 60.0 - min_x } else { 0.0 }, if min_y < 20.0 { 60.0 - min_y } else { 0.0 });
            for &(id, [x, y]) in &graph.positions {
                doc.set_pos(NodeId(id as usize), pos2(x * POS_UNIT, y * POS_UNIT) + shift);
            }
        }
        Ok(doc)
    }

    /// Parses graph text (`DAGitty` or DOT) into a document, refusing a graph larger than the editor draws with a
    /// message that says where such a graph can be asked about. Linear in the size of the text.
    pub fn from_text(text: &str) -> Result<Self, String> {
        let graph = crate::causal::text::parse_graph(text).map_err(|e| e.to_string())?;
        let (nodes, edges) = (graph.index.len(), graph.dag.edge_count());
        if nodes > MAX_EDITOR_NODES || edges > MAX_EDITOR_EDGES {
            return Err(format!(
                "the graph has {nodes} nodes and {edges} edges, more than the editor draws ({MAX_EDITOR_NODES} nodes, \
                 {MAX_EDITOR_EDGES} edges). The command line answers queries on graphs of any size: \
                 latent-lab dsep FILE < queries.txt"
            ));
        }
        Self::from_loaded(&graph).map_err(|e| e.to_string())
    }

    /// `DAGitty` text with each node's position as `pos="x,y"`, so a saved layout comes back.
    pub fn to_dagitty(&self) -> String {
        let mut s = String::from("dag {\n");
        for v in self.dag.nodes() {
            let p = self.pos(v);
            let name = self.dag.name(v).unwrap_or_default();
            let _ = writeln!(s, "  {name} [pos=\"{:.2},{:.2}\"]", p.x / POS_UNIT, p.y / POS_UNIT);
        }
        for (u, v) in self.dag.edges() {
            let (from, to) = (self.dag.name(u).unwrap_or_default(), self.dag.name(v).unwrap_or_default());
            let _ = writeln!(s, "  {from} -> {to}");
        }
        s.push_str("}\n");
        s
    }

    pub fn pos(&self, id: NodeId) -> Pos2 {
        self.pos.get(id.index()).copied().flatten().unwrap_or(pos2(60.0, 60.0))
    }

    pub fn set_pos(&mut self, id: NodeId, p: Pos2) {
        if self.pos.len() <= id.index() {
            self.pos.resize(id.index() + 1, None);
        }
        self.pos[id.index()] = Some(p);
    }

    pub fn move_by(&mut self, id: NodeId, delta: Vec2) {
        let p = self.pos(id) + delta;
        self.set_pos(id, pos2(p.x.max(20.0), p.y.max(20.0)));
    }

    /// Adds a node with a fresh name (`v1`, `v2`, …) at `at`.
    pub fn add_node(&mut self, at: Pos2) -> Option<NodeId> {
        // One of v1 ..= v(n+1) is free.
        let name = (1..=self.dag.len() + 1).map(|i| format!("v{i}")).find(|n| self.dag.find(n).is_none())?;
        let id = self.dag.add_node(&name).ok()?;
        self.set_pos(id, at);
        Some(id)
    }

    pub fn remove_node(&mut self, id: NodeId) -> Result<(), CausalError> {
        self.dag.remove_node(id)?;
        for set in [&mut self.a, &mut self.b, &mut self.c] {
            set.remove(&id);
        }
        if let Some(p) = self.pos.get_mut(id.index()) {
            *p = None;
        }
        Ok(())
    }

    pub fn set(&self, kind: SetKind) -> &BTreeSet<NodeId> {
        match kind {
            SetKind::A => &self.a,
            SetKind::B => &self.b,
            SetKind::C => &self.c,
        }
    }

    /// Which set `id` is in, if any (the sets are kept disjoint).
    pub fn membership(&self, id: NodeId) -> Option<SetKind> {
        SetKind::ALL.into_iter().find(|&k| self.set(k).contains(&id))
    }

    /// Puts `id` into `kind`, or takes it out if it is already there; a node is in at most one set.
    pub fn toggle(&mut self, id: NodeId, kind: SetKind) {
        let was = self.membership(id);
        for set in [&mut self.a, &mut self.b, &mut self.c] {
            set.remove(&id);
        }
        if was != Some(kind) {
            match kind {
                SetKind::A => self.a.insert(id),
                SetKind::B => self.b.insert(id),
                SetKind::C => self.c.insert(id),
            };
        }
    }

    /// Marks the named nodes (unknown names are ignored); used by presets.
    pub fn mark(&mut self, kind: SetKind, names: &[&str]) {
        for n in names {
            if let Some(id) = self.dag.find(n) {
                self.toggle(id, kind);
            }
        }
    }

    /// `{a, b}` for a set, in id order.
    pub fn names(&self, kind: SetKind) -> String {
        let names: Vec<&str> = self.set(kind).iter().filter_map(|&id| self.dag.name(id)).collect();
        format!("{{{}}}", names.join(", "))
    }
}

/// Undo/redo by snapshots (graphs here have at most a few hundred nodes).
#[derive(Debug, Default)]
pub struct History {
    undo: Vec<GraphDoc>,
    redo: Vec<GraphDoc>,
}

const MAX_UNDO: usize = 200;

impl History {
    /// Records `before` (the state prior to an edit).
    pub fn record(&mut self, before: GraphDoc) {
        if self.undo.len() == MAX_UNDO {
            self.undo.remove(0);
        }
        self.undo.push(before);
        self.redo.clear();
    }

    pub fn undo(&mut self, current: &mut GraphDoc) -> bool {
        let Some(prev) = self.undo.pop() else { return false };
        self.redo.push(std::mem::replace(current, prev));
        true
    }

    pub fn redo(&mut self, current: &mut GraphDoc) -> bool {
        let Some(next) = self.redo.pop() else { return false };
        self.undo.push(std::mem::replace(current, next));
        true
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphs_past_the_editor_limit_are_refused_with_the_command_that_takes_them() {
        let chain = |n: usize| {
            let edges = (0..n - 1).fold(String::new(), |mut text, i| {
                let _ = writeln!(text, "v{i} -> v{}", i + 1);
                text
            });
            format!("dag {{\n{edges}}}\n")
        };
        let fits = GraphDoc::from_text(&chain(MAX_EDITOR_NODES)).expect("at the limit");
        assert_eq!(fits.dag.len(), MAX_EDITOR_NODES);
        let err = GraphDoc::from_text(&chain(30_000)).unwrap_err();
        assert!(err.contains("30000 nodes") && err.contains("latent-lab dsep FILE"), "{err}");
        assert!(GraphDoc::from_text("dag { a -> b -> a }").unwrap_err().contains("cycle"));
    }

    #[test]
    fn sets_stay_disjoint_and_toggle() {
        let mut doc = GraphDoc::laid_out(Dag::from_edges(&[("a", "b")]).expect("valid"));
        let a = doc.dag.find("a").expect("a");
        doc.toggle(a, SetKind::A);
        doc.toggle(a, SetKind::C);
        assert_eq!(doc.membership(a), Some(SetKind::C));
        doc.toggle(a, SetKind::C);
        assert_eq!(doc.membership(a), None);
    }

    #[test]
    fn undo_and_redo_restore_snapshots() {
        let mut doc = GraphDoc::default();
        let mut h = History::default();
        h.record(doc.clone());
        let v = doc.add_node(pos2(10.0, 10.0)).expect("fresh name");
        assert_eq!(doc.dag.name(v), Some("v1"));
        assert!(h.undo(&mut doc));
        assert!(doc.dag.is_empty());
        assert!(h.redo(&mut doc));
        assert_eq!(doc.dag.len(), 1);
        assert!(!h.redo(&mut doc));
    }

    #[test]
    fn positions_survive_a_dagitty_round_trip() {
        let mut doc = GraphDoc::laid_out(Dag::from_edges(&[("a", "b"), ("c", "b")]).expect("valid"));
        let b = doc.dag.find("b").expect("b");
        doc.set_pos(b, pos2(333.0, 222.0));
        let text = doc.to_dagitty();
        assert!(text.contains("b [pos=\"3.33,2.22\"]"), "{text}");
        let back = GraphDoc::from_text(&text).expect("valid");
        for v in doc.dag.nodes() {
            let name = doc.dag.name(v).expect("name");
            let w = back.dag.find(name).expect("same names");
            assert!(doc.pos(v).distance(back.pos(w)) < 1.0, "{name}");
        }
        assert_eq!(back.dag.edge_count(), 2);
    }

    #[test]
    fn layout_puts_children_below_parents() {
        let doc = GraphDoc::laid_out(Dag::from_edges(&[("a", "b"), ("b", "c"), ("a", "c")]).expect("valid"));
        let y = |n: &str| doc.pos(doc.dag.find(n).expect("node")).y;
        assert!(y("a") < y("b") && y("b") < y("c"));
    }
}
