//! Every plot kind drawn to PNG and SVG from small fixtures (runs and a sweep written by the
//! binary itself), checked for size, resolution and labels; `reproduce` and its `--check`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod common;
use common::{bin, fixture_dir, ok, repo, run};

/// Runs and a sweep shared by the tests (written once).
fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = fixture_dir("plots");
        let te = repo().join("experiments/timing-errors");
        for name in [
            "correct",
            "early-inflation",
            "late-inflation",
            "early-deflation",
            "late-deflation",
        ] {
            let scen = te.join(format!("{name}.toml"));
            let out = d.join("timing").join(name);
            ok(&[
                "simulate",
                "--scenario",
                &scen.display().to_string(),
                "--set",
                "output.waveform_beats=8",
                "--out",
                &out.display().to_string(),
            ]);
        }
        let wean = repo().join("experiments/weaning/weaning.toml");
        ok(&[
            "simulate",
            "--scenario",
            &wean.display().to_string(),
            "--set",
            "output.waveform_beats=2",
            "--out",
            &d.join("weaning").display().to_string(),
        ]);
        let spec = d.join("sweep.toml");
        std::fs::write(
            &spec,
            "[sweep]\nname = \"fixture\"\npreset = \"cardiogenic-shock\"\n[set]\niabp.enabled = true\n\
             [axes]\n\"heart.rate_bpm\" = [80, 110]\n\"iabp.volume_ml\" = [30, 40, 50]\n\"coronary.stenosis_percent\" = [0, 70]\n",
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

/// Width, height and pixels per metre of a PNG, from its IHDR and pHYs chunks.
fn png_info(path: &Path) -> (u32, u32, Option<u32>) {
    let b = std::fs::read(path).expect("png");
    assert_eq!(
        &b[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let (w, h) = (be(16), be(20));
    let phys = b.windows(4).position(|x| x == b"pHYs").map(|i| be(i + 4));
    (w, h, phys)
}

/// The size an SVG declares, inches.
fn svg_size_in(text: &str) -> (f64, f64) {
    let num = |key: &str| -> f64 {
        let i = text.find(&format!("{key}=\"")).expect("size attribute") + key.len() + 2;
        let rest = &text[i..];
        rest[..rest.find("in\"").expect("inches")]
            .parse()
            .expect("number")
    };
    (num("width"), num("height"))
}

/// Checks the three files of a figure: SVG sized in inches with its canvas in tenths of a
/// point, PNG at 300 dpi of the same size, vector PDF of the same page size with DejaVu Sans
/// embedded; and the labels in the SVG.
fn check_figure(stem: &Path, width_in: f64, labels: &[&str]) {
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    let pdf = stem.with_extension("pdf");
    let text = std::fs::read_to_string(&svg).expect("svg");
    let (w_in, h_in) = svg_size_in(&text);
    assert_eq!(w_in, width_in, "{}: width", svg.display());
    let units = |i: f64| (i * 720.0).round() as u32;
    assert!(
        text.contains(&format!("viewBox=\"0 0 {} {}\"", units(w_in), units(h_in))),
        "SVG viewBox in tenths of a point"
    );
    let (w, h, ppm) = png_info(&png);
    assert_eq!(
        (w, h),
        ((w_in * 300.0).round() as u32, (h_in * 300.0).round() as u32),
        "{}",
        png.display()
    );
    assert_eq!(ppm, Some(11811), "300 dpi recorded in pHYs");
    // A drawn figure is not a blank page: the compressed size of a blank canvas is a few kB.
    assert!(std::fs::metadata(&png).expect("png").len() > 30_000);
    let p = std::fs::read(&pdf).expect("pdf");
    assert!(p.starts_with(b"%PDF-"), "{} is a PDF", pdf.display());
    let has = |needle: &[u8]| p.windows(needle.len()).any(|x| x == needle);
    assert!(has(b"/FontFile2"), "TrueType font embedded in the PDF");
    assert!(has(b"DejaVuSans"), "DejaVu Sans in the PDF");
    let raw = String::from_utf8_lossy(&p);
    let media: Vec<f64> = raw
        .split("/MediaBox [")
        .nth(1)
        .and_then(|r| r.split(']').next())
        .map(|r| {
            r.split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        media.len() == 4
            && (media[2] - w_in * 72.0).abs() < 0.05
            && (media[3] - h_in * 72.0).abs() < 0.05,
        "{}: page {media:?} pt for {w_in} x {h_in} in",
        pdf.display()
    );
    for l in labels {
        assert!(text.contains(l), "{}: no label {l:?}", svg.display());
    }
}

#[test]
fn waveform_and_pv_loop() {
    let d = fixtures();
    let run_dir = d.join("timing/correct");
    let stem = d.join("figs/waveform");
    ok(&[
        "plot",
        "waveform",
        &run_dir.display().to_string(),
        "--out",
        &stem.display().to_string(),
    ]);
    check_figure(
        &stem,
        3.5,
        &[
            "Pressure (mmHg)",
            "Balloon (mL)",
            "Time (s)",
            "Aortic pressure",
            "LV pressure",
            "Unassisted systole",
            "Dicrotic notch",
            "Augmented diastole",
            "Assisted end-diastolic dip",
            "Assisted systole",
        ],
    );
    let stem = d.join("figs/pv");
    ok(&[
        "plot",
        "pv-loop",
        &run_dir.display().to_string(),
        "--out",
        &stem.display().to_string(),
    ]);
    check_figure(
        &stem,
        3.5,
        &[
            "LV volume (mL)",
            "LV pressure (mmHg)",
            "Balloon off",
            "beat after an assisted diastole",
            "beat after an unassisted diastole",
        ],
    );
    // Default output folder: RUN_DIR/figures.
    ok(&["plot", "pv-loop", &run_dir.display().to_string()]);
    assert!(run_dir.join("figures/pv-loop.svg").exists());
}

#[test]
fn heatmap_and_lines_from_a_sweep() {
    let d = fixtures();
    let sweep = d.join("sweep").display().to_string();
    let stem = d.join("figs/heatmap");
    ok(&[
        "plot",
        "heatmap",
        &sweep,
        "--x",
        "heart_rate_bpm",
        "--y",
        "iabp_volume_ml",
        "--z",
        "delta_cardiac_output_l_min",
        "--out",
        &stem.display().to_string(),
    ]);
    check_figure(
        &stem,
        3.5,
        &[
            "Heart rate (bpm)",
            "Balloon volume (mL)",
            "Δ cardiac output (L/min)",
            "mean over LAD diameter stenosis (%)",
        ],
    );
    let stem = d.join("figs/lines");
    ok(&[
        "plot",
        "lines",
        &sweep,
        "--x",
        "coronary_stenosis_percent",
        "--y",
        "delta_coronary_flow_ml_min",
        "--by",
        "iabp_volume_ml",
        "--where",
        "heart_rate_bpm=80",
        "--out",
        &stem.display().to_string(),
    ]);
    check_figure(
        &stem,
        3.5,
        &[
            "LAD diameter stenosis (%)",
            "Δ LAD flow (mL/min)",
            "30 mL",
            "40 mL",
            "50 mL",
            "Heart rate = 80 bpm",
        ],
    );
    // Several y columns on one axis, no --by, own legend text.
    let stem = d.join("figs/lines-multi");
    ok(&[
        "plot",
        "lines",
        &sweep,
        "--x",
        "coronary_stenosis_percent",
        "--y",
        "baseline_coronary_flow_ml_min,baseline_hyperemic_coronary_flow_ml_min",
        "--label",
        "Resting",
        "--label",
        "Maximal",
        "--out",
        &stem.display().to_string(),
    ]);
    check_figure(&stem, 3.5, &["LAD flow (mL/min)", "Resting", "Maximal"]);
    let o = run(&[
        "plot",
        "lines",
        &sweep,
        "--x",
        "coronary_stenosis_percent",
        "--y",
        "baseline_coronary_flow_ml_min,baseline_ffr",
        "--label",
        "only one",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("1 --label(s) for 2 lines"));
}

#[test]
fn timing_errors_and_weaning() {
    let d = fixtures();
    let stem = d.join("figs/timing");
    ok(&[
        "plot",
        "timing-errors",
        &d.join("timing").display().to_string(),
        "--out",
        &stem.display().to_string(),
    ]);
    check_figure(
        &stem,
        7.2,
        &[
            "Correct timing",
            "Early inflation (inflation −120 ms)",
            "Late inflation (inflation +120 ms)",
            "Early deflation (deflation −200 ms)",
            "Late deflation (deflation +150 ms)",
            "Balloon inflated",
            "ΔCO",
        ],
    );
    let stem = d.join("figs/weaning");
    ok(&[
        "plot",
        "weaning",
        &d.join("weaning").display().to_string(),
        "--out",
        &stem.display().to_string(),
    ]);
    check_figure(
        &stem,
        3.5,
        &[
            "Cardiac output (L/min)",
            "MAP (mmHg)",
            "Time (s)",
            "1:1",
            "1:2",
            "1:4",
            "standby",
            "balloon off",
        ],
    );
}

#[test]
fn plot_errors_name_the_problem_and_exit_2() {
    let d = fixtures();
    // A 1:1 run has no 1:2 pattern to annotate.
    let one = d.join("one-to-one");
    ok(&[
        "simulate",
        "--preset",
        "cardiogenic-shock",
        "--set",
        "iabp.enabled=true",
        "--out",
        &one.display().to_string(),
    ]);
    let o = run(&["plot", "waveform", &one.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("1:2"));
    let o = run(&[
        "plot",
        "heatmap",
        &d.join("sweep").display().to_string(),
        "--x",
        "heart_rate",
        "--y",
        "iabp_volume_ml",
        "--z",
        "delta_cardiac_output_l_min",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("heart_rate") && e.contains("heart_rate_bpm"),
        "{e}"
    );
    let o = run(&[
        "plot",
        "weaning",
        &d.join("nothing-here").display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn reproduce_check_fails_outside_tolerance() {
    let d = fixtures().join("exps");
    let exp = d.join("toy");
    std::fs::create_dir_all(&exp).expect("dir");
    std::fs::write(
        exp.join("shock.toml"),
        "[scenario]\npreset = \"cardiogenic-shock\"\n[iabp]\nenabled = true\n",
    )
    .expect("scenario");
    let write = |published: f64| {
        std::fs::write(
            exp.join("experiment.toml"),
            format!(
                "[experiment]\ntitle = \"toy\"\n[[run]]\nname = \"shock\"\nscenario = \"shock.toml\"\n\
                 [[expect]]\nwhat = \"CO gain\"\nunit = \"L/min\"\npublished = {published}\ntolerance = 0.2\n\
                 observed = {{ run = \"shock\", metric = \"cardiac_output_l_min\", value = \"delta\" }}\n"
            ),
        )
        .expect("experiment")
    };
    let args = |check: bool| {
        let mut a = vec![
            "reproduce".to_string(),
            "toy".into(),
            "--experiments".into(),
            d.display().to_string(),
            "--out".into(),
            d.join("out").display().to_string(),
        ];
        if check {
            a.push("--check".into());
        }
        // Each call replaces the previous reproduction.
        a.push("--force".into());
        a
    };
    let run_s = |a: Vec<String>| bin().args(&a).output().expect("runs");
    write(0.45);
    let o = run_s(args(true));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 of 1 checked values inside"));
    assert!(d.join("out/toy/shock/beats.parquet").exists());
    write(3.0);
    let o = run_s(args(true));
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("CO gain"));
    let o = run_s(args(false));
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("OUTSIDE"));
    let o = run(&[
        "reproduce",
        "no-such",
        "--experiments",
        &d.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn reproduce_reads_thresholds_along_a_sweep_axis() {
    let d = fixtures().join("exps-along");
    let exp = d.join("toy");
    std::fs::create_dir_all(&exp).expect("dir");
    std::fs::write(
        exp.join("sweep.toml"),
        "[sweep]\nname = \"toy\"\npreset = \"healthy\"\n[axes]\n\
         \"coronary.stenosis_percent\" = { from = 0, to = 90, step = 10 }\n",
    )
    .expect("spec");
    let along = "sweep = \"s\", along = \"coronary_stenosis_percent\"";
    std::fs::write(
        exp.join("experiment.toml"),
        format!(
            "[experiment]\ntitle = \"toy\"\n[[sweep]]\nname = \"s\"\nspec = \"sweep.toml\"\n\
             [[expect]]\nwhat = \"FFR 0.80\"\nmin = 50\nmax = 80\n\
             observed = {{ {along}, column = \"baseline_ffr\", crossing = 0.8 }}\n\
             [[expect]]\nwhat = \"Pd/Pa there\"\nmin = 0.8\nmax = 1.0\n\
             observed = {{ {along}, column = \"baseline_resting_pd_pa\", at = {{ column = \"baseline_ffr\", crossing = 0.8 }} }}\n\
             [[expect]]\nwhat = \"never\"\nmin = 0\n\
             observed = {{ {along}, column = \"baseline_coronary_flow_ml_min\", relative = true, crossing = -1 }}\n"
        ),
    )
    .expect("experiment");
    let o = run(&[
        "reproduce",
        "toy",
        "--check",
        "--experiments",
        &d.display().to_string(),
        "--out",
        &d.join("out").display().to_string(),
    ]);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    // Two thresholds found and inside; the third never reached: an error row, and --check fails.
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("2 of 3 checked values inside"), "{out}");
    assert!(err.contains("never reaches -1"), "{err}");
}

/// The font sizes in an SVG, points at its declared width.
fn text_sizes_pt(stem: &Path) -> Vec<f64> {
    let text = std::fs::read_to_string(stem.with_extension("svg")).expect("svg");
    let (w_in, _) = svg_size_in(&text);
    let k = w_in * 72.0 / (w_in * 720.0).round();
    text.split("font-size=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next()?.parse::<f64>().ok())
        .map(|u| u * k)
        .collect()
}

#[test]
fn options_size_text_formats_title_axes_and_letters() {
    let d = fixtures();
    let sweep = d.join("sweep").display().to_string();
    let lines = |extra: &[&str], name: &str| {
        let stem = d.join("figs/opts").join(name);
        let mut a = vec![
            "plot",
            "lines",
            &sweep,
            "--x",
            "heart_rate_bpm",
            "--y",
            "delta_cardiac_output_l_min",
            "--by",
            "iabp_volume_ml",
            "--where",
            "coronary_stenosis_percent=0",
        ];
        let s = stem.display().to_string();
        a.extend_from_slice(extra);
        a.extend_from_slice(&["--out", &s]);
        run(&a)
    };
    // Two columns wide, 8 pt text, own title, letter C, fixed y axis, PDF and SVG only.
    let o = lines(
        &[
            "--width-in",
            "7.2",
            "--font-pt",
            "8",
            "--title",
            "CO gain",
            "--panel-letters",
            "C",
            "--ylim",
            "-0.1,0.8",
            "--format",
            "pdf,svg",
        ],
        "wide",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stem = d.join("figs/opts/wide");
    assert!(stem.with_extension("pdf").exists() && !stem.with_extension("png").exists());
    let svg = std::fs::read_to_string(stem.with_extension("svg")).expect("svg");
    assert_eq!(svg_size_in(&svg).0, 7.2);
    assert!(svg.contains(">\nCO gain\n<") && svg.contains("font-weight=\"bold\""));
    assert!(svg.contains(">\nC\n<"), "panel letter C");
    assert!(svg.contains(">\n0.8\n<"), "y axis up to the limit");
    let sizes = text_sizes_pt(&stem);
    assert!(sizes.iter().all(|p| *p >= 6.0 - 1e-9), "{sizes:?}");
    assert!(
        sizes.iter().any(|p| (p - 8.0).abs() < 1e-6),
        "8 pt base: {sizes:?}"
    );
    // No title.
    let o = lines(&["--title", "", "--format", "svg"], "untitled");
    assert!(o.status.success());
    let svg = std::fs::read_to_string(d.join("figs/opts/untitled.svg")).expect("svg");
    assert!(!svg.contains("Sweep fixture"), "title removed");
    // Refused: text below 6 pt, a log axis through 0, limits the wrong way round, a format
    // nobody asked for, limits on a heatmap.
    for (extra, msg) in [
        (&["--font-pt", "5"][..], "6"),
        (&["--logy", "--ylim", "-1,1"][..], "log axis"),
        (&["--xlim", "100,80"][..], "low < high"),
        (&["--format", "eps"][..], "eps"),
    ] {
        let o = lines(extra, "bad");
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(msg), "{extra:?}: {e}");
    }
    let o = run(&[
        "plot",
        "heatmap",
        &sweep,
        "--x",
        "heart_rate_bpm",
        "--y",
        "iabp_volume_ml",
        "--z",
        "delta_cardiac_output_l_min",
        "--xlim",
        "0,1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    // The same figure twice gives the same bytes in every format.
    let a = lines(&[], "same-a");
    let b = lines(&[], "same-b");
    assert!(a.status.success() && b.status.success());
    for ext in ["pdf", "svg", "png"] {
        let read =
            |n: &str| std::fs::read(d.join("figs/opts").join(format!("{n}.{ext}"))).expect("file");
        assert!(read("same-a") == read("same-b"), "{ext} not reproducible");
    }
}

#[test]
fn traces_coronary_rhythm_bands_and_changes() {
    let d = fixtures();
    let correct = d.join("timing/correct").display().to_string();
    let late = d.join("timing/late-deflation").display().to_string();
    // One folder: balloon off and on, aligned on the R wave, aortic and LV pressure.
    let stem = d.join("figs/trace");
    ok(&[
        "plot",
        "trace",
        &correct,
        "--signals",
        "aortic_root_pressure_mmhg,lv_pressure_mmhg",
        "--beats",
        "3",
        "--width-in",
        "3.5",
        "--out",
        &stem.display().to_string(),
    ]);
    check_figure(
        &stem,
        3.5,
        &[
            "Time from R wave (s)",
            "Pressure (mmHg)",
            "Balloon off and on, aligned on the R wave",
            "Balloon off",
            "Balloon 1:2",
            "Aortic root pressure",
            "LV pressure",
            "R wave",
            "Balloon inflated",
        ],
    );
    // Two folders, two panel groups, own labels.
    let stem = d.join("figs/trace-two");
    ok(&[
        "plot",
        "trace",
        &correct,
        &late,
        "--label",
        "Correct",
        "--label",
        "Late deflation",
        "--signals",
        "aortic_root_pressure_mmhg",
        "--signals",
        "balloon_volume_ml,balloon_line_pressure_mmhg",
        "--beats",
        "2",
        "--out",
        &stem.display().to_string(),
    ]);
    check_figure(
        &stem,
        3.5,
        &[
            "Aortic root pressure (mmHg)",
            "Balloon volume (mL)",
            "Balloon line pressure (mmHg)",
            "Late deflation",
        ],
    );
    let o = run(&["plot", "trace", &correct, "--beats", "30"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["plot", "trace", &correct, "--signals", "no_such_signal"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no_such_signal"));
    // Kern-style coronary flow, balloon off and on.
    let stem = d.join("figs/coronary");
    ok(&[
        "plot",
        "coronary-trace",
        &correct,
        "--out",
        &stem.display().to_string(),
    ]);
    check_figure(
        &stem,
        3.5,
        &[
            "LAD flow (mL/s)",
            "Aortic pressure (mmHg)",
            "mean LAD flow",
            "Balloon off",
            "Balloon 1:2",
        ],
    );
    // An AF run with R-wave deflation.
    let af = d.join("af");
    ok(&[
        "simulate",
        "--preset",
        "cardiogenic-shock",
        "--set",
        "iabp.enabled=true",
        "--set",
        "rhythm.kind=af",
        "--set",
        "iabp.timing=r-wave",
        "--set",
        "steady.irregular_beats=16",
        "--set",
        "output.waveform_beats=12",
        "--out",
        &af.display().to_string(),
    ]);
    let stem = d.join("figs/rhythm");
    ok(&[
        "plot",
        "rhythm",
        &af.display().to_string(),
        "--out",
        &stem.display().to_string(),
    ]);
    check_figure(
        &stem,
        3.5,
        &[
            "Atrial fibrillation, deflation on the R wave",
            "R wave",
            "Deflate",
            "Balloon (mL)",
            "RR intervals",
        ],
    );
    // Bands across the averaged axis (here: stenosis), mean ± SD and quantiles.
    let sweep = d.join("sweep").display().to_string();
    for (band, text) in [
        ("sd", "mean ± SD over 2 values of LAD diameter stenosis"),
        ("quantiles", "median and interquartile range"),
    ] {
        let stem = d.join(format!("figs/bands-{band}"));
        ok(&[
            "plot",
            "bands",
            &sweep,
            "--x",
            "heart_rate_bpm",
            "--y",
            "delta_coronary_flow_ml_min",
            "--by",
            "iabp_volume_ml",
            "--band",
            band,
            "--out",
            &stem.display().to_string(),
        ]);
        check_figure(&stem, 3.5, &[text, "30 mL", "Δ LAD flow (mL/min)"]);
    }
    // Changes on the balloon against reference values.
    let stem = d.join("figs/changes");
    ok(&[
        "plot",
        "changes",
        &correct,
        &late,
        "--metrics",
        "mean_arterial_pressure_mmhg,tension_time_index_mmhg_s_min",
        "--reference",
        "mean_arterial_pressure_mmhg=1,6",
        "--reference-label",
        "Published",
        "--out",
        &stem.display().to_string(),
    ]);
    check_figure(
        &stem,
        3.5,
        &[
            "Change on the balloon (%)",
            "Mean arterial pressure",
            "Tension-time index",
            "Published",
            "correct",
            "late-deflation",
        ],
    );
}
