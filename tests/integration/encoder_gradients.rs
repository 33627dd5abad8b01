//! The Encoder gradients tab trains a reparametrised and a REINFORCE VAE side by side and reports their gradients.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use latent_lab::app::{AppOptions, LatentLabApp};
use latent_lab::models::device::DevicePref;

fn step_until(
    h: &mut Harness<'static, LatentLabApp>,
    secs: u64,
    what: &str,
    pred: impl Fn(&Harness<'static, LatentLabApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        h.step();
        if pred(h) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(30));
    }
}

#[test]
fn both_estimators_train_and_report_their_gradient_spread() {
    let mut h: Harness<'static, LatentLabApp> = Harness::builder()
        .with_size(eframe::egui::vec2(1400.0, 900.0))
        .build_eframe(|cc| LatentLabApp::new(cc, &AppOptions { device: DevicePref::Cpu, ..AppOptions::default() }));
    step_until(&mut h, 30, "the device", |h| h.query_by_label_contains("Trainer: idle").is_some());
    // A Latent space run first: starting the comparison must end it cleanly.
    h.get_by_label("Train").click();
    step_until(&mut h, 30, "latent training", |h| h.query_by_label_contains("Trainer: training").is_some());
    h.get_by_label("Encoder gradients").click();
    h.step();
    h.get_by_label("Train both").click();
    step_until(&mut h, 60, "both rows filled", |h| h.query_all_by_label("not trained yet").next().is_none());
    step_until(&mut h, 60, "the spread summary", |h| h.query_by_label_contains("Relative spread (sd/mean)").is_some());
    assert!(h.query_by_label("Pause").is_some());
    h.get_by_label("Latent space").click();
    h.step();
    h.step();
    assert!(h.query_by_label("Train").is_some(), "the Latent space run was replaced, so it offers Train again");
    h.get_by_label("Encoder gradients").click();
    h.step();
    h.get_by_label("Reset").click();
    step_until(&mut h, 30, "idle", |h| h.query_by_label_contains("Trainer: idle").is_some());
}
