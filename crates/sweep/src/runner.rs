//! Running a sweep: chunks of points in parallel, one Parquet part per chunk, merge.
//!
//! Output folder:
//!
//! ```text
//! OUT/spec.toml                     the spec as given (resuming checks it is unchanged)
//! OUT/parts/part-000000.parquet     one per chunk, written atomically when the chunk is done
//! OUT/points.parquet                all points, sorted by point_id (written by the merge)
//! OUT/manifest.json                 spec, version, counts, timing (written by the merge)
//! OUT/manifest-shard-I-of-N.json    per run of a shard: timing and counts of that run
//! OUT/points/point-000012/...       beats/waveforms/events of `record_points`
//! ```

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use counterpulse_circulation::Value;
use counterpulse_io::{
    ColumnData, ColumnValues, FileSet, IoError, Table, read_columns, read_f64_columns,
    read_metadata_value, read_str_column, read_u64_column, write_atomic, write_concat, write_json,
    write_parquet,
};
use counterpulse_metrics::{BeatMetrics, delta};
use counterpulse_sim::assist::AssistReport;
use counterpulse_sim::{
    RunOptions, RunResult, SimError, assisted_run, assisted_run_warm, baseline_scenario, run_phase,
};
use rayon::prelude::*;
use serde_json::json;

use crate::error::SweepError;
use crate::guard::{IN_USE_LOCK, Lock, entries, remove_dir, remove_file, remove_orphan_temps};
use crate::rundir::{ToolInfo, utc_now, write_run_dir};
use crate::spec::{BASE_SCENARIO_FILE, Shard, SweepSpec};

/// Receives progress (implemented by the command line's progress bar).
pub trait Progress: Sync {
    /// `total` points will run in this call (`skipped` were already done).
    fn start(&self, total: u64, skipped: u64);
    /// One more point finished.
    fn point_done(&self);
}

/// No progress display.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _total: u64, _skipped: u64) {}
    fn point_done(&self) {}
}

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Output folder.
    pub out: PathBuf,
    /// Worker threads (None: all cores).
    pub threads: Option<usize>,
    /// Which chunks this process runs.
    pub shard: Shard,
    /// Skip chunks whose part already exists.
    pub resume: bool,
    /// Replace what the folder holds (this shard's chunks of this sweep, or all of another
    /// sweep), never anything a sweep did not write.
    pub force: bool,
    /// Version, commit and command line, for manifests.
    pub tool: ToolInfo,
}

/// What a call of [`run_sweep`] did.
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    /// Points run in this call.
    pub points_run: u64,
    /// Points skipped because their chunk was already written (resume).
    pub points_skipped: u64,
    /// Rows by status in this call, in [`STATUSES`] order.
    pub counts: [u64; STATUSES.len()],
    /// Wall-clock time, s.
    pub wall_time_s: f64,
    /// Threads used.
    pub threads: usize,
    /// The merged file, when the run covered the whole sweep (unsharded).
    pub merged: Option<PathBuf>,
}

/// One output row.
#[derive(Debug, Clone)]
struct Row {
    id: u64,
    values: Vec<(String, Value)>,
    seed: u64,
    status: &'static str,
    message: String,
    baseline_beats: Option<u64>,
    assisted_beats: Option<u64>,
    baseline_error: Option<f64>,
    assisted_error: Option<f64>,
    baseline_cycle_beats: Option<u64>,
    assisted_cycle_beats: Option<u64>,
    alarms: Option<u64>,
    alarm_kinds: String,
    delivered_fraction: Option<f64>,
    baseline: Option<BeatMetrics>,
    assisted: Option<BeatMetrics>,
}

/// The steady-state error columns.
const ERROR_COLUMNS: [&str; 2] = ["baseline_steady_state_error", "assisted_steady_state_error"];

/// What `*_steady_state_error` means (written into the manifest).
pub const STEADY_STATE_MEASURE: &str = "estimated largest relative distance of a carried state (compartment volumes, slow controllers; at an R wave) to the periodic orbit: |change over one assist period| / (1 - lambda), lambda the estimated contraction of the beat map (see counterpulse_sim::steady), or, if larger, the change of the balloon console's 4-beat timing histories over that period relative to the RR interval (console_timing_error in a run's JSON); steady.tolerance bounds it. Irregular rhythms: statistical steady state, the largest relative difference between the two halves of the summary window in mean cardiac output and MAP.";

/// Statuses of a point, from good to bad:
/// * `ok`: periodic steady state (or the fixed beats of an irregular rhythm), the balloon
///   assisted as set and raised no alarm;
/// * `ok_with_alarms`: as `ok`, but the console (or a device: Impella suction) raised alarms (see `alarm_kinds`);
/// * `no_assist`: the balloon is on but reached its volume in fewer than half the beats its
///   ratio asks for: the "assisted" metrics are not those of an assisted circulation;
/// * `not_converged`: no periodic steady state within `steady.max_beats`;
/// * `budget_exceeded`: a work budget (`steady.max_beats` before a protocol's last step,
///   `steady.max_steps`, `steady.max_wall_s`) stopped the run; metrics null;
/// * `failed`: an invalid combination or a solver failure; metrics null.
pub const STATUSES: [&str; 6] = [
    "ok",
    "ok_with_alarms",
    "no_assist",
    "not_converged",
    "budget_exceeded",
    "failed",
];

