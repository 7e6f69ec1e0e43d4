//! Physics checks of the closed-loop model. Run them in release (`cargo test --release`): they
//! simulate hundreds of beats.

use counterpulse_circulation::components::{Compliance, NodeLaw, Workspace};
use counterpulse_engine::{
    Dopri5, Integrator, NoObserver, OdeSolversDopri5, OdeSystem, SolverSettings, Stop,
};
use counterpulse_metrics::BeatMetrics;
use counterpulse_sim::{EventKind, RunOptions, RunResult, Scenario, run};

fn scenario(preset: &str, sets: &[&str]) -> Scenario {
    let mut s = Scenario::from_preset(preset).expect("preset");
    for a in sets {
        s.set_cli(a).expect("valid override");
    }
    s
}

fn simulate(preset: &str, sets: &[&str], opts: RunOptions) -> RunResult {
    run(&scenario(preset, sets), &opts).expect("run succeeds")
}

fn get(m: &BeatMetrics, name: &str) -> f64 {
    m.get(name).unwrap_or_else(|| panic!("{name} missing"))
}

#[test]
fn blood_volume_is_conserved_over_500_beats() {
    for preset in ["healthy", "cardiogenic-shock"] {
        // A tolerance no run can meet keeps it going for exactly max_beats beats.
        let r = simulate(
            preset,
            &["steady.tolerance=1e-12", "steady.max_beats=500"],
            RunOptions::default(),
        );
        assert!(r.beats_simulated >= 500, "{}", r.beats_simulated);
        let rel = (r.blood_volume_end_ml - r.blood_volume_start_ml).abs() / r.blood_volume_start_ml;
        assert!(
            rel < 1e-9,
            "{preset}: blood volume {} -> {} mL (relative change {rel:e})",
            r.blood_volume_start_ml,
            r.blood_volume_end_ml
        );
    }
}

#[test]
fn steady_state_is_reached_within_reported_beats() {
    for preset in ["healthy", "cardiogenic-shock"] {
        let r = simulate(preset, &[], RunOptions::default());
        assert!(r.converged, "{preset} converges");
        assert!(
            r.beats_to_steady_state < 200,
            "{preset}: {}",
            r.beats_to_steady_state
        );
        // 300 more beats must not move the summary by more than 0.2 %.
        let long = simulate(
            preset,
            &[
                "steady.tolerance=1e-12",
                &format!("steady.max_beats={}", r.beats_to_steady_state + 300),
            ],
            RunOptions::default(),
        );
        for name in [
            "cardiac_output_l_min",
            "mean_arterial_pressure_mmhg",
            "lv_end_diastolic_volume_ml",
            "pcwp_mmhg",
            "cvp_mmhg",
        ] {
            let a = get(&r.summary, name);
            let b = get(&long.summary, name);
            assert!(
                (a - b).abs() / b.abs() < 2e-3,
                "{preset} {name}: {a} at reported steady state vs {b} 300 beats later"
            );
        }
    }
}

/// Two-element Windkessel `C dP/dt = Q(t) − P / R` with `Q = Q0 sin(ωt)`, `P(0) = 0`:
/// `P(t) = Q0 R / (1 + (ωRC)²) · [sin ωt − ωRC cos ωt + ωRC e^{−t/RC}]`.
struct Windkessel {
    c: Compliance,
    w: Workspace,
    r: f64,
    q0: f64,
    omega: f64,
}

impl OdeSystem for Windkessel {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        let p = self.c.pressure(y[0], &self.w);
        dy[0] = self.q0 * (self.omega * t).sin() - p / self.r;
    }
}

