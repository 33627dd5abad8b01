//! "Samples": digits decoded from z ~ N(0, τ²I) by the Latent space tab's VAE, and the latent manifold (the decoder
//! over a regular grid of Gaussian quantiles, as in Kingma & Welling's figure).

use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{Lesson, LessonContext};
use crate::train::{ModelKind, Purpose, TrainCommand, TrainEvent, WorkerState};
use crate::viz::widgets::upload;

/// Fewest milliseconds between two refreshes of a grid while the model trains.
const REFRESH: Duration = Duration::from_millis(300);

/// Φ⁻¹(p), the standard normal quantile, by Acklam's rational approximation (relative error below 1.2e-9).
/// Returns ∓∞ at 0 and 1 and NaN outside [0, 1].
pub fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    const LOW: f64 = 0.024_25;
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The manifold's latent points, row-major: row i (top to bottom) has z₂ = Φ⁻¹(1 − u_i), column j has
/// z₁ = Φ⁻¹(u_j), with u_k = (k + ½)/n evenly spaced in (0, 1).
pub fn manifold_points(n: usize) -> Vec<Vec<f32>> {
    let q: Vec<f32> = (0..n).map(|k| inverse_normal_cdf((k as f64 + 0.5) / n as f64) as f32).collect();
    let mut zs = Vec::with_capacity(n * n);
    for i in 0..n {
        for &z1 in &q {
            zs.push(vec![z1, q[n - 1 - i]]);
        }
    }
    zs
}

pub use crate::viz::widgets::tile;

/// One grid of decoded images and its texture.
#[derive(Default)]
struct Grid {
    images: Vec<Vec<f32>>,
    rows: usize,
    cols: usize,
    /// Model step the images were decoded at.
    step: u64,
    texture: Option<egui::TextureHandle>,
    /// The texture needs redrawing (new images, or the binary toggle changed).
    stale: bool,
    /// A request is with the worker.
    in_flight: bool,
    /// The grid should be decoded again (settings changed or the model trained on).
    wanted: bool,
    last_sent: Option<Instant>,
}

impl Grid {
    /// Sends a request when one is wanted, none is in flight and the last one is old enough.
    fn maybe_request(&mut self, purpose: Purpose, zs: impl FnOnce() -> Vec<Vec<f32>>, cx: &mut LessonContext<'_>) {
        if self.wanted && !self.in_flight && self.last_sent.is_none_or(|t| t.elapsed() >= REFRESH) {
            cx.commands.push(TrainCommand::Decode { model: ModelKind::Vae, purpose, zs: zs() });
            self.in_flight = true;
            self.wanted = false;
            self.last_sent = Some(Instant::now());
        }
    }

    fn show(
        &mut self,
        ui: &mut egui::Ui,
        name: &str,
        per_row: usize,
        gap: usize,
        binary: Option<&mut SmallRng>,
        side: f32,
    ) {
        if self.images.is_empty() {
            return;
        }
        if self.stale || self.texture.is_none() {
            let images: Vec<Vec<f32>> = match binary {
                Some(rng) => self
                    .images
                    .iter()
                    .map(|img| img.iter().map(|&p| if rng.random::<f32>() < p { 1.0 } else { 0.0 }).collect())
                    .collect(),
                None => self.images.clone(),
            };
            let image = tile(&images, self.rows, self.cols, per_row, gap);
            upload(&mut self.texture, ui.ctx(), name, image, egui::TextureOptions::NEAREST);
            self.stale = false;
        }
        if let Some(t) = &self.texture {
            let [w, h] = t.size();
            let scale = side / w.max(h) as f32;
            let shown = ui.add(
                egui::Image::new(egui::load::SizedTexture::new(t.id(), egui::vec2(w as f32 * scale, h as f32 * scale)))
                    .alt_text(format!("{name}: {} images decoded at step {}", self.images.len(), self.step))
                    .sense(egui::Sense::click()),
            );
            crate::viz::export::context_menu(&shown, name, None);
        }
    }
}

