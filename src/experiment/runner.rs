//! Runs an experiment's (point, replication) runs in parallel, streams each
//! finished run to the journal, and writes the final files atomically.
//!
//! Common random numbers: every point of replication r draws from the seed
//! space `(seed, 0, r)`, so all points see the same arrivals, holding times,
//! crashes and per-link loss draws; only the swept parameters differ.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use super::cells::fmt_cell;
use super::charts::draw_all;
use super::journal::{Block, Journal, JournalError, JournalReader};
use super::lock::{DirLock, LockError};
use super::metrics::metric_values;
use super::output::{
    GridKey, Manifest, Results, Shard, SummaryRow, node_summary_csv, read_manifest, read_results,
    summary_csv, write_file, write_manifest,
};
use super::progress::Progress;
use super::publish;
use super::record::{RunRecord, latency_samples, node_records};
use super::sink::{Finished, OutputSink};
use super::spec::Experiment;
use crate::engine::SeedSpace;
use crate::sim::{LimitExceeded, TraceFilter, World};

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Output directory.
    pub out: PathBuf,
    /// Worker threads (≥ 1).
    pub threads: usize,
    /// Continue from the journal in `out`.
    pub resume: bool,
    /// Run only this slice.
    pub shard: Option<Shard>,
    /// Show progress: a bar on a terminal, a line every 10 s on a log.
    pub progress: bool,
    /// Stop after this many new runs (tests of interruption); `None`: all.
    pub stop_after: Option<usize>,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The journal cannot be resumed.
    #[error("{0}")]
    Journal(#[from] JournalError),
    /// Files could not be written or read.
    #[error("{0}")]
    Io(String),
    /// Shard directories that do not fit together.
    #[error("{0}")]
    Merge(String),
    /// The output directory is another writer's.
    #[error("{0}")]
    Lock(#[from] LockError),
    /// A run needs more than the simulator can hold; the sweep stopped.
    #[error(
        "point {point} replication {replication}: {error}. The sweep stopped; \
         the runs that finished are kept in the journal"
    )]
    Limit {
        /// The run's point.
        point: usize,
        /// The run's replication.
        replication: u32,
        /// What overflowed.
        error: LimitExceeded,
    },
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// Runs executed now.
    pub ran: usize,
    /// Runs found finished in the journal.
    pub resumed: usize,
    /// Runs still missing (only when stopped early).
    pub missing: usize,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Per-point summary (unsharded, complete runs only).
    pub summary: Vec<SummaryRow>,
    /// Wall time, seconds.
    pub wall_time_s: f64,
}

const JOURNAL: &str = "runs.journal";

/// Executes one run.
fn run_one(exp: &Experiment, point: usize, replication: u32) -> Result<RunRecord, RunError> {
    let p = &exp.points[point];
    let mut world = World::new(
        p.scenario.world.clone(),
        SeedSpace::new(exp.seed, 0, u64::from(replication)),
        TraceFilter::Off,
    );
    let cdf = point == exp.charts.cdf_point;
    if cdf {
        world.record_dialogs();
    }
    world.run_checked().map_err(|error| RunError::Limit {
        point,
        replication,
        error,
    })?;
    let end = world.now();
    let names = world.names().to_vec();
    let (metrics, rows) = world.finish();
    let mut cells = vec![
        point.to_string(),
        replication.to_string(),
        exp.seed.to_string(),
    ];
    cells.extend(p.values.iter().cloned());
    cells.extend(metric_values(&metrics).into_iter().map(fmt_cell));
    Ok(RunRecord {
        point,
        replication,
        cells,
        nodes: node_records(&names, &metrics),
        latencies: rows.map(|r| latency_samples(&r, end)).unwrap_or_default(),
    })
}

/// The runs of `shard` (all runs without one), in canonical order.
pub fn planned_runs(exp: &Experiment, shard: Option<Shard>) -> Vec<(usize, u32)> {
    let reps = exp.replications;
    (0..exp.points.len())
        .flat_map(|p| (0..reps).map(move |r| (p, r)))
        .filter(|&(p, r)| shard.is_none_or(|s| s.holds(p as u64 * u64::from(reps) + u64::from(r))))
        .collect()
}

