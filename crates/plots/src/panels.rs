//! Stacked panels sharing one x axis: sweep lines, bands across seeds, and time traces.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::Axis;
pub use crate::chart::Dash;
use crate::chart::diamond_points;
use crate::chart::{
    Key, curve, draw_axes, draw_line, frame, legend, legend_rows, legend_rows_height, letter,
    x_area, xy_chart, y_area,
};
use crate::style::{C_GREY, INK, OKABE_ITO, extent, fill, padded, tick, tint};
use crate::{Accepts, Figure, FigureOptions, PlotError, Style, draw_err};

/// One line of a panel, with an optional band (e.g. mean ± SD) around it.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// Legend text ("" for no entry).
    pub label: String,
    /// x values.
    pub x: Vec<f64>,
    /// y values.
    pub y: Vec<f64>,
    /// Lower and upper edge of a band at each x (drawn as a light fill under the line).
    pub band: Option<(Vec<f64>, Vec<f64>)>,
    /// Palette index (Okabe–Ito: 0 black, 1 orange, 2 sky blue, 3 green, 4 blue, ...).
    pub colour: usize,
    /// Dash pattern.
    pub dash: Dash,
    /// Line width, points (0: the default 1 pt).
    pub width_pt: f64,
    /// A marker at each point (sweep values).
    pub markers: bool,
    /// Fill between the line and zero (volumes).
    pub fill_to_zero: bool,
}

/// One panel: series sharing a y axis (one unit).
#[derive(Debug, Clone, Default)]
pub struct Panel {
    /// y-axis title with unit.
    pub y_label: String,
    /// The series.
    pub series: Vec<Series>,
    /// Relative height (0: 1).
    pub weight: f64,
    /// Keep 0 inside the y axis (pressures, volumes, flows).
    pub include_zero: bool,
}

/// A row of event markers above the panels (R waves, balloon commands), optionally with the
/// interval between successive events printed in ms (RR intervals of an irregular rhythm).
#[derive(Debug, Clone, Default)]
pub struct EventRow {
    /// Row label, e.g. "R wave".
    pub label: String,
    /// Event times, in the x units (s).
    pub times: Vec<f64>,
    /// Palette index.
    pub colour: usize,
    /// Print the intervals (ms) between successive events.
    pub intervals: bool,
}

/// A legend entry given by the caller (instead of one per labelled series), e.g. colours for
/// runs and dash patterns for signals.
#[derive(Debug, Clone, Default)]
pub struct LegendEntry {
    /// Text.
    pub label: String,
    /// Palette index; None: grey (an entry that names a dash pattern, not a colour).
    pub colour: Option<usize>,
    /// Dash pattern.
    pub dash: Dash,
}

/// What a published value marks on a figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PublishedMark {
    /// A range of x (e.g. the stenosis at which a flow falls, from a paper): a light band
    /// over the full height of every panel.
    XRange(f64, f64),
    /// A level of y with its tolerance (value, ± tolerance; 0: none) across the first panel:
    /// a dashed line in a light band.
    YLevel(f64, f64),
    /// A point (x, y, ± tolerance on y; 0: none) on the first panel: an open diamond with an
    /// error bar.
    Point(f64, f64, f64),
}

/// A published value drawn beside the model, with the legend text naming its source.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// What is drawn.
    pub mark: PublishedMark,
    /// Legend text (the source and the value, e.g. "Gould 1974 (dogs): 30–45 %").
    pub label: String,
}

/// Colour of a published y level (Okabe–Ito reddish purple; its band a light tint).
const LEVEL: RGBColor = OKABE_ITO[6];

/// Fill colours of published x ranges, in order: light tints of Okabe–Ito yellow, blue and
/// vermillion (colour-blind safe; not grey, which the band of a black series' spread is, and
/// not the sky blue of the balloon-inflated shading).
fn range_colour(i: usize) -> RGBColor {
    const BASE: [(RGBColor, f64); 3] = [
        (RGBColor(240, 228, 66), 0.6),
        (OKABE_ITO[4], 0.8),
        (OKABE_ITO[5], 0.8),
    ];
    let (c, t) = BASE[i % BASE.len()];
    tint(c, t)
}

