//! Lecture mode: the shipped lecture walked stop by stop in both themes (its tab, its title, trained models without
//! pressing Train), Page Down / Page Up and the classroom view, a lecturer's own stop saved with the files it needs
//! and opened again, and a bad lecture file refused with the stop it names.

use eframe::egui::{self, Key};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable, by};
use latent_lab::app::hall::Theme;
use latent_lab::app::lecture::LectureRun;
use latent_lab::app::{AppOptions, LatentLabApp};
use latent_lab::lecture::{self, Lecture};
use latent_lab::models::device::DevicePref;

use crate::app_harness::{AppHarness, step_until};

fn steps(h: &mut AppHarness, n: usize) {
    for _ in 0..n {
        h.step();
    }
}

fn themed(theme: Theme) -> AppHarness {
    Harness::builder().with_size(egui::vec2(1400.0, 900.0)).with_theme(theme.egui()).build_eframe(move |cc| {
        LatentLabApp::new(cc, &AppOptions { device: DevicePref::Cpu, theme: Some(theme), ..AppOptions::default() })
    })
}

fn start_from_the_menu(h: &mut AppHarness) {
    steps(h, 2);
    h.get_by_label("Lecture").click();
    steps(h, 2);
    h.get_by_label("Start the lecture").click();
    steps(h, 2);
}

/// The text (label or value) of the first node whose text contains `part`.
fn text_of(h: &AppHarness, part: &str) -> Option<String> {
    let text = |n: &egui_kittest::kittest::AccessKitNode<'_>| {
        [n.label(), n.value()].into_iter().flatten().find(|t| t.contains(part))
    };
    h.query_all(by().predicate(move |n| text(n).is_some())).find_map(|n| text(&n.accesskit_node()))
}

