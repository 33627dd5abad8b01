//! A compact, read-only DAG for very large graphs (millions of nodes), used by the `dsep` command.
//!
//! Nodes are dense `u32` ids; parents and children are stored in flat CSR arrays; acyclicity is checked once with
//! Kahn's algorithm. [`Separator`] answers d-separation queries with two iterative Bayes balls (from x and from y)
//! whose per-node marks are one byte of flags per node, cleared with one `memset` per query.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// `FxHash` (the rustc hasher) with a final mix: fast for short keys such as node names.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the low bits (hashbrown's bucket index) poorly mixed: fold the high bits in.
        let h = self.0;
        (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
    }
}

/// Hash map with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Compressed sparse rows: the neighbours of `v` are `targets[offsets[v]..offsets[v + 1]]`.
#[derive(Debug, Clone, Default)]
struct Csr {
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

impl Csr {
    /// Builds rows keyed by `key(edge)` holding `value(edge)`; also returns, for each stored target, the index of
    /// the edge it came from.
    fn build(n: usize, edges: &[(u32, u32)], by_tail: bool) -> (Self, Vec<u32>) {
        let mut offsets = vec![0u32; n + 1];
        for &(u, v) in edges {
            let k = if by_tail { u } else { v };
            offsets[k as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; edges.len()];
        let mut origin = vec![0u32; edges.len()];
        for (e, &(u, v)) in edges.iter().enumerate() {
            let (k, t) = if by_tail { (u, v) } else { (v, u) };
            let slot = &mut fill[k as usize];
            targets[*slot as usize] = t;
            origin[*slot as usize] = e as u32;
            *slot += 1;
        }
        (Self { offsets, targets }, origin)
    }

    fn row(&self, v: u32) -> &[u32] {
        let v = v as usize;
        &self.targets[self.offsets[v] as usize..self.offsets[v + 1] as usize]
    }
}

/// A directed cycle found while building: node ids in edge order (first == last) and the index of the edge, among
/// those given to [`CompactDag::new`], that appears last in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub nodes: Vec<u32>,
    pub last_edge: usize,
}

/// A read-only DAG over dense ids `0..len`.
#[derive(Debug, Clone, Default)]
pub struct CompactDag {
    children: Csr,
    parents: Csr,
    /// Longest directed path from a source to each node, in edges: a topological coordinate that guides queries.
    level: Vec<u32>,
    /// The nodes sorted by level: those of level `l` are `by_level[level_start[l]..level_start[l + 1]]`.
    by_level: Vec<u32>,
    level_start: Vec<u32>,
}

impl CompactDag {
    /// Builds the graph over `n` nodes from `(tail, head)` edges (duplicates allowed).
    ///
    /// # Errors
    /// A directed cycle (self-loops included), reported as a [`Cycle`].
    pub fn new(n: usize, edges: &[(u32, u32)]) -> Result<Self, Cycle> {
        let (children, child_origin) = Csr::build(n, edges, true);
        let (parents, _) = Csr::build(n, edges, false);
        let mut dag = Self { children, parents, ..Self::default() };
        dag.level = dag.check_acyclic(edges, &child_origin)?;
        dag.sort_by_level();
        Ok(dag)
    }

    /// Fills `by_level` and `level_start` (a counting sort of the nodes by level).
    fn sort_by_level(&mut self) {
        let levels = self.level.iter().max().map_or(0, |&l| l as usize + 1);
        let mut start = vec![0u32; levels + 1];
        for &l in &self.level {
            start[l as usize + 1] += 1;
        }
        for l in 0..levels {
            start[l + 1] += start[l];
        }
        let mut fill = start.clone();
        let mut by_level = vec![0u32; self.level.len()];
        for (v, &l) in self.level.iter().enumerate() {
            by_level[fill[l as usize] as usize] = v as u32;
            fill[l as usize] += 1;
        }
        self.by_level = by_level;
        self.level_start = start;
    }

    /// The nodes of level `l`.
    fn at_level(&self, l: u32) -> &[u32] {
        let l = l as usize;
        &self.by_level[self.level_start[l] as usize..self.level_start[l + 1] as usize]
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.children.offsets.len().saturating_sub(1)
    }

    /// Whether the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of edges (duplicates counted).
    pub fn edge_count(&self) -> usize {
        self.children.targets.len()
    }

    pub fn children(&self, v: u32) -> &[u32] {
        self.children.row(v)
    }

    pub fn parents(&self, v: u32) -> &[u32] {
        self.parents.row(v)
    }