/// `300 ok, 2 ok_with_alarms, ...` for the statuses with their counts (in [`STATUSES`] order).
pub fn counts_text(counts: &[u64]) -> String {
    STATUSES
        .iter()
        .zip(counts)
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a point has no metrics.
#[derive(Debug, Clone)]
enum PointError {
    /// A work budget ran out.
    Budget(String),
    /// Anything else.
    Failed(String),
}

impl From<SimError> for PointError {
    fn from(e: SimError) -> Self {
        match e {
            SimError::Budget { .. } => PointError::Budget(e.to_string()),
            other => PointError::Failed(other.to_string()),
        }
    }
}

fn part_path(out: &Path, chunk: u64) -> PathBuf {
    out.join("parts").join(format!("part-{chunk:06}.parquet"))
}

/// The runs shared by a sweep's points (see [`crate::shared`]).
type SharedRuns = crate::shared::SharedRuns<Result<RunResult, PointError>>;

/// Whether a point's assisted run may start from another point's assisted steady state.
fn warm_startable(s: &counterpulse_sim::Scenario) -> bool {
    s.iabp.enabled && s.protocol.is_empty() && !s.is_irregular()
}

fn run_row(spec: &SweepSpec, id: u64, shared: &SharedRuns, opts: &SweepOptions) -> Row {
    let values = spec.point_values(id);
    let mut row = Row {
        id,
        values,
        seed: spec.base.rhythm.seed,
        status: "failed",
        message: String::new(),
        baseline_beats: None,
        assisted_beats: None,
        baseline_error: None,
        assisted_error: None,
        baseline_cycle_beats: None,
        assisted_cycle_beats: None,
        alarms: None,
        alarm_kinds: String::new(),
        delivered_fraction: None,
        baseline: None,
        assisted: None,
    };
    let s = match spec.scenario(id) {
        Ok(s) => s,
        Err(e) => {
            row.message = format!("invalid point: {e}");
            return row;
        }
    };
    row.seed = s.rhythm.seed;
    // This point's group keeps its shared runs until the point is done (also if it panics).
    let group = shared.group_name(&s);
    let _held = shared.hold(&group);
    let record = spec.record_points.contains(&id);
    let result = catch_unwind(AssertUnwindSafe(
        || -> Result<(RunResult, Option<RunResult>), PointError> {
            if record {
                let ro = RunOptions {
                    record_all_beats: true,
                    waveforms: true,
                    log_events: true,
                };
                let b = run_phase(&baseline_scenario(&s), &ro, None, None, "baseline")?;
                let a = if s.iabp.enabled {
                    Some(assisted_run(&s, &ro, &b)?)
                } else {
                    None
                };
                let mut runs = vec![("baseline", &b)];
                if let Some(a) = &a {
                    runs.push(("assisted", a));
                }
                let dir = opts.out.join("points").join(format!("point-{id:06}"));
                if let Err(e) = write_run_dir(&dir, &s, &runs, &opts.tool, true) {
                    return Err(PointError::Failed(format!("recording point {id}: {e}")));
                }
                return Ok((b, a));
            }
            let compute = || {
                run_phase(
                    &baseline_scenario(&s),
                    &RunOptions::default(),
                    None,
                    None,
                    "baseline",
                )
                .map_err(PointError::from)
            };
            let b = shared.baseline(&group, compute)?;
            let plain = RunOptions::default();
            if !s.iabp.enabled {
                return Ok((b, None));
            }
            // The leader's own assisted run is the one its group starts from: run it once.
            let leader_id = shared.leader(&group);
            if leader_id == Some(id) && warm_startable(&s) {
                let a = shared.leader_run(&group, || {
                    assisted_run(&s, &plain, &b).map_err(PointError::from)
                })?;
                return Ok((b, Some(a)));
            }
            // The leader's assisted steady state, when this point may start from it.
            let leader = match leader_id {
                Some(leader) if warm_startable(&s) => match spec.scenario(leader) {
                    Ok(ls) if warm_startable(&ls) => Some(shared.leader_run(&group, || {
                        assisted_run(&ls, &plain, &b).map_err(PointError::from)
                    })),
                    _ => None,
                },
                _ => None,
            };
            let a = match leader {
                // A warm start that cannot be integrated (the leader's orbit outside what this
                // point's model can run) is no result: the cold run decides. A work budget
                // that runs out is the point's result either way.
                Some(Ok(start)) => match assisted_run_warm(&s, &plain, &b, &start) {
                    Err(SimError::Solve { .. }) => assisted_run(&s, &plain, &b)?,
                    other => other?,
                },
                _ => assisted_run(&s, &plain, &b)?,
            };
            Ok((b, Some(a)))
        },
    ));
    match result {
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown".into());
            row.message = format!("internal error: {what}");
        }
        Ok(Err(PointError::Budget(m))) => {
            row.status = "budget_exceeded";
            row.message = m;
        }
        Ok(Err(PointError::Failed(m))) => row.message = m,
        Ok(Ok((b, a))) => {
            row.baseline_beats = Some(b.beats_to_steady_state);
            row.baseline_error = Some(b.steady_state_error).filter(|e| e.is_finite());
            row.baseline_cycle_beats = Some(b.cycle_beats);
            row.baseline = Some(b.summary.clone());
            let mut problems = Vec::new();
            let unconverged = |name: &str, r: &RunResult| {
                (!r.converged && !r.irregular).then(|| {
                    let (op, note) = crate::rundir::unconverged_comparison(r, s.steady.tolerance);
                    format!(
                        "no periodic steady state in the {name} run within `steady.max_beats` = {} (estimated distance to the orbit {:.2e} {op} `steady.tolerance` = {:.1e}{note})",
                        s.steady.max_beats, r.steady_state_error, s.steady.tolerance
                    )
                })
            };
            problems.extend(unconverged("baseline", &b));
            problems.extend(multi_beat_cycle("baseline", &b));
            let mut status = if problems.is_empty() {
                "ok"
            } else {
                "not_converged"
            };
            // Alarms of the baseline run (a device's: an Impella-type pump's suction) make a
            // point doubtful as the balloon's do.
            let base_alarms = AssistReport::of(&b);
            row.alarms = Some(base_alarms.alarms);
            if base_alarms.alarms > 0 {
                row.alarm_kinds = format!("baseline: {}", base_alarms.alarm_text());
                problems.push(format!(
                    "baseline run: alarms {} (an Impella-type pump's suction: the LV empties around its inlet)",
                    base_alarms.alarm_text()
                ));
            }
            if let Some(a) = &a {
                row.assisted_beats = Some(a.beats_to_steady_state);
                row.assisted_error = Some(a.steady_state_error).filter(|e| e.is_finite());
                row.assisted_cycle_beats = Some(a.cycle_beats);
                row.assisted = Some(a.summary.clone());
                if let Some(p) = unconverged("assisted", a) {
                    problems.push(p);
                    status = "not_converged";
                }
                problems.extend(multi_beat_cycle("assisted", a));
                let report = AssistReport::of(a);
                row.alarms = Some(base_alarms.alarms + report.alarms);
                if report.alarms > 0 {
                    let text = report.alarm_text();
                    row.alarm_kinds = if row.alarm_kinds.is_empty() {
                        text
                    } else {
                        format!("{}; assisted: {text}", row.alarm_kinds)
                    };
                }
                row.delivered_fraction = Some(report.delivered_fraction);
                if status == "ok" && report.failed_to_assist() {
                    status = "no_assist";
                }
                problems.extend(report.problem());
            }
            if status == "ok" && row.alarms.is_some_and(|n| n > 0) {
                status = "ok_with_alarms";
            }
            row.status = status;
            row.message = problems.join("; ");
        }
    }
    row
}

