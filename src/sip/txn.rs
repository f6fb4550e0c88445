//! RFC 3261 §17 transactions over UDP, as small state machines.
//!
//! A transaction lives in its node's slab; its handle is the Via branch
//! (client side) and the index of its timers. Methods take the [`Ctx`], send
//! and arm timers through it, and return what the transaction user (TU) must
//! hear. Freeing the slab entry and its timers is the owner's job: whenever
//! a method returns with the state `Terminated`, the owner removes the entry
//! and clears its timers.
//!
//! Schedules (T1 = 0.5 s, T2 = 4 s), TXN-A/B/E/F in the spec:
//! - INVITE client: sends at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s; Timer B at 32 s.
//! - Non-INVITE client: 0, 0.5, 1.5, 3.5, 7.5, 11.5, …, 31.5 s (11 sends); Timer F at 32 s.
//!
//! A client transaction keeps one timer, not two. Timer A (or E) is re-armed
//! at min(next retransmission, deadline), and firing at the deadline (64·T1
//! after the start) is Timer B (or F). The times are exactly those above,
//! and a completed transaction leaves one cancelled engine entry instead of two.

use crate::engine::{SimDuration, SimTime};
use crate::net::NodeId;

use super::action::{Ctx, TimerKind};
use super::message::{Branch, CallId, Message, Method, StartLine};
use super::status::StatusCode;

/// RFC 3261 timer base values (Appendix A) and Timer C.
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
}

impl Default for SipTimers {
    fn default() -> Self {
        SipTimers {
            t1: SimDuration::from_millis(500),
            t2: SimDuration::from_secs(4),
            t4: SimDuration::from_secs(5),
            timer_c: SimDuration::from_secs(180),
        }
    }
}

impl SipTimers {
    /// 64·T1: Timers B, F, H, J, L and the 2xx give-up.
    pub fn t1x64(&self) -> SimDuration {
        self.t1 * 64
    }
    /// Timer D: at least 32 s on UDP, and at least 64·T1.
    pub fn timer_d(&self) -> SimDuration {
        self.t1x64().max(SimDuration::from_secs(32))
    }
}

/// Client transaction states (RFC 3261 Figures 5 and 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// INVITE sent, no response yet.
    Calling,
    /// Non-INVITE sent, no response yet.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// A final response arrived (INVITE: 3xx–6xx; non-INVITE: any).
    Completed,
    /// Done; the owner frees it.
    Terminated,
}

/// What a client transaction tells its TU.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// Nothing for the TU (retransmission, absorbed duplicate).
    Nothing,
    /// A provisional response.
    Provisional(Message),
    /// The first final response.
    Final(Message),
    /// No final response in time (Timer B, C or F): the TU treats it as 408.
    Timeout,
}

/// A client transaction: the request it retransmits and where it goes.
#[derive(Debug, Clone)]
pub struct ClientTxn {
    /// Current state.
    pub state: ClientState,
    /// The request as sent (top Via carries this transaction's branch).
    pub request: Box<Message>,
    /// The next SIP hop the request goes to.
    pub to: NodeId,
    /// Current retransmission interval.
    interval: SimDuration,
    /// Timer B / F: the transaction times out here (start + 64·T1).
    deadline: SimTime,
    /// The TU's context (dialog handle, or paired server transaction).
    pub owner: u32,
    /// A second TU value (a proxy's dialog record), `u32::MAX` if unused.
    pub aux: u32,
    /// A timer-aware proxy's memory of what it forwarded (ST-PROXY-8).
    pub memo: Option<crate::session_timer::ProxyMemo>,
}

impl ClientTxn {
    /// Sends `request` to `to` and arms the retransmission and timeout
    /// timers; a proxy's INVITE also arms Timer C (RFC 3261 §16.6 item 11).
    /// `handle` must be the slab handle the caller will store the
    /// transaction under.
    pub fn start(
        ctx: &mut Ctx,
        handle: u32,
        request: Message,
        to: NodeId,
        owner: u32,
        timer_c: bool,
    ) -> Self {
        let invite = request.method() == Some(Method::Invite);
        debug_assert_eq!(
            request.via.top().map(|v| v.branch),
            Some(Branch(handle)),
            "top Via branch is the transaction handle"
        );
        ctx.send(to, request.clone());
        let request = Box::new(request);
        let t1 = ctx.timers.t1;
        let deadline = ctx.now + ctx.timers.t1x64();
        if invite {
            ctx.set_timer(TimerKind::A, handle, t1);
            if timer_c {
                ctx.set_timer(TimerKind::C, handle, ctx.timers.timer_c);
            }
        } else {
            ctx.set_timer(TimerKind::E, handle, t1);
        }
        ClientTxn {
            state: if invite {
                ClientState::Calling
            } else {
                ClientState::Trying
            },
            request,
            to,
            interval: t1,
            deadline,
            owner,
            aux: u32::MAX,
            memo: None,
        }
    }

