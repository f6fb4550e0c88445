//! The same seed gives the identical event sequence; another seed does not.

use rand::RngExt;
use sstsim::engine::{SeedSpace, SimDuration, SimTime, Simulation, StreamId, TimerKey};

/// A small random world: 50 actors that reschedule themselves after random
/// delays, arm and cancel watchdog timers, and sometimes fire at equal times.
/// Returns every fired `(time_ns, payload)` in order.
fn trace(seed: u64) -> Vec<(u64, u32)> {
    let seeds = SeedSpace::new(seed, 0, 0);
    let mut delays = seeds.stream(StreamId::named("test.delay"));
    let mut coin = seeds.stream(StreamId::named("test.coin"));
    let mut sim: Simulation<u32> = Simulation::new().with_event_limit(200_000);
    let mut watchdogs: Vec<Option<TimerKey>> = vec![None; 50];
    for id in 0..50 {
        sim.scheduler()
            .schedule_at(SimTime::from_millis(id), id)
            .unwrap();
    }
    let mut out = Vec::new();
    sim.run_until(SimTime::from_secs(3600), |s, id| {
        out.push((s.now().as_nanos(), id));
        if id >= 1000 {
            return; // a watchdog fired
        }
        // Delays on a 10 ms grid make equal-time events common.
        let d = SimDuration::from_millis(10 * delays.random_range(0..100u32));
        s.schedule_in(d, id).unwrap();
        let w = &mut watchdogs[id as usize];
        match (w.take(), coin.random_range(0..3)) {
            (Some(k), 0) => {
                s.cancel(k);
            }
            (Some(k), 1) => {
                s.rearm_in(k, SimDuration::from_millis(700)).ok();
                *w = Some(k);
            }
            (_, _) => {
                *w = Some(
                    s.timer_in(SimDuration::from_millis(500), 1000 + id)
                        .unwrap(),
                )
            }
        }
    });
    out
}

#[test]
fn same_seed_gives_identical_event_sequence() {
    let a = trace(42);
    let b = trace(42);
    assert!(a.len() > 10_000, "the run should be busy, got {}", a.len());
    assert_eq!(a, b);
}

#[test]
fn different_seed_gives_a_different_sequence() {
    assert_ne!(trace(42), trace(43));
}

#[test]
fn time_never_moves_backwards() {
    let t = trace(7);
    assert!(t.windows(2).all(|w| w[0].0 <= w[1].0));
}

/// A digest of every event of a whole world run: each message sent (with its
/// fate) and each record, in order, with times.
fn world_digest(model: &str, seed: u64) -> (usize, String) {
    use sha2::{Digest, Sha256};
    let path = format!("{}/models/{model}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("model");
    let mut w = super::support::world(&text, seed, sstsim::sim::TraceFilter::All);
    w.run();
    let mut h = Sha256::new();
    for e in w.trace() {
        h.update(format!("{e:?}\n").as_bytes());
    }
    let hex = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    (w.trace().len(), hex)
}

#[test]
fn the_same_model_and_seed_give_the_same_digest_of_every_event() {
    // Loss, jitter, faults, a B2BUA and dialog-stateful proxies.
    for model in ["faults.toml", "asterisk-b2bua.toml", "carrier.toml"] {
        let first = world_digest(model, 9);
        assert!(
            first.0 > 40,
            "{model}: the run should be busy, got {} events",
            first.0
        );
        assert_eq!(first, world_digest(model, 9), "{model}");
        assert_ne!(
            first.1,
            world_digest(model, 10).1,
            "{model}: another seed, another run"
        );
    }
}
