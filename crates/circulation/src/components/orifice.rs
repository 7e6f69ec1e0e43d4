//! Sharp-edged orifice between two chambers (link), used for a ventricular septal defect:
//!
//! `Q = Cd · A · sqrt(2 ΔP / ρ)` in both directions (mL/s for ΔP in mmHg, A in cm², CGS), with
//! `sqrt(|ΔP|)` rounded below 0.5 mmHg so that the derivative stays finite at ΔP = 0. An area
//! of zero closes it.
//!
//! Signal: `{name}_flow_ml_s` (upstream → downstream positive).

use counterpulse_params::param_group;

use super::{DYN_CM2_PER_MMHG, LinkLaw, Workspace};

param_group! {
    /// Ventricular septal defect (post-infarct septal rupture).
    pub struct VsdParams {
        /// Defect area (0: intact septum)
        pub area_cm2: f64 = ["cm2", 0, 5],
        /// Orifice discharge coefficient
        pub discharge_coefficient: f64 = ["1", 0.3, 1],
    }
}

/// Rounding of `sqrt(|ΔP|)` near zero, mmHg.
const ROUNDING_MMHG: f64 = 0.5;

/// Orifice flow `Q = Cd A sqrt(2 ΔP / ρ)` in both directions, rounded below `eps_mmhg`.
#[inline]
pub fn orifice_flow(dp: f64, area_cm2: f64, cd: f64, rho_g_ml: f64, eps_mmhg: f64) -> f64 {
    let k = cd * area_cm2 * (2.0 * DYN_CM2_PER_MMHG / rho_g_ml).sqrt();
    k * dp / (dp.abs() + eps_mmhg).sqrt()
}

/// An orifice; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Orifice {
    /// Area, cm².
    pub area_cm2: f64,
    /// Discharge coefficient.
    pub discharge_coefficient: f64,
    /// Blood density, g/mL.
    pub rho_g_ml: f64,
}

impl Orifice {
    /// The defect of `p` in blood of density `rho_g_ml`.
    pub fn from_params(p: &VsdParams, rho_g_ml: f64) -> Self {
        Self {
            area_cm2: p.area_cm2,
            discharge_coefficient: p.discharge_coefficient,
            rho_g_ml,
        }
    }
}

impl LinkLaw for Orifice {
    fn is_active(&self) -> bool {
        self.area_cm2 > 0.0
    }

    #[inline]
    fn flow(&self, p_up: f64, p_down: f64, _y: &[f64], _w: &Workspace, _dy: &mut [f64]) -> f64 {
        if self.area_cm2 > 0.0 {
            orifice_flow(
                p_up - p_down,
                self.area_cm2,
                self.discharge_coefficient,
                self.rho_g_ml,
                ROUNDING_MMHG,
            )
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bernoulli_flow_in_both_directions() {
        let q = orifice_flow(100.0, 1.0, 0.7, 1.06, 0.5);
        let exact = 0.7 * (2.0 * 100.0 * DYN_CM2_PER_MMHG / 1.06).sqrt();
        assert!((q - exact).abs() / exact < 0.003);
        assert_eq!(orifice_flow(0.0, 1.0, 0.7, 1.06, 0.5), 0.0);
        let o = Orifice {
            area_cm2: 1.0,
            discharge_coefficient: 0.7,
            rho_g_ml: 1.06,
        };
        assert_eq!(
            o.flow(20.0, 120.0, &[], &Workspace::from_values(&[]), &mut []),
            -o.flow(120.0, 20.0, &[], &Workspace::from_values(&[]), &mut [])
        );
        let closed = Orifice { area_cm2: 0.0, ..o };
        assert_eq!(
            closed.flow(120.0, 20.0, &[], &Workspace::from_values(&[]), &mut []),
            0.0
        );
    }
}