fn journal_header(exp: &Experiment, shard: Option<Shard>) -> String {
    format!(
        "# sstsim {} journal: experiment {} hash {:016x} runs {}",
        env!("CARGO_PKG_VERSION"),
        exp.name,
        exp.hash,
        shard.map_or("all".to_string(), |s| s.to_string())
    )
}

/// Wall-clock seconds since `start`: only the manifest and the terminal see it.
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> std::time::Instant {
    std::time::Instant::now()
}

/// Whether a journal's run belongs to this experiment and shard: a run it
/// plans, with this seed, the point's swept values and every column.
fn belongs(exp: &Experiment, shard: Option<Shard>, rec: &RunRecord) -> Result<(), String> {
    let (p, r) = (rec.point, rec.replication);
    let k = p as u64 * u64::from(exp.replications) + u64::from(r);
    let planned = p < exp.points.len() && r < exp.replications && shard.is_none_or(|s| s.holds(k));
    if !planned {
        return Err(format!(
            "point {p} replication {r} is not a run of this experiment or shard"
        ));
    }
    let expected = 3 + exp.columns.len() + super::metrics::Metric::all().len();
    let values = &exp.points[p].values;
    let ok = rec.cells.len() == expected
        && rec.cells[2] == exp.seed.to_string()
        && rec.cells[3..3 + values.len()] == values[..];
    if ok {
        Ok(())
    } else {
        Err(format!(
            "point {p} replication {r} has other columns, seed or swept values than this experiment"
        ))
    }
}

/// The runs of a finished directory, if it was written by this experiment and shard.
fn completed_runs(exp: &Experiment, shard: Option<Shard>, dir: &Path) -> Vec<RunRecord> {
    let same = read_manifest(dir).is_ok_and(|m| {
        m.experiment_hash == format!("{:016x}", exp.hash) && m.seed == exp.seed && m.shard == shard
    });
    if !same {
        return Vec::new();
    }
    read_results(dir).map(|r| r.runs).unwrap_or_default()
}

