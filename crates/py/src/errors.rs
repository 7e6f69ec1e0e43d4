//! Errors as Python exceptions: the user's mistakes as `ValueError` with the command line's
//! message, everything else as `RuntimeError` (`OSError` for files).

use counterpulse_circulation::ParamError;
use counterpulse_sim::SimError;
use counterpulse_sweep::SweepError;
use pyo3::PyErr;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};

/// A bad key, value or file: `ValueError`.
pub fn param(e: ParamError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A simulation error: bad parameters are `ValueError`, solver failures `RuntimeError`.
pub fn sim(e: SimError) -> PyErr {
    match e {
        SimError::Param(p) => param(p),
        other => PyRuntimeError::new_err(other.to_string()),
    }
}

/// A sweep error: a bad spec or option is `ValueError`, a file problem `OSError`, an
/// incomplete merge `RuntimeError`.
pub fn sweep(e: SweepError) -> PyErr {
    match e {
        SweepError::Usage { message } => PyValueError::new_err(message),
        SweepError::Io(io) => PyOSError::new_err(io.to_string()),
        other => PyRuntimeError::new_err(other.to_string()),
    }
}

/// Anything else: `RuntimeError` with its message.
pub fn runtime(e: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}
