//! Lecture mode: walks the stops of a lecture file (`crate::lecture`). Each stop shows its tab and opens its
//! scene (a scene file and/or scene parts written inline), all or nothing like File ▸ Open scene; a part the
//! stop before had too is not applied again, so the stops of one lesson keep what was trained there.
//! Page Down / Page Up (what a clicker sends) step through the stops. The stops can be edited in the window and
//! the lecture saved with the files it needs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use eframe::egui::{self, RichText};

use super::LatentLabApp;
use super::hall::Action;
use super::scene::{self, SceneFile};
use crate::lecture::{self, Lecture, Stop};
use crate::lessons::classroom::Control;
use crate::runtime::files;
use crate::viz::export::{self, Done};

/// The lecture being given.
pub struct LectureRun {
    pub lecture: Lecture,
    /// The lecture file (for the shipped lecture, its copy in the cache folder).
    path: PathBuf,
    /// The shipped lecture: saving asks for a new place.
    shipped: bool,
    index: usize,
    /// The scene parts of the stop shown. The next stop applies only the parts that differ, so consecutive stops
    /// of one lesson keep what was trained or explored there; a lesson another stop changed in between (two tabs
    /// share the trainer) gets its part again.
    applied: BTreeMap<String, serde_json::Value>,
    /// The stop editor is open.
    editing: bool,
    /// Whether the stops were edited since the lecture was opened or saved.
    edits: Edits,
    /// The lecturer's notes ("what to show") are shown in presentation mode too.
    notes: bool,
}

/// Edits to the stops not yet saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edits {
    Saved,
    Unsaved,
    /// "Leave lecture" was pressed with unsaved edits: the bar asks first.
    AskingToLeave,
}

impl LectureRun {
    fn new(lecture: Lecture, path: PathBuf, shipped: bool) -> Self {
        Self {
            lecture,
            path,
            shipped,
            index: 0,
            applied: BTreeMap::new(),
            editing: false,
            edits: Edits::Saved,
            notes: false,
        }
    }

    /// The stop shown.
    pub fn stop(&self) -> Option<&Stop> {
        self.lecture.stops.get(self.index)
    }

    /// Its index.
    pub fn index(&self) -> usize {
        self.index
    }

    fn dir(&self) -> PathBuf {
        files::folder_of(&self.path).to_path_buf()
    }
}

impl LatentLabApp {
    /// The lecture being given, if any.
    pub fn lecture(&self) -> Option<&LectureRun> {
        self.lecture.as_ref()
    }

    /// Whether the stop shown hides the lessons' settings (classroom view).
    pub(super) fn classroom(&self) -> bool {
        self.lecture.as_ref().and_then(LectureRun::stop).is_some_and(|s| s.hide_settings)
    }

    /// The controls the stop shown hides (none outside a lecture).
    pub(super) fn hidden_controls(&self) -> Vec<Control> {
        let stop = self.lecture.as_ref().and_then(LectureRun::stop);
        stop.map(|s| s.hide.iter().filter_map(|key| Control::from_key(key)).collect()).unwrap_or_default()
    }

    /// Starts the shipped lecture ("Deep generative models: VAEs and beyond") at its first stop.
    pub fn start_shipped_lecture(&mut self) {
        match lecture::shipped::extract() {
            Ok(path) => self.open_lecture_text(&path, Ok(lecture::shipped::lecture_text().to_owned()), true),
            Err(e) => {
                self.error = Some(format!(
                    "Could not start the lecture: its files could not be written to {} ({e}).",
                    lecture::shipped::folder().display()
                ));
            }
        }
    }

    /// Opens a lecture file at its first stop (a bad file changes nothing and says why).
    pub fn open_lecture(&mut self, path: &Path) {
        let text =
            files::read_text_limited(path, files::limit::DOCUMENT).map_err(|e| format!("it could not be read ({e})"));
        self.open_lecture_text(path, text, false);
    }

