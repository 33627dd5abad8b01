//! Scene files through the app: a round trip restores every lesson's state and the tab; a corrupt file, one from a
//! newer version and one whose model file is missing are refused with a message and change nothing.

use egui_kittest::kittest::{NodeT, Queryable};

use crate::app_harness::{AppHarness, app as harness, save_scene_and_wait, step_until};

fn steps(h: &mut AppHarness, n: usize) {
    for _ in 0..n {
        h.step();
    }
}

#[test]
fn a_scene_round_trips_every_lesson_and_the_tab() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lecture.json");
    let mut h = harness();
    steps(&mut h, 2);
    h.get_by_label("Hierarchical VAE").click();
    steps(&mut h, 2);
    h.get_by_label("Both from x: x → z₁, x → z₂").click();
    h.get_by_label("z₁ 2-D").click();
    steps(&mut h, 2);
    h.get_by_label("Autoregressive").click();
    steps(&mut h, 2);
    h.get_by_label("Signals (WaveNet)").click();
    steps(&mut h, 2);
    h.get_by_label("Sawtooth + noise").click();
    h.get_by_label("1, 1, 1, 1, 1, 1 (R = 7)").click();
    steps(&mut h, 2);
    h.get_by_label("Leaderboard").click();
    steps(&mut h, 2);
    h.get_by_label("MADE (exact)").click();
    steps(&mut h, 2);
    h.get_by_label("d-separation").click();
    steps(&mut h, 2);
    h.get_by_label("Collider").click();
    steps(&mut h, 2);
    let node = h.get_by_label_contains("d-separated");
    let headline = node.accesskit_node().label().or_else(|| node.accesskit_node().value()).unwrap_or_default();
    assert!(headline.contains("d-separated"), "{headline}");
    h.get_by_label("Flows").click();
    steps(&mut h, 2);
    h.get_by_label("Rings").click();
    steps(&mut h, 2);
    save_scene_and_wait(&mut h, &path);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.contains("\"format\": \"latent-lab scene\"") && saved.contains("\"data\": \"Rings\""));
    let json: serde_json::Value = serde_json::from_str(&saved).unwrap();
    let hvae = &json["lessons"]["Hierarchical VAE"];
    assert_eq!((hvae["inference"].as_str(), hvae["z1_dim"].as_u64()), (Some("from-x"), Some(2)));
    let ar = &json["lessons"]["Autoregressive"];
    assert_eq!(
        (ar["page"].as_str(), ar["signal"].as_str(), ar["dilations"].as_u64()),
        (Some("Signals"), Some("Sawtooth"), Some(2))
    );
    let entries = json["lessons"]["Leaderboard"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "MADE is not ticked: {entries:?}");

    let mut fresh = harness();
    steps(&mut fresh, 2);
    assert_eq!(fresh.state().selected_lesson(), "Latent space");
    assert_ne!(fresh.state().scene_json(dir.path()), saved);
    fresh.state_mut().open_scene(&path);
    steps(&mut fresh, 2);
    assert!(fresh.query_by_label_contains("Opened the scene lecture.json").is_some());
    assert_eq!(fresh.state().selected_lesson(), "Flows");
    assert_eq!(fresh.state().scene_json(dir.path()), saved, "every lesson's state comes back");
    fresh.get_by_label("d-separation").click();
    steps(&mut fresh, 2);
    assert!(fresh.query_by_label_contains(&headline).is_some(), "the graph and its sets: {headline}");
    fresh.get_by_label("Autoregressive").click();
    steps(&mut fresh, 2);
    assert!(fresh.query_by_label_contains("Receptive field diagram, R = 7").is_some(), "the page and its dilations");
}

