//! # counterpulse-io
//!
//! Writing and reading the project's Parquet files (with polars) and JSON manifests. Every file
//! is written to a temporary name in the target directory, flushed to disk and then renamed, so
//! a crash never leaves a truncated file under the final name.
//!
//! Units travel with the data twice: in the column names (`_mmhg`, `_ml`, `_ml_s`, `_l_min`,
//! ...) and in the file's key/value metadata `counterpulse.units` (a JSON object
//! column → unit), produced by [`unit_of`].
#![deny(missing_docs)]

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::{
    Column, DataFrame, KeyValueMetadata, ParquetCompression, ParquetReader, ParquetWriter,
    SerReader,
};
use thiserror::Error;

pub use polars::prelude::DataFrame as Frame;

/// Failure to write or read an output file.
#[derive(Debug, Error)]
pub enum IoError {
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Fs {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// polars could not build, write or read a table.
    #[error("{path}: {message}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// polars' message.
        message: String,
    },
    /// Columns of different lengths.
    #[error("column `{column}` has {len} rows, expected {expected}")]
    Ragged {
        /// The offending column.
        column: String,
        /// Its length.
        len: usize,
        /// The table's height.
        expected: usize,
    },
}

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
    /// Text.
    Str(Vec<String>),
}

impl ColumnData {
    fn len(&self) -> usize {
        match self {
            ColumnData::F64(v) => v.len(),
            ColumnData::OptF64(v) => v.len(),
            ColumnData::U64(v) => v.len(),
            ColumnData::OptU64(v) => v.len(),
            ColumnData::Bool(v) => v.len(),
            ColumnData::Str(v) => v.len(),
        }
    }

    fn to_column(&self, name: &str) -> Column {
        let n = name.into();
        match self {
            ColumnData::F64(v) => Column::new(n, v),
            ColumnData::OptF64(v) => Column::new(n, v),
            ColumnData::U64(v) => Column::new(n, v),
            ColumnData::OptU64(v) => Column::new(n, v),
            ColumnData::Bool(v) => Column::new(n, v),
            ColumnData::Str(v) => Column::new(n, v),
        }
    }
}

/// A table to write: named columns of equal length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// `(name, values)` in column order.
    pub columns: Vec<(String, ColumnData)>,
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

    fn to_frame(&self, path: &Path) -> Result<DataFrame, IoError> {
        let height = self.columns.first().map(|(_, c)| c.len()).unwrap_or(0);
        for (name, c) in &self.columns {
            if c.len() != height {
                return Err(IoError::Ragged {
                    column: name.clone(),
                    len: c.len(),
                    expected: height,
                });
            }
        }
        let cols = self
            .columns
            .iter()
            .map(|(n, c)| c.to_column(n))
            .collect::<Vec<_>>();
        DataFrame::new(height, cols).map_err(|e| IoError::Parquet {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// JSON object mapping each column to its unit (see [`unit_of`]).
    pub fn units_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .columns
            .iter()
            .map(|(n, _)| (n.clone(), serde_json::Value::String(unit_of(n).into())))
            .collect();
        serde_json::Value::Object(map).to_string()
    }
}

/// Unit of a column from its name suffix (`"1"` for dimensionless, `""` for identifiers).
pub fn unit_of(column: &str) -> &'static str {
    const SUFFIXES: &[(&str, &str)] = &[
        ("_mmhg_s_min", "mmHg*s/min"),
        ("_mmhg_ml", "mmHg*mL"),
        ("_mmhg_s_ml", "mmHg*s/mL"),
        ("_mmhg_s2_ml", "mmHg*s^2/mL"),
        ("_ml_mmhg", "mL/mmHg"),
        ("_dyn_s_cm5", "dyn*s/cm^5"),
        ("_mmhg", "mmHg"),
        ("_ml_min", "mL/min"),
        ("_ml_s", "mL/s"),
        ("_l_min", "L/min"),
        ("_ml", "mL"),
        ("_bpm", "1/min"),
        ("_ms", "ms"),
        ("_percent", "%"),
        ("_cm2", "cm^2"),
        ("_cm", "cm"),
        ("_per_ml", "1/mL"),
        ("_per_mmhg_s", "1/(mmHg*s)"),
        ("_g_ml", "g/mL"),
        ("_w", "W"),
        ("_s", "s"),
    ];
    for (suffix, unit) in SUFFIXES {
        if column.ends_with(suffix) {
            return unit;
        }
    }
    match column {
        "beat" | "kind" | "status" | "message" | "point_id" | "seed" | "assisted" => "",
        _ => "1",
    }
}

