//! Probes: when each node created and freed each dialog state, when each
//! call became dead, and the run's metrics folded from those facts (DESIGN §5).
//!
//! Memory follows concurrency, not run length: a call's record (with its
//! few held states inline) lives while any of its states is held. Once the
//! caller is done and no state is held, the record is folded into the
//! accumulators and dropped. Dialog rows for `dialogs.csv` are kept only when
//! asked for.
//!
//! Calls sit in an `FxHashMap` with a fixed hasher. It is iterated only
//! where order cannot matter (integer sums), or after sorting by call, so
//! results stay deterministic.
//!
//! Percentiles use the nearest-rank definition: the p-th percentile of n
//! sorted values is the value at rank ⌈p·n⌉ (1-based); the maximum is rank n.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::engine::{SimDuration, SimTime};
use crate::net::NodeId;
use crate::sip::{CallRef, FreeCause, Record, StEvent};

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
        match self {
            NodeClass::Ua => "ua",
            NodeClass::B2bua => "b2bua",
            NodeClass::ProxyTimer => "proxy_timer",
            NodeClass::ProxyPlain => "proxy_plain",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// True for the classes that end calls (UAs and B2BUAs).
    pub fn is_endpoint(self) -> bool {
        matches!(self, NodeClass::Ua | NodeClass::B2bua)
    }
}

/// One row of `dialogs.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct DialogRow {
    /// The call.
    pub call: CallRef,
    /// The node.
    pub node: NodeId,
    /// Its class.
    pub class: NodeClass,
    /// When it created the state.
    pub created: SimTime,
    /// When the call became dead, if it did.
    pub dead: Option<SimTime>,
    /// When the node freed the state (`None`: still held at the horizon).
    pub freed: Option<SimTime>,
    /// Why (`None` while held).
    pub cause: Option<FreeCause>,
}

impl DialogRow {
    /// The row's reclaim-latency sample, by the rule the class statistics use:
    /// freed − dead for a dead call's state its node freed itself (not lost
    /// in the node's own crash), freed at or after the death.
    pub fn reclaim_latency(&self) -> Option<SimDuration> {
        if self.cause == Some(FreeCause::Crash) {
            return None;
        }
        self.freed?.duration_since(self.dead?).ok()
    }
}

/// A call while any node holds state for it.
#[derive(Debug, Clone)]
pub struct CallTrack {
    /// The calling UA.
    pub caller: NodeId,
    /// When the call became dead (fault instant), if it did.
    pub dead_at: Option<SimTime>,
    /// A node where this call's endpoint is gone: messages for the call arriving there are lost.
    pub dead_endpoint: Option<NodeId>,
    /// `call_crash` plan: the endpoint to kill, and when as a fraction of the holding time.
    pub crash: Option<(NodeId, f64)>,
    /// Planned holding time.
    pub holding: SimDuration,
    /// Bitmask of `drop_bye` faults that swallow this call's BYE.
    pub drop_bye: u8,
    /// States held: (node, node-local state id, created).
    states: Vec<(NodeId, u32, SimTime)>,
    caller_done: bool,
    caller_created: Option<SimTime>,
    timer_teardown: bool,
    /// Timer at the caller after the latest 2xx: `Some((SE, caller_refreshes))`, or `None` for no timer.
    final_timer: Option<Option<(u32, bool)>>,
}

impl CallTrack {
    /// A call just started by `caller`.
    pub fn new(
        caller: NodeId,
        holding: SimDuration,
        crash: Option<(NodeId, f64)>,
        drop_bye: u8,
    ) -> Self {
        CallTrack {
            caller,
            dead_at: None,
            dead_endpoint: None,
            crash,
            holding,
            drop_bye,
            states: Vec::new(),
            caller_done: false,
            caller_created: None,
            timer_teardown: false,
            final_timer: None,
        }
    }
}

/// Accumulated statistics of one class.
#[derive(Debug, Clone, Default, PartialEq)]
struct ClassAcc {
    latencies_ns: Vec<u64>,
    unreclaimed: u64,
    hung_ns: u128,
    lost_in_crash: u64,
}

