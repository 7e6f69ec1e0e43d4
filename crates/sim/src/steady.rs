//! Periodic steady state: the convergence test, its error estimate, and the acceleration
//! towards the orbit.
//!
//! **Beat map.** Let `x` be the states that carry memory from beat to beat (compartment
//! volumes, slow controllers; see [`counterpulse_circulation::Memory`]) at an R wave, and
//! `G(x)` the same states one assist period later (k beats at 1:k). The periodic orbit is the
//! fixed point `x* = G(x*)`. Each state is scaled by `s_i = max(|x_i|, floor_i)` (its size at
//! the first R wave tested, with the floor of its [`StateSpec`](counterpulse_circulation::components::StateSpec)),
//! so all differences below are relative.
//!
//! **Error estimate.** Near the orbit `G` is contracting with spectral radius `λ < 1` (the
//! slowest modes: the venous/arterial volume shift, 0.8–0.9 a beat; the LAD territory's function
//! (τ = 10 s) and the coronary autoregulation (τ = 6 s), about 0.9–0.95 a beat; the
//! baroreflex's venous arm (τ = 20 s), 0.97 at 100 bpm). For a
//! contraction, `‖x − x*‖ ≤ ‖G(x) − x‖ / (1 − λ)`, so each period gives
//! `error = max_i |G(x)_i − x_i| / s_i / (1 − λ̂)`: the estimated largest relative distance of
//! a carried state to the orbit. It is an estimate, not a bound: the beat map is not normal and
//! `λ̂` is estimated; against tight reference orbits (tests/steady_state.rs prints the table)
//! the true distance was 0.12–0.54 times the estimate on the presets' baselines and 0.13 on a
//! warm-started assisted run of the default sweep (2026-12-02). `steady.tolerance` bounds this
//! error.
//! `λ̂` is the larger of the ratio of the last two residuals of plain (unextrapolated) periods
//! and the spectral radius of the beat map's Jacobian restricted to the span of the recent steps
//! (Ritz values from the secant pairs `ΔG ≈ J ΔX`, the radius by repeated squaring), capped at
//! [`MAX_CONTRACTION`]; the error uses the largest estimate below the cap of the last [`DEPTH`] + 1 periods. Without three periods of history (two ratios: one alone is often the fast modes' decay, seen from a start near the orbit) there is no estimate, and the error assumes `λ = MAX_CONTRACTION`.
//!
//! **Acceleration.** Anderson acceleration (type II, depth [`DEPTH`]; Walker HF & Ni P, SIAM J
//! Numer Anal 2011;49:1715) on the beat map: with `f = G(x) − x` and the differences `ΔF`, `ΔG`
//! of the last periods, `γ = argmin ‖f_k − ΔF γ‖₂` and `x_{k+1} = G(x_k) − ΔG γ`. On a linear
//! map this is equivalent to GMRES: a handful of slow first-order modes are removed in about as
//! many periods. Safeguards: plain periods first ([`PLAIN_PERIODS`]), a step no longer than
//! [`MAX_STEP`] (scaled), states kept within their bounds, and a restart with a plain period
//! whenever an extrapolation made the residual grow, a fresh history after [`STALL_PERIODS`]
//! periods without a new smallest residual, and plain iteration for the rest of the run after
//! [`STALL_RESTARTS`] such fresh starts; an extrapolated start that cannot be integrated is
//! rolled back by the run and the history starts afresh, [`FAILED_STARTS`] times. Only the
//! path changes: the error bound is
//! checked on periods of the true model, and the summary beats that follow are plain beats.
//! The combination is affine (coefficients summing to one) and every iterate holds the same
//! blood volume, so the volume is conserved to round-off.
//!
//! **Lags.** The controllers' states are first-order lags, `τ ẋ = u(t) − x` (the baroreflex's
//! sensing filter and arms, τ = 2–20 s; the LAD territory's O2 filters and function; the
//! coronary autoregulation): over a period of length `T` a lag ends at
//! `a x + (1 − a) ū`, `a = e^{−T/τ}`, so its beat-map eigenvalue alone is `a` (0.97 a beat for
//! the 20 s venous arm at 100 bpm). Its periodic value for the same input is
//! `H(x) = x + (G(x) − x) / (1 − a)`, exact for the period's input `u(t)`. Anderson works on
//! `H` (the other states keep `H = G`), which has the same fixed points as `G` (H = x exactly
//! where G = x) with the lags' own slow relaxation divided out, leaving the loops they close
//! through the circulation (a left preconditioner, `diag(1/(1 − a))`, of the fixed-point
//! problem). Convergence is still judged on `G`: the residual, `λ̂` and the error are those
//! of the true beat map, with two safeguards that the faster path needs. The Ritz values
//! miss a lag's slow mode once the search has damped it, so `λ̂` is at least the slowest
//! lag's own `a` (not a bound where a lag closes a positive-feedback loop, e.g. the territory's
//! function → Emax → coronary flow → supply, which can relax more slowly than the lag alone).
//! And an extrapolated start can land where one period changes little while the state is still
//! off, so a run stops only on a period that began from a plain (not extrapolated) start (the
//! first period after a sweep's warm-start jump counts as plain; its `λ̂` is the cautious
//! [`MAX_CONTRACTION`] until three periods are in). Without them, 11 default-sweep points ended with an assisted CO
//! further from a `steady.tolerance = 1e-6` reference than their stated error (up to 3.3×;
//! `tests/steady_state.rs` checks one of them in the states). Measured on the default sweep
//! (2026-12-02, against main at 83a6e40): assisted runs median / p90 / largest 27 / 37 / 72 →
//! 24 / 33 / 47 beats to steady state, 8.9k → 8.0k beats in all, the largest relative
//! difference of an assisted CO from the tight reference 3.7e-4 → 2.7e-4.

