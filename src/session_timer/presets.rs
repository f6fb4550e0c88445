//! Named bundles of settings (`profile = "..."`) and the products' own
//! configuration words (`timers`, `use_timer`, `refresher_preference`),
//! each with its source. `docs/profiles.md` explains every value; the
//! sources are the product files and functions read in
//! `shared/spec/stack-profiles.md` and `shared/spec/session-timers.md` §4.

use crate::keyword::keywords;
use crate::sip::status::{ByeReasons, ReasonPhrases};

use super::settings::{
    ExpiryGuard, ExpiryRestart, LowerSe, MinSeFrom422, Mode, No422MinSe, ProxyInsertedSe,
    RefreshHeaders, RefreshMethod, RefreshRetry, RefreshTimeout, RefresherEnd, RefresherParamPref,
    RefresherPref, Rounding, SendMinSe, Small2xx, SmallSe, SmallSeSupported, TimerLayer,
    UnnamedRefresher,
};

/// Names accepted by `profile`.
pub const PROFILES: &[&str] = &[
    "rfc4028",
    "asterisk",
    "asterisk-pjsip",
    "pjsip",
    "sofia-sip",
    "freeswitch",
    "resiprocate",
    "radvision",
];

/// The safety cap that stands for "no limit" on 422 retries.
pub const UNBOUNDED_422_RETRIES: u32 = 1000;

/// The settings a profile stands for.
pub fn profile(name: &str) -> Option<TimerLayer> {
    Some(match name {
        "rfc4028" => rfc4028(),
        "asterisk" => chan_sip(),
        // res_pjsip hands session timers to PJSIP (`timers_handler` maps
        // `timers = yes`, the default, to PJSIP's SUPPORT flag);
        // `timers_sess_expires` 1800 and `timers_min_se` 90 are PJSIP's own.
        "asterisk-pjsip" | "pjsip" => pjsip(),
        "sofia-sip" => sofia_sip(),
        "freeswitch" => freeswitch(),
        "resiprocate" => resiprocate(),
        "radvision" => radvision(),
        _ => return None,
    })
}

/// RFC 4028's recommendations: ask for a timer, SE 1800 (§4), Min-SE 90
/// sent (§7.1), UPDATE when the peer allows it (§7.4 [R]), refresh at
/// SI/2 and BYE at SI − min(32, SI/3) (§10 [R]); the UAS picks the refresher.
fn rfc4028() -> TimerLayer {
    TimerLayer {
        mode: Some(Mode::Originate),
        session_expires: Some(1800),
        min_se: Some(90),
        refresher: Some(RefresherPref::Uas),
        refresh_method: Some(RefreshMethod::UpdateIfAllowed),
        refresh_at: Some(0.5),
        expiry_guard: Some(ExpiryGuard::Rfc),
        send_min_se: Some(SendMinSe::Always),
        ..TimerLayer::default()
    }
}

/// Asterisk chan_sip (`channels/chan_sip.c`, spec §4.1, stack-profiles
/// §2.1 and §6 as measured).
fn chan_sip() -> TimerLayer {
    TimerLayer {
        // `global_st_mode`, DEFAULT_MAX_SE, DEFAULT_MIN_SE, `global_st_refresher`.
        mode: Some(Mode::Accept),
        session_expires: Some(1800),
        min_se: Some(90),
        refresher: Some(RefresherPref::Uas),
        // `transmit_invite`: no refresher parameter; Min-SE only when not 90.
        refresher_param: Some(RefresherParamPref::None),
        send_min_se: Some(SendMinSe::WhenSet),
        // `transmit_reinvite_with_sdp` only; `handle_request_update` → 501.
        refresh_method: Some(RefreshMethod::Reinvite),
        update_supported: Some(false),
        // `__start_session_timer`: SI/2 and SI − min(SI/3, 32 s), in ms;
        // `proc_session_timer` re-fires every SI/2.
        refresh_at: Some(0.5),
        expiry_guard: Some(ExpiryGuard::Rfc),
        rounding: Some(Rounding::Millis),
        refresh_retry: Some(RefreshRetry::Repeat),
        // `handle_request_invite` re-arms the timer before answering.
        expiry_restart: Some(ExpiryRestart::Request),
        // `handle_request_invite_st`: parsed only when the UAC lists
        // `timer`; a timer even without SE; SI rule keeps the request's SE
        // when session-expires is below its Min-SE.
        proxy_inserted_se: Some(Some(ProxyInsertedSe::Ignore)),
        uas_timer_without_se: Some(true),
        lower_se: Some(LowerSe::ToOwnIfAboveMinSe),
        // `handle_response_invite`: SE below session-minse → BYE after ACK;
        // measured: a refresh 2xx without SE leaves the timer running.
        small_se_in_2xx: Some(Small2xx::Bye),
        keep_timer_on_plain_2xx: Some(true),
        // `retrans_pkt` → `sip_alreadygone`: no BYE on a refresh timeout.
        refresh_timeout: Some(RefreshTimeout::Local),
        // Measured: plain re-INVITEs to a peer without timer support.
        refresh_headers: Some(RefreshHeaders::IfPeerSupports),
        // `proc_422_rsp`: the last Min-SE, no counter, a missing Min-SE
        // only logged.
        min_se_from_422: Some(MinSeFrom422::Last),
        max_422_retries: Some(UNBOUNDED_422_RETRIES),
        on_422_without_min_se: Some(No422MinSe::GiveUp),
        // `420 Option Disabled`; measured `501 Method Not Implemented`.
        reason_phrases: Some(ReasonPhrases::ChanSip),
        ..TimerLayer::default()
    }
}

