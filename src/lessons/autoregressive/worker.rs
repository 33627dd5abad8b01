//! The Autoregressive lesson's own thread ("autoregressive", lowest priority, subnormals flushed): trains MADE on
//! the binarised digits and the WaveNet on synthetic signals (alternating steps when both run), and sends plain-data
//! views (curves, numbers, a copy of the MADE weights, WaveNet continuations) a few times per second. It blocks
//! while nothing trains and ends when the lesson drops its sender.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use eframe::egui;

use crate::autoregressive::made::{self, Digits, Made, MadeTrainer};
use crate::autoregressive::signals::{self, SignalKind};
use crate::autoregressive::wavenet::{WaveNet, WaveNetConfig, WaveNetTrainer};
use crate::data::Dataset;
use crate::lessons::lesson_thread::{self, LessonThread};

/// Time between views.
const REFRESH: Duration = Duration::from_millis(250);
/// Time between held-out scores, weight copies and new continuations.
const FULL_REFRESH: Duration = Duration::from_secs(2);
/// Held-out digits scored for the curve (the first ones of the held-out split).
pub const HELDOUT_SCORED: usize = 300;
/// Training stops by itself after this many steps.
pub const MAX_STEPS: usize = 30_000;
/// Continuations drawn, their length, and the prefix length beyond the receptive field.
pub const CONTINUATIONS: usize = 3;
pub const CONTINUE_LEN: usize = 96;
pub const PREFIX_EXTRA: usize = 64;

/// The WaveNet's learning rate on this tab.
const WAVENET_LR: f32 = 3e-3;

/// What the lesson asks for.
#[derive(Debug, Clone)]
pub enum Request {
    /// Train MADE on `data` (binarised); a new model if none, or the data or `hidden` changed.
    TrainMade {
        data: Arc<Dataset>,
        hidden: usize,
        seed: u64,
        /// Build (or keep) the model but leave it paused, for Step.
        paused: bool,
    },
    /// Go on training the current MADE.
    ResumeMade,
    /// Replace MADE by loaded weights (already checked against `data`'s image size); training paused.
    UseMade {
        model: Box<Made>,
        steps: usize,
        data: Arc<Dataset>,
    },
    PauseMade,
    /// While MADE is paused: exactly this many optimiser steps, then its view with fresh weights.
    StepMade(u32),
    ResetMade,
    /// Train the WaveNet; a new one if none, or the signal kind or dilations changed.
    TrainWaveNet {
        kind: SignalKind,
        dilations: Vec<usize>,
        seed: u64,
        /// Build (or keep) the net but leave it paused, for Step.
        paused: bool,
    },
    /// Replace the WaveNet by loaded weights (trained on `kind` for `steps`); training paused.
    UseWaveNet {
        net: Box<WaveNet>,
        kind: SignalKind,
        steps: usize,
    },
    PauseWaveNet,
    /// While the WaveNet is paused: exactly this many optimiser steps, then its view with fresh continuations.
    StepWaveNet(u32),
    ResetWaveNet,
    /// Draw new continuations at this temperature (and use it from now on).
    Continue {
        temperature: f32,
    },
}

/// MADE as the lesson sees it.
#[derive(Debug, Clone, Default)]
pub struct MadeView {
    pub steps: usize,
    pub seconds: f64,
    /// (step, smoothed minibatch NLL) and (step, held-out NLL), nats per digit.
    pub train_curve: Vec<[f64; 2]>,
    pub heldout_curve: Vec<[f64; 2]>,
    pub heldout: Option<(f64, f64)>,
    pub training: bool,
    /// A copy of the weights (sent every couple of seconds and when training pauses).
    pub model: Option<Arc<Made>>,
    pub rows: usize,
    pub cols: usize,
}

/// The WaveNet as the lesson sees it.
#[derive(Debug, Clone, Default)]
pub struct WaveView {
    pub kind: SignalKind,
    pub dilations: Vec<usize>,
    pub steps: usize,
    /// (step, smoothed cross-entropy in nats per sample).
    pub loss_curve: Vec<[f64; 2]>,
    pub training: bool,
    /// The given part of a fresh test signal, its true rest, and sampled continuations.
    pub prefix: Vec<f32>,
    pub truth: Vec<f32>,
    pub continuations: Vec<Vec<f32>>,
    pub temperature: f32,
    /// A copy of the weights (what a saved scene writes).
    pub net: Option<Arc<WaveNet>>,
}