/// The "Samples" tab.
pub struct SamplesLesson {
    side: usize,
    tau: f32,
    binary: bool,
    manifold_n: usize,
    rng: SmallRng,
    /// The latent points of the sample grid (standard normal; scaled by τ when sent).
    eps: Vec<Vec<f32>>,
    samples: Grid,
    manifold: Grid,
    /// The last request was answered with "no model".
    no_model: bool,
    /// Step of the newest VAE codes seen.
    step: u64,
    /// Latent size of the VAE (from its codes; 2 until one reports).
    latent_dim: usize,
}

impl Default for SamplesLesson {
    fn default() -> Self {
        let mut s = Self {
            side: 8,
            tau: 1.0,
            binary: false,
            manifold_n: 15,
            rng: SmallRng::seed_from_u64(7),
            eps: Vec::new(),
            samples: Grid { wanted: true, ..Grid::default() },
            manifold: Grid { wanted: true, ..Grid::default() },
            no_model: false,
            step: 0,
            latent_dim: 2,
        };
        s.resample();
        s
    }
}

impl SamplesLesson {
    fn resample(&mut self) {
        let (count, dim) = (self.side * self.side, self.latent_dim);
        self.eps = (0..count).map(|_| crate::nn::random::normals(&mut self.rng, dim)).collect();
        self.samples.wanted = true;
        self.samples.last_sent = None;
    }

    fn grid_for(&mut self, purpose: Purpose) -> Option<&mut Grid> {
        match purpose {
            Purpose::Samples => Some(&mut self.samples),
            Purpose::Manifold => Some(&mut self.manifold),
            _ => None,
        }
    }
}

/// The explanation panel's text for this tab.
pub const EXPLANATION: super::hall::Explanation = super::hall::Explanation {
    what: "A VAE's decoder turns any z from the prior N(0, I) into a digit: left, a grid of samples; right, the \
           decoder over an evenly spaced grid of the latent space. Lower the temperature τ to sample z closer to \
           the centre.",
    formula: concat!(
        r"z \sim \mathcal{N}(0, \tau^2 I), \quad x \sim p_\theta(x \mid z)",
        "\n",
        r"\text{Manifold: } z = \left(\Phi^{-1}(u_j), \Phi^{-1}(u_i)\right), \; u \text{ evenly spaced in } (0, 1)",
        "\n",
        r"\text{where } \Phi^{-1} \text{ is the standard normal's quantile function}",
    ),
    things_to_try: &[
        "Set τ = 0: every sample is the decoder's digit at z = 0.",
        "Raise τ to 2: samples from the prior's tails look less like digits.",
        "Tick Binary samples: each pixel drawn from its Bernoulli mean.",
        "Raise the manifold grid n: digits morph smoothly into one another.",
    ],
};

/// The Samples tab in a scene file.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SamplesScene {
    side: usize,
    tau: f32,
    binary: bool,
    manifold_n: usize,
}

