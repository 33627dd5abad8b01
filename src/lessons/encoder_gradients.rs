//! "Encoder gradients": the same VAE trained twice on MNIST, once with the reparametrised encoder gradient and
//! once with the score-function (REINFORCE) estimate, with their training curves and the measured spread of the
//! encoder's gradient norm side by side.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Corner, Legend, Line, Plot};

use super::{Lesson, LessonContext};
use crate::train::{LossPoint, ModelKind, TrainCommand, TrainConfig, TrainEvent};

/// Loss points kept per model before older ones are thinned.
const MAX_POINTS: usize = 4000;
/// Reported points (about 0.1 s each) the spread of the gradient norm is measured over.
const WINDOW: usize = 30;

const COLORS: [Color32; 2] = [Color32::from_rgb(70, 140, 230), Color32::from_rgb(230, 80, 70)];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Run {
    #[default]
    Stopped,
    Running,
    Paused,
}

/// The "Encoder gradients" tab.
pub struct EncoderGradientsLesson {
    learning_rate: f64,
    batch_size: usize,
    /// The seed of the next pair of runs.
    seed: u64,
    run: Run,
    curves: [Vec<LossPoint>; 2],
    diverged: [Option<String>; 2],
}

impl Default for EncoderGradientsLesson {
    fn default() -> Self {
        Self {
            learning_rate: 1e-3,
            batch_size: 128,
            seed: super::hall::default_seed(),
            run: Run::Stopped,
            curves: Default::default(),
            diverged: Default::default(),
        }
    }
}

/// Mean and standard deviation of the gradient norm over the last `WINDOW` reported points.
pub fn norm_spread(points: &[LossPoint]) -> Option<(f64, f64)> {
    let recent = &points[points.len().saturating_sub(WINDOW)..];
    if recent.is_empty() {
        return None;
    }
    let n = recent.len() as f64;
    let mean = recent.iter().map(|p| p.grad_norm).sum::<f64>() / n;
    let mean_sq = recent.iter().map(|p| p.grad_norm_sq).sum::<f64>() / n;
    Some((mean, (mean_sq - mean * mean).max(0.0).sqrt()))
}

impl EncoderGradientsLesson {
    /// Both runs' training curves as CSV (the plots' "Export CSV…").
    fn curves_csv(&self) -> String {
        let series: Vec<(String, &[LossPoint])> =
            ModelKind::ENCODER_PAIR.iter().map(|k| (k.short().to_owned(), self.curves[k.index()].as_slice())).collect();
        super::hall::loss_points_csv(&series)
    }

    /// Train both, Pause or Resume.
    fn toggle_run(&mut self, cx: &mut LessonContext<'_>) {
        match self.run {
            Run::Stopped => {
                let config = TrainConfig {
                    learning_rate: self.learning_rate,
                    batch_size: self.batch_size,
                    models: ModelKind::ENCODER_PAIR.to_vec(),
                    track_encoder_grad: true,
                    seed: self.seed,
                    ..TrainConfig::default()
                };
                self.curves = Default::default();
                self.diverged = Default::default();
                self.run = Run::Running;
                cx.commands.push(TrainCommand::Start { config, dataset: cx.dataset.clone() });
            }
            Run::Running => {
                self.run = Run::Paused;
                cx.commands.push(TrainCommand::Pause);
            }
            Run::Paused => {
                self.run = Run::Running;
                cx.commands.push(TrainCommand::Resume);
            }
        }
    }

