//! Output folders this tool owns: which entries are its own, locks held while a process writes
//! into a folder, and removal of what it wrote (nothing else).
//!
//! Locks are advisory `flock` locks on hidden files (`.lock`, `.claim.lock`, ...) inside the
//! folder. The operating system releases them when the process ends, however it ends (a
//! `SIGKILL`, a Slurm time limit), so a killed run never leaves a folder locked.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use counterpulse_io::{IoError, is_temp_name};

use crate::error::SweepError;

/// Name of the lock held (shared) by every process writing into a folder, and exclusively by
/// one that replaces or merges its contents.
pub const IN_USE_LOCK: &str = ".lock";

/// Name of the lock held briefly while a process checks and claims a folder.
const CLAIM_LOCK: &str = ".claim.lock";

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

fn fs_err(path: &Path, e: std::io::Error) -> SweepError {
    SweepError::Io(IoError::Fs {
        path: path.to_path_buf(),
        source: e,
    })
}

fn open_lock_file(path: &Path) -> Result<File, SweepError> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| fs_err(d, e))?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| fs_err(path, e))
}

impl Lock {
    /// Takes the lock `name` in `dir` exclusively, or refuses with `busy` when another process
    /// holds it.
    pub fn exclusive(
        dir: &Path,
        name: &str,
        busy: impl FnOnce() -> String,
    ) -> Result<Self, SweepError> {
        Self::try_take(dir, name, false, busy)
    }

    /// Takes the lock `name` in `dir` shared (other shared holders allowed), or refuses with
    /// `busy` when a process holds it exclusively.
    pub fn shared(
        dir: &Path,
        name: &str,
        busy: impl FnOnce() -> String,
    ) -> Result<Self, SweepError> {
        Self::try_take(dir, name, true, busy)
    }

    fn try_take(
        dir: &Path,
        name: &str,
        shared: bool,
        busy: impl FnOnce() -> String,
    ) -> Result<Self, SweepError> {
        let path = dir.join(name);
        let file = open_lock_file(&path)?;
        let taken = if shared {
            file.try_lock_shared()
        } else {
            file.try_lock()
        };
        match taken {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(SweepError::Usage { message: busy() }),
            Err(TryLockError::Error(e)) => Err(fs_err(&path, e)),
        }
    }

    /// Waits for the claim lock of `dir`: held only while a process checks what the folder
    /// holds and claims it, so that two processes never decide on the same folder at once.
    pub fn claim(dir: &Path) -> Result<Self, SweepError> {
        let path = dir.join(CLAIM_LOCK);
        let file = open_lock_file(&path)?;
        file.lock().map_err(|e| fs_err(&path, e))?;
        Ok(Self { _file: file })
    }
}

/// Whether `name` is one of the lock files of this module.
pub fn is_lock_name(name: &str) -> bool {
    name == IN_USE_LOCK
        || name == CLAIM_LOCK
        || (name.starts_with(".lock-") && !name.ends_with(".tmp"))
}

/// The entries of `dir` (names), without lock files and temporary files; empty when `dir`
/// does not exist.
pub fn entries(dir: &Path) -> Result<Vec<String>, SweepError> {
    let read = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(fs_err(dir, e)),
    };
    let mut names: Vec<String> = read
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !is_lock_name(n) && !is_temp_name(n))
        .collect();
    names.sort();
    Ok(names)
}

/// Removes the temporary files left in `dir` by killed writers whose final name `owned`
/// accepts (the caller holds the lock that makes every such writer dead).
pub fn remove_orphan_temps(dir: &Path, owned: impl Fn(&str) -> bool) -> Result<u64, SweepError> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut removed = 0;
    for e in read.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        // `.NAME.PID.tmp` → NAME
        let Some(inner) = name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".tmp"))
            .and_then(|n| n.rsplit_once('.'))
            .map(|(base, _pid)| base)
        else {
            continue;
        };
        if is_temp_name(&name) && owned(inner) {
            let p = e.path();
            std::fs::remove_file(&p).map_err(|err| fs_err(&p, err))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes the file `path` if it exists.
pub fn remove_file(path: &Path) -> Result<(), SweepError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(fs_err(path, e)),
        _ => Ok(()),
    }
}

/// Removes the folder `path` and everything in it, if it exists.
pub fn remove_dir(path: &PathBuf) -> Result<(), SweepError> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(fs_err(path, e)),
        _ => Ok(()),
    }
}
