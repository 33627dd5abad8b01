//! When the window repaints: one mechanism for every thread that has something new to show.
//!
//! Training threads, lesson threads and animations call [`wake`] (never `Context::request_repaint` directly); the
//! UI thread calls [`Pacer::frame_started`] once a frame. Input frames are egui's own and stay immediate; data and
//! animation frames are spaced by the [`policy`] so that, without a GPU, drawing does not starve training.

pub mod policy;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use eframe::egui;

pub use policy::{Pace, Refresh};

use crate::runtime::cpu_time::CpuSnapshot;

/// How often the cost of a frame is measured.
const MEASURE_EVERY: Duration = Duration::from_secs(1);

/// The window's pacing, shared by the UI thread and every thread that wakes it (kept in the egui context).
#[derive(Clone)]
pub struct Pacer {
    pace: Arc<Mutex<Pace>>,
    meter: Arc<Mutex<CostMeter>>,
}

/// What the status bar shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaceStatus {
    /// Frames presented in the last second.
    pub fps: f64,
    /// The shortest time between frames that only show new data.
    pub interval: Duration,
    /// Measured CPU time per frame (UI thread + software renderer).
    pub frame_cost: Option<Duration>,
    pub refresh: Refresh,
}

/// The CPU clock reading and frame count at the last measurement.
#[derive(Default)]
struct CostMeter {
    last: Option<(Instant, CpuSnapshot)>,
    frames: u64,
}

fn key() -> egui::Id {
    egui::Id::unique("latent-lab pacer")
}

impl Pacer {
    /// Puts a pacer into `ctx`, replacing any before it; from now on [`wake`] on that context is paced.
    pub fn install(ctx: &egui::Context, pace: Pace) -> Self {
        let pacer = Self { pace: Arc::new(Mutex::new(pace)), meter: Arc::default() };
        ctx.data_mut(|d| d.insert_temp(key(), pacer.clone()));
        pacer
    }

    /// The pacer installed in `ctx`, if any.
    pub fn of(ctx: &egui::Context) -> Option<Self> {
        ctx.data(|d| d.get_temp::<Self>(key()))
    }

    fn pace(&self) -> MutexGuard<'_, Pace> {
        self.pace.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// At the start of every frame, on the UI thread: records the frame (and whether it answers input) and, once a
    /// second, measures what the frames since the last measurement cost.
    pub fn frame_started(&self, ctx: &egui::Context) {
        let now = Instant::now();
        let input = ctx.input(|i| !i.events.is_empty() || i.pointer.any_down());
        self.pace().frame_started(now, input);
        let mut meter = self.meter.lock().unwrap_or_else(PoisonError::into_inner);
        meter.frames += 1;
        let due = meter.last.as_ref().is_none_or(|(t, _)| now.duration_since(*t) >= MEASURE_EVERY);
        if due && let Some(snapshot) = CpuSnapshot::read() {
            if let Some((_, before)) = &meter.last {
                // The frames counted since then include this one, whose cost comes after this reading.
                self.pace().measured(snapshot.window_since(before), meter.frames - 1);
            }
            meter.last = Some((now, snapshot));
            meter.frames = 1;
        }
    }

    /// A first guess of a frame's CPU cost before anything is measured.
    pub fn assume_frame_cost(&self, cost: Duration) {
        self.pace().assume_frame_cost(cost);
    }

    pub fn set_refresh(&self, refresh: Refresh) {
        self.pace().set_refresh(refresh);
    }

    pub fn status(&self) -> PaceStatus {
        let pace = self.pace();
        PaceStatus {
            fps: pace.fps(Instant::now()),
            interval: pace.interval(),
            frame_cost: pace.frame_cost(),
            refresh: pace.refresh(),
        }
    }

    /// How long a wake-up now would wait.
    pub fn wake_delay(&self) -> Duration {
        self.pace().wake_delay(Instant::now())
    }
}

