//! Plain-text tables for the terminal.

/// Columns of text, left-aligned except for columns whose every cell looks numeric.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are empty).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Renders with two spaces between columns.
    pub fn render(&self) -> String {
        let ncol = self.header.len();
        let cell = |r: &Vec<String>, j: usize| r.get(j).cloned().unwrap_or_default();
        let mut width = vec![0usize; ncol];
        let mut numeric = vec![true; ncol];
        for (j, h) in self.header.iter().enumerate() {
            width[j] = h.chars().count();
        }
        for r in &self.rows {
            for j in 0..ncol {
                let c = cell(r, j);
                width[j] = width[j].max(c.chars().count());
                if !c.is_empty()
                    && c.trim_start_matches(['+', '-']).parse::<f64>().is_err()
                    && c != "-"
                {
                    numeric[j] = false;
                }
            }
        }
        let fmt_row = |r: &Vec<String>| {
            let mut line = String::new();
            for j in 0..ncol {
                let c = cell(r, j);
                let pad = width[j] - c.chars().count();
                if j > 0 {
                    line.push_str("  ");
                }
                if numeric[j] {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(&c);
                } else {
                    line.push_str(&c);
                    if j + 1 < ncol {
                        line.push_str(&" ".repeat(pad));
                    }
                }
            }
            line.trim_end().to_string() + "\n"
        };
        let mut out = fmt_row(&self.header);
        out.push_str(&fmt_row(&width.iter().map(|w| "-".repeat(*w)).collect()));
        for r in &self.rows {
            out.push_str(&fmt_row(r));
        }
        out
    }
}
