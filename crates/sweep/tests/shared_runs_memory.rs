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
    // Warm up (thread pool, presets, the first chunk's buffers), then two sweeps, the second
    // with four times the points: what a sweep holds per point shows as the peak's growth
    // between them. The peak also moves by up to 30 MB with the machine's load (two other busy
    // processes on 2 cores; 0-11 MB idle): the allocator's per-thread arenas, not the sweep's
    // data, so the second sweep is long enough for a per-point growth to stand far above that.
    let few = run_shard(200, &dir.join("few"));
    if peak_kb().is_none() {
        eprintln!("no VmHWM in /proc/self/status (a sandbox without it): not measured");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let half = run_shard(3000, &dir.join("half"));
    let after_half = peak_kb().unwrap_or(0);
    let many = run_shard(12000, &dir.join("many"));
    let growth_kb = peak_kb().unwrap_or(0).saturating_sub(after_half);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        few > 0 && half > 1400 && many > 5900,
        "{few}, {half} and {many} points run"
    );
    let extra = many - half;
    eprintln!("peak memory grew by {growth_kb} kB from {half} to {many} points");
    // Old code (84568b6): 189 MB here, 42 kB a point.
    assert!(
        growth_kb < 64 * 1024,
        "peak memory grew by {growth_kb} kB from {half} to {many} points ({:.1} kB a point more)",
        growth_kb as f64 / extra as f64
    );
}
