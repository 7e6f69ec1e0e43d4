//! End-to-end tests of the `counterpulse` binary, as a user runs it.

mod common;
use common::Scratch;
use std::path::Path;
use std::process::{Command, Output};

use counterpulse_io::arrow::Array;
use counterpulse_io::{column_names, read_batch, read_f64_columns, read_str_column};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_counterpulse"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp(name: &str) -> Scratch {
    Scratch::unmade("cli", name)
}

fn columns(path: &Path) -> Vec<String> {
    column_names(path).expect("readable parquet")
}

#[test]
fn simulate_prints_a_table() {
    let o = run(&["simulate", "--preset", "healthy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for label in [
        "cardiac output",
        "L/min",
        "mean arterial pressure",
        "ejection fraction",
        "periodic steady state",
    ] {
        assert!(out.contains(label), "missing {label}:\n{out}");
    }
}

#[test]
fn simulate_json_has_design_names_and_nulls() {
    let o = run(&["simulate", "--preset", "cardiogenic-shock", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let b = &v["baseline"];
    for k in [
        "heart_rate_bpm",
        "cardiac_output_l_min",
        "stroke_volume_ml",
        "systolic_pressure_mmhg",
        "diastolic_pressure_mmhg",
        "mean_arterial_pressure_mmhg",
        "lv_end_diastolic_volume_ml",
        "lv_end_systolic_volume_ml",
        "ejection_fraction",
        "lv_end_diastolic_pressure_mmhg",
        "pcwp_mmhg",
        "cvp_mmhg",
        "mean_pulmonary_artery_pressure_mmhg",
        "lv_stroke_work_mmhg_ml",
        "pressure_volume_area_mmhg_ml",
        "tension_time_index_mmhg_s_min",
        "diastolic_pressure_time_index_mmhg_s_min",
        "endocardial_viability_ratio",
        "cardiac_power_output_w",
    ] {
        assert!(b[k].is_number(), "{k}: {}", b[k]);
    }
    for k in [
        "coronary_flow_ml_min",
        "ffr",
        "resting_pd_pa",
        "coronary_diastolic_flow_fraction",
        "o2_supply_demand_ratio",
    ] {
        assert!(b[k].is_number(), "{k}: {}", b[k]);
    }
    // Balloon metrics without a balloon: present as null, never invented.
    for k in [
        "augmented_diastolic_pressure_mmhg",
        "balloon_inflation_time_ms",
    ] {
        assert!(b[k].is_null(), "{k}: {}", b[k]);
    }
    assert!(b["systolic_pressure_mmhg"].as_f64().expect("num") < 90.0);
    assert_eq!(v["run"]["baseline"]["converged"], true);
}

#[test]
fn out_dir_has_parquet_files_and_manifest() {
    let dir = tmp("out");
    let o = run(&[
        "simulate",
        "--preset",
        "healthy",
        "--set",
        "heart.rate_bpm=80",
        "--set",
        "output.waveform_beats=3",
        "--out",
        dir.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let beats = columns(&dir.join("beats.parquet"));
    for c in [
        "run",
        "beat",
        "start_time_s",
        "rr_s",
        "cardiac_output_l_min",
        "ffr",
        "qp_qs",
    ] {
        assert!(
            beats.contains(&c.to_string()),
            "beats.parquet lacks {c}: {beats:?}"
        );
    }
    let waves = columns(&dir.join("waveforms.parquet"));
    for c in [
        "time_s",
        "beat",
        "lv_volume_ml",
        "aortic_root_pressure_mmhg",
        "descending_aorta_pressure_mmhg",
        "mitral_flow_ml_s",
        "pulmonary_venous_flow_ml_s",
        "systemic_vein_volume_ml",
    ] {
        assert!(
            waves.contains(&c.to_string()),
            "waveforms.parquet lacks {c}"
        );
    }
    let kinds = read_str_column(&dir.join("events.parquet"), "kind").expect("events");
    for k in [
        "r_wave",
        "p_wave",
        "aortic_valve_open",
        "aortic_valve_close",
    ] {
        assert!(kinds.iter().any(|x| x == k), "no {k} event");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest"))
            .expect("JSON");
    assert_eq!(manifest["scenario"]["heart.rate_bpm"], 80.0);
    assert_eq!(manifest["overrides"]["heart.rate_bpm"], 80.0);
    assert_eq!(manifest["units"]["cardiac_output_l_min"], "L/min");
    let rows = manifest["files"]["beats.parquet"]["rows"]
        .as_u64()
        .expect("rows");
    assert_eq!(
        rows as usize,
        read_batch(&dir.join("beats.parquet"))
            .expect("beats")
            .num_rows()
    );
    // 3 beats at 80 bpm, 1 ms samples.
    let wrows = read_batch(&dir.join("waveforms.parquet"))
        .expect("w")
        .num_rows();
    assert!((2200..=2300).contains(&wrows), "{wrows}");
}

#[test]
fn bad_input_exits_2_naming_the_key_and_writes_nothing() {
    let dir = tmp("bad");
    let d = dir.to_str().expect("utf8");
    for (args, needle) in [
        (
            vec!["--set", "heart.rate_bpm=400"],
            "`heart.rate_bpm` = 400 is out of range: allowed 20 to 250 bpm",
        ),
        (
            vec!["--set", "heart.rate_bpm=0"],
            "`heart.rate_bpm` = 0 is out of range",
        ),
        (
            vec!["--set", "heart.rate=80"],
            "did you mean `heart.rate_bpm`",
        ),
        (vec!["--set", "heart.rate_bpm=fast"], "expected a number"),
        (
            vec!["--set", "systemic.vein_compliance_ml_mmhg=-1"],
            "systemic.vein_compliance_ml_mmhg",
        ),
        (
            vec!["--set", "aorta.root_compliance_ml_mmhg=-0.1"],
            "allowed 0.01 to 5 mL/mmHg",
        ),
        (vec!["--set", "heart.rate_bpm"], "expected KEY=VALUE"),
        (vec!["--preset", "nope"], "expected one of healthy"),
        (
            vec!["--scenario", "/nonexistent/s.toml"],
            "cannot read scenario file",
        ),
    ] {
        let mut a = vec!["simulate"];
        a.extend(args.iter());
        a.extend(["--out", d]);
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(needle), "{args:?}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "one line: {e}");
        assert!(!e.contains("panicked"), "{e}");
        assert!(!dir.exists(), "{args:?} created output");
    }
}

#[test]
fn scenario_file_and_listings() {
    let dir = tmp("scen");
    std::fs::create_dir_all(&dir).expect("dir");
    let f = dir.join("s.toml");
    std::fs::write(
        &f,
        "[scenario]\npreset = \"cardiogenic-shock\"\ndescription = \"slower\"\n\n[heart]\nrate_bpm = 90\n",
    )
    .expect("write");
    let o = run(&[
        "simulate",
        "--scenario",
        f.to_str().expect("utf8"),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let hr = v["baseline"]["heart_rate_bpm"].as_f64().expect("hr");
    assert!((hr - 90.0).abs() < 1e-6, "{hr}");
    std::fs::write(&f, "[heart]\nrate_bmp = 90\n").expect("write");
    let o = run(&["simulate", "--scenario", f.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("heart.rate_bmp"), "{}", stderr(&o));

    let o = run(&["presets"]);
    assert!(stdout(&o).contains("healthy") && stdout(&o).contains("cardiogenic-shock"));
    let o = run(&["params", "--preset", "cardiogenic-shock"]);
    let out = stdout(&o);
    assert!(
        out.contains("lv.contractility_scale") && out.contains("0.25"),
        "{out}"
    );
    assert!(out.contains("20 to 250 bpm"));
    let o = run(&["params", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(v.as_array().expect("array").len() > 80);
}

#[test]
fn the_absolute_tolerance_is_given_in_ml() {
    // `solver.atol` bounds the volumes' error in mL; it was listed as dimensionless ("1").
    let o = run(&["params", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let unit = |key: &str| {
        v.as_array()
            .expect("array")
            .iter()
            .find(|p| p["key"] == key)
            .and_then(|p| p["unit"].as_str())
            .map(str::to_string)
    };
    assert_eq!(unit("solver.atol").as_deref(), Some("mL"));
    assert_eq!(unit("solver.rtol").as_deref(), Some("1"));
    let o = run(&["simulate", "--preset", "healthy", "--set", "solver.atol=1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("allowed 1e-14 to 0.01 mL"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn assisted_json_has_baseline_assisted_and_delta() {
    let o = run(&[
        "simulate",
        "--preset",
        "cardiogenic-shock",
        "--set",
        "iabp.enabled=true",
        "--set",
        "iabp.volume_ml=40",
        "--set",
        "iabp.ratio=1:1",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    for part in ["baseline", "assisted", "delta"] {
        assert!(v[part].is_object(), "{part}");
    }
    for k in [
        "augmented_diastolic_pressure_mmhg",
        "assisted_end_diastolic_pressure_mmhg",
        "assisted_systolic_pressure_mmhg",
        "balloon_inflation_time_ms",
        "balloon_deflation_time_ms",
        "tension_time_index_mmhg_s_min",
        "diastolic_pressure_time_index_mmhg_s_min",
        "endocardial_viability_ratio",
        "lv_stroke_work_mmhg_ml",
        "pressure_volume_area_mmhg_ml",
    ] {
        assert!(v["assisted"][k].is_number(), "assisted {k}");
    }
    assert!(v["baseline"]["augmented_diastolic_pressure_mmhg"].is_null());
    let gain = v["delta"]["cardiac_output_l_min"]
        .as_f64()
        .expect("delta CO");
    assert!(gain > 0.3 && gain < 0.7, "{gain}");
    let a = v["assisted"]["cardiac_output_l_min"].as_f64().expect("a");
    let b = v["baseline"]["cardiac_output_l_min"].as_f64().expect("b");
    assert!((a - b - gain).abs() < 1e-12);
}

#[test]
fn invalid_balloon_settings_exit_2() {
    for (args, needle) in [
        (
            vec!["--set", "iabp.volume_ml=75"],
            "`iabp.volume_ml` = 75 is out of range: allowed 25 to 50 mL",
        ),
        (
            vec!["--set", "iabp.ratio=1:0"],
            "one of \"1:1\", \"1:2\", \"1:3\", \"1:4\"",
        ),
        (vec!["--set", "iabp.timing=manual"], "\"auto\", \"r-wave\""),
        (
            vec![
                "--set",
                "heart.rate_bpm=180",
                "--set",
                "iabp.deflate_offset_ms=-350",
            ],
            "longer than a beat",
        ),
        (
            vec![
                "--set",
                "iabp.timing=r-wave",
                "--set",
                "iabp.deflate_offset_ms=-20",
            ],
            "cannot precede it",
        ),
        (vec!["--set", "rhythm.kind=flutter"], "\"sinus\", \"af\""),
    ] {
        let mut a = vec![
            "simulate",
            "--preset",
            "cardiogenic-shock",
            "--set",
            "iabp.enabled=true",
        ];
        a.extend(args.iter());
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn assisted_run_directory() {
    let dir = tmp("assisted");
    let o = run(&[
        "simulate",
        "--preset",
        "cardiogenic-shock",
        "--set",
        "iabp.enabled=true",
        "--set",
        "iabp.ratio=1:2",
        "--out",
        dir.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let beats = dir.join("beats.parquet");
    let runs = read_str_column(&beats, "run").expect("run");
    let assisted = read_f64_columns(&beats, &["assisted"]).expect("assisted");
    let assisted = assisted[0].1.iter().map(|a| a.map(|x| x == 1.0));
    let mut n_assisted = 0;
    let mut n_rows = 0;
    for (r, a) in runs.iter().zip(assisted) {
        if r == "assisted" {
            n_rows += 1;
            n_assisted += usize::from(a == Some(true));
        } else {
            assert_eq!(a, Some(false), "no assisted beat in the baseline");
        }
    }
    assert!(n_rows > 10 && (n_assisted as f64 / n_rows as f64 - 0.5).abs() < 0.1);
    let w = read_batch(&dir.join("waveforms.parquet")).expect("waveforms");
    let bv = w
        .column_by_name("balloon_volume_ml")
        .expect("balloon column");
    assert!(
        bv.null_count() > 0 && bv.null_count() < w.num_rows(),
        "null in the baseline only"
    );
    let kinds = read_str_column(&dir.join("events.parquet"), "kind").expect("events");
    for k in [
        "inflate_command",
        "deflate_command",
        "balloon_full",
        "balloon_empty",
        "notch_detected",
        "r_wave",
    ] {
        assert!(kinds.iter().any(|x| x == k), "no {k}");
    }
}

#[test]
fn invalid_coronary_and_valve_settings_exit_2() {
    for (args, needle) in [
        (
            vec!["--set", "coronary.stenosis_percent=100"],
            "`coronary.stenosis_percent` = 100 is out of range: allowed 0 to 99 %",
        ),
        (
            vec!["--set", "coronary.stenosis_percent=-5"],
            "`coronary.stenosis_percent` = -5 is out of range",
        ),
        (
            vec!["--set", "mitral_valve.regurgitant_area_cm2=-0.2"],
            "`mitral_valve.regurgitant_area_cm2` = -0.2 is out of range: allowed 0 to 5 cm2",
        ),
        (
            vec!["--set", "vsd.area_cm2=-1"],
            "`vsd.area_cm2` = -1 is out of range",
        ),
        (vec!["--set", "ecmo.flow_l_min=12"], "allowed 0 to 8 L/min"),
        (
            vec!["--set", "coronary.autoregulation=maybe"],
            "expected true or false",
        ),
    ] {
        let mut a = vec!["simulate", "--preset", "healthy"];
        a.extend(args.iter());
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn every_preset_runs_from_the_command_line() {
    let o = run(&["presets"]);
    let names: Vec<String> = stdout(&o)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    for p in [
        "healthy",
        "cardiogenic-shock",
        "pre-shock",
        "rv-infarct",
        "acute-mr",
        "post-mi-vsd",
        "aortic-regurgitation",
        "va-ecmo",
    ] {
        assert!(names.iter().any(|n| n == p), "{p} listed");
        let o = run(&["simulate", "--preset", p, "--json"]);
        assert!(o.status.success(), "{p}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        assert!(
            v["baseline"]["ffr"].is_number() && v["baseline"]["qp_qs"].is_number(),
            "{p}"
        );
    }
}

#[test]
fn an_unconverged_run_says_when_the_console_s_learned_timing_set_its_error() {
    // Cardiogenic shock without the controllers, HR 140, 40 mL balloon (a point of
    // `benches/a9c1813-physiology.toml`), stopped by small beat budgets: where the console's
    // term is what keeps the stated error above the tolerance, the warning says so; otherwise
    // it does not.
    let mut said = 0;
    for max_beats in 6..=14 {
        let budget = format!("steady.max_beats={max_beats}");
        let mut args = vec!["simulate", "--preset", "cardiogenic-shock", "--json"];
        for set in [
            "iabp.enabled=true",
            "iabp.ratio=1:1",
            "iabp.timing=auto",
            "baroreflex.enabled=false",
            "coronary.autoregulation=false",
            "ischaemia.enabled=false",
            "heart.rate_bpm=140",
            "iabp.volume_ml=40",
            "coronary.stenosis_percent=50",
            &budget,
        ] {
            args.extend(["--set", set]);
        }
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let r = &v["run"]["assisted"];
        if r["converged"].as_bool() == Some(true) {
            continue;
        }
        let (error, console) = (
            r["steady_state_error"].as_f64().unwrap_or(f64::INFINITY),
            r["console_timing_error"].as_f64().unwrap_or(0.0),
        );
        let warned = stderr(&o).lines().any(|l| {
            l.contains("assisted run") && l.contains("set by the balloon console's learned timing")
        });
        assert_eq!(
            warned,
            error > 1e-3 && console >= error,
            "max_beats {max_beats}: error {error:.2e}, console {console:.2e}\n{}",
            stderr(&o)
        );
        said += usize::from(warned);
    }
    assert!(said > 0, "no budget stopped the run on the console's term");
}
