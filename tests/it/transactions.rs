//! RFC 3261 §17 transaction timing over lossy UDP (TXN-A/B, TXN-E/F, TXN-2XX-1).

use super::support::{node, records, secs, sends, world};
use sstsim::engine::SimTime;
use sstsim::sim::TraceFilter;
use sstsim::sip::{DialogTimer, Method, Record, TimerKind};

/// Two UAs on one link of `delay_ms`, with extra link keys (loss, outages).
fn pair(delay_ms: u32, link_extra: &str, workload: &str) -> String {
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
fn invite_retransmits_on_timer_a_and_times_out_on_timer_b() {
    // Every message on the only hop is lost: TXN-A/B with T1 = 0.5 s.
    let m = pair(10, "loss = 1.0", "horizon_s = 100\nholding_s = 60");
    let mut w = world(&m, 1, TraceFilter::All);
    w.run();
    let times: Vec<f64> = sends(&w, "alice", "INVITE")
        .iter()
        .map(|s| secs(s.0))
        .collect();
    assert_eq!(times, [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]);
    let timeout: Vec<f64> = records(&w, "alice")
        .iter()
        .filter(|(_, r)| {
            matches!(
                r,
                Record::TxnTimedOut {
                    method: Method::Invite,
                    ..
                }
            )
        })
        .map(|(t, _)| secs(*t))
        .collect();
    assert_eq!(timeout, [32.0], "Timer B = 64·T1");
    assert!(
        records(&w, "alice")
            .iter()
            .any(|(_, r)| matches!(r, Record::CallFailed { status, .. } if status.0 == 408))
    );
}

#[test]
fn non_invite_retransmission_interval_caps_at_t2() {
    // The call is set up at t < 0.05 s; the link then goes down, so the BYE
    // at 60.02 s is retransmitted on Timer E and times out on Timer F.
    let m = pair(
        10,
        "outages = [[30, 1000]]",
        "horizon_s = 200\nholding_s = 60",
    );
    let mut w = world(&m, 1, TraceFilter::All);
    w.run();
    let byes: Vec<f64> = sends(&w, "alice", "BYE")
        .iter()
        .map(|s| secs(s.0))
        .collect();
    assert_eq!(byes.len(), 11, "{byes:?}");
    assert!(
        (byes[0] - 60.02).abs() < 1e-9,
        "BYE at answer + 60 s: {}",
        byes[0]
    );
    let gaps: Vec<f64> = byes
        .windows(2)
        .map(|w| ((w[1] - w[0]) * 1000.0).round() / 1000.0)
        .collect();
    assert_eq!(gaps, [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]);
    let timeout: Vec<f64> = records(&w, "alice")
        .iter()
        .filter(|(_, r)| {
            matches!(
                r,
                Record::TxnTimedOut {
                    method: Method::Bye,
                    ..
                }
            )
        })
        .map(|(t, _)| secs(*t))
        .collect();
    assert_eq!(timeout.len(), 1);
    assert!(
        (timeout[0] - (byes[0] + 32.0)).abs() < 1e-9,
        "Timer F = 64·T1 after the first send"
    );
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

#[test]
fn uas_without_ack_retransmits_2xx_then_sends_bye_after_64_t1() {
    // INVITE and the first 200 OK cross before the outage; the ACK and every
    // later message are lost. TXN-2XX-1: the UAS retransmits the 2xx
    // (T1 doubling to T2) and gives up with BYE 64·T1 after the first 2xx.
    let m = pair(
        10,
        "outages = [[0.015, 1000]]",
        "horizon_s = 100\nholding_s = 60",
    );
    let mut w = world(&m, 1, TraceFilter::All);
    w.run();
    let oks: Vec<f64> = sends(&w, "bob", "200 OK")
        .iter()
        .map(|s| secs(s.0))
        .collect();
    let expected: Vec<f64> = [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
        .iter()
        .map(|x| x + 0.01)
        .collect();
    assert_eq!(oks.len(), expected.len(), "{oks:?}");
    assert!(
        oks.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-9),
        "{oks:?}"
    );
    let byes = sends(&w, "bob", "BYE");
    assert!(!byes.is_empty(), "the UAS ends the session");
    assert!(
        (secs(byes[0].0) - 32.01).abs() < 1e-9,
        "BYE at {}",
        secs(byes[0].0)
    );
    let bob = records(&w, "bob");
    assert!(bob.iter().any(|(t, r)| matches!(
        r,
        Record::TimerFired {
            kind: TimerKind::Dialog(DialogTimer::GiveUp2xx),
            ..
        }
    ) && *t == SimTime::from_millis(32_010)));
    assert!(bob.iter().any(|(_, r)| matches!(
        r,
        Record::StateFreed {
            cause: sstsim::sip::FreeCause::TransactionTimeout,
            ..
        }
    )));
    assert_eq!(
        w.stats().nodes[node(&w, "bob").index()].received(Method::Ack),
        0
    );
}
