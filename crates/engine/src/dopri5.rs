//! Dormand–Prince 5(4) with Hairer's PI step-size controller and 4th-order dense output.
//!
//! Reference: Hairer E, Nørsett SP, Wanner G. *Solving Ordinary Differential Equations I*,
//! 2nd ed., Springer 1993, §II.4–II.6 (code DOPRI5). Coefficients are those of Dormand JR &
//! Prince PJ, J Comput Appl Math 1980;6:19, with the dense output of Shampine (1986).
//!
//! All buffers are allocated once in [`Dopri5::new`]; a step allocates nothing.

use crate::SolveError;
use crate::integrator::{
    DenseStep, Integrator, OdeSystem, SolverSettings, Stats, StepObserver, Stop, TIME_EPS,
};
use crate::roots::illinois;

const C2: f64 = 1.0 / 5.0;
const C3: f64 = 3.0 / 10.0;
const C4: f64 = 4.0 / 5.0;
const C5: f64 = 8.0 / 9.0;
const A21: f64 = 1.0 / 5.0;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
const A71: f64 = 35.0 / 384.0;
const A73: f64 = 500.0 / 1113.0;
const A74: f64 = 125.0 / 192.0;
const A75: f64 = -2187.0 / 6784.0;
const A76: f64 = 11.0 / 84.0;
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;
const D1: f64 = -12715105075.0 / 11282082432.0;
const D3: f64 = 87487479700.0 / 32700410799.0;
const D4: f64 = -10690763975.0 / 1880347072.0;
const D5: f64 = 701980252875.0 / 199316789632.0;
const D6: f64 = -1453857185.0 / 822651844.0;
const D7: f64 = 69997945.0 / 29380423.0;

// Hairer's controller constants (DOPRI5 defaults).
const SAFE: f64 = 0.9;
const BETA: f64 = 0.04;
const EXPO1: f64 = 0.2 - BETA * 0.75;
const FAC_MIN: f64 = 0.2; // h_new >= 0.2 h
const FAC_MAX: f64 = 10.0; // h_new <= 10 h

/// The project's Dormand–Prince 5(4) integrator: adaptive, allocation-free, with exact stops at
/// `t_end` and state events located on the dense output by Illinois iteration.
#[derive(Debug, Clone)]
pub struct Dopri5 {
    settings: SolverSettings,
    n: usize,
    t: f64,
    h: f64,
    fac_old: f64,
    y: Vec<f64>,
    y_new: Vec<f64>,
    y_tmp: Vec<f64>,
    k: [Vec<f64>; 7],
    atol: Vec<f64>,
    atol_ready: bool,
    fsal_valid: bool,
    g0: Vec<f64>,
    g1: Vec<f64>,
    g_tmp: Vec<f64>,
    g_valid: bool,
    stats: Stats,
}

impl Dopri5 {
    /// A new integrator for systems of dimension `dim`.
    pub fn new(dim: usize, settings: SolverSettings) -> Self {
        let v = || vec![0.0; dim];
        Self {
            settings,
            n: dim,
            t: 0.0,
            h: 0.0,
            fac_old: 1e-4,
            y: v(),
            y_new: v(),
            y_tmp: v(),
            k: [v(), v(), v(), v(), v(), v(), v()],
            atol: v(),
            atol_ready: false,
            fsal_valid: false,
            g0: Vec::new(),
            g1: Vec::new(),
            g_tmp: Vec::new(),
            g_valid: false,
            stats: Stats::default(),
        }
    }

    fn prepare<S: OdeSystem + ?Sized>(&mut self, sys: &S) -> Result<(), SolveError> {
        if sys.dim() != self.n {
            return Err(SolveError::InvalidRequest {
                message: format!(
                    "system has dimension {} but the integrator was built for {}",
                    sys.dim(),
                    self.n
                ),
            });
        }
        if !self.atol_ready {
            for i in 0..self.n {
                self.atol[i] = self.settings.atol * sys.atol_scale(i);
            }
            self.atol_ready = true;
        }
        if !self.fsal_valid {
            sys.rhs(self.t, &self.y, &mut self.k[0]);
            self.stats.rhs_evals += 1;
            self.fsal_valid = true;
        }
        let ne = sys.n_events();
        if self.g0.len() != ne {
            self.g0 = vec![0.0; ne];
            self.g1 = vec![0.0; ne];
            self.g_tmp = vec![0.0; ne];
            self.g_valid = false;
        }
        if ne > 0 && !self.g_valid {
            sys.events(self.t, &self.y, &mut self.g0);
            self.g_valid = true;
        }
        if self.h == 0.0 {
            self.h = self.initial_step(sys);
        }
        Ok(())
    }

