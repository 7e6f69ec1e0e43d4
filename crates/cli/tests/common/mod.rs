//! Helpers shared by the integration tests: their folders ([`scratch`]), the binary (or an
//! older one named by `COUNTERPULSE_BIN`, to show a regression test failing there), running it,
//! the repository.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod scratch;
#[allow(unused_imports)]
pub use scratch::{Scratch, fixture_dir};

pub fn bin() -> Command {
    match std::env::var_os("COUNTERPULSE_BIN") {
        Some(b) => Command::new(b),
        None => Command::new(env!("CARGO_BIN_EXE_counterpulse")),
    }
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

pub fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
