//! The periodic steady state (issue 14): the accelerated path reaches the same orbit as plain
//! beat-to-beat iteration within the error it states, a tight tolerance is reached in a bounded
//! number of beats, and the error estimate is honest against a reference orbit.

use counterpulse_metrics::BeatMetrics;
use counterpulse_sim::{RunOptions, RunResult, Scenario, simulate};

fn scenario(preset: &str, sets: &[&str]) -> Scenario {
    let mut s = Scenario::from_preset(preset).expect("preset");
    for a in sets {
        s.set_cli(a).expect("valid override");
    }
    s
}

fn baseline(preset: &str, sets: &[&str]) -> RunResult {
    simulate(&scenario(preset, sets), &RunOptions::default())
        .expect("runs")
        .baseline
}

/// Largest relative difference of the carried states at the end of two runs (the state the
/// error estimate speaks of), scaled as the steady-state test scales them.
fn state_distance(a: &RunResult, b: &RunResult) -> f64 {
    a.final_state
        .iter()
        .zip(&b.final_state)
        .zip(&a.final_state_names)
        .filter(|(_, n)| {
            n.ends_with("_volume_ml") || n.contains("territory") || n.contains("autoregulation")
        })
        .map(|((x, y), n)| {
            let floor = if n.contains("o2_") {
                0.01
            } else if n.ends_with("_volume_ml") {
                10.0
            } else {
                1.0
            };
            (x - y).abs() / x.abs().max(floor)
        })
        .fold(0.0, f64::max)
}

fn rel(a: Option<f64>, b: Option<f64>) -> f64 {
    let (a, b) = (a.expect("metric"), b.expect("metric"));
    (a - b).abs() / b.abs().max(1e-9)
}

fn key_metrics(m: &BeatMetrics) -> [Option<f64>; 4] {
    [
        m.cardiac_output_l_min,
        m.mean_arterial_pressure_mmhg,
        m.lv_end_diastolic_volume_ml,
        m.coronary_flow_ml_min,
    ]
}

#[test]
fn accelerated_and_plain_iteration_reach_the_same_orbit_within_the_stated_error() {
    for preset in ["healthy", "cardiogenic-shock", "pre-shock"] {
        let fast = baseline(preset, &["steady.tolerance=1e-4"]);
        let plain = baseline(
            preset,
            &[
                "steady.tolerance=1e-4",
                "steady.accelerate=false",
                "steady.max_beats=3000",
            ],
        );
        assert!(
            fast.converged && plain.converged,
            "{preset}: {} {:.2e} / {} {:.2e}",
            fast.beats_simulated,
            fast.steady_state_error,
            plain.beats_simulated,
            plain.steady_state_error
        );
        assert!(fast.extrapolations > 0, "{preset}: no extrapolation");
        // The accelerated run integrates its transient at the looser tolerance; plain
        // iteration, the reference, never does.
        assert!(fast.loose_periods > 0, "{preset}: no loose transient");
        assert_eq!(plain.loose_periods, 0, "{preset}");
        assert!(
            fast.beats_simulated < plain.beats_simulated,
            "{preset}: {} accelerated beats vs {} plain",
            fast.beats_simulated,
            plain.beats_simulated
        );
        // Both are within their stated error of the orbit, so within the sum of each other
        // (the summary beats are plain beats from there on, closer still).
        let d = state_distance(&fast, &plain);
        let bound = fast.steady_state_error + plain.steady_state_error;
        assert!(
            d <= bound,
            "{preset}: states differ by {d:.2e} > stated {bound:.2e}"
        );
        for (a, b) in key_metrics(&fast.summary)
            .iter()
            .zip(key_metrics(&plain.summary))
        {
            // Metrics are smooth functions of the orbit: within ten times the state error.
            assert!(
                rel(*a, b) <= 10.0 * bound + 1e-9,
                "{preset}: {a:?} vs {b:?}"
            );
        }
    }
}

