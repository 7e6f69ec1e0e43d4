//! `counterpulse reproduce NAME | --all [--check]`: runs the experiments in
//! `experiments/NAME/experiment.toml`, writes Parquet and figures to `notebooks-data/NAME/`, and
//! prints observed values against published ones.
//!
//! ```toml
//! [experiment]
//! title = "..."
//! published = "Author, Journal Year;Vol:Page (which figure or table)"
//! compares = "what is compared"
//!
//! [[run]]                       # counterpulse simulate --scenario FILE --out notebooks-data/NAME/RUN
//! name = "shock"
//! scenario = "shock.toml"
//!
//! [[sweep]]                     # counterpulse sweep SPEC --out notebooks-data/NAME/SWEEP
//! name = "grid"
//! spec = "sweep.toml"
//! analyze = "sobol"             # optional, then `counterpulse analyze sobol|morris|cohort`
//! y = ["delta_cardiac_output_l_min"]   # the output columns of sobol / morris
//!
//! [[figure]]                    # counterpulse plot KIND DATA... --OPTION VALUE ... --out notebooks-data/NAME/figures/FILE
//! kind = "heatmap"              # any kind of `counterpulse plot`
//! data = "grid"                 # run or sweep folder(s) of this experiment ("." = the experiment folder)
//! file = "co-gain-heatmap"
//! x = "heart_rate_bpm"          # every other key is an option of `counterpulse plot KIND`:
//! # lists repeat it (y = ["a", "b"], label = [...], where = ["col=value"]), true is a flag
//!
//! [[expect]]
//! what = "CO gain at HR 100 bpm, 40 mL"
//! source = "Hajjar 2019"
//! unit = "L/min"
//! published = 0.5               # and tolerance (absolute) or tolerance_percent, and/or min/max
//! tolerance = 0.2
//! gate = true                   # false: printed, never fails --check (a known deviation; see note)
//! note = "..."
//! observed = { sweep = "grid", column = "delta_cardiac_output_l_min", where = { heart_rate_bpm = 100 }, stat = "mean" }
//! # stat: mean, min, max, or "share_below" with below = X (percent of the points below X)
//! # or { run = "shock", metric = "systolic_pressure_mmhg", value = "delta" }  (baseline, assisted,
//! #   delta, delta_percent) or { run = "weaning", beats = "cardiac_output_l_min", from_s = 35, to_s = 45 }
//! #   (mean over the assisted run's beats; optional assisted_beat = true|false: only the beats
//! #   with / without an inflation in their diastole; last = N: only the last N of them)
//! # or thresholds along a sweep axis: { sweep = "s", column = "baseline_coronary_flow_ml_min",
//! #   along = "coronary_stenosis_percent", relative = true, crossing = 0.9 } (where the curve
//! #   first reaches 0.9), or { ..., column = "baseline_resting_pd_pa", at = { column =
//! #   "baseline_ffr", crossing = 0.8 } } (its value where FFR first reaches 0.8)
//! # or any Parquet file the experiment wrote: { table = "cohort/analysis/cohort-summary.parquet",
//! #   column = "value", where = { quantity = "responder_share" } } (mean of the matching rows)
//! # optional: percent_change_from = { ... } (value becomes 100 (value / that - 1): one run's
//! #   value against another's, e.g. a device against no device), then plus = { ... },
//! #   minus = { ... }, nested (observed = value + plus - minus)
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use clap::Parser;

use crate::say::{self, say};
use counterpulse_io::{read_f64_columns, read_str_column};
use counterpulse_sim::{RunOptions, Scenario, SimError, simulate as run_simulation};
use counterpulse_sweep::{
    NoProgress, Shard, SweepOptions, SweepSpec, run_sweep, rundir::write_run_dir,
};
use serde_json::Value as Json;

use crate::UsageError;
use crate::output::tool_info;
use crate::plot;

fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

