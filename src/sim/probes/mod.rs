//! Probes observe a run and fold what they see into its metrics (DESIGN §5).
//! They never steer it: the world tells them what happened (records the
//! roles report, states created and freed, calls that died or are over),
//! and nothing in the world reads them back. Removing them would not change
//! a single event.
//!
//! Memory follows concurrency, not run length: a call's track lives from
//! its start until the world reports it over, then it is folded into the
//! accumulators and dropped. Dialog rows for `dialogs.csv` are kept only
//! when asked for.
//!
//! Calls sit in an `FxHashMap` with a fixed hasher. It is iterated only
//! where order cannot matter, so results stay deterministic.

mod metrics;
mod rows;
pub mod survival;

pub use metrics::{ClassSummary, NodeClass, NodeLoad, NodeTraffic, RunCounters, RunMetrics};
pub use rows::{DialogRow, DialogRows};

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::engine::{SimDuration, SimTime};
use crate::net::NodeId;
use crate::sip::{CallRef, FreeCause, Record, StEvent};

use metrics::{ClassAcc, NodeAcc, hung_ns};
use rows::Rows;

/// The session timer at the caller after its latest 2xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallerTimer {
    /// No 2xx yet (or the call never got one).
    Unknown,
    /// The latest 2xx left no timer in force.
    Off,
    /// A timer of this interval, refreshed by the caller or by the callee.
    On {
        interval_s: u32,
        caller_refreshes: bool,
    },
}

/// What the probes keep per call while it is in progress.
#[derive(Debug, Clone)]
struct CallTrack {
    caller: NodeId,
    /// When the call became dead (the first fault instant), if it did.
    dead_at: Option<SimTime>,
    /// When the caller's dialog was established.
    caller_created: Option<SimTime>,
    /// The workload's holding time: the caller hangs up this long after
    /// its dialog is established.
    holding: SimDuration,
    /// An endpoint ended the established call by a timer or transaction
    /// decision before the caller's own hang-up instant.
    timer_teardown: bool,
    caller_timer: CallerTimer,
}

impl CallTrack {
    /// The caller's established call time up to `t`, in ns (0 if never answered).
    fn session_until(&self, t: SimTime) -> u128 {
        self.caller_created.map_or(0, |start| {
            t.duration_since(start)
                .unwrap_or(SimDuration::ZERO)
                .as_nanos() as u128
        })
    }
}

/// The probe set of one run.
#[derive(Debug)]
pub struct Probes {
    classes: Vec<NodeClass>,
    calls: FxHashMap<CallRef, CallTrack>,
    acc: [ClassAcc; 4],
    /// Per node, in model order.
    node_acc: Vec<NodeAcc>,
    calls_started: u64,
    calls_answered: u64,
    calls_dead: u64,
    false_teardowns: u64,
    session_ns: u128,
    se_hist: BTreeMap<u32, u64>,
    refresher: [u64; 2],
    no_timer: u64,
    rejects_422: u64,
    rows: Rows,
}

impl Probes {
    /// Probes for nodes of these classes.
    pub fn new(classes: Vec<NodeClass>, rows: DialogRows) -> Self {
        Probes {
            node_acc: vec![NodeAcc::default(); classes.len()],
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
            rows: Rows::new(rows),
        }
    }

    /// The workload started `call` at `caller`, who will hang up `holding`
    /// after the answer.
    pub fn call_started(&mut self, call: CallRef, caller: NodeId, holding: SimDuration) {
        self.calls_started += 1;
        self.calls.insert(
            call,
            CallTrack {
                caller,
                dead_at: None,
                caller_created: None,
                holding,
                timer_teardown: false,
                caller_timer: CallerTimer::Unknown,
            },
        );
    }

    /// The call became dead at `t` (a fault; the first one counts).
    pub fn call_died(&mut self, call: CallRef, t: SimTime) {
        if let Some(c) = self.calls.get_mut(&call)
            && c.dead_at.is_none()
        {
            c.dead_at = Some(t);
            self.calls_dead += 1;
        }
    }

    /// A record reported by `node` at `now` (state changes come through
    /// [`Probes::state_created`] and [`Probes::state_freed`]).
    pub fn on_record(&mut self, node: NodeId, now: SimTime, r: &Record) {
        let Record::SessionTimer { call, event } = *r else {
            return;
        };
        let timer = match event {
            // A proxy ending a call at its dialog timeout with BYE both
            // ways (Kamailio, OpenSIPS) tears down a live call as surely as
            // an endpoint's timer does.
            StEvent::ByeSent(FreeCause::Expiry) if !self.classes[node.index()].is_endpoint() => {
                if let Some(c) = self.calls.get_mut(&call)
                    && c.caller_created
                        .is_some_and(|start| now < start + c.holding)
                {
                    c.timer_teardown = true;
                }
                return;
            }
            StEvent::Negotiated {
                interval_s,
                local_refresher,
            } => CallerTimer::On {
                interval_s,
                caller_refreshes: local_refresher,
            },
            StEvent::NoTimer => CallerTimer::Off,
            StEvent::Rejected422 { .. } => {
                self.rejects_422 += 1;
                return;
            }
            _ => return,
        };
        if let Some(c) = self.calls.get_mut(&call)
            && node == c.caller
        {
            c.caller_timer = timer;
        }
    }

