//! When refreshes and expiries happen, in integer nanoseconds (spec §5 item
//! 13: no rounding to whole seconds; SI/3 and SI/2 are exact for whole-second
//! intervals down to the nanosecond).

use crate::engine::SimDuration;

use super::settings::ExpiryGuard;

/// The refresher's refresh point: `refresh_at × SI` after t2xx (ST-UAC-12,
/// ST-UAS-8: SI/2 recommended).
pub fn refresh_delay(interval_s: u32, refresh_at: f64) -> SimDuration {
    let si = SimDuration::from_secs(interval_s);
    if refresh_at == 0.5 {
        return si / 2;
    }
    SimDuration::from_nanos((si.as_nanos() as f64 * refresh_at).round() as u64)
}

/// The non-refresher's BYE point after t2xx: SI − min(32 s, SI/3) with the
/// RFC guard (ST-EXPIRE-1), or SI itself.
pub fn expiry_delay(interval_s: u32, guard: ExpiryGuard) -> SimDuration {
    let si = SimDuration::from_secs(interval_s);
    match guard {
        ExpiryGuard::Rfc => si - std::cmp::min(SimDuration::from_secs(32), si / 3),
        ExpiryGuard::AtExpiry => si,
    }
}

/// A proxy's expiry after forwarding the 2xx: SI (ST-PROXY-13).
pub fn proxy_expiry_delay(interval_s: u32) -> SimDuration {
    SimDuration::from_secs(interval_s)
}
