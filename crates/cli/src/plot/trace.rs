//! `plot trace`, `plot coronary-trace` and `plot rhythm`: signals of run folders over time.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use counterpulse_plots::{
    Dash, EventRow, LegendEntry, Panel, PanelsFigure, Series, axis_label, bare, inflated_intervals,
    unit_of_column,
};
use serde_json::Value as Json;

use super::{
    FigureArgs, balloon_on, columns_of_run, describe_drawn_runs, describe_run, events_of_run,
    manifest, scenario_value, shared_label, summary_metric, usage,
};

/// What `plot trace` draws.
#[derive(Args, Debug, Clone)]
pub struct TraceSelection {
    /// Signals (columns of waveforms.parquet), comma-separated; repeat the option to start
    /// another panel. Signals of different units get a panel each.
    #[arg(long = "signals", default_value = "aortic_root_pressure_mmhg")]
    pub signals: Vec<String>,
    /// Event at time 0: r-wave, valve-open (aortic valve opening), inflate (inflate command),
    /// or none (time as recorded).
    #[arg(long, default_value = "r-wave")]
    pub align: String,
    /// Beats shown: the last complete ones of the recording (cycles between two aligning
    /// events).
    #[arg(long, default_value_t = 3)]
    pub beats: usize,
    /// Runs of each folder: auto (one folder: balloon off and on; several: the balloon run of
    /// each), baseline, assisted, or both.
    #[arg(long, default_value = "auto")]
    pub run: String,
    /// Legend text of each folder, in order (repeatable; default: the folder names).
    #[arg(long = "label")]
    pub labels: Vec<String>,
}

/// One run of one folder.
struct Source {
    dir: PathBuf,
    run: &'static str,
    label: String,
    manifest: Json,
}

/// A run's samples inside the window, time shifted to the aligning event.
struct Window {
    t: Vec<f64>,
    cols: Vec<Vec<f64>>,
    r_waves: Vec<f64>,
    /// Time subtracted from the recording's.
    t0: f64,
}

/// The events column name and x-axis title of `--align`.
fn alignment(align: &str) -> Result<(&'static str, &'static str)> {
    match align {
        "r-wave" => Ok(("r_wave", "Time from R wave (s)")),
        "valve-open" => Ok(("aortic_valve_open", "Time from aortic valve opening (s)")),
        "inflate" => Ok(("inflate_command", "Time from inflation command (s)")),
        "none" => Ok(("r_wave", "Time (s)")),
        other => Err(usage(format!(
            "--align {other:?}: expected r-wave, valve-open, inflate or none"
        ))),
    }
}

fn has_run(dir: &Path, run: &str) -> bool {
    manifest(dir)
        .ok()
        .and_then(|m| m.pointer(&format!("/runs/{run}")).cloned())
        .is_some()
        || (run == "assisted" && manifest(dir).is_ok_and(|m| balloon_on(&m)))
        || run == "baseline"
}

fn sources(dirs: &[PathBuf], run: &str, labels: &[String]) -> Result<Vec<Source>> {
    if !labels.is_empty() && labels.len() != dirs.len() {
        return Err(usage(format!(
            "trace: {} --label(s) for {} run folders; give one per folder or none",
            labels.len(),
            dirs.len()
        )));
    }
    let mut out = Vec::new();
    for (i, d) in dirs.iter().enumerate() {
        let m = manifest(d)?;
        let name = labels.get(i).cloned().unwrap_or_else(|| {
            d.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| d.display().to_string())
        });
        let on = balloon_on(&m);
        let runs: Vec<&'static str> = match run {
            "auto" if dirs.len() == 1 && on => vec!["baseline", "assisted"],
            "auto" if on => vec!["assisted"],
            "auto" | "baseline" => vec!["baseline"],
            "assisted" if on && has_run(d, "assisted") => vec!["assisted"],
            "assisted" => {
                return Err(usage(format!(
                    "{}: the run has no balloon (iabp.enabled = false), so no assisted run",
                    d.display()
                )));
            }
            "both" if on => vec!["baseline", "assisted"],
            "both" => vec!["baseline"],
            other => {
                return Err(usage(format!(
                    "--run {other:?}: expected auto, baseline, assisted or both"
                )));
            }
        };
        let both = runs.len() == 2;
        for r in runs {
            let what = match r {
                "baseline" => "balloon off".to_string(),
                _ => {
                    let ratio = scenario_value(&m, "iabp.ratio")
                        .and_then(Json::as_str)
                        .unwrap_or("on");
                    format!("balloon {ratio}")
                }
            };
            let label = if dirs.len() == 1 {
                let mut c = what.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            } else if both {
                format!("{name}, {what}")
            } else {
                name.clone()
            };
            out.push(Source {
                dir: d.clone(),
                run: r,
                label,
                manifest: m.clone(),
            });
        }
    }
    Ok(out)
}

