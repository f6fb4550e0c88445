//! The headline numbers of an experiment as a terminal table: one row per
//! point, means across replications.

use std::fmt::Write;

use super::metrics::{ClassMetric, Metric, RunMetric};
use super::output::SummaryRow;
use crate::sim::NodeClass;

/// (header, metric, scale, decimals) of each headline column.
const HEADLINES: [(&str, Metric, f64, usize); 7] = [
    (
        "ua p95 s",
        Metric::Class(NodeClass::Ua, ClassMetric::ReclaimP95),
        1.0,
        0,
    ),
    (
        "ua held",
        Metric::Class(NodeClass::Ua, ClassMetric::Unreclaimed),
        1.0,
        1,
    ),
    (
        "timer-px p95 s",
        Metric::Class(NodeClass::ProxyTimer, ClassMetric::ReclaimP95),
        1.0,
        0,
    ),
    (
        "plain-px held",
        Metric::Class(NodeClass::ProxyPlain, ClassMetric::Unreclaimed),
        1.0,
        1,
    ),
    ("hung state-h", Metric::Run(RunMetric::HungState), 1.0, 0),
    (
        "refresh msg/h",
        Metric::Run(RunMetric::RefreshMessagesRate),
        1.0,
        1,
    ),
    (
        "false td/kh",
        Metric::Run(RunMetric::FalseTeardownsRate),
        1.0,
        2,
    ),
];

/// Longest swept value shown in full.
const MAX_CELL: usize = 24;

/// Renders the headline table; swept columns are named by their last key segment.
pub fn headline(columns: &[String], rows: &[SummaryRow]) -> String {
    let names: Vec<&str> = columns
        .iter()
        .map(|c| c.rsplit('.').next().unwrap_or(c))
        .collect();
    // Table-valued cells (a loss model, say) are long: show their start.
    let short = |v: &str| -> String {
        if v.chars().count() > MAX_CELL {
            let head: String = v.chars().take(MAX_CELL - 1).collect();
            format!("{head}…")
        } else {
            v.to_string()
        }
    };
    let widths: Vec<usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            rows.iter()
                .map(|r| short(&r.values[i]).chars().count())
                .max()
                .unwrap_or(0)
                .max(n.len())
        })
        .collect();
    let mut s = String::new();
    for (n, w) in names.iter().zip(&widths) {
        let _ = write!(s, "{n:<w$}  ");
    }
    for (h, ..) in HEADLINES {
        let _ = write!(s, " {h:>14}");
    }
    s.push('\n');
    for r in rows {
        for (v, w) in r.values.iter().zip(&widths) {
            let _ = write!(s, "{:<w$}  ", short(v));
        }
        for (_, metric, scale, prec) in HEADLINES {
            let (m, _) = r.get(metric);
            // An undefined percentile of a class that had dead-call states
            // was not reached (in some replication); "-" means no data.
            let not_reached = match metric {
                Metric::Class(c, _) => r.get(Metric::Class(c, ClassMetric::DeadStates)).0 > 0.0,
                Metric::Run(_) => false,
            };
            let cell = if m.is_finite() {
                format!("{:.prec$}", m * scale)
            } else if not_reached {
                "n/r".into()
            } else {
                "-".into()
            };
            let _ = write!(s, " {cell:>14}");
        }
        s.push('\n');
    }
    s.push_str(concat!(
        "means over replications. p95: reclaim latency (freed - dead) of dead-call state,\n",
        "Kaplan-Meier over freed and held states; n/r: not reached in some replication;\n",
        "held: dead-call states still held at the horizon; hung state-h: state-hours held by\n",
        "dead calls; refresh msg/h: refresh messages per session-hour; false td/kh: healthy\n",
        "calls ended by a timer per 1,000 session-hours. 95% half-widths: summary.csv\n",
    ));
    s
}
