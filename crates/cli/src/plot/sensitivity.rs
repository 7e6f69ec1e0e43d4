//! `plot sensitivity DIR --y COL` (Sobol' indices with their intervals above a tornado of
//! one-at-a-time effects; or Morris μ* and σ) and `plot cohort DIR` (the distribution of the
//! effect against a published one, above the inputs that separate responders).
//!
//! Indices are computed from `points.parquet` with the analysis crate (deterministic), using
//! the bootstrap settings of `DIR/analysis/*.parquet` when `analyze` wrote them for this
//! sweep, so the figure shows what the file holds.

use std::path::Path;

use anyhow::Result;
use counterpulse_analysis::cohort::{self, CohortReport};
use counterpulse_analysis::sensitivity::{self, MorrisReport, SobolReport};
use counterpulse_analysis::{Points, Settings, analysis_dir, result_name};
use counterpulse_io::read_metadata_value;
use counterpulse_plots::{
    Bar, BarGroup, BarsFigure, Dash, Panel, PanelsFigure, Part, Series, StackedFigure, axis_label,
    bare, lower_first, tick, unit_of_column,
};

use super::FigureArgs;
use crate::analyze::classify;

/// The settings `analyze` used for `file` (when it belongs to this sweep), else the defaults.
fn settings_of(file: &Path, p: &Points) -> Settings {
    let read = || -> Option<Settings> {
        let fp = read_metadata_value(file, "counterpulse.sweep_fingerprint").ok()??;
        if fp != p.fingerprint {
            return None;
        }
        let j: serde_json::Value =
            serde_json::from_str(&read_metadata_value(file, "counterpulse.analysis").ok()??)
                .ok()?;
        Some(Settings {
            bootstrap: j.get("bootstrap")?.as_u64()? as usize,
            confidence: j.get("confidence")?.as_f64()?,
            seed: j.get("bootstrap_seed")?.as_u64()?,
        })
    };
    read().unwrap_or_default()
}

fn label(column: &str) -> String {
    bare(&axis_label(column)).to_string()
}

/// `plot sensitivity DIR --y COL`.
pub fn sensitivity(dir: &Path, y: &str, fig: &FigureArgs) -> Result<()> {
    let p = Points::read(dir).map_err(classify)?;
    match p.sampling() {
        "morris" => {
            let file = analysis_dir(dir).join(result_name("morris", y));
            let r = sensitivity::morris(&p, y, &settings_of(&file, &p)).map_err(classify)?;
            fig.write(
                "sensitivity",
                &morris_figure(&r),
                dir,
                &format!("morris-{y}"),
            )
        }
        _ => {
            let file = analysis_dir(dir).join(result_name("sobol", y));
            let r = sensitivity::sobol(&p, y, &settings_of(&file, &p)).map_err(classify)?;
            fig.write("sensitivity", &sobol_figure(&r), dir, &format!("sobol-{y}"))
        }
    }
}

fn sobol_figure(r: &SobolReport) -> StackedFigure {
    let mut order: Vec<usize> = (0..r.inputs.len()).collect();
    order.sort_by(|a, b| {
        r.estimate.indices[*b]
            .total
            .total_cmp(&r.estimate.indices[*a].total)
    });
    let pct = (r.settings.confidence * 100.0).round();
    let out = lower_first(&label(&r.output));
    let unit = unit_of_column(&r.output);
    let indices = BarsFigure {
        title: format!("What the variance of {out} comes from"),
        note: format!(
            "Sobol' indices over {} base samples; whiskers: {pct:.0} % bootstrap intervals",
            r.estimate.base_samples
        ),
        x_label: "Sobol' index (share of the variance)".into(),
        categories: order.iter().map(|&i| label(&r.inputs[i].column)).collect(),
        groups: vec![
            BarGroup {
                label: "First order S_i (Saltelli 2010)".into(),
                colour: 1,
            },
            BarGroup {
                label: "Total S_Ti (Jansen 1999)".into(),
                colour: 4,
            },
        ],
        bars: order
            .iter()
            .map(|&i| {
                let x = &r.estimate.indices[i];
                vec![
                    Bar {
                        lo: 0.0,
                        hi: x.first,
                        reference: None,
                        interval: Some(x.first_interval),
                    },
                    Bar {
                        lo: 0.0,
                        hi: x.total,
                        reference: None,
                        interval: Some(x.total_interval),
                    },
                ]
            })
            .collect(),
        ..Default::default()
    };
    let centre = r.tornado.iter().find_map(|t| t.output_centre);
    // A missing end is named in the note, not drawn as a zero-length bar taken for no effect.
    let missing: Vec<String> = order
        .iter()
        .filter(|&&i| !r.tornado[i].missing.is_empty())
        .map(|&i| {
            format!(
                "{} at its {}",
                lower_first(&label(&r.inputs[i].column)),
                r.tornado[i].missing
            )
        })
        .collect();
    let tornado = BarsFigure {
        title: "One input at a time".into(),
        note: format!(
            "each input alone at its 5th and 95th percentile, the others at their medians ({out} there: {}){}",
            centre
                .map(|c| format!("{} {unit}", tick((c * 1000.0).round() / 1000.0)))
                .unwrap_or_else(|| "n/a".into()),
            if missing.is_empty() {
                String::new()
            } else {
                format!("; no bar: {}", missing.join("; "))
            }
        ),
        x_label: format!("Change in {out} ({unit})"),
        categories: order
            .iter()
            .map(|&i| {
                let t = &r.tornado[i];
                let range = match (t.input_low, t.input_high) {
                    (Some(a), Some(b)) => format!(
                        " {}–{}",
                        tick((a * 100.0).round() / 100.0),
                        tick((b * 100.0).round() / 100.0)
                    ),
                    _ => String::new(),
                };
                let u = &r.inputs[i].unit;
                let u = if u.is_empty() || u == "1" {
                    String::new()
                } else {
                    format!(" {u}")
                };
                format!("{}{range}{u}", label(&r.inputs[i].column))
            })
            .collect(),
        groups: vec![
            BarGroup {
                label: "at its 5th percentile".into(),
                colour: 2,
            },
            BarGroup {
                label: "at its 95th percentile".into(),
                colour: 6,
            },
        ],
        bars: order
            .iter()
            .map(|&i| {
                let t = &r.tornado[i];
                let d = |v: Option<f64>| match (v, t.output_centre) {
                    (Some(v), Some(c)) => v - c,
                    _ => 0.0,
                };
                vec![
                    Bar {
                        lo: 0.0,
                        hi: d(t.output_low),
                        reference: None,
                        interval: None,
                    },
                    Bar {
                        lo: 0.0,
                        hi: d(t.output_high),
                        reference: None,
                        interval: None,
                    },
                ]
            })
            .collect(),
        overlay: true,
        ..Default::default()
    };
    StackedFigure {
        parts: vec![Part::Bars(indices), Part::Bars(tornado)],
        width_in: 0.0,
    }
}

