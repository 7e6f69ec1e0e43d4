//! Running a scenario to its periodic steady state, with recorders for per-beat traces,
//! waveforms and the event log.
//!
//! [`simulate`] runs the **baseline** (balloon off) to steady state and then, if the balloon is
//! on, the **assisted** run, which continues from the baseline's final state (as when a balloon
//! is started in a patient). Steady state: the state at R waves one assist period apart
//! (k beats at 1:k) is within `steady.tolerance` of the orbit by the estimate of
//! [`crate::steady`], and the balloon console's learned timings agree within
//! `steady.tolerance × RR` over the period; irregular rhythms run a fixed number of beats
//! instead.
//!
//! **The console's memory.** The console times each cycle from the means of its last 4 learned
//! values of the RR interval, the time from its reference (R wave or pressure upstroke) to the
//! notch and to the valve opening, and the deflation time: state that carries over but is not
//! among the circulation's tested states. The test asks these histories to come back over the
//! tested period within `steady.tolerance × RR`, entries compared by age
//! ([`RunResult::console_timing_error`], folded into the stated error; over a multi-beat cycle
//! they come back after the whole cycle, not within it). Once the circulation's own error is
//! below the tolerance the run goes on with plain beats (no confirmation period, no further
//! extrapolation), which settle the histories. Stopping on the circulation alone let
//! runs stop with histories still holding beats from before their extrapolated starts:
//! `benches/a9c1813-physiology.toml` (HR 140) had 63 of 315 points with an assisted CO further
//! from a `steady.tolerance = 1e-6` reference than they stated, up to 8.9 times (471ecfc;
//! `tests/steady_state.rs`); with the test none is further than 3 times (the factor the tests
//! allow a CO, a difference of volumes), 4 more than once, the largest 1.78 times (CO 1.8e-3),
//! at 4 720 assisted beats against 4 447 (median 15 against 13). The default sweep's results and
//! beats are unchanged; 15 of its points state a larger error, the console's. Keeping only the
//! histories' newest beat after each extrapolated start took 8–13 % of the beats off both
//! sweeps, but landed 4 of
//! the shock cohort's 70 Morris points (LV contractility 0.12, an aortic valve that barely opens,
//! where the console's notch detection is marginal) on another periodic orbit than plain
//! beat-to-beat iteration reaches, their CO 5–11 % away: not kept.

use std::collections::VecDeque;
use std::time::Instant;

use counterpulse_balloon::{CycleRecord, TimingMemory};
use counterpulse_circulation::{Drive, ParamError, Signal};
use counterpulse_engine::{
    AnyIntegrator, Backend, DenseStep, Integrator, RunOutcome, Simulator, SolveError,
    SolverSettings, Stats, StepObserver,
};
use counterpulse_metrics::{
    BalloonCycle, BeatMetrics, BeatTrace, RatioTerms, SummaryBeat, beat_metrics, summarize,
};
use thiserror::Error;

use crate::cycle::CycleDetector;
use crate::model::{Event, LoggedEvent, Model};
use crate::scenario::{Scenario, SolverBackend};
use crate::steady::{Assessment, PeriodicSolver};
use crate::transient::TransientTolerance;

/// The integrator's absolute tolerance: `solver.atol`, tightened in proportion when the
/// relative tolerance is (see [`effective_rtol`]); otherwise the absolute tolerance (1e-6 mL at
/// the defaults) would floor the accuracy of 100 mL compartments at 1e-8 whatever `rtol` says.
pub fn effective_atol(s: &Scenario) -> f64 {
    s.solver.atol * (effective_rtol(s) / s.solver.rtol).min(1.0)
}

/// `a + b − c`, counter by counter (work of a failed stretch added back after a rollback).
fn add_stats(a: Stats, b: Stats, c: Stats) -> Stats {
    Stats {
        rhs_evals: a.rhs_evals + b.rhs_evals - c.rhs_evals,
        accepted_steps: a.accepted_steps + b.accepted_steps - c.accepted_steps,
        rejected_steps: a.rejected_steps + b.rejected_steps - c.rejected_steps,
        state_events: a.state_events + b.state_events - c.state_events,
    }
}

/// A period's assessment with the console's timing term folded into its error, and that term
/// (see [`RunResult::console_timing_error`]).
type Judged = (Assessment, f64);

/// Where a tested period started.
struct PeriodStart {
    /// Its first beat.
    beat: u64,
    /// The state then.
    y: Vec<f64>,
    /// Its length, beats.
    beats: u64,
    /// Its start time, s.
    t_s: f64,
    /// The balloon console's timing histories then.
    console: Option<TimingMemory>,
}

impl PeriodStart {
    fn at(beat: u64, y: &[f64], beats: u64, sim: &Simulator<Model, AnyIntegrator>) -> Self {
        Self {
            beat,
            y: y.to_vec(),
            beats,
            t_s: sim.t(),
            console: sim
                .model
                .balloon
                .as_ref()
                .map(|b| b.console.timing_memory()),
        }
    }

    /// The console's term of the period's error, now that the period is over: the largest
    /// change of its timing histories since the start over the mean RR interval (0 without a
    /// balloon, or within the event-location noise). The histories are carried state that the
    /// circulation's test does not see.
    fn console_error(&self, sim: &Simulator<Model, AnyIntegrator>) -> f64 {
        let Some((m0, balloon)) = self.console.as_ref().zip(sim.model.balloon.as_ref()) else {
            return 0.0;
        };
        let change_s = m0.change_s(&balloon.console.timing_memory());
        let noise_s = CONSOLE_TIMING_NOISE_PER_EVENT_TOLERANCE
            * sim.integrator.settings().event_time_tolerance_s;
        if change_s > noise_s {
            change_s / ((sim.t() - self.t_s) / self.beats as f64)
        } else {
            0.0
        }
    }
}

/// A console timing change no larger than this many event-time tolerances
/// (`SolverSettings::event_time_tolerance_s`, 1e-9 s) counts as none: a history entry is the
/// difference of two located event times, so two entries differ by up to 4 tolerances from
/// event location alone (a floor for `steady.tolerance` below about 1e-8).
const CONSOLE_TIMING_NOISE_PER_EVENT_TOLERANCE: f64 = 4.0;

/// A run's loop state at the end of a beat, saved before its next period starts from an
/// extrapolated state (to go back to if that state cannot be integrated).
struct Snapshot {
    sim: Simulator<Model, AnyIntegrator>,
    rec: Recorder,
    /// The state at the end of the beat, before extrapolation.
    y: Vec<f64>,
    k: u64,
    pending: Option<(BeatTrace, f64)>,
    converged_at: Option<u64>,
    decided: Option<Judged>,
    met_criterion: bool,
    records: usize,
    summary_in: usize,
}

