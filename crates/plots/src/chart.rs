//! Building blocks shared by the figures: title frame, axes, legends, line styles, letters.

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::Axis;
use crate::style::{C_GREY, INK, Style, fill, tick};
use crate::{FigureOptions, PlotError, draw_err};

/// A chart with [`Axis`] coordinates.
pub(crate) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// Points per drawn curve: about one every 0.25 pt at one-column width (smooth at 300 dpi);
/// more would only add sub-pixel segments.
pub(crate) const LINE_POINTS: usize = 1000;

/// At most `n` points (every k-th sample, first and last kept).
pub(crate) fn thin(points: Vec<(f64, f64)>, n: usize) -> Vec<(f64, f64)> {
    if points.len() <= n || n < 2 {
        return points;
    }
    let k = points.len().div_ceil(n);
    let last = points[points.len() - 1];
    let mut out: Vec<(f64, f64)> = points.into_iter().step_by(k).collect();
    if out.last() != Some(&last) {
        out.push(last);
    }
    out
}

/// `(x, y)` pairs of two series (non-finite dropped), thinned to [`LINE_POINTS`].
pub(crate) fn curve(xs: &[f64], ys: &[f64]) -> Vec<(f64, f64)> {
    thin(
        xs.iter()
            .copied()
            .zip(ys.iter().copied())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect(),
        LINE_POINTS,
    )
}

pub(crate) fn check_len(what: &str, n: usize, others: &[(&str, usize)]) -> Result<(), PlotError> {
    if n < 2 {
        return Err(PlotError::Data(format!("{what}: fewer than 2 samples")));
    }
    for (name, m) in others {
        if *m != n {
            return Err(PlotError::Data(format!(
                "{what}: {name} has {m} samples, time has {n}"
            )));
        }
    }
    Ok(())
}

