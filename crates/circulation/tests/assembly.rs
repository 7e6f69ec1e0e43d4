//! The assembly on circuits small enough to solve by hand: positions handed out, couplings
//! checked, volume conserved, the analytic relaxation of two compliances through a resistance.

use counterpulse_circulation::CircuitBuilder;
use counterpulse_circulation::components::{
    Compliance, HeartActivation, HeartParams, Resistance, TissuePressure,
};

fn heart() -> HeartActivation {
    HeartActivation::new(&HeartParams {
        rate_bpm: 60.0,
        pr_interval_ms: 160.0,
        electromechanical_delay_ms: 40.0,
        atrial_electromechanical_delay_ms: 30.0,
        systolic_timing_exponent: 0.5,
        ventricular_rise_time_ms: 269.0,
        ventricular_decay_time_ms: 420.0,
        ventricular_rise_exponent: 1.32,
        ventricular_decay_exponent: 27.4,
        atrial_rise_time_ms: 110.0,
        atrial_decay_time_ms: 180.0,
        atrial_rise_exponent: 1.32,
        atrial_decay_exponent: 13.1,
    })
}

/// Two compliances C1, C2 joined by a resistance R: the pressure difference relaxes as
/// exp(−t/τ) with τ = R C1 C2 / (C1 + C2), and the total volume stays put.
#[test]
fn two_compliances_relax_with_the_analytic_time_constant() {
    let (c1, c2, r) = (1.5, 3.0, 0.8);
    let mut b = CircuitBuilder::new();
    b.activation(heart());
    b.input("unused_input_ml");
    let a = b.node("artery", Compliance::new(c1, 100.0), 100.0);
    let v = b.reservoir("vein", Compliance::new(c2, 500.0));
    let link = b.link("bed", a, v, Resistance::new(r));
    let circ = b
        .build(100.0 + c1 * 100.0 + 500.0 + c2 * 10.0)
        .expect("assembles");
    assert_eq!(circ.state_names(), ["artery_volume_ml", "vein_volume_ml"]);
    assert_eq!(
        &circ.signal_names()[..3],
        [
            "ventricular_activation",
            "atrial_activation",
            "unused_input_ml"
        ]
    );
    let mut y = circ.initial_state();
    assert!(
        (y[1] - (500.0 + c2 * 10.0)).abs() < 1e-9,
        "reservoir holds the rest"
    );
    let total = circ.blood_volume(&y);
    let dp0 = (y[0] - 100.0) / c1 - (y[1] - 500.0) / c2;
    let tau = r * c1 * c2 / (c1 + c2);
    // Classical RK4 to 3 τ.
    let dt = tau / 2000.0;
    let f = |y: &[f64]| {
        let mut dy = vec![0.0; 2];
        circ.rhs(0.0, y, &mut dy, &[0.0]);
        dy
    };
    for _ in 0..6000 {
        let k1 = f(&y);
        let y2: Vec<f64> = y.iter().zip(&k1).map(|(a, k)| a + 0.5 * dt * k).collect();
        let k2 = f(&y2);
        let y3: Vec<f64> = y.iter().zip(&k2).map(|(a, k)| a + 0.5 * dt * k).collect();
        let k3 = f(&y3);
        let y4: Vec<f64> = y.iter().zip(&k3).map(|(a, k)| a + dt * k).collect();
        let k4 = f(&y4);
        for i in 0..2 {
            y[i] += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
    }
    let dp = (y[0] - 100.0) / c1 - (y[1] - 500.0) / c2;
    let want = dp0 * (-3.0f64).exp();
    assert!((dp - want).abs() < 1e-9 * dp0, "{dp} vs {want}");
    assert!((circ.blood_volume(&y) - total).abs() < 1e-9 * total);
    // The flow signal is Ohm's law at the final state.
    let mut out = vec![0.0; circ.signal_names().len()];
    circ.signals(0.0, &y, &[0.0], &mut out);
    assert!((out[link.flow.index()] - dp / r).abs() < 1e-12);
}

#[test]
fn couplings_are_checked_and_names_are_unique() {
    // A node may read the pressure of a node computed before it...
    let mut b = CircuitBuilder::new();
    b.activation(heart());
    let source = b.reservoir("source", Compliance::new(1.0, 0.0));
    let reader = b.node(
        "reader",
        Compliance::new(1.0, 0.0).under(TissuePressure::new(0.5, source.pressure)),
        10.0,
    );
    b.link("r", reader, source, Resistance::new(1.0));
    assert!(b.build(1000.0).is_ok());
    // ...but not of one computed after it: refused, naming both.
    let mut b = CircuitBuilder::new();
    b.activation(heart());
    let later_pressure = {
        let mut probe = CircuitBuilder::new();
        probe.activation(heart());
        probe.reservoir("x", Compliance::new(1.0, 0.0));
        probe
            .node("later", Compliance::new(1.0, 0.0), 10.0)
            .pressure
    };
    let reader = b.reservoir(
        "reader",
        Compliance::new(1.0, 0.0).under(TissuePressure::new(0.5, later_pressure)),
    );
    let later = b.node("later", Compliance::new(1.0, 0.0), 10.0);
    assert_eq!(
        later.pressure, later_pressure,
        "same position in both builders"
    );
    b.link("r", reader, later, Resistance::new(1.0));
    let e = b
        .build(1000.0)
        .expect_err("reads a pressure computed later");
    assert!(
        e.to_string()
            .contains("node `reader` reads `later_pressure_mmhg` before it is computed"),
        "{e}"
    );

    let mut b = CircuitBuilder::new();
    b.activation(heart());
    let first = b.reservoir("first", Compliance::new(1.0, 0.0));
    let placeholder = b.driven("tone");
    let second = b.node("second", Compliance::new(1.0, 0.0), 10.0);
    b.link(
        "toned",
        first,
        second,
        Resistance::new(1.0).scaled_by(Some(placeholder)),
    );
    let e = b.build(1000.0).expect_err("no controller drives the tone");
    assert!(e.to_string().contains("no controller drives `tone`"), "{e}");

    let mut b = CircuitBuilder::new();
    b.activation(heart());
    let a = b.reservoir("twin", Compliance::new(1.0, 0.0));
    let c = b.node("twin", Compliance::new(1.0, 0.0), 10.0);
    b.link("r", a, c, Resistance::new(1.0));
    let e = b.build(1000.0).expect_err("duplicate node name");
    assert!(e.to_string().contains("declared twice"), "{e}");
}

#[test]
fn probes_take_no_blood_and_layout_and_reserved_blocks_are_honoured() {
    let mut b = CircuitBuilder::new();
    b.activation(heart());
    let loop_node = b.node("artery", Compliance::new(1.0, 0.0), 100.0);
    let vein = b.reservoir("vein", Compliance::new(10.0, 0.0));
    let probe = b.probe_node("probe", Compliance::new(0.1, 0.0), 50.0);
    b.link("bed", loop_node, vein, Resistance::new(1.0));
    b.link("sample", loop_node, probe, Resistance::new(2.0));
    b.reserve("device", &["device_a", "device_b"]);
    b.layout(&["device_a", "device_b", "vein_volume_ml"]);
    let circ = b.build(2000.0).expect("assembles");
    assert_eq!(
        circ.state_names(),
        [
            "device_a",
            "device_b",
            "vein_volume_ml",
            "artery_volume_ml",
            "probe_volume_ml"
        ]
    );
    assert_eq!(circ.reserved("device"), Some(0..2));
    let y = circ.initial_state();
    let mut dy = vec![f64::NAN; 5];
    dy[0] = 7.0; // the device's own derivatives are left to its owner
    circ.rhs(0.0, &y, &mut dy, &[]);
    assert_eq!(dy[0], 7.0);
    // The loop's volume changes only by the bed's flow; the probe fills from the artery.
    let (p_art, p_probe, p_vein) = (100.0, 50.0, y[2] / 10.0);
    assert!((dy[3] + (p_art - p_vein) / 1.0).abs() < 1e-9 * p_art);
    assert!(
        (dy[2] + dy[3]).abs() < 1e-12,
        "blood moves only between loop nodes"
    );
    assert!((dy[4] - (p_art - p_probe) / 2.0).abs() < 1e-9);
    assert_eq!(circ.blood_volume_states(), [3, 2]);
}