/// A note on a converged run whose orbit repeats over several assist periods (see
/// [`counterpulse_sim::cycle`]): its metrics are means over the cycle.
fn multi_beat_cycle(name: &str, r: &RunResult) -> Option<String> {
    (r.converged && r.cycle_beats > r.assist_period).then(|| {
        format!(
            "the {name} orbit repeats every {} beats, not every {} (a multi-beat cycle, e.g. the console's timing); its metrics are means over the cycle",
            r.cycle_beats, r.assist_period
        )
    })
}

fn rows_table(spec: &SweepSpec, rows: &[Row]) -> Table {
    let mut t = Table::new();
    t.push(
        "point_id",
        ColumnData::U64(rows.iter().map(|r| r.id).collect()),
    );
    for (j, a) in spec.axes.iter().enumerate() {
        let vals: Vec<&Value> = rows.iter().map(|r| &r.values[j].1).collect();
        let data = match vals.first() {
            Some(Value::Bool(_)) => ColumnData::Bool(
                vals.iter()
                    .map(|v| matches!(v, Value::Bool(true)))
                    .collect(),
            ),
            Some(Value::Text(_)) => ColumnData::Str(vals.iter().map(|v| v.to_string()).collect()),
            _ => ColumnData::F64(
                vals.iter()
                    .map(|v| match v {
                        Value::Number(x) => *x,
                        _ => f64::NAN,
                    })
                    .collect(),
            ),
        };
        t.push(a.column.clone(), data);
    }
    t.push(
        "seed",
        ColumnData::U64(rows.iter().map(|r| r.seed).collect()),
    );
    for (name, data) in spec.design_columns(&rows.iter().map(|r| r.id).collect::<Vec<_>>()) {
        t.push(name, data);
    }
    t.push(
        "status",
        ColumnData::Str(rows.iter().map(|r| r.status.to_string()).collect()),
    );
    t.push(
        "message",
        ColumnData::Str(rows.iter().map(|r| r.message.clone()).collect()),
    );
    t.push(
        "alarms_raised",
        ColumnData::OptU64(rows.iter().map(|r| r.alarms).collect()),
    );
    t.push(
        "alarm_kinds",
        ColumnData::Str(rows.iter().map(|r| r.alarm_kinds.clone()).collect()),
    );
    t.push(
        "balloon_delivered_fraction",
        ColumnData::OptF64(rows.iter().map(|r| r.delivered_fraction).collect()),
    );
    t.push(
        "baseline_beats_to_steady_state",
        ColumnData::OptU64(rows.iter().map(|r| r.baseline_beats).collect()),
    );
    t.push(
        "assisted_beats_to_steady_state",
        ColumnData::OptU64(rows.iter().map(|r| r.assisted_beats).collect()),
    );
    t.push(
        "baseline_cycle_beats",
        ColumnData::OptU64(rows.iter().map(|r| r.baseline_cycle_beats).collect()),
    );
    t.push(
        "assisted_cycle_beats",
        ColumnData::OptU64(rows.iter().map(|r| r.assisted_cycle_beats).collect()),
    );
    t.push(
        "baseline_steady_state_error",
        ColumnData::OptF64(rows.iter().map(|r| r.baseline_error).collect()),
    );
    t.push(
        "assisted_steady_state_error",
        ColumnData::OptF64(rows.iter().map(|r| r.assisted_error).collect()),
    );
    for prefix in ["baseline", "assisted", "delta"] {
        for m in &spec.metrics {
            let col: Vec<Option<f64>> = rows
                .iter()
                .map(|r| match prefix {
                    "baseline" => r.baseline.as_ref().and_then(|b| b.get(m)),
                    "assisted" => r.assisted.as_ref().and_then(|a| a.get(m)),
                    _ => match (&r.assisted, &r.baseline) {
                        (Some(a), Some(b)) => delta(a, b).get(m),
                        _ => None,
                    },
                })
                .collect();
            t.push(format!("{prefix}_{m}"), ColumnData::OptF64(col));
        }
    }
    t
}

