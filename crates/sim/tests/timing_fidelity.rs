//! Balloon timing and waveform fidelity (issue 12): deflation before ejection, a notch
//! detector that is smooth in continuous parameters, a damped proximal aorta, metrics on an
//! LV that barely ejects. Each test failed on the code before
//! issue 12 (the measured values before are in the test's comment). Run in release.

mod common;

use common::{get, scenario, sim};
use counterpulse_sim::{RunOptions, RunResult};

const ALL: RunOptions = RunOptions {
    record_all_beats: true,
    waveforms: true,
    log_events: true,
};

fn times(r: &RunResult, kind: &str) -> Vec<f64> {
    r.events
        .iter()
        .filter(|e| e.kind.name() == kind)
        .map(|e| e.time_s)
        .collect()
}

fn co_gain(sets: &[&str]) -> f64 {
    let mut v = vec![
        "iabp.enabled=true",
        "iabp.timing=auto",
        "iabp.ratio=1:1",
        "baroreflex.enabled=false",
    ];
    v.extend_from_slice(sets);
    let s = sim("cardiogenic-shock", &v, RunOptions::default());
    let a = s.assisted.expect("assisted");
    get(&a.summary, "cardiac_output_l_min") - get(&s.baseline.summary, "cardiac_output_l_min")
}

/// Conventional timing empties the balloon by the end of isovolumic contraction. Before
/// issue 12 the balloon finished emptying 12-24 ms after the valve opened at 60-160 bpm.
#[test]
fn auto_timing_empties_the_balloon_before_the_valve_opens_at_60_to_160_bpm() {
    for hr in [60, 100, 160] {
        let rate = format!("heart.rate_bpm={hr}");
        let s = sim(
            "cardiogenic-shock",
            &[
                "iabp.enabled=true",
                "iabp.timing=auto",
                "baroreflex.enabled=false",
                &rate,
            ],
            RunOptions::default(),
        );
        let a = s.assisted.expect("assisted");
        let empty = get(&a.summary, "balloon_empty_before_valve_opening_ms");
        let left = get(&a.summary, "balloon_volume_at_valve_opening_ml");
        assert!(
            empty > 0.0 && empty < 30.0,
            "{hr} bpm: empty {empty} ms before opening"
        );
        assert!(left < 1.0, "{hr} bpm: {left} mL left as the valve opened");
    }
}

/// With the balloon empty at the opening the gain follows the diastolic time the balloon has:
/// it falls at high rates. Before issue 12 it was flat (0.41-0.43 L/min at 60-160 bpm, 1:2).
#[test]
fn co_gain_falls_at_high_heart_rates() {
    let slow = co_gain(&["heart.rate_bpm=60"]);
    let fast = co_gain(&["heart.rate_bpm=160"]);
    assert!(slow > 0.0 && fast > 0.0, "{slow} {fast}");
    assert!(fast < 0.9 * slow, "gain {fast} at 160 bpm vs {slow} at 60");
}

/// The CO gain is monotonic in the aortic compliance and the console's timing moves smoothly.
/// Before issue 12 the gain jumped from 0.365 to 0.400 L/min between compliance scales 1.50 and
/// 1.55 (SVR scale 1.15) as the notch detector switched between two pressure minima.
/// At a tight steady state (1e-5): the gain falls by about 0.008 L/min a step, and at the
/// default tolerance (1e-3) the assisted CO is only resolved to about 2e-3 of its 3.7 L/min
/// (measured against 1e-5 orbits: the gain read 0.3676 then 0.3674 at scales 0.8 and 0.9,
/// against 0.3664 and 0.3588), so the order of two neighbours was a matter of luck.
#[test]
fn co_gain_and_console_timing_are_smooth_in_aortic_compliance() {
    let mut last: Option<(f64, f64)> = None;
    for i in 0..=12 {
        let c = 0.8 + 0.1 * i as f64;
        let cs = format!("aorta.compliance_scale={c}");
        let s = sim(
            "cardiogenic-shock",
            &[
                "iabp.enabled=true",
                "iabp.timing=auto",
                "iabp.ratio=1:1",
                "baroreflex.enabled=false",
                "systemic.resistance_scale=1.15",
                "steady.tolerance=1e-5",
                &cs,
            ],
            RunOptions::default(),
        );
        let a = s.assisted.expect("assisted");
        let gain = get(&a.summary, "cardiac_output_l_min")
            - get(&s.baseline.summary, "cardiac_output_l_min");
        let inflation = get(&a.summary, "balloon_inflation_after_valve_closure_ms");
        if let Some((g0, i0)) = last {
            // A stiffer aorta stores more of the displaced volume as pressure: the gain falls
            // with compliance, never rises by a jump.
            assert!(gain < g0, "gain {gain} at {c} after {g0}");
            assert!((gain - g0).abs() < 0.015, "gain step {g0} -> {gain} at {c}");
            assert!(
                (inflation - i0).abs() < 5.0,
                "inflation moved {i0} -> {inflation} ms at {c}"
            );
        }
        last = Some((gain, inflation));
    }
}

