//! Golden regression of `counterpulse reproduce --all`: every sweep point of every experiment
//! and a subsample of the beats of every run folder (every 25th beat and the last three of each
//! run), recorded with `tests/golden/capture.py` (from a9c1813 before the circuit was assembled
//! from components, which matched it bit for bit; regenerated for the ischaemic territory and the
//! coronary recalibration of issue 11, then for issue 13's summary ratios of sums and its
//! `alarms_raised`, `alarm_kinds` and `balloon_delivered_fraction` columns; `alarms_raised`
//! is 0, not null, for points without a balloon since device alarms count too; then for issue 12:
//! the ascending aorta split from the arch with damped segments, deflation aimed at the assisted
//! opening, the new balloon timing columns, recalibrated clinical presets with the baroreflex on
//! and a 320 mmHg drive; then for issue 18's regional beds; then for the membrane that seals
//! the ostia it reaches, with each branch's two arteries as separate halves of its bed: output
//! bit-identical wherever both ostia of a branch are covered alike, changed where a membrane
//! ends between the coeliac trunk and the SMA (`regional-perfusion/coverage`, shock-cohort
//! patients: CO gain within 0.003 L/min) and in `regional-perfusion`'s new eccentricity and lean
//! axes and pig runs; then for issue 12's coronary recalibration, the LAD's compliance (0.004 ->
//! 0.0005 mL/mmHg) moved behind a 4 mmHg s/mL small-artery resistance, with the wire's Pd read
//! before it, and the tissue pressure 0.9 -> 0.7 P_LV, so that inflow peaks in diastole, with
//! the new `coronary_diastolic_systolic_peak_ratio` column and the autoregulation time
//! constant recalibrated to 6 s: coronary columns move, and with them the ischaemic territory's
//! function and the CO gain behind a stenosis; then for issue 14's steady-state path: Anderson
//! depth 6, the baroreflex's states measured against their spans, and sweep warm starts that
//! run as the cold run until the balloon has inflated once: steady states moved within their
//! stated error; the `*_beats_to_steady_state` columns now hold that, not the beats simulated;
//! `reproduce --all --check` 77 of 77 inside; then for the search on the controllers' lags'
//! periodic values, with the contraction at least the slowest lag's, convergence confirmed on
//! a plain period, the baroreflex's arms bounded by their saturations, a fresh history after an
//! extrapolated start that failed, a lag ramped onto a bound only when its periodic value is
//! there: steady states moved within their stated error, 77 of 77 inside; then for the O2
//! demand's elastic-energy term switched by the peak-activation event and the activations
//! tabulated once: converged points' CO within 1.6e-4 relative, the two not-converged
//! shock-cohort points (alternating timing) by up to 7.8 %, 77 of 77 inside; then for the
//! transient integrated at 10 × rtol until near the orbit (`crates/sim/src/transient.rs`),
//! recorded runs included: converged points' CO within 4.1e-4 relative, 20 of the shock
//! cohort's 39 `not_converged` points by 1e-3 to 7.0 %, every point's status unchanged; the run
//! folders' transient beats moved with their path, their last beats' CO by at most 1.4e-3
//! (`impella-vs-iabp/shock-iabp`, assisted); 77 of 77 inside); then for multi-beat cycles
//! (`crates/sim/src/cycle.rs`) and the `*_cycle_beats` columns: only the shock cohort's 39
//! `not_converged` points moved (33 now stop on a cycle of 2 to 57 beats with the cycle's mean,
//! 6 stay `not_converged`, 4 of them with a cycle's mean), every other row bit-identical; 77 of
//! 77 inside; then for the balloon console's timing histories in the steady-state test: no
//! status changed, converged points' CO within 2.3e-4 relative (at most 0.18 of the two runs'
//! stated errors), 820 of 1 081 rows of the sweeps bit-identical, one run folder's beats
//! (`impella-vs-iabp/shock-iabp`) moved with its path; 77 of 77 inside; then for the flow
//! states' absolute tolerance, 10 × `solver.atol` (`FLOW_ATOL_FACTOR`): no status changed,
//! converged points' CO within 0.44 of the two runs' stated errors, the run folders' beats moved
//! with their paths; 77 of 77 inside.
//! Numbers must agree to 1e-9 relative; text columns exactly.

