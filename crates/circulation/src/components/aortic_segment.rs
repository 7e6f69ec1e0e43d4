//! Segment of the aorta between two compliant compartments (link): a series resistance `R`
//! and the segment's inertance `L` in parallel with its characteristic impedance `Z_c`, the
//! arrangement of the four-element windkessel (Stergiopulos N, Westerhof BE, Westerhof N,
//! Am J Physiol 1999;276:H81):
//!
//! `ΔP = R Q + Z_c (Q − Q_L)`, `L dQ_L/dt = Z_c (Q − Q_L)`, so
//! `Q = (ΔP + Z_c Q_L) / (R + Z_c)`, `dQ_L/dt = Z_c (ΔP − R Q_L) / (L (R + Z_c))`.
//!
//! At low frequency the inertance short-circuits `Z_c` (mean flow `ΔP / R`, no extra mean
//! drop); at high frequency `Z_c` carries the flow, as a segment of a transmission line that
//! is terminated by its characteristic impedance does not reflect. Why this and not `R` and
//! `L` in series: between two compliances `C₁`, `C₂` a series `R–L` link is an `RLC` circuit
//! that rings at `1/(2π√(L C))`, `C = C₁C₂/(C₁+C₂)`, with damping ratio `(R/2)√(C/L)` — about
//! 0.27 at 17 Hz for the root–arch–descending segments of counterpulse 0.1, which the balloon
//! excited in every beat (the aortic valve half re-closed in mid-ejection; issue 12). Damping it
//! with `R` alone would need a mean pressure drop of several mmHg per segment. With `Z_c` in
//! parallel the damping ratio is `√(L/C) / (2 Z_c)` (+ the series term), independent of the mean
//! drop.
//!
//! Optionally the balloon narrows the segment ([`Occlusion`]): the inflated balloon leaves an
//! annular gap around itself, and the flow past it meets the gap's viscous resistance in series.
//!
//! State: `{name}_inertial_flow_ml_s` (`Q_L`); signal: `{name}_flow_ml_s` (`Q`).

use super::{Layout, LinkLaw, Memory, Signal, StateSpec, Workspace, annulus};

/// Resistance of the annular gap between a balloon and the aortic wall ([`super::annulus`]),
/// over the part of the balloon's length this segment carries the flow past, minus the
/// resistance of the same length of open aorta (already in the segment's `R`):
///
/// `R_gap = (8 μ ℓ / π) · [1 / (a⁴ − b⁴ − (a² − b²)² / ln(a/b)) − 1 / a⁴]`,
///
/// `a` the aortic radius, `b = √(V_b / (π ℓ_b))` the balloon's radius at gas volume `V_b` over
/// its length `ℓ_b`. `R_gap = 0` for an empty balloon; it grows steeply as the balloon fills
/// the lumen (`b → a`), and is capped where the balloon would fill [`MAX_FILL`] of the
/// diameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Occlusion {
    /// The balloon's gas volume, mL.
    pub balloon_volume: Signal,
    /// `8 μ ℓ / π`, mmHg·s·cm⁴/mL.
    coefficient: f64,
    /// Aortic radius a, cm.
    radius_cm: f64,
    /// `1 / (π ℓ_b)`, 1/cm.
    inv_area_length: f64,
}

/// Largest share of the aortic diameter the balloon is taken to fill (the gap resistance is
/// capped there; a membrane cannot seal the lumen).
pub const MAX_FILL: f64 = 0.97;

impl Occlusion {
    /// The gap left by a balloon of length `balloon_length_cm` (whose gas volume is
    /// `balloon_volume`) in an aorta of diameter `aortic_diameter_mm`, over `length_cm` of it,
    /// in blood of viscosity `viscosity_poise`.
    pub fn new(
        balloon_volume: Signal,
        aortic_diameter_mm: f64,
        balloon_length_cm: f64,
        length_cm: f64,
        viscosity_poise: f64,
    ) -> Self {
        Self {
            balloon_volume,
            coefficient: annulus::viscous_coefficient(viscosity_poise, length_cm),
            radius_cm: 0.05 * aortic_diameter_mm,
            inv_area_length: 1.0 / (std::f64::consts::PI * balloon_length_cm),
        }
    }

    /// Aortic radius a, cm.
    #[inline]
    pub fn radius_cm(&self) -> f64 {
        self.radius_cm
    }

    /// Radius of the balloon at gas volume `v_ml`, capped at [`MAX_FILL`] of the aortic
    /// radius, cm.
    #[inline]
    pub fn balloon_radius_cm(&self, v_ml: f64) -> f64 {
        self.free_balloon_radius_cm(v_ml)
            .min(MAX_FILL * self.radius_cm)
    }

