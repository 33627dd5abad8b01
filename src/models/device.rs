//! The one place that chooses where tensors live: a hardware GPU through wgpu, otherwise burn's CPU backend (flex).

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;
use burn::tensor::wgpu::wgpu;
use serde::{Deserialize, Serialize};

/// What the user asked for (`--device auto|cpu|wgpu`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
pub enum DevicePref {
    /// A hardware GPU if there is one, else the CPU.
    #[default]
    Auto,
    /// burn's pure-Rust CPU backend.
    Cpu,
    /// burn on wgpu, even on a software adapter.
    Wgpu,
}

impl FromStr for DevicePref {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "wgpu" | "gpu" => Ok(Self::Wgpu),
            other => Err(format!("unknown device \"{other}\": use auto, cpu or wgpu")),
        }
    }
}

/// Which backend was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Cpu,
    Wgpu,
}

/// What the UI shows about the chosen device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub backend: Backend,
    /// e.g. "CPU (flex, 2 threads)" or "GPU: NVIDIA H100 (Vulkan)".
    pub label: String,
    /// Why this device was chosen, e.g. "only a software Vulkan adapter (llvmpipe) was found".
    pub reason: String,
}

impl DeviceInfo {
    /// Threads a lone model may split its batch over: every core on the CPU backend when each rayon pool has one
    /// thread, else 1 (GPU, or rayon already parallelises each op).
    pub fn cpu_threads(&self) -> usize {
        if self.backend == Backend::Cpu && rayon::current_num_threads() == 1 { cpu_cores() } else { 1 }
    }
}

impl fmt::Display for DeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// A wgpu adapter as seen before committing to it.
#[derive(Debug, Clone)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub hardware: bool,
}

/// Lists wgpu adapters without opening any of them. Call once, from one thread.
pub fn probe_adapters() -> Vec<AdapterSummary> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    burn::tensor::read_sync(instance.enumerate_adapters(wgpu::Backends::all()))
        .iter()
        .map(|adapter| {
            let info = adapter.get_info();
            AdapterSummary {
                name: info.name.clone(),
                backend: format!("{:?}", info.backend),
                hardware: matches!(
                    info.device_type,
                    wgpu::DeviceType::DiscreteGpu | wgpu::DeviceType::IntegratedGpu | wgpu::DeviceType::VirtualGpu
                ),
            }
        })
        .collect()
}

fn cpu_device(reason: String) -> (Device, DeviceInfo) {
    let cores = cpu_cores();
    let threads = rayon::current_num_threads();
    let label = if threads == 1 {
        format!("CPU (flex, {cores} core{}, one thread per model)", if cores == 1 { "" } else { "s" })
    } else {
        format!("CPU (flex, {threads} threads)")
    };
    (Device::flex(), DeviceInfo { backend: Backend::Cpu, label, reason })
}

fn cpu_cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Sets up burn's CPU backend threads. Measured here (2 cores, VAE 784-512-256-2, batch 128): one thread per model
/// beats two threads per model (12.6 vs 17.8 ms/step; element-wise ops are serial and waking the second thread for
/// each matmul costs more than it gains), so each model trains on one thread and the two models of the Latent
/// space lesson train in parallel. `RAYON_NUM_THREADS` overrides this. Call once, before any tensor work.
pub fn configure_cpu_threads() {
    if std::env::var_os("RAYON_NUM_THREADS").is_some() {
        return;
    }
    // An error only means the pool already exists (e.g. a second call); the existing pool is then used.
    let _ = rayon::ThreadPoolBuilder::new().num_threads(1).build_global();
}

/// Chooses the compute device. `probe` lists adapters (injected so tests need no GPU).
pub fn select_with(pref: DevicePref, probe: impl FnOnce() -> Vec<AdapterSummary>) -> (Device, DeviceInfo) {
    if pref == DevicePref::Cpu {
        return cpu_device("chosen with --device cpu".into());
    }
    let adapters = probe();
    let best = adapters.iter().find(|a| a.hardware).or(if pref == DevicePref::Wgpu { adapters.first() } else { None });
    match best {
        Some(a) => {
            let kind = if a.hardware { "GPU" } else { "software GPU" };
            let reason = if pref == DevicePref::Wgpu { "chosen with --device wgpu" } else { "hardware GPU found" };
            let info = DeviceInfo {
                backend: Backend::Wgpu,
                label: format!("{kind}: {} ({})", a.name, a.backend),
                reason: reason.into(),
            };
            (Device::wgpu(burn::tensor::DeviceKind::DefaultDevice), info)
        }
        None if pref == DevicePref::Wgpu => cpu_device("--device wgpu, but no wgpu adapter was found".into()),
        None => {
            let why = match adapters.first() {
                Some(a) => format!("only a software adapter ({}) was found; the CPU backend is faster", a.name),
                None => "no GPU adapter found".into(),
            };
            cpu_device(why)
        }
    }
}

/// Chooses the compute device for real.
pub fn select(pref: DevicePref) -> (Device, DeviceInfo) {
    select_with(pref, probe_adapters)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(name: &str, hardware: bool) -> AdapterSummary {
        AdapterSummary { name: name.into(), backend: "Vulkan".into(), hardware }
    }

    #[test]
    fn auto_skips_software_adapters() {
        let (_, info) = select_with(DevicePref::Auto, || vec![adapter("llvmpipe", false)]);
        assert_eq!(info.backend, Backend::Cpu);
        assert!(info.reason.contains("llvmpipe"), "{}", info.reason);
        assert!(info.label.starts_with("CPU (flex, "), "{}", info.label);
    }

    #[test]
    fn auto_takes_a_hardware_gpu() {
        let (_, info) = select_with(DevicePref::Auto, || vec![adapter("llvmpipe", false), adapter("RTX", true)]);
        assert_eq!(info.backend, Backend::Wgpu);
        assert_eq!(info.label, "GPU: RTX (Vulkan)");
    }

    #[test]
    fn explicit_choices_win() {
        let (_, info) = select_with(DevicePref::Wgpu, || vec![adapter("llvmpipe", false)]);
        assert_eq!(info.backend, Backend::Wgpu);
        assert!(info.label.starts_with("software GPU"));
        let (_, info) = select_with(DevicePref::Cpu, || panic!("cpu must not probe"));
        assert_eq!(info.backend, Backend::Cpu);
        assert_eq!("WGPU".parse::<DevicePref>(), Ok(DevicePref::Wgpu));
        assert!("tpu".parse::<DevicePref>().is_err());
    }
}
