//! The IABP console: a discrete-event controller.
//!
//! It synchronises on a cycle reference (the ECG R wave after its detection latency, the
//! arterial upstroke after its detection latency, or an internal clock), learns from the
//! previous beats when the dicrotic notch and the aortic valve opening come after the
//! reference and how long deflation takes, and schedules inflate and deflate commands:
//!
//! * inflate at `reference + predicted(reference→notch) − inflation_lead + inflate_offset`;
//!   the interval to the notch is learned from beats whose systole follows an unassisted
//!   diastole (at 1:1, the beats before assist starts), as an operator sets inflation on the
//!   unassisted beats; learning from assisted beats would chase the balloon's own effect on
//!   the valve;
//! * deflate, `auto`: at `predicted next reference + predicted(reference→valve opening)
//!   − predicted(deflation time) − deflation_margin + deflate_offset`, so that the balloon is
//!   empty `deflation_margin` before the aortic valve opens, by the end of isovolumic
//!   contraction (conventional timing). The opening it aims at is that of the systoles the
//!   balloon assists (learned from systoles after an assisted diastole): the emptied balloon
//!   lowers the pressure the LV must reach, so these valves open 7–27 ms earlier than
//!   unassisted ones (presets at 60–160 bpm). Aiming at the unassisted opening left the balloon
//!   emptying 9–21 ms into ejection at every heart rate (issue 12). Before an assisted systole
//!   has been seen it aims at the unassisted opening. The loop is stable (an opening moves by
//!   about 0.4 ms per ms of deflation) except in a very stiff aorta, where a weak LV opens into
//!   the balloon's dip and is shut again by the rebound: there the timing alternates and the
//!   run is reported as not converged. `r-wave`: on the next reference (+ offset ≥ 0);
//! * the notch: the incisura of the aortic pressure, taken at the instant the closing aortic
//!   valve is shut (opening below [`NOTCH_VALVE_OPENING`]), where the post-closure pressure
//!   minimum lies in a damped aorta. Being the crossing of a monotonic state it moves smoothly
//!   with every parameter; a detector of the pressure minimum itself switched between two
//!   minima of a ringing trace and moved inflation by 28 ms between neighbouring sweep points
//!   (issue 12);
//! * each command switches the valve after the pneumatic delay; inflation stops when the
//!   console has delivered `augmentation × nominal volume`, deflation when the balloon is empty.
//!
//! Monitoring: gas lost per cycle (leak alarm, refill from the helium reservoir, low and empty
//! reservoir alarms), loss of trigger (watchdog), prolonged standby. Alarms are log entries.
//!
//! The console does not own the calendar: every method fills an [`Actions`] with events to
//! schedule and entries to log; the hybrid model passes them on.

use std::collections::VecDeque;

use crate::balloon::{Balloon, BalloonSt};
use crate::params::{BalloonParams, Timing, Trigger};

/// Events the console schedules for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleEvent {
    /// Issue the inflate command of cycle `cycle`.
    InflateCommand {
        /// Cycle id.
        cycle: u64,
    },
    /// Issue the deflate command of cycle `cycle`.
    DeflateCommand {
        /// Cycle id.
        cycle: u64,
    },
    /// The valve switches to the drive pressure (pneumatic delay after the inflate command).
    ValveDrive {
        /// Cycle id.
        cycle: u64,
    },
    /// The valve switches to vacuum (pneumatic delay after the deflate command).
    ValveVacuum {
        /// Cycle id.
        cycle: u64,
    },
    /// The console detects a cycle reference (R wave or upstroke) that occurred earlier.
    ReferenceDetected,
    /// Tick of the internal asynchronous trigger.
    InternalTrigger,
    /// Checks that a reference arrived since it was scheduled.
    TriggerWatchdog {
        /// Sequence number; stale watchdogs are ignored.
        seq: u64,
    },
    /// The valve was not seen shut in time after its closure began: estimate the notch.
    NotchTimeout {
        /// Sequence number; stale timeouts are ignored.
        seq: u64,
    },
    /// Checks whether the balloon is still stopped.
    StandbyWatchdog {
        /// Sequence number; stale watchdogs are ignored.
        seq: u64,
    },
}

/// Alarms raised by the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alarm {
    /// More gas lost in a cycle than `iabp.leak_alarm_ml`.
    GasLeak,
    /// Helium reservoir below `iabp.helium_low_alarm_ml`.
    HeliumLow,
    /// Helium reservoir empty: pumping stops.
    HeliumEmpty,
    /// No trigger for `iabp.trigger_loss_timeout_ms`: pumping stops.
    TriggerLost,
    /// Balloon stopped for longer than `iabp.standby_alarm_s`.
    ProlongedStandby,
}

