//! The integrator's tolerance during the transient to periodic steady state.
//!
//! A run's periods before its residual is small serve only to get near the orbit: the
//! extrapolation needs their beat map to about a tenth of the residual, not to the integrator's
//! noise at the tolerance the decisive periods need (about `10 × rtol` scaled, see
//! [`crate::run::RTOL_PER_STEADY_TOLERANCE`]). So the transient runs at
//! [`LOOSE_RTOL_FACTOR`] times the run's relative and absolute tolerances (at most
//! [`MAX_LOOSE_RTOL`]), and the run goes back to its own for good after the first period whose
//! residual is below [`RELIABLE_PER_RTOL`] times the looser tolerance (about ten times its
//! noise, where contraction estimates stop being reliable too) or whose error estimate already
//! meets `steady.tolerance`, and for the period that can reach `steady.max_beats`. A period at
//! the looser tolerance never decides convergence, its residual gives contraction estimates only
//! above the looser tolerance's noise threshold (also after the switch), and the summary beats
//! run at the run's own tolerance: the result is that of the orbit at the run's tolerance,
//! reached by another path, and meets the same error bound.
//!
//! Dormand–Prince takes `∝ rtol^(−1/5)` steps a beat where accuracy limits them: at the
//! default rtol 1e-6 a loose beat takes about 0.65 of the steps. The constants were chosen on
//! the default sweep (2026-12-03, `--threads 2`, one run each, CPU time a round): 10.3 s
//! without; factor 10 refining at 100× the looser tolerance, 8.8 s; factors 30 and 100, or
//! refining at 30× or 300×, 8.7–9.3 s; a fresh extrapolation history at the switch, 10.4 s
//! (assisted median 28 beats instead of 23: the loose periods' secants are worth more than
//! their noise). Counted instead of timed (the integrator's work is deterministic; 2026-12-03,
//! with the flows at the volumes' absolute tolerance): 16.3 million right-hand side evaluations
//! over the default sweep as shipped, 19.3 without the looser transient, 17.1 at factor 3, 16.8
//! and 17.5 refining at 300× and 1000×, for 0.3–1.7 % fewer beats in all and the same median.
//! The side-by-side measurement and the accuracy against a tight reference are in the README
//! ("Speed").
//!
//! Not used where the transient's beats are the result or the reference: a run with a
//! `[[protocol]]`, an irregular rhythm, `steady.accelerate = false` (plain iteration, the
//! reference the accelerated path is checked against), or `steady.loose_transient = false`.
//! It is used whether or not the run records its beats, so that `simulate`, `simulate --out`
//! and the Python package give the same numbers: the beats of an accelerated transient, with
//! its extrapolated jumps, are a path to the orbit, not a physiological transient.

use crate::steady::{Assessment, RELIABLE_PER_RTOL};

/// The transient's tolerances are this many times the run's.
pub const LOOSE_RTOL_FACTOR: f64 = 10.0;

/// The transient's relative tolerance is at most this (a run whose own is this or looser
/// integrates its transient at its own).
pub const MAX_LOOSE_RTOL: f64 = 1e-4;

/// The integrator's tolerances of a run: looser during the transient, the run's own from the
/// first period near the orbit on (see the module documentation).
#[derive(Debug, Clone)]
pub struct TransientTolerance {
    /// The run's relative and absolute tolerances.
    own: (f64, f64),
    /// The transient's, while the run is in it.
    loose: Option<(f64, f64)>,
    /// Periods recorded at the looser tolerance.
    loose_periods: u64,
}

impl TransientTolerance {
    /// For a run at relative and absolute tolerances `own`; `enabled` is false where the
    /// transient must run at the run's own tolerance (see the module documentation).
    pub fn new(own: (f64, f64), enabled: bool) -> Self {
        let rtol = (own.0 * LOOSE_RTOL_FACTOR).min(MAX_LOOSE_RTOL);
        let loose = (enabled && rtol > own.0).then(|| (rtol, own.1 * rtol / own.0));
        Self {
            own,
            loose,
            loose_periods: 0,
        }
    }

