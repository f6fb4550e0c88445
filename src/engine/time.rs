//! Virtual time: integer nanoseconds, never floating point, never wrapping.
//!
//! `SimTime` is an instant measured from the start of a run; `SimDuration` is a
//! span between instants. Both are `u64` nanoseconds (about 584 years of range).
//! Every fallible operation has a checked form returning [`TimeError`]; the
//! operators (`+`, `-`, `*`) exist for code whose ranges are already validated
//! and panic on overflow rather than wrap, exactly as `std::time::Duration` does.

use std::fmt;
use std::ops::{Add, Div, Mul, Sub};

const NANOS_PER_SEC: u64 = 1_000_000_000;
const NANOS_PER_MILLI: u64 = 1_000_000;

/// Why a time value could not be built or computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// The result does not fit in `u64` nanoseconds.
    #[error("time overflow: the result exceeds the u64-nanosecond range (about 584 years)")]
    Overflow,
    /// A negative span or instant was requested, or an instant was subtracted from an earlier one.
    #[error("negative time: a duration or instant cannot be below zero")]
    Negative,
    /// A floating-point input was NaN or infinite.
    #[error("time value is not a finite number")]
    NotFinite,
}

/// A span of virtual time in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(u64);

/// An instant of virtual time: nanoseconds since the start of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(u64);

/// Converts seconds given as a float into whole nanoseconds, rounding to nearest.
fn nanos_from_secs_f64(secs: f64) -> Result<u64, TimeError> {
    if !secs.is_finite() {
        return Err(TimeError::NotFinite);
    }
    if secs < 0.0 {
        return Err(TimeError::Negative);
    }
    let nanos = (secs * NANOS_PER_SEC as f64).round();
    // u64::MAX as f64 rounds up to 2^64, so `>=` rejects everything unrepresentable.
    if nanos >= u64::MAX as f64 {
        return Err(TimeError::Overflow);
    }
    Ok(nanos as u64)
}

