//! The "Autoregressive" tab through `egui_kittest`: MADE trains (exact held-out NLL shown), samples pixel by pixel
//! and completes a hidden bottom half; completing with nothing hidden is refused; the WaveNet page draws the
//! receptive field for the chosen dilations, trains and shows continuations.

use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use crate::app_harness::{app as harness, step_until};

#[test]
fn made_trains_samples_and_completes_a_hidden_half() {
    let mut h = harness();
    h.step();
    h.get_by_label("Autoregressive").click();
    step_until(&mut h, 10, "the tab", |h| h.query_by_label_contains("Press Train MADE").is_some());
    // The chain rule and the masks are in the explanation panel (F1).
    h.key_press(eframe::egui::Key::F1);
    h.step();
    assert!(h.query_by_label_contains("p(x) = ∏_jp(x_j | x_{< j})").is_some());
    assert!(h.query_by_label_contains("pixel i feeds unit k only if m(k) ≥ i").is_some());
    // Completing before hiding anything is refused with a clear message.
    h.get_by_label("Complete").click();
    step_until(&mut h, 5, "the refusal", |h| h.query_by_label_contains("nothing is hidden").is_some());
    h.get_by_label("Train MADE").click();
    step_until(&mut h, 60, "a held-out score", |h| h.query_by_label_contains("held-out −log p(x) =").is_some());
    assert!(h.query_by_label("Pause MADE").is_some());
    // The sample is drawn pixel by pixel from the first weights sent.
    step_until(&mut h, 30, "the sampler", |h| h.query_by_label_contains("of 784 · p(x = 1").is_some());
    h.get_by_role_and_label(Role::Slider, "Pixels per second").set_value_accesskit(5000.0);
    h.get_by_label("Sample again").click();
    h.step();
    assert!(h.query_by_label("Sample being drawn").is_some());
    h.get_by_label("Pause MADE").click();
    step_until(&mut h, 20, "paused", |h| h.query_by_label("Train MADE").is_some());
    h.get_by_label("Hide the bottom half").click();
    step_until(&mut h, 10, "the completions", |h| h.query_by_label("Completion image 6").is_some());
    assert!(h.query_by_label("Completion image 7").is_none(), "six completions by default");
    h.get_by_role_and_label(Role::Slider, "Completions").set_value_accesskit(8.0);
    step_until(&mut h, 10, "eight completions", |h| h.query_by_label("Completion image 8").is_some());
    assert!(h.query_by_label("Visible part").is_some() && h.query_by_label("Original digit").is_some());
    // Another held-out digit gives new completions; the drawing mode shows a canvas.
    h.get_by_label("Draw your own").click();
    step_until(&mut h, 5, "the canvas", |h| h.query_by_label("Drawing canvas").is_some());
    h.get_by_label("Clear drawing").click();
    h.step();
    h.get_by_label("Reset MADE").click();
    step_until(&mut h, 10, "the reset", |h| h.query_by_label_contains("Press Train MADE").is_some());
}

#[test]
fn the_wavenet_page_shows_the_receptive_field_trains_and_continues() {
    let mut h = harness();
    h.step();
    h.get_by_label("Autoregressive").click();
    h.step();
    h.get_by_label("Signals (WaveNet)").click();
    step_until(&mut h, 10, "the page", |h| h.query_by_label("Receptive field diagram, R = 64").is_some());
    assert!(h.query_by_label_contains("= 1 + (1 + 2 + 4 + 8 + 16 + 32) = 64 samples").is_some());
    h.get_by_label("1, 1, 1, 1, 1, 1 (R = 7)").click();
    step_until(&mut h, 10, "the new diagram", |h| h.query_by_label("Receptive field diagram, R = 7").is_some());
    h.get_by_label("Train WaveNet").click();
    step_until(&mut h, 60, "training", |h| h.query_by_label_contains("nats per sample (log 64").is_some());
    h.get_by_label("Pause WaveNet").click();
    step_until(&mut h, 20, "paused", |h| h.query_by_label("Train WaveNet").is_some());
    h.get_by_role_and_label(Role::Slider, "Sampling temperature").set_value_accesskit(0.0);
    h.get_by_label("New continuations").click();
    step_until(&mut h, 20, "continuations at T = 0", |h| {
        h.query_by_label_contains("continuations sampled at temperature 0.0").is_some()
    });
    for label in ["Square wave + noise", "Reset WaveNet", "A fresh signal and the model's continuations"] {
        assert!(h.query_by_label(label).is_some(), "missing: {label}");
    }
}

fn latent_lab() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_latent-lab"));
    cmd.env("RUST_BACKTRACE", "0");
    cmd
}

#[test]
fn train_made_sample_and_bench_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("made.json");
    let output = latent_lab()
        .args(["train", "made", "--steps", "5", "--hidden", "20", "--json", "--out"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(report["steps"].as_u64(), Some(5));
    let nll = report["heldout_nll"].as_f64().unwrap();
    // Exact NLL of 784 binary pixels: positive and below 784 ln 2 for a model with the data's pixel means.
    assert!(nll > 0.0 && nll < 784.0 * std::f64::consts::LN_2, "{nll}");
    let png = dir.path().join("grid.png");
    let output = latent_lab().arg("sample").arg(&model).args(["--count", "9", "--out"]).arg(&png).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let img = image::open(&png).unwrap();
    assert_eq!((img.width(), img.height()), (3 * 58 + 2, 3 * 58 + 2), "3×3 digits of 56 px, 2-px gaps");
    // A damaged MADE file: a clear message naming it, non-zero exit.
    let text = std::fs::read_to_string(&model).unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, &text[..text.len() / 3]).unwrap();
    let output = latent_lab().arg("sample").arg(&bad).args(["--out"]).arg(&png).output().unwrap();
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("bad.json") && err.contains("not a valid model file"), "{err}");
    let output = latent_lab().args(["bench", "made", "--digits", "2", "--json"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let bench: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(bench["pixels_per_second"].as_f64().unwrap() > 0.0);
}

#[test]
fn train_wavenet_from_the_command_line() {
    let output = latent_lab()
        .args(["train", "wavenet", "--signal", "square", "--steps", "3", "--dilations", "1,2,4", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["receptive_field"].as_u64(), Some(8));
    assert_eq!(report["steps"].as_u64(), Some(3));
    let output = latent_lab().args(["train", "wavenet", "--steps", "1", "--dilations", "0"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("0 is not in 1..=512"));
}

#[test]
fn train_pixelcnn_points_to_made() {
    let output = latent_lab().args(["train", "pixelcnn", "--seconds", "1"]).output().unwrap();
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("no PixelCNN") && err.contains("train made"), "{err}");
}
