//! End-to-end tests of Sobol', Morris and cohort sweeps as a user runs them: the designs shard,
//! merge and resume like any sweep (byte-identical to one run), the analyses read only the
//! merged `points.parquet`, infeasible and excluded members are recorded with the reason, and
//! bad specs and options exit 2 naming the problem.

mod common;
use common::Scratch;
use std::path::Path;
use std::process::{Command, Output};

use counterpulse_io::{
    ColumnValues, read_columns, read_f64_columns, read_metadata_value, read_schema, read_str_column,
};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_counterpulse"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn tmp(name: &str) -> Scratch {
    Scratch::new("sensitivity", name)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write spec");
    p.display().to_string()
}

fn texts(file: &Path, name: &str) -> Vec<String> {
    read_str_column(file, name).expect("text column")
}

fn numbers(file: &Path, name: &str) -> Vec<Option<f64>> {
    read_f64_columns(file, &[name])
        .expect("readable")
        .pop()
        .unwrap_or_else(|| panic!("no column {name}"))
        .1
}

/// Two inputs, N = 4: 4 x 4 + 5 = 21 points in 4 chunks.
const SOBOL: &str = r#"
[sweep]
name = "sobol-test"
preset = "healthy"
sampling = "sobol"
samples = 4
seed = 3
chunk_size = 6
metrics = ["cardiac_output_l_min", "mean_arterial_pressure_mmhg"]
[set]
"iabp.enabled" = true
[axes]
"heart.rate_bpm" = { distribution = "normal", mean = 80, sd = 10, min = 60, max = 100, source = "test" }
"iabp.volume_ml" = [30, 40, 50]
"#;

#[test]
fn sobol_designs_shard_and_merge_like_sweeps_and_the_analysis_reads_the_merged_file() {
    let dir = tmp("sobol");
    let spec = write(&dir, "sobol.toml", SOBOL);
    let one = dir.join("one");
    let two = dir.join("two");
    ok(&[
        "sweep",
        &spec,
        "--out",
        one.to_str().expect("utf8"),
        "--threads",
        "1",
        "--quiet",
    ]);
    for s in ["0/2", "1/2"] {
        ok(&[
            "sweep",
            &spec,
            "--out",
            two.to_str().expect("utf8"),
            "--shard",
            s,
            "--quiet",
        ]);
    }
    ok(&["merge", two.to_str().expect("utf8"), "--quiet"]);
    let a = std::fs::read(one.join("points.parquet")).expect("one");
    let b = std::fs::read(two.join("points.parquet")).expect("two");
    assert_eq!(a, b, "sharded and merged = one run, byte for byte");
    let points = two.join("points.parquet");
    // The design columns: 4 A, 4 B, 8 AB, the median point and 4 one-at-a-time points.
    let matrix = texts(&points, "sobol_matrix");
    assert_eq!(matrix.len(), 21);
    for (m, n) in [
        ("A", 4),
        ("B", 4),
        ("AB", 8),
        ("centre", 1),
        ("low", 2),
        ("high", 2),
    ] {
        assert_eq!(matrix.iter().filter(|x| *x == m).count(), n, "{m}");
    }
    let design = read_metadata_value(&points, "counterpulse.design")
        .expect("readable")
        .expect("design metadata");
    assert!(design.contains("\"sampling\":\"sobol\"") && design.contains("\"base_samples\":4"));
    // AB_i takes input i from B and the other from A.
    let hr = numbers(&points, "heart_rate_bpm");
    let vol = numbers(&points, "iabp_volume_ml");
    let input = texts(&points, "sobol_input");
    for j in 0..4 {
        let (a, b) = (j * 4, j * 4 + 1);
        for r in [j * 4 + 2, j * 4 + 3] {
            let (want_hr, want_vol) = if input[r] == "heart_rate_bpm" {
                (hr[b], vol[a])
            } else {
                (hr[a], vol[b])
            };
            assert_eq!((hr[r], vol[r]), (want_hr, want_vol), "row {r}");
        }
    }
    let out = ok(&[
        "analyze",
        "sobol",
        two.to_str().expect("utf8"),
        "--y",
        "delta_cardiac_output_l_min",
        "--bootstrap",
        "200",
        "--json",
    ]);
    let j: serde_json::Value = serde_json::from_str(&out).expect("json on stdout");
    let indices = &j["results"][0]["indices"];
    assert_eq!(indices.as_array().map(Vec::len), Some(2));
    let result = two
        .join("analysis")
        .join("sobol-delta_cardiac_output_l_min.parquet");
    let schema = read_schema(&result).expect("schema");
    let unit = |c: &str| {
        schema
            .field_with_name(c)
            .expect("field")
            .metadata()
            .get("unit")
            .cloned()
    };
    assert_eq!(unit("total_order").as_deref(), Some("1"));
    assert_eq!(unit("tornado_output_low").as_deref(), Some("L/min"));
    assert_eq!(unit("input").as_deref(), Some(""));
    let cols = read_columns(
        &result,
        &[
            "input",
            "total_order",
            "total_order_low",
            "total_order_high",
        ],
    )
    .expect("read");
    let ColumnValues::Numbers(t) = &cols[1].1 else {
        panic!("numbers")
    };
    let ColumnValues::Numbers(lo) = &cols[2].1 else {
        panic!("numbers")
    };
    let ColumnValues::Numbers(hi) = &cols[3].1 else {
        panic!("numbers")
    };
    for i in 0..2 {
        let (t, lo, hi) = (t[i].expect("t"), lo[i].expect("lo"), hi[i].expect("hi"));
        assert!(t.is_finite() && lo <= hi, "{t} [{lo}, {hi}]");
    }
    // The figure from the same folder.
    ok(&[
        "plot",
        "sensitivity",
        two.to_str().expect("utf8"),
        "--y",
        "delta_cardiac_output_l_min",
        "--format",
        "svg",
        "--quiet",
    ]);
    let svg = std::fs::read_to_string(
        two.join("figures")
            .join("sobol-delta_cardiac_output_l_min.svg"),
    )
    .expect("svg");
    for text in [
        "Heart rate",
        "Balloon volume",
        "Total S_Ti",
        "One input at a time",
    ] {
        assert!(svg.contains(text), "the figure names {text}");
    }
}