use std::collections::VecDeque;

/// Periods of history used by the extrapolation. Measured on the default sweep (2026-12-02,
/// baroreflex on, median / largest beats to steady state, baseline and assisted): depth 5
/// 21 / 120 and 31 / 59; 6: 20 / 47 and 29 / 78; 8: 21 / 137 and 28 / 57; 12: 22 / 229 and
/// 31 / 83. Beyond the slow modes' count the history reaches back to the start's transient.
pub const DEPTH: usize = 6;
/// Plain periods before the first extrapolation (the start is far from the orbit).
pub const PLAIN_PERIODS: usize = 2;
/// Largest change of a scaled unbounded state (a volume) that one extrapolation may make
/// (the whole step is shortened to keep it).
pub const MAX_STEP: f64 = 0.1;
/// A bounded state that moves by nearly the same step each period (a ratio of successive
/// changes within `1 ± RAMP_RATIO`: a controller running into its limit, not a contracting
/// mode) and would reach its bound within `RAMP_REACH` periods is moved onto the bound.
pub const RAMP_RATIO: f64 = 0.1;
/// See [`RAMP_RATIO`].
pub const RAMP_REACH: f64 = 30.0;
/// An extrapolation after which the residual grew by more than this factor restarts the
/// history (small growth is common while the history fills).
pub const RESTART_GROWTH: f64 = 2.0;
/// Extrapolated periods without a new smallest residual after which the extrapolation starts
/// again from a fresh history (Anderson can stall on a history from far away or across a
/// non-smooth change, e.g. the autoregulation starting or stopping to touch its limit in a
/// beat, or a state held at its bound, as the LAD territory's function is at its floor in
/// shock), [`STALL_RESTARTS`] times, and is then given up for the rest of the run (plain
/// iteration converges at the rate `λ`).
pub const STALL_PERIODS: usize = 2 * DEPTH;
/// Fresh starts of the extrapolation after a stall (see [`STALL_PERIODS`]). Giving up at the
/// first stall left some default-sweep points to plain iteration at λ ≈ 0.98–0.997 (up to 678
/// beats); with 2 fresh starts the slowest took 143 beats, with 5 106 (2026-12-01, at depth 5,
/// i.e. stalls after 10 periods).
pub const STALL_RESTARTS: usize = 3;
/// Contraction factor assumed when there is no reliable estimate, and the largest one
/// estimated: a mode slower than 100 periods (τ > 100 beats, a minute at rest) cannot be told
/// from a drift. A declared lag's own `e^{−T/τ}` is known, not estimated, and may exceed it
/// (the slowest at the defaults, the baroreflex's 20 s venous arm, is 0.97 at 100 bpm).
pub const MAX_CONTRACTION: f64 = 0.99;
/// An estimate of `λ` is made only from periods whose residual is above this many times the
/// integrator's relative tolerance: below it the beat map's numerical noise (different step
/// sequences) swamps the ratios. The noise was measured at about 0.1 × rtol in the presets'
/// volumes (2026-12-01) and at 5–30 × rtol in cardiogenic shock at rtol 1e-9 (right atrial
/// volume, the LAD territory's O2-demand filter; 2026-12-02), so estimates come from residuals
/// at least 3–10 times the noise. The last reliable estimates are kept.
pub const RELIABLE_PER_RTOL: f64 = 100.0;

/// Fresh starts of the extrapolation after an extrapolated start that could not be integrated
/// (the run stops extrapolating at the next failure). Stopping at the first cost a default-sweep
/// point 119 beats of plain iteration (cardiogenic shock, HR 60, 25 mL, 95 %: an early
/// extrapolation from the balloon's start-up transient underflowed the step size); with a
/// fresh history after it, 34.
pub const FAILED_STARTS: usize = 2;

