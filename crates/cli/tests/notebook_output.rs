//! Output for notebooks (issue 15): plain Arrow strings and a unit on every field of every file
//! kind, `time_in_beat_s`, text-valued and relative sweep axes, and `--json` / `--quiet`.

mod common;
use common::Scratch;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use counterpulse_io::arrow::DataType;
use counterpulse_io::{UNIT_KEY, read_columns, read_f64_columns, read_schema, read_str_column};

fn run(args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_counterpulse"))
        .args(args)
        .output()
        .expect("binary runs");
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn tmp(name: &str) -> Scratch {
    Scratch::unmade("notebook", name)
}

fn parquet_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            parquet_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "parquet") {
            out.push(p);
        }
    }
}

const SPEC: &str = r#"
[sweep]
name = "nb"
preset = "cardiogenic-shock"
record_points = [0]
[set]
iabp.enabled = true
[axes]
"iabp.timing" = ["auto", "r-wave"]
"systemic.resistance_scale" = { relative = [0.9, 1.1] }
"#;

#[test]
fn every_file_kind_has_plain_strings_and_a_unit_on_every_field() {
    let dir = tmp("kinds");
    let spec = dir.join("s.toml");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(&spec, SPEC).expect("spec");
    let out = dir.join("out");
    let o = run(&[
        "sweep",
        spec.to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
        "--json",
        "--quiet",
    ]);
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(summary["counts"]["ok"], 4);
    assert!(o.stderr.is_empty(), "--quiet");
    let mut files = Vec::new();
    parquet_files(&out, &mut files);
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for kind in [
        "points.parquet",
        "part-000000.parquet",
        "beats.parquet",
        "waveforms.parquet",
        "events.parquet",
    ] {
        assert!(names.iter().any(|n| n == kind), "no {kind} among {names:?}");
    }
    for f in &files {
        let schema = read_schema(f).expect("schema");
        for field in schema.fields() {
            assert_ne!(
                field.data_type(),
                &DataType::Utf8View,
                "{f:?}: {}",
                field.name()
            );
            let unit = field
                .metadata()
                .get(UNIT_KEY)
                .unwrap_or_else(|| panic!("{f:?}: {} has no unit", field.name()));
            let text = matches!(field.data_type(), DataType::Utf8 | DataType::Boolean);
            assert_eq!(unit.is_empty(), text, "{f:?}: {} = {unit:?}", field.name());
        }
    }
    // Text axis: a text column; relative axis: the preset's value times the factors.
    let points = out.join("points.parquet");
    assert_eq!(
        read_str_column(&points, "iabp_timing").expect("text"),
        ["auto", "auto", "r-wave", "r-wave"]
    );
    let r = read_f64_columns(&points, &["systemic_resistance_scale"]).expect("r");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("json");
    let base = manifest["axes"][1]["relative"]["base_value"]
        .as_f64()
        .expect("base value");
    assert_eq!(
        manifest["axes"][1]["relative"]["factors"],
        serde_json::json!([0.9, 1.1])
    );
    for (v, f) in r[0].1.iter().zip([0.9, 1.1, 0.9, 1.1]) {
        assert!((v.expect("value") - f * base).abs() < 1e-9);
    }
    // time_in_beat_s of the recorded point: from 0 to one RR interval.
    let w = out.join("points/point-000000/waveforms.parquet");
    let t = read_columns(&w, &["time_in_beat_s"]).expect("t");
    let counterpulse_io::ColumnValues::Numbers(t) = &t[0].1 else {
        panic!("numbers")
    };
    let max = t.iter().flatten().fold(f64::MIN, |a, b| a.max(*b));
    let min = t.iter().flatten().fold(f64::MAX, |a, b| a.min(*b));
    assert!(
        t.iter().all(Option::is_some) && min >= -1e-9 && max < 0.6,
        "{min}..{max}"
    );
    // Text-valued axes in --where and --by.
    let figure = dir.join("fig");
    run(&[
        "plot",
        "lines",
        out.to_str().expect("utf8"),
        "--x",
        "systemic_resistance_scale",
        "--y",
        "delta_cardiac_output_l_min",
        "--by",
        "iabp_timing",
        "--where",
        "iabp_timing=auto",
        "--out",
        figure.to_str().expect("utf8"),
        "--quiet",
    ]);
    assert!(figure.with_extension("svg").exists());
}