/// Opens `text` as a scene and checks the message and that nothing changed.
fn refused(text: &str, expect: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, text).unwrap();
    let mut h = harness();
    steps(&mut h, 2);
    h.get_by_label("Samples").click();
    steps(&mut h, 2);
    let before = h.state().scene_json(dir.path());
    h.state_mut().open_scene(&path);
    steps(&mut h, 2);
    assert!(h.query_by_label_contains("Could not open the scene bad.json").is_some());
    assert!(h.query_by_label_contains("Nothing was changed.").is_some());
    assert!(h.query_by_label_contains(expect).is_some(), "the reason: {expect}");
    assert_eq!(h.state().scene_json(dir.path()), before, "the current state is kept");
    assert_eq!(h.state().selected_lesson(), "Samples");
}

#[test]
fn a_corrupt_scene_is_refused() {
    refused("{\"format\": \"latent-lab scene\", \"vers", "not valid JSON");
    refused("{\"hello\": 1}", "not a latent-lab scene file");
}

#[test]
fn a_scene_from_a_newer_version_is_refused() {
    refused(
        r#"{"format": "latent-lab scene", "version": 7, "lesson": "Flows", "lessons": {"Flows": {"future": true}}}"#,
        "newer latent-lab (scene format 7",
    );
}

/// The Latent space and Samples parts load before the Bounds part fails: they are put back.
#[test]
fn a_scene_with_a_missing_model_is_refused_and_earlier_tabs_are_put_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness();
    steps(&mut h, 2);
    let mut scene: serde_json::Value = serde_json::from_str(&h.state().scene_json(dir.path())).unwrap();
    scene["lesson"] = "Bounds".into();
    scene["lessons"]["Latent space"]["hidden"] = "64".into();
    scene["lessons"]["Samples"]["tau"] = 0.25.into();
    scene["lessons"]["Bounds"]["model"] = "models/gone.bpk".into();
    refused(&scene.to_string(), "gone.bpk (with its .json), which is missing");
}

#[test]
fn a_scene_with_unreadable_settings_names_the_tab() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness();
    steps(&mut h, 2);
    let mut scene: serde_json::Value = serde_json::from_str(&h.state().scene_json(dir.path())).unwrap();
    scene["lessons"]["Flows"]["data"] = "Unicorns".into();
    refused(&scene.to_string(), "the Flows tab refused it: unknown dataset \"Unicorns\"");
}

/// The newest tabs check their parts too: an unknown dilation stack, a z₁ size the model does not offer.
#[test]
fn scenes_with_bad_settings_for_the_newest_tabs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness();
    steps(&mut h, 2);
    let scene: serde_json::Value = serde_json::from_str(&h.state().scene_json(dir.path())).unwrap();
    let mut bad = scene.clone();
    bad["lessons"]["Autoregressive"]["dilations"] = 9.into();
    refused(&bad.to_string(), "the Autoregressive tab refused it: there is no dilation stack number 10");
    let mut bad = scene;
    bad["lessons"]["Hierarchical VAE"]["z1_dim"] = 5.into();
    refused(&bad.to_string(), "the Hierarchical VAE tab refused it: z₁ must be 2-D or 8-D, not 5-D");
}

/// The text of the one label containing `part`.
fn text(h: &AppHarness, part: &str) -> String {
    let node = h.get_by_label_contains(part);
    node.accesskit_node().label().or_else(|| node.accesskit_node().value()).unwrap_or_default()
}

/// The labels of the ELBO table's cells ("-123.45 nats"), in order.
fn nats_cells(h: &AppHarness) -> Vec<String> {
    h.query_all_by_label_contains(" nats")
        .filter_map(|n| n.accesskit_node().label().or_else(|| n.accesskit_node().value()))
        .filter(|l| l.ends_with(" nats"))
        .collect()
}

