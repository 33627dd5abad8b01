//! Diffusion on 28×28 digits: training the U-Net (one Adam step per call), sampling with a scheduler, and
//! validated checkpoints (`FILE.bpk` weights + `FILE.json` description). No egui, no threads.

use std::path::{Path, PathBuf};

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::sampler::{self, Sampler};
use super::schedule::{Schedule, ScheduleKind};
use super::unet::{UNet, UNetConfig, class_features, time_features};
use crate::data::Dataset;
use crate::models::weight_average::WeightAverage;
use crate::nn::normal;
use crate::runtime::envelope::{self, FileKind};
use crate::runtime::files;

/// The checkpoint that ships with the app (trained by `latent-lab train ddpm --data digits`).
pub const SHIPPED_CHECKPOINT: &str = "assets/ddpm-digits";
/// The shipped checkpoint, embedded so the lesson loads it at once wherever the binary runs.
pub const SHIPPED_JSON: &str = include_str!("../../assets/ddpm-digits.json");
pub const SHIPPED_WEIGHTS: &[u8] = include_bytes!("../../assets/ddpm-digits.bpk");

/// Everything that can be wrong with a diffusion checkpoint, naming the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffusionFileError {
    #[error("{path}: cannot read the model description: {message}")]
    ReadConfig { path: PathBuf, message: String },
    #[error("{path}: not a diffusion U-Net description: {message}")]
    BadConfig { path: PathBuf, message: String },
    #[error(
        "{path}: the weights do not fit the U-Net in its description (corrupt, truncated or another architecture): {message}"
    )]
    BadWeights { path: PathBuf, message: String },
    #[error("{path}: the model was trained on {found}×{found} images, but these are {expected}×{expected}")]
    WrongImageSize { path: PathBuf, expected: usize, found: usize },
    #[error(
        "{path}: the model was trained with the {found} schedule, but this lesson samples with the {expected} schedule"
    )]
    WrongSchedule { path: PathBuf, expected: String, found: String },
    #[error("{path}: could not save: {message}")]
    Save { path: PathBuf, message: String },
}

/// The two files of a checkpoint given either of them (or the name without extension).
pub fn files(path: &Path) -> (PathBuf, PathBuf) {
    files::pair_paths(path)
}

fn schedule_name(kind: ScheduleKind, steps: usize) -> String {
    format!("{} (T = {steps})", kind.label())
}

/// Saves a U-Net and its description; returns the weights file.
pub fn save(model: &UNet, config: &UNetConfig, path: &Path) -> Result<PathBuf, DiffusionFileError> {
    let (weights, description) = files(path);
    let err = |path: &Path, message: String| DiffusionFileError::Save { path: path.to_owned(), message };
    if let Some(parent) = description.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| err(parent, e.to_string()))?;
    }
    let bytes = model.valid().into_record().into_bytes().map_err(|e| err(&weights, e.to_string()))?;
    let json = envelope::wrap_pair(FileKind::UNet, config, &bytes).map_err(|e| err(&description, e))?;
    files::write_pair((&weights, &bytes[..]), (&description, json.as_bytes()))
        .map_err(|e| err(&weights, e.to_string()))?;
    Ok(weights)
}

/// Parses and checks a description.
pub fn parse_config(text: &str, path: &Path) -> Result<UNetConfig, DiffusionFileError> {
    let bad = |message: String| DiffusionFileError::BadConfig { path: path.to_owned(), message };
    let (value, _) = envelope::parse_expecting(text, &[FileKind::UNet]).map_err(bad)?;
    if let Some(arch) = value.get("architecture").and_then(|a| a.as_str())
        && arch != super::unet::UNET_ARCHITECTURE
    {
        return Err(bad(format!("its architecture is \"{arch}\", not a digits U-Net")));
    }
    let config: UNetConfig = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
    config.validate().map_err(bad)?;
    Ok(config)
}

