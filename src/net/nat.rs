//! A NAT between a node and the network (a phone behind a home router):
//! packets from the network reach the node only while its binding is open,
//! and only the node's own outbound packets (or its keep-alives) keep it
//! open. The binding is a pure function of time, so it needs no events.

use crate::engine::{SimDuration, SimTime};
use crate::keyword::keywords;

/// How the node keeps its binding open between its own messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keepalive {
    /// Nothing: the binding lives only on the node's SIP traffic.
    None,
    /// A CRLF keep-alive (RFC 5626 §3.5.1) every interval.
    Crlf,
    /// An out-of-dialog OPTIONS every interval (its effect on the binding;
    /// the OPTIONS itself is not simulated).
    Options,
}

keywords!(Keepalive {
    "none" => Keepalive::None,
    "crlf" => Keepalive::Crlf,
    "options" => Keepalive::Options,
});

/// A node's NAT binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatBinding {
    /// The binding closes this long after the last outbound packet.
    pub idle_timeout: SimDuration,
    /// The node's keep-alive.
    pub keepalive: Keepalive,
    /// Keep-alives leave at 0, K, 2K, … (ignored with `Keepalive::None`).
    pub interval: SimDuration,
}

impl NatBinding {
    /// True if a packet from the network arriving at `now` finds the
    /// binding open, the node's last own packet having left at `last_out`
    /// (0 at the start: the node has just registered).
    pub fn open(&self, now: SimTime, last_out: SimTime) -> bool {
        let mut last = last_out;
        let k = self.interval.as_nanos();
        if self.keepalive != Keepalive::None && k > 0 {
            last = last.max(SimTime::from_nanos(now.as_nanos() / k * k));
        }
        now.as_nanos().saturating_sub(last.as_nanos()) < self.idle_timeout.as_nanos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u32) -> SimTime {
        SimTime::from_secs(x)
    }

    #[test]
    fn a_keepalive_shorter_than_the_timeout_keeps_it_open_forever() {
        // K = 25 < T = 30: at any t the last keep-alive left ≤ 25 s ago.
        let b = NatBinding {
            idle_timeout: SimDuration::from_secs(30),
            keepalive: Keepalive::Crlf,
            interval: SimDuration::from_secs(25),
        };
        assert!((0..100_000).step_by(7).all(|t| b.open(s(t), s(0))));
    }

    #[test]
    fn without_keepalive_it_closes_one_timeout_after_the_last_packet() {
        let b = NatBinding {
            idle_timeout: SimDuration::from_secs(30),
            keepalive: Keepalive::None,
            interval: SimDuration::from_secs(25),
        };
        assert!(b.open(s(39), s(10)));
        assert!(!b.open(s(40), s(10)));
        // A keep-alive longer than the timeout leaves gaps: K = 50, T = 30
        // → open on [50k, 50k + 30), closed on [50k + 30, 50k + 50).
        let gaps = NatBinding {
            keepalive: Keepalive::Options,
            interval: SimDuration::from_secs(50),
            ..b
        };
        assert!(gaps.open(s(129), s(0)));
        assert!(!gaps.open(s(130), s(0)));
        assert!(gaps.open(s(150), s(0)));
    }
}