    /// Kahn's algorithm; on failure walks backwards through the nodes left over to extract one cycle.
    fn check_acyclic(&self, edges: &[(u32, u32)], child_origin: &[u32]) -> Result<Vec<u32>, Cycle> {
        let n = self.len();
        let mut level = vec![0u32; n];
        let mut indegree: Vec<u32> = (0..n as u32).map(|v| self.parents(v).len() as u32).collect();
        let mut ready: Vec<u32> = (0..n as u32).filter(|&v| indegree[v as usize] == 0).collect();
        let mut done = 0usize;
        while let Some(v) = ready.pop() {
            done += 1;
            for &c in self.children(v) {
                level[c as usize] = level[c as usize].max(level[v as usize] + 1);
                indegree[c as usize] -= 1;
                if indegree[c as usize] == 0 {
                    ready.push(c);
                }
            }
        }
        if done == n {
            return Ok(level);
        }
        // Every node left has a parent that is also left: walk parents until a node repeats.
        let Some(start) = (0..n as u32).find(|&v| indegree[v as usize] > 0) else {
            return Ok(level);
        };
        let mut position = vec![u32::MAX; n];
        let mut walk = vec![start];
        position[start as usize] = 0;
        let mut v = start;
        let cycle_start = loop {
            let Some(&p) = self.parents(v).iter().find(|&&p| indegree[p as usize] > 0) else {
                return Ok(level); // unreachable for a residual node
            };
            if position[p as usize] != u32::MAX {
                break position[p as usize] as usize;
            }
            position[p as usize] = walk.len() as u32;
            walk.push(p);
            v = p;
        };
        // walk[cycle_start..] goes against the edges; close it and reverse into edge order.
        let mut nodes: Vec<u32> = walk[cycle_start..].to_vec();
        nodes.push(nodes[0]);
        nodes.reverse();
        let last_edge = nodes
            .windows(2)
            .filter_map(|w| {
                let (u, t) = (w[0], w[1]);
                let base = self.children.offsets[u as usize] as usize;
                self.children(u).iter().position(|&c| c == t).map(|i| child_origin[base + i] as usize)
            })
            .max()
            .unwrap_or(0)
            .min(edges.len().saturating_sub(1));
        Err(Cycle { nodes, last_edge })
    }
}

const GIVEN: u8 = 1;
/// Given, or an ancestor of the given set. Final for the nodes whose level is at least [`Separator::swept`].
const ANCESTOR: u8 = 2;
/// In the ancestral set of x ∪ y ∪ z (phase 0).
const ANCESTRAL: u8 = 4;
/// Ball marks: reached by the ball from x (or from y), going up (from a child) or down (from a parent).
const UP_X: u8 = 8;
const DOWN_X: u8 = 16;
const UP_Y: u8 = 32;
const DOWN_Y: u8 = 64;
/// Not an ancestor of the given set, as a probe found ([`Separator::probe`]).
const NOT_ANCESTOR: u8 = 128;

/// Nodes of the given set's ancestors that phase 2 sweeps before probing.
const FIRST_SWEEP: usize = 1 << 14;

/// Probe steps a query may take in all before colliders are only decided by sweeping.
const PROBE_BUDGET: usize = 1 << 17;

/// Largest ancestral set of x ∪ y ∪ z that phase 0 collects before giving up.
const ANCESTRAL_BUDGET: usize = 1 << 15;

/// A ball state: node and its mark (which ball, which direction).
type State = (u32, u8);

/// States the best-first phase may expand before the query falls back to the plain depth-first balls.
const BEST_FIRST_BUDGET: usize = 1 << 14;

/// Which ball a mark belongs to: 0 for the ball from x, 1 for the ball from y.
fn side(mark: u8) -> usize {
    usize::from(mark & (UP_Y | DOWN_Y) != 0)
}

fn is_up(mark: u8) -> bool {
    mark & (UP_X | UP_Y) != 0
}

/// The up and down marks of a ball.
fn marks(side: usize) -> (u8, u8) {
    if side == 0 { (UP_X, DOWN_X) } else { (UP_Y, DOWN_Y) }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ball {
    /// The balls met (or one reached the other's start): dependent.
    Hit,
    /// The ball from x (0) or from y (1) has no state left.
    Exhausted(usize),
    /// The best-first budget is spent.
    OutOfBudget,
}

/// Reusable scratch space for d-separation queries on one [`CompactDag`]: one byte of flags per node (given,
/// ancestor of the given set, in the ancestral set, and the up/down marks of two balls), so a node's marks share a
/// cache line and the whole array stays in the CPU cache for graphs of a million nodes.
///
/// Two Bayes balls run at once, one from x and one from y, taking turns (the one that has expanded fewer states
/// goes next). The query is dependent as soon as they meet in an active junction ([`Separator::meets`]), and
/// separated as soon as either runs out: d-separation is symmetric, so either ball alone is complete. A state going
/// down at a node whose level exceeds every level of the other side and of the given set is dropped: from there
/// only descendants are reachable, none of which is on the other side or opens a collider.
///
/// A query runs in up to three phases, all iterative:
/// 0. If x ∪ y ∪ z has at most 32 768 ancestors (no node of level 32 768 or more), the balls run inside that
///    ancestral set with every ancestor of the given set marked (exact, and tiny on graphs where most nodes have few
///    ancestors).
/// 1. Otherwise best-first balls: the state whose level is closest to one of the other side (its level, or just
///    above its deepest child for a source, whose own level says nothing) goes next. Only given nodes open colliders,
///    so every meeting is an active trail; the other colliders wait in a pending list. A ball that runs out without
///    pending colliders answers "separated".
/// 2. After a budget of states (or when a ball ran out with colliders pending), colliders that are ancestors of the
///    given set open too; the pending ones go back in the queues. Whether a node is such an ancestor is decided
///    lazily: the ancestors are marked by a sweep over the levels from the highest given level down (a node's
///    ancestors all have lower levels, so once every level above `l` is swept, the marks at level `l` are final),
///    which goes a bounded way at first, plus bounded breadth-first cones above each given node. A collider below the
///    swept levels is first probed (a depth-first search of its descendants for a marked node, within a step
///    budget); only when that fails does the sweep go down to its level. After another budget the balls go on depth
///    first until they meet or one runs out.
pub struct Separator {
    flags: Vec<u8>,
    /// Per ball: the best-first heap and the depth-first stack.
    heap: [BinaryHeap<Reverse<(u32, u32, u8)>>; 2],
    stack: [Vec<State>; 2],
    /// Per ball: states expanded (the ball that has done less goes next), and states queued.
    expanded: [usize; 2],
    live: [usize; 2],
    /// While set, the balls stay inside the ancestral set (phase 0).
    restrict: bool,
    /// Per ball: the levels it heads for (those of the other side), and the level above which a ball state going
    /// down is dead.
    anchors: [Vec<u32>; 2],
    down_bound: [u32; 2],
    /// Every level at or above this one has been swept: its ancestors of the given set pass the mark to their parents.
    swept: u32,
    /// Probe steps left to this query.
    probe_steps: usize,
    /// The path of the current probe.
    probe_path: Vec<u32>,
    /// Highest level of a given node (0 when none): nodes at this level or above are not ancestors of the given set.
    given_level: u32,
    /// Whether colliders that are ancestors of the given set open (phase 2); before, only given nodes open them and
    /// the others wait in `pending`, counted per ball.
    exact: bool,
    pending: Vec<State>,
    pending_count: [usize; 2],
    /// States the best-first phase may expand (tests lower it to exercise every phase on small graphs).
    best_first_budget: usize,
    /// Largest ancestral set phase 0 handles (tests set 0 to skip it).
    ancestral_budget: usize,
    /// Ancestors phase 2 sweeps before probing, and probe steps per query (tests lower them to exercise probes).
    first_sweep: usize,
    probe_budget: usize,
    /// Work done by the last query: nodes swept or walked for ancestors, ball states expanded, and probe steps.
    pub last_work: (usize, usize, usize),
}

impl Separator {
    pub fn new(dag: &CompactDag) -> Self {
        Self {
            flags: vec![0; dag.len()],
            heap: [BinaryHeap::new(), BinaryHeap::new()],
            stack: [Vec::new(), Vec::new()],
            expanded: [0; 2],
            live: [0; 2],
            restrict: false,
            anchors: [Vec::new(), Vec::new()],
            down_bound: [0; 2],
            swept: 0,
            given_level: 0,
            probe_steps: 0,
            probe_path: Vec::new(),
            exact: false,
            pending: Vec::new(),
            pending_count: [0; 2],
            best_first_budget: BEST_FIRST_BUDGET,
            ancestral_budget: ANCESTRAL_BUDGET,
            first_sweep: FIRST_SWEEP,
            probe_budget: PROBE_BUDGET,
            last_work: (0, 0, 0),
        }
    }

    fn key(&self, dag: &CompactDag, v: u32, side: usize) -> u32 {
        let level = dag.level[v as usize];
        self.anchors[side].iter().map(|&t| t.abs_diff(level)).min().unwrap_or(0)
    }

    /// Whether `v` is given or an ancestor of the given set: sweeps the levels above `v`'s that are not swept yet.
    /// Before phase 2, only whether `v` is given.
    fn opens(&mut self, dag: &CompactDag, v: u32) -> bool {
        if !self.exact {
            return self.flags[v as usize] & ANCESTOR != 0;
        }
        let level = dag.level[v as usize];
        if self.flags[v as usize] & ANCESTOR != 0 || level >= self.given_level {
            return self.flags[v as usize] & ANCESTOR != 0;
        }
        if level + 1 < self.swept
            && let Some(opens) = self.probe(dag, v)
        {
            return opens;
        }
        while self.swept > level + 1 {
            self.sweep_level(dag);
        }
        self.flags[v as usize] & ANCESTOR != 0
    }

    /// Marks, breadth first, up to `first_sweep / |z|` nearest ancestors of each given node, so that probes from
    /// colliders far below the highest given node find a known ancestor near the others.
    fn mark_cones(&mut self, dag: &CompactDag, z: &[u32]) {
        let per_node = self.first_sweep / z.len().max(1);
        let mut queue = std::mem::take(&mut self.probe_path);
        for &v in z {
            queue.clear();
            queue.push(v);
            let mut next = 0;
            while next < queue.len() && queue.len() < per_node {
                let u = queue[next];
                next += 1;
                for &p in dag.parents(u) {
                    if self.flags[p as usize] & ANCESTOR == 0 {
                        self.flags[p as usize] |= ANCESTOR;
                        queue.push(p);
                    }
                }
            }
            self.last_work.0 += queue.len();
        }
        self.probe_path = queue;
    }

    /// Sweeps the next level down: its ancestors of the given set mark their parents.
    fn sweep_level(&mut self, dag: &CompactDag) {
        self.swept -= 1;
        for &u in dag.at_level(self.swept) {
            if self.flags[u as usize] & ANCESTOR != 0 {
                self.last_work.0 += 1;
                for &p in dag.parents(u) {
                    self.flags[p as usize] |= ANCESTOR;
                }
            }
        }
    }

    /// Whether `v` is an ancestor of the given set, by a depth-first search of its descendants (highest level first)
    /// for a node known to be one; `None` when the step budget runs out first. On success the path is marked (all
    /// ancestors); a node whose descendants are all searched without success is marked [`NOT_ANCESTOR`]. Marks are
    /// final at the levels `swept - 1` and above, so the search never enters an unmarked node there.
    fn probe(&mut self, dag: &CompactDag, v: u32) -> Option<bool> {
        if self.flags[v as usize] & NOT_ANCESTOR != 0 {
            return Some(false);
        }
        let final_level = self.swept.saturating_sub(1);
        let mut steps = ((final_level - dag.level[v as usize]) as usize / 2 + 64).min(self.probe_steps);
        self.probe_path.clear();
        self.probe_path.push(v);
        while let Some(&u) = self.probe_path.last() {
            if steps == 0 {
                return None;
            }
            steps -= 1;
            self.probe_steps -= 1;
            self.last_work.2 += 1;
            let mut next: Option<u32> = None;
            for &c in dag.children(u) {
                let f = self.flags[c as usize];
                if f & ANCESTOR != 0 {
                    for &w in &self.probe_path {
                        self.flags[w as usize] |= ANCESTOR;
                    }
                    return Some(true);
                }
                let level = dag.level[c as usize];
                if f & NOT_ANCESTOR == 0 && level < final_level && next.is_none_or(|n| dag.level[n as usize] < level) {
                    next = Some(c);
                }
            }
            // In a DAG the path never meets itself, and a node left is never entered again.
            if let Some(c) = next {
                self.probe_path.push(c);
            } else {
                self.flags[u as usize] |= NOT_ANCESTOR;
                self.probe_path.pop();
            }
        }
        Some(false)
    }

    /// Whether a new state `(v, mark)` joins a state of the other ball at `v` into an active trail from x to y. The
    /// junction is a collider when both balls arrived going down: it is active iff `v` is given or an ancestor of
    /// the given set; any other junction is active iff `v` is not given. (Joining two active walks gives an active
    /// walk, and an active walk implies an active trail.)
    fn meets(&mut self, dag: &CompactDag, (v, mark): State) -> bool {
        let f = self.flags[v as usize];
        let (other_up, other_down) = marks(1 - side(mark));
        if f & (other_up | other_down) == 0 {
            false
        } else if f & GIVEN != 0 {
            !is_up(mark) && f & other_down != 0
        } else {
            is_up(mark) || f & other_up != 0 || self.opens(dag, v)
        }
    }

    /// Marks and queues a state; returns true when it meets the other ball.
    fn push(&mut self, dag: &CompactDag, (v, mark): State, best_first: bool) -> bool {
        let side = side(mark);
        if !is_up(mark) && dag.level[v as usize] > self.down_bound[side] {
            return false;
        }
        let f = &mut self.flags[v as usize];
        if (self.restrict && *f & ANCESTRAL == 0) || *f & mark != 0 {
            return false;
        }
        *f |= mark;
        if self.meets(dag, (v, mark)) {
            return true;
        }
        self.live[side] += 1;
        if best_first {
            let key = self.key(dag, v, side);
            self.heap[side].push(Reverse((key, v, mark)));
        } else {
            self.stack[side].push((v, mark));
        }
        false
    }

    /// Pushes the neighbours of `v` that state `(v, mark)` passes the ball to; true when the balls meet.
    fn expand(&mut self, dag: &CompactDag, (v, mark): State, best_first: bool) -> bool {
        let (up_mark, down_mark) = marks(side(mark));
        let given = self.flags[v as usize] & GIVEN != 0;
        let to_parents = if is_up(mark) { !given } else { self.collider_opens(dag, (v, mark)) };
        if to_parents && !is_up(mark) && self.flags[v as usize] & marks(1 - side(mark)).1 != 0 {
            // An open collider that the other ball also reached going down (before it was known to open).
            return true;
        }
        if to_parents {
            for &p in dag.parents(v) {
                if self.push(dag, (p, up_mark), best_first) {
                    return true;
                }
            }
        }
        if !given {
            for &c in dag.children(v) {
                if self.push(dag, (c, down_mark), best_first) {
                    return true;
                }
            }
        }
        false
    }

    /// Whether a ball arriving at `v` going down passes to its parents; before phase 2, a collider that may open later
    /// is left pending.
    fn collider_opens(&mut self, dag: &CompactDag, (v, mark): State) -> bool {
        let open = self.opens(dag, v);
        if !open && !self.exact && dag.level[v as usize] < self.given_level {
            self.pending.push((v, mark));
            self.pending_count[side(mark)] += 1;
        }
        open
    }

    /// Expands queued states until the balls meet, one runs out, or the best-first budget is spent.
    /// With `best_first_until`, states go to the best-first heaps until that many have been expanded in all.
    fn ball(&mut self, dag: &CompactDag, best_first_until: Option<usize>) -> Ball {
        loop {
            if let Some(side) = (0..2).find(|&s| self.live[s] == 0) {
                return Ball::Exhausted(side);
            }
            if best_first_until.is_some_and(|limit| self.last_work.1 >= limit) {
                return Ball::OutOfBudget;
            }
            let side = usize::from(self.expanded[1] < self.expanded[0]);
            let state = match self.heap[side].pop() {
                Some(Reverse((_, v, mark))) => (v, mark),
                None => match self.stack[side].pop() {
                    Some(s) => s,
                    None => return Ball::Exhausted(side),
                },
            };
            self.live[side] -= 1;
            self.expanded[side] += 1;
            self.last_work.1 += 1;
            if self.expand(dag, state, best_first_until.is_some()) {
                return Ball::Hit;
            }
        }
    }

    /// Clears the scratch space and sets up the flags, anchors and bounds of a query.
    fn reset(&mut self, dag: &CompactDag, x: &[u32], y: &[u32], z: &[u32]) {
        self.flags.fill(0);
        for side in 0..2 {
            self.heap[side].clear();
            self.stack[side].clear();
        }
        self.expanded = [0; 2];
        self.live = [0; 2];
        self.last_work = (0, 0, 0);
        self.restrict = false;
        self.exact = false;
        self.pending.clear();
        self.pending_count = [0; 2];
        for &v in z {
            self.flags[v as usize] |= GIVEN | ANCESTOR;
        }
        let level = |v: &u32| dag.level[*v as usize];
        let z_level = z.iter().map(level).max();
        self.swept = z_level.map_or(0, |l| l + 1);
        self.given_level = z_level.unwrap_or(0);
        for (side, other) in [(0, y), (1, x)] {
            self.down_bound[side] = other.iter().map(level).max().unwrap_or(0).max(z_level.unwrap_or(0));
            let anchors = &mut self.anchors[side];
            anchors.clear();
            for &t in other.iter().take(8) {
                // A source's own level (0) says nothing about where it sits; its deepest child does.
                let below = dag.children(t).iter().map(|&c| dag.level[c as usize] - 1).max();
                if below.is_none() || !dag.parents(t).is_empty() {
                    anchors.push(dag.level[t as usize]);
                }
                anchors.extend(below);
            }
        }
    }

    /// Queues the start states of both balls; true when x and y share a node that is not given.
    fn seed(&mut self, dag: &CompactDag, x: &[u32], y: &[u32], best_first: bool) -> bool {
        for (nodes, mark) in [(x, UP_X), (y, UP_Y)] {
            for &v in nodes {
                if self.flags[v as usize] & GIVEN == 0 && self.push(dag, (v, mark), best_first) {
                    return true;
                }
            }
        }
        false
    }

    /// Whether `x ⊥⊥ y | z` in `dag` (ids must be `< dag.len()`). Same conventions as
    /// [`crate::causal::d_separated`]: nodes of `x` or `y` that are in `z` are dropped, and a node in both `x` and
    /// `y` makes them dependent.
    pub fn d_separated(&mut self, dag: &CompactDag, x: &[u32], y: &[u32], z: &[u32]) -> bool {
        self.reset(dag, x, y, z);
        if let Some(separated) = self.within_ancestors(dag, x, y, z) {
            return separated;
        }
        if self.seed(dag, x, y, true) {
            return false;
        }
        // Phase 1: colliders open only where given.
        match self.ball(dag, Some(self.best_first_budget)) {
            Ball::Hit => return false,
            Ball::Exhausted(side) if self.pending_count[side] == 0 => return true,
            Ball::OutOfBudget if z.is_empty() => return self.finish_depth_first(dag),
            Ball::Exhausted(_) | Ball::OutOfBudget => {}
        }
        // Phase 2: every ancestor of the given set opens; the pending colliders go back in the queues.
        self.exact = true;
        self.probe_steps = self.probe_budget;
        while self.swept > 0 && self.last_work.0 < self.first_sweep {
            self.sweep_level(dag);
        }
        self.mark_cones(dag, z);
        for (v, mark) in std::mem::take(&mut self.pending) {
            let side = side(mark);
            let key = self.key(dag, v, side);
            self.heap[side].push(Reverse((key, v, mark)));
            self.live[side] += 1;
        }
        match self.ball(dag, Some(self.last_work.1 + self.best_first_budget)) {
            Ball::Hit => false,
            Ball::Exhausted(_) => true,
            Ball::OutOfBudget => self.finish_depth_first(dag),
        }
    }

    /// Phase 0: when x ∪ y ∪ z has few ancestors, d-separation in the subgraph they induce is the answer (every
    /// node of a shortest active trail is an ancestor of x ∪ y ∪ z), and the balls stay inside it. `None` when
    /// the ancestral set is larger than [`ANCESTRAL_BUDGET`].
    fn within_ancestors(&mut self, dag: &CompactDag, x: &[u32], y: &[u32], z: &[u32]) -> Option<bool> {
        // A node of level l has at least l ancestors (a longest path to it): no need to walk to know it is too many.
        if x.iter().chain(y).chain(z).any(|&v| dag.level[v as usize] as usize >= self.ancestral_budget) {
            return None;
        }
        let mut walk: Vec<u32> = Vec::new();
        for &v in x.iter().chain(y).chain(z) {
            if self.flags[v as usize] & ANCESTRAL == 0 {
                self.flags[v as usize] |= ANCESTRAL;
                walk.push(v);
            }
        }
        let mut count = 0usize;
        while let Some(v) = walk.pop() {
            count += 1;
            if count > self.ancestral_budget {
                return None;
            }
            for &p in dag.parents(v) {
                if self.flags[p as usize] & ANCESTRAL == 0 {
                    self.flags[p as usize] |= ANCESTRAL;
                    walk.push(p);
                }
            }
        }
        self.last_work.0 += count;
        // Ancestors of z (inside the ancestral set by definition) open colliders: all marked, nothing left to sweep.
        walk.extend_from_slice(z);
        while let Some(v) = walk.pop() {
            for &p in dag.parents(v) {
                if self.flags[p as usize] & ANCESTOR == 0 {
                    self.flags[p as usize] |= ANCESTOR;
                    walk.push(p);
                }
            }
        }
        self.swept = 0;
        self.exact = true;
        self.restrict = true;
        let separated = !self.seed(dag, x, y, false) && self.ball(dag, None) != Ball::Hit;
        self.restrict = false;
        Some(separated)
    }

    /// Moves the heaps to the stacks and runs the balls depth first to the end.
    fn finish_depth_first(&mut self, dag: &CompactDag) -> bool {
        for (heap, stack) in self.heap.iter_mut().zip(&mut self.stack) {
            stack.extend(heap.drain().map(|Reverse((_, v, mark))| (v, mark)));
        }
        self.ball(dag, None) != Ball::Hit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causal::{Dag, NodeId, d_separated};

    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) as usize % n
        }
    }

