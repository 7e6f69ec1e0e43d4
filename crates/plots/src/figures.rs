//! The figure kinds.

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{SegmentValue, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::labels::axis_label;
use crate::style::*;
use crate::{Figure, PlotError, draw_err};

/// Points per drawn curve: about one every 4 px at one-column width.
const LINE_POINTS: usize = 260;

/// At most `n` points (every k-th sample, first and last kept): plotters draws a thick line as
/// one polygon per segment, and thousands of sub-pixel segments render as a ragged line.
fn thin(points: Vec<(f64, f64)>, n: usize) -> Vec<(f64, f64)> {
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

type Chart2d<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// The series legend, in the house style (small font, light frame, translucent white).
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart2d<'a, DB>,
    position: SeriesLabelPosition,
) -> Result<(), PlotError> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(small_font())
        .background_style(WHITE.mix(0.9))
        .border_style(line(C_LIGHT_GREY, 0.5))
        .legend_area_size(pt(14.0))
        .margin(pt(2.0))
        .draw()
        .map_err(draw_err)
}

/// Axes in the house style: no grid, tick and axis-title fonts, thin black axes.
fn styled_mesh<'a, 'b, DB, X, Y>(
    chart: &'a mut ChartContext<'b, DB, Cartesian2d<X, Y>>,
) -> MeshStyle<'b, 'a, X, Y, DB>
where
    DB: DrawingBackend + 'b,
    X: Ranged + ValueFormatter<<X as Ranged>::ValueType>,
    Y: Ranged + ValueFormatter<<Y as Ranged>::ValueType>,
{
    let mut m = chart.configure_mesh();
    m.disable_mesh()
        .label_style(tick_font())
        .axis_desc_style(axis_font())
        .axis_style(line(INK, 0.6));
    m
}

/// A chart with f64 axes in the house layout (margins, label areas); `x_area_pt` is the height
/// of the x-axis label area (small when the panel shares its time axis with the one below).
fn xy_chart<'a, DB: DrawingBackend + 'a>(
    area: &'a DrawingArea<DB, Shift>,
    x_area_pt: f64,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<Chart2d<'a, DB>, PlotError> {
    ChartBuilder::on(area)
        .margin_left(pt(6.0))
        .margin_right(pt(6.0))
        .margin_top(pt(2.0))
        .x_label_area_size(pt(x_area_pt))
        .y_label_area_size(pt(30.0))
        .build_cartesian_2d(x, y)
        .map_err(draw_err)
}

/// `(x, y)` pairs of two series, thinned to [`LINE_POINTS`].
fn curve(xs: &[f64], ys: &[f64]) -> Vec<(f64, f64)> {
    thin(
        xs.iter().copied().zip(ys.iter().copied()).collect(),
        LINE_POINTS,
    )
}

fn check_len(what: &str, n: usize, others: &[(&str, usize)]) -> Result<(), PlotError> {
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

// ---------------------------------------------------------------------------------------------
// Waveform at 1:2 with annotations

/// An annotated point of a waveform.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// Time, s.
    pub time_s: f64,
    /// Pressure, mmHg.
    pub pressure_mmhg: f64,
    /// What it is, e.g. "Augmented diastole".
    pub label: String,
    /// Draw the badge below the curve (dips) instead of above (peaks).
    pub below: bool,
}

fn max_in(t: &[f64], y: &[f64], a: f64, b: f64) -> Option<(f64, f64)> {
    t.iter()
        .zip(y)
        .filter(|(tt, _)| **tt >= a && **tt <= b)
        .map(|(tt, yy)| (*tt, *yy))
        .max_by(|p, q| p.1.total_cmp(&q.1))
}

fn min_in(t: &[f64], y: &[f64], a: f64, b: f64) -> Option<(f64, f64)> {
    t.iter()
        .zip(y)
        .filter(|(tt, _)| **tt >= a && **tt <= b)
        .map(|(tt, yy)| (*tt, *yy))
        .min_by(|p, q| p.1.total_cmp(&q.1))
}

