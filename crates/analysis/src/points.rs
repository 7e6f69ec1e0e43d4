//! Reading a sweep's `points.parquet` (merged locally or from a cluster's shards): its columns,
//! and from its key/value metadata the spec and the design (`counterpulse.design`: sampling,
//! inputs with their columns, units, distributions and sources).

use std::path::{Path, PathBuf};

use counterpulse_io::{ColumnValues, column_names, read_columns, read_metadata_value};
use serde_json::Value as Json;

use crate::AnalysisError;

/// Metadata key of the design description (JSON) in `points.parquet`.
pub const DESIGN_KEY: &str = "counterpulse.design";

/// Statuses whose metrics are usable: the run reached its steady state and the balloon
/// assisted as set (`ok_with_alarms`: the console raised alarms but assisted).
pub const USABLE: [&str; 2] = ["ok", "ok_with_alarms"];

/// One input of a design.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// Column in `points.parquet`.
    pub column: String,
    /// Dotted key.
    pub key: String,
    /// Unit of its values.
    pub unit: String,
    /// Its distribution, described (e.g. `normal(mean 110, sd 24) in [60, 160]`).
    pub distribution: String,
    /// Where its distribution comes from.
    pub source: String,
    /// `sampled` (a coordinate of the design), `lookup` (a function of another input, e.g.
    /// balloon size by height) or `covariate` (a patient characteristic, not a model key).
    pub kind: String,
}

/// A merged sweep.
#[derive(Debug, Clone)]
pub struct Points {
    /// The file read.
    pub path: PathBuf,
    /// Every column.
    pub columns: Vec<(String, ColumnValues)>,
    /// The spec (TOML) the sweep was run from.
    pub spec: String,
    /// The spec's fingerprint.
    pub fingerprint: String,
    /// The design description.
    pub design: Json,
    /// The inputs, in design order.
    pub inputs: Vec<Input>,
}

impl Points {
    /// Reads `DIR/points.parquet`.
    pub fn read(dir: &Path) -> Result<Points, AnalysisError> {
        let path = dir.join("points.parquet");
        if !path.is_file() {
            return Err(AnalysisError::Usage(format!(
                "{}: no such file (run the sweep to its end, or `counterpulse merge {}` after its shards)",
                path.display(),
                dir.display()
            )));
        }
        let meta = |k: &str| read_metadata_value(&path, k);
        let spec = meta("counterpulse.sweep_spec")?.unwrap_or_default();
        let fingerprint = meta("counterpulse.sweep_fingerprint")?.unwrap_or_default();
        let design: Json = match meta(DESIGN_KEY)? {
            Some(t) => serde_json::from_str(&t).map_err(|e| {
                AnalysisError::Usage(format!("{}: {DESIGN_KEY} is not JSON: {e}", path.display()))
            })?,
            None => Json::Null,
        };
        let inputs = design
            .get("inputs")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .map(|i| {
                        let s = |k: &str| {
                            i.get(k)
                                .and_then(Json::as_str)
                                .unwrap_or_default()
                                .to_string()
                        };
                        Input {
                            column: s("column"),
                            key: s("key"),
                            unit: s("unit"),
                            distribution: s("distribution"),
                            source: s("source"),
                            kind: s("kind"),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let names = column_names(&path)?;
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let columns = read_columns(&path, &refs)?;
        Ok(Points {
            path,
            columns,
            spec,
            fingerprint,
            design,
            inputs,
        })
    }

    /// The sampling of the design (`sobol`, `morris`, `cohort`, `grid`, ...).
    pub fn sampling(&self) -> &str {
        self.design
            .get("sampling")
            .and_then(Json::as_str)
            .unwrap_or("grid")
    }

    /// Refuses a design of another kind, naming what it is.
    pub fn expect_sampling(&self, want: &str, command: &str) -> Result<(), AnalysisError> {
        if self.sampling() == want {
            Ok(())
        } else {
            Err(AnalysisError::Usage(format!(
                "{}: a sweep with sampling = \"{}\"; `{command}` needs sampling = \"{want}\" (see the README, \"Sensitivity and cohorts\")",
                self.path.display(),
                self.sampling()
            )))
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self.columns.first() {
            Some((_, ColumnValues::Numbers(v))) => v.len(),
            Some((_, ColumnValues::Text(v))) => v.len(),
            None => 0,
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn column(&self, name: &str) -> Option<&ColumnValues> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// Whether the file has a column `name`.
    pub fn has(&self, name: &str) -> bool {
        self.column(name).is_some()
    }

    /// A numeric column (nulls as None); a usage error naming the columns when absent or text.
    pub fn numbers(&self, name: &str) -> Result<&Vec<Option<f64>>, AnalysisError> {
        match self.column(name) {
            Some(ColumnValues::Numbers(v)) => Ok(v),
            Some(ColumnValues::Text(_)) => Err(AnalysisError::Usage(format!(
                "{}: column `{name}` holds text, not numbers",
                self.path.display()
            ))),
            None => Err(self.missing(name)),
        }
    }

    /// A text column (nulls as empty).
    pub fn texts(&self, name: &str) -> Result<Vec<String>, AnalysisError> {
        match self.column(name) {
            Some(ColumnValues::Text(v)) => {
                Ok(v.iter().map(|s| s.clone().unwrap_or_default()).collect())
            }
            Some(ColumnValues::Numbers(_)) => Err(AnalysisError::Usage(format!(
                "{}: column `{name}` holds numbers, not text",
                self.path.display()
            ))),
            None => Err(self.missing(name)),
        }
    }

    /// Any column as values for a table (numbers, or text).
    pub fn values(&self, name: &str) -> Result<&ColumnValues, AnalysisError> {
        self.column(name).ok_or_else(|| self.missing(name))
    }

    fn missing(&self, name: &str) -> AnalysisError {
        let mut similar: Vec<&str> = self
            .columns
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| {
                n.starts_with("delta_") || n.starts_with("baseline_") || n.starts_with("assisted_")
            })
            .filter(|n| {
                let tail = name.rsplit('_').next().unwrap_or("");
                n.contains(
                    name.trim_start_matches("delta_")
                        .trim_start_matches("baseline_"),
                ) || (!tail.is_empty() && n.ends_with(tail) && n.starts_with("delta_"))
            })
            .collect();
        similar.truncate(6);
        AnalysisError::Usage(format!(
            "{}: no column `{name}`{}",
            self.path.display(),
            if similar.is_empty() {
                " (columns are `delta_<metric>`, `baseline_<metric>`, `assisted_<metric>` with the metric names of `counterpulse simulate`)".to_string()
            } else {
                format!(" (similar: {})", similar.join(", "))
            }
        ))
    }

    /// Whether row `i` has a usable status.
    pub fn usable(&self) -> Result<Vec<bool>, AnalysisError> {
        Ok(self
            .texts("status")?
            .iter()
            .map(|s| USABLE.contains(&s.as_str()))
            .collect())
    }
}
