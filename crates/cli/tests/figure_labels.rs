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
