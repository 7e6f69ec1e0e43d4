# %% [markdown]
# # counterpulse in a notebook
#
# A notebook in `# %%` cells (open it in VS Code or Jupyter with Jupytext, or run it as a
# script: `python examples/notebook.py [OUT_DIR]`). It needs `pip install .` (the package),
# matplotlib, pandas, pyarrow and duckdb. CI runs it.

# %%
import sys
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402

import counterpulse as cp  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else "notebooks-data/notebook-example")
out.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## One scenario: cardiogenic shock with the balloon at 1:2

# %%
r = cp.simulate(preset="cardiogenic-shock", set={"iabp.enabled": True, "iabp.ratio": "1:2"})
print(r)
print(r.summary.select("run", "cardiac_output_l_min", "mean_arterial_pressure_mmhg",
                       "augmented_diastolic_pressure_mmhg", "coronary_flow_ml_min"))

# %% [markdown]
# At 1:2 every other diastole is augmented. `time_in_beat_s` puts all beats on one axis, so
# the assisted and the unassisted beats overlay without any alignment code.

# %%
beats = r.beats.filter(pl.col("run") == "assisted").select("beat", "assisted")
w = r.waveforms.filter(pl.col("run") == "assisted").join(beats, on="beat")
fig, ax = plt.subplots(figsize=(3.5, 2.6), dpi=150)
for (beat, assisted), g in w.group_by("beat", "assisted", maintain_order=True):
    ax.plot(g["time_in_beat_s"], g["aortic_root_pressure_mmhg"],
            color="#E69F00" if assisted else "#000000", lw=0.8, alpha=0.8)
ax.plot([], [], color="#E69F00", label="diastole assisted")
ax.plot([], [], color="#000000", label="unassisted")
ax.set_xlabel(f"Time in beat ({r.units['time_in_beat_s']})")
ax.set_ylabel(f"Aortic pressure ({r.units['aortic_root_pressure_mmhg']})")
ax.legend(frameon=False, fontsize=7)
fig.tight_layout()
fig.savefig(out / "one-to-two-overlay.png")
peak = w.group_by("assisted").agg(pl.col("aortic_root_pressure_mmhg").max())
print("peak aortic pressure, assisted vs unassisted beats:", dict(peak.iter_rows()))

# %% [markdown]
# ## A sweep around the preset: systemic resistance x 0.8 ... 1.2, balloon volume

# %%
spec = """
[sweep]
name = "resistance-volume"
preset = "cardiogenic-shock"
[set]
iabp.enabled = true
[axes]
"systemic.resistance_scale" = { relative = [0.8, 1.0, 1.2] }
"iabp.volume_ml" = [30, 40]
"""
points = cp.sweep(toml=spec, threads=2)
ok = points.filter(pl.col("status") == "ok")
print(ok.pivot(on="iabp_volume_ml", index="systemic_resistance_scale",
               values="delta_cardiac_output_l_min"))

# %% [markdown]
# The same table in pandas and DuckDB.

# %%
pdf = ok.to_pandas()
print(pdf.groupby("iabp_volume_ml")["delta_cardiac_output_l_min"].mean())
print(duckdb.sql("SELECT iabp_volume_ml, avg(delta_mean_arterial_pressure_mmhg) AS dmap "
                 "FROM ok GROUP BY 1 ORDER BY 1").fetchall())
print("wrote", out / "one-to-two-overlay.png")
