//! The Diffusion tab through `egui_kittest`, its compute thread's checkpoint handling, and its commands.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use latent_lab::diffusion::digits::{DiffusionFileError, DigitsEngine, Guidance};
use latent_lab::diffusion::unet::UNetConfig;
use latent_lab::diffusion::{Sampler, ScheduleKind};
use latent_lab::lessons::diffusion::worker::{Job, Report, Worker};

use crate::app_harness::{app as harness, step_until};

#[test]
fn the_diffusion_tab_scrubs_t_trains_and_samples() {
    let mut h = harness();
    h.step();
    h.get_by_label("Diffusion").click();
    step_until(&mut h, 10, "the forward page", |h| h.query_by_label_contains("t = 0 of 200").is_some());
    // Scrubbing t redraws the cloud and the title in the same frame.
    h.get_by_role_and_label(Role::Slider, "t (scrub the forward process)").set_value_accesskit(100.0);
    h.step();
    h.step();
    assert!(h.query_by_label_contains("at t = 100 of 200").is_some(), "the title follows the slider");
    // T = 10 with the linear schedule needs β > 1: refused with a message.
    h.get_by_role_and_label(Role::Slider, "T (diffusion steps)").set_value_accesskit(10.0);
    step_until(&mut h, 10, "the refusal", |h| h.query_by_label_contains("outside (0, 1)").is_some());
    h.get_by_role_and_label(Role::Slider, "T (diffusion steps)").set_value_accesskit(100.0);
    h.get_by_role_and_label(Role::Slider, "training steps").set_value_accesskit(300.0);
    step_until(&mut h, 10, "the refusal to go", |h| h.query_by_label_contains("outside (0, 1)").is_none());
    h.get_by_label("Train").click();
    step_until(&mut h, 120, "training to finish", |h| h.query_by_label_contains("trained:").is_some());
    h.get_by_label("2 · Learn the reverse").click();
    step_until(&mut h, 60, "the reverse pass", |h| h.query_by_label_contains("Reverse pass (DDPM").is_some());
    h.get_by_label("Next frame").click();
    h.get_by_label("4 · As a hierarchical VAE").click();
    step_until(&mut h, 60, "the ELBO terms", |h| h.query_by_label_contains("Σ L_t =").is_some());
    h.get_by_label("3 · Digits (U-Net)").click();
    step_until(&mut h, 180, "the digits from the shipped checkpoint", |h| {
        h.query_by_label_contains("16 samples at x_0").is_some()
    });
    assert!(h.query_by_label("Model: shipped checkpoint").is_some());
    // The shipped U-Net is class-conditional: the grid asks for each digit in turn, with guidance w = 3.
    let asked = "asked for, row by row: 0 1 2 3 · 4 5 6 7 · 8 9 0 1 · 2 3 4 5 (guidance w = 3)";
    assert!(h.query_by_label(asked).is_some(), "the grid says what it was asked for");
}

fn wait_for(worker: &Worker, secs: u64, pred: impl Fn(&Report) -> bool) -> Report {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let r = worker.recv_timeout(left).expect("the worker answers in time");
        if pred(&r) {
            return r;
        }
    }
}

fn write_config(dir: &Path, name: &str, config: &UNetConfig) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(path.with_extension("json"), serde_json::to_string(config).unwrap()).unwrap();
    std::fs::write(path.with_extension("bpk"), b"not weights").unwrap();
    path
}

