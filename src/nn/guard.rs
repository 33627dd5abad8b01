//! The one divergence guard of the plain-Rust trainers: a step whose loss or gradients are not finite numbers is
//! refused before the optimiser touches the weights, so the model keeps its last good weights.

/// A refused step: training diverged at this step (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "training diverged at step {step} (the loss or a gradient is NaN or infinite) — learning rate too high? The last good weights are kept"
)]
pub struct Diverged {
    pub step: usize,
}

/// `Ok` when `loss` and every gradient are finite; else [`Diverged`] at `step` (the step that would have been taken).
pub fn check_finite<'a, T: Into<f64> + Copy + 'a>(
    loss: f64,
    grads: impl IntoIterator<Item = &'a [T]>,
    step: usize,
) -> Result<(), Diverged> {
    let finite = loss.is_finite() && grads.into_iter().all(|g| g.iter().all(|&v| v.into().is_finite()));
    if finite { Ok(()) } else { Err(Diverged { step }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_finite_losses_and_gradients_pass() {
        let good: [&[f32]; 2] = [&[1.0, -2.0], &[0.0]];
        assert_eq!(check_finite(0.5, good, 3), Ok(()));
        let bad: [&[f32]; 2] = [&[1.0], &[f32::NAN]];
        assert_eq!(check_finite(0.5, bad, 3), Err(Diverged { step: 3 }));
        assert_eq!(check_finite::<f64>(f64::INFINITY, [], 9), Err(Diverged { step: 9 }));
        assert!(Diverged { step: 4 }.to_string().contains("step 4"));
    }
}