/// Stacked panels sharing one x axis.
#[derive(Debug, Clone, Default)]
pub struct PanelsFigure {
    /// Title.
    pub title: String,
    /// A line under the title (what was averaged, fixed values, ...).
    pub note: String,
    /// x-axis title with unit.
    pub x_label: String,
    /// Panels, top to bottom.
    pub panels: Vec<Panel>,
    /// Event rows drawn in a strip above the first panel.
    pub events: Vec<EventRow>,
    /// Shaded x intervals drawn behind every panel (e.g. balloon inflated), with their legend
    /// text.
    pub shades: Vec<(f64, f64)>,
    /// Legend text of the shading.
    pub shade_label: String,
    /// Default width, inches (0: one column).
    pub width_in: f64,
    /// The legend in rows under the plot (traces, whose data fill every corner) instead of in
    /// the emptiest corner of each panel.
    pub legend_below: bool,
    /// Legend entries replacing the series' own (drawn under the plot).
    pub legend: Vec<LegendEntry>,
    /// Published values beside the model (x ranges on every panel, y levels and points on
    /// the first), each with its own legend entry.
    pub published: Vec<Published>,
}

impl PanelsFigure {
    fn validate(&self) -> Result<(), PlotError> {
        if self.panels.is_empty() || self.panels.iter().all(|p| p.series.is_empty()) {
            return Err(PlotError::Data("no data to draw".into()));
        }
        for p in &self.panels {
            for s in &p.series {
                if s.x.len() != s.y.len() {
                    return Err(PlotError::Data(format!(
                        "{}: {} x values and {} y values",
                        s.label,
                        s.x.len(),
                        s.y.len()
                    )));
                }
                if let Some((lo, hi)) = &s.band
                    && (lo.len() != s.x.len() || hi.len() != s.x.len())
                {
                    return Err(PlotError::Data(format!(
                        "{}: the band has not one value per point",
                        s.label
                    )));
                }
            }
        }
        Ok(())
    }

    fn x_extent(&self) -> (f64, f64) {
        let published: Vec<f64> = self
            .published
            .iter()
            .flat_map(|p| match p.mark {
                PublishedMark::XRange(a, b) => vec![a, b],
                PublishedMark::Point(x, _, _) => vec![x],
                PublishedMark::YLevel(..) => vec![],
            })
            .collect();
        extent(
            self.panels
                .iter()
                .flat_map(|p| p.series.iter().flat_map(|s| s.x.iter()))
                .chain(published.iter()),
        )
    }

    /// The y values of the published marks drawn on the first panel (with tolerances).
    fn published_y(&self) -> Vec<f64> {
        self.published
            .iter()
            .flat_map(|p| match p.mark {
                PublishedMark::YLevel(y, t) | PublishedMark::Point(_, y, t) => {
                    vec![y - t.abs(), y + t.abs()]
                }
                PublishedMark::XRange(..) => vec![],
            })
            .collect()
    }

    /// The legend entries of the published values.
    fn published_entries(&self) -> Vec<(String, Key)> {
        let mut ranges = 0;
        self.published
            .iter()
            .map(|p| {
                let key = match p.mark {
                    PublishedMark::XRange(..) => {
                        let c = range_colour(ranges);
                        ranges += 1;
                        Key::Patch { colour: c, edge: c }
                    }
                    PublishedMark::YLevel(..) => Key::Line {
                        colour: LEVEL,
                        width_pt: 0.8,
                        dash: Dash::Dashed,
                        marker: false,
                    },
                    PublishedMark::Point(..) => Key::Diamond,
                };
                (p.label.clone(), key)
            })
            .collect()
    }

