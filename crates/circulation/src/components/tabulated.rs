//! A smooth function of one variable tabulated once with its derivative and evaluated by cubic
//! Hermite interpolation: a few multiplications instead of the transcendental functions of the
//! exact curve, for a curve evaluated at every right-hand side (the heart's activations).
//!
//! On a knot interval `[x_i, x_i + h]` with `s = (x − x_i)/h`, values `v` and derivatives `d`
//! at its ends (de Boor C, *A Practical Guide to Splines*, Springer 1978, ch. IV):
//!
//! `p(s) = (2s³ − 3s² + 1) v_i + (s³ − 2s² + s) h d_i + (3s² − 2s³) v_{i+1} + (s³ − s²) h d_{i+1}`,
//!
//! and the derivative returned is `p'`, the exact derivative of the interpolant (so an integral
//! of the rate over a beat is the change of the value, as for the exact curve). The
//! interpolant is C¹; its error is `h⁴ max|f⁗| / 384` in the value. The table is built with
//! the largest knot spacing whose error, checked against the exact function at the quarter,
//! middle and three-quarter point of every interval, stays within the tolerances asked for;
//! a curve that would need more than [`MAX_KNOTS`] knots is not tabulated.

use std::sync::Arc;

/// Largest table (knots); a curve that needs more is evaluated exactly.
pub const MAX_KNOTS: usize = 1 << 16;

/// Coarsest knot spacing tried, in the function's argument (halved until the errors hold).
const FIRST_STEP: f64 = 1e-3;

/// A function tabulated on `[start, end]`; see the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct HermiteTable {
    start: f64,
    end: f64,
    step: f64,
    inv_step: f64,
    /// Value and derivative at each knot, interleaved (one cache line holds an interval).
    knots: Arc<[f64]>,
}

impl HermiteTable {
    /// Tabulates `f` (returning the value and the derivative) on `[start, end]`, with the value
    /// within `value_tolerance` and the derivative within `rate_tolerance` of `f` everywhere
    /// checked; `None` when that needs more than [`MAX_KNOTS`] knots or the range is empty.
    pub fn new(
        f: impl Fn(f64) -> (f64, f64),
        start: f64,
        end: f64,
        value_tolerance: f64,
        rate_tolerance: f64,
    ) -> Option<Self> {
        if !(start.is_finite() && end.is_finite() && end > start) {
            return None;
        }
        let mut step = FIRST_STEP.min(end - start);
        loop {
            let n = ((end - start) / step).ceil() as usize + 1;
            if n > MAX_KNOTS {
                return None;
            }
            let mut knots = Vec::with_capacity(2 * n);
            for i in 0..n {
                let (v, d) = f(start + i as f64 * step);
                knots.push(v);
                knots.push(d);
            }
            let table = Self {
                start,
                end: start + (n - 1) as f64 * step,
                step,
                inv_step: 1.0 / step,
                knots: knots.into(),
            };
            let accurate = (0..n - 1).all(|i| {
                [0.25, 0.5, 0.75].iter().all(|s| {
                    let x = start + (i as f64 + s) * step;
                    let (v, d) = f(x);
                    let (pv, pd) = table.interpolate(i, *s);
                    (pv - v).abs() <= value_tolerance && (pd - d).abs() <= rate_tolerance
                })
            });
            if accurate {
                return Some(table);
            }
            step *= 0.5;
        }
    }

    /// Value and derivative at `x`, or `None` outside the table.
    #[inline]
    pub fn get(&self, x: f64) -> Option<(f64, f64)> {
        if !(x >= self.start && x < self.end) {
            return None;
        }
        let u = (x - self.start) * self.inv_step;
        // u < n − 1 since x < end, so the interval's right knot exists.
        let i = (u as usize).min(self.knots.len() / 2 - 2);
        Some(self.interpolate(i, u - i as f64))
    }

    #[inline]
    fn interpolate(&self, i: usize, s: f64) -> (f64, f64) {
        let k = &self.knots[2 * i..2 * i + 4];
        let (v0, d0, v1, d1) = (k[0], k[1] * self.step, k[2], k[3] * self.step);
        let s2 = s * s;
        let s3 = s2 * s;
        let value = (2.0 * s3 - 3.0 * s2 + 1.0) * v0
            + (s3 - 2.0 * s2 + s) * d0
            + (3.0 * s2 - 2.0 * s3) * v1
            + (s3 - s2) * d1;
        let slope = (6.0 * (s2 - s)) * (v0 - v1)
            + (3.0 * s2 - 4.0 * s + 1.0) * d0
            + (3.0 * s2 - 2.0 * s) * d1;
        (value, slope * self.inv_step)
    }

    /// Knot spacing chosen, in the function's argument.
    pub fn step(&self) -> f64 {
        self.step
    }

    /// Number of knots.
    pub fn len(&self) -> usize {
        self.knots.len() / 2
    }

    /// Whether the table has no knots (never: a table has at least two).
    pub fn is_empty(&self) -> bool {
        self.knots.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cubic_is_reproduced_exactly() {
        // Cubic Hermite interpolation is exact for cubics: the first spacing passes, up to
        // round-off (the rate's is the value's over the spacing).
        let f = |x: f64| (x * x * x - 2.0 * x + 1.0, 3.0 * x * x - 2.0);
        let t = HermiteTable::new(f, -1.0, 2.0, 1e-12, 1e-9).expect("table");
        assert_eq!(t.step(), 1e-3);
        for i in 0..=300 {
            let x = -1.0 + i as f64 * 0.00997;
            let ((v, d), (pv, pd)) = (f(x), t.get(x).expect("inside"));
            assert!((v - pv).abs() < 1e-12 && (d - pd).abs() < 1e-9, "{x}");
        }
    }

    #[test]
    fn the_spacing_is_refined_until_the_error_holds_everywhere() {
        // sin(10x) has |f⁗| = 1e4: the value error is h⁴·1e4/384, so 1e-12 needs h ≤ 4.4e-4,
        // reached by halving 1e-3 twice; the error then holds between the checked points too.
        let f = |x: f64| ((10.0 * x).sin(), 10.0 * (10.0 * x).cos());
        let t = HermiteTable::new(f, 0.0, 3.0, 1e-12, 1e-6).expect("table");
        assert_eq!(t.step(), 2.5e-4);
        let (mut worst, mut worst_rate): (f64, f64) = (0.0, 0.0);
        for i in 0..300_000 {
            let x = i as f64 * 1e-5 + 0.37e-5;
            if let Some((v, d)) = t.get(x) {
                worst = worst.max((v - f(x).0).abs());
                worst_rate = worst_rate.max((d - f(x).1).abs());
            }
        }
        assert!(
            worst <= 1e-12 && worst_rate <= 1e-6,
            "worst errors {worst:e}, {worst_rate:e}"
        );
    }

    #[test]
    fn outside_the_range_and_unattainable_tolerances_give_none() {
        let f = |x: f64| (x.exp(), x.exp());
        let t = HermiteTable::new(f, 0.0, 1.0, 1e-9, 1e-6).expect("table");
        assert!(t.get(-1e-9).is_none() && t.get(1.0 + 1e-9).is_none() && t.get(f64::NAN).is_none());
        assert!(t.get(0.0).is_some());
        assert!(HermiteTable::new(f, 0.0, 1.0, 0.0, 0.0).is_none());
        assert!(HermiteTable::new(f, 1.0, 1.0, 1e-9, 1e-6).is_none());
    }
}
