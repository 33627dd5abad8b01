//! "Ready for the lecture hall": presentation mode, shortcuts, the explanation panel of every lesson, a walk through
//! every tab clicking its main controls by label, and snapshot images of every tab (`UPDATE_SNAPSHOTS=1` rewrites
//! them under tests/snapshots/).

use eframe::egui::accesskit::Role;
use eframe::egui::{self, Key, Modifiers};
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotOptions};
use latent_lab::app::{AppOptions, LatentLabApp};
use latent_lab::lessons;
use latent_lab::models::device::DevicePref;

use crate::app_harness::{AppHarness, app as harness, step_until};

fn steps(h: &mut AppHarness, n: usize) {
    for _ in 0..n {
        h.step();
    }
}

#[test]
fn f5_presents_the_lesson_large_and_escape_returns() {
    let mut h = harness();
    steps(&mut h, 2);
    assert!(h.query_by_role_and_label(Role::Slider, "Learning rate").is_some(), "the settings panel in normal mode");
    assert!(h.query_by_label_contains("Trainer:").is_some(), "the status bar in normal mode");
    h.key_press(Key::F5);
    steps(&mut h, 2);
    assert!(h.state().presenting());
    assert_eq!(h.ctx.zoom_factor(), 2.0, "twice the zoom");
    assert!(h.query_by_role_and_label(Role::Slider, "Learning rate").is_none(), "settings panel hidden");
    assert!(h.query_by_label_contains("Trainer:").is_none(), "status bar hidden");
    assert!(h.query_by_label("Open dataset…").is_none(), "the tab row is replaced");
    assert!(h.query_by_label("Exit presentation").is_some());
    assert!(h.query_by_label_contains("Autoencoder codes").is_some(), "the lesson's plots stay");
    // F6 shows the settings anyway, F6 again hides them.
    h.key_press(Key::F6);
    steps(&mut h, 2);
    assert!(h.query_by_role_and_label(Role::Slider, "Learning rate").is_some());
    h.key_press(Key::F6);
    steps(&mut h, 2);
    assert!(h.query_by_role_and_label(Role::Slider, "Learning rate").is_none());
    // Lesson navigation by keys and by the arrows of the presentation bar.
    h.key_press(Key::PageDown);
    steps(&mut h, 2);
    assert_eq!(h.state().selected_lesson(), "Samples");
    h.key_press_modifiers(Modifiers::COMMAND, Key::ArrowRight);
    steps(&mut h, 2);
    assert_eq!(h.state().selected_lesson(), "Bounds", "the lecture's order: codes, samples, bounds");
    h.get_by_label("◀").click();
    steps(&mut h, 2);
    assert_eq!(h.state().selected_lesson(), "Samples");
    h.key_press(Key::PageUp);
    h.key_press(Key::PageUp);
    steps(&mut h, 2);
    assert_eq!(h.state().selected_lesson(), "Leaderboard", "wraps around");
    h.key_press(Key::Escape);
    steps(&mut h, 2);
    assert!(!h.state().presenting());
    assert_eq!(h.ctx.zoom_factor(), 1.0);
    assert!(h.query_by_label("Open dataset…").is_some());
    // The View menu and the top-bar button do the same.
    h.get_by_label("View").click();
    steps(&mut h, 2);
    h.get_by_label("Presentation mode (F5)").click();
    steps(&mut h, 2);
    assert!(h.state().presenting());
    h.get_by_label("Exit presentation").click();
    steps(&mut h, 2);
    assert!(!h.state().presenting());
    h.get_by_label("Present").click();
    steps(&mut h, 2);
    assert!(h.state().presenting());
}

