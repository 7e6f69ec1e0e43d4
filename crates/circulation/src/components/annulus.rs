//! Laminar flow through a concentric annulus: the lumen left between a vessel wall of radius
//! `a` and a cylinder of radius `b` inside it (a balloon, a sheath, a catheter shaft).
//!
//! `R = (8 μ ℓ / π) / (a⁴ − b⁴ − (a² − b²)² / ln(a/b))` (Poiseuille flow in a concentric
//! annulus; Bird RB, Stewart WE, Lightfoot EN, Transport Phenomena, 2nd ed., §2.4), which is
//! `8 μ ℓ / (π a⁴)`, Poiseuille's tube, for `b → 0`. Lengths in cm, μ in poise; the result in
//! mmHg·s/mL.

use super::DYN_CM2_PER_MMHG;

/// `8 μ ℓ / π`, converted to mmHg·s·cm⁴/mL (μ in poise, ℓ in cm): divided by an annulus term
/// in cm⁴ it gives mmHg·s/mL.
#[inline]
pub fn viscous_coefficient(viscosity_poise: f64, length_cm: f64) -> f64 {
    8.0 * viscosity_poise * length_cm / std::f64::consts::PI / DYN_CM2_PER_MMHG
}

/// The annulus term `a⁴ − b⁴ − (a² − b²)² / ln(a/b)`, cm⁴, for `0 ≤ b < a` (cm); `a⁴` for a
/// core thinner than 1 µm.
#[inline]
pub fn annulus_term(a_cm: f64, b_cm: f64) -> f64 {
    let (a2, b2) = (a_cm * a_cm, b_cm * b_cm);
    let a4 = a2 * a2;
    // (a² − b²)² / ln(a/b) → 0 as b → 0.
    if b_cm < 1e-4 {
        return a4;
    }
    a4 - b2 * b2 - (a2 - b2) * (a2 - b2) / (a_cm / b_cm).ln()
}

/// Resistance of `length_cm` of an annulus between radii `a_cm` > `b_cm`, mmHg·s/mL.
#[inline]
pub fn annulus_resistance(viscosity_poise: f64, length_cm: f64, a_cm: f64, b_cm: f64) -> f64 {
    viscous_coefficient(viscosity_poise, length_cm) / annulus_term(a_cm, b_cm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thin_core_gives_poiseuille_and_the_annulus_flow_integrates_to_the_formula() {
        let (mu, l, a) = (0.035, 10.0, 0.4f64);
        let tube = mu * 8.0 * l / (std::f64::consts::PI * a.powi(4)) / DYN_CM2_PER_MMHG;
        assert!((annulus_resistance(mu, l, a, 0.0) - tube).abs() < 1e-12 * tube);
        // Integrate the annular velocity profile numerically for b = a/2 and compare the flow.
        // u(r) = G/(4μ) [a² − r² + (a² − b²) ln(r/a) / ln(a/b)], G = ΔP/ℓ.
        let b = 0.2;
        let g = 1.0;
        let n = 200_000;
        let dr = (a - b) / n as f64;
        let q: f64 = (0..n)
            .map(|i| {
                let r = b + (i as f64 + 0.5) * dr;
                let u = g / (4.0 * mu)
                    * (a * a - r * r + (a * a - b * b) * (r / a).ln() / (a / b).ln());
                2.0 * std::f64::consts::PI * r * u * dr
            })
            .sum();
        let r_numeric = g * l / q / DYN_CM2_PER_MMHG;
        let r = annulus_resistance(mu, l, a, b);
        assert!((r - r_numeric).abs() < 1e-6 * r, "{r} vs {r_numeric}");
    }
}
