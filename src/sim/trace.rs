//! What a traced run records: every message of the traced call with its
//! fate, and the facts its nodes reported. Rendering lives in `report::trace`.

use crate::engine::SimTime;
use crate::net::{LinkId, LossCause, NodeId};
use crate::sip::{CallRef, Message, Record};

/// What happened to one sent message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFate {
    /// Reached its next SIP hop at this time.
    Delivered {
        /// Arrival time.
        at: SimTime,
    },
    /// Lost on a link (or found no route).
    Lost {
        /// The link it was lost on (`None` for no route).
        link: Option<LinkId>,
        /// Why it was lost.
        cause: LossCause,
    },
}

/// One line of a trace.
// Traces are small and built once per traced call; no need to box the message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum TraceEvent {
    /// A message handed to the network.
    Message {
        /// Send time.
        t: SimTime,
        /// The node that sent it.
        from: NodeId,
        /// Next SIP hop.
        to: NodeId,
        /// The message as sent.
        msg: Message,
        /// Delivered (and when) or lost (where and why).
        fate: TraceFate,
    },
    /// A fact a node reported.
    Record {
        /// When the node reported it.
        t: SimTime,
        /// Which node.
        node: NodeId,
        /// What it reported.
        record: Record,
    },
}

impl TraceEvent {
    /// The event time.
    pub fn time(&self) -> SimTime {
        match self {
            TraceEvent::Message { t, .. } | TraceEvent::Record { t, .. } => *t,
        }
    }
}

/// Which calls a run traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFilter {
    /// None (the fast path).
    Off,
    /// One call.
    Call(CallRef),
    /// Every call.
    All,
}

impl TraceFilter {
    /// True if events of `call` are recorded.
    #[inline]
    pub fn wants(self, call: CallRef) -> bool {
        match self {
            TraceFilter::Off => false,
            TraceFilter::Call(c) => c == call,
            TraceFilter::All => true,
        }
    }
}
