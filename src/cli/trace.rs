//! `sstsim trace MODEL`: run a model with one call traced and print its flow.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Failure;
use crate::engine::SeedSpace;
use crate::report::trace::{TraceContext, ladder, write_csv};
use crate::scenario::load_model;
use crate::sim::{TraceFilter, World};
use crate::sip::CallRef;

/// Output format of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// A ladder diagram for the terminal.
    Ladder,
    /// CSV, one row per message or event.
    Csv,
}

/// Arguments of `sstsim trace`.
#[derive(Debug, Clone, Args)]
pub struct TraceArgs {
    /// The model file.
    pub model: PathBuf,
    /// The workload call to trace (0-based).
    #[arg(long, default_value_t = 0)]
    pub call: u32,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Ladder)]
    pub format: TraceFormat,
    /// Ladder width in columns (80–160 recommended).
    #[arg(long, default_value_t = 120)]
    pub width: usize,
}

/// Runs the model to its horizon and renders the traced call.
pub(super) fn run(args: &TraceArgs) -> Result<String, Failure> {
    let scenario = load_model(&args.model).map_err(|e| Failure::Input(e.to_string()))?;
    if let Some(calls) = scenario.world.workload.max_calls()
        && args.call >= calls
    {
        return Err(Failure::Input(format!(
            "error: --call {}: the model places {calls} call(s), numbered 0 to {}",
            args.call,
            calls.saturating_sub(1)
        )));
    }
    let mut world = World::new(
        scenario.world,
        SeedSpace::new(args.seed, 0, 0),
        TraceFilter::Call(CallRef(args.call)),
    );
    world.run();
    let cx = TraceContext {
        names: world.names(),
        links: world.links(),
    };
    match args.format {
        TraceFormat::Ladder => Ok(ladder(&cx, world.trace(), args.width)),
        TraceFormat::Csv => {
            let mut buf = Vec::new();
            write_csv(&cx, world.trace(), &mut buf)
                .map_err(|e| Failure::Internal(e.to_string()))?;
            String::from_utf8(buf).map_err(|e| Failure::Internal(e.to_string()))
        }
    }
}
