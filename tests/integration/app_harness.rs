//! The app under `egui_kittest`, shared by the UI tests.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use latent_lab::app::{AppOptions, LatentLabApp};
use latent_lab::models::device::DevicePref;

pub type AppHarness = Harness<'static, LatentLabApp>;

/// The whole app at 1400×900 on the CPU backend.
pub fn app() -> AppHarness {
    Harness::builder()
        .with_size(eframe::egui::vec2(1400.0, 900.0))
        .build_eframe(|cc| LatentLabApp::new(cc, &AppOptions { device: DevicePref::Cpu, ..AppOptions::default() }))
}

/// Steps frames until `pred` holds. The worker and lesson threads run in real time and keep asking for repaints,
/// so frames are paced with short sleeps instead of `Harness::run`.
pub fn step_until(h: &mut AppHarness, secs: u64, what: &str, pred: impl Fn(&AppHarness) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        h.step();
        if pred(h) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Saves the scene to `path` and steps until the app has written it: at once without models, else after every
/// model file it names (the app writes the scene last).
pub fn save_scene_and_wait(h: &mut AppHarness, path: &std::path::Path) {
    h.state_mut().save_scene_to(path).unwrap();
    step_until(h, 90, "the scene file, after its models", |_| path.is_file());
}

/// The app showing lecture stop `stop` (1-based), whose tab starts from a shipped model.
pub fn at_stop(stop: usize) -> AppHarness {
    Harness::builder().with_size(eframe::egui::vec2(1400.0, 900.0)).build_eframe(move |cc| {
        LatentLabApp::new(
            cc,
            &AppOptions { device: DevicePref::Cpu, lecture: Some((None, stop)), ..AppOptions::default() },
        )
    })
}
