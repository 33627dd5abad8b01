//! The live answer: is A ⊥⊥ B | C, and every chain between A and B with the reason it is open or blocked.

use std::collections::HashSet;

use super::doc::{GraphDoc, SetKind};
use crate::causal::{EdgeDir, NodeId, chains, d_separated, intervene};

/// Chains listed at most (the answer itself never depends on this cap).
pub const MAX_CHAINS: usize = 40;

/// One chain, ready to draw and to list.
#[derive(Debug, Clone)]
pub struct ChainView {
    pub text: String,
    pub open: bool,
    /// Edges along the chain as drawn, `(tail, head)`.
    pub edges: Vec<(NodeId, NodeId)>,
    pub blocker: Option<NodeId>,
}

/// The answer for the current sets.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// `None` until A and B both have a node.
    pub separated: Option<bool>,
    pub headline: String,
    pub chains: Vec<ChainView>,
    /// More chains exist than are listed.
    pub truncated: bool,
    /// Edges on at least one open chain.
    pub open_edges: HashSet<(NodeId, NodeId)>,
    /// Nodes where a listed chain is blocked.
    pub blockers: HashSet<NodeId>,
    /// With do(A): the arrows into A that the intervention cut.
    pub cut_edges: HashSet<(NodeId, NodeId)>,
}

/// The query as text, e.g. `{a} ⊥⊥ {b} | {c}`.
pub fn query_text(doc: &GraphDoc) -> String {
    let mut q = format!("{} ⊥⊥ {}", doc.names(SetKind::A), doc.names(SetKind::B));
    if !doc.c.is_empty() {
        q.push_str(" | ");
        q.push_str(&doc.names(SetKind::C));
    }
    q
}

/// Computes the answer (d-separation in linear time; chains enumerated up to [`MAX_CHAINS`]); with `do_a`, in
/// the graph after the intervention do(A), whose arrows into A are cut.
pub fn compute(doc: &GraphDoc, do_a: bool) -> Answer {
    if doc.a.is_empty() || doc.b.is_empty() {
        return Answer {
            headline: "Mark at least one node in A and one in B to ask whether A ⊥⊥ B | C.".into(),
            ..Answer::default()
        };
    }
    let (a, b, c): (Vec<NodeId>, Vec<NodeId>, Vec<NodeId>) =
        (doc.a.iter().copied().collect(), doc.b.iter().copied().collect(), doc.c.iter().copied().collect());
    let (dag, cut) = if do_a { intervene(&doc.dag, &a) } else { (doc.dag.clone(), Vec::new()) };
    let separated = d_separated(&dag, &a, &b, &c);
    let listed = chains(&dag, &a, &b, &c, MAX_CHAINS + 1);
    let truncated = listed.len() > MAX_CHAINS;
    let after = if do_a {
        let arrows = if cut.is_empty() {
            "no arrow to cut".to_owned()
        } else {
            format!("{} arrow{} cut", cut.len(), if cut.len() == 1 { "" } else { "s" })
        };
        format!("After do({}) ({arrows}): ", doc.names(SetKind::A))
    } else {
        String::new()
    };
    let mut answer = Answer {
        separated: Some(separated),
        headline: if separated {
            format!("{after}{}: yes, d-separated (every chain is blocked)", query_text(doc))
        } else {
            format!("{after}{}: no, not d-separated (an open chain connects them)", query_text(doc))
        },
        truncated,
        cut_edges: cut.into_iter().collect(),
        ..Answer::default()
    };
    for ch in listed.into_iter().take(MAX_CHAINS) {
        let edges: Vec<(NodeId, NodeId)> = ch
            .edges
            .iter()
            .zip(ch.nodes.windows(2))
            .map(|(dir, w)| match dir {
                EdgeDir::Forward => (w[0], w[1]),
                EdgeDir::Backward => (w[1], w[0]),
            })
            .collect();
        let blocker = ch.blocked_by.map(|b| b.node);
        if ch.is_open() {
            answer.open_edges.extend(edges.iter().copied());
        }
        answer.blockers.extend(blocker);
        answer.chains.push(ChainView { text: ch.explain(&dag), open: ch.is_open(), edges, blocker });
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::super::presets::PRESETS;
    use super::*;

    #[test]
    fn bishop_answer_reads_well() {
        let doc = PRESETS[0].build();
        let ans = compute(&doc, false);
        assert_eq!(ans.separated, Some(false));
        assert_eq!(ans.headline, "{a} ⊥⊥ {b} | {c}: no, not d-separated (an open chain connects them)");
        assert_eq!(ans.chains.len(), 1);
        assert!(ans.chains[0].open);
        assert_eq!(ans.open_edges.len(), 3);
        assert!(!ans.headline.contains('⫫'));
    }

    #[test]
    fn do_a_answers_in_the_cut_graph() {
        // Fork x ← m → y with nothing given: x and y are dependent; do(x) cuts m → x and separates them.
        let fork = PRESETS.iter().find(|p| p.label == "Fork").unwrap();
        let mut doc = fork.build();
        doc.c.clear();
        assert_eq!(compute(&doc, false).separated, Some(false));
        let after = compute(&doc, true);
        assert_eq!(after.separated, Some(true));
        assert_eq!(
            after.headline,
            "After do({x}) (1 arrow cut): {x} ⊥⊥ {y}: yes, d-separated (every chain is blocked)"
        );
        let (m, x) = (doc.dag.find("m").unwrap(), doc.dag.find("x").unwrap());
        assert_eq!(after.cut_edges, HashSet::from([(m, x)]));
        assert!(after.chains.is_empty(), "no chain joins x and y once m → x is cut");
        // A chain x → m → y is untouched by do(x): still open.
        let chain = PRESETS.iter().find(|p| p.label == "Chain").unwrap();
        let mut doc = chain.build();
        doc.c.clear();
        assert_eq!(compute(&doc, true).separated, Some(false));
        assert!(compute(&doc, true).headline.contains("no arrow to cut"));
    }
}