#[test]
fn space_trains_and_pauses_and_f2_lists_the_shortcuts() {
    let mut h = harness();
    step_until(&mut h, 30, "the device", |h| h.query_by_label_contains("Device: CPU (flex").is_some());
    h.key_press(Key::Space);
    step_until(&mut h, 60, "training", |h| {
        h.query_by_label("Pause").is_some() && h.query_by_label_contains("Trainer: training").is_some()
    });
    h.key_press(Key::Space);
    step_until(&mut h, 30, "paused", |h| {
        h.query_by_label("Resume").is_some() && h.query_by_label_contains("Trainer: paused").is_some()
    });
    h.key_press(Key::Space);
    step_until(&mut h, 30, "resumed", |h| h.query_by_label("Pause").is_some());
    h.get_by_label("Reset").click();
    // A tab with nothing to train says so.
    h.get_by_label("d-separation").click();
    steps(&mut h, 2);
    h.key_press(Key::Space);
    steps(&mut h, 2);
    assert!(h.query_by_label_contains("d-separation: nothing to train here").is_some());
    h.key_press(Key::F2);
    steps(&mut h, 2);
    assert!(h.query_by_label("Keyboard shortcuts").is_some());
    assert!(h.query_by_label("Train / Pause (lessons that train)").is_some());
}

/// Space must not reach a lesson while a text field has the keyboard.
#[test]
fn space_in_a_text_field_types_a_space() {
    let mut h = harness();
    steps(&mut h, 2);
    h.get_by_label("Hidden sizes").focus();
    steps(&mut h, 1);
    h.key_press(Key::Space);
    steps(&mut h, 2);
    assert!(h.query_by_label("Train").is_some(), "training did not start");
    assert!(h.state().selected_lesson() == "Latent space");
}

#[test]
fn every_lesson_has_an_explanation() {
    for lesson in lessons::all() {
        let e = lesson.explanation().unwrap_or_else(|| panic!("{} has no explanation", lesson.name()));
        assert!(e.what.len() > 80, "{}: say what the student sees", lesson.name());
        assert!(e.formula.lines().count() >= 2, "{}: the lecture's formula", lesson.name());
        for line in e.formula.lines() {
            let parsed = latent_lab::viz::math::parse(line);
            assert!(parsed.is_ok(), "{}: {line}: {parsed:?}", lesson.name());
        }
        assert!(e.things_to_try.len() >= 3, "{}: things to try", lesson.name());
    }
}

