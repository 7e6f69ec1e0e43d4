//! # counterpulse-py
//!
//! The extension module `counterpulse._native` behind the Python package `counterpulse`
//! (`python/counterpulse/`). It calls the same Rust code as the command line, in-process:
//! scenarios from presets and `set` overrides, [`counterpulse_sim::simulate`], the sweep runner
//! and the parameter listing. Simulations run with the GIL released. Tables leave as Arrow
//! record batches through the Arrow C stream interface (`__arrow_c_stream__`), which polars
//! and pyarrow import without copying numeric buffers. Bad input raises `ValueError` with the
//! command line's message.
//!
//! Everything here is behind the `extension` feature, which maturin turns on.
#![cfg(feature = "extension")]
#![deny(missing_docs)]

mod arrow_table;
mod errors;
mod params;
mod simulate;
mod sweep;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<arrow_table::ArrowTable>()?;
    m.add_function(wrap_pyfunction!(simulate::simulate, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep, m)?)?;
    m.add_function(wrap_pyfunction!(params::params, m)?)?;
    m.add_function(wrap_pyfunction!(params::presets, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
