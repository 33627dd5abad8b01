//! Latent space scenes: saving writes both trained models next to the scene with the explored state (marker,
//! clicked digit); a fresh app opening the scene through the File menu's path gets the same models back, paused,
//! and shows the decoded marker and the clicked digit again. A missing model file is refused and changes nothing.

use std::path::Path;

use eframe::egui::{self, Event, PointerButton, Pos2};
use egui_kittest::kittest::{NodeT, Queryable};

use crate::app_harness::{AppHarness, app as harness, save_scene_and_wait, step_until};
use crate::samples::train_small;

const FILES: [&str; 4] = [
    "lecture-latent-space-ae.bpk",
    "lecture-latent-space-ae.json",
    "lecture-latent-space-vae.bpk",
    "lecture-latent-space-vae.json",
];

fn pointer(h: &mut AppHarness, pos: Pos2, pressed: Option<bool>) {
    h.event(Event::PointerMoved(pos));
    if let Some(pressed) = pressed {
        h.event(Event::PointerButton {
            pos,
            button: PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    h.step();
    h.step();
}

/// The text of the node whose text starts with `part` (the VAE's labels contain the AE's: "VAE marker at …").
fn label(h: &AppHarness, part: &str) -> Option<String> {
    h.query_all_by_label_contains(part)
        .filter_map(|n| n.accesskit_node().label().or_else(|| n.accesskit_node().value()))
        .find(|t| t.starts_with(part))
}

/// Trains briefly, pauses, drags the AE marker and clicks a VAE digit; returns the marker's and the digit's labels.
fn trained_and_explored() -> (AppHarness, String, String) {
    let mut h = harness();
    train_small(&mut h);
    h.get_by_label("Pause").click();
    step_until(&mut h, 20, "the paused run", |h| h.query_by_label("Resume").is_some());
    let ae = h.get_by_label_contains("Autoencoder codes (1000 digits").rect();
    let start = Pos2::new(ae.left() + 200.0, ae.bottom() + 150.0);
    pointer(&mut h, start, Some(true));
    for k in 1..=4 {
        pointer(&mut h, start + egui::vec2(8.0 * k as f32, 5.0 * k as f32), None);
    }
    pointer(&mut h, start + egui::vec2(32.0, 20.0), Some(false));
    step_until(&mut h, 20, "the decoded AE marker", |h| label(h, "AE decoded at z = (").is_some());
    let marker = label(&h, "AE marker at z = (").unwrap();
    let vae = h.get_by_label_contains("VAE codes: encoder means (1000 digits").rect();
    'scan: for i in 0..12 {
        for j in 0..12 {
            let pos = Pos2::new(vae.left() + 60.0 + 35.0 * j as f32, vae.bottom() + 20.0 + 28.0 * i as f32);
            pointer(&mut h, pos, Some(true));
            pointer(&mut h, pos, Some(false));
            if h.query_by_label_contains("VAE: digit #").is_some() {
                break 'scan;
            }
        }
    }
    let digit = label(&h, "VAE: digit #").expect("some click picks a held-out code");
    step_until(&mut h, 20, "the digit and its reconstruction", |h| label(h, "VAE digit #").is_some());
    (h, marker, digit)
}

fn step_until_files(h: &mut AppHarness, dir: &Path) {
    step_until(h, 30, "the model files", |_| FILES.iter().all(|f| dir.join(f).is_file()));
}

#[test]
fn a_latent_space_scene_brings_back_both_models_and_the_exploration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lecture.json");
    let (mut h, marker, digit) = trained_and_explored();
    save_scene_and_wait(&mut h, &path);
    step_until_files(&mut h, dir.path());
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let part = &json["lessons"]["Latent space"];
    assert_eq!(part["models"], serde_json::json!([FILES[0], FILES[2]]), "relative file names: {part}");
    assert!(part["explore"][0]["probe"].is_array() && part["explore"][1]["clicked"].is_array(), "{part}");

    let mut fresh = harness();
    step_until(&mut fresh, 30, "the device", |h| h.query_by_label_contains("Device: CPU (flex").is_some());
    assert!(fresh.query_by_label_contains("AE marker at z").is_none());
    // The File menu's Open scene… reads the file on a helper thread and hands the text to the same code.
    fresh.state_mut().open_scene(&path);
    step_until(&mut fresh, 60, "the models, the marker and the clicked digit", |h| {
        label(h, "AE decoded at z = (").is_some() && label(h, "VAE digit #").is_some()
    });
    assert!(fresh.query_by_label_contains("Opened the scene lecture.json").is_some());
    assert_eq!(label(&fresh, "AE marker at z = (").as_deref(), Some(marker.as_str()));
    assert_eq!(label(&fresh, "VAE: digit #").as_deref(), Some(digit.as_str()));
    assert!(fresh.query_by_label("Resume").is_some(), "the loaded run is paused, ready to resume");

    // The same weights: saving the opened scene again writes byte-identical model files.
    let again = tempfile::tempdir().unwrap();
    save_scene_and_wait(&mut fresh, &again.path().join("lecture.json"));
    step_until_files(&mut fresh, again.path());
    for f in [FILES[0], FILES[2]] {
        let (a, b) = (std::fs::read(dir.path().join(f)).unwrap(), std::fs::read(again.path().join(f)).unwrap());
        assert!(a == b, "{f} differs after the round trip");
    }
}

#[test]
fn a_latent_space_scene_with_a_missing_model_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lecture.json");
    let (mut h, marker, _) = trained_and_explored();
    save_scene_and_wait(&mut h, &path);
    step_until_files(&mut h, dir.path());
    std::fs::remove_file(dir.path().join(FILES[2])).unwrap();
    let before = h.state().scene_json(dir.path());
    h.state_mut().open_scene(&path);
    for _ in 0..3 {
        h.step();
    }
    assert!(h.query_by_label_contains("Could not open the scene lecture.json").is_some());
    assert!(h.query_by_label_contains("lecture-latent-space-vae.bpk (with its .json), which is missing").is_some());
    assert_eq!(h.state().scene_json(dir.path()), before);
    assert_eq!(label(&h, "AE marker at z = (").as_deref(), Some(marker.as_str()), "the exploration stays");
    assert!(h.query_by_label("Resume").is_some() && label(&h, "VAE digit #").is_some());
}