impl SimDuration {
    /// The empty span.
    pub const ZERO: SimDuration = SimDuration(0);
    /// The longest representable span.
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    /// A span of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: u64) -> Self {
        SimDuration(nanos)
    }

    /// A span of `ms` milliseconds; `u32` input cannot overflow.
    pub const fn from_millis(ms: u32) -> Self {
        SimDuration(ms as u64 * NANOS_PER_MILLI)
    }

    /// A span of `secs` seconds; `u32` input (up to 136 years) cannot overflow.
    pub const fn from_secs(secs: u32) -> Self {
        SimDuration(secs as u64 * NANOS_PER_SEC)
    }

    /// A span of `ms` milliseconds from a wide integer, checked.
    pub fn try_from_millis(ms: u64) -> Result<Self, TimeError> {
        ms.checked_mul(NANOS_PER_MILLI)
            .map(SimDuration)
            .ok_or(TimeError::Overflow)
    }

    /// A span of `secs` seconds from a wide integer, checked.
    pub fn try_from_secs(secs: u64) -> Result<Self, TimeError> {
        secs.checked_mul(NANOS_PER_SEC)
            .map(SimDuration)
            .ok_or(TimeError::Overflow)
    }

    /// A span from fractional seconds (as found in model files), rounded to the nearest nanosecond.
    pub fn from_secs_f64(secs: f64) -> Result<Self, TimeError> {
        nanos_from_secs_f64(secs).map(SimDuration)
    }

    /// The span in nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// The span in seconds, for reports only (never feed it back into the core).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// `self + rhs`, or [`TimeError::Overflow`].
    pub fn checked_add(self, rhs: SimDuration) -> Result<Self, TimeError> {
        self.0
            .checked_add(rhs.0)
            .map(SimDuration)
            .ok_or(TimeError::Overflow)
    }

    /// `self - rhs`, or [`TimeError::Negative`].
    pub fn checked_sub(self, rhs: SimDuration) -> Result<Self, TimeError> {
        self.0
            .checked_sub(rhs.0)
            .map(SimDuration)
            .ok_or(TimeError::Negative)
    }

    /// `self * k`, or [`TimeError::Overflow`] (e.g. 64×T1).
    pub fn checked_mul(self, k: u64) -> Result<Self, TimeError> {
        self.0
            .checked_mul(k)
            .map(SimDuration)
            .ok_or(TimeError::Overflow)
    }
}

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The last representable instant.
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// The instant `nanos` nanoseconds after the start.
    pub const fn from_nanos(nanos: u64) -> Self {
        SimTime(nanos)
    }

    /// The instant `ms` milliseconds after the start; cannot overflow.
    pub const fn from_millis(ms: u32) -> Self {
        SimTime(SimDuration::from_millis(ms).0)
    }

    /// The instant `secs` seconds after the start; cannot overflow.
    pub const fn from_secs(secs: u32) -> Self {
        SimTime(SimDuration::from_secs(secs).0)
    }

    /// The instant `secs` seconds after the start, checked.
    pub fn try_from_secs(secs: u64) -> Result<Self, TimeError> {
        SimDuration::try_from_secs(secs).map(|d| SimTime(d.0))
    }

    /// The instant at fractional seconds (model files), rounded to the nearest nanosecond.
    pub fn from_secs_f64(secs: f64) -> Result<Self, TimeError> {
        nanos_from_secs_f64(secs).map(SimTime)
    }

    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the start, for reports only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// The span since the start of the run.
    pub const fn since_start(self) -> SimDuration {
        SimDuration(self.0)
    }

    /// `self + d`, or [`TimeError::Overflow`].
    pub fn checked_add(self, d: SimDuration) -> Result<Self, TimeError> {
        self.0
            .checked_add(d.0)
            .map(SimTime)
            .ok_or(TimeError::Overflow)
    }

    /// `self - d`, or [`TimeError::Negative`] when that would precede the start.
    pub fn checked_sub(self, d: SimDuration) -> Result<Self, TimeError> {
        self.0
            .checked_sub(d.0)
            .map(SimTime)
            .ok_or(TimeError::Negative)
    }

    /// The span from `earlier` to `self`, or [`TimeError::Negative`] when `earlier` is later.
    pub fn duration_since(self, earlier: SimTime) -> Result<SimDuration, TimeError> {
        self.0
            .checked_sub(earlier.0)
            .map(SimDuration)
            .ok_or(TimeError::Negative)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    /// Panics on overflow; use [`SimDuration::checked_add`] for unvalidated input.
    fn add(self, rhs: SimDuration) -> SimDuration {
        self.checked_add(rhs)
            .expect("SimDuration + SimDuration overflowed")
    }
}

impl Sub for SimDuration {
    type Output = SimDuration;
    /// Panics below zero; use [`SimDuration::checked_sub`] for unvalidated input.
    fn sub(self, rhs: SimDuration) -> SimDuration {
        self.checked_sub(rhs)
            .expect("SimDuration - SimDuration went negative")
    }
}

impl Mul<u64> for SimDuration {
    type Output = SimDuration;
    /// Panics on overflow; use [`SimDuration::checked_mul`] for unvalidated input.
    fn mul(self, k: u64) -> SimDuration {
        self.checked_mul(k).expect("SimDuration * u64 overflowed")
    }
}