    /// Radius the balloon's gas volume `v_ml` would give it unconstrained, `√(V_b / (π ℓ_b))`,
    /// cm: at or above the aortic radius the membrane lies on the wall.
    #[inline]
    pub fn free_balloon_radius_cm(&self, v_ml: f64) -> f64 {
        (v_ml.max(0.0) * self.inv_area_length).sqrt()
    }

    /// Extra resistance of the gap at balloon gas volume `v_ml`, mmHg·s/mL.
    #[inline]
    pub fn resistance(&self, v_ml: f64) -> f64 {
        if v_ml <= 0.0 {
            return 0.0;
        }
        let a = self.radius_cm;
        let b = self.balloon_radius_cm(v_ml);
        let a2 = a * a;
        // Below 1 µm of radius the balloon is not there.
        if b < 1e-4 {
            return 0.0;
        }
        self.coefficient * (1.0 / annulus::annulus_term(a, b) - 1.0 / (a2 * a2))
    }
}

/// An aortic segment; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AorticSegment {
    /// Series resistance R, mmHg·s/mL.
    pub r_mmhg_s_ml: f64,
    /// Inertance L, mmHg·s²/mL.
    pub l_mmhg_s2_ml: f64,
    /// Characteristic impedance Z_c, mmHg·s/mL.
    pub zc_mmhg_s_ml: f64,
    /// The balloon's gap, when the balloon lies in this segment's path: up to two pieces in
    /// series (the lengths of the balloon in the upstream and the downstream compartment,
    /// which may differ in diameter).
    pub occlusions: [Option<Occlusion>; 2],
    inertial_flow: usize,
}

impl AorticSegment {
    /// A segment of series resistance `r`, inertance `l` and characteristic impedance `zc`.
    pub fn new(r_mmhg_s_ml: f64, l_mmhg_s2_ml: f64, zc_mmhg_s_ml: f64) -> Self {
        Self {
            r_mmhg_s_ml,
            l_mmhg_s2_ml,
            zc_mmhg_s_ml,
            occlusions: [None, None],
            inertial_flow: 0,
        }
    }

    /// The same segment, narrowed by (one more piece of) the balloon's gap; a segment has at
    /// most two pieces, a third replaces the second.
    pub fn occluded_by(mut self, occlusion: Occlusion) -> Self {
        match self.occlusions {
            [None, _] => self.occlusions[0] = Some(occlusion),
            _ => self.occlusions[1] = Some(occlusion),
        }
        self
    }

    /// Flow `Q` and `dQ_L/dt` for a pressure difference `dp`, inertial flow `q_l` and extra
    /// series resistance `r_extra`.
    #[inline]
    pub fn evaluate(&self, dp: f64, q_l: f64, r_extra: f64) -> (f64, f64) {
        let r = self.r_mmhg_s_ml + r_extra;
        let zc = self.zc_mmhg_s_ml;
        let inv = 1.0 / (r + zc);
        let q = (dp + zc * q_l) * inv;
        let dq_l = zc * (dp - r * q_l) * inv / self.l_mmhg_s2_ml;
        (q, dq_l)
    }

    /// Damping ratio of the mode this segment forms between compliances `c1` and `c2`
    /// (mL/mmHg), with the balloon empty.
    pub fn damping_ratio(&self, c1: f64, c2: f64) -> f64 {
        // s² + s (1/(C (R+Zc)) + R Zc/(L (R+Zc))) + Zc/(L C (R+Zc)) = 0 for the series-parallel
        // link between two compliances (C = C₁C₂/(C₁+C₂)).
        let c = c1 * c2 / (c1 + c2);
        let (r, l, zc) = (self.r_mmhg_s_ml, self.l_mmhg_s2_ml, self.zc_mmhg_s_ml);
        let a1 = 1.0 / (c * (r + zc)) + r * zc / (l * (r + zc));
        let a0 = zc / (l * c * (r + zc));
        a1 / (2.0 * a0.sqrt())
    }
}

impl LinkLaw for AorticSegment {
    fn states(&self, name: &str) -> Vec<StateSpec> {
        vec![StateSpec {
            name: format!("{name}_inertial_flow_ml_s"),
            initial: 0.0,
            steady_scale: 10.0,
            // L/Zc of a few ms: slaved to the pressures within the beat.
            memory: Memory::Slaved,
            relaxation_time_s: None,
        }]
    }

    fn bind(&mut self, own: &[usize], _layout: &Layout) {
        self.inertial_flow = own[0];
    }

    #[inline]
    fn flow(&self, p_up: f64, p_down: f64, y: &[f64], w: &Workspace, dy: &mut [f64]) -> f64 {
        let r_extra = self
            .occlusions
            .iter()
            .flatten()
            .map(|o| o.resistance(w[o.balloon_volume]))
            .sum();
        let (q, dq_l) = self.evaluate(p_up - p_down, y[self.inertial_flow], r_extra);
        dy[self.inertial_flow] = dq_l;
        q
    }

