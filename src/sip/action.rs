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
use super::txn::SipTimers;

/// Which table of a node a timer belongs to; each has its own slots per entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimerSpace {
    /// Client transactions.
    ClientTxn,
    /// Server transactions.
    ServerTxn,
    /// UA / B2BUA dialogs.
    Dialog,
    /// Proxy dialog records.
    ProxyDialog,
}

impl TimerSpace {
    /// All spaces, in table order.
    pub const ALL: [TimerSpace; 4] = [
        TimerSpace::ClientTxn,
        TimerSpace::ServerTxn,
        TimerSpace::Dialog,
        TimerSpace::ProxyDialog,
    ];

    /// The dense index of the first timer slot of entry `handle`.
    pub fn entry_base(self, handle: u32) -> usize {
        super::slab::handle_index(handle) as usize * self.slots()
    }

    /// Timer slots per entry of this space.
    pub const fn slots(self) -> usize {
        match self {
            TimerSpace::ClientTxn => 3,
            TimerSpace::ServerTxn => 3,
            TimerSpace::Dialog => 5,
            TimerSpace::ProxyDialog => 2,
        }
    }
}

/// Every timer a role can set (RFC 3261 §17 letters, plus TU timers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimerKind {
    /// INVITE client retransmission (T1, doubling, uncapped).
    A,
    /// INVITE client timeout in Calling (64·T1): Timer A's last fire.
    B,
    /// Overall wait for a final response to an INVITE (Timer C, > 3 min).
    C,
    /// INVITE client lingering in Completed (≥ 32 s).
    D,
    /// Non-INVITE client retransmission (T1 doubling, capped at T2).
    E,
    /// Non-INVITE client timeout (64·T1): Timer E's last fire.
    F,
    /// Non-INVITE client lingering in Completed (T4).
    K,
    /// INVITE server retransmission of a 3xx–6xx (T1 doubling, capped at T2).
    G,
    /// INVITE server wait for the ACK (64·T1).
    H,
    /// INVITE server Confirmed, absorbing ACK retransmissions (T4).
    I,
    /// Non-INVITE server Completed (64·T1).
    J,
    /// INVITE server Accepted after a 2xx, absorbing INVITE retransmissions (RFC 6026, 64·T1).
    L,
    /// UAS core: retransmit the 2xx until the ACK arrives (RFC 3261 §13.3.1.4).
    Retransmit2xx,
    /// UAS core: give up waiting for the ACK at 64·T1 and end the session
    /// (the last fire of `Retransmit2xx`; named in records).
    GiveUp2xx,
    /// UA: the caller hangs up after the holding time.
    Hangup,
    /// UA: retry a re-INVITE after a 491 (RFC 3261 §14.1 back-off).
    GlareRetry,
    /// Proxy: free a dialog record nobody ended (fallback lifetime).
    Fallback,
    /// UA: time to refresh the session (RFC 4028 §10, refresher side).
    SessionRefresh,
    /// UA: no refresh arrived; send BYE (ST-EXPIRE-1, non-refresher side).
    SessionExpiry,
    /// Proxy: the session interval passed without a refresh (ST-PROXY-13/14).
    ProxyExpiry,
}

impl TimerKind {
    /// The table this timer lives in, and its slot there. Timers that can
    /// never be armed at the same time for one entry share a slot.
    pub const fn place(self) -> (TimerSpace, usize) {
        use TimerKind::*;
        match self {
            // B and F are the last fire of A and E (one timer per transaction).
            A | E | B | F => (TimerSpace::ClientTxn, 0),
            D | K => (TimerSpace::ClientTxn, 1),
            C => (TimerSpace::ClientTxn, 2),
            G => (TimerSpace::ServerTxn, 0),
            H => (TimerSpace::ServerTxn, 1),
            I | J | L => (TimerSpace::ServerTxn, 2),
            // The give-up point is the last fire of the 2xx retransmission timer.
            Retransmit2xx | GiveUp2xx => (TimerSpace::Dialog, 0),
            GlareRetry => (TimerSpace::Dialog, 1),
            Hangup => (TimerSpace::Dialog, 2),
            SessionRefresh => (TimerSpace::Dialog, 3),
            SessionExpiry => (TimerSpace::Dialog, 4),
            Fallback => (TimerSpace::ProxyDialog, 0),
            ProxyExpiry => (TimerSpace::ProxyDialog, 1),
        }
    }