#[test]
fn the_error_estimate_bounds_the_distance_to_a_tight_reference_orbit() {
    // One integrator tolerance for all, so that the runs differ only in how close to the orbit
    // they stopped (not in the orbit's discretisation error). The reference stops at 1e-7,
    // 1000 times tighter than the tightest run checked; at rtol 1e-10 the beat-to-beat change
    // of pre-shock (baroreflex on since issue 12) has a noise floor of 2.5e-9 with a contraction
    // of 0.98, which puts 1e-8 out of reach (1.3e-7 after 1000 beats); at 1e-11 it is met.
    let rtol = ["solver.rtol=1e-11", "solver.atol=1e-11"];
    let mut worst: f64 = 0.0;
    for preset in ["healthy", "cardiogenic-shock", "pre-shock", "va-ecmo"] {
        let reference = baseline(preset, &[rtol[0], rtol[1], "steady.tolerance=1e-7"]);
        assert!(reference.converged, "{preset}: reference");
        for tol in ["1e-2", "1e-3", "1e-4"] {
            let r = baseline(
                preset,
                &[rtol[0], rtol[1], &format!("steady.tolerance={tol}")],
            );
            assert!(r.converged, "{preset} {tol}");
            let d = state_distance(&r, &reference);
            let ratio = d / (r.steady_state_error + reference.steady_state_error);
            println!(
                "{preset} tol {tol}: {} beats, stated error {:.2e}, distance to the reference orbit {d:.2e} (ratio {ratio:.2})",
                r.beats_simulated, r.steady_state_error
            );
            worst = worst.max(ratio);
            // An estimate, not a proof (the beat map is not normal, λ is estimated): measured
            // within a factor of 3 of the true distance.
            assert!(ratio <= 3.0, "{preset} at {tol}: distance {d:.2e}");
            assert!(
                d <= 3.0 * tol.parse::<f64>().expect("number"),
                "{preset} at {tol}: {d:.2e}"
            );
        }
    }
    println!("largest distance / stated error: {worst:.2}");
}

#[test]
fn a_tight_steady_state_is_reached_in_a_bounded_number_of_beats() {
    let r = baseline("cardiogenic-shock", &["steady.tolerance=1e-7"]);
    assert!(r.converged, "error {:.2e}", r.steady_state_error);
    assert!(r.steady_state_error < 1e-7);
    assert!(r.beats_simulated <= 80, "{} beats", r.beats_simulated);
    // The integrator was tightened with it (solver.rtol is an upper bound).
    let s = scenario("cardiogenic-shock", &["steady.tolerance=1e-7"]);
    assert!(counterpulse_sim::run::effective_rtol(&s) <= 1e-9);
}

#[test]
fn extrapolation_conserves_blood_volume() {
    let r = baseline("cardiogenic-shock", &[]);
    assert!(r.extrapolations > 0);
    let drift = (r.blood_volume_end_ml - r.blood_volume_start_ml).abs();
    assert!(drift < 1e-9 * r.blood_volume_start_ml, "drift {drift} mL");
}

#[test]
fn the_error_estimate_holds_where_the_lad_territory_is_partly_ischaemic() {
    // Cardiogenic shock at 120 bpm with an 85 % LAD stenosis: the territory's function sits on
    // the steep part of its supply/demand curve and relaxes with its 10 s time constant (a
    // multiplier of about 0.95 a beat). A contraction estimate taken from the secant pairs just
    // after an extrapolation once fell to 0.09 here, and the run stopped 19 beats in with a
    // stated error of 7.6e-4 while the territory's function was 0.014 (absolute, scale 1)
    // away from the orbit.
    let sets = ["heart.rate_bpm=120", "coronary.stenosis_percent=85"];
    let rtol = ["solver.rtol=1e-11", "solver.atol=1e-11"];
    let with = |tol: &str| {
        let mut all = vec![rtol[0], rtol[1]];
        all.extend(sets);
        let t = format!("steady.tolerance={tol}");
        all.push(&t);
        baseline("cardiogenic-shock", &all)
    };
    let reference = with("1e-8");
    assert!(reference.converged, "reference");
    let r = with("1e-3");
    assert!(r.converged);
    let d = state_distance(&r, &reference);
    assert!(
        d <= 3.0 * (r.steady_state_error + reference.steady_state_error),
        "distance {d:.2e} against stated {:.2e} after {} beats",
        r.steady_state_error,
        r.beats_simulated
    );
}

