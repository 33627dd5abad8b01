//! The Encoder gradients tab trains a reparametrised and a REINFORCE VAE side by side and reports their gradients.

use egui_kittest::kittest::Queryable;

use crate::app_harness::{app, step_until};

#[test]
fn both_estimators_train_and_report_their_gradient_spread() {
    let mut h = app();
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
