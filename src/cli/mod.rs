//! Command-line interface: clap arguments, dispatch, and exit codes.
//!
//! Exit status: 0 on success, 2 on bad usage or input (clap's own usage errors
//! also exit 2), 1 on an internal failure such as an I/O error.

mod demo;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use demo::{DemoConfig, DemoReport, run_demo};

/// Deterministic simulator of SIP Session-Timer (RFC 4028) networks.
#[derive(Debug, Parser)]
#[command(name = "sstsim", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a subcommand, the built-in demonstration runs.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Session-timer expiry on the bare engine: refreshers crash, the
    /// non-refreshers' expiry timers reclaim their state (RFC 4028 §10).
    Demo(DemoConfig),
}

/// Runs the CLI on the process arguments.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.command {
        Some(Command::Demo(c)) => c,
        None => DemoConfig::default(),
    };
    match config.validate().and_then(|c| run_demo(&c)) {
        Ok(report) => {
            // A closed stdout (e.g. `| head`) ends output quietly instead of panicking.
            let _ = write!(std::io::stdout().lock(), "{report}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
