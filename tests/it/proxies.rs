//! Proxy products on the roles (stack-profiles §2.7, §2.8, §5, §9): each
//! test pins one behaviour of the `kamailio`, `kamailio-5.6.3` or
//! `opensips` profile, with times derived by hand. alice — p — bob, 10 ms
//! per hop, T1 = 0.5 s, T2 = 4 s; alice calls at 0, so the INVITE reaches p
//! at 0.01 and bob at 0.02, bob's 200 reaches p at 0.03 and alice at 0.04,
//! and her ACK passes p at 0.05.

use sstsim::net::NodeId;
use sstsim::session_timer::presets::profile;
use sstsim::session_timer::proxy::{proxy_request, proxy_response, script_check_min};
use sstsim::session_timer::{
    Mode, ProxyDecision, ProxyMemo, ProxyTimerConfig, RefresherPref, TimerSettings,
};
use sstsim::sip::message::{RefresherParam, SessionExpires, TimerHeaders};
use sstsim::sip::proxy::profiles::{ProxyPreset, proxy_profile};
use sstsim::sip::proxy::{AtExpiry, Lifetime, OnRefresh, Statefulness, TimeoutRestart};
use sstsim::sip::ua::ReinviteParam;
use sstsim::sip::{FreeCause, Record, StEvent};

use sstsim::engine::{SimDuration, SimTime};

use super::harness::{Harness, at, close};
use super::roles::{all_close, failed_calls, freed, reinvite, st_events};

const ALICE: NodeId = NodeId(0);
const P: NodeId = NodeId(1);
const BOB: NodeId = NodeId(2);

/// A proxy profile with `edit` applied.
fn proxy(name: &str, edit: impl FnOnce(&mut ProxyPreset)) -> ProxyPreset {
    let mut p = proxy_profile(name).expect("a proxy profile");
    edit(&mut p);
    p
}

/// alice — p — bob: p is `preset` (its own transaction timers included)
/// with every interval floored at `floor_s`; alice calls at 0 and hangs up
/// `holding_s` after the answer.
fn through(
    preset: ProxyPreset,
    floor_s: u32,
    alice: TimerSettings,
    bob: TimerSettings,
    holding_s: u32,
    net: Harness,
) -> Harness {
    let mut h = net;
    let a = h.ua("alice", alice);
    let p = h.proxy("p", preset.config(None, floor_s));
    h.own_timers(p, preset.sip);
    let b = h.ua("bob", bob);
    assert_eq!((a, p, b), (ALICE, P, BOB));
    h.link(a, p);
    h.link(p, b);
    h.call(SimTime::ZERO, a, b, SimDuration::from_secs(holding_s));
    h
}

/// `through` with a default bob, a 100 s call and a perfect network.
fn short_call(preset: ProxyPreset, alice: TimerSettings) -> Harness {
    through(
        preset,
        90,
        alice,
        TimerSettings::default(),
        100,
        Harness::new(10),
    )
}

fn originate(se: u32) -> TimerSettings {
    TimerSettings {
        mode: Mode::Originate,
        session_expires: se,
        ..TimerSettings::default()
    }
}

/// Everything to or from `node` is lost from `from_s` on.
fn dead_from(from_s: f64, node: NodeId) -> Harness {
    Harness::new(10).losing(move |t, f, to, _| t >= at(from_s) && (f == node || to == node))
}

/// Send times of the BYEs p sent toward `to`.
fn byes_to(h: &Harness, to: NodeId) -> Vec<f64> {
    h.sent_by(P, "BYE")
        .iter()
        .filter(|s| s.to == to)
        .map(|s| s.t.as_secs_f64())
        .collect()
}

fn first_bye_to_bob(h: &Harness, want: f64, case: &str) {
    let byes = byes_to(h, BOB);
    assert!(!byes.is_empty() && close(byes[0], want), "{case}: {byes:?}");
}

/// tm's non-INVITE schedule from `t0` with T1 0.5 s, T2 4 s and
/// `fr_timer` 30 s: 0, 0.5, 1.5, 3.5, 7.5, then every 4 s to 27.5 (10 copies).
fn tm_copies(t0: f64) -> Vec<f64> {
    [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5]
        .iter()
        .map(|d| t0 + d)
        .collect()
}

