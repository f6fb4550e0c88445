//! Profiles head to head: each test pins a behaviour that tells products
//! apart (stack-profiles §3), with times derived by hand from the product
//! readings in `shared/spec/`. 10 ms per hop, T1 = 0.5 s.

use sstsim::session_timer::presets::profile;
use sstsim::session_timer::{Mode, RefreshMethod, TimerSettings};
use sstsim::sip::{ForcedAnswer, FreeCause, Method, StatusCode};

use super::harness::{Harness, at, close};
use super::roles::{
    all_close, failed_calls, freed, pair, through_rising_minimums, through_timer_proxy,
};

/// A profile's settings, resolved.
fn p(name: &str) -> TimerSettings {
    profile(name).expect("a profile").resolve()
}

#[test]
fn every_profile_name_of_the_issue_resolves() {
    for name in [
        "rfc4028",
        "asterisk",
        "asterisk-pjsip",
        "pjsip",
        "sofia-sip",
        "freeswitch",
        "resiprocate",
        "radvision",
    ] {
        assert!(profile(name).is_some(), "{name}");
    }
    assert!(profile("kamailio").is_none());
}

#[test]
fn sofia_sip_sends_its_bye_at_se_minus_a_tenth() {
    // alice (RFC 4028 profile) asks SE 90; sofia-sip's Min-SE is 120, so bob
    // answers 422 Min-SE 120 at 0.01; alice retries with SE 120 at 0.02 and
    // bob grants it at 0.03, making alice refresh (no parameter: the UAS
    // makes the UAC refresh). alice dies at 10 s: bob sends BYE at
    // 0.03 + 120 − min(32, 12) = 108.03 (stack-profiles §8: 108 s for SE 120).
    let alice = TimerSettings {
        session_expires: 90,
        ..p("rfc4028")
    };
    let net = Harness::new(10).losing(|t, _, _, _| t >= at(10.0));
    let (mut h, a, b) = pair(alice, p("sofia-sip"), 300, net);
    h.run_until(at(200.0));
    assert!(all_close(&h.sends(a, "INVITE")[..2], &[0.0, 0.02]));
    assert!(
        all_close(&h.sends(b, "BYE")[..1], &[108.03]),
        "{:?}",
        h.sends(b, "BYE")
    );
    assert_eq!(freed(&h, b), vec![(108.03, FreeCause::Expiry)]);
}

#[test]
fn chan_sip_drops_silently_and_the_proxy_holds_the_dialog_until_its_expiry() {
    // alice is chan_sip told to originate SE 200, bob makes her refresh;
    // from 50 s everything is lost. Her refresh at 0.04 + 100 = 100.04
    // times out at 132.04: chan_sip frees the dialog without a word, so
    // the timer-aware proxy p holds it to 0.03 + 200 = 200.03.
    let alice = TimerSettings {
        mode: Mode::Originate,
        ..p("asterisk")
    };
    let net = Harness::new(10).losing(|t, _, _, _| t >= at(50.0));
    let (mut h, a, px) = through_timer_proxy(alice, net);
    h.run_until(at(300.0));
    assert!(h.sends(a, "BYE").is_empty());
    assert_eq!(freed(&h, a), vec![(132.04, FreeCause::RefreshFailed)]);
    let f = freed(&h, px);
    assert!(f.len() == 1 && close(f[0].0, 200.03), "{f:?}");
}

