//! The load on each node: messages it handled and refresh transactions it
//! took part in, against counts derived by hand.

use super::support::node;
use sstsim::engine::SeedSpace;
use sstsim::scenario::model_from_str;
use sstsim::sim::{NodeClass, RunMetrics, Stats, TraceFilter, World};

/// alice (originate, SE 90) — px (dialog-stateful, record-routing) — bob,
/// 10 ms links, one call held `holding_s`; bob refreshes (the UAS's default).
fn run(holding_s: u32, loss: &str) -> (RunMetrics, Stats, World) {
    let m = format!(
        r#"
[[node]]
id = "alice"
kind = "ua"
session_timers = "originate"
session_expires = 90
[[node]]
id = "px"
kind = "proxy"
stateful = "dialog"
record_route = true
[[node]]
id = "bob"
kind = "ua"
[[link]]
between = ["alice", "px"]
delay_ms = 10
{loss}
[[link]]
between = ["px", "bob"]
delay_ms = 10
[workload]
caller = "alice"
callee = "bob"
holding_s = {holding_s}
horizon_s = 2000
"#
    );
    let s = model_from_str("test.toml", &m).unwrap_or_else(|e| panic!("{e}"));
    let mut w = World::new(s.world.clone(), SeedSpace::new(1, 0, 0), TraceFilter::Off);
    w.run();
    let stats = w.stats().clone();
    let (metrics, _) = w.finish();
    let names = World::new(s.world, SeedSpace::new(1, 0, 0), TraceFilter::Off);
    (metrics, stats, names)
}

#[test]
fn each_refresh_is_one_transaction_at_each_end_of_each_hop() {
    // bob's 2xx leaves at ~0.02 s; he refreshes SE/2 = 45 s after each 2xx
    // he gets, a cycle of 45 s plus a 40 ms round trip. alice hangs up
    // 1000 s after her answer, so refreshes k = 1..22 go at about
    // 0.02 + 45.04·k ≤ 990.9 s and the 23rd (1036 s) never does. Each
    // crosses two hops: bob 22 (client), px 44 (server and client), alice
    // 22 (server).
    let (m, stats, w) = run(1000, "");
    assert_eq!(m.refresh_requests, 22);
    let tx = |name| m.nodes[node(&w, name).index()].traffic.refresh_transactions;
    assert_eq!((tx("alice"), tx("px"), tx("bob")), (22, 44, 22));
    // Every message sent is counted at its sender, every one delivered at
    // its receiver; nothing is lost here.
    let sent: u64 = m.nodes.iter().map(|n| n.traffic.messages_sent).sum();
    let received: u64 = m.nodes.iter().map(|n| n.traffic.messages_received).sum();
    assert_eq!(sent, m.messages_sent);
    assert_eq!(received, stats.messages_delivered);
    assert_eq!((m.messages_lost, received), (0, sent));
}

#[test]
fn retransmissions_are_messages_but_not_transactions() {
    // alice–px is down during [45, 46) s. bob's first refresh leaves him at
    // his 2xx (0.02 s) + 45 s and px forwards it at 45.03 s into the
    // outage; px's Timer A resends it at 45.53 (lost) and 46.53 s (T1 =
    // 0.5 s, doubling), which gets through. px sent 2 messages more than
    // without the outage and alice received the same number; the
    // transactions are the same (22, 44, 22).
    let (m, _, w) = run(1000, "outages = [[45, 46]]");
    let (lossless, _, _) = run(1000, "");
    let at = |m: &RunMetrics, name| m.nodes[node(&w, name).index()].traffic;
    assert_eq!(m.messages_lost, 2);
    assert_eq!(
        at(&m, "px").messages_sent,
        at(&lossless, "px").messages_sent + 2
    );
    assert_eq!(
        at(&m, "alice").messages_received,
        at(&lossless, "alice").messages_received
    );
    for name in ["alice", "px", "bob"] {
        assert_eq!(
            at(&m, name).refresh_transactions,
            at(&lossless, name).refresh_transactions,
            "{name}"
        );
    }
    assert_eq!(at(&m, "px").refresh_transactions, 44);
}

#[test]
fn node_hung_state_adds_up_to_its_class() {
    // Each dead-call state is held by one node of one class: the per-node
    // figures partition the per-class ones.
    let text = std::fs::read_to_string("models/call-crash.toml").unwrap();
    let s = model_from_str("models/call-crash.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let mut w = World::new(s.world, SeedSpace::new(1, 0, 0), TraceFilter::Off);
    w.run();
    let (m, _) = w.finish();
    for c in NodeClass::ALL {
        let nodes = m.nodes.iter().filter(|n| n.class == c);
        let dead: u64 = nodes.clone().map(|n| n.dead_states).sum();
        let hung: f64 = nodes.map(|n| n.hung_state_h).sum();
        let k = m.class(c);
        assert_eq!(dead, k.dead_states, "{c:?}");
        assert!(
            (hung - k.hung_state_h).abs() < 1e-9,
            "{c:?}: {hung} vs {}",
            k.hung_state_h
        );
    }
    assert!(m.class(NodeClass::ProxyTimer).dead_states > 0);
}
