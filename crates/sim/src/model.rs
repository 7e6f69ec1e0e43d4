//! The assembled hybrid model: circulation + rhythm, and optionally the balloon with its console
//! and the baroreflex, with the discrete events that drive them.
//!
//! State layout: the circulation's block first (positions handed out by its assembly, with the
//! baroreflex's states when the reflex is on); then, if the balloon is on, its [`BalloonSt`]
//! block. With the balloon off the model is exactly the circulation (same states, same event
//! functions), so results are bit-identical to a run without a balloon.

use counterpulse_balloon::{
    Actions, Balloon, BalloonParams, BalloonSt, Console, ConsoleEvent, ConsoleLog,
    NOTCH_VALVE_OPENING,
};
use counterpulse_circulation::aortic_anatomy::{AorticLevels, BalloonPlacement};
use counterpulse_circulation::components::baroreflex::HEART_RATE_STATE;
use counterpulse_circulation::{
    BALLOON_BLOCK, BALLOON_VOLUME_INPUT, BalloonShape, CircuitOptions, Circulation, Memory,
    ParamError, Signal, Value, reference_circuit,
};

use counterpulse_engine::{
    Calendar, Direction, EventContext, EventPriority, HybridModel, OdeSystem,
};

use crate::rhythm::{BeatPlan, Rhythm};
use crate::scenario::Scenario;

/// Error of the tabulated heart activations per unit of the integrator's relative tolerance.
/// An error `δe` moves a chamber's pressure by `δe · Ees (V − V₀)`, at most about 3.5 δe
/// relative (the LV at end-systole: 2.5 mmHg/mL × 140 mL against 100 mmHg), so 1e-3 keeps it
/// 300 times below what the integrator resolves. At the default rtol 1e-6 the presets' tables
/// have 2 938 ventricular knots of 0.5 ms and 4 299 atrial ones of 0.25 ms; below rtol 1e-10
/// both curves are evaluated exactly (a table would exceed its size limit), so tight
/// references integrate the exact curves.
pub const ACTIVATION_TOLERANCE_PER_RTOL: f64 = 1e-3;

/// Absolute tolerance of a flow state (valve and inertial flows, mL/s) per unit of
/// `solver.atol`. A flow's error reaches the volumes only integrated over a step (at most
/// `solver.max_step_ms`, 10 ms by default), so 10 × 1e-6 mL/s moves a volume by at most 1e-7 mL
/// a step where the absolute tolerance governs (flows near 0; larger ones are held by rtol), a
/// tenth of the volumes' own absolute tolerance; where a valve is shut its flow is near 0, and
/// resolving it to 1e-6 mL/s (0.06 µL/min) cost steps. The metrics read from a closing valve's
/// backflow moved by less than the runs' stated errors (the presets' aortic regurgitant volumes
/// by at most 2.6e-4 relative). Measured on
/// the default sweep (2026-12-03, counts of the deterministic runs, not timings): 1 → 10 took
/// the right-hand side evaluations from 16.3 to 15.5 million (−5 %) with the same beats to
/// steady state (1 429 / 8 392 baseline / assisted in all, then 1 425 / 8 396) and every
/// assisted CO as close to a `steady.tolerance = 1e-6` reference (largest 1.6e-4 relative,
/// at most 0.85 of the stated errors); 100 saved 8 % of the evaluations but took 3.7 % more
/// assisted beats (a noisier beat map).
pub const FLOW_ATOL_FACTOR: f64 = 10.0;

/// Calendar events of the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    /// ECG R wave starting beat `beat`.
    RWave {
        /// Beat number (0-based).
        beat: u64,
        /// This beat is a premature ventricular beat.
        premature: bool,
    },
    /// ECG P wave (onset of atrial depolarisation) before the R wave of beat `beat`.
    PWave {
        /// The beat whose R wave it precedes.
        beat: u64,
    },
    /// Onset of atrial contraction for a beat with RR interval `rr_s`.
    AtrialOnset {
        /// RR interval of the beat the contraction belongs to, s.
        rr_s: f64,
        /// The beat whose R wave it precedes.
        beat: u64,
    },
    /// Onset of ventricular contraction.
    VentricularOnset {
        /// RR interval preceding the beat, s.
        rr_s: f64,
        /// The beat it belongs to.
        beat: u64,
    },
    /// Peak of the ventricular activation that began at `onset_s`: the right-hand side has a
    /// jump there (the O2 demand's elastic-energy term ends), so a step boundary is placed on
    /// it, and the activation's rise ends (`Drive::ventricular_rising`).
    VentricularPeak {
        /// Onset of the activation, s.
        onset_s: f64,
    },
    /// Step `index` of the scenario's protocol.
    Protocol {
        /// Index into the protocol.
        index: usize,
    },
    /// An event of the balloon console.
    Console(ConsoleEvent),
}

