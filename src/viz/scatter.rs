//! Scatter plots drawn into one image: thousands of markers as one textured quad instead of thousands of meshes.
//! Software renderers (lavapipe on machines without a GPU) draw that in a fraction of the time.

use eframe::egui::{Color32, ColorImage};

/// Plot-space rectangle shown by an image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: [f64; 2],
    pub max: [f64; 2],
}

impl Bounds {
    /// The smallest box holding `points`, grown by `margin` (a fraction of its size) on every side; a unit box
    /// around the origin when there are no finite points.
    pub fn around<'a>(points: impl IntoIterator<Item = &'a [f64; 2]>, margin: f64) -> Self {
        let mut min = [f64::INFINITY; 2];
        let mut max = [f64::NEG_INFINITY; 2];
        for p in points.into_iter().filter(|p| p[0].is_finite() && p[1].is_finite()) {
            for d in 0..2 {
                min[d] = min[d].min(p[d]);
                max[d] = max[d].max(p[d]);
            }
        }
        if min[0] > max[0] {
            return Self { min: [-1.0; 2], max: [1.0; 2] };
        }
        for d in 0..2 {
            let pad = ((max[d] - min[d]) * margin).max(1e-3);
            min[d] -= pad;
            max[d] += pad;
        }
        Self { min, max }
    }

    pub fn center(&self) -> [f64; 2] {
        [f64::midpoint(self.min[0], self.max[0]), f64::midpoint(self.min[1], self.max[1])]
    }

    pub fn size(&self) -> [f64; 2] {
        [self.max[0] - self.min[0], self.max[1] - self.min[1]]
    }
}

/// Draws anti-aliased discs of `radius` pixels for every point of every series into a transparent image of
/// `size` = [width, height] pixels covering `bounds` (y grows upwards, as in the plot). Later series draw on top.
pub fn rasterize(series: &[(Color32, &[[f64; 2]])], bounds: Bounds, size: [usize; 2], radius: f32) -> ColorImage {
    let [w, h] = [size[0].max(1), size[1].max(1)];
    let mut pixels = vec![Color32::TRANSPARENT; w * h];
    let [sx, sy] = bounds.size();
    let scale = [w as f64 / sx.max(f64::MIN_POSITIVE), h as f64 / sy.max(f64::MIN_POSITIVE)];
    let reach = radius.ceil() as i64 + 1;
    for &(color, points) in series {
        for p in points {
            let cx = ((p[0] - bounds.min[0]) * scale[0]) as f32;
            let cy = ((bounds.max[1] - p[1]) * scale[1]) as f32;
            if !(cx.is_finite() && cy.is_finite()) {
                continue;
            }
            let (px, py) = (cx.floor() as i64, cy.floor() as i64);
            for y in (py - reach).max(0)..=(py + reach).min(h as i64 - 1) {
                for x in (px - reach).max(0)..=(px + reach).min(w as i64 - 1) {
                    let dist = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                    let coverage = (radius + 0.5 - dist).clamp(0.0, 1.0);
                    if coverage > 0.0 {
                        let dst = &mut pixels[y as usize * w + x as usize];
                        *dst = over(color.gamma_multiply(coverage), *dst);
                    }
                }
            }
        }
    }
    ColorImage::new([w, h], pixels)
}

/// Porter–Duff "over" for premultiplied colours.
fn over(src: Color32, dst: Color32) -> Color32 {
    let keep = 255 - u16::from(src.a());
    let mix = |s: u8, d: u8| s.saturating_add(((u16::from(d) * keep + 127) / 255) as u8);
    Color32::from_rgba_premultiplied(
        mix(src.r(), dst.r()),
        mix(src.g(), dst.g()),
        mix(src.b(), dst.b()),
        mix(src.a(), dst.a()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_land_where_the_axes_say() {
        let bounds = Bounds { min: [0.0, 0.0], max: [10.0, 10.0] };
        let red = Color32::from_rgb(255, 0, 0);
        let img = rasterize(&[(red, &[[1.0, 9.0], [9.0, 1.0]])], bounds, [100, 100], 2.0);
        // (1, 9) is near the top-left corner, (9, 1) near the bottom-right; the centre stays empty.
        assert_eq!(img.pixels[10 * 100 + 10], red);
        assert_eq!(img.pixels[90 * 100 + 90], red);
        assert_eq!(img.pixels[50 * 100 + 50], Color32::TRANSPARENT);
        assert_eq!(img.pixels[90 * 100 + 10], Color32::TRANSPARENT);
    }

    #[test]
    fn later_series_draw_on_top_and_edges_blend() {
        let bounds = Bounds { min: [0.0, 0.0], max: [1.0, 1.0] };
        let (red, blue) = (Color32::from_rgb(255, 0, 0), Color32::from_rgb(0, 0, 255));
        let img = rasterize(&[(red, &[[0.5, 0.5]]), (blue, &[[0.5, 0.5]])], bounds, [21, 21], 3.0);
        assert_eq!(img.pixels[10 * 21 + 10], blue);
        let edge = img.pixels[10 * 21 + 13];
        assert!(edge.a() > 0 && edge.a() < 255 || edge == blue, "anti-aliased rim: {edge:?}");
        assert_eq!(img.pixels[0], Color32::TRANSPARENT);
    }

    #[test]
    fn bounds_cover_the_points_with_a_margin() {
        let b = Bounds::around(&[[0.0, -2.0], [4.0, 2.0], [f64::NAN, 1.0]], 0.1);
        assert_eq!(b.min, [-0.4, -2.4]);
        assert_eq!(b.max, [4.4, 2.4]);
        assert_eq!(Bounds::around(&[], 0.1).min, [-1.0, -1.0]);
    }
}
