//! Page 2: train the ε-prediction MLP, then watch the reverse pass x_T → x_0 with trajectories.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Corner, Legend, Line, Plot, PlotBounds, PlotImage, PlotPoint, Points};

use super::forward::{DATA_COLOR, VIEW};
use super::{DiffusionLesson, TRAJECTORIES};
use crate::lessons::classroom::Control;
use crate::viz::palette::class_color;
use crate::viz::scatter::{Bounds, rasterize};
use crate::viz::widgets::fixed_square_plot;

/// States in each drawn trajectory tail.
const TAIL: usize = 40;
/// How long one full reverse pass takes to play, in seconds.
const PLAY_SECONDS: f64 = 5.0;

pub fn training_controls(lesson: &mut DiffusionLesson, ui: &mut egui::Ui) {
    ui.label(RichText::new("Learn the reverse (ε-prediction MLP)").strong());
    ui.small(
        "ε_θ(x_t, t): 2 coordinates + 16 sinusoidal features of t → 128 → 128 → 128 → 2 (SiLU), trained on \
         ‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖² with Adam; samples use the moving average of the weights.",
    );
    ui.add(egui::Slider::new(&mut lesson.train_iterations, 200..=20_000).logarithmic(true).text("training steps"));
    crate::lessons::hall::seed_field(ui, &mut lesson.toy_seed, !lesson.toy.training, "2-D model");
    crate::lessons::classroom::unless_hidden(ui, Control::Training, |ui| {
        ui.horizontal(|ui| {
            if lesson.toy.training {
                if ui.button("Pause").on_hover_text("Stop training; Resume goes on").clicked() {
                    lesson.send(super::worker::Job::Stop);
                }
            } else {
                if ui.button("Train").on_hover_text("Train a new model from scratch").clicked() {
                    lesson.start_training();
                }
                if lesson.toy_paused() && ui.button("Resume").clicked() {
                    lesson.resume_training();
                }
            }
            if let Some(n) = crate::lessons::hall::step_buttons(ui, lesson.toy_paused()) {
                lesson.step_toy(n);
            }
        })
    });
    if !lesson.toy.status.is_empty() {
        ui.label(&lesson.toy.status);
    }
    if lesson.toy.training {
        let done = lesson.toy.losses.last().map_or(0.0, |p| p[0]) / lesson.train_iterations.max(1) as f64;
        ui.add(egui::ProgressBar::new(done as f32).show_percentage());
    }
    if let Some(e) = &lesson.toy.error {
        ui.colored_label(ui.visuals().warn_fg_color, format!("⚠ {e}"));
    }
    ui.label(RichText::new("Sampler").strong());
    ui.radio_value(&mut lesson.sampler_ddim, false, "DDPM: all T steps, fresh noise each step");
    ui.radio_value(&mut lesson.sampler_ddim, true, "DDIM: fewer steps, deterministic");
    if lesson.sampler_ddim {
        ui.add(egui::Slider::new(&mut lesson.ddim_steps, 2..=100).text("DDIM steps"));
    }
    let can_sample = lesson.toy.model.is_some() && !lesson.toy.training;
    if ui.add_enabled(can_sample, egui::Button::new("Sample again")).clicked() {
        lesson.toy.sample_seed += 1;
        lesson.request_samples();
    }
}

