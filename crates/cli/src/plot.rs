//! `counterpulse plot ...`: figures from Parquet output (never re-runs the model), with the
//! options every figure takes (format, size, text size, title, axes, panel letters).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use counterpulse_io::{ColumnValues, read_columns, read_f64_columns, read_str_column};
use counterpulse_plots::{
    Figure, FigureOptions, Format, HeatmapFigure, Mark, Panel, PanelsFigure, Published,
    PublishedMark, PvLoop, PvLoopFigure, Series, Style, TimingErrorsFigure, TimingPanel,
    WaveformFigure, WeaningFigure, WeaningStep, annotate_one_to_two, axis_label, bare, lower_first,
    render, tick, unit_of_column,
};
use serde_json::Value as Json;

use crate::UsageError;

mod bars;
mod files;
mod sensitivity;
mod trace;

/// The figure kinds of `counterpulse plot`.
#[derive(Subcommand, Debug)]
pub enum PlotKind {
    /// Aortic and LV pressure with balloon volume at 1:2, annotated (run folder of `simulate --out`).
    Waveform {
        /// Run folder (waveforms.parquet, events.parquet, manifest.json) of a run at 1:2.
        dir: PathBuf,
        #[command(flatten)]
        fig: FigureArgs,
    },
    /// LV pressure-volume loops, baseline and assisted.
    PvLoop {
        /// Run folder of `simulate --out`.
        dir: PathBuf,
        #[command(flatten)]
        fig: FigureArgs,
    },
    /// A sweep metric over two swept columns (mean over the other axes unless --where fixes them).
    Heatmap {
        /// Sweep output folder (points.parquet).
        dir: PathBuf,
        /// Column on the x axis, e.g. heart_rate_bpm.
        #[arg(long)]
        x: String,
        /// Column on the y axis, e.g. iabp_volume_ml.
        #[arg(long)]
        y: String,
        /// Column shown by colour, e.g. delta_cardiac_output_l_min.
        #[arg(long)]
        z: String,
        /// Keep only rows with COLUMN=VALUE (repeatable).
        #[arg(long = "where", value_name = "COLUMN=VALUE")]
        wheres: Vec<String>,
        #[command(flatten)]
        fig: FigureArgs,
    },
    /// Sweep metrics against one swept column, one line per y column and value of `--by`;
    /// columns of different units get a panel each.
    Lines {
        /// Sweep output folder (points.parquet).
        dir: PathBuf,
        #[command(flatten)]
        sel: LineSelection,
        #[command(flatten)]
        fig: FigureArgs,
    },
    /// Like `lines`, with a band across the rows that share an x (and --by) value: the
    /// other swept columns, e.g. rhythm seeds or cohort members. Mean ± SD, or median with
    /// quantiles.
    Bands {
        /// Sweep output folder (points.parquet).
        dir: PathBuf,
        #[command(flatten)]
        sel: LineSelection,
        /// `sd` (mean ± 1 SD) or `quantiles` (median and --quantiles).
        #[arg(long, default_value = "sd")]
        band: String,
        /// Lower and upper quantile of `--band quantiles`.
        #[arg(long, value_name = "LO,HI", default_value = "0.25,0.75")]
        quantiles: String,
        #[command(flatten)]
        fig: FigureArgs,
    },
    /// Signals of one or more runs overlaid, aligned on an event, over a few beats.
    Trace {
        /// Run folders of `simulate --out`.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        #[command(flatten)]
        sel: trace::TraceSelection,
        #[command(flatten)]
        fig: FigureArgs,
    },
    /// Intracoronary (LAD) flow and aortic pressure with and without the balloon, aligned on
    /// the R wave (after Kern MJ et al., Circulation 1993;87:500).
    CoronaryTrace {
        /// Run folder of a run with the balloon (its baseline run is the balloon-off trace).
        dir: PathBuf,
        /// Beats shown.
        #[arg(long, default_value_t = 2)]
        beats: usize,
        #[command(flatten)]
        fig: FigureArgs,
    },
    /// An irregular rhythm: R waves with RR intervals, balloon commands, aortic pressure and
    /// balloon volume over the last seconds of the assisted run.
    Rhythm {
        /// Run folder (e.g. rhythm.kind = "af" with iabp.timing = "r-wave").
        dir: PathBuf,
        /// Seconds shown (the end of the recording).
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        #[command(flatten)]
        fig: FigureArgs,
    },
    /// Change of per-run metrics on the balloon (assisted against baseline) as bars, one group
    /// per run folder, with reference (published) values as diamonds.
    Changes {
        /// Run folders of `simulate --out`, one bar group each.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        #[command(flatten)]
        sel: bars::ChangeSelection,
        #[command(flatten)]
        fig: FigureArgs,
    },
    /// Sobol' indices with bootstrap intervals above a tornado of one-at-a-time effects (a
    /// `sampling = "sobol"` sweep), or Morris mu* and sigma (`sampling = "morris"`).
    Sensitivity {
        /// Sweep output folder (points.parquet; analysis/ when `analyze` ran).
        dir: PathBuf,
        /// Output column, e.g. delta_cardiac_output_l_min.
        #[arg(long)]
        y: String,
        #[command(flatten)]
        fig: FigureArgs,
    },
    /// A virtual cohort: the distribution of the effect against a published one, with the
    /// responder threshold, above the inputs that separate responders (AUC).
    Cohort {
        /// Cohort output folder (points.parquet).
        dir: PathBuf,
        #[command(flatten)]
        fig: FigureArgs,
    },
    /// The four classic timing errors beside correct timing, one panel each.
    TimingErrors {
        /// Folder with the run folders correct, early-inflation, late-inflation,
        /// early-deflation, late-deflation (default: notebooks-data/timing-errors).
        dir: Option<PathBuf>,
        #[command(flatten)]
        fig: FigureArgs,
    },
    /// CO and MAP over time through a weaning protocol (1:1 -> 1:2 -> 1:4).
    Weaning {
        /// Run folder of a run with protocol steps (default: notebooks-data/weaning/weaning).
        dir: Option<PathBuf>,
        #[command(flatten)]
        fig: FigureArgs,
    },
}

