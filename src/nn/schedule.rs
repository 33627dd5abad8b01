//! The one learning-rate schedule: cosine decay from a peak to a floor over a run.

/// `peak` at `progress` 0, falling along half a cosine to `peak · floor` at `progress` 1 (clamped to [0, 1]).
#[must_use]
pub fn cosine_decay(peak: f64, floor: f64, progress: f64) -> f64 {
    let p = progress.clamp(0.0, 1.0);
    peak * (floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()))
}

#[cfg(test)]
mod tests {
    use super::cosine_decay;

    #[test]
    fn starts_at_the_peak_ends_at_the_floor_and_halves_the_way_at_mid_run() {
        assert!((cosine_decay(2.0, 0.1, 0.0) - 2.0).abs() < 1e-12);
        assert!((cosine_decay(2.0, 0.1, 1.0) - 0.2).abs() < 1e-12);
        assert!((cosine_decay(2.0, 0.1, 0.5) - 1.1).abs() < 1e-12, "mid-way between peak and floor");
        assert!((cosine_decay(2.0, 0.1, 7.0) - 0.2).abs() < 1e-12, "progress past the end stays at the floor");
        assert!((cosine_decay(2.0, 0.1, -1.0) - 2.0).abs() < 1e-12);
    }
}
