//! Fonts: egui's default font lacks many maths symbols (‖, ∇, ⊙, subscripts …), so `DejaVu Sans` (shipped in
//! `assets/fonts` with its licence) is added as the fallback of every family. Typeset formulas (`viz::math`) use
//! `DejaVu Serif` and its italic, in two families of their own ([`math_family`]).

use eframe::egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
use eframe::egui::{self, FontData, FontFamily};

use super::math::Face;

const DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const DEJAVU_SERIF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSerif.ttf");
const DEJAVU_SERIF_ITALIC: &[u8] = include_bytes!("../../assets/fonts/DejaVuSerif-Italic.ttf");

/// The font family formulas draw text of `face` in.
pub fn math_family(face: Face) -> FontFamily {
    match face {
        Face::Italic => FontFamily::Name("math-italic".into()),
        Face::Upright => FontFamily::Name("math".into()),
    }
}

/// Installs the maths fallback font and the formula fonts on `ctx`.
pub fn install(ctx: &egui::Context) {
    let (italic, upright) = (math_family(Face::Italic), math_family(Face::Upright));
    let last = |families: &[&FontFamily]| {
        families
            .iter()
            .map(|&family| InsertFontFamily { family: family.clone(), priority: FontPriority::Lowest })
            .collect()
    };
    // Each family's fonts in order: the first that has a character draws it.
    ctx.add_font(FontInsert::new("DejaVuSerif-Italic", FontData::from_static(DEJAVU_SERIF_ITALIC), last(&[&italic])));
    ctx.add_font(FontInsert::new("DejaVuSerif", FontData::from_static(DEJAVU_SERIF), last(&[&upright, &italic])));
    let sans = last(&[&FontFamily::Proportional, &FontFamily::Monospace, &upright, &italic]);
    ctx.add_font(FontInsert::new("DejaVuSans", FontData::from_static(DEJAVU_SANS), sans));
}
