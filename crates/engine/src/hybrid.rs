use crate::SolveError;
use crate::calendar::{Calendar, EventPriority};
use crate::integrator::{Integrator, OdeSystem, StepObserver, Stop};

/// A model with discrete events: an ODE system whose inputs are changed by event handlers.
pub trait HybridModel: OdeSystem {
    /// The model's calendar events.
    type Event: EventPriority + Copy + std::fmt::Debug;

    /// Handles a calendar event that is due now. Handlers may change the model's inputs,
    /// apply a reset map to the state, schedule further events, or ask the loop to pause.
    fn on_event(&mut self, event: Self::Event, ctx: &mut EventContext<'_, Self::Event>);

    /// Handles the located zero crossing of state event function `index`.
    fn on_state_event(&mut self, index: usize, ctx: &mut EventContext<'_, Self::Event>);
}

/// What an event handler can see and do.
pub struct EventContext<'a, E> {
    t_s: f64,
    y: &'a mut [f64],
    calendar: &'a mut Calendar<E>,
    pause: bool,
}

impl<E: EventPriority> EventContext<'_, E> {
    /// Current time, s.
    pub fn t(&self) -> f64 {
        self.t_s
    }
    /// Current state.
    pub fn y(&self) -> &[f64] {
        self.y
    }
    /// Mutable state (a reset map). The integrator restarts from it.
    pub fn y_mut(&mut self) -> &mut [f64] {
        self.y
    }
    /// Schedules `event` at `time_s` (at or after now; earlier times fire immediately).
    pub fn schedule(&mut self, time_s: f64, event: E) {
        self.calendar.schedule(time_s, event);
    }
    /// The calendar, e.g. to cancel pending events with [`Calendar::retain`].
    pub fn calendar(&mut self) -> &mut Calendar<E> {
        self.calendar
    }
    /// Makes [`Simulator::run_until`] return [`RunOutcome::Paused`] after this handler.
    pub fn pause(&mut self) {
        self.pause = true;
    }
}

/// How [`Simulator::run_until`] ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RunOutcome {
    /// The requested end time was reached.
    Reached,
    /// A handler asked to pause at `t_s` (e.g. at an R-wave, to let the caller check for
    /// steady state).
    Paused {
        /// Time of the pause, s.
        t_s: f64,
    },
}

/// The hybrid loop: integrate to the next calendar event or state event, run its handler,
/// restart the integrator, repeat. Cloning it saves the whole run's state (to go back to it).
#[derive(Debug, Clone)]
pub struct Simulator<M: HybridModel, I: Integrator> {
    /// The model (read by the integrator, changed by handlers).
    pub model: M,
    /// The ODE integrator.
    pub integrator: I,
    /// Pending discrete events.
    pub calendar: Calendar<M::Event>,
}

/// Guard against handlers that keep scheduling events at the current time.
const MAX_EVENTS_AT_ONE_TIME: usize = 10_000;

impl<M: HybridModel, I: Integrator> Simulator<M, I> {
    /// A simulator starting at `(t0, y0)` with an empty calendar.
    pub fn new(model: M, mut integrator: I, t0: f64, y0: &[f64]) -> Self {
        integrator.init(t0, y0);
        Self {
            model,
            integrator,
            calendar: Calendar::new(),
        }
    }

    /// Current time, s.
    pub fn t(&self) -> f64 {
        self.integrator.t()
    }

    /// Current state.
    pub fn y(&self) -> &[f64] {
        self.integrator.y()
    }

    /// Replaces the state at the current time (a reset map applied between events, e.g. an
    /// extrapolation towards a periodic orbit at a beat boundary); the integrator restarts.
    pub fn set_state(&mut self, y: &[f64]) {
        self.integrator.y_mut().copy_from_slice(y);
        self.integrator.invalidate();
    }

    /// Fires every calendar event due at the current time. Returns true if a handler paused.
    fn fire_due(&mut self) -> Result<bool, SolveError> {
        let t = self.integrator.t();
        let mut fired = 0usize;
        let mut pause = false;
        while let Some(s) = self.calendar.pop_due(t) {
            fired += 1;
            if fired > MAX_EVENTS_AT_ONE_TIME {
                return Err(SolveError::InvalidRequest {
                    message: format!("more than {MAX_EVENTS_AT_ONE_TIME} events at t = {t} s"),
                });
            }
            let mut ctx = EventContext {
                t_s: t,
                y: self.integrator.y_mut(),
                calendar: &mut self.calendar,
                pause: false,
            };
            self.model.on_event(s.event, &mut ctx);
            pause |= ctx.pause;
        }
        if fired > 0 {
            self.integrator.invalidate();
        }
        Ok(pause)
    }

