//! Impella-type microaxial pump (link) from the left ventricle to the aortic root, across the
//! aortic valve.
//!
//! **Pressure–flow (HQ) law.** A rotary pump's head falls linearly with flow at a given speed
//! and scales with the square of speed (affinity laws):
//!
//! `P_root − P_LV = H₀ (n / n_max)² − R_p · Q`, i.e. `Q = (H₀ s² − ΔP) / R_p`, `s = n / n_max`,
//!
//! so flow falls when afterload rises, rises when the LV pressure rises in systole, and turns
//! negative (regurgitation through the cannula) when the pump is stopped or too slow for the
//! pressure difference, as a stopped Impella regurgitates.
//!
//! **Calibration.** Speeds of the performance levels P1–P9 and the flow each level gives in
//! patients are the manufacturer's table for the Impella 2.5 (Abiomed, Automated Impella
//! Controller operating manual, "P-level flow rates for the Impella 2.5 catheter": P1 25,000
//! rpm 0.0–1.1 L/min, P2 35,000 0.8–1.5, P3 38,000 1.1–1.7, P4 40,000 1.3–1.8, P5 43,000
//! 1.5–1.9, P6 45,000 1.7–2.1, P7 47,000 1.8–2.2, P8 50,000 2.1–2.4, P9 51,000 2.1–2.5).
//! H₀ = 284 mmHg and R_p = 86.3 mmHg per L/min (5.18 mmHg·s/mL) are the least-squares fit of
//! this law to the 18 ends of those ranges, taking each range to span mean pressure differences
//! of 30–90 mmHg (the clinical range of mean aortic minus mean LV pressure); rms misfit
//! 0.29 L/min, largest at P1 and P9 (the table's ranges are not affine in speed). The curves are
//! parameters (`impella.shutoff_head_mmhg`, `impella.flow_resistance_mmhg_min_l`,
//! `impella.max_speed_rpm`), so another device's HQ curve can be entered.
//!
//! **Suction.** When the LV empties around the inlet the cannula draws the wall and flow falls:
//! `Q` is multiplied by `½ (1 + tanh((V_LV − V_s) / 5 mL))`, `V_s` the suction volume (an
//! engineering assumption, `impella.suction_volume_ml`); the simulation logs a suction alarm
//! when the LV volume falls below `V_s`.
//!
//! Signal: `{name}_flow_ml_s` (`impella_flow_ml_s` in the reference circuit).

use counterpulse_params::{Choice, Unset, choice_param, param_group};

use super::{Layout, LinkLaw, StateRef, Workspace};

/// Performance level of the console (P0: motor stopped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerformanceLevel(pub u8);

impl PerformanceLevel {
    /// Motor speed of this level for the Impella 2.5, rpm (manufacturer's table, see the
    /// module documentation).
    pub fn speed_rpm(self) -> f64 {
        const RPM: [f64; 10] = [
            0.0, 25_000.0, 35_000.0, 38_000.0, 40_000.0, 43_000.0, 45_000.0, 47_000.0, 50_000.0,
            51_000.0,
        ];
        RPM[usize::from(self.0.min(9))]
    }
}

impl Choice for PerformanceLevel {
    const NAMES: &'static [&'static str] =
        &["P0", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9"];
    fn from_index(i: usize) -> Self {
        PerformanceLevel(i.min(9) as u8)
    }
    fn index(&self) -> usize {
        usize::from(self.0)
    }
}
choice_param!(PerformanceLevel);
impl Unset for PerformanceLevel {
    fn unset() -> Self {
        PerformanceLevel(0)
    }
}

param_group! {
    /// Impella-type microaxial pump from the LV to the aortic root (off by default).
    pub struct ImpellaParams {
        /// Pump in place and running
        pub enabled: bool = ["1", 0, 1],
        /// Console performance level P0-P9 (sets the speed unless speed_rpm > 0)
        pub level: PerformanceLevel = ["1", 0, 0],
        /// Motor speed; 0 = the speed of the performance level
        pub speed_rpm: f64 = ["rpm", 0, 60000],
        /// Speed at which the HQ curve's shut-off head is given (the highest level's speed)
        pub max_speed_rpm: f64 = ["rpm", 10000, 60000],
        /// Pressure head at zero flow and maximal speed
        pub shutoff_head_mmhg: f64 = ["mmHg", 20, 1000],
        /// Fall of pressure head per unit flow (slope of the HQ curve)
        pub flow_resistance_mmhg_min_l: f64 = ["mmHg min/L", 1, 1000],
        /// LV volume below which the inlet draws the wall and flow falls (suction)
        pub suction_volume_ml: f64 = ["mL", 0, 100],
    }
}