#[test]
fn a_protocol_run_records_its_transient_without_extrapolated_jumps() {
    // PCI 20 s into the assisted run: the beats after it are the result (the territory
    // recovering with its time constant), so none of them may start from an extrapolated state.
    // The territory's function obeys τ df/dt = target − f with |target − f| ≤ 1, so its beat
    // mean moves by at most about RR/τ from one beat to the next.
    let text = "[scenario]\npreset = \"cardiogenic-shock\"\n\
                [iabp]\nenabled = true\nvolume_ml = 40\n\
                [[protocol]]\nat_s = 20\ncoronary.stenosis_percent = 0\n";
    let s = Scenario::from_toml(text, "pci").expect("scenario");
    let opts = RunOptions {
        record_all_beats: true,
        ..RunOptions::default()
    };
    let a = simulate(&s, &opts)
        .expect("runs")
        .assisted
        .expect("assisted");
    assert_eq!(a.extrapolations, 0);
    // Its beats are the result: all at the run's own tolerance.
    assert_eq!(a.loose_periods, 0);
    let tau_s = s.circulation.ischaemia.function_time_constant_s;
    let f: Vec<(f64, f64)> = a
        .beats
        .iter()
        .map(|b| {
            (
                b.rr_s,
                b.metrics
                    .lad_territory_function
                    .expect("territory function"),
            )
        })
        .collect();
    for w in f.windows(2) {
        let (rr_s, step) = (w[0].0, (w[1].1 - w[0].1).abs());
        assert!(
            step <= 1.5 * rr_s / tau_s,
            "territory function jumped by {step:.3} in one beat (RR {rr_s:.2} s, τ {tau_s} s)"
        );
    }
}

/// Largest relative difference of the carried states of two assisted runs of scenario `s`, the
/// baroreflex's arms measured against their spans (their saturations) as the steady-state test
/// measures them.
fn assisted_state_distance(s: &Scenario, a: &RunResult, b: &RunResult) -> f64 {
    let reflex_params = &s.circulation.baroreflex;
    let reflex = a
        .final_state
        .iter()
        .zip(&b.final_state)
        .zip(&a.final_state_names)
        .filter_map(|((x, y), n)| {
            let span = match n.as_str() {
                "baroreflex_sensed_pressure_mmhg" => x.abs().max(10.0),
                "baroreflex_resistance_change" => reflex_params.resistance_max_change,
                "baroreflex_heart_rate_change_bpm" => reflex_params.heart_rate_max_change_bpm,
                "baroreflex_venous_volume_change_ml" => reflex_params.venous_volume_max_change_ml,
                _ => return None,
            };
            Some((x - y).abs() / span)
        })
        .fold(0.0, f64::max);
    state_distance(a, b).max(reflex)
}

/// Cardiogenic shock with the balloon at 1:1, auto timing, and `fixed` settings: the point's
/// scenario for a balloon of `ml` mL at `steady.tolerance` `tol`.
fn shock_point(fixed: &[&str]) -> impl Fn(&str, &str) -> Scenario {
    move |ml: &str, tol: &str| {
        let volume = format!("iabp.volume_ml={ml}");
        let tolerance = format!("steady.tolerance={tol}");
        let mut sets = vec!["iabp.enabled=true", "iabp.ratio=1:1", "iabp.timing=auto"];
        sets.extend_from_slice(fixed);
        sets.extend([volume.as_str(), tolerance.as_str()]);
        scenario("cardiogenic-shock", &sets)
    }
}