fn fs_err(path: &Path) -> impl FnOnce(std::io::Error) -> IoError + '_ {
    move |source| IoError::Fs {
        path: path.to_path_buf(),
        source,
    }
}

/// A file being written: keeps the first OS error, so that a failure deep inside a Parquet
/// writer (which reports a full disk as "Invalid thrift: transport error") can be reported as
/// what it is ("No space left on device").
#[derive(Debug)]
pub struct KeepError<W> {
    inner: W,
    error: Option<(std::io::ErrorKind, String)>,
}

impl<W: Write> KeepError<W> {
    fn note<T>(&mut self, r: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &r
            && self.error.is_none()
        {
            self.error = Some((e.kind(), e.to_string()));
        }
        r
    }
}

impl<W: Write> Write for KeepError<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.note(r)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.note(r)
    }
}

/// The writer handed to the closures of [`write_atomic`] and [`FileSet::stage`].
pub type Sink = BufWriter<KeepError<File>>;

/// Name of the temporary file next to `path` (hidden, with this process's id).
pub fn temp_path(path: &Path) -> PathBuf {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()))
}

/// Whether `name` is a temporary file of [`write_atomic`] (of any process).
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp")
}

/// Writes `path`'s temporary file, flushed and synced to disk; returns its size in bytes.
/// The temporary file is removed on failure.
fn write_temp(
    path: &Path,
    tmp: &Path,
    write: impl FnOnce(&mut Sink) -> Result<(), IoError>,
) -> Result<u64, IoError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(d) = dir {
        fs::create_dir_all(d).map_err(fs_err(d))?;
    }
    let result = (|| {
        let f = File::create(tmp).map_err(fs_err(tmp))?;
        let mut w = BufWriter::new(KeepError {
            inner: f,
            error: None,
        });
        let written = write(&mut w).and_then(|()| w.flush().map_err(fs_err(tmp)));
        if let Err(e) = written {
            // The OS error behind a library's message, when there is one.
            return Err(match w.get_ref().error.clone() {
                Some((kind, message)) => IoError::Fs {
                    path: path.to_path_buf(),
                    source: std::io::Error::new(kind, message),
                },
                None => e,
            });
        }
        let f = w
            .into_inner()
            .map_err(|e| IoError::Fs {
                path: tmp.to_path_buf(),
                source: e.into_error(),
            })?
            .inner;
        f.sync_all().map_err(fs_err(tmp))?;
        Ok(f.metadata().map_err(fs_err(tmp))?.len())
    })();
    if result.is_err() {
        let _ = fs::remove_file(tmp);
    }
    result
}

/// Writes through a temporary file next to `path`, then renames it into place.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut Sink) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let tmp = temp_path(path);
    write_temp(path, &tmp, write)?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        IoError::Fs {
            path: path.to_path_buf(),
            source: e,
        }
    })
}

/// Files of one folder that belong together (a run's Parquet files and its manifest),
/// committed as a set: each is first written to a temporary file; [`FileSet::commit`] then
/// removes the old manifest, renames every file into place and writes the new manifest last.
/// A folder with a manifest is complete, and its manifest names the files it covers with
/// their sizes; a failure before the commit (a full disk, a kill) leaves the earlier set as
/// it was, and staged files are removed when the set is dropped uncommitted.
#[derive(Debug)]
pub struct FileSet {
    dir: PathBuf,
    staged: Vec<(String, PathBuf, u64)>,
}