/// Two inputs, 5 trajectories of 3 points, levels 4.
const MORRIS: &str = r#"
[sweep]
name = "morris-test"
preset = "healthy"
sampling = "morris"
samples = 5
levels = 4
seed = 2
metrics = ["cardiac_output_l_min"]
[set]
"iabp.enabled" = true
[axes]
"heart.rate_bpm" = { distribution = "uniform", min = 60, max = 100, source = "test" }
"iabp.volume_ml" = { distribution = "uniform", min = 25, max = 50, source = "test" }
"#;

#[test]
fn morris_screening_from_spec_to_figure() {
    let dir = tmp("morris");
    let spec = write(&dir, "morris.toml", MORRIS);
    let out = dir.join("out");
    let o = out.to_str().expect("utf8");
    ok(&["sweep", &spec, "--out", o, "--quiet"]);
    let points = out.join("points.parquet");
    let step = numbers(&points, "morris_step");
    assert_eq!(step.len(), 15, "5 trajectories x (2 + 1)");
    // Each step changes exactly one input, by 2/3 of its range (levels 4: Δ = p / (2 (p − 1))
    // of the unit cube, mapped through the uniform distribution).
    let hr = numbers(&points, "heart_rate_bpm");
    let vol = numbers(&points, "iabp_volume_ml");
    for r in 0..15 {
        if step[r] == Some(0.0) {
            continue;
        }
        let dh = (hr[r].expect("hr") - hr[r - 1].expect("hr")).abs();
        let dv = (vol[r].expect("v") - vol[r - 1].expect("v")).abs();
        let (moved, still) = if dh > 0.0 {
            (dh / 40.0, dv)
        } else {
            (dv / 25.0, dh)
        };
        assert!(
            (moved - 2.0 / 3.0).abs() < 1e-9 && still == 0.0,
            "row {r}: {dh} {dv}"
        );
    }
    let text = ok(&[
        "analyze",
        "morris",
        o,
        "--y",
        "delta_cardiac_output_l_min",
        "--json",
    ]);
    let j: serde_json::Value = serde_json::from_str(&text).expect("json on stdout");
    assert!(j["results"][0].is_object(), "{j}");
    let result = out
        .join("analysis")
        .join("morris-delta_cardiac_output_l_min.parquet");
    let mu_star = numbers(&result, "mu_star");
    let sigma = numbers(&result, "sigma");
    for (m, s) in mu_star.iter().zip(&sigma) {
        let (m, s) = (m.expect("mu*"), s.expect("sigma"));
        assert!(m >= 0.0 && s >= 0.0 && m.is_finite(), "{m} {s}");
    }
    // The balloon's volume moves its gain: a larger balloon displaces more blood.
    let inputs = texts(&result, "input");
    let v = inputs
        .iter()
        .position(|i| i == "iabp_volume_ml")
        .expect("volume");
    assert!(numbers(&result, "mu")[v].expect("mu") > 0.0);
    ok(&[
        "plot",
        "sensitivity",
        o,
        "--y",
        "delta_cardiac_output_l_min",
        "--format",
        "svg",
        "--quiet",
    ]);
    let svg = std::fs::read_to_string(
        out.join("figures")
            .join("morris-delta_cardiac_output_l_min.svg"),
    )
    .expect("svg");
    assert!(svg.contains("Morris screening") && svg.contains("Balloon volume"));
}

