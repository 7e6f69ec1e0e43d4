//! Perfusion–contraction matching of the LAD territory: what a stenosis and its removal do to
//! pump function, and why the balloon's gain depends on the stenosis. Run in release.

mod common;
use common::{assisted, base, get};

use counterpulse_sim::{RunOptions, RunResult, Scenario, simulate};

fn state(r: &RunResult, name: &str) -> f64 {
    let i = r
        .final_state_names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("{name} not a state"));
    r.final_state[i]
}

#[test]
fn function_holds_while_autoregulation_holds_flow_then_falls_with_it() {
    // Canty JM Jr, Circ Res 1988;63:821: function is unchanged while autoregulation holds
    // flow; below the autoregulatory limit flow and function fall together.
    let at = |ds: f64| base("healthy", &[&format!("coronary.stenosis_percent={ds}")]);
    let open = at(0.0);
    let q0 = get(&open.summary, "coronary_flow_ml_min");
    let co0 = get(&open.summary, "cardiac_output_l_min");
    // Full function (to the steady-state tolerance: the state relaxes from its start).
    assert!(state(&open, "lad_territory_function") > 0.999);
    for ds in [30.0, 50.0, 70.0] {
        let r = at(ds);
        assert!(state(&r, "lad_territory_function") > 0.999, "DS {ds}");
        assert!((get(&r.summary, "coronary_flow_ml_min") - q0).abs() / q0 < 0.01);
        assert!((get(&r.summary, "cardiac_output_l_min") - co0).abs() / co0 < 1e-3);
    }
    let mut last: (f64, f64) = (1.0, co0);
    for ds in [85.0, 90.0, 95.0] {
        let r = at(ds);
        let phi = state(&r, "lad_territory_function");
        let co = get(&r.summary, "cardiac_output_l_min");
        // Falling, or flat once the territory is akinetic.
        assert!(
            phi < last.0.max(1e-3) && co < last.1 + 1e-3,
            "DS {ds}: function {phi}, CO {co}"
        );
        assert!(
            (get(&r.summary, "lad_territory_function") - phi).abs() < 1e-3,
            "metric = state at steady state"
        );
        last = (phi, co);
    }
    assert!(
        last.0 < 0.05,
        "a critical stenosis leaves the territory akinetic"
    );
}

#[test]
fn demand_integral_agrees_with_the_pressure_volume_area_estimate() {
    // The controller's demand integrates −P dV/dt and the active elastic energy; the metric
    // computes Suga's PVA from the recorded loop. They take end-systole at different instants:
    // the controller at peak elastance (Suga's ESPVR, PE = ½ Emax (V − V0)²), the metric at
    // aortic valve closure (PE = ½ P_es (V_es − V0)). Measured: −1.5 % (healthy), +7 % (shock,
    // where the weak ventricle closes its valve well before peak elastance).
    for (preset, sets) in [
        ("healthy", vec![]),
        ("cardiogenic-shock", vec![]),
        ("healthy", vec!["heart.rate_bpm=120"]),
    ] {
        let r = base(preset, &sets);
        let controller = state(&r, "lad_territory_o2_demand_ml_s") * 60.0;
        let metric = get(&r.summary, "myocardial_o2_demand_ml_min");
        eprintln!("{preset} {sets:?}: controller {controller}, metric {metric} mL O2/min");
        assert!(
            (controller - metric).abs() < 0.10 * metric,
            "{preset} {sets:?}: {controller} vs {metric} mL O2/min"
        );
    }
}

