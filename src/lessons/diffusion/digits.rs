//! Page 3: digits with the U-Net: the shipped checkpoint (loaded at once), a 4×4 grid at any denoising step, the
//! strip x_T → … → x_0, "Load checkpoint…" and "train live from scratch".

use std::sync::mpsc;

use eframe::egui::{self, Color32, ColorImage, RichText};
use egui_plot::{Line, Plot};

use super::DiffusionLesson;
use super::worker::Job;
pub use crate::diffusion::digits::DEFAULT_GUIDANCE;
use crate::diffusion::digits::{Guidance, UNLABELLED_FRACTION};
use crate::lessons::LessonContext;
use crate::lessons::classroom::Control;
use crate::viz::widgets::CachedImage;

const SIZE: usize = 28;
/// Snapshots in the strip.
const STRIP: usize = 9;
/// Samples (rows) in the strip.
const STRIP_ROWS: usize = 4;

/// Which digits to ask a class-conditional model for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wanted {
    /// 0, 1, …, 9, 0, 1, … across the grid.
    #[default]
    EachDigit,
    Only(usize),
    /// The "no label" embedding: the model as an unconditional one.
    NoLabel,
}

impl Wanted {
    fn label(self) -> String {
        match self {
            Self::EachDigit => "each digit in turn (0, 1, …, 9, 0, …)".into(),
            Self::Only(d) => format!("only {d}s"),
            Self::NoLabel => "no label (unconditional)".into(),
        }
    }

    /// The labels for `count` samples of a model with `classes` classes, with guidance scale `scale`.
    #[must_use]
    pub fn guidance(self, count: usize, classes: usize, scale: f32) -> Guidance {
        match self {
            Self::EachDigit => Guidance::cycling(count, classes, scale),
            Self::Only(d) => Guidance { labels: vec![Some(d); count], scale },
            Self::NoLabel => Guidance { labels: vec![None; count], scale },
        }
    }
}

#[derive(Default)]
pub struct Textures {
    grid: CachedImage<(u64, usize)>,
    strip: CachedImage<u64>,
}

/// Tiles `images` (each 28×28, values in [0, 1]) `cols` per row with 2-pixel gaps.
fn tiles(images: &[&[f32]], cols: usize) -> ColorImage {
    let rows = images.len().div_ceil(cols.max(1)).max(1);
    let (w, h) = (cols * (SIZE + 2), rows * (SIZE + 2));
    let mut pixels = vec![Color32::from_gray(40); w * h];
    for (i, img) in images.iter().enumerate() {
        let (r, c) = (i / cols, i % cols);
        for y in 0..SIZE {
            for x in 0..SIZE {
                let v = (img.get(y * SIZE + x).copied().unwrap_or(0.0).clamp(0.0, 1.0) * 255.0) as u8;
                pixels[(r * (SIZE + 2) + 1 + y) * w + c * (SIZE + 2) + 1 + x] = Color32::from_gray(v);
            }
        }
    }
    ColorImage::new([w, h], pixels)
}

pub fn poll_dialog(lesson: &mut DiffusionLesson) {
    let Some(rx) = &lesson.digits.dialog else { return };
    match rx.try_recv() {
        Ok(Some(path)) => {
            lesson.digits.dialog = None;
            lesson.digits.busy = Some(format!("loading {}…", path.display()));
            lesson.send(Job::LoadDigits(path));
        }
        Ok(None) | Err(mpsc::TryRecvError::Disconnected) => lesson.digits.dialog = None,
        Err(mpsc::TryRecvError::Empty) => {}
    }
}