/// 12 members at 160 bpm, one input invalid for about half of them (an inflation offset
/// longer than the 375 ms beat). A 25 mL balloon: since issue 12 (320 mmHg drive, balloon
/// empty before ejection) a 40 mL balloon no longer fills at 160 bpm and above.
const COHORT: &str = r#"
[sweep]
name = "cohort-test"
preset = "healthy"
sampling = "cohort"
samples = 12
seed = 5
chunk_size = 4
metrics = ["cardiac_output_l_min", "mean_arterial_pressure_mmhg", "systolic_pressure_mmhg"]
[set]
"iabp.enabled" = true
"heart.rate_bpm" = 160
"iabp.volume_ml" = 25
[axes]
"lv.contractility_scale" = { distribution = "lognormal", median = 0.8, gsd = 1.3, min = 0.3, max = 1.5, source = "test" }
"systemic.resistance_scale" = { distribution = "normal", mean = 1.0, sd = 0.2, min = 0.5, max = 1.5, source = "test" }
"iabp.inflate_offset_ms" = { distribution = "discrete", values = [0, 390], weights = [0.5, 0.5], source = "test" }
[cohort]
correlation = { keys = ["lv.contractility_scale", "systemic.resistance_scale"], matrix = [[1, 0.5], [0.5, 1]], source = "test" }
body_surface_area_m2 = 1.9
inclusion = [{ column = "baseline_mean_arterial_pressure_mmhg", max = 110, source = "test" }]
responder = { column = "delta_cardiac_index_l_min_m2", min = 0.1, source = "test" }
reference = { column = "delta_cardiac_index_l_min_m2", mean = 0.11, sd = 0.31, n = 13, source = "test" }
"#;

