//! Beats simulated per second on one core.
//!
//! `cargo bench -p counterpulse-benches` — Criterion reports the time of one run to periodic
//! steady state and, as throughput, **beats per second** (elements = beats simulated). The work
//! counters (steps and RHS evaluations per beat) are printed before each group.

use counterpulse_benches::{describe, run_preset, simulate_preset};
use counterpulse_sim::RunOptions;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn cases() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    vec![
        ("healthy_rtol1e-6", "healthy", vec![]),
        ("shock_rtol1e-6", "cardiogenic-shock", vec![]),
        (
            "healthy_rtol1e-6_ode_solvers",
            "healthy",
            vec!["solver.backend=ode_solvers"],
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("run_to_steady_state");
    g.sample_size(30);
    for (name, preset, sets) in cases() {
        let opts = RunOptions::default();
        let r = run_preset(preset, &sets, &opts);
        eprintln!("{}", describe(name, &r));
        g.throughput(Throughput::Elements(r.beats_simulated));
        g.bench_function(name, |b| b.iter(|| run_preset(preset, &sets, &opts)));
    }
    g.finish();

    // The balloon's cost: baseline + assisted (`simulate`) beside the baseline alone
    // (`shock_rtol1e-6` above, the same run). A run of the same beats without the balloon, as
    // this group had before, cannot be asked for since the integrator's tolerance follows
    // `steady.tolerance` (a tolerance of 1e-12 to hold it to a beat count integrated it at
    // rtol 1e-12: 3 224 steps a beat).
    let mut g = c.benchmark_group("balloon_cost");
    g.sample_size(30);
    let sim = simulate_preset(
        "cardiogenic-shock",
        &["iabp.enabled=true"],
        &RunOptions::default(),
    );
    let a = sim.assisted.expect("assisted run");
    eprintln!("{}", describe("shock_assisted_1:1", &a));
    let n = a.beats_simulated;
    // simulate() = baseline + assisted; count both runs' beats.
    let total = sim.baseline.beats_simulated + n;
    g.throughput(Throughput::Elements(total));
    g.bench_function("shock_baseline_plus_assisted_1:1", |b| {
        b.iter(|| {
            simulate_preset(
                "cardiogenic-shock",
                &["iabp.enabled=true"],
                &RunOptions::default(),
            )
        })
    });
    g.finish();

    // Every beat recorded (per-beat metrics from 1 ms traces): what `simulate --out` pays.
    let mut g = c.benchmark_group("run_with_per_beat_metrics");
    g.sample_size(30);
    let opts = RunOptions {
        record_all_beats: true,
        ..RunOptions::default()
    };
    let r = run_preset("healthy", &[], &opts);
    g.throughput(Throughput::Elements(r.beats_simulated));
    g.bench_function("healthy_rtol1e-6_all_beats_recorded", |b| {
        b.iter(|| run_preset("healthy", &[], &opts))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
