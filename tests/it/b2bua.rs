//! A B2BUA bridges two dialogs and tears down the far leg when one ends.

use super::support::{node, records, secs, sends, world};
use sstsim::sim::TraceFilter;
use sstsim::sip::{FreeCause, Method, Record};

#[test]
fn b2bua_answers_leg_a_after_leg_b_and_propagates_bye() {
    let m = std::fs::read_to_string(format!(
        "{}/models/asterisk-b2bua.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    // A lossless uplink keeps the counts exact.
    let m = m.replace("loss = 0.005", "loss = 0.0");
    let mut w = world(&m, 1, TraceFilter::Off);
    w.run();
    let s = w.stats();
    let st = |n: &str| &s.nodes[node(&w, n).index()];
    // Two dialogs at the B2BUA, one at each endpoint and one record at the trunk.
    assert_eq!(st("pbx").states_created, 2);
    assert_eq!(st("pbx").calls_answered, 1);
    assert_eq!(st("carrier").calls_answered, 1);
    assert_eq!(st("trunk").states_created, 1);
    // phone1 hangs up; the B2BUA ends leg B, which crosses the trunk.
    assert_eq!(st("pbx").received(Method::Bye), 1);
    assert_eq!(st("carrier").received(Method::Bye), 1);
    assert_eq!(st("trunk").freed(FreeCause::Bye), 1);
    for n in ["phone1", "pbx", "trunk", "carrier"] {
        assert_eq!(st(n).states_held(), 0, "{n}");
    }
}

/// DLG-5 (RFC 3261 §15): the callee sends no BYE on a confirmed dialog
/// before the ACK of its 2xx arrives or its 2xx retransmission gives up.
///
/// phone → pbx (B2BUA) → carrier. The phone–pbx link goes down just after
/// the pbx's 2xx reached the phone, so leg A's ACK never arrives. The
/// carrier crashes at 5 s, so on leg B (SE 90, the carrier refreshes) the
/// pbx's expiry fires at t2xx + 90 − min(32, 30) = t2xx + 60 s and it ends
/// leg B, which makes it hang up leg A. Leg A's 2xx was sent at t2xx =
/// 0.017 s (delays 1 + 8 + 8 ms, no jitter); with T1 = 2 s its
/// retransmission gives up at t2xx + 64·T1 = 128.017 s, and only then may
/// the BYE on leg A go: not at 60.017 s.
#[test]
fn dlg_5_a_callee_sends_no_bye_before_the_ack() {
    let m = r#"
[sip]
t1_ms = 2000
t2_ms = 4000

[[node]]
id = "phone"
kind = "ua"

[[node]]
id = "pbx"
kind = "b2bua"
session_timers = "originate"
session_expires = 90

[[node]]
id = "carrier"
kind = "ua"

[[link]]
between = ["phone", "pbx"]
delay_ms = 1
outages = [[0.0175, 300]]

[[link]]
between = ["pbx", "carrier"]
delay_ms = 8

[[fault]]
kind = "crash"
node = "carrier"
at_s = 5

[workload]
horizon_s = 200
calls = 1
caller = "phone"
callee = "carrier"
holding_s = 300
"#;
    let mut w = world(m, 1, TraceFilter::All);
    w.run();
    let (phone, carrier) = (node(&w, "phone"), node(&w, "carrier"));
    let byes: Vec<(f64, sstsim::net::NodeId)> = sends(&w, "pbx", "BYE")
        .iter()
        .map(|(t, _, msg)| (secs(*t), msg_target(msg)))
        .collect();
    let first = |to| {
        byes.iter()
            .find(|(_, n)| *n == to)
            .map(|(t, _)| *t)
            .expect("a BYE")
    };
    assert!((first(carrier) - 60.017).abs() < 1e-6, "{byes:?}");
    assert!((first(phone) - 128.017).abs() < 1e-6, "{byes:?}");
    // Leg A's state is freed with its BYE, for the cause that asked for it.
    let freed: Vec<(f64, FreeCause)> = records(&w, "pbx")
        .into_iter()
        .filter_map(|(t, r)| match r {
            Record::StateFreed { cause, .. } => Some((secs(t), cause)),
            _ => None,
        })
        .collect();
    assert_eq!(freed.len(), 2, "{freed:?}");
    assert!((freed[1].0 - 128.017).abs() < 1e-6, "{freed:?}");
    assert_eq!(freed[1].1, FreeCause::Expiry);
}

/// The Request-URI's node of a request.
fn msg_target(m: &sstsim::sip::Message) -> sstsim::net::NodeId {
    match m.start {
        sstsim::sip::message::StartLine::Request { target, .. } => target,
        sstsim::sip::message::StartLine::Response(_) => unreachable!("a request"),
    }
}
