//! Shared helpers of the benchmarks: the work counters of one run, printed beside Criterion's
//! timings so that speed can be read as beats per second, steps per beat and RHS evaluations
//! per beat.
#![deny(missing_docs)]

use counterpulse_sim::{RunOptions, RunResult, Scenario, Simulation, run, simulate};

/// A preset with overrides (`key=value`); panics with the error (benchmarks only).
pub fn preset_scenario(preset: &str, sets: &[&str]) -> Scenario {
    let mut s = Scenario::from_preset(preset).unwrap_or_else(|e| panic!("{e}"));
    for a in sets {
        s.set_cli(a).unwrap_or_else(|e| panic!("{e}"));
    }
    s
}

/// Runs a preset with overrides; panics with the error (benchmarks only).
pub fn run_preset(preset: &str, sets: &[&str], opts: &RunOptions) -> RunResult {
    run(&preset_scenario(preset, sets), opts).unwrap_or_else(|e| panic!("{e}"))
}

/// Baseline and assisted runs of a preset with overrides (benchmarks only).
pub fn simulate_preset(preset: &str, sets: &[&str], opts: &RunOptions) -> Simulation {
    simulate(&preset_scenario(preset, sets), opts).unwrap_or_else(|e| panic!("{e}"))
}

/// One line of work counters for a run.
pub fn describe(label: &str, r: &RunResult) -> String {
    let beats = r.beats_simulated as f64;
    format!(
        "{label}: {} beats to steady state, {:.0} accepted steps/beat, {:.1} rejected steps/beat, {:.0} RHS evaluations/beat",
        r.beats_simulated,
        r.stats.accepted_steps as f64 / beats,
        r.stats.rejected_steps as f64 / beats,
        r.stats.rhs_evals as f64 / beats
    )
}