/// Entries the console writes to the event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleLog {
    /// Inflate command issued.
    InflateCommand,
    /// Deflate command issued.
    DeflateCommand,
    /// Delivered volume reached: line closed.
    BalloonFull,
    /// Balloon emptied.
    BalloonEmpty,
    /// The console saw the dicrotic notch (the incisura: the closing valve shut).
    NotchDetected,
    /// No notch in the pressure (e.g. severe aortic regurgitation): the valve closure time was
    /// taken instead.
    NotchEstimated,
    /// The console detected an R wave.
    RWaveDetected,
    /// The console detected a systolic upstroke.
    UpstrokeDetected,
    /// Internal trigger tick.
    InternalTrigger,
    /// An alarm.
    Alarm(Alarm),
    /// Trigger found again after a loss.
    TriggerRestored,
    /// Pumping stopped (standby, trigger loss or no helium).
    Stopped,
    /// Pumping resumed.
    Resumed,
}

impl ConsoleLog {
    /// Name in `events.parquet`.
    pub fn name(self) -> &'static str {
        match self {
            ConsoleLog::InflateCommand => "inflate_command",
            ConsoleLog::DeflateCommand => "deflate_command",
            ConsoleLog::BalloonFull => "balloon_full",
            ConsoleLog::BalloonEmpty => "balloon_empty",
            ConsoleLog::NotchDetected => "notch_detected",
            ConsoleLog::NotchEstimated => "notch_estimated",
            ConsoleLog::RWaveDetected => "r_wave_detected",
            ConsoleLog::UpstrokeDetected => "upstroke_detected",
            ConsoleLog::InternalTrigger => "internal_trigger",
            ConsoleLog::Alarm(Alarm::GasLeak) => "alarm_gas_leak",
            ConsoleLog::Alarm(Alarm::HeliumLow) => "alarm_helium_low",
            ConsoleLog::Alarm(Alarm::HeliumEmpty) => "alarm_helium_empty",
            ConsoleLog::Alarm(Alarm::TriggerLost) => "alarm_trigger_lost",
            ConsoleLog::Alarm(Alarm::ProlongedStandby) => "alarm_prolonged_standby",
            ConsoleLog::TriggerRestored => "trigger_restored",
            ConsoleLog::Stopped => "pumping_stopped",
            ConsoleLog::Resumed => "pumping_resumed",
        }
    }
}

/// What a console method wants done.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Actions {
    /// Events to schedule: `(time_s, event)`.
    pub schedule: Vec<(f64, ConsoleEvent)>,
    /// Log entries: `(time_s, entry)`.
    pub log: Vec<(f64, ConsoleLog)>,
}

/// One inflation–deflation cycle, for per-beat reporting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CycleRecord {
    /// Cycle id.
    pub id: u64,
    /// Beat (of the heart) in which the inflate command was issued.
    pub beat: u64,
    /// Inflate command time, s.
    pub inflate_command_s: f64,
    /// Time the delivered volume was reached, s.
    pub full_s: Option<f64>,
    /// Deflate command time, s.
    pub deflate_command_s: Option<f64>,
    /// Time the balloon was empty, s.
    pub empty_s: Option<f64>,
    /// Gas lost in the cycle, mL.
    pub gas_lost_ml: f64,
    /// Time gas began to flow in (the valve switched to the drive pressure), s.
    pub gas_start_s: Option<f64>,
    /// End of the ejection (aortic valve closure) of the beat in which the balloon inflated, s.
    pub valve_closure_s: Option<f64>,
    /// First aortic valve opening after the inflation (the systole the cycle assists), s.
    pub next_opening_s: Option<f64>,
    /// Balloon gas volume as that valve opened, mL.
    pub volume_at_opening_ml: Option<f64>,
    /// Balloon gas volume when gas began to flow in, mL.
    pub volume_at_gas_start_ml: Option<f64>,
    /// Balloon gas volume when the delivered volume was reached, mL.
    pub volume_at_full_ml: Option<f64>,
}

