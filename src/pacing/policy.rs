//! When the window may show new data: the pure pacing policy (no egui, no threads, an explicit clock).
//!
//! Frames that answer input (a drag, a stroke, a slider) are never held back. Frames that only show new data from a
//! training thread, or the next frame of an animation, come at most once per [`Pace::interval`]. In
//! [`Refresh::Auto`] that interval follows the measured CPU cost of a frame, so that drawing takes about
//! [`AUTO_SHARE`] of the machine: ~17 ms (60 fps) where a GPU draws, 100 ms (10 fps) where a software renderer
//! spends 30 ms of CPU on a frame on two cores, at most 200 ms (5 fps). The trainers get the rest.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The shortest interval: 60 frames a second.
pub const FASTEST: Duration = Duration::from_micros(16_667);
/// The longest interval in `Auto`: plots still move 5 times a second on the slowest renderer.
pub const SLOWEST: Duration = Duration::from_millis(200);
/// The share of the machine's CPU that drawing may take in `Auto`.
pub const AUTO_SHARE: f64 = 0.15;
/// After an input event, new data is shown at once for this long: a decoded image for a dragged marker must not
/// wait for the next paced frame.
pub const INTERACTION_GRACE: Duration = Duration::from_millis(400);
/// How much a new measurement of the frame cost counts (exponential average).
const COST_WEIGHT: f64 = 0.3;

/// How often the window shows new data while models train (View ▸ Refresh while training).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Refresh {
    /// From the measured cost of a frame: drawing takes about [`AUTO_SHARE`] of the machine, 5–60 fps.
    #[default]
    Auto,
    /// At most this many frames a second.
    Fps(u32),
    /// Every arrival of data gets a frame (the behaviour before pacing; starves training without a GPU).
    Unlimited,
}

impl Refresh {
    /// The choices offered in the View menu.
    pub const CHOICES: [Self; 6] =
        [Self::Auto, Self::Fps(5), Self::Fps(10), Self::Fps(30), Self::Fps(60), Self::Unlimited];

    /// The menu's words.
    pub fn label(self) -> String {
        match self {
            Self::Auto => format!("Auto (drawing ≤ {:.0} % of the CPU)", AUTO_SHARE * 100.0),
            Self::Fps(n) => format!("At most {n} frames a second"),
            Self::Unlimited => "Unlimited (every update drawn)".into(),
        }
    }
}

impl std::str::FromStr for Refresh {
    type Err = String;

    /// `auto`, `unlimited`, or a frame-rate cap from 1 to 240 (`10`, `10fps`).
    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "unlimited" | "off" => Ok(Self::Unlimited),
            other => match other.trim_end_matches("fps").trim().parse::<u32>() {
                Ok(n @ 1..=240) => Ok(Self::Fps(n)),
                _ => {
                    Err(format!("'{text}' is not a refresh setting: auto, unlimited, or frames a second from 1 to 240"))
                }
            },
        }
    }
}

/// The pacing state of one window.
#[derive(Debug, Clone)]
pub struct Pace {
    refresh: Refresh,
    cores: usize,
    /// CPU seconds one frame costs (UI thread + software renderer), averaged; `None` until measured.
    frame_cost: Option<f64>,
    last_frame: Option<Instant>,
    last_input: Option<Instant>,
    /// Start times of the frames of the last second, for the presented frame rate.
    recent: VecDeque<Instant>,
}

impl Pace {
    /// A window on a machine with `cores` CPU cores.
    pub fn new(refresh: Refresh, cores: usize) -> Self {
        Self {
            refresh,
            cores: cores.max(1),
            frame_cost: None,
            last_frame: None,
            last_input: None,
            recent: VecDeque::new(),
        }
    }

    pub fn refresh(&self) -> Refresh {
        self.refresh
    }

    pub fn set_refresh(&mut self, refresh: Refresh) {
        self.refresh = refresh;
    }

    /// The measured CPU cost of a frame, if any.
    pub fn frame_cost(&self) -> Option<Duration> {
        self.frame_cost.map(Duration::from_secs_f64)
    }

