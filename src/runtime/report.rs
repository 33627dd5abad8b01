//! The one way a command prints its result: with `--json`, exactly one JSON object on stdout (for scripts);
//! otherwise the family's text.

use serde::Serialize;

/// Prints `report` as one line of JSON when `json`, else as `text` writes it.
pub fn emit<T: Serialize>(json: bool, report: &T, text: impl FnOnce(&T)) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(report)?);
    } else {
        text(report);
    }
    Ok(())
}
