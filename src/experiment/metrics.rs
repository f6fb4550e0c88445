//! The metric table: every metric of a run with its column name (snake_case,
//! unit last), what it means, and how it is read from [`RunMetrics`].
//! `runs.csv` and `summary.csv` columns, the charts, the headline table and
//! the README's column table all come from this one table, and code names a
//! metric by a typed [`Metric`], so a misspelt metric cannot compile.

use std::sync::OnceLock;

use crate::sim::{ClassSummary, NodeClass, NodeLoad, RunMetrics};

/// A run-level metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMetric {
    /// Calls the workload placed.
    CallsStarted,
    /// Calls answered.
    CallsAnswered,
    /// Calls a fault killed.
    CallsDead,
    /// Hung state summed over the classes.
    HungState,
    /// The same per 1,000 calls placed.
    HungStatePer1000Calls,
    /// Healthy calls ended by a timer.
    FalseTeardowns,
    /// The same per 1,000 session-hours.
    FalseTeardownsRate,
    /// Established call time.
    SessionHours,
    /// Refresh transactions started.
    RefreshRequests,
    /// The same per session-hour.
    RefreshRequestsRate,
    /// Refresh-related messages.
    RefreshMessages,
    /// The same per session-hour.
    RefreshMessagesRate,
    /// Mean final Session-Expires.
    FinalSeMean,
    /// Calls the caller refreshed.
    RefresherCaller,
    /// Calls the callee refreshed.
    RefresherCallee,
    /// Answered calls without a timer.
    NoTimerCalls,
    /// 422s sent.
    Rejects422,
    /// Messages sent.
    MessagesSent,
    /// Messages lost.
    MessagesLost,
    /// Engine events.
    Events,
}

/// A metric of the dead-call state at one class of node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassMetric {
    /// Dead-call states (freed and still held).
    DeadStates,
    /// Dead-call states freed.
    Reclaimed,
    /// The fraction freed.
    FreedFraction,
    /// Mean reclaim latency.
    ReclaimMean,
    /// Median reclaim latency.
    ReclaimP50,
    /// 95th percentile.
    ReclaimP95,
    /// 99th percentile.
    ReclaimP99,
    /// Largest reclaim latency.
    ReclaimMax,
    /// Dead-call states still held.
    Unreclaimed,
    /// Hung state-hours.
    HungState,
    /// The same per 1,000 calls placed.
    HungStatePer1000Calls,
    /// States lost with their crashed node.
    LostInCrash,
}

/// A metric of one node: a column of `nodes.csv` and `node_summary.csv`.
/// A class metric sums its nodes; these show the load on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeMetric {
    /// Messages received.
    MessagesReceived,
    /// Messages sent.
    MessagesSent,
    /// Both, per session-hour.
    MessagesPerSessionHour,
    /// Refresh transactions.
    RefreshTransactions,
    /// The same per session-hour.
    RefreshTransactionsPerSessionHour,
    /// Dead-call states held.
    DeadStates,
    /// Hung state-hours.
    HungState,
    /// The same per 1,000 calls placed.
    HungStatePer1000Calls,
}

/// Per-node metrics, in column order.
pub const NODE_METRICS: [NodeMetric; 8] = [
    NodeMetric::MessagesReceived,
    NodeMetric::MessagesSent,
    NodeMetric::MessagesPerSessionHour,
    NodeMetric::RefreshTransactions,
    NodeMetric::RefreshTransactionsPerSessionHour,
    NodeMetric::DeadStates,
    NodeMetric::HungState,
    NodeMetric::HungStatePer1000Calls,
];

