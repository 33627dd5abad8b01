//! The Hierarchical VAE: the tab under `egui_kittest` (train, pause, samples, both DAGs opened in the d-separation
//! editor) and the `train hvae` / `sample` commands end to end.

use std::process::Command;

use egui_kittest::kittest::Queryable;

use crate::app_harness::{AppHarness, app, step_until};

fn open_tab(h: &mut AppHarness) {
    h.step();
    h.get_by_label("Hierarchical VAE").click();
    step_until(h, 10, "the tab", |h| h.query_by_label("Press Train to start.").is_some());
}

#[test]
fn the_tab_trains_and_shows_both_latent_spaces_samples_and_the_elbo_terms() {
    let mut h = app();
    open_tab(&mut h);
    for label in [
        "Generative DAG: z2 → z1, z1 → x",
        "Inference DAG: x → z1, z1 → z2",
        "z₂ (2-D) appears here",
        "ELBO terms appear once training starts.",
    ] {
        assert!(h.query_by_label(label).is_some(), "missing: {label}");
    }
    // The ELBO and its terms are in the explanation panel (F1), which follows the inference DAG.
    h.key_press(eframe::egui::Key::F1);
    h.step();
    assert!(
        h.query_by_label_contains(
            "ELBO = 𝔼_q[log p(x | z_1)] − KL(q(z_1 | x) ‖ p(z_1 | z_2)) − KL(q(z_2 | z_1) ‖ N(0, I))"
        )
        .is_some()
    );
    h.get_by_label("Both from x: x → z₁, x → z₂").click();
    h.step();
    assert!(h.query_by_label("Inference DAG: x → z1, x → z2").is_some(), "the inference DAG follows the choice");
    assert!(h.query_by_label_contains("KL(q(z_2 | x) ‖ N(0, I))").is_some(), "the explanation follows the choice");
    h.get_by_label("z₁ 2-D").click();
    h.step();
    h.get_by_label("Train").click();
    step_until(&mut h, 120, "a snapshot", |h| h.query_by_label_contains("z₂ of held-out digits (step").is_some());
    for label in ["z₁ of held-out digits", "Samples from the full model", "KL_z₁", "KL_z₂", "ELBO"] {
        // Table rows and curve legends may share a name.
        assert!(h.query_all_by_label(label).next().is_some(), "missing: {label}");
    }
    assert!(h.query_by_label_contains("Training: step").is_some());
    h.get_by_label("Pause").click();
    step_until(&mut h, 30, "paused", |h| h.query_by_label_contains("Paused at step").is_some());
    // Save and Load run the system file dialog (not driven here; the worker's file handling has its own test).
    assert!(h.query_by_label("Save model…").is_some() && h.query_by_label("Load model…").is_some());
    h.get_by_label("New samples").click();
    h.step();
    h.get_by_label("Resume").click();
    step_until(&mut h, 30, "training again", |h| h.query_by_label_contains("Training: step").is_some());
    h.get_by_label("Reset").click();
    step_until(&mut h, 10, "reset", |h| h.query_by_label("Press Train to start.").is_some());
}

#[test]
fn both_dags_open_in_the_dsep_editor_with_the_old_graph_one_undo_away() {
    let mut h = app();
    open_tab(&mut h);
    h.get_by_label("Open the inference DAG in the d-separation editor").click();
    step_until(&mut h, 10, "the editor", |h| h.query_by_label("node z2").is_some());
    for node in ["node x", "node z1", "node z2"] {
        assert!(h.query_by_label(node).is_some(), "missing {node}");
    }
    assert!(h.query_by_label_contains("Undo brings back your previous graph").is_some());
    // The d-separation tab has a preset of the same name: the tab is the one in the top bar.
    let tab = h.query_all_by_label("Hierarchical VAE").min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()));
    tab.expect("the tab").click();
    h.step();
    h.get_by_label("Open the generative DAG in the d-separation editor").click();
    step_until(&mut h, 10, "the editor again", |h| h.query_by_label("node z2").is_some());
    h.get_by_label("Undo").click();
    h.step();
    // One Undo brings back the inference DAG (same nodes); two bring back the editor's starting graph.
    assert!(h.query_by_label("node z1").is_some());
    h.get_by_label("Undo").click();
    h.step();
    assert!(h.query_by_label("node z2").is_none(), "the original graph is back");
}

fn latent_lab(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_latent-lab")).args(args).output().expect("run latent-lab");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

#[test]
fn train_hvae_saves_a_model_that_sample_draws_and_bad_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("h.json");
    let m = model.to_str().unwrap();
    let (ok, stdout, stderr) =
        latent_lab(&["train", "hvae", "--steps", "30", "--iwae-k", "20", "--eval-digits", "5", "--out", m, "--json"]);
    assert!(ok, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(report["steps"], 30);
    let (elbo, iwae) = (report["elbo_nll_same_digits"].as_f64().unwrap(), report["iwae_nll"].as_f64().unwrap());
    assert!(iwae <= elbo, "−L_K {iwae} ≤ −ELBO {elbo} on the same samples");
    for key in ["heldout_kl_z1", "heldout_kl_z2", "heldout_recon"] {
        assert!(report[key].as_f64().is_some_and(f64::is_finite), "{key}");
    }
    let png = dir.path().join("s.png");
    let (ok, _, stderr) = latent_lab(&["sample", m, "--count", "16", "--seed", "3", "--out", png.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let first = std::fs::read(&png).unwrap();
    assert_eq!(image::load_from_memory(&first).unwrap().width(), 4 * 30 + 2);
    latent_lab(&["sample", m, "--count", "16", "--seed", "3", "--out", png.to_str().unwrap()]);
    assert_eq!(std::fs::read(&png).unwrap(), first, "same seed, same picture");
    // Truncated weights: a clear error naming the file.
    let bpk = dir.path().join("h.bpk");
    let bytes = std::fs::read(&bpk).unwrap();
    std::fs::write(&bpk, &bytes[..bytes.len() / 2]).unwrap();
    let (ok, _, stderr) = latent_lab(&["sample", m, "--out", png.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("h.bpk") && stderr.contains("do not fit"), "{stderr}");
}
