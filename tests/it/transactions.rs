//! RFC 3261 §17 transaction timing over lossy UDP (TXN-E/F/K); the exact schedules are in roles.rs.

use super::support::{node, world};
use sstsim::sim::TraceFilter;
use sstsim::sip::Method;

/// Two UAs on one link of `delay_ms`, with extra link keys (loss, outages).
pub(super) fn pair(delay_ms: u32, link_extra: &str, workload: &str) -> String {
    format!(
        r#"
[[node]]
id = "alice"
kind = "ua"
[[node]]
id = "bob"
kind = "ua"
[[link]]
between = ["alice", "bob"]
delay_ms = {delay_ms}
{link_extra}
[workload]
caller = "alice"
callee = "bob"
{workload}
"#
    )
}

#[test]
fn non_invite_failure_rate_matches_its_closed_form() {
    // Loss p = 0.5 on each message of the only hop, 5 ms each way. A BYE
    // transaction fails only if each of its 11 sends (0 … 31.5 s, all
    // answered before Timer F at 32 s) loses the request or its response:
    //   P(fail) = (1 - (1-p)^2)^11 = 0.75^11 = 0.042235.
    // The UAS answers every copy it receives (TXN-J), so the 11 attempts are
    // independent Bernoulli trials with success (1-p)^2.
    let m = pair(
        5,
        "loss = 0.5",
        "horizon_s = 200100\ncalls = 2000\ninterval_s = 100\nholding_s = 10",
    );
    let mut w = world(&m, 7, TraceFilter::Off);
    w.run();
    let alice = &w.stats().nodes[node(&w, "alice").index()];
    let (done, failed) = (alice.completed(Method::Bye), alice.timed_out(Method::Bye));
    let n = (done + failed) as f64;
    assert!(n > 1500.0, "most calls set up and send BYE: {n}");
    let p_fail = 0.75f64.powi(11);
    let observed = failed as f64 / n;
    // 4 standard deviations of a binomial proportion.
    let tol = 4.0 * (p_fail * (1.0 - p_fail) / n).sqrt();
    assert!(
        (observed - p_fail).abs() < tol,
        "observed {observed:.4} ({failed}/{n}), expected {p_fail:.4} ± {tol:.4}"
    );
}