    /// The transient's tolerances, while the run is in it.
    pub fn loose(&self) -> Option<(f64, f64)> {
        self.loose
    }

    /// After a period assessed as `a` (against `steady.tolerance` = `tol`): the run's own
    /// tolerances when it goes back to them now (then this period does not decide convergence).
    pub fn refine_after(&mut self, a: &Assessment, tol: f64) -> Option<(f64, f64)> {
        let (rtol, _) = self.loose?;
        self.loose_periods += 1;
        if a.error < tol || a.residual < RELIABLE_PER_RTOL * rtol {
            self.end()
        } else {
            None
        }
    }

    /// Ends the transient: the run's own tolerances if it was still in it. The period that can
    /// reach `steady.max_beats` runs at them, so that it can decide, and a run that gives up
    /// summarises its last beats at them.
    pub fn end(&mut self) -> Option<(f64, f64)> {
        self.loose.take().map(|_| self.own)
    }

    /// Periods recorded at the looser tolerance.
    pub fn loose_periods(&self) -> u64 {
        self.loose_periods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assessed(residual: f64, error: f64) -> Assessment {
        Assessment {
            residual,
            contraction: 0.9,
            error,
        }
    }

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() <= 1e-12 * b.0 && (a.1 - b.1).abs() <= 1e-12 * b.1
    }

    #[test]
    fn the_transient_is_looser_until_its_residual_nears_the_looser_noise_and_then_for_good() {
        let mut t = TransientTolerance::new((1e-6, 1e-6), true);
        assert!(close(t.loose().expect("loose"), (1e-5, 1e-5)));
        // Far from the orbit: stays loose.
        assert_eq!(t.refine_after(&assessed(1e-2, 1.0), 1e-3), None);
        assert!(close(t.loose().expect("still loose"), (1e-5, 1e-5)));
        // Residual below 100 × 1e-5: back to the run's own.
        assert_eq!(
            t.refine_after(&assessed(5e-4, 5e-2), 1e-3),
            Some((1e-6, 1e-6))
        );
        assert_eq!(t.loose(), None);
        assert_eq!(t.loose_periods(), 2);
        // For good: a larger residual later does not loosen it again.
        assert_eq!(t.refine_after(&assessed(1e-1, 1.0), 1e-3), None);
        assert_eq!(t.loose(), None);
        assert_eq!(t.loose_periods(), 2);
    }

    #[test]
    fn a_run_that_ends_loose_goes_back_to_its_own_once() {
        let mut t = TransientTolerance::new((1e-6, 1e-7), true);
        assert_eq!(t.end(), Some((1e-6, 1e-7)));
        assert_eq!(t.loose(), None);
        assert_eq!(t.end(), None);
    }

    #[test]
    fn a_period_that_meets_the_tolerance_while_loose_only_refines() {
        let mut t = TransientTolerance::new((1e-6, 1e-6), true);
        assert_eq!(
            t.refine_after(&assessed(2e-3, 5e-4), 1e-3),
            Some((1e-6, 1e-6))
        );
    }

    #[test]
    fn disabled_or_already_loose_runs_keep_their_own_tolerance() {
        let mut off = TransientTolerance::new((1e-6, 1e-6), false);
        assert_eq!(off.loose(), None);
        assert_eq!(off.refine_after(&assessed(1e-2, 1.0), 1e-3), None);
        assert_eq!(off.end(), None);
        assert_eq!(off.loose_periods(), 0);
        // A run at rtol 1e-4 has no looser transient (capped at MAX_LOOSE_RTOL).
        assert_eq!(TransientTolerance::new((1e-4, 1e-4), true).loose(), None);
        // One at 3e-5 gets 1e-4, its absolute tolerance in proportion.
        let t = TransientTolerance::new((3e-5, 3e-6), true)
            .loose()
            .expect("loose");
        assert!(close(t, (1e-4, 1e-5)), "{t:?}");
    }
}
