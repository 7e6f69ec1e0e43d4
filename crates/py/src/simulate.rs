//! `simulate`: one scenario to its periodic steady state, baseline and (balloon on) assisted.

use std::path::PathBuf;

use counterpulse_io::{ColumnData, Table};
use counterpulse_metrics::{BeatMetrics, delta};
use counterpulse_sim::{RunOptions, RunResult, Scenario, simulate as run_simulation};
use counterpulse_sweep::rundir::{
    beats_table, events_table, overrides_json, run_json, value_json, waveforms_table,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

use crate::arrow_table::ArrowTable;
use crate::errors;

/// `key=value` as the command line's `--set` takes it, from a Python value.
fn assignment(key: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    let text = if value.is_instance_of::<PyBool>() {
        if value.is_truthy()? { "true" } else { "false" }.to_string()
    } else if value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>() {
        value.repr()?.to_string()
    } else if value.is_instance_of::<PyString>() {
        value.extract::<String>()?
    } else {
        return Err(PyTypeError::new_err(format!(
            "set[{key:?}]: expected a number, a bool or a str, got {}",
            value.get_type().name()?
        )));
    };
    Ok(format!("{key}={text}"))
}

/// The scenario as the command line builds it: preset or scenario file, then `set`, checked.
pub fn load_scenario(
    preset: Option<&str>,
    scenario: Option<PathBuf>,
    set: Option<&Bound<'_, PyDict>>,
) -> PyResult<Scenario> {
    let mut s = match (preset, &scenario) {
        (Some(_), Some(_)) => {
            return Err(PyValueError::new_err(
                "give `preset` or `scenario`, not both",
            ));
        }
        (_, Some(path)) => Scenario::from_file(path).map_err(errors::param)?,
        (Some(p), None) => Scenario::from_preset(p).map_err(errors::param)?,
        (None, None) => Scenario::from_preset("healthy").map_err(errors::param)?,
    };
    if let Some(d) = set {
        for (k, v) in d.iter() {
            let key: String = k
                .extract()
                .map_err(|_| PyTypeError::new_err("`set` keys must be str (dotted keys)"))?;
            s.set_cli(&assignment(&key, &v)?).map_err(errors::param)?;
        }
    }
    s.validate().map_err(errors::param)?;
    Ok(s)
}

/// One row per run (`baseline`, and with the balloon `assisted` and `delta` = assisted −
/// baseline) and one column per metric.
fn summary_table(baseline: &RunResult, assisted: Option<&RunResult>) -> Table {
    let mut rows: Vec<(&str, BeatMetrics)> = vec![("baseline", baseline.summary.clone())];
    if let Some(a) = assisted {
        rows.push(("assisted", a.summary.clone()));
        rows.push(("delta", delta(&a.summary, &baseline.summary)));
    }
    let mut t = Table::new();
    t.push(
        "run",
        ColumnData::Str(rows.iter().map(|(n, _)| n.to_string()).collect()),
    );
    for name in BeatMetrics::NAMES {
        t.push(
            *name,
            ColumnData::OptF64(rows.iter().map(|(_, m)| m.get(name)).collect()),
        );
    }
    t
}

/// Runs a scenario; returns the tables and a JSON text with runs and scenario (see
/// `counterpulse.simulate`).
#[pyfunction]
#[pyo3(signature = (preset=None, scenario=None, set=None, beats=true, waveforms=true, events=true))]
pub fn simulate<'py>(
    py: Python<'py>,
    preset: Option<String>,
    scenario: Option<PathBuf>,
    set: Option<Bound<'py, PyDict>>,
    beats: bool,
    waveforms: bool,
    events: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let s = load_scenario(preset.as_deref(), scenario, set.as_ref())?;
    let opts = RunOptions {
        // Waveforms need the beats' R-wave times for `time_in_beat_s`.
        record_all_beats: beats || waveforms,
        waveforms,
        log_events: events,
    };
    let sim = py
        .detach(|| run_simulation(&s, &opts))
        .map_err(errors::sim)?;
    let mut runs = vec![("baseline", &sim.baseline)];
    if let Some(a) = &sim.assisted {
        runs.push(("assisted", a));
    }
    let meta = vec![("counterpulse.preset".to_string(), s.preset.clone())];
    let out = PyDict::new(py);
    out.set_item(
        "summary",
        ArrowTable::from_table(&summary_table(&sim.baseline, sim.assisted.as_ref()), &meta)?,
    )?;
    let table = |t: Table| ArrowTable::from_table(&t, &meta);
    out.set_item(
        "beats",
        beats.then(|| table(beats_table(&runs))).transpose()?,
    )?;
    out.set_item(
        "waveforms",
        waveforms
            .then(|| table(waveforms_table(&runs)))
            .transpose()?,
    )?;
    out.set_item(
        "events",
        events.then(|| table(events_table(&runs))).transpose()?,
    )?;
    let info = serde_json::json!({
        "runs": runs.iter().map(|(n, r)| (n.to_string(), run_json(r, *n == "assisted"))).collect::<serde_json::Map<_, _>>(),
        "scenario": {
            "preset": s.preset,
            "description": s.description,
            "overrides": overrides_json(&s),
            "resolved": s.resolved().into_iter().map(|(k, v)| (k, value_json(&v))).collect::<serde_json::Map<_, _>>(),
        },
    });
    out.set_item("info", info.to_string())?;
    Ok(out)
}