    /// Initial step size (Hairer's HINIT, order 5).
    fn initial_step<S: OdeSystem + ?Sized>(&mut self, sys: &S) -> f64 {
        let n = self.n as f64;
        let (mut d0, mut d1) = (0.0, 0.0);
        for i in 0..self.n {
            let sk = self.atol[i] + self.settings.rtol * self.y[i].abs();
            d0 += (self.y[i] / sk).powi(2);
            d1 += (self.k[0][i] / sk).powi(2);
        }
        let (d0, d1) = ((d0 / n).sqrt(), (d1 / n).sqrt());
        let mut h0 = if d0 < 1e-10 || d1 < 1e-10 {
            1e-6
        } else {
            0.01 * d0 / d1
        };
        h0 = h0.min(self.settings.max_step_s);
        for i in 0..self.n {
            self.y_tmp[i] = self.y[i] + h0 * self.k[0][i];
        }
        sys.rhs(self.t + h0, &self.y_tmp, &mut self.k[1]);
        self.stats.rhs_evals += 1;
        let mut d2 = 0.0;
        for i in 0..self.n {
            let sk = self.atol[i] + self.settings.rtol * self.y[i].abs();
            d2 += ((self.k[1][i] - self.k[0][i]) / sk).powi(2);
        }
        let d2 = (d2 / n).sqrt() / h0;
        let h1 = if d1.max(d2) <= 1e-15 {
            (h0 * 1e-3).max(1e-6)
        } else {
            (0.01 / d1.max(d2)).powf(0.2)
        };
        (100.0 * h0).min(h1).min(self.settings.max_step_s)
    }

    /// One trial step of size `h` from `(t, y)`; fills `y_new`, `k[1..7]`, returns the error norm.
    ///
    /// Every buffer is re-sliced to `n` first, so the element loops carry no bounds checks and
    /// vectorise; each element is computed exactly as written (no reassociation), and the
    /// error norm is summed in state order.
    #[inline]
    fn trial_step<S: OdeSystem + ?Sized>(&mut self, sys: &S, h: f64) -> f64 {
        let n = self.n;
        let t = self.t;
        let [k1, k2, k3, k4, k5, k6, k7] = &mut self.k;
        let y = &self.y[..n];
        let yt = &mut self.y_tmp[..n];
        let k1 = &k1[..n];
        for i in 0..n {
            yt[i] = y[i] + h * A21 * k1[i];
        }
        sys.rhs(t + C2 * h, yt, k2);
        let k2 = &k2[..n];
        for i in 0..n {
            yt[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i]);
        }
        sys.rhs(t + C3 * h, yt, k3);
        let k3 = &k3[..n];
        for i in 0..n {
            yt[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
        }
        sys.rhs(t + C4 * h, yt, k4);
        let k4 = &k4[..n];
        for i in 0..n {
            yt[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
        }
        sys.rhs(t + C5 * h, yt, k5);
        let k5 = &k5[..n];
        for i in 0..n {
            yt[i] =
                y[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
        }
        sys.rhs(t + h, yt, k6);
        let k6 = &k6[..n];
        let yn = &mut self.y_new[..n];
        for i in 0..n {
            yn[i] =
                y[i] + h * (A71 * k1[i] + A73 * k3[i] + A74 * k4[i] + A75 * k5[i] + A76 * k6[i]);
        }
        sys.rhs(t + h, yn, k7);
        let k7 = &k7[..n];
        self.stats.rhs_evals += 6;
        let rtol = self.settings.rtol;
        let atol = &self.atol[..n];
        let mut err = 0.0;
        for i in 0..n {
            let e =
                h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
            let sk = atol[i] + rtol * y[i].abs().max(yn[i].abs());
            err += (e / sk) * (e / sk);
        }
        (err / n as f64).sqrt()
    }
}

/// Dense output of the step just taken (before the state is advanced).
struct Dp5Step<'a> {
    t0: f64,
    h: f64,
    t1: f64,
    y0: &'a [f64],
    y1: &'a [f64],
    k: &'a [Vec<f64>; 7],
}

impl Dp5Step<'_> {
    #[inline]
    fn component(&self, theta: f64, i: usize) -> f64 {
        let k = self.k;
        let h = self.h;
        let r1 = self.y0[i];
        let ydiff = self.y1[i] - r1;
        let bspl = h * k[0][i] - ydiff;
        let r4 = ydiff - h * k[6][i] - bspl;
        let r5 = h
            * (D1 * k[0][i]
                + D3 * k[2][i]
                + D4 * k[3][i]
                + D5 * k[4][i]
                + D6 * k[5][i]
                + D7 * k[6][i]);
        let th1 = 1.0 - theta;
        r1 + theta * (ydiff + th1 * (bspl + theta * (r4 + th1 * r5)))
    }
}

