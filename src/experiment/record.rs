//! One finished run as it is stored: the cells of its `runs.csv` row, its
//! rows of `nodes.csv`, and its reclaim-latency samples, freed and still
//! held (kept only at the chart's CDF point).

use super::cells::fmt_cell;
use super::metrics::NODE_METRICS;
use crate::engine::SimTime;
use crate::sim::{DialogRow, NodeClass, RunMetrics};

/// One reclaim-latency sample as stored: its class, its latency cell, and
/// whether the state was freed (`false`: still held at the end of the run,
/// the latency being the time from the death to the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencySample {
    /// The node class's name.
    pub class: String,
    /// Seconds, as a CSV cell.
    pub latency: String,
    /// Freed (an observed latency) or still held (censored).
    pub freed: bool,
}

impl LatencySample {
    /// The `freed` cell.
    pub fn freed_cell(&self) -> &'static str {
        if self.freed { "true" } else { "false" }
    }

    /// Reads a `freed` cell back.
    pub fn parse_freed(cell: &str) -> Option<bool> {
        match cell {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

/// One node's metrics in one run, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRecord {
    /// The node's id in the model.
    pub node: String,
    /// Its class's name.
    pub class: String,
    /// Its metric cells, in [`super::metrics::NODE_METRICS`] order.
    pub cells: Vec<String>,
}

/// A finished run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// Point index.
    pub point: usize,
    /// Replication index.
    pub replication: u32,
    /// The full `runs.csv` row: point, replication, seed, swept values, metrics.
    pub cells: Vec<String>,
    /// Per node, in model order.
    pub nodes: Vec<NodeRecord>,
    /// Reclaim-latency samples, in class order, then by latency, freed first.
    pub latencies: Vec<LatencySample>,
}

/// The reclaim-latency samples of `rows`, as the run's own percentiles see
/// them: each dead-call state its node freed ([`DialogRow::reclaim_latency`]),
/// and each one still held at `end`, censored at end − dead.
pub fn latency_samples(rows: &[DialogRow], end: SimTime) -> Vec<LatencySample> {
    let mut v: Vec<(usize, u64, bool)> = rows
        .iter()
        .filter_map(|r| {
            let class = NodeClass::ALL.iter().position(|&c| c == r.class)?;
            match (r.freed, r.dead) {
                (Some(_), _) => Some((class, r.reclaim_latency()?.as_nanos(), true)),
                (None, Some(dead)) => {
                    Some((class, end.duration_since(dead).ok()?.as_nanos(), false))
                }
                (None, None) => None,
            }
        })
        .collect();
    // Freed before held at equal latencies: `!freed` sorts false first.
    v.sort_unstable_by_key(|&(c, ns, freed)| (c, ns, !freed));
    v.into_iter()
        .map(|(c, ns, freed)| LatencySample {
            class: NodeClass::ALL[c].name().to_string(),
            latency: fmt_cell(ns as f64 / 1e9),
            freed,
        })
        .collect()
}

/// The `nodes.csv` rows of a run, one per node of `names` (model order).
pub fn node_records(names: &[String], m: &RunMetrics) -> Vec<NodeRecord> {
    names
        .iter()
        .zip(&m.nodes)
        .map(|(name, n)| NodeRecord {
            node: name.clone(),
            class: n.class.name().to_string(),
            cells: NODE_METRICS
                .iter()
                .map(|k| fmt_cell(k.read(n, m)))
                .collect(),
        })
        .collect()
}