/// The Hierarchical VAE's model travels with the scene: written next to it, loaded back in a fresh app with the same
/// held-out ELBO terms; a scene naming a missing model file is refused and the loaded model stays.
#[test]
fn a_scene_keeps_the_trained_hierarchical_vae() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lecture.json");
    let mut h = harness();
    steps(&mut h, 2);
    h.get_by_label("Hierarchical VAE").click();
    steps(&mut h, 2);
    h.get_by_label("z₁ 2-D").click();
    steps(&mut h, 1);
    h.get_by_label("Train").click();
    step_until(&mut h, 120, "a first snapshot", |h| h.query_by_label_contains("z₂ of held-out digits (step").is_some());
    h.get_by_label("Pause").click();
    step_until(&mut h, 10, "pausing", |h| h.query_by_label_contains("Paused at step").is_some());
    save_scene_and_wait(&mut h, &path);
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["lessons"]["Hierarchical VAE"]["model"].as_str(), Some("lecture-hvae.json"));
    // The thread reports in order: paused, the snapshot taken on pausing, then the model written.
    step_until(&mut h, 60, "the model written", |h| h.query_all_by_label_contains("Saved ").next().is_some());
    assert!(dir.path().join("lecture-hvae.bpk").is_file() && dir.path().join("lecture-hvae.json").is_file());
    let step: String = text(&h, "Paused at step").chars().filter(char::is_ascii_digit).collect();
    let shown = text(&h, "z₂ of held-out digits (step");
    assert_eq!(shown, format!("z₂ of held-out digits (step {step})"));
    let cells = nats_cells(&h);
    assert_eq!(cells.len(), 8, "training and held-out columns: {cells:?}");
    let held: Vec<String> = cells.iter().skip(1).step_by(2).cloned().collect();

    let mut fresh = harness();
    steps(&mut fresh, 2);
    fresh.state_mut().open_scene(&path);
    step_until(&mut fresh, 60, "the model loaded", |h| {
        h.query_by_label_contains("lecture-hvae.json; Train goes on training it").is_some()
            && h.query_by_label(&format!("z₂ of held-out digits (step {step})")).is_some()
    });
    assert!(text(&fresh, "Paused at step").contains(&step), "the loaded model keeps its step count");
    assert_eq!(fresh.state().selected_lesson(), "Hierarchical VAE");
    assert_eq!(nats_cells(&fresh), held, "the same held-out ELBO terms from the same weights");
    assert!(fresh.query_by_label("Resume").is_some(), "paused, ready to go on training");

    // A scene whose model file is gone: refused, the loaded model stays.
    let mut gone = json.clone();
    gone["lessons"]["Hierarchical VAE"]["model"] = "gone-hvae.json".into();
    let gone_path = dir.path().join("gone.json");
    std::fs::write(&gone_path, gone.to_string()).unwrap();
    fresh.state_mut().open_scene(&gone_path);
    steps(&mut fresh, 3);
    assert!(fresh.query_by_label_contains("gone-hvae.bpk (with its .json), which is missing").is_some());
    assert!(fresh.query_by_label_contains("Nothing was changed.").is_some());
    assert_eq!(nats_cells(&fresh), held);

    // Another model's description: refused before anything changes.
    std::fs::write(dir.path().join("other.json"), r#"{"kind": "vae", "version": 1, "variational": true}"#).unwrap();
    std::fs::write(dir.path().join("other.bpk"), b"x").unwrap();
    gone["lessons"]["Hierarchical VAE"]["model"] = "other.json".into();
    std::fs::write(&gone_path, gone.to_string()).unwrap();
    fresh.state_mut().open_scene(&gone_path);
    steps(&mut fresh, 3);
    assert!(fresh.query_by_label_contains("it holds a VAE, not a hierarchical VAE").is_some());
    assert!(fresh.query_by_label_contains("Nothing was changed.").is_some());

    // Damaged weights: the scene opens, the tab says why and keeps its model.
    std::fs::copy(dir.path().join("lecture-hvae.json"), dir.path().join("broken.json")).unwrap();
    std::fs::write(dir.path().join("broken.bpk"), b"not weights").unwrap();
    gone["lessons"]["Hierarchical VAE"]["model"] = "broken.json".into();
    std::fs::write(&gone_path, gone.to_string()).unwrap();
    fresh.state_mut().open_scene(&gone_path);
    step_until(&mut fresh, 60, "the refusal", |h| h.query_by_label_contains("the current model is kept").is_some());
    assert!(fresh.query_by_label_contains("broken.bpk").is_some());
    assert_eq!(nats_cells(&fresh), held);
}

