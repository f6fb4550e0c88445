//! The files of an experiment directory: `runs.csv`, `nodes.csv`,
//! `latencies.csv`, `summary.csv`, `node_summary.csv`, `manifest.json` and
//! `charts/`. Every file is rebuilt from
//! run records (never from in-memory floats), so a direct run, a resumed run
//! and a merge of shards write the same bytes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::cells::{fmt_cell, parse_cell};
use super::metrics::{Metric, NODE_METRICS, Pooling, metric_names};
use super::record::{LatencySample, NodeRecord, RunRecord};
use super::spec::ChartConfig;
use super::summary::mean_ci95;
use crate::report::csv::write_atomically;

/// A slice of the runs: shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1-based shard number.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl Shard {
    /// Whether run number `k` (point × replications + replication) is in this shard.
    pub fn holds(&self, k: u64) -> bool {
        k % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// One swept key and its values, for the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridKey {
    /// Key path.
    pub key: String,
    /// Values as written in CSV cells.
    pub values: Vec<String>,
}

/// `manifest.json`: what produced the directory. Wall time and threads live
/// only here; every CSV is independent of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// sstsim's version.
    pub sstsim_version: String,
    /// Experiment name.
    pub name: String,
    /// Its description, as written (a reminder of what the run asked).
    pub description: Option<String>,
    /// The experiment file.
    pub experiment: String,
    /// FNV-1a hash of the experiment and model texts, hex.
    pub experiment_hash: String,
    /// Master seed.
    pub seed: u64,
    /// Replications per point.
    pub replications: u32,
    /// Points in the grid.
    pub points: usize,
    /// Runs in this directory.
    pub runs: usize,
    /// Every swept key and its values, in column order.
    pub grid: Vec<GridKey>,
    /// Chart choices.
    pub charts: ChartConfig,
    /// The shard this directory holds (`None`: all runs).
    pub shard: Option<Shard>,
    /// Worker threads (merged: the largest of the shards').
    pub threads: usize,
    /// Wall time of the run, seconds (merged: the sum of the shards').
    pub wall_time_s: f64,
}

/// The swept columns and all finished runs, sorted by (point, replication).
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// Swept key paths.
    pub columns: Vec<String>,
    /// Finished runs, sorted by (point, replication), one per pair.
    pub runs: Vec<RunRecord>,
}

impl Results {
    /// Sorts runs and drops duplicates (first kept).
    pub fn new(columns: Vec<String>, mut runs: Vec<RunRecord>) -> Self {
        runs.sort_by_key(|r| (r.point, r.replication));
        runs.dedup_by_key(|r| (r.point, r.replication));
        Results { columns, runs }
    }

    /// The `runs.csv` header.
    pub fn runs_header(&self) -> Vec<String> {
        ["point", "replication", "seed"]
            .iter()
            .map(|s| s.to_string())
            .chain(self.columns.iter().cloned())
            .chain(metric_names().iter().cloned())
            .collect()
    }

    /// Per point: its swept values, the replication count and (mean, ci95) per metric.
    pub fn summary(&self) -> Vec<SummaryRow> {
        self.groups()
            .map(|g| summary_row(self.columns.len(), g))
            .collect()
    }

    /// Per point and node: (mean, ci95) of each node metric over the
    /// replications where it is defined.
    pub fn node_summary(&self) -> Vec<NodeSummaryRow> {
        self.groups()
            .flat_map(|g| node_summary_rows(self.columns.len(), g))
            .collect()
    }

    /// The runs of each point, in point order.
    pub fn groups(&self) -> impl Iterator<Item = &[RunRecord]> {
        self.runs.chunk_by(|a, b| a.point == b.point)
    }
}