#[test]
fn windkessel_matches_analytic_solution_with_both_backends() {
    let wk = Windkessel {
        c: Compliance::new(1.5, 100.0),
        w: Workspace::new(),
        r: 1.0,
        q0: 90.0,
        omega: 2.0 * std::f64::consts::PI * 1.2,
    };
    let (r, c) = (wk.r, wk.c.c_ml_mmhg);
    let wrc = wk.omega * r * c;
    let exact = |t: f64| {
        wk.q0 * r / (1.0 + wrc * wrc)
            * ((wk.omega * t).sin() - wrc * (wk.omega * t).cos() + wrc * (-t / (r * c)).exp())
    };
    let settings = SolverSettings {
        rtol: 1e-9,
        atol: 1e-9,
        ..SolverSettings::default()
    };
    let mut a = Dopri5::new(1, settings.clone());
    let mut b = OdeSolversDopri5::new(1, settings);
    a.init(0.0, &[100.0]);
    b.init(0.0, &[100.0]);
    let mut max_err: f64 = 0.0;
    for k in 1..=100 {
        let t = 0.1 * k as f64;
        assert_eq!(a.advance(&wk, t, &mut NoObserver), Ok(Stop::Reached));
        assert_eq!(b.advance(&wk, t, &mut NoObserver), Ok(Stop::Reached));
        for y in [a.y()[0], b.y()[0]] {
            max_err = max_err.max((wk.c.pressure(y, &wk.w) - exact(t)).abs());
        }
    }
    assert!(max_err < 1e-6, "max pressure error {max_err} mmHg");
}

#[test]
fn aortic_pressure_has_a_dicrotic_notch() {
    let r = simulate(
        "healthy",
        &["output.waveform_interval_ms=0.5"],
        RunOptions {
            record_all_beats: false,
            waveforms: true,
            log_events: true,
        },
    );
    let w = r.waveforms.expect("waveforms");
    let col = |name: &str| {
        let j = w.columns.iter().position(|c| *c == name).expect("column");
        &w.values[j]
    };
    let p = col("aortic_root_pressure_mmhg");
    let closes: Vec<f64> = r
        .events
        .iter()
        .filter(|e| e.kind == EventKind::AorticValveClose)
        .map(|e| e.time_s)
        .filter(|t| *t > w.time_s[0] && *t < w.time_s[w.time_s.len() - 1] - 0.2)
        .collect();
    assert!(closes.len() >= 3, "{closes:?}");
    for tc in closes {
        // Within 60 ms after closure: a local minimum, then a rise of at least 0.5 mmHg.
        let idx: Vec<usize> = (0..w.time_s.len())
            .filter(|&i| w.time_s[i] >= tc && w.time_s[i] <= tc + 0.06)
            .collect();
        let (i_min, p_min) = idx
            .iter()
            .map(|&i| (i, p[i]))
            .fold((0, f64::MAX), |acc, x| if x.1 < acc.1 { x } else { acc });
        let after_max = idx
            .iter()
            .filter(|&&i| i > i_min)
            .map(|&i| p[i])
            .fold(f64::MIN, f64::max);
        assert!(
            after_max - p_min > 0.5,
            "no notch after closure at {tc}: min {p_min} then max {after_max}"
        );
        assert!(p[idx[0]] > p_min, "pressure falls into the notch");
    }
}

