"""The Python package: the same numbers as the command line, in-process, with the command
line's error messages, polars DataFrames out, and the GIL released while simulating."""

import json
import threading
import time

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

import counterpulse as cp
from counterpulse import _native
from conftest import TEXT_SWEEP


SET = {"iabp.enabled": True, "iabp.ratio": "1:2", "heart.rate_bpm": 100, "iabp.volume_ml": 40.0}
CLI_SET = [a for k, v in SET.items() for a in ("--set", f"{k}={str(v).lower() if isinstance(v, bool) else v}")]


@pytest.fixture(scope="module")
def shock():
    return cp.simulate(preset="cardiogenic-shock", set=SET)


def test_summary_equals_the_command_lines_json(cli, shock):
    ref = json.loads(cli("simulate", "--preset", "cardiogenic-shock", *CLI_SET, "--json").stdout)
    assert shock.summary["run"].to_list() == ["baseline", "assisted", "delta"]
    for row in shock.summary.iter_rows(named=True):
        for metric, value in ref[row["run"]].items():
            assert row[metric] == value, f"{row['run']}.{metric}: {row[metric]} vs {value}"
    assert shock.runs["assisted"]["beats_to_steady_state"] == ref["run"]["assisted"]["beats_to_steady_state"]
    assert shock.scenario["overrides"] == ref["scenario"]["overrides"]


def test_tables_equal_the_command_lines_parquet(cli, shock, tmp_path):
    cli("simulate", "--preset", "cardiogenic-shock", *CLI_SET, "--out", tmp_path / "run")
    for name in ("beats", "waveforms", "events"):
        ours = getattr(shock, name)
        theirs = pl.read_parquet(tmp_path / "run" / f"{name}.parquet")
        assert_frame_equal(ours, theirs)
    units = cp.units(tmp_path / "run" / "waveforms.parquet")
    assert {c: shock.units[c] for c in units} == units


def test_a_sweep_from_python_equals_counterpulse_sweep(cli, tmp_path):
    spec = tmp_path / "text.toml"
    spec.write_text(TEXT_SWEEP)
    cli("sweep", spec, "--out", tmp_path / "cli", "--threads", "1")
    df = cp.sweep(spec, threads=2, out=tmp_path / "py")
    theirs = pl.read_parquet(tmp_path / "cli" / "points.parquet")
    assert_frame_equal(df, theirs)
    # Same writer, same spec: the files are byte-identical whatever the thread count.
    assert (tmp_path / "py" / "points.parquet").read_bytes() == (tmp_path / "cli" / "points.parquet").read_bytes()
    # Without `out`: same table, and no folder left behind.
    assert_frame_equal(cp.sweep(toml=TEXT_SWEEP), theirs)


def test_params_and_presets_match_the_command_line(cli):
    ref = json.loads(cli("params", "--preset", "healthy", "--json").stdout)
    p = cp.params(preset="healthy")
    assert p.columns == ["key", "value", "unit", "range", "description"]
    assert p["key"].to_list() == [r["key"] for r in ref]
    assert p["range"].to_list() == [r["allowed"] for r in ref]
    hr = p.filter(pl.col("key") == "heart.rate_bpm").row(0, named=True)
    assert hr["value"] == "72" and hr["unit"] == "bpm"
    names = [line.split()[0] for line in cli("presets").stdout.splitlines() if line.strip()]
    assert cp.presets()["name"].to_list() == names


@pytest.mark.parametrize("kwargs, cli_args", [
    ({"preset": "healthy", "set": {"heart.rate_bpm": 400}}, ["--preset", "healthy", "--set", "heart.rate_bpm=400"]),
    ({"preset": "healthy", "set": {"heart.rate": 90}}, ["--preset", "healthy", "--set", "heart.rate=90"]),
    ({"preset": "healthy", "set": {"iabp.ratio": "1:9"}}, ["--preset", "healthy", "--set", "iabp.ratio=1:9"]),
    ({"preset": "no-such-preset"}, ["--preset", "no-such-preset"]),
])
def test_bad_input_raises_value_error_with_the_cli_message(cli, kwargs, cli_args):
    p = cli("simulate", *cli_args, check=False)
    assert p.returncode == 2
    message = p.stderr.strip().removeprefix("error: ")
    with pytest.raises(ValueError) as e:
        cp.simulate(**kwargs)
    assert str(e.value) == message


def test_bad_sweeps_and_types_raise(tmp_path):
    with pytest.raises(ValueError, match="is empty"):
        cp.sweep(toml='[axes]\n"heart.rate_bpm" = []\n')
    with pytest.raises(ValueError, match="allowed 1 to"):
        cp.sweep(toml='[axes]\n"heart.rate_bpm" = [60]\n', threads=0)
    with pytest.raises(TypeError, match="heart.rate_bpm"):
        cp.simulate(set={"heart.rate_bpm": [1, 2]})
    with pytest.raises(ValueError, match="cannot read"):
        cp.sweep(tmp_path / "missing.toml")


def test_results_are_polars_frames_that_pandas_and_pyarrow_take(shock):
    assert isinstance(shock.waveforms, pl.DataFrame)
    pdf = shock.summary.to_pandas()
    assert list(pdf["run"]) == ["baseline", "assisted", "delta"]
    t = pa.table(_native.simulate(preset="healthy", waveforms=False, events=False)["beats"])
    assert t.schema.field("cardiac_output_l_min").metadata[b"unit"] == b"L/min"
    assert shock.units["time_in_beat_s"] == "s" and shock.units["run"] == ""


def test_numeric_columns_are_shared_not_copied():
    """polars imports the Arrow C stream: a float column's buffer address is the Rust one."""
    t = _native.simulate(preset="healthy", beats=False, events=False)["waveforms"]
    a = pa.table(t).column("time_s").chunk(0).buffers()[1].address
    b = pa.table(t).column("time_s").chunk(0).buffers()[1].address
    assert a == b, "both imports point at the same memory"
    df = pl.DataFrame(t)
    assert df["time_s"].to_arrow().buffers()[1].address == a


def test_the_gil_is_released_while_simulating():
    done = threading.Event()
    result = {}

    def work():
        result["r"] = cp.simulate(preset="cardiogenic-shock", set={"iabp.enabled": True}, waveforms=False, events=False)
        done.set()

    t = threading.Thread(target=work)
    ticks = 0
    t.start()
    start = time.perf_counter()
    while not done.is_set():
        ticks += 1
    elapsed = time.perf_counter() - start
    t.join()
    assert result["r"].runs["assisted"]["converged"]
    # Holding the GIL, the model would let this loop run only between Python bytecodes of
    # the other thread, i.e. hardly at all while Rust works.
    assert elapsed > 0.01 and ticks > 10_000, (elapsed, ticks)


def test_docstrings_and_type_hints():
    for f in (cp.simulate, cp.sweep, cp.params, cp.presets, cp.units):
        assert f.__doc__ and len(f.__doc__) > 40
        assert "return" in f.__annotations__
    import importlib.resources as r
    files = {p.name for p in r.files("counterpulse").iterdir()}
    assert {"_native.pyi", "py.typed"} <= files