fn metadata(spec: &SweepSpec) -> Vec<(String, String)> {
    vec![
        ("counterpulse.sweep_spec".into(), spec.text.clone()),
        ("counterpulse.sweep_fingerprint".into(), spec.fingerprint()),
        ("counterpulse.design".into(), spec.design_json()),
    ]
}

fn process_chunk(
    spec: &SweepSpec,
    chunk: u64,
    shared: &SharedRuns,
    opts: &SweepOptions,
    progress: &dyn Progress,
) -> Result<[u64; STATUSES.len()], SweepError> {
    let ids: Vec<u64> = spec.chunk(chunk).collect();
    let rows: Vec<Row> = ids
        .par_iter()
        .map(|&id| {
            let r = run_row(spec, id, shared, opts);
            progress.point_done();
            r
        })
        .collect();
    let mut counts = [0u64; STATUSES.len()];
    for r in &rows {
        if let Some(i) = STATUSES.iter().position(|s| *s == r.status) {
            counts[i] += 1;
        }
    }
    let mut meta = metadata(spec);
    meta.push(("counterpulse.chunk".into(), chunk.to_string()));
    write_parquet(
        &part_path(&opts.out, chunk),
        &rows_table(spec, &rows),
        &meta,
    )?;
    Ok(counts)
}

/// Most worker threads a sweep starts: more threads than cores only add memory and switching.
pub const MAX_THREADS: usize = 1024;

/// Checks `--threads` (None: all cores).
pub fn check_threads(threads: Option<usize>) -> Result<(), SweepError> {
    match threads {
        Some(n) if n == 0 || n > MAX_THREADS => Err(SweepError::Usage {
            message: format!("--threads {n}: allowed 1 to {MAX_THREADS}"),
        }),
        _ => Ok(()),
    }
}

/// Chunk of a part file name (`part-000012.parquet` → 12).
fn part_chunk(name: &str) -> Option<u64> {
    name.strip_prefix("part-")?
        .strip_suffix(".parquet")?
        .parse()
        .ok()
}

/// Point of a recorded point folder name (`point-000012` → 12).
fn point_id(name: &str) -> Option<u64> {
    name.strip_prefix("point-")?.parse().ok()
}

/// Whether a file in the root of a sweep folder is one a sweep writes.
fn is_sweep_root_file(name: &str) -> bool {
    name == "points.parquet"
        || name == "spec.toml"
        || name == BASE_SCENARIO_FILE
        || name == "manifest.json"
        || (name.starts_with("manifest-shard-") && name.ends_with(".json"))
}