/// A state tested for periodic steady state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestedState {
    /// Position in the state vector.
    pub index: usize,
    /// Smallest scale of its relative change.
    pub scale_floor: f64,
    /// Lowest meaningful value (extrapolation stays above it).
    pub min: f64,
    /// Highest meaningful value.
    pub max: f64,
    /// Time constant when the state is a first-order lag (a controller), s: the extrapolation
    /// works on its periodic value for the period's input (see the module docs).
    pub relaxation_time_s: Option<f64>,
}

/// The tested `states` of `y` divided by their scales, `s_i = max(|x_i|, floor_i)` taken from
/// the first state scaled (`scale` is empty until then; see the module documentation).
pub(crate) fn scaled_states(states: &[TestedState], scale: &mut Vec<f64>, y: &[f64]) -> Vec<f64> {
    if scale.is_empty() {
        *scale = states
            .iter()
            .map(|s| y[s.index].abs().max(s.scale_floor))
            .collect();
    }
    states
        .iter()
        .zip(scale.iter())
        .map(|(s, sc)| y[s.index] / sc)
        .collect()
}

/// Unbounded states `0..n` of scale floor 1 and no relaxation time, for tests.
#[cfg(test)]
pub(crate) fn unbounded_states(n: usize) -> Vec<TestedState> {
    (0..n)
        .map(|index| TestedState {
            index,
            scale_floor: 1.0,
            min: f64::NEG_INFINITY,
            max: f64::INFINITY,
            relaxation_time_s: None,
        })
        .collect()
}

/// What one period says about the state it started from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assessment {
    /// Largest scaled change of a tested state over the period, `max |G(x) − x| / s`.
    pub residual: f64,
    /// Estimated contraction factor of the beat map per period, `λ̂` (1 when unknown).
    pub contraction: f64,
    /// Estimated largest relative distance of a tested state to the orbit,
    /// `residual / (1 − λ̂)` (infinite when `λ̂` is unknown).
    pub error: f64,
}

/// Tracks periods of the beat map, judges convergence and proposes extrapolated starts.
#[derive(Debug, Clone)]
pub struct PeriodicSolver {
    states: Vec<TestedState>,
    scale: Vec<f64>,
    /// Scaled starts and ends of the last periods (oldest first).
    xs: VecDeque<Vec<f64>>,
    gs: VecDeque<Vec<f64>>,
    /// The ends with each lag at its periodic value for the period's input, `H(x)`.
    hs: VecDeque<Vec<f64>>,
    /// Whether each recorded period started from an extrapolated state.
    extrapolated: VecDeque<bool>,
    /// Residuals of the recorded periods.
    residuals: VecDeque<f64>,
    /// The reliability threshold of each recorded period: [`RELIABLE_PER_RTOL`] times the
    /// integrator's relative tolerance it ran at (a looser transient's periods keep theirs).
    reliable_above_at: VecDeque<f64>,
    /// Whether the next period starts from an extrapolated state.
    next_extrapolated: bool,
    periods: usize,
    accelerate: bool,
    /// Residuals above this give reliable contraction estimates.
    reliable_above: f64,
    /// Smallest residual so far and the periods since it was reached.
    best: f64,
    since_best: usize,
    /// Fresh starts after a stall so far.
    stall_restarts: usize,
    /// The next call of `extrapolate` starts the history again.
    stall_reset: bool,
    /// Extrapolated starts that could not be integrated so far.
    failed_starts: usize,
    /// The reliable estimates of `λ` of the last periods.
    estimates: VecDeque<f64>,
    /// The largest of them.
    lambda: Option<f64>,
}

impl PeriodicSolver {
    /// A solver for the tested `states` of a run integrated at relative tolerance `rtol`;
    /// `accelerate` enables the extrapolation.
    pub fn new(states: Vec<TestedState>, accelerate: bool, rtol: f64) -> Self {
        Self {
            states,
            scale: Vec::new(),
            xs: VecDeque::new(),
            gs: VecDeque::new(),
            hs: VecDeque::new(),
            extrapolated: VecDeque::new(),
            residuals: VecDeque::new(),
            reliable_above_at: VecDeque::new(),
            next_extrapolated: false,
            periods: 0,
            accelerate,
            reliable_above: RELIABLE_PER_RTOL * rtol,
            best: f64::INFINITY,
            since_best: 0,
            stall_restarts: 0,
            stall_reset: false,
            failed_starts: 0,
            estimates: VecDeque::new(),
            lambda: None,
        }
    }

    /// The integrator's relative tolerance changed to `rtol` for the periods that follow: their
    /// residuals give contraction estimates above its noise (the periods already recorded keep
    /// the threshold of the tolerance they ran at).
    pub fn set_rtol(&mut self, rtol: f64) {
        self.reliable_above = RELIABLE_PER_RTOL * rtol;
    }

