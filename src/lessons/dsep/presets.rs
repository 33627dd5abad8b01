//! One-click example graphs from the lecture, each with a query marked.

use eframe::egui::pos2;

use super::doc::{GraphDoc, SetKind};
use crate::causal::Dag;

/// A preset: button label, a hover explanation, nodes with positions, edges, and the sets A, B, C.
pub struct Preset {
    pub label: &'static str,
    pub hint: &'static str,
    nodes: &'static [(&'static str, f32, f32)],
    edges: &'static [(&'static str, &'static str)],
    sets: [&'static [&'static str]; 3],
}

impl Preset {
    /// The preset as a document.
    pub fn build(&self) -> GraphDoc {
        let mut doc = GraphDoc::default();
        let mut dag = Dag::new();
        for &(name, x, y) in self.nodes {
            if let Ok(id) = dag.add_node(name) {
                doc.set_pos(id, pos2(x, y));
            }
        }
        for &(u, v) in self.edges {
            if let (Some(u), Some(v)) = (dag.find(u), dag.find(v)) {
                let _ = dag.add_edge(u, v);
            }
        }
        doc.dag = dag;
        for (kind, names) in SetKind::ALL.into_iter().zip(self.sets) {
            doc.mark(kind, names);
        }
        doc
    }
}

pub const PRESETS: &[Preset] = &[
    Preset {
        label: "Bishop Fig. 8.22",
        hint: "a → e ← f → b, e → c. Given c the collider e opens (dependent); given f the chain is blocked.",
        nodes: &[("a", 110.0, 80.0), ("f", 330.0, 80.0), ("e", 110.0, 210.0), ("b", 330.0, 210.0), ("c", 110.0, 340.0)],
        edges: &[("a", "e"), ("f", "e"), ("f", "b"), ("e", "c")],
        sets: [&["a"], &["b"], &["c"]],
    },
    Preset {
        label: "Chain",
        hint: "x1 → x2 → x3: x3 ⊥⊥ x1 given x2 (head-to-tail, blocked when observed).",
        nodes: &[("x1", 90.0, 160.0), ("x2", 250.0, 160.0), ("x3", 410.0, 160.0)],
        edges: &[("x1", "x2"), ("x2", "x3")],
        sets: [&["x1"], &["x3"], &["x2"]],
    },
    Preset {
        label: "Fork",
        hint: "x ← m → y: a common cause; observing m blocks the chain (tail-to-tail).",
        nodes: &[("m", 250.0, 80.0), ("x", 120.0, 230.0), ("y", 380.0, 230.0)],
        edges: &[("m", "x"), ("m", "y")],
        sets: [&["x"], &["y"], &["m"]],
    },
    Preset {
        label: "Collider",
        hint: "x → m ← y: independent causes become dependent once their common effect m is observed.",
        nodes: &[("x", 120.0, 80.0), ("y", 380.0, 80.0), ("m", 250.0, 230.0)],
        edges: &[("x", "m"), ("y", "m")],
        sets: [&["x"], &["y"], &[]],
    },
    Preset {
        label: "Collider with descendant",
        hint: "x → m ← y, m → d: observing a descendant d of the collider also opens it.",
        nodes: &[("x", 120.0, 80.0), ("y", 380.0, 80.0), ("m", 250.0, 210.0), ("d", 250.0, 340.0)],
        edges: &[("x", "m"), ("y", "m"), ("m", "d")],
        sets: [&["x"], &["y"], &["d"]],
    },
    Preset {
        label: "VAE generative",
        hint: "p(z) p(x | z): the decoder's DAG, z → x.",
        nodes: &[("z", 200.0, 90.0), ("x", 200.0, 240.0)],
        edges: &[("z", "x")],
        sets: [&["z"], &["x"], &[]],
    },
    Preset {
        label: "VAE inference",
        hint: "q(z | x): the encoder's DAG, x → z.",
        nodes: &[("x", 200.0, 90.0), ("z", 200.0, 240.0)],
        edges: &[("x", "z")],
        sets: [&["x"], &["z"], &[]],
    },
    Preset {
        label: "Hierarchical VAE",
        hint: "p(z2) p(z1 | z2) p(x | z1): given z1, x and z2 are independent.",
        nodes: &[("z2", 200.0, 70.0), ("z1", 200.0, 190.0), ("x", 200.0, 310.0)],
        edges: &[("z2", "z1"), ("z1", "x")],
        sets: [&["z2"], &["x"], &["z1"]],
    },
    Preset {
        label: "Hierarchical VAE inference",
        hint: "q(z1 | x) q(z2 | z1): the bottom-up encoder.",
        nodes: &[("x", 200.0, 70.0), ("z1", 200.0, 190.0), ("z2", 200.0, 310.0)],
        edges: &[("x", "z1"), ("z1", "z2")],
        sets: [&["x"], &["z2"], &["z1"]],
    },
    Preset {
        label: "Diffusion chain",
        hint: "x_T → … → x_0: each step depends only on the previous one (a Markov chain).",
        nodes: &[
            ("x_T", 70.0, 160.0),
            ("x_3", 180.0, 160.0),
            ("x_2", 290.0, 160.0),
            ("x_1", 400.0, 160.0),
            ("x_0", 510.0, 160.0),
        ],
        edges: &[("x_T", "x_3"), ("x_3", "x_2"), ("x_2", "x_1"), ("x_1", "x_0")],
        sets: [&["x_T"], &["x_0"], &["x_2"]],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causal::d_separated;

    fn answer(doc: &GraphDoc) -> bool {
        let v = |k: SetKind| doc.set(k).iter().copied().collect::<Vec<_>>();
        d_separated(&doc.dag, &v(SetKind::A), &v(SetKind::B), &v(SetKind::C))
    }

    #[test]
    fn presets_build_completely_with_textbook_answers() {
        for p in PRESETS {
            let doc = p.build();
            assert_eq!(doc.dag.len(), p.nodes.len(), "{}", p.label);
            assert_eq!(doc.dag.edge_count(), p.edges.len(), "{}", p.label);
        }
        let by = |label: &str| PRESETS.iter().find(|p| p.label == label).expect("preset").build();
        assert!(!answer(&by("Bishop Fig. 8.22")), "given c: dependent");
        let mut fig = by("Bishop Fig. 8.22");
        let (c, f) = (fig.dag.find("c").expect("c"), fig.dag.find("f").expect("f"));
        fig.toggle(c, SetKind::C);
        fig.toggle(f, SetKind::C);
        assert!(answer(&fig), "given f: independent");
        assert!(answer(&by("Chain")));
        assert!(answer(&by("Fork")));
        assert!(answer(&by("Collider")));
        assert!(!answer(&by("Collider with descendant")));
        assert!(answer(&by("Hierarchical VAE")));
        assert!(answer(&by("Diffusion chain")));
    }
}