impl FileSet {
    /// A set of files in `dir`.
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
        }
    }

    /// Writes file `name` of the set to its temporary file; returns its size in bytes.
    pub fn stage(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut Sink) -> Result<(), IoError>,
    ) -> Result<u64, IoError> {
        let path = self.dir.join(name);
        let tmp = temp_path(&path);
        let bytes = write_temp(&path, &tmp, write)?;
        self.staged.push((name.to_string(), tmp, bytes));
        Ok(bytes)
    }

    /// Stages a Parquet file (see [`write_parquet`]).
    pub fn stage_parquet(
        &mut self,
        name: &str,
        table: &Table,
        metadata: &[(String, String)],
    ) -> Result<u64, IoError> {
        let path = self.dir.join(name);
        let mut df = table.to_frame(&path)?;
        self.stage(name, |w| write_frame(w, &path, &mut df, table, metadata))
    }

    /// Staged files and their sizes in bytes, in the order staged.
    pub fn files(&self) -> Vec<(String, u64)> {
        self.staged
            .iter()
            .map(|(n, _, b)| (n.clone(), *b))
            .collect()
    }

    /// Removes the old manifest, renames the staged files into place, then writes `manifest`
    /// as `manifest_name` (each step synced), so that the manifest appears last.
    pub fn commit(
        mut self,
        manifest_name: &str,
        manifest: &serde_json::Value,
    ) -> Result<(), IoError> {
        let manifest_path = self.dir.join(manifest_name);
        match fs::remove_file(&manifest_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(IoError::Fs {
                    path: manifest_path,
                    source: e,
                });
            }
            _ => {}
        }
        sync_dir(&self.dir)?;
        for (name, tmp, _) in std::mem::take(&mut self.staged) {
            let path = self.dir.join(&name);
            fs::rename(&tmp, &path).map_err(fs_err(&path))?;
        }
        sync_dir(&self.dir)?;
        write_json(&manifest_path, manifest)?;
        sync_dir(&self.dir)
    }
}

