//! Ordering: time first, then scheduling order for equal times.

use proptest::prelude::*;
use sstsim::engine::{SimDuration, SimTime, Simulation};

#[test]
fn equal_time_events_fire_in_scheduling_order() {
    let mut sim: Simulation<u32> = Simulation::new();
    let t = SimTime::from_secs(5);
    for i in 0..1000 {
        sim.scheduler().schedule_at(t, i).unwrap();
    }
    let mut fired = Vec::new();
    sim.run_until(SimTime::from_secs(10), |_, p| fired.push(p));
    assert_eq!(fired, (0..1000).collect::<Vec<_>>());
}

#[test]
fn events_scheduled_during_a_handler_at_now_run_after_earlier_ones() {
    let mut sim: Simulation<&str> = Simulation::new();
    let t = SimTime::from_secs(1);
    sim.scheduler().schedule_at(t, "first").unwrap();
    sim.scheduler().schedule_at(t, "second").unwrap();
    let mut fired = Vec::new();
    sim.run_until(SimTime::from_secs(2), |s, p| {
        fired.push(p);
        if p == "first" {
            s.schedule_in(SimDuration::ZERO, "spawned").unwrap();
        }
    });
    assert_eq!(fired, ["first", "second", "spawned"]);
}

proptest! {
    /// Whatever the times, events fire sorted by (time, scheduling order).
    #[test]
    fn fire_order_is_a_stable_sort_by_time(times in prop::collection::vec(0u64..20, 1..300)) {
        let mut sim: Simulation<usize> = Simulation::new();
        for (i, &t) in times.iter().enumerate() {
            sim.scheduler().schedule_at(SimTime::from_nanos(t), i).unwrap();
        }
        let mut fired = Vec::new();
        sim.run_until(SimTime::from_nanos(100), |_, i| fired.push(i));
        let mut expected: Vec<usize> = (0..times.len()).collect();
        expected.sort_by_key(|&i| times[i]); // stable: ties keep index order
        prop_assert_eq!(fired, expected);
    }
}