/// Where the experiments live: `./experiments`, else the source tree's.
pub fn experiments_dir(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(d) = given {
        return if d.is_dir() {
            Ok(d)
        } else {
            Err(usage(format!(
                "--experiments {}: not a directory",
                d.display()
            )))
        };
    }
    let here = PathBuf::from("experiments");
    if here.join("timing-errors").is_dir() {
        return Ok(here);
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments");
    if src.is_dir() {
        return Ok(src);
    }
    Err(usage(
        "no experiments/ folder here or in the source tree; run from the repository root or pass --experiments DIR",
    ))
}

fn names(dir: &Path) -> Result<Vec<String>> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .filter(|e| e.path().join("experiment.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    Ok(v)
}

fn str_of<'a>(t: &'a toml::Table, key: &str, ctx: &str) -> Result<&'a str> {
    t.get(key)
        .and_then(|v| v.as_str())
        .ok_or_else(|| usage(format!("{ctx}: `{key}` (text) is required")))
}

/// `key` as a list of texts (a single text counts as a list of one); None when absent.
fn str_list(t: &toml::Table, key: &str, ctx: &str) -> Result<Option<Vec<String>>> {
    let bad = || usage(format!("{ctx}: `{key}` must be a text or a list of texts"));
    match t.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(bad))
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(_) => Err(bad()),
    }
}

