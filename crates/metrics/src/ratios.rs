//! Per-beat integrals from which a summary forms its ratios.
//!
//! A ratio over a summary window is a ratio of sums (of means): Qp/Qs over 60 beats is the
//! pulmonary volume of the 60 beats over their systemic volume, not the mean of 60 per-beat
//! ratios. The two agree for identical beats; they part for an irregular rhythm, where a beat
//! that barely ejects has a per-beat Qp/Qs of −65 or +19 (issue 13: AF without a shunt gave
//! Qp/Qs = 0.97, or 0.77 over 600 beats, instead of 1).

use crate::trace::BeatTrace;

/// Integrals of one beat over its trace (trapezoidal), mL or mmHg·s.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RatioTerms {
    /// Net pulmonary-valve volume, mL.
    pub pulmonary_ml: f64,
    /// Net aortic-valve volume, mL.
    pub aortic_net_ml: f64,
    /// Volume the devices (Impella, ECMO return) carry into the systemic arteries, mL (0
    /// without devices).
    pub device_ml: f64,
    /// Forward aortic-valve volume, mL.
    pub aortic_forward_ml: f64,
    /// Backward mitral volume, mL.
    pub mitral_back_ml: f64,
    /// ∫ aortic root pressure dt, mmHg·s.
    pub aortic_pressure_mmhg_s: f64,
    /// ∫ distal coronary pressure of the maximally vasodilated replica dt, mmHg·s (0 without
    /// a coronary bed).
    pub hyperemic_distal_pressure_mmhg_s: f64,
}

fn trapz_of(x: &[f64], dt: f64, f: impl Fn(f64) -> f64) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let inner: f64 = x[1..x.len() - 1].iter().map(|v| f(*v)).sum();
    dt * (0.5 * (f(x[0]) + f(x[x.len() - 1])) + inner)
}

impl RatioTerms {
    /// The integrals of a recorded beat.
    pub fn of(tr: &BeatTrace) -> Self {
        let dt = tr.dt_s();
        let id = |v: f64| v;
        let coronary = tr.hyperemic_distal_pressure_mmhg.len() == tr.len();
        Self {
            pulmonary_ml: trapz_of(&tr.pulmonary_valve_flow_ml_s, dt, id),
            aortic_net_ml: trapz_of(&tr.aortic_valve_flow_ml_s, dt, id),
            device_ml: [&tr.impella_flow_ml_s, &tr.ecmo_flow_ml_s]
                .into_iter()
                .filter(|q| q.len() == tr.len())
                .map(|q| trapz_of(q, dt, id))
                .sum(),
            aortic_forward_ml: trapz_of(&tr.aortic_valve_flow_ml_s, dt, |v| v.max(0.0)),
            mitral_back_ml: trapz_of(&tr.mitral_flow_ml_s, dt, |v| (-v).max(0.0)),
            aortic_pressure_mmhg_s: trapz_of(&tr.aortic_root_pressure_mmhg, dt, id),
            hyperemic_distal_pressure_mmhg_s: if coronary {
                trapz_of(&tr.hyperemic_distal_pressure_mmhg, dt, id)
            } else {
                0.0
            },
        }
    }
}
