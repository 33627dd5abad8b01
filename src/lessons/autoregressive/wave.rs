//! The "Signals (WaveNet)" page: dilated causal convolutions on synthetic signals, the receptive field drawn layer
//! by layer, the training loss, and sampled continuations of a fresh signal.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Corner, Legend, Line, Plot, VLine};

use super::worker::{Request, WaveView};
use crate::autoregressive::signals::SignalKind;
use crate::autoregressive::wavenet::receptive_field;
use crate::lessons::classroom::Control;

/// Dilation stacks to choose from.
pub const PRESETS: [&[usize]; 4] =
    [&[1, 2, 4, 8, 16, 32], &[1, 2, 4, 8], &[1, 1, 1, 1, 1, 1], &[1, 2, 4, 8, 16, 32, 1, 2, 4, 8, 16, 32]];

const HIGHLIGHT: Color32 = Color32::from_rgb(240, 150, 40);
const CONTINUATION: Color32 = Color32::from_rgb(240, 120, 40);

/// For layers 0 (the input) … L (the output), which of the last `n` positions feed the output at position n − 1:
/// each layer l with dilation d_l reads positions t and t − d_l of the layer below (kernel 2).
pub fn receptive_set(dilations: &[usize], n: usize) -> Vec<Vec<bool>> {
    let layers = dilations.len();
    let mut sets = vec![vec![false; n]; layers + 1];
    if n == 0 {
        return sets;
    }
    sets[layers][n - 1] = true;
    for l in (0..layers).rev() {
        let d = dilations[l];
        for t in 0..n {
            if sets[l + 1][t] {
                sets[l][t] = true;
                if t >= d {
                    sets[l][t - d] = true;
                }
            }
        }
    }
    sets
}

/// The page's state.
pub struct WavePage {
    pub kind: SignalKind,
    pub preset: usize,
    pub view: WaveView,
    pub message: Option<String>,
    pub temperature: f32,
    /// The seed of a new WaveNet (its weights and training signals): the same seed repeats a run step for step.
    pub seed: u64,
}

impl Default for WavePage {
    fn default() -> Self {
        Self { kind: SignalKind::Sines, preset: 0, view: WaveView::default(), message: None, temperature: 1.0, seed: 1 }
    }
}

fn preset_label(d: &[usize]) -> String {
    let list: Vec<String> = d.iter().map(ToString::to_string).collect();
    format!("{} (R = {})", list.join(", "), receptive_field(d))
}

impl WavePage {
    pub fn on_view(&mut self, view: WaveView) {
        self.view = view;
    }

    /// How writing the WaveNet's file for a saved scene went.
    pub fn on_saved(&mut self, outcome: super::digits::FileOutcome) {
        use super::digits::FileOutcome;
        self.message = match outcome {
            FileOutcome::Saved(path) => Some(format!("Saved the WaveNet to {}.", path.display())),
            FileOutcome::Failed(e) => Some(format!("The WaveNet was not saved: {e}.")),
            FileOutcome::Loaded(..) | FileOutcome::Cancelled => return,
        };
    }

