//! Small egui helpers the lessons share.

use eframe::egui::{self, ColorImage, TextureHandle, TextureId, TextureOptions};
use egui_plot::{Corner, Legend, Plot};

/// Puts `image` into the texture in `slot`, creating it on first use; returns its id. An image wider or taller
/// than the GPU takes (a grid of wide images from another dataset) is shrunk to fit first; it is shown at its
/// widget's size anyway.
pub fn upload(
    slot: &mut Option<TextureHandle>,
    ctx: &egui::Context,
    name: &str,
    image: ColorImage,
    options: TextureOptions,
) -> TextureId {
    let image = fit_to_side(image, ctx.input(|i| i.max_texture_side));
    match slot {
        Some(t) => t.set(image, options),
        None => *slot = Some(ctx.load_texture(name, image, options)),
    }
    slot.as_ref().map_or_else(TextureId::default, TextureHandle::id)
}

/// `image` shrunk by the smallest whole factor that makes both sides at most `max_side` (each pixel the mean of
/// its block), or unchanged if it fits.
pub fn fit_to_side(image: ColorImage, max_side: usize) -> ColorImage {
    let [width, height] = image.size;
    let max_side = max_side.max(1);
    if width <= max_side && height <= max_side {
        return image;
    }
    let factor = width.max(height).div_ceil(max_side);
    let size = [width.div_ceil(factor), height.div_ceil(factor)];
    let mut pixels = Vec::with_capacity(size[0] * size[1]);
    for row in 0..size[1] {
        for col in 0..size[0] {
            let (mut sum, mut count) = ([0_u32; 4], 0_u32);
            for y in row * factor..((row + 1) * factor).min(height) {
                for x in col * factor..((col + 1) * factor).min(width) {
                    for (total, channel) in sum.iter_mut().zip(image.pixels[y * width + x].to_array()) {
                        *total += u32::from(channel);
                    }
                    count += 1;
                }
            }
            let [r, g, b, a] = sum.map(|total| u8::try_from(total / count.max(1)).unwrap_or(u8::MAX));
            pixels.push(egui::Color32::from_rgba_premultiplied(r, g, b, a));
        }
    }
    ColorImage::new(size, pixels)
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

/// Tiles `images` (each `rows × cols`, values in [0, 1]) `per_row` to a row, `gap` dark pixels apart.
pub fn tile(images: &[Vec<f32>], rows: usize, cols: usize, per_row: usize, gap: usize) -> egui::ColorImage {
    let per_row = per_row.max(1);
    let grid_rows = images.len().div_ceil(per_row).max(1);
    let w = per_row * cols + (per_row - 1) * gap;
    let h = grid_rows * rows + (grid_rows - 1) * gap;
    let mut gray = vec![40u8; w * h];
    for (k, img) in images.iter().enumerate() {
        let (gi, gj) = (k / per_row, k % per_row);
        let (y0, x0) = (gi * (rows + gap), gj * (cols + gap));
        for r in 0..rows {
            for c in 0..cols {
                let v = img.get(r * cols + c).copied().unwrap_or(0.0);
                gray[(y0 + r) * w + x0 + c] = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            }
        }
    }
    egui::ColorImage::from_gray([w, h], &gray)
}

/// A note in the middle of an empty plot (e.g. a model loaded from a file, whose training curve was not saved), so
/// the room sees why the axes are empty.
pub fn plot_note(plot_ui: &mut egui_plot::PlotUi<'_>, note: &str, color: egui::Color32) {
    let text = egui::RichText::new(note).size(15.0).color(color);
    plot_ui.text(egui_plot::Text::new("", egui_plot::PlotPoint::new(0.0, 0.0), text));
}

#[cfg(test)]
mod tests {
    use super::*;
    use eframe::egui::Color32;

    #[test]
    fn images_wider_than_the_gpu_takes_shrink_to_fit_and_others_stay() {
        let small = ColorImage::new([4, 3], vec![Color32::RED; 12]);
        assert_eq!(fit_to_side(small.clone(), 4), small);
        // 10 × 3 into sides of at most 4: factor 3 → 4 × 1, each pixel the mean of its block.
        let pixels = (0..30).map(|i| Color32::from_gray(if i % 10 < 3 { 90 } else { 30 })).collect();
        let fitted = fit_to_side(ColorImage::new([10, 3], pixels), 4);
        assert_eq!(fitted.size, [4, 1]);
        assert_eq!(fitted.pixels[0], Color32::from_gray(90));
        assert_eq!(fitted.pixels[1], Color32::from_gray(30));
        assert_eq!(fitted.pixels[3], Color32::from_gray(30), "the last, partial block averages what it has");
    }
}
