//! Protocol rules tested on the roles themselves, through the sans-I/O seam
//! (`harness.rs`): transactions (TXN-*), glare (GLARE-*), refreshes and
//! expiry (ST-*), with exact times. Every link is 10 ms one way, T1 = 0.5 s,
//! T2 = 4 s, unless a test says otherwise.

use sstsim::engine::{SimDuration, SimTime};
use sstsim::net::NodeId;
use sstsim::session_timer::{
    ExpiryGuard, Mode, ProxyTimerConfig, RefreshMethod, RefresherEnd, RefresherParamPref,
    RefresherPref, Rounding, TimerSettings,
};
use sstsim::sip::message::RefresherParam;
use sstsim::sip::proxy::{DialogPolicy, ProxyConfig, ProxyState};
use sstsim::sip::ua::ReinviteParam;
use sstsim::sip::{CallRef, Command, DialogTimer, FreeCause, Method, Record, StEvent, TimerKind};

use super::harness::{Harness, at, close};

pub(super) fn settings(mode: Mode) -> TimerSettings {
    TimerSettings {
        mode,
        ..TimerSettings::default()
    }
}

/// alice and bob joined by one 10 ms link; alice calls bob at 0 and hangs
/// up `holding_s` after the answer.
pub(super) fn pair(
    alice: TimerSettings,
    bob: TimerSettings,
    holding_s: u32,
    h: Harness,
) -> (Harness, NodeId, NodeId) {
    let mut h = h;
    let a = h.ua("alice", alice);
    let b = h.ua("bob", bob);
    h.link(a, b);
    h.call(SimTime::ZERO, a, b, SimDuration::from_secs(holding_s));
    (h, a, b)
}

/// alice (originate, SE 200, refreshes) — p (dialog-stateful, timer-aware,
/// dropping its record at expiry) — bob (accept, prefers the UAC to
/// refresh), 10 ms per hop; alice calls at 0 and hangs up 400 s after the
/// answer. `alice` adds to her settings. Returns the harness, alice and p.
pub(super) fn through_timer_proxy(alice: TimerSettings, h: Harness) -> (Harness, NodeId, NodeId) {
    let mut h = h;
    let a = h.ua(
        "alice",
        TimerSettings {
            session_expires: 200,
            mode: Mode::Originate,
            ..alice
        },
    );
    let p = h.proxy(
        "p",
        ProxyConfig {
            state: ProxyState::Dialog {
                timers: Some(ProxyTimerConfig::RFC),
                dialogs: DialogPolicy::RFC,
            },
            record_route: true,
        },
    );
    let b = h.ua(
        "bob",
        TimerSettings {
            refresher: RefresherPref::Uac,
            ..settings(Mode::Accept)
        },
    );
    h.link(a, p);
    h.link(p, b);
    h.call(SimTime::ZERO, a, b, SimDuration::from_secs(400));
    (h, a, p)
}

/// alice (SE 90 over `alice`) — p (transaction-stateful, timer-aware,
/// Min-SE 120) — bob (Min-SE 300 over `bob`), 10 ms per hop: alice calls
/// at 0 and the harness runs to 1 s. Returns it and alice.
pub(super) fn through_rising_minimums(
    alice: TimerSettings,
    bob: TimerSettings,
) -> (Harness, NodeId) {
    let mut h = Harness::new(10);
    let a = h.ua(
        "alice",
        TimerSettings {
            session_expires: 90,
            ..alice
        },
    );
    let p = h.proxy(
        "p",
        ProxyConfig {
            state: ProxyState::Transaction {
                timers: Some(ProxyTimerConfig {
                    ceiling: None,
                    min_se: 120,
                    floor_s: 90,
                    ..ProxyTimerConfig::RFC
                }),
            },
            record_route: true,
        },
    );
    let b = h.ua("bob", TimerSettings { min_se: 300, ..bob });
    h.link(a, p);
    h.link(p, b);
    h.call(SimTime::ZERO, a, b, SimDuration::from_secs(100));
    h.run_until(at(1.0));
    (h, a)
}

