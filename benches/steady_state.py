#!/usr/bin/env python3
"""The default sweep's cost and its steady states, side by side for several builds.

    python3 benches/steady_state.py --bin new=target/release/counterpulse \
        --bin old=/path/to/old/counterpulse [--rounds 3] [--threads 2] [--rev a9c1813] \
        [--spec NAME=SWEEP.toml]

Runs `counterpulse sweep` (the embedded default sweep, or a `--spec` file) with every binary, interleaved
(A B C, A B C, ...: load from other processes hits all of them alike), and prints a Markdown
table per binary: CPU time (user + system of the child, each round), wall time, the median,
90th percentile and largest beats to steady state of the baseline and assisted runs, the points'
statuses, the mean cardiac-output gain, and the largest difference of each point's gain from the
first binary's. `--rev REV` builds that commit of this repository first (a git worktree under
target/bench-revs/<full commit id>, `cargo build --release -p counterpulse`: ~10 min on 2
cores) and adds it as `REV`. The beats are the points' `*_beats_to_steady_state` columns; before
2026-12-02 (issue 14) those held the beats simulated, 2 more at the default
`steady.summary_beats`. Issue 14's targets are read off this table: median beats <= 12 at the default tolerance,
and the sweep 4x faster than a9c1813 measured in one sitting.

`--spec NAME=FILE` runs the sweep spec FILE with build NAME instead of its embedded default
sweep. With `--bin` the same binary can appear twice under two names, e.g. main on
benches/a9c1813-physiology.toml (a9c1813's default sweep with the controllers added since
switched off) next to `--rev a9c1813` on its own default: the acceleration compared on the
physiology both builds have. The last column compares gains at the same heart rate, balloon
volume and stenosis, only between builds that ran the same sweep file (or their defaults).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent


def build_rev(rev: str) -> Path:
    """The release binary of commit `rev` (built once into target/bench-revs/<commit id>)."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    tree = ROOT / "target" / "bench-revs" / commit
    binary = tree / "target" / "release" / "counterpulse"
    if binary.exists():
        return binary
    if not tree.exists():
        # A worktree whose folder was removed (cargo clean) is still registered: forget it.
        subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], check=True)
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit],
            check=True,
        )
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "-p", "counterpulse"], cwd=tree, check=True
    )
    return binary


def run_once(binary: Path, spec: Path | None, out: Path, threads: int) -> tuple[float, float]:
    """CPU seconds (user + system of the child) and wall seconds of one sweep: `spec`, or the
    binary's embedded default sweep."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # No `--quiet`: older builds (a9c1813) do not have it; progress bars need a terminal.
    file = [str(spec)] if spec else []
    done = subprocess.run(
        [str(binary), "sweep", *file, "--out", str(out), "--force", "--threads", str(threads)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{binary} sweep failed ({done.returncode}):\n{done.stderr}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def summary(points: Path) -> dict:
    # A point is named by its axis values (the columns between `point_id` and `seed`), so that
    # points of two builds' sweeps compare where the sweeps share them (a9c1813's default sweep
    # has other stenoses than today's: its point ids mean other points).
    names = pq.read_schema(points).names
    axes = names[names.index("point_id") + 1 : names.index("seed")]
    t = pq.read_table(
        points,
        columns=[
            *axes,
            "status",
            "baseline_beats_to_steady_state",
            "assisted_beats_to_steady_state",
            "baseline_cardiac_output_l_min",
            "assisted_cardiac_output_l_min",
        ],
    ).to_pydict()

    def beats(name):
        v = sorted(x for x in t[name] if x is not None)
        if not v:
            return "-"
        p90 = v[min(len(v) - 1, int(0.9 * len(v)))]
        return f"{statistics.median(v):g} / {p90:g} / {v[-1]:g}"

    statuses: dict[str, int] = {}
    for s in t["status"]:
        statuses[s] = statuses.get(s, 0) + 1
    gains = {}
    keys = list(zip(*(t[a] for a in axes)))
    if len(set(keys)) != len(keys):
        raise SystemExit(f"{points}: points share axis values {tuple(axes)}; cannot compare")
    for k, b, a in zip(keys, t["baseline_cardiac_output_l_min"], t["assisted_cardiac_output_l_min"]):
        if a is not None and b is not None:
            gains[k] = a - b
    return {
        "baseline": beats("baseline_beats_to_steady_state"),
        "assisted": beats("assisted_beats_to_steady_state"),
        "statuses": ", ".join(f"{n} {s}" for s, n in sorted(statuses.items(), key=lambda x: -x[1])),
        "gains": gains,
        "axes": tuple(axes),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bin", action="append", default=[], metavar="NAME=PATH")
    ap.add_argument("--rev", action="append", default=[], metavar="REV")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--spec", action="append", default=[], metavar="NAME=FILE")
    args = ap.parse_args()
    bins: list[tuple[str, Path]] = []
    for b in args.bin:
        name, sep, path = b.partition("=")
        if not sep or not Path(path).is_file():
            print(f"--bin {b!r}: expected NAME=PATH to an existing binary", file=sys.stderr)
            return 2
        bins.append((name, Path(path)))
    names = [n for n, _ in bins] + args.rev
    if not names or args.rounds < 1 or args.threads < 1 or len(set(names)) != len(names):
        print(
            "give at least one --bin or --rev, each name once, --rounds >= 1, --threads >= 1",
            file=sys.stderr,
        )
        return 2
    specs: dict[str, Path] = {}
    for s in args.spec:
        name, sep, path = s.partition("=")
        if not sep or name not in names or name in specs or not Path(path).is_file():
            print(
                f"--spec {s!r}: expected NAME=FILE with NAME a --bin or --rev name (once) and "
                "FILE an existing sweep spec",
                file=sys.stderr,
            )
            return 2
        specs[name] = Path(path).resolve()
    for rev in args.rev:
        bins.append((rev, build_rev(rev)))
    times: dict[str, list[tuple[float, float]]] = {n: [] for n, _ in bins}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for name, binary in bins:
                times[name].append(
                    run_once(binary, specs.get(name), Path(tmp) / name, args.threads)
                )
        results = {n: summary(Path(tmp) / n / "points.parquet") for n, _ in bins}
    first = bins[0][0]
    ref = results[first]["gains"]
    load = os.getloadavg()[0]
    print(
        f"--threads {args.threads}, {args.rounds} interleaved rounds, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load:.1f}\n"
    )
    print(
        "| build | sweep | CPU time per round (s) | wall time, mean (s) "
        "| beats to steady state, baseline: median / p90 / max "
        "| beats to steady state, assisted: median / p90 / max | statuses | mean CO gain (L/min) "
        f"| largest difference of a point's gain from {first}'s at the same axis values (L/min) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, _ in bins:
        res = results[name]
        cpu = " / ".join(f"{c:.2f}" for c, _ in times[name])
        wall = statistics.mean(w for _, w in times[name])
        g = res["gains"]
        mean_gain = statistics.mean(g.values()) if g else float("nan")
        sweep = specs[name].name if name in specs else "default"
        if specs.get(name) == specs.get(first) and res["axes"] == results[first]["axes"]:
            common = [i for i in g if i in ref]
            largest = max((abs(g[i] - ref[i]) for i in common), default=float("nan"))
            diff = f"{largest:.2e} ({len(common)} points)"
        else:
            diff = "- (another sweep)"
        print(
            f"| {name} | {sweep} | {cpu} | {wall:.2f} | {res['baseline']} | {res['assisted']} "
            f"| {res['statuses']} | {mean_gain:.4f} | {diff} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
