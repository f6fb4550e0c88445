//! The charts of an experiment, drawn from its summary and latency samples
//! alone (so `sstsim plot` and `sstsim merge` redraw them from CSV files).

use std::path::{Path, PathBuf};

use super::metrics::{ClassMetric, Metric, RunMetric};
use super::output::{Results, SummaryRow};
use super::spec::ChartConfig;
use crate::keyword::Keyword;
use crate::report::charts::{ChartError, LineChart, Series};
use crate::sim::NodeClass;
use crate::sim::probes::survival::{KaplanMeier, Sample};

/// Which column is x, and how the other swept columns group rows into lines.
struct Layout<'a> {
    columns: &'a [String],
    x: usize,
}

impl Layout<'_> {
    /// The line a row belongs to: the values of every swept column but x,
    /// or only the `tag.*` columns when the experiment labels its points.
    fn group(&self, row: &SummaryRow) -> String {
        let tagged = self.columns.iter().any(|c| c.starts_with("tag."));
        let parts: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .filter(|&(i, c)| i != self.x && (!tagged || c.starts_with("tag.")))
            .map(|(i, c)| format!("{}={}", c.rsplit('.').next().unwrap_or(c), row.values[i]))
            .collect();
        if parts.is_empty() {
            "all".into()
        } else {
            parts.join(", ")
        }
    }

    /// The row's x value; a non-numeric column plots at the value's position.
    fn x_of(&self, row: &SummaryRow, order: &[String]) -> f64 {
        let v = &row.values[self.x];
        v.parse()
            .unwrap_or_else(|_| order.iter().position(|o| o == v).unwrap_or(0) as f64)
    }

    fn x_name(&self) -> &str {
        &self.columns[self.x]
    }
}

/// What one summary row contributes to a line.
enum Plot {
    /// A point with its 95% half-width and label; `weak`: few samples.
    At {
        x: f64,
        y: f64,
        err: f64,
        label: String,
        weak: bool,
    },
    /// A value the data never reached (a percentile too few states got to).
    NotReached(f64),
    /// Nothing to draw.
    Skip,
}

/// Points resting on fewer dead-call states than this, over all the
/// replications of a point, are drawn hollow.
pub const FEW_STATES: f64 = 20.0;

/// The longest title that fits above the plot at the caption's font size.
const TITLE_FITS: usize = 64;

/// One line per group: points with CI half-widths, labels, and not-reached marks.
fn lines(
    layout: &Layout,
    rows: &[SummaryRow],
    suffix: &str,
    dashed: bool,
    point: impl Fn(&SummaryRow, f64) -> Plot,
) -> Vec<Series> {
    let order: Vec<String> = {
        let mut seen: Vec<String> = Vec::new();
        for r in rows {
            if !seen.contains(&r.values[layout.x]) {
                seen.push(r.values[layout.x].clone());
            }
        }
        seen
    };
    let mut groups: Vec<String> = Vec::new();
    let mut out: Vec<Series> = Vec::new();
    for r in rows {
        let group = layout.group(r);
        let color = match groups.iter().position(|g| *g == group) {
            Some(i) => i,
            None => {
                groups.push(group.clone());
                groups.len() - 1
            }
        };
        let name = format!("{group}{suffix}");
        let plot = point(r, layout.x_of(r, &order));
        if matches!(plot, Plot::Skip) {
            continue;
        }
        let idx = match out.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                out.push(Series {
                    name,
                    color: Some(color),
                    dashed,
                    ..Default::default()
                });
                out.len() - 1
            }
        };
        let s = &mut out[idx];
        match plot {
            Plot::At {
                x,
                y,
                err,
                label,
                weak,
            } => {
                s.points.push((x, y));
                s.errors.push(err);
                s.labels.push(label);
                s.weak.push(weak);
            }
            Plot::NotReached(x) => s.not_reached.push(x),
            Plot::Skip => {}
        }
    }
    for s in &mut out {
        if s.labels.iter().all(String::is_empty) {
            s.labels.clear();
        }
    }
    out.retain(|s| {
        s.points.iter().any(|(x, y)| x.is_finite() && y.is_finite()) || !s.not_reached.is_empty()
    });
    out
}

/// A run-level mean at `x`, scaled; nothing where it is undefined.
fn mean_at(row: &SummaryRow, metric: Metric, x: f64, scale: f64) -> Plot {
    let (m, h) = row.get(metric);
    if !m.is_finite() {
        return Plot::Skip;
    }
    Plot::At {
        x,
        y: m * scale,
        err: h * scale,
        label: String::new(),
        weak: false,
    }
}