impl CycleRecord {
    /// Inflate command to full, ms.
    pub fn inflation_time_ms(&self) -> Option<f64> {
        self.full_s.map(|f| (f - self.inflate_command_s) * 1e3)
    }
    /// Deflate command to empty, ms.
    pub fn deflation_time_ms(&self) -> Option<f64> {
        match (self.deflate_command_s, self.empty_s) {
            (Some(d), Some(e)) => Some((e - d) * 1e3),
            _ => None,
        }
    }
    /// Start of gas inflow after the end of ejection (aortic valve closure), ms; negative:
    /// the balloon began to fill during ejection.
    pub fn inflation_after_closure_ms(&self) -> Option<f64> {
        Some((self.gas_start_s? - self.valve_closure_s?) * 1e3)
    }
    /// How long before the assisted systole's valve opening the balloon was empty, ms;
    /// negative: it was still emptying as the LV began to eject.
    pub fn empty_before_opening_ms(&self) -> Option<f64> {
        Some((self.next_opening_s? - self.empty_s?) * 1e3)
    }
    /// Gas volume delivered by the inflation, mL.
    pub fn delivered_ml(&self) -> Option<f64> {
        Some(self.volume_at_full_ml? - self.volume_at_gas_start_ml?)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Balloon empty, line at baseline.
    Idle,
    /// Inflate command scheduled or issued, valve not yet on drive.
    InflatePending,
    /// Drive pressure on, delivering.
    Inflating,
    /// Delivered volume reached, line closed.
    Holding,
    /// Vacuum on.
    Deflating,
}

const HISTORY: usize = 4;

/// How long after the valve closure begins the notch detector waits for the valve to be shut, s.
pub const NOTCH_WINDOW_S: f64 = 0.08;

/// QT interval at an RR of 1 s, s (Bazett's QTc), for timing without valve events.
pub const QT_AT_1_S: f64 = 0.40;

/// Aortic valve opening below which the closing valve counts as shut (the incisura).
pub const NOTCH_VALVE_OPENING: f64 = 0.05;

fn push(h: &mut VecDeque<f64>, v: f64) {
    if h.len() == HISTORY {
        h.pop_front();
    }
    h.push_back(v);
}

fn mean(h: &VecDeque<f64>) -> Option<f64> {
    (!h.is_empty()).then(|| h.iter().sum::<f64>() / h.len() as f64)
}

/// The console's timing histories at one moment, s, each its last 4 learned values (oldest
/// first): the RR interval, the time from the trigger's reference (R wave, or the pressure
/// upstroke) to the notch and to the valve opening, unassisted and assisted, and the deflation
/// time. Assisted values come once per assist period (every k beats at 1:k); at 1:1 the
/// unassisted ones stay those learned before the balloon first inflated. The console times
/// every cycle from their means, so they carry over from beat to beat like the circulation's
/// states; the console's timing is periodic when they are.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimingMemory([Vec<f64>; 5]);

impl TimingMemory {
    /// Largest change from `self` to `later` (the same console some beats on), s: each history's
    /// entries compared by age, newest with newest, as far as both reach, and where a history is
    /// still filling (lengths differ) also its mean, which the console times from. Over a period
    /// of a periodic orbit every entry comes back (0). A history that was empty and has learned
    /// a value since, or the other way round (a trigger change forgets them), has not settled
    /// (infinite).
    pub fn change_s(&self, later: &TimingMemory) -> f64 {
        self.0
            .iter()
            .zip(&later.0)
            .map(|(a, b)| {
                if a.is_empty() != b.is_empty() {
                    return f64::INFINITY;
                }
                let by_age = a
                    .iter()
                    .rev()
                    .zip(b.iter().rev())
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f64::max);
                if a.len() == b.len() {
                    by_age
                } else {
                    let mean = |h: &[f64]| h.iter().sum::<f64>() / h.len() as f64;
                    by_age.max((mean(a) - mean(b)).abs())
                }
            })
            .fold(0.0, f64::max)
    }
}

/// The console's controller state.
#[derive(Debug, Clone)]
pub struct Console {
    p: BalloonParams,
    phase: Phase,
    cycle: Option<CycleRecord>,
    planned: Option<CycleRecord>,
    cycle_target_ml: f64,
    cycle_leaked_start_ml: f64,
    next_cycle: u64,
    /// Completed cycles (drained by the caller).
    pub finished: Vec<CycleRecord>,
    ref_count: u64,
    last_ref_s: Option<f64>,
    current_ref_s: Option<f64>,
    rr: VecDeque<f64>,
    to_notch: VecDeque<f64>,
    to_opening: VecDeque<f64>,
    to_opening_assisted: VecDeque<f64>,
    deflation: VecDeque<f64>,
    notch_armed: bool,
    closure_s: f64,
    closure_this_beat: Option<f64>,
    notch_seq: u64,
    opening_this_beat: Option<f64>,
    gas_in_this_beat: bool,
    inflated_since_reference: bool,
    systole_after_assist: bool,
    trigger_lost: bool,
    helium_ml: f64,
    helium_low_raised: bool,
    stopped_since: Option<f64>,
    watchdog_seq: u64,
    standby_seq: u64,
    /// Heart beat currently running (set by the model at each R wave).
    pub beat: u64,
}

impl Console {
    /// A console at rest (balloon empty).
    pub fn new(p: &BalloonParams) -> Self {
        Self {
            p: p.clone(),
            phase: Phase::Idle,
            cycle: None,
            planned: None,
            cycle_target_ml: 0.0,
            cycle_leaked_start_ml: 0.0,
            next_cycle: 0,
            finished: Vec::new(),
            ref_count: 0,
            last_ref_s: None,
            current_ref_s: None,
            rr: VecDeque::new(),
            to_notch: VecDeque::new(),
            to_opening: VecDeque::new(),
            to_opening_assisted: VecDeque::new(),
            deflation: VecDeque::new(),
            notch_armed: false,
            closure_s: 0.0,
            closure_this_beat: None,
            notch_seq: 0,
            opening_this_beat: None,
            gas_in_this_beat: false,
            inflated_since_reference: false,
            systole_after_assist: false,
            trigger_lost: false,
            helium_ml: p.helium_reservoir_ml,
            helium_low_raised: false,
            stopped_since: None,
            watchdog_seq: 0,
            standby_seq: 0,
            beat: 0,
        }
    }

    /// The settings in use.
    pub fn params(&self) -> &BalloonParams {
        &self.p
    }