/// What the thread sends back.
#[derive(Debug, Clone)]
pub enum Reply {
    Made(Box<MadeView>),
    Wave(Box<WaveView>),
    /// A refusal or a stop (divergence), shown on the page it belongs to.
    MadeMessage(String),
    WaveMessage(String),
}

/// The lesson's handle on the thread.
pub type ArWorker = LessonThread<Request, Reply>;

impl ArWorker {
    pub fn spawn(ctx: egui::Context) -> Option<Self> {
        lesson_thread::spawn("autoregressive", ctx, |requests, replies, ctx| run(&requests, &replies, &ctx))
    }
}

struct MadeState {
    data: Arc<Dataset>,
    hidden: usize,
    train: Digits,
    held: Digits,
    trainer: MadeTrainer,
    ema: Option<f64>,
    view: MadeView,
    started: Instant,
    spent: f64,
}

struct WaveState {
    trainer: WaveNetTrainer,
    ema: Option<f64>,
    view: WaveView,
    test_seed: u64,
}

#[derive(Default)]
struct State {
    made: Option<MadeState>,
    wave: Option<WaveState>,
    temperature: f32,
}

fn run(requests: &Receiver<Request>, replies: &Sender<Reply>, ctx: &egui::Context) {
    let mut st = State { temperature: 1.0, ..State::default() };
    let (mut last_view, mut last_full) = (Instant::now(), Instant::now());
    loop {
        let training =
            st.made.as_ref().is_some_and(|m| m.view.training) || st.wave.as_ref().is_some_and(|w| w.view.training);
        if !training {
            let Ok(r) = requests.recv() else { return };
            handle(&mut st, r, replies, ctx);
        }
        loop {
            match requests.try_recv() {
                Ok(r) => handle(&mut st, r, replies, ctx),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => return,
            }
        }
        if let Some(m) = st.made.as_mut().filter(|m| m.view.training) {
            step_made(m, replies);
        }
        if let Some(w) = st.wave.as_mut().filter(|w| w.view.training) {
            step_wave(w, replies);
        }
        if last_view.elapsed() >= REFRESH {
            let full = last_full.elapsed() >= FULL_REFRESH;
            if full {
                last_full = Instant::now();
            }
            if let Some(m) = st.made.as_mut().filter(|m| m.view.training) {
                send_made(m, full, replies);
            }
            if let Some(w) = st.wave.as_mut().filter(|w| w.view.training) {
                if full {
                    refresh_continuations(w, st.temperature);
                }
                let _ = replies.send(wave_reply(w));
            }
            last_view = Instant::now();
            lesson_thread::reported(ctx);
        }
    }
}

