//! Font, sizes and colours shared by every figure.

use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::PlotError;

/// DejaVu Sans 2.37 (Bitstream Vera licence + public-domain DejaVu changes; see
/// `assets/LICENSE-DejaVu.txt`), embedded so that figures never depend on system fonts.
static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Family name under which the embedded font is registered.
pub(crate) const FAMILY: &str = "sans-serif";

/// Registers the embedded font with plotters (once per process).
pub fn register_font() -> Result<(), PlotError> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .map_err(|_| "the embedded DejaVu Sans could not be loaded".to_string())
    })
    .clone()
    .map_err(PlotError::Draw)
}

/// Okabe–Ito colour-blind-safe palette (Wong B, Nat Methods 2011;8:441), without yellow
/// (too light on white): black, orange, sky blue, bluish green, blue, vermillion,
/// reddish purple.
pub const OKABE_ITO: [RGBColor; 7] = [
    RGBColor(0, 0, 0),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 158, 115),
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
];

pub(crate) const INK: RGBColor = OKABE_ITO[0];
pub(crate) const C_ORANGE: RGBColor = OKABE_ITO[1];
pub(crate) const C_SKY: RGBColor = OKABE_ITO[2];
pub(crate) const C_GREEN: RGBColor = OKABE_ITO[3];
pub(crate) const C_BLUE: RGBColor = OKABE_ITO[4];
pub(crate) const C_VERMILLION: RGBColor = OKABE_ITO[5];
pub(crate) const C_GREY: RGBColor = RGBColor(120, 120, 120);
pub(crate) const C_LIGHT_GREY: RGBColor = RGBColor(200, 200, 200);

/// Pixels per point at 300 dpi.
const PX_PER_PT: f64 = 300.0 / 72.0;

/// Size in pixels of `pt` points.
pub(crate) fn pt(pt: f64) -> u32 {
    (pt * PX_PER_PT).round() as u32
}

/// Font of tick labels (7 pt), legends (7 pt), axis titles (8 pt), panel titles (8.5 pt).
pub(crate) fn tick_font() -> TextStyle<'static> {
    (FAMILY, pt(7.0) as f64).into_font().color(&INK)
}
pub(crate) fn axis_font() -> TextStyle<'static> {
    (FAMILY, pt(8.0) as f64).into_font().color(&INK)
}
pub(crate) fn title_font() -> TextStyle<'static> {
    (FAMILY, pt(8.5) as f64).into_font().color(&INK)
}
pub(crate) fn small_font() -> TextStyle<'static> {
    (FAMILY, pt(6.5) as f64).into_font().color(&INK)
}

/// Line of `width_pt` points.
pub(crate) fn line(c: RGBColor, width_pt: f64) -> ShapeStyle {
    ShapeStyle {
        color: c.to_rgba(),
        filled: false,
        stroke_width: pt(width_pt).max(1),
    }
}

/// Filled shape.
pub(crate) fn fill(c: RGBColor) -> ShapeStyle {
    ShapeStyle {
        color: c.to_rgba(),
        filled: true,
        stroke_width: 0,
    }
}

/// A "nice" axis range around `lo..hi` with a margin of `pad` (fraction of the span).
pub(crate) fn padded(lo: f64, hi: f64, pad: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let span = (hi - lo).abs().max(1e-9 * lo.abs().max(1.0)).max(1e-12);
    (lo - pad * span, hi + pad * span)
}

/// Smallest and largest finite value.
pub(crate) fn extent<'a>(values: impl IntoIterator<Item = &'a f64>) -> (f64, f64) {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        })
}

/// Formats a tick value with no more decimals than needed.
pub fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    let s = if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    s.replace('-', "−")
}