/// Reads a checkpoint's description (checked) and its weights as bytes; errors name the file.
pub fn read_checkpoint(path: &Path) -> Result<(UNetConfig, Vec<u8>), DiffusionFileError> {
    let (weights, description) = files(path);
    let text = files::read_text_limited(&description, files::limit::DESCRIPTION)
        .map_err(|e| DiffusionFileError::ReadConfig { path: description.clone(), message: e.to_string() })?;
    let config = parse_config(&text, &description)?;
    let bytes = envelope::read_pair_weights(&weights, &text)
        .map_err(|e| DiffusionFileError::BadWeights { path: weights, message: e.to_string() })?;
    Ok((config, bytes))
}

fn build(path: &Path, config: &UNetConfig, device: &Device, bytes: Vec<u8>) -> Result<UNet, DiffusionFileError> {
    weights_from_bytes(config, device, bytes)
        .map_err(|message| DiffusionFileError::BadWeights { path: files(path).0, message })
}

/// Loads a checkpoint onto `device` as its description says (any image size and schedule).
pub fn load_described(path: &Path, device: &Device) -> Result<(UNet, UNetConfig), DiffusionFileError> {
    let (config, bytes) = read_checkpoint(path)?;
    Ok((build(path, &config, device, bytes)?, config))
}

/// Loads a checkpoint onto `device` for inference, checking it fits `image_size`² images and the expected
/// schedule. On any error nothing is returned, so the caller keeps its current model.
pub fn load(
    path: &Path,
    device: &Device,
    image_size: usize,
    schedule: (ScheduleKind, usize),
) -> Result<(UNet, UNetConfig), DiffusionFileError> {
    let (config, bytes) = read_checkpoint(path)?;
    check_fit(&config, &files(path).1, image_size, schedule)?;
    Ok((build(path, &config, device, bytes)?, config))
}

/// Builds the U-Net of `config` with the weights in `bytes` (a burnpack file read into memory, so nothing is read
/// lazily from a file that may change later).
fn weights_from_bytes(config: &UNetConfig, device: &Device, bytes: Vec<u8>) -> Result<UNet, String> {
    crate::models::checkpoint::load_weights(config.init(device), bytes)
}

fn check_fit(
    config: &UNetConfig,
    description: &Path,
    image_size: usize,
    (kind, steps): (ScheduleKind, usize),
) -> Result<(), DiffusionFileError> {
    if config.image_size != image_size {
        return Err(DiffusionFileError::WrongImageSize {
            path: description.to_owned(),
            expected: image_size,
            found: config.image_size,
        });
    }
    if (config.schedule, config.steps) != (kind, steps) {
        return Err(DiffusionFileError::WrongSchedule {
            path: description.to_owned(),
            expected: schedule_name(kind, steps),
            found: schedule_name(config.schedule, config.steps),
        });
    }
    Ok(())
}

/// The parameter-wise mean of U-Net checkpoints with one architecture and schedule. The description is the first
/// file's, with the training steps and seconds of all of them added up (runs that share a start count it twice).
pub fn average(paths: &[PathBuf], device: &Device) -> Result<(UNet, UNetConfig), DiffusionFileError> {
    let loaded = paths.iter().map(|path| load_described(path, device)).collect::<Result<Vec<_>, _>>()?;
    let Some(((_, first), rest)) = loaded.split_first() else {
        return Err(DiffusionFileError::BadConfig { path: PathBuf::new(), message: "no models to average".into() });
    };
    let untrained = |c: &UNetConfig| UNetConfig { trained_steps: 0, trained_seconds: 0.0, ..c.clone() };
    if let Some((path, _)) = paths[1..].iter().zip(rest).find(|(_, (_, c))| untrained(c) != untrained(first)) {
        return Err(DiffusionFileError::BadConfig {
            path: files(path).1,
            message: "its architecture or schedule differs from the first model's, so they cannot be averaged".into(),
        });
    }
    let config = UNetConfig {
        trained_steps: loaded.iter().map(|(_, c)| c.trained_steps).sum(),
        trained_seconds: loaded.iter().map(|(_, c)| c.trained_seconds).sum(),
        ..first.clone()
    };
    let mut models: Vec<UNet> = loaded.into_iter().map(|(m, _)| m).collect();
    let mean = WeightAverage::mean_of(&models).ok_or_else(|| DiffusionFileError::BadWeights {
        path: files(&paths[0]).0,
        message: "the models' weights have different shapes".into(),
    })?;
    // Not empty: `split_first` found a first model.
    Ok((mean.apply(models.swap_remove(0)), config))
}

