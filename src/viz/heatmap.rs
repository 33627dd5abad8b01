//! Scalar fields on a grid as colour images (a perceptual "viridis"-like colour map), for density heat maps.

use eframe::egui::{Color32, ColorImage};

/// Viridis at eleven evenly spaced stops (matplotlib's values), interpolated linearly.
const STOPS: [[u8; 3]; 11] = [
    [68, 1, 84],
    [72, 36, 117],
    [65, 68, 135],
    [53, 95, 141],
    [42, 120, 142],
    [33, 145, 140],
    [34, 168, 132],
    [68, 191, 112],
    [122, 209, 81],
    [189, 223, 38],
    [253, 231, 37],
];

/// The colour of `t` in [0, 1] (clamped; NaN is the lowest colour).
#[must_use]
pub fn viridis(t: f32) -> Color32 {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let position = t * (STOPS.len() - 1) as f32;
    let stop = (position.floor() as usize).min(STOPS.len() - 2);
    let frac = position - stop as f32;
    let mix = |from: u8, to: u8| (f32::from(from) + (f32::from(to) - f32::from(from)) * frac).round() as u8;
    let (lo, hi) = (STOPS[stop], STOPS[stop + 1]);
    Color32::from_rgb(mix(lo[0], hi[0]), mix(lo[1], hi[1]), mix(lo[2], hi[2]))
}

/// The range [max − `span`, max] of the finite values (`(0, 1)` when none is finite), for log-density maps that
/// show the top `span` nats.
#[must_use]
pub fn top_range(values: &[f32], span: f32) -> (f32, f32) {
    let max = values.iter().copied().filter(|v| v.is_finite()).fold(f32::NEG_INFINITY, f32::max);
    if max.is_finite() { (max - span, max) } else { (0.0, 1.0) }
}

/// A `grid × grid` field (row-major, the first row at the *bottom*, as in a plot) as an image, values mapped
/// linearly from `range` onto the colour map. A constant field or an empty range draws the middle colour.
#[must_use]
pub fn field_image(values: &[f32], grid: usize, range: (f32, f32)) -> ColorImage {
    let (lo, hi) = range;
    let width = hi - lo;
    let mut pixels = vec![viridis(0.0); grid * grid];
    for (j, row) in values.chunks(grid).take(grid).enumerate() {
        for (i, v) in row.iter().enumerate() {
            let t = if width > 0.0 && width.is_finite() { (v - lo) / width } else { 0.5 };
            pixels[(grid - 1 - j) * grid + i] = viridis(t);
        }
    }
    ColorImage::new([grid, grid], pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_colour_map_runs_from_purple_to_yellow() {
        assert_eq!(viridis(0.0), Color32::from_rgb(68, 1, 84));
        assert_eq!(viridis(1.0), Color32::from_rgb(253, 231, 37));
        assert_eq!(viridis(-3.0), viridis(0.0));
        assert_eq!(viridis(f32::NAN), viridis(0.0));
        // Brightness grows along the map.
        let luma = |c: Color32| u32::from(c.r()) * 3 + u32::from(c.g()) * 6 + u32::from(c.b());
        assert!((1..=10).all(|k| luma(viridis(k as f32 / 10.0)) > luma(viridis((k - 1) as f32 / 10.0))));
    }

    #[test]
    fn fields_are_flipped_so_the_first_row_is_at_the_bottom() {
        let img = field_image(&[0.0, 0.0, 1.0, 1.0], 2, (0.0, 1.0));
        assert_eq!(img.pixels[0], viridis(1.0), "top-left is the last row");
        assert_eq!(img.pixels[3], viridis(0.0));
    }

    #[test]
    fn a_constant_field_is_drawn_in_one_sane_colour() {
        let values = [2.5_f32; 9];
        let range = top_range(&values, 0.0);
        let img = field_image(&values, 3, range);
        assert!(img.pixels.iter().all(|p| *p == viridis(0.5)));
        assert_eq!(top_range(&[f32::NEG_INFINITY, f32::NAN], 10.0), (0.0, 1.0));
        assert_eq!(top_range(&[1.0, 3.0, f32::NAN], 10.0), (-7.0, 3.0));
    }
}