pub fn controls(lesson: &mut DiffusionLesson, ui: &mut egui::Ui, cx: &LessonContext<'_>) {
    ui.label(RichText::new("Digits: a small U-Net").strong());
    ui.small(
        "ε_θ(x_t, t) for 28×28 images: down from 28 to 14 to 7 pixels, doubling the channels, and back up, with \
         skip connections, residual blocks (GroupNorm, SiLU, 3×3 convolutions) and the time embedding added in \
         every block. Linear schedule, T = 1000; samples come from a moving average of the weights, with DDIM and \
         x̂_0 clipped to the pixel range.",
    );
    crate::lessons::classroom::unless_hidden(ui, Control::Files, |ui| {
        ui.horizontal(|ui| {
            if ui.add_enabled(lesson.digits.dialog.is_none(), egui::Button::new("Load checkpoint…")).clicked() {
                let (tx, rx) = mpsc::channel();
                let ctx = ui.ctx().clone();
                std::thread::spawn(move || {
                    let picked = rfd::FileDialog::new().add_filter("diffusion U-Net", &["bpk", "json"]).pick_file();
                    let _ = tx.send(picked);
                    crate::pacing::wake(&ctx);
                });
                lesson.digits.dialog = Some(rx);
            }
            if ui.button("Load the shipped checkpoint").clicked() {
                lesson.digits.busy = Some("loading the shipped checkpoint…".into());
                lesson.send(Job::LoadShipped);
            }
        })
    });
    ui.add(egui::Slider::new(&mut lesson.digits.ddim_steps, 5..=200).text("DDIM sampling steps"));
    if lesson.digits.classes > 0 {
        guidance_controls(lesson, ui);
    }
    if ui
        .add_enabled(lesson.digits.source.is_some() && !lesson.digits.training, egui::Button::new("New digits"))
        .clicked()
    {
        lesson.digits.seed += 1;
        lesson.request_digits();
    }
    ui.separator();
    ui.label(RichText::new("Train live from scratch").strong());
    ui.small(
        "The shipped checkpoint had hours of CPU training (its line above says how many steps). A few minutes of \
         live training give blobs; watch what the first minutes learn.",
    );
    crate::lessons::classroom::unless_hidden(ui, Control::Training, |ui| live_buttons(lesson, ui, cx));
    if let Some(step) = lesson.digits.live_paused.filter(|_| !lesson.digits.training) {
        ui.label(format!("Live training paused at step {step}."));
    }
    if let Some(b) = &lesson.digits.busy {
        ui.horizontal(|ui| {
            crate::pacing::spinner(ui);
            ui.label(b);
        });
    }
    if let Some(e) = &lesson.digits.error {
        ui.colored_label(ui.visuals().warn_fg_color, format!("⚠ {e}"));
    }
}

/// Train live from scratch; Pause, Resume, Step and ×10 of the live run.
fn live_buttons(lesson: &mut DiffusionLesson, ui: &mut egui::Ui, cx: &LessonContext<'_>) {
    ui.horizontal_wrapped(|ui| {
        let paused = lesson.digits.live_paused.is_some() && !lesson.digits.training;
        if lesson.digits.training {
            if ui.button("Pause live training").clicked() {
                lesson.send(Job::Stop);
            }
        } else if paused && ui.button("Resume live training").clicked() {
            lesson.digits.training = true;
            lesson.digits.busy = Some("resuming live training…".into());
            lesson.send(Job::ResumeDigits);
        }
        if lesson.digits.live_paused.is_some()
            && let Some(n) = crate::lessons::hall::step_buttons(ui, paused)
        {
            lesson.step_live_digits(n);
        }
        if !lesson.digits.training && ui.button("Train live from scratch (3 min)").clicked() {
            lesson.digits.training = true;
            lesson.digits.losses.clear();
            lesson.digits.error = None;
            lesson.digits.busy = Some("starting live training…".into());
            lesson.send(Job::TrainDigits { dataset: cx.dataset.clone(), seconds: 180.0 });
        }
    });
}

/// Which digits and how much classifier-free guidance, for a class-conditional U-Net; a change samples again.
fn guidance_controls(lesson: &mut DiffusionLesson, ui: &mut egui::Ui) {
    ui.label(RichText::new("Classifier-free guidance").strong());
    ui.small(format!(
        "This U-Net also sees the digit's label c (and \"no label\" ∅ for {:.0} % of its training digits), so one \
         network predicts both. Guided noise: ε̂ = ε_θ(x_t, ∅) + w·(ε_θ(x_t, c) − ε_θ(x_t, ∅)). w = 0 ignores c, \
         w = 1 is the conditional model, larger w gives clearer digits that look more alike (and costs a second \
         pass per step).",
        100.0 * UNLABELLED_FRACTION
    ));
    let d = &mut lesson.digits;
    let wanted_before = d.wanted;
    egui::ComboBox::from_label("digits to ask for").selected_text(d.wanted.label()).show_ui(ui, |ui| {
        ui.selectable_value(&mut d.wanted, Wanted::EachDigit, Wanted::EachDigit.label());
        ui.selectable_value(&mut d.wanted, Wanted::NoLabel, Wanted::NoLabel.label());
        for digit in 0..d.classes {
            ui.selectable_value(&mut d.wanted, Wanted::Only(digit), Wanted::Only(digit).label());
        }
    });
    let slider = ui.add(egui::Slider::new(&mut d.guidance, 0.0..=8.0).step_by(0.5).text("guidance w"));
    // A drag samples once, when released (the frame of release carries no change of its own).
    let slider_done = slider.drag_stopped() || (slider.changed() && !slider.dragged());
    let ready = d.source.is_some() && !d.training;
    if ready && (slider_done || d.wanted != wanted_before) {
        lesson.request_digits();
    }
}