fn proxy_states_created(h: &Harness) -> Vec<f64> {
    h.records_of(P)
        .into_iter()
        .filter(|(_, r)| matches!(r, Record::StateCreated { .. }))
        .map(|(t, _)| t)
        .collect()
}

// ---- Kamailio: the dialog timeout ----

#[test]
fn kamailio_frees_a_dialog_with_both_ends_dead_30_s_after_its_byes() {
    // §5: the lifetime is `default_timeout` (43,200 s), restarted by the ACK
    // at 0.05 on 1 s ticks: ⌊0.05⌋ + 43,200 = 43,200.0. Both ends are dead
    // from 1 s. BYE goes both ways at 43,200.0, each 10 times to +27.5 s;
    // `fr_timer` (30 s) ends both transactions at 43,230.0 with a local 408,
    // the first final response, and the record goes then.
    let net = Harness::new(10).losing(|t, _, _, _| t >= at(1.0));
    let mut h = through(
        proxy("kamailio", |_| {}),
        90,
        originate(1800),
        TimerSettings::default(),
        100_000,
        net,
    );
    h.run_until(at(43_300.0));
    assert!(all_close(&byes_to(&h, ALICE), &tm_copies(43_200.0)));
    assert!(all_close(&byes_to(&h, BOB), &tm_copies(43_200.0)));
    assert_eq!(freed(&h, P), vec![(43_230.0, FreeCause::Expiry)]);
    assert!(
        st_events(&h, P).contains(&(43_200.0, StEvent::Expired)),
        "{:?}",
        st_events(&h, P)
    );
}

#[test]
fn kamailio_frees_at_the_live_ends_answer_and_gives_a_caller_without_timer_refresher_uac() {
    // alice lists `timer` but offers no SE; bob refuses timers. Kamailio
    // inserts SE = max(Min-SE 90, min_se 90) = 90 without a refresher, and
    // bob's 2xx has none, so it appends `SE: 90;refresher=uac` without
    // `Require: timer` (§2.7, §5). alice is cut off from 1 s; bob lives.
    // At 43,200.0 the BYE reaches bob at 43,200.01, his 200 is back at
    // 43,200.02 and frees the record: the first final response (§5).
    let alice = TimerSettings {
        mode: Mode::Accept,
        ..TimerSettings::default()
    };
    let bob = TimerSettings {
        mode: Mode::Refuse,
        ..TimerSettings::default()
    };
    let mut h = through(
        proxy("kamailio", |_| {}),
        90,
        alice,
        bob,
        100_000,
        dead_from(1.0, ALICE),
    );
    h.run_until(at(43_300.0));
    let to_bob = &h.sent_by(P, "INVITE")[0].msg.timer;
    assert_eq!(
        to_bob.session_expires,
        Some(SessionExpires {
            delta_s: 90,
            refresher: None
        })
    );
    let ok = &h.sent_by(P, "200 OK")[0].msg.timer;
    assert_eq!(
        ok.session_expires,
        Some(SessionExpires {
            delta_s: 90,
            refresher: Some(RefresherParam::Uac)
        })
    );
    assert!(!ok.require_timer, "Kamailio adds no Require: timer");
    assert!(all_close(&byes_to(&h, BOB), &[43_200.0]));
    assert_eq!(freed(&h, P), vec![(43_200.02, FreeCause::Expiry)]);
    assert_eq!(freed(&h, BOB), vec![(43_200.01, FreeCause::Bye)]);
    // The dead leg's copies go on to +27.5 s.
    assert!(all_close(&byes_to(&h, ALICE), &tm_copies(43_200.0)));
}

