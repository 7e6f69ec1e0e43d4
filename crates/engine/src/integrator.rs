use crate::SolveError;

/// Relative time below which two times count as the same instant (an interval shorter than
/// this is not integrated; the clock just moves).
pub const TIME_EPS: f64 = 1e-12;

/// Direction of a zero crossing of a state event function that should be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From negative to non-negative.
    Rising,
    /// From positive to non-positive.
    Falling,
    /// Either way.
    Both,
}

impl Direction {
    /// True when the change of sign from `g0` to `g1` is a crossing in this direction.
    #[inline]
    pub fn crossed(self, g0: f64, g1: f64) -> bool {
        match self {
            Direction::Rising => g0 < 0.0 && g1 >= 0.0,
            Direction::Falling => g0 > 0.0 && g1 <= 0.0,
            Direction::Both => (g0 < 0.0 && g1 >= 0.0) || (g0 > 0.0 && g1 <= 0.0),
        }
    }
}

/// A system of ordinary differential equations `dy/dt = f(t, y)` with optional state events.
pub trait OdeSystem {
    /// Number of state components.
    fn dim(&self) -> usize;

    /// Writes `f(t, y)` into `dy` (`dy.len() == y.len() == dim()`).
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]);

    /// Number of state event functions `g_i(t, y)`.
    fn n_events(&self) -> usize {
        0
    }

    /// Writes the event functions into `g` (`g.len() == n_events()`). A crossing of zero in
    /// the direction given by [`OdeSystem::event_direction`] is located to within
    /// [`SolverSettings::event_time_tolerance_s`].
    fn events(&self, _t: f64, _y: &[f64], _g: &mut [f64]) {}

    /// Which crossings of event function `i` are reported.
    fn event_direction(&self, _i: usize) -> Direction {
        Direction::Both
    }

    /// Scale of component `i` for the absolute tolerance: `atol_i = atol * atol_scale(i)`.
    fn atol_scale(&self, _i: usize) -> f64 {
        1.0
    }

    /// Moves `y` back onto the set the equations keep it in, after each accepted step; returns
    /// whether it changed `y`. For states held at a limit by a switch in `f` (a controller's
    /// anti-windup: `dx/dt = 0` at the limit while pushed outwards): the integrator does not
    /// locate where the limit is reached, so the step that reaches it ends past it by an
    /// amount set by the step pattern (about `h·|dx/dt|`), and that offset would be carried
    /// on. Must not change `f` (a state past its limit and the same state on it have the same
    /// derivative), so the step's derivatives stay valid. Default: nothing to project.
    fn project(&self, _y: &mut [f64]) -> bool {
        false
    }
}

/// One accepted step with its continuous (dense) output on `[t0, t1]`.
pub trait DenseStep {
    /// Start of the step, s.
    fn t0(&self) -> f64;
    /// End of the step (or the located event time when the step was cut there), s.
    fn t1(&self) -> f64;
    /// State at `t1`.
    fn y1(&self) -> &[f64];
    /// Interpolated state at `t` in `[t0, t1]`.
    fn interpolate(&self, t: f64, out: &mut [f64]);
    /// One interpolated component at `t` in `[t0, t1]`.
    fn interpolate_component(&self, t: f64, i: usize) -> f64;
}

/// Sees every accepted step together with the system that produced it (whose inputs are
/// constant over the step, since discrete events end steps). Recorders sample the dense output
/// on their own time grid.
pub trait StepObserver<S: ?Sized> {
    /// Called after each accepted step (cut at a located state event if there was one).
    fn on_step(&mut self, sys: &S, step: &dyn DenseStep);
}

/// An observer that records nothing.
pub struct NoObserver;

impl<S: ?Sized> StepObserver<S> for NoObserver {
    fn on_step(&mut self, _sys: &S, _step: &dyn DenseStep) {}
}

/// Why [`Integrator::advance`] returned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// `t_end` was reached exactly.
    Reached,
    /// State event `index` crossed zero at `t_s`; the integrator state is the state at `t_s`.
    StateEvent {
        /// Index of the event function.
        index: usize,
        /// Located crossing time, s.
        t_s: f64,
    },
}

/// Tolerances and limits shared by the backends.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverSettings {
    /// Relative tolerance of the local error estimate.
    pub rtol: f64,
    /// Absolute tolerance (multiplied per component by [`OdeSystem::atol_scale`]).
    pub atol: f64,
    /// Largest step, s. Also bounds how long a sign change of an event function can hide.
    pub max_step_s: f64,
    /// Steps allowed in one `advance` call before [`SolveError::TooManySteps`].
    pub max_steps_per_segment: u64,
    /// Width of the bracket to which state event times are located, s.
    pub event_time_tolerance_s: f64,
}

impl Default for SolverSettings {
    fn default() -> Self {
        Self {
            rtol: 1e-6,
            atol: 1e-6,
            max_step_s: 0.01,
            max_steps_per_segment: 5_000_000,
            event_time_tolerance_s: 1e-9,
        }
    }
}

/// Work counters, cumulative since the integrator was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Right-hand side evaluations.
    pub rhs_evals: u64,
    /// Accepted steps.
    pub accepted_steps: u64,
    /// Rejected steps.
    pub rejected_steps: u64,
    /// State events located.
    pub state_events: u64,
}

/// An adaptive integrator that advances a state between discrete events.
///
/// Contract: after [`Integrator::init`] or [`Integrator::invalidate`], the next `advance` starts
/// from the stored `(t, y)` with a fresh derivative evaluation (a discontinuity of the
/// right-hand side at `t` is allowed there). `advance` stops exactly at `t_end` or at the first
/// located state event, whichever comes first.
pub trait Integrator {
    /// Sets time and state; forgets any derivative carried from the previous step.
    fn init(&mut self, t0: f64, y0: &[f64]);
    /// Current time, s.
    fn t(&self) -> f64;
    /// Current state.
    fn y(&self) -> &[f64];
    /// Mutable state, for reset maps applied by event handlers. Call
    /// [`Integrator::invalidate`] afterwards.
    fn y_mut(&mut self) -> &mut [f64];
    /// Marks the right-hand side (or the state) as changed at the current time.
    fn invalidate(&mut self);
    /// Integrates until `t_end` or the first state event.
    fn advance<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t_end: f64,
        observer: &mut dyn StepObserver<S>,
    ) -> Result<Stop, SolveError>;
    /// Starts the next step with size `h_s` and no step-size history, as at the start of a run.
    /// Called at every beat boundary, it makes the step sequence of a beat a function of the
    /// beat's start state alone, so that the beat map is smooth near its fixed point (otherwise
    /// the history carried over flips accept/reject decisions from beat to beat). Backends
    /// without step control ignore it.
    fn restart_step(&mut self, _h_s: f64) {}
    /// Cumulative work counters.
    fn stats(&self) -> Stats;
    /// The settings in use.
    fn settings(&self) -> &SolverSettings;
    /// Sets the relative and absolute tolerances of the steps that follow (a run that
    /// integrates its transient more loosely than the periods it is judged on).
    fn set_tolerances(&mut self, rtol: f64, atol: f64);
}