    /// Whether the last recorded period started from an extrapolated state.
    pub fn last_extrapolated(&self) -> bool {
        self.extrapolated.back().copied().unwrap_or(false)
    }

    /// An extrapolated start could not be integrated (the run went back to the state it
    /// replaced): the extrapolation starts again from a fresh history, [`FAILED_STARTS`]
    /// times, and stops for the rest of the run at the next failure.
    pub fn failed_start(&mut self) {
        self.failed_starts += 1;
        self.reset();
        self.since_best = 0;
        if self.failed_starts > FAILED_STARTS {
            self.accelerate = false;
        }
    }

    /// Forgets the history (the beat map changed: a protocol step, a new assist ratio).
    pub fn reset(&mut self) {
        self.xs.clear();
        self.gs.clear();
        self.hs.clear();
        self.extrapolated.clear();
        self.residuals.clear();
        self.reliable_above_at.clear();
        self.next_extrapolated = false;
        self.periods = 0;
    }

    fn scaled(&mut self, y: &[f64]) -> Vec<f64> {
        scaled_states(&self.states, &mut self.scale, y)
    }

    /// Records a period of `period_s` seconds that started at `start` and ended at `end` (full
    /// state vectors) and assesses `start`.
    pub fn record(&mut self, start: &[f64], end: &[f64], period_s: f64) -> Assessment {
        let x = self.scaled(start);
        let g = self.scaled(end);
        // H(x): a lag `τ ẋ = u − x` ends the period at `a x + (1 − a) ū`, a = e^{−T/τ}; its
        // periodic value for the same input is `ū = x + (G(x) − x) / (1 − a)`.
        let h: Vec<f64> = self
            .states
            .iter()
            .zip(x.iter().zip(&g))
            .map(|(s, (x, g))| match s.relaxation_time_s {
                Some(tau) if tau > 0.0 && period_s > 0.0 => {
                    x + (g - x) / -(-period_s / tau).exp_m1()
                }
                _ => *g,
            })
            .collect();
        self.hs.push_back(h);
        let residual = x
            .iter()
            .zip(&g)
            .map(|(a, b)| (b - a).abs())
            .fold(0.0, f64::max);
        self.xs.push_back(x);
        self.gs.push_back(g);
        self.extrapolated.push_back(self.next_extrapolated);
        self.residuals.push_back(residual);
        self.reliable_above_at.push_back(self.reliable_above);
        if residual < self.best {
            self.best = residual;
            self.since_best = 0;
        } else {
            self.since_best += 1;
            if self.accelerate && self.since_best >= STALL_PERIODS {
                if self.stall_restarts < STALL_RESTARTS {
                    self.stall_restarts += 1;
                    self.since_best = 0;
                    self.best = residual;
                    self.stall_reset = true;
                } else {
                    self.accelerate = false;
                }
            }
        }
        self.next_extrapolated = false;
        self.periods += 1;
        while self.xs.len() > DEPTH + 1 {
            self.xs.pop_front();
            self.gs.pop_front();
            self.hs.pop_front();
            self.extrapolated.pop_front();
            self.residuals.pop_front();
            self.reliable_above_at.pop_front();
        }
        // The slowest mode persists to the orbit, but the Ritz values of a few secant pairs can
        // miss it once Anderson has damped it (an estimate of 0.09 right after an extrapolation
        // where the LAD territory relaxes at 0.95 a beat): `λ̂` is the largest estimate of the
        // last periods. A period that did not contract (a ratio at the cap, after a restart or
        // in the noise) says nothing about the rate and is left out once there is an estimate.
        if let Some(l) = self.contraction() {
            if l < MAX_CONTRACTION || self.estimates.is_empty() {
                self.estimates.push_back(l);
            }
            while self.estimates.len() > DEPTH + 1 {
                self.estimates.pop_front();
            }
            self.lambda = self.estimates.iter().copied().reduce(f64::max);
        }
        // The search removes the lags' slow modes from the path, and the Ritz values then miss
        // them: the contraction is taken to be at least the slowest lag's own `a` (not capped
        // at MAX_CONTRACTION: a declared τ is known, not estimated).
        let slowest_lag = self
            .states
            .iter()
            .filter_map(|s| s.relaxation_time_s)
            .map(|tau| (-period_s / tau).exp())
            .fold(0.0, f64::max);
        let contraction = self.lambda.unwrap_or(MAX_CONTRACTION).max(slowest_lag);
        let error = residual / (1.0 - contraction);
        Assessment {
            residual,
            contraction,
            error,
        }
    }

