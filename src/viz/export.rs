//! The "Export…" context menu (right-click) of plots and images: a PNG at the screen's resolution (a screenshot
//! cropped to the widget) and, for loss curves, a CSV. The file dialog and the write run on a helper thread; the
//! app collects the outcome with [`take_finished`] and shows it.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};

use eframe::egui;

/// What a finished export reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Saved(String),
    Failed(String),
}

type Jobs = Arc<Mutex<Vec<Receiver<Done>>>>;

fn jobs(ctx: &egui::Context) -> Jobs {
    ctx.data_mut(|d| d.get_temp_mut_or_default::<Jobs>(egui::Id::unique("latent-lab/exports")).clone())
}

/// Exports that finished since the last call (the app shows them).
pub fn take_finished(ctx: &egui::Context) -> Vec<Done> {
    let jobs = jobs(ctx);
    let Ok(mut pending) = jobs.lock() else { return Vec::new() };
    let mut done = Vec::new();
    pending.retain(|rx| match rx.try_recv() {
        Ok(d) => {
            done.push(d);
            false
        }
        Err(mpsc::TryRecvError::Empty) => true,
        Err(mpsc::TryRecvError::Disconnected) => {
            done.push(Done::Failed("the export stopped unexpectedly".into()));
            false
        }
    });
    done
}

fn track(ctx: &egui::Context, rx: Receiver<Done>) {
    if let Ok(mut pending) = jobs(ctx).lock() {
        pending.push(rx);
    }
}

/// PNG bytes of an egui image.
pub fn encode_png(image: &egui::ColorImage) -> Result<Vec<u8>, String> {
    let [w, h] = image.size;
    let bytes: Vec<u8> = image.pixels.iter().flat_map(egui::Color32::to_srgba_unmultiplied).collect();
    let rgba = image::RgbaImage::from_raw(w as u32, h as u32, bytes).ok_or("the screenshot has the wrong size")?;
    let mut out = std::io::Cursor::new(Vec::new());
    rgba.write_to(&mut out, image::ImageFormat::Png).map_err(|e| format!("could not encode the PNG: {e}"))?;
    Ok(out.into_inner())
}