#[test]
fn kamailio_restarts_its_timeout_at_every_in_dialog_request_on_whole_second_ticks() {
    // `dialog_timeout_s = 300`. alice re-INVITEs at 100.3: p relays it at
    // 100.31 and her ACK at 100.35, each restarting the timeout at
    // ⌊t⌋ + 300 = 400.0. Everything is lost from 101 s. Without ticks the
    // timeout is the ACK's 100.35 + 300 = 400.35.
    for (tick, bye) in [(Some(1.0), 400.0), (None, 400.35)] {
        let preset = proxy("kamailio", |p| {
            p.dialogs.dialog_timeout = Some(SimDuration::from_secs(300));
            p.dialogs.tick = tick.map(SimDuration::from_secs_f64).map(Result::unwrap);
        });
        let net = Harness::new(10).losing(|t, _, _, _| t >= at(101.0));
        let mut h = through(
            preset,
            90,
            originate(1800),
            TimerSettings::default(),
            100_000,
            net,
        );
        reinvite(&mut h, at(100.3), ALICE, ReinviteParam::Current);
        h.run_until(at(500.0));
        assert!(all_close(&h.sends(P, "ACK"), &[0.05, 100.35]));
        first_bye_to_bob(&h, bye, &format!("{tick:?}"));
    }
}

#[test]
fn kamailio_keeps_the_invites_lifetime_across_a_refresh_unless_the_script_copies_se_again() {
    // The script copies the INVITE's SE (`lifetime = invite_se`): alice asks
    // 300, bob grants 200 and makes her refresh, so her refresh re-INVITE
    // leaves at 0.04 + 100 = 100.04 with SE 200 and its ACK passes p at
    // 100.09. Everything is lost from 150 s. Keeping the INVITE's 300, the
    // timeout is ⌊100.09⌋ + 300 = 400.0; adopting the refresh's 200, 300.0.
    for (on_refresh, bye) in [(OnRefresh::Keep, 400.0), (OnRefresh::Adopt, 300.0)] {
        let preset = proxy("kamailio", |p| {
            p.dialogs.lifetime = Lifetime::InviteSe;
            p.dialogs.on_refresh = on_refresh;
        });
        let bob = TimerSettings {
            session_expires: 200,
            refresher: RefresherPref::Uac,
            ..TimerSettings::default()
        };
        let net = Harness::new(10).losing(|t, _, _, _| t >= at(150.0));
        let mut h = through(preset, 90, originate(300), bob, 100_000, net);
        h.run_until(at(500.0));
        assert!(
            all_close(&h.sends(ALICE, "INVITE")[..2], &[0.0, 100.04]),
            "{:?}",
            h.sends(ALICE, "INVITE")
        );
        first_bye_to_bob(&h, bye, &format!("{on_refresh:?}"));
    }
}

#[test]
fn kamailio_keeps_a_terminated_dialog_listed_5_s_after_the_callers_bye() {
    // alice hangs up 10 s after the answer she got at 0.04: her BYE passes
    // p at 10.05 and the record goes at 10.05 + 5 = 15.05 (§5).
    let mut h = through(
        proxy("kamailio", |_| {}),
        90,
        originate(1800),
        TimerSettings::default(),
        10,
        Harness::new(10),
    );
    h.run_until(at(60.0));
    assert_eq!(freed(&h, P), vec![(15.05, FreeCause::Bye)]);
}

#[test]
fn a_plain_dialog_stateful_proxy_can_send_bye_at_its_dialog_timeout() {
    // No sst: `dialog_timeout_s = 300` restarted by in-dialog requests,
    // BYE both ways, freed at once. Neither UA uses timers. The ACK passes
    // p at 0.05, so the BYEs go at 300.05.
    let mut preset = ProxyPreset::DEFAULT;
    preset.stateful = Statefulness::Dialog;
    preset.record_route = true;
    preset.dialogs.dialog_timeout = Some(SimDuration::from_secs(300));
    preset.dialogs.restart = TimeoutRestart::InDialogRequest;
    preset.dialogs.at_expiry = AtExpiry::ByeBothEnds;
    let d = TimerSettings::default();
    let mut h = through(preset, 90, d, d, 100_000, Harness::new(10));
    h.run_until(at(400.0));
    assert!(all_close(&byes_to(&h, ALICE), &[300.05]));
    assert!(all_close(&byes_to(&h, BOB), &[300.05]));
    assert_eq!(freed(&h, P), vec![(300.05, FreeCause::Expiry)]);
    assert_eq!(freed(&h, ALICE), vec![(300.06, FreeCause::Bye)]);
}

