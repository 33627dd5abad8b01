//! The trainer thread. It owns the device and the models; the UI talks to it only through channels.
//!
//! ```text
//!   UI thread ── TrainCommand ──▶ worker thread (TrainSession, burn)
//!   UI thread ◀── TrainEvent ──── worker thread, then waker() → egui repaint
//! ```
//! A panic inside training is caught here and reported as `TrainEvent::Failed`; the worker then waits for the next
//! command, so the app keeps running and can train again.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use burn::tensor::Device;

use super::evaluation::{EvalJob, EvalRequest};
use super::pca::plot_coordinates;
use super::protocol::{Codes, LossPoint, ModelKind, Purpose, TrainCommand, TrainEvent, WorkerOptions, WorkerState};
use super::session::{StepOutcome, TrainError, TrainSession};
use crate::models::device::{self, Backend};

/// How often loss points, codes and held-out losses are sent while training.
const LOSS_EVERY: Duration = Duration::from_millis(100);
const CODES_EVERY: Duration = Duration::from_millis(700);
const HELDOUT_EVERY: Duration = Duration::from_secs(2);
/// After a decode or encode for a dragged marker or a drawn digit, the worker waits this long for the next such
/// request before it starts another training step: a step takes 10–20 ms on the CPU, and a drag must be answered
/// within a frame. Training resumes as soon as the pointer rests.
const INTERACTIVE_HOLD: Duration = Duration::from_millis(60);

/// Called after events are sent, to wake the UI (the app passes `pacing::wake`, which paces the frames).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// The UI's end of the worker.
pub struct TrainerHandle {
    commands: Sender<TrainCommand>,
    events: Receiver<TrainEvent>,
    thread: Option<JoinHandle<()>>,
}

