//! The figure kinds with a layout of their own: the annotated 1:2 waveform, PV loops, the sweep
//! heatmap, the timing-error panels and the weaning record.

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::Axis;
use crate::chart::{
    Chart, Dash, Key, check_len, curve, draw_axes, draw_key, draw_line, frame, legend, letter,
    styled_mesh, x_area, xy_chart, y_area,
};
use crate::labels::axis_label;
use crate::style::*;
use crate::{Accepts, Figure, FigureOptions, PlotError, draw_err};

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
/// (Parissis H et al., J Cardiothorac Surg 2016;11:122, figure of the 1:2 waveform).
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
    chart: &mut Chart<'_, DB>,
    s: &Style,
    m: &Mark,
    n: usize,
) -> Result<(), PlotError> {
    let r = s.isp(4.3);
    let dy = if m.below { s.isp(10.0) } else { -s.isp(10.0) };
    let centre = Pos::new(HPos::Center, VPos::Center);
    let el = EmptyElement::at((m.time_s, m.pressure_mmhg))
        + Circle::new((0, 0), s.isp(1.5), fill(C_VERMILLION))
        + PathElement::new(vec![(0, 0), (0, dy - dy.signum() * r)], s.line(C_GREY, 0.6))
        + Circle::new((0, dy), r, fill(WHITE))
        + Circle::new((0, dy), r, s.line(INK, 0.6))
        + Text::new(format!("{n}"), (0, dy), s.small_font().pos(centre));
    chart.draw_series(std::iter::once(el)).map_err(draw_err)?;
    Ok(())
}

