//! Human-readable messages (tables, progress lines, "wrote ..."), kept apart from results:
//! on stdout normally, on stderr when stdout carries `--json`, and nowhere with `--quiet`.
//! Errors and warnings always go to stderr.

use std::sync::atomic::{AtomicU8, Ordering};

const STDOUT: u8 = 0;
const STDERR: u8 = 1;
const NONE: u8 = 2;

static WHERE: AtomicU8 = AtomicU8::new(STDOUT);

/// Chooses where messages go for this command.
pub fn configure(json: bool, quiet: bool) {
    let w = if quiet {
        NONE
    } else if json {
        STDERR
    } else {
        STDOUT
    };
    WHERE.store(w, Ordering::Relaxed);
}

/// Whether messages are shown at all (progress bars follow this).
pub fn shown() -> bool {
    WHERE.load(Ordering::Relaxed) != NONE
}

/// Prints `text` as it is (add the newline yourself).
pub fn text(text: &str) {
    use std::io::Write as _;
    // A closed pipe (`| head`) ends the messages, not the command: the files it writes still
    // get written (print! would panic).
    let _ = match WHERE.load(Ordering::Relaxed) {
        STDOUT => std::io::stdout().lock().write_all(text.as_bytes()),
        STDERR => std::io::stderr().lock().write_all(text.as_bytes()),
        _ => Ok(()),
    };
}

/// `println!` for messages.
macro_rules! say {
    () => { $crate::say::text("\n") };
    ($($arg:tt)*) => { $crate::say::text(&format!("{}\n", format_args!($($arg)*))) };
}
pub(crate) use say;

/// Prints a JSON result on stdout.
pub fn json(value: &serde_json::Value) -> anyhow::Result<()> {
    use std::io::Write as _;
    // A closed pipe is an error here, which `main` ends quietly.
    writeln!(
        std::io::stdout().lock(),
        "{}",
        serde_json::to_string_pretty(value)?
    )?;
    Ok(())
}
