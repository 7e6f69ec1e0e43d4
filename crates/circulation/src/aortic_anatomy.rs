//! Where things lie along the aorta below the left subclavian artery (LSA): the branch levels
//! at the patient's height, and which of them a balloon spans.
//!
//! Distances are measured down the aorta from the LSA's origin, cm. The anatomy's lengths
//! (`aorta.thoracic_length_cm`, …) are those of a population of height `aorta.anatomy_height_cm`
//! and scale as `(height / anatomy height)^k` with `k = aorta.length_height_exponent` (0.44 for
//! the thoracic aorta in UK Biobank; height explains only ~13 % of the spread of aortic length,
//! so patients of one height differ by ±2–3 cm: the preset's source comments give both).
//!
//! The circuit's three compartments below the LSA are spans of this axis: the descending
//! thoracic aorta (LSA → coeliac trunk), the visceral aorta (coeliac → renal arteries) and the
//! infrarenal aorta (renal arteries → bifurcation).
//!
//! A balloon is a membrane of length `ℓ_m` whose tip lies `iabp.position_cm` below the LSA; its
//! gas fills the equivalent cylinder of its nominal volume at its inflated diameter (length
//! `ℓ_c`), centred in the membrane (the rest is the tapered ends). The cylinder decides what
//! the inflated balloon does to the blood (which compartment holds its gas, which ostia it
//! narrows); the membrane decides what a CT scan would call "covered" (as in Rastan AJ et al.,
//! Circulation 2010;122:S92).

use counterpulse_params::ParamError;

use crate::circuit::BalloonShape;
use crate::parameters::CirculationParams;

/// Branch levels below the LSA at the patient's height, cm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AorticLevels {
    /// Length scale applied to the anatomy's lengths (1 at the anatomy's height).
    pub length_scale: f64,
    /// Coeliac trunk.
    pub coeliac_cm: f64,
    /// Superior mesenteric artery.
    pub sma_cm: f64,
    /// Renal arteries.
    pub renal_cm: f64,
    /// Aortic bifurcation.
    pub bifurcation_cm: f64,
}

impl AorticLevels {
    /// The levels of `p` at `patient.height_cm`.
    pub fn new(p: &CirculationParams) -> Self {
        let a = &p.aorta;
        let s = (p.patient.height_cm / a.anatomy_height_cm).powf(a.length_height_exponent);
        let coeliac = s * a.thoracic_length_cm;
        let renal = coeliac + s * a.visceral_length_cm;
        Self {
            length_scale: s,
            coeliac_cm: coeliac,
            sma_cm: coeliac + s * a.sma_below_coeliac_cm.min(a.visceral_length_cm),
            renal_cm: renal,
            bifurcation_cm: renal + s * a.infrarenal_length_cm,
        }
    }

    /// Spans of the three compartments below the LSA: descending thoracic, visceral,
    /// infrarenal.
    pub fn compartments(&self) -> [(f64, f64); 3] {
        [
            (0.0, self.coeliac_cm),
            (self.coeliac_cm, self.renal_cm),
            (self.renal_cm, self.bifurcation_cm),
        ]
    }
}

/// Length of the overlap of two spans `(start, end)`, cm.
pub fn overlap(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.1.min(b.1) - a.0.max(b.0)).max(0.0)
}

/// Where a balloon lies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BalloonPlacement {
    /// The membrane, from its tip down, cm below the LSA.
    pub membrane_cm: (f64, f64),
    /// The gas-filled cylinder, cm below the LSA.
    pub cylinder_cm: (f64, f64),
}

impl BalloonPlacement {
    /// Places `shape` in the aorta of `levels`; a membrane reaching below the bifurcation is an
    /// error naming the lengths.
    pub fn new(shape: &BalloonShape, levels: &AorticLevels) -> Result<Self, ParamError> {
        let cylinder = shape.length_cm();
        let membrane = cylinder + shape.taper_length_cm;
        let tip = shape.tip_below_subclavian_cm;
        let end = tip + membrane;
        if end > levels.bifurcation_cm {
            return Err(ParamError::Inconsistent {
                message: format!(
                    "a balloon membrane of {membrane:.1} cm with its tip {tip:.1} cm below the left subclavian artery ends {end:.1} cm below it, past the aortic bifurcation at {:.1} cm (patient.height_cm, iabp.position_cm, iabp.volume_ml)",
                    levels.bifurcation_cm
                ),
            });
        }
        let c0 = tip + 0.5 * shape.taper_length_cm;
        Ok(Self {
            membrane_cm: (tip, end),
            cylinder_cm: (c0, c0 + cylinder),
        })
    }

