#!/usr/bin/env python3
"""Cross-check of counterpulse's Parquet output with readers the project did not write.

Usage: check_parquet.py RUN_DIR

Reads beats/waveforms/events.parquet with pyarrow and polars, checks the columns, the units
metadata, the manifest's row counts and a few physical invariants, and exits non-zero on any
failure.
"""
import json
import sys
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq


def fail(msg):
    print(f"check_parquet: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def main(run_dir):
    d = Path(run_dir)
    manifest = json.loads((d / "manifest.json").read_text())
    for name in ["beats", "waveforms", "events"]:
        path = d / f"{name}.parquet"
        pf = pq.ParquetFile(path)
        meta = pf.metadata.metadata or {}
        if b"counterpulse.units" not in meta:
            fail(f"{path}: no counterpulse.units metadata")
        units = json.loads(meta[b"counterpulse.units"])
        table = pf.read()
        df = pl.read_parquet(path)
        if table.num_rows != df.height:
            fail(f"{path}: pyarrow {table.num_rows} rows, polars {df.height}")
        rows = manifest["files"][f"{name}.parquet"]["rows"]
        if rows != df.height:
            fail(f"{path}: manifest says {rows} rows, file has {df.height}")
        for c in df.columns:
            if c not in units:
                fail(f"{path}: column {c} has no unit")
        print(f"{name}.parquet: {df.height} rows x {len(df.columns)} columns (pyarrow and polars agree)")

    beats = pl.read_parquet(d / "beats.parquet")
    required = [
        "beat", "heart_rate_bpm", "cardiac_output_l_min", "stroke_volume_ml",
        "systolic_pressure_mmhg", "diastolic_pressure_mmhg", "mean_arterial_pressure_mmhg",
        "lv_end_diastolic_volume_ml", "lv_end_systolic_volume_ml", "ejection_fraction",
        "pcwp_mmhg", "cvp_mmhg", "cardiac_power_output_w",
    ]
    for c in required:
        if c not in beats.columns:
            fail(f"beats.parquet lacks {c}")
    b = beats.filter(pl.col("beat") > 0)
    if not (b["systolic_pressure_mmhg"] >= b["mean_arterial_pressure_mmhg"]).all():
        fail("SBP < MAP in some beat")
    if not (b["mean_arterial_pressure_mmhg"] >= b["diastolic_pressure_mmhg"]).all():
        fail("MAP < DBP in some beat")
    if not b["ejection_fraction"].is_between(0.0, 1.0).all():
        fail("EF outside [0, 1]")
    if beats["ffr"].null_count() != beats.height:
        fail("ffr should be null until the coronary bed exists")
    if pq.ParquetFile(d / "beats.parquet").schema_arrow.field("ffr").type != "double":
        fail("ffr should be a double column")
    last = beats.tail(1)
    co = last["cardiac_output_l_min"][0]
    s = manifest["steady_state_summary"]["baseline"]["cardiac_output_l_min"]
    if abs(co - s) > 1e-9 * abs(s):
        fail(f"last beat CO {co} differs from the manifest summary {s}")

    w = pl.read_parquet(d / "waveforms.parquet")
    dt = w["time_s"].diff().drop_nulls()
    step = manifest["files"]["waveforms.parquet"]["sample_interval_ms"] / 1000.0
    if (dt - step).abs().max() > 1e-9:
        fail("waveform samples are not evenly spaced")
    volumes = [c for c in w.columns if c.endswith("_volume_ml")]
    total = w.select(pl.sum_horizontal(volumes)).to_series()
    if (total - total[0]).abs().max() > 1e-6 * total[0]:
        fail(f"blood volume not conserved in waveforms: {total.min()}..{total.max()}")
    ev = pl.read_parquet(d / "events.parquet")
    kinds = set(ev["kind"].to_list())
    for k in ["r_wave", "aortic_valve_open", "aortic_valve_close"]:
        if k not in kinds:
            fail(f"no {k} event")
    print(f"check_parquet: OK ({d}): CO {co:.3f} L/min, blood volume {total[0]:.3f} mL constant")


if __name__ == "__main__":
    main(sys.argv[1])