/// Finds, in a run at 1:2, the first systole whose preceding diastole was not assisted and whose
/// following diastole was, and returns the window `[start, end)` (s) that shows it and the next
/// three beats, with the textbook points: unassisted end-diastolic pressure, unassisted systole,
/// dicrotic notch, augmented diastole, assisted end-diastolic dip, assisted systole
/// (Parissis H et al., J Cardiothorac Surg 2011;6:95, figure of the 1:2 waveform).
///
/// `valve_open_s` / `valve_close_s`: aortic valve opening and closure times (the
/// `aortic_valve_open` / `aortic_valve_close` events). A diastole counts as assisted when the
/// balloon holds more than half its largest volume in it.
pub fn annotate_one_to_two(
    time_s: &[f64],
    aortic_mmhg: &[f64],
    balloon_ml: &[f64],
    valve_open_s: &[f64],
    valve_close_s: &[f64],
) -> Result<((f64, f64), Vec<Mark>), PlotError> {
    check_len(
        "waveform",
        time_s.len(),
        &[
            ("aortic pressure", aortic_mmhg.len()),
            ("balloon volume", balloon_ml.len()),
        ],
    )?;
    let vmax = balloon_ml.iter().cloned().fold(0.0f64, f64::max);
    if vmax <= 0.0 {
        return Err(PlotError::Data(
            "the balloon never inflates in these waveforms (was it enabled?)".into(),
        ));
    }
    // Systoles: each valve opening with the next closure.
    let mut systoles = Vec::new();
    for &o in valve_open_s {
        if let Some(&c) = valve_close_s.iter().find(|&&c| c > o) {
            systoles.push((o, c));
        }
    }
    let assisted_after = |k: usize| -> Option<bool> {
        let (_, c) = systoles[k];
        let next_open = systoles.get(k + 1)?.0;
        let peak = max_in(time_s, balloon_ml, c, next_open)?.1;
        Some(peak > 0.5 * vmax)
    };
    let pattern: Vec<Option<bool>> = (0..systoles.len()).map(assisted_after).collect();
    let k = (1..systoles.len().saturating_sub(3))
        .find(|&k| {
            pattern[k - 1] == Some(false)
                && pattern[k] == Some(true)
                && pattern[k + 1] == Some(false)
                && pattern[k + 2] == Some(true)
        })
        .ok_or_else(|| {
            PlotError::Data(
                "no 1:2 pattern (unassisted, assisted, unassisted, assisted diastoles) in these waveforms: record a run at iabp.ratio = \"1:2\" with at least 6 beats".into(),
            )
        })?;
    let (o0, c0) = systoles[k];
    let (o1, c1) = systoles[k + 1];
    let rr = o1 - o0;
    let start = o0 - 0.45 * rr;
    let end = (systoles[k + 3].0 - 0.45 * rr).max(start + rr);
    let need = |p: Option<(f64, f64)>, what: &str| {
        p.ok_or_else(|| PlotError::Data(format!("waveform: no samples for the {what}")))
    };
    let paedp = need(
        min_in(time_s, aortic_mmhg, o0 - 0.08 * rr, o0 + 0.02 * rr),
        "unassisted end-diastole",
    )?;
    let psp = need(max_in(time_s, aortic_mmhg, o0, c0), "unassisted systole")?;
    // The notch: the pressure minimum right after valve closure, before the augmentation rises.
    let notch = need(
        min_in(time_s, aortic_mmhg, c0 - 0.01 * rr, c0 + 0.08 * rr),
        "dicrotic notch",
    )?;
    let pdp = need(max_in(time_s, aortic_mmhg, c0, o1), "augmented diastole")?;
    let baedp = need(
        min_in(time_s, aortic_mmhg, o1 - 0.25 * rr, o1 + 0.02 * rr),
        "assisted end-diastole",
    )?;
    let apsp = need(max_in(time_s, aortic_mmhg, o1, c1), "assisted systole")?;
    let mark = |(t, p): (f64, f64), label: &str, below: bool| Mark {
        time_s: t,
        pressure_mmhg: p,
        label: label.into(),
        below,
    };
    Ok((
        (start, end),
        vec![
            mark(paedp, "Unassisted end-diastole", true),
            mark(psp, "Unassisted systole", false),
            mark(notch, "Dicrotic notch (inflation)", true),
            mark(pdp, "Augmented diastole", false),
            mark(baedp, "Assisted end-diastolic dip", true),
            mark(apsp, "Assisted systole", false),
        ],
    ))
}

/// Aortic and LV pressure with balloon volume over a few beats, annotated.
#[derive(Debug, Clone)]
pub struct WaveformFigure {
    /// Title.
    pub title: String,
    /// Time, s.
    pub time_s: Vec<f64>,
    /// Aortic root pressure, mmHg.
    pub aortic_mmhg: Vec<f64>,
    /// LV pressure, mmHg.
    pub lv_mmhg: Vec<f64>,
    /// Balloon volume, mL.
    pub balloon_ml: Vec<f64>,
    /// Annotated points (numbered in the order given).
    pub marks: Vec<Mark>,
}

fn badge<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    m: &Mark,
    n: usize,
) -> Result<(), PlotError> {
    let r = pt(4.6) as i32;
    let dy = if m.below {
        pt(11.0) as i32
    } else {
        -(pt(11.0) as i32)
    };
    let centre = Pos::new(HPos::Center, VPos::Center);
    let el = EmptyElement::at((m.time_s, m.pressure_mmhg))
        + Circle::new((0, 0), pt(1.6) as i32, fill(C_VERMILLION))
        + PathElement::new(vec![(0, 0), (0, dy - dy.signum() * r)], line(C_GREY, 0.6))
        + Circle::new((0, dy), r, fill(WHITE))
        + Circle::new((0, dy), r, line(INK, 0.7))
        + Text::new(format!("{n}"), (0, dy), small_font().pos(centre));
    chart.draw_series(std::iter::once(el)).map_err(draw_err)?;
    Ok(())
}