/// Removes from the sweep folder `dir` what a sweep wrote there and `mine` selects (by chunk
/// for parts, by point for recorded points), with the merged result (no longer up to date),
/// and nothing else. `everything` also removes the spec and every shard's manifest (the
/// folder is being given to another sweep).
fn clear(
    dir: &Path,
    mine: impl Fn(u64) -> bool,
    point_mine: impl Fn(u64) -> bool,
    everything: bool,
    shard: Shard,
) -> Result<(), SweepError> {
    let parts = dir.join("parts");
    for name in entries(&parts)? {
        if part_chunk(&name).is_some_and(&mine) {
            remove_file(&parts.join(name))?;
        }
    }
    remove_orphan_temps(&parts, |n| part_chunk(n).is_some_and(&mine))?;
    let points = dir.join("points");
    for name in entries(&points)? {
        if point_id(&name).is_some_and(&point_mine) {
            remove_dir(&points.join(name))?;
        }
    }
    let own_manifest = shard_manifest_name(shard);
    for name in entries(dir)? {
        let stale = name == "points.parquet" || name == "manifest.json" || name == own_manifest;
        if stale || (everything && is_sweep_root_file(&name)) {
            remove_file(&dir.join(name))?;
        }
    }
    Ok(())
}

fn shard_manifest_name(shard: Shard) -> String {
    format!("manifest-shard-{}-of-{}.json", shard.index, shard.count)
}

fn write_text(path: &Path, text: &str) -> Result<(), SweepError> {
    write_atomic(path, |w| {
        use std::io::Write;
        w.write_all(text.as_bytes()).map_err(|e| IoError::Fs {
            path: path.to_path_buf(),
            source: e,
        })
    })?;
    Ok(())
}

fn busy(dir: &Path) -> impl FnOnce() -> String + '_ {
    move || {
        format!(
            "{}: another counterpulse process is writing into this sweep folder (or merging it); wait for it, or choose another --out",
            dir.display()
        )
    }
}

/// Refuses a folder without `spec.toml` that holds files with the names a sweep writes: they are
/// someone else's. Files of other tools (Slurm's logs) may sit beside a sweep.
fn refuse_foreign_sweep_files(out: &Path) -> Result<(), SweepError> {
    if !out.exists() || out.join("spec.toml").exists() {
        return Ok(());
    }
    let clash: Vec<String> = entries(out)?
        .into_iter()
        .filter(|n| is_sweep_root_file(n) || n == "parts" || n == "points")
        .collect();
    if clash.is_empty() {
        return Ok(());
    }
    Err(SweepError::Usage {
        message: format!(
            "{} is not a sweep output folder (no spec.toml) but holds `{}`: not overwriting it; choose another --out",
            out.display(),
            clash[..clash.len().min(3)].join("`, `")
        ),
    })
}

