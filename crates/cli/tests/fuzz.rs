//! Fuzz suite (issue 13): generated bad input for the scenario parser, the sweep-spec parser
//! and `--set`, first in-process (many cases, every parser), then through the binary
//! (at least 10 000 runs) as a user would type them.
//!
//! Inputs come from a seeded generator (SplitMix64): a valid document or command line with
//! one defect injected from a catalogue (a value out of its key's range or of the wrong type,
//! NaN and infinities, an unknown or misspelt key, a huge value, a broken TOML construct, a
//! protocol step beyond the beat budget, a bad sweep axis or `[sweep]` key), plus random byte
//! mutations for the in-process parsers. Every case is reproducible from its number.
//!
//! Asserted: no panic (exit code 101) and no hang; the binary exits 0 or 2 with a one-line
//! message that names the key (or the TOML line) when it refuses, and writes nothing then.
//!
//! `COUNTERPULSE_FUZZ_CASES` sets the number of binary runs (default 10 000);
//! `COUNTERPULSE_FUZZ_BIN` runs another binary (e.g. an old release) for comparison.

mod common;
use common::Scratch;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use counterpulse_circulation::params::{Kind, ParamSpec};
use counterpulse_sim::Scenario;
use counterpulse_sim::rng::SplitMix64;
use counterpulse_sweep::SweepSpec;

struct Gen(SplitMix64);

impl Gen {
    fn new(case: u64) -> Self {
        Self(SplitMix64::new(
            0xF022_0013 ^ case.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        ))
    }
    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    fn chance(&mut self, p: f64) -> bool {
        self.0.uniform() < p
    }
    fn uniform(&mut self) -> f64 {
        self.0.uniform()
    }
}

fn specs() -> &'static [ParamSpec] {
    static SPECS: std::sync::OnceLock<Vec<ParamSpec>> = std::sync::OnceLock::new();
    SPECS.get_or_init(Scenario::specs)
}

/// A valid value of a key, as TOML text (inside its range).
fn valid_value(g: &mut Gen, spec: &ParamSpec) -> String {
    match &spec.kind {
        Kind::Number { min, max } => {
            let x = min + (max - min) * g.uniform();
            format!("{x:?}")
        }
        Kind::Integer { min, max } => {
            let span = (max - min).min(1000.0);
            format!("{}", (min + (span * g.uniform()).floor()) as i64)
        }
        Kind::Bool => "false".into(),
        Kind::Choice(names) => format!("\"{}\"", g.pick(names)),
    }
}

/// A value that `spec` must refuse, as TOML text and as command-line text.
fn bad_value(g: &mut Gen, spec: &ParamSpec) -> (String, String) {
    let huge = "9".repeat(1 + g.below(5000));
    let word = g
        .pick(&["fast", "yes", "TRUE", "none", "1:9", "∞", "a b", "0x10"])
        .to_string();
    match &spec.kind {
        Kind::Number { min, max } | Kind::Integer { min, max } => {
            let span = (max - min).abs().max(1.0);
            let above = max + span * (0.01 + 10f64.powf(6.0 * g.uniform()));
            let below = min - span * (0.01 + 10f64.powf(6.0 * g.uniform()));
            let frac = if matches!(spec.kind, Kind::Integer { .. }) && min + 0.5 < *max {
                Some(format!("{:?}", min + 0.5))
            } else {
                None
            };
            match g.below(9) {
                0 => (format!("{above:?}"), format!("{above:?}")),
                1 => (format!("{below:?}"), format!("{below:?}")),
                2 => ("nan".into(), "nan".into()),
                3 => ("inf".into(), "inf".into()),
                4 => ("-inf".into(), "-inf".into()),
                5 => (format!("\"{word}\""), word),
                6 => ("true".into(), "true".into()),
                7 => (format!("{huge}.0"), huge),
                _ => match frac {
                    Some(f) => (f.clone(), f),
                    None => ("[1, 2]".into(), "[1,2]".into()),
                },
            }
        }
        Kind::Bool => match g.below(3) {
            0 => ("1".into(), "1".into()),
            1 => ("\"yes\"".into(), "yes".into()),
            _ => (huge.clone(), huge),
        },
        Kind::Choice(_) => match g.below(3) {
            0 => ("\"zzz\"".into(), "zzz".into()),
            1 => ("3".into(), "3".into()),
            _ => (format!("\"{huge}\""), huge),
        },
    }
}

