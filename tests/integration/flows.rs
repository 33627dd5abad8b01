//! The "Flows" tab through `egui_kittest`: Train by label, the NLL and heat maps appear; bad input is refused.

use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use egui_kittest::Harness;
use latent_lab::app::{AppOptions, LatentLabApp};
use latent_lab::models::device::DevicePref;

use crate::app_harness::{app as harness, step_until};

#[test]
fn the_flows_tab_trains_and_shows_the_density_and_nll() {
    let mut h = harness();
    h.step();
    h.get_by_label("Flows").click();
    step_until(&mut h, 10, "the tab", |h| h.query_by_label_contains("Press Train").is_some());
    h.get_by_label("Train").click();
    step_until(&mut h, 60, "the first snapshot", |h| {
        h.query_by_label("held-out NLL (nats)").is_some() && h.query_by_label_contains("refreshes/s").is_some()
    });
    for label in [
        "Negative log-likelihood (nats per point)",
        "RealNVP: log p(x) with samples",
        "Residual flow: log p(x) with samples",
        "max |f⁻¹(f(x)) − x|",
        "log det(I + J), exact (2×2)",
    ] {
        assert!(h.query_by_label(label).is_some(), "missing: {label}");
    }
    // The colour bars of both heat maps.
    assert_eq!(h.query_all_by_label_contains("log p: ").count(), 2);
    assert!(h.query_by_label_contains("inverse by fixed-point iteration").is_some());
    // While both flows train the heat maps keep refreshing; frame times are printed (speed is a benchmark's job).
    let mut frames = Vec::new();
    let start = std::time::Instant::now();
    while start.elapsed().as_secs_f64() < 3.0 {
        let t = std::time::Instant::now();
        h.step();
        frames.push(t.elapsed().as_secs_f64() * 1e3);
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    frames.sort_by(f64::total_cmp);
    let p95 = frames[frames.len() * 95 / 100];
    let rate_label = h.get_by_label_contains("refreshes/s").value().unwrap_or_default();
    eprintln!("Flows tab while training: UI frame p95 {p95:.1} ms over {} frames; {rate_label}", frames.len());
    h.get_by_label("Pause").click();
    step_until(&mut h, 20, "paused", |h| h.query_by_label("Resume").is_some());
}

#[test]
fn painting_nothing_or_a_bound_of_one_is_refused() {
    let mut h = harness();
    h.step();
    h.get_by_label("Flows").click();
    step_until(&mut h, 10, "the tab", |h| h.query_by_label_contains("Press Train").is_some());
    h.get_by_label("Paint your own density").click();
    h.step();
    h.get_by_label("Train").click();
    step_until(&mut h, 10, "the refusal", |h| h.query_by_label_contains("nothing to learn: paint a density").is_some());
    h.get_by_label("Two moons").click();
    h.step();
    h.get_by_role_and_label(Role::Slider, "Lipschitz bound c (residual flow, < 1)").set_value_accesskit(1.0);
    h.step();
    h.get_by_label("Train").click();
    step_until(&mut h, 10, "the c refusal", |h| h.query_by_label_contains("c = 1 refused").is_some());
    assert!(h.query_by_label("held-out NLL (nats)").is_none(), "nothing trained");
}

#[test]
fn a_painted_density_trains() {
    let mut h = harness();
    h.step();
    h.get_by_label("Flows").click();
    h.step();
    h.get_by_label("Paint your own density").click();
    step_until(&mut h, 10, "the canvas", |h| h.query_by_label("Data: drag to paint a density").is_some());
    let title = h.get_by_label("Data: drag to paint a density").rect();
    // The plot sits under its title, about a third of the central panel wide.
    let start = eframe::egui::pos2(title.left() + 100.0, title.bottom() + 120.0);
    h.hover_at(start);
    h.step();
    h.drag_at(start);
    h.step();
    for i in 0..30 {
        h.hover_at(start + eframe::egui::vec2(4.0 * i as f32, 2.0 * i as f32));
        h.step();
    }
    h.drop_at(start + eframe::egui::vec2(120.0, 60.0));
    h.step();
    let painted = h.get_by_label_contains("points painted").value().unwrap_or_default();
    let n: usize = painted.split_whitespace().next().and_then(|w| w.parse().ok()).unwrap_or(0);
    assert!(n >= 40, "a stroke of 30 frames paints dozens of points: {painted}");
    h.get_by_label("Train").click();
    step_until(&mut h, 60, "training on the painted points", |h| h.query_by_label("held-out NLL (nats)").is_some());
    assert!(h.query_by_label_contains("nothing to learn").is_none());
}

/// The WGSL heat maps, forced on the test renderer's adapter (lavapipe here): the label says so and the plot shows
/// viridis pixels although no CPU texture was coloured.
#[test]
fn the_shader_draws_the_heat_maps() {
    let mut h = Harness::builder().with_size(eframe::egui::vec2(1400.0, 900.0)).wgpu().build_eframe(|cc| {
        LatentLabApp::new(cc, &AppOptions { device: DevicePref::Cpu, shader: Some(true), ..AppOptions::default() })
    });
    h.step();
    h.get_by_label("Flows").click();
    h.step();
    h.get_by_label("Train").click();
    step_until(&mut h, 60, "the first snapshot", |h| h.query_by_label_contains("(WGSL shader)").is_some());
    h.get_by_label("Pause").click();
    step_until(&mut h, 20, "paused", |h| h.query_by_label("Resume").is_some());
    let title = h.get_by_label("RealNVP: log p(x) with samples").rect();
    let image = h.render().expect("a wgpu adapter to render with");
    if let Ok(path) = std::env::var("FLOWS_SHADER_PNG") {
        image.save(path).unwrap();
    }
    let ppp = image.width() as f32 / 1400.0;
    let mut viridis_like = 0;
    for y in (title.bottom() as u32 + 20)..(title.bottom() as u32 + 300) {
        for x in (title.left() as u32 + 40)..(title.left() as u32 + 300) {
            let p = image.get_pixel((x as f32 * ppp) as u32, (y as f32 * ppp) as u32);
            // Viridis' darkest stop, (68, 1, 84), fills the low-density corners.
            if (i32::from(p[0]) - 68).abs() < 12 && p[1] < 20 && (i32::from(p[2]) - 84).abs() < 12 {
                viridis_like += 1;
            }
        }
    }
    assert!(viridis_like > 1000, "only {viridis_like} dark-viridis pixels in the heat map");
}

/// Writes docs/screenshots/flows.png (needs a wgpu adapter; lavapipe will do): `cargo test --release
/// flows_screenshot -- --ignored`.
#[test]
#[ignore = "writes the README screenshot"]
fn flows_screenshot() {
    let mut h = harness();
    h.step();
    h.get_by_label("Flows").click();
    h.step();
    h.get_by_label("Train").click();
    let start = std::time::Instant::now();
    while start.elapsed().as_secs() < 25 {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    h.get_by_label("Pause").click();
    step_until(&mut h, 20, "paused", |h| h.query_by_label("Resume").is_some());
    for (slider, value) in [("after layer", 3.0), ("after block", 8.0)] {
        h.get_by_role_and_label(Role::Slider, slider).set_value_accesskit(value);
        h.step();
    }
    h.step();
    let image = h.render().expect("a wgpu adapter to render with");
    image.save(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/screenshots/flows.png")).unwrap();
}
