//! Session-timer settings with Asterisk-style layering:
//! `[defaults]` < `[[node]]` < the node's `peers.<peer>` table.
//!
//! A [`TimerLayer`] holds only what one level sets; [`TimerLayer::over`]
//! stacks a higher level on a lower one, and [`TimerLayer::resolve`] fills
//! the gaps with the built-in defaults (Asterisk's `sip.conf` defaults and
//! the RFC 4028 recommendations).

use crate::keyword::keywords;
use crate::sip::status::{ByeReasons, ReasonPhrases};

/// `session_timers` (Asterisk `session-timers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Honour a peer's request; never ask (the default).
    Accept,
    /// Ask for a timer, and refresh even toward a peer without support.
    Originate,
    /// Behave as if unsupported; reject `Require: timer` with 420.
    Refuse,
}

keywords!(Mode {
    "accept" => Mode::Accept,
    "originate" => Mode::Originate,
    "refuse" => Mode::Refuse,
});

/// `refresher` preference (Asterisk `session-refresher`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefresherPref {
    /// The UAC refreshes.
    Uac,
    /// The UAS refreshes (Asterisk's default).
    Uas,
    /// The UAC if it asked for a timer with Session-Expires, else the UAS
    /// (PJSIP `pjsip_timer_process_req`, citing RFC 4028 §9).
    UacWhenAsked,
}

keywords!(RefresherPref {
    "uac" => RefresherPref::Uac,
    "uas" => RefresherPref::Uas,
    "uac_when_asked" => RefresherPref::UacWhenAsked,
});

/// `lower_se`: whether a UAS grants less than the request's
/// Session-Expires (spec §5; ST-UAS-2 allows either).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LowerSe {
    /// To its own `session_expires`, never below the request's Min-SE
    /// (RFC 4028 §9).
    ToOwn,
    /// Never: the request's SE is granted as it is (PJSIP, reSIProcate).
    Never,
    /// To its own, unless its own is below the request's Min-SE; then the
    /// request's SE as it is (chan_sip `handle_request_invite_st`).
    ToOwnIfAboveMinSe,
}

keywords!(LowerSe {
    "to_own" => LowerSe::ToOwn,
    "never" => LowerSe::Never,
    "to_own_if_above_min_se" => LowerSe::ToOwnIfAboveMinSe,
});

/// `small_se_supported`: a UAS's answer to a Session-Expires below its
/// minimum from a caller that lists `timer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallSeSupported {
    /// 422 with Min-SE (ST-UAS-1).
    Reject,
    /// Grant it as it is (reSIProcate never sends 422).
    Accept,
}

keywords!(SmallSeSupported {
    "reject" => SmallSeSupported::Reject,
    "accept" => SmallSeSupported::Accept,
});

/// `refresh_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshMethod {
    /// re-INVITE (Asterisk always).
    Reinvite,
    /// UPDATE, whether or not the peer's Allow lists it (sofia-sip's
    /// `update_refresh`).
    Update,
    /// UPDATE if the peer's Allow lists it, else re-INVITE (RFC 4028 §7.4
    /// [R]; PJSIP, reSIProcate).
    UpdateIfAllowed,
}

keywords!(RefreshMethod {
    "reinvite" => RefreshMethod::Reinvite,
    "update" => RefreshMethod::Update,
    "update_if_allowed" => RefreshMethod::UpdateIfAllowed,
});

/// `expiry_guard`: when the non-refresher gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryGuard {
    /// SE − min(32, SE/3) (ST-EXPIRE-1).
    Rfc,
    /// SE − min(32, SE/10): sofia-sip (`nua_session.c`, spec stack-profiles).
    Tenth,
    /// The whole interval.
    AtExpiry,
}

keywords!(ExpiryGuard {
    "rfc" => ExpiryGuard::Rfc,
    "tenth" => ExpiryGuard::Tenth,
    "at_expiry" => ExpiryGuard::AtExpiry,
});

/// `refresher_end`: whether the refresher itself ends the call when no
/// refresh 2xx came in time (spec §5 item 8; the RFC is silent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefresherEnd {
    /// Never: only a failed refresh (408, 481, timeout) ends it (RFC 4028).
    None,
    /// At the node's `expiry_guard` point, SE − min(32, SE/3) by default
    /// (RADVISION's end timer, reSIProcate).
    Guard,
    /// At SE (PJSIP's backstop).
    AtExpiry,
}