impl TrainerHandle {
    /// Starts the worker thread. It chooses the device first and reports it with `DeviceReady`.
    pub fn spawn(options: WorkerOptions, waker: Waker) -> Self {
        let (cmd_tx, cmd_rx) = mpsc::channel();
        let (ev_tx, ev_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("latent-lab-trainer".into())
            .spawn(move || Worker::new(options, cmd_rx, ev_tx, waker).run())
            .ok();
        let handle = Self { commands: cmd_tx, events: ev_rx, thread };
        if handle.thread.is_none() {
            // Could not start a thread at all: the UI learns it through the event channel's disconnect.
            log_error("could not start the trainer thread");
        }
        handle
    }

    /// Sends a command; returns false if the worker is gone.
    pub fn send(&self, command: TrainCommand) -> bool {
        self.commands.send(command).is_ok()
    }

    /// Takes every event that has arrived, without waiting.
    pub fn drain(&self) -> Vec<TrainEvent> {
        let mut out = Vec::new();
        loop {
            match self.events.try_recv() {
                Ok(e) => out.push(e),
                Err(TryRecvError::Empty) => return out,
                Err(TryRecvError::Disconnected) => {
                    if self.thread.as_ref().is_some_and(JoinHandle::is_finished) || self.thread.is_none() {
                        out.push(TrainEvent::Failed("the trainer thread has stopped; restart the app".into()));
                    }
                    return out;
                }
            }
        }
    }

    /// Waits up to `timeout` for the next event (for tests and the CLI, never the UI thread).
    pub fn recv_timeout(&self, timeout: Duration) -> Option<TrainEvent> {
        self.events.recv_timeout(timeout).ok()
    }
}

impl Drop for TrainerHandle {
    fn drop(&mut self) {
        let _ = self.commands.send(TrainCommand::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn log_error(msg: &str) {
    eprintln!("latent-lab: {msg}");
}

pub use crate::runtime::threads::panic_message;

struct Worker {
    options: WorkerOptions,
    commands: Receiver<TrainCommand>,
    events: Sender<TrainEvent>,
    waker: Waker,
    device: Option<Device>,
    /// Threads a lone model may split its batch over (see `DeviceInfo::cpu_threads`).
    cpu_threads: usize,
    session: Option<TrainSession>,
    /// A running evaluation and the model it is about; it goes before training.
    evaluation: Option<(ModelKind, EvalJob)>,
    paused: bool,
    codes_for_all: bool,
    pending: Vec<(ModelKind, LossPoint)>,
    last_loss: Instant,
    last_codes: Instant,
    last_heldout: Instant,
    /// Until when training yields to interactive requests (see `INTERACTIVE_HOLD`).
    interactive_until: Option<Instant>,
}

impl Worker {
    fn new(options: WorkerOptions, commands: Receiver<TrainCommand>, events: Sender<TrainEvent>, waker: Waker) -> Self {
        let now = Instant::now();
        Self {
            options,
            commands,
            events,
            waker,
            device: None,
            cpu_threads: 1,
            session: None,
            evaluation: None,
            paused: false,
            codes_for_all: false,
            pending: Vec::new(),
            last_loss: now,
            last_codes: now,
            last_heldout: now,
            interactive_until: None,
        }
    }

    /// A request that follows the pointer makes training wait briefly for the next one.
    fn note_interactive(&mut self, purpose: Purpose) {
        if matches!(purpose, Purpose::Probe | Purpose::Drawn) {
            self.interactive_until = Some(Instant::now() + INTERACTIVE_HOLD);
        }
    }

    fn emit(&self, event: TrainEvent) {
        let _ = self.events.send(event);
        (self.waker)();
    }

    fn state(&self) -> WorkerState {
        match (&self.session, self.paused) {
            (None, _) => WorkerState::Idle,
            (Some(_), true) => WorkerState::Paused,
            (Some(_), false) => WorkerState::Training,
        }
    }

    fn run(mut self) {
        // Training yields the CPU to the UI thread and the renderer (which is the CPU too without a GPU), so
        // frames stay smooth; threads this one spawns inherit the priority. Failure only costs smoothness.
        let _ = thread_priority::ThreadPriority::Min.set_for_current();
        self.emit(TrainEvent::State(WorkerState::Starting));
        let pref = self.options.device;
        match catch_unwind(|| device::select(pref)) {
            Ok((device, info)) => {
                let is_gpu = info.backend == Backend::Wgpu;
                self.cpu_threads = info.cpu_threads();
                self.emit(TrainEvent::DeviceReady(info));
                if is_gpu {
                    self.emit(TrainEvent::State(WorkerState::WarmingUp));
                    if let Err(p) = catch_unwind(AssertUnwindSafe(|| warm_up(&device))) {
                        self.emit(TrainEvent::Failed(format!("GPU warm-up failed: {}", panic_message(&*p))));
                    }
                }
                self.device = Some(device);
            }
            Err(p) => {
                let (device, info) = device::select(device::DevicePref::Cpu);
                self.cpu_threads = info.cpu_threads();
                self.emit(TrainEvent::Failed(format!("GPU probe failed ({}); using the CPU", panic_message(&*p))));
                self.emit(TrainEvent::DeviceReady(info));
                self.device = Some(device);
            }
        }
        self.emit(TrainEvent::State(WorkerState::Idle));
        loop {
            let training = self.session.is_some() && !self.paused;
            let hold = self.interactive_until.and_then(|t| t.checked_duration_since(Instant::now()));
            let command = if let Some(wait) = hold.filter(|_| training && self.evaluation.is_none()) {
                match self.commands.recv_timeout(wait) {
                    Ok(c) => Some(c),
                    Err(RecvTimeoutError::Timeout) => {
                        self.interactive_until = None;
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            } else if training || self.evaluation.is_some() {
                match self.commands.try_recv() {
                    Ok(c) => Some(c),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => return,
                }
            } else {
                match self.commands.recv() {
                    Ok(c) => Some(c),
                    Err(_) => return,
                }
            };
            if let Some(command) = command {
                let mut batch = vec![command];
                batch.extend(self.commands.try_iter());
                for command in coalesce(batch) {
                    if !self.handle(command) {
                        return;
                    }
                }
                continue;
            }
            if self.evaluation.is_some() {
                self.evaluation_tick();
            } else {
                self.tick();
            }
        }
    }

    /// Applies a command; returns false on shutdown.
    fn handle(&mut self, command: TrainCommand) -> bool {
        match command {
            TrainCommand::Start { config, dataset } => {
                let Some(device) = self.device.clone() else { return true };
                self.cancel_evaluation();
                self.codes_for_all = config.codes_for_all;
                match catch_unwind(AssertUnwindSafe(|| TrainSession::new(config, dataset, &device))) {
                    Ok(Ok(session)) => {
                        self.emit(TrainEvent::SessionStarted { kinds: session.kinds() });
                        self.session = Some(session.with_cpu_threads(self.cpu_threads));
                        self.paused = false;
                        self.pending.clear();
                        self.send_codes();
                        let now = Instant::now();
                        self.last_loss = now;
                        self.last_heldout = now;
                    }
                    Ok(Err(e)) => self.emit(TrainEvent::Failed(e.to_string())),
                    Err(p) => {
                        self.emit(TrainEvent::Failed(format!("could not build the models: {}", panic_message(&*p))));
                    }
                }
            }
            TrainCommand::Pause => {
                self.flush_losses();
                self.paused = true;
            }
            TrainCommand::Resume => self.paused = false,
            TrainCommand::Step(n) => {
                if self.paused && self.evaluation.is_none() {
                    for _ in 0..n {
                        self.tick();
                        if self.session.as_ref().is_none_or(|s| !s.any_live()) {
                            break;
                        }
                    }
                    self.flush_losses();
                    self.send_codes();
                }
            }
            TrainCommand::Stop => {
                self.cancel_evaluation();
                self.session = None;
                self.paused = false;
            }
            TrainCommand::SetCodesForAll(all) => {
                self.codes_for_all = all;
                if self.session.is_some() {
                    self.send_codes();
                }
            }
            TrainCommand::Decode { model, purpose, zs } => {
                self.note_interactive(purpose);
                let dataset = self.session.as_ref().map(|s| (s.dataset().rows, s.dataset().cols));
                let result = self.session.as_ref().map(|s| catch_unwind(AssertUnwindSafe(|| s.decode(model, &zs))));
                match (result, dataset) {
                    (Some(Ok(Some(images))), Some((rows, cols))) => {
                        self.emit(TrainEvent::Decoded { model, purpose, images, rows, cols });
                    }
                    (Some(Err(p)), _) => {
                        self.emit(TrainEvent::Failed(format!("decoding failed: {}", panic_message(&*p))));
                    }
                    _ => self.emit(TrainEvent::NoModel { model, purpose }),
                }
                return true;
            }
            TrainCommand::Encode { model, purpose, images } => {
                self.note_interactive(purpose);
                let result =
                    self.session.as_ref().map(|s| catch_unwind(AssertUnwindSafe(|| s.encode_images(model, &images))));
                match result {
                    Some(Ok(Some(e))) => self.emit(TrainEvent::Encoded {
                        model,
                        purpose,
                        means: e.means,
                        log_vars: e.log_vars,
                        reconstructions: e.reconstructions,
                    }),
                    Some(Err(p)) => self.emit(TrainEvent::Failed(format!("encoding failed: {}", panic_message(&*p)))),
                    _ => self.emit(TrainEvent::NoModel { model, purpose }),
                }
                return true;
            }
            TrainCommand::Evaluate { model, request } => {
                self.cancel_evaluation();
                self.start_evaluation(model, request);
                return true;
            }
            TrainCommand::Posterior { model, item } => {
                let result = self.session.as_ref().map(|s| catch_unwind(AssertUnwindSafe(|| s.posterior(model, item))));
                match result {
                    Some(Ok(Ok((pixels, view)))) => self.emit(TrainEvent::Posterior { model, item, pixels, view }),
                    Some(Ok(Err(e))) => self.emit(TrainEvent::Failed(format!("posterior: {e}"))),
                    Some(Err(p)) => self.emit(TrainEvent::Failed(format!("posterior failed: {}", panic_message(&*p)))),
                    None => self.emit(TrainEvent::Failed("posterior: no model yet — train or load one first".into())),
                }
                return true;
            }
            TrainCommand::CancelEvaluation => {
                self.cancel_evaluation();
                return true;
            }
            TrainCommand::Save { model, path } => {
                let result = self.session.as_ref().map(|s| catch_unwind(AssertUnwindSafe(|| s.save(model, &path))));
                match result {
                    Some(Ok(Ok(file))) => self.emit(TrainEvent::Saved { model, path: file.display().to_string() }),
                    Some(Ok(Err(e))) => self.emit(TrainEvent::Failed(e.to_string())),
                    Some(Err(p)) => self.emit(TrainEvent::Failed(format!("saving failed: {}", panic_message(&*p)))),
                    None => self.emit(TrainEvent::Failed(format!("no {} to save: train one first", model.short()))),
                }
                return true;
            }
            TrainCommand::Load { path, dataset } => {
                let Some(device) = self.device.clone() else { return true };
                let session = catch_unwind(AssertUnwindSafe(|| TrainSession::from_checkpoint(&path, dataset, &device)));
                self.loaded(session);
            }
            TrainCommand::LoadAll { paths, dataset, learning: (rate, batch) } => {
                let Some(device) = self.device.clone() else { return true };
                let session = catch_unwind(AssertUnwindSafe(|| {
                    TrainSession::from_checkpoints(&paths, dataset, &device).map(|s| s.with_learning(rate, batch))
                }));
                self.loaded(session);
            }
            TrainCommand::Shutdown => return false,
        }
        self.emit(TrainEvent::State(self.state()));
        true
    }

    /// Makes a session read from files the (paused) run, or says why it could not be read.
    fn loaded(&mut self, session: std::thread::Result<Result<TrainSession, TrainError>>) {
        match session {
            Ok(Ok(session)) => {
                self.cancel_evaluation();
                let kinds = session.kinds();
                let description = session.config().observation.describe();
                self.emit(TrainEvent::SessionStarted { kinds: kinds.clone() });
                self.session = Some(session.with_cpu_threads(self.cpu_threads));
                self.paused = true;
                self.pending.clear();
                self.send_codes();
                for model in kinds {
                    self.emit(TrainEvent::Loaded { model, description: description.clone() });
                }
            }
            Ok(Err(e)) => self.emit(TrainEvent::Failed(e.to_string())),
            Err(p) => self.emit(TrainEvent::Failed(format!("loading failed: {}", panic_message(&*p)))),
        }
    }

    /// One training step plus whatever reporting is due.
    fn start_evaluation(&mut self, model: ModelKind, request: EvalRequest) {
        let Some(device) = self.device.clone() else { return };
        let Some(session) = self.session.as_ref() else {
            self.emit(TrainEvent::Failed(format!("no {} to evaluate: train one first", model.short())));
            return;
        };
        let Some(inference) = session.inference_model(model) else {
            self.emit(TrainEvent::Failed(format!("no {} to evaluate: train one first", model.short())));
            return;
        };
        let dim = session.dataset().dim();
        let pixels = session.heldout_pixels();
        match EvalJob::new(inference, pixels, dim, request, self.cpu_threads, device) {
            Ok(job) => {
                self.flush_losses();
                self.emit(TrainEvent::EvalProgress { model, stage: job.stage_label(), fraction: 0.0 });
                self.evaluation = Some((model, job));
            }
            Err(e) => self.emit(TrainEvent::Failed(format!("cannot evaluate the {}: {e}", model.short()))),
        }
    }

    fn cancel_evaluation(&mut self) {
        if let Some((model, _)) = self.evaluation.take() {
            self.emit(TrainEvent::EvalCancelled { model });
        }
    }

    /// One chunk of the running evaluation, then its progress (or its result).
    fn evaluation_tick(&mut self) {
        let Some((model, job)) = self.evaluation.as_mut() else { return };
        let model = *model;
        match catch_unwind(AssertUnwindSafe(|| job.step())) {
            Ok(false) => {
                let event = TrainEvent::EvalProgress { model, stage: job.stage_label(), fraction: job.progress() };
                self.emit(event);
            }
            Ok(true) => {
                let result = job.result();
                self.evaluation = None;
                self.emit(TrainEvent::EvalProgress { model, stage: "done".into(), fraction: 1.0 });
                self.emit(TrainEvent::Evaluated { model, result });
            }
            Err(p) => {
                self.evaluation = None;
                self.emit(TrainEvent::Failed(format!("evaluation crashed: {}", panic_message(&*p))));
            }
        }
    }

    fn tick(&mut self) {
        let Some(session) = self.session.as_mut() else { return };
        let outcome = catch_unwind(AssertUnwindSafe(|| session.step()));
        let outcomes = match outcome {
            Ok(o) => o,
            Err(p) => {
                self.session = None;
                self.emit(TrainEvent::Failed(format!("training crashed: {}", panic_message(&*p))));
                self.emit(TrainEvent::State(WorkerState::Idle));
                return;
            }
        };
        for (kind, outcome) in outcomes {
            match outcome {
                StepOutcome::Trained(p) => self.pending.push((kind, p)),
                StepOutcome::Diverged { step, message } => {
                    self.flush_losses();
                    self.emit(TrainEvent::Diverged { model: kind, step, message });
                    self.send_codes();
                }
            }
        }
        let now = Instant::now();
        if now - self.last_loss >= LOSS_EVERY {
            self.flush_losses();
        }
        if now - self.last_codes >= CODES_EVERY {
            self.send_codes();
        }
        if now - self.last_heldout >= HELDOUT_EVERY {
            self.send_heldout();
        }
        if !self.session.as_ref().is_some_and(TrainSession::any_live) {
            // Every model diverged: training is over, the kept weights stay until the next Start or Stop.
            self.flush_losses();
            self.paused = true;
            self.emit(TrainEvent::State(WorkerState::Paused));
        }
    }

    /// Sends the mean of the pending loss points per model.
    fn flush_losses(&mut self) {
        self.last_loss = Instant::now();
        let kinds: Vec<ModelKind> = self.session.as_ref().map(TrainSession::kinds).unwrap_or_default();
        for kind in kinds {
            let points: Vec<LossPoint> = self.pending.iter().filter(|(k, _)| *k == kind).map(|(_, p)| *p).collect();
            let Some(last) = points.last() else { continue };
            let n = points.len() as f64;
            let point = LossPoint {
                step: last.step,
                epoch: last.epoch,
                recon: points.iter().map(|p| p.recon).sum::<f64>() / n,
                kl: points.iter().map(|p| p.kl).sum::<f64>() / n,
                grad_norm: points.iter().map(|p| p.grad_norm).sum::<f64>() / n,
                grad_norm_sq: points.iter().map(|p| p.grad_norm_sq).sum::<f64>() / n,
            };
            self.emit(TrainEvent::Loss { model: kind, point });
        }
        self.pending.clear();
    }

    fn code_items(&self, session: &TrainSession) -> Vec<usize> {
        if self.codes_for_all {
            (0..session.dataset().len()).collect()
        } else {
            session.dataset().heldout_range().collect()
        }
    }

    fn send_codes(&mut self) {
        self.last_codes = Instant::now();
        let Some(session) = self.session.as_ref() else { return };
        let items = self.code_items(session);
        let labels: Vec<u8> = items.iter().map(|&i| session.dataset().labels[i]).collect();
        let step = session.step_count();
        let result = catch_unwind(AssertUnwindSafe(|| {
            session
                .kinds()
                .into_iter()
                .map(|k| (k, plot_coordinates(&session.codes_full(k, &items))))
                .collect::<Vec<_>>()
        }));
        match result {
            Ok(all) => {
                for (model, (points, projection)) in all {
                    let codes = Codes { step, points, labels: labels.clone(), projection };
                    self.emit(TrainEvent::Codes { model, codes });
                }
            }
            Err(p) => self.emit(TrainEvent::Failed(format!("encoding failed: {}", panic_message(&*p)))),
        }
    }

    fn send_heldout(&mut self) {
        self.last_heldout = Instant::now();
        let Some(session) = self.session.as_ref() else { return };
        let items: Vec<usize> = session.dataset().heldout_range().collect();
        for kind in session.kinds() {
            if let Ok(Some(point)) = catch_unwind(AssertUnwindSafe(|| session.evaluate(kind, &items))) {
                self.emit(TrainEvent::HeldOut { model: kind, point });
            }
        }
    }
}

/// Drops every `Decode`/`Encode` that a later one of the same model and purpose supersedes, keeping order.
pub fn coalesce(commands: Vec<TrainCommand>) -> Vec<TrainCommand> {
    let key = |c: &TrainCommand| match c {
        TrainCommand::Decode { model, purpose, .. } => Some((0, *model, *purpose)),
        TrainCommand::Encode { model, purpose, .. } => Some((1, *model, *purpose)),
        _ => None,
    };
    let keys: Vec<_> = commands.iter().map(key).collect();
    commands
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keys[*i].is_none() || !keys[i + 1..].contains(&keys[*i]))
        .map(|(_, c)| c)
        .collect()
}

/// Runs one tiny forward and backward pass so the GPU kernels compile before the user's first step.
fn warm_up(device: &Device) {
    use crate::models::AutoencoderConfig;
    use burn::prelude::*;
    let device = device.clone().autodiff();
    let model = AutoencoderConfig::new(16, vec![8], 2, true).init(&device);
    let x = Tensor::<2>::zeros([4, 16], &device);
    let eps = Tensor::<2>::zeros([4, 2], &device);
    let loss = model.loss(x, Some(eps)).total();
    let _ = loss.backward();
    let _ = device.sync();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Purpose;

    fn decode(purpose: Purpose, x: f32) -> TrainCommand {
        TrainCommand::Decode { model: ModelKind::Vae, purpose, zs: vec![vec![x, 0.0]] }
    }

    #[test]
    fn only_the_newest_request_per_purpose_survives() {
        let kept = coalesce(vec![
            decode(Purpose::Probe, 1.0),
            TrainCommand::Pause,
            decode(Purpose::Samples, 2.0),
            decode(Purpose::Probe, 3.0),
            decode(Purpose::Probe, 4.0),
            TrainCommand::Resume,
        ]);
        let described: Vec<String> = kept
            .iter()
            .map(|c| match c {
                TrainCommand::Decode { purpose, zs, .. } => format!("{purpose:?}{}", zs[0][0]),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(described, ["Pause", "Samples2", "Probe4", "Resume"]);
    }
}
