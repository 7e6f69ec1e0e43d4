//! Heart valve (link) after Mynard JP, Davidson MR, Penny DJ, Smolich JJ, Int J Numer Method
//! Biomed Eng 2012;28:626 ("A simple, versatile valve model for use in lumped parameter and
//! one-dimensional cardiovascular models"). States: flow `Q` (mL/s) and opening `ζ` ∈ [0, 1].
//!
//! * Effective area `A = (A_max − A_min) ζ + A_min`; `A_min > 0` is a leaking valve.
//! * Flow (Bernoulli + inertance): `ΔP = B Q|Q| + L dQ/dt`, `B = ρ / (2A²)`, `L = ρ ℓ / A`,
//!   i.e. `dQ/dt = A ΔP / (ρ ℓ) − Q|Q| / (2 A ℓ)` in CGS units.
//! * Opening: `dζ/dt = (1 − ζ) K_vo ΔP` for ΔP > 0, `dζ/dt = ζ K_vc ΔP` for ΔP < 0.
//!
//! Numerical regularisation (ours): within `ζ_c = 10⁻³` of a bound the factors `ζ` and `1 − ζ`
//! become `ζ²/(ζ + ζ_c)` and `(1 − ζ)²/(1 − ζ + ζ_c)`. This leaves the motion of the leaflets
//! unchanged until the valve is 99.9 % closed or open, and turns the exponential approach to the
//! bound (rate K_vc |ΔP|, up to ~5000 s⁻¹ for a closed mitral valve in systole, which would force
//! an explicit solver into 0.5 ms steps) into an algebraic one. The leak this leaves is below
//! 10⁻³ of the open area and decays further with time.
//!
//! States: `{flow name}` and `{name}_opening`, where a link named `mitral` has the flow
//! `mitral_flow_ml_s` and the opening `mitral_valve_opening`, and a link named `aortic_valve`
//! has `aortic_valve_flow_ml_s` and `aortic_valve_opening` (the published column names).

use counterpulse_params::param_group;

use super::{DYN_CM2_PER_MMHG, Layout, LinkLaw, Memory, StateSpec, Workspace};

param_group! {
    /// A heart valve (Mynard 2012 model).
    pub struct ValveParams {
        /// Effective orifice area when fully open
        pub open_area_cm2: f64 = ["cm2", 0.05, 15],
        /// Effective orifice area when closed (> 0: regurgitant valve)
        pub regurgitant_area_cm2: f64 = ["cm2", 0, 5],
        /// Effective length of the flow channel (sets the inertance rho l / A)
        pub effective_length_cm: f64 = ["cm", 0.1, 5],
        /// Opening rate coefficient Kvo
        pub opening_rate_per_mmhg_s: f64 = ["1/(mmHg s)", 0.1, 1000],
        /// Closing rate coefficient Kvc
        pub closing_rate_per_mmhg_s: f64 = ["1/(mmHg s)", 0.1, 1000],
    }
}

/// Regularisation width of the valve opening state near its bounds.
pub const VALVE_ZETA_REG: f64 = 1e-3;

/// Mynard valve; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Valve {
    a_max_cm2: f64,
    a_min_cm2: f64,
    /// `DYN_CM2_PER_MMHG / (ρ ℓ)`.
    c_pressure: f64,
    /// `1 / (2 ℓ)`, 1/cm.
    c_bernoulli: f64,
    kvo_per_mmhg_s: f64,
    kvc_per_mmhg_s: f64,
    initially_open: bool,
    flow: usize,
    opening: usize,
}

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
            initially_open: false,
            flow: 0,
            opening: 1,
        }
    }

    /// The valve of `p` in blood of density `rho_g_ml`.
    pub fn from_params(p: &ValveParams, rho_g_ml: f64) -> Self {
        Self::new(
            p.open_area_cm2,
            p.regurgitant_area_cm2,
            p.effective_length_cm,
            p.opening_rate_per_mmhg_s,
            p.closing_rate_per_mmhg_s,
            rho_g_ml,
        )
    }

    /// The same valve, open at the start of a run (atrioventricular valves in late diastole).
    pub fn open_at_start(mut self) -> Self {
        self.initially_open = true;
        self
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

impl LinkLaw for Valve {
    fn states(&self, name: &str) -> Vec<StateSpec> {
        let valve = name.strip_suffix("_valve").unwrap_or(name);
        vec![
            StateSpec {
                name: format!("{name}_flow_ml_s"),
                initial: 0.0,
                steady_scale: 10.0,
                memory: Memory::Slaved,
                relaxation_time_s: None,
            },
            StateSpec {
                name: format!("{valve}_valve_opening"),
                initial: if self.initially_open { 1.0 } else { 0.0 },
                steady_scale: 1.0,
                memory: Memory::Slaved,
                relaxation_time_s: None,
            },
        ]
    }

    fn bind(&mut self, own: &[usize], _layout: &Layout) {
        self.flow = own[0];
        self.opening = own[1];
    }

    #[inline]
    fn flow(&self, p_up: f64, p_down: f64, y: &[f64], _w: &Workspace, dy: &mut [f64]) -> f64 {
        let q = y[self.flow];
        let (dq, dz) = self.derivatives(p_up - p_down, q, y[self.opening]);
        dy[self.flow] = dq;
        dy[self.opening] = dz;
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn states_carry_the_published_names() {
        let v = Valve::new(4.0, 0.0, 1.0, 20.0, 20.0, 1.06).open_at_start();
        let names: Vec<String> = v.states("mitral").into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["mitral_flow_ml_s", "mitral_valve_opening"]);
        let a = v.states("aortic_valve");
        assert_eq!(a[0].name, "aortic_valve_flow_ml_s");
        assert_eq!(a[1].name, "aortic_valve_opening");
        assert_eq!(a[1].initial, 1.0);
    }
}
