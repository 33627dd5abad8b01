//! Files dropped on the window, opened by what they hold: a lecture, a scene, a DAG (DAGitty text, into the
//! d-separation editor), two IDX files (a dataset, in either order) or a model file (named, with where it opens).
//! The files are read and sorted out on a helper thread; the app takes the outcome on a later frame.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};

use eframe::egui;

use super::LatentLabApp;
use crate::data::Dataset;
use crate::lessons::AppRequest;
use crate::runtime::files;

/// What a drop turned out to be.
#[derive(Debug)]
pub enum Dropped {
    Lecture(PathBuf, String),
    Scene(PathBuf, String),
    Dag(String),
    Dataset(Result<Dataset, String>),
    /// A model file: what to tell the user.
    Model(String),
    /// Not something the app opens: why.
    Unknown(String),
}

/// A drop being read.
pub type DropJob = Option<Receiver<Dropped>>;

fn name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Sorts out what `paths` hold (reads the files; each within its size limit).
pub fn classify(paths: &[PathBuf]) -> Dropped {
    match paths {
        [] => Dropped::Unknown("Nothing was dropped that has a path on this computer.".into()),
        [a, b] => Dropped::Dataset(Dataset::load(a, b).or_else(|_| Dataset::load(b, a)).map_err(|e| {
            format!("Could not open {} and {} as a dataset (IDX images and labels): {e}", name(a), name(b))
        })),
        [path] => classify_one(path),
        _ => Dropped::Unknown(format!(
            "{} files were dropped: drop one lecture, scene, DAG or model file, or two IDX files (images and labels).",
            paths.len()
        )),
    }
}

fn classify_one(path: &Path) -> Dropped {
    let text = match files::read_text_limited(path, files::limit::DOCUMENT) {
        Ok(t) => t,
        Err(e) => return Dropped::Unknown(format!("Could not read {}: {e}", name(path))),
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let format = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("format").and_then(serde_json::Value::as_str).map(str::to_owned));
        return match format.as_deref() {
            Some(crate::lecture::FORMAT) => Dropped::Lecture(path.to_owned(), text),
            Some(super::scene::FORMAT) => Dropped::Scene(path.to_owned(), text),
            _ => model_message(path),
        };
    }
    if trimmed.starts_with("dag") || trimmed.starts_with("digraph") {
        return Dropped::Dag(text);
    }
    model_message(path)
}

fn model_message(path: &Path) -> Dropped {
    match crate::runtime::envelope::identify(path) {
        Ok(found) => Dropped::Model(format!(
            "{} holds {}: open it with its tab's Load button (or from a scene), or sample it with `latent-lab sample {}`.",
            name(path),
            found.kind.label(),
            path.display()
        )),
        Err(e) => Dropped::Unknown(format!(
            "{} is not a lecture, a scene, a DAG, a model or one of two IDX files ({e}).",
            name(path)
        )),
    }
}

impl LatentLabApp {
    /// Starts reading the files dropped on the window this frame, if any.
    pub(super) fn take_dropped_files(&mut self, ctx: &egui::Context) {
        let paths: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        if paths.is_empty() {
            return;
        }
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let _ = tx.send(classify(&paths));
            crate::pacing::wake(&ctx);
        });
        self.drop_job = Some(rx);
    }

    /// Opens what a drop turned out to be.
    pub(super) fn poll_drop_job(&mut self) {
        let Some(rx) = &self.drop_job else { return };
        let dropped = match rx.try_recv() {
            Ok(d) => d,
            Err(mpsc::TryRecvError::Empty) => return,
            Err(mpsc::TryRecvError::Disconnected) => Dropped::Unknown("reading the dropped files stopped".into()),
        };
        self.drop_job = None;
        self.open_dropped(dropped);
    }

    /// Opens what was dropped (tests call this with [`classify`]'s answer).
    pub fn open_dropped(&mut self, dropped: Dropped) {
        match dropped {
            Dropped::Lecture(path, text) => self.open_lecture_text(&path, Ok(text), false),
            Dropped::Scene(path, text) => self.open_scene_text(&path, Ok(text)),
            Dropped::Dag(dagitty) => {
                let request = AppRequest::OpenInDsep { dagitty };
                if let Some(i) = self.lessons.iter_mut().position(|l| l.handle_request(&request)) {
                    self.selected = i;
                }
            }
            Dropped::Dataset(result) => self.take_loaded(result),
            Dropped::Model(message) => self.notice = Some(message),
            Dropped::Unknown(message) => self.error = Some(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_are_sorted_by_what_the_files_hold() {
        let dir = tempfile::tempdir().unwrap();
        let write = |n: &str, t: &str| {
            let p = dir.path().join(n);
            std::fs::write(&p, t).unwrap();
            p
        };
        let lecture = write("talk.json", &crate::lecture::Lecture::new("x").to_json());
        assert!(matches!(classify(&[lecture]), Dropped::Lecture(..)));
        let scene =
            write("s.json", r#"{"format": "latent-lab scene", "version": 1, "lesson": "Flows", "lessons": {}}"#);
        assert!(matches!(classify(&[scene]), Dropped::Scene(..)));
        let dag = write("g.txt", "dag { a -> b }");
        assert!(matches!(classify(&[dag]), Dropped::Dag(t) if t.contains("a -> b")));
        let junk = write("junk.bin", "hello");
        assert!(matches!(classify(std::slice::from_ref(&junk)), Dropped::Unknown(m) if m.contains("junk.bin")));
        assert!(matches!(classify(&[junk.clone(), junk.clone()]), Dropped::Dataset(Err(m)) if m.contains("junk.bin")));
        assert!(matches!(classify(&[junk.clone(), junk.clone(), junk]), Dropped::Unknown(m) if m.contains("3 files")));
        let mnist = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mnist-10k");
        let (images, labels) = (mnist.join("images-idx3-ubyte.gz"), mnist.join("labels-idx1-ubyte.gz"));
        assert!(matches!(classify(&[labels, images]), Dropped::Dataset(Ok(d)) if d.len() == 10_000), "either order");
    }
}