impl NodeMetric {
    fn def(self) -> Def<fn(&NodeLoad, &RunMetrics) -> f64> {
        use NodeMetric::*;
        let (name, meaning, read): (_, _, fn(&NodeLoad, &RunMetrics) -> f64) = match self {
            MessagesReceived => (
                "messages_received",
                "SIP messages the node received and processed (retransmissions included)",
                |n, _| n.traffic.messages_received as f64,
            ),
            MessagesSent => (
                "messages_sent",
                "SIP messages the node sent: its own, forwarded, retransmitted",
                |n, _| n.traffic.messages_sent as f64,
            ),
            MessagesPerSessionHour => (
                "messages_per_session_hour",
                "received + sent, per session-hour of the run: × your concurrent calls = messages per hour at this node",
                |n, m| per_session_hour(n.messages_handled() as f64, m),
            ),
            RefreshTransactions => (
                "refresh_transactions",
                "refresh transactions (re-INVITE or UPDATE) the node took part in: each one sent over a SIP hop counts once at each end, retransmissions not counted",
                |n, _| n.traffic.refresh_transactions as f64,
            ),
            RefreshTransactionsPerSessionHour => (
                "refresh_transactions_per_session_hour",
                "the same per session-hour",
                |n, m| per_session_hour(n.traffic.refresh_transactions as f64, m),
            ),
            DeadStates => (
                "dead_states",
                "dead-call states the node held (freed or held at the end)",
                |n, _| n.dead_states as f64,
            ),
            HungState => (
                "hung_state_h",
                "∫ dead-call state the node held over time, state-hours",
                |n, _| n.hung_state_h,
            ),
            HungStatePer1000Calls => (
                "hung_state_h_per_1000_calls",
                "the same per 1,000 calls placed",
                |n, m| per_1000_calls(n.hung_state_h, m),
            ),
        };
        Def {
            name,
            meaning,
            read,
        }
    }

    /// Its column name.
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Its value at node `n` of run `m` (NaN: undefined).
    pub fn read(self, n: &NodeLoad, m: &RunMetrics) -> f64 {
        (self.def().read)(n, m)
    }
}

/// `x` per session-hour of the run (NaN without established calls).
fn per_session_hour(x: f64, m: &RunMetrics) -> f64 {
    if m.session_hours > 0.0 {
        x / m.session_hours
    } else {
        f64::NAN
    }
}

/// The README's table of `nodes.csv` columns (Markdown).
pub fn node_markdown_table() -> String {
    let mut s = String::from("| column | meaning |\n|---|---|\n");
    for m in NODE_METRICS {
        let d = m.def();
        s.push_str(&format!("| `{}` | {} |\n", d.name, d.meaning));
    }
    s
}

/// A column of `runs.csv` and `summary.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A run-level metric.
    Run(RunMetric),
    /// A class metric at one class.
    Class(NodeClass, ClassMetric),
}

/// One row of the table; `F` reads it.
struct Def<F> {
    /// The column name (for a class metric: after `<class>_`).
    name: &'static str,
    /// What it means, for the README.
    meaning: &'static str,
    /// How it is read.
    read: F,
}

/// How `summary.csv` combines a metric over a point's replications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// Mean and 95% half-width over the replications where it is defined.
    Defined,
    /// The same, but undefined (empty) if it is undefined in any
    /// replication: a percentile some run never reached, or a mean while
    /// some run still held states, has no honest average.
    EveryRun,
}

/// Run-level metrics before the per-class ones, in column order.
const HEAD: [RunMetric; 3] = [
    RunMetric::CallsStarted,
    RunMetric::CallsAnswered,
    RunMetric::CallsDead,
];

/// Per-class metrics, in column order.
const CLASS: [ClassMetric; 12] = [
    ClassMetric::DeadStates,
    ClassMetric::Reclaimed,
    ClassMetric::FreedFraction,
    ClassMetric::ReclaimMean,
    ClassMetric::ReclaimP50,
    ClassMetric::ReclaimP95,
    ClassMetric::ReclaimP99,
    ClassMetric::ReclaimMax,
    ClassMetric::Unreclaimed,
    ClassMetric::HungState,
    ClassMetric::HungStatePer1000Calls,
    ClassMetric::LostInCrash,
];

/// Run-level metrics after the per-class ones, in column order.
const TAIL: [RunMetric; 17] = [
    RunMetric::HungState,
    RunMetric::HungStatePer1000Calls,
    RunMetric::FalseTeardowns,
    RunMetric::FalseTeardownsRate,
    RunMetric::SessionHours,
    RunMetric::RefreshRequests,
    RunMetric::RefreshRequestsRate,
    RunMetric::RefreshMessages,
    RunMetric::RefreshMessagesRate,
    RunMetric::FinalSeMean,
    RunMetric::RefresherCaller,
    RunMetric::RefresherCallee,
    RunMetric::NoTimerCalls,
    RunMetric::Rejects422,
    RunMetric::MessagesSent,
    RunMetric::MessagesLost,
    RunMetric::Events,
];

