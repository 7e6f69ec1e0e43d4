"""Issue 15 at the command line: time in beat, text-valued axes, relative axes, --json
summaries, --quiet, plot errors exit 2, and a repository that stands alone. Each test failed at
a9c1813 (run them with COUNTERPULSE_BIN=/path/to/old/counterpulse)."""

import json
import re

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from conftest import REPO, manifest


def svg_texts(path):
    """The text elements of an SVG, stripped."""
    return {t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text())}


# --- waveforms: time in beat -------------------------------------------------------------

def test_waveforms_carry_time_in_beat_from_the_r_wave(run_dir):
    w = pl.read_parquet(run_dir / "waveforms.parquet")
    assert "time_in_beat_s" in w.columns
    assert w["time_in_beat_s"].null_count() == 0
    ev = pl.read_parquet(run_dir / "events.parquet").filter(pl.col("kind") == "r_wave")
    beats = pl.read_parquet(run_dir / "beats.parquet")
    rr_max = beats["rr_s"].max()
    assert w["time_in_beat_s"].min() >= -1e-9 and w["time_in_beat_s"].max() <= rr_max + 1e-9
    # time_s - time_in_beat_s is the time of an R wave of the same run.
    for run in ("baseline", "assisted"):
        starts = (w.filter(pl.col("run") == run)
                  .select((pl.col("time_s") - pl.col("time_in_beat_s")).round(9).unique())
                  .to_series().to_numpy())
        r = ev.filter(pl.col("run") == run)["time_s"].to_numpy()
        for s in starts:
            assert np.abs(r - s).min() < 1e-6, f"{run}: beat start {s} is no R wave"


def test_one_to_two_beats_align_on_time_in_beat(run_dir):
    """The 25-line alignment script of the issue is now a join on time_in_beat_s."""
    w = pl.read_parquet(run_dir / "waveforms.parquet").filter(pl.col("run") == "assisted")
    beats = pl.read_parquet(run_dir / "beats.parquet").filter(pl.col("run") == "assisted")
    w = w.join(beats.select("beat", "assisted"), on="beat")
    grid = (w.with_columns((pl.col("time_in_beat_s") * 1000).round(0).cast(pl.Int64).alias("ms"))
            .group_by("ms", "assisted").agg(pl.col("aortic_root_pressure_mmhg").mean())
            .pivot(on="assisted", index="ms", values="aortic_root_pressure_mmhg")
            .drop_nulls().sort("ms"))
    # Diastolic augmentation: the assisted beat's diastolic peak is well above the unassisted one.
    late = grid.filter(pl.col("ms") > grid["ms"].max() * 0.5)
    assert (late["true"] - late["false"]).max() > 10.0


# --- text-valued axes --------------------------------------------------------------------

def test_sweep_summary_breaks_the_gain_down_by_text_axes(text_sweep):
    _, _, p = text_sweep
    assert re.search(r"mean gain by iabp_timing: auto → [+-]\d\.\d+, r-wave → ", p.stdout), p.stdout
    assert re.search(r"mean gain by iabp_ratio: 1:1 → [+-]\d\.\d+, 1:2 → ", p.stdout), p.stdout


def test_where_filters_on_text(cli, text_sweep, tmp_path):
    out = text_sweep[0]
    p = cli("plot", "lines", out, "--x", "heart_rate_bpm", "--y", "delta_cardiac_output_l_min",
            "--where", "iabp_timing=auto", "--where", "iabp_ratio=1:2", "--out", tmp_path / "w")
    assert (tmp_path / "w.png").exists() and (tmp_path / "w.svg").exists(), p.stdout
    assert any("1:2" in t for t in svg_texts(tmp_path / "w.svg"))


def test_lines_by_a_text_axis_has_one_line_per_value(cli, text_sweep, tmp_path):
    out = text_sweep[0]
    cli("plot", "lines", out, "--x", "heart_rate_bpm", "--y", "delta_cardiac_output_l_min",
        "--by", "iabp_timing", "--where", "iabp_ratio=1:1", "--out", tmp_path / "l")
    assert {"auto", "r-wave"} <= svg_texts(tmp_path / "l.svg")


def test_heatmap_over_text_axes_labels_its_ticks(cli, text_sweep, tmp_path):
    out = text_sweep[0]
    cli("plot", "heatmap", out, "--x", "iabp_ratio", "--y", "iabp_timing",
        "--z", "delta_cardiac_output_l_min", "--out", tmp_path / "h")
    texts = svg_texts(tmp_path / "h.svg")
    assert {"1:1", "1:2", "auto", "r-wave"} <= texts
    # Cells: the mean over heart rate of each (ratio, timing) pair, from the table itself.
    df = pl.read_parquet(out / "points.parquet")
    cell = df.filter((pl.col("iabp_ratio") == "1:2") & (pl.col("iabp_timing") == "auto"))
    assert f"{cell['delta_cardiac_output_l_min'].mean():+.2f}" in texts


