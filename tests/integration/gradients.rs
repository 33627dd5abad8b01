//! The "Gradient estimators" tab through `egui_kittest`: its controls work by label and every panel fills in.

use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use crate::app_harness::{app as harness, step_until};

#[test]
fn the_gradient_tab_shows_its_panels_and_reacts_to_its_controls() {
    let mut h = harness();
    h.step();
    h.get_by_label("Gradient estimators").click();
    step_until(&mut h, 30, "the bias/variance table", |h| h.query_by_label("max |bias|/SE").is_some());
    for label in [
        "Gradient of E[g] (closed form)",
        "Bias and variance",
        "1000 estimates of ∇_μ per estimator (K = 10)",
        "Variance vs K (log–log, 300 estimates per point)",
        "E[g] over the optimiser steps (exact, or 400-sample Monte Carlo)",
    ] {
        assert!(h.query_by_label(label).is_some(), "missing: {label}");
    }
    assert!(h.query_by_label_contains("Gradient ascent on E[g]").is_some());
    assert!(h.query_by_label_contains("estimates × 3 estimators").is_some());
    assert!(h.query_all_by_label("reparametrisation").count() >= 1);

    h.get_by_label("bumpy (two bumps + ripples)").click();
    step_until(&mut h, 30, "the Monte Carlo truth", |h| {
        h.query_by_label_contains("no closed form: 200,000-sample").is_some()
    });
    h.get_by_label("exponential  exp(bᵀw)").click();
    step_until(&mut h, 30, "the exp objective", |h| {
        h.query_by_label("Gradient of E[g] (closed form)").is_some()
            && h.query_by_label_contains("Gradient descent (g has no maximum)").is_some()
    });
    // A slider pushed to a singular Σ is clamped with a note; K = 0 is refused.
    h.get_by_role_and_label(Role::Slider, "C₁₁ (diagonal, > 0)").set_value_accesskit(0.0);
    h.get_by_role_and_label(Role::Slider, "K samples per estimate").set_value_accesskit(0.0);
    step_until(&mut h, 10, "the clamp notes", |h| {
        h.query_by_label_contains("C₁₁ clamped to 0.05").is_some()
            && h.query_by_label_contains("K = 0 refused").is_some()
    });
    h.get_by_label("Redraw").click();
    h.get_by_label("Reset").click();
    step_until(&mut h, 30, "the quadratic again", |h| h.query_by_label("Gradient of E[g] (closed form)").is_some());
    assert!(h.query_by_label_contains("⚠").is_none(), "no clamp notes for the defaults");
}
