//! Fonts: egui's default font lacks many maths symbols (‖, ∇, ⊙, subscripts …), so `DejaVu Sans` (shipped in
//! `assets/fonts` with its licence) is added as the fallback of every family.

use eframe::egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
use eframe::egui::{self, FontData, FontFamily};

const DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Installs the maths fallback font on `ctx`.
pub fn install(ctx: &egui::Context) {
    let families = [FontFamily::Proportional, FontFamily::Monospace]
        .into_iter()
        .map(|family| InsertFontFamily { family, priority: FontPriority::Lowest })
        .collect();
    ctx.add_font(FontInsert::new("DejaVuSans", FontData::from_static(DEJAVU_SANS), families));
}
