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
}
