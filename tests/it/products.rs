//! Product behaviours on the roles (spec §4, §5; stack-profiles §2, §6–§8),
//! one key at a time, with times derived by hand. Every link is 10 ms one
//! way and T1 = 0.5 s, so a transaction times out 64·T1 = 32 s after it
//! starts.

use sstsim::net::NodeId;
use sstsim::session_timer::{
    ExpiryRestart, Mode, No422MinSe, RefreshMethod, RefreshRetry, RefreshTimeout,
    RefresherParamPref, RefresherPref, SendMinSe, Small2xx, TimerSettings, UnnamedRefresher,
};
use sstsim::sip::ua::ReinviteParam;
use sstsim::sip::{ForcedAnswer, FreeCause, Method, StEvent, StatusCode};

use super::harness::{Harness, at, close};
use super::roles::{
    all_close, failed_calls, freed, pair, reinvite, settings, st_events, through_rising_minimums,
    through_timer_proxy,
};
use super::support;

/// The intervals of the timers `node` put in force, in order.
fn intervals(h: &Harness, node: NodeId) -> Vec<u32> {
    st_events(h, node)
        .into_iter()
        .filter_map(|(_, e)| match e {
            StEvent::Negotiated { interval_s, .. } => Some(interval_s),
            _ => None,
        })
        .collect()
}

#[test]
fn chan_sip_drops_a_dialog_whose_refresh_timed_out_without_bye_and_the_proxy_keeps_it() {
    // alice — p — bob, SE 200, alice refreshes. bob's 2xx leaves him at
    // 0.02, p forwards it at 0.03 and alice has it at 0.04. From 50 s every
    // message is lost. alice's refresh goes at 0.04 + 100 = 100.04 and times
    // out 32 s later, at 132.04. The RFC refresher sends BYE then; chan_sip
    // (refresh_timeout = local) frees its dialog at 132.04 and sends
    // nothing (spec §4.1, stack-profiles §6), so p, timer-aware, holds the
    // dialog until its own expiry one interval after the 2xx it forwarded:
    // 0.03 + 200 = 200.03.
    for (timeout, byes) in [(RefreshTimeout::Local, 0), (RefreshTimeout::Bye, 1)] {
        let net = Harness::new(10).losing(|t, _, _, _| t >= at(50.0));
        let alice = TimerSettings {
            refresh_timeout: timeout,
            ..TimerSettings::default()
        };
        let (mut h, a, p) = through_timer_proxy(alice, net);
        h.run_until(at(300.0));
        assert_eq!(h.sends(a, "BYE").len().min(1), byes, "{timeout:?}");
        assert_eq!(
            freed(&h, a),
            vec![(132.04, FreeCause::RefreshFailed)],
            "{timeout:?}"
        );
        let f = freed(&h, p);
        assert!(
            f.len() == 1 && close(f[0].0, 200.03) && f[0].1 == FreeCause::Expiry,
            "{timeout:?}: {f:?}"
        );
        if timeout == RefreshTimeout::Local {
            assert!(st_events(&h, a).contains(&(132.04, StEvent::DroppedSilently)));
        }
    }
}

