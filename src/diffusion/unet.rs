//! A small U-Net ε_θ(x_t, t) for 28×28 images in burn: 28 → 14 → 7 and back, with skip connections, residual
//! blocks (GroupNorm, SiLU, 3×3 convolutions) and a time embedding added to every block. About 0.3 M weights.
//! Optionally class-conditional: a learned embedding of the digit (or of "no label") is added to the time
//! embedding, which is what classifier-free guidance needs.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::silu;
use serde::{Deserialize, Serialize};

use super::schedule::ScheduleKind;
use super::toy::{FREQUENCIES, time_embedding};

/// The architecture tag written into checkpoint descriptions.
pub const UNET_ARCHITECTURE: &str = "ddpm-unet";
/// Width of the sinusoidal time features.
pub const TIME_FEATURES: usize = 2 * FREQUENCIES;

/// Everything needed to rebuild a U-Net and sample with it (the JSON half of a checkpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UNetConfig {
    pub architecture: String,
    /// Side of the square images (28).
    pub image_size: usize,
    /// Channels at full, half and quarter resolution.
    pub channels: [usize; 3],
    /// Width of the time embedding inside the network.
    pub time_dim: usize,
    pub schedule: ScheduleKind,
    pub steps: usize,
    /// Classes the model is conditioned on (0: unconditional). A conditional model also learns "no label"
    /// (class index `classes`), so it can sample unconditionally and with classifier-free guidance.
    #[serde(default)]
    pub classes: usize,
    /// Training steps and seconds behind the weights (information only).
    #[serde(default)]
    pub trained_steps: usize,
    #[serde(default)]
    pub trained_seconds: f64,
}

impl Default for UNetConfig {
    fn default() -> Self {
        Self {
            architecture: UNET_ARCHITECTURE.into(),
            image_size: 28,
            channels: [8, 16, 32],
            time_dim: 64,
            schedule: ScheduleKind::Linear,
            steps: 1000,
            classes: 0,
            trained_steps: 0,
            trained_seconds: 0.0,
        }
    }
}

/// Largest side of the images a U-Net description may claim.
pub const MAX_IMAGE_SIZE: usize = 64;
/// Most diffusion steps T of a U-Net (as `train ddpm --timesteps` allows).
pub const MAX_UNET_STEPS: usize = crate::bounds::SAMPLING_STEPS as usize;

impl UNetConfig {
    /// Checks a description before anything is built from it.
    pub fn validate(&self) -> Result<(), String> {
        if self.architecture != UNET_ARCHITECTURE {
            return Err(format!(
                "architecture \"{}\" is not a diffusion U-Net ({UNET_ARCHITECTURE})",
                self.architecture
            ));
        }
        // The weights fit any image size, so the description's is bounded here: 64² pixels is 5× MNIST's.
        if self.image_size == 0 || !self.image_size.is_multiple_of(4) || self.image_size > MAX_IMAGE_SIZE {
            return Err(format!("image size {} must be a multiple of 4 up to {MAX_IMAGE_SIZE}", self.image_size));
        }
        // Every one of the T steps is a pass of the network per digit when sampling with DDPM.
        if self.steps > MAX_UNET_STEPS {
            return Err(format!("T = {} diffusion steps: a U-Net takes at most {MAX_UNET_STEPS}", self.steps));
        }
        if self.channels.iter().any(|&c| c == 0 || !c.is_multiple_of(8) || c > 512)
            || !(1..=1024).contains(&self.time_dim)
        {
            return Err(format!("channels {:?} must be multiples of 8 up to 512", self.channels));
        }
        if self.classes > MAX_CLASSES {
            return Err(format!(
                "{} classes is more than the {MAX_CLASSES} a U-Net can be conditioned on",
                self.classes
            ));
        }
        super::schedule::Schedule::new(self.schedule, self.steps).map_err(|e| e.to_string())?;
        Ok(())
    }

