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
