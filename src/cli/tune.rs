//! `sstsim tune FILE`: search the knobs of a tune file and write the
//! recommendation into output/<name>/.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;

use super::Failure;
use crate::tune::search::SearchError;
use crate::tune::{load_tune, run_tune};

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
    again.push_str(" --resume");
    super::run::on_interrupt(again, &out);
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let outcome =
        run_tune(&spec, &out, threads, args.resume, !args.quiet).map_err(|e| match e {
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