/// The last `beats` complete cycles between aligning events, with a lead of a tenth of a
/// cycle before time 0.
fn window(src: &Source, signals: &[&str], align: &str, beats: usize) -> Result<Window> {
    let (event, _) = alignment(align)?;
    let mut names = vec!["time_s"];
    names.extend(signals);
    let file = src.dir.join("waveforms.parquet");
    let mut c = columns_of_run(&file, src.run, &names)?;
    let t = c.remove(0);
    let (first, last) = (t[0], t[t.len() - 1]);
    let events: Vec<f64> = events_of_run(&src.dir, src.run, event)?
        .into_iter()
        .filter(|e| *e >= first && *e <= last)
        .collect();
    if events.len() < beats + 1 {
        return Err(usage(format!(
            "{}: {} `{event}` events of the {} run in the recorded waveforms, {} needed for {beats} beats (record more with output.waveform_beats, or ask for fewer --beats)",
            src.dir.display(),
            events.len(),
            src.run,
            beats + 1
        )));
    }
    let k = events.len() - 1 - beats;
    let (a, b) = (events[k], events[k + beats]);
    let start = (a - 0.1 * (b - a) / beats as f64).max(first);
    let t0 = if align == "none" { 0.0 } else { a };
    let idx: Vec<usize> = (0..t.len())
        .filter(|&i| t[i] >= start && t[i] <= b)
        .collect();
    let r_waves = events_of_run(&src.dir, src.run, "r_wave")?
        .into_iter()
        .filter(|e| *e >= start && *e <= b)
        .map(|e| e - t0)
        .collect();
    Ok(Window {
        t: idx.iter().map(|&i| t[i] - t0).collect(),
        cols: c
            .iter()
            .map(|col| idx.iter().map(|&i| col[i]).collect())
            .collect(),
        r_waves,
        t0,
    })
}

/// The signal groups of `--signals` (one per option), split by unit: one panel each.
fn panel_groups(signals: &[String]) -> Result<Vec<Vec<String>>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for group in signals {
        let cols: Vec<String> = group
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if cols.is_empty() {
            return Err(usage("--signals: give at least one column"));
        }
        let mut units: Vec<&str> = Vec::new();
        for c in &cols {
            if !units.contains(&unit_of_column(c)) {
                units.push(unit_of_column(c));
            }
        }
        for u in units {
            out.push(
                cols.iter()
                    .filter(|c| unit_of_column(c) == u)
                    .cloned()
                    .collect(),
            );
        }
    }
    Ok(out)
}

/// Palette index of source `i`: black first, then orange, blue, vermillion, sky, green.
fn source_colour(i: usize) -> usize {
    [0, 1, 4, 5, 2, 3, 6][i % 7]
}

/// Colour of signal `j` when there is one source: black, blue, vermillion, ...
fn signal_colour(j: usize) -> usize {
    [0, 4, 5, 1, 3, 2, 6][j % 7]
}

struct Built {
    figure: PanelsFigure,
    sources: Vec<Source>,
}

