//! A B2BUA bridges two dialogs and tears down the far leg when one ends.

use super::support::{node, world};
use sstsim::sim::TraceFilter;
use sstsim::sip::{FreeCause, Method};

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
