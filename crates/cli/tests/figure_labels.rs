//! Regression tests of the figure defects found in review (issue 16), read from the SVG the
//! binary writes: text sizes at the declared print width, the dashed LV trace's legend sample,
//! titles of runs without the balloon, acronyms in notes, one axis per unit, no empty legend.
//!
//! They use only options the first plotting release had (`plot KIND DIR --out STEM`), so that
//! `COUNTERPULSE_BIN=/path/to/old/counterpulse cargo test --release --test figure_labels`
//! shows each of them failing on that release.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod common;
use common::{ok, repo};

/// A 1:2 run, a run without the balloon and a small sweep (written once).
fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("counterpulse-labels-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let scen = repo().join("experiments/waveform-1-2/one-to-two.toml");
        ok(&[
            "simulate",
            "--scenario",
            &scen.display().to_string(),
            "--set",
            "output.waveform_beats=8",
            "--out",
            &d.join("one-to-two").display().to_string(),
        ]);
        ok(&[
            "simulate",
            "--preset",
            "healthy",
            "--set",
            "output.waveform_beats=3",
            "--out",
            &d.join("healthy").display().to_string(),
        ]);
        let spec = d.join("sweep.toml");
        std::fs::write(
            &spec,
            "[sweep]\nname = \"labels\"\npreset = \"cardiogenic-shock\"\n[set]\niabp.enabled = true\n\
             [axes]\n\"heart.rate_bpm\" = [80, 110]\n\"iabp.volume_ml\" = [30, 40]\n\"coronary.stenosis_percent\" = [0, 70]\n",
        )
        .expect("spec");
        ok(&[
            "sweep",
            &spec.display().to_string(),
            "--out",
            &d.join("sweep").display().to_string(),
        ]);
        d
    })
}

/// One element of an SVG: its tag, attributes and text.
#[derive(Debug)]
struct El {
    tag: String,
    attrs: Vec<(String, String)>,
    text: String,
}

impl El {
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
    }
    fn num(&self, k: &str) -> f64 {
        self.attr(k)
            .and_then(|v| v.trim_end_matches("in").parse().ok())
            .unwrap_or(f64::NAN)
    }
    /// Points of a polyline (`points`) or a path of M/L commands (`d`).
    fn points(&self) -> Vec<(f64, f64)> {
        let raw = self
            .attr("points")
            .or(self.attr("d"))
            .unwrap_or("")
            .replace(['M', 'L', 'Z'], " ");
        raw.split_whitespace()
            .filter_map(|p| {
                let (x, y) = p.split_once(',')?;
                Some((x.parse().ok()?, y.parse().ok()?))
            })
            .collect()
    }
}

/// The elements of an SVG written by plotters (flat; one element per tag).
fn parse(svg: &str) -> Vec<El> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with('/') || rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let Some(end) = rest.find('>') else { break };
        let head = &rest[..end];
        let tag: String = head
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/')
            .collect();
        let mut attrs = Vec::new();
        let mut h = &head[tag.len()..];
        while let Some(eq) = h.find("=\"") {
            let key = h[..eq].trim().to_string();
            let after = &h[eq + 2..];
            let Some(q) = after.find('"') else { break };
            attrs.push((key, after[..q].to_string()));
            h = &after[q + 1..];
        }
        let body = &rest[end + 1..];
        let text = if tag == "text" {
            body.split('<').next().unwrap_or("").trim().to_string()
        } else {
            String::new()
        };
        out.push(El { tag, attrs, text });
        rest = body;
    }
    out
}

/// Points per drawing unit of the SVG at its declared width.
fn pt_per_unit(els: &[El]) -> f64 {
    let svg = els.iter().find(|e| e.tag == "svg").expect("svg element");
    let width_in = svg.num("width");
    let view_w: f64 = svg
        .attr("viewBox")
        .and_then(|v| v.split_whitespace().nth(2))
        .and_then(|w| w.parse().ok())
        .expect("viewBox");
    assert!(
        svg.attr("width").is_some_and(|w| w.ends_with("in")),
        "width in inches"
    );
    width_in * 72.0 / view_w
}

/// Smallest text in points at the declared width, and that text.
fn smallest_text(els: &[El]) -> (f64, String) {
    let k = pt_per_unit(els);
    els.iter()
        .filter(|e| e.tag == "text" && !e.text.is_empty())
        .map(|e| (e.num("font-size") * k, e.text.clone()))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .expect("some text")
}

fn texts(els: &[El]) -> Vec<String> {
    els.iter()
        .filter(|e| e.tag == "text")
        .map(|e| e.text.clone())
        .collect()
}