/// The first number after `after` in the text of the node containing it.
fn number_after(h: &AppHarness, after: &str) -> Option<u64> {
    let text = text_of(h, after)?;
    let rest = &text[text.find(after)? + after.len()..];
    rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

/// The step count at the start of a status line ("step 2467 · …", the WaveNet's and MADE's).
fn status_steps(h: &AppHarness) -> Option<u64> {
    let starts = |n: &egui_kittest::kittest::AccessKitNode<'_>| {
        [n.label(), n.value()].into_iter().flatten().find(|t| t.starts_with("step "))
    };
    let text = h.query_all(by().predicate(move |n| starts(n).is_some())).find_map(|n| starts(&n.accesskit_node()))?;
    text["step ".len()..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

/// What shows that the stop's lesson starts from a trained model, and its step count (`None`: not yet).
fn trained_steps(h: &AppHarness, lesson: &str) -> Option<u64> {
    match lesson {
        "Latent space" => number_after(h, "digits, step "),
        "Samples" => number_after(h, "I), step "),
        "Bounds" => text_of(h, "loaded: iwae-k5.bpk").map(|_| 1),
        "Hierarchical VAE" => number_after(h, "Paused at step "),
        "Flows" => number_after(h, "(Two moons, step "),
        "Diffusion" => number_after(h, "trained: "),
        "Autoregressive" => number_after(h, "weights after step ").or(status_steps(h)),
        _ => Some(1),
    }
}

#[test]
fn the_shipped_lecture_walks_stop_by_stop_in_both_themes() {
    let shipped = lecture::parse(lecture::shipped::lecture_text(), &latent_lab::lessons::names()).unwrap();
    assert!((20..=30).contains(&shipped.stops.len()), "{} stops", shipped.stops.len());
    let typeset = shipped.stops.iter().filter(|s| !s.formula.is_empty()).count();
    assert!(typeset >= 20, "only {typeset} stops have a typeset formula");
    for theme in [Theme::Dark, Theme::Light] {
        let mut h = themed(theme);
        start_from_the_menu(&mut h);
        assert_eq!(h.ctx.global_style().visuals.dark_mode, theme == Theme::Dark);
        let n = shipped.stops.len();
        for (i, stop) in shipped.stops.iter().enumerate() {
            assert_eq!(h.state().lecture().map(LectureRun::index), Some(i));
            assert_eq!(h.state().selected_lesson(), stop.lesson, "stop {}", i + 1);
            assert!(h.query_all_by_label(&stop.title).next().is_some(), "stop {}: its title {}", i + 1, stop.title);
            assert!(text_of(&h, &format!("stop {} of {n}", i + 1)).is_some(), "progress of stop {}", i + 1);
            for line in latent_lab::viz::math::plain_lines(&stop.formula) {
                assert!(!line.contains("formula, character"), "stop {}: {line}", i + 1);
                assert!(h.query_all_by_label(&line).next().is_some(), "stop {}: the formula {line}", i + 1);
            }
            // The stop names model files.
            let needs_model = stop.lessons.values().any(|p| !lecture::referenced_files(p).is_empty());
            if needs_model {
                step_until(&mut h, 60, &format!("a trained model at stop {} ({})", i + 1, stop.title), |h| {
                    trained_steps(h, &stop.lesson).is_some_and(|s| s > 0)
                });
            }
            assert_eq!(h.state().error(), None, "stop {} ({})", i + 1, stop.title);
            h.key_press(Key::PageDown);
            steps(&mut h, 2);
        }
        assert_eq!(h.state().lecture().map(LectureRun::index), Some(n - 1), "Page Down stops at the last stop");
        h.key_press(Key::PageUp);
        steps(&mut h, 2);
        assert_eq!(h.state().lecture().map(LectureRun::index), Some(n - 2));
    }
}

#[test]
fn a_classroom_stop_hides_the_settings_until_f6() {
    let mut h = themed(Theme::Dark);
    start_from_the_menu(&mut h);
    let stop = h.state().lecture().and_then(|l| l.stop().cloned()).unwrap();
    assert!(stop.hide_settings, "the first stop is a classroom view");
    assert!(h.query_by_label("Train from scratch").is_none() && h.query_all_by_label("Hidden sizes").next().is_none());
    h.key_press(Key::F6);
    steps(&mut h, 2);
    assert!(h.query_all_by_label("Hidden sizes").next().is_some(), "F6 shows the settings");
    h.key_press(Key::PageDown);
    steps(&mut h, 2);
    assert!(!h.state().lecture().and_then(|l| l.stop()).unwrap().hide_settings);
    assert!(h.query_all_by_label("Hidden sizes").next().is_some(), "the next stop shows them");
    assert!(h.state().explanation_open(), "the second stop opens the explanation");
    h.get_by_label("Leave lecture").click();
    steps(&mut h, 2);
    assert!(h.state().lecture().is_none());
    h.key_press(Key::PageDown);
    steps(&mut h, 2);
    assert_eq!(h.state().selected_lesson(), "Samples", "outside a lecture Page Down goes to the next tab");
}

#[test]
fn a_lecturers_own_stop_is_saved_with_its_files_and_opens_again() {
    let from = tempfile::tempdir().unwrap();
    let to = tempfile::tempdir().unwrap();
    let path = lecture::shipped::extract_to(from.path()).unwrap();
    let mut h = themed(Theme::Light);
    steps(&mut h, 2);
    h.state_mut().open_lecture(&path);
    steps(&mut h, 2);
    let dsep = h.state().lecture().unwrap().lecture.stops.iter().position(|s| s.title.contains("Bishop")).unwrap();
    h.state_mut().show_stop(dsep);
    steps(&mut h, 2);
    h.get_by_label("Collider").click();
    steps(&mut h, 2);
    h.get_by_label("Edit stops").click();
    steps(&mut h, 2);
    h.get_by_label("Add this view as a stop").click();
    steps(&mut h, 2);
    let run = h.state().lecture().unwrap();
    assert_eq!(run.index(), dsep + 1);
    let added = run.stop().unwrap().clone();
    assert_eq!(added.lesson, "d-separation");
    let scene = added.scene.clone().unwrap();
    step_until(&mut h, 30, "the new stop's scene", |_| from.path().join(&scene).is_file());
    let target = to.path().join("my-lecture.json");
    let ctx = h.ctx.clone();
    h.state_mut().save_lecture_to(&ctx, target.clone());
    step_until(&mut h, 30, "the saved lecture", |_| target.is_file());
    for copied in [scene.as_str(), "latent-ae.bpk", "latent-ae.json", "hvae.bpk", "made.json"] {
        assert!(to.path().join(copied).is_file(), "{copied} copied next to the lecture");
    }
    let saved = lecture::parse(&std::fs::read_to_string(&target).unwrap(), &latent_lab::lessons::names()).unwrap();
    let shipped = lecture::parse(lecture::shipped::lecture_text(), &latent_lab::lessons::names()).unwrap();
    assert_eq!(saved.stops.len(), shipped.stops.len() + 1);
    assert_eq!(saved.stops[dsep + 1].scene.as_deref(), Some(scene.as_str()));

    let mut again = themed(Theme::Dark);
    steps(&mut again, 2);
    again.state_mut().open_lecture(&target);
    again.state_mut().show_stop(dsep + 1);
    steps(&mut again, 3);
    assert_eq!(again.state().error(), None);
    assert_eq!(again.state().selected_lesson(), "d-separation");
    assert!(text_of(&again, "x ⊥⊥ y").is_some() || text_of(&again, "d-separated").is_some(), "the collider's answer");
    again.state_mut().show_stop(0);
    steps(&mut again, 2);
    step_until(&mut again, 60, "the copied AE and VAE", |h| trained_steps(h, "Latent space").is_some_and(|s| s > 0));
}

#[test]
fn a_bad_lecture_file_is_refused_naming_the_stop_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = Lecture::new("Broken");
    bad.stops.push(lecture::Stop::new("Fine", "d-separation"));
    bad.stops.push(lecture::Stop::new("Gone", "Unicorns"));
    let path = dir.path().join("bad.json");
    std::fs::write(&path, bad.to_json()).unwrap();
    let mut h = themed(Theme::Dark);
    steps(&mut h, 2);
    h.state_mut().open_lecture(&path);
    steps(&mut h, 2);
    let e = h.state().error().unwrap_or_default().to_owned();
    assert!(e.contains("bad.json") && e.contains("stop 2") && e.contains("Unicorns"), "{e}");
    assert!(h.state().lecture().is_none());
    assert_eq!(h.state().selected_lesson(), "Latent space");
    std::fs::write(&path, "{ \"format\": \"latent-lab lecture\",\n  \"stops\": [").unwrap();
    h.state_mut().open_lecture(&path);
    let e = h.state().error().unwrap_or_default().to_owned();
    assert!(e.contains("line 2"), "{e}");
}

/// Stop 25 shows the shipped flows and hides what would retrain them: the Train buttons and the seed field
/// (the settings stay); F6 shows them, and the next stop, which hides nothing, has them again.
#[test]
fn a_classroom_stop_hides_chosen_controls() {
    let mut h = crate::app_harness::at_stop(25);
    steps(&mut h, 3);
    let stop = h.state().lecture().and_then(|l| l.stop().cloned()).unwrap();
    assert_eq!((stop.lesson.as_str(), stop.hide.len()), ("Flows", 3), "{}", stop.title);
    let trains = |h: &AppHarness| h.query_all_by_label("Train").next().is_some();
    let seeds = |h: &AppHarness| h.query_all_by_label("Seed").next().is_some();
    assert!(h.query_all_by_label("learning rate").next().is_some(), "the settings stay");
    assert!(!trains(&h) && !seeds(&h), "Train and the seed field are hidden");
    h.key_press(Key::F6);
    steps(&mut h, 2);
    assert!(trains(&h) && seeds(&h), "F6 shows them");
    h.key_press(Key::F6);
    h.key_press(Key::PageDown);
    steps(&mut h, 3);
    assert!(h.state().lecture().and_then(|l| l.stop()).unwrap().hide.is_empty());
    assert!(trains(&h) && seeds(&h), "the next stop hides nothing");
}

#[test]
fn a_typo_in_a_stop_formula_is_shown_where_the_formula_goes() {
    let dir = tempfile::tempdir().unwrap();
    let mut typo = Lecture::new("Typo");
    let mut stop = lecture::Stop::new("Bayes", "d-separation");
    stop.formula = r"p(z \mid x) = \frac{p(x \mid z) p(z)}{p(x)}".into();
    typo.stops.push(stop.clone());
    stop.formula = r"p(z \mid x) = \frac{p(x \mid z) p(z)}{p(x)".into();
    typo.stops.push(stop);
    let path = dir.path().join("typo.json");
    std::fs::write(&path, typo.to_json()).unwrap();
    let mut h = themed(Theme::Dark);
    steps(&mut h, 2);
    h.state_mut().open_lecture(&path);
    steps(&mut h, 2);
    assert_eq!(h.state().error(), None);
    assert!(h.query_by_label("p(z | x) = (p(x | z)p(z))/(p(x))").is_some(), "the first stop's formula, typeset");
    h.key_press(Key::PageDown);
    steps(&mut h, 2);
    let message = text_of(&h, "formula, character 38").unwrap_or_default();
    assert!(message.contains("never closed"), "{message}");
}

/// Pictures of a few stops at 1280×720 (`UPDATE_SNAPSHOTS=1` rewrites them). kittest's renderer draws the root
/// panels in the dark style whatever the theme, so the light-theme pictures are the README's, from the real window.
#[test]
fn snapshots_of_lecture_stops() {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 720.0))
        .wgpu()
        .build_eframe(|cc| LatentLabApp::new(cc, &AppOptions { device: DevicePref::Cpu, ..AppOptions::default() }));
    start_from_the_menu(&mut h);
    let stops = h.state().lecture().unwrap().lecture.stops.clone();
    let options = egui_kittest::SnapshotOptions::new().threshold(2.0).max_failed_pixels(800);
    let mut results = egui_kittest::SnapshotResults::new();
    for title in [
        "Deep latent variable models",
        "Bishop, Fig. 8.22",
        "Seeing is not doing",
        "A hierarchical VAE",
        "Coupling layers",
    ] {
        let i = stops.iter().position(|s| s.title.starts_with(title)).unwrap();
        h.state_mut().show_stop(i);
        let lesson = stops[i].lesson.clone();
        step_until(&mut h, 60, &format!("stop {}'s model", i + 1), |h| {
            trained_steps(h, &lesson).is_some_and(|s| s > 0)
        });
        steps(&mut h, 6);
        results.add(h.try_snapshot_options(format!("lecture-stop-{}", i + 1), &options));
    }
}