/// `text` broken into lines no wider than `width` (drawing units), at word boundaries.
pub(crate) fn wrap(s: &Style, font: &TextStyle, text: &str, width: u32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let trial = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if s.text_width(font, &trial) > width && !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
            cur = word.to_string();
        } else {
            cur = trial;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Draws `text` centred at the top of `area`, wrapped to its width; returns the area below.
fn centred_lines<DB: DrawingBackend>(
    area: DrawingArea<DB, Shift>,
    s: &Style,
    font: TextStyle,
    size_pt: f64,
    text: &str,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    let (w, _) = area.dim_in_pixel();
    let line_h = s.ipt(size_pt * 1.25);
    let lines = wrap(s, &font, text, w.saturating_sub(s.sp(8.0)));
    for (i, l) in lines.iter().enumerate() {
        area.draw(&Text::new(
            l.clone(),
            (w as i32 / 2, i as i32 * line_h),
            font.clone().pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(draw_err)?;
    }
    Ok(area.margin(line_h * lines.len() as i32 + s.isp(1.0), 0, 0, 0))
}

/// Draws the title (the user's or the figure's) and a grey note under it, each wrapped to the
/// width; returns the area left.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    opts: &FigureOptions,
    own_title: &str,
    note: &str,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    let s = &opts.style;
    let mut area = root.margin(s.sp(2.0), 0, 0, 0);
    let title = opts.title(own_title);
    if !title.is_empty() {
        area = centred_lines(area, s, s.title_font(), s.font_pt + 1.0, title)?;
    }
    if !note.is_empty() {
        area = centred_lines(area, s, s.small_font().color(&C_GREY), s.small_pt(), note)?;
    }
    Ok(area)
}

/// The bold panel letter `i` at the top left of `area`, when letters are on.
pub(crate) fn letter<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    opts: &FigureOptions,
    i: usize,
) -> Result<(), PlotError> {
    if let Some(c) = opts.letter(i) {
        area.draw(&Text::new(
            c.to_string(),
            (opts.style.isp(1.0), opts.style.isp(0.5)),
            opts.style
                .letter_font()
                .pos(Pos::new(HPos::Left, VPos::Top)),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}

/// Width of the y label area for these tick labels and an axis title: widest label, tick,
/// gaps and the rotated title's line.
pub(crate) fn y_area(s: &Style, axis: &Axis, fmt: &dyn Fn(f64) -> String, titled: bool) -> u32 {
    let font = s.tick_font();
    // Every tick count plotters may ask for (2 to 9): the labels drawn are among them (0.25
    // steps are wider than 0.2 steps).
    let widest = (2..=9)
        .flat_map(|n| axis.ticks(n))
        .map(|v| s.text_width(&font, &fmt(v)))
        .max()
        .unwrap_or(0);
    let title = if titled { s.pt(s.font_pt * 1.5) } else { 0 };
    widest + s.sp(5.0) + title
}

/// Height of the x label area: tick labels, and the axis title when there is one.
pub(crate) fn x_area(s: &Style, titled: bool, tick_labels: bool) -> u32 {
    let labels = if tick_labels {
        s.pt(s.font_pt * 1.3) + s.sp(3.0)
    } else {
        s.sp(3.0)
    };
    labels + if titled { s.pt(s.font_pt * 1.5) } else { 0 }
}

/// A chart on `area` with the given label areas (drawing units).
pub(crate) fn xy_chart<'a, DB: DrawingBackend + 'a>(
    area: &'a DrawingArea<DB, Shift>,
    s: &Style,
    x_area_units: u32,
    y_area_units: u32,
    x: Axis,
    y: Axis,
) -> Result<Chart<'a, DB>, PlotError> {
    ChartBuilder::on(area)
        .margin_left(s.sp(2.0))
        .margin_right(s.sp(6.0))
        .margin_top(s.sp(4.0))
        .x_label_area_size(x_area_units)
        .y_label_area_size(y_area_units)
        .build_cartesian_2d(x, y)
        .map_err(draw_err)
}

/// Axes in the house style: no grid, tick labels and titles at the base size, 0.6 pt axes,
/// outward ticks.
pub(crate) fn styled_mesh<'a, 'b, DB, X, Y>(
    chart: &'a mut ChartContext<'b, DB, Cartesian2d<X, Y>>,
    s: &Style,
) -> MeshStyle<'b, 'a, X, Y, DB>
where
    DB: DrawingBackend + 'b,
    X: Ranged + ValueFormatter<<X as Ranged>::ValueType>,
    Y: Ranged + ValueFormatter<<Y as Ranged>::ValueType>,
{
    let mut m = chart.configure_mesh();
    m.disable_mesh()
        .label_style(s.tick_font())
        .axis_desc_style(s.axis_font())
        .axis_style(s.line(INK, 0.6))
        .set_all_tick_mark_size(s.sp(2.5));
    m
}

/// Mesh of an [`Axis`] chart with tick labels from [`tick`] (none on x when `x_labels` is
/// false, for a panel sharing its x axis with the one below).
pub(crate) fn draw_axes<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    s: &Style,
    x_desc: Option<&str>,
    y_desc: &str,
    x_labels: bool,
) -> Result<(), PlotError> {
    let blank = |_: &f64| String::new();
    let fmt = |v: &f64| tick(*v);
    let mut m = styled_mesh(chart, s);
    m.y_desc(y_desc).y_label_formatter(&fmt).y_labels(6);
    if x_labels {
        m.x_label_formatter(&fmt);
    } else {
        m.x_label_formatter(&blank);
    }
    m.x_labels(8);
    if let Some(d) = x_desc {
        m.x_desc(d);
    }
    m.draw().map_err(draw_err)
}

/// How a line is stroked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dash {
    /// Continuous.
    #[default]
    Solid,
    /// 3 pt dashes, 1.5 pt gaps.
    Dashed,
    /// 0.8 pt dots, 1.2 pt gaps.
    Dotted,
    /// 6 pt dashes, 2 pt gaps.
    Long,
}

impl Dash {
    /// Dash and gap lengths, points (None: solid).
    pub(crate) fn pattern(self) -> Option<(f64, f64)> {
        match self {
            Dash::Solid => None,
            Dash::Dashed => Some((3.0, 1.5)),
            Dash::Dotted => Some((0.8, 1.2)),
            Dash::Long => Some((6.0, 2.0)),
        }
    }

    /// The n-th style of a cycle (solid, dashed, dotted, long dashes).
    pub fn nth(n: usize) -> Dash {
        [Dash::Solid, Dash::Dashed, Dash::Dotted, Dash::Long][n % 4]
    }
}

/// Draws a polyline in `style` with the dash pattern.
pub(crate) fn draw_line<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    s: &Style,
    pts: Vec<(f64, f64)>,
    style: ShapeStyle,
    dash: Dash,
) -> Result<(), PlotError> {
    match dash.pattern() {
        None => chart
            .draw_series(LineSeries::new(pts, style))
            .map(|_| ())
            .map_err(draw_err),
        Some((on, off)) => chart
            .draw_series(DashedLineSeries::new(pts, s.pt(on), s.pt(off), style))
            .map(|_| ())
            .map_err(draw_err),
    }
}

