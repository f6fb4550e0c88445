//! One test per RFC 4028 rule id of `shared/spec/session-timers.md`
//! (ST-UAC, ST-PROXY, ST-UAS, ST-REFRESH, ST-EXPIRE), over the pure
//! negotiation and policy functions. Rules about run-time behaviour are also
//! covered end to end in `session_timers.rs`, under the same names.

use sstsim::engine::SimDuration;
use sstsim::session_timer::negotiation::{uac_on_2xx, uac_request, uas_decide};
use sstsim::session_timer::policy::{expiry_delay, refresh_delay};
use sstsim::session_timer::proxy::{proxy_request, proxy_response};
use sstsim::session_timer::{
    ExpiryGuard, Mode, Negotiated, Party, ProxyDecision, ProxyInsertedSe, ProxyMemo, ProxyRules,
    ProxyTimerConfig, RefresherPref, Rounding, SendMinSe, SmallSe, TimerSettings, UacMemory,
    UasDecision,
};
use sstsim::sip::message::{RefresherParam, SessionExpires, TimerHeaders};

fn settings(mode: Mode) -> TimerSettings {
    TimerSettings {
        mode,
        ..TimerSettings::default()
    }
}

fn se(delta_s: u32, refresher: Option<RefresherParam>) -> Option<SessionExpires> {
    Some(SessionExpires { delta_s, refresher })
}

fn supported() -> TimerHeaders {
    TimerHeaders {
        supported_timer: true,
        ..TimerHeaders::default()
    }
}

fn accept(d: UasDecision) -> (TimerHeaders, Option<Negotiated>) {
    match d {
        UasDecision::Accept { headers, timer } => (headers, timer),
        other => panic!("expected a 2xx, got {other:?}"),
    }
}

const NONE: Option<RefresherParam> = None;
const UAC: Option<RefresherParam> = Some(RefresherParam::Uac);
const UAS: Option<RefresherParam> = Some(RefresherParam::Uas);

fn active(interval_s: u32, refresher: Party) -> UacMemory {
    UacMemory {
        active: Some(Negotiated {
            interval_s,
            refresher,
        }),
        ..UacMemory::default()
    }
}

// ---- UAC: initial request (§7.1) ----

#[test]
fn st_uac_1_supported_timer_on_every_request_unless_refusing() {
    for mode in [Mode::Accept, Mode::Originate] {
        let s = settings(mode);
        assert!(uac_request(&s, &UacMemory::default()).supported_timer);
        assert!(
            uac_request(&requiring(&s), &UacMemory::default()).supported_timer,
            "also with Require"
        );
        assert!(uac_request(&s, &active(600, Party::Peer)).supported_timer);
    }
    assert!(!uac_request(&settings(Mode::Refuse), &UacMemory::default()).supported_timer);
}

#[test]
fn st_uac_2_require_timer_only_when_configured_and_it_does_not_pick_the_refresher() {
    let s = settings(Mode::Originate);
    assert!(!uac_request(&s, &UacMemory::default()).require_timer);
    let req = uac_request(&requiring(&s), &UacMemory::default());
    assert!(req.require_timer && req.supported_timer);
    // The UAS still applies its own preference (row 4): Require does not make it refresh.
    let uas = TimerSettings {
        refresher: RefresherPref::Uac,
        ..settings(Mode::Accept)
    };
    let (_, timer) = accept(uas_decide(&uas, &req));
    assert_eq!(timer.unwrap().refresher, Party::Peer);
}

#[test]
fn st_uac_3_min_se_in_the_initial_invite() {
    let mut s = settings(Mode::Originate);
    s.send_min_se = SendMinSe::Always;
    assert_eq!(uac_request(&s, &UacMemory::default()).min_se, Some(90));
    s.send_min_se = SendMinSe::WhenSet;
    assert_eq!(
        uac_request(&s, &UacMemory::default()).min_se,
        None,
        "90 is implied"
    );
    s.min_se = 120;
    assert_eq!(uac_request(&s, &UacMemory::default()).min_se, Some(120));
}

#[test]
fn st_uac_4_session_expires_is_at_least_min_se() {
    let s = TimerSettings {
        session_expires: 1800,
        min_se: 120,
        send_min_se: SendMinSe::Always,
        ..settings(Mode::Originate)
    };
    let req = uac_request(&s, &UacMemory::default());
    assert_eq!(
        (req.session_expires.unwrap().delta_s, req.min_se),
        (1800, Some(120))
    );
    let mem = UacMemory {
        learned_min_se: Some(2400),
        ..UacMemory::default()
    };
    let req = uac_request(&s, &mem);
    assert_eq!(
        (req.session_expires.unwrap().delta_s, req.min_se),
        (2400, Some(2400))
    );
}

#[test]
fn st_uac_5_initial_request_leaves_the_refresher_out() {
    let req = uac_request(&settings(Mode::Originate), &UacMemory::default());
    assert_eq!(req.session_expires, se(1800, NONE));
    // accept never asks (Asterisk): no Session-Expires at all.
    assert_eq!(
        uac_request(&settings(Mode::Accept), &UacMemory::default()).session_expires,
        None
    );
}

#[test]
fn st_uac_6_after_420_the_retry_drops_require() {
    let mem = UacMemory {
        drop_require: true,
        ..UacMemory::default()
    };
    let req = uac_request(&requiring(&settings(Mode::Originate)), &mem);
    assert!(!req.require_timer && req.supported_timer);
}

