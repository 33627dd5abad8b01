//! Save and open graph files with the system dialog on a helper thread, so the UI thread never waits.

use std::sync::mpsc::{self, Receiver};

use eframe::egui;

/// What a finished file job reports.
#[derive(Debug)]
pub enum FileDone {
    Opened { name: String, text: String },
    Saved(String),
    Failed(String),
}

/// Asks for a file to open and reads it.
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
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => FileDone::Opened { name: path.display().to_string(), text },
                Err(_) => FileDone::Failed(format!("{} is not UTF-8 text", path.display())),
            },
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
            return FileDone::Failed("Not saved: no file chosen.".into());
        };
        match std::fs::write(&path, text) {
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
        ctx.request_repaint();
    });
    rx
}
