//! The balloon and its catheter gas line.
//!
//! States (in the order of [`BalloonSt`]): balloon gas volume `V` (mL), console-side line
//! pressure `Pc` (mmHg, gauge) and helium lost through leaks (mL).
//!
//! * Membrane: slack between the residual and the nominal volume, so the gas pressure equals
//!   the surrounding blood pressure; stiff above the nominal volume (elastance `Em`); below the
//!   residual volume the folded membrane resists further emptying,
//!   `Pm = −Pcol (V_res / V − 1)`, which keeps `V > 0`.
//!   `P_gas = P_desc + Pm(V)`.
//! * Gas line (catheter lumen + extension): `Pc − P_gas = R1 Q + R2 Q|Q|` (laminar Poiseuille
//!   term plus an inertial/turbulent loss), solved for `Q` in closed form. Helium is treated as
//!   incompressible at these pressures (the gas in a 40 mL balloon changes volume by
//!   ~0.05 mL/mmHg, less than 0.2 % of its volume per 30 mmHg of aortic pressure); the line's
//!   own gas capacitance is lumped into the valve lag.
//! * Console valve: after a command and a pneumatic dead time, `Pc` relaxes to the target
//!   (drive pressure, vacuum or baseline) with time constant `τv`; the line can also be closed
//!   (`Q = 0`) once the console has delivered its gas volume.
//! * Leak: `Q_leak = g · max(P_gas, 0)` to atmosphere at the catheter connections.
//!
//! So fill and empty times come from the line (resistance, drive pressure, aortic pressure),
//! not from a prescribed step: they lengthen when the drive falls or the aortic pressure rises.

use crate::params::BalloonParams;

/// Balloon state variables, offsets inside the balloon's block of the state vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum BalloonSt {
    /// Balloon gas volume, mL.
    Volume,
    /// Console-side pressure of the gas line (gauge), mmHg.
    ConsolePressure,
    /// Helium lost through leaks since the start, mL.
    GasLeaked,
}

impl BalloonSt {
    /// All states in order.
    pub const ALL: [BalloonSt; 3] = [
        BalloonSt::Volume,
        BalloonSt::ConsolePressure,
        BalloonSt::GasLeaked,
    ];
    /// Number of states.
    pub const COUNT: usize = 3;
    /// Column names of all states, in order.
    pub const NAMES: [&'static str; 3] = [
        BalloonSt::Volume.name(),
        BalloonSt::ConsolePressure.name(),
        BalloonSt::GasLeaked.name(),
    ];
    /// Column name.
    pub const fn name(self) -> &'static str {
        match self {
            BalloonSt::Volume => "balloon_volume_ml",
            BalloonSt::ConsolePressure => "balloon_line_pressure_mmhg",
            BalloonSt::GasLeaked => "balloon_gas_leaked_ml",
        }
    }
    /// Offset in the balloon block.
    #[inline]
    pub fn i(self) -> usize {
        self as usize
    }
}

/// State of the console's valve, as seen by the gas line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    /// Whether gas can flow between console and balloon.
    pub open: bool,
    /// Pressure the console side relaxes to (gauge), mmHg.
    pub target_mmhg: f64,
}

/// Balloon, membrane and gas line with compiled parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Balloon {
    /// Nominal volume, mL.
    pub nominal_ml: f64,
    r1: f64,
    r2: f64,
    membrane_e: f64,
    collapse_p: f64,
    /// Residual volume, mL.
    pub residual_ml: f64,
    leak_g: f64,
    inv_tau_valve: f64,
    /// The console's valve.
    pub line: Line,
}

/// Flows of the balloon at one state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BalloonFlows {
    /// Gas flow from the console into the balloon, mL/s.
    pub line_ml_s: f64,
    /// Gas lost through the leak, mL/s.
    pub leak_ml_s: f64,
    /// Gas pressure inside the balloon (gauge), mmHg.
    pub gas_pressure_mmhg: f64,
}

impl Balloon {
    /// Compiles the parameters; the line starts open at the baseline pressure.
    pub fn new(p: &BalloonParams) -> Self {
        Self {
            nominal_ml: p.volume_ml,
            r1: p.line_resistance_mmhg_s_ml,
            r2: p.line_turbulent_mmhg_s2_ml2,
            membrane_e: p.membrane_stiffness_mmhg_ml,
            collapse_p: p.collapse_pressure_mmhg,
            residual_ml: p.residual_volume_ml,
            leak_g: p.leak_ml_s_mmhg,
            inv_tau_valve: 1.0 / (p.valve_time_constant_ms * 1e-3),
            line: Line {
                open: true,
                target_mmhg: p.baseline_pressure_mmhg,
            },
        }
    }