#[test]
fn beat_invariants_hold_across_rates_and_presets() {
    for (preset, sets) in [
        ("healthy", vec![]),
        ("healthy", vec!["heart.rate_bpm=45"]),
        ("healthy", vec!["heart.rate_bpm=150"]),
        ("cardiogenic-shock", vec![]),
        ("cardiogenic-shock", vec!["heart.rate_bpm=140"]),
    ] {
        let r = simulate(
            preset,
            &sets,
            RunOptions {
                record_all_beats: true,
                ..RunOptions::default()
            },
        );
        assert!(r.converged, "{preset} {sets:?}");
        for b in r.beats.iter().skip(1) {
            let m = &b.metrics;
            let (sbp, map, dbp) = (
                get(m, "systolic_pressure_mmhg"),
                get(m, "mean_arterial_pressure_mmhg"),
                get(m, "diastolic_pressure_mmhg"),
            );
            assert!(
                sbp >= map && map >= dbp,
                "{preset} beat {}: {sbp} {map} {dbp}",
                b.beat
            );
            let ef = get(m, "ejection_fraction");
            assert!((0.0..=1.0).contains(&ef), "EF {ef}");
            let (sv, edv, esv) = (
                get(m, "stroke_volume_ml"),
                get(m, "lv_end_diastolic_volume_ml"),
                get(m, "lv_end_systolic_volume_ml"),
            );
            assert!((sv - (edv - esv)).abs() < 1e-9, "SV = EDV - ESV");
            assert!(get(m, "cardiac_output_l_min") > 0.0);
        }
        // Volume balance of the LV at steady state: EDV − ESV is the net forward stroke
        // volume plus the closing backflows through the aortic and mitral valves, less the
        // part of the mitral backflow that happens before the onset of contraction (as the
        // atrium relaxes), which is at most ~1 mL.
        let s = &r.summary;
        let fwd = get(s, "cardiac_output_l_min") * 1000.0 / get(s, "heart_rate_bpm");
        let ao_back = get(s, "aortic_regurgitant_volume_ml");
        let mrf = get(s, "mitral_regurgitant_fraction");
        let mr_back = mrf / (1.0 - mrf) * (fwd + ao_back);
        let sv = get(s, "stroke_volume_ml");
        assert!(
            (sv - (fwd + ao_back + mr_back)).abs() < 1.0,
            "{preset} {sets:?}: SV {sv} vs forward {fwd} + aortic back {ao_back} + mitral back {mr_back}"
        );
        assert!(
            ao_back + mr_back < 0.08 * sv,
            "closing backflows stay small"
        );
    }
}

#[test]
fn tolerance_1e6_agrees_with_1e9_to_half_a_percent() {
    for preset in ["healthy", "cardiogenic-shock"] {
        let coarse = simulate(
            preset,
            &["solver.rtol=1e-6", "solver.atol=1e-6"],
            RunOptions::default(),
        );
        let fine = simulate(
            preset,
            &[
                "solver.rtol=1e-9",
                "solver.atol=1e-9",
                "steady.tolerance=1e-6",
            ],
            RunOptions::default(),
        );
        for (name, v) in fine.summary.values() {
            let (Some(f), Some(c)) = (v, coarse.summary.get(name)) else {
                continue;
            };
            // Regurgitant volumes are tiny closing backflows, territory function is a 0–1
            // fraction (near 0 when akinetic): compare absolutely.
            let scale = f.abs().max(
                if name.contains("regurgitant") || name == "lad_territory_function" {
                    1.0
                } else {
                    1e-9
                },
            );
            assert!(
                (c - f).abs() / scale < 5e-3,
                "{preset} {name}: rtol 1e-6 gives {c}, 1e-9 gives {f}"
            );
        }
    }
}

#[test]
fn backends_agree() {
    let a = simulate("healthy", &[], RunOptions::default());
    let b = simulate(
        "healthy",
        &["solver.backend=ode_solvers"],
        RunOptions::default(),
    );
    for name in [
        "cardiac_output_l_min",
        "systolic_pressure_mmhg",
        "diastolic_pressure_mmhg",
        "lv_end_diastolic_volume_ml",
        "pcwp_mmhg",
    ] {
        let (x, y) = (get(&a.summary, name), get(&b.summary, name));
        assert!(
            (x - y).abs() / x.abs() < 1e-3,
            "{name}: dopri5 {x} vs ode_solvers {y}"
        );
    }
}

#[test]
fn runs_are_bit_identical() {
    let a = simulate("cardiogenic-shock", &[], RunOptions::default());
    let b = simulate("cardiogenic-shock", &[], RunOptions::default());
    assert_eq!(a.final_state, b.final_state);
    assert_eq!(a.summary, b.summary);
}