fn morris_figure(r: &MorrisReport) -> BarsFigure {
    let mut order: Vec<usize> = (0..r.inputs.len()).collect();
    order.sort_by(|a, b| r.stats[*b].mu_star.total_cmp(&r.stats[*a].mu_star));
    let pct = (r.settings.confidence * 100.0).round();
    let out = lower_first(&label(&r.output));
    let unit = unit_of_column(&r.output);
    BarsFigure {
        title: format!("Morris screening of {out}"),
        note: format!(
            "effects per whole input range; whiskers: {pct:.0} % bootstrap intervals of μ*"
        ),
        x_label: format!("Elementary effect ({unit})"),
        categories: order.iter().map(|&i| label(&r.inputs[i].column)).collect(),
        groups: vec![
            BarGroup {
                label: "μ* (mean |effect|)".into(),
                colour: 4,
            },
            BarGroup {
                label: "σ (non-linearity, interactions)".into(),
                colour: 1,
            },
        ],
        bars: order
            .iter()
            .map(|&i| {
                let s = &r.stats[i];
                vec![
                    Bar {
                        lo: 0.0,
                        hi: s.mu_star,
                        reference: None,
                        interval: Some(s.mu_star_interval),
                    },
                    Bar {
                        lo: 0.0,
                        hi: if s.sigma.is_finite() { s.sigma } else { 0.0 },
                        reference: None,
                        interval: None,
                    },
                ]
            })
            .collect(),
        ..Default::default()
    }
}

/// `plot cohort DIR`.
pub fn cohort_plot(dir: &Path, fig: &FigureArgs) -> Result<()> {
    let p = Points::read(dir).map_err(classify)?;
    let file = analysis_dir(dir).join("cohort-summary.parquet");
    let r = cohort::analyse(&p, &settings_of(&file, &p)).map_err(classify)?;
    fig.write("cohort", &cohort_figure(&r)?, dir, "cohort")
}

/// Normal density.
fn density(x: f64, mean: f64, sd: f64) -> f64 {
    (-(x - mean).powi(2) / (2.0 * sd * sd)).exp() / (sd * (2.0 * std::f64::consts::PI).sqrt())
}