#[test]
fn revascularising_a_critical_stenosis_in_shock_restores_output_over_beats() {
    // "Il faut l'enlever": PCI at 20 s into the run (balloon in standby). The territory
    // recovers with its time constant, and CO and MAP rise beat by beat (reflex-free: the
    // territory's mechanism, not the reflex's buffering; issue 12 turned it on in shock).
    let text = "[scenario]\npreset = \"cardiogenic-shock\"\n\
                [baroreflex]\nenabled = false\n\
                [iabp]\nenabled = true\nstandby = true\n\
                [[protocol]]\nat_s = 20\ncoronary.stenosis_percent = 0\n";
    let s = Scenario::from_toml(text, "pci").expect("scenario");
    let opts = RunOptions {
        record_all_beats: true,
        ..RunOptions::default()
    };
    let sim = simulate(&s, &opts).expect("runs");
    let a = sim.assisted.expect("run with the protocol");
    let t0 = a.start_time_s + 20.0;
    let before: Vec<&_> = a.beats.iter().filter(|b| b.start_time_s < t0).collect();
    let after: Vec<(f64, f64, f64)> = a
        .beats
        .iter()
        .filter(|b| b.start_time_s >= t0)
        .map(|b| {
            (
                b.start_time_s - t0,
                get(&b.metrics, "cardiac_output_l_min"),
                get(&b.metrics, "mean_arterial_pressure_mmhg"),
            )
        })
        .collect();
    let co_before = get(
        &before.last().expect("beats before").metrics,
        "cardiac_output_l_min",
    );
    let (_, co_end, map_end) = *after.last().expect("beats after");
    let map_before = get(
        &before.last().expect("beats").metrics,
        "mean_arterial_pressure_mmhg",
    );
    assert!(co_end > co_before + 1.0, "CO {co_before} -> {co_end}");
    assert!(map_end > map_before + 15.0, "MAP {map_before} -> {map_end}");
    // Half the recovery takes seconds, not one beat: the territory's 10 s time constant plus
    // the circulation's own adaptation.
    let half = co_before + 0.5 * (co_end - co_before);
    let t_half = after.iter().find(|p| p.1 >= half).expect("half recovery").0;
    assert!((3.0..30.0).contains(&t_half), "half recovery at {t_half} s");
    assert!(state(&a, "lad_territory_function") > 0.999);
}

#[test]
fn the_balloon_raises_distal_flow_in_a_pressure_passive_bed_not_behind_a_critical_lesion() {
    // Kern MJ et al., J Am Coll Cardiol 1993;21:359: counterpulsation raised coronary flow
    // velocity, but not distal to a critical stenosis (only after angioplasty).
    // In a pressure-passive bed flow follows the diastolic augmentation, so it rises by more
    // than mean pressure does. Compared as in patients, with the baroreflex (issue 12: the
    // clinical presets have it; comparisons with patient data use it). Reflex-free the rise
    // equals the MAP rise since issue 12's recalibration of the bed (+9.5 against +9.6 %):
    // with the tissue pressure at 0.7 P_LV (it was 0.9) systole throttles the bed less.
    let change = |ds: f64| {
        let s = assisted(
            "cardiogenic-shock",
            &[&format!("coronary.stenosis_percent={ds}")],
        );
        let a = s.assisted.expect("a");
        let rel = |m: &str| get(&a.summary, m) / get(&s.baseline.summary, m) - 1.0;
        (
            get(&a.summary, "coronary_flow_ml_min")
                - get(&s.baseline.summary, "coronary_flow_ml_min"),
            rel("coronary_flow_ml_min"),
            rel("mean_arterial_pressure_mmhg"),
        )
    };
    let (_, flow80, map80) = change(80.0);
    assert!(
        flow80 > map80 && map80 > 0.0,
        "80 %: flow {flow80}, MAP {map80}"
    );
    let (abs95, _, _) = change(95.0);
    assert!(abs95.abs() < 0.5, "95 %: {abs95} mL/min");
}

