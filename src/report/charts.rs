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
    /// Palette index; `None`: the series' position. Lets related lines share a colour.
    pub color: Option<usize>,
    /// Draw the line dashed (e.g. the p50 beside a solid p95).
    pub dashed: bool,
}

impl Series {
    /// The finite points with their error half-width (0 when none) and label.
    fn drawable(&self) -> impl Iterator<Item = ((f64, f64), f64, &str)> + '_ {
        self.points.iter().enumerate().filter_map(|(i, &(x, y))| {
            let e = self
                .errors
                .get(i)
                .copied()
                .filter(|e| e.is_finite())
                .unwrap_or(0.0);
            let label = self.labels.get(i).map_or("", String::as_str);
            (x.is_finite() && y.is_finite()).then_some(((x, y), e, label))
        })
    }
}

/// A line chart: title, axis labels (with units), and series.
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
    /// Where the legend goes (choose the corner the data leave empty).
    pub legend: Corner,
}

/// A corner of the plot area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Corner {
    /// Upper left.
    UpperLeft,
    /// Upper right.
    #[default]
    UpperRight,
    /// Lower right.
    LowerRight,
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

impl LineChart {
    /// Axis ranges covering every finite point, padded by 5% so lines do not touch the frame.
    fn ranges(&self) -> Option<((f64, f64), (f64, f64))> {
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        let mut any = false;
        for ((x, y), e, _) in self.series.iter().flat_map(Series::drawable) {
            any = true;
            (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y - e), y1.max(y + e));
        }
        let pad = |lo: f64, hi: f64| {
            let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
            (lo - 0.05 * span, hi + 0.05 * span)
        };
        any.then(|| (pad(x0, x1), pad(y0, y1)))
    }

    /// Draws the chart to `path` (`.svg` or `.png`, 800×500 pixels).
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
                let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
                self.draw(&root).map_err(|e| backend_err(&e))?;
                root.present().map_err(|e| backend_err(&e))
            }
            "png" => {
                let root = BitMapBackend::new(path, (800, 500)).into_drawing_area();
                self.draw(&root).map_err(|e| backend_err(&e))?;
                root.present().map_err(|e| backend_err(&e))
            }
            _ => Err(ChartError::UnknownFormat(shown)),
        }
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
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 24))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&tick(x1 - x0))
            .y_label_formatter(&tick(y1 - y0))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .draw()
            .map_err(|e| fail(&e))?;
        for (i, s) in self.series.iter().enumerate() {
            let color = PALETTE[s.color.unwrap_or(i) % PALETTE.len()];
            let pts: Vec<(f64, f64)> = s.drawable().map(|(p, _, _)| p).collect();
            let drawn = if s.dashed {
                chart.draw_series(DashedLineSeries::new(
                    pts.iter().copied(),
                    8,
                    5,
                    color.stroke_width(2),
                ))
            } else {
                chart.draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            };
            drawn
                .map_err(|e| fail(&e))?
                .label(s.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                });
            chart
                .draw_series(
                    // Markers help a sweep's few points; on a CDF's thousands they only blur.
                    pts.iter()
                        .filter(|_| pts.len() <= MAX_MARKERS)
                        .map(|&p| Circle::new(p, 3, color.filled())),
                )
                .map_err(|e| fail(&e))?;
            chart
                .draw_series(
                    s.drawable()
                        .filter(|(_, e, _)| *e > 0.0)
                        .map(|((x, y), e, _)| {
                            ErrorBar::new_vertical(x, y - e, y, y + e, color.stroke_width(1), 8)
                        }),
                )
                .map_err(|e| fail(&e))?;
            chart
                .draw_series(
                    s.drawable()
                        .filter(|(_, _, l)| !l.is_empty())
                        .map(|(p, _, l)| {
                            EmptyElement::at(p)
                                + Text::new(
                                    l.to_string(),
                                    (6, -16),
                                    ("sans-serif", 13).into_font().color(&color),
                                )
                        }),
                )
                .map_err(|e| fail(&e))?;
        }
        chart
            .configure_series_labels()
            .position(match self.legend {
                Corner::UpperLeft => SeriesLabelPosition::UpperLeft,
                Corner::UpperRight => SeriesLabelPosition::UpperRight,
                Corner::LowerRight => SeriesLabelPosition::LowerRight,
            })
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| fail(&e))?;
        Ok(())
    }
}
