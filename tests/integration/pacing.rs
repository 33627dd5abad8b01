//! Frame pacing in the whole app: training events ask for frames, and an event loop that honours egui's repaint
//! requests (as eframe's does) draws no more of them than View ▸ Refresh while training allows.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eframe::egui::ViewportId;
use egui_kittest::kittest::Queryable;
use latent_lab::pacing::Refresh;

use crate::app_harness::{AppHarness, app, step_until};

/// Frames counted by [`event_loop`].
#[derive(Debug, Clone, Copy)]
struct Frames {
    /// Every frame drawn.
    all: usize,
    /// Frames that were not egui's own immediate follow-up of the frame before (a label that changed width asks
    /// for one more pass at once): the frames that the wake-ups and the pacing decided.
    paced: usize,
}

/// Runs `h` for `span` as eframe's event loop would: a frame when the earliest repaint asked for (by any thread,
/// through egui's repaint callback, or by the last pass's own output) is due.
fn event_loop(h: &mut AppHarness, span: Duration) -> Frames {
    let due = Arc::new(Mutex::new(Some(Instant::now())));
    let sink = due.clone();
    h.ctx.set_request_repaint_callback(move |info| {
        let when = Instant::now() + info.delay;
        let mut due = sink.lock().unwrap();
        *due = Some(due.map_or(when, |d| d.min(when)));
    });
    let end = Instant::now() + span;
    let mut frames = Frames { all: 0, paced: 0 };
    let mut follow_up = false;
    while Instant::now() < end {
        let now = Instant::now();
        let ready = due.lock().unwrap().is_some_and(|d| d <= now);
        if ready {
            *due.lock().unwrap() = None;
            h.step();
            frames.all += 1;
            frames.paced += usize::from(!follow_up);
            let own = h.output().viewport_output.get(&ViewportId::ROOT).map(|v| v.repaint_delay);
            follow_up = own.is_some_and(|d| d.is_zero());
            if let Some(own) = own.filter(|d| *d < Duration::from_hours(1)) {
                let when = Instant::now() + own;
                let mut due = due.lock().unwrap();
                *due = Some(due.map_or(when, |d| d.min(when)));
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    frames
}

fn choose_refresh(h: &mut AppHarness, label: &str) {
    h.get_by_label("View").click();
    h.step();
    h.step();
    h.get_by_label("Refresh while training").hover();
    h.step();
    h.step();
    h.get_by_label(label).click();
    h.step();
}

/// Asks for a frame every 5 ms from another thread, as a chatty training thread would, until dropped.
struct Chatter(Arc<AtomicBool>);

impl Chatter {
    fn start(ctx: &eframe::egui::Context) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, ctx) = (stop.clone(), ctx.clone());
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                latent_lab::pacing::wake(&ctx);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Self(stop)
    }
}

impl Drop for Chatter {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[test]
fn training_events_get_no_more_frames_than_the_cap() {
    let mut h = app();
    step_until(&mut h, 60, "the device", |h| h.query_by_label_contains("Device: CPU").is_some());
    choose_refresh(&mut h, "At most 5 frames a second");
    assert_eq!(h.state().pace_status().refresh, Refresh::Fps(5));
    h.get_by_label("Train").click();
    step_until(&mut h, 60, "training", |h| h.query_by_label("Pause").is_some());
    // The trainer's reports, and 200 more wake-ups a second from another thread.
    let chatter = Chatter::start(&h.ctx);
    // Let the click's grace period (input frames are never held back) pass, then count.
    event_loop(&mut h, Duration::from_secs(1));
    let capped = event_loop(&mut h, Duration::from_secs(3));
    assert!((3..=17).contains(&capped.paced), "3 s at ≤ 5 fps gave {capped:?}");
    assert!(capped.all <= 2 * capped.paced, "egui's follow-up passes at most double the frames: {capped:?}");

    // The same wake-ups unpaced: each one is a frame as soon as the last is done.
    choose_refresh(&mut h, "Unlimited (every update drawn)");
    event_loop(&mut h, Duration::from_secs(1));
    let unlimited = event_loop(&mut h, Duration::from_secs(3));
    drop(chatter);
    assert!(unlimited.all > 2 * capped.all, "unlimited {unlimited:?} vs capped {capped:?}");
    let shown = h.state().pace_status();
    assert!(shown.fps >= 1.0, "the status shows the presented frame rate: {shown:?}");
    h.get_by_label("Pause").click();
    h.step();
}