/// The figure of `groups` (panels of signals) for `sources`, aligned on `align`.
fn build(sources: Vec<Source>, groups: &[Vec<String>], align: &str, beats: usize) -> Result<Built> {
    let (_, x_label) = alignment(align)?;
    let all: Vec<&str> = groups.iter().flatten().map(String::as_str).collect();
    let mut windows = Vec::new();
    for s in &sources {
        windows.push(window(s, &all, align, beats)?);
    }
    let many = sources.len() > 1;
    let mut panels = Vec::new();
    let mut col = 0;
    for g in groups {
        let mut series = Vec::new();
        for (j, sig) in g.iter().enumerate() {
            for (i, (s, w)) in sources.iter().zip(&windows).enumerate() {
                let name = bare(&axis_label(sig)).to_string();
                let label = match (many, g.len() > 1) {
                    (true, true) => format!("{name}, {}", lower(&s.label)),
                    (true, false) => s.label.clone(),
                    (false, true) => name,
                    (false, false) => String::new(),
                };
                series.push(Series {
                    label,
                    x: w.t.clone(),
                    y: w.cols[col + j].clone(),
                    colour: if many {
                        source_colour(i)
                    } else {
                        signal_colour(j)
                    },
                    dash: Dash::nth(j),
                    width_pt: if j == 0 { 1.0 } else { 0.8 },
                    fill_to_zero: sig == "balloon_volume_ml" && !many,
                    ..Default::default()
                });
            }
        }
        col += g.len();
        let volume = g.iter().all(|c| c.ends_with("_volume_ml"));
        panels.push(Panel {
            y_label: if g.len() == 1 {
                axis_label(&g[0])
            } else {
                shared_label(g)
            },
            series,
            weight: if volume { 0.75 } else { 1.0 },
            include_zero: !g.iter().any(|c| c.ends_with("_mmhg")),
        });
    }
    // R waves: one row per distinct set of times.
    let mut events: Vec<EventRow> = Vec::new();
    for (i, w) in windows.iter().enumerate() {
        let same = events.iter().any(|e| {
            e.times.len() == w.r_waves.len()
                && e.times
                    .iter()
                    .zip(&w.r_waves)
                    .all(|(a, b)| (a - b).abs() < 0.005)
        });
        if !same {
            events.push(EventRow {
                label: if events.is_empty() {
                    "R wave".into()
                } else {
                    String::new()
                },
                times: w.r_waves.clone(),
                colour: if many { source_colour(i) } else { 0 },
                intervals: false,
            });
        }
    }
    // Balloon inflated, when one trace has the balloon and its volume is not drawn.
    let assisted: Vec<usize> = (0..sources.len())
        .filter(|&i| sources[i].run == "assisted")
        .collect();
    let mut shades = Vec::new();
    let mut shade_label = String::new();
    if assisted.len() == 1 && !all.contains(&"balloon_volume_ml") {
        let (s, w) = (&sources[assisted[0]], &windows[assisted[0]]);
        let c = columns_of_run(
            &s.dir.join("waveforms.parquet"),
            s.run,
            &["time_s", "balloon_volume_ml"],
        )?;
        let (lo, hi) = (w.t[0] + w.t0, w.t[w.t.len() - 1] + w.t0);
        shades = inflated_intervals(&c[0], &c[1])
            .into_iter()
            .filter(|(a, b)| *b >= lo && *a <= hi)
            .map(|(a, b)| (a.max(lo) - w.t0, b.min(hi) - w.t0))
            .collect();
        shade_label = if sources.iter().any(|o| o.dir != s.dir) {
            format!("Balloon inflated ({})", lower(&s.label))
        } else {
            "Balloon inflated".into()
        };
    }
    let figure = PanelsFigure {
        title: String::new(),
        note: String::new(),
        x_label: x_label.into(),
        panels,
        events,
        shades,
        shade_label,
        width_in: 0.0,
        legend_below: true,
        legend: Vec::new(),
        published: Vec::new(),
    };
    let mut figure = figure;
    // Several runs and several signals in a panel: colours name the runs, dashes the signals.
    if many && groups.iter().any(|g| g.len() > 1) {
        figure.legend = sources
            .iter()
            .enumerate()
            .map(|(i, s)| LegendEntry {
                label: s.label.clone(),
                colour: Some(source_colour(i)),
                dash: Dash::Solid,
            })
            .collect();
        for g in groups.iter().filter(|g| g.len() > 1) {
            for (j, c) in g.iter().enumerate() {
                let label = bare(&axis_label(c)).to_string();
                if !figure.legend.iter().any(|e| e.label == label) {
                    figure.legend.push(LegendEntry {
                        label,
                        colour: None,
                        dash: Dash::nth(j),
                    });
                }
            }
        }
    }
    Ok(Built { figure, sources })
}

