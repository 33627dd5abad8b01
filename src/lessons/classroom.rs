//! Classroom view: the controls a lecture stop hides so students see only what the stop is about (as
//! TensorFlow Playground's classroom links do). The app sets the hidden set each frame; lessons ask
//! [`shown`] before drawing a group of controls.

use eframe::egui;

pub use crate::lecture::classroom::Control;

fn hidden_id() -> egui::Id {
    egui::Id::unique("latent-lab/classroom-hidden")
}

/// Set by the app each frame: the controls the lecture stop shown hides (none outside a lecture).
pub fn set_hidden(ctx: &egui::Context, hidden: Vec<Control>) {
    ctx.data_mut(|d| d.insert_temp(hidden_id(), hidden));
}

/// Whether lessons draw `control` now.
pub fn shown(ctx: &egui::Context, control: Control) -> bool {
    ctx.data(|d| d.get_temp::<Vec<Control>>(hidden_id())).is_none_or(|hidden| !hidden.contains(&control))
}

/// Runs `add` unless the stop shown hides `control`.
pub fn unless_hidden<R>(ui: &mut egui::Ui, control: Control, add: impl FnOnce(&mut egui::Ui) -> R) -> Option<R> {
    shown(ui.ctx(), control).then(|| add(ui))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hidden_controls_are_left_out() {
        let ctx = egui::Context::default();
        assert!(Control::ALL.iter().all(|&c| shown(&ctx, c)), "nothing hidden before the app says so");
        set_hidden(&ctx, vec![Control::Seed]);
        assert!(!shown(&ctx, Control::Seed) && shown(&ctx, Control::Training) && shown(&ctx, Control::Files));
        set_hidden(&ctx, Vec::new());
        assert!(shown(&ctx, Control::Seed));
    }
}
