//! Lecture-hall controls of the app: presentation mode, the explanation panel, keyboard shortcuts, the shortcuts
//! window, and the settings eframe remembers between runs.

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers, RichText};
use serde::{Deserialize, Serialize};

use crate::lessons::Lesson;
use crate::lessons::classroom::{self, Control};
use crate::lessons::hall::{self, Explanation};
use crate::pacing::Refresh;

/// Zoom factor of presentation mode (text, plots and images twice as large).
pub const PRESENTATION_ZOOM: f32 = 2.0;

/// eframe storage key of [`Remembered`].
pub const STORAGE_KEY: &str = "latent-lab/hall";

/// What the app remembers between runs (window size and position are remembered by eframe itself).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Remembered {
    /// The tab shown last (by name: tabs may be added or reordered between versions).
    pub lesson: String,
    /// Whether the explanation panel was open.
    pub explain: bool,
    /// Set when the app closed in presentation mode: the zoom to go back to (egui remembers the doubled one).
    pub zoom_before_presentation: Option<f32>,
    /// View ▸ Refresh while training.
    pub refresh: Refresh,
    /// View ▸ Theme.
    pub theme: Theme,
}

/// The look of the window: dark (the default), or light for washed-out projectors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Theme {
    #[default]
    Dark,
    Light,
}

impl Theme {
    pub const CHOICES: [Self; 2] = [Self::Dark, Self::Light];

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Dark => "Dark",
            Self::Light => "Light (for projectors)",
        }
    }

    /// egui's theme.
    #[must_use]
    pub fn egui(self) -> egui::Theme {
        match self {
            Self::Dark => egui::Theme::Dark,
            Self::Light => egui::Theme::Light,
        }
    }
}

/// Something a shortcut, menu item or button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    TogglePresentation,
    ExitPresentation,
    NextLesson,
    PreviousLesson,
    ToggleTraining,
    /// `.` (Shift+`.`: ten): optimiser steps while paused.
    StepTraining(u32),
    ToggleExplanation,
    ToggleControls,
    ToggleHelp,
    SaveScene,
    OpenScene,
    /// Lecture ▸ Start the lecture (the shipped one).
    StartLecture,
    OpenLecture,
    SaveLecture,
    SaveLectureAs,
    LeaveLecture,
    /// Page Down: the next lecture stop (the next lesson outside a lecture).
    NextStop,
    PreviousStop,
    /// View ▸ Refresh while training.
    SetRefresh(Refresh),
    /// View ▸ Slow motion: steps per second of a paused lesson (`None`: off).
    SetSlowMotion(Option<u32>),
    /// View ▸ Theme.
    SetTheme(Theme),
}

/// The shortcuts, as shown in the Help window.
pub const SHORTCUTS: [(&str, &str); 12] = [
    ("F5", "Presentation mode on / off"),
    ("Esc", "Leave presentation mode"),
    ("Page Down", "Next lecture stop (next lesson outside a lecture)"),
    ("Page Up", "Previous lecture stop (previous lesson outside a lecture)"),
    ("Ctrl+→", "Next lesson"),
    ("Ctrl+←", "Previous lesson"),
    ("Space", "Train / Pause (lessons that train)"),
    (".", "One optimiser step while paused (View ▸ Slow motion: by itself)"),
    ("Shift+.", "Ten optimiser steps while paused"),
    ("F1", "Explain this lesson (formula, things to try)"),
    ("F6", "Show / hide the settings in presentation mode"),
    ("F2", "This list of shortcuts"),
];

/// The lecture-hall state of the app (independent switches, hence the bools).
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Default)]
pub struct Hall {
    pub presenting: bool,
    /// Settings panels shown in presentation mode anyway (F6).
    pub show_controls: bool,
    pub explain: bool,
    pub help: bool,
    /// The zoom before presentation mode, restored after it.
    zoom_before: Option<f32>,
    pub theme: Theme,
}

