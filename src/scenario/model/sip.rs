//! `[sip]`: RFC 3261 timer values, the transport, and whether the RFC
//! floors are enforced.

use crate::engine::SimDuration;
use crate::keyword::keywords;
use crate::sip::SipTimers;

use super::super::doc::{Errors, Fields, Item, boolean, integer, keyword};
use super::super::error::InputError;

const SIP_KEYS: &[&str] = &[
    "t1_ms",
    "t2_ms",
    "t4_ms",
    "timer_c_s",
    "transport",
    "strict_rfc",
];

/// `transport`: the simulator carries SIP over UDP only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Udp,
}

keywords!(Transport { "udp" => Transport::Udp });

/// Longest T1, T2 or T4 accepted: an hour.
const MAX_TIMER_MS: i64 = 3_600_000;
/// Timer C bounds: more than 3 minutes (RFC 3261 §16.6), at most a day.
const TIMER_C_S: (i64, i64) = (181, 86_400);

/// Reads `[sip]`: the timers, and `strict_rfc` (true unless set false).
pub(super) fn read_sip(item: &Item, errs: &mut Errors) -> (SipTimers, bool) {
    let mut s = SipTimers::default();
    let mut strict = true;
    let Some(mut f) = Fields::of(item, "sip", errs) else {
        return (s, strict);
    };
    let ms = |f: &mut Fields, key: &str, min: i64, errs: &mut Errors| {
        let path = f.path(key);
        f.get(key)
            .and_then(|i| {
                integer(
                    i,
                    &path,
                    min,
                    MAX_TIMER_MS,
                    "an integer number of milliseconds",
                    errs,
                )
            })
            .map(|v| SimDuration::from_millis(v as u32))
    };
    if let Some(v) = ms(&mut f, "t1_ms", 1, errs) {
        s.t1 = v;
    }
    if let Some(v) = ms(&mut f, "t2_ms", 1, errs) {
        s.t2 = v;
    }
    if let Some(v) = ms(&mut f, "t4_ms", 0, errs) {
        s.t4 = v;
    }
    if let Some(i) = f.get("timer_c_s")
        && let Some(v) = integer(
            i,
            "sip.timer_c_s",
            TIMER_C_S.0,
            TIMER_C_S.1,
            "an integer number of seconds (> 180, RFC 3261 §16.6)",
            errs,
        )
    {
        s.timer_c = SimDuration::from_secs(v as u32);
    }
    if let Some(i) = f.get("transport") {
        keyword::<Transport>(i, "sip.transport", errs);
    }
    if let Some(i) = f.get("strict_rfc") {
        strict = boolean(i, "sip.strict_rfc", errs).unwrap_or(true);
    }
    if s.t2 < s.t1 {
        errs.push(InputError::at(
            &item.loc,
            "sip.t2_ms",
            "T2 must not be below T1",
        ));
    }
    f.finish(SIP_KEYS, errs);
    (s, strict)
}
