//! What every training thread shares at run time, whichever lesson or command runs it: the CPU clocks of threads
//! and the process, the process-wide count of optimiser steps, the one way files are read and written, and panic
//! messages as text (no egui, no threads of its own).

pub mod cpu_time;
pub mod files;
pub mod steps;
pub mod threads;
