//! Runs the leaderboard's entries one after another (same data, same time budget, same held-out digits), reporting
//! progress; shared by `latent-lab eval --leaderboard` and the Leaderboard tab's thread.

use std::sync::atomic::AtomicBool;

use burn::tensor::Device;

use super::vae::{self, Objective};
use super::{Budget, Row};
use crate::data::Dataset;

/// Importance samples of the IWAE-trained entry.
pub const IWAE_TRAIN_K: usize = 5;
/// Latent size of the VAE and IWAE entries: the size of the hierarchical VAE's z₁, so the two compare.
pub const VAE_LATENT: usize = 8;

/// A model family on the leaderboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
pub enum Entry {
    /// A VAE trained on the ELBO, scored with L_5000.
    Vae,
    /// A VAE trained on the IWAE bound L_5, scored with L_5000.
    Iwae,
    /// The hierarchical VAE (two stochastic layers, bottom-up inference), scored with L_5000.
    Hvae,
    /// MADE, an autoregressive model: exact log-likelihood.
    Made,
}

impl Entry {
    /// Every entry, in the order they run.
    pub const ALL: [Entry; 4] = [Entry::Vae, Entry::Iwae, Entry::Hvae, Entry::Made];

    /// Name shown before the row exists.
    pub fn label(self) -> String {
        match self {
            Self::Vae => Objective::Elbo.label(VAE_LATENT),
            Self::Iwae => Objective::Iwae { k: IWAE_TRAIN_K }.label(VAE_LATENT),
            Self::Hvae => "Hierarchical VAE".into(),
            Self::Made => "MADE (exact)".into(),
        }
    }
}

/// What a run reports as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    /// `entry` (index into the list) is `fraction` done.
    Progress { entry: usize, fraction: f32 },
    /// `entry` finished: its row, or why it failed (the others still run).
    Finished { entry: usize, result: Result<Row, String> },
}

/// Trains and scores `entries` in order on `data`; `report` sees progress and each result. Stops early (the
/// remaining entries are skipped) once `cancel` is set.
pub fn run_entries(
    entries: &[Entry],
    data: &Dataset,
    budget: &Budget,
    device: &Device,
    cpu_threads: usize,
    cancel: &AtomicBool,
    report: &mut dyn FnMut(RunEvent),
) -> Vec<Result<Row, String>> {
    let mut results = Vec::with_capacity(entries.len());
    for (index, &entry) in entries.iter().enumerate() {
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        let mut progress = |fraction: f32| report(RunEvent::Progress { entry: index, fraction });
        // A panic in one model is that model's failure; the others still run.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_one(entry, data, budget, device, cpu_threads, cancel, &mut progress)
        }))
        .unwrap_or_else(|p| Err(format!("crashed: {}", crate::runtime::threads::panic_message(&*p))));
        report(RunEvent::Finished { entry: index, result: result.clone() });
        results.push(result);
    }
    results
}

fn run_one(
    entry: Entry,
    data: &Dataset,
    budget: &Budget,
    device: &Device,
    cpu_threads: usize,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f32),
) -> Result<Row, String> {
    let objective = match entry {
        Entry::Vae => Objective::Elbo,
        Entry::Iwae => Objective::Iwae { k: IWAE_TRAIN_K },
        Entry::Hvae => {
            return crate::hvae::leaderboard::leaderboard_row(data, budget, cancel, progress)
                .map_err(|e| e.to_string());
        }
        Entry::Made => {
            return crate::autoregressive::made::leaderboard_row(data, budget, cancel, progress)
                .map_err(|e| e.to_string());
        }
    };
    vae::leaderboard_row(data, objective, VAE_LATENT, budget, device, cpu_threads, cancel, progress)
        .map_err(|e| e.to_string())
}