    /// The entries of the legend under the plot.
    fn below_entries(&self) -> Vec<(String, Key)> {
        if !self.legend.is_empty() {
            return self
                .legend
                .iter()
                .map(|e| {
                    let colour = e
                        .colour
                        .map(|c| OKABE_ITO[c % OKABE_ITO.len()])
                        .unwrap_or(crate::style::C_GREY);
                    (
                        e.label.clone(),
                        Key::Line {
                            colour,
                            width_pt: 1.0,
                            dash: e.dash,
                            marker: false,
                        },
                    )
                })
                .chain(self.shade_entry())
                .chain(self.published_entries())
                .collect();
        }
        if !self.legend_below {
            return Vec::new();
        }
        let mut v: Vec<(String, Key)> = Vec::new();
        for sr in self.panels.iter().flat_map(|p| p.series.iter()) {
            if !sr.label.is_empty() && !v.iter().any(|(t, _)| *t == sr.label) {
                v.push((sr.label.clone(), key_of(sr)));
            }
        }
        v.extend(self.shade_entry());
        v.extend(self.published_entries());
        v
    }

    fn shade_entry(&self) -> Option<(String, Key)> {
        (!self.shades.is_empty() && !self.shade_label.is_empty())
            .then(|| (self.shade_label.clone(), shade_key()))
    }

    fn has_markers(&self) -> bool {
        self.panels
            .iter()
            .any(|p| p.series.iter().any(|s| s.markers))
    }

    fn y_axis(&self, p: &Panel, first: bool, opts: &FigureOptions) -> Result<Axis, PlotError> {
        let published = if first {
            self.published_y()
        } else {
            Vec::new()
        };
        let (mut lo, mut hi) = extent(
            p.series
                .iter()
                .flat_map(|s| {
                    s.y.iter()
                        .chain(s.band.iter().flat_map(|(a, b)| a.iter().chain(b.iter())))
                })
                .chain(published.iter()),
        );
        if !lo.is_finite() {
            return Err(PlotError::Data(format!("{}: no finite values", p.y_label)));
        }
        if p.include_zero && !opts.logy {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        let (plo, phi) = if opts.logy {
            (lo / 1.15, hi * 1.15)
        } else {
            let (a, b) = padded(lo, hi, 0.08);
            // A zero floor stays a floor.
            (if lo >= 0.0 && a < 0.0 { 0.0 } else { a }, b)
        };
        // Headroom for a legend inside the panel, so that it does not cover the data.
        let labelled = p.series.iter().filter(|s| !s.label.is_empty()).count();
        let phi = if !self.legend_below && self.legend.is_empty() && labelled > 0 && !opts.logy {
            phi + (phi - plo) * (0.075 * labelled as f64).min(0.5)
        } else {
            phi
        };
        Axis::of(&p.y_label, (plo, phi), opts.ylim, opts.logy)
    }
}

impl Figure for PanelsFigure {
    fn default_width_in(&self) -> f64 {
        if self.width_in > 0.0 {
            self.width_in
        } else {
            crate::ONE_COLUMN_IN
        }
    }

    fn height_in(&self, width_in: f64, style: &Style) -> f64 {
        let grow = style.font_pt / crate::DEFAULT_FONT_PT;
        let width_units = (width_in * 72.0 * crate::UNITS_PER_PT) as u32;
        let legend = legend_rows_height(style, &self.below_entries(), width_units * 85 / 100)
            as f64
            / crate::UNITS_PER_PT
            / 72.0;
        let per = if self.panels.len() == 1 { 2.2 } else { 1.3 };
        // A panel at least as tall as its rotated axis title.
        let font = style.axis_font();
        let panels: f64 = self
            .panels
            .iter()
            .map(|p| {
                let w = if p.weight > 0.0 { p.weight } else { 1.0 };
                let title_in =
                    style.text_width(&font, &p.y_label) as f64 / crate::UNITS_PER_PT / 72.0;
                (w * per).max(title_in + 0.4)
            })
            .sum();
        let text = 0.55 + if self.note.is_empty() { 0.0 } else { 0.12 };
        (text * grow + panels + 0.17 * self.events.len() as f64 * grow + legend).min(9.5)
    }

