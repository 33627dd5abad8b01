//! Frame pacing in the whole app: training events ask for frames, and an event loop that honours egui's repaint
//! requests (as eframe's does) draws no more of them than View ▸ Refresh while training allows.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eframe::egui::ViewportId;
use egui_kittest::kittest::Queryable;
use latent_lab::pacing::Refresh;

use crate::app_harness::{AppHarness, app, step_until};

/// Runs `h` for `span` as eframe's event loop would: a frame when the earliest repaint asked for (by any thread,
/// through egui's repaint callback, or by the last pass's own output) is due. Returns the number of frames.
fn event_loop(h: &mut AppHarness, span: Duration) -> usize {
    let due = Arc::new(Mutex::new(Some(Instant::now())));
    let sink = due.clone();
    h.ctx.set_request_repaint_callback(move |info| {
        let when = Instant::now() + info.delay;
        let mut due = sink.lock().unwrap();
        *due = Some(due.map_or(when, |d| d.min(when)));
    });
    let end = Instant::now() + span;
    let mut frames = 0;
    while Instant::now() < end {
        let now = Instant::now();
        let ready = due.lock().unwrap().is_some_and(|d| d <= now);
        if ready {
            *due.lock().unwrap() = None;
            h.step();
            frames += 1;
            let own = h.output().viewport_output.get(&ViewportId::ROOT).map(|v| v.repaint_delay);
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

#[test]
fn training_events_get_no_more_frames_than_the_cap() {
    let mut h = app();
    step_until(&mut h, 60, "the device", |h| h.query_by_label_contains("Device: CPU").is_some());
    choose_refresh(&mut h, "At most 5 frames a second");
    assert_eq!(h.state().pace_status().refresh, Refresh::Fps(5));
    h.get_by_label("Train").click();
    step_until(&mut h, 60, "training", |h| h.query_by_label("Pause").is_some());
    // Let the click's grace period (input frames are never held back) pass, then count.
    event_loop(&mut h, Duration::from_secs(1));
    let capped = event_loop(&mut h, Duration::from_secs(3));
    assert!((6..=17).contains(&capped), "3 s at ≤ 5 fps gave {capped} frames");

    // The same training, unpaced: every report is a frame. So the cap is what held the frames back.
    choose_refresh(&mut h, "Unlimited (every update drawn)");
    event_loop(&mut h, Duration::from_secs(1));
    let unlimited = event_loop(&mut h, Duration::from_secs(3));
    assert!(unlimited > capped + 6, "unlimited {unlimited} frames vs capped {capped}");
    let shown = h.state().pace_status();
    assert!(shown.fps >= 1.0, "the status shows the presented frame rate: {shown:?}");
    h.get_by_label("Pause").click();
    h.step();
}