    fn controls(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        super::hall::intro(ui, "REINFORCE vs reparametrisation on a VAE", &EXPLANATION);
        ui.separator();
        ui.add_enabled_ui(self.run == Run::Stopped, |ui| {
            ui.add(egui::Slider::new(&mut self.learning_rate, 1e-5..=1e-2).logarithmic(true).text("Learning rate"));
            ui.add(egui::Slider::new(&mut self.batch_size, 8..=1024).logarithmic(true).text("Batch size"));
        });
        super::hall::seed_field(ui, &mut self.seed, self.run == Run::Stopped, "pair of runs");
        let training = super::classroom::Control::Training;
        super::classroom::unless_hidden(ui, training, |ui| {
            ui.horizontal(|ui| match self.run {
                Run::Stopped => {
                    if ui.button("Train both").clicked() {
                        self.toggle_run(cx);
                    }
                }
                Run::Running | Run::Paused => {
                    let label = if self.run == Run::Running { "Pause" } else { "Resume" };
                    if ui.button(label).clicked() {
                        self.toggle_run(cx);
                    }
                    if let Some(n) = super::hall::step_buttons(ui, self.run == Run::Paused) {
                        self.step_training(n, cx);
                    }
                    if ui.button("Reset").clicked() {
                        self.run = Run::Stopped;
                        self.curves = Default::default();
                        cx.commands.push(TrainCommand::Stop);
                    }
                }
            })
        });
        let step = self.curves.iter().filter_map(|c| c.last().map(|p| p.step)).max();
        // An empty line before the first step, so the table below does not jump when training starts.
        let status = match (self.run, step) {
            (Run::Paused, Some(step)) => format!("Paused at step {step}."),
            (Run::Running, Some(step)) => format!("Training: step {step}"),
            _ => String::new(),
        };
        ui.label(status);
        ui.small("One trainer serves every tab: training here stops a run on the Latent space tab.");
        ui.separator();
        egui::Grid::new("encoder-grad-table").num_columns(5).striped(true).show(ui, |ui| {
            for head in ["encoder gradient", "step", "−ELBO", "mean ‖∇‖", "sd ‖∇‖"] {
                ui.label(RichText::new(head).strong());
            }
            ui.end_row();
            for kind in ModelKind::ENCODER_PAIR {
                let curve = &self.curves[kind.index()];
                ui.colored_label(COLORS[kind.index()], kind.short());
                match (curve.last(), norm_spread(curve)) {
                    (Some(p), Some((mean, sd))) => {
                        ui.monospace(p.step.to_string());
                        ui.monospace(format!("{:.1}", p.recon + p.kl));
                        ui.monospace(format!("{mean:.1}"));
                        ui.monospace(format!("{sd:.1}"));
                    }
                    _ => {
                        ui.label("not trained yet");
                    }
                }
                ui.end_row();
            }
        });
        if let (Some((m0, s0)), Some((m1, s1))) = (norm_spread(&self.curves[0]), norm_spread(&self.curves[1])) {
            let cv = |m: f64, s: f64| if m > 0.0 { s / m } else { 0.0 };
            ui.label(format!(
                "Relative spread (sd/mean) of ‖∇‖ over the last {WINDOW} readings: reparametrised {:.2}, \
                 REINFORCE {:.2}. Each reading already averages the steps of 0.1 s.",
                cv(m0, s0),
                cv(m1, s1)
            ));
        }
        for msg in self.diverged.iter().flatten() {
            ui.colored_label(ui.visuals().error_fg_color, msg);
        }
    }

    fn plots(&self, ui: &mut egui::Ui) {
        let avail = ui.available_size();
        let h = ((avail.y - 60.0) / 2.0).max(120.0);
        let series = |f: fn(&LossPoint) -> f64, kind: ModelKind| -> Vec<[f64; 2]> {
            self.curves[kind.index()].iter().map(|p| [p.step as f64, f(p)]).collect()
        };
        ui.label(RichText::new("−ELBO per image on the training batches (nats)").strong());
        crate::viz::export::plot(
            Plot::new("encoder-elbo")
                .legend(Legend::default().position(Corner::RightTop))
                .height(h)
                .x_axis_label("step")
                .label_formatter(crate::viz::hover::step_and_value)
                .show(ui, |plot_ui| {
                    for kind in ModelKind::ENCODER_PAIR {
                        plot_ui.line(
                            Line::new(kind.short(), series(|p| p.recon + p.kl, kind)).color(COLORS[kind.index()]),
                        );
                    }
                }),
            "encoder-elbo",
            Some(&|| self.curves_csv()),
        );
        ui.label(RichText::new("Encoder gradient norm ‖∇_φ‖ (log₁₀)").strong());
        crate::viz::export::plot(
            Plot::new("encoder-grad-norm")
                .legend(Legend::default().position(Corner::RightTop))
                .height(h)
                .x_axis_label("step")
                .label_formatter(|pos| {
                    crate::viz::hover::curve_label(pos, "step", |y| {
                        format!("‖∇‖ = {}", crate::viz::hover::significant(10f64.powf(y), 3))
                    })
                })
                .y_axis_formatter(|mark, _| {
                    let v = 10f64.powf(mark.value);
                    if v >= 1.0 { format!("{v:.0}") } else { format!("{v:.3}") }
                })
                .show(ui, |plot_ui| {
                    for kind in ModelKind::ENCODER_PAIR {
                        let pts = series(|p| p.grad_norm.max(1e-12).log10(), kind);
                        plot_ui.line(Line::new(kind.short(), pts).color(COLORS[kind.index()]));
                    }
                }),
            "encoder-gradient-norm",
            Some(&|| self.curves_csv()),
        );
    }
}