impl EventPriority for Event {
    /// At one time stamp: R wave (beat boundary) first, then P wave, the mechanical onsets,
    /// protocol steps, and console events last (in the order they were scheduled).
    fn priority(&self) -> u8 {
        match self {
            Event::RWave { .. } => 0,
            Event::PWave { .. } => 1,
            Event::AtrialOnset { .. } => 2,
            Event::VentricularOnset { .. } => 3,
            Event::VentricularPeak { .. } => 4,
            Event::Protocol { .. } => 5,
            Event::Console(_) => 6,
        }
    }
}

/// Kinds of logged events (`events.parquet`, column `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// ECG R wave.
    RWave,
    /// ECG R wave of a premature ventricular beat.
    PrematureBeat,
    /// ECG P wave.
    PWave,
    /// Onset of atrial contraction.
    AtrialContraction,
    /// Onset of ventricular contraction.
    VentricularContraction,
    /// Aortic valve opens (forward flow starts).
    AorticValveOpen,
    /// Aortic valve closes (forward flow ends).
    AorticValveClose,
    /// Impella suction alarm: the LV emptied around the pump's inlet.
    ImpellaSuction,
    /// A protocol step was applied.
    ProtocolStep,
    /// Console entries (commands, balloon full/empty, detected notch, alarms).
    Console(ConsoleLog),
}

impl EventKind {
    /// Name in output files.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::RWave => "r_wave",
            EventKind::PrematureBeat => "premature_beat",
            EventKind::PWave => "p_wave",
            EventKind::AtrialContraction => "atrial_contraction",
            EventKind::VentricularContraction => "ventricular_contraction",
            EventKind::AorticValveOpen => "aortic_valve_open",
            EventKind::AorticValveClose => "aortic_valve_close",
            EventKind::ImpellaSuction => "impella_suction_alarm",
            EventKind::ProtocolStep => "protocol_step",
            EventKind::Console(c) => c.name(),
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

/// State event functions.
const EV_AV_OPEN: usize = 0;
const EV_AV_CLOSE: usize = 1;
const EV_NOTCH: usize = 2;
const EV_FULL: usize = 3;
const EV_EMPTY: usize = 4;

/// The balloon and its console inside the model.
#[derive(Debug, Clone)]
pub struct BalloonUnit {
    /// The balloon and gas line.
    pub balloon: Balloon,
    /// The console.
    pub console: Console,
    /// Offset of the balloon block in the state vector.
    pub offset: usize,
    /// Pressures around the balloon and the share of its gas in each (the spans of the aorta
    /// it lies in): the gas is pressed by their weighted mean.
    pub surroundings: Vec<(Signal, f64)>,
}

/// Positions in the circulation that the model's events and the recorders use, resolved by
/// name once when the model is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Landmarks {
    /// Flow through the aortic valve (state).
    pub aortic_valve_flow: usize,
    /// Opening of the aortic valve (state).
    pub aortic_valve_opening: usize,
    /// The baroreflex's heart-rate change (state), when the reflex is part of the circuit.
    pub heart_rate_change: Option<usize>,
    /// LV volume (state), watched for Impella suction.
    pub lv_volume: usize,
}