#[test]
fn a_radvision_refresher_ends_the_call_itself_when_its_refresh_is_rejected() {
    // bob (RADVISION, preference DONT_CARE: the UAS refreshes) grants
    // alice's SE 300 at 0.01 and refreshes at 0.01 + 150 = 150.01; alice
    // answers 500 (a fault, 140–160 s) at 150.02. The timers run on, and
    // bob's end timer fires at 0.01 + 300 − min(32, ⌊300/3⌋) = 268.01.
    // (alice gives up only at SE, 300.02, so that the BYE reaching her at
    // 268.02 does not tie with her own point.)
    let alice = TimerSettings {
        session_expires: 300,
        expiry_guard: sstsim::session_timer::ExpiryGuard::AtExpiry,
        ..p("rfc4028")
    };
    let net = Harness::new(10).answering(|t, node, msg| {
        let reinvite = msg.method() == Some(Method::Invite) && msg.to_tag.is_some();
        (node.0 == 0 && reinvite && t >= at(140.0) && t < at(160.0)).then_some(ForcedAnswer {
            status: StatusCode::SERVER_INTERNAL_ERROR,
            min_se: None,
            retry_after_s: None,
        })
    });
    let (mut h, a, b) = pair(alice, p("radvision"), 400, net);
    h.run_until(at(300.0));
    assert!(all_close(&h.sends(b, "INVITE"), &[150.01]));
    assert!(
        all_close(&h.sends(b, "BYE"), &[268.01]),
        "{:?}",
        h.sends(b, "BYE")
    );
    assert_eq!(freed(&h, b), vec![(268.01, FreeCause::Expiry)]);
    assert_eq!(freed(&h, a), vec![(268.02, FreeCause::Bye)]);
}

#[test]
fn pjsip_fails_a_call_on_the_second_consecutive_422() {
    // alice (PJSIP, SE 90) — p (Min-SE 120) — bob (Min-SE 300): 422 from p
    // at 0.01, retry at 0.02, 422 from bob relayed to alice at 0.06. PJSIP
    // retries once: the call fails at 0.06 (stack-profiles §3 item 5). The
    // RFC profile's two retries get through: INVITE again at 0.06.
    let run = |name: &str| {
        let (h, a) = through_rising_minimums(p(name), p("rfc4028"));
        (h.sends(a, "INVITE"), failed_calls(&h, a))
    };
    let (invites, failed) = run("pjsip");
    assert!(all_close(&invites, &[0.0, 0.02]));
    assert_eq!(failed, vec![(0.06, StatusCode::SESSION_INTERVAL_TOO_SMALL)]);
    let (invites, failed) = run("rfc4028");
    assert!(all_close(&invites, &[0.0, 0.02, 0.06]) && failed.is_empty());
}

#[test]
fn update_refreshes_toward_chan_sip_work_from_pjsip_and_fail_from_sofia() {
    // bob is chan_sip, which does not list UPDATE in Allow and answers it
    // 501. alice asks SE 200 and refreshes (bob's session-refresher = uac
    // for PJSIP, which has no refresher knob; FreeSWITCH asks
    // refresher=uac itself).
    // - PJSIP reads the Allow and refreshes by re-INVITE at 0.02 + 100 =
    //   100.02 and 100.04 + 100 = 200.04: the call runs on to alice's
    //   hang-up at 250.02.
    // - FreeSWITCH with update-refresh sends UPDATE without looking, at
    //   100.02 ± 5 s in whole seconds; bob answers 501 and sends BYE at his
    //   own point, 0.01 + 200 − 32 = 168.01 (stack-profiles §3 item 7).
    let bob = TimerSettings {
        refresher: sstsim::session_timer::RefresherPref::Uac,
        ..p("asterisk")
    };
    let pjsip = TimerSettings {
        session_expires: 200,
        ..p("pjsip")
    };
    let (mut h, a, b) = pair(pjsip, bob, 250, Harness::new(10));
    h.run_until(at(300.0));
    assert!(
        all_close(&h.sends(a, "INVITE"), &[0.0, 100.02, 200.04]) && h.sends(a, "UPDATE").is_empty()
    );
    assert_eq!(freed(&h, b), vec![(250.03, FreeCause::Bye)]);
    let freeswitch = TimerSettings {
        session_expires: 200,
        refresh_method: RefreshMethod::Update,
        ..p("freeswitch")
    };
    let (mut h, a, b) = pair(freeswitch, bob, 250, Harness::new(10));
    h.run_until(at(300.0));
    let updates = h.sends(a, "UPDATE");
    assert!(
        updates.len() == 1 && (95.02..=105.02).contains(&updates[0]),
        "{updates:?}"
    );
    assert_eq!(h.sends(b, "501 Method Not Implemented").len(), 1);
    assert_eq!(freed(&h, b), vec![(168.01, FreeCause::Expiry)]);
}