/// The shipped checkpoint (embedded in the binary), loaded onto `device`.
pub fn load_shipped(device: &Device) -> Result<(UNet, UNetConfig), DiffusionFileError> {
    let path = Path::new(SHIPPED_CHECKPOINT);
    let config = parse_config(SHIPPED_JSON, &path.with_extension("json"))?;
    let model = weights_from_bytes(&config, device, SHIPPED_WEIGHTS.to_vec())
        .map_err(|message| DiffusionFileError::BadWeights { path: path.with_extension("bpk"), message })?;
    Ok((model, config))
}

/// The images of a dataset's training split scaled to [−1, 1], if they are square with a side that fits the U-Net.
pub fn training_images(dataset: &Dataset, image_size: usize) -> Result<Vec<f32>, String> {
    if dataset.rows != image_size || dataset.cols != image_size {
        return Err(format!(
            "the digits U-Net needs {image_size}×{image_size} images; {} has {}×{}",
            dataset.name, dataset.rows, dataset.cols
        ));
    }
    Ok(dataset.pixels[..dataset.train_len * dataset.dim()].iter().map(|p| 2.0 * p - 1.0).collect())
}

/// Long-run decay of the weight average that sampling uses.
pub const WEIGHT_AVERAGE_DECAY: f64 = 0.999;
/// How often a conditional model trains with "no label" instead of the digit's label (classifier-free guidance
/// needs both predictions from one network).
pub const UNLABELLED_FRACTION: f64 = 0.2;

/// One training run of the U-Net: mini-batches of the training digits, random t and ε, MSE on ε, Adam. Samples
/// come from an exponential moving average of the weights ([`WeightAverage`]).
pub struct DigitsTrainer {
    pub config: UNetConfig,
    model: Option<UNet>,
    average: WeightAverage,
    optim: ModuleOptimizer,
    device: Device,
    schedule: Schedule,
    images: Vec<f32>,
    labels: Vec<u8>,
    rng: SmallRng,
    pub batch: usize,
    pub learning_rate: f64,
    pub steps_done: usize,
}

impl DigitsTrainer {
    /// A fresh U-Net on `device` (a plain device; autodiff is added here).
    pub fn new(
        dataset: &Dataset,
        config: UNetConfig,
        device: &Device,
        batch: usize,
        seed: u64,
    ) -> Result<Self, String> {
        Self::with_weights(dataset, config, None, device, batch, seed)
    }

    /// Like [`DigitsTrainer::new`], but starting from the weights in `weights` (a burnpack file's bytes for the
    /// same configuration), to continue an earlier run.
    pub fn with_weights(
        dataset: &Dataset,
        config: UNetConfig,
        weights: Option<Vec<u8>>,
        device: &Device,
        batch: usize,
        seed: u64,
    ) -> Result<Self, String> {
        config.validate()?;
        let images = training_images(dataset, config.image_size)?;
        let schedule = Schedule::new(config.schedule, config.steps).map_err(|e| e.to_string())?;
        let device = device.clone().autodiff();
        device.seed(seed);
        let mut model = config.init(&device);
        if let Some(bytes) = weights {
            model = weights_from_bytes(&config, &device, bytes)
                .map_err(|e| format!("the weights to continue from do not fit this U-Net: {e}"))?;
        }
        let average = WeightAverage::new(&model, WEIGHT_AVERAGE_DECAY);
        Ok(Self {
            config,
            model: Some(model),
            average,
            optim: AdamConfig::new().with_epsilon(1e-8).init(),
            device,
            schedule,
            labels: dataset.labels[..images.len() / dataset.dim()].to_vec(),
            images,
            rng: SmallRng::seed_from_u64(seed),
            batch: batch.max(1),
            learning_rate: 1e-3,
            steps_done: 0,
        })
    }