/// Runs this shard's chunks of `spec` into `opts.out`; merges when the run is unsharded.
///
/// The folder must be empty, or hold this sweep (`--resume` continues it, `--force` runs this
/// shard's chunks again), or, with `--force`, another sweep that no process is writing. A
/// folder holding anything else is refused. While it runs, the process holds a shared lock on
/// the folder (no merge or replacement meanwhile) and an exclusive lock on its shard.
pub fn run_sweep(
    spec: &SweepSpec,
    opts: &SweepOptions,
    progress: &dyn Progress,
) -> Result<SweepOutcome, SweepError> {
    check_threads(opts.threads)?;
    let wall = Instant::now();
    let out = &opts.out;
    let shard = opts.shard;
    let in_shard = |c: u64| c % shard.count == shard.index;
    // Checked before the claim lock too: a refused folder gets no lock file of ours.
    refuse_foreign_sweep_files(out)?;
    let claim = Lock::claim(out)?;
    let spec_file = out.join("spec.toml");
    let same = if spec_file.exists() {
        let old = SweepSpec::from_output_dir(out).ok();
        old.map(|o| o.fingerprint()) == Some(spec.fingerprint())
    } else {
        refuse_foreign_sweep_files(out)?;
        true
    };
    if !same {
        if !opts.force {
            return Err(SweepError::Usage {
                message: format!(
                    "{} holds a different sweep (its spec.toml or base-scenario.toml differs): use another --out, or --force to replace it",
                    out.display()
                ),
            });
        }
        // Another sweep's output: only when no process is writing it, and all of it.
        let _all = Lock::exclusive(out, IN_USE_LOCK, busy(out))?;
        clear(out, |_| true, |_| true, true, shard)?;
    }
    let _in_use = Lock::shared(out, IN_USE_LOCK, busy(out))?;
    let _shard_lock = Lock::exclusive(
        out,
        &format!(".lock-shard-{}-of-{}", shard.index, shard.count),
        || {
            format!(
                "{}: shard {}/{} is being run by another counterpulse process",
                out.display(),
                shard.index,
                shard.count
            )
        },
    )?;
    let chunk_of = |id: u64| id / spec.chunk_size;
    if same && opts.force {
        // This sweep again: only this shard's chunks (other shards' parts are theirs).
        clear(out, in_shard, |id| in_shard(chunk_of(id)), false, shard)?;
    }
    // Temporary files of this shard's killed runs (its lock makes every such writer dead).
    remove_orphan_temps(&out.join("parts"), |n| part_chunk(n).is_some_and(in_shard))?;
    let own_manifest = shard_manifest_name(shard);
    remove_orphan_temps(out, |n| n == own_manifest)?;
    let mine: Vec<u64> = (0..spec.n_chunks()).filter(|c| in_shard(*c)).collect();
    let done: Vec<u64> = mine
        .iter()
        .copied()
        .filter(|c| part_path(out, *c).exists())
        .collect();
    if !done.is_empty() && !opts.resume {
        return Err(SweepError::Usage {
            message: format!(
                "{} already holds {} finished chunk(s) of this sweep: add --resume to continue it, --force to run it again from scratch, or use another --out",
                out.display(),
                done.len()
            ),
        });
    }
    if !spec_file.exists() {
        if let Some(scen) = &spec.scenario_text {
            write_text(&out.join(BASE_SCENARIO_FILE), scen)?;
        }
        write_text(&spec_file, &spec.text)?;
    }
    drop(claim);
    let todo: Vec<u64> = mine.iter().copied().filter(|c| !done.contains(c)).collect();
    let n_todo: u64 = todo.iter().map(|c| spec.chunk(*c).count() as u64).sum();
    let n_done: u64 = done.iter().map(|c| spec.chunk(*c).count() as u64).sum();
    let threads = opts
        .threads
        .unwrap_or_else(rayon::current_num_threads)
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| SweepError::Usage {
            message: format!("--threads {threads}: {e}"),
        })?;
    progress.start(n_todo, n_done);
    // Chunks in order, the points of a chunk in parallel: memory holds one chunk, and parts
    // appear in order, so a killed sweep keeps every chunk it finished.
    let mut counts = [0u64; STATUSES.len()];
    let my_points: Vec<u64> = todo.iter().flat_map(|c| spec.chunk(*c)).collect();
    let shared = SharedRuns::for_points(spec, &my_points);
    for c in &todo {
        let done = pool.install(|| process_chunk(spec, *c, &shared, opts, progress))?;
        for i in 0..counts.len() {
            counts[i] += done[i];
        }
    }
    let wall_time_s = wall.elapsed().as_secs_f64();
    let shard_manifest = json!({
        "tool": "counterpulse",
        "version": opts.tool.version,
        "git_commit": opts.tool.git_commit,
        "command": opts.tool.command,
        "created_utc": utc_now(),
        "sweep": spec.name,
        "spec_fingerprint": spec.fingerprint(),
        "shard": { "index": shard.index, "count": shard.count },
        "threads": threads,
        "points_run": n_todo,
        "points_skipped_resume": n_done,
        "counts": counts_json(&counts),
        "wall_time_s": wall_time_s,
        "points_per_s": if wall_time_s > 0.0 { n_todo as f64 / wall_time_s } else { 0.0 },
    });
    write_json(&out.join(own_manifest), &shard_manifest)?;
    drop(_shard_lock);
    drop(_in_use);
    let merged = if shard.count == 1 {
        Some(merge(out, &opts.tool)?)
    } else {
        None
    };
    Ok(SweepOutcome {
        points_run: n_todo,
        points_skipped: n_done,
        counts,
        wall_time_s,
        threads,
        merged,
    })
}

/// An axis in the manifest: key, column, and for a relative axis its factors and base value.
fn axis_json(a: &crate::spec::Axis) -> serde_json::Value {
    let mut j = json!({"key": a.key, "column": a.column});
    if let Some(r) = &a.relative {
        j["relative"] = json!({
            "factors": serde_json::to_value(&r.factors).unwrap_or(serde_json::Value::Null),
            "base_value": r.base_value,
        });
    }
    j
}

fn counts_json(counts: &[u64]) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = STATUSES
        .iter()
        .zip(counts)
        .map(|(s, n)| (s.to_string(), json!(n)))
        .collect();
    serde_json::Value::Object(map)
}