    /// Helium left in the reservoir, mL.
    pub fn helium_ml(&self) -> f64 {
        self.helium_ml
    }

    /// The histories the console times its cycles from (see [`TimingMemory`]).
    pub fn timing_memory(&self) -> TimingMemory {
        TimingMemory(self.histories().map(|h| h.iter().copied().collect()))
    }

    fn histories(&self) -> [&VecDeque<f64>; 5] {
        [
            &self.rr,
            &self.to_notch,
            &self.to_opening,
            &self.to_opening_assisted,
            &self.deflation,
        ]
    }

    /// Whether the console's own state still changes from beat to beat: helium leaking from a
    /// reservoir that is not empty (pumping stops when it is). The circulation is not at a
    /// periodic steady state while it does.
    pub fn drifting(&self) -> bool {
        self.p.leak_ml_s_mmhg > 0.0 && self.helium_ml > 0.0 && !self.is_stopped()
    }

    /// Whether pumping is stopped (standby, lost trigger or no helium).
    pub fn is_stopped(&self) -> bool {
        self.p.standby || self.trigger_lost || self.helium_ml <= 0.0
    }

    /// Starts the console at `t` (watchdogs, internal clock).
    pub fn start(&mut self, t: f64, out: &mut Actions) {
        match self.p.trigger {
            Trigger::Internal => out.schedule.push((t, ConsoleEvent::InternalTrigger)),
            _ => self.arm_watchdog(t, out),
        }
        self.update_stopped(t, out);
    }

    fn arm_watchdog(&mut self, t: f64, out: &mut Actions) {
        self.watchdog_seq += 1;
        out.schedule.push((
            t + self.p.trigger_loss_timeout_ms * 1e-3,
            ConsoleEvent::TriggerWatchdog {
                seq: self.watchdog_seq,
            },
        ));
    }

    fn update_stopped(&mut self, t: f64, out: &mut Actions) {
        let stopped = self.is_stopped();
        match (stopped, self.stopped_since) {
            (true, None) => {
                self.stopped_since = Some(t);
                self.standby_seq += 1;
                out.log.push((t, ConsoleLog::Stopped));
                out.schedule.push((
                    t + self.p.standby_alarm_s,
                    ConsoleEvent::StandbyWatchdog {
                        seq: self.standby_seq,
                    },
                ));
                self.planned = None;
                if matches!(self.phase, Phase::InflatePending) {
                    self.phase = Phase::Idle;
                    self.cycle = None;
                }
                if matches!(self.phase, Phase::Inflating | Phase::Holding)
                    && let Some(c) = self.cycle
                {
                    out.schedule
                        .push((t, ConsoleEvent::DeflateCommand { cycle: c.id }));
                }
            }
            (false, Some(_)) => {
                self.stopped_since = None;
                out.log.push((t, ConsoleLog::Resumed));
            }
            _ => {}
        }
    }

    /// Applies changed settings (protocol steps: ratio, timing offsets, standby, ECG lead...).
    pub fn update_params(&mut self, p: &BalloonParams, t: f64, out: &mut Actions) {
        let trigger_changed = p.trigger != self.p.trigger;
        self.p = p.clone();
        if trigger_changed {
            self.rr.clear();
            self.to_notch.clear();
            self.to_opening.clear();
            self.to_opening_assisted.clear();
            self.last_ref_s = None;
            self.current_ref_s = None;
            self.trigger_lost = false;
            self.start(t, out);
        }
        self.update_stopped(t, out);
    }

    /// Detection latency of the reference in the current trigger mode, s.
    pub fn reference_latency_s(&self) -> f64 {
        match self.p.trigger {
            Trigger::Ecg => self.p.r_wave_detection_latency_ms * 1e-3,
            Trigger::Pressure => self.p.pressure_detection_latency_ms * 1e-3,
            Trigger::Internal => 0.0,
        }
    }

    /// The heart produced an R wave at `t`: schedules its detection (ECG trigger).
    pub fn on_r_wave(&mut self, t: f64, out: &mut Actions) {
        if self.p.trigger == Trigger::Ecg && self.p.ecg_connected {
            out.schedule.push((
                t + self.reference_latency_s(),
                ConsoleEvent::ReferenceDetected,
            ));
        }
    }

