"""Golden rows of `reproduce --all` outputs: every sweep point, and a subsample of beats
(every 25th beat and the last 3 of each run) of every run folder."""
import json, sys, glob, os
import pyarrow.parquet as pq
root, out = sys.argv[1], sys.argv[2]
res = {}
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
    rows = []
    for r in t:
        rows.append({k: v for k, v in r.items() if isinstance(v, (int, float, str)) or v is None})
    res[rel] = rows
json.dump(res, open(out, "w"), indent=0)
print({k: len(v) for k, v in res.items()})