    /// `λ̂`: the larger of the last plain ratio and the Ritz estimate (see the module docs),
    /// when the periods it comes from are above the noise.
    fn contraction(&self) -> Option<f64> {
        let n = self.residuals.len();
        if n < 3
            || self
                .residuals
                .iter()
                .zip(&self.reliable_above_at)
                .any(|(r, floor)| r < floor)
        {
            return None;
        }
        let mut lambda: f64 = 0.0;
        // The ratio of two successive plain periods (the second started where the first ended).
        if !self.extrapolated[n - 1] && self.residuals[n - 2] > 0.0 {
            lambda = lambda.max(self.residuals[n - 1] / self.residuals[n - 2]);
        }
        let dx = differences(&self.xs);
        let dg = differences(&self.gs);
        if let Some(b) = least_squares(&dx, &dg) {
            lambda = lambda.max(spectral_radius(&b));
        }
        Some(if lambda.is_finite() {
            lambda.min(MAX_CONTRACTION)
        } else {
            MAX_CONTRACTION
        })
    }

    /// Forgets the history but the last period (kept as a plain one) and counts `periods`.
    fn restart_from_last(&mut self, periods: usize) {
        let (x, g, h, r, floor) = (
            self.xs.pop_back(),
            self.gs.pop_back(),
            self.hs.pop_back(),
            self.residuals.pop_back(),
            self.reliable_above_at.pop_back(),
        );
        self.reset();
        if let (Some(x), Some(g), Some(h), Some(r), Some(floor)) = (x, g, h, r, floor) {
            self.xs.push_back(x);
            self.gs.push_back(g);
            self.hs.push_back(h);
            self.residuals.push_back(r);
            self.reliable_above_at.push_back(floor);
            self.extrapolated.push_back(false);
        }
        self.periods = periods;
    }

    /// After [`PeriodicSolver::record`]: moves the tested states of `end` (the start of the
    /// next period) to the extrapolated fixed point. Returns whether it changed `end`.
    pub fn extrapolate(&mut self, end: &mut [f64]) -> bool {
        if self.stall_reset {
            // Start the history again from this period (its start and end are kept).
            self.stall_reset = false;
            self.restart_from_last(1);
            return false;
        }
        let n = self.residuals.len();
        if !self.accelerate || self.periods <= PLAIN_PERIODS || n < 2 {
            return false;
        }
        // The last extrapolation made things clearly worse: start again from a plain period.
        if self.extrapolated[n - 1]
            && self.residuals[n - 1] > RESTART_GROWTH * self.residuals[n - 2]
        {
            self.restart_from_last(PLAIN_PERIODS + 1);
            return false;
        }
        // Anderson on H, which has the same fixed points as G without the lags' own slow
        // relaxation.
        let f: Vec<Vec<f64>> = self
            .xs
            .iter()
            .zip(&self.hs)
            .map(|(x, h)| h.iter().zip(x).map(|(a, b)| a - b).collect())
            .collect();
        let df = differences(&f.iter().cloned().collect());
        let dg = differences(&self.hs);
        let Some(fk) = f.last() else { return false };
        let Some(gamma) = solve_columns(&df, fk) else {
            return false;
        };
        let Some(hk) = self.hs.back() else {
            return false;
        };
        let mut step: Vec<f64> = (0..hk.len())
            .map(|i| -dg.iter().zip(&gamma).map(|(c, w)| c[i] * w).sum::<f64>())
            .collect();
        if step.iter().any(|v| !v.is_finite()) {
            return false;
        }
        // The trust region holds for unbounded states (volumes); bounded ones (controllers)
        // are kept inside their bounds instead, so a controller can cross its range at once.
        let largest = step
            .iter()
            .zip(&self.states)
            .filter(|(_, s)| !(s.min.is_finite() || s.max.is_finite()))
            .fold(0.0_f64, |m, (v, _)| m.max(v.abs()));
        if largest > MAX_STEP {
            let shrink = MAX_STEP / largest;
            step.iter_mut().for_each(|v| *v *= shrink);
        }
        let (xk, gk) = (&self.xs[n - 1], &self.gs[n - 1]);
        let (xp, gp) = (&self.xs[n - 2], &self.gs[n - 2]);
        for (j, ((s, sc), (d, h))) in self
            .states
            .iter()
            .zip(&self.scale)
            .zip(step.iter().zip(hk))
            .enumerate()
        {
            let g = gk[j];
            let (now, before) = (g - xk[j], gp[j] - xp[j]);
            let bound = if now > 0.0 { s.max } else { s.min };
            // A lag relaxing towards a target inside its bounds also changes by nearly the same
            // step each period (a ratio e^{−T/τ}): it ramps only when its periodic value `h`
            // lies on or beyond the bound (the baroreflex's arms, whose targets are a tanh of
            // the saturation, never reach it; the autoregulation at its limit does).
            let lag_inside = s.relaxation_time_s.is_some()
                && if now > 0.0 {
                    h * sc < s.max
                } else {
                    h * sc > s.min
                };
            let ramp = now * before > 0.0
                && (now / before - 1.0).abs() <= RAMP_RATIO
                && bound.is_finite()
                && !lag_inside
                && (bound / sc - g).abs() <= RAMP_REACH * now.abs();
            end[s.index] = if ramp {
                bound
            } else {
                ((h + d) * sc).clamp(s.min, s.max)
            };
        }
        self.next_extrapolated = true;
        true
    }
}

