//! `[sip]`: RFC 3261 timer values, the transport, and whether the RFC
//! floors are enforced.

use crate::engine::SimDuration;
use crate::keyword::keywords;
use crate::sip::{SipOverrides, SipTimers};

use super::super::doc::{Errors, Fields, Item, boolean, integer, keyword};
use super::super::error::InputError;

/// The transaction-timer keys, in `[sip]` and on any `[[node]]`.
pub(super) const TXN_TIMER_KEYS: &[&str] = &[
    "t1_ms",
    "t2_ms",
    "t4_ms",
    "timer_b_ms",
    "timer_f_ms",
    "timer_c_s",
];

/// `transport`: the simulator carries SIP over UDP only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Udp,
}

keywords!(Transport { "udp" => Transport::Udp });

/// Longest T1, T2, T4, Timer B or Timer F accepted: an hour.
const MAX_TIMER_MS: i64 = 3_600_000;
/// Timer C bounds in `[sip]`: more than 3 minutes (RFC 3261 §16.6), at most a day.
const TIMER_C_S: (i64, i64) = (181, 86_400);
/// Timer C bounds on a node: products go below the RFC's 3 minutes
/// (Kamailio's `fr_inv_timer` is 120 s), so a node may too.
const NODE_TIMER_C_S: (i64, i64) = (1, 86_400);

/// Reads the transaction-timer keys of a table (`[sip]` or a node);
/// `timer_c` gives Timer C's bounds and what they mean.
pub(super) fn read_timer_keys(
    f: &mut Fields,
    timer_c: ((i64, i64), &str),
    errs: &mut Errors,
) -> SipOverrides {
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
    let mut o = SipOverrides {
        t1: ms(f, "t1_ms", 1, errs),
        t2: ms(f, "t2_ms", 1, errs),
        t4: ms(f, "t4_ms", 0, errs),
        timer_b: ms(f, "timer_b_ms", 1, errs),
        timer_f: ms(f, "timer_f_ms", 1, errs),
        timer_c: None,
    };
    let path = f.path("timer_c_s");
    if let Some(i) = f.get("timer_c_s")
        && let Some(v) = integer(i, &path, timer_c.0.0, timer_c.0.1, timer_c.1, errs)
    {
        o.timer_c = Some(SimDuration::from_secs(v as u32));
    }
    o
}

/// Reads a node's own transaction timers (checked against `[sip]` once
/// the whole model is read).
pub(super) fn read_node_timers(f: &mut Fields, errs: &mut Errors) -> SipOverrides {
    read_timer_keys(
        f,
        (NODE_TIMER_C_S, "an integer number of seconds (at least 1)"),
        errs,
    )
}

/// Reads `[sip]`: the timers, and `strict_rfc` (true unless set false).
pub(super) fn read_sip(item: &Item, errs: &mut Errors) -> (SipTimers, bool) {
    let mut strict = true;
    let Some(mut f) = Fields::of(item, "sip", errs) else {
        return (SipTimers::default(), strict);
    };
    let own = read_timer_keys(
        &mut f,
        (
            TIMER_C_S,
            "an integer number of seconds (> 180, RFC 3261 §16.6)",
        ),
        errs,
    );
    let s = SipTimers::default().with(&own);
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
    let allowed: Vec<&str> = TXN_TIMER_KEYS
        .iter()
        .chain(&["transport", "strict_rfc"])
        .copied()
        .collect();
    f.finish(&allowed, errs);
    (s, strict)
}