/// Runs the experiment (or its shard) and writes the output directory.
pub fn run_experiment(exp: &Experiment, opts: &RunOptions) -> Result<RunOutcome, RunError> {
    let started = wall_clock();
    let io = |what: &str, e: &dyn std::fmt::Display| RunError::Io(format!("{what}: {e}"));
    std::fs::create_dir_all(&opts.out).map_err(|e| io(&opts.out.display().to_string(), &e))?;
    let _lock = DirLock::acquire(&opts.out, &format!("sstsim run {}", exp.source))?;
    recover(&opts.out)?;
    let journal_path = opts.out.join(JOURNAL);
    // Resuming a run that already finished: its files hold every run.
    let completed = if opts.resume && !journal_path.exists() {
        completed_runs(exp, opts.shard, &opts.out)
    } else {
        Vec::new()
    };
    let plan = planned_runs(exp, opts.shard);
    let (journal, mut blocks) = Journal::open(
        &journal_path,
        &journal_header(exp, opts.shard),
        &format!("{:016x}", exp.hash),
        opts.resume,
        &|rec| belongs(exp, opts.shard, rec),
    )?;
    // One bit per run of the grid: memory for bookkeeping stays small.
    let reps = u64::from(exp.replications);
    let index = |p: usize, r: u32| (p as u64 * reps + u64::from(r)) as usize;
    let mut finished = vec![0u64; (exp.points.len() * exp.replications as usize).div_ceil(64)];
    let mut resumed = 0;
    for (p, r) in blocks
        .iter()
        .map(|b| (b.point, b.replication))
        .chain(completed.iter().map(|r| (r.point, r.replication)))
    {
        let k = index(p, r);
        resumed += usize::from(finished[k / 64] & (1 << (k % 64)) == 0);
        finished[k / 64] |= 1 << (k % 64);
    }
    let mut todo: Vec<(usize, u32)> = plan
        .into_iter()
        .filter(|&(p, r)| finished[index(p, r) / 64] & (1 << (index(p, r) % 64)) == 0)
        .collect();
    let planned = todo.len() + resumed;
    if let Some(n) = opts.stop_after {
        todo.truncate(n);
    }
    let bar = Progress::new(planned as u64, resumed as u64, opts.progress);
    let journal = Mutex::new(journal);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| io("starting worker threads", &e))?;
    // Each run goes to the journal and is let go: memory does not grow
    // with the number of runs.
    let fresh: Vec<Block> = pool.install(|| {
        // Runs differ in cost by 10× or more (short intervals refresh often):
        // splitting down to single runs lets an idle worker steal any of them.
        todo.par_iter()
            .with_max_len(1)
            .map(|&(p, r)| {
                let rec = run_one(exp, p, r)?;
                let block = journal
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .append(&rec)?;
                bar.inc();
                Ok(block)
            })
            .collect::<Result<_, RunError>>()
    })?;
    bar.finish();
    drop(journal);
    let ran = fresh.len();
    blocks.extend(fresh);
    let total = blocks.len() + completed.len();
    let missing = planned - total;
    let mut outcome = RunOutcome {
        ran,
        resumed,
        missing,
        files: Vec::new(),
        summary: Vec::new(),
        wall_time_s: 0.0,
    };
    if missing > 0 {
        // Stopped early: the journal holds what finished; no final files.
        return Ok(outcome);
    }
    let wall = started.elapsed().as_secs_f64();
    let manifest = Manifest {
        sstsim_version: env!("CARGO_PKG_VERSION").into(),
        name: exp.name.clone(),
        description: exp.description.clone(),
        experiment: exp.source.clone(),
        experiment_hash: format!("{:016x}", exp.hash),
        seed: exp.seed,
        replications: exp.replications,
        points: exp.points.len(),
        runs: total,
        grid: exp
            .grid
            .iter()
            .map(|(k, v)| GridKey {
                key: k.clone(),
                values: v.clone(),
            })
            .collect(),
        charts: exp.charts.clone(),
        shard: opts.shard,
        threads: opts.threads.max(1),
        wall_time_s: wall,
    };
    let (files, summary) = if completed.is_empty() {
        write_from_journal(&opts.out, &journal_path, blocks, &exp.columns, &manifest)?
    } else {
        // A finished directory resumed: its files hold every run.
        write_outputs(
            &opts.out,
            &Results::new(exp.columns.clone(), completed),
            &manifest,
        )?
    };
    let _ = std::fs::remove_file(opts.out.join(JOURNAL));
    outcome.files = files;
    outcome.summary = summary;
    outcome.wall_time_s = wall;
    Ok(outcome)
}

/// Writes every file of a directory from `results`: the CSVs and manifest,
/// plus summary and charts unless the directory holds one shard. The files
/// are published as one set (see `publish`): if any cannot be written, the
/// directory keeps its previous files.
pub fn write_outputs(
    dir: &Path,
    results: &Results,
    manifest: &Manifest,
) -> Result<(Vec<PathBuf>, Vec<SummaryRow>), RunError> {
    let groups = results.groups().map(|g| Ok(g.to_vec()));
    publish_set(dir, &results.columns, manifest, groups)
}

/// Writes the directory's files from the journal's runs, one point at a time.
fn write_from_journal(
    dir: &Path,
    journal: &Path,
    mut blocks: Vec<Block>,
    columns: &[String],
    manifest: &Manifest,
) -> Result<(Vec<PathBuf>, Vec<SummaryRow>), RunError> {
    blocks.sort_by_key(|b| (b.point, b.replication));
    let mut reader = JournalReader::open(journal)?;
    let groups = blocks.chunk_by(|a, b| a.point == b.point).map(move |g| {
        g.iter()
            .map(|b| reader.read(b).map_err(RunError::from))
            .collect::<Result<Vec<_>, _>>()
    });
    publish_set(dir, columns, manifest, groups)
}

/// Stages the set from the runs of each point (in point order), then
/// publishes it.
fn publish_set(
    dir: &Path,
    columns: &[String],
    manifest: &Manifest,
    groups: impl Iterator<Item = Result<Vec<RunRecord>, RunError>>,
) -> Result<(Vec<PathBuf>, Vec<SummaryRow>), RunError> {
    let io = |e: std::io::Error| RunError::Io(format!("writing into {}: {e}", dir.display()));
    let stage = publish::stage(dir).map_err(io)?;
    let written = write_set(&stage, columns, manifest, groups);
    let (names, summary) = match written {
        Ok(x) => x,
        Err(e) => {
            publish::abandon(dir);
            return Err(e);
        }
    };
    publish::publish(dir).map_err(io)?;
    Ok((names.iter().map(|n| dir.join(n)).collect(), summary))
}

