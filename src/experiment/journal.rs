//! The run journal: finished runs appended as they complete, so that an
//! interrupt loses only runs in flight and `--resume` skips the rest.
//!
//! Format: a header line naming the experiment hash and the shard, then CSV
//! records: `L,point,replication,node_class,latency_s,freed` lines for a
//! run's latency samples, `N,point,replication,node,node_class,<metrics>`
//! lines for its nodes, then its `R,<experiment hash>,<runs.csv row>` line,
//! all written in one `write` call to a file opened for appending. Every run
//! line carries the experiment's identity, so a journal that somehow mixes
//! experiments is refused on resume rather than merged. A run counts as finished only when its `R` line is complete
//! (newline-terminated); a torn tail is cut off on resume.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use super::metrics::NODE_METRICS;
use super::record::{LatencySample, NodeRecord, RunRecord};

/// Why a journal could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The journal belongs to another experiment, shard or version.
    #[error(
        "{path}: the journal was written by a different experiment or shard ({found}); \
         expected {expected}. Remove it, or run without --resume to start over"
    )]
    Mismatch {
        /// Journal path.
        path: String,
        /// Header found.
        found: String,
        /// Header expected.
        expected: String,
    },
    /// A journal of an interrupted run, and no `--resume`: starting over
    /// would silently throw its finished runs away.
    #[error(
        "{path}: an interrupted run left its finished runs here. \
         Continue it with --resume, or remove the directory to start over"
    )]
    Exists {
        /// Journal path.
        path: String,
    },
    /// A line that is complete but unreadable.
    #[error("{path}:{line}: unreadable journal line; remove the journal to start over")]
    Corrupt {
        /// Journal path.
        path: String,
        /// 1-based line.
        line: usize,
    },
    /// A run line of another experiment, or of a run this one does not have.
    #[error(
        "{path}:{line}: {what}: this journal is not this experiment's alone; \
         remove it (or the directory) to start over"
    )]
    Foreign {
        /// Journal path.
        path: String,
        /// 1-based line.
        line: usize,
        /// What does not belong.
        what: String,
    },
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// Journal path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// An open journal.
pub struct Journal {
    file: File,
    path: String,
    /// The experiment hash written on every run line.
    identity: String,
}

impl Journal {
    /// Opens the journal at `path`. With `resume`, reads the runs already
    /// finished (the header must equal `header`, and every run line carry
    /// `identity`) and cuts a torn tail; otherwise starts a new journal,
    /// never truncating one that exists.
    pub fn open(
        path: &Path,
        header: &str,
        identity: &str,
        resume: bool,
        belongs: &dyn Fn(&RunRecord) -> Result<(), String>,
    ) -> Result<(Journal, Vec<RunRecord>), JournalError> {
        let shown = path.display().to_string();
        let io = |source| JournalError::Io {
            path: shown.clone(),
            source,
        };
        let journal = |file| Journal {
            file,
            path: shown.clone(),
            identity: identity.to_string(),
        };
        if !resume || !path.exists() {
            let mut file = match OpenOptions::new().append(true).create_new(true).open(path) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(JournalError::Exists { path: shown });
                }
                other => other.map_err(io)?,
            };
            file.write_all(format!("{header}\n").as_bytes())
                .map_err(io)?;
            file.flush().map_err(io)?;
            return Ok((journal(file), Vec::new()));
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let text = String::from_utf8_lossy(&bytes[..complete]).into_owned();
        let mut lines = text.lines();
        let found = lines.next().unwrap_or("");
        if found != header {
            return Err(JournalError::Mismatch {
                path: shown,
                found: found.to_string(),
                expected: header.to_string(),
            });
        }
        let records = parse_records(&text[found.len() + 1..], &shown, identity, belongs)?;
        file.set_len(complete as u64).map_err(io)?;
        Ok((journal(file), records))
    }

    /// Appends one finished run in a single write and hands it to the OS.
    pub fn append(&mut self, rec: &RunRecord) -> Result<(), JournalError> {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new());
        let (p, r) = (rec.point.to_string(), rec.replication.to_string());
        for l in &rec.latencies {
            w.write_record(["L", &p, &r, &l.class, &l.latency, l.freed_cell()])
                .map_err(|e| self.io(e.into()))?;
        }
        for n in &rec.nodes {
            w.write_record(
                ["N", &p, &r, &n.node, &n.class]
                    .into_iter()
                    .chain(n.cells.iter().map(String::as_str)),
            )
            .map_err(|e| self.io(e.into()))?;
        }
        w.write_record(
            ["R", self.identity.as_str()]
                .into_iter()
                .chain(rec.cells.iter().map(String::as_str)),
        )
        .map_err(|e| self.io(e.into()))?;
        let buf = w.into_inner().map_err(|e| self.io(e.into_error()))?;
        self.file.write_all(&buf).map_err(|e| self.io(e))?;
        self.file.flush().map_err(|e| self.io(e))
    }

    fn io(&self, source: std::io::Error) -> JournalError {
        JournalError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

/// Reads the records after the header; latency and node lines attach to
/// the run line that follows them, and are dropped if that line never came.
fn parse_records(
    body: &str,
    path: &str,
    identity: &str,
    belongs: &dyn Fn(&RunRecord) -> Result<(), String>,
) -> Result<Vec<RunRecord>, JournalError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut out = Vec::new();
    let mut pending: Vec<LatencySample> = Vec::new();
    let mut pending_nodes: Vec<NodeRecord> = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let corrupt = || JournalError::Corrupt {
            path: path.to_string(),
            line: i + 2,
        };
        let rec = rec.map_err(|_| corrupt())?;
        match rec.get(0) {
            Some("L") if rec.len() == 6 => {
                pending.push(LatencySample {
                    class: rec[3].to_string(),
                    latency: rec[4].to_string(),
                    freed: LatencySample::parse_freed(&rec[5]).ok_or_else(corrupt)?,
                });
            }
            Some("N") if rec.len() == 5 + NODE_METRICS.len() => {
                pending_nodes.push(NodeRecord {
                    node: rec[3].to_string(),
                    class: rec[4].to_string(),
                    cells: rec.iter().skip(5).map(str::to_string).collect(),
                });
            }
            Some("R") if rec.len() >= 5 => {
                if &rec[1] != identity {
                    return Err(JournalError::Foreign {
                        path: path.to_string(),
                        line: i + 2,
                        what: format!(
                            "a run of experiment hash {} (this one is {identity})",
                            &rec[1]
                        ),
                    });
                }
                let point = rec[2].parse().map_err(|_| corrupt())?;
                let replication = rec[3].parse().map_err(|_| corrupt())?;
                let run = RunRecord {
                    point,
                    replication,
                    cells: rec.iter().skip(2).map(str::to_string).collect(),
                    nodes: std::mem::take(&mut pending_nodes),
                    latencies: std::mem::take(&mut pending),
                };
                let foreign = |what| JournalError::Foreign {
                    path: path.to_string(),
                    line: i + 2,
                    what,
                };
                belongs(&run).map_err(foreign)?;
                if !seen.insert((point, replication)) {
                    return Err(foreign(format!(
                        "point {point} replication {replication} is recorded twice"
                    )));
                }
                out.push(run);
            }
            _ => return Err(corrupt()),
        }
    }
    Ok(out)
}
