//! Printing and writing the results of `simulate`.

use counterpulse_circulation::params::fmt_num;
use counterpulse_io::unit_of;
use counterpulse_metrics::{BeatMetrics, delta};
use counterpulse_sim::{RunResult, Scenario, Simulation};
use counterpulse_sweep::rundir::{metrics_json, overrides_json, run_json};
use serde_json::{Map, json};

use crate::table;

/// Tool version from Cargo.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Git commit of the build (set by build.rs), or "unknown".
pub const GIT_COMMIT: &str = env!("COUNTERPULSE_GIT_COMMIT");

/// The tool and command line, for manifests.
pub fn tool_info() -> counterpulse_sweep::rundir::ToolInfo {
    counterpulse_sweep::rundir::ToolInfo {
        version: VERSION.to_string(),
        git_commit: GIT_COMMIT.to_string(),
        // Lossy: a path that is not UTF-8 must not stop the run (`env::args` panics on one).
        command: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
    }
}

/// `{"baseline": {...}, "assisted": {...}, "delta": {...}, "run": {...}, "null_reasons": {...},
/// "scenario": {...}}` (`assisted` and `delta` only with the balloon on; `null_reasons` gives,
/// per run, why each null metric is not defined).
pub fn summary_json(s: &Scenario, sim: &Simulation) -> serde_json::Value {
    let mut out = Map::new();
    out.insert("baseline".into(), metrics_json(&sim.baseline.summary));
    let mut runs = Map::new();
    runs.insert("baseline".into(), run_json(&sim.baseline, false));
    if let Some(a) = &sim.assisted {
        out.insert("assisted".into(), metrics_json(&a.summary));
        out.insert(
            "delta".into(),
            metrics_json(&delta(&a.summary, &sim.baseline.summary)),
        );
        runs.insert("assisted".into(), run_json(a, true));
    }
    out.insert("run".into(), serde_json::Value::Object(runs));
    // Every metric that is null, with the reason.
    let mut reasons = Map::new();
    reasons.insert(
        "baseline".into(),
        json!(sim.baseline.summary.null_reasons.clone()),
    );
    if let Some(a) = &sim.assisted {
        reasons.insert("assisted".into(), json!(a.summary.null_reasons.clone()));
    }
    out.insert("null_reasons".into(), serde_json::Value::Object(reasons));
    out.insert(
        "scenario".into(),
        json!({ "preset": s.preset, "overrides": overrides_json(s) }),
    );
    serde_json::Value::Object(out)
}

/// Splits a metric name into a label and its unit: `cardiac_output_l_min` → ("cardiac output", "L/min").
fn label(name: &str) -> (String, &'static str) {
    let unit = unit_of(name);
    const SUFFIXES: &[&str] = &[
        "_mmhg_s_min",
        "_mmhg_ml",
        "_dyn_s_cm5",
        "_mmhg",
        "_ml_min",
        "_l_min",
        "_ml",
        "_bpm",
        "_ms",
        "_w",
    ];
    let mut base = name;
    for s in SUFFIXES {
        if let Some(b) = name.strip_suffix(s) {
            base = b;
            break;
        }
    }
    (base.replace('_', " "), if unit == "1" { "" } else { unit })
}

fn fmt_metric(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn run_line(name: &str, r: &RunResult) -> String {
    let state = if r.converged && r.cycle_beats > r.assist_period {
        format!(
            "periodic steady state over a cycle of {} beats after {} beats (estimated distance to the cycle {:.1e}; the summary averages the cycle)",
            r.cycle_beats, r.beats_to_steady_state, r.steady_state_error
        )
    } else if r.converged {
        format!(
            "periodic steady state after {} beats (estimated distance to the orbit {:.1e})",
            r.beats_to_steady_state, r.steady_state_error
        )
    } else if r.irregular {
        format!(
            "irregular rhythm, statistical steady state: summary of beats {} to {} (its halves differ by {:.1e})",
            r.beats_to_steady_state, r.beats_simulated, r.steady_state_error
        )
    } else {
        format!(
            "NOT converged after {} beats (estimated distance to the orbit {:.1e} when it stopped)",
            r.beats_to_steady_state, r.steady_state_error
        )
    };
    format!(
        "{name}: {state}, {} beats in {:.3} s wall time\n",
        r.beats_simulated, r.wall_time_s
    )
}

/// Human-readable steady-state table.
pub fn summary_table(s: &Scenario, sim: &Simulation) -> String {
    let baseline = &sim.baseline;
    let mut out = String::new();
    let desc = if s.description.is_empty() {
        String::new()
    } else {
        format!(" ({})", s.description)
    };
    out.push_str(&format!(
        "counterpulse {VERSION}: preset `{}`{desc}{}\n",
        s.preset,
        if s.overrides.is_empty() {
            String::new()
        } else {
            format!(
                ", with {}",
                s.overrides
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    ));
    out.push_str(&run_line("baseline", baseline));
    if let Some(a) = &sim.assisted {
        out.push_str(&run_line(
            &format!(
                "assisted ({} mL, {}, {} timing)",
                fmt_num(s.iabp.volume_ml),
                s.get("iabp.ratio")
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                s.get("iabp.timing")
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            ),
            a,
        ));
    }
    out.push('\n');
    let header: Vec<&str> = if sim.assisted.is_some() {
        vec!["", "unit", "baseline", "assisted", "delta"]
    } else {
        vec!["", "unit", "baseline"]
    };
    let mut t = table::Table::new(&header);
    let none = BeatMetrics::default();
    let assisted = sim.assisted.as_ref().map(|a| &a.summary);
    let d = assisted.map(|a| delta(a, &baseline.summary));
    for (name, v) in baseline.summary.values() {
        let a = assisted.unwrap_or(&none).get(name);
        if v.is_none() && a.is_none() {
            continue;
        }
        let (l, u) = label(name);
        let cell = |x: Option<f64>| x.map(fmt_metric).unwrap_or_else(|| "-".into());
        let mut row = vec![l, u.to_string(), cell(v)];
        if let Some(dd) = &d {
            row.push(cell(a));
            let dv = dd.get(name);
            row.push(
                dv.map(|x| format!("{}{}", if x >= 0.0 { "+" } else { "" }, fmt_metric(x)))
                    .unwrap_or_else(|| "-".into()),
            );
        }
        t.row(row);
    }
    out.push_str(&t.render());
    // Metrics left out of the table because they are not defined in either run (an assisted
    // run's metrics that are not defined there are in the table as "-" with their reason).
    let mut notes: Vec<String> = Vec::new();
    for (name, reason) in assisted.unwrap_or(&baseline.summary).null_reasons.iter() {
        if assisted.is_some() || !name.starts_with("balloon_") && !name.contains("assisted") {
            notes.push(format!("  {name}: {reason}"));
        }
    }
    if !notes.is_empty() {
        out.push_str("\nnot defined (null in --json and Parquet):\n");
        out.push_str(&notes.join("\n"));
        out.push('\n');
    }
    out
}