/// First step of every beat, s (then the controller takes over: a few steps to reach its size).
const BEAT_START_STEP_S: f64 = 1e-3;

/// Integrator tolerance per unit of steady-state tolerance: the beat map's numerical noise
/// (a different step sequence from a slightly different start) must stay well below the
/// residual that the test asks for, `steady.tolerance × (1 − λ)` with λ up to ~0.95–0.97 (the
/// slowest controller's own). The noise was measured at about 10 × rtol in the scaled states
/// (cardiogenic shock's baseline at `steady.tolerance = 1e-7`: residuals stalled at 0.5–3e-8
/// with rtol 1e-9), so 1e-2 left the test no margin: that run stopped at 35 beats on a lucky
/// period, or took 131 when the stop was confirmed on a plain period; with 1e-3, 26 beats.
pub const RTOL_PER_STEADY_TOLERANCE: f64 = 1e-3;

/// The integrator's relative tolerance for a scenario: `solver.rtol`, tightened to
/// `steady.tolerance × RTOL_PER_STEADY_TOLERANCE` when the steady state asked for is tighter
/// than the integrator could resolve (at the defaults, 1e-6 and 1e-3, it is `solver.rtol`),
/// and never below 1e-12, near the round-off of the states (so a `steady.tolerance` below
/// 1e-9 asks for more than the integrator's noise allows).
pub fn effective_rtol(s: &Scenario) -> f64 {
    s.solver
        .rtol
        .min(s.steady.tolerance * RTOL_PER_STEADY_TOLERANCE)
        .max(1e-12)
}

/// Why a run failed.
#[derive(Debug, Error)]
pub enum SimError {
    /// The scenario's values do not fit together.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// A work budget ran out (`steady.max_beats`, `steady.max_steps` or `steady.max_wall_s`).
    #[error("the {run} run stopped in beat {beat}: {budget}")]
    Budget {
        /// `baseline` or `assisted`.
        run: &'static str,
        /// Beat in which it stopped.
        beat: u64,
        /// Which budget, with its value.
        budget: String,
    },
    /// The integrator failed.
    #[error("integration failed in beat {beat} of the {run} run: {source}")]
    Solve {
        /// `baseline` or `assisted`.
        run: &'static str,
        /// Beat in which it failed.
        beat: u64,
        /// The integrator's error.
        source: SolveError,
    },
}

/// What to record besides the steady-state summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunOptions {
    /// Compute metrics of every beat (otherwise only of the summary beats).
    pub record_all_beats: bool,
    /// Keep waveforms of the last `output.waveform_beats` beats.
    pub waveforms: bool,
    /// Keep the event log.
    pub log_events: bool,
}

/// Metrics of one beat.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatRecord {
    /// Beat number (0-based, per run).
    pub beat: u64,
    /// Time of its R wave, s.
    pub start_time_s: f64,
    /// Its RR interval, s.
    pub rr_s: f64,
    /// The balloon inflated in this beat's diastole.
    pub assisted: bool,
    /// Its indices.
    pub metrics: BeatMetrics,
}

/// Sampled waveforms: `time_s`, `beat` and one column per state and signal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Waveforms {
    /// Column names after `time_s` and `beat` (states, then signals).
    pub columns: Vec<String>,
    /// Sample times, s.
    pub time_s: Vec<f64>,
    /// Beat of each sample (the beat during which it was taken; a sample exactly on an R wave
    /// belongs to the beat that R wave ends).
    pub beat: Vec<u64>,
    /// Values, one vector per column.
    pub values: Vec<Vec<f64>>,
}

impl Waveforms {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        let j = self.columns.iter().position(|c| *c == name)?;
        Some(&self.values[j])
    }
}

/// Outcome of one run (baseline or assisted).
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Per-beat metrics (every beat with `record_all_beats`, else the summary beats).
    pub beats: Vec<BeatRecord>,
    /// Steady-state summary (see [`summarize`]).
    pub summary: BeatMetrics,
    /// Whether the periodic steady-state criterion was met (never for an irregular rhythm).
    pub converged: bool,
    /// The rhythm (or an asynchronous balloon) has no periodic steady state: the run lasted
    /// `steady.irregular_beats` and its summary is of the second half.
    pub irregular: bool,
    /// Beats simulated before the state met the criterion.
    pub beats_to_steady_state: u64,
    /// Beats simulated in all.
    pub beats_simulated: u64,
    /// Largest scaled change of a carried state over the assist period that decided (see
    /// [`crate::steady`]): the last period tested when steady state was declared or the run
    /// gave up.
    pub final_residual: f64,
    /// Estimated largest relative distance of a carried state to the periodic orbit, the
    /// larger of `final_residual / (1 − λ̂)` and [`RunResult::console_timing_error`]: below
    /// `steady.tolerance` when converged. For an irregular rhythm, the statistical error of its
    /// summary (see [`statistical_error`]).
    pub steady_state_error: f64,
    /// Estimated contraction factor of the beat map per assist period, `λ̂` (1: unknown).
    pub contraction_estimate: f64,
    /// Largest change of the balloon console's timing histories over the period that decided,
    /// over the mean RR interval ([`TimingMemory::change_s`]; 0 without a balloon, NaN for an
    /// irregular rhythm or when no period was tested): the console times each cycle from
    /// 4-beat means, carried state that the circulation's states do not show.
    /// `steady_state_error` is at least this.
    pub console_timing_error: f64,
    /// Assist periods that started from an extrapolated state.
    pub extrapolations: u64,
    /// Assist periods of the transient integrated at the looser tolerance (see
    /// [`TransientTolerance`]).
    pub loose_periods: u64,
    /// Time at the start of the run, s.
    pub start_time_s: f64,
    /// Simulated time at the end, s.
    pub end_time_s: f64,
    /// Integrator work.
    pub stats: Stats,
    /// Wall-clock time of the run, s.
    pub wall_time_s: f64,
    /// Blood volume at the start, mL.
    pub blood_volume_start_ml: f64,
    /// Blood volume at the end, mL.
    pub blood_volume_end_ml: f64,
    /// State of the circulation at the last R wave.
    pub final_state: Vec<f64>,
    /// Names of the states in `final_state`.
    pub final_state_names: Vec<String>,
    /// Activation timing at the last R wave (to continue the run).
    pub final_drive: Drive,
    /// Waveforms, if requested.
    pub waveforms: Option<Waveforms>,
    /// Event log, if requested.
    pub events: Vec<LoggedEvent>,
    /// Console alarms raised during the run (always recorded).
    pub alarms: Vec<LoggedEvent>,
    /// Balloon cycles completed.
    pub balloon_cycles: Vec<CycleRecord>,
    /// Assist period in beats (1 without balloon, k at 1:k).
    pub assist_period: u64,
    /// Beats over which the orbit repeats: the assist period, or a multi-beat cycle of several
    /// assist periods (see [`crate::cycle`]; the summary averages whole cycles). For a run that
    /// did not converge: the cycle it was testing when it stopped.
    pub cycle_beats: u64,
    /// Beats averaged into the summary: `steady.summary_beats` rounded up to whole assist
    /// periods, or to whole cycles of the multi-beat cycle the run tested (which can be longer
    /// than `cycle_beats` where that cycle turned out to repeat over fewer beats).
    pub summary_beats: u64,
    /// Impella suction alarms raised during the run.
    pub impella_suction_alarms: u64,
}