    /// The aortic valve opened at `t` (systolic upstroke). Only the first opening of a beat
    /// is learned: a valve that flutters shut in early ejection and opens again (a weak LV
    /// opening into the balloon's dip in a stiff aorta) would otherwise count twice.
    pub fn on_valve_open(&mut self, t: f64, balloon_volume_ml: f64, out: &mut Actions) {
        let first = self.opening_this_beat.is_none();
        if first {
            self.opening_this_beat = Some(t);
            // The systole of the cycle that inflated last (in progress, or just emptied).
            let cycle = match self.cycle.as_mut() {
                Some(c) if c.gas_start_s.is_some() => Some(c),
                _ => self.finished.last_mut(),
            };
            if let Some(c) = cycle
                && c.gas_start_s.is_some_and(|g| g < t)
                && c.next_opening_s.is_none()
            {
                c.next_opening_s = Some(t);
                c.volume_at_opening_ml = Some(balloon_volume_ml);
            }
        }
        match self.p.trigger {
            Trigger::Pressure => out.schedule.push((
                t + self.reference_latency_s(),
                ConsoleEvent::ReferenceDetected,
            )),
            Trigger::Ecg if first => {
                // The opening of an assisted systole (after an assisted diastole) comes
                // earlier: the emptied balloon lowers the pressure the LV has to reach.
                // Deflation aims at it; inflation is learned from unassisted systoles only
                // (`learn_notch`).
                if let Some(r) = self.current_ref_s {
                    let d = t - r;
                    if d > 0.0 && self.rr.back().is_none_or(|rr| d < *rr) {
                        if self.systole_after_assist {
                            push(&mut self.to_opening_assisted, d);
                        } else {
                            push(&mut self.to_opening, d);
                        }
                    }
                }
            }
            Trigger::Ecg | Trigger::Internal => {}
        }
    }

    /// The aortic valve began to close at `t` (forward flow ended): the notch detector waits up
    /// to [`NOTCH_WINDOW_S`] for the valve to be shut; without it, the closure time stands in
    /// for the notch.
    pub fn on_valve_close(&mut self, t: f64, out: &mut Actions) {
        // The end of the beat's ejection is its last closure: a valve that shuts briefly early
        // in ejection and opens again (a stiff aorta's reflected wave) has not ended it.
        self.closure_this_beat = Some(t);
        // A balloon that began to fill during ejection (early inflation), or a closure after
        // the gas began to flow in the same beat.
        if self.gas_in_this_beat
            && let Some(c) = self.cycle.as_mut()
            && c.gas_start_s.is_some()
        {
            c.valve_closure_s = Some(t);
        }
        self.notch_armed = true;
        self.closure_s = t;
        self.notch_seq += 1;
        out.schedule.push((
            t + NOTCH_WINDOW_S,
            ConsoleEvent::NotchTimeout {
                seq: self.notch_seq,
            },
        ));
    }

    /// Whether the model should look for the notch (the closing valve shut).
    pub fn notch_armed(&self) -> bool {
        self.notch_armed
    }

    /// The closing aortic valve was shut (the dicrotic notch) at `t`.
    pub fn on_notch(&mut self, t: f64, out: &mut Actions) {
        out.log.push((t, ConsoleLog::NotchDetected));
        self.learn_notch(t);
    }

    fn learn_notch(&mut self, t: f64) {
        self.notch_armed = false;
        // A notch ends an ejection of at least 100 ms in this beat; anything else (a valve
        // fluttering shut under a mistimed balloon) is not learned from.
        let plausible = self.opening_this_beat.is_some_and(|o| t - o >= 0.1);
        // Nor from a beat whose balloon began to fill before the notch (early inflation
        // closes the valve early, and the estimate would chase its own effect).
        if self.systole_after_assist || !plausible || self.gas_in_this_beat {
            return;
        }
        if let Some(r) = self.current_ref_s {
            let d = t - r;
            if d > 0.0 && self.rr.back().is_none_or(|rr| d < *rr) {
                push(&mut self.to_notch, d);
            }
        }
    }