// ---- Kamailio: 422 and the 5.6.3 defects ----

#[test]
fn kamailio_422_carries_at_least_90_whatever_its_min_se() {
    // Without the RFC floors (min_se 60, alice SE 40 with `timer`), the
    // module's 422 says max(min_se 60, Min-SE 40, 90) = 90, so alice retries
    // with SE 90 at 0.02; `min_se_in_422 = own` says 60.
    for (own, want) in [(false, 90), (true, 60)] {
        let preset = proxy("kamailio", |p| {
            p.min_se = 60;
            if own {
                p.rules.min_se_in_422 = sstsim::session_timer::MinSeIn422::Own;
            }
        });
        let alice = TimerSettings {
            min_se: 40,
            floor_s: 1,
            ..originate(40)
        };
        let bob = TimerSettings {
            floor_s: 1,
            ..TimerSettings::default()
        };
        let mut h = through(preset, 1, alice, bob, 100, Harness::new(10));
        h.run_until(at(1.0));
        assert!(st_events(&h, P).contains(&(0.01, StEvent::Rejected422 { min_se: Some(want) })));
        let retry = h.sent_by(ALICE, "INVITE")[1];
        assert!(close(retry.t.as_secs_f64(), 0.02));
        assert_eq!(
            retry.msg.timer.session_expires.map(|s| s.delta_s),
            Some(want)
        );
    }
}

#[test]
fn kamailio_5_6_3_forwards_the_invite_after_its_own_422_and_holds_the_unacknowledged_dialog() {
    // min_se 300, alice asks 100 with `timer`: 422 at 0.01. 5.6.3 forwards
    // the INVITE all the same: bob's 200 confirms a record at 0.03 that
    // nobody upstream sees or ACKs. alice retries with SE 300 at 0.02 and
    // that call goes through normally (p's second record at 0.05). bob gives
    // up on the first 200 at 0.02 + 64·T1 = 32.02 and sends BYE (DLG-5),
    // which passes p at 32.03: the orphan goes 5 s later, at 37.03. The
    // fixed module forwards nothing after its 422: one record, at 0.05.
    for (version, forwards) in [("kamailio-5.6.3", true), ("kamailio", false)] {
        let preset = proxy(version, |p| p.min_se = 300);
        let mut h = short_call(preset, originate(100));
        h.run_until(at(60.0));
        let to_bob = h.sends(P, "INVITE");
        let created = proxy_states_created(&h);
        if forwards {
            assert!(all_close(&to_bob, &[0.01, 0.03]), "{to_bob:?}");
            assert!(all_close(&created, &[0.03, 0.05]), "{created:?}");
            assert!(freed(&h, P).contains(&(37.03, FreeCause::Bye)));
        } else {
            assert!(all_close(&to_bob, &[0.03]), "{to_bob:?}");
            assert!(all_close(&created, &[0.05]), "{created:?}");
        }
        // alice only ever sees the 200 of her retry (CSeq 2).
        assert!(
            h.sent_by(P, "200 OK")
                .iter()
                .filter(|s| s.to == ALICE)
                .all(|s| s.msg.cseq == 2)
        );
    }
}

#[test]
fn kamailio_5_6_3_sst_check_min_rejects_requests_above_the_minimum() {
    // The script calls sst_check_min(1); min_se 90. alice asks SE 1800 with
    // Min-SE 120: min(1800, 120) = 120. The fixed check rejects when
    // 90 > 120 (no), so bob gets the INVITE at 0.01. 5.6.3 rejects when
    // 90 < 120 with 422 Min-SE 90, every time: alice's retries carry her own
    // Min-SE 120 again, and the call fails with 422 without reaching bob.
    for (version, reaches_bob) in [("kamailio", true), ("kamailio-5.6.3", false)] {
        let preset = proxy(version, |p| p.rules.script_check_min = true);
        let alice = TimerSettings {
            min_se: 120,
            ..originate(1800)
        };
        let mut h = short_call(preset, alice);
        h.run_until(at(5.0));
        assert_eq!(!h.sends(P, "INVITE").is_empty(), reaches_bob, "{version}");
        if !reaches_bob {
            assert_eq!(
                failed_calls(&h, ALICE)
                    .iter()
                    .map(|f| f.1.0)
                    .collect::<Vec<_>>(),
                [422]
            );
            assert!(st_events(&h, P).iter().all(|e| !matches!(
                e.1,
                StEvent::Rejected422 { min_se } if min_se != Some(90)
            )));
        }
    }
}

