//! The calls a run places: a fixed number of calls from one caller to one
//! callee, started `interval` apart, each held for a fixed time.

use crate::engine::{SimDuration, SimTime};
use crate::net::NodeId;

/// A workload.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadSpec {
    /// Number of calls.
    pub calls: u32,
    /// Start of the first call.
    pub start: SimTime,
    /// Time between call starts (0: all at `start`).
    pub interval: SimDuration,
    /// Time from answer to the caller's BYE.
    pub holding: SimDuration,
    /// Calling UA.
    pub caller: NodeId,
    /// Called UA (Request-URI).
    pub callee: NodeId,
    /// End of the simulated time.
    pub horizon: SimTime,
}

impl WorkloadSpec {
    /// Start time of call `i`, or `None` past the time range.
    pub fn start_of(&self, i: u32) -> Option<SimTime> {
        self.interval
            .checked_mul(i as u64)
            .ok()
            .and_then(|d| self.start.checked_add(d).ok())
    }
}