    /// A console event is due at `t`. `yb` is the balloon block of the state.
    pub fn on_event(
        &mut self,
        ev: ConsoleEvent,
        t: f64,
        yb: &[f64],
        balloon: &mut Balloon,
        out: &mut Actions,
    ) {
        match ev {
            ConsoleEvent::ReferenceDetected => self.on_reference(t, out),
            ConsoleEvent::InternalTrigger => {
                if self.p.trigger != Trigger::Internal {
                    return;
                }
                out.log.push((t, ConsoleLog::InternalTrigger));
                let period = 60.0 / self.p.internal_rate_bpm;
                out.schedule
                    .push((t + period, ConsoleEvent::InternalTrigger));
                let assist = self.ref_count.is_multiple_of(self.p.ratio.k());
                self.ref_count += 1;
                if assist && !self.is_stopped() {
                    // Fixed pattern: inflate at the tick, deflate after 45 % of the period.
                    let id = self.plan_cycle(t);
                    let inflate = t + (self.p.inflate_offset_ms * 1e-3).max(0.0);
                    let deflate = t + 0.45 * period + self.p.deflate_offset_ms * 1e-3;
                    out.schedule
                        .push((inflate, ConsoleEvent::InflateCommand { cycle: id }));
                    out.schedule.push((
                        deflate.max(inflate),
                        ConsoleEvent::DeflateCommand { cycle: id },
                    ));
                }
            }
            ConsoleEvent::InflateCommand { cycle } => {
                if self.planned.is_some_and(|c| c.id == cycle) {
                    let Some(mut c) = self.planned.take() else {
                        return;
                    };
                    if self.phase != Phase::Idle || self.is_stopped() {
                        // The previous cycle is not over (or pumping stopped): skip this one.
                        return;
                    }
                    c.inflate_command_s = t;
                    c.beat = self.beat;
                    self.cycle = Some(c);
                    self.phase = Phase::InflatePending;
                    out.log.push((t, ConsoleLog::InflateCommand));
                    out.schedule.push((
                        t + self.p.pneumatic_delay_ms * 1e-3,
                        ConsoleEvent::ValveDrive { cycle },
                    ));
                }
            }
            ConsoleEvent::ValveDrive { cycle } => {
                if self.cycle.is_some_and(|c| c.id == cycle) && self.phase == Phase::InflatePending
                {
                    self.phase = Phase::Inflating;
                    self.inflated_since_reference = true;
                    self.gas_in_this_beat = true;
                    if let Some(c) = self.cycle.as_mut() {
                        c.gas_start_s = Some(t);
                        c.valve_closure_s = self.closure_this_beat;
                        c.volume_at_gas_start_ml = Some(yb[BalloonSt::Volume.i()]);
                    }
                    self.cycle_target_ml = self.p.augmentation * self.p.volume_ml;
                    self.cycle_leaked_start_ml = yb[BalloonSt::GasLeaked.i()];
                    balloon.line.open = true;
                    balloon.line.target_mmhg = self.p.drive_pressure_mmhg;
                }
            }
            ConsoleEvent::DeflateCommand { cycle } => {
                if self.planned.is_some_and(|c| c.id == cycle) {
                    // Deflation due before the inflation happened: the cycle is abandoned.
                    self.planned = None;
                    return;
                }
                let Some(c) = self.cycle.as_mut() else { return };
                if c.id != cycle || c.deflate_command_s.is_some() {
                    return;
                }
                if self.phase == Phase::InflatePending {
                    // Never inflated (the command came first): abandon the cycle.
                    self.phase = Phase::Idle;
                    self.cycle = None;
                    return;
                }
                c.deflate_command_s = Some(t);
                out.log.push((t, ConsoleLog::DeflateCommand));
                out.schedule.push((
                    t + self.p.pneumatic_delay_ms * 1e-3,
                    ConsoleEvent::ValveVacuum { cycle },
                ));
            }
            ConsoleEvent::ValveVacuum { cycle } => {
                if self.cycle.is_some_and(|c| c.id == cycle)
                    && matches!(self.phase, Phase::Inflating | Phase::Holding)
                {
                    self.phase = Phase::Deflating;
                    balloon.line.open = true;
                    balloon.line.target_mmhg = self.p.vacuum_pressure_mmhg;
                }
            }
            ConsoleEvent::TriggerWatchdog { seq } => {
                if seq == self.watchdog_seq && self.p.trigger != Trigger::Internal {
                    if !self.trigger_lost {
                        self.trigger_lost = true;
                        out.log.push((t, ConsoleLog::Alarm(Alarm::TriggerLost)));
                        self.update_stopped(t, out);
                    }
                    self.arm_watchdog(t, out);
                }
            }
            ConsoleEvent::NotchTimeout { seq } => {
                if seq == self.notch_seq && self.notch_armed {
                    let at = self.closure_s;
                    out.log.push((at, ConsoleLog::NotchEstimated));
                    self.learn_notch(at);
                }
            }
            ConsoleEvent::StandbyWatchdog { seq } => {
                if seq == self.standby_seq && self.stopped_since.is_some() {
                    out.log
                        .push((t, ConsoleLog::Alarm(Alarm::ProlongedStandby)));
                }
            }
        }
    }

    /// Plans a cycle whose inflate command is due at `t`; it becomes the current cycle when
    /// the command fires (if the previous cycle is over by then).
    fn plan_cycle(&mut self, t: f64) -> u64 {
        let id = self.next_cycle;
        self.next_cycle += 1;
        self.planned = Some(CycleRecord {
            id,
            beat: self.beat,
            inflate_command_s: t,
            full_s: None,
            deflate_command_s: None,
            empty_s: None,
            gas_lost_ml: 0.0,
            gas_start_s: None,
            valve_closure_s: None,
            next_opening_s: None,
            volume_at_opening_ml: None,
            volume_at_gas_start_ml: None,
            volume_at_full_ml: None,
        });
        id
    }

