//! `counterpulse plot ...`: figures from Parquet output (never re-runs the model).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use counterpulse_io::{read_f64_columns, read_str_column};
use counterpulse_plots::{
    HeatmapFigure, LineSeriesData, LinesFigure, Mark, PvLoop, PvLoopFigure, TimingErrorsFigure,
    TimingPanel, WaveformFigure, WeaningFigure, WeaningStep, annotate_one_to_two, axis_label,
    render, tick, unit_of_column,
};
use serde_json::Value as Json;

use crate::UsageError;

fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

/// Reads `names` (f64) of the rows of `file` whose `run` column equals `run`.
fn columns_of_run(file: &Path, run: &str, names: &[&str]) -> Result<Vec<Vec<f64>>> {
    if !file.exists() {
        return Err(usage(format!(
            "{}: no such file (is this a run folder written by `counterpulse simulate --out`?)",
            file.display()
        )));
    }
    let runs = read_str_column(file, "run")?;
    let cols = read_f64_columns(file, names)?;
    let mut out: Vec<Vec<f64>> = Vec::new();
    for n in names {
        let Some((_, c)) = cols.iter().find(|(cn, _)| cn == n) else {
            return Err(usage(format!("{}: no column `{n}`", file.display())));
        };
        out.push(
            c.iter()
                .zip(&runs)
                .filter(|(_, r)| r.as_str() == run)
                .map(|(v, _)| v.unwrap_or(f64::NAN))
                .collect(),
        );
    }
    if out.first().is_some_and(|c| c.is_empty()) {
        return Err(usage(format!(
            "{}: no rows of the `{run}` run",
            file.display()
        )));
    }
    Ok(out)
}

fn events_of_run(dir: &Path, run: &str, kind: &str) -> Result<Vec<f64>> {
    let file = dir.join("events.parquet");
    let runs = read_str_column(&file, "run")?;
    let kinds = read_str_column(&file, "kind")?;
    let t = read_f64_columns(&file, &["time_s"])?;
    let t = &t
        .first()
        .ok_or_else(|| usage(format!("{}: no column `time_s`", file.display())))?
        .1;
    Ok(t.iter()
        .zip(runs.iter().zip(&kinds))
        .filter(|(_, (r, k))| r.as_str() == run && k.as_str() == kind)
        .filter_map(|(t, _)| *t)
        .collect())
}

fn manifest(dir: &Path) -> Result<Json> {
    let p = dir.join("manifest.json");
    let text = std::fs::read_to_string(&p).map_err(|e| {
        usage(format!(
            "{}: {e} (not an output folder of counterpulse?)",
            p.display()
        ))
    })?;
    serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", p.display()))
}

fn scenario_value<'a>(m: &'a Json, key: &str) -> Option<&'a Json> {
    m.get("scenario").and_then(|s| s.get(key))
}

fn summary_metric(m: &Json, run: &str, metric: &str) -> Option<f64> {
    m.get("steady_state_summary")?
        .get(run)?
        .get(metric)?
        .as_f64()
}

fn done(paths: Vec<PathBuf>) {
    for p in paths {
        // A closed stdout does not undo the figures written.
        let _ = outln!("wrote {}", p.display());
    }
}

fn stem_or(out: Option<PathBuf>, dir: &Path, name: &str) -> PathBuf {
    out.unwrap_or_else(|| dir.join("figures").join(name))
}

struct RunWaves {
    t: Vec<f64>,
    aortic: Vec<f64>,
    lv: Vec<f64>,
    balloon: Vec<f64>,
    opens: Vec<f64>,
    closes: Vec<f64>,
}

