//! View ▸ Slow motion: a paused lesson takes one optimiser step at a time by itself, a few per second, so a room
//! can watch a model learn step by step. Pure timing (no egui): the app asks [`SlowMotion::due`] each frame and
//! sends the shown lesson one step (the same as pressing `.`) when it says so.

use std::time::{Duration, Instant};

/// The rates offered, in optimiser steps per second (`None`: off).
pub const CHOICES: [Option<u32>; 4] = [None, Some(1), Some(2), Some(5)];

/// How often a paused lesson steps by itself.
#[derive(Debug, Clone, Default)]
pub struct SlowMotion {
    per_second: Option<u32>,
    next: Option<Instant>,
}

impl SlowMotion {
    /// Steps per second, `None` while off.
    #[must_use]
    pub fn rate(&self) -> Option<u32> {
        self.per_second
    }

    /// Sets the rate (0 counts as off); the first step is due at once.
    pub fn set(&mut self, per_second: Option<u32>) {
        self.per_second = per_second.filter(|&r| r > 0);
        self.next = None;
    }

    /// The time between two steps, `None` while off.
    #[must_use]
    pub fn interval(&self) -> Option<Duration> {
        self.per_second.map(|r| Duration::from_secs_f64(1.0 / f64::from(r)))
    }

    /// Whether a step is due at `now`; if so, the next one is due an interval later (a late frame does not
    /// bunch steps up: at most one per call).
    pub fn due(&mut self, now: Instant) -> bool {
        let Some(interval) = self.interval() else { return false };
        if self.next.is_some_and(|next| now < next) {
            return false;
        }
        self.next = Some(now + interval);
        true
    }

    /// What View ▸ Slow motion calls a rate.
    #[must_use]
    pub fn label(per_second: Option<u32>) -> String {
        match per_second {
            None => "Off".to_owned(),
            Some(1) => "1 step per second".to_owned(),
            Some(r) => format!("{r} steps per second"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_is_never_due() {
        let mut s = SlowMotion::default();
        assert!(!s.due(Instant::now()));
        s.set(Some(0));
        assert_eq!(s.rate(), None);
        assert!(!s.due(Instant::now()));
    }

    #[test]
    fn steps_come_once_per_interval_however_often_asked() {
        let mut s = SlowMotion::default();
        s.set(Some(2));
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        // Asked every 10 ms for 2 s: due at 0, 500, 1000, 1500 ms — four times.
        let due: Vec<u64> = (0..200).map(|i| i * 10).filter(|&t| s.due(ms(t))).collect();
        assert_eq!(due, vec![0, 500, 1000, 1500]);
    }

    #[test]
    fn a_late_frame_gives_one_step_not_a_burst() {
        let mut s = SlowMotion::default();
        s.set(Some(5));
        let t0 = Instant::now();
        assert!(s.due(t0));
        // Three seconds without a frame, then two frames close together: one step, then none.
        assert!(s.due(t0 + Duration::from_secs(3)));
        assert!(!s.due(t0 + Duration::from_millis(3010)));
    }

    #[test]
    fn changing_the_rate_makes_a_step_due_at_once() {
        let mut s = SlowMotion::default();
        s.set(Some(1));
        let t0 = Instant::now();
        assert!(s.due(t0));
        assert!(!s.due(t0 + Duration::from_millis(100)));
        s.set(Some(5));
        assert!(s.due(t0 + Duration::from_millis(110)));
        assert_eq!(SlowMotion::label(Some(5)), "5 steps per second");
        assert_eq!(SlowMotion::label(None), "Off");
    }
}