/// Clicks a tab's main controls by label and checks what appears.
fn exercise(h: &mut AppHarness, name: &str) {
    match name {
        "Latent space" => {
            h.get_by_label("Train").click();
            step_until(h, 60, "training", |h| h.query_by_label("Pause").is_some());
            h.get_by_label("Pause").click();
            step_until(h, 30, "paused", |h| h.query_by_label("Resume").is_some());
            h.get_by_label("Reset").click();
            step_until(h, 30, "reset", |h| h.query_by_label("Train").is_some());
        }
        "Samples" => {
            h.get_by_role_and_label(Role::Slider, "Temperature τ").set_value_accesskit(0.5);
            h.get_by_label("Resample").click();
            steps(h, 2);
            assert!(
                h.query_by_label_contains("No VAE yet").is_some()
                    || h.query_all_by_label_contains("Samples: ").next().is_some()
            );
        }
        "Gradient estimators" => {
            h.get_by_label("Redraw").click();
            step_until(h, 30, "the estimates", |h| {
                h.query_by_label_contains("1000 estimates of ∇_μ per estimator (K = 10)").is_some()
            });
        }
        "Encoder gradients" => {
            h.get_by_label("Train both").click();
            step_until(h, 60, "training", |h| h.query_by_label("Pause").is_some());
            h.get_by_label("Reset").click();
            step_until(h, 30, "reset", |h| h.query_by_label("Train both").is_some());
        }
        "Bounds" => {
            h.get_by_label("Gaussian").click();
            step_until(h, 10, "the Gaussian settings", |h| h.query_by_label_contains("Learn σ²").is_some());
            h.get_by_label("Bernoulli").click();
            steps(h, 2);
        }
        "d-separation" => {
            h.get_by_label("Collider").click();
            step_until(h, 10, "the answer", |h| h.query_by_label_contains("d-separated").is_some());
        }
        "Flows" => {
            h.get_by_label("Rings").click();
            steps(h, 2);
            assert!(h.query_by_label_contains("Press Train").is_some());
        }
        "Diffusion" => {
            step_until(h, 10, "the forward page", |h| h.query_by_label_contains("t = 0 of 200").is_some());
            h.get_by_label("2 · Learn the reverse").click();
            h.get_by_label("1 · Forward: noise the data").click();
            steps(h, 2);
        }
        "Hierarchical VAE" => {
            h.get_by_label("Both from x: x → z₁, x → z₂").click();
            h.get_by_label("z₁ 2-D").click();
            steps(h, 2);
            let formula = latent_lab::lessons::hvae::EXPLANATION_FROM_X.formula;
            assert!(formula_shown(h, formula), "the explanation follows the inference DAG");
            h.get_by_label("Train").click();
            step_until(h, 30, "training", |h| h.query_by_label_contains("Training: step").is_some());
            h.get_by_label("Pause").click();
            step_until(h, 30, "paused", |h| h.query_by_label_contains("Paused at step").is_some());
            h.get_by_label("Reset").click();
            step_until(h, 30, "reset", |h| h.query_by_label("Press Train to start.").is_some());
            assert!(h.query_by_label_contains("z₂ (2-D) appears here").is_some(), "the latent plots' placeholders");
        }
        "Autoregressive" => {
            h.get_by_label("Train MADE").click();
            step_until(h, 60, "MADE training", |h| h.query_by_label("Pause MADE").is_some());
            h.get_by_label("Pause MADE").click();
            step_until(h, 60, "MADE paused", |h| h.query_by_label("Train MADE").is_some());
            h.get_by_label("Reset MADE").click();
            h.get_by_label("Signals (WaveNet)").click();
            steps(h, 2);
            assert!(h.query_by_label_contains("Receptive field diagram, R = 64").is_some());
            let formula = latent_lab::lessons::autoregressive::SIGNALS_EXPLANATION.formula;
            assert!(formula_shown(h, formula), "the explanation follows the page");
            h.get_by_label("1, 1, 1, 1, 1, 1 (R = 7)").click();
            steps(h, 2);
            assert!(h.query_by_label_contains("Receptive field diagram, R = 7").is_some());
            h.get_by_label("Digits (MADE)").click();
            steps(h, 2);
        }
        "Leaderboard" => {
            assert!(h.query_by_label("No results yet: press \"Run the leaderboard\" (or Space).").is_some());
            h.get_by_label("MADE (exact)").click();
            steps(h, 2);
            assert!(h.query_by_label_contains("about 180 s of training, then scoring (3 models)").is_some());
            h.get_by_label("MADE (exact)").click();
            steps(h, 2);
        }
        other => panic!("the walk does not know the tab {other}"),
    }
}

/// Whether every line of a typeset formula is on screen (each is one widget labelled with its Unicode text).
fn formula_shown(h: &AppHarness, formula: &str) -> bool {
    latent_lab::viz::math::plain_lines(formula).iter().all(|line| h.query_by_label(line).is_some())
}

/// The walk: every tab, its explanation panel, its main controls.
#[test]
fn walk_every_lesson_with_its_explanation() {
    let mut h = harness();
    step_until(&mut h, 30, "the device", |h| h.query_by_label_contains("Device: CPU (flex").is_some());
    h.key_press(Key::F1);
    steps(&mut h, 2);
    assert!(h.state().explanation_open());
    for lesson in lessons::all() {
        let name = lesson.name();
        // The tab comes first (the top bar); a lesson may have a button of the same name (d-separation's presets).
        h.query_all_by_label(name).next().unwrap_or_else(|| panic!("the {name} tab")).click();
        steps(&mut h, 2);
        assert_eq!(h.state().selected_lesson(), name);
        assert!(h.query_by_label(&format!("{name}: what you see")).is_some(), "{name}: the explanation panel");
        assert!(h.query_by_label("From the lecture").is_some() && h.query_by_label("Things to try").is_some());
        let e = lesson.explanation().unwrap();
        assert!(formula_shown(&h, e.formula), "{name}: the formula on screen");
        assert!(h.query_by_label_contains(e.things_to_try[0]).is_some(), "{name}: the first thing to try");
        exercise(&mut h, name);
    }
    h.get_by_label("Explain this lesson").click();
    steps(&mut h, 2);
    assert!(!h.state().explanation_open());
    assert!(h.query_by_label("Things to try").is_none());
}

