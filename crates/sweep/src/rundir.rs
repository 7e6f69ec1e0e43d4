//! Run directories of `simulate` (and of recorded sweep points): `beats.parquet`,
//! `waveforms.parquet`, `events.parquet` and `manifest.json`, committed as a set: the Parquet
//! files are written to temporary files first, the old manifest is removed, the files are
//! renamed into place and the manifest, naming every file with its rows and bytes, comes last.
//! A folder with a manifest is a complete run; one without is not.

use std::path::{Path, PathBuf};

use counterpulse_circulation::Value;
use counterpulse_circulation::params::fmt_num;
use counterpulse_io::{ColumnData, FileSet, Table};
use counterpulse_metrics::BeatMetrics;
use counterpulse_sim::assist::AssistReport;
use counterpulse_sim::{RunResult, Scenario};
use serde_json::{Map, json};

use crate::error::SweepError;
use crate::guard::{IN_USE_LOCK, Lock, entries, remove_orphan_temps};

/// Who wrote a file: recorded in manifests.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolInfo {
    /// Tool version.
    pub version: String,
    /// Git commit of the build, or "unknown".
    pub git_commit: String,
    /// Command line.
    pub command: Vec<String>,
}

/// A scenario value as JSON.
pub fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Number(x) => json!(x),
        Value::Bool(b) => json!(b),
        Value::Text(s) => json!(s),
    }
}

/// Metrics as a JSON object (null for absent ones).
pub fn metrics_json(m: &BeatMetrics) -> serde_json::Value {
    let map: Map<String, serde_json::Value> = m
        .values()
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                v.map_or(serde_json::Value::Null, |x| json!(x)),
            )
        })
        .collect();
    serde_json::Value::Object(map)
}

/// A float for JSON: `null` when not finite (no estimate).
fn finite(x: f64) -> serde_json::Value {
    if x.is_finite() {
        json!(x)
    } else {
        serde_json::Value::Null
    }
}

/// The console's part of a run's stated error, in words ("" without a balloon or where its
/// histories came back exactly; see `RunResult::console_timing_error`).
fn console_clause(r: &RunResult) -> String {
    let c = r.console_timing_error;
    if c.is_infinite() {
        "; the balloon console was still learning its timing (a history gained or lost its values over the period)".to_string()
    } else if c > 0.0 {
        format!(
            "; the balloon console's learned timings changed by {c:.1e} of an RR interval over it{}",
            if c >= r.steady_state_error {
                ", which sets the estimate"
            } else {
                ""
            }
        )
    } else {
        String::new()
    }
}

/// How an unconverged run's stated error compares with `tolerance`: the comparison (`>` or
/// `<=`) and a note to follow the tolerance, saying what set the error when the balloon
/// console's learned timing did, or why a run within the tolerance still did not stop.
pub fn unconverged_comparison(r: &RunResult, tolerance: f64) -> (&'static str, &'static str) {
    if r.steady_state_error <= tolerance {
        ("<=", ", but the balloon's gas was still changing")
    } else if r.console_timing_error >= r.steady_state_error {
        (
            ">",
            ", set by the balloon console's learned timing, which still changed over the period",
        )
    } else {
        (">", "")
    }
}

