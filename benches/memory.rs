//! Memory per concurrently active call, with session timers on: 100,000
//! calls through `models/basic.toml` (SE 90 s, 1 h holding), all started in
//! the first 100 s, measured at 300 s when every call is up and refreshing.
//! Bytes are counted exactly by a counting global allocator (heap bytes live
//! at the measurement point, minus those before the world was built), summed
//! over every node, the network and the engine.
//!
//! A second measurement runs the fault benchmark's workload (Poisson 50/s,
//! mean holding 120 s, 10% `call_crash`, SE 300 s, 1% loss) for 50k, 100k and
//! 200k calls and prints each run's peak heap: with the same concurrency the
//! peak must not grow with the number of calls.
//!
//! A third measurement runs a sweep of 1,000 points of a three-call model
//! with 10 and then 100 replications and prints the peak heap per run: the
//! runs stream to the journal and the outputs are written point by point,
//! so only bookkeeping (where each run is in the journal) grows with them.
//!
//! `cargo bench --bench memory` prints the figures; the target is ≤ 2 KiB per call.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use sstsim::engine::{SeedSpace, SimDuration, SimTime};
use sstsim::sim::{Arrivals, Holding, TraceFilter, World};

#[path = "support/workloads.rs"]
mod workloads;
use workloads::{basic, crash_calls};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let now = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
        PEAK.fetch_max(now, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as for `alloc`/`dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const CALLS: u32 = 100_000;

fn main() {
    let mut cfg = basic();
    for n in &mut cfg.nodes {
        if let sstsim::sim::NodeKind::Ua(c) = &mut n.kind {
            c.base.session_expires = 90;
            c.base.mode = sstsim::session_timer::Mode::Originate;
        }
    }
    let w = &mut cfg.workload;
    w.arrivals = Arrivals::Regular {
        calls: CALLS,
        start: SimTime::ZERO,
        interval: SimDuration::from_millis(1),
    };
    w.holding = Holding::Fixed(SimDuration::from_secs(3600));
    w.horizon = SimTime::from_secs(4000);
    let before = LIVE.load(Ordering::Relaxed);
    let mut world = World::new(cfg, SeedSpace::new(1, 0, 0), TraceFilter::Off);
    world.run_until(SimTime::from_secs(300));
    let after = LIVE.load(Ordering::Relaxed);
    let stats = world.stats();
    let answered: u64 = stats.nodes.iter().map(|n| n.calls_answered).sum();
    let held: u64 = stats.nodes.iter().map(|n| n.states_held()).sum();
    assert_eq!(answered, CALLS as u64, "every call is up");
    let per_call = (after - before) as f64 / CALLS as f64;
    println!(
        "memory: {CALLS} concurrent calls, {held} dialog states held, {} events so far: {:.0} bytes per active call ({:.2} KiB; target 2 KiB)",
        world.events(),
        per_call,
        per_call / 1024.0
    );
    drop(world);
    for calls in [50_000u32, 100_000, 200_000] {
        let cfg = crash_calls(calls);
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let mut w = World::new(cfg, SeedSpace::new(1, 0, 0), TraceFilter::Off);
        w.run();
        let events = w.events();
        let (m, _) = w.finish();
        let peak = PEAK.load(Ordering::Relaxed) - base;
        println!(
            "peak: {calls} calls ({} dead, {} events): peak heap {:.1} MiB",
            m.calls_dead,
            events,
            peak as f64 / 1048576.0
        );
    }
    let tags: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    let mut peaks = Vec::new();
    for reps in [10u64, 100] {
        let text = format!(
            "name = \"sweep\"\nreplications = {reps}\n[grid]\n\"tag.k\" = [{}]\n{SWEEP_MODEL}",
            tags.join(", ")
        );
        let exp = sstsim::experiment::spec::experiment_from_str("sweep.toml", &text, None)
            .expect("a valid experiment");
        let out = std::env::temp_dir().join(format!("sstsim-memory-sweep-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let opts = sstsim::experiment::runner::RunOptions {
            out: out.clone(),
            threads: 2,
            resume: false,
            shard: None,
            progress: false,
            stop_after: None,
        };
        sstsim::experiment::runner::run_experiment(&exp, &opts).expect("the sweep runs");
        let peak = PEAK.load(Ordering::Relaxed) - base;
        let runs = 1000 * reps;
        println!(
            "sweep: {runs} runs (1,000 points x {reps}): peak heap {:.1} MiB",
            peak as f64 / 1048576.0
        );
        peaks.push((runs, peak));
        let _ = std::fs::remove_dir_all(&out);
    }
    let ((r0, p0), (r1, p1)) = (peaks[0], peaks[1]);
    println!(
        "sweep: {:.0} bytes more per run from {r0} to {r1} runs",
        (p1 as f64 - p0 as f64) / (r1 - r0) as f64
    );
}

/// Three calls a run, 100 s held, on two UAs.
const SWEEP_MODEL: &str = r#"
[model.defaults]
session_timers = "originate"
[[model.node]]
id = "a"
kind = "ua"
[[model.node]]
id = "b"
kind = "ua"
[[model.link]]
between = ["a", "b"]
delay_ms = 10
[model.workload]
caller = "a"
callee = "b"
calls = 3
interval_s = 10
holding_s = 100
horizon_s = 600
"#;