impl RunMetric {
    fn def(self) -> Def<fn(&RunMetrics) -> f64> {
        use RunMetric::*;
        let (name, meaning, read): (_, _, fn(&RunMetrics) -> f64) = match self {
            CallsStarted => ("calls_started", "calls the workload placed", |m| {
                m.calls_started as f64
            }),
            CallsAnswered => ("calls_answered", "calls whose caller got a 2xx", |m| {
                m.calls_answered as f64
            }),
            CallsDead => (
                "calls_dead",
                "calls a fault killed (crash, `call_crash`, swallowed BYE)",
                |m| m.calls_dead as f64,
            ),
            HungState => (
                "hung_state_h",
                "`<class>_hung_state_h` summed over the classes, state-hours",
                RunMetrics::hung_state_h,
            ),
            HungStatePer1000Calls => (
                "hung_state_h_per_1000_calls",
                "the same per 1,000 calls placed (scale by your call volume)",
                |m| per_1000_calls(m.hung_state_h(), m),
            ),
            FalseTeardowns => (
                "false_teardowns",
                "healthy calls (no fault killed them) ended by a session-timer or transaction decision, or by a proxy's BYE at its dialog timeout",
                |m| m.false_teardowns as f64,
            ),
            FalseTeardownsRate => (
                "false_teardowns_per_1000_session_hours",
                "the same per 1,000 session-hours",
                RunMetrics::false_teardowns_per_1000_session_hours,
            ),
            SessionHours => (
                "session_hours",
                "established call time summed over callers, hours",
                |m| m.session_hours,
            ),
            RefreshRequests => (
                "refresh_requests",
                "refresh transactions (re-INVITE or UPDATE) started",
                |m| m.refresh_requests as f64,
            ),
            RefreshRequestsRate => (
                "refresh_requests_per_session_hour",
                "the same per session-hour",
                RunMetrics::refresh_requests_per_session_hour,
            ),
            RefreshMessages => (
                "refresh_messages",
                "every refresh-related message: requests, responses, ACKs, retransmissions included, counted once per SIP hop (a path of h hops carries about h per message); the load at one node is in `nodes.csv`",
                |m| m.refresh_messages as f64,
            ),
            RefreshMessagesRate => (
                "refresh_messages_per_session_hour",
                "the same per session-hour",
                RunMetrics::refresh_messages_per_session_hour,
            ),
            FinalSeMean => (
                "final_se_mean_s",
                "mean final Session-Expires at the callers that had a timer, seconds; empty if none had",
                |m| {
                    let (sum, n) = m.se_histogram.iter().fold((0.0, 0u64), |(s, n), &(se, k)| {
                        (s + f64::from(se) * k as f64, n + k)
                    });
                    if n > 0 { sum / n as f64 } else { f64::NAN }
                },
            ),
            RefresherCaller => (
                "refresher_caller",
                "answered calls whose final refresher was the caller side",
                |m| m.refresher_caller as f64,
            ),
            RefresherCallee => (
                "refresher_callee",
                "answered calls whose final refresher was the callee side",
                |m| m.refresher_callee as f64,
            ),
            NoTimerCalls => (
                "no_timer_calls",
                "answered calls without a session timer at the caller",
                |m| m.no_timer_calls as f64,
            ),
            Rejects422 => ("rejects_422", "422 responses sent", |m| {
                m.rejects_422 as f64
            }),
            MessagesSent => (
                "messages_sent",
                "SIP messages sent, one per SIP hop, retransmissions included",
                |m| m.messages_sent as f64,
            ),
            MessagesLost => (
                "messages_lost",
                "SIP messages lost (links, faults, dead receivers)",
                |m| m.messages_lost as f64,
            ),
            Events => ("events", "engine events processed", |m| m.events as f64),
        };
        Def {
            name,
            meaning,
            read,
        }
    }
}