/// The valve stays open through the assisted ejection (no ringing of the proximal aorta).
/// Before issue 12 the opening fell to 0.24 in mid-ejection in every assisted beat.
#[test]
fn the_aortic_valve_stays_open_through_assisted_ejection() {
    let s = sim(
        "cardiogenic-shock",
        &[
            "iabp.enabled=true",
            "iabp.ratio=1:1",
            "baroreflex.enabled=false",
            // The recorded beats are the last 10. With the acceleration of issue 14 the assisted
            // run takes 13 beats (7 extrapolated starts), so they would include the console's
            // first beats (timing not yet learned) and jumps: transients, not the aorta's
            // ringing at steady state, which is what this test is about.
            "steady.accelerate=false",
        ],
        ALL,
    );
    let a = s.assisted.expect("assisted");
    let w = a.waveforms.as_ref().expect("waveforms");
    let opening = w.column("aortic_valve_opening").expect("opening");
    let opens = times(&a, "aortic_valve_open");
    let closes = times(&a, "aortic_valve_close");
    let mut checked = 0;
    for o in opens {
        let Some(c) = closes.iter().copied().find(|c| *c > o) else {
            continue;
        };
        // Once open (opening above 0.9), it stays open until the closing phase (last 50 ms).
        let samples: Vec<(f64, f64)> = w
            .time_s
            .iter()
            .zip(opening)
            .map(|(t, v)| (*t, *v))
            .filter(|(t, _)| *t > o && *t < c - 0.05)
            .collect();
        let Some(open_at) = samples.iter().position(|(_, v)| *v > 0.9) else {
            continue;
        };
        let lowest = samples[open_at..]
            .iter()
            .map(|(_, v)| *v)
            .fold(f64::INFINITY, f64::min);
        if lowest.is_finite() {
            checked += 1;
            assert!(
                lowest > 0.8,
                "opening fell to {lowest} in ejection at {o} s"
            );
        }
    }
    assert!(checked > 3, "{checked} ejections checked");
}

/// The share of the displaced volume that reaches the ascending aorta is reported per
/// inflation, inside Kolyva 2010's range (6.4 +/- 4.8 % at 1:1). Not measurable before
/// issue 12 (root and arch one compartment).
#[test]
fn the_share_of_the_balloon_volume_reaching_the_root_is_reported() {
    let s = sim(
        "cardiogenic-shock",
        &["iabp.enabled=true", "iabp.ratio=1:1"],
        RunOptions::default(),
    );
    let a = s.assisted.expect("assisted");
    let share = get(&a.summary, "balloon_root_volume_fraction");
    assert!(share > 0.016 && share < 0.16, "root share {share}");
}

/// Metrics on an LV the ECMO circuit has nearly unloaded: SVR and Qp/Qs over the systemic
/// flow including the circuit's, every null with a reason. Before issue 12 Qp/Qs was -12,944
/// and SVR null at 4.5 L/min.
#[test]
fn va_ecmo_metrics_count_the_circuit_flow_and_explain_every_null() {
    for flow in ["ecmo.flow_l_min=4.5", "ecmo.flow_l_min=7"] {
        let r = common::base("va-ecmo", &[flow]);
        let m = &r.summary;
        let qp_qs = get(m, "qp_qs");
        // At 7 L/min the circuit takes the whole venous return: the lungs carry no net flow
        // and Qp/Qs is 0 to within the run's steady-state error (-4.5e-8 at
        // steady.tolerance 1e-7; at the default 1e-3, +8e-4 or -6e-5 depending on the path).
        assert!(
            qp_qs > -r.steady_state_error && qp_qs < 1.0,
            "{flow}: Qp/Qs {qp_qs} (steady-state error {:.1e})",
            r.steady_state_error
        );
        let svr = get(m, "systemic_vascular_resistance_dyn_s_cm5");
        assert!(svr > 500.0 && svr < 2000.0, "{flow}: SVR {svr}");
        for (name, v) in m.values() {
            if v.is_none() {
                assert!(
                    m.null_reasons.contains_key(name),
                    "{flow}: {name} null, no reason"
                );
            }
        }
    }
}

/// The clinical presets are at the severity of the cohorts the balloon was studied in
/// (Gold 1973: acute MR forward CO ~3.1 L/min, PCWP ~25; VSD MAP ~68); va-ecmo's LV still
/// ejects; shock has a raised CVP. Before issue 12: MR CO 4.7, va-ecmo SV 4.9 mL, CVP 2.0.
#[test]
fn clinical_presets_are_at_the_severity_of_the_balloon_cohorts() {
    let mr = common::base("acute-mr", &[]).summary;
    assert!((2.6..=3.6).contains(&get(&mr, "cardiac_output_l_min")));
    assert!((21.0..=29.0).contains(&get(&mr, "pcwp_mmhg")));
    let ecmo = common::base("va-ecmo", &[]).summary;
    assert!(get(&ecmo, "stroke_volume_ml") > 10.0);
    let shock = common::base("cardiogenic-shock", &[]).summary;
    assert!(get(&shock, "cvp_mmhg") > 6.0);
}