impl Figure for WaveformFigure {
    fn size_in(&self) -> (f64, f64) {
        (3.5, 3.9)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        check_len(
            "waveform",
            self.time_s.len(),
            &[
                ("aortic pressure", self.aortic_mmhg.len()),
                ("LV pressure", self.lv_mmhg.len()),
                ("balloon volume", self.balloon_ml.len()),
            ],
        )?;
        let (_, h) = root.dim_in_pixel();
        let root = root
            .margin(pt(3.0), 0, 0, 0)
            .titled(&self.title, title_font())
            .map_err(draw_err)?;
        let key_h = pt(14.0) + pt(11.0) * (self.marks.len().div_ceil(2) as u32);
        let (top, rest) = root.split_vertically((h as f64 * 0.56) as u32);
        let (mid, key) = rest.split_vertically(rest.dim_in_pixel().1 - key_h);
        let t0 = self.time_s[0];
        let t1 = *self.time_s.last().unwrap_or(&t0);
        let (plo, phi) = extent(self.aortic_mmhg.iter().chain(self.lv_mmhg.iter()));
        let (plo, phi) = padded(plo.min(0.0), phi, 0.16);
        let plo = if plo < 0.0 && extent(self.lv_mmhg.iter()).0 >= 0.0 {
            0.0
        } else {
            plo
        };
        let mut chart = xy_chart(&top, 6.0, t0..t1, plo..phi)?;
        styled_mesh(&mut chart)
            .x_label_formatter(&|_| String::new())
            .y_desc("Pressure (mmHg)")
            .y_label_formatter(&|v| tick(*v))
            .draw()
            .map_err(draw_err)?;
        let lv = curve(&self.time_s, &self.lv_mmhg);
        chart
            .draw_series(DashedLineSeries::new(
                lv,
                pt(3.0),
                pt(1.5),
                line(C_BLUE, 0.9),
            ))
            .map_err(draw_err)?
            .label("LV pressure")
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + pt(12.0) as i32, y)], line(C_BLUE, 0.9))
            });
        let ao = curve(&self.time_s, &self.aortic_mmhg);
        chart
            .draw_series(LineSeries::new(ao, line(INK, 1.1)))
            .map_err(draw_err)?
            .label("Aortic pressure")
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + pt(12.0) as i32, y)], line(INK, 1.1))
            });
        for (i, m) in self.marks.iter().enumerate() {
            badge(&mut chart, m, i + 1)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;

        let (_, vmax) = extent(self.balloon_ml.iter());
        let mut vchart = xy_chart(&mid, 18.0, t0..t1, 0.0..(vmax.max(1.0) * 1.15))?;
        styled_mesh(&mut vchart)
            .x_desc("Time (s)")
            .y_desc("Balloon (mL)")
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .y_labels(4)
            .draw()
            .map_err(draw_err)?;
        let bv = curve(&self.time_s, &self.balloon_ml);
        vchart
            .draw_series(
                AreaSeries::new(bv.clone(), 0.0, C_SKY.mix(0.35)).border_style(line(C_SKY, 0.9)),
            )
            .map_err(draw_err)?;

        // Key of the numbered marks, two columns.
        let (kw, _) = key.dim_in_pixel();
        let x0 = pt(30.0) as i32;
        let col_w = (kw as i32 - x0) / 2;
        let r = pt(4.6) as i32;
        for (i, m) in self.marks.iter().enumerate() {
            let row = (i / 2) as i32;
            let cx = x0 + (i % 2) as i32 * col_w + r;
            let y = pt(10.0) as i32 + row * pt(11.0) as i32;
            key.draw(&Circle::new((cx, y), r, line(INK, 0.6)))
                .map_err(draw_err)?;
            key.draw(&Text::new(
                format!("{}", i + 1),
                (cx, y),
                small_font().pos(Pos::new(HPos::Center, VPos::Center)),
            ))
            .map_err(draw_err)?;
            key.draw(&Text::new(
                m.label.clone(),
                (cx + r + pt(3.0) as i32, y),
                small_font().pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(draw_err)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Pressure-volume loops

/// One loop.
#[derive(Debug, Clone)]
pub struct PvLoop {
    /// Legend text.
    pub label: String,
    /// LV volume, mL.
    pub volume_ml: Vec<f64>,
    /// LV pressure, mmHg.
    pub pressure_mmhg: Vec<f64>,
}

/// LV pressure–volume loops (baseline and assisted).
#[derive(Debug, Clone)]
pub struct PvLoopFigure {
    /// Title.
    pub title: String,
    /// Loops, drawn in palette order (black, orange, sky blue, ...).
    pub loops: Vec<PvLoop>,
}

impl Figure for PvLoopFigure {
    fn size_in(&self) -> (f64, f64) {
        (3.5, 3.1)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        if self.loops.is_empty() {
            return Err(PlotError::Data("pv-loop: no loops".into()));
        }
        for l in &self.loops {
            check_len(
                "pv-loop",
                l.volume_ml.len(),
                &[("pressure", l.pressure_mmhg.len())],
            )?;
        }
        let root = root
            .margin(pt(3.0), 0, 0, 0)
            .titled(&self.title, title_font())
            .map_err(draw_err)?;
        let (vlo, vhi) = extent(self.loops.iter().flat_map(|l| l.volume_ml.iter()));
        let (_, phi) = extent(self.loops.iter().flat_map(|l| l.pressure_mmhg.iter()));
        let (vlo, vhi) = padded(vlo, vhi, 0.08);
        let mut chart = xy_chart(
            &root,
            20.0,
            vlo..vhi,
            0.0..phi * (1.12 + 0.09 * self.loops.len() as f64),
        )?;
        styled_mesh(&mut chart)
            .x_desc("LV volume (mL)")
            .y_desc("LV pressure (mmHg)")
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()
            .map_err(draw_err)?;
        for (i, l) in self.loops.iter().enumerate() {
            let c = OKABE_ITO[i % OKABE_ITO.len()];
            let mut pts = curve(&l.volume_ml, &l.pressure_mmhg);
            if let Some(&first) = pts.first() {
                pts.push(first);
            }
            let style = line(c, 1.1);
            if i % 2 == 1 {
                chart
                    .draw_series(DashedLineSeries::new(pts, pt(3.0), pt(1.5), style))
                    .map_err(draw_err)?
                    .label(l.label.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + pt(12.0) as i32, y)], style)
                    });
            } else {
                chart
                    .draw_series(LineSeries::new(pts, style))
                    .map_err(draw_err)?
                    .label(l.label.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + pt(12.0) as i32, y)], style)
                    });
            }
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Sweep heatmap

