//! The dense kernels of the plain-Rust models (flows, the 2-D diffusion MLP, MADE, the WaveNet): register-blocked
//! matrix products for the forward and backward passes, a transpose, `axpy` and gradient-norm clipping. Pure.

// Maths notation: one-letter names for the matrices and their sizes (a, b, w, k, n), as in the formulas.
#![allow(clippy::many_single_char_names, clippy::needless_range_loop)]

/// The float types the inference kernel runs in (f64 for training, f32 for fast density grids).
pub trait Real:
    Copy + Default + PartialOrd + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self> + std::ops::AddAssign
{
}
impl Real for f32 {}
impl Real for f64 {}

/// Columns per register block of the kernels below.
const COLS: usize = 8;

/// out (rows × n) += a (rows × k) · w (k × n), all row-major. Two rows and eight columns at a time are kept in
/// registers, so each weight loaded serves two rows and each output is written once.
pub fn matmul_acc<T: Real>(a: &[T], w: &[T], k: usize, n: usize, out: &mut [T]) {
    let rows = out.len() / n;
    let full = n / COLS * COLS;
    let mut r = 0;
    while r + 2 <= rows {
        let (a0, a1) = (&a[r * k..(r + 1) * k], &a[(r + 1) * k..(r + 2) * k]);
        let (o0, o1) = out[r * n..(r + 2) * n].split_at_mut(n);
        for j in (0..full).step_by(COLS) {
            let mut acc0 = [T::default(); COLS];
            let mut acc1 = [T::default(); COLS];
            for i in 0..k {
                let Ok(wr) = <&[T; COLS]>::try_from(&w[i * n + j..i * n + j + COLS]) else { continue };
                let (x0, x1) = (a0[i], a1[i]);
                for c in 0..COLS {
                    acc0[c] += x0 * wr[c];
                    acc1[c] += x1 * wr[c];
                }
            }
            for c in 0..COLS {
                o0[j + c] += acc0[c];
                o1[j + c] += acc1[c];
            }
        }
        for j in full..n {
            for i in 0..k {
                o0[j] += a0[i] * w[i * n + j];
                o1[j] += a1[i] * w[i * n + j];
            }
        }
        r += 2;
    }
    if r < rows {
        let a0 = &a[r * k..(r + 1) * k];
        let o0 = &mut out[r * n..(r + 1) * n];
        for (i, &x) in a0.iter().enumerate() {
            for (o, &wv) in o0.iter_mut().zip(&w[i * n..(i + 1) * n]) {
                *o += x * wv;
            }
        }
    }
}

/// out (k × n) += aᵀ · b for a (rows × k) and b (rows × n), row-major (the weight gradient Xᵀ G).
pub fn matmul_at_b_acc<T: Real>(a: &[T], b: &[T], k: usize, n: usize, out: &mut [T]) {
    let rows = a.len() / k;
    let full = n / COLS * COLS;
    let dot = |i: usize, j: usize| (0..rows).fold(T::default(), |s, r| s + a[r * k + i] * b[r * n + j]);
    let mut i = 0;
    while i + 2 <= k {
        for j in (0..full).step_by(COLS) {
            let mut acc0 = [T::default(); COLS];
            let mut acc1 = [T::default(); COLS];
            for r in 0..rows {
                let Ok(br) = <&[T; COLS]>::try_from(&b[r * n + j..r * n + j + COLS]) else { continue };
                let (x0, x1) = (a[r * k + i], a[r * k + i + 1]);
                for c in 0..COLS {
                    acc0[c] += x0 * br[c];
                    acc1[c] += x1 * br[c];
                }
            }
            for c in 0..COLS {
                out[i * n + j + c] += acc0[c];
                out[(i + 1) * n + j + c] += acc1[c];
            }
        }
        i += 2;
    }
    for i in i..k {
        for j in 0..full {
            out[i * n + j] += dot(i, j);
        }
    }
    for i in 0..k {
        for j in full..n {
            out[i * n + j] += dot(i, j);
        }
    }
}

/// `w` (`k × n`, row-major) transposed into `out` (`n × k`), so a product with Wᵀ runs over contiguous memory.
pub fn transpose<T: Real>(w: &[T], k: usize, n: usize, out: &mut Vec<T>) {
    out.clear();
    out.resize(k * n, T::default());
    for i in 0..k {
        for j in 0..n {
            out[j * k + i] = w[i * n + j];
        }
    }
}

/// y += a · x.
pub fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Scales `grads` so its Euclidean norm is at most `max_norm`; returns the norm before clipping.
pub fn clip_norm(grads: &mut [f64], max_norm: f64) -> f64 {
    let norm = grads.iter().map(|g| g * g).sum::<f64>().sqrt();
    if norm > max_norm && norm.is_finite() {
        let s = max_norm / norm;
        for g in grads {
            *g *= s;
        }
    }
    norm
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    use super::*;
    use crate::nn::normal;

    #[test]
    fn kernels_match_naive_products() {
        let mut rng = SmallRng::seed_from_u64(2);
        for (rows, k, n) in [(5, 3, 17), (4, 16, 8), (1, 1, 64), (7, 64, 2), (6, 9, 24)] {
            let a: Vec<f64> = (0..rows * k).map(|_| f64::from(normal(&mut rng))).collect();
            let w: Vec<f64> = (0..k * n).map(|_| f64::from(normal(&mut rng))).collect();
            let b: Vec<f64> = (0..rows * n).map(|_| f64::from(normal(&mut rng))).collect();
            let mut out = vec![1.0; rows * n];
            matmul_acc(&a, &w, k, n, &mut out);
            for r in 0..rows {
                for j in 0..n {
                    let want = 1.0 + (0..k).map(|i| a[r * k + i] * w[i * n + j]).sum::<f64>();
                    assert!((out[r * n + j] - want).abs() < 1e-12);
                }
            }
            let mut atb = vec![0.5; k * n];
            matmul_at_b_acc(&a, &b, k, n, &mut atb);
            let mut atb32 = vec![0.5_f32; k * n];
            let (a32, b32): (Vec<f32>, Vec<f32>) =
                (a.iter().map(|&v| v as f32).collect(), b.iter().map(|&v| v as f32).collect());
            matmul_at_b_acc(&a32, &b32, k, n, &mut atb32);
            let mut wt = Vec::new();
            transpose(&w, k, n, &mut wt);
            assert!((0..k).all(|i| (0..n).all(|j| wt[j * k + i] == w[i * n + j])));
            for i in 0..k {
                for j in 0..n {
                    let want = 0.5 + (0..rows).map(|r| a[r * k + i] * b[r * n + j]).sum::<f64>();
                    assert!((atb[i * n + j] - want).abs() < 1e-12, "{rows}×{k}×{n} at ({i}, {j})");
                    assert!(
                        (f64::from(atb32[i * n + j]) - want).abs() < 1e-4 * (1.0 + want.abs()),
                        "f32 at ({i}, {j})"
                    );
                }
            }
        }
    }

    #[test]
    fn clipping_bounds_the_norm() {
        let mut g = vec![3.0, 4.0];
        assert_eq!(clip_norm(&mut g, 1.0), 5.0);
        assert!((g[0] - 0.6).abs() < 1e-12 && (g[1] - 0.8).abs() < 1e-12);
    }

    #[test]
    fn axpy_adds_a_multiple() {
        let mut y = vec![1.0, 2.0, 3.0];
        axpy(&mut y, 2.0, &[1.0, 0.5, -1.0]);
        assert_eq!(y, [3.0, 3.0, 1.0]);
    }
}