fn num(v: &toml::Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

/// One line of the observed-against-published table.
struct Row {
    experiment: String,
    what: String,
    observed: Option<f64>,
    published: String,
    unit: String,
    verdict: &'static str,
    gate: bool,
    note: String,
}

fn manifest(dir: &Path) -> Result<Json> {
    let p = dir.join("manifest.json");
    let t = std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
    Ok(serde_json::from_str(&t)?)
}

/// `value + observe(plus) - observe(minus)`, recursively.
fn observe(spec: &toml::Table, out: &Path, ctx: &str) -> Result<f64> {
    let mut v = observe_one(spec, out, ctx)?;
    match spec.get("percent_change_from") {
        Some(toml::Value::Table(m)) => {
            let reference = observe(m, out, ctx)?;
            if reference == 0.0 {
                return Err(anyhow!("{ctx}: percent_change_from a value of 0"));
            }
            v = (v / reference - 1.0) * 100.0;
        }
        Some(_) => {
            return Err(usage(format!(
                "{ctx}: `percent_change_from` must be a table"
            )));
        }
        None => {}
    }
    for (key, sign) in [("plus", 1.0), ("minus", -1.0)] {
        match spec.get(key) {
            Some(toml::Value::Table(m)) => v += sign * observe(m, out, ctx)?,
            Some(_) => return Err(usage(format!("{ctx}: `{key}` must be a table"))),
            None => {}
        }
    }
    Ok(v)
}

/// `{ table = FILE, column = C, where = { col = value }, stat = mean|min|max }`: a value of any
/// Parquet file under the experiment's output (text `where` values match exactly).
fn observe_table(spec: &toml::Table, file: &str, out: &Path, ctx: &str) -> Result<f64> {
    let path = out.join(file);
    let column = str_of(spec, "column", ctx)?;
    let wheres: Vec<(String, toml::Value)> = match spec.get("where") {
        Some(toml::Value::Table(w)) => w.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(_) => return Err(usage(format!("{ctx}: `where` must be a table"))),
        None => Vec::new(),
    };
    let mut names: Vec<&str> = vec![column];
    names.extend(wheres.iter().map(|(k, _)| k.as_str()));
    let cols = counterpulse_io::read_columns(&path, &names)
        .with_context(|| format!("{ctx}: reading {}", path.display()))?;
    let get = |n: &str| cols.iter().find(|(c, _)| c == n).map(|(_, v)| v);
    let values = match get(column) {
        Some(counterpulse_io::ColumnValues::Numbers(v)) => v,
        _ => {
            return Err(anyhow!(
                "{ctx}: {} has no numeric column `{column}`",
                path.display()
            ));
        }
    };
    let keep = |r: usize| {
        wheres.iter().all(|(k, want)| match (get(k), want) {
            (Some(counterpulse_io::ColumnValues::Text(t)), toml::Value::String(w)) => {
                t[r].as_deref() == Some(w.as_str())
            }
            (Some(counterpulse_io::ColumnValues::Numbers(x)), w) => num(w)
                .zip(x[r])
                .is_some_and(|(w, x)| (w - x).abs() <= 1e-9 * w.abs().max(1.0)),
            _ => false,
        })
    };
    let sel: Vec<f64> = (0..values.len())
        .filter(|&r| keep(r))
        .filter_map(|r| values[r])
        .filter(|v| v.is_finite())
        .collect();
    if sel.is_empty() {
        return Err(anyhow!("{ctx}: no row of {} matches", path.display()));
    }
    statistic(spec, &sel, ctx)
}

/// `stat` of the selected values: `mean` (the default), `min`, `max`, or `share_below` (the
/// share of values below `below`, in percent: how many patients of a cohort cross a line).
fn statistic(spec: &toml::Table, sel: &[f64], ctx: &str) -> Result<f64> {
    match spec.get("stat").and_then(|v| v.as_str()).unwrap_or("mean") {
        "mean" => Ok(sel.iter().sum::<f64>() / sel.len() as f64),
        "min" => Ok(sel.iter().cloned().fold(f64::INFINITY, f64::min)),
        "max" => Ok(sel.iter().cloned().fold(f64::NEG_INFINITY, f64::max)),
        "share_below" => {
            let line = spec
                .get("below")
                .and_then(num)
                .ok_or_else(|| usage(format!("{ctx}: stat = \"share_below\" needs `below`")))?;
            let n = sel.iter().filter(|&&v| v < line).count();
            Ok(100.0 * n as f64 / sel.len() as f64)
        }
        other => Err(usage(format!(
            "{ctx}: stat = {other:?} (allowed: mean, min, max, share_below)"
        ))),
    }
}

/// `{ run = R, beats = COLUMN, from_s, to_s, assisted_beat, last }`: the mean of a column of
/// the assisted run's beats, in a time window after the run's start, optionally only the beats
/// with (true) or without (false) an inflation in their diastole, and only the last N of those
/// (the steady state of a run at 1:2 or 1:4).
fn observe_beats(spec: &toml::Table, col: &str, run: &str, dir: &Path, ctx: &str) -> Result<f64> {
    // Usage errors first, before any file is read.
    let flag = match spec.get("assisted_beat") {
        None => None,
        Some(toml::Value::Boolean(f)) => Some(*f),
        Some(_) => {
            return Err(usage(format!(
                "{ctx}: `assisted_beat` must be true or false"
            )));
        }
    };
    let last = match spec.get("last") {
        None => None,
        Some(toml::Value::Integer(n)) if *n > 0 => Some(*n as usize),
        Some(_) => return Err(usage(format!("{ctx}: `last` must be a positive integer"))),
    };
    let m = manifest(dir)?;
    let start = m
        .pointer("/runs/assisted/start_time_s")
        .and_then(Json::as_f64)
        .unwrap_or(0.0);
    let (a, b) = (
        spec.get("from_s")
            .and_then(num)
            .unwrap_or(f64::NEG_INFINITY),
        spec.get("to_s").and_then(num).unwrap_or(f64::INFINITY),
    );
    let file = dir.join("beats.parquet");
    let runs = read_str_column(&file, "run")?;
    let cols = read_f64_columns(&file, &["start_time_s", "assisted", col])?;
    let column = |name: &str| {
        cols.iter()
            .find(|(c, _)| c == name)
            .map(|(_, v)| v)
            .ok_or_else(|| anyhow!("{ctx}: {} has no column `{name}`", file.display()))
    };
    let (t, assisted, v) = (column("start_time_s")?, column("assisted")?, column(col)?);
    let mut sel: Vec<f64> = (0..runs.len())
        .filter(|&i| runs[i] == "assisted")
        .filter(|&i| t[i].is_some_and(|x| x - start >= a && x - start < b))
        .filter(|&i| flag.is_none_or(|f| assisted[i] == Some(if f { 1.0 } else { 0.0 })))
        .filter_map(|i| v[i])
        .collect();
    if let Some(n) = last {
        sel.drain(..sel.len().saturating_sub(n));
    }
    if sel.is_empty() {
        return Err(anyhow!(
            "{ctx}: no matching beats of `{run}` between {a} and {b} s"
        ));
    }
    Ok(sel.iter().sum::<f64>() / sel.len() as f64)
}

fn observe_one(spec: &toml::Table, out: &Path, ctx: &str) -> Result<f64> {
    if let Some(file) = spec.get("table").and_then(|v| v.as_str()) {
        return observe_table(spec, file, out, ctx);
    }
    if let Some(sweep) = spec.get("sweep").and_then(|v| v.as_str()) {
        let column = str_of(spec, "column", ctx)?;
        if spec.contains_key("along") {
            return observe_along(spec, sweep, column, out, ctx);
        }
        let cols = sweep_rows(spec, sweep, &[column], out, ctx)?;
        let sel: Vec<f64> = cols[0].iter().copied().filter(|v| v.is_finite()).collect();
        if sel.is_empty() {
            return Err(anyhow!("{ctx}: no ok point of `{sweep}` has `{column}`"));
        }
        return statistic(spec, &sel, ctx);
    }
    let run = str_of(spec, "run", ctx)?;
    let dir = out.join(run);
    if let Some(col) = spec.get("beats").and_then(|v| v.as_str()) {
        return observe_beats(spec, col, run, &dir, ctx);
    }
    let metric = str_of(spec, "metric", ctx)?;
    let which = spec
        .get("value")
        .and_then(|v| v.as_str())
        .unwrap_or("assisted");
    let m = manifest(&dir)?;
    let get = |r: &str| {
        m.get("steady_state_summary")
            .and_then(|s| s.get(r))
            .and_then(|s| s.get(metric))
            .and_then(Json::as_f64)
            .ok_or_else(|| anyhow!("{ctx}: run `{run}` has no {r} `{metric}`"))
    };
    match which {
        "baseline" => get("baseline"),
        "assisted" => get("assisted"),
        "delta" => Ok(get("assisted")? - get("baseline")?),
        "delta_percent" => Ok((get("assisted")? / get("baseline")? - 1.0) * 100.0),
        other => Err(usage(format!(
            "{ctx}: value = {other:?} (allowed: baseline, assisted, delta, delta_percent)"
        ))),
    }
}

/// The values of `columns` (null as NaN) at the `ok` points of sweep `sweep` that match
/// `where = { column = value }`.
fn sweep_rows(
    spec: &toml::Table,
    sweep: &str,
    columns: &[&str],
    out: &Path,
    ctx: &str,
) -> Result<Vec<Vec<f64>>> {
    let filters: Vec<plot::Filter> = match spec.get("where") {
        Some(toml::Value::Table(w)) => w
            .iter()
            .map(|(k, v)| match v {
                toml::Value::String(t) => Ok(plot::Filter::new(k, t)),
                other => num(other)
                    .map(|x| plot::Filter::new(k, &x.to_string()))
                    .ok_or_else(|| usage(format!("{ctx}: where.{k} must be a number or text"))),
            })
            .collect::<Result<_>>()?,
        _ => Vec::new(),
    };
    let mut rows = plot::sweep_rows(&out.join(sweep), columns, &filters)
        .with_context(|| format!("{ctx}: sweep `{sweep}`"))?;
    Ok(columns
        .iter()
        .map(|c| rows.cols.remove(*c).unwrap_or_default())
        .collect())
}

/// Where the piecewise-linear curve through `(x, y)` (sorted by `x`) first reaches `level`.
fn first_crossing(x: &[f64], y: &[f64], level: f64) -> Option<f64> {
    if y.first() == Some(&level) {
        return x.first().copied();
    }
    x.windows(2).zip(y.windows(2)).find_map(|(xw, yw)| {
        let (a, b) = (yw[0] - level, yw[1] - level);
        (a * b <= 0.0 && a != b).then(|| xw[0] + (xw[1] - xw[0]) * a / (a - b))
    })
}

/// Linear interpolation of `(x, y)` (sorted by `x`) at `at`, inside the sampled range.
fn interpolate(x: &[f64], y: &[f64], at: f64) -> Option<f64> {
    x.windows(2).zip(y.windows(2)).find_map(|(xw, yw)| {
        (at >= xw[0] && at <= xw[1] && xw[1] > xw[0])
            .then(|| yw[0] + (yw[1] - yw[0]) * (at - xw[0]) / (xw[1] - xw[0]))
    })
}

/// Threshold observables along one axis of a sweep:
/// `crossing = L` gives the `along` value where `column` (divided by its value at the smallest
/// `along` when `relative = true`) first reaches `L`; `at = { column = C, crossing = L }` gives
/// `column` interpolated where `C` first reaches `L`.
fn observe_along(
    spec: &toml::Table,
    sweep: &str,
    column: &str,
    out: &Path,
    ctx: &str,
) -> Result<f64> {
    let along = str_of(spec, "along", ctx)?;
    let at = match spec.get("at") {
        Some(toml::Value::Table(t)) => Some((
            str_of(t, "column", ctx)?,
            t.get("crossing")
                .and_then(num)
                .ok_or_else(|| usage(format!("{ctx}: at.crossing (a number) is required")))?,
        )),
        Some(_) => return Err(usage(format!("{ctx}: `at` must be a table"))),
        None => None,
    };
    let mut names = vec![along, column];
    if let Some((c, _)) = at {
        names.push(c);
    }
    let cols = sweep_rows(spec, sweep, &names, out, ctx)?;
    let mut pts: Vec<Vec<f64>> = (0..cols[0].len())
        .map(|i| cols.iter().map(|c| c[i]).collect::<Vec<f64>>())
        .filter(|p| p.iter().all(|v| v.is_finite()))
        .collect();
    pts.sort_by(|a, b| a[0].total_cmp(&b[0]));
    if pts.len() < 2 {
        return Err(anyhow!(
            "{ctx}: fewer than two points of `{sweep}` along `{along}`"
        ));
    }
    let x: Vec<f64> = pts.iter().map(|p| p[0]).collect();
    let mut y: Vec<f64> = pts.iter().map(|p| p[1]).collect();
    if spec
        .get("relative")
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
    {
        let y0 = y[0];
        if y0 == 0.0 {
            return Err(anyhow!(
                "{ctx}: `{column}` is 0 at the first point; relative is undefined"
            ));
        }
        y.iter_mut().for_each(|v| *v /= y0);
    }
    let range = format!("{along} {} to {}", fmt(x[0]), fmt(x[x.len() - 1]));
    if let Some((c, level)) = at {
        let yc: Vec<f64> = pts.iter().map(|p| p[2]).collect();
        let x_star = first_crossing(&x, &yc, level)
            .ok_or_else(|| anyhow!("{ctx}: `{c}` never reaches {level} over {range}"))?;
        return interpolate(&x, &y, x_star)
            .ok_or_else(|| anyhow!("{ctx}: {along} = {x_star} is outside the sweep"));
    }
    let level = spec
        .get("crossing")
        .and_then(num)
        .ok_or_else(|| usage(format!("{ctx}: with `along`, give `crossing` or `at`")))?;
    first_crossing(&x, &y, level)
        .ok_or_else(|| anyhow!("{ctx}: `{column}` never reaches {level} over {range}"))
}

fn fmt(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn run_experiment(name: &str, exp_dir: &Path, out: &Path) -> Result<Vec<Row>> {
    let text = std::fs::read_to_string(exp_dir.join("experiment.toml"))?;
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| usage(format!("{name}/experiment.toml: {e}")))?;
    let title = doc
        .get("experiment")
        .and_then(|e| e.get("title"))
        .and_then(|v| v.as_str())
        .unwrap_or(name);
    say!("== {name}: {title}");
    std::fs::create_dir_all(out)?;
    let arr = |k: &str| -> Vec<toml::Table> {
        doc.get(k)
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_table().cloned()).collect())
            .unwrap_or_default()
    };
    let opts = RunOptions {
        record_all_beats: true,
        waveforms: true,
        log_events: true,
    };
    for r in arr("run") {
        let ctx = format!("{name}/experiment.toml [[run]]");
        let rn = str_of(&r, "name", &ctx)?;
        let file = exp_dir.join(str_of(&r, "scenario", &ctx)?);
        let s = Scenario::from_file(&file).map_err(|e| usage(e.to_string()))?;
        let sim = run_simulation(&s, &opts).map_err(|e| match e {
            SimError::Param(p) => usage(p.to_string()),
            other => anyhow::Error::new(other),
        })?;
        let mut runs = vec![("baseline", &sim.baseline)];
        if let Some(a) = &sim.assisted {
            runs.push(("assisted", a));
        }
        let dir = out.join(rn);
        // notebooks-data/NAME is this experiment's output: an earlier reproduction is replaced
        // (refuse_earlier_output asked for --force before anything ran).
        write_run_dir(&dir, &s, &runs, &tool_info(), true).map_err(crate::sweep::classify)?;
        let conv = runs.iter().all(|(_, r)| r.converged || r.irregular);
        say!(
            "   run {rn}: {} -> {}{}",
            file.display(),
            dir.display(),
            if conv { "" } else { " (NOT converged)" }
        );
    }
    for sw in arr("sweep") {
        let ctx = format!("{name}/experiment.toml [[sweep]]");
        let sn = str_of(&sw, "name", &ctx)?;
        let file = exp_dir.join(str_of(&sw, "spec", &ctx)?);
        let spec = SweepSpec::from_file(&file).map_err(|e| usage(e.to_string()))?;
        let dir = out.join(sn);
        let o = run_sweep(
            &spec,
            &SweepOptions {
                out: dir.clone(),
                threads: None,
                shard: Shard::all(),
                resume: false,
                force: true,
                tool: tool_info(),
            },
            &NoProgress,
        )
        .map_err(crate::sweep::classify)?;
        say!(
            "   sweep {sn}: {} points in {:.1} s ({}) -> {}",
            o.points_run,
            o.wall_time_s,
            counterpulse_sweep::counts_text(&o.counts),
            dir.display()
        );
        if let Some(kind) = sw.get("analyze") {
            let settings = counterpulse_analysis::Settings::default();
            let ys = str_list(&sw, "y", &ctx)?.unwrap_or_default();
            match kind.as_str() {
                Some("sobol") => crate::analyze::sobol(&dir, &ys, &settings, false)?,
                Some("morris") => crate::analyze::morris(&dir, &ys, &settings, false)?,
                Some("cohort") => crate::analyze::cohort(&dir, &settings, false)?,
                _ => {
                    return Err(usage(format!(
                        "{ctx}: analyze = {kind}: expected \"sobol\", \"morris\" or \"cohort\""
                    )));
                }
            }
        }
    }
    for f in arr("figure") {
        figure(&f, out, &format!("{name}/experiment.toml [[figure]]"))?;
    }
    let mut rows = Vec::new();
    for (i, e) in arr("expect").iter().enumerate() {
        let ctx = format!("{name}/experiment.toml [[expect]] {}", i + 1);
        let what = str_of(e, "what", &ctx)?.to_string();
        let unit = e
            .get("unit")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        let gate = e.get("gate").and_then(|v| v.as_bool()).unwrap_or(true);
        let obs_spec = match e.get("observed") {
            Some(toml::Value::Table(t)) => t.clone(),
            _ => return Err(usage(format!("{ctx}: `observed` table is required"))),
        };
        let observed = observe(&obs_spec, out, &ctx);
        let published = e.get("published").and_then(num);
        let tol = e.get("tolerance").and_then(num).or_else(|| {
            e.get("tolerance_percent")
                .and_then(num)
                .zip(published)
                .map(|(p, v)| p / 100.0 * v.abs())
        });
        let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
        if let (Some(p), Some(t)) = (published, tol) {
            lo = p - t;
            hi = p + t;
        }
        if let Some(m) = e.get("min").and_then(num) {
            lo = lo.max(m);
        }
        if let Some(m) = e.get("max").and_then(num) {
            hi = hi.min(m);
        }
        let published_text = match (published, tol) {
            (Some(p), Some(t)) => format!("{} ± {}", fmt(p), fmt(t)),
            (Some(p), None) => fmt(p),
            _ => match (lo.is_finite(), hi.is_finite()) {
                (true, true) => format!("{} to {}", fmt(lo), fmt(hi)),
                (true, false) => format!("> {}", fmt(lo)),
                (false, true) => format!("< {}", fmt(hi)),
                _ => "—".into(),
            },
        };
        let bounded = lo.is_finite() || hi.is_finite();
        let (obs, verdict) = match observed {
            Ok(v) if !bounded => (Some(v), "n/a"),
            Ok(v) if v >= lo && v <= hi => (Some(v), "ok"),
            Ok(v) => (Some(v), "OUTSIDE"),
            Err(err) => {
                errln!("   {ctx}: {err}");
                (None, "ERROR")
            }
        };
        rows.push(Row {
            experiment: name.to_string(),
            what,
            observed: obs,
            published: published_text,
            unit,
            verdict,
            gate,
            note: e
                .get("note")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string(),
        });
    }
    Ok(rows)
}

