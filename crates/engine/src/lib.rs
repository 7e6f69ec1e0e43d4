//! # counterpulse-engine
//!
//! A small hybrid simulation engine: a time-ordered **event calendar** of discrete events and an
//! **adaptive ODE integrator** that runs between them. It knows no physiology.
//!
//! * [`OdeSystem`] — the right-hand side `dy/dt = f(t, y)` plus optional *state event
//!   functions* `g_i(t, y)` whose zero crossings the integrator locates inside a step.
//! * [`Integrator`] — the solver interface. Two backends implement it:
//!   [`Dopri5`], an allocation-free Dormand–Prince 5(4) with 4th-order dense output written for
//!   this project, and [`OdeSolversDopri5`], a wrapper of the `ode_solvers` crate's `Dopri5` kept
//!   as an independent cross-check.
//! * [`Calendar`] — discrete events ordered by time, then by a per-event priority, then by
//!   insertion order, so that simultaneous events always run in the same order.
//! * [`Simulator`] — the hybrid loop: integrate to the next calendar time or state event, hand
//!   the event to the model ([`HybridModel`]), repeat.
//! * [`StepObserver`] — sees every accepted step with its dense output, so recorders can sample
//!   the solution on any time grid without forcing small steps.
//!
//! Units are the caller's; counterpulse uses s, mL, mmHg.
#![deny(missing_docs)]

mod calendar;
mod dopri5;
mod error;
mod hybrid;
mod integrator;
mod ode_solvers_backend;
mod roots;

pub use calendar::{Calendar, EventPriority, Scheduled};
pub use dopri5::Dopri5;
pub use error::SolveError;
pub use hybrid::{EventContext, HybridModel, RunOutcome, Simulator};
pub use integrator::{
    DenseStep, Direction, Integrator, NoObserver, OdeSystem, SolverSettings, Stats, StepObserver,
    Stop,
};
pub use ode_solvers_backend::OdeSolversDopri5;

/// The integrator backends selectable at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// The project's own allocation-free Dormand–Prince 5(4) ([`Dopri5`]).
    Dopri5,
    /// `ode_solvers::Dopri5`, one stepper per segment ([`OdeSolversDopri5`]).
    OdeSolvers,
}

impl Backend {
    /// Name used in configuration files (`"dopri5"`, `"ode_solvers"`).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Dopri5 => "dopri5",
            Backend::OdeSolvers => "ode_solvers",
        }
    }
}

/// Either backend behind one concrete type, so callers can choose at run time without
/// making their own code generic.
#[derive(Debug, Clone)]
pub enum AnyIntegrator {
    /// See [`Dopri5`].
    Dopri5(Box<Dopri5>),
    /// See [`OdeSolversDopri5`].
    OdeSolvers(OdeSolversDopri5),
}

impl AnyIntegrator {
    /// Creates the chosen backend for a system of dimension `dim`.
    pub fn new(backend: Backend, dim: usize, settings: SolverSettings) -> Self {
        match backend {
            Backend::Dopri5 => AnyIntegrator::Dopri5(Box::new(Dopri5::new(dim, settings))),
            Backend::OdeSolvers => AnyIntegrator::OdeSolvers(OdeSolversDopri5::new(dim, settings)),
        }
    }
}

impl Integrator for AnyIntegrator {
    fn init(&mut self, t0: f64, y0: &[f64]) {
        match self {
            AnyIntegrator::Dopri5(i) => i.init(t0, y0),
            AnyIntegrator::OdeSolvers(i) => i.init(t0, y0),
        }
    }
    fn t(&self) -> f64 {
        match self {
            AnyIntegrator::Dopri5(i) => i.t(),
            AnyIntegrator::OdeSolvers(i) => i.t(),
        }
    }
    fn y(&self) -> &[f64] {
        match self {
            AnyIntegrator::Dopri5(i) => i.y(),
            AnyIntegrator::OdeSolvers(i) => i.y(),
        }
    }
    fn y_mut(&mut self) -> &mut [f64] {
        match self {
            AnyIntegrator::Dopri5(i) => i.y_mut(),
            AnyIntegrator::OdeSolvers(i) => i.y_mut(),
        }
    }
    fn invalidate(&mut self) {
        match self {
            AnyIntegrator::Dopri5(i) => i.invalidate(),
            AnyIntegrator::OdeSolvers(i) => i.invalidate(),
        }
    }
    fn advance<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t_end: f64,
        observer: &mut dyn StepObserver<S>,
    ) -> Result<Stop, SolveError> {
        match self {
            AnyIntegrator::Dopri5(i) => i.advance(sys, t_end, observer),
            AnyIntegrator::OdeSolvers(i) => i.advance(sys, t_end, observer),
        }
    }
    fn restart_step(&mut self, h_s: f64) {
        match self {
            AnyIntegrator::Dopri5(i) => i.restart_step(h_s),
            AnyIntegrator::OdeSolvers(i) => i.restart_step(h_s),
        }
    }
    fn stats(&self) -> Stats {
        match self {
            AnyIntegrator::Dopri5(i) => i.stats(),
            AnyIntegrator::OdeSolvers(i) => i.stats(),
        }
    }
    fn settings(&self) -> &SolverSettings {
        match self {
            AnyIntegrator::Dopri5(i) => i.settings(),
            AnyIntegrator::OdeSolvers(i) => i.settings(),
        }
    }
    fn set_tolerances(&mut self, rtol: f64, atol: f64) {
        match self {
            AnyIntegrator::Dopri5(i) => i.set_tolerances(rtol, atol),
            AnyIntegrator::OdeSolvers(i) => i.set_tolerances(rtol, atol),
        }
    }
}