    fn on_reference(&mut self, t: f64, out: &mut Actions) {
        out.log.push((
            t,
            if self.p.trigger == Trigger::Pressure {
                ConsoleLog::UpstrokeDetected
            } else {
                ConsoleLog::RWaveDetected
            },
        ));
        // No pressure minimum before this reference: the previous beat's valve closure stands
        // in for its notch (learned against the previous reference).
        if self.notch_armed {
            let at = self.closure_s;
            out.log.push((at, ConsoleLog::NotchEstimated));
            self.learn_notch(at);
        }
        self.notch_armed = false;
        if let Some(last) = self.last_ref_s {
            push(&mut self.rr, t - last);
        }
        self.last_ref_s = Some(t);
        self.current_ref_s = Some(t);
        // A plan whose inflation has not started belongs to the previous beat: drop it rather
        // than inflate in this beat's systole (short RR in irregular rhythms).
        self.planned = None;
        self.gas_in_this_beat = false;
        self.closure_this_beat = None;
        let ejected = self.opening_this_beat.is_some();
        // With the pressure trigger the reference is the (detected) opening itself.
        self.opening_this_beat =
            (self.p.trigger == Trigger::Pressure).then(|| t - self.reference_latency_s());
        self.systole_after_assist = self.inflated_since_reference
            || matches!(
                self.phase,
                Phase::Inflating | Phase::Holding | Phase::Deflating
            );
        self.inflated_since_reference = false;
        self.arm_watchdog(t, out);
        if self.trigger_lost {
            self.trigger_lost = false;
            out.log.push((t, ConsoleLog::TriggerRestored));
            self.update_stopped(t, out);
        }
        // Real timing: the reference ends the assisted diastole.
        if self.p.timing == Timing::RWave
            && let Some(c) = self.cycle
            && c.deflate_command_s.is_none()
            && matches!(self.phase, Phase::Inflating | Phase::Holding)
        {
            let at = t + self.p.deflate_offset_ms.max(0.0) * 1e-3;
            out.schedule
                .push((at, ConsoleEvent::DeflateCommand { cycle: c.id }));
        }
        let assist = self.ref_count.is_multiple_of(self.p.ratio.k());
        self.ref_count += 1;
        if !assist || self.is_stopped() {
            return;
        }
        let latency = self.reference_latency_s();
        let Some(rr) = mean(&self.rr) else {
            return; // still learning the beat's timing
        };
        // An LV that does not open its valve in unassisted beats (e.g. on full VA-ECMO) gives
        // no notch and no opening to learn: time from the ECG as consoles do without an
        // arterial trace, inflation at the end of the T wave (Bazett's QT = 0.40 s √(RR / 1 s);
        // Bazett HC, Heart 1920;7:353) and the balloon empty by the next R wave.
        let ecg = self.p.trigger == Trigger::Ecg;
        let Some(to_notch) = mean(&self.to_notch)
            .or_else(|| (ecg && !ejected).then(|| QT_AT_1_S * rr.sqrt() - latency))
        else {
            return; // still learning the beat's timing
        };
        // The assisted opening, but never later than the unassisted one: a balloon still full
        // as the valve opens (late deflation, or an LV that barely opens against it) delays
        // the opening, and chasing that would only deflate later.
        let unassisted = mean(&self.to_opening).unwrap_or(0.0);
        let to_opening = match self.p.trigger {
            Trigger::Pressure => Some(-latency),
            _ => Some(mean(&self.to_opening_assisted).map_or(unassisted, |a| a.min(unassisted))),
        };
        let inflate = (t + to_notch - self.p.inflation_lead_ms * 1e-3
            + self.p.inflate_offset_ms * 1e-3)
            .max(t);
        let id = self.plan_cycle(inflate);
        out.schedule
            .push((inflate, ConsoleEvent::InflateCommand { cycle: id }));
        if self.p.timing == Timing::Auto {
            let Some(to_opening) = to_opening else {
                return;
            };
            let deflation =
                mean(&self.deflation).unwrap_or(self.p.pneumatic_delay_ms * 1e-3 + 0.06);
            let deflate = t + rr + to_opening - deflation - self.p.deflation_margin_ms * 1e-3
                + self.p.deflate_offset_ms * 1e-3;
            out.schedule.push((
                deflate.max(inflate),
                ConsoleEvent::DeflateCommand { cycle: id },
            ));
        }
    }

    /// The delivered volume was reached at `t`: close the line.
    pub fn on_full(&mut self, t: f64, yb: &[f64], balloon: &mut Balloon, out: &mut Actions) {
        if self.phase != Phase::Inflating {
            return;
        }
        self.phase = Phase::Holding;
        balloon.line.open = false;
        // The drive chamber vents while the line is shut, so that opening it to vacuum later
        // cannot push more gas in.
        balloon.line.target_mmhg = self.p.baseline_pressure_mmhg;
        if let Some(c) = self.cycle.as_mut() {
            c.full_s = Some(t);
            c.volume_at_full_ml = Some(yb[BalloonSt::Volume.i()]);
        }
        out.log.push((t, ConsoleLog::BalloonFull));
    }

    /// The balloon is empty at `t`: back to baseline, account for lost gas.
    pub fn on_empty(&mut self, t: f64, yb: &[f64], balloon: &mut Balloon, out: &mut Actions) {
        if self.phase != Phase::Deflating {
            return;
        }
        self.phase = Phase::Idle;
        balloon.line.open = true;
        balloon.line.target_mmhg = self.p.baseline_pressure_mmhg;
        out.log.push((t, ConsoleLog::BalloonEmpty));
        let lost = yb[BalloonSt::GasLeaked.i()] - self.cycle_leaked_start_ml;
        if let Some(mut c) = self.cycle.take() {
            c.empty_s = Some(t);
            c.gas_lost_ml = lost;
            if let Some(d) = c.deflate_command_s {
                push(&mut self.deflation, t - d);
            }
            self.finished.push(c);
        }
        if lost > self.p.leak_alarm_ml {
            out.log.push((t, ConsoleLog::Alarm(Alarm::GasLeak)));
        }
        // The console refills the lost gas from its reservoir.
        let before = self.helium_ml;
        self.helium_ml = (self.helium_ml - lost).max(0.0);
        if self.helium_ml < self.p.helium_low_alarm_ml && !self.helium_low_raised && before > 0.0 {
            self.helium_low_raised = true;
            out.log.push((t, ConsoleLog::Alarm(Alarm::HeliumLow)));
        }
        if self.helium_ml <= 0.0 && before > 0.0 {
            out.log.push((t, ConsoleLog::Alarm(Alarm::HeliumEmpty)));
            self.update_stopped(t, out);
        }
    }