impl Div<u64> for SimDuration {
    type Output = SimDuration;
    /// Integer division, truncating toward zero (SE/2, SE/3 in nanoseconds).
    fn div(self, k: u64) -> SimDuration {
        SimDuration(self.0 / k)
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Panics on overflow; use [`SimTime::checked_add`] for unvalidated input.
    fn add(self, d: SimDuration) -> SimTime {
        self.checked_add(d)
            .expect("SimTime + SimDuration overflowed")
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    /// Panics when `rhs` is later; use [`SimTime::duration_since`] otherwise.
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.duration_since(rhs)
            .expect("SimTime - SimTime went negative")
    }
}

/// Writes whole seconds and the nanosecond fraction exactly, with no rounding.
fn fmt_nanos(nanos: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}.{:09}s", nanos / NANOS_PER_SEC, nanos % NANOS_PER_SEC)
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_nanos(self.0, f)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_nanos(self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_agree() {
        assert_eq!(SimDuration::from_secs(2).as_nanos(), 2_000_000_000);
        assert_eq!(SimDuration::from_millis(500).as_nanos(), 500_000_000);
        assert_eq!(
            SimDuration::try_from_secs(2).unwrap(),
            SimDuration::from_secs(2)
        );
        assert_eq!(
            SimDuration::try_from_millis(1500).unwrap(),
            SimDuration::from_millis(1500)
        );
        assert_eq!(
            SimDuration::from_secs_f64(0.5).unwrap(),
            SimDuration::from_millis(500)
        );
        assert_eq!(SimTime::from_secs(1800).as_secs_f64(), 1800.0);
    }

    #[test]
    fn u32_constructors_cannot_overflow_at_their_extremes() {
        assert_eq!(
            SimDuration::from_secs(u32::MAX).as_nanos(),
            u32::MAX as u64 * NANOS_PER_SEC
        );
        assert_eq!(
            SimDuration::from_millis(u32::MAX).as_nanos(),
            u32::MAX as u64 * NANOS_PER_MILLI
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(
            SimTime::MAX.checked_add(SimDuration::from_nanos(1)),
            Err(TimeError::Overflow)
        );
        assert_eq!(
            SimDuration::MAX.checked_add(SimDuration::from_nanos(1)),
            Err(TimeError::Overflow)
        );
        assert_eq!(
            SimDuration::from_secs(1).checked_mul(u64::MAX),
            Err(TimeError::Overflow)
        );
        assert_eq!(
            SimDuration::try_from_secs(u64::MAX / 1000),
            Err(TimeError::Overflow)
        );
        assert_eq!(
            SimDuration::try_from_millis(u64::MAX),
            Err(TimeError::Overflow)
        );
        assert_eq!(
            SimTime::try_from_secs(18_446_744_074),
            Err(TimeError::Overflow)
        );
        assert_eq!(SimDuration::from_secs_f64(1e12), Err(TimeError::Overflow));
    }

    #[test]
    #[should_panic(expected = "overflowed")]
    fn operator_overflow_panics_rather_than_wraps() {
        let _ = SimTime::MAX + SimDuration::from_nanos(1);
    }

    #[test]
    fn negative_and_non_finite_inputs_are_rejected() {
        assert_eq!(SimDuration::from_secs_f64(-0.001), Err(TimeError::Negative));
        assert_eq!(
            SimDuration::from_secs_f64(f64::NAN),
            Err(TimeError::NotFinite)
        );
        assert_eq!(
            SimTime::from_secs_f64(f64::INFINITY),
            Err(TimeError::NotFinite)
        );
        assert_eq!(
            SimTime::ZERO.checked_sub(SimDuration::from_nanos(1)),
            Err(TimeError::Negative)
        );
        assert_eq!(
            SimTime::ZERO.duration_since(SimTime::from_secs(1)),
            Err(TimeError::Negative)
        );
    }

    #[test]
    fn rfc4028_guard_arithmetic_is_exact_in_nanoseconds() {
        // ST-EXPIRE-1 worked value: SI = 4000 s gives BYE at 4000 - min(32, 4000/3) = 3968 s.
        let si = SimDuration::from_secs(4000);
        let guard = si - std::cmp::min(SimDuration::from_secs(32), si / 3);
        assert_eq!(guard, SimDuration::from_secs(3968));
        // SI = 90 s: 90 - min(32, 30) = 60 s.
        let si = SimDuration::from_secs(90);
        assert_eq!(
            si - std::cmp::min(SimDuration::from_secs(32), si / 3),
            SimDuration::from_secs(60)
        );
    }

    #[test]
    fn display_is_exact_seconds() {
        assert_eq!(
            SimTime::from_nanos(1_500_000_001).to_string(),
            "1.500000001s"
        );
        assert_eq!(SimDuration::ZERO.to_string(), "0.000000000s");
    }
}
