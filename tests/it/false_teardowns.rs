//! False teardowns: calls no fault killed, ended by a session-timer or
//! transaction decision before the workload's own hang-up instant (the
//! caller's answer plus its holding time). Exact scenarios, 10 ms links.

use sstsim::engine::SeedSpace;
use sstsim::scenario::model_from_str;
use sstsim::sim::{RunMetrics, TraceFilter, World};

/// alice (originate, SE 90) calls bob, who refreshes (the UAS's default
/// preference): bob's first refresh goes at its 2xx (0.01 s) + 45 s = 45.01 s.
/// alice got the 2xx at 0.02 s and hangs up `holding_s` later.
fn call(holding_s: &str, outages: &str) -> RunMetrics {
    let m = format!(
        r#"
[[node]]
id = "alice"
kind = "ua"
session_timers = "originate"
session_expires = 90
[[node]]
id = "bob"
kind = "ua"
[[link]]
between = ["alice", "bob"]
delay_ms = 10
outages = {outages}
[workload]
caller = "alice"
callee = "bob"
holding_s = {holding_s}
horizon_s = 400
"#
    );
    let s = model_from_str("test.toml", &m).unwrap_or_else(|e| panic!("{e}"));
    let mut w = World::new(s.world, SeedSpace::new(1, 0, 0), TraceFilter::Off);
    w.run();
    w.finish().0
}

#[test]
fn a_refresh_that_meets_the_callers_hang_up_is_not_a_false_teardown() {
    // alice hangs up at 0.02 + 44.98 = 45.00 s and its first BYE copy dies in
    // the outage [45.0, 45.005). bob's refresh (45.01) reaches alice at 45.02,
    // after she dropped the dialog: 481 (DLG-2), and bob ends the call with
    // refresh_failed at 45.03. The call was hanging up already: 0 teardowns.
    let m = call("44.98", "[[45.0, 45.005]]");
    assert_eq!(m.calls_dead, 0);
    assert_eq!(m.false_teardowns, 0);
}

#[test]
fn a_refresh_lost_on_the_link_before_the_hang_up_is_a_false_teardown() {
    // From 40 s every message is lost. bob's refresh at 45.01 times out at
    // 45.01 + 64·T1 = 77.01 s (refresh_failed), and alice's guard fires at
    // 0.02 + 90 − 30 = 60.02 s (expiry), both before alice's hang-up at
    // 0.02 + 200 s: one healthy call torn down, counted once.
    let m = call("200", "[[40, 1000]]");
    assert_eq!(m.calls_dead, 0);
    assert_eq!(m.false_teardowns, 1);
}

#[test]
fn a_guard_that_fires_after_the_hang_up_instant_is_not_a_false_teardown() {
    // Everything is lost from 40 s and alice hangs up at 0.02 + 50 s: her
    // BYE is lost, but the call was ending. bob's refresh times out at
    // 77.01 s, after the hang-up instant (50.02 s): 0 teardowns. The same
    // loss with a later hang-up counts one (the test above).
    let m = call("50", "[[40, 1000]]");
    assert_eq!(m.false_teardowns, 0);
}

#[test]
fn a_proxy_ending_a_live_call_at_its_dialog_timeout_is_a_false_teardown() {
    // alice (SE 1800) — OpenSIPS — bob, a 300 s call. OpenSIPS's lifetime
    // is max(sst_interval, min_se 90) = 90 s from the ACK, so it sends BYE
    // both ways at about 90 s, long before alice hangs up and long before
    // the first refresh (900 s): one healthy call cut. With sst_interval
    // 1800 the lifetime outlasts the call and nothing is cut.
    let run = |extra: &str| {
        let m = super::support::alice_p_bob(
            "session_timers = \"originate\"",
            &format!("profile = \"opensips\"\n{extra}"),
            "",
            "holding_s = 300\nhorizon_s = 400",
        );
        let s = model_from_str("test.toml", &m).unwrap_or_else(|e| panic!("{e}"));
        let mut w = World::new(s.world, SeedSpace::new(1, 0, 0), TraceFilter::Off);
        w.run();
        w.finish().0.false_teardowns
    };
    assert_eq!(run(""), 1);
    assert_eq!(run("sst_interval_s = 1800"), 0);
}