/// The summary row of one point's runs (`columns` swept keys).
pub fn summary_row(columns: usize, group: &[RunRecord]) -> SummaryRow {
    let first_metric = 3 + columns;
    let stats = (0..metric_names().len())
        .map(|m| {
            let xs: Vec<f64> = group
                .iter()
                .map(|r| {
                    r.cells
                        .get(first_metric + m)
                        .and_then(|c| parse_cell(c))
                        .unwrap_or(f64::NAN)
                })
                .collect();
            let every_run = Metric::all()[m].pooling() == Pooling::EveryRun;
            if every_run && xs.iter().any(|x| x.is_nan()) {
                (f64::NAN, f64::NAN)
            } else {
                mean_ci95(&xs)
            }
        })
        .collect();
    SummaryRow {
        point: group[0].point,
        values: group[0].cells[3..first_metric].to_vec(),
        replications: group.len(),
        stats,
    }
}

/// The node summary rows of one point's runs.
pub fn node_summary_rows(columns: usize, group: &[RunRecord]) -> Vec<NodeSummaryRow> {
    let first_metric = 3 + columns;
    group[0]
        .nodes
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let stats = (0..NODE_METRICS.len())
                .map(|m| {
                    let xs: Vec<f64> = group
                        .iter()
                        .map(|r| {
                            r.nodes
                                .get(k)
                                .and_then(|n| n.cells.get(m))
                                .and_then(|c| parse_cell(c))
                                .unwrap_or(f64::NAN)
                        })
                        .collect();
                    mean_ci95(&xs)
                })
                .collect();
            NodeSummaryRow {
                point: group[0].point,
                values: group[0].cells[3..first_metric].to_vec(),
                node: n.node.clone(),
                class: n.class.clone(),
                replications: group.len(),
                stats,
            }
        })
        .collect()
}

/// One row of `node_summary.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSummaryRow {
    /// Point index.
    pub point: usize,
    /// Swept values.
    pub values: Vec<String>,
    /// Node id.
    pub node: String,
    /// Its class.
    pub class: String,
    /// Replications summarised.
    pub replications: usize,
    /// (mean, 95% half-width) per metric, in [`NODE_METRICS`] order.
    pub stats: Vec<(f64, f64)>,
}

/// One row of `summary.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// Point index.
    pub point: usize,
    /// Swept values.
    pub values: Vec<String>,
    /// Replications summarised.
    pub replications: usize,
    /// (mean, 95% half-width) per metric, in [`metric_names`] order.
    pub stats: Vec<(f64, f64)>,
}

impl SummaryRow {
    /// (mean, half-width) of `metric`.
    pub fn get(&self, metric: Metric) -> (f64, f64) {
        self.stats[metric.index()]
    }
}

fn csv_bytes(
    header: &[String],
    rows: impl Iterator<Item = Vec<String>>,
) -> std::io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(&r)?;
    }
    w.into_inner().map_err(|e| e.into_error())
}

/// The `nodes.csv` header.
pub fn nodes_header() -> Vec<String> {
    NODE_KEYS
        .iter()
        .map(|s| s.to_string())
        .chain(NODE_METRICS.iter().map(|m| m.name().to_string()))
        .collect()
}

/// The `nodes.csv` rows of one run.
pub fn node_rows(r: &RunRecord) -> impl Iterator<Item = Vec<String>> + '_ {
    r.nodes.iter().map(move |n| {
        let mut cells = vec![
            r.point.to_string(),
            r.replication.to_string(),
            n.node.clone(),
            n.class.clone(),
        ];
        cells.extend(n.cells.iter().cloned());
        cells
    })
}

