//! A branch of the aorta (link): the bed's resistance `R·f` (`f` the vascular-tone factor, 1
//! without one) in series with the entrance loss of its ostia, which an inflated balloon lying
//! across them narrows:
//!
//! `ΔP = R f Q + K Q|Q|`, `K = ρ / (2 A_eff²)` (orifice loss: the whole dynamic head at the
//! vena contracta `A_eff` is lost, as for a sharp-edged orifice; e.g. Idelchik IE, Handbook of
//! Hydraulic Resistance; ρ in g/mL, A in cm², converted to mmHg), solved for
//! `Q = 2ΔP / (R f + √((R f)² + 4 K |ΔP|))`, and `Q = 0` for `A_eff = 0` (a sealed branch).
//!
//! `A_eff = n C_d [(1 − c) A_o + c A_cov]` over `n` ostia of area `A_o` and discharge
//! coefficient `C_d`; `c` is the share of the ostium's diameter that the balloon's length
//! covers (from the anatomy and the balloon's position: 0 for a balloon that ends above it).
//! The covered part is fed through the gap between the inflated membrane and the aortic wall
//! (radius `a`) on the ostia's side,
//!
//! `h = max(a − δ − b, 0)`,
//!
//! `b = √(V_b / (π ℓ_b))` the radius the gas would give the balloon unconstrained and `δ` the
//! offset of the balloon's axis (its catheter) towards the ostia: `δ = e (a − b_n)` for an
//! eccentricity `e` of the balloon at its nominal radius `b_n` (`e = 0` centred, the least
//! narrowing; `e = 1` the full balloon's membrane lying on the ostia, which open again as it
//! empties towards its axis). Blood enters the ostium over
//! its rim, through the "curtain" area `A_c = π d_o h` of a port covered by a plate at
//! distance `h` (as a poppet valve's lift area; e.g. Heywood JB, Internal Combustion Engine
//! Fundamentals, §6.3), in series with the ostium itself: `1/A_cov² = 1/A_o² + 1/A_c²`. With
//! the balloon empty (`b = 0`) `A_c` is large and the ostium is open; a centred balloon
//! filling 90 % of the aortic diameter leaves `h` of a millimetre, which narrows the ostium
//! only a little; a membrane that reaches the wall (`b + δ ≥ a`) seals the covered
//! part for the length of the inflation: the pressure in the balloon presses it onto the
//! ostium's rim. (The aortic lumen, unlike an ostium, a membrane cannot seal: its folds leave
//! a channel, see [`super::aortic_segment::MAX_FILL`].) Pigs, whose aorta is no wider than a
//! 30 mL balloon, lost 17 % of SMA and 24 % of coeliac flow when the balloon was moved down
//! over the visceral arteries (Vondran M et al., Artif Organs 2016;40:334).
//!
//! The bed is a resistance: flow follows the pressure at the ostium at once, so the diastolic
//! flow reversal seen in the SMA of pigs with a balloon across it (which needs the branch's
//! own compliance and inertia, and the local suction below the membrane) cannot appear, and
//! a sealed branch carries no flow until the balloon empties (its bed does not keep draining
//! its own compliance).
//!
//! Signal: `{name}_flow_ml_s` (from the aorta into the bed positive).

use super::{DYN_CM2_PER_MMHG, LinkLaw, Occlusion, Signal, Workspace};

/// Flow `Q` through a resistance `r` in series with a quadratic loss `k Q|Q|` under a pressure
/// difference `dp`: `Q = 2 dp / (r + √(r² + 4 k |dp|))` (the root of `r Q + k Q|Q| = dp`,
/// written so that it stays exact as `k → 0`).
#[inline]
pub fn resistance_and_loss_flow(dp: f64, r: f64, k: f64) -> f64 {
    2.0 * dp / (r + (r * r + 4.0 * k * dp.abs()).sqrt())
}

/// Where a balloon lies across a branch's ostia.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OstiumCover {
    /// The balloon at the ostia's level (its gas volume and radius).
    pub balloon: Occlusion,
    /// Share of the ostia's diameter covered by the balloon's length, 0–1.
    pub coverage: f64,
    /// Offset `δ` of the balloon's axis from the aorta's towards the ostia, cm.
    pub axis_offset_cm: f64,
}

/// A branch artery; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BranchArtery {
    /// Bed resistance R, mmHg·s/mL.
    pub r_mmhg_s_ml: f64,
    /// Optional tone factor on R.
    pub factor: Option<Signal>,
    /// `ρ / 2` in mmHg·s²·cm⁴/mL² (divided by an area squared it gives K).
    half_rho: f64,
    /// Total open ostial area `n C_d A_o`, cm².
    open_area_cm2: f64,
    /// `π d_o`, cm (curtain area per cm of gap, per ostium, times `n C_d`).
    rim_cm: f64,
    /// The balloon over the ostia, if it reaches them.
    cover: Option<OstiumCover>,
}