    /// Runs until `t_end_s` or until a handler pauses.
    pub fn run_until(
        &mut self,
        t_end_s: f64,
        observer: &mut dyn StepObserver<M>,
    ) -> Result<RunOutcome, SolveError> {
        loop {
            if self.fire_due()? {
                return Ok(RunOutcome::Paused {
                    t_s: self.integrator.t(),
                });
            }
            let t = self.integrator.t();
            if t >= t_end_s {
                return Ok(RunOutcome::Reached);
            }
            let next = self
                .calendar
                .next_time()
                .unwrap_or(f64::INFINITY)
                .min(t_end_s);
            match self.integrator.advance(&self.model, next, observer)? {
                Stop::Reached => {}
                Stop::StateEvent { index, .. } => {
                    let t_ev = self.integrator.t();
                    let mut ctx = EventContext {
                        t_s: t_ev,
                        y: self.integrator.y_mut(),
                        calendar: &mut self.calendar,
                        pause: false,
                    };
                    self.model.on_state_event(index, &mut ctx);
                    let pause = ctx.pause;
                    self.integrator.invalidate();
                    if pause {
                        return Ok(RunOutcome::Paused { t_s: t_ev });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrator::{Direction, NoObserver, SolverSettings};
    use crate::{Dopri5, OdeSolversDopri5};

    /// A tank filled at a constant rate while the pump is on, drained through a resistor;
    /// a calendar event switches the pump, a state event logs when the level crosses 1.
    struct Tank {
        pump_on: bool,
        log: Vec<(f64, &'static str)>,
    }
    #[derive(Debug, Clone, Copy)]
    enum Ev {
        On,
        Off,
    }
    impl EventPriority for Ev {
        fn priority(&self) -> u8 {
            0
        }
    }
    impl OdeSystem for Tank {
        fn dim(&self) -> usize {
            1
        }
        fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
            dy[0] = if self.pump_on { 2.0 } else { 0.0 } - y[0];
        }
        fn n_events(&self) -> usize {
            1
        }
        fn events(&self, _t: f64, y: &[f64], g: &mut [f64]) {
            g[0] = y[0] - 1.0;
        }
        fn event_direction(&self, _i: usize) -> Direction {
            Direction::Rising
        }
    }
    impl HybridModel for Tank {
        type Event = Ev;
        fn on_event(&mut self, e: Ev, ctx: &mut EventContext<'_, Ev>) {
            self.pump_on = matches!(e, Ev::On);
            self.log
                .push((ctx.t(), if self.pump_on { "on" } else { "off" }));
        }
        fn on_state_event(&mut self, _i: usize, ctx: &mut EventContext<'_, Ev>) {
            self.log.push((ctx.t(), "level"));
        }
    }

    fn run<I: Integrator>(integ: I) -> (Vec<(f64, &'static str)>, f64) {
        let tank = Tank {
            pump_on: false,
            log: vec![],
        };
        let mut sim = Simulator::new(tank, integ, 0.0, &[0.0]);
        sim.calendar.schedule(0.5, Ev::On);
        sim.calendar.schedule(3.0, Ev::Off);
        assert_eq!(
            sim.run_until(5.0, &mut NoObserver).expect("runs"),
            RunOutcome::Reached
        );
        (sim.model.log.clone(), sim.y()[0])
    }

    #[test]
    fn pump_tank_matches_analytic_solution_with_both_backends() {
        let s = SolverSettings {
            rtol: 1e-10,
            atol: 1e-12,
            ..SolverSettings::default()
        };
        // y = 2(1 - e^{-(t-0.5)}) for 0.5 <= t <= 3; crosses 1 at t = 0.5 + ln 2.
        let y3 = 2.0 * (1.0 - (-2.5f64).exp());
        let y5 = y3 * (-2.0f64).exp();
        let t_cross = 0.5 + 2f64.ln();
        for (log, y_end) in [
            run(Dopri5::new(1, s.clone())),
            run(OdeSolversDopri5::new(1, s.clone())),
        ] {
            assert_eq!(log.len(), 3, "{log:?}");
            assert_eq!(log[0], (0.5, "on"));
            assert_eq!(log[1].1, "level");
            assert!((log[1].0 - t_cross).abs() < 1e-7, "{log:?}");
            assert_eq!(log[2], (3.0, "off"));
            assert!((y_end - y5).abs() < 1e-8, "{y_end} vs {y5}");
        }
    }
}
