//! Cancellation and re-arming, and the bound on queue growth under churn.

use sstsim::engine::{ScheduleError, SimDuration, SimTime, Simulation, TimeError};

#[test]
fn cancelled_timer_never_fires() {
    let mut sim: Simulation<&str> = Simulation::new();
    let k = sim
        .scheduler()
        .timer_at(SimTime::from_secs(5), "cancelled")
        .unwrap();
    sim.scheduler()
        .schedule_at(SimTime::from_secs(6), "kept")
        .unwrap();
    assert_eq!(sim.scheduler().cancel(k), Some("cancelled"));
    assert_eq!(sim.scheduler().cancel(k), None, "second cancel is a no-op");
    let mut fired = Vec::new();
    let out = sim.run_until(SimTime::from_secs(100), |_, p| fired.push(p));
    assert_eq!(fired, ["kept"]);
    assert_eq!(out.events, 1);
}

#[test]
fn rearmed_timer_fires_once_at_its_new_time() {
    let mut sim: Simulation<&str> = Simulation::new();
    let k = sim
        .scheduler()
        .timer_at(SimTime::from_secs(5), "t")
        .unwrap();
    sim.scheduler().rearm_at(k, SimTime::from_secs(9)).unwrap();
    sim.scheduler().rearm_at(k, SimTime::from_secs(7)).unwrap();
    let mut fired = Vec::new();
    sim.run_until(SimTime::from_secs(100), |s, p| fired.push((s.now(), p)));
    assert_eq!(fired, [(SimTime::from_secs(7), "t")]);
    assert!(!sim.scheduler().is_pending(k));
    assert_eq!(
        sim.scheduler().rearm_at(k, SimTime::from_secs(200)),
        Err(ScheduleError::NotPending)
    );
}

#[test]
fn a_timer_rearmed_from_inside_a_handler_moves() {
    // The session-timer pattern: each refresh pushes the expiry further out.
    let mut sim: Simulation<u8> = Simulation::new();
    let expiry = sim.scheduler().timer_at(SimTime::from_secs(60), 0).unwrap();
    for s in [10, 20, 30] {
        sim.scheduler()
            .schedule_at(SimTime::from_secs(s), 1)
            .unwrap();
    }
    let mut expired_at = None;
    sim.run_until(SimTime::from_secs(1000), |s, p| match p {
        1 => s.rearm_in(expiry, SimDuration::from_secs(60)).unwrap(),
        _ => expired_at = Some(s.now()),
    });
    assert_eq!(expired_at, Some(SimTime::from_secs(90)));
}

#[test]
fn time_overflow_is_reported_not_wrapped() {
    let mut sim: Simulation<u8> = Simulation::new();
    sim.scheduler()
        .schedule_at(SimTime::from_nanos(u64::MAX - 10), 0)
        .unwrap();
    let mut result = None;
    sim.run_until(SimTime::MAX, |s, _| {
        result = Some(s.timer_in(SimDuration::from_nanos(11), 1));
    });
    match result {
        Some(Err(ScheduleError::Overflow { source, .. })) => {
            assert_eq!(source, TimeError::Overflow)
        }
        other => panic!("expected an overflow error, got {other:?}"),
    }
    assert_eq!(
        SimTime::MAX.checked_add(SimDuration::from_nanos(1)),
        Err(TimeError::Overflow)
    );
}

#[test]
fn queue_stays_bounded_under_a_million_cancel_rearm_cycles() {
    const TIMERS: usize = 1000;
    const CYCLES: usize = 1_000_000;
    let mut sim: Simulation<u32> = Simulation::new();
    let s = sim.scheduler();
    let keys: Vec<_> = (0..TIMERS as u32)
        .map(|i| s.timer_at(SimTime::from_secs(10), i).unwrap())
        .collect();
    let mut keys = keys;
    let mut max_heap = 0;
    let mut max_slots = 0;
    for c in 0..CYCLES {
        let i = c % TIMERS;
        // Alternate the two forms of churn: re-arm in place, and cancel + new timer.
        let at = SimTime::from_secs(10 + (c / TIMERS) as u32);
        if c % 2 == 0 {
            s.rearm_at(keys[i], at).unwrap();
        } else {
            s.cancel(keys[i]).expect("timer is pending");
            keys[i] = s.timer_at(at, i as u32).unwrap();
        }
        max_heap = max_heap.max(s.queue().heap_len());
        max_slots = max_slots.max(s.queue().slot_count());
    }
    assert_eq!(s.pending(), TIMERS);
    // Compaction keeps stale entries at most max(live, 64): heap ≤ 2 × 1000 + 64.
    assert!(max_heap <= 2 * TIMERS + 64, "heap grew to {max_heap}");
    // Freed slots are reused: never more than live + 1.
    assert!(max_slots <= TIMERS + 1, "slots grew to {max_slots}");
    let mut fired = 0;
    sim.run_until(SimTime::MAX, |_, _| fired += 1);
    assert_eq!(fired, TIMERS, "every timer fires exactly once");
}
