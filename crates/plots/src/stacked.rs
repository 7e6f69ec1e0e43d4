//! Figures stacked in one file, one below the other, each with its own title, lettered A, B,
//! ... when letters are on: e.g. Sobol' indices above a tornado chart, or a distribution above
//! the inputs that separate responders.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{Accepts, BarsFigure, Figure, FigureOptions, PanelsFigure, PlotError, Style};

/// One part of a stacked figure.
#[derive(Debug, Clone)]
pub enum Part {
    /// Horizontal bars.
    Bars(BarsFigure),
    /// Panels sharing an x axis.
    Panels(PanelsFigure),
}

impl Part {
    fn height_in(&self, w: f64, style: &Style) -> f64 {
        match self {
            Part::Bars(f) => f.height_in(w, style),
            Part::Panels(f) => f.height_in(w, style),
        }
    }

    fn title(&self) -> &str {
        match self {
            Part::Bars(f) => &f.title,
            Part::Panels(f) => &f.title,
        }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        opts: &FigureOptions,
    ) -> Result<(), PlotError> {
        match self {
            Part::Bars(f) => f.draw(area, opts),
            Part::Panels(f) => f.draw(area, opts),
        }
    }
}

/// Parts stacked vertically; heights in proportion to each part's own height.
#[derive(Debug, Clone, Default)]
pub struct StackedFigure {
    /// The parts, top to bottom.
    pub parts: Vec<Part>,
    /// Default width, inches (0: one column).
    pub width_in: f64,
}

impl Figure for StackedFigure {
    fn default_width_in(&self) -> f64 {
        if self.width_in > 0.0 {
            self.width_in
        } else {
            crate::ONE_COLUMN_IN
        }
    }

    fn height_in(&self, w: f64, style: &Style) -> f64 {
        self.parts
            .iter()
            .map(|p| p.height_in(w, style))
            .sum::<f64>()
            .min(11.0)
    }

    fn accepts(&self) -> Accepts {
        // Limits would apply to parts of different axes: none.
        Accepts::NONE
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &FigureOptions,
    ) -> Result<(), PlotError> {
        if self.parts.is_empty() {
            return Err(PlotError::Data("no parts to draw".into()));
        }
        let (w, h) = root.dim_in_pixel();
        let width_in = w as f64 / crate::UNITS_PER_PT / 72.0;
        let heights: Vec<f64> = self
            .parts
            .iter()
            .map(|p| p.height_in(width_in, &opts.style))
            .collect();
        let total: f64 = heights.iter().sum();
        let mut rest = root.clone();
        for (i, p) in self.parts.iter().enumerate() {
            let ph = (h as f64 * heights[i] / total) as u32;
            let (cell, below) = if i + 1 == self.parts.len() {
                let d = rest.dim_in_pixel().1;
                rest.split_vertically(d)
            } else {
                rest.split_vertically(ph)
            };
            rest = below;
            // Each part its own title (the user's `--title ""` removes them all) and letter.
            let part_opts = FigureOptions {
                title: match &opts.title {
                    Some(t) if t.is_empty() => Some(String::new()),
                    Some(t) if i == 0 => Some(t.clone()),
                    _ => Some(p.title().to_string()),
                },
                first_letter: opts.letter(i),
                ..opts.clone()
            };
            p.draw(&cell, &part_opts)?;
        }
        Ok(())
    }
}
