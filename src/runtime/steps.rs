//! The process-wide count of optimiser steps. Every trainer (AE/VAE/IWAE sessions, flows, diffusion, HVAE, MADE,
//! WaveNet) adds its steps here, so the status bar and `bench window` can say how fast the models learn, whichever
//! thread runs them. A relaxed atomic add per step costs nanoseconds next to a step's milliseconds.

use std::sync::atomic::{AtomicU64, Ordering};

static STEPS: AtomicU64 = AtomicU64::new(0);

/// Counts `n` optimiser steps (one per model updated).
pub fn record(n: u64) {
    STEPS.fetch_add(n, Ordering::Relaxed);
}

/// Every optimiser step taken in this process so far.
pub fn total() -> u64 {
    STEPS.load(Ordering::Relaxed)
}

/// Steps per second from two readings of [`total`] taken `seconds` apart (0 for a zero or negative span).
pub fn rate(before: u64, after: u64, seconds: f64) -> f64 {
    if seconds > 0.0 { after.saturating_sub(before) as f64 / seconds } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_steps_add_up() {
        let before = total();
        record(3);
        record(4);
        // Other tests may train at the same time: the count grows by at least what this test added.
        assert!(total() >= before + 7);
    }

    #[test]
    fn rate_divides_by_the_span() {
        assert_eq!(rate(100, 350, 2.5), 100.0);
        assert_eq!(rate(5, 5, 1.0), 0.0);
        assert_eq!(rate(9, 3, 1.0), 0.0);
        assert_eq!(rate(0, 10, 0.0), 0.0);
    }
}