impl DenseStep for Dp5Step<'_> {
    fn t0(&self) -> f64 {
        self.t0
    }
    fn t1(&self) -> f64 {
        self.t1
    }
    fn y1(&self) -> &[f64] {
        self.y1
    }
    fn interpolate(&self, t: f64, out: &mut [f64]) {
        let theta = (t - self.t0) / self.h;
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.component(theta, i);
        }
    }
    fn interpolate_component(&self, t: f64, i: usize) -> f64 {
        self.component((t - self.t0) / self.h, i)
    }
}

/// The step cut at a state event: same polynomial, shorter interval, state at the event.
struct CutStep<'a> {
    inner: Dp5Step<'a>,
    t_cut: f64,
    y_cut: &'a [f64],
}

impl DenseStep for CutStep<'_> {
    fn t0(&self) -> f64 {
        self.inner.t0
    }
    fn t1(&self) -> f64 {
        self.t_cut
    }
    fn y1(&self) -> &[f64] {
        self.y_cut
    }
    fn interpolate(&self, t: f64, out: &mut [f64]) {
        self.inner.interpolate(t, out)
    }
    fn interpolate_component(&self, t: f64, i: usize) -> f64 {
        self.inner.interpolate_component(t, i)
    }
}

impl Integrator for Dopri5 {
    fn init(&mut self, t0: f64, y0: &[f64]) {
        self.t = t0;
        self.y.copy_from_slice(y0);
        self.h = 0.0;
        self.fac_old = 1e-4;
        self.fsal_valid = false;
        self.g_valid = false;
    }

    fn t(&self) -> f64 {
        self.t
    }

    fn y(&self) -> &[f64] {
        &self.y
    }

    fn y_mut(&mut self) -> &mut [f64] {
        &mut self.y
    }

    fn invalidate(&mut self) {
        self.fsal_valid = false;
        self.g_valid = false;
    }

