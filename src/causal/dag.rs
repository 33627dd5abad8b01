//! Directed acyclic graphs with named nodes.
//!
//! Node ids are stable: removing a node leaves a hole instead of renumbering
//! the others, so ids held by a UI stay valid. The graph is acyclic at all
//! times because [`Dag::add_edge`] refuses any edge that would close a cycle.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::fmt;

/// Stable handle to a node of a [`Dag`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub usize);

impl NodeId {
    /// The slot index, usable to index dense per-node arrays of length
    /// [`Dag::id_bound`].
    #[must_use]
    pub const fn index(self) -> usize {
        self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Errors from editing, parsing or querying causal graphs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CausalError {
    /// A name that is empty or not made of `[A-Za-z0-9_]`.
    #[error("invalid node name {0:?}: use only letters, digits and underscores")]
    InvalidName(String),
    /// Another node already has this name.
    #[error("a node named {0} already exists")]
    DuplicateName(String),
    /// No node has this name.
    #[error("there is no node named {0}")]
    UnknownName(String),
    /// The id does not refer to a live node.
    #[error("node {0} does not exist")]
    UnknownNode(NodeId),
    /// An edge from a node to itself.
    #[error("edge {0} → {0} would be a self-loop")]
    SelfLoop(String),
    /// The edge is already present.
    #[error("edge {from} → {to} already exists")]
    DuplicateEdge {
        /// Tail name.
        from: String,
        /// Head name.
        to: String,
    },
    /// The edge to remove is not present.
    #[error("there is no edge {from} → {to}")]
    MissingEdge {
        /// Tail name.
        from: String,
        /// Head name.
        to: String,
    },
    /// Adding the edge would close a directed cycle. `path` lists the cycle
    /// starting and ending at the new edge's head, e.g. `[a, b, c, a]` for
    /// the new edge `c → a`.
    #[error("{}", cycle_message(.path))]
    WouldCreateCycle {
        /// Node names along the cycle, first == last.
        path: Vec<String>,
    },
    /// Malformed `DAGitty` text; `line` and `column` are 1-based.
    #[error("line {line}, column {column}: {message}")]
    Parse {
        /// 1-based line.
        line: usize,
        /// 1-based column, counted in characters.
        column: usize,
        /// What went wrong.
        message: String,
    },
}

fn cycle_message(path: &[String]) -> String {
    match path {
        [.., from, to] => format!("edge {from} → {to} would close the cycle {}", path.join(" → ")),
        _ => "the edge would close a cycle".to_owned(),
    }
}

/// Whether `name` is a valid node name: non-empty, only `[A-Za-z0-9_]`.
#[must_use]
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[derive(Debug, Clone)]
struct Node {
    name: String,
    parents: Vec<NodeId>,
    children: Vec<NodeId>,
}

/// A directed acyclic graph with unique, identifier-like node names.
#[derive(Debug, Clone, Default)]
pub struct Dag {
    nodes: Vec<Option<Node>>,
    by_name: HashMap<String, NodeId>,
}

impl Dag {
    /// An empty graph.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a graph from `(from, to)` name pairs, creating nodes on first use.
    ///
    /// # Errors
    /// Invalid names, self-loops, duplicate edges or cycles.
    pub fn from_edges(edges: &[(&str, &str)]) -> Result<Self, CausalError> {
        let mut dag = Self::new();
        for &(from, to) in edges {
            let f = dag.ensure_node(from)?;
            let t = dag.ensure_node(to)?;
            dag.add_edge(f, t)?;
        }
        Ok(dag)
    }

    /// Number of live nodes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether the graph has no nodes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// One past the largest id ever handed out; size for dense per-node arrays.
    #[must_use]
    pub fn id_bound(&self) -> usize {
        self.nodes.len()
    }

    /// Whether `id` refers to a live node.
    #[must_use]
    pub fn contains(&self, id: NodeId) -> bool {
        self.node(id).is_some()
    }

    /// Live node ids in increasing order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.nodes.iter().enumerate().filter(|(_, n)| n.is_some()).map(|(i, _)| NodeId(i))
    }

    /// All edges `(from, to)`, grouped by tail in id order.
    pub fn edges(&self) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        self.nodes().flat_map(move |u| self.children(u).iter().map(move |&v| (u, v)))
    }