// ---- OpenSIPS ----

#[test]
fn opensips_automatic_422_has_no_min_se_and_a_pjsip_caller_ends_the_call() {
    // min_se 300; PJSIP asks SE 100 with `timer`. OpenSIPS's 422 carries no
    // Min-SE (§2.8, §9); PJSIP cannot retry without one and ends the call
    // when the 422 arrives at 0.02 (`on_422_without_min_se = end`). The
    // INVITE still went on to bob at 0.01; his 200 confirms an orphan record
    // at 0.03 whose lifetime is the dialog default (no sst ran on it).
    let preset = proxy("opensips", |p| p.min_se = 300);
    let alice = TimerSettings {
        session_expires: 100,
        ..profile("pjsip").expect("pjsip").resolve()
    };
    let mut h = short_call(preset, alice);
    h.run_until(at(5.0));
    assert!(st_events(&h, P).contains(&(0.01, StEvent::Rejected422 { min_se: None })));
    assert_eq!(failed_calls(&h, ALICE).len(), 1);
    assert!(close(failed_calls(&h, ALICE)[0].0, 0.02));
    assert_eq!(failed_calls(&h, ALICE)[0].1.0, 422);
    assert!(all_close(&h.sends(P, "INVITE"), &[0.01]));
    assert!(all_close(&proxy_states_created(&h), &[0.03]));
    assert!(st_events(&h, P).contains(&(0.03, StEvent::ProxyExpirySet { interval_s: 43_200 })));
}

/// alice (SE 90, refreshing) — OpenSIPS (min_se 30 without the RFC
/// floor, `sst_interval` as given) — bob, alive; the call would last 1000 s.
fn opensips_call(sst_interval: u32, net: Harness) -> Harness {
    let preset = proxy("opensips", |p| {
        p.min_se = 30;
        p.sst_interval = sst_interval;
    });
    let alice = TimerSettings {
        floor_s: 1,
        refresher: RefresherPref::Uac,
        ..originate(90)
    };
    let bob = TimerSettings {
        floor_s: 1,
        refresher: RefresherPref::Uac,
        ..TimerSettings::default()
    };
    through(preset, 1, alice, bob, 1000, net)
}

#[test]
fn opensips_ends_a_healthy_call_at_its_own_interval_not_the_negotiated_one() {
    // §9: with min_se 30 the lifetime is max(sst_interval 0, 30) = 30 s
    // although SE 90 was negotiated. The ACK passes p at 0.05: BYE both ways
    // at ⌊0.05⌋ + 30 = 30.0, before alice's first refresh (0.04 + 45). Both
    // answer by 30.02, both BYE transactions end T4 = 5 s later at 35.02,
    // and the record stays listed 5 s more: freed at 40.02.
    let mut h = opensips_call(0, Harness::new(10));
    h.run_until(at(200.0));
    assert!(
        all_close(&byes_to(&h, ALICE), &[30.0]),
        "{:?}",
        byes_to(&h, ALICE)
    );
    assert!(all_close(&byes_to(&h, BOB), &[30.0]));
    let (p, a) = (freed(&h, P), freed(&h, ALICE));
    assert!(
        p.len() == 1 && close(p[0].0, 40.02) && p[0].1 == FreeCause::Expiry,
        "{p:?}"
    );
    assert!(
        a.len() == 1 && close(a[0].0, 30.01) && a[0].1 == FreeCause::Bye,
        "{a:?}"
    );
    // With sst_interval 60 the lifetime (60) outlasts the refresh period
    // (45): each refresh's re-INVITE and ACK restart it and the call lives.
    let mut h = opensips_call(60, Harness::new(10));
    h.run_until(at(200.0));
    assert!(byes_to(&h, ALICE).is_empty() && freed(&h, P).is_empty());
}