/// The sample drawn in a legend for one entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Key {
    /// A line with its dash pattern, width in points, and an optional marker.
    Line {
        colour: RGBColor,
        width_pt: f64,
        dash: Dash,
        marker: bool,
    },
    /// A filled box (bands, bars).
    Patch { colour: RGBColor, edge: RGBColor },
    /// A marker alone.
    Marker { colour: RGBColor },
    /// An open diamond (reference values).
    Diamond,
}

/// Length of a legend sample, points.
const SAMPLE_PT: f64 = 14.0;

/// Draws one legend sample centred vertically on `y`, starting at `x` (drawing units).
pub(crate) fn draw_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &Style,
    key: Key,
    (x, y): (i32, i32),
) -> Result<(), PlotError> {
    let len = s.isp(SAMPLE_PT);
    match key {
        Key::Line {
            colour,
            width_pt,
            dash,
            marker,
        } => {
            let style = s.line(colour, width_pt);
            match dash.pattern() {
                None => area
                    .draw(&PathElement::new(vec![(x, y), (x + len, y)], style))
                    .map_err(draw_err)?,
                Some((on, off)) => {
                    let (on, off) = (s.ipt(on).max(1), s.ipt(off).max(1));
                    let mut a = x;
                    while a < x + len {
                        let b = (a + on).min(x + len);
                        area.draw(&PathElement::new(vec![(a, y), (b, y)], style))
                            .map_err(draw_err)?;
                        a = b + off;
                    }
                }
            }
            if marker {
                area.draw(&Circle::new((x + len / 2, y), s.isp(1.6), fill(colour)))
                    .map_err(draw_err)?;
            }
        }
        Key::Patch { colour, edge } => {
            let h = s.isp(2.6);
            area.draw(&Rectangle::new(
                [(x, y - h), (x + len, y + h)],
                fill(colour),
            ))
            .map_err(draw_err)?;
            // The outline as a closed path, not a rectangle: an SVG <rect> carries no
            // stroke-width (it would print at the 1-unit default, 0.1 pt).
            let corners = vec![
                (x, y - h),
                (x + len, y - h),
                (x + len, y + h),
                (x, y + h),
                (x, y - h),
            ];
            area.draw(&PathElement::new(corners, s.line(edge, 0.5)))
                .map_err(draw_err)?;
        }
        Key::Marker { colour } => {
            area.draw(&Circle::new((x + len / 2, y), s.isp(1.8), fill(colour)))
                .map_err(draw_err)?;
        }
        Key::Diamond => {
            let pts: Vec<(i32, i32)> = diamond_points(s)
                .into_iter()
                .map(|(a, b)| (x + len / 2 + a, y + b))
                .collect();
            area.draw(&Polygon::new(pts.clone(), fill(WHITE)))
                .map_err(draw_err)?;
            area.draw(&PathElement::new(pts, s.line(INK, 0.8)))
                .map_err(draw_err)?;
        }
    }
    Ok(())
}

/// Corners of an open diamond around (0, 0), drawing units, closed: reference values.
pub(crate) fn diamond_points(s: &Style) -> Vec<(i32, i32)> {
    let d = s.isp(2.4);
    vec![(0, -d), (d, 0), (0, d), (-d, 0), (0, -d)]
}

