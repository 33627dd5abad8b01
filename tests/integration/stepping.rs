//! Step control on every tab that trains: with the model paused, `.` takes exactly one optimiser step, Shift+`.`
//! ten, the Step button one more, and the model stays paused. Each tab shows its own step count; the test reads it
//! (the Latent space tab's version of this is in `lecture.rs`). View ▸ Slow motion steps a paused tab by itself.

use std::time::Duration;

use eframe::egui::{self, Key};
use egui_kittest::kittest::{NodeT, Queryable, by};

use crate::app_harness::{AppHarness, app, at_stop, step_until};

/// The number right after `prefix` in the first label or value that contains it (`at_start`: that begins with
/// it).
fn number_after(h: &AppHarness, prefix: &str, at_start: bool) -> Option<u64> {
    let found = |t: &str| if at_start { t.starts_with(prefix) } else { t.contains(prefix) };
    let text = h
        .query_all(by().predicate(|n| [n.label(), n.value()].into_iter().flatten().any(|t| found(&t))))
        .find_map(|n| {
            let node = n.accesskit_node();
            [node.label(), node.value()].into_iter().flatten().find(|t| found(t))
        })?;
    let rest = &text[text.find(prefix)? + prefix.len()..];
    rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

/// Frames with short sleeps for about `ms` milliseconds.
fn wait(h: &mut AppHarness, ms: u64) {
    for _ in 0..ms / 20 {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// View ▸ Slow motion ▸ `choice`.
fn choose_slow_motion(h: &mut AppHarness, choice: &str) {
    h.get_by_label("View").click();
    wait(h, 60);
    h.get_by_label("Slow motion").hover();
    wait(h, 60);
    h.get_by_label(choice).click();
}

/// Presses `train`, waits until the count `read` shows passes `min`, and presses `pause`.
fn train_then_pause(h: &mut AppHarness, train: &str, read: impl Fn(&AppHarness) -> Option<u64>, min: u64, pause: &str) {
    h.step();
    h.get_by_label(train).click();
    step_until(h, 60, &format!("{train}: training"), |h| read(h).is_some_and(|s| s > min));
    h.get_by_label(pause).click();
}

/// A fresh app on tab `tab`, its device chosen.
fn on_tab(tab: &str) -> AppHarness {
    let mut h = app();
    step_until(&mut h, 30, "the device", |h| h.query_by_label_contains("Trainer: idle").is_some());
    h.get_by_label(tab).click();
    h.step();
    h
}

/// With the tab's model paused: the shown count goes up by exactly 1 (`.`), 10 (Shift+`.`) and 1 (Step), and
/// then stays.
fn steps_exactly(h: &mut AppHarness, tab: &str, read: impl Fn(&AppHarness) -> Option<u64>) {
    step_until(h, 90, &format!("{tab}: a paused model's step count"), |h| read(h).is_some());
    // A pause may still be on its way to the thread: the count must stand still first.
    let mut before = read(h);
    loop {
        wait(h, 400);
        let now = read(h);
        if now == before {
            break;
        }
        before = now;
    }
    let start = before.unwrap_or_default();
    if h.query_by_label("Step").is_none() {
        // A classroom stop hides the settings (and the Step button); F6 shows them.
        h.key_press(Key::F6);
        wait(h, 100);
    }
    h.key_press(Key::Period);
    step_until(h, 60, &format!("{tab}: one step after '.' (from {start})"), |h| read(h) == Some(start + 1));
    h.key_press_modifiers(egui::Modifiers::SHIFT, Key::Period);
    step_until(h, 60, &format!("{tab}: ten more after Shift+'.'"), |h| read(h) == Some(start + 11));
    h.get_by_label("Step").click();
    step_until(h, 60, &format!("{tab}: one more after Step"), |h| read(h) == Some(start + 12));
    wait(h, 600);
    assert_eq!(read(h), Some(start + 12), "{tab}: still paused, no step more");
    assert_eq!(h.state().error(), None, "{tab}");
}

#[test]
fn the_hierarchical_vae_steps_one_at_a_time() {
    let mut h = at_stop(17);
    steps_exactly(&mut h, "Hierarchical VAE", |h| number_after(h, "Paused at step ", false));
}

#[test]
fn both_flows_step_one_at_a_time() {
    let mut h = at_stop(24);
    steps_exactly(&mut h, "Flows", |h| number_after(h, "(Two moons, step ", false));
}

#[test]
fn made_steps_one_at_a_time() {
    let mut h = at_stop(27);
    steps_exactly(&mut h, "MADE", |h| number_after(h, "step ", true));
}

#[test]
fn the_wavenet_steps_one_at_a_time_after_a_pause() {
    let mut h = at_stop(29);
    train_then_pause(&mut h, "Train WaveNet", |h| number_after(h, "step ", true), 2467 + 20, "Pause WaveNet");
    steps_exactly(&mut h, "WaveNet", |h| number_after(h, "step ", true));
}

#[test]
fn the_2d_diffusion_model_steps_one_at_a_time_after_a_pause() {
    let mut h = at_stop(21);
    h.key_press(Key::F6); // the classroom stop hides the Train button
    train_then_pause(&mut h, "Train", |h| number_after(h, "training: step ", false), 50, "Pause");
    step_until(&mut h, 30, "paused with Resume", |h| h.query_by_label("Resume").is_some());
    steps_exactly(&mut h, "Diffusion", |h| number_after(h, "trained: ", false));
    h.get_by_label("Resume").click();
    step_until(&mut h, 30, "training again", |h| number_after(h, "training: step ", false).is_some());
}

#[test]
fn the_encoder_gradient_pair_steps_one_at_a_time_after_a_pause() {
    let mut h = on_tab("Encoder gradients");
    train_then_pause(&mut h, "Train both", |h| number_after(h, "Training: step ", false), 5, "Pause");
    steps_exactly(&mut h, "Encoder gradients", |h| number_after(h, "Paused at step ", false));
}

/// View ▸ Slow motion at 5 steps per second: a paused tab steps by itself, one step at a time; Off stops it.
#[test]
fn slow_motion_steps_a_paused_tab_by_itself() {
    let mut h = at_stop(17);
    let read = |h: &AppHarness| number_after(h, "Paused at step ", false);
    step_until(&mut h, 90, "the shipped HVAE", |h| read(h).is_some());
    let start = read(&h).unwrap_or_default();
    choose_slow_motion(&mut h, "5 steps per second");
    step_until(&mut h, 60, "slow-motion steps", |h| read(h).is_some_and(|s| s >= start + 3));
    assert!(h.query_by_label_contains("Slow motion: 5 steps/s").is_some(), "the status bar says so");
    choose_slow_motion(&mut h, "Off");
    wait(&mut h, 600);
    let stopped = read(&h);
    wait(&mut h, 800);
    assert_eq!(read(&h), stopped, "Off: no more steps");
    assert!(h.query_by_label("Resume").is_some(), "the run stays paused");
}

/// Bounds: Pause keeps the training time left; Step trains the paused VAE one step at a time.
#[test]
fn the_bounds_vae_pauses_and_steps_one_at_a_time() {
    let mut h = on_tab("Bounds");
    let training = |h: &AppHarness| number_after(h, "Training the VAE (ELBO): step ", false);
    train_then_pause(&mut h, "Train VAE", training, 5, "Pause");
    steps_exactly(&mut h, "Bounds", |h| number_after(h, "paused at step ", false));
    assert!(h.query_by_label_contains("s left").is_some(), "the time left is kept");
}

/// The held-out score in MADE's status line (deterministic for given weights).
fn made_heldout(h: &AppHarness) -> Option<String> {
    let prefix = "held-out −log p(x) = ";
    let status = |t: &str| t.starts_with("step ") && t.contains(prefix);
    h.query_all(by().predicate(move |n| [n.label(), n.value()].into_iter().flatten().any(|t| status(&t))))
        .find_map(|n| {
            let node = n.accesskit_node();
            [node.label(), node.value()].into_iter().flatten().find(|t| status(t))
        })
        .and_then(|t| t.split(prefix).nth(1).map(str::to_owned))
}

/// Step on a tab without a model builds one from the seed: the same seed and ten steps give the same MADE twice,
/// held-out score for score.
#[test]
fn the_same_seed_and_steps_repeat_a_made_run_exactly() {
    let mut h = on_tab("Autoregressive");
    let run = |h: &mut AppHarness| {
        h.key_press_modifiers(egui::Modifiers::SHIFT, Key::Period);
        step_until(h, 60, "ten steps of a new MADE", |h| {
            number_after(h, "step ", true) == Some(10) && made_heldout(h).is_some()
        });
        made_heldout(h).expect("MADE's held-out score")
    };
    let first = run(&mut h);
    h.get_by_label("Reset MADE").click();
    step_until(&mut h, 30, "MADE reset", |h| made_heldout(h).is_none());
    let second = run(&mut h);
    assert_eq!(first, second, "seed 1, ten steps, twice");
    assert!(h.query_by_label("Train MADE").is_some(), "stepped, not training");
}

/// The lecture's 2-D diffusion model comes from a file, paused: Step goes on from its recorded step count.
#[test]
fn the_shipped_2d_diffusion_model_steps_on_from_its_file() {
    let mut h = at_stop(21);
    steps_exactly(&mut h, "Diffusion (shipped)", |h| number_after(h, "trained: ", false));
    assert!(number_after(&h, "trained: ", false).is_some_and(|s| s > 1000), "counted on from the file's steps");
}

/// The Diffusion tab's live U-Net run pauses with its time left and steps one optimiser step at a time.
#[test]
fn the_live_digits_unet_steps_one_at_a_time_after_a_pause() {
    let mut h = on_tab("Diffusion");
    h.get_by_label("3 · Digits (U-Net)").click();
    h.step();
    let live = |h: &AppHarness| number_after(h, "training live: step ", false);
    train_then_pause(&mut h, "Train live from scratch (3 min)", live, 2, "Pause live training");
    steps_exactly(&mut h, "Diffusion (live U-Net)", |h| number_after(h, "Live training paused at step ", false));
    h.get_by_label("Resume live training").click();
    step_until(&mut h, 60, "training live again", |h| h.query_by_label("Pause live training").is_some());
    h.get_by_label("Pause live training").click();
    step_until(&mut h, 60, "paused again", |h| h.query_by_label("Resume live training").is_some());
}
