//! Horizontal bars: values (or low–high intervals, as in a tornado chart) per category and
//! group, with optional reference markers (published values).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::Axis;
use crate::chart::{
    Key, diamond_points, frame, legend_rows, legend_rows_height, letter, styled_mesh, x_area,
    xy_chart,
};
use crate::style::{C_GREY, INK, OKABE_ITO, extent, fill, padded, tick};
use crate::{Accepts, Figure, FigureOptions, PlotError, Style, draw_err};

/// One bar: from `lo` to `hi` (a plain value bar is `lo` = the base, `hi` = the value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// One end.
    pub lo: f64,
    /// The other end (the value shown at the bar's end).
    pub hi: f64,
    /// A reference value drawn as an open diamond on the bar (e.g. published).
    pub reference: Option<f64>,
    /// An interval drawn as a whisker across the bar's end (e.g. a bootstrap interval).
    pub interval: Option<(f64, f64)>,
}

/// A group of bars (one per category), e.g. "Later deflation".
#[derive(Debug, Clone, PartialEq)]
pub struct BarGroup {
    /// Legend text.
    pub label: String,
    /// Palette index.
    pub colour: usize,
}

/// Horizontal bars per category (rows, top to bottom) and group (bars within a row).
#[derive(Debug, Clone, Default)]
pub struct BarsFigure {
    /// Title.
    pub title: String,
    /// A line under the title.
    pub note: String,
    /// Value axis title with unit.
    pub x_label: String,
    /// Row labels, top to bottom.
    pub categories: Vec<String>,
    /// Groups (one bar each per category).
    pub groups: Vec<BarGroup>,
    /// `bars[category][group]`.
    pub bars: Vec<Vec<Bar>>,
    /// Legend text of the reference markers ("" when there are none).
    pub reference_label: String,
    /// Print each bar's value (and reference) in a column right of the plot.
    pub value_labels: bool,
    /// Default width, inches (0: one column).
    pub width_in: f64,
    /// Draw the groups of a row on top of each other (a tornado: one bar per row, its two
    /// halves in two colours) instead of one below the other.
    pub overlay: bool,
    /// A vertical dotted line at this value (e.g. 0.5, "no separation"), with its legend text.
    pub marker_line: Option<(f64, String)>,
}

impl Figure for BarsFigure {
    fn default_width_in(&self) -> f64 {
        if self.width_in > 0.0 {
            self.width_in
        } else {
            crate::ONE_COLUMN_IN
        }
    }

    fn height_in(&self, width_in: f64, style: &Style) -> f64 {
        let grow = style.font_pt / crate::DEFAULT_FONT_PT;
        let per_row = if self.overlay {
            1
        } else {
            self.groups.len().max(1)
        };
        let row = (0.16 * per_row as f64 + 0.12) * grow;
        // Title and note as wrapped to the width, the legend rows, the x axis, and the bars (at
        // least 0.6 in, so that one row of bars stays a plot).
        let width_units = (width_in * 72.0 * crate::UNITS_PER_PT) as u32;
        let lines = |font: &TextStyle, text: &str, line_in: f64| {
            if text.is_empty() {
                0.0
            } else {
                let w = style.text_width(font, text) as f64 / (width_units as f64 * 0.9);
                w.ceil().max(1.0) * line_in
            }
        };
        let text = 0.1 * grow
            + lines(&style.title_font(), &self.title, 0.17 * grow)
            + lines(&style.small_font(), &self.note, 0.14 * grow);
        let keys: Vec<(String, Key)> = self
            .groups
            .iter()
            .map(|g| {
                let c = OKABE_ITO[g.colour % OKABE_ITO.len()];
                (g.label.clone(), Key::Patch { colour: c, edge: c })
            })
            .chain(
                (!self.reference_label.is_empty())
                    .then(|| (self.reference_label.clone(), Key::Diamond)),
            )
            .collect();
        let legend = legend_rows_height(style, &keys, width_units.saturating_sub(style.sp(4.0)))
            as f64
            / crate::UNITS_PER_PT
            / 72.0;
        let bars = (row * self.categories.len() as f64).max(0.6 * grow);
        (text + legend + 0.45 * grow + bars).min(9.5)
    }

