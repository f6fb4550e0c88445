//! What a proxy is configured to be. The types admit only legal
//! combinations: a stateless proxy has no session timer (RFC 4028 §8,
//! ST-PROXY-1), only a dialog-stateful proxy keeps dialog records with a
//! fallback lifetime, and only one that also has a timer can act at expiry.

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

/// What a dialog-stateful, timer-aware proxy does when a session expires
/// (ST-PROXY-14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtExpiry {
    /// Drop the record silently (RFC 4028; ST-EXPIRE-3).
    Drop,
    /// Also send BYE toward both ends (as Kamailio's dialog module can).
    ByeBothEnds,
}

/// A dialog-stateful proxy's session timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordTimers {
    /// Its negotiation settings (RFC 4028 §8).
    pub negotiation: ProxyTimerConfig,
    /// What it does at a record's expiry.
    pub at_expiry: AtExpiry,
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
        /// Its session timer, if timer-aware.
        timers: Option<RecordTimers>,
        /// How long a record lives when nothing else frees it; `None` = forever.
        fallback_lifetime: Option<SimDuration>,
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
            ProxyState::Transaction { timers } => timers.as_ref(),
            ProxyState::Dialog { timers, .. } => timers.as_ref().map(|t| &t.negotiation),
        }
    }

    /// True if it keeps a record per dialog.
    pub fn keeps_dialogs(&self) -> bool {
        matches!(self.state, ProxyState::Dialog { .. })
    }

    /// True if it sends BYE toward both ends when a record expires.
    pub fn bye_on_expiry(&self) -> bool {
        matches!(
            self.state,
            ProxyState::Dialog {
                timers: Some(RecordTimers {
                    at_expiry: AtExpiry::ByeBothEnds,
                    ..
                }),
                ..
            }
        )
    }

    /// A record's fallback lifetime, if any.
    pub fn fallback_lifetime(&self) -> Option<SimDuration> {
        match self.state {
            ProxyState::Dialog {
                fallback_lifetime, ..
            } => fallback_lifetime,
            _ => None,
        }
    }
}