fn read_waves(dir: &Path, run: &str) -> Result<RunWaves> {
    let c = columns_of_run(
        &dir.join("waveforms.parquet"),
        run,
        &[
            "time_s",
            "aortic_root_pressure_mmhg",
            "lv_pressure_mmhg",
            "balloon_volume_ml",
        ],
    )?;
    let mut it = c.into_iter();
    let mut next = || it.next().unwrap_or_default();
    Ok(RunWaves {
        t: next(),
        aortic: next(),
        lv: next(),
        balloon: next(),
        opens: events_of_run(dir, run, "aortic_valve_open")?,
        closes: events_of_run(dir, run, "aortic_valve_close")?,
    })
}

fn slice(w: &RunWaves, a: f64, b: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let idx: Vec<usize> = (0..w.t.len())
        .filter(|&i| w.t[i] >= a && w.t[i] <= b)
        .collect();
    (
        idx.iter().map(|&i| w.t[i] - a).collect(),
        idx.iter().map(|&i| w.aortic[i]).collect(),
        idx.iter().map(|&i| w.lv[i]).collect(),
        idx.iter().map(|&i| w.balloon[i]).collect(),
    )
}

fn describe_run(m: &Json) -> String {
    let preset = m.get("preset").and_then(Json::as_str).unwrap_or("scenario");
    let vol = scenario_value(m, "iabp.volume_ml").and_then(Json::as_f64);
    match vol {
        Some(v) => format!("{preset}, {v:.0} mL balloon"),
        None => preset.to_string(),
    }
}

/// `plot waveform RUN_DIR`.
pub fn waveform(dir: &Path, out: Option<PathBuf>) -> Result<()> {
    let m = manifest(dir)?;
    let w = read_waves(dir, "assisted")?;
    let ((a, b), marks) = annotate_one_to_two(&w.t, &w.aortic, &w.balloon, &w.opens, &w.closes)
        .map_err(|e| usage(format!("{}: {e}", dir.display())))?;
    let (t, aortic, lv, balloon) = slice(&w, a, b);
    let marks = marks
        .into_iter()
        .map(|mk| Mark {
            time_s: mk.time_s - a,
            ..mk
        })
        .collect();
    let fig = WaveformFigure {
        title: format!("IABP 1:2 ({})", describe_run(&m)),
        time_s: t,
        aortic_mmhg: aortic,
        lv_mmhg: lv,
        balloon_ml: balloon,
        marks,
    };
    done(render(&fig, &stem_or(out, dir, "waveform"))?);
    Ok(())
}

/// `plot pv-loop RUN_DIR`: the last baseline beat and the last assist period's beats.
pub fn pv_loop(dir: &Path, out: Option<PathBuf>) -> Result<()> {
    let m = manifest(dir)?;
    let file = dir.join("waveforms.parquet");
    let mut loops = Vec::new();
    for run in ["baseline", "assisted"] {
        let c = match columns_of_run(&file, run, &["beat", "lv_volume_ml", "lv_pressure_mmhg"]) {
            Ok(c) => c,
            Err(e) if run == "assisted" && loops.len() == 1 => {
                errln!("note: {e}; drawing the baseline loop only");
                break;
            }
            Err(e) => return Err(e),
        };
        let last = c[0].iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let period = if run == "assisted" {
            m.pointer("/runs/assisted/assist_period_beats")
                .and_then(Json::as_u64)
                .unwrap_or(1)
                .max(1)
        } else {
            1
        };
        // A complete beat: the last one may be cut short by the end of the recording.
        let beats: Vec<f64> = (1..=period).map(|k| last - k as f64).rev().collect();
        for (j, beat) in beats.iter().enumerate() {
            let idx: Vec<usize> = (0..c[0].len()).filter(|&i| c[0][i] == *beat).collect();
            if idx.is_empty() {
                continue;
            }
            let label = match (run, period) {
                ("baseline", _) => "Balloon off".to_string(),
                (_, 1) => "Balloon 1:1".to_string(),
                (_, p) => match after_assisted_diastole(dir, *beat) {
                    Some(true) => format!("Balloon 1:{p}, beat after an assisted diastole"),
                    Some(false) => format!("Balloon 1:{p}, beat after an unassisted diastole"),
                    None => format!("Balloon 1:{p}, beat {} of {p}", j + 1),
                },
            };
            loops.push(PvLoop {
                label,
                volume_ml: idx.iter().map(|&i| c[1][i]).collect(),
                pressure_mmhg: idx.iter().map(|&i| c[2][i]).collect(),
            });
        }
    }
    let fig = PvLoopFigure {
        title: format!("LV pressure–volume loops ({})", describe_run(&m)),
        loops,
    };
    done(render(&fig, &stem_or(out, dir, "pv-loop"))?);
    Ok(())
}