    /// Adds conditioning on `classes` classes to an unconditional model (see [`UNet::with_classes`]); the weight
    /// average starts again from the result.
    pub fn add_classes(&mut self, classes: usize) -> Result<(), String> {
        if self.config.classes != 0 {
            return Err(format!("the model is already conditioned on {} classes", self.config.classes));
        }
        let config = UNetConfig { classes, ..self.config.clone() };
        config.validate()?;
        let Some(model) = self.model.take() else { return Err("the model was lost in an earlier step".into()) };
        crate::runtime::steps::record(1);
        let model = model.with_classes(classes, config.time_dim, &self.device);
        self.average = WeightAverage::new(&model, WEIGHT_AVERAGE_DECAY);
        self.model = Some(model);
        self.config = config;
        Ok(())
    }

    /// One Adam step; returns the mean squared error of the noise prediction. A non-finite loss leaves the
    /// weights as they were and returns an error.
    pub fn step(&mut self) -> Result<f32, String> {
        let Some(model) = self.model.take() else { return Err("the model was lost in an earlier step".into()) };
        let size = self.config.image_size;
        let dim = size * size;
        let count = self.images.len() / dim;
        let b = self.batch;
        let mut xt = Vec::with_capacity(b * dim);
        let mut eps = Vec::with_capacity(b * dim);
        let mut ts = Vec::with_capacity(b);
        let mut labels = Vec::with_capacity(b);
        for _ in 0..b {
            let i = self.rng.random_range(0..count);
            let keep_label = self.rng.random::<f64>() >= UNLABELLED_FRACTION;
            labels.push(keep_label.then(|| usize::from(self.labels[i])));
            let t = self.rng.random_range(1..=self.schedule.steps());
            let ab = self.schedule.alpha_bar(t);
            let (a, s) = (ab.sqrt() as f32, (1.0 - ab).sqrt() as f32);
            for &x in &self.images[i * dim..(i + 1) * dim] {
                let e = normal(&mut self.rng);
                eps.push(e);
                xt.push(a * x + s * e);
            }
            ts.push(t);
        }
        let x = Tensor::<4>::from_data(TensorData::new(xt, [b, 1, size, size]), &self.device);
        let target = Tensor::<4>::from_data(TensorData::new(eps, [b, 1, size, size]), &self.device);
        let classes = (self.config.classes > 0).then(|| class_features(&labels, self.config.classes, &self.device));
        let pred = model.forward(x, time_features(&ts, self.schedule.steps(), &self.device), classes);
        let diff = pred - target;
        let loss = (diff.clone() * diff).mean();
        let value: f32 = loss.clone().into_scalar();
        if let Err(diverged) = crate::nn::check_finite::<f32>(f64::from(value), [], self.steps_done + 1) {
            self.model = Some(model);
            return Err(diverged.to_string());
        }
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let model = self.optim.step(self.learning_rate, model, grads);
        self.average.update(&model);
        self.model = Some(model);
        self.steps_done += 1;
        Ok(value)
    }

    /// An inference copy of the averaged weights (what sampling should use).
    pub fn model(&self) -> Option<UNet> {
        self.model.as_ref().map(|m| self.average.apply(m.valid()))
    }
}

/// The guidance scale w that the lesson and the bench use for a class-conditional model.
pub const DEFAULT_GUIDANCE: f32 = 3.0;

/// Which digits to ask a class-conditional model for, and how hard (classifier-free guidance, Ho & Salimans):
/// ε̂ = ε_θ(x_t, ∅) + w (ε_θ(x_t, c) − ε_θ(x_t, ∅)). w = 0 ignores the labels, w = 1 is the plain conditional
/// model, w > 1 trades variety for clearer digits.
#[derive(Debug, Clone, PartialEq)]
pub struct Guidance {
    /// One label per sample (`None`: no label).
    pub labels: Vec<Option<usize>>,
    pub scale: f32,
}

impl Guidance {
    /// Labels 0, 1, …, classes − 1, 0, 1, … for `count` samples.
    #[must_use]
    pub fn cycling(count: usize, classes: usize, scale: f32) -> Self {
        Self { labels: (0..count).map(|i| Some(i % classes.max(1))).collect(), scale }
    }
}