/// `latent-lab --lecture --stop 13` opens the shipped lecture at its 13th stop; a missing lecture file says so.
#[test]
fn the_lecture_can_be_opened_at_a_stop_from_the_command_line() {
    let mut h = Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_eframe(|cc| {
        LatentLabApp::new(
            cc,
            &AppOptions { device: DevicePref::Cpu, lecture: Some((None, 13)), ..AppOptions::default() },
        )
    });
    steps(&mut h, 2);
    assert_eq!(h.state().lecture().map(LectureRun::index), Some(12));
    assert_eq!(h.state().selected_lesson(), "d-separation");
    let missing = std::path::PathBuf::from("/nonexistent/talk.json");
    let h = Harness::builder().build_eframe(move |cc| {
        let options =
            AppOptions { device: DevicePref::Cpu, lecture: Some((Some(missing.clone()), 1)), ..AppOptions::default() };
        LatentLabApp::new(cc, &options)
    });
    assert!(h.state().lecture().is_none());
    assert!(h.state().error().is_some_and(|e| e.contains("talk.json")), "{:?}", h.state().error());
}

/// `--lecture` alone is the shipped lecture, `--lecture FILE` a file, and `--stop` needs `--lecture`.
#[test]
fn the_lecture_flags_parse() {
    use clap::Parser as _;
    use latent_lab::cli::Cli;
    let parse = |args: &[&str]| Cli::try_parse_from(std::iter::once("latent-lab").chain(args.iter().copied()));
    let shipped = parse(&["--lecture", "--theme", "light"]).unwrap();
    assert_eq!((shipped.lecture, shipped.stop), (Some(None), None));
    let file = parse(&["--lecture", "talk.json", "--stop", "3"]).unwrap();
    assert_eq!((file.lecture, file.stop), (Some(Some("talk.json".into())), Some(3)));
    assert!(parse(&["--stop", "3"]).is_err(), "--stop without --lecture");
    assert!(parse(&["--lecture", "--stop", "0"]).is_err(), "stops count from 1");
}

