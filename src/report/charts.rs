//! Charts drawn with plotters, to SVG or PNG by file extension.
//!
//! plotters is built without system font libraries (no fontconfig/freetype):
//! text is rendered by `ab_glyph` from Noto Sans compiled into the binary,
//! registered under the family `sans-serif` on first use. Both backends need
//! it, because plotters measures text to lay out axes even for SVG.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    /// The path has no `.svg` or `.png` extension.
    #[error("chart path {0}: the extension must be .svg or .png")]
    UnknownFormat(String),
    /// A series held no point, or only non-finite values.
    #[error("chart '{0}' has no finite data points to draw")]
    NoData(String),
    /// The backend failed (I/O, encoding).
    #[error("drawing chart {path}: {message}")]
    Backend {
        /// The output file.
        path: String,
        /// What the backend reported.
        message: String,
    },
}

/// Registers the embedded font for every style plotters may ask for. Idempotent.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [
            FontStyle::Normal,
            FontStyle::Bold,
            FontStyle::Italic,
            FontStyle::Oblique,
        ] {
            register_font("sans-serif", style, ttf_noto_sans::REGULAR)
                .unwrap_or_else(|_| panic!("the embedded Noto Sans font must parse"));
        }
    });
}

/// One named line of `(x, y)` points.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Error-bar half-widths per point (empty: no bars; NaN: no bar there).
    pub errors: Vec<f64>,
    /// Text drawn next to each point (empty: none).
    pub labels: Vec<String>,
    /// Per point: drawn hollow, because it rests on few samples (empty: none).
    pub weak: Vec<bool>,
    /// x positions where the value exists but was not reached (a percentile
    /// too few states got to): drawn as a triangle at the top of the plot.
    pub not_reached: Vec<f64>,
    /// Palette index; `None`: the series' position. Lets related lines share a colour.
    pub color: Option<usize>,
    /// Draw the line dashed (e.g. the p50 beside a solid p95).
    pub dashed: bool,
    /// Draw markers only, no line (a scatter of candidates).
    pub scatter: bool,
}

impl Series {
    /// The finite points with their error half-width (0 when none), label
    /// and whether they are weak.
    fn drawable(&self) -> impl Iterator<Item = ((f64, f64), f64, &str, bool)> + '_ {
        self.points.iter().enumerate().filter_map(|(i, &(x, y))| {
            let e = self
                .errors
                .get(i)
                .copied()
                .filter(|e| e.is_finite())
                .unwrap_or(0.0);
            let label = self.labels.get(i).map_or("", String::as_str);
            let weak = self.weak.get(i).copied().unwrap_or(false);
            (x.is_finite() && y.is_finite()).then_some(((x, y), e, label, weak))
        })
    }
}

/// A line chart of non-negative quantities: title, axis labels (with
/// units), series, and notes under the legend. Axes start at 0, error bars
/// stop at 0, and the legend sits outside the plot, so it hides no data.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Title drawn above the plot.
    pub title: String,
    /// X axis label, units included, e.g. `session-expires (s)`.
    pub x_label: String,
    /// Y axis label, units included.
    pub y_label: String,
    /// The lines to draw.
    pub series: Vec<Series>,
    /// Lines of text under the legend (what hollow markers mean, say).
    pub notes: Vec<String>,
    /// The x values are log10 of the quantity: the axis spans whole decades
    /// and is labelled in the quantity itself (1, 10, 100, …).
    pub log_x: bool,
    /// Names of a categorical x axis: x = i is `x_categories[i]`, and the
    /// axis shows the names. Empty: x is a quantity.
    pub x_categories: Vec<String>,
}

/// Tick label of a categorical axis: the name at each whole position.
fn category(names: &[String], v: f64) -> String {
    if (v - v.round()).abs() > 1e-9 || v < -0.5 {
        return String::new();
    }
    names.get(v.round() as usize).cloned().unwrap_or_default()
}

/// Tick labels of a log10 axis: the quantity at each whole decade, nothing between.
fn decade(v: &f64) -> String {
    if (v - v.round()).abs() > 1e-9 {
        return String::new();
    }
    let x = 10f64.powf(v.round());
    if x >= 1.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// Tick labels with as many decimals as the axis span needs.
fn tick(span: f64) -> impl Fn(&f64) -> String {
    let prec = if span >= 20.0 {
        0
    } else if span >= 2.0 {
        1
    } else {
        2
    };
    move |x| format!("{x:.prec$}")
}

/// Series with more points than this are drawn without point markers.
const MAX_MARKERS: usize = 50;

const PALETTE: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
];

