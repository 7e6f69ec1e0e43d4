//! Linear resistance (link): `Q = (P_in − P_out) / (R · f)`, with `f` an optional factor on the
//! resistance driven by a controller (vascular tone: the baroreflex on the systemic beds,
//! autoregulation on the coronary arterioles), 1 without one.
//!
//! Signal: `{name}_flow_ml_s`.

use super::{LinkLaw, Signal, Workspace};

/// Linear resistance; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resistance {
    /// Resistance R, mmHg·s/mL.
    pub r_mmhg_s_ml: f64,
    /// Optional factor on R.
    pub factor: Option<Signal>,
}

impl Resistance {
    /// A resistance of `r_mmhg_s_ml` (mmHg·s/mL).
    pub fn new(r_mmhg_s_ml: f64) -> Self {
        Self {
            r_mmhg_s_ml,
            factor: None,
        }
    }

    /// The same resistance multiplied by the signal `factor` (if any).
    pub fn scaled_by(mut self, factor: Option<Signal>) -> Self {
        self.factor = factor;
        self
    }
}

impl LinkLaw for Resistance {
    #[inline]
    fn flow(&self, p_up: f64, p_down: f64, _y: &[f64], w: &Workspace, _dy: &mut [f64]) -> f64 {
        match self.factor {
            Some(f) => (p_up - p_down) / (self.r_mmhg_s_ml * w[f]),
            None => (p_up - p_down) / self.r_mmhg_s_ml,
        }
    }

    fn reads(&self) -> Vec<Signal> {
        self.factor.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ohms_law_with_and_without_tone() {
        let r = Resistance::new(2.0);
        assert_eq!(
            r.flow(100.0, 20.0, &[], &Workspace::from_values(&[]), &mut []),
            40.0
        );
        let toned = Resistance::new(2.0).scaled_by(Some(Signal(0)));
        assert_eq!(
            toned.flow(100.0, 20.0, &[], &Workspace::from_values(&[2.0]), &mut []),
            20.0
        );
        assert_eq!(
            toned.flow(20.0, 100.0, &[], &Workspace::from_values(&[0.5]), &mut []),
            -80.0
        );
    }
}