/// Columns of a lines or bands figure.
#[derive(Args, Debug, Clone, Default)]
pub struct LineSelection {
    /// Column on the x axis.
    #[arg(long)]
    pub x: String,
    /// Column(s) on the y axis (comma-separated; columns of one unit share a panel).
    #[arg(long, value_delimiter = ',', required = true)]
    pub y: Vec<String>,
    /// One line per value of this column.
    #[arg(long)]
    pub by: Option<String>,
    /// Legend text of each line, in order (repeatable; default: from the column names).
    #[arg(long = "label")]
    pub labels: Vec<String>,
    /// Y-axis title (default: from the column names; only when all y columns share a unit).
    #[arg(long)]
    pub y_label: Option<String>,
    /// Keep only rows with COLUMN=VALUE (repeatable).
    #[arg(long = "where", value_name = "COLUMN=VALUE")]
    pub wheres: Vec<String>,
    /// A published range of x, drawn as a light band over every panel, with its legend text
    /// naming the source (repeatable), e.g. "30,45,Gould 1974 (dogs): 30–45 %".
    #[arg(
        long = "published-x",
        value_name = "LO,HI[,LABEL]",
        allow_hyphen_values = true
    )]
    pub published_x: Vec<String>,
    /// A published level of y (± tolerance), drawn across the first panel as a dashed line
    /// in a light band (repeatable).
    #[arg(
        long = "published-y",
        value_name = "VALUE[,TOL][,LABEL]",
        allow_hyphen_values = true
    )]
    pub published_y: Vec<String>,
    /// A published value at one x (± tolerance on y), drawn on the first panel as an open
    /// diamond with an error bar (repeatable).
    #[arg(
        long = "published-point",
        value_name = "X,Y[,TOL][,LABEL]",
        allow_hyphen_values = true
    )]
    pub published_points: Vec<String>,
}

/// Parses one published-value option: `need` to `most` leading numbers, then the legend text
/// (the rest, commas included; "Published" when absent).
fn published_fields(
    flag: &str,
    text: &str,
    need: usize,
    most: usize,
) -> Result<(Vec<f64>, String)> {
    let parts: Vec<&str> = text.split(',').collect();
    let mut nums = Vec::new();
    for p in parts.iter().take(most) {
        match p.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => nums.push(v),
            Ok(_) => {
                return Err(usage(format!(
                    "{flag} {text}: values must be finite numbers"
                )));
            }
            Err(_) => break,
        }
    }
    if nums.len() < need {
        return Err(usage(format!(
            "{flag} {text}: expected {need} number(s) first, then optionally the legend text"
        )));
    }
    let label = parts[nums.len()..].join(",").trim().to_string();
    Ok((
        nums,
        if label.is_empty() {
            "Published".into()
        } else {
            label
        },
    ))
}

/// The published values of a lines or bands figure, in the order x ranges, y levels, points.
fn published_marks(sel: &LineSelection) -> Result<Vec<Published>> {
    let mut out = Vec::new();
    for t in &sel.published_x {
        let (v, label) = published_fields("--published-x", t, 2, 2)?;
        if v[0] >= v[1] {
            return Err(usage(format!(
                "--published-x {t}: the range's low end must be below its high end"
            )));
        }
        out.push(Published {
            mark: PublishedMark::XRange(v[0], v[1]),
            label,
        });
    }
    for t in &sel.published_y {
        let (v, label) = published_fields("--published-y", t, 1, 2)?;
        out.push(Published {
            mark: PublishedMark::YLevel(v[0], v.get(1).copied().unwrap_or(0.0).abs()),
            label,
        });
    }
    for t in &sel.published_points {
        let (v, label) = published_fields("--published-point", t, 2, 3)?;
        out.push(Published {
            mark: PublishedMark::Point(v[0], v[1], v.get(2).copied().unwrap_or(0.0).abs()),
            label,
        });
    }
    Ok(out)
}

/// Options of every figure: files, size, text, title, axes, panel letters.
#[derive(Args, Debug, Clone, Default)]
pub struct FigureArgs {
    /// Output path without extension (default: DIR/figures/NAME).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// File formats, comma-separated: pdf (vector, fonts embedded), svg, png (300 dpi)
    /// [default: pdf,svg,png].
    #[arg(long, value_delimiter = ',', value_name = "FORMATS")]
    pub format: Vec<String>,
    /// Width at print size, inches: 3.5 one journal column, 7.2 two [default: the figure's].
    #[arg(long, value_name = "IN")]
    pub width_in: Option<f64>,
    /// Height at print size, inches [default: from the width].
    #[arg(long, value_name = "IN")]
    pub height_in: Option<f64>,
    /// Base text size at print size, points (6 to 12; titles 1 pt larger, notes 0.5 pt smaller,
    /// never below 6).
    #[arg(long, value_name = "PT", default_value_t = counterpulse_plots::DEFAULT_FONT_PT)]
    pub font_pt: f64,
    /// Title ("" for none, e.g. when the caption says it) [default: from the data].
    #[arg(long)]
    pub title: Option<String>,
    /// Limits of the x axis.
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true)]
    pub xlim: Option<String>,
    /// Limits of the y axis (every panel).
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true)]
    pub ylim: Option<String>,
    /// Logarithmic x axis.
    #[arg(long)]
    pub logx: bool,
    /// Logarithmic y axis.
    #[arg(long)]
    pub logy: bool,
    /// Letter the panels, starting at FIRST (A, a, C, ...).
    #[arg(long, value_name = "FIRST", num_args = 0..=1, default_missing_value = "A")]
    pub panel_letters: Option<char>,
    /// Replace existing files at the output path. Without it an existing file is replaced only
    /// if this tool wrote it into a `figures/` folder and it is unchanged since; any other is
    /// refused (exit 2).
    #[arg(long)]
    pub force: bool,
}

fn parse_lim(name: &str, v: &Option<String>) -> Result<Option<(f64, f64)>> {
    let Some(v) = v else { return Ok(None) };
    let parts: Vec<&str> = v.split(',').collect();
    let nums: Vec<f64> = parts.iter().filter_map(|p| p.trim().parse().ok()).collect();
    if parts.len() != 2 || nums.len() != 2 {
        return Err(usage(format!(
            "--{name} {v}: expected LO,HI, e.g. --{name} 0,120"
        )));
    }
    Ok(Some((nums[0], nums[1])))
}

impl FigureArgs {
    /// The plots crate's options, checked against what `fig` accepts.
    fn options(&self, kind: &str, fig: &impl Figure) -> Result<FigureOptions> {
        let style = Style::new(self.font_pt).map_err(|e| usage(format!("--font-pt: {e}")))?;
        let o = FigureOptions {
            style,
            width_in: self.width_in,
            height_in: self.height_in,
            title: self.title.clone(),
            xlim: parse_lim("xlim", &self.xlim)?,
            ylim: parse_lim("ylim", &self.ylim)?,
            logx: self.logx,
            logy: self.logy,
            first_letter: self.panel_letters,
        };
        o.validate(kind, fig.accepts())
            .map_err(|e| usage(e.to_string()))?;
        Ok(o)
    }

    fn formats(&self) -> Result<Vec<Format>> {
        if self.format.is_empty() {
            return Ok(Format::ALL.to_vec());
        }
        self.format
            .iter()
            .map(|f| Format::parse(f).map_err(|e| usage(format!("--format: {e}"))))
            .collect()
    }