/// A key that does not exist, near a real one or not.
fn bad_key(g: &mut Gen) -> String {
    let real = &g.pick(specs()).key.clone();
    let mut chars: Vec<char> = real.chars().collect();
    match g.below(7) {
        0 => {
            let i = g.below(chars.len());
            chars.remove(i);
        }
        1 => {
            let i = g.below(chars.len());
            chars.insert(i, 'x');
        }
        2 => return format!("{real}.deeper"),
        3 => return format!("nope.{}", real.rsplit('.').next().unwrap_or("x")),
        4 => return format!("heart.{}", "k".repeat(1 + g.below(3000))),
        5 => return "heart.rate_bpmé".into(),
        _ => return format!("{real}_typo"),
    }
    let k: String = chars.into_iter().collect();
    if specs().iter().any(|s| s.key == k) {
        format!("{k}_typo")
    } else {
        k
    }
}

/// Splits `group.field` for a TOML table (`[group]` then `field = ...`; deeper keys quoted).
fn toml_line(key: &str, value: &str) -> (String, String) {
    match key.split_once('.') {
        Some((g, f))
            if !g.is_empty() && g.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            (
                g.to_string(),
                format!("\"{}\" = {value}", f.replace('"', "")),
            )
        }
        _ => (
            "heart".into(),
            format!("\"{}\" = {value}", key.replace('"', "")),
        ),
    }
}

/// A scenario document: a preset, a few valid values, and (maybe) lines added by the caller.
fn scenario_doc(g: &mut Gen, extra: &[(String, String)]) -> String {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Valid values of keys that cannot make the scenario inconsistent.
    for _ in 0..g.below(3) {
        let key = *g.pick(&["heart.rate_bpm", "lv.contractility_scale", "iabp.volume_ml"]);
        let spec = specs().iter().find(|s| s.key == key).expect("known");
        let v = match key {
            "heart.rate_bpm" => format!("{}", 60 + g.below(50)),
            _ => valid_value(g, spec),
        };
        let (grp, line) = toml_line(key, &v);
        groups.entry(grp).or_default().push(line);
    }
    // The defect first: a valid value of the same key after it is dropped below.
    for (grp, line) in extra.iter().rev() {
        groups
            .entry(grp.clone())
            .or_default()
            .insert(0, line.clone());
    }
    let preset = *g.pick(&["healthy", "cardiogenic-shock", "pre-shock"]);
    let mut doc = format!("[scenario]\npreset = \"{preset}\"\n");
    for (grp, lines) in groups {
        doc.push_str(&format!("[{grp}]\n"));
        let mut seen: Vec<String> = Vec::new();
        for l in lines {
            // A key given twice in one table is itself a (TOML) defect: keep the first.
            let k = l.split('=').next().unwrap_or("").trim().to_string();
            if !seen.contains(&k) {
                doc.push_str(&l);
                doc.push('\n');
                seen.push(k);
            }
        }
    }
    doc
}

/// One generated bad input for the binary: arguments, files to write first, and what the
/// one-line message must contain.
struct Case {
    args: Vec<String>,
    files: Vec<(String, String)>,
    needle: String,
}

fn bad_set(g: &mut Gen) -> (String, String) {
    if g.chance(0.3) {
        let k = bad_key(g);
        let v = "1".to_string();
        return (format!("{k}={v}"), k.chars().take(30).collect());
    }
    let spec = g.pick(specs()).clone();
    let (_, cli) = bad_value(g, &spec);
    if g.chance(0.05) {
        return (spec.key.clone(), spec.key.clone());
    }
    (format!("{}={cli}", spec.key), spec.key)
}