/// The calls `node` saw fail, with time and status.
pub(super) fn failed_calls(h: &Harness, node: NodeId) -> Vec<(f64, sstsim::sip::StatusCode)> {
    h.records_of(node)
        .into_iter()
        .filter_map(|(t, r)| match r {
            Record::CallFailed { status, .. } => Some((t, status)),
            _ => None,
        })
        .collect()
}

pub(super) fn st_events(h: &Harness, node: NodeId) -> Vec<(f64, StEvent)> {
    h.records_of(node)
        .into_iter()
        .filter_map(|(t, r)| match r {
            Record::SessionTimer { event, .. } => Some((t, event)),
            _ => None,
        })
        .collect()
}

fn negotiated_at(h: &Harness, node: NodeId) -> Vec<f64> {
    st_events(h, node)
        .into_iter()
        .filter(|e| matches!(e.1, StEvent::Negotiated { .. }))
        .map(|e| e.0)
        .collect()
}

pub(super) fn freed(h: &Harness, node: NodeId) -> Vec<(f64, FreeCause)> {
    h.records_of(node)
        .into_iter()
        .filter_map(|(t, r)| match r {
            Record::StateFreed { cause, .. } => Some((t, cause)),
            _ => None,
        })
        .collect()
}

/// When `node`'s client transactions of `method` timed out, in seconds.
fn timed_out(h: &Harness, node: NodeId, method: Method) -> Vec<f64> {
    h.records_of(node)
        .into_iter()
        .filter(|(_, r)| matches!(r, Record::TxnTimedOut { method: m, .. } if *m == method))
        .map(|(t, _)| t)
        .collect()
}

pub(super) fn reinvite(h: &mut Harness, t: SimTime, node: NodeId, param: ReinviteParam) {
    h.command(
        t,
        node,
        Command::Reinvite {
            call: CallRef(0),
            param,
        },
    );
}

pub(super) fn all_close(got: &[f64], want: &[f64]) -> bool {
    got.len() == want.len() && got.iter().zip(want).all(|(a, b)| close(*a, *b))
}

// ---- Transactions (RFC 3261 §17) ----

#[test]
fn txn_a_b_invite_retransmits_on_timer_a_and_times_out_on_timer_b() {
    // Every message is lost. Timer A doubles from T1, uncapped: sends at
    // 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5; Timer B = 64·T1 = 32 s.
    let d = settings(Mode::Accept);
    let (mut h, a, _) = pair(d, d, 60, Harness::new(10).losing(|_, _, _, _| true));
    h.run_until(at(100.0));
    assert_eq!(h.sends(a, "INVITE"), [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]);
    assert!(h.sent.iter().all(|s| !s.delivered));
    let alice = h.records_of(a);
    assert_eq!(timed_out(&h, a, Method::Invite), [32.0]);
    assert!(
        alice.iter().any(|(t, r)| *t == 32.0
            && matches!(r, Record::CallFailed { status, .. } if status.0 == 408)),
        "TXN-B: a timeout is a 408 to the TU"
    );
}

#[test]
fn txn_e_f_non_invite_retransmission_caps_at_t2_and_times_out_on_timer_f() {
    // The call is up at 0.02 s; from 30 s every message is lost. The BYE at
    // 0.02 + 60 s goes on Timer E (0.5, 1, 2, then every T2 = 4 s: 11 sends
    // in 32 s) and times out on Timer F, 64·T1 after its first send.
    let d = settings(Mode::Accept);
    let net = Harness::new(10).losing(|t, _, _, _| t >= at(30.0));
    let (mut h, a, _) = pair(d, d, 60, net);
    h.run_until(at(200.0));
    let byes = h.sends(a, "BYE");
    let first = 60.02;
    let mut want = vec![first];
    for gap in [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0] {
        want.push(want.last().unwrap() + gap);
    }
    assert!(all_close(&byes, &want), "{byes:?}");
    let timeout = timed_out(&h, a, Method::Bye);
    assert!(all_close(&timeout, &[first + 32.0]), "{timeout:?}");
}

