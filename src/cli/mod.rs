//! Command-line interface: clap arguments, dispatch, and exit codes.
//!
//! Exit status: 0 on success, 2 on bad usage or input (clap's own usage errors
//! also exit 2), 1 on an internal failure such as an I/O error.

mod input;
mod point;
mod run;
mod sweep;
mod trace;
mod tune;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::sip::slab::CapacityExceeded;

pub use point::PointArgs;
pub use run::{RunArgs, parse_shard, shard_from};
pub use sweep::{MergeArgs, PlotArgs};
pub use trace::TraceArgs;
pub use tune::TuneArgs;

/// Deterministic simulator of SIP Session-Timer (RFC 4028) networks.
#[derive(Debug, Parser)]
#[command(
    name = "sstsim",
    version,
    about,
    long_about = None,
    after_help = "Without a command, sstsim runs the built-in default experiment (experiments/modes.toml) into output/modes/, as `sstsim run` does."
)]
pub struct Cli {
    /// What to do; without a subcommand, the built-in default experiment
    /// (`experiments/modes.toml`) runs into `output/modes/`.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an experiment (a parameter sweep) into output/<name>/, or a model
    /// file and print its metrics; with no file, the built-in default experiment.
    Run(RunArgs),
    /// Redraw an experiment's charts from its CSV files.
    Plot(PlotArgs),
    /// Combine the output directories of shards into one experiment directory.
    Merge(MergeArgs),
    /// Print one call's message flow through a model (or a sweep point), as
    /// a ladder or CSV.
    Trace(TraceArgs),
    /// Print one point of an experiment as a model file (to run or trace it).
    Point(PointArgs),
    /// Search a tune file's knobs for the settings to deploy, and write the
    /// recommendation with its evidence into output/<name>/.
    Tune(TuneArgs),
}

/// How a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Bad input or usage: exit status 2.
    Input(String),
    /// Anything else (I/O): exit status 1.
    Internal(String),
}

/// Runs the CLI on the process arguments.
pub fn main() -> ExitCode {
    quiet_capacity_panics();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Run(args)) => run::run(&args),
        Some(Command::Trace(args)) => trace::run(&args),
        Some(Command::Point(args)) => point::run(&args),
        Some(Command::Plot(args)) => sweep::plot(&args),
        Some(Command::Merge(args)) => sweep::merge(&args),
        Some(Command::Tune(args)) => tune::run(&args),
        None => run::run(&RunArgs::default()),
    };
    match result {
        Ok(text) => match write_out(&text) {
            Ok(()) => ExitCode::SUCCESS,
            // A reader that stopped early (`| head`) is not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                say(&format!("error: writing to standard output: {e}"));
                ExitCode::from(1)
            }
        },
        Err(Failure::Input(msg)) => {
            say(&msg);
            ExitCode::from(2)
        }
        Err(Failure::Internal(msg)) => {
            say(&format!("error: {msg}"));
            ExitCode::from(1)
        }
    }
}

/// Writes the command's output; a full device or a closed pipe is an error
/// here, not a silent success.
fn write_out(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Prints a message on stderr; if even that fails, the exit status remains.
fn say(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// A full slab unwinds with [`CapacityExceeded`], which the world turns into
/// an input error; the default hook would first print it as a crash.
fn quiet_capacity_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<CapacityExceeded>().is_none() {
            default(info);
        }
    }));
}
