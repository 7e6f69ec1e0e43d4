//! Time-varying elastance chamber (node) with an exponential passive curve (Smith BW et al.,
//! Med Eng Phys 2004;26:131, eqs. 1–4):
//!
//! `P(V, e) = e · Ees · f · (V − V₀) + (1 − e) · P₀ · (exp(λ (V − V₀)) − 1)`,
//!
//! `e` the chamber's activation signal ([`super::HeartActivation`]), `f` an optional factor on
//! the end-systolic elastance driven by another component (1 without one).
//!
//! State: `{name}_volume_ml`; signal: `{name}_pressure_mmhg`.

use counterpulse_params::param_group;

use super::{NodeLaw, Signal, Workspace};

param_group! {
    /// A time-varying elastance chamber (LV, RV, LA or RA).
    pub struct ChamberParams {
        /// End-systolic elastance Ees at full activation
        pub end_systolic_elastance_mmhg_ml: f64 = ["mmHg/mL", 0.01, 20],
        /// Multiplier of Ees (contractility; < 1 after infarction, inotropes > 1)
        pub contractility_scale: f64 = ["1", 0.02, 4],
        /// Unstressed volume V0 of the end-systolic and end-diastolic curves
        pub unstressed_volume_ml: f64 = ["mL", 0, 200],
        /// Scale P0 of the passive (end-diastolic) curve P0 (exp(lambda (V - V0)) - 1)
        pub passive_pressure_mmhg: f64 = ["mmHg", 0.005, 20],
        /// Stiffness lambda of the passive curve
        pub passive_stiffness_per_ml: f64 = ["1/mL", 0.001, 0.5],
    }
}

/// Time-varying elastance chamber; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chamber {
    /// End-systolic elastance (already multiplied by the contractility scale), mmHg/mL.
    pub ees_mmhg_ml: f64,
    /// Unstressed volume V₀, mL.
    pub v0_ml: f64,
    /// Passive scale P₀, mmHg.
    pub p0_mmhg: f64,
    /// Passive stiffness λ, 1/mL.
    pub lambda_per_ml: f64,
    /// The activation signal e(t).
    pub activation: Signal,
    /// Optional factor on Ees (regional ischaemia, inotropes), 1 when absent.
    pub elastance_factor: Option<Signal>,
}

impl Chamber {
    /// A chamber of `p` driven by `activation`.
    pub fn new(p: &ChamberParams, activation: Signal) -> Self {
        Self {
            ees_mmhg_ml: p.end_systolic_elastance_mmhg_ml * p.contractility_scale,
            v0_ml: p.unstressed_volume_ml,
            p0_mmhg: p.passive_pressure_mmhg,
            lambda_per_ml: p.passive_stiffness_per_ml,
            activation,
            elastance_factor: None,
        }
    }

    /// The same chamber with its Ees multiplied by the signal `factor`.
    pub fn with_elastance_factor(mut self, factor: Signal) -> Self {
        self.elastance_factor = Some(factor);
        self
    }

    /// Pressure at volume `v` and activation `e`, with Ees `ees`, mmHg.
    #[inline]
    fn law(&self, v: f64, e: f64, ees: f64) -> f64 {
        let dv = v - self.v0_ml;
        let passive = self.p0_mmhg * ((self.lambda_per_ml * dv).exp() - 1.0);
        e * ees * dv + (1.0 - e) * passive
    }

    /// Passive (end-diastolic) pressure at volume `v`, mmHg.
    #[inline]
    pub fn passive_pressure(&self, v: f64) -> f64 {
        self.law(v, 0.0, self.ees_mmhg_ml)
    }
}

impl NodeLaw for Chamber {
    #[inline]
    fn pressure(&self, v: f64, w: &Workspace) -> f64 {
        let ees = match self.elastance_factor {
            Some(f) => self.ees_mmhg_ml * w[f],
            None => self.ees_mmhg_ml,
        };
        self.law(v, w[self.activation], ees)
    }

    /// Inverse of the passive curve (EDPVR).
    fn volume_at(&self, p: f64) -> f64 {
        self.v0_ml + (1.0 + p / self.p0_mmhg).max(1e-9).ln() / self.lambda_per_ml
    }

    fn reads(&self) -> Vec<Signal> {
        let mut r = vec![self.activation];
        r.extend(self.elastance_factor);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv() -> Chamber {
        let p = ChamberParams {
            end_systolic_elastance_mmhg_ml: 2.5,
            contractility_scale: 1.0,
            unstressed_volume_ml: 10.0,
            passive_pressure_mmhg: 0.3,
            passive_stiffness_per_ml: 0.03,
        };
        Chamber::new(&p, Signal(0))
    }

    #[test]
    fn passive_curve_inverts_and_full_activation_is_the_espvr() {
        let c = lv();
        let v = c.volume_at(9.0);
        assert!((c.passive_pressure(v) - 9.0).abs() < 1e-9);
        // e = 1: P = Ees (V − V0), the end-systolic pressure–volume relation.
        assert_eq!(
            c.pressure(50.0, &Workspace::from_values(&[1.0])),
            2.5 * 40.0
        );
        // e = 0: the passive curve, whatever Ees is.
        assert_eq!(
            c.pressure(50.0, &Workspace::from_values(&[0.0])),
            c.passive_pressure(50.0)
        );
    }

    #[test]
    fn elastance_factor_scales_only_the_active_part() {
        let c = lv().with_elastance_factor(Signal(1));
        let full = c.pressure(80.0, &Workspace::from_values(&[1.0, 1.0]));
        let half = c.pressure(80.0, &Workspace::from_values(&[1.0, 0.5]));
        assert!((half - 0.5 * full).abs() < 1e-12);
        assert_eq!(
            c.pressure(80.0, &Workspace::from_values(&[0.0, 0.5])),
            c.passive_pressure(80.0)
        );
        assert_eq!(c.reads(), vec![Signal(0), Signal(1)]);
    }
}