/// TOML constructs that do not parse, with a needle.
fn broken_toml(g: &mut Gen) -> String {
    g.pick(&[
        "[heart\nrate_bpm = 80\n",
        "[heart]\nrate_bpm = \"80\n",
        "[heart]\nrate_bpm 80\n",
        "[heart]\nrate_bpm = 80\nrate_bpm = 90\n",
        "[heart]\nrate_bpm = \"\\q\"\n",
        "[]\n",
        "root:x:0:0:root:/root:/bin/bash\n",
        "[heart]\nrate_bpm = 8 0\n",
        "[heart]\nrate_bpm = [1,\n",
        "\u{0}\n",
    ])
    .to_string()
}

fn scenario_case(g: &mut Gen, dir: &Path, n: u64) -> Case {
    let file = format!("s{n}.toml");
    let path = dir.join(&file).display().to_string();
    let (text, needle) = match g.below(8) {
        0..=2 => {
            let spec = g.pick(specs()).clone();
            let (toml_v, _) = bad_value(g, &spec);
            let (grp, line) = toml_line(&spec.key, &toml_v);
            (scenario_doc(g, &[(grp, line)]), spec.key.clone())
        }
        3 => {
            let k = bad_key(g);
            let (grp, line) = toml_line(&k, "1");
            let shown: String = line
                .split('"')
                .nth(1)
                .unwrap_or("")
                .chars()
                .take(30)
                .collect();
            (scenario_doc(g, &[(grp, line)]), shown)
        }
        4 => (broken_toml(g), "not valid TOML at line".into()),
        5 => {
            let (doc, needle) = *g.pick(&[
                ("[scenario]\npreset = 3\n", "scenario.preset"),
                ("[scenario]\npreset = \"nope\"\n", "preset"),
                ("[scenario]\ndescription = 5\n", "scenario.description"),
                ("[scenario]\nbogus = 1\n", "scenario.bogus"),
                ("rate_bpm = 80\n", "rate_bpm"),
                ("[[protocol]]\niabp.ratio = \"1:2\"\n", "at_s"),
                (
                    "[iabp]\nenabled = true\n[[protocol]]\nat_s = -1\niabp.ratio = \"1:2\"\n",
                    "at_s",
                ),
                (
                    "[iabp]\nenabled = true\n[[protocol]]\nat_s = 1e9\niabp.ratio = \"1:2\"\n",
                    "steady.max_beats",
                ),
                (
                    "[iabp]\nenabled = true\n[[protocol]]\nat_s = 10\niabp.enabled = false\n",
                    "iabp.enabled",
                ),
                (
                    "[iabp]\nenabled = true\n[[protocol]]\nat_s = 10\n",
                    "sets nothing",
                ),
                ("[[bogus]]\nat_s = 1\n", "bogus"),
                (
                    "[output]\nwaveform_interval_ms = 0.05\nwaveform_beats = 0\n",
                    "output.waveform_beats",
                ),
                (
                    "[rhythm]\nkind = \"af\"\n[steady]\nmax_beats = 50\nirregular_beats = 120\n",
                    "steady.irregular_beats",
                ),
            ]);
            (doc.to_string(), needle.to_string())
        }
        6 => {
            // A huge value: the message quotes it shortened.
            let v = format!("\"{}\"", "x".repeat(200_000 + g.below(800_000)));
            let (grp, line) = toml_line("heart.rate_bpm", &v);
            (scenario_doc(g, &[(grp, line)]), "heart.rate_bpm".into())
        }
        _ => {
            // Inconsistent values, each in range alone.
            let (doc, needle) = *g.pick(&[
                (
                    "[heart]\nrate_bpm = 200\npr_interval_ms = 400\n",
                    "heart.pr_interval_ms",
                ),
                (
                    "[iabp]\ninflate_offset_ms = 900\n[heart]\nrate_bpm = 100\n",
                    "iabp.inflate_offset_ms",
                ),
                (
                    "[aortic_valve]\nopen_area_cm2 = 1.0\nregurgitant_area_cm2 = 2.0\n",
                    "aortic_valve",
                ),
            ]);
            (doc.to_string(), needle.to_string())
        }
    };
    Case {
        args: vec!["simulate".into(), "--scenario".into(), path],
        files: vec![(file, text)],
        needle,
    }
}