/// Whether the diastole before this beat's systole was assisted: the beats.parquet `assisted`
/// flag of the previous beat (the flag says the balloon inflated in that beat's diastole).
fn after_assisted_diastole(dir: &Path, beat: f64) -> Option<bool> {
    let c = columns_of_run(
        &dir.join("beats.parquet"),
        "assisted",
        &["beat", "assisted"],
    )
    .ok()?;
    let i = c[0].iter().position(|b| *b == beat - 1.0)?;
    Some(c[1][i] > 0.5)
}

/// Ok rows of a sweep with the requested columns (null as NaN), after `--where` filters.
pub(crate) struct SweepRows {
    /// Column name to values, one per kept row.
    pub(crate) cols: BTreeMap<String, Vec<f64>>,
    /// Swept columns neither requested nor filtered (a figure averages over them).
    pub(crate) averaged: Vec<String>,
}

fn parse_where(w: &[String]) -> Result<Vec<(String, f64)>> {
    w.iter()
        .map(|s| {
            let (k, v) = s
                .split_once('=')
                .ok_or_else(|| usage(format!("--where {s}: expected COLUMN=VALUE")))?;
            let v: f64 = v
                .trim()
                .parse()
                .map_err(|_| usage(format!("--where {s}: `{v}` is not a number")))?;
            Ok((k.trim().replace('.', "_"), v))
        })
        .collect()
}

