//! The compute thread a lesson owns: named, at the lowest scheduling priority (the UI and the renderer must win the
//! CPU), with subnormal floats flushed to zero, talking to the lesson over a job channel and a report channel.

use std::sync::mpsc::{self, Receiver, Sender};

use eframe::egui;

use crate::models::float_env::flush_subnormals;

/// Starts `body(jobs, reports, ctx)` on a new thread named `name`; returns the lesson's ends of the two channels,
/// or `None` if the thread could not start. `body` should wake the UI (`crate::pacing::wake(&ctx)`) after each report.
pub fn spawn<Job, Report>(
    name: &str,
    ctx: egui::Context,
    body: impl FnOnce(Receiver<Job>, Sender<Report>, egui::Context) + Send + 'static,
) -> Option<(Sender<Job>, Receiver<Report>)>
where
    Job: Send + 'static,
    Report: Send + 'static,
{
    let (tx, jobs) = mpsc::channel::<Job>();
    let (reports, rx) = mpsc::channel::<Report>();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let _ = thread_priority::ThreadPriority::Min.set_for_current();
            flush_subnormals(|| body(jobs, reports, ctx));
        })
        .ok()?;
    Some((tx, rx))
}
