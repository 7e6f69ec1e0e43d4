//! The circuit's building blocks, each a small function of its own state and pressures.
//!
//! Units: pressure mmHg, volume mL, flow mL/s, time s, area cm², length cm, density g/mL.

/// 1 mmHg in dyn/cm² (g·cm⁻¹·s⁻²).
pub const DYN_CM2_PER_MMHG: f64 = 1333.22;

/// Normalised "double Hill" activation of a cardiac chamber (Stergiopulos N et al.,
/// Am J Physiol 1996;270:H2050; used for all four chambers by Mynard JP et al.,
/// Int J Numer Method Biomed Eng 2012;28:626):
///
/// `e(τ) = k · [ (τ/τ₁)^m₁ / (1 + (τ/τ₁)^m₁) ] · [ 1 / (1 + (τ/τ₂)^m₂) ]`, τ = time since onset,
///
/// with `k` chosen so that the peak is 1. `e = 0` before the onset. The curve is smooth, rises
/// from the onset without delay, peaks near τ₂ and relaxes with steepness m₂.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DoubleHill {
    ln_tau1: f64,
    ln_tau2: f64,
    m1: f64,
    m2: f64,
    norm: f64,
    /// Time of peak activation after the onset, s.
    pub time_to_peak_s: f64,
}

impl DoubleHill {
    /// Builds the curve for rise time `tau1_s`, decay time `tau2_s` and exponents `m1`, `m2`.
    pub fn new(tau1_s: f64, tau2_s: f64, m1: f64, m2: f64) -> Self {
        let mut h = Self {
            ln_tau1: tau1_s.ln(),
            ln_tau2: tau2_s.ln(),
            m1,
            m2,
            norm: 1.0,
            time_to_peak_s: tau2_s,
        };
        // Peak by golden-section search on (0, 2 τ2]: the product is unimodal there.
        let (mut a, mut b) = (1e-6, 2.0 * tau2_s);
        let g = 0.618_033_988_749_895;
        let mut c = b - g * (b - a);
        let mut d = a + g * (b - a);
        for _ in 0..200 {
            if h.raw(c) > h.raw(d) {
                b = d;
            } else {
                a = c;
            }
            c = b - g * (b - a);
            d = a + g * (b - a);
            if (b - a) < 1e-12 {
                break;
            }
        }
        let t_peak = 0.5 * (a + b);
        h.norm = 1.0 / h.raw(t_peak);
        h.time_to_peak_s = t_peak;
        h
    }

    #[inline]
    fn raw(&self, tau: f64) -> f64 {
        if tau <= 0.0 {
            return 0.0;
        }
        let lt = tau.ln();
        let x1 = (self.m1 * (lt - self.ln_tau1)).exp();
        let x2 = (self.m2 * (lt - self.ln_tau2)).exp();
        x1 / (1.0 + x1) / (1.0 + x2)
    }

    /// Activation at time `tau` s after the onset, in [0, 1].
    #[inline]
    pub fn value(&self, tau: f64) -> f64 {
        self.norm * self.raw(tau)
    }
}

/// Time-varying elastance chamber with an exponential passive curve (Smith BW et al., Med Eng
/// Phys 2004;26:131, eqs. 1–4):
///
/// `P(V, e) = e · Ees · (V − V₀) + (1 − e) · P₀ · (exp(λ (V − V₀)) − 1)`.
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
}

impl Chamber {
    /// Chamber pressure at volume `v` and activation `e`, mmHg.
    #[inline]
    pub fn pressure(&self, v: f64, e: f64) -> f64 {
        let dv = v - self.v0_ml;
        let passive = self.p0_mmhg * ((self.lambda_per_ml * dv).exp() - 1.0);
        e * self.ees_mmhg_ml * dv + (1.0 - e) * passive
    }

    /// Passive (end-diastolic) pressure at volume `v`, mmHg.
    #[inline]
    pub fn passive_pressure(&self, v: f64) -> f64 {
        self.pressure(v, 0.0)
    }