/// Circulation driven by a rhythm, with an optional balloon, as a hybrid system. The
/// baroreflex, when enabled, is a controller inside the circulation.
#[derive(Debug, Clone)]
pub struct Model {
    /// The circulation.
    pub circulation: Circulation,
    /// Balloon pump, when enabled.
    pub balloon: Option<BalloonUnit>,
    /// Positions used by events and recorders.
    pub landmarks: Landmarks,
    circuit_options: CircuitOptions,
    scenario: Scenario,
    rhythm: Rhythm,
    dim: usize,
    /// Current beat number.
    pub beat: u64,
    /// Time of the current beat's R wave, s.
    pub beat_start_s: f64,
    /// RR interval of the current beat, s.
    pub beat_rr_s: f64,
    /// The current beat is a premature ventricular beat.
    pub beat_premature: bool,
    /// The rhythm generator as it was before the current beat was planned (to plan it again).
    beat_rhythm: Rhythm,
    /// The heart rate the current beat was planned for, bpm.
    beat_rate_bpm: f64,
    /// Protocol steps applied so far.
    pub protocol_applied: usize,
    /// Event log (filled only when `log_events` is set).
    pub log: Vec<LoggedEvent>,
    /// Whether events are logged.
    pub log_events: bool,
    /// Console alarms raised (kept whether or not events are logged).
    pub alarms: Vec<LoggedEvent>,
    /// Suction alarms of an Impella-type pump so far (LV volume fell below the suction volume).
    pub impella_suction_alarms: u64,
}

/// Where the balloon's membrane ends relative to the coeliac trunk, the SMA and the renal arteries, when
/// `scenario` has a balloon.
pub(crate) fn balloon_clearance(
    scenario: &Scenario,
) -> Result<Option<counterpulse_metrics::BalloonClearance>, ParamError> {
    if !scenario.iabp.enabled {
        return Ok(None);
    }
    let levels = AorticLevels::new(&scenario.circulation);
    let b = BalloonPlacement::new(&balloon_shape(&scenario.iabp), &levels)?;
    Ok(Some(counterpulse_metrics::BalloonClearance {
        coeliac_cm: b.clearance_above_cm(levels.coeliac_cm),
        sma_cm: b.clearance_above_cm(levels.sma_cm),
        renal_cm: b.clearance_above_cm(levels.renal_cm),
    }))
}

/// The pressures of the spans of the aorta the balloon lies in, with the share of its gas in
/// each (as the circuit places it).
fn balloon_surroundings(
    scenario: &Scenario,
    c: &Circulation,
) -> Result<Vec<(Signal, f64)>, ParamError> {
    let levels = AorticLevels::new(&scenario.circulation);
    let b = BalloonPlacement::new(&balloon_shape(&scenario.iabp), &levels)?;
    let spans = [
        "descending_aorta_pressure_mmhg",
        "visceral_aorta_pressure_mmhg",
        "infrarenal_aorta_pressure_mmhg",
    ];
    spans
        .into_iter()
        .zip(b.gas_shares(levels.compartments()))
        .filter(|&(_, share)| share > 0.0)
        .map(|(name, share)| {
            c.signal(name)
                .map(|p| (p, share))
                .ok_or_else(|| ParamError::Inconsistent {
                    message: format!(
                        "circuit assembly: the balloon needs `{name}`, which the circuit lacks"
                    ),
                })
        })
        .collect()
}

/// The balloon's shape and position, as the circuit places it.
fn balloon_shape(p: &BalloonParams) -> BalloonShape {
    BalloonShape {
        nominal_volume_ml: p.volume_ml,
        inflated_diameter_mm: p.inflated_diameter_mm,
        tip_below_subclavian_cm: p.position_cm,
        taper_length_cm: p.taper_length_cm,
        eccentricity: p.eccentricity,
        lean_angle_deg: p.lean_angle_deg,
    }
}

fn landmarks(c: &Circulation) -> Result<Landmarks, ParamError> {
    let missing = |what: &str| ParamError::Inconsistent {
        message: format!(
            "circuit assembly: the simulation needs `{what}`, which the circuit lacks"
        ),
    };
    if c.input_names() != [BALLOON_VOLUME_INPUT] {
        return Err(missing(BALLOON_VOLUME_INPUT));
    }
    Ok(Landmarks {
        aortic_valve_flow: c
            .state("aortic_valve_flow_ml_s")
            .ok_or_else(|| missing("aortic_valve_flow_ml_s"))?,
        aortic_valve_opening: c
            .state("aortic_valve_opening")
            .ok_or_else(|| missing("aortic_valve_opening"))?,
        heart_rate_change: c.state(HEART_RATE_STATE),
        lv_volume: c
            .state("lv_volume_ml")
            .ok_or_else(|| missing("lv_volume_ml"))?,
    })
}

