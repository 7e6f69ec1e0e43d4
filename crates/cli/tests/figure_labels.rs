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
use common::{fixture_dir, ok, repo};

/// A 1:2 run, a run without the balloon and a small sweep (written once).
fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = fixture_dir("figure-labels");
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

/// The leading numbers of a `published_*` figure key ("30,45,Gould 1974 ...": 30 and 45).
fn published_numbers(text: &str) -> Vec<f64> {
    text.split(',')
        .map_while(|p| p.trim().parse::<f64>().ok())
        .collect()
}

/// Every number of the experiment's `[[expect]]` rows: published, tolerance, min, max, and the
/// values of `observed.where` (where a point sits on the x axis).
fn expect_numbers(exp: &toml::Table) -> Vec<f64> {
    let num = |v: &toml::Value| v.as_float().or(v.as_integer().map(|i| i as f64));
    let mut out = Vec::new();
    for row in exp
        .get("expect")
        .and_then(|e| e.as_array())
        .into_iter()
        .flatten()
    {
        for k in ["published", "tolerance", "min", "max"] {
            out.extend(row.get(k).and_then(num));
        }
        if let Some(w) = row
            .get("observed")
            .and_then(|o| o.get("where"))
            .and_then(|w| w.as_table())
        {
            out.extend(w.values().filter_map(num));
        }
    }
    out
}

#[test]
fn published_values_in_figures_come_from_the_experiments_expect_rows() {
    // Every published marker of every experiment's figures takes its numbers from that
    // experiment's [[expect]] rows (never typed in a second time), and every experiment either
    // draws a published value in a figure or says in its README why none fits.
    let mut marked = Vec::new();
    for entry in std::fs::read_dir(repo().join("experiments")).expect("experiments/") {
        let dir = entry.expect("entry").path();
        let Ok(text) = std::fs::read_to_string(dir.join("experiment.toml")) else {
            continue;
        };
        let name = dir
            .file_name()
            .expect("folder name")
            .to_string_lossy()
            .to_string();
        let exp: toml::Table = text.parse().expect("experiment.toml parses");
        let known = expect_numbers(&exp);
        let mut has_marker = false;
        for fig in exp
            .get("figure")
            .and_then(|f| f.as_array())
            .into_iter()
            .flatten()
        {
            // `changes --reference` and the cohort figure draw published values too.
            if fig.get("reference").is_some()
                || fig.get("kind").and_then(|k| k.as_str()) == Some("cohort")
            {
                has_marker = true;
            }
            for key in ["published_x", "published_y", "published_point"] {
                let Some(v) = fig.get(key) else { continue };
                let items: Vec<&str> = match v {
                    toml::Value::String(s) => vec![s.as_str()],
                    toml::Value::Array(a) => a.iter().filter_map(|x| x.as_str()).collect(),
                    other => panic!("{name}: {key} = {other}: expected text"),
                };
                for item in items {
                    has_marker = true;
                    let nums = published_numbers(item);
                    assert!(!nums.is_empty(), "{name}: {key} {item:?} has no numbers");
                    let label = item.split(',').skip(nums.len()).collect::<Vec<_>>();
                    assert!(
                        label.join(",").trim().len() > 3,
                        "{name}: {key} {item:?}: the legend text must name the source"
                    );
                    for n in nums {
                        assert!(
                            known.iter().any(|k| (k - n).abs() < 1e-12),
                            "{name}: {key} {item:?}: {n} is not a published/tolerance/min/max \
                             (or where) value of its [[expect]] rows"
                        );
                    }
                }
            }
        }
        if has_marker {
            marked.push(name);
        } else {
            let readme = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
            assert!(
                readme.contains("Published values in the figures"),
                "{name}: no figure shows a published value and the README does not say why \
                 (a paragraph \"Published values in the figures\")"
            );
        }
    }
    for want in [
        "gould-1974",
        "co-gain-shock",
        "kern-1999",
        "kern-1993",
        "scheidt-1973",
    ] {
        assert!(marked.iter().any(|m| m == want), "{want}: {marked:?}");
    }
}

/// The drawing-unit position of value `v` on the x axis, from two numeric x tick labels
/// (centred under their ticks).
fn x_of(els: &[El], v: f64) -> f64 {
    let ticks: Vec<(f64, f64)> = els
        .iter()
        .filter(|e| e.tag == "text" && e.attr("text-anchor") == Some("middle"))
        .filter(|e| e.attr("transform").is_none())
        .filter_map(|e| Some((e.text.parse::<f64>().ok()?, e.num("x"))))
        .collect();
    // The x tick labels share the lowest row of numeric, centred labels.
    let (a, b) = (ticks[0], ticks[1]);
    a.1 + (v - a.0) * (b.1 - a.1) / (b.0 - a.0)
}

/// The drawing-unit position of value `v` on the y axis, from two y tick labels (right-aligned).
fn y_of(els: &[El], v: f64) -> f64 {
    let ticks: Vec<(f64, f64)> = els
        .iter()
        .filter(|e| e.tag == "text" && e.attr("text-anchor") == Some("end"))
        .filter_map(|e| Some((e.text.parse::<f64>().ok()?, e.num("y"))))
        .collect();
    let (a, b) = (ticks[0], ticks[1]);
    a.1 + (v - a.0) * (b.1 - a.1) / (b.0 - a.0)
}