/// The command line of `counterpulse plot`, for figures given as tables.
#[derive(Parser, Debug)]
#[command(name = "counterpulse plot")]
struct PlotLine {
    #[command(subcommand)]
    kind: plot::PlotKind,
}

/// Draws one `[[figure]]`: its table is read as the command line of `counterpulse plot KIND`
/// (`data` the run or sweep folder(s), `file` the output name under figures/, every other key
/// an option: `x = "col"` is `--x col`, a list repeats the option, `true` is a flag).
fn figure(f: &toml::Table, out: &Path, ctx: &str) -> Result<()> {
    let kind = str_of(f, "kind", ctx)?;
    let mut args = vec!["counterpulse-plot".to_string(), kind.to_string()];
    for d in str_list(f, "data", ctx)?.unwrap_or_else(|| vec![".".into()]) {
        let dir = if d == "." {
            out.to_path_buf()
        } else {
            out.join(d)
        };
        args.push(dir.display().to_string());
    }
    for (k, v) in f {
        if ["kind", "data", "file"].contains(&k.as_str()) {
            continue;
        }
        let flag = format!("--{}", k.replace('_', "-"));
        let text = |v: &toml::Value| match v {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(i) => Ok(i.to_string()),
            toml::Value::Float(x) => Ok(x.to_string()),
            other => Err(usage(format!(
                "{ctx}: `{k}` = {other}: expected text or numbers"
            ))),
        };
        match v {
            toml::Value::Boolean(true) => args.push(flag),
            toml::Value::Boolean(false) => {}
            toml::Value::Array(items) => {
                for it in items {
                    args.push(flag.clone());
                    args.push(text(it)?);
                }
            }
            other => {
                args.push(flag);
                args.push(text(other)?);
            }
        }
    }
    // notebooks-data/NAME is this experiment's output: an earlier reproduction's figures are
    // replaced, as its runs are.
    args.push("--force".into());
    args.push("--out".into());
    args.push(
        out.join("figures")
            .join(str_of(f, "file", ctx)?)
            .display()
            .to_string(),
    );
    let line = PlotLine::try_parse_from(&args)
        .map_err(|e| usage(format!("{ctx}: {}", e.render().to_string().trim())))?;
    plot::dispatch(line.kind)
}