/// How a run's steady state was judged, in words.
pub fn steady_state_text(r: &RunResult) -> String {
    if r.converged && r.cycle_beats > r.assist_period {
        format!(
            "periodic over a multi-beat cycle of {} beats (the orbit repeats every {} assist periods, not every one; the summary averages whole cycles): estimated distance of the carried states to the cycle {:.1e} (|change over the cycle| {:.1e} / (1 - contraction {:.3}){})",
            r.cycle_beats,
            r.cycle_beats / r.assist_period.max(1),
            r.steady_state_error,
            r.final_residual,
            r.contraction_estimate,
            console_clause(r)
        )
    } else if r.converged {
        format!(
            "periodic: estimated distance of the carried states to the orbit {:.1e} (|change over an assist period| {:.1e} / (1 - contraction {:.3}){})",
            r.steady_state_error,
            r.final_residual,
            r.contraction_estimate,
            console_clause(r)
        )
    } else if r.irregular {
        format!(
            "statistical steady state (irregular rhythm): {} beats, summary of the last {}; the halves of the summary differ by {:.1e} (largest relative difference of mean cardiac output and MAP)",
            r.beats_simulated,
            r.beats_simulated - r.beats_to_steady_state,
            r.steady_state_error
        )
    } else if r.cycle_beats > r.assist_period {
        format!(
            "not converged when the beat budget ran out on a multi-beat cycle of {} beats (its summary is the mean over whole cycles): estimated distance to the cycle {:.1e} (|change over the cycle| {:.1e}, contraction {:.3}; above steady.tolerance, or the balloon's gas was still changing{})",
            r.cycle_beats,
            r.steady_state_error,
            r.final_residual,
            r.contraction_estimate,
            console_clause(r)
        )
    } else {
        format!(
            "not converged when the beat budget ran out: estimated distance to the orbit {:.1e} (|change over an assist period| {:.1e}, contraction {:.3}; above steady.tolerance, or the balloon's gas was still changing{})",
            r.steady_state_error,
            r.final_residual,
            r.contraction_estimate,
            console_clause(r)
        )
    }
}

/// Convergence and work counters of a run as JSON; for the `assisted` run also what the
/// balloon delivered (see [`AssistReport`]).
pub fn run_json(r: &RunResult, assisted: bool) -> serde_json::Value {
    let report = assisted.then(|| AssistReport::of(r));
    json!({
        "steady_state": if r.converged { "periodic" } else if r.irregular { "statistical (irregular rhythm)" } else { "not converged" },
        "steady_state_test": steady_state_text(r),
        "converged": r.converged,
        "irregular": r.irregular,
        "alarms_raised": r.alarms.len(),
        "alarm_kinds": report.as_ref().map(AssistReport::alarm_text),
        "balloon_delivered_fraction": report.as_ref().map(|a| a.delivered_fraction),
        "beats_to_steady_state": r.beats_to_steady_state,
        "beats_simulated": r.beats_simulated,
        "assist_period_beats": r.assist_period,
        "cycle_beats": r.cycle_beats,
        "summary_beats": r.summary_beats,
        "final_residual": finite(r.final_residual),
        "steady_state_error": finite(r.steady_state_error),
        "contraction_estimate": finite(r.contraction_estimate),
        "console_timing_error": finite(r.console_timing_error),
        "extrapolations": r.extrapolations,
        "loose_periods": r.loose_periods,
        "start_time_s": r.start_time_s,
        "simulated_time_s": r.simulated_time_s(),
        "wall_time_s": r.wall_time_s,
        "rhs_evaluations": r.stats.rhs_evals,
        "accepted_steps": r.stats.accepted_steps,
        "rejected_steps": r.stats.rejected_steps,
        "state_events": r.stats.state_events,
        "blood_volume_start_ml": r.blood_volume_start_ml,
        "blood_volume_end_ml": r.blood_volume_end_ml,
        "impella_suction_alarms": r.impella_suction_alarms,
    })
}

/// The scenario's overrides as JSON.
pub fn overrides_json(s: &Scenario) -> serde_json::Value {
    let map: Map<String, serde_json::Value> = s
        .overrides
        .iter()
        .map(|(k, v)| (k.clone(), value_json(v)))
        .collect();
    serde_json::Value::Object(map)
}