/// Column differences `v_{j+1} − v_j` of a sequence of vectors.
fn differences(v: &VecDeque<Vec<f64>>) -> Vec<Vec<f64>> {
    v.iter()
        .zip(v.iter().skip(1))
        .map(|(a, b)| b.iter().zip(a).map(|(p, q)| p - q).collect())
        .collect()
}

/// Least squares `min ‖A c − b‖₂` for the columns `a` of A, by modified Gram–Schmidt QR with
/// nearly dependent columns dropped (their coefficient is 0).
fn solve_columns(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let m = a.len();
    if m == 0 {
        return None;
    }
    let mut q: Vec<Vec<f64>> = Vec::with_capacity(m);
    let mut r = vec![vec![0.0; m]; m];
    let mut kept = vec![false; m];
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    for j in 0..m {
        let mut v = a[j].clone();
        let original = norm(&v);
        for (i, qi) in q.iter().enumerate() {
            let c: f64 = qi.iter().zip(&v).map(|(x, y)| x * y).sum();
            r[i][j] = c;
            v.iter_mut().zip(qi).for_each(|(x, y)| *x -= c * y);
        }
        let nv = norm(&v);
        // A column inside the span of the earlier ones adds nothing but noise.
        if nv.is_nan() || nv <= 1e-10 * original || nv == 0.0 {
            q.push(vec![0.0; v.len()]);
            continue;
        }
        r[j][j] = nv;
        v.iter_mut().for_each(|x| *x /= nv);
        q.push(v);
        kept[j] = true;
    }
    if !kept.iter().any(|k| *k) {
        return None;
    }
    let qtb: Vec<f64> = q
        .iter()
        .map(|qi| qi.iter().zip(b).map(|(x, y)| x * y).sum())
        .collect();
    let mut c = vec![0.0; m];
    for j in (0..m).rev() {
        if !kept[j] {
            continue;
        }
        let s: f64 = ((j + 1)..m).map(|k| r[j][k] * c[k]).sum();
        c[j] = (qtb[j] - s) / r[j][j];
    }
    c.iter().all(|v| v.is_finite()).then_some(c)
}

/// `B = argmin ‖ΔX B − ΔG‖`: the beat map's Jacobian seen in the span of the recent steps.
fn least_squares(dx: &[Vec<f64>], dg: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    if dx.is_empty() {
        return None;
    }
    // Column j of B solves ΔX b_j = Δg_j.
    let cols: Option<Vec<Vec<f64>>> = dg.iter().map(|g| solve_columns(dx, g)).collect();
    let cols = cols?;
    let m = dx.len();
    Some(
        (0..m)
            .map(|i| (0..m).map(|j| cols[j][i]).collect())
            .collect(),
    )
}

