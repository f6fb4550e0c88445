//! What a run measured: per-class accumulators of dead-call state, and the
//! [`RunMetrics`] they fold into at the end of the run (DESIGN §5).
//!
//! Reclaim latencies are right-censored: a state still held at the end of
//! the run is a sample of "at least (end − death)". Percentiles come from the
//! Kaplan–Meier estimate over freed and held states alike (`survival.rs`);
//! without censoring they are nearest-rank percentiles. A percentile the
//! estimate never reaches, and a mean or maximum while some states are still
//! held, are undefined (NaN: an empty CSV cell), never a small number.

use crate::engine::{SimDuration, SimTime};

use super::survival::{KaplanMeier, Sample};

/// What kind of element holds a state, for per-class statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeClass {
    /// A UA endpoint.
    Ua,
    /// A B2BUA.
    B2bua,
    /// A timer-aware proxy.
    ProxyTimer,
    /// A proxy that is not timer-aware.
    ProxyPlain,
}

crate::keyword::keywords!(NodeClass {
    "ua" => NodeClass::Ua,
    "b2bua" => NodeClass::B2bua,
    "proxy_timer" => NodeClass::ProxyTimer,
    "proxy_plain" => NodeClass::ProxyPlain,
});

impl NodeClass {
    /// All classes, in report order.
    pub const ALL: [NodeClass; 4] = [
        NodeClass::Ua,
        NodeClass::B2bua,
        NodeClass::ProxyTimer,
        NodeClass::ProxyPlain,
    ];

    /// The CSV/table name.
    pub fn name(self) -> &'static str {
        crate::keyword::Keyword::spelling(self)
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }

    /// True for the classes that end calls (UAs and B2BUAs).
    pub fn is_endpoint(self) -> bool {
        matches!(self, NodeClass::Ua | NodeClass::B2bua)
    }
}

/// Accumulated statistics of dead-call state at one class of node.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct ClassAcc {
    /// Reclaim latencies in ns: freed (observed) or still held (censored).
    samples: Vec<Sample>,
    unreclaimed: u64,
    hung_ns: u128,
    lost_in_crash: u64,
}

/// How long a dead call's state, created at `created`, was hung up to
/// `until`: from the later of its creation and the death, in ns.
pub(super) fn hung_ns(created: SimTime, dead: SimTime, until: SimTime) -> u128 {
    until
        .duration_since(dead.max(created))
        .unwrap_or(SimDuration::ZERO)
        .as_nanos() as u128
}

impl ClassAcc {
    /// A dead call's state, created at `created`, freed by its node at
    /// `now`: one latency sample (now − dead) and its hung time.
    pub(super) fn reclaimed(&mut self, created: SimTime, dead: SimTime, now: SimTime) {
        let latency = now.duration_since(dead).unwrap_or(SimDuration::ZERO);
        self.samples.push((latency.as_nanos(), true));
        self.hung_ns += hung_ns(created, dead, now);
    }

    /// A state lost because its node crashed (neither reclaimed nor held).
    pub(super) fn lost_in_crash(&mut self) {
        self.lost_in_crash += 1;
    }

    /// A dead call's state still held at `end`: unreclaimed, hung until
    /// `end`, a latency censored at end − dead.
    pub(super) fn still_held(&mut self, created: SimTime, dead: SimTime, end: SimTime) {
        self.unreclaimed += 1;
        let followed = end.duration_since(dead).unwrap_or(SimDuration::ZERO);
        self.samples.push((followed.as_nanos(), false));
        self.hung_ns += hung_ns(created, dead, end);
    }

