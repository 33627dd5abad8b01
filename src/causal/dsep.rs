//! d-separation: a linear-time test, an enumerator of chains with the reason
//! each one is blocked, and the independencies a DAG implies.
//!
//! Conventions shared by all functions: unknown ids are ignored, nodes of `a`
//! or `b` that are also in `c` are dropped (a given variable is independent of
//! everything), and a node in both `a` and `b` makes them dependent.

use std::collections::BTreeSet;
use std::fmt;

use super::dag::{Dag, NodeId};

/// Dense membership mask over node ids.
fn mask(dag: &Dag, ids: &[NodeId], exclude: &[bool]) -> Vec<bool> {
    let mut m = vec![false; dag.id_bound()];
    for &id in ids {
        if dag.contains(id) && !exclude.get(id.0).copied().unwrap_or(false) {
            m[id.0] = true;
        }
    }
    m
}

/// Nodes that are in `given` or have a descendant in it.
fn ancestors_inclusive(dag: &Dag, given: &[bool]) -> Vec<bool> {
    let mut anc = given.to_vec();
    let mut stack: Vec<NodeId> = dag.nodes().filter(|v| given[v.0]).collect();
    while let Some(v) = stack.pop() {
        for &p in dag.parents(v) {
            if !anc[p.0] {
                anc[p.0] = true;
                stack.push(p);
            }
        }
    }
    anc
}

/// Whether `a ⫫ b | c` holds in every distribution that factorises over
/// `dag`, i.e. every chain between `a` and `b` is blocked by `c`.
///
/// Runs in O(V + E): the reachability ("Bayes ball") algorithm of Koller &
/// Friedman, *Probabilistic Graphical Models*, Alg. 3.1.
#[must_use]
pub fn d_separated(dag: &Dag, a: &[NodeId], b: &[NodeId], c: &[NodeId]) -> bool {
    let n = dag.id_bound();
    let given = mask(dag, c, &[]);
    let target = mask(dag, b, &given);
    let opens_collider = ancestors_inclusive(dag, &given);

    // visited[0]: reached going up (from a child); visited[1]: going down.
    let mut visited = [vec![false; n], vec![false; n]];
    let mut stack: Vec<(NodeId, bool)> =
        a.iter().filter(|x| dag.contains(**x) && !given[x.0]).map(|&x| (x, true)).collect();
    while let Some((y, up)) = stack.pop() {
        let seen = &mut visited[usize::from(!up)][y.0];
        if *seen {
            continue;
        }
        *seen = true;
        if !given[y.0] && target[y.0] {
            return false;
        }
        if up {
            // Arrived from a child: y is a chain or fork node.
            if !given[y.0] {
                stack.extend(dag.parents(y).iter().map(|&p| (p, true)));
                stack.extend(dag.children(y).iter().map(|&ch| (ch, false)));
            }
        } else {
            // Arrived from a parent: chain onwards, or collider upwards.
            if !given[y.0] {
                stack.extend(dag.children(y).iter().map(|&ch| (ch, false)));
            }
            if opens_collider[y.0] {
                stack.extend(dag.parents(y).iter().map(|&p| (p, true)));
            }
        }
    }
    true
}

/// Direction of one edge along a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeDir {
    /// `nodes[i] → nodes[i + 1]`.
    Forward,
    /// `nodes[i] ← nodes[i + 1]`.
    Backward,
}

impl EdgeDir {
    /// The arrow as drawn between the two nodes: `→` or `←`.
    #[must_use]
    pub const fn arrow(self) -> &'static str {
        match self {
            Self::Forward => "→",
            Self::Backward => "←",
        }
    }
}

/// Which d-separation rule blocks a chain at a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockRule {
    /// Head-to-tail (`→ m →` or `← m ←`) and `m` is given.
    ChainInConditioningSet,
    /// Tail-to-tail (`← m →`) and `m` is given.
    ForkInConditioningSet,
    /// Head-to-head (`→ m ←`) and neither `m` nor any descendant is given.
    ColliderNotConditioned,
}

/// The first node along a chain that blocks it, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Blocker {
    /// The blocking node.
    pub node: NodeId,
    /// The rule that applies there.
    pub rule: BlockRule,
}

/// A simple undirected path from a node of `a` to a node of `b`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// Nodes from the `a` end to the `b` end.
    pub nodes: Vec<NodeId>,
    /// `edges[i]` joins `nodes[i]` and `nodes[i + 1]`.
    pub edges: Vec<EdgeDir>,
    /// `None` when the chain is open (d-connecting).
    pub blocked_by: Option<Blocker>,
}