/// The explanation panel's text for this tab.
pub const EXPLANATION: super::hall::Explanation = super::hall::Explanation {
    what: "Both runs train the same VAE (784-512-256-2) on the same batches; only the encoder's gradient differs. \
           The plots show each run's ELBO and the size and spread of its encoder gradient. The decoder and the KL \
           term get the same exact gradients in both. For a discrete latent there is no reparametrisation: the \
           score function, with baselines and control variates, is the only option.",
    formula: concat!(
        r"\text{Reparametrised: } \nabla_\phi \mathbb{E}_q\left[\log p(x \mid z)\right] = \mathbb{E}_\epsilon\left[\nabla_\phi \log p\left(x \mid \mu_\phi(x) + \sigma_\phi(x) \odot \epsilon\right)\right]",
        "\n",
        r"\text{Score function: } \mathbb{E}_q\left[\left(\log p(x \mid z) - b\right) \nabla_\phi \log q_\phi(z \mid x)\right]",
        "\n",
        r"b = \text{mean of } \log p(x \mid z) \text{ over the other images in the batch}",
    ),
    things_to_try: &[
        "Train both and compare the two ELBO curves after a minute.",
        "Compare the encoder-gradient spread: the score function's is far larger.",
        "Lower the batch size to 8: the baseline b gets noisier.",
    ],
};

/// The Encoder gradients tab in a scene file.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct EncoderScene {
    learning_rate: f64,
    batch_size: usize,
    #[serde(default = "super::hall::default_seed")]
    seed: u64,
}

impl Lesson for EncoderGradientsLesson {
    fn name(&self) -> &'static str {
        "Encoder gradients"
    }

    fn save_scene(&self, _dir: &std::path::Path) -> Option<serde_json::Value> {
        super::scene::to_value(&EncoderScene {
            learning_rate: self.learning_rate,
            batch_size: self.batch_size,
            seed: self.seed,
        })
    }

    /// Loading settings ends a run of this tab (the settings belong to the next one).
    fn load_scene(
        &mut self,
        scene: &serde_json::Value,
        _dir: &std::path::Path,
        cx: &mut LessonContext<'_>,
    ) -> Result<(), String> {
        let s: EncoderScene = super::scene::parse(scene)?;
        if !s.learning_rate.is_finite() {
            return Err("its learning rate is not a number".into());
        }
        if self.run != Run::Stopped {
            self.run = Run::Stopped;
            cx.commands.push(TrainCommand::Stop);
        }
        self.learning_rate = s.learning_rate.clamp(1e-5, 1e-2);
        self.batch_size = s.batch_size.clamp(8, 1024);
        self.seed = s.seed.clamp(1, super::hall::MAX_SEED);
        Ok(())
    }

    fn explanation(&self) -> Option<super::hall::Explanation> {
        Some(EXPLANATION)
    }

    fn toggle_training(&mut self, cx: &mut LessonContext<'_>) -> bool {
        self.toggle_run(cx);
        true
    }

    fn step_training(&mut self, n: u32, cx: &mut LessonContext<'_>) -> bool {
        if self.run != Run::Paused {
            return false;
        }
        cx.commands.push(TrainCommand::Step(n));
        true
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        super::hall::controls_panel(ui, "encoder-grad-controls", 380.0, |ui| self.controls(ui, cx));
        egui::CentralPanel::default().show(ui, |ui| self.plots(ui));
    }

    fn on_event(&mut self, event: &TrainEvent) {
        match event {
            TrainEvent::Loss { model, point } if ModelKind::ENCODER_PAIR.contains(model) => {
                let curve = &mut self.curves[model.index()];
                if curve.len() >= MAX_POINTS {
                    *curve = curve.iter().step_by(2).copied().collect();
                }
                curve.push(*point);
            }
            TrainEvent::Diverged { model, message, .. } if ModelKind::ENCODER_PAIR.contains(model) => {
                self.diverged[model.index()] = Some(message.clone());
            }
            TrainEvent::SessionStarted { kinds } if !kinds.iter().any(|k| ModelKind::ENCODER_PAIR.contains(k)) => {
                self.run = Run::Stopped;
            }
            TrainEvent::Failed(_) => self.run = Run::Stopped,
            _ => {}
        }
    }

    fn on_dataset_changed(&mut self) {
        self.curves = Default::default();
        self.run = Run::Stopped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(norm: f64) -> LossPoint {
        LossPoint { step: 1, epoch: 0.0, recon: 1.0, kl: 0.0, grad_norm: norm, grad_norm_sq: norm * norm }
    }

    #[test]
    fn spread_is_the_standard_deviation_of_the_norm() {
        let pts: Vec<LossPoint> = [1.0, 3.0].iter().map(|&n| point(n)).collect();
        let (mean, sd) = norm_spread(&pts).unwrap();
        assert_eq!(mean, 2.0);
        assert!((sd - 1.0).abs() < 1e-12);
        assert!(norm_spread(&[]).is_none());
        // Only the last WINDOW readings count.
        let mut many: Vec<LossPoint> = (0..100).map(|_| point(50.0)).collect();
        many.extend((0..WINDOW).map(|_| point(2.0)));
        assert_eq!(norm_spread(&many), Some((2.0, 0.0)));
    }
}
