//! RFC 4028 negotiation as pure functions over header values and settings.
//!
//! Each function is one element's decision at one point of a refresh
//! transaction (initial INVITE, re-INVITE or UPDATE alike, ST-PROXY-2,
//! ST-REFRESH-1). Rule ids refer to `shared/spec/session-timers.md`; Asterisk
//! semantics for the modes follow its §4.1.

use super::headers::{RefresherParam, SessionExpires, TimerHeaders};

use super::settings::{
    LowerSe, Mode, ProxyInsertedSe, RefresherParamPref, RefresherPref, SendMinSe, Small2xx,
    SmallSe, SmallSeSupported, TimerSettings,
};

/// The RFC 4028 floor for Session-Expires and Min-SE, and Min-SE when absent.
pub const RFC_MIN_SE: u32 = 90;
/// The value an element that inserts Session-Expires should not go below (§4).
pub const RECOMMENDED_SE: u32 = 1800;

/// Who refreshes, from one UA's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// This UA.
    Local,
    /// The other UA.
    Peer,
}

/// A session timer in force on a dialog (ST-UAC-7, ST-UAS-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// The session interval, seconds.
    pub interval_s: u32,
    /// Who refreshes.
    pub refresher: Party,
}

/// What a UA remembers between its requests on one dialog (ST-UAC-17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UacMemory {
    /// The timer in force, if any.
    pub active: Option<Negotiated>,
    /// The largest Min-SE learned from 422s and received refreshes.
    pub learned_min_se: Option<u32>,
    /// The Session-Expires our last request carried.
    pub requested_se: Option<u32>,
    /// Drop `Require: timer` (after a 420 with `Unsupported: timer`, ST-UAC-6).
    pub drop_require: bool,
    /// The next request answers a 422 (for `send_min_se = after_422`).
    pub after_422: bool,
}

/// The Min-SE a request carries, if any: always with `send_min_se = always`;
/// with `when_set` only when the own minimum differs from the implicit 90 or
/// a value was learned (ST-UAC-3, ST-UAC-17); with `after_422` only in the
/// request that answers a 422 (RADVISION). Never below what was learned.
fn request_min_se(s: &TimerSettings, mem: &UacMemory) -> Option<u32> {
    let own = s.min_se.max(s.floor_s);
    match (s.send_min_se, mem.learned_min_se) {
        (SendMinSe::After422, Some(learned)) if mem.after_422 => Some(learned.max(own)),
        (SendMinSe::After422, _) => None,
        (_, Some(learned)) => Some(learned.max(own)),
        (SendMinSe::Always, None) => Some(own),
        (SendMinSe::WhenSet, None) => (s.min_se != RFC_MIN_SE).then_some(own),
    }
}

/// The session-timer headers of a request a UA sends: the initial INVITE
/// (and its retries), or a request in the dialog. Only what the UA knows
/// (`mem`) tells them apart: a timer in force makes it a refresh of that timer.
///
/// - ST-UAC-1: `Supported: timer` unless refusing.
/// - ST-UAC-2: `Require: timer` only when configured (`require_timer`),
///   and no more after a 420 (ST-UAC-6).
/// - ST-UAC-4, ST-UAC-5: initial SE only in `originate` mode, without
///   `refresher` unless `refresher_param` asks for one.
/// - ST-UAC-15: after a 422, SE ≥ the learned Min-SE.
/// - ST-UAC-16, ST-UAC-18, ST-UAC-19: refreshes keep the tags, carry
///   SE = max(MSE, SI), and `refresher` naming the current refresher.
pub fn uac_request(s: &TimerSettings, mem: &UacMemory) -> TimerHeaders {
    if s.mode == Mode::Refuse {
        return TimerHeaders::default();
    }
    let min_se = request_min_se(s, mem);
    // SE obeys what was learned even when Min-SE is not sent (`after_422`).
    let learned = mem.learned_min_se.map(|l| l.max(s.min_se.max(s.floor_s)));
    let mse = min_se.or(learned).unwrap_or(s.floor_s);
    let session_expires = match mem.active {
        Some(n) => Some(SessionExpires {
            delta_s: n.interval_s.max(mse),
            refresher: Some(match n.refresher {
                Party::Local => RefresherParam::Uac,
                Party::Peer => RefresherParam::Uas,
            }),
        }),
        None => {
            // `session_expires = 0` asks for none (RADVISION).
            let wanted = match s.mode {
                Mode::Originate if s.session_expires == 0 => None,
                Mode::Originate => Some(s.session_expires),
                _ => mem.requested_se,
            };
            // After a 422, ask for at least the learned minimum (ST-UAC-15).
            let wanted = match (wanted, mem.learned_min_se) {
                (w, Some(_)) => Some(w.unwrap_or(0).max(mse)),
                (w, None) => w,
            };
            wanted.map(|v| SessionExpires {
                delta_s: v.max(mse),
                refresher: match s.refresher_param {
                    RefresherParamPref::None => None,
                    RefresherParamPref::Uac => Some(RefresherParam::Uac),
                    RefresherParamPref::Uas => Some(RefresherParam::Uas),
                },
            })
        }
    };
    TimerHeaders {
        session_expires,
        min_se,
        supported_timer: true,
        require_timer: s.require_timer && !mem.drop_require,
        unsupported_timer: false,
        allow_update: false,
    }
}

