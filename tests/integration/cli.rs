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

#[test]
fn eval_prints_bounds_that_climb_towards_the_quadrature() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("vae");
    let trained = latent_lab()
        .args(["--device", "cpu", "train", "vae", "--epochs", "0.5", "--hidden", "64", "--json", "--out"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    let output = latent_lab()
        .args(["--device", "cpu", "eval"])
        .arg(model.with_extension("bpk"))
        .args(["--k", "1,20,200", "--limit", "40", "--grid", "300", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let bounds = report["bounds"].as_array().unwrap();
    let mean = |i: usize| bounds[i]["mean"].as_f64().unwrap();
    let se = |i: usize| bounds[i]["stderr"].as_f64().unwrap();
    assert_eq!(bounds.iter().map(|b| b["k"].as_u64().unwrap()).collect::<Vec<_>>(), vec![1, 20, 200]);
    // Same digits for every K, so the per-digit noise largely cancels; allow a small slack.
    assert!(mean(0) <= mean(1) + 0.5 * se(1), "L_1 {} vs L_20 {}", mean(0), mean(1));
    assert!(mean(1) <= mean(2) + 0.5 * se(2), "L_20 {} vs L_200 {}", mean(1), mean(2));
    let log_px = report["log_px_quadrature"].as_f64().expect("a 2-D VAE gets the quadrature");
    assert!(mean(2) <= log_px + 0.05, "L_200 {} must not exceed log p(x) {log_px}", mean(2));
}

#[test]
fn eval_refuses_bad_requests_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.bpk");
    let output = latent_lab().args(["eval"]).arg(&missing).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("none.json"), "{stderr}");
    let ae = dir.path().join("ae");
    let trained = latent_lab()
        .args(["--device", "cpu", "train", "ae", "--epochs", "0.05", "--hidden", "16", "--out"])
        .arg(&ae)
        .output()
        .unwrap();
    assert!(trained.status.success());
    let output = latent_lab().args(["--device", "cpu", "eval"]).arg(&ae).args(["--k", "5"]).output().unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("autoencoder"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn train_realnvp_prints_heldout_nll_and_saves_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("moons-flow.json");
    let output = latent_lab()
        .args(["train", "realnvp", "--data", "moons", "--seconds", "2", "--json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    let nll = report["heldout_nll"].as_f64().unwrap();
    // A standard normal on standardised moons scores log(2π) + 1 ≈ 2.84 nats; two seconds of training beat it.
    assert!(nll.is_finite() && nll < 2.8, "{report}");
    assert!(report["invertibility_error"].as_f64().unwrap() < 1e-9);
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(saved["model"]["RealNvp"]["params"].as_array().is_some_and(|p| !p.is_empty()));
    assert_eq!((saved["kind"].as_str(), saved["version"].as_u64()), (Some("realnvp"), Some(1)), "the one envelope");
}

#[test]
fn flow_commands_refuse_bad_input_clearly() {
    let output = latent_lab().args(["train", "resflow", "--lipschitz", "1.0", "--seconds", "1"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("c = 1 refused") && stderr.contains("invertible"), "{stderr}");
    let output = latent_lab().args(["train", "realnvp", "--data", "donut", "--seconds", "1"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid value 'donut' for '--data <DATA>'") && stderr.contains("moons"), "{stderr}");
    let output = latent_lab().args(["train", "realnvp", "--seconds", "5", "--lr", "1e12"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("diverged at step"));
    // Image data without labels is refused by the image models too.
    let output = latent_lab().args(["train", "vae", "--data", "images.gz"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("needs --labels"));
}

#[test]
fn bench_flow_prints_the_three_heldout_nlls() {
    let output =
        latent_lab().args(["bench", "flow", "--data", "gaussians", "--seconds", "1", "--json"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    for key in ["realnvp_heldout_nll", "resflow_heldout_nll", "kde_heldout_nll"] {
        assert!(report[key].as_f64().is_some_and(f64::is_finite), "{key} in {report}");
    }
}

#[test]
fn out_names_are_taken_literally_and_two_runs_keep_two_models() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["vae-lr0.002", "vae-lr0.001"] {
        let output = latent_lab()
            .args([
                "--device",
                "cpu",
                "train",
                "vae",
                "--epochs",
                "0.02",
                "--hidden",
                "16",
                "--lr",
                &name[6..],
                "--out",
            ])
            .arg(dir.path().join(name))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    for name in ["vae-lr0.002", "vae-lr0.001"] {
        for ext in ["bpk", "json"] {
            assert!(dir.path().join(format!("{name}.{ext}")).is_file(), "{name}.{ext}");
        }
        // Each pair loads by the name it was given.
        let output = latent_lab()
            .args(["--device", "cpu", "eval"])
            .arg(dir.path().join(name))
            .args(["--k", "1", "--limit", "5"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{name}: {}", String::from_utf8_lossy(&output.stderr));
    }
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("tmp")), "no temporary file is left: {names:?}");
    assert!(!dir.path().join("vae-lr0.bpk").exists(), "the old with_extension name");
}

/// Numbers outside their range are refused by every command's parser before any work starts (exit 2, the flag
/// and the range named), whichever family the command belongs to.
#[test]
fn numbers_out_of_range_are_refused_before_any_work_naming_flag_and_range() {
    let cases: &[(&[&str], &str)] = &[
        (&["train", "vae", "--batch-size", "0"], "'--batch-size <BATCH_SIZE>': 0 is not in 1..=4096"),
        (&["train", "vae", "--lr", "0"], "'--lr <LR>': 0 is not in (0, 1e12]"),
        (&["train", "vae", "--seconds", "nan"], "'--seconds <SECONDS>': nan is not in (0, 604800] seconds"),
        (&["train", "vae", "--hidden", "512,0"], "'--hidden <HIDDEN>': 0 is not in 1..=4096"),
        (&["train", "made", "--eval-every", "1e-9"], "'--eval-every <EVAL_EVERY>': 1e-9 is not in [0.1, 3600]"),
        (&["train", "made", "--batch-size", "1000000000"], "1000000000 is not in 1..=4096"),
        (&["train", "made", "--lr=-0.5"], "-0.5 is not in (0, 1e12]"),
        (&["train", "wavenet", "--lr", "0"], "'--lr <LR>': 0 is not in (0, 1e12]"),
        (&["train", "ddpm", "--lr", "0"], "'--lr <LR>': 0 is not in (0, 1e12]"),
        (&["train", "ddpm", "--timesteps", "10000"], "10000 is not in 1..=1000"),
        (&["train", "hvae", "--lr", "0"], "'--lr <LR>': 0 is not in (0, 1e12]"),
        (&["sample", "assets/ddpm-digits.json", "--count", "0"], "'--count <COUNT>': 0 is not in 1..=1000000"),
        (&["bench", "dsep", "--edges", "10000000000"], "10000000000 is not in 0..=20000000"),
        (&["eval", "--leaderboard", "--seconds", "0"], "'--seconds <SECONDS>': 0 is not in (0, 604800]"),
    ];
    for (args, message) in cases {
        let output = latent_lab().args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: expected {message:?} in {stderr}");
    }
    // A grid of digits is bounded by what a grid holds, after the model file says it is one.
    let output = latent_lab().args(["sample", "assets/ddpm-digits.json", "--count", "5000"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--count 5000: a digits diffusion U-Net draws at most 1024"), "{stderr}");
}

/// A place `--out` cannot be saved to (here: "inside" a regular file) is refused before training, by every family's
/// `train`.
#[test]
fn an_out_that_cannot_be_saved_is_refused_before_training() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a-file"), b"not a folder").unwrap();
    let out = dir.path().join("a-file").join("model");
    for model in ["vae", "realnvp", "ddpm", "hvae", "made", "wavenet"] {
        let start = std::time::Instant::now();
        let output = latent_lab().args(["train", model, "--seconds", "600", "--out"]).arg(&out).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{model}: {stderr}");
        assert!(
            stderr.contains("cannot be saved: the folder") && stderr.contains("cannot be made"),
            "{model}: {stderr}"
        );
        // Refused at once, not after the 600 s of training asked for.
        assert!(start.elapsed().as_secs() < 60, "{model} trained first");
    }
}

/// A save that fails part-way (a full disk, simulated with a file-size limit) leaves the previous model as it was,
/// loadable, and no temporary file behind.
#[test]
fn a_save_that_runs_out_of_space_keeps_the_previous_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("made.json");
    let train = |limit_kb: Option<u32>| {
        let bin = env!("CARGO_BIN_EXE_latent-lab");
        let limit = limit_kb.map_or_else(String::new, |kb| format!("trap '' XFSZ; ulimit -f {kb}; "));
        let script = format!("{limit}exec \"$0\" train made --steps 2 --hidden 8 --seconds 60 --out \"$1\"");
        Command::new("bash").args(["-c", &script, bin]).arg(&out).env("RUST_BACKTRACE", "0").output().unwrap()
    };
    let first = train(None);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let before = std::fs::read(&out).unwrap();
    assert!(before.len() > 200 * 1024, "the model file is larger than the limit below");
    let full = train(Some(100));
    assert!(!full.status.success(), "the save under a 100 KB limit must fail");
    assert_eq!(std::fs::read(&out).unwrap(), before, "the previous model is untouched");
    assert!(latent_lab::autoregressive::made::Made::load(&out).is_ok(), "and still loads");
    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["made.json"], "no temporary file left");
}

/// A leaderboard where one family cannot run (MADE takes at most 4,096 pixels; these images have 65 × 65) prints
/// the other families' rows, names the failed one, and exits 1 so a script learns the board is incomplete.
#[test]
fn a_leaderboard_with_a_failed_model_prints_the_rest_and_exits_one() {
    let dir = tempfile::tempdir().unwrap();
    let (count, side) = (300_u32, 65_u32);
    let mut images = vec![0, 0, 8, 3];
    for v in [count, side, side] {
        images.extend(v.to_be_bytes());
    }
    images.extend((0..(count * side * side) as usize).map(|i| if (i * 7919) % 13 < 5 { 255 } else { 0 }));
    let mut labels = vec![0, 0, 8, 1];
    labels.extend(count.to_be_bytes());
    labels.extend((0..count).map(|i| (i % 10) as u8));
    let (images_path, labels_path) = (dir.path().join("big-images.idx"), dir.path().join("big-labels.idx"));
    std::fs::write(&images_path, images).unwrap();
    std::fs::write(&labels_path, labels).unwrap();
    let output = latent_lab()
        .args(["--device", "cpu", "eval", "--leaderboard", "--seconds", "0.5", "--json", "--data"])
        .arg(&images_path)
        .arg("--labels")
        .arg(&labels_path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("1 of 4 models failed: MADE (exact)"), "{stderr}");
    let board: serde_json::Value = serde_json::from_slice(&output.stdout).expect("the board is printed");
    let failed = board["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{board}");
    assert!(failed[0][1].as_str().unwrap().contains("4096 pixels"), "{board}");
    assert!(!board["rows"].as_array().unwrap().is_empty(), "the other families are on the board: {board}");
}

fn run_ok(args: &[&str]) -> String {
    let output = latent_lab().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{args:?}: {stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn run_refused(args: &[&str]) -> (Option<i32>, String) {
    let output = latent_lab().args(args).output().unwrap();
    assert!(!output.status.success(), "{args:?} should fail");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// One command tree: `sample FILE` reads the file's kind and draws what that kind makes, for every kind `train`
/// writes; a flag the kind has no use for is refused by name, and a reader given another kind's file says which
/// kind it holds.
#[test]
fn sample_draws_every_kind_of_model_file_by_its_kind() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let trainings: [(&str, &[&str]); 6] = [
        ("vae", &["train", "vae", "--epochs", "0.05", "--hidden", "32"]),
        ("nvp.json", &["train", "realnvp", "--seconds", "0.5"]),
        ("res.json", &["train", "resflow", "--seconds", "0.5"]),
        ("moons.json", &["train", "ddpm", "--seconds", "0.5"]),
        ("made.json", &["train", "made", "--steps", "2", "--hidden", "16"]),
        ("wave.json", &["train", "wavenet", "--steps", "2", "--dilations", "1,2"]),
    ];
    for (file, args) in trainings {
        let mut args = args.to_vec();
        let out = path(file);
        args.extend(["--device", "cpu", "--out", &out]);
        run_ok(&args);
    }
    let expected = [
        ("vae", "VAE samples"),
        ("nvp.json", "samples of RealNVP"),
        ("res.json", "samples of Residual flow"),
        ("moons.json", "samples (DDIM"),
        ("made.json", "MADE samples"),
        ("wave.json", "WaveNet (Mixture of sines"),
        ("assets/ddpm-digits.json", "samples (DDIM"),
    ];
    for (file, said) in expected {
        let model = if file.starts_with("assets") { file.to_owned() } else { path(file) };
        let png = path(&format!("{}.png", file.replace('/', "-")));
        let count: &[&str] = if file == "wave.json" { &["--length", "50"] } else { &["--count", "4"] };
        let mut args = vec!["--device", "cpu", "sample", &model, "--out", &png];
        args.extend(count);
        if file.contains("ddpm") || file == "moons.json" {
            args.extend(["--steps", "5"]);
        }
        let stdout = run_ok(&args);
        assert!(stdout.contains(said), "{file}: {stdout}");
        assert!(image::open(&png).is_ok(), "{file}: a picture");
    }
    let csv = path("wave.csv");
    run_ok(&["sample", &path("wave.json"), "--length", "20", "--temperature", "0", "--out", &csv]);
    let values = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(values.lines().count(), 4 + 20, "the receptive field (1 + 1 + 2) and 20 drawn samples");
    // Flags another kind would use are refused by name; so is a file of the wrong kind.
    let (code, stderr) = run_refused(&["sample", &path("made.json"), "--steps", "5", "--digit", "3"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("holds a MADE model: --steps, --digit does not apply to it"), "{stderr}");
    let (_, stderr) = run_refused(&["eval", &path("made.json"), "--k", "1"]);
    assert!(stderr.contains("it holds a MADE model, not an autoencoder or a VAE"), "{stderr}");
    let (_, stderr) = run_refused(&["sample", &path("nothing.json")]);
    assert!(stderr.contains("nothing.json"), "{stderr}");
}

/// The flags every `train` takes may come before the model's name; a family's flag is refused by another family;
/// the generated help lists every model and benchmark; completions are generated for the shells.
#[test]
fn one_command_tree_takes_flags_anywhere_and_lists_everything_in_its_help() {
    let report = run_ok(&["train", "--seconds", "0.5", "--json", "--seed", "3", "realnvp", "--data", "rings"]);
    let report: serde_json::Value = serde_json::from_str(&report).expect("--json before the model's name");
    assert_eq!(report["data"].as_str(), Some("Rings"));
    let (code, stderr) = run_refused(&["train", "ae", "--lipschitz", "0.5"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unexpected argument '--lipschitz'"), "{stderr}");
    let (code, stderr) = run_refused(&["train", "vae", "--k", "5"]);
    assert_eq!(code, Some(2), "--k belongs to iwae: {stderr}");
    let help = run_ok(&["train", "--help"]);
    for model in ["ae", "vae", "iwae", "realnvp", "resflow", "ddpm", "hvae", "made", "wavenet"] {
        assert!(help.lines().any(|l| l.trim_start().starts_with(model)), "train --help lists {model}: {help}");
    }
    assert!(!help.contains("pixelcnn"), "the hidden pointer to MADE is not listed");
    let help = run_ok(&["bench", "--help"]);
    for what in ["window", "estimators", "dsep", "decode", "flow", "diffusion", "made", "train"] {
        assert!(help.lines().any(|l| l.trim_start().starts_with(what)), "bench --help lists {what}: {help}");
    }
    let top = run_ok(&["--help"]);
    for command in ["train", "sample", "eval", "dsep", "bench", "average", "completions"] {
        assert!(top.lines().any(|l| l.trim_start().starts_with(command)), "--help lists {command}: {top}");
    }
    let script = run_ok(&["completions", "bash"]);
    assert!(script.contains("latent-lab") && script.contains("wavenet") && script.contains("--lipschitz"));
}

/// `bench reference` measures the four rows of the PyTorch comparison in one run and says which targets are met.
#[test]
fn bench_reference_prints_four_rows_against_pytorch() {
    let stdout = run_ok(&[
        "--device",
        "cpu",
        "bench",
        "reference",
        "--seconds",
        "0.5",
        "--steps",
        "3",
        "--vae-seconds",
        "0.5",
        "--json",
    ]);
    let rows: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON array");
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for row in rows {
        let (ours, pytorch) = (row["ours"].as_f64().unwrap(), row["pytorch"].as_f64().unwrap());
        assert!(ours.is_finite() && pytorch > 0.0, "{row}");
        assert!(row["met"].is_boolean() && row["target"].is_string(), "{row}");
    }
    let throughput = &rows[2];
    let ratio = throughput["ratio"].as_f64().unwrap();
    assert!((ratio - throughput["ours"].as_f64().unwrap() / 12_000.0).abs() < 1e-9, "{throughput}");
    assert_eq!(throughput["met"].as_bool(), Some(ratio >= 1.2));
}
