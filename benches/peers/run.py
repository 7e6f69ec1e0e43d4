#!/usr/bin/env python3
"""counterpulse side by side with its peers: svZeroDSolver and a SciPy closed loop (issue 14, req. 5).

What it does, in one run on one machine:

1. Installs the peers if they are missing (`python3 -m pip install svzerod scipy`); a pip failure
   stops the script with a message and exit code 3.
2. For every case, a *reference* of the same tool at a tight setting (computed once, not timed):
   - svZeroDSolver (fixed-step generalised-alpha): `REF_PTS` time points per cycle;
   - SciPy `solve_ivp` (RK45): rtol = atol = 1e-10;
   - counterpulse: `steady.tolerance=1e-8` (integrator rtol then 1e-11, see README "Steady
     state"), `solver.atol=1e-10`.
3. The *production* setting of each tool (svZeroDSolver 500 points per cycle, SciPy rtol 1e-6,
   counterpulse its defaults), timed in interleaved repetitions (A B C ... A B C ...), each
   repetition a run of N cycles in a fresh call. Time per cycle = CPU time of the call / cycles
   (svZeroDSolver and SciPy: `time.process_time()` around the call in this process;
   counterpulse: the child process's user + system time from `getrusage(RUSAGE_CHILDREN)`, process
   start included).
   All three tools run on one thread, so CPU-time cycles/s are cycles/s per core.
4. The error of the production setting against the reference, on the last simulated cycle at
   steady state: mean aortic pressure (mmHg), LV stroke volume (mL) and systolic aortic pressure
   (mmHg), relative; the table shows the largest of the three.

   The error is what a user gets from the production setting: discretisation error plus what is
   left of the transient after the cycles run (svZeroDSolver and SciPy: 30 cycles from the
   case's initial condition; counterpulse: its steady-state test at `steady.tolerance` 1e-3).

counterpulse is timed on runs of plain beat-to-beat iteration (`steady.accelerate=false`,
`steady.max_beats=N`; at the default `steady.tolerance=1e-3`, which keeps the integrator at rtol 1e-6),
so that every run integrates tens to hundreds of beats at the production integrator setting
until it converges; its cycles are the `beats_simulated` of `simulate --json`. A default run
(acceleration on) needs far fewer beats to reach its steady state; that is reported as "beats to
steady state" beside it. A third row, `healthy, loose` (rtol = atol = 1e-4,
`steady.tolerance=1e-1`, the loosest allowed, which keeps the integrator at rtol 1e-4), has about
the accuracy of svZeroDSolver at 500 points per cycle; its plain runs converge within about 8
beats, so they also integrate a 60-beat summary (`steady.summary_beats=60`) at that setting
(summary beats are traced for their metrics, so this row's cycles/s are somewhat pessimistic).

Usage:
    python3 benches/peers/run.py [--short] [--counterpulse PATH] [--out DIR]

`--short` (CI): a few cycles and repetitions, looser references; checks that every tool runs and
that every error is computed and finite (exit 1 otherwise). Its timings mean nothing.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PEERS_DIR_DEFAULT = Path(__file__).resolve().parent / "svzerod-cases"

# ---------------------------------------------------------------------------------------------
# Installing the peers
# ---------------------------------------------------------------------------------------------


def ensure_peers() -> None:
    """Import svzerod and scipy, installing them with pip first if they are missing."""
    missing = []
    for module, package in (("svzerod", "svzerod"), ("scipy", "scipy")):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(package)
    if not missing:
        return
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *missing]
    if os.geteuid() == 0:
        cmd.insert(4, "--root-user-action=ignore")
    print("peers: installing " + " ".join(missing) + ": " + " ".join(cmd), flush=True)
    rc = subprocess.run(cmd).returncode
    if rc != 0:
        print(
            f"peers: error: `pip install {' '.join(missing)}` failed (exit {rc}); the benchmark "
            "needs svZeroDSolver (PyPI package svzerod) and SciPy. Install them by hand or check "
            "network access to PyPI.",
            file=sys.stderr,
        )
        sys.exit(3)
    importlib.invalidate_caches()
    for package in missing:
        try:
            importlib.import_module(package)
        except ImportError as e:
            print(f"peers: error: {package} installed but cannot be imported: {e}", file=sys.stderr)
            sys.exit(3)


# ---------------------------------------------------------------------------------------------
# Quantities of one cycle, from sampled traces
# ---------------------------------------------------------------------------------------------


def cycle_quantities(t, p_aortic_mmhg, v_lv_ml) -> dict:
    """Mean aortic pressure (time average, trapezoid), LV stroke volume (max - min volume) and
    systolic aortic pressure of one cycle sampled at times `t` (s) spanning the cycle."""
    import numpy as np

    t = np.asarray(t)
    p = np.asarray(p_aortic_mmhg)
    v = np.asarray(v_lv_ml)
    span = t[-1] - t[0]
    return {
        "mean_aortic_pressure_mmhg": float(np.trapezoid(p, t) / span),
        "stroke_volume_ml": float(v.max() - v.min()),
        "systolic_aortic_pressure_mmhg": float(p.max()),
    }


QUANTITIES = ("mean_aortic_pressure_mmhg", "stroke_volume_ml", "systolic_aortic_pressure_mmhg")


def relative_errors(q: dict, ref: dict) -> dict:
    return {k: abs(q[k] - ref[k]) / abs(ref[k]) for k in QUANTITIES}


# ---------------------------------------------------------------------------------------------
# svZeroDSolver
# ---------------------------------------------------------------------------------------------

PA_PER_MMHG = 133.322387415
# Per case: (aortic pressure variable, LV volume variable, pressure unit -> mmHg, volume -> mL).
# The two closedLoopHeart cases are in mmHg, mL, s (their resistances are CGS values / 1333.34);
# the two-Hill case is in SI (Pa, m^3, s), see its "_comment".
SVZEROD_CASES = {
    "closedLoopHeart_withCoronaries": ("pressure:J_heart_outlet:branch0_seg0", "V_LV:CLH", 1.0, 1.0),
    "closedLoopHeart_singleVessel": ("pressure:J_heart_outlet:branch0_seg0", "V_LV:CLH", 1.0, 1.0),
    "closed_loop_two_hill": ("pressure:AV:AR_SYS", "Vc:LV", 1.0 / PA_PER_MMHG, 1e6),
}


def svzerod_run(peers_dir: Path, case: str, pts_per_cycle: int, cycles: int):
    """Run one svZeroDSolver case (unmodified input, except points per cycle, cycle count and
    output of the last cycle by variable); return (CPU s, wall s, quantities of the last cycle)."""
    import svzerod

    config = json.loads((peers_dir / f"{case}.json").read_text())
    sp = config["simulation_parameters"]
    sp["number_of_time_pts_per_cardiac_cycle"] = pts_per_cycle
    sp["number_of_cardiac_cycles"] = cycles
    sp["output_variable_based"] = True
    sp["output_all_cycles"] = False
    c0, w0 = time.process_time(), time.perf_counter()
    df = svzerod.simulate(config)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    p_name, v_name, p_scale, v_scale = SVZEROD_CASES[case]
    p = df[df["name"] == p_name]
    v = df[df["name"] == v_name]
    q = cycle_quantities(p["time"].to_numpy(), p["y"].to_numpy() * p_scale, v["y"].to_numpy() * v_scale)
    return cpu, wall, q


# ---------------------------------------------------------------------------------------------
# SciPy baseline: a six-compartment closed loop with time-varying elastance ventricles
# ---------------------------------------------------------------------------------------------
#
# States (stressed volumes, mL): V_lv, V_sa (systemic arteries), V_sv (systemic veins),
# V_rv, V_pa (pulmonary arteries), V_pv (pulmonary veins).
# Pressures (mmHg):
#   P_lv = e(t) Ees_lv (V_lv - V0_lv) + (1 - e(t)) Eed_lv (V_lv - V0_lv), likewise P_rv;
#   P_x  = V_x / C_x for the four vascular compliances.
# Flows (mL/s): valves are ideal diodes with a small open resistance,
#   Q_mi = max(P_pv - P_lv, 0) / R_mi,  Q_ao = max(P_lv - P_sa, 0) / R_ao,
#   Q_tr = max(P_sv - P_rv, 0) / R_tr,  Q_pu = max(P_rv - P_pa, 0) / R_pu,
#   and linear resistances Q_s = (P_sa - P_sv) / R_sys, Q_p = (P_pa - P_pv) / R_pul.
# Equations:
#   dV_lv = Q_mi - Q_ao,  dV_sa = Q_ao - Q_s,  dV_sv = Q_s - Q_tr,
#   dV_rv = Q_tr - Q_pu,  dV_pa = Q_pu - Q_p,  dV_pv = Q_p - Q_mi   (total volume conserved).
# Activation e(t) (Heldt et al. 2002, J Appl Physiol 92:1239, eq. of the ventricular elastance):
#   e = (1 - cos(pi t / Ts)) / 2 for t <= Ts; (1 + cos(2 pi (t - Ts) / Ts)) / 2 for Ts < t <= 1.5 Ts;
#   0 afterwards; Ts = 0.3 s sqrt(RR / 1 s).
# Parameters: representative adult values of the order used by Heldt et al. (2002) and Ursino
# (1998, Am J Physiol 275:H1733) for these elements; they are not calibrated to anything (the
# benchmark needs a closed loop of this size with four diode valves, not a patient). With them
# the loop runs at about 5 L/min and 110/70 mmHg (printed by the script).
SCIPY_PARAMS = {
    "heart_rate_bpm": 72.0,
    "lv_ees_mmhg_ml": 2.5,
    "lv_eed_mmhg_ml": 0.1,
    "lv_v0_ml": 15.0,
    "rv_ees_mmhg_ml": 1.15,
    "rv_eed_mmhg_ml": 0.05,
    "rv_v0_ml": 15.0,
    "c_sa_ml_mmhg": 1.6,
    "c_sv_ml_mmhg": 100.0,
    "c_pa_ml_mmhg": 4.3,
    "c_pv_ml_mmhg": 8.4,
    "r_sys_mmhg_s_ml": 1.0,
    "r_pul_mmhg_s_ml": 0.08,
    "r_mi_mmhg_s_ml": 0.01,
    "r_ao_mmhg_s_ml": 0.006,
    "r_tr_mmhg_s_ml": 0.01,
    "r_pu_mmhg_s_ml": 0.006,
    # Initial stressed volumes (mL); their sum, 1070 mL, is the stressed blood volume.
    "v_init_ml": (120.0, 150.0, 520.0, 120.0, 70.0, 90.0),
}


def scipy_model():
    import numpy as np

    p = SCIPY_PARAMS
    rr = 60.0 / p["heart_rate_bpm"]
    ts = 0.3 * math.sqrt(rr)

    def activation(t):
        if t <= ts:
            return 0.5 * (1.0 - math.cos(math.pi * t / ts))
        if t <= 1.5 * ts:
            return 0.5 * (1.0 + math.cos(2.0 * math.pi * (t - ts) / ts))
        return 0.0

    def pressures(t, y):
        e = activation(t)
        v_lv, v_sa, v_sv, v_rv, v_pa, v_pv = y
        p_lv = (e * p["lv_ees_mmhg_ml"] + (1 - e) * p["lv_eed_mmhg_ml"]) * (v_lv - p["lv_v0_ml"])
        p_rv = (e * p["rv_ees_mmhg_ml"] + (1 - e) * p["rv_eed_mmhg_ml"]) * (v_rv - p["rv_v0_ml"])
        return (p_lv, v_sa / p["c_sa_ml_mmhg"], v_sv / p["c_sv_ml_mmhg"], p_rv,
                v_pa / p["c_pa_ml_mmhg"], v_pv / p["c_pv_ml_mmhg"])

    def rhs(t, y):
        p_lv, p_sa, p_sv, p_rv, p_pa, p_pv = pressures(t, y)
        q_mi = max(p_pv - p_lv, 0.0) / p["r_mi_mmhg_s_ml"]
        q_ao = max(p_lv - p_sa, 0.0) / p["r_ao_mmhg_s_ml"]
        q_tr = max(p_sv - p_rv, 0.0) / p["r_tr_mmhg_s_ml"]
        q_pu = max(p_rv - p_pa, 0.0) / p["r_pu_mmhg_s_ml"]
        q_s = (p_sa - p_sv) / p["r_sys_mmhg_s_ml"]
        q_p = (p_pa - p_pv) / p["r_pul_mmhg_s_ml"]
        return [q_mi - q_ao, q_ao - q_s, q_s - q_tr, q_tr - q_pu, q_pu - q_p, q_p - q_mi]

    return rr, rhs, pressures, np.array(p["v_init_ml"])


def scipy_run(cycles: int, rtol: float, atol: float):
    """Integrate `cycles` beats, one `solve_ivp` (RK45) call per beat (the beat restarts the
    activation clock); return (CPU s, wall s, quantities of the last beat, steps per beat)."""
    import numpy as np
    from scipy.integrate import solve_ivp

    rr, rhs, pressures, y = scipy_model()
    steps = 0
    c0, w0 = time.process_time(), time.perf_counter()
    for beat in range(cycles):
        last = beat == cycles - 1
        sol = solve_ivp(rhs, (0.0, rr), y, method="RK45", rtol=rtol, atol=atol,
                        t_eval=np.linspace(0.0, rr, 2001) if last else None)
        if not sol.success:
            raise RuntimeError(f"solve_ivp failed in beat {beat}: {sol.message}")
        steps += sol.t.size - 1 if not last else 0
        y = sol.y[:, -1]
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    p_sa = [pressures(t, sol.y[:, i])[1] for i, t in enumerate(sol.t)]
    q = cycle_quantities(sol.t, p_sa, sol.y[0])
    q["cardiac_output_l_min"] = q["stroke_volume_ml"] * 60.0 / rr / 1000.0
    return cpu, wall, q, steps / max(cycles - 1, 1)


# ---------------------------------------------------------------------------------------------
# counterpulse
# ---------------------------------------------------------------------------------------------

CP_REFERENCE = ["steady.tolerance=1e-8", "solver.atol=1e-10", "steady.max_beats=2000"]


def counterpulse_run(binary: str, preset: str, settings: list[str]):
    """Run `counterpulse simulate --preset P --json`; return (child CPU s, wall s, JSON)."""
    cmd = [binary, "simulate", "--preset", preset, "--json", "--quiet"]
    for s in settings:
        cmd += ["--set", s]
    w0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    wall = time.perf_counter() - w0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}): {err.decode()[-500:]}")
    return wall, json.loads(out)


def counterpulse_timed(binary: str, preset: str, settings: list[str]):
    """Like counterpulse_run, with the child's CPU time (user + system) from getrusage."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, result = counterpulse_run(binary, preset, settings)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, result


