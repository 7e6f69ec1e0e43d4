//! Golden regression: the steady-state summaries of every preset (baseline and assisted at 1:1,
//! 40 mL) and of a few configurations that exercise the baroreflex, 1:2 assist, autoregulation
//! behind a stenosis and atrial fibrillation, recorded with `tests/golden/capture.py`.
//!
//! The model must reproduce them to 1e-9 relative, on the same integration path: a refactor
//! that changes a number is not a refactor. A deliberate physiology change regenerates the file
//! with the capture script and says so in its commit. History: recorded from a9c1813 before the
//! circuit was assembled from components (the assembly matched it bit for bit); regenerated for
//! the ischaemic territory and the coronary recalibration (issue 11), then for summary ratios
//! taken as ratios of sums over the summary beats (issue 13: Qp/Qs, MR fraction, FFR, Pd/Pa, CFR,
//! diastolic share, SVR; only multi-beat summaries moved) and the new preset
//! `cardiogenic-shock-nonischaemic`; later for issues 12 and 18; then for the four visceral
//! arteries as separate links (left and right renal, coeliac, SMA: each half of its bed; the
//! same flows, summed in another order, so steady states moved within their stated error:
//! CO <= 1.6e-4 relative, VA-ECMO assisted); then for issue 12's coronary recalibration (the
//! LAD's compliance behind a small-artery resistance, the wire's Pd a coupling, tissue pressure
//! 0.7 P_LV: inflow peaks in diastole; autoregulation time constant 6 s); then for issue 14's
//! steady-state path (Anderson depth 6, the baroreflex's states measured against their spans):
//! steady states moved within their stated error (CO <= 2.9e-4 relative, MAP <= 1.5e-4); then
//! for the search on the controllers' lags' periodic values (contraction at least the slowest
//! lag's, convergence confirmed on a plain period, the reflex's arms bounded, a fresh history
//! after a failed extrapolated start, a lag ramped onto a bound only when its periodic value is
//! there, the last period before `steady.max_beats` plain): CO <= 3.9e-4 relative, MAP <=
//! 1.3e-4; then for the O2 demand's elastic-energy term switched by the peak-activation event
//! (not by the rate's sign at the step boundary) and the activations tabulated once (cubic
//! Hermite within 1e-3 × rtol): CO <= 6.4e-5 relative, MAP <= 6.9e-5, coronary flow <= 4.5e-4
//! (pre-shock assisted, stated error 5.5e-4); then for the transient integrated at 10 × rtol
//! until near the orbit (`transient.rs`, with the run's new `loose_periods`): CO <= 1.6e-4
//! relative, MAP <= 1.3e-4, coronary flow <= 2.4e-4 (non-ischaemic shock assisted, stated error
//! 8.9e-4); then for the balloon console's timing histories in the steady-state test: every
//! number bit-identical, the runs' new `console_timing_error` and their steady-state texts added;
//! then for the flow states' absolute tolerance, 10 × `solver.atol` (`FLOW_ATOL_FACTOR`): CO <=
//! 1.1e-4 relative, MAP <= 1.0e-4, coronary flow <= 4.7e-4 (cardiogenic shock baseline, stated
//! errors 4.5e-4 and 6.9e-4).

use counterpulse_metrics::BeatMetrics;
use counterpulse_sim::{RunResult, Scenario, simulate};
use serde_json::Value as Json;

const GOLDEN: &str = include_str!("golden/presets.json");
const REL_TOL: f64 = 1e-9;

fn compare(case: &str, run: &str, want: &Json, got: &BeatMetrics, failures: &mut Vec<String>) {
    let Json::Object(want) = want else {
        failures.push(format!("{case}/{run}: golden summary is not an object"));
        return;
    };
    for (name, w) in want {
        let g = got.get(name);
        match (w.as_f64(), g) {
            (None, None) => {}
            (Some(w), Some(g)) => {
                let scale = w.abs().max(g.abs()).max(1e-12);
                if (w - g).abs() > REL_TOL * scale {
                    failures.push(format!(
                        "{case}/{run}: {name} = {g:e}, golden {w:e} (relative {:e})",
                        (w - g).abs() / scale
                    ));
                }
            }
            (w, g) => failures.push(format!("{case}/{run}: {name} = {g:?}, golden {w:?}")),
        }
    }
}

fn compare_run(case: &str, name: &str, want: &Json, got: &RunResult, failures: &mut Vec<String>) {
    // The same integration path: step for step, evaluation for evaluation.
    for (key, value) in [
        ("beats_to_steady_state", got.beats_to_steady_state),
        ("beats_simulated", got.beats_simulated),
        ("accepted_steps", got.stats.accepted_steps),
        ("rejected_steps", got.stats.rejected_steps),
        ("rhs_evaluations", got.stats.rhs_evals),
    ] {
        if want[key].as_u64() != Some(value) {
            failures.push(format!(
                "{case}/{name}: {key} = {value}, golden {}",
                want[key]
            ));
        }
    }
}

#[test]
fn every_preset_reproduces_its_golden_summary() {
    let golden: serde_json::Map<String, Json> =
        serde_json::from_str(GOLDEN).expect("golden file is JSON");
    let mut failures = Vec::new();
    for (case, g) in &golden {
        let mut s = Scenario::from_preset(g["preset"].as_str().expect("preset name"))
            .expect("shipped preset");
        for a in g["set"].as_array().expect("set list") {
            s.set_cli(a.as_str().expect("assignment"))
                .expect("valid override");
        }
        let sim = simulate(&s, &Default::default()).expect("runs");
        compare(
            case,
            "baseline",
            &g["baseline"],
            &sim.baseline.summary,
            &mut failures,
        );
        compare_run(
            case,
            "baseline",
            &g["run"]["baseline"],
            &sim.baseline,
            &mut failures,
        );
        match (&sim.assisted, g.get("assisted")) {
            (Some(a), Some(w)) if !w.is_null() => {
                compare(case, "assisted", w, &a.summary, &mut failures);
                compare_run(case, "assisted", &g["run"]["assisted"], a, &mut failures);
            }
            (None, None) => {}
            (None, Some(w)) if w.is_null() => {}
            (a, w) => failures.push(format!(
                "{case}: assisted run present {} but golden {:?}",
                a.is_some(),
                w
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences from the golden summaries:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
