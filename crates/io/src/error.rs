//! Errors of reading and writing output files.

use std::path::PathBuf;

use thiserror::Error;

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
    /// A table could not be built, written or read as Parquet.
    #[error("{path}: {message}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What went wrong.
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

/// `IoError::Parquet` for `path` from anything printable.
pub(crate) fn pq_err(path: &std::path::Path, e: impl std::fmt::Display) -> IoError {
    IoError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}
