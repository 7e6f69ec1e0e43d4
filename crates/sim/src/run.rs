//! Running a scenario to its periodic steady state, with recorders for per-beat traces,
//! waveforms and the event log.

use std::collections::VecDeque;
use std::time::Instant;

use counterpulse_circulation::{Circulation, ParamError, Sig, St, VOLUME_STATES};
use counterpulse_engine::{
    AnyIntegrator, Backend, DenseStep, RunOutcome, Simulator, SolveError, SolverSettings, Stats,
    StepObserver,
};
use counterpulse_metrics::{BeatMetrics, BeatTrace, beat_metrics, summarize};
use thiserror::Error;

use crate::model::{Event, LoggedEvent, Model};
use crate::scenario::{Scenario, SolverBackend};

/// Why a run failed.
#[derive(Debug, Error)]
pub enum SimError {
    /// The scenario's values do not fit together.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The integrator failed.
    #[error("integration failed in beat {beat}: {source}")]
    Solve {
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
    /// Beat number (0-based).
    pub beat: u64,
    /// Time of its R wave, s.
    pub start_time_s: f64,
    /// Its RR interval, s.
    pub rr_s: f64,
    /// Its indices.
    pub metrics: BeatMetrics,
}

/// Sampled waveforms: `time_s`, `beat` and one column per state and signal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Waveforms {
    /// Column names after `time_s` and `beat` (states, then signals).
    pub columns: Vec<&'static str>,
    /// Sample times, s.
    pub time_s: Vec<f64>,
    /// Beat of each sample (the beat during which it was taken; a sample exactly on an R wave
    /// belongs to the beat that R wave ends).
    pub beat: Vec<u64>,
    /// Values, one vector per column.
    pub values: Vec<Vec<f64>>,
}

/// Outcome of a run.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Per-beat metrics (every beat with `record_all_beats`, else the summary beats).
    pub beats: Vec<BeatRecord>,
    /// Steady-state summary (average over the summary beats).
    pub summary: BeatMetrics,
    /// Whether the steady-state criterion was met.
    pub converged: bool,
    /// Beats simulated before the state at successive R waves met the criterion.
    pub beats_to_steady_state: u64,
    /// Beats simulated in all.
    pub beats_simulated: u64,
    /// Largest relative change of a compartment volume over the last beat.
    pub final_residual: f64,
    /// Simulated time, s.
    pub simulated_time_s: f64,
    /// Integrator work.
    pub stats: Stats,
    /// Wall-clock time of the run, s.
    pub wall_time_s: f64,
    /// Blood volume at the start, mL.
    pub blood_volume_start_ml: f64,
    /// Blood volume at the end, mL.
    pub blood_volume_end_ml: f64,
    /// State at the last R wave.
    pub final_state: Vec<f64>,
    /// Waveforms, if requested.
    pub waveforms: Option<Waveforms>,
    /// Event log, if requested.
    pub events: Vec<LoggedEvent>,
}

struct TraceRec {
    active: bool,
    trace: BeatTrace,
    start: f64,
    end: f64,
    dt: f64,
    n: u64,
    next_j: u64,
}

struct WaveChunk {
    beat: u64,
    time_s: Vec<f64>,
    rows: Vec<f64>,
}

struct WaveRec {
    active: bool,
    dt: f64,
    next_m: u64,
    keep_beats: u64,
    ncol: usize,
    chunks: VecDeque<WaveChunk>,
}

/// Step observer that samples the per-beat trace and the waveforms on their time grids.
struct Recorder {
    trace: TraceRec,
    wave: WaveRec,
    y: Vec<f64>,
    sig: Vec<f64>,
}

impl Recorder {
    fn sample_trace(&mut self, model: &Model, t: f64) {
        model.circulation.signals(t, &self.y, 0.0, &mut self.sig);
        let s = &self.sig;
        let y = &self.y;
        self.trace.trace.push(
            t,
            s[Sig::AorticRootPressure.i()],
            s[Sig::LvPressure.i()],
            y[St::LvVolume.i()],
            s[Sig::LaPressure.i()],
            s[Sig::RaPressure.i()],
            s[Sig::PulmonaryArteryPressure.i()],
            y[St::AorticValveFlow.i()],
            y[St::MitralFlow.i()],
            y[St::PulmonaryValveFlow.i()],
        );
    }

    fn sample_wave(&mut self, model: &Model, t: f64) {
        model.circulation.signals(t, &self.y, 0.0, &mut self.sig);
        if let Some(chunk) = self.wave.chunks.back_mut() {
            chunk.time_s.push(t);
            chunk.rows.extend_from_slice(&self.y[..St::COUNT]);
            chunk.rows.extend_from_slice(&self.sig[..Sig::COUNT]);
        }
    }

    /// Starts the records of a beat at its R wave (state `y`).
    fn begin_beat(&mut self, model: &Model, y: &[f64], trace: bool, wave: bool) {
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
            self.y.copy_from_slice(y);
            self.sample_trace(model, t);
        }
        self.wave.active = wave;
        if wave {
            let w = &mut self.wave;
            w.chunks.push_back(WaveChunk {
                beat: model.beat,
                time_s: Vec::new(),
                rows: Vec::new(),
            });
            if w.keep_beats > 0 && w.chunks.len() as u64 > w.keep_beats {
                w.chunks.pop_front();
            }
            if t == 0.0 && w.next_m == 0 {
                self.y.copy_from_slice(y);
                self.sample_wave(model, 0.0);
                self.wave.next_m = 1;
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
            // Keep the waveform grid aligned while not recording.
            let next = (t1 / self.wave.dt).floor() as u64 + 1;
            self.wave.next_m = self.wave.next_m.max(next);
        }
    }
}

