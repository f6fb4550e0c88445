//! The RFC 4028 header fields as typed values (§4, §5, §12.3): what a SIP
//! message carries for session timers, independent of any message layout.

/// The `refresher` parameter of Session-Expires (RFC 4028 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefresherParam {
    /// The client of the transaction refreshes.
    Uac,
    /// The server of the transaction refreshes.
    Uas,
}

impl RefresherParam {
    /// The parameter value as on the wire.
    pub fn name(self) -> &'static str {
        match self {
            RefresherParam::Uac => "uac",
            RefresherParam::Uas => "uas",
        }
    }
}

/// A Session-Expires header field value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionExpires {
    /// The session interval asked for or granted, in delta-seconds.
    pub delta_s: u32,
    /// The refresher parameter, if present.
    pub refresher: Option<RefresherParam>,
}

/// The RFC 4028 header fields of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimerHeaders {
    /// `Session-Expires`.
    pub session_expires: Option<SessionExpires>,
    /// `Min-SE` (absent means 90).
    pub min_se: Option<u32>,
    /// `timer` in `Supported`.
    pub supported_timer: bool,
    /// `timer` in `Require`.
    pub require_timer: bool,
    /// `timer` in `Unsupported` (in a 420).
    pub unsupported_timer: bool,
    /// `UPDATE` in `Allow`: RFC 4028 §7.4 refreshes with UPDATE when the
    /// peer allows it.
    pub allow_update: bool,
}
