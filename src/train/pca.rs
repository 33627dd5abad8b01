//! Principal components of codes, for plotting latent spaces wider than two dimensions (pure).
//!
//! The code plots show the first two principal components of the encoder means; a point picked on such a plot is
//! lifted back to a full latent vector as mean + p₁·v₁ + p₂·v₂ before it is decoded.

/// An affine map from the latent space onto the plane of its two leading principal components.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    pub mean: Vec<f32>,
    /// Unit-length principal directions, leading first.
    pub axes: [Vec<f32>; 2],
    /// Fraction of the codes' total variance along each axis.
    pub explained: [f32; 2],
}

impl Projection {
    /// The two leading principal components of `codes` (all of one length ≥ 1), by power iteration on the
    /// covariance with deflation. Deterministic. `None` for fewer than two codes or ragged input.
    #[must_use]
    pub fn fit(codes: &[Vec<f32>]) -> Option<Self> {
        let d = codes.first()?.len();
        if codes.len() < 2 || d == 0 || codes.iter().any(|c| c.len() != d) {
            return None;
        }
        let n = codes.len() as f64;
        let mut mean = vec![0.0_f64; d];
        for c in codes {
            for (m, v) in mean.iter_mut().zip(c) {
                *m += f64::from(*v) / n;
            }
        }
        let mut cov = vec![0.0_f64; d * d];
        for c in codes {
            for i in 0..d {
                let a = f64::from(c[i]) - mean[i];
                for j in 0..d {
                    cov[i * d + j] += a * (f64::from(c[j]) - mean[j]) / n;
                }
            }
        }
        let total: f64 = (0..d).map(|i| cov[i * d + i]).sum();
        let first = leading_eigenvector(&cov, d);
        let l1 = rayleigh(&cov, &first, d);
        // Deflate: C − λ₁ v₁ v₁ᵀ.
        for i in 0..d {
            for j in 0..d {
                cov[i * d + j] -= l1 * first[i] * first[j];
            }
        }
        let second = if d > 1 { leading_eigenvector(&cov, d) } else { vec![0.0] };
        let l2 = if d > 1 { rayleigh(&cov, &second, d) } else { 0.0 };
        let frac = |l: f64| if total > 0.0 { (l / total).clamp(0.0, 1.0) as f32 } else { 0.0 };
        let to_f32 = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect::<Vec<f32>>();
        Some(Self { mean: to_f32(mean), axes: [to_f32(first), to_f32(second)], explained: [frac(l1), frac(l2)] })
    }

    /// Coordinates of `z` on the two axes.
    #[must_use]
    pub fn project(&self, z: &[f32]) -> [f32; 2] {
        let along = |axis: &[f32]| z.iter().zip(&self.mean).zip(axis).map(|((z, m), a)| (z - m) * a).sum::<f32>();
        [along(&self.axes[0]), along(&self.axes[1])]
    }

    /// The latent vector at plane coordinates `p`: mean + p₁ v₁ + p₂ v₂.
    #[must_use]
    pub fn lift(&self, p: [f64; 2]) -> Vec<f32> {
        (0..self.mean.len())
            .map(|i| self.mean[i] + p[0] as f32 * self.axes[0][i] + p[1] as f32 * self.axes[1][i])
            .collect()
    }

    /// The 2×2 covariance, on the plane, of a Gaussian with diagonal variances `var` in the latent space.
    #[must_use]
    pub fn project_diagonal_covariance(&self, var: &[f32]) -> [[f64; 2]; 2] {
        let mut c = [[0.0; 2]; 2];
        for (r, row) in c.iter_mut().enumerate() {
            for (s, cell) in row.iter_mut().enumerate() {
                *cell = var
                    .iter()
                    .zip(&self.axes[r])
                    .zip(&self.axes[s])
                    .map(|((v, a), b)| f64::from(*v) * f64::from(*a) * f64::from(*b))
                    .sum();
            }
        }
        c
    }
}

fn mat_vec(m: &[f64], v: &[f64], d: usize) -> Vec<f64> {
    (0..d).map(|i| (0..d).map(|j| m[i * d + j] * v[j]).sum()).collect()
}

fn rayleigh(m: &[f64], v: &[f64], d: usize) -> f64 {
    mat_vec(m, v, d).iter().zip(v).map(|(a, b)| a * b).sum()
}

