//! The headline numbers of an experiment as a terminal table: one row per
//! point, means across replications, with a group of columns for each
//! class of node the model has.

use std::fmt::Write;

use super::metrics::{ClassMetric, Metric, RunMetric};
use super::output::SummaryRow;
use crate::sim::NodeClass;

/// What a cell shows.
#[derive(Debug, Clone, Copy)]
enum Cell {
    /// A metric's mean, with this many decimals.
    Mean(Metric, usize),
    /// A class's freed fraction, as a percentage.
    Percent(NodeClass),
}

/// A column: its group (a class, shown above), its header and what it shows.
struct Column {
    group: Option<NodeClass>,
    header: &'static str,
    cell: Cell,
}

/// Longest swept value shown in full.
const MAX_CELL: usize = 24;

/// The columns of the classes present: dead-call states (n), the share
/// freed, and the Kaplan–Meier p95; then the run-level ones.
fn metric_columns(classes: &[NodeClass]) -> Vec<Column> {
    let class = |c: NodeClass, k| Metric::Class(c, k);
    let mut out = Vec::new();
    for &c in classes {
        let group = Some(c);
        out.push(Column {
            group,
            header: "n",
            cell: Cell::Mean(class(c, ClassMetric::DeadStates), 0),
        });
        out.push(Column {
            group,
            header: "freed",
            cell: Cell::Percent(c),
        });
        out.push(Column {
            group,
            header: "p95 s",
            cell: Cell::Mean(class(c, ClassMetric::ReclaimP95), 0),
        });
    }
    for (header, m, prec) in [
        ("hung state-h", RunMetric::HungState, 1),
        ("refresh msg/s-h", RunMetric::RefreshMessagesRate, 1),
        ("false td/k s-h", RunMetric::FalseTeardownsRate, 2),
    ] {
        out.push(Column {
            group: None,
            header,
            cell: Cell::Mean(Metric::Run(m), prec),
        });
    }
    out
}

/// The text of one cell. An undefined percentile of a class that had
/// dead-call states was not reached (in some replication): `n/r`; `-`
/// means there was nothing to measure.
fn cell_text(r: &SummaryRow, cell: Cell) -> String {
    let dead = |c| r.get(Metric::Class(c, ClassMetric::DeadStates)).0 > 0.0;
    match cell {
        Cell::Percent(c) => {
            let (f, _) = r.get(Metric::Class(c, ClassMetric::FreedFraction));
            if f.is_finite() {
                format!("{:.0}%", 100.0 * f)
            } else {
                "-".into()
            }
        }
        Cell::Mean(metric, prec) => {
            let (m, _) = r.get(metric);
            if m.is_finite() {
                format!("{m:.prec$}")
            } else if matches!(metric, Metric::Class(c, _) if dead(c)) {
                "n/r".into()
            } else {
                "-".into()
            }
        }
    }
}

/// Short, distinct names for swept key paths: the last segment, or as many
/// trailing segments as it takes to tell two keys apart
/// (`link.a-b.loss` and `link.c-d.loss` → `a-b.loss`, `c-d.loss`).
fn short_names(columns: &[String]) -> Vec<String> {
    let tail = |c: &str, k: usize| -> String {
        let parts: Vec<&str> = c.split('.').collect();
        parts[parts.len().saturating_sub(k)..].join(".")
    };
    columns
        .iter()
        .map(|c| {
            (1..=c.split('.').count())
                .find(|&k| {
                    columns
                        .iter()
                        .filter(|o| *o != c)
                        .all(|o| tail(o, k) != tail(c, k))
                })
                .map_or_else(|| c.clone(), |k| tail(c, k))
        })
        .collect()
}

