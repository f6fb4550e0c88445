//! Networks as deployed: one-way failures, NAT bindings and hosts that
//! answer with ICMP. Whole worlds built from model text; times derived by
//! hand in the comments (10 ms per link, T1 = 0.5 s, 64·T1 = 32 s).

use sstsim::sim::TraceFilter;
use sstsim::sip::{FreeCause, Record};

use super::support::{records, secs, sends, world};

/// alice (originate, SE 200) — bob (accept, makes the UAC refresh), one
/// 10 ms link with `link_extra` keys, and `faults`; one call at 0 held
/// 1000 s, horizon 400 s.
fn pair_model(link_extra: &str, faults: &str) -> String {
    format!(
        r#"
[[node]]
id = "alice"
kind = "ua"
session_timers = "originate"
session_expires = 200
[[node]]
id = "bob"
kind = "ua"
refresher = "uac"
[[link]]
between = ["alice", "bob"]
delay_ms = 10
{link_extra}
[workload]
caller = "alice"
callee = "bob"
horizon_s = 400
holding_s = 1000
{faults}
"#
    )
}

fn freed(w: &sstsim::sim::World, who: &str) -> Vec<(f64, FreeCause)> {
    records(w, who)
        .into_iter()
        .filter_map(|(t, r)| match r {
            Record::StateFreed { cause, .. } => Some((secs(t), cause)),
            _ => None,
        })
        .collect()
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn a_lost_refresh_and_a_lost_refresh_2xx_end_the_call_at_different_times() {
    // bob's 200 leaves at 0.01 and reaches alice at 0.02; she refreshes at
    // 0.02 + 100 = 100.02. From 50 s one direction of the link is down.
    //
    // Toward bob: the re-INVITE and every copy are lost; alice's
    // transaction times out at 132.02 and her BYE is lost too. bob heard
    // nothing since his 2xx at 0.01: he sends BYE at 0.01 + 200 −
    // min(32, 200/3) = 168.01 (ST-EXPIRE-1).
    //
    // Toward alice: bob gets the re-INVITE at 100.03 and answers; his 200
    // and its copies are lost, no ACK comes, and he gives up on it 64·T1
    // later, at 132.03 (alice's BYE at 132.02 reaches him then too): the
    // call ends 36 s earlier at bob.
    for (toward, bob_frees) in [("bob", 168.01), ("alice", 132.03)] {
        let fault = format!(
            "[[fault]]\nkind = \"link_down\"\nlink = [\"alice\", \"bob\"]\nfrom_s = 50\nto_s = 400\ntoward = \"{toward}\""
        );
        let mut w = world(&pair_model("", &fault), 1, TraceFilter::All);
        w.run();
        let reinvites = sends(&w, "alice", "INVITE");
        assert!(near(secs(reinvites[1].0), 100.02));
        assert_eq!(
            reinvites[1].1,
            toward == "alice",
            "delivered only toward bob"
        );
        let bob = freed(&w, "bob");
        assert!(
            bob.len() == 1 && near(bob[0].0, bob_frees),
            "toward {toward}: {bob:?}"
        );
        let alice = freed(&w, "alice");
        assert!(alice.len() == 1 && near(alice[0].0, 132.02), "{alice:?}");
    }
}

#[test]
fn loss_toward_one_end_loses_only_that_direction() {
    // loss_toward = { alice = 1 }: everything toward alice is lost, nothing
    // toward bob. Her INVITE and its copies (0, 0.5, 1.5, … 31.5: 7 sends)
    // all arrive; every 100 Trying and 200 from bob is lost, so she times
    // out at 32 s (Timer B) and the call fails.
    let mut w = world(
        &pair_model("loss_toward = { alice = 1.0 }", ""),
        1,
        TraceFilter::All,
    );
    w.run();
    let invites = sends(&w, "alice", "INVITE");
    assert_eq!(invites.len(), 7);
    assert!(invites.iter().all(|i| i.1));
    assert!(sends(&w, "bob", "200 OK").iter().all(|s| !s.1));
    let failed: Vec<f64> = records(&w, "alice")
        .into_iter()
        .filter(|(_, r)| matches!(r, Record::CallFailed { .. }))
        .map(|(t, _)| secs(t))
        .collect();
    assert!(failed.len() == 1 && near(failed[0], 32.0), "{failed:?}");
}

#[test]
fn one_way_keys_name_an_end_of_the_link() {
    for (link_extra, fault, says) in [
        (
            "loss_toward = { carol = 0.1 }",
            "",
            "link.alice-bob.loss_toward.carol",
        ),
        (
            "",
            "[[fault]]\nkind = \"loss_burst\"\nlink = [\"alice\", \"bob\"]\nfrom_s = 1\nto_s = 2\nloss = 0.5\ntoward = \"carol\"",
            "fault[0].toward",
        ),
    ] {
        let e = sstsim::scenario::model_from_str("m.toml", &pair_model(link_extra, fault))
            .expect_err(says)
            .to_string();
        assert!(e.contains(says), "{e}");
    }
}

// ---- A dead host that answers ICMP (TXN-ERR) ----

fn failures(w: &sstsim::sim::World, who: &str) -> Vec<(f64, u16)> {
    records(w, who)
        .into_iter()
        .filter_map(|(t, r)| match r {
            Record::CallFailed { status, .. } => Some((secs(t), status.0)),
            _ => None,
        })
        .collect()
}

fn crash_bob(at_s: u32, icmp: bool) -> String {
    format!("[[fault]]\nkind = \"crash\"\nnode = \"bob\"\nat_s = {at_s}\nicmp = {icmp}")
}

#[test]
fn an_invite_to_a_host_answering_icmp_fails_at_once_with_503() {
    // bob is down from 0. Silent: alice's INVITE times out after 64·T1,
    // 408 at 32 s. With ICMP: the INVITE reaches bob's host at 0.01 and the
    // port-unreachable comes back 0.01 s later: a 503 at 0.02 (TXN-ERR).
    for (icmp, want) in [(false, (32.0, 408)), (true, (0.02, 503))] {
        let mut w = world(&pair_model("", &crash_bob(0, icmp)), 1, TraceFilter::All);
        w.run();
        let f = failures(&w, "alice");
        assert!(
            f.len() == 1 && near(f[0].0, want.0) && f[0].1 == want.1,
            "icmp {icmp}: {f:?}"
        );
    }
}

#[test]
fn a_stateful_proxy_turns_icmp_into_a_503_upstream() {
    // alice — p (transaction-stateful) — bob, down with ICMP from 0. p
    // forwards the INVITE at 0.01; bob's host answers at 0.02, p learns it
    // at 0.03 and sends 503 upstream (RFC 3261 §16.9): alice fails at 0.04.
    let model = super::support::alice_p_bob(
        "",
        "stateful = \"transaction\"",
        "",
        "horizon_s = 100\nholding_s = 10\n\
         [[fault]]\nkind = \"crash\"\nnode = \"bob\"\nat_s = 0\nicmp = true",
    );
    let mut w = world(&model, 1, TraceFilter::All);
    w.run();
    let f = failures(&w, "alice");
    assert!(f.len() == 1 && near(f[0].0, 0.04) && f[0].1 == 503, "{f:?}");
}

#[test]
fn a_refresh_answered_by_icmp_is_not_a_bye_trigger() {
    // bob dies at 50 s. alice refreshes at 100.02. Silent: the refresh times
    // out at 132.02 and she sends BYE (ST-REFRESH-4). With ICMP: a 503 at
    // 100.04, which RFC 4028 does not count as a reason to end the session:
    // alice keeps the dead call until she hangs up at 0.02 + 1000, beyond
    // the 400 s horizon.
    for (icmp, bye) in [(false, Some(132.02)), (true, None)] {
        let mut w = world(&pair_model("", &crash_bob(50, icmp)), 1, TraceFilter::All);
        w.run();
        let byes: Vec<f64> = sends(&w, "alice", "BYE")
            .iter()
            .map(|s| secs(s.0))
            .collect();
        match bye {
            Some(t) => assert!(!byes.is_empty() && near(byes[0], t), "{byes:?}"),
            None => assert!(byes.is_empty(), "{byes:?}"),
        }
        assert_eq!(freed(&w, "alice").is_empty(), icmp);
        let got_503 = records(&w, "alice").into_iter().any(|(t, r)| {
            matches!(r, Record::TxnCompleted { status, .. } if status.0 == 503)
                && near(secs(t), 100.04)
        });
        assert_eq!(got_503, icmp);
    }
}

// ---- NAT bindings ----

fn bob_behind_nat(nat: &str) -> String {
    pair_model("", "").replace(
        "refresher = \"uac\"",
        &format!("refresher = \"uac\"\nnat = {{ {nat} }}"),
    )
}

#[test]
fn without_keepalive_the_first_request_from_the_network_after_the_idle_timeout_is_lost() {
    // bob sits behind a NAT that forgets him 60 s after his last packet,
    // his 200 at 0.01. alice's refresh (100.02) reaches the NAT at 100.03,
    // 100.02 s after it: lost, with all its copies. alice times out at
    // 132.02 (her BYE dies at the NAT too); bob, who never heard the
    // refresh, sends BYE at 0.01 + 200 − 32 = 168.01, which reopens the
    // binding on its way out.
    let mut w = world(&bob_behind_nat("idle_timeout_s = 60"), 1, TraceFilter::All);
    w.run();
    let reinvite = &sends(&w, "alice", "INVITE")[1];
    assert!(near(secs(reinvite.0), 100.02) && !reinvite.1);
    let alice = freed(&w, "alice");
    assert!(alice.len() == 1 && near(alice[0].0, 132.02), "{alice:?}");
    let bob = freed(&w, "bob");
    assert!(bob.len() == 1 && near(bob[0].0, 168.01), "{bob:?}");
}

#[test]
fn a_keepalive_shorter_than_the_idle_timeout_keeps_the_phone_reachable() {
    // CRLF every 30 s < 60 s: the binding never closes, so the refresh at
    // 100.02 and every later one arrive; the call lives past the horizon,
    // exactly as without a NAT.
    let with = |nat: &str| {
        let mut w = world(&bob_behind_nat(nat), 1, TraceFilter::All);
        w.run();
        sends(&w, "alice", "INVITE")
            .iter()
            .map(|s| (secs(s.0), s.1))
            .collect::<Vec<_>>()
    };
    let kept = with("idle_timeout_s = 60, keepalive = \"crlf\", keepalive_interval_s = 30");
    assert!(kept.iter().all(|s| s.1) && kept.len() == 4, "{kept:?}");
    let plain = {
        let mut w = world(&pair_model("", ""), 1, TraceFilter::All);
        w.run();
        sends(&w, "alice", "INVITE")
            .iter()
            .map(|s| (secs(s.0), s.1))
            .collect::<Vec<_>>()
    };
    assert_eq!(kept, plain);
}

#[test]
fn nat_keys_are_checked() {
    for (nat, says) in [
        (
            "keepalive = \"crlf\", keepalive_interval_s = 30",
            "idle_timeout_s",
        ),
        (
            "idle_timeout_s = 60, keepalive = \"crlf\"",
            "keepalive_interval_s",
        ),
        ("idle_timeout_s = 60, keepalive = \"stun\"", "\"crlf\""),
    ] {
        let e = sstsim::scenario::model_from_str("m.toml", &bob_behind_nat(nat))
            .expect_err(nat)
            .to_string();
        assert!(e.contains("node.bob.nat") && e.contains(says), "{e}");
    }
}