    /// Arms the retransmission timer for the next send, or the deadline if sooner.
    fn rearm(&self, ctx: &mut Ctx, kind: TimerKind, handle: u32) {
        let left = self.deadline - ctx.now;
        ctx.set_timer(kind, handle, self.interval.min(left));
    }

    /// True for INVITE transactions.
    pub fn is_invite(&self) -> bool {
        self.request.method() == Some(Method::Invite)
    }

    /// True if `resp` belongs to this transaction (guards against stale branches).
    pub fn matches(&self, resp: &Message) -> bool {
        resp.call_id == self.request.call_id
            && resp.cseq == self.request.cseq
            && resp.cseq_method == self.request.cseq_method
    }

    /// Handles a response whose top Via branch is this transaction's.
    pub fn on_response(&mut self, ctx: &mut Ctx, handle: u32, resp: &Message) -> ClientEvent {
        let status = resp.status().expect("responses only");
        let invite = self.is_invite();
        match self.state {
            ClientState::Calling | ClientState::Trying | ClientState::Proceeding => {
                if status.is_provisional() {
                    if invite {
                        // Any 1xx stops Timer A; Timer B only matters in Calling.
                        ctx.cancel_timer(TimerKind::A, handle);
                    } else if self.state == ClientState::Trying {
                        // Keep retransmitting, every T2 from now on (TXN-E/F).
                        self.interval = ctx.timers.t2;
                    }
                    self.state = ClientState::Proceeding;
                    return ClientEvent::Provisional(resp.clone());
                }
                if invite {
                    ctx.cancel_timer(TimerKind::A, handle);
                    ctx.cancel_timer(TimerKind::C, handle);
                    if status.is_success() {
                        // The TU ACKs 2xx end-to-end (§13.2.2.4).
                        self.state = ClientState::Terminated;
                    } else {
                        self.send_ack(ctx, resp);
                        self.state = ClientState::Completed;
                        ctx.set_timer(TimerKind::D, handle, ctx.timers.timer_d());
                    }
                } else {
                    ctx.cancel_timer(TimerKind::E, handle);
                    self.state = ClientState::Completed;
                    ctx.set_timer(TimerKind::K, handle, ctx.timers.t4);
                }
                ClientEvent::Final(resp.clone())
            }
            ClientState::Completed => {
                // A retransmitted final: re-ACK a 3xx–6xx to INVITE, absorb the rest.
                if invite && !status.is_success() {
                    self.send_ack(ctx, resp);
                }
                ClientEvent::Nothing
            }
            ClientState::Terminated => ClientEvent::Nothing,
        }
    }

    /// The hop-by-hop ACK for a 3xx–6xx (TXN-D): same branch and Via, same next hop.
    fn send_ack(&self, ctx: &mut Ctx, resp: &Message) {
        let mut ack = (*self.request).clone();
        if let StartLine::Request { target, .. } = ack.start {
            ack.start = StartLine::Request {
                method: Method::Ack,
                target,
            };
        }
        ack.cseq_method = Method::Ack;
        ack.to_tag = resp.to_tag;
        ack.timer = Default::default();
        ctx.send(self.to, ack);
    }

    /// Handles one of this transaction's timers.
    pub fn on_timer(&mut self, ctx: &mut Ctx, handle: u32, kind: TimerKind) -> ClientEvent {
        match (kind, self.state) {
            // Timer B / F: the retransmission timer's last fire is at the deadline.
            (TimerKind::A, ClientState::Calling)
            | (TimerKind::E, ClientState::Trying | ClientState::Proceeding)
                if ctx.now >= self.deadline =>
            {
                self.state = ClientState::Terminated;
                ClientEvent::Timeout
            }
            (TimerKind::A, ClientState::Calling) => {
                ctx.send(self.to, (*self.request).clone());
                self.interval = self.interval * 2;
                self.rearm(ctx, kind, handle);
                ClientEvent::Nothing
            }
            (TimerKind::E, ClientState::Trying | ClientState::Proceeding) => {
                ctx.send(self.to, (*self.request).clone());
                if self.state == ClientState::Trying {
                    self.interval = (self.interval * 2).min(ctx.timers.t2);
                }
                self.rearm(ctx, kind, handle);
                ClientEvent::Nothing
            }
            (TimerKind::C, ClientState::Calling | ClientState::Proceeding) => {
                self.state = ClientState::Terminated;
                ClientEvent::Timeout
            }
            (TimerKind::D | TimerKind::K, ClientState::Completed) => {
                self.state = ClientState::Terminated;
                ClientEvent::Nothing
            }
            // A timer for a state already left: harmless.
            _ => ClientEvent::Nothing,
        }
    }
}

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
    /// Done; the owner frees it.
    Terminated,
}

/// What a server transaction tells its TU on a timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerEvent {
    /// Nothing for the TU.
    Nothing,
    /// Timer H: the ACK for a 3xx–6xx never came.
    AckTimeout,
}

