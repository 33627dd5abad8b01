//! A WaveNet-style model in plain Rust (pure): a stack of dilated causal convolutions with kernel 2 and ReLU
//! (residual from the second layer on), then a 1×1 layer giving a softmax over Q quantised levels of the next
//! sample. Output t sees inputs t − R + 1 … t with the receptive field R = 1 + Σ_l (kernel − 1)·d_l.

// Maths notation: one-letter names (x, h, d, l) as in the lecture.
#![allow(clippy::many_single_char_names, clippy::needless_range_loop)]

use crate::nn::kernels::axpy;
use crate::numeric::dot;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::ArError;
use super::signals::{self, SignalKind};
use crate::nn::normal;
use crate::runtime::envelope;

/// The shape of a WaveNet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveNetConfig {
    pub channels: usize,
    /// One dilation per layer (kernel 2).
    pub dilations: Vec<usize>,
    /// Quantisation levels of the softmax output.
    pub levels: usize,
}

impl Default for WaveNetConfig {
    fn default() -> Self {
        Self { channels: 24, dilations: vec![1, 2, 4, 8, 16, 32], levels: 64 }
    }
}

impl WaveNetConfig {
    /// R = 1 + Σ (kernel − 1)·d with kernel 2.
    pub fn receptive_field(&self) -> usize {
        receptive_field(&self.dilations)
    }

    fn validate(&self) -> Result<(), ArError> {
        if self.channels == 0 || self.channels > 256 {
            return Err(ArError::BadInput("WaveNet needs 1 … 256 channels".into()));
        }
        if self.dilations.is_empty() || self.dilations.len() > 16 || self.dilations.iter().any(|&d| d == 0 || d > 512) {
            return Err(ArError::BadInput("WaveNet needs 1 … 16 layers with dilations 1 … 512".into()));
        }
        if !(2..=1024).contains(&self.levels) {
            return Err(ArError::BadInput("WaveNet needs 2 … 1024 quantisation levels".into()));
        }
        Ok(())
    }
}

/// 1 + Σ dilations (kernel 2).
pub fn receptive_field(dilations: &[usize]) -> usize {
    1 + dilations.iter().sum::<usize>()
}

/// Weights in blocks: [w₀ (C×2), b₀, then per later layer w (C×2×C, `[out][tap][in]`, tap 0 = t − d) and b,
/// then the output layer (Q×C) and its bias].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaveNet {
    pub config: WaveNetConfig,
    blocks: Vec<Vec<f32>>,
}

/// What a forward pass keeps: pre-activations and outputs of every layer (`[t][channel]`), and the logits.
struct Tape {
    z: Vec<Vec<f32>>,
    h: Vec<Vec<f32>>,
    logits: Vec<f32>,
}

impl WaveNet {
    pub fn new(config: WaveNetConfig, seed: u64) -> Result<Self, ArError> {
        config.validate()?;
        let (c, q, layers) = (config.channels, config.levels, config.dilations.len());
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut rand = |n: usize, s: f32| (0..n).map(|_| s * normal(&mut rng)).collect::<Vec<f32>>();
        let mut blocks = vec![rand(c * 2, 1.0), vec![0.0; c]];
        for _ in 1..layers {
            blocks.push(rand(c * 2 * c, 0.5 / (2.0 * c as f32).sqrt()));
            blocks.push(vec![0.0; c]);
        }
        blocks.push(rand(q * c, 1.0 / (c as f32).sqrt()));
        blocks.push(vec![0.0; q]);
        Ok(Self { config, blocks })
    }

    pub fn receptive_field(&self) -> usize {
        self.config.receptive_field()
    }

    pub fn parameters(&self) -> usize {
        self.blocks.iter().map(Vec::len).sum()
    }

