//! Helpers shared by the simulation tests: a preset with `--set`-style overrides, run to steady
//! state, and metrics by name.
#![allow(dead_code)]

use counterpulse_metrics::BeatMetrics;
use counterpulse_sim::{RunOptions, RunResult, Scenario, Simulation, run, simulate};

/// `preset` with `key=value` overrides, as on the command line.
pub fn scenario(preset: &str, sets: &[&str]) -> Scenario {
    let mut s = Scenario::from_preset(preset).expect("preset");
    for a in sets {
        s.set_cli(a).unwrap_or_else(|e| panic!("{a}: {e}"));
    }
    s
}

/// One run (no balloon phase) to steady state.
pub fn base(preset: &str, sets: &[&str]) -> RunResult {
    run(&scenario(preset, sets), &RunOptions::default()).expect("runs")
}

/// Baseline and assisted runs with the balloon on (plus `sets`).
pub fn assisted(preset: &str, sets: &[&str]) -> Simulation {
    let mut v = vec!["iabp.enabled=true"];
    v.extend_from_slice(sets);
    simulate(&scenario(preset, &v), &RunOptions::default()).expect("runs")
}

/// Baseline (and assisted, if the scenario asks for it) runs with the given options.
pub fn sim(preset: &str, sets: &[&str], opts: RunOptions) -> Simulation {
    simulate(&scenario(preset, sets), &opts).expect("runs")
}

/// A metric that must be present.
pub fn get(m: &BeatMetrics, name: &str) -> f64 {
    m.get(name).unwrap_or_else(|| panic!("{name} missing"))
}