    fn accepts(&self) -> Accepts {
        Accepts::LIMITS
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &FigureOptions,
    ) -> Result<(), PlotError> {
        let (nc, ng) = (self.categories.len(), self.groups.len());
        if nc == 0 || ng == 0 || self.bars.len() != nc || self.bars.iter().any(|r| r.len() != ng) {
            return Err(PlotError::Data(format!(
                "bars: {nc} categories, {ng} groups and {} rows of bars do not fit",
                self.bars.len()
            )));
        }
        let s = &opts.style;
        let area = frame(root, opts, &self.title, &self.note)?;
        let vals: Vec<f64> = self
            .bars
            .iter()
            .flatten()
            .flat_map(|b| {
                [
                    Some(b.lo),
                    Some(b.hi),
                    b.reference,
                    b.interval.map(|i| i.0),
                    b.interval.map(|i| i.1),
                ]
            })
            .flatten()
            .chain(self.marker_line.as_ref().map(|m| m.0))
            .collect();
        let (lo, hi) = extent(vals.iter());
        if !lo.is_finite() {
            return Err(PlotError::Data("bars: no finite values".into()));
        }
        let (lo, hi) = padded(lo.min(0.0), hi.max(0.0), 0.06);
        let xaxis = Axis::of(&self.x_label, (lo, hi), opts.xlim, false)?;
        let font = s.tick_font();
        let label_w = self
            .categories
            .iter()
            .map(|c| s.text_width(&font, c))
            .max()
            .unwrap_or(0)
            + s.sp(5.0);
        // Legend strip at the bottom.
        let mut keys: Vec<(String, Key)> = self
            .groups
            .iter()
            .map(|g| {
                let c = OKABE_ITO[g.colour % OKABE_ITO.len()];
                (g.label.clone(), Key::Patch { colour: c, edge: c })
            })
            .collect();
        let has_ref = self.bars.iter().flatten().any(|b| b.reference.is_some());
        if has_ref && !self.reference_label.is_empty() {
            keys.push((self.reference_label.clone(), Key::Diamond));
        }
        if let Some((_, label)) = &self.marker_line
            && !label.is_empty()
        {
            keys.push((
                label.clone(),
                Key::Line {
                    colour: C_GREY,
                    width_pt: 0.8,
                    dash: crate::Dash::Dotted,
                    marker: false,
                },
            ));
        }
        let (w, h) = area.dim_in_pixel();
        let legend_h = legend_rows_height(s, &keys, w.saturating_sub(s.sp(4.0)));
        let (plot_and_values, key_area) = area.split_vertically(h.saturating_sub(legend_h));
        // Values in a column right of the plot: model, and the reference in brackets.
        let value_text = |b: &Bar| match b.reference {
            Some(r) => format!("{} ({})", one_decimal(b.hi), signed(r)),
            None => one_decimal(b.hi),
        };
        let header = if has_ref { "bar (◇)" } else { "" };
        let value_w = if self.value_labels {
            self.bars
                .iter()
                .flatten()
                .map(|b| s.text_width(&s.small_font(), &value_text(b)))
                .chain(std::iter::once(s.text_width(&s.small_font(), header)))
                .max()
                .unwrap_or(0)
                + s.sp(3.0)
        } else {
            0
        };
        let (pw, _) = plot_and_values.dim_in_pixel();
        let (plot, values) = plot_and_values.split_horizontally(pw.saturating_sub(value_w));
        let yaxis = Axis::linear(0.0, nc as f64);
        let mut chart = xy_chart(&plot, s, x_area(s, true, true), label_w, xaxis, yaxis)?;
        styled_mesh(&mut chart, s)
            .x_desc(self.x_label.as_str())
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|_| String::new())
            .y_labels(0)
            // Rows are named by text, not ticks (plotters still draws one tick with 0 labels).
            .set_tick_mark_size(LabelAreaPosition::Left, 0)
            .x_labels(5)
            .draw()
            .map_err(draw_err)?;
        if self.value_labels && !header.is_empty() {
            let (_, py) = chart.as_coord_spec().translate(&(xaxis.lo, nc as f64));
            let (_, oy) = values.get_base_pixel();
            values
                .draw(&Text::new(
                    header,
                    (s.isp(1.0), py - oy - s.isp(1.0)),
                    s.small_font()
                        .color(&C_GREY)
                        .pos(Pos::new(HPos::Left, VPos::Bottom)),
                ))
                .map_err(draw_err)?;
        }
        // Zero line.
        if xaxis.lo < 0.0 && xaxis.hi > 0.0 {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, 0.0), (0.0, nc as f64)],
                    s.line(C_GREY, 0.5),
                )))
                .map_err(draw_err)?;
        }
        if let Some((v, _)) = &self.marker_line {
            crate::chart::draw_line(
                &mut chart,
                s,
                vec![(*v, 0.0), (*v, nc as f64)],
                s.line(C_GREY, 0.8),
                crate::Dash::Dotted,
            )?;
        }
        let slots = if self.overlay { 1 } else { ng };
        let band = 0.8 / slots as f64;
        for (ic, row) in self.bars.iter().enumerate() {
            let top = nc as f64 - ic as f64 - 0.1;
            for (ig, b) in row.iter().enumerate() {
                let c = OKABE_ITO[self.groups[ig].colour % OKABE_ITO.len()];
                let slot = if self.overlay { 0 } else { ig } as f64;
                let (y1, y0) = (top - band * slot, top - band * (slot + 0.85));
                let ym = (y0 + y1) / 2.0;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(b.lo, y0), (b.hi, y1)],
                        fill(c),
                    )))
                    .map_err(draw_err)?;
                if let Some((a, z)) = b.interval {
                    let cap = (y1 - y0) * 0.3;
                    let ink = s.line(INK, 0.7);
                    chart
                        .draw_series([
                            PathElement::new(vec![(a, ym), (z, ym)], ink),
                            PathElement::new(vec![(a, ym - cap), (a, ym + cap)], ink),
                            PathElement::new(vec![(z, ym - cap), (z, ym + cap)], ink),
                        ])
                        .map_err(draw_err)?;
                }
                if self.value_labels {
                    let (_, py) = chart.as_coord_spec().translate(&(xaxis.lo, ym));
                    let (_, oy) = values.get_base_pixel();
                    values
                        .draw(&Text::new(
                            value_text(b),
                            (s.isp(1.0), py - oy),
                            s.small_font().pos(Pos::new(HPos::Left, VPos::Center)),
                        ))
                        .map_err(draw_err)?;
                }
                if let Some(r) = b.reference {
                    chart
                        .draw_series(std::iter::once(
                            EmptyElement::at((r, ym))
                                + Polygon::new(diamond_points(s), fill(WHITE))
                                + PathElement::new(diamond_points(s), s.line(INK, 0.8)),
                        ))
                        .map_err(draw_err)?;
                }
            }
            // Row label, right-aligned left of the axis.
            let (px, py) = chart
                .as_coord_spec()
                .translate(&(xaxis.lo, nc as f64 - ic as f64 - 0.5));
            let (ox, oy) = plot.get_base_pixel();
            plot.draw(&Text::new(
                self.categories[ic].clone(),
                (px - ox - s.isp(3.0), py - oy),
                font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(draw_err)?;
        }
        legend_rows(&key_area, s, &keys, s.isp(4.0))?;
        letter(root, opts, 0)?;
        Ok(())
    }
}

/// "+4.6", "−11.0": one decimal.
fn one_decimal(v: f64) -> String {
    format!("{v:+.1}").replace('-', "−")
}

/// "+4.6", "−11".
fn signed(v: f64) -> String {
    let t = tick(v);
    if v > 0.0 { format!("+{t}") } else { t }
}