#[test]
fn a_2xx_below_the_uacs_minimum_is_adopted_answered_with_bye_or_ignored() {
    // alice asks SE 1800 and has Min-SE 120 but sends no Min-SE header
    // (send_min_se = after_422), so bob (accept, SE 90) grants
    // min(1800, max(90, 90)) = 90 < 120 (ST-UAS-2). Spec §5 item 5:
    // - adopt (RFC, PJSIP): alice runs SE 90;
    // - bye (chan_sip): alice ACKs at 0.02 and sends BYE in the same
    //   instant; her state goes at 0.02 as a negotiation failure;
    // - keep (RADVISION): alice keeps the 1800 she asked for.
    let run = |small| {
        let alice = TimerSettings {
            min_se: 120,
            send_min_se: SendMinSe::After422,
            small_se_in_2xx: small,
            ..settings(Mode::Originate)
        };
        let bob = TimerSettings {
            session_expires: 90,
            ..settings(Mode::Accept)
        };
        let (mut h, a, b) = pair(alice, bob, 300, Harness::new(10));
        h.run_until(at(1.0));
        assert_eq!(h.sent_by(a, "INVITE")[0].msg.timer.min_se, None);
        (h, a, b)
    };
    let (h, a, _) = run(Small2xx::Adopt);
    assert_eq!(intervals(&h, a), vec![90]);
    let (h, a, b) = run(Small2xx::Keep);
    assert_eq!(intervals(&h, a), vec![1800]);
    assert!(h.sends(a, "BYE").is_empty() && intervals(&h, b) == vec![90]);
    let (h, a, b) = run(Small2xx::Bye);
    assert!(all_close(&h.sends(a, "ACK"), &[0.02]));
    assert!(all_close(&h.sends(a, "BYE"), &[0.02]));
    assert_eq!(freed(&h, a), vec![(0.02, FreeCause::NegotiationFailed)]);
    assert_eq!(freed(&h, b), vec![(0.03, FreeCause::Bye)]);
    assert!(intervals(&h, a).is_empty());
}

#[test]
fn a_ua_that_requires_timers_answers_421_or_ends_a_call_without_one() {
    // PJSIP `required` (stack-profiles §2.3, §7). As UAS, bob answers a
    // caller that does not list `timer` (alice refuses timers) with 421 and
    // `Require: timer` at 0.01; alice's call fails with that status.
    let bob = TimerSettings {
        timer_required: true,
        ..settings(Mode::Originate)
    };
    let (mut h, a, b) = pair(settings(Mode::Refuse), bob, 300, Harness::new(10));
    h.run_until(at(1.0));
    let r = h.sent_by(b, "421 Extension Required");
    assert!(r.len() == 1 && close(r[0].t.as_secs_f64(), 0.01) && r[0].msg.timer.require_timer);
    assert_eq!(
        failed_calls(&h, a),
        vec![(0.02, StatusCode::EXTENSION_REQUIRED)]
    );
    // As UAC, alice requires timers and bob refuses them: his 2xx has no
    // Session-Expires, so alice ACKs it at 0.02 and ends the call with BYE
    // at once. Without the requirement she refreshes alone (ST-UAC-10).
    let alice = |required| TimerSettings {
        timer_required: required,
        ..settings(Mode::Originate)
    };
    let (mut h, a, _) = pair(alice(true), settings(Mode::Refuse), 300, Harness::new(10));
    h.run_until(at(1.0));
    assert!(all_close(&h.sends(a, "BYE"), &[0.02]));
    assert_eq!(freed(&h, a), vec![(0.02, FreeCause::NegotiationFailed)]);
    let (mut h, a, _) = pair(alice(false), settings(Mode::Refuse), 300, Harness::new(10));
    h.run_until(at(1.0));
    assert!(h.sends(a, "BYE").is_empty() && intervals(&h, a) == vec![1800]);
}

#[test]
fn refresh_retries_repeat_every_interval_or_halve_down_to_32_s() {
    // alice refreshes SE 300 by UPDATE at a quarter of the interval, and
    // bob, without UPDATE, answers 501, so no 2xx restarts alice's timers.
    // Her 2xx came at 0.02: first refresh at 0.02 + 75 = 75.02.
    // - none (RFC): that one only.
    // - repeat (chan_sip's scheduler): every 75 s, 150.02 and 225.02, until
    //   bob's BYE at 0.01 + 300 − 32 = 268.01 ends the call.
    // - halving (reSIProcate): after 75/2 = 37.5 s (> 32 s), 112.52; the
    //   next half, 18.75 s, is not above 32 s, so no more.
    let run = |retry| {
        let alice = TimerSettings {
            session_expires: 300,
            refresh_at: 0.25,
            refresh_method: RefreshMethod::Update,
            refresh_retry: retry,
            ..settings(Mode::Originate)
        };
        let bob = TimerSettings {
            refresher: RefresherPref::Uac,
            update_supported: false,
            ..settings(Mode::Accept)
        };
        let (mut h, a, b) = pair(alice, bob, 400, Harness::new(10));
        h.run_until(at(400.0));
        assert_eq!(freed(&h, b), vec![(268.01, FreeCause::Expiry)]);
        h.sends(a, "UPDATE")
    };
    assert!(all_close(&run(RefreshRetry::None), &[75.02]));
    let r = run(RefreshRetry::Repeat);
    assert!(all_close(&r, &[75.02, 150.02, 225.02]), "{r:?}");
    let r = run(RefreshRetry::Halving);
    assert!(all_close(&r, &[75.02, 112.52]), "{r:?}");
}

