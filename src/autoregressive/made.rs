//! MADE (Germain et al. 2015) on binarised images, in plain Rust (pure: no egui, no threads).
//!
//! One hidden layer of H ReLU units plus direct input→output connections, all masked so that output j (the logit
//! of p(xⱼ = 1 | x<ⱼ)) only sees pixels i < j in raster order. Hidden unit k gets a degree m(k) ∈ [1, D−1] (spread
//! evenly and sorted, so every mask is a contiguous range): input i (degree i+1) feeds k iff m(k) ≥ i+1, and k
//! feeds output j (degree j+1) iff j+1 > m(k). Masked weights start at zero and get zero gradients, so Adam never
//! moves them. Inputs are binary, so a forward pass only adds the weight rows of the "on" pixels.

// Maths notation: one-letter names (x, h, d, l) as in the lecture.
#![allow(clippy::many_single_char_names, clippy::needless_range_loop)]

use crate::nn::kernels::axpy;
use crate::numeric::dot;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::ArError;
use crate::data::Dataset;
use crate::nn::normal;
use crate::runtime::envelope;
use crate::score::{Budget, NllKind, Row};

/// Hidden units used by the CLI, the lesson and the leaderboard unless told otherwise.
pub const DEFAULT_HIDDEN: usize = 500;
/// Adam learning rate and minibatch size used by default.
pub const DEFAULT_LR: f32 = 2e-3;
pub const DEFAULT_BATCH: usize = 64;
/// The `kind` written into MADE model files.
const MAX_DIM: usize = 4096;
const MAX_HIDDEN: usize = 8192;

/// Binary images (one byte per pixel) with the list of "on" pixels of each.
#[derive(Debug, Clone, Default)]
pub struct Digits {
    pub rows: usize,
    pub cols: usize,
    bits: Vec<u8>,
    active: Vec<Vec<u16>>,
}

impl Digits {
    /// Images `range` of `data`, thresholded at 0.5.
    pub fn from_dataset(data: &Dataset, range: std::ops::Range<usize>) -> Self {
        let mut out = Self { rows: data.rows, cols: data.cols, ..Self::default() };
        for i in range.filter(|&i| i < data.len()) {
            out.push(&binarise(data.image(i)));
        }
        out
    }

    /// Adds one binary image (`rows × cols` bytes, 0 or 1).
    pub fn push(&mut self, image: &[u8]) {
        self.active.push(image.iter().enumerate().filter(|&(_, &b)| b != 0).map(|(i, _)| i as u16).collect());
        self.bits.extend(image.iter().map(|&b| u8::from(b != 0)));
    }

    pub fn len(&self) -> usize {
        self.active.len()
    }

    pub fn is_empty(&self) -> bool {
        self.active.is_empty()
    }

    pub fn dim(&self) -> usize {
        self.rows * self.cols
    }

    pub fn image(&self, i: usize) -> &[u8] {
        let d = self.dim();
        &self.bits[i * d..(i + 1) * d]
    }
}

/// Pixels in [0, 1] → bits (threshold 0.5, as `Dataset::binarised`).
pub fn binarise(pixels: &[f32]) -> Vec<u8> {
    pixels.iter().map(|&p| u8::from(p >= 0.5)).collect()
}

/// The weights of a MADE (masked entries are exactly zero).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Made {
    pub rows: usize,
    pub cols: usize,
    pub hidden: usize,
    /// Input → hidden, `[D][H]`.
    w: Vec<f32>,
    b: Vec<f32>,
    /// Hidden → output, `[H][D]`.
    v: Vec<f32>,
    /// Direct input → output, `[D][D]` (strictly upper triangular: input i feeds outputs j > i).
    u: Vec<f32>,
    c: Vec<f32>,
    #[serde(skip)]
    masks: Masks,
}

/// Hidden degrees and the contiguous ranges they give.
#[derive(Debug, Clone, PartialEq, Default)]
struct Masks {
    /// m(k), nondecreasing, in [1, max(D−1, 1)].
    degree: Vec<usize>,
    /// Input i feeds hidden units `in_from[i]..H`.
    in_from: Vec<usize>,
    /// Output j is fed by hidden units `0..out_to[j]`.
    out_to: Vec<usize>,
}