    pub(super) fn open_lecture_text(&mut self, path: &Path, text: Result<String, String>, shipped: bool) {
        let names = crate::lessons::names();
        match text.and_then(|t| lecture::parse(&t, &names).map_err(|e| e.to_string())) {
            Ok(lecture) => {
                self.error = None;
                self.notice = Some(format!(
                    "Lecture \"{}\": {} stops. Page Down / Page Up (or a clicker) step through them.",
                    lecture.title,
                    lecture.stops.len()
                ));
                self.lecture = Some(LectureRun::new(lecture, path.to_owned(), shipped));
                self.show_stop(0);
            }
            Err(e) => {
                let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into());
                self.error = Some(format!("Could not open the lecture {name}: {e}. Nothing was changed."));
            }
        }
    }

    /// Shows stop `index` (clamped): its tab, and its scene parts not yet applied.
    pub fn show_stop(&mut self, index: usize) {
        let Some(run) = &mut self.lecture else { return };
        run.index = index.min(run.lecture.stops.len().saturating_sub(1));
        if run.edits == Edits::AskingToLeave {
            run.edits = Edits::Unsaved;
        }
        let Some(stop) = run.stop().cloned() else { return };
        let dir = run.dir();
        let number = run.index + 1;
        self.hall.show_controls = false;
        if stop.explain {
            self.hall.explain = true;
        }
        let mut parts = BTreeMap::new();
        if let Some(file) = &stop.scene {
            let text = files::read_text_limited(&dir.join(file), files::limit::DOCUMENT)
                .map_err(|e| format!("it could not be read ({e})"));
            match text.and_then(|t| scene::parse(&t)) {
                Ok(s) => parts.extend(s.lessons),
                Err(e) => {
                    self.select_lesson(&stop.lesson);
                    self.error = Some(format!("Stop {number}: its scene {file} could not be opened: {e}."));
                    return;
                }
            }
        }
        parts.extend(stop.lessons.clone());
        let before = self.lecture.as_mut().map(|r| std::mem::take(&mut r.applied)).unwrap_or_default();
        let fresh = parts.iter().filter(|(name, part)| before.get(*name) != Some(*part));
        let lessons = fresh.map(|(name, part)| (name.clone(), part.clone())).collect();
        let scene = SceneFile { format: scene::FORMAT.into(), version: scene::VERSION, lesson: stop.lesson, lessons };
        match self.apply_scene_file(&scene, &dir) {
            Ok(_) => {
                if let Some(run) = &mut self.lecture {
                    run.applied = parts;
                }
            }
            Err(e) => {
                // The tabs are as they were, so the parts applied before still describe them.
                if let Some(run) = &mut self.lecture {
                    run.applied = before;
                }
                self.select_lesson(&scene.lesson);
                self.error = Some(format!(
                    "Stop {number} (\"{}\") could not set up its tabs: {e}. They are as they were.",
                    stop.title
                ));
            }
        }
    }

    /// Ends lecture mode (the tabs keep their state).
    pub fn leave_lecture(&mut self) {
        self.lecture = None;
    }

    /// Carries out a lecture action.
    pub(super) fn apply_lecture_action(&mut self, ctx: &egui::Context, action: Action) {
        let index = self.lecture.as_ref().map_or(0, LectureRun::index);
        match action {
            Action::StartLecture => self.start_shipped_lecture(),
            Action::OpenLecture => self.start_lecture_dialog(ctx, false),
            Action::SaveLecture => self.save_lecture(ctx),
            Action::SaveLectureAs => self.start_lecture_dialog(ctx, true),
            Action::LeaveLecture => self.leave_lecture(),
            Action::NextStop => match &self.lecture {
                Some(run) => self.show_stop(run.lecture.next(index)),
                None => self.apply_actions(ctx, &[Action::NextLesson]),
            },
            Action::PreviousStop => match &self.lecture {
                Some(_) => self.show_stop(Lecture::previous(index)),
                None => self.apply_actions(ctx, &[Action::PreviousLesson]),
            },
            _ => {}
        }
    }

    /// Adds the view as it is now (every tab's scene, with its trained models) as a new stop after this one.
    pub fn add_view_as_stop(&mut self) {
        if self.pending_scene.is_some() {
            self.error = Some("A scene is still being saved: add the stop again in a moment.".into());
            return;
        }
        let Some(run) = &self.lecture else { return };
        let dir = run.dir();
        let stem = run.path.file_stem().map_or_else(|| "lecture".to_owned(), |s| s.to_string_lossy().into_owned());
        let used: Vec<&str> = run.lecture.stops.iter().filter_map(|s| s.scene.as_deref()).collect();
        let Some(name) = (1..10_000)
            .map(|k| format!("{stem}-stop-{k}.json"))
            .find(|n| !used.contains(&n.as_str()) && !dir.join(n).exists())
        else {
            return;
        };
        if let Err(e) = self.save_scene_to(&dir.join(&name)) {
            self.error = Some(format!("The stop was not added: {e}"));
            return;
        }
        let lesson = self.selected_lesson().to_owned();
        if let Some(run) = &mut self.lecture {
            let mut stop = Stop::new(&format!("{lesson}: my stop"), &lesson);
            stop.part = run.stop().map(|s| s.part.clone()).unwrap_or_default();
            stop.scene = Some(name);
            run.index = run.lecture.insert_after(run.index, stop);
            run.edits = Edits::Unsaved;
            run.editing = true;
        }
    }

    /// Saves the lecture in place, or asks where when it is the shipped one.
    fn save_lecture(&mut self, ctx: &egui::Context) {
        match &self.lecture {
            Some(run) if !run.shipped => {
                let path = run.path.clone();
                self.save_lecture_to(ctx, path);
            }
            Some(_) => self.start_lecture_dialog(ctx, true),
            None => {}
        }
    }

    /// Writes the lecture to `target` on a helper thread, with copies of the scene and model files its stops
    /// need when `target` is in another folder (a scene's model files are the `.bpk`/`.json` names it holds).
    pub fn save_lecture_to(&mut self, ctx: &egui::Context, target: PathBuf) {
        if self.pending_scene.is_some() {
            self.error = Some("A stop's models are still being written: save the lecture again in a moment.".into());
            return;
        }
        let Some(run) = &mut self.lecture else { return };
        let from = run.dir();
        let to = files::folder_of(&target).to_path_buf();
        let same_folder = std::fs::canonicalize(&from).ok() == std::fs::canonicalize(&to).ok();
        let scenes: Vec<String> = run.lecture.stops.iter().filter_map(|s| s.scene.clone()).collect();
        let inline: Vec<String> =
            run.lecture.stops.iter().flat_map(|s| s.lessons.values().flat_map(lecture::referenced_files)).collect();
        let json = run.lecture.to_json();
        run.path.clone_from(&target);
        run.shipped = false;
        run.edits = Edits::Saved;
        export::run_job(ctx, move || {
            let copied = if same_folder { Ok(0) } else { copy_lecture_files(&from, &to, &scenes, inline) };
            match copied.and_then(|n| {
                files::write_atomic(&target, json.as_bytes()).map_err(|e| format!("{}: {e}", target.display()))?;
                Ok(n)
            }) {
                Ok(0) => Done::Saved(format!("Saved the lecture {}", target.display())),
                Ok(n) => {
                    Done::Saved(format!("Saved the lecture {} with the {n} files its stops need", target.display()))
                }
                Err(e) => Done::Failed(format!("The lecture was not saved: could not write {e}")),
            }
        });
    }

    /// Starts the open / save-as dialog for lecture files on a helper thread.
    fn start_lecture_dialog(&mut self, ctx: &egui::Context, save: bool) {
        let filter = ("latent-lab lecture", "json");
        self.lecture_job = Some(if save {
            scene::file_dialog(ctx, "Save the lecture", filter, Some("lecture.json"))
        } else {
            scene::file_dialog(ctx, "Open a lecture", filter, None)
        });
    }

    /// Takes a finished lecture dialog's result.
    pub(super) fn poll_lecture_job(&mut self, ctx: &egui::Context) {
        let Some(job) = scene::take_job(&mut self.lecture_job) else { return };
        match job {
            scene::SceneJob::SaveTo(path) => self.save_lecture_to(ctx, path),
            scene::SceneJob::Opened(path, text) => self.open_lecture_text(&path, text, false),
            scene::SceneJob::Cancelled(msg) => self.notice = Some(msg),
        }
    }

    /// The lecture bar under the tabs: previous / the stop list / next, the stop's title, statement and notes,
    /// and the stop editor.
    pub(super) fn lecture_panel(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let presenting = self.hall.presenting;
        let pending = self.pending_scene.is_some();
        let Some(run) = &mut self.lecture else { return };
        let mut jump = None;
        let mut add_view = false;
        egui::Panel::top("lecture").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                if ui.button("◀ Previous").on_hover_text("Previous stop (Page Up)").clicked() {
                    actions.push(Action::PreviousStop);
                }
                let current = run.stop().map_or_else(String::new, |s| s.title.clone());
                let label = ui.label("Stop");
                egui::ComboBox::from_id_salt("lecture-stops")
                    .selected_text(format!("{}: {current}", run.lecture.progress(run.index)))
                    .height(600.0)
                    .show_ui(ui, |ui| {
                        let mut part = None;
                        for (i, stop) in run.lecture.stops.iter().enumerate() {
                            if part != Some(&stop.part) && !stop.part.is_empty() {
                                ui.label(RichText::new(&stop.part).strong());
                            }
                            part = Some(&stop.part);
                            if ui.selectable_label(i == run.index, format!("{}. {}", i + 1, stop.title)).clicked() {
                                jump = Some(i);
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if ui.button("Next ▶").on_hover_text("Next stop (Page Down)").clicked() {
                    actions.push(Action::NextStop);
                }
                ui.separator();
                if presenting {
                    ui.toggle_value(&mut run.notes, "Notes").on_hover_text("What to show at this stop");
                } else {
                    ui.toggle_value(&mut run.editing, "Edit stops");
                }
                if run.edits == Edits::AskingToLeave {
                    ui.colored_label(ui.visuals().warn_fg_color, "Unsaved changes to the stops:");
                    if ui.button("Save lecture as…").clicked() {
                        actions.push(Action::SaveLectureAs);
                    }
                    if ui.button("Leave without saving").clicked() {
                        actions.push(Action::LeaveLecture);
                    }
                } else if ui.button("Leave lecture").clicked() {
                    if run.edits == Edits::Unsaved {
                        run.edits = Edits::AskingToLeave;
                    } else {
                        actions.push(Action::LeaveLecture);
                    }
                }
            });
            if let Some(stop) = run.lecture.stops.get(run.index) {
                if !stop.part.is_empty() && !presenting {
                    ui.weak(&stop.part);
                }
                ui.label(RichText::new(&stop.title).heading().strong());
                if !stop.formula.trim().is_empty() {
                    crate::viz::math::formula_lines(ui, &stop.formula, 20.0);
                }
                if !stop.statement.is_empty() {
                    ui.label(RichText::new(&stop.statement).size(16.0));
                }
                if !stop.show.is_empty() && (!presenting || run.notes) {
                    ui.label(RichText::new(format!("Show: {}", stop.show)).weak());
                }
            }
            if run.editing && !presenting {
                ui.separator();
                add_view = stop_editor(ui, run, pending, actions);
            }
        });
        if let Some(i) = jump {
            self.show_stop(i);
        }
        if add_view {
            self.add_view_as_stop();
        }
    }
}

