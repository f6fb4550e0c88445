//! What a traced run records: every message of the traced call with its
//! fate, the facts its nodes reported, and the faults around it (crashes,
//! restarts, link windows, the instant the call became dead). Rendering
//! lives in `report::trace`.

use crate::engine::SimTime;
use crate::net::{LinkId, LossCause, NodeId, Probability};
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
    /// A fault took effect (the simulator knows; the nodes do not).
    Fault {
        /// When.
        t: SimTime,
        /// What.
        fault: FaultEvent,
    },
}

/// A fault as a trace shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultEvent {
    /// The node stopped; its state is lost.
    NodeCrash(NodeId),
    /// The node came back, empty.
    NodeRestart(NodeId),
    /// `call_crash`: the traced call's endpoint at this node died silently.
    EndpointDied(NodeId),
    /// The traced call is dead from now: its state anywhere is hung until
    /// something frees it.
    CallDead(DeathCause),
    /// A `link_down` window opens (everything on the link is lost until `until`).
    LinkDown {
        /// The link.
        link: LinkId,
        /// When the window closes.
        until: SimTime,
        /// Only toward this end, if set.
        toward: Option<NodeId>,
    },
    /// A `loss_burst` window opens.
    LossBurst {
        /// The link.
        link: LinkId,
        /// When the window closes.
        until: SimTime,
        /// Loss probability meanwhile.
        loss: Probability,
        /// Only toward this end, if set.
        toward: Option<NodeId>,
    },
    /// A window on this link closed.
    LinkRestored(LinkId),
}

/// What made a call dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeathCause {
    /// Its endpoint at this node crashed.
    NodeCrash(NodeId),
    /// `call_crash` killed its endpoint at this node.
    CallCrash(NodeId),
    /// `drop_bye` swallowed its BYE on this link.
    ByeSwallowed(LinkId),
}

impl TraceEvent {
    /// The event time.
    pub fn time(&self) -> SimTime {
        match self {
            TraceEvent::Message { t, .. }
            | TraceEvent::Record { t, .. }
            | TraceEvent::Fault { t, .. } => *t,
        }
    }
}

/// A link fault window, `[from, to)`: down (`loss` = `None`) or lossy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkWindow {
    /// The link.
    pub link: LinkId,
    /// Opens (inclusive).
    pub from: SimTime,
    /// Closes (exclusive).
    pub to: SimTime,
    /// `Some(p)` for a loss burst, `None` for the link down.
    pub loss: Option<Probability>,
    /// Only toward this end of the link, if set.
    pub toward: Option<NodeId>,
}

/// `trace` with the link windows that overlap its span merged in, by time:
/// a window's opening (even if before the first event) and its closing if
/// it comes before the last event. A window event sorts before a traced
/// event at the same instant (it explains a loss there).
pub fn with_link_windows(trace: &[TraceEvent], windows: &[LinkWindow]) -> Vec<TraceEvent> {
    let (Some(first), Some(last)) = (trace.first(), trace.last()) else {
        return Vec::new();
    };
    let (first, last) = (first.time(), last.time());
    let mut extra = Vec::new();
    for w in windows.iter().filter(|w| w.from <= last && w.to > first) {
        let open = match w.loss {
            None => FaultEvent::LinkDown {
                link: w.link,
                until: w.to,
                toward: w.toward,
            },
            Some(loss) => FaultEvent::LossBurst {
                link: w.link,
                until: w.to,
                loss,
                toward: w.toward,
            },
        };
        extra.push(TraceEvent::Fault {
            t: w.from,
            fault: open,
        });
        if w.to <= last {
            extra.push(TraceEvent::Fault {
                t: w.to,
                fault: FaultEvent::LinkRestored(w.link),
            });
        }
    }
    extra.sort_by_key(TraceEvent::time);
    let mut out = Vec::with_capacity(trace.len() + extra.len());
    let mut extra = extra.into_iter().peekable();
    for e in trace {
        while let Some(x) = extra.next_if(|x| x.time() <= e.time()) {
            out.push(x);
        }
        out.push(e.clone());
    }
    out.extend(extra);
    out
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