/// Canvas size (at least), and the width of the plot; the rest holds the legend.
const SIZE: (u32, u32) = (1000, 500);
const PLOT_W: u32 = 740;
/// The legend's top margin, and the first entry's offset below it.
const LEGEND_MARGIN: u32 = 56;
const LEGEND_TOP: i32 = 18;

/// A legend text in lines: about 30 characters fit beside a swatch.
fn wrap(text: &str) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let last = lines.last_mut().expect("one line");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > 30 {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

/// Marker shapes, one per series in turn, so lines that coincide stay visible.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
}

const SHAPES: [Shape; 4] = [
    Shape::Circle,
    Shape::Square,
    Shape::Triangle,
    Shape::Diamond,
];

/// Pixel offsets of each shape's outline, centred on the point.
fn outline(shape: Shape) -> Vec<(i32, i32)> {
    match shape {
        Shape::Circle => (0..=16)
            .map(|k| {
                let a = std::f64::consts::TAU * f64::from(k) / 16.0;
                (
                    (4.5 * a.cos()).round() as i32,
                    (4.5 * a.sin()).round() as i32,
                )
            })
            .collect(),
        Shape::Square => vec![(-4, -4), (4, -4), (4, 4), (-4, 4), (-4, -4)],
        Shape::Triangle => vec![(0, -5), (5, 4), (-5, 4), (0, -5)],
        Shape::Diamond => vec![(0, -5), (5, 0), (0, 5), (-5, 0), (0, -5)],
    }
}

/// A series' point labels; points that coincide share one label:
/// "first–last" for numbers (a range of intervals), the names joined by
/// commas otherwise (modes, products: no range between them).
fn point_labels(s: &Series) -> Vec<((f64, f64), String)> {
    let mut out: Vec<((f64, f64), Vec<String>)> = Vec::new();
    for (p, _, l, _) in s.drawable().filter(|(_, _, l, _)| !l.is_empty()) {
        match out.last_mut() {
            Some((q, names)) if *q == p => names.push(l.to_string()),
            _ => out.push((p, vec![l.to_string()])),
        }
    }
    out.into_iter()
        .map(|(p, names)| {
            let text = match names.as_slice() {
                [one] => one.clone(),
                [first, .., last] if names.iter().all(|n| n.parse::<f64>().is_ok()) => {
                    format!("{first}–{last}")
                }
                _ => names.join(", "),
            };
            (p, text)
        })
        .collect()
}

impl LineChart {
    /// Axis ranges covering every finite point, from 0 (the quantities are
    /// non-negative), padded by 5% at the top and right; with extra headroom
    /// for not-reached markers.
    fn ranges(&self) -> Option<((f64, f64), (f64, f64))> {
        let (mut x0, mut x1, mut y1) = (f64::MAX, f64::MIN, f64::MIN);
        let mut any = false;
        for ((x, y), e, _, _) in self.series.iter().flat_map(Series::drawable) {
            any = true;
            (x0, x1, y1) = (x0.min(x), x1.max(x), y1.max(y + e));
        }
        for x in self.series.iter().flat_map(|s| &s.not_reached) {
            any = true;
            x1 = x1.max(*x);
        }
        if !any {
            return None;
        }
        let top = |hi: f64| if hi > 0.0 { hi * 1.05 } else { 1.0 };
        let mut y = top(y1.max(0.0));
        if self.series.iter().any(|s| !s.not_reached.is_empty()) {
            y *= 1.08;
        }
        if self.log_x {
            return Some(((x0.floor(), x1.ceil().max(x0.floor() + 1.0)), (0.0, y)));
        }
        if !self.x_categories.is_empty() {
            return Some(((-0.5, self.x_categories.len() as f64 - 0.5), (0.0, y)));
        }
        Some(((0.0, top(x1.max(0.0))), (0.0, y)))
    }

    /// The chart as SVG text (to embed in a page).
    pub fn svg_string(&self) -> Result<String, ChartError> {
        register_fonts();
        let mut out = String::new();
        {
            let root =
                SVGBackend::with_string(&mut out, (SIZE.0, self.height())).into_drawing_area();
            let err = |e: &dyn std::fmt::Display| ChartError::Backend {
                path: self.title.clone(),
                message: e.to_string(),
            };
            self.draw(&root).map_err(|e| err(&e))?;
            root.present().map_err(|e| err(&e))?;
        }
        Ok(out)
    }

