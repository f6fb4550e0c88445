//! Engine benchmarks: the `hold` and `churn` event-set workloads of
//! `shared/bench/event-set-workloads.md`, on the sstsim engine and on a bare
//! `std::collections::BinaryHeap` with lazy cancellation, in one binary.
//!
//! Throughput is counted in events (hold: pops; churn: fired + cancelled).
//! Set-up (scheduling the initial N events) is excluded from the timing.
//!
//! `cargo bench --bench engine` runs all; `cargo bench --bench engine -- churn/sstsim`
//! filters. A custom `main` registers the embedded font first, because
//! criterion's report charts use the same font-less plotters build.
#![allow(clippy::disallowed_methods)] // wall-clock timing is what a benchmark is for

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
#[path = "support/event_set.rs"]
#[allow(dead_code)] // shared with the example and tests; not every item is used here
mod event_set;
use event_set::{EventSet, Workload, prepare};

const SIZES: [u64; 3] = [1_000, 100_000, 1_000_000];
const SEED: u64 = 1;

/// Steps per measured run: at least 10^6, and at least two full rounds of N.
fn steps_for(n: u64) -> u64 {
    (2 * n).max(1_000_000)
}

fn bench_workload(c: &mut Criterion, workload: Workload) {
    let mut group = c.benchmark_group(workload.name());
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    for n in SIZES {
        let steps = steps_for(n);
        group.throughput(Throughput::Elements(steps * workload.events_per_step()));
        for set in [EventSet::Sstsim, EventSet::BaselineBinaryHeap] {
            group.bench_with_input(BenchmarkId::new(set.name(), n), &n, |b, &n| {
                b.iter_custom(|iters| {
                    let mut measured = Duration::ZERO;
                    for _ in 0..iters {
                        let prepared = prepare(set, workload, n, steps, SEED);
                        let start = Instant::now();
                        black_box(prepared.run());
                        measured += start.elapsed();
                    }
                    measured
                });
            });
        }
    }
    group.finish();
}

fn main() {
    sstsim::report::charts::register_fonts();
    let mut c = Criterion::default().configure_from_args();
    bench_workload(&mut c, Workload::Hold);
    bench_workload(&mut c, Workload::Churn);
    c.final_summary();
}
