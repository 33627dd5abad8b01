//! The Latent space tab's loss curves: train and held-out reconstruction and KL per epoch, and their CSV.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Corner, Legend, Line, LineStyle, Plot};

use crate::train::{LossPoint, ModelKind};

use super::{LatentSpaceLesson, RunState};

/// Largest number of loss points kept per curve; older points are thinned by half when it is reached.
pub(super) const MAX_CURVE_POINTS: usize = 4000;

impl LatentSpaceLesson {
    /// Both models' training and held-out curves as CSV (the loss plots' "Export CSV…").
    pub(super) fn curves_csv(&self) -> String {
        let series: Vec<(String, &[LossPoint])> = ModelKind::ALL
            .iter()
            .flat_map(|k| {
                let v = &self.views[k.index()];
                [
                    (format!("{} train", k.short()), v.train_curve.as_slice()),
                    (format!("{} held-out", k.short()), v.heldout_curve.as_slice()),
                ]
            })
            .collect();
        crate::lessons::hall::loss_points_csv(&series)
    }

    pub(super) fn loss_plots(&self, ui: &mut egui::Ui, size: egui::Vec2) {
        let curve = |points: &[LossPoint], f: fn(&LossPoint) -> f64| -> Vec<[f64; 2]> {
            points.iter().map(|p| [p.epoch, f(p)]).collect()
        };
        let colors = [Color32::from_rgb(230, 140, 40), Color32::from_rgb(70, 140, 230)];
        // Models loaded from files have no curves yet: say so instead of showing empty axes.
        let weak = ui.visuals().weak_text_color();
        let loaded = self.run == RunState::Paused && self.views.iter().all(|v| v.train_curve.is_empty());
        let note = |plot_ui: &mut egui_plot::PlotUi<'_>| {
            if loaded {
                let note = "Loaded from files: the curves start when training resumes (Resume)";
                crate::viz::widgets::plot_note(plot_ui, note, weak);
            }
        };
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.label(RichText::new("Reconstruction error  −log p(x|z)  (nats per image)").strong());
                crate::viz::export::plot(
                    Plot::new("recon-curves")
                        .legend(Legend::default().position(Corner::RightTop))
                        .width(size.x)
                        .height(size.y - 24.0)
                        .x_axis_label("epoch")
                        .label_formatter(|pos| crate::viz::hover::curve_label(pos, "epoch", |y| format!("{y:.1} nats")))
                        .show(ui, |plot_ui| {
                            note(plot_ui);
                            for kind in ModelKind::ALL {
                                let v = &self.views[kind.index()];
                                let c = colors[kind.index()];
                                plot_ui.line(
                                    Line::new(format!("{} train", kind.short()), curve(&v.train_curve, |p| p.recon))
                                        .color(c),
                                );
                                plot_ui.line(
                                    Line::new(
                                        format!("{} held-out", kind.short()),
                                        curve(&v.heldout_curve, |p| p.recon),
                                    )
                                    .color(c)
                                    .style(LineStyle::dashed_loose())
                                    .width(2.0),
                                );
                            }
                        }),
                    "reconstruction-curves",
                    Some(&|| self.curves_csv()),
                );
            });
            ui.vertical(|ui| {
                ui.label(RichText::new("VAE KL regulariser  KL(q(z|x) ‖ N(0, I))  (nats per image)").strong());
                let v = &self.views[ModelKind::Vae.index()];
                crate::viz::export::plot(
                    Plot::new("kl-curves")
                        .legend(Legend::default().position(Corner::RightTop))
                        .width(size.x)
                        .height(size.y - 24.0)
                        .x_axis_label("epoch")
                        .label_formatter(|pos| crate::viz::hover::curve_label(pos, "epoch", |y| format!("{y:.1} nats")))
                        .show(ui, |plot_ui| {
                            note(plot_ui);
                            plot_ui.line(Line::new("VAE KL train", curve(&v.train_curve, |p| p.kl)).color(colors[1]));
                            plot_ui.line(
                                Line::new("VAE KL held-out", curve(&v.heldout_curve, |p| p.kl))
                                    .color(colors[1])
                                    .style(LineStyle::dashed_loose())
                                    .width(2.0),
                            );
                        }),
                    "kl-curves",
                    Some(&|| self.curves_csv()),
                );
            });
        });
    }
}
