//! `sweep`: a parameter sweep with the command line's runner, into a folder.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use counterpulse_sweep::rundir::ToolInfo;
use counterpulse_sweep::{DEFAULT_SWEEP, NoProgress, Shard, SweepOptions, SweepSpec, run_sweep};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::arrow_table::ArrowTable;
use crate::errors;

/// A fresh folder under the system's temporary directory (removed after reading).
fn scratch_dir() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "counterpulse-py-sweep-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Removes a scratch folder when dropped, also when the sweep failed.
struct Scratch(Option<PathBuf>);

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// Runs a sweep spec (a file, TOML text, or the default sweep) into `out` (a temporary folder
/// when None); returns the points table and a JSON text describing the run.
#[pyfunction]
#[pyo3(signature = (spec=None, toml=None, out=None, threads=None, resume=false, force=false))]
pub fn sweep<'py>(
    py: Python<'py>,
    spec: Option<PathBuf>,
    toml: Option<String>,
    out: Option<PathBuf>,
    threads: Option<usize>,
    resume: bool,
    force: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let parsed = match (&spec, &toml) {
        (Some(_), Some(_)) => {
            return Err(PyValueError::new_err(
                "give `spec` (a file) or `toml` (its text), not both",
            ));
        }
        (Some(f), None) => SweepSpec::from_file(f),
        (None, Some(t)) => SweepSpec::parse(t, "sweep spec", None),
        (None, None) => SweepSpec::parse(DEFAULT_SWEEP, "default sweep", None),
    }
    .map_err(errors::sweep)?;
    counterpulse_sweep::check_threads(threads).map_err(errors::sweep)?;
    let scratch = Scratch(out.is_none().then(scratch_dir));
    let dir: PathBuf = match (&out, &scratch.0) {
        (Some(o), _) => o.clone(),
        (None, Some(s)) => s.clone(),
        (None, None) => unreachable!("a scratch folder exists when `out` is None"),
    };
    let opts = SweepOptions {
        out: dir.clone(),
        threads,
        force,
        shard: Shard::all(),
        resume,
        tool: ToolInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: option_env!("COUNTERPULSE_GIT_COMMIT")
                .unwrap_or("unknown")
                .to_string(),
            command: vec![
                "python".into(),
                "counterpulse.sweep".into(),
                spec.as_deref()
                    .map(Path::display)
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "(text)".into()),
            ],
        },
    };
    let outcome = py
        .detach(|| run_sweep(&parsed, &opts, &NoProgress))
        .map_err(errors::sweep)?;
    let file = outcome
        .merged
        .clone()
        .unwrap_or_else(|| dir.join("points.parquet"));
    let points = counterpulse_io::read_batch(&file).map_err(errors::runtime)?;
    let result = PyDict::new(py);
    result.set_item("points", ArrowTable::from_batch(points))?;
    result.set_item("out", out.as_ref().map(|_| dir.display().to_string()))?;
    let info = serde_json::json!({
        "sweep": parsed.name,
        "points": parsed.n_points(),
        "points_run": outcome.points_run,
        "points_skipped": outcome.points_skipped,
        "counts": { "ok": outcome.counts[0], "not_converged": outcome.counts[1], "failed": outcome.counts[2] },
        "threads": outcome.threads,
        "wall_time_s": outcome.wall_time_s,
    });
    result.set_item("info", info.to_string())?;
    Ok(result)
}
