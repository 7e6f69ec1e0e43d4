//! The assembled hybrid model: circulation + rhythm, with the discrete events that drive it.

use counterpulse_circulation::{Circulation, St};
use counterpulse_engine::{Direction, EventContext, EventPriority, HybridModel, OdeSystem};

use crate::scenario::Scenario;

/// Calendar events of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// ECG R wave starting beat `beat`.
    RWave {
        /// Beat number (0-based).
        beat: u64,
    },
    /// ECG P wave (onset of atrial depolarisation) of beat `beat`.
    PWave {
        /// Beat number the P wave belongs to.
        beat: u64,
    },
    /// Onset of atrial contraction.
    AtrialOnset {
        /// RR interval of the beat the contraction belongs to, s.
        rr_bits: u64,
    },
    /// Onset of ventricular contraction.
    VentricularOnset {
        /// RR interval preceding the beat, s (as bits, to keep `Eq`).
        rr_bits: u64,
    },
}

impl EventPriority for Event {
    /// At one time stamp: R wave (beat boundary) first, then P wave, then the mechanical onsets.
    fn priority(&self) -> u8 {
        match self {
            Event::RWave { .. } => 0,
            Event::PWave { .. } => 1,
            Event::AtrialOnset { .. } => 2,
            Event::VentricularOnset { .. } => 3,
        }
    }
}

/// Kinds of logged events (`events.parquet`, column `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// ECG R wave.
    RWave,
    /// ECG P wave.
    PWave,
    /// Onset of atrial contraction.
    AtrialContraction,
    /// Onset of ventricular contraction.
    VentricularContraction,
    /// Aortic valve opens (forward flow starts).
    AorticValveOpen,
    /// Aortic valve closes (forward flow ends): the dicrotic notch.
    AorticValveClose,
}

impl EventKind {
    /// Name in output files.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::RWave => "r_wave",
            EventKind::PWave => "p_wave",
            EventKind::AtrialContraction => "atrial_contraction",
            EventKind::VentricularContraction => "ventricular_contraction",
            EventKind::AorticValveOpen => "aortic_valve_open",
            EventKind::AorticValveClose => "aortic_valve_close",
        }
    }
}

/// One entry of the event log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoggedEvent {
    /// Time, s.
    pub time_s: f64,
    /// What happened.
    pub kind: EventKind,
    /// Beat in which it happened.
    pub beat: u64,
}

/// Index of the state event functions.
const EV_AV_OPEN: usize = 0;
const EV_AV_CLOSE: usize = 1;

/// Circulation driven by a sinus rhythm, as a hybrid system.
#[derive(Debug, Clone)]
pub struct Model {
    /// The circulation.
    pub circulation: Circulation,
    rr_s: f64,
    pr_s: f64,
    emd_s: f64,
    atrial_emd_s: f64,
    /// Current beat number.
    pub beat: u64,
    /// Time of the current beat's R wave, s.
    pub beat_start_s: f64,
    /// RR interval of the current beat, s.
    pub beat_rr_s: f64,
    /// Event log (filled only when `log_events` is set).
    pub log: Vec<LoggedEvent>,
    /// Whether events are logged.
    pub log_events: bool,
}

impl Model {
    /// Builds the model of a checked scenario.
    pub fn new(s: &Scenario) -> Result<Self, counterpulse_circulation::ParamError> {
        s.validate()?;
        let circulation = Circulation::new(&s.circulation)?;
        let h = &s.circulation.heart;
        Ok(Self {
            circulation,
            rr_s: 60.0 / h.rate_bpm,
            pr_s: h.pr_interval_ms * 1e-3,
            emd_s: h.electromechanical_delay_ms * 1e-3,
            atrial_emd_s: h.atrial_electromechanical_delay_ms * 1e-3,
            beat: 0,
            beat_start_s: 0.0,
            beat_rr_s: 60.0 / h.rate_bpm,
            log: Vec::new(),
            log_events: false,
        })
    }

    /// Initial state of the ODE.
    pub fn initial_state(&self) -> Vec<f64> {
        // Checked in `Model::new` (via `Circulation::new`).
        self.circulation
            .initial_state()
            .unwrap_or_else(|_| vec![0.0; St::COUNT])
    }

    fn log(&mut self, time_s: f64, kind: EventKind) {
        if self.log_events {
            self.log.push(LoggedEvent {
                time_s,
                kind,
                beat: self.beat,
            });
        }
    }

    /// Next RR interval of the rhythm, s.
    fn next_rr(&mut self) -> f64 {
        self.rr_s
    }
}

impl OdeSystem for Model {
    fn dim(&self) -> usize {
        St::COUNT
    }

    #[inline]
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        self.circulation.rhs(t, y, dy, 0.0);
    }

    fn n_events(&self) -> usize {
        2
    }

    fn events(&self, _t: f64, y: &[f64], g: &mut [f64]) {
        let q = y[St::AorticValveFlow.i()];
        g[EV_AV_OPEN] = q;
        g[EV_AV_CLOSE] = q;
    }

    fn event_direction(&self, i: usize) -> Direction {
        if i == EV_AV_OPEN {
            Direction::Rising
        } else {
            Direction::Falling
        }
    }

    fn atol_scale(&self, i: usize) -> f64 {
        Circulation::atol_scale(i)
    }
}

impl HybridModel for Model {
    type Event = Event;

    fn on_event(&mut self, event: Event, ctx: &mut EventContext<'_, Event>) {
        let t = ctx.t();
        match event {
            Event::RWave { beat } => {
                let previous_rr = if beat == 0 {
                    self.rr_s
                } else {
                    t - self.beat_start_s
                };
                self.beat = beat;
                self.beat_start_s = t;
                self.log(t, EventKind::RWave);
                ctx.schedule(
                    t + self.emd_s,
                    Event::VentricularOnset {
                        rr_bits: previous_rr.to_bits(),
                    },
                );
                let rr = self.next_rr();
                self.beat_rr_s = rr;
                ctx.schedule(t + rr, Event::RWave { beat: beat + 1 });
                if rr > self.pr_s {
                    let p = t + rr - self.pr_s;
                    ctx.schedule(p, Event::PWave { beat: beat + 1 });
                    ctx.schedule(
                        p + self.atrial_emd_s,
                        Event::AtrialOnset {
                            rr_bits: rr.to_bits(),
                        },
                    );
                }
                ctx.pause();
            }
            Event::PWave { .. } => self.log(t, EventKind::PWave),
            Event::AtrialOnset { rr_bits } => {
                self.circulation
                    .start_atrial_activation(t, f64::from_bits(rr_bits));
                self.log(t, EventKind::AtrialContraction);
            }
            Event::VentricularOnset { rr_bits } => {
                self.circulation
                    .start_ventricular_activation(t, f64::from_bits(rr_bits));
                self.log(t, EventKind::VentricularContraction);
            }
        }
    }

    fn on_state_event(&mut self, index: usize, ctx: &mut EventContext<'_, Event>) {
        let kind = if index == EV_AV_OPEN {
            EventKind::AorticValveOpen
        } else {
            EventKind::AorticValveClose
        };
        self.log(ctx.t(), kind);
    }
}
