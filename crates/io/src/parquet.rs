//! Parquet files: written with arrow-rs (zstd, exact schema, units in the field metadata, the
//! file's key/value metadata and the Arrow schema's metadata), read back into record batches.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::IoError;
use crate::atomic::{FileSet, Sink, fs_err, write_atomic};
use crate::error::pq_err;
use crate::table::{Table, UNIT_KEY, schema_metadata};
use crate::units::{NOT_A_QUANTITY, unit_of};

/// Rows per row group of merged files (memory holds one row group while merging).
const ROW_GROUP_ROWS: usize = 8192;

/// Writer properties: zstd, no dictionary pages, and the schema's metadata also as the file's key/value metadata
/// (sorted by key, so that files are byte-identical from run to run).
fn properties(schema: &Schema, row_group_rows: Option<usize>) -> WriterProperties {
    let mut kv: Vec<KeyValue> = schema
        .metadata()
        .iter()
        .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
        .collect();
    kv.sort_by(|a, b| a.key.cmp(&b.key));
    let mut b = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_key_value_metadata(Some(kv))
        // Measured floats rarely repeat: without dictionary pages waveforms are a fifth
        // smaller (about the size polars wrote); zstd takes care of repeated text.
        .set_dictionary_enabled(false);
    if let Some(n) = row_group_rows {
        b = b.set_max_row_group_row_count(Some(n));
    }
    b.build()
}

/// Writes `table` as a zstd-compressed Parquet file, atomically, with the units of its columns
/// (field metadata `unit`, and `counterpulse.units`) and the extra key/value `metadata`.
pub fn write_parquet(
    path: &Path,
    table: &Table,
    metadata: &[(String, String)],
) -> Result<(), IoError> {
    let batch = table.to_record_batch(metadata)?;
    write_atomic(path, |w| write_batch(w, path, &batch))
}

/// Writes one record batch as a Parquet file into `w` (`path` names it in errors).
pub(crate) fn write_batch(w: &mut Sink, path: &Path, batch: &RecordBatch) -> Result<(), IoError> {
    let props = properties(batch.schema_ref(), None);
    let mut writer =
        ArrowWriter::try_new(w, batch.schema(), Some(props)).map_err(|e| pq_err(path, e))?;
    writer.write(batch).map_err(|e| pq_err(path, e))?;
    writer.close().map(|_| ()).map_err(|e| pq_err(path, e))
}

impl FileSet {
    /// Stages a Parquet file of the set (see [`write_parquet`]); returns its size in bytes.
    pub fn stage_parquet(
        &mut self,
        name: &str,
        table: &Table,
        metadata: &[(String, String)],
    ) -> Result<u64, IoError> {
        let path = self.dir().join(name);
        let batch = table.to_record_batch(metadata)?;
        self.stage(name, |w| write_batch(w, &path, &batch))
    }
}

/// The value of key `key` in a Parquet file's key/value metadata (None when absent).
pub fn read_metadata_value(path: &Path, key: &str) -> Result<Option<String>, IoError> {
    let r = reader(path)?;
    Ok(r.metadata()
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.clone()))
}

fn reader(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>, IoError> {
    let f = File::open(path).map_err(fs_err(path))?;
    ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| pq_err(path, e))
}

/// The schema of a Parquet file (with its field and schema metadata).
pub fn read_schema(path: &Path) -> Result<SchemaRef, IoError> {
    Ok(reader(path)?.schema().clone())
}

/// Reads what `r` selects into one record batch.
fn read_all(path: &Path, r: ParquetRecordBatchReaderBuilder<File>) -> Result<RecordBatch, IoError> {
    // The builder's schema is the file's; a projection's batches carry their own.
    let file_schema = r.schema().clone();
    let batches = r
        .build()
        .map_err(|e| pq_err(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pq_err(path, e))?;
    let schema = batches.first().map_or(file_schema, RecordBatch::schema);
    arrow_select::concat::concat_batches(&schema, &batches).map_err(|e| pq_err(path, e))
}

/// Reads a whole Parquet file into one record batch.
pub fn read_batch(path: &Path) -> Result<RecordBatch, IoError> {
    read_all(path, reader(path)?)
}

/// Concatenates Parquet files (same columns) in the given order into `out`, atomically, in
/// row groups of 8192 rows, with the units of the first file and the given key/value metadata.
/// Returns the number of rows.
pub fn concat_parquet(
    parts: &[PathBuf],
    out: &Path,
    metadata: &[(String, String)],
) -> Result<usize, IoError> {
    let mut rows = 0;
    write_atomic(out, |w| {
        rows = write_concat(w, parts, out, metadata)?;
        Ok(())
    })?;
    Ok(rows)
}

/// Concatenates Parquet files (same columns) into `w` (see [`concat_parquet`]; `out` names the
/// result in errors); returns the number of rows.
pub fn write_concat(
    w: &mut Sink,
    parts: &[PathBuf],
    out: &Path,
    metadata: &[(String, String)],
) -> Result<usize, IoError> {
    let Some(first) = parts.first() else {
        return Err(pq_err(out, "no parts to merge"));
    };
    let first_schema = read_schema(first)?;
    let units: Vec<(String, String)> = first_schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), unit_of_field(f)))
        .collect();
    let units: Vec<(String, &str)> = units.iter().map(|(n, u)| (n.clone(), u.as_str())).collect();
    let schema = Arc::new(Schema::new_with_metadata(
        first_schema.fields().clone(),
        schema_metadata(&units, metadata),
    ));
    let mut rows = 0usize;
    let props = properties(&schema, Some(ROW_GROUP_ROWS));
    let mut writer =
        ArrowWriter::try_new(w, schema.clone(), Some(props)).map_err(|e| pq_err(out, e))?;
    for p in parts {
        let r = reader(p)?.with_batch_size(ROW_GROUP_ROWS);
        if r.schema().fields() != schema.fields() {
            return Err(pq_err(
                p,
                "cannot append: its columns differ from the first part's",
            ));
        }
        for batch in r.build().map_err(|e| pq_err(p, e))? {
            let batch = batch.map_err(|e| pq_err(p, e))?;
            rows += batch.num_rows();
            let batch = batch
                .with_schema(schema.clone())
                .map_err(|e| pq_err(p, e))?;
            writer.write(&batch).map_err(|e| pq_err(out, e))?;
        }
    }
    writer.close().map(|_| ()).map_err(|e| pq_err(out, e))?;
    Ok(rows)
}