/// A paused Latent space run steps by exactly one optimiser step with `.` or Step, and ten with Shift+`.` or ×10;
/// the step counts shown (both code plots) say so, and the run stays paused.
#[test]
fn dot_and_step_train_exactly_one_or_ten_steps_while_paused() {
    let mut h = Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_eframe(|cc| {
        LatentLabApp::new(
            cc,
            &AppOptions { device: DevicePref::Cpu, lecture: Some((None, 2)), ..AppOptions::default() },
        )
    });
    let expect = |h: &mut AppHarness, steps: u64, what: &str| {
        step_until(h, 60, what, |h| h.query_all_by_label_contains(&format!("digits, step {steps})")).count() == 2);
    };
    expect(&mut h, 2110, "the shipped models");
    h.key_press(Key::Period);
    expect(&mut h, 2111, "one step after '.'");
    h.key_press_modifiers(egui::Modifiers::SHIFT, Key::Period);
    expect(&mut h, 2121, "ten more after Shift+'.'");
    h.get_by_label("Step").click();
    expect(&mut h, 2122, "one more after Step");
    h.get_by_label("×10").click();
    expect(&mut h, 2132, "ten more after ×10");
    steps(&mut h, 10);
    assert!(h.query_all_by_label_contains("digits, step 2132)").count() == 2, "still paused: no step more");
    assert!(h.query_by_label("Resume").is_some());
}