    /// Draws `fig` into `--out` (or `dir/figures/name`) in the chosen formats and prints the
    /// paths.
    pub(crate) fn write(
        &self,
        kind: &str,
        fig: &impl Figure,
        dir: &Path,
        name: &str,
    ) -> Result<()> {
        let opts = self.options(kind, fig)?;
        let formats = self.formats()?;
        let stem = self
            .out
            .clone()
            .unwrap_or_else(|| dir.join("figures").join(name));
        let mut targets: Vec<PathBuf> = formats
            .iter()
            .map(|f| counterpulse_plots::with_ext(&stem, *f))
            .collect();
        targets.sort();
        targets.dedup();
        files::check_replaceable(&targets, self.force)?;
        let paths = render(fig, &opts, &stem, &formats).map_err(|e| match e {
            counterpulse_plots::PlotError::Data(m) | counterpulse_plots::PlotError::Options(m) => {
                usage(format!("{kind}: {m}"))
            }
            other => anyhow::Error::new(other),
        })?;
        files::record(&paths)?;
        for p in paths {
            crate::say::say!("wrote {}", p.display());
        }
        Ok(())
    }
}

/// Runs `counterpulse plot KIND ...`.
pub fn dispatch(kind: PlotKind) -> Result<()> {
    match kind {
        PlotKind::Waveform { dir, fig } => waveform(&dir, &fig),
        PlotKind::PvLoop { dir, fig } => pv_loop(&dir, &fig),
        PlotKind::Heatmap {
            dir,
            x,
            y,
            z,
            wheres,
            fig,
        } => heatmap(&dir, &x, &y, &z, &wheres, &fig),
        PlotKind::Lines { dir, sel, fig } => lines(&dir, &sel, None, &fig),
        PlotKind::Bands {
            dir,
            sel,
            band,
            quantiles,
            fig,
        } => {
            let spread = Spread::parse(&band, &quantiles)?;
            lines(&dir, &sel, Some(spread), &fig)
        }
        PlotKind::Trace { dirs, sel, fig } => trace::trace(&dirs, &sel, &fig),
        PlotKind::CoronaryTrace { dir, beats, fig } => trace::coronary(&dir, beats, &fig),
        PlotKind::Rhythm { dir, seconds, fig } => trace::rhythm(&dir, seconds, &fig),
        PlotKind::Changes { dirs, sel, fig } => bars::changes(&dirs, &sel, &fig),
        PlotKind::Sensitivity { dir, y, fig } => sensitivity::sensitivity(&dir, &y, &fig),
        PlotKind::Cohort { dir, fig } => sensitivity::cohort_plot(&dir, &fig),
        PlotKind::TimingErrors { dir, fig } => timing_errors(
            &dir.unwrap_or_else(|| PathBuf::from("notebooks-data/timing-errors")),
            &fig,
        ),
        PlotKind::Weaning { dir, fig } => weaning(
            &dir.unwrap_or_else(|| PathBuf::from("notebooks-data/weaning/weaning")),
            &fig,
        ),
    }
}

pub(crate) fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

/// Reads `names` (f64) of the rows of `file` whose `run` column equals `run`.
pub(crate) fn columns_of_run(file: &Path, run: &str, names: &[&str]) -> Result<Vec<Vec<f64>>> {
    if !file.exists() {
        return Err(usage(format!(
            "{}: no such file (is this a run folder written by `counterpulse simulate --out`?)",
            file.display()
        )));
    }
    let runs = read_str_column(file, "run")?;
    let cols = read_f64_columns(file, names)?;
    let mut out: Vec<Vec<f64>> = Vec::new();
    for n in names {
        let Some((_, c)) = cols.iter().find(|(cn, _)| cn == n) else {
            return Err(usage(format!("{}: no column `{n}`", file.display())));
        };
        out.push(
            c.iter()
                .zip(&runs)
                .filter(|(_, r)| r.as_str() == run)
                .map(|(v, _)| v.unwrap_or(f64::NAN))
                .collect(),
        );
    }
    if out.first().is_some_and(|c| c.is_empty()) {
        return Err(usage(format!(
            "{}: no rows of the `{run}` run",
            file.display()
        )));
    }
    Ok(out)
}

pub(crate) fn events_of_run(dir: &Path, run: &str, kind: &str) -> Result<Vec<f64>> {
    let file = dir.join("events.parquet");
    let runs = read_str_column(&file, "run")?;
    let kinds = read_str_column(&file, "kind")?;
    let t = read_f64_columns(&file, &["time_s"])?;
    let t = &t
        .first()
        .ok_or_else(|| usage(format!("{}: no column `time_s`", file.display())))?
        .1;
    Ok(t.iter()
        .zip(runs.iter().zip(&kinds))
        .filter(|(_, (r, k))| r.as_str() == run && k.as_str() == kind)
        .filter_map(|(t, _)| *t)
        .collect())
}

pub(crate) fn manifest(dir: &Path) -> Result<Json> {
    let p = dir.join("manifest.json");
    let text = std::fs::read_to_string(&p).map_err(|e| {
        usage(format!(
            "{}: {e} (not an output folder of counterpulse?)",
            p.display()
        ))
    })?;
    serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", p.display()))
}

pub(crate) fn scenario_value<'a>(m: &'a Json, key: &str) -> Option<&'a Json> {
    m.get("scenario").and_then(|s| s.get(key))
}

pub(crate) fn summary_metric(m: &Json, run: &str, metric: &str) -> Option<f64> {
    m.get("steady_state_summary")?
        .get(run)?
        .get(metric)?
        .as_f64()
}

struct RunWaves {
    t: Vec<f64>,
    aortic: Vec<f64>,
    lv: Vec<f64>,
    balloon: Vec<f64>,
    opens: Vec<f64>,
    closes: Vec<f64>,
}

fn read_waves(dir: &Path, run: &str) -> Result<RunWaves> {
    let c = columns_of_run(
        &dir.join("waveforms.parquet"),
        run,
        &[
            "time_s",
            "aortic_root_pressure_mmhg",
            "lv_pressure_mmhg",
            "balloon_volume_ml",
        ],
    )?;
    let mut it = c.into_iter();
    let mut next = || it.next().unwrap_or_default();
    Ok(RunWaves {
        t: next(),
        aortic: next(),
        lv: next(),
        balloon: next(),
        opens: events_of_run(dir, run, "aortic_valve_open")?,
        closes: events_of_run(dir, run, "aortic_valve_close")?,
    })
}

fn slice(w: &RunWaves, a: f64, b: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let idx: Vec<usize> = (0..w.t.len())
        .filter(|&i| w.t[i] >= a && w.t[i] <= b)
        .collect();
    (
        idx.iter().map(|&i| w.t[i] - a).collect(),
        idx.iter().map(|&i| w.aortic[i]).collect(),
        idx.iter().map(|&i| w.lv[i]).collect(),
        idx.iter().map(|&i| w.balloon[i]).collect(),
    )
}