pub fn show(lesson: &mut DiffusionLesson, ui: &mut egui::Ui) {
    let n_states = lesson.toy.states.len();
    ui.horizontal(|ui| {
        let label = if lesson.toy.playing { "Pause" } else { "Play" };
        if ui.add_enabled(n_states > 0, egui::Button::new(label)).clicked() {
            if !lesson.toy.playing && lesson.toy.frame as usize + 1 >= n_states {
                lesson.toy.frame = 0.0;
            }
            lesson.toy.playing = !lesson.toy.playing;
        }
        let next = ui
            .add_enabled(n_states > 0, egui::Button::new("Next frame"))
            .on_hover_text("One denoising step further in the reverse pass shown (not a training step)");
        if next.clicked() {
            lesson.toy.playing = false;
            lesson.toy.frame = (lesson.toy.frame.floor() + 1.0).min(n_states.saturating_sub(1) as f64);
        }
        let mut frame = lesson.toy.frame as usize;
        let max = n_states.saturating_sub(1);
        if ui.add_enabled(n_states > 0, egui::Slider::new(&mut frame, 0..=max).text("reverse step")).changed() {
            lesson.toy.playing = false;
            lesson.toy.frame = frame as f64;
        }
    });
    if lesson.toy.playing && n_states > 0 {
        let dt = f64::from(ui.input(|i| i.stable_dt)).min(0.1);
        lesson.toy.frame += dt * n_states as f64 / PLAY_SECONDS;
        if lesson.toy.frame >= (n_states - 1) as f64 {
            lesson.toy.frame = (n_states - 1) as f64;
            lesson.toy.playing = false;
        }
        crate::pacing::wake(ui.ctx());
    }
    let frame = (lesson.toy.frame as usize).min(n_states.saturating_sub(1));
    let t_now = if n_states == 0 {
        None
    } else if frame < lesson.toy.timesteps.len() {
        Some(lesson.toy.timesteps[frame])
    } else {
        Some(0)
    };
    let avail = ui.available_size();
    let side = (avail.x * 0.55).min(avail.y - 10.0).max(200.0);
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_max_width(side);
            let title = match (t_now, lesson.toy.sampler_used) {
                (Some(t), Some(s)) => {
                    format!(
                        "Reverse pass ({}): x_t at t = {t}; tails: last {TAIL} steps of {TRAJECTORIES} points",
                        s.describe()
                    )
                }
                _ if lesson.toy.training => "Reverse pass: training…".to_owned(),
                _ => "Reverse pass: press Train (left) first".to_owned(),
            };
            ui.label(RichText::new(title).strong());
            crate::viz::export::plot(
                fixed_square_plot("diffusion-reverse", egui::vec2(side, side), Corner::LeftTop, ["x₁", "x₂"]).show(
                    ui,
                    |p| {
                        p.set_plot_bounds(PlotBounds::from_min_max([-VIEW, -VIEW], [VIEW, VIEW]));
                        let rect = p.response().rect;
                        let ppp = p.ctx().pixels_per_point();
                        let px = [(rect.width() * ppp).round() as usize, (rect.height() * ppp).round() as usize];
                        let bounds = Bounds { min: [-VIEW, -VIEW], max: [VIEW, VIEW] };
                        let light = crate::viz::palette::is_light(p.ctx());
                        let key = (lesson.toy.generation ^ (lesson.data_generation << 32), frame, px, light);
                        let ink = crate::viz::palette::ink(p.ctx());
                        let states = &lesson.toy.states;
                        let data = &lesson.data;
                        let texture = lesson.reverse_cloud.get(p.ctx(), "diffusion-reverse", key, || {
                            let faint: Vec<[f64; 2]> =
                                data.iter().map(|d| [f64::from(d[0]), f64::from(d[1])]).collect();
                            let now: Vec<[f64; 2]> = states
                                .get(frame)
                                .map(|s| s.iter().map(|d| [f64::from(d[0]), f64::from(d[1])]).collect())
                                .unwrap_or_default();
                            rasterize(&[(DATA_COLOR.gamma_multiply(0.45), &faint), (ink, &now)], bounds, px, 1.7 * ppp)
                        });
                        let side = (2.0 * VIEW) as f32;
                        p.image(PlotImage::new(
                            "data (faint) and samples",
                            texture,
                            PlotPoint::new(0.0, 0.0),
                            [side, side],
                        ));
                        if !states.is_empty() {
                            for k in 0..TRAJECTORIES.min(states[0].len()) {
                                // The last TAIL states of the point: a comet tail showing where it is heading.
                                let first = frame.saturating_sub(TAIL);
                                let path: Vec<[f64; 2]> = states[first..=frame]
                                    .iter()
                                    .map(|s| [f64::from(s[k][0]), f64::from(s[k][1])])
                                    .collect();
                                let c = class_color(k % 10).gamma_multiply(0.7);
                                let end = path.last().copied();
                                p.line(Line::new("", path).color(c).width(1.0));
                                if let Some(end) = end {
                                    p.points(Points::new("", vec![end]).color(c).radius(2.5));
                                }
                            }
                        }
                    },
                ),
                "diffusion-reverse",
                None,
            );
        });
        ui.vertical(|ui| {
            let w = ui.available_width().max(200.0);
            ui.label(RichText::new("Training loss ‖ε − ε_θ‖² per coordinate (smoothed)").strong());
            let loaded = lesson.toy.losses.is_empty() && lesson.toy.model.is_some();
            let weak = ui.visuals().weak_text_color();
            crate::viz::export::plot(
                Plot::new("diffusion-loss")
                    .legend(Legend::default().position(Corner::RightTop))
                    .width(w)
                    .height(((avail.y - 60.0) / 2.0).max(150.0))
                    .x_axis_label("step")
                    .label_formatter(crate::viz::hover::step_and_value)
                    .y_axis_label("loss")
                    .show(ui, |p| {
                        if loaded {
                            let note =
                                "A model from a file: its training curve was not saved.\nResume trains on, Train trains a new one.";
                            crate::viz::widgets::plot_note(p, note, weak);
                        }
                        p.line(Line::new("loss", lesson.toy.losses.clone()).color(Color32::from_rgb(235, 170, 40)));
                    }),
                "diffusion-loss",
                None,
            );
            ui.add_space(6.0);
            ui.label(
                "DDPM step: x_{t−1} = (x_t − β_t/√(1 − ᾱ_t) · ε_θ(x_t, t)) / √α_t + √β̃_t z, z ~ N(0, I), \
                 β̃_t = β_t (1 − ᾱ_{t−1})/(1 − ᾱ_t).",
            );
            ui.label(
                "DDIM step (η = 0): x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ)/√ᾱ_t, x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'}) ε_θ — \
                 no fresh noise, so far fewer, larger steps.",
            );
            ui.small(
                "Watch the trajectories: for most of the pass the points wander near the origin; the shape of the \
                 data appears only when the noise level is small (low t).",
            );
        });
    });
}
