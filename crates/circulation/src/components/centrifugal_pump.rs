//! Centrifugal pump of a veno-arterial ECMO circuit (link): drains the right atrium and
//! returns into the descending aorta at its set flow while the drainage cannula stays open,
//!
//! `Q = Q_set · ½ (1 + tanh((P_in − P_suction) / 1.5 mmHg))`,
//!
//! i.e. flow collapses smoothly as the drained chamber's pressure falls below the suction
//! pressure (cannula chatter). Flow is imposed rather than following the pump's H–Q curve: the
//! ECMO console is run at a set flow.
//!
//! Signal: `{name}_flow_ml_s`.

use counterpulse_params::param_group;

use super::{LinkLaw, Workspace};

param_group! {
    /// Veno-arterial ECMO: drains the right atrium, returns into the descending aorta.
    pub struct EcmoParams {
        /// Pump flow (0: off)
        pub flow_l_min: f64 = ["L/min", 0, 8],
        /// Right atrial pressure below which the drainage cannula collapses and flow falls
        pub suction_pressure_mmhg: f64 = ["mmHg", -20, 20],
    }
}

/// Width of the suction transition, mmHg.
const SUCTION_WIDTH_MMHG: f64 = 1.5;

/// ECMO pump; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CentrifugalPump {
    /// Set flow, mL/s.
    pub flow_ml_s: f64,
    /// Suction pressure, mmHg.
    pub suction_pressure_mmhg: f64,
}

impl CentrifugalPump {
    /// The pump of `p`.
    pub fn from_params(p: &EcmoParams) -> Self {
        Self {
            flow_ml_s: p.flow_l_min * 1000.0 / 60.0,
            suction_pressure_mmhg: p.suction_pressure_mmhg,
        }
    }
}

impl LinkLaw for CentrifugalPump {
    fn is_active(&self) -> bool {
        self.flow_ml_s > 0.0
    }

    #[inline]
    fn flow(&self, p_up: f64, _p_down: f64, _y: &[f64], _w: &Workspace, _dy: &mut [f64]) -> f64 {
        if self.flow_ml_s > 0.0 {
            self.flow_ml_s
                * 0.5
                * (1.0 + ((p_up - self.suction_pressure_mmhg) / SUCTION_WIDTH_MMHG).tanh())
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_flow_until_the_cannula_collapses() {
        let p = CentrifugalPump::from_params(&EcmoParams {
            flow_l_min: 3.0,
            suction_pressure_mmhg: 0.0,
        });
        assert!(
            (p.flow(10.0, 80.0, &[], &Workspace::from_values(&[]), &mut []) - 50.0).abs() < 1e-3
        );
        assert_eq!(
            p.flow(0.0, 80.0, &[], &Workspace::from_values(&[]), &mut []),
            25.0,
            "half at the suction pressure"
        );
        assert!(p.flow(-10.0, 80.0, &[], &Workspace::from_values(&[]), &mut []) < 1e-3);
        let off = CentrifugalPump {
            flow_ml_s: 0.0,
            ..p
        };
        assert_eq!(
            off.flow(10.0, 80.0, &[], &Workspace::from_values(&[]), &mut []),
            0.0
        );
    }
}
