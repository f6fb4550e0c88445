//! RFC 3261 §17 transactions over UDP, as small state machines, and the
//! per-node tables that hold them.
//!
//! A transaction lives in its node's slab; its handle is the Via branch
//! (client side) and the owner of its timers. Methods take the [`Ctx`], send
//! and arm timers through it, and return what the transaction user (TU)
//! must hear. Freeing the slab entry and its timers is the table's job:
//! whenever a transaction reaches `Terminated`, the table removes it.
//!
//! Schedules (T1 = 0.5 s, T2 = 4 s), TXN-A/B and TXN-E/F/K in the spec:
//! - INVITE client: sends at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s; Timer B at 32 s.
//! - Non-INVITE client: 0, 0.5, 1.5, 3.5, 7.5, 11.5, …, 31.5 s (11 sends); Timer F at 32 s.
//!
//! TXN-ERR: a dead host is silent, so its transactions end on Timer B or
//! F, which the TU treats as 408, unless the crash answers ICMP: then the
//! transaction ends at once with a local 503 (`on_transport_error`).
//!
//! A client transaction keeps one timer, not two. Timer A (or E) is re-armed
//! at min(next retransmission, deadline), and firing at the deadline (64·T1
//! after the start) is Timer B (or F). The times are exactly those above,
//! and a completed transaction leaves one cancelled engine entry instead of two.
//!
//! [`Ctx`]: super::action::Ctx

mod client;
mod server;
mod table;

pub use client::{ClientEvent, ClientKind, ClientState, ClientTxn};
pub use server::{Answer, ServerState, ServerTxn};
pub use table::Transactions;

use crate::engine::SimDuration;

use super::message::Branch;
use super::slab::{Key, slab_key};

slab_key! {
    /// A client transaction of one node; its packed value is the Via branch.
    pub struct ClientTxnId; "client transactions at one node"
}

slab_key! {
    /// A server transaction of one node.
    pub struct ServerTxnId; "server transactions at one node"
}

impl ClientTxnId {
    /// The Via branch that names this transaction on the wire.
    pub fn branch(self) -> Branch {
        Branch(self.raw())
    }

    /// The transaction a branch of ours names (it may be stale).
    pub fn of_branch(branch: Branch) -> Self {
        ClientTxnId::from_raw(branch.0)
    }
}

/// RFC 3261 timer base values (Appendix A), Timer C, and the client
/// transaction deadlines when a product sets its own (Kamailio's tm
/// `fr_timer` ends both at 30 s instead of 64·T1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipTimers {
    /// RTT estimate, 500 ms by default.
    pub t1: SimDuration,
    /// Retransmit-interval cap for non-INVITE requests and INVITE responses, 4 s.
    pub t2: SimDuration,
    /// Longest time a message lives in the network, 5 s.
    pub t4: SimDuration,
    /// Overall wait for a final response to an INVITE (> 3 min; 180 s).
    pub timer_c: SimDuration,
    /// Timer B, if not 64·T1.
    pub timer_b: Option<SimDuration>,
    /// Timer F, if not 64·T1.
    pub timer_f: Option<SimDuration>,
}

impl Default for SipTimers {
    fn default() -> Self {
        SipTimers {
            t1: SimDuration::from_millis(500),
            t2: SimDuration::from_secs(4),
            t4: SimDuration::from_secs(5),
            timer_c: SimDuration::from_secs(180),
            timer_b: None,
            timer_f: None,
        }
    }
}

impl SipTimers {
    /// 64·T1: Timers H, J, L and the 2xx give-up (and B, F unless set).
    pub fn t1x64(&self) -> SimDuration {
        self.t1 * 64
    }
    /// Timer D: at least 32 s on UDP, and at least 64·T1.
    pub fn timer_d(&self) -> SimDuration {
        self.t1x64().max(SimDuration::from_secs(32))
    }
    /// Timer B: an INVITE client transaction's deadline.
    pub fn timer_b(&self) -> SimDuration {
        self.timer_b.unwrap_or_else(|| self.t1x64())
    }
    /// Timer F: a non-INVITE client transaction's deadline.
    pub fn timer_f(&self) -> SimDuration {
        self.timer_f.unwrap_or_else(|| self.t1x64())
    }
    /// The longest a transaction of these timers can last after its last
    /// message: how long a fault mark must outlive its call.
    pub fn longest_wait(&self) -> SimDuration {
        self.t1x64().max(self.timer_b()).max(self.timer_f()) + self.t4
    }
    /// These timers with a node's own values over them.
    pub fn with(mut self, own: &SipOverrides) -> SipTimers {
        let SipOverrides {
            t1,
            t2,
            t4,
            timer_b,
            timer_f,
            timer_c,
        } = *own;
        self.t1 = t1.unwrap_or(self.t1);
        self.t2 = t2.unwrap_or(self.t2);
        self.t4 = t4.unwrap_or(self.t4);
        self.timer_c = timer_c.unwrap_or(self.timer_c);
        self.timer_b = timer_b.or(self.timer_b);
        self.timer_f = timer_f.or(self.timer_f);
        self
    }
}

/// A node's own transaction timers (a product's defaults or its
/// `[[node]]` keys), each overriding `[sip]` when set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SipOverrides {
    /// T1.
    pub t1: Option<SimDuration>,
    /// T2.
    pub t2: Option<SimDuration>,
    /// T4.
    pub t4: Option<SimDuration>,
    /// Timer B.
    pub timer_b: Option<SimDuration>,
    /// Timer F.
    pub timer_f: Option<SimDuration>,
    /// Timer C.
    pub timer_c: Option<SimDuration>,
}

impl SipOverrides {
    /// These values where set, else `under`'s.
    pub fn or(self, under: SipOverrides) -> SipOverrides {
        SipOverrides {
            t1: self.t1.or(under.t1),
            t2: self.t2.or(under.t2),
            t4: self.t4.or(under.t4),
            timer_b: self.timer_b.or(under.timer_b),
            timer_f: self.timer_f.or(under.timer_f),
            timer_c: self.timer_c.or(under.timer_c),
        }
    }
}