// ---- UAC: 2xx (§7.2) ----

#[test]
fn st_uac_7_each_dialog_keeps_its_own_timer_and_may_have_none() {
    let s = settings(Mode::Accept);
    let sent = uac_request(&s, &UacMemory::default());
    let a = uac_on_2xx(
        &s,
        &sent,
        &TimerHeaders {
            session_expires: se(600, UAC),
            ..supported()
        },
    );
    let b = uac_on_2xx(&s, &sent, &supported());
    assert_eq!(
        a,
        Some(Negotiated {
            interval_s: 600,
            refresher: Party::Local
        })
    );
    assert_eq!(b, None, "a forked 2xx without SE: that dialog has no timer");
}

#[test]
fn st_uac_8_require_timer_in_the_2xx_means_session_expires_is_processed() {
    let s = settings(Mode::Accept);
    let resp = TimerHeaders {
        session_expires: se(900, UAC),
        require_timer: true,
        ..supported()
    };
    assert_eq!(
        uac_on_2xx(&s, &supported(), &resp),
        Some(Negotiated {
            interval_s: 900,
            refresher: Party::Local
        })
    );
}

#[test]
fn st_uac_9_session_expires_in_a_2xx_is_accepted_even_if_not_requested() {
    let s = settings(Mode::Accept);
    let sent = uac_request(&s, &UacMemory::default());
    assert_eq!(sent.session_expires, None);
    let uas_refreshes = TimerHeaders {
        session_expires: se(1800, UAS),
        ..supported()
    };
    assert_eq!(
        uac_on_2xx(&s, &sent, &uas_refreshes),
        Some(Negotiated {
            interval_s: 1800,
            refresher: Party::Peer
        })
    );
    let uac_refreshes = TimerHeaders {
        session_expires: se(1800, UAC),
        ..supported()
    };
    assert_eq!(
        uac_on_2xx(&s, &sent, &uac_refreshes).unwrap().refresher,
        Party::Local,
        "uac means self"
    );
}

#[test]
fn st_uac_10_originate_refreshes_alone_when_the_2xx_has_no_timer() {
    let s = settings(Mode::Originate);
    let sent = uac_request(&s, &UacMemory::default());
    let plain = TimerHeaders::default();
    assert_eq!(
        uac_on_2xx(&s, &sent, &plain),
        Some(Negotiated {
            interval_s: 1800,
            refresher: Party::Local
        })
    );
}

#[test]
fn uac_timer_without_se_overrides_the_mode() {
    // PJSIP `optional` asks but never runs a timer alone: originate with the
    // key off gets no timer from a plain 2xx; the key on keeps ST-UAC-10.
    let off = TimerSettings {
        uac_timer_without_se: Some(false),
        ..settings(Mode::Originate)
    };
    let sent = uac_request(&off, &UacMemory::default());
    assert_eq!(sent.session_expires.map(|s| s.delta_s), Some(1800));
    assert_eq!(uac_on_2xx(&off, &sent, &TimerHeaders::default()), None);
    let on = TimerSettings {
        uac_timer_without_se: Some(true),
        ..off
    };
    assert_eq!(
        uac_on_2xx(&on, &sent, &TimerHeaders::default()),
        Some(Negotiated {
            interval_s: 1800,
            refresher: Party::Local
        })
    );
}

#[test]
fn st_uac_11_any_other_2xx_without_session_expires_means_no_timer() {
    let s = settings(Mode::Accept);
    let sent = uac_request(&s, &UacMemory::default());
    assert_eq!(uac_on_2xx(&s, &sent, &supported()), None);
    // A refresh 2xx without SE switches an active timer off (accept mode).
    let sent = uac_request(&s, &active(600, Party::Local));
    assert!(sent.session_expires.is_some());
    assert_eq!(uac_on_2xx(&s, &sent, &supported()), None);
}

#[test]
fn st_uac_12_refresh_at_half_the_interval() {
    assert_eq!(
        refresh_delay(1800, 0.5, Rounding::Exact),
        SimDuration::from_secs(900)
    );
    assert_eq!(
        refresh_delay(90, 0.5, Rounding::Exact),
        SimDuration::from_secs(45)
    );
    assert_eq!(
        refresh_delay(4000, 0.5, Rounding::Exact),
        SimDuration::from_secs(2000)
    );
    assert_eq!(
        refresh_delay(1000, 0.25, Rounding::Exact),
        SimDuration::from_secs(250)
    );
}

#[test]
fn st_uac_14_a_retry_after_422_asks_again_with_the_learned_minimum() {
    // The retry's SE and Min-SE; its new CSeq and From tag are checked end to end.
    let s = TimerSettings {
        session_expires: 90,
        ..settings(Mode::Originate)
    };
    let first = uac_request(&s, &UacMemory::default());
    assert_eq!(first.session_expires.unwrap().delta_s, 90);
    let mem = UacMemory {
        learned_min_se: Some(120),
        requested_se: Some(90),
        ..UacMemory::default()
    };
    let retry = uac_request(&s, &mem);
    assert_eq!(
        (retry.session_expires.unwrap().delta_s, retry.min_se),
        (120, Some(120))
    );
}