/// The `latencies.csv` header.
pub fn latencies_header() -> Vec<String> {
    [
        "point",
        "replication",
        "node_class",
        "reclaim_latency_s",
        "freed",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The `latencies.csv` rows of one run.
pub fn latency_rows(r: &RunRecord) -> impl Iterator<Item = Vec<String>> + '_ {
    r.latencies.iter().map(move |l| {
        vec![
            r.point.to_string(),
            r.replication.to_string(),
            l.class.clone(),
            l.latency.clone(),
            l.freed_cell().to_string(),
        ]
    })
}

/// The leading columns of `nodes.csv`.
const NODE_KEYS: [&str; 4] = ["point", "replication", "node", "node_class"];

/// `node_summary.csv` bytes.
pub fn node_summary_csv(res: &Results, rows: &[NodeSummaryRow]) -> std::io::Result<Vec<u8>> {
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(res.columns.iter().cloned());
    header.extend(["node", "node_class", "replications"].map(String::from));
    for m in NODE_METRICS {
        header.push(format!("{}_mean", m.name()));
        header.push(format!("{}_ci95", m.name()));
    }
    csv_bytes(
        &header,
        rows.iter().map(|r| {
            let mut cells = vec![r.point.to_string()];
            cells.extend(r.values.iter().cloned());
            cells.extend([r.node.clone(), r.class.clone(), r.replications.to_string()]);
            for &(m, h) in &r.stats {
                cells.push(fmt_cell(m));
                cells.push(fmt_cell(h));
            }
            cells
        }),
    )
}

/// `summary.csv` bytes.
pub fn summary_csv(res: &Results, rows: &[SummaryRow]) -> std::io::Result<Vec<u8>> {
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(res.columns.iter().cloned());
    header.push("replications".into());
    for m in metric_names() {
        header.push(format!("{m}_mean"));
        header.push(format!("{m}_ci95"));
    }
    csv_bytes(
        &header,
        rows.iter().map(|r| {
            let mut cells = vec![r.point.to_string()];
            cells.extend(r.values.iter().cloned());
            cells.push(r.replications.to_string());
            for &(m, h) in &r.stats {
                cells.push(fmt_cell(m));
                cells.push(fmt_cell(h));
            }
            cells
        }),
    )
}

/// Writes `bytes` to `dir/name` atomically; returns the path.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let path = dir.join(name);
    write_atomically(&path, |buf| {
        buf.extend_from_slice(bytes);
        Ok(())
    })?;
    Ok(path)
}

/// Writes the manifest.
pub fn write_manifest(dir: &Path, m: &Manifest) -> std::io::Result<PathBuf> {
    let mut text = serde_json::to_string_pretty(m).map_err(std::io::Error::other)?;
    text.push('\n');
    write_file(dir, "manifest.json", text.as_bytes())
}

/// Why a directory could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ReadError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn read_err(path: &Path, message: impl Into<String>) -> ReadError {
    ReadError {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// Reads `manifest.json` from `dir`.
pub fn read_manifest(dir: &Path) -> Result<Manifest, ReadError> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| read_err(&path, e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| {
        read_err(
            &path,
            format!("line {} column {}: {e}", e.line(), e.column()),
        )
    })
}

fn read_csv(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), ReadError> {
    let mut r = csv::Reader::from_path(path).map_err(|e| read_err(path, e.to_string()))?;
    let header = r
        .headers()
        .map_err(|e| read_err(path, e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| read_err(path, e.to_string()))?;
        rows.push(rec.iter().map(str::to_string).collect());
    }
    Ok((header, rows))
}

/// A metric cell as sstsim writes it: empty (nothing to report) or a
/// finite number ≥ 0 (every metric is a count, a share, a time or a rate).
fn metric_cell(cell: &str) -> Result<(), ()> {
    if cell.is_empty() {
        return Ok(());
    }
    match cell.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(()),
        _ => Err(()),
    }
}

/// Checks the metric cells of one row (from column `first` on).
fn check_metrics(
    path: &Path,
    row: usize,
    header: &[String],
    cells: &[String],
    first: usize,
) -> Result<(), ReadError> {
    for (name, cell) in header.iter().zip(cells).skip(first) {
        if metric_cell(cell).is_err() {
            return Err(read_err(
                path,
                format!("row {row}, column {name}: \"{cell}\" is not a number ≥ 0"),
            ));
        }
    }
    Ok(())
}