/// Runs `name` (or every experiment) and prints the comparison; with `check`, fails when a
/// gated value is outside its tolerance.
/// Refuses, before anything runs, to write into an experiment's output folder that already
/// holds files, unless `--force`: an earlier reproduction is replaced only when the user says so
/// (as `simulate --out` and `sweep` do). With `--force`, only the files reproduce writes are
/// replaced; run folders holding anything else are still refused, other files are kept.
fn refuse_earlier_output(root: &Path, chosen: &[String], force: bool) -> Result<()> {
    let mut held = Vec::new();
    for n in chosen {
        let d = root.join(n);
        if d.exists() && !d.is_dir() {
            return Err(usage(format!(
                "{} is a file, not a folder: choose another --out",
                d.display()
            )));
        }
        let occupied = std::fs::read_dir(&d)
            .map(|mut it| it.next().is_some())
            .unwrap_or(false);
        if occupied {
            held.push(n.as_str());
        }
    }
    if held.is_empty() || force {
        return Ok(());
    }
    let shown = if held.len() > 4 {
        format!("{}, … ({} experiments)", held[..3].join(", "), held.len())
    } else {
        held.join(", ")
    };
    Err(usage(format!(
        "{} already holds output of {shown}: add --force to replace what reproduce writes there (other files are kept), or choose another --out",
        root.display()
    )))
}