keywords!(RefresherEnd {
    "none" => RefresherEnd::None,
    "guard" => RefresherEnd::Guard,
    "at_expiry" => RefresherEnd::AtExpiry,
});

/// `refresher_param`: the `refresher` parameter a UAC puts on the
/// Session-Expires of its initial request (RADVISION's per-call-leg
/// preference LOCAL / REMOTE / DONT_CARE; the RFC recommends none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefresherParamPref {
    /// No parameter: the UAS chooses (ST-UAC-5 [R]; DONT_CARE).
    None,
    /// `refresher=uac`: this UA refreshes (LOCAL).
    Uac,
    /// `refresher=uas`: the peer refreshes (REMOTE).
    Uas,
}

keywords!(RefresherParamPref {
    "none" => RefresherParamPref::None,
    "uac" => RefresherParamPref::Uac,
    "uas" => RefresherParamPref::Uas,
});

/// `proxy_inserted_se`: a UAS's answer to a request that carries
/// Session-Expires but does not list `timer` (a proxy inserted it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyInsertedSe {
    /// Run the timer with that interval and refresh itself (RFC 4028
    /// Table 2 row 1).
    Honour,
    /// As if it were absent (chan_sip).
    Ignore,
    /// Run the timer with its own interval (reSIProcate).
    Replace,
}

keywords!(ProxyInsertedSe {
    "honour" => ProxyInsertedSe::Honour,
    "ignore" => ProxyInsertedSe::Ignore,
    "replace" => ProxyInsertedSe::Replace,
});

/// `small_se_unsupported`: a UAS's answer to a Session-Expires below its
/// minimum from a caller that does not list `timer` (spec §5 item 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallSe {
    /// Use it as it is (RFC 4028).
    Accept,
    /// Raise it to the own minimum (erratum 1687, sofia-sip).
    Raise,
    /// 422 with Min-SE anyway (RADVISION, PJSIP).
    Reject,
}

keywords!(SmallSe {
    "accept" => SmallSe::Accept,
    "raise" => SmallSe::Raise,
    "reject" => SmallSe::Reject,
});

/// `timer_rounding`: how the refresh point and the guard's SE/3 (or SE/10)
/// are computed (spec §5 item 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Exact, to the nanosecond of the virtual clock.
    Exact,
    /// Floored to whole milliseconds (Asterisk chan_sip computes in ms).
    Millis,
    /// Floored to whole seconds (RADVISION ⌊SE/3⌋ and SE/2; PJSIP).
    Seconds,
}

keywords!(Rounding {
    "exact" => Rounding::Exact,
    "ms" => Rounding::Millis,
    "s" => Rounding::Seconds,
});

/// `send_min_se`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendMinSe {
    /// Always send Min-SE.
    Always,
    /// When the own minimum is not the implicit 90, and in every request
    /// after a 422 (chan_sip).
    WhenSet,
    /// Only in the one request right after a 422 (RADVISION with `minSE`
    /// unset).
    After422,
}

keywords!(SendMinSe {
    "always" => SendMinSe::Always,
    "when_set" => SendMinSe::WhenSet,
    "after_422" => SendMinSe::After422,
});

/// `refresher_without_param`: a UAS's choice of refresher for a refresh in
/// a dialog whose Session-Expires names none (a re-INVITE for hold, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnnamedRefresher {
    /// Its own `refresher` preference decides (RFC 4028 Table 2; chan_sip
    /// applies `session-refresher`).
    Choose,
    /// The current roles stay (PJSIP `pjsip_timer_process_req`).
    Keep,
}

keywords!(UnnamedRefresher {
    "choose" => UnnamedRefresher::Choose,
    "keep" => UnnamedRefresher::Keep,
});

/// `small_se_in_2xx`: a UAC's answer to a 2xx whose Session-Expires is
/// below its own minimum (spec §5 item 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Small2xx {
    /// Run the timer with it (RFC 4028; PJSIP).
    Adopt,
    /// ACK, then BYE at once (chan_sip).
    Bye,
    /// Ignore it and keep the interval it asked for (RADVISION).
    Keep,
}

