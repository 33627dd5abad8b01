//! The one way the command line writes pictures: a grid of grey images, a scatter of 2-D points, a signal's curve.
//! Each is encoded in memory and written atomically (`files::write_atomic`), so an existing picture is replaced
//! whole or not at all.

use std::path::Path;

use image::{GrayImage, ImageEncoder, Luma, Rgb, RgbImage};

/// Most images one grid may hold.
pub const MAX_GRID: usize = 4096;

fn save(bytes: &[u8], width: u32, height: u32, color: image::ExtendedColorType, out: &Path) -> anyhow::Result<()> {
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(bytes, width, height, color)?;
    super::files::write_atomic(out, &png).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))
}

/// Writes `count` grey images of `rows × cols` pixels (values in [0, 1], image after image in `pixels`) as a square
/// grid, each pixel drawn `scale × scale`, with 2-pixel gaps.
pub fn write_grid(
    pixels: &[f32],
    count: usize,
    (rows, cols): (usize, usize),
    scale: usize,
    out: &Path,
) -> anyhow::Result<()> {
    anyhow::ensure!((1..=MAX_GRID).contains(&count), "a grid holds 1 to {MAX_GRID} images, not {count}");
    anyhow::ensure!(
        rows > 0 && cols > 0 && rows * cols * scale * scale <= 1 << 20,
        "images of {rows}×{cols} are too large"
    );
    let per_row = (count as f64).sqrt().ceil().max(1.0) as usize;
    let grid_rows = count.div_ceil(per_row);
    let (cw, ch) = (cols * scale + 2, rows * scale + 2);
    let mut img = GrayImage::from_pixel((per_row * cw + 2) as u32, (grid_rows * ch + 2) as u32, Luma([40]));
    for n in 0..count {
        let (ox, oy) = (2 + (n % per_row) * cw, 2 + (n / per_row) * ch);
        for y in 0..rows * scale {
            for x in 0..cols * scale {
                let v = pixels.get(n * rows * cols + (y / scale) * cols + x / scale).copied().unwrap_or(0.0);
                let value = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
                img.put_pixel((ox + x) as u32, (oy + y) as u32, Luma([value]));
            }
        }
    }
    save(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::L8, out)
}

/// Writes 2-D points as a 512×512 scatter over [−3, 3]² (white background, blue dots).
pub fn write_scatter(points: &[[f32; 2]], out: &Path) -> anyhow::Result<()> {
    let n = 512_u32;
    let mut img = RgbImage::from_pixel(n, n, Rgb([255, 255, 255]));
    for p in points {
        let x = ((p[0] + 3.0) / 6.0 * n as f32) as i64;
        let y = ((3.0 - p[1]) / 6.0 * n as f32) as i64;
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            if (0..i64::from(n)).contains(&(x + dx)) && (0..i64::from(n)).contains(&(y + dy)) {
                img.put_pixel((x + dx) as u32, (y + dy) as u32, Rgb([31, 119, 180]));
            }
        }
    }
    save(img.as_raw(), n, n, image::ExtendedColorType::Rgb8, out)
}

/// Writes a signal (values in [−1, 1]) as a curve, 2 pixels per sample and 200 pixels high; the first `prefix`
/// samples (the given start) are drawn grey, the rest (generated) blue.
pub fn write_signal(signal: &[f32], prefix: usize, out: &Path) -> anyhow::Result<()> {
    anyhow::ensure!((2..=100_000).contains(&signal.len()), "a curve of {} samples cannot be drawn", signal.len());
    let (w, h) = ((signal.len() * 2) as u32, 200_u32);
    let mut img = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
    let to_y = |v: f32| ((1.0 - v.clamp(-1.0, 1.0)) * 0.5 * (h - 1) as f32).round() as u32;
    for x in 0..w {
        img.put_pixel(x, h / 2, Rgb([225, 225, 225]));
    }
    for (i, pair) in signal.windows(2).enumerate() {
        let color = if i + 1 < prefix { Rgb([150, 150, 150]) } else { Rgb([31, 119, 180]) };
        let (a, b) = (to_y(pair[0]), to_y(pair[1]));
        for y in a.min(b)..=a.max(b) {
            for x in [2 * i as u32, 2 * i as u32 + 1] {
                img.put_pixel(x, y, color);
            }
        }
    }
    save(img.as_raw(), w, h, image::ExtendedColorType::Rgb8, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_places_each_image_in_its_cell_with_its_values() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("grid.png");
        // Three 2×2 images: all black, all white, a diagonal.
        let pixels = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0];
        write_grid(&pixels, 3, (2, 2), 1, &out).unwrap();
        let img = image::open(&out).unwrap().into_luma8();
        // 2 per row: cells of 4 pixels, 2 rows → (2·4 + 2) × (2·4 + 2).
        assert_eq!(img.dimensions(), (10, 10));
        assert_eq!(img.get_pixel(2, 2)[0], 0);
        assert_eq!(img.get_pixel(6, 2)[0], 255);
        assert_eq!((img.get_pixel(2, 6)[0], img.get_pixel(3, 6)[0], img.get_pixel(3, 7)[0]), (255, 0, 255));
        assert!(write_grid(&pixels, 0, (2, 2), 1, &out).is_err());
    }

    #[test]
    fn a_signal_is_drawn_from_top_to_bottom_and_a_scatter_marks_its_points() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("signal.png");
        write_signal(&[1.0, 1.0, -1.0], 1, &out).unwrap();
        let img = image::open(&out).unwrap().into_rgb8();
        assert_eq!(img.dimensions(), (6, 200));
        assert_eq!(img.get_pixel(0, 0), &Rgb([31, 119, 180]));
        assert_eq!(img.get_pixel(2, 199), &Rgb([31, 119, 180]));
        let out = dir.path().join("scatter.png");
        write_scatter(&[[0.0, 0.0]], &out).unwrap();
        let img = image::open(&out).unwrap().into_rgb8();
        assert_eq!(img.get_pixel(256, 256), &Rgb([31, 119, 180]));
        assert_eq!(img.get_pixel(10, 10), &Rgb([255, 255, 255]));
    }
}
