//! `plot changes`: how much the balloon changes per-run metrics, as bars beside reference
//! (published) values.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use counterpulse_plots::{Bar, BarGroup, BarsFigure, axis_label, bare, unit_of_column};

use super::{FigureArgs, manifest, summary_metric, usage};

/// What `plot changes` draws.
#[derive(Args, Debug, Clone, Default)]
pub struct ChangeSelection {
    /// Metrics of the runs' steady-state summaries (names as in beats.parquet), comma-separated;
    /// one row of bars each, top to bottom.
    #[arg(long, value_delimiter = ',', required = true)]
    pub metrics: Vec<String>,
    /// Legend text of each run folder, in order (repeatable; default: the folder names).
    #[arg(long = "label")]
    pub labels: Vec<String>,
    /// Absolute changes in the metrics' unit (they must share one) instead of percent.
    #[arg(long)]
    pub absolute: bool,
    /// Reference values, one per run folder: METRIC=V1,V2,... (repeatable); leave a value
    /// empty (METRIC=,0) for a folder without one.
    #[arg(
        long = "reference",
        value_name = "METRIC=V,...",
        allow_hyphen_values = true
    )]
    pub references: Vec<String>,
    /// Legend text of the reference markers.
    #[arg(long, default_value = "Published")]
    pub reference_label: String,
    /// A line under the title (e.g. the source of the reference values).
    #[arg(long, default_value = "")]
    pub note: String,
}

/// `plot changes DIR...`.
pub fn changes(dirs: &[PathBuf], sel: &ChangeSelection, fig: &FigureArgs) -> Result<()> {
    if !sel.labels.is_empty() && sel.labels.len() != dirs.len() {
        return Err(usage(format!(
            "changes: {} --label(s) for {} run folders",
            sel.labels.len(),
            dirs.len()
        )));
    }
    let unit = unit_of_column(&sel.metrics[0]);
    if sel.absolute && sel.metrics.iter().any(|m| unit_of_column(m) != unit) {
        return Err(usage(
            "changes --absolute: the metrics have different units; draw percent changes or one unit per figure",
        ));
    }
    let mut refs: Vec<(String, Vec<Option<f64>>)> = Vec::new();
    for r in &sel.references {
        let (m, v) = r
            .split_once('=')
            .ok_or_else(|| usage(format!("--reference {r}: expected METRIC=V1,V2,...")))?;
        let vals: Vec<Option<f64>> = v
            .split(',')
            .map(|x| match x.trim() {
                "" => Ok(None),
                t => t.parse::<f64>().map(Some).map_err(|_| ()),
            })
            .collect::<Result<_, _>>()
            .ok()
            .filter(|v: &Vec<Option<f64>>| v.iter().flatten().all(|x| x.is_finite()))
            .ok_or_else(|| {
                usage(format!(
                    "--reference {r}: values must be numbers (empty for a folder without one)"
                ))
            })?;
        if vals.len() != dirs.len() {
            return Err(usage(format!(
                "--reference {r}: {} values for {} run folders",
                vals.len(),
                dirs.len()
            )));
        }
        if !sel.metrics.iter().any(|x| x == m.trim()) {
            return Err(usage(format!(
                "--reference {r}: `{m}` is not one of --metrics"
            )));
        }
        refs.push((m.trim().to_string(), vals));
    }
    let manifests: Vec<_> = dirs.iter().map(|d| manifest(d)).collect::<Result<_>>()?;
    let mut bars = Vec::new();
    for metric in &sel.metrics {
        let mut row = Vec::new();
        for (i, (d, m)) in dirs.iter().zip(&manifests).enumerate() {
            let get = |r: &str| {
                summary_metric(m, r, metric).ok_or_else(|| {
                    usage(format!(
                        "{}: no {r} `{metric}` in manifest.json (a run with the balloon has both)",
                        d.display()
                    ))
                })
            };
            let (b, a) = (get("baseline")?, get("assisted")?);
            let v = if sel.absolute {
                a - b
            } else {
                (a / b - 1.0) * 100.0
            };
            let reference = refs
                .iter()
                .find(|(m, _)| m == metric)
                .and_then(|(_, v)| v[i]);
            row.push(Bar {
                lo: 0.0,
                hi: v,
                reference,
                interval: None,
            });
        }
        bars.push(row);
    }
    let groups = dirs
        .iter()
        .enumerate()
        .map(|(i, d)| BarGroup {
            label: sel.labels.get(i).cloned().unwrap_or_else(|| {
                d.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            }),
            colour: [1, 4, 3, 5, 2, 6, 0][i % 7],
        })
        .collect();
    let x_label = if sel.absolute {
        format!("Change on the balloon ({unit})")
    } else {
        "Change on the balloon (%)".to_string()
    };
    let figure = BarsFigure {
        title: "Change on the balloon against no balloon".into(),
        note: sel.note.clone(),
        x_label,
        categories: sel
            .metrics
            .iter()
            .map(|m| bare(&axis_label(m)).to_string())
            .collect(),
        groups,
        bars,
        reference_label: sel.reference_label.clone(),
        value_labels: true,
        width_in: 0.0,
        overlay: false,
        marker_line: None,
    };
    fig.write("changes", &figure, &dirs[0], "changes")
}