impl ClassMetric {
    fn def(self) -> Def<fn(&ClassSummary, &RunMetrics) -> f64> {
        use ClassMetric::*;
        let (name, meaning, read): (_, _, fn(&ClassSummary, &RunMetrics) -> f64) = match self {
            DeadStates => (
                "dead_states",
                "dead-call states at the class: held when or after their call died (the percentiles' n)",
                |k, _| k.dead_states as f64,
            ),
            Reclaimed => (
                "reclaimed",
                "of them, the states the class freed before the end of the run",
                |k, _| k.reclaimed as f64,
            ),
            FreedFraction => (
                "freed_fraction",
                "`reclaimed / dead_states`; empty without dead-call states",
                |k, _| k.freed_fraction,
            ),
            ReclaimMean => (
                "reclaim_mean_s",
                "mean reclaim latency (freed − dead), seconds; empty unless every dead-call state was freed",
                |k, _| k.mean_s,
            ),
            ReclaimP50 => (
                "reclaim_p50_s",
                "median reclaim latency, seconds (Kaplan–Meier over freed and still-held states); empty if not reached",
                |k, _| k.p50_s,
            ),
            ReclaimP95 => (
                "reclaim_p95_s",
                "95th percentile of reclaim latency, seconds (Kaplan–Meier); empty if not reached",
                |k, _| k.p95_s,
            ),
            ReclaimP99 => (
                "reclaim_p99_s",
                "99th percentile of reclaim latency, seconds (Kaplan–Meier); empty if not reached",
                |k, _| k.p99_s,
            ),
            ReclaimMax => (
                "reclaim_max_s",
                "largest reclaim latency, seconds; empty unless every dead-call state was freed",
                |k, _| k.max_s,
            ),
            Unreclaimed => (
                "unreclaimed",
                "dead-call states still held at the end of the run",
                |k, _| k.unreclaimed as f64,
            ),
            HungState => (
                "hung_state_h",
                "∫ dead-call state held over time, state-hours (one state held 1 h = 1)",
                |k, _| k.hung_state_h,
            ),
            HungStatePer1000Calls => (
                "hung_state_h_per_1000_calls",
                "the same per 1,000 calls placed",
                |k, m| per_1000_calls(k.hung_state_h, m),
            ),
            LostInCrash => (
                "lost_in_crash",
                "states lost with their own crashed node (neither reclaimed nor held)",
                |k, _| k.lost_in_crash as f64,
            ),
        };
        Def {
            name,
            meaning,
            read,
        }
    }
}

impl Metric {
    /// Every metric, in column order.
    pub fn all() -> &'static [Metric] {
        static ALL: OnceLock<Vec<Metric>> = OnceLock::new();
        ALL.get_or_init(|| {
            let mut out: Vec<Metric> = HEAD.iter().map(|&m| Metric::Run(m)).collect();
            for c in NodeClass::ALL {
                out.extend(CLASS.iter().map(|&k| Metric::Class(c, k)));
            }
            out.extend(TAIL.iter().map(|&m| Metric::Run(m)));
            out
        })
    }

    /// Its position among the metric columns.
    pub fn index(self) -> usize {
        Metric::all()
            .iter()
            .position(|&m| m == self)
            .expect("every metric has a column")
    }

    /// Its column name.
    pub fn name(self) -> &'static str {
        &metric_names()[self.index()]
    }

    /// How `summary.csv` combines it over replications.
    pub fn pooling(self) -> Pooling {
        use ClassMetric::*;
        match self {
            Metric::Class(_, ReclaimMean | ReclaimP50 | ReclaimP95 | ReclaimP99 | ReclaimMax) => {
                Pooling::EveryRun
            }
            _ => Pooling::Defined,
        }
    }

    /// Its value in a run's metrics (NaN: undefined, an empty cell).
    pub fn read(self, m: &RunMetrics) -> f64 {
        match self {
            Metric::Run(r) => (r.def().read)(m),
            Metric::Class(c, k) => (k.def().read)(m.class(c), m),
        }
    }
}

