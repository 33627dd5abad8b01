//! The one progress bar of the command line: a fraction of a stated total (seconds, epochs, entries) on stderr, with
//! a message after it. Hidden when stderr is not a terminal (indicatif's rule), so scripts see only the report.

use std::time::Duration;

/// A bar for `total` `unit`s of work.
pub struct Progress {
    bar: indicatif::ProgressBar,
    total: f64,
}

impl Progress {
    #[must_use]
    pub fn new(total: f64, unit: &str) -> Self {
        let bar = indicatif::ProgressBar::new(1000);
        let template = format!("{{bar:30}} {{percent:>3}}% of {total} {unit}  {{msg}}");
        if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        Self { bar, total }
    }

    /// A bar that shows nothing (a `--json` run on a terminal).
    #[must_use]
    pub fn hidden(total: f64) -> Self {
        Self { bar: indicatif::ProgressBar::hidden(), total }
    }

    /// A line above the bar (it stays when the bar goes).
    pub fn println(&self, line: impl AsRef<str>) {
        self.bar.println(line);
    }

    /// `done` of the total so far, and what to say about it.
    pub fn set(&self, done: f64, message: impl Into<std::borrow::Cow<'static, str>>) {
        let fraction = if self.total > 0.0 { (done / self.total).clamp(0.0, 1.0) } else { 1.0 };
        self.bar.set_position((fraction * 1000.0) as u64);
        self.bar.set_message(message);
    }

    /// Removes the bar (the work is done).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Leaves the bar where it stopped (the work failed).
    pub fn abandon(&self) {
        self.bar.abandon();
    }
}