impl Chain {
    /// Whether the chain is open, i.e. not blocked.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.blocked_by.is_none()
    }

    /// The chain drawn with arrows, e.g. `a → e ← f → b`.
    #[must_use]
    pub fn render(&self, dag: &Dag) -> String {
        let mut s = self.nodes.first().map(|&v| dag.label(v)).unwrap_or_default();
        for (dir, &v) in self.edges.iter().zip(self.nodes.iter().skip(1)) {
            s.push(' ');
            s.push_str(dir.arrow());
            s.push(' ');
            s.push_str(&dag.label(v));
        }
        s
    }

    /// One-line explanation, e.g. `a → e ← f → b: blocked at e (collider e,
    /// and neither e nor its descendants {c} are given)`.
    #[must_use]
    pub fn explain(&self, dag: &Dag) -> String {
        let path = self.render(dag);
        let Some(Blocker { node, rule }) = self.blocked_by else {
            let why = match self.nodes.len() {
                0 | 1 => "the node is on both sides",
                2 => "a direct edge is never blocked",
                _ => "no non-collider on it is given, and every collider is given or has a given descendant",
            };
            return format!("{path}: open ({why})");
        };
        let m = dag.label(node);
        let why = match rule {
            BlockRule::ChainInConditioningSet => format!("chain through {m}, which is given"),
            BlockRule::ForkInConditioningSet => format!("fork at {m}, which is given"),
            BlockRule::ColliderNotConditioned => {
                let desc = dag.descendants(node);
                if desc.is_empty() {
                    format!("collider {m} is not given and has no descendants")
                } else {
                    format!("collider {m}, and neither {m} nor its descendants {} are given", dag.label_set(desc))
                }
            }
        };
        format!("{path}: blocked at {m} ({why})")
    }
}

struct ChainSearch<'a> {
    dag: &'a Dag,
    given: Vec<bool>,
    in_a: Vec<bool>,
    in_b: Vec<bool>,
    opens_collider: Vec<bool>,
    cap: usize,
    /// Search steps left; bounds the time spent on large, dense graphs.
    steps_left: usize,
    on_path: Vec<bool>,
    nodes: Vec<NodeId>,
    edges: Vec<EdgeDir>,
    out: Vec<Chain>,
}

impl ChainSearch<'_> {
    fn dfs(&mut self) {
        let Some(&here) = self.nodes.last() else {
            return;
        };
        let dag = self.dag;
        let steps = dag
            .children(here)
            .iter()
            .map(|&v| (v, EdgeDir::Forward))
            .chain(dag.parents(here).iter().map(|&v| (v, EdgeDir::Backward)));
        for (next, dir) in steps {
            if self.out.len() >= self.cap || self.steps_left == 0 {
                return;
            }
            self.steps_left -= 1;
            if self.on_path[next.0] || (self.in_a[next.0] && !self.in_b[next.0]) {
                continue;
            }
            self.nodes.push(next);
            self.edges.push(dir);
            if self.in_b[next.0] {
                self.out.push(Chain {
                    nodes: self.nodes.clone(),
                    edges: self.edges.clone(),
                    blocked_by: self.blocker(),
                });
            } else {
                self.on_path[next.0] = true;
                self.dfs();
                self.on_path[next.0] = false;
            }
            self.nodes.pop();
            self.edges.pop();
        }
    }

    /// First blocking interior node of the current path.
    fn blocker(&self) -> Option<Blocker> {
        self.edges.windows(2).enumerate().find_map(|(i, w)| {
            let node = self.nodes[i + 1];
            let rule = match (w[0], w[1]) {
                (EdgeDir::Forward, EdgeDir::Backward) => {
                    (!self.opens_collider[node.0]).then_some(BlockRule::ColliderNotConditioned)
                }
                (EdgeDir::Backward, EdgeDir::Forward) => self.given[node.0].then_some(BlockRule::ForkInConditioningSet),
                _ => self.given[node.0].then_some(BlockRule::ChainInConditioningSet),
            }?;
            Some(Blocker { node, rule })
        })
    }
}

/// Edges the chain enumerator may follow in one call (about a millisecond of work per 10 000).
pub const MAX_CHAIN_STEPS: usize = 200_000;

