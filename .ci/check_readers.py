#!/usr/bin/env python3
"""Every Parquet file counterpulse writes, read the way notebooks read it.

Usage: check_readers.py DIR_OR_FILE...   (folders are searched recursively for *.parquet)

For each file: pyarrow (schema, sort, filter, filters= on read, group, join, CSV export),
pandas with the pyarrow backend (groupby, query, attrs) and with its default backend, polars
(filter, sort, join) and DuckDB (GROUP BY, WHERE, self-join). Checks that text columns are
plain `string`/`large_string`, that every field carries its `unit` in the field metadata and
that the file's `counterpulse.units` map agrees, with one convention: "1" for dimensionless
numbers, "" for text and true/false. Exits non-zero naming the file and the reader on failure.
"""
import io
import json
import sys
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

PLAIN_TEXT = (pa.string(), pa.large_string())


class ReaderFailure(Exception):
    pass


def check(cond, path, what):
    if not cond:
        raise ReaderFailure(f"{path}: {what}")


def keys_of(table):
    """A join key that identifies rows: point_id, (run, beat) or (run, time_s, kind)."""
    names = table.column_names
    for key in (["point_id"], ["run", "beat", "time_s", "kind"], ["run", "time_s"], ["run", "beat"]):
        if all(k in names for k in key):
            return key
    return [names[0]]


def check_file(path):
    path = Path(path)
    table = pq.read_table(path)
    schema = table.schema
    n = table.num_rows
    check(n > 0, path, "no rows")
    # Types and units.
    units = json.loads((schema.metadata or {}).get(b"counterpulse.units", b"null"))
    check(isinstance(units, dict), path, "schema.metadata lacks counterpulse.units")
    file_units = json.loads(pq.read_metadata(path).metadata[b"counterpulse.units"])
    check(file_units == units, path, "file-level and schema-level units differ")
    text = []
    for f in schema:
        check(not pa.types.is_string_view(f.type) and not pa.types.is_binary_view(f.type),
              path, f"{f.name} is {f.type}; readers need plain string")
        unit = (f.metadata or {}).get(b"unit")
        check(unit is not None, path, f"field {f.name} has no unit metadata")
        unit = unit.decode()
        check(units.get(f.name) == unit, path, f"{f.name}: field unit {unit!r} vs map {units.get(f.name)!r}")
        if f.type in PLAIN_TEXT or pa.types.is_boolean(f.type):
            check(unit == "", path, f"{f.name} ({f.type}) has unit {unit!r}, expected ''")
        else:
            check(unit != "", path, f"numeric {f.name} has an empty unit (dimensionless is '1')")
        if f.type in PLAIN_TEXT:
            text.append(f.name)
    # pyarrow: sort, filter, filters= on read, group, join, CSV.
    key = keys_of(table)
    table.sort_by([(k, "ascending") for k in key])
    if text:
        col = text[0]
        value = table[col][0].as_py()
        kept = table.filter(pc.equal(table[col], value))
        check(kept.num_rows >= 1, path, f"pyarrow filter {col} == {value!r} kept nothing")
        via_read = pq.read_table(path, filters=[(col, "==", value)])
        check(via_read.num_rows == kept.num_rows, path, "read_table(filters=...) disagrees")
        counts = table.group_by(col).aggregate([([], "count_all")])
        joined = table.join(counts, col)
        check(joined.num_rows == n, path, "pyarrow join on a text column lost rows")
        table.take([0]).to_pylist()
    self_join = table.select(key).join(table.select(key), key)
    check(self_join.num_rows >= n, path, "pyarrow self-join lost rows")
    buf = io.BytesIO()
    pcsv.write_csv(table, buf)
    check(buf.getvalue().count(b"\n") == n + 1, path, "CSV export")
    # pandas, pyarrow backend and default.
    df = pd.read_parquet(path, dtype_backend="pyarrow")
    check(df.attrs.get("units") == units, path, "pandas attrs['units'] missing or different")
    if text:
        col = text[0]
        g = df.groupby(col).size()
        check(int(g.sum()) == n, path, "pandas (pyarrow) groupby")
        q = df.query(f"{col} == @value")
        check(len(q) == kept.num_rows, path, "pandas (pyarrow) query")
    check(len(pd.read_parquet(path)) == n, path, "pandas default backend")
    # polars.
    p = pl.read_parquet(path)
    check(p.height == n, path, "polars rows")
    if text:
        check(p.filter(pl.col(text[0]) == value).height == kept.num_rows, path, "polars filter")
    check(p.sort(key).join(p.select(key), on=key).height >= n, path, "polars join")
    # DuckDB.
    con = duckdb.connect()
    src = f"read_parquet('{path.as_posix()}')"
    check(con.execute(f"SELECT count(*) FROM {src}").fetchone()[0] == n, path, "duckdb count")
    if text:
        got = con.execute(f"SELECT count(*) FROM {src} WHERE \"{text[0]}\" = ?", [value]).fetchone()[0]
        check(got == kept.num_rows, path, "duckdb WHERE on text")
        con.execute(f"SELECT \"{text[0]}\", count(*) FROM {src} GROUP BY 1 ORDER BY 1").fetchall()
    on = " AND ".join(f'a."{k}" IS NOT DISTINCT FROM b."{k}"' for k in key)
    got = con.execute(f"SELECT count(*) FROM {src} a JOIN {src} b ON {on}").fetchone()[0]
    check(got >= n, path, "duckdb self-join")
    return n, len(schema), text


def files_of(args):
    for a in args:
        p = Path(a)
        if p.is_dir():
            yield from sorted(p.rglob("*.parquet"))
        else:
            yield p


def main(args):
    files = list(files_of(args))
    if not files:
        print("check_readers: FAIL: no Parquet files", file=sys.stderr)
        return 1
    for f in files:
        try:
            n, c, text = check_file(f)
        except ReaderFailure as e:
            print(f"check_readers: FAIL: {e}", file=sys.stderr)
            return 1
        except Exception as e:  # a reader raising is the failure this check exists for
            print(f"check_readers: FAIL: {f}: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
    print(f"check_readers: OK: {len(files)} files read by pyarrow, pandas (pyarrow and default), polars and DuckDB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
