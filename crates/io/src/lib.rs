//! # counterpulse-io
//!
//! Writing and reading the project's Parquet files (with arrow-rs) and JSON manifests. Every
//! file is written to a temporary name in the target directory, flushed to disk and then
//! renamed, so a crash never leaves a truncated file under the final name.
//!
//! Files are plain Arrow: text columns are `string` (not `string_view`), so every Arrow reader
//! (pyarrow, pandas, polars, DuckDB, R's arrow) can sort, filter and join them. Units travel
//! with the data three times: in the column names (`_mmhg`, `_ml`, `_ml_s`, `_l_min`, ...), in
//! each field's metadata (`unit`), and in the file's and the schema's key/value metadata
//! `counterpulse.units` (a JSON object column → unit; also as `PANDAS_ATTRS`, which pandas
//! turns into `DataFrame.attrs["units"]`). See [`units`] for the one convention.
#![deny(missing_docs)]

mod atomic;
mod error;
mod parquet;
mod table;
pub mod units;

pub use atomic::{FileSet, KeepError, Sink, is_temp_name, temp_path, write_atomic, write_json};
pub use error::IoError;
pub use parquet::{
    ColumnValues, F64Columns, column_names, concat_parquet, read_batch, read_columns,
    read_f64_columns, read_metadata_value, read_schema, read_str_column, read_u64_column,
    write_concat, write_parquet,
};
pub use table::{ColumnData, PANDAS_ATTRS_KEY, Table, UNIT_KEY, UNITS_KEY};
pub use units::unit_of;

/// The Arrow types of the tables this crate writes and reads (for callers that hand them on,
/// e.g. through the Arrow C data interface).
pub mod arrow {
    pub use arrow_array::{Array, RecordBatch, RecordBatchReader};
    pub use arrow_schema::{DataType, Field, Schema, SchemaRef};
}

#[cfg(test)]
mod tests;