const SPEC_BASE: &str = "[sweep]\nname = \"fz\"\npreset = \"healthy\"\n";

fn spec_case(g: &mut Gen, dir: &Path, n: u64) -> Case {
    let file = format!("w{n}.toml");
    let path = dir.join(&file).display().to_string();
    let axes_ok = "[axes]\n\"heart.rate_bpm\" = [60, 80]\n";
    let (text, needle) = match g.below(6) {
        0 => {
            let (k, v, needle) = *g.pick(&[
                ("name", "5", "sweep.name"),
                ("name", "\"..\"", "sweep.name"),
                ("name", "\"a/b\"", "sweep.name"),
                ("preset", "3", "sweep.preset"),
                ("preset", "\"nope\"", "preset"),
                ("sampling", "1", "sweep.sampling"),
                // "sobol" is a sampling since issue 17: a misspelt one, and a design without
                // its size or with a key of another design.
                ("sampling", "\"sobel\"", "sweep.sampling"),
                ("levels", "4", "sweep.levels"),
                ("samples", "-1", "sweep.samples"),
                ("seed", "1.5", "sweep.seed"),
                ("chunk_size", "0", "sweep.chunk_size"),
                ("chunk_size", "1000001", "sweep.chunk_size"),
                ("metrics", "[\"ffr\", \"ffr\"]", "sweep.metrics"),
                ("metrics", "[\"co\"]", "sweep.metrics"),
                ("metrics", "7", "sweep.metrics"),
                ("record_points", "[5]", "sweep.record_points"),
                ("record_points", "[-1]", "sweep.record_points"),
                ("record_points", "[0, 0]", "sweep.record_points"),
                (
                    "reference",
                    "{ \"iabp.volume_ml\" = 40 }",
                    "sweep.reference",
                ),
                ("reference", "5", "sweep.reference"),
                ("bogus", "1", "sweep.bogus"),
                ("description", "[1]", "sweep.description"),
            ]);
            let base = SPEC_BASE
                .lines()
                .filter(|l| !l.starts_with(&format!("{k} =")))
                .collect::<Vec<_>>()
                .join("\n");
            (format!("{base}\n{k} = {v}\n{axes_ok}"), needle.to_string())
        }
        1 | 2 => {
            let spec = g.pick(specs()).clone();
            let (toml_v, _) = bad_value(g, &spec);
            if g.chance(0.5) {
                (
                    format!("{SPEC_BASE}[axes]\n\"{}\" = [{}]\n", spec.key, toml_v),
                    spec.key.clone(),
                )
            } else {
                (
                    format!("{SPEC_BASE}[set]\n\"{}\" = {toml_v}\n{axes_ok}", spec.key),
                    spec.key.clone(),
                )
            }
        }
        3 => {
            let (axis, needle) = *g.pick(&[
                ("{ from = 60, to = inf, step = 10 }", "finite"),
                ("{ from = -inf, to = 60, step = 10 }", "finite"),
                ("{ from = 60, to = nan, step = 10 }", "finite"),
                ("{ from = 60, to = 100, step = 0 }", "step"),
                ("{ from = 60, to = 100, step = -5 }", "step"),
                ("{ from = 60, to = 100, step = 1e-300 }", "allowed at most"),
                ("{ from = 100, to = 60, step = 5 }", "below from"),
                ("{ from = 60, to = 100 }", "step"),
                ("{ min = 60, max = 100 }", "a grid needs listed values"),
                ("[]", "is empty"),
                ("[60, 400]", "out of range"),
                ("{ from = 10, to = 100, step = 10 }", "out of range"),
                ("[[1]]", "is not a value"),
            ]);
            (
                format!("{SPEC_BASE}[axes]\n\"heart.rate_bpm\" = {axis}\n"),
                needle.to_string(),
            )
        }
        4 => {
            let k = bad_key(g);
            let shown: String = k.chars().take(30).collect();
            (format!("{SPEC_BASE}[axes]\n\"{k}\" = [1]\n"), shown)
        }
        _ => {
            let (doc, needle) = *g
                .pick(&[
                    ("", "no [axes]"),
                    ("[sweep]\nname = \"x\"\n", "no [axes]"),
                    ("[bogus]\n", "bogus"),
                    ("name = \"x\"\n", "top-level key `name`"),
                    ("sweep = 3\n", "`sweep` must be a table"),
                    ("[axes]\n\"heart.rate_bpm\" = { from = 20, to = 250, step = 0.0009 }\n\"iabp.helium_low_alarm_ml\" = { from = 0, to = 999999, step = 1 }\n", "more than the limit"),
                ]);
            if g.chance(0.3) {
                (broken_toml(g), "not valid TOML at line".into())
            } else {
                (doc.to_string(), needle.to_string())
            }
        }
    };
    Case {
        args: vec!["sweep".into(), path],
        files: vec![(file, text)],
        needle,
    }
}

