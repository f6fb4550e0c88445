//! `sstsim plot DIR` and `sstsim merge --out DIR SHARD_DIR…`.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;

use super::Failure;
use crate::experiment::journal::JournalError;
use crate::experiment::lock::LockError;
use crate::experiment::runner::{self, RunError};

/// Arguments of `sstsim plot`.
#[derive(Debug, Clone, Args)]
pub struct PlotArgs {
    /// An experiment output directory (with runs.csv and manifest.json).
    pub dir: PathBuf,
}

/// Arguments of `sstsim merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Where to write the combined files.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The shards' output directories, one per shard.
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
}

/// Exit 2 for what the user can fix (a journal or shards that do not fit,
/// a busy directory), exit 1 for I/O.
pub(super) fn failure(e: RunError) -> Failure {
    match e {
        RunError::Io(_)
        | RunError::Journal(JournalError::Io { .. })
        | RunError::Lock(LockError::Io { .. }) => Failure::Internal(e.to_string()),
        other => Failure::Input(format!("error: {other}")),
    }
}

fn listing(head: String, files: &[PathBuf]) -> String {
    let mut s = head;
    for f in files {
        let _ = writeln!(s, "  {}", f.display());
    }
    s
}

/// Redraws the charts of `args.dir`.
pub(super) fn plot(args: &PlotArgs) -> Result<String, Failure> {
    let files = runner::plot(&args.dir).map_err(failure)?;
    Ok(listing(format!("redrew {} charts:\n", files.len()), &files))
}

/// Merges shard directories.
pub(super) fn merge(args: &MergeArgs) -> Result<String, Failure> {
    let files = runner::merge(&args.out, &args.shards).map_err(failure)?;
    Ok(listing(
        format!(
            "merged {} shards into {}:\n",
            args.shards.len(),
            args.out.display()
        ),
        &files,
    ))
}
