//! MADE's leaderboard entry: exact held-out NLL after a fixed training time.

use std::sync::atomic::AtomicBool;

use super::{DEFAULT_BATCH, DEFAULT_HIDDEN, DEFAULT_LR, Digits, Made, MadeTrainer, train_for};
use crate::autoregressive::ArError;
use crate::data::Dataset;
use crate::score::{Budget, NllKind, Row};

/// The leaderboard entry: binarises `data`, trains MADE (500 hidden units) on its train split for
/// `budget.train_time`, and scores the first `budget.heldout_digits` held-out digits exactly.
pub fn leaderboard_row(
    data: &Dataset,
    budget: &Budget,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f32),
) -> Result<Row, ArError> {
    let bin = data.binarised();
    let train = Digits::from_dataset(&bin, 0..bin.train_len);
    let held_range = bin.heldout_range();
    let held = Digits::from_dataset(&bin, held_range.start..held_range.start + budget.heldout_digits);
    if train.is_empty() || held.is_empty() {
        return Err(ArError::BadInput("the leaderboard needs training and held-out digits".into()));
    }
    let mut model = Made::new(bin.rows, bin.cols, DEFAULT_HIDDEN, budget.seed)?;
    model.init_output_bias(&train);
    let mut trainer = MadeTrainer::new(model, DEFAULT_LR, DEFAULT_BATCH, budget.seed);
    let seconds = budget.train_time.as_secs_f64();
    let elapsed = train_for(&mut trainer, &train, seconds, None, cancel, &mut |f, _| progress(f))?;
    let (nll, se) = trainer.model.nll_stats(&held, held.len())?;
    progress(1.0);
    Ok(Row {
        model: "MADE (exact)".into(),
        nll_nats: nll,
        std_error: se,
        kind: NllKind::Exact,
        digits: held.len(),
        train_seconds: elapsed,
        steps: trainer.steps,
    })
}

#[cfg(test)]
mod tests {
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// A small dataset: 4×4 images of a bar at a random row (binary), 60 items, the last 6 held out.
    fn bars() -> Dataset {
        let mut rng = SmallRng::seed_from_u64(3);
        let mut pixels = Vec::new();
        for _ in 0..60 {
            let row = rng.random_range(0..4);
            pixels.extend((0..16).map(|k| if k / 4 == row { 1.0 } else { 0.0 }));
        }
        Dataset { name: "bars".into(), rows: 4, cols: 4, pixels, labels: vec![0; 60], classes: 1, train_len: 54 }
    }

    #[test]
    fn the_leaderboard_row_trains_and_scores_exactly() {
        let budget = Budget { train_time: std::time::Duration::from_millis(300), seed: 1, heldout_digits: 4 };
        let mut last = 0.0;
        let row = leaderboard_row(&bars(), &budget, &AtomicBool::new(false), &mut |f| last = f).unwrap();
        assert_eq!(row.model, "MADE (exact)");
        assert_eq!(row.kind, NllKind::Exact);
        assert_eq!(row.digits, 4);
        assert!(row.steps > 0 && row.train_seconds >= 0.3);
        assert_eq!(last, 1.0);
        // Four equally likely bars: the best possible NLL is ln 4 ≈ 1.39 nats; 16 fair coins would be 11.1.
        assert!(row.nll_nats > 1.0 && row.nll_nats < 4.0, "{row:?}");
        assert!(row.std_error.is_finite());
        let cancelled = leaderboard_row(&bars(), &budget, &AtomicBool::new(true), &mut |_| {});
        assert!(matches!(cancelled, Err(ArError::Cancelled)));
    }
}