impl Model {
    /// Builds the model of a checked scenario. The balloon is included when `iabp.enabled`;
    /// the baroreflex when `baroreflex.enabled` and a set point is known
    /// (`reflex_set_point_mmhg`: the baseline MAP, or `baroreflex.set_point_mmhg`).
    pub fn new(s: &Scenario, reflex_set_point_mmhg: Option<f64>) -> Result<Self, ParamError> {
        s.validate()?;
        let br = &s.circulation.baroreflex;
        let circuit_options = CircuitOptions {
            baroreflex_set_point_mmhg: if br.set_point_from_baseline {
                reflex_set_point_mmhg
            } else {
                Some(br.set_point_mmhg)
            },
            balloon_states: s.iabp.enabled.then_some(&BalloonSt::NAMES[..]),
            balloon_shape: s.iabp.enabled.then_some(balloon_shape(&s.iabp)),
            activation_tolerance: Some(
                crate::run::effective_rtol(s) * ACTIVATION_TOLERANCE_PER_RTOL,
            ),
        };
        let circulation = reference_circuit(&s.circulation, circuit_options)?;
        let landmarks = landmarks(&circulation)?;
        let dim = circulation.dim();
        let balloon = match circulation.reserved(BALLOON_BLOCK) {
            Some(block) if block.len() == BalloonSt::COUNT => Some(BalloonUnit {
                balloon: Balloon::new(&s.iabp),
                console: Console::new(&s.iabp),
                offset: block.start,
                surroundings: balloon_surroundings(s, &circulation)?,
            }),
            Some(_) => {
                return Err(ParamError::Inconsistent {
                    message: "circuit assembly: the balloon's state block has the wrong size"
                        .into(),
                });
            }
            None => None,
        };
        let rr = 60.0 / s.circulation.heart.rate_bpm;
        Ok(Self {
            circulation,
            balloon,
            landmarks,
            circuit_options,
            scenario: s.clone(),
            rhythm: Rhythm::new(&s.rhythm),
            dim,
            beat: 0,
            beat_start_s: 0.0,
            beat_rr_s: rr,
            beat_premature: false,
            beat_rhythm: Rhythm::new(&s.rhythm),
            beat_rate_bpm: s.circulation.heart.rate_bpm,
            protocol_applied: 0,
            log: Vec::new(),
            log_events: false,
            impella_suction_alarms: 0,
            alarms: Vec::new(),
        })
    }

    /// Initial state: the circulation's start and an empty balloon.
    pub fn initial_state(&self) -> Vec<f64> {
        let mut y = self.circulation.initial_state();
        self.start_balloon(&mut y);
        y
    }