fn handle(st: &mut State, r: Request, replies: &Sender<Reply>, ctx: &egui::Context) {
    match r {
        Request::TrainMade { data, hidden, seed, paused } => {
            // A new model unless the current one fits (a changed dataset resets MADE before this).
            let fresh = st.made.as_ref().is_none_or(|m| {
                m.hidden != hidden || m.data.rows != data.rows || m.data.cols != data.cols || m.data.len() != data.len()
            });
            if fresh {
                match new_made(data, hidden, seed) {
                    Ok(m) => st.made = Some(m),
                    Err(e) => {
                        let _ = replies.send(Reply::MadeMessage(e));
                        lesson_thread::reported(ctx);
                        return;
                    }
                }
            }
            if let Some(m) = st.made.as_mut() {
                m.view.training = !paused && m.trainer.steps < MAX_STEPS;
                m.started = Instant::now();
                send_made(m, fresh, replies);
            }
        }
        Request::UseMade { model, steps, data } => {
            let hidden = model.hidden;
            match new_made(data, hidden, 1) {
                Ok(mut m) => {
                    m.trainer = MadeTrainer::new(*model, made::DEFAULT_LR, made::DEFAULT_BATCH, 1);
                    m.trainer.steps = steps;
                    m.view.training = false;
                    send_made(&mut m, true, replies);
                    st.made = Some(m);
                }
                Err(e) => {
                    let _ = replies.send(Reply::MadeMessage(e));
                }
            }
        }
        Request::ResumeMade => {
            if let Some(m) = st.made.as_mut() {
                m.view.training = m.trainer.steps < MAX_STEPS;
                m.started = Instant::now();
                send_made(m, false, replies);
            }
        }
        Request::PauseMade => {
            if let Some(m) = st.made.as_mut().filter(|m| m.view.training) {
                m.view.training = false;
                m.spent += m.started.elapsed().as_secs_f64();
                send_made(m, true, replies);
            }
        }
        Request::StepMade(n) => {
            if let Some(m) = st.made.as_mut().filter(|m| !m.view.training) {
                steps_while(n, || m.trainer.steps < MAX_STEPS && step_made(m, replies));
                m.view.training = false;
                send_made(m, true, replies);
            }
        }
        Request::ResetMade => {
            st.made = None;
            let _ = replies.send(Reply::Made(Box::default()));
        }
        Request::TrainWaveNet { kind, dilations, seed, paused } => {
            let fresh = st.wave.as_ref().is_none_or(|w| w.view.kind != kind || w.view.dilations != dilations);
            if fresh {
                let config = WaveNetConfig { dilations: dilations.clone(), ..WaveNetConfig::default() };
                match WaveNet::new(config, seed) {
                    Ok(net) => {
                        let trainer = WaveNetTrainer::new(net, kind, WAVENET_LR, seed);
                        let view = WaveView { kind, dilations, temperature: st.temperature, ..WaveView::default() };
                        let mut w = WaveState { trainer, ema: None, view, test_seed: 7_000_000 + seed };
                        refresh_continuations(&mut w, st.temperature);
                        st.wave = Some(w);
                    }
                    Err(e) => {
                        let _ = replies.send(Reply::WaveMessage(e.to_string()));
                        lesson_thread::reported(ctx);
                        return;
                    }
                }
            }
            if let Some(w) = st.wave.as_mut() {
                w.view.training = !paused && w.trainer.steps < MAX_STEPS;
                let _ = replies.send(wave_reply(w));
            }
        }
        Request::UseWaveNet { net, kind, steps } => {
            let dilations = net.config.dilations.clone();
            let mut trainer = WaveNetTrainer::new(*net, kind, WAVENET_LR, 1);
            trainer.steps = steps;
            let view = WaveView { kind, dilations, temperature: st.temperature, steps, ..WaveView::default() };
            // The loss curve starts with the loaded net's cross-entropy on fresh signals.
            let window = trainer.window();
            let loss = (0..8_u64)
                .map(|i| trainer.net.signal_loss(&signals::generate(kind, window, 9_000_000 + i)) / 8.0)
                .sum::<f64>();
            let mut w = WaveState { trainer, ema: Some(loss), view, test_seed: 7_000_001 };
            w.view.loss_curve.push([steps as f64, loss]);
            refresh_continuations(&mut w, st.temperature);
            let _ = replies.send(wave_reply(&w));
            st.wave = Some(w);
        }
        Request::PauseWaveNet => {
            if let Some(w) = st.wave.as_mut() {
                w.view.training = false;
                refresh_continuations(w, st.temperature);
                let _ = replies.send(wave_reply(w));
            }
        }
        Request::StepWaveNet(n) => {
            if let Some(w) = st.wave.as_mut().filter(|w| !w.view.training) {
                steps_while(n, || w.trainer.steps < MAX_STEPS && step_wave(w, replies));
                w.view.training = false;
                refresh_continuations(w, st.temperature);
                let _ = replies.send(wave_reply(w));
            }
        }
        Request::ResetWaveNet => {
            st.wave = None;
            let _ = replies.send(Reply::Wave(Box::default()));
        }
        Request::Continue { temperature } => {
            st.temperature = temperature.clamp(0.0, 2.0);
            if let Some(w) = st.wave.as_mut() {
                w.test_seed += 1;
                refresh_continuations(w, st.temperature);
                let _ = replies.send(wave_reply(w));
            }
        }
    }
    lesson_thread::reported(ctx);
}

