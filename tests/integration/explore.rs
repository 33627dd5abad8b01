//! Exploring the Latent space tab's code plots: dragging a marker decodes it; clicking a digit shows its reconstruction.

use eframe::egui::{self, Event, PointerButton, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use latent_lab::app::LatentLabApp;

use crate::samples::{harness, step_until, train_small};

fn press(h: &mut Harness<'static, LatentLabApp>, pos: Pos2, pressed: bool) {
    h.event(Event::PointerButton { pos, button: PointerButton::Primary, pressed, modifiers: egui::Modifiers::NONE });
    h.step();
}

fn move_to(h: &mut Harness<'static, LatentLabApp>, pos: Pos2) {
    h.event(Event::PointerMoved(pos));
    h.step();
}

fn decoded_label(h: &Harness<'static, LatentLabApp>) -> Option<String> {
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