    /// Names of the states of the vector (the circulation's, with the balloon's block), in
    /// order.
    pub fn circulation_state_names(&self) -> Vec<String> {
        self.circulation
            .state_names()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// A start that continues the state of another model's run (which ended with the states
    /// `names` = `values`): states this model shares take their values, new ones (a reflex
    /// started with the balloon) start at rest, and the balloon starts empty.
    pub fn continue_state(&self, names: &[String], values: &[f64]) -> Vec<f64> {
        let mut y = self.circulation.initial_state();
        self.take_named_states(&mut y, names, values);
        self.start_balloon(&mut y);
        y
    }

    /// A warm start: the state `current` of this model at an R wave with the states it
    /// shares with another run's final state (`names` = `values`, a neighbouring sweep point's
    /// periodic orbit at its R wave) taken from that run, except the balloon's block (this
    /// run's balloon and console go on as they are).
    pub fn warm_state(&self, current: &[f64], names: &[String], values: &[f64]) -> Vec<f64> {
        let mut y = current.to_vec();
        self.take_named_states(&mut y, names, values);
        y
    }

    /// Sets the states of `y` outside the balloon's block that another run's state
    /// (`names` = `values`) also has to that run's values.
    fn take_named_states(&self, y: &mut [f64], names: &[String], values: &[f64]) {
        let balloon = self
            .balloon
            .as_ref()
            .map(|b| b.offset..b.offset + BalloonSt::COUNT);
        for (i, name) in self.circulation.state_names().iter().enumerate() {
            if balloon.as_ref().is_some_and(|r| r.contains(&i)) {
                continue;
            }
            if let Some(j) = names.iter().position(|n| n == name) {
                y[i] = values[j];
            }
        }
    }

    /// Puts an empty balloon into its block of `y`.
    fn start_balloon(&self, y: &mut [f64]) {
        if let Some(b) = &self.balloon {
            let start = b
                .balloon
                .initial_state(self.scenario.iabp.baseline_pressure_mmhg);
            y[b.offset..b.offset + BalloonSt::COUNT].copy_from_slice(&start);
        }
    }

    /// The scenario the model runs (with protocol steps applied so far).
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Inputs of the circulation at state `y` (the balloon's gas volume).
    #[inline]
    pub fn inputs(&self, y: &[f64]) -> [f64; 1] {
        match &self.balloon {
            Some(b) => [y[b.offset + BalloonSt::Volume.i()]],
            None => [0.0],
        }
    }

    /// Current heart rate target (with the baroreflex's change), bpm.
    pub fn heart_rate_bpm(&self, y: &[f64]) -> f64 {
        let base = self.scenario.circulation.heart.rate_bpm;
        match self.landmarks.heart_rate_change {
            Some(i) => (base + y[i]).clamp(20.0, 250.0),
            None => base,
        }
    }

    /// Scale of state `i` for the steady-state test (`None`: not tested, e.g. the helium lost,
    /// which only grows). A state is steady when its change over an assist period is below
    /// `steady.tolerance × max(|y|, scale)`.
    pub fn steady_scale(&self, i: usize) -> Option<f64> {
        if let Some(b) = &self.balloon
            && i >= b.offset
            && i < b.offset + BalloonSt::COUNT
        {
            return match BalloonSt::ALL[i - b.offset] {
                BalloonSt::GasLeaked => None,
                _ => Some(10.0),
            };
        }
        (i < self.circulation.dim()).then(|| self.circulation.steady_scale(i))
    }

    /// The states tested for periodic steady state and extrapolated towards it: those of the
    /// circulation that carry memory from beat to beat (see
    /// [`counterpulse_circulation::Memory`]). The balloon's block is left out: it empties
    /// every beat, and its helium loss only grows.
    pub fn tested_states(&self) -> Vec<crate::steady::TestedState> {
        let c = &self.circulation;
        (0..c.dim())
            .filter(|&i| {
                self.balloon
                    .as_ref()
                    .is_none_or(|b| i < b.offset || i >= b.offset + BalloonSt::COUNT)
            })
            .filter_map(|i| match c.memory(i) {
                Memory::Carried { min, max } => Some(crate::steady::TestedState {
                    index: i,
                    scale_floor: c.steady_scale(i),
                    min,
                    max,
                    relaxation_time_s: c.relaxation_time_s(i),
                }),
                Memory::Slaved => None,
            })
            .collect()
    }

    /// Whether there is no periodic steady state: an irregular rhythm, or a balloon on its
    /// internal (asynchronous) trigger.
    pub fn irregular(&self) -> bool {
        self.scenario.rhythm.is_irregular()
            || self.balloon.as_ref().is_some_and(|b| {
                b.console.params().trigger == counterpulse_balloon::Trigger::Internal
            })
    }

    /// Index of the Impella suction event function, when a pump is running.
    fn suction_event(&self) -> Option<usize> {
        self.scenario
            .circulation
            .impella
            .enabled
            .then_some(if self.balloon.is_some() { 5 } else { 2 })
    }

    /// Assist period in beats (1 without balloon).
    pub fn assist_period(&self) -> u64 {
        self.balloon
            .as_ref()
            .map_or(1, |b| b.console.params().ratio.k())
    }

    fn log(&mut self, time_s: f64, kind: EventKind) {
        let entry = LoggedEvent {
            time_s,
            kind,
            beat: self.beat,
        };
        if matches!(
            kind,
            EventKind::Console(ConsoleLog::Alarm(_)) | EventKind::ImpellaSuction
        ) {
            self.alarms.push(entry);
        }
        if self.log_events {
            self.log.push(entry);
        }
    }

    fn apply_actions(&mut self, a: Actions, ctx: &mut EventContext<'_, Event>) {
        for (t, e) in a.schedule {
            ctx.schedule(t.max(ctx.t()), Event::Console(e));
        }
        for (t, l) in a.log {
            self.log(t, EventKind::Console(l));
        }
    }

    /// Plans the beat whose R wave is at `t`: its ventricular contraction (after the
    /// electromechanical delay, timed by the RR interval `previous_rr_s` before it), and, from
    /// the heart rate `rate_bpm`, its RR interval, the next R wave and the P wave and atrial
    /// contraction before it. The one place a beat's calendar is made: the R wave's handler
    /// calls it, and [`Model::replan_beat`] calls it again when the state is replaced.
    fn plan_beat(
        &mut self,
        t: f64,
        rate_bpm: f64,
        previous_rr_s: f64,
        calendar: &mut Calendar<Event>,
    ) {
        let beat = self.beat;
        self.beat_rate_bpm = rate_bpm;
        let h = &self.scenario.circulation.heart;
        let (emd, pr, aemd) = (
            h.electromechanical_delay_ms * 1e-3,
            h.pr_interval_ms * 1e-3,
            h.atrial_electromechanical_delay_ms * 1e-3,
        );
        calendar.schedule(
            t + emd,
            Event::VentricularOnset {
                rr_s: previous_rr_s,
                beat,
            },
        );
        let plan: BeatPlan = self.rhythm.next(rate_bpm);
        self.beat_rr_s = plan.rr_s;
        calendar.schedule(
            t + plan.rr_s,
            Event::RWave {
                beat: beat + 1,
                premature: plan.next_premature,
            },
        );
        if plan.next_has_p_wave && plan.rr_s > pr {
            let p = t + plan.rr_s - pr;
            calendar.schedule(p, Event::PWave { beat: beat + 1 });
            calendar.schedule(
                p + aemd,
                Event::AtrialOnset {
                    rr_s: plan.rr_s,
                    beat: beat + 1,
                },
            );
        }
    }

    /// The state at the current beat's R wave was replaced by `y` (an extrapolation towards the
    /// periodic orbit, see [`crate::steady`]): plans the beat again for `y`'s heart rate (the
    /// baroreflex's state), so that the beat runs as the beat map at `y` does. `y` stands for a
    /// point on the orbit, where every RR interval is the same: the contraction is timed as
    /// after an interval at that rate. Nothing changes when the rate is the one planned for
    /// (no baroreflex). Call it at the R wave's pause, before integrating on. Regular rhythms
    /// only (those are the ones extrapolated).
    pub fn replan_beat(&mut self, y: &[f64], calendar: &mut Calendar<Event>) {
        let rate = self.heart_rate_bpm(y);
        if rate == self.beat_rate_bpm {
            // The beat's calendar does not depend on the rest of the state.
            return;
        }
        let beat = self.beat;
        calendar.retain(|e| {
            !matches!(*e,
                Event::RWave { beat: b, .. }
                | Event::PWave { beat: b }
                | Event::AtrialOnset { beat: b, .. } if b == beat + 1)
                && !matches!(*e, Event::VentricularOnset { beat: b, .. } if b == beat)
        });
        self.rhythm = self.beat_rhythm.clone();
        self.plan_beat(self.beat_start_s, rate, 60.0 / rate, calendar);
    }

    /// Applies one protocol value at run time.
    fn apply_value(
        &mut self,
        key: &str,
        value: &Value,
        t: f64,
        out: &mut Actions,
    ) -> Result<(), ParamError> {
        self.scenario.set(key, value)?;
        let group = key.split_once('.').map_or("", |(g, _)| g);
        match group {
            "iabp" => {
                if let Some(b) = self.balloon.as_mut() {
                    let line = b.balloon.line;
                    b.balloon = Balloon::new(&self.scenario.iabp);
                    b.balloon.line = line;
                    b.console.update_params(&self.scenario.iabp, t, out);
                    // A new volume or diameter changes the gap the balloon leaves.
                    let shape = Some(balloon_shape(&self.scenario.iabp));
                    if shape != self.circuit_options.balloon_shape {
                        self.circuit_options.balloon_shape = shape;
                        let drive = self.circulation.drive();
                        self.circulation =
                            reference_circuit(&self.scenario.circulation, self.circuit_options)?;
                        self.circulation.set_drive(drive);
                    }
                }
            }
            "rhythm" => self.rhythm.update(&self.scenario.rhythm),
            "heart" if key == "heart.rate_bpm" => {}
            _ => {
                // Same options, same state layout: only parameters change.
                let drive = self.circulation.drive();
                self.circulation =
                    reference_circuit(&self.scenario.circulation, self.circuit_options)?;
                self.circulation.set_drive(drive);
            }
        }
        Ok(())
    }
}

impl OdeSystem for Model {
    fn dim(&self) -> usize {
        self.dim
    }

    #[inline]
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        let u = self.inputs(y);
        self.circulation.rhs(t, y, dy, &u);
        if let Some(b) = &self.balloon {
            let o = b.offset;
            let p_around: f64 = b
                .surroundings
                .iter()
                .map(|&(p, share)| share * self.circulation.last_signal(p))
                .sum();
            b.balloon.rhs(
                &y[o..o + BalloonSt::COUNT],
                p_around,
                &mut dy[o..o + BalloonSt::COUNT],
            );
        }
    }

    fn n_events(&self) -> usize {
        let base = if self.balloon.is_some() { 5 } else { 2 };
        base + usize::from(self.suction_event().is_some())
    }

    fn events(&self, _t: f64, y: &[f64], g: &mut [f64]) {
        let q = y[self.landmarks.aortic_valve_flow];
        g[EV_AV_OPEN] = q;
        g[EV_AV_CLOSE] = q;
        if let Some(b) = &self.balloon {
            // Notch: the closing aortic valve is shut, located only while the console's
            // detector is armed.
            g[EV_NOTCH] = if b.console.notch_armed() {
                y[self.landmarks.aortic_valve_opening] - NOTCH_VALVE_OPENING
            } else {
                1.0
            };
            let o = b.offset;
            let [full, empty] = b
                .console
                .event_functions(&y[o..o + BalloonSt::COUNT], &b.balloon);
            g[EV_FULL] = full;
            g[EV_EMPTY] = empty;
        }
        if let Some(i) = self.suction_event() {
            g[i] =
                y[self.landmarks.lv_volume] - self.scenario.circulation.impella.suction_volume_ml;
        }
    }

    fn event_direction(&self, i: usize) -> Direction {
        if self.suction_event() == Some(i) {
            return Direction::Falling;
        }
        match i {
            EV_AV_OPEN | EV_FULL => Direction::Rising,
            _ => Direction::Falling,
        }
    }

    /// Absolute tolerance relative to a state's typical size (its steady-state scale, 10 for
    /// volumes in mL and flows in mL/s): volumes use `solver.atol` as is, states of order one
    /// (valve openings, the territory's function, the autoregulation's log factor) a tenth of
    /// it, and the territory's O2 rates (~0.1 mL O2/s, scale 0.01) a thousandth. With one
    /// absolute tolerance for all, the O2 filters' errors (1e-6 a step on 0.08 mL/s) added up
    /// to a beat-to-beat jitter of 2e-4 of their value, a floor under the steady-state test.
    /// Flows (valve and inertial, mL/s) use [`FLOW_ATOL_FACTOR`] times `solver.atol`.
    fn atol_scale(&self, i: usize) -> f64 {
        let scale = self.steady_scale(i).map_or(1.0, |s| (s / 10.0).min(1.0));
        let flow =
            i < self.circulation.dim() && self.circulation.state_name(i).ends_with("_flow_ml_s");
        if flow {
            scale * FLOW_ATOL_FACTOR
        } else {
            scale
        }
    }

    /// Controllers held at a limit (the coronary autoregulation's anti-windup).
    fn project(&self, y: &mut [f64]) -> bool {
        self.circulation.project(y)
    }
}

impl HybridModel for Model {
    type Event = Event;

