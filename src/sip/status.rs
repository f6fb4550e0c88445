//! SIP status codes: one table (code, reason phrase, defining RFC) that
//! generates the constants, the reason phrases and `Display`.

use std::fmt;

/// A SIP response status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCode(pub u16);

macro_rules! status_table {
    ($( $name:ident = $code:literal, $reason:literal, $rfc:literal; )*) => {
        impl StatusCode {
            $(
                #[doc = concat!($code, " ", $reason, " (", $rfc, ")")]
                pub const $name: StatusCode = StatusCode($code);
            )*

            /// The reason phrase, or "Unknown" for codes not in the table.
            pub fn reason(self) -> &'static str {
                match self.0 {
                    $( $code => $reason, )*
                    _ => "Unknown",
                }
            }

            /// The RFC that defines the code.
            pub fn rfc(self) -> Option<&'static str> {
                match self.0 {
                    $( $code => Some($rfc), )*
                    _ => None,
                }
            }
        }
    };
}

status_table! {
    TRYING = 100, "Trying", "RFC 3261 §21.1.1";
    OK = 200, "OK", "RFC 3261 §21.2.1";
    NOT_FOUND = 404, "Not Found", "RFC 3261 §21.4.5";
    REQUEST_TIMEOUT = 408, "Request Timeout", "RFC 3261 §21.4.9";
    BAD_EXTENSION = 420, "Bad Extension", "RFC 3261 §21.4.15";
    EXTENSION_REQUIRED = 421, "Extension Required", "RFC 3261 §21.4.16";
    SESSION_INTERVAL_TOO_SMALL = 422, "Session Interval Too Small", "RFC 4028 §6";
    TEMPORARILY_UNAVAILABLE = 480, "Temporarily Unavailable", "RFC 3261 §21.4.18";
    CALL_DOES_NOT_EXIST = 481, "Call/Transaction Does Not Exist", "RFC 3261 §21.4.19";
    REQUEST_PENDING = 491, "Request Pending", "RFC 3261 §21.4.27";
    SERVER_INTERNAL_ERROR = 500, "Server Internal Error", "RFC 3261 §21.5.1";
    NOT_IMPLEMENTED = 501, "Not Implemented", "RFC 3261 §21.5.2";
    SERVICE_UNAVAILABLE = 503, "Service Unavailable", "RFC 3261 §21.5.4";
}

/// Whose reason phrases a node puts on its responses (shown in traces).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReasonPhrases {
    /// RFC 3261's (and RFC 4028's).
    #[default]
    Rfc,
    /// Asterisk chan_sip's: `420 Option Disabled` (spec §4.1) and
    /// `501 Method Not Implemented` (stack-profiles §6, measured).
    ChanSip,
}

crate::keyword::keywords!(ReasonPhrases {
    "rfc" => ReasonPhrases::Rfc,
    "chan_sip" => ReasonPhrases::ChanSip,
});

impl ReasonPhrases {
    /// The phrase these words give `code`.
    pub fn phrase(self, code: StatusCode) -> &'static str {
        match (self, code.0) {
            (ReasonPhrases::ChanSip, 420) => "Option Disabled",
            (ReasonPhrases::ChanSip, 501) => "Method Not Implemented",
            _ => code.reason(),
        }
    }
}

impl StatusCode {
    /// 1xx.
    pub fn is_provisional(self) -> bool {
        self.0 < 200
    }
    /// 2xx.
    pub fn is_success(self) -> bool {
        (200..300).contains(&self.0)
    }
    /// 200–699.
    pub fn is_final(self) -> bool {
        self.0 >= 200
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.reason())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_drives_constants_reasons_and_display() {
        assert_eq!(StatusCode::SESSION_INTERVAL_TOO_SMALL.0, 422);
        assert_eq!(
            StatusCode::REQUEST_PENDING.to_string(),
            "491 Request Pending"
        );
        assert_eq!(StatusCode(299).reason(), "Unknown");
        assert_eq!(
            StatusCode::SESSION_INTERVAL_TOO_SMALL.rfc(),
            Some("RFC 4028 §6")
        );
        assert!(StatusCode::TRYING.is_provisional() && !StatusCode::OK.is_provisional());
        assert!(StatusCode::OK.is_success() && StatusCode::REQUEST_TIMEOUT.is_final());
    }
}

/// The `Reason` header on a BYE a product sends when it ends a call
/// itself (RFC 3326), as stack-profiles §7 and §8 measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByeReason {
    /// sofia-sip's non-refresher at its expiry point.
    SessionTimeout,
    /// PJSIP's non-refresher at its expiry point.
    NoSessionRefresh,
    /// PJSIP's refresher whose refresh got no answer.
    RequestTimeout,
}

impl ByeReason {
    /// The header's value.
    pub fn text(self) -> &'static str {
        match self {
            ByeReason::SessionTimeout => "SIP;cause=408;text=\"Session timeout\"",
            ByeReason::NoSessionRefresh => "SIP;cause=408;text=\"No session refresh received.\"",
            ByeReason::RequestTimeout => "SIP;cause=408;text=\"Request Timeout\"",
        }
    }
}

/// `bye_reason`: whose `Reason` a UA's own BYE carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ByeReasons {
    /// None (RFC 4028 asks for none; chan_sip, reSIProcate, RADVISION).
    #[default]
    None,
    /// sofia-sip: 408 "Session timeout" at expiry; none after a failed refresh.
    SofiaSip,
    /// PJSIP: 408 "No session refresh received." at expiry, 408 "Request
    /// Timeout" after a failed refresh.
    Pjsip,
}

crate::keyword::keywords!(ByeReasons {
    "none" => ByeReasons::None,
    "sofia-sip" => ByeReasons::SofiaSip,
    "pjsip" => ByeReasons::Pjsip,
});

impl ByeReasons {
    /// The Reason of a BYE sent for `cause`, if this product writes one.
    pub fn for_cause(self, cause: super::FreeCause) -> Option<ByeReason> {
        use super::FreeCause::{Expiry, RefreshFailed};
        match (self, cause) {
            (ByeReasons::SofiaSip, Expiry) => Some(ByeReason::SessionTimeout),
            (ByeReasons::Pjsip, Expiry) => Some(ByeReason::NoSessionRefresh),
            (ByeReasons::Pjsip, RefreshFailed) => Some(ByeReason::RequestTimeout),
            _ => None,
        }
    }
}