/// Writes the set into `stage`; returns the paths written, relative to it.
fn write_set(
    stage: &Path,
    columns: &[String],
    manifest: &Manifest,
    groups: impl Iterator<Item = Result<Vec<RunRecord>, RunError>>,
) -> Result<(Vec<PathBuf>, Vec<SummaryRow>), RunError> {
    let io = |e: std::io::Error| RunError::Io(format!("writing into {}: {e}", stage.display()));
    let whole = manifest.shard.is_none();
    let mut sink = OutputSink::new(stage, columns, whole).map_err(io)?;
    for g in groups {
        sink.point(g?).map_err(io)?;
    }
    let Finished {
        mut files,
        summary,
        node_summary,
        chart_runs,
    } = sink.finish().map_err(io)?;
    if whole {
        files.push(
            write_file(
                stage,
                "summary.csv",
                &summary_csv(&chart_runs, &summary).map_err(io)?,
            )
            .map_err(io)?,
        );
        files.push(
            write_file(
                stage,
                "node_summary.csv",
                &node_summary_csv(&chart_runs, &node_summary).map_err(io)?,
            )
            .map_err(io)?,
        );
        files.extend(draw_charts(stage, &chart_runs, &summary, manifest)?);
    }
    files.push(write_manifest(stage, manifest).map_err(io)?);
    let relative = files
        .iter()
        .filter_map(|f| f.strip_prefix(stage).ok().map(Path::to_path_buf))
        .collect();
    Ok((relative, summary))
}

/// Draws the charts into `dir/charts`.
fn draw_charts(
    dir: &Path,
    results: &Results,
    summary: &[SummaryRow],
    manifest: &Manifest,
) -> Result<Vec<PathBuf>, RunError> {
    let charts = dir.join("charts");
    std::fs::create_dir_all(&charts)
        .map_err(|e| RunError::Io(format!("charts in {}: {e}", dir.display())))?;
    draw_all(results, summary, &manifest.charts, &charts).map_err(|e| RunError::Io(e.to_string()))
}

/// `sstsim plot DIR`: redraws the charts from the directory's CSV files.
pub fn plot(dir: &Path) -> Result<Vec<PathBuf>, RunError> {
    let _lock = DirLock::acquire(dir, "sstsim plot")?;
    recover(dir)?;
    let manifest = read_manifest(dir).map_err(|e| RunError::Merge(e.to_string()))?;
    let results = read_results(dir).map_err(|e| RunError::Merge(e.to_string()))?;
    let summary = results.summary();
    let io = |e: std::io::Error| RunError::Io(format!("charts in {}: {e}", dir.display()));
    let stage = publish::stage(dir).map_err(io)?;
    let drawn = match draw_charts(&stage, &results, &summary, &manifest) {
        Ok(d) => d,
        Err(e) => {
            publish::abandon(dir);
            return Err(e);
        }
    };
    publish::publish(dir).map_err(io)?;
    Ok(drawn
        .iter()
        .filter_map(|p| p.strip_prefix(&stage).ok().map(|p| dir.join(p)))
        .collect())
}

/// Finishes or clears what an interrupted writer left in `dir`.
fn recover(dir: &Path) -> Result<(), RunError> {
    publish::recover(dir).map_err(|e| RunError::Io(format!("cleaning up {}: {e}", dir.display())))
}