impl RunResult {
    /// Simulated time of the run, s.
    pub fn simulated_time_s(&self) -> f64 {
        self.end_time_s - self.start_time_s
    }
}

/// Baseline and (if the balloon is on) assisted run of one scenario.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Balloon off.
    pub baseline: RunResult,
    /// Balloon on, continuing from the baseline's steady state.
    pub assisted: Option<RunResult>,
}

#[derive(Clone)]
struct TraceRec {
    active: bool,
    trace: BeatTrace,
    start: f64,
    end: f64,
    dt: f64,
    n: u64,
    next_j: u64,
}

#[derive(Clone)]
struct WaveChunk {
    beat: u64,
    time_s: Vec<f64>,
    rows: Vec<f64>,
}

#[derive(Clone)]
struct WaveRec {
    active: bool,
    /// Signals recorded after the states.
    signals: Vec<Signal>,
    dt: f64,
    next_m: u64,
    keep_beats: u64,
    ncol: usize,
    chunks: VecDeque<WaveChunk>,
}

/// The regional beds' signals the beat trace records, in [`RegionalTrace`]'s order (its
/// length types the recorder's arrays of signals and of trace fields: a name without a field,
/// or a field without a name, does not compile).
const REGIONAL_SIGNALS: [&str; 9] = [
    "cerebral_flow_ml_s",
    "left_renal_flow_ml_s",
    "right_renal_flow_ml_s",
    "coeliac_flow_ml_s",
    "superior_mesenteric_flow_ml_s",
    "cannulated_leg_flow_ml_s",
    "contralateral_leg_flow_ml_s",
    "cannulated_leg_artery_pressure_mmhg",
    "contralateral_leg_artery_pressure_mmhg",
];

/// Where the per-beat trace's signals live, resolved by name from the circulation.
#[derive(Clone)]
struct TraceChannels {
    aortic_root_pressure: Signal,
    lv_pressure: Signal,
    la_pressure: Signal,
    ra_pressure: Signal,
    pulmonary_artery_pressure: Signal,
    coronary_flow: Signal,
    coronary_distal_pressure: Signal,
    hyperemic_distal_pressure: Signal,
    hyperemic_flow: Signal,
    impella_flow: Signal,
    ecmo_flow: Signal,
    ascending_aorta_flow: Option<Signal>,
    /// Regional beds, in the order of [`RegionalTrace`]'s fields (absent in a circuit
    /// without them).
    regional: Option<[Signal; REGIONAL_SIGNALS.len()]>,
    lv_volume: usize,
    territory_function: Option<usize>,
    aortic_valve_flow: usize,
    mitral_flow: usize,
    pulmonary_valve_flow: usize,
}

impl TraceChannels {
    fn resolve(model: &Model) -> Result<Self, ParamError> {
        let c = &model.circulation;
        let missing = |name: &str| ParamError::Inconsistent {
            message: format!(
                "circuit assembly: the metrics need `{name}`, which the circuit lacks"
            ),
        };
        let sig = |name: &str| c.signal(name).ok_or_else(|| missing(name));
        let st = |name: &str| c.state(name).ok_or_else(|| missing(name));
        Ok(Self {
            aortic_root_pressure: sig("aortic_root_pressure_mmhg")?,
            lv_pressure: sig("lv_pressure_mmhg")?,
            la_pressure: sig("la_pressure_mmhg")?,
            ra_pressure: sig("ra_pressure_mmhg")?,
            pulmonary_artery_pressure: sig("pulmonary_artery_pressure_mmhg")?,
            coronary_flow: sig("coronary_flow_ml_s")?,
            coronary_distal_pressure: sig("coronary_distal_pressure_mmhg")?,
            hyperemic_distal_pressure: sig("hyperemic_coronary_distal_pressure_mmhg")?,
            hyperemic_flow: sig("hyperemic_coronary_flow_ml_s")?,
            impella_flow: sig("impella_flow_ml_s")?,
            ecmo_flow: sig("ecmo_flow_ml_s")?,
            ascending_aorta_flow: c.signal("ascending_aorta_flow_ml_s"),
            regional: REGIONAL_SIGNALS
                .map(|name| c.signal(name))
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .and_then(|v| v.try_into().ok()),
            lv_volume: st("lv_volume_ml")?,
            territory_function: c.state("lad_territory_function"),
            aortic_valve_flow: st("aortic_valve_flow_ml_s")?,
            mitral_flow: st("mitral_flow_ml_s")?,
            pulmonary_valve_flow: st("pulmonary_valve_flow_ml_s")?,
        })
    }
}

/// Step observer that samples the per-beat trace and the waveforms on their time grids.
#[derive(Clone)]
struct Recorder {
    trace: TraceRec,
    wave: WaveRec,
    channels: TraceChannels,
    y: Vec<f64>,
    sig: Vec<f64>,
}

