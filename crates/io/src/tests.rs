use std::fs;
use std::path::Path;

use arrow_schema::DataType;

use super::*;

fn tmp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("cp-io-{name}-{}", std::process::id()))
}

fn sample() -> Table {
    let mut t = Table::new();
    t.push("time_s", ColumnData::F64(vec![0.0, 0.5, 1.0]))
        .push("beat", ColumnData::U64(vec![0, 0, 1]))
        .push("ffr", ColumnData::OptF64(vec![None, Some(0.8), None]))
        .push(
            "kind",
            ColumnData::Str(vec!["a".into(), "b".into(), "c".into()]),
        )
        .push("assisted", ColumnData::Bool(vec![true, false, true]));
    t
}

#[test]
fn parquet_round_trip_with_nulls_and_units() {
    let dir = tmp("round-trip");
    let path = dir.join("t.parquet");
    write_parquet(&path, &sample(), &[("k".into(), "v".into())]).expect("writes");
    let b = read_batch(&path).expect("reads");
    assert_eq!(b.num_rows(), 3);
    assert_eq!(
        column_names(&path).expect("names"),
        vec!["time_s", "beat", "ffr", "kind", "assisted"]
    );
    let cols = read_f64_columns(&path, &["ffr", "beat"]).expect("f64");
    assert_eq!(cols[0].1, vec![None, Some(0.8), None]);
    assert_eq!(cols[1].1, vec![Some(0.0), Some(0.0), Some(1.0)]);
    assert_eq!(
        read_str_column(&path, "kind").expect("kind"),
        ["a", "b", "c"]
    );
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left");
    let _ = fs::remove_dir_all(&dir);
}

/// Issue 15: polars wrote `string_view`, which pyarrow cannot sort, filter or join; units were
/// only in the file's key/value metadata and dimensionless columns had `""` or `"1"`.
#[test]
fn plain_strings_and_a_unit_on_every_field() {
    let dir = tmp("schema");
    let path = dir.join("t.parquet");
    write_parquet(
        &path,
        &sample(),
        &[("counterpulse.preset".into(), "p".into())],
    )
    .expect("writes");
    let schema = read_schema(&path).expect("schema");
    let field = |n: &str| schema.field_with_name(n).expect("field").clone();
    assert_eq!(field("kind").data_type(), &DataType::Utf8);
    assert!(!field("kind").is_nullable());
    assert!(field("ffr").is_nullable());
    let unit = |n: &str| field(n).metadata().get(UNIT_KEY).cloned();
    assert_eq!(unit("time_s").as_deref(), Some("s"));
    assert_eq!(
        unit("beat").as_deref(),
        Some("1"),
        "a count is dimensionless"
    );
    assert_eq!(
        unit("ffr").as_deref(),
        Some("1"),
        "a ratio is dimensionless"
    );
    assert_eq!(unit("kind").as_deref(), Some(""), "text is not a quantity");
    assert_eq!(unit("assisted").as_deref(), Some(""));
    let md = schema.metadata();
    let units: serde_json::Value =
        serde_json::from_str(md.get(UNITS_KEY).expect("units in the schema")).expect("json");
    assert_eq!(units["time_s"], "s");
    let attrs: serde_json::Value =
        serde_json::from_str(md.get(PANDAS_ATTRS_KEY).expect("pandas attrs")).expect("json");
    assert_eq!(attrs["units"], units);
    assert_eq!(md.get("counterpulse.preset").map(String::as_str), Some("p"));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn concatenation_keeps_order_units_and_metadata() {
    let dir = tmp("concat");
    let (a, b, out) = (
        dir.join("a.parquet"),
        dir.join("b.parquet"),
        dir.join("all.parquet"),
    );
    write_parquet(&a, &sample(), &[]).expect("a");
    let mut t2 = sample();
    t2.columns[0].1 = ColumnData::F64(vec![2.0, 3.0, 4.0]);
    write_parquet(&b, &t2, &[]).expect("b");
    let rows = concat_parquet(&[a, b], &out, &[("m".into(), "1".into())]).expect("concat");
    assert_eq!(rows, 6);
    let t = read_f64_columns(&out, &["time_s"]).expect("time");
    assert_eq!(
        t[0].1.iter().flatten().copied().collect::<Vec<_>>(),
        [0.0, 0.5, 1.0, 2.0, 3.0, 4.0]
    );
    let schema = read_schema(&out).expect("schema");
    assert_eq!(schema.metadata().get("m").map(String::as_str), Some("1"));
    assert_eq!(
        schema
            .field_with_name("time_s")
            .expect("f")
            .metadata()
            .get(UNIT_KEY)
            .map(String::as_str),
        Some("s")
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn ragged_tables_are_refused() {
    let mut t = Table::new();
    t.push("a", ColumnData::F64(vec![1.0]))
        .push("b", ColumnData::F64(vec![1.0, 2.0]));
    let e = write_parquet(Path::new("/tmp/never.parquet"), &t, &[]).expect_err("ragged");
    assert!(e.to_string().contains("column `b` has 2 rows"), "{e}");
    assert!(!Path::new("/tmp/never.parquet").exists());
}

#[test]
fn a_full_disk_is_named_not_hidden_behind_a_parquet_message() {
    use crate::atomic::KeepError;
    use std::io::{BufWriter, Write};
    // /dev/full answers every write with ENOSPC, as a full disk does.
    let full = std::path::Path::new("/dev/full");
    if !full.exists() {
        return;
    }
    let mut t = Table::new();
    t.push(
        "time_s",
        ColumnData::F64((0..100_000).map(f64::from).collect()),
    );
    let batch = t.to_record_batch(&[]).expect("batch");
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(full)
        .expect("open /dev/full");
    let mut w = BufWriter::new(KeepError::new(f));
    let r = crate::parquet::write_batch(&mut w, full, &batch).and_then(|()| {
        w.flush().map_err(|e| crate::IoError::Fs {
            path: full.to_path_buf(),
            source: e,
        })
    });
    assert!(r.is_err());
    let kept = w.get_ref().error.clone().expect("the OS error is kept");
    assert_eq!(kept.0, std::io::ErrorKind::StorageFull, "{}", kept.1);
    assert!(kept.1.contains("No space left on device"), "{}", kept.1);
}

#[test]
fn a_file_set_appears_with_its_manifest_last_or_not_at_all() {
    use crate::FileSet;
    use std::fs;
    use std::path::Path;
    let dir = std::env::temp_dir().join(format!("cp-io-set-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let mut t = Table::new();
    t.push("time_s", ColumnData::F64(vec![1.0, 2.0]));
    // A set dropped before its commit leaves nothing behind.
    {
        let mut set = FileSet::new(&dir);
        set.stage_parquet("a.parquet", &t, &[]).expect("stages");
    }
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .map(|r| {
                r.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    assert!(names(&dir).is_empty(), "{:?}", names(&dir));
    let mut set = FileSet::new(&dir);
    let bytes = set.stage_parquet("a.parquet", &t, &[]).expect("stages");
    assert!(
        !dir.join("a.parquet").exists(),
        "not in place before the commit"
    );
    assert_eq!(set.files(), vec![("a.parquet".to_string(), bytes)]);
    set.commit(
        "manifest.json",
        &serde_json::json!({"files": {"a.parquet": bytes}}),
    )
    .expect("commits");
    assert_eq!(names(&dir), vec!["a.parquet", "manifest.json"]);
    assert_eq!(
        fs::metadata(dir.join("a.parquet")).expect("meta").len(),
        bytes
    );
    let _ = fs::remove_dir_all(&dir);
}