    /// Volume at which the passive pressure equals `p`, mL (inverse of the EDPVR).
    pub fn passive_volume(&self, p: f64) -> f64 {
        self.v0_ml + (1.0 + p / self.p0_mmhg).max(1e-9).ln() / self.lambda_per_ml
    }
}

/// Heart valve after Mynard JP, Davidson MR, Penny DJ, Smolich JJ, Int J Numer Method Biomed Eng
/// 2012;28:626 ("A simple, versatile valve model for use in lumped parameter and one-dimensional
/// cardiovascular models"). States: flow `Q` (mL/s) and opening `ζ` ∈ [0, 1].
///
/// * Effective area `A = (A_max − A_min) ζ + A_min`; `A_min > 0` is a leaking valve.
/// * Flow (Bernoulli + inertance): `ΔP = B Q|Q| + L dQ/dt`, `B = ρ / (2A²)`, `L = ρ ℓ / A`,
///   i.e. `dQ/dt = A ΔP / (ρ ℓ) − Q|Q| / (2 A ℓ)` in CGS units.
/// * Opening: `dζ/dt = (1 − ζ) K_vo ΔP` for ΔP > 0, `dζ/dt = ζ K_vc ΔP` for ΔP < 0.
///
/// Numerical regularisation (ours): within `ζ_c = 10⁻³` of a bound the factors `ζ` and `1 − ζ`
/// become `ζ²/(ζ + ζ_c)` and `(1 − ζ)²/(1 − ζ + ζ_c)`. This leaves the motion of the leaflets
/// unchanged until the valve is 99.9 % closed or open, and turns the exponential approach to the
/// bound (rate K_vc |ΔP|, up to ~5000 s⁻¹ for a closed mitral valve in systole, which would force
/// an explicit solver into 0.5 ms steps) into an algebraic one. The leak this leaves is below
/// 10⁻³ of the open area and decays further with time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Valve {
    a_max_cm2: f64,
    a_min_cm2: f64,
    /// `DYN_CM2_PER_MMHG / (ρ ℓ)`, cm⁻¹·s⁻²·... (per mmHg).
    c_pressure: f64,
    /// `1 / (2 ℓ)`, 1/cm.
    c_bernoulli: f64,
    kvo_per_mmhg_s: f64,
    kvc_per_mmhg_s: f64,
}

/// Regularisation width of the valve opening state near its bounds.
pub const VALVE_ZETA_REG: f64 = 1e-3;

impl Valve {
    /// A valve with open area, leak area (cm²), effective length (cm), opening and closing rate
    /// coefficients (1/(mmHg·s)) in blood of density `rho_g_ml`.
    pub fn new(
        open_area_cm2: f64,
        leak_area_cm2: f64,
        length_cm: f64,
        kvo_per_mmhg_s: f64,
        kvc_per_mmhg_s: f64,
        rho_g_ml: f64,
    ) -> Self {
        Self {
            a_max_cm2: open_area_cm2,
            a_min_cm2: leak_area_cm2,
            c_pressure: DYN_CM2_PER_MMHG / (rho_g_ml * length_cm),
            c_bernoulli: 1.0 / (2.0 * length_cm),
            kvo_per_mmhg_s,
            kvc_per_mmhg_s,
        }
    }

    /// Effective orifice area at opening `zeta`, cm².
    #[inline]
    pub fn area(&self, zeta: f64) -> f64 {
        let z = zeta.clamp(0.0, 1.0);
        // The floor only guards the division; it is 10⁻⁹ of the open area.
        ((self.a_max_cm2 - self.a_min_cm2) * z + self.a_min_cm2).max(1e-9 * self.a_max_cm2)
    }

