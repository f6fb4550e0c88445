//! Paths of initial and in-dialog requests, and message conservation.

use super::support::{node, world};
use sstsim::engine::SimTime;
use sstsim::sim::TraceFilter;
use sstsim::sip::{FreeCause, Method};

fn model(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn a_proxy_that_does_not_record_route_never_sees_ack_or_bye() {
    let mut w = world(&model("models/basic.toml"), 1, TraceFilter::Off);
    w.run();
    let s = w.stats();
    let (p1, p2, bob) = (node(&w, "p1"), node(&w, "p2"), node(&w, "bob"));
    // p2 forwards the INVITE (it is on the least-delay path) ...
    assert_eq!(s.nodes[p2.index()].received(Method::Invite), 1);
    // ... but in-dialog requests go p1 -> bob and cross p2 only at the IP level.
    assert_eq!(s.nodes[p2.index()].received(Method::Ack), 0);
    assert_eq!(s.nodes[p2.index()].received(Method::Bye), 0);
    // p1 record-routed: it sees every ACK (refresh re-INVITEs included) and
    // the BYE, and frees its dialog record on the BYE.
    assert!(s.nodes[p1.index()].received(Method::Ack) >= 1);
    let alice = node(&w, "alice");
    let acks = |n: sstsim::net::NodeId| s.nodes[n.index()].received(Method::Ack);
    assert_eq!(acks(p1), acks(bob) + acks(alice), "every ACK crosses p1");
    assert_eq!(s.nodes[p1.index()].received(Method::Bye), 1);
    assert_eq!(s.nodes[p1.index()].freed(FreeCause::Bye), 1);
    assert_eq!(s.nodes[bob.index()].received(Method::Bye), 1);
    // Everyone ends clean.
    for n in &s.nodes {
        assert_eq!(n.states_held(), 0);
    }
}

#[test]
fn a_dialog_stateful_proxy_off_the_route_holds_state_until_its_fallback_lifetime() {
    // carrier.toml: `interconnect` is dialog-stateful, does not record-route,
    // and has a 3600 s fallback lifetime; the 10 calls end by BYE at ~70 s.
    let mut m = model("models/carrier.toml");
    m = m.replace("horizon_s = 600", "horizon_s = 4000");
    let mut w = world(&m, 1, TraceFilter::Off);
    w.run_until(SimTime::from_secs(600));
    let ic = node(&w, "interconnect");
    let created = w.stats().nodes[ic.index()].states_created;
    assert!(created >= 9, "{created}");
    assert_eq!(w.stats().nodes[ic.index()].received(Method::Bye), 0);
    assert_eq!(
        w.stats().nodes[ic.index()].states_held(),
        created,
        "nothing freed before 3600 s"
    );
    w.run();
    let ic_stats = &w.stats().nodes[ic.index()];
    assert_eq!(ic_stats.freed(FreeCause::FallbackLifetime), created);
    assert_eq!(ic_stats.states_held(), 0);
}

#[test]
fn every_message_sent_is_delivered_lost_or_in_flight() {
    let m = model("models/carrier.toml");
    let mut w = world(&m, 3, TraceFilter::Off);
    // Stop mid-call, with messages on the wire, then at the horizon.
    for t in [SimTime::from_millis(35_050), SimTime::from_secs(600)] {
        w.run_until(t);
        let s = w.stats();
        assert_eq!(
            s.messages_sent,
            s.messages_delivered + s.lost_total() + w.in_flight() as u64,
            "at {t}"
        );
    }
    assert!(w.stats().lost_total() > 0, "carrier.toml is lossy");
}