impl Recorder {
    fn sample_trace(&mut self, model: &Model, t: f64) {
        let u = model.inputs(&self.y);
        model.circulation.signals(t, &self.y, &u, &mut self.sig);
        let (s, y, c) = (&self.sig, &self.y, &self.channels);
        self.trace.trace.push(
            t,
            s[c.aortic_root_pressure.index()],
            s[c.lv_pressure.index()],
            y[c.lv_volume],
            s[c.la_pressure.index()],
            s[c.ra_pressure.index()],
            s[c.pulmonary_artery_pressure.index()],
            y[c.aortic_valve_flow],
            y[c.mitral_flow],
            y[c.pulmonary_valve_flow],
        );
        self.trace.trace.push_coronary(
            s[c.coronary_flow.index()],
            s[c.coronary_distal_pressure.index()],
            s[c.hyperemic_distal_pressure.index()],
            s[c.hyperemic_flow.index()],
        );
        self.trace
            .trace
            .push_devices(s[c.impella_flow.index()], s[c.ecmo_flow.index()]);
        if let Some(i) = c.territory_function {
            self.trace.trace.territory_function.push(y[i]);
        }
        if let Some(q) = c.ascending_aorta_flow {
            self.trace
                .trace
                .ascending_aorta_flow_ml_s
                .push(s[q.index()]);
        }
        if let Some(r) = c.regional {
            let t = &mut self.trace.trace.regional;
            let fields: [&mut Vec<f64>; REGIONAL_SIGNALS.len()] = [
                &mut t.cerebral_flow_ml_s,
                &mut t.left_renal_flow_ml_s,
                &mut t.right_renal_flow_ml_s,
                &mut t.coeliac_flow_ml_s,
                &mut t.superior_mesenteric_flow_ml_s,
                &mut t.cannulated_limb_flow_ml_s,
                &mut t.contralateral_limb_flow_ml_s,
                &mut t.cannulated_limb_pressure_mmhg,
                &mut t.contralateral_limb_pressure_mmhg,
            ];
            for (v, x) in fields.into_iter().zip(r) {
                v.push(s[x.index()]);
            }
        }
    }

    fn sample_wave(&mut self, model: &Model, t: f64) {
        let u = model.inputs(&self.y);
        model.circulation.signals(t, &self.y, &u, &mut self.sig);
        if let Some(chunk) = self.wave.chunks.back_mut() {
            chunk.time_s.push(t);
            chunk.rows.extend_from_slice(&self.y);
            chunk
                .rows
                .extend(self.wave.signals.iter().map(|s| self.sig[s.index()]));
        }
    }

    /// Starts the records of a beat at its R wave (state `y`).
    fn begin_beat(&mut self, model: &Model, y: &[f64], trace: bool, wave: bool, first: bool) {
        let t = model.beat_start_s;
        let rr = model.beat_rr_s;
        let tr = &mut self.trace;
        tr.active = trace;
        if trace {
            tr.start = t;
            tr.end = t + rr;
            tr.n = ((rr / tr.dt).ceil() as u64).max(2);
            tr.next_j = 1;
            tr.trace.reset(model.beat, t);
            tr.trace.end_diastole_s = Some(
                t + model
                    .scenario()
                    .circulation
                    .heart
                    .electromechanical_delay_ms
                    * 1e-3,
            );
            self.y.copy_from_slice(y);
            self.sample_trace(model, t);
        }
        self.wave.active = wave;
        if wave {
            let w = &mut self.wave;
            // A beat's samples, reserved for its planned length (+2 for the grid's phase), so
            // the chunk does not grow by doubling: memory stays at what
            // `Scenario::waveform_memory_bytes` counts. A beat that runs long grows once.
            let samples = (rr / w.dt).ceil() as usize + 2;
            w.chunks.push_back(WaveChunk {
                beat: model.beat,
                time_s: Vec::with_capacity(samples),
                rows: Vec::with_capacity(samples * w.ncol),
            });
            if w.keep_beats > 0 && w.chunks.len() as u64 > w.keep_beats {
                w.chunks.pop_front();
            }
            if first {
                // The first sample of a run sits on its first grid point at or after t.
                w.next_m = (t / w.dt).ceil() as u64;
                if (w.next_m as f64 * w.dt - t).abs() < 1e-12 {
                    self.y.copy_from_slice(y);
                    self.sample_wave(model, t);
                    self.wave.next_m += 1;
                }
            }
        }
    }
}

impl StepObserver<Model> for Recorder {
    fn on_step(&mut self, model: &Model, step: &dyn DenseStep) {
        let t1 = step.t1();
        if self.trace.active {
            loop {
                let tr = &self.trace;
                if tr.next_j > tr.n {
                    break;
                }
                let t = if tr.next_j == tr.n {
                    tr.end
                } else {
                    tr.start + tr.next_j as f64 * (tr.end - tr.start) / tr.n as f64
                };
                if t > t1 {
                    break;
                }
                if t == t1 {
                    self.y.copy_from_slice(step.y1());
                } else {
                    step.interpolate(t, &mut self.y);
                }
                self.sample_trace(model, t);
                self.trace.next_j += 1;
            }
        }
        if self.wave.active {
            loop {
                let t = self.wave.next_m as f64 * self.wave.dt;
                if t > t1 {
                    break;
                }
                if t == t1 {
                    self.y.copy_from_slice(step.y1());
                } else {
                    step.interpolate(t, &mut self.y);
                }
                self.sample_wave(model, t);
                self.wave.next_m += 1;
            }
        } else {
            let next = (t1 / self.wave.dt).floor() as u64 + 1;
            self.wave.next_m = self.wave.next_m.max(next);
        }
    }
}

/// Statistical steady state of an irregular rhythm: the summary beats are split into halves,
/// and the error is the largest relative difference between the halves' means of cardiac
/// output and mean arterial pressure (a batch-means test: near zero when the summary window is
/// long enough for the rhythm's variability to average out).
pub fn statistical_error(beats: &[SummaryBeat]) -> f64 {
    let n = beats.len();
    if n < 2 {
        return f64::INFINITY;
    }
    let (a, b) = beats.split_at(n / 2);
    let mean = |bs: &[SummaryBeat], f: &dyn Fn(&BeatMetrics) -> Option<f64>| {
        let (mut sum, mut dur) = (0.0, 0.0);
        for x in bs {
            if let Some(v) = f(&x.metrics) {
                sum += v * x.duration_s;
                dur += x.duration_s;
            }
        }
        (dur > 0.0).then(|| sum / dur)
    };
    let metrics: [fn(&BeatMetrics) -> Option<f64>; 2] = [
        |m| m.cardiac_output_l_min,
        |m| m.mean_arterial_pressure_mmhg,
    ];
    metrics
        .iter()
        .filter_map(|f| {
            let (x, y) = (mean(a, f)?, mean(b, f)?);
            let scale = (0.5 * (x + y)).abs();
            (scale > 0.0).then(|| (x - y).abs() / scale)
        })
        .fold(0.0, f64::max)
}

