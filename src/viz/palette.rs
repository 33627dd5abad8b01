//! Colours for classes (a qualitative palette readable on both dark and light backgrounds) and for the marks that
//! follow the theme.

use eframe::egui::Color32;

/// Matplotlib's "tab10", the colours students already know from lecture slides.
const TAB10: [Color32; 10] = [
    Color32::from_rgb(31, 119, 180),
    Color32::from_rgb(255, 127, 14),
    Color32::from_rgb(44, 160, 44),
    Color32::from_rgb(214, 39, 40),
    Color32::from_rgb(148, 103, 189),
    Color32::from_rgb(140, 86, 75),
    Color32::from_rgb(227, 119, 194),
    Color32::from_rgb(127, 127, 127),
    Color32::from_rgb(188, 189, 34),
    Color32::from_rgb(23, 190, 207),
];

/// The strongest mark on a plot (a marker, the current step, a path): white in the dark theme, near-black in the
/// light one.
#[must_use]
pub fn ink(ctx: &eframe::egui::Context) -> Color32 {
    if is_light(ctx) { Color32::from_gray(20) } else { Color32::WHITE }
}

/// Data points under everything else: light grey in the dark theme, mid grey in the light one.
#[must_use]
pub fn points_ink(ctx: &eframe::egui::Context) -> Color32 {
    if is_light(ctx) { Color32::from_gray(95) } else { Color32::from_gray(220) }
}

/// Whether the window has the light theme (cached pictures keep this in their key).
#[must_use]
pub fn is_light(ctx: &eframe::egui::Context) -> bool {
    ctx.theme() == eframe::egui::Theme::Light
}

/// Colour of class `label`; classes past ten cycle with a golden-angle hue walk so neighbours stay distinct.
pub fn class_color(label: usize) -> Color32 {
    if let Some(&c) = TAB10.get(label) {
        return c;
    }
    let hue = (label as f32 * 0.618_034).fract();
    let rgb = eframe::egui::ecolor::Hsva::new(hue, 0.75, 0.9, 1.0).to_srgb();
    Color32::from_rgb(rgb[0], rgb[1], rgb[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_ten_classes_are_distinct() {
        for a in 0..10 {
            for b in 0..a {
                assert_ne!(class_color(a), class_color(b));
            }
        }
        assert_ne!(class_color(10), class_color(11));
    }
}
