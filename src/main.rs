//! The `sstsim` binary: parse arguments, run, map errors to exit codes
//! (0 success, 2 bad usage or input).

use std::process::ExitCode;

fn main() -> ExitCode {
    sstsim::cli::main()
}