impl Masks {
    fn new(d: usize, h: usize) -> Self {
        let degree: Vec<usize> = (0..h).map(|k| if d < 2 { 1 } else { 1 + k * (d - 1) / h }).collect();
        let in_from = (0..d).map(|i| degree.partition_point(|&m| m < i + 1)).collect();
        let out_to = (0..d).map(|j| degree.partition_point(|&m| m <= j)).collect();
        Self { degree, in_from, out_to }
    }
}

fn softplus(l: f32) -> f32 {
    l.max(0.0) + (-l.abs()).exp().ln_1p()
}

fn sigmoid(l: f32) -> f32 {
    1.0 / (1.0 + (-l).exp())
}

fn add(y: &mut [f32], x: &[f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += xi;
    }
}

impl Made {
    /// A freshly initialised MADE for `rows × cols` images with `hidden` units.
    pub fn new(rows: usize, cols: usize, hidden: usize, seed: u64) -> Result<Self, ArError> {
        let d = rows * cols;
        if d == 0 || d > MAX_DIM || hidden == 0 || hidden > MAX_HIDDEN {
            return Err(ArError::BadInput(format!(
                "MADE needs 1 … {MAX_DIM} pixels and 1 … {MAX_HIDDEN} hidden units (got {rows}×{cols}, {hidden})"
            )));
        }
        let masks = Masks::new(d, hidden);
        let mut rng = SmallRng::seed_from_u64(seed);
        let (sw, sv) = (2.0 / (d as f32).sqrt(), 1.0 / (hidden as f32).sqrt());
        let mut w = vec![0.0; d * hidden];
        for i in 0..d {
            for k in masks.in_from[i]..hidden {
                w[i * hidden + k] = sw * normal(&mut rng);
            }
        }
        let mut v = vec![0.0; hidden * d];
        for k in 0..hidden {
            for j in masks.degree[k].min(d)..d {
                v[k * d + j] = sv * normal(&mut rng);
            }
        }
        Ok(Self { rows, cols, hidden, w, b: vec![0.0; hidden], v, u: vec![0.0; d * d], c: vec![0.0; d], masks })
    }

    pub fn dim(&self) -> usize {
        self.rows * self.cols
    }

    /// Number of weights that are not masked out.
    pub fn parameters(&self) -> usize {
        let d = self.dim();
        let w: usize = self.masks.in_from.iter().map(|&f| self.hidden - f).sum();
        let v: usize = self.masks.out_to.iter().sum();
        w + v + d * (d - 1) / 2 + self.hidden + d
    }

    /// Sets the output biases to the logits of the pixels' mean values in `data` (a good start).
    pub fn init_output_bias(&mut self, data: &Digits) {
        let d = self.dim();
        if data.is_empty() || data.dim() != d {
            return;
        }
        let mut on = vec![0usize; d];
        for a in &data.active {
            for &i in a {
                on[usize::from(i)] += 1;
            }
        }
        for (c, &n) in self.c.iter_mut().zip(&on) {
            let p = ((n as f32 + 0.5) / (data.len() as f32 + 1.0)).clamp(1e-4, 1.0 - 1e-4);
            *c = (p / (1.0 - p)).ln();
        }
    }

    /// Hidden pre-activations for the "on" pixels `active`.
    fn hidden_pre(&self, active: &[u16], a: &mut [f32]) {
        let h = self.hidden;
        a.copy_from_slice(&self.b);
        for &i in active {
            let i = usize::from(i);
            let from = self.masks.in_from[i];
            add(&mut a[from..], &self.w[i * h + from..(i + 1) * h]);
        }
    }

    /// Output logits given the hidden pre-activations `a` and the "on" pixels.
    fn logits_from(&self, active: &[u16], a: &[f32], out: &mut [f32]) {
        let d = self.dim();
        out.copy_from_slice(&self.c);
        for (k, &ak) in a.iter().enumerate() {
            if ak > 0.0 {
                let j0 = self.masks.degree[k].min(d);
                axpy(&mut out[j0..], ak, &self.v[k * d + j0..(k + 1) * d]);
            }
        }
        for &i in active {
            let i = usize::from(i);
            add(&mut out[i + 1..], &self.u[i * d + i + 1..(i + 1) * d]);
        }
    }

