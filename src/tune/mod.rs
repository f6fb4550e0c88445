//! `sstsim tune`: which settings to deploy. A tune file names the knobs,
//! the conditions, the objective and the constraints; the search runs
//! passes of the experiment runner and decides feasibility on confidence
//! bounds; the report says what to deploy and why.

pub mod html;
pub mod report;
pub mod search;
pub mod spec;

pub use spec::{TuneSpec, load_tune, tune_from_str};

use std::path::{Path, PathBuf};

use crate::experiment::output::write_file;

/// What a tune wrote, and its terminal summary.
pub struct TuneOutcome {
    /// Files written (besides the passes' directories).
    pub files: Vec<PathBuf>,
    /// The few lines to print.
    pub summary: String,
    /// Whether a feasible setting was found.
    pub feasible: bool,
}

/// Runs the search into `out` and writes the recommendation there.
pub fn run_tune(
    spec: &TuneSpec,
    out: &Path,
    threads: usize,
    resume: bool,
    progress: bool,
) -> Result<TuneOutcome, search::SearchError> {
    let how = search::RunWith {
        threads,
        resume,
        progress,
        shard: None,
    };
    run_tune_with(spec, out, &how)
}

/// Runs the search as `how` says. A shard runs its slice of every pass;
/// all shards reach the same answer, and shard 1 writes it.
pub fn run_tune_with(
    spec: &TuneSpec,
    out: &Path,
    how: &search::RunWith,
) -> Result<TuneOutcome, search::SearchError> {
    let s = search::search(spec, out, how)?;
    let verdicts = search::evaluate(spec, &s.observations);
    let answer = report::Answer {
        spec,
        ranked: search::ranked(spec, &verdicts),
    };
    let summary = report::terminal(&answer);
    if how.shard.is_some_and(|sh| sh.index != 1) {
        // Shard 1 writes the report; the others know the same answer.
        return Ok(TuneOutcome {
            files: Vec::new(),
            summary,
            feasible: answer.recommended().is_some(),
        });
    }
    let io = |e: std::io::Error| search::SearchError::Read(format!("writing the report: {e}"));
    let csv = report::csv(&answer).map_err(io)?;
    let md = report::markdown(&answer, &s.passes);
    let page = html::page(&answer, &summary, &String::from_utf8_lossy(&csv))
        .map_err(|e| search::SearchError::Read(format!("drawing the report: {e}")))?;
    let mut files = Vec::new();
    let dir = out.join("charts");
    std::fs::create_dir_all(&dir).map_err(io)?;
    for (stem, chart) in html::charts(&answer) {
        let path = dir.join(format!("{stem}.png"));
        chart
            .render(&path)
            .map_err(|e| search::SearchError::Read(format!("drawing {}: {e}", path.display())))?;
        files.push(path);
    }
    files.extend([
        write_file(out, "recommendation.csv", &csv).map_err(io)?,
        write_file(out, "recommendation.md", md.as_bytes()).map_err(io)?,
        write_file(out, "report.html", page.as_bytes()).map_err(io)?,
    ]);
    Ok(TuneOutcome {
        files,
        summary,
        feasible: answer.recommended().is_some(),
    })
}
