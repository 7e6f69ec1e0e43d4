//! # counterpulse-analysis
//!
//! Analysis of counterpulse sweeps from their Parquet output alone, so it runs the same on a
//! sweep merged from a cluster's shards as on a local one:
//!
//! * [`sensitivity::sobol`]: first-order (Saltelli 2010) and total (Jansen 1999) Sobol'
//!   indices of an output column with bootstrap intervals, and a one-at-a-time tornado, from
//!   a `sampling = "sobol"` sweep;
//! * [`sensitivity::morris`]: Morris elementary effects (μ, μ*, σ) from a `sampling = "morris"`
//!   sweep;
//! * [`cohort::analyse`]: a virtual cohort (`sampling = "cohort"`): infeasible and excluded
//!   members with the reason, the distribution of the effect, responders by a stated
//!   definition and the inputs that separate them, against a published distribution.
//!
//! Results are Parquet files in `DIR/analysis/` (units in the field metadata, the settings
//! and the sweep's fingerprint in the key/value metadata), written atomically.
#![deny(missing_docs)]

pub mod cohort;
pub mod morris;
pub mod normal;
pub mod points;
pub mod sensitivity;
pub mod sobol;
pub mod stats;

use std::path::{Path, PathBuf};

use counterpulse_io::{IoError, Table, write_parquet};
use thiserror::Error;

pub use points::Points;

/// Why an analysis could not be done.
#[derive(Debug, Error)]
pub enum AnalysisError {
    /// The input does not allow the analysis (wrong design, unknown column, no usable points).
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a file failed.
    #[error(transparent)]
    Io(#[from] IoError),
}

/// Bootstrap settings shared by every analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Bootstrap resamples.
    pub bootstrap: usize,
    /// Confidence level of the intervals (0.5 to 0.999).
    pub confidence: f64,
    /// Seed of the resampling.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bootstrap: 1000,
            confidence: 0.95,
            seed: 1,
        }
    }
}

impl Settings {
    /// Checks the ranges (bootstrap 0 to 100 000, confidence 0.5 to 0.999).
    pub fn validate(&self) -> Result<(), AnalysisError> {
        if self.bootstrap > 100_000 {
            return Err(AnalysisError::Usage(format!(
                "--bootstrap {}: allowed 0 to 100000",
                self.bootstrap
            )));
        }
        if !(0.5..=0.999).contains(&self.confidence) {
            return Err(AnalysisError::Usage(format!(
                "--confidence {}: allowed 0.5 to 0.999",
                self.confidence
            )));
        }
        Ok(())
    }
}

/// The folder of a sweep's analysis results.
pub fn analysis_dir(sweep_dir: &Path) -> PathBuf {
    sweep_dir.join("analysis")
}

/// Writes `table` to `DIR/analysis/NAME` atomically (the folder is this tool's: created when
/// missing); returns the path.
pub fn write_result(
    sweep_dir: &Path,
    name: &str,
    table: &Table,
    metadata: &[(String, String)],
) -> Result<PathBuf, AnalysisError> {
    let dir = analysis_dir(sweep_dir);
    std::fs::create_dir_all(&dir).map_err(|e| IoError::Fs {
        path: dir.clone(),
        source: e,
    })?;
    let path = dir.join(name);
    write_parquet(&path, table, metadata)?;
    Ok(path)
}

/// File name of the indices of `output`: `sobol-OUTPUT.parquet` (or `morris-...`).
pub fn result_name(kind: &str, output: &str) -> String {
    format!("{kind}-{output}.parquet")
}