def test_plot_errors_exit_2(cli, run_dir, text_sweep):
    # Baseline runs have no augmented diastole: the column is null at every ok point, so the
    # data cannot make the figure. That is the user's choice of column: exit 2, named.
    p = cli("plot", "lines", text_sweep[0], "--x", "heart_rate_bpm",
            "--y", "baseline_augmented_diastolic_pressure_mmhg", check=False)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "augmented diastolic" in p.stderr
    p = cli("plot", "lines", text_sweep[0], "--x", "heart_rate_bpm", "--y", "delta_cardiac_output_l_min",
            "--where", "heart_rate_bpm=fast", check=False)
    assert p.returncode == 2 and "not a number" in p.stderr


# --- relative axes -----------------------------------------------------------------------

def test_relative_axis_varies_around_the_preset(cli, tmp_path):
    spec = tmp_path / "rel.toml"
    spec.write_text('[sweep]\nname = "rel"\npreset = "cardiogenic-shock"\n'
                    '[axes]\n"systemic.resistance_scale" = { relative = [0.8, 1.0, 1.2] }\n')
    cli("sweep", spec, "--out", tmp_path / "out", "--threads", "2")
    base = {r["key"]: r["value"] for r in json.loads(cli("params", "--preset", "cardiogenic-shock", "--json").stdout)}
    r0 = base["systemic.resistance_scale"]
    assert r0 != 1.0
    df = pl.read_parquet(tmp_path / "out" / "points.parquet")
    got = df.sort("point_id")["systemic_resistance_scale"].to_list()
    assert got == pytest.approx([0.8 * r0, r0, 1.2 * r0], rel=1e-9)
    # The middle point is the preset itself.
    sim = json.loads(cli("simulate", "--preset", "cardiogenic-shock", "--json").stdout)
    assert df["baseline_cardiac_output_l_min"][1] == pytest.approx(sim["baseline"]["cardiac_output_l_min"], rel=1e-12)
    axis = manifest(tmp_path / "out")["axes"][0]
    assert axis["relative"] == {"factors": [0.8, 1.0, 1.2], "base_value": r0}


# --- --json and --quiet ------------------------------------------------------------------

def test_sweep_merge_and_reproduce_print_json(cli, tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('[sweep]\nname = "j"\npreset = "healthy"\nchunk_size = 2\n[axes]\n"heart.rate_bpm" = [60, 70, 80]\n')
    out = tmp_path / "out"
    s = json.loads(cli("sweep", spec, "--out", out, "--shard", "0/2", "--json").stdout)
    assert s["points_run"] == 2 and s["merged"] is False and s["counts"]["ok"] == 2
    cli("sweep", spec, "--out", out, "--shard", "1/2")
    m = json.loads(cli("merge", out, "--json").stdout)
    # every status is counted, ok or not (issue 13 added ok_with_alarms, no_assist, budget_exceeded)
    assert m["points"] == 3 and m["counts"]["ok"] == 3
    assert set(m["counts"]) >= {"ok", "ok_with_alarms", "no_assist", "not_converged", "budget_exceeded", "failed"}
    assert sum(m["counts"].values()) == 3
    assert m["files"]["points"].endswith("points.parquet")
    r = json.loads(cli("reproduce", "waveform-1-2", "--out", tmp_path / "rep", "--json", cwd=REPO).stdout)
    assert r["experiments"] == ["waveform-1-2"] and r["passed"] is True
    assert all({"quantity", "observed", "published", "verdict"} <= set(row) for row in r["rows"])


def test_quiet_prints_nothing_but_json(cli, tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('[sweep]\nname = "q"\npreset = "healthy"\n[axes]\n"heart.rate_bpm" = [60, 70]\n')
    p = cli("sweep", spec, "--out", tmp_path / "out", "--quiet")
    assert p.stdout == "" and p.stderr == ""
    p = cli("sweep", spec, "--out", tmp_path / "out2", "--quiet", "--json")
    assert json.loads(p.stdout)["counts"]["ok"] == 2 and p.stderr == ""
    p = cli("simulate", "--preset", "healthy", "--out", tmp_path / "run", "--quiet")
    assert p.stdout == "" and (tmp_path / "run" / "manifest.json").exists()


# --- the repository stands alone ---------------------------------------------------------

def test_licence_files_and_citation():
    assert "MIT License" in (REPO / "LICENSE-MIT").read_text()
    assert "Apache License" in (REPO / "LICENSE-APACHE").read_text()
    cff = (REPO / "CITATION.cff").read_text()
    for key in ("cff-version:", "title:", "authors:", "license: MIT OR Apache-2.0", "repository-code:"):
        assert key in cff


def test_readme_cites_no_documents_outside_the_repository():
    readme = (REPO / "README.md").read_text()
    assert not re.search(r"shared/|design\.md|physiology-targets|/work/", readme)
    for target in re.findall(r"\]\(([^)#]+)", readme):
        if not target.startswith(("http://", "https://", "mailto:")):
            assert (REPO / target).exists(), f"README links to {target}, which is not in the repository"