/// `beats.parquet`: one row per recorded beat of each run (`run`, `beat`, `start_time_s`,
/// `rr_s`, `assisted`, then every metric).
pub fn beats_table(runs: &[(&str, &RunResult)]) -> Table {
    let mut run = Vec::new();
    let mut beat = Vec::new();
    let mut start = Vec::new();
    let mut rr = Vec::new();
    let mut assisted = Vec::new();
    let mut cols: Vec<Vec<Option<f64>>> = vec![Vec::new(); BeatMetrics::NAMES.len()];
    for (name, r) in runs {
        for b in &r.beats {
            run.push(name.to_string());
            beat.push(b.beat);
            start.push(b.start_time_s);
            rr.push(b.rr_s);
            assisted.push(b.assisted);
            for (j, (_, v)) in b.metrics.values().into_iter().enumerate() {
                cols[j].push(v);
            }
        }
    }
    let mut t = Table::new();
    t.push("run", ColumnData::Str(run))
        .push("beat", ColumnData::U64(beat))
        .push("start_time_s", ColumnData::F64(start))
        .push("rr_s", ColumnData::F64(rr))
        .push("assisted", ColumnData::Bool(assisted));
    for (j, name) in BeatMetrics::NAMES.iter().enumerate() {
        t.push(*name, ColumnData::OptF64(std::mem::take(&mut cols[j])));
    }
    t
}

/// `waveforms.parquet`: the waveforms of all runs in one long table (`run`, `time_s`,
/// `time_in_beat_s`, `beat`, then every state and signal); a column that only some runs have
/// (the balloon's) is null in the others.
///
/// `time_in_beat_s` = `time_s` − the time of the R wave that started the sample's beat, so
/// beats of different runs (or a 1:2 run's assisted and unassisted beats) line up on one axis.
/// It is null where that R wave is unknown (beats not recorded).
pub fn waveforms_table(runs: &[(&str, &RunResult)]) -> Table {
    let mut t = Table::new();
    let mut names: Vec<&str> = Vec::new();
    for (_, r) in runs {
        if let Some(w) = &r.waveforms {
            for c in &w.columns {
                if !names.contains(&c.as_str()) {
                    names.push(c);
                }
            }
        }
    }
    let mut run = Vec::new();
    let mut time = Vec::new();
    let mut in_beat = Vec::new();
    let mut beat = Vec::new();
    let mut total = 0;
    for (name, r) in runs {
        if let Some(w) = &r.waveforms {
            let n = w.time_s.len();
            total += n;
            run.extend(std::iter::repeat_n(name.to_string(), n));
            time.extend_from_slice(&w.time_s);
            beat.extend_from_slice(&w.beat);
            // R wave of each recorded beat, and of the beat after each (the one in progress
            // when the run stopped has no record of its own).
            let mut starts: std::collections::HashMap<u64, f64> = r
                .beats
                .iter()
                .map(|b| (b.beat + 1, b.start_time_s + b.rr_s))
                .collect();
            starts.extend(r.beats.iter().map(|b| (b.beat, b.start_time_s)));
            in_beat.extend(
                w.time_s
                    .iter()
                    .zip(&w.beat)
                    .map(|(t, b)| starts.get(b).map(|s| t - s)),
            );
        }
    }
    let in_beat = if in_beat.iter().all(Option::is_some) {
        ColumnData::F64(in_beat.into_iter().flatten().collect())
    } else {
        ColumnData::OptF64(in_beat)
    };
    t.push("run", ColumnData::Str(run))
        .push("time_s", ColumnData::F64(time))
        .push("time_in_beat_s", in_beat)
        .push("beat", ColumnData::U64(beat));
    // One column at a time, straight to its final type: the samples are held once more here,
    // not twice (an Option<f64> is 16 bytes), which bounds a recorded run's peak memory
    // (Scenario::check_waveform_memory).
    let recorded: Vec<&counterpulse_sim::Waveforms> = runs
        .iter()
        .filter_map(|(_, r)| r.waveforms.as_ref())
        .collect();
    for name in &names {
        if recorded.iter().all(|w| w.column(name).is_some()) {
            let mut col = Vec::with_capacity(total);
            for w in &recorded {
                col.extend_from_slice(w.column(name).unwrap_or(&[]));
            }
            t.push(*name, ColumnData::F64(col));
        } else {
            let mut col = Vec::with_capacity(total);
            for w in &recorded {
                match w.column(name) {
                    Some(c) => col.extend(c.iter().map(|v| Some(*v))),
                    None => col.extend(std::iter::repeat_n(None, w.time_s.len())),
                }
            }
            t.push(*name, ColumnData::OptF64(col));
        }
    }
    t
}

