//! Save and open graph files with the system dialog on a helper thread, so the UI thread never waits.

use std::sync::mpsc::{self, Receiver};

use eframe::egui;

/// What a finished file job reports.
#[derive(Debug)]
pub enum FileDone {
    /// A graph file read and parsed on the helper thread: its text (kept for the text box) and the document, or
    /// why it cannot be shown.
    Opened {
        name: String,
        text: String,
        doc: Result<super::doc::GraphDoc, String>,
    },
    Saved(String),
    Failed(String),
}

/// Asks for a file to open, reads it and parses it (a large graph costs the UI thread nothing).
pub fn open(ctx: &egui::Context) -> Receiver<FileDone> {
    spawn(ctx, || {
        let Some(path) = rfd::FileDialog::new()
            .set_title("Open a graph (DAGitty or DOT)")
            .add_filter("Graphs", &["dag", "txt", "dagitty", "dot", "gv"])
            .add_filter("All files", &["*"])
            .pick_file()
        else {
            return FileDone::Failed("No file chosen (or no file dialog is available on this desktop).".into());
        };
        match crate::runtime::files::read_text_limited(&path, crate::runtime::files::limit::DOCUMENT) {
            Ok(text) => {
                let doc = super::doc::GraphDoc::from_text(&text);
                FileDone::Opened { name: path.display().to_string(), text, doc }
            }
            Err(e) => FileDone::Failed(format!("Could not read {}: {e}", path.display())),
        }
    })
}

/// Asks where to save `text` (suggested extension `ext`) and writes it.
pub fn save(ctx: &egui::Context, text: String, ext: &'static str) -> Receiver<FileDone> {
    spawn(ctx, move || {
        let Some(path) = rfd::FileDialog::new()
            .set_title("Save the graph")
            .set_file_name(format!("graph.{ext}"))
            .add_filter(ext, &[ext])
            .save_file()
        else {
            return FileDone::Failed(
                "Not saved: no file chosen (or no file dialog is available on this desktop).".into(),
            );
        };
        match crate::runtime::files::write_atomic(&path, text.as_bytes()) {
            Ok(()) => FileDone::Saved(format!("Saved {}", path.display())),
            Err(e) => FileDone::Failed(format!("Could not write {}: {e}", path.display())),
        }
    })
}

fn spawn(ctx: &egui::Context, job: impl FnOnce() -> FileDone + Send + 'static) -> Receiver<FileDone> {
    let (tx, rx) = mpsc::channel();
    let ctx = ctx.clone();
    std::thread::spawn(move || {
        let _ = tx.send(job());
        crate::pacing::wake(&ctx);
    });
    rx
}

pub use crate::viz::export::encode_png;

/// Takes a screenshot of the next frame, crops it to `rect` (in points), and asks where to save it as PNG.
pub fn save_png(ctx: &egui::Context, rect: egui::Rect) -> Receiver<FileDone> {
    let (tx, rx) = mpsc::channel();
    let repaint = ctx.clone();
    let pixels_per_point = ctx.pixels_per_point();
    ctx.request_screenshot(move |image| {
        // The callback may run on the UI thread: encode and ask for the file on a helper thread.
        std::thread::spawn(move || {
            let done = match encode_png(&image.region(&rect, Some(pixels_per_point))) {
                Ok(png) => match rfd::FileDialog::new()
                    .set_title("Save the graph as PNG")
                    .set_file_name("graph.png")
                    .add_filter("PNG image", &["png"])
                    .save_file()
                {
                    Some(path) => match crate::runtime::files::write_atomic(&path, &png) {
                        Ok(()) => FileDone::Saved(format!("Saved {}", path.display())),
                        Err(e) => FileDone::Failed(format!("Could not write {}: {e}", path.display())),
                    },
                    None => FileDone::Failed(
                        "Not saved: no file chosen (or no file dialog is available on this desktop).".into(),
                    ),
                },
                Err(e) => FileDone::Failed(e),
            };
            let _ = tx.send(done);
            crate::pacing::wake(&repaint);
        });
    });
    rx
}