    fn forward(&self, x: &[f32]) -> Tape {
        let (c, q, t_len) = (self.config.channels, self.config.levels, x.len());
        let layers = self.config.dilations.len();
        let mut z = Vec::with_capacity(layers);
        let mut h: Vec<Vec<f32>> = Vec::with_capacity(layers);
        let (w0, b0, d0) = (&self.blocks[0], &self.blocks[1], self.config.dilations[0]);
        let mut z0 = vec![0.0; t_len * c];
        for t in 0..t_len {
            let past = if t >= d0 { x[t - d0] } else { 0.0 };
            for o in 0..c {
                z0[t * c + o] = w0[o * 2] * past + w0[o * 2 + 1] * x[t] + b0[o];
            }
        }
        h.push(z0.iter().map(|v| v.max(0.0)).collect());
        z.push(z0);
        for l in 1..layers {
            let (w, b, d) = (&self.blocks[2 * l], &self.blocks[2 * l + 1], self.config.dilations[l]);
            let prev = &h[l - 1];
            let mut zl = vec![0.0; t_len * c];
            for t in 0..t_len {
                let cur = &prev[t * c..(t + 1) * c];
                for o in 0..c {
                    let row = &w[o * 2 * c..(o + 1) * 2 * c];
                    let mut s = b[o] + dot(&row[c..], cur);
                    if t >= d {
                        s += dot(&row[..c], &prev[(t - d) * c..(t - d + 1) * c]);
                    }
                    zl[t * c + o] = s;
                }
            }
            let hl = prev.iter().zip(&zl).map(|(p, v)| p + v.max(0.0)).collect();
            z.push(zl);
            h.push(hl);
        }
        let (wo, bo) = (&self.blocks[2 * layers], &self.blocks[2 * layers + 1]);
        let top = &h[layers - 1];
        let mut logits = vec![0.0; t_len * q];
        for t in 0..t_len {
            for k in 0..q {
                logits[t * q + k] = bo[k] + dot(&wo[k * c..(k + 1) * c], &top[t * c..(t + 1) * c]);
            }
        }
        Tape { z, h, logits }
    }

    /// Logits of the next sample's level at every position of `x` (`[t][level]`).
    pub fn logits(&self, x: &[f32]) -> Vec<f32> {
        self.forward(x).logits
    }

    /// Mean cross-entropy (nats) of predicting `levels[t + 1]` from inputs ≤ t, for t from R − 1 on, with
    /// gradients added to `grads` (scaled by `weight`) when given.
    fn loss(&self, x: &[f32], levels: &[usize], grads: Option<(&mut [Vec<f32>], f32)>) -> f64 {
        let (c, q, t_len) = (self.config.channels, self.config.levels, x.len());
        let start = (self.receptive_field() - 1).min(t_len.saturating_sub(1));
        let count = t_len.saturating_sub(1).saturating_sub(start).max(1);
        let tape = self.forward(x);
        let mut dlogits = vec![0.0_f32; t_len * q];
        let mut total = 0.0_f64;
        for t in start..t_len.saturating_sub(1) {
            let row = &tape.logits[t * q..(t + 1) * q];
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let sum: f32 = row.iter().map(|v| (v - max).exp()).sum();
            let target = levels[t + 1];
            total += f64::from(sum.ln() + max - row[target]);
            for k in 0..q {
                dlogits[t * q + k] = (row[k] - max).exp() / sum / count as f32;
            }
            dlogits[t * q + target] -= 1.0 / count as f32;
        }
        let Some((g, weight)) = grads else {
            return total / count as f64;
        };
        for v in &mut dlogits {
            *v *= weight;
        }
        let layers = self.config.dilations.len();
        let wo = &self.blocks[2 * layers];
        let mut dh = vec![0.0_f32; t_len * c];
        for t in 0..t_len {
            for k in 0..q {
                let dl = dlogits[t * q + k];
                if dl == 0.0 {
                    continue;
                }
                axpy(&mut g[2 * layers][k * c..(k + 1) * c], dl, &tape.h[layers - 1][t * c..(t + 1) * c]);
                g[2 * layers + 1][k] += dl;
                axpy(&mut dh[t * c..(t + 1) * c], dl, &wo[k * c..(k + 1) * c]);
            }
        }
        for l in (1..layers).rev() {
            let (w, d) = (&self.blocks[2 * l], self.config.dilations[l]);
            let prev = &tape.h[l - 1];
            let mut dprev = dh.clone();
            for t in 0..t_len {
                for o in 0..c {
                    let dz = if tape.z[l][t * c + o] > 0.0 { dh[t * c + o] } else { 0.0 };
                    if dz == 0.0 {
                        continue;
                    }
                    let row = &w[o * 2 * c..(o + 1) * 2 * c];
                    g[2 * l + 1][o] += dz;
                    let gw = &mut g[2 * l][o * 2 * c..(o + 1) * 2 * c];
                    axpy(&mut gw[c..], dz, &prev[t * c..(t + 1) * c]);
                    axpy(&mut dprev[t * c..(t + 1) * c], dz, &row[c..]);
                    if t >= d {
                        axpy(&mut gw[..c], dz, &prev[(t - d) * c..(t - d + 1) * c]);
                        axpy(&mut dprev[(t - d) * c..(t - d + 1) * c], dz, &row[..c]);
                    }
                }
            }
            dh = dprev;
        }
        let d0 = self.config.dilations[0];
        for t in 0..t_len {
            let past = if t >= d0 { x[t - d0] } else { 0.0 };
            for o in 0..c {
                let dz = if tape.z[0][t * c + o] > 0.0 { dh[t * c + o] } else { 0.0 };
                g[0][o * 2] += dz * past;
                g[0][o * 2 + 1] += dz * x[t];
                g[1][o] += dz;
            }
        }
        total / count as f64
    }

