//! Soundness made visible: draw samples from a random linear-Gaussian model over the DAG and measure the partial
//! correlation of two nodes given a set. d-separated ⇒ ≈ 0 for every choice of weights; not d-separated ⇒ clearly
//! non-zero for most weights.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::causal::{Dag, NodeId};

/// Outcome of the check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Check {
    /// The conditioning set determines a variable exactly (singular covariance).
    Singular,
    /// The sample partial correlation.
    Corr(f64),
}

/// Draws used for the estimate.
pub const DRAWS: usize = 10_000;

fn normal(rng: &mut SmallRng) -> f64 {
    crate::nn::random::normal_pair(rng)[0]
}

/// Inverse of a small symmetric positive-definite matrix (Gauss–Jordan with partial pivoting); `None` if singular.
fn invert(mut m: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut inv: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect()).collect();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))?;
        if m[pivot][col].abs() < 1e-10 {
            return None;
        }
        m.swap(col, pivot);
        inv.swap(col, pivot);
        let d = m[col][col];
        for j in 0..n {
            m[col][j] /= d;
            inv[col][j] /= d;
        }
        for i in 0..n {
            if i != col {
                let f = m[i][col];
                if f != 0.0 {
                    for j in 0..n {
                        m[i][j] -= f * m[col][j];
                        inv[i][j] -= f * inv[col][j];
                    }
                }
            }
        }
    }
    Some(inv)
}

/// Sample partial correlation of `a` and `b` given `given`, from [`DRAWS`] draws of the model
/// `x_v = Σ w_pv x_p + ε_v` with weights `±U(0.5, 1.5)` (from `seed`) and standard normal noise.
/// `None` when the conditioning makes the covariance singular or a node is unknown.
pub fn partial_correlation(dag: &Dag, a: NodeId, b: NodeId, given: &[NodeId], seed: u64) -> Option<f64> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut needed = vec![false; dag.id_bound()];
    for &v in [a, b].iter().chain(given) {
        if !dag.contains(v) {
            return None;
        }
        needed[v.index()] = true;
        for u in dag.ancestors(v) {
            needed[u.index()] = true;
        }
    }
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); dag.id_bound()];
    // Weights are drawn for every edge in a fixed order, so a node's weights do not depend on the query.
    let mut weight = vec![Vec::new(); dag.id_bound()];
    for v in dag.topological_order() {
        weight[v.index()] = dag
            .parents(v)
            .iter()
            .map(|&p| {
                let w: f64 = rng.random_range(0.5..1.5);
                (p, if rng.random_bool(0.5) { w } else { -w })
            })
            .collect::<Vec<_>>();
    }
    for v in dag.topological_order() {
        if !needed[v.index()] {
            continue;
        }
        let mut x: Vec<f64> = (0..DRAWS).map(|_| normal(&mut rng)).collect();
        for &(p, w) in &weight[v.index()] {
            for (xi, pi) in x.iter_mut().zip(&values[p.index()]) {
                *xi += w * pi;
            }
        }
        // Unit variance keeps long chains from blowing up; rescaling keeps the model linear-Gaussian.
        let mean = x.iter().sum::<f64>() / DRAWS as f64;
        let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / DRAWS as f64).sqrt().max(1e-12);
        for xi in &mut x {
            *xi = (*xi - mean) / sd;
        }
        values[v.index()] = x;
    }
    let vars: Vec<&Vec<f64>> = [a, b].iter().chain(given).map(|v| &values[v.index()]).collect();
    let k = vars.len();
    let cov: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| vars[i].iter().zip(vars[j]).map(|(x, y)| x * y).sum::<f64>() / DRAWS as f64).collect())
        .collect();
    let p = invert(cov)?;
    Some(-p[0][1] / (p[0][0] * p[1][1]).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separated_means_near_zero_and_connected_means_not() {
        let d = Dag::from_edges(&[("a", "e"), ("f", "e"), ("f", "b"), ("e", "c")]).expect("valid");
        let id = |n: &str| d.find(n).expect("node");
        for seed in 0..5 {
            let sep = partial_correlation(&d, id("a"), id("b"), &[id("f")], seed).expect("regular");
            assert!(sep.abs() < 0.05, "given f: {sep}");
            let marginal = partial_correlation(&d, id("a"), id("b"), &[], seed).expect("regular");
            assert!(marginal.abs() < 0.05, "nothing given: {marginal}");
        }
        let dep = partial_correlation(&d, id("a"), id("f"), &[id("e")], 1).expect("regular");
        assert!(dep.abs() > 0.1, "collider e given: {dep}");
    }
}
