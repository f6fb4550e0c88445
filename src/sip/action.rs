//! What a protocol role may ask of the world, and what it is given.
//!
//! Roles are sans-I/O: each input (`on_message`, `on_timer`, `on_command`)
//! gets a [`Ctx`] holding the current time, read-only configuration and
//! routing, the node's own random stream, and an output buffer. The role
//! answers by pushing [`Action`]s: send a message, set, re-arm or cancel a
//! timer, or record a fact. Only the world turns actions into engine calls.

use crate::engine::{SimDuration, SimRng, SimTime};
use crate::net::{NodeId, Topology};

use super::message::{CallRef, Message, Method};
use super::status::StatusCode;
use super::timer::{TimerId, TimerKind, TimerOwner};
use super::transaction::SipTimers;

/// A node-local id of one dialog state (a UA's dialog, a proxy's dialog
/// record): pairs a `StateCreated` record with its `StateFreed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateId(pub u32);

/// Why a node freed dialog state (DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FreeCause {
    /// A BYE was sent, received, or passed through.
    Bye,
    /// A session timer expired.
    Expiry,
    /// A refresh failed (408, 481, timeout).
    RefreshFailed,
    /// A transaction timed out (e.g. no ACK for the 2xx).
    TransactionTimeout,
    /// A proxy's fallback lifetime ended.
    FallbackLifetime,
    /// The node crashed.
    Crash,
    /// A UA ended the call right after its answer, rejecting the 2xx's
    /// timer (`small_se_in_2xx = bye`, `timer_required`).
    NegotiationFailed,
}

impl FreeCause {
    /// Stable snake_case name (CSV, traces).
    pub fn name(self) -> &'static str {
        match self {
            FreeCause::Bye => "bye",
            FreeCause::Expiry => "expiry",
            FreeCause::RefreshFailed => "refresh_failed",
            FreeCause::TransactionTimeout => "transaction_timeout",
            FreeCause::FallbackLifetime => "fallback_lifetime",
            FreeCause::Crash => "crash",
            FreeCause::NegotiationFailed => "negotiation_failed",
        }
    }
}

/// A session-timer decision (for traces and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StEvent {
    /// A timer is in force: interval and whether this node refreshes.
    Negotiated {
        /// Session interval, seconds.
        interval_s: u32,
        /// This node is the refresher.
        local_refresher: bool,
    },
    /// The latest 2xx left no timer in force.
    NoTimer,
    /// A proxy armed its dialog expiry this long after forwarding a 2xx (ST-PROXY-13).
    ProxyExpirySet {
        /// Session interval, seconds.
        interval_s: u32,
    },
    /// The refresher's refresh point: a refresh goes out.
    RefreshDue,
    /// No refresh arrived in time (UA: at the guard; proxy: at SI).
    Expired,
    /// A BYE was sent, and why.
    ByeSent(FreeCause),
    /// This node rejected a refresh request with 422 and this Min-SE.
    Rejected422 {
        /// The Min-SE it carried (`None`: a 422 without one).
        min_se: Option<u32>,
    },
    /// This node rejected `Require: timer` with 420 (refuse mode).
    Rejected420,
    /// A 422 arrived; the request is retried with this Min-SE.
    Retry422 {
        /// The Min-SE of the retry.
        min_se: u32,
    },
    /// A 420 with `Unsupported: timer` arrived; retried without `Require`.
    Retry420,
    /// This node rejected a caller without `timer` with 421 (`timer_required`).
    Rejected421,
    /// This UAC rejects the timer of the 2xx it got, and ends the call.
    Rejected2xx,
    /// A refresh got no answer; the dialog is dropped without BYE
    /// (`refresh_timeout = local`).
    DroppedSilently,
    /// A refresh got 503; it is sent again after this delay.
    Retry503 {
        /// Seconds until the retry.
        after_s: u32,
    },
    /// A fault made this node answer a request with this status.
    FaultAnswer(StatusCode),
}

impl StEvent {
    /// The trace name (`refresh_due`, `expired`, `bye_sent:expiry`, …).
    pub fn name(&self) -> String {
        match self {
            StEvent::Negotiated {
                interval_s,
                local_refresher,
            } => format!(
                "timer SE={interval_s} refresher={}",
                if *local_refresher { "self" } else { "peer" }
            ),
            StEvent::NoTimer => "no_timer".into(),
            StEvent::ProxyExpirySet { interval_s } => format!("proxy_expiry_in {interval_s} s"),
            StEvent::RefreshDue => "refresh_due".into(),
            StEvent::Expired => "expired".into(),
            StEvent::ByeSent(c) => format!("bye_sent:{}", c.name()),
            StEvent::Rejected422 { min_se: Some(m) } => format!("reject_422 Min-SE={m}"),
            StEvent::Rejected422 { min_se: None } => "reject_422 without Min-SE".into(),
            StEvent::Rejected420 => "reject_420".into(),
            StEvent::Retry422 { min_se } => format!("retry_after_422 Min-SE={min_se}"),
            StEvent::Retry420 => "retry_after_420".into(),
            StEvent::Rejected421 => "reject_421".into(),
            StEvent::Rejected2xx => "reject_2xx_timer".into(),
            StEvent::DroppedSilently => "dropped_without_bye".into(),
            StEvent::Retry503 { after_s } => format!("retry_after_503 in {after_s} s"),
            StEvent::FaultAnswer(s) => format!("fault_answer {}", s.0),
        }
    }
}