/// A class's reclaim-latency percentile at `x`: not reached when the class
/// had dead-call states but the percentile is undefined; hollow when it
/// rests on fewer than [`FEW_STATES`] states.
fn percentile_at(
    row: &SummaryRow,
    class: NodeClass,
    k: ClassMetric,
    x: f64,
    label: String,
) -> Plot {
    let (m, h) = row.get(Metric::Class(class, k));
    let states = row.get(Metric::Class(class, ClassMetric::DeadStates)).0 * row.replications as f64;
    if m.is_finite() {
        Plot::At {
            x,
            y: m,
            err: h,
            label,
            weak: states < FEW_STATES,
        }
    } else if states > 0.0 {
        Plot::NotReached(x)
    } else {
        Plot::Skip
    }
}

/// The notes under a chart's legend.
fn notes(percentiles: bool) -> Vec<String> {
    let mut v = vec!["Error bars: 95% confidence half-widths over replications.".to_string()];
    if percentiles {
        v.push(format!(
            "Hollow markers: fewer than {FEW_STATES:.0} dead-call states over all replications."
        ));
    }
    v
}

/// Draws every chart into `dir` as SVG and PNG; returns the files written.
/// A chart without data (e.g. no B2BUA in the model) is skipped.
pub fn draw_all(
    res: &Results,
    rows: &[SummaryRow],
    cfg: &ChartConfig,
    dir: &Path,
) -> Result<Vec<PathBuf>, ChartError> {
    if res.columns.is_empty() {
        return Ok(Vec::new());
    }
    let x = cfg
        .x
        .as_ref()
        .and_then(|x| res.columns.iter().position(|c| c == x))
        .unwrap_or(0);
    let layout = Layout {
        columns: &res.columns,
        x,
    };
    let xl = format!("{} (s)", layout.x_name());
    let x_label = if layout.x_name().ends_with("session_expires") {
        xl.as_str()
    } else {
        layout.x_name()
    };
    // A swept value that is not a number (a mode, a product word) makes a
    // categorical axis, its names in the order the points first show them.
    let mut categories: Vec<String> = Vec::new();
    for r in rows {
        if !categories.contains(&r.values[x]) {
            categories.push(r.values[x].clone());
        }
    }
    if categories.iter().all(|v| v.parse::<f64>().is_ok()) {
        categories.clear();
    }
    let mut charts: Vec<(String, LineChart)> = Vec::new();
    for class in NodeClass::ALL {
        let c = class.name();
        let mut series = lines(&layout, rows, " p50", true, |r, x| {
            percentile_at(r, class, ClassMetric::ReclaimP50, x, String::new())
        });
        series.extend(lines(&layout, rows, " p95", false, |r, x| {
            percentile_at(r, class, ClassMetric::ReclaimP95, x, String::new())
        }));
        charts.push((
            format!("reclaim_latency_{c}"),
            LineChart {
                title: format!("Reclaim latency of dead calls at {c} nodes (p50, p95)"),
                notes: notes(true),
                log_x: false,
                x_categories: categories.clone(),
                x_label: x_label.to_string(),
                y_label: "reclaim latency, freed - dead (s)".into(),
                series,
            },
        ));
    }
    charts.push((
        "hung_state".into(),
        LineChart {
            title: "State held by dead calls, all node classes".into(),
            notes: notes(false),
            log_x: false,
            x_categories: categories.clone(),
            x_label: x_label.to_string(),
            y_label: "hung state (state-hours per run)".into(),
            series: lines(&layout, rows, "", false, |r, x| {
                mean_at(r, Metric::Run(RunMetric::HungState), x, 1.0)
            }),
        },
    ));
    let p95 = |c| Metric::Class(c, ClassMetric::ReclaimP95);
    let class = cfg
        .tradeoff_class
        .as_deref()
        .and_then(NodeClass::from_spelling)
        .unwrap_or_else(|| {
            NodeClass::ALL
                .into_iter()
                .find(|&c| rows.iter().any(|r| r.get(p95(c)).0.is_finite()))
                .unwrap_or(NodeClass::Ua)
        });
    charts.push((
        "tradeoff".into(),
        LineChart {
            title: format!(
                "Refresh cost vs p95 reclaim latency at {} nodes (labels: {})",
                class.name(),
                layout.x_name().rsplit('.').next().unwrap_or("")
            ),
            notes: notes(true),
            log_x: false,
            x_categories: Vec::new(),
            x_label: "refresh messages per session-hour (retransmissions included)".into(),
            y_label: format!("p95 reclaim latency at {} (s)", class.name()),
            series: lines(&layout, rows, "", false, |r, _| {
                let (cost, _) = r.get(Metric::Run(RunMetric::RefreshMessagesRate));
                if !cost.is_finite() {
                    return Plot::Skip;
                }
                percentile_at(r, class, ClassMetric::ReclaimP95, cost, r.values[x].clone())
            }),
        },
    ));
    charts.push((
        "false_teardowns".into(),
        LineChart {
            title: "Healthy calls torn down by session timers".into(),
            notes: notes(false),
            log_x: false,
            x_categories: categories.clone(),
            x_label: x_label.to_string(),
            y_label: "false teardowns per 1,000 session-hours".into(),
            series: lines(&layout, rows, "", false, |r, x| {
                mean_at(r, Metric::Run(RunMetric::FalseTeardownsRate), x, 1.0)
            }),
        },
    ));
    if let Some(cdf) = cdf_chart(res, rows, cfg.cdf_point) {
        charts.push(("reclaim_cdf".into(), cdf));
    }
    let mut written = Vec::new();
    for (name, chart) in charts {
        let wanted = cfg.draw.iter().any(|k| name.starts_with(k.as_str()));
        if chart.series.is_empty() || !wanted {
            continue;
        }
        for ext in ["svg", "png"] {
            let path = dir.join(format!("{name}.{ext}"));
            match chart.render(&path) {
                Ok(()) => written.push(path),
                Err(ChartError::NoData(_)) => break,
                Err(e) => return Err(e),
            }
        }
    }
    written.extend(super::heatmap::draw_heatmaps(
        &cfg.heatmaps,
        &res.columns,
        rows,
        dir,
    )?);
    Ok(written)
}