    /// `node` created state for `call` at `now`.
    pub fn state_created(&mut self, now: SimTime, call: CallRef, node: NodeId) {
        if let Some(c) = self.calls.get_mut(&call)
            && node == c.caller
            && c.caller_created.is_none()
        {
            c.caller_created = Some(now);
            self.calls_answered += 1;
        }
    }

    /// `node` freed state of `call` it created at `created`, at `now`.
    pub fn state_freed(
        &mut self,
        now: SimTime,
        call: CallRef,
        node: NodeId,
        created: SimTime,
        cause: FreeCause,
    ) {
        let class = self.classes[node.index()];
        let track = self.calls.get_mut(&call);
        let dead = track.as_ref().and_then(|c| c.dead_at);
        let acc = &mut self.acc[class.index()];
        match (dead, cause) {
            (_, FreeCause::Crash) => acc.lost_in_crash(),
            (Some(d), _) if now >= d => {
                acc.reclaimed(created, d, now);
                let n = &mut self.node_acc[node.index()];
                n.dead_states += 1;
                n.hung_ns += hung_ns(created, d, now);
            }
            _ => {}
        }
        self.rows.push(|| DialogRow {
            call,
            node,
            class,
            created,
            dead,
            freed: Some(now),
            cause: Some(cause),
        });
        let Some(c) = track else { return };
        // A false teardown: an endpoint ends an established call by a timer
        // or transaction decision (expiry, failed refresh, 2xx never ACKed,
        // a 2xx whose timer it rejects)
        // before the caller's own hang-up instant. Once the hang-up has
        // begun, a refresh that meets the caller's gone dialog (481) or its
        // lost BYE is the hang-up finishing, not a healthy call killed.
        let timer_cause = matches!(
            cause,
            FreeCause::Expiry
                | FreeCause::RefreshFailed
                | FreeCause::TransactionTimeout
                | FreeCause::NegotiationFailed
        );
        if timer_cause
            && class.is_endpoint()
            && c.caller_created
                .is_some_and(|start| now < start + c.holding)
        {
            c.timer_teardown = true;
        }
        if node == c.caller {
            self.session_ns += c.session_until(now);
        }
    }

    /// The call is over: fold it into the run's statistics.
    pub fn call_over(&mut self, call: CallRef) {
        if let Some(c) = self.calls.remove(&call) {
            self.fold(&c);
        }
    }

    fn fold(&mut self, c: &CallTrack) {
        if c.dead_at.is_none() && c.timer_teardown {
            self.false_teardowns += 1;
        }
        if c.caller_created.is_some() {
            match c.caller_timer {
                CallerTimer::On {
                    interval_s,
                    caller_refreshes,
                } => {
                    *self.se_hist.entry(interval_s).or_insert(0) += 1;
                    self.refresher[usize::from(!caller_refreshes)] += 1;
                }
                CallerTimer::Off | CallerTimer::Unknown => self.no_timer += 1,
            }
        }
    }

    /// Closes the run at `end`. `open` lists the calls still in progress, by
    /// call, with the states held for them as `(node, created)`: held states
    /// of dead calls count as unreclaimed, hung until `end`.
    pub fn finish(
        mut self,
        end: SimTime,
        open: impl IntoIterator<Item = (CallRef, Vec<(NodeId, SimTime)>)>,
        counters: RunCounters,
    ) -> (RunMetrics, Option<Vec<DialogRow>>) {
        for (call, held) in open {
            let Some(c) = self.calls.remove(&call) else {
                continue;
            };
            for (node, created) in held {
                let class = self.classes[node.index()];
                if let Some(d) = c.dead_at {
                    self.acc[class.index()].still_held(created, d, end);
                    let n = &mut self.node_acc[node.index()];
                    n.dead_states += 1;
                    n.hung_ns += hung_ns(created, d, end);
                }
                if node == c.caller {
                    self.session_ns += c.session_until(end);
                }
                self.rows.push(|| DialogRow {
                    call,
                    node,
                    class,
                    created,
                    dead: c.dead_at,
                    freed: None,
                    cause: None,
                });
            }
            self.fold(&c);
        }
        let classes = self.acc.each_mut().map(ClassAcc::summary);
        let nodes = self
            .node_acc
            .iter()
            .zip(&self.classes)
            .enumerate()
            .map(|(i, (n, &class))| NodeLoad {
                class,
                traffic: counters.nodes.get(i).copied().unwrap_or_default(),
                dead_states: n.dead_states,
                hung_state_h: n.hung_ns as f64 / 3.6e12,
            })
            .collect();
        let metrics = RunMetrics {
            calls_started: self.calls_started,
            calls_answered: self.calls_answered,
            calls_dead: self.calls_dead,
            classes,
            false_teardowns: self.false_teardowns,
            session_hours: self.session_ns as f64 / 3.6e12,
            refresh_requests: counters.refresh_requests,
            refresh_messages: counters.refresh_messages,
            se_histogram: self.se_hist.into_iter().collect(),
            refresher_caller: self.refresher[0],
            refresher_callee: self.refresher[1],
            no_timer_calls: self.no_timer,
            rejects_422: self.rejects_422,
            messages_sent: counters.messages_sent,
            messages_lost: counters.messages_lost,
            events: counters.events,
            nodes,
        };
        (metrics, self.rows.into_sorted())
    }
}
