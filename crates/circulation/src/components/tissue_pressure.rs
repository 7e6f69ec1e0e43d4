//! Intramyocardial (tissue) pressure, a coupling: `P_im = k · P_LV` (Spaan JAE, Circ Res
//! 1985;56:293, the "intramyocardial pump": the contracting LV compresses its own vessels;
//! k ≈ 1 in the subendocardium and ≈ 0 at the epicardium, so a lumped bed takes an average).
//!
//! Signal: the name it is given (`intramyocardial_pressure_mmhg` in the reference circuit).

use super::{Signal, Workspace};

/// A tissue pressure proportional to a chamber pressure; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TissuePressure {
    /// Fraction k of the chamber pressure.
    pub fraction: f64,
    /// The chamber pressure signal.
    pub chamber_pressure: Signal,
}

impl TissuePressure {
    /// `fraction` × `chamber_pressure`.
    pub fn new(fraction: f64, chamber_pressure: Signal) -> Self {
        Self {
            fraction,
            chamber_pressure,
        }
    }

    /// Its value from the workspace, mmHg.
    #[inline]
    pub fn value(&self, w: &Workspace) -> f64 {
        self.fraction * w[self.chamber_pressure]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportional_to_the_chamber_pressure() {
        let t = TissuePressure::new(0.8, Signal(1));
        assert_eq!(t.value(&Workspace::from_values(&[0.0, 100.0])), 80.0);
    }
}
