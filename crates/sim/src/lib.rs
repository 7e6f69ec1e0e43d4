//! # counterpulse-sim
//!
//! Turns a scenario (preset + overrides, checked key by key) into a hybrid model
//! (circulation + rhythm) and runs it to its periodic steady state, recording per-beat metrics,
//! waveforms and the event log.
#![deny(missing_docs)]

pub mod assist;
pub mod cycle;
pub mod input;
pub mod model;
pub mod rhythm;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod steady;
pub mod transient;

pub use model::{EventKind, LoggedEvent, Model};
pub use run::{
    BeatRecord, RunOptions, RunResult, SimError, Simulation, Waveforms, assisted_run,
    assisted_run_warm, baseline_scenario, run, run_phase, simulate,
};
pub use scenario::{Scenario, SolverBackend};