/// The whole app under the wgpu test renderer at a fixed size.
fn rendering_harness(width: f32, height: f32) -> AppHarness {
    Harness::builder()
        .with_size(egui::vec2(width, height))
        .wgpu()
        .build_eframe(|cc| LatentLabApp::new(cc, &AppOptions { device: DevicePref::Cpu, ..AppOptions::default() }))
}

/// Tolerant comparison: the status bar's frame time and anti-aliasing on another adapter change a few pixels.
fn snapshot_options() -> SnapshotOptions {
    SnapshotOptions::new().threshold(2.0).max_failed_pixels(800)
}

/// Waits for what a tab computes on its own threads before its picture is taken (nothing here trains).
fn settle(h: &mut AppHarness, name: &str) {
    if name == "Samples" {
        step_until(h, 30, "the worker's answer", |h| h.query_by_label_contains("No VAE yet").is_some());
    }
    if name == "Gradient estimators" {
        step_until(h, 30, "the estimates", |h| h.query_by_label_contains("estimates of ∇_μ per estimator").is_some());
    }
    steps(h, 4);
}

#[test]
fn snapshots_of_every_lesson() {
    let mut h = rendering_harness(1280.0, 720.0);
    step_until(&mut h, 30, "the device", |h| h.query_by_label_contains("Device: CPU (flex").is_some());
    let mut results = egui_kittest::SnapshotResults::new();
    for lesson in lessons::all() {
        let name = lesson.name();
        h.query_all_by_label(name).next().unwrap_or_else(|| panic!("the {name} tab")).click();
        settle(&mut h, name);
        // Move the pointer away so no hover highlight depends on the tab's position.
        h.event(egui::Event::PointerGone);
        steps(&mut h, 2);
        let file = format!("lesson-{}", name.to_lowercase().replace(' ', "-"));
        results.add(h.try_snapshot_options(&file, &snapshot_options()));
    }
    // The newest tabs presented at 1280×720 (twice the zoom): no settings panel, the lesson fills the screen.
    for (name, hidden, shown) in [
        ("Hierarchical VAE", "Open the generative DAG in the d-separation editor", "Generative DAG"),
        ("Autoregressive", "Train MADE", "MADE negative log-likelihood (nats per digit)"),
        ("Leaderboard", "Run the leaderboard", "No results yet: press \"Run the leaderboard\" (or Space)."),
    ] {
        // From a tab without a "Hierarchical VAE" button (the Leaderboard's checkbox and d-separation's example).
        h.get_by_label("Latent space").click();
        steps(&mut h, 2);
        h.query_all_by_label(name).next().unwrap_or_else(|| panic!("the {name} tab")).click();
        steps(&mut h, 2);
        h.key_press(Key::F5);
        h.event(egui::Event::PointerGone);
        steps(&mut h, 4);
        assert!(h.query_by_label(hidden).is_none(), "{name}: the settings are hidden");
        assert!(h.query_by_label(shown).is_some(), "{name}: the lesson is shown");
        let file = format!("presentation-{}", name.to_lowercase().replace(' ', "-"));
        results.add(h.try_snapshot_options(&file, &snapshot_options()));
        h.key_press(Key::Escape);
        steps(&mut h, 2);
    }
    // Presentation mode at 1280×720 with the explanation panel (also the README's screenshot).
    h.get_by_label("Latent space").click();
    h.key_press(Key::F5);
    h.key_press(Key::F1);
    h.event(egui::Event::PointerGone);
    steps(&mut h, 4);
    results.add(h.try_snapshot_options("presentation-latent-space", &snapshot_options()));
    if let Ok(path) = std::env::var("PRESENTATION_PNG")
        && let Ok(image) = h.render()
    {
        image.save(path).unwrap();
    }
    results.unwrap();
}

