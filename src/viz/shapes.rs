//! Pure drawing helpers the lessons share: a soft brush on a pixel canvas, the ±2σ ellipse of a 2-D Gaussian.

/// Paints a soft round brush centred on pixel (`r`, `c`) of a `rows × cols` canvas.
pub fn paint_brush(pixels: &mut [f32], rows: usize, cols: usize, r: usize, c: usize) {
    for dr in -1i64..=1 {
        for dc in -1i64..=1 {
            let (rr, cc) = (r as i64 + dr, c as i64 + dc);
            if rr < 0 || cc < 0 || rr >= rows as i64 || cc >= cols as i64 {
                continue;
            }
            let v = match dr.abs() + dc.abs() {
                0 => 1.0,
                1 => 0.6,
                _ => 0.25,
            };
            let px = &mut pixels[rr as usize * cols + cc as usize];
            *px = px.max(v);
        }
    }
}

/// `n` points on the ±2σ ellipse of an axis-aligned Gaussian (closed: the last point repeats the first).
pub fn ellipse_points(mean: [f64; 2], sigma: [f64; 2], n: usize) -> Vec<[f64; 2]> {
    ellipse_points_cov(mean, [[sigma[0] * sigma[0], 0.0], [0.0, sigma[1] * sigma[1]]], n)
}

/// `n` points on the ±2σ ellipse of a Gaussian with covariance `cov`: mean + 2 L (cos t, sin t) with L Lᵀ = `cov`.
pub fn ellipse_points_cov(mean: [f64; 2], cov: [[f64; 2]; 2], n: usize) -> Vec<[f64; 2]> {
    let l11 = cov[0][0].max(0.0).sqrt();
    let l21 = if l11 > 0.0 { cov[1][0] / l11 } else { 0.0 };
    let l22 = (cov[1][1] - l21 * l21).max(0.0).sqrt();
    (0..=n)
        .map(|k| {
            let t = std::f64::consts::TAU * k as f64 / n as f64;
            let (c, s) = (2.0 * t.cos(), 2.0 * t.sin());
            [mean[0] + l11 * c, mean[1] + l21 * c + l22 * s]
        })
        .collect()
}
