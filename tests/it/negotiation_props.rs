//! Properties of the pure RFC 4028 negotiation functions over any valid
//! settings: an initial INVITE goes from a UAC through up to two
//! timer-aware proxies to a UAS and its answer comes back.

use proptest::prelude::*;
use sstsim::session_timer::negotiation::{RFC_MIN_SE, uac_on_2xx, uac_request, uas_decide};
use sstsim::session_timer::proxy::{proxy_request, proxy_response};
use sstsim::session_timer::{
    ExpiryGuard, Mode, Negotiated, Party, ProxyDecision, ProxyRules, ProxyTimerConfig,
    RefreshMethod, RefresherPref, SendMinSe, TimerSettings, UacMemory, UasDecision,
};
use sstsim::sip::message::TimerHeaders;

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        Just(Mode::Accept),
        Just(Mode::Originate),
        Just(Mode::Refuse)
    ]
}

/// Valid UA settings: RFC floors, SE ≥ Min-SE (what the model reader enforces).
fn ua() -> impl Strategy<Value = TimerSettings> {
    (
        mode(),
        RFC_MIN_SE..4000u32,
        0..4000u32,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(mode, min_se, extra, uac, always, require)| TimerSettings {
                mode,
                min_se,
                session_expires: min_se + extra,
                refresher: if uac {
                    RefresherPref::Uac
                } else {
                    RefresherPref::Uas
                },
                refresh_method: RefreshMethod::Reinvite,
                refresh_at: 0.5,
                expiry_guard: ExpiryGuard::Rfc,
                send_min_se: if always {
                    SendMinSe::Always
                } else {
                    SendMinSe::WhenSet
                },
                require_timer: require,
                max_422_retries: 2,
                // Timing keys do not enter negotiation.
                ..TimerSettings::default()
            },
        )
}

/// Valid timer-aware proxy settings: Min-SE ≥ 90, ceiling ≥ Min-SE.
fn proxy() -> impl Strategy<Value = ProxyTimerConfig> {
    (RFC_MIN_SE..4000u32, proptest::option::of(0..4000u32)).prop_map(|(min_se, extra)| {
        ProxyTimerConfig {
            ceiling: extra.map(|e| min_se + e),
            min_se,
            floor_s: RFC_MIN_SE,
            ..ProxyTimerConfig::RFC
        }
    })
}

/// The outcome of one negotiation that reached the UAS and was accepted.
struct Outcome {
    /// Every Min-SE the request carried, hop by hop (absent: none).
    min_se_seen: Vec<u32>,
    /// The request as the UAS received it.
    at_uas: TimerHeaders,
    /// The 2xx as the UAC received it.
    at_uac: TimerHeaders,
    uas_timer: Option<Negotiated>,
    uac_timer: Option<Negotiated>,
}

/// Runs the negotiation; `None` if a proxy or the UAS rejected it (422, 420).
fn negotiate(
    uac: &TimerSettings,
    proxies: &[ProxyTimerConfig],
    uas: &TimerSettings,
) -> Option<Outcome> {
    let sent = uac_request(uac, &UacMemory::default());
    let mut req = sent;
    let mut memos = Vec::new();
    let mut min_se_seen: Vec<u32> = req.min_se.into_iter().collect();
    for p in proxies {
        match proxy_request(p, &mut req) {
            ProxyDecision::Forward(m) => memos.push(m),
            ProxyDecision::Reject422 { .. } => return None,
        }
        min_se_seen.extend(req.min_se);
    }
    let UasDecision::Accept { headers, timer } = uas_decide(uas, &req) else {
        return None;
    };
    let mut resp = headers;
    for m in memos.iter().rev() {
        proxy_response(&ProxyRules::RFC, m, &mut resp);
    }
    Some(Outcome {
        min_se_seen,
        at_uas: req,
        uac_timer: uac_on_2xx(uac, &sent, &resp),
        at_uac: resp,
        uas_timer: timer,
    })
}

proptest! {
    /// The 2xx's Session-Expires is never below a Min-SE on the path: any
    /// Min-SE header the request carried at any hop, and 90 (ST-UAS-2,
    /// ST-PROXY-4). A proxy's own minimum is not one of them unless it put
    /// it in the request: with `Supported: timer` it may only answer 422
    /// (ST-PROXY-7), so a smaller SE it let pass can come back lowered.
    #[test]
    fn a_2xx_interval_is_never_below_a_min_se_on_the_path(
        uac in ua(), uas in ua(), proxies in prop::collection::vec(proxy(), 0..=2)
    ) {
        if let Some(o) = negotiate(&uac, &proxies, &uas)
            && let Some(se) = o.at_uac.session_expires
        {
            let floor = o.min_se_seen.iter().copied().fold(RFC_MIN_SE, u32::max);
            prop_assert!(se.delta_s >= floor, "SE {} below {}", se.delta_s, floor);
            // Min-SE only ever grows along the path (ST-PROXY-6, ST-PROXY-7).
            prop_assert!(o.min_se_seen.windows(2).all(|w| w[0] <= w[1]));
        }
    }

    /// A UAS never raises the requested interval, except to its own minimum
    /// for a UAC that lacks timer support (erratum 1687) in originate mode.
    #[test]
    fn a_uas_never_raises_the_requested_interval_unless_its_policy_says_so(
        uac in ua(), uas in ua(), proxies in prop::collection::vec(proxy(), 0..=2)
    ) {
        if let Some(o) = negotiate(&uac, &proxies, &uas)
            && let Some(asked) = o.at_uas.session_expires
            && let Some(n) = o.uas_timer
        {
            let uac_supports = o.at_uas.supported_timer || o.at_uas.require_timer;
            if uac_supports || uas.mode != Mode::Originate {
                prop_assert!(n.interval_s <= asked.delta_s);
            } else {
                prop_assert!(n.interval_s <= asked.delta_s.max(uas.min_se));
            }
        }
    }

    /// When a timer runs at either end, exactly one end refreshes, and both
    /// ends that run one agree on the interval.
    #[test]
    fn when_a_timer_runs_exactly_one_side_refreshes(
        uac in ua(), uas in ua(), proxies in prop::collection::vec(proxy(), 0..=2)
    ) {
        if let Some(o) = negotiate(&uac, &proxies, &uas)
            && (o.uac_timer.is_some() || o.uas_timer.is_some())
        {
            let refreshes = |t: Option<Negotiated>| t.is_some_and(|n| n.refresher == Party::Local);
            prop_assert!(
                refreshes(o.uac_timer) != refreshes(o.uas_timer),
                "uac {:?}, uas {:?}", o.uac_timer, o.uas_timer
            );
            if let (Some(a), Some(b)) = (o.uac_timer, o.uas_timer) {
                prop_assert_eq!(a.interval_s, b.interval_s);
            }
        }
    }
}