/// Whether the run had the balloon on (its scenario's `iabp.enabled`).
pub(crate) fn balloon_on(m: &Json) -> bool {
    scenario_value(m, "iabp.enabled").and_then(Json::as_bool) == Some(true)
}

/// "cardiogenic-shock, 40 mL balloon 1:2", or "healthy, no balloon".
pub(crate) fn describe_run(m: &Json) -> String {
    let preset = m.get("preset").and_then(Json::as_str).unwrap_or("scenario");
    if !balloon_on(m) {
        return format!("{preset}, no balloon");
    }
    let vol = scenario_value(m, "iabp.volume_ml").and_then(Json::as_f64);
    let ratio = scenario_value(m, "iabp.ratio").and_then(Json::as_str);
    match (vol, ratio) {
        (Some(v), Some(r)) => format!("{preset}, {v:.0} mL balloon {r}"),
        (Some(v), None) => format!("{preset}, {v:.0} mL balloon"),
        _ => format!("{preset}, balloon"),
    }
}

/// [`describe_run`] for a figure that draws only the runs `drawn` of the folder: when the
/// balloon run is not among them, "cardiogenic-shock, balloon off" (never titled with a
/// balloon it does not show).
pub(crate) fn describe_drawn_runs(m: &Json, drawn: &[&str]) -> String {
    if balloon_on(m) && !drawn.contains(&"assisted") {
        let preset = m.get("preset").and_then(Json::as_str).unwrap_or("scenario");
        return format!("{preset}, balloon off");
    }
    describe_run(m)
}

/// `plot waveform RUN_DIR`.
pub fn waveform(dir: &Path, fig: &FigureArgs) -> Result<()> {
    let m = manifest(dir)?;
    let w = read_waves(dir, "assisted")?;
    let ((a, b), marks) = annotate_one_to_two(&w.t, &w.aortic, &w.balloon, &w.opens, &w.closes)
        .map_err(|e| usage(format!("{}: {e}", dir.display())))?;
    let (t, aortic, lv, balloon) = slice(&w, a, b);
    let marks = marks
        .into_iter()
        .map(|mk| Mark {
            time_s: mk.time_s - a,
            ..mk
        })
        .collect();
    let figure = WaveformFigure {
        title: format!("IABP 1:2 ({})", describe_run(&m).replace(" 1:2", "")),
        time_s: t,
        aortic_mmhg: aortic,
        lv_mmhg: lv,
        balloon_ml: balloon,
        marks,
    };
    fig.write("waveform", &figure, dir, "waveform")
}

/// `plot pv-loop RUN_DIR`: the last baseline beat and the last assist period's beats.
pub fn pv_loop(dir: &Path, fig: &FigureArgs) -> Result<()> {
    let m = manifest(dir)?;
    let file = dir.join("waveforms.parquet");
    let mut loops = Vec::new();
    for run in ["baseline", "assisted"] {
        let c = match columns_of_run(&file, run, &["beat", "lv_volume_ml", "lv_pressure_mmhg"]) {
            Ok(c) => c,
            Err(e) if run == "assisted" && loops.len() == 1 => {
                errln!("note: {e}; drawing the baseline loop only");
                break;
            }
            Err(e) => return Err(e),
        };
        let last = c[0].iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let period = if run == "assisted" {
            m.pointer("/runs/assisted/assist_period_beats")
                .and_then(Json::as_u64)
                .unwrap_or(1)
                .max(1)
        } else {
            1
        };
        // A complete beat: the last one may be cut short by the end of the recording.
        let beats: Vec<f64> = (1..=period).map(|k| last - k as f64).rev().collect();
        for (j, beat) in beats.iter().enumerate() {
            let idx: Vec<usize> = (0..c[0].len()).filter(|&i| c[0][i] == *beat).collect();
            if idx.is_empty() {
                continue;
            }
            let label = match (run, period) {
                ("baseline", _) => "Balloon off".to_string(),
                (_, 1) => "Balloon 1:1".to_string(),
                (_, p) => match after_assisted_diastole(dir, *beat) {
                    Some(true) => format!("Balloon 1:{p}, beat after an assisted diastole"),
                    Some(false) => format!("Balloon 1:{p}, beat after an unassisted diastole"),
                    None => format!("Balloon 1:{p}, beat {} of {p}", j + 1),
                },
            };
            loops.push(PvLoop {
                label,
                volume_ml: idx.iter().map(|&i| c[1][i]).collect(),
                pressure_mmhg: idx.iter().map(|&i| c[2][i]).collect(),
            });
        }
    }
    let figure = PvLoopFigure {
        title: format!("LV pressure–volume loops ({})", describe_run(&m)),
        loops,
    };
    fig.write("pv-loop", &figure, dir, "pv-loop")
}

/// Whether the diastole before this beat's systole was assisted: the beats.parquet `assisted`
/// flag of the previous beat (the flag says the balloon inflated in that beat's diastole).
fn after_assisted_diastole(dir: &Path, beat: f64) -> Option<bool> {
    let c = columns_of_run(
        &dir.join("beats.parquet"),
        "assisted",
        &["beat", "assisted"],
    )
    .ok()?;
    let i = c[0].iter().position(|b| *b == beat - 1.0)?;
    Some(c[1][i] > 0.5)
}

/// Ok rows of a sweep with the requested columns (null as NaN), after `--where` filters.
pub(crate) struct SweepRows {
    /// Numeric column name to values, one per kept row.
    pub(crate) cols: BTreeMap<String, Vec<f64>>,
    /// Text column name (e.g. `iabp_timing`) to values, one per kept row.
    pub(crate) text: BTreeMap<String, Vec<String>>,
    /// Swept columns neither requested nor filtered (a figure averages over them).
    pub(crate) averaged: Vec<String>,
}

/// `--where COLUMN=VALUE`: a number for numeric columns (`true`/`false` for switches), the
/// text itself for text columns (`iabp_timing=auto`, `iabp_ratio=1:2`).
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    pub(crate) column: String,
    pub(crate) text: String,
    pub(crate) number: Option<f64>,
}

impl Filter {
    /// A filter from a column and the value as written.
    pub(crate) fn new(column: &str, value: &str) -> Self {
        let text = value.trim().to_string();
        let number = match text.as_str() {
            "true" => Some(1.0),
            "false" => Some(0.0),
            t => t.parse().ok(),
        };
        Self {
            column: column.trim().replace('.', "_"),
            text,
            number,
        }
    }