#[test]
fn st_uac_15_the_retry_carries_min_se_and_se_at_least_that() {
    // accept mode never asked, but after a 422 the retry must carry both.
    let mem = UacMemory {
        learned_min_se: Some(300),
        ..UacMemory::default()
    };
    let retry = uac_request(&settings(Mode::Accept), &mem);
    assert_eq!(
        (retry.session_expires.unwrap().delta_s, retry.min_se),
        (300, Some(300))
    );
    // SE = max(old SE, MSE).
    let mem = UacMemory {
        learned_min_se: Some(300),
        requested_se: Some(1800),
        ..UacMemory::default()
    };
    assert_eq!(
        uac_request(&settings(Mode::Originate), &mem)
            .session_expires
            .unwrap()
            .delta_s,
        1800
    );
}

#[test]
fn st_uac_16_refreshes_repeat_the_initial_supported_and_require() {
    let s = settings(Mode::Originate);
    let initial = uac_request(&requiring(&s), &UacMemory::default());
    let mut mem = active(1800, Party::Local);
    let refresh = uac_request(&requiring(&s), &mem);
    assert_eq!(
        (refresh.supported_timer, refresh.require_timer),
        (initial.supported_timer, initial.require_timer)
    );
    mem.drop_require = true;
    assert!(!uac_request(&requiring(&s), &mem).require_timer);
}

#[test]
fn st_uac_17_min_se_is_the_largest_learned_value_never_below_ours() {
    let s = TimerSettings {
        min_se: 120,
        ..settings(Mode::Originate)
    };
    let mut mem = active(1800, Party::Local);
    mem.learned_min_se = Some(150);
    assert_eq!(uac_request(&s, &mem).min_se, Some(150));
    mem.learned_min_se = Some(100);
    assert_eq!(
        uac_request(&s, &mem).min_se,
        Some(120),
        "raised to our own minimum [MAY]"
    );
    let plain = settings(Mode::Originate);
    assert_eq!(
        uac_request(&plain, &active(1800, Party::Local)).min_se,
        None
    );
}

#[test]
fn st_uac_18_refresh_session_expires_is_max_of_min_se_and_interval() {
    let s = settings(Mode::Accept);
    assert_eq!(
        uac_request(&s, &active(300, Party::Local))
            .session_expires
            .unwrap()
            .delta_s,
        300
    );
    let mut mem = active(300, Party::Local);
    mem.learned_min_se = Some(400);
    assert_eq!(uac_request(&s, &mem).session_expires.unwrap().delta_s, 400);
}

#[test]
fn st_uac_19_the_refresher_parameter_keeps_roles_stable() {
    let s = settings(Mode::Accept);
    assert_eq!(
        uac_request(&s, &active(600, Party::Local)).session_expires,
        se(600, UAC)
    );
    assert_eq!(
        uac_request(&s, &active(600, Party::Peer)).session_expires,
        se(600, UAS)
    );
}

// ---- Proxy (§8) ----

const P120: ProxyTimerConfig = ProxyTimerConfig {
    ceiling: None,
    min_se: 120,
    floor_s: 90,
    ..ProxyTimerConfig::RFC
};

fn forward(cfg: &ProxyTimerConfig, req: &mut TimerHeaders) -> ProxyMemo {
    match proxy_request(cfg, req) {
        ProxyDecision::Forward(m) => m,
        other => panic!("expected forwarding, got {other:?}"),
    }
}

#[test]
fn st_proxy_1_a_stateless_proxy_never_requests_a_timer() {
    let model = super::proxies::model("stateful = \"none\"\ntimers = true");
    let e = sstsim::scenario::model_from_str("m.toml", &model)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("a stateless proxy never requests a timer"),
        "{e}"
    );
    // A transaction-stateful proxy may.
    assert!(
        sstsim::scenario::model_from_str("m.toml", &model.replace("\"none\"", "\"transaction\""))
            .is_ok()
    );
}

#[test]
fn st_proxy_2_initial_and_subsequent_refreshes_are_processed_alike() {
    let cfg = ProxyTimerConfig {
        ceiling: Some(300),
        min_se: 90,
        floor_s: 90,
        ..ProxyTimerConfig::RFC
    };
    let mut initial = TimerHeaders {
        session_expires: se(1800, NONE),
        ..supported()
    };
    let mut refresh = TimerHeaders {
        session_expires: se(1800, UAC),
        ..supported()
    };
    forward(&cfg, &mut initial);
    forward(&cfg, &mut refresh);
    assert_eq!(initial.session_expires.unwrap().delta_s, 300);
    assert_eq!(refresh.session_expires.unwrap().delta_s, 300);
}

#[test]
fn st_proxy_3_inserts_session_expires_but_never_a_refresher() {
    let mut req = supported();
    forward(
        &ProxyTimerConfig {
            ceiling: Some(600),
            min_se: 90,
            floor_s: 90,
            ..ProxyTimerConfig::RFC
        },
        &mut req,
    );
    assert_eq!(req.session_expires, se(600, NONE));
    let mut req = supported();
    forward(
        &ProxyTimerConfig {
            ceiling: None,
            min_se: 90,
            floor_s: 90,
            ..ProxyTimerConfig::RFC
        },
        &mut req,
    );
    assert_eq!(
        req.session_expires,
        se(1800, NONE),
        "an inserter should not go below 1800"
    );
    let mut req = TimerHeaders {
        session_expires: se(900, UAS),
        ..supported()
    };
    forward(
        &ProxyTimerConfig {
            ceiling: None,
            min_se: 90,
            floor_s: 90,
            ..ProxyTimerConfig::RFC
        },
        &mut req,
    );
    assert_eq!(req.session_expires, se(900, UAS), "refresher untouched");
}