    /// Number of edges.
    #[must_use]
    pub fn edge_count(&self) -> usize {
        self.nodes.iter().flatten().map(|n| n.children.len()).sum()
    }

    /// Name of a node, `None` for a dead or unknown id.
    #[must_use]
    pub fn name(&self, id: NodeId) -> Option<&str> {
        self.node(id).map(|n| n.name.as_str())
    }

    /// Id of the node called `name`.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.by_name.get(name).copied()
    }

    /// Adds a node.
    ///
    /// # Errors
    /// [`CausalError::InvalidName`] or [`CausalError::DuplicateName`].
    pub fn add_node(&mut self, name: &str) -> Result<NodeId, CausalError> {
        self.check_new_name(name)?;
        let id = NodeId(self.nodes.len());
        self.nodes.push(Some(Node { name: name.to_owned(), parents: Vec::new(), children: Vec::new() }));
        self.by_name.insert(name.to_owned(), id);
        Ok(id)
    }

    /// The node called `name`, added if missing.
    ///
    /// # Errors
    /// [`CausalError::InvalidName`].
    pub fn ensure_node(&mut self, name: &str) -> Result<NodeId, CausalError> {
        match self.find(name) {
            Some(id) => Ok(id),
            None => self.add_node(name),
        }
    }

    /// Renames a node; renaming to its current name is a no-op.
    ///
    /// # Errors
    /// Unknown id, invalid or taken name.
    pub fn rename_node(&mut self, id: NodeId, name: &str) -> Result<(), CausalError> {
        let old = self.name(id).ok_or(CausalError::UnknownNode(id))?;
        if old == name {
            return Ok(());
        }
        self.check_new_name(name)?;
        let old = old.to_owned();
        self.by_name.remove(&old);
        self.by_name.insert(name.to_owned(), id);
        if let Some(node) = self.node_mut(id) {
            name.clone_into(&mut node.name);
        }
        Ok(())
    }

    /// Removes a node and its edges. Other ids stay valid.
    ///
    /// # Errors
    /// [`CausalError::UnknownNode`].
    pub fn remove_node(&mut self, id: NodeId) -> Result<(), CausalError> {
        let node = self.nodes.get_mut(id.0).and_then(Option::take).ok_or(CausalError::UnknownNode(id))?;
        for p in &node.parents {
            if let Some(pn) = self.node_mut(*p) {
                pn.children.retain(|&c| c != id);
            }
        }
        for c in &node.children {
            if let Some(cn) = self.node_mut(*c) {
                cn.parents.retain(|&p| p != id);
            }
        }
        self.by_name.remove(&node.name);
        Ok(())
    }

    /// Adds the edge `from → to`.
    ///
    /// # Errors
    /// Unknown ids, [`CausalError::SelfLoop`], [`CausalError::DuplicateEdge`],
    /// or [`CausalError::WouldCreateCycle`] naming the shortest cycle closed.
    pub fn add_edge(&mut self, from: NodeId, to: NodeId) -> Result<(), CausalError> {
        let from_name = self.name(from).ok_or(CausalError::UnknownNode(from))?;
        let to_name = self.name(to).ok_or(CausalError::UnknownNode(to))?;
        if from == to {
            return Err(CausalError::SelfLoop(from_name.to_owned()));
        }
        if self.has_edge(from, to) {
            return Err(CausalError::DuplicateEdge { from: from_name.to_owned(), to: to_name.to_owned() });
        }
        if let Some(mut path) = self.directed_path(to, from) {
            path.push(to);
            return Err(CausalError::WouldCreateCycle { path: path.iter().map(|&id| self.label(id)).collect() });
        }
        if let Some(n) = self.node_mut(from) {
            n.children.push(to);
        }
        if let Some(n) = self.node_mut(to) {
            n.parents.push(from);
        }
        Ok(())
    }

    /// Adds `from → to` without the duplicate and cycle checks of [`Dag::add_edge`], for the edges of a graph
    /// already known to be acyclic and free of duplicates (a parsed file, checked by [`super::compact::CompactDag`]),
    /// so that building it is linear in its size. Unknown ids and self-loops are ignored.
    pub(crate) fn push_checked_edge(&mut self, from: NodeId, to: NodeId) {
        if from == to || self.node(from).is_none() || self.node(to).is_none() {
            return;
        }
        if let Some(n) = self.node_mut(from) {
            n.children.push(to);
        }
        if let Some(n) = self.node_mut(to) {
            n.parents.push(from);
        }
    }

    /// Removes the edge `from → to`.
    ///
    /// # Errors
    /// Unknown ids or [`CausalError::MissingEdge`].
    pub fn remove_edge(&mut self, from: NodeId, to: NodeId) -> Result<(), CausalError> {
        let from_name = self.name(from).ok_or(CausalError::UnknownNode(from))?;
        let to_name = self.name(to).ok_or(CausalError::UnknownNode(to))?;
        if !self.has_edge(from, to) {
            return Err(CausalError::MissingEdge { from: from_name.to_owned(), to: to_name.to_owned() });
        }
        if let Some(n) = self.node_mut(from) {
            n.children.retain(|&c| c != to);
        }
        if let Some(n) = self.node_mut(to) {
            n.parents.retain(|&p| p != from);
        }
        Ok(())
    }

    /// Whether the edge `from → to` exists.
    #[must_use]
    pub fn has_edge(&self, from: NodeId, to: NodeId) -> bool {
        self.children(from).contains(&to)
    }

    /// Parents in insertion order (empty for an unknown id).
    #[must_use]
    pub fn parents(&self, id: NodeId) -> &[NodeId] {
        self.node(id).map_or(&[], |n| &n.parents)
    }

    /// Children in insertion order (empty for an unknown id).
    #[must_use]
    pub fn children(&self, id: NodeId) -> &[NodeId] {
        self.node(id).map_or(&[], |n| &n.children)
    }

    /// Proper ancestors (excluding `id` itself).
    #[must_use]
    pub fn ancestors(&self, id: NodeId) -> BTreeSet<NodeId> {
        self.closure(id, |n| &n.parents)
    }

    /// Proper descendants (excluding `id` itself).
    #[must_use]
    pub fn descendants(&self, id: NodeId) -> BTreeSet<NodeId> {
        self.closure(id, |n| &n.children)
    }

    /// Markov blanket: parents, children and the children's other parents.
    #[must_use]
    pub fn markov_blanket(&self, id: NodeId) -> BTreeSet<NodeId> {
        let mut mb: BTreeSet<NodeId> = self.parents(id).iter().copied().collect();
        for &c in self.children(id) {
            mb.insert(c);
            mb.extend(self.parents(c).iter().copied());
        }
        mb.remove(&id);
        mb
    }

    /// A topological order of all live nodes; ties go to the smaller id.
    #[must_use]
    pub fn topological_order(&self) -> Vec<NodeId> {
        let mut indegree = vec![0usize; self.id_bound()];
        let mut ready = BinaryHeap::new();
        for v in self.nodes() {
            indegree[v.0] = self.parents(v).len();
            if indegree[v.0] == 0 {
                ready.push(Reverse(v));
            }
        }
        let mut order = Vec::with_capacity(self.len());
        while let Some(Reverse(v)) = ready.pop() {
            order.push(v);
            for &c in self.children(v) {
                indegree[c.0] -= 1;
                if indegree[c.0] == 0 {
                    ready.push(Reverse(c));
                }
            }
        }
        order
    }

    /// Name for messages: the node's name, or its id if it is gone.
    pub(crate) fn label(&self, id: NodeId) -> String {
        self.name(id).map_or_else(|| id.to_string(), str::to_owned)
    }

    /// `{a, b}` with names in the given order.
    pub(crate) fn label_set(&self, ids: impl IntoIterator<Item = NodeId>) -> String {
        let names: Vec<String> = ids.into_iter().map(|id| self.label(id)).collect();
        format!("{{{}}}", names.join(", "))
    }

    fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.0).and_then(Option::as_ref)
    }

    fn node_mut(&mut self, id: NodeId) -> Option<&mut Node> {
        self.nodes.get_mut(id.0).and_then(Option::as_mut)
    }

    fn check_new_name(&self, name: &str) -> Result<(), CausalError> {
        if !is_valid_name(name) {
            return Err(CausalError::InvalidName(name.to_owned()));
        }
        if self.by_name.contains_key(name) {
            return Err(CausalError::DuplicateName(name.to_owned()));
        }
        Ok(())
    }

    fn closure(&self, id: NodeId, next: impl Fn(&Node) -> &[NodeId]) -> BTreeSet<NodeId> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<NodeId> = self.node(id).map(&next).unwrap_or_default().to_vec();
        while let Some(v) = stack.pop() {
            if seen.insert(v)
                && let Some(n) = self.node(v)
            {
                stack.extend_from_slice(next(n));
            }
        }
        seen
    }

    /// Shortest directed path `start ⇝ goal` (both included), by BFS.
    fn directed_path(&self, start: NodeId, goal: NodeId) -> Option<Vec<NodeId>> {
        let mut pred: Vec<Option<NodeId>> = vec![None; self.id_bound()];
        let mut queue = VecDeque::from([start]);
        let mut seen = vec![false; self.id_bound()];
        seen[start.0] = true;
        while let Some(v) = queue.pop_front() {
            if v == goal {
                let mut path = vec![v];
                let mut cur = v;
                while let Some(p) = pred[cur.0] {
                    path.push(p);
                    cur = p;
                }
                path.reverse();
                return Some(path);
            }
            for &c in self.children(v) {
                if !seen[c.0] {
                    seen[c.0] = true;
                    pred[c.0] = Some(v);
                    queue.push_back(c);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(d: &Dag, name: &str) -> NodeId {
        d.find(name).expect("node exists")
    }

    fn names(d: &Dag, ids: impl IntoIterator<Item = NodeId>) -> Vec<String> {
        ids.into_iter().map(|i| d.label(i)).collect()
    }

    fn fig_8_22() -> Dag {
        Dag::from_edges(&[("a", "e"), ("f", "e"), ("f", "b"), ("e", "c")]).expect("valid DAG")
    }

    #[test]
    fn cycle_refusal_names_the_cycle() {
        let mut d = Dag::from_edges(&[("a", "b"), ("b", "c")]).expect("valid");
        let err = d.add_edge(id(&d, "c"), id(&d, "a")).expect_err("cycle");
        assert_eq!(err, CausalError::WouldCreateCycle { path: vec!["a".into(), "b".into(), "c".into(), "a".into()] });
        assert_eq!(err.to_string(), "edge c → a would close the cycle a → b → c → a");
        assert_eq!(d.edge_count(), 2);
    }

    #[test]
    fn cycle_message_uses_shortest_cycle() {
        let mut d = Dag::from_edges(&[("a", "b"), ("b", "c"), ("c", "d"), ("a", "d")]).expect("valid");
        let err = d.add_edge(id(&d, "d"), id(&d, "a")).expect_err("cycle");
        assert_eq!(err.to_string(), "edge d → a would close the cycle a → d → a");
    }

    #[test]
    fn self_loops_and_duplicates_refused() {
        let mut d = Dag::from_edges(&[("a", "b")]).expect("valid");
        let (a, b) = (id(&d, "a"), id(&d, "b"));
        assert_eq!(d.add_edge(a, a), Err(CausalError::SelfLoop("a".into())));
        assert!(matches!(d.add_edge(a, b), Err(CausalError::DuplicateEdge { .. })));
        assert_eq!(d.edge_count(), 1);
    }

    #[test]
    fn names_are_validated_and_unique() {
        let mut d = Dag::new();
        for bad in ["", "a b", "x-y", "é", "a→b"] {
            assert_eq!(d.add_node(bad), Err(CausalError::InvalidName(bad.into())));
        }
        let a = d.add_node("a_1").expect("valid");
        assert_eq!(d.add_node("a_1"), Err(CausalError::DuplicateName("a_1".into())));
        let b = d.add_node("B2").expect("valid");
        assert!(matches!(d.rename_node(b, "a_1"), Err(CausalError::DuplicateName(_))));
        assert!(matches!(d.rename_node(b, "no way"), Err(CausalError::InvalidName(_))));
        d.rename_node(b, "b").expect("rename");
        d.rename_node(a, "a_1").expect("same name is a no-op");
        assert_eq!(d.find("b"), Some(b));
        assert_eq!(d.find("B2"), None);
        assert_eq!(d.name(b), Some("b"));
    }

    #[test]
    fn remove_node_keeps_other_ids() {
        let mut d = Dag::from_edges(&[("a", "b"), ("b", "c"), ("a", "c")]).expect("valid");
        let (a, b, c) = (id(&d, "a"), id(&d, "b"), id(&d, "c"));
        d.remove_node(b).expect("remove");
        assert_eq!(d.len(), 2);
        assert!(!d.contains(b));
        assert_eq!(d.children(a), &[c]);
        assert_eq!(d.parents(c), &[a]);
        assert_eq!(d.remove_node(b), Err(CausalError::UnknownNode(b)));
        assert_eq!(d.add_edge(a, b), Err(CausalError::UnknownNode(b)));
        let b2 = d.add_node("b").expect("name is free again");
        assert_ne!(b2, b);
        assert_eq!(d.edges().collect::<Vec<_>>(), vec![(a, c)]);
    }

    #[test]
    fn remove_edge_works_and_reports_missing() {
        let mut d = Dag::from_edges(&[("a", "b")]).expect("valid");
        let (a, b) = (id(&d, "a"), id(&d, "b"));
        assert!(matches!(d.remove_edge(b, a), Err(CausalError::MissingEdge { .. })));
        d.remove_edge(a, b).expect("present");
        assert_eq!(d.edge_count(), 0);
        d.add_edge(b, a).expect("no cycle any more");
    }

    #[test]
    fn ancestors_descendants_and_topological_order() {
        let d = fig_8_22();
        let e = id(&d, "e");
        assert_eq!(names(&d, d.ancestors(e)), ["a", "f"]);
        assert_eq!(names(&d, d.descendants(id(&d, "f"))), ["e", "b", "c"]);
        assert!(d.descendants(id(&d, "c")).is_empty());
        let order = d.topological_order();
        assert_eq!(order.len(), d.len());
        let pos = |v: NodeId| order.iter().position(|&x| x == v).expect("in order");
        for (u, v) in d.edges() {
            assert!(pos(u) < pos(v));
        }
    }

    #[test]
    fn markov_blanket_fig_8_22() {
        let d = fig_8_22();
        let mut mb = names(&d, d.markov_blanket(id(&d, "e")));
        mb.sort();
        assert_eq!(mb, ["a", "c", "f"]);
        let mut mb = names(&d, d.markov_blanket(id(&d, "f")));
        mb.sort();
        assert_eq!(mb, ["a", "b", "e"]);
        let mut mb = names(&d, d.markov_blanket(id(&d, "a")));
        mb.sort();
        assert_eq!(mb, ["e", "f"]);
    }

    #[test]
    fn unknown_ids_are_harmless_in_queries() {
        let d = fig_8_22();
        let ghost = NodeId(99);
        assert!(d.parents(ghost).is_empty());
        assert!(d.ancestors(ghost).is_empty());
        assert!(d.markov_blanket(ghost).is_empty());
        assert_eq!(d.name(ghost), None);
    }
}