pub fn run(
    name: Option<String>,
    all: bool,
    check: bool,
    experiments: Option<PathBuf>,
    out_root: Option<PathBuf>,
    json: bool,
    force: bool,
) -> Result<()> {
    let dir = experiments_dir(experiments)?;
    let available = names(&dir)?;
    if available.is_empty() {
        // Nothing to check is not a pass.
        return Err(usage(format!(
            "no experiments in {} (no folder with an experiment.toml)",
            dir.display()
        )));
    }
    let chosen = match (name, all) {
        (Some(_), true) => return Err(usage("give an experiment NAME or --all, not both")),
        (None, false) => {
            return Err(usage(format!(
                "give an experiment NAME or --all; available: {}",
                available.join(", ")
            )));
        }
        (None, true) => available.clone(),
        (Some(n), false) => {
            if !available.contains(&n) {
                return Err(usage(format!(
                    "no experiment `{n}` in {}; available: {}",
                    dir.display(),
                    available.join(", ")
                )));
            }
            vec![n]
        }
    };
    let root = out_root.unwrap_or_else(|| PathBuf::from("notebooks-data"));
    refuse_earlier_output(&root, &chosen, force)?;
    let mut rows = Vec::new();
    for n in &chosen {
        rows.extend(run_experiment(n, &dir.join(n), &root.join(n))?);
    }
    say!();
    say!(
        "{:<16} {:<64} {:>10} {:>16} {:<10} verdict",
        "experiment",
        "quantity",
        "observed",
        "published",
        "unit"
    );
    let mut last_note = String::new();
    for r in &rows {
        let verdict = if r.gate {
            r.verdict.to_string()
        } else {
            format!("{} (reported only)", r.verdict.to_lowercase())
        };
        say!(
            "{:<16} {:<64} {:>10} {:>16} {:<10} {}",
            r.experiment,
            r.what,
            r.observed.map(fmt).unwrap_or_else(|| "—".into()),
            r.published,
            r.unit,
            verdict
        );
        if !r.note.is_empty() && (r.verdict != "ok" || !r.gate) && r.note != last_note {
            say!("{:<16} note: {}", "", r.note);
            last_note = r.note.clone();
        }
    }
    let failed: Vec<&Row> = rows
        .iter()
        .filter(|r| r.gate && r.verdict != "ok")
        .collect();
    let gated = rows.iter().filter(|r| r.gate).count();
    say!(
        "\n{} of {} checked values inside their tolerance; {} reported only",
        gated - failed.len(),
        gated,
        rows.len() - gated
    );
    if json {
        say::json(&serde_json::json!({
            "experiments": chosen,
            "rows": rows.iter().map(|r| serde_json::json!({
                "experiment": r.experiment,
                "quantity": r.what,
                "observed": r.observed,
                "published": r.published,
                "unit": r.unit,
                "verdict": r.verdict,
                "gated": r.gate,
                "note": r.note,
            })).collect::<Vec<_>>(),
            "checked": gated,
            "inside_tolerance": gated - failed.len(),
            "reported_only": rows.len() - gated,
            "passed": failed.is_empty(),
        }))?;
    }
    if check && !failed.is_empty() {
        return Err(anyhow!(
            "--check: {} value(s) outside their tolerance: {}",
            failed.len(),
            failed
                .iter()
                .map(|r| format!("{}: {}", r.experiment, r.what))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossings_and_interpolation_are_linear_between_points() {
        let x = [0.0, 10.0, 20.0, 30.0];
        let y = [1.0, 0.95, 0.75, 0.5];
        // 0.9 lies a quarter of the way from 0.95 to 0.75.
        assert!((first_crossing(&x, &y, 0.9).expect("crosses") - 12.5).abs() < 1e-12);
        assert_eq!(first_crossing(&x, &y, 1.0), Some(0.0));
        assert_eq!(first_crossing(&x, &y, 0.3), None);
        // Rising curves cross too; the first crossing wins.
        assert_eq!(first_crossing(&x, &[0.0, 2.0, 0.0, 2.0], 1.0), Some(5.0));
        assert!((interpolate(&x, &y, 25.0).expect("inside") - 0.625).abs() < 1e-12);
        assert_eq!(interpolate(&x, &y, 31.0), None);
    }

    #[test]
    fn a_beats_observation_with_bad_options_is_a_usage_error_naming_the_key() {
        let dir = Path::new("/nonexistent-run-folder");
        for (text, key) in [
            (
                "beats = \"stroke_volume_ml\"\nassisted_beat = \"yes\"",
                "assisted_beat",
            ),
            ("beats = \"stroke_volume_ml\"\nlast = 0", "last"),
            ("beats = \"stroke_volume_ml\"\nlast = 1.5", "last"),
        ] {
            let spec: toml::Table = toml::from_str(text).expect("toml");
            let e =
                observe_beats(&spec, "stroke_volume_ml", "r", dir, "row 1").expect_err("refused");
            let msg = format!("{e:#}");
            assert!(msg.contains(key) && msg.contains("row 1"), "{msg}");
        }
    }
}
