//! SIP call throughput: 10,000 sequential calls (INVITE, 100, 200, ACK,
//! hold 60 s, BYE, 200) through `models/basic.toml` with 1% loss on every
//! hop, retransmissions included. Reported twice over the same run: in calls
//! per second (group `calls`) and in engine events per second (group `events`).
//!
//! `cargo bench --bench calls`
#![allow(clippy::disallowed_methods)] // wall-clock timing is what a benchmark is for

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use sstsim::engine::{SeedSpace, SimDuration, SimTime};
use sstsim::net::{LossModel, Probability};
use sstsim::scenario::load_model;
use sstsim::sim::{TraceFilter, World, WorldConfig};

const CALLS: u32 = 10_000;

/// basic.toml with 1% Bernoulli loss per hop and 10,000 calls 65 s apart.
fn config() -> WorldConfig {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/basic.toml");
    let mut world = load_model(std::path::Path::new(path))
        .expect("basic.toml is valid")
        .world;
    for l in &mut world.links {
        l.loss = LossModel::Bernoulli(Probability::new(0.01).expect("in range"));
    }
    let w = &mut world.workload;
    w.calls = CALLS;
    w.interval = SimDuration::from_secs(65);
    w.holding = SimDuration::from_secs(60);
    w.horizon = SimTime::from_secs(65 * CALLS + 300);
    world
}

/// Builds and runs the world; returns the events it processed.
fn run(cfg: &WorldConfig) -> u64 {
    let mut w = World::new(cfg.clone(), SeedSpace::new(1, 0, 0), TraceFilter::Off);
    w.run();
    assert!(w.stats().calls_started == CALLS as u64);
    w.events()
}

fn bench(c: &mut Criterion) {
    let cfg = config();
    let events = run(&cfg);
    for (group, elements) in [("calls", CALLS as u64), ("events", events)] {
        let mut g = c.benchmark_group(group);
        g.sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5))
            .throughput(Throughput::Elements(elements));
        g.bench_function("basic_1pct_loss/10000", |b| {
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
    bench(&mut c);
    c.final_summary();
}