/// Reads `runs.csv` and `latencies.csv` from `dir` back into results.
pub fn read_results(dir: &Path) -> Result<Results, ReadError> {
    let path = dir.join("runs.csv");
    let (header, rows) = read_csv(&path)?;
    let metrics = metric_names();
    let fixed = ["point", "replication", "seed"];
    let ok = header.len() >= 3 + metrics.len()
        && header[..3].iter().zip(fixed).all(|(a, b)| a == b)
        && header[header.len() - metrics.len()..] == metrics[..];
    if !ok {
        return Err(read_err(
            &path,
            "not an sstsim runs.csv of this version (the columns differ)",
        ));
    }
    let columns = header[3..header.len() - metrics.len()].to_vec();
    let first_metric = header.len() - metrics.len();
    let mut runs = Vec::with_capacity(rows.len());
    for (i, cells) in rows.into_iter().enumerate() {
        let bad = || read_err(&path, format!("row {}: bad point or replication", i + 2));
        check_metrics(&path, i + 2, &header, &cells, first_metric)?;
        runs.push(RunRecord {
            point: cells[0].parse().map_err(|_| bad())?,
            replication: cells[1].parse().map_err(|_| bad())?,
            cells,
            nodes: Vec::new(),
            latencies: Vec::new(),
        });
    }
    runs.sort_by_key(|r| (r.point, r.replication));
    if let Some(w) = runs
        .windows(2)
        .find(|w| (w[0].point, w[0].replication) == (w[1].point, w[1].replication))
    {
        return Err(read_err(
            &path,
            format!(
                "point {} replication {} appears twice",
                w[0].point, w[0].replication
            ),
        ));
    }
    let npath = dir.join("nodes.csv");
    if npath.exists() {
        let (header, nrows) = read_csv(&npath)?;
        let names: Vec<&str> = NODE_KEYS
            .into_iter()
            .chain(NODE_METRICS.iter().map(|m| m.name()))
            .collect();
        if header != names {
            return Err(read_err(
                &npath,
                "not an sstsim nodes.csv of this version (the columns differ)",
            ));
        }
        for (i, n) in nrows.into_iter().enumerate() {
            let bad = || read_err(&npath, format!("row {}: bad point or replication", i + 2));
            check_metrics(&npath, i + 2, &header, &n, NODE_KEYS.len())?;
            let (p, r): (usize, u32) = (
                n[0].parse().map_err(|_| bad())?,
                n[1].parse().map_err(|_| bad())?,
            );
            match runs.binary_search_by_key(&(p, r), |x| (x.point, x.replication)) {
                Ok(k) => runs[k].nodes.push(NodeRecord {
                    node: n[2].clone(),
                    class: n[3].clone(),
                    cells: n[4..].to_vec(),
                }),
                Err(_) => return Err(read_err(&npath, format!("row {}: no such run", i + 2))),
            }
        }
    }
    let lpath = dir.join("latencies.csv");
    if lpath.exists() {
        let (_, lrows) = read_csv(&lpath)?;
        for (i, l) in lrows.into_iter().enumerate() {
            let bad = || read_err(&lpath, format!("row {}: expected 5 columns", i + 2));
            if l.len() != 5 {
                return Err(bad());
            }
            let freed = LatencySample::parse_freed(&l[4]).ok_or_else(bad)?;
            if metric_cell(&l[3]).is_err() {
                return Err(read_err(
                    &lpath,
                    format!("row {}: latency_s \"{}\" is not a number ≥ 0", i + 2, l[3]),
                ));
            }
            let (p, r): (usize, u32) = (
                l[0].parse().map_err(|_| bad())?,
                l[1].parse().map_err(|_| bad())?,
            );
            match runs.binary_search_by_key(&(p, r), |x| (x.point, x.replication)) {
                Ok(k) => runs[k].latencies.push(LatencySample {
                    class: l[2].clone(),
                    latency: l[3].clone(),
                    freed,
                }),
                Err(_) => return Err(read_err(&lpath, format!("row {}: no such run", i + 2))),
            }
        }
    }
    Ok(Results::new(columns, runs))
}
