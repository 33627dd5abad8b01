//! The leaderboard: a VAE row trained and scored on binarised digits, from the Leaderboard tab.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use latent_lab::data::Dataset;
use latent_lab::leaderboard::vae::{Objective, VaeRowError, leaderboard_row};
use latent_lab::leaderboard::{Budget, Entry, NllKind};
use latent_lab::lessons::leaderboard::LeaderboardLesson;
use latent_lab::lessons::{Lesson, LessonContext};
use latent_lab::train::WorkerState;

struct State {
    lesson: LeaderboardLesson,
    dataset: Arc<Dataset>,
    fonts_ready: bool,
}

type BoardHarness = Harness<'static, State>;

/// The Leaderboard tab alone, set to train only the VAE for 2 s and score 8 digits.
fn vae_only_board() -> BoardHarness {
    let mut lesson = LeaderboardLesson::default();
    lesson.seconds = 2.0;
    lesson.heldout_digits = 8;
    for (entry, on) in &mut lesson.chosen {
        *on = *entry == Entry::Vae;
    }
    let dataset = Arc::new(Dataset::builtin_mnist().expect("built-in digits"));
    Harness::builder().with_size(eframe::egui::vec2(1200.0, 800.0)).build_ui_state(
        |ui, s: &mut State| {
            // The first frame installs the app's fonts (they apply from the next frame); later frames draw.
            if !s.fonts_ready {
                latent_lab::viz::fonts::install(ui.ctx());
                s.fonts_ready = true;
                return;
            }
            let mut commands = Vec::new();
            let mut cx =
                LessonContext { dataset: &s.dataset, worker_state: &WorkerState::Idle, commands: &mut commands };
            s.lesson.ui(ui, &mut cx);
        },
        State { lesson, dataset, fonts_ready: false },
    )
}

fn step_board_until(h: &mut BoardHarness, what: &str, pred: impl Fn(&BoardHarness) -> bool) {
    let deadline = Instant::now() + Duration::from_mins(2);
    while !pred(h) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
}

#[test]
fn a_run_whose_thread_dies_names_the_model_as_failed_and_the_next_run_works() {
    let mut h = vae_only_board();
    h.step();
    h.step();
    latent_lab::lessons::lesson_thread::inject_fault(&h.ctx, "leaderboard");
    h.get_by_label("Run the leaderboard").click();
    step_board_until(&mut h, "the failure", |h| {
        h.query_by_label_contains("injected fault in the leaderboard thread").is_some()
    });
    assert!(h.query_by_label("Run the leaderboard").is_some(), "the tab is usable again");
    h.get_by_label("Run the leaderboard").click();
    step_board_until(&mut h, "the VAE row", |h| h.query_by_label_contains("an upper bound").is_some());
}

#[test]
fn the_tab_runs_a_short_board_and_shows_the_vae_row() {
    let mut h = vae_only_board();
    h.step();
    h.step();
    assert!(h.query_by_label_contains("No results yet").is_some());
    h.get_by_label("Run the leaderboard").click();
    h.step();
    h.step();
    assert!(h.query_by_label("Cancel the run").is_some(), "a run offers Cancel while it trains");
    let deadline = Instant::now() + Duration::from_mins(2);
    while h.query_by_label_contains("an upper bound").is_none() {
        assert!(Instant::now() < deadline, "the VAE row never appeared");
        std::thread::sleep(Duration::from_millis(50));
        h.step();
    }
    assert_eq!(h.query_all_by_label("VAE (ELBO, 8-D latent)").count(), 2, "its checkbox and its row");
    assert!(h.query_by_label_contains("8 held-out digits").is_some());
    while h.query_by_label("Run the leaderboard").is_none() {
        assert!(Instant::now() < deadline, "the run never ended");
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
}

#[test]
fn a_vae_row_scores_the_binarised_heldout_digits_with_l5000() {
    let data = Dataset::builtin_mnist().expect("built-in digits");
    let budget = Budget { train_time: Duration::from_millis(500), seed: 1, heldout_digits: 6 };
    let device = burn::tensor::Device::flex();
    let mut last = 0.0f32;
    let mut progress = |p: f32| {
        assert!(p + 1e-6 >= last, "progress goes forward");
        last = p;
    };
    let row = leaderboard_row(&data, Objective::Elbo, 2, &budget, &device, 1, &AtomicBool::new(false), &mut progress)
        .expect("a row");
    assert_eq!(row.digits, 6);
    assert_eq!(row.kind, NllKind::IwaeBound { k: 5000 });
    assert!(row.steps > 0 && row.train_seconds >= 0.5);
    // 784 binary pixels: an untrained-ish model lies between a perfect one (0) and a coin flip per pixel.
    assert!(row.nll_nats > 0.0 && row.nll_nats < 784.0 * std::f64::consts::LN_2, "{}", row.nll_nats);
    assert!((last - 1.0).abs() < 1e-6, "progress ends at 1");

    let cancelled =
        leaderboard_row(&data, Objective::Elbo, 2, &budget, &device, 1, &AtomicBool::new(true), &mut |_| {});
    assert!(matches!(cancelled, Err(VaeRowError::Cancelled)));
}
