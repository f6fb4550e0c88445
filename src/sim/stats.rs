//! Counters a run keeps whatever it traces: message fates and, per node,
//! what the role processed and reported.

use crate::net::LossCause;
use crate::sip::{FreeCause, Method, Record};

/// Methods in counter order.
pub const METHODS: [Method; 5] = [
    Method::Invite,
    Method::Ack,
    Method::Bye,
    Method::Update,
    Method::Options,
];
/// Free causes in counter order.
pub const CAUSES: [FreeCause; 7] = [
    FreeCause::Bye,
    FreeCause::Expiry,
    FreeCause::RefreshFailed,
    FreeCause::TransactionTimeout,
    FreeCause::FallbackLifetime,
    FreeCause::Crash,
    FreeCause::NegotiationFailed,
];
/// Loss causes in counter order.
pub const LOSS_CAUSES: [LossCause; 7] = [
    LossCause::Random,
    LossCause::Burst,
    LossCause::Outage,
    LossCause::NoRoute,
    LossCause::Fault,
    LossCause::NodeDown,
    LossCause::Nat,
];

fn method_index(m: Method) -> usize {
    METHODS
        .iter()
        .position(|&x| x == m)
        .expect("all methods listed")
}

fn cause_index(c: FreeCause) -> usize {
    CAUSES
        .iter()
        .position(|&x| x == c)
        .expect("all causes listed")
}

/// Per-node counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Requests the node's role processed, by method ([`METHODS`] order).
    pub requests_received: [u64; 5],
    /// Responses the node's role processed.
    pub responses_received: u64,
    /// Dialog states created.
    pub states_created: u64,
    /// Dialog states freed, by cause ([`CAUSES`] order).
    pub states_freed: [u64; 7],
    /// Client transactions that got a final response, by method.
    pub txn_completed: [u64; 5],
    /// Client transactions that timed out, by method.
    pub txn_timed_out: [u64; 5],
    /// Calls answered (UAs and B2BUAs).
    pub calls_answered: u64,
    /// Initial INVITEs that failed.
    pub calls_failed: u64,
    /// Refresh requests sent (new re-INVITE/UPDATE transactions).
    pub refreshes_sent: u64,
    /// SIP messages the node sent, retransmissions and forwarded ones included.
    pub messages_sent: u64,
    /// Refresh transactions the node took part in: each refresh request
    /// (re-INVITE or UPDATE) sent over a SIP hop, retransmissions not
    /// counted, is one transaction at each end of the hop.
    pub refresh_transactions: u64,
}

impl NodeStats {
    /// Requests of `m` processed.
    pub fn received(&self, m: Method) -> u64 {
        self.requests_received[method_index(m)]
    }
    /// States freed for cause `c`.
    pub fn freed(&self, c: FreeCause) -> u64 {
        self.states_freed[cause_index(c)]
    }
    /// Client transactions of `m` that completed.
    pub fn completed(&self, m: Method) -> u64 {
        self.txn_completed[method_index(m)]
    }
    /// Client transactions of `m` that timed out.
    pub fn timed_out(&self, m: Method) -> u64 {
        self.txn_timed_out[method_index(m)]
    }
    /// SIP messages the node's role received and processed.
    pub fn messages_received(&self) -> u64 {
        self.requests_received.iter().sum::<u64>() + self.responses_received
    }
    /// States created and not yet freed.
    pub fn states_held(&self) -> u64 {
        self.states_created - self.states_freed.iter().sum::<u64>()
    }

    pub(crate) fn count_record(&mut self, r: &Record) {
        match *r {
            Record::StateCreated { .. } => self.states_created += 1,
            Record::StateFreed { cause, .. } => self.states_freed[cause_index(cause)] += 1,
            Record::TxnCompleted { method, .. } => self.txn_completed[method_index(method)] += 1,
            Record::TxnTimedOut { method, .. } => self.txn_timed_out[method_index(method)] += 1,
            Record::CallAnswered { .. } => self.calls_answered += 1,
            Record::CallFailed { .. } => self.calls_failed += 1,
            Record::RefreshSent { .. } => self.refreshes_sent += 1,
            Record::TimerFired { .. }
            | Record::GlareBackoff { .. }
            | Record::SessionTimer { .. } => {}
        }
    }

    pub(crate) fn count_received(&mut self, method: Option<Method>) {
        match method {
            Some(m) => self.requests_received[method_index(m)] += 1,
            None => self.responses_received += 1,
        }
    }
}

/// Whole-run counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// SIP messages handed to the network (one per SIP hop, retransmissions included).
    pub messages_sent: u64,
    /// Messages that reached their next SIP hop.
    pub messages_delivered: u64,
    /// Messages lost, by cause ([`LOSS_CAUSES`] order).
    pub messages_lost: [u64; 7],
    /// Messages that belong to session refreshes (retransmissions included).
    pub refresh_messages: u64,
    /// Calls the workload started.
    pub calls_started: u64,
    /// Per node, in model order.
    pub nodes: Vec<NodeStats>,
}

impl Stats {
    /// Messages lost for any reason.
    pub fn lost_total(&self) -> u64 {
        self.messages_lost.iter().sum()
    }

    pub(crate) fn count_loss(&mut self, cause: LossCause) {
        let i = LOSS_CAUSES
            .iter()
            .position(|&c| c == cause)
            .expect("listed");
        self.messages_lost[i] += 1;
    }
}
