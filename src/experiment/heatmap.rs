//! `[[charts.heatmap]]`: one metric over three swept keys (rows, columns,
//! panels) from the summary rows, as a chart and as CSV.
//!
//! A class metric (a reclaim percentile, say) fills a cell only where its
//! class had dead-call states; where it had some but the value is empty
//! (a percentile the runs never reached) the cell is "never". With several
//! metrics listed, the first that applies fills the cell, so one map can
//! show a proxy's state whether the proxy is timer-aware or plain.

use std::path::{Path, PathBuf};

use super::metrics::{ClassMetric, Metric, RunMetric, metric_names};
use super::output::SummaryRow;
use super::spec::{HeatmapSpec, REFRESHER_CELL};
use crate::report::charts::ChartError;
use crate::report::heatmap::{Cell, HeatMap, Panel};

/// The refresher categories, by colour index.
const REFRESHERS: [&str; 4] = ["caller refreshes", "callee refreshes", "no timer", "mixed"];

/// A category holds a cell when at least this share of answered calls is in it.
const MAJORITY: f64 = 0.9;

fn metric(name: &str) -> Option<Metric> {
    metric_names()
        .iter()
        .position(|m| m == name)
        .map(|i| Metric::all()[i])
}

/// Who refreshes the answered calls of a point: one side, nobody, or a mix.
fn refresher_cell(row: &SummaryRow) -> Cell {
    let answered = row.get(Metric::Run(RunMetric::CallsAnswered)).0;
    if answered.is_nan() || answered <= 0.0 {
        return Cell::NoData;
    }
    let shares = [
        RunMetric::RefresherCaller,
        RunMetric::RefresherCallee,
        RunMetric::NoTimerCalls,
    ]
    .map(|m| row.get(Metric::Run(m)).0 / answered);
    let i = shares
        .iter()
        .position(|&s| s >= MAJORITY)
        .unwrap_or(REFRESHERS.len() - 1);
    let text = match i {
        0 => "caller",
        1 => "callee",
        2 => "none",
        _ => "mixed",
    };
    Cell::Category(text.into(), i)
}

/// The cell of `row`: the first listed metric that applies.
fn cell(spec: &HeatmapSpec, row: &SummaryRow) -> Cell {
    if spec.metric.iter().any(|m| m == REFRESHER_CELL) {
        return refresher_cell(row);
    }
    for m in spec.metric.iter().filter_map(|m| metric(m)) {
        let value = row.get(m).0;
        match m {
            Metric::Class(c, _) => {
                let dead = row.get(Metric::Class(c, ClassMetric::DeadStates)).0;
                if dead > 0.0 {
                    return if value.is_finite() {
                        Cell::Value(value)
                    } else {
                        Cell::Never
                    };
                }
            }
            Metric::Run(_) if value.is_finite() => return Cell::Value(value),
            Metric::Run(_) => {}
        }
    }
    Cell::NoData
}

/// Distinct values of column `i`, in the order the points show them.
fn values(columns: &[String], rows: &[SummaryRow], key: &str) -> (usize, Vec<String>) {
    let i = columns
        .iter()
        .position(|c| c == key)
        .expect("checked when the experiment was read");
    let mut seen: Vec<String> = Vec::new();
    for r in rows {
        if !seen.contains(&r.values[i]) {
            seen.push(r.values[i].clone());
        }
    }
    (i, seen)
}

fn short_key(key: &str) -> &str {
    key.strip_prefix("tag.").unwrap_or(key)
}