def counterpulse_quantities(result: dict) -> dict:
    b = result["baseline"]
    return {
        "mean_aortic_pressure_mmhg": b["mean_arterial_pressure_mmhg"],
        "stroke_volume_ml": b["stroke_volume_ml"],
        "systolic_aortic_pressure_mmhg": b["systolic_pressure_mmhg"],
    }


# ---------------------------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------------------------


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return f"{cpu}, {os.cpu_count()} cores, load average {load[0]:.1f} at start, {platform.system()} {platform.release()}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true", help="CI setting: few cycles and repetitions; checks the script, not the timing")
    ap.add_argument("--counterpulse", default=os.environ.get("COUNTERPULSE_BIN", "target/release/counterpulse"),
                    help="counterpulse binary (default: $COUNTERPULSE_BIN or target/release/counterpulse)")
    ap.add_argument("--peers-dir", default=os.environ.get("PEERS_SVZEROD_DIR", str(PEERS_DIR_DEFAULT)),
                    help="folder with the svZeroDSolver inputs (default: benches/peers/svzerod-cases, copies of svZeroDSolver's tests/cases)")
    ap.add_argument("--out", default="target/peers", help="folder for results.csv and results.json (default target/peers)")
    ap.add_argument("--repetitions", type=int, help="interleaved repetitions (default 5, short 1)")
    args = ap.parse_args()

    binary = args.counterpulse
    if not (Path(binary).is_file() and os.access(binary, os.X_OK)):
        print(f"peers: error: no counterpulse binary at {binary} (build it with `cargo build --release -p counterpulse`, "
              "or pass --counterpulse PATH)", file=sys.stderr)
        return 2
    peers_dir = Path(args.peers_dir)
    cases = [c for c in SVZEROD_CASES if (peers_dir / f"{c}.json").is_file()]
    if not cases:
        print(f"peers: error: no svZeroDSolver inputs ({', '.join(SVZEROD_CASES)}.json) in {peers_dir} "
              "(pass --peers-dir)", file=sys.stderr)
        return 2
    ensure_peers()

    short = args.short
    reps = args.repetitions or (1 if short else 5)
    svz_pts, svz_ref_pts = 500, (2000 if short else 10000)
    svz_cycles = 3 if short else 30       # timed runs and the production error
    svz_ref_cycles = 3 if short else 60   # the reference: tight steps, transient gone
    sp_cycles, sp_ref_cycles = (3, 3) if short else (30, 60)
    cp_beats = 5 if short else 200
    cp_presets = ["healthy", "cardiogenic-shock"]
    # counterpulse rows: (preset, case label, production setting, its --set list, timing --set list).
    # Timing runs iterate plainly (no extrapolation) at the production integrator setting so that
    # each integrates tens to hundreds of beats; the loose row's accuracy is about that of
    # svZeroDSolver at 500 points per cycle.
    # The integrator runs at min(solver.rtol, steady.tolerance x 1e-3) (README "Steady state").
    loose = ["solver.rtol=1e-4", "solver.atol=1e-4", "steady.tolerance=1e-1"]
    plain = ["steady.accelerate=false", f"steady.max_beats={cp_beats}"]
    cp_rows = [
        ("healthy", "healthy", "defaults (rtol 1e-6, steady.tolerance 1e-3)", [], plain),
        ("cardiogenic-shock", "cardiogenic-shock", "defaults (rtol 1e-6, steady.tolerance 1e-3)", [], plain),
        ("healthy", "healthy, loose", "rtol=atol=1e-4, steady.tolerance 1e-1", loose,
         plain + loose + ([] if short else ["steady.summary_beats=60"])),
    ]

    started = dt.datetime.now(dt.timezone.utc)
    machine = machine_description()
    print(f"peers: {'short (CI) setting: timings mean nothing' if short else 'full setting'}; {started:%Y-%m-%d %H:%M} UTC; {machine}", flush=True)

    # --- references (not timed) ------------------------------------------------------------
    refs = {}
    for case in cases:
        _, _, refs[("svZeroDSolver", case)] = svzerod_run(peers_dir, case, svz_ref_pts, svz_ref_cycles)
    _, _, refs[("SciPy solve_ivp", "6-state loop")], _ = scipy_run(sp_ref_cycles, 1e-10, 1e-10)
    cp_ref_info = {}
    for preset in cp_presets:
        _, r = counterpulse_run(binary, preset, CP_REFERENCE)
        refs[("counterpulse", preset)] = counterpulse_quantities(r)
        cp_ref_info[preset] = r["run"]["baseline"]["steady_state_error"]
    print("peers: references done", flush=True)

    # --- production-setting errors and default-run facts (not timed) -----------------------
    rows = {}

    def row(tool, case, setting, ref_setting, steps):
        return rows.setdefault((tool, case), {"tool": tool, "case": case, "setting": setting, "reference": ref_setting,
                                              "steps_per_cycle": steps, "cpu_s_per_cycle": [], "wall_s_per_cycle": []})

    for case in cases:
        _, _, q = svzerod_run(peers_dir, case, svz_pts, svz_cycles)
        r = row("svZeroDSolver", case, f"{svz_pts} pts/cycle, {svz_cycles} cycles",
                f"{svz_ref_pts} pts/cycle, {svz_ref_cycles} cycles", svz_pts)
        r["quantities"], r["errors"] = q, relative_errors(q, refs[("svZeroDSolver", case)])
    _, _, q, steps = scipy_run(sp_cycles, 1e-6, 1e-6)
    r = row("SciPy solve_ivp", "6-state loop", f"RK45 rtol=atol=1e-6, {sp_cycles} cycles",
            f"rtol=atol=1e-10, {sp_ref_cycles} cycles", round(steps, 1))
    r["quantities"], r["errors"] = q, relative_errors(q, refs[("SciPy solve_ivp", "6-state loop")])
    for preset, label, setting, production, _ in cp_rows:
        _, res = counterpulse_run(binary, preset, production)
        run = res["run"]["baseline"]
        r = row("counterpulse", label, setting, "steady.tolerance=1e-8 (rtol 1e-11), atol 1e-10", None)
        q = counterpulse_quantities(res)
        r["quantities"], r["errors"] = q, relative_errors(q, refs[("counterpulse", preset)])
        r["beats_to_steady_state"] = run["beats_simulated"]
        r["reference_steady_state_error"] = cp_ref_info[preset]

    # --- timing, interleaved -----------------------------------------------------------------
    for rep in range(reps):
        for case in cases:
            cpu, wall, _ = svzerod_run(peers_dir, case, svz_pts, svz_cycles)
            rows[("svZeroDSolver", case)]["cpu_s_per_cycle"].append(cpu / svz_cycles)
            rows[("svZeroDSolver", case)]["wall_s_per_cycle"].append(wall / svz_cycles)
        cpu, wall, _, _ = scipy_run(sp_cycles, 1e-6, 1e-6)
        rows[("SciPy solve_ivp", "6-state loop")]["cpu_s_per_cycle"].append(cpu / sp_cycles)
        rows[("SciPy solve_ivp", "6-state loop")]["wall_s_per_cycle"].append(wall / sp_cycles)
        for preset, label, _, _, timing in cp_rows:
            cpu, wall, res = counterpulse_timed(binary, preset, timing)
            run = res["run"]["baseline"]
            beats = run["beats_simulated"]
            r = rows[("counterpulse", label)]
            r["cpu_s_per_cycle"].append(cpu / beats)
            r["wall_s_per_cycle"].append(wall / beats)
            r["steps_per_cycle"] = round(run["accepted_steps"] / beats, 1)
            r["timed_beats"] = beats
        print(f"peers: repetition {rep + 1}/{reps} done", flush=True)

    # --- results -------------------------------------------------------------------------------
    results = []
    failures = []
    for key, r in rows.items():
        cpu = statistics.median(r["cpu_s_per_cycle"])
        wall = statistics.median(r["wall_s_per_cycle"])
        r["cycles_per_cpu_s"] = 1.0 / cpu if cpu > 0 else float("inf")
        r["cycles_per_wall_s"] = 1.0 / wall if wall > 0 else float("inf")
        r["max_relative_error"] = max(r["errors"].values())
        if not all(math.isfinite(e) for e in r["errors"].values()) or not math.isfinite(r["cycles_per_wall_s"]):
            failures.append(f"{key}: error or timing not finite: {r['errors']}")
        # Sanity of what was read (wrong variable or unit): a circulation, and a production
        # setting within a few per cent of its own reference.
        q = r["quantities"]
        if not (20 <= q["mean_aortic_pressure_mmhg"] <= 200 and 5 <= q["stroke_volume_ml"] <= 200
                and q["systolic_aortic_pressure_mmhg"] > q["mean_aortic_pressure_mmhg"]):
            failures.append(f"{key}: quantities out of physiological range: {q}")
        if r["max_relative_error"] > 0.05:
            failures.append(f"{key}: production setting {r['max_relative_error']:.1e} off its reference (> 5 %)")
        results.append(r)

    cp_speed = {r["case"]: r["cycles_per_cpu_s"] for r in results if r["tool"] == "counterpulse"}
    header = f"{'tool':<16} {'case':<31} {'cycles/s (CPU)':>14} {'cycles/s (wall)':>15} {'steps/cycle':>11} {'max rel. error':>14}  error by quantity (MAP, SV, Psys)"
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        errs = ", ".join(f"{r['errors'][k]:.1e}" for k in QUANTITIES)
        steps = "" if r["steps_per_cycle"] is None else f"{r['steps_per_cycle']:g}"
        print(f"{r['tool']:<16} {r['case']:<31} {r['cycles_per_cpu_s']:>14.1f} {r['cycles_per_wall_s']:>15.1f} {steps:>11} "
              f"{r['max_relative_error']:>14.1e}  {errs}")
    print()
    for r in results:
        extra = f"; default run: {r['beats_to_steady_state']} beats to steady state" if "beats_to_steady_state" in r else ""
        print(f"  {r['tool']} {r['case']}: production {r['setting']}; reference {r['reference']}{extra}")
    slow = [r for r in results if r["tool"] != "counterpulse"]
    if cp_speed and slow:
        lo, hi = min(cp_speed.values()), max(cp_speed.values())
        print()
        for r in slow:
            print(f"  counterpulse per beat (CPU) vs {r['tool']} {r['case']}: "
                  f"{lo / r['cycles_per_cpu_s']:.0f}-{hi / r['cycles_per_cpu_s']:.0f}x")
    q = next(r for r in results if r["tool"] == "SciPy solve_ivp")["quantities"]
    print(f"\n  SciPy loop at its production setting: MAP {q['mean_aortic_pressure_mmhg']:.1f} mmHg, systolic "
          f"{q['systolic_aortic_pressure_mmhg']:.1f} mmHg, SV {q['stroke_volume_ml']:.1f} mL, CO {q['cardiac_output_l_min']:.2f} L/min")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "results-short" if short else "results"
    meta = {"date_utc": started.isoformat(timespec="seconds"), "machine": machine, "short": short,
            "repetitions": reps, "counterpulse": str(binary), "python": platform.python_version()}
    try:
        from importlib.metadata import version
        meta["svzerod_version"], meta["scipy_version"] = version("svzerod"), version("scipy")
    except Exception:  # noqa: BLE001 - metadata is informative only
        pass
    (out / f"{stem}.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    with open(out / f"{stem}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["tool", "case", "setting", "reference", "cycles_per_cpu_s", "cycles_per_wall_s", "steps_per_cycle",
                    "max_relative_error", *[f"rel_error_{k}" for k in QUANTITIES]])
        for r in results:
            w.writerow([r["tool"], r["case"], r["setting"], r["reference"], f"{r['cycles_per_cpu_s']:.3f}",
                        f"{r['cycles_per_wall_s']:.3f}", r["steps_per_cycle"], f"{r['max_relative_error']:.3e}",
                        *[f"{r['errors'][k]:.3e}" for k in QUANTITIES]])
    print(f"\npeers: wrote {out / (stem + '.csv')} and {out / (stem + '.json')}")
    if failures:
        print("peers: error: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