    /// A random DAG on `n` nodes whose edges go from node a to one of the `window` nodes after it, drawn `tries`
    /// times (duplicates skipped): the editor's `Dag`, its node ids, and the same edges by index.
    fn windowed_graph(rng: &mut Lcg, n: usize, window: usize, tries: usize) -> (Dag, Vec<NodeId>, Vec<(u32, u32)>) {
        let mut dag = Dag::new();
        let ids: Vec<NodeId> = (0..n).map(|i| dag.add_node(&format!("v{i}")).expect("name")).collect();
        let mut edges = Vec::new();
        for _ in 0..tries {
            let a = rng.below(n);
            let b = a + 1 + rng.below(window);
            if b < n && !dag.has_edge(ids[a], ids[b]) {
                dag.add_edge(ids[a], ids[b]).expect("forward edges are acyclic");
                edges.push((a as u32, b as u32));
            }
        }
        (dag, ids, edges)
    }

    #[test]
    fn agrees_with_the_editor_dag_on_random_graphs() {
        let mut rng = Lcg(7);
        for _ in 0..400 {
            let n = 2 + rng.below(9);
            let mut dag = Dag::new();
            let ids: Vec<NodeId> = (0..n).map(|i| dag.add_node(&format!("v{i}")).expect("name")).collect();
            let mut edges = Vec::new();
            for _ in 0..rng.below(3 * n) {
                let (a, b) = (rng.below(n), rng.below(n));
                if a < b && !dag.has_edge(ids[a], ids[b]) {
                    dag.add_edge(ids[a], ids[b]).expect("forward edges are acyclic");
                    edges.push((a as u32, b as u32));
                }
            }
            let compact = CompactDag::new(n, &edges).expect("acyclic");
            let mut sep = Separator::new(&compact);
            for round in 0..30 {
                // Tiny budgets send queries through the fall-back phases too.
                sep.best_first_budget = [BEST_FIRST_BUDGET, 0, 1, 3, 7][round % 5];
                sep.ancestral_budget = if round % 2 == 0 { ANCESTRAL_BUDGET } else { 0 };
                sep.first_sweep = [FIRST_SWEEP, 0, 1][round % 3];
                sep.probe_budget = [PROBE_BUDGET, 2, PROBE_BUDGET, 0][round % 4];
                let pick = |rng: &mut Lcg, k: usize| (0..k).map(|_| rng.below(n)).collect::<Vec<_>>();
                let (kx, ky, kz) = (1 + rng.below(2), 1 + rng.below(2), rng.below(4));
                let (x, y, z) = (pick(&mut rng, kx), pick(&mut rng, ky), pick(&mut rng, kz));
                let as_ids = |v: &[usize]| v.iter().map(|&i| ids[i]).collect::<Vec<_>>();
                let as_u32 = |v: &[usize]| v.iter().map(|&i| i as u32).collect::<Vec<_>>();
                let expected = d_separated(&dag, &as_ids(&x), &as_ids(&y), &as_ids(&z));
                assert_eq!(sep.d_separated(&compact, &as_u32(&x), &as_u32(&y), &as_u32(&z)), expected);
            }
        }
    }

