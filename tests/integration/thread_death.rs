//! Every lesson survives the death of its thread: a fault injected into the thread (it panics at its next report)
//! turns into a red sentence on the tab, and the next action starts a fresh thread that works.

use egui_kittest::kittest::Queryable;
use latent_lab::lessons::lesson_thread::inject_fault;

use crate::app_harness::{AppHarness, app, step_until};

fn open(h: &mut AppHarness, tab: &str) {
    h.step();
    h.get_by_label(tab).click();
    h.step();
}

fn shows(h: &AppHarness, text: &str) -> bool {
    h.query_by_label_contains(text).is_some()
}

#[test]
fn flows_say_their_thread_died_and_train_again() {
    let mut h = app();
    open(&mut h, "Flows");
    inject_fault(&h.ctx, "flows");
    h.get_by_label("Train").click();
    step_until(&mut h, 30, "the death", |h| shows(h, "the flows thread stopped: injected fault"));
    assert!(shows(&h, "Press Train to start again"));
    h.get_by_label("Train").click();
    step_until(&mut h, 60, "a fresh thread's snapshot", |h| {
        h.query_by_label("held-out NLL (nats)").is_some() && !shows(h, "thread stopped")
    });
}

#[test]
fn diffusion_says_its_thread_died_and_the_2d_model_trains_again() {
    let mut h = app();
    inject_fault(&h.ctx, "diffusion-lab");
    // The tab's thread loads the shipped U-Net first, and dies at that report.
    open(&mut h, "Diffusion");
    h.get_by_label("3 · Digits (U-Net)").click();
    // Wait for the digits page's own sentence: the side panel can lag a page switch by a frame or two.
    step_until(&mut h, 60, "the death on the digits page", |h| {
        shows(h, "the diffusion-lab thread stopped: injected fault") && shows(h, "Load a checkpoint to go on")
    });
    h.get_by_label("2 · Learn the reverse").click();
    step_until(&mut h, 10, "the reverse page", |h| h.query_by_label("Train").is_some());
    assert!(shows(&h, "Press Train to start again"), "the 2-D page says so too");
    h.get_by_label("Train").click();
    step_until(&mut h, 60, "a fresh thread training", |h| shows(h, "training: step") || shows(h, "trained:"));
}

#[test]
fn the_hierarchical_vae_says_its_thread_died_and_trains_a_new_model() {
    let mut h = app();
    open(&mut h, "Hierarchical VAE");
    step_until(&mut h, 10, "the tab", |h| h.query_by_label("Press Train to start.").is_some());
    inject_fault(&h.ctx, "hvae-lab");
    h.get_by_label("Train").click();
    step_until(&mut h, 60, "the death", |h| shows(h, "the hvae-lab thread stopped: injected fault"));
    h.get_by_label("Train").click();
    step_until(&mut h, 60, "a fresh thread training", |h| h.query_by_label("Pause").is_some() && !shows(h, "stopped:"));
}

#[test]
fn the_autoregressive_tab_says_its_thread_died_and_trains_again() {
    let mut h = app();
    open(&mut h, "Autoregressive");
    step_until(&mut h, 10, "the tab", |h| shows(h, "Press Train MADE"));
    inject_fault(&h.ctx, "autoregressive");
    h.get_by_label("Train MADE").click();
    step_until(&mut h, 60, "the death", |h| shows(h, "the autoregressive thread stopped: injected fault"));
    assert!(h.query_by_label("Train MADE").is_some(), "no longer shown as training");
    h.get_by_label("Train MADE").click();
    step_until(&mut h, 60, "a held-out score", |h| shows(h, "held-out −log p(x) ="));
}

#[test]
fn the_gradient_lab_says_its_thread_died_and_computes_the_next_setting() {
    let mut h = app();
    inject_fault(&h.ctx, "gradient-lab");
    open(&mut h, "Gradient estimators");
    step_until(&mut h, 30, "the death", |h| shows(h, "the gradient-lab thread stopped: injected fault"));
    h.get_by_label("bumpy (two bumps + ripples)").click();
    step_until(&mut h, 60, "the next setting computed", |h| {
        shows(h, "no closed form: 200,000-sample") && !shows(h, "thread stopped")
    });
}
