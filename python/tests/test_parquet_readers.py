"""Issue 15: every Parquet file counterpulse writes must work in pyarrow, pandas (both
backends), polars and DuckDB, with each column's unit in its Arrow field metadata.

At a9c1813 text columns were `string_view` (pyarrow 26 could not sort, filter, join or export
them), units were only in the file's key/value metadata and dimensionless columns had '' or '1'.
Run against an old binary with COUNTERPULSE_BIN=... to see these fail.
"""

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from conftest import REPO

_spec = importlib.util.spec_from_file_location("check_readers", REPO / ".ci" / "check_readers.py")
check_readers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_readers)


def all_files(run_dir, text_sweep):
    out, _, _ = text_sweep
    return sorted(Path(run_dir).glob("*.parquet")) + sorted(Path(out).rglob("*.parquet"))


def test_every_file_kind_is_written(run_dir, text_sweep):
    names = {p.name for p in all_files(run_dir, text_sweep)}
    for kind in ("beats.parquet", "waveforms.parquet", "events.parquet", "points.parquet", "part-000000.parquet"):
        assert kind in names


def test_text_columns_are_plain_strings(run_dir, text_sweep):
    for p in all_files(run_dir, text_sweep):
        for f in pq.read_schema(p):
            assert not pa.types.is_string_view(f.type), f"{p.name}: {f.name} is {f.type}"


def test_pyarrow_sorts_filters_joins_and_exports_text(run_dir, text_sweep):
    events = pq.read_table(run_dir / "events.parquet")
    events.sort_by([("kind", "ascending"), ("time_s", "ascending")])
    r_waves = events.filter(pc.equal(events["kind"], "r_wave"))
    assert r_waves.num_rows > 10
    assert pq.read_table(run_dir / "events.parquet", filters=[("kind", "==", "r_wave")]).num_rows == r_waves.num_rows
    points = pq.read_table(text_sweep[0] / "points.parquet")
    ok = points.filter(pc.equal(points["status"], "ok")).sort_by("point_id")
    assert ok.num_rows == 8
    beats = pq.read_table(run_dir / "beats.parquet")
    joined = beats.join(beats.group_by("run").aggregate([("beat", "max")]), "run")
    assert joined.num_rows == beats.num_rows
    pcsv.write_csv(events, pa.BufferOutputStream())


def test_pandas_pyarrow_backend_groups_and_queries(run_dir):
    ev = pd.read_parquet(run_dir / "events.parquet", dtype_backend="pyarrow")
    n = ev.groupby("kind").size()
    assert n["r_wave"] > 10
    assert len(ev.query("kind == 'r_wave'")) == n["r_wave"]


def test_units_in_field_metadata_schema_metadata_and_pandas_attrs(run_dir, text_sweep):
    for p in all_files(run_dir, text_sweep):
        schema = pq.read_schema(p)
        units = json.loads(schema.metadata[b"counterpulse.units"])
        for f in schema:
            assert f.metadata and b"unit" in f.metadata, f"{p.name}: {f.name} has no unit"
            assert units[f.name] == f.metadata[b"unit"].decode()
    w = pq.read_schema(run_dir / "waveforms.parquet")
    assert w.field("aortic_root_pressure_mmhg").metadata[b"unit"] == b"mmHg"
    assert w.field("time_s").metadata[b"unit"] == b"s"
    attrs = pd.read_parquet(run_dir / "beats.parquet").attrs
    assert attrs["units"]["cardiac_output_l_min"] == "L/min"


def test_one_convention_for_dimensionless_units(run_dir, text_sweep):
    for p in all_files(run_dir, text_sweep):
        for f in pq.read_schema(p):
            unit = f.metadata[b"unit"].decode()
            if pa.types.is_string(f.type) or pa.types.is_boolean(f.type):
                assert unit == "", f"{p.name}: {f.name}"
            else:
                assert unit != "", f"{p.name}: numeric {f.name} must say '1' when dimensionless"
    beats = pq.read_schema(run_dir / "beats.parquet")
    for c in ("beat", "ejection_fraction", "ffr"):
        assert beats.field(c).metadata[b"unit"] == b"1"
    points = pq.read_schema(text_sweep[0] / "points.parquet")
    for c in ("point_id", "seed"):
        assert points.field(c).metadata[b"unit"] == b"1"


def test_the_ci_reader_check_passes_on_every_file(run_dir, text_sweep):
    for p in all_files(run_dir, text_sweep):
        check_readers.check_file(p)
