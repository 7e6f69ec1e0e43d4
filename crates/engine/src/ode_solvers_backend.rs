//! [`Integrator`] backed by `ode_solvers::Dopri5` (version 0.6).
//!
//! `ode_solvers` has no event location and stores every step, so this backend builds one stepper
//! per segment (memory bounded by one segment), created with `from_param` (step limit raised,
//! stiffness abort disabled, `Sparse` output). A state event is detected in `solout` from the sign
//! of the event function at consecutive step ends; its time is then located by Illinois iteration
//! in which every trial time is reached by a fresh, exact integration from the step start, so the
//! restart state is a solver state, not an interpolant. Observers see cubic Hermite dense output
//! built from the step-end values and derivatives.
//!
//! It is slower than [`crate::Dopri5`] and exists as an independent cross-check.

use nalgebra::DVector;
use ode_solvers::{OutputType, System};

use crate::SolveError;
use crate::integrator::{
    DenseStep, Integrator, OdeSystem, SolverSettings, Stats, StepObserver, Stop, TIME_EPS,
};
use crate::roots::illinois;

/// `ode_solvers::Dopri5` behind the project's [`Integrator`] trait.
#[derive(Debug, Clone)]
pub struct OdeSolversDopri5 {
    settings: SolverSettings,
    n: usize,
    t: f64,
    y: Vec<f64>,
    stats: Stats,
}

impl OdeSolversDopri5 {
    /// A new integrator for systems of dimension `dim`.
    pub fn new(dim: usize, settings: SolverSettings) -> Self {
        Self {
            settings,
            n: dim,
            t: 0.0,
            y: vec![0.0; dim],
            stats: Stats::default(),
        }
    }

    /// Integrates `(t0, y0)` to `t1` with a fresh stepper; returns the end state.
    /// `on_step` sees each accepted step end `(t, y, dy)` and may stop the integration.
    fn segment<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t0: f64,
        y0: &[f64],
        t1: f64,
        on_step: &mut OnStep<'_>,
    ) -> Result<(f64, Vec<f64>), SolveError> {
        let wrap = Wrap { sys, on_step };
        let s = &self.settings;
        let mut stepper = ode_solvers::Dopri5::from_param(
            wrap,
            t0,
            t1,
            0.0,
            DVector::from_column_slice(y0),
            s.rtol,
            s.atol,
            0.9,
            0.04,
            0.2,
            10.0,
            s.max_step_s,
            0.0,
            u32::try_from(s.max_steps_per_segment).unwrap_or(u32::MAX),
            u32::MAX, // never test for stiffness: it would abort a run as a hard error
            OutputType::Sparse,
        );
        let st = stepper.integrate().map_err(|e| SolveError::Backend {
            message: e.to_string(),
        })?;
        self.stats.rhs_evals += u64::from(st.num_eval);
        self.stats.accepted_steps += u64::from(st.accepted_steps);
        self.stats.rejected_steps += u64::from(st.rejected_steps);
        let t_last = stepper.x_out().last().copied().unwrap_or(t0);
        let y_last = stepper
            .y_out()
            .last()
            .map(|v| v.as_slice().to_vec())
            .unwrap_or_else(|| y0.to_vec());
        if let Some(c) = y_last.iter().position(|v| !v.is_finite()) {
            return Err(SolveError::NonFinite {
                t_s: t_last,
                component: c,
            });
        }
        Ok((t_last, y_last))
    }
}

/// Callback on each accepted step end `(t, y, dy/dt)`; returning true stops the stepper.
type OnStep<'a> = dyn FnMut(f64, &[f64], &[f64]) -> bool + 'a;

struct Wrap<'a, S: ?Sized> {
    sys: &'a S,
    on_step: &'a mut OnStep<'a>,
}

impl<S: OdeSystem + ?Sized> System<f64, DVector<f64>> for Wrap<'_, S> {
    fn system(&self, x: f64, y: &DVector<f64>, dy: &mut DVector<f64>) {
        self.sys.rhs(x, y.as_slice(), dy.as_mut_slice());
    }
    fn solout(&mut self, x: f64, y: &DVector<f64>, dy: &DVector<f64>) -> bool {
        (self.on_step)(x, y.as_slice(), dy.as_slice())
    }
}

/// Cubic Hermite interpolant between two step ends.
struct HermiteStep<'a> {
    t0: f64,
    t1: f64,
    y0: &'a [f64],
    f0: &'a [f64],
    y1: &'a [f64],
    f1: &'a [f64],
}

impl HermiteStep<'_> {
    #[inline]
    fn component(&self, t: f64, i: usize) -> f64 {
        let h = self.t1 - self.t0;
        if h == 0.0 {
            return self.y1[i];
        }
        let s = (t - self.t0) / h;
        let (s2, s3) = (s * s, s * s * s);
        let h00 = 2.0 * s3 - 3.0 * s2 + 1.0;
        let h10 = s3 - 2.0 * s2 + s;
        let h01 = -2.0 * s3 + 3.0 * s2;
        let h11 = s3 - s2;
        h00 * self.y0[i] + h10 * h * self.f0[i] + h01 * self.y1[i] + h11 * h * self.f1[i]
    }
}

impl DenseStep for HermiteStep<'_> {
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
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.component(t, i);
        }
    }
    fn interpolate_component(&self, t: f64, i: usize) -> f64 {
        self.component(t, i)
    }
}

