//! `sstsim run MODEL`: run a model file (a one-point experiment) and print its metrics.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;

use super::Failure;
use crate::engine::SeedSpace;
use crate::report::csv::{write_atomically, write_dialogs};
use crate::report::metrics::table;
use crate::scenario::load_model;
use crate::sim::{TraceFilter, World};

/// Arguments of `sstsim run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The model file.
    pub model: PathBuf,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Replication index (selects independent random streams).
    #[arg(long, default_value_t = 0)]
    pub replication: u64,
    /// Write one row per node × dialog to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub dialogs: Option<PathBuf>,
}

/// Runs the model to its horizon and renders the metrics.
pub fn run(args: &RunArgs) -> Result<String, Failure> {
    let scenario = load_model(&args.model).map_err(|e| Failure::Input(e.to_string()))?;
    let mut world = World::new(
        scenario.world,
        SeedSpace::new(args.seed, 0, args.replication),
        TraceFilter::Off,
    );
    if args.dialogs.is_some() {
        world.record_dialogs();
    }
    world.run();
    let names = world.names().to_vec();
    let horizon = world.now();
    let (metrics, rows) = world.finish();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "sstsim run {} (seed {}, replication {}): {} s simulated",
        args.model.display(),
        args.seed,
        args.replication,
        horizon.as_secs_f64()
    );
    out.push_str(&table(&metrics));
    if let (Some(path), Some(rows)) = (&args.dialogs, rows) {
        write_atomically(path, |buf| write_dialogs(&rows, &names, buf))
            .map_err(|e| Failure::Internal(format!("writing {}: {e}", path.display())))?;
        let _ = writeln!(out, "wrote {} ({} dialog rows)", path.display(), rows.len());
    }
    Ok(out)
}