/// Spectral radius of a small square matrix by repeated squaring (Gelfand's formula,
/// `ρ = lim ‖B^p‖^{1/p}`, with p = 2¹²: any norm's constant is then within a factor of
/// 1 + 1e-3 for condition numbers up to 1e5).
fn spectral_radius(b: &[Vec<f64>]) -> f64 {
    let m = b.len();
    let fro = |a: &[Vec<f64>]| a.iter().flatten().map(|x| x * x).sum::<f64>().sqrt();
    let n0 = fro(b);
    if n0.is_nan() || n0 <= 0.0 || !n0.is_finite() {
        return 0.0;
    }
    let mut a: Vec<Vec<f64>> = b
        .iter()
        .map(|r| r.iter().map(|x| x / n0).collect())
        .collect();
    let mut log = n0.ln();
    const SQUARINGS: i32 = 12;
    for _ in 0..SQUARINGS {
        let sq: Vec<Vec<f64>> = (0..m)
            .map(|i| {
                (0..m)
                    .map(|j| (0..m).map(|k| a[i][k] * a[k][j]).sum())
                    .collect()
            })
            .collect();
        log *= 2.0;
        let c = fro(&sq);
        if c.is_nan() || c <= 0.0 || !c.is_finite() {
            // Nilpotent in floating point: all its eigenvalues are (numerically) zero.
            return 0.0;
        }
        log += c.ln();
        a = sq
            .into_iter()
            .map(|r| r.into_iter().map(|x| x / c).collect())
            .collect();
    }
    (log / 2f64.powi(SQUARINGS)).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tested(n: usize) -> Vec<TestedState> {
        unbounded_states(n)
    }

    /// A linear beat map `x ↦ A x + c` with slow modes 0.95, 0.9 and a fast one 0.3.
    fn linear_map(x: &[f64]) -> Vec<f64> {
        let a = [[0.95, 0.02, 0.0], [0.0, 0.9, 0.05], [0.0, 0.01, 0.3]];
        let c = [0.5, 0.2, 0.7];
        (0..3)
            .map(|i| (0..3).map(|j| a[i][j] * x[j]).sum::<f64>() + c[i])
            .collect()
    }

    fn fixed_point() -> Vec<f64> {
        // Solve (I − A) x = c by iterating a long time.
        let mut x = vec![1.0; 3];
        for _ in 0..5000 {
            x = linear_map(&x);
        }
        x
    }

    #[test]
    fn spectral_radius_of_known_matrices() {
        let r = spectral_radius(&[vec![0.9, 1.0], vec![0.0, 0.5]]);
        assert!((r - 0.9).abs() < 2e-3, "{r}");
        // A rotation scaled by 0.8: complex eigenvalues of modulus 0.8.
        let (c, s) = (0.8 * 0.6, 0.8 * 0.8);
        let r = spectral_radius(&[vec![c, -s], vec![s, c]]);
        assert!((r - 0.8).abs() < 2e-3, "{r}");
        assert_eq!(spectral_radius(&[vec![0.0]]), 0.0);
    }

    #[test]
    fn anderson_reaches_a_linear_fixed_point_in_few_periods_and_the_error_bounds_the_distance() {
        let star = fixed_point();
        let mut solver = PeriodicSolver::new(tested(3), true, 1e-14);
        // 5 % from the orbit, as a sweep point's warm start or a preset's initial state is:
        // within the trust region ([`MAX_STEP`]), which bounds how far one extrapolation goes.
        let mut x: Vec<f64> = star
            .iter()
            .zip([1.05, 1.05, 1.05])
            .map(|(s, f)| s * f)
            .collect();
        let mut periods = 0;
        loop {
            let mut g = linear_map(&x);
            periods += 1;
            let a = solver.record(&x, &g, 1.0);
            let scale = solver.scale.clone();
            let true_error = (0..3)
                .map(|i| (x[i] - star[i]).abs() / scale[i])
                .fold(0.0, f64::max);
            if a.error.is_finite() {
                assert!(
                    a.error >= 0.5 * true_error,
                    "period {periods}: estimate {} vs true {}",
                    a.error,
                    true_error
                );
            }
            if a.error < 1e-10 {
                break;
            }
            solver.extrapolate(&mut g);
            x = g;
            assert!(periods < 30, "no convergence: {a:?}");
        }
        // Plain iteration would need log(1e-10)/log(0.95) ≈ 450 periods.
        assert!(periods <= 12, "{periods} periods");
    }

    /// A volume-like state (fast, 0.5 a period) and a controller that lags its input with
    /// `τ` = 25 periods (a = e^{−1/25} ≈ 0.96), feeding back on the volume. The input is the
    /// volume's mean over the period, which the lag itself moves, so the lag's periodic value
    /// for the period's input is not the fixed point's (as in the circulation).
    fn lagged_map(x: &[f64]) -> Vec<f64> {
        let a = (-1.0_f64 / 25.0).exp();
        let volume = 0.5 * x[0] + 0.2 * x[1] + 1.0;
        let input = 0.5 * (0.5 * (x[0] + volume)) + 1.0;
        vec![volume, a * x[1] + (1.0 - a) * input]
    }

    /// Periods until the estimated error is below 1e-10, from 30 % off the orbit, with or
    /// without telling the solver that state 1 is a lag.
    fn periods_to_orbit(lag_known: bool) -> usize {
        // Fixed point: x₁ = 0.5 x₀ + 1 and x₀ = 0.5 x₀ + 0.2 x₁ + 1, so x₀ = 3, x₁ = 2.5.
        let star = [3.0, 2.5];
        let mut states = tested(2);
        if lag_known {
            states[1].relaxation_time_s = Some(25.0);
        }
        let mut solver = PeriodicSolver::new(states, true, 1e-14);
        let mut x = vec![3.9, 1.75];
        for periods in 1..200 {
            let mut g = lagged_map(&x);
            let a = solver.record(&x, &g, 1.0);
            let true_error = (0..2)
                .map(|i| (x[i] - star[i]).abs() / solver.scale[i])
                .fold(0.0, f64::max);
            if a.error.is_finite() {
                assert!(
                    a.error >= 0.5 * true_error,
                    "period {periods}: estimate {} vs true {true_error}",
                    a.error
                );
            }
            if a.error < 1e-10 {
                return periods;
            }
            solver.extrapolate(&mut g);
            x = g;
        }
        panic!("no convergence in 200 periods (lag known: {lag_known})");
    }

    #[test]
    fn a_lag_s_known_relaxation_takes_its_slow_mode_out_of_the_search() {
        let (known, unknown) = (periods_to_orbit(true), periods_to_orbit(false));
        // The lag's own relaxation is divided out, and only the loop through the volume is left
        // to the extrapolation.
        assert!(
            known < unknown,
            "lag known {known}, unknown {unknown} periods"
        );
        assert!(known <= 5, "{known} periods");
    }

    #[test]
    fn a_stall_starts_the_extrapolation_again_and_only_so_many_times() {
        let mut solver = PeriodicSolver::new(tested(3), true, 1e-14);
        // A drift the history cannot explain (the residual never improves): a stall.
        let drift = |x: &[f64]| x.iter().map(|v| v + 1e-3).collect::<Vec<f64>>();
        let mut x = vec![1.0, 1.0, 1.0];
        for _ in 0..=STALL_PERIODS + PLAIN_PERIODS {
            let mut g = drift(&x);
            solver.record(&x, &g, 1.0);
            solver.extrapolate(&mut g);
            x = g;
        }
        // Then the slow linear map: the extrapolation takes it up again (it used to be given
        // up for the rest of the run at the first stall).
        let mut resumed = false;
        for _ in 0..2 * PLAIN_PERIODS + 2 {
            let mut g = linear_map(&x);
            solver.record(&x, &g, 1.0);
            resumed |= solver.extrapolate(&mut g);
            x = g;
        }
        assert!(resumed, "no extrapolation after the stall");
        // Stalls beyond STALL_RESTARTS give it up.
        for _ in 0..(STALL_RESTARTS + 1) * (STALL_PERIODS + PLAIN_PERIODS + 2) {
            let mut g = drift(&x);
            solver.record(&x, &g, 1.0);
            solver.extrapolate(&mut g);
            x = g;
        }
        for _ in 0..10 {
            let mut g = linear_map(&x);
            solver.record(&x, &g, 1.0);
            assert!(!solver.extrapolate(&mut g), "extrapolated after giving up");
            x = g;
        }
    }

    #[test]
    fn a_start_that_failed_restarts_the_extrapolation_and_only_so_many_times() {
        let mut solver = PeriodicSolver::new(tested(3), true, 1e-14);
        let mut x = vec![1.0, 1.0, 1.0];
        let mut run = |solver: &mut PeriodicSolver, periods: usize| {
            let mut extrapolated = false;
            for _ in 0..periods {
                let mut g = linear_map(&x);
                solver.record(&x, &g, 1.0);
                extrapolated |= solver.extrapolate(&mut g);
                x = g;
            }
            extrapolated
        };
        assert!(run(&mut solver, PLAIN_PERIODS + 2));
        for _ in 0..FAILED_STARTS {
            solver.failed_start();
            // A fresh history: plain periods first, then extrapolation again.
            assert!(!run(&mut solver, PLAIN_PERIODS));
            assert!(run(&mut solver, 2));
        }
        solver.failed_start();
        assert!(
            !run(&mut solver, 10),
            "extrapolated after {FAILED_STARTS} fresh starts and one more failure"
        );
    }

    #[test]
    fn plain_iteration_estimates_the_contraction() {
        let mut solver = PeriodicSolver::new(tested(3), false, 1e-14);
        let mut x = vec![1.0, 1.0, 1.0];
        let mut last = None;
        for _ in 0..60 {
            let g = linear_map(&x);
            last = Some(solver.record(&x, &g, 1.0));
            x = g;
        }
        let a = last.expect("periods");
        assert!((a.contraction - 0.95).abs() < 0.01, "{a:?}");
    }

    #[test]
    fn extrapolation_keeps_bounds_and_conserves_a_linear_invariant() {
        // A map that shifts volume between two compartments (the sum is conserved).
        let map = |x: &[f64]| vec![x[0] + 0.1 * (30.0 - x[0]), x[1] - 0.1 * (30.0 - x[0])];
        let states = vec![
            TestedState {
                index: 0,
                scale_floor: 10.0,
                min: 0.0,
                max: 1e9,
                relaxation_time_s: None,
            },
            TestedState {
                index: 1,
                scale_floor: 10.0,
                min: 0.0,
                max: 1e9,
                relaxation_time_s: None,
            },
        ];
        let mut solver = PeriodicSolver::new(states, true, 1e-14);
        let mut x = vec![10.0, 90.0];
        for _ in 0..8 {
            let mut g = map(&x);
            solver.record(&x, &g, 1.0);
            solver.extrapolate(&mut g);
            assert!((g[0] + g[1] - 100.0).abs() < 1e-12, "{g:?}");
            assert!(g.iter().all(|v| *v >= 0.0));
            x = g;
        }
        assert!((x[0] - 30.0).abs() < 1e-6, "{x:?}");
    }
}