fn plot(args: &[&str], name: &str) -> Vec<El> {
    let stem = fixtures().join("figs").join(name);
    let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    a.push("--out".into());
    a.push(stem.display().to_string());
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    ok(&a);
    let svg = std::fs::read_to_string(stem.with_extension("svg")).expect("svg written");
    parse(&svg)
}

fn sweep() -> String {
    fixtures().join("sweep").display().to_string()
}

#[test]
fn no_text_below_6_pt_at_print_size() {
    let d = fixtures();
    let run = d.join("one-to-two").display().to_string();
    for (args, name) in [
        (vec!["plot", "waveform", &run], "size-waveform"),
        (vec!["plot", "pv-loop", &run], "size-pv"),
        (
            vec![
                "plot",
                "heatmap",
                &sweep(),
                "--x",
                "heart_rate_bpm",
                "--y",
                "iabp_volume_ml",
                "--z",
                "delta_cardiac_output_l_min",
            ],
            "size-heatmap",
        ),
        (
            vec![
                "plot",
                "lines",
                &sweep(),
                "--x",
                "coronary_stenosis_percent",
                "--y",
                "delta_coronary_flow_ml_min",
                "--by",
                "iabp_volume_ml",
            ],
            "size-lines",
        ),
    ] {
        let els = plot(&args, name);
        let (pt, text) = smallest_text(&els);
        assert!(
            pt >= 6.0 - 1e-6,
            "{name}: {text:?} is {pt:.2} pt at the declared width (journals: at least 6 pt)"
        );
        // Tick labels (most numbers; the waveform's numbered badges are smaller) at the 7 pt
        // default.
        let k = pt_per_unit(&els);
        let ticks: Vec<f64> = els
            .iter()
            .filter(|e| e.tag == "text" && e.text.parse::<f64>().is_ok())
            .map(|e| e.num("font-size") * k)
            .collect();
        assert!(!ticks.is_empty(), "{name}: tick labels");
        let at7 = ticks.iter().filter(|p| (**p - 7.0).abs() < 0.05).count();
        assert!(
            2 * at7 > ticks.len(),
            "{name}: tick labels {ticks:?} pt, expected mostly 7"
        );
    }
}

#[test]
fn waveform_legend_shows_the_lv_trace_dashed() {
    let run = fixtures().join("one-to-two").display().to_string();
    let els = plot(&["plot", "waveform", &run], "legend-waveform");
    let label = els
        .iter()
        .find(|e| e.tag == "text" && e.text == "LV pressure")
        .expect("legend entry for the LV trace");
    let (tx, ty, fs) = (label.num("x"), label.num("y"), label.num("font-size"));
    // The LV trace is drawn in Okabe-Ito blue; its legend sample sits left of the text.
    let sample: Vec<&El> = els
        .iter()
        .filter(|e| e.attr("stroke") == Some("#0072B2"))
        .filter(|e| {
            let p = e.points();
            !p.is_empty()
                && p.iter()
                    .all(|(x, y)| *x < tx && *x > tx - 4.0 * fs && (y - ty).abs() < fs)
        })
        .collect();
    assert!(
        sample.len() >= 2,
        "the LV trace is dashed, so its legend sample must be dashes, found {} segment(s)",
        sample.len()
    );
}

#[test]
fn a_run_without_the_balloon_is_not_titled_with_one() {
    let run = fixtures().join("healthy").display().to_string();
    let els = plot(&["plot", "pv-loop", &run], "title-healthy");
    let all = texts(&els).join(" | ");
    assert!(!all.contains("mL balloon"), "{all}");
    assert!(all.contains("no balloon"), "{all}");
}

#[test]
fn acronyms_stay_upper_case_in_notes() {
    let els = plot(
        &[
            "plot",
            "lines",
            &sweep(),
            "--x",
            "heart_rate_bpm",
            "--y",
            "delta_cardiac_output_l_min",
            "--by",
            "coronary_stenosis_percent",
        ],
        "acronym",
    );
    let all = texts(&els).join(" | ");
    assert!(all.contains("lines: LAD diameter stenosis"), "{all}");
    assert!(!all.contains("lad "), "{all}");
}