    /// The class summary: Kaplan–Meier percentiles over all dead-call
    /// states; the mean and maximum only when every one was freed.
    pub(super) fn summary(&mut self) -> ClassSummary {
        let km = KaplanMeier::new(&mut self.samples);
        let s = |x: Option<u64>| x.map_or(f64::NAN, |n| n as f64 / 1e9);
        let complete = !km.is_empty() && !km.censored();
        let freed = km.events();
        ClassSummary {
            dead_states: km.len() as u64,
            reclaimed: freed as u64,
            freed_fraction: if km.is_empty() {
                f64::NAN
            } else {
                freed as f64 / km.len() as f64
            },
            mean_s: if complete {
                self.samples.iter().map(|&(x, _)| x as f64).sum::<f64>()
                    / self.samples.len() as f64
                    / 1e9
            } else {
                f64::NAN
            },
            p50_s: s(km.quantile(0.50)),
            p95_s: s(km.quantile(0.95)),
            p99_s: s(km.quantile(0.99)),
            max_s: if complete { s(km.max_time()) } else { f64::NAN },
            followed_s: s(km.max_time()),
            unreclaimed: self.unreclaimed,
            hung_state_h: self.hung_ns as f64 / 3.6e12,
            lost_in_crash: self.lost_in_crash,
        }
    }
}

/// Summary of one class.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ClassSummary {
    /// Dead-call states at this class: held when or after their call died
    /// (freed ones and ones still held at the end).
    pub dead_states: u64,
    /// Of them, the states this class freed.
    pub reclaimed: u64,
    /// `reclaimed / dead_states` (NaN without dead-call states).
    pub freed_fraction: f64,
    /// Mean reclaim latency, seconds; NaN unless every state was freed.
    pub mean_s: f64,
    /// Median reclaim latency, seconds (Kaplan–Meier; NaN if not reached).
    pub p50_s: f64,
    /// 95th percentile (Kaplan–Meier; NaN if not reached).
    pub p95_s: f64,
    /// 99th percentile (Kaplan–Meier; NaN if not reached).
    pub p99_s: f64,
    /// Largest reclaim latency, seconds; NaN unless every state was freed.
    pub max_s: f64,
    /// The longest any dead-call state was followed, freed or still held,
    /// seconds: a percentile not reached lies beyond it.
    pub followed_s: f64,
    /// Dead-call states still held at the horizon.
    pub unreclaimed: u64,
    /// Integral of dead-call state held over time, state-hours.
    pub hung_state_h: f64,
    /// States lost because their node crashed (not reclaimed, not counted above).
    pub lost_in_crash: u64,
}

/// The dead-call state one node held, accumulated over a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct NodeAcc {
    /// Dead-call states (freed or still held at the end).
    pub(super) dead_states: u64,
    /// Hung time summed over them, ns.
    pub(super) hung_ns: u128,
}

/// The traffic one node handled, counted by the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeTraffic {
    /// SIP messages its role received and processed.
    pub messages_received: u64,
    /// SIP messages it sent, retransmissions and forwarded ones included.
    pub messages_sent: u64,
    /// Refresh transactions it took part in (client or server side of a hop).
    pub refresh_transactions: u64,
}

/// The load on one node and the dead-call state it held, over a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeLoad {
    /// Its class.
    pub class: NodeClass,
    /// What it sent and received.
    pub traffic: NodeTraffic,
    /// Dead-call states it held (freed or held at the end).
    pub dead_states: u64,
    /// Integral of the dead-call state it held over time, state-hours.
    pub hung_state_h: f64,
}

impl NodeLoad {
    /// SIP messages handled (received and sent).
    pub fn messages_handled(&self) -> u64 {
        self.traffic.messages_received + self.traffic.messages_sent
    }
}

/// What the world counted itself, passed to the probes when the run ends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunCounters {
    /// SIP messages sent.
    pub messages_sent: u64,
    /// SIP messages lost.
    pub messages_lost: u64,
    /// Messages belonging to refreshes, retransmissions included.
    pub refresh_messages: u64,
    /// Refresh requests sent (new transactions).
    pub refresh_requests: u64,
    /// Engine events processed.
    pub events: u64,
    /// Per node, in model order.
    pub nodes: Vec<NodeTraffic>,
}

