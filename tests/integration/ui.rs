//! UI flows through `egui_kittest`: the app opens, Train produces codes, bad datasets are reported and nothing is lost.

use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use crate::app_harness::{app as harness, step_until};

#[test]
fn train_shows_codes_and_losses_for_both_models() {
    let mut h = harness();
    step_until(&mut h, 30, "the device in the status bar", |h| {
        h.query_by_label_contains("Device: CPU (flex").is_some()
    });
    assert!(h.query_by_label_contains("Trainer: idle").is_some());
    assert!(h.query_by_label("Latent space").is_some(), "the lesson tab");
    h.get_by_label("Train").click();
    step_until(&mut h, 60, "codes in both plots", |h| {
        h.query_by_label_contains("Autoencoder codes (1000 digits").is_some()
            && h.query_by_label_contains("VAE codes: encoder means (1000 digits").is_some()
    });
    step_until(&mut h, 60, "loss readouts", |h| {
        h.query_by_label("AE: not trained yet").is_none() && h.query_by_label("VAE: not trained yet").is_none()
    });
    assert!(h.query_by_label_contains("Trainer: training").is_some());
    h.get_by_label("Pause").click();
    step_until(&mut h, 30, "paused", |h| h.query_by_label_contains("Trainer: paused").is_some());
    assert!(h.query_by_label("Resume").is_some());
    h.get_by_label("Reset").click();
    step_until(&mut h, 30, "idle after reset", |h| h.query_by_label_contains("Trainer: idle").is_some());
    assert!(h.query_by_label("Train").is_some());
    assert!(h.query_by_label("AE: not trained yet").is_some());
}

#[test]
fn a_bad_dataset_is_reported_and_the_current_one_stays() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("images.gz");
    std::fs::write(&bad, b"not gzip at all").unwrap();
    let mut h = harness();
    h.step();
    h.state_mut().open_dataset(&bad, &bad);
    h.step();
    h.step();
    assert!(h.query_by_label_contains("Could not open the dataset").is_some());
    assert!(h.query_by_label_contains("not gzip-compressed").is_some());
    assert_eq!(h.state().dataset().len(), 10_000, "MNIST stays loaded");
    assert!(h.query_by_label_contains("Data: MNIST (10k, built in)").is_some());
    h.get_by_label("Dismiss").click();
    h.step();
    h.step();
    assert!(h.query_by_label_contains("Could not open the dataset").is_none());
}

#[test]
fn invalid_hidden_sizes_disable_train_with_a_reason() {
    let mut h = harness();
    h.step();
    h.get_by_role_and_label(Role::TextInput, "Hidden sizes").focus();
    h.step();
    h.get_by_role_and_label(Role::TextInput, "Hidden sizes").type_text(", x");
    h.step();
    h.step();
    let field = h.get_by_role_and_label(Role::TextInput, "Hidden sizes");
    assert!(field.value().is_some_and(|v| v.ends_with(", x")), "{:?}", field.value());
    assert!(h.query_by_label_contains("is not a whole number").is_some());
}

/// The Bounds tab: train the VAE for the set time, the evaluation starts by itself with a progress bar, and Cancel
/// stops it with a message.
#[test]
fn bounds_tab_trains_then_evaluates_and_cancel_works() {
    let mut h = harness();
    step_until(&mut h, 30, "the device", |h| h.query_by_label_contains("Device: CPU (flex").is_some());
    h.get_by_label("Bounds").click();
    step_until(&mut h, 10, "the tab", |h| h.query_by_label("No evaluation yet: train a model.").is_some());
    assert!(h.query_by_label("Train IWAE").is_some());
    h.get_by_label("Gaussian").click();
    step_until(&mut h, 10, "the Gaussian settings", |h| h.query_by_label_contains("Learn σ²").is_some());
    h.get_by_label("Bernoulli").click();
    step_until(&mut h, 10, "back to Bernoulli", |h| h.query_by_label_contains("Learn σ²").is_none());
    h.get_by_label("Train VAE").click();
    step_until(&mut h, 20, "training", |h| h.query_by_label_contains("Training the VAE (ELBO)").is_some());
    step_until(&mut h, 60, "evaluation", |h| h.query_by_label("Cancel evaluation").is_some());
    step_until(&mut h, 30, "progress", |h| h.query_by_label_contains("Evaluating the VAE (ELBO): L_").is_some());
    h.get_by_label("Cancel evaluation").click();
    step_until(&mut h, 30, "cancelled", |h| h.query_by_label("Evaluation cancelled.").is_some());
    assert!(h.query_by_label("Train VAE").is_some());
}