impl BranchArtery {
    /// A bed of resistance `r_mmhg_s_ml` behind `count` ostia of diameter `ostium_diameter_mm`
    /// with discharge coefficient `cd`, in blood of density `rho_g_ml`.
    pub fn new(
        r_mmhg_s_ml: f64,
        count: f64,
        ostium_diameter_mm: f64,
        cd: f64,
        rho_g_ml: f64,
    ) -> Self {
        let d_cm = 0.1 * ostium_diameter_mm;
        Self {
            r_mmhg_s_ml,
            factor: None,
            half_rho: 0.5 * rho_g_ml / DYN_CM2_PER_MMHG,
            open_area_cm2: count * cd * std::f64::consts::PI * 0.25 * d_cm * d_cm,
            rim_cm: count * cd * std::f64::consts::PI * d_cm,
            cover: None,
        }
    }

    /// The same branch with its resistance multiplied by the signal `factor` (if any).
    pub fn scaled_by(mut self, factor: Option<Signal>) -> Self {
        self.factor = factor;
        self
    }

    /// The same branch with a balloon lying across a share `coverage` of its ostia (no change
    /// for a coverage of 0).
    pub fn covered_by(mut self, cover: Option<OstiumCover>) -> Self {
        self.cover = cover.filter(|c| c.coverage > 0.0);
        self
    }

    /// Effective ostial area `A_eff` at balloon gas volume `v_ml`, cm².
    #[inline]
    pub fn effective_area_cm2(&self, v_ml: f64) -> f64 {
        let a_o = self.open_area_cm2;
        match &self.cover {
            None => a_o,
            Some(c) => {
                let gap_cm = (c.balloon.radius_cm()
                    - c.axis_offset_cm
                    - c.balloon.free_balloon_radius_cm(v_ml))
                .max(0.0);
                let a_c = self.rim_cm * gap_cm;
                let a_cov = a_o * a_c / (a_o * a_o + a_c * a_c).sqrt();
                (1.0 - c.coverage) * a_o + c.coverage * a_cov
            }
        }
    }

    /// Flow for a pressure difference `dp` at balloon gas volume `v_ml` and tone factor `f`.
    #[inline]
    pub fn evaluate(&self, dp: f64, v_ml: f64, f: f64) -> f64 {
        let r = self.r_mmhg_s_ml * f;
        let a = self.effective_area_cm2(v_ml);
        if a <= 0.0 {
            return 0.0;
        }
        resistance_and_loss_flow(dp, r, self.half_rho / (a * a))
    }
}

impl LinkLaw for BranchArtery {
    #[inline]
    fn flow(&self, p_up: f64, p_down: f64, _y: &[f64], w: &Workspace, _dy: &mut [f64]) -> f64 {
        let f = self.factor.map_or(1.0, |s| w[s]);
        let v = self.cover.map_or(0.0, |c| w[c.balloon.balloon_volume]);
        self.evaluate(p_up - p_down, v, f)
    }

