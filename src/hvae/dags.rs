//! The hierarchical VAE's DAGs: the generative model z₂ → z₁ → x and the two inference networks. Pure data, with
//! fixed positions so the lesson's drawing and the d-separation editor show the same picture.

use std::fmt::Write as _;

use crate::causal::{CausalError, Dag};

use super::Inference;

/// Node positions in `DAGitty` units (the editor draws 100 canvas points per unit): z₂ on top, x at the bottom, z₁
/// a little to the side so an edge x → z₂ does not run through it.
pub const POSITIONS: [(&str, [f32; 2]); 3] = [("z2", [1.5, 0.7]), ("z1", [2.3, 1.7]), ("x", [1.5, 2.7])];

/// Which of the lesson's graphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Generative,
    Inference(Inference),
}

impl Which {
    /// The edges, parent first.
    pub fn edges(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Generative => &[("z2", "z1"), ("z1", "x")],
            Self::Inference(Inference::BottomUp) => &[("x", "z1"), ("z1", "z2")],
            Self::Inference(Inference::FromX) => &[("x", "z1"), ("x", "z2")],
        }
    }

    /// The factorisation the graph stands for.
    pub fn factorisation(self) -> &'static str {
        match self {
            Self::Generative => "p(x, z₁, z₂) = p(z₂) p(z₁|z₂) p(x|z₁)",
            Self::Inference(Inference::BottomUp) => "q(z₁, z₂|x) = q(z₁|x) q(z₂|z₁)",
            Self::Inference(Inference::FromX) => "q(z₁, z₂|x) = q(z₁|x) q(z₂|x)",
        }
    }

    /// The graph as a [`Dag`] (nodes z2, z1, x in that order).
    pub fn dag(self) -> Result<Dag, CausalError> {
        let mut dag = Dag::new();
        for (name, _) in POSITIONS {
            dag.add_node(name)?;
        }
        for &(from, to) in self.edges() {
            let (Some(a), Some(b)) = (dag.find(from), dag.find(to)) else { continue };
            dag.add_edge(a, b)?;
        }
        Ok(dag)
    }

    /// `DAGitty` text with `pos="x,y"` for every node, as the d-separation editor reads it.
    pub fn dagitty(self) -> String {
        let mut s = String::from("dag {\n");
        for (name, [x, y]) in POSITIONS {
            let _ = writeln!(s, "  {name} [pos=\"{x:.1},{y:.1}\"]");
        }
        for (from, to) in self.edges() {
            let _ = writeln!(s, "  {from} -> {to}");
        }
        s.push_str("}\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causal::d_separated;
    use crate::causal::text::parse_graph;

    fn indep(which: Which, a: &str, b: &str, given: &[&str]) -> bool {
        let dag = which.dag().unwrap();
        let id = |n: &str| dag.find(n).unwrap();
        let c: Vec<_> = given.iter().map(|&n| id(n)).collect();
        d_separated(&dag, &[id(a)], &[id(b)], &c)
    }

    #[test]
    fn the_generative_chain_has_the_right_parents_and_independencies() {
        let dag = Which::Generative.dag().unwrap();
        let name =
            |ids: &[crate::causal::NodeId]| ids.iter().map(|&v| dag.name(v).unwrap().to_owned()).collect::<Vec<_>>();
        assert_eq!(name(dag.parents(dag.find("x").unwrap())), ["z1"]);
        assert_eq!(name(dag.parents(dag.find("z1").unwrap())), ["z2"]);
        assert!(dag.parents(dag.find("z2").unwrap()).is_empty());
        // x depends on z₂ only through z₁.
        assert!(indep(Which::Generative, "x", "z2", &["z1"]));
        assert!(!indep(Which::Generative, "x", "z2", &[]));
    }

    #[test]
    fn the_two_inference_dags_answer_differently() {
        let bottom_up = Which::Inference(Inference::BottomUp);
        let from_x = Which::Inference(Inference::FromX);
        // Bottom-up: z₂ sees x only through z₁.
        assert!(indep(bottom_up, "z2", "x", &["z1"]));
        assert!(!indep(bottom_up, "z1", "z2", &["x"]));
        // Both from x: given x the two codes are independent, and z₂ reads x directly.
        assert!(indep(from_x, "z1", "z2", &["x"]));
        assert!(!indep(from_x, "z2", "x", &["z1"]));
        assert!(!indep(from_x, "z1", "z2", &[]));
    }

    #[test]
    fn dagitty_text_round_trips_with_positions() {
        for which in [Which::Generative, Which::Inference(Inference::BottomUp), Which::Inference(Inference::FromX)] {
            let text = which.dagitty();
            let graph = parse_graph(&text).unwrap();
            let dag = graph.to_dag().unwrap();
            assert_eq!(dag.len(), 3);
            assert_eq!(dag.edge_count(), which.edges().len());
            for &(a, b) in which.edges() {
                assert!(dag.has_edge(dag.find(a).unwrap(), dag.find(b).unwrap()), "{a} -> {b} in {text}");
            }
            assert_eq!(graph.positions.len(), 3, "{text}");
        }
    }
}
