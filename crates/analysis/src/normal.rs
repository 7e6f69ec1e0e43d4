//! The standard normal distribution: CDF Φ and quantile Φ⁻¹ to double precision.
//!
//! Φ(x) = ½ erfc(−x/√2) with musl's erfc (the `libm` crate). Φ⁻¹(p) starts from Acklam's
//! rational approximation (relative error 1.2e-9; Acklam PJ, "An algorithm for computing the
//! inverse normal cumulative distribution function", 2003) and takes one Halley step on
//! Φ(x) − p, which brings it to full double precision (Acklam's own refinement).

use std::f64::consts::{PI, SQRT_2};

/// Φ(x), the standard normal CDF.
pub fn cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / SQRT_2)
}

/// Φ⁻¹(p) for 0 < p < 1 (−∞ at 0, +∞ at 1, NaN outside).
pub fn quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.024_25;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < P_LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - P_LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    // Halley step on f(x) = Φ(x) − p (in the upper tail on the complement, for accuracy).
    let e = if p > 0.5 {
        -(0.5 * libm::erfc(x / SQRT_2) - (1.0 - p))
    } else {
        cdf(x) - p
    };
    let u = e * (2.0 * PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // Abramowitz & Stegun, Table 26.1 / 26.5.
        assert!((cdf(0.0) - 0.5).abs() < 1e-16);
        assert!((cdf(1.0) - 0.841_344_746_068_542_9).abs() < 1e-15);
        assert!((cdf(-2.0) - 0.022_750_131_948_179_2).abs() < 1e-16);
        assert!((quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
        assert!((quantile(0.5)).abs() < 1e-15);
        assert!((quantile(0.05) + 1.644_853_626_951_472_6).abs() < 1e-14);
        assert!((quantile(1e-10) + 6.361_340_902_404_056).abs() < 1e-11);
        assert_eq!(quantile(0.0), f64::NEG_INFINITY);
        assert!(quantile(1.5).is_nan());
    }

    #[test]
    fn quantile_inverts_the_cdf() {
        for i in 1..2000 {
            let p = i as f64 / 2000.0;
            let x = quantile(p);
            assert!((cdf(x) - p).abs() < 2e-16 * p.max(1.0 - p) * 8.0, "{p}");
            assert!((quantile(1.0 - p) + x).abs() < 1e-12, "symmetry at {p}");
        }
    }
}