/// `events.parquet`: `run`, `time_s`, `kind`, `beat` of every logged event.
pub fn events_table(runs: &[(&str, &RunResult)]) -> Table {
    let (mut run, mut time, mut kind, mut beat) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (name, r) in runs {
        for e in &r.events {
            run.push(name.to_string());
            time.push(e.time_s);
            kind.push(e.kind.name().to_string());
            beat.push(e.beat);
        }
    }
    let mut t = Table::new();
    t.push("run", ColumnData::Str(run))
        .push("time_s", ColumnData::F64(time))
        .push("kind", ColumnData::Str(kind))
        .push("beat", ColumnData::U64(beat));
    t
}

/// The current time as an RFC 3339 UTC timestamp.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// What a run folder holds besides lock and temporary files (`figures/` is drawn from it by
/// `counterpulse plot`).
pub const RUN_ENTRIES: [&str; 5] = [
    "beats.parquet",
    "waveforms.parquet",
    "events.parquet",
    "manifest.json",
    "figures",
];

/// A run folder claimed for writing: it held nothing, or (with `replace`) only an earlier run;
/// its lock is held until the run is written (or the claim is dropped).
#[derive(Debug)]
pub struct RunDir {
    dir: PathBuf,
    lock: Option<Lock>,
    /// The claim created the folder: removed again if nothing is written into it.
    created: bool,
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if self.created && self.lock.is_some() {
            let _ = std::fs::remove_file(self.dir.join(IN_USE_LOCK));
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

/// Refuses a folder that holds anything but what a run writes.
fn refuse_foreign(dir: &Path, found: &[String]) -> Result<(), SweepError> {
    match found.iter().find(|n| !RUN_ENTRIES.contains(&n.as_str())) {
        Some(foreign) => Err(SweepError::Usage {
            message: format!(
                "{}: not a counterpulse run folder (it holds `{foreign}`); not writing into it: choose another --out",
                dir.display()
            ),
        }),
        None => Ok(()),
    }
}

impl RunDir {
    /// Claims `dir` (creating it): refuses a folder being written by another process, a folder
    /// that holds anything but a run, and, unless `replace` (`--force`), an earlier run.
    pub fn claim(dir: &Path, replace: bool) -> Result<Self, SweepError> {
        let created = !dir.exists();
        // Checked before the lock too: a refused folder gets no lock file of ours.
        if !created {
            refuse_foreign(dir, &entries(dir)?)?;
        }
        let lock = Lock::exclusive(dir, IN_USE_LOCK, || {
            format!(
                "{}: another counterpulse process is writing into this run folder",
                dir.display()
            )
        })?;
        let found = entries(dir)?;
        refuse_foreign(dir, &found)?;
        if !found.is_empty() && !replace {
            let what = if found.iter().any(|n| n == "manifest.json") {
                "an earlier run"
            } else {
                "an incomplete earlier run (no manifest.json)"
            };
            return Err(SweepError::Usage {
                message: format!(
                    "{} holds {what}: add --force to replace it, or choose another --out",
                    dir.display()
                ),
            });
        }
        // Temporary files of killed writers (none is alive: the lock is ours).
        remove_orphan_temps(dir, |n| RUN_ENTRIES.contains(&n))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            lock: Some(lock),
            created,
        })
    }

    /// Writes the run: the three Parquet files, then the manifest naming them (see the module
    /// documentation).
    pub fn write(
        mut self,
        s: &Scenario,
        runs: &[(&str, &RunResult)],
        tool: &ToolInfo,
    ) -> Result<(), SweepError> {
        write_files(&self.dir, s, runs, tool)?;
        // Written: the folder stays; the lock is released.
        self.lock = None;
        Ok(())
    }
}