#[test]
fn update_if_allowed_follows_the_peers_allow() {
    // RFC 4028 §7.4 [R], PJSIP, reSIProcate: UPDATE when the peer's Allow
    // lists it, else re-INVITE. alice refreshes SE 200 at 0.02 + 100 =
    // 100.02; bob lists UPDATE unless he lacks it (chan_sip).
    let run = |bob_update| {
        let alice = TimerSettings {
            session_expires: 200,
            refresh_method: RefreshMethod::UpdateIfAllowed,
            ..settings(Mode::Originate)
        };
        let bob = TimerSettings {
            refresher: RefresherPref::Uac,
            update_supported: bob_update,
            ..settings(Mode::Accept)
        };
        let (mut h, a, _) = pair(alice, bob, 150, Harness::new(10));
        h.run_until(at(140.0));
        (h.sends(a, "UPDATE"), h.sends(a, "INVITE"))
    };
    let (updates, invites) = run(true);
    assert!(all_close(&updates, &[100.02]) && all_close(&invites, &[0.0]));
    let (updates, invites) = run(false);
    assert!(updates.is_empty() && all_close(&invites, &[0.0, 100.02]));
}

#[test]
fn chan_sip_refreshes_a_peer_without_timer_support_with_plain_reinvites() {
    // alice originates toward bob, who refuses timers: she refreshes alone
    // with SE 1800 at 0.02 + 900 = 900.02 (ST-UAC-10). By default the
    // refresh carries `Session-Expires: 1800;refresher=uac`; chan_sip sends
    // a plain re-INVITE to a peer that never showed support (spec §4.1).
    let run = |headers| {
        let alice = TimerSettings {
            refresh_headers: headers,
            ..settings(Mode::Originate)
        };
        let (mut h, a, _) = pair(alice, settings(Mode::Refuse), 1000, Harness::new(10));
        h.run_until(at(901.0));
        let r = h.sent_by(a, "INVITE");
        assert!(close(r[1].t.as_secs_f64(), 900.02));
        r[1].msg.timer
    };
    let plain = run(sstsim::session_timer::RefreshHeaders::IfPeerSupports);
    assert!(plain.session_expires.is_none() && plain.min_se.is_none() && plain.supported_timer);
    let full = run(sstsim::session_timer::RefreshHeaders::Always);
    assert_eq!(full.session_expires.map(|s| s.delta_s), Some(1800));
}

#[test]
fn sofia_draws_its_refresh_point_from_whole_seconds_around_half_the_interval() {
    // SE 90, whole seconds, ±5 s (stack-profiles §2.4, §8): alice's 2xx
    // comes at 0.02, so her refresh goes at 0.02 + k with k one of the
    // whole seconds 40…50, drawn from her own stream. Over 40 seeds each
    // value has probability 1/11: the chance that fewer than 6 distinct
    // values show is below 1e-6, and none may fall outside.
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..40 {
        let alice = TimerSettings {
            session_expires: 90,
            refresh_jitter_s: 5,
            rounding: sstsim::session_timer::Rounding::Seconds,
            ..settings(Mode::Originate)
        };
        let bob = TimerSettings {
            refresher: RefresherPref::Uac,
            ..settings(Mode::Accept)
        };
        let (mut h, a, _) = pair(alice, bob, 60, Harness::new(10).seed(seed));
        h.run_until(at(59.0));
        let t = h.sends(a, "INVITE")[1] - 0.02;
        assert!(close(t, t.round()), "{t}");
        seen.insert(t.round() as u32);
    }
    assert!(seen.iter().all(|k| (40..=50).contains(k)), "{seen:?}");
    assert!(seen.len() >= 6, "{seen:?}");
}