/// Centres of the open diamonds (white polygons) of a figure.
fn diamonds(els: &[El]) -> Vec<(f64, f64)> {
    els.iter()
        .filter(|e| e.tag == "polygon" && e.attr("fill") == Some("#FFFFFF"))
        .map(|e| {
            let p = e.points();
            let n = (p.len() - 1).max(1) as f64;
            let sx: f64 = p.iter().take(p.len() - 1).map(|q| q.0).sum();
            let sy: f64 = p.iter().take(p.len() - 1).map(|q| q.1).sum();
            (sx / n, sy / n)
        })
        .collect()
}

#[test]
fn gould_and_co_gain_figures_draw_their_published_values_in_place() {
    let out = fixtures().join("reproduce-published");
    let exps = repo().join("experiments").display().to_string();
    for name in ["gould-1974", "co-gain-shock"] {
        ok(&[
            "reproduce",
            name,
            "--experiments",
            &exps,
            "--out",
            &out.display().to_string(),
            "--quiet",
        ]);
    }
    let read = |p: &str| parse(&std::fs::read_to_string(out.join(p)).expect(p));
    let tol = 3.0; // drawing units (0.3 pt)

    // Gould 1974: maximal flow falls at 30-45 % stenosis, a band over exactly that range ...
    let els = read("gould-1974/figures/flow-vs-stenosis.svg");
    let all = all_text(&els);
    for want in [
        "Gould 1974 (dogs): maximal flow falls at 30–45 %",
        "Fournier 2021: maximal flow 293 ± 102 mL/min",
    ] {
        assert!(all.contains(want), "{want}: {all}");
    }
    let (x30, x45) = (x_of(&els, 30.0), x_of(&els, 45.0));
    let band = els.iter().find(|e| {
        e.tag == "rect"
            && (e.num("x") - x30).abs() < tol
            && (e.num("width") - (x45 - x30)).abs() < tol
    });
    assert!(
        band.is_some(),
        "no band from 30 to 45 % (x {x30:.0} to {x45:.0})"
    );
    // ... and Fournier's hyperaemic flow as a diamond at 0 %, 293 mL/min.
    let (px, py) = (x_of(&els, 0.0), y_of(&els, 293.0));
    let d = diamonds(&els);
    assert!(
        d.iter()
            .any(|(x, y)| (x - px).abs() < tol && (y - py).abs() < tol),
        "no diamond at ({px:.0}, {py:.0}): {d:?}"
    );

    // Hajjar 2019: +0.5 L/min at 100 bpm with 40 mL.
    let els = read("co-gain-shock/figures/co-gain-lines.svg");
    let all = all_text(&els);
    assert!(all.contains("Hajjar 2019: +0.5 ± 0.2 L/min"), "{all}");
    let (px, py) = (x_of(&els, 100.0), y_of(&els, 0.5));
    let d = diamonds(&els);
    assert!(
        d.iter()
            .any(|(x, y)| (x - px).abs() < tol && (y - py).abs() < tol),
        "no diamond at ({px:.0}, {py:.0}): {d:?}"
    );

    // The style still holds in every figure of both experiments.
    for name in ["gould-1974", "co-gain-shock"] {
        for f in std::fs::read_dir(out.join(name).join("figures")).expect("figures") {
            let p = f.expect("file").path();
            if p.extension().and_then(|e| e.to_str()) != Some("svg") {
                continue;
            }
            let els = parse(&std::fs::read_to_string(&p).expect("svg"));
            let (pt, text) = smallest_text(&els);
            assert!(pt >= 6.0 - 1e-9, "{}: {text:?} at {pt:.2} pt", p.display());
            for (w, what) in stroke_widths_pt(&els) {
                assert!(w >= 0.5 - 1e-9, "{}: {what} at {w:.2} pt", p.display());
            }
        }
    }
}

#[test]
fn bad_published_values_exit_2_naming_the_option() {
    let sw = sweep();
    let base = [
        "plot",
        "lines",
        sw.as_str(),
        "--x",
        "heart_rate_bpm",
        "--y",
        "delta_cardiac_output_l_min",
    ];
    for (opt, value, says) in [
        ("--published-x", "45,30,Gould", "low end must be below"),
        ("--published-x", "30,Gould", "expected 2 number(s)"),
        ("--published-point", "abc", "expected 2 number(s)"),
        ("--published-y", "inf,Somebody", "finite"),
    ] {
        let out = fixtures().join("figs").join("bad-published");
        let mut a: Vec<&str> = base.to_vec();
        let o = out.display().to_string();
        a.extend([opt, value, "--out", o.as_str()]);
        let r = common::run(&a);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{opt} {value}: {err}");
        assert!(
            err.contains(opt) && err.contains(says),
            "{opt} {value}: {err}"
        );
        assert!(
            !out.with_extension("svg").exists(),
            "{opt} {value}: drew anyway"
        );
    }
    // A negative level is a number, not an option.
    plot(
        &[
            "plot",
            "lines",
            &sw,
            "--x",
            "heart_rate_bpm",
            "--y",
            "delta_cardiac_output_l_min",
            "--published-y",
            "-0.1,0.05,Somebody 2000",
        ],
        "negative-published",
    );
}
