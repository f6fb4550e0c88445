//! Proxy products as named bundles of settings (`profile = "..."` on a
//! proxy node). Each value names its source; `docs/profiles.md` explains
//! them. Sources: `shared/spec/stack-profiles.md` §2.7 and §5 (Kamailio
//! 5.6.3 as measured), §2.8 and §9 (OpenSIPS 3.5.9 as measured), and the
//! modules' defaults read from the code (Kamailio `sst.c`, `dialog.c`,
//! `tm/config.h`; OpenSIPS `sst.c`, `tm/config.h`). Where a measurement
//! and a reading differ, the measurement wins.

use crate::engine::SimDuration;
use crate::session_timer::negotiation::RFC_MIN_SE;
use crate::session_timer::{
    MinSeIn422, MinSeWithoutSe, ProxyInterval, ProxyRules, ProxyTimerConfig, RefreshRequests,
    SeIn2xx, SmallSeWithoutTimer,
};
use crate::sip::SipOverrides;

use super::config::{
    AtExpiry, DialogPolicy, ExpiryFree, Lifetime, OnRefresh, ProxyConfig, ProxyState, Statefulness,
    TimeoutRestart,
};

/// Everything a proxy node's keys can set, with a value for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyPreset {
    /// State kept.
    pub stateful: Statefulness,
    /// Adds itself to Record-Route on initial INVITEs.
    pub record_route: bool,
    /// Timer-aware (RFC 4028 §8).
    pub timers: bool,
    /// Its minimum session interval, seconds.
    pub min_se: u32,
    /// OpenSIPS `sst_interval`, seconds (0: unset).
    pub sst_interval: u32,
    /// Its request and response handling.
    pub rules: ProxyRules,
    /// How its dialog records time out and are freed.
    pub dialogs: DialogPolicy,
    /// Its own transaction timers.
    pub sip: SipOverrides,
}

impl ProxyPreset {
    /// A proxy with no profile: transaction-stateful, no Record-Route, no
    /// timer; were it made timer-aware or dialog-stateful, the RFC's rules.
    pub const DEFAULT: ProxyPreset = ProxyPreset {
        stateful: Statefulness::Transaction,
        record_route: false,
        timers: false,
        min_se: RFC_MIN_SE,
        sst_interval: 0,
        rules: ProxyRules::RFC,
        dialogs: DialogPolicy::RFC,
        sip: SipOverrides {
            t1: None,
            t2: None,
            t4: None,
            timer_b: None,
            timer_f: None,
            timer_c: None,
        },
    };
}

impl ProxyPreset {
    /// The proxy these values describe, with a Session-Expires ceiling
    /// (RFC 4028 §8.1 lowering) if any and the floor under every interval.
    pub fn config(&self, ceiling: Option<u32>, floor_s: u32) -> ProxyConfig {
        let timers = self.timers.then_some(ProxyTimerConfig {
            ceiling,
            min_se: self.min_se,
            floor_s,
            sst_interval: self.sst_interval,
            rules: self.rules,
        });
        let state = match self.stateful {
            Statefulness::Stateless => ProxyState::Stateless,
            Statefulness::Transaction => ProxyState::Transaction { timers },
            Statefulness::Dialog => ProxyState::Dialog {
                timers,
                dialogs: self.dialogs,
            },
        };
        ProxyConfig {
            state,
            record_route: self.record_route,
        }
    }
}

/// Names accepted by a proxy's `profile`.
pub const PROXY_PROFILES: &[&str] = &[
    "rfc4028",
    "kamailio",
    "kamailio-5.6.3",
    "opensips",
    "dialog-only",
    "stateless",
];

/// 12 hours: Kamailio's and OpenSIPS's dialog `default_timeout`.
const DEFAULT_TIMEOUT: SimDuration = SimDuration::from_secs(43_200);

/// tm's `fr_timer` / `fr_timeout` (30 s, `FR_TIME_OUT`) ends client
/// transactions, INVITE before a provisional and non-INVITE alike; after a
/// provisional an INVITE waits `fr_inv_timer` (120 s, `INV_FR_TIME_OUT`).
/// With T1 0.5 s and T2 4 s a BYE to a dead leg goes 10 times, the last at
/// 27.5 s (§5, §9 as measured).
const TM_TIMERS: SipOverrides = SipOverrides {
    t1: None,
    t2: None,
    t4: None,
    timer_b: Some(SimDuration::from_secs(30)),
    timer_f: Some(SimDuration::from_secs(30)),
    timer_c: Some(SimDuration::from_secs(120)),
};