/// A metric of a sweep over two parameters, cells coloured with viridis and labelled.
#[derive(Debug, Clone)]
pub struct HeatmapFigure {
    /// Title.
    pub title: String,
    /// Column on the x axis.
    pub x_column: String,
    /// Column on the y axis.
    pub y_column: String,
    /// Column shown by the colour.
    pub z_column: String,
    /// Distinct x values, ascending.
    pub xs: Vec<f64>,
    /// Distinct y values, ascending.
    pub ys: Vec<f64>,
    /// Names of the x values of a text axis (e.g. `iabp_timing`), printed as its tick labels
    /// instead of the numbers; empty for a numeric axis.
    pub x_names: Vec<String>,
    /// Names of the y values of a text axis; empty for a numeric axis.
    pub y_names: Vec<String>,
    /// `z[iy][ix]`; `None` where no ok point exists.
    pub z: Vec<Vec<Option<f64>>>,
    /// A line under the title (e.g. what was averaged).
    pub note: String,
}

fn viridis(u: f64) -> RGBColor {
    use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
    ViridisRGB.get_color_normalized(u.clamp(0.0, 1.0), 0.0, 1.0)
}

/// Cell text with three significant digits of the largest magnitude.
fn cell_text(v: f64, mag: f64) -> String {
    let decimals = if mag >= 100.0 {
        0
    } else if mag >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.decimals$}").replace('-', "−")
}

fn luminance(c: RGBColor) -> f64 {
    (0.2126 * c.0 as f64 + 0.7152 * c.1 as f64 + 0.0722 * c.2 as f64) / 255.0
}

fn signed(v: f64, z_column: &str) -> String {
    signed_with(tick(v), v, z_column)
}

fn signed_with(s: String, v: f64, z_column: &str) -> String {
    if z_column.starts_with("delta_") && v > 0.0 {
        format!("+{s}")
    } else {
        s
    }
}

impl Figure for HeatmapFigure {
    fn size_in(&self) -> (f64, f64) {
        (3.5, 3.2)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let (nx, ny) = (self.xs.len(), self.ys.len());
        if nx == 0 || ny == 0 || self.z.len() != ny || self.z.iter().any(|r| r.len() != nx) {
            return Err(PlotError::Data(format!(
                "heatmap: {nx} x values, {ny} y values and a {}-row grid do not fit",
                self.z.len()
            )));
        }
        let (zlo, zhi) = extent(self.z.iter().flatten().flatten());
        if !zlo.is_finite() {
            return Err(PlotError::Data(format!(
                "heatmap: no `{}` values (no ok points?)",
                self.z_column
            )));
        }
        let zspan = if zhi > zlo { zhi - zlo } else { 1.0 };
        let zmag = zlo.abs().max(zhi.abs());
        let root = root
            .margin(pt(3.0), 0, 0, 0)
            .titled(&self.title, title_font())
            .map_err(draw_err)?;
        let root = if self.note.is_empty() {
            root
        } else {
            root.titled(&self.note, small_font().color(&C_GREY))
                .map_err(draw_err)?
        };
        let (w, _) = root.dim_in_pixel();
        let (left, right) = root.split_horizontally(w - pt(52.0));
        let xs = self.xs.clone();
        let ys = self.ys.clone();
        let mut chart = ChartBuilder::on(&left)
            .margin_left(pt(6.0))
            .margin_top(pt(2.0))
            .margin_right(pt(2.0))
            .x_label_area_size(pt(20.0))
            .y_label_area_size(pt(30.0))
            .build_cartesian_2d(
                (0..nx as i32 - 1).into_segmented(),
                (0..ny as i32 - 1).into_segmented(),
            )
            .map_err(draw_err)?;
        let (x_names, y_names) = (&self.x_names, &self.y_names);
        let fmt_seg = |vals: &Vec<f64>, names: &Vec<String>, v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => match names.get(*i as usize) {
                Some(n) => n.clone(),
                None => vals.get(*i as usize).map(|x| tick(*x)).unwrap_or_default(),
            },
            SegmentValue::Last => String::new(),
        };
        styled_mesh(&mut chart)
            .x_desc(axis_label(&self.x_column))
            .y_desc(axis_label(&self.y_column))
            .x_labels(nx)
            .y_labels(ny)
            .x_label_formatter(&|v| fmt_seg(&xs, x_names, v))
            .y_label_formatter(&|v| fmt_seg(&ys, y_names, v))
            .draw()
            .map_err(draw_err)?;
        let cell_font: TextStyle = (FAMILY, pt(if nx <= 7 { 6.0 } else { 5.2 }) as f64)
            .into_font()
            .into();
        for (iy, row) in self.z.iter().enumerate() {
            for (ix, v) in row.iter().enumerate() {
                let (a, b) = (
                    (
                        SegmentValue::Exact(ix as i32),
                        SegmentValue::Exact(iy as i32),
                    ),
                    (
                        SegmentValue::Exact(ix as i32 + 1),
                        SegmentValue::Exact(iy as i32 + 1),
                    ),
                );
                let (colour, text) = match v {
                    Some(z) => (
                        viridis((z - zlo) / zspan),
                        signed_with(cell_text(*z, zmag), *z, &self.z_column),
                    ),
                    None => (C_LIGHT_GREY, "–".to_string()),
                };
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [a.clone(), b],
                        fill(colour),
                    )))
                    .map_err(draw_err)?;
                if nx <= 14 && ny <= 14 {
                    let tc = if luminance(colour) < 0.5 {
                        WHITE
                    } else {
                        BLACK
                    };
                    chart
                        .draw_series(std::iter::once(Text::new(
                            text,
                            (
                                SegmentValue::CenterOf(ix as i32),
                                SegmentValue::CenterOf(iy as i32),
                            ),
                            cell_font
                                .clone()
                                .color(&tc)
                                .pos(Pos::new(HPos::Center, VPos::Center)),
                        )))
                        .map_err(draw_err)?;
                }
            }
        }
        // Colour bar.
        let mut bar = ChartBuilder::on(&right)
            .margin_top(pt(2.0))
            .margin_left(pt(3.0))
            .margin_right(pt(4.0))
            .x_label_area_size(pt(20.0))
            .right_y_label_area_size(pt(36.0))
            .build_cartesian_2d(0.0..1.0, zlo..(zlo + zspan))
            .map_err(draw_err)?
            .set_secondary_coord(0.0..1.0, zlo..(zlo + zspan));
        bar.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .disable_y_axis()
            .draw()
            .map_err(draw_err)?;
        bar.configure_secondary_axes()
            .y_desc(axis_label(&self.z_column))
            .y_label_formatter(&|v| format!("\u{2009}{}", signed(*v, &self.z_column)))
            .y_labels(5)
            .label_style(tick_font())
            .axis_desc_style(small_font())
            .axis_style(line(INK, 0.6))
            .draw()
            .map_err(draw_err)?;
        let steps = 100;
        bar.draw_series((0..steps).map(|i| {
            let a = zlo + zspan * i as f64 / steps as f64;
            let b = zlo + zspan * (i + 1) as f64 / steps as f64;
            Rectangle::new(
                [(0.0, a), (1.0, b)],
                fill(viridis((i as f64 + 0.5) / steps as f64)),
            )
        }))
        .map_err(draw_err)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Sweep lines