#[test]
fn opensips_keeps_the_record_35_s_after_its_bye_when_a_leg_is_dead() {
    // As above with bob dead from 1 s: his BYE transaction times out at
    // 30.0 + 30 = 60.0 (`fr_timeout`), alice's ended at 35.02; the record
    // goes 5 s after the last, at 65.0 (§9: about 35 s after the BYE).
    let mut h = opensips_call(0, dead_from(1.0, BOB));
    h.run_until(at(200.0));
    assert!(all_close(&byes_to(&h, BOB), &tm_copies(30.0)));
    assert_eq!(freed(&h, P), vec![(65.0, FreeCause::Expiry)]);
}

// ---- Request and response rules (pure) ----

fn supported() -> TimerHeaders {
    TimerHeaders {
        supported_timer: true,
        ..TimerHeaders::default()
    }
}

fn se(delta_s: u32) -> Option<SessionExpires> {
    Some(SessionExpires {
        delta_s,
        refresher: None,
    })
}

fn cfg(name: &str, edit: impl FnOnce(&mut ProxyPreset)) -> ProxyTimerConfig {
    let p = proxy(name, edit);
    *p.config(None, 90).timers().expect("timer-aware")
}

fn forwarded(cfg: &ProxyTimerConfig, req: &mut TimerHeaders) -> ProxyMemo {
    match proxy_request(cfg, req) {
        ProxyDecision::Forward(m) => m,
        other => panic!("expected forwarding, got {other:?}"),
    }
}

#[test]
fn kamailio_raises_min_se_but_not_se_for_a_caller_without_timer() {
    // SE 100 < min_se 300, no `Supported: timer`: the RFC raises Min-SE and
    // SE to 300 (ST-PROXY-6); Kamailio raises Min-SE only (§2.7, §5).
    for (name, want_se) in [("rfc4028", 300), ("kamailio", 100)] {
        let c = cfg(name, |p| p.min_se = 300);
        let mut req = TimerHeaders {
            session_expires: se(100),
            ..TimerHeaders::default()
        };
        forwarded(&c, &mut req);
        assert_eq!(req.min_se, Some(300), "{name}");
        assert_eq!(req.session_expires, se(want_se), "{name}");
    }
}

#[test]
fn kamailio_rewrites_a_low_min_se_when_se_is_absent_even_with_timer() {
    // No SE, Min-SE 100, `timer` listed, min_se 300. The RFC leaves Min-SE
    // (ST-PROXY-7) and inserts 1800; Kamailio rewrites Min-SE to 300 and
    // inserts max(300, 300) = 300; OpenSIPS inserts max(sst_interval 0,
    // 300) = 300 too.
    for (name, want_min, want_se) in [
        ("rfc4028", 100, 1800),
        ("kamailio", 300, 300),
        ("opensips", 300, 300),
    ] {
        let c = cfg(name, |p| p.min_se = 300);
        let mut req = TimerHeaders {
            min_se: Some(100),
            ..supported()
        };
        let memo = forwarded(&c, &mut req);
        assert_eq!(req.min_se, Some(want_min), "{name}");
        assert_eq!(req.session_expires, se(want_se), "{name}");
        assert!(memo.inserted);
    }
}

#[test]
fn opensips_inserts_its_sst_interval() {
    // sst_interval 600 over min_se 90: the INVITE without SE gets 600.
    let c = cfg("opensips", |p| p.sst_interval = 600);
    let mut req = supported();
    let memo = forwarded(&c, &mut req);
    assert_eq!(req.session_expires, se(600));
    assert_eq!(memo.interval, 600);
}