fn residual(prev: &[f64], now: &[f64]) -> f64 {
    VOLUME_STATES
        .iter()
        .map(|s| {
            let (a, b) = (prev[s.i()], now[s.i()]);
            (b - a).abs() / b.abs().max(10.0)
        })
        .fold(0.0, f64::max)
}

/// Runs `scenario` until the state at successive R waves changes by less than
/// `steady.tolerance` (relative, per compartment volume), then `steady.summary_beats` more beats
/// whose average is the summary. Stops unconverged after `steady.max_beats`.
pub fn run(scenario: &Scenario, opts: &RunOptions) -> Result<RunResult, SimError> {
    let wall = Instant::now();
    let mut model = Model::new(scenario)?;
    model.log_events = opts.log_events;
    let y0 = model.initial_state();
    let settings = SolverSettings {
        rtol: scenario.solver.rtol,
        atol: scenario.solver.atol,
        max_step_s: scenario.solver.max_step_ms * 1e-3,
        ..SolverSettings::default()
    };
    let backend = match scenario.solver.backend {
        SolverBackend::Dopri5 => Backend::Dopri5,
        SolverBackend::OdeSolvers => Backend::OdeSolvers,
    };
    let integrator = AnyIntegrator::new(backend, St::COUNT, settings);
    let lv_v0 = model.circulation.lv_unstressed_volume_ml();
    let mut sim = Simulator::new(model, integrator, 0.0, &y0);
    sim.calendar.schedule(0.0, Event::RWave { beat: 0 });

    let trace_dt = scenario.steady.trace_interval_ms * 1e-3;
    let mut rec = Recorder {
        trace: TraceRec {
            active: false,
            trace: BeatTrace::new(0, 0.0, trace_dt, lv_v0),
            start: 0.0,
            end: 0.0,
            dt: trace_dt,
            n: 0,
            next_j: 0,
        },
        wave: WaveRec {
            active: false,
            dt: scenario.output.waveform_interval_ms * 1e-3,
            next_m: 0,
            keep_beats: scenario.output.waveform_beats,
            ncol: St::COUNT + Sig::COUNT,
            chunks: VecDeque::new(),
        },
        y: vec![0.0; St::COUNT],
        sig: vec![0.0; Sig::COUNT],
    };

    let max_beats = scenario.steady.max_beats;
    let summary_beats = scenario.steady.summary_beats;
    let tol = scenario.steady.tolerance;
    let solve_err = |beat: u64| move |source: SolveError| SimError::Solve { beat, source };

    // First pause: the R wave of beat 0 at t = 0.
    sim.run_until(f64::INFINITY, &mut rec)
        .map_err(solve_err(0))?;
    let mut prev_r = sim.y().to_vec();
    let mut beats: Vec<BeatRecord> = Vec::new();
    let mut converged_at: Option<u64> = None;
    let mut res = f64::INFINITY;
    let mut k: u64 = 0;
    let trace_beat = |k: u64, conv: Option<u64>| {
        opts.record_all_beats || conv.is_some() || k + summary_beats >= max_beats
    };
    rec.begin_beat(&sim.model, &prev_r, trace_beat(0, None), opts.waveforms);
    loop {
        let out = sim
            .run_until(f64::INFINITY, &mut rec)
            .map_err(solve_err(k))?;
        if out == RunOutcome::Reached {
            break;
        }
        // Beat k is complete.
        if rec.trace.active {
            let m = beat_metrics(&rec.trace.trace);
            beats.push(BeatRecord {
                beat: k,
                start_time_s: rec.trace.start,
                rr_s: rec.trace.end - rec.trace.start,
                metrics: m,
            });
        }
        k += 1;
        let y_now = sim.y().to_vec();
        res = residual(&prev_r, &y_now);
        prev_r = y_now;
        if converged_at.is_none() && res < tol {
            converged_at = Some(k);
        }
        let done_summary = converged_at.is_some_and(|c| k - c >= summary_beats);
        if done_summary
            || k >= max_beats
                + if converged_at.is_some() {
                    summary_beats
                } else {
                    0
                }
        {
            break;
        }
        rec.begin_beat(
            &sim.model,
            &prev_r,
            trace_beat(k, converged_at),
            opts.waveforms,
        );
    }

    let n_sum = summary_beats.min(beats.len() as u64) as usize;
    let tail: Vec<(f64, BeatMetrics)> = beats[beats.len() - n_sum..]
        .iter()
        .map(|b| (b.rr_s, b.metrics.clone()))
        .collect();
    let summary = summarize(&tail);
    if !opts.record_all_beats {
        let keep = beats.len() - n_sum;
        beats.drain(..keep);
    }

    let waveforms = opts.waveforms.then(|| {
        let mut w = Waveforms {
            columns: St::ALL
                .iter()
                .map(|s| s.name())
                .chain(Sig::ALL.iter().map(|s| s.name()))
                .collect(),
            ..Waveforms::default()
        };
        let ncol = rec.wave.ncol;
        w.values = vec![Vec::new(); ncol];
        for c in &rec.wave.chunks {
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

    Ok(RunResult {
        beats,
        summary,
        converged: converged_at.is_some(),
        beats_to_steady_state: converged_at.unwrap_or(k),
        beats_simulated: k,
        final_residual: res,
        simulated_time_s: sim.t(),
        stats: counterpulse_engine::Integrator::stats(&sim.integrator),
        wall_time_s: wall.elapsed().as_secs_f64(),
        blood_volume_start_ml: Circulation::blood_volume(&y0),
        blood_volume_end_ml: Circulation::blood_volume(sim.y()),
        final_state: sim.y().to_vec(),
        waveforms,
        events: std::mem::take(&mut sim.model.log),
    })
}