    /// The logits of p(xⱼ = 1 | x<ⱼ) for every j, for one binary image.
    pub fn logits(&self, image: &[u8]) -> Vec<f32> {
        let active: Vec<u16> = image.iter().enumerate().filter(|&(_, &b)| b != 0).map(|(i, _)| i as u16).collect();
        let mut a = vec![0.0; self.hidden];
        self.hidden_pre(&active, &mut a);
        let mut out = vec![0.0; self.dim()];
        self.logits_from(&active, &a, &mut out);
        out
    }

    /// Exact log p(x) in nats for one binary image (`dim()` bytes, 0 or 1).
    pub fn log_prob(&self, image: &[u8]) -> f64 {
        let l = self.logits(image);
        -image.iter().zip(&l).map(|(&x, &l)| f64::from(softplus(l) - f32::from(x) * l)).sum::<f64>()
    }

    /// Mean and standard error of −log p(x) over the first `limit` images of `data`.
    pub fn nll_stats(&self, data: &Digits, limit: usize) -> Result<(f64, f64), ArError> {
        self.check_size(data.rows, data.cols)?;
        let n = data.len().min(limit);
        if n == 0 {
            return Err(ArError::BadInput("no images to score".into()));
        }
        let nll: Vec<f64> = (0..n).map(|i| -self.log_prob(data.image(i))).collect();
        let mean = nll.iter().sum::<f64>() / n as f64;
        let var = if n > 1 { nll.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64 } else { 0.0 };
        Ok((mean, (var / n as f64).sqrt()))
    }

    /// Refuses data of another image size.
    pub fn check_size(&self, rows: usize, cols: usize) -> Result<(), ArError> {
        if rows == self.rows && cols == self.cols {
            Ok(())
        } else {
            Err(ArError::SizeMismatch {
                model_rows: self.rows,
                model_cols: self.cols,
                data_rows: rows,
                data_cols: cols,
            })
        }
    }

    fn is_finite(&self) -> bool {
        [&self.w, &self.b, &self.v, &self.u, &self.c].iter().all(|p| p.iter().all(|x| x.is_finite()))
    }

    fn blocks_mut(&mut self) -> [&mut Vec<f32>; 5] {
        [&mut self.w, &mut self.b, &mut self.v, &mut self.u, &mut self.c]
    }

    fn zeroed(&self) -> Self {
        let z = |v: &Vec<f32>| vec![0.0; v.len()];
        Self {
            w: z(&self.w),
            b: z(&self.b),
            v: z(&self.v),
            u: z(&self.u),
            c: z(&self.c),
            masks: self.masks.clone(),
            ..*self
        }
    }

    /// Adds the gradient of −log p(x) for one image to `g`; returns −log p(x).
    fn accumulate(&self, image: &[u8], active: &[u16], g: &mut Self, scratch: &mut Scratch) -> f64 {
        let (d, h) = (self.dim(), self.hidden);
        scratch.resize(d, h);
        self.hidden_pre(active, &mut scratch.a);
        self.logits_from(active, &scratch.a, &mut scratch.l);
        let mut nll = 0.0_f64;
        for j in 0..d {
            let (l, x) = (scratch.l[j], f32::from(image[j]));
            nll += f64::from(softplus(l) - x * l);
            scratch.dl[j] = sigmoid(l) - x;
        }
        add(&mut g.c, &scratch.dl);
        for &i in active {
            let i = usize::from(i);
            add(&mut g.u[i * d + i + 1..(i + 1) * d], &scratch.dl[i + 1..]);
        }
        for k in 0..h {
            let ak = scratch.a[k];
            scratch.da[k] = if ak > 0.0 {
                let j0 = self.masks.degree[k].min(d);
                axpy(&mut g.v[k * d + j0..(k + 1) * d], ak, &scratch.dl[j0..]);
                dot(&self.v[k * d + j0..(k + 1) * d], &scratch.dl[j0..])
            } else {
                0.0
            };
        }
        add(&mut g.b, &scratch.da);
        for &i in active {
            let i = usize::from(i);
            let from = self.masks.in_from[i];
            add(&mut g.w[i * h + from..(i + 1) * h], &scratch.da[from..]);
        }
        nll
    }

    /// Writes the model file (JSON with `"kind": "made"`).
    pub fn save(&self, path: &Path, info: &MadeInfo) -> Result<(), ArError> {
        let file = MadeFileRef { kind: envelope::FileKind::Made.tag(), version: envelope::VERSION, info, model: self };
        let text =
            serde_json::to_string(&file).map_err(|e| ArError::Corrupt { path: path.into(), reason: e.to_string() })?;
        crate::runtime::files::write_atomic(path, text.as_bytes())
            .map_err(|error| ArError::Io { path: path.into(), error })
    }

