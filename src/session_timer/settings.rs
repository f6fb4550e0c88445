//! Session-timer settings with Asterisk-style layering:
//! `[defaults]` < `[[node]]` < the node's `peers.<peer>` table.
//!
//! A [`TimerLayer`] holds only what one level sets; [`TimerLayer::over`]
//! stacks a higher level on a lower one, and [`TimerLayer::resolve`] fills
//! the gaps with the built-in defaults (Asterisk's `sip.conf` defaults and
//! the RFC 4028 recommendations).

use crate::keyword::keywords;

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
}

keywords!(RefresherPref {
    "uac" => RefresherPref::Uac,
    "uas" => RefresherPref::Uas,
});

/// `refresh_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshMethod {
    /// re-INVITE (Asterisk always).
    Reinvite,
    /// UPDATE (RFC 4028 recommends it when the peer allows it).
    Update,
}

keywords!(RefreshMethod {
    "reinvite" => RefreshMethod::Reinvite,
    "update" => RefreshMethod::Update,
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
    /// Only once a 422 was seen (stacks that leave it unset).
    WhenSet,
}

keywords!(SendMinSe {
    "always" => SendMinSe::Always,
    "when_set" => SendMinSe::WhenSet,
});

/// One level of settings: each field is set or inherited.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TimerLayer {
    /// `session_timers`.
    pub mode: Option<Mode>,
    /// `session_expires`, seconds.
    pub session_expires: Option<u32>,
    /// `min_se`, seconds.
    pub min_se: Option<u32>,
    /// `refresher`.
    pub refresher: Option<RefresherPref>,
    /// `refresh_method`.
    pub refresh_method: Option<RefreshMethod>,
    /// `refresh_at`, fraction of the interval.
    pub refresh_at: Option<f64>,
    /// `expiry_guard`.
    pub expiry_guard: Option<ExpiryGuard>,
    /// `send_min_se`.
    pub send_min_se: Option<SendMinSe>,
    /// `require_timer`: the UA puts `Require: timer` in its requests (ST-UAC-2).
    pub require_timer: Option<bool>,
    /// `max_422_retries`: how many 422s a UA answers with a retry.
    pub max_422_retries: Option<u32>,
    /// `timer_rounding`.
    pub rounding: Option<Rounding>,
    /// `refresher_end`.
    pub refresher_end: Option<RefresherEnd>,
    /// `uas_timer_without_se`.
    pub uas_timer_without_se: Option<bool>,
    /// `uac_timer_without_se`.
    pub uac_timer_without_se: Option<bool>,
    /// `proxy_inserted_se`.
    pub proxy_inserted_se: Option<ProxyInsertedSe>,
    /// `small_se_unsupported`.
    pub small_se_unsupported: Option<SmallSe>,
    /// `update_supported`.
    pub update_supported: Option<bool>,
    /// `refresher_param`.
    pub refresher_param: Option<RefresherParamPref>,
    /// `refresh_alert_s`.
    pub refresh_alert_s: Option<u32>,
}

/// Fully resolved settings for one node (or one node–peer pair).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimerSettings {
    /// How it takes part: accept, originate or refuse.
    pub mode: Mode,
    /// Session-Expires asked for or granted, seconds.
    pub session_expires: u32,
    /// Own minimum, seconds.
    pub min_se: u32,
    /// Preferred refresher.
    pub refresher: RefresherPref,
    /// Refresh request method.
    pub refresh_method: RefreshMethod,
    /// Refresh point as a fraction of the interval.
    pub refresh_at: f64,
    /// Non-refresher's give-up point.
    pub expiry_guard: ExpiryGuard,
    /// When Min-SE is sent.
    pub send_min_se: SendMinSe,
    /// Send `Require: timer` (NOT RECOMMENDED by RFC 4028; off by default).
    pub require_timer: bool,
    /// Retries after 422 before giving up on the request.
    pub max_422_retries: u32,
    /// How the refresh point and the guard are rounded.
    pub rounding: Rounding,
    /// Whether the refresher ends the call itself when refreshes fail.
    pub refresher_end: RefresherEnd,
    /// As an accepting UAS: start a timer when the caller lists `timer` but
    /// sends no Session-Expires (chan_sip: yes; PJSIP optional, sofia: no).
    /// An originating UAS always does.
    pub uas_timer_without_se: bool,
    /// As UAC: run the timer alone when the 2xx to a request that asked for
    /// one has no Session-Expires (ST-UAC-10). `None`: in `originate` mode.
    pub uac_timer_without_se: Option<bool>,
    /// As UAS, a proxy-inserted Session-Expires. `None`: honoured in
    /// `originate` mode, ignored in `accept` (chan_sip).
    pub proxy_inserted_se: Option<ProxyInsertedSe>,
    /// As UAS, a too-small Session-Expires from a caller without `timer`.
    pub small_se_unsupported: SmallSe,
    /// Whether it implements UPDATE: chan_sip answers it with 501, and the
    /// refresh it carried does not count.
    pub update_supported: bool,
    /// The `refresher` parameter of the UAC's initial request.
    pub refresher_param: RefresherParamPref,
    /// A fixed refresh point in seconds after t2xx, used when it falls
    /// inside the interval (RADVISION `alertTime`); else `refresh_at`.
    pub refresh_alert_s: Option<u32>,
    /// The Min-SE a request without one implies, and the floor under every
    /// interval: 90 s ([`RFC_MIN_SE`](super::negotiation::RFC_MIN_SE)). With
    /// `[sip] strict_rfc = false` it is 1 s, so that values below 90 (SE 60,
    /// Min-SE 30, as deployed) are used and sent as given.
    pub floor_s: u32,
}

