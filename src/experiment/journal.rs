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
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
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

/// Where one finished run's lines are in the journal: enough to read it
/// back when the outputs are written, point by point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// The run's point.
    pub point: usize,
    /// The run's replication.
    pub replication: u32,
    /// Byte offset of its first line.
    pub offset: u64,
    /// Length in bytes, through its run line's newline.
    pub len: u64,
}

/// An open journal.
pub struct Journal {
    file: File,
    path: String,
    /// The experiment hash written on every run line.
    identity: String,
    /// Its length: where the next run goes.
    end: u64,
}

impl Journal {
    /// Opens the journal at `path`. With `resume`, reads the runs already
    /// finished (the header must equal `header`, and every run line carry
    /// `identity` and pass `belongs`) and cuts a torn tail; otherwise starts
    /// a new journal, never truncating one that exists. Returns where each
    /// finished run is; the runs themselves are not kept in memory.
    pub fn open(
        path: &Path,
        header: &str,
        identity: &str,
        resume: bool,
        belongs: &dyn Fn(&RunRecord) -> Result<(), String>,
    ) -> Result<(Journal, Vec<Block>), JournalError> {
        let shown = path.display().to_string();
        let io = |source| JournalError::Io {
            path: shown.clone(),
            source,
        };
        let journal = |file, end| Journal {
            file,
            path: shown.clone(),
            identity: identity.to_string(),
            end,
        };
        if !resume || !path.exists() {
            let mut file = match OpenOptions::new().append(true).create_new(true).open(path) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(JournalError::Exists { path: shown });
                }
                other => other.map_err(io)?,
            };
            let head = format!("{header}\n");
            file.write_all(head.as_bytes()).map_err(io)?;
            file.flush().map_err(io)?;
            return Ok((journal(file, head.len() as u64), Vec::new()));
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        let complete = complete_len(&mut file).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut reader = BufReader::new((&mut file).take(complete));
        let mut found = String::new();
        reader.read_line(&mut found).map_err(io)?;
        let found = found.strip_suffix('\n').unwrap_or(&found);
        if found != header {
            return Err(JournalError::Mismatch {
                path: shown,
                found: found.to_string(),
                expected: header.to_string(),
            });
        }
        let start = found.len() as u64 + 1;
        let blocks = scan_records(reader, start, &shown, identity, belongs)?;
        file.set_len(complete).map_err(io)?;
        Ok((journal(file, complete), blocks))
    }

    /// Appends one finished run in a single write and hands it to the OS;
    /// returns where it went.
    pub fn append(&mut self, rec: &RunRecord) -> Result<Block, JournalError> {
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
        self.file.flush().map_err(|e| self.io(e))?;
        let block = Block {
            point: rec.point,
            replication: rec.replication,
            offset: self.end,
            len: buf.len() as u64,
        };
        self.end += block.len;
        Ok(block)
    }

    fn io(&self, source: std::io::Error) -> JournalError {
        JournalError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

/// Reads finished runs back from a journal, by their blocks.
pub struct JournalReader {
    file: File,
    path: String,
}

impl JournalReader {
    /// Opens the journal at `path` for reading.
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        let shown = path.display().to_string();
        File::open(path)
            .map(|file| JournalReader {
                file,
                path: shown.clone(),
            })
            .map_err(|source| JournalError::Io {
                path: shown,
                source,
            })
    }

    /// The run at `block`.
    pub fn read(&mut self, block: &Block) -> Result<RunRecord, JournalError> {
        let io = |source| JournalError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.seek(SeekFrom::Start(block.offset)).map_err(io)?;
        let mut reader = BufReader::new((&mut self.file).take(block.len));
        let mut run = None;
        for_each_record(&mut reader, 0, &self.path, |rec, _, _| {
            run = Some(rec.record);
            Ok(())
        })?;
        run.ok_or(JournalError::Corrupt {
            path: self.path.clone(),
            line: 0,
        })
    }
}

/// The length of the journal's complete lines (a torn last line is cut).
fn complete_len(file: &mut File) -> std::io::Result<u64> {
    let len = file.seek(SeekFrom::End(0))?;
    let mut end = len;
    let mut buf = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Checks every finished run after the header (which ends at byte `start`)
/// and returns where each is, without keeping the runs.
fn scan_records(
    mut reader: impl BufRead,
    start: u64,
    path: &str,
    identity: &str,
    belongs: &dyn Fn(&RunRecord) -> Result<(), String>,
) -> Result<Vec<Block>, JournalError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut blocks = Vec::new();
    for_each_record(&mut reader, 1, path, |run, line, (from, to)| {
        let foreign = |what| JournalError::Foreign {
            path: path.to_string(),
            line,
            what,
        };
        if let Some(found) = run.identity.as_deref().filter(|&h| h != identity) {
            return Err(foreign(format!(
                "a run of experiment hash {found} (this one is {identity})"
            )));
        }
        belongs(&run.record).map_err(foreign)?;
        let (point, replication) = (run.record.point, run.record.replication);
        if !seen.insert((point, replication)) {
            return Err(foreign(format!(
                "point {point} replication {replication} is recorded twice"
            )));
        }
        blocks.push(Block {
            point,
            replication,
            offset: start + from,
            len: to - from,
        });
        Ok(())
    })?;
    Ok(blocks)
}

/// A run read back, with the identity its run line carries.
struct ReadRun {
    record: RunRecord,
    identity: Option<String>,
}

/// Reads journal records one by one; latency and node lines attach to the
/// run line that follows them, and are dropped if that line never came.
/// `each` gets the run, its run line's number (after `lines_before`) and
/// its byte span in the reader.
fn for_each_record<R: BufRead>(
    reader: &mut R,
    lines_before: usize,
    path: &str,
    mut each: impl FnMut(ReadRun, usize, (u64, u64)) -> Result<(), JournalError>,
) -> Result<(), JournalError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut pending: Vec<LatencySample> = Vec::new();
    let mut pending_nodes: Vec<NodeRecord> = Vec::new();
    let mut rec = csv::StringRecord::new();
    let mut block_start = 0u64;
    loop {
        let at = csv.position().byte();
        let line = csv.position().line() as usize + lines_before;
        let corrupt = || JournalError::Corrupt {
            path: path.to_string(),
            line,
        };
        if !csv.read_record(&mut rec).map_err(|_| corrupt())? {
            return Ok(());
        }
        if pending.is_empty() && pending_nodes.is_empty() {
            block_start = at;
        }
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
                let run = ReadRun {
                    identity: Some(rec[1].to_string()),
                    record: RunRecord {
                        point: rec[2].parse().map_err(|_| corrupt())?,
                        replication: rec[3].parse().map_err(|_| corrupt())?,
                        cells: rec.iter().skip(2).map(str::to_string).collect(),
                        nodes: std::mem::take(&mut pending_nodes),
                        latencies: std::mem::take(&mut pending),
                    },
                };
                each(run, line, (block_start, csv.position().byte()))?;
            }
            _ => return Err(corrupt()),
        }
    }
}