/// PJSIP with PJSUA's default `use_timer = optional` (`sip_timer.c`,
/// `sip_inv.c`, stack-profiles §2.3 and §7 as measured).
fn pjsip() -> TimerLayer {
    TimerLayer {
        // `pjsip_timer_setting_default`; `pjsip_timer_update_req` always
        // adds SE and Min-SE, the initial INVITE without a refresher.
        session_expires: Some(1800),
        // Measured (§7): Reason 408 on the expiry BYE and on the BYE after
        // an unanswered refresh.
        bye_reason: Some(ByeReasons::Pjsip),
        min_se: Some(90),
        send_min_se: Some(SendMinSe::Always),
        refresher_param: Some(RefresherParamPref::None),
        // `pjsip_timer_process_req`: the UAC if it sent SE, else the UAS;
        // mid-dialog the roles stay; never lowers SE; 422 below
        // max(own, request Min-SE) whether or not the caller lists `timer`.
        refresher: Some(RefresherPref::UacWhenAsked),
        refresher_without_param: Some(UnnamedRefresher::Keep),
        lower_se: Some(LowerSe::Never),
        small_se_supported: Some(SmallSeSupported::Reject),
        small_se_unsupported: Some(SmallSe::Reject),
        proxy_inserted_se: Some(Some(ProxyInsertedSe::Honour)),
        // `use_update` when the peer's Allow lists UPDATE.
        refresh_method: Some(RefreshMethod::UpdateIfAllowed),
        // `start_timer`: SE/2 and the non-refresher's BYE in whole
        // seconds (measured: SE 95 → 64 s); the refresher's backstop at SE.
        refresh_at: Some(0.5),
        expiry_guard: Some(ExpiryGuard::Rfc),
        rounding: Some(Rounding::Seconds),
        refresher_end: Some(RefresherEnd::AtExpiry),
        // `pjsip_timer_handle_refresh_error`: 503 → retry after
        // PJSIP_SESS_TIMER_RETRY_DELAY (10 s).
        retry_after_503_s: Some(Some(10)),
        // `pjsip_timer_process_resp`: one retry with max(422's, own); a
        // second consecutive 422 or one without Min-SE ends it; a 2xx SE
        // below the own minimum is adopted.
        max_422_retries: Some(1),
        min_se_from_422: Some(MinSeFrom422::Largest),
        on_422_without_min_se: Some(No422MinSe::End),
        small_se_in_2xx: Some(Small2xx::Adopt),
        ..TimerLayer::default()
    }
    .over(&use_timer(PjsipTimers::Yes))
}