fn set_case(g: &mut Gen) -> Case {
    let preset = *g.pick(&["healthy", "cardiogenic-shock", "va-ecmo", "acute-mr"]);
    let mut args = vec!["simulate".to_string(), "--preset".into(), preset.into()];
    // A few valid settings before the bad one.
    for _ in 0..g.below(3) {
        args.push("--set".into());
        args.push(format!("heart.rate_bpm={}", 60 + g.below(50)));
    }
    let (assignment, needle) = bad_set(g);
    args.push("--set".into());
    args.push(assignment);
    if g.chance(0.2) {
        args.push("--json".into());
    }
    Case {
        args,
        files: vec![],
        needle,
    }
}

fn generate(case: u64, dir: &Path) -> Case {
    let mut g = Gen::new(case);
    match g.below(3) {
        0 => set_case(&mut g),
        1 => scenario_case(&mut g, dir, case),
        _ => spec_case(&mut g, dir, case),
    }
}

#[derive(Default, Debug)]
struct Tally {
    runs: u64,
    exit_0: u64,
    exit_2: u64,
    panics: Vec<String>,
    other_exit: Vec<String>,
    hangs: Vec<String>,
    written_on_refusal: Vec<String>,
    bad_messages: Vec<String>,
    accepted: Vec<String>,
}