    /// Mean cross-entropy of a signal (values in [−1, 1], quantised first) in nats per sample.
    pub fn signal_loss(&self, signal: &[f32]) -> f64 {
        let (x, levels) = self.prepare(signal);
        self.loss(&x, &levels, None)
    }

    fn prepare(&self, signal: &[f32]) -> (Vec<f32>, Vec<usize>) {
        let q = self.config.levels;
        let levels: Vec<usize> = signal.iter().map(|&v| signals::quantise(v, q)).collect();
        (levels.iter().map(|&l| signals::dequantise(l, q)).collect(), levels)
    }

    /// Continues `prefix` by `n` samples drawn one at a time from the softmax (at `temperature`; 0 = most likely).
    pub fn continue_signal(&self, prefix: &[f32], n: usize, temperature: f32, seed: u64) -> Vec<f32> {
        let q = self.config.levels;
        let r = self.receptive_field();
        let (mut x, _) = self.prepare(prefix);
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let window = &x[x.len().saturating_sub(r)..];
            let tape = self.forward(window);
            let last = &tape.logits[tape.logits.len() - q..];
            let level = if temperature <= 0.0 {
                last.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(k, _)| k)
            } else {
                let max = last.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let p: Vec<f32> = last.iter().map(|v| ((v - max) / temperature).exp()).collect();
                let mut u = rng.random::<f32>() * p.iter().sum::<f32>();
                let mut pick = q - 1;
                for (k, pk) in p.iter().enumerate() {
                    if u < *pk {
                        pick = k;
                        break;
                    }
                    u -= pk;
                }
                pick
            };
            let v = signals::dequantise(level, q);
            x.push(v);
            out.push(v);
        }
        out
    }
}

/// A WaveNet model file (the one envelope, `"kind": "wavenet"`): the network and the signals it learned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaveNetFile {
    /// Files written before the signal was recorded learned the default, sines.
    #[serde(default)]
    pub signal: SignalKind,
    pub model: WaveNet,
    /// The optimiser steps the weights were trained for (files from before it was saved: 0).
    #[serde(default)]
    pub steps: usize,
}

impl WaveNetFile {
    /// Writes the file atomically.
    pub fn save(&self, path: &std::path::Path) -> Result<(), ArError> {
        let corrupt = |reason: String| ArError::Corrupt { path: path.into(), reason };
        let text = envelope::wrap(envelope::FileKind::WaveNet, self).map_err(corrupt)?;
        crate::runtime::files::write_atomic(path, text.as_bytes())
            .map_err(|error| ArError::Io { path: path.into(), error })
    }

    /// Reads and validates a file.
    pub fn load(path: &std::path::Path) -> Result<Self, ArError> {
        let text = crate::runtime::files::read_text_limited(path, crate::runtime::files::limit::MODEL)
            .map_err(|error| ArError::Io { path: path.into(), error })?;
        Self::from_text(&text, path)
    }