keywords!(Small2xx {
    "adopt" => Small2xx::Adopt,
    "bye" => Small2xx::Bye,
    "keep" => Small2xx::Keep,
});

/// `refresh_timeout`: what a refresher does when its refresh gets no
/// answer at all (spec §5 item 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTimeout {
    /// Ends the dialog with BYE (ST-REFRESH-4, DLG-1).
    Bye,
    /// Drops the dialog without a word (chan_sip `retrans_pkt`): the peer
    /// and the proxies on the path learn nothing.
    Local,
}

keywords!(RefreshTimeout {
    "bye" => RefreshTimeout::Bye,
    "local" => RefreshTimeout::Local,
});

/// `refresh_retry`: whether the refresher sends further refreshes before a
/// 2xx restarts its timers (spec §5 item 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshRetry {
    /// One refresh per 2xx (RFC 4028).
    None,
    /// Again every refresh interval (chan_sip's scheduler re-fires).
    Repeat,
    /// Again after half the previous delay while that exceeds 32 s
    /// (reSIProcate `InviteSession::dispatch`).
    Halving,
}

keywords!(RefreshRetry {
    "none" => RefreshRetry::None,
    "repeat" => RefreshRetry::Repeat,
    "halving" => RefreshRetry::Halving,
});

/// `expiry_restart`: what restarts the non-refresher's timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryRestart {
    /// The 2xx of a refresh (ST-EXPIRE-4).
    Response,
    /// Also the arrival of any re-INVITE, answered or not (chan_sip
    /// `handle_request_invite`).
    Request,
}

keywords!(ExpiryRestart {
    "response" => ExpiryRestart::Response,
    "request" => ExpiryRestart::Request,
});

/// `refresh_headers`: whether refreshes carry Session-Expires and Min-SE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshHeaders {
    /// Always (ST-UAC-16).
    Always,
    /// Only to a peer that has shown timer support; others get plain
    /// re-INVITEs (chan_sip).
    IfPeerSupports,
}

keywords!(RefreshHeaders {
    "always" => RefreshHeaders::Always,
    "if_peer_supports" => RefreshHeaders::IfPeerSupports,
});

/// `min_se_from_422`: which Min-SE a retry uses after several 422s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinSeFrom422 {
    /// The largest seen (ST-UAC-17).
    Largest,
    /// The last 422's (chan_sip `proc_422_rsp`).
    Last,
}

keywords!(MinSeFrom422 {
    "largest" => MinSeFrom422::Largest,
    "last" => MinSeFrom422::Last,
});

/// `on_422_without_min_se`: a 422 that carries no Min-SE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum No422MinSe {
    /// Retry with 90, the value an absent Min-SE stands for in a request
    /// (RFC 4028 §5).
    Retry,
    /// Do not retry (the default: RFC 4028 §6 makes Min-SE mandatory in a
    /// 422, so the UAC has nothing to retry with): an initial INVITE fails,
    /// a refresh leaves the timers as they were (chan_sip only logs it).
    GiveUp,
    /// End the session: an initial INVITE fails, a dialog ends with BYE
    /// (PJSIP `pjsip_timer_process_resp`).
    End,
}

keywords!(No422MinSe {
    "retry" => No422MinSe::Retry,
    "give_up" => No422MinSe::GiveUp,
    "end" => No422MinSe::End,
});

