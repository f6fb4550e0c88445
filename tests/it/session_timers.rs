//! RFC 4028 end to end through the simulator, with exact expected times
//! (every link 10 ms, no loss, no jitter, unless stated). Scenarios (a)–(i)
//! of the session-timer issue, and the run-time ST-* rules.

use super::support::{node, records, secs, sends, world};
use sstsim::sim::{TraceEvent, TraceFilter, World};
use sstsim::sip::message::RefresherParam;
use sstsim::sip::{CallRef, FreeCause, Method, Record, StEvent};

/// A chain of nodes joined by 10 ms links, with a workload from the first to the last UA.
fn chain(nodes: &[&str], extra: &str, workload: &str) -> String {
    let mut m = String::from(extra);
    m.push('\n');
    for n in nodes {
        m.push_str(n);
        m.push('\n');
    }
    let ids: Vec<String> = nodes
        .iter()
        .map(|n| n.split('"').nth(1).expect("id first").to_string())
        .collect();
    for w in ids.windows(2) {
        m.push_str(&format!(
            "[[link]]\nbetween = [\"{}\", \"{}\"]\ndelay_ms = 10\n",
            w[0], w[1]
        ));
    }
    m.push_str(&format!(
        "[workload]\ncaller = \"{}\"\ncallee = \"{}\"\n{workload}\n",
        ids[0],
        ids[ids.len() - 1]
    ));
    m
}

fn st_events(w: &World, who: &str) -> Vec<(f64, StEvent)> {
    records(w, who)
        .iter()
        .filter_map(|(t, r)| match r {
            Record::SessionTimer { event, .. } => Some((secs(*t), *event)),
            _ => None,
        })
        .collect()
}