/// Draws legend entries in rows of as many columns as fit `area`'s width, starting at `x0`
/// (under plots whose data leave no free corner).
pub(crate) fn legend_rows<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &Style,
    entries: &[(String, Key)],
    x0: i32,
) -> Result<(), PlotError> {
    let font = s.tick_font();
    let (w, _) = area.dim_in_pixel();
    let (cols, col_w, row_h) = legend_grid(s, entries, w.saturating_sub(x0.max(0) as u32));
    for (i, (text, key)) in entries.iter().enumerate() {
        let x = x0 + (i % cols) as i32 * col_w;
        let y = (i / cols) as i32 * row_h + row_h / 2;
        draw_key(area, s, *key, (x, y))?;
        area.draw(&Text::new(
            text.clone(),
            (x + s.isp(SAMPLE_PT) + s.isp(3.0), y),
            font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}

/// Columns, column width and row height of a legend grid in `width` drawing units.
fn legend_grid(s: &Style, entries: &[(String, Key)], width: u32) -> (usize, i32, i32) {
    let font = s.tick_font();
    let widest = entries
        .iter()
        .map(|(t, _)| s.text_width(&font, t))
        .max()
        .unwrap_or(0);
    let col_w = s.pt(SAMPLE_PT) + s.sp(3.0) + widest + s.sp(8.0);
    let cols = ((width / col_w.max(1)) as usize).clamp(1, entries.len().max(1));
    (cols, col_w as i32, s.ipt(s.font_pt * 1.35))
}

/// Height of [`legend_rows`] for `entries` in `width` drawing units.
pub(crate) fn legend_rows_height(s: &Style, entries: &[(String, Key)], width: u32) -> u32 {
    if entries.is_empty() {
        return 0;
    }
    let (cols, _, row_h) = legend_grid(s, entries, width);
    (entries.len().div_ceil(cols) as i32 * row_h) as u32 + s.sp(2.0)
}

/// Where a legend goes inside the plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Corner {
    UpperLeft,
    UpperRight,
    LowerLeft,
    LowerRight,
}

/// Draws a legend without a frame in the corner of the plot area of `chart` that covers the
/// fewest of `data` points; nothing when no entry has text.
pub(crate) fn legend<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    s: &Style,
    entries: &[(String, Key)],
    data: &[(f64, f64)],
) -> Result<(), PlotError> {
    let entries: Vec<&(String, Key)> = entries.iter().filter(|(t, _)| !t.is_empty()).collect();
    if entries.is_empty() {
        return Ok(());
    }
    let area = chart.plotting_area().strip_coord_spec();
    let (w, h) = area.dim_in_pixel();
    let font = s.tick_font();
    let row = s.ipt(s.font_pt * 1.35);
    let text_w = entries
        .iter()
        .map(|(t, _)| s.text_width(&font, t) as i32)
        .max()
        .unwrap_or(0);
    let box_w = s.isp(SAMPLE_PT) + s.isp(3.0) + text_w;
    let box_h = row * entries.len() as i32;
    let pad = s.isp(3.0);
    // Count the data points that fall under each corner's box.
    let to_px = |(x, y): (f64, f64)| {
        let ax = chart.as_coord_spec();
        let (px, py) = ax.translate(&(x, y));
        let (ox, oy) = chart.plotting_area().get_base_pixel();
        (px - ox, py - oy)
    };
    let corners = [
        Corner::UpperRight,
        Corner::UpperLeft,
        Corner::LowerRight,
        Corner::LowerLeft,
    ];
    let origin = |c: Corner| match c {
        Corner::UpperLeft => (pad, pad),
        Corner::UpperRight => (w as i32 - pad - box_w, pad),
        Corner::LowerLeft => (pad, h as i32 - pad - box_h),
        Corner::LowerRight => (w as i32 - pad - box_w, h as i32 - pad - box_h),
    };
    let covered = |c: Corner| {
        let (x0, y0) = origin(c);
        data.iter()
            .map(|p| to_px(*p))
            .filter(|(x, y)| {
                *x >= x0 - pad && *x <= x0 + box_w + pad && *y >= y0 - pad && *y <= y0 + box_h + pad
            })
            .count()
    };
    let best = corners
        .iter()
        .copied()
        .min_by_key(|c| covered(*c))
        .unwrap_or(Corner::UpperRight);
    let (x0, y0) = origin(best);
    for (i, (text, key)) in entries.iter().enumerate() {
        let y = y0 + row * i as i32 + row / 2;
        draw_key(&area, s, *key, (x0, y))?;
        area.draw(&Text::new(
            text.clone(),
            (x0 + s.isp(SAMPLE_PT) + s.isp(3.0), y),
            font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}
