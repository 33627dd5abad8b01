//! `--bench-ui`'s tour of the tabs: after the first tab's frames (training the Latent space models), every further
//! tab is shown in turn, its own training started as Space would, and its frames timed; the first frame after each
//! switch is the lesson-switch time.

use super::hall::Action;
use super::percentile;

/// The tour's progress and results.
#[derive(Debug, Default)]
pub struct Tour {
    /// The tab measured now (0: the first tab, measured by the frame benchmark itself).
    lesson: usize,
    /// The next recorded frame is the first one after a switch.
    switching: bool,
    switch_ms: f64,
    times: Vec<f64>,
    intervals: Vec<f64>,
    rows: Vec<String>,
    /// Every tab has been measured.
    pub finished: bool,
}

/// "p50 / p95 / max" of samples in ms.
pub fn summary(samples: &[f64]) -> String {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    format!(
        "{:>6.2} {:>6.2} {:>7.2}",
        percentile(&sorted, 50.0),
        percentile(&sorted, 95.0),
        sorted.last().copied().unwrap_or(0.0)
    )
}

impl Tour {
    /// At the start of a frame: once the current tab has `frames` frames, switches to the next one (and asks for
    /// its training to start), or finishes after the last tab.
    pub fn advance(&mut self, frames: usize, count: usize, selected: &mut usize) -> Option<Action> {
        if self.finished || self.switching || (self.lesson > 0 && self.times.len() < frames) {
            return None;
        }
        if self.lesson + 1 >= count {
            self.finished = true;
            return None;
        }
        self.lesson += 1;
        *selected = self.lesson;
        self.switching = true;
        self.times.clear();
        self.intervals.clear();
        Some(Action::ToggleTraining)
    }

    /// At the end of a frame of tab `name` (after the first tab): its UI-thread time and frame-to-frame interval.
    pub fn record(&mut self, name: &str, frames: usize, ms: f64, interval: f64) {
        if self.lesson == 0 || self.finished {
            return;
        }
        if self.switching {
            self.switching = false;
            self.switch_ms = ms;
            return;
        }
        self.times.push(ms);
        self.intervals.push(interval);
        if self.times.len() >= frames {
            self.rows.push(format!(
                "  {name:<20} {:>9.2}   {}   {}",
                self.switch_ms,
                summary(&self.times),
                summary(&self.intervals)
            ));
        }
    }

    /// The per-tab table.
    pub fn report(&self) -> String {
        let mut out = String::from(
            "per tab, its training started (ms):   switch   UI p50    p95     max   frame p50    p95     max\n",
        );
        for row in &self.rows {
            out.push_str(row);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tour_visits_every_tab_once_and_times_the_switch() {
        let mut tour = Tour::default();
        let mut selected = 0;
        let mut toggles = 0;
        for _ in 0..100 {
            if tour.advance(3, 3, &mut selected) == Some(Action::ToggleTraining) {
                toggles += 1;
            }
            if tour.finished {
                break;
            }
            tour.record("tab", 3, if tour.switching { 9.0 } else { 1.0 }, 2.0);
        }
        assert!(tour.finished);
        assert_eq!(toggles, 2, "tabs 1 and 2 (tab 0 is measured by the caller)");
        assert_eq!(selected, 2);
        assert_eq!(tour.rows.len(), 2);
        assert!(tour.rows[0].contains("9.00"), "{}", tour.rows[0]);
    }
}
