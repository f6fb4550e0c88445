//! `[charts]`: which charts an experiment draws, against which swept key,
//! the point whose latency CDF is drawn, and the trade-off chart's class.

use crate::keyword::{Keyword, keywords};
use crate::scenario::doc::{self, Errors, Fields, Item, string};
use crate::scenario::error::InputError;
use crate::sim::NodeClass;

use super::super::overrides::cell;
use super::grid::Point;

const CHART_KEYS: &[&str] = &["draw", "x", "cdf_at", "tradeoff_class"];

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
    f.finish(CHART_KEYS, errs);
    ok.then_some(cfg)
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
