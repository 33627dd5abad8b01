//! Hover read-outs on training curves: the curve's name, the step (or epoch) under the pointer and the value there,
//! instead of egui_plot's bare "x = …, y = …". Pure text; the plots pass these to `Plot::label_formatter`.

use egui_plot::HoverPosition;

/// A value to `digits` significant digits (small and large values in scientific notation).
#[must_use]
pub fn significant(value: f64, digits: usize) -> String {
    if !value.is_finite() || value == 0.0 {
        return format!("{value}");
    }
    let magnitude = value.abs().log10().floor();
    if !(-3.0..6.0).contains(&magnitude) {
        return format!("{value:.*e}", digits.saturating_sub(1));
    }
    let decimals = (digits as f64 - 1.0 - magnitude).max(0.0) as usize;
    format!("{value:.decimals$}")
}

/// The read-out near a point of a curve: `name`, then "`x_name` x" (x as a whole number for steps), then the
/// value as `value` writes it. `None` away from the curves (no label then).
#[must_use]
pub fn curve_label(pos: &HoverPosition<'_>, x_name: &str, value: impl Fn(f64) -> String) -> Option<String> {
    match pos {
        HoverPosition::NearDataPoint { plot_name, position, .. } => {
            let x = if x_name == "step" { format!("{:.0}", position.x) } else { significant(position.x, 3) };
            let name = if plot_name.is_empty() { String::new() } else { format!("{plot_name}\n") };
            Some(format!("{name}{x_name} {x}\n{}", value(position.y)))
        }
        HoverPosition::Elsewhere { .. } => None,
    }
}

/// [`curve_label`] for a curve over optimiser steps whose value is plotted as it is.
#[must_use]
pub fn step_and_value(pos: &HoverPosition<'_>) -> Option<String> {
    curve_label(pos, "step", |y| significant(y, 4))
}

/// Which way a grid's rows run over the plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Row 0 is the top of the plot (largest y).
    TopFirst,
    /// Row 0 is the bottom (smallest y).
    BottomFirst,
}

/// The value of an `n × n` grid drawn over `extent` = [x0, x1, y0, y1] at the plot point (x, y): the heat maps'
/// hover read-out. `None` outside the extent or past the end of a short grid.
#[must_use]
pub fn grid_value(values: &[f32], n: usize, extent: [f64; 4], rows: Rows, x: f64, y: f64) -> Option<f32> {
    let [x0, x1, y0, y1] = extent;
    let cell = |u: f64, lo: f64, hi: f64| {
        let k = ((u - lo) / (hi - lo) * n as f64).floor();
        (0.0..n as f64).contains(&k).then_some(k as usize)
    };
    let col = cell(x, x0, x1)?;
    let from_bottom = cell(y, y0, y1)?;
    let row = match rows {
        Rows::BottomFirst => from_bottom,
        Rows::TopFirst => n - 1 - from_bottom,
    };
    values.get(row * n + col).copied()
}

#[cfg(test)]
mod tests {
    use egui_plot::PlotPoint;

    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(significant(123.456, 4), "123.5");
        assert_eq!(significant(0.012_345, 3), "0.0123");
        assert_eq!(significant(-2.0, 3), "-2.00");
        assert_eq!(significant(1.5e-7, 3), "1.50e-7");
        assert_eq!(significant(0.0, 3), "0");
        assert_eq!(significant(f64::NAN, 3), "NaN");
    }

    #[test]
    fn the_heat_map_read_out_takes_the_cell_under_the_pointer() {
        // A 4 × 4 grid over [−2, 2]², cell (row, col) holds 10·row + col.
        let values: Vec<f32> = (0..4).flat_map(|r| (0..4).map(move |c| (10 * r + c) as f32)).collect();
        let square = [-2.0, 2.0, -2.0, 2.0];
        let at = |rows, x, y| grid_value(&values, 4, square, rows, x, y);
        assert_eq!(at(Rows::TopFirst, -1.9, 1.9), Some(0.0), "row 0 at the top: top left");
        assert_eq!(at(Rows::TopFirst, 1.9, -1.9), Some(33.0), "bottom right");
        assert_eq!(at(Rows::TopFirst, 0.5, 0.5), Some(12.0), "row 1 (y in [0, 1)), column 2");
        assert_eq!(at(Rows::BottomFirst, -1.9, 1.9), Some(30.0), "row 0 at the bottom: top left is row 3");
        assert_eq!(at(Rows::BottomFirst, 0.5, -0.5), Some(12.0), "y in [−1, 0) is row 1 from the bottom");
        assert_eq!(at(Rows::TopFirst, 2.5, 0.0), None, "outside the extent");
        let wide = grid_value(&values, 4, [0.0, 8.0, -1.0, 1.0], Rows::BottomFirst, 7.9, 0.9);
        assert_eq!(wide, Some(33.0), "any extent, not only a square around 0");
        let short = grid_value(&values[..3], 4, square, Rows::TopFirst, 0.5, 0.5);
        assert_eq!(short, None, "a short grid is not read past its end");
    }

    #[test]
    fn a_point_reads_name_step_and_value() {
        let pos =
            HoverPosition::NearDataPoint { plot_name: "VAE", position: PlotPoint::new(2110.0, 151.234), index: 3 };
        assert_eq!(step_and_value(&pos).as_deref(), Some("VAE\nstep 2110\n151.2"));
        let epoch = curve_label(&pos, "epoch", |y| format!("{y:.0} nats"));
        assert_eq!(epoch.as_deref(), Some("VAE\nepoch 2110\n151 nats"));
        let away = HoverPosition::Elsewhere { position: PlotPoint::new(1.0, 2.0) };
        assert_eq!(step_and_value(&away), None, "no label away from the curves");
    }
}
