#!/usr/bin/env python3
"""Cross-check of a counterpulse sweep output folder with readers the project did not write.

Usage: check_sweep.py SWEEP_DIR [--expect-points N]

Reads points.parquet with pyarrow and polars and checks: the same rows through both readers,
units metadata for every column, point ids 0..N-1 once each, statuses, nulls where a point
failed, delta_* = assisted_* - baseline_* recomputed here, SBP >= MAP >= DBP and 0 <= EF <= 1 on
ok rows (max(SBP, augmented diastolic) >= MAP with the balloon), and the manifest's counts. Exits non-zero on any failure.
"""
import json
import sys
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

STATUSES = ("ok", "ok_with_alarms", "no_assist", "not_converged", "budget_exceeded", "failed")
UNIT_SUFFIXES = ("_mmhg", "_ml", "_ml_s", "_ml_min", "_l_min", "_bpm", "_ms", "_s", "_percent",
                 "_w", "_mmhg_ml", "_mmhg_s_min", "_dyn_s_cm5", "_mmhg_ml")


def fail(msg):
    print(f"check_sweep: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def main(argv):
    d = Path(argv[1])
    expect = int(argv[argv.index("--expect-points") + 1]) if "--expect-points" in argv else None
    path = d / "points.parquet"
    manifest = json.loads((d / "manifest.json").read_text())
    pf = pq.ParquetFile(path)
    meta = pf.metadata.metadata or {}
    for key in (b"counterpulse.units", b"counterpulse.sweep_spec"):
        if key not in meta:
            fail(f"{path}: no {key.decode()} metadata")
    units = json.loads(meta[b"counterpulse.units"])
    table = pf.read()
    df = pl.read_parquet(path)
    if table.num_rows != df.height or table.column_names != df.columns:
        fail("pyarrow and polars disagree on the table's shape")
    n = df.height
    if expect is not None and n != expect:
        fail(f"{n} rows, expected {expect}")
    if manifest["points"] != n:
        fail(f"manifest says {manifest['points']} points, file has {n}")
    for c in df.columns:
        if c not in units:
            fail(f"column {c} has no unit in the metadata")
    for c in ("point_id", "seed", "status", "message"):
        if c not in df.columns:
            fail(f"no column {c}")
    ids = df["point_id"].to_list()
    if ids != list(range(n)):
        fail("point_id is not 0..N-1 in order, each once")
    statuses = set(df["status"].unique().to_list())
    if not statuses <= set(STATUSES):
        fail(f"unexpected statuses {statuses}")
    for s in STATUSES:
        got = df.filter(pl.col("status") == s).height
        if manifest["counts"][s] != got:
            fail(f"manifest counts {s} = {manifest['counts'][s]}, file has {got}")
    metrics = [c[len("delta_"):] for c in df.columns if c.startswith("delta_")]
    if not metrics:
        fail("no delta_* columns")
    failed = df.filter(pl.col("status").is_in(["failed", "budget_exceeded"]))
    if failed.height and failed.select(pl.col(f"delta_{metrics[0]}").is_not_null().any()).item():
        fail("a failed point carries metrics")
    doubtful = df.filter(pl.col("status") != "ok")
    if doubtful.height and (doubtful["message"].str.len_chars() == 0).any():
        fail("a point that is not ok has no message")
    for c in ("alarms_raised", "alarm_kinds", "balloon_delivered_fraction"):
        if c not in df.columns:
            fail(f"no column {c}")
    no_assist = df.filter(pl.col("status") == "no_assist")
    if no_assist.height and (no_assist["balloon_delivered_fraction"] >= 0.5).any():
        fail("a no_assist point with the balloon delivering")
    ok = df.filter(pl.col("status") == "ok")
    for m in metrics:
        b, a, dl = ok[f"baseline_{m}"], ok[f"assisted_{m}"], ok[f"delta_{m}"]
        diff = (a - b - dl).abs().max()
        if diff is not None and diff > 1e-9 * max(1.0, a.abs().max() or 0.0):
            fail(f"delta_{m} != assisted - baseline (max error {diff})")
    for pre in ("baseline", "assisted"):
        cols = [f"{pre}_systolic_pressure_mmhg", f"{pre}_mean_arterial_pressure_mmhg",
                f"{pre}_diastolic_pressure_mmhg"]
        if all(c in ok.columns for c in cols):
            peak = pl.col(cols[0])
            aug = f"{pre}_augmented_diastolic_pressure_mmhg"
            if aug in ok.columns:
                # With the balloon, the augmented diastolic peak can exceed the ejection peak
                # and pull MAP above systolic: the beat's peak bounds MAP, not systole's.
                peak = pl.max_horizontal(peak, pl.col(aug).fill_null(peak))
            bad = ok.filter((peak < pl.col(cols[1])) | (pl.col(cols[1]) < pl.col(cols[2])))
            if bad.height:
                fail(f"{pre}: SBP >= MAP >= DBP broken at points {bad['point_id'].to_list()[:10]}")
        ef = f"{pre}_ejection_fraction"
        if ef in ok.columns and ok.filter((pl.col(ef) < 0) | (pl.col(ef) > 1)).height:
            fail(f"{pre}: EF outside 0..1")
    gain = "delta_cardiac_output_l_min"
    summary = ""
    if gain in ok.columns and ok.height:
        summary = f", CO gain {ok[gain].min():+.3f} to {ok[gain].max():+.3f} L/min"
    counts = ", ".join(f"{s} {manifest['counts'][s]}" for s in STATUSES)
    print(f"check_sweep: OK: {path}: {n} points ({counts}), "
          f"{len(df.columns)} columns with units{summary}")


if __name__ == "__main__":
    main(sys.argv)