fn new_made(data: Arc<Dataset>, hidden: usize, seed: u64) -> Result<MadeState, String> {
    let train = Digits::from_dataset(&data, 0..data.train_len);
    let held_range = data.heldout_range();
    let held = Digits::from_dataset(&data, held_range.start..held_range.start + HELDOUT_SCORED);
    let mut model = Made::new(data.rows, data.cols, hidden, seed).map_err(|e| e.to_string())?;
    model.init_output_bias(&train);
    let view = MadeView { rows: data.rows, cols: data.cols, ..MadeView::default() };
    Ok(MadeState {
        data,
        hidden,
        train,
        held,
        trainer: MadeTrainer::new(model, made::DEFAULT_LR, made::DEFAULT_BATCH, seed),
        ema: None,
        view,
        started: Instant::now(),
        spent: 0.0,
    })
}

/// Step control: up to `n` calls of `step`, stopping at the first that says no (the step budget is used up or a
/// step failed).
fn steps_while(n: u32, mut step: impl FnMut() -> bool) {
    for _ in 0..n {
        if !step() {
            break;
        }
    }
}

/// One optimiser step of MADE; `false` when it failed (training stops, the message is sent).
fn step_made(m: &mut MadeState, replies: &Sender<Reply>) -> bool {
    match m.trainer.step(&m.train) {
        Ok(loss) => {
            let ema = m.ema.map_or(loss, |e| 0.95 * e + 0.05 * loss);
            m.ema = Some(ema);
            if m.trainer.steps.is_multiple_of(5) {
                m.view.train_curve.push([m.trainer.steps as f64, ema]);
            }
            if m.trainer.steps >= MAX_STEPS {
                m.view.training = false;
                send_made(m, true, replies);
            }
            true
        }
        Err(e) => {
            m.view.training = false;
            let _ = replies.send(Reply::MadeMessage(e.to_string()));
            send_made(m, true, replies);
            false
        }
    }
}

fn send_made(m: &mut MadeState, full: bool, replies: &Sender<Reply>) {
    m.view.steps = m.trainer.steps;
    m.view.seconds = m.spent + if m.view.training { m.started.elapsed().as_secs_f64() } else { 0.0 };
    if full {
        if let Ok(stats) = m.trainer.model.nll_stats(&m.held, m.held.len()) {
            m.view.heldout = Some(stats);
            if m.view.heldout_curve.last().is_none_or(|p| p[0] < m.trainer.steps as f64) {
                m.view.heldout_curve.push([m.trainer.steps as f64, stats.0]);
            }
        }
        m.view.model = Some(Arc::new(m.trainer.model.clone()));
    }
    let _ = replies.send(Reply::Made(Box::new(m.view.clone())));
    m.view.model = None;
}

/// The WaveNet's view with a copy of its weights.
fn wave_reply(w: &WaveState) -> Reply {
    let mut view = w.view.clone();
    view.net = Some(Arc::new(w.trainer.net.clone()));
    Reply::Wave(Box::new(view))
}

/// One optimiser step of the WaveNet; `false` when it failed (training stops, the message is sent).
fn step_wave(w: &mut WaveState, replies: &Sender<Reply>) -> bool {
    match w.trainer.step() {
        Ok(loss) => {
            let ema = w.ema.map_or(loss, |e| 0.95 * e + 0.05 * loss);
            w.ema = Some(ema);
            w.view.steps = w.trainer.steps;
            if w.trainer.steps.is_multiple_of(2) {
                w.view.loss_curve.push([w.trainer.steps as f64, ema]);
            }
            if w.trainer.steps >= MAX_STEPS {
                w.view.training = false;
            }
            true
        }
        Err(e) => {
            w.view.training = false;
            let _ = replies.send(Reply::WaveMessage(e.to_string()));
            false
        }
    }
}

fn refresh_continuations(w: &mut WaveState, temperature: f32) {
    let net = &w.trainer.net;
    let split = net.receptive_field() + PREFIX_EXTRA;
    let signal = signals::generate(w.view.kind, split + CONTINUE_LEN, w.test_seed);
    w.view.prefix = signal[..split].to_vec();
    w.view.truth = signal[split..].to_vec();
    w.view.temperature = temperature;
    w.view.continuations = (0..CONTINUATIONS as u64)
        .map(|i| net.continue_signal(&w.view.prefix, CONTINUE_LEN, temperature, w.test_seed * 31 + i))
        .collect();
}