/// The share of all dead-call states freed by time t at one point, one
/// line per class, pooled over replications: the Kaplan–Meier estimate over
/// freed and still-held states, so a line plateaus below 1 when some states
/// were never freed, and runs on to the longest time any state was followed.
fn cdf_chart(res: &Results, rows: &[SummaryRow], point: usize) -> Option<LineChart> {
    let row = rows.iter().find(|r| r.point == point)?;
    let what: Vec<String> = res
        .columns
        .iter()
        .zip(&row.values)
        .map(|(c, v)| format!("{}={v}", c.rsplit('.').next().unwrap_or(c)))
        .collect();
    let mut series = Vec::new();
    for class in NodeClass::ALL {
        let mut samples: Vec<Sample> = res
            .runs
            .iter()
            .filter(|r| r.point == point)
            .flat_map(|r| &r.latencies)
            .filter(|l| l.class == class.name())
            .filter_map(|l| {
                let s: f64 = l.latency.parse().ok()?;
                Some(((s * 1e9).round() as u64, l.freed))
            })
            .collect();
        if samples.is_empty() {
            continue;
        }
        let km = KaplanMeier::new(&mut samples);
        let held = km.len() - km.events();
        // x is log10 of the time: the curve spans seconds to hours.
        let lx = |t: u64| (t.max(1) as f64 / 1e9).log10();
        let mut points: Vec<(f64, f64)> = Vec::new();
        if let Some(&(t, _)) = km.cdf().first() {
            points.push((lx(t), 0.0));
        }
        points.extend(km.cdf().iter().map(|&(t, f)| (lx(t), f)));
        // The plateau: nothing more was freed up to the longest follow-up.
        if let (Some(&(_, last)), Some(end)) = (points.last(), km.max_time()) {
            points.push((lx(end), last));
        }
        series.push(Series {
            name: format!(
                "{}: {} states, {} still held at the end",
                class.name(),
                km.len(),
                held
            ),
            points,
            ..Default::default()
        });
    }
    // A point named by many swept values does not fit in the title (the
    // plot's width): it goes first under the legend instead.
    let title = format!("Dead-call states freed by time t, at {}", what.join(", "));
    let (title, at) = if title.chars().count() <= TITLE_FITS {
        (title, None)
    } else {
        (
            "Dead-call states freed by time t".to_string(),
            Some(format!("At {}.", what.join(", "))),
        )
    };
    Some(LineChart {
        title,
        notes: at.into_iter().chain([
            "Kaplan-Meier over freed and still-held states, pooled over replications. A state still held at the end counts only for as long as it was followed (its death to the end of its run)."
                .into(),
            "A line that levels off below 1 is the share not freed within the longest follow-up: never freed, as far as the runs can tell."
                .into(),
        ]).collect(),
        x_label: "time since the call died, t (s, log scale)".into(),
        log_x: true,
        x_categories: Vec::new(),
        y_label: "share of all dead-call states freed".into(),
        series,
    })
}