    #[test]
    fn agrees_with_the_editor_dag_on_medium_graphs_in_every_phase() {
        let mut rng = Lcg(11);
        for graph in 0..60 {
            let n = 20 + rng.below(200);
            let (dag, ids, edges) = windowed_graph(&mut rng, n, [3, 10, n][graph % 3], 2 * n);
            let compact = CompactDag::new(n, &edges).expect("acyclic");
            let mut sep = Separator::new(&compact);
            for round in 0..60 {
                sep.best_first_budget = [BEST_FIRST_BUDGET, 2, 20][round % 3];
                sep.ancestral_budget = [ANCESTRAL_BUDGET, 0, 10, 0][round % 4];
                // No first sweep: colliders are decided by probes (of every length), then by the sweep.
                sep.first_sweep = [FIRST_SWEEP, 0, 0, 5, 0][round % 5];
                sep.probe_budget = [PROBE_BUDGET, 3, 40, PROBE_BUDGET][round % 4];
                let pick = |rng: &mut Lcg, k: usize| (0..k).map(|_| rng.below(n)).collect::<Vec<_>>();
                let (kx, ky, kz) = (1 + rng.below(3), 1 + rng.below(3), rng.below(6));
                let (x, y, z) = (pick(&mut rng, kx), pick(&mut rng, ky), pick(&mut rng, kz));
                let as_ids = |v: &[usize]| v.iter().map(|&i| ids[i]).collect::<Vec<_>>();
                let as_u32 = |v: &[usize]| v.iter().map(|&i| i as u32).collect::<Vec<_>>();
                let expected = d_separated(&dag, &as_ids(&x), &as_ids(&y), &as_ids(&z));
                let got = sep.d_separated(&compact, &as_u32(&x), &as_u32(&y), &as_u32(&z));
                assert_eq!(got, expected, "graph {graph}, round {round}: {x:?} ⊥⊥ {y:?} | {z:?}");
            }
        }
    }

