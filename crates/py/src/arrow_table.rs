//! An Arrow table handed to Python through the Arrow PyCapsule interface.

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchIterator};
use counterpulse_io::{Table, UNIT_KEY};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict};

use crate::errors::runtime;

/// One record batch, exported as a fresh Arrow C stream on every `__arrow_c_stream__` call, so
/// that polars (`pl.DataFrame(t)`) and pyarrow (`pa.table(t)`) can each import it; they share
/// its buffers instead of copying them. pyarrow keeps each field's `unit` metadata.
#[pyclass(module = "counterpulse._native", frozen)]
pub struct ArrowTable {
    batch: RecordBatch,
}

impl ArrowTable {
    /// Wraps a table of the io crate, with its units and `metadata` in the schema.
    pub fn from_table(table: &Table, metadata: &[(String, String)]) -> PyResult<Self> {
        let batch = table.to_record_batch(metadata).map_err(runtime)?;
        Ok(Self { batch })
    }

    /// Wraps a record batch read from a file.
    pub fn from_batch(batch: RecordBatch) -> Self {
        Self { batch }
    }
}

#[pymethods]
impl ArrowTable {
    /// The Arrow PyCapsule stream interface: a capsule `arrow_array_stream` holding a stream of
    /// this table's one record batch.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        // The schema is exported as it is; a consumer casts if it wants another one.
        let _ = requested_schema;
        let reader = RecordBatchIterator::new([Ok(self.batch.clone())], self.batch.schema());
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// Number of rows.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// Column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// `{column: unit}` from the fields' metadata (`"1"`: dimensionless; `""`: text or
    /// true/false).
    #[getter]
    fn units<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for f in self.batch.schema().fields() {
            let unit = f.metadata().get(UNIT_KEY).cloned().unwrap_or_default();
            d.set_item(f.name(), unit)?;
        }
        Ok(d)
    }

    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }

    fn __repr__(&self) -> String {
        format!(
            "ArrowTable({} rows x {} columns)",
            self.batch.num_rows(),
            self.batch.num_columns()
        )
    }
}
