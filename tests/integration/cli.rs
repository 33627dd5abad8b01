//! The headless command line: JSON report, exit codes and messages.

use std::process::Command;

fn latent_lab() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_latent-lab"));
    cmd.env("RUST_BACKTRACE", "0");
    cmd
}

#[test]
fn train_prints_one_json_object_with_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ae");
    let output = latent_lab()
        .args(["--device", "cpu", "train", "ae", "--epochs", "0.2", "--hidden", "32", "--json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    for key in ["knn5_accuracy", "heldout_recon", "heldout_kl", "steps", "seconds"] {
        assert!(report.get(key).is_some(), "missing {key} in {report}");
    }
    let acc = report["knn5_accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&acc));
    assert_eq!(report["heldout_kl"].as_f64(), Some(0.0), "an AE has no KL term");
    // 0.2 epochs of 9,000 images in batches of 128.
    assert_eq!(report["steps"].as_u64(), Some(15));
    assert!(out.with_extension("bpk").exists() || out.exists(), "weights saved");
    assert!(out.with_extension("json").exists(), "config saved");
}

#[test]
fn bad_data_exits_non_zero_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("images.gz");
    std::fs::write(&bad, b"plain text").unwrap();
    let output = latent_lab()
        .args(["--device", "cpu", "train", "vae", "--data"])
        .arg(&bad)
        .arg("--labels")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("images.gz") && stderr.contains("not gzip-compressed"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn divergence_exits_non_zero_with_advice() {
    let output = latent_lab()
        .args(["--device", "cpu", "train", "vae", "--seconds", "5", "--hidden", "32", "--lr", "1000"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("diverged at step") && stderr.contains("learning rate too high"), "{stderr}");
}
