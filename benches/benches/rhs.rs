//! The model's right-hand side alone: evaluations per second at a fixed state.
//!
//! `cargo bench -p counterpulse-benches --bench rhs` — the cost of one `f(t, y)` of the
//! closed-loop model (about six per integrator step), measured apart from the integrator and
//! the steady-state search so that a change to a component law shows up without the noise of
//! a changed step sequence or beat count. Each iteration evaluates the model at the run's
//! periodic state at its last R wave (the assisted run's for the shock case, the baseline's for
//! `healthy`) at 64 times spread over one beat: the activations, and with them the chambers,
//! the valves' driving pressures and the territory's O2 demand, go through every phase; the
//! states stay those of the R wave, and the balloon's console, whose events move its gas, is
//! not run. Criterion's throughput is RHS evaluations per second.

use counterpulse_benches::preset_scenario;
use counterpulse_engine::OdeSystem;
use counterpulse_sim::{Model, RunOptions, simulate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

/// Evaluations per iteration: times spread evenly over one beat.
const PHASES: usize = 64;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("rhs");
    g.sample_size(50);
    for (name, preset, sets) in [
        ("healthy", "healthy", vec![]),
        (
            "shock_assisted_1:1",
            "cardiogenic-shock",
            vec!["iabp.enabled=true"],
        ),
    ] {
        let s = preset_scenario(preset, &sets);
        let sim = simulate(&s, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let run = sim.assisted.as_ref().unwrap_or(&sim.baseline);
        let model = Model::new(&s, sim.baseline.summary.mean_arterial_pressure_mmhg)
            .unwrap_or_else(|e| panic!("{e}"));
        let y = run.final_state.clone();
        assert_eq!(y.len(), model.dim(), "state layout");
        let rr_s = 60.0 / s.circulation.heart.rate_bpm;
        let times: Vec<f64> = (0..PHASES)
            .map(|j| rr_s * j as f64 / PHASES as f64)
            .collect();
        let mut dy = vec![0.0; y.len()];
        g.throughput(Throughput::Elements(PHASES as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                for &t in &times {
                    model.rhs(black_box(t), black_box(&y), &mut dy);
                }
                black_box(dy[0])
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
