//! Exploring the Latent space tab's code plots: dragging a marker decodes it; clicking a digit shows its reconstruction.

use eframe::egui::{self, Event, PointerButton, Pos2};
use egui_kittest::kittest::{NodeT, Queryable};

use crate::app_harness::{AppHarness, app as harness, step_until};
use crate::samples::train_small;

fn press(h: &mut AppHarness, pos: Pos2, pressed: bool) {
    h.event(Event::PointerButton { pos, button: PointerButton::Primary, pressed, modifiers: egui::Modifiers::NONE });
    h.step();
}

fn move_to(h: &mut AppHarness, pos: Pos2) {
    h.event(Event::PointerMoved(pos));
    h.step();
}

fn decoded_label(h: &AppHarness) -> Option<String> {
    h.query_by_label_contains("VAE decoded at z = (").and_then(|n| n.accesskit_node().label())
}

#[test]
fn dragging_a_marker_in_the_vae_plot_decodes_it() {
    let mut h = harness();
    train_small(&mut h);
    let title = h.get_by_label_contains("VAE codes: encoder means (1000 digits").rect();
    let start = Pos2::new(title.left() + 200.0, title.bottom() + 150.0);
    move_to(&mut h, start);
    press(&mut h, start, true);
    for k in 1..=5 {
        move_to(&mut h, start + egui::vec2(8.0 * k as f32, 4.0 * k as f32));
    }
    step_until(&mut h, 20, "the decoded marker", |h| decoded_label(h).is_some());
    let first = decoded_label(&h).unwrap();
    assert!(h.query_by_label_contains("VAE marker at z = (").is_some());
    for k in 1..=5 {
        move_to(&mut h, start + egui::vec2(40.0 + 10.0 * k as f32, 20.0 + 12.0 * k as f32));
    }
    step_until(&mut h, 20, "a new decoded marker", |h| decoded_label(h).is_some_and(|l| l != first));
    let end = start + egui::vec2(90.0, 80.0);
    press(&mut h, end, false);
    assert!(h.query_by_label_contains("VAE marker at z = (").is_some(), "the marker stays after release");
}

fn click(h: &mut AppHarness, pos: Pos2, modifiers: egui::Modifiers) {
    move_to(h, pos);
    for pressed in [true, false] {
        h.event_modifiers(Event::PointerButton { pos, button: PointerButton::Primary, pressed, modifiers }, modifiers);
    }
    h.step();
    h.step();
}

#[test]
fn clicking_a_code_shows_its_reconstruction_and_shift_click_interpolates() {
    let mut h = harness();
    train_small(&mut h);
    let title = h.get_by_label_contains("VAE codes: encoder means (1000 digits").rect();
    // Scan the plot until a click lands near a code.
    let mut hit = None;
    'scan: for i in 0..12 {
        for j in 0..12 {
            let pos = Pos2::new(title.left() + 60.0 + 35.0 * j as f32, title.bottom() + 20.0 + 28.0 * i as f32);
            click(&mut h, pos, egui::Modifiers::NONE);
            if h.query_by_label_contains("VAE: digit #").is_some() {
                hit = Some(pos);
                break 'scan;
            }
        }
    }
    let hit = hit.expect("some click picks a held-out code");
    step_until(&mut h, 20, "the digit and its reconstruction", |h| h.query_by_label_contains("VAE digit #").is_some());
    click(&mut h, hit + egui::vec2(120.0, 90.0), egui::Modifiers::SHIFT);
    step_until(&mut h, 20, "the interpolation strip", |h| {
        h.query_by_label_contains("VAE interpolation: 10 images").is_some()
    });
}

#[test]
fn a_drawn_digit_is_encoded_with_its_posterior() {
    let mut h = harness();
    train_small(&mut h);
    let canvas = h.get_by_label("Drawing canvas").rect();
    let start = canvas.center() + egui::vec2(0.0, -50.0);
    move_to(&mut h, start);
    press(&mut h, start, true);
    for k in 1..=10 {
        move_to(&mut h, start + egui::vec2(2.0 * k as f32, 10.0 * k as f32));
    }
    press(&mut h, start + egui::vec2(20.0, 100.0), false);
    step_until(&mut h, 20, "the drawn digit's codes", |h| {
        h.query_by_label_contains("VAE: drawn digit at mean (").is_some()
            && h.query_by_label_contains("AE: drawn digit at (").is_some()
    });
    h.get_by_label("Clear").click();
    h.step();
    h.step();
    assert!(h.query_by_label_contains("drawn digit at").is_none(), "Clear forgets the drawing");
}