#[test]
fn st_proxy_4_lowers_but_not_below_min_se() {
    let cfg = ProxyTimerConfig {
        ceiling: Some(300),
        min_se: 90,
        floor_s: 90,
        ..ProxyTimerConfig::RFC
    };
    let mut req = TimerHeaders {
        session_expires: se(1800, NONE),
        ..supported()
    };
    forward(&cfg, &mut req);
    assert_eq!(req.session_expires.unwrap().delta_s, 300);
    let mut req = TimerHeaders {
        session_expires: se(1800, NONE),
        min_se: Some(600),
        ..supported()
    };
    forward(&cfg, &mut req);
    assert_eq!(
        req.session_expires.unwrap().delta_s,
        600,
        "never below the request's Min-SE"
    );
    let mut req = TimerHeaders {
        session_expires: se(200, NONE),
        ..supported()
    };
    forward(&cfg, &mut req);
    assert_eq!(
        req.session_expires.unwrap().delta_s,
        200,
        "never raised when SE ≥ MSE"
    );
}

#[test]
fn st_proxy_5_rejects_a_too_small_interval_with_422_when_supported() {
    let mut req = TimerHeaders {
        session_expires: se(90, NONE),
        ..supported()
    };
    assert_eq!(
        proxy_request(&P120, &mut req),
        ProxyDecision::Reject422 {
            min_se: Some(120),
            then_forward: false
        }
    );
    let low = ProxyTimerConfig {
        ceiling: None,
        min_se: 30,
        floor_s: 90,
        ..ProxyTimerConfig::RFC
    };
    let mut req = TimerHeaders {
        session_expires: se(60, NONE),
        ..supported()
    };
    assert_eq!(
        proxy_request(&low, &mut req),
        ProxyDecision::Reject422 {
            min_se: Some(90),
            then_forward: false
        },
        "Min-SE ≥ 90"
    );
}

#[test]
fn st_proxy_6_without_supported_raises_min_se_and_session_expires() {
    let mut req = TimerHeaders {
        session_expires: se(90, NONE),
        ..TimerHeaders::default()
    };
    forward(&P120, &mut req);
    assert_eq!(
        (req.session_expires.unwrap().delta_s, req.min_se),
        (120, Some(120))
    );
    let mut req = TimerHeaders {
        session_expires: se(100, NONE),
        min_se: Some(100),
        ..TimerHeaders::default()
    };
    forward(
        &ProxyTimerConfig {
            ceiling: None,
            min_se: 150,
            floor_s: 90,
            ..ProxyTimerConfig::RFC
        },
        &mut req,
    );
    assert_eq!(
        (req.session_expires.unwrap().delta_s, req.min_se),
        (150, Some(150))
    );
    let mut req = TimerHeaders {
        session_expires: se(100, NONE),
        min_se: Some(200),
        ..TimerHeaders::default()
    };
    forward(&P120, &mut req);
    assert_eq!(req.min_se, Some(200), "never lowered");
}

#[test]
fn st_proxy_7_never_modifies_min_se_when_supported() {
    let mut req = TimerHeaders {
        session_expires: se(1800, NONE),
        ..supported()
    };
    forward(&P120, &mut req);
    assert_eq!(req.min_se, None);
    let mut req = TimerHeaders {
        session_expires: se(100, NONE),
        min_se: Some(100),
        ..supported()
    };
    assert!(matches!(
        proxy_request(&P120, &mut req),
        ProxyDecision::Reject422 { .. }
    ));
    assert_eq!(req.min_se, Some(100), "422 instead of rewriting");
}

#[test]
fn st_proxy_8_remembers_what_it_forwarded_and_whether_the_uac_supports() {
    let mut req = TimerHeaders {
        session_expires: se(1800, NONE),
        ..supported()
    };
    let memo = forward(
        &ProxyTimerConfig {
            ceiling: Some(600),
            min_se: 90,
            floor_s: 90,
            ..ProxyTimerConfig::RFC
        },
        &mut req,
    );
    assert_eq!(
        memo,
        ProxyMemo {
            requested: true,
            inserted: false,
            forwarded_se: 600,
            interval: 600,
            uac_supported: true,
            arrived_se: Some(1800),
        }
    );
    let mut plain = TimerHeaders::default();
    assert!(!forward(&P120, &mut plain).uac_supported);
}

#[test]
fn st_proxy_9_never_adds_require_timer() {
    let mut req = TimerHeaders::default();
    forward(&P120, &mut req);
    assert!(!req.require_timer);
}

#[test]
fn st_proxy_10_no_timer_when_neither_ua_supports() {
    let memo = ProxyMemo {
        requested: true,
        inserted: true,
        forwarded_se: 1800,
        interval: 1800,
        uac_supported: false,
        arrived_se: None,
    };
    let mut resp = TimerHeaders::default();
    assert_eq!(proxy_response(&ProxyRules::RFC, &memo, &mut resp), None);
    assert_eq!(resp, TimerHeaders::default(), "forwarded unchanged");
}

#[test]
fn st_proxy_11_first_aware_proxy_puts_the_timer_in_the_2xx_for_the_uac() {
    let memo = ProxyMemo {
        requested: true,
        inserted: false,
        forwarded_se: 1800,
        interval: 1800,
        uac_supported: true,
        arrived_se: Some(1800),
    };
    let mut resp = TimerHeaders::default();
    assert_eq!(
        proxy_response(&ProxyRules::RFC, &memo, &mut resp),
        Some(1800)
    );
    assert_eq!(resp.session_expires, se(1800, UAC));
    assert!(resp.require_timer);
}