/// The unit of a field: its `unit` metadata, else from its name and type.
fn unit_of_field(f: &Field) -> String {
    match f.metadata().get(UNIT_KEY) {
        Some(u) => u.clone(),
        None => match f.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Boolean => {
                NOT_A_QUANTITY.into()
            }
            _ => unit_of(f.name()).into(),
        },
    }
}

/// The values of one column, as numbers or text.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// Numbers (floats, integers, booleans as 0/1); `None` for nulls.
    Numbers(Vec<Option<f64>>),
    /// Text; `None` for nulls.
    Text(Vec<Option<String>>),
}

fn column_values(path: &Path, name: &str, a: &dyn Array) -> Result<ColumnValues, IoError> {
    let bad = |what: &str| pq_err(path, format!("column `{name}`: {what}"));
    let numbers = |it: Vec<Option<f64>>| Ok(ColumnValues::Numbers(it));
    match a.data_type() {
        DataType::Float64 => numbers(a.as_primitive::<Float64Type>().iter().collect()),
        DataType::UInt64 => numbers(
            a.as_primitive::<UInt64Type>()
                .iter()
                .map(|v| v.map(|x| x as f64))
                .collect(),
        ),
        DataType::Boolean => numbers(
            a.as_boolean()
                .iter()
                .map(|v| v.map(|b| if b { 1.0 } else { 0.0 }))
                .collect(),
        ),
        DataType::Utf8 => Ok(ColumnValues::Text(
            a.as_string::<i32>()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect(),
        )),
        DataType::LargeUtf8 => Ok(ColumnValues::Text(
            a.as_string::<i64>()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect(),
        )),
        DataType::Utf8View => Ok(ColumnValues::Text(
            a.as_string_view()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect(),
        )),
        other => Err(bad(&format!("unsupported type {other}"))),
    }
}

/// The named columns of a file, keyed by name, in the order asked; missing columns are left out.
/// Only these columns are read from disk.
pub fn read_columns(path: &Path, names: &[&str]) -> Result<Vec<(String, ColumnValues)>, IoError> {
    let r = reader(path)?;
    let mask = ProjectionMask::columns(r.parquet_schema(), names.iter().copied());
    let batch = read_all(path, r.with_projection(mask))?;
    let mut out = Vec::new();
    for name in names {
        if let Some(a) = batch.column_by_name(name) {
            out.push((name.to_string(), column_values(path, name, a.as_ref())?));
        }
    }
    Ok(out)
}

/// Named columns of optional floats, as returned by [`read_f64_columns`].
pub type F64Columns = Vec<(String, Vec<Option<f64>>)>;

/// The values of columns as optional floats (integers and booleans are converted; text
/// columns give `None`), keyed by name; missing columns are left out.
pub fn read_f64_columns(path: &Path, names: &[&str]) -> Result<F64Columns, IoError> {
    Ok(read_columns(path, names)?
        .into_iter()
        .map(|(n, v)| match v {
            ColumnValues::Numbers(x) => (n, x),
            ColumnValues::Text(t) => (n, vec![None; t.len()]),
        })
        .collect())
}

fn one_column(path: &Path, name: &str) -> Result<ColumnValues, IoError> {
    read_columns(path, &[name])?
        .pop()
        .map(|(_, v)| v)
        .ok_or_else(|| pq_err(path, format!("column `{name}`: not found")))
}

/// The values of an unsigned-integer column (nulls as `u64::MAX`).
pub fn read_u64_column(path: &Path, name: &str) -> Result<Vec<u64>, IoError> {
    let batch = read_batch(path)?;
    let a = batch
        .column_by_name(name)
        .ok_or_else(|| pq_err(path, format!("column `{name}`: not found")))?;
    let ints = a
        .as_primitive_opt::<UInt64Type>()
        .ok_or_else(|| pq_err(path, format!("column `{name}`: not unsigned integers")))?;
    Ok(ints.iter().map(|v| v.unwrap_or(u64::MAX)).collect())
}

/// The values of a text column (nulls as empty strings).
pub fn read_str_column(path: &Path, name: &str) -> Result<Vec<String>, IoError> {
    match one_column(path, name)? {
        ColumnValues::Text(t) => Ok(t.into_iter().map(Option::unwrap_or_default).collect()),
        ColumnValues::Numbers(_) => Err(pq_err(path, format!("column `{name}`: not text"))),
    }
}

/// Column names of a Parquet file.
pub fn column_names(path: &Path) -> Result<Vec<String>, IoError> {
    Ok(read_schema(path)?
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect())
}
