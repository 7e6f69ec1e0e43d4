//! Beats simulated per second on one core.
//!
//! `cargo bench -p counterpulse-benches` — Criterion reports the time of one run to periodic
//! steady state and, as throughput, **beats per second** (elements = beats simulated). The work
//! counters (steps and RHS evaluations per beat) are printed before each group.

use counterpulse_benches::{describe, run_preset};
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
