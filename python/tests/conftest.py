"""Shared fixtures: the command line (COUNTERPULSE_BIN, default target/release/counterpulse),
a 1:2 run folder and a small sweep with text-valued axes, each made once per session."""

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("COUNTERPULSE_BIN", REPO / "target" / "release" / "counterpulse"))

TEXT_SWEEP = """
[sweep]
name = "text-axes"
preset = "cardiogenic-shock"
chunk_size = 4
[set]
iabp.enabled = true
iabp.volume_ml = 40
[axes]
"iabp.timing" = ["auto", "r-wave"]
"iabp.ratio" = ["1:1", "1:2"]
"heart.rate_bpm" = [80, 100]
"""


def run_cli(*args, check=True, cwd=None):
    """Runs the command line; returns the CompletedProcess (text mode)."""
    p = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, cwd=cwd)
    if check and p.returncode != 0:
        raise AssertionError(f"counterpulse {' '.join(map(str, args))} exited {p.returncode}:\n{p.stderr}")
    return p


@pytest.fixture(scope="session")
def cli():
    if not BIN.exists():
        pytest.fail(f"{BIN} does not exist: build it (cargo build --release) or set COUNTERPULSE_BIN")
    return run_cli


@pytest.fixture(scope="session")
def run_dir(cli, tmp_path_factory):
    """`simulate --out` of cardiogenic shock with the balloon at 1:2."""
    d = tmp_path_factory.mktemp("run") / "shock-1-2"
    cli("simulate", "--preset", "cardiogenic-shock", "--set", "iabp.enabled=true",
        "--set", "iabp.ratio=1:2", "--out", d)
    return d


@pytest.fixture(scope="session")
def text_sweep(cli, tmp_path_factory):
    """A merged 8-point sweep over iabp.timing x iabp.ratio x heart rate, point 0 recorded."""
    root = tmp_path_factory.mktemp("sweep")
    spec = root / "text.toml"
    spec.write_text(TEXT_SWEEP.replace('chunk_size = 4', 'chunk_size = 4\nrecord_points = [0]'))
    out = root / "out"
    p = cli("sweep", spec, "--out", out, "--threads", "2")
    return out, spec, p


def manifest(d):
    return json.loads((Path(d) / "manifest.json").read_text())