/// One line of a [`LinesFigure`].
#[derive(Debug, Clone)]
pub struct LineSeriesData {
    /// Legend text, e.g. "40 mL" or "Hyperaemic LAD flow".
    pub label: String,
    /// (x, y) points, ascending in x.
    pub points: Vec<(f64, f64)>,
}

/// A metric against one parameter, one line per value of another.
#[derive(Debug, Clone)]
pub struct LinesFigure {
    /// Title.
    pub title: String,
    /// Column on the x axis.
    pub x_column: String,
    /// Label of the y axis, with its unit.
    pub y_label: String,
    /// The lines.
    pub series: Vec<LineSeriesData>,
    /// A line under the title (e.g. what was averaged).
    pub note: String,
}

fn draw_markers<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    points: &[(f64, f64)],
    c: RGBColor,
) -> Result<(), PlotError> {
    let r = pt(1.9) as i32;
    chart
        .draw_series(points.iter().map(|p| Circle::new(*p, r, fill(c))))
        .map(|_| ())
        .map_err(draw_err)
}

impl Figure for LinesFigure {
    fn size_in(&self) -> (f64, f64) {
        (3.5, 3.0)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        if self.series.is_empty() || self.series.iter().all(|s| s.points.is_empty()) {
            return Err(PlotError::Data(format!(
                "lines: no `{}` values (no ok points?)",
                self.y_label
            )));
        }
        let root = root
            .margin(pt(3.0), 0, 0, 0)
            .titled(&self.title, title_font())
            .map_err(draw_err)?;
        let root = if self.note.is_empty() {
            root
        } else {
            root.titled(&self.note, small_font().color(&C_GREY))
                .map_err(draw_err)?
        };
        let (xlo, xhi) = extent(
            self.series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| &p.0)),
        );
        let (ylo, yhi) = extent(
            self.series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| &p.1)),
        );
        let (xlo, xhi) = padded(xlo, xhi, 0.04);
        let (ylo, yhi) = padded(ylo, yhi, 0.12);
        let (ylo, yhi) = (
            ylo,
            yhi + 0.25 * (yhi - ylo) * (self.series.len() as f64 / 4.0).min(1.5),
        );
        let mut chart = xy_chart(&root, 20.0, xlo..xhi, ylo..yhi)?;
        styled_mesh(&mut chart)
            .x_desc(axis_label(&self.x_column))
            .y_desc(&self.y_label)
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()
            .map_err(draw_err)?;
        for (i, s) in self.series.iter().enumerate() {
            let c = OKABE_ITO[i % OKABE_ITO.len()];
            let style = line(c, 1.0);
            chart
                .draw_series(LineSeries::new(s.points.clone(), style))
                .map_err(draw_err)?
                .label(s.label.clone())
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (pt(12.0) as i32, 0)], style)
                        + Circle::new((pt(6.0) as i32, 0), pt(1.6) as i32, fill(c))
                });
            draw_markers(&mut chart, &s.points, c)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Timing errors

/// One panel of [`TimingErrorsFigure`]: two beats (unassisted, then assisted diastole) of a
/// run at 1:2.
#[derive(Debug, Clone)]
pub struct TimingPanel {
    /// Panel title, e.g. "Early inflation (−120 ms)".
    pub title: String,
    /// Time, s, from the start of the panel.
    pub time_s: Vec<f64>,
    /// Aortic root pressure, mmHg.
    pub aortic_mmhg: Vec<f64>,
    /// LV pressure, mmHg.
    pub lv_mmhg: Vec<f64>,
    /// Balloon volume, mL.
    pub balloon_ml: Vec<f64>,
    /// Unassisted aortic end-diastolic pressure (PAEDP), mmHg, drawn as a dotted reference.
    pub unassisted_edp_mmhg: f64,
    /// A line of numbers for the panel (e.g. "ΔCO +0.21 L/min").
    pub note: String,
}

/// The four classic timing errors beside correct timing, one panel each.
#[derive(Debug, Clone)]
pub struct TimingErrorsFigure {
    /// Title.
    pub title: String,
    /// Panels (correct first), at most 5 (the sixth cell holds the key).
    pub panels: Vec<TimingPanel>,
}

