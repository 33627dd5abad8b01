//! CPU time of this process and of its threads, from Linux's `/proc` (elsewhere every reading is `None`).
//!
//! Used to time a training thread by its own CPU clock (`bench flow`), to measure what presenting a frame costs
//! (the window's pacing), and to split the machine between the window and training (`bench window`).

use std::time::Duration;

/// Clock ticks per second in `/proc/*/stat` (USER_HZ, 100 on every Linux build that matters).
const TICKS_PER_SECOND: f64 = 100.0;

/// Threads whose names start with one of these draw the window: Mesa's software renderers (lavapipe/llvmpipe
/// rasterise on threads named `llvmpipe-N`; softpipe and swrast run on the caller).
const RENDER_THREAD_PREFIXES: [&str; 1] = ["llvmpipe"];

/// The command name and the user + system CPU seconds of one `/proc/…/stat` line.
pub fn parse_stat(stat: &str) -> Option<(String, f64)> {
    // The name is in parentheses and may hold spaces and parentheses itself: it ends at the last ')'.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?.to_owned();
    // After the name: state, ppid, … utime and stime are the 12th and 13th fields.
    let mut fields = stat.get(close + 1..)?.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((name, (utime + stime) / TICKS_PER_SECOND))
}

/// CPU seconds the calling thread has used.
pub fn thread_cpu_seconds() -> Option<f64> {
    parse_stat(&std::fs::read_to_string("/proc/thread-self/stat").ok()?).map(|(_, s)| s)
}

/// One reading of the process's CPU clocks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CpuSnapshot {
    /// The whole process, threads that have ended included.
    pub process: f64,
    /// The main thread (the UI thread of the window).
    pub main: f64,
    /// The software renderer's threads (zero where a GPU draws).
    pub render: f64,
}

impl CpuSnapshot {
    /// Reads `/proc/self` (`None` where there is no such file system).
    pub fn read() -> Option<Self> {
        let process = parse_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)?.1;
        let pid = std::process::id().to_string();
        let mut snapshot = Self { process, ..Self::default() };
        for entry in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
            let Some((name, seconds)) = parse_stat(&stat) else { continue };
            if entry.file_name().to_str() == Some(pid.as_str()) {
                snapshot.main = seconds;
            } else if RENDER_THREAD_PREFIXES.iter().any(|p| name.starts_with(p)) {
                snapshot.render += seconds;
            }
        }
        Some(snapshot)
    }

    /// CPU seconds spent on the window (UI thread and renderer) since `earlier`.
    pub fn window_since(&self, earlier: &Self) -> f64 {
        (self.main - earlier.main).max(0.0) + (self.render - earlier.render).max(0.0)
    }

    /// How the CPU was shared over `wall` since `earlier`, each in cores (1.0 = one core busy all the time).
    pub fn shares_since(&self, earlier: &Self, wall: Duration) -> CpuShares {
        let span = wall.as_secs_f64().max(1e-9);
        let ui = (self.main - earlier.main).max(0.0);
        let render = (self.render - earlier.render).max(0.0);
        let rest = ((self.process - earlier.process) - ui - render).max(0.0);
        CpuShares { ui: ui / span, render: render / span, rest: rest / span }
    }
}

/// CPU use over a span, in cores.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuShares {
    /// The UI thread.
    pub ui: f64,
    /// The software renderer's threads.
    pub render: f64,
    /// Everything else: the training threads (and their helpers).
    pub rest: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_give_name_and_seconds() {
        // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime.
        let line = "4242 (llvmpipe-0) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1";
        assert_eq!(parse_stat(line), Some(("llvmpipe-0".to_owned(), 3.0)));
        let odd = "7 (a (b) c) R 1 2 3 4 5 6 7 8 9 10 1 2 0";
        assert_eq!(parse_stat(odd), Some(("a (b) c".to_owned(), 0.03)));
        assert_eq!(parse_stat("7 (x) R 1 2"), None);
        assert_eq!(parse_stat("no parentheses"), None);
    }

    #[test]
    fn shares_split_the_process_time() {
        let a = CpuSnapshot { process: 10.0, main: 2.0, render: 1.0 };
        let b = CpuSnapshot { process: 14.0, main: 2.5, render: 2.0 };
        let s = b.shares_since(&a, Duration::from_secs(2));
        assert_eq!(s, CpuShares { ui: 0.25, render: 0.5, rest: 1.25 });
        assert_eq!(b.window_since(&a), 1.5);
    }

    #[test]
    fn this_process_can_be_read_on_linux() {
        let Some(before) = CpuSnapshot::read() else { return };
        let t0 = thread_cpu_seconds();
        let start = std::time::Instant::now();
        let mut x = 0.0_f64;
        while start.elapsed() < Duration::from_millis(200) {
            x = std::hint::black_box(x + 1.0).sqrt();
        }
        let after = CpuSnapshot::read().expect("read once, read again");
        assert!(after.process - before.process >= 0.1, "{before:?} → {after:?}");
        let used = thread_cpu_seconds().zip(t0).map(|(t, t0)| t - t0).expect("thread clock");
        assert!(used > 0.1 && used < 0.5, "{used}");
    }
}
