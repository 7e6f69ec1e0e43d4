//! Every plot kind drawn to PNG and SVG from small fixtures (runs and a sweep written by the
//! binary itself), checked for size, resolution and labels; `reproduce` and its `--check`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_counterpulse"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
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

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs and a sweep shared by the tests (written once).
fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("counterpulse-plots-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
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

fn check_figure(stem: &Path, size_in: (f64, f64), labels: &[&str]) {
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    let (w, h, ppm) = png_info(&png);
    assert_eq!(
        (w, h),
        (
            (size_in.0 * 300.0).round() as u32,
            (size_in.1 * 300.0).round() as u32
        ),
        "{}",
        png.display()
    );
    assert_eq!(ppm, Some(11811), "300 dpi recorded in pHYs");
    // A drawn figure is not a blank page: a good share of non-white pixels is not checkable
    // without a decoder, but the compressed size of a blank 1050 px canvas is a few kB.
    assert!(std::fs::metadata(&png).expect("png").len() > 30_000);
    let text = std::fs::read_to_string(&svg).expect("svg");
    assert!(
        text.contains(&format!("width=\"{}in\"", size_in.0)),
        "SVG width in inches"
    );
    assert!(
        text.contains(&format!("viewBox=\"0 0 {w} {h}\"")),
        "SVG viewBox"
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
        (3.5, 3.9),
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
        (3.5, 3.1),
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
        (3.5, 3.2),
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
        (3.5, 3.0),
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
    check_figure(
        &stem,
        (3.5, 3.0),
        &["LAD flow (mL/min)", "Resting", "Maximal"],
    );
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
        (7.0, 4.9),
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
        (3.5, 3.8),
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