impl Figure for TimingErrorsFigure {
    fn size_in(&self) -> (f64, f64) {
        (7.0, 4.9)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        if self.panels.is_empty() || self.panels.len() > 5 {
            return Err(PlotError::Data(format!(
                "timing-errors: {} panels (expected 1 to 5)",
                self.panels.len()
            )));
        }
        let root = root
            .margin(pt(3.0), 0, 0, 0)
            .titled(&self.title, title_font())
            .map_err(draw_err)?;
        let cells = root.split_evenly((2, 3));
        let (plo, phi) = extent(
            self.panels
                .iter()
                .flat_map(|p| p.aortic_mmhg.iter().chain(p.lv_mmhg.iter())),
        );
        let (_, phi) = padded(plo.min(0.0), phi, 0.12);
        let tmax = self
            .panels
            .iter()
            .filter_map(|p| p.time_s.last())
            .cloned()
            .fold(0.0, f64::max);
        for (i, p) in self.panels.iter().enumerate() {
            check_len(
                &p.title,
                p.time_s.len(),
                &[
                    ("aortic pressure", p.aortic_mmhg.len()),
                    ("LV pressure", p.lv_mmhg.len()),
                    ("balloon volume", p.balloon_ml.len()),
                ],
            )?;
            let area = cells[i].titled(&p.title, axis_font()).map_err(draw_err)?;
            let mut chart = xy_chart(&area, 17.0, 0.0..tmax, 0.0..phi)?;
            styled_mesh(&mut chart)
                .x_desc("Time (s)")
                .y_desc("Pressure (mmHg)")
                .x_label_formatter(&|v| tick(*v))
                .y_label_formatter(&|v| tick(*v))
                .x_labels(8)
                .y_labels(8)
                .axis_desc_style(small_font())
                .draw()
                .map_err(draw_err)?;
            // Balloon inflated: shaded band.
            let vmax = p.balloon_ml.iter().cloned().fold(0.0, f64::max);
            let mut bands = Vec::new();
            let mut open: Option<f64> = None;
            for (t, v) in p.time_s.iter().zip(&p.balloon_ml) {
                let on = *v > 0.1 * vmax && vmax > 0.0;
                match (on, open) {
                    (true, None) => open = Some(*t),
                    (false, Some(a)) => {
                        bands.push((a, *t));
                        open = None;
                    }
                    _ => {}
                }
            }
            if let (Some(a), Some(&t)) = (open, p.time_s.last()) {
                bands.push((a, t));
            }
            chart
                .draw_series(bands.iter().map(|(a, b)| {
                    Rectangle::new([(*a, 0.0), (*b, phi)], fill(C_SKY).filled().stroke_width(0))
                }))
                .map_err(draw_err)?;
            // Lighten the band (plotters has no alpha fill on every backend): overlay white.
            chart
                .draw_series(
                    bands.iter().map(|(a, b)| {
                        Rectangle::new([(*a, 0.0), (*b, phi)], WHITE.mix(0.65).filled())
                    }),
                )
                .map_err(draw_err)?;
            let lv = curve(&p.time_s, &p.lv_mmhg);
            chart
                .draw_series(DashedLineSeries::new(
                    lv,
                    pt(3.0),
                    pt(1.5),
                    line(C_BLUE, 0.7),
                ))
                .map_err(draw_err)?;
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(0.0, p.unassisted_edp_mmhg), (tmax, p.unassisted_edp_mmhg)],
                    pt(1.0),
                    pt(1.5),
                    line(C_VERMILLION, 0.7),
                ))
                .map_err(draw_err)?;
            let ao = curve(&p.time_s, &p.aortic_mmhg);
            chart
                .draw_series(LineSeries::new(ao, line(INK, 1.0)))
                .map_err(draw_err)?;
            if !p.note.is_empty() {
                chart
                    .draw_series(std::iter::once(Text::new(
                        p.note.clone(),
                        (tmax * 0.98, phi * 0.98),
                        small_font().pos(Pos::new(HPos::Right, VPos::Top)),
                    )))
                    .map_err(draw_err)?;
            }
        }
        // Key in the last cell.
        let key = &cells[5];
        let x = pt(10.0) as i32;
        let mut y = pt(14.0) as i32;
        let dy = pt(11.0) as i32;
        let w = pt(14.0) as i32;
        let left = Pos::new(HPos::Left, VPos::Center);
        let label = |y: i32, text: &str| {
            key.draw(&Text::new(
                text.to_string(),
                (x + w + pt(4.0) as i32, y),
                small_font().pos(left),
            ))
            .map_err(draw_err)
        };
        key.draw(&PathElement::new(vec![(x, y), (x + w, y)], line(INK, 1.0)))
            .map_err(draw_err)?;
        label(y, "Aortic root pressure")?;
        y += dy;
        key.draw(&PathElement::new(
            vec![(x, y), (x + w / 3, y)],
            line(C_BLUE, 0.7),
        ))
        .map_err(draw_err)?;
        key.draw(&PathElement::new(
            vec![(x + 2 * w / 3, y), (x + w, y)],
            line(C_BLUE, 0.7),
        ))
        .map_err(draw_err)?;
        label(y, "LV pressure")?;
        y += dy;
        for j in 0..4 {
            let a = x + j * w / 4;
            key.draw(&PathElement::new(
                vec![(a, y), (a + w / 8, y)],
                line(C_VERMILLION, 0.7),
            ))
            .map_err(draw_err)?;
        }
        label(y, "Unassisted end-diastolic pressure")?;
        y += dy;
        let hb = pt(3.0) as i32;
        key.draw(&Rectangle::new(
            [(x, y - hb), (x + w, y + hb)],
            fill(RGBColor(190, 226, 247)),
        ))
        .map_err(draw_err)?;
        label(y, "Balloon inflated")?;
        y += dy;
        key.draw(&Text::new(
            "Each panel: one unassisted beat, then the",
            (x, y + dy / 2),
            small_font().color(&C_GREY).pos(left),
        ))
        .map_err(draw_err)?;
        key.draw(&Text::new(
            "assisted diastole and the systole after it (1:2).",
            (x, y + dy / 2 + pt(8.0) as i32),
            small_font().color(&C_GREY).pos(left),
        ))
        .map_err(draw_err)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Weaning