#[test]
fn st_proxy_12_a_2xx_with_session_expires_passes_unchanged() {
    let memo = ProxyMemo {
        requested: true,
        inserted: false,
        forwarded_se: 1800,
        interval: 1800,
        uac_supported: true,
        arrived_se: Some(1800),
    };
    let mut resp = TimerHeaders {
        session_expires: se(600, UAS),
        require_timer: true,
        ..supported()
    };
    let before = resp;
    assert_eq!(
        proxy_response(&ProxyRules::RFC, &memo, &mut resp),
        Some(600)
    );
    assert_eq!(resp, before);
}

// ST-PROXY-14 needs a run: see session_timers.rs.

// ---- UAS (§9) ----

#[test]
fn st_uas_1_422_below_the_own_minimum_when_the_uac_supports() {
    let s = TimerSettings {
        min_se: 300,
        session_expires: 1800,
        ..settings(Mode::Accept)
    };
    let req = TimerHeaders {
        session_expires: se(120, NONE),
        ..supported()
    };
    assert_eq!(uas_decide(&s, &req), UasDecision::Reject422 { min_se: 300 });
}

#[test]
fn st_uas_2_copies_se_may_lower_never_below_mse_never_raises() {
    let s = TimerSettings {
        session_expires: 600,
        ..settings(Mode::Accept)
    };
    let (h, _) = accept(uas_decide(
        &s,
        &TimerHeaders {
            session_expires: se(1800, NONE),
            ..supported()
        },
    ));
    assert_eq!(h.session_expires.unwrap().delta_s, 600, "lowered");
    let (h, _) = accept(uas_decide(
        &s,
        &TimerHeaders {
            session_expires: se(300, NONE),
            ..supported()
        },
    ));
    assert_eq!(h.session_expires.unwrap().delta_s, 300, "never raised");
    let req = TimerHeaders {
        session_expires: se(1800, NONE),
        min_se: Some(900),
        ..supported()
    };
    let (h, _) = accept(uas_decide(&s, &req));
    assert_eq!(
        h.session_expires.unwrap().delta_s,
        900,
        "never below the request's Min-SE"
    );
}

#[test]
fn st_uas_3_supported_without_se_may_get_a_timer_at_least_mse() {
    let s = TimerSettings {
        session_expires: 600,
        ..settings(Mode::Accept)
    };
    let (h, t) = accept(uas_decide(&s, &supported()));
    assert_eq!(h.session_expires.unwrap().delta_s, 600);
    assert!(t.is_some());
    let (h, _) = accept(uas_decide(
        &s,
        &TimerHeaders {
            min_se: Some(1000),
            ..supported()
        },
    ));
    assert_eq!(h.session_expires.unwrap().delta_s, 1000);
}

#[test]
fn an_accepting_uas_can_wait_to_be_asked() {
    // `Supported: timer` and no SE: chan_sip accept starts a timer (SE 600
    // here, refresher uas, ST-UAS-3); PJSIP optional and sofia-sip do not:
    // the 2xx has `Supported: timer` and no Session-Expires.
    let wait = TimerSettings {
        session_expires: 600,
        uas_timer_without_se: false,
        ..settings(Mode::Accept)
    };
    let (h, t) = accept(uas_decide(&wait, &supported()));
    assert_eq!((h.session_expires, t), (None, None));
    assert!(h.supported_timer);
    // Asked with SE 900, it grants min(900, 600) = 600 as before.
    let (h, t) = accept(uas_decide(
        &wait,
        &TimerHeaders {
            session_expires: se(900, None),
            ..supported()
        },
    ));
    assert_eq!(h.session_expires.map(|s| s.delta_s), Some(600));
    assert!(t.is_some());
    // PJSIP optional offers a timer as UAC (originate) yet starts none as
    // UAS for a request without SE (`pjsip_timer_process_req`: off unless
    // REQUIRE or ALWAYS), for callers with or without `timer`. With the
    // default (chan_sip originate) it starts SE 600 in both cases.
    let pjsip = TimerSettings {
        mode: Mode::Originate,
        ..wait
    };
    assert_eq!(accept(uas_decide(&pjsip, &supported())).1, None);
    assert_eq!(accept(uas_decide(&pjsip, &TimerHeaders::default())).1, None);
    let chan_sip = TimerSettings {
        uas_timer_without_se: true,
        ..pjsip
    };
    let (h, _) = accept(uas_decide(&chan_sip, &supported()));
    assert_eq!(h.session_expires.map(|s| s.delta_s), Some(600));
    let (h, _) = accept(uas_decide(&chan_sip, &TimerHeaders::default()));
    assert_eq!(h.session_expires.map(|s| s.delta_s), Some(600));
}

