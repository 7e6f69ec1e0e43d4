"""Golden rows of `reproduce --all` outputs: every sweep point, and a subsample of beats
(every 25th beat and the last 3 of each run) of every run folder, column by column.

    counterpulse reproduce --all --out /tmp/golden-run
    python3 crates/cli/tests/golden/capture.py /tmp/golden-run crates/cli/tests/golden/reproduce.json
"""
import json, sys, glob, os
import pyarrow.parquet as pq

root, out_path = sys.argv[1], sys.argv[2]
out = {}
for f in sorted(glob.glob(f"{root}/**/*.parquet", recursive=True)):
    rel = os.path.relpath(f, root)
    base = os.path.basename(f)
    if base not in ("beats.parquet", "points.parquet") or "/parts/" in f:
        continue
    t = pq.read_table(f).to_pylist()
    if base == "beats.parquet":
        keep = []
        for run in sorted({r["run"] for r in t}):
            rows = [r for r in t if r["run"] == run]
            last = {r["beat"] for r in rows[-3:]}
            keep += [r for r in rows if r["beat"] % 25 == 0 or r["beat"] in last]
        t = keep
    cols = {c: [r.get(c) for r in t] for c in t[0] if "wall" not in c}
    cols = {c: v for c, v in cols.items() if all(isinstance(x, (int, float, str, bool)) or x is None for x in v)}
    out[rel] = cols
with open(out_path, "w") as fh:
    fh.write("{\n")
    items = list(out.items())
    for i, (k, cols) in enumerate(items):
        fh.write(json.dumps(k) + ": {\n")
        fh.write(",\n".join(json.dumps(c) + ":" + json.dumps(v, separators=(",", ":")) for c, v in cols.items()))
        fh.write("\n}" + ("," if i < len(items) - 1 else "") + "\n")
    fh.write("}\n")
print({k: len(next(iter(v.values()))) for k, v in out.items()})
