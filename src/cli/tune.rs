//! `sstsim tune FILE`: search the knobs of a tune file and write the
//! recommendation into output/<name>/.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;

use super::Failure;
use crate::tune::search::{RunWith, SearchError};
use crate::tune::{load_tune, run_tune_with};

/// Arguments of `sstsim tune`.
#[derive(Debug, Clone, Args)]
pub struct TuneArgs {
    /// A tune file (`experiments/tune-*.toml`).
    pub file: PathBuf,
    /// Output directory [default: output/<name>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Continue an interrupted tune: finished passes and runs are kept.
    #[arg(long)]
    pub resume: bool,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
    /// Run only slice I of N of every pass (1 ≤ I ≤ N). All shards use the
    /// same output directory (shared storage), each waits for the others
    /// before the next pass, and shard 1 writes the report.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
}

/// Runs the search and prints the recommendation.
pub(super) fn run(args: &TuneArgs) -> Result<String, Failure> {
    let spec = load_tune(&args.file).map_err(|e| Failure::Input(e.to_string()))?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&spec.name));
    let mut again = format!("sstsim tune {}", args.file.display());
    if let Some(o) = &args.out {
        again.push_str(&format!(" --out {}", o.display()));
    }
    if let Some(s) = &args.shard {
        again.push_str(&format!(" --shard {s}"));
    }
    again.push_str(" --resume");
    super::run::on_interrupt(again, &out);
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let shard = args
        .shard
        .as_deref()
        .map(super::run::parse_shard)
        .transpose()
        .map_err(|m| Failure::Input(format!("error: {m}")))?;
    let how = RunWith {
        threads,
        resume: args.resume,
        progress: !args.quiet,
        shard,
    };
    let outcome = run_tune_with(&spec, &out, &how).map_err(|e| match e {
        SearchError::Input(e) => Failure::Input(e.to_string()),
        SearchError::Run(e) => super::sweep::failure(e),
        SearchError::Read(m) => Failure::Internal(m),
    })?;
    let mut s = format!("sstsim tune {} ({})\n", args.file.display(), spec.name);
    s.push_str(&outcome.summary);
    let _ = writeln!(s, "wrote:");
    for f in &outcome.files {
        let _ = writeln!(s, "  {}", f.display());
    }
    Ok(s)
}