/// Power iteration from a fixed, generic start (so the result is deterministic); the sign is fixed so that the
/// largest-magnitude entry is positive.
fn leading_eigenvector(m: &[f64], d: usize) -> Vec<f64> {
    let mut v: Vec<f64> = (0..d).map(|i| 1.0 + 0.1 * i as f64).collect();
    for _ in 0..500 {
        let w = mat_vec(m, &v, d);
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm < 1e-300 {
            break;
        }
        let next: Vec<f64> = w.iter().map(|x| x / norm).collect();
        let change: f64 = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
        v = next;
        if change < 1e-12 {
            break;
        }
    }
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-300);
    let biggest = v.iter().copied().fold(0.0_f64, |acc, x| if x.abs() > acc.abs() { x } else { acc });
    let sign = if biggest < 0.0 { -1.0 } else { 1.0 };
    v.iter().map(|x| sign * x / norm).collect()
}

/// Items' 2-D plot coordinates: the first two coordinates for latents of size ≤ 2 (no projection), else the
/// principal-component coordinates with the projection used.
#[must_use]
pub fn plot_coordinates(codes: &[Vec<f32>]) -> (Vec<[f32; 2]>, Option<Projection>) {
    let wide = codes.first().is_some_and(|c| c.len() > 2);
    let projection = if wide { Projection::fit(codes) } else { None };
    let points = codes
        .iter()
        .map(|c| match &projection {
            Some(p) => p.project(c),
            None => [c.first().copied().unwrap_or(0.0), c.get(1).copied().unwrap_or(0.0)],
        })
        .collect();
    (points, projection)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points spread along known orthogonal directions in 4-D with variances 9, 4, 0.01, 0.01.
    #[allow(clippy::many_single_char_names)]
    fn cloud() -> (Vec<Vec<f32>>, [Vec<f32>; 2]) {
        let s = std::f32::consts::FRAC_1_SQRT_2;
        let u = vec![s, s, 0.0, 0.0];
        let v = vec![0.0, 0.0, s, -s];
        let w = [s, -s, 0.0, 0.0];
        let mut codes = Vec::new();
        for i in 0..400 {
            let t = (i as f32 * 0.7).sin() * 3.0 * std::f32::consts::SQRT_2;
            let r = (i as f32 * 1.3).cos() * 2.0 * std::f32::consts::SQRT_2;
            let e = (i as f32 * 2.9).sin() * 0.1 * std::f32::consts::SQRT_2;
            codes.push((0..4).map(|k| 1.0 + t * u[k] + r * v[k] + e * w[k]).collect());
        }
        (codes, [u, v])
    }

    #[test]
    fn finds_the_leading_directions() {
        let (codes, [u, v]) = cloud();
        let p = Projection::fit(&codes).expect("fits");
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        assert!(dot(&p.axes[0], &u).abs() > 0.999, "{:?}", p.axes[0]);
        assert!(dot(&p.axes[1], &v).abs() > 0.999, "{:?}", p.axes[1]);
        assert!(dot(&p.axes[0], &p.axes[1]).abs() < 1e-4);
        assert!(p.explained[0] > p.explained[1] && p.explained[0] + p.explained[1] > 0.99);
        assert!(p.mean.iter().all(|m| (m - 1.0).abs() < 0.1));
    }

    #[test]
    fn lift_inverts_project_on_the_plane() {
        let (codes, _) = cloud();
        let p = Projection::fit(&codes).expect("fits");
        let z = p.lift([1.5, -0.5]);
        let back = p.project(&z);
        assert!((back[0] - 1.5).abs() < 1e-4 && (back[1] + 0.5).abs() < 1e-4, "{back:?}");
        // A diagonal covariance projects to vᵢᵀ Σ vⱼ.
        let c = p.project_diagonal_covariance(&[1.0, 1.0, 1.0, 1.0]);
        assert!((c[0][0] - 1.0).abs() < 1e-4 && c[0][1].abs() < 1e-4 && (c[1][1] - 1.0).abs() < 1e-4);
    }

    #[test]
    fn two_dimensional_codes_are_plotted_as_they_are() {
        let codes = vec![vec![1.0, 2.0], vec![3.0, -1.0]];
        let (points, projection) = plot_coordinates(&codes);
        assert_eq!(points, vec![[1.0, 2.0], [3.0, -1.0]]);
        assert!(projection.is_none());
        assert!(Projection::fit(&[vec![1.0, 2.0]]).is_none());
        assert!(Projection::fit(&[vec![1.0, 2.0], vec![1.0]]).is_none());
        assert!(plot_coordinates(&[vec![1.0; 5], vec![2.0; 5], vec![0.0; 5]]).1.is_some());
    }
}
