//! RFC 4028 §8 at a timer-aware proxy, as pure functions over header
//! values, with the choices Kamailio's and OpenSIPS's sst modules make
//! where they depart from the RFC (stack-profiles §2.7, §2.8, §5, §9).
//!
//! A proxy decides three things: what it does to a refresh request
//! (`proxy_request`, or `script_check_min` before it), what it adds to the
//! 2xx (`proxy_response`), and the interval it believes in, which its
//! dialog lifetime may follow (`ProxyMemo::interval`).

use crate::keyword::keywords;

use super::headers::{RefresherParam, SessionExpires, TimerHeaders};
use super::negotiation::{RECOMMENDED_SE, RFC_MIN_SE};

/// `interval`: the session interval a proxy inserts when a request has
/// none, and the one it believes in afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyInterval {
    /// RFC 4028 §8.1: inserts its ceiling (or 1800); the interval is the
    /// SE it forwarded (ST-PROXY-3, ST-PROXY-13).
    ForwardedSe,
    /// Kamailio `sst_dialog_created_CB`: inserts max(request Min-SE,
    /// min_se); the interval is the request's SE, or its minimum when that
    /// SE was too small or absent.
    AtLeastMinSe,
    /// OpenSIPS as measured (§9): max(`sst_interval`, min_se), whatever
    /// was negotiated.
    Configured,
}

keywords!(ProxyInterval {
    "forwarded_se" => ProxyInterval::ForwardedSe,
    "at_least_min_se" => ProxyInterval::AtLeastMinSe,
    "configured" => ProxyInterval::Configured,
});

/// `small_se_without_timer`: an SE below the proxy's minimum from a caller
/// without `Supported: timer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallSeWithoutTimer {
    /// Raise Min-SE and SE to it (ST-PROXY-6).
    RaiseSe,
    /// Raise Min-SE only; SE stays below it (Kamailio, OpenSIPS).
    RaiseMinSe,
}

keywords!(SmallSeWithoutTimer {
    "raise_se" => SmallSeWithoutTimer::RaiseSe,
    "raise_min_se" => SmallSeWithoutTimer::RaiseMinSe,
});

/// `min_se_without_se`: a low Min-SE in a request without SE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinSeWithoutSe {
    /// Leave it (ST-PROXY-7 forbids touching it when the caller lists `timer`).
    Keep,
    /// Rewrite it up to the proxy's minimum whatever `Supported` says (Kamailio).
    Raise,
}

keywords!(MinSeWithoutSe {
    "keep" => MinSeWithoutSe::Keep,
    "raise" => MinSeWithoutSe::Raise,
});

/// `min_se_in_422`: the Min-SE of the proxy's own 422.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinSeIn422 {
    /// Its minimum (ST-PROXY-5).
    Own,
    /// max(its minimum, the request's Min-SE, 90) (Kamailio `send_reject`).
    MaxWithRequest,
    /// None: OpenSIPS's automatic 422 builds the header and sends it empty.
    Absent,
}

keywords!(MinSeIn422 {
    "own" => MinSeIn422::Own,
    "max_with_request" => MinSeIn422::MaxWithRequest,
    "none" => MinSeIn422::Absent,
});

/// `se_in_2xx`: when a proxy adds `SE;refresher=uac` to a 2xx without SE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeIn2xx {
    /// When the caller listed `timer` (ST-PROXY-11; OpenSIPS `add_timer_ext`).
    UacSupports,
    /// Also when the proxy inserted the SE itself, so also toward a caller
    /// without timer support (Kamailio `sst_dialog_response_fwded_CB`).
    UacSupportsOrInserted,
}

keywords!(SeIn2xx {
    "uac_supports" => SeIn2xx::UacSupports,
    "uac_supports_or_inserted" => SeIn2xx::UacSupportsOrInserted,
});

/// `refresh_requests`: what a proxy does to in-dialog re-INVITEs and UPDATEs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshRequests {
    /// Applies §8 to them as to the initial INVITE (ST-PROXY-2).
    Negotiate,
    /// Only reads their SE; the sst modules act on the initial INVITE.
    Pass,
}

keywords!(RefreshRequests {
    "negotiate" => RefreshRequests::Negotiate,
    "pass" => RefreshRequests::Pass,
});

/// Where a proxy's request and response handling departs from RFC 4028 §8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyRules {
    /// The interval it inserts and believes in.
    pub interval: ProxyInterval,
    /// A too-small SE from a caller without timer support.
    pub small_se_without_timer: SmallSeWithoutTimer,
    /// A low Min-SE in a request without SE.
    pub min_se_without_se: MinSeWithoutSe,
    /// A too-small SE from a caller with timer support gets 422 (Kamailio
    /// `sst_reject`, OpenSIPS `reject_to_small`); else it is forwarded as is.
    pub reject_small: bool,
    /// The Min-SE of that 422.
    pub min_se_in_422: MinSeIn422,
    /// The INVITE is forwarded even after that 422 (Kamailio 5.6.3 and
    /// OpenSIPS 3.5 as measured).
    pub forward_after_422: bool,
    /// The routing script calls `sst_check_min(1)` on initial INVITEs: 422
    /// with Min-SE = min_se when min_se > min(SE, Min-SE or 90), not forwarded.
    pub script_check_min: bool,
    /// Kamailio 5.6.3's `sst_check_min` compares the other way round: it
    /// rejects when min_se < min(SE, Min-SE or 90).
    pub check_min_inverted: bool,
    /// When it adds SE to a 2xx without one.
    pub se_in_2xx: SeIn2xx,
    /// It adds `Require: timer` with that SE (RFC, OpenSIPS; not Kamailio).
    pub require_in_2xx: bool,
    /// What it does to in-dialog refresh requests.
    pub refresh_requests: RefreshRequests,
}