#[test]
fn the_balloon_helps_most_where_the_territory_is_ischaemic_but_perfusable() {
    // Schampaert S et al., Artif Organs 2015;39:931: effects of counterpulsation strongly
    // augmented with persisting ischaemia; none when the bed cannot be perfused.
    let co_gain = |ds: f64| {
        // Reflex-free: the bed's mechanics (issue 12 turned the reflex on in shock).
        let s = assisted(
            "cardiogenic-shock",
            &[
                &format!("coronary.stenosis_percent={ds}"),
                "baroreflex.enabled=false",
            ],
        );
        get(&s.assisted.expect("a").summary, "cardiac_output_l_min")
            - get(&s.baseline.summary, "cardiac_output_l_min")
    };
    // "Larger" means clinically so: by at least a fifth of the balloon's usual +0.5 L/min.
    let (open, ischaemic, critical) = (co_gain(0.0), co_gain(80.0), co_gain(95.0));
    assert!(ischaemic > open + 0.1, "80 %: {ischaemic} vs open {open}");
    assert!(
        ischaemic > critical + 0.1,
        "80 %: {ischaemic} vs 95 %: {critical}"
    );
    // Without the coupling the stenosis does not change the gain (the old model).
    let flat = |ds: f64| {
        let s = assisted(
            "cardiogenic-shock",
            &[
                &format!("coronary.stenosis_percent={ds}"),
                "ischaemia.enabled=false",
            ],
        );
        get(&s.assisted.expect("a").summary, "cardiac_output_l_min")
            - get(&s.baseline.summary, "cardiac_output_l_min")
    };
    assert!((flat(80.0) - flat(0.0)).abs() < 0.05);
}

#[test]
fn the_nonischaemic_shock_keeps_the_old_mechanism() {
    // Function uncoupled: a critical stenosis changes coronary flow, not the pump.
    let open = base("cardiogenic-shock-nonischaemic", &[]);
    let shut = base(
        "cardiogenic-shock-nonischaemic",
        &["coronary.stenosis_percent=95"],
    );
    assert_eq!(state(&shut, "lad_territory_function"), 1.0);
    let co = |r: &RunResult| get(&r.summary, "cardiac_output_l_min");
    assert!((co(&open) - co(&shut)).abs() / co(&open) < 0.02);
    let m = &open.summary;
    assert!(get(m, "systolic_pressure_mmhg") < 90.0 && co(&open) < 4.2);
}

#[test]
fn the_balloon_lowers_demand_and_the_metabolically_regulated_flow_follows() {
    // Metabolic autoregulation (Feigl EO, Physiol Rev 1983;63:1): flow is set by O2 demand,
    // not by pressure. The balloon unloads the LV (less PVA, so less demand) while it raises the
    // mean pressure; an open, autoregulating LAD then takes less flow, not more. With a fixed
    // flow target the same bed holds its flow.
    struct Change {
        demand: f64,
        flow: f64,
        map: f64,
        base_demand: f64,
        base_flow: f64,
    }
    let run = |sets: &[&str]| {
        let mut v = vec!["coronary.stenosis_percent=0"];
        v.extend_from_slice(sets);
        let s = assisted("cardiogenic-shock-nonischaemic", &v);
        let a = s.assisted.expect("assisted run");
        let b = &s.baseline.summary;
        let d = |m: &str| get(&a.summary, m) - get(b, m);
        Change {
            demand: d("myocardial_o2_demand_ml_min"),
            flow: d("coronary_flow_ml_min"),
            map: d("mean_arterial_pressure_mmhg"),
            base_demand: get(b, "myocardial_o2_demand_ml_min"),
            base_flow: get(b, "coronary_flow_ml_min"),
        }
    };
    let m = run(&[]);
    assert!(
        m.demand < 0.0 && m.map > 0.0,
        "demand {}, MAP {}",
        m.demand,
        m.map
    );
    assert!(m.flow < 0.0, "flow follows demand down: {} mL/min", m.flow);
    // At a constant resting extraction the flow changes by the demand's share.
    let (rel_flow, rel_demand) = (m.flow / m.base_flow, m.demand / m.base_demand);
    assert!(
        (rel_flow - rel_demand).abs() < 0.01,
        "flow {rel_flow:+.4} vs demand {rel_demand:+.4}"
    );
    let fixed = run(&["coronary.metabolic_autoregulation=false"]);
    assert!(
        fixed.flow.abs() < 0.01 * fixed.base_flow,
        "a fixed target holds the flow: {} of {}",
        fixed.flow,
        fixed.base_flow
    );
}