pub(crate) fn sweep_rows(
    dir: &Path,
    wanted: &[&str],
    filters: &[(String, f64)],
) -> Result<SweepRows> {
    let file = dir.join("points.parquet");
    if !file.exists() {
        return Err(usage(format!(
            "{}: no such file (a sweep output folder holds points.parquet; run `counterpulse merge {}` after sharded runs)",
            file.display(),
            dir.display()
        )));
    }
    let mut names: Vec<&str> = wanted.to_vec();
    names.extend(filters.iter().map(|(k, _)| k.as_str()));
    let all = counterpulse_io::column_names(&file)?;
    for n in &names {
        if !all.iter().any(|c| c == n) {
            let axes: Vec<&String> = all
                .iter()
                .filter(|c| {
                    !c.starts_with("baseline_")
                        && !c.starts_with("assisted_")
                        && !c.starts_with("delta_")
                })
                .collect();
            return Err(usage(format!(
                "{}: no column `{n}` (swept columns: {}; metrics are baseline_*, assisted_*, delta_*)",
                file.display(),
                axes.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let status = read_str_column(&file, "status")?;
    let cols = read_f64_columns(&file, &names)?;
    let keep: Vec<usize> = (0..status.len())
        .filter(|&i| status[i] == "ok")
        .filter(|&i| {
            filters.iter().all(|(k, v)| {
                cols.iter()
                    .find(|(n, _)| n == k)
                    .and_then(|(_, c)| c[i])
                    .is_some_and(|x| (x - v).abs() <= 1e-9 * v.abs().max(1.0))
            })
        })
        .collect();
    if keep.is_empty() {
        let wanted: Vec<String> = filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        return Err(usage(format!(
            "{}: no ok points{}",
            file.display(),
            if filters.is_empty() {
                String::new()
            } else {
                format!(" with {}", wanted.join(", "))
            }
        )));
    }
    let mut out = BTreeMap::new();
    for (n, c) in &cols {
        out.insert(
            n.clone(),
            keep.iter().map(|&i| c[i].unwrap_or(f64::NAN)).collect(),
        );
    }
    // Swept columns that are neither drawn nor filtered: the figure averages over them.
    let m = manifest(dir).ok();
    let averaged = m
        .as_ref()
        .and_then(|m| m.get("axes"))
        .and_then(Json::as_array)
        .map(|axes| {
            axes.iter()
                .filter_map(|a| a.get("column").and_then(Json::as_str))
                .filter(|c| !names.contains(c))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(SweepRows {
        cols: out,
        averaged,
    })
}

fn distinct(v: &[f64]) -> Vec<f64> {
    let mut d: Vec<f64> = v.iter().cloned().filter(|x| x.is_finite()).collect();
    d.sort_by(f64::total_cmp);
    d.dedup_by(|a, b| (*a - *b).abs() <= 1e-9 * b.abs().max(1.0));
    d
}

fn index_of(values: &[f64], x: f64) -> Option<usize> {
    values
        .iter()
        .position(|v| (v - x).abs() <= 1e-9 * v.abs().max(1.0))
}

fn note(rows: &SweepRows, filters: &[(String, f64)]) -> String {
    let mut parts = Vec::new();
    if !filters.is_empty() {
        parts.push(
            filters
                .iter()
                .map(|(k, v)| value_label(k, *v))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if !rows.averaged.is_empty() {
        parts.push(format!(
            "mean over {}",
            rows.averaged
                .iter()
                .map(|c| axis_label(c))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    parts.join("; ")
}

/// "Heart rate = 100 bpm".
fn value_label(column: &str, v: f64) -> String {
    let unit = unit_of_column(column);
    let label = axis_label(column);
    let name = label
        .strip_suffix(&format!(" ({unit})"))
        .unwrap_or(&label)
        .to_string();
    let v = if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    };
    format!(
        "{name} = {v}{}{unit}",
        if unit == "%" || unit.is_empty() {
            ""
        } else {
            " "
        }
    )
}

fn sweep_title(dir: &Path) -> String {
    manifest(dir)
        .ok()
        .and_then(|m| m.get("sweep").and_then(Json::as_str).map(str::to_string))
        .map(|s| format!("Sweep {s}"))
        .unwrap_or_else(|| "Sweep".into())
}

/// `plot heatmap SWEEP_DIR --x --y --z`.
pub fn heatmap(
    dir: &Path,
    x: &str,
    y: &str,
    z: &str,
    wheres: &[String],
    out: Option<PathBuf>,
) -> Result<()> {
    let filters = parse_where(wheres)?;
    let rows = sweep_rows(dir, &[x, y, z], &filters)?;
    let (xv, yv, zv) = (&rows.cols[x], &rows.cols[y], &rows.cols[z]);
    let xs = distinct(xv);
    let ys = distinct(yv);
    if xs.len() > 60 || ys.len() > 60 {
        return Err(usage(format!(
            "heatmap: {} x and {} y values; a heatmap needs a grid (use `plot lines`, or a grid sweep)",
            xs.len(),
            ys.len()
        )));
    }
    let mut sum = vec![vec![(0.0, 0usize); xs.len()]; ys.len()];
    for i in 0..xv.len() {
        if let (Some(ix), Some(iy)) = (index_of(&xs, xv[i]), index_of(&ys, yv[i]))
            && zv[i].is_finite()
        {
            sum[iy][ix].0 += zv[i];
            sum[iy][ix].1 += 1;
        }
    }
    let grid = sum
        .iter()
        .map(|r| {
            r.iter()
                .map(|(s, n)| (*n > 0).then(|| s / *n as f64))
                .collect()
        })
        .collect();
    let fig = HeatmapFigure {
        title: format!("{}: {}", sweep_title(dir), axis_label(z)),
        x_column: x.into(),
        y_column: y.into(),
        z_column: z.into(),
        xs,
        ys,
        z: grid,
        note: note(&rows, &filters),
    };
    let name = format!("heatmap-{z}-{x}-{y}");
    done(render(&fig, &stem_or(out, dir, &name))?);
    Ok(())
}

/// Legend and axis text of a lines figure chosen by the user.
#[derive(Debug, Clone, Default)]
pub struct LineLabels {
    /// One legend entry per line, in order (empty: from the column names).
    pub series: Vec<String>,
    /// The y axis (None: from the column names).
    pub y_axis: Option<String>,
}

/// `plot lines SWEEP_DIR --x X --y Y[,Y2...] [--by B]`: one line per y column and value of B.
#[allow(clippy::too_many_arguments)]
pub fn lines(
    dir: &Path,
    x: &str,
    ys: &[String],
    by: Option<&str>,
    wheres: &[String],
    labels: &LineLabels,
    out: Option<PathBuf>,
) -> Result<()> {
    if ys.is_empty() {
        return Err(usage("lines: give at least one --y column"));
    }
    let filters = parse_where(wheres)?;
    let mut wanted: Vec<&str> = vec![x];
    wanted.extend(ys.iter().map(String::as_str));
    wanted.extend(by);
    let rows = sweep_rows(dir, &wanted, &filters)?;
    let xv = &rows.cols[x];
    let bv = by.map(|b| &rows.cols[b]);
    let bys: Vec<Option<f64>> = match bv {
        Some(v) => distinct(v).into_iter().map(Some).collect(),
        None => vec![None],
    };
    if bys.len() * ys.len() > 7 {
        return Err(usage(format!(
            "lines: {} lines ({} --y column(s) x {} value(s) of --by); at most 7 stay readable (filter with --where or pick another --by)",
            bys.len() * ys.len(),
            ys.len(),
            bys.len()
        )));
    }
    let xs = distinct(xv);
    // Several y columns: legend names without their unit and without a shared run prefix.
    let shared_prefix = ["baseline_", "assisted_", "delta_"]
        .into_iter()
        .find(|p| ys.iter().all(|y| y.starts_with(p)));
    let y_names: Vec<String> = ys
        .iter()
        .map(|y| {
            bare(&axis_label(
                shared_prefix.and_then(|p| y.strip_prefix(p)).unwrap_or(y),
            ))
            .to_string()
        })
        .collect();
    let mut series = Vec::new();
    for (y, y_name) in ys.iter().zip(&y_names) {
        let yv = &rows.cols[y.as_str()];
        for b in &bys {
            let points = xs
                .iter()
                .filter_map(|xx| {
                    let sel: Vec<f64> = (0..xv.len())
                        .filter(|&i| {
                            (xv[i] - xx).abs() <= 1e-9 * xx.abs().max(1.0)
                                && match (b, bv) {
                                    (Some(b), Some(bv)) => {
                                        (bv[i] - b).abs() <= 1e-9 * b.abs().max(1.0)
                                    }
                                    _ => true,
                                }
                                && yv[i].is_finite()
                        })
                        .map(|i| yv[i])
                        .collect();
                    (!sel.is_empty()).then(|| (*xx, sel.iter().sum::<f64>() / sel.len() as f64))
                })
                .collect();
            let by_text = match (b, by) {
                (Some(v), Some(col)) => format!("{} {}", tick(*v), unit_of_column(col))
                    .trim()
                    .to_string(),
                _ => String::new(),
            };
            let label = match (ys.len() > 1, by_text.is_empty()) {
                (true, true) => y_name.clone(),
                (true, false) => format!("{y_name}, {by_text}"),
                (false, _) => by_text,
            };
            series.push(LineSeriesData { label, points });
        }
    }
    if !labels.series.is_empty() {
        if labels.series.len() != series.len() {
            return Err(usage(format!(
                "lines: {} --label(s) for {} lines; give one per line or none",
                labels.series.len(),
                series.len()
            )));
        }
        for (s, l) in series.iter_mut().zip(&labels.series) {
            s.label = l.clone();
        }
    }
    let y_label = match &labels.y_axis {
        Some(l) => l.clone(),
        None if ys.len() == 1 => axis_label(&ys[0]),
        None => shared_label(ys),
    };
    let fig = LinesFigure {
        title: format!("{}: {}", sweep_title(dir), bare(&y_label)),
        x_column: x.into(),
        y_label,
        series,
        note: {
            let n = note(&rows, &filters);
            let by_part = by.map(|b| format!("lines: {}", bare(&axis_label(b)).to_lowercase()));
            [Some(n).filter(|n| !n.is_empty()), by_part]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ")
        },
    };
    let name = match by {
        Some(b) => format!("lines-{}-{x}-by-{b}", ys.join("-")),
        None => format!("lines-{}-{x}", ys.join("-")),
    };
    done(render(&fig, &stem_or(out, dir, &name))?);
    Ok(())
}

/// An axis label without its " (unit)".
fn bare(label: &str) -> &str {
    label.split(" (").next().unwrap_or(label)
}

/// Axis label shared by several columns: their common trailing words and unit
/// ("LAD flow (mL/min)" for LAD flow and hyperaemic LAD flow), else "Value (unit)".
fn shared_label(ys: &[String]) -> String {
    let names: Vec<Vec<String>> = ys
        .iter()
        .map(|y| {
            bare(&axis_label(y))
                .split(' ')
                .map(str::to_string)
                .collect()
        })
        .collect();
    let mut common: Vec<String> = Vec::new();
    'outer: for k in 1.. {
        let mut word = None;
        for n in &names {
            if n.len() < k {
                break 'outer;
            }
            let w = &n[n.len() - k];
            match &word {
                None => word = Some(w.clone()),
                Some(x) if x.eq_ignore_ascii_case(w) => {}
                Some(_) => break 'outer,
            }
        }
        common.insert(0, word.unwrap_or_default());
    }
    let mut text = if common.is_empty() {
        "Value".to_string()
    } else {
        let t = common.join(" ");
        let mut c = t.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or(t)
    };
    let units: Vec<&str> = ys.iter().map(|y| unit_of_column(y)).collect();
    if !units[0].is_empty() && units.iter().all(|u| *u == units[0]) {
        text.push_str(&format!(" ({})", units[0]));
    }
    text
}

/// The runs of the timing-errors experiment, in panel order.
pub const TIMING_RUNS: [(&str, &str); 5] = [
    ("correct", "Correct timing"),
    ("early-inflation", "Early inflation"),
    ("late-inflation", "Late inflation"),
    ("early-deflation", "Early deflation"),
    ("late-deflation", "Late deflation"),
];

/// `plot timing-errors [DIR]`: DIR holds one run folder per timing (see [`TIMING_RUNS`]).
pub fn timing_errors(dir: &Path, out: Option<PathBuf>) -> Result<()> {
    let mut panels = Vec::new();
    for (name, title) in TIMING_RUNS {
        let run = dir.join(name);
        if !run.join("waveforms.parquet").exists() {
            return Err(usage(format!(
                "{}: no run `{name}` (expected run folders {}; `counterpulse reproduce timing-errors` writes them)",
                dir.display(),
                TIMING_RUNS.map(|r| r.0).join(", ")
            )));
        }
        let m = manifest(&run)?;
        let w = read_waves(&run, "assisted")?;
        let ((_, _), marks) = annotate_one_to_two(&w.t, &w.aortic, &w.balloon, &w.opens, &w.closes)
            .map_err(|e| usage(format!("{}: {e}", run.display())))?;
        // Two beats: from before the unassisted systole to after the assisted one.
        let o0 = marks[1].time_s;
        let rr = 60.0
            / scenario_value(&m, "heart.rate_bpm")
                .and_then(Json::as_f64)
                .unwrap_or(100.0);
        let a = o0 - 0.25 * rr;
        let (t, aortic, lv, balloon) = slice(&w, a, a + 2.0 * rr);
        let off = |k: &str| scenario_value(&m, k).and_then(Json::as_f64).unwrap_or(0.0);
        let (inf, def) = (off("iabp.inflate_offset_ms"), off("iabp.deflate_offset_ms"));
        let setting = match (inf != 0.0, def != 0.0) {
            (true, false) => format!(" (inflation {:+.0} ms)", inf),
            (false, true) => format!(" (deflation {:+.0} ms)", def),
            (true, true) => format!(" ({:+.0} / {:+.0} ms)", inf, def),
            _ => String::new(),
        }
        .replace('-', "−");
        let gain = summary_metric(&m, "assisted", "cardiac_output_l_min")
            .zip(summary_metric(&m, "baseline", "cardiac_output_l_min"))
            .map(|(a, b)| a - b);
        panels.push(TimingPanel {
            title: format!("{title}{setting}"),
            time_s: t,
            aortic_mmhg: aortic,
            lv_mmhg: lv,
            balloon_ml: balloon,
            unassisted_edp_mmhg: marks[0].pressure_mmhg,
            note: gain
                .map(|g| format!("ΔCO {g:+.2} L/min").replace('-', "−"))
                .unwrap_or_default(),
        });
    }
    let m0 = manifest(&dir.join("correct"))?;
    let fig = TimingErrorsFigure {
        title: format!("IABP timing errors at 1:2 ({})", describe_run(&m0)),
        panels,
    };
    done(render(&fig, &stem_or(out, dir, "timing-errors"))?);
    Ok(())
}

/// `plot weaning [RUN_DIR]`: a run whose protocol changes the assist ratio.
pub fn weaning(dir: &Path, out: Option<PathBuf>) -> Result<()> {
    let m = manifest(dir)?;
    let c = columns_of_run(
        &dir.join("beats.parquet"),
        "assisted",
        &[
            "start_time_s",
            "cardiac_output_l_min",
            "mean_arterial_pressure_mmhg",
        ],
    )?;
    let start = m
        .pointer("/runs/assisted/start_time_s")
        .and_then(Json::as_f64)
        .unwrap_or_else(|| c[0].first().copied().unwrap_or(0.0));
    let steps: Vec<WeaningStep> = m
        .get("protocol")
        .and_then(Json::as_array)
        .map(|steps| {
            steps
                .iter()
                .filter_map(|s| {
                    let at = s.get("at_s")?.as_f64()?;
                    let v = s.get("values")?;
                    let label = if v.get("iabp.standby").and_then(Json::as_bool) == Some(true) {
                        "standby".to_string()
                    } else if let Some(r) = v.get("iabp.ratio").and_then(Json::as_str) {
                        r.to_string()
                    } else {
                        v.as_object()?
                            .iter()
                            .map(|(k, x)| format!("{k} = {x}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    Some(WeaningStep { at_s: at, label })
                })
                .collect()
        })
        .unwrap_or_default();
    if steps.is_empty() {
        return Err(usage(format!(
            "{}: the run has no protocol steps (a weaning run changes `iabp.ratio` with [[protocol]] steps; see experiments/weaning/)",
            dir.display()
        )));
    }
    let initial = scenario_value(&m, "iabp.ratio")
        .and_then(Json::as_str)
        .unwrap_or("assisted")
        .to_string();
    let fig = WeaningFigure {
        title: format!("Weaning ({})", describe_run(&m)),
        time_s: c[0].iter().map(|t| t - start).collect(),
        cardiac_output_l_min: c[1].clone(),
        mean_arterial_pressure_mmhg: c[2].clone(),
        initial_label: initial,
        steps,
        baseline_cardiac_output_l_min: summary_metric(&m, "baseline", "cardiac_output_l_min"),
        baseline_mean_arterial_pressure_mmhg: summary_metric(
            &m,
            "baseline",
            "mean_arterial_pressure_mmhg",
        ),
        window_beats: 4,
    };
    done(render(&fig, &stem_or(out, dir, "weaning"))?);
    Ok(())
}