/// The heat map of `spec` over the summary rows.
pub fn heatmap(spec: &HeatmapSpec, columns: &[String], rows: &[SummaryRow]) -> HeatMap {
    let (ri, row_values) = values(columns, rows, &spec.rows);
    let (ci, col_values) = values(columns, rows, &spec.columns);
    let pi = spec
        .panels
        .as_ref()
        .and_then(|p| columns.iter().position(|c| c == p));
    let panels = panel_values(spec, columns, rows)
        .iter()
        .map(|pv| {
            let cells = row_values
                .iter()
                .map(|rv| {
                    col_values
                        .iter()
                        .map(|cv| {
                            rows.iter()
                                .find(|r| {
                                    r.values[ri] == *rv
                                        && r.values[ci] == *cv
                                        && pi.is_none_or(|i| r.values[i] == *pv)
                                })
                                .map_or(Cell::NoData, |r| cell(spec, r))
                        })
                        .collect()
                })
                .collect();
            Panel {
                title: match &spec.panels {
                    Some(p) => format!("{} = {pv}", short_key(p)),
                    None => String::new(),
                },
                cells,
            }
        })
        .collect();
    let refresher = spec.metric.iter().any(|m| m == REFRESHER_CELL);
    let percentile = spec.metric.iter().any(|m| m.contains("reclaim_p"));
    let mut notes = vec![format!(
        "Each cell: the mean over replications of {}.",
        spec.metric.join(", or where that has no data, ")
    )];
    if percentile {
        notes.push("never: in at least one replication the percentile was not reached, because too many dead-call states were still held at the end of the run (Kaplan-Meier).".into());
    }
    if refresher {
        notes.push(format!(
            "A side refreshes a cell when it is the final refresher of at least {:.0}% of the answered calls; otherwise mixed.",
            MAJORITY * 100.0
        ));
    }
    HeatMap {
        title: spec.title.clone(),
        notes,
        row_label: short_key(&spec.rows).to_string(),
        rows: row_values,
        column_label: short_key(&spec.columns).to_string(),
        columns: col_values,
        panels,
        unit: if spec.metric.iter().any(|m| m.ends_with("_s")) {
            "s".into()
        } else {
            String::new()
        },
        log: spec.log,
        categories: if refresher {
            REFRESHERS.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        },
    }
}

/// The panel key's values, in panel order (one empty value without panels).
fn panel_values(spec: &HeatmapSpec, columns: &[String], rows: &[SummaryRow]) -> Vec<String> {
    match &spec.panels {
        Some(p) => values(columns, rows, p).1,
        None => vec![String::new()],
    }
}

/// The map as CSV: `panel,row,column,cell,value` (cell: value, never,
/// none, or a refresher category); `panels` are the panel key's values.
fn csv_text(spec: &HeatmapSpec, map: &HeatMap, panels: &[String]) -> String {
    let mut out = format!(
        "{},{},{},cell,value\n",
        spec.panels.as_deref().unwrap_or("panel"),
        spec.rows,
        spec.columns
    );
    for (p, pv) in map.panels.iter().zip(panels) {
        for (r, rv) in p.cells.iter().zip(&map.rows) {
            for (c, cv) in r.iter().zip(&map.columns) {
                let (kind, value) = match c {
                    Cell::Value(v) => ("value".to_string(), format!("{v}")),
                    Cell::Never => ("never".to_string(), String::new()),
                    Cell::NoData => ("none".to_string(), String::new()),
                    Cell::Category(t, _) => (t.clone(), String::new()),
                };
                out.push_str(&format!("{pv},{rv},{cv},{kind},{value}\n"));
            }
        }
    }
    out
}