/// CSV text: a header row and one row per record (numbers in full precision; NaN/inf as written by Rust).
pub fn csv(columns: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = columns.join(",");
    out.push('\n');
    for row in rows {
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// Asks where to save (suggested `file_name`) and writes the bytes, on a helper thread.
fn save_bytes(file_name: &str, filter: (&'static str, &'static str), bytes: &[u8]) -> Done {
    let Some(path) = rfd::FileDialog::new()
        .set_title("Export")
        .set_file_name(file_name)
        .add_filter(filter.0, &[filter.1])
        .save_file()
    else {
        return Done::Failed("Not exported: no file chosen (or no file dialog is available on this desktop).".into());
    };
    match crate::runtime::files::write_atomic(&path, bytes) {
        Ok(()) => Done::Saved(format!("Exported {}", path.display())),
        Err(e) => Done::Failed(format!("Could not write {}: {e}", path.display())),
    }
}

/// Writes `bytes` to `path` on a helper thread (the outcome is collected like an export's).
pub fn write_file(ctx: &egui::Context, path: PathBuf, bytes: Vec<u8>) {
    run_job(ctx, move || match crate::runtime::files::write_atomic(&path, &bytes) {
        Ok(()) => Done::Saved(format!("Saved {}", path.display())),
        Err(e) => Done::Failed(format!("Could not write {}: {e}", path.display())),
    });
}

/// Runs `job` (file work) on a helper thread; its outcome is collected like an export's.
pub fn run_job(ctx: &egui::Context, job: impl FnOnce() -> Done + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let repaint = ctx.clone();
    std::thread::spawn(move || {
        let _ = tx.send(job());
        crate::pacing::wake(&repaint);
    });
    track(ctx, rx);
}

/// Takes a screenshot of the next frame, crops it to `rect` (points) and asks where to save it as PNG.
pub fn export_png(ctx: &egui::Context, rect: egui::Rect, name: &str) {
    let (tx, rx) = mpsc::channel();
    let repaint = ctx.clone();
    let pixels_per_point = ctx.pixels_per_point();
    let file_name = format!("{name}.png");
    ctx.request_screenshot(move |image| {
        // The callback may run on the UI thread: encode and ask for the file on a helper thread.
        std::thread::spawn(move || {
            let done = match encode_png(&image.region(&rect, Some(pixels_per_point))) {
                Ok(png) => save_bytes(&file_name, ("PNG image", "png"), &png),
                Err(e) => Done::Failed(e),
            };
            let _ = tx.send(done);
            crate::pacing::wake(&repaint);
        });
    });
    track(ctx, rx);
}

/// Asks where to save `text` as CSV, on a helper thread.
pub fn export_csv(ctx: &egui::Context, text: String, name: &str) {
    let (tx, rx) = mpsc::channel();
    let repaint = ctx.clone();
    let file_name = format!("{name}.csv");
    std::thread::spawn(move || {
        let _ = tx.send(save_bytes(&file_name, ("CSV table", "csv"), text.as_bytes()));
        crate::pacing::wake(&repaint);
    });
    track(ctx, rx);
}

/// The right-click menu of a plot or image: "Export PNG…", and "Export CSV…" when `csv` gives the data.
pub fn context_menu(response: &egui::Response, name: &str, csv: Option<&dyn Fn() -> String>) {
    let rect = response.rect;
    response.context_menu(|ui| {
        if ui.button("Export PNG…").on_hover_text("At the screen's resolution").clicked() {
            ui.close();
            export_png(ui.ctx(), rect, name);
        }
        if let Some(csv) = csv
            && ui.button("Export CSV…").clicked()
        {
            ui.close();
            export_csv(ui.ctx(), csv(), name);
        }
    });
}

/// Adds the export menu to a shown plot and hands the plot's response back unchanged.
pub fn plot<R>(
    shown: egui_plot::PlotResponse<R>,
    name: &str,
    csv: Option<&dyn Fn() -> String>,
) -> egui_plot::PlotResponse<R> {
    context_menu(&shown.response, name, csv);
    shown
}

/// Curves of (x, y) points as CSV: one row per point, `series,x,y`.
pub fn xy_csv(x: &str, y: &str, series: &[(String, &[[f64; 2]])]) -> String {
    let rows = series
        .iter()
        .flat_map(|(name, points)| points.iter().map(move |[a, b]| vec![name.clone(), a.to_string(), b.to_string()]));
    csv(&["series", x, y], rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_encoding_round_trips() {
        let mut img = egui::ColorImage::filled([3, 2], egui::Color32::from_rgb(10, 20, 30));
        img.pixels[1] = egui::Color32::WHITE;
        let png = encode_png(&img).expect("encodes");
        let back = image::load_from_memory(&png).expect("decodes").to_rgba8();
        assert_eq!(back.dimensions(), (3, 2));
        assert_eq!(back.get_pixel(1, 0).0, [255, 255, 255, 255]);
        assert_eq!(back.get_pixel(0, 1).0, [10, 20, 30, 255]);
    }

    #[test]
    fn csv_has_a_header_and_one_line_per_row() {
        let text = csv(&["step", "loss"], [vec!["1".into(), "0.5".into()], vec!["2".into(), "0.25".into()]]);
        assert_eq!(text, "step,loss\n1,0.5\n2,0.25\n");
    }

    #[test]
    fn xy_csv_lists_every_point_of_every_series() {
        let a = [[0.0, 1.5], [1.0, 1.25]];
        let b = [[0.0, 2.0]];
        let text = xy_csv("step", "nll", &[("A".into(), &a), ("B".into(), &b)]);
        assert_eq!(text, "series,step,nll\nA,0,1.5\nA,1,1.25\nB,0,2\n");
    }

    #[test]
    fn finished_exports_are_collected_once() {
        let ctx = egui::Context::default();
        let (tx, rx) = mpsc::channel();
        track(&ctx, rx);
        assert!(take_finished(&ctx).is_empty());
        tx.send(Done::Saved("Exported x.png".into())).unwrap();
        assert_eq!(take_finished(&ctx), vec![Done::Saved("Exported x.png".into())]);
        assert!(take_finished(&ctx).is_empty());
        let (tx, rx) = mpsc::channel::<Done>();
        track(&ctx, rx);
        drop(tx);
        assert!(matches!(take_finished(&ctx).as_slice(), [Done::Failed(_)]));
    }
}
