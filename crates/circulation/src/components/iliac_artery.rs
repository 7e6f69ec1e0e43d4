//! The iliac/femoral conduit from the aortic bifurcation to a leg's arteries, with the
//! balloon's femoral access in it on the cannulated side: a sheath over its inserted length
//! and the catheter shaft from the sheath's tip up to the aorta. It is an arterial segment
//! ([`AorticSegment`]: `R` in series with the inertance `L` ∥ the characteristic impedance
//! `Z_c`), whose parameters come from the geometry:
//!
//! * `R`: laminar (Poiseuille) resistance of the lumen, an annulus where a sheath or shaft of
//!   outer radius `b` lies in the artery of radius `a` ([`super::annulus`]): `ℓ_s` of sheath
//!   and `ℓ − ℓ_s` of shaft (a sheathless insertion has shaft only, no balloon neither);
//! * `L = ρ ℓ / A` (plug flow) over the residual lumen `A = π (a² − b²)` of each part;
//! * `Z_c`: given (chosen for the damping of the mode between the pelvic and leg compliances,
//!   as for the aortic segments).
//!
//! The annulus is concentric; a sheath lying against the wall leaves a lower resistance, so
//! this is the upper bound of its effect. The mean flow sees `R` alone, so a sheath matters where its annulus resistance is not small
//! against the leg's bed: a large artery barely notices it, a small or diseased one does. A
//! sheath whose outer diameter reaches the lumen is capped at [`MAX_FILL`] of it: an occlusive
//! sheath leaves the leg to collaterals, which are not modelled (its flow falls to a trickle).

use super::{AorticSegment, DYN_CM2_PER_MMHG, annulus};

/// Largest share of the lumen's diameter a sheath or shaft is taken to fill.
pub const MAX_FILL: f64 = 0.97;

/// What lies in the artery.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Access {
    /// Outer diameter of the sheath, mm (0: no sheath).
    pub sheath_outer_diameter_mm: f64,
    /// Length of the sheath inside the artery, cm.
    pub sheath_length_cm: f64,
    /// Outer diameter of the catheter shaft, mm (0: no catheter).
    pub shaft_diameter_mm: f64,
}

/// Geometry of an iliac/femoral conduit; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IliacArtery {
    /// Lumen diameter, mm.
    pub diameter_mm: f64,
    /// Length, cm.
    pub length_cm: f64,
    /// What lies in it.
    pub access: Access,
}

impl IliacArtery {
    /// Lengths of sheath and of shaft-only lumen, cm, and the radii of the lumen and of the
    /// sheath's and shaft's cores, cm.
    fn parts(&self) -> [(f64, f64); 2] {
        let a = 0.05 * self.diameter_mm;
        let core = |d_mm: f64| (0.05 * d_mm).min(MAX_FILL * a);
        let sheath_len = if self.access.sheath_outer_diameter_mm > 0.0 {
            self.access.sheath_length_cm.min(self.length_cm)
        } else {
            0.0
        };
        [
            (sheath_len, core(self.access.sheath_outer_diameter_mm)),
            (
                self.length_cm - sheath_len,
                core(self.access.shaft_diameter_mm),
            ),
        ]
    }

    /// Laminar resistance, mmHg·s/mL, in blood of viscosity `viscosity_poise`.
    pub fn resistance_mmhg_s_ml(&self, viscosity_poise: f64) -> f64 {
        let a = 0.05 * self.diameter_mm;
        self.parts()
            .iter()
            .map(|&(len, b)| annulus::annulus_resistance(viscosity_poise, len, a, b))
            .sum()
    }

    /// Plug-flow inertance, mmHg·s²/mL, in blood of density `rho_g_ml`.
    pub fn inertance_mmhg_s2_ml(&self, rho_g_ml: f64) -> f64 {
        let a = 0.05 * self.diameter_mm;
        self.parts()
            .iter()
            .map(|&(len, b)| rho_g_ml * len / (std::f64::consts::PI * (a * a - b * b)))
            .sum::<f64>()
            / DYN_CM2_PER_MMHG
    }

    /// The conduit as an arterial segment of characteristic impedance `zc_mmhg_s_ml`.
    pub fn segment(&self, viscosity_poise: f64, rho_g_ml: f64, zc_mmhg_s_ml: f64) -> AorticSegment {
        AorticSegment::new(
            self.resistance_mmhg_s_ml(viscosity_poise),
            self.inertance_mmhg_s2_ml(rho_g_ml),
            zc_mmhg_s_ml,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MU: f64 = 0.035;
    const RHO: f64 = 1.06;

    fn conduit(d: f64, access: Access) -> IliacArtery {
        IliacArtery {
            diameter_mm: d,
            length_cm: 20.0,
            access,
        }
    }

    const SHEATH_8FR: Access = Access {
        sheath_outer_diameter_mm: 8.0 / 3.0 + 0.6,
        sheath_length_cm: 15.0,
        shaft_diameter_mm: 2.5,
    };

    #[test]
    fn an_empty_artery_is_a_poiseuille_tube_with_plug_flow_inertance() {
        let open = conduit(8.0, Access::default());
        let r = 8.0 * MU * 20.0 / (std::f64::consts::PI * 0.4f64.powi(4)) / DYN_CM2_PER_MMHG;
        assert!((open.resistance_mmhg_s_ml(MU) - r).abs() < 1e-12 * r);
        let l = RHO * 20.0 / (std::f64::consts::PI * 0.16) / DYN_CM2_PER_MMHG;
        assert!((open.inertance_mmhg_s2_ml(RHO) - l).abs() < 1e-12 * l);
    }

    #[test]
    fn a_sheath_narrows_a_small_artery_far_more_than_a_large_one() {
        // Mean flow at 80 mmHg across the conduit and a 16 mmHg s/mL leg bed, with / without.
        let ratio = |d: f64, access: Access| {
            let q = |c: IliacArtery| 80.0 / (c.resistance_mmhg_s_ml(MU) + 16.0);
            q(conduit(d, access)) / q(conduit(d, Access::default()))
        };
        let (large, small) = (ratio(8.0, SHEATH_8FR), ratio(4.0, SHEATH_8FR));
        assert!(large > 0.95, "8 mm: {large}");
        assert!(small < 0.5, "4 mm: {small}");
        // Sheathless: the shaft alone narrows less than the sheath.
        let shaft = Access {
            shaft_diameter_mm: 2.5,
            ..Access::default()
        };
        assert!(ratio(4.0, shaft) > small);
        assert!(ratio(4.0, shaft) < 1.0);
    }

    #[test]
    fn an_occlusive_sheath_leaves_a_trickle_not_a_division_by_zero() {
        let sheath = Access {
            sheath_outer_diameter_mm: 5.0,
            ..SHEATH_8FR
        };
        let c = conduit(3.0, sheath);
        let (r, l) = (c.resistance_mmhg_s_ml(MU), c.inertance_mmhg_s2_ml(RHO));
        assert!(r.is_finite() && l.is_finite());
        let q = 80.0 / (r + 16.0);
        assert!(q > 0.0 && q < 0.2, "{q} mL/s");
    }
}