    /// Long thin graphs (paths hundreds of nodes long) with every phase forced: phase 2 decides colliders by probes
    /// of every length, both successful and failing, before sweeping.
    #[test]
    fn agrees_with_the_editor_dag_on_long_graphs_with_probes() {
        let mut rng = Lcg(23);
        let mut probe_steps = 0;
        for graph in 0..12 {
            let n = 300 + rng.below(900);
            let (dag, ids, edges) = windowed_graph(&mut rng, n, [4, 12, 30][graph % 3], 3 * n);
            let compact = CompactDag::new(n, &edges).expect("acyclic");
            let mut sep = Separator::new(&compact);
            sep.ancestral_budget = 0;
            for round in 0..80 {
                sep.best_first_budget = [0, 5, 60, BEST_FIRST_BUDGET][round % 4];
                sep.first_sweep = [0, 3, 0][round % 3];
                sep.probe_budget = [PROBE_BUDGET, 10, PROBE_BUDGET, 100, 1][round % 5];
                let pick = |rng: &mut Lcg, k: usize| (0..k).map(|_| rng.below(n)).collect::<Vec<_>>();
                let kz = 1 + rng.below(4);
                let (x, y, z) = (pick(&mut rng, 1), pick(&mut rng, 1), pick(&mut rng, kz));
                let as_ids = |v: &[usize]| v.iter().map(|&i| ids[i]).collect::<Vec<_>>();
                let as_u32 = |v: &[usize]| v.iter().map(|&i| i as u32).collect::<Vec<_>>();
                let expected = d_separated(&dag, &as_ids(&x), &as_ids(&y), &as_ids(&z));
                let got = sep.d_separated(&compact, &as_u32(&x), &as_u32(&y), &as_u32(&z));
                assert_eq!(got, expected, "graph {graph}, round {round}: {x:?} ⊥⊥ {y:?} | {z:?}");
                probe_steps += sep.last_work.2;
            }
        }
        assert!(probe_steps > 0, "no query probed");
    }

    #[test]
    fn cycles_are_found_and_named() {
        let edges = [(0, 1), (1, 2), (3, 0), (2, 0)];
        let err = CompactDag::new(4, &edges).expect_err("cycle");
        assert_eq!(err.nodes.first(), err.nodes.last());
        assert_eq!(err.nodes.len(), 4);
        assert_eq!(err.last_edge, 3);
        let err = CompactDag::new(2, &[(1, 1)]).expect_err("self-loop");
        assert_eq!(err.nodes, [1, 1]);
    }

    #[test]
    fn long_paths_do_not_recurse() {
        let n = 200_000u32;
        let edges: Vec<(u32, u32)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        let dag = CompactDag::new(n as usize, &edges).expect("a path");
        let mut sep = Separator::new(&dag);
        assert!(!sep.d_separated(&dag, &[0], &[n - 1], &[]));
        assert!(sep.d_separated(&dag, &[0], &[n - 1], &[n / 2]));
    }
}
