//! Vessel segment with resistance and inertance (link): `L dQ/dt = P_in − P_out − R Q`.
//!
//! State: `{name}_flow_ml_s`; signal: `{name}_flow_ml_s` (the same value).

use super::{Layout, LinkLaw, Memory, StateSpec, Workspace};

/// Resistance and inertance in series; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conduit {
    /// Resistance, mmHg·s/mL.
    pub r_mmhg_s_ml: f64,
    /// Inertance, mmHg·s²/mL.
    pub l_mmhg_s2_ml: f64,
    flow: usize,
}

impl Conduit {
    /// A segment of resistance `r_mmhg_s_ml` and inertance `l_mmhg_s2_ml`.
    pub fn new(r_mmhg_s_ml: f64, l_mmhg_s2_ml: f64) -> Self {
        Self {
            r_mmhg_s_ml,
            l_mmhg_s2_ml,
            flow: 0,
        }
    }

    /// `dQ/dt` for inlet and outlet pressures and flow `q`.
    #[inline]
    pub fn derivative(&self, p_in: f64, p_out: f64, q: f64) -> f64 {
        (p_in - p_out - self.r_mmhg_s_ml * q) / self.l_mmhg_s2_ml
    }
}

impl LinkLaw for Conduit {
    fn states(&self, name: &str) -> Vec<StateSpec> {
        vec![StateSpec {
            name: format!("{name}_flow_ml_s"),
            initial: 0.0,
            steady_scale: 10.0,
            memory: Memory::Slaved,
            relaxation_time_s: None,
        }]
    }

    fn bind(&mut self, own: &[usize], _layout: &Layout) {
        self.flow = own[0];
    }

    #[inline]
    fn flow(&self, p_up: f64, p_down: f64, y: &[f64], _w: &Workspace, dy: &mut [f64]) -> f64 {
        let q = y[self.flow];
        dy[self.flow] = self.derivative(p_up, p_down, q);
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_relaxes_to_poiseuille_with_time_constant_l_over_r() {
        // Constant ΔP: Q(t) = ΔP/R (1 − exp(−t R/L)); integrate with small explicit steps.
        let mut c = Conduit::new(0.05, 0.001);
        c.bind(&[0], &Layout::default());
        let (dp, dt) = (10.0, 1e-6);
        let mut y = [0.0];
        let mut dy = [0.0];
        let tau = c.l_mmhg_s2_ml / c.r_mmhg_s_ml;
        for _ in 0..(tau / dt).round() as usize {
            c.flow(dp, 0.0, &y, &Workspace::from_values(&[]), &mut dy);
            y[0] += dt * dy[0];
        }
        let want = dp / c.r_mmhg_s_ml * (1.0 - (-1.0f64).exp());
        assert!((y[0] - want).abs() < 1e-3 * want, "{} vs {want}", y[0]);
    }
}