fn freed(w: &World, who: &str) -> Vec<(f64, FreeCause)> {
    records(w, who)
        .iter()
        .filter_map(|(t, r)| match r {
            Record::StateFreed { cause, .. } => Some((secs(*t), *cause)),
            _ => None,
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn negotiated(interval_s: u32, local_refresher: bool) -> StEvent {
    StEvent::Negotiated {
        interval_s,
        local_refresher,
    }
}

#[test]
fn scenario_a_422_from_a_proxy_then_retry_with_its_min_se() {
    let m = chain(
        &[
            "[[node]]\nid = \"alice\"\nkind = \"ua\"\nsession_timers = \"originate\"\nsession_expires = 90\nsend_min_se = \"always\"",
            "[[node]]\nid = \"p\"\nkind = \"proxy\"\nstateful = \"dialog\"\nrecord_route = true\ntimers = true\nmin_se = 120",
            "[[node]]\nid = \"bob\"\nkind = \"ua\"",
        ],
        "",
        "horizon_s = 100\nholding_s = 70",
    );
    let mut w = world(&m, 1, TraceFilter::All);
    w.run();
    let invites = sends(&w, "alice", "INVITE");
    let (t0, _, first) = &invites[0];
    let (t1, _, retry) = &invites[1];
    assert_eq!(secs(*t0), 0.0);
    let se = |m: &sstsim::sip::Message| {
        (
            m.timer.session_expires.map(|s| s.delta_s),
            m.timer.min_se,
            m.timer.supported_timer,
        )
    };
    assert_eq!(se(first), (Some(90), Some(90), true));
    // The proxy answers 422 with its Min-SE; alice retries as soon as it arrives (20 ms).
    let rejects = sends(&w, "p", "422 Session Interval Too Small");
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0].2.timer.min_se, Some(120));
    assert!(close(secs(*t1), 0.02), "retry at {}", secs(*t1));
    assert_eq!(se(retry), (Some(120), Some(120), true));
    // Established with SE 120: bob (UAS, prefers uas) refreshes; alice waits.
    assert!(st_events(&w, "bob").contains(&(0.04, negotiated(120, true))));
    assert!(st_events(&w, "alice").contains(&(0.06, negotiated(120, false))));
    assert!(
        st_events(&w, "alice")
            .iter()
            .any(|e| e.1 == StEvent::Retry422 { min_se: 120 })
    );
}

#[test]
fn st_uac_14_the_retry_after_422_has_cseq_plus_one_and_a_new_from_tag() {
    let m = chain(
        &[
            "[[node]]\nid = \"alice\"\nkind = \"ua\"\nsession_timers = \"originate\"\nsession_expires = 90",
            "[[node]]\nid = \"p\"\nkind = \"proxy\"\ntimers = true\nmin_se = 120",
            "[[node]]\nid = \"bob\"\nkind = \"ua\"",
        ],
        "",
        "horizon_s = 10\nholding_s = 5",
    );
    let mut w = world(&m, 1, TraceFilter::All);
    w.run();
    let invites = sends(&w, "alice", "INVITE");
    let (a, b) = (&invites[0].2, &invites[1].2);
    assert_eq!((a.cseq, b.cseq), (1, 2));
    assert_eq!(a.call_id, b.call_id, "Call-ID may be reused");
    assert_ne!(a.from_tag, b.from_tag, "erratum 1681: new From tag");
    assert_eq!(w.stats().nodes[node(&w, "bob").index()].calls_answered, 1);
}

#[test]
fn scenario_b_proxy_puts_the_timer_in_the_2xx_for_a_uac_whose_uas_lacks_support() {
    let m = chain(
        &[
            "[[node]]\nid = \"alice\"\nkind = \"ua\"",
            "[[node]]\nid = \"p\"\nkind = \"proxy\"\nstateful = \"dialog\"\nrecord_route = true\ntimers = true\nsession_expires = 300",
            "[[node]]\nid = \"bob\"\nkind = \"ua\"\nsession_timers = \"refuse\"",
        ],
        "",
        "horizon_s = 500\nholding_s = 400",
    );
    let mut w = world(&m, 1, TraceFilter::All);
    w.run();
    // bob's 2xx carries nothing; p adds SE 300;refresher=uac and Require: timer.
    let ok_bob = &sends(&w, "bob", "200 OK")[0].2;
    assert_eq!(ok_bob.timer.session_expires, None);
    let ok_p = &sends(&w, "p", "200 OK")[0].2;
    let se = ok_p.timer.session_expires.expect("inserted");
    assert_eq!((se.delta_s, se.refresher), (300, Some(RefresherParam::Uac)));
    assert!(ok_p.timer.require_timer);
    // alice refreshes at t2xx + 150 s, each 2xx restarting the clock.
    let refreshes: Vec<f64> = sends(&w, "alice", "INVITE")
        .iter()
        .skip(1)
        .map(|s| secs(s.0))
        .collect();
    assert_eq!(refreshes.len(), 2);
    assert!(
        close(refreshes[0], 150.04) && close(refreshes[1], 300.08),
        "{refreshes:?}"
    );
    // Every refresh 2xx through p gets the timer again; the call ends by BYE at 400.04.
    assert!(freed(&w, "alice").contains(&(400.04, FreeCause::Bye)));
}

#[test]
fn scenario_c_refuse_mode_uas_answers_420_to_require_timer() {
    let m = chain(
        &[
            "[[node]]\nid = \"alice\"\nkind = \"ua\"\nsession_timers = \"originate\"\nrequire_timer = true",
            "[[node]]\nid = \"bob\"\nkind = \"ua\"\nsession_timers = \"refuse\"",
        ],
        "",
        "horizon_s = 100\nholding_s = 60",
    );
    let mut w = world(&m, 1, TraceFilter::All);
    w.run();
    let rejects = sends(&w, "bob", "420 Bad Extension");
    assert_eq!(rejects.len(), 1);
    assert!(rejects[0].2.timer.unsupported_timer);
    // ST-UAC-6: the retry drops Require; the call then succeeds without a timer at bob.
    let invites = sends(&w, "alice", "INVITE");
    assert!(invites[0].2.timer.require_timer && !invites[1].2.timer.require_timer);
    assert!(
        st_events(&w, "alice")
            .iter()
            .any(|e| e.1 == StEvent::Retry420)
    );
    assert_eq!(w.stats().nodes[node(&w, "bob").index()].calls_answered, 1);
    // alice (originate) refreshes alone toward the non-supporting peer (ST-UAC-10).
    assert!(
        st_events(&w, "alice")
            .iter()
            .any(|e| e.1 == negotiated(1800, true))
    );
}

#[test]
fn scenario_d_originate_refreshes_toward_a_peer_without_support_and_detects_its_death() {
    // bob refuses timers; its link dies at 100 s. alice (originate, SE 120)
    // refreshes alone: at 60.02 (ok) and 120.04 (lost), then Timer B at
    // 152.04 ends the dialog with BYE (ST-REFRESH-4).
    let m = chain(
        &[
            "[[node]]\nid = \"alice\"\nkind = \"ua\"\nsession_timers = \"originate\"\nsession_expires = 120",
            "[[node]]\nid = \"bob\"\nkind = \"ua\"\nsession_timers = \"refuse\"",
        ],
        "",
        "horizon_s = 400\nholding_s = 350",
    )
    .replace("delay_ms = 10\n", "delay_ms = 10\noutages = [[100, 1000]]\n");
    let mut w = world(&m, 1, TraceFilter::All);
    w.run();
    let refreshes: Vec<f64> = sends(&w, "alice", "INVITE")
        .iter()
        .skip(1)
        .map(|s| secs(s.0))
        .collect();
    assert!(close(refreshes[0], 60.02), "{refreshes:?}");
    assert!(close(refreshes[1], 120.04), "{refreshes:?}");
    assert!(
        freed(&w, "alice").contains(&(152.04, FreeCause::RefreshFailed)),
        "{:?}",
        freed(&w, "alice")
    );
    assert!(st_events(&w, "alice").contains(&(152.04, StEvent::ByeSent(FreeCause::RefreshFailed))));
}

#[test]
fn st_refresh_4_and_st_expire_2_a_failed_refresh_ends_the_dialog_with_bye() {
    // Same as (d), with UPDATE: Timer F at 120.04 + 32 s.
    let m = chain(
        &[
            "[[node]]\nid = \"alice\"\nkind = \"ua\"\nsession_timers = \"originate\"\nsession_expires = 120\nrefresh_method = \"update\"",
            "[[node]]\nid = \"bob\"\nkind = \"ua\"\nrefresh_method = \"update\"",
        ],
        "",
        "horizon_s = 400\nholding_s = 350",
    )
    .replace("delay_ms = 10\n", "delay_ms = 10\noutages = [[100, 1000]]\n");
    let mut w = world(&m, 1, TraceFilter::All);
    w.run();
    let bob_refreshes = sends(&w, "bob", "UPDATE");
    let alice_refreshes = sends(&w, "alice", "UPDATE");
    // bob (UAS, prefers uas) refreshes from its 2xx sent at 0.01: 60.01 (ok,
    // 2xx back at 60.03) and 120.03 (lost); Timer F ends it at 152.03.
    assert!(alice_refreshes.is_empty());
    let times: Vec<f64> = bob_refreshes.iter().map(|s| secs(s.0)).collect();
    assert!(
        close(times[0], 60.01) && close(times[1], 120.03),
        "{times:?}"
    );
    assert!(
        freed(&w, "bob").contains(&(152.03, FreeCause::RefreshFailed)),
        "{:?}",
        freed(&w, "bob")
    );
    // alice's last 2xx went out at 60.02: her guard fires at 60.02 + 120 - 32.
    assert!(
        freed(&w, "alice").contains(&(148.02, FreeCause::Expiry)),
        "{:?}",
        freed(&w, "alice")
    );
}

#[test]
fn scenario_e_a_proxy_ceiling_lowers_the_interval() {
    let m = chain(
        &[
            "[[node]]\nid = \"alice\"\nkind = \"ua\"\nsession_timers = \"originate\"\nsession_expires = 1800",
            "[[node]]\nid = \"p\"\nkind = \"proxy\"\ntimers = true\nsession_expires = 300",
            "[[node]]\nid = \"bob\"\nkind = \"ua\"",
        ],
        "",
        "horizon_s = 100\nholding_s = 30",
    );
    let mut w = world(&m, 1, TraceFilter::All);
    w.run();
    assert_eq!(
        sends(&w, "alice", "INVITE")[0]
            .2
            .timer
            .session_expires
            .unwrap()
            .delta_s,
        1800
    );
    assert_eq!(
        sends(&w, "p", "INVITE")[0]
            .2
            .timer
            .session_expires
            .unwrap()
            .delta_s,
        300
    );
    assert!(st_events(&w, "bob").contains(&(0.02, negotiated(300, true))));
    assert!(st_events(&w, "alice").contains(&(0.04, negotiated(300, false))));
}

/// 24 h of one call with SE 1800: the count of refreshes and that it stays up.
fn day_long_call(method: &str) {
    let m = chain(
        &[
            &format!(
                "[[node]]\nid = \"alice\"\nkind = \"ua\"\nsession_timers = \"originate\"\nrefresh_method = \"{method}\""
            ),
            &format!("[[node]]\nid = \"bob\"\nkind = \"ua\"\nrefresh_method = \"{method}\""),
        ],
        "",
        "horizon_s = 86500\nholding_s = 86400",
    );
    let mut w = world(&m, 1, TraceFilter::Off);
    w.run();
    // bob (UAS) refreshes: first at 0.01 + 900, then every 900 s after each
    // 2xx, which arrives 20 ms after the request: t_k = 900.01 + (k-1)·900.02.
    // alice hangs up at 0.02 + 86400.
    let (first, period, hangup) = (
        900_010_000_000u64,
        900_020_000_000u64,
        86_400_020_000_000u64,
    );
    let expected = (hangup - first) / period + 1;
    let label = if method == "update" {
        Method::Update
    } else {
        Method::Invite
    };
    let alice = &w.stats().nodes[node(&w, "alice").index()];
    assert_eq!(alice.received(label), expected, "{method}");
    assert_eq!(expected, 95);
    // The call stayed up all day: freed only by the BYE, nobody expired.
    for n in &w.stats().nodes {
        assert_eq!(n.freed(FreeCause::Bye), 1);
        assert_eq!(n.freed(FreeCause::Expiry), 0);
    }
}

#[test]
fn scenario_h_update_refreshes_keep_a_call_up_for_24_hours() {
    day_long_call("update");
}

#[test]
fn scenario_h_reinvite_refreshes_keep_a_call_up_for_24_hours() {
    day_long_call("reinvite");
}

#[test]
fn scenario_i_a_b2bua_whose_phone_leg_dies_tears_down_the_trunk_leg() {
    // phone -1ms- pbx -10ms- trunk -10ms- carrier. The pbx refreshes the phone
    // leg (SE 600, refresher uas) from its 2xx at 0.041; the phone's link dies
    // at 100 s; the refresh at 300.041 times out at 332.041 (Timer B); the pbx
    // then ends the trunk leg with BYE, which reaches the carrier 20 ms later.
    let m = r#"
[[node]]
id = "phone"
kind = "ua"
[[node]]
id = "pbx"
kind = "b2bua"
session_timers = "originate"
session_expires = 600
[[node]]
id = "trunk"
kind = "proxy"
stateful = "dialog"
record_route = true
timers = true
[[node]]
id = "carrier"
kind = "ua"
[[link]]
between = ["phone", "pbx"]
delay_ms = 1
outages = [[100, 5000]]
[[link]]
between = ["pbx", "trunk"]
delay_ms = 10
[[link]]
between = ["trunk", "carrier"]
delay_ms = 10
[workload]
caller = "phone"
callee = "carrier"
horizon_s = 3000
holding_s = 2500
"#;
    let mut w = world(m, 1, TraceFilter::All);
    w.run();
    let pbx = st_events(&w, "pbx");
    assert!(pbx.contains(&(0.041, negotiated(600, true))), "{pbx:?}");
    let pbx_freed = freed(&w, "pbx");
    assert!(
        pbx_freed.contains(&(332.041, FreeCause::RefreshFailed)),
        "{pbx_freed:?}"
    );
    assert_eq!(pbx_freed.len(), 2, "both legs freed");
    assert!(
        freed(&w, "carrier").contains(&(332.061, FreeCause::Bye)),
        "{:?}",
        freed(&w, "carrier")
    );
    assert!(freed(&w, "trunk").contains(&(332.051, FreeCause::Bye)));
}

fn proxy_expiry_model(bye_on_expiry: bool) -> String {
    // alice refreshes (bob refuses, p inserts SE 120;refresher=uac); alice's
    // link dies at 10 s, so p's last 2xx was forwarded at 0.03.
    chain(
        &[
            "[[node]]\nid = \"alice\"\nkind = \"ua\"",
            &format!(
                "[[node]]\nid = \"p\"\nkind = \"proxy\"\nstateful = \"dialog\"\nrecord_route = true\ntimers = true\nsession_expires = 120\nproxy_bye_on_expiry = {bye_on_expiry}"
            ),
            "[[node]]\nid = \"bob\"\nkind = \"ua\"\nsession_timers = \"refuse\"",
        ],
        "",
        "horizon_s = 400\nholding_s = 350",
    )
    .replacen("delay_ms = 10\n", "delay_ms = 10\noutages = [[10, 5000]]\n", 1)
}

#[test]
fn st_proxy_14_and_st_expire_3_the_proxy_frees_state_at_its_expiry_and_sends_no_bye() {
    let mut w = world(&proxy_expiry_model(false), 1, TraceFilter::All);
    w.run();
    // ST-PROXY-13: expiry = forward time of the last refresh 2xx (0.03) + SI (120).
    assert!(
        freed(&w, "p").contains(&(120.03, FreeCause::Expiry)),
        "{:?}",
        freed(&w, "p")
    );
    assert!(st_events(&w, "p").contains(&(120.03, StEvent::Expired)));
    assert!(
        sends(&w, "p", "BYE").is_empty(),
        "ST-EXPIRE-3: a proxy never sends BYE"
    );
    // bob runs no timer: its state is never reclaimed.
    assert_eq!(w.stats().nodes[node(&w, "bob").index()].states_held(), 1);
}

#[test]
fn proxy_bye_on_expiry_ends_both_sides_like_kamailio() {
    let mut w = world(&proxy_expiry_model(true), 1, TraceFilter::All);
    w.run();
    // One BYE toward each end at the expiry (alice's, lost in the outage, is then retransmitted).
    let byes = sends(&w, "p", "BYE");
    let first: Vec<_> = byes.iter().filter(|b| close(secs(b.0), 120.03)).collect();
    assert_eq!(first.len(), 2, "{byes:?}");
    assert_ne!(first[0].2.to_tag, first[1].2.to_tag, "one per side");
    assert!(
        freed(&w, "bob").contains(&(120.04, FreeCause::Bye)),
        "{:?}",
        freed(&w, "bob")
    );
    assert_eq!(w.stats().nodes[node(&w, "bob").index()].states_held(), 0);
}

#[test]
fn traces_show_negotiation_refreshes_and_the_bye() {
    let path = format!("{}/models/basic.toml", env!("CARGO_MANIFEST_DIR"));
    let s = sstsim::scenario::load_model(std::path::Path::new(&path)).unwrap();
    let mut w = World::new(
        s.world,
        sstsim::engine::SeedSpace::new(1, 0, 0),
        TraceFilter::Call(CallRef(0)),
    );
    w.run();
    let names: Vec<String> = w
        .trace()
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Record {
                record: Record::SessionTimer { event, .. },
                ..
            } => Some(event.name()),
            _ => None,
        })
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("timer SE=")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n == "refresh_due"),
        "basic.toml shows refreshes: {names:?}"
    );
    assert!(names.iter().any(|n| n == "bye_sent:bye"), "{names:?}");
}