impl Hall {
    /// Applies an action that only concerns the hall state (lesson switching and training are the app's).
    pub fn apply(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::TogglePresentation => self.set_presenting(ctx, !self.presenting),
            Action::ExitPresentation => self.set_presenting(ctx, false),
            Action::ToggleExplanation => self.explain = !self.explain,
            Action::ToggleControls => self.show_controls = !self.show_controls,
            Action::ToggleHelp => self.help = !self.help,
            Action::SetTheme(theme) => self.set_theme(ctx, theme),
            Action::NextLesson
            | Action::PreviousLesson
            | Action::ToggleTraining
            | Action::StepTraining(_)
            | Action::SaveScene
            | Action::OpenScene
            | Action::StartLecture
            | Action::OpenLecture
            | Action::SaveLecture
            | Action::SaveLectureAs
            | Action::LeaveLecture
            | Action::NextStop
            | Action::PreviousStop
            | Action::SetRefresh(_)
            | Action::SetSlowMotion(_) => {}
        }
    }

    /// Sets the window's look (remembered between runs).
    pub fn set_theme(&mut self, ctx: &egui::Context, theme: Theme) {
        self.theme = theme;
        ctx.set_theme(theme.egui());
    }

    /// Presentation mode: twice the zoom, settings panels and the status bar hidden.
    pub fn set_presenting(&mut self, ctx: &egui::Context, on: bool) {
        if on == self.presenting {
            return;
        }
        self.presenting = on;
        self.show_controls = false;
        if on {
            let zoom = ctx.zoom_factor();
            self.zoom_before = Some(zoom);
            ctx.set_zoom_factor(zoom.max(1.0) * PRESENTATION_ZOOM);
        } else {
            ctx.set_zoom_factor(self.zoom_before.take().unwrap_or(1.0));
        }
    }

    /// The zoom before presentation mode, while it is on.
    pub fn zoom_before(&self) -> Option<f32> {
        self.zoom_before
    }

    /// Tells the lessons what to hide this frame: the settings in presentation mode and at a lecture stop that
    /// hides them (`classroom`), and the controls the stop hides (`hidden`), unless F6 shows them.
    pub fn publish(&self, ctx: &egui::Context, classroom: bool, hidden: Vec<Control>) {
        hall::set_controls_hidden(ctx, (self.presenting || classroom) && !self.show_controls);
        classroom::set_hidden(ctx, if self.show_controls { Vec::new() } else { hidden });
        hall::set_explanation_shown(ctx, self.explain);
    }
}

/// Reads this frame's shortcuts, before any widget runs (the keys are consumed). Keys a text field needs (Space,
/// Ctrl+arrows, Esc) are left to it. Space means Train / Pause even when a button has the focus after a click (a
/// focused button is pressed with Enter).
pub fn read_shortcuts(ctx: &egui::Context, presenting: bool) -> Vec<Action> {
    let typing = ctx.egui_wants_keyboard_input();
    let mut actions = Vec::new();
    ctx.input_mut(|i| {
        let mut take = |key: Key, mods: Modifiers| i.consume_shortcut(&KeyboardShortcut::new(mods, key));
        if take(Key::F5, Modifiers::NONE) {
            actions.push(Action::TogglePresentation);
        }
        if presenting && !typing && take(Key::Escape, Modifiers::NONE) {
            actions.push(Action::ExitPresentation);
        }
        if take(Key::F1, Modifiers::NONE) {
            actions.push(Action::ToggleExplanation);
        }
        if take(Key::F2, Modifiers::NONE) {
            actions.push(Action::ToggleHelp);
        }
        if take(Key::F6, Modifiers::NONE) {
            actions.push(Action::ToggleControls);
        }
        if take(Key::PageDown, Modifiers::NONE) {
            actions.push(Action::NextStop);
        }
        if take(Key::PageUp, Modifiers::NONE) {
            actions.push(Action::PreviousStop);
        }
        if !typing && take(Key::ArrowRight, Modifiers::COMMAND) {
            actions.push(Action::NextLesson);
        }
        if !typing && take(Key::ArrowLeft, Modifiers::COMMAND) {
            actions.push(Action::PreviousLesson);
        }
        if !typing && take(Key::Space, Modifiers::NONE) {
            actions.push(Action::ToggleTraining);
        }
        if !typing && take(Key::Period, Modifiers::SHIFT) {
            actions.push(Action::StepTraining(10));
        }
        if !typing && take(Key::Period, Modifiers::NONE) {
            actions.push(Action::StepTraining(1));
        }
    });
    actions
}

/// The top bar in presentation mode: previous / lesson / next, the explanation and settings toggles, and the way
/// out. Fits 1280×720 at twice the zoom.
pub fn presentation_bar(
    ui: &mut egui::Ui,
    hall: &Hall,
    lessons: &[Box<dyn Lesson>],
    selected: &mut usize,
    actions: &mut Vec<Action>,
) {
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Lesson");
        if ui.button("◀").on_hover_text("Previous lesson (Ctrl+←; Page Up outside a lecture)").clicked() {
            actions.push(Action::PreviousLesson);
        }
        let current = lessons.get(*selected).map_or("", |l| l.name());
        egui::ComboBox::from_id_salt("presentation-lesson")
            .selected_text(current)
            .show_ui(ui, |ui| {
                for (i, lesson) in lessons.iter().enumerate() {
                    ui.selectable_value(selected, i, lesson.name());
                }
            })
            .response
            .labelled_by(label.id);
        if ui.button("▶").on_hover_text("Next lesson (Ctrl+→; Page Down outside a lecture)").clicked() {
            actions.push(Action::NextLesson);
        }
        ui.separator();
        if ui.selectable_label(hall.explain, "Explain").on_hover_text("F1").clicked() {
            actions.push(Action::ToggleExplanation);
        }
        if ui.selectable_label(hall.show_controls, "Settings").on_hover_text("F6").clicked() {
            actions.push(Action::ToggleControls);
        }
        if ui.button("Exit presentation").on_hover_text("Esc or F5").clicked() {
            actions.push(Action::ExitPresentation);
        }
    });
}

