//! `latent-lab bench decode`: how long a dragged marker takes from the mouse to a texture, measured through the
//! real worker thread (the same channel, coalescing and session the app uses).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::data::Dataset;
use crate::models::device::DevicePref;
use crate::train::{ModelKind, Purpose, TrainCommand, TrainConfig, TrainEvent, TrainerHandle, WorkerOptions};
use crate::viz::widgets::tile;

/// Waits for an event that `wanted` accepts, failing on `Failed` or after `timeout`.
fn wait_for(
    handle: &TrainerHandle,
    timeout: Duration,
    wanted: impl Fn(&TrainEvent) -> bool,
) -> anyhow::Result<TrainEvent> {
    let until = Instant::now() + timeout;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            bail!("the worker did not answer within {timeout:?}");
        }
        match handle.recv_timeout(left) {
            Some(TrainEvent::Failed(message)) => bail!("the worker failed: {message}"),
            Some(event) if wanted(&event) => return Ok(event),
            _ => {}
        }
    }
}

/// Latency percentiles of `samples` in milliseconds, as one line.
fn summary(samples: &mut [f64]) -> String {
    samples.sort_by(f64::total_cmp);
    let at = |p: f64| crate::numeric::percentile(samples, p);
    format!("p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms", at(50.0), at(95.0), at(100.0))
}

/// Decodes `count` marker positions with the Latent space tab's VAE (AE and VAE training side by side when
/// `training`, else paused) and prints the latency from the request to the image ready for upload.
pub fn bench_decode(device: DevicePref, count: usize, training: bool) -> anyhow::Result<()> {
    let dataset = Arc::new(Dataset::builtin_mnist().context("built-in digits")?);
    let handle = TrainerHandle::spawn(WorkerOptions { device }, Arc::new(|| {}));
    handle.send(TrainCommand::Start { config: TrainConfig::default(), dataset });
    wait_for(&handle, Duration::from_mins(5), |e| matches!(e, TrainEvent::Codes { model: ModelKind::Vae, .. }))?;
    if !training {
        handle.send(TrainCommand::Pause);
    }
    let mut latencies = Vec::with_capacity(count);
    let mut decode_only = Vec::with_capacity(count);
    for i in 0..count {
        // One request per 60 Hz frame, so the trainer is mid-step when a request arrives, as in a real drag.
        std::thread::sleep(Duration::from_millis(16));
        // A marker moving along a circle, as a drag would.
        let t = i as f32 * 0.05;
        let z = vec![1.5 * t.cos(), 1.5 * t.sin()];
        let started = Instant::now();
        handle.send(TrainCommand::Decode { model: ModelKind::Vae, purpose: Purpose::Probe, zs: vec![z] });
        let event = wait_for(&handle, Duration::from_secs(30), |e| {
            matches!(e, TrainEvent::Decoded { purpose: Purpose::Probe, .. } | TrainEvent::NoModel { .. })
        })?;
        let TrainEvent::Decoded { images, rows, cols, .. } = event else { bail!("the model disappeared") };
        let answered = started.elapsed();
        let image = tile(&images, rows, cols, 1, 0);
        std::hint::black_box(&image);
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
        decode_only.push(answered.as_secs_f64() * 1e3);
    }
    handle.send(TrainCommand::Shutdown);
    let state = if training { "while the AE and the VAE train" } else { "with training paused" };
    println!("decode one dragged point, {count} requests {state}:");
    println!("  request → decoded image:      {}", summary(&mut decode_only));
    println!("  request → image ready to draw: {}", summary(&mut latencies));
    println!("  (the frame budget is 16 ms; the texture upload happens in the next frame's paint)");
    Ok(())
}