    /// Parses and validates a file's text (`path` only names it in errors).
    pub fn from_text(text: &str, path: &std::path::Path) -> Result<Self, ArError> {
        let corrupt = |reason: String| ArError::Corrupt { path: path.into(), reason };
        let file: Self = envelope::read_as(text, envelope::FileKind::WaveNet).map_err(corrupt)?;
        file.model.validate().map_err(|e| corrupt(e.to_string()))?;
        Ok(file)
    }
}

impl WaveNet {
    /// Checks a network read from a file: its shape within the limits training has, every block the size the
    /// shape asks for, and every weight finite.
    pub fn validate(&self) -> Result<(), ArError> {
        self.config.validate()?;
        let (c, q) = (self.config.channels, self.config.levels);
        let mut sizes = vec![c * 2, c];
        for _ in 1..self.config.dilations.len() {
            sizes.extend([c * 2 * c, c]);
        }
        sizes.extend([q * c, q]);
        let found: Vec<usize> = self.blocks.iter().map(Vec::len).collect();
        if found != sizes {
            return Err(ArError::BadInput(format!(
                "the weight blocks have sizes {found:?}; the shape needs {sizes:?}"
            )));
        }
        if self.blocks.iter().flatten().any(|w| !w.is_finite()) {
            return Err(ArError::BadInput("some weights are NaN or infinite".into()));
        }
        Ok(())
    }
}

/// Adam on fresh random windows of a signal family.
pub struct WaveNetTrainer {
    pub net: WaveNet,
    pub kind: SignalKind,
    pub lr: f32,
    pub batch: usize,
    pub steps: usize,
    adam: crate::nn::Adam<f32>,
    rng: SmallRng,
}

impl WaveNetTrainer {
    pub fn new(net: WaveNet, kind: SignalKind, lr: f32, seed: u64) -> Self {
        let adam = crate::nn::Adam::new(net.blocks.iter().map(Vec::len));
        Self { net, kind, lr, batch: 8, steps: 0, adam, rng: SmallRng::seed_from_u64(seed) }
    }

    /// Window length used for training: the receptive field plus 96 predicted samples.
    pub fn window(&self) -> usize {
        self.net.receptive_field() + 97
    }

