//! The one budget loop of the headless trainers (`latent-lab train …`, `bench`, the leaderboard): step until a time
//! (wall clock, or the training thread's CPU time) or a number of steps is spent, a cancel flag is set, or a step
//! fails. The step sees the fraction of the budget used, for progress bars and learning-rate schedules.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::runtime::cpu_time::thread_cpu_seconds;

/// Which clock a budget's seconds are counted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    #[default]
    Wall,
    /// CPU time of the training thread (Linux: /proc/thread-self/stat; elsewhere wall-clock time): "60 s of CPU
    /// training" on a machine that other processes share.
    ThreadCpu,
}

/// How much a run may train: seconds on a clock, and at most this many steps if given (whichever comes first).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub seconds: f64,
    pub steps: Option<usize>,
    pub clock: Clock,
}

impl Budget {
    /// `seconds` of wall-clock time.
    #[must_use]
    pub fn seconds(seconds: f64) -> Self {
        Self { seconds, steps: None, clock: Clock::Wall }
    }

    /// At most `steps` steps too.
    #[must_use]
    pub fn with_steps(self, steps: Option<usize>) -> Self {
        Self { steps, ..self }
    }

    /// Counted on `clock`.
    #[must_use]
    pub fn on(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }
}

/// What a run used.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Spent {
    pub steps: usize,
    /// On the budget's clock.
    pub seconds: f64,
    pub wall_seconds: f64,
    /// The cancel flag stopped it.
    pub cancelled: bool,
}

/// Seconds on a clock since it was started.
struct Stopwatch {
    clock: Clock,
    wall: Instant,
    cpu0: Option<f64>,
}

impl Stopwatch {
    fn start(clock: Clock) -> Self {
        let cpu0 = if clock == Clock::ThreadCpu { thread_cpu_seconds() } else { None };
        Self { clock, wall: Instant::now(), cpu0 }
    }

    fn seconds(&self) -> f64 {
        match (self.clock, self.cpu0, thread_cpu_seconds()) {
            (Clock::ThreadCpu, Some(c0), Some(c)) => c - c0,
            _ => self.wall.elapsed().as_secs_f64(),
        }
    }
}

/// Calls `step(fraction used)` until `budget` is spent, `cancel` is set or a step fails (its error is returned; the
/// steps before it count). A budget of no steps or no time takes no step.
pub fn run<E>(
    budget: Budget,
    cancel: Option<&AtomicBool>,
    mut step: impl FnMut(f64) -> Result<(), E>,
) -> Result<Spent, E> {
    let watch = Stopwatch::start(budget.clock);
    let mut spent = Spent::default();
    loop {
        let used = watch.seconds();
        let by_time = if budget.seconds > 0.0 { used / budget.seconds } else { 1.0 };
        let by_steps = budget.steps.map_or(0.0, |n| if n == 0 { 1.0 } else { spent.steps as f64 / n as f64 });
        let fraction = by_time.max(by_steps);
        if fraction >= 1.0 {
            break;
        }
        if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            spent.cancelled = true;
            break;
        }
        step(fraction)?;
        spent.steps += 1;
    }
    spent.seconds = watch.seconds();
    spent.wall_seconds = watch.wall.elapsed().as_secs_f64();
    Ok(spent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_budget_takes_exactly_that_many_steps_with_rising_fractions() {
        let mut fractions = Vec::new();
        let spent = run::<()>(Budget::seconds(60.0).with_steps(Some(4)), None, |f| {
            fractions.push(f);
            Ok(())
        })
        .unwrap();
        assert_eq!(spent.steps, 4);
        assert_eq!(fractions.len(), 4);
        assert!(fractions.windows(2).all(|w| w[0] < w[1]) && fractions[0] < 0.01 && fractions[3] >= 0.75);
        assert!(!spent.cancelled);
        assert_eq!(run::<()>(Budget::seconds(60.0).with_steps(Some(0)), None, |_| panic!("no step")).unwrap().steps, 0);
    }

    #[test]
    fn time_runs_out_a_failed_step_stops_and_cancel_is_reported() {
        let spent = run::<()>(Budget::seconds(0.05), None, |_| {
            std::thread::sleep(std::time::Duration::from_millis(5));
            Ok(())
        })
        .unwrap();
        assert!((1..=11).contains(&spent.steps), "at most 0.05 s / 5 ms steps: {spent:?}");
        assert!(spent.seconds >= 0.05);
        let mut n = 0;
        let failed = run(Budget::seconds(60.0), None, |_| {
            n += 1;
            if n == 3 { Err("diverged") } else { Ok(()) }
        });
        assert_eq!((failed, n), (Err("diverged"), 3));
        let cancel = AtomicBool::new(true);
        let spent = run::<()>(Budget::seconds(60.0), Some(&cancel), |_| Ok(())).unwrap();
        assert!(spent.cancelled && spent.steps == 0);
        let cpu = run::<()>(Budget::seconds(0.02).on(Clock::ThreadCpu), None, |_| Ok(())).unwrap();
        assert!(cpu.steps > 0 && cpu.seconds >= 0.02);
    }
}