/// ε̂ for `count` images `x` at step `t`, guided if the model is conditional and `guidance` asks for labels.
fn predict_noise(
    model: &UNet,
    config: &UNetConfig,
    guidance: Option<&Guidance>,
    x: &[f32],
    t: usize,
    device: &Device,
) -> Vec<f32> {
    let size = config.image_size;
    let count = x.len() / (size * size);
    let guided = guidance.filter(|g| config.classes > 0 && g.labels.iter().any(Option::is_some) && g.scale != 0.0);
    let (input, classes, n) = match guided {
        None => (x.to_vec(), None, count),
        Some(g) if (g.scale - 1.0).abs() < f32::EPSILON => {
            (x.to_vec(), Some(class_features(&g.labels, config.classes, device)), count)
        }
        // One batch of 2·count: the labelled half, then the unlabelled half.
        Some(g) => {
            let labelled = class_features(&g.labels, config.classes, device);
            let unlabelled = class_features(&vec![None; count], config.classes, device);
            ([x, x].concat(), Some(Tensor::cat(vec![labelled, unlabelled], 0)), 2 * count)
        }
    };
    let input = Tensor::<4>::from_data(TensorData::new(input, [n, 1, size, size]), device);
    let eps = model.forward(input, time_features(&vec![t; n], config.steps, device), classes);
    let eps = eps.into_data().try_to_vec::<f32>().unwrap_or_else(|_| vec![0.0; n * size * size]);
    match guided {
        Some(g) if n == 2 * count => {
            let (with, without) = eps.split_at(x.len());
            with.iter().zip(without).map(|(c, u)| u + g.scale * (c - u)).collect()
        }
        _ => eps,
    }
}

/// Samples `count` images with `sampler` (guided by `guidance` if the model is class-conditional); `keep` sees
/// x_T and every later state (flat, values in about [−1, 1]). Returns the final images as pixels in [0, 1].
#[allow(clippy::too_many_arguments)]
pub fn sample_digits(
    model: &UNet,
    config: &UNetConfig,
    sampler: Sampler,
    count: usize,
    seed: u64,
    guidance: Option<&Guidance>,
    device: &Device,
    keep: impl FnMut(&[f32]),
) -> Result<Vec<f32>, String> {
    if let Some(g) = guidance
        && g.labels.len() != count
    {
        return Err(format!("{} labels for {count} samples", g.labels.len()));
    }
    let schedule = Schedule::new(config.schedule, config.steps).map_err(|e| e.to_string())?;
    let size = config.image_size;
    let x = sampler::sample(
        &schedule,
        sampler,
        count,
        size * size,
        seed,
        Some(1.0),
        |x, t| predict_noise(model, config, guidance, x, t, device),
        keep,
    );
    Ok(to_pixels(&x))
}

/// Model space [−1, 1] to pixels [0, 1].
#[must_use]
pub fn to_pixels(x: &[f32]) -> Vec<f32> {
    x.iter().map(|v| ((v + 1.0) / 2.0).clamp(0.0, 1.0)).collect()
}

/// "16/32/64": the U-Net's channels at full, half and quarter resolution.
#[must_use]
pub fn channels_label(config: &UNetConfig) -> String {
    config.channels.map(|c| c.to_string()).join("/")
}

/// ", labels of 10 classes" for a class-conditional U-Net, else nothing.
fn classes_label(config: &UNetConfig) -> String {
    if config.classes > 0 { format!(", labels of {} classes", config.classes) } else { String::new() }
}

/// A digits model ready to sample, on the CPU, behind plain-data methods (so callers never touch tensors).
pub struct DigitsEngine {
    device: Device,
    model: UNet,
    pub config: UNetConfig,
    /// Where the weights came from, for the UI.
    pub source: String,
}

/// The schedule the lesson samples digits with (the shipped checkpoint's).
pub const LESSON_SCHEDULE: (ScheduleKind, usize) = (ScheduleKind::Linear, 1000);

