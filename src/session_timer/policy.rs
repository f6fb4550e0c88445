//! When refreshes and expiries happen, in integer nanoseconds. By default
//! nothing is rounded (SI/3 and SI/2 are exact for whole-second intervals
//! down to the nanosecond); products that compute in milliseconds or whole
//! seconds are modelled by `timer_rounding` (spec §5 item 13).

use crate::engine::SimDuration;

use super::settings::{ExpiryGuard, Rounding};

/// Floors `d` to the rounding's unit.
fn floor(d: SimDuration, rounding: Rounding) -> SimDuration {
    let unit = match rounding {
        Rounding::Exact => return d,
        Rounding::Millis => 1_000_000,
        Rounding::Seconds => 1_000_000_000,
    };
    SimDuration::from_nanos(d.as_nanos() / unit * unit)
}

/// The refresher's refresh point after t2xx: a fixed alert time when it
/// lies strictly inside the interval (RADVISION `alertTime`), else
/// `refresh_at × SI` (ST-UAC-12, ST-UAS-8: SI/2 recommended), floored to
/// the rounding's unit.
pub fn refresh_point(
    interval_s: u32,
    alert_s: Option<u32>,
    refresh_at: f64,
    rounding: Rounding,
) -> SimDuration {
    match alert_s {
        Some(a) if a > 0 && a < interval_s => SimDuration::from_secs(a),
        _ => refresh_delay(interval_s, refresh_at, rounding),
    }
}

/// `base` moved by `k − steps` units: a point drawn uniformly (k uniform in
/// 0..=2·steps) within ± steps units of it (sofia-sip's refresh range),
/// never earlier than one unit.
pub fn jittered(base: SimDuration, k: u32, steps: u32, unit: SimDuration) -> SimDuration {
    let offset = (k as i64 - steps as i64) * unit.as_nanos() as i64;
    let t = (base.as_nanos() as i64 + offset).max(unit.as_nanos() as i64);
    SimDuration::from_nanos(t as u64)
}

/// `refresh_at × SI` after t2xx, floored to the rounding's unit.
pub fn refresh_delay(interval_s: u32, refresh_at: f64, rounding: Rounding) -> SimDuration {
    let si = SimDuration::from_secs(interval_s);
    let exact = if refresh_at == 0.5 {
        si / 2
    } else {
        SimDuration::from_nanos((si.as_nanos() as f64 * refresh_at).round() as u64)
    };
    floor(exact, rounding)
}

/// The non-refresher's BYE point after t2xx: SI − min(32 s, SI/3) with the
/// RFC guard (ST-EXPIRE-1), SI − min(32 s, SI/10) with sofia-sip's, or SI
/// itself; the fraction of SI is floored to the rounding's unit first.
pub fn expiry_delay(interval_s: u32, guard: ExpiryGuard, rounding: Rounding) -> SimDuration {
    let si = SimDuration::from_secs(interval_s);
    let part = match guard {
        ExpiryGuard::Rfc => si / 3,
        ExpiryGuard::Tenth => si / 10,
        ExpiryGuard::AtExpiry => return si,
    };
    si - std::cmp::min(SimDuration::from_secs(32), floor(part, rounding))
}

/// A proxy's expiry after forwarding the 2xx: SI (ST-PROXY-13).
pub fn proxy_expiry_delay(interval_s: u32) -> SimDuration {
    SimDuration::from_secs(interval_s)
}