    fn on_event(&mut self, event: Event, ctx: &mut EventContext<'_, Event>) {
        let t = ctx.t();
        match event {
            Event::RWave { beat, premature } => {
                let previous_rr = if beat == 0 {
                    self.beat_rr_s
                } else {
                    t - self.beat_start_s
                };
                self.beat = beat;
                self.beat_start_s = t;
                self.beat_premature = premature;
                self.log(
                    t,
                    if premature {
                        EventKind::PrematureBeat
                    } else {
                        EventKind::RWave
                    },
                );
                self.beat_rhythm = self.rhythm.clone();
                let rate = self.heart_rate_bpm(ctx.y());
                self.plan_beat(t, rate, previous_rr, ctx.calendar());
                if !self.rhythm.atria_contract() {
                    self.circulation.stop_atrial_activation();
                }
                if let Some(b) = self.balloon.as_mut() {
                    b.console.beat = beat;
                    let mut a = Actions::default();
                    if beat == 0 {
                        b.console.start(t, &mut a);
                    }
                    b.console.on_r_wave(t, &mut a);
                    self.apply_actions(a, ctx);
                }
                ctx.pause();
            }
            Event::PWave { .. } => self.log(t, EventKind::PWave),
            Event::AtrialOnset { rr_s, .. } => {
                self.circulation.start_atrial_activation(t, rr_s);
                self.log(t, EventKind::AtrialContraction);
            }
            Event::VentricularOnset { rr_s, .. } => {
                self.circulation.start_ventricular_activation(t, rr_s);
                self.log(t, EventKind::VentricularContraction);
                if self.circulation.uses_activation_rate() {
                    let peak = self
                        .circulation
                        .activation()
                        .ventricular_time_to_peak_s(rr_s);
                    ctx.schedule(t + peak, Event::VentricularPeak { onset_s: t });
                }
            }
            Event::VentricularPeak { onset_s } => self.circulation.end_ventricular_rise(onset_s),
            Event::Protocol { index } => {
                let step = self.scenario.protocol.get(index).cloned();
                if let Some(step) = step {
                    let mut a = Actions::default();
                    for (k, v) in &step.values {
                        // Checked when the scenario was loaded; a failure here cannot happen.
                        let _ = self.apply_value(k, v, t, &mut a);
                    }
                    self.protocol_applied = index + 1;
                    self.log(t, EventKind::ProtocolStep);
                    self.apply_actions(a, ctx);
                }
            }
            Event::Console(ce) => {
                if let Some(b) = self.balloon.as_mut() {
                    let o = b.offset;
                    let yb = ctx.y()[o..o + BalloonSt::COUNT].to_vec();
                    let mut a = Actions::default();
                    b.console.on_event(ce, t, &yb, &mut b.balloon, &mut a);
                    self.apply_actions(a, ctx);
                }
            }
        }
    }