fn right_click(h: &mut AppHarness, pos: egui::Pos2) {
    h.event(egui::Event::PointerMoved(pos));
    h.step();
    for pressed in [true, false] {
        let button = egui::PointerButton::Secondary;
        h.event(egui::Event::PointerButton { pos, button, pressed, modifiers: Modifiers::NONE });
        h.step();
    }
    steps(h, 2);
}

/// Right-clicking a loss plot offers PNG and CSV; a square plot offers PNG only.
#[test]
fn plots_have_an_export_menu() {
    let mut h = harness();
    h.step();
    h.get_by_label("Flows").click();
    steps(&mut h, 2);
    let title = h.get_by_label("Negative log-likelihood (nats per point)").rect();
    right_click(&mut h, egui::pos2(title.left() + 120.0, title.bottom() + 120.0));
    assert!(h.query_by_label("Export PNG…").is_some(), "the context menu of the NLL plot");
    assert!(h.query_by_label("Export CSV…").is_some(), "loss curves also as CSV");
    h.key_press(Key::Escape);
    steps(&mut h, 2);
    let title = h.get_by_label("Data (standardised)").rect();
    right_click(&mut h, egui::pos2(title.left() + 120.0, title.bottom() + 120.0));
    assert!(h.query_by_label("Export PNG…").is_some(), "the context menu of the data plot");
    assert!(h.query_by_label("Export CSV…").is_none());
}

