//! Scene files through the app: a round trip restores every lesson's state and the tab; a corrupt file, one from a
//! newer version and one whose model file is missing are refused with a message and change nothing.

use egui_kittest::kittest::{NodeT, Queryable};

use crate::app_harness::{AppHarness, app as harness};

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
    h.state_mut().save_scene_to(&path).unwrap();
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