impl DigitsEngine {
    /// The checkpoint that ships with the app.
    pub fn shipped() -> Result<Self, DiffusionFileError> {
        let device = Device::flex();
        let (model, config) = load_shipped(&device)?;
        let source = format!(
            "shipped checkpoint ({} channels{}, {} training steps of 64 digits, {:.1} h of CPU time)",
            channels_label(&config),
            classes_label(&config),
            config.trained_steps,
            config.trained_seconds / 3600.0
        );
        Ok(Self { device, model, config, source })
    }

    /// A checkpoint file for `image_size`² images and the lesson's schedule.
    pub fn load(path: &Path, image_size: usize) -> Result<Self, DiffusionFileError> {
        let device = Device::flex();
        let (model, config) = load(path, &device, image_size, LESSON_SCHEDULE)?;
        let source = format!(
            "{} ({} channels{}, {} training steps)",
            path.display(),
            channels_label(&config),
            classes_label(&config),
            config.trained_steps
        );
        Ok(Self { device, model, config, source })
    }

    /// The trainer's current weights.
    pub fn from_trainer(trainer: &DigitsTrainer, source: String) -> Option<Self> {
        Some(Self { device: Device::flex(), model: trainer.model()?, config: trainer.config.clone(), source })
    }

    /// Samples `count` images (guided if the model is conditional and `guidance` names labels); `keep` sees every
    /// state (model space, about [−1, 1]). Returns pixels in [0, 1].
    pub fn sample(
        &self,
        sampler: Sampler,
        count: usize,
        seed: u64,
        guidance: Option<&Guidance>,
        keep: impl FnMut(&[f32]),
    ) -> Result<Vec<f32>, String> {
        sample_digits(&self.model, &self.config, sampler, count, seed, guidance, &self.device, keep)
    }
}

