//! Small egui helpers the lessons share.

use eframe::egui::{self, ColorImage, TextureHandle, TextureId, TextureOptions};
use egui_plot::{Corner, Legend, Plot};

/// Puts `image` into the texture in `slot`, creating it on first use; returns its id.
pub fn upload(
    slot: &mut Option<TextureHandle>,
    ctx: &egui::Context,
    name: &str,
    image: ColorImage,
    options: TextureOptions,
) -> TextureId {
    match slot {
        Some(t) => t.set(image, options),
        None => *slot = Some(ctx.load_texture(name, image, options)),
    }
    slot.as_ref().map_or_else(TextureId::default, TextureHandle::id)
}

/// A texture cached by a key (redrawn only when the key changes).
#[derive(Default)]
pub struct CachedImage<K> {
    key: Option<K>,
    texture: Option<TextureHandle>,
}

impl<K: PartialEq> CachedImage<K> {
    pub fn get(&mut self, ctx: &egui::Context, name: &str, key: K, draw: impl FnOnce() -> ColorImage) -> TextureId {
        if self.key.as_ref() != Some(&key) || self.texture.is_none() {
            upload(&mut self.texture, ctx, name, draw(), TextureOptions::LINEAR);
            self.key = Some(key);
        }
        self.texture.as_ref().map_or_else(TextureId::default, TextureHandle::id)
    }
}

/// A plot with equal axis scales whose bounds the lesson sets itself (no panning or zooming by the mouse, which
/// the lessons use for their own interactions), with a legend in `corner` and room for a title above it.
pub fn fixed_square_plot<'a>(
    id: impl std::hash::Hash + std::fmt::Debug,
    size: egui::Vec2,
    corner: Corner,
    axes: [&str; 2],
) -> Plot<'a> {
    Plot::new(id)
        .legend(Legend::default().position(corner))
        .width(size.x)
        .height(size.y - 24.0)
        .data_aspect(1.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_double_click_reset(false)
        .x_axis_label(axes[0].to_owned())
        .y_axis_label(axes[1].to_owned())
}
