//! `[charts]`: which charts an experiment draws, against which swept key,
//! the point whose latency CDF is drawn, and the trade-off chart's class.

use crate::keyword::{Keyword, keywords};
use crate::scenario::doc::{self, Errors, Fields, Item, string};
use crate::scenario::error::InputError;
use crate::sim::NodeClass;

use super::super::overrides::cell;
use super::grid::Point;

const CHART_KEYS: &[&str] = &["draw", "x", "cdf_at", "tradeoff_class", "heatmap"];

const HEATMAP_KEYS: &[&str] = &[
    "name", "title", "metric", "rows", "columns", "panels", "log",
];

/// The cell that names who refreshes instead of a metric.
pub const REFRESHER_CELL: &str = "refresher";

/// A chart an experiment can draw (`[charts] draw`); all by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Reclaim latency p50 and p95 per node class.
    ReclaimLatency,
    /// Hung state-hours.
    HungState,
    /// Refresh cost against p95 reclaim latency.
    Tradeoff,
    /// False teardowns per 1,000 session-hours.
    FalseTeardowns,
    /// The reclaim-latency CDF at one point.
    ReclaimCdf,
}

keywords!(ChartKind {
    "reclaim_latency" => ChartKind::ReclaimLatency,
    "hung_state" => ChartKind::HungState,
    "tradeoff" => ChartKind::Tradeoff,
    "false_teardowns" => ChartKind::FalseTeardowns,
    "reclaim_cdf" => ChartKind::ReclaimCdf,
});

/// What the charts plot.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChartConfig {
    /// The swept key on the x axis (a session-expires key by default).
    pub x: Option<String>,
    /// The point whose reclaim-latency CDF is drawn.
    pub cdf_point: usize,
    /// The node class whose p95 latency the trade-off chart plots.
    pub tradeoff_class: Option<String>,
    /// Which charts to draw, as spelled by [`ChartKind`].
    pub draw: Vec<String>,
    /// Heat maps (`[[charts.heatmap]]`), drawn whatever `draw` says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub heatmaps: Vec<HeatmapSpec>,
}

/// A heat map of one metric over three swept keys.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HeatmapSpec {
    /// Its files: `charts/heatmap_<name>.{svg,png,csv}`.
    pub name: String,
    /// Its title.
    pub title: String,
    /// Metric columns, the first a point has data for giving its cell (a
    /// class metric applies where its class had dead-call states); or
    /// [`REFRESHER_CELL`].
    pub metric: Vec<String>,
    /// The swept key down the rows.
    pub rows: String,
    /// The swept key across the columns.
    pub columns: String,
    /// The swept key with one panel per value, if any.
    pub panels: Option<String>,
    /// Colour by log10 of the value.
    pub log: bool,
}

pub(super) fn default_charts(columns: &[String]) -> ChartConfig {
    ChartConfig {
        x: columns
            .iter()
            .find(|c| c.ends_with("session_expires"))
            .or(columns.first())
            .cloned(),
        cdf_point: 0,
        tradeoff_class: None,
        draw: ChartKind::spellings()
            .into_iter()
            .map(String::from)
            .collect(),
        heatmaps: Vec::new(),
    }
}

pub(super) fn read_charts(
    item: &Item,
    path: &str,
    columns: &[String],
    points: &[Point],
    errs: &mut Errors,
) -> Option<ChartConfig> {
    let mut f = Fields::of(item, path, errs)?;
    let mut cfg = default_charts(columns);
    let mut ok = true;
    if let Some((x, p)) = f.entry("x") {
        match string(x, &p, errs) {
            Some(s) if columns.contains(&s) => cfg.x = Some(s),
            Some(s) => {
                errs.push(
                    InputError::at(
                        &x.loc,
                        p,
                        format!("\"{s}\" is not a swept key; swept: {}", columns.join(", ")),
                    )
                    .with_hint(crate::scenario::error::did_you_mean(
                        &s,
                        columns.iter().map(String::as_str),
                    )),
                );
                ok = false;
            }
            None => ok = false,
        }
    }
    if let Some((d, p)) = f.entry("draw") {
        match doc::array(d, &p, errs, doc::keyword::<ChartKind>) {
            Some(kinds) => {
                cfg.draw = kinds
                    .into_iter()
                    .map(|k| k.spelling().to_string())
                    .collect()
            }
            None => ok = false,
        }
    }
    if let Some((t, p)) = f.entry("tradeoff_class") {
        match doc::keyword::<NodeClass>(t, &p, errs) {
            Some(c) => cfg.tradeoff_class = Some(c.spelling().to_string()),
            None => ok = false,
        }
    }
    if let Some((c, p)) = f.entry("cdf_at") {
        match cdf_point(c, &p, columns, points, errs) {
            Some(i) => cfg.cdf_point = i,
            None => ok = false,
        }
    }
    if let Some((h, p)) = f.entry("heatmap") {
        match doc::array(h, &p, errs, |x, xp, e| {
            read_heatmap(x, xp, columns, points, e)
        }) {
            Some(maps) => cfg.heatmaps = maps,
            None => ok = false,
        }
    }
    f.finish(CHART_KEYS, errs);
    ok.then_some(cfg)
}