/// The scenario of the baseline run: the balloon off and, when the balloon is on, without the
/// protocol and the baseline-referenced reflex (they belong to the assisted run).
pub fn baseline_scenario(scenario: &Scenario) -> Scenario {
    let mut base = scenario.clone();
    base.iabp.enabled = false;
    if scenario.iabp.enabled {
        base.protocol.clear();
        base.circulation.baroreflex.enabled = false;
    }
    base
}

/// The assisted run, continuing from a finished baseline of the same scenario.
pub fn assisted_run(
    scenario: &Scenario,
    opts: &RunOptions,
    baseline: &RunResult,
) -> Result<RunResult, SimError> {
    let sp = baseline.summary.mean_arterial_pressure_mmhg;
    run_phase(scenario, opts, Some(baseline), sp, "assisted")
}

/// The assisted run of `scenario` warm-started from `neighbour`, the assisted steady state of
/// a scenario that differs only in balloon settings (a sweep point's neighbour).
///
/// The run starts as [`assisted_run`] does, from the baseline's steady state, and runs as it
/// until the balloon has inflated once: the console learns the dicrotic notch and the
/// unassisted valve opening from the same beats. At the next R wave (the first assisted
/// diastole is over and the balloon is deflating, as on the neighbour's orbit at its R wave)
/// the circulation's states are replaced by the neighbour's orbit, the balloon and its console
/// going on as they are, and the steady-state test starts afresh. Only the path changes: the
/// run stops on the same error bound, and its result agrees with the cold run's within it
/// (`crates/cli/tests/sweep.rs`, at 1:1 and 1:2). Starting the whole run on the neighbour's
/// orbit, as sweeps did before, let the console learn the notch from a beat run from that
/// orbit and moved inflation by 0.56 ms. Regular rhythms without a protocol only; others run
/// cold.
pub fn assisted_run_warm(
    scenario: &Scenario,
    opts: &RunOptions,
    baseline: &RunResult,
    neighbour: &RunResult,
) -> Result<RunResult, SimError> {
    if !scenario.protocol.is_empty() || scenario.is_irregular() {
        return assisted_run(scenario, opts, baseline);
    }
    let sp = baseline.summary.mean_arterial_pressure_mmhg;
    run_phase_from(
        scenario,
        opts,
        Some(baseline),
        sp,
        "assisted",
        Some(neighbour),
    )
}

/// Runs the baseline and, if `iabp.enabled`, the assisted run.
pub fn simulate(scenario: &Scenario, opts: &RunOptions) -> Result<Simulation, SimError> {
    scenario.validate()?;
    let base = baseline_scenario(scenario);
    let baseline = run_phase(&base, opts, None, None, "baseline")?;
    let assisted = if scenario.iabp.enabled {
        Some(assisted_run(scenario, opts, &baseline)?)
    } else {
        None
    };
    Ok(Simulation { baseline, assisted })
}

/// Runs the baseline only (compatibility helper: `simulate(...).baseline` with the balloon
/// switched off).
pub fn run(scenario: &Scenario, opts: &RunOptions) -> Result<RunResult, SimError> {
    let mut s = scenario.clone();
    s.iabp.enabled = false;
    run_phase(&s, opts, None, None, "baseline")
}

/// State names of the model's vector, for waveform columns.
fn state_names(model: &Model) -> Vec<String> {
    model.circulation_state_names()
}

/// Assist period after all protocol steps (the last `iabp.ratio` set, if any).
fn scenario_final_period(s: &Scenario, initial: u64) -> u64 {
    let mut p = initial;
    for step in &s.protocol {
        for (k, v) in &step.values {
            if k == "iabp.ratio" && s.iabp.enabled {
                let mut probe = s.clone();
                if probe.set(k, v).is_ok() {
                    p = probe.iabp.ratio.k();
                }
            }
        }
    }
    p
}

/// One run: from `start`'s final state (or the model's initial state) to steady state.
pub fn run_phase(
    scenario: &Scenario,
    opts: &RunOptions,
    start: Option<&RunResult>,
    reflex_set_point_mmhg: Option<f64>,
    run_name: &'static str,
) -> Result<RunResult, SimError> {
    run_phase_from(scenario, opts, start, reflex_set_point_mmhg, run_name, None)
}