/// The editor of the stop shown; returns whether "Add this view as a stop" was pressed.
fn stop_editor(ui: &mut egui::Ui, run: &mut LectureRun, pending: bool, actions: &mut Vec<Action>) -> bool {
    let mut add = false;
    let index = run.index;
    let (shipped, stops, edited) = (run.shipped, run.lecture.stops.len(), run.edits != Edits::Saved);
    let Some(stop) = run.lecture.stops.get_mut(index) else { return false };
    let mut changed = false;
    egui::Grid::new("stop-editor").num_columns(2).show(ui, |ui| {
        for (label, text, lines) in [
            ("Title", &mut stop.title, 1),
            ("Part", &mut stop.part, 1),
            ("Formula (TeX)", &mut stop.formula, 2),
            ("Statement", &mut stop.statement, 2),
            ("What to show", &mut stop.show, 2),
        ] {
            let l = ui.label(label);
            let edit = egui::TextEdit::multiline(text).desired_rows(lines).desired_width(f32::INFINITY);
            changed |= ui.add(edit).labelled_by(l.id).changed();
            ui.end_row();
        }
    });
    let (mut earlier, mut later, mut remove) = (false, false, false);
    ui.horizontal_wrapped(|ui| {
        changed |= ui.checkbox(&mut stop.hide_settings, "Hide the settings (classroom view)").changed();
        for control in Control::ALL {
            let mut hide = stop.hide.iter().any(|key| key == control.key());
            if ui.checkbox(&mut hide, format!("Hide the {}", control.label().to_lowercase())).changed() {
                stop.hide.retain(|key| key != control.key());
                if hide {
                    stop.hide.push(control.key().to_owned());
                }
                changed = true;
            }
        }
        changed |= ui.checkbox(&mut stop.explain, "Open the explanation").changed();
        ui.separator();
        let add_button = ui
            .add_enabled(!pending, egui::Button::new("Add this view as a stop"))
            .on_hover_text("A new stop after this one: every tab as it is now, with its trained models");
        add = add_button.clicked();
        earlier = ui.button("Move earlier").clicked();
        later = ui.button("Move later").clicked();
        remove = ui.add_enabled(stops > 1, egui::Button::new("Remove this stop")).clicked();
        ui.separator();
        if !shipped && ui.button("Save lecture").clicked() {
            actions.push(Action::SaveLecture);
        }
        if ui.button("Save lecture as…").clicked() {
            actions.push(Action::SaveLectureAs);
        }
        if edited || changed {
            ui.weak(if shipped { "edited (the shipped lecture is saved as a copy)" } else { "edited" });
        }
    });
    if earlier || later {
        run.index = run.lecture.move_stop(index, earlier);
        changed = true;
    }
    if remove {
        run.index = run.lecture.remove(index);
        changed = true;
    }
    if changed {
        run.edits = Edits::Unsaved;
    }
    add
}

/// Copies the files the stops need from `from` to `to`: each stop's scene file, the model files it and the
/// inline parts name (relative names only; a `.bpk` comes with its `.json`). Returns how many were copied.
fn copy_lecture_files(from: &Path, to: &Path, scenes: &[String], inline: Vec<String>) -> Result<usize, String> {
    let mut names = inline;
    for scene in scenes {
        names.push(scene.clone());
        let text = files::read_text_limited(&from.join(scene), files::limit::DOCUMENT)
            .map_err(|e| format!("{}: {e}", from.join(scene).display()))?;
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
            names.extend(value.get("lessons").map(lecture::referenced_files).unwrap_or_default());
        }
    }
    names.sort();
    names.dedup();
    let mut copied = 0;
    for name in names.iter().filter(|n| lecture::is_plain_reference(n)) {
        let source = from.join(name);
        if !source.is_file() {
            continue;
        }
        let bytes =
            files::read_limited(&source, files::limit::MODEL).map_err(|e| format!("{}: {e}", source.display()))?;
        files::write_atomic(&to.join(name), &bytes).map_err(|e| format!("{}: {e}", to.join(name).display()))?;
        copied += 1;
    }
    Ok(copied)
}