#[test]
fn how_far_a_uas_lowers_the_requests_se() {
    // Own SE 600. A request with SE 900 and Min-SE 90: the RFC and chan_sip
    // grant min(900, 600) = 600; PJSIP and reSIProcate never lower: 900.
    // With Min-SE 700 (above the own 600): the RFC grants
    // min(900, max(600, 700)) = 700; chan_sip keeps the request's 900
    // (`handle_request_invite_st`).
    use sstsim::session_timer::LowerSe;
    let run = |lower, min_se| {
        let s = TimerSettings {
            session_expires: 600,
            lower_se: lower,
            ..settings(Mode::Accept)
        };
        let req = TimerHeaders {
            session_expires: se(900, None),
            min_se: Some(min_se),
            ..supported()
        };
        accept(uas_decide(&s, &req)).1.map(|n| n.interval_s)
    };
    assert_eq!(run(LowerSe::ToOwn, 90), Some(600));
    assert_eq!(run(LowerSe::ToOwnIfAboveMinSe, 90), Some(600));
    assert_eq!(run(LowerSe::Never, 90), Some(900));
    assert_eq!(run(LowerSe::ToOwn, 700), Some(700));
    assert_eq!(run(LowerSe::ToOwnIfAboveMinSe, 700), Some(900));
    assert_eq!(run(LowerSe::Never, 700), Some(900));
}

#[test]
fn a_uas_may_accept_a_small_se_and_pick_the_uac_only_when_it_asked() {
    use sstsim::session_timer::SmallSeSupported;
    // Own Min-SE 300; a caller with `timer` asks SE 120: 422 Min-SE 300
    // (ST-UAS-1), or reSIProcate grants 120 as it is.
    let small = |policy| TimerSettings {
        min_se: 300,
        small_se_supported: policy,
        ..settings(Mode::Accept)
    };
    let req = TimerHeaders {
        session_expires: se(120, None),
        ..supported()
    };
    assert_eq!(
        uas_decide(&small(SmallSeSupported::Reject), &req),
        UasDecision::Reject422 { min_se: 300 }
    );
    let (_, t) = accept(uas_decide(&small(SmallSeSupported::Accept), &req));
    assert_eq!(t.map(|n| n.interval_s), Some(120));
    // PJSIP picks the UAC when it sent SE, else itself (ALWAYS mode runs a
    // timer without SE): refresher=uac, then refresher=uas.
    let pjsip = TimerSettings {
        refresher: RefresherPref::UacWhenAsked,
        ..settings(Mode::Originate)
    };
    let asked = TimerHeaders {
        session_expires: se(1800, None),
        ..supported()
    };
    let param = |r: &TimerHeaders| {
        accept(uas_decide(&pjsip, r))
            .0
            .session_expires
            .and_then(|s| s.refresher)
    };
    assert_eq!(param(&asked), UAC);
    assert_eq!(param(&supported()), UAS);
}

#[test]
fn a_proxy_inserted_se_is_honoured_ignored_or_replaced() {
    // No `Supported: timer`, SE 100 inserted by a proxy; the UAS's minimum
    // is 120 and its own interval 1800.
    let inserted = |delta_s| TimerHeaders {
        session_expires: se(delta_s, None),
        ..TimerHeaders::default()
    };
    let uas = |mode, policy, small| TimerSettings {
        min_se: 120,
        proxy_inserted_se: policy,
        small_se_unsupported: small,
        ..settings(mode)
    };
    let interval = |d: UasDecision| match d {
        UasDecision::Accept { headers, timer } => {
            assert_eq!(timer.map(|t| t.refresher), timer.map(|_| Party::Local));
            timer.map(|t| (t.interval_s, headers.session_expires.unwrap().refresher))
        }
        other => panic!("{other:?}"),
    };
    let honour = Some(ProxyInsertedSe::Honour);
    // Honoured, too small: raised to 120 (erratum 1687, the default), used
    // as is (RFC), or refused with 422 Min-SE 120 (RADVISION, PJSIP).
    for (small, want) in [(SmallSe::Raise, 120), (SmallSe::Accept, 100)] {
        let d = uas_decide(&uas(Mode::Accept, honour, small), &inserted(100));
        assert_eq!(interval(d), Some((want, UAS)), "{small:?}");
    }
    assert_eq!(
        uas_decide(&uas(Mode::Accept, honour, SmallSe::Reject), &inserted(100)),
        UasDecision::Reject422 { min_se: 120 }
    );
    // Honoured at 600: min(600, 1800) = 600, refreshed by the UAS (row 1).
    let d = uas_decide(&uas(Mode::Accept, honour, SmallSe::Raise), &inserted(600));
    assert_eq!(interval(d), Some((600, UAS)));
    // Ignored (chan_sip, the accept default): no timer; replaced
    // (reSIProcate): its own 1800.
    for policy in [Some(ProxyInsertedSe::Ignore), None] {
        let d = uas_decide(&uas(Mode::Accept, policy, SmallSe::Raise), &inserted(600));
        assert_eq!(interval(d), None, "{policy:?}");
    }
    let d = uas_decide(
        &uas(Mode::Accept, Some(ProxyInsertedSe::Replace), SmallSe::Raise),
        &inserted(600),
    );
    assert_eq!(interval(d), Some((1800, UAS)));
}

#[test]
fn st_uas_4_without_support_originate_runs_the_timer_alone() {
    let (h, t) = accept(uas_decide(
        &settings(Mode::Originate),
        &TimerHeaders::default(),
    ));
    assert_eq!(h.session_expires, se(1800, UAS));
    assert!(!h.require_timer, "row 1: the UAC cannot use Require");
    assert_eq!(
        t,
        Some(Negotiated {
            interval_s: 1800,
            refresher: Party::Local
        })
    );
    let (h, t) = accept(uas_decide(
        &settings(Mode::Accept),
        &TimerHeaders::default(),
    ));
    assert_eq!((h.session_expires, t), (None, None), "accept: no timer");
}