    /// `(dQ/dt, dζ/dt)` for pressure difference `dp` (upstream − downstream, mmHg).
    #[inline]
    pub fn derivatives(&self, dp: f64, q: f64, zeta: f64) -> (f64, f64) {
        let a = self.area(zeta);
        let dq = a * self.c_pressure * dp - self.c_bernoulli * q * q.abs() / a;
        let z = zeta.clamp(0.0, 1.0);
        let dz = if dp > 0.0 {
            let w = 1.0 - z;
            self.kvo_per_mmhg_s * dp * w * w / (w + VALVE_ZETA_REG)
        } else {
            self.kvc_per_mmhg_s * dp * z * z / (z + VALVE_ZETA_REG)
        };
        (dq, dz)
    }
}

/// Linear compliance: `P = (V − V₀) / C`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Compliance {
    /// Compliance C, mL/mmHg.
    pub c_ml_mmhg: f64,
    /// Unstressed volume V₀, mL.
    pub v0_ml: f64,
}

impl Compliance {
    /// Pressure at enclosed volume `v`, mmHg.
    #[inline]
    pub fn pressure(&self, v: f64) -> f64 {
        (v - self.v0_ml) / self.c_ml_mmhg
    }
    /// Enclosed volume at pressure `p`, mL.
    #[inline]
    pub fn volume(&self, p: f64) -> f64 {
        self.v0_ml + self.c_ml_mmhg * p
    }
}

/// Resistance and inertance in series (a vessel segment): `L dQ/dt = P_in − P_out − R Q`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conduit {
    /// Resistance, mmHg·s/mL.
    pub r_mmhg_s_ml: f64,
    /// Inertance, mmHg·s²/mL.
    pub l_mmhg_s2_ml: f64,
}

impl Conduit {
    /// `dQ/dt` for inlet and outlet pressures and flow `q`.
    #[inline]
    pub fn derivative(&self, p_in: f64, p_out: f64, q: f64) -> f64 {
        (p_in - p_out - self.r_mmhg_s_ml * q) / self.l_mmhg_s2_ml
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_hill_peaks_at_one() {
        let h = DoubleHill::new(0.269, 0.452, 1.32, 27.4);
        let peak = (1..2000)
            .map(|i| h.value(i as f64 * 0.0005))
            .fold(0.0, f64::max);
        assert!((peak - 1.0).abs() < 1e-5, "{peak}");
        assert_eq!(h.value(0.0), 0.0);
        assert_eq!(h.value(-0.1), 0.0);
        assert!(h.time_to_peak_s > 0.2 && h.time_to_peak_s < 0.452);
        assert!(h.value(1.0) < 1e-6, "relaxed after 1 s");
    }

    #[test]
    fn chamber_passive_inverse() {
        let c = Chamber {
            ees_mmhg_ml: 2.5,
            v0_ml: 10.0,
            p0_mmhg: 0.3,
            lambda_per_ml: 0.03,
        };
        let v = c.passive_volume(9.0);
        assert!((c.passive_pressure(v) - 9.0).abs() < 1e-9);
        assert_eq!(c.pressure(50.0, 1.0), 2.5 * 40.0);
    }

    #[test]
    fn open_valve_steady_flow_is_bernoulli() {
        // Steady state dQ/dt = 0: ΔP = ρ Q² / (2 A²) (CGS), for a fully open valve.
        let v = Valve::new(4.0, 0.0, 1.0, 20.0, 20.0, 1.06);
        let dp = 10.0;
        let q = 4.0 * (2.0 * dp * DYN_CM2_PER_MMHG / 1.06).sqrt();
        let (dq, _) = v.derivatives(dp, q, 1.0);
        assert!(dq.abs() < 1e-9 * q, "{dq}");
    }

    #[test]
    fn valve_opens_and_closes_with_pressure_sign() {
        let v = Valve::new(4.0, 0.0, 1.0, 20.0, 20.0, 1.06);
        assert!(v.derivatives(5.0, 0.0, 0.5).1 > 0.0);
        assert!(v.derivatives(-5.0, 0.0, 0.5).1 < 0.0);
        assert_eq!(v.derivatives(-5.0, 0.0, 0.0).1, 0.0, "closed stays closed");
        assert_eq!(v.derivatives(5.0, 0.0, 1.0).1, 0.0, "open stays open");
        let leak = Valve::new(4.0, 0.2, 1.0, 20.0, 20.0, 1.06);
        assert!((leak.area(0.0) - 0.2).abs() < 1e-12);
    }
}

/// Young–Tsai / Seeley–Young stenosis (Young DF & Tsai FY, J Biomech 1973;6:395 and 547;
/// Seeley BD & Young DF, J Biomech 1976;9:439), quasi-steady:
///
/// `ΔP = (Kv μ / D0) U + (Kt ρ / 2) (A0/As − 1)² U|U|`, `U = Q / A0`,
/// `Kv = 32 (0.83 Ls + 1.64 Ds) / D0 · (A0/As)²`, `Kt = 1.52`, `A0/As = 1 / (1 − DS)²`.
///
/// The inertial term `Ku ρ Ls dU/dt` (Ku = 1.2) is left out: its time constant
/// `Ku ρ Ls / (Kv μ / D0 + …)` is 0.1 s for an open segment but falls below 0.1 ms for severe
/// stenoses, which would make the ODE stiff, and it changes only the phase of the pulsatile
/// drop, not its mean (the mean of `dU/dt` over a periodic beat is zero).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stenosis {
    /// Linear (viscous) coefficient, mmHg·s/mL.
    pub r_viscous: f64,
    /// Quadratic (expansion) coefficient, mmHg·s²/mL².
    pub r_turbulent: f64,
}