/// Claims `dir` and writes the run (see [`RunDir`]).
pub fn write_run_dir(
    dir: &Path,
    s: &Scenario,
    runs: &[(&str, &RunResult)],
    tool: &ToolInfo,
    replace: bool,
) -> Result<(), SweepError> {
    RunDir::claim(dir, replace)?.write(s, runs, tool)
}

fn write_files(
    dir: &Path,
    s: &Scenario,
    runs: &[(&str, &RunResult)],
    tool: &ToolInfo,
) -> Result<(), SweepError> {
    let run_id = format!(
        "{}-{}-{}",
        utc_now(),
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let meta = vec![
        ("counterpulse.version".to_string(), tool.version.clone()),
        ("counterpulse.preset".to_string(), s.preset.clone()),
        ("counterpulse.run_id".to_string(), run_id.clone()),
    ];
    let beats = beats_table(runs);
    let waves = waveforms_table(runs);
    let events = events_table(runs);
    let mut set = FileSet::new(dir);
    let beats_bytes = set.stage_parquet("beats.parquet", &beats, &meta)?;
    let wave_units = waves.units();
    let waves_bytes = set.stage_parquet_owned("waveforms.parquet", waves, &meta)?;
    let events_bytes = set.stage_parquet("events.parquet", &events, &meta)?;
    let integer_keys: Vec<String> = Scenario::specs()
        .into_iter()
        .filter(|sp| {
            matches!(
                sp.kind,
                counterpulse_circulation::params::Kind::Integer { .. }
            )
        })
        .map(|sp| sp.key)
        .collect();
    let scenario: Map<String, serde_json::Value> = s
        .resolved()
        .into_iter()
        .map(|(k, v)| {
            let j = match v {
                Value::Number(x) if integer_keys.contains(&k) => json!(x as u64),
                other => value_json(&other),
            };
            (k, j)
        })
        .collect();
    let units: Map<String, serde_json::Value> = beats
        .units()
        .into_iter()
        .chain(wave_units)
        .chain(events.units())
        .map(|(n, u)| (n, json!(u)))
        .collect();
    let run_info: Map<String, serde_json::Value> = runs
        .iter()
        .map(|(n, r)| (n.to_string(), run_json(r, *n == "assisted")))
        .collect();
    let manifest = json!({
        "tool": "counterpulse",
        "version": tool.version,
        "git_commit": tool.git_commit,
        "created_utc": utc_now(),
        "command": tool.command,
        "run_id": run_id,
        "preset": s.preset,
        "description": s.description,
        "overrides": overrides_json(s),
        "scenario": scenario,
        "solver": {
            "backend": s.get("solver.backend").map(|v| v.to_string()),
            "rtol": s.solver.rtol,
            "atol": s.solver.atol,
            "max_step_ms": s.solver.max_step_ms,
        },
        "seeds": { "rhythm.seed": s.rhythm.seed },
        "protocol": s.protocol.iter().map(|p| json!({
            "at_s": p.at_s,
            "values": p.values.iter().map(|(k, v)| (k.clone(), value_json(v))).collect::<Map<_, _>>(),
        })).collect::<Vec<_>>(),
        "runs": run_info,
        "files": {
            "beats.parquet": { "rows": runs.iter().map(|(_, r)| r.beats.len()).sum::<usize>(), "bytes": beats_bytes },
            "waveforms.parquet": { "rows": runs.iter().map(|(_, r)| r.waveforms.as_ref().map_or(0, |w| w.time_s.len())).sum::<usize>(), "bytes": waves_bytes, "sample_interval_ms": s.output.waveform_interval_ms },
            "events.parquet": { "rows": runs.iter().map(|(_, r)| r.events.len()).sum::<usize>(), "bytes": events_bytes },
        },
        "units": units,
        "steady_state_summary": runs.iter().map(|(n, r)| (n.to_string(), metrics_json(&r.summary))).collect::<Map<_, _>>(),
        "trace_interval_ms": fmt_num(s.steady.trace_interval_ms),
    });
    set.commit("manifest.json", &manifest)?;
    Ok(())
}
