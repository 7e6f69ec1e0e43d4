//! Folders for the integration tests' files.
//!
//! A [`Scratch`] folder lives under the system's temporary directory and is removed when the
//! test that made it ends, so a run of the suite leaves nothing there (the safety tests'
//! waveform folders alone are 235 MB each). A failing test keeps its folder and prints where it
//! is. Fixtures shared by all the tests of one binary live in a [`fixture_dir`] under Cargo's
//! `target/tmp` instead: a static is never dropped, so they get a fixed name there, and each
//! run replaces the last one's.

use std::ffi::OsStr;
use std::ops::Deref;
use std::path::{Path, PathBuf};

/// A test's folder `counterpulse-{suite}-{process id}-{name}` in the temporary directory,
/// removed on drop unless the test is failing (panicking).
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl Scratch {
    /// An empty folder (any folder left at that path is removed first).
    pub fn new(suite: &str, name: &str) -> Self {
        let s = Self::unmade(suite, name);
        std::fs::create_dir_all(&s.0).expect("scratch folder");
        s
    }

    /// The same path, not created: for a command that must make its output folder itself.
    pub fn unmade(suite: &str, name: &str) -> Self {
        let p = std::env::temp_dir().join(format!(
            "counterpulse-{suite}-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        Self(p)
    }

    /// The folder's path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<OsStr> for Scratch {
    fn as_ref(&self) -> &OsStr {
        self.0.as_os_str()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            if self.0.exists() {
                eprintln!("kept the failing test's folder {}", self.0.display());
            }
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// An empty folder `target/tmp/{name}` for fixtures that all the tests of a binary share (made
/// once behind a `OnceLock`); what the previous run left there is removed first.
pub fn fixture_dir(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).expect("fixture folder");
    p
}