#[test]
fn cohorts_record_infeasible_and_excluded_members_with_the_reason() {
    let dir = tmp("cohort");
    let spec = write(&dir, "cohort.toml", COHORT);
    let whole = dir.join("whole");
    let out = ok(&[
        "cohort",
        &spec,
        "--out",
        whole.to_str().expect("utf8"),
        "--json",
    ]);
    let j: serde_json::Value = serde_json::from_str(&out).expect("json on stdout");
    assert_eq!(j["analysis"], "cohort");
    // The same cohort as two shards, then merged and analysed: the same members file.
    let parts = dir.join("parts");
    for s in ["0/2", "1/2"] {
        ok(&[
            "cohort",
            &spec,
            "--out",
            parts.to_str().expect("utf8"),
            "--shard",
            s,
            "--quiet",
        ]);
    }
    ok(&["merge", parts.to_str().expect("utf8"), "--quiet"]);
    ok(&[
        "analyze",
        "cohort",
        parts.to_str().expect("utf8"),
        "--quiet",
    ]);
    let members = |d: &Path| d.join("analysis").join("cohort-members.parquet");
    assert_eq!(
        std::fs::read(whole.join("points.parquet")).expect("a"),
        std::fs::read(parts.join("points.parquet")).expect("b")
    );
    let m = members(&whole);
    let status = texts(&m, "member_status");
    let reason = texts(&m, "reason");
    let offset = numbers(&m, "iabp_inflate_offset_ms");
    let map = numbers(&m, "baseline_mean_arterial_pressure_mmhg");
    assert_eq!(status.len(), 12);
    for i in 0..12 {
        if offset[i] == Some(390.0) {
            assert_eq!(status[i], "infeasible", "member {i}");
            assert!(reason[i].starts_with("failed:"), "{}", reason[i]);
        } else if map[i].is_some_and(|x| x > 110.0) {
            assert_eq!(status[i], "excluded");
            assert!(
                reason[i].contains("baseline_mean_arterial_pressure_mmhg"),
                "{}",
                reason[i]
            );
        } else {
            assert_eq!(status[i], "included");
            assert!(reason[i].is_empty());
        }
    }
    assert!(status.iter().any(|s| s == "infeasible") && status.iter().any(|s| s == "included"));
    // The cardiac index is the output over the surface area given.
    let co = numbers(&m, "delta_cardiac_output_l_min");
    let ci = numbers(&m, "delta_cardiac_index_l_min_m2");
    for i in 0..12 {
        if let (Some(co), Some(ci)) = (co[i], ci[i]) {
            assert!((ci - co / 1.9).abs() < 1e-12);
        }
    }
    // The figure: the effect's distribution against the reference, and the separation.
    ok(&[
        "plot",
        "cohort",
        whole.to_str().expect("utf8"),
        "--format",
        "svg",
        "--quiet",
    ]);
    // The figure (beside it, plot's hidden ledger of the files it wrote).
    let figures: Vec<_> = std::fs::read_dir(whole.join("figures"))
        .expect("figures")
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(figures.len(), 1, "one svg");
    let svg = std::fs::read_to_string(figures[0].path()).expect("svg");
    for text in ["responders", "test: +0.11 ± 0.31 (n = 13)"] {
        assert!(svg.contains(text), "the figure names {text}");
    }
    let summary = dir.join("whole/analysis/cohort-summary.parquet");
    let q = texts(&summary, "quantity");
    for want in [
        "members_drawn",
        "members_infeasible",
        "responder_share",
        "reference_mean",
    ] {
        assert!(q.iter().any(|x| x == want), "{want} in the summary");
    }
}