fn run_case(bin: &Path, case_no: u64, dir: &Path, tally: &Mutex<Tally>) {
    let c = generate(case_no, dir);
    for (name, text) in &c.files {
        std::fs::write(dir.join(name), text).expect("write input");
    }
    let out = dir.join(format!("out-{case_no}"));
    let mut args = c.args.clone();
    // Half the runs would write output: a refusal must leave nothing behind.
    let dry = args[0] == "sweep" && case_no.is_multiple_of(2);
    if dry {
        args.push("--dry-run".into());
    } else {
        args.push("--out".into());
        args.push(out.display().to_string());
    }
    let mut child = Command::new(bin)
        .args(&args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Drained while the process runs: a message of megabytes must not block it on a full pipe.
    let mut stderr_pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut err = String::new();
        if let Some(e) = stderr_pipe.as_mut() {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        err
    });
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let err = reader.join().unwrap_or_default();
    let shown = |a: &[String]| {
        a.iter()
            .map(|x| x.chars().take(60).collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut t = tally.lock().expect("tally");
    t.runs += 1;
    let what = format!("case {case_no}: {}", shown(&args));
    match status.and_then(|s| s.code()) {
        None => t.hangs.push(what),
        Some(101) => t.panics.push(format!("{what}\n{err}")),
        Some(0) => {
            t.exit_0 += 1;
            let text: String = c
                .files
                .iter()
                .map(|(_, t)| t.chars().take(400).collect::<String>())
                .collect();
            t.accepted.push(format!("{what}\n{text}"));
        }
        Some(2) => {
            t.exit_2 += 1;
            if out.exists() {
                t.written_on_refusal.push(what.clone());
            }
            let lines: Vec<&str> = err.lines().collect();
            let one = lines.len() == 1 && lines[0].starts_with("error: ");
            // A value the TOML reader itself refuses (an overflowing number, an invalid
            // escape) is named by its line instead of its key.
            let named = err.contains(c.needle.as_str()) || err.contains("not valid TOML at line");
            if !one || !named || err.len() > 700 {
                t.bad_messages
                    .push(format!("{what}\n  wants {:?}\n  got {err}", c.needle));
            }
        }
        Some(code) => t.other_exit.push(format!("{what}: exit {code}\n{err}")),
    }
    drop(t);
    let _ = std::fs::remove_dir_all(&out);
    for (name, _) in &c.files {
        let _ = std::fs::remove_file(dir.join(name));
    }
}

#[test]
fn the_binary_refuses_ten_thousand_bad_inputs_cleanly() {
    let bin = std::env::var_os("COUNTERPULSE_FUZZ_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_counterpulse")));
    let cases: u64 = std::env::var("COUNTERPULSE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = Scratch::new("fuzz", "inputs");
    let tally = Mutex::new(Tally::default());
    let workers = 4u64;
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for w in 0..workers {
            let (bin, dir, tally) = (&bin, &dir, &tally);
            s.spawn(move || {
                let mut n = w;
                while n < cases {
                    run_case(bin, n, dir, tally);
                    n += workers;
                }
            });
        }
    });
    let t = tally.into_inner().expect("tally");
    eprintln!(
        "fuzz: {} runs in {:.0} s: {} exit 0, {} exit 2, {} panics, {} other exit codes, {} hangs, {} wrote output on refusal, {} messages not one line naming the key",
        t.runs,
        t0.elapsed().as_secs_f64(),
        t.exit_0,
        t.exit_2,
        t.panics.len(),
        t.other_exit.len(),
        t.hangs.len(),
        t.written_on_refusal.len(),
        t.bad_messages.len()
    );
    if let Some(path) = std::env::var_os("COUNTERPULSE_FUZZ_REPORT") {
        let report = format!(
            "{}\n\nACCEPTED\n{}\n\nMESSAGES\n{}\n\nPANICS\n{}\n\nOTHER\n{}",
            t.runs,
            t.accepted.join("\n"),
            t.bad_messages.join("\n"),
            t.panics.join("\n"),
            t.other_exit.join("\n")
        );
        std::fs::write(path, report).expect("report");
    }
    let first = |v: &[String]| v.iter().take(5).cloned().collect::<Vec<_>>().join("\n");
    assert!(t.panics.is_empty(), "panics:\n{}", first(&t.panics));
    assert!(t.hangs.is_empty(), "hangs:\n{}", first(&t.hangs));
    assert!(
        t.other_exit.is_empty(),
        "exit codes:\n{}",
        first(&t.other_exit)
    );
    assert!(
        t.written_on_refusal.is_empty(),
        "written on refusal:\n{}",
        first(&t.written_on_refusal)
    );
    assert!(
        t.bad_messages.is_empty(),
        "messages:\n{}",
        first(&t.bad_messages)
    );
    assert!(t.runs >= cases);
}