#[test]
fn b2bua_legs_negotiate_with_each_peers_settings() {
    // asterisk-b2bua.toml: the pbx uses SE 600 by default and 1800 toward the
    // carrier (`[node.peers.carrier]`). phone1 refuses timers, so the pbx runs
    // leg A's timer alone (SE 600, row 1); leg B asks the carrier for 1800.
    let m = std::fs::read_to_string(format!(
        "{}/models/asterisk-b2bua.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("loss = 0.005", "loss = 0.0")
    .replace("jitter_ms = 10", "jitter_ms = 0");
    let mut w = world(&m, 1, TraceFilter::All);
    w.run();
    let pbx: Vec<StEvent> = st_events(&w, "pbx").into_iter().map(|e| e.1).collect();
    assert!(pbx.contains(&negotiated(600, true)), "leg A: {pbx:?}");
    assert!(pbx.contains(&negotiated(1800, false)), "leg B: {pbx:?}");
    let leg_b = &sends(&w, "pbx", "INVITE")[0].2;
    assert_eq!(leg_b.timer.session_expires.unwrap().delta_s, 1800);
    let leg_a_ok = &sends(&w, "pbx", "200 OK")[0].2;
    assert_eq!(
        leg_a_ok
            .timer
            .session_expires
            .map(|s| (s.delta_s, s.refresher)),
        Some((600, Some(RefresherParam::Uas)))
    );
}

#[test]
fn values_below_90_are_used_as_given_when_strict_rfc_is_off() {
    // [sip] strict_rfc = false with SE 60 and Min-SE 30 everywhere, as
    // deployed. By hand: alice (originate) asks SE 60 and, her minimum not
    // being 90, sends Min-SE 30 (ST-UAC-3); the proxy's minimum is 30 and its
    // ceiling 60, so it forwards SE 60 unchanged (ST-PROXY-4); bob grants
    // min(60, max(60, 30)) = 60 with refresher=uas (his preference), and
    // refreshes at SE/2 = 30 s after his 2xx at 0.02 s. These were raised to
    // 90 on the wire before.
    let m = chain(
        &[
            "[[node]]\nid = \"alice\"\nkind = \"ua\"\nsession_timers = \"originate\"",
            "[[node]]\nid = \"p\"\nkind = \"proxy\"\nstateful = \"dialog\"\nrecord_route = true\ntimers = true\nsession_expires = 60\nmin_se = 30",
            "[[node]]\nid = \"bob\"\nkind = \"ua\"",
        ],
        "[sip]\nstrict_rfc = false\n[defaults]\nsession_expires = 60\nmin_se = 30",
        "horizon_s = 100\nholding_s = 50",
    );
    let mut w = world(&m, 1, TraceFilter::All);
    w.run();
    let invite = &sends(&w, "alice", "INVITE")[0].2;
    assert_eq!(invite.timer.session_expires.map(|s| s.delta_s), Some(60));
    assert_eq!(invite.timer.min_se, Some(30));
    let forwarded = &sends(&w, "p", "INVITE")[0].2;
    assert_eq!(forwarded.timer.session_expires.map(|s| s.delta_s), Some(60));
    let ok = &sends(&w, "bob", "200 OK")[0];
    assert_eq!(ok.2.timer.session_expires.map(|s| s.delta_s), Some(60));
    assert!(st_events(&w, "bob").contains(&(0.02, negotiated(60, true))));
    let refreshes = sends(&w, "bob", "INVITE");
    assert!(
        close(secs(refreshes[0].0), 30.02),
        "{}",
        secs(refreshes[0].0)
    );
}
