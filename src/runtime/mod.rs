//! What every training thread and command shares at run time, whichever lesson or family runs it: the CPU clocks of
//! threads and the process, the process-wide count of optimiser steps, the one way files are read and written, the
//! one model-file envelope, the one picture writer, the flags every `train` takes, and panic messages as text (no
//! egui, no threads of its own).

pub mod cpu_time;
pub mod envelope;
pub mod files;
pub mod png;
pub mod progress;
pub mod report;
pub mod steps;
pub mod threads;
pub mod train_flags;
