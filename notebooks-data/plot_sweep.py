#!/usr/bin/env python3
"""Reads a counterpulse sweep with polars and draws the CO gain against heart rate, one line
per balloon volume (mean over the other axes), as a notebook would.

Usage: python3 notebooks-data/plot_sweep.py [SWEEP_DIR] [OUT.png]
       (defaults: notebooks-data/default-sweep, SWEEP_DIR/figures/python-co-gain.png)
Needs: pip install polars pyarrow matplotlib
"""
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

sweep = Path(sys.argv[1] if len(sys.argv) > 1 else "notebooks-data/default-sweep")
out = Path(sys.argv[2]) if len(sys.argv) > 2 else sweep / "figures" / "python-co-gain.png"

points = sweep / "points.parquet"
units = json.loads(pq.ParquetFile(points).metadata.metadata[b"counterpulse.units"])
df = pl.read_parquet(points)
ok = df.filter(pl.col("status") == "ok")
print(f"{points}: {df.height} points, {ok.height} ok; "
      f"delta_cardiac_output_l_min in {units['delta_cardiac_output_l_min']}")

gain = (
    ok.group_by(["iabp_volume_ml", "heart_rate_bpm"])
    .agg(pl.col("delta_cardiac_output_l_min").mean().alias("gain_l_min"))
    .sort(["iabp_volume_ml", "heart_rate_bpm"])
)
# Okabe-Ito palette (colour-blind safe), as in counterpulse's own figures.
palette = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7"]
fig, ax = plt.subplots(figsize=(3.5, 3.0), dpi=300)
for i, ((vol,), g) in enumerate(gain.group_by(["iabp_volume_ml"], maintain_order=True)):
    ax.plot(g["heart_rate_bpm"], g["gain_l_min"], marker="o", ms=3, lw=1.2,
            color=palette[i % len(palette)], label=f"{vol:g} mL")
ax.axhline(0.5, color="0.5", lw=0.8, ls=":", label="Hajjar 2019 (+0.5)")
ax.set_xlabel("Heart rate (bpm)", fontsize=8)
ax.set_ylabel("Δ cardiac output (L/min)", fontsize=8)
ax.tick_params(labelsize=7)
# Legend above the axes, so that it never covers a line.
ax.legend(fontsize=6, frameon=False, ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.0))
for side in ("top", "right"):
    ax.spines[side].set_visible(False)
fig.tight_layout()
out.parent.mkdir(parents=True, exist_ok=True)
fig.savefig(out)
print(f"wrote {out}")
