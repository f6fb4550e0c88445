//! The server transaction (RFC 3261 §17.2, Figures 7 and 8; RFC 6026's
//! Accepted state): an INVITE server retransmits a 3xx–6xx on Timer G until
//! the ACK, gives up on Timer H and absorbs ACKs on Timer I (TXN-G/H/I); a
//! non-INVITE server resends its final to every retransmitted request for
//! Timer J (TXN-J).

use crate::net::NodeId;

use super::super::action::Ctx;
use super::super::message::{Branch, CallId, Message, Method};
use super::super::status::StatusCode;
use super::super::timer::{ServerTimer, TimerId};
use super::ServerTxnId;

/// Server transaction states (RFC 3261 Figures 7 and 8, RFC 6026 Accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// INVITE received / provisional sent (INVITE), or 1xx sent (non-INVITE).
    Proceeding,
    /// Non-INVITE received, nothing sent yet.
    Trying,
    /// A final response was sent (INVITE: 3xx–6xx).
    Completed,
    /// INVITE: the ACK for a 3xx–6xx arrived.
    Confirmed,
    /// INVITE: a 2xx was sent; INVITE retransmissions are absorbed (RFC 6026).
    Accepted,
    /// Done; the table frees it.
    Terminated,
}

/// When the TU answers a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// At once, from the request in hand.
    Now,
    /// Later (a UAS deciding whether to answer an initial INVITE): the
    /// transaction keeps the request to build the response from.
    Later,
}

/// Identity of a server transaction: the sender and its branch.
pub(super) type ServerKey = (NodeId, Branch);

/// A server transaction: where responses go and what to resend.
#[derive(Debug, Clone)]
pub struct ServerTxn {
    /// Current state.
    pub(crate) state: ServerState,
    /// True for INVITE.
    invite: bool,
    /// The previous hop: responses go back to it (the top Via's node).
    pub(crate) peer: NodeId,
    /// Lookup key in the node's index.
    pub(super) key: ServerKey,
    /// Call-ID, CSeq and method of the request: enough to tell its
    /// retransmissions from new requests once the request itself is dropped.
    call_id: CallId,
    cseq: u32,
    method: Method,
    /// The request, kept until the final response is sent (to build responses).
    request: Option<Box<Message>>,
    /// The last response sent, resent on request retransmissions.
    last: Option<Box<Message>>,
    interval: crate::engine::SimDuration,
}

impl ServerTxn {
    /// A server transaction for `req` received from `peer`. INVITE
    /// transactions answer 100 Trying at once (hop-by-hop, §17.2.1).
    pub fn new(ctx: &mut Ctx, req: &Message, peer: NodeId, answer: Answer) -> Self {
        let invite = req.method() == Some(Method::Invite);
        let branch = req.via.top().expect("requests carry a Via").branch;
        let mut txn = ServerTxn {
            state: if invite {
                ServerState::Proceeding
            } else {
                ServerState::Trying
            },
            invite,
            peer,
            key: (peer, branch),
            call_id: req.call_id,
            cseq: req.cseq,
            method: req.method().expect("a request"),
            request: (answer == Answer::Later).then(|| Box::new(req.clone())),
            last: None,
            interval: ctx.timers.t1,
        };
        if invite {
            let trying = req.response(StatusCode::TRYING);
            ctx.send(peer, trying.clone());
            txn.last = Some(Box::new(trying));
        }
        txn
    }

    /// True if `req` (same sender and branch) belongs to this transaction:
    /// a retransmission of its request, or the ACK for its 3xx–6xx. An ACK
    /// in Accepted (after a 2xx) is end-to-end and belongs to the TU
    /// (RFC 6026 §7.1), even when it reuses the INVITE's branch.
    pub fn absorbs(&self, req: &Message) -> bool {
        if req.call_id != self.call_id || req.cseq != self.cseq {
            return false;
        }
        match req.method() {
            Some(Method::Ack) => {
                self.invite && matches!(self.state, ServerState::Completed | ServerState::Confirmed)
            }
            m => m == Some(self.method),
        }
    }

    /// A response to this transaction's request; only for transactions
    /// created with [`Answer::Later`], before the final response.
    pub fn response(&self, status: StatusCode) -> Message {
        self.request
            .as_ref()
            .expect("kept for a TU that answers later, until the final response")
            .response(status)
    }

    /// A retransmitted request arrived: resend the last response, if any
    /// (Accepted absorbs INVITE retransmissions; the TU resends 2xx itself).
    pub fn on_retransmission(&mut self, ctx: &mut Ctx) {
        if matches!(self.state, ServerState::Proceeding | ServerState::Completed)
            && let Some(last) = &self.last
        {
            ctx.send(self.peer, last.resent());
        }
    }

    /// Sends a response from the TU and moves to the matching state.
    pub fn respond(&mut self, ctx: &mut Ctx, id: ServerTxnId, resp: Message) {
        let status = resp.status().expect("responses only");
        match self.state {
            ServerState::Proceeding | ServerState::Trying => {}
            _ => return, // a final was already sent; RFC 3261 forbids another
        }
        ctx.send(self.peer, resp.clone());
        if status.is_provisional() {
            self.state = ServerState::Proceeding;
            self.last = Some(Box::new(resp));
            return;
        }
        // Only retransmission matching needs the request from here on.
        self.request = None;
        let t1x64 = ctx.timers.t1x64();
        let timer = |t| TimerId::Server(id, t);
        if self.invite {
            if status.is_success() {
                self.state = ServerState::Accepted;
                self.last = None;
                ctx.set_timer(timer(ServerTimer::L), t1x64);
            } else {
                self.state = ServerState::Completed;
                self.last = Some(Box::new(resp));
                self.interval = ctx.timers.t1;
                ctx.set_timer(timer(ServerTimer::G), self.interval);
                ctx.set_timer(timer(ServerTimer::H), t1x64);
            }
        } else {
            self.state = ServerState::Completed;
            self.last = Some(Box::new(resp));
            ctx.set_timer(timer(ServerTimer::J), t1x64);
        }
    }

    /// The ACK for a 3xx–6xx arrived (same branch as the INVITE).
    pub fn on_ack(&mut self, ctx: &mut Ctx, id: ServerTxnId) {
        if self.invite && self.state == ServerState::Completed {
            ctx.cancel_timer(TimerId::Server(id, ServerTimer::G));
            ctx.cancel_timer(TimerId::Server(id, ServerTimer::H));
            self.state = ServerState::Confirmed;
            ctx.set_timer(TimerId::Server(id, ServerTimer::I), ctx.timers.t4);
        }
    }

    /// Handles one of this transaction's timers. Timer H (no ACK for a
    /// 3xx–6xx) needs nothing from the TU: the transaction just ends.
    pub fn on_timer(&mut self, ctx: &mut Ctx, id: ServerTxnId, t: ServerTimer) {
        match (t, self.state) {
            (ServerTimer::G, ServerState::Completed) => {
                if let Some(last) = &self.last {
                    ctx.send(self.peer, last.resent());
                }
                self.interval = (self.interval * 2).min(ctx.timers.t2);
                ctx.set_timer(TimerId::Server(id, ServerTimer::G), self.interval);
            }
            (ServerTimer::H, ServerState::Completed)
            | (ServerTimer::I, ServerState::Confirmed)
            | (ServerTimer::J, ServerState::Completed)
            | (ServerTimer::L, ServerState::Accepted) => self.state = ServerState::Terminated,
            _ => {}
        }
    }
}