    /// Reads and validates a model file.
    pub fn load(path: &Path) -> Result<(Self, MadeInfo), ArError> {
        let bytes = crate::runtime::files::read_limited(path, crate::runtime::files::limit::MODEL)
            .map_err(|error| ArError::Io { path: path.into(), error })?;
        Self::from_json(&bytes, path)
    }

    /// Parses and validates a model file's bytes (`path` only names it in errors).
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<(Self, MadeInfo), ArError> {
        let corrupt = |reason: String| ArError::Corrupt { path: path.into(), reason };
        let bytes = crate::runtime::files::strip_bom(bytes);
        let head: Head = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
        let made = [envelope::FileKind::Made];
        envelope::expect_head(head.kind.as_deref(), head.version.as_ref(), &made).map_err(|reason| {
            match head.kind.as_deref().and_then(envelope::FileKind::from_tag) {
                Some(found) if found != envelope::FileKind::Made => {
                    ArError::WrongKind { path: path.into(), found: found.label().into(), expected: "a MADE model" }
                }
                _ => corrupt(reason),
            }
        })?;
        let file: MadeFile = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
        let mut m = file.model;
        let (d, h) = (m.rows.saturating_mul(m.cols), m.hidden);
        if d == 0 || d > MAX_DIM || h == 0 || h > MAX_HIDDEN {
            return Err(corrupt(format!("unsupported size {}×{} with {h} hidden units", m.rows, m.cols)));
        }
        let lens = [(m.w.len(), d * h), (m.b.len(), h), (m.v.len(), h * d), (m.u.len(), d * d), (m.c.len(), d)];
        if lens.iter().any(|(got, want)| got != want) {
            return Err(corrupt("weight arrays do not match the stated sizes".into()));
        }
        if !m.is_finite() {
            return Err(corrupt("non-finite weights".into()));
        }
        m.masks = Masks::new(d, h);
        let masked_nonzero = (0..d).any(|i| m.w[i * h..i * h + m.masks.in_from[i]].iter().any(|&x| x != 0.0))
            || (0..h).any(|k| m.v[k * d..k * d + m.masks.degree[k].min(d)].iter().any(|&x| x != 0.0))
            || (0..d).any(|i| m.u[i * d..=i * d + i].iter().any(|&x| x != 0.0));
        if masked_nonzero {
            return Err(corrupt("masked weights are not zero (the model would not be autoregressive)".into()));
        }
        Ok((m, file.info))
    }
}

/// The envelope fields of a model file (the body is parsed apart).
#[derive(serde::Deserialize)]
struct Head {
    kind: Option<String>,
    version: Option<serde_json::Value>,
}

/// What a model file says about its training.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MadeInfo {
    pub steps: usize,
    pub train_seconds: f64,
    pub heldout_nll: Option<f64>,
}

#[derive(Serialize)]
struct MadeFileRef<'a> {
    kind: &'a str,
    version: u64,
    info: &'a MadeInfo,
    model: &'a Made,
}

#[derive(Deserialize)]
struct MadeFile {
    info: MadeInfo,
    model: Made,
}

#[derive(Debug, Default)]
struct Scratch {
    a: Vec<f32>,
    da: Vec<f32>,
    l: Vec<f32>,
    dl: Vec<f32>,
}

impl Scratch {
    fn resize(&mut self, d: usize, h: usize) {
        self.a.resize(h, 0.0);
        self.da.resize(h, 0.0);
        self.l.resize(d, 0.0);
        self.dl.resize(d, 0.0);
    }
}

/// Adam on a MADE, minibatches drawn with a seeded generator; a non-finite loss stops before the update.
pub struct MadeTrainer {
    pub model: Made,
    pub lr: f32,
    pub batch: usize,
    pub steps: usize,
    grads: Made,
    adam: crate::nn::Adam<f32>,
    rng: SmallRng,
    scratch: Scratch,
}