    fn keeps(&self, values: &ColumnValues, i: usize) -> Result<bool> {
        match values {
            ColumnValues::Text(t) => Ok(t[i].as_deref() == Some(self.text.as_str())),
            ColumnValues::Numbers(x) => {
                let v = self.number.ok_or_else(|| {
                    usage(format!(
                        "--where {}={}: `{}` is not a number (column `{}` holds numbers)",
                        self.column, self.text, self.text, self.column
                    ))
                })?;
                Ok(x[i].is_some_and(|x| (x - v).abs() <= 1e-9 * v.abs().max(1.0)))
            }
        }
    }
}

fn parse_where(w: &[String]) -> Result<Vec<Filter>> {
    w.iter()
        .map(|s| {
            let (k, v) = s
                .split_once('=')
                .ok_or_else(|| usage(format!("--where {s}: expected COLUMN=VALUE")))?;
            Ok(Filter::new(k, v))
        })
        .collect()
}

pub(crate) fn sweep_rows(dir: &Path, wanted: &[&str], filters: &[Filter]) -> Result<SweepRows> {
    let file = dir.join("points.parquet");
    if !file.exists() {
        return Err(usage(format!(
            "{}: no such file (a sweep output folder holds points.parquet; run `counterpulse merge {}` after sharded runs)",
            file.display(),
            dir.display()
        )));
    }
    let mut names: Vec<&str> = wanted.to_vec();
    names.extend(filters.iter().map(|f| f.column.as_str()));
    let all = counterpulse_io::column_names(&file)?;
    for n in &names {
        if !all.iter().any(|c| c == n) {
            let axes: Vec<&String> = all
                .iter()
                .filter(|c| {
                    !c.starts_with("baseline_")
                        && !c.starts_with("assisted_")
                        && !c.starts_with("delta_")
                })
                .collect();
            return Err(usage(format!(
                "{}: no column `{n}` (swept columns: {}; metrics are baseline_*, assisted_*, delta_*)",
                file.display(),
                axes.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let status = read_str_column(&file, "status")?;
    let cols = read_columns(&file, &names)?;
    let column = |n: &str| cols.iter().find(|(c, _)| c == n).map(|(_, v)| v);
    let mut keep = Vec::new();
    for i in (0..status.len()).filter(|&i| status[i] == "ok") {
        let mut ok = true;
        for f in filters {
            if let Some(values) = column(&f.column) {
                ok &= f.keeps(values, i)?;
            }
        }
        if ok {
            keep.push(i);
        }
    }
    if keep.is_empty() {
        let wanted: Vec<String> = filters
            .iter()
            .map(|f| format!("{}={}", f.column, f.text))
            .collect();
        return Err(usage(format!(
            "{}: no ok points{}",
            file.display(),
            if filters.is_empty() {
                String::new()
            } else {
                format!(" with {}", wanted.join(", "))
            }
        )));
    }
    let (mut out, mut text) = (BTreeMap::new(), BTreeMap::new());
    for (n, c) in &cols {
        match c {
            ColumnValues::Numbers(x) => {
                out.insert(
                    n.clone(),
                    keep.iter().map(|&i| x[i].unwrap_or(f64::NAN)).collect(),
                );
            }
            ColumnValues::Text(t) => {
                text.insert(
                    n.clone(),
                    keep.iter()
                        .map(|&i| t[i].clone().unwrap_or_default())
                        .collect(),
                );
            }
        }
    }
    // Swept columns that are neither drawn nor filtered: the figure averages over them.
    let m = manifest(dir).ok();
    let averaged = m
        .as_ref()
        .and_then(|m| m.get("axes"))
        .and_then(Json::as_array)
        .map(|axes| {
            axes.iter()
                .filter_map(|a| a.get("column").and_then(Json::as_str))
                .filter(|c| !names.contains(c))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(SweepRows {
        cols: out,
        text,
        averaged,
    })
}

/// The values of column `name` of `rows` as categories: for a numeric column its distinct
/// values (ascending) and each row's index; for a text column its distinct texts in order of
/// first appearance.
struct Categories {
    /// Numeric values (ascending), or 0, 1, ... for text.
    values: Vec<f64>,
    /// The texts of a text column (empty for numbers).
    names: Vec<String>,
    /// Category of each row (None: not finite).
    of_row: Vec<Option<usize>>,
}

impl Categories {
    fn of(rows: &SweepRows, name: &str) -> Self {
        if let Some(t) = rows.text.get(name) {
            let mut names: Vec<String> = Vec::new();
            for v in t {
                if !names.contains(v) {
                    names.push(v.clone());
                }
            }
            let of_row = t
                .iter()
                .map(|v| names.iter().position(|n| n == v))
                .collect();
            return Self {
                values: (0..names.len()).map(|i| i as f64).collect(),
                names,
                of_row,
            };
        }
        let x = rows.cols.get(name).map(Vec::as_slice).unwrap_or_default();
        let values = distinct(x);
        let of_row = x.iter().map(|v| index_of(&values, *v)).collect();
        Self {
            values,
            names: Vec::new(),
            of_row,
        }
    }

    fn len(&self) -> usize {
        self.values.len()
    }

    /// How category `k` is printed in a legend: the text, or the number with its unit.
    fn label(&self, k: usize, column: &str) -> String {
        match self.names.get(k) {
            Some(n) => n.clone(),
            None => format!("{} {}", tick(self.values[k]), unit_of_column(column))
                .trim()
                .to_string(),
        }
    }
}

fn distinct(v: &[f64]) -> Vec<f64> {
    let mut d: Vec<f64> = v.iter().cloned().filter(|x| x.is_finite()).collect();
    d.sort_by(f64::total_cmp);
    d.dedup_by(|a, b| (*a - *b).abs() <= 1e-9 * b.abs().max(1.0));
    d
}

fn index_of(values: &[f64], x: f64) -> Option<usize> {
    values
        .iter()
        .position(|v| (v - x).abs() <= 1e-9 * v.abs().max(1.0))
}

fn note(rows: &SweepRows, filters: &[Filter]) -> String {
    let mut parts = Vec::new();
    if !filters.is_empty() {
        parts.push(
            filters
                .iter()
                .map(|f| match f.number {
                    Some(v) if !rows.text.contains_key(&f.column) => value_label(&f.column, v),
                    _ => format!("{} = {}", bare(&axis_label(&f.column)), f.text),
                })
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if !rows.averaged.is_empty() {
        parts.push(format!(
            "mean over {}",
            rows.averaged
                .iter()
                .map(|c| axis_label(c))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    parts.join("; ")
}

/// "Heart rate = 100 bpm".
fn value_label(column: &str, v: f64) -> String {
    let unit = unit_of_column(column);
    let label = axis_label(column);
    let name = label
        .strip_suffix(&format!(" ({unit})"))
        .unwrap_or(&label)
        .to_string();
    let v = if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    };
    format!(
        "{name} = {v}{}{unit}",
        if unit == "%" || unit.is_empty() {
            ""
        } else {
            " "
        }
    )
}

fn sweep_title(dir: &Path) -> String {
    manifest(dir)
        .ok()
        .and_then(|m| m.get("sweep").and_then(Json::as_str).map(str::to_string))
        .map(|s| format!("Sweep {s}"))
        .unwrap_or_else(|| "Sweep".into())
}

/// The values of a numeric column of `rows` (a text column cannot be drawn on a value axis).
fn numeric<'a>(rows: &'a SweepRows, column: &str) -> Result<&'a Vec<f64>> {
    rows.cols.get(column).ok_or_else(|| {
        usage(format!(
            "`{column}` holds text; it can be a heatmap axis, `--by` or `--where`, not a value axis"
        ))
    })
}

/// `plot heatmap SWEEP_DIR --x --y --z`.
pub fn heatmap(
    dir: &Path,
    x: &str,
    y: &str,
    z: &str,
    wheres: &[String],
    fig: &FigureArgs,
) -> Result<()> {
    let filters = parse_where(wheres)?;
    let rows = sweep_rows(dir, &[x, y, z], &filters)?;
    let zv = numeric(&rows, z)?;
    let (xc, yc) = (Categories::of(&rows, x), Categories::of(&rows, y));
    if xc.len() > 60 || yc.len() > 60 {
        return Err(usage(format!(
            "heatmap: {} x and {} y values; a heatmap needs a grid (use `plot lines`, or a grid sweep)",
            xc.len(),
            yc.len()
        )));
    }
    let mut sum = vec![vec![(0.0, 0usize); xc.len()]; yc.len()];
    for ((z, cx), cy) in zv.iter().zip(&xc.of_row).zip(&yc.of_row) {
        if let (Some(ix), Some(iy)) = (cx, cy)
            && z.is_finite()
        {
            sum[*iy][*ix].0 += z;
            sum[*iy][*ix].1 += 1;
        }
    }
    let grid = sum
        .iter()
        .map(|r| {
            r.iter()
                .map(|(s, n)| (*n > 0).then(|| s / *n as f64))
                .collect()
        })
        .collect();
    let figure = HeatmapFigure {
        title: format!("{}: {}", sweep_title(dir), axis_label(z)),
        x_column: x.into(),
        y_column: y.into(),
        z_column: z.into(),
        xs: xc.values,
        ys: yc.values,
        x_names: xc.names,
        y_names: yc.names,
        z: grid,
        note: note(&rows, &filters),
    };
    let name = format!("heatmap-{z}-{x}-{y}{}", files::where_suffix(wheres));
    fig.write("heatmap", &figure, dir, &name)
}

/// How a band summarises the rows that share an x (and `--by`) value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spread {
    /// Mean, band ± 1 SD (sample SD, n − 1).
    Sd,
    /// Median, band between two quantiles (linear interpolation between order statistics).
    Quantiles(f64, f64),
}

impl Spread {
    fn parse(band: &str, quantiles: &str) -> Result<Spread> {
        match band {
            "sd" => Ok(Spread::Sd),
            "quantiles" => {
                let q = parse_lim("quantiles", &Some(quantiles.to_string()))?
                    .filter(|(a, b)| (0.0..=1.0).contains(a) && (0.0..=1.0).contains(b))
                    .ok_or_else(|| {
                        usage(format!(
                            "--quantiles {quantiles}: two numbers between 0 and 1, low < high"
                        ))
                    })?;
                Ok(Spread::Quantiles(q.0, q.1))
            }
            other => Err(usage(format!("--band {other:?}: expected sd or quantiles"))),
        }
    }

    /// Centre, lower and upper edge of `v` (finite values).
    fn of(self, v: &[f64]) -> (f64, f64, f64) {
        let n = v.len() as f64;
        match self {
            Spread::Sd => {
                let m = v.iter().sum::<f64>() / n;
                let sd = if v.len() > 1 {
                    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
                } else {
                    0.0
                };
                (m, m - sd, m + sd)
            }
            Spread::Quantiles(lo, hi) => {
                let mut s = v.to_vec();
                s.sort_by(f64::total_cmp);
                (quantile(&s, 0.5), quantile(&s, lo), quantile(&s, hi))
            }
        }
    }

    fn describe(self) -> String {
        match self {
            Spread::Sd => "mean ± SD".into(),
            Spread::Quantiles(a, b) if (a - 0.25).abs() < 1e-12 && (b - 0.75).abs() < 1e-12 => {
                "median and interquartile range".into()
            }
            Spread::Quantiles(a, b) => format!(
                "median, {}th to {}th percentile",
                tick(a * 100.0),
                tick(b * 100.0)
            ),
        }
    }
}

/// Quantile `q` of sorted `s` (type 7: linear between order statistics).
fn quantile(s: &[f64], q: f64) -> f64 {
    let h = (s.len() - 1) as f64 * q;
    let (i, f) = (h.floor() as usize, h - h.floor());
    if i + 1 < s.len() {
        s[i] + f * (s[i + 1] - s[i])
    } else {
        s[i]
    }
}

/// Values of `yv` at the rows where `xv` is `x` and (if given) the `--by` category is `b`.
fn at(xv: &[f64], x: f64, by: Option<(&[Option<usize>], usize)>, yv: &[f64]) -> Vec<f64> {
    let near = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    (0..xv.len())
        .filter(|&i| {
            near(xv[i], x) && by.is_none_or(|(bv, b)| bv[i] == Some(b)) && yv[i].is_finite()
        })
        .map(|i| yv[i])
        .collect()
}

/// `plot lines` (spread None: the mean of each x) and `plot bands` (a band across the rows of
/// each x): one line per y column and `--by` value; one panel per unit of the y columns.
pub fn lines(
    dir: &Path,
    sel: &LineSelection,
    spread: Option<Spread>,
    fig: &FigureArgs,
) -> Result<()> {
    let kind = if spread.is_some() { "bands" } else { "lines" };
    let (x, ys, by) = (sel.x.as_str(), &sel.y, sel.by.as_deref());
    if ys.is_empty() {
        return Err(usage(format!("{kind}: give at least one --y column")));
    }
    let filters = parse_where(&sel.wheres)?;
    let mut wanted: Vec<&str> = vec![x];
    wanted.extend(ys.iter().map(String::as_str));
    wanted.extend(by);
    let rows = sweep_rows(dir, &wanted, &filters)?;
    let xv = numeric(&rows, x)?;
    // A column with no value at any kept row cannot make a line: name it and its axis.
    let finite = |v: &[f64]| v.iter().filter(|a| a.is_finite()).count();
    if finite(xv) == 0 {
        return Err(usage(format!(
            "{kind}: x column `{x}` ({}) has no finite value at the {} kept point(s)",
            lower_first(bare(&axis_label(x))),
            xv.len()
        )));
    }
    for y in ys {
        let yv = numeric(&rows, y)?;
        if !yv
            .iter()
            .zip(xv)
            .any(|(a, b)| a.is_finite() && b.is_finite())
        {
            return Err(usage(format!(
                "{kind}: y column `{y}` ({}) has no finite value at the {} kept point(s) (null at every one: {})",
                lower_first(bare(&axis_label(y))),
                yv.len(),
                if y.starts_with("baseline_") {
                    "a quantity of the balloon run only? try the assisted_ column"
                } else {
                    "pick another column or --where"
                }
            )));
        }
    }
    // One line per value of `--by`, numbers or text (`--by iabp_timing`).
    let bc = by.map(|b| Categories::of(&rows, b));
    let bv = bc.as_ref().map(|c| c.of_row.as_slice());
    let bys: Vec<Option<usize>> = match &bc {
        Some(c) => (0..c.len()).map(Some).collect(),
        None => vec![None],
    };
    if bys.len() * ys.len() > 7 {
        return Err(usage(format!(
            "{kind}: {} lines ({} --y column(s) x {} value(s) of --by); at most 7 stay readable (filter with --where or pick another --by)",
            bys.len() * ys.len(),
            ys.len(),
            bys.len()
        )));
    }
    // Panels: the y columns grouped by unit, in the order given.
    let mut units: Vec<&str> = Vec::new();
    for y in ys {
        let u = unit_of_column(y);
        if !units.contains(&u) {
            units.push(u);
        }
    }
    if units.len() > 1 && sel.y_label.is_some() {
        return Err(usage(format!(
            "{kind}: --y-label names one axis, but the y columns have {} units ({}), drawn in a panel each",
            units.len(),
            units.join(", ")
        )));
    }
    let xs = distinct(xv);
    // Several y columns: legend names without their unit and without a shared run prefix.
    let shared_prefix = ["baseline_", "assisted_", "delta_"]
        .into_iter()
        .find(|p| ys.iter().all(|y| y.starts_with(p)));
    let y_name = |y: &str| {
        bare(&axis_label(
            shared_prefix.and_then(|p| y.strip_prefix(p)).unwrap_or(y),
        ))
        .to_string()
    };
    let mut panels = Vec::new();
    let mut k = 0;
    let mut counts: Vec<usize> = Vec::new();
    for u in &units {
        let cols: Vec<&String> = ys.iter().filter(|y| unit_of_column(y) == *u).collect();
        let mut series = Vec::new();
        for y in &cols {
            let yv = numeric(&rows, y)?;
            for b in &bys {
                let mut s = Series {
                    markers: true,
                    colour: k % 7,
                    ..Default::default()
                };
                let (mut lo, mut hi) = (Vec::new(), Vec::new());
                for xx in &xs {
                    let vals = at(xv, *xx, bv.zip(*b), yv);
                    if vals.is_empty() {
                        continue;
                    }
                    counts.push(vals.len());
                    let (c, l, h) = spread.unwrap_or(Spread::Sd).of(&vals);
                    s.x.push(*xx);
                    s.y.push(c);
                    lo.push(l);
                    hi.push(h);
                }
                if spread.is_some() {
                    s.band = Some((lo, hi));
                }
                let by_text = match (b, by, &bc) {
                    (Some(k), Some(col), Some(c)) => c.label(*k, col),
                    _ => String::new(),
                };
                s.label = match (ys.len() > 1, by_text.is_empty()) {
                    (true, true) => y_name(y),
                    (true, false) => format!("{}, {by_text}", y_name(y)),
                    (false, _) => by_text,
                };
                series.push(s);
                k += 1;
            }
        }
        // One line alone in its panel: the axis names it.
        if series.len() == 1 && units.len() > 1 && by.is_none() {
            series[0].label.clear();
        }
        let y_label = match &sel.y_label {
            Some(l) => l.clone(),
            None if cols.len() == 1 => axis_label(cols[0]),
            None => shared_label(&cols.iter().map(|c| c.to_string()).collect::<Vec<_>>()),
        };
        panels.push(Panel {
            y_label,
            series,
            ..Default::default()
        });
    }
    if !sel.labels.is_empty() {
        let n: usize = panels.iter().map(|p| p.series.len()).sum();
        if sel.labels.len() != n {
            return Err(usage(format!(
                "{kind}: {} --label(s) for {n} lines; give one per line or none",
                sel.labels.len()
            )));
        }
        for (s, l) in panels
            .iter_mut()
            .flat_map(|p| p.series.iter_mut())
            .zip(&sel.labels)
        {
            s.label = l.clone();
        }
    }
    let mut notes = Vec::new();
    if let Some(sp) = spread {
        let (lo, hi) = (
            counts.iter().min().copied().unwrap_or(0),
            counts.iter().max().copied().unwrap_or(0),
        );
        let nrows = if lo == hi {
            format!("{lo}")
        } else {
            format!("{lo}–{hi}")
        };
        let over = if rows.averaged.is_empty() {
            "rows".to_string()
        } else {
            rows.averaged
                .iter()
                .map(|c| lower_first(bare(&axis_label(c))))
                .collect::<Vec<_>>()
                .join(", ")
        };
        notes.push(format!("{} over {nrows} values of {over}", sp.describe()));
        let fixed: Vec<String> = filters
            .iter()
            .map(|f| match f.number {
                Some(v) if !rows.text.contains_key(&f.column) => value_label(&f.column, v),
                _ => format!("{} = {}", bare(&axis_label(&f.column)), f.text),
            })
            .collect();
        if !fixed.is_empty() {
            notes.push(fixed.join(", "));
        }
    } else {
        let n = note(&rows, &filters);
        if !n.is_empty() {
            notes.push(n);
        }
    }
    if let Some(b) = by {
        notes.push(format!("lines: {}", lower_first(bare(&axis_label(b)))));
    }
    let title_y = panels
        .iter()
        .map(|p| bare(&p.y_label).to_string())
        .collect::<Vec<_>>()
        .join(" and ");
    let published = published_marks(sel)?;
    let figure = PanelsFigure {
        title: format!("{}: {title_y}", sweep_title(dir)),
        note: notes.join("; "),
        x_label: axis_label(x),
        panels,
        // Published values name their sources in full: under the plot, not over the data.
        legend_below: !published.is_empty(),
        published,
        ..Default::default()
    };
    let name = match by {
        Some(b) => format!("{kind}-{}-{x}-by-{b}", ys.join("-")),
        None => format!("{kind}-{}-{x}", ys.join("-")),
    } + &files::where_suffix(&sel.wheres);
    fig.write(kind, &figure, dir, &name)
}

/// Axis label shared by several columns: their common trailing words and unit
/// ("LAD flow (mL/min)" for LAD flow and hyperaemic LAD flow), else "Value (unit)".
pub(crate) fn shared_label(ys: &[String]) -> String {
    let names: Vec<Vec<String>> = ys
        .iter()
        .map(|y| {
            bare(&axis_label(y))
                .split(' ')
                .map(str::to_string)
                .collect()
        })
        .collect();
    let mut common: Vec<String> = Vec::new();
    'outer: for k in 1.. {
        let mut word = None;
        for n in &names {
            if n.len() < k {
                break 'outer;
            }
            let w = &n[n.len() - k];
            match &word {
                None => word = Some(w.clone()),
                Some(x) if x.eq_ignore_ascii_case(w) => {}
                Some(_) => break 'outer,
            }
        }
        common.insert(0, word.unwrap_or_default());
    }
    let mut text = if common.is_empty() {
        "Value".to_string()
    } else {
        let t = common.join(" ");
        let mut c = t.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or(t)
    };
    let units: Vec<&str> = ys.iter().map(|y| unit_of_column(y)).collect();
    if !units[0].is_empty() && units.iter().all(|u| *u == units[0]) {
        text.push_str(&format!(" ({})", units[0]));
    }
    text
}

/// The runs of the timing-errors experiment, in panel order.
pub const TIMING_RUNS: [(&str, &str); 5] = [
    ("correct", "Correct timing"),
    ("early-inflation", "Early inflation"),
    ("late-inflation", "Late inflation"),
    ("early-deflation", "Early deflation"),
    ("late-deflation", "Late deflation"),
];

/// `plot timing-errors [DIR]`: DIR holds one run folder per timing (see [`TIMING_RUNS`]).
pub fn timing_errors(dir: &Path, fig: &FigureArgs) -> Result<()> {
    let mut panels = Vec::new();
    for (name, title) in TIMING_RUNS {
        let run = dir.join(name);
        if !run.join("waveforms.parquet").exists() {
            return Err(usage(format!(
                "{}: no run `{name}` (expected run folders {}; `counterpulse reproduce timing-errors` writes them)",
                dir.display(),
                TIMING_RUNS.map(|r| r.0).join(", ")
            )));
        }
        let m = manifest(&run)?;
        let w = read_waves(&run, "assisted")?;
        let ((_, _), marks) = annotate_one_to_two(&w.t, &w.aortic, &w.balloon, &w.opens, &w.closes)
            .map_err(|e| usage(format!("{}: {e}", run.display())))?;
        // Two beats: from before the unassisted systole to after the assisted one.
        let o0 = marks[1].time_s;
        let rr = 60.0
            / scenario_value(&m, "heart.rate_bpm")
                .and_then(Json::as_f64)
                .unwrap_or(100.0);
        let a = o0 - 0.25 * rr;
        let (t, aortic, lv, balloon) = slice(&w, a, a + 2.0 * rr);
        let off = |k: &str| scenario_value(&m, k).and_then(Json::as_f64).unwrap_or(0.0);
        let (inf, def) = (off("iabp.inflate_offset_ms"), off("iabp.deflate_offset_ms"));
        let setting = match (inf != 0.0, def != 0.0) {
            (true, false) => format!(" (inflation {:+.0} ms)", inf),
            (false, true) => format!(" (deflation {:+.0} ms)", def),
            (true, true) => format!(" ({:+.0} / {:+.0} ms)", inf, def),
            _ => String::new(),
        }
        .replace('-', "−");
        let gain = summary_metric(&m, "assisted", "cardiac_output_l_min")
            .zip(summary_metric(&m, "baseline", "cardiac_output_l_min"))
            .map(|(a, b)| a - b);
        panels.push(TimingPanel {
            title: format!("{title}{setting}"),
            time_s: t,
            aortic_mmhg: aortic,
            lv_mmhg: lv,
            balloon_ml: balloon,
            unassisted_edp_mmhg: marks[0].pressure_mmhg,
            note: gain
                .map(|g| format!("ΔCO {g:+.2} L/min").replace('-', "−"))
                .unwrap_or_default(),
        });
    }
    let m0 = manifest(&dir.join("correct"))?;
    let figure = TimingErrorsFigure {
        title: format!(
            "IABP timing errors at 1:2 ({})",
            describe_run(&m0).replace(" 1:2", "")
        ),
        panels,
    };
    fig.write("timing-errors", &figure, dir, "timing-errors")
}

/// `plot weaning [RUN_DIR]`: a run whose protocol changes the assist ratio.
pub fn weaning(dir: &Path, fig: &FigureArgs) -> Result<()> {
    let m = manifest(dir)?;
    let c = columns_of_run(
        &dir.join("beats.parquet"),
        "assisted",
        &[
            "start_time_s",
            "cardiac_output_l_min",
            "mean_arterial_pressure_mmhg",
        ],
    )?;
    let start = m
        .pointer("/runs/assisted/start_time_s")
        .and_then(Json::as_f64)
        .unwrap_or_else(|| c[0].first().copied().unwrap_or(0.0));
    let steps: Vec<WeaningStep> = m
        .get("protocol")
        .and_then(Json::as_array)
        .map(|steps| {
            steps
                .iter()
                .filter_map(|s| {
                    let at = s.get("at_s")?.as_f64()?;
                    let v = s.get("values")?;
                    let label = if v.get("iabp.standby").and_then(Json::as_bool) == Some(true) {
                        "standby".to_string()
                    } else if let Some(r) = v.get("iabp.ratio").and_then(Json::as_str) {
                        r.to_string()
                    } else {
                        v.as_object()?
                            .iter()
                            .map(|(k, x)| format!("{k} = {x}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    Some(WeaningStep { at_s: at, label })
                })
                .collect()
        })
        .unwrap_or_default();
    if steps.is_empty() {
        return Err(usage(format!(
            "{}: the run has no protocol steps (a weaning run changes `iabp.ratio` with [[protocol]] steps; see experiments/weaning/)",
            dir.display()
        )));
    }
    let initial = scenario_value(&m, "iabp.ratio")
        .and_then(Json::as_str)
        .unwrap_or("assisted")
        .to_string();
    let figure = WeaningFigure {
        title: format!(
            "Weaning ({})",
            describe_run(&m).replace(&format!(" {initial}"), "")
        ),
        time_s: c[0].iter().map(|t| t - start).collect(),
        cardiac_output_l_min: c[1].clone(),
        mean_arterial_pressure_mmhg: c[2].clone(),
        initial_label: initial,
        steps,
        baseline_cardiac_output_l_min: summary_metric(&m, "baseline", "cardiac_output_l_min"),
        baseline_mean_arterial_pressure_mmhg: summary_metric(
            &m,
            "baseline",
            "mean_arterial_pressure_mmhg",
        ),
        window_beats: 4,
    };
    fig.write("weaning", &figure, dir, "weaning")
}