impl ProxyRules {
    /// RFC 4028 §8.
    pub const RFC: ProxyRules = ProxyRules {
        interval: ProxyInterval::ForwardedSe,
        small_se_without_timer: SmallSeWithoutTimer::RaiseSe,
        min_se_without_se: MinSeWithoutSe::Keep,
        reject_small: true,
        min_se_in_422: MinSeIn422::Own,
        forward_after_422: false,
        script_check_min: false,
        check_min_inverted: false,
        se_in_2xx: SeIn2xx::UacSupports,
        require_in_2xx: true,
        refresh_requests: RefreshRequests::Negotiate,
    };
}

/// A timer-aware proxy's settings (§8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyTimerConfig {
    /// Its Session-Expires ceiling, seconds.
    pub ceiling: Option<u32>,
    /// Its minimum, seconds (≥ 90 unless `[sip] strict_rfc = false`).
    pub min_se: u32,
    /// The implied Min-SE and the floor under every interval (see
    /// [`super::TimerSettings::floor_s`]).
    pub floor_s: u32,
    /// OpenSIPS's `sst_interval`, seconds (0: unset).
    pub sst_interval: u32,
    /// Where it departs from the RFC.
    pub rules: ProxyRules,
}

impl ProxyTimerConfig {
    /// An RFC 4028 proxy with minimum 90 and no ceiling.
    pub const RFC: ProxyTimerConfig = ProxyTimerConfig {
        ceiling: None,
        min_se: RFC_MIN_SE,
        floor_s: RFC_MIN_SE,
        sst_interval: 0,
        rules: ProxyRules::RFC,
    };

    /// Its own minimum: min_se, never below the floor.
    fn own_min(&self) -> u32 {
        self.min_se.max(self.floor_s)
    }
}

/// What a proxy remembers for the duration of a transaction (ST-PROXY-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyMemo {
    /// It requested a timer (inserted, lowered, or accepted SE).
    pub requested: bool,
    /// The request had no SE, and it inserted one.
    pub inserted: bool,
    /// The SE it forwarded (0 if none).
    pub forwarded_se: u32,
    /// The interval it believes in (see [`ProxyInterval`]).
    pub interval: u32,
    /// The request had `Supported: timer`.
    pub uac_supported: bool,
    /// The SE as the request arrived, which a routing script may copy into
    /// the dialog's timeout.
    pub arrived_se: Option<u32>,
}

/// A proxy's decision on a refresh request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyDecision {
    /// Forward the (possibly modified) request and remember this.
    Forward(ProxyMemo),
    /// Answer 422 (ST-PROXY-5).
    Reject422 {
        /// Its Min-SE; `None` for a 422 without one.
        min_se: Option<u32>,
        /// The unchanged request is forwarded all the same, with no timer
        /// requested (the 5.6.3 / OpenSIPS defect).
        then_forward: bool,
    },
}

/// The routing script's `sst_check_min(1)` on an initial INVITE: the Min-SE
/// of the 422 it sends (and the INVITE goes no further), or `None` to pass.
/// A request without SE passes; `Supported` is not looked at.
pub fn script_check_min(cfg: &ProxyTimerConfig, req: &TimerHeaders) -> Option<u32> {
    if !cfg.rules.script_check_min {
        return None;
    }
    let se = req.session_expires?.delta_s;
    let smallest = se.min(req.min_se.unwrap_or(RFC_MIN_SE));
    let own = cfg.own_min();
    let reject = if cfg.rules.check_min_inverted {
        own < smallest
    } else {
        own > smallest
    };
    reject.then_some(own)
}

/// A proxy that only reads a refresh request (`refresh_requests = pass`).
pub fn proxy_observe(req: &TimerHeaders) -> ProxyMemo {
    let se = req.session_expires.map(|s| s.delta_s);
    ProxyMemo {
        requested: false,
        inserted: false,
        forwarded_se: se.unwrap_or(0),
        interval: se.unwrap_or(0),
        uac_supported: req.supported_timer,
        arrived_se: se,
    }
}