    /// The dilations of the chosen preset.
    pub fn dilations(&self) -> &'static [usize] {
        PRESETS[self.preset.min(PRESETS.len() - 1)]
    }

    /// Whether the WaveNet has weights and is not training (Step works).
    pub fn paused(&self) -> bool {
        !self.view.training && self.view.steps > 0
    }

    /// Space: Train (or resume) the WaveNet, or pause it.
    pub fn toggle(&mut self) -> Request {
        if self.view.training {
            Request::PauseWaveNet
        } else {
            self.message = None;
            self.train_request(false)
        }
    }

    fn train_request(&self, paused: bool) -> Request {
        Request::TrainWaveNet { kind: self.kind, dilations: self.dilations().to_vec(), seed: self.seed, paused }
    }

    /// No WaveNet yet (Step builds one).
    fn fresh(&self) -> bool {
        !self.view.training && self.view.steps == 0
    }

    /// `.` / Step: `n` steps of the paused WaveNet, or of a new one (built with the seed) when there is none yet.
    pub fn step(&mut self, n: u32) -> Option<Vec<Request>> {
        if self.paused() {
            Some(vec![Request::StepWaveNet(n)])
        } else if self.fresh() {
            self.message = None;
            Some(vec![self.train_request(true), Request::StepWaveNet(n)])
        } else {
            None
        }
    }

    /// The settings side panel: the introduction, the signal, the dilations, Train / Pause / Reset, sampling.
    pub fn settings(&mut self, ui: &mut egui::Ui) -> Vec<Request> {
        let mut requests = Vec::new();
        crate::lessons::hall::intro(ui, "WaveNet: dilated causal convolutions", &EXPLANATION);
        ui.separator();
        let old = (self.kind, self.preset);
        ui.label(RichText::new("Signal").strong());
        for k in SignalKind::ALL {
            ui.selectable_value(&mut self.kind, k, k.label());
        }
        ui.label(RichText::new("Dilations").strong());
        for (i, d) in PRESETS.iter().enumerate() {
            ui.selectable_value(&mut self.preset, i, preset_label(d));
        }
        if old != (self.kind, self.preset) && self.view.steps > 0 {
            requests.push(Request::ResetWaveNet);
        }
        ui.separator();
        crate::lessons::classroom::unless_hidden(ui, Control::Training, |ui| {
            ui.horizontal_wrapped(|ui| {
                let label = if self.view.training { "Pause WaveNet" } else { "Train WaveNet" };
                if ui.button(label).clicked() {
                    requests.push(self.toggle());
                }
                if let Some(n) = crate::lessons::hall::step_buttons(ui, self.paused() || self.fresh())
                    && let Some(step) = self.step(n)
                {
                    requests.extend(step);
                }
                if ui.button("Reset WaveNet").clicked() {
                    requests.push(Request::ResetWaveNet);
                }
            })
        });
        crate::lessons::hall::seed_field(ui, &mut self.seed, self.view.steps == 0, "WaveNet");
        ui.add(egui::Slider::new(&mut self.temperature, 0.0..=1.5).text("Sampling temperature"));
        if ui.button("New continuations").clicked() {
            requests.push(Request::Continue { temperature: self.temperature });
        }
        let status = if self.view.steps > 0 {
            format!(
                "step {} · cross-entropy ≈ {:.3} nats per sample (log 64 = {:.2} for a uniform guess)",
                self.view.steps,
                self.view.loss_curve.last().map_or(f64::NAN, |p| p[1]),
                64f64.ln()
            )
        } else {
            "Press Train WaveNet: it learns from fresh random signals of the chosen kind (a few seconds show the idea)."
                .into()
        };
        ui.label(status);
        if let Some(m) = &self.message {
            ui.colored_label(Color32::from_rgb(230, 120, 60), m);
        }
        requests
    }

    /// The page itself: the receptive field, the loss and the continuations.
    pub fn show(&self, ui: &mut egui::Ui) {
        Self::diagram(ui, self.dilations());
        ui.separator();
        // Side by side when there is room, else one above the other (presentation mode at twice the zoom).
        // The plots grow into the height that is left (room for their titles and the caption below).
        let avail = ui.available_width();
        let free = ui.available_height() - 70.0;
        if avail >= 840.0 {
            let height = free.clamp(240.0, 520.0);
            ui.horizontal_top(|ui| {
                self.loss_plot(ui, 420.0, height);
                self.signal_plot(ui, height);
            });
        } else {
            let height = (free / 2.0 - 20.0).clamp(200.0, 400.0);
            self.loss_plot(ui, avail, height);
            self.signal_plot(ui, height);
        }
    }

    fn diagram(ui: &mut egui::Ui, dilations: &[usize]) {
        let r = receptive_field(dilations);
        let sum: Vec<String> = dilations.iter().map(ToString::to_string).collect();
        ui.label(
            RichText::new(format!("Receptive field R = 1 + Σ (2 − 1)·dₗ = 1 + ({}) = {r} samples", sum.join(" + ")))
                .strong(),
        );
        let n = (r + 6).clamp(16, 140);
        let sets = receptive_set(dilations, n);
        let rows = sets.len();
        let width = ui.available_width().clamp(400.0, 1300.0);
        let row_h = if rows > 8 { 18.0 } else { 26.0 };
        let left = 70.0;
        let size = egui::vec2(width, rows as f32 * row_h + 10.0);
        let (response, painter) = ui.allocate_painter(size, egui::Sense::click());
        crate::viz::export::context_menu(&response, "wavenet-receptive-field", None);
        response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::Image, true, format!("Receptive field diagram, R = {r}"))
        });
        let rect = response.rect;
        let dx = (width - left - 10.0) / n as f32;
        let pos = |layer: usize, t: usize| {
            egui::pos2(rect.min.x + left + (t as f32 + 0.5) * dx, rect.max.y - 10.0 - layer as f32 * row_h)
        };
        for (l, &d) in dilations.iter().enumerate() {
            for (t, _) in sets[l + 1].iter().enumerate().filter(|(_, on)| **on) {
                for src in [Some(t), t.checked_sub(d)].into_iter().flatten() {
                    painter.line_segment([pos(l, src), pos(l + 1, t)], egui::Stroke::new(1.2, HIGHLIGHT));
                }
            }
        }
        let font = egui::FontId::proportional(11.0);
        for (l, set) in sets.iter().enumerate() {
            let name = if l == 0 {
                "input x".to_owned()
            } else if l == rows - 1 {
                format!("out, d={}", dilations[l - 1])
            } else {
                format!("d = {}", dilations[l - 1])
            };
            painter.text(
                egui::pos2(rect.min.x, pos(l, 0).y),
                egui::Align2::LEFT_CENTER,
                name,
                font.clone(),
                ui.visuals().text_color(),
            );
            for (t, &on) in set.iter().enumerate() {
                let (c, radius) = if on { (HIGHLIGHT, 3.0) } else { (Color32::from_gray(110), 1.8) };
                painter.circle_filled(pos(l, t), radius, c);
            }
        }
        ui.small(format!(
            "Rows are layers (input at the bottom), dots are time steps (the last {n}); the orange edges are every \
             path into the newest output: exactly {r} inputs reach it."
        ));
    }

    fn loss_plot(&self, ui: &mut egui::Ui, width: f32, height: f32) {
        ui.vertical(|ui| {
            ui.label(RichText::new("WaveNet cross-entropy (nats per sample)").strong());
            let shown = Plot::new("wavenet-loss")
                .width(width)
                .height(height)
                .x_axis_label("step")
                .label_formatter(crate::viz::hover::step_and_value)
                .y_axis_label("nats")
                .include_y(0.0)
                .show(ui, |p| {
                    p.line(Line::new("training loss (smoothed)", self.view.loss_curve.clone()));
                });
            let csv = || crate::viz::export::xy_csv("step", "nats", &[("training loss".into(), &self.view.loss_curve)]);
            crate::viz::export::plot(shown, "wavenet-loss", Some(&csv));
        });
    }

    fn signal_plot(&self, ui: &mut egui::Ui, height: f32) {
        ui.vertical(|ui| {
            ui.label(RichText::new("A fresh signal and the model's continuations").strong());
            let v = &self.view;
            let split = v.prefix.len();
            let shown = Plot::new("wavenet-signal")
                .legend(Legend::default().position(Corner::LeftBottom))
                .width(ui.available_width().clamp(240.0, 820.0))
                .height(height)
                .x_axis_label("t")
                .include_y(-1.0)
                .include_y(1.0)
                .show(ui, |p| {
                    if split == 0 {
                        return;
                    }
                    let pts = |start: usize, xs: &[f32]| -> Vec<[f64; 2]> {
                        xs.iter().enumerate().map(|(i, &x)| [(start + i) as f64, f64::from(x)]).collect()
                    };
                    p.line(Line::new("given", pts(0, &v.prefix)).color(Color32::from_rgb(90, 160, 240)));
                    p.line(Line::new("true continuation", pts(split, &v.truth)).color(Color32::GRAY));
                    for (i, c) in v.continuations.iter().enumerate() {
                        let name = if i == 0 { format!("sampled at T = {:.1}", v.temperature) } else { String::new() };
                        let alpha = [255, 170, 110][i % 3];
                        p.line(
                            Line::new(name, pts(split, c))
                                .color(CONTINUATION.gamma_multiply(f32::from(alpha as u8) / 255.0)),
                        );
                    }
                    p.vline(VLine::new("", split as f64 - 0.5).color(Color32::from_gray(120)));
                });
            crate::viz::export::plot(shown, "wavenet-signal", None);
            if split > 0 {
                ui.small(format!(
                    "Blue: the given {split} samples · grey: what really came next · orange: {} continuations sampled \
                     at temperature {:.1}, one sample at a time, each fed back as input.",
                    v.continuations.len(),
                    v.temperature
                ));
            }
        });
    }
}