/// "asked for 0 1 2 3 · 4 5 6 7 · …, w = 3": what the shown grid was conditioned on.
fn asked_label(guidance: &Guidance) -> String {
    let rows: Vec<String> = guidance
        .labels
        .chunks(4)
        .map(|row| {
            row.iter().map(|l| l.map_or_else(|| "∅".to_owned(), |d| d.to_string())).collect::<Vec<_>>().join(" ")
        })
        .collect();
    format!("asked for, row by row: {} (guidance w = {})", rows.join(" · "), guidance.scale)
}

fn model_label(lesson: &DiffusionLesson, ui: &mut egui::Ui) {
    match &lesson.digits.source {
        Some(s) => {
            let (head, detail) = s.split_once(" (").map_or((s.as_str(), ""), |(h, d)| (h, d.trim_end_matches(')')));
            ui.label(format!("Model: {head}"));
            if !detail.is_empty() {
                ui.small(detail);
            }
        }
        None => {
            ui.label("Model: none loaded");
        }
    }
}

pub fn show(lesson: &mut DiffusionLesson, ui: &mut egui::Ui) {
    model_label(lesson, ui);
    let d = &mut lesson.digits;
    let n = d.states.len();
    if n == 0 {
        ui.label(d.busy.clone().unwrap_or_else(|| "No samples yet.".into()));
        return;
    }
    let max = n - 1;
    d.step = d.step.min(max);
    ui.add(egui::Slider::new(&mut d.step, 0..=max).text("denoising step (0 = x_T, last = x_0)"));
    let t_label = d.timesteps.get(d.step).map_or_else(|| "x_0".to_owned(), |t| format!("x_t at t = {t}"));
    ui.label(
        RichText::new(format!(
            "16 samples at {t_label} — {} DDIM steps took {:.1} s on the CPU",
            d.timesteps.len(),
            d.sample_seconds
        ))
        .strong(),
    );
    let avail = ui.available_size();
    let grid_side = (avail.y * 0.5).min(avail.x * 0.45).max(120.0);
    let (generation, step) = (d.generation, d.step);
    let states = &d.states;
    let asked = d.shown_guidance.as_ref().map(asked_label);
    ui.horizontal_top(|ui| {
        let grid = lesson.digit_textures.grid.get(ui.ctx(), "diffusion-grid", (generation, step), || {
            let imgs: Vec<&[f32]> = (0..16).map(|i| &states[step][i * SIZE * SIZE..(i + 1) * SIZE * SIZE]).collect();
            tiles(&imgs, 4)
        });
        let shown = ui.add(
            egui::Image::new(egui::load::SizedTexture::new(grid, egui::vec2(grid_side, grid_side)))
                .sense(egui::Sense::click()),
        );
        crate::viz::export::context_menu(&shown, "diffusion-digits", None);
        ui.vertical(|ui| {
            if let Some(asked) = &asked {
                ui.small(asked);
            }
            ui.label(RichText::new("The denoising strip x_T → … → x_0 (4 samples, evenly spaced steps)").strong());
            let strip = lesson.digit_textures.strip.get(ui.ctx(), "diffusion-strip", generation, || {
                let mut imgs: Vec<&[f32]> = Vec::new();
                for row in 0..STRIP_ROWS {
                    for k in 0..STRIP {
                        let s = k * max / (STRIP - 1);
                        imgs.push(&states[s][row * SIZE * SIZE..(row + 1) * SIZE * SIZE]);
                    }
                }
                tiles(&imgs, STRIP)
            });
            let w = ui.available_width().min(grid_side * 2.2);
            let shown = ui.add(
                egui::Image::new(egui::load::SizedTexture::new(
                    strip,
                    egui::vec2(w, w * STRIP_ROWS as f32 / STRIP as f32),
                ))
                .sense(egui::Sense::click()),
            );
            crate::viz::export::context_menu(&shown, "diffusion-strip", None);
            ui.small(
                "Each column is a later step of the same reverse pass. Coarse shapes (where the stroke is) are \
                 decided at high noise; edges and thickness only in the last steps.",
            );
        });
    });
    if !lesson.digits.losses.is_empty() {
        ui.label(RichText::new("Live training loss ‖ε − ε_θ‖² per pixel").strong());
        crate::viz::export::plot(
            Plot::new("diffusion-digits-loss")
                .height(140.0)
                .x_axis_label("step")
                .label_formatter(crate::viz::hover::step_and_value)
                .y_axis_label("loss")
                .show(ui, |p| {
                    p.line(Line::new("loss", lesson.digits.losses.clone()).color(Color32::from_rgb(235, 170, 40)));
                }),
            "diffusion-digits-loss",
            None,
        );
    }
}