/// Something new is there to show (a training report, a decoded image, the next frame of an animation): asks
/// for a frame, at once or when the pacing allows. Any thread may call it. Without a pacer it repaints at once.
pub fn wake(ctx: &egui::Context) {
    match Pacer::of(ctx).map(|p| p.wake_delay()) {
        Some(delay) if !delay.is_zero() => ctx.request_repaint_after(delay),
        _ => ctx.request_repaint(),
    }
}

/// Like [`wake`], but not before `after` (a poll, e.g. for a file dialog's answer).
pub fn wake_after(ctx: &egui::Context, after: Duration) {
    let delay = Pacer::of(ctx).map_or(Duration::ZERO, |p| p.wake_delay());
    ctx.request_repaint_after(delay.max(after));
}

/// A busy indicator that turns at the paced frame rate (egui's spinner asks for every frame, at full speed).
pub fn spinner(ui: &mut egui::Ui) -> egui::Response {
    let size = ui.style().spacing.interact_size.y;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    if ui.is_rect_visible(rect) {
        let time = ui.input(|i| i.time);
        let color = ui.visuals().strong_text_color();
        let radius = rect.height() / 2.0 - 2.0;
        let start = time * std::f64::consts::TAU;
        let points: Vec<egui::Pos2> = (0..=24)
            .map(|k| {
                let angle = (start + f64::from(k) / 24.0 * 4.5) as f32;
                rect.center() + radius * egui::vec2(angle.cos(), angle.sin())
            })
            .collect();
        ui.painter().add(egui::Shape::line(points, egui::Stroke::new(3.0, color)));
        wake(ui.ctx());
    }
    response
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// The delays egui was asked to repaint after, as its repaint callback sees them.
    fn recorded(ctx: &egui::Context) -> Arc<Mutex<Vec<Duration>>> {
        let delays = Arc::new(Mutex::new(Vec::new()));
        let sink = delays.clone();
        ctx.set_request_repaint_callback(move |info| sink.lock().unwrap().push(info.delay));
        delays
    }

    #[test]
    fn wakes_from_a_training_thread_wait_for_the_paced_frame() {
        let ctx = egui::Context::default();
        let delays = recorded(&ctx);
        let pacer = Pacer::install(&ctx, Pace::new(Refresh::Fps(5), 2));
        // egui repaints its first passes by itself; run until it asks for nothing more.
        for _ in 0..10 {
            let _ = ctx.run_ui(egui::RawInput::default(), |ui| pacer.frame_started(ui.ctx()));
            if !ctx.has_requested_repaint() {
                break;
            }
        }
        assert!(!ctx.has_requested_repaint());
        delays.lock().unwrap().clear();
        let worker = {
            let ctx = ctx.clone();
            std::thread::spawn(move || (0..100).for_each(|_| wake(&ctx)))
        };
        worker.join().unwrap();
        let delays = delays.lock().unwrap();
        assert!(!delays.is_empty());
        // egui keeps the earliest request: none of the 100 may ask for a frame sooner than ~200 ms after the last.
        let earliest = delays.iter().min().unwrap();
        assert!(*earliest > Duration::from_millis(150), "{earliest:?}");
    }

    #[test]
    fn without_a_pacer_a_wake_repaints_at_once() {
        let ctx = egui::Context::default();
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        ctx.set_request_repaint_callback(move |info| {
            assert!(info.delay.is_zero());
            seen.fetch_add(1, Ordering::Relaxed);
        });
        wake(&ctx);
        assert!(count.load(Ordering::Relaxed) >= 1);
    }

    #[test]
    fn the_installed_pacer_is_found_again_and_reports_its_setting() {
        let ctx = egui::Context::default();
        let pacer = Pacer::install(&ctx, Pace::new(Refresh::Auto, 2));
        Pacer::of(&ctx).expect("installed").set_refresh(Refresh::Fps(10));
        let status = pacer.status();
        assert_eq!(status.refresh, Refresh::Fps(10));
        assert_eq!(status.interval, Duration::from_millis(100));
    }
}