impl Lesson for SamplesLesson {
    fn name(&self) -> &'static str {
        "Samples"
    }

    fn save_scene(&self, _dir: &std::path::Path) -> Option<serde_json::Value> {
        super::scene::to_value(&SamplesScene {
            side: self.side,
            tau: self.tau,
            binary: self.binary,
            manifold_n: self.manifold_n,
        })
    }

    fn load_scene(
        &mut self,
        scene: &serde_json::Value,
        _dir: &std::path::Path,
        _cx: &mut LessonContext<'_>,
    ) -> Result<(), String> {
        let s: SamplesScene = super::scene::parse(scene)?;
        if !s.tau.is_finite() {
            return Err("its temperature is not a number".into());
        }
        self.side = s.side.clamp(2, 16);
        self.tau = s.tau.clamp(0.0, 2.0);
        self.binary = s.binary;
        self.manifold_n = s.manifold_n.clamp(2, 30);
        self.resample();
        self.manifold.wanted = true;
        self.manifold.last_sent = None;
        self.samples.stale = true;
        self.manifold.stale = true;
        Ok(())
    }

    fn explanation(&self) -> Option<super::hall::Explanation> {
        Some(EXPLANATION)
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>) {
        let (eps, tau) = (&self.eps, self.tau);
        self.samples.maybe_request(
            Purpose::Samples,
            || eps.iter().map(|e| e.iter().map(|v| v * tau).collect()).collect(),
            cx,
        );
        let n = self.manifold_n;
        self.manifold.maybe_request(Purpose::Manifold, || manifold_points(n), cx);
        if self.samples.wanted || self.manifold.wanted {
            crate::pacing::wake_after(ui.ctx(), REFRESH);
        }

        super::hall::controls_panel(ui, "samples-controls", 280.0, |ui| {
            super::hall::intro(ui, "Standard Gaussian samples", &EXPLANATION);
            ui.separator();
            if ui.add(egui::Slider::new(&mut self.side, 2..=16).text("Grid side")).changed() {
                self.resample();
            }
            if ui.add(egui::Slider::new(&mut self.tau, 0.0..=2.0).text("Temperature τ")).changed() {
                self.samples.wanted = true;
            }
            if ui.button("Resample").clicked() {
                self.resample();
            }
            if ui.checkbox(&mut self.binary, "Binary samples (draw each pixel from its Bernoulli mean)").changed() {
                self.samples.stale = true;
                self.manifold.stale = true;
            }
            ui.separator();
            ui.heading("Latent manifold");
            ui.label("The decoder over an n × n grid of z = (Φ⁻¹(u_j), Φ⁻¹(u_i)), u evenly spaced in (0, 1).");
            if self.latent_dim > 2 {
                ui.small(format!(
                    "This VAE's latent has {} dimensions: the grid varies z₁ and z₂, the others stay at 0.",
                    self.latent_dim
                ));
            }
            if ui.add(egui::Slider::new(&mut self.manifold_n, 2..=30).text("Manifold grid n")).changed() {
                self.manifold.wanted = true;
                self.manifold.last_sent = None;
            }
        });
        egui::CentralPanel::default().show(ui, |ui| {
            if self.no_model {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "No VAE yet: train one on the Latent space tab (press Train there), then come back.",
                );
                return;
            }
            let avail = ui.available_size();
            let side = ((avail.x - 3.0 * ui.spacing().item_spacing.x) / 2.0).min(avail.y - 40.0).max(100.0);
            let binary = self.binary;
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    let g = &self.samples;
                    let title = if g.images.is_empty() {
                        "Samples: decoding…".to_owned()
                    } else {
                        format!("Samples: {} × {} from N(0, {:.2}²I), step {}", self.side, self.side, self.tau, g.step)
                    };
                    ui.label(RichText::new(title).strong());
                    let per_row = self.side;
                    self.samples.show(ui, "samples", per_row, 1, binary.then_some(&mut self.rng), side);
                });
                ui.vertical(|ui| {
                    let g = &self.manifold;
                    let per_row = (g.images.len() as f64).sqrt().round() as usize;
                    let title = if g.images.is_empty() {
                        "Manifold: decoding…".to_owned()
                    } else {
                        format!("Manifold: {per_row} × {per_row} quantile grid, step {}", g.step)
                    };
                    ui.label(RichText::new(title).strong());
                    self.manifold.show(ui, "manifold", per_row, 0, binary.then_some(&mut self.rng), side);
                });
            });
        });
    }

    fn on_event(&mut self, event: &TrainEvent) {
        match event {
            TrainEvent::Codes { model: ModelKind::Vae, codes } => {
                let latent_dim = codes.projection.as_ref().map_or(2, |p| p.mean.len());
                if latent_dim != self.latent_dim {
                    self.latent_dim = latent_dim;
                    self.resample();
                }
                self.step = codes.step;
                self.no_model = false;
                self.samples.wanted = true;
                self.manifold.wanted = true;
            }
            // A new run, or Reset (the worker goes idle): ask again, which also finds out whether a model is left.
            TrainEvent::SessionStarted { .. } | TrainEvent::State(WorkerState::Idle) => {
                self.samples.wanted = true;
                self.manifold.wanted = true;
            }
            TrainEvent::Decoded { model: ModelKind::Vae, purpose, images, rows, cols } => {
                let step = self.step;
                if let Some(g) = self.grid_for(*purpose) {
                    g.images.clone_from(images);
                    g.rows = *rows;
                    g.cols = *cols;
                    g.step = step;
                    g.in_flight = false;
                    g.stale = true;
                    self.no_model = false;
                }
            }
            TrainEvent::NoModel { model: ModelKind::Vae, purpose } => {
                if let Some(g) = self.grid_for(*purpose) {
                    g.in_flight = false;
                    self.no_model = true;
                }
            }
            _ => {}
        }
    }

    fn on_dataset_changed(&mut self) {
        for g in [&mut self.samples, &mut self.manifold] {
            g.images.clear();
            g.wanted = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{inverse_normal_cdf, manifold_points, tile};

    #[test]
    fn inverse_cdf_matches_known_quantiles() {
        let known = [
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_054),
            (0.025, -1.959_963_984_540_054),
            (0.841_344_746_068_542_9, 1.0),
            (0.001, -3.090_232_306_167_813),
            (0.999_999, 4.753_424_308_822_899),
            (0.1, -1.281_551_565_544_600_4),
        ];
        for (p, z) in known {
            let got = inverse_normal_cdf(p);
            assert!((got - z).abs() < 1e-8 * z.abs().max(1.0), "Φ⁻¹({p}) = {got}, want {z}");
        }
        assert_eq!(inverse_normal_cdf(0.0), f64::NEG_INFINITY);
        assert_eq!(inverse_normal_cdf(1.0), f64::INFINITY);
        assert!(inverse_normal_cdf(1.5).is_nan());
        assert!(inverse_normal_cdf(f64::NAN).is_nan());
        // Symmetric and increasing.
        for k in 1..100 {
            let p = f64::from(k) / 100.0;
            assert!((inverse_normal_cdf(p) + inverse_normal_cdf(1.0 - p)).abs() < 1e-9);
            assert!(inverse_normal_cdf(p) < inverse_normal_cdf(p + 0.005));
        }
    }

    #[test]
    fn manifold_grid_is_symmetric_quantiles() {
        let zs = manifold_points(4);
        assert_eq!(zs.len(), 16);
        // Top-left: smallest z₁, largest z₂; bottom-right the opposite.
        assert!(zs[0][0] < 0.0 && zs[0][1] > 0.0);
        assert!((zs[0][0] + zs[15][0]).abs() < 1e-6 && (zs[0][1] + zs[15][1]).abs() < 1e-6);
        assert!((zs[1][0] - inverse_normal_cdf(3.0 / 8.0) as f32).abs() < 1e-6);
        let odd = manifold_points(3);
        assert!(odd[4].iter().all(|v| v.abs() < 1e-6), "the centre of an odd grid is z = 0");
    }

    #[test]
    fn tiles_images_with_gaps() {
        let images = vec![vec![1.0; 4], vec![0.0; 4], vec![0.5; 4]];
        let img = tile(&images, 2, 2, 2, 1);
        assert_eq!(img.size, [5, 5]);
        assert_eq!(img.pixels[0].r(), 255);
        assert_eq!(img.pixels[2].r(), 40, "gap");
        assert_eq!(img.pixels[3].r(), 0);
        assert_eq!(img.pixels[3 * 5].r(), 128);
    }
}
