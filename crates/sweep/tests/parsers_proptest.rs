//! Property tests of the three input parsers (issue 13): scenario files, sweep specs and
//! `--set KEY=VALUE`. Generated inputs — arbitrary text, and documents built from the real
//! key catalogue with hostile values (NaN, infinities, huge and tiny numbers, wrong types, long
//! and control-character text) — must give `Ok` or an error, never a panic; an error is one line
//! that names what it refuses. proptest shrinks a failing input to a small one and prints it.
//! The binary-level suite (`crates/cli/tests/fuzz.rs`) runs 10 000 bad inputs through the CLI.

use counterpulse_sim::Scenario;
use counterpulse_sweep::SweepSpec;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 4000,
        // Deterministic: the same cases on every run and machine (CI reproducibility).
        rng_seed: proptest::test_runner::RngSeed::Fixed(13),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn keys() -> Vec<String> {
    Scenario::specs().into_iter().map(|s| s.key).collect()
}

/// A value as it would be written in TOML: numbers of every magnitude and non-finite ones,
/// booleans, text (possibly with quotes, newlines and control characters), arrays, tables.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|x| format!("{x:?}")),
        any::<i64>().prop_map(|x| x.to_string()),
        Just("nan".to_string()),
        Just("-inf".to_string()),
        Just("1e308".to_string()),
        Just("-0.0".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        text(40).prop_map(|t| format!("{t:?}")),
        Just("[1, 2]".to_string()),
        Just("{ a = 1 }".to_string()),
        Just("\"1:0\"".to_string()),
        Just("\"P99\"".to_string()),
    ]
}

/// Text with any characters, including controls and non-ASCII.
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

/// A known key, a known key with a typo, or a random one.
fn key() -> impl Strategy<Value = String> {
    let known = keys();
    let n = known.len();
    prop_oneof![
        (0..n).prop_map(move |i| known[i].clone()),
        ((0..n), text(6)).prop_map(move |(i, t)| format!("{}{t}", keys()[i])),
        text(30),
    ]
}

/// A scenario document: a preset line (real or not) and assignments under their groups.
fn scenario_doc() -> impl Strategy<Value = String> {
    let preset = prop_oneof![
        Just("cardiogenic-shock".to_string()),
        Just("healthy".to_string()),
        text(12)
    ];
    (
        preset,
        proptest::collection::vec((key(), toml_value()), 0..8),
    )
        .prop_map(|(p, kv)| {
            let mut doc = format!("[scenario]\npreset = {p:?}\n");
            for (k, v) in kv {
                match k.split_once('.') {
                    Some((g, leaf)) => doc.push_str(&format!("[{g:?}]\n{leaf:?} = {v}\n")),
                    None => doc.push_str(&format!("{k:?} = {v}\n")),
                }
            }
            doc
        })
}

/// An axis a user would write (so that the accepting paths are reached too).
fn plausible_axis() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        (40.0f64..180.0, 40.0f64..180.0)
            .prop_map(|(a, b)| ("heart.rate_bpm".into(), format!("[{a:.1}, {b:.1}]"))),
        (1.0f64..30.0).prop_map(|st| {
            (
                "heart.rate_bpm".into(),
                format!("{{ from = 60, to = 100, step = {st:.2} }}"),
            )
        }),
        (25.0f64..35.0, 40.0f64..50.0).prop_map(|(a, b)| (
            "iabp.volume_ml".into(),
            format!("{{ min = {a:.1}, max = {b:.1} }}")
        )),
        (0.0f64..95.0).prop_map(|x| ("coronary.stenosis_percent".into(), format!("[0, {x:.1}]"))),
        Just(("iabp.ratio".into(), "[\"1:1\", \"1:2\"]".into())),
    ]
}