/// Lists up to `cap` simple chains from a node of `a` to a node of `b`, each
/// with the first node that blocks it given `c`. Meant for small graphs: the
/// number of chains can grow exponentially, so the search also stops after
/// [`MAX_CHAIN_STEPS`] edges (large graphs may then list fewer chains).
///
/// Interior nodes avoid `a` and `b` (a longer chain through another endpoint
/// is open only if its sub-chains are), so `a ⫫ b | c` holds exactly when all
/// chains are blocked (with a cap large enough to list them all).
#[must_use]
pub fn chains(dag: &Dag, a: &[NodeId], b: &[NodeId], c: &[NodeId], cap: usize) -> Vec<Chain> {
    let given = mask(dag, c, &[]);
    let in_a = mask(dag, a, &given);
    let in_b = mask(dag, b, &given);
    let mut search = ChainSearch {
        dag,
        opens_collider: ancestors_inclusive(dag, &given),
        given,
        on_path: vec![false; dag.id_bound()],
        in_a,
        in_b,
        cap,
        steps_left: MAX_CHAIN_STEPS,
        nodes: Vec::new(),
        edges: Vec::new(),
        out: Vec::new(),
    };
    let starts: Vec<NodeId> = dag.nodes().filter(|v| search.in_a[v.0]).collect();
    for start in starts {
        if search.out.len() >= cap {
            break;
        }
        if search.in_b[start.0] {
            search.out.push(Chain { nodes: vec![start], edges: Vec::new(), blocked_by: None });
            continue;
        }
        search.on_path[start.0] = true;
        search.nodes.push(start);
        search.dfs();
        search.nodes.clear();
        search.on_path[start.0] = false;
    }
    search.out
}

/// A conditional independence statement `a ⊥⊥ b | given` (written with two ⊥ so that every font can show it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Independence {
    /// One side (the smaller id).
    pub a: NodeId,
    /// The other side.
    pub b: NodeId,
    /// Conditioning set, sorted by id.
    pub given: Vec<NodeId>,
    /// Name of `a`.
    pub a_name: String,
    /// Name of `b`.
    pub b_name: String,
    /// Names of `given`, same order.
    pub given_names: Vec<String>,
}

impl fmt::Display for Independence {
    /// `a ⊥⊥ b | {c, d}`, or `a ⊥⊥ b` when nothing is given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ⊥⊥ {}", self.a_name, self.b_name)?;
        if !self.given.is_empty() {
            write!(f, " | {{{}}}", self.given_names.join(", "))?;
        }
        Ok(())
    }
}

