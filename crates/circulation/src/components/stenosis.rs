//! Epicardial artery with a focal stenosis (link): a linear conduit resistance in series with
//! the Young–Tsai / Seeley–Young stenosis (Young DF & Tsai FY, J Biomech 1973;6:395 and 547;
//! Seeley BD & Young DF, J Biomech 1976;9:439), quasi-steady:
//!
//! `ΔP = (Kv μ / D0) U + (Kt ρ / 2) (A0/As − 1)² U|U|`, `U = Q / A0`,
//! `Kv = 32 (0.83 Ls + 1.64 Ds) / D0 · (A0/As)²`, `Kt = 1.52`, `A0/As = 1 / (1 − DS)²`.
//!
//! The inertial term `Ku ρ Ls dU/dt` (Ku = 1.2) is left out: its time constant
//! `Ku ρ Ls / (Kv μ / D0 + …)` is 0.1 s for an open segment but falls below 0.1 ms for severe
//! stenoses, which would make the ODE stiff, and it changes only the phase of the pulsatile
//! drop, not its mean (the mean of `dU/dt` over a periodic beat is zero).
//!
//! Signal: `{name}_flow_ml_s`.

use super::{DYN_CM2_PER_MMHG, LinkLaw, Workspace};

/// Expansion loss coefficient Kt of Young & Tsai.
pub const STENOSIS_KT: f64 = 1.52;

/// The Young–Tsai pressure–flow law of a stenosis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stenosis {
    /// Linear (viscous) coefficient, mmHg·s/mL.
    pub r_viscous: f64,
    /// Quadratic (expansion) coefficient, mmHg·s²/mL².
    pub r_turbulent: f64,
}

impl Stenosis {
    /// A stenosis of `percent` diameter reduction and length `length_cm` in an artery of
    /// diameter `diameter_cm`, blood viscosity `viscosity_poise` (g·cm⁻¹·s⁻¹) and density
    /// `rho_g_ml`.
    pub fn new(
        percent: f64,
        length_cm: f64,
        diameter_cm: f64,
        viscosity_poise: f64,
        rho_g_ml: f64,
    ) -> Self {
        let ds = percent / 100.0;
        let a0 = std::f64::consts::PI * diameter_cm * diameter_cm / 4.0;
        let ratio = 1.0 / ((1.0 - ds) * (1.0 - ds)); // A0/As
        let d_s = diameter_cm * (1.0 - ds);
        let kv = 32.0 * (0.83 * length_cm + 1.64 * d_s) / diameter_cm * ratio * ratio;
        Self {
            r_viscous: kv * viscosity_poise / (diameter_cm * a0) / DYN_CM2_PER_MMHG,
            r_turbulent: STENOSIS_KT * rho_g_ml / 2.0 * (ratio - 1.0) * (ratio - 1.0)
                / (a0 * a0)
                / DYN_CM2_PER_MMHG,
        }
    }

    /// Pressure drop at flow `q` (mL/s), mmHg.
    #[inline]
    pub fn pressure_drop(&self, q: f64) -> f64 {
        self.r_viscous * q + self.r_turbulent * q * q.abs()
    }

    /// Flow for a total drop `dp` across this stenosis in series with a linear resistance
    /// `r_series` (mmHg·s/mL): solves `(r_series + Rv) Q + Rt Q|Q| = dp`.
    #[inline]
    pub fn flow(&self, dp: f64, r_series: f64) -> f64 {
        let a = r_series + self.r_viscous;
        if self.r_turbulent <= 0.0 {
            return dp / a;
        }
        let m = dp.abs();
        (2.0 * m / (a + (a * a + 4.0 * self.r_turbulent * m).sqrt())).copysign(dp)
    }
}

/// An epicardial artery: conduit resistance + stenosis; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StenoticArtery {
    /// The lesion.
    pub stenosis: Stenosis,
    /// Resistance of the artery besides the lesion, mmHg·s/mL.
    pub r_series_mmhg_s_ml: f64,
}

impl StenoticArtery {
    /// An artery of resistance `r_series_mmhg_s_ml` with the lesion `stenosis`.
    pub fn new(stenosis: Stenosis, r_series_mmhg_s_ml: f64) -> Self {
        Self {
            stenosis,
            r_series_mmhg_s_ml,
        }
    }
}

impl LinkLaw for StenoticArtery {
    #[inline]
    fn flow(&self, p_up: f64, p_down: f64, _y: &[f64], _w: &Workspace, _dy: &mut [f64]) -> f64 {
        self.stenosis.flow(p_up - p_down, self.r_series_mmhg_s_ml)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Young–Tsai formula written out independently, in CGS units.
    fn young_tsai_dyn_cm2(q: f64, ds: f64, ls: f64, d0: f64, mu: f64, rho: f64) -> f64 {
        let a0 = std::f64::consts::PI * d0 * d0 / 4.0;
        let a_s = std::f64::consts::PI * (d0 * (1.0 - ds)).powi(2) / 4.0;
        let u = q / a0;
        let kv = 32.0 * (0.83 * ls + 1.64 * d0 * (1.0 - ds)) / d0 * (a0 / a_s).powi(2);
        kv * mu / d0 * u + 1.52 * rho / 2.0 * (a0 / a_s - 1.0).powi(2) * u * u.abs()
    }

    #[test]
    fn pressure_drop_matches_the_analytic_young_tsai_formula() {
        for ds in [0.0, 0.3, 0.5, 0.7, 0.8, 0.9] {
            let s = Stenosis::new(ds * 100.0, 1.0, 0.35, 0.035, 1.06);
            for q in [-2.0, 0.3, 1.5, 5.0] {
                let want = young_tsai_dyn_cm2(q, ds, 1.0, 0.35, 0.035, 1.06) / DYN_CM2_PER_MMHG;
                let got = s.pressure_drop(q);
                assert!(
                    (got - want).abs() <= 1e-10 * want.abs().max(1e-6),
                    "DS {ds} Q {q}: {got} vs {want}"
                );
                // The artery's flow solve is the inverse of the drop plus its series resistance.
                let artery = StenoticArtery::new(s, 0.7);
                let back = artery.flow(
                    got + 0.7 * q,
                    0.0,
                    &[],
                    &Workspace::from_values(&[]),
                    &mut [],
                );
                assert!((back - q).abs() < 1e-9 * q.abs().max(1.0), "{back} vs {q}");
            }
        }
        let open = Stenosis::new(0.0, 1.0, 0.35, 0.035, 1.06);
        assert_eq!(open.r_turbulent, 0.0, "no expansion loss without narrowing");
    }
}