    fn accepts(&self) -> Accepts {
        Accepts::ALL
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &FigureOptions,
    ) -> Result<(), PlotError> {
        self.validate()?;
        let s = &opts.style;
        let area = frame(root, opts, &self.title, &self.note)?;
        let (xlo, xhi) = self.x_extent();
        if !xlo.is_finite() {
            return Err(PlotError::Data(
                "no point with a finite x and y value in any series".into(),
            ));
        }
        let (xlo, xhi) = if self.has_markers() {
            padded(xlo, xhi, 0.04)
        } else {
            (xlo, xhi)
        };
        let xaxis = Axis::of(&self.x_label, (xlo, xhi), opts.xlim, opts.logx)?;
        let yaxes: Vec<Axis> = self
            .panels
            .iter()
            .enumerate()
            .map(|(i, p)| self.y_axis(p, i == 0, opts))
            .collect::<Result<_, _>>()?;
        let fmt = |v: f64| tick(v);
        let ya = yaxes
            .iter()
            .map(|a| y_area(s, a, &fmt, true))
            .max()
            .unwrap_or(0);
        // Heights: the event strip, then the panels by weight; the last one holds the x axis.
        let under = self.below_entries();
        let (w, h) = area.dim_in_pixel();
        let legend_h = legend_rows_height(s, &under, w.saturating_sub(ya));
        let (area, legend_area) = area.split_vertically(h.saturating_sub(legend_h));
        let (_, h) = area.dim_in_pixel();
        let strip = if self.events.is_empty() {
            0
        } else {
            s.sp(9.0) * self.events.len() as u32 + s.sp(2.0)
        };
        let xa_last = x_area(s, true, true);
        let xa_inner = x_area(s, false, false);
        let weights: Vec<f64> = self
            .panels
            .iter()
            .map(|p| if p.weight > 0.0 { p.weight } else { 1.0 })
            .collect();
        let total: f64 = weights.iter().sum();
        let n = self.panels.len();
        let fixed = strip + xa_last + xa_inner * (n as u32 - 1);
        let free = h.saturating_sub(fixed) as f64;
        let (strip_area, mut rest) = area.split_vertically(strip);
        let mut letter_i = 0;
        if !self.events.is_empty() {
            self.draw_events(&strip_area, s, xaxis, ya)?;
        }
        for (i, (p, yaxis)) in self.panels.iter().zip(&yaxes).enumerate() {
            let last = i + 1 == n;
            let xa = if last { xa_last } else { xa_inner };
            let ph = (free * weights[i] / total) as u32 + xa;
            let (cell, below) = if last {
                let d = rest.dim_in_pixel().1;
                rest.split_vertically(d)
            } else {
                rest.split_vertically(ph)
            };
            rest = below;
            // Room above each panel for its letter, clear of the rotated axis title.
            let lettered = n > 1 && opts.first_letter.is_some();
            let plot_cell = if lettered {
                cell.margin(s.sp(5.0), 0, 0, 0)
            } else {
                cell.clone()
            };
            let mut chart = xy_chart(&plot_cell, s, xa, ya, xaxis, *yaxis)?;
            draw_axes(
                &mut chart,
                s,
                last.then_some(self.x_label.as_str()),
                &p.y_label,
                last,
            )?;
            self.draw_shades(&mut chart, *yaxis)?;
            self.draw_published(&mut chart, s, (xaxis, *yaxis), i == 0, false)?;
            let mut entries = Vec::new();
            let mut data = Vec::new();
            for sr in &p.series {
                data.extend(draw_series(&mut chart, s, sr, *yaxis)?);
                entries.push((sr.label.clone(), key_of(sr)));
            }
            if i == 0 && !self.shades.is_empty() && !self.shade_label.is_empty() {
                entries.push((self.shade_label.clone(), shade_key()));
            }
            // Level lines and diamonds over the model's lines, so that they are not hidden.
            self.draw_published(&mut chart, s, (xaxis, *yaxis), i == 0, true)?;
            if i == 0 {
                entries.extend(self.published_entries());
            }
            // Unlabelled series need no legend (the axis names them).
            if under.is_empty() {
                legend(&chart, s, &entries, &data)?;
            }
            if n > 1 {
                letter(&cell, opts, letter_i)?;
                letter_i += 1;
            }
        }
        if n == 1 {
            letter(root, opts, 0)?;
        }
        legend_rows(&legend_area, s, &under, ya as i32)?;
        Ok(())
    }
}

/// The legend sample of a series.
fn key_of(sr: &Series) -> Key {
    let c = OKABE_ITO[sr.colour % OKABE_ITO.len()];
    if sr.band.is_some() {
        Key::Patch {
            colour: tint(c, 0.78),
            edge: c,
        }
    } else {
        Key::Line {
            colour: c,
            width_pt: if sr.width_pt > 0.0 { sr.width_pt } else { 1.0 },
            dash: sr.dash,
            marker: sr.markers,
        }
    }
}

/// The legend sample of the shading.
fn shade_key() -> Key {
    let c = tint(OKABE_ITO[2], 0.75);
    Key::Patch { colour: c, edge: c }
}

/// Draws one series (band, fill, line, markers); returns the points drawn.
fn draw_series<DB: DrawingBackend>(
    chart: &mut crate::chart::Chart<'_, DB>,
    s: &Style,
    sr: &Series,
    yaxis: Axis,
) -> Result<Vec<(f64, f64)>, PlotError> {
    let c = OKABE_ITO[sr.colour % OKABE_ITO.len()];
    let width = if sr.width_pt > 0.0 { sr.width_pt } else { 1.0 };
    let pts = curve(&sr.x, &sr.y);
    if let Some((lo, hi)) = &sr.band {
        let upper = curve(&sr.x, hi);
        let mut lower = curve(&sr.x, lo);
        lower.reverse();
        let poly: Vec<(f64, f64)> = upper.into_iter().chain(lower).collect();
        chart
            .draw_series(std::iter::once(Polygon::new(poly, fill(tint(c, 0.78)))))
            .map_err(draw_err)?;
    }
    if sr.fill_to_zero {
        let base = if yaxis.lo > 0.0 { yaxis.lo } else { 0.0 };
        chart
            .draw_series(AreaSeries::new(pts.clone(), base, tint(c, 0.7)))
            .map_err(draw_err)?;
    }
    let style = s.line(c, width);
    draw_line(chart, s, pts.clone(), style, sr.dash)?;
    if sr.markers {
        let r = s.isp(1.7);
        chart
            .draw_series(
                sr.x.iter()
                    .zip(&sr.y)
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .map(|(x, y)| Circle::new((*x, *y), r, fill(c))),
            )
            .map_err(draw_err)?;
    }
    Ok(pts)
}

impl PanelsFigure {
    /// Draws the published values: behind the data (`over` false: x ranges and y-level
    /// bands, on every panel / the first) or over it (`over` true: level lines, diamonds and
    /// error bars, the first panel).
    fn draw_published<DB: DrawingBackend>(
        &self,
        chart: &mut crate::chart::Chart<'_, DB>,
        s: &Style,
        (xaxis, yaxis): (Axis, Axis),
        first: bool,
        over: bool,
    ) -> Result<(), PlotError> {
        let (xlo, xhi) = (xaxis.lo, xaxis.hi);
        let band = tint(LEVEL, 0.8);
        let mut ranges = 0;
        for p in &self.published {
            match (p.mark, over) {
                (PublishedMark::XRange(a, b), false) => {
                    let c = range_colour(ranges);
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(a.min(b), yaxis.lo), (a.max(b), yaxis.hi)],
                            fill(c),
                        )))
                        .map_err(draw_err)?;
                }
                (PublishedMark::YLevel(y, t), false) if first && t != 0.0 => {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(xlo, y - t.abs()), (xhi, y + t.abs())],
                            fill(band),
                        )))
                        .map_err(draw_err)?;
                }
                (PublishedMark::YLevel(y, _), true) if first => {
                    draw_line(
                        chart,
                        s,
                        vec![(xlo, y), (xhi, y)],
                        s.line(LEVEL, 0.8),
                        Dash::Dashed,
                    )?;
                }
                (PublishedMark::Point(x, y, t), true) if first => {
                    if t != 0.0 {
                        let cap = s.isp(2.0);
                        let (lo, hi) = (y - t.abs(), y + t.abs());
                        chart
                            .draw_series(std::iter::once(PathElement::new(
                                vec![(x, lo), (x, hi)],
                                s.line(INK, 0.8),
                            )))
                            .map_err(draw_err)?;
                        chart
                            .draw_series([lo, hi].into_iter().map(|e| {
                                EmptyElement::at((x, e))
                                    + PathElement::new(vec![(-cap, 0), (cap, 0)], s.line(INK, 0.8))
                            }))
                            .map_err(draw_err)?;
                    }
                    let pts = diamond_points(s);
                    chart
                        .draw_series(std::iter::once(
                            EmptyElement::at((x, y))
                                + Polygon::new(pts.clone(), fill(WHITE))
                                + PathElement::new(pts, s.line(INK, 0.8)),
                        ))
                        .map_err(draw_err)?;
                }
                _ => {}
            }
            if matches!(p.mark, PublishedMark::XRange(..)) {
                ranges += 1;
            }
        }
        Ok(())
    }

    fn draw_shades<DB: DrawingBackend>(
        &self,
        chart: &mut crate::chart::Chart<'_, DB>,
        yaxis: Axis,
    ) -> Result<(), PlotError> {
        let c = tint(OKABE_ITO[2], 0.75);
        chart
            .draw_series(
                self.shades
                    .iter()
                    .map(|(a, b)| Rectangle::new([(*a, yaxis.lo), (*b, yaxis.hi)], fill(c))),
            )
            .map(|_| ())
            .map_err(draw_err)
    }

    fn draw_events<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: &Style,
        xaxis: Axis,
        y_area_units: u32,
    ) -> Result<(), PlotError> {
        let rows = self.events.len() as f64;
        let mut chart = ChartBuilder::on(area)
            .margin_left(s.sp(2.0))
            .margin_right(s.sp(6.0))
            .margin_top(s.sp(2.0))
            .y_label_area_size(y_area_units)
            .build_cartesian_2d(xaxis, Axis::linear(0.0, rows))
            .map_err(draw_err)?;
        for (i, row) in self.events.iter().enumerate() {
            let c = OKABE_ITO[row.colour % OKABE_ITO.len()];
            let y = rows - i as f64 - 0.5;
            let inside: Vec<f64> = row
                .times
                .iter()
                .copied()
                .filter(|t| *t >= xaxis.lo && *t <= xaxis.hi)
                .collect();
            chart
                .draw_series(inside.iter().map(|t| {
                    EmptyElement::at((*t, y))
                        + PathElement::new(vec![(0, -s.isp(3.2)), (0, s.isp(3.2))], s.line(c, 1.0))
                }))
                .map_err(draw_err)?;
            if row.intervals {
                chart
                    .draw_series(inside.windows(2).map(|w| {
                        Text::new(
                            format!("{:.0}", (w[1] - w[0]) * 1000.0),
                            ((w[0] + w[1]) / 2.0, y),
                            s.small_font()
                                .color(&C_GREY)
                                .pos(Pos::new(HPos::Center, VPos::Center)),
                        )
                    }))
                    .map_err(draw_err)?;
            }
            // Row label right-aligned in the y label area.
            let (px, py) = chart.as_coord_spec().translate(&(xaxis.lo, y));
            let (ox, oy) = area.get_base_pixel();
            area.draw(&Text::new(
                row.label.clone(),
                (px - ox - s.isp(3.0), py - oy),
                s.small_font().pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(draw_err)?;
        }
        Ok(())
    }
}

/// The intervals in which the balloon holds more than 10 % of its largest volume (inflated).
pub fn inflated_intervals(time_s: &[f64], volume_ml: &[f64]) -> Vec<(f64, f64)> {
    let vmax = volume_ml.iter().cloned().fold(0.0, f64::max);
    let mut out = Vec::new();
    if vmax <= 0.0 {
        return out;
    }
    let mut open: Option<f64> = None;
    for (t, v) in time_s.iter().zip(volume_ml) {
        match (*v > 0.1 * vmax, open) {
            (true, None) => open = Some(*t),
            (false, Some(a)) => {
                out.push((a, *t));
                open = None;
            }
            _ => {}
        }
    }
    if let (Some(a), Some(&t)) = (open, time_s.last()) {
        out.push((a, t));
    }
    out
}
