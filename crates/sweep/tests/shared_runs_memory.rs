//! A sweep's memory does not grow with its number of points (Linux: peak resident memory from
//! `/proc/self/status`; this file holds one test, so its process runs nothing else).
//!
//! Until 2026-12-03 a sweep kept every baseline run and every group leader's assisted run, under
//! keys of 8 kB, to its end: a Latin-hypercube sweep, whose points are all groups of one, grew
//! by ~39 kB a point here (baseline runs of the healthy preset) and ~45 kB a point in cardiogenic
//! shock with the balloon (10 000 points: a peak of 493 MiB). The run here is one shard of two,
//! so that the merge (whose row group of up to 8 192 rows is bounded, but grows with the rows
//! up to it) is not part of what is measured.
#![cfg(target_os = "linux")]

use counterpulse_sweep::rundir::ToolInfo;
use counterpulse_sweep::{NoProgress, Shard, SweepOptions, SweepSpec, run_sweep};
use std::path::Path;

/// Peak resident memory of this process so far, kB (None where `/proc` does not say).
fn peak_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs shard 0 of 2 of a Latin-hypercube sweep of `samples` cheap baseline-only points (the
/// healthy preset, 2 beats each: every point its own group) into `out`.
fn run_shard(samples: u64, out: &Path) -> u64 {
    let text = format!(
        r#"
[sweep]
name = "memory"
preset = "healthy"
sampling = "lhs"
samples = {samples}
seed = 1

[set]
steady.max_beats = 2

[axes]
"heart.rate_bpm" = {{ min = 60, max = 120 }}
"coronary.stenosis_percent" = {{ min = 0, max = 90 }}
"#
    );
    let spec = SweepSpec::parse(&text, "memory test", None).unwrap_or_else(|e| panic!("{e}"));
    let opts = SweepOptions {
        out: out.to_path_buf(),
        threads: Some(2),
        shard: Shard { index: 0, count: 2 },
        resume: false,
        force: false,
        tool: ToolInfo {
            version: "test".into(),
            git_commit: "test".into(),
            command: vec![],
        },
    };
    let outcome = run_sweep(&spec, &opts, &NoProgress).unwrap_or_else(|e| panic!("{e}"));
    assert!(outcome.merged.is_none(), "a shard of two does not merge");
    outcome.points_run
}

#[test]
fn a_sweep_holds_no_finished_point_s_runs() {
    let dir = std::env::temp_dir().join(format!("counterpulse-memory-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // Warm up (thread pool, presets, the first chunk's buffers), then the long sweep.
    let few = run_shard(200, &dir.join("few"));
    let Some(before) = peak_kb() else {
        eprintln!("no VmHWM in /proc/self/status (a sandbox without it): not measured");
        return;
    };
    let many = run_shard(6000, &dir.join("many"));
    let growth_kb = peak_kb().unwrap_or(0).saturating_sub(before);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(few > 0 && many > 2900, "{few} and {many} points run");
    eprintln!("peak memory grew by {growth_kb} kB over {many} points");
    // Old code: 39 kB a point (58 MB over 1 504 points, 2026-12-03); now about 10 MB whatever
    // the number of points (10.2 MB over 1 504, 10.9 MB over 3 008: the second sweep's thread
    // pool and first buffers), with the groups' names and counters well under 1 MB of it.
    assert!(
        growth_kb < 32 * 1024,
        "peak memory grew by {growth_kb} kB over {many} points ({:.1} kB a point)",
        growth_kb as f64 / many as f64
    );
}