    /// Lower-case name for traces.
    pub fn name(self) -> &'static str {
        use TimerKind::*;
        match self {
            A => "timer_a",
            B => "timer_b",
            C => "timer_c",
            D => "timer_d",
            E => "timer_e",
            F => "timer_f",
            K => "timer_k",
            G => "timer_g",
            H => "timer_h",
            I => "timer_i",
            J => "timer_j",
            L => "timer_l",
            Retransmit2xx => "retransmit_2xx",
            GiveUp2xx => "give_up_2xx",
            Hangup => "hangup",
            GlareRetry => "glare_retry",
            Fallback => "fallback_lifetime",
            SessionRefresh => "session_refresh",
            SessionExpiry => "session_expiry",
            ProxyExpiry => "proxy_expiry",
        }
    }
}

/// A timer of one table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId {
    /// Which timer.
    pub kind: TimerKind,
    /// The entry's slab handle.
    pub handle: u32,
}

impl TimerId {
    /// Where the world keeps this timer: its table, and a dense index there
    /// (the entry's slot times the slots per entry, plus the timer's slot).
    pub fn table_index(self) -> (TimerSpace, usize) {
        let (space, slot) = self.kind.place();
        (space, space.entry_base(self.handle) + slot)
    }
}

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
        /// The Min-SE it carried.
        min_se: u32,
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
            StEvent::Rejected422 { min_se } => format!("reject_422 Min-SE={min_se}"),
            StEvent::Rejected420 => "reject_420".into(),
            StEvent::Retry422 { min_se } => format!("retry_after_422 Min-SE={min_se}"),
            StEvent::Retry420 => "retry_after_420".into(),
        }
    }
}

/// A fact a role reports for metrics and traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// Dialog state now held (UA/B2BUA: dialog confirmed; proxy: 2xx forwarded).
    StateCreated {
        /// The call.
        call: CallRef,
        /// The node-local id pairing this with its `StateFreed`.
        state: StateId,
    },
    /// Dialog state released.
    StateFreed {
        /// The call.
        call: CallRef,
        /// Same id as in `StateCreated`.
        state: StateId,
        /// Why.
        cause: FreeCause,
    },
    /// A client transaction ended with a final response.
    TxnCompleted {
        /// The call.
        call: CallRef,
        /// The request's method.
        method: Method,
        /// The final status.
        status: StatusCode,
    },
    /// A client transaction timed out (Timer B, C or F).
    TxnTimedOut {
        /// The call.
        call: CallRef,
        /// The request's method.
        method: Method,
    },
    /// A timer fired and the role acted on it (`retransmit`, `hangup`, …).
    TimerFired {
        /// The call.
        call: CallRef,
        /// Which timer.
        kind: TimerKind,
    },
    /// A re-INVITE met glare and will be retried after this back-off.
    GlareBackoff {
        /// The call.
        call: CallRef,
        /// The drawn back-off.
        backoff: SimDuration,
    },
    /// A UA answered a call (sent the first 2xx).
    CallAnswered {
        /// The call.
        call: CallRef,
    },
    /// An initial INVITE failed.
    CallFailed {
        /// The call.
        call: CallRef,
        /// The final status (408 for a timeout).
        status: StatusCode,
    },
    /// A refresh request (re-INVITE or UPDATE) went out as a new transaction.
    RefreshSent {
        /// The call.
        call: CallRef,
        /// re-INVITE or UPDATE.
        method: Method,
    },
    /// A session-timer decision.
    SessionTimer {
        /// The call.
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
        /// The message.
        msg: Message,
    },
    /// Arm `id` to fire at `at`, re-arming it if already armed.
    SetTimer {
        /// Which timer.
        id: TimerId,
        /// When.
        at: SimTime,
    },
    /// Disarm `id` if armed.
    CancelTimer(TimerId),
    /// Disarm every timer of a table entry (used when the entry is freed).
    ClearTimers {
        /// The table.
        space: TimerSpace,
        /// The entry.
        handle: u32,
    },
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
}

impl Ctx<'_> {
    /// Sends `msg` to `to`.
    #[inline]
    pub fn send(&mut self, to: NodeId, msg: Message) {
        self.out.push(Action::Send { to, msg });
    }

    /// Arms (or re-arms) a timer `after` from now.
    #[inline]
    pub fn set_timer(&mut self, kind: TimerKind, handle: u32, after: SimDuration) {
        let at = self.now + after;
        self.out.push(Action::SetTimer {
            id: TimerId { kind, handle },
            at,
        });
    }

    /// Disarms a timer.
    #[inline]
    pub fn cancel_timer(&mut self, kind: TimerKind, handle: u32) {
        self.out.push(Action::CancelTimer(TimerId { kind, handle }));
    }

    /// Disarms every timer of an entry that is being freed.
    #[inline]
    pub fn clear_timers(&mut self, space: TimerSpace, handle: u32) {
        self.out.push(Action::ClearTimers { space, handle });
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