/// Targets from ../shared/physiology-targets.md ("Normal adult at rest").
#[test]
fn healthy_preset_is_inside_the_normal_adult_targets() {
    let r = simulate("healthy", &[], RunOptions::default());
    let m = &r.summary;
    let checks: &[(&str, f64, f64)] = &[
        ("heart_rate_bpm", 70.0, 75.0),
        ("cardiac_output_l_min", 5.0, 6.0),
        ("mean_arterial_pressure_mmhg", 90.0, 100.0),
        ("lv_end_diastolic_volume_ml", 120.0, 160.0),
        ("lv_end_systolic_volume_ml", 40.0, 60.0),
        ("ejection_fraction", 0.55, 0.70),
        ("pcwp_mmhg", 6.0, 12.0),
        ("cvp_mmhg", 2.0, 6.0),
        ("mean_pulmonary_artery_pressure_mmhg", 11.0, 17.0),
        ("systemic_vascular_resistance_dyn_s_cm5", 800.0, 1200.0),
    ];
    for (name, lo, hi) in checks {
        let v = get(m, name);
        assert!((*lo..=*hi).contains(&v), "{name} = {v}, target {lo}-{hi}");
    }
    let sbp = get(m, "systolic_pressure_mmhg");
    let dbp = get(m, "diastolic_pressure_mmhg");
    assert!(
        (100.0..=130.0).contains(&sbp) && (60.0..=85.0).contains(&dbp),
        "{sbp}/{dbp}"
    );
    assert!(
        (r.blood_volume_start_ml - 5000.0).abs() < 1e-6,
        "total blood volume ~5 L"
    );
}

/// Targets from ../shared/physiology-targets.md ("Cardiogenic shock").
#[test]
fn shock_preset_is_inside_the_cardiogenic_shock_targets() {
    let r = simulate("cardiogenic-shock", &[], RunOptions::default());
    let m = &r.summary;
    assert!(get(m, "systolic_pressure_mmhg") < 90.0);
    assert!(get(m, "cardiac_output_l_min") < 4.2);
    assert!(get(m, "pcwp_mmhg") > 15.0);
    assert!(get(m, "cardiac_power_output_w") <= 0.6);
    let hr = get(m, "heart_rate_bpm");
    assert!((100.0..=110.0).contains(&hr), "{hr}");
}

#[test]
fn systole_shortens_less_than_diastole_at_high_rates() {
    // Ejection (aortic valve open to close) shrinks with sqrt(RR); diastole takes the rest.
    let ejection = |rate: f64| {
        let r = simulate(
            "healthy",
            &[&format!("heart.rate_bpm={rate}")],
            RunOptions {
                log_events: true,
                ..RunOptions::default()
            },
        );
        let ev = &r.events;
        let open = ev
            .iter()
            .rev()
            .find(|e| e.kind == EventKind::AorticValveOpen)
            .expect("open")
            .time_s;
        let close = ev
            .iter()
            .rev()
            .find(|e| e.kind == EventKind::AorticValveClose && e.time_s > open)
            .expect("close")
            .time_s;
        close - open
    };
    let (e60, e120) = (ejection(60.0), ejection(120.0));
    let (d60, d120) = (1.0 - e60, 0.5 - e120);
    assert!(e120 < e60, "ejection shortens: {e60} -> {e120}");
    assert!(
        d120 / d60 < e120 / e60,
        "diastole shrinks more: ejection x{}, rest x{}",
        e120 / e60,
        d120 / d60
    );
    // Weissler 1968: LVET = 413 - 1.7 HR ms (men) -> 311 ms at 60 bpm, 209 ms at 120 bpm
    // (the model's sqrt(RR) scaling is ~25 ms longer at 60 bpm).
    assert!((0.28..0.35).contains(&e60), "LVET at 60 bpm {e60}");
    assert!((0.18..0.24).contains(&e120), "LVET at 120 bpm {e120}");
}
