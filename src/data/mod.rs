//! Data: the IDX reader, the built-in MNIST digits and the train / held-out split.

pub mod dataset;
pub mod idx;
pub mod toy2d;

pub use dataset::{DataError, Dataset};
pub use idx::IdxError;