/// The "held-out −log p(x) = … nats" part of MADE's status line.
fn made_score(h: &AppHarness) -> String {
    let status = text(h, "held-out −log p(x) =");
    let from = status.find("held-out").unwrap_or(0);
    let to = status[from..].find(" nats").map_or(status.len(), |i| from + i);
    status[from..to].to_owned()
}

/// MADE travels with the scene as `<stem>-made.json`: a fresh app shows the same exact held-out NLL after the same
/// number of steps; a scene naming a missing MADE file is refused and the loaded model stays.
#[test]
fn a_scene_keeps_the_trained_made() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("talk.json");
    let mut h = harness();
    steps(&mut h, 2);
    h.get_by_label("Autoregressive").click();
    step_until(&mut h, 10, "the tab", |h| h.query_by_label_contains("Press Train MADE").is_some());
    h.get_by_label("Train MADE").click();
    step_until(&mut h, 60, "a held-out score", |h| h.query_by_label_contains("held-out −log p(x) =").is_some());
    h.get_by_label("Pause MADE").click();
    step_until(&mut h, 20, "paused", |h| h.query_by_label("Train MADE").is_some());
    let score = made_score(&h);
    let status = text(&h, "held-out −log p(x) =");
    let step = status.split(" · ").next().unwrap_or_default().to_owned();
    assert!(step.starts_with("step "), "{status}");

    save_scene_and_wait(&mut h, &path);
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["lessons"]["Autoregressive"]["made"].as_str(), Some("talk-made.json"));
    step_until(&mut h, 60, "MADE written", |h| h.query_by_label_contains("talk-made.json.").is_some());
    assert!(h.query_all_by_label_contains("Saved ").next().is_some());

    let mut fresh = harness();
    steps(&mut fresh, 2);
    fresh.state_mut().open_scene(&path);
    step_until(&mut fresh, 60, "MADE loaded", |h| {
        h.query_by_label_contains("talk-made.json (").is_some()
            && h.query_by_label_contains("held-out −log p(x) =").is_some()
    });
    assert_eq!(fresh.state().selected_lesson(), "Autoregressive");
    assert_eq!(made_score(&fresh), score, "the same exact held-out NLL from the same weights");
    let status = text(&fresh, "held-out −log p(x) =");
    assert!(status.starts_with(&format!("{step} · ")), "{status} after {step}");

    let mut gone = json.clone();
    gone["lessons"]["Autoregressive"]["made"] = "gone-made.json".into();
    let gone_path = dir.path().join("gone.json");
    std::fs::write(&gone_path, gone.to_string()).unwrap();
    fresh.state_mut().open_scene(&gone_path);
    steps(&mut fresh, 3);
    assert!(fresh.query_by_label_contains("gone-made.json, which is missing").is_some());
    assert!(fresh.query_by_label_contains("Nothing was changed.").is_some());
    assert_eq!(made_score(&fresh), score);

    // A damaged MADE file: the scene opens, the page says why and keeps its model.
    std::fs::write(dir.path().join("broken-made.json"), r#"{"kind": "made", "version": 1}"#).unwrap();
    gone["lessons"]["Autoregressive"]["made"] = "broken-made.json".into();
    std::fs::write(&gone_path, gone.to_string()).unwrap();
    fresh.state_mut().open_scene(&gone_path);
    step_until(&mut fresh, 60, "the refusal", |h| h.query_by_label_contains("the current model is kept").is_some());
    assert!(fresh.query_by_label_contains("broken-made.json").is_some());
    assert_eq!(made_score(&fresh), score);
}