#[test]
fn one_retry_after_422_fails_a_call_through_two_rising_minimums() {
    // alice (SE 90) — p (Min-SE 120) — bob (Min-SE 300). p answers 422
    // Min-SE 120 at 0.01; alice has it at 0.02 and retries with SE 120; p
    // forwards it at 0.03; bob answers 422 Min-SE 300 at 0.04, relayed by p
    // at 0.05 to alice at 0.06. PJSIP retries once (stack-profiles §3
    // item 5): the call fails at 0.06 with 422. With two retries alice asks
    // SE 300 at 0.06 and the call runs with 300.
    let run = |retries| {
        let alice = TimerSettings {
            max_422_retries: retries,
            ..settings(Mode::Originate)
        };
        let (h, a) = through_rising_minimums(alice, settings(Mode::Accept));
        (failed_calls(&h, a), intervals(&h, a), h.sends(a, "INVITE"))
    };
    let (failed, timers, invites) = run(1);
    assert_eq!(failed, vec![(0.06, StatusCode::SESSION_INTERVAL_TOO_SMALL)]);
    assert!(timers.is_empty() && all_close(&invites, &[0.0, 0.02]));
    let (failed, timers, invites) = run(2);
    assert!(failed.is_empty() && timers == vec![300]);
    assert!(all_close(&invites, &[0.0, 0.02, 0.06]), "{invites:?}");
}

#[test]
fn a_ua_may_run_no_timer_below_90_s() {
    // With the RFC floor lifted ([sip] strict_rfc = false), alice asks SE 60
    // and bob grants it. reSIProcate runs no timer below 90 s
    // (`startSessionTimer`): alice sends no refresh at 0.02 + 30 and bob,
    // who does run it, ends the call at 0.01 + 60 − 20 = 40.01.
    let run = |off| {
        let alice = TimerSettings {
            session_expires: 60,
            min_se: 30,
            floor_s: 1,
            timer_off_below_s: off,
            ..settings(Mode::Originate)
        };
        let bob = TimerSettings {
            refresher: RefresherPref::Uac,
            min_se: 30,
            floor_s: 1,
            ..settings(Mode::Accept)
        };
        let (mut h, a, b) = pair(alice, bob, 100, Harness::new(10));
        h.run_until(at(101.0));
        (h.sends(a, "INVITE"), freed(&h, b))
    };
    let (invites, bob) = run(Some(90));
    assert!(all_close(&invites, &[0.0]), "{invites:?}");
    assert_eq!(bob, vec![(40.01, FreeCause::Expiry)]);
    let (invites, bob) = run(None);
    assert!(
        all_close(&invites, &[0.0, 30.02, 60.04, 90.06]),
        "{invites:?}"
    );
    assert_eq!(bob, vec![(100.03, FreeCause::Bye)]);
}

/// A harness where bob answers re-INVITEs that arrive in [from, to) with
/// `answer`.
fn bob_answers(from: f64, to: f64, answer: ForcedAnswer) -> Harness {
    Harness::new(10).answering(move |t, node, msg| {
        let reinvite = msg.method() == Some(Method::Invite) && msg.to_tag.is_some();
        (node.0 == 1 && reinvite && t >= at(from) && t < at(to)).then_some(answer)
    })
}

fn status(code: u16) -> ForcedAnswer {
    ForcedAnswer {
        status: StatusCode(code),
        min_se: None,
        retry_after_s: None,
    }
}