/// One `[[charts.heatmap]]` table.
fn read_heatmap(
    item: &Item,
    path: &str,
    columns: &[String],
    points: &[Point],
    errs: &mut Errors,
) -> Option<HeatmapSpec> {
    let mut f = Fields::of(item, path, errs)?;
    let name = f.require("name", errs).and_then(|(x, p)| {
        let n = string(x, &p, errs)?;
        let ok = !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            errs.push(InputError::at(
                &x.loc,
                p,
                "a heat map's name names its files: use letters, digits, '_' and '-'",
            ));
        }
        ok.then_some(n)
    });
    let title = f.entry("title").and_then(|(x, p)| string(x, &p, errs));
    let metric = f.require("metric", errs).and_then(|(x, p)| {
        let names = doc::array(x, &p, errs, |m, mp, e| {
            let s = string(m, mp, e)?;
            if s == REFRESHER_CELL || crate::experiment::metrics::metric_names().contains(&s) {
                Some(s)
            } else {
                e.push(
                    InputError::at(
                        &m.loc,
                        mp,
                        format!("\"{s}\" is not a metric column (see the README's metrics table) nor \"{REFRESHER_CELL}\""),
                    )
                    .with_hint(crate::scenario::error::did_you_mean(
                        &s,
                        crate::experiment::metrics::metric_names().iter().map(String::as_str),
                    )),
                );
                None
            }
        })?;
        if names.is_empty() {
            errs.push(InputError::at(
                &x.loc,
                p,
                "name at least one metric column, or \"refresher\"",
            ));
            return None;
        }
        Some(names)
    });
    let mut swept = |key: &str, errs: &mut Errors| -> Option<Option<usize>> {
        let Some((x, p)) = f.entry(key) else {
            return Some(None);
        };
        let s = string(x, &p, errs)?;
        match columns.iter().position(|c| *c == s) {
            Some(i) => Some(Some(i)),
            None => {
                errs.push(InputError::at(
                    &x.loc,
                    p,
                    format!("\"{s}\" is not a swept key; swept: {}", columns.join(", ")),
                ));
                None
            }
        }
    };
    let rows = swept("rows", errs);
    let cols = swept("columns", errs);
    let panels = swept("panels", errs);
    let log = match f.entry("log") {
        Some((x, p)) => doc::boolean(x, &p, errs),
        None => Some(false),
    };
    f.finish(HEATMAP_KEYS, errs);
    let (Some(Some(r)), Some(Some(c)), Some(pn)) = (rows, cols, panels) else {
        if matches!(rows, Some(None)) || matches!(cols, Some(None)) {
            errs.push(InputError::at(
                &item.loc,
                path,
                "a heat map needs `rows` and `columns`: two swept keys",
            ));
        }
        return None;
    };
    // Each point must have a cell of its own.
    let key = |pt: &Point| {
        (
            pn.map(|i| pt.values[i].clone()),
            pt.values[r].clone(),
            pt.values[c].clone(),
        )
    };
    for (i, a) in points.iter().enumerate() {
        if let Some(b) = points[..i].iter().find(|b| key(b) == key(a)) {
            errs.push(InputError::at(
                &item.loc,
                path,
                format!(
                    "points {} and {} fall in the same cell: rows, columns and panels must tell every point apart (fix the other swept keys, or zip them with these)",
                    b.index, a.index
                ),
            ));
            return None;
        }
    }
    let name = name?;
    Some(HeatmapSpec {
        title: title.unwrap_or_else(|| name.clone()),
        name,
        metric: metric?,
        rows: columns[r].clone(),
        columns: columns[c].clone(),
        panels: pn.map(|i| columns[i].clone()),
        log: log?,
    })
}

/// The first point whose values match every key of the `cdf_at` table.
fn cdf_point(
    item: &Item,
    path: &str,
    columns: &[String],
    points: &[Point],
    errs: &mut Errors,
) -> Option<usize> {
    let mut f = Fields::of(item, path, errs)?;
    let mut wanted = Vec::new();
    for e in f.all() {
        match columns.iter().position(|c| *c == e.key) {
            Some(col) => wanted.push((col, cell(&e.item))),
            None => {
                errs.push(InputError::at(
                    &e.key_loc,
                    format!("{path}.\"{}\"", e.key),
                    format!("not a swept key; swept: {}", columns.join(", ")),
                ));
                return None;
            }
        }
    }
    let found = points
        .iter()
        .find(|pt| wanted.iter().all(|(c, v)| pt.values[*c] == *v));
    if found.is_none() {
        errs.push(InputError::at(
            &item.loc,
            path,
            "no point of the grid has these values",
        ));
    }
    found.map(|p| p.index)
}
