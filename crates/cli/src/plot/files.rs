//! Which existing figure files `plot` may replace (never a user's file).
//!
//! A file that exists is replaced only
//! - with `--force`, or
//! - when it lies in a folder named `figures` and this tool wrote it there and nobody changed it
//!   since: each `figures/` folder the tool writes into gets a ledger, `.counterpulse-figures`,
//!   one line per file, `HASH NAME`, with the FNV-1a 64-bit hash of the bytes written. A file
//!   not in the ledger, or edited after (other hash), is the user's.
//!
//! Everything else (`--out mine` over an existing `mine.svg`, a file in `figures/` the tool did
//! not write) is refused with exit 2 before anything is drawn.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::usage;

/// Name of the ledger in a `figures/` folder.
pub(crate) const LEDGER: &str = ".counterpulse-figures";

/// FNV-1a, 64 bits (Fowler, Noll, Vo): a fingerprint of the bytes, not a security hash.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Whether `dir` is a folder the tool keeps a ledger in (its name is `figures`).
fn is_figures_folder(dir: &Path) -> bool {
    dir.file_name().is_some_and(|n| n == "figures")
}

fn ledger_of(dir: &Path) -> BTreeMap<String, u64> {
    let Ok(text) = std::fs::read_to_string(dir.join(LEDGER)) else {
        return BTreeMap::new();
    };
    text.lines()
        .filter_map(|l| {
            let (h, name) = l.split_once(' ')?;
            Some((name.to_string(), u64::from_str_radix(h, 16).ok()?))
        })
        .collect()
}

fn parent(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether the tool wrote `path` into its `figures/` folder and it is unchanged since.
fn written_by_us(path: &Path) -> bool {
    let dir = parent(path);
    if !is_figures_folder(&dir) {
        return false;
    }
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let Some(hash) = ledger_of(&dir).get(name).copied() else {
        return false;
    };
    std::fs::read(path).is_ok_and(|b| fnv1a(&b) == hash)
}

/// Refuses (exit 2) when one of `paths` exists and may not be replaced (see the module).
pub(crate) fn check_replaceable(paths: &[PathBuf], force: bool) -> Result<()> {
    if force {
        return Ok(());
    }
    let theirs: Vec<&PathBuf> = paths
        .iter()
        .filter(|p| p.exists() && !written_by_us(p))
        .collect();
    if let Some(first) = theirs.first() {
        let list = theirs
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let why = if is_figures_folder(&parent(first)) {
            "not written by counterpulse into this figures/ folder, or changed since"
        } else {
            "a file of yours"
        };
        return Err(usage(format!(
            "{list}: exists ({why}); not replaced. Give another --out, or --force to replace it"
        )));
    }
    Ok(())
}

/// Records `paths` (just written) in the ledger of their `figures/` folder, if they are in one.
pub(crate) fn record(paths: &[PathBuf]) -> Result<()> {
    let mut by_dir: BTreeMap<PathBuf, Vec<&PathBuf>> = BTreeMap::new();
    for p in paths {
        let d = parent(p);
        if is_figures_folder(&d) {
            by_dir.entry(d).or_default().push(p);
        }
    }
    for (dir, files) in by_dir {
        let mut ledger = ledger_of(&dir);
        for p in files {
            let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
            if let Some(name) = p.file_name().and_then(|n| n.to_str()) {
                ledger.insert(name.to_string(), fnv1a(&bytes));
            }
        }
        let text: String = ledger
            .iter()
            .map(|(n, h)| format!("{h:016x} {n}\n"))
            .collect();
        std::fs::write(dir.join(LEDGER), text)
            .with_context(|| format!("writing {}", dir.join(LEDGER).display()))?;
    }
    Ok(())
}

/// The part of a figure's file name that tells `--where` filters apart:
/// `-where-iabp_ratio-1_2` for `--where iabp_ratio=1:2` (characters other than letters, digits,
/// `.`, `_` and `-` become `_`); empty without filters.
pub(crate) fn where_suffix(wheres: &[String]) -> String {
    wheres
        .iter()
        .map(|w| {
            let clean: String = w
                .trim()
                .replacen('=', "-", 1)
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            format!("-where-{clean}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_its_published_test_vectors() {
        // Fowler-Noll-Vo reference values: "" and "a".
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn filters_name_the_file() {
        assert_eq!(where_suffix(&[]), "");
        assert_eq!(
            where_suffix(&["iabp_ratio=1:2".into(), "heart_rate_bpm=80".into()]),
            "-where-iabp_ratio-1_2-where-heart_rate_bpm-80"
        );
    }
}