    /// Share of the gas in each span of `spans` (by the cylinder's length in it).
    pub fn gas_shares<const N: usize>(&self, spans: [(f64, f64); N]) -> [f64; N] {
        let len = self.cylinder_cm.1 - self.cylinder_cm.0;
        spans.map(|s| overlap(self.cylinder_cm, s) / len)
    }

    /// Share of the diameter `diameter_mm` of an ostium at `level_cm` that the gas-filled
    /// cylinder lies across, 0–1.
    pub fn ostium_coverage(&self, level_cm: f64, diameter_mm: f64) -> f64 {
        let r = 0.05 * diameter_mm;
        (overlap(self.cylinder_cm, (level_cm - r, level_cm + r)) / (2.0 * r)).min(1.0)
    }

    /// Distance from the membrane's lower end up to `level_cm`, cm: negative when the
    /// membrane reaches below the level (covers it).
    pub fn clearance_above_cm(&self, level_cm: f64) -> f64 {
        level_cm - self.membrane_cm.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The anatomy of the `healthy` preset at `height_cm`.
    fn params(height_cm: f64) -> CirculationParams {
        let mut p = CirculationParams::default();
        p.patient.height_cm = height_cm;
        let a = &mut p.aorta;
        a.anatomy_height_cm = 169.0;
        a.length_height_exponent = 0.44;
        a.thoracic_length_cm = 24.1;
        a.sma_below_coeliac_cm = 1.5;
        a.visceral_length_cm = 2.8;
        a.infrarenal_length_cm = 8.0;
        p
    }

    #[test]
    fn levels_scale_with_height_by_the_power_law_and_keep_their_order() {
        let p = params(169.0);
        let base = AorticLevels::new(&p);
        assert!(base.coeliac_cm < base.sma_cm && base.sma_cm < base.renal_cm);
        assert!(base.renal_cm < base.bifurcation_cm);
        let tall = AorticLevels::new(&params(169.0 * 1.1));
        let want = 1.1f64.powf(p.aorta.length_height_exponent);
        assert!((tall.coeliac_cm / base.coeliac_cm - want).abs() < 1e-12);
        assert!((tall.bifurcation_cm / base.bifurcation_cm - want).abs() < 1e-12);
    }

    #[test]
    fn gas_is_shared_by_length_and_sums_to_one_inside_the_aorta() {
        let levels = AorticLevels::new(&params(160.0));
        let shape = BalloonShape {
            nominal_volume_ml: 40.0,
            inflated_diameter_mm: 15.0,
            tip_below_subclavian_cm: 2.0,
            taper_length_cm: 3.7,
            eccentricity: 0.0,
            lean_angle_deg: 0.0,
        };
        let b = BalloonPlacement::new(&shape, &levels).expect("fits");
        let shares = b.gas_shares(levels.compartments());
        assert!(
            (shares.iter().sum::<f64>() - 1.0).abs() < 1e-12,
            "{shares:?}"
        );
        // A balloon lowered past the bifurcation is refused with the lengths in the message.
        let low = BalloonShape {
            tip_below_subclavian_cm: 30.0,
            ..shape
        };
        let err = BalloonPlacement::new(&low, &levels).expect_err("too low");
        assert!(err.to_string().contains("bifurcation"), "{err}");
    }

    #[test]
    fn an_ostium_is_covered_by_the_share_of_its_diameter_under_the_cylinder() {
        let b = BalloonPlacement {
            membrane_cm: (2.0, 28.0),
            cylinder_cm: (3.0, 27.0),
        };
        assert_eq!(b.ostium_coverage(20.0, 6.0), 1.0);
        assert_eq!(b.ostium_coverage(30.0, 6.0), 0.0);
        assert!((b.ostium_coverage(27.0, 6.0) - 0.5).abs() < 1e-12);
        assert!((b.clearance_above_cm(26.0) + 2.0).abs() < 1e-12);
    }
}
