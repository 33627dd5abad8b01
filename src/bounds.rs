//! The ranges every number typed on a command line must lie in, as clap value parsers: a value outside is refused
//! before any file is read or any work starts, with a message naming the flag and the range. Every command's
//! parser takes its bounds from here, so the same kind of number has the same limits everywhere.

use clap::builder::RangedU64ValueParser;

/// Largest minibatch (images or points).
pub const BATCH: u64 = 4096;
/// Most optimiser steps one run may be asked for.
pub const STEPS: u64 = 100_000_000;
/// Most images one `sample` may draw (each is decoded and written into one grid).
pub const IMAGES: u64 = 1024;
/// Most 2-D points one command may sample.
pub const POINTS: u64 = 1_000_000;
/// Widest hidden layer or channel count.
pub const WIDTH: u64 = 4096;
/// Most sampling (DDPM or DDIM) steps.
pub const SAMPLING_STEPS: u64 = 1000;
/// Longest training budget, in seconds (a week).
pub const SECONDS: f64 = 7.0 * 86_400.0;

/// A whole number in `lo..=hi`, as `usize`.
pub fn within(lo: u64, hi: u64) -> RangedU64ValueParser<usize> {
    RangedU64ValueParser::new().range(lo..=hi)
}

/// A minibatch size, 1 ..= [`BATCH`].
pub fn batch() -> RangedU64ValueParser<usize> {
    within(1, BATCH)
}

/// A number of optimiser steps, 1 ..= [`STEPS`].
pub fn steps() -> RangedU64ValueParser<usize> {
    within(1, STEPS)
}

/// A layer width or channel count, 1 ..= [`WIDTH`].
pub fn width() -> RangedU64ValueParser<usize> {
    within(1, WIDTH)
}

fn real(text: &str, ok: impl Fn(f64) -> bool, range: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && ok(v) => Ok(v),
        Ok(_) => Err(format!("{text} is not in {range}")),
        Err(_) => Err(format!("'{text}' is not a number (allowed: {range})")),
    }
}

/// A training budget in seconds: more than 0, at most a week.
///
/// # Errors
/// For text that is no number or a number outside that range.
pub fn seconds(text: &str) -> Result<f64, String> {
    real(text, |s| s > 0.0 && s <= SECONDS, "(0, 604800] seconds")
}

/// A learning rate: more than 0. Huge ones are allowed up to 1e12: they show what divergence looks like.
///
/// # Errors
/// For text that is no number or a number outside that range.
pub fn learning_rate(text: &str) -> Result<f64, String> {
    real(text, |lr| lr > 0.0 && lr <= 1e12, "(0, 1e12]")
}

/// [`learning_rate`] for the models that keep `f32` weights.
///
/// # Errors
/// As [`learning_rate`].
#[allow(clippy::cast_possible_truncation)]
pub fn learning_rate_f32(text: &str) -> Result<f32, String> {
    learning_rate(text).map(|lr| lr as f32)
}

/// Passes over the training data: more than 0, at most 100,000.
///
/// # Errors
/// For text that is no number or a number outside that range.
pub fn epochs(text: &str) -> Result<f64, String> {
    real(text, |e| e > 0.0 && e <= 100_000.0, "(0, 100000] epochs")
}

/// How often to score held-out data, in seconds: 0.1 to 3600.
///
/// # Errors
/// For text that is no number or a number outside that range.
pub fn interval(text: &str) -> Result<f64, String> {
    real(text, |s| (0.1..=3600.0).contains(&s), "[0.1, 3600] seconds")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Probe {
        #[arg(long, value_parser = batch())]
        batch: Option<usize>,
        #[arg(long, value_parser = seconds)]
        seconds: Option<f64>,
        #[arg(long, value_parser = learning_rate_f32)]
        lr: Option<f32>,
    }

    fn error(args: &[&str]) -> String {
        let mut all = vec!["probe"];
        all.extend(args);
        Probe::try_parse_from(all).unwrap_err().to_string()
    }

    #[test]
    fn values_outside_the_range_are_refused_naming_flag_and_range() {
        assert!(error(&["--batch", "0"]).contains("'--batch <BATCH>': 0 is not in 1..=4096"));
        assert!(error(&["--batch", "1000000000"]).contains("is not in 1..=4096"));
        assert!(error(&["--seconds", "0"]).contains("0 is not in (0, 604800] seconds"));
        assert!(error(&["--seconds", "inf"]).contains("not in"));
        assert!(error(&["--seconds", "NaN"]).contains("not in"));
        assert!(error(&["--lr=-1e-3"]).contains("-1e-3 is not in (0, 1e12]"));
        assert!(error(&["--lr", "fast"]).contains("'fast' is not a number"));
    }

    #[test]
    fn values_at_the_edges_are_taken() {
        let p = Probe::try_parse_from(["probe", "--batch", "4096", "--seconds", "604800", "--lr", "1e12"]).unwrap();
        assert_eq!((p.batch, p.seconds, p.lr), (Some(4096), Some(SECONDS), Some(1e12)));
        let p = Probe::try_parse_from(["probe", "--batch", "1", "--seconds", "1e-3", "--lr", "1e-9"]).unwrap();
        assert_eq!((p.batch, p.seconds), (Some(1), Some(1e-3)));
    }
}
