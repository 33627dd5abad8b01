//! Binarised images for MADE: one byte per pixel plus the list of "on" pixels of each.

use crate::data::Dataset;

/// Binary images (one byte per pixel) with the list of "on" pixels of each.
#[derive(Debug, Clone, Default)]
pub struct Digits {
    pub rows: usize,
    pub cols: usize,
    pub(super) bits: Vec<u8>,
    pub(super) active: Vec<Vec<u16>>,
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