    fn on_state_event(&mut self, index: usize, ctx: &mut EventContext<'_, Event>) {
        let t = ctx.t();
        if self.suction_event() == Some(index) {
            self.impella_suction_alarms += 1;
            self.log(t, EventKind::ImpellaSuction);
            return;
        }
        let mut a = Actions::default();
        match index {
            EV_AV_OPEN => {
                self.log(t, EventKind::AorticValveOpen);
                if let Some(b) = self.balloon.as_mut() {
                    let v = ctx.y()[b.offset + BalloonSt::Volume.i()];
                    b.console.on_valve_open(t, v, &mut a);
                }
            }
            EV_AV_CLOSE => {
                self.log(t, EventKind::AorticValveClose);
                if let Some(b) = self.balloon.as_mut() {
                    b.console.on_valve_close(t, &mut a);
                }
            }
            EV_NOTCH => {
                if let Some(b) = self.balloon.as_mut() {
                    b.console.on_notch(t, &mut a);
                }
            }
            EV_FULL => {
                if let Some(b) = self.balloon.as_mut() {
                    let o = b.offset;
                    let yb = ctx.y()[o..o + BalloonSt::COUNT].to_vec();
                    b.console.on_full(t, &yb, &mut b.balloon, &mut a);
                }
            }
            EV_EMPTY => {
                if let Some(b) = self.balloon.as_mut() {
                    let o = b.offset;
                    let yb = ctx.y()[o..o + BalloonSt::COUNT].to_vec();
                    b.console.on_empty(t, &yb, &mut b.balloon, &mut a);
                }
            }
            _ => {}
        }
        self.apply_actions(a, ctx);
    }
}
