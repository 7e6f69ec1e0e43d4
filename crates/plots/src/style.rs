//! The figure style: every size in points at the final print width, fonts, colours, lines.
//!
//! The drawing canvas is in tenths of a point ([`UNITS_PER_PT`]); the SVG declares its width in
//! inches, so a `font-size` of 70 in the SVG is 7 pt on paper at the declared width. Sizes
//! follow the journals' artwork rules at final size (Nature: 5–7 pt text, lines 0.25–1 pt;
//! Cell Press: 6–8 pt; AHA journals: 6 pt minimum): no text below [`MIN_TEXT_PT`], 7 pt by
//! default, no line thinner than [`MIN_LINE_PT`].

use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::PlotError;

/// DejaVu Sans 2.37 (Bitstream Vera licence + public-domain DejaVu changes; see
/// `assets/LICENSE-DejaVu.txt`), embedded so that figures never depend on system fonts.
pub(crate) static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// DejaVu Sans Bold 2.37 (same licence), for panel letters.
pub(crate) static FONT_BOLD: &[u8] = include_bytes!("../assets/DejaVuSans-Bold.ttf");

/// Family name under which the embedded font is registered with plotters.
pub(crate) const FAMILY: &str = "sans-serif";

/// Drawing units per point: the canvas (and the SVG `viewBox`) is in tenths of a point.
pub const UNITS_PER_PT: f64 = 10.0;
/// Smallest text size allowed, points at final size.
pub const MIN_TEXT_PT: f64 = 6.0;
/// Largest base font size accepted, points.
pub const MAX_TEXT_PT: f64 = 12.0;
/// Default base text size (tick labels, legends, axis titles), points.
pub const DEFAULT_FONT_PT: f64 = 7.0;
/// Thinnest line drawn, points.
pub const MIN_LINE_PT: f64 = 0.5;
/// One journal column, inches.
pub const ONE_COLUMN_IN: f64 = 3.5;
/// Two journal columns (full page width), inches.
pub const TWO_COLUMN_IN: f64 = 7.2;

/// plotters' SVG backend writes `font-size = size / 1.24` and lays text out at that size, so a
/// font asked for at `pt * 1.24` prints at `pt`.
const PLOTTERS_FONT_FACTOR: f64 = 1.24;

/// Registers the embedded fonts with plotters (once per process).
pub fn register_font() -> Result<(), PlotError> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .and_then(|_| plotters::style::register_font(FAMILY, FontStyle::Bold, FONT_BOLD))
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
pub(crate) const C_GREY: RGBColor = RGBColor(110, 110, 110);
pub(crate) const C_LIGHT_GREY: RGBColor = RGBColor(200, 200, 200);

/// Sizes of one figure: base font size and everything derived from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Base text size, points (tick labels, legends, axis titles); other text is derived.
    pub font_pt: f64,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            font_pt: DEFAULT_FONT_PT,
        }
    }
}

impl Style {
    /// A style with base text `font_pt` points, refused below [`MIN_TEXT_PT`] or above
    /// [`MAX_TEXT_PT`].
    pub fn new(font_pt: f64) -> Result<Style, PlotError> {
        if !(MIN_TEXT_PT..=MAX_TEXT_PT).contains(&font_pt) {
            return Err(PlotError::Options(format!(
                "font size {font_pt} pt: allowed {MIN_TEXT_PT} to {MAX_TEXT_PT} pt (journals ask for at least 6 pt at final size)"
            )));
        }
        Ok(Style { font_pt })
    }

    /// `p` points in drawing units.
    pub(crate) fn pt(&self, p: f64) -> u32 {
        (p * UNITS_PER_PT).round() as u32
    }

    /// `p` points in drawing units, signed.
    pub(crate) fn ipt(&self, p: f64) -> i32 {
        (p * UNITS_PER_PT).round() as i32
    }

    /// A spacing of `p` points at the default text size, grown with the text.
    pub(crate) fn sp(&self, p: f64) -> u32 {
        self.pt(p * self.font_pt / DEFAULT_FONT_PT)
    }

    /// Signed [`Style::sp`].
    pub(crate) fn isp(&self, p: f64) -> i32 {
        self.sp(p) as i32
    }

    fn font(&self, size_pt: f64) -> TextStyle<'static> {
        let size = size_pt.max(MIN_TEXT_PT) * UNITS_PER_PT * PLOTTERS_FONT_FACTOR;
        (FAMILY, size).into_font().color(&INK)
    }

    /// Tick labels and legends: the base size.
    pub(crate) fn tick_font(&self) -> TextStyle<'static> {
        self.font(self.font_pt)
    }

    /// Axis titles: the base size.
    pub(crate) fn axis_font(&self) -> TextStyle<'static> {
        self.font(self.font_pt)
    }

    /// Figure and panel titles: 1 pt above the base.
    pub(crate) fn title_font(&self) -> TextStyle<'static> {
        self.font(self.font_pt + 1.0)
    }

    /// Notes, keys and in-plot labels: 0.5 pt below the base, never below the minimum.
    pub(crate) fn small_font(&self) -> TextStyle<'static> {
        self.font(self.small_pt())
    }

    /// Size of [`Style::small_font`], points.
    pub(crate) fn small_pt(&self) -> f64 {
        (self.font_pt - 0.5).max(MIN_TEXT_PT)
    }

    /// Panel letters: bold, 1 pt above the base.
    pub(crate) fn letter_font(&self) -> TextStyle<'static> {
        let size = (self.font_pt + 1.0) * UNITS_PER_PT * PLOTTERS_FONT_FACTOR;
        (FAMILY, size, FontStyle::Bold).into_font().color(&INK)
    }

    /// Line of `width_pt` points (at least [`MIN_LINE_PT`]).
    pub(crate) fn line(&self, c: RGBColor, width_pt: f64) -> ShapeStyle {
        ShapeStyle {
            color: c.to_rgba(),
            filled: false,
            stroke_width: self.pt(width_pt.max(MIN_LINE_PT)),
        }
    }

    /// Width of a drawn text, drawing units (from the embedded font's metrics).
    pub(crate) fn text_width(&self, font: &TextStyle, text: &str) -> u32 {
        font.font
            .box_size(text)
            .map(|(w, _)| w)
            .unwrap_or((text.chars().count() as f64 * 0.6 * self.font_pt * UNITS_PER_PT) as u32)
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

/// A colour mixed with white (`amount` 0: the colour, 1: white): a light fill that prints the
/// same on every backend (no transparency).
pub(crate) fn tint(c: RGBColor, amount: f64) -> RGBColor {
    let m = |v: u8| (v as f64 + (255.0 - v as f64) * amount).round() as u8;
    RGBColor(m(c.0), m(c.1), m(c.2))
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
    } else if a >= 0.001 {
        format!("{v:.3}")
    } else {
        return format!("{v:.0e}").replace('-', "−");
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    s.replace('-', "−")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_in_points_and_never_below_the_minimum() {
        let s = Style::default();
        assert_eq!(s.pt(7.0), 70);
        assert_eq!(s.line(INK, 0.1).stroke_width, 5, "0.5 pt floor");
        assert!(s.small_pt() >= MIN_TEXT_PT);
        assert!(Style::new(5.5).is_err());
        assert!(Style::new(13.0).is_err());
        assert_eq!(Style::new(8.0).map(|s| s.sp(7.0)).ok(), Some(80));
        assert_eq!(tint(RGBColor(0, 100, 255), 0.5), RGBColor(128, 178, 255));
        assert_eq!(tick(-0.25), "−0.25");
        assert_eq!(tick(1500.0), "1500");
    }
}