    fn reads(&self) -> Vec<Signal> {
        self.occlusions
            .iter()
            .flatten()
            .map(|o| o.balloon_volume)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_flow_is_poiseuille_and_fast_changes_see_the_impedance() {
        let s = AorticSegment::new(0.02, 0.0005, 0.05);
        // Steady state (dQ_L/dt = 0): Q_L = ΔP/R and Q = Q_L.
        let dp = 3.0;
        let (q, dq) = s.evaluate(dp, dp / 0.02, 0.0);
        assert!(dq.abs() < 1e-9 && (q - 150.0).abs() < 1e-9, "{q} {dq}");
        // A step of ΔP with Q_L frozen: the flow jumps by ΔP/(R + Zc).
        let (q0, _) = s.evaluate(0.0, 40.0, 0.0);
        let (q1, _) = s.evaluate(7.0, 40.0, 0.0);
        assert!((q1 - q0 - 7.0 / 0.07).abs() < 1e-9);
    }

    #[test]
    fn two_compliances_decay_with_the_analytic_damping() {
        // C1 –segment– C2 with the pressures free: integrate and compare the decay of the
        // oscillation with the damping ratio of the characteristic polynomial.
        let (c1, c2) = (0.2, 0.18);
        let mut s = AorticSegment::new(0.0, 0.0005, 0.045);
        s.bind(&[0], &Layout::default());
        let zeta = s.damping_ratio(c1, c2);
        let c = c1 * c2 / (c1 + c2);
        let wn = (s.zc_mmhg_s_ml / (s.l_mmhg_s2_ml * c * s.zc_mmhg_s_ml)).sqrt();
        // ζ of a parallel Zc–L link with R = 0: √(L/C) / (2 Zc).
        let want = (s.l_mmhg_s2_ml / c).sqrt() / (2.0 * s.zc_mmhg_s_ml);
        assert!((zeta - want).abs() < 1e-12, "{zeta} vs {want}");
        // Underdamped here (ζ ≈ 0.81): ΔP(t) follows the analytic solution of the second-order
        // system started from ΔP₀ with Q_L = 0.
        assert!(zeta > 0.7 && zeta < 0.9, "{zeta}");
        let (mut v1, mut v2, mut ql) = (c1 * 10.0, 0.0, 0.0);
        let dt = 1e-7;
        let t_end = 0.02;
        for _ in 0..(t_end / dt) as usize {
            let dp = v1 / c1 - v2 / c2;
            let mut dy = [0.0];
            let q = s.flow(dp, 0.0, &[ql], &Workspace::from_values(&[]), &mut dy);
            v1 -= q * dt;
            v2 += q * dt;
            ql += dy[0] * dt;
        }
        let dp = v1 / c1 - v2 / c2;
        // Initial slope: dΔP/dt(0) = −Q(0)/C = −ΔP₀/(Zc C) (Q jumps through Zc).
        let wd = wn * (1.0 - zeta * zeta).sqrt();
        let sigma = zeta * wn;
        let dp0 = 10.0;
        let slope0 = -dp0 / (s.zc_mmhg_s_ml * c);
        let b = (slope0 + sigma * dp0) / wd;
        let want = (-sigma * t_end).exp() * (dp0 * (wd * t_end).cos() + b * (wd * t_end).sin());
        assert!((dp - want).abs() < 1e-3 * dp0, "{dp} vs {want}");
    }

    #[test]
    fn the_balloon_gap_resists_flow_as_an_annulus() {
        let o = Occlusion::new(Signal(0), 20.0, 25.0, 12.5, 0.035);
        assert_eq!(o.resistance(0.0), 0.0);
        // A balloon filling 80 % of the diameter: b = 0.8 cm in a 1 cm radius.
        let v80 = std::f64::consts::PI * 0.64 * 25.0;
        let (a, b) = (1.0f64, 0.8f64);
        let annulus = 1.0 - b.powi(4) - (1.0 - b * b).powi(2) / (a / b).ln();
        let want = 8.0 * 0.035 * 12.5 / std::f64::consts::PI * (1.0 / annulus - 1.0)
            / super::super::DYN_CM2_PER_MMHG;
        assert!(
            (o.resistance(v80) - want).abs() < 1e-12 * want,
            "{}",
            o.resistance(v80)
        );
        // Monotonic in volume, and capped.
        assert!(o.resistance(0.5 * v80) < o.resistance(v80));
        assert_eq!(o.resistance(10.0 * v80), o.resistance(20.0 * v80));
    }
}
