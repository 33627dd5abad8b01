//! Quiz mode: a random small DAG and a query; the student answers before the chains are shown.

use rand::Rng;
use rand::seq::SliceRandom;

use super::doc::GraphDoc;
use crate::causal::{Dag, NodeId, d_separated};

/// Node names that cannot be confused with the set names A, B, C.
const NAMES: [&str; 7] = ["x1", "x2", "x3", "x4", "x5", "x6", "x7"];

/// Where a quiz stands.
#[derive(Debug, Clone, Default)]
pub struct Quiz {
    /// The student's answer to the current question (`Some(true)` = "d-separated").
    pub answer: Option<bool>,
    /// The right answer.
    pub truth: bool,
    pub asked: usize,
    pub correct: usize,
}

impl Quiz {
    /// Records the student's answer; returns whether it was right.
    pub fn answer(&mut self, says_separated: bool) -> bool {
        if self.answer.is_none() {
            self.answer = Some(says_separated);
            self.asked += 1;
            if says_separated == self.truth {
                self.correct += 1;
            }
        }
        says_separated == self.truth
    }
}

/// A random DAG on 5–7 nodes with single nodes A and B and 0–2 given nodes; "separated" and "not separated"
/// questions come about equally often. Returns the document and the right answer.
pub fn random_question(rng: &mut impl Rng) -> (GraphDoc, bool) {
    let want = rng.random_bool(0.5);
    let mut last = None;
    for _ in 0..100 {
        let n = rng.random_range(5..=7);
        let mut order: Vec<&str> = NAMES[..n].to_vec();
        order.shuffle(rng);
        let mut dag = Dag::new();
        let ids: Vec<NodeId> = NAMES[..n].iter().filter_map(|name| dag.add_node(name).ok()).collect();
        // Edges only go forward in a random order of the nodes, so the graph is acyclic.
        let rank: Vec<usize> =
            NAMES[..n].iter().map(|name| order.iter().position(|o| o == name).unwrap_or(0)).collect();
        for i in 0..n {
            for j in 0..n {
                if rank[i] < rank[j] && rng.random_bool(0.35) {
                    let _ = dag.add_edge(ids[i], ids[j]);
                }
            }
        }
        let mut pick = ids.clone();
        pick.shuffle(rng);
        let given = rng.random_range(0..=2);
        let (a, b, c) = (pick[0], pick[1], pick[2..2 + given].to_vec());
        let truth = d_separated(&dag, &[a], &[b], &c);
        let mut doc = GraphDoc::laid_out(dag);
        doc.a.insert(a);
        doc.b.insert(b);
        doc.c.extend(c);
        if truth == want {
            return (doc, truth);
        }
        last = Some((doc, truth));
    }
    last.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn questions_are_small_balanced_and_scored() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        let mut separated = 0;
        for _ in 0..200 {
            let (doc, truth) = random_question(&mut rng);
            assert!((5..=7).contains(&doc.dag.len()));
            assert_eq!(doc.a.len(), 1);
            assert_eq!(doc.b.len(), 1);
            let v = |s: &std::collections::BTreeSet<NodeId>| s.iter().copied().collect::<Vec<_>>();
            assert_eq!(truth, d_separated(&doc.dag, &v(&doc.a), &v(&doc.b), &v(&doc.c)));
            separated += usize::from(truth);
        }
        assert!((60..=140).contains(&separated), "{separated} of 200 separated");
        let mut quiz = Quiz { truth: true, ..Quiz::default() };
        assert!(quiz.answer(true));
        assert!(!quiz.answer(false), "a wrong second answer is reported but not scored");
        assert_eq!((quiz.asked, quiz.correct), (1, 1));
    }
}