/// [`run_phase`], jumping to `warm`'s final state at the first R wave after the balloon has
/// inflated (see [`assisted_run_warm`]).
fn run_phase_from(
    scenario: &Scenario,
    opts: &RunOptions,
    start: Option<&RunResult>,
    reflex_set_point_mmhg: Option<f64>,
    run_name: &'static str,
    warm: Option<&RunResult>,
) -> Result<RunResult, SimError> {
    let wall = Instant::now();
    if opts.waveforms {
        scenario.check_waveform_memory()?;
    }
    let mut model = Model::new(scenario, reflex_set_point_mmhg)?;
    model.log_events = opts.log_events;
    let (t0, y0) = match start {
        Some(prev) => {
            let y = model.continue_state(&prev.final_state_names, &prev.final_state);
            model.circulation.set_drive(prev.final_drive);
            (prev.end_time_s, y)
        }
        None => (0.0, model.initial_state()),
    };
    let settings = SolverSettings {
        rtol: effective_rtol(scenario),
        atol: effective_atol(scenario),
        max_step_s: scenario.solver.max_step_ms * 1e-3,
        ..SolverSettings::default()
    };
    let backend = match scenario.solver.backend {
        SolverBackend::Dopri5 => Backend::Dopri5,
        SolverBackend::OdeSolvers => Backend::OdeSolvers,
    };
    let dim = counterpulse_engine::OdeSystem::dim(&model);
    let integrator = AnyIntegrator::new(backend, dim, settings);
    let channels = TraceChannels::resolve(&model)?;
    let n_signals = model.circulation.signal_names().len();
    let lv_v0 = model.circulation.chamber("lv").map_or(0.0, |lv| lv.v0_ml);
    let period = model.assist_period();
    let irregular = model.irregular();
    let wave_signals = model.circulation.output_signals();
    let columns: Vec<String> = state_names(&model)
        .into_iter()
        .chain(
            wave_signals
                .iter()
                .map(|s| model.circulation.signal_names()[s.index()].clone()),
        )
        .collect();
    let protocol_end = scenario
        .protocol
        .iter()
        .map(|p| t0 + p.at_s)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut sim = Simulator::new(model, integrator, t0, &y0);
    sim.calendar.schedule(
        t0,
        Event::RWave {
            beat: 0,
            premature: false,
        },
    );
    for (index, p) in scenario.protocol.iter().enumerate() {
        sim.calendar
            .schedule(t0 + p.at_s, Event::Protocol { index });
    }

    let trace_dt = scenario.steady.trace_interval_ms * 1e-3;
    let mut rec = Recorder {
        trace: TraceRec {
            active: false,
            trace: {
                let mut tr = BeatTrace::new(0, t0, trace_dt, lv_v0);
                let o = &scenario.circulation.oxygen;
                tr.oxygen = Some(counterpulse_metrics::OxygenConstants {
                    arterial_content_ml_per_ml: o.arterial_content_ml_dl / 100.0,
                    lv_mass_g: o.lv_mass_g,
                    territory_fraction: o.territory_fraction,
                    pva_slope: o.pva_slope_ml_o2_per_mmhg_ml,
                    unloaded_per_beat_100g: o.unloaded_ml_o2_per_beat_100g,
                });
                tr.balloon_clearance = crate::model::balloon_clearance(scenario)?;
                tr
            },
            start: 0.0,
            end: 0.0,
            dt: trace_dt,
            n: 0,
            next_j: 0,
        },
        wave: WaveRec {
            active: false,
            signals: wave_signals,
            dt: scenario.output.waveform_interval_ms * 1e-3,
            next_m: 0,
            keep_beats: scenario.output.waveform_beats,
            ncol: columns.len(),
            chunks: VecDeque::new(),
        },
        channels,
        y: vec![0.0; dim],
        sig: vec![0.0; n_signals],
    };

    // Whole assist periods of the final ratio.
    let final_period = scenario_final_period(scenario, period);
    let mut summary_beats = if irregular {
        (scenario.steady.irregular_beats / 2).max(1)
    } else {
        scenario.steady.summary_beats.div_ceil(final_period) * final_period
    };
    let max_beats = if irregular {
        scenario.steady.irregular_beats - summary_beats
    } else {
        scenario.steady.max_beats
    };
    let tol = scenario.steady.tolerance;
    let solve_err = |beat: u64| {
        move |source: SolveError| SimError::Solve {
            run: run_name,
            beat,
            source,
        }
    };

    // First pause: the R wave of beat 0.
    sim.run_until(f64::INFINITY, &mut rec)
        .map_err(solve_err(0))?;
    // A run with a protocol records a transient (PCI, weaning) whose beats are the result, and
    // the protocol's times count from the run's start: no extrapolated jumps in it.
    let mut solver = PeriodicSolver::new(
        sim.model.tested_states(),
        scenario.steady.accelerate && scenario.protocol.is_empty(),
        effective_rtol(scenario),
    );
    // An orbit that repeats over several assist periods (see `crate::cycle`): once one is
    // found, the run tests the map over the whole cycle, `cycle` periods.
    let mut multi_beat = CycleDetector::new(
        sim.model.tested_states(),
        usize::try_from(scenario.steady.max_cycle_beats / final_period).unwrap_or(usize::MAX),
    );
    let mut cycle: u64 = 1;
    // The beat the cycle's test began at, and the cycle reported at convergence (periods).
    let mut cycle_from: u64 = 0;
    let mut cycle_reported: Option<u64> = None;
    // The transient runs at a looser tolerance; the periods that decide run at the run's own.
    let mut transient = TransientTolerance::new(
        (effective_rtol(scenario), effective_atol(scenario)),
        scenario.steady.loose_transient
            && scenario.steady.accelerate
            && scenario.protocol.is_empty()
            && !irregular,
    );
    // The integrator and the solver's noise threshold always change together.
    let use_tolerances = |sim: &mut Simulator<Model, AnyIntegrator>,
                          solver: &mut PeriodicSolver,
                          (rtol, atol): (f64, f64)| {
        sim.integrator.set_tolerances(rtol, atol);
        solver.set_rtol(rtol);
    };
    if let Some(loose) = transient.loose() {
        use_tolerances(&mut sim, &mut solver, loose);
    }
    // The period being tested: its first beat, its start state, its length in beats and its
    // start time.
    let mut period_start: Option<PeriodStart> = None;
    let mut assessment: Option<Judged> = None;
    let mut decided: Option<Judged> = None;
    let mut extrapolations: u64 = 0;
    // Integrator work of extrapolated periods that failed and were run again.
    let mut wasted = Stats::default();
    let mut records: Vec<BeatRecord> = Vec::new();
    let mut summary_in: Vec<SummaryBeat> = Vec::new();
    let mut pending: Option<(BeatTrace, f64)> = None;
    let mut converged_at: Option<u64> = None;
    let mut k: u64 = 0;
    let mut protocol_done_at: Option<u64> = None;
    let mut met_criterion = false;
    // Trace a beat if all beats are wanted, or it is a summary beat or the one after it.
    let trace_beat = |_k: u64, conv: Option<u64>| opts.record_all_beats || conv.is_some();
    let first_y = sim.y().to_vec();
    rec.begin_beat(
        &sim.model,
        &first_y,
        trace_beat(0, None),
        opts.waveforms,
        true,
    );
    // The run as it was before the last extrapolation, while its period is running: if the
    // extrapolated start cannot be integrated (a state pushed out of the model's range), the
    // run goes back to it and the extrapolation starts again from a fresh history
    // (`PeriodicSolver::failed_start`).
    let mut rollback: Option<Box<Snapshot>> = None;
    let mut warm_pending = warm;
    loop {
        let out = match sim.run_until(f64::INFINITY, &mut rec) {
            Ok(out) => out,
            Err(e) => match rollback.take() {
                Some(saved) => {
                    // The extrapolated start could not be integrated: go back to the run as it
                    // was before the extrapolation and continue without it.
                    let failed_work = sim.integrator.stats();
                    let y;
                    (sim, rec, y) = (saved.sim, saved.rec, saved.y);
                    wasted = add_stats(wasted, failed_work, sim.integrator.stats());
                    (k, pending, converged_at, decided, met_criterion) = (
                        saved.k,
                        saved.pending,
                        saved.converged_at,
                        saved.decided,
                        saved.met_criterion,
                    );
                    records.truncate(saved.records);
                    summary_in.truncate(saved.summary_in);
                    extrapolations -= 1;
                    solver.failed_start();
                    period_start = Some(PeriodStart::at(
                        k,
                        &y,
                        sim.model.assist_period() * cycle,
                        &sim,
                    ));
                    rec.begin_beat(
                        &sim.model,
                        &y,
                        trace_beat(k, converged_at),
                        opts.waveforms,
                        false,
                    );
                    continue;
                }
                None => return Err(solve_err(k)(e)),
            },
        };
        if out == RunOutcome::Reached {
            break;
        }
        // Beat k is complete: finish the metrics of beat k − 1 with beat k as its successor.
        let cycles: Vec<CycleRecord> = sim
            .model
            .balloon
            .as_ref()
            .map(|b| b.console.cycles())
            .unwrap_or_default();
        let annotate = |tr: &mut BeatTrace, prev_assisted: bool| {
            tr.preceded_by_assist = prev_assisted;
            if let Some(c) = cycles.iter().find(|c| c.beat == tr.beat) {
                tr.assisted = true;
                tr.balloon_inflation_time_ms = c.inflation_time_ms();
                tr.balloon_deflation_time_ms = c.deflation_time_ms();
                tr.balloon_cycle = c.gas_start_s.map(|gas_start_s| BalloonCycle {
                    gas_start_s,
                    full_s: c.full_s,
                    delivered_ml: c.delivered_ml(),
                    inflation_after_closure_ms: c.inflation_after_closure_ms(),
                    empty_before_opening_ms: c.empty_before_opening_ms(),
                    volume_at_opening_ml: c.volume_at_opening_ml,
                });
            }
        };
        if let Some((prev, _)) = pending.as_mut() {
            let pa = prev.preceded_by_assist;
            annotate(prev, pa);
        }
        let this = if rec.trace.active {
            let mut tr = rec.trace.trace.clone();
            let prev_assisted = cycles.iter().any(|c| c.beat + 1 == tr.beat);
            annotate(&mut tr, prev_assisted);
            Some((tr, rec.trace.end - rec.trace.start))
        } else {
            None
        };
        if let Some((prev, rr)) = pending.take() {
            let m = beat_metrics(&prev, this.as_ref().map(|(t, _)| t));
            let in_summary =
                converged_at.is_some_and(|c| (c..c + summary_beats).contains(&prev.beat));
            if in_summary {
                summary_in.push(SummaryBeat {
                    duration_s: rr,
                    metrics: m.clone(),
                    preceded_by_assist: prev.preceded_by_assist,
                    terms: RatioTerms::of(&prev),
                });
            }
            if opts.record_all_beats || in_summary {
                records.push(BeatRecord {
                    beat: prev.beat,
                    start_time_s: prev.start_s,
                    rr_s: rr,
                    assisted: prev.assisted,
                    metrics: m,
                });
            }
        }
        pending = this;
        k += 1;
        // Every beat starts with the same step size and no step-size history (see
        // `Integrator::restart_step`): the beat map stays smooth near the orbit.
        sim.integrator.restart_step(BEAT_START_STEP_S);
        let mut y_now = sim.y().to_vec();
        // A warm start jumps onto the neighbour's orbit once the balloon has inflated (see
        // `assisted_run_warm`); the periods before the jump are not tested.
        if let Some(w) = warm_pending
            && cycles.iter().any(|c| c.gas_start_s.is_some())
        {
            warm_pending = None;
            y_now = sim
                .model
                .warm_state(&y_now, &w.final_state_names, &w.final_state);
            sim.set_state(&y_now);
            sim.model.replan_beat(&y_now, &mut sim.calendar);
            solver.reset();
            multi_beat.clear();
            period_start = None;
        }
        // The assist period can change during the run (a weaning protocol).
        let period = sim.model.assist_period();
        // The beats of the period tested: one assist period, or a whole multi-beat cycle.
        let tested = period * cycle;
        // While a cycle is tested (plainly), every period's end continues the detector's
        // sequence: at convergence it tells a true cycle from a decaying oscillation.
        if cycle > 1
            && converged_at.is_none()
            && k > cycle_from
            && (k - cycle_from).is_multiple_of(period)
        {
            multi_beat.observe(&y_now);
        }
        // Both states compared must come after the last protocol step.
        if protocol_done_at.is_none() && sim.t() >= protocol_end {
            protocol_done_at = Some(k);
        }
        let protocol_done = protocol_done_at.is_some_and(|b| k >= b + period);
        if converged_at.is_none() && protocol_done_at.is_some() && !irregular {
            match &period_start {
                Some(start) if start.beats == tested && k - start.beat == tested => {
                    let circulation = solver.record(&start.y, &y_now, sim.t() - start.t_s);
                    // The console's histories must come back over the period too.
                    let console_error = start.console_error(&sim);
                    let a = Assessment {
                        error: circulation.error.max(console_error),
                        ..circulation
                    };
                    assessment = Some((a, console_error));
                    rollback = None;
                    // The balloon console's reservoir and timers are carried state too.
                    let console_drifting = sim
                        .model
                        .balloon
                        .as_ref()
                        .is_some_and(|b| b.console.drifting());
                    // An extrapolated start can land where one period changes little while the
                    // state is still off (a beat map that is not normal): the error is
                    // confirmed on the plain period that follows.
                    // (On the circulation's error: once it passes, another extrapolation cannot
                    // help the console, whose histories settle over plain beats.)
                    let confirm = circulation.error < tol && solver.last_extrapolated();
                    // A period at the looser tolerance never decides: the run goes on at its
                    // own once the residual is down to the looser tolerance's noise.
                    let refined = transient.refine_after(&circulation, tol);
                    if let Some(own) = refined {
                        use_tolerances(&mut sim, &mut solver, own);
                    }
                    let refine = refined.is_some();
                    if a.error < tol && !console_drifting && !confirm && !refine {
                        converged_at = Some(k);
                        met_criterion = true;
                        if cycle > 1 {
                            cycle_reported =
                                Some(multi_beat.shortest_repeat(cycle as usize, tol) as u64);
                        }
                    } else if let Some(n) = (cycle == 1)
                        .then(|| multi_beat.record(&start.y, &y_now))
                        .flatten()
                    {
                        // The orbit repeats over n periods: test the map over the whole cycle
                        // from here, plainly and at the run's own tolerance (see
                        // `crate::cycle`), and summarise whole cycles.
                        cycle = n as u64;
                        cycle_from = k;
                        let beats = period * cycle;
                        summary_beats = summary_beats.div_ceil(beats) * beats;
                        solver = PeriodicSolver::new(
                            sim.model.tested_states(),
                            false,
                            effective_rtol(scenario),
                        );
                        if let Some(own) = transient.end() {
                            use_tolerances(&mut sim, &mut solver, own);
                        }
                        period_start = Some(PeriodStart::at(k, &y_now, beats, &sim));
                    } else {
                        let y_plain = y_now.clone();
                        // The period that reaches `steady.max_beats` starts plain, so that it can
                        // stop the run (an extrapolated one would only ask for a confirmation).
                        // Where only the console's histories keep the run going, plain beats
                        // settle them (an extrapolated start would refill them with its jump).
                        if k + tested < max_beats
                            && !confirm
                            && circulation.error >= tol
                            && solver.extrapolate(&mut y_now)
                        {
                            rollback = Some(Box::new(Snapshot {
                                sim: sim.clone(),
                                rec: rec.clone(),
                                y: y_plain,
                                k,
                                pending: pending.clone(),
                                converged_at,
                                decided,
                                met_criterion,
                                records: records.len(),
                                summary_in: summary_in.len(),
                            }));
                            sim.set_state(&y_now);
                            // The beat was planned at the R wave from the state it replaces.
                            sim.model.replan_beat(&y_now, &mut sim.calendar);
                            extrapolations += 1;
                        }
                        period_start = Some(PeriodStart::at(k, &y_now, tested, &sim));
                    }
                }
                Some(start) if start.beats == tested => {}
                _ => {
                    solver.reset();
                    multi_beat.clear();
                    cycle = 1;
                    period_start = Some(PeriodStart::at(k, &y_now, period, &sim));
                }
            }
        }
        // The period that can reach `steady.max_beats` runs at the run's own tolerance, so that
        // it can decide (a looser one never does).
        if converged_at.is_none()
            && k + tested >= max_beats
            && period_start.as_ref().is_some_and(|start| start.beat == k)
            && let Some(own) = transient.end()
        {
            use_tolerances(&mut sim, &mut solver, own);
        }
        if converged_at.is_none() && protocol_done && irregular && k >= max_beats {
            converged_at = Some(k);
        }
        // Unconverged: summarise the last beats anyway (at the run's own tolerance).
        if converged_at.is_none() && k >= max_beats && protocol_done {
            converged_at = Some(k);
            if let Some(own) = transient.end() {
                use_tolerances(&mut sim, &mut solver, own);
            }
        }
        if converged_at == Some(k) {
            decided = assessment;
        }
        // Work budgets: beats (the protocol's last step must come within them), solver steps
        // and wall-clock time.
        let st = sim.integrator.stats();
        let over = if converged_at.is_none() && k >= max_beats {
            Some(format!(
                "`steady.max_beats` = {} reached before the protocol's last step ({} s after the start)",
                scenario.steady.max_beats,
                protocol_end - t0
            ))
        } else if st.accepted_steps + st.rejected_steps > scenario.steady.max_steps {
            Some(format!(
                "`steady.max_steps` = {} integrator steps used",
                scenario.steady.max_steps
            ))
        } else if wall.elapsed().as_secs_f64() > scenario.steady.max_wall_s {
            Some(format!(
                "`steady.max_wall_s` = {} s of wall-clock time used",
                scenario.steady.max_wall_s
            ))
        } else {
            None
        };
        if let Some(budget) = over {
            return Err(SimError::Budget {
                run: run_name,
                beat: k,
                budget,
            });
        }
        if converged_at.is_some_and(|c| k > c + summary_beats) {
            break;
        }
        // Drop balloon cycles no longer needed.
        if let Some(b) = sim.model.balloon.as_mut() {
            b.console.finished.retain(|c| c.beat + 3 >= k);
        }
        let y = y_now;
        rec.begin_beat(
            &sim.model,
            &y,
            trace_beat(k, converged_at),
            opts.waveforms,
            false,
        );
    }
    let converged = met_criterion;
    let summary = summarize(&summary_in);
    let (final_residual, steady_state_error, contraction_estimate, console_timing_error) =
        if irregular {
            (f64::NAN, statistical_error(&summary_in), f64::NAN, f64::NAN)
        } else {
            decided.map_or((f64::INFINITY, f64::INFINITY, 1.0, f64::NAN), |(a, c)| {
                (a.residual, a.error, a.contraction, c)
            })
        };

    let waveforms = opts.waveforms.then(|| {
        let mut w = Waveforms {
            columns: columns.clone(),
            ..Waveforms::default()
        };
        let ncol = rec.wave.ncol;
        // Columns of their exact length, filled while the chunks are freed one by one: the
        // samples are held about once over, not twice plus the columns' growth.
        let n: usize = rec.wave.chunks.iter().map(|c| c.time_s.len()).sum();
        w.time_s.reserve_exact(n);
        w.beat.reserve_exact(n);
        w.values = (0..ncol).map(|_| Vec::with_capacity(n)).collect();
        while let Some(c) = rec.wave.chunks.pop_front() {
            for (r, t) in c.time_s.iter().enumerate() {
                w.time_s.push(*t);
                w.beat.push(c.beat);
                for (j, col) in w.values.iter_mut().enumerate() {
                    col.push(c.rows[r * ncol + j]);
                }
            }
        }
        w
    });
    let balloon_cycles = sim
        .model
        .balloon
        .as_ref()
        .map(|b| b.console.finished.clone())
        .unwrap_or_default();

    Ok(RunResult {
        beats: records,
        summary,
        converged,
        irregular,
        beats_to_steady_state: converged_at.unwrap_or(k).min(k),
        beats_simulated: k,
        final_residual,
        steady_state_error,
        contraction_estimate,
        console_timing_error,
        extrapolations,
        loose_periods: transient.loose_periods(),
        start_time_s: t0,
        end_time_s: sim.t(),
        stats: add_stats(sim.integrator.stats(), wasted, Stats::default()),
        wall_time_s: wall.elapsed().as_secs_f64(),
        blood_volume_start_ml: sim.model.circulation.blood_volume(&y0),
        blood_volume_end_ml: sim.model.circulation.blood_volume(sim.y()),
        final_state: sim.y()[..sim.model.circulation.dim()].to_vec(),
        final_state_names: sim.model.circulation_state_names(),
        final_drive: sim.model.circulation.drive(),
        waveforms,
        events: std::mem::take(&mut sim.model.log),
        alarms: std::mem::take(&mut sim.model.alarms),
        balloon_cycles,
        assist_period: sim.model.assist_period(),
        cycle_beats: sim.model.assist_period() * cycle_reported.unwrap_or(cycle),
        summary_beats,
        impella_suction_alarms: sim.model.impella_suction_alarms,
    })
}