/// sofia-sip nua defaults (`nua_session.c`, `nua_params.c`,
/// stack-profiles §2.4 and §8 as measured).
fn sofia_sip() -> TimerLayer {
    TimerLayer {
        // `nua_stack_set_defaults`: session_timer 1800 is only a ceiling,
        // not sent without a preference; min_se 120; refresher none;
        // update_refresh 0; retry_count 3.
        mode: Some(Mode::Accept),
        // Measured (§8): Reason 408 "Session timeout" at expiry only.
        bye_reason: Some(ByeReasons::SofiaSip),
        session_expires: Some(1800),
        min_se: Some(120),
        refresher_param: Some(RefresherParamPref::None),
        refresh_method: Some(RefreshMethod::Reinvite),
        max_422_retries: Some(3),
        // `session_timer_add_headers`: Min-SE in requests and 422s.
        send_min_se: Some(SendMinSe::Always),
        // `session_timer_negotiate`: the peer's parameter, else the UAC
        // refreshes; a caller without `timer` makes the UAS refresh, with SE
        // raised to the own Min-SE; no timer without SE from the caller.
        refresher: Some(RefresherPref::Uac),
        small_se_unsupported: Some(SmallSe::Raise),
        proxy_inserted_se: Some(Some(ProxyInsertedSe::Honour)),
        uas_timer_without_se: Some(false),
        lower_se: Some(LowerSe::ToOwn),
        // `session_timer_set`: refresh uniformly in [SE/2 − 5, SE/2 + 5]
        // (SE ≥ 90), BYE at SE − min(32, SE/10), whole seconds; no backstop.
        refresh_at: Some(0.5),
        refresh_jitter_s: Some(5),
        expiry_guard: Some(ExpiryGuard::Tenth),
        rounding: Some(Rounding::Seconds),
        refresher_end: Some(RefresherEnd::None),
        // `session_timer_check_restart`: Min-SE the monotonic maximum.
        min_se_from_422: Some(MinSeFrom422::Largest),
        ..TimerLayer::default()
    }
}

/// FreeSWITCH: sofia-sip with the refresher preferences `sofia_glue.c` and
/// `mod_sofia.c` set once a session timeout is configured: local on
/// outbound legs (the UAC asks `refresher=uac`), remote on inbound ones
/// (as UAS it makes the caller refresh). A preference makes sofia-sip send
/// its session_timer (1800 unless `session-timeout` says otherwise).
fn freeswitch() -> TimerLayer {
    TimerLayer {
        mode: Some(Mode::Originate),
        refresher_param: Some(RefresherParamPref::Uac),
        refresher: Some(RefresherPref::Uac),
        ..TimerLayer::default()
    }
    .over(&sofia_sip())
}

/// reSIProcate DUM (`InviteSession.cxx`, `DialogSet.cxx`, `Profile.cxx`,
/// stack-profiles §2.5).
fn resiprocate() -> TimerLayer {
    TimerLayer {
        // `unsetDefaultSessionTime` 1800; PreferCallerRefreshes.
        mode: Some(Mode::Originate),
        session_expires: Some(1800),
        min_se: Some(90),
        refresher: Some(RefresherPref::Uac),
        // `sessionRefresh`: UPDATE if the peer allows it, else re-INVITE;
        // OPTIONS toward a peer without timer support.
        refresh_method: Some(RefreshMethod::UpdateIfAllowed),
        options_to_unsupported: Some(true),
        // `startSessionTimer`: refresh at SE/2, expiration at
        // SE − min(32, SE/3) on both sides; nothing below 90 s.
        refresh_at: Some(0.5),
        expiry_guard: Some(ExpiryGuard::Rfc),
        refresher_end: Some(RefresherEnd::Guard),
        timer_off_below_s: Some(Some(90)),
        // `dispatch` of SessionRefresh: again at half the delay while > 32 s.
        refresh_retry: Some(RefreshRetry::Halving),
        // `handleSessionTimerRequest`: the peer's SE only if it supports
        // timers, else its own; never 422, never lowered.
        proxy_inserted_se: Some(Some(ProxyInsertedSe::Replace)),
        small_se_supported: Some(SmallSeSupported::Accept),
        small_se_unsupported: Some(SmallSe::Accept),
        lower_se: Some(LowerSe::Never),
        // `handleSessionTimerResponse`: no SE in the 2xx → self-refresh.
        uac_timer_without_se: Some(Some(true)),
        // `DialogSet.cxx`: SE = Min-SE = the 422's, no counter; Min-SE required.
        min_se_from_422: Some(MinSeFrom422::Last),
        max_422_retries: Some(UNBOUNDED_422_RETRIES),
        on_422_without_min_se: Some(No422MinSe::GiveUp),
        ..TimerLayer::default()
    }
}

