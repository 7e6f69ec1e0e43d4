//! Reading user input safely: text files of bounded size, TOML errors that give the line and
//! column without quoting the file, and long values shortened before they reach a message.
//!
//! A scenario or spec file is a few kilobytes; a path to a device (`/dev/zero`) or to some
//! unrelated file must neither exhaust memory nor be echoed back to the terminal.

use std::io::Read;
use std::path::Path;

/// Largest input file read (scenario, sweep spec), bytes.
pub const MAX_INPUT_BYTES: u64 = 4 << 20;

/// Longest value or key quoted in a message, characters.
pub const MAX_QUOTED_CHARS: usize = 80;

/// Reads a UTF-8 text file of at most [`MAX_INPUT_BYTES`]; `what` names it in the error
/// ("scenario file", "sweep file").
pub fn read_text(path: &Path, what: &str) -> Result<String, String> {
    let shown = elide(&path.display().to_string(), 200);
    let fail = |e: std::io::Error| format!("cannot read {what} {shown}: {e}");
    let file = std::fs::File::open(path).map_err(fail)?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(format!(
            "{what} {shown} is larger than {} MiB: not a {what}",
            MAX_INPUT_BYTES >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{what} {shown} is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// A TOML syntax error as one line: origin, line and column, and what was expected, without
/// the offending text (which may be a line of any file the user pointed at).
pub fn toml_error(origin: &str, text: &str, e: &toml::de::Error) -> String {
    let message = elide(e.message().trim(), 200).replace('\n', " ");
    match e.span() {
        Some(span) => {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            format!("{origin}: not valid TOML at line {line}, column {col}: {message}")
        }
        None => format!("{origin}: not valid TOML: {message}"),
    }
}

/// `s` itself if it has at most `max_chars` characters, else its start and end around an
/// ellipsis with the full length.
pub fn elide(s: &str, max_chars: usize) -> String {
    // Control characters (a newline inside a quoted TOML key) are shown escaped: a message
    // stays on one line.
    let escaped: String;
    let s = if s.chars().any(char::is_control) {
        escaped = s
            .chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect();
        escaped.as_str()
    } else {
        s
    };
    let n = s.chars().count();
    if n <= max_chars {
        return s.to_string();
    }
    let keep = max_chars.saturating_sub(24).max(8);
    let head: String = s.chars().take(keep * 2 / 3).collect();
    let tail: String = s
        .chars()
        .skip(n - (keep - keep * 2 / 3))
        .collect::<String>();
    format!("{head}…{tail} ({n} characters)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_to_keep_one_line() {
        assert_eq!(elide("a\nb\tc", 80), "a\\nb\\tc");
    }

    #[test]
    fn long_text_is_elided_with_its_length() {
        assert_eq!(elide("short", 80), "short");
        let long = "x".repeat(1 << 20);
        let e = elide(&long, 80);
        assert!(e.chars().count() < 100, "{e}");
        assert!(e.contains("(1048576 characters)"), "{e}");
    }

    #[test]
    fn toml_errors_give_the_place_not_the_text() {
        let text = "[a]\nroot:x:0:0:root:/root:/bin/bash\n";
        let e = text.parse::<toml::Table>().expect_err("not TOML");
        let m = toml_error("f.toml", text, &e);
        assert!(m.starts_with("f.toml: not valid TOML at line 2"), "{m}");
        assert!(!m.contains("root:x"), "{m}");
        assert!(!m.contains('\n'), "{m}");
    }

    #[test]
    fn big_and_binary_files_are_refused() {
        let dir = std::env::temp_dir().join(format!("cp-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let big = dir.join("big.toml");
        std::fs::write(&big, vec![b'#'; (MAX_INPUT_BYTES + 10) as usize]).expect("write");
        let e = read_text(&big, "scenario file").expect_err("too big");
        assert!(e.contains("larger than 4 MiB"), "{e}");
        let bin = dir.join("bin.toml");
        std::fs::write(&bin, [b'a', 0xff, 0xfe]).expect("write");
        let e = read_text(&bin, "scenario file").expect_err("binary");
        assert!(e.contains("not UTF-8"), "{e}");
        // An endless device stops at the bound instead of filling memory.
        let e = read_text(Path::new("/dev/zero"), "sweep file").expect_err("endless");
        assert!(e.contains("larger than"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