/// Every run of a shard directory is one its manifest's experiment and
/// shard plans, with the manifest's seed.
fn check_runs_fit(dir: &Path, m: &Manifest, runs: &[RunRecord]) -> Result<(), String> {
    let shard = m.shard.unwrap_or(Shard { index: 1, count: 1 });
    if !(1..=shard.count).contains(&shard.index) {
        return Ok(()); // `merge` reports the manifest itself
    }
    for r in runs {
        let k = r.point as u64 * u64::from(m.replications) + u64::from(r.replication);
        let planned = r.point < m.points && r.replication < m.replications && shard.holds(k);
        if !planned {
            return Err(format!(
                "{}: point {} replication {} is not a run of this shard ({shard}) of a grid of {} points × {} replications",
                dir.join("runs.csv").display(),
                r.point,
                r.replication,
                m.points,
                m.replications
            ));
        }
        if r.cells.get(2) != Some(&m.seed.to_string()) {
            return Err(format!(
                "{}: point {} replication {} has seed {}, the manifest says {}",
                dir.join("runs.csv").display(),
                r.point,
                r.replication,
                r.cells.get(2).map_or("", String::as_str),
                m.seed
            ));
        }
    }
    Ok(())
}

/// `sstsim merge`: combines shard directories into the files of an unsharded run.
pub fn merge(out: &Path, shards: &[PathBuf]) -> Result<Vec<PathBuf>, RunError> {
    let fail = |m: String| RunError::Merge(m);
    let mut manifests = Vec::new();
    let mut runs = Vec::new();
    let mut columns: Option<Vec<String>> = None;
    for d in shards {
        if !d.join("manifest.json").exists() && d.join(JOURNAL).exists() {
            return Err(fail(format!(
                "{}: this shard is incomplete (runs.journal only); rerun it with --resume in that directory",
                d.display()
            )));
        }
        let m = read_manifest(d).map_err(|e| fail(e.to_string()))?;
        let r = read_results(d).map_err(|e| fail(e.to_string()))?;
        check_runs_fit(d, &m, &r.runs).map_err(fail)?;
        if columns.as_ref().is_some_and(|c| *c != r.columns) {
            return Err(fail(format!(
                "{}: its swept columns differ from the other shards'",
                d.display()
            )));
        }
        columns = Some(r.columns);
        runs.extend(r.runs);
        manifests.push((d, m));
    }
    let Some((_, first)) = manifests.first() else {
        return Err(fail("give at least one shard directory".into()));
    };
    let count = first.shard.map_or(1, |s| s.count);
    let mut seen = std::collections::BTreeSet::new();
    for (d, m) in &manifests {
        if m.experiment_hash != first.experiment_hash || m.seed != first.seed {
            return Err(fail(format!(
                "{}: a different experiment (hash {}, seed {}) than {} (hash {}, seed {})",
                d.display(),
                m.experiment_hash,
                m.seed,
                manifests[0].0.display(),
                first.experiment_hash,
                first.seed
            )));
        }
        let s = m.shard.unwrap_or(Shard { index: 1, count: 1 });
        if s.index == 0 || s.index > s.count {
            return Err(fail(format!(
                "{}: shard {}/{} in manifest.json is not a shard (expected I/N with 1 ≤ I ≤ N)",
                d.join("manifest.json").display(),
                s.index,
                s.count
            )));
        }
        if s.count != count || !seen.insert(s.index) {
            return Err(fail(format!(
                "{}: shard {s} does not fit: expected each of 1..{count} exactly once",
                d.display()
            )));
        }
    }
    // Every index is in 1..=count and none repeats: the first gap is missing.
    if let Some(i) = (1..=count)
        .zip(&seen)
        .find(|(i, s)| i != *s)
        .map(|(i, _)| i)
    {
        return Err(fail(format!("shard {i}/{count} is missing")));
    }
    if seen.len() < count as usize {
        return Err(fail(format!("shard {}/{count} is missing", seen.len() + 1)));
    }
    let results = Results::new(columns.unwrap_or_default(), runs);
    let expected = first.points * first.replications as usize;
    if results.runs.len() != expected {
        return Err(fail(format!(
            "the shards hold {} runs, the experiment has {expected}",
            results.runs.len()
        )));
    }
    let manifest = Manifest {
        runs: expected,
        shard: None,
        threads: manifests.iter().map(|(_, m)| m.threads).max().unwrap_or(1),
        wall_time_s: manifests.iter().map(|(_, m)| m.wall_time_s).sum(),
        ..first.clone()
    };
    std::fs::create_dir_all(out).map_err(|e| fail(format!("{}: {e}", out.display())))?;
    let _lock = DirLock::acquire(out, "sstsim merge")?;
    recover(out)?;
    write_outputs(out, &results, &manifest).map(|(f, _)| f)
}