/// A timer-aware proxy processes a request's headers in place (§8.1):
/// - ST-PROXY-3: insert SE when absent (≥ MSE; its ceiling or 1800 under
///   the RFC); never touch `refresher`;
/// - ST-PROXY-4: lower SE to its ceiling, never below MSE; never raise an SE ≥ MSE;
/// - ST-PROXY-5, ST-PROXY-7: SE below its minimum with `Supported: timer` →
///   422 (or, with `reject_small` off, forward it as it is);
/// - ST-PROXY-6: … without `Supported: timer` → raise Min-SE (never lower
///   it) and, under the RFC, SE to it;
/// - ST-PROXY-8: remember what was forwarded and whether the UAC supports timers;
/// - ST-PROXY-9: never add `Require: timer` (NOT RECOMMENDED).
pub fn proxy_request(cfg: &ProxyTimerConfig, req: &mut TimerHeaders) -> ProxyDecision {
    let r = &cfg.rules;
    let own_min = cfg.own_min();
    let supported = req.supported_timer;
    let arrived_se = req.session_expires.map(|s| s.delta_s);
    let mut mse = req.min_se.unwrap_or(cfg.floor_s);
    let configured = cfg.sst_interval.max(own_min);
    // The SE forwarded, and the interval a Kamailio-style proxy believes in.
    let (se, at_least) = match req.session_expires {
        Some(se) if se.delta_s < own_min && supported => {
            if r.reject_small {
                let min_se = match r.min_se_in_422 {
                    MinSeIn422::Own => Some(own_min),
                    MinSeIn422::MaxWithRequest => {
                        Some(own_min.max(req.min_se.unwrap_or(0)).max(RFC_MIN_SE))
                    }
                    MinSeIn422::Absent => None,
                };
                return ProxyDecision::Reject422 {
                    min_se,
                    then_forward: r.forward_after_422,
                };
            }
            let fwd = SessionExpires {
                delta_s: se.delta_s.max(mse),
                refresher: se.refresher,
            };
            (fwd, own_min)
        }
        Some(se) if se.delta_s < own_min => {
            mse = mse.max(own_min);
            req.min_se = Some(mse);
            let delta_s = match r.small_se_without_timer {
                SmallSeWithoutTimer::RaiseSe => se.delta_s.max(mse),
                SmallSeWithoutTimer::RaiseMinSe => se.delta_s,
            };
            let fwd = SessionExpires {
                delta_s,
                refresher: se.refresher,
            };
            (fwd, mse)
        }
        Some(se) => {
            let lowered = match cfg.ceiling {
                Some(c) if c < se.delta_s => c.max(mse),
                _ => se.delta_s,
            };
            let fwd = SessionExpires {
                delta_s: lowered.max(mse),
                refresher: se.refresher,
            };
            (fwd, fwd.delta_s)
        }
        None => {
            if r.min_se_without_se == MinSeWithoutSe::Raise
                && req.min_se.is_some_and(|m| m < own_min)
            {
                mse = own_min;
                req.min_se = Some(own_min);
            }
            let delta_s = match r.interval {
                ProxyInterval::ForwardedSe => {
                    cfg.ceiling.unwrap_or(RECOMMENDED_SE).max(mse).max(own_min)
                }
                ProxyInterval::AtLeastMinSe => mse.max(own_min),
                ProxyInterval::Configured => configured.max(mse),
            };
            let fwd = SessionExpires {
                delta_s,
                refresher: None,
            };
            (fwd, delta_s)
        }
    };
    req.session_expires = Some(se);
    let interval = match r.interval {
        ProxyInterval::ForwardedSe => se.delta_s,
        ProxyInterval::AtLeastMinSe => at_least,
        ProxyInterval::Configured => configured,
    };
    ProxyDecision::Forward(ProxyMemo {
        requested: true,
        inserted: arrived_se.is_none(),
        forwarded_se: se.delta_s,
        interval,
        uac_supported: supported,
        arrived_se,
    })
}

/// A timer-aware proxy processes a 2xx in place (§8.2) and returns the
/// Session-Expires the 2xx carries upstream, if any (ST-PROXY-13):
/// - ST-PROXY-12: a 2xx with SE is forwarded unchanged;
/// - ST-PROXY-11: no SE and no `Require: timer`, the UAC supports timers
///   (or, per `se_in_2xx`, the proxy inserted the SE): insert
///   `SE = interval;refresher=uac`, and `Require: timer` unless the rules
///   leave it out;
/// - ST-PROXY-10: otherwise unchanged, no timer anywhere.
pub fn proxy_response(
    rules: &ProxyRules,
    memo: &ProxyMemo,
    resp: &mut TimerHeaders,
) -> Option<u32> {
    if let Some(se) = resp.session_expires {
        return Some(se.delta_s);
    }
    let wanted = match rules.se_in_2xx {
        SeIn2xx::UacSupports => memo.uac_supported,
        SeIn2xx::UacSupportsOrInserted => memo.uac_supported || memo.inserted,
    };
    if memo.requested && wanted && !resp.require_timer {
        resp.session_expires = Some(SessionExpires {
            delta_s: memo.interval,
            refresher: Some(RefresherParam::Uac),
        });
        resp.require_timer = rules.require_in_2xx;
        return Some(memo.interval);
    }
    None
}
