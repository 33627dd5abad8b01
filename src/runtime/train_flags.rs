//! The flags every `latent-lab train MODEL` takes, in one place. They are global to `train`, so they may come before
//! or after the model's name (`train --seconds 5 hvae` and `train hvae --seconds 5` are the same); each family
//! supplies its own defaults.

use std::path::PathBuf;

/// `--seconds`, `--out`, `--json` and `--seed` of `latent-lab train`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TrainFlags {
    /// Training time in seconds (defaults: ae, vae, iwae, realnvp and resflow 20; ddpm 60, on digits 1500; hvae and
    /// made 60; wavenet 30).
    #[arg(long, global = true, value_parser = crate::bounds::seconds)]
    pub seconds: Option<f64>,
    /// Save the trained model here. The name is taken literally (extensions are added, never replaced): a one-file
    /// model is written to this path (ddpm on 2-D data adds `.json` unless the name ends in it), a pair (ae, vae,
    /// iwae, hvae, ddpm on digits) adds `.bpk` and `.json` to it.
    #[arg(long, global = true, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print one JSON object on stdout instead of a text report.
    #[arg(long, global = true)]
    pub json: bool,
    /// Random seed: the same seed and settings repeat a run on the same machine (defaults: 42; made and wavenet 1).
    #[arg(long, global = true)]
    pub seed: Option<u64>,
}

impl TrainFlags {
    /// `--seconds`, or the family's default.
    #[must_use]
    pub fn seconds_or(&self, default: f64) -> f64 {
        self.seconds.unwrap_or(default)
    }

    /// `--seed`, or the family's default.
    #[must_use]
    pub fn seed_or(&self, default: u64) -> u64 {
        self.seed.unwrap_or(default)
    }

    /// Checks `--out` before any training: missing folders are made; a place that cannot take a file is refused.
    pub fn check_out(&self) -> anyhow::Result<()> {
        super::files::check_out(self.out.as_deref()).map_err(anyhow::Error::msg)
    }
}