impl MadeTrainer {
    pub fn new(model: Made, lr: f32, batch: usize, seed: u64) -> Self {
        let mut grads = model.zeroed();
        // Masked weights never get a gradient: sparse Adam skips them (most of a MADE's weights).
        let mut adam = crate::nn::Adam::new(grads.blocks_mut().iter().map(|b| b.len()));
        adam.sparse = true;
        Self {
            model,
            lr,
            batch: batch.max(1),
            steps: 0,
            grads,
            adam,
            rng: SmallRng::seed_from_u64(seed ^ 0x5eed),
            scratch: Scratch::default(),
        }
    }

    /// One Adam step on a random minibatch of `train`; returns the minibatch's mean −log p(x) in nats.
    pub fn step(&mut self, train: &Digits) -> Result<f64, ArError> {
        self.model.check_size(train.rows, train.cols)?;
        if train.is_empty() {
            return Err(ArError::BadInput("no training images".into()));
        }
        crate::runtime::steps::record(1);
        for g in self.grads.blocks_mut() {
            g.fill(0.0);
        }
        let mut total = 0.0;
        for _ in 0..self.batch {
            let i = self.rng.random_range(0..train.len());
            total += self.model.accumulate(train.image(i), &train.active[i], &mut self.grads, &mut self.scratch);
        }
        let loss = total / self.batch as f64;
        crate::nn::check_finite(loss, self.grads.blocks_mut().into_iter().map(|g| &g[..]), self.steps + 1)?;
        self.steps += 1;
        let scale = 1.0 / self.batch as f64;
        let grads = self.grads.blocks_mut().into_iter().map(|g| &g[..]);
        let params = self.model.blocks_mut().into_iter().map(|p| &mut p[..]);
        self.adam.step(f64::from(self.lr), scale, params.zip(grads));
        Ok(loss)
    }
}

/// Draws an image pixel by pixel in raster order, keeping the hidden pre-activations up to date (O(H) per pixel).
#[derive(Debug, Clone)]
pub struct Sampler {
    /// The image so far (pixels before `next` are drawn or given).
    pub x: Vec<u8>,
    /// p(xⱼ = 1 | x<ⱼ) of every pixel drawn so far.
    pub probs: Vec<f32>,
    pub next: usize,
    a: Vec<f32>,
    direct: Vec<f32>,
    rng: SmallRng,
}