/// A sweep point's assisted run warm-started as a sweep runs it (from the assisted orbit of its
/// group's point with a `leader_ml` balloon) and its reference orbit at `steady.tolerance =
/// 1e-7`: the scenario (at 1e-3), the warm run and the reference. `sets(volume_ml, tolerance)`
/// makes the point's scenario.
fn warm_start_and_reference(
    sets: impl Fn(&str, &str) -> Scenario,
    leader_ml: &str,
    ml: &str,
) -> (Scenario, RunResult, RunResult) {
    let opts = RunOptions::default();
    let s = sets(ml, "1e-3");
    let base = counterpulse_sim::run_phase(
        &counterpulse_sim::baseline_scenario(&s),
        &opts,
        None,
        None,
        "baseline",
    )
    .expect("baseline");
    let leader =
        counterpulse_sim::assisted_run(&sets(leader_ml, "1e-3"), &opts, &base).expect("leader");
    let warm = counterpulse_sim::assisted_run_warm(&s, &opts, &base, &leader).expect("warm");
    let reference =
        counterpulse_sim::assisted_run(&sets(ml, "1e-7"), &opts, &base).expect("reference");
    assert!(warm.converged && reference.converged);
    (s, warm, reference)
}

/// A warm run's distance to its reference orbit (see [`assisted_state_distance`]), the two runs'
/// stated errors summed, and the relative difference of their CO.
fn distances(s: &Scenario, warm: &RunResult, reference: &RunResult) -> (f64, f64, f64) {
    let d = assisted_state_distance(s, warm, reference);
    let stated = warm.steady_state_error + reference.steady_state_error;
    let co = rel(
        warm.summary.cardiac_output_l_min,
        reference.summary.cardiac_output_l_min,
    );
    (d, stated, co)
}

#[test]
fn a_warm_started_assisted_run_is_as_close_to_its_orbit_as_it_states() {
    // Cardiogenic shock with the baroreflex on, HR 70, 95 % LAD stenosis: a 30 mL balloon
    // warm-started from the 25 mL orbit, exactly as the default sweep runs its point 48.
    // Searching on the controllers' periodic values stopped it at 13 beats, 2.3e-3 from the
    // reference orbit, with a stated error of 2.5e-4 without the contraction floor, or 6.9e-4
    // without the stop on a plain period (issue 14, 2026-12-02); with both, 36 beats, 1.2e-4
    // from it, stated 8.9e-4.
    let sets = shock_point(&["heart.rate_bpm=70", "coronary.stenosis_percent=95"]);
    let (s, warm, reference) = warm_start_and_reference(sets, "25", "30");
    // The reference integrates at rtol 1e-10 (tolerance × 1e-3), the run at 1e-6: the orbits'
    // discretisations differ by about 1e-6, far below the errors compared here.
    let (d, stated, co) = distances(&s, &warm, &reference);
    println!(
        "warm start: {} beats, stated error {:.2e}, distance to the reference orbit {d:.2e} (ratio {:.2}), CO {co:.2e}",
        warm.beats_to_steady_state,
        warm.steady_state_error,
        d / stated
    );
    assert!(d <= stated, "distance {d:.2e} > stated {stated:.2e}");
    // Stroke volume is a difference of two volumes: its relative error is a few times theirs.
    assert!(co <= 3.0 * stated, "CO {co:.2e} vs stated {stated:.2e}");
}

#[test]
fn a_tight_tolerance_is_met_where_the_integrator_noise_used_to_stop_it() {
    // The default sweep's baseline at HR 130 and a 70 % LAD stenosis, at `steady.tolerance`
    // 1e-6. With the integrator at tolerance x 1e-2 (rtol 1e-8) the beat map's noise, about
    // 10 x rtol, stayed above the change per period the test needs (1e-6 x (1 - 0.95)): it
    // stopped unconverged at 1000 beats with a stated error of 1e-5 (83a6e40; 26 of the 315
    // points of the default sweep at this tolerance). At x 1e-3, 38 beats.
    let s = scenario(
        "cardiogenic-shock",
        &[
            "iabp.enabled=true",
            "heart.rate_bpm=130",
            "coronary.stenosis_percent=70",
            "steady.tolerance=1e-6",
        ],
    );
    let r = counterpulse_sim::run_phase(
        &counterpulse_sim::baseline_scenario(&s),
        &RunOptions::default(),
        None,
        None,
        "baseline",
    )
    .expect("runs");
    assert!(r.converged, "stated error {:.2e}", r.steady_state_error);
    assert!(r.steady_state_error < 1e-6);
    assert!(r.beats_simulated <= 100, "{} beats", r.beats_simulated);
}