/// Expansion loss coefficient Kt of Young & Tsai.
pub const STENOSIS_KT: f64 = 1.52;

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

/// Smooth `max(a, b)` with rounding width `w` (same units): exact far from `a = b`.
#[inline]
pub fn smooth_max(a: f64, b: f64, w: f64) -> f64 {
    0.5 * (a + b + ((a - b) * (a - b) + w * w).sqrt())
}

/// Smooth `max(x, 0)` with rounding width `w`.
#[inline]
pub fn smooth_relu(x: f64, w: f64) -> f64 {
    0.5 * (x + (x * x + w * w).sqrt())
}

/// Orifice flow `Q = Cd A sqrt(2 ΔP / ρ)` in both directions (mL/s for ΔP in mmHg, A in cm²),
/// with `sqrt(|ΔP|)` rounded below `eps_mmhg` so that the derivative stays finite at ΔP = 0.
#[inline]
pub fn orifice_flow(dp: f64, area_cm2: f64, cd: f64, rho_g_ml: f64, eps_mmhg: f64) -> f64 {
    let k = cd * area_cm2 * (2.0 * DYN_CM2_PER_MMHG / rho_g_ml).sqrt();
    k * dp / (dp.abs() + eps_mmhg).sqrt()
}

#[cfg(test)]
mod stenosis_tests {
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
                // Flow solve is the inverse of the drop (with a series resistance).
                let back = s.flow(got + 0.7 * q, 0.7);
                assert!((back - q).abs() < 1e-9 * q.abs().max(1.0), "{back} vs {q}");
            }
        }
        let open = Stenosis::new(0.0, 1.0, 0.35, 0.035, 1.06);
        assert_eq!(open.r_turbulent, 0.0, "no expansion loss without narrowing");
    }

    #[test]
    fn smooth_helpers() {
        assert!((smooth_max(10.0, 2.0, 0.5) - 10.0).abs() < 0.01);
        assert!(smooth_relu(-10.0, 0.5) < 0.01 && smooth_relu(-10.0, 0.5) > 0.0);
        let q = orifice_flow(100.0, 1.0, 0.7, 1.06, 0.5);
        let exact = 0.7 * (2.0 * 100.0 * DYN_CM2_PER_MMHG / 1.06).sqrt();
        assert!((q - exact).abs() / exact < 0.003);
        assert_eq!(orifice_flow(0.0, 1.0, 0.7, 1.06, 0.5), 0.0);
    }
}