/// What a UAS answers to a refresh request (initial or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UasDecision {
    /// 422 with this Min-SE (ST-UAS-1).
    Reject422 {
        /// The UAS's minimum.
        min_se: u32,
    },
    /// 420 with `Unsupported: timer` (refuse mode, `Require: timer`).
    Reject420,
    /// 421 with `Require: timer`: the UAS requires timers and the caller
    /// does not list `timer` (`timer_required`; PJSIP `pjsip_inv_verify_request`).
    Reject421,
    /// 2xx with these headers; the timer that results.
    Accept {
        /// Headers for the 2xx.
        headers: TimerHeaders,
        /// The timer in force after the 2xx, if any.
        timer: Option<Negotiated>,
    },
}

/// The interval a UAS grants for a request's SE, given its own interval
/// `own` (already at least MSE): lowered to `own` (RFC 4028 §9), never
/// lowered (PJSIP, reSIProcate), or lowered unless the own interval is
/// below the request's Min-SE (chan_sip).
fn granted(s: &TimerSettings, se: u32, own: u32, req_min_se: Option<u32>) -> u32 {
    match s.lower_se {
        LowerSe::ToOwn => se.min(own),
        LowerSe::Never => se,
        LowerSe::ToOwnIfAboveMinSe if s.session_expires < req_min_se.unwrap_or(0) => se,
        LowerSe::ToOwnIfAboveMinSe => se.min(own),
    }
}

/// A UAS's decision on a refresh request (§9, Table 2 of the spec's §3,
/// Asterisk §4.1):
/// - refuse: 420 to `Require: timer` (ST-UAS via RFC 3261 §8.2.2.3), otherwise no timer;
/// - the UAC supports timers: 422 below the own minimum (ST-UAS-1); else
///   SI = min(SE, max(own SE, MSE)) (never above the request's SE, never
///   below its Min-SE, ST-UAS-2), or max(own SE, MSE) without SE (ST-UAS-3);
///   refresher from the request, else the own preference (rows 4–6, ST-UAS-5);
///   `Require: timer` in the 2xx (ST-UAS-6);
/// - the UAC lacks support: `originate` runs the timer alone with
///   `refresher=uas` and no `Require` (row 1, ST-UAS-4), raising a too-small
///   SE to its minimum (erratum 1687); `accept` runs no timer.
pub fn uas_decide(s: &TimerSettings, req: &TimerHeaders) -> UasDecision {
    if s.mode == Mode::Refuse {
        return if req.require_timer {
            UasDecision::Reject420
        } else {
            UasDecision::Accept {
                headers: TimerHeaders::default(),
                timer: None,
            }
        };
    }
    let uac_supports = req.supported_timer || req.require_timer;
    if s.timer_required && !uac_supports {
        return UasDecision::Reject421;
    }
    let mse = req.min_se.unwrap_or(s.floor_s).max(s.floor_s);
    let own_min = s.min_se.max(s.floor_s);
    // The own interval, at least MSE; `session_expires = 0` has none and
    // grants the request's as it is.
    let own_se = (s.session_expires > 0).then(|| s.session_expires.max(mse));
    let no_timer = UasDecision::Accept {
        headers: TimerHeaders {
            supported_timer: true,
            ..TimerHeaders::default()
        },
        timer: None,
    };
    if uac_supports {
        if let Some(se) = req.session_expires
            && se.delta_s < own_min
            && s.small_se_supported == SmallSeSupported::Reject
        {
            return UasDecision::Reject422 { min_se: own_min };
        }
        // A caller that lists `timer` without asking for one gets none from
        // a UAS that waits to be asked (PJSIP optional, sofia-sip).
        if req.session_expires.is_none() && !s.uas_timer_without_se {
            return no_timer;
        }
        let interval_s = match (req.session_expires, own_se) {
            (Some(se), Some(own)) => granted(s, se.delta_s, own, req.min_se),
            (Some(se), None) => se.delta_s,
            (None, Some(own)) => own,
            (None, None) => return no_timer,
        };
        let param = req
            .session_expires
            .and_then(|se| se.refresher)
            .unwrap_or(match s.refresher {
                RefresherPref::Uac => RefresherParam::Uac,
                RefresherPref::Uas => RefresherParam::Uas,
                RefresherPref::UacWhenAsked if req.session_expires.is_some() => RefresherParam::Uac,
                RefresherPref::UacWhenAsked => RefresherParam::Uas,
            });
        let refresher = match param {
            RefresherParam::Uac => Party::Peer,
            RefresherParam::Uas => Party::Local,
        };
        return UasDecision::Accept {
            headers: TimerHeaders {
                session_expires: Some(SessionExpires {
                    delta_s: interval_s,
                    refresher: Some(param),
                }),
                min_se: None,
                supported_timer: true,
                require_timer: true,
                unsupported_timer: false,
                allow_update: false,
            },
            timer: Some(Negotiated {
                interval_s,
                refresher,
            }),
        };
    }
    // A caller without `timer`: any Session-Expires was inserted by a proxy.
    let inserted = s.proxy_inserted_se.unwrap_or(if s.mode == Mode::Originate {
        ProxyInsertedSe::Honour
    } else {
        ProxyInsertedSe::Ignore
    });
    let interval_s = match (req.session_expires, inserted) {
        (Some(se), ProxyInsertedSe::Honour) if se.delta_s < own_min => {
            match s.small_se_unsupported {
                SmallSe::Reject => return UasDecision::Reject422 { min_se: own_min },
                SmallSe::Accept => se.delta_s,
                SmallSe::Raise => own_min,
            }
        }
        (Some(se), ProxyInsertedSe::Honour) => own_se
            .map_or(se.delta_s, |o| granted(s, se.delta_s, o, req.min_se))
            .max(own_min),
        (Some(_), ProxyInsertedSe::Replace) => match own_se {
            Some(own) => own,
            None => return no_timer,
        },
        (Some(_), ProxyInsertedSe::Ignore) | (None, _) => match own_se {
            Some(own) if s.mode == Mode::Originate && s.uas_timer_without_se => own,
            _ => return no_timer,
        },
    };
    UasDecision::Accept {
        headers: TimerHeaders {
            session_expires: Some(SessionExpires {
                delta_s: interval_s,
                refresher: Some(RefresherParam::Uas),
            }),
            min_se: None,
            supported_timer: true,
            require_timer: false,
            unsupported_timer: false,
            allow_update: false,
        },
        timer: Some(Negotiated {
            interval_s,
            refresher: Party::Local,
        }),
    }
}