    /// A guess before anything is measured (e.g. 0.1 s of CPU on a software renderer).
    pub fn assume_frame_cost(&mut self, cost: Duration) {
        self.frame_cost.get_or_insert(cost.as_secs_f64());
    }

    /// A measurement: `cpu_seconds` spent drawing `frames` frames.
    pub fn measured(&mut self, cpu_seconds: f64, frames: u64) {
        if frames == 0 || !cpu_seconds.is_finite() || cpu_seconds < 0.0 {
            return;
        }
        let sample = cpu_seconds / frames as f64;
        self.frame_cost = Some(self.frame_cost.map_or(sample, |c| c + COST_WEIGHT * (sample - c)));
    }

    /// The shortest time between two frames that only show new data.
    pub fn interval(&self) -> Duration {
        match self.refresh {
            Refresh::Unlimited => Duration::ZERO,
            Refresh::Fps(n) => Duration::from_secs_f64(1.0 / f64::from(n.max(1))),
            Refresh::Auto => {
                let cost = self.frame_cost.unwrap_or(0.0);
                let interval = Duration::from_secs_f64(cost / (AUTO_SHARE * self.cores as f64));
                interval.clamp(FASTEST, SLOWEST)
            }
        }
    }

    /// A frame starts at `now`; `input` says whether the user did something in it.
    pub fn frame_started(&mut self, now: Instant, input: bool) {
        self.last_frame = Some(now);
        if input {
            self.last_input = Some(now);
        }
        self.recent.push_back(now);
        while self.recent.front().is_some_and(|&t| now.duration_since(t) > Duration::from_secs(1)) {
            self.recent.pop_front();
        }
    }

    /// New data arrived at `now`: how long to wait before the frame that shows it (zero: at once).
    pub fn wake_delay(&self, now: Instant) -> Duration {
        if self.last_input.is_some_and(|t| now.saturating_duration_since(t) < INTERACTION_GRACE) {
            return Duration::ZERO;
        }
        self.last_frame.map_or(Duration::ZERO, |last| (last + self.interval()).saturating_duration_since(now))
    }