fn cohort_figure(r: &CohortReport) -> Result<StackedFigure> {
    let col = &r.config.responder.column;
    let values: Vec<f64> = r
        .outcomes
        .iter()
        .find(|(c, _)| c == col)
        .map(|(_, v)| {
            v.iter()
                .zip(&r.status)
                .filter(|(_, s)| **s == cohort::MemberStatus::Included)
                .filter_map(|(v, _)| *v)
                .collect()
        })
        .unwrap_or_default();
    if values.len() < 2 {
        return Err(super::usage(format!(
            "cohort: {} included member(s) with `{col}`: nothing to draw",
            values.len()
        )));
    }
    let reference = r.config.reference.as_ref().filter(|rf| rf.column == *col);
    let (mut lo, mut hi) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    if let Some(rf) = reference {
        lo = lo.min(rf.mean - 2.5 * rf.sd);
        hi = hi.max(rf.mean + 2.5 * rf.sd);
    }
    // Histogram as a density (Freedman–Diaconis width, 10 to 40 bins), drawn as steps.
    let q = |f| counterpulse_analysis::stats::quantile(&values, f);
    let iqr = q(0.75) - q(0.25);
    let fd = 2.0 * iqr / (values.len() as f64).cbrt();
    let (vmin, vmax) = (q(0.0), q(1.0));
    let bins = if fd > 0.0 {
        (((vmax - vmin) / fd).ceil() as usize).clamp(10, 40)
    } else {
        10
    };
    let w = ((vmax - vmin) / bins as f64).max(1e-9);
    let mut counts = vec![0usize; bins];
    for v in &values {
        counts[(((v - vmin) / w) as usize).min(bins - 1)] += 1;
    }
    let mut hx = vec![lo, vmin];
    let mut hy = vec![0.0, 0.0];
    for (b, c) in counts.iter().enumerate() {
        let d = *c as f64 / (values.len() as f64 * w);
        let (a, z) = (vmin + b as f64 * w, vmin + (b + 1) as f64 * w);
        hx.extend([a, z]);
        hy.extend([d, d]);
    }
    hx.extend([vmax, hi]);
    hy.extend([0.0, 0.0]);
    let top = hy.iter().cloned().fold(0.0, f64::max);
    let unit = unit_of_column(col);
    let mut series = vec![Series {
        label: format!("Model, {} included members", values.len()),
        x: hx,
        y: hy,
        colour: 4,
        fill_to_zero: true,
        ..Default::default()
    }];
    if let Some(rf) = reference {
        let xs: Vec<f64> = (0..=200)
            .map(|i| lo + (hi - lo) * i as f64 / 200.0)
            .collect();
        series.push(Series {
            label: format!(
                "{}: {} ± {} (n = {})",
                short_source(&rf.source),
                signed_tick(rf.mean),
                tick(rf.sd),
                rf.n
            ),
            y: xs.iter().map(|x| density(*x, rf.mean, rf.sd)).collect(),
            x: xs,
            colour: 6,
            dash: Dash::Dashed,
            width_pt: 1.2,
            ..Default::default()
        });
    }
    let threshold = r.config.responder.min.or(r.config.responder.max);
    if let Some(t) = threshold {
        let ytop = top.max(reference.map_or(0.0, |rf| density(rf.mean, rf.mean, rf.sd)));
        series.push(Series {
            label: format!(
                "Responder: {}",
                r.config
                    .responder
                    .describe()
                    .replace(col, "Δ")
                    .replace(">=", "≥")
                    .replace("<=", "≤")
            ),
            x: vec![t, t],
            y: vec![0.0, ytop],
            colour: 0,
            dash: Dash::Dotted,
            ..Default::default()
        });
    }
    let share = r
        .summary
        .iter()
        .find(|s| s.0 == "responder_share")
        .map_or(f64::NAN, |s| s.1);
    let dist = PanelsFigure {
        title: format!(
            "Balloon effect in the virtual cohort: {}",
            lower_first(&label(col))
        ),
        note: format!("{:.0} % responders; included members only", 100.0 * share),
        x_label: axis_label(col),
        panels: vec![Panel {
            y_label: format!("Density (1/({unit}))"),
            series,
            include_zero: true,
            ..Default::default()
        }],
        legend_below: true,
        ..Default::default()
    };
    let pct = (r.settings.confidence * 100.0).round();
    let sep = BarsFigure {
        title: "What separates responders from non-responders".into(),
        note: format!(
            "area under the ROC curve of each input; whiskers: {pct:.0} % bootstrap intervals"
        ),
        x_label: "AUC (0.5: no separation)".into(),
        categories: r
            .separation
            .iter()
            .map(|s| label(&s.input.column))
            .collect(),
        groups: vec![BarGroup {
            label: "AUC: higher value, more likely a responder".into(),
            colour: 3,
        }],
        bars: r
            .separation
            .iter()
            .map(|s| {
                vec![Bar {
                    lo: 0.5,
                    hi: s.auc,
                    reference: None,
                    interval: Some(s.auc_interval),
                }]
            })
            .collect(),
        marker_line: Some((0.5, String::new())),
        ..Default::default()
    };
    let mut parts = vec![Part::Panels(dist)];
    if !r.separation.is_empty() {
        parts.push(Part::Bars(sep));
    }
    Ok(StackedFigure {
        parts,
        width_in: 0.0,
    })
}

/// The name of a study without its citation: "ISAR-SHOCK IABP arm (Seyfarth M et al., ...)"
/// gives "ISAR-SHOCK IABP arm" (the legend holds one line; the full source is in the
/// analysis files).
fn short_source(source: &str) -> &str {
    source.split(" (").next().unwrap_or(source).trim()
}

/// "+0.11", "−0.2".
fn signed_tick(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", tick(v))
    } else {
        tick(v)
    }
}
