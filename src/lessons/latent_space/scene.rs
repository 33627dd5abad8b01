//! The Latent space tab's part of a scene file: the settings, the two model files and each plot's exploration,
//! checked against the dataset before anything changes.

use super::{Canvas, Explore, LatentSpaceLesson, LessonContext};
use crate::lessons::observation::ObservationChoice;
use crate::train::TrainConfig;

/// The Latent space tab in a scene file: the settings of the next run and, when the scene was saved with trained
/// models, their files and what was being explored.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct LatentScene {
    pub(super) config: TrainConfig,
    pub(super) hidden: String,
    pub(super) show_all_codes: bool,
    pub(super) observation: ObservationChoice,
    /// The AE's and the VAE's model files (`STEM-latent-space-ae.bpk`, `…-vae.bpk`), relative to the scene.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) models: Vec<String>,
    /// Each model's exploration (AE, VAE).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) explore: Vec<ExploreScene>,
    /// The drawn digit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) canvas: Option<CanvasScene>,
}

/// One model's exploration in a scene: the marker, the clicked digit (dataset index, its code) and the ends of the
/// interpolation, all in plot coordinates.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(super) struct ExploreScene {
    pub(super) probe: Option<[f64; 2]>,
    pub(super) clicked: Option<(usize, [f64; 2])>,
    pub(super) strip: Option<([f64; 2], [f64; 2])>,
}

/// The "Draw a digit" canvas in a scene: `rows × cols` pixels in [0, 1], row-major.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(super) struct CanvasScene {
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) pixels: Vec<f32>,
}

impl LatentSpaceLesson {
    pub(super) fn scene(&self) -> LatentScene {
        LatentScene {
            config: self.config.clone(),
            hidden: self.hidden_text.clone(),
            show_all_codes: self.show_all_codes,
            observation: self.observation,
            models: Vec::new(),
            explore: Vec::new(),
            canvas: None,
        }
    }

    /// A scene's explorations checked against the dataset, ready to show once the models are loaded.
    pub(super) fn restored_explore(s: &LatentScene, cx: &LessonContext<'_>) -> Result<Box<[Explore; 2]>, String> {
        if s.explore.len() > 2 {
            return Err(format!("it has {} explorations for the two models", s.explore.len()));
        }
        let finite = |p: &[f64; 2]| p.iter().all(|v| v.is_finite());
        let mut out: Box<[Explore; 2]> = Box::default();
        for (ex, scene) in out.iter_mut().zip(&s.explore) {
            let points = scene
                .probe
                .iter()
                .chain(scene.clicked.iter().map(|c| &c.1))
                .chain(scene.strip.iter().flat_map(|(a, b)| [a, b]));
            if !points.into_iter().all(finite) {
                return Err("its markers are not numbers".into());
            }
            if let Some((item, code)) = scene.clicked {
                if item >= cx.dataset.len() {
                    return Err(format!(
                        "its clicked digit #{item} is not in this dataset ({} images)",
                        cx.dataset.len()
                    ));
                }
                ex.clicked = Some((item, code, cx.dataset.image(item).to_vec()));
            }
            ex.probe = scene.probe;
            ex.strip_ends = scene.strip;
            ex.refresh = true;
        }
        Ok(out)
    }

    /// A scene's drawing checked against the dataset's image size.
    pub(super) fn restored_canvas(s: &LatentScene, cx: &LessonContext<'_>) -> Result<Option<Canvas>, String> {
        let Some(c) = &s.canvas else { return Ok(None) };
        let (rows, cols) = (cx.dataset.rows, cx.dataset.cols);
        if (c.rows, c.cols) != (rows, cols) || c.pixels.len() != rows * cols {
            return Err(format!(
                "its drawing is {}×{} ({} pixels) but this dataset's images are {rows}×{cols}",
                c.rows,
                c.cols,
                c.pixels.len()
            ));
        }
        if c.pixels.iter().any(|v| !v.is_finite()) {
            return Err("its drawing has pixels that are not numbers".into());
        }
        let pixels = c.pixels.iter().map(|v| v.clamp(0.0, 1.0)).collect();
        Ok(Some(Canvas { pixels, rows, cols, refused: None, last: None }))
    }
}

impl Explore {
    pub(super) fn to_scene(&self) -> ExploreScene {
        ExploreScene {
            probe: self.probe,
            clicked: self.clicked.as_ref().map(|(item, code, _)| (*item, *code)),
            strip: self.strip_ends,
        }
    }
}
