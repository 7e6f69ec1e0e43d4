//! # counterpulse-plots
//!
//! Figures for papers, drawn with plotters from data the caller read from counterpulse's Parquet
//! files (this crate never runs the model and does not depend on polars):
//!
//! * [`WaveformFigure`]: aortic and LV pressure with balloon volume over a few beats at 1:2,
//!   annotated (unassisted systole, dicrotic notch, augmented diastole, assisted end-diastolic
//!   dip, assisted systole); the points are found by [`annotate_one_to_two`].
//! * [`PvLoopFigure`]: LV pressure–volume loops, baseline and assisted.
//! * [`HeatmapFigure`]: a metric of a sweep over two parameters.
//! * [`PanelsFigure`]: stacked panels sharing the x axis, one per unit: sweep lines (with
//!   markers), bands (mean ± SD or quantiles across seeds or cohort members) and time traces
//!   (signals of one or more runs aligned on an event, with event markers such as R waves).
//! * [`BarsFigure`]: horizontal bars (values or low–high intervals, with interval whiskers,
//!   overlaid halves for a tornado) with reference markers, e.g. model against published
//!   changes, or Sobol' indices with their bootstrap intervals.
//! * [`StackedFigure`]: figures stacked in one file, lettered (indices above a tornado).
//! * [`TimingErrorsFigure`]: the four classic timing errors beside correct timing.
//! * [`WeaningFigure`]: CO and MAP over time through a weaning protocol.
//!
//! Sizes are in points at the final print width ([`Style`]: text 7 pt by default and never below
//! 6 pt, lines at least 0.5 pt), for one journal column (3.5 in) or two (7.2 in). Every figure is
//! drawn once as SVG ([`render_svg`], sized in inches, canvas in tenths of a point); the PDF
//! ([`svg_to_pdf`]: vector, text kept as text with the font subset embedded) and the 300 dpi PNG
//! ([`svg_to_png`], resolution recorded) are made from that SVG, so the three agree. Text is
//! DejaVu Sans embedded in the binary (no system font lookup; licence in
//! `assets/LICENSE-DejaVu.txt`); colours are the colour-blind-safe Okabe–Ito palette (Okabe M &
//! Ito K, *Color Universal Design*, 2008; Wong B, Nat Methods 2011;8:441) or viridis.
#![deny(missing_docs)]

mod axis;
mod bars;
mod chart;
mod figures;
mod labels;
mod output;
mod panels;
mod stacked;
mod style;

use std::path::PathBuf;

use plotters::coord::Shift;
use plotters::prelude::*;
use thiserror::Error;

pub use axis::Axis;
pub use bars::{Bar, BarGroup, BarsFigure};
pub use chart::Dash;
pub use figures::{
    HeatmapFigure, Mark, PvLoop, PvLoopFigure, TimingErrorsFigure, TimingPanel, WaveformFigure,
    WeaningFigure, WeaningStep, annotate_one_to_two,
};
pub use labels::{axis_label, bare, lower_first, unit_of_column};
pub use output::{Format, PNG_DPI, render, render_svg, svg_to_pdf, svg_to_png, with_ext};
pub use panels::{
    EventRow, LegendEntry, Panel, PanelsFigure, Published, PublishedMark, Series,
    inflated_intervals,
};
pub use stacked::{Part, StackedFigure};
pub use style::{
    DEFAULT_FONT_PT, MIN_LINE_PT, MIN_TEXT_PT, OKABE_ITO, ONE_COLUMN_IN, Style, TWO_COLUMN_IN,
    UNITS_PER_PT, register_font, tick,
};

/// Why a figure could not be drawn or written.
#[derive(Debug, Error)]
pub enum PlotError {
    /// The data cannot make this figure (empty, mismatched lengths, no 1:2 pattern, ...).
    #[error("{0}")]
    Data(String),
    /// An option out of range or not applicable to this figure.
    #[error("{0}")]
    Options(String),
    /// plotters failed while drawing.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// Converting the SVG to PNG or PDF failed.
    #[error("converting the figure: {0}")]
    Convert(String),
    /// Writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

pub(crate) fn draw_err<E: std::fmt::Debug>(e: E) -> PlotError {
    PlotError::Draw(format!("{e:?}"))
}

/// What the user chose for a figure: size, text size, title, axes, panel letters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FigureOptions {
    /// Text sizes.
    pub style: Style,
    /// Width, inches (None: the figure's own, one or two columns).
    pub width_in: Option<f64>,
    /// Height, inches (None: from the width).
    pub height_in: Option<f64>,
    /// Title (None: the figure's own; `Some("")`: no title, e.g. when the caption says it).
    pub title: Option<String>,
    /// Limits of the x axis.
    pub xlim: Option<(f64, f64)>,
    /// Limits of the y axis (of every panel).
    pub ylim: Option<(f64, f64)>,
    /// Logarithmic x axis.
    pub logx: bool,
    /// Logarithmic y axis.
    pub logy: bool,
    /// Letter of the first panel (`A`, `a`, ...); None: no panel letters.
    pub first_letter: Option<char>,
}