/// A protocol step drawn on the weaning figure.
#[derive(Debug, Clone)]
pub struct WeaningStep {
    /// Time of the change, s.
    pub at_s: f64,
    /// What it changed to, e.g. "1:2".
    pub label: String,
}

/// CO and MAP beat by beat through a weaning protocol.
#[derive(Debug, Clone)]
pub struct WeaningFigure {
    /// Title.
    pub title: String,
    /// Beat start times, s.
    pub time_s: Vec<f64>,
    /// Per-beat cardiac output, L/min.
    pub cardiac_output_l_min: Vec<f64>,
    /// Per-beat mean arterial pressure, mmHg.
    pub mean_arterial_pressure_mmhg: Vec<f64>,
    /// The setting at time 0 (e.g. "1:1") and the later steps.
    pub initial_label: String,
    /// Protocol steps.
    pub steps: Vec<WeaningStep>,
    /// Steady-state values without the balloon, drawn as dotted references.
    pub baseline_cardiac_output_l_min: Option<f64>,
    /// See `baseline_cardiac_output_l_min`.
    pub baseline_mean_arterial_pressure_mmhg: Option<f64>,
    /// Beats in the running mean (4 covers one 1:4 cycle).
    pub window_beats: usize,
}

fn running_mean(v: &[f64], w: usize) -> Vec<f64> {
    let w = w.max(1);
    (0..v.len())
        .map(|i| {
            let a = (i + 1).saturating_sub(w);
            let s = &v[a..=i];
            s.iter().sum::<f64>() / s.len() as f64
        })
        .collect()
}

impl WeaningFigure {
    #[allow(clippy::too_many_arguments)]
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        values: &[f64],
        baseline: Option<f64>,
        y_desc: &str,
        colour: RGBColor,
        x_axis: bool,
        labels_on_top: bool,
    ) -> Result<(), PlotError> {
        let t0 = self.time_s[0];
        let t1 = *self.time_s.last().unwrap_or(&t0);
        let (lo, hi) = extent(values.iter().chain(baseline.iter()));
        let (lo, hi) = padded(lo, hi, 0.12);
        let hi = if labels_on_top {
            hi + 0.12 * (hi - lo)
        } else {
            hi
        };
        let mut chart = xy_chart(area, if x_axis { 18.0 } else { 4.0 }, t0..t1, lo..hi)?;
        let mut mesh = styled_mesh(&mut chart);
        mesh.y_desc(y_desc)
            .y_label_formatter(&|v| tick(*v))
            .y_labels(5);
        if x_axis {
            mesh.x_desc("Time (s)").x_label_formatter(&|v| tick(*v));
        } else {
            mesh.x_label_formatter(&|_| String::new());
        }
        mesh.draw().map_err(draw_err)?;
        for s in &self.steps {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(s.at_s, lo), (s.at_s, hi)],
                    pt(2.0),
                    pt(2.0),
                    line(C_GREY, 0.6),
                ))
                .map_err(draw_err)?;
        }
        if labels_on_top {
            let mut bounds: Vec<(f64, String)> = vec![(t0, self.initial_label.clone())];
            bounds.extend(self.steps.iter().map(|s| (s.at_s, s.label.clone())));
            for (j, (a, label)) in bounds.iter().enumerate() {
                let b = bounds.get(j + 1).map(|x| x.0).unwrap_or(t1);
                chart
                    .draw_series(std::iter::once(Text::new(
                        label.clone(),
                        ((a + b) / 2.0, hi - 0.02 * (hi - lo)),
                        axis_font().pos(Pos::new(HPos::Center, VPos::Top)),
                    )))
                    .map_err(draw_err)?;
            }
        }
        if let Some(b) = baseline {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(t0, b), (t1, b)],
                    pt(1.0),
                    pt(1.5),
                    line(C_VERMILLION, 0.8),
                ))
                .map_err(draw_err)?;
        }
        chart
            .draw_series(
                self.time_s
                    .iter()
                    .zip(values)
                    .map(|(t, v)| Circle::new((*t, *v), pt(0.7) as i32, fill(C_LIGHT_GREY))),
            )
            .map_err(draw_err)?;
        let smooth = running_mean(values, self.window_beats);
        let pts: Vec<(f64, f64)> = self.time_s.iter().cloned().zip(smooth).collect();
        let style = line(colour, 1.1);
        chart
            .draw_series(LineSeries::new(pts, style))
            .map_err(draw_err)?;
        Ok(())
    }
}

