//! The event-set workloads of `shared/bench/event-set-workloads.md` in their
//! command-line form, so an external harness can compare sstsim's engine with
//! other engines on identical work:
//!
//! ```text
//! cargo run --release --example event_set -- --workload churn --n 1M --steps 3M
//! cargo run --release --example event_set -- --workload hold --n 100k --steps 10M --engine baseline_binary_heap
//! ```
#![allow(clippy::disallowed_methods)] // wall-clock timing is what a benchmark is for

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
#[path = "../benches/support/event_set.rs"]
#[allow(dead_code)] // shared with the benchmark and tests
mod event_set;
use event_set::{EventSet, Workload, parse_count, prepare};

/// Runs one event-set workload and prints the standard result lines.
#[derive(Debug, Parser)]
struct Args {
    /// hold or churn.
    #[arg(long)]
    workload: Workload,
    /// Pending events (hold) or sessions (churn); accepts 1_000, 100k, 1M.
    #[arg(long, value_parser = parse_count)]
    n: u64,
    /// Steps: pops (hold) or refreshes (churn); accepts 3M.
    #[arg(long, value_parser = parse_count)]
    steps: u64,
    /// Seed of the workload's ChaCha8 generator.
    #[arg(long, value_parser = parse_count, default_value = "1")]
    seed: u64,
    /// sstsim, or baseline_binary_heap (bare std BinaryHeap with lazy cancellation).
    #[arg(long, default_value = "sstsim")]
    engine: EventSet,
}

/// Peak resident set in kB, from /proc/self/status (0 where unavailable).
fn vmhwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.n == 0 || args.n > u32::MAX as u64 {
        eprintln!("error: --n {}: must be between 1 and {}", args.n, u32::MAX);
        return ExitCode::from(2);
    }
    let wall = Instant::now();
    let prepared = prepare(args.engine, args.workload, args.n, args.steps, args.seed);
    let setup_s = wall.elapsed().as_secs_f64();
    let t = Instant::now();
    let c = prepared.run();
    let loop_s = t.elapsed().as_secs_f64();
    let wall_s = wall.elapsed().as_secs_f64();
    let rate = c.events as f64 / loop_s;
    let (engine, workload) = (args.engine.name(), args.workload.name());
    let mut out = std::io::stdout().lock();
    // A closed pipe (e.g. `| head -1`) is not an error worth a panic.
    let _ = writeln!(
        out,
        "engine={engine} workload={workload} n={} rep=0 events={} fired={} cancelled={} setup_s={setup_s:.6} loop_s={loop_s:.6} events_per_s={rate:.0} sim_now_s={:.9} checksum={:016x}",
        args.n,
        c.events,
        c.fired,
        c.cancelled,
        c.sim_now_ns as f64 / 1e9,
        c.checksum
    );
    let _ = writeln!(
        out,
        "SUMMARY engine={engine} workload={workload} n={} par=1 threads=1 events_total={} agg_events_per_s={rate:.0} wall_s={wall_s:.6} vmhwm_kb={}",
        args.n,
        c.events,
        vmhwm_kb()
    );
    ExitCode::SUCCESS
}
