//! `latent-lab bench window`: trains each chosen tab's models in the real window, then the same tabs in the same
//! app without a window (egui passes, nothing drawn), and compares: optimiser steps per second in each, their
//! ratio, presented frames per second, and how the CPU was shared between the UI thread, the renderer and training.
//!
//! A run is a plan of tabs; for each: show it, start its training as Space does, let it warm up, measure, pause it
//! (Space again) and go on. One window serves every tab (a process can open only one event loop).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::runtime::cpu_time::{CpuShares, CpuSnapshot};
use crate::runtime::steps;

/// The tabs `bench window` knows, in the order `--tab all` measures them (the Leaderboard last: Space cannot stop
/// its run).
pub const TABS: [&str; 6] = ["Latent space", "Flows", "Diffusion", "Hierarchical VAE", "Autoregressive", "Leaderboard"];

/// What to measure.
#[derive(Debug, Clone)]
pub struct Plan {
    pub lessons: Vec<&'static str>,
    /// Training runs this long before the measurement starts (device choice, first steps, threads spawned).
    pub warmup: Duration,
    pub seconds: Duration,
}

/// One tab's numbers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measured {
    pub lesson: &'static str,
    pub seconds: f64,
    pub steps_per_second: f64,
    /// Frames presented per second (in the headless run: egui passes).
    pub fps: f64,
    /// `None` where the platform has no per-thread CPU clocks.
    pub shares: Option<CpuShares>,
}

/// The results, filled in by the app as tabs finish; shared with whoever started the run.
pub type Results = Arc<Mutex<Vec<Measured>>>;

/// What the app does for the run at the start of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Show(&'static str),
    /// Start or pause the shown tab's training (as Space does).
    ToggleTraining,
    /// Every tab is measured.
    Finished,
}

struct Reading {
    at: Instant,
    steps: u64,
    frames: u64,
    cpu: Option<CpuSnapshot>,
}

impl Reading {
    fn now(at: Instant, frames: u64) -> Self {
        Self { at, steps: steps::total(), frames, cpu: CpuSnapshot::read() }
    }
}

enum Phase {
    /// Show tab `index`.
    Start,
    /// Start its training, a frame after it was shown (a lesson starts its thread when it is first drawn).
    Shown,
    WarmingUp {
        until: Instant,
    },
    Measuring {
        until: Instant,
        from: Reading,
    },
    Done,
}

/// The run's progress, advanced once per frame.
pub struct Run {
    plan: Plan,
    index: usize,
    phase: Phase,
    frames: u64,
    results: Results,
}

impl Run {
    pub fn new(plan: Plan, results: Results) -> Self {
        Self { plan, index: 0, phase: Phase::Start, frames: 0, results }
    }

    /// Called at the start of every frame; returns what the app must do now (in order). `ready`: the trainer has
    /// chosen its device (a tab started before that would find no trainer to start).
    pub fn frame(&mut self, now: Instant, ready: bool) -> Vec<Step> {
        self.frames += 1;
        let Some(&lesson) = self.plan.lessons.get(self.index) else {
            self.phase = Phase::Done;
            return vec![Step::Finished];
        };
        match &self.phase {
            Phase::Start if !ready => Vec::new(),
            Phase::Start => {
                self.phase = Phase::Shown;
                vec![Step::Show(lesson)]
            }
            Phase::Shown => {
                self.phase = Phase::WarmingUp { until: now + self.plan.warmup };
                vec![Step::ToggleTraining]
            }
            Phase::WarmingUp { until } if now >= *until => {
                self.phase = Phase::Measuring { until: now + self.plan.seconds, from: Reading::now(now, self.frames) };
                Vec::new()
            }
            Phase::Measuring { until, from } if now >= *until => {
                let to = Reading::now(now, self.frames);
                let span = to.at.duration_since(from.at);
                let seconds = span.as_secs_f64();
                let measured = Measured {
                    lesson,
                    seconds,
                    steps_per_second: steps::rate(from.steps, to.steps, seconds),
                    fps: (to.frames - from.frames) as f64 / seconds.max(1e-9),
                    shares: to.cpu.as_ref().zip(from.cpu.as_ref()).map(|(b, a)| b.shares_since(a, span)),
                };
                self.results.lock().unwrap_or_else(PoisonError::into_inner).push(measured);
                self.index += 1;
                self.phase = Phase::Start;
                vec![Step::ToggleTraining]
            }
            Phase::WarmingUp { .. } | Phase::Measuring { .. } => Vec::new(),
            Phase::Done => vec![Step::Finished],
        }
    }
}

