//! The Samples tab: a clear message without a model, then the sample grid and the manifold from the training VAE.

use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use crate::app_harness::{AppHarness, app as harness, step_until};

/// Starts training the Latent space tab's small AE and VAE (hidden sizes "32") and waits for the VAE's codes.
pub fn train_small(h: &mut AppHarness) {
    step_until(h, 30, "the device", |h| h.query_by_label_contains("Device: CPU (flex").is_some());
    h.get_by_role_and_label(Role::TextInput, "Hidden sizes").focus();
    h.step();
    let field = h.get_by_role_and_label(Role::TextInput, "Hidden sizes");
    let len = field.value().map_or(0, |v| v.chars().count());
    for _ in 0..len {
        h.key_press(eframe::egui::Key::Backspace);
    }
    h.step();
    h.get_by_role_and_label(Role::TextInput, "Hidden sizes").type_text("32");
    h.step();
    h.step();
    assert!(h.query_by_label_contains("encoder 784-32-2").is_some(), "small architecture");
    h.get_by_label("Train").click();
    step_until(h, 60, "VAE codes", |h| h.query_by_label_contains("VAE codes: encoder means (1000 digits").is_some());
}

#[test]
fn samples_tab_explains_without_a_model_then_shows_the_grids() {
    let mut h = harness();
    h.step();
    h.get_by_label("Samples").click();
    step_until(&mut h, 30, "the no-model message", |h| h.query_by_label_contains("No VAE yet").is_some());
    h.get_by_label("Latent space").click();
    h.step();
    train_small(&mut h);
    h.get_by_label("Samples").click();
    step_until(&mut h, 30, "the sample grid", |h| {
        h.query_by_label_contains("Samples: 8 × 8 from N(0, 1.00²I)").is_some()
            && h.query_by_label_contains("Manifold: 15 × 15 quantile grid").is_some()
    });
    assert!(h.query_by_label_contains("samples: 64 images decoded").is_some(), "the grid image");
    assert!(h.query_by_label_contains("manifold: 225 images decoded").is_some(), "the manifold image");
    assert!(h.query_by_label_contains("No VAE yet").is_none());
    h.get_by_label("Resample").click();
    h.step();
    h.get_by_label("Binary samples (draw each pixel from its Bernoulli mean)").click();
    step_until(&mut h, 10, "the grid stays", |h| h.query_by_label_contains("samples: 64 images decoded").is_some());
}