#[test]
fn st_uas_5_refresher_follows_the_table_and_never_overrides_the_uac() {
    let pref = |r| TimerSettings {
        refresher: r,
        ..settings(Mode::Accept)
    };
    // Row 4: the UAC left the choice to us.
    let row4 = TimerHeaders {
        session_expires: se(1800, NONE),
        ..supported()
    };
    assert_eq!(
        accept(uas_decide(&pref(RefresherPref::Uac), &row4))
            .0
            .session_expires,
        se(1800, UAC)
    );
    assert_eq!(
        accept(uas_decide(&pref(RefresherPref::Uas), &row4))
            .0
            .session_expires,
        se(1800, UAS)
    );
    // Rows 5 and 6: the UAC chose.
    let row5 = TimerHeaders {
        session_expires: se(1800, UAC),
        ..supported()
    };
    assert_eq!(
        accept(uas_decide(&pref(RefresherPref::Uas), &row5))
            .1
            .unwrap()
            .refresher,
        Party::Peer
    );
    let row6 = TimerHeaders {
        session_expires: se(1800, UAS),
        ..supported()
    };
    assert_eq!(
        accept(uas_decide(&pref(RefresherPref::Uac), &row6))
            .1
            .unwrap()
            .refresher,
        Party::Local
    );
}

#[test]
fn st_uas_6_require_timer_in_the_2xx() {
    let uac = TimerHeaders {
        session_expires: se(1800, UAC),
        ..supported()
    };
    assert!(
        accept(uas_decide(&settings(Mode::Accept), &uac))
            .0
            .require_timer
    );
    let uas = TimerHeaders {
        session_expires: se(1800, UAS),
        ..supported()
    };
    assert!(
        accept(uas_decide(&settings(Mode::Accept), &uas))
            .0
            .require_timer
    );
}

#[test]
fn st_uas_8_a_uas_refresher_refreshes_at_half_the_interval() {
    let (_, t) = accept(uas_decide(
        &settings(Mode::Accept),
        &TimerHeaders {
            session_expires: se(600, UAS),
            ..supported()
        },
    ));
    let t = t.unwrap();
    assert_eq!(t.refresher, Party::Local);
    assert_eq!(
        refresh_delay(t.interval_s, 0.5, Rounding::Exact),
        SimDuration::from_secs(300)
    );
}

// ---- Refreshes (§10) ----

#[test]
fn st_refresh_1_the_receiver_handles_a_refresh_with_the_uas_rules() {
    let s = TimerSettings {
        min_se: 300,
        ..settings(Mode::Accept)
    };
    let refresh = TimerHeaders {
        session_expires: se(120, UAC),
        min_se: Some(120),
        ..supported()
    };
    assert_eq!(
        uas_decide(&s, &refresh),
        UasDecision::Reject422 { min_se: 300 }
    );
    let refresh = TimerHeaders {
        session_expires: se(1800, UAC),
        ..supported()
    };
    let (_, t) = accept(uas_decide(
        &TimerSettings {
            session_expires: 600,
            ..s
        },
        &refresh,
    ));
    assert_eq!(
        t,
        Some(Negotiated {
            interval_s: 600,
            refresher: Party::Peer
        })
    );
}

// ST-REFRESH-2, -4, -5, -6 are run-time rules: see session_timers.rs.

#[test]
fn st_refresh_3_after_422_the_refresh_asks_for_more_than_the_current_interval() {
    let mut mem = active(100, Party::Local);
    mem.learned_min_se = Some(150);
    let req = uac_request(&settings(Mode::Accept), &mem);
    assert_eq!(
        (req.session_expires.unwrap().delta_s, req.min_se),
        (150, Some(150))
    );
}

// ---- Expiry ----

#[test]
fn st_expire_1_bye_at_si_minus_min_32_si_over_3() {
    // The spec's worked values (§1.2).
    for (si, bye) in [(90, 60), (120, 88), (600, 568), (1800, 1768), (4000, 3968)] {
        assert_eq!(
            expiry_delay(si, ExpiryGuard::Rfc, Rounding::Exact),
            SimDuration::from_secs(bye),
            "SI {si}"
        );
    }
    assert_eq!(
        expiry_delay(600, ExpiryGuard::AtExpiry, Rounding::Exact),
        SimDuration::from_secs(600)
    );
    // SI/3 is exact in nanoseconds: SI = 91 gives 91 - 30.333… s.
    assert_eq!(
        expiry_delay(91, ExpiryGuard::Rfc, Rounding::Exact).as_nanos(),
        91_000_000_000 - 30_333_333_333
    );
}

