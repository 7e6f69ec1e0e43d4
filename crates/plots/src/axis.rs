//! A numeric axis for plotters, linear or logarithmic, with round ticks.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

use crate::PlotError;

/// Range of one axis; `log` maps `log10(v)` linearly (values must be positive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// Logarithmic.
    pub log: bool,
}

impl Axis {
    /// A linear axis.
    pub fn linear(lo: f64, hi: f64) -> Axis {
        Axis { lo, hi, log: false }
    }

    /// The axis of data spanning `lo..hi`, or `fixed` when the user gave limits; on a log axis
    /// the data must be positive.
    pub fn of(
        what: &str,
        (lo, hi): (f64, f64),
        fixed: Option<(f64, f64)>,
        log: bool,
    ) -> Result<Axis, PlotError> {
        let (lo, hi) = fixed.unwrap_or((lo, hi));
        if log && lo <= 0.0 {
            return Err(PlotError::Options(format!(
                "{what}: a log axis needs positive values, and this one reaches {} (set limits above 0)",
                crate::tick(lo)
            )));
        }
        Ok(Axis { lo, hi, log })
    }

    fn f(&self, v: f64) -> f64 {
        if self.log { v.max(1e-300).log10() } else { v }
    }

    /// Round tick values inside the axis: 1, 2, 5 × 10^k steps (linear), decades or 1-2-5
    /// within decades (log); at most `max` of them.
    pub fn ticks(&self, max: usize) -> Vec<f64> {
        let max = max.max(2);
        let (lo, hi) = (self.lo.min(self.hi), self.lo.max(self.hi));
        if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
            return vec![lo];
        }
        if self.log {
            let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
            for mult in [&[1.0, 2.0, 5.0][..], &[1.0, 3.0][..], &[1.0][..]] {
                let v: Vec<f64> = (a..=b)
                    .flat_map(|e| mult.iter().map(move |m| m * 10f64.powi(e)))
                    .filter(|v| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9))
                    .collect();
                if v.len() <= max && v.len() >= 2 {
                    return v;
                }
            }
            let step = ((b - a) as usize).div_ceil(max - 1).max(1);
            return (a..=b)
                .step_by(step)
                .map(|e| 10f64.powi(e))
                .filter(|v| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9))
                .collect();
        }
        let raw = (hi - lo) / (max - 1) as f64;
        let mag = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .find(|s| (((hi - lo) / s).floor() as usize) < max)
            .unwrap_or(10.0 * mag);
        let first = (lo / step - 1e-9).ceil();
        let mut out = Vec::new();
        let mut k = first;
        while k * step <= hi + 1e-9 * step {
            let v = k * step;
            out.push(if v.abs() < 1e-12 * step { 0.0 } else { v });
            k += 1.0;
        }
        out
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = (self.f(self.lo), self.f(self.hi));
        let u = if b != a {
            (self.f(*value) - a) / (b - a)
        } else {
            0.5
        };
        let px = limit.0 as f64 + u * (limit.1 - limit.0) as f64;
        px.clamp(-1e7, 1e7).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        self.ticks(hint.max_num_points().clamp(2, 9))
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_inside() {
        let a = Axis::linear(0.0, 97.0);
        assert_eq!(a.ticks(6), vec![0.0, 20.0, 40.0, 60.0, 80.0]);
        let a = Axis::linear(-0.13, 0.42);
        let t = a.ticks(7);
        assert!(t.iter().all(|v| *v >= -0.13 && *v <= 0.42), "{t:?}");
        assert!(t.contains(&0.0), "{t:?}");
        let l = Axis::of("x", (1.0, 1000.0), None, true).expect("positive");
        assert_eq!(l.ticks(4), vec![1.0, 10.0, 100.0, 1000.0]);
        assert_eq!(l.map(&10.0, (0, 300)), 100);
        assert!(Axis::of("x", (0.0, 10.0), None, true).is_err());
        assert!(Axis::of("x", (0.0, 10.0), Some((0.5, 10.0)), true).is_ok());
    }
}
