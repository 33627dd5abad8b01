//! Scene files: the state of every lesson (settings, data, graph, model file references) and the tab shown, as
//! JSON with a format version, so a lecturer prepares the demos in advance. Opening one checks it first; if any
//! lesson refuses its part, the lessons already restored are put back and nothing is sent to the trainer: a bad
//! file changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant, SystemTime};

use eframe::egui;
use serde::{Deserialize, Serialize};

use super::LatentLabApp;
use crate::lessons::LessonContext;

/// The `format` field of a scene file.
pub const FORMAT: &str = "latent-lab scene";
/// The newest scene format this version reads and writes.
pub const VERSION: u32 = 1;

/// A scene file.
#[derive(Debug, Serialize, Deserialize)]
pub struct SceneFile {
    pub format: String,
    pub version: u32,
    /// The tab to show.
    pub lesson: String,
    /// Each lesson's state, by tab name.
    pub lessons: BTreeMap<String, serde_json::Value>,
}

/// What a scene dialog (on a helper thread) reports.
#[derive(Debug)]
pub enum SceneJob {
    /// Where to save the scene.
    SaveTo(PathBuf),
    /// A file to open, read (or why it could not be read).
    Opened(PathBuf, Result<String, String>),
    Cancelled(String),
}

/// Checks a scene file's text: JSON, the right format, not from a newer version.
pub fn parse(text: &str) -> Result<SceneFile, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("it is not a scene file (not valid JSON: {e})"))?;
    if value.get("format").and_then(serde_json::Value::as_str) != Some(FORMAT) {
        return Err("it is not a latent-lab scene file".into());
    }
    let version = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
    if version > u64::from(VERSION) {
        return Err(format!(
            "it was written by a newer latent-lab (scene format {version}; this version reads up to {VERSION}): \
             update latent-lab to open it"
        ));
    }
    serde_json::from_value(value).map_err(|e| format!("it is damaged ({e})"))
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

impl LatentLabApp {
    /// The scene as JSON text; model files are referenced relative to `dir`, the scene's folder.
    pub fn scene_json(&self, dir: &Path) -> String {
        let lessons = self.lessons.iter().filter_map(|l| Some((l.name().to_owned(), l.save_scene(dir)?))).collect();
        let scene =
            SceneFile { format: FORMAT.into(), version: VERSION, lesson: self.selected_lesson().to_owned(), lessons };
        serde_json::to_string_pretty(&scene).unwrap_or_default()
    }

    /// The scene as JSON text for the file `path`, with the lessons' trained models written next to it, and the
    /// model files promised (see [`crate::lessons::Lesson::save_scene_with_models`]).
    pub fn scene_json_with_models(&mut self, path: &Path) -> (String, Vec<PathBuf>) {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let stem = path.file_stem().map_or_else(|| "scene".to_owned(), |s| s.to_string_lossy().into_owned());
        let mut commands = Vec::new();
        let mut lessons = BTreeMap::new();
        let mut promised = Vec::new();
        for lesson in &mut self.lessons {
            let mut cx =
                LessonContext { dataset: &self.dataset, worker_state: &self.worker_state, commands: &mut commands };
            if let Some((part, files)) = lesson.save_scene_with_models(&dir, &stem, &mut cx) {
                lessons.insert(lesson.name().to_owned(), part);
                promised.extend(files);
            }
        }
        self.commands.extend(commands);
        let scene =
            SceneFile { format: FORMAT.into(), version: VERSION, lesson: self.selected_lesson().to_owned(), lessons };
        (serde_json::to_string_pretty(&scene).unwrap_or_default(), promised)
    }

    /// Saves the scene to `path`: at once when no lesson has a model to write, else as soon as every model file
    /// is written (the frames after this; see [`PendingScene`]). The dialog's path goes the same way.
    pub fn save_scene_to(&mut self, path: &Path) -> Result<(), String> {
        let (text, promised) = self.scene_json_with_models(path);
        if promised.is_empty() {
            return crate::runtime::files::write_atomic(path, text.as_bytes())
                .map_err(|e| format!("Could not write {}: {e}", path.display()));
        }
        self.pending_scene = Some(PendingScene::new(path.to_owned(), text, promised));
        Ok(())
    }

    /// Writes a pending scene once its model files are there, or gives up with a message when they do not come.
    pub(super) fn poll_pending_scene(&mut self, ctx: &egui::Context) {
        let Some(pending) = &self.pending_scene else { return };
        match pending.state(Instant::now()) {
            Pending::Waiting => ctx.request_repaint_after(Duration::from_millis(200)),
            Pending::Ready => {
                if let Some(p) = self.pending_scene.take() {
                    crate::viz::export::write_file(ctx, p.path, p.text.into_bytes());
                }
            }
            Pending::GaveUp(missing) => {
                let scene = file_name(&pending.path);
                self.error = Some(format!(
                    "The scene {scene} was not saved: its model file {} was not written within {} s (the tab's \
                     message says why). A scene file saved before is unchanged.",
                    file_name(&missing),
                    PendingScene::PATIENCE.as_secs()
                ));
                self.pending_scene = None;
            }
        }
    }