    /// Elastic pressure of the membrane at volume `v`, mmHg.
    #[inline]
    pub fn membrane_pressure(&self, v: f64) -> f64 {
        if v > self.nominal_ml {
            self.membrane_e * (v - self.nominal_ml)
        } else if v < self.residual_ml {
            -self.collapse_p * (self.residual_ml / v.max(1e-6) - 1.0)
        } else {
            0.0
        }
    }

    /// Line flow for a pressure difference `dp` (console − balloon), mL/s.
    #[inline]
    pub fn line_flow(&self, dp: f64) -> f64 {
        if self.r2 <= 0.0 {
            return dp / self.r1;
        }
        // R1 |Q| + R2 Q² = |dp|, in the form that stays accurate for small dp.
        let a = dp.abs();
        let q = 2.0 * a / (self.r1 + (self.r1 * self.r1 + 4.0 * self.r2 * a).sqrt());
        q.copysign(dp)
    }

    /// Flows and gas pressure for balloon states `yb` inside an aorta at `p_desc`.
    #[inline]
    pub fn flows(&self, yb: &[f64], p_desc: f64) -> BalloonFlows {
        let v = yb[BalloonSt::Volume.i()];
        let pc = yb[BalloonSt::ConsolePressure.i()];
        let p_gas = p_desc + self.membrane_pressure(v);
        let line = if self.line.open {
            self.line_flow(pc - p_gas)
        } else {
            0.0
        };
        let leak = if v > 0.0 {
            self.leak_g * p_gas.max(0.0)
        } else {
            0.0
        };
        BalloonFlows {
            line_ml_s: line,
            leak_ml_s: leak,
            gas_pressure_mmhg: p_gas,
        }
    }

    /// Writes the derivatives of the balloon block.
    #[inline]
    pub fn rhs(&self, yb: &[f64], p_desc: f64, dyb: &mut [f64]) -> BalloonFlows {
        let f = self.flows(yb, p_desc);
        dyb[BalloonSt::Volume.i()] = f.line_ml_s - f.leak_ml_s;
        dyb[BalloonSt::ConsolePressure.i()] =
            (self.line.target_mmhg - yb[BalloonSt::ConsolePressure.i()]) * self.inv_tau_valve;
        dyb[BalloonSt::GasLeaked.i()] = f.leak_ml_s;
        f
    }

    /// Initial balloon block: empty (at the residual volume), line at `baseline_mmhg`.
    pub fn initial_state(&self, baseline_mmhg: f64) -> [f64; BalloonSt::COUNT] {
        [self.residual_ml * 0.5, baseline_mmhg, 0.0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> BalloonParams {
        BalloonParams {
            volume_ml: 40.0,
            line_resistance_mmhg_s_ml: 0.4,
            line_turbulent_mmhg_s2_ml2: 0.001,
            membrane_stiffness_mmhg_ml: 10.0,
            collapse_pressure_mmhg: 20.0,
            residual_volume_ml: 2.0,
            leak_ml_s_mmhg: 0.0,
            valve_time_constant_ms: 8.0,
            baseline_pressure_mmhg: 15.0,
            ..BalloonParams::default()
        }
    }

    #[test]
    fn line_flow_solves_the_loss_law() {
        let b = Balloon::new(&params());
        for dp in [-300.0, -1.0, 0.0, 1e-9, 2.0, 250.0] {
            let q = b.line_flow(dp);
            let back = 0.4 * q + 0.001 * q * q.abs();
            assert!((back - dp).abs() < 1e-9 * dp.abs().max(1.0), "{dp} -> {q}");
        }
    }

    #[test]
    fn membrane_is_slack_between_residual_and_nominal() {
        let b = Balloon::new(&params());
        assert_eq!(b.membrane_pressure(20.0), 0.0);
        assert!(b.membrane_pressure(45.0) > 49.0);
        assert!(b.membrane_pressure(1.0) < -19.0);
        assert!(b.membrane_pressure(0.01) < -1000.0);
    }

    #[test]
    fn closed_line_holds_volume_and_leak_drains() {
        let mut p = params();
        p.leak_ml_s_mmhg = 0.01;
        let mut b = Balloon::new(&p);
        b.line.open = false;
        let mut dy = [0.0; 3];
        b.rhs(&[40.0, 15.0, 0.0], 80.0, &mut dy);
        assert!((dy[0] + 0.8).abs() < 1e-12, "{dy:?}");
        assert!((dy[2] - 0.8).abs() < 1e-12);
    }
}