#[test]
fn a_bad_checkpoint_is_refused_and_the_current_model_kept() {
    let dir = tempfile::tempdir().unwrap();
    let worker = Worker::spawn(eframe::egui::Context::default()).unwrap();
    worker.tx.send(Job::LoadShipped).unwrap();
    let ready = wait_for(&worker, 60, |r| matches!(r, Report::DigitsReady { .. } | Report::DigitsFailed(_)));
    let Report::DigitsReady { classes, .. } = ready else { panic!("the shipped checkpoint does not load") };

    let other_size = write_config(dir.path(), "size", &UNetConfig { image_size: 32, ..UNetConfig::default() });
    worker.tx.send(Job::LoadDigits(other_size)).unwrap();
    let Report::DigitsFailed(msg) = wait_for(&worker, 30, |r| matches!(r, Report::DigitsFailed(_))) else { panic!() };
    assert!(msg.contains("trained on 32×32 images") && msg.contains("current model is kept"), "{msg}");

    let cosine =
        write_config(dir.path(), "cos", &UNetConfig { schedule: ScheduleKind::Cosine, ..UNetConfig::default() });
    worker.tx.send(Job::LoadDigits(cosine)).unwrap();
    let Report::DigitsFailed(msg) = wait_for(&worker, 30, |r| matches!(r, Report::DigitsFailed(_))) else { panic!() };
    assert!(msg.contains("cosine (T = 1000) schedule"), "{msg}");

    let corrupt = write_config(dir.path(), "corrupt", &UNetConfig::default());
    worker.tx.send(Job::LoadDigits(corrupt)).unwrap();
    let Report::DigitsFailed(msg) = wait_for(&worker, 30, |r| matches!(r, Report::DigitsFailed(_))) else { panic!() };
    assert!(msg.contains("weights do not fit"), "{msg}");

    // A 2-D model's file is another architecture.
    let toy = dir.path().join("toy");
    let model = latent_lab::diffusion::toy::ToyModel::new(&latent_lab::diffusion::toy::ToyConfig::default()).unwrap();
    std::fs::write(toy.with_extension("json"), serde_json::to_string(&model).unwrap()).unwrap();
    match DigitsEngine::load(&toy, 28) {
        Err(DiffusionFileError::BadConfig { message, .. }) => {
            assert!(message.contains("it holds a 2-D diffusion model, not a digits diffusion U-Net"), "{message}");
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a 2-D model loaded as a U-Net"),
    }

    // The shipped model is still there and samples, with the labels asked for if it is class-conditional.
    let asked = Guidance::cycling(16, 10, 2.0);
    let job =
        Job::SampleDigits { sampler: Sampler::Ddim { steps: 3 }, count: 16, seed: 1, guidance: Some(asked.clone()) };
    worker.tx.send(job).unwrap();
    let strip = wait_for(&worker, 60, |r| matches!(r, Report::DigitsStrip { .. } | Report::DigitsFailed(_)));
    let Report::DigitsStrip { states, guidance, .. } = strip else { panic!("sampling failed after the refused loads") };
    assert_eq!(states.len(), 4);
    assert_eq!(states[3].len(), 16 * 784);
    assert_eq!(guidance, (classes > 0).then_some(asked));
}

#[test]
fn train_ddpm_and_sample_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("moons");
    let output = Command::new(env!("CARGO_BIN_EXE_latent-lab"))
        .args(["train", "ddpm", "--data", "moons", "--seconds", "2", "--json", "--out"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert!(report["steps"].as_u64().unwrap() > 0);
    let png = dir.path().join("grid.png");
    let output = Command::new(env!("CARGO_BIN_EXE_latent-lab"))
        .args(["sample"])
        .arg(model.with_extension("json"))
        .args(["--steps", "10", "--count", "100", "--out"])
        .arg(&png)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(image::open(&png).is_ok());
    // T = 0 is refused with a message.
    let output = Command::new(env!("CARGO_BIN_EXE_latent-lab"))
        .args(["train", "ddpm", "--data", "rings", "--seconds", "1", "--timesteps", "0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("0 is not in 1..=1000"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_digits_run_continues_from_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    // The folder does not exist yet: saving creates it.
    let first = dir.path().join("runs").join("first");
    let train = |extra: &[&str], out: &Path| {
        Command::new(env!("CARGO_BIN_EXE_latent-lab"))
            .args(["--device", "cpu", "train", "ddpm", "--data", "digits", "--seconds", "2", "--batch-size", "4"])
            .args(extra)
            .arg("--out")
            .arg(out)
            .args(["--json"])
            .output()
            .unwrap()
    };
    let output = train(&["--channels", "8,8,16"], &first);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let read = |path: &Path| -> UNetConfig {
        serde_json::from_str(&std::fs::read_to_string(path.with_extension("json")).unwrap()).unwrap()
    };
    let before = read(&first);
    assert_eq!(before.channels, [8, 8, 16]);
    assert!(before.trained_steps > 0);

    // --resume takes the architecture from the file (the default channels are ignored) and adds up the steps.
    let second = dir.path().join("runs").join("second");
    let output = train(&["--resume", first.to_str().unwrap()], &second);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let after = read(&second);
    assert_eq!(after.channels, [8, 8, 16]);
    assert_eq!(after.trained_steps, before.trained_steps + report["steps"].as_u64().unwrap() as usize);
    assert!(after.trained_seconds > before.trained_seconds);

    // The two runs share an architecture, so their weights can be averaged; another architecture is refused.
    let average = |models: &[&Path], out: &Path| {
        Command::new(env!("CARGO_BIN_EXE_latent-lab"))
            .arg("average")
            .args(models)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    let mean = dir.path().join("mean");
    let output = average(&[&first, &second], &mean);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(read(&mean).trained_steps, before.trained_steps + after.trained_steps);
    let other = dir.path().join("other");
    assert!(train(&["--channels", "8,8,8"], &other).status.success());
    let output = average(&[&first, &other], &mean);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("other.json") && stderr.contains("cannot be averaged"), "{stderr}");

    // A missing checkpoint is named.
    let output = train(&["--resume", "no-such-model"], &second);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-model.json"), "{stderr}");
}

#[test]
fn a_digits_unet_learns_labels_and_samples_the_digit_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_latent-lab")).arg("--device").arg("cpu").args(args).output().unwrap()
    };
    let train = |extra: &[&str], out: &Path| {
        let mut args = vec!["train", "ddpm", "--data", "digits", "--seconds", "2", "--batch-size", "4", "--out"];
        args.push(out.to_str().unwrap());
        args.extend_from_slice(extra);
        run(&args)
    };
    let plain = dir.path().join("plain");
    assert!(train(&["--channels", "8,8,16"], &plain).status.success());

    // An unconditional checkpoint gains a class embedding and keeps its architecture.
    let labelled = dir.path().join("labelled");
    let output = train(&["--resume", plain.to_str().unwrap(), "--classes", "10"], &labelled);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("conditioning the U-Net on 10 classes"), "{stderr}");
    let config: UNetConfig =
        serde_json::from_str(&std::fs::read_to_string(labelled.with_extension("json")).unwrap()).unwrap();
    assert_eq!((config.classes, config.channels), (10, [8, 8, 16]));

    // It samples one chosen digit; a digit it does not know, or a digit from an unconditional model, is refused.
    let png = dir.path().join("threes.png");
    let model = labelled.to_str().unwrap();
    let output =
        run(&["sample", model, "--digit", "3", "--count", "4", "--steps", "3", "--out", png.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(image::open(&png).unwrap().width(), 2 * 30 + 2, "2×2 digits of 28 px, 2-px gaps");
    let output = run(&["sample", model, "--digit", "10", "--steps", "3", "--out", png.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("--digit 10: the model knows classes 0 to 9"));
    let output = run(&["sample", plain.to_str().unwrap(), "--digit", "3", "--out", png.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not class-conditional"));

    // MNIST has ten classes; and a conditional and an unconditional U-Net cannot be averaged.
    let output = train(&["--classes", "11"], &dir.path().join("eleven"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("has only 10 classes"));
    let output = run(&["average", model, plain.to_str().unwrap(), "--out", dir.path().join("m").to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot be averaged"));
}