    /// Reads and opens a scene file now; the outcome is shown like the dialog's.
    pub fn open_scene(&mut self, path: &Path) {
        let text = read_scene(path);
        self.open_scene_text(path, text);
    }

    pub(super) fn open_scene_text(&mut self, path: &Path, text: Result<String, String>) {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        match text.and_then(|t| self.apply_scene(&t, &dir)) {
            Ok(note) => {
                self.error = None;
                self.notice = Some(format!("Opened the scene {}{note}", file_name(path)));
            }
            Err(e) => {
                self.error = Some(format!("Could not open the scene {}: {e}. Nothing was changed.", file_name(path)));
            }
        }
    }

    /// Applies a scene, all or nothing. `Ok` carries a note on what was skipped.
    fn apply_scene(&mut self, text: &str, dir: &Path) -> Result<String, String> {
        self.apply_scene_file(&parse(text)?, dir)
    }

    /// Applies a parsed scene, all or nothing (the lessons it leaves out keep their state). `Ok` carries a note
    /// on what was skipped.
    pub(super) fn apply_scene_file(&mut self, scene: &SceneFile, dir: &Path) -> Result<String, String> {
        let before: Vec<Option<serde_json::Value>> = self.lessons.iter().map(|l| l.save_scene(dir)).collect();
        let mut commands = Vec::new();
        let mut restored = Vec::new();
        let mut failure = None;
        for (i, lesson) in self.lessons.iter_mut().enumerate() {
            let Some(part) = scene.lessons.get(lesson.name()) else { continue };
            let mut cx =
                LessonContext { dataset: &self.dataset, worker_state: &self.worker_state, commands: &mut commands };
            match lesson.load_scene(part, dir, &mut cx) {
                Ok(()) => restored.push(i),
                Err(e) => {
                    failure = Some(format!("the {} tab refused it: {e}", lesson.name()));
                    break;
                }
            }
        }
        if let Some(e) = failure {
            for i in restored {
                if let (Some(lesson), Some(Some(old))) = (self.lessons.get_mut(i), before.get(i)) {
                    let mut ignored = Vec::new();
                    let mut cx = LessonContext {
                        dataset: &self.dataset,
                        worker_state: &self.worker_state,
                        commands: &mut ignored,
                    };
                    let _ = lesson.load_scene(old, dir, &mut cx);
                }
            }
            return Err(e);
        }
        self.commands.extend(commands);
        self.select_lesson(&scene.lesson);
        let unknown: Vec<&str> = scene
            .lessons
            .keys()
            .map(String::as_str)
            .filter(|name| !self.lessons.iter().any(|l| l.name() == *name))
            .collect();
        Ok(if unknown.is_empty() {
            String::new()
        } else {
            format!(" (skipped tabs this version lacks: {})", unknown.join(", "))
        })
    }

    /// Starts the save or open dialog on a helper thread.
    pub(super) fn start_scene_dialog(&mut self, ctx: &egui::Context, save: bool) {
        let filter = ("latent-lab scene", "json");
        self.scene_job = Some(if save {
            file_dialog(ctx, "Save the scene", filter, Some("scene.json"))
        } else {
            file_dialog(ctx, "Open a scene", filter, None)
        });
    }

    /// Takes a finished scene dialog's result.
    pub(super) fn poll_scene_job(&mut self, ctx: &egui::Context) {
        let Some(job) = take_job(&mut self.scene_job) else { return };
        match job {
            SceneJob::SaveTo(path) => {
                let (text, promised) = self.scene_json_with_models(&path);
                if promised.is_empty() {
                    crate::viz::export::write_file(ctx, path, text.into_bytes());
                } else {
                    self.pending_scene = Some(PendingScene::new(path, text, promised));
                }
            }
            SceneJob::Opened(path, text) => self.open_scene_text(&path, text),
            SceneJob::Cancelled(msg) => self.notice = Some(msg),
        }
    }
}

