//! One finished run as it is stored: the cells of its `runs.csv` row and its
//! reclaim-latency samples (kept only at the chart's CDF point).

use super::cells::fmt_cell;
use crate::sim::{DialogRow, NodeClass};

/// A finished run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// Point index.
    pub point: usize,
    /// Replication index.
    pub replication: u32,
    /// The full `runs.csv` row: point, replication, seed, swept values, metrics.
    pub cells: Vec<String>,
    /// `(node_class, reclaim_latency_s)` cells, in class order then ascending latency.
    pub latencies: Vec<(String, String)>,
}

/// The reclaim-latency samples of `rows` ([`DialogRow::reclaim_latency`]),
/// as in the run's own percentiles.
pub fn latency_samples(rows: &[DialogRow]) -> Vec<(String, String)> {
    let mut v: Vec<(usize, u64)> = rows
        .iter()
        .filter_map(|r| {
            let class = NodeClass::ALL.iter().position(|&c| c == r.class)?;
            Some((class, r.reclaim_latency()?.as_nanos()))
        })
        .collect();
    v.sort_unstable();
    v.into_iter()
        .map(|(c, ns)| {
            (
                NodeClass::ALL[c].name().to_string(),
                fmt_cell(ns as f64 / 1e9),
            )
        })
        .collect()
}