/// What options a figure kind takes (the others are refused with a message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepts {
    /// `xlim` / `ylim`.
    pub limits: bool,
    /// `logx` / `logy`.
    pub log: bool,
}

impl Accepts {
    /// Neither limits nor log axes (heatmaps).
    pub const NONE: Accepts = Accepts {
        limits: false,
        log: false,
    };
    /// Axis limits, no log axes (time and pressure axes).
    pub const LIMITS: Accepts = Accepts {
        limits: true,
        log: false,
    };
    /// Limits and log axes.
    pub const ALL: Accepts = Accepts {
        limits: true,
        log: true,
    };
}

impl FigureOptions {
    /// Checks ranges (width 1.5–10 in, height 1–12 in, limits finite and increasing) and that
    /// the figure accepts the options given.
    pub fn validate(&self, kind: &str, accepts: Accepts) -> Result<(), PlotError> {
        let bad = |m: String| Err(PlotError::Options(m));
        if let Some(w) = self.width_in
            && !(1.5..=10.0).contains(&w)
        {
            return bad(format!(
                "width {w} in: allowed 1.5 to 10 in (one column {ONE_COLUMN_IN}, two columns {TWO_COLUMN_IN})"
            ));
        }
        if let Some(h) = self.height_in
            && !(1.0..=12.0).contains(&h)
        {
            return bad(format!("height {h} in: allowed 1 to 12 in"));
        }
        for (name, lim) in [("xlim", self.xlim), ("ylim", self.ylim)] {
            if let Some((a, b)) = lim {
                if !(a.is_finite() && b.is_finite() && a < b) {
                    return bad(format!(
                        "{name} {a},{b}: give two finite numbers, low < high"
                    ));
                }
                if !accepts.limits {
                    return bad(format!("{kind}: --{name} does not apply to this figure"));
                }
            }
        }
        if (self.logx || self.logy) && !accepts.log {
            return bad(format!("{kind}: log axes do not apply to this figure"));
        }
        if let Some(c) = self.first_letter
            && !c.is_ascii_alphabetic()
        {
            return bad(format!("panel letter {c:?}: give a letter, e.g. A or a"));
        }
        Ok(())
    }

    /// The title to draw: the user's, else the figure's.
    pub(crate) fn title<'a>(&'a self, own: &'a str) -> &'a str {
        self.title.as_deref().unwrap_or(own)
    }

    /// The letter of panel `i` (0 first), if letters are on.
    pub(crate) fn letter(&self, i: usize) -> Option<char> {
        let c = self.first_letter?;
        let base = if c.is_ascii_uppercase() { b'A' } else { b'a' };
        let k = (c as u8 - base) as usize + i;
        Some((base + (k % 26) as u8) as char)
    }
}

/// A figure that can be drawn on any plotters backend.
pub trait Figure {
    /// Width in inches when the user gives none (one column 3.5 in, two columns 7.2 in).
    fn default_width_in(&self) -> f64 {
        ONE_COLUMN_IN
    }
    /// Height in inches for a width.
    fn height_in(&self, width_in: f64, style: &Style) -> f64;
    /// Options this figure takes besides size, text size, title and panel letters.
    fn accepts(&self) -> Accepts {
        Accepts::NONE
    }
    /// Draws the figure on `root` (in drawing units, tenths of a point).
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &FigureOptions,
    ) -> Result<(), PlotError>;
}

/// Width and height, inches, of `fig` drawn with `opts`.
pub fn size_in(fig: &impl Figure, opts: &FigureOptions) -> (f64, f64) {
    let w = opts.width_in.unwrap_or_else(|| fig.default_width_in());
    // Heights to a hundredth of an inch: round numbers in the SVG and the PDF page.
    let h = opts
        .height_in
        .unwrap_or_else(|| (fig.height_in(w, &opts.style) * 100.0).round() / 100.0);
    (w, h)
}
