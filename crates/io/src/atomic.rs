//! Atomic writes: a temporary file in the target directory, flushed to disk, then renamed, so a
//! crash never leaves a truncated file under the final name.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::IoError;

pub(crate) fn fs_err(path: &Path) -> impl FnOnce(std::io::Error) -> IoError + '_ {
    move |source| IoError::Fs {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes through a temporary file next to `path`, then renames it into place.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(d) = dir {
        fs::create_dir_all(d).map_err(fs_err(d))?;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let f = File::create(&tmp).map_err(fs_err(&tmp))?;
        let mut w = BufWriter::new(f);
        write(&mut w)?;
        let f = w.into_inner().map_err(|e| IoError::Fs {
            path: tmp.clone(),
            source: e.into_error(),
        })?;
        f.sync_all().map_err(fs_err(&tmp))?;
        fs::rename(&tmp, path).map_err(fs_err(path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
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
