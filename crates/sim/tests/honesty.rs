//! Issue 13: no unbounded run and no silently wrong result. Each test names the case of the
//! issue it reproduces. Run in release (`cargo test --release`).

use counterpulse_circulation::ParamError;
use counterpulse_sim::assist::AssistReport;
use counterpulse_sim::{RunOptions, Scenario, SimError, simulate};

fn scenario(preset: &str, sets: &[&str]) -> Scenario {
    let mut s = Scenario::from_preset(preset).expect("preset");
    for a in sets {
        s.set_cli(a).unwrap_or_else(|e| panic!("{a}: {e}"));
    }
    s
}

#[test]
fn case7_a_protocol_step_beyond_the_beat_budget_is_refused() {
    let s = Scenario::from_toml(
        "[scenario]\npreset = \"cardiogenic-shock\"\n[iabp]\nenabled = true\n[[protocol]]\nat_s = 1e9\niabp.ratio = \"1:2\"\n",
        "weaning.toml",
    )
    .expect("parses");
    let e = simulate(&s, &RunOptions::default()).expect_err("17 days of beats");
    let m = e.to_string();
    assert!(
        matches!(e, SimError::Param(ParamError::Inconsistent { .. })),
        "{m}"
    );
    assert!(m.contains("beyond `steady.max_beats` = 1000"), "{m}");
}

#[test]
fn case7_work_budgets_stop_a_run() {
    // 0.01 ms steps: about 60 000 steps a beat; 100 000 steps stop the run in its second beat.
    let s = scenario(
        "healthy",
        &["solver.max_step_ms=0.01", "steady.max_steps=100000"],
    );
    match simulate(&s, &RunOptions::default()) {
        Err(SimError::Budget { run, beat, budget }) => {
            assert_eq!(run, "baseline");
            assert!(beat <= 3, "stopped in beat {beat}");
            assert!(budget.contains("`steady.max_steps` = 100000"), "{budget}");
        }
        other => panic!("expected a budget stop, got {other:?}"),
    }
    // An irregular rhythm runs its fixed beats within the beat budget.
    let mut af = scenario("healthy", &["rhythm.kind=af", "steady.max_beats=50"]);
    af.set_cli("steady.irregular_beats=120").expect("in range");
    let e = simulate(&af, &RunOptions::default()).expect_err("120 > 50");
    assert!(
        e.to_string().contains("`steady.irregular_beats` = 120"),
        "{e}"
    );
}

#[test]
fn case8_waveform_memory_is_bounded_before_the_run() {
    let s = scenario(
        "healthy",
        &[
            "output.waveform_interval_ms=0.05",
            "output.waveform_beats=0",
        ],
    );
    let opts = RunOptions {
        record_all_beats: true,
        waveforms: true,
        log_events: true,
    };
    let t = std::time::Instant::now();
    let e = simulate(&s, &opts).expect_err("GBs of waveforms");
    assert!(e.to_string().contains("of memory for its waveforms"), "{e}");
    assert!(t.elapsed().as_secs_f64() < 1.0, "refused before running");
    // Without waveforms the same scenario runs.
    assert!(simulate(&s, &RunOptions::default()).is_ok());
}

#[test]
fn case10_a_balloon_that_does_not_assist_says_so() {
    let assisted = |sets: &[&str]| {
        let mut all = vec!["iabp.enabled=true"];
        all.extend_from_slice(sets);
        let sim =
            simulate(&scenario("cardiogenic-shock", &all), &RunOptions::default()).expect("runs");
        AssistReport::of(sim.assisted.as_ref().expect("assisted"))
    };
    let working = assisted(&[]);
    assert_eq!(working.delivered_fraction, 1.0, "{working:?}");
    assert!(working.problem().is_none(), "{working:?}");
    let half = assisted(&["iabp.ratio=1:2"]);
    assert_eq!(
        half.delivered_fraction, 1.0,
        "1:2 asks for every other beat: {half:?}"
    );
    for sets in [
        &["heart.rate_bpm=240"][..],
        &["iabp.drive_pressure_mmhg=50"],
        &["iabp.pneumatic_delay_ms=200"],
        &["iabp.inflate_offset_ms=400"],
        &["iabp.deflate_offset_ms=-400"],
        &["iabp.trigger_loss_timeout_ms=300"],
    ] {
        let r = assisted(sets);
        assert!(r.failed_to_assist(), "{sets:?}: {r:?}");
        let p = r.problem().expect("a problem");
        assert!(p.contains("no real assist"), "{sets:?}: {p}");
    }
    let lost = assisted(&["iabp.trigger_loss_timeout_ms=300"]);
    assert!(lost.alarms > 0, "{lost:?}");
    assert!(lost.alarm_text().contains("alarm_trigger_lost"), "{lost:?}");
}

#[test]
fn case11_irregular_rhythm_ratios_are_ratios_of_sums() {
    // No shunt: over many beats the right and left hearts move the same volume.
    for beats in ["120", "600"] {
        let s = scenario(
            "healthy",
            &["rhythm.kind=af", &format!("steady.irregular_beats={beats}")],
        );
        let sim = simulate(&s, &RunOptions::default()).expect("runs");
        let m = &sim.baseline.summary;
        let qp_qs = m.qp_qs.expect("qp_qs");
        assert!((qp_qs - 1.0).abs() < 0.02, "{beats} beats: Qp/Qs {qp_qs}");
        for (name, v) in [
            ("mitral_regurgitant_fraction", m.mitral_regurgitant_fraction),
            ("ffr", m.ffr),
            ("resting_pd_pa", m.resting_pd_pa),
            (
                "coronary_diastolic_flow_fraction",
                m.coronary_diastolic_flow_fraction,
            ),
        ] {
            let v = v.expect(name);
            assert!((0.0..=1.0).contains(&v), "{beats} beats: {name} {v}");
        }
        let cfr = m.coronary_flow_reserve.expect("cfr");
        let want =
            m.hyperemic_coronary_flow_ml_min.expect("qh") / m.coronary_flow_ml_min.expect("q");
        assert!((cfr - want).abs() < 1e-12, "{cfr} vs {want}");
    }
}

#[test]
fn case12_steady_state_reports_agree_with_themselves() {
    let s = scenario("healthy", &[]);
    let sim = simulate(&s, &RunOptions::default()).expect("runs");
    let b = &sim.baseline;
    assert!(b.converged && !b.irregular);
    assert!(
        b.steady_state_error < s.steady.tolerance,
        "converged with error {} > tolerance {}",
        b.steady_state_error,
        s.steady.tolerance
    );
    // The error is the change over a period scaled by 1/(1 − λ), never smaller than it.
    assert!(b.steady_state_error >= b.final_residual);
    assert!((0.0..1.0).contains(&b.contraction_estimate));
    // Stopped by the beat budget: the change reported is the one that failed the test.
    let s = scenario("cardiogenic-shock", &["steady.max_beats=5"]);
    let b = simulate(&s, &RunOptions::default()).expect("runs").baseline;
    assert!(!b.converged);
    assert!(
        b.steady_state_error >= s.steady.tolerance,
        "not converged with error {} < tolerance {}",
        b.steady_state_error,
        s.steady.tolerance
    );
    // AF has no periodic steady state: it is never reported as converged.
    let af = simulate(
        &scenario("healthy", &["rhythm.kind=af"]),
        &RunOptions::default(),
    )
    .expect("runs")
    .baseline;
    assert!(!af.converged && af.irregular);
    // Its statistical steady state says how close the halves of its summary agree.
    assert!(af.steady_state_error.is_finite() && af.steady_state_error < 0.1);
}
