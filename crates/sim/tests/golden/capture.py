"""Capture golden steady-state summaries from a counterpulse binary (used once, before the
component refactor; kept for regenerating with a documented reason)."""
import json, subprocess, sys
binary, out = sys.argv[1], sys.argv[2]
presets = ["healthy", "cardiogenic-shock", "cardiogenic-shock-nonischaemic", "pre-shock", "rv-infarct", "acute-mr",
           "post-mi-vsd", "aortic-regurgitation", "va-ecmo"]
assist = ["iabp.enabled=true", "iabp.volume_ml=40", "iabp.ratio=1:1"]
cases = {}
for p in presets:
    cases[p] = (p, assist)
cases["cardiogenic-shock+baroreflex"] = ("cardiogenic-shock", assist + ["baroreflex.enabled=true"])
cases["cardiogenic-shock+1:2"] = ("cardiogenic-shock", ["iabp.enabled=true", "iabp.ratio=1:2"])
cases["healthy+stenosis70+autoregulation"] = ("healthy", assist + ["coronary.stenosis_percent=70", "coronary.autoregulation=true"])
cases["healthy+af"] = ("healthy", ["rhythm.kind=af", "rhythm.seed=7", "steady.irregular_beats=40"])
res = {}
for name, (preset, sets) in cases.items():
    cmd = [binary, "simulate", "--preset", preset, "--json"]
    for s in sets:
        cmd += ["--set", s]
    d = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    res[name] = {"preset": preset, "set": sets, "baseline": d["baseline"],
                 "assisted": d.get("assisted"), "run": d["run"]}
json.dump(res, open(out, "w"), indent=1)
print(len(res), "cases")