/// The WaveNet and the 2-D diffusion model travel with a scene too (`<stem>-wavenet.json`, `<stem>-ddpm-2d.json`):
/// saved from the lecture stops that load the shipped ones, the files hold their weights and step counts, and a
/// fresh app opening the scene shows both trained for as many steps.
#[test]
fn a_scene_keeps_the_wavenet_and_the_2d_diffusion_model() {
    let dir = tempfile::tempdir().unwrap();
    let cases =
        [(29, "Autoregressive", "wavenet", "talk-wavenet.json"), (21, "Diffusion", "toy_model", "talk-ddpm-2d.json")];
    for (stop, tab, key, file) in cases {
        let path = dir.path().join(format!("talk-{stop}.json"));
        let mut h = crate::app_harness::at_stop(stop);
        step_until(&mut h, 60, "the shipped model", |h| {
            h.query_all_by_label_contains("2467").next().is_some()
                || h.query_all_by_label_contains("4679").next().is_some()
        });
        let scene = dir.path().join("talk.json");
        save_scene_and_wait(&mut h, &scene);
        std::fs::rename(&scene, &path).unwrap();
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(json["lessons"][tab][key].as_str(), Some(file), "{tab}");
        let written = dir.path().join(file);
        let steps_in_file = if tab == "Diffusion" {
            let text = std::fs::read_to_string(&written).unwrap();
            latent_lab::diffusion::toy::read_toy_model(&text).unwrap().trained_steps
        } else {
            latent_lab::autoregressive::wavenet::WaveNetFile::load(&written).unwrap().steps
        };
        let expected = if tab == "Diffusion" { 4679 } else { 2467 };
        assert_eq!(steps_in_file, expected, "{file}");

        let mut fresh = harness();
        steps(&mut fresh, 2);
        fresh.state_mut().open_scene(&path);
        steps(&mut fresh, 2);
        if tab == "Autoregressive" {
            fresh.get_by_label("Signals (WaveNet)").click();
        }
        step_until(&mut fresh, 60, &format!("{tab}: the saved model shown"), |h| {
            h.query_all_by_label_contains(&expected.to_string()).next().is_some()
        });
        assert_eq!(fresh.state().error(), None);
    }
}

/// The burn-trained tabs keep their seed in a scene (the seed fields), and each shows its seed field.
#[test]
fn a_scene_keeps_the_seeds_of_the_burn_tabs() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness();
    steps(&mut h, 2);
    let mut scene: serde_json::Value = serde_json::from_str(&h.state().scene_json(dir.path())).unwrap();
    scene["lessons"]["Latent space"]["config"]["seed"] = 10.into();
    scene["lessons"]["Bounds"]["seed"] = 7.into();
    scene["lessons"]["Encoder gradients"]["seed"] = 8.into();
    scene["lessons"]["Hierarchical VAE"]["seed"] = 9.into();
    let path = dir.path().join("seeds.json");
    std::fs::write(&path, scene.to_string()).unwrap();
    h.state_mut().open_scene(&path);
    steps(&mut h, 2);
    assert_eq!(h.state().error(), None);
    let saved: serde_json::Value = serde_json::from_str(&h.state().scene_json(dir.path())).unwrap();
    for (tab, seed) in [("Bounds", 7), ("Encoder gradients", 8), ("Hierarchical VAE", 9)] {
        assert_eq!(saved["lessons"][tab]["seed"], seed, "{tab}");
    }
    assert_eq!(saved["lessons"]["Latent space"]["config"]["seed"], 10);
    for tab in ["Latent space", "Bounds", "Encoder gradients", "Hierarchical VAE"] {
        h.get_by_label(tab).click();
        steps(&mut h, 2);
        assert!(h.query_all_by_label("Seed").next().is_some(), "{tab}: a seed field");
    }
}
