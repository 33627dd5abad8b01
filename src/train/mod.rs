//! Training: the worker thread, its protocol, and the session it drives (also used headless by the CLI).

pub mod evaluation;
pub mod knn;
pub mod pca;
pub mod protocol;
pub mod session;
pub mod worker;

pub use protocol::{
    Codes, LossPoint, ModelKind, Purpose, TrainCommand, TrainConfig, TrainEvent, WorkerOptions, WorkerState,
};
pub use session::{StepOutcome, TrainError, TrainSession};
pub use worker::{TrainerHandle, Waker};
