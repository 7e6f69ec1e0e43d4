//! Atomic writes: a temporary file in the target directory, flushed and synced to disk, then
//! renamed, so a crash never leaves a truncated file under the final name; and file sets
//! ([`FileSet`]) whose manifest appears last, naming every file it covers.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::IoError;

pub(crate) fn fs_err(path: &Path) -> impl FnOnce(std::io::Error) -> IoError + '_ {
    move |source| IoError::Fs {
        path: path.to_path_buf(),
        source,
    }
}

/// A file being written: keeps the first OS error, so that a failure deep inside a Parquet
/// writer (which reports a full disk as an opaque I/O or thrift error) can be reported as what
/// it is ("No space left on device").
#[derive(Debug)]
pub struct KeepError<W> {
    pub(crate) inner: W,
    pub(crate) error: Option<(std::io::ErrorKind, String)>,
}

impl<W> KeepError<W> {
    pub(crate) fn new(inner: W) -> Self {
        Self { inner, error: None }
    }
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
        let mut w = BufWriter::new(KeepError::new(f));
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

    /// The folder of the set.
    pub fn dir(&self) -> &Path {
        &self.dir
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
