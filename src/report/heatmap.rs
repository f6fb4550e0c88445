//! Heat maps: a grid of cells (rows × columns), one panel per value of a
//! third key, each cell a number on a shared colour scale, a category, or
//! one of two marks a number cannot stand for: "never" (the quantity was
//! not reached within the runs) and "no data" (nothing to measure).

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{ChartError, register_fonts};

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A value on the colour scale.
    Value(f64),
    /// A category: its text and its colour index.
    Category(String, usize),
    /// Not reached within the runs (e.g. a percentile over states still held).
    Never,
    /// Nothing to measure here.
    NoData,
}

/// One panel: a title and `rows × columns` cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Its title (the panel key's value).
    pub title: String,
    /// Cells, row-major.
    pub cells: Vec<Vec<Cell>>,
}

/// A heat map.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatMap {
    /// Title.
    pub title: String,
    /// Lines under the colour key.
    pub notes: Vec<String>,
    /// What the rows are (y axis), and their labels top to bottom.
    pub row_label: String,
    /// Row labels.
    pub rows: Vec<String>,
    /// What the columns are (x axis), and their labels left to right.
    pub column_label: String,
    /// Column labels.
    pub columns: Vec<String>,
    /// Panels, drawn left to right then top to bottom.
    pub panels: Vec<Panel>,
    /// The values' unit, shown on the key ("s", "" for counts).
    pub unit: String,
    /// Colour by log10 of the value (for spans of seconds to hours).
    pub log: bool,
    /// Category names by colour index, for the key.
    pub categories: Vec<String>,
}

const CELL: (i32, i32) = (76, 30);
const ROW_LABELS: i32 = 104;
const PANEL_TOP: i32 = 58;
const PANEL_GAP: i32 = 30;
const PANELS_PER_LINE: usize = 3;
const TITLE_H: i32 = 44;
const KEY_H: i32 = 60;
const NOTE_H: i32 = 18;
const NEVER: RGBColor = RGBColor(120, 20, 30);
const NO_DATA: RGBColor = RGBColor(225, 225, 225);
/// Light to dark (ColorBrewer YlGnBu, 5 stops).
const RAMP: [RGBColor; 5] = [
    RGBColor(255, 255, 204),
    RGBColor(161, 218, 180),
    RGBColor(65, 182, 196),
    RGBColor(44, 127, 184),
    RGBColor(37, 52, 148),
];
/// Category colours (ColorBrewer Set2).
const CATEGORY: [RGBColor; 6] = [
    RGBColor(102, 194, 165),
    RGBColor(252, 141, 98),
    RGBColor(141, 160, 203),
    RGBColor(231, 138, 195),
    RGBColor(166, 216, 84),
    RGBColor(255, 217, 47),
];