/// `x` per 1,000 calls placed (NaN without calls).
fn per_1000_calls(x: f64, m: &RunMetrics) -> f64 {
    if m.calls_started > 0 {
        x * 1000.0 / m.calls_started as f64
    } else {
        f64::NAN
    }
}

/// All metric column names, in order (built once).
pub fn metric_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        Metric::all()
            .iter()
            .map(|m| match *m {
                Metric::Run(r) => r.def().name.to_string(),
                Metric::Class(c, k) => format!("{}_{}", c.name(), k.def().name),
            })
            .collect()
    })
}

/// The metric values of one run, in [`metric_names`] order (NaN: undefined).
pub fn metric_values(m: &RunMetrics) -> Vec<f64> {
    Metric::all().iter().map(|x| x.read(m)).collect()
}

/// The README's table of metric columns (Markdown), one row per metric,
/// per-class metrics once with a `<class>_` prefix.
pub fn markdown_table() -> String {
    let mut s = String::from("| column | meaning |\n|---|---|\n");
    let row = |s: &mut String, name: String, meaning: &str| {
        s.push_str(&format!("| `{name}` | {meaning} |\n"));
    };
    for m in HEAD {
        row(&mut s, m.def().name.into(), m.def().meaning);
    }
    for k in CLASS {
        row(&mut s, format!("<class>_{}", k.def().name), k.def().meaning);
    }
    for m in TAIL {
        row(&mut s, m.def().name.into(), m.def().meaning);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(se_histogram: Vec<(u32, u64)>, events: u64) -> RunMetrics {
        RunMetrics {
            calls_started: 0,
            calls_answered: 0,
            calls_dead: 0,
            classes: Default::default(),
            false_teardowns: 0,
            session_hours: 0.0,
            refresh_requests: 0,
            refresh_messages: 0,
            se_histogram,
            refresher_caller: 0,
            refresher_callee: 0,
            no_timer_calls: 0,
            rejects_422: 0,
            messages_sent: 0,
            messages_lost: 0,
            events,
            nodes: Vec::new(),
        }
    }

    #[test]
    fn names_and_values_line_up() {
        let m = run(vec![(90, 1), (180, 3)], 7);
        let (n, v) = (metric_names(), metric_values(&m));
        assert_eq!(n.len(), v.len());
        // 3 head metrics, 4 classes × 12, 17 tail metrics.
        assert_eq!(n.len(), 3 + 4 * 12 + 17);
        assert_eq!(v[Metric::Run(RunMetric::Events).index()], 7.0);
        // (90·1 + 180·3) / 4
        assert_eq!(v[Metric::Run(RunMetric::FinalSeMean).index()], 157.5);
        // Hung state per 1,000 calls: 2 state-hours at the UAs and 0.5 at
        // timer proxies over 500 calls placed are 4 and 1 per 1,000 calls,
        // 5 in all; without calls it is undefined.
        let mut m = run(vec![], 0);
        m.calls_started = 500;
        m.classes[0].hung_state_h = 2.0;
        m.classes[2].hung_state_h = 0.5;
        let per = |x| Metric::Class(x, ClassMetric::HungStatePer1000Calls).read(&m);
        assert_eq!((per(NodeClass::Ua), per(NodeClass::ProxyTimer)), (4.0, 1.0));
        assert_eq!(Metric::Run(RunMetric::HungStatePer1000Calls).read(&m), 5.0);
        m.calls_started = 0;
        assert!(
            Metric::Run(RunMetric::HungStatePer1000Calls)
                .read(&m)
                .is_nan()
        );
        assert!(run(vec![], 0).se_histogram.is_empty());
        assert!(
            Metric::Run(RunMetric::FinalSeMean)
                .read(&run(vec![], 0))
                .is_nan()
        );
    }

    #[test]
    fn names_are_unique_snake_case_with_units_last() {
        let names = metric_names();
        for (i, n) in names.iter().enumerate() {
            assert!(!names[..i].contains(n), "{n} twice");
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{n}"
            );
        }
        assert_eq!(
            Metric::Class(NodeClass::ProxyTimer, ClassMetric::ReclaimP95).name(),
            "proxy_timer_reclaim_p95_s"
        );
    }
}