/// Title of a one-folder trace: "Balloon off and on, aligned on the R wave" for both runs,
/// "Aligned on the R wave" for one (its note says which run).
fn single_run_title(both: bool, aligned: &str) -> String {
    let head = if both { "Balloon off and on" } else { "" };
    let t = format!("{head}{aligned}");
    let t = t.trim_start_matches(", ");
    let mut c = t.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn lower(s: &str) -> String {
    counterpulse_plots::lower_first(s)
}

/// `plot trace DIR...`.
pub fn trace(dirs: &[PathBuf], sel: &TraceSelection, fig: &FigureArgs) -> Result<()> {
    if sel.beats == 0 || sel.beats > 20 {
        return Err(usage(format!("--beats {}: allowed 1 to 20", sel.beats)));
    }
    let groups = panel_groups(&sel.signals)?;
    let srcs = sources(dirs, &sel.run, &sel.labels)?;
    let mut b = build(srcs, &groups, &sel.align, sel.beats)?;
    let aligned = match sel.align.as_str() {
        "none" => String::new(),
        a => format!(
            ", aligned on the {}",
            alignment(a)?
                .1
                .trim_start_matches("Time from ")
                .trim_end_matches(" (s)")
        ),
    };
    b.figure.title = if dirs.len() == 1 {
        let both = b.sources.len() == 2;
        let src = &b.sources[0];
        let drawn: Vec<&str> = b.sources.iter().map(|s| s.run).collect();
        // The note names the run ("cardiogenic-shock, balloon off"; "..., 40 mL balloon 1:1").
        b.figure.note = describe_drawn_runs(&src.manifest, &drawn);
        single_run_title(both, &aligned)
    } else {
        let names: Vec<String> = dirs
            .iter()
            .enumerate()
            .map(|(i, d)| {
                sel.labels.get(i).cloned().unwrap_or_else(|| {
                    d.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                })
            })
            .collect();
        let (last, rest) = names
            .split_last()
            .map(|(l, r)| (l.clone(), r.to_vec()))
            .unwrap_or_default();
        let t = format!("{} and {}{aligned}", rest.join(", "), lower(&last));
        let mut c = t.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or(t)
    };
    let name = format!(
        "trace-{}",
        groups
            .iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join("-")
    );
    fig.write("trace", &b.figure, &dirs[0], &name)
}

/// `plot coronary-trace DIR`: aortic pressure and LAD flow, balloon off and on.
pub fn coronary(dir: &Path, beats: usize, fig: &FigureArgs) -> Result<()> {
    let m = manifest(dir)?;
    if !balloon_on(&m) {
        return Err(usage(format!(
            "{}: a run without the balloon; coronary-trace compares balloon off and on (simulate with iabp.enabled = true)",
            dir.display()
        )));
    }
    let groups = vec![
        vec!["aortic_root_pressure_mmhg".to_string()],
        vec!["coronary_flow_ml_s".to_string()],
    ];
    let srcs = sources(&[dir.to_path_buf()], "both", &[])?;
    let mut b = build(srcs, &groups, "r-wave", beats)?;
    b.figure.title = "LAD flow, balloon off and on, aligned on the R wave".into();
    b.figure.panels[0].y_label = "Aortic pressure (mmHg)".into();
    b.figure.panels[1].y_label = "LAD flow (mL/s)".into();
    let flow = |r| summary_metric(&m, r, "coronary_flow_ml_min");
    let dia = |r| summary_metric(&m, r, "coronary_diastolic_flow_fraction");
    let mut notes = vec![describe_run(&m)];
    if let (Some(a), Some(b)) = (flow("baseline"), flow("assisted")) {
        let change = format!("{:+.0}", (b / a - 1.0) * 100.0).replace('-', "−");
        let (a, b) = significant_pair(a, b, 2);
        // No-break spaces keep a number with its unit when the note wraps.
        notes.push(format!(
            "mean LAD flow {a} → {b}\u{a0}mL/min ({change}\u{a0}%)"
        ));
    }
    if let (Some(a), Some(b)) = (dia("baseline"), dia("assisted")) {
        notes.push(format!(
            "diastolic share {:.0} → {:.0} %",
            a * 100.0,
            b * 100.0
        ));
    }
    b.figure.note = notes.join("; ");
    fig.write("coronary-trace", &b.figure, dir, "coronary-trace")
}

/// `a` and `b` with the same decimals: `digits` significant digits of the smaller magnitude
/// (49 → 47; 0.31 → 0.41; 3.2 → 12.5), never fewer than none.
pub(crate) fn significant_pair(a: f64, b: f64, digits: i32) -> (String, String) {
    let m = a.abs().min(b.abs());
    let decimals = if m > 0.0 && m.is_finite() {
        (digits - 1 - m.log10().floor() as i32).clamp(0, 6) as usize
    } else {
        0
    };
    (format!("{a:.decimals$}"), format!("{b:.decimals$}"))
}

/// `plot rhythm DIR`: the last seconds of an irregular rhythm with the balloon.
pub fn rhythm(dir: &Path, seconds: f64, fig: &FigureArgs) -> Result<()> {
    if !(seconds.is_finite() && seconds > 0.5 && seconds <= 120.0) {
        return Err(usage(format!("--seconds {seconds}: allowed 0.5 to 120")));
    }
    let m = manifest(dir)?;
    let run = if balloon_on(&m) {
        "assisted"
    } else {
        "baseline"
    };
    let names = [
        "time_s",
        "aortic_root_pressure_mmhg",
        "lv_pressure_mmhg",
        "balloon_volume_ml",
    ];
    let c = columns_of_run(&dir.join("waveforms.parquet"), run, &names)?;
    let last = c[0][c[0].len() - 1];
    let start = (last - seconds).max(c[0][0]);
    let idx: Vec<usize> = (0..c[0].len()).filter(|&i| c[0][i] >= start).collect();
    let pick = |k: usize| -> Vec<f64> { idx.iter().map(|&i| c[k][i]).collect() };
    let t: Vec<f64> = idx.iter().map(|&i| c[0][i] - start).collect();
    let ev = |kind: &str| -> Result<Vec<f64>> {
        Ok(events_of_run(dir, run, kind)?
            .into_iter()
            .filter(|e| *e >= start && *e <= last)
            .map(|e| e - start)
            .collect())
    };
    let r = ev("r_wave")?;
    let mut events = vec![EventRow {
        label: "R wave".into(),
        times: r.clone(),
        colour: 0,
        intervals: true,
    }];
    if run == "assisted" {
        events.push(EventRow {
            label: "Inflate".into(),
            times: ev("inflate_command")?,
            colour: 3,
            intervals: false,
        });
        events.push(EventRow {
            label: "Deflate".into(),
            times: ev("deflate_command")?,
            colour: 5,
            intervals: false,
        });
    }
    let pressure = Panel {
        y_label: "Pressure (mmHg)".into(),
        series: vec![
            Series {
                label: "Aortic root pressure".into(),
                x: t.clone(),
                y: pick(1),
                ..Default::default()
            },
            Series {
                label: "LV pressure".into(),
                x: t.clone(),
                y: pick(2),
                colour: 4,
                dash: Dash::Dashed,
                width_pt: 0.8,
                ..Default::default()
            },
        ],
        weight: 1.0,
        include_zero: true,
    };
    let mut panels = vec![pressure];
    if run == "assisted" {
        panels.push(Panel {
            y_label: "Balloon (mL)".into(),
            series: vec![Series {
                x: t.clone(),
                y: pick(3),
                colour: 2,
                fill_to_zero: true,
                width_pt: 0.8,
                ..Default::default()
            }],
            weight: 0.6,
            include_zero: true,
        });
    }
    let kind = scenario_value(&m, "rhythm.kind")
        .and_then(Json::as_str)
        .unwrap_or("sinus");
    let rhythm = match kind {
        "af" => "Atrial fibrillation",
        "sinus" => "Sinus rhythm",
        other => other,
    };
    let timing = match scenario_value(&m, "iabp.timing").and_then(Json::as_str) {
        Some("r-wave") if run == "assisted" => ", deflation on the R wave",
        Some("auto") if run == "assisted" => ", predicted timing",
        _ => "",
    };
    let rr: Vec<f64> = r.windows(2).map(|w| w[1] - w[0]).collect();
    let note = if rr.len() >= 2 {
        let mean = rr.iter().sum::<f64>() / rr.len() as f64;
        let sd =
            (rr.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (rr.len() - 1) as f64).sqrt();
        format!(
            "{}; RR intervals in ms (shown: mean {:.0} ms, coefficient of variation {:.2})",
            describe_run(&m),
            mean * 1000.0,
            sd / mean
        )
    } else {
        describe_run(&m)
    };
    let figure = PanelsFigure {
        title: format!("{rhythm}{timing}"),
        note,
        x_label: "Time (s)".into(),
        panels,
        events,
        legend_below: true,
        ..Default::default()
    };
    fig.write("rhythm", &figure, dir, "rhythm")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_flows_keep_two_significant_digits() {
        // The review's case: 0.3153 -> 0.4208 mL/min was printed "0 -> 0".
        assert_eq!(
            significant_pair(0.3153, 0.4208, 2),
            ("0.32".into(), "0.42".into())
        );
        assert_eq!(significant_pair(49.2, 47.4, 2), ("49".into(), "47".into()));
        assert_eq!(
            significant_pair(3.21, 12.5, 2),
            ("3.2".into(), "12.5".into())
        );
        assert_eq!(significant_pair(0.0, 0.0, 2), ("0".into(), "0".into()));
    }

    #[test]
    fn one_run_is_titled_once() {
        let a = ", aligned on the R wave";
        assert_eq!(single_run_title(false, a), "Aligned on the R wave");
        assert_eq!(
            single_run_title(true, a),
            "Balloon off and on, aligned on the R wave"
        );
        assert_eq!(single_run_title(false, ""), "");
    }
}
