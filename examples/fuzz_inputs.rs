//! Mutation fuzzing of the model and experiment readers (see
//! `tests/fuzz_inputs/mod.rs`): runs for a time or a number of cases and
//! prints how many inputs ended in each way. Exits 1 if any input panicked
//! or got an error without a location; the inputs are saved to
//! `target/fuzz-failures/`.
//!
//! ```sh
//! cargo run --release --example fuzz_inputs -- --seconds 60 --seed 1
//! cargo run --release --example fuzz_inputs -- --cases 20000
//! ```
#![allow(clippy::disallowed_methods)] // wall-clock time bounds the campaign

#[path = "../tests/fuzz_inputs/mod.rs"]
mod fuzz_inputs;

use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(|v| {
                v.parse::<u64>().unwrap_or_else(|_| {
                    eprintln!("{flag}: expected a whole number, found {v}");
                    std::process::exit(2)
                })
            })
    };
    let seed = value("--seed").unwrap_or(1);
    let cases = value("--cases");
    let seconds = value("--seconds").unwrap_or(60);
    // Panics are caught and reported as failures; keep stderr for the report.
    std::panic::set_hook(Box::new(|_| {}));
    let start = Instant::now();
    let limit = Duration::from_secs(seconds);
    let (counts, failures) = fuzz_inputs::campaign(seed, |n| match cases {
        Some(c) => n >= c,
        None => start.elapsed() >= limit,
    });
    let total: u64 = counts.values().sum::<u64>() + failures.len() as u64;
    println!(
        "fuzz_inputs: seed {seed}, {total} inputs in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    for (outcome, n) in &counts {
        println!("  {outcome:?}: {n}");
    }
    println!("  failures: {}", failures.len());
    if failures.is_empty() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    for (i, f) in failures.iter().enumerate() {
        let path = dir.join(format!("failure-{i}.toml"));
        let _ = std::fs::write(&path, &f.text);
        eprintln!("{} (from {}): {}", path.display(), f.from, f.what);
    }
    std::process::exit(1);
}