impl Sampler {
    /// A fresh image (nothing drawn yet).
    pub fn new(model: &Made, seed: u64) -> Self {
        let d = model.dim();
        Self {
            x: vec![0; d],
            probs: vec![0.0; d],
            next: 0,
            a: model.b.clone(),
            direct: vec![0.0; d],
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    /// Starts from `image` with its first `known` pixels given (the rest will be drawn).
    pub fn with_prefix(model: &Made, image: &[u8], known: usize, seed: u64) -> Self {
        let mut s = Self::new(model, seed);
        for j in 0..known.min(model.dim()).min(image.len()) {
            s.probs[j] = f32::from(image[j]);
            s.set(model, j, image[j]);
        }
        s
    }

    fn set(&mut self, model: &Made, j: usize, bit: u8) {
        let (d, h) = (model.dim(), model.hidden);
        self.x[j] = u8::from(bit != 0);
        if bit != 0 {
            let from = model.masks.in_from[j];
            add(&mut self.a[from..], &model.w[j * h + from..(j + 1) * h]);
            add(&mut self.direct[j + 1..], &model.u[j * d + j + 1..(j + 1) * d]);
        }
        self.next = j + 1;
    }

    /// Whether every pixel is drawn.
    pub fn done(&self) -> bool {
        self.next >= self.x.len()
    }

    /// Draws the next pixel; returns its index, or `None` when the image is complete.
    pub fn step(&mut self, model: &Made) -> Option<usize> {
        let j = self.next;
        if j >= self.x.len() || model.dim() != self.x.len() {
            return None;
        }
        let d = model.dim();
        let mut l = model.c[j] + self.direct[j];
        for k in 0..model.masks.out_to[j] {
            let ak = self.a[k];
            if ak > 0.0 {
                l += ak * model.v[k * d + j];
            }
        }
        let p = sigmoid(l);
        self.probs[j] = p;
        let bit = u8::from(self.rng.random::<f32>() < p);
        self.set(model, j, bit);
        Some(j)
    }

    /// Draws every remaining pixel.
    pub fn finish(&mut self, model: &Made) -> &[u8] {
        while self.step(model).is_some() {}
        &self.x
    }
}

/// `count` samples (seeds `seed`, `seed + 1`, …).
pub fn sample(model: &Made, count: usize, seed: u64) -> Vec<Vec<u8>> {
    (0..count as u64)
        .map(|i| {
            let mut s = Sampler::new(model, seed.wrapping_add(i));
            s.finish(model).to_vec()
        })
        .collect()
}

/// `count` completions of `image` given its first `known` pixels (raster order), seeds `seed`, `seed + 1`, ….
pub fn complete(model: &Made, image: &[u8], known: usize, count: usize, seed: u64) -> Result<Vec<Vec<u8>>, ArError> {
    if image.len() != model.dim() {
        return Err(ArError::BadInput(format!(
            "the image has {} pixels but the model expects {}×{} = {}",
            image.len(),
            model.rows,
            model.cols,
            model.dim()
        )));
    }
    if known >= model.dim() {
        return Err(ArError::NothingHidden);
    }
    Ok((0..count as u64)
        .map(|i| {
            let mut s = Sampler::with_prefix(model, image, known, seed.wrapping_add(i));
            s.finish(model).to_vec()
        })
        .collect())
}

/// Trains MADE on `train` until `seconds` have passed (or `max_steps`, or `cancel`), calling `progress` with the
/// fraction done and the latest minibatch NLL after each step. Subnormals are flushed while it runs.
pub fn train_for(
    trainer: &mut MadeTrainer,
    train: &Digits,
    seconds: f64,
    max_steps: Option<usize>,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f32, f64),
) -> Result<f64, ArError> {
    let remaining = max_steps.map(|m| m.saturating_sub(trainer.steps));
    let budget = crate::nn::Budget::seconds(seconds).with_steps(remaining);
    let spent = crate::models::float_env::flush_subnormals(|| {
        crate::nn::budget::run(budget, Some(cancel), |fraction| {
            let loss = trainer.step(train)?;
            progress(fraction as f32, loss);
            Ok::<(), ArError>(())
        })
    })?;
    if spent.cancelled {
        return Err(ArError::Cancelled);
    }
    Ok(spent.seconds)
}

/// The leaderboard entry: binarises `data`, trains MADE (500 hidden units) on its train split for
/// `budget.train_time`, and scores the first `budget.heldout_digits` held-out digits exactly.
pub fn leaderboard_row(
    data: &Dataset,
    budget: &Budget,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f32),
) -> Result<Row, ArError> {
    let bin = data.binarised();
    let train = Digits::from_dataset(&bin, 0..bin.train_len);
    let held_range = bin.heldout_range();
    let held = Digits::from_dataset(&bin, held_range.start..held_range.start + budget.heldout_digits);
    if train.is_empty() || held.is_empty() {
        return Err(ArError::BadInput("the leaderboard needs training and held-out digits".into()));
    }
    let mut model = Made::new(bin.rows, bin.cols, DEFAULT_HIDDEN, budget.seed)?;
    model.init_output_bias(&train);
    let mut trainer = MadeTrainer::new(model, DEFAULT_LR, DEFAULT_BATCH, budget.seed);
    let seconds = budget.train_time.as_secs_f64();
    let elapsed = train_for(&mut trainer, &train, seconds, None, cancel, &mut |f, _| progress(f))?;
    let (nll, se) = trainer.model.nll_stats(&held, held.len())?;
    progress(1.0);
    Ok(Row {
        model: "MADE (exact)".into(),
        nll_nats: nll,
        std_error: se,
        kind: NllKind::Exact,
        digits: held.len(),
        train_seconds: elapsed,
        steps: trainer.steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small MADE with every unmasked weight random, so the test is not trivial.
    fn random_made(rows: usize, cols: usize, hidden: usize, seed: u64) -> Made {
        let mut m = Made::new(rows, cols, hidden, seed).unwrap();
        let mut rng = SmallRng::seed_from_u64(seed + 7);
        let (d, h) = (m.dim(), m.hidden);
        for k in 0..h {
            m.b[k] = normal(&mut rng);
        }
        for j in 0..d {
            m.c[j] = normal(&mut rng);
            for i in 0..j {
                m.u[i * d + j] = normal(&mut rng);
            }
        }
        m
    }

    fn bits(n: usize, d: usize) -> Vec<u8> {
        (0..d).map(|j| ((n >> j) & 1) as u8).collect()
    }

    #[test]
    fn masks_follow_the_degree_rule() {
        let (d, h) = (10, 7);
        let masks = Masks::new(d, h);
        for k in 0..h {
            assert!((1..d).contains(&masks.degree[k]));
            for i in 0..d {
                assert_eq!(k >= masks.in_from[i], masks.degree[k] > i);
                assert_eq!(k < masks.out_to[i], masks.degree[k] <= i);
            }
        }
    }

    #[test]
    fn output_j_ignores_pixels_from_j_on() {
        let m = random_made(3, 4, 9, 3);
        let d = m.dim();
        let mut rng = SmallRng::seed_from_u64(1);
        for _ in 0..20 {
            let x: Vec<u8> = (0..d).map(|_| u8::from(rng.random::<bool>())).collect();
            let base = m.logits(&x);
            for p in 0..d {
                let mut y = x.clone();
                y[p] ^= 1;
                let l = m.logits(&y);
                for j in 0..=p {
                    assert_eq!(l[j], base[j], "output {j} changed when pixel {p} flipped");
                }
            }
        }
    }

    #[test]
    fn probabilities_sum_to_one_over_all_inputs() {
        let m = random_made(2, 4, 16, 5);
        let total: f64 = (0..256).map(|n| m.log_prob(&bits(n, 8)).exp()).sum();
        assert!((total - 1.0).abs() < 1e-5, "Σ p(x) = {total}");
    }

    #[test]
    fn gradients_match_finite_differences() {
        let m = random_made(2, 3, 5, 11);
        let x: Vec<u8> = vec![1, 0, 1, 1, 0, 1];
        let active: Vec<u16> = vec![0, 2, 3, 5];
        let mut g = m.zeroed();
        m.accumulate(&x, &active, &mut g, &mut Scratch::default());
        let nll = |m: &Made| -m.log_prob(&x);
        let eps = 1e-2_f32;
        let mut checked = 0;
        for block in 0..5 {
            let len = m.clone().blocks_mut()[block].len();
            for i in 0..len {
                let analytic = g.clone().blocks_mut()[block][i];
                let (mut plus, mut minus) = (m.clone(), m.clone());
                plus.blocks_mut()[block][i] += eps;
                minus.blocks_mut()[block][i] -= eps;
                let numeric = (nll(&plus) - nll(&minus)) / (2.0 * f64::from(eps));
                assert!((numeric - f64::from(analytic)).abs() < 2e-3 + 1e-2 * numeric.abs(), "block {block}[{i}]");
                checked += 1;
            }
        }
        assert!(checked > 50);
    }

    #[test]
    fn training_lowers_the_nll_of_a_simple_pattern() {
        let mut data = Digits { rows: 2, cols: 3, ..Digits::default() };
        for n in 0..40 {
            let a = u8::from(n % 2 == 0);
            data.push(&[a, 1 - a, a, 1 - a, a, 1 - a]);
        }
        let mut model = Made::new(2, 3, 8, 1).unwrap();
        model.init_output_bias(&data);
        let before = model.nll_stats(&data, 40).unwrap().0;
        let mut t = MadeTrainer::new(model, 0.02, 16, 1);
        for _ in 0..800 {
            t.step(&data).unwrap();
        }
        // The ideal is ln 2 ≈ 0.69 nats: a fair coin for the first pixel, the rest determined by it.
        let after = t.model.nll_stats(&data, 40).unwrap().0;
        assert!(before > 3.0 && after < 0.85, "{before} → {after}");
    }

    #[test]
    fn samples_and_completions_are_deterministic_with_a_seed() {
        let m = random_made(3, 3, 10, 2);
        assert_eq!(sample(&m, 3, 9), sample(&m, 3, 9));
        assert_ne!(sample(&m, 6, 9), sample(&m, 6, 10));
        let x = vec![1, 0, 1, 1, 0, 0, 1, 1, 0];
        let a = complete(&m, &x, 4, 4, 1).unwrap();
        assert_eq!(a, complete(&m, &x, 4, 4, 1).unwrap());
        for c in &a {
            assert_eq!(&c[..4], &x[..4], "the known pixels are kept");
        }
        assert!(matches!(complete(&m, &x, 9, 4, 1), Err(ArError::NothingHidden)));
        assert!(matches!(complete(&m, &x[..4], 2, 4, 1), Err(ArError::BadInput(_))));
    }

    #[test]
    fn incremental_sampling_matches_the_full_forward_pass() {
        let m = random_made(3, 3, 10, 4);
        let mut s = Sampler::new(&m, 3);
        s.finish(&m);
        let l = m.logits(&s.x);
        for j in 0..m.dim() {
            assert!((sigmoid(l[j]) - s.probs[j]).abs() < 1e-5);
        }
    }

    /// A small dataset: 4×4 images of a bar at a random row (binary), 60 items, the last 6 held out.
    fn bars() -> Dataset {
        let mut rng = SmallRng::seed_from_u64(3);
        let mut pixels = Vec::new();
        for _ in 0..60 {
            let row = rng.random_range(0..4);
            pixels.extend((0..16).map(|k| if k / 4 == row { 1.0 } else { 0.0 }));
        }
        Dataset { name: "bars".into(), rows: 4, cols: 4, pixels, labels: vec![0; 60], classes: 1, train_len: 54 }
    }

    #[test]
    fn the_leaderboard_row_trains_and_scores_exactly() {
        let budget = Budget { train_time: std::time::Duration::from_millis(300), seed: 1, heldout_digits: 4 };
        let mut last = 0.0;
        let row = leaderboard_row(&bars(), &budget, &AtomicBool::new(false), &mut |f| last = f).unwrap();
        assert_eq!(row.model, "MADE (exact)");
        assert_eq!(row.kind, NllKind::Exact);
        assert_eq!(row.digits, 4);
        assert!(row.steps > 0 && row.train_seconds >= 0.3);
        assert_eq!(last, 1.0);
        // Four equally likely bars: the best possible NLL is ln 4 ≈ 1.39 nats; 16 fair coins would be 11.1.
        assert!(row.nll_nats > 1.0 && row.nll_nats < 4.0, "{row:?}");
        assert!(row.std_error.is_finite());
        let cancelled = leaderboard_row(&bars(), &budget, &AtomicBool::new(true), &mut |_| {});
        assert!(matches!(cancelled, Err(ArError::Cancelled)));
    }

    #[test]
    fn files_round_trip_and_bad_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let m = random_made(2, 3, 4, 1);
        let info = MadeInfo { steps: 12, train_seconds: 1.5, heldout_nll: Some(3.0) };
        m.save(&path, &info).unwrap();
        assert_eq!(crate::runtime::envelope::identify(&path).unwrap().kind, envelope::FileKind::Made);
        let (back, back_info) = Made::load(&path).unwrap();
        assert_eq!(back, m);
        assert_eq!(back_info, info);
        let bad = |text: &str| Made::from_json(text.as_bytes(), Path::new("x.json")).unwrap_err();
        assert!(matches!(bad("not json"), ArError::Corrupt { .. }));
        assert!(matches!(bad(r#"{"kind":"vae"}"#), ArError::WrongKind { .. }));
        assert!(matches!(bad(r#"{"kind":"ddpm"}"#), ArError::Corrupt { .. }), "an unknown kind");
        assert!(matches!(bad(r#"{"kind":"made","info":{}}"#), ArError::Corrupt { .. }));
        let text = std::fs::read_to_string(&path).unwrap();
        let truncated = &text[..text.len() / 2];
        assert!(matches!(bad(truncated), ArError::Corrupt { .. }));
        // A weight under a mask breaks the autoregressive property: refused.
        let mut leaky = m.clone();
        leaky.u[0] = 1.0;
        leaky.save(&path, &info).unwrap();
        assert!(matches!(Made::load(&path), Err(ArError::Corrupt { .. })));
        assert!(matches!(Made::load(&dir.path().join("missing.json")), Err(ArError::Io { .. })));
        assert!(matches!(m.check_size(28, 28), Err(ArError::SizeMismatch { .. })));
        // rows × cols that overflow a usize are refused as too big, not wrapped into a small size.
        let huge = text.replace("\"rows\":2,", "\"rows\":4294967296,").replace("\"cols\":3,", "\"cols\":4294967297,");
        assert_ne!(huge, text, "the test edits the sizes");
        let ArError::Corrupt { reason, .. } = bad(&huge) else { panic!("not refused as corrupt") };
        assert!(reason.contains("unsupported size"), "{reason}");
    }
}
