//! Page 1: scrub t and watch q(x_t | x_0) dissolve the cloud; ᾱ_t and the SNR of both schedules.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Corner, Legend, Line, LineStyle, Plot, PlotBounds, PlotImage, PlotPoint, VLine};

use super::{DataChoice, DiffusionLesson};
use crate::diffusion::{Schedule, ScheduleKind};
use crate::viz::scatter::{Bounds, rasterize};
use crate::viz::widgets::fixed_square_plot;

/// The view box of the 2-D plots.
pub const VIEW: f64 = 3.5;
pub const DATA_COLOR: Color32 = Color32::from_rgb(80, 150, 240);

/// The noised points x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (fixed ε per point).
pub fn noised(data: &[[f32; 2]], noise: &[[f32; 2]], schedule: &Schedule, t: usize) -> Vec<[f64; 2]> {
    let ab = schedule.alpha_bar(t);
    let (a, b) = (ab.sqrt(), (1.0 - ab).sqrt());
    data.iter()
        .zip(noise)
        .map(|(x, e)| [a * f64::from(x[0]) + b * f64::from(e[0]), a * f64::from(x[1]) + b * f64::from(e[1])])
        .collect()
}

fn schedule_color(kind: ScheduleKind) -> Color32 {
    match kind {
        ScheduleKind::Linear => Color32::from_rgb(235, 170, 40),
        ScheduleKind::Cosine => Color32::from_rgb(120, 200, 120),
    }
}

pub fn show(lesson: &mut DiffusionLesson, ui: &mut egui::Ui) {
    let schedule = lesson.schedule();
    let steps = lesson.steps.max(1);
    ui.horizontal(|ui| {
        ui.spacing_mut().slider_width = (ui.available_width() - 260.0).clamp(150.0, 700.0);
        ui.add(egui::Slider::new(&mut lesson.t, 0..=steps).text("t (scrub the forward process)"));
    });
    let avail = ui.available_size();
    let side = (avail.x * 0.5).min(avail.y - 10.0).max(200.0);
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_max_width(side);
            let title = match &schedule {
                Ok(s) if lesson.t == 0 => format!("x_0: the data, t = 0 of {}: ᾱ_0 = 1, SNR = ∞", s.steps()),
                Ok(s) => format!(
                    "x_t ~ q(x_t | x_0) at t = {} of {}: ᾱ_t = {:.4}, SNR = {:.3}",
                    lesson.t,
                    s.steps(),
                    s.alpha_bar(lesson.t),
                    s.snr(lesson.t)
                ),
                Err(_) => "x_t (the schedule is refused; see the left panel)".into(),
            };
            ui.label(RichText::new(title).strong());
            let shown = crate::viz::export::plot(
                fixed_square_plot("diffusion-forward", egui::vec2(side, side), Corner::LeftTop, ["x₁", "x₂"]).show(
                    ui,
                    |p| {
                        p.set_plot_bounds(PlotBounds::from_min_max([-VIEW, -VIEW], [VIEW, VIEW]));
                        if let Ok(s) = &schedule {
                            let rect = p.response().rect;
                            let ppp = p.ctx().pixels_per_point();
                            let px = [(rect.width() * ppp).round() as usize, (rect.height() * ppp).round() as usize];
                            let key = (
                                lesson.data_generation,
                                lesson.t,
                                s.steps() * 2 + usize::from(s.kind() == Some(ScheduleKind::Cosine)),
                                px,
                            );
                            let bounds = Bounds { min: [-VIEW, -VIEW], max: [VIEW, VIEW] };
                            let texture = lesson.cloud.get(p.ctx(), "diffusion-forward", key, || {
                                let pts = noised(&lesson.data, &lesson.noise, s, lesson.t);
                                rasterize(&[(DATA_COLOR, &pts)], bounds, px, 1.8 * ppp)
                            });
                            let side = (2.0 * VIEW) as f32;
                            p.image(PlotImage::new(
                                format!("{} points", lesson.data.len()),
                                texture,
                                PlotPoint::new(0.0, 0.0),
                                [side, side],
                            ));
                        }
                        let circle: Vec<[f64; 2]> = (0..=72)
                            .map(|i| {
                                let a = std::f64::consts::TAU * f64::from(i) / 72.0;
                                [2.0 * a.cos(), 2.0 * a.sin()]
                            })
                            .collect();
                        p.line(
                            Line::new("N(0, I): 2σ circle", circle)
                                .color(Color32::GRAY)
                                .style(LineStyle::dashed_loose()),
                        );
                        p.pointer_coordinate()
                    },
                ),
                "diffusion-forward",
                None,
            );
            // Painting: click or drag at t = 0 adds points.
            if lesson.data_choice == DataChoice::Painted && lesson.t == 0 {
                let r = &shown.response;
                if (r.clicked() || r.dragged() || r.drag_started())
                    && let Some(at) = shown.inner
                {
                    let n = lesson.painted.len() as f64;
                    let jitter = [0.04 * (n * 2.39).sin(), 0.04 * (n * 1.71).cos()];
                    lesson.painted.push([(at.x + jitter[0]) as f32, (at.y + jitter[1]) as f32]);
                    lesson.refresh_data();
                }
            } else if lesson.data_choice == DataChoice::Painted {
                ui.small("Set t = 0 to paint.");
            }
        });
        ui.vertical(|ui| {
            let w = (ui.available_width()).max(200.0);
            let h = ((avail.y - 60.0) / 2.0).max(150.0);
            schedule_plots(lesson, ui, w, h);
        });
    });
}

