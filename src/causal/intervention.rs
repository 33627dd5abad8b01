//! Interventions: do(X) replaces each node of X by a value set from outside, so the arrows into X are cut
//! (Pearl's mutilated graph G_do(X)). d-separation in that graph answers questions about the intervened model.

use super::{Dag, NodeId};

/// The graph after do(`on`): every arrow into a node of `on` removed, everything else kept (node ids too).
/// Returns it with the arrows that were cut, `(parent, node)`, in the order of `on` and of the parents.
#[must_use]
pub fn intervene(dag: &Dag, on: &[NodeId]) -> (Dag, Vec<(NodeId, NodeId)>) {
    let mut cut_graph = dag.clone();
    let mut cut = Vec::new();
    for &node in on {
        for parent in dag.parents(node).to_vec() {
            if cut_graph.remove_edge(parent, node).is_ok() {
                cut.push((parent, node));
            }
        }
    }
    (cut_graph, cut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causal::d_separated;

    fn ids(dag: &Dag, names: &[&str]) -> Vec<NodeId> {
        names.iter().filter_map(|n| dag.find(n)).collect()
    }

    #[test]
    fn do_x_removes_confounding_but_keeps_the_effect() {
        // u confounds x and y; x also causes y.
        let dag = Dag::from_edges(&[("u", "x"), ("u", "y"), ("x", "y")]).unwrap();
        let (cut_graph, cut) = intervene(&dag, &ids(&dag, &["x"]));
        assert_eq!(cut, vec![(dag.find("u").unwrap(), dag.find("x").unwrap())]);
        let (x, u, y) = (ids(&dag, &["x"]), ids(&dag, &["u"]), ids(&dag, &["y"]));
        assert!(!d_separated(&dag, &x, &u, &[]), "observed: x and its cause u are dependent");
        assert!(d_separated(&cut_graph, &x, &u, &[]), "after do(x): x no longer listens to u");
        assert!(!d_separated(&cut_graph, &x, &y, &[]), "x still causes y");
        // Back-door: given u, x ⊥⊥ y in the graph without x → y; do(x) leaves x → y, the only open chain.
        assert!(cut_graph.has_edge(x[0], y[0]) && cut_graph.has_edge(u[0], y[0]));
    }

    #[test]
    fn exactly_the_arrows_into_the_intervened_nodes_go() {
        // Every edge of a small dense DAG, intervening on each pair of nodes: brute force over the edge list.
        let names = ["a", "b", "c", "d", "e"];
        let edges: Vec<(&str, &str)> =
            (0..5).flat_map(|i| (i + 1..5).map(move |j| (names[i], names[j]))).filter(|(u, v)| u != v).collect();
        let dag = Dag::from_edges(&edges).unwrap();
        for i in 0..5 {
            for j in i..5 {
                let on = ids(&dag, &[names[i], names[j]]);
                let (cut_graph, cut) = intervene(&dag, &on);
                for (u, v) in dag.edges() {
                    assert_eq!(cut_graph.has_edge(u, v), !on.contains(&v), "{u:?} → {v:?} with do({on:?})");
                    assert_eq!(cut.contains(&(u, v)), on.contains(&v));
                }
                assert_eq!(cut_graph.edge_count() + cut.len(), dag.edge_count());
                assert_eq!(cut_graph.len(), dag.len());
            }
        }
    }
}