/// The timer a UAC runs after a 2xx to its refresh request (§7.2):
/// - a 2xx with SE sets SI and the refresher, `uac` meaning this UA
///   (ST-UAC-9); a 2xx without `refresher` is non-compliant and this UA
///   refreshes; an SE below the own minimum is adopted, or with
///   `small_se_in_2xx = keep` the requested SE stays (RADVISION);
/// - no SE, no `Require: timer`, but we asked: refresh alone with the
///   requested SE (ST-UAC-10) if `uac_timer_without_se` (by default in
///   `originate` mode); otherwise no timer (ST-UAC-11).
pub fn uac_on_2xx(
    s: &TimerSettings,
    sent: &TimerHeaders,
    resp: &TimerHeaders,
) -> Option<Negotiated> {
    if s.mode == Mode::Refuse {
        return None;
    }
    if let Some(se) = resp.session_expires {
        let small = se.delta_s < s.min_se.max(s.floor_s);
        let interval_s = match sent.session_expires {
            Some(asked) if small && s.small_se_in_2xx == Small2xx::Keep => asked.delta_s,
            _ => se.delta_s,
        };
        return Some(Negotiated {
            interval_s,
            refresher: match se.refresher {
                Some(RefresherParam::Uas) => Party::Peer,
                Some(RefresherParam::Uac) | None => Party::Local,
            },
        });
    }
    let alone = s.uac_timer_without_se.unwrap_or(s.mode == Mode::Originate);
    match sent.session_expires {
        Some(se) if alone && !resp.require_timer => Some(Negotiated {
            interval_s: se.delta_s,
            refresher: Party::Local,
        }),
        _ => None,
    }
}

/// A UAS that keeps the roles (`refresher_without_param = keep`, PJSIP)
/// answers a refresh in a dialog whose Session-Expires names no refresher
/// with the current refresher, whatever its own preference.
pub fn keep_roles(
    headers: &mut TimerHeaders,
    timer: &mut Option<Negotiated>,
    active: Option<Negotiated>,
) {
    let (Some(t), Some(current), Some(se)) =
        (timer.as_mut(), active, headers.session_expires.as_mut())
    else {
        return;
    };
    t.refresher = current.refresher;
    se.refresher = Some(match current.refresher {
        Party::Local => RefresherParam::Uas,
        Party::Peer => RefresherParam::Uac,
    });
}

/// Whether a UAC ends the call right after ACKing this 2xx to its initial
/// INVITE: it requires timers and the 2xx has no Session-Expires (PJSIP
/// `required`, BYE with cause 421), or the 2xx's SE is below its minimum
/// and it says so with BYE (chan_sip `handle_response_invite`).
pub fn uac_rejects_2xx(s: &TimerSettings, resp: &TimerHeaders) -> bool {
    if s.mode == Mode::Refuse {
        return false;
    }
    match resp.session_expires {
        None => s.timer_required,
        Some(se) => se.delta_s < s.min_se.max(s.floor_s) && s.small_se_in_2xx == Small2xx::Bye,
    }
}
