//! The one integration-test crate (each file in tests/ would link burn and egui again).

mod dsep;
mod idx_files;
mod ui;
mod worker;
