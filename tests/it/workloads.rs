//! The event-set workloads: the engine and the bare-heap baseline do the same
//! work in the same order, so their counts and checksums are identical.

#[path = "../../benches/support/event_set.rs"]
#[allow(dead_code)] // shared with the benchmark and example
mod event_set;
use event_set::{EventSet, Workload, prepare};

fn both(w: Workload, n: u64, steps: u64, seed: u64) {
    let e = prepare(EventSet::Sstsim, w, n, steps, seed).run();
    let b = prepare(EventSet::BaselineBinaryHeap, w, n, steps, seed).run();
    assert_eq!(e, b, "{w:?} n={n}");
    assert_eq!(e.events, steps * w.events_per_step());
}

#[test]
fn hold_engine_matches_baseline() {
    both(Workload::Hold, 1000, 200_000, 1);
    both(Workload::Hold, 10_000, 50_000, 9);
}

#[test]
fn churn_engine_matches_baseline() {
    both(Workload::Churn, 1000, 200_000, 1);
    both(Workload::Churn, 10_000, 50_000, 9);
}

#[test]
fn churn_counts_one_cancel_per_refresh_and_never_expires() {
    let c = prepare(EventSet::Sstsim, Workload::Churn, 500, 10_000, 3).run();
    assert_eq!((c.fired, c.cancelled), (10_000, 10_000));
    // 10,000 refreshes of 500 sessions is 20 rounds of ~900 s each.
    let rounds = c.sim_now_ns as f64 / 900e9;
    assert!((19.0..21.5).contains(&rounds), "{rounds}");
}