/// A step end kept for Hermite interpolation and bracketing.
#[derive(Clone)]
struct Point {
    t: f64,
    y: Vec<f64>,
    f: Vec<f64>,
    g: Vec<f64>,
}

impl Integrator for OdeSolversDopri5 {
    fn init(&mut self, t0: f64, y0: &[f64]) {
        self.t = t0;
        self.y.copy_from_slice(y0);
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
    fn invalidate(&mut self) {}

    fn advance<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t_end: f64,
        observer: &mut dyn StepObserver<S>,
    ) -> Result<Stop, SolveError> {
        if sys.dim() != self.n {
            return Err(SolveError::InvalidRequest {
                message: format!(
                    "system has dimension {} but the integrator was built for {}",
                    sys.dim(),
                    self.n
                ),
            });
        }
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
        let ne = sys.n_events();
        let mut start = Point {
            t: self.t,
            y: self.y.clone(),
            f: vec![0.0; self.n],
            g: vec![0.0; ne],
        };
        sys.rhs(start.t, &start.y, &mut start.f);
        sys.events(start.t, &start.y, &mut start.g);
        self.stats.rhs_evals += 1;

        // Pass 1: integrate to t_end, stopping at the first step whose end shows a crossing.
        let mut prev = start.clone();
        let mut crossing: Option<(Point, Point)> = None;
        let mut g_buf = vec![0.0; ne];
        {
            let mut on_step = |t: f64, y: &[f64], f: &[f64]| -> bool {
                if ne > 0 {
                    sys.events(t, y, &mut g_buf);
                    let crossed =
                        (0..ne).any(|i| sys.event_direction(i).crossed(prev.g[i], g_buf[i]));
                    if crossed {
                        let end = Point {
                            t,
                            y: y.to_vec(),
                            f: f.to_vec(),
                            g: g_buf.clone(),
                        };
                        crossing = Some((prev.clone(), end));
                        return true;
                    }
                }
                observer.on_step(
                    sys,
                    &HermiteStep {
                        t0: prev.t,
                        t1: t,
                        y0: &prev.y,
                        f0: &prev.f,
                        y1: y,
                        f1: f,
                    },
                );
                prev.t = t;
                prev.y.copy_from_slice(y);
                prev.f.copy_from_slice(f);
                prev.g.copy_from_slice(&g_buf);
                false
            };
            let (t_last, y_last) = self.segment(sys, start.t, &start.y, t_end, &mut on_step)?;
            if crossing.is_none() {
                self.t = t_end;
                debug_assert!((t_last - t_end).abs() <= 1e-9 * t_end.abs().max(1.0));
                self.y = y_last;
                // ode_solvers has no hook between its steps: projected at segment ends only.
                sys.project(&mut self.y);
                return Ok(Stop::Reached);
            }
        }
        let Some((a, b)) = crossing else {
            return Ok(Stop::Reached);
        };

        // Pass 2: locate the earliest crossing in [a.t, b.t], each trial time reached by an
        // exact re-integration from a.
        let mut best: Option<(usize, f64, Vec<f64>)> = None;
        let tol = self.settings.event_time_tolerance_s;
        for i in 0..ne {
            if !sys.event_direction(i).crossed(a.g[i], b.g[i]) {
                continue;
            }
            let mut last_y: Vec<f64> = b.y.clone();
            let mut last_t = b.t;
            let mut failure: Option<SolveError> = None;
            let mut g_tmp = vec![0.0; ne];
            let root = illinois(a.t, a.g[i], b.t, b.g[i], tol, |tc| {
                if failure.is_some() {
                    return 0.0;
                }
                match self.segment(sys, a.t, &a.y, tc, &mut |_, _, _| false) {
                    Ok((_, y)) => {
                        sys.events(tc, &y, &mut g_tmp);
                        last_y = y;
                        last_t = tc;
                        g_tmp[i]
                    }
                    Err(e) => {
                        failure = Some(e);
                        0.0
                    }
                }
            });
            if let Some(e) = failure {
                return Err(e);
            }
            let y_root = if last_t == root {
                last_y
            } else {
                self.segment(sys, a.t, &a.y, root, &mut |_, _, _| false)?.1
            };
            if best.as_ref().is_none_or(|(_, t, _)| root < *t) {
                best = Some((i, root, y_root));
            }
        }
        let Some((index, t_ev, y_ev)) = best else {
            return Ok(Stop::Reached);
        };
        let mut f_ev = vec![0.0; self.n];
        sys.rhs(t_ev, &y_ev, &mut f_ev);
        self.stats.rhs_evals += 1;
        observer.on_step(
            sys,
            &HermiteStep {
                t0: a.t,
                t1: t_ev,
                y0: &a.y,
                f0: &a.f,
                y1: &y_ev,
                f1: &f_ev,
            },
        );
        self.t = t_ev;
        self.y = y_ev;
        sys.project(&mut self.y);
        self.stats.state_events += 1;
        Ok(Stop::StateEvent { index, t_s: t_ev })
    }

    fn stats(&self) -> Stats {
        self.stats
    }

    fn settings(&self) -> &SolverSettings {
        &self.settings
    }

    fn set_tolerances(&mut self, rtol: f64, atol: f64) {
        // Each segment's stepper is built from the settings.
        self.settings.rtol = rtol;
        self.settings.atol = atol;
    }
}
