//! The dense kernels of the plain-Rust models (flows, the 2-D diffusion MLP, MADE, the WaveNet): the matrix products
//! of the forward and backward passes (by `gemm`, the blocked SIMD kernels burn's CPU backend uses too), `axpy` and
//! gradient-norm clipping. Pure.

// Maths notation: one-letter names for the matrices and their sizes (a, b, w, k, n), as in the formulas.
#![allow(clippy::many_single_char_names, clippy::needless_range_loop)]

/// The float types the kernels run in (f64 for the flows' training, f32 elsewhere). `'static` because the
/// product is dispatched by type to `gemm`'s f32 or f64 kernels.
pub trait Real:
    Copy
    + Default
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::AddAssign
    + 'static
{
    const ONE: Self;
    /// 1 / (1 + e^(−x)).
    #[must_use]
    fn sigmoid(self) -> Self;
}
impl Real for f32 {
    const ONE: Self = 1.0;
    fn sigmoid(self) -> Self {
        1.0 / (1.0 + (-self).exp())
    }
}
impl Real for f64 {
    const ONE: Self = 1.0;
    fn sigmoid(self) -> Self {
        1.0 / (1.0 + (-self).exp())
    }
}

/// A row-major or transposed view of a matrix: its element (i, j) is at `i * row_stride + j * col_stride`.
#[derive(Clone, Copy)]
struct View<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a, T> View<'a, T> {
    /// A `rows × cols` row-major matrix.
    fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        Self { data, rows, cols, row_stride: cols, col_stride: 1 }
    }

    /// The transpose of a `rows × cols` row-major matrix (so `cols × rows`).
    fn transposed(data: &'a [T], rows: usize, cols: usize) -> Self {
        Self { data, rows: cols, cols: rows, row_stride: 1, col_stride: cols }
    }

    /// Whether every element the view names lies inside `data`.
    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1)
                .checked_mul(self.row_stride)
                .and_then(|r| (self.cols - 1).checked_mul(self.col_stride).and_then(|c| r.checked_add(c)))
                .is_some_and(|last| last < self.data.len())
    }
}

/// out (m × n, row-major) += lhs (m × k) · rhs (k × n), by `gemm` (blocked, with AVX2/FMA or AVX-512 chosen at run
/// time), on the calling thread.
///
/// # Panics
/// If the shapes do not fit together or a view reaches past its slice — a bug in the caller, never user data (every
/// size a file controls is checked when it is read).
fn gemm_acc<T: Real>(lhs: View<'_, T>, rhs: View<'_, T>, out: &mut [T]) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert!(rhs.rows == k && out.len() == m * n && lhs.fits() && rhs.fits(), "matrix shapes do not fit");
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    let stride = |s: usize| isize::try_from(s).expect("a stride fits in isize");
    // SAFETY: `gemm` reads lhs(i, l) at lhs.data + i·rs + l·cs for i < m, l < k (and rhs likewise for l < k, j < n),
    // which `fits` checked lie inside the slices; it reads and writes out(i, j) at out + i·n + j for i < m, j < n,
    // inside `out` (its length is m·n) which we borrow mutably, so nothing else aliases it. T is f32 or f64 (the
    // only `Real` types), which `gemm` supports.
    #[allow(unsafe_code)]
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            stride(n),
            true,
            lhs.data.as_ptr(),
            stride(lhs.col_stride),
            stride(lhs.row_stride),
            rhs.data.as_ptr(),
            stride(rhs.col_stride),
            stride(rhs.row_stride),
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// out (rows × n) += a (rows × k) · w (k × n), all row-major.
pub fn matmul_acc<T: Real>(a: &[T], w: &[T], k: usize, n: usize, out: &mut [T]) {
    let rows = out.len().checked_div(n).unwrap_or(0);
    gemm_acc(View::row_major(a, rows, k), View::row_major(w, k, n), out);
}

/// out (rows × k) += d (rows × n) · wᵀ for w (k × n), row-major (the backward pass δ Wᵀ, without a transposed copy).
pub fn matmul_a_bt_acc<T: Real>(d: &[T], w: &[T], k: usize, n: usize, out: &mut [T]) {
    let rows = out.len().checked_div(k).unwrap_or(0);
    gemm_acc(View::row_major(d, rows, n), View::transposed(w, k, n), out);
}

/// out (k × n) += aᵀ · b for a (rows × k) and b (rows × n), row-major (the weight gradient Xᵀ G).
pub fn matmul_at_b_acc<T: Real>(a: &[T], b: &[T], k: usize, n: usize, out: &mut [T]) {
    let rows = a.len().checked_div(k).unwrap_or(0);
    gemm_acc(View::transposed(a, rows, k), View::row_major(b, rows, n), out);
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
        for (rows, k, n) in [(5, 3, 17), (4, 16, 8), (1, 1, 64), (7, 64, 2), (6, 9, 24), (256, 18, 128), (0, 4, 4)] {
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
            let mut dwt = vec![-1.0; rows * k];
            matmul_a_bt_acc(&b, &w, k, n, &mut dwt);
            for r in 0..rows {
                for i in 0..k {
                    let want = -1.0 + (0..n).map(|j| b[r * n + j] * w[i * n + j]).sum::<f64>();
                    assert!((dwt[r * k + i] - want).abs() < 1e-12, "δWᵀ {rows}×{k}×{n} at ({r}, {i})");
                }
            }
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