/// Random byte-level mutations of a valid document (insert, delete, replace, duplicate a
/// span): the parsers must return, never panic, and their errors must be one line.
fn mutate(g: &mut Gen, text: &str) -> String {
    let mut b: Vec<u8> = text.as_bytes().to_vec();
    for _ in 0..1 + g.below(4) {
        let i = g.below(b.len() + 1);
        match g.below(5) {
            0 if i < b.len() => {
                b.remove(i);
            }
            1 => b.insert(i, *g.pick(b"[]{}=\"'.,#\n\\ 0aZ-+e")),
            2 if i < b.len() => b[i] = (g.0.next_u64() & 0x7f) as u8,
            3 => {
                let j = (i + g.below(40)).min(b.len());
                let span = b[i..j].to_vec();
                b.splice(i..i, span);
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn assert_one_line(what: &str, input: &str, message: &str) {
    assert!(
        !message.contains('\n') && message.len() < 2000,
        "{what}: message of {} bytes over {} lines {message:?} for input {:?}",
        message.len(),
        message.lines().count(),
        input.chars().take(300).collect::<String>()
    );
}

#[test]
fn parsers_never_panic_on_generated_documents() {
    let valid_spec = counterpulse_sweep::DEFAULT_SWEEP;
    let valid_scenario = "[scenario]\npreset = \"cardiogenic-shock\"\ndescription = \"x\"\n[heart]\nrate_bpm = 90\n[iabp]\nenabled = true\nratio = \"1:2\"\n[[protocol]]\nat_s = 10\niabp.ratio = \"1:1\"\n";
    let n: u64 = 4000;
    let mut tried = 0u64;
    for case in 0..n {
        let mut g = Gen::new(case + 1_000_000);
        let dir = Path::new("/nonexistent");
        // Scenario documents: generated defects and byte mutations.
        let scen = if g.chance(0.5) {
            mutate(&mut g, valid_scenario)
        } else {
            scenario_case(&mut g, dir, case).files[0].1.clone()
        };
        let r = catch_unwind(AssertUnwindSafe(|| {
            Scenario::from_toml(&scen, "fuzz.toml").map(|s| s.validate())
        }));
        match r {
            Err(_) => panic!("scenario parser panicked on {scen:?}"),
            Ok(Err(e)) | Ok(Ok(Err(e))) => assert_one_line("scenario", &scen, &e.to_string()),
            Ok(Ok(Ok(()))) => {}
        }
        // Sweep specs.
        let spec = if g.chance(0.5) {
            mutate(&mut g, valid_spec)
        } else {
            spec_case(&mut g, dir, case).files[0].1.clone()
        };
        let r = catch_unwind(AssertUnwindSafe(|| {
            SweepSpec::parse(&spec, "fuzz.toml", None).map(|s| {
                let n = s.n_points();
                for id in [0, n / 2, n - 1] {
                    let _ = s.scenario(id);
                }
                n
            })
        }));
        match r {
            Err(_) => panic!("spec parser panicked on {spec:?}"),
            Ok(Err(e)) => assert_one_line("spec", &spec, &e.to_string()),
            Ok(Ok(points)) => {
                assert!((1..=counterpulse_sweep::spec::MAX_POINTS).contains(&points))
            }
        }
        // --set assignments, valid and not, on every preset.
        let (assignment, _) = if g.chance(0.8) {
            bad_set(&mut g)
        } else {
            let spec = g.pick(specs()).clone();
            (
                format!(
                    "{}={}",
                    spec.key,
                    valid_value(&mut g, &spec).trim_matches('"')
                ),
                spec.key,
            )
        };
        let preset = *g.pick(&counterpulse_circulation::presets::preset_names());
        let r = catch_unwind(AssertUnwindSafe(|| {
            let mut s = Scenario::from_preset(preset).expect("preset");
            s.set_cli(&assignment).and_then(|()| s.validate())
        }));
        match r {
            Err(_) => panic!("--set panicked on {assignment:?}"),
            Ok(Err(e)) => assert_one_line("--set", &assignment, &e.to_string()),
            Ok(Ok(())) => {}
        }
        tried += 3;
    }
    eprintln!("fuzz: {tried} documents and assignments parsed in-process, no panic");
}