impl Default for TimerSettings {
    /// Asterisk chan_sip defaults: accept, 1800 s, Min-SE 90, refresher uas;
    /// RFC 4028 refresh at SE/2 and the RFC guard.
    fn default() -> Self {
        TimerSettings {
            mode: Mode::Accept,
            session_expires: 1800,
            min_se: 90,
            refresher: RefresherPref::Uas,
            refresh_method: RefreshMethod::Reinvite,
            refresh_at: 0.5,
            expiry_guard: ExpiryGuard::Rfc,
            send_min_se: SendMinSe::WhenSet,
            require_timer: false,
            max_422_retries: 2,
            rounding: Rounding::Exact,
            refresher_end: RefresherEnd::None,
            uas_timer_without_se: true,
            uac_timer_without_se: None,
            proxy_inserted_se: None,
            small_se_unsupported: SmallSe::Raise,
            update_supported: true,
            refresher_param: RefresherParamPref::None,
            refresh_alert_s: None,
            floor_s: super::negotiation::RFC_MIN_SE,
        }
    }
}

impl TimerLayer {
    /// `self` on top of `lower`: fields set here win.
    pub fn over(&self, lower: &TimerLayer) -> TimerLayer {
        TimerLayer {
            mode: self.mode.or(lower.mode),
            session_expires: self.session_expires.or(lower.session_expires),
            min_se: self.min_se.or(lower.min_se),
            refresher: self.refresher.or(lower.refresher),
            refresh_method: self.refresh_method.or(lower.refresh_method),
            refresh_at: self.refresh_at.or(lower.refresh_at),
            expiry_guard: self.expiry_guard.or(lower.expiry_guard),
            send_min_se: self.send_min_se.or(lower.send_min_se),
            require_timer: self.require_timer.or(lower.require_timer),
            max_422_retries: self.max_422_retries.or(lower.max_422_retries),
            rounding: self.rounding.or(lower.rounding),
            refresher_end: self.refresher_end.or(lower.refresher_end),
            uas_timer_without_se: self.uas_timer_without_se.or(lower.uas_timer_without_se),
            uac_timer_without_se: self.uac_timer_without_se.or(lower.uac_timer_without_se),
            proxy_inserted_se: self.proxy_inserted_se.or(lower.proxy_inserted_se),
            small_se_unsupported: self.small_se_unsupported.or(lower.small_se_unsupported),
            update_supported: self.update_supported.or(lower.update_supported),
            refresher_param: self.refresher_param.or(lower.refresher_param),
            refresh_alert_s: self.refresh_alert_s.or(lower.refresh_alert_s),
        }
    }

    /// Fills unset fields with the built-in defaults.
    pub fn resolve(&self) -> TimerSettings {
        let d = TimerSettings::default();
        TimerSettings {
            mode: self.mode.unwrap_or(d.mode),
            session_expires: self.session_expires.unwrap_or(d.session_expires),
            min_se: self.min_se.unwrap_or(d.min_se),
            refresher: self.refresher.unwrap_or(d.refresher),
            refresh_method: self.refresh_method.unwrap_or(d.refresh_method),
            refresh_at: self.refresh_at.unwrap_or(d.refresh_at),
            expiry_guard: self.expiry_guard.unwrap_or(d.expiry_guard),
            send_min_se: self.send_min_se.unwrap_or(d.send_min_se),
            require_timer: self.require_timer.unwrap_or(d.require_timer),
            max_422_retries: self.max_422_retries.unwrap_or(d.max_422_retries),
            rounding: self.rounding.unwrap_or(d.rounding),
            refresher_end: self.refresher_end.unwrap_or(d.refresher_end),
            uas_timer_without_se: self.uas_timer_without_se.unwrap_or(d.uas_timer_without_se),
            uac_timer_without_se: self.uac_timer_without_se,
            proxy_inserted_se: self.proxy_inserted_se,
            small_se_unsupported: self.small_se_unsupported.unwrap_or(d.small_se_unsupported),
            update_supported: self.update_supported.unwrap_or(d.update_supported),
            refresher_param: self.refresher_param.unwrap_or(d.refresher_param),
            refresh_alert_s: self.refresh_alert_s,
            floor_s: d.floor_s,
        }
    }
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