/// Width of the suction transition, mL.
const SUCTION_WIDTH_ML: f64 = 5.0;

/// The pump; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Impella {
    /// Whether the pump is in place (otherwise the link carries nothing).
    pub enabled: bool,
    /// Head at zero flow at the set speed, H₀ s², mmHg.
    pub head_mmhg: f64,
    /// HQ slope R_p, mmHg·s/mL.
    pub resistance_mmhg_s_ml: f64,
    /// Suction volume, mL.
    pub suction_volume_ml: f64,
    /// The LV volume state, as declared.
    pub lv_volume_state: StateRef,
    /// Position of the LV volume in the state vector.
    pub lv_volume: usize,
}

impl Impella {
    /// The pump of `p`, reading the LV volume state `lv_volume`.
    pub fn from_params(p: &ImpellaParams, lv_volume: StateRef) -> Self {
        let speed = if p.speed_rpm > 0.0 {
            p.speed_rpm
        } else {
            p.level.speed_rpm()
        };
        let s = speed / p.max_speed_rpm;
        Self {
            enabled: p.enabled,
            head_mmhg: p.shutoff_head_mmhg * s * s,
            resistance_mmhg_s_ml: p.flow_resistance_mmhg_min_l * 60.0 / 1000.0,
            suction_volume_ml: p.suction_volume_ml,
            lv_volume_state: lv_volume,
            lv_volume: lv_volume.0,
        }
    }
}

impl LinkLaw for Impella {
    fn is_active(&self) -> bool {
        self.enabled
    }

    fn bind(&mut self, _own: &[usize], layout: &Layout) {
        self.lv_volume = layout.position(self.lv_volume_state);
    }

    #[inline]
    fn flow(&self, p_up: f64, p_down: f64, y: &[f64], _w: &Workspace, _dy: &mut [f64]) -> f64 {
        if !self.enabled {
            return 0.0;
        }
        let free = (self.head_mmhg - (p_down - p_up)) / self.resistance_mmhg_s_ml;
        let inlet =
            0.5 * (1.0 + ((y[self.lv_volume] - self.suction_volume_ml) / SUCTION_WIDTH_ML).tanh());
        free * inlet
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(level: u8) -> ImpellaParams {
        ImpellaParams {
            enabled: true,
            level: PerformanceLevel(level),
            speed_rpm: 0.0,
            max_speed_rpm: 51_000.0,
            shutoff_head_mmhg: 284.0,
            flow_resistance_mmhg_min_l: 86.3,
            suction_volume_ml: 25.0,
        }
    }

    fn l_min(p: &Impella, p_lv: f64, p_root: f64, v_lv: f64) -> f64 {
        p.flow(p_lv, p_root, &[v_lv], &Workspace::from_values(&[]), &mut []) * 60.0 / 1000.0
    }

    #[test]
    fn hq_curve_reproduces_the_manufacturers_p8_range_and_affinity_scaling() {
        let p8 = Impella::from_params(&params(8), StateRef(0));
        // P8 (50,000 rpm): 2.1–2.4 L/min in patients; the fitted curve gives 2.12–2.82 over
        // mean pressure differences of 90–30 mmHg.
        let q60 = l_min(&p8, 10.0, 70.0, 120.0);
        assert!((2.1..2.6).contains(&q60), "{q60}");
        // Linear in ΔP: 10 mmHg more afterload costs 10 / R_p.
        let dq = q60 - l_min(&p8, 10.0, 80.0, 120.0);
        assert!((dq - 10.0 / 86.3).abs() < 1e-3, "{dq}");
        // Shut-off head scales with speed²: at P4 (40,000 rpm) zero flow at 284 (40/51)² mmHg.
        let p4 = Impella::from_params(&params(4), StateRef(0));
        let h = 284.0 * (40.0f64 / 51.0).powi(2);
        assert!(l_min(&p4, 0.0, h, 120.0).abs() < 1e-9);
        // Stopped: the cannula regurgitates in proportion to the pressure difference.
        let p0 = Impella::from_params(&params(0), StateRef(0));
        assert!(l_min(&p0, 10.0, 70.0, 120.0) < 0.0);
    }

    #[test]
    fn suction_cuts_flow_when_the_ventricle_empties() {
        let p8 = Impella::from_params(&params(8), StateRef(0));
        let full = l_min(&p8, 10.0, 70.0, 120.0);
        assert!((l_min(&p8, 10.0, 70.0, 25.0) - 0.5 * full).abs() < 1e-9);
        assert!(l_min(&p8, 10.0, 70.0, 5.0) < 0.02 * full);
        let off = Impella {
            enabled: false,
            ..p8
        };
        assert_eq!(l_min(&off, 10.0, 70.0, 120.0), 0.0);
    }
}
