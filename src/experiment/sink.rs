//! Writes an experiment's files point by point, so that memory holds one
//! point's runs at a time however many runs there are: `runs.csv`,
//! `nodes.csv` and `latencies.csv` stream to disk, the summaries keep one
//! row per point (per point and node), and only runs with latency samples
//! (the `cdf_at` point's) stay for the charts.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use super::output::{
    NodeSummaryRow, Results, SummaryRow, latencies_header, latency_rows, node_rows,
    node_summary_rows, nodes_header, summary_row,
};
use super::record::RunRecord;

type CsvFile = csv::Writer<BufWriter<File>>;

/// What a finished sink hands on for the files written whole.
pub(super) struct Finished {
    /// The streamed files.
    pub(super) files: Vec<PathBuf>,
    /// One row per point (empty for a shard).
    pub(super) summary: Vec<SummaryRow>,
    /// One row per point and node (empty for a shard).
    pub(super) node_summary: Vec<NodeSummaryRow>,
    /// The runs with latency samples, for the charts.
    pub(super) chart_runs: Results,
}

/// The streaming writers of one staged output set.
pub(super) struct OutputSink {
    dir: PathBuf,
    columns: Vec<String>,
    runs: CsvFile,
    nodes: CsvFile,
    latencies: CsvFile,
    /// Summaries are written for a whole experiment, not for a shard.
    summarize: bool,
    summary: Vec<SummaryRow>,
    node_summary: Vec<NodeSummaryRow>,
    with_latencies: Vec<RunRecord>,
}

fn create(dir: &Path, name: &str, header: &[String]) -> std::io::Result<CsvFile> {
    let mut w = csv::Writer::from_writer(BufWriter::new(File::create(dir.join(name))?));
    w.write_record(header)?;
    Ok(w)
}

/// Flushes a writer and syncs its file to disk.
fn close(w: CsvFile) -> std::io::Result<()> {
    let file = w
        .into_inner()
        .map_err(|e| e.into_error())?
        .into_inner()
        .map_err(|e| e.into_error())?;
    file.sync_all()
}

impl OutputSink {
    /// Starts the files in `dir` (a staging directory).
    pub(super) fn new(dir: &Path, columns: &[String], summarize: bool) -> std::io::Result<Self> {
        let runs_header: Vec<String> = Results::new(columns.to_vec(), Vec::new()).runs_header();
        Ok(OutputSink {
            dir: dir.to_path_buf(),
            columns: columns.to_vec(),
            runs: create(dir, "runs.csv", &runs_header)?,
            nodes: create(dir, "nodes.csv", &nodes_header())?,
            latencies: create(dir, "latencies.csv", &latencies_header())?,
            summarize,
            summary: Vec::new(),
            node_summary: Vec::new(),
            with_latencies: Vec::new(),
        })
    }

    /// Adds one point's runs, sorted by replication; points come in order.
    pub(super) fn point(&mut self, group: Vec<RunRecord>) -> std::io::Result<()> {
        if group.is_empty() {
            return Ok(());
        }
        for r in &group {
            self.runs.write_record(&r.cells)?;
        }
        for r in &group {
            for row in node_rows(r) {
                self.nodes.write_record(&row)?;
            }
        }
        for r in &group {
            for row in latency_rows(r) {
                self.latencies.write_record(&row)?;
            }
        }
        if self.summarize {
            self.summary.push(summary_row(self.columns.len(), &group));
            self.node_summary
                .extend(node_summary_rows(self.columns.len(), &group));
        }
        self.with_latencies
            .extend(group.into_iter().filter(|r| !r.latencies.is_empty()));
        Ok(())
    }

    /// Closes the streamed files. Returns their paths, the summaries and
    /// the runs the charts need (as results).
    pub(super) fn finish(self) -> std::io::Result<Finished> {
        close(self.runs)?;
        close(self.nodes)?;
        close(self.latencies)?;
        let files = ["runs.csv", "nodes.csv", "latencies.csv"]
            .iter()
            .map(|n| self.dir.join(n))
            .collect();
        Ok(Finished {
            files,
            summary: self.summary,
            node_summary: self.node_summary,
            chart_runs: Results::new(self.columns, self.with_latencies),
        })
    }
}