/// alice refreshes SE 200 (her 2xx at 0.02, refresh at 100.02); bob (node
/// 1) is the non-refresher whose BYE point is 0.01 + 168 = 168.01.
fn alice_refreshes_bob(
    alice: TimerSettings,
    bob: TimerSettings,
    h: Harness,
) -> (Harness, NodeId, NodeId) {
    let alice = TimerSettings {
        session_expires: 200,
        mode: Mode::Originate,
        ..alice
    };
    let bob = TimerSettings {
        refresher: RefresherPref::Uac,
        ..bob
    };
    let (mut h, a, b) = pair(alice, bob, 400, h);
    h.run_until(at(401.0));
    (h, a, b)
}

#[test]
fn a_refresh_answered_503_is_retried_after_10_s_or_its_retry_after() {
    // bob answers re-INVITEs with 503 in [90, 110): alice's refresh at
    // 100.02 gets it at 100.04. PJSIP retries 10 s later, at 110.04, which
    // bob (out of the window) accepts; with `Retry-After: 30` the retry
    // goes at 130.04. The RFC refresher does not retry (ST-REFRESH-2), so
    // bob's BYE point stays at 168.01.
    let pjsip = TimerSettings {
        retry_after_503_s: Some(10),
        ..TimerSettings::default()
    };
    let rfc = TimerSettings::default();
    let (h, a, _) = alice_refreshes_bob(pjsip, rfc, bob_answers(90.0, 110.0, status(503)));
    assert!(all_close(
        &h.sends(a, "INVITE")[..3],
        &[0.0, 100.02, 110.04]
    ));
    assert!(st_events(&h, a).contains(&(100.04, StEvent::Retry503 { after_s: 10 })));
    let with_retry_after = ForcedAnswer {
        retry_after_s: Some(30),
        ..status(503)
    };
    let (h, a, _) = alice_refreshes_bob(pjsip, rfc, bob_answers(90.0, 110.0, with_retry_after));
    assert!(all_close(
        &h.sends(a, "INVITE")[..3],
        &[0.0, 100.02, 130.04]
    ));
    let (h, a, b) = alice_refreshes_bob(rfc, rfc, bob_answers(90.0, 110.0, status(503)));
    assert!(all_close(&h.sends(a, "INVITE"), &[0.0, 100.02]));
    assert_eq!(freed(&h, b), vec![(168.01, FreeCause::Expiry)]);
}

#[test]
fn chan_sip_rearms_its_timer_when_a_reinvite_arrives_even_one_it_rejects() {
    // bob answers re-INVITEs with 500 in [90, 110). alice's refresh reaches
    // him at 100.03. By default (ST-EXPIRE-4) only a 2xx restarts his
    // timer, so he sends BYE at 168.01; chan_sip re-arms it on arrival
    // (`handle_request_invite`), so his BYE goes at 100.03 + 168 = 268.03.
    let rfc = TimerSettings::default();
    let chan_sip = TimerSettings {
        expiry_restart: ExpiryRestart::Request,
        ..TimerSettings::default()
    };
    let (h, _, b) = alice_refreshes_bob(rfc, rfc, bob_answers(90.0, 110.0, status(500)));
    assert_eq!(freed(&h, b), vec![(168.01, FreeCause::Expiry)]);
    let (h, _, b) = alice_refreshes_bob(rfc, chan_sip, bob_answers(90.0, 110.0, status(500)));
    assert_eq!(freed(&h, b), vec![(268.03, FreeCause::Expiry)]);
    assert!(all_close(
        &h.sends(b, "500 Server Internal Error"),
        &[100.03]
    ));
}

#[test]
fn a_422_without_min_se_ends_the_session_or_is_ignored() {
    // bob answers alice's refresh (100.02) with a 422 that has no Min-SE;
    // alice has it at 100.04. PJSIP ends the session: BYE at 100.04. The
    // RFC and chan_sip have nothing to retry with and leave the timers as
    // they were, so bob's BYE point, 168.01, ends the call.
    let end = TimerSettings {
        on_422_without_min_se: No422MinSe::End,
        ..TimerSettings::default()
    };
    let rfc = TimerSettings::default();
    let (h, a, _) = alice_refreshes_bob(end, rfc, bob_answers(90.0, 110.0, status(422)));
    assert!(all_close(&h.sends(a, "BYE"), &[100.04]));
    assert_eq!(freed(&h, a), vec![(100.04, FreeCause::NegotiationFailed)]);
    let (h, a, b) = alice_refreshes_bob(rfc, rfc, bob_answers(90.0, 110.0, status(422)));
    assert!(all_close(&h.sends(a, "INVITE"), &[0.0, 100.02]));
    assert_eq!(freed(&h, b), vec![(168.01, FreeCause::Expiry)]);
}