/// Declares the settings once: [`TimerSettings`] (resolved, with the
/// built-in default of each field), [`TimerLayer`] (each field set or
/// inherited), and the layering between them.
macro_rules! timer_settings {
    ($($(#[$doc:meta])* $field:ident: $ty:ty = $default:expr,)+) => {
        /// One level of settings (`[defaults]`, a node, a peer): each field
        /// is set here or inherited from the level below.
        #[derive(Debug, Clone, Copy, PartialEq, Default)]
        pub struct TimerLayer {
            $($(#[$doc])* pub $field: Option<$ty>,)+
        }

        /// Fully resolved settings for one node (or one node–peer pair).
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct TimerSettings {
            $($(#[$doc])* pub $field: $ty,)+
            /// The Min-SE a request without one implies, and the floor under
            /// every interval: 90 s ([`RFC_MIN_SE`](super::negotiation::RFC_MIN_SE)).
            /// With `[sip] strict_rfc = false` it is 1 s, so that values below
            /// 90 (SE 60, Min-SE 30, as deployed) are used and sent as given.
            pub floor_s: u32,
        }

        impl Default for TimerSettings {
            /// Asterisk chan_sip defaults (accept, 1800 s, Min-SE 90,
            /// refresher uas) and the RFC 4028 behaviour everywhere else.
            fn default() -> Self {
                TimerSettings {
                    $($field: $default,)+
                    floor_s: super::negotiation::RFC_MIN_SE,
                }
            }
        }

        impl TimerLayer {
            /// `self` on top of `lower`: fields set here win.
            pub fn over(&self, lower: &TimerLayer) -> TimerLayer {
                TimerLayer {
                    $($field: self.$field.or(lower.$field),)+
                }
            }

            /// Fills unset fields with the built-in defaults.
            pub fn resolve(&self) -> TimerSettings {
                let d = TimerSettings::default();
                TimerSettings {
                    $($field: self.$field.unwrap_or(d.$field),)+
                    floor_s: d.floor_s,
                }
            }
        }
    };
}

timer_settings! {
    /// `session_timers`: how it takes part (accept, originate, refuse).
    mode: Mode = Mode::Accept,
    /// `session_expires`: the interval asked for or granted, seconds; 0
    /// asks for none and grants the peer's as it is (RADVISION).
    session_expires: u32 = 1800,
    /// `min_se`: the own minimum, seconds.
    min_se: u32 = 90,
    /// `refresher`: the refresher a UAS picks when the request names none.
    refresher: RefresherPref = RefresherPref::Uas,
    /// `refresh_method`.
    refresh_method: RefreshMethod = RefreshMethod::Reinvite,
    /// `refresh_at`: the refresh point as a fraction of the interval.
    refresh_at: f64 = 0.5,
    /// `expiry_guard`: the non-refresher's give-up point.
    expiry_guard: ExpiryGuard = ExpiryGuard::Rfc,
    /// `send_min_se`: when Min-SE is sent.
    send_min_se: SendMinSe = SendMinSe::WhenSet,
    /// `require_timer`: put `Require: timer` in requests (ST-UAC-2; NOT
    /// RECOMMENDED by RFC 4028, off by default).
    require_timer: bool = false,
    /// `max_422_retries`: 422s answered with a retry before giving up.
    max_422_retries: u32 = 2,
    /// `timer_rounding`: how the refresh point and the guard are rounded.
    rounding: Rounding = Rounding::Exact,
    /// `refresher_end`: whether the refresher ends the call itself when
    /// refreshes fail.
    refresher_end: RefresherEnd = RefresherEnd::None,
    /// `uas_timer_without_se`: as UAS, start a timer for a request without
    /// Session-Expires where the mode would (accept: the caller lists
    /// `timer`; originate: always). chan_sip: yes; PJSIP optional and
    /// sofia-sip: no.
    uas_timer_without_se: bool = true,
    /// `uac_timer_without_se`: as UAC, run the timer alone when the 2xx to
    /// a request that asked for one has no Session-Expires (ST-UAC-10).
    /// `None`: in `originate` mode.
    uac_timer_without_se: Option<bool> = None,
    /// `proxy_inserted_se`: as UAS, a Session-Expires from a caller without
    /// `timer`. `None`: honoured in `originate` mode, ignored in `accept`
    /// (chan_sip).
    proxy_inserted_se: Option<ProxyInsertedSe> = None,
    /// `small_se_unsupported`: as UAS, a too-small Session-Expires from a
    /// caller without `timer`.
    small_se_unsupported: SmallSe = SmallSe::Raise,
    /// `update_supported`: whether it implements UPDATE; without it
    /// (chan_sip) an UPDATE gets 501 and the refresh it carried is lost.
    update_supported: bool = true,
    /// `refresher_param`: the `refresher` parameter of the UAC's initial request.
    refresher_param: RefresherParamPref = RefresherParamPref::None,
    /// `refresh_alert_s`: a fixed refresh point in seconds after t2xx, used
    /// when it falls inside the interval (RADVISION `alertTime`); else
    /// `refresh_at`.
    refresh_alert_s: Option<u32> = None,
    /// `timer_required`: a UAS answers a caller without `timer` with 421
    /// and `Require: timer`; a UAC ends a call whose 2xx has no
    /// Session-Expires (PJSIP and res_pjsip `required`).
    timer_required: bool = false,
    /// `small_se_in_2xx`: a 2xx Session-Expires below the own minimum.
    small_se_in_2xx: Small2xx = Small2xx::Adopt,
    /// `refresh_timeout`: a refresh that gets no answer.
    refresh_timeout: RefreshTimeout = RefreshTimeout::Bye,
    /// `refresh_retry`: refreshes sent before a 2xx restarts the timers.
    refresh_retry: RefreshRetry = RefreshRetry::None,
    /// `retry_after_503_s`: a refresh answered 503 is sent again after the
    /// response's Retry-After, or after this many seconds without one
    /// (PJSIP: 10). `None`: not retried (RFC 4028: the timers run on).
    retry_after_503_s: Option<u32> = None,
    /// `expiry_restart`: what restarts the non-refresher's timer.
    expiry_restart: ExpiryRestart = ExpiryRestart::Response,
    /// `refresh_jitter_s`: the refresh point is drawn uniformly within ±
    /// this many seconds of it when SE ≥ 90 (sofia-sip: 5), in the
    /// rounding's unit (whole seconds or milliseconds).
    refresh_jitter_s: u32 = 0,
    /// `refresh_headers`: whether refreshes carry the timer headers.
    refresh_headers: RefreshHeaders = RefreshHeaders::Always,
    /// `min_se_from_422`: the Min-SE a retry after several 422s uses.
    min_se_from_422: MinSeFrom422 = MinSeFrom422::Largest,
    /// `on_422_without_min_se`.
    on_422_without_min_se: No422MinSe = No422MinSe::GiveUp,
    /// `timer_off_below_s`: a negotiated interval below this runs no timer
    /// (reSIProcate: 90, reachable with `[sip] strict_rfc = false`).
    timer_off_below_s: Option<u32> = None,
    /// `refresher_without_param`: the refresher of a refresh in a dialog
    /// whose request names none.
    refresher_without_param: UnnamedRefresher = UnnamedRefresher::Choose,
    /// `lower_se`: whether a UAS grants less than the request asked.
    lower_se: LowerSe = LowerSe::ToOwn,
    /// `small_se_supported`: a too-small Session-Expires from a caller
    /// that lists `timer`.
    small_se_supported: SmallSeSupported = SmallSeSupported::Reject,
    /// `keep_timer_on_plain_2xx`: a refresher whose refresh 2xx carries no
    /// Session-Expires keeps its timer as it was (chan_sip, as measured);
    /// otherwise ST-UAC-10 and ST-UAC-11 decide again.
    keep_timer_on_plain_2xx: bool = false,
    /// `reason_phrases`: whose reason phrases the node's responses carry
    /// (node-wide: read from the node's own table, not per peer).
    reason_phrases: ReasonPhrases = ReasonPhrases::Rfc,
    /// `bye_reason`: whose `Reason` header the UA's own BYE carries.
    bye_reason: ByeReasons = ByeReasons::None,
    /// `options_to_unsupported`: refresh a peer that has not shown timer
    /// support with in-dialog OPTIONS, whose 2xx renews the timer
    /// (reSIProcate `sessionRefresh`).
    options_to_unsupported: bool = false,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_beats_node_beats_defaults() {
        let defaults = TimerLayer {
            session_expires: Some(1800),
            mode: Some(Mode::Originate),
            ..Default::default()
        };
        let node = TimerLayer {
            session_expires: Some(600),
            ..Default::default()
        };
        let peer = TimerLayer {
            session_expires: Some(300),
            refresher: Some(RefresherPref::Uac),
            ..Default::default()
        };
        let s = peer.over(&node.over(&defaults)).resolve();
        assert_eq!(
            (s.session_expires, s.mode, s.refresher),
            (300, Mode::Originate, RefresherPref::Uac)
        );
        assert_eq!(node.over(&defaults).resolve().session_expires, 600);
        assert_eq!(TimerLayer::default().resolve(), TimerSettings::default());
    }
}