/// The "File" menu: scenes.
pub fn file_menu(ui: &mut egui::Ui, busy: bool, actions: &mut Vec<Action>) {
    ui.menu_button("File", |ui| {
        if ui.add_enabled(!busy, egui::Button::new("Save scene…")).clicked() {
            actions.push(Action::SaveScene);
        }
        if ui.add_enabled(!busy, egui::Button::new("Open scene…")).clicked() {
            actions.push(Action::OpenScene);
        }
    });
}

/// The "Lecture" menu: the shipped lecture, lecture files.
pub fn lecture_menu(ui: &mut egui::Ui, active: bool, actions: &mut Vec<Action>) {
    ui.menu_button("Lecture", |ui| {
        if ui
            .button("Start the lecture")
            .on_hover_text("\"Deep generative models: VAEs and beyond\", stop by stop, from trained models")
            .clicked()
        {
            actions.push(Action::StartLecture);
        }
        if ui.button("Open lecture…").clicked() {
            actions.push(Action::OpenLecture);
        }
        if ui.add_enabled(active, egui::Button::new("Save lecture as…")).clicked() {
            actions.push(Action::SaveLectureAs);
        }
        if ui.add_enabled(active, egui::Button::new("Leave the lecture")).clicked() {
            actions.push(Action::LeaveLecture);
        }
    });
}

/// The "View" menu and the "Explain this lesson" toggle of the normal top bar.
pub fn view_menu(ui: &mut egui::Ui, hall: &Hall, (refresh, slow): (Refresh, Option<u32>), actions: &mut Vec<Action>) {
    let theme = hall.theme;
    ui.menu_button("View", |ui| {
        if ui.button("Presentation mode (F5)").clicked() {
            actions.push(Action::TogglePresentation);
        }
        if ui.button("Next lesson (Ctrl+→)").clicked() {
            actions.push(Action::NextLesson);
        }
        if ui.button("Previous lesson (Ctrl+←)").clicked() {
            actions.push(Action::PreviousLesson);
        }
        if ui.button("Keyboard shortcuts (F2)").clicked() {
            actions.push(Action::ToggleHelp);
        }
        ui.menu_button("Theme", |ui| {
            for choice in Theme::CHOICES {
                if ui.radio(theme == choice, choice.label()).clicked() {
                    actions.push(Action::SetTheme(choice));
                }
            }
        });
        ui.menu_button("Refresh while training", |ui| {
            ui.label("Without a GPU, every frame costs the models CPU time.");
            for choice in Refresh::CHOICES {
                if ui.radio(refresh == choice, choice.label()).clicked() {
                    actions.push(Action::SetRefresh(choice));
                }
            }
        });
        ui.menu_button("Slow motion", |ui| {
            ui.label("A paused lesson takes one optimiser step at a time by itself (as pressing '.').");
            for choice in super::slow_motion::CHOICES {
                if ui.radio(slow == choice, super::slow_motion::SlowMotion::label(choice)).clicked() {
                    actions.push(Action::SetSlowMotion(choice));
                }
            }
        });
    });
    if ui.selectable_label(hall.explain, "Explain this lesson").on_hover_text("F1").clicked() {
        actions.push(Action::ToggleExplanation);
    }
    if ui.button("Present").on_hover_text("Presentation mode (F5)").clicked() {
        actions.push(Action::TogglePresentation);
    }
}

/// The explanation panel at the bottom of the window.
pub fn explanation_panel(ui: &mut egui::Ui, name: &str, explanation: Option<Explanation>) {
    egui::Panel::bottom("explanation").resizable(true).default_size(190.0).show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| match explanation {
            Some(e) => hall::show_explanation(ui, name, &e),
            None => {
                ui.label(format!("{name}: no explanation for this lesson yet."));
            }
        });
    });
}

/// The keyboard shortcuts window (F2 or View → Keyboard shortcuts).
pub fn help_window(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Keyboard shortcuts").open(open).collapsible(false).resizable(false).show(ctx, |ui| {
        egui::Grid::new("shortcuts").num_columns(2).striped(true).show(ui, |ui| {
            for (keys, what) in SHORTCUTS {
                ui.label(RichText::new(keys).monospace().strong());
                ui.label(what);
                ui.end_row();
            }
        });
    });
}

/// The index after `selected` moved by `step` tabs, wrapping around.
pub fn step_lesson(selected: usize, count: usize, step: isize) -> usize {
    if count == 0 {
        return 0;
    }
    (selected as isize + step).rem_euclid(count as isize) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lesson_steps_wrap_around() {
        assert_eq!(step_lesson(0, 8, -1), 7);
        assert_eq!(step_lesson(7, 8, 1), 0);
        assert_eq!(step_lesson(3, 8, 1), 4);
        assert_eq!(step_lesson(0, 0, 1), 0);
    }

    #[test]
    fn remembered_settings_tolerate_missing_fields() {
        let r: Remembered = serde_json::from_str(r#"{"lesson":"Flows"}"#).unwrap();
        assert_eq!(r, Remembered { lesson: "Flows".into(), ..Remembered::default() });
    }
}