#[test]
fn columns_of_different_units_get_their_own_axes() {
    let els = plot(
        &[
            "plot",
            "lines",
            &sweep(),
            "--x",
            "heart_rate_bpm",
            "--y",
            "delta_cardiac_output_l_min,delta_mean_arterial_pressure_mmhg",
            "--where",
            "iabp_volume_ml=40",
            "--where",
            "coronary_stenosis_percent=0",
        ],
        "units",
    );
    let t = texts(&els);
    assert!(!t.iter().any(|x| x.starts_with("Value")), "{t:?}");
    for axis in [
        "Δ cardiac output (L/min)",
        "Δ mean arterial pressure (mmHg)",
    ] {
        assert!(
            t.iter().any(|x| x == axis),
            "no axis titled {axis:?}: {t:?}"
        );
    }
}

#[test]
fn a_single_line_has_no_legend_box() {
    let els = plot(
        &[
            "plot",
            "lines",
            &sweep(),
            "--x",
            "heart_rate_bpm",
            "--y",
            "delta_cardiac_output_l_min",
            "--where",
            "iabp_volume_ml=40",
        ],
        "single",
    );
    // The page background is the only white rectangle; no legend frame.
    let white = els
        .iter()
        .filter(|e| e.tag == "rect" && e.attr("fill") == Some("#FFFFFF"))
        .count();
    let frames = els
        .iter()
        .filter(|e| e.tag == "rect" && e.attr("stroke").is_some_and(|s| s != "none"))
        .count();
    assert_eq!(
        (white, frames),
        (1, 0),
        "legend box drawn for one unlabelled line"
    );
}

// ---------------------------------------------------------------------------------------------
// Defects found in the review of issue 16 (close-16.md, "Requirements NOT met") and issue 15
// (close-15.md, gap 2). Each fails with the binary of main at 1782ab7
// (`COUNTERPULSE_BIN=/work/main/target/release/counterpulse`).

/// Texts of a figure joined, for messages.
fn all_text(els: &[El]) -> String {
    texts(els).join(" | ")
}

/// A stem under the fixtures' folder for a test's own files.
fn own(name: &str) -> PathBuf {
    let d = fixtures().join("own");
    std::fs::create_dir_all(&d).expect("folder");
    d.join(name)
}

#[test]
fn a_single_run_trace_is_titled_once_with_its_alignment() {
    let run = fixtures().join("healthy").display().to_string();
    for (align, want) in [
        ("r-wave", "Aligned on the R wave"),
        ("valve-open", "Aligned on the aortic valve opening"),
    ] {
        let els = plot(
            &["plot", "trace", &run, "--align", align, "--beats", "1"],
            &format!("title-trace-{align}"),
        );
        let all = all_text(&els);
        assert!(!all.to_lowercase().contains("aligned aligned"), "{all}");
        assert_eq!(texts(&els)[0], want, "{all}");
    }
}

#[test]
fn a_figure_of_the_balloon_off_run_alone_is_not_titled_with_a_balloon() {
    let run = fixtures().join("one-to-two").display().to_string();
    let els = plot(
        &["plot", "trace", &run, "--run", "baseline"],
        "title-trace-baseline",
    );
    let all = all_text(&els);
    assert!(!all.contains("mL balloon"), "{all}");
    assert!(
        !all.contains("1:2"),
        "the 1:2 balloon run is not drawn: {all}"
    );
    assert!(all.contains("balloon off"), "{all}");
    // The balloon run alone is titled with its balloon.
    let els = plot(
        &["plot", "trace", &run, "--run", "assisted"],
        "title-trace-assisted",
    );
    let all = all_text(&els);
    assert!(all.contains("40 mL balloon 1:2"), "{all}");
}

#[test]
fn coronary_trace_note_gives_small_flows_in_significant_digits() {
    // The shock preset's critical LAD lesion: a fraction of a mL/min.
    let dir = fixtures().join("one-to-two");
    let els = plot(
        &["plot", "coronary-trace", &dir.display().to_string()],
        "coronary-digits",
    );
    let all = texts(&els).join(" ");
    let after = all
        .split("mean LAD flow ")
        .nth(1)
        .unwrap_or_else(|| panic!("no LAD flow in the note: {all}"));
    let nums: Vec<f64> = after
        .split_whitespace()
        .take(3)
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(nums.len(), 2, "{after:?}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).expect("read"))
            .expect("read");
    for (shown, run) in nums.iter().zip(["baseline", "assisted"]) {
        let flow = m["steady_state_summary"][run]["coronary_flow_ml_min"]
            .as_f64()
            .expect("flow in the manifest");
        // Two significant digits: within 5 % of the value (rounding to 0 is 100 % off).
        assert!(
            (shown - flow).abs() <= 0.05 * flow.abs(),
            "{run}: note says {shown}, the run's LAD flow is {flow} mL/min ({after:?})"
        );
    }
}

/// A sweep over two text-valued axes.
fn text_sweep() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = fixtures().join("text-sweep");
        let spec = fixtures().join("text.toml");
        std::fs::write(
            &spec,
            "[sweep]\nname = \"text\"\npreset = \"cardiogenic-shock\"\n[set]\niabp.enabled = true\n\
             [axes]\n\"iabp.ratio\" = [\"1:1\", \"1:2\"]\n\"iabp.timing\" = [\"auto\", \"r-wave\"]\n",
        )
        .expect("spec");
        ok(&[
            "sweep",
            &spec.display().to_string(),
            "--out",
            &d.display().to_string(),
        ]);
        d
    })
    .clone()
}