#[test]
fn a_run_that_meets_the_tolerance_within_its_beat_budget_says_so() {
    // A run stops only on a period that began from a plain start; the period that reaches
    // `steady.max_beats` must therefore start plain, or a run can end "unconverged" with an
    // error below the tolerance (83ea0f5: healthy at max_beats 10, error 4.0e-4 < 1e-3;
    // cardiogenic-shock and pre-shock at 15).
    // Likewise the period that reaches it runs at the run's own tolerance, not the looser
    // transient's, which never decides: with it loose, pre-shock at `steady.tolerance` 3e-2 and
    // max_beats 12 ended unconverged with an error of 2.7e-2 (found in review, 2026-12-03).
    for tol in ["1e-3", "3e-2"] {
        let tolerance: f64 = tol.parse().expect("number");
        for preset in ["healthy", "cardiogenic-shock", "pre-shock"] {
            for max_beats in 6..=24 {
                let r = baseline(
                    preset,
                    &[
                        &format!("steady.max_beats={max_beats}"),
                        &format!("steady.tolerance={tol}"),
                    ],
                );
                assert!(
                    r.converged || r.steady_state_error >= tolerance,
                    "{preset} at tolerance {tol}, max_beats {max_beats}: unconverged with error {:.2e}",
                    r.steady_state_error
                );
            }
        }
    }
}

#[test]
fn a_transient_at_the_looser_tolerance_ends_on_the_orbit_of_the_run_s_own() {
    // Cardiogenic shock, balloon 40 mL 1:1, baroreflex on: the run as `simulate` makes it (its
    // transient at 10 × rtol until the residual is near that tolerance's noise) and the same
    // run with `steady.loose_transient = false` (every beat at the run's own rtol, 1e-6),
    // against a reference orbit at `steady.tolerance = 1e-7` (rtol 1e-10). The looser
    // transient changes the path only: both runs are as close to the reference as they state,
    // and it takes fewer integrator steps.
    let s = |tol: &str, loose: bool| {
        scenario(
            "cardiogenic-shock",
            &[
                "iabp.enabled=true",
                "iabp.volume_ml=40",
                "heart.rate_bpm=90",
                "coronary.stenosis_percent=80",
                &format!("steady.tolerance={tol}"),
                &format!("steady.loose_transient={loose}"),
            ],
        )
    };
    let assisted = |tol: &str, loose: bool| {
        simulate(&s(tol, loose), &RunOptions::default())
            .expect("runs")
            .assisted
            .expect("assisted")
    };
    let loose = assisted("1e-3", true);
    let own = assisted("1e-3", false);
    let reference = assisted("1e-7", false);
    assert!(loose.converged && own.converged && reference.converged);
    assert!(loose.loose_periods > 0, "no loose transient");
    assert_eq!(own.loose_periods, 0);
    let scenario = s("1e-3", true);
    for (what, run) in [("loose transient", &loose), ("own tolerance", &own)] {
        let d = assisted_state_distance(&scenario, run, &reference);
        let stated = run.steady_state_error + reference.steady_state_error;
        println!(
            "{what}: {} beats, {} loose periods, {} steps, stated {:.2e}, distance {d:.2e}",
            run.beats_to_steady_state,
            run.loose_periods,
            run.stats.accepted_steps,
            run.steady_state_error
        );
        assert!(
            d <= stated,
            "{what}: distance {d:.2e} > stated {stated:.2e}"
        );
    }
    assert!(
        loose.stats.accepted_steps < own.stats.accepted_steps,
        "{} steps with the loose transient vs {} without",
        loose.stats.accepted_steps,
        own.stats.accepted_steps
    );
}

