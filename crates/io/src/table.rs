//! Tables to write: named columns of equal length, turned into Arrow record batches whose
//! fields carry their units.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema};

use crate::IoError;
use crate::units::{NOT_A_QUANTITY, unit_of};

/// Field-metadata key of a column's unit.
pub const UNIT_KEY: &str = "unit";

/// Schema- and file-metadata key of the JSON object column → unit.
pub const UNITS_KEY: &str = "counterpulse.units";

/// Schema-metadata key that pandas turns into `DataFrame.attrs` (`{"units": {...}}`).
pub const PANDAS_ATTRS_KEY: &str = "PANDAS_ATTRS";

/// Values of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Floating point, never null.
    F64(Vec<f64>),
    /// Floating point with nulls (metrics a run does not produce).
    OptF64(Vec<Option<f64>>),
    /// Unsigned integers.
    U64(Vec<u64>),
    /// Unsigned integers with nulls.
    OptU64(Vec<Option<u64>>),
    /// Booleans.
    Bool(Vec<bool>),
    /// Booleans with nulls (a yes/no that does not apply to every row).
    OptBool(Vec<Option<bool>>),
    /// Text.
    Str(Vec<String>),
}

impl ColumnData {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::F64(v) => v.len(),
            ColumnData::OptF64(v) => v.len(),
            ColumnData::U64(v) => v.len(),
            ColumnData::OptU64(v) => v.len(),
            ColumnData::Bool(v) => v.len(),
            ColumnData::OptBool(v) => v.len(),
            ColumnData::Str(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The unit of this column called `name`: from the name for numbers, none for text and
    /// booleans (see [`crate::units`]).
    pub fn unit(&self, name: &str) -> &'static str {
        match self {
            ColumnData::Str(_) | ColumnData::Bool(_) | ColumnData::OptBool(_) => NOT_A_QUANTITY,
            _ => unit_of(name),
        }
    }

    /// The Arrow array of this column; numbers are moved, not copied (`From<Vec<_>>` takes the
    /// vector's buffer).
    fn into_arrow(self) -> (DataType, bool, ArrayRef) {
        match self {
            ColumnData::F64(v) => (DataType::Float64, false, Arc::new(Float64Array::from(v))),
            ColumnData::OptF64(v) => (DataType::Float64, true, Arc::new(Float64Array::from(v))),
            ColumnData::U64(v) => (DataType::UInt64, false, Arc::new(UInt64Array::from(v))),
            ColumnData::OptU64(v) => (DataType::UInt64, true, Arc::new(UInt64Array::from(v))),
            ColumnData::Bool(v) => (DataType::Boolean, false, Arc::new(BooleanArray::from(v))),
            ColumnData::OptBool(v) => (DataType::Boolean, true, Arc::new(BooleanArray::from(v))),
            ColumnData::Str(v) => (
                DataType::Utf8,
                false,
                Arc::new(StringArray::from_iter_values(v)),
            ),
        }
    }
}

/// A table to write: named columns of equal length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// `(name, values)` in column order.
    pub columns: Vec<(String, ColumnData)>,
    /// Units given explicitly, `(column, unit)`, for columns whose name cannot carry one
    /// (e.g. the values of inputs of different units, one per row; the unit then says where
    /// each row's unit is). Other columns take their unit from the name.
    pub units_given: Vec<(String, String)>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a column.
    pub fn push(&mut self, name: impl Into<String>, data: ColumnData) -> &mut Self {
        self.columns.push((name.into(), data));
        self
    }

    /// Gives column `name` the unit `unit` (instead of the one its name implies).
    pub fn set_unit(&mut self, name: impl Into<String>, unit: impl Into<String>) -> &mut Self {
        self.units_given.push((name.into(), unit.into()));
        self
    }

    /// The unit of column `name` holding `c`: the one given, else from its name.
    fn unit_of(&self, name: &str, c: &ColumnData) -> String {
        self.units_given
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map_or_else(|| c.unit(name).to_string(), |(_, u)| u.clone())
    }

    /// Number of rows (0 without columns); fails on columns of different lengths.
    pub fn height(&self) -> Result<usize, IoError> {
        let height = self.columns.first().map_or(0, |(_, c)| c.len());
        for (name, c) in &self.columns {
            if c.len() != height {
                return Err(IoError::Ragged {
                    column: name.clone(),
                    len: c.len(),
                    expected: height,
                });
            }
        }
        Ok(height)
    }

    /// `(column, unit)` of every column, in order.
    pub fn units(&self) -> Vec<(String, String)> {
        self.columns
            .iter()
            .map(|(n, c)| (n.clone(), self.unit_of(n, c)))
            .collect()
    }

    /// JSON object mapping each column to its unit.
    pub fn units_json(&self) -> String {
        let units = self.units();
        units_json(
            &units
                .iter()
                .map(|(n, u)| (n.clone(), u.as_str()))
                .collect::<Vec<_>>(),
        )
    }

    /// The table as one Arrow record batch: plain `string`, `double`, `uint64` and `bool`
    /// columns, non-null where the data cannot be null, each field with its `unit` in its
    /// metadata; the schema's metadata holds `metadata`, [`UNITS_KEY`] and
    /// [`PANDAS_ATTRS_KEY`].
    pub fn to_record_batch(&self, metadata: &[(String, String)]) -> Result<RecordBatch, IoError> {
        self.clone().into_record_batch(metadata)
    }

    /// As [`Table::to_record_batch`], moving the columns into the batch instead of copying them
    /// (a recorded run's waveforms are hundreds of MB).
    pub fn into_record_batch(self, metadata: &[(String, String)]) -> Result<RecordBatch, IoError> {
        self.height()?;
        let units = self.units();
        let unit_refs: Vec<(String, &str)> =
            units.iter().map(|(n, u)| (n.clone(), u.as_str())).collect();
        let schema_meta = schema_metadata(&unit_refs, metadata);
        let mut fields = Vec::with_capacity(self.columns.len());
        let mut arrays = Vec::with_capacity(self.columns.len());
        for ((name, c), (_, unit)) in self.columns.into_iter().zip(&units) {
            let unit = HashMap::from([(UNIT_KEY.to_string(), unit.clone())]);
            let (dtype, nullable, array) = c.into_arrow();
            fields.push(Field::new(name, dtype, nullable).with_metadata(unit));
            arrays.push(array);
        }
        let schema = Schema::new_with_metadata(fields, schema_meta);
        RecordBatch::try_new(Arc::new(schema), arrays).map_err(|e| IoError::Parquet {
            path: "(table)".into(),
            message: e.to_string(),
        })
    }
}

/// JSON object `{column: unit}`.
pub(crate) fn units_json(units: &[(String, &str)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = units
        .iter()
        .map(|(n, u)| (n.clone(), serde_json::Value::String((*u).into())))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// Schema metadata: the units twice (ours, and pandas' `attrs`), then the caller's entries.
pub(crate) fn schema_metadata(
    units: &[(String, &str)],
    metadata: &[(String, String)],
) -> HashMap<String, String> {
    let units = units_json(units);
    let mut m = HashMap::from([
        (
            PANDAS_ATTRS_KEY.to_string(),
            format!("{{\"units\":{units}}}"),
        ),
        (UNITS_KEY.to_string(), units),
    ]);
    m.extend(metadata.iter().cloned());
    m
}