    /// Draws the chart to `path` (`.svg` or `.png`, 1000×500 pixels).
    pub fn render(&self, path: &Path) -> Result<(), ChartError> {
        register_fonts();
        let shown = path.display().to_string();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let backend_err = |e: &dyn std::fmt::Display| ChartError::Backend {
            path: shown.clone(),
            message: e.to_string(),
        };
        match ext {
            "svg" => {
                let root = SVGBackend::new(path, (SIZE.0, self.height())).into_drawing_area();
                self.draw(&root).map_err(|e| backend_err(&e))?;
                root.present().map_err(|e| backend_err(&e))
            }
            "png" => {
                let root = BitMapBackend::new(path, (SIZE.0, self.height())).into_drawing_area();
                self.draw(&root).map_err(|e| backend_err(&e))?;
                root.present().map_err(|e| backend_err(&e))
            }
            _ => Err(ChartError::UnknownFormat(shown)),
        }
    }

    fn color(&self, i: usize) -> RGBColor {
        PALETTE[self.series[i].color.unwrap_or(i) % PALETTE.len()]
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), ChartError>
    where
        DB::ErrorType: 'static,
    {
        let fail = |e: &dyn std::fmt::Display| ChartError::Backend {
            path: self.title.clone(),
            message: e.to_string(),
        };
        let ((x0, x1), (y0, y1)) = self
            .ranges()
            .ok_or_else(|| ChartError::NoData(self.title.clone()))?;
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let (plot, legend) = root.split_horizontally(PLOT_W);
        let legend = legend.margin(LEGEND_MARGIN, 0, 0, 0);
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, ("sans-serif", 24))
            .margin(10)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&|v| {
                if !self.x_categories.is_empty() {
                    category(&self.x_categories, *v)
                } else if self.log_x {
                    decade(v)
                } else {
                    tick(x1 - x0)(v)
                }
            })
            .y_label_formatter(&tick(y1 - y0))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .draw()
            .map_err(|e| fail(&e))?;
        for (i, s) in self.series.iter().enumerate() {
            let color = self.color(i);
            let shape = SHAPES[i % SHAPES.len()];
            let pts: Vec<(f64, f64)> = s.drawable().map(|(p, ..)| p).collect();
            // Markers help a sweep's few points; on a CDF's thousands they only
            // blur. Markers of coinciding lines are staggered by a few pixels,
            // so each stays visible, and their error bars move with them.
            // Lines without markers are drawn wider the earlier they come, so
            // a line under a later, identical one shows as its border.
            let markers = pts.len() <= MAX_MARKERS;
            let width = if markers {
                2
            } else {
                2 + 2 * (self.series.len() - 1 - i).min(3) as u32
            };
            if !s.scatter {
                if s.dashed {
                    chart.draw_series(DashedLineSeries::new(
                        pts.iter().copied(),
                        8,
                        5,
                        color.stroke_width(width),
                    ))
                } else {
                    chart.draw_series(LineSeries::new(
                        pts.iter().copied(),
                        color.stroke_width(width),
                    ))
                }
                .map_err(|e| fail(&e))?;
            }
            let stagger = if markers {
                (i as i32 - self.series.len() as i32 / 2) * 3
            } else {
                0
            };
            // Error bars, stopping at 0: the quantities are non-negative.
            let coord = chart.as_coord_spec().clone();
            let px = |x: f64, y: f64| coord.translate(&(x, y)).1;
            chart
                .draw_series(
                    s.drawable()
                        .filter(|(_, e, ..)| *e > 0.0)
                        .map(|((x, y), e, ..)| {
                            let (lo, mid, hi) = (px(x, (y - e).max(0.0)), px(x, y), px(x, y + e));
                            let (lo, hi) = (lo - mid, hi - mid);
                            let style = color.stroke_width(1);
                            EmptyElement::at((x, y))
                                + PathElement::new(vec![(stagger, lo), (stagger, hi)], style)
                                + PathElement::new(
                                    vec![(stagger - 4, lo), (stagger + 4, lo)],
                                    style,
                                )
                                + PathElement::new(
                                    vec![(stagger - 4, hi), (stagger + 4, hi)],
                                    style,
                                )
                        }),
                )
                .map_err(|e| fail(&e))?;
            // Hollow: the point rests on few samples.
            if markers {
                let shifted: Vec<(i32, i32)> = outline(shape)
                    .into_iter()
                    .map(|(x, y)| (x + stagger, y))
                    .collect();
                chart
                    .draw_series(s.drawable().map(|(p, _, _, weak)| {
                        let style = if weak {
                            ShapeStyle::from(&WHITE).filled()
                        } else {
                            color.filled()
                        };
                        EmptyElement::at(p)
                            + Polygon::new(shifted.clone(), style)
                            + PathElement::new(shifted.clone(), color.stroke_width(2))
                    }))
                    .map_err(|e| fail(&e))?;
            }
            // Not reached: a triangle pointing up at the top edge, shifted
            // sideways by series so that marks at one x stay apart.
            let top = y1 * 0.97;
            let dx = (i as i32 - self.series.len() as i32 / 2) * 11;
            chart
                .draw_series(s.not_reached.iter().map(|&x| {
                    EmptyElement::at((x, top))
                        + Polygon::new(vec![(dx, -7), (dx + 6, 4), (dx - 6, 4)], color.filled())
                }))
                .map_err(|e| fail(&e))?;
            // Point labels alternate above and below from point to point and
            // from series to series, so neighbours do not collide.
            chart
                .draw_series(point_labels(s).into_iter().enumerate().map(|(k, (p, l))| {
                    let offset = if (i + k) % 2 == 0 { (7, -18) } else { (7, 5) };
                    EmptyElement::at(p)
                        + Text::new(l, offset, ("sans-serif", 13).into_font().color(&color))
                }))
                .map_err(|e| fail(&e))?;
        }
        self.draw_legend(&legend).map_err(|e| fail(&e))
    }

    /// The canvas height: 500 px, or more when the legend needs it (many
    /// lines), so that no legend entry is cut off.
    fn height(&self) -> u32 {
        let lines = |t: &str| wrap(t).len() as u32;
        let mut y = LEGEND_MARGIN + LEGEND_TOP as u32;
        y += self
            .series
            .iter()
            .map(|s| 16 * lines(&s.name) + 4)
            .sum::<u32>();
        if self.series.iter().any(|s| !s.not_reached.is_empty()) {
            y += 16 * lines("not reached: too few states freed") + 4;
        }
        y += self.notes.iter().map(|n| 6 + 16 * lines(n)).sum::<u32>();
        SIZE.1.max(y + 12)
    }

    /// The legend, outside the plot: a swatch per series (dashed if the
    /// line is, with its marker), then the notes.
    fn draw_legend<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let font = ("sans-serif", 13).into_font();
        let mut y = LEGEND_TOP;
        for (i, s) in self.series.iter().enumerate() {
            let color = self.color(i);
            let shape = SHAPES[i % SHAPES.len()];
            let mid = y + 6;
            if s.dashed {
                for x in [4, 16] {
                    area.draw(&PathElement::new(
                        [(x, mid), (x + 8, mid)],
                        color.stroke_width(2),
                    ))?;
                }
            } else {
                area.draw(&PathElement::new(
                    [(4, mid), (28, mid)],
                    color.stroke_width(2),
                ))?;
            }
            area.draw(
                &(EmptyElement::at((16, mid))
                    + Polygon::new(outline(shape), color.filled())
                    + PathElement::new(outline(shape), color.stroke_width(2))),
            )?;
            for line in wrap(&s.name) {
                area.draw(&Text::new(line, (36, y), font.clone()))?;
                y += 16;
            }
            y += 4;
        }
        if self.series.iter().any(|s| !s.not_reached.is_empty()) {
            area.draw(
                &(EmptyElement::at((16, y + 6))
                    + Polygon::new(vec![(0, -7), (7, 5), (-7, 5)], BLACK.filled())),
            )?;
            for line in wrap("not reached: too few states freed") {
                area.draw(&Text::new(line, (36, y), font.clone()))?;
                y += 16;
            }
            y += 4;
        }
        for note in &self.notes {
            y += 6;
            for line in wrap(note) {
                area.draw(&Text::new(line, (4, y), font.clone()))?;
                y += 16;
            }
        }
        Ok(())
    }
}