/// Summary of one class.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ClassSummary {
    /// Dead-call states this class freed (the latency sample size).
    pub reclaimed: u64,
    /// Reclaim latency mean, seconds (NaN without samples).
    pub mean_s: f64,
    /// Median.
    pub p50_s: f64,
    /// 95th percentile.
    pub p95_s: f64,
    /// 99th percentile.
    pub p99_s: f64,
    /// Maximum.
    pub max_s: f64,
    /// Dead-call states still held at the horizon.
    pub unreclaimed: u64,
    /// Integral of dead-call state held over time, state-seconds.
    pub hung_state_s: f64,
    /// States lost because their node crashed (not reclaimed, not counted above).
    pub lost_in_crash: u64,
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
    /// The summary of one class.
    pub fn class(&self, c: NodeClass) -> &ClassSummary {
        &self.classes[c.index()]
    }
}

fn rate(x: f64, hours: f64) -> f64 {
    if hours > 0.0 { x / hours } else { f64::NAN }
}

/// The nearest-rank percentile of sorted values: rank ⌈p·n⌉.
pub fn nearest_rank(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// The probe set of one run.
#[derive(Debug)]
pub struct Probes {
    classes: Vec<NodeClass>,
    /// Calls with state held somewhere (or not yet done at the caller).
    pub calls: FxHashMap<CallRef, CallTrack>,
    acc: [ClassAcc; 4],
    calls_started: u64,
    calls_answered: u64,
    calls_dead: u64,
    false_teardowns: u64,
    session_ns: u128,
    se_hist: BTreeMap<u32, u64>,
    refresher: [u64; 2],
    no_timer: u64,
    rejects_422: u64,
    rows: Option<Vec<DialogRow>>,
    /// Fault marks (dead endpoint, `drop_bye` mask) of calls folded since the
    /// world last looked: messages of those calls may still be on their way.
    pub folded_faulted: Vec<(CallRef, Option<NodeId>, u8)>,
}

impl Probes {
    /// Probes for nodes of these classes; `rows` keeps every dialog for `dialogs.csv`.
    pub fn new(classes: Vec<NodeClass>, rows: bool) -> Self {
        Probes {
            classes,
            calls: FxHashMap::default(),
            acc: Default::default(),
            calls_started: 0,
            calls_answered: 0,
            calls_dead: 0,
            false_teardowns: 0,
            session_ns: 0,
            se_hist: BTreeMap::new(),
            refresher: [0; 2],
            no_timer: 0,
            rejects_422: 0,
            rows: rows.then(Vec::new),
            folded_faulted: Vec::new(),
        }
    }

    /// The class of a node.
    pub fn class(&self, node: NodeId) -> NodeClass {
        self.classes[node.index()]
    }

    /// A call starts.
    pub fn start_call(&mut self, call: CallRef, track: CallTrack) {
        self.calls_started += 1;
        self.calls.insert(call, track);
    }

    /// The call became dead at `t` (first fault wins).
    pub fn mark_dead(&mut self, call: CallRef, t: SimTime) {
        if let Some(c) = self.calls.get_mut(&call)
            && c.dead_at.is_none()
        {
            c.dead_at = Some(t);
            self.calls_dead += 1;
        }
    }

    /// A record reported by `node` at `now`.
    pub fn on_record(&mut self, now: SimTime, node: NodeId, r: &Record) {
        let call = r.call();
        match *r {
            Record::StateCreated { state, .. } => {
                if let Some(c) = self.calls.get_mut(&call) {
                    c.states.push((node, state, now));
                    if node == c.caller && c.caller_created.is_none() {
                        c.caller_created = Some(now);
                        self.calls_answered += 1;
                    }
                }
            }
            Record::StateFreed { state, cause, .. } => self.free(now, call, node, state, cause),
            Record::CallFailed { .. } => {
                if let Some(c) = self.calls.get_mut(&call)
                    && node == c.caller
                {
                    c.caller_done = true;
                    self.maybe_fold(call);
                }
            }
            Record::SessionTimer { event, .. } => match event {
                StEvent::Negotiated {
                    interval_s,
                    local_refresher,
                } => {
                    if let Some(c) = self.calls.get_mut(&call)
                        && node == c.caller
                    {
                        c.final_timer = Some(Some((interval_s, local_refresher)));
                    }
                }
                StEvent::NoTimer => {
                    if let Some(c) = self.calls.get_mut(&call)
                        && node == c.caller
                    {
                        c.final_timer = Some(None);
                    }
                }
                StEvent::Rejected422 { .. } => self.rejects_422 += 1,
                _ => {}
            },
            _ => {}
        }
    }

    /// Frees every state `node` holds (it crashed); returns the calls affected, in call order.
    pub fn crash_node(&mut self, now: SimTime, node: NodeId) -> Vec<CallRef> {
        let mut held: Vec<(CallRef, u32)> = self
            .calls
            .iter()
            .flat_map(|(&call, c)| {
                c.states
                    .iter()
                    .filter(|s| s.0 == node)
                    .map(move |s| (call, s.1))
            })
            .collect();
        held.sort_unstable();
        for &(call, state) in &held {
            self.free(now, call, node, state, FreeCause::Crash);
        }
        held.into_iter().map(|(c, _)| c).collect()
    }

    /// A call that could not start (its caller is down): nothing to track.
    pub fn call_not_started(&mut self, call: CallRef) {
        if let Some(c) = self.calls.get_mut(&call) {
            c.caller_done = true;
        }
        self.maybe_fold(call);
    }

    /// One state is lost with its endpoint (`call_crash`).
    pub fn crash_state(&mut self, now: SimTime, call: CallRef, node: NodeId, state: u32) {
        self.free(now, call, node, state, FreeCause::Crash);
    }

    /// The states `node` holds for `call` (at most a couple).
    pub fn states_of(&self, node: NodeId, call: CallRef) -> Vec<u32> {
        self.calls
            .get(&call)
            .map(|c| {
                c.states
                    .iter()
                    .filter(|s| s.0 == node)
                    .map(|s| s.1)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn free(&mut self, now: SimTime, call: CallRef, node: NodeId, state: u32, cause: FreeCause) {
        let Some(created) = self.calls.get_mut(&call).and_then(|c| {
            let i = c.states.iter().position(|s| s.0 == node && s.1 == state)?;
            Some(c.states.swap_remove(i).2)
        }) else {
            return;
        };
        let class = self.classes[node.index()];
        let track = self.calls.get_mut(&call);
        let dead = track.as_ref().and_then(|c| c.dead_at);
        let acc = &mut self.acc[class.index()];
        match (dead, cause) {
            (_, FreeCause::Crash) => acc.lost_in_crash += 1,
            (Some(d), _) if now >= d => {
                let from = d.max(created);
                let held = now.duration_since(from).unwrap_or(SimDuration::ZERO);
                acc.latencies_ns.push(
                    now.duration_since(d)
                        .unwrap_or(SimDuration::ZERO)
                        .as_nanos(),
                );
                acc.hung_ns += held.as_nanos() as u128;
            }
            _ => {}
        }
        if let Some(rows) = &mut self.rows {
            rows.push(DialogRow {
                call,
                node,
                class,
                created,
                dead,
                freed: Some(now),
                cause: Some(cause),
            });
        }
        let Some(c) = track else { return };
        let timer_cause = matches!(
            cause,
            FreeCause::Expiry | FreeCause::RefreshFailed | FreeCause::TransactionTimeout
        );
        if timer_cause && class.is_endpoint() {
            c.timer_teardown = true;
        }
        if node == c.caller {
            c.caller_done = true;
            if let Some(start) = c.caller_created {
                self.session_ns += now
                    .duration_since(start)
                    .unwrap_or(SimDuration::ZERO)
                    .as_nanos() as u128;
            }
        }
        self.maybe_fold(call);
    }

    /// Folds a call into the statistics once the caller is done and no state is held.
    fn maybe_fold(&mut self, call: CallRef) {
        let done = self
            .calls
            .get(&call)
            .is_some_and(|c| c.caller_done && c.states.is_empty());
        if done {
            let c = self.calls.remove(&call).expect("checked");
            if c.dead_endpoint.is_some() || c.drop_bye != 0 {
                self.folded_faulted
                    .push((call, c.dead_endpoint, c.drop_bye));
            }
            self.fold(&c);
        }
    }

    fn fold(&mut self, c: &CallTrack) {
        if c.dead_at.is_none() && c.timer_teardown {
            self.false_teardowns += 1;
        }
        if c.caller_created.is_some() {
            match c.final_timer {
                Some(Some((se, caller_refreshes))) => {
                    *self.se_hist.entry(se).or_insert(0) += 1;
                    self.refresher[usize::from(!caller_refreshes)] += 1;
                }
                Some(None) | None => self.no_timer += 1,
            }
        }
    }

    /// Closes the run at `horizon`: held states of dead calls count as
    /// unreclaimed, and their hung time runs to the horizon.
    pub fn finish(
        mut self,
        horizon: SimTime,
        messages: (u64, u64, u64),
        refresh_requests: u64,
        events: u64,
    ) -> (RunMetrics, Option<Vec<DialogRow>>) {
        let mut calls: Vec<(CallRef, CallTrack)> =
            std::mem::take(&mut self.calls).into_iter().collect();
        calls.sort_unstable_by_key(|(call, _)| *call);
        for (call, c) in &calls {
            let dead = c.dead_at;
            for &(node, _, created) in &c.states {
                let class = self.classes[node.index()];
                if let Some(d) = dead {
                    let acc = &mut self.acc[class.index()];
                    acc.unreclaimed += 1;
                    if horizon > d.max(created) {
                        acc.hung_ns += horizon
                            .duration_since(d.max(created))
                            .expect("checked")
                            .as_nanos() as u128;
                    }
                }
                if node == c.caller
                    && let Some(start) = c.caller_created
                {
                    self.session_ns += horizon
                        .duration_since(start)
                        .unwrap_or(SimDuration::ZERO)
                        .as_nanos() as u128;
                }
                if let Some(rows) = &mut self.rows {
                    rows.push(DialogRow {
                        call: *call,
                        node,
                        class,
                        created,
                        dead,
                        freed: None,
                        cause: None,
                    });
                }
            }
            self.fold(c);
        }
        let classes = self.acc.each_mut().map(|a| {
            a.latencies_ns.sort_unstable();
            let v = &a.latencies_ns;
            let s = |x: Option<u64>| x.map_or(f64::NAN, |n| n as f64 / 1e9);
            ClassSummary {
                reclaimed: v.len() as u64,
                mean_s: if v.is_empty() {
                    f64::NAN
                } else {
                    v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64 / 1e9
                },
                p50_s: s(nearest_rank(v, 0.50)),
                p95_s: s(nearest_rank(v, 0.95)),
                p99_s: s(nearest_rank(v, 0.99)),
                max_s: s(v.last().copied()),
                unreclaimed: a.unreclaimed,
                hung_state_s: a.hung_ns as f64 / 1e9,
                lost_in_crash: a.lost_in_crash,
            }
        });
        let mut rows = self.rows.take();
        if let Some(r) = &mut rows {
            r.sort_by_key(|r| (r.call, r.node, r.created));
        }
        let metrics = RunMetrics {
            calls_started: self.calls_started,
            calls_answered: self.calls_answered,
            calls_dead: self.calls_dead,
            classes,
            false_teardowns: self.false_teardowns,
            session_hours: self.session_ns as f64 / 3.6e12,
            refresh_requests,
            refresh_messages: messages.2,
            se_histogram: self.se_hist.into_iter().collect(),
            refresher_caller: self.refresher[0],
            refresher_callee: self.refresher[1],
            no_timer_calls: self.no_timer,
            rejects_422: self.rejects_422,
            messages_sent: messages.0,
            messages_lost: messages.1,
            events,
        };
        (metrics, rows)
    }

    /// Calls currently tracked (concurrency, for memory checks).
    pub fn tracked_calls(&self) -> usize {
        self.calls.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(nearest_rank(&v, 0.50), Some(50));
        assert_eq!(nearest_rank(&v, 0.95), Some(95));
        assert_eq!(nearest_rank(&v, 0.99), Some(99));
        assert_eq!(nearest_rank(&v, 1.0), Some(100));
        assert_eq!(nearest_rank(&[7], 0.5), Some(7));
        assert_eq!(nearest_rank(&[1, 2, 3], 0.5), Some(2), "rank ceil(1.5) = 2");
        assert_eq!(nearest_rank(&[], 0.5), None);
    }
}