/// The numbered key of the marks, two columns.
fn mark_key<DB: DrawingBackend>(
    key: &DrawingArea<DB, Shift>,
    s: &Style,
    marks: &[Mark],
    x0: i32,
) -> Result<(), PlotError> {
    let (kw, _) = key.dim_in_pixel();
    let col_w = (kw as i32 - x0) / 2;
    let r = s.isp(4.3);
    let row = s.isp(10.5);
    for (i, m) in marks.iter().enumerate() {
        let cx = x0 + (i % 2) as i32 * col_w + r;
        let y = s.isp(7.0) + (i / 2) as i32 * row;
        key.draw(&Circle::new((cx, y), r, s.line(INK, 0.6)))
            .map_err(draw_err)?;
        key.draw(&Text::new(
            format!("{}", i + 1),
            (cx, y),
            s.small_font().pos(Pos::new(HPos::Center, VPos::Center)),
        ))
        .map_err(draw_err)?;
        key.draw(&Text::new(
            m.label.clone(),
            (cx + r + s.isp(3.0), y),
            s.small_font().pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}

impl Figure for WaveformFigure {
    fn height_in(&self, w: f64, style: &Style) -> f64 {
        let grow = style.font_pt / DEFAULT_FONT_PT;
        2.9 + 0.2 * (w - ONE_COLUMN_IN) + 0.9 * grow
    }

    fn accepts(&self) -> Accepts {
        Accepts::LIMITS
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &FigureOptions,
    ) -> Result<(), PlotError> {
        check_len(
            "waveform",
            self.time_s.len(),
            &[
                ("aortic pressure", self.aortic_mmhg.len()),
                ("LV pressure", self.lv_mmhg.len()),
                ("balloon volume", self.balloon_ml.len()),
            ],
        )?;
        let s = &opts.style;
        let area = frame(root, opts, &self.title, "")?;
        let (_, h) = area.dim_in_pixel();
        let key_h = s.sp(6.0) + s.sp(10.5) * (self.marks.len().div_ceil(2) as u32);
        let (plots, key) = area.split_vertically(h.saturating_sub(key_h));
        let (_, ph) = plots.dim_in_pixel();
        let (top, mid) = plots.split_vertically(ph * 64 / 100);
        let t0 = self.time_s[0];
        let t1 = *self.time_s.last().unwrap_or(&t0);
        let (plo, phi) = extent(self.aortic_mmhg.iter().chain(self.lv_mmhg.iter()));
        let (plo, phi) = padded(plo.min(0.0), phi, 0.16);
        let plo = if plo < 0.0 && extent(self.lv_mmhg.iter()).0 >= 0.0 {
            0.0
        } else {
            plo
        };
        let xaxis = Axis::of("time", (t0, t1), opts.xlim, false)?;
        let paxis = Axis::of("pressure", (plo, phi), opts.ylim, false)?;
        let (_, vmax) = extent(self.balloon_ml.iter());
        let vaxis = Axis::linear(0.0, vmax.max(1.0) * 1.15);
        let fmt = |v: f64| tick(v);
        let ya = y_area(s, &paxis, &fmt, true).max(y_area(s, &vaxis, &fmt, true));
        let mut chart = xy_chart(&top, s, x_area(s, false, false), ya, xaxis, paxis)?;
        draw_axes(&mut chart, s, None, "Pressure (mmHg)", false)?;
        let lv = curve(&self.time_s, &self.lv_mmhg);
        let lv_style = s.line(C_BLUE, 0.9);
        draw_line(&mut chart, s, lv.clone(), lv_style, Dash::Dashed)?;
        let ao = curve(&self.time_s, &self.aortic_mmhg);
        draw_line(&mut chart, s, ao.clone(), s.line(INK, 1.1), Dash::Solid)?;
        for (i, m) in self.marks.iter().enumerate() {
            badge(&mut chart, s, m, i + 1)?;
        }
        let entries = [
            (
                "Aortic pressure".to_string(),
                Key::Line {
                    colour: INK,
                    width_pt: 1.1,
                    dash: Dash::Solid,
                    marker: false,
                },
            ),
            (
                "LV pressure".to_string(),
                Key::Line {
                    colour: C_BLUE,
                    width_pt: 0.9,
                    dash: Dash::Dashed,
                    marker: false,
                },
            ),
        ];
        let mut data: Vec<(f64, f64)> = ao.into_iter().chain(lv).collect();
        // Keep the legend off the numbered badges too.
        for m in &self.marks {
            let off = (phi - plo) * if m.below { -0.1 } else { 0.1 };
            data.extend((0..8).map(|_| (m.time_s, m.pressure_mmhg + off)));
        }
        legend(&chart, s, &entries, &data)?;
        letter(&top, opts, 0)?;

        let mid_plot = if opts.first_letter.is_some() {
            mid.margin(s.sp(5.0), 0, 0, 0)
        } else {
            mid.clone()
        };
        let mut vchart = xy_chart(&mid_plot, s, x_area(s, true, true), ya, xaxis, vaxis)?;
        draw_axes(&mut vchart, s, Some("Time (s)"), "Balloon (mL)", true)?;
        let bv = curve(&self.time_s, &self.balloon_ml);
        vchart
            .draw_series(AreaSeries::new(bv.clone(), 0.0, tint(C_SKY, 0.6)))
            .map_err(draw_err)?;
        draw_line(&mut vchart, s, bv, s.line(C_SKY, 0.9), Dash::Solid)?;
        letter(&mid, opts, 1)?;
        mark_key(&key, s, &self.marks, ya as i32)?;
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
    fn height_in(&self, w: f64, style: &Style) -> f64 {
        2.6 + 0.4 * (w - ONE_COLUMN_IN) + 0.5 * style.font_pt / DEFAULT_FONT_PT
    }

    fn accepts(&self) -> Accepts {
        Accepts::LIMITS
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &FigureOptions,
    ) -> Result<(), PlotError> {
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
        let s = &opts.style;
        let area = frame(root, opts, &self.title, "")?;
        let (vlo, vhi) = extent(self.loops.iter().flat_map(|l| l.volume_ml.iter()));
        let (_, phi) = extent(self.loops.iter().flat_map(|l| l.pressure_mmhg.iter()));
        let (vlo, vhi) = padded(vlo, vhi, 0.08);
        let xaxis = Axis::of("volume", (vlo, vhi), opts.xlim, false)?;
        let yaxis = Axis::of(
            "pressure",
            (0.0, phi * (1.1 + 0.08 * self.loops.len() as f64)),
            opts.ylim,
            false,
        )?;
        let fmt = |v: f64| tick(v);
        let mut chart = xy_chart(
            &area,
            s,
            x_area(s, true, true),
            y_area(s, &yaxis, &fmt, true),
            xaxis,
            yaxis,
        )?;
        draw_axes(
            &mut chart,
            s,
            Some("LV volume (mL)"),
            "LV pressure (mmHg)",
            true,
        )?;
        let mut entries = Vec::new();
        let mut data = Vec::new();
        for (i, l) in self.loops.iter().enumerate() {
            let c = OKABE_ITO[i % OKABE_ITO.len()];
            let mut pts = curve(&l.volume_ml, &l.pressure_mmhg);
            if let Some(&first) = pts.first() {
                pts.push(first);
            }
            let dash = if i % 2 == 1 {
                Dash::Dashed
            } else {
                Dash::Solid
            };
            draw_line(&mut chart, s, pts.clone(), s.line(c, 1.1), dash)?;
            data.extend(pts);
            entries.push((
                l.label.clone(),
                Key::Line {
                    colour: c,
                    width_pt: 1.1,
                    dash,
                    marker: false,
                },
            ));
        }
        legend(&chart, s, &entries, &data)?;
        letter(root, opts, 0)?;
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
    fn height_in(&self, w: f64, style: &Style) -> f64 {
        2.5 + 0.35 * (w - ONE_COLUMN_IN) + 0.7 * style.font_pt / DEFAULT_FONT_PT
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &FigureOptions,
    ) -> Result<(), PlotError> {
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
        let s = &opts.style;
        let zspan = if zhi > zlo { zhi - zlo } else { 1.0 };
        let zmag = zlo.abs().max(zhi.abs());
        let area = frame(root, opts, &self.title, &self.note)?;
        let font = s.tick_font();
        let bar_labels = [zlo, zhi, (zlo + zhi) / 2.0]
            .iter()
            .map(|v| s.text_width(&font, &signed(*v, &self.z_column)))
            .max()
            .unwrap_or(0);
        let bar_w = s.sp(8.0) + s.sp(4.0) + bar_labels + s.pt(s.font_pt * 1.6) + s.sp(2.0);
        let (w, _) = area.dim_in_pixel();
        let (left, right) = area.split_horizontally(w.saturating_sub(bar_w));
        let xs = self.xs.clone();
        let ys = self.ys.clone();
        // The y tick labels as drawn (names of a text axis, "r-wave", else numbers), measured
        // with the font: the label area holds the widest.
        let y_labels = (0..ny)
            .map(|i| match self.y_names.get(i) {
                Some(n) => s.text_width(&font, n),
                None => s.text_width(&font, &tick(ys[i])),
            })
            .max()
            .unwrap_or(0);
        let mut chart = ChartBuilder::on(&left)
            .margin_left(s.sp(2.0))
            .margin_top(s.sp(4.0))
            .margin_right(s.sp(2.0))
            .x_label_area_size(x_area(s, true, true))
            .y_label_area_size(y_labels + s.sp(5.0) + s.pt(s.font_pt * 1.5))
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
        styled_mesh(&mut chart, s)
            .x_desc(axis_label(&self.x_column))
            .y_desc(axis_label(&self.y_column))
            .x_labels(nx)
            .y_labels(ny)
            .x_label_formatter(&|v| fmt_seg(&xs, x_names, v))
            .y_label_formatter(&|v| fmt_seg(&ys, y_names, v))
            .draw()
            .map_err(draw_err)?;
        // Cell labels at the small size when every one fits its cell, else none (the colour
        // bar still reads the values); never smaller text.
        let cell_font = s.small_font();
        let texts: Vec<Vec<String>> = self
            .z
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| match v {
                        Some(z) => signed_with(cell_text(*z, zmag), *z, &self.z_column),
                        None => "–".to_string(),
                    })
                    .collect()
            })
            .collect();
        let (pw, ph) = chart.plotting_area().dim_in_pixel();
        let widest = texts
            .iter()
            .flatten()
            .map(|t| s.text_width(&cell_font, t))
            .max()
            .unwrap_or(0);
        let labels =
            widest + s.sp(2.0) <= pw / nx as u32 && s.pt(s.small_pt() * 1.2) <= ph / ny as u32;
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
                let colour = match v {
                    Some(z) => viridis((z - zlo) / zspan),
                    None => C_LIGHT_GREY,
                };
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [a.clone(), b],
                        fill(colour),
                    )))
                    .map_err(draw_err)?;
                if labels {
                    let tc = if luminance(colour) < 0.5 {
                        WHITE
                    } else {
                        BLACK
                    };
                    chart
                        .draw_series(std::iter::once(Text::new(
                            texts[iy][ix].clone(),
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
            .margin_top(s.sp(4.0))
            .margin_left(s.sp(2.0))
            .margin_right(s.sp(2.0))
            .x_label_area_size(x_area(s, true, true))
            .right_y_label_area_size(bar_w - s.sp(8.0) - s.sp(4.0))
            .build_cartesian_2d(0.0..1.0, zlo..(zlo + zspan))
            .map_err(draw_err)?
            .set_secondary_coord(0.0..1.0, Axis::linear(zlo, zlo + zspan));
        bar.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .disable_y_axis()
            .draw()
            .map_err(draw_err)?;
        bar.configure_secondary_axes()
            .y_desc(axis_label(&self.z_column))
            .y_label_formatter(&|v| signed(*v, &self.z_column))
            .y_labels(5)
            .label_style(s.tick_font())
            .axis_desc_style(s.axis_font())
            .axis_style(s.line(INK, 0.6))
            .set_all_tick_mark_size(s.sp(2.5))
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
        letter(root, opts, 0)?;
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
    fn default_width_in(&self) -> f64 {
        TWO_COLUMN_IN
    }

    fn height_in(&self, w: f64, style: &Style) -> f64 {
        3.9 + 0.3 * (w - TWO_COLUMN_IN) + 0.8 * style.font_pt / DEFAULT_FONT_PT
    }

    fn accepts(&self) -> Accepts {
        Accepts::LIMITS
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &FigureOptions,
    ) -> Result<(), PlotError> {
        if self.panels.is_empty() || self.panels.len() > 5 {
            return Err(PlotError::Data(format!(
                "timing-errors: {} panels (expected 1 to 5)",
                self.panels.len()
            )));
        }
        let s = &opts.style;
        let area = frame(root, opts, &self.title, "")?;
        let cells = area.split_evenly((2, 3));
        let (plo, phi) = extent(
            self.panels
                .iter()
                .flat_map(|p| p.aortic_mmhg.iter().chain(p.lv_mmhg.iter())),
        );
        let (_, phi) = padded(plo.min(0.0), phi, 0.14);
        let tmax = self
            .panels
            .iter()
            .filter_map(|p| p.time_s.last())
            .cloned()
            .fold(0.0, f64::max);
        let xaxis = Axis::of("time", (0.0, tmax), opts.xlim, false)?;
        let yaxis = Axis::of("pressure", (0.0, phi), opts.ylim, false)?;
        let fmt = |v: f64| tick(v);
        let ya = y_area(s, &yaxis, &fmt, true);
        let shade = tint(C_SKY, 0.7);
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
            let cell = cells[i].margin(s.sp(2.0), 0, 0, 0);
            let panel = cell.titled(&p.title, s.axis_font()).map_err(draw_err)?;
            let mut chart = xy_chart(&panel, s, x_area(s, true, true), ya, xaxis, yaxis)?;
            draw_axes(&mut chart, s, Some("Time (s)"), "Pressure (mmHg)", true)?;
            let bands = crate::panels::inflated_intervals(&p.time_s, &p.balloon_ml);
            chart
                .draw_series(
                    bands.iter().map(|(a, b)| {
                        Rectangle::new([(*a, yaxis.lo), (*b, yaxis.hi)], fill(shade))
                    }),
                )
                .map_err(draw_err)?;
            let lv = curve(&p.time_s, &p.lv_mmhg);
            draw_line(&mut chart, s, lv, s.line(C_BLUE, 0.7), Dash::Dashed)?;
            draw_line(
                &mut chart,
                s,
                vec![
                    (xaxis.lo, p.unassisted_edp_mmhg),
                    (xaxis.hi, p.unassisted_edp_mmhg),
                ],
                s.line(C_VERMILLION, 0.7),
                Dash::Dotted,
            )?;
            let ao = curve(&p.time_s, &p.aortic_mmhg);
            draw_line(&mut chart, s, ao, s.line(INK, 1.0), Dash::Solid)?;
            if !p.note.is_empty() {
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((xaxis.hi, yaxis.hi))
                            + Text::new(
                                p.note.clone(),
                                (-s.isp(2.0), s.isp(1.5)),
                                s.small_font().pos(Pos::new(HPos::Right, VPos::Top)),
                            ),
                    ))
                    .map_err(draw_err)?;
            }
            letter(&cells[i], opts, i)?;
        }
        // Key in the last cell.
        let key = &cells[5];
        let x = s.isp(12.0);
        let mut y = s.isp(18.0);
        let dy = s.isp(11.0);
        let left = Pos::new(HPos::Left, VPos::Center);
        let label = |y: i32, text: &str| {
            key.draw(&Text::new(
                text.to_string(),
                (x + s.isp(17.0), y),
                s.tick_font().pos(left),
            ))
            .map_err(draw_err)
        };
        let line_key = |colour, width_pt, dash| Key::Line {
            colour,
            width_pt,
            dash,
            marker: false,
        };
        for (k, text) in [
            (line_key(INK, 1.0, Dash::Solid), "Aortic root pressure"),
            (line_key(C_BLUE, 0.7, Dash::Dashed), "LV pressure"),
            (
                line_key(C_VERMILLION, 0.7, Dash::Dotted),
                "Unassisted end-diastolic pressure",
            ),
            (
                Key::Patch {
                    colour: shade,
                    edge: shade,
                },
                "Balloon inflated",
            ),
        ] {
            draw_key(key, s, k, (x, y))?;
            label(y, text)?;
            y += dy;
        }
        for (j, text) in [
            "Each panel: one unassisted beat, then",
            "the assisted diastole and the systole",
            "after it (1:2).",
        ]
        .iter()
        .enumerate()
        {
            key.draw(&Text::new(
                text.to_string(),
                (x, y + s.isp(4.0) + j as i32 * s.isp(s.small_pt() * 1.25)),
                s.small_font().color(&C_GREY).pos(left),
            ))
            .map_err(draw_err)?;
        }
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
        opts: &FigureOptions,
        values: &[f64],
        baseline: Option<f64>,
        y_desc: &str,
        colour: RGBColor,
        x_axis: bool,
        labels_on_top: bool,
        ya: u32,
    ) -> Result<(), PlotError> {
        let s = &opts.style;
        let t0 = self.time_s[0];
        let t1 = *self.time_s.last().unwrap_or(&t0);
        let (lo, hi) = extent(values.iter().chain(baseline.iter()));
        let (lo, hi) = padded(lo, hi, 0.12);
        let hi = if labels_on_top {
            hi + 0.14 * (hi - lo)
        } else {
            hi
        };
        let xaxis = Axis::of("time", (t0, t1), opts.xlim, false)?;
        let yaxis = Axis::linear(lo, hi);
        let mut chart = xy_chart(area, s, x_area(s, x_axis, x_axis), ya, xaxis, yaxis)?;
        draw_axes(&mut chart, s, x_axis.then_some("Time (s)"), y_desc, x_axis)?;
        for st in &self.steps {
            draw_line(
                &mut chart,
                s,
                vec![(st.at_s, lo), (st.at_s, hi)],
                s.line(C_GREY, 0.6),
                Dash::Dashed,
            )?;
        }
        if labels_on_top {
            let mut bounds: Vec<(f64, String)> = vec![(t0, self.initial_label.clone())];
            bounds.extend(self.steps.iter().map(|st| (st.at_s, st.label.clone())));
            for (j, (a, label)) in bounds.iter().enumerate() {
                let b = bounds.get(j + 1).map(|x| x.0).unwrap_or(t1);
                chart
                    .draw_series(std::iter::once(Text::new(
                        label.clone(),
                        ((a + b) / 2.0, hi - 0.02 * (hi - lo)),
                        s.axis_font().pos(Pos::new(HPos::Center, VPos::Top)),
                    )))
                    .map_err(draw_err)?;
            }
        }
        if let Some(b) = baseline {
            draw_line(
                &mut chart,
                s,
                vec![(t0, b), (t1, b)],
                s.line(C_VERMILLION, 0.8),
                Dash::Dotted,
            )?;
        }
        chart
            .draw_series(
                self.time_s
                    .iter()
                    .zip(values)
                    .map(|(t, v)| Circle::new((*t, *v), s.isp(0.7), fill(C_LIGHT_GREY))),
            )
            .map_err(draw_err)?;
        let smooth = running_mean(values, self.window_beats);
        let pts: Vec<(f64, f64)> = self.time_s.iter().cloned().zip(smooth).collect();
        draw_line(&mut chart, s, pts, s.line(colour, 1.1), Dash::Solid)?;
        Ok(())
    }
}

impl Figure for WeaningFigure {
    fn height_in(&self, w: f64, style: &Style) -> f64 {
        2.9 + 0.3 * (w - ONE_COLUMN_IN) + 0.9 * style.font_pt / DEFAULT_FONT_PT
    }

    fn accepts(&self) -> Accepts {
        Accepts::LIMITS
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &FigureOptions,
    ) -> Result<(), PlotError> {
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
        let s = &opts.style;
        let area = frame(root, opts, &self.title, "")?;
        let (_, h) = area.dim_in_pixel();
        let strip = s.sp(13.0);
        let (plots, legend) = area.split_vertically(h - strip);
        let (top, bottom) = plots.split_vertically((h - strip) * 46 / 100);
        // One y label width for both panels, so that their time axes line up.
        let fmt = |v: f64| tick(v);
        let ya = [
            (
                &self.cardiac_output_l_min,
                self.baseline_cardiac_output_l_min,
            ),
            (
                &self.mean_arterial_pressure_mmhg,
                self.baseline_mean_arterial_pressure_mmhg,
            ),
        ]
        .iter()
        .map(|(v, b)| {
            let (lo, hi) = extent(v.iter().chain(b.iter()));
            let (lo, hi) = padded(lo, hi, 0.12);
            y_area(s, &Axis::linear(lo, hi), &fmt, true)
        })
        .max()
        .unwrap_or(0);
        self.panel(
            &top,
            opts,
            &self.cardiac_output_l_min,
            self.baseline_cardiac_output_l_min,
            "Cardiac output (L/min)",
            C_ORANGE,
            false,
            true,
            ya,
        )?;
        let bottom_plot = if opts.first_letter.is_some() {
            bottom.margin(s.sp(5.0), 0, 0, 0)
        } else {
            bottom.clone()
        };
        self.panel(
            &bottom_plot,
            opts,
            &self.mean_arterial_pressure_mmhg,
            self.baseline_mean_arterial_pressure_mmhg,
            "MAP (mmHg)",
            C_GREEN,
            true,
            false,
            ya,
        )?;
        letter(&top, opts, 0)?;
        letter(&bottom, opts, 1)?;
        // Legend strip: each beat, running mean (CO orange, MAP green), balloon off.
        let y = (strip / 2) as i32;
        let font = s.tick_font();
        let left = Pos::new(HPos::Left, VPos::Center);
        let mean_text = format!("mean of {} beats", self.window_beats);
        let items: [(&str, Vec<Key>); 3] = [
            (
                "each beat",
                vec![Key::Marker {
                    colour: C_LIGHT_GREY,
                }],
            ),
            (
                mean_text.as_str(),
                vec![
                    Key::Line {
                        colour: C_ORANGE,
                        width_pt: 1.1,
                        dash: Dash::Solid,
                        marker: false,
                    },
                    Key::Line {
                        colour: C_GREEN,
                        width_pt: 1.1,
                        dash: Dash::Solid,
                        marker: false,
                    },
                ],
            ),
            (
                "balloon off",
                vec![Key::Line {
                    colour: C_VERMILLION,
                    width_pt: 0.8,
                    dash: Dash::Dotted,
                    marker: false,
                }],
            ),
        ];
        let mut x = s.isp(8.0);
        for (text, keys) in items {
            let n = keys.len() as i32;
            for (j, k) in keys.into_iter().enumerate() {
                let dy = (2 * j as i32 - (n - 1)) * s.isp(1.5);
                draw_key(&legend, s, k, (x, y + dy))?;
            }
            let tx = x + s.isp(17.0);
            legend
                .draw(&Text::new(
                    text.to_string(),
                    (tx, y),
                    font.clone().pos(left),
                ))
                .map_err(draw_err)?;
            x = tx + s.text_width(&font, text) as i32 + s.isp(10.0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::thin;

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