mod common;
use common::Scratch;
use std::path::PathBuf;
use std::process::Command;

use counterpulse_io::{read_f64_columns, read_str_column};
use serde_json::Value as Json;

const GOLDEN: &str = include_str!("golden/reproduce.json");
const REL_TOL: f64 = 1e-9;

#[test]
fn reproduce_all_matches_its_golden_rows() {
    let out = Scratch::unmade("golden", "reproduce");
    let experiments = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../experiments");
    let status = Command::new(env!("CARGO_BIN_EXE_counterpulse"))
        .args(["reproduce", "--all", "--experiments"])
        .arg(&experiments)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("binary runs");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let golden: serde_json::Map<String, Json> =
        serde_json::from_str(GOLDEN).expect("golden file is JSON");
    let mut failures = Vec::new();
    for (file, columns) in &golden {
        let path = out.join(file);
        let Json::Object(columns) = columns else {
            panic!("{file}: golden columns")
        };
        // Rows of the golden subsample: by (run, beat) for beats, by point_id for sweeps.
        let is_beats = file.ends_with("beats.parquet");
        let key_col = if is_beats { "beat" } else { "point_id" };
        let keys = |path: &PathBuf| -> Vec<(String, u64)> {
            let ids = read_f64_columns(path, &[key_col]).expect("key column");
            let runs = if is_beats {
                read_str_column(path, "run").expect("run column")
            } else {
                vec![String::new(); ids[0].1.len()]
            };
            runs.into_iter()
                .zip(ids[0].1.iter().map(|v| v.unwrap_or(f64::NAN) as u64))
                .collect()
        };
        let have = keys(&path);
        let want_keys: Vec<(String, u64)> = columns[key_col]
            .as_array()
            .expect("key values")
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let run = if is_beats {
                    columns["run"][i].as_str().unwrap_or_default().to_string()
                } else {
                    String::new()
                };
                (run, v.as_u64().expect("integer key"))
            })
            .collect();
        let rows: Vec<Option<usize>> = want_keys
            .iter()
            .map(|k| have.iter().position(|h| h == k))
            .collect();
        for (k, r) in want_keys.iter().zip(&rows) {
            if r.is_none() {
                failures.push(format!("{file}: row {k:?} missing"));
            }
        }
        for (name, values) in columns {
            let values = values.as_array().expect("column values");
            if values.iter().any(Json::is_string) {
                let got = read_str_column(&path, name).unwrap_or_default();
                for (i, w) in values.iter().enumerate() {
                    if let Some(r) = rows[i]
                        && got.get(r).map(String::as_str) != w.as_str()
                    {
                        failures.push(format!(
                            "{file}: {name}[{:?}] = {:?}, golden {w}",
                            want_keys[i],
                            got.get(r)
                        ));
                    }
                }
                continue;
            }
            let got = read_f64_columns(&path, &[name.as_str()]).unwrap_or_default();
            let Some((_, got)) = got.first() else {
                failures.push(format!("{file}: column {name} missing"));
                continue;
            };
            for (i, w) in values.iter().enumerate() {
                let Some(r) = rows[i] else { continue };
                let g = got[r];
                let w = w.as_f64().or(w.as_bool().map(|b| f64::from(u8::from(b))));
                match (w, g) {
                    (None, None) => {}
                    (Some(w), Some(g)) => {
                        let scale = w.abs().max(g.abs()).max(1e-12);
                        if (w - g).abs() > REL_TOL * scale {
                            failures.push(format!(
                                "{file}: {name}[{:?}] = {g:e}, golden {w:e}",
                                want_keys[i]
                            ));
                        }
                    }
                    (w, g) => failures.push(format!(
                        "{file}: {name}[{:?}] = {g:?}, golden {w:?}",
                        want_keys[i]
                    )),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences from the golden rows (first 40):\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
