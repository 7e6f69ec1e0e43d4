"""The notebook-style example runs from start to end and draws its figure."""

import subprocess
import sys

from conftest import REPO


def test_example_notebook_runs(tmp_path):
    p = subprocess.run([sys.executable, str(REPO / "examples" / "notebook.py"), str(tmp_path)],
                       capture_output=True, text=True, env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stderr
    png = tmp_path / "one-to-two-overlay.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert "peak aortic pressure, assisted vs unassisted beats" in p.stdout
