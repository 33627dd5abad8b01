//! The one Adam of the plain-Rust models (Kingma & Ba, with bias correction), over blocks of parameters in `f32` or
//! `f64`. The update is m̂ / (√v̂ + ε), PyTorch's convention, written as one fused pass per block:
//! θ ← θ − lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε·√(1−β₂ᵗ)).

/// The number types Adam updates.
pub trait Float:
    Copy
    + PartialEq
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::SubAssign
{
    const ZERO: Self;
    fn of(value: f64) -> Self;
    #[must_use]
    fn sqrt(self) -> Self;
}

impl Float for f32 {
    const ZERO: Self = 0.0;
    fn of(value: f64) -> Self {
        value as f32
    }
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
}

impl Float for f64 {
    const ZERO: Self = 0.0;
    fn of(value: f64) -> Self {
        value
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
}

/// Adam's moments for a model's parameter blocks.
#[derive(Debug, Clone)]
pub struct Adam<T> {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// Skip entries whose gradient and first moment are both zero (masked weights that never move: MADE). Their
    /// second moment then does not decay, which changes nothing while their gradient stays zero.
    pub sparse: bool,
    t: i32,
    m: Vec<Vec<T>>,
    v: Vec<Vec<T>>,
}

impl<T: Float> Adam<T> {
    /// Moments for blocks of these lengths (β₁ 0.9, β₂ 0.999, ε 1e-8).
    pub fn new(block_lens: impl IntoIterator<Item = usize>) -> Self {
        let zeros: Vec<Vec<T>> = block_lens.into_iter().map(|n| vec![T::ZERO; n]).collect();
        Self { beta1: 0.9, beta2: 0.999, eps: 1e-8, sparse: false, t: 0, m: zeros.clone(), v: zeros }
    }

    /// Steps taken so far.
    #[must_use]
    pub fn steps(&self) -> i32 {
        self.t
    }

    /// One step: each `(parameters, gradients)` pair is a block, in the order of `new`; every gradient is
    /// multiplied by `grad_scale` first (e.g. 1/batch for summed gradients).
    ///
    /// # Panics
    /// If a block's length differs from the one given to `new` (a programming error, not input).
    pub fn step<'a>(&mut self, lr: f64, grad_scale: f64, blocks: impl IntoIterator<Item = (&'a mut [T], &'a [T])>)
    where
        T: 'a,
    {
        self.t = self.t.saturating_add(1);
        let c1 = 1.0 - self.beta1.powi(self.t);
        let c2 = 1.0 - self.beta2.powi(self.t);
        let (step, eps) = (T::of(lr * c2.sqrt() / c1), T::of(self.eps * c2.sqrt()));
        let (b1, b2, scale) = (T::of(self.beta1), T::of(self.beta2), T::of(grad_scale));
        let (one_b1, one_b2) = (T::of(1.0 - self.beta1), T::of(1.0 - self.beta2));
        for ((params, grads), (m, v)) in blocks.into_iter().zip(self.m.iter_mut().zip(&mut self.v)) {
            assert!(params.len() == m.len() && grads.len() == m.len(), "Adam: a block changed its length");
            for (((p, &g), m), v) in params.iter_mut().zip(grads).zip(m.iter_mut()).zip(v.iter_mut()) {
                let g = g * scale;
                if self.sparse && g == T::ZERO && *m == T::ZERO {
                    continue;
                }
                *m = b1 * *m + one_b1 * g;
                *v = b2 * *v + one_b2 * g * g;
                *p -= step * *m / (v.sqrt() + eps);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_step_moves_each_weight_by_the_learning_rate_against_its_gradient() {
        // After one step m̂ = g and v̂ = g², so the update is lr · g / (|g| + ε).
        let mut adam = Adam::<f64>::new([3]);
        let mut p = [1.0, 1.0, 1.0];
        adam.step(0.1, 1.0, [(&mut p[..], &[2.0, -0.5, 0.0][..])]);
        let expected = [1.0 - 0.1 * 2.0 / (2.0 + 1e-8), 1.0 + 0.1 * 0.5 / (0.5 + 1e-8), 1.0];
        for (a, b) in p.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }

    #[test]
    #[allow(clippy::many_single_char_names)] // the textbook's names
    fn it_matches_the_textbook_update_over_many_steps_in_both_precisions() {
        let grads = |t: usize| [0.3 * (t as f64).sin(), -1e-3 * t as f64, 2.0];
        let mut adam = Adam::<f64>::new([3]);
        let mut fast = Adam::<f32>::new([3]);
        let (mut p, mut q) = (vec![0.5; 3], vec![0.5_f32; 3]);
        let (mut m, mut v, mut r) = ([0.0; 3], [0.0; 3], [0.5; 3]);
        for t in 1..=50 {
            let g = grads(t);
            adam.step(0.01, 0.5, [(&mut p[..], &g[..])]);
            let g32 = g.map(|x| x as f32);
            fast.step(0.01, 0.5, [(&mut q[..], &g32[..])]);
            for i in 0..3 {
                let gi = 0.5 * g[i];
                m[i] = 0.9 * m[i] + 0.1 * gi;
                v[i] = 0.999 * v[i] + 0.001 * gi * gi;
                let (mh, vh) = (m[i] / (1.0 - 0.9_f64.powi(t as i32)), v[i] / (1.0 - 0.999_f64.powi(t as i32)));
                r[i] -= 0.01 * mh / (vh.sqrt() + 1e-8);
            }
        }
        for i in 0..3 {
            assert!((p[i] - r[i]).abs() < 1e-12, "{} vs {}", p[i], r[i]);
            assert!((f64::from(q[i]) - r[i]).abs() < 1e-5, "{} vs {}", q[i], r[i]);
        }
        assert_eq!(adam.steps(), 50);
    }

    #[test]
    fn sparse_adam_leaves_entries_that_never_had_a_gradient_alone() {
        let mut adam = Adam::<f32>::new([2]);
        adam.sparse = true;
        let mut p = vec![1.0_f32, 1.0];
        for _ in 0..3 {
            adam.step(0.1, 1.0, [(&mut p[..], &[1.0, 0.0][..])]);
        }
        assert!(p[0] < 0.75 && p[1] == 1.0, "{p:?}");
    }
}