    fn reads(&self) -> Vec<Signal> {
        self.factor
            .into_iter()
            .chain(self.cover.map(|c| c.balloon.balloon_volume))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renal() -> BranchArtery {
        BranchArtery::new(4.0, 2.0, 5.5, 0.7, 1.06)
    }

    #[test]
    fn the_flow_solves_the_resistance_and_the_entrance_loss() {
        let b = renal();
        for dp in [-30.0, -1.0, 0.0, 0.5, 20.0, 90.0] {
            let q = b.evaluate(dp, 0.0, 1.3);
            let a = b.effective_area_cm2(0.0);
            let k = 0.5 * 1.06 / DYN_CM2_PER_MMHG / (a * a);
            let back = 4.0 * 1.3 * q + k * q * q.abs();
            assert!((back - dp).abs() < 1e-12 * (1.0 + dp.abs()), "{dp}: {back}");
        }
        // Two 5.5 mm ostia (Cd 0.7) at 10 mL/s lose ρ/2 (Q / (n Cd A))² = 0.36 mmHg: with no
        // bed resistance, 0.36 mmHg drives 10 mL/s through them.
        let ostia = BranchArtery::new(1e-12, 2.0, 5.5, 0.7, 1.06);
        let q = ostia.evaluate(0.36, 0.0, 1.0);
        assert!((q - 10.0).abs() < 0.15, "{q} mL/s");
    }

    #[test]
    fn a_balloon_across_the_ostia_shuts_them_as_it_fills_the_aorta() {
        // 40 mL over 22.6 cm (15 mm) in an 18 mm aorta at the renal level.
        let balloon = Occlusion::new(Signal(0), 18.0, 22.6, 1.0, 0.035);
        let b = renal().covered_by(Some(OstiumCover {
            balloon,
            coverage: 1.0,
            axis_offset_cm: 0.0,
        }));
        let open = renal().effective_area_cm2(0.0);
        let full = b.effective_area_cm2(40.0);
        // An empty balloon leaves the whole aortic radius as gap: the ostia are open.
        assert!((b.effective_area_cm2(0.0) - open).abs() < 0.02 * open);
        assert!(full < open);
        // Gap at full: a − b = 0.9 − √(40 / (π 22.6)) ≈ 0.15 cm; curtain area 2 × 0.7 × π ×
        // 0.55 cm × gap.
        let gap = 0.9 - (40.0 / (std::f64::consts::PI * 22.6)).sqrt();
        let a_c = 2.0 * 0.7 * std::f64::consts::PI * 0.55 * gap;
        let want = open * a_c / (open * open + a_c * a_c).sqrt();
        assert!((full - want).abs() < 1e-12, "{full} vs {want}");
        // The flow falls monotonically with the balloon's volume; uncovered, it does not.
        let mut last = f64::INFINITY;
        for v in [0.0, 10.0, 20.0, 30.0, 40.0, 60.0] {
            let q = b.evaluate(80.0, v, 1.0);
            assert!(q <= last, "{v}: {q}");
            last = q;
        }
        assert_eq!(
            renal().evaluate(80.0, 40.0, 1.0),
            renal().evaluate(80.0, 0.0, 1.0)
        );
        // Half covered: halfway between the open and the covered areas.
        let half = renal().covered_by(Some(OstiumCover {
            balloon,
            coverage: 0.5,
            axis_offset_cm: 0.0,
        }));
        assert!((half.effective_area_cm2(40.0) - 0.5 * (open + full)).abs() < 1e-12);
    }

    #[test]
    fn a_membrane_that_reaches_the_wall_seals_the_ostia_it_covers() {
        // 40 mL over 22.6 cm (15.01 mm) in a 15 mm aorta: full, the membrane lies on the wall. Old
        // code capped the balloon at 97 % of the aortic radius, which left a 0.2 mm gap and a
        // sixth of the ostial area open (a lumen cannot be sealed, an ostium can).
        let full_radius = (40.0 / (std::f64::consts::PI * 22.6)).sqrt();
        let tight = Occlusion::new(Signal(0), 15.0, 22.6, 1.0, 0.035);
        let b = renal().covered_by(Some(OstiumCover {
            balloon: tight,
            coverage: 1.0,
            axis_offset_cm: 0.0,
        }));
        assert_eq!(b.effective_area_cm2(40.0), 0.0);
        assert_eq!(b.evaluate(80.0, 40.0, 1.0), 0.0);
        assert_eq!(b.evaluate(0.0, 40.0, 1.0), 0.0);
        // The flow closes continuously as the membrane nears the wall (at 39.94 mL).
        let open_flow = renal().evaluate(80.0, 0.0, 1.0);
        let mut last = open_flow;
        for v in [30.0, 38.0, 39.0, 39.9] {
            let q = b.evaluate(80.0, v, 1.0);
            assert!(q > 0.0 && q < last, "{v}: {q}");
            last = q;
        }
        assert!(last < 0.05 * open_flow, "{last}");
        // Half covered: the uncovered half of the ostia still carries flow.
        let half = renal().covered_by(Some(OstiumCover {
            balloon: tight,
            coverage: 0.5,
            axis_offset_cm: 0.0,
        }));
        assert!(
            (half.effective_area_cm2(40.0) - 0.5 * renal().effective_area_cm2(0.0)).abs() < 1e-12
        );

        // In a wider (18 mm) aorta, a full balloon moved against the ostia by its whole centred
        // gap (eccentricity 1) seals them too, and they open again as it empties towards its axis.
        let wide = Occlusion::new(Signal(0), 18.0, 22.6, 1.0, 0.035);
        let offset = 0.9 - full_radius;
        let leaning = renal().covered_by(Some(OstiumCover {
            balloon: wide,
            coverage: 1.0,
            axis_offset_cm: offset,
        }));
        assert_eq!(leaning.effective_area_cm2(40.0), 0.0);
        let empty = leaning.effective_area_cm2(0.0);
        let open = renal().effective_area_cm2(0.0);
        assert!(empty > 0.95 * open, "{empty} vs {open}");
        let mut last = f64::INFINITY;
        for v in [0.0, 10.0, 20.0, 30.0, 40.0] {
            let q = leaning.evaluate(80.0, v, 1.0);
            assert!(q < last, "{v}: {q}");
            last = q;
        }
    }
}