#[test]
fn heatmap_tick_labels_of_a_text_axis_fit_in_the_figure() {
    let sweep = text_sweep().display().to_string();
    let els = plot(
        &[
            "plot",
            "heatmap",
            &sweep,
            "--x",
            "iabp_ratio",
            "--y",
            "iabp_timing",
            "--z",
            "delta_cardiac_output_l_min",
        ],
        "heatmap-text",
    );
    let all = all_text(&els);
    assert!(all.contains("r-wave"), "{all}");
    // A lower bound of a text's width: half an em per character (DejaVu Sans lower case and
    // digits are 0.55-0.65 em).
    let mut checked = 0;
    for e in els.iter().filter(|e| e.tag == "text" && !e.text.is_empty()) {
        if e.attr("transform").is_some() {
            continue;
        }
        let w = 0.5 * e.num("font-size") * e.text.chars().count() as f64;
        let left = match e.attr("text-anchor") {
            Some("end") => e.num("x") - w,
            Some("middle") => e.num("x") - w / 2.0,
            _ => e.num("x"),
        };
        assert!(
            left >= 0.0,
            "{:?} starts {left:.0} units left of the figure's edge: clipped",
            e.text
        );
        checked += 1;
    }
    assert!(checked > 5);
}

/// Stroke widths in points of every stroked element; an element without `stroke-width` has
/// SVG's default of 1 unit.
fn stroke_widths_pt(els: &[El]) -> Vec<(f64, String)> {
    let k = pt_per_unit(els);
    els.iter()
        .filter(|e| e.attr("stroke").is_some_and(|s| s != "none"))
        .map(|e| {
            let w = e
                .attr("stroke-width")
                .and_then(|w| w.parse::<f64>().ok())
                .unwrap_or(1.0);
            (
                w * k,
                format!("<{} stroke={:?}>", e.tag, e.attr("stroke").unwrap_or("")),
            )
        })
        .collect()
}

#[test]
fn every_stroke_is_at_least_half_a_point_defaults_included() {
    let run = fixtures().join("one-to-two").display().to_string();
    let sw = sweep();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["plot", "trace", &run], "stroke-trace"),
        (vec!["plot", "coronary-trace", &run], "stroke-coronary"),
        (vec!["plot", "waveform", &run], "stroke-waveform"),
        (vec!["plot", "pv-loop", &run], "stroke-pv"),
        (
            vec![
                "plot",
                "changes",
                &run,
                "--metrics",
                "mean_arterial_pressure_mmhg,systolic_pressure_mmhg",
                "--reference",
                "systolic_pressure_mmhg=-10",
            ],
            "stroke-changes",
        ),
        (
            vec![
                "plot",
                "bands",
                &sw,
                "--x",
                "heart_rate_bpm",
                "--y",
                "delta_cardiac_output_l_min",
                "--by",
                "iabp_volume_ml",
            ],
            "stroke-bands",
        ),
        (
            vec![
                "plot",
                "heatmap",
                &sw,
                "--x",
                "heart_rate_bpm",
                "--y",
                "iabp_volume_ml",
                "--z",
                "delta_cardiac_output_l_min",
            ],
            "stroke-heatmap",
        ),
    ];
    for (args, name) in cases {
        let els = plot(&args, name);
        let widths = stroke_widths_pt(&els);
        assert!(!widths.is_empty(), "{name}: no strokes");
        for (pt, what) in widths {
            assert!(
                pt >= 0.5 - 1e-9,
                "{name}: {what} is {pt:.2} pt wide (at least 0.5 pt; a missing stroke-width is 1 unit)"
            );
        }
    }
}