/// Merges the parts in `dir` into `points.parquet` and writes `manifest.json`, checking that
/// every point of the sweep is present exactly once and that every part was written by this
/// sweep (its fingerprint). Refused while a process is writing into the folder.
pub fn merge(dir: &Path, tool: &ToolInfo) -> Result<PathBuf, SweepError> {
    let spec = SweepSpec::from_output_dir(dir)?;
    let claim = Lock::claim(dir)?;
    let _all = Lock::exclusive(dir, IN_USE_LOCK, || {
        format!(
            "{}: a counterpulse process is still writing into this sweep folder; merge when every shard has finished",
            dir.display()
        )
    })?;
    drop(claim);
    let n = spec.n_points();
    let fingerprint = spec.fingerprint();
    let mut parts = Vec::new();
    let mut missing_chunks = Vec::new();
    for c in 0..spec.n_chunks() {
        let p = part_path(dir, c);
        if p.exists() {
            parts.push((c, p));
        } else {
            missing_chunks.push(c);
        }
    }
    // Point ids: each exactly once, all present; every part of this sweep.
    let mut seen = vec![0u8; n as usize];
    let mut counts = [0u64; STATUSES.len()];
    let mut largest_error = [0.0_f64; 2];
    for (c, p) in &parts {
        let theirs = read_metadata_value(p, "counterpulse.sweep_fingerprint")?;
        if theirs.as_deref() != Some(fingerprint.as_str()) {
            return Err(SweepError::Incomplete {
                message: format!(
                    "{}: written by a different sweep (fingerprint {}, this folder's spec.toml has {fingerprint}); not merging it: remove it and run its chunk again with --resume",
                    p.display(),
                    theirs.as_deref().unwrap_or("none")
                ),
            });
        }
        let ids = read_u64_column(p, "point_id")?;
        let expected: Vec<u64> = spec.chunk(*c).collect();
        if ids != expected {
            return Err(SweepError::Incomplete {
                message: format!(
                    "{}: holds points {:?}..., expected {}..{}",
                    p.display(),
                    &ids[..ids.len().min(5)],
                    expected.first().copied().unwrap_or(0),
                    expected.last().copied().unwrap_or(0)
                ),
            });
        }
        for id in ids {
            if id >= n {
                return Err(SweepError::Incomplete {
                    message: format!("{}: point {id} is outside the sweep (0..{n})", p.display()),
                });
            }
            seen[id as usize] += 1;
        }
        for (name, col) in read_f64_columns(p, &ERROR_COLUMNS)? {
            let worst = col.iter().flatten().fold(0.0_f64, |m, v| m.max(*v));
            let slot = if name == ERROR_COLUMNS[0] { 0 } else { 1 };
            largest_error[slot] = largest_error[slot].max(worst);
        }
        for status in read_str_column(p, "status")? {
            if let Some(i) = STATUSES.iter().position(|s| *s == status) {
                counts[i] += 1;
            }
        }
    }
    let repeated: Vec<usize> = (0..n as usize).filter(|&i| seen[i] > 1).collect();
    let missing: Vec<usize> = (0..n as usize).filter(|&i| seen[i] == 0).collect();
    if !repeated.is_empty() || !missing.is_empty() {
        return Err(SweepError::Incomplete {
            message: format!(
                "{}: {} point(s) missing (first {:?}; chunks {:?}), {} repeated (first {:?}); run the missing shards or --resume",
                dir.display(),
                missing.len(),
                &missing[..missing.len().min(10)],
                &missing_chunks[..missing_chunks.len().min(10)],
                repeated.len(),
                &repeated[..repeated.len().min(10)]
            ),
        });
    }
    // Temporary files left by killed runs (no process is writing: the lock is ours).
    remove_orphan_temps(&dir.join("parts"), |_| true)?;
    remove_orphan_temps(dir, |_| true)?;
    let out = dir.join("points.parquet");
    let paths: Vec<PathBuf> = parts.into_iter().map(|(_, p)| p).collect();
    let mut set = FileSet::new(dir);
    let mut rows = 0;
    let bytes = set.stage("points.parquet", |w| {
        rows = write_concat(w, &paths, &out, &metadata(&spec))?;
        Ok(())
    })?;
    let manifest = json!({
        "tool": "counterpulse",
        "version": tool.version,
        "git_commit": tool.git_commit,
        "command": tool.command,
        "created_utc": utc_now(),
        "sweep": spec.name,
        "description": spec.description,
        "base": spec.base_label,
        "spec": spec.text,
        "spec_fingerprint": fingerprint,
        "sampling": format!("{:?}", spec.sampling),
        "axes": spec.axes.iter().map(axis_json).collect::<Vec<_>>(),
        "points": rows,
        "chunk_size": spec.chunk_size,
        "counts": counts_json(&counts),
        "seeds": { "sampling": spec.sampling.seed(), "rhythm.seed": spec.base.rhythm.seed },
        "solver": { "rtol": spec.base.solver.rtol, "effective_rtol": counterpulse_sim::run::effective_rtol(&spec.base), "atol": spec.base.solver.atol, "backend": spec.base.get("solver.backend").map(|v| v.to_string()) },
        "steady_state": {
            "tolerance": spec.base.steady.tolerance,
            "accelerate": spec.base.steady.accelerate,
            "measure": STEADY_STATE_MEASURE,
            "largest_baseline_steady_state_error": largest_error[0],
            "largest_assisted_steady_state_error": largest_error[1],
        },
        "files": { "points.parquet": { "rows": rows, "bytes": bytes }, "parts": paths.len() },
    });
    set.commit("manifest.json", &manifest)?;
    Ok(out)
}