/// A fact a role reports for metrics and traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// Dialog state now held (UA/B2BUA: dialog confirmed; proxy: 2xx forwarded).
    StateCreated {
        /// The workload call (traces and metrics follow a call by it).
        call: CallRef,
        /// The node-local id pairing this with its `StateFreed`.
        state: StateId,
    },
    /// Dialog state released.
    StateFreed {
        /// The workload call (traces and metrics follow a call by it).
        call: CallRef,
        /// Same id as in `StateCreated`.
        state: StateId,
        /// What freed it (metrics tell reclaim paths apart by it).
        cause: FreeCause,
    },
    /// A client transaction ended with a final response.
    TxnCompleted {
        /// The workload call (traces and metrics follow a call by it).
        call: CallRef,
        /// The request's method.
        method: Method,
        /// The final status.
        status: StatusCode,
    },
    /// A client transaction timed out (Timer B, C or F).
    TxnTimedOut {
        /// The workload call (traces and metrics follow a call by it).
        call: CallRef,
        /// The request's method.
        method: Method,
    },
    /// A timer fired and the role acted on it (`retransmit`, `hangup`, …).
    TimerFired {
        /// The workload call (traces and metrics follow a call by it).
        call: CallRef,
        /// The timer that fired.
        kind: TimerKind,
    },
    /// A re-INVITE met glare and will be retried after this back-off.
    GlareBackoff {
        /// The workload call (traces and metrics follow a call by it).
        call: CallRef,
        /// The drawn back-off.
        backoff: SimDuration,
    },
    /// A UA answered a call (sent the first 2xx).
    CallAnswered {
        /// The workload call (traces and metrics follow a call by it).
        call: CallRef,
    },
    /// An initial INVITE failed.
    CallFailed {
        /// The workload call (traces and metrics follow a call by it).
        call: CallRef,
        /// The final status (408 for a timeout).
        status: StatusCode,
    },
    /// A refresh request (re-INVITE or UPDATE) went out as a new transaction.
    RefreshSent {
        /// The workload call (traces and metrics follow a call by it).
        call: CallRef,
        /// re-INVITE or UPDATE.
        method: Method,
    },
    /// A session-timer decision.
    SessionTimer {
        /// The workload call (traces and metrics follow a call by it).
        call: CallRef,
        /// What was decided.
        event: StEvent,
    },
}

impl Record {
    /// The call the record belongs to.
    pub fn call(&self) -> CallRef {
        match *self {
            Record::StateCreated { call, .. }
            | Record::StateFreed { call, .. }
            | Record::TxnCompleted { call, .. }
            | Record::TxnTimedOut { call, .. }
            | Record::TimerFired { call, .. }
            | Record::GlareBackoff { call, .. }
            | Record::CallAnswered { call }
            | Record::CallFailed { call, .. }
            | Record::RefreshSent { call, .. }
            | Record::SessionTimer { call, .. } => call,
        }
    }
}

/// A request from a role to the world.
// `Send` carries its message inline on purpose: boxing would allocate once per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send `msg` to the SIP element `to` (the network finds the path).
    Send {
        /// Next SIP hop.
        to: NodeId,
        /// The message as it goes on the wire.
        msg: Message,
    },
    /// Arm `id` to fire at `at`, re-arming it if already armed.
    SetTimer {
        /// The timer; an armed one is moved, not duplicated.
        id: TimerId,
        /// When it fires (never in the past).
        at: SimTime,
    },
    /// Disarm `id` if armed.
    CancelTimer(TimerId),
    /// Disarm every timer of a table entry (used when the entry is freed).
    ClearTimers(TimerOwner),
    /// Report a fact.
    Record(Record),
}

/// Everything a role gets for one input.
pub struct Ctx<'a> {
    /// The current time.
    pub now: SimTime,
    /// This node.
    pub me: NodeId,
    /// RFC 3261 timer values.
    pub timers: &'a SipTimers,
    /// Routing, for the next hop of initial requests.
    pub topo: &'a Topology,
    /// This node's own random stream (glare back-off).
    pub rng: &'a mut SimRng,
    /// Where actions go.
    pub out: &'a mut Vec<Action>,
    /// What a fault makes this node answer to the request being delivered,
    /// instead of its own answer (a misbehaving peer).
    pub forced: Option<ForcedAnswer>,
}

/// A final status a fault makes a node answer a request with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForcedAnswer {
    /// The status (4xx–6xx).
    pub status: StatusCode,
    /// The Min-SE of a 422; none makes a broken 422.
    pub min_se: Option<u32>,
    /// `Retry-After`, seconds.
    pub retry_after_s: Option<u32>,
}

impl Ctx<'_> {
    /// Sends `msg` to `to`.
    #[inline]
    pub fn send(&mut self, to: NodeId, msg: Message) {
        self.out.push(Action::Send { to, msg });
    }

    /// Arms (or re-arms) a timer `after` from now.
    #[inline]
    pub fn set_timer(&mut self, id: TimerId, after: SimDuration) {
        let at = self.now + after;
        self.out.push(Action::SetTimer { id, at });
    }

    /// Disarms a timer.
    #[inline]
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.out.push(Action::CancelTimer(id));
    }

    /// Disarms every timer of an entry that is being freed.
    #[inline]
    pub fn clear_timers(&mut self, owner: TimerOwner) {
        self.out.push(Action::ClearTimers(owner));
    }

    /// Reports a fact.
    #[inline]
    pub fn record(&mut self, r: Record) {
        self.out.push(Action::Record(r));
    }

    /// The next SIP hop toward `target` for an initial request.
    #[inline]
    pub fn next_hop(&self, target: NodeId) -> Option<NodeId> {
        if target == self.me {
            return Some(target);
        }
        self.topo.next_hop(self.me, target).map(|(n, _)| n)
    }
}