/// The explanation panel's text for the Signals (WaveNet) page.
pub const EXPLANATION: crate::lessons::hall::Explanation = crate::lessons::hall::Explanation {
    what: "The same chain rule for a signal. Each layer is a causal convolution with kernel 2, so output t never \
           sees the future; doubling the dilation from layer to layer doubles the reach. The diagram shows every \
           path into the newest output; the output is a softmax over 64 quantised levels of the next sample, as in \
           WaveNet. Below: the training loss, and continuations of a fresh signal sampled one step at a time.",
    formula: concat!(
        r"p(x) = \prod_t p(x_t \mid x_{<t})",
        "\n",
        r"h_l[t] = h_{l-1}[t] + \operatorname{ReLU}\left(A_l\, h_{l-1}[t - d_l] + B_l\, h_{l-1}[t] + b_l\right)",
        "\n",
        r"\text{receptive field } R = 1 + \sum_l (\text{kernel} - 1)\, d_l",
    ),
    things_to_try: &[
        "Choose dilations 1, 1, 1, 1, 1, 1 (R = 7): a square wave's period is longer than the model can see, so its \
         continuations lose the beat.",
        "Set the temperature to 0: the most likely next level each time (smooth but can freeze); 1 samples the \
         model's own uncertainty.",
        "Switch to the sawtooth: the jumps are predictable only if the receptive field spans a whole period.",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highlighted_inputs_are_exactly_the_receptive_field() {
        for d in PRESETS {
            let r = receptive_field(d);
            let sets = receptive_set(d, r + 10);
            let inputs: Vec<usize> = (0..r + 10).filter(|&t| sets[0][t]).collect();
            assert_eq!(inputs.len(), r, "{d:?}");
            assert_eq!(inputs, (10..r + 10).collect::<Vec<_>>());
        }
    }
}