/// A text summary of a merged sweep: the CO gain at the reference point, its range over the
/// sweep, and how it changes along each axis.
pub fn summary(dir: &Path, spec: &SweepSpec) -> Result<String, SweepError> {
    let file = dir.join("points.parquet");
    let target = "delta_cardiac_output_l_min";
    let mut names: Vec<&str> = spec.axes.iter().map(|a| a.column.as_str()).collect();
    names.push(target);
    names.push("point_id");
    let extras = [
        ("delta_mean_arterial_pressure_mmhg", "MAP", "mmHg"),
        ("delta_coronary_flow_ml_min", "LAD flow", "mL/min"),
        ("delta_lv_end_diastolic_pressure_mmhg", "LVEDP", "mmHg"),
    ];
    names.extend(extras.iter().map(|e| e.0));
    let cols = read_f64_columns(&file, &names)?;
    let status = read_str_column(&file, "status")?;
    let col = |n: &str| cols.iter().find(|(c, _)| c == n).map(|(_, v)| v);
    let Some(gain) = col(target) else {
        return Ok(format!(
            "(no `{target}` column: the sweep has no assisted run)\n"
        ));
    };
    let ok: Vec<usize> = (0..status.len()).filter(|&i| status[i] == "ok").collect();
    let mut out = String::new();
    let counts = counts_text(
        &STATUSES
            .iter()
            .map(|s| status.iter().filter(|x| x == s).count() as u64)
            .collect::<Vec<_>>(),
    );
    out.push_str(&format!("{} points: {counts}\n", status.len()));
    if let Some(r) = spec.reference_point() {
        let v = gain[r as usize];
        let desc = spec
            .reference
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!(
            "CO gain at the reference point ({desc}): {} L/min\n",
            v.map(|x| format!("{x:+.3}"))
                .unwrap_or_else(|| "n/a".into())
        ));
        let others: Vec<String> = extras
            .iter()
            .filter_map(|(c, label, unit)| {
                let x = col(c)?[r as usize]?;
                Some(format!("{label} {x:+.1} {unit}"))
            })
            .collect();
        if !others.is_empty() {
            out.push_str(&format!("  and there: {}\n", others.join(", ")));
        }
    }
    let vals: Vec<f64> = ok.iter().filter_map(|&i| gain[i]).collect();
    if !vals.is_empty() {
        let (lo, hi) = vals
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        out.push_str(&format!(
            "CO gain over the sweep: {lo:+.3} to {hi:+.3} L/min (mean {mean:+.3})\n"
        ));
    }
    let axis_names: Vec<&str> = spec.axes.iter().map(|a| a.column.as_str()).collect();
    let axis_values = read_columns(&file, &axis_names)?;
    for a in &spec.axes {
        // A text axis (`iabp.timing`, `iabp.ratio`): the mean gain for each of its values.
        if let Some((_, ColumnValues::Text(t))) = axis_values.iter().find(|(c, _)| c == &a.column) {
            let mut groups: Vec<(&str, f64, usize)> = Vec::new();
            for &i in &ok {
                let (Some(v), Some(g)) = (t[i].as_deref(), gain[i]) else {
                    continue;
                };
                match groups.iter_mut().find(|(name, _, _)| *name == v) {
                    Some(gr) => {
                        gr.1 += g;
                        gr.2 += 1;
                    }
                    None => groups.push((v, g, 1)),
                }
            }
            if !groups.is_empty() {
                let cells: Vec<String> = groups
                    .iter()
                    .map(|(v, s, n)| format!("{v} → {:+.3}", s / *n as f64))
                    .collect();
                out.push_str(&format!(
                    "  mean gain by {}: {}\n",
                    a.column,
                    cells.join(", ")
                ));
            }
            continue;
        }
        let Some(x) = col(&a.column) else { continue };
        let mut groups: Vec<(f64, f64, usize)> = Vec::new();
        for &i in &ok {
            let (Some(xv), Some(g)) = (x[i], gain[i]) else {
                continue;
            };
            match groups.iter_mut().find(|(v, _, _)| (*v - xv).abs() < 1e-9) {
                Some(gr) => {
                    gr.1 += g;
                    gr.2 += 1;
                }
                None => groups.push((xv, g, 1)),
            }
        }
        groups.sort_by(|a, b| a.0.total_cmp(&b.0));
        if groups.is_empty() {
            // No balloon in this sweep: there is no gain to break down.
            continue;
        }
        if groups.len() <= 12 {
            let cells: Vec<String> = groups
                .iter()
                .map(|(v, s, n)| {
                    format!(
                        "{} → {:+.3}",
                        counterpulse_circulation::params::fmt_num(*v),
                        s / *n as f64
                    )
                })
                .collect();
            out.push_str(&format!(
                "  mean gain by {}: {}\n",
                a.column,
                cells.join(", ")
            ));
        } else {
            // Continuous axis: least-squares slope of the gain against the axis value.
            let pts: Vec<(f64, f64)> = ok.iter().filter_map(|&i| Some((x[i]?, gain[i]?))).collect();
            let n = pts.len() as f64;
            let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
            let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
            let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
            let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
            if sxx > 0.0 {
                out.push_str(&format!(
                    "  gain vs {}: slope {:+.4} L/min per unit (least squares over {} points)\n",
                    a.column,
                    sxy / sxx,
                    pts.len()
                ));
            }
        }
    }
    Ok(out)
}