/// The comparison table: each tab's in-window and headless numbers.
pub fn report(window: &[Measured], headless: &[Measured]) -> String {
    let mut out = String::from(
        "tab                 in-app steps/s  headless steps/s  ratio   fps   CPU in the window (cores): UI  render  training\n",
    );
    for w in window {
        let h = headless.iter().find(|h| h.lesson == w.lesson);
        let base = h.map_or(0.0, |h| h.steps_per_second);
        let ratio =
            if base > 0.0 { format!("{:>5.0} %", 100.0 * w.steps_per_second / base) } else { "    —  ".into() };
        let shares = w.shares.map_or_else(
            || "(no per-thread clocks here)".to_owned(),
            |s| format!("{:>4.2}  {:>6.2}  {:>8.2}", s.ui, s.render, s.rest),
        );
        let _ = writeln!(
            out,
            "{:<20}{:>14.1}  {:>16.1}  {ratio} {:>5.1}                              {shares}",
            w.lesson, w.steps_per_second, base, w.fps
        );
    }
    out
}

/// The same plan in the same app without a window: egui passes every 100 ms (layout only, nothing drawn), so
/// the training threads have the machine to themselves as in a headless run.
pub fn run_headless(options: &super::AppOptions, plan: Plan) -> Vec<Measured> {
    use eframe::App as _;
    use eframe::egui;

    let results = Results::default();
    let ctx = egui::Context::default();
    let cc = eframe::CreationContext::_new_kittest(ctx.clone());
    let options = super::AppOptions { window_bench: Some((plan, results.clone())), ..options.clone() };
    let mut app = super::LatentLabApp::new(&cc, &options);
    let mut frame = eframe::Frame::_new_kittest();
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1400.0, 900.0));
    while app.window_bench.is_some() {
        let input = egui::RawInput { screen_rect: Some(screen), ..Default::default() };
        let _ = ctx.run_ui(input, |ui| {
            app.logic(ui.ctx(), &mut frame);
            app.ui(ui, &mut frame);
        });
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(app);
    results.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Run {
        fn frame_at(&mut self, now: Instant) -> Vec<Step> {
            self.frame(now, true)
        }
    }

    #[test]
    fn nothing_starts_before_the_trainer_is_ready() {
        let plan = Plan { lessons: vec!["Flows"], warmup: Duration::ZERO, seconds: Duration::ZERO };
        let mut run = Run::new(plan, Results::default());
        let now = Instant::now();
        assert_eq!(run.frame(now, false), vec![]);
        assert_eq!(run.frame(now, true), vec![Step::Show("Flows")]);
    }

    #[test]
    fn a_run_starts_warms_measures_and_pauses_each_tab() {
        let results = Results::default();
        let plan = Plan {
            lessons: vec!["Flows", "Diffusion"],
            warmup: Duration::from_millis(100),
            seconds: Duration::from_millis(200),
        };
        let mut run = Run::new(plan, results.clone());
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(run.frame_at(at(0)), vec![Step::Show("Flows")]);
        assert_eq!(run.frame_at(at(0)), vec![Step::ToggleTraining], "started once drawn");
        assert_eq!(run.frame_at(at(50)), vec![]);
        assert_eq!(run.frame_at(at(100)), vec![], "measurement starts");
        steps::record(10);
        for ms in [150, 200, 250] {
            assert_eq!(run.frame_at(at(ms)), vec![]);
        }
        assert_eq!(run.frame_at(at(300)), vec![Step::ToggleTraining], "Flows measured: pause it");
        assert_eq!(run.frame_at(at(310)), vec![Step::Show("Diffusion")]);
        assert_eq!(run.frame_at(at(310)), vec![Step::ToggleTraining]);
        let first = results.lock().unwrap()[0].clone();
        assert_eq!(first.lesson, "Flows");
        // Wall-clock spans are real time here, not the simulated one; the counts are exact.
        assert!(first.steps_per_second > 0.0);
        assert!(first.fps > 0.0);
        run.frame_at(at(410));
        run.frame_at(at(610));
        assert_eq!(run.frame_at(at(620)), vec![Step::Finished]);
        assert_eq!(results.lock().unwrap().len(), 2);
    }

    #[test]
    fn the_report_gives_the_ratio_to_headless() {
        let w = Measured { lesson: "Flows", seconds: 20.0, steps_per_second: 75.0, fps: 5.0, shares: None };
        let h = Measured { lesson: "Flows", seconds: 20.0, steps_per_second: 100.0, fps: 10.0, shares: None };
        let text = report(&[w], &[h]);
        assert!(text.contains("75 %"), "{text}");
        assert!(text.lines().nth(1).unwrap().starts_with("Flows"), "{text}");
    }
}