#[test]
fn bad_designs_and_analyses_exit_2_naming_the_problem() {
    let dir = tmp("bad");
    let base = "[sweep]\npreset = \"healthy\"\n";
    let cases: Vec<(String, &str)> = vec![
        (
            format!(
                "{base}sampling = \"sobol\"\nsamples = 4\n[axes]\n\"heart.rate_bpm\" = {{ distribution = \"normal\", mean = 80, sd = 10 }}\n"
            ),
            "needs its `source`",
        ),
        (
            format!(
                "{base}sampling = \"sobol\"\nsamples = 4\n[axes]\n\"heart.rate_bpm\" = {{ distribution = \"normal\", mean = 80, sd = 60, source = \"s\" }}\n"
            ),
            "truncate it with min/max",
        ),
        (
            format!(
                "{base}sampling = \"morris\"\nsamples = 4\n[axes]\n\"heart.rate_bpm\" = {{ distribution = \"normal\", mean = 80, sd = 5, source = \"s\" }}\n"
            ),
            "give the distribution min and max",
        ),
        (
            format!(
                "{base}sampling = \"cohort\"\nsamples = 4\n[axes]\n\"heart.rate_bpm\" = [60, 80]\n"
            ),
            "needs a [cohort] table",
        ),
        (
            format!(
                "{base}sampling = \"cohort\"\nsamples = 4\n[axes]\n\"heart.rate_bpm\" = [60, 80]\n\"lv.contractility_scale\" = [0.5, 1]\n\"systemic.resistance_scale\" = [0.8, 1]\n[cohort]\ncorrelation = {{ keys = [\"heart.rate_bpm\", \"lv.contractility_scale\", \"systemic.resistance_scale\"], matrix = [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]], source = \"s\" }}\nresponder = {{ column = \"delta_cardiac_output_l_min\", min = 0.2, source = \"s\" }}\n"
            ),
            "not positive definite",
        ),
        (
            format!(
                "{base}sampling = \"cohort\"\nsamples = 4\n[axes]\n\"heart.rate_bpm\" = [60, 80]\n[cohort]\nresponder = {{ column = \"delta_co\", min = 0.2, source = \"s\" }}\n"
            ),
            "`delta_co` is not a column",
        ),
        (
            format!(
                "{base}sampling = \"random\"\nsamples = 4\n[axes]\n\"iabp.volume_ml\" = {{ lookup = \"patient.height_cm\", breaks = [160], values = [34, 40], source = \"s\" }}\n"
            ),
            "not an axis of this sweep",
        ),
        (
            format!("{base}[axes]\n\"patient.weight_kg\" = [60, 70]\n"),
            "not on a grid",
        ),
    ];
    for (i, (text, needle)) in cases.iter().enumerate() {
        let spec = write(&dir, &format!("bad-{i}.toml"), text);
        let o = run(&[
            "sweep",
            &spec,
            "--out",
            dir.join(format!("out-{i}")).to_str().expect("utf8"),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{text}: {err}");
        assert!(err.contains(needle), "{text}: {err}");
        assert!(
            !dir.join(format!("out-{i}")).exists(),
            "nothing written on refusal"
        );
    }
    // An analysis of the wrong design, or of a column that does not exist.
    let grid = write(
        &dir,
        "grid.toml",
        "[sweep]\npreset = \"healthy\"\nmetrics = [\"cardiac_output_l_min\"]\n[set]\n\"iabp.enabled\" = true\n[axes]\n\"heart.rate_bpm\" = [70]\n",
    );
    let out = dir.join("grid");
    ok(&[
        "sweep",
        &grid,
        "--out",
        out.to_str().expect("utf8"),
        "--quiet",
    ]);
    let o = run(&[
        "analyze",
        "sobol",
        out.to_str().expect("utf8"),
        "--y",
        "delta_cardiac_output_l_min",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs sampling = \"sobol\""));
    let o = run(&[
        "analyze",
        "cohort",
        dir.join("nowhere").to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no such file"));
    let o = run(&[
        "analyze",
        "sobol",
        out.to_str().expect("utf8"),
        "--y",
        "x",
        "--confidence",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("allowed 0.5 to 0.999"));
    // `counterpulse cohort` on another design refuses before running anything.
    let o = run(&[
        "cohort",
        &grid,
        "--out",
        dir.join("not-a-cohort").to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs sampling = \"cohort\""));
    assert!(
        !dir.join("not-a-cohort").exists(),
        "nothing run, nothing written"
    );
    // Figures of a design that is not one, and of a folder that is not a sweep.
    for args in [
        vec!["plot", "cohort", out.to_str().expect("utf8")],
        vec![
            "plot",
            "sensitivity",
            out.to_str().expect("utf8"),
            "--y",
            "delta_cardiac_output_l_min",
        ],
        vec![
            "plot",
            "sensitivity",
            dir.join("nowhere").to_str().expect("utf8"),
            "--y",
            "delta_cardiac_output_l_min",
        ],
        vec![
            "analyze",
            "morris",
            out.to_str().expect("utf8"),
            "--y",
            "delta_cardiac_output_l_min",
        ],
        vec![
            "analyze",
            "sobol",
            out.to_str().expect("utf8"),
            "--y",
            "delta_cardiac_output_l_min",
            "--bootstrap",
            "200000",
        ],
    ] {
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
}
