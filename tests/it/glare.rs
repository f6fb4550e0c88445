//! Re-INVITE glare: both sides get 491 and retry after the RFC 3261 §14.1
//! back-off (GLARE-1, GLARE-2), and both re-INVITEs then succeed.

use super::support::{node, records, secs, world};
use sstsim::engine::{SimDuration, SimTime};
use sstsim::sim::TraceFilter;
use sstsim::sip::{CallRef, Command, Method, Record};

const MODEL: &str = r#"
[[node]]
id = "alice"
kind = "ua"
[[node]]
id = "bob"
kind = "ua"
[[link]]
between = ["alice", "bob"]
delay_ms = 10
[workload]
caller = "alice"
callee = "bob"
horizon_s = 100
holding_s = 60
"#;

fn invite_outcomes(w: &sstsim::sim::World, who: &str) -> Vec<(f64, u16)> {
    records(w, who)
        .iter()
        .filter_map(|(t, r)| match r {
            Record::TxnCompleted {
                method: Method::Invite,
                status,
                ..
            } => Some((secs(*t), status.0)),
            _ => None,
        })
        .collect()
}

#[test]
fn glare_resolves_and_both_reinvites_succeed() {
    for seed in 1..=20 {
        let mut w = world(MODEL, seed, TraceFilter::All);
        let (alice, bob) = (node(&w, "alice"), node(&w, "bob"));
        let at = SimTime::from_secs(5);
        w.schedule_command(
            at,
            alice,
            Command::Reinvite {
                call: CallRef(0),
                hand_over: false,
            },
        );
        w.schedule_command(
            at,
            bob,
            Command::Reinvite {
                call: CallRef(0),
                hand_over: false,
            },
        );
        w.run();
        // alice: initial 200, then 491, then 200; bob: 491, then 200.
        let a = invite_outcomes(&w, "alice");
        let b = invite_outcomes(&w, "bob");
        assert_eq!(
            a.iter().map(|x| x.1).collect::<Vec<_>>(),
            [200, 491, 200],
            "seed {seed}: {a:?}"
        );
        assert_eq!(
            b.iter().map(|x| x.1).collect::<Vec<_>>(),
            [491, 200],
            "seed {seed}: {b:?}"
        );
        let backoff = |who: &str| -> SimDuration {
            records(&w, who)
                .iter()
                .find_map(|(_, r)| match r {
                    Record::GlareBackoff { backoff, .. } => Some(*backoff),
                    _ => None,
                })
                .expect("a back-off was drawn")
        };
        // GLARE-2: the Call-ID owner (alice) waits 2.1–4.0 s, the other 0–2.0 s, in 10 ms steps.
        let (ba, bb) = (backoff("alice"), backoff("bob"));
        assert!(
            ba >= SimDuration::from_millis(2100) && ba <= SimDuration::from_millis(4000),
            "{ba}"
        );
        assert!(bb <= SimDuration::from_millis(2000), "{bb}");
        assert_eq!(ba.as_nanos() % 10_000_000, 0);
        assert_eq!(bb.as_nanos() % 10_000_000, 0);
        // bob's retry (sent at 5.02 + bb) is answered 20 ms later; alice's likewise.
        assert!(
            (b[1].0 - (5.04 + bb.as_secs_f64())).abs() < 1e-6,
            "seed {seed}"
        );
        assert!(
            (a[2].0 - (5.04 + ba.as_secs_f64())).abs() < 1e-6,
            "seed {seed}"
        );
        // The call still ends normally with BYE.
        assert_eq!(w.stats().nodes[bob.index()].received(Method::Bye), 1);
    }
}