/// Kamailio sst + dialog + tm as shipped, with the BYE at timeout the
/// measured set-up turns on (`send_bye = 1`).
const KAMAILIO: ProxyPreset = ProxyPreset {
    stateful: Statefulness::Dialog,
    record_route: true,
    timers: true,
    // sst.c `sst_minSE` = 90 (the README's 1800 is wrong, §5).
    min_se: RFC_MIN_SE,
    sst_interval: 0,
    rules: ProxyRules {
        interval: ProxyInterval::AtLeastMinSe,
        small_se_without_timer: SmallSeWithoutTimer::RaiseMinSe,
        min_se_without_se: MinSeWithoutSe::Raise,
        // sst.c `sst_reject` = 1.
        reject_small: true,
        min_se_in_422: MinSeIn422::MaxWithRequest,
        forward_after_422: false,
        script_check_min: false,
        check_min_inverted: false,
        se_in_2xx: SeIn2xx::UacSupportsOrInserted,
        require_in_2xx: false,
        refresh_requests: RefreshRequests::Pass,
    },
    dialogs: DialogPolicy {
        fallback_lifetime: None,
        dialog_timeout: Some(DEFAULT_TIMEOUT),
        // `dlg_new_dialog` fixes the lifetime before sst runs (§2.7, §5).
        lifetime: Lifetime::DialogTimeout,
        on_refresh: OnRefresh::Keep,
        restart: TimeoutRestart::InDialogRequest,
        tick: Some(SimDuration::from_secs(1)),
        at_expiry: AtExpiry::ByeBothEnds,
        expiry_free: ExpiryFree::FirstFinal,
        linger: SimDuration::from_secs(5),
    },
    sip: TM_TIMERS,
};

/// The profile `name` stands for, if it is one of [`PROXY_PROFILES`].
pub fn proxy_profile(name: &str) -> Option<ProxyPreset> {
    let rfc = ProxyPreset {
        stateful: Statefulness::Dialog,
        record_route: true,
        timers: true,
        ..ProxyPreset::DEFAULT
    };
    Some(match name {
        "rfc4028" => rfc,
        "kamailio" => KAMAILIO,
        // The two defects §5 measured, fixed in 5.6.5, 5.7.1 and 5.8.0.
        "kamailio-5.6.3" => ProxyPreset {
            rules: ProxyRules {
                forward_after_422: true,
                check_min_inverted: true,
                ..KAMAILIO.rules
            },
            ..KAMAILIO
        },
        // OpenSIPS 3.5.9 as measured (§9), flag B set.
        "opensips" => ProxyPreset {
            rules: ProxyRules {
                interval: ProxyInterval::Configured,
                // `send_reject` sends the 422 with an empty header, and the
                // INVITE still goes on.
                min_se_in_422: MinSeIn422::Absent,
                forward_after_422: true,
                se_in_2xx: SeIn2xx::UacSupports,
                require_in_2xx: true,
                ..KAMAILIO.rules
            },
            dialogs: DialogPolicy {
                lifetime: Lifetime::Interval,
                // Listed about 35 s after the BYE: the 30 s BYE transaction
                // and then about 5 s (tm's wait timer, `WT_TIME_OUT`).
                expiry_free: ExpiryFree::TransactionsEnd,
                ..KAMAILIO.dialogs
            },
            ..KAMAILIO
        },
        // The dialog module without sst (Kamailio or OpenSIPS): 12 h,
        // restarted by in-dialog requests, dropped silently (`send_bye` 0).
        "dialog-only" => ProxyPreset {
            timers: false,
            dialogs: DialogPolicy {
                at_expiry: AtExpiry::Drop,
                expiry_free: ExpiryFree::AtExpiry,
                ..KAMAILIO.dialogs
            },
            ..KAMAILIO
        },
        // A stateless relay: no state, no timer, no Record-Route.
        "stateless" => ProxyPreset {
            stateful: Statefulness::Stateless,
            ..ProxyPreset::DEFAULT
        },
        _ => return None,
    })
}
