//! The compute thread a lesson owns: named, at the lowest scheduling priority (the UI and the renderer must win the
//! CPU), with subnormal floats flushed to zero, talking to the lesson over a job channel and a report channel. A
//! panic in it is caught and handed to the lesson as a sentence, so the tab can say so and start a fresh thread
//! instead of showing "Training…" forever.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};

use eframe::egui;

use crate::models::float_env::flush_subnormals;
use crate::runtime::threads::panic_message;

/// The lesson's end of its thread: `tx` takes jobs; [`LessonThread::drain`] gives reports and, once the thread has
/// ended, how.
pub struct LessonThread<Job, Report> {
    pub tx: Sender<Job>,
    rx: Receiver<Report>,
    name: String,
    /// The panic's message, if the thread panicked; written before its last sender is dropped, so it is there
    /// when the channel disconnects.
    panic: Arc<Mutex<Option<String>>>,
}

/// How a lesson thread ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// Its body returned.
    Finished,
    /// It panicked: "the flows thread stopped: …".
    Died(String),
}

impl<Job, Report> LessonThread<Job, Report> {
    /// Every report waiting, oldest first, and — once the thread has ended and every report is read — how it ended.
    pub fn drain_all(&self) -> (Vec<Report>, Option<End>) {
        let mut reports = Vec::new();
        loop {
            match self.rx.try_recv() {
                Ok(r) => reports.push(r),
                Err(TryRecvError::Empty) => return (reports, None),
                Err(TryRecvError::Disconnected) => {
                    let panic = self.panic.lock().unwrap_or_else(PoisonError::into_inner).clone();
                    let end =
                        panic.map_or(End::Finished, |p| End::Died(format!("the {} thread stopped: {p}", self.name)));
                    return (reports, Some(end));
                }
            }
        }
    }

    /// Waits up to `timeout` for the next report (for tests and tools; a lesson never waits).
    ///
    /// # Errors
    /// When nothing came in time, or the thread has ended.
    pub fn recv_timeout(&self, timeout: std::time::Duration) -> Result<Report, mpsc::RecvTimeoutError> {
        self.rx.recv_timeout(timeout)
    }

    /// For a thread that should live as long as its lesson: the reports waiting and, if it has ended anyway, a
    /// sentence saying why. After that the lesson drops this handle and spawns a fresh thread.
    pub fn drain(&self) -> (Vec<Report>, Option<String>) {
        let (reports, end) = self.drain_all();
        let sentence = end.map(|end| match end {
            End::Died(sentence) => sentence,
            End::Finished => format!("the {} thread ended unexpectedly", self.name),
        });
        (reports, sentence)
    }
}

/// Starts `body(jobs, reports, ctx)` on a new thread named `name`, or returns `None` if the thread could not start.
/// `body` calls [`reported`] after each report it sends.
pub fn spawn<Job, Report>(
    name: &str,
    ctx: egui::Context,
    body: impl FnOnce(Receiver<Job>, Sender<Report>, egui::Context) + Send + 'static,
) -> Option<LessonThread<Job, Report>>
where
    Job: Send + 'static,
    Report: Send + 'static,
{
    let (tx, jobs) = mpsc::channel::<Job>();
    let (reports, rx) = mpsc::channel::<Report>();
    let panic = Arc::new(Mutex::new(None));
    let written = Arc::clone(&panic);
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let _ = thread_priority::ThreadPriority::Min.set_for_current();
            // Holds the channel open until the cause is written, so the lesson never sees a death without its cause.
            let keep_open = reports.clone();
            let wake = ctx.clone();
            let outcome = catch_unwind(AssertUnwindSafe(|| flush_subnormals(|| body(jobs, reports, ctx))));
            if let Err(payload) = outcome {
                *written.lock().unwrap_or_else(PoisonError::into_inner) = Some(panic_message(&*payload));
            }
            drop(keep_open);
            crate::pacing::wake(&wake);
        })
        .ok()?;
    Some(LessonThread { tx, rx, name: name.into(), panic })
}

/// What a lesson thread calls after sending a report: wakes the UI (paced), and is where a fault armed by
/// [`inject_fault`] fires.
///
/// # Panics
/// Once after a test armed this thread's name on this context.
pub fn reported(ctx: &egui::Context) {
    if let Some(name) = std::thread::current().name() {
        // A read first: nothing is armed outside tests, and reports should not take the context's write lock.
        let id = fault_id(name);
        if ctx.data(|d| d.get_temp::<bool>(id)).unwrap_or(false) {
            ctx.data_mut(|d| d.remove_temp::<bool>(id));
            panic!("injected fault in the {name} thread");
        }
    }
    crate::pacing::wake(ctx);
}

/// Makes the lesson thread called `name` that wakes `ctx` panic at its next report (once). Tests use it to prove
/// that each lesson survives the death of its thread; it is armed per context, so parallel tests don't meet it.
#[doc(hidden)]
pub fn inject_fault(ctx: &egui::Context, name: &str) {
    ctx.data_mut(|d| d.insert_temp(fault_id(name), true));
}

fn fault_id(name: &str) -> egui::Id {
    egui::Id::unique(("lesson-thread-fault", name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait_for_end(t: &LessonThread<(), u32>) -> (Vec<u32>, String) {
        let start = Instant::now();
        let mut all = Vec::new();
        loop {
            let (reports, end) = t.drain();
            all.extend(reports);
            if let Some(end) = end {
                return (all, end);
            }
            assert!(start.elapsed() < Duration::from_secs(10), "the thread never ended");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_panic_arrives_as_a_sentence_after_every_report_sent_before_it() {
        let t = spawn("lesson-thread-test", egui::Context::default(), |_jobs: Receiver<()>, reports, _ctx| {
            reports.send(1).unwrap();
            reports.send(2).unwrap();
            panic!("boom at step {}", 3);
        })
        .unwrap();
        let (reports, end) = wait_for_end(&t);
        assert_eq!(reports, [1, 2]);
        assert_eq!(end, "the lesson-thread-test thread stopped: boom at step 3");
    }

    #[test]
    fn a_living_thread_reports_no_end_and_an_injected_fault_ends_it() {
        let ctx = egui::Context::default();
        inject_fault(&ctx, "lesson-thread-fault");
        let t = spawn("lesson-thread-fault", ctx, |jobs: Receiver<()>, reports, ctx| {
            while jobs.recv().is_ok() {
                reports.send(7).unwrap();
                reported(&ctx);
            }
        })
        .unwrap();
        assert_eq!(t.drain(), (vec![], None), "idle and alive");
        t.tx.send(()).unwrap();
        let (reports, end) = wait_for_end(&t);
        assert_eq!(reports, [7]);
        assert_eq!(end, "the lesson-thread-fault thread stopped: injected fault in the lesson-thread-fault thread");
    }

    #[test]
    fn a_body_that_returns_finishes_after_its_reports() {
        let t = spawn("lesson-thread-done", egui::Context::default(), |_jobs: Receiver<()>, reports, _ctx| {
            reports.send(5).unwrap();
        })
        .unwrap();
        let start = Instant::now();
        let mut seen = Vec::new();
        let end = loop {
            let (reports, end) = t.drain_all();
            seen.extend(reports);
            if let Some(end) = end {
                break end;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "the thread never ended");
            std::thread::sleep(Duration::from_millis(5));
        };
        assert_eq!((seen, end), (vec![5], End::Finished));
        assert_eq!(t.drain(), (vec![], Some("the lesson-thread-done thread ended unexpectedly".into())));
    }
}