    /// State event functions `[full, empty]` for balloon block `yb` (positive when inactive).
    /// `full` rises through zero when the delivered volume reaches the target; `empty` falls
    /// through zero when the balloon volume drops below the empty threshold.
    #[inline]
    pub fn event_functions(&self, yb: &[f64], balloon: &Balloon) -> [f64; 2] {
        let v = yb[BalloonSt::Volume.i()];
        let full = if self.phase == Phase::Inflating {
            v + (yb[BalloonSt::GasLeaked.i()] - self.cycle_leaked_start_ml) - self.cycle_target_ml
        } else {
            -1.0
        };
        let empty = if self.phase == Phase::Deflating {
            v - self.empty_threshold_ml(balloon)
        } else {
            1.0
        };
        [full, empty]
    }

    /// Volume below which the balloon counts as empty, mL.
    pub fn empty_threshold_ml(&self, balloon: &Balloon) -> f64 {
        balloon.residual_ml.max(0.05 * balloon.nominal_ml)
    }

    /// Completed cycles followed by the one in progress, if any.
    pub fn cycles(&self) -> Vec<CycleRecord> {
        let mut v = self.finished.clone();
        if let Some(c) = self.cycle
            && self.phase != Phase::InflatePending
        {
            v.push(c);
        }
        v
    }

    /// Whether the balloon holds or is taking gas (for reporting).
    pub fn is_inflated(&self) -> bool {
        matches!(
            self.phase,
            Phase::Inflating | Phase::Holding | Phase::Deflating
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(histories: [&[f64]; 5]) -> TimingMemory {
        TimingMemory(histories.map(<[f64]>::to_vec))
    }

    /// The console's histories after `beats` more beats that each learn `next(beat)`.
    fn learned(start: [&[f64]; 5], beats: usize, next: impl Fn(usize) -> f64) -> TimingMemory {
        let mut h: [VecDeque<f64>; 5] = start.map(|v| v.iter().copied().collect());
        for b in 0..beats {
            for x in h.iter_mut() {
                push(x, next(b));
            }
        }
        TimingMemory(h.map(Vec::from))
    }

    #[test]
    fn histories_of_a_periodic_orbit_come_back_over_its_period_only() {
        let steady = [0.6; 4];
        let m0 = memory([&steady; 5]);
        assert_eq!(m0.change_s(&learned([&steady; 5], 1, |_| 0.6)), 0.0);
        // A 2-beat cycle: back after 2 beats (and 4), not after 1.
        let cycle = [0.5, 0.7, 0.5, 0.7];
        let m0 = memory([&cycle; 5]);
        let alternate = |b: usize| if b.is_multiple_of(2) { 0.5 } else { 0.7 };
        assert_eq!(m0.change_s(&learned([&cycle; 5], 2, alternate)), 0.0);
        assert_eq!(m0.change_s(&learned([&cycle; 5], 4, alternate)), 0.0);
        let one = m0.change_s(&learned([&cycle; 5], 1, alternate));
        assert!((one - 0.2).abs() < 1e-12, "{one}");
    }

    #[test]
    fn a_beat_from_before_a_jump_shows_as_a_change_though_the_newest_agree() {
        // Three beats learned before the circulation's state was replaced, one after: the next
        // beat agrees with the newest, but the mean still moves as the old beats leave.
        let before = [0.30, 0.30, 0.30, 0.31];
        let m0 = memory([&before; 5]);
        let m1 = learned([&before; 5], 1, |_| 0.31);
        assert!((m0.change_s(&m1) - 0.01).abs() < 1e-12);
        // An unlearned history that learns a value has not settled; two unlearned ones have.
        let empty = memory([&[], &[], &[], &[], &[]]);
        assert_eq!(empty.change_s(&empty), 0.0);
        let one = memory([&[0.3], &[], &[], &[], &[]]);
        assert_eq!(empty.change_s(&one), f64::INFINITY);
        assert_eq!(one.change_s(&empty), f64::INFINITY);
        // A filling history whose newest values agree but whose mean moved has not settled.
        let filling = memory([&[0.3, 0.5, 0.3], &[], &[], &[], &[]]);
        let moved = one.change_s(&filling);
        assert!(
            (moved - (0.3f64 - 1.1 / 3.0).abs()).abs() < 1e-12,
            "{moved}"
        );
    }
}