#[test]
fn an_unbounded_422_loop_against_a_broken_peer_stops_at_the_safety_cap() {
    // bob answers every initial INVITE with 422 Min-SE 90, which alice's SE
    // 1800 already satisfies (a broken element). chan_sip retries without
    // limit; the simulator stops at 1,000 retries: 1,001 INVITEs, one per
    // round trip of 20 ms, the last at 20.00 s; its 422 fails the call at
    // 20.02. With 2 retries: 3 INVITEs, failure at 0.06.
    let broken = ForcedAnswer {
        min_se: Some(90),
        ..status(422)
    };
    let run = |retries| {
        let h = Harness::new(10).answering(move |_, node, msg| {
            (node.0 == 1 && msg.method() == Some(Method::Invite) && msg.to_tag.is_none())
                .then_some(broken)
        });
        let alice = TimerSettings {
            max_422_retries: retries,
            ..settings(Mode::Originate)
        };
        let (mut h, a, _) = pair(alice, settings(Mode::Accept), 100, h);
        h.run_until(at(30.0));
        (h.sends(a, "INVITE"), failed_calls(&h, a))
    };
    let (invites, failed) = run(1000);
    assert_eq!(invites.len(), 1001);
    assert!(close(invites[1000], 20.0), "{}", invites[1000]);
    assert_eq!(
        failed,
        vec![(20.02, StatusCode::SESSION_INTERVAL_TOO_SMALL)]
    );
    let (invites, failed) = run(2);
    assert_eq!(invites.len(), 3);
    assert_eq!(failed, vec![(0.06, StatusCode::SESSION_INTERVAL_TOO_SMALL)]);
}

#[test]
fn an_answer_fault_with_a_probability_hits_about_that_share_of_requests() {
    // bob answers initial INVITEs with 503 with probability 0.3; 400 calls
    // 1 s apart, each held 0.5 s. The number of 503s is Binomial(400, 0.3):
    // mean 120, σ = √(400·0.3·0.7) ≈ 9.2; the test allows ±4σ (83–157),
    // and every other call is answered 200.
    let model = super::transactions::pair(
        10,
        "",
        "horizon_s = 500\ncalls = 400\ninterval_s = 1\nholding_s = 0.5\n\n[[fault]]\nkind = \"answer\"\nnode = \"bob\"\nrequests = [\"initial_invite\"]\nstatus = 503\nprobability = 0.3",
    );
    let mut w = support::world(&model, 7, sstsim::sim::TraceFilter::All);
    w.run();
    let rejected = support::sends(&w, "bob", "503 Service Unavailable").len();
    let answered = support::sends(&w, "bob", "200 OK")
        .iter()
        .filter(|(_, _, m)| m.cseq_method == Method::Invite)
        .count();
    assert!((83..=157).contains(&rejected), "{rejected}");
    assert_eq!(rejected + answered, 400);
}

