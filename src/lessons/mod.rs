//! Lessons: one tab each. A lesson is pure `egui`: it sends commands to the trainer and reacts to its plain-data
//! events, so it can be tested with `egui_kittest` without training anything.

pub mod autoregressive;
pub mod bounds;
pub mod classroom;
pub mod diffusion;
pub mod dsep;
pub mod encoder_gradients;
pub mod flows;
pub mod gradients;
pub mod hall;
pub mod hvae;
pub mod latent_space;
pub mod leaderboard;
pub mod lesson_thread;
pub mod observation;
pub mod posterior_panel;
pub mod samples;
pub mod scene;

use std::sync::Arc;

use eframe::egui;

use crate::data::Dataset;
use crate::train::{TrainCommand, TrainEvent, WorkerState};

/// What a lesson may use while drawing: the dataset, the trainer's state, and a way to send it commands.
pub struct LessonContext<'a> {
    pub dataset: &'a Arc<Dataset>,
    pub worker_state: &'a WorkerState,
    /// Commands queued here are sent to the worker after the frame.
    pub commands: &'a mut Vec<TrainCommand>,
}

/// One tab of the app.
pub trait Lesson {
    /// Tab title.
    fn name(&self) -> &'static str;
    /// Draws the lesson (everything under the tab bar).
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut LessonContext<'_>);
    /// Reacts to a worker event (called for every event, whichever tab is shown).
    fn on_event(&mut self, event: &TrainEvent);
    /// Called when the dataset changes: drop results that belong to the old one.
    fn on_dataset_changed(&mut self) {}
    /// A request for another lesson (e.g. "open this DAG in the d-separation editor"), taken after each frame.
    fn take_request(&mut self) -> Option<AppRequest> {
        None
    }
    /// Handles a request from another lesson; `true` if this lesson took it (the app then shows its tab).
    fn handle_request(&mut self, _request: &AppRequest) -> bool {
        false
    }
    /// What the student sees, the lecture's formula and things to try (drawn by the app's explanation panel, F1).
    fn explanation(&self) -> Option<hall::Explanation> {
        None
    }
    /// Space / "Train or pause": starts, pauses or resumes this lesson's training. Returns `false` when the lesson
    /// has nothing to train (the default).
    fn toggle_training(&mut self, cx: &mut LessonContext<'_>) -> bool {
        let _ = cx;
        false
    }
    /// `.` / "Step": while paused, exactly `n` optimiser steps. Returns `false` when the lesson cannot step now
    /// (the default: it has no step control yet, or it is not paused).
    fn step_training(&mut self, n: u32, cx: &mut LessonContext<'_>) -> bool {
        let _ = (n, cx);
        false
    }
    /// Scene files: this lesson's state (settings, data, graph, …) as JSON. Model files are referenced by path,
    /// relative to `dir` (the scene's folder) when inside it. `None` (the default): nothing to save.
    fn save_scene(&self, dir: &std::path::Path) -> Option<serde_json::Value> {
        let _ = dir;
        None
    }
    /// Saving the scene file `dir`/`stem`.json: [`Lesson::save_scene`] plus the lesson's trained models, written
    /// next to it (`stem-…` files) and referred to in the JSON, with the files it promises to write. A lesson
    /// whose models live on a thread sends the saves through `cx` or its thread; the app writes the scene file
    /// only once every promised file is there, so a scene never names a model that was not written. The default
    /// saves no models.
    fn save_scene_with_models(
        &mut self,
        dir: &std::path::Path,
        stem: &str,
        cx: &mut LessonContext<'_>,
    ) -> Option<(serde_json::Value, Vec<std::path::PathBuf>)> {
        let _ = (stem, cx);
        self.save_scene(dir).map(|part| (part, Vec::new()))
    }
    /// Restores what [`Lesson::save_scene`] wrote. Checks everything before changing anything: on `Err` (a
    /// reason, shown to the user) the lesson is as it was. Commands go through `cx` (sent only if the whole scene
    /// loads).
    fn load_scene(
        &mut self,
        scene: &serde_json::Value,
        dir: &std::path::Path,
        cx: &mut LessonContext<'_>,
    ) -> Result<(), String> {
        let _ = (scene, dir, cx);
        Err("this lesson does not read scenes".into())
    }
}

/// What one lesson asks of another, routed by the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppRequest {
    /// Replace the d-separation editor's graph with this `DAGitty` text (the old graph stays one Undo away).
    OpenInDsep { dagitty: String },
}

/// The lessons in tab order: the lecture's order ("Deep generative models: VAEs and beyond"). 1, the VAE recap:
/// the 2-D codes of an AE and a VAE, samples from N(0, I), L_1 ≤ … ≤ L_K ≤ log p(x), the two gradient
/// estimators; 2, d-separation; 3, from VAEs to hierarchical VAEs to diffusion; 4, exact likelihood: flows, then
/// autoregressive models; last, every family on one leaderboard.
pub fn all() -> Vec<Box<dyn Lesson>> {
    vec![
        Box::new(latent_space::LatentSpaceLesson::default()),
        Box::new(samples::SamplesLesson::default()),
        Box::new(bounds::BoundsLesson::default()),
        Box::new(gradients::GradientsLesson::default()),
        Box::new(encoder_gradients::EncoderGradientsLesson::default()),
        Box::new(dsep::DsepLesson::default()),
        Box::new(hvae::HvaeLesson::default()),
        Box::new(diffusion::DiffusionLesson::default()),
        Box::new(flows::FlowsLesson::default()),
        Box::new(autoregressive::AutoregressiveLesson::default()),
        Box::new(leaderboard::LeaderboardLesson::default()),
    ]
}

/// The tabs' names, in order.
pub fn names() -> Vec<&'static str> {
    all().iter().map(|l| l.name()).collect()
}
