//! Vascular waterfall (link) at the venous end of the intramyocardial vessels (Downey JM &
//! Kirk ES, Circ Res 1975;36:753): outflow is limited by the larger of the tissue pressure
//! that collapses the venules and the downstream venous pressure,
//!
//! `Q = max(0, P_vessel − max(P_tissue, P_down)) / R_v`,
//!
//! with both `max` rounded over 0.5–1 mmHg ([`super::smooth`]). With a purely linear bed mean
//! coronary flow tracks mean aortic pressure exactly and the balloon's diastolic effect
//! disappears; the waterfall makes flow depend on diastolic pressure and time.
//!
//! Signal: `{name}_flow_ml_s`.

use super::{LinkLaw, Signal, Workspace, smooth_max, smooth_relu};

/// Waterfall outflow; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Waterfall {
    /// Venular resistance R_v, mmHg·s/mL.
    pub r_mmhg_s_ml: f64,
    /// The tissue (back-)pressure signal, mmHg.
    pub tissue_pressure: Signal,
}

impl Waterfall {
    /// A waterfall of resistance `r_mmhg_s_ml` under the tissue pressure `tissue_pressure`.
    pub fn new(r_mmhg_s_ml: f64, tissue_pressure: Signal) -> Self {
        Self {
            r_mmhg_s_ml,
            tissue_pressure,
        }
    }
}

impl LinkLaw for Waterfall {
    #[inline]
    fn flow(&self, p_up: f64, p_down: f64, _y: &[f64], w: &Workspace, _dy: &mut [f64]) -> f64 {
        let back = smooth_max(w[self.tissue_pressure], p_down, 1.0);
        smooth_relu(p_up - back, 0.5) / self.r_mmhg_s_ml
    }

    fn reads(&self) -> Vec<Signal> {
        vec![self.tissue_pressure]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_is_set_by_the_larger_back_pressure() {
        let wf = Waterfall::new(4.0, Signal(0));
        // Tissue pressure 60 above venous 5: flow (80 − 60)/4, independent of the venous side.
        let q = wf.flow(80.0, 5.0, &[], &Workspace::from_values(&[60.0]), &mut []);
        assert!((q - 5.0).abs() < 1e-2, "{q}");
        assert_eq!(
            q,
            wf.flow(80.0, 20.0, &[], &Workspace::from_values(&[60.0]), &mut [])
                .max(q)
        );
        // No tissue pressure: an ordinary resistance to the venous side (the 1 mmHg rounding
        // of the max moves the back-pressure by w²/(4·5 mmHg) = 0.05 mmHg).
        let q = wf.flow(30.0, 5.0, &[], &Workspace::from_values(&[0.0]), &mut []);
        assert!((q - (25.0 - 0.05) / 4.0).abs() < 1e-3, "{q}");
        // Collapsed: no backflow when the tissue pressure exceeds the vessel's.
        assert!(
            wf.flow(30.0, 5.0, &[], &Workspace::from_values(&[100.0]), &mut [])
                .abs()
                < 1e-2
        );
    }
}
