//! Pressure a coronary wire reads distal to the stenosis (Pd), a coupling: the aortic pressure
//! less the drop along the epicardial conduit and the lesion, at the flow that crosses them on
//! its way to the small arteries' compliance,
//!
//! `Q: P_a − P_s = R_epi Q + ΔP_sten(Q) + R_s Q`,  `P_d = P_s + R_s Q`,
//!
//! with `P_s` the pressure in the small coronary arteries' compliance and `R_s` the small
//! arteries' resistance upstream of it (the arterial resistance `Ra` of Kim HJ et al., Ann
//! Biomed Eng 2010;38:3195, upstream of their capacitance `Ca`). `Q` solves the same quadratic
//! as the stenotic link itself ([`super::Stenosis::flow`]), so it is that link's flow to the bit.
//! The epicardial artery's own compliance is lumped with the small arteries': a capacitance at
//! `P_d` itself, behind the conduit's 0.5 mmHg·s/mL, would charge at every systolic upstroke
//! (inflow peaking in early systole) or, made small, make the equations stiff.
//!
//! Signal: the name it is given (`coronary_distal_pressure_mmhg` in the reference circuit).

use super::{Signal, StenoticArtery, Workspace};

/// The wire pressure distal to a stenotic artery; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WirePressure {
    /// The epicardial artery with its lesion (series resistance `R_epi`).
    pub artery: StenoticArtery,
    /// Small arteries' resistance `R_s` between the wire and their compliance, mmHg·s/mL.
    pub r_small_mmhg_s_ml: f64,
    /// Aortic (upstream) pressure signal, mmHg.
    pub aortic_pressure: Signal,
    /// Small arteries' compliance pressure signal, mmHg.
    pub small_artery_pressure: Signal,
}

impl WirePressure {
    /// Pd between `aortic_pressure` and `small_artery_pressure`.
    pub fn new(
        artery: StenoticArtery,
        r_small_mmhg_s_ml: f64,
        aortic_pressure: Signal,
        small_artery_pressure: Signal,
    ) -> Self {
        Self {
            artery,
            r_small_mmhg_s_ml,
            aortic_pressure,
            small_artery_pressure,
        }
    }

    /// The link from the aorta to the small arteries' compliance whose flow this reads.
    pub fn link(&self) -> StenoticArtery {
        StenoticArtery::new(
            self.artery.stenosis,
            self.artery.r_series_mmhg_s_ml + self.r_small_mmhg_s_ml,
        )
    }

    /// Its value from the workspace, mmHg.
    #[inline]
    pub fn value(&self, w: &Workspace) -> f64 {
        let p_s = w[self.small_artery_pressure];
        let link = self.link();
        let q = link
            .stenosis
            .flow(w[self.aortic_pressure] - p_s, link.r_series_mmhg_s_ml);
        p_s + self.r_small_mmhg_s_ml * q
    }

    /// Signals it reads.
    pub fn reads(&self) -> Vec<Signal> {
        vec![self.aortic_pressure, self.small_artery_pressure]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::{LinkLaw, Stenosis};

    #[test]
    fn the_wire_reads_the_aortic_pressure_less_the_conduit_and_lesion_drop() {
        let lesion = Stenosis::new(70.0, 0.5, 0.35, 0.035, 1.06);
        let artery = StenoticArtery::new(lesion, 0.5);
        let wire = WirePressure::new(artery, 4.0, Signal(0), Signal(1));
        let w = Workspace::from_values(&[90.0, 60.0]);
        let q = wire.link().flow(90.0, 60.0, &[], &w, &mut []);
        let pd = wire.value(&w);
        // Aortic pressure less R_epi Q and the lesion's drop, and the small arteries' pressure
        // plus R_s Q: the same point reached from both ends.
        let from_aorta = 90.0 - 0.5 * q - lesion.pressure_drop(q);
        assert!((pd - from_aorta).abs() < 1e-9, "{pd} vs {from_aorta}");
        assert!((pd - (60.0 + 4.0 * q)).abs() < 1e-12);
        // No small-artery resistance: the wire reads the compliance's pressure.
        let direct = WirePressure::new(artery, 0.0, Signal(0), Signal(1));
        assert_eq!(direct.value(&w), 60.0);
    }
}