/// A value as a short label: 3 significant figures, k for thousands.
pub fn short(v: f64) -> String {
    if v.abs() >= 10_000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if v.abs() >= 1000.0 {
        format!("{:.2}k", v / 1000.0)
    } else if v.abs() >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

impl HeatMap {
    fn panel_size(&self) -> (i32, i32) {
        (
            ROW_LABELS + CELL.0 * self.columns.len() as i32,
            PANEL_TOP + CELL.1 * self.rows.len() as i32 + 36,
        )
    }

    /// The canvas: panels three to a line, the key and notes below.
    fn size(&self) -> (u32, u32) {
        let (pw, ph) = self.panel_size();
        let across = self.panels.len().clamp(1, PANELS_PER_LINE) as i32;
        let down = self.panels.len().div_ceil(PANELS_PER_LINE).max(1) as i32;
        let w = (across * (pw + PANEL_GAP) + PANEL_GAP).max(700);
        let h = TITLE_H + down * (ph + PANEL_GAP) + KEY_H + NOTE_H * self.notes.len() as i32 + 20;
        (w as u32, h as u32)
    }

    /// The scale's ends: the smallest and largest value of any panel.
    fn range(&self) -> Option<(f64, f64)> {
        let vals: Vec<f64> = self
            .panels
            .iter()
            .flat_map(|p| p.cells.iter().flatten())
            .filter_map(|c| match c {
                Cell::Value(v) if v.is_finite() && (!self.log || *v > 0.0) => Some(*v),
                _ => None,
            })
            .collect();
        let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        lo.is_finite().then_some((lo, hi))
    }

    fn ramp(&self, v: f64, (lo, hi): (f64, f64)) -> RGBColor {
        let f = |x: f64| if self.log { x.max(1e-9).log10() } else { x };
        let t = if hi > lo {
            ((f(v) - f(lo)) / (f(hi) - f(lo))).clamp(0.0, 1.0)
        } else {
            0.5
        };
        let x = t * (RAMP.len() - 1) as f64;
        let i = (x.floor() as usize).min(RAMP.len() - 2);
        let u = x - i as f64;
        let (a, b) = (RAMP[i], RAMP[i + 1]);
        let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * u).round() as u8;
        RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// Fill and text colour of a cell, and its text.
    fn look(&self, c: &Cell, range: Option<(f64, f64)>) -> (RGBColor, RGBColor, String) {
        match c {
            Cell::Value(v) => {
                let fill = range.map_or(RAMP[0], |r| self.ramp(*v, r));
                let light = (fill.0 as u32 + fill.1 as u32 + fill.2 as u32) > 400;
                (fill, if light { BLACK } else { WHITE }, short(*v))
            }
            Cell::Category(t, i) => (CATEGORY[i % CATEGORY.len()], BLACK, t.clone()),
            Cell::Never => (NEVER, WHITE, "never".into()),
            Cell::NoData => (NO_DATA, RGBColor(90, 90, 90), "-".into()),
        }
    }

    /// Draws the map to `path` (`.svg` or `.png`).
    pub fn render(&self, path: &Path) -> Result<(), ChartError> {
        register_fonts();
        let shown = path.display().to_string();
        let err = |e: &dyn std::fmt::Display| ChartError::Backend {
            path: shown.clone(),
            message: e.to_string(),
        };
        if self.panels.is_empty() || self.rows.is_empty() || self.columns.is_empty() {
            return Err(ChartError::NoData(self.title.clone()));
        }
        let size = self.size();
        match path.extension().and_then(|e| e.to_str()) {
            Some("svg") => {
                let root = SVGBackend::new(path, size).into_drawing_area();
                self.draw(&root).map_err(|e| err(&e))?;
                root.present().map_err(|e| err(&e))
            }
            Some("png") => {
                let root = BitMapBackend::new(path, size).into_drawing_area();
                self.draw(&root).map_err(|e| err(&e))?;
                root.present().map_err(|e| err(&e))
            }
            _ => Err(ChartError::UnknownFormat(shown)),
        }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let text = |size: u32| ("sans-serif", size).into_font();
        let centre = Pos::new(HPos::Center, VPos::Center);
        root.draw(&Text::new(self.title.clone(), (PANEL_GAP, 12), text(22)))?;
        let range = self.range();
        let (pw, ph) = self.panel_size();
        for (k, panel) in self.panels.iter().enumerate() {
            let ox = PANEL_GAP + (k % PANELS_PER_LINE) as i32 * (pw + PANEL_GAP);
            let oy = TITLE_H + (k / PANELS_PER_LINE) as i32 * (ph + PANEL_GAP);
            root.draw(&Text::new(
                panel.title.clone(),
                (ox + ROW_LABELS, oy + 4),
                text(17),
            ))?;
            let top = oy + PANEL_TOP;
            for (j, c) in self.columns.iter().enumerate() {
                let x = ox + ROW_LABELS + j as i32 * CELL.0 + CELL.0 / 2;
                root.draw(&Text::new(
                    c.clone(),
                    (x, top - 12),
                    text(12).color(&BLACK).pos(centre),
                ))?;
            }
            for (i, r) in self.rows.iter().enumerate() {
                let y = top + i as i32 * CELL.1;
                root.draw(&Text::new(
                    r.clone(),
                    (ox + ROW_LABELS - 6, y + CELL.1 / 2),
                    text(12)
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Right, VPos::Center)),
                ))?;
                for (j, cell) in panel.cells[i].iter().enumerate() {
                    let x = ox + ROW_LABELS + j as i32 * CELL.0;
                    let (fill, ink, label) = self.look(cell, range);
                    root.draw(&Rectangle::new(
                        [(x, y), (x + CELL.0 - 2, y + CELL.1 - 2)],
                        fill.filled(),
                    ))?;
                    root.draw(&Text::new(
                        label,
                        (x + CELL.0 / 2 - 1, y + CELL.1 / 2 - 1),
                        text(12).color(&ink).pos(centre),
                    ))?;
                }
            }
            let bottom = top + CELL.1 * self.rows.len() as i32;
            root.draw(&Text::new(
                format!("rows: {}; columns: {}", self.row_label, self.column_label),
                (ox + 4, bottom + 8),
                text(12),
            ))?;
        }
        // The key: the ramp with its ends, then the marks.
        let down = self.panels.len().div_ceil(PANELS_PER_LINE) as i32;
        let ky = TITLE_H + down * (ph + PANEL_GAP) + 4;
        let mut kx = PANEL_GAP;
        if let Some((lo, hi)) = range {
            for s in 0..=100 {
                let t = s as f64 / 100.0;
                let v = if self.log {
                    10f64.powf(lo.max(1e-9).log10() * (1.0 - t) + hi.max(1e-9).log10() * t)
                } else {
                    lo + (hi - lo) * t
                };
                let x = kx + s * 3;
                root.draw(&Rectangle::new(
                    [(x, ky), (x + 3, ky + 18)],
                    self.ramp(v, (lo, hi)).filled(),
                ))?;
            }
            let unit = if self.unit.is_empty() {
                String::new()
            } else {
                format!(" {}", self.unit)
            };
            root.draw(&Text::new(
                format!("{}{unit}", short(lo)),
                (kx, ky + 22),
                text(12),
            ))?;
            root.draw(&Text::new(
                format!(
                    "{}{unit}{}",
                    short(hi),
                    if self.log { " (log scale)" } else { "" }
                ),
                (kx + 230, ky + 22),
                text(12),
            ))?;
            kx += 360;
        }
        let mut marks: Vec<(RGBColor, String)> = self
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| (CATEGORY[i % CATEGORY.len()], c.clone()))
            .collect();
        marks.push((NEVER, "never: not reached within the runs".into()));
        marks.push((NO_DATA, "-: nothing to measure".into()));
        for (fill, label) in marks {
            root.draw(&Rectangle::new(
                [(kx, ky), (kx + 18, ky + 18)],
                fill.filled(),
            ))?;
            root.draw(&Text::new(label.clone(), (kx + 24, ky + 3), text(12)))?;
            kx += 34 + 7 * label.chars().count() as i32;
        }
        for (i, n) in self.notes.iter().enumerate() {
            root.draw(&Text::new(
                n.clone(),
                (PANEL_GAP, ky + 44 + i as i32 * NOTE_H),
                text(12),
            ))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_labels_keep_three_figures() {
        assert_eq!(short(43_230.0), "43.2k");
        assert_eq!(short(1_862.4), "1.86k");
        assert_eq!(short(212.6), "213");
        assert_eq!(short(30.0), "30");
        assert_eq!(short(12.34), "12.3");
        assert_eq!(short(0.25), "0.25");
    }
}