    fn advance<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t_end: f64,
        observer: &mut dyn StepObserver<S>,
    ) -> Result<Stop, SolveError> {
        if t_end.is_nan() || t_end < self.t {
            return Err(SolveError::InvalidRequest {
                message: format!("t_end = {t_end} is before the current time {}", self.t),
            });
        }
        if t_end - self.t <= TIME_EPS * self.t.abs().max(1.0) {
            // Events a few ulps apart: the state cannot change over such an interval.
            self.t = t_end;
            return Ok(Stop::Reached);
        }
        self.prepare(sys)?;
        let n_events = self.g0.len();
        let mut steps: u64 = 0;
        let mut rejected_last = false;
        loop {
            let h_proposed = self.h.min(self.settings.max_step_s);
            let mut h = h_proposed;
            let mut last = false;
            if self.t + 1.01 * h >= t_end {
                h = t_end - self.t;
                last = true;
            }
            if h.abs() <= 10.0 * f64::EPSILON * self.t.abs().max(1e-300) {
                return Err(SolveError::StepSizeUnderflow { t_s: self.t });
            }
            steps += 1;
            if steps > self.settings.max_steps_per_segment {
                return Err(SolveError::TooManySteps {
                    max_steps: self.settings.max_steps_per_segment,
                    t_s: self.t,
                });
            }
            let err = self.trial_step(sys, h);
            if !err.is_finite() {
                // NaN from an over-long step in a nonlinear region: shrink hard and retry.
                self.stats.rejected_steps += 1;
                self.h = h * FAC_MIN;
                rejected_last = true;
                if self.h < 1e-14 {
                    let component = self.y_new.iter().position(|v| !v.is_finite()).unwrap_or(0);
                    return Err(SolveError::NonFinite {
                        t_s: self.t,
                        component,
                    });
                }
                continue;
            }
            let fac11 = err.powf(EXPO1);
            let fac = (fac11 / self.fac_old.powf(BETA) / SAFE).clamp(1.0 / FAC_MAX, 1.0 / FAC_MIN);
            let mut h_new = h / fac;
            if err > 1.0 {
                self.stats.rejected_steps += 1;
                self.h = h / (fac11 / SAFE).min(1.0 / FAC_MIN);
                rejected_last = true;
                continue;
            }
            // Accepted.
            self.stats.accepted_steps += 1;
            self.fac_old = err.max(1e-4);
            if rejected_last {
                h_new = h_new.min(h);
            }
            rejected_last = false;
            let t1 = if last { t_end } else { self.t + h };
            sys.project(&mut self.y_new);

            // State events: earliest crossing in this step.
            let mut event: Option<(usize, f64)> = None;
            if n_events > 0 {
                sys.events(t1, &self.y_new, &mut self.g1);
                let step = Dp5Step {
                    t0: self.t,
                    h,
                    t1,
                    y0: &self.y,
                    y1: &self.y_new,
                    k: &self.k,
                };
                for i in 0..n_events {
                    let dir = sys.event_direction(i);
                    if dir.crossed(self.g0[i], self.g1[i]) {
                        let tol = self.settings.event_time_tolerance_s;
                        let y_tmp = &mut self.y_tmp;
                        let g_tmp = &mut self.g_tmp;
                        let root = illinois(self.t, self.g0[i], t1, self.g1[i], tol, |tc| {
                            step.interpolate(tc, y_tmp);
                            sys.events(tc, y_tmp, g_tmp);
                            g_tmp[i]
                        });
                        if event.is_none_or(|(_, te)| root < te) {
                            event = Some((i, root));
                        }
                    }
                }
            }

            if let Some((index, t_ev)) = event {
                // Cut the step at the event: the state there comes from the dense output.
                let step = Dp5Step {
                    t0: self.t,
                    h,
                    t1,
                    y0: &self.y,
                    y1: &self.y_new,
                    k: &self.k,
                };
                step.interpolate(t_ev, &mut self.y_tmp);
                sys.project(&mut self.y_tmp);
                observer.on_step(
                    sys,
                    &CutStep {
                        inner: step,
                        t_cut: t_ev,
                        y_cut: &self.y_tmp,
                    },
                );
                std::mem::swap(&mut self.y, &mut self.y_tmp);
                self.t = t_ev;
                self.h = h_new.min(self.settings.max_step_s);
                self.fsal_valid = false;
                self.g_valid = false;
                self.stats.state_events += 1;
                return Ok(Stop::StateEvent { index, t_s: t_ev });
            }

            observer.on_step(
                sys,
                &Dp5Step {
                    t0: self.t,
                    h,
                    t1,
                    y0: &self.y,
                    y1: &self.y_new,
                    k: &self.k,
                },
            );
            std::mem::swap(&mut self.y, &mut self.y_new);
            self.k.swap(0, 6); // FSAL: k7 of this step is k1 of the next
            if n_events > 0 {
                std::mem::swap(&mut self.g0, &mut self.g1);
            }
            self.t = t1;
            if !last {
                self.h = h_new;
            } else {
                // A step clipped to t_end says little about the next one: keep the larger of
                // the proposal before clipping and the controller's new proposal.
                self.h = h_new.max(h_proposed).min(self.settings.max_step_s);
                return Ok(Stop::Reached);
            }
        }
    }

    fn restart_step(&mut self, h_s: f64) {
        self.h = h_s.min(self.settings.max_step_s);
        self.fac_old = 1e-4;
    }

    fn stats(&self) -> Stats {
        self.stats
    }

    fn settings(&self) -> &SolverSettings {
        &self.settings
    }

    fn set_tolerances(&mut self, rtol: f64, atol: f64) {
        self.settings.rtol = rtol;
        self.settings.atol = atol;
        // The per-state absolute tolerances are rebuilt at the next step.
        self.atol_ready = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrator::{Direction, NoObserver};

    /// y' = -y, y(0) = 1.
    struct Decay;
    impl OdeSystem for Decay {
        fn dim(&self) -> usize {
            1
        }
        fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
            dy[0] = -y[0];
        }
    }

    #[test]
    fn exponential_decay_is_accurate_and_converges() {
        let mut errs = vec![];
        for rtol in [1e-4, 1e-6, 1e-8, 1e-10] {
            let s = SolverSettings {
                rtol,
                atol: rtol * 1e-3,
                max_step_s: 1.0,
                ..SolverSettings::default()
            };
            let mut d = Dopri5::new(1, s);
            d.init(0.0, &[1.0]);
            assert_eq!(d.advance(&Decay, 5.0, &mut NoObserver), Ok(Stop::Reached));
            assert_eq!(d.t(), 5.0, "stops exactly at t_end");
            errs.push(((d.y()[0] - (-5f64).exp()) / (-5f64).exp()).abs());
        }
        for w in errs.windows(2) {
            assert!(w[1] < w[0], "error shrinks with tolerance: {errs:?}");
        }
        assert!(errs[3] < 1e-8, "{errs:?}");
    }

    /// Accepted steps over [0, 2] at `(rtol, atol)`, then over [2, 4] after
    /// `set_tolerances(looser)`; the integrator is returned for more.
    fn steps_before_and_after(tight: (f64, f64), looser: (f64, f64)) -> (u64, u64, Dopri5) {
        let s = SolverSettings {
            rtol: tight.0,
            atol: tight.1,
            max_step_s: 1.0,
            ..SolverSettings::default()
        };
        let mut d = Dopri5::new(1, s);
        d.init(0.0, &[1.0]);
        d.advance(&Decay, 2.0, &mut NoObserver).expect("integrates");
        let first = d.stats().accepted_steps;
        d.set_tolerances(looser.0, looser.1);
        d.restart_step(1e-3);
        d.advance(&Decay, 4.0, &mut NoObserver).expect("integrates");
        (first, d.stats().accepted_steps - first, d)
    }

    #[test]
    fn looser_tolerances_take_fewer_steps_and_the_run_s_own_come_back() {
        // The same span again at 100 times the tolerances: fewer steps (∝ tol^(−1/5)).
        let (tight, loose, mut d) = steps_before_and_after((1e-8, 1e-11), (1e-6, 1e-9));
        assert!(
            (loose as f64) < 0.75 * tight as f64,
            "{loose} loose steps vs {tight} tight"
        );
        // Back to the tight ones: as many steps as the first span, the state still accurate.
        d.set_tolerances(1e-8, 1e-11);
        d.restart_step(1e-3);
        let before = d.stats().accepted_steps;
        d.advance(&Decay, 6.0, &mut NoObserver).expect("integrates");
        let again = d.stats().accepted_steps - before;
        assert!(
            again + 2 >= tight && again <= tight + 2,
            "{again} vs {tight}"
        );
        let exact = (-6f64).exp();
        assert!(((d.y()[0] - exact) / exact).abs() < 1e-5, "{}", d.y()[0]);
        // Where the absolute tolerance dominates (rtol negligible), loosening it alone counts
        // too: the per-state absolute tolerances are rebuilt.
        let (tight, loose, _) = steps_before_and_after((1e-14, 1e-10), (1e-14, 1e-7));
        assert!(
            (loose as f64) < 0.75 * tight as f64,
            "{loose} steps at atol 1e-7 vs {tight} at 1e-10"
        );
    }

    /// Harmonic oscillator with an event when x crosses zero going down.
    struct Osc;
    impl OdeSystem for Osc {
        fn dim(&self) -> usize {
            2
        }
        fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
            dy[0] = y[1];
            dy[1] = -y[0];
        }
        fn n_events(&self) -> usize {
            1
        }
        fn events(&self, _t: f64, y: &[f64], g: &mut [f64]) {
            g[0] = y[0];
        }
        fn event_direction(&self, _i: usize) -> Direction {
            Direction::Falling
        }
    }

    #[test]
    fn state_events_located_to_1e9_and_not_repeated() {
        let s = SolverSettings {
            rtol: 1e-10,
            atol: 1e-12,
            max_step_s: 0.5,
            ..SolverSettings::default()
        };
        let mut d = Dopri5::new(2, s);
        // x = sin(t): falling zeros at pi, 3pi, 5pi.
        d.init(0.0, &[0.0, 1.0]);
        let mut found = vec![];
        loop {
            match d.advance(&Osc, 17.0, &mut NoObserver).expect("integrates") {
                Stop::Reached => break,
                Stop::StateEvent { index, t_s } => {
                    assert_eq!(index, 0);
                    found.push(t_s);
                }
            }
        }
        let pi = std::f64::consts::PI;
        assert_eq!(found.len(), 3, "{found:?}");
        for (k, t) in found.iter().enumerate() {
            let exact = (2 * k + 1) as f64 * pi;
            assert!((t - exact).abs() < 1e-8, "event {k}: {t} vs {exact}");
        }
    }
}