#[test]
fn a_reinvite_without_refresher_lets_the_uas_choose_or_keeps_the_roles() {
    // alice asks bob to refresh (refresher=uas, SE 200); bob himself would
    // prefer the UAC to. At 50 s alice puts the call on hold with a
    // re-INVITE that names no refresher (bob has it at 50.01, alice his 2xx
    // at 50.02). RFC 4028 Table 2 and chan_sip: bob chooses by his
    // preference, so alice refreshes, at 50.02 + 100 = 150.02. PJSIP keeps
    // the roles: bob refreshes at 50.01 + 100 = 150.01.
    let run = |unnamed| {
        let alice = TimerSettings {
            session_expires: 200,
            refresher_param: RefresherParamPref::Uas,
            ..settings(Mode::Originate)
        };
        let bob = TimerSettings {
            refresher: RefresherPref::Uac,
            refresher_without_param: unnamed,
            ..settings(Mode::Accept)
        };
        let (mut h, a, b) = pair(alice, bob, 300, Harness::new(10));
        reinvite(&mut h, at(50.0), a, ReinviteParam::None);
        h.run_until(at(160.0));
        let hold = h.sent_by(a, "INVITE")[1].msg.timer.session_expires;
        assert_eq!(hold.map(|s| (s.delta_s, s.refresher)), Some((200, None)));
        (h.sends(a, "INVITE"), h.sends(b, "INVITE"))
    };
    let (alice, bob) = run(UnnamedRefresher::Choose);
    assert!(
        all_close(&alice, &[0.0, 50.0, 150.02]) && bob.is_empty(),
        "{alice:?} {bob:?}"
    );
    let (alice, bob) = run(UnnamedRefresher::Keep);
    assert!(
        all_close(&alice, &[0.0, 50.0]) && all_close(&bob, &[150.01]),
        "{alice:?} {bob:?}"
    );
}

#[test]
fn workload_reinvites_go_at_their_times_or_rate_from_the_chosen_side() {
    // One call alice → bob over one 10 ms link: bob answers at 0.01 and
    // alice has the 2xx at 0.02, the instant re-INVITE times count from.
    // `at_s = [30, 200]` with holding 150: only the first, sent by the
    // callee at 30.02, naming no refresher.
    let model = |reinvites: &str| {
        super::transactions::pair(
            10,
            "",
            &format!("horizon_s = 400\nholding_s = 150\nreinvites = {reinvites}"),
        )
    };
    let m = model(r#"{ at_s = [30, 200], by = "callee", refresher = "none" }"#);
    let mut w = support::world(&m, 1, sstsim::sim::TraceFilter::All);
    w.run();
    let bob: Vec<_> = support::sends(&w, "bob", "INVITE");
    assert_eq!(bob.len(), 1);
    assert!(close(support::secs(bob[0].0), 30.02), "{:?}", bob[0].0);
    assert_eq!(
        bob[0].2.timer.session_expires.and_then(|s| s.refresher),
        None
    );
    // 3,600 per hour over 150 s: Poisson with mean 150 (σ ≈ 12.2); ±4σ.
    let m = model(r#"{ rate_per_h = 3600 }"#);
    let mut w = support::world(&m, 1, sstsim::sim::TraceFilter::All);
    w.run();
    let n = support::sends(&w, "alice", "INVITE").len() - 1;
    assert!((101..=199).contains(&n), "{n}");
}

#[test]
fn chan_sip_keeps_refreshing_after_a_refresh_2xx_without_session_expires() {
    // alice refreshes SE 200 (2xx at 0.02, refresh at 100.02). bob's answer
    // to it is a plain 200 OK without timer headers, as a UA without timer
    // support behind the proxy that negotiated the first interval would
    // send; alice has it at 100.04. PJSIP optional (no timer alone,
    // ST-UAC-11) stops its timer there; chan_sip keeps it (stack-profiles
    // §6) and would refresh again at 100.04 + 100 = 200.04.
    let run = |keep| {
        let alice = TimerSettings {
            uac_timer_without_se: Some(false),
            keep_timer_on_plain_2xx: keep,
            ..TimerSettings::default()
        };
        let (h, a, _) = alice_refreshes_bob(
            alice,
            TimerSettings::default(),
            bob_answers(90.0, 110.0, status(200)),
        );
        st_events(&h, a)
            .into_iter()
            .filter(|(t, _)| close(*t, 100.04))
            .map(|(_, e)| e)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(false), vec![StEvent::NoTimer]);
    assert_eq!(
        run(true),
        vec![StEvent::Negotiated {
            interval_s: 200,
            local_refresher: true
        }]
    );
}
