//! # counterpulse-plots
//!
//! Figures for papers, drawn with plotters from data the caller read from counterpulse's Parquet
//! files (this crate never runs the model and does not depend on polars):
//!
//! * [`WaveformFigure`]: aortic and LV pressure with balloon volume over a few beats at 1:2,
//!   annotated (unassisted systole, dicrotic notch, augmented diastole, assisted end-diastolic
//!   dip, assisted systole); the points are found by [`annotate_one_to_two`].
//! * [`PvLoopFigure`]: LV pressure–volume loops, baseline and assisted.
//! * [`HeatmapFigure`] and [`LinesFigure`]: a metric of a sweep over two parameters, or against
//!   one parameter with one line per value of another.
//! * [`TimingErrorsFigure`]: the four classic timing errors beside correct timing.
//! * [`WeaningFigure`]: CO and MAP over time through a weaning protocol.
//!
//! Every figure is written as SVG and as PNG at 300 dpi ([`render`]), sized for a journal column
//! (one column 3.5 in, two columns 7 in), with the text in DejaVu Sans embedded in the binary
//! (no system font lookup; licence in `assets/LICENSE-DejaVu.txt`), axis labels with units, and
//! the colour-blind-safe Okabe–Ito palette (Okabe M & Ito K, *Color Universal Design*, 2008;
//! Wong B, Nat Methods 2011;8:441) or viridis for colour scales.
#![deny(missing_docs)]

mod figures;
mod labels;
mod style;

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use thiserror::Error;

pub use figures::{
    HeatmapFigure, LineSeriesData, LinesFigure, Mark, PvLoop, PvLoopFigure, TimingErrorsFigure,
    TimingPanel, WaveformFigure, WeaningFigure, WeaningStep, annotate_one_to_two,
};
pub use labels::{axis_label, unit_of_column};
pub use style::{OKABE_ITO, register_font, tick};

/// Why a figure could not be drawn or written.
#[derive(Debug, Error)]
pub enum PlotError {
    /// The data cannot make this figure (empty, mismatched lengths, no 1:2 pattern, ...).
    #[error("{0}")]
    Data(String),
    /// plotters failed while drawing.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// Writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// PNG encoding failed.
    #[error("{path}: PNG encoding: {message}")]
    Png {
        /// The file.
        path: PathBuf,
        /// The cause.
        message: String,
    },
}

pub(crate) fn draw_err<E: std::fmt::Debug>(e: E) -> PlotError {
    PlotError::Draw(format!("{e:?}"))
}

/// Resolution of the PNG files, dots per inch.
pub const PNG_DPI: f64 = 300.0;

/// A figure that can be drawn on any plotters backend.
pub trait Figure {
    /// Width and height in inches (one journal column is 3.5 in, two columns 7 in).
    fn size_in(&self) -> (f64, f64);
    /// Draws the figure on `root` (sized `size_in() * PNG_DPI` pixels).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>;
}

fn pixels(fig: &impl Figure) -> (u32, u32) {
    let (w, h) = fig.size_in();
    ((w * PNG_DPI).round() as u32, (h * PNG_DPI).round() as u32)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    let io = |e| PlotError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d).map_err(io)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "figure".into());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Renders the figure as a PNG (300 dpi, with the resolution recorded in its `pHYs` chunk).
pub fn render_png(fig: &impl Figure) -> Result<(Vec<u8>, u32, u32), PlotError> {
    register_font()?;
    let (w, h) = pixels(fig);
    let mut buf = vec![255u8; (w as usize) * (h as usize) * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        fig.draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    let mut out = Vec::new();
    {
        let png_err = |e: png::EncodingError| PlotError::Png {
            path: PathBuf::from("(memory)"),
            message: e.to_string(),
        };
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let ppm = (PNG_DPI / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: ppm,
            yppu: ppm,
            unit: png::Unit::Meter,
        }));
        let mut writer = enc.write_header().map_err(png_err)?;
        writer.write_image_data(&buf).map_err(png_err)?;
        writer.finish().map_err(png_err)?;
    }
    Ok((out, w, h))
}

/// Renders the figure as SVG; its `width`/`height` are in inches, the `viewBox` in the PNG's
/// pixels, so it prints at the same size as the PNG.
pub fn render_svg(fig: &impl Figure) -> Result<String, PlotError> {
    register_font()?;
    let (w, h) = pixels(fig);
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        fig.draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    let (wi, hi) = fig.size_in();
    let from = format!("width=\"{w}\" height=\"{h}\"");
    let to = format!("width=\"{wi}in\" height=\"{hi}in\"");
    // Name the font the layout was made with, so that viewers that have it use it.
    Ok(s.replacen(&from, &to, 1).replace(
        "font-family=\"sans-serif\"",
        "font-family=\"DejaVu Sans, Bitstream Vera Sans, Verdana, sans-serif\"",
    ))
}

/// Writes `STEM.png` and `STEM.svg` (each atomically) and returns their paths.
pub fn render(fig: &impl Figure, stem: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let png_path = stem.with_extension("png");
    let svg_path = stem.with_extension("svg");
    let (png_bytes, _, _) = render_png(fig).map_err(|e| match e {
        PlotError::Png { message, .. } => PlotError::Png {
            path: png_path.clone(),
            message,
        },
        other => other,
    })?;
    write_atomic(&png_path, &png_bytes)?;
    let svg = render_svg(fig)?;
    write_atomic(&svg_path, svg.as_bytes())?;
    Ok(vec![png_path, svg_path])
}