/// RADVISION SIP stack defaults (HP-UX C SIP Stack guide pp. 377–382,
/// spec §4.2, stack-profiles §2.6).
fn radvision() -> TimerLayer {
    TimerLayer {
        // sessionExpires 1800; minSE unset: 90 used, Min-SE sent once after
        // a 422; preference DONT_CARE: no parameter, the UAS refreshes.
        mode: Some(Mode::Originate),
        session_expires: Some(1800),
        min_se: Some(90),
        send_min_se: Some(SendMinSe::After422),
        refresher_param: Some(RefresherParamPref::None),
        refresher: Some(RefresherPref::Uas),
        // Auto mode refreshes with re-INVITE at alertTime = SE/2.
        refresh_method: Some(RefreshMethod::Reinvite),
        refresh_at: Some(0.5),
        // End timer on both sides at SE − min(32, ⌊SE/3⌋), whole seconds.
        expiry_guard: Some(ExpiryGuard::Rfc),
        rounding: Some(Rounding::Seconds),
        refresher_end: Some(RefresherEnd::Guard),
        // UAS: 422 below minSE even without `timer`; SE checked, support
        // not; UAC: a 2xx SE below minSE is ignored; DEST_NOT_SUPPORTED
        // defaults to running the timer alone.
        small_se_unsupported: Some(SmallSe::Reject),
        proxy_inserted_se: Some(Some(ProxyInsertedSe::Honour)),
        small_se_in_2xx: Some(Small2xx::Keep),
        uac_timer_without_se: Some(Some(true)),
        ..TimerLayer::default()
    }
}

/// res_pjsip `timers` and PJSUA `use_timer`, one table (`no` and
/// `inactive`, `yes` and `optional` are the same flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PjsipTimers {
    /// No timer support (`timers = no`, `use_timer = inactive`).
    No,
    /// SUPPORT: offer one, start none without SE (the default).
    Yes,
    /// REQUIRE: `Require: timer`, 421 to callers without it, BYE on a 2xx
    /// without SE.
    Required,
    /// ALWAYS: run one even when the peer does not want it.
    Always,
}

keywords!(PjsipTimers {
    "no" => PjsipTimers::No,
    "inactive" => PjsipTimers::No,
    "yes" => PjsipTimers::Yes,
    "optional" => PjsipTimers::Yes,
    "required" => PjsipTimers::Required,
    "always" => PjsipTimers::Always,
});

/// The keys a PJSIP timer mode stands for (`pjsua_call.c` maps the modes
/// to invite flags; `sip_timer.c` and `sip_inv.c` read them).
pub fn use_timer(mode: PjsipTimers) -> TimerLayer {
    let on = |uas_without_se, uac_alone, required| TimerLayer {
        mode: Some(Mode::Originate),
        uas_timer_without_se: Some(uas_without_se),
        uac_timer_without_se: Some(Some(uac_alone)),
        timer_required: Some(required),
        require_timer: Some(required),
        ..TimerLayer::default()
    };
    match mode {
        PjsipTimers::No => TimerLayer {
            mode: Some(Mode::Refuse),
            ..TimerLayer::default()
        },
        PjsipTimers::Yes => on(false, false, false),
        PjsipTimers::Required => on(true, false, true),
        PjsipTimers::Always => on(true, true, false),
    }
}

/// RADVISION's per-call-leg refresher preference (also sofia-sip's
/// local/remote refresher as FreeSWITCH sets it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefresherPreference {
    /// This UA refreshes: `refresher=uac` as UAC, `uas` as UAS.
    Local,
    /// The peer refreshes: `refresher=uas` as UAC, `uac` as UAS.
    Remote,
    /// No parameter as UAC; the UAS refreshes.
    DontCare,
}

keywords!(RefresherPreference {
    "local" => RefresherPreference::Local,
    "remote" => RefresherPreference::Remote,
    "dont_care" => RefresherPreference::DontCare,
});

/// The keys a refresher preference stands for.
pub fn refresher_preference(p: RefresherPreference) -> TimerLayer {
    let (param, pref) = match p {
        RefresherPreference::Local => (RefresherParamPref::Uac, RefresherPref::Uas),
        RefresherPreference::Remote => (RefresherParamPref::Uas, RefresherPref::Uac),
        RefresherPreference::DontCare => (RefresherParamPref::None, RefresherPref::Uas),
    };
    TimerLayer {
        refresher_param: Some(param),
        refresher: Some(pref),
        ..TimerLayer::default()
    }
}