/// The README's presentation-mode screenshot: the Latent space tab after a few seconds of training, at 1280×720,
/// written to `$PRESENTATION_PNG` (`cargo test --release --test integration presentation_screenshot -- --ignored`).
#[test]
#[ignore = "writes the README screenshot; run by hand"]
fn presentation_screenshot() {
    let mut h = rendering_harness(1280.0, 720.0);
    step_until(&mut h, 30, "the device", |h| h.query_by_label_contains("Device: CPU (flex").is_some());
    h.key_press(Key::Space);
    step_until(&mut h, 60, "codes", |h| h.query_by_label_contains("VAE codes: encoder means (1000 digits").is_some());
    let until = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while std::time::Instant::now() < until {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    h.key_press(Key::Space);
    h.key_press(Key::F5);
    h.event(egui::Event::PointerGone);
    steps(&mut h, 6);
    let path = std::env::var("PRESENTATION_PNG").unwrap_or_else(|_| "docs/screenshots/presentation.png".into());
    h.render().expect("a wgpu adapter").save(path).unwrap();
}

/// A fresh window given what eframe stored (`remembered` through JSON, as eframe's storage keeps it).
fn reopened_with(remembered: &latent_lab::app::hall::Remembered) -> AppHarness {
    let stored: latent_lab::app::hall::Remembered =
        serde_json::from_str(&serde_json::to_string(remembered).unwrap()).unwrap();
    let mut fresh = harness();
    steps(&mut fresh, 2);
    let ctx = fresh.ctx.clone();
    fresh.state_mut().restore(&ctx, &stored);
    steps(&mut fresh, 2);
    fresh
}

/// What eframe stores between runs: the tab, the explanation panel, and the zoom to undo when the app closed while
/// presenting.
#[test]
fn the_tab_and_the_explanation_are_remembered() {
    let mut h = harness();
    steps(&mut h, 2);
    h.get_by_label("Flows").click();
    h.key_press(Key::F1);
    steps(&mut h, 2);
    let remembered = h.state().remembered();
    assert_eq!((remembered.lesson.as_str(), remembered.explain), ("Flows", true));
    assert_eq!(remembered.zoom_before_presentation, None);
    let mut fresh = reopened_with(&remembered);
    let ctx = fresh.ctx.clone();
    assert_eq!(fresh.state().selected_lesson(), "Flows");
    assert!(fresh.query_by_label("Flows: what you see").is_some());
    h.key_press(Key::F5);
    steps(&mut h, 2);
    let presenting = h.state().remembered();
    assert_eq!(presenting.zoom_before_presentation, Some(1.0));
    fresh.ctx.set_zoom_factor(2.0);
    steps(&mut fresh, 2);
    assert_eq!(fresh.ctx.zoom_factor(), 2.0);
    fresh.state_mut().restore(&ctx, &presenting);
    steps(&mut fresh, 2);
    assert_eq!(fresh.ctx.zoom_factor(), 1.0, "the doubled zoom egui remembered is undone");
}

/// View ▸ Theme ▸ Light turns the window light (egui's light visuals), it is remembered, and a fresh window opened
/// with what was stored comes up light too; Dark turns it back.
#[test]
fn the_light_theme_is_chosen_in_view_and_remembered() {
    let mut h = harness();
    steps(&mut h, 2);
    assert!(h.ctx.global_style().visuals.dark_mode, "dark by default");
    let choose = |h: &mut AppHarness, label: &str| {
        h.get_by_label("View").click();
        steps(h, 2);
        h.get_by_label("Theme").hover();
        steps(h, 2);
        h.get_by_label(label).click();
        steps(h, 2);
    };
    choose(&mut h, "Light (for projectors)");
    assert!(!h.ctx.global_style().visuals.dark_mode, "light visuals");
    let remembered = h.state().remembered();
    assert_eq!(remembered.theme, latent_lab::app::hall::Theme::Light);
    let fresh = reopened_with(&remembered);
    assert!(!fresh.ctx.global_style().visuals.dark_mode, "the fresh window is light too");
    choose(&mut h, "Dark");
    assert!(h.ctx.global_style().visuals.dark_mode);
}

/// After clicking a tab or Present, Space still trains (the clicked widget does not keep it).
#[test]
fn space_after_a_click_trains_instead_of_pressing_the_button() {
    let mut h = harness();
    step_until(&mut h, 30, "the device", |h| h.query_by_label_contains("Device: CPU (flex").is_some());
    h.get_by_label("Flows").click();
    steps(&mut h, 2);
    h.get_by_label("Present").click();
    steps(&mut h, 2);
    assert!(h.state().presenting());
    h.key_press(Key::Space);
    steps(&mut h, 2);
    assert!(h.state().presenting(), "Space did not press a button");
    h.key_press(Key::F6);
    step_until(&mut h, 60, "the flows training", |h| h.query_by_label("Pause").is_some());
}

/// Space trains and pauses the Hierarchical VAE and the page shown of the Autoregressive tab.
#[test]
fn space_trains_and_pauses_the_newest_tabs() {
    let mut h = harness();
    step_until(&mut h, 30, "the device", |h| h.query_by_label_contains("Device: CPU (flex").is_some());
    h.get_by_label("Hierarchical VAE").click();
    steps(&mut h, 2);
    h.key_press(Key::Space);
    step_until(&mut h, 30, "training", |h| h.query_by_label_contains("Training: step").is_some());
    h.key_press(Key::Space);
    step_until(&mut h, 30, "paused", |h| h.query_by_label_contains("Paused at step").is_some());
    h.key_press(Key::Space);
    step_until(&mut h, 30, "resumed", |h| h.query_by_label_contains("Training: step").is_some());
    h.get_by_label("Reset").click();
    h.get_by_label("Autoregressive").click();
    steps(&mut h, 2);
    h.key_press(Key::Space);
    step_until(&mut h, 60, "MADE training", |h| h.query_by_label("Pause MADE").is_some());
    h.key_press(Key::Space);
    step_until(&mut h, 60, "MADE paused", |h| h.query_by_label("Train MADE").is_some());
    h.get_by_label("Signals (WaveNet)").click();
    steps(&mut h, 2);
    h.key_press(Key::Space);
    step_until(&mut h, 60, "WaveNet training", |h| h.query_by_label("Pause WaveNet").is_some());
    h.key_press(Key::Space);
    step_until(&mut h, 60, "WaveNet paused", |h| h.query_by_label("Train WaveNet").is_some());
    assert!(h.query_by_label_contains("nothing to train here").is_none());
}