/// A file dialog on a helper thread: "save" (with `save_name` suggested) returns the path chosen, "open" the path
/// and the file's text (a regular file of at most [`crate::runtime::files::limit::DOCUMENT`]).
pub fn file_dialog(
    ctx: &egui::Context,
    title: &'static str,
    filter: (&'static str, &'static str),
    save_name: Option<&'static str>,
) -> Receiver<SceneJob> {
    let (tx, rx) = mpsc::channel();
    let ctx = ctx.clone();
    std::thread::spawn(move || {
        let dialog = rfd::FileDialog::new().add_filter(filter.0, &[filter.1]).set_title(title);
        let none = "No file chosen (or no file dialog is available on this desktop).".to_owned();
        let job = match save_name {
            Some(name) => dialog.set_file_name(name).save_file().map_or(SceneJob::Cancelled(none), SceneJob::SaveTo),
            None => match dialog.pick_file() {
                Some(path) => {
                    let text = read_scene(&path);
                    SceneJob::Opened(path, text)
                }
                None => SceneJob::Cancelled(none),
            },
        };
        let _ = tx.send(job);
        crate::pacing::wake(&ctx);
    });
    rx
}

/// A finished dialog's result, if it has one (the dialog is then over).
pub fn take_job(dialog: &mut SceneDialog) -> Option<SceneJob> {
    let job = match dialog.as_ref()?.try_recv() {
        Ok(job) => job,
        Err(mpsc::TryRecvError::Empty) => return None,
        Err(mpsc::TryRecvError::Disconnected) => SceneJob::Cancelled("the file dialog stopped".into()),
    };
    *dialog = None;
    Some(job)
}

/// A scene file waiting for the model files it names.
pub struct PendingScene {
    path: PathBuf,
    text: String,
    files: Vec<PathBuf>,
    /// When the saves were asked for (a file older than this is an earlier save's).
    asked: SystemTime,
    deadline: Instant,
}

/// Where a pending scene stands.
#[derive(Debug, PartialEq, Eq)]
enum Pending {
    Waiting,
    Ready,
    /// This promised file never came.
    GaveUp(PathBuf),
}

impl PendingScene {
    /// How long the model files may take (a save is a second or two; a worker mid-step adds one step).
    pub const PATIENCE: Duration = Duration::from_mins(1);

    fn new(path: PathBuf, text: String, files: Vec<PathBuf>) -> Self {
        // The file system's clock may lag the system clock by a tick: allow a second.
        let asked = SystemTime::now() - Duration::from_secs(1);
        Self { path, text, files, asked, deadline: Instant::now() + Self::PATIENCE }
    }

    fn state(&self, now: Instant) -> Pending {
        let written = |f: &PathBuf| std::fs::metadata(f).and_then(|m| m.modified()).is_ok_and(|t| t >= self.asked);
        match self.files.iter().find(|f| !written(f)) {
            None => Pending::Ready,
            Some(missing) if now >= self.deadline => Pending::GaveUp(missing.clone()),
            Some(_) => Pending::Waiting,
        }
    }
}

/// A pending scene dialog.
pub type SceneDialog = Option<Receiver<SceneJob>>;

/// A scene file's text (a regular file of at most [`crate::runtime::files::limit::DOCUMENT`]).
fn read_scene(path: &Path) -> Result<String, String> {
    crate::runtime::files::read_text_limited(path, crate::runtime::files::limit::DOCUMENT)
        .map_err(|e| format!("it could not be read ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_scene_waits_for_fresh_files_and_gives_up_at_its_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("s-made.json");
        let pending = PendingScene::new(dir.path().join("s.json"), "{}".into(), vec![model.clone()]);
        assert_eq!(pending.state(Instant::now()), Pending::Waiting);
        std::fs::write(&model, "{}").unwrap();
        assert_eq!(pending.state(Instant::now()), Pending::Ready);
        let stale = PendingScene { asked: SystemTime::now() + Duration::from_mins(1), ..pending };
        assert_eq!(stale.state(Instant::now()), Pending::Waiting, "a file from an earlier save does not count");
        let late = stale.deadline + Duration::from_secs(1);
        assert_eq!(stale.state(late), Pending::GaveUp(model));
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        assert!(parse("{not json").unwrap_err().contains("not valid JSON"));
        assert!(parse(r#"{"format": "something else", "version": 1}"#).unwrap_err().contains("not a latent-lab"));
        let newer = format!(r#"{{"format": "{FORMAT}", "version": 99, "lesson": "", "lessons": {{}}}}"#);
        assert!(parse(&newer).unwrap_err().contains("newer latent-lab"));
        let damaged = format!(r#"{{"format": "{FORMAT}", "version": 1, "lessons": 3}}"#);
        assert!(parse(&damaged).unwrap_err().contains("damaged"));
        let ok = format!(r#"{{"format": "{FORMAT}", "version": 1, "lesson": "Flows", "lessons": {{}}}}"#);
        assert_eq!(parse(&ok).unwrap().lesson, "Flows");
    }
}