/// The local Markov basis as pairwise statements: for every node `v` and every
/// non-descendant `u` of `v` that is not a parent, `u ⫫ v | parents(v)`.
/// Deduplicated and sorted by `(a, b, given)` ids.
#[must_use]
pub fn implied_independencies(dag: &Dag) -> Vec<Independence> {
    let mut found: BTreeSet<(NodeId, NodeId, Vec<NodeId>)> = BTreeSet::new();
    for v in dag.nodes() {
        let desc = dag.descendants(v);
        let mut parents = dag.parents(v).to_vec();
        parents.sort_unstable();
        for u in dag.nodes() {
            if u == v || desc.contains(&u) || parents.contains(&u) {
                continue;
            }
            found.insert((u.min(v), u.max(v), parents.clone()));
        }
    }
    found
        .into_iter()
        .map(|(a, b, given)| Independence {
            a_name: dag.label(a),
            b_name: dag.label(b),
            given_names: given.iter().map(|&g| dag.label(g)).collect(),
            a,
            b,
            given,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic 64-bit LCG (Knuth's MMIX constants).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next()).expect("fits") % n
        }

        fn shuffle<T>(&mut self, v: &mut [T]) {
            for i in (1..v.len()).rev() {
                v.swap(i, self.below(i + 1));
            }
        }
    }

    fn dag(edges: &[(&str, &str)]) -> Dag {
        Dag::from_edges(edges).expect("valid DAG")
    }

    fn ids(d: &Dag, names: &[&str]) -> Vec<NodeId> {
        names.iter().map(|n| d.find(n).expect("node exists")).collect()
    }

    fn indep(d: &Dag, a: &[&str], b: &[&str], c: &[&str]) -> bool {
        let fast = d_separated(d, &ids(d, a), &ids(d, b), &ids(d, c));
        assert_eq!(fast, oracle(d, &ids(d, a), &ids(d, b), &ids(d, c)));
        fast
    }

    /// Depth-first search over simple undirected paths; stops at the first
    /// path to `goal` accepted by `found`.
    fn any_path(
        edge: &[Vec<bool>],
        path: &mut Vec<usize>,
        goal: usize,
        found: &mut dyn FnMut(&[usize]) -> bool,
    ) -> bool {
        let here = *path.last().expect("non-empty");
        if here == goal {
            return found(path);
        }
        for next in 0..edge.len() {
            if (edge[here][next] || edge[next][here]) && !path.contains(&next) {
                path.push(next);
                let hit = any_path(edge, path, goal, found);
                path.pop();
                if hit {
                    return true;
                }
            }
        }
        false
    }

    /// Brute force: enumerate every simple undirected path and apply the
    /// blocking rules directly, using an adjacency matrix of its own.
    fn oracle(dag: &Dag, a: &[NodeId], b: &[NodeId], c: &[NodeId]) -> bool {
        let size = dag.id_bound();
        let mut edge = vec![vec![false; size]; size];
        for (u, v) in dag.edges() {
            edge[u.0][v.0] = true;
        }
        // reach[u][v]: v is u or a descendant of u (Floyd–Warshall closure).
        let mut reach = edge.clone();
        for (i, row) in reach.iter_mut().enumerate() {
            row[i] = true;
        }
        for k in 0..size {
            for i in 0..size {
                for j in 0..size {
                    if reach[i][k] && reach[k][j] {
                        reach[i][j] = true;
                    }
                }
            }
        }
        let given = |x: usize| c.iter().any(|z| z.0 == x);
        let active = |path: &[usize]| {
            path.windows(3).all(|w| {
                let (prev, mid, next) = (w[0], w[1], w[2]);
                if edge[prev][mid] && edge[next][mid] {
                    (0..size).any(|dd| reach[mid][dd] && given(dd))
                } else {
                    !given(mid)
                }
            })
        };
        for x in a.iter().map(|v| v.0).filter(|&x| !given(x)) {
            for y in b.iter().map(|v| v.0).filter(|&y| !given(y)) {
                if any_path(&edge, &mut vec![x], y, &mut |p: &[usize]| active(p)) {
                    return false;
                }
            }
        }
        true
    }

    /// Subsets of `pool` with at most `k` elements.
    fn subsets(pool: &[NodeId], k: usize) -> Vec<Vec<NodeId>> {
        let mut out = vec![Vec::new()];
        for mask in 1u32..(1 << pool.len()) {
            if mask.count_ones() as usize <= k {
                out.push((0..pool.len()).filter(|i| mask & (1 << i) != 0).map(|i| pool[i]).collect());
            }
        }
        out
    }

    /// Builds the DAG with edges `rank i → rank j` for the set bits of `mask`,
    /// inserting nodes and edges in a random order so ids differ from ranks.
    fn random_dag(n: usize, mask: u32, rng: &mut Lcg) -> Dag {
        let pairs: Vec<(usize, usize)> = (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).collect();
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        let mut d = Dag::new();
        for r in &order {
            d.add_node(&format!("v{r}")).expect("fresh name");
        }
        let mut edges: Vec<(usize, usize)> =
            pairs.iter().enumerate().filter(|(k, _)| mask & (1 << k) != 0).map(|(_, &p)| p).collect();
        rng.shuffle(&mut edges);
        for (i, j) in edges {
            let (u, v) = (d.find(&format!("v{i}")).expect("node"), d.find(&format!("v{j}")).expect("node"));
            d.add_edge(u, v).expect("acyclic by construction");
        }
        d
    }

    #[test]
    fn agrees_with_brute_force_on_all_small_dags() {
        let mut rng = Lcg(0x5eed);
        let mut checked = 0usize;
        for n in 1..=5usize {
            let n_pairs = n * (n - 1) / 2;
            for mask in 0u32..(1 << n_pairs) {
                let d = random_dag(n, mask, &mut rng);
                let all: Vec<NodeId> = d.nodes().collect();
                for &x in &all {
                    for &y in &all {
                        if x == y {
                            continue;
                        }
                        let rest: Vec<NodeId> = all.iter().copied().filter(|&v| v != x && v != y).collect();
                        for c in subsets(&rest, 2) {
                            let fast = d_separated(&d, &[x], &[y], &c);
                            assert_eq!(
                                fast,
                                oracle(&d, &[x], &[y], &c),
                                "{} ⫫ {} | {} in {:?}",
                                d.label(x),
                                d.label(y),
                                d.label_set(c.iter().copied()),
                                d.edges().collect::<Vec<_>>()
                            );
                            let listed = chains(&d, &[x], &[y], &c, usize::MAX);
                            assert_eq!(fast, listed.iter().all(|ch| !ch.is_open()));
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 100_000, "checked {checked}");
    }

    #[test]
    fn agrees_with_brute_force_for_node_sets() {
        let mut rng = Lcg(42);
        for _ in 0..300 {
            let mask = u32::try_from(rng.below(1 << 10)).expect("small");
            let d = random_dag(5, mask, &mut rng);
            let all: Vec<NodeId> = d.nodes().collect();
            for a in subsets(&all, 2).into_iter().filter(|s| !s.is_empty()) {
                let rest: Vec<NodeId> = all.iter().copied().filter(|v| !a.contains(v)).collect();
                for b in subsets(&rest, 2).into_iter().filter(|s| !s.is_empty()) {
                    let rest2: Vec<NodeId> = rest.iter().copied().filter(|v| !b.contains(v)).collect();
                    for c in subsets(&rest2, 2) {
                        let fast = d_separated(&d, &a, &b, &c);
                        assert_eq!(fast, oracle(&d, &a, &b, &c));
                        let listed = chains(&d, &a, &b, &c, usize::MAX);
                        assert_eq!(fast, listed.iter().all(|ch| !ch.is_open()));
                    }
                }
            }
        }
    }

    fn fig_8_22() -> Dag {
        dag(&[("a", "e"), ("f", "e"), ("f", "b"), ("e", "c")])
    }

    #[test]
    fn bishop_fig_8_22() {
        let d = fig_8_22();
        assert!(!indep(&d, &["a"], &["b"], &["c"]));
        assert!(indep(&d, &["a"], &["b"], &["f"]));
        assert!(indep(&d, &["a"], &["b"], &[]));
        assert!(!indep(&d, &["a"], &["b"], &["e"]));
        assert!(indep(&d, &["a"], &["b"], &["e", "f"]));
    }

    #[test]
    fn chain_x1_x2_x3() {
        let d = dag(&[("x1", "x2"), ("x2", "x3")]);
        assert!(indep(&d, &["x1"], &["x3"], &["x2"]));
        assert!(!indep(&d, &["x1"], &["x3"], &[]));
        let [ch] = &chains(&d, &ids(&d, &["x1"]), &ids(&d, &["x3"]), &ids(&d, &["x2"]), 10)[..] else {
            panic!("exactly one chain");
        };
        assert_eq!(ch.blocked_by.map(|b| b.rule), Some(BlockRule::ChainInConditioningSet));
        assert_eq!(ch.explain(&d), "x1 → x2 → x3: blocked at x2 (chain through x2, which is given)");
        // Reversed direction reads as ← ←, still a chain.
        let back = chains(&d, &ids(&d, &["x3"]), &ids(&d, &["x1"]), &ids(&d, &["x2"]), 10);
        assert_eq!(back[0].render(&d), "x3 ← x2 ← x1");
        assert_eq!(back[0].blocked_by.map(|b| b.rule), Some(BlockRule::ChainInConditioningSet));
    }

    #[test]
    fn fork() {
        let d = dag(&[("m", "x"), ("m", "y")]);
        assert!(!indep(&d, &["x"], &["y"], &[]));
        assert!(indep(&d, &["x"], &["y"], &["m"]));
        let ch = &chains(&d, &ids(&d, &["x"]), &ids(&d, &["y"]), &ids(&d, &["m"]), 10)[0];
        assert_eq!(ch.blocked_by.map(|b| b.rule), Some(BlockRule::ForkInConditioningSet));
        assert_eq!(ch.explain(&d), "x ← m → y: blocked at m (fork at m, which is given)");
    }

    #[test]
    fn collider() {
        let d = dag(&[("x", "m"), ("y", "m")]);
        assert!(indep(&d, &["x"], &["y"], &[]));
        assert!(!indep(&d, &["x"], &["y"], &["m"]));
        let ch = &chains(&d, &ids(&d, &["x"]), &ids(&d, &["y"]), &[], 10)[0];
        assert_eq!(ch.blocked_by.map(|b| b.rule), Some(BlockRule::ColliderNotConditioned));
        assert_eq!(ch.explain(&d), "x → m ← y: blocked at m (collider m is not given and has no descendants)");
    }

    #[test]
    fn collider_with_descendant() {
        let d = dag(&[("x", "m"), ("y", "m"), ("m", "d"), ("d", "dd")]);
        assert!(indep(&d, &["x"], &["y"], &[]));
        assert!(!indep(&d, &["x"], &["y"], &["d"]));
        assert!(!indep(&d, &["x"], &["y"], &["dd"]));
        let ch = &chains(&d, &ids(&d, &["x"]), &ids(&d, &["y"]), &ids(&d, &["dd"]), 10)[0];
        assert!(ch.is_open());
        assert!(ch.explain(&d).starts_with("x → m ← y: open ("));
    }

    #[test]
    fn explain_fig_8_22() {
        let d = fig_8_22();
        let listed = chains(&d, &ids(&d, &["a"]), &ids(&d, &["b"]), &ids(&d, &["f"]), 10);
        assert_eq!(listed.len(), 1);
        assert_eq!(
            listed[0].explain(&d),
            "a → e ← f → b: blocked at e (collider e, and neither e nor its descendants {c} are given)"
        );
        let open = chains(&d, &ids(&d, &["a"]), &ids(&d, &["b"]), &ids(&d, &["c"]), 10);
        assert!(open[0].is_open());
        assert_eq!(open[0].edges, [EdgeDir::Forward, EdgeDir::Backward, EdgeDir::Forward]);
    }

    #[test]
    fn chains_respects_cap() {
        // Complete DAG on 5 nodes has many chains between its ends.
        let mut d = Dag::new();
        let v: Vec<NodeId> = (0..5).map(|i| d.add_node(&format!("n{i}")).expect("name")).collect();
        for i in 0..5 {
            for j in i + 1..5 {
                d.add_edge(v[i], v[j]).expect("acyclic");
            }
        }
        assert_eq!(chains(&d, &[v[0]], &[v[4]], &[], usize::MAX).len(), 16);
        assert_eq!(chains(&d, &[v[0]], &[v[4]], &[], 3).len(), 3);
        assert!(chains(&d, &[v[0]], &[v[4]], &[], 0).is_empty());
    }

    #[test]
    fn set_conventions() {
        let d = dag(&[("x", "y")]);
        let (x, y) = (ids(&d, &["x"])[0], ids(&d, &["y"])[0]);
        assert!(d_separated(&d, &[x], &[y], &[x]), "a given node is independent");
        assert!(!d_separated(&d, &[x], &[x], &[]), "a node depends on itself");
        assert!(d_separated(&d, &[], &[y], &[]));
        assert!(d_separated(&d, &[NodeId(7)], &[y], &[NodeId(9)]), "unknown ids ignored");
        let same = chains(&d, &[x], &[x], &[], 10);
        assert_eq!(same.len(), 1);
        assert!(same[0].is_open());
    }

    #[test]
    fn works_after_node_removal() {
        let mut d = dag(&[("x", "m"), ("m", "y"), ("x", "z"), ("z", "y")]);
        let m = ids(&d, &["m"])[0];
        d.remove_node(m).expect("remove");
        assert!(indep(&d, &["x"], &["y"], &["z"]));
        assert!(!indep(&d, &["x"], &["y"], &[]));
    }

    #[test]
    fn implied_independencies_of_chain() {
        let d = dag(&[("x1", "x2"), ("x2", "x3")]);
        let list: Vec<String> = implied_independencies(&d).iter().map(ToString::to_string).collect();
        assert_eq!(list, ["x1 ⊥⊥ x3 | {x2}"]);
    }

    #[test]
    fn implied_independencies_hold_and_display() {
        let d = fig_8_22();
        let list = implied_independencies(&d);
        assert!(!list.is_empty());
        for s in &list {
            assert!(d_separated(&d, &[s.a], &[s.b], &s.given), "{s}");
        }
        let text: Vec<String> = list.iter().map(ToString::to_string).collect();
        assert!(text.contains(&"a ⊥⊥ f".to_owned()), "{text:?}");
        assert!(text.contains(&"a ⊥⊥ b | {f}".to_owned()), "{text:?}");
        assert!(text.contains(&"f ⊥⊥ c | {e}".to_owned()), "{text:?}");
        let mut dedup = text.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), text.len());
    }

    #[test]
    fn independence_display_lists_given_set() {
        let s = Independence {
            a: NodeId(0),
            b: NodeId(1),
            given: vec![NodeId(2), NodeId(3)],
            a_name: "a".into(),
            b_name: "b".into(),
            given_names: vec!["c".into(), "d".into()],
        };
        assert_eq!(s.to_string(), "a ⊥⊥ b | {c, d}");
    }
}