#[test]
fn recording_the_beats_does_not_change_the_result() {
    // `simulate --out` and the Python package record every beat, `simulate` alone does not:
    // the same path and the same numbers either way (the looser transient is used in both).
    let s = scenario(
        "cardiogenic-shock",
        &["iabp.enabled=true", "iabp.ratio=1:2", "heart.rate_bpm=100"],
    );
    let plain = simulate(&s, &RunOptions::default()).expect("runs");
    let recorded = simulate(
        &s,
        &RunOptions {
            record_all_beats: true,
            waveforms: true,
            log_events: true,
        },
    )
    .expect("runs");
    let assisted = |r: &counterpulse_sim::Simulation| r.assisted.clone().expect("assisted");
    let (pa, ra) = (assisted(&plain), assisted(&recorded));
    for (a, b) in [(&plain.baseline, &recorded.baseline), (&pa, &ra)] {
        assert!(a.loose_periods > 0);
        assert_eq!(a.loose_periods, b.loose_periods);
        assert_eq!(a.beats_simulated, b.beats_simulated);
        assert_eq!(a.final_state, b.final_state);
        assert_eq!(
            a.summary.cardiac_output_l_min,
            b.summary.cardiac_output_l_min
        );
    }
}

#[test]
fn a_warm_started_run_stops_only_once_the_console_s_learned_timing_is_periodic() {
    // `benches/a9c1813-physiology.toml`'s point 303 (cardiogenic shock without the baroreflex,
    // the autoregulation and the ischaemia coupling; HR 140, 40 mL, 50 %) warm-started from its
    // group's first point (25 mL), as that sweep runs it. The console times each cycle from the
    // means of its last 4 learned values (RR, R wave to notch, to valve opening, deflation
    // time): state that the circulation's test does not see. Stopping on the circulation alone ended it 8
    // beats in, 9.7e-4 from the reference orbit (CO 2.7e-3) at a stated error of 6.3e-4, its
    // histories still holding beats from before its extrapolated starts (471ecfc; 63 of that
    // sweep's 315 points had a CO further from a `steady.tolerance = 1e-6` reference than they
    // stated, up to 8.9 times). The histories must now come back over the tested period within
    // `steady.tolerance × RR`: 11 beats, 6.4e-4 from the reference at a stated 9.9e-4 (set by
    // the console's histories), CO 8.9e-4.
    let sets = shock_point(&[
        "baroreflex.enabled=false",
        "coronary.autoregulation=false",
        "ischaemia.enabled=false",
        "heart.rate_bpm=140",
        "coronary.stenosis_percent=50",
    ]);
    let (s, warm, reference) = warm_start_and_reference(sets, "25", "40");
    let (d, stated, co) = distances(&s, &warm, &reference);
    println!(
        "warm start at HR 140: {} beats, stated error {:.2e} (console {:.2e}), distance {d:.2e}, CO {co:.2e}",
        warm.beats_to_steady_state, warm.steady_state_error, warm.console_timing_error,
    );
    assert!(d <= stated, "distance {d:.2e} > stated {stated:.2e}");
    assert!(co <= 3.0 * stated, "CO {co:.2e} vs stated {stated:.2e}");
    // The console's own carried state: its inflation and deflation times are the reference
    // orbit's within the stated error of an RR interval.
    let rr_ms = 60_000.0 / 140.0;
    for (what, w, r) in [
        (
            "inflation",
            warm.summary.balloon_inflation_time_ms,
            reference.summary.balloon_inflation_time_ms,
        ),
        (
            "deflation",
            warm.summary.balloon_deflation_time_ms,
            reference.summary.balloon_deflation_time_ms,
        ),
    ] {
        let off = (w.expect("timed") - r.expect("timed")).abs() / rr_ms;
        assert!(
            off <= stated,
            "{what}: {off:.2e} of an RR vs stated {stated:.2e}"
        );
    }
    assert!(warm.console_timing_error <= warm.steady_state_error);
    assert!(reference.console_timing_error < 1e-7);
}