#[test]
fn a_2xx_without_se_gets_one_per_product() {
    // The proxy inserted SE 90 for a caller without `timer`, and the 2xx has
    // none. RFC and OpenSIPS add nothing (the caller cannot use it;
    // ST-PROXY-10); Kamailio appends `SE: 90;refresher=uac` with no
    // `Require: timer`. For a caller with `timer`, RFC and OpenSIPS add it
    // with `Require: timer`, Kamailio without.
    for (name, caller_timer, want, require) in [
        ("rfc4028", false, None, false),
        ("opensips", false, None, false),
        ("kamailio", false, Some(90), false),
        ("rfc4028", true, Some(90), true),
        ("opensips", true, Some(90), true),
        ("kamailio", true, Some(90), false),
    ] {
        let c = cfg(name, |p| {
            p.rules.interval = sstsim::session_timer::ProxyInterval::AtLeastMinSe
        });
        let mut req = TimerHeaders {
            supported_timer: caller_timer,
            ..TimerHeaders::default()
        };
        let memo = forwarded(&c, &mut req);
        let mut ok = TimerHeaders::default();
        let got = proxy_response(&c.rules, &memo, &mut ok);
        assert_eq!(got, want, "{name} {caller_timer}");
        assert_eq!(ok.session_expires.map(|s| s.delta_s), want);
        if want.is_some() {
            assert_eq!(
                ok.session_expires.and_then(|s| s.refresher),
                Some(RefresherParam::Uac)
            );
        }
        assert_eq!(ok.require_timer, require, "{name} {caller_timer}");
    }
}

#[test]
fn a_small_se_from_a_timer_caller_is_forwarded_as_is_without_reject() {
    // `reject_small = false` (Kamailio `sst_reject = 0`): SE 100 < min_se 300
    // with `timer` goes on unchanged; Kamailio's interval is then
    // max(min_se, 90) = 300.
    let c = cfg("kamailio", |p| {
        p.min_se = 300;
        p.rules.reject_small = false;
    });
    let mut req = TimerHeaders {
        session_expires: se(100),
        ..supported()
    };
    let memo = forwarded(&c, &mut req);
    assert_eq!(req.session_expires, se(100));
    assert_eq!(memo.interval, 300);
}

#[test]
fn sst_check_min_compares_min_se_with_the_smaller_of_se_and_min_se() {
    // min_se 100. (SE, Min-SE) → min: (1800, none → 90) → 90: fixed rejects
    // (100 > 90); (1800, 120) → 120: fixed passes, 5.6.3 rejects
    // (100 < 120); (80, 120) → 80: fixed rejects; no SE passes both.
    let cases = [
        (Some(1800), None, Some(100), None),
        (Some(1800), Some(120), None, Some(100)),
        (Some(80), Some(120), Some(100), None),
        (None, Some(120), None, None),
    ];
    for (s, m, fixed, inverted) in cases {
        let req = TimerHeaders {
            session_expires: s.and_then(se),
            min_se: m,
            ..TimerHeaders::default()
        };
        for (name, want) in [("kamailio", fixed), ("kamailio-5.6.3", inverted)] {
            let c = cfg(name, |p| {
                p.min_se = 100;
                p.rules.script_check_min = true;
            });
            assert_eq!(script_check_min(&c, &req), want, "{name} {s:?} {m:?}");
        }
    }
}

// ---- Model keys ----

/// a — p — b with these keys on the proxy p, a calling b, horizon 10 s.
pub(super) fn model(proxy_keys: &str) -> String {
    format!(
        r#"
[[node]]
id = "a"
kind = "ua"
[[node]]
id = "p"
kind = "proxy"
{proxy_keys}
[[node]]
id = "b"
kind = "ua"
[[link]]
between = ["a", "p"]
[[link]]
between = ["p", "b"]
[workload]
caller = "a"
callee = "b"
horizon_s = 10
"#
    )
}