/// Clinical presets have the baroreflex on (patients have it): with it the balloon raises MAP
/// by 0-6 % in shock (Kern 1999), as patients' MAP; without it +10-12 %.
#[test]
fn clinical_presets_compare_with_patients_through_the_baroreflex() {
    for p in ["cardiogenic-shock", "acute-mr", "post-mi-vsd", "va-ecmo"] {
        let s = scenario(p, &[]);
        let enabled = format!("{:?}", s.get("baroreflex.enabled"));
        assert_eq!(enabled, "Some(Bool(true))", "{p}");
    }
    let s = sim(
        "cardiogenic-shock",
        &["iabp.enabled=true", "iabp.ratio=1:1"],
        RunOptions::default(),
    );
    let a = s.assisted.expect("assisted");
    let map_change = get(&a.summary, "mean_arterial_pressure_mmhg")
        / get(&s.baseline.summary, "mean_arterial_pressure_mmhg")
        - 1.0;
    assert!((0.0..=0.06).contains(&map_change), "MAP {map_change}");
}

/// Peak LAD inflow after valve closure and during ejection, and the lowest inflow, over the
/// second-to-last recorded beat of a run (mL/min).
fn lad_inflow_peaks(r: &RunResult) -> (f64, f64, f64) {
    let w = r.waveforms.as_ref().expect("waveforms");
    let q = w.column("coronary_flow_ml_s").expect("LAD inflow");
    let aortic = w.column("aortic_valve_flow_ml_s").expect("aortic flow");
    let last = *w.beat.last().expect("samples");
    let beat: Vec<usize> = (0..q.len()).filter(|&i| w.beat[i] + 1 == last).collect();
    let ejecting: Vec<usize> = beat.iter().copied().filter(|&i| aortic[i] > 1.0).collect();
    let closure = *ejecting.last().expect("an ejection");
    let peak = |idx: &mut dyn Iterator<Item = usize>| {
        idx.map(|i| q[i] * 60.0).fold(f64::NEG_INFINITY, f64::max)
    };
    let systolic = peak(&mut ejecting.iter().copied());
    let diastolic = peak(&mut beat.iter().copied().filter(|&i| i > closure));
    let lowest = beat
        .iter()
        .map(|&i| q[i] * 60.0)
        .fold(f64::INFINITY, f64::min);
    (diastolic, systolic, lowest)
}

/// Proximal LAD inflow is diastolic-dominant, as intracoronary Doppler shows (peak diastolic /
/// peak systolic velocity 44/17, Am J Cardiol 1991;67:758; 2.08 +/- 0.64 by transthoracic
/// Doppler, PubMed 16932084). Before
/// issue 12's coronary recalibration it peaked at the systolic upstroke (314 against 109
/// mL/min in diastole, ratio 0.35): the epicardial compliance (0.004 mL/mmHg) charged through
/// the open conduit at every upstroke. Now the compliance sits behind the small arteries'
/// resistance, and the wire's Pd is read upstream of it.
#[test]
fn lad_inflow_peaks_in_diastole_as_doppler_shows() {
    let r = counterpulse_sim::run(&scenario("healthy", &[]), &ALL).expect("runs");
    let (diastolic, systolic, _) = lad_inflow_peaks(&r);
    let ratio = diastolic / systolic;
    assert!(
        (1.5..=4.0).contains(&ratio),
        "peak diastolic {diastolic:.0} / peak systolic {systolic:.0} mL/min = {ratio:.2}"
    );
    // The summary metric is the same ratio, and the diastolic share stays in its range.
    let metric = get(&r.summary, "coronary_diastolic_systolic_peak_ratio");
    assert!((metric / ratio - 1.0).abs() < 0.05, "{metric} vs {ratio}");
    let share = get(&r.summary, "coronary_diastolic_flow_fraction");
    assert!((0.70..=0.80).contains(&share), "diastolic share {share}");
}

/// The balloon's deflation does not drain the LAD backwards into the root. Before the
/// recalibration inflow reversed to -90 mL/min at every deflation (healthy, 40 mL, 1:1; the
/// review of issue 12 measured -76): the epicardial compliance emptied into the falling root
/// pressure.
#[test]
fn lad_inflow_does_not_reverse_at_deflation() {
    let s = sim("healthy", &["iabp.enabled=true", "iabp.ratio=1:1"], ALL);
    let a = s.assisted.expect("assisted");
    let (diastolic, systolic, lowest) = lad_inflow_peaks(&a);
    assert!(lowest > -5.0, "LAD inflow fell to {lowest:.0} mL/min");
    assert!(
        diastolic > 2.0 * systolic,
        "assisted: peak diastolic {diastolic:.0}, systolic {systolic:.0} mL/min"
    );
}