#[test]
fn a_y_column_null_at_every_point_is_named_in_the_error() {
    let o = common::run(&[
        "plot",
        "lines",
        &sweep(),
        "--x",
        "heart_rate_bpm",
        "--y",
        "baseline_augmented_diastolic_pressure_mmhg",
        "--out",
        &own("null-y").display().to_string(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("y column `baseline_augmented_diastolic_pressure_mmhg`"),
        "{err}"
    );
    assert!(err.contains("augmented diastolic"), "{err}");
    assert!(!err.contains("x values"), "x is fine: {err}");
}

#[test]
fn plot_never_replaces_a_file_it_did_not_write() {
    let run = fixtures().join("healthy").display().to_string();
    let mine = own("mine");
    let svg = mine.with_extension("svg");
    std::fs::write(&svg, "my own drawing").expect("user file");
    let stem = mine.display().to_string();
    let o = common::run(&["plot", "pv-loop", &run, "--format", "svg", "--out", &stem]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("mine.svg") && err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&svg).expect("read"),
        "my own drawing",
        "the user's file was changed"
    );
    // Nothing else written either (the PNG of a refused pair).
    let o = common::run(&[
        "plot", "pv-loop", &run, "--format", "svg,png", "--out", &stem,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        !mine.with_extension("png").exists(),
        "half the figure written"
    );
    // --force replaces it.
    ok(&[
        "plot", "pv-loop", &run, "--format", "svg", "--out", &stem, "--force",
    ]);
    assert!(
        std::fs::read_to_string(&svg)
            .expect("read")
            .starts_with("<svg")
    );

    // The tool's own figures/ folder: its figures are redrawn in place ...
    let dir = fixtures().join("healthy-own");
    ok(&[
        "simulate",
        "--preset",
        "healthy",
        "--set",
        "output.waveform_beats=3",
        "--out",
        &dir.display().to_string(),
    ]);
    let d = dir.display().to_string();
    ok(&["plot", "pv-loop", &d, "--format", "svg"]);
    ok(&["plot", "pv-loop", &d, "--format", "svg"]);
    // ... but one the user edited (or put there) is theirs.
    let fig = dir.join("figures/pv-loop.svg");
    std::fs::write(&fig, "edited by hand").expect("edit");
    let o = common::run(&["plot", "pv-loop", &d, "--format", "svg"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&fig).expect("read"),
        "edited by hand"
    );
}

#[test]
fn plots_that_differ_only_in_where_get_their_own_files() {
    // The default output folder of the sweep: figures/.
    let base = fixtures().join("sweep");
    let dir = base.display().to_string();
    for v in ["30", "40"] {
        ok(&[
            "plot",
            "lines",
            &dir,
            "--x",
            "heart_rate_bpm",
            "--y",
            "delta_cardiac_output_l_min",
            "--where",
            &format!("iabp_volume_ml={v}"),
            "--format",
            "svg",
        ]);
    }
    let svgs: Vec<String> = std::fs::read_dir(base.join("figures"))
        .expect("figures/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.starts_with("lines-delta_cardiac_output_l_min-heart_rate_bpm") && n.ends_with(".svg")
        })
        .collect();
    assert_eq!(svgs.len(), 2, "one file per --where: {svgs:?}");
}

#[test]
fn experiment_figures_show_published_values_beside_the_model() {
    let out = fixtures().join("reproduce");
    let exps = repo().join("experiments").display().to_string();
    for name in ["kern-1993", "scheidt-1973"] {
        ok(&[
            "reproduce",
            name,
            "--experiments",
            &exps,
            "--out",
            &out.display().to_string(),
        ]);
    }
    let read = |p: &str| parse(&std::fs::read_to_string(out.join(p)).expect(p));
    // Kern 1993: the intracoronary flow trace with and without the balloon ...
    let els = read("kern-1993/figures/lad-flow-trace-80-percent.svg");
    let all = all_text(&els);
    for want in ["LAD flow (mL/s)", "Balloon off", "Balloon 1:1"] {
        assert!(all.contains(want), "{want}: {all}");
    }
    // ... legends worded as in the other figures ...
    let all = all_text(&read(
        "kern-1993/figures/lad-flow-vs-stenosis-with-and-without-balloon.svg",
    ));
    assert!(
        all.contains("Balloon off") && all.contains("Balloon 1:1"),
        "{all}"
    );
    assert!(!all.contains("no balloon"), "{all}");
    // ... and the published values as diamonds beside the model's bars, cited.
    for (file, cite) in [
        (
            "kern-1993/figures/lad-flow-change-vs-kern-1993.svg",
            "Kern 1993",
        ),
        (
            "scheidt-1973/figures/changes-vs-scheidt-1973.svg",
            "Scheidt 1973",
        ),
    ] {
        let all = all_text(&read(file));
        assert!(all.contains(cite), "{file}: {all}");
        assert!(
            all.contains("bar (◇)"),
            "{file}: no reference values: {all}"
        );
    }
}
