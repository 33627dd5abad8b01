//! A perceptual colour map (viridis, piecewise linear through 9 stops) and a robust value → colour scale for the
//! flows' log-density heat maps (pure: egui colour and image types only).

use eframe::egui::{Color32, ColorImage};

/// Viridis at t = 0, 1/8, …, 1.
const STOPS: [[u8; 3]; 9] = [
    [68, 1, 84],
    [71, 44, 122],
    [59, 81, 139],
    [44, 113, 142],
    [33, 144, 141],
    [39, 173, 129],
    [92, 200, 99],
    [170, 220, 50],
    [253, 231, 37],
];

/// The colour of t ∈ [0, 1] (clamped; NaN maps to the lowest colour).
pub fn viridis(t: f32) -> Color32 {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let pos = t * (STOPS.len() - 1) as f32;
    let idx = (pos.floor() as usize).min(STOPS.len() - 2);
    let frac = pos - idx as f32;
    let (lo, hi) = (STOPS[idx], STOPS[idx + 1]);
    let mix = |k: usize| (f32::from(lo[k]) + frac * (f32::from(hi[k]) - f32::from(lo[k]))).round() as u8;
    Color32::from_rgb(mix(0), mix(1), mix(2))
}

/// The value range a heat map shows: [max − span, max] over the finite values (a log density spans many nats in
/// the tails; those are clipped to the lowest colour). A (near-)constant input gets a unit range centred on it,
/// so it shows as the middle colour; no finite values give [0, 1].
pub fn scale(values: &[f32], span: f32) -> (f32, f32) {
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    for &v in values.iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    let lo = lo.max(hi - span.max(1e-3));
    if hi - lo < 1e-6 * (1.0 + hi.abs()) { (hi - 0.5, hi + 0.5) } else { (lo, hi) }
}

/// An `n × n` image (row 0 at the top) of `values` coloured over [lo, hi].
pub fn colourise(values: &[f32], n: usize, (lo, hi): (f32, f32)) -> ColorImage {
    let inv = 1.0 / (hi - lo).max(f32::MIN_POSITIVE);
    let pixels =
        values.iter().take(n * n).map(|&v| viridis(if v.is_finite() { (v - lo) * inv } else { 0.0 })).collect();
    ColorImage::new([n, n], pixels)
}

/// A `grid × grid` field stored as in a plot (row 0 is the *bottom* row) as an image, coloured over `range`.
pub fn field_image(values: &[f32], grid: usize, range: (f32, f32)) -> ColorImage {
    let mut flipped = Vec::with_capacity(grid * grid);
    for row in values.chunks(grid).take(grid).rev() {
        flipped.extend_from_slice(row);
    }
    flipped.resize(grid * grid, f32::NAN);
    colourise(&flipped, grid, range)
}

/// A horizontal colour bar, `width` pixels wide and `height` tall (lowest value on the left).
pub fn colour_bar(width: usize, height: usize) -> ColorImage {
    let row: Vec<Color32> = (0..width).map(|x| viridis(x as f32 / (width.max(2) - 1) as f32)).collect();
    ColorImage::new([width, height], (0..height).flat_map(|_| row.iter().copied()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_flipped_so_the_first_row_is_at_the_bottom() {
        let img = field_image(&[0.0, 0.0, 1.0, 1.0], 2, (0.0, 1.0));
        assert_eq!(img.pixels[0], viridis(1.0), "top-left is the last row");
        assert_eq!(img.pixels[3], viridis(0.0));
    }

    #[test]
    fn constant_input_gives_a_sane_scale_and_one_middle_colour() {
        let values = vec![-2.5_f32; 64];
        let (lo, hi) = scale(&values, 10.0);
        assert!(lo.is_finite() && hi.is_finite() && lo < hi, "{lo} {hi}");
        let img = colourise(&values, 8, (lo, hi));
        assert!(img.pixels.iter().all(|&p| p == viridis(0.5)));
        assert_eq!(scale(&[f32::NAN, f32::NEG_INFINITY], 10.0), (0.0, 1.0));
    }

    #[test]
    fn scale_clips_the_tails_and_colours_are_monotone_in_brightness() {
        let values = [0.0, -1.0, -100.0, f32::NEG_INFINITY, f32::NAN];
        assert_eq!(scale(&values, 10.0), (-10.0, 0.0));
        let img = colourise(&values[..4], 2, (-10.0, 0.0));
        assert_eq!(img.pixels[2], viridis(0.0));
        assert_eq!(img.pixels[3], viridis(0.0), "−∞ gets the lowest colour");
        assert_eq!(viridis(f32::NAN), viridis(0.0));
        let luma = |c: Color32| 0.3 * f32::from(c.r()) + 0.59 * f32::from(c.g()) + 0.11 * f32::from(c.b());
        for i in 0..20 {
            assert!(luma(viridis(i as f32 / 20.0)) < luma(viridis((i + 1) as f32 / 20.0)));
        }
        assert_eq!(colour_bar(16, 3).size, [16, 3]);
    }
}