/// Renders the headline table for the `classes` the model has; a class
/// without a dead-call state at any point has nothing to show and is left
/// out (said below the table).
pub fn headline(columns: &[String], rows: &[SummaryRow], classes: &[NodeClass]) -> String {
    let names = short_names(columns);
    let (shown, quiet): (Vec<NodeClass>, Vec<NodeClass>) = classes.iter().partition(|&&c| {
        rows.iter()
            .any(|r| r.get(Metric::Class(c, ClassMetric::DeadStates)).0 > 0.0)
    });
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
                .max(n.chars().count())
        })
        .collect();
    let metrics = metric_columns(&shown);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| metrics.iter().map(|c| cell_text(r, c.cell)).collect())
        .collect();
    let mwidths: Vec<usize> = metrics
        .iter()
        .enumerate()
        .map(|(j, c)| {
            cells
                .iter()
                .map(|row| row[j].chars().count())
                .chain([c.header.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    // Class names over their groups of columns, then the column headers.
    let lead: usize = widths.iter().map(|w| w + 2).sum();
    let mut groups = " ".repeat(lead);
    let mut j = 0;
    while j < metrics.len() {
        let g = metrics[j].group;
        let k = j + metrics[j..].iter().take_while(|c| c.group == g).count();
        let w: usize = mwidths[j..k].iter().map(|w| w + 1).sum::<usize>() - 1;
        let label = g.map_or("", |c| c.name());
        let _ = write!(groups, " {label:^w$}");
        j = k;
    }
    if !shown.is_empty() {
        s.push_str(groups.trim_end());
        s.push('\n');
    }
    for (n, w) in names.iter().zip(&widths) {
        let _ = write!(s, "{n:<w$}  ");
    }
    for (c, w) in metrics.iter().zip(&mwidths) {
        let _ = write!(s, " {:>w$}", c.header);
    }
    s.push('\n');
    for (r, row) in rows.iter().zip(&cells) {
        for (v, w) in r.values.iter().zip(&widths) {
            let _ = write!(s, "{:<w$}  ", short(v));
        }
        for (cell, w) in row.iter().zip(&mwidths) {
            let _ = write!(s, " {cell:>w$}");
        }
        s.push('\n');
    }
    if !quiet.is_empty() {
        let q: Vec<&str> = quiet.iter().map(|c| c.name()).collect();
        let _ = writeln!(s, "no dead-call state at any point: {}", q.join(", "));
    }
    s.push_str(concat!(
        "means over replications. n: dead-call states at the class (held when or after\n",
        "their call died); freed: the share the class freed by the end; p95: reclaim\n",
        "latency (freed - dead), Kaplan-Meier over freed and held states, n/r: not reached\n",
        "in some replication (too few freed); -: nothing to measure. hung state-h:\n",
        "state-hours held by dead calls; refresh msg/s-h: refresh messages per session-hour,\n",
        "summed over hops (per node: node_summary.csv); false td/k s-h: healthy calls\n",
        "ended by a timer per 1,000 session-hours. 95% half-widths: summary.csv\n",
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swept_keys_get_distinct_short_names() {
        let cols = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            short_names(&cols(&["defaults.session_expires", "tag.mode"])),
            ["session_expires", "mode"]
        );
        assert_eq!(
            short_names(&cols(&[
                "link.edge-core.loss",
                "link.core-far.loss",
                "tag.x"
            ])),
            ["edge-core.loss", "core-far.loss", "x"]
        );
    }

    fn row(ua_dead: f64, ua_p95: f64, freed: f64) -> SummaryRow {
        let mut stats = vec![(f64::NAN, f64::NAN); Metric::all().len()];
        let c = |k| Metric::Class(NodeClass::Ua, k).index();
        stats[c(ClassMetric::DeadStates)] = (ua_dead, 0.0);
        stats[c(ClassMetric::ReclaimP95)] = (ua_p95, 0.0);
        stats[c(ClassMetric::FreedFraction)] = (freed, 0.0);
        SummaryRow {
            point: 0,
            values: vec!["90".into()],
            replications: 1,
            stats,
        }
    }

    #[test]
    fn only_the_classes_present_show_and_undefined_cells_say_why() {
        let t = headline(
            &["defaults.session_expires".into()],
            &[row(40.0, f64::NAN, 0.25), row(0.0, f64::NAN, f64::NAN)],
            &[NodeClass::Ua],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0].trim(), "ua", "the class over its columns");
        assert!(lines[1].contains(" n ") && lines[1].contains("p95 s"));
        assert!(!t.contains("b2bua") && !t.contains("proxy"));
        // 40 dead-call states, a quarter freed, p95 not reached.
        assert!(
            lines[2].contains(" 40 ") && lines[2].contains("25%"),
            "{}",
            lines[2]
        );
        assert!(lines[2].contains("n/r"), "{}", lines[2]);
        // No dead-call state at all: nothing to measure.
        assert!(
            !lines[3].contains("n/r") && lines[3].contains(" - "),
            "{}",
            lines[3]
        );
        // A class present without any dead-call state is named below.
        let t = headline(
            &["defaults.session_expires".into()],
            &[row(0.0, f64::NAN, f64::NAN)],
            &[NodeClass::Ua, NodeClass::ProxyPlain],
        );
        assert!(
            t.contains("no dead-call state at any point: ua, proxy_plain"),
            "{t}"
        );
        assert!(!t.lines().next().unwrap().contains("ua"), "{t}");
    }
}
