//! `latent-lab eval --leaderboard`: every model family trained for the same time on the same binarised digits,
//! scored on the same held-out digits, printed as a table (or one JSON object with `--json`).

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::runtime::progress::Progress;
use anyhow::bail;
use clap::Args;
use serde::Serialize;

use super::{EvalArgs, load_data};
use crate::leaderboard::{Budget, Entry, NllKind, Row, RunEvent, run_entries};
use crate::models::device::{self, DevicePref};

/// Options of the leaderboard run (only used with `--leaderboard`).
#[derive(Debug, Args)]
pub struct BoardArgs {
    /// Training time of each model, in seconds.
    #[arg(long, default_value_t = 60.0, value_parser = crate::bounds::seconds)]
    pub seconds: f64,
    /// Which models to train, comma-separated (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub models: Vec<Entry>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// What `eval --leaderboard --json` prints.
#[derive(Debug, Serialize)]
pub struct BoardReport {
    pub dataset: String,
    pub train_seconds_each: f64,
    pub heldout_digits: usize,
    pub device: String,
    /// Sorted from the lowest NLL.
    pub rows: Vec<Row>,
    /// Entries that failed, with the reason.
    pub failed: Vec<(String, String)>,
}

/// Runs the leaderboard and prints it.
pub fn run(args: &EvalArgs, device_pref: DevicePref) -> anyhow::Result<()> {
    let board = &args.board;
    let data = load_data(&args.data)?;
    let entries = if board.models.is_empty() { Entry::ALL.to_vec() } else { board.models.clone() };
    let heldout = args.limit.unwrap_or(usize::MAX).max(1).min(data.heldout_range().len());
    let budget =
        Budget { train_time: Duration::from_secs_f64(board.seconds), seed: board.seed, heldout_digits: heldout };
    let (device, info) = device::select(device_pref);
    let total = entries.len() as f64;
    let bar = if args.json { Progress::hidden(total) } else { Progress::new(total, "models") };
    let cancel = AtomicBool::new(false);
    let mut report = |event: RunEvent| match event {
        RunEvent::Progress { entry, fraction } => bar.set(entry as f64 + f64::from(fraction), entries[entry].label()),
        RunEvent::Finished { entry, result: Err(e) } => bar.println(format!("{}: failed: {e}", entries[entry].label())),
        RunEvent::Finished { .. } => {}
    };
    let results = run_entries(&entries, &data, &budget, &device, info.cpu_threads(), &cancel, &mut report);
    bar.finish();
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for (entry, result) in entries.iter().zip(results) {
        match result {
            Ok(row) => rows.push(row),
            Err(e) => failed.push((entry.label(), e)),
        }
    }
    rows.sort_by(|a, b| a.nll_nats.total_cmp(&b.nll_nats));
    let out = BoardReport {
        dataset: data.binarised().name,
        train_seconds_each: board.seconds,
        heldout_digits: heldout,
        device: info.label.clone(),
        rows,
        failed,
    };
    crate::runtime::report::emit(args.json, &out, |out| {
        print_board(out);
    })?;
    // The board is printed either way; a script still learns that it is incomplete.
    if !out.failed.is_empty() {
        let names: Vec<&str> = out.failed.iter().map(|(name, _)| name.as_str()).collect();
        bail!("{} of {} models failed: {}", names.len(), entries.len(), names.join(", "));
    }
    Ok(())
}

/// `−log p(x)` for exact rows, `−L_K` for bounds.
pub fn kind_label(kind: NllKind) -> String {
    match kind {
        NllKind::Exact => "exact −log p(x)".into(),
        NllKind::IwaeBound { k } => format!("−L_{k} (bound)"),
    }
}

fn print_board(r: &BoardReport) {
    println!(
        "held-out NLL on {} ({} held-out digits, {} s of training each, {})",
        r.dataset, r.heldout_digits, r.train_seconds_each, r.device
    );
    println!(
        "{:<32} {:>10} {:>7}  {:<22} {:>7} {:>8}",
        "model", "NLL nats", "± s.e.", "measured as", "steps", "train s"
    );
    for row in &r.rows {
        println!(
            "{:<32} {:>10.2} {:>7.2}  {:<22} {:>7} {:>8.1}",
            row.model,
            row.nll_nats,
            row.std_error,
            kind_label(row.kind),
            row.steps,
            row.train_seconds
        );
    }
    for (model, why) in &r.failed {
        println!("{model}: failed: {why}");
    }
}