/// A sweep spec: grid, random or Latin-hypercube sampling over generated axes.
fn sweep_doc() -> impl Strategy<Value = String> {
    let axis = (
        key(),
        prop_oneof![
            toml_value().prop_map(|v| format!("[{v}, {v}]")),
            (any::<f64>(), any::<f64>(), any::<f64>())
                .prop_map(|(a, b, c)| format!("{{ from = {a:?}, to = {b:?}, step = {c:?} }}")),
            (any::<f64>(), any::<f64>())
                .prop_map(|(a, b)| format!("{{ min = {a:?}, max = {b:?} }}")),
            toml_value(),
        ],
    );
    (
        prop_oneof![Just("grid"), Just("random"), Just("lhs"), Just("nope")],
        // Mostly a usable count or none (grid), sometimes anything.
        prop_oneof![
            3 => (1i64..40).prop_map(Some),
            1 => Just(None),
            1 => any::<i64>().prop_map(Some),
        ],
        proptest::collection::vec(prop_oneof![3 => plausible_axis(), 1 => axis], 0..4),
        prop_oneof![3 => Just("fz".to_string()), 1 => text(10)],
    )
        .prop_map(|(sampling, samples, axes, name)| {
            let samples = samples.map(|n| format!("samples = {n}\n")).unwrap_or_default();
            let mut doc = format!(
                "[sweep]\nname = {name:?}\npreset = \"healthy\"\nsampling = \"{sampling}\"\n{samples}[axes]\n"
            );
            for (k, v) in axes {
                doc.push_str(&format!("{k:?} = {v}\n"));
            }
            doc
        })
}

fn one_line(message: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        !message.trim_end().contains('\n'),
        "not one line: {message:?}"
    );
    prop_assert!(message.len() < 2000, "{} bytes", message.len());
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_as_a_scenario_file_is_parsed_or_refused(doc in text(400)) {
        if let Err(e) = Scenario::from_toml(&doc, "fuzz.toml") {
            one_line(&e.to_string())?;
        }
    }

    #[test]
    fn generated_scenarios_are_accepted_valid_or_refused_with_one_line(doc in scenario_doc()) {
        match Scenario::from_toml(&doc, "fuzz.toml") {
            // Accepted means usable: every value within its range, the consistency checks pass.
            Ok(s) => prop_assert!(s.validate().is_ok(), "accepted but invalid:\n{doc}"),
            Err(e) => one_line(&e.to_string())?,
        }
    }

    #[test]
    fn set_assignments_are_applied_or_refused_naming_the_key(k in key(), v in text(30)) {
        let mut s = Scenario::from_preset("cardiogenic-shock").expect("preset");
        let assignment = format!("{k}={v}");
        if let Err(e) = s.set_cli(&assignment) {
            let m = e.to_string();
            one_line(&m)?;
            // The key is what precedes the first `=`; quoted back elided when huge, so a short
            // one appears as given.
            let named = assignment.split_once('=').map_or("", |(k, _)| k.trim());
            if named.len() < 40 && !named.is_empty() && !named.chars().any(char::is_control) {
                prop_assert!(m.contains(named), "{m:?} does not name {named:?}");
            }
        }
    }

    #[test]
    fn generated_sweep_specs_are_accepted_with_a_point_count_or_refused(doc in sweep_doc()) {
        match SweepSpec::parse(&doc, "fuzz-sweep.toml", None) {
            Ok(spec) => {
                // Accepted: a bounded, positive number of points, each a valid scenario or a
                // row with a message (never a panic).
                let n = spec.n_points();
                prop_assert!((1..=100_000_000).contains(&n), "{n} points:\n{doc}");
                for id in [0, n / 2, n - 1] {
                    if let Err(e) = spec.scenario(id) {
                        one_line(&e.to_string())?;
                    }
                }
            }
            Err(e) => one_line(&e.to_string())?,
        }
    }
}

#[test]
fn the_generators_reach_the_accepting_paths() {
    // A property over inputs that are all refused tests only the refusals: count acceptances.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::new(config());
    let (mut scenarios, mut specs) = (0, 0);
    for _ in 0..2000 {
        let doc = scenario_doc()
            .new_tree(&mut runner)
            .expect("tree")
            .current();
        scenarios += usize::from(Scenario::from_toml(&doc, "fuzz.toml").is_ok());
        let doc = sweep_doc().new_tree(&mut runner).expect("tree").current();
        specs += usize::from(SweepSpec::parse(&doc, "fuzz-sweep.toml", None).is_ok());
    }
    eprintln!("accepted: {scenarios} of 2000 scenarios, {specs} of 2000 sweep specs");
    assert!(
        scenarios >= 20 && specs >= 20,
        "{scenarios} scenarios, {specs} specs accepted"
    );
}