fn proxy_node(keys: &str) -> (sstsim::sip::proxy::ProxyConfig, sstsim::sip::SipOverrides) {
    let s = sstsim::scenario::model_from_str("m.toml", &model(keys)).expect("a valid model");
    match &s.world.nodes[1].kind {
        sstsim::sim::NodeKind::Proxy(c) => (*c, s.world.nodes[1].sip),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_proxy_profile_sets_everything_and_explicit_keys_win() {
    let (c, sip) = proxy_node("profile = \"kamailio\"\ndialog_timeout_s = 300\ntimer_f_ms = 20000");
    let d = c.dialogs().expect("dialog-stateful");
    assert_eq!(d.dialog_timeout, Some(SimDuration::from_secs(300)));
    assert_eq!(d.lifetime, Lifetime::DialogTimeout);
    assert_eq!(d.at_expiry, AtExpiry::ByeBothEnds);
    assert!(c.record_route);
    assert!(!c.timers().expect("timer-aware").rules.require_in_2xx);
    assert_eq!(sip.timer_f, Some(SimDuration::from_secs(20)));
    assert_eq!(sip.timer_b, Some(SimDuration::from_secs(30)));
    assert_eq!(sip.timer_c, Some(SimDuration::from_secs(120)));
}

#[test]
fn proxy_keys_that_do_not_apply_are_located_errors() {
    for (keys, key, says) in [
        (
            "lifetime = \"invite_se\"",
            "node.p.lifetime",
            "dialog-stateful",
        ),
        (
            "stateful = \"dialog\"\nreject_small = false",
            "node.p.reject_small",
            "timer-aware",
        ),
        (
            "profile = \"kamailio\"\nstateful = \"transaction\"\nexpiry_free = \"first_final\"",
            "node.p.expiry_free",
            "dialog-stateful",
        ),
        (
            "profile = \"opensips\"\nstateful = \"none\"",
            "node.p.stateful",
            "stateless proxy never requests a timer",
        ),
        ("profile = \"kamailo\"", "node.p.profile", "\"kamailio\""),
        (
            "stateful = \"dialog\"\nlifetime = \"forever\"",
            "node.p.lifetime",
            "\"dialog_timeout\"",
        ),
    ] {
        let e = sstsim::scenario::model_from_str("m.toml", &model(keys))
            .expect_err(keys)
            .to_string();
        assert!(e.contains(key) && e.contains(says), "{keys}: {e}");
        assert!(e.contains("m.toml:"), "{e}");
    }
    // A plain dialog-stateful proxy may send BYE at its dialog timeout now.
    let (c, _) =
        proxy_node("stateful = \"dialog\"\nproxy_bye_on_expiry = true\ndialog_timeout_s = 43200");
    assert_eq!(
        c.dialogs().map(|d| d.at_expiry),
        Some(AtExpiry::ByeBothEnds)
    );
    assert!(c.timers().is_none());
}

#[test]
fn every_proxy_profile_of_the_issue_resolves() {
    for name in ["rfc4028", "kamailio", "kamailio-5.6.3", "opensips"] {
        let p = proxy_profile(name).expect(name);
        assert!(
            p.timers && p.record_route && p.stateful == Statefulness::Dialog,
            "{name}"
        );
    }
    assert!(proxy_profile("pjsip").is_none());
}

#[test]
fn a_proxy_profile_brings_its_own_transaction_timers_into_the_world() {
    // World-level: alice (no timer support) — Kamailio (dialog_timeout_s =
    // 100) — bob, who crashes silently at 10 s. Kamailio inserts SE 90;
    // bob ignores it, so nobody refreshes. The ACK passes p at 0.05 (10 ms
    // links): BYE both ways at ⌊0.05⌋ + 100 = 100.0. tm's fr_timer (30 s)
    // stops the copies to bob after 10 (the last at 127.5); with the RFC's
    // 64·T1 = 32 s there would be 11.
    let m = |keys: &str| {
        super::support::alice_p_bob(
            "session_timers = \"refuse\"",
            &format!("profile = \"kamailio\"\ndialog_timeout_s = 100\n{keys}"),
            "",
            "holding_s = 1000\nhorizon_s = 300\n\
             [[fault]]\nkind = \"crash\"\nnode = \"bob\"\nat_s = 10",
        )
    };
    for (keys, copies) in [("", 10), ("timer_f_ms = 32000", 11)] {
        let mut w = super::support::world(&m(keys), 1, sstsim::sim::TraceFilter::All);
        w.run();
        let bob = super::support::node(&w, "bob");
        let to_bob: Vec<f64> = super::support::sends(&w, "p", "BYE")
            .iter()
            .filter(|s| {
                matches!(s.2.start, sstsim::sip::message::StartLine::Request { target, .. } if target == bob)
            })
            .map(|s| super::support::secs(s.0))
            .collect();
        assert_eq!(to_bob.len(), copies, "{keys}: {to_bob:?}");
        assert!(close(to_bob[0], 100.0));
    }
}