/// Everything a run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct RunMetrics {
    /// Calls the workload started.
    pub calls_started: u64,
    /// Calls answered (the caller got a 2xx).
    pub calls_answered: u64,
    /// Calls that became dead (crash, call_crash, swallowed BYE).
    pub calls_dead: u64,
    /// Per class, in [`NodeClass::ALL`] order.
    pub classes: [ClassSummary; 4],
    /// Live calls ended by a session-timer decision (expiry, failed refresh, no ACK).
    pub false_teardowns: u64,
    /// Established call time, hours.
    pub session_hours: f64,
    /// Refresh requests sent (new transactions).
    pub refresh_requests: u64,
    /// Messages belonging to refreshes, retransmissions included.
    pub refresh_messages: u64,
    /// Final Session-Expires at the caller, by value: (seconds, calls).
    pub se_histogram: Vec<(u32, u64)>,
    /// Calls whose final refresher was the caller side.
    pub refresher_caller: u64,
    /// Calls whose final refresher was the callee side.
    pub refresher_callee: u64,
    /// Answered calls without a session timer at the caller.
    pub no_timer_calls: u64,
    /// 422 responses sent.
    pub rejects_422: u64,
    /// SIP messages sent.
    pub messages_sent: u64,
    /// SIP messages lost.
    pub messages_lost: u64,
    /// Engine events processed.
    pub events: u64,
    /// Per node, in model order.
    pub nodes: Vec<NodeLoad>,
}

impl RunMetrics {
    /// False teardowns per 1,000 session-hours.
    pub fn false_teardowns_per_1000_session_hours(&self) -> f64 {
        rate(self.false_teardowns as f64 * 1000.0, self.session_hours)
    }
    /// Refresh requests per session-hour.
    pub fn refresh_requests_per_session_hour(&self) -> f64 {
        rate(self.refresh_requests as f64, self.session_hours)
    }
    /// Refresh-related messages per session-hour.
    pub fn refresh_messages_per_session_hour(&self) -> f64 {
        rate(self.refresh_messages as f64, self.session_hours)
    }
    /// Hung state summed over the classes, state-hours.
    pub fn hung_state_h(&self) -> f64 {
        self.classes.iter().map(|k| k.hung_state_h).sum()
    }
    /// The summary of one class.
    pub fn class(&self, c: NodeClass) -> &ClassSummary {
        &self.classes[c.index()]
    }
}

fn rate(x: f64, hours: f64) -> f64 {
    if hours > 0.0 { x / hours } else { f64::NAN }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hung_time_runs_from_the_later_of_death_and_creation() {
        let t = SimTime::from_secs;
        let mut a = ClassAcc::default();
        // Created at 10 s, dead at 20 s, freed at 50 s: latency 30 s, hung 30 s.
        a.reclaimed(t(10), t(20), t(50));
        // Dead at 5 s before its state was created at 40 s, freed at 60 s:
        // latency 55 s, hung only from creation, 20 s.
        a.reclaimed(t(40), t(5), t(60));
        // Still held at the end (100 s), dead at 70 s: 30 s more.
        a.still_held(t(30), t(70), t(100));
        let s = a.summary();
        assert_eq!((s.dead_states, s.reclaimed, s.unreclaimed), (3, 2, 1));
        assert!((s.hung_state_h - (30.0 + 20.0 + 30.0) / 3600.0).abs() < 1e-12);
        // Latencies 30 (freed), 55 (freed), 30 (held, censored at 100 − 70):
        // S(30) = 2/3, S(55) = 0: p50 = 55, and with one state held the mean
        // and maximum are undefined.
        assert_eq!(s.p50_s, 55.0);
        assert!(s.mean_s.is_nan() && s.max_s.is_nan());
        assert!((s.freed_fraction - 2.0 / 3.0).abs() < 1e-12);
    }
}