    /// One Adam step on `batch` fresh windows; returns the mean cross-entropy in nats per sample.
    pub fn step(&mut self) -> Result<f64, ArError> {
        crate::runtime::steps::record(1);
        let mut g: Vec<Vec<f32>> = self.net.blocks.iter().map(|b| vec![0.0; b.len()]).collect();
        let mut total = 0.0;
        let weight = 1.0 / self.batch as f32;
        for _ in 0..self.batch {
            let signal = signals::generate(self.kind, self.window(), self.rng.random());
            let (x, levels) = self.net.prepare(&signal);
            total += self.net.loss(&x, &levels, Some((&mut g, weight)));
        }
        let loss = total / self.batch as f64;
        crate::nn::check_finite(loss, g.iter().map(Vec::as_slice), self.steps + 1)?;
        self.steps += 1;
        let blocks = self.net.blocks.iter_mut().map(Vec::as_mut_slice).zip(g.iter().map(Vec::as_slice));
        self.adam.step(f64::from(self.lr), 1.0, blocks);
        Ok(loss)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> WaveNet {
        let mut net = WaveNet::new(WaveNetConfig { channels: 3, dilations: vec![1, 2, 4], levels: 5 }, 3).unwrap();
        let mut rng = SmallRng::seed_from_u64(9);
        for b in &mut net.blocks {
            for v in b.iter_mut() {
                *v += 0.3 * normal(&mut rng);
            }
        }
        net
    }

    #[test]
    fn outputs_ignore_the_future_and_see_exactly_the_receptive_field() {
        let net = tiny();
        let r = net.receptive_field();
        assert_eq!(r, 8);
        let q = net.config.levels;
        let x: Vec<f32> = (0..30).map(|t| (t as f32 * 0.37).sin()).collect();
        let base = net.logits(&x);
        for s in 0..x.len() {
            let mut y = x.clone();
            y[s] += 0.5;
            let l = net.logits(&y);
            for t in 0..x.len() {
                let same = l[t * q..(t + 1) * q] == base[t * q..(t + 1) * q];
                if t < s || t >= s + r {
                    assert!(same, "output {t} changed when input {s} moved");
                }
            }
            // The oldest input in the window still matters (generic weights).
            if s + r - 1 < x.len() {
                let t = s + r - 1;
                assert!(l[t * q..(t + 1) * q] != base[t * q..(t + 1) * q], "output {t} should see input {s}");
            }
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let net = tiny();
        let signal: Vec<f32> = (0..20).map(|t| (t as f32 * 0.5).sin() * 0.8).collect();
        let (x, levels) = net.prepare(&signal);
        let mut g: Vec<Vec<f32>> = net.blocks.iter().map(|b| vec![0.0; b.len()]).collect();
        net.loss(&x, &levels, Some((&mut g, 1.0)));
        let eps = 1e-2_f32;
        for (bi, block) in net.blocks.iter().enumerate() {
            for i in 0..block.len() {
                let (mut p, mut m) = (net.clone(), net.clone());
                p.blocks[bi][i] += eps;
                m.blocks[bi][i] -= eps;
                let numeric = (p.loss(&x, &levels, None) - m.loss(&x, &levels, None)) / (2.0 * f64::from(eps));
                let analytic = f64::from(g[bi][i]);
                assert!(
                    (numeric - analytic).abs() < 2e-3 + 2e-2 * numeric.abs(),
                    "block {bi}[{i}]: {numeric} vs {analytic}"
                );
            }
        }
    }

    #[test]
    fn training_learns_a_sine_and_continuations_are_seeded() {
        let net = WaveNet::new(WaveNetConfig { channels: 8, dilations: vec![1, 2, 4, 8], levels: 16 }, 1).unwrap();
        let mut t = WaveNetTrainer::new(net, SignalKind::Square, 0.01, 2);
        let first = t.step().unwrap();
        let mut last = first;
        for _ in 0..150 {
            last = t.step().unwrap();
        }
        assert!(last < 0.6 * first, "{first} → {last}");
        let prefix = signals::generate(SignalKind::Square, 60, 3);
        let a = t.net.continue_signal(&prefix, 20, 1.0, 7);
        assert_eq!(a, t.net.continue_signal(&prefix, 20, 1.0, 7));
        assert_eq!(a.len(), 20);
    }

    #[test]
    fn model_files_round_trip_and_bad_ones_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wave.json");
        let file = WaveNetFile { signal: SignalKind::Square, model: tiny(), steps: 12 };
        file.save(&path).unwrap();
        assert_eq!(WaveNetFile::load(&path).unwrap(), file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(r#"{"kind":"wavenet","version":1"#), "{text:.60}");
        let mut cut = file.clone();
        cut.model.blocks[0].pop();
        let cut = envelope::wrap(envelope::FileKind::WaveNet, &cut).unwrap();
        let err = WaveNetFile::from_text(&cut, &path).unwrap_err().to_string();
        assert!(err.contains("wave.json") && err.contains("weight blocks"), "{err}");
        let made = text.replace("\"wavenet\"", "\"made\"");
        assert!(WaveNetFile::from_text(&made, &path).unwrap_err().to_string().contains("holds a MADE model"));
        let mut poisoned = file.clone();
        poisoned.model.blocks[1][0] = f32::NAN;
        let poisoned = serde_json::to_string(&poisoned).unwrap().replace("null", "1e39");
        let poisoned = poisoned.replacen('{', r#"{"kind":"wavenet","#, 1);
        assert!(WaveNetFile::from_text(&poisoned, &path).unwrap_err().to_string().contains("NaN or infinite"));
    }

    #[test]
    fn bad_configs_are_refused() {
        let bad =
            |channels, dilations: Vec<usize>, levels| WaveNet::new(WaveNetConfig { channels, dilations, levels }, 1);
        assert!(bad(0, vec![1], 8).is_err());
        assert!(bad(4, vec![], 8).is_err());
        assert!(bad(4, vec![0], 8).is_err());
        assert!(bad(4, vec![1], 1).is_err());
    }
}
