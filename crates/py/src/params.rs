//! `params` and `presets`: what can be set, and the shipped presets.

use counterpulse_circulation::presets::{preset_meta, preset_names};
use counterpulse_io::{ColumnData, Table};
use counterpulse_sim::Scenario;
use counterpulse_sim::scenario::describe_kind;
use pyo3::prelude::*;

use crate::arrow_table::ArrowTable;
use crate::errors;

/// Every settable key of `preset`: `key`, `value` (as the command line prints it), `unit`,
/// `range` (allowed values), `description`.
#[pyfunction]
#[pyo3(signature = (preset="healthy"))]
pub fn params(preset: &str) -> PyResult<ArrowTable> {
    let s = Scenario::from_preset(preset).map_err(errors::param)?;
    let specs = Scenario::specs();
    let col = |f: &dyn Fn(&counterpulse_circulation::ParamSpec) -> String| {
        ColumnData::Str(specs.iter().map(f).collect())
    };
    let mut t = Table::new();
    t.push("key", col(&|p| p.key.clone()))
        .push(
            "value",
            col(&|p| s.get(&p.key).map(|v| v.to_string()).unwrap_or_default()),
        )
        .push("unit", col(&|p| p.unit.to_string()))
        .push("range", col(&describe_kind))
        .push("description", col(&|p| p.description.to_string()));
    ArrowTable::from_table(&t, &[("counterpulse.preset".into(), preset.into())])
}

/// The shipped presets: `name`, `description`.
#[pyfunction]
pub fn presets() -> PyResult<ArrowTable> {
    let names = preset_names();
    let descriptions = names
        .iter()
        .map(|n| preset_meta(n).map(|m| m.description))
        .collect::<Result<Vec<_>, _>>()
        .map_err(errors::param)?;
    let mut t = Table::new();
    t.push(
        "name",
        ColumnData::Str(names.iter().map(|n| n.to_string()).collect()),
    )
    .push("description", ColumnData::Str(descriptions));
    ArrowTable::from_table(&t, &[])
}