/// Identity of a server transaction: the sender and its branch.
pub type ServerKey = (NodeId, Branch);

/// A server transaction: where responses go and what to resend.
#[derive(Debug, Clone)]
pub struct ServerTxn {
    /// Current state.
    pub state: ServerState,
    /// True for INVITE.
    pub invite: bool,
    /// The previous hop: responses go back to it (the top Via's node).
    pub peer: NodeId,
    /// Lookup key in the node's [`ServerIndex`].
    pub key: ServerKey,
    /// Call-ID, CSeq and method of the request: enough to tell its
    /// retransmissions from new requests once the request itself is dropped.
    pub call_id: CallId,
    /// CSeq number of the request.
    pub cseq: u32,
    /// Method of the request.
    pub method: Method,
    /// The request, kept until the final response is sent (to build responses).
    request: Option<Box<Message>>,
    /// The last response sent, resent on request retransmissions.
    last: Option<Box<Message>>,
    interval: crate::engine::SimDuration,
    /// The TU's context.
    pub owner: u32,
}

impl ServerTxn {
    /// A server transaction for `req` received from `peer`. INVITE
    /// transactions answer 100 Trying at once (hop-by-hop, §17.2.1).
    /// `keep_request` keeps a copy for a TU that answers later
    /// ([`ServerTxn::response`]); others answer from the request in hand.
    pub fn new(ctx: &mut Ctx, req: &Message, peer: NodeId, owner: u32, keep_request: bool) -> Self {
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
            request: keep_request.then(|| Box::new(req.clone())),
            last: None,
            interval: ctx.timers.t1,
            owner,
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
    /// created with `keep_request`, before the final response.
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
            ctx.send(self.peer, (**last).clone());
        }
    }

    /// Sends a response from the TU and moves to the matching state.
    pub fn respond(&mut self, ctx: &mut Ctx, handle: u32, resp: Message) {
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
        if self.invite {
            if status.is_success() {
                self.state = ServerState::Accepted;
                self.last = None;
                ctx.set_timer(TimerKind::L, handle, t1x64);
            } else {
                self.state = ServerState::Completed;
                self.last = Some(Box::new(resp));
                self.interval = ctx.timers.t1;
                ctx.set_timer(TimerKind::G, handle, self.interval);
                ctx.set_timer(TimerKind::H, handle, t1x64);
            }
        } else {
            self.state = ServerState::Completed;
            self.last = Some(Box::new(resp));
            ctx.set_timer(TimerKind::J, handle, t1x64);
        }
    }

    /// The ACK for a 3xx–6xx arrived (same branch as the INVITE).
    pub fn on_ack(&mut self, ctx: &mut Ctx, handle: u32) {
        if self.invite && self.state == ServerState::Completed {
            ctx.cancel_timer(TimerKind::G, handle);
            ctx.cancel_timer(TimerKind::H, handle);
            self.state = ServerState::Confirmed;
            ctx.set_timer(TimerKind::I, handle, ctx.timers.t4);
        }
    }

    /// Handles one of this transaction's timers.
    pub fn on_timer(&mut self, ctx: &mut Ctx, handle: u32, kind: TimerKind) -> ServerEvent {
        match (kind, self.state) {
            (TimerKind::G, ServerState::Completed) => {
                if let Some(last) = &self.last {
                    ctx.send(self.peer, (**last).clone());
                }
                self.interval = (self.interval * 2).min(ctx.timers.t2);
                ctx.set_timer(TimerKind::G, handle, self.interval);
                ServerEvent::Nothing
            }
            (TimerKind::H, ServerState::Completed) => {
                self.state = ServerState::Terminated;
                ServerEvent::AckTimeout
            }
            (TimerKind::I, ServerState::Confirmed)
            | (TimerKind::J, ServerState::Completed)
            | (TimerKind::L, ServerState::Accepted) => {
                self.state = ServerState::Terminated;
                ServerEvent::Nothing
            }
            _ => ServerEvent::Nothing,
        }
    }
}

/// Server transactions of a node, by `(previous hop, branch)`. Only ever
/// looked up, never iterated, so a fast fixed hasher is safe for determinism.
#[derive(Debug, Default, Clone)]
pub struct ServerIndex {
    map: rustc_hash::FxHashMap<ServerKey, u32>,
}

impl ServerIndex {
    /// The handle of the transaction a request from `peer` belongs to.
    pub fn find(&self, peer: NodeId, req: &Message) -> Option<u32> {
        let branch = req.via.top()?.branch;
        self.map.get(&(peer, branch)).copied()
    }
    /// Registers a new transaction.
    pub fn insert(&mut self, key: ServerKey, handle: u32) {
        self.map.insert(key, handle);
    }
    /// Forgets a terminated transaction.
    pub fn remove(&mut self, key: ServerKey) {
        self.map.remove(&key);
    }
    /// Number of registered transactions.
    pub fn len(&self) -> usize {
        self.map.len()
    }
    /// True if none is registered.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
