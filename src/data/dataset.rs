//! An image dataset with labels, held in memory as `f32` pixels in [0, 1], with a fixed train / held-out split.

use std::path::{Path, PathBuf};

use super::idx::{self, IdxError};

/// The 10,000 MNIST digits shipped in `assets/` (see `assets/mnist-10k/PROVENANCE.md`).
const MNIST_IMAGES_GZ: &[u8] = include_bytes!("../../assets/mnist-10k/images-idx3-ubyte.gz");
const MNIST_LABELS_GZ: &[u8] = include_bytes!("../../assets/mnist-10k/labels-idx1-ubyte.gz");

/// Largest number of classes a label file may use (labels 0..=254).
pub const MAX_CLASSES: usize = 255;

/// Problems with a dataset as a whole (each names the files involved).
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error(transparent)]
    Idx(#[from] IdxError),
    #[error("{images} holds {n_images} images but {labels} holds {n_labels} labels; they must match")]
    CountMismatch { images: PathBuf, labels: PathBuf, n_images: usize, n_labels: usize },
    #[error("{labels}: label {label} at item {index} is out of range (labels must be 0..={max})", max = MAX_CLASSES - 1)]
    LabelOutOfRange { labels: PathBuf, index: usize, label: u8 },
    #[error("{images}: needs at least 2 images (one to train on, one to hold out)")]
    TooFew { images: PathBuf },
}

/// Images and labels with a fixed split: the first `train_len` items train, the rest are held out.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Short name shown in the UI, e.g. "MNIST (10k, built in)".
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    /// Row-major pixels of every image, `len = count * rows * cols`, scaled to [0, 1].
    pub pixels: Vec<f32>,
    pub labels: Vec<u8>,
    /// Number of classes (`max label + 1`).
    pub classes: usize,
    pub train_len: usize,
}

impl Dataset {
    /// The built-in MNIST digits: 9,000 train, 1,000 held out.
    pub fn builtin_mnist() -> Result<Self, DataError> {
        let images_name = Path::new("assets/mnist-10k/images-idx3-ubyte.gz");
        let labels_name = Path::new("assets/mnist-10k/labels-idx1-ubyte.gz");
        let images = idx::parse_images(images_name, MNIST_IMAGES_GZ)?;
        let labels = idx::parse_labels(labels_name, MNIST_LABELS_GZ)?;
        Self::from_parts("MNIST (10k, built in)".into(), images_name, labels_name, &images, labels)
    }

    /// Loads a pair of IDX files (raw or gzip). The last tenth (at least one item) is held out.
    pub fn load(images_path: &Path, labels_path: &Path) -> Result<Self, DataError> {
        let images = idx::read_images(images_path)?;
        let labels = idx::read_labels(labels_path)?;
        let name = images_path
            .file_name()
            .map_or_else(|| images_path.display().to_string(), |n| n.to_string_lossy().into_owned());
        Self::from_parts(name, images_path, labels_path, &images, labels)
    }

    fn from_parts(
        name: String,
        images_path: &Path,
        labels_path: &Path,
        images: &idx::IdxImages,
        labels: Vec<u8>,
    ) -> Result<Self, DataError> {
        if images.count != labels.len() {
            return Err(DataError::CountMismatch {
                images: images_path.to_owned(),
                labels: labels_path.to_owned(),
                n_images: images.count,
                n_labels: labels.len(),
            });
        }
        if images.count < 2 {
            return Err(DataError::TooFew { images: images_path.to_owned() });
        }
        if let Some((index, &label)) = labels.iter().enumerate().find(|&(_, &l)| usize::from(l) >= MAX_CLASSES) {
            return Err(DataError::LabelOutOfRange { labels: labels_path.to_owned(), index, label });
        }
        let classes = labels.iter().copied().max().map_or(1, |m| usize::from(m) + 1);
        let held_out = (images.count / 10).max(1);
        Ok(Self {
            name,
            rows: images.rows,
            cols: images.cols,
            pixels: images.pixels.iter().map(|&p| f32::from(p) / 255.0).collect(),
            labels,
            classes,
            train_len: images.count - held_out,
        })
    }

    /// Number of pixels per image.
    /// The same images with every pixel thresholded at 0.5 to 0 or 1 (the binarised digits all likelihood
    /// models are compared on).
    #[must_use]
    pub fn binarised(&self) -> Self {
        let mut out = self.clone();
        for p in &mut out.pixels {
            *p = if *p >= 0.5 { 1.0 } else { 0.0 };
        }
        if !out.name.ends_with(", binarised") {
            out.name.push_str(", binarised");
        }
        out
    }

    pub fn dim(&self) -> usize {
        self.rows * self.cols
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images (never true for a loaded dataset).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels of image `i`.
    pub fn image(&self, i: usize) -> &[f32] {
        let d = self.dim();
        &self.pixels[i * d..(i + 1) * d]
    }

    /// Indices of the held-out items.
    pub fn heldout_range(&self) -> std::ops::Range<usize> {
        self.train_len..self.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binarised_thresholds_at_one_half_and_keeps_labels() {
        let data = Dataset::builtin_mnist().expect("built-in MNIST");
        let bin = data.binarised();
        assert_eq!(bin.labels, data.labels);
        assert_eq!(bin.train_len, data.train_len);
        for (&b, &p) in bin.pixels.iter().zip(&data.pixels) {
            assert_eq!(b, if p >= 0.5 { 1.0 } else { 0.0 });
        }
        assert!(bin.pixels.contains(&1.0) && bin.pixels.contains(&0.0));
        assert_eq!(bin.binarised().name, bin.name, "binarising twice changes nothing");
    }
}
