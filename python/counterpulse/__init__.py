"""counterpulse from Python: intra-aortic balloon pump counterpulsation on a closed-loop model
of the human circulation.

The functions call the same Rust code as the ``counterpulse`` command line, in-process (no
subprocess), and release the GIL while the model runs. Tables come back as polars DataFrames,
imported through the Arrow C stream interface without copying numeric columns. Bad input
raises ``ValueError`` with the command line's message (naming the key and the allowed range).

>>> import counterpulse as cp
>>> r = cp.simulate(preset="cardiogenic-shock", set={"iabp.enabled": True, "iabp.ratio": "1:2"})
>>> r.summary        # baseline / assisted / delta, one row each
>>> r.waveforms      # run, time_s, time_in_beat_s, beat, every state and signal
>>> df = cp.sweep("my-sweep.toml", threads=2)   # the points table of points.parquet
>>> cp.params(preset="healthy")                  # key, value, unit, range, description

Units: in every column name (``_mmhg``, ``_ml``, ``_ml_s``, ``_l_min``, ...), and in
``Result.units`` / :func:`units` (``"1"`` dimensionless, ``""`` text or true/false).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Union

import polars as pl

from . import _native

__version__: str = _native.__version__

__all__ = [
    "Result",
    "simulate",
    "sweep",
    "params",
    "presets",
    "units",
    "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]
SetValue = Union[bool, int, float, str]


def _frame(table: Optional[_native.ArrowTable]) -> Optional[pl.DataFrame]:
    """A polars DataFrame sharing the Arrow buffers of ``table`` (None stays None)."""
    if table is None:
        return None
    return pl.DataFrame(table)


@dataclass(frozen=True)
class Result:
    """A simulation: the baseline (balloon off) and, with ``iabp.enabled``, the assisted run.

    Attributes:
        summary: one row per run (``baseline``, ``assisted``, ``delta`` = assisted - baseline;
            only ``baseline`` with the balloon off) and one column per steady-state metric,
            the same values as ``counterpulse simulate --json``.
        beats: one row per beat of each run (``run``, ``beat``, ``start_time_s``, ``rr_s``,
            ``assisted`` and every metric), as ``beats.parquet``; None if not asked for.
        waveforms: ``run``, ``time_s``, ``time_in_beat_s`` (time since the beat's R wave),
            ``beat`` and every state and signal of the last ``output.waveform_beats`` beats,
            as ``waveforms.parquet``; None if not asked for.
        events: ``run``, ``time_s``, ``kind``, ``beat`` of every logged event, as
            ``events.parquet``; None if not asked for.
        runs: per run, convergence and work counters (``converged``,
            ``beats_to_steady_state``, ``wall_time_s``, ...).
        scenario: ``preset``, ``description``, ``overrides`` and every ``resolved`` key.
        units: ``{column: unit}`` of every column of the tables above.
    """

    summary: pl.DataFrame
    beats: Optional[pl.DataFrame]
    waveforms: Optional[pl.DataFrame]
    events: Optional[pl.DataFrame]
    runs: Dict[str, Dict[str, Any]]
    scenario: Dict[str, Any]
    units: Dict[str, str] = field(repr=False)

    def __repr__(self) -> str:
        converged = ", ".join(
            f"{name}: {'steady' if r['converged'] else 'NOT converged'} after {r['beats_to_steady_state']} beats"
            for name, r in self.runs.items()
        )
        return f"Result(preset={self.scenario['preset']!r}, {converged})"


def simulate(
    preset: Optional[str] = None,
    *,
    scenario: Optional[PathLike] = None,
    set: Optional[Mapping[str, SetValue]] = None,
    beats: bool = True,
    waveforms: bool = True,
    events: bool = True,
) -> Result:
    """Run a scenario to its periodic steady state, as ``counterpulse simulate``.

    Args:
        preset: a shipped preset (see :func:`presets`); default ``"healthy"``.
        scenario: a scenario file (TOML) instead of a preset.
        set: overrides applied last, as ``--set KEY=VALUE``:
            ``{"heart.rate_bpm": 90, "iabp.enabled": True, "iabp.ratio": "1:2"}``.
        beats, waveforms, events: which tables to keep (the summary is always there).

    Returns:
        A :class:`Result`.

    Raises:
        ValueError: unknown preset or key, a value out of range (the message names the key,
            the value and the allowed range, as on the command line), an unreadable scenario.
        RuntimeError: the solver failed.
    """
    raw = _native.simulate(
        preset=preset,
        scenario=os.fspath(scenario) if scenario is not None else None,
        set=dict(set) if set is not None else None,
        beats=beats,
        waveforms=waveforms,
        events=events,
    )
    info = json.loads(raw["info"])
    tables = {k: raw[k] for k in ("summary", "beats", "waveforms", "events")}
    unit_map: Dict[str, str] = {}
    for t in tables.values():
        if t is not None:
            unit_map.update(t.units)
    return Result(
        summary=pl.DataFrame(tables["summary"]),
        beats=_frame(tables["beats"]),
        waveforms=_frame(tables["waveforms"]),
        events=_frame(tables["events"]),
        runs=info["runs"],
        scenario=info["scenario"],
        units=unit_map,
    )


def sweep(
    spec: Optional[PathLike] = None,
    *,
    toml: Optional[str] = None,
    out: Optional[PathLike] = None,
    threads: Optional[int] = None,
    resume: bool = False,
    force: bool = False,
) -> pl.DataFrame:
    """Run a parameter sweep with the command line's runner, as ``counterpulse sweep``.

    Args:
        spec: a sweep spec file (TOML, see the README's "Sweeps"); without it and without
            ``toml``, the embedded default sweep.
        toml: the spec as text instead of a file (a ``sweep.scenario`` path is then relative
            to the working directory).
        out: keep the output folder here (``points.parquet``, ``manifest.json``, parts,
            recorded points), as ``--out``; by default the sweep runs in a temporary folder
            that is removed afterwards.
        threads: worker threads (default: all cores). Results do not depend on it.
        resume: continue a sweep in ``out``, skipping finished chunks (``--resume``).
        force: as ``--force``: replace this shard's chunks of the same sweep, or the whole
            output of another sweep that no process is writing; other tools' files in
            ``out`` are kept. Without it, a folder holding another sweep is refused.

    Returns:
        The points table: the same columns and values as ``points.parquet`` (``point_id``, one
        column per axis, ``seed``, ``status``, ``message``, ``baseline_*``, ``assisted_*``,
        ``delta_*``), sorted by ``point_id``.

    Raises:
        ValueError: a bad spec or option (message as on the command line).
        OSError: the output folder cannot be written.
    """
    raw = _native.sweep(
        spec=os.fspath(spec) if spec is not None else None,
        toml=toml,
        out=os.fspath(out) if out is not None else None,
        threads=threads,
        resume=resume,
        force=force,
    )
    return pl.DataFrame(raw["points"])


def params(preset: str = "healthy") -> pl.DataFrame:
    """Every settable key with its value in ``preset``, unit, allowed range and meaning.

    Columns: ``key``, ``value`` (as ``counterpulse params`` prints it), ``unit``, ``range``,
    ``description``.

    Raises:
        ValueError: unknown preset.
    """
    return pl.DataFrame(_native.params(preset))


def presets() -> pl.DataFrame:
    """The shipped presets: ``name`` and a one-line ``description``."""
    return pl.DataFrame(_native.presets())


def units(path: PathLike) -> Dict[str, str]:
    """``{column: unit}`` of a Parquet file written by counterpulse (from the field metadata).

    ``"1"`` marks dimensionless numbers; ``""`` text and true/false columns.
    """
    import pyarrow.parquet as pq  # optional dependency, only for this helper

    schema = pq.read_schema(os.fspath(path))
    return {
        f.name: (f.metadata or {}).get(b"unit", b"").decode() for f in schema
    }