#[test]
fn txn_2xx_1_a_uas_without_ack_retransmits_its_2xx_then_sends_bye_at_64_t1() {
    // The INVITE and the first 200 OK cross before 0.015 s; every later
    // message (the ACK first) is lost. bob resends the 2xx at T1 doubling to
    // T2 after its first send at 0.01, and gives up with BYE at 0.01 + 64·T1.
    let d = settings(Mode::Accept);
    let net = Harness::new(10).losing(|t, _, _, _| t >= at(0.015));
    let (mut h, _, b) = pair(d, d, 60, net);
    h.run_until(at(100.0));
    let want: Vec<f64> = [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
        .iter()
        .map(|x| x + 0.01)
        .collect();
    assert!(
        all_close(&h.sends(b, "200 OK"), &want),
        "{:?}",
        h.sends(b, "200 OK")
    );
    assert!(close(h.sends(b, "BYE")[0], 32.01));
    let bob = h.records_of(b);
    assert!(bob.iter().any(|(t, r)| close(*t, 32.01)
        && matches!(
            r,
            Record::TimerFired {
                kind: TimerKind::Dialog(DialogTimer::GiveUp2xx),
                ..
            }
        )));
    assert_eq!(freed(&h, b), vec![(32.01, FreeCause::TransactionTimeout)]);
}

// ---- Glare (RFC 3261 §14) ----

#[test]
fn glare_1_and_glare_2_both_reinvites_get_491_then_succeed_after_the_back_off() {
    for seed in 1..=20 {
        let d = settings(Mode::Accept);
        let (mut h, a, b) = pair(d, d, 60, Harness::new(10).seed(seed));
        reinvite(&mut h, at(5.0), a, ReinviteParam::Current);
        reinvite(&mut h, at(5.0), b, ReinviteParam::Current);
        h.run_until(at(100.0));
        let outcomes = |n: NodeId| -> Vec<(f64, u16)> {
            h.records_of(n)
                .into_iter()
                .filter_map(|(t, r)| match r {
                    Record::TxnCompleted {
                        method: Method::Invite,
                        status,
                        ..
                    } => Some((t, status.0)),
                    _ => None,
                })
                .collect()
        };
        let (oa, ob) = (outcomes(a), outcomes(b));
        // GLARE-1: each re-INVITE meets the other's pending INVITE: 491.
        assert_eq!(
            oa.iter().map(|x| x.1).collect::<Vec<_>>(),
            [200, 491, 200],
            "seed {seed}"
        );
        assert_eq!(
            ob.iter().map(|x| x.1).collect::<Vec<_>>(),
            [491, 200],
            "seed {seed}"
        );
        let backoff = |n: NodeId| -> f64 {
            h.records_of(n)
                .into_iter()
                .find_map(|(_, r)| match r {
                    Record::GlareBackoff { backoff, .. } => Some(backoff.as_secs_f64()),
                    _ => None,
                })
                .expect("a back-off")
        };
        let (ba, bb) = (backoff(a), backoff(b));
        // GLARE-2: the Call-ID owner (alice) waits 2.1–4.0 s, the other 0–2.0 s, in 10 ms steps.
        assert!(
            (2.1..=4.0).contains(&ba) && (0.0..=2.0).contains(&bb),
            "{ba} {bb}"
        );
        for x in [ba, bb] {
            assert!(close((x * 100.0).round(), x * 100.0), "{x}");
        }
        // Each 491 arrives at 5.02; the retry goes then + its back-off and is
        // answered 20 ms later (ST-REFRESH-5).
        assert!(
            close(*h.sends(a, "INVITE").last().unwrap(), 5.02 + ba),
            "seed {seed}"
        );
        assert!(
            close(ob[1].0, 5.04 + bb) && close(oa[2].0, 5.04 + ba),
            "seed {seed}"
        );
        // ST-REFRESH-2: the 491s moved no timer; each successful 2xx did.
        for n in [a, b] {
            let times = negotiated_at(&h, n);
            assert_eq!(times.len(), 3, "seed {seed}: {times:?}");
            assert!(
                !times.iter().any(|&t| close(t, 5.02)),
                "seed {seed}: {times:?}"
            );
        }
    }
}

#[test]
fn st_refresh_6_no_reinvite_while_another_invite_is_in_progress() {
    let d = settings(Mode::Accept);
    let (mut h, a, _) = pair(d, d, 60, Harness::new(10));
    reinvite(&mut h, at(5.0), a, ReinviteParam::Current);
    reinvite(&mut h, at(5.0), a, ReinviteParam::Current);
    h.run_until(at(100.0));
    // The second waits for the first's 2xx (5.02), then goes at once (GLARE-3).
    assert!(
        all_close(&h.sends(a, "INVITE"), &[0.0, 5.0, 5.02]),
        "{:?}",
        h.sends(a, "INVITE")
    );
}

// ---- Refreshes and expiry (RFC 4028 §7, §9, §10) ----

/// alice originates SE 200 and bob asks her to refresh.
fn alice_refreshes(h: Harness) -> (Harness, NodeId, NodeId) {
    let alice = TimerSettings {
        session_expires: 200,
        ..settings(Mode::Originate)
    };
    let bob = TimerSettings {
        refresher: RefresherPref::Uac,
        ..settings(Mode::Accept)
    };
    pair(alice, bob, 250, h)
}

#[test]
fn st_uac_12_and_st_expire_4_refreshes_at_half_the_interval_rearm_the_bye_point() {
    let (mut h, a, b) = alice_refreshes(Harness::new(10));
    h.run_until(at(300.0));
    // alice refreshes from each 2xx's receipt: 0.02 + 100, then 100.04 + 100.
    assert!(all_close(&h.sends(a, "INVITE"), &[0.0, 100.02, 200.04]));
    // bob's BYE point moves with each 2xx it sends (0.01, 100.03, 200.05),
    // so its guard (SI − 32 s after each) never fires: the call ends by BYE.
    assert!(all_close(&negotiated_at(&h, b), &[0.01, 100.03, 200.05]));
    assert_eq!(freed(&h, b), vec![(250.03, FreeCause::Bye)]);
}

#[test]
fn st_expire_1_the_non_refresher_sends_bye_at_its_2xx_plus_se_minus_min_32_se_over_3() {
    // SE 600; from 10.02 s alice is as good as dead (every message lost).
    // bob sent its 2xx at 0.01: BYE at 0.01 + 600 − min(32, 200) = 568.01.
    let alice = TimerSettings {
        session_expires: 600,
        ..settings(Mode::Originate)
    };
    let bob = TimerSettings {
        refresher: RefresherPref::Uac,
        ..settings(Mode::Accept)
    };
    let net = Harness::new(10).losing(|t, _, _, _| t >= at(10.02));
    let (mut h, _, b) = pair(alice, bob, 900, net);
    h.run_until(at(1000.0));
    assert!(close(h.sends(b, "BYE")[0], 568.01));
    let ev = st_events(&h, b);
    assert!(ev.contains(&(568.01, StEvent::Expired)), "{ev:?}");
    assert!(ev.contains(&(568.01, StEvent::ByeSent(FreeCause::Expiry))));
    assert_eq!(freed(&h, b), vec![(568.01, FreeCause::Expiry)]);
}

#[test]
fn a_sofia_non_refresher_sends_bye_at_81_s_for_se_90() {
    // sofia-sip's guard is SE − min(32, SE/10): bob's 2xx at 0.01, SE 90,
    // so his BYE goes at 0.01 + 90 − 9 = 81.01 once alice falls silent.
    let alice = TimerSettings {
        session_expires: 90,
        ..settings(Mode::Originate)
    };
    let bob = TimerSettings {
        refresher: RefresherPref::Uac,
        expiry_guard: ExpiryGuard::Tenth,
        ..settings(Mode::Accept)
    };
    let net = Harness::new(10).losing(|t, _, _, _| t >= at(10.02));
    let (mut h, _, b) = pair(alice, bob, 900, net);
    h.run_until(at(200.0));
    assert!(
        close(h.sends(b, "BYE")[0], 81.01),
        "{:?}",
        h.sends(b, "BYE")
    );
    assert_eq!(freed(&h, b), vec![(81.01, FreeCause::Expiry)]);
}

#[test]
fn a_radvision_refresher_refreshes_at_whole_seconds() {
    // SE 91 with timer_rounding = "s": alice refreshes ⌊45.5⌋ = 45 s after
    // each 2xx reaches her (0.02, then 45.04): at 45.02 and 90.04 (exact
    // rounding would give 45.52 and 91.04).
    let alice = TimerSettings {
        session_expires: 91,
        rounding: Rounding::Seconds,
        ..settings(Mode::Originate)
    };
    let bob = TimerSettings {
        refresher: RefresherPref::Uac,
        ..settings(Mode::Accept)
    };
    let (mut h, a, _) = pair(alice, bob, 100, Harness::new(10));
    h.run_until(at(100.0));
    assert!(
        all_close(&h.sends(a, "INVITE"), &[0.0, 45.02, 90.04]),
        "{:?}",
        h.sends(a, "INVITE")
    );
}

#[test]
fn profiles_round_as_their_products_do() {
    // bob is the non-refresher with SE 91; alice falls silent at 10.02.
    // RADVISION: ⌊91/3⌋ = 30 s, BYE at 0.01 + 61 = 61.01. chan_sip (ms):
    // 91000/3 = 30333 ms, BYE at 0.01 + 60.667 = 60.677.
    for (profile, bye) in [("radvision", 61.01), ("asterisk", 60.677)] {
        let alice = TimerSettings {
            session_expires: 91,
            ..settings(Mode::Originate)
        };
        let bob = TimerSettings {
            refresher: RefresherPref::Uac,
            ..sstsim::session_timer::presets::profile(profile)
                .expect("a profile")
                .resolve()
        };
        let net = Harness::new(10).losing(|t, _, _, _| t >= at(10.02));
        let (mut h, _, b) = pair(alice, bob, 900, net);
        h.run_until(at(200.0));
        assert!(
            close(h.sends(b, "BYE")[0], bye),
            "{profile}: {:?}",
            h.sends(b, "BYE")
        );
    }
}

#[test]
fn a_refresher_with_an_end_timer_ends_the_call_at_its_guard() {
    // alice refreshes (SE 91, whole seconds); from 10.02 everything is lost.
    // Her refresh goes at 0.02 + ⌊45.5⌋ = 45.02 and would time out 32 s
    // later (64·T1), at 77.02: the RFC refresher sends BYE then
    // (refresh_failed). RADVISION's end timer fires first, at
    // 0.02 + 91 − min(32, ⌊91/3⌋) = 61.02 (expiry). PJSIP's at SE would
    // come at 91.02, after the timeout, so the timeout ends it.
    let alice = |end| TimerSettings {
        session_expires: 91,
        rounding: Rounding::Seconds,
        refresher_end: end,
        ..settings(Mode::Originate)
    };
    let bob = TimerSettings {
        refresher: RefresherPref::Uac,
        ..settings(Mode::Accept)
    };
    for (end, at_s, cause) in [
        (RefresherEnd::Guard, 61.02, FreeCause::Expiry),
        (RefresherEnd::None, 77.02, FreeCause::RefreshFailed),
        (RefresherEnd::AtExpiry, 77.02, FreeCause::RefreshFailed),
    ] {
        let net = Harness::new(10).losing(|t, _, _, _| t >= at(10.02));
        let (mut h, a, _) = pair(alice(end), bob, 900, net);
        h.run_until(at(200.0));
        assert!(
            close(h.sends(a, "BYE")[0], at_s),
            "{end:?}: {:?}",
            h.sends(a, "BYE")
        );
        assert_eq!(freed(&h, a), vec![(at_s, cause)], "{end:?}");
    }
}

#[test]
fn a_fixed_alert_time_sets_the_refresh_point_when_it_lies_inside_the_interval() {
    // RADVISION alertTime 30 s with SE 200: alice refreshes 30 s after each
    // 2xx reaches her: 0.02 + 30 = 30.02, then 30.04 + 30 = 60.04, 90.06.
    // An alert of 250 s is past SE, so SE/2 applies: 0.02 + 100 = 100.02.
    let run = |alert| {
        let alice = TimerSettings {
            session_expires: 200,
            refresh_alert_s: Some(alert),
            ..settings(Mode::Originate)
        };
        let bob = TimerSettings {
            refresher: RefresherPref::Uac,
            ..settings(Mode::Accept)
        };
        let (mut h, a, _) = pair(alice, bob, 250, Harness::new(10));
        h.run_until(at(101.0));
        h.sends(a, "INVITE")
    };
    assert!(
        all_close(&run(30), &[0.0, 30.02, 60.04, 90.06]),
        "{:?}",
        run(30)
    );
    assert!(all_close(&run(250), &[0.0, 100.02]), "{:?}", run(250));
}

#[test]
fn a_uac_refresher_param_decides_who_refreshes() {
    // SE 200; bob (the UAS) prefers to refresh himself. Without a
    // parameter he does: re-INVITE at his 2xx (0.01) + 100 = 100.01. With
    // RADVISION's LOCAL preference (refresher=uac in the INVITE, copied by
    // bob, Table 2 row 5) alice refreshes: 0.02 + 100 = 100.02.
    let run = |param| {
        let alice = TimerSettings {
            session_expires: 200,
            refresher_param: param,
            ..settings(Mode::Originate)
        };
        let bob = TimerSettings {
            refresher: RefresherPref::Uas,
            ..settings(Mode::Accept)
        };
        let (mut h, a, b) = pair(alice, bob, 150, Harness::new(10));
        h.run_until(at(140.0));
        let first = h.sent_by(a, "INVITE")[0].msg.timer.session_expires;
        (
            first.and_then(|s| s.refresher),
            h.sends(a, "INVITE"),
            h.sends(b, "INVITE"),
        )
    };
    let (param, alice, bob) = run(RefresherParamPref::Uac);
    assert_eq!(param, Some(RefresherParam::Uac));
    assert!(
        all_close(&alice, &[0.0, 100.02]) && bob.is_empty(),
        "{alice:?} {bob:?}"
    );
    let (param, alice, bob) = run(RefresherParamPref::None);
    assert_eq!(param, None);
    assert!(
        all_close(&alice, &[0.0]) && all_close(&bob, &[100.01]),
        "{alice:?} {bob:?}"
    );
    let (param, _, bob) = run(RefresherParamPref::Uas);
    assert_eq!(param, Some(RefresherParam::Uas));
    assert!(all_close(&bob, &[100.01]), "{bob:?}");
}

#[test]
fn a_ua_without_update_answers_501_and_the_refresh_does_not_count() {
    // alice refreshes SE 200 by UPDATE at 0.02 + 100 = 100.02. bob, like
    // chan_sip, answers 501 (100.03), so his BYE point stays where his 2xx
    // at 0.01 put it: 0.01 + 200 − 32 = 168.01 (expiry). With UPDATE
    // supported the 2xx re-arms it and the call ends by alice's BYE at 250.
    let run = |update_supported| {
        let alice = TimerSettings {
            session_expires: 200,
            refresh_method: RefreshMethod::Update,
            ..settings(Mode::Originate)
        };
        let bob = TimerSettings {
            refresher: RefresherPref::Uac,
            update_supported,
            ..settings(Mode::Accept)
        };
        let (mut h, _, b) = pair(alice, bob, 250, Harness::new(10));
        h.run_until(at(300.0));
        (h.sends(b, "501 Not Implemented"), freed(&h, b))
    };
    let (rejects, freed_b) = run(false);
    assert!(all_close(&rejects, &[100.03]), "{rejects:?}");
    assert_eq!(freed_b, vec![(168.01, FreeCause::Expiry)]);
    let (rejects, freed_b) = run(true);
    assert!(rejects.is_empty());
    assert_eq!(freed_b, vec![(250.03, FreeCause::Bye)]);
}

#[test]
fn st_uac_13_a_reinvite_for_another_purpose_is_a_refresh() {
    // At 50 s alice re-INVITEs (a hold, say). It carries the timer in force
    // (SE 200;refresher=uac, ST-UAC-18, ST-UAC-19), and its 2xx restarts the timers on
    // both sides: alice's next refresh is due at 50.02 + 100, not 100.02.
    let (mut h, a, b) = alice_refreshes(Harness::new(10));
    reinvite(&mut h, at(50.0), a, ReinviteParam::Current);
    h.run_until(at(170.0));
    let invites = h.sent_by(a, "INVITE");
    let se = invites[1]
        .msg
        .timer
        .session_expires
        .expect("SE in the re-INVITE");
    assert_eq!((se.delta_s, se.refresher), (200, Some(RefresherParam::Uac)));
    assert!(
        all_close(&h.sends(a, "INVITE"), &[0.0, 50.0, 150.02]),
        "{:?}",
        h.sends(a, "INVITE")
    );
    assert!(all_close(&negotiated_at(&h, b), &[0.01, 50.01, 150.03]));
}

#[test]
fn st_uac_20_the_refresh_goes_by_the_configured_method() {
    // The simulator does not model Allow: the method is each UA's
    // refresh_method. alice refreshes at 0.02 + 100 by UPDATE, or re-INVITE.
    for (method, label) in [
        (RefreshMethod::Update, "UPDATE"),
        (RefreshMethod::Reinvite, "INVITE"),
    ] {
        let alice = TimerSettings {
            session_expires: 200,
            refresh_method: method,
            ..settings(Mode::Originate)
        };
        let bob = TimerSettings {
            refresher: RefresherPref::Uac,
            ..settings(Mode::Accept)
        };
        let (mut h, a, b) = pair(alice, bob, 150, Harness::new(10));
        h.run_until(at(140.0));
        let refreshes: Vec<f64> = h.sends(a, label).into_iter().filter(|&t| t > 1.0).collect();
        assert!(all_close(&refreshes, &[100.02]), "{label}: {refreshes:?}");
        let sent = h.sent_by(a, label);
        let refresh = sent.last().unwrap();
        assert_eq!(
            refresh.msg.timer.session_expires.map(|s| s.delta_s),
            Some(200),
            "{label} carries SE"
        );
        // bob's 2xx to it re-armed bob's BYE point (ST-EXPIRE-4).
        assert!(all_close(&negotiated_at(&h, b), &[0.01, 100.03]), "{label}");
    }
}

#[test]
fn st_uas_7_the_uas_timer_is_the_one_of_its_latest_2xx() {
    // bob first makes alice the refresher (bob guards). At 100 s alice hands
    // the role over (refresher=uas, ST-UAC-19): from bob's 2xx at 100.01 bob
    // refreshes (at 100.01 + 300) and no longer guards (no BYE at
    // 0.01 + 600 − 32 = 568.01 s).
    let alice = TimerSettings {
        session_expires: 600,
        ..settings(Mode::Originate)
    };
    let bob = TimerSettings {
        refresher: RefresherPref::Uac,
        ..settings(Mode::Accept)
    };
    let (mut h, a, b) = pair(alice, bob, 700, Harness::new(10));
    reinvite(&mut h, at(100.0), a, ReinviteParam::HandOver);
    h.run_until(at(650.0));
    let ev = st_events(&h, b);
    let timer = |local_refresher| StEvent::Negotiated {
        interval_s: 600,
        local_refresher,
    };
    assert!(
        ev.contains(&(0.01, timer(false))) && ev.contains(&(100.01, timer(true))),
        "{ev:?}"
    );
    assert!(
        all_close(&h.sends(b, "INVITE"), &[400.01]),
        "{:?}",
        h.sends(b, "INVITE")
    );
    assert!(!ev.iter().any(|e| e.1 == StEvent::Expired), "{ev:?}");
    assert_eq!(h.sends(a, "INVITE").len(), 2, "alice no longer refreshes");
}

#[test]
fn st_uas_9_every_2xx_to_an_invite_says_supported_timer() {
    // On the wire: the 2xx to the initial INVITE and the 2xx to a refresh.
    let (mut h, _, b) = alice_refreshes(Harness::new(10));
    h.run_until(at(150.0));
    let oks: Vec<_> = h
        .sent_by(b, "200 OK")
        .into_iter()
        .filter(|s| s.msg.cseq_method == Method::Invite)
        .collect();
    assert_eq!(oks.len(), 2);
    assert!(oks.iter().all(|s| s.msg.timer.supported_timer));
}

#[test]
fn st_proxy_13_the_proxy_expiry_is_one_interval_after_the_latest_2xx_it_forwarded() {
    // alice — p — bob, SE 200, alice refreshes; 10 ms per hop. bob answers at
    // 0.02 and p forwards the 2xx at 0.03. alice gets it at 0.04 and
    // refreshes at 100.04; bob answers at 100.06, p forwards at 100.07.
    // From 150 s every message is lost, so no later 2xx passes p: it drops
    // its record at 100.07 + 200 = 300.07 (ST-PROXY-13, ST-PROXY-14) and
    // sends no BYE (ST-EXPIRE-3).
    let net = Harness::new(10).losing(|t, _, _, _| t >= at(150.0));
    let (mut h, _, p) = through_timer_proxy(TimerSettings::default(), net);
    h.run_until(at(500.0));
    let set: Vec<f64> = st_events(&h, p)
        .into_iter()
        .filter(|e| e.1 == StEvent::ProxyExpirySet { interval_s: 200 })
        .map(|e| e.0)
        .collect();
    assert!(all_close(&set, &[0.03, 100.07]), "{set:?}");
    let f = freed(&h, p);
    assert!(
        f.len() == 1 && close(f[0].0, 300.07) && f[0].1 == FreeCause::Expiry,
        "{f:?}"
    );
    assert!(h.sends(p, "BYE").is_empty());
}

// ---- Dialogs (RFC 3261 §12, §15) ----

#[test]
fn dlg_5_a_callee_sends_no_bye_before_the_ack_of_its_2xx() {
    // phone — pbx (B2BUA) — carrier, T1 = 2 s. pbx answers the phone's leg
    // at 0.03 (10 ms per hop), but the phone–pbx link fails from 0.035 s, so
    // the phone's ACK (sent at 0.04) never arrives. The carrier is dead from
    // 5 s. On the carrier's leg (SE 90, the carrier refreshes) pbx guards:
    // at its 2xx receipt 0.03 + 90 − min(32, 30) = 60.03 it ends that leg
    // and hangs up the phone's. That BYE must wait (DLG-5) until the 2xx
    // retransmission gives up at 0.03 + 64·T1 = 128.03 s.
    let (phone, pbx, carrier) = (NodeId(0), NodeId(1), NodeId(2));
    let net = Harness::new(10)
        .sip_timers(sstsim::sip::SipTimers {
            t1: SimDuration::from_secs(2),
            ..Default::default()
        })
        .losing(move |t, from, to, _| {
            let on = |n: NodeId| from == n || to == n;
            (t >= at(0.035) && on(phone) && on(pbx)) || (t >= at(5.0) && on(carrier))
        });
    let mut h = net;
    let d = settings(Mode::Accept);
    assert_eq!(h.ua("phone", d), phone);
    let cfg = sstsim::sip::ua_core::UaConfig {
        base: TimerSettings {
            session_expires: 90,
            ..settings(Mode::Originate)
        },
        peers: Vec::new(),
    };
    assert_eq!(h.b2bua("pbx", cfg), pbx);
    assert_eq!(h.ua("carrier", d), carrier);
    h.link(phone, pbx);
    h.link(pbx, carrier);
    h.call(SimTime::ZERO, phone, carrier, SimDuration::from_secs(300));
    h.run_until(at(200.0));
    let bye_to = |n: NodeId| -> Vec<f64> {
        h.sent_by(pbx, "BYE")
            .iter()
            .filter(|s| s.to == n)
            .map(|s| s.t.as_secs_f64())
            .collect()
    };
    assert!(close(bye_to(carrier)[0], 60.03), "{:?}", bye_to(carrier));
    assert!(close(bye_to(phone)[0], 128.03), "{:?}", bye_to(phone));
    // The phone's leg is freed with its BYE, for the cause that asked for it.
    let f = freed(&h, pbx);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(
        close(f[1].0, 128.03) && f[1].1 == FreeCause::Expiry,
        "{f:?}"
    );
}
