//! Smooth versions of `max` used where a law switches (a waterfall, a collapsing cannula), so
//! that the right-hand side stays differentiable for the adaptive integrator.

/// Smooth `max(a, b)` with rounding width `w` (same units): exact far from `a = b`.
#[inline]
pub fn smooth_max(a: f64, b: f64, w: f64) -> f64 {
    0.5 * (a + b + ((a - b) * (a - b) + w * w).sqrt())
}

/// Smooth `max(x, 0)` with rounding width `w`.
#[inline]
pub fn smooth_relu(x: f64, w: f64) -> f64 {
    0.5 * (x + (x * x + w * w).sqrt())
}

/// `clamp(x, 0, 1)` with its two corners rounded by parabolas of half-width `d`: exactly 0 below
/// `−d`, exactly `x` between `d` and `1 − d`, exactly 1 above `1 + d`, continuously
/// differentiable everywhere.
#[inline]
pub fn soft_clamp01(x: f64, d: f64) -> f64 {
    if x <= -d {
        0.0
    } else if x < d {
        (x + d) * (x + d) / (4.0 * d)
    } else if x <= 1.0 - d {
        x
    } else if x < 1.0 + d {
        1.0 - (1.0 + d - x) * (1.0 + d - x) / (4.0 * d)
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_far_from_the_switch_and_smooth_at_it() {
        assert!((smooth_max(10.0, 2.0, 0.5) - 10.0).abs() < 0.01);
        assert!((smooth_max(2.0, 10.0, 0.5) - 10.0).abs() < 0.01);
        assert_eq!(smooth_max(3.0, 3.0, 1.0), 3.5);
        assert!(smooth_relu(-10.0, 0.5) < 0.01 && smooth_relu(-10.0, 0.5) > 0.0);
        assert_eq!(smooth_relu(0.0, 1.0), 0.5);
    }

    #[test]
    fn soft_clamp_is_exact_away_from_its_corners_and_continuous_at_them() {
        let d = 0.05;
        assert_eq!(soft_clamp01(-0.2, d), 0.0);
        assert_eq!(soft_clamp01(0.5, d), 0.5);
        assert_eq!(soft_clamp01(1.2, d), 1.0);
        for c in [-d, d, 1.0 - d, 1.0 + d] {
            let (a, b) = (soft_clamp01(c - 1e-9, d), soft_clamp01(c + 1e-9, d));
            assert!((a - b).abs() < 1e-8, "value at {c}");
            let slope = |x: f64| (soft_clamp01(x + 1e-7, d) - soft_clamp01(x - 1e-7, d)) / 2e-7;
            assert!(
                (slope(c - 1e-5) - slope(c + 1e-5)).abs() < 1e-3,
                "slope at {c}"
            );
        }
    }
}