impl Figure for WeaningFigure {
    fn size_in(&self) -> (f64, f64) {
        (3.5, 3.8)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        check_len(
            "weaning",
            self.time_s.len(),
            &[
                ("cardiac output", self.cardiac_output_l_min.len()),
                (
                    "mean arterial pressure",
                    self.mean_arterial_pressure_mmhg.len(),
                ),
            ],
        )?;
        let root = root
            .margin(pt(3.0), 0, 0, 0)
            .titled(&self.title, title_font())
            .map_err(draw_err)?;
        let (_, h) = root.dim_in_pixel();
        let strip = pt(14.0);
        let (plots, legend) = root.split_vertically(h - strip);
        let (top, bottom) = plots.split_vertically((h - strip) * 47 / 100);
        self.panel(
            &top,
            &self.cardiac_output_l_min,
            self.baseline_cardiac_output_l_min,
            "Cardiac output (L/min)",
            C_ORANGE,
            false,
            true,
        )?;
        self.panel(
            &bottom,
            &self.mean_arterial_pressure_mmhg,
            self.baseline_mean_arterial_pressure_mmhg,
            "MAP (mmHg)",
            C_GREEN,
            true,
            false,
        )?;
        // Legend strip: each beat, running mean (CO orange, MAP green), balloon off.
        let y = (strip / 2) as i32;
        let mut x = pt(30.0) as i32;
        let seg = pt(10.0) as i32;
        let gap = pt(3.0) as i32;
        let left = Pos::new(HPos::Left, VPos::Center);
        let text = |x: i32, t: &str| Text::new(t.to_string(), (x, y), small_font().pos(left));
        legend
            .draw(&Circle::new(
                (x + seg / 2, y),
                pt(1.2) as i32,
                fill(C_LIGHT_GREY),
            ))
            .map_err(draw_err)?;
        legend
            .draw(&text(x + seg + gap, "each beat"))
            .map_err(draw_err)?;
        x += pt(48.0) as i32;
        legend
            .draw(&PathElement::new(
                vec![(x, y - pt(1.5) as i32), (x + seg, y - pt(1.5) as i32)],
                line(C_ORANGE, 1.1),
            ))
            .map_err(draw_err)?;
        legend
            .draw(&PathElement::new(
                vec![(x, y + pt(1.5) as i32), (x + seg, y + pt(1.5) as i32)],
                line(C_GREEN, 1.1),
            ))
            .map_err(draw_err)?;
        legend
            .draw(&text(
                x + seg + gap,
                &format!("mean of {} beats", self.window_beats),
            ))
            .map_err(draw_err)?;
        x += pt(70.0) as i32;
        for k in 0..3 {
            let a = x + k * seg / 3;
            legend
                .draw(&PathElement::new(
                    vec![(a, y), (a + seg / 6, y)],
                    line(C_VERMILLION, 0.8),
                ))
                .map_err(draw_err)?;
        }
        legend
            .draw(&text(x + seg + gap, "balloon off"))
            .map_err(draw_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic 1:2 trace: valve open 0.10–0.35 s of each 0.6 s beat, the balloon inflated
    /// in the diastoles of even beats.
    /// Time, aortic pressure, balloon volume, valve openings, valve closures.
    type Trace = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

    fn one_to_two() -> Trace {
        let rr = 0.6;
        let (mut t, mut p, mut v) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..(8 * 600) {
            let ti = i as f64 * 1e-3;
            let k = (ti / rr).floor() as usize;
            let ph = ti - k as f64 * rr;
            let assisted_before = k > 0 && (k - 1).is_multiple_of(2);
            let assisted = k.is_multiple_of(2);
            let edp = if assisted_before { 45.0 } else { 55.0 };
            let (pp, vv) = if ph < 0.1 {
                (edp, 0.0)
            } else if ph < 0.35 {
                let peak = if assisted_before { 68.0 } else { 74.0 };
                (
                    edp + (peak - edp) * (std::f64::consts::PI * (ph - 0.1) / 0.25).sin(),
                    0.0,
                )
            } else if assisted {
                let x = (ph - 0.35) / 0.35;
                (90.0 - 45.0 * x * x, 40.0 * (1.0 - x * x * x))
            } else {
                (62.0 - 7.0 * (ph - 0.35) / 0.25, 0.0)
            };
            t.push(ti);
            p.push(pp);
            v.push(vv);
        }
        let opens = (0..8).map(|k| k as f64 * rr + 0.1).collect();
        let closes = (0..8).map(|k| k as f64 * rr + 0.35).collect();
        (t, p, v, opens, closes)
    }

    #[test]
    fn finds_the_textbook_landmarks_in_order() {
        let (t, p, v, o, c) = one_to_two();
        let ((a, b), marks) = annotate_one_to_two(&t, &p, &v, &o, &c).expect("1:2 pattern");
        assert!(a < b);
        let names: Vec<&str> = marks.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(
            names,
            [
                "Unassisted end-diastole",
                "Unassisted systole",
                "Dicrotic notch (inflation)",
                "Augmented diastole",
                "Assisted end-diastolic dip",
                "Assisted systole",
            ]
        );
        assert!(marks.windows(2).all(|w| w[0].time_s <= w[1].time_s));
        let by = |i: usize| marks[i].pressure_mmhg;
        assert!(by(3) > by(1), "augmented above unassisted systole");
        assert!(
            by(4) < by(0),
            "assisted end-diastolic dip below the unassisted one"
        );
        assert!(by(5) < by(1), "assisted systole below the unassisted one");
        assert!((by(3) - 90.0).abs() < 0.5);
        // Without inflation there is nothing to annotate.
        let flat = vec![0.0; v.len()];
        assert!(annotate_one_to_two(&t, &p, &flat, &o, &c).is_err());
    }

    #[test]
    fn thinning_keeps_the_ends() {
        let pts: Vec<(f64, f64)> = (0..1001).map(|i| (i as f64, (i * i) as f64)).collect();
        let th = thin(pts, 100);
        assert!(th.len() <= 102);
        assert_eq!(th.first(), Some(&(0.0, 0.0)));
        assert_eq!(th.last(), Some(&(1000.0, 1_000_000.0)));
    }
}
