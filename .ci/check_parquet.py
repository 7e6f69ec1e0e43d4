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
    # With the balloon the beat's peak is the larger of SBP and the augmented diastolic
    # pressure; a strong augmentation can lift MAP above an unloaded systole.
    peak = pl.max_horizontal("systolic_pressure_mmhg", "augmented_diastolic_pressure_mmhg")
    if not b.select(peak >= pl.col("mean_arterial_pressure_mmhg")).to_series().all():
        fail("the beat's peak (SBP or augmented diastolic pressure) < MAP in some beat")
    if not (b["mean_arterial_pressure_mmhg"] >= b["diastolic_pressure_mmhg"]).all():
        fail("MAP < DBP in some beat")
    if not b["ejection_fraction"].is_between(0.0, 1.0).all():
        fail("EF outside [0, 1]")
    if beats["ffr"].null_count() > 0 or not beats["ffr"].is_between(0.0, 1.0).all():
        fail("ffr must be present and within [0, 1] for every beat")
    if beats["augmented_diastolic_pressure_mmhg"].filter(~beats["assisted"]).null_count() != (~beats["assisted"]).sum():
        fail("unassisted beats must have a null augmented diastolic pressure")
    # The vasodilated replica can carry at least the flow of the bed at its own tone.
    cfr = beats["hyperemic_coronary_flow_ml_min"] / beats["coronary_flow_ml_min"]
    if not (cfr >= 0.999).all():
        fail(f"hyperaemic flow below resting flow in some beat (min CFR {cfr.min()})")
    if not ((cfr - beats["coronary_flow_reserve"]).abs() < 1e-9 * cfr).all():
        fail("coronary_flow_reserve is not hyperaemic / resting flow")
    if pq.ParquetFile(d / "beats.parquet").schema_arrow.field("ffr").type != "double":
        fail("ffr should be a double column")
    # The summary is the time average over the last whole assist period(s) of each run (or whole
    # multi-beat cycles), as many beats as the run says.
    for run, info in manifest["runs"].items():
        period = int(info["assist_period_beats"])
        cycle = int(info["cycle_beats"])
        n = int(info["summary_beats"])
        if n % period or n % cycle or n < int(manifest["scenario"]["steady.summary_beats"]):
            fail(f"{run}: {n} summary beats are not whole assist periods ({period}) and cycles ({cycle})")
        last = beats.filter(pl.col("run") == run).tail(n)
        co = (last["cardiac_output_l_min"] * last["rr_s"]).sum() / last["rr_s"].sum()
        s = manifest["steady_state_summary"][run]["cardiac_output_l_min"]
        if abs(co - s) > 1e-9 * abs(s):
            fail(f"{run}: CO of the last {n} beats {co} differs from the manifest summary {s}")

    w = pl.read_parquet(d / "waveforms.parquet")
    step = manifest["files"]["waveforms.parquet"]["sample_interval_ms"] / 1000.0
    for run in set(w["run"].to_list()):
        dt = w.filter(pl.col("run") == run)["time_s"].diff().drop_nulls()
        if (dt - step).abs().max() > 1e-9:
            fail(f"{run}: waveform samples are not evenly spaced")
    # Blood volumes only: the balloon's helium and the reflex's volume shift are not blood.
    volumes = [c for c in w.columns if c.endswith("_volume_ml")
               and not c.startswith(("balloon_", "baroreflex_", "hyperemic_"))]
    total = w.select(pl.sum_horizontal(volumes)).to_series()
    if (total - total[0]).abs().max() > 1e-6 * total[0]:
        fail(f"blood volume not conserved in waveforms: {total.min()}..{total.max()}")
    co = manifest["steady_state_summary"]["baseline"]["cardiac_output_l_min"]
    runs = set(beats["run"].to_list())
    if "assisted" in runs:
        a = beats.filter(pl.col("run") == "assisted")
        if not a["assisted"].any():
            fail("assisted run without assisted beats")
        if a.filter(pl.col("assisted"))["augmented_diastolic_pressure_mmhg"].null_count() > 0:
            fail("assisted beats lack the augmented diastolic pressure")
        if "balloon_volume_ml" not in w.columns:
            fail("no balloon volume in waveforms")
    ev = pl.read_parquet(d / "events.parquet")
    kinds = set(ev["kind"].to_list())
    for k in ["r_wave", "aortic_valve_open", "aortic_valve_close"]:
        if k not in kinds:
            fail(f"no {k} event")
    print(f"check_parquet: OK ({d}): CO {co:.3f} L/min, blood volume {total[0]:.3f} mL constant")


if __name__ == "__main__":
    main(sys.argv[1])