impl Drop for FileSet {
    fn drop(&mut self) {
        for (_, tmp, _) in &self.staged {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// Makes the renames in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), IoError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(fs_err(dir))
}

/// Writes `table` as a zstd-compressed Parquet file with `counterpulse.units` and the extra
/// key/value `metadata`.
pub fn write_parquet(
    path: &Path,
    table: &Table,
    metadata: &[(String, String)],
) -> Result<(), IoError> {
    let mut df = table.to_frame(path)?;
    write_atomic(path, |w| write_frame(w, path, &mut df, table, metadata))
}

fn write_frame(
    w: &mut Sink,
    path: &Path,
    df: &mut DataFrame,
    table: &Table,
    metadata: &[(String, String)],
) -> Result<(), IoError> {
    let mut kv = vec![("counterpulse.units".to_string(), table.units_json())];
    kv.extend(metadata.iter().cloned());
    ParquetWriter::new(w)
        .with_compression(ParquetCompression::Zstd(None))
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(kv)))
        .finish(df)
        .map(|_| ())
        .map_err(|e| IoError::Parquet {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// Reads a Parquet file into a polars `DataFrame`.
pub fn read_parquet(path: &Path) -> Result<DataFrame, IoError> {
    let f = File::open(path).map_err(fs_err(path))?;
    ParquetReader::new(f)
        .finish()
        .map_err(|e| IoError::Parquet {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// The value of key `key` in a Parquet file's key/value metadata (None when absent).
pub fn read_metadata_value(path: &Path, key: &str) -> Result<Option<String>, IoError> {
    let f = File::open(path).map_err(fs_err(path))?;
    let mut reader = ParquetReader::new(f);
    let meta = reader.get_metadata().map_err(|e| IoError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(meta
        .key_value_metadata
        .iter()
        .flatten()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.clone()))
}

/// Concatenates Parquet files (same schema) in the given order into `out`, atomically, with
/// the given key/value metadata and the units of the first file's columns.
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

/// Concatenates Parquet files (same schema) into `w` (see [`concat_parquet`]; `out` names the
/// result in errors); returns the number of rows.
pub fn write_concat(
    w: &mut Sink,
    parts: &[PathBuf],
    out: &Path,
    metadata: &[(String, String)],
) -> Result<usize, IoError> {
    let mut iter = parts.iter();
    let Some(first) = iter.next() else {
        return Err(IoError::Parquet {
            path: out.to_path_buf(),
            message: "no parts to merge".into(),
        });
    };
    // Streamed: parts are appended until a row group is full, then written, so memory holds
    // one row group whatever the size of the sweep.
    const ROW_GROUP_ROWS: usize = 8192;
    let mut pending = read_parquet(first)?;
    let schema = pending.schema().clone();
    let units: serde_json::Map<String, serde_json::Value> = pending
        .get_column_names()
        .iter()
        .map(|n| (n.to_string(), serde_json::Value::String(unit_of(n).into())))
        .collect();
    let mut kv = vec![(
        "counterpulse.units".to_string(),
        serde_json::Value::Object(units).to_string(),
    )];
    kv.extend(metadata.iter().cloned());
    let pq_err = |path: &Path, e: polars::prelude::PolarsError| IoError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut height = 0usize;
    {
        let mut writer = ParquetWriter::new(w)
            .with_compression(ParquetCompression::Zstd(None))
            .with_key_value_metadata(Some(KeyValueMetadata::from_static(kv)))
            .batched(&schema)
            .map_err(|e| pq_err(out, e))?;
        for p in iter {
            let next = read_parquet(p)?;
            if next.schema() != &schema {
                return Err(IoError::Parquet {
                    path: p.clone(),
                    message: "cannot append: its columns differ from the first part's".into(),
                });
            }
            pending.vstack_mut(&next).map_err(|e| pq_err(p, e))?;
            if pending.height() >= ROW_GROUP_ROWS {
                pending.rechunk_mut();
                writer.write_batch(&pending).map_err(|e| pq_err(out, e))?;
                height += pending.height();
                pending = pending.clear();
            }
        }
        if pending.height() > 0 {
            pending.rechunk_mut();
            writer.write_batch(&pending).map_err(|e| pq_err(out, e))?;
            height += pending.height();
        }
        writer.finish().map(|_| ()).map_err(|e| pq_err(out, e))?;
    }
    Ok(height)
}

/// The values of an unsigned-integer column.
pub fn read_u64_column(path: &Path, name: &str) -> Result<Vec<u64>, IoError> {
    let df = read_parquet(path)?;
    let err = |e: polars::prelude::PolarsError| IoError::Parquet {
        path: path.to_path_buf(),
        message: format!("column `{name}`: {e}"),
    };
    let col = df.column(name).map_err(err)?;
    let ca = col.u64().map_err(err)?;
    Ok(ca.iter().map(|v| v.unwrap_or(u64::MAX)).collect())
}

/// Named columns of optional floats, as returned by [`read_f64_columns`].
pub type F64Columns = Vec<(String, Vec<Option<f64>>)>;

/// The values of a column as optional floats (integers and booleans are converted; text
/// columns give `None`), keyed by name; missing columns are left out.
pub fn read_f64_columns(path: &Path, names: &[&str]) -> Result<F64Columns, IoError> {
    use polars::prelude::DataType;
    let df = read_parquet(path)?;
    let mut out = Vec::new();
    for name in names {
        let Ok(col) = df.column(name) else { continue };
        let cast = col.cast(&DataType::Float64).map_err(|e| IoError::Parquet {
            path: path.to_path_buf(),
            message: format!("column `{name}`: {e}"),
        })?;
        let ca = cast.f64().map_err(|e| IoError::Parquet {
            path: path.to_path_buf(),
            message: format!("column `{name}`: {e}"),
        })?;
        out.push((name.to_string(), ca.iter().collect()));
    }
    Ok(out)
}

/// The values of a text column.
pub fn read_str_column(path: &Path, name: &str) -> Result<Vec<String>, IoError> {
    let df = read_parquet(path)?;
    let err = |e: polars::prelude::PolarsError| IoError::Parquet {
        path: path.to_path_buf(),
        message: format!("column `{name}`: {e}"),
    };
    let col = df.column(name).map_err(err)?;
    let ca = col.str().map_err(err)?;
    Ok(ca
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

/// Column names of a Parquet file.
pub fn column_names(path: &Path) -> Result<Vec<String>, IoError> {
    Ok(read_parquet(path)?
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect())
}

/// Writes pretty JSON atomically.
pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), IoError> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value).map_err(|e| IoError::Fs {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        w.write_all(b"\n").map_err(fs_err(path))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parquet_round_trip_with_nulls_and_units() {
        let dir = std::env::temp_dir().join(format!("cp-io-test-{}", std::process::id()));
        let path = dir.join("t.parquet");
        let mut t = Table::new();
        t.push("time_s", ColumnData::F64(vec![0.0, 0.5, 1.0]))
            .push("beat", ColumnData::U64(vec![0, 0, 1]))
            .push("ffr", ColumnData::OptF64(vec![None, Some(0.8), None]))
            .push(
                "kind",
                ColumnData::Str(vec!["a".into(), "b".into(), "c".into()]),
            )
            .push("assisted", ColumnData::Bool(vec![true, false, true]));
        write_parquet(&path, &t, &[("k".into(), "v".into())]).expect("writes");
        let df = read_parquet(&path).expect("reads");
        assert_eq!(df.height(), 3);
        let names: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
        assert_eq!(names, vec!["time_s", "beat", "ffr", "kind", "assisted"]);
        let ffr = df.column("ffr").expect("col").f64().expect("f64").get(1);
        assert_eq!(ffr, Some(0.8));
        assert_eq!(df.column("ffr").expect("col").null_count(), 2);
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .expect("dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary files left");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn ragged_tables_are_refused() {
        let mut t = Table::new();
        t.push("a", ColumnData::F64(vec![1.0]))
            .push("b", ColumnData::F64(vec![1.0, 2.0]));
        let e = write_parquet(Path::new("/tmp/never.parquet"), &t, &[]).expect_err("ragged");
        assert!(e.to_string().contains("column `b` has 2 rows"), "{e}");
        assert!(!Path::new("/tmp/never.parquet").exists());
    }

    #[test]
    fn a_full_disk_is_named_not_hidden_behind_a_parquet_message() {
        // /dev/full answers every write with ENOSPC, as a full disk does.
        let full = std::path::Path::new("/dev/full");
        if !full.exists() {
            return;
        }
        let mut t = Table::new();
        t.push(
            "time_s",
            ColumnData::F64((0..100_000).map(f64::from).collect()),
        );
        let mut df = t.to_frame(full).expect("frame");
        let f = fs::OpenOptions::new()
            .write(true)
            .open(full)
            .expect("open /dev/full");
        let mut w = BufWriter::new(KeepError {
            inner: f,
            error: None,
        });
        let r = write_frame(&mut w, full, &mut df, &t, &[])
            .and_then(|()| w.flush().map_err(fs_err(full)));
        assert!(r.is_err());
        let kept = w.get_ref().error.clone().expect("the OS error is kept");
        assert_eq!(kept.0, std::io::ErrorKind::StorageFull, "{}", kept.1);
        assert!(kept.1.contains("No space left on device"), "{}", kept.1);
    }

    #[test]
    fn a_file_set_appears_with_its_manifest_last_or_not_at_all() {
        let dir = std::env::temp_dir().join(format!("cp-io-set-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let mut t = Table::new();
        t.push("time_s", ColumnData::F64(vec![1.0, 2.0]));
        // A set dropped before its commit leaves nothing behind.
        {
            let mut set = FileSet::new(&dir);
            set.stage_parquet("a.parquet", &t, &[]).expect("stages");
        }
        let names = |d: &Path| -> Vec<String> {
            let mut v: Vec<String> = fs::read_dir(d)
                .map(|r| {
                    r.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            v
        };
        assert!(names(&dir).is_empty(), "{:?}", names(&dir));
        let mut set = FileSet::new(&dir);
        let bytes = set.stage_parquet("a.parquet", &t, &[]).expect("stages");
        assert!(
            !dir.join("a.parquet").exists(),
            "not in place before the commit"
        );
        assert_eq!(set.files(), vec![("a.parquet".to_string(), bytes)]);
        set.commit(
            "manifest.json",
            &serde_json::json!({"files": {"a.parquet": bytes}}),
        )
        .expect("commits");
        assert_eq!(names(&dir), vec!["a.parquet", "manifest.json"]);
        assert_eq!(
            fs::metadata(dir.join("a.parquet")).expect("meta").len(),
            bytes
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn units_from_suffixes() {
        assert_eq!(unit_of("mean_arterial_pressure_mmhg"), "mmHg");
        assert_eq!(unit_of("cardiac_output_l_min"), "L/min");
        assert_eq!(unit_of("mitral_flow_ml_s"), "mL/s");
        assert_eq!(unit_of("tension_time_index_mmhg_s_min"), "mmHg*s/min");
        assert_eq!(unit_of("ejection_fraction"), "1");
        assert_eq!(unit_of("time_s"), "s");
        assert_eq!(unit_of("cardiac_power_output_w"), "W");
    }
}
