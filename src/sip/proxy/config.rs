//! What a proxy is configured to be. The types admit only legal
//! combinations: a stateless proxy has no session timer (RFC 4028 §8,
//! ST-PROXY-1), and only a dialog-stateful proxy keeps dialog records,
//! times them out and may send BYE when they do.

use crate::engine::SimDuration;
use crate::keyword::keywords;
use crate::session_timer::ProxyTimerConfig;

/// How much state a proxy keeps (`stateful`), whatever else it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statefulness {
    /// Nothing.
    Stateless,
    /// Transactions.
    Transaction,
    /// Transactions and a record per dialog.
    Dialog,
}

keywords!(Statefulness {
    "none" => Statefulness::Stateless,
    "transaction" => Statefulness::Transaction,
    "dialog" => Statefulness::Dialog,
});

/// What a dialog-stateful proxy does when a record's timeout fires
/// (ST-PROXY-14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtExpiry {
    /// Drop the record silently (RFC 4028; ST-EXPIRE-3).
    Drop,
    /// Also send BYE toward both ends (Kamailio `send_bye`, OpenSIPS flag B).
    ByeBothEnds,
}

/// `lifetime`: where a dialog record's timeout comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// The Session-Expires of the 2xx it forwarded (ST-PROXY-13); without
    /// one, `dialog_timeout_s`.
    Negotiated,
    /// The proxy's own interval (`ProxyMemo::interval`) once a 2xx with SE
    /// passed; without one, `dialog_timeout_s` (OpenSIPS as measured).
    Interval,
    /// The initial INVITE's Session-Expires as it arrived, which the routing
    /// script copies into the timeout; without one, `dialog_timeout_s`.
    InviteSe,
    /// Always `dialog_timeout_s` (Kamailio: the dialog module fixes the
    /// lifetime before sst runs).
    DialogTimeout,
}

keywords!(Lifetime {
    "negotiated" => Lifetime::Negotiated,
    "interval" => Lifetime::Interval,
    "invite_se" => Lifetime::InviteSe,
    "dialog_timeout" => Lifetime::DialogTimeout,
});

/// `lifetime_on_refresh`: whether a refresh changes the record's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRefresh {
    /// Take the refresh's SE (the 2xx's, or the request's under `invite_se`).
    Adopt,
    /// Keep the lifetime set at the initial INVITE (Kamailio unless the
    /// script copies SE again; OpenSIPS).
    Keep,
}

keywords!(OnRefresh {
    "adopt" => OnRefresh::Adopt,
    "keep" => OnRefresh::Keep,
});

/// `timeout_restart`: what starts a record's timeout over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutRestart {
    /// The 2xx of a refresh it forwards (ST-PROXY-13).
    Refresh2xx,
    /// Any in-dialog request it relays except BYE, the ACK included
    /// (Kamailio `dlg_onroute`, OpenSIPS).
    InDialogRequest,
}

keywords!(TimeoutRestart {
    "refresh_2xx" => TimeoutRestart::Refresh2xx,
    "in_dialog_request" => TimeoutRestart::InDialogRequest,
});

/// `expiry_free`: when a record whose timeout sent BYEs is freed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryFree {
    /// At once.
    AtExpiry,
    /// At the first final response to either BYE, a timeout counting as
    /// one (Kamailio as measured).
    FirstFinal,
    /// When both BYE transactions have ended, plus the linger (OpenSIPS as
    /// measured: about 35 s with a dead leg).
    TransactionsEnd,
}

keywords!(ExpiryFree {
    "at_expiry" => ExpiryFree::AtExpiry,
    "first_final" => ExpiryFree::FirstFinal,
    "transactions_end" => ExpiryFree::TransactionsEnd,
});

/// How a dialog-stateful proxy times its records out and frees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DialogPolicy {
    /// A hard cap from the 2xx on, never restarted, freed silently
    /// (`dialog_fallback_lifetime_s`); `None` = none.
    pub fallback_lifetime: Option<SimDuration>,
    /// The dialog module's own timeout (`dialog_timeout_s`, Kamailio and
    /// OpenSIPS `default_timeout` = 43,200 s); `None` = none.
    pub dialog_timeout: Option<SimDuration>,
    /// Where the timeout comes from.
    pub lifetime: Lifetime,
    /// Whether a refresh changes it.
    pub on_refresh: OnRefresh,
    /// What starts it over.
    pub restart: TimeoutRestart,
    /// The dialog timer's tick: a timeout armed at t fires at
    /// ⌊t⌋ + lifetime on this grid (`None`: exactly t + lifetime).
    pub tick: Option<SimDuration>,
    /// What it does at the timeout.
    pub at_expiry: AtExpiry,
    /// When a record that sent BYEs at its timeout is freed.
    pub expiry_free: ExpiryFree,
    /// How long a terminated record stays listed: after a UA's BYE passes,
    /// and after its own BYE transactions end (`terminated_linger_s`).
    pub linger: SimDuration,
}

impl DialogPolicy {
    /// RFC 4028: the negotiated SE, restarted by refresh 2xx, dropped
    /// silently and at once; no other timeout.
    pub const RFC: DialogPolicy = DialogPolicy {
        fallback_lifetime: None,
        dialog_timeout: None,
        lifetime: Lifetime::Negotiated,
        on_refresh: OnRefresh::Adopt,
        restart: TimeoutRestart::Refresh2xx,
        tick: None,
        at_expiry: AtExpiry::Drop,
        expiry_free: ExpiryFree::AtExpiry,
        linger: SimDuration::ZERO,
    };
}

/// How much state a proxy keeps, and the timer it runs on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyState {
    /// Forwards each message on its own; keeps nothing, requests no timer.
    Stateless,
    /// Keeps transactions only; may be timer-aware (RFC 4028 §8, erratum 4056).
    Transaction {
        /// Its session-timer settings, if timer-aware.
        timers: Option<ProxyTimerConfig>,
    },
    /// Keeps transactions and a record per dialog.
    Dialog {
        /// Its session-timer settings, if timer-aware.
        timers: Option<ProxyTimerConfig>,
        /// How its records time out and are freed.
        dialogs: DialogPolicy,
    },
}

/// A proxy's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyConfig {
    /// State kept.
    pub state: ProxyState,
    /// Adds itself to Record-Route on initial INVITEs.
    pub record_route: bool,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            state: ProxyState::Transaction { timers: None },
            record_route: false,
        }
    }
}

impl ProxyConfig {
    /// True unless stateless.
    pub fn is_stateful(&self) -> bool {
        !matches!(self.state, ProxyState::Stateless)
    }

    /// Its session-timer negotiation settings, if timer-aware.
    pub fn timers(&self) -> Option<&ProxyTimerConfig> {
        match &self.state {
            ProxyState::Stateless => None,
            ProxyState::Transaction { timers } | ProxyState::Dialog { timers, .. } => {
                timers.as_ref()
            }
        }
    }

    /// True if it keeps a record per dialog.
    pub fn keeps_dialogs(&self) -> bool {
        matches!(self.state, ProxyState::Dialog { .. })
    }

    /// Its dialog policy, if dialog-stateful.
    pub fn dialogs(&self) -> Option<&DialogPolicy> {
        match &self.state {
            ProxyState::Dialog { dialogs, .. } => Some(dialogs),
            _ => None,
        }
    }
}
