//! SIP call throughput through `models/basic.toml` with 1% loss on every
//! hop, retransmissions included, reported twice over the same run: in calls
//! per second (group `calls`) and in engine events per second (group `events`).
//!
//! - `basic_1pct_loss/10000`: 10,000 sequential short calls (INVITE, 100, 200,
//!   ACK, hold 60 s, BYE, 200; with SE 120 bob's one refresh, due 60 s
//!   after his 2xx, leaves just before alice hangs up).
//! - `timers_se90_1h/1000`: 1,000 calls of 1 h with SE = 90 s (about 80
//!   refreshes per call), started 3.6 s apart so about 1,000 run at once.
//! - `faults_crash10_se300/100000`: 100,000 calls, Poisson at 50/s, holding
//!   exponential with mean 120 s (about 6,000 at once), SE 300 s, and
//!   `call_crash` killing one endpoint of 10% of calls.
//!
//! `cargo bench --bench calls`
#![allow(clippy::disallowed_methods)] // wall-clock timing is what a benchmark is for

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use sstsim::engine::SeedSpace;
use sstsim::sim::{TraceFilter, World, WorldConfig};

#[path = "support/workloads.rs"]
mod workloads;
use workloads::{crash_calls, long_calls, short_calls};

/// Builds and runs the world; returns the events it processed.
fn run(cfg: &WorldConfig) -> u64 {
    let mut w = World::new(cfg.clone(), SeedSpace::new(1, 0, 0), TraceFilter::Off);
    w.run();
    assert_eq!(
        Some(w.stats().calls_started as u32),
        cfg.workload.max_calls()
    );
    let events = w.events();
    // Folding the run into its metrics is part of the work measured.
    black_box(w.finish());
    events
}

fn bench(c: &mut Criterion, name: &str, cfg: WorldConfig) {
    let events = run(&cfg);
    let calls = cfg.workload.max_calls().expect("a fixed number of calls") as u64;
    println!(
        "{name}: {events} events for {calls} calls ({:.1} per call)",
        events as f64 / calls as f64
    );
    for (group, elements) in [("calls", calls), ("events", events)] {
        let mut g = c.benchmark_group(group);
        g.sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5))
            .throughput(Throughput::Elements(elements));
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(run(&cfg));
                }
                start.elapsed()
            });
        });
        g.finish();
    }
}

fn main() {
    sstsim::report::charts::register_fonts();
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, "basic_1pct_loss/10000", short_calls());
    bench(&mut c, "timers_se90_1h/1000", long_calls());
    bench(&mut c, "faults_crash10_se300/100000", crash_calls(100_000));
    c.final_summary();
}