#[test]
fn the_tenth_guard_and_the_roundings_of_products() {
    let d = |si, g, r| expiry_delay(si, g, r).as_nanos();
    let ms = |x: u64| x * 1_000_000;
    // sofia-sip: SE − min(32, SE/10). SE 90: 90 − 9 = 81 s; SE 1800:
    // 1800 − min(32, 180) = 1768 s; SE 95: 95 − 9.5 = 85.5 s exactly.
    assert_eq!(d(90, ExpiryGuard::Tenth, Rounding::Exact), ms(81_000));
    assert_eq!(d(1800, ExpiryGuard::Tenth, Rounding::Exact), ms(1_768_000));
    assert_eq!(d(95, ExpiryGuard::Tenth, Rounding::Exact), ms(85_500));
    // SE 95 in whole seconds: ⌊9.5⌋ = 9, so 86 s.
    assert_eq!(d(95, ExpiryGuard::Tenth, Rounding::Seconds), ms(86_000));
    // SE 91 with the RFC guard: SE/3 = 30.333… s.
    // ms (Asterisk): 91000 / 3 = 30333 ms, so 60667 ms.
    assert_eq!(d(91, ExpiryGuard::Rfc, Rounding::Millis), ms(60_667));
    // whole seconds (RADVISION ⌊SE/3⌋ = 30): 61 s.
    assert_eq!(d(91, ExpiryGuard::Rfc, Rounding::Seconds), ms(61_000));
    // The cap of 32 s is never rounded: SE 1800 gives 1768 s in every mode.
    for r in [Rounding::Exact, Rounding::Millis, Rounding::Seconds] {
        assert_eq!(d(1800, ExpiryGuard::Rfc, r), ms(1_768_000));
    }
    // Refresh at SE/2 = 45.5 s for SE 91: kept in ms, floored to 45 s in seconds.
    let r = |si, x| refresh_delay(si, 0.5, x).as_nanos();
    assert_eq!(r(91, Rounding::Exact), ms(45_500));
    assert_eq!(r(91, Rounding::Millis), ms(45_500));
    assert_eq!(r(91, Rounding::Seconds), ms(45_000));
    // A third of 100 s: 33.333… s exact, 33.333 s in ms, 33 s in seconds.
    let third = |x| refresh_delay(100, 1.0 / 3.0, x).as_nanos();
    assert_eq!(third(Rounding::Exact), 33_333_333_333);
    assert_eq!(third(Rounding::Millis), ms(33_333));
    assert_eq!(third(Rounding::Seconds), ms(33_000));
}

/// The same settings with `require_timer` on (ST-UAC-2).
fn requiring(s: &TimerSettings) -> TimerSettings {
    TimerSettings {
        require_timer: true,
        ..*s
    }
}

#[test]
fn radvision_sends_min_se_once_after_a_422_and_no_se_when_its_interval_is_0() {
    // RADVISION with minSE unset (spec §4.2): no Min-SE in the first
    // INVITE; after a 422 with Min-SE 300 the retry carries Min-SE 300 and
    // SE ≥ 300 (ST-UAC-15); the request after that carries no Min-SE but
    // still honours 300 in its SE.
    let s = TimerSettings {
        send_min_se: SendMinSe::After422,
        session_expires: 200,
        ..settings(Mode::Originate)
    };
    assert_eq!(uac_request(&s, &UacMemory::default()).min_se, None);
    let mut mem = UacMemory {
        learned_min_se: Some(300),
        after_422: true,
        ..UacMemory::default()
    };
    let retry = uac_request(&s, &mem);
    assert_eq!(
        (retry.min_se, retry.session_expires),
        (Some(300), se(300, NONE))
    );
    mem.after_422 = false;
    let later = uac_request(&s, &mem);
    assert_eq!((later.min_se, later.session_expires), (None, se(300, NONE)));
    // sessionExpires = 0: no Session-Expires on the INVITE; as UAS, a
    // request's SE is granted as it is (not lowered), and a request without
    // one gets no timer.
    let zero = TimerSettings {
        session_expires: 0,
        ..settings(Mode::Originate)
    };
    assert_eq!(
        uac_request(&zero, &UacMemory::default()).session_expires,
        None
    );
    let asked = TimerHeaders {
        session_expires: se(5000, NONE),
        ..supported()
    };
    assert_eq!(
        accept(uas_decide(&zero, &asked)).1.map(|n| n.interval_s),
        Some(5000)
    );
    assert_eq!(accept(uas_decide(&zero, &supported())).1, None);
}

#[test]
fn a_uac_that_requires_timers_or_rejects_small_intervals_refuses_the_2xx() {
    use sstsim::session_timer::Small2xx;
    use sstsim::session_timer::negotiation::uac_rejects_2xx;
    // Own Min-SE 120; a 2xx with SE 90 is below it, one with 120 is not.
    let s = |small, required| TimerSettings {
        min_se: 120,
        small_se_in_2xx: small,
        timer_required: required,
        ..settings(Mode::Originate)
    };
    let resp = |delta| TimerHeaders {
        session_expires: se(delta, UAC),
        ..supported()
    };
    assert!(uac_rejects_2xx(&s(Small2xx::Bye, false), &resp(90)));
    assert!(!uac_rejects_2xx(&s(Small2xx::Bye, false), &resp(120)));
    assert!(!uac_rejects_2xx(&s(Small2xx::Adopt, false), &resp(90)));
    assert!(!uac_rejects_2xx(&s(Small2xx::Keep, false), &resp(90)));
    assert!(uac_rejects_2xx(&s(Small2xx::Adopt, true), &supported()));
    assert!(!uac_rejects_2xx(&s(Small2xx::Adopt, false), &supported()));
    // keep: the interval asked for stays, with the 2xx's refresher.
    let sent = TimerHeaders {
        session_expires: se(1800, NONE),
        ..supported()
    };
    assert_eq!(
        uac_on_2xx(&s(Small2xx::Keep, false), &sent, &resp(90)),
        Some(Negotiated {
            interval_s: 1800,
            refresher: Party::Local
        })
    );
    // A UAS that requires timers answers a caller without `timer` with 421.
    let required = TimerSettings {
        timer_required: true,
        ..settings(Mode::Originate)
    };
    assert_eq!(
        uas_decide(&required, &TimerHeaders::default()),
        UasDecision::Reject421
    );
    assert!(matches!(
        uas_decide(&required, &supported()),
        UasDecision::Accept { .. }
    ));
}
