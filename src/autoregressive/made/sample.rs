//! Sampling and completing images pixel by pixel.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{Made, add, sigmoid};
use crate::autoregressive::ArError;

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
