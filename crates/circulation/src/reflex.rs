//! Optional arterial baroreflex: mean arterial pressure → systemic resistance, heart rate and
//! venous tone.
//!
//! Structure after Ursino M, Am J Physiol 1998;275:H1733: the sensed pressure is a first-order
//! filter of the aortic pressure (time constant τ_p), and each effector follows its static
//! characteristic with its own time constant (resistance τ_R = 6 s, heart period ~2 s, venous
//! unstressed volume τ_V = 20 s in his Table 2). Simplification (ours): Ursino's chain of
//! afferent sigmoid, efferent sympathetic/vagal activities and effector gains is reduced to one
//! saturating curve per arm, `x* = −X_max · tanh(G · (P_f − P_set) / X_max)` (slope G at the set
//! point, saturation X_max), and his pure delays (2–5 s) are omitted. Off by default, so that
//! sweeps stay interpretable.
//!
//! States: filtered pressure `P_f` (mmHg), fractional resistance change `x_R`, heart-rate
//! change `x_HR` (bpm), change of the systemic venous unstressed volume `x_V` (mL).

use crate::param_group;

param_group! {
    /// Arterial baroreflex (off by default).
    pub struct BaroreflexParams {
        /// Baroreflex active in the assisted run
        pub enabled: bool = ["1", 0, 1],
        /// Use the unassisted (baseline) mean arterial pressure as the set point
        pub set_point_from_baseline: bool = ["1", 0, 1],
        /// Set point when not taken from the baseline
        pub set_point_mmhg: f64 = ["mmHg", 30, 160],
        /// Time constant of the pressure sensing filter
        pub pressure_time_constant_s: f64 = ["s", 0.1, 60],
        /// Fractional change of systemic resistance per mmHg below the set point
        pub resistance_gain_per_mmhg: f64 = ["1/mmHg", 0, 0.5],
        /// Largest fractional change of systemic resistance
        pub resistance_max_change: f64 = ["1", 0, 0.95],
        /// Time constant of the resistance arm
        pub resistance_time_constant_s: f64 = ["s", 0.1, 120],
        /// Heart-rate change per mmHg below the set point
        pub heart_rate_gain_bpm_per_mmhg: f64 = ["bpm/mmHg", 0, 10],
        /// Largest heart-rate change
        pub heart_rate_max_change_bpm: f64 = ["bpm", 0, 150],
        /// Time constant of the heart-rate arm
        pub heart_rate_time_constant_s: f64 = ["s", 0.1, 120],
        /// Change of venous unstressed volume per mmHg above the set point (venodilation)
        pub venous_volume_gain_ml_per_mmhg: f64 = ["mL/mmHg", 0, 200],
        /// Largest change of venous unstressed volume
        pub venous_volume_max_change_ml: f64 = ["mL", 0, 3000],
        /// Time constant of the venous arm
        pub venous_time_constant_s: f64 = ["s", 0.1, 300],
    }
}

/// Baroreflex states, offsets inside the reflex block of the state vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum ReflexSt {
    /// Sensed (filtered) arterial pressure, mmHg.
    SensedPressure,
    /// Fractional change of systemic resistance.
    Resistance,
    /// Heart-rate change, bpm.
    HeartRate,
    /// Change of systemic venous unstressed volume, mL.
    VenousVolume,
}

impl ReflexSt {
    /// All states in order.
    pub const ALL: [ReflexSt; 4] = [
        ReflexSt::SensedPressure,
        ReflexSt::Resistance,
        ReflexSt::HeartRate,
        ReflexSt::VenousVolume,
    ];
    /// Number of states.
    pub const COUNT: usize = 4;
    /// Column name.
    pub fn name(self) -> &'static str {
        match self {
            ReflexSt::SensedPressure => "baroreflex_sensed_pressure_mmhg",
            ReflexSt::Resistance => "baroreflex_resistance_change",
            ReflexSt::HeartRate => "baroreflex_heart_rate_change_bpm",
            ReflexSt::VenousVolume => "baroreflex_venous_volume_change_ml",
        }
    }
    /// Offset in the reflex block.
    #[inline]
    pub fn i(self) -> usize {
        self as usize
    }
}

/// The compiled baroreflex with its set point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baroreflex {
    set_point_mmhg: f64,
    p: [f64; 10],
}

fn saturate(gain: f64, max: f64, e: f64) -> f64 {
    if max <= 0.0 {
        return 0.0;
    }
    max * (gain * e / max).tanh()
}

impl Baroreflex {
    /// A reflex with set point `set_point_mmhg`.
    pub fn new(p: &BaroreflexParams, set_point_mmhg: f64) -> Self {
        Self {
            set_point_mmhg,
            p: [
                p.pressure_time_constant_s,
                p.resistance_gain_per_mmhg,
                p.resistance_max_change,
                p.resistance_time_constant_s,
                p.heart_rate_gain_bpm_per_mmhg,
                p.heart_rate_max_change_bpm,
                p.heart_rate_time_constant_s,
                p.venous_volume_gain_ml_per_mmhg,
                p.venous_volume_max_change_ml,
                p.venous_time_constant_s,
            ],
        }
    }

    /// Set point, mmHg.
    pub fn set_point_mmhg(&self) -> f64 {
        self.set_point_mmhg
    }

    /// Initial reflex block: at the set point, no effector change.
    pub fn initial_state(&self) -> [f64; ReflexSt::COUNT] {
        [self.set_point_mmhg, 0.0, 0.0, 0.0]
    }

    /// Derivatives of the reflex block for aortic pressure `p_aortic_mmhg`.
    #[inline]
    pub fn rhs(&self, yr: &[f64], p_aortic_mmhg: f64, dyr: &mut [f64]) {
        let [tp, gr, mr, tr, gh, mh, th, gv, mv, tv] = self.p;
        let pf = yr[ReflexSt::SensedPressure.i()];
        let e = pf - self.set_point_mmhg;
        dyr[ReflexSt::SensedPressure.i()] = (p_aortic_mmhg - pf) / tp;
        dyr[ReflexSt::Resistance.i()] = (-saturate(gr, mr, e) - yr[ReflexSt::Resistance.i()]) / tr;
        dyr[ReflexSt::HeartRate.i()] = (-saturate(gh, mh, e) - yr[ReflexSt::HeartRate.i()]) / th;
        dyr[ReflexSt::VenousVolume.i()] =
            (saturate(gv, mv, e) - yr[ReflexSt::VenousVolume.i()]) / tv;
    }
}