fn schedule_plots(lesson: &DiffusionLesson, ui: &mut egui::Ui, w: f32, h: f32) {
    let steps = lesson.steps.max(1);
    let x_now = lesson.t as f64 / steps as f64;
    ui.label(RichText::new("ᾱ_t: how much of x_0 is left (both schedules, same T; t/T on the axis)").strong());
    crate::viz::export::plot(
        Plot::new("diffusion-alpha-bar")
            .legend(Legend::default().position(Corner::RightTop))
            .width(w)
            .height(h - 24.0)
            .x_axis_label("t / T")
            .y_axis_label("ᾱ_t")
            .show(ui, |p| {
                for kind in ScheduleKind::ALL {
                    if let Ok(s) = Schedule::new(kind, steps) {
                        let pts: Vec<[f64; 2]> =
                            (0..=steps).map(|t| [t as f64 / steps as f64, s.alpha_bar(t)]).collect();
                        let width = if kind == lesson.schedule_kind { 2.5 } else { 1.2 };
                        p.line(
                            Line::new(format!("{} ᾱ_t", kind.label()), pts).color(schedule_color(kind)).width(width),
                        );
                    }
                }
                p.vline(VLine::new("current t", x_now).color(crate::viz::palette::ink(p.ctx())));
            }),
        "diffusion-alpha-bar",
        None,
    );
    ui.label(RichText::new("Signal-to-noise ratio SNR(t) = ᾱ_t / (1 − ᾱ_t), log₁₀").strong());
    crate::viz::export::plot(
        Plot::new("diffusion-snr")
            .legend(Legend::default().position(Corner::RightTop))
            .width(w)
            .height(h - 24.0)
            .x_axis_label("t / T")
            .y_axis_label("log₁₀ SNR")
            .show(ui, |p| {
                for kind in ScheduleKind::ALL {
                    if let Ok(s) = Schedule::new(kind, steps) {
                        let pts: Vec<[f64; 2]> =
                            (1..=steps).map(|t| [t as f64 / steps as f64, s.snr(t).log10()]).collect();
                        let width = if kind == lesson.schedule_kind { 2.5 } else { 1.2 };
                        p.line(
                            Line::new(format!("{} SNR", kind.label()), pts).color(schedule_color(kind)).width(width),
                        );
                    }
                }
                p.vline(VLine::new("current t", x_now).color(crate::viz::palette::ink(p.ctx())));
            }),
        "diffusion-snr",
        None,
    );
}
