//! The sweep crate's error: what stops a sweep (a failing point does not; it becomes a row).
//! Its own module so that the spec, the runner, run folders and locks share it without
//! importing each other.

use counterpulse_io::IoError;
use thiserror::Error;

/// Why a sweep could not run (a failing point is not an error: it becomes a row).
#[derive(Debug, Error)]
pub enum SweepError {
    /// Bad spec or options (exit code 2).
    #[error("{message}")]
    Usage {
        /// What is wrong, naming the key and the value.
        message: String,
    },
    /// Writing or reading output failed.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The merge found missing or repeated points, or a part that does not fit.
    #[error("{message}")]
    Incomplete {
        /// What is missing or repeated.
        message: String,
    },
}