/// Draws every heat map into `dir` (SVG, PNG, CSV); returns the files.
pub fn draw_heatmaps(
    specs: &[HeatmapSpec],
    columns: &[String],
    rows: &[SummaryRow],
    dir: &Path,
) -> Result<Vec<PathBuf>, ChartError> {
    let mut written = Vec::new();
    for spec in specs {
        let map = heatmap(spec, columns, rows);
        for ext in ["svg", "png"] {
            let path = dir.join(format!("heatmap_{}.{ext}", spec.name));
            match map.render(&path) {
                Ok(()) => written.push(path),
                Err(ChartError::NoData(_)) => break,
                Err(e) => return Err(e),
            }
        }
        let path = dir.join(format!("heatmap_{}.csv", spec.name));
        let panels = panel_values(spec, columns, rows);
        crate::report::csv::write_atomically(&path, |b| {
            b.extend_from_slice(csv_text(spec, &map, &panels).as_bytes());
            Ok(())
        })
        .map_err(|e| ChartError::Backend {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::NodeClass;

    fn row(values: &[&str], set: &[(Metric, f64)]) -> SummaryRow {
        let mut stats = vec![(f64::NAN, f64::NAN); Metric::all().len()];
        for &(m, v) in set {
            stats[m.index()] = (v, 0.0);
        }
        SummaryRow {
            point: 0,
            values: values.iter().map(|v| v.to_string()).collect(),
            replications: 2,
            stats,
        }
    }

    fn spec(metric: &[&str]) -> HeatmapSpec {
        HeatmapSpec {
            name: "m".into(),
            title: "t".into(),
            metric: metric.iter().map(|m| m.to_string()).collect(),
            rows: "a".into(),
            columns: "b".into(),
            panels: Some("c".into()),
            log: true,
        }
    }

    const TIMER: NodeClass = NodeClass::ProxyTimer;
    const PLAIN: NodeClass = NodeClass::ProxyPlain;

    #[test]
    fn a_class_percentile_is_a_value_never_or_nothing() {
        let s = spec(&["proxy_timer_reclaim_p95_s", "proxy_plain_reclaim_p95_s"]);
        let dead = |c| Metric::Class(c, ClassMetric::DeadStates);
        let p95 = |c| Metric::Class(c, ClassMetric::ReclaimP95);
        // Dead states at the timer-aware class and a p95: its value.
        let r = row(&["x", "y", "z"], &[(dead(TIMER), 3.0), (p95(TIMER), 917.0)]);
        assert_eq!(cell(&s, &r), Cell::Value(917.0));
        // Dead states but no p95 (not reached): never.
        let r = row(&["x", "y", "z"], &[(dead(TIMER), 3.0)]);
        assert_eq!(cell(&s, &r), Cell::Never);
        // No timer-aware state: the plain class fills the cell.
        let r = row(
            &["x", "y", "z"],
            &[
                (dead(TIMER), 0.0),
                (dead(PLAIN), 5.0),
                (p95(PLAIN), 43_186.0),
            ],
        );
        assert_eq!(cell(&s, &r), Cell::Value(43_186.0));
        // Neither class held dead-call state: nothing to measure.
        assert_eq!(cell(&s, &row(&["x", "y", "z"], &[])), Cell::NoData);
    }

    #[test]
    fn the_refresher_cell_names_the_side_of_at_least_nine_in_ten_calls() {
        let s = spec(&[REFRESHER_CELL]);
        let run = |m| Metric::Run(m);
        let r = |caller: f64, callee: f64, none: f64| {
            row(
                &["x", "y", "z"],
                &[
                    (run(RunMetric::CallsAnswered), caller + callee + none),
                    (run(RunMetric::RefresherCaller), caller),
                    (run(RunMetric::RefresherCallee), callee),
                    (run(RunMetric::NoTimerCalls), none),
                ],
            )
        };
        assert_eq!(
            cell(&s, &r(95.0, 5.0, 0.0)),
            Cell::Category("caller".into(), 0)
        );
        assert_eq!(
            cell(&s, &r(0.0, 90.0, 10.0)),
            Cell::Category("callee".into(), 1)
        );
        assert_eq!(
            cell(&s, &r(0.0, 0.0, 712.0)),
            Cell::Category("none".into(), 2)
        );
        assert_eq!(
            cell(&s, &r(50.0, 50.0, 0.0)),
            Cell::Category("mixed".into(), 3)
        );
        assert_eq!(cell(&s, &row(&["x", "y", "z"], &[])), Cell::NoData);
    }

    #[test]
    fn cells_land_by_row_column_and_panel_and_the_csv_says_each() {
        let s = spec(&["hung_state_h"]);
        let hung = Metric::Run(RunMetric::HungState);
        let columns: Vec<String> = ["a", "b", "c"].iter().map(|c| c.to_string()).collect();
        let rows = vec![
            row(&["r1", "c1", "p1"], &[(hung, 1.5)]),
            row(&["r1", "c2", "p1"], &[(hung, 2.5)]),
            row(&["r2", "c1", "p1"], &[]),
            row(&["r1", "c1", "p2"], &[(hung, 4.0)]),
        ];
        let map = heatmap(&s, &columns, &rows);
        assert_eq!(map.rows, ["r1", "r2"]);
        assert_eq!(map.columns, ["c1", "c2"]);
        assert_eq!(map.panels.len(), 2);
        assert_eq!(
            map.panels[0].cells,
            vec![
                vec![Cell::Value(1.5), Cell::Value(2.5)],
                vec![Cell::NoData, Cell::NoData]
            ]
        );
        assert_eq!(map.panels[1].cells[0][0], Cell::Value(4.0));
        assert_eq!(
            csv_text(&s, &map, &panel_values(&s, &columns, &rows)),
            "c,a,b,cell,value\n\
             p1,r1,c1,value,1.5\np1,r1,c2,value,2.5\np1,r2,c1,none,\np1,r2,c2,none,\n\
             p2,r1,c1,value,4\np2,r1,c2,none,\np2,r2,c1,none,\np2,r2,c2,none,\n"
        );
    }
}
