//! k-nearest-neighbour accuracy of 2-D (or any-D) codes: how well the latent space separates the classes.

/// Classifies each query code by majority vote among its `k` nearest reference codes (Euclidean distance; ties in
/// the vote go to the class of the nearest neighbour among the tied classes) and returns the fraction classified
/// correctly. Returns 0 when there are no queries or no references.
pub fn knn_accuracy(
    reference: &[Vec<f32>],
    reference_labels: &[u8],
    queries: &[Vec<f32>],
    query_labels: &[u8],
    k: usize,
) -> f64 {
    if queries.is_empty() || reference.is_empty() || k == 0 {
        return 0.0;
    }
    let k = k.min(reference.len());
    let mut correct = 0usize;
    let mut nearest: Vec<(f32, u8)> = Vec::with_capacity(k + 1);
    for (q, &truth) in queries.iter().zip(query_labels) {
        nearest.clear();
        for (r, &label) in reference.iter().zip(reference_labels) {
            let d: f32 = q.iter().zip(r).map(|(a, b)| (a - b) * (a - b)).sum();
            if nearest.len() < k || d < nearest[k - 1].0 {
                let at = nearest.partition_point(|&(nd, _)| nd <= d);
                nearest.insert(at, (d, label));
                nearest.truncate(k);
            }
        }
        if vote(&nearest) == truth {
            correct += 1;
        }
    }
    correct as f64 / queries.len() as f64
}

/// Majority label among neighbours sorted by distance; a tie goes to the tied label seen first (the nearest).
fn vote(nearest: &[(f32, u8)]) -> u8 {
    let mut counts = [0u16; 256];
    for &(_, l) in nearest {
        counts[usize::from(l)] += 1;
    }
    let best = nearest.iter().map(|&(_, l)| counts[usize::from(l)]).max().unwrap_or(0);
    nearest.iter().find(|&&(_, l)| counts[usize::from(l)] == best).map_or(0, |&(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separated_clusters_are_classified_perfectly() {
        let reference: Vec<Vec<f32>> =
            (0..20).map(|i| vec![if i < 10 { 0.0 } else { 10.0 }, i as f32 * 0.01]).collect();
        let labels: Vec<u8> = (0..20).map(|i| u8::from(i >= 10)).collect();
        let queries = vec![vec![0.5, 0.0], vec![9.5, 0.0]];
        assert_eq!(knn_accuracy(&reference, &labels, &queries, &[0, 1], 5), 1.0);
        assert_eq!(knn_accuracy(&reference, &labels, &queries, &[1, 0], 5), 0.0);
    }

    #[test]
    fn majority_beats_the_single_nearest() {
        // The nearest point is class 1, but 3 of the 5 nearest are class 0.
        let reference = vec![vec![0.1], vec![0.2], vec![0.3], vec![0.4], vec![-0.25], vec![5.0]];
        let labels = [1, 0, 0, 1, 0, 1];
        assert_eq!(knn_accuracy(&reference, &labels, &[vec![0.0]], &[0], 5), 1.0);
        assert_eq!(knn_accuracy(&reference, &labels, &[vec![0.0]], &[0], 1), 0.0);
    }

    #[test]
    fn matches_brute_force_on_random_points() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((seed >> 33) as f32) / (1u64 << 31) as f32
        };
        let reference: Vec<Vec<f32>> = (0..60).map(|_| vec![next(), next()]).collect();
        let labels: Vec<u8> = reference.iter().map(|p| u8::from(p[0] > 0.5) + 2 * u8::from(p[1] > 0.5)).collect();
        let queries: Vec<Vec<f32>> = (0..30).map(|_| vec![next(), next()]).collect();
        let qlabels: Vec<u8> = queries.iter().map(|p| u8::from(p[0] > 0.5) + 2 * u8::from(p[1] > 0.5)).collect();
        let mut expected = 0;
        for (q, &t) in queries.iter().zip(&qlabels) {
            let mut all: Vec<(f32, u8)> = reference
                .iter()
                .zip(&labels)
                .map(|(r, &l)| ((q[0] - r[0]).powi(2) + (q[1] - r[1]).powi(2), l))
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0));
            if vote(&all[..3]) == t {
                expected += 1;
            }
        }
        let got = knn_accuracy(&reference, &labels, &queries, &qlabels, 3);
        assert!((got - f64::from(expected) / 30.0).abs() < 1e-12);
        assert!(got > 0.6, "quadrant labels should be mostly recoverable, got {got}");
    }
}