#[test]
fn chan_sip_words_its_420_and_501_its_own_way() {
    // spec §4.1: refuse mode answers `Require: timer` with
    // `420 Option Disabled`; stack-profiles §6 (measured): UPDATE gets
    // `501 Method Not Implemented`. The RFC profile says `420 Bad
    // Extension`. alice requires timers (Require: timer) of bob.
    let alice = TimerSettings {
        require_timer: true,
        ..p("rfc4028")
    };
    let refuse = |name: &str| TimerSettings {
        mode: Mode::Refuse,
        ..p(name)
    };
    let (mut h, _, b) = pair(alice, refuse("asterisk"), 10, Harness::new(10));
    h.run_until(at(1.0));
    assert!(all_close(&h.sends(b, "420 Option Disabled"), &[0.01]));
    let (mut h, _, b) = pair(alice, refuse("rfc4028"), 10, Harness::new(10));
    h.run_until(at(1.0));
    assert!(all_close(&h.sends(b, "420 Bad Extension"), &[0.01]));
}

#[test]
fn resiprocate_keeps_a_peer_without_timers_alive_with_options() {
    // alice (reSIProcate, SE 200) calls bob, who refuses timers: she
    // refreshes alone (no SE in the 2xx: self-refresh), and toward a peer
    // that never showed `timer` with OPTIONS (`sessionRefresh`): at 0.02 +
    // 100 = 100.02; bob's 200 reaches her at 100.04 and renews the timer,
    // so the next goes at 200.04. From 150 s everything is lost: that
    // OPTIONS times out at 200.04 + 32 = 232.04 and she ends the call with
    // BYE. Without the OPTIONS rule she would refresh by UPDATE (bob's
    // Allow lists it).
    let alice = |options| TimerSettings {
        session_expires: 200,
        options_to_unsupported: options,
        ..p("resiprocate")
    };
    let bob = TimerSettings {
        mode: Mode::Refuse,
        ..p("rfc4028")
    };
    let first_copies = |h: &Harness, a, label| -> Vec<f64> {
        h.sent_by(a, label)
            .iter()
            .filter(|s| !s.msg.retransmission)
            .map(|s| s.t.as_secs_f64())
            .collect()
    };
    let net = Harness::new(10).losing(|t, _, _, _| t >= at(150.0));
    let (mut h, a, _) = pair(alice(true), bob, 400, net);
    h.run_until(at(300.0));
    assert!(all_close(
        &first_copies(&h, a, "OPTIONS"),
        &[100.02, 200.04]
    ));
    assert!(h.sends(a, "UPDATE").is_empty());
    assert_eq!(freed(&h, a), vec![(232.04, FreeCause::RefreshFailed)]);
    let (mut h, a, _) = pair(alice(false), bob, 400, Harness::new(10));
    h.run_until(at(150.0));
    assert!(
        all_close(&first_copies(&h, a, "UPDATE"), &[100.02]) && h.sends(a, "OPTIONS").is_empty()
    );
}

#[test]
fn sofia_sip_and_pjsip_put_a_reason_on_their_own_byes() {
    // As in the test above, sofia-sip's non-refresher BYE goes at 108.03
    // and carries Reason 408 "Session timeout" (stack-profiles §8); a PJSIP
    // callee sends "No session refresh received." (§7); the RFC profile
    // sends none.
    use sstsim::sip::status::ByeReason;
    for (callee, want) in [
        ("sofia-sip", Some(ByeReason::SessionTimeout)),
        ("pjsip", Some(ByeReason::NoSessionRefresh)),
        ("rfc4028", None),
    ] {
        let alice = TimerSettings {
            session_expires: 120,
            ..p("rfc4028")
        };
        let bob = TimerSettings {
            refresher: sstsim::session_timer::RefresherPref::Uac,
            ..p(callee)
        };
        let net = Harness::new(10).losing(|t, _, _, _| t >= at(10.0));
        let (mut h, _, b) = pair(alice, bob, 300, net);
        h.run_until(at(200.0));
        let byes = h.sent_by(b, "BYE");
        assert!(!byes.is_empty(), "{callee}");
        assert_eq!(byes[0].msg.reason, want, "{callee}");
    }
    assert_eq!(
        ByeReason::SessionTimeout.text(),
        "SIP;cause=408;text=\"Session timeout\""
    );
}