    /// Frames started in the second before `now`.
    pub fn fps(&self, now: Instant) -> f64 {
        self.recent.iter().filter(|&&t| now.saturating_duration_since(t) <= Duration::from_secs(1)).count() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Runs an event loop as eframe does: a frame starts when the earliest requested repaint is due, costs `cost`
    /// of wall time, and `arrivals` (ms after the start) ask for repaints through `wake_delay`. Returns the frame
    /// start times in ms.
    fn simulate(pace: &mut Pace, arrivals: &[u64], inputs: &[u64], cost: u64, until: u64) -> Vec<u64> {
        let t0 = Instant::now();
        let at = |m: u64| t0 + ms(m);
        let mut frames = Vec::new();
        let mut due: Option<u64> = None;
        let mut busy_until = 0;
        let (mut a, mut i) = (0, 0);
        for now in 0..until {
            while a < arrivals.len() && arrivals[a] == now {
                let wake = now + pace.wake_delay(at(now)).as_millis() as u64;
                due = Some(due.map_or(wake, |d| d.min(wake)));
                a += 1;
            }
            let mut input = false;
            while i < inputs.len() && inputs[i] == now {
                input = true;
                due = Some(now);
                i += 1;
            }
            if now >= busy_until && due.is_some_and(|d| d <= now) {
                due = None;
                pace.frame_started(at(now), input);
                frames.push(now);
                busy_until = now + cost;
            }
        }
        frames
    }

    #[test]
    fn auto_interval_keeps_drawing_to_its_share_of_the_machine() {
        let mut pace = Pace::new(Refresh::Auto, 2);
        assert_eq!(pace.interval(), FASTEST, "nothing measured: as fast as a GPU allows");
        pace.measured(0.24, 8); // 30 ms of CPU a frame on 2 cores → 100 ms keeps it at 15 %
        assert_eq!(pace.interval(), ms(100));
        pace.measured(10.0, 10); // a very slow renderer: still 5 frames a second
        assert_eq!(pace.interval(), SLOWEST);
        let mut gpu = Pace::new(Refresh::Auto, 8);
        gpu.measured(0.002, 1);
        assert_eq!(gpu.interval(), FASTEST);
        assert_eq!(Pace::new(Refresh::Fps(10), 2).interval(), ms(100));
        assert_eq!(Pace::new(Refresh::Unlimited, 2).interval(), Duration::ZERO);
    }

    #[test]
    fn measurements_are_averaged_and_nonsense_is_ignored() {
        let mut pace = Pace::new(Refresh::Auto, 1);
        pace.measured(1.0, 10);
        pace.measured(f64::NAN, 3);
        pace.measured(1.0, 0);
        assert_eq!(pace.frame_cost(), Some(ms(100)));
        pace.measured(2.0, 10);
        let cost = pace.frame_cost().unwrap().as_secs_f64();
        assert!((cost - 0.13).abs() < 1e-9, "{cost}");
        pace.assume_frame_cost(ms(999));
        assert!((pace.frame_cost().unwrap().as_secs_f64() - 0.13).abs() < 1e-9, "a guess never overrides");
    }

    #[test]
    fn data_arriving_every_millisecond_gets_at_most_the_capped_frames() {
        let mut pace = Pace::new(Refresh::Fps(5), 2);
        let arrivals: Vec<u64> = (0..2000).collect();
        let frames = simulate(&mut pace, &arrivals, &[], 50, 2000);
        // 2 s at 5 fps: frames at 0, 200, …, 1800.
        assert_eq!(frames, (0..10).map(|k| k * 200).collect::<Vec<_>>());
    }

    #[test]
    fn every_arrival_is_shown_within_one_interval() {
        let mut pace = Pace::new(Refresh::Fps(10), 2);
        let arrivals = [5, 30, 250, 251, 900];
        let frames = simulate(&mut pace, &arrivals, &[], 10, 1200);
        for a in arrivals {
            let shown = frames.iter().find(|&&f| f >= a).expect("every arrival gets a frame");
            assert!(shown - a <= 100, "arrival {a} shown at {shown}: {frames:?}");
        }
        assert_eq!(frames, vec![5, 105, 250, 350, 900], "a quiet stretch costs no frames");
    }

    #[test]
    fn input_is_immediate_and_data_during_interaction_too() {
        let mut pace = Pace::new(Refresh::Fps(5), 2);
        // The user drags from 100 ms to 300 ms; the worker answers each move 5 ms later.
        let inputs: Vec<u64> = (100..=300).step_by(20).collect();
        let answers: Vec<u64> = inputs.iter().map(|t| t + 5).collect();
        let frames = simulate(&mut pace, &answers, &inputs, 2, 1000);
        for t in inputs.iter().chain(&answers) {
            assert!(frames.contains(t), "frame at {t}: {frames:?}");
        }
        // Long after the drag, data is paced again.
        let t = Instant::now();
        let mut pace = Pace::new(Refresh::Fps(5), 2);
        pace.frame_started(t, true);
        assert!(pace.wake_delay(t + ms(50)).is_zero(), "just after input");
        pace.frame_started(t + INTERACTION_GRACE + ms(1), false);
        assert_eq!(pace.wake_delay(t + INTERACTION_GRACE + ms(51)), ms(150));
    }

    #[test]
    fn refresh_settings_parse_with_bounds() {
        assert_eq!("auto".parse(), Ok(Refresh::Auto));
        assert_eq!("Unlimited".parse(), Ok(Refresh::Unlimited));
        assert_eq!("10".parse(), Ok(Refresh::Fps(10)));
        assert_eq!("30fps".parse(), Ok(Refresh::Fps(30)));
        for bad in ["0", "241", "-5", "fast", "1e9"] {
            assert!(bad.parse::<Refresh>().is_err(), "{bad}");
        }
    }

    #[test]
    fn presented_frame_rate_counts_the_last_second() {
        let mut pace = Pace::new(Refresh::Auto, 2);
        let t0 = Instant::now();
        for k in 0..30 {
            pace.frame_started(t0 + ms(100 * k), false);
        }
        // Frames at 2.0 … 2.9 s are within the second before 2.95 s (and 1.95 s is not).
        assert_eq!(pace.fps(t0 + ms(2950)), 10.0);
    }
}