/// A fresh trainer for the lesson's "train live from scratch" (CPU, batch 32).
pub fn live_trainer(dataset: &Dataset, seed: u64) -> Result<DigitsTrainer, String> {
    let (kind, steps) = LESSON_SCHEDULE;
    let config = UNetConfig { schedule: kind, steps, ..UNetConfig::default() };
    let mut trainer = DigitsTrainer::new(dataset, config, &Device::flex(), 32, seed)?;
    trainer.learning_rate = 2e-3;
    Ok(trainer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_checked() {
        let path = Path::new("m.json");
        let good = serde_json::to_string(&UNetConfig::default()).unwrap();
        assert!(parse_config(&good, path).is_ok());
        let err = parse_config(&good.replace("ddpm-unet", "ddpm-mlp-2d"), path).unwrap_err();
        assert!(err.to_string().contains("it holds a 2-D diffusion model, not a digits diffusion U-Net"), "{err}");
        let enveloped = envelope::wrap(FileKind::UNet, &UNetConfig::default()).unwrap();
        assert!(parse_config(&enveloped, path).is_ok());
        let err =
            parse_config(&enveloped.replace("\"architecture\": \"ddpm-unet\"", "\"architecture\": \"other\""), path);
        assert!(err.unwrap_err().to_string().contains("architecture is \"other\""));
        let err = parse_config(&good.replace("\"steps\":1000", "\"steps\":0"), path).unwrap_err();
        assert!(err.to_string().contains("T = 0"), "{err}");
        assert!(parse_config("{}", path).is_err());
        let config = UNetConfig::default();
        assert!(matches!(
            check_fit(&config, path, 32, (ScheduleKind::Linear, 1000)),
            Err(DiffusionFileError::WrongImageSize { expected: 32, found: 28, .. })
        ));
        let err = check_fit(&config, path, 28, (ScheduleKind::Cosine, 1000)).unwrap_err();
        assert!(err.to_string().contains("trained with the linear (T = 1000) schedule"), "{err}");
    }

    #[test]
    fn the_unet_keeps_the_image_shape_and_trains_one_step() {
        let device = Device::flex();
        let config = UNetConfig { channels: [8, 16, 16], time_dim: 16, ..UNetConfig::default() };
        let model = config.init(&device);
        let x = Tensor::<4>::zeros([3, 1, 28, 28], &device);
        let y = model.forward(x, time_features(&[1, 500, 1000], 1000, &device), None);
        assert_eq!(y.dims(), [3, 1, 28, 28]);
        let mut seen = 0;
        let out = sample_digits(&model, &config, Sampler::Ddim { steps: 3 }, 2, 1, None, &device, |x| {
            assert_eq!(x.len(), 2 * 784);
            seen += 1;
        })
        .unwrap();
        assert_eq!(out.len(), 2 * 784);
        assert_eq!(seen, 4);
        assert!(out.iter().all(|p| (0.0..=1.0).contains(p)));
        let dataset = Dataset::builtin_mnist().unwrap();
        let mut trainer = DigitsTrainer::new(&dataset, config, &device, 4, 1).unwrap();
        assert!(trainer.step().unwrap().is_finite());
        assert_eq!(trainer.steps_done, 1);
    }

    #[test]
    fn the_shipped_checkpoint_loads() {
        let (model, config) = load_shipped(&Device::flex()).unwrap();
        assert_eq!(config.image_size, 28);
        let out =
            sample_digits(&model, &config, Sampler::Ddim { steps: 2 }, 1, 1, None, &Device::flex(), |_| {}).unwrap();
        assert_eq!(out.len(), 784);
    }

    fn close(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
    }

    #[test]
    fn labels_added_at_zero_change_nothing_until_trained() {
        let device = Device::flex();
        let config = UNetConfig { channels: [8, 8, 8], time_dim: 16, ..UNetConfig::default() };
        let plain = config.init(&device);
        let labelled = plain.clone().with_classes(10, config.time_dim, &device);
        let x = Tensor::<4>::random([3, 1, 28, 28], burn::tensor::Distribution::Normal(0.0, 1.0), &device);
        let time = || time_features(&[5, 300, 900], 1000, &device);
        let flat = |t: Tensor<4>| t.into_data().try_to_vec::<f32>().unwrap();
        let before = flat(plain.forward(x.clone(), time(), None));
        let classes = class_features(&[Some(0), Some(7), None], 10, &device);
        assert_eq!(flat(labelled.forward(x, time(), Some(classes))), before);
        // One-hot rows, "no label" (and a label the model does not know) in the last column.
        let rows = class_features(&[Some(1), None, Some(12)], 3, &device).into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(rows, [0., 1., 0., 0., 0., 0., 0., 1., 0., 0., 0., 1.]);
    }

    #[test]
    fn guidance_mixes_the_labelled_and_unlabelled_predictions() {
        let device = Device::flex();
        // Two channels per GroupNorm group: with one, the norm would erase any per-channel offset from the
        // time and label embedding.
        let config = UNetConfig { channels: [16, 16, 16], time_dim: 16, ..UNetConfig::default() };
        let dataset = Dataset::builtin_mnist().unwrap();
        let mut trainer = DigitsTrainer::new(&dataset, config, &device, 8, 1).unwrap();
        trainer.add_classes(10).unwrap();
        assert!(trainer.add_classes(10).unwrap_err().contains("already conditioned"));
        for _ in 0..3 {
            trainer.step().unwrap();
        }
        let (model, config) = (trainer.model().unwrap(), trainer.config.clone());
        assert_eq!(config.classes, 10);
        let x: Vec<f32> = (0..2 * 784).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
        let labels = vec![Some(3), Some(8)];
        let guided = |scale: f32| {
            predict_noise(&model, &config, Some(&Guidance { labels: labels.clone(), scale }), &x, 400, &device)
        };
        let (unlabelled, labelled) = (guided(0.0), guided(1.0));
        assert_eq!(unlabelled, predict_noise(&model, &config, None, &x, 400, &device));
        assert!(close(&unlabelled, &labelled) > 1e-4, "the label embedding changes nothing");
        let expected: Vec<f32> = unlabelled.iter().zip(&labelled).map(|(u, c)| u + 2.5 * (c - u)).collect();
        assert!(close(&guided(2.5), &expected) < 1e-4);
        // One label per sample.
        let wrong = Guidance { labels: vec![Some(1)], scale: 2.0 };
        let err = sample_digits(&model, &config, Sampler::Ddim { steps: 2 }, 2, 1, Some(&wrong), &device, |_| {});
        assert_eq!(err.unwrap_err(), "1 labels for 2 samples");
    }
}