    #[must_use]
    pub fn init(&self, device: &Device) -> UNet {
        let [c1, c2, c3] = self.channels;
        let td = self.time_dim;
        let conv3 = |a: usize, b: usize, stride: usize| {
            Conv2dConfig::new([a, b], [3, 3])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        let up = |a: usize, b: usize| ConvTranspose2dConfig::new([a, b], [2, 2]).with_stride([2, 2]).init(device);
        UNet {
            class_embedding: (self.classes > 0).then(|| class_embedding(self.classes, td, device)),
            time1: LinearConfig::new(TIME_FEATURES, td).init(device),
            time2: LinearConfig::new(td, td).init(device),
            conv_in: conv3(1, c1, 1),
            down1: ResBlock::new(c1, c1, td, device),
            pool1: conv3(c1, c2, 2),
            down2: ResBlock::new(c2, c2, td, device),
            pool2: conv3(c2, c3, 2),
            mid: ResBlock::new(c3, c3, td, device),
            up2: up(c3, c2),
            dec2: ResBlock::new(2 * c2, c2, td, device),
            up1: up(c2, c1),
            dec1: ResBlock::new(2 * c1, c1, td, device),
            norm_out: GroupNormConfig::new(8, c1).init(device),
            conv_out: conv3(c1, 1, 1),
        }
    }
}

/// Most classes a U-Net may be conditioned on.
pub const MAX_CLASSES: usize = 100;

/// One learned vector per class and one for "no label", starting at zero (so a model that gains classes starts
/// out as the unconditional model it was).
fn class_embedding(classes: usize, time_dim: usize, device: &Device) -> Linear {
    LinearConfig::new(classes + 1, time_dim).with_bias(false).with_initializer(Initializer::Zeros).init(device)
}

/// GroupNorm → SiLU → conv, plus the projected time embedding, → GroupNorm → SiLU → conv, plus a residual.
#[derive(Module, Debug)]
pub struct ResBlock {
    norm1: GroupNorm,
    conv1: Conv2d,
    time: Linear,
    norm2: GroupNorm,
    conv2: Conv2d,
    skip: Option<Conv2d>,
}

impl ResBlock {
    fn new(c_in: usize, c_out: usize, time_dim: usize, device: &Device) -> Self {
        let conv = |a: usize, b: usize| {
            Conv2dConfig::new([a, b], [3, 3]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(device)
        };
        Self {
            norm1: GroupNormConfig::new(8, c_in).init(device),
            conv1: conv(c_in, c_out),
            time: LinearConfig::new(time_dim, c_out).init(device),
            norm2: GroupNormConfig::new(8, c_out).init(device),
            conv2: conv(c_out, c_out),
            skip: (c_in != c_out).then(|| Conv2dConfig::new([c_in, c_out], [1, 1]).init(device)),
        }
    }

    fn forward(&self, x: Tensor<4>, temb: Tensor<2>) -> Tensor<4> {
        let h = self.conv1.forward(silu(self.norm1.forward(x.clone())));
        let [b, c, hh, ww] = h.dims();
        let t = self.time.forward(temb).reshape([b, c, 1, 1]).expand([b, c, hh, ww]);
        let h = self.conv2.forward(silu(self.norm2.forward(h + t)));
        let skip = match &self.skip {
            Some(conv) => conv.forward(x),
            None => x,
        };
        h + skip
    }
}

/// The noise predictor for images.
#[derive(Module, Debug)]
pub struct UNet {
    class_embedding: Option<Linear>,
    time1: Linear,
    time2: Linear,
    conv_in: Conv2d,
    down1: ResBlock,
    pool1: Conv2d,
    down2: ResBlock,
    pool2: Conv2d,
    mid: ResBlock,
    up2: ConvTranspose2d,
    dec2: ResBlock,
    up1: ConvTranspose2d,
    dec1: ResBlock,
    norm_out: GroupNorm,
    conv_out: Conv2d,
}

/// The sinusoidal features of steps `ts` (of `steps`), as a `[ts.len(), TIME_FEATURES]` tensor.
pub fn time_features(ts: &[usize], steps: usize, device: &Device) -> Tensor<2> {
    let mut data = vec![0.0_f32; ts.len() * TIME_FEATURES];
    for (row, &t) in data.chunks_exact_mut(TIME_FEATURES).zip(ts) {
        time_embedding(t, steps, row);
    }
    Tensor::from_data(TensorData::new(data, [ts.len(), TIME_FEATURES]), device)
}

/// One-hot rows for `labels` (`None`: "no label", index `classes`), a `[labels.len(), classes + 1]` tensor.
pub fn class_features(labels: &[Option<usize>], classes: usize, device: &Device) -> Tensor<2> {
    let mut data = vec![0.0_f32; labels.len() * (classes + 1)];
    for (row, label) in data.chunks_exact_mut(classes + 1).zip(labels) {
        row[label.filter(|&c| c < classes).unwrap_or(classes)] = 1.0;
    }
    Tensor::from_data(TensorData::new(data, [labels.len(), classes + 1]), device)
}

impl UNet {
    /// ε_θ for images `x` of shape `[batch, 1, size, size]` and time features from [`time_features`]; `classes`
    /// (from [`class_features`]) is ignored by an unconditional model, and a conditional one without it
    /// predicts with "no label".
    pub fn forward(&self, x: Tensor<4>, time: Tensor<2>, classes: Option<Tensor<2>>) -> Tensor<4> {
        let mut temb = self.time2.forward(silu(self.time1.forward(time)));
        if let Some(embedding) = &self.class_embedding {
            let classes = classes.unwrap_or_else(|| {
                // The weight is [classes + 1, time_dim].
                let known = embedding.weight.dims()[0] - 1;
                class_features(&vec![None; temb.dims()[0]], known, &temb.device())
            });
            temb = temb + embedding.forward(classes);
        }
        let h0 = self.conv_in.forward(x);
        let s1 = self.down1.forward(h0, temb.clone());
        let s2 = self.down2.forward(self.pool1.forward(s1.clone()), temb.clone());
        let m = self.mid.forward(self.pool2.forward(s2.clone()), temb.clone());
        let u2 = self.dec2.forward(Tensor::cat(vec![self.up2.forward(m), s2], 1), temb.clone());
        let u1 = self.dec1.forward(Tensor::cat(vec![self.up1.forward(u2), s1], 1), temb);
        self.conv_out.forward(silu(self.norm_out.forward(u1)))
    }

    /// This unconditional model with a class embedding for `classes` classes added, at zero: it predicts what it
    /// did before for every label until it is trained further.
    #[must_use]
    pub fn with_classes(self, classes: usize, time_dim: usize, device: &Device) -> Self {
        Self { class_embedding: Some(class_embedding(classes, time_dim, device)), ..self }
    }
}
