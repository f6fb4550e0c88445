//! The client transaction (RFC 3261 §17.1, Figures 5 and 6).

use crate::engine::{SimDuration, SimTime};
use crate::net::NodeId;

use super::super::action::Ctx;
use super::super::message::{Message, Method, StartLine};
use super::super::timer::{ClientTimer, TimerId};
use super::ClientTxnId;

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
    /// Done; the table frees it.
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

/// Who starts a client transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// A UA core.
    Uac,
    /// A proxy forwarding a request: an INVITE also arms Timer C
    /// (RFC 3261 §16.6 item 11, TXN-C).
    Proxy,
}

/// A client transaction: the request it retransmits, where it goes, and
/// what its TU keeps with it (`U`).
#[derive(Debug, Clone)]
pub struct ClientTxn<U> {
    /// Current state.
    pub(crate) state: ClientState,
    /// The request as sent (top Via carries this transaction's branch).
    pub(crate) request: Box<Message>,
    /// The next SIP hop the request goes to.
    pub(crate) to: NodeId,
    /// Current retransmission interval.
    interval: SimDuration,
    /// Timer B / F: the transaction times out here (start + 64·T1 by default).
    deadline: SimTime,
    /// The TU's own data for this transaction.
    pub(crate) tu: U,
}

impl<U> ClientTxn<U> {
    /// Sends `request` to `to` and arms the retransmission and timeout
    /// timers (and Timer C for a proxy's INVITE). `id` must be the handle
    /// the table will store the transaction under: it is the request's branch.
    pub fn start(
        ctx: &mut Ctx,
        id: ClientTxnId,
        mut request: Message,
        to: NodeId,
        kind: ClientKind,
        tu: U,
    ) -> Self {
        let invite = request.method() == Some(Method::Invite);
        debug_assert_eq!(
            request.via.top().map(|v| v.branch),
            Some(id.branch()),
            "top Via branch is the transaction handle"
        );
        // A new transaction's first copy, whatever the request it was built
        // from (a proxy may forward a retransmission that arrived first).
        request.retransmission = false;
        ctx.send(to, request.clone());
        let request = Box::new(request);
        let t1 = ctx.timers.t1;
        let deadline = ctx.now
            + if invite {
                ctx.timers.timer_b()
            } else {
                ctx.timers.timer_f()
            };
        if invite {
            ctx.set_timer(TimerId::Client(id, ClientTimer::A), t1);
            if kind == ClientKind::Proxy {
                ctx.set_timer(TimerId::Client(id, ClientTimer::C), ctx.timers.timer_c);
            }
        } else {
            ctx.set_timer(TimerId::Client(id, ClientTimer::E), t1);
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
            tu,
        }
    }

    /// Arms the retransmission timer for the next send, or the deadline if sooner.
    fn rearm(&self, ctx: &mut Ctx, id: TimerId) {
        let left = self.deadline - ctx.now;
        ctx.set_timer(id, self.interval.min(left));
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
    pub fn on_response(&mut self, ctx: &mut Ctx, id: ClientTxnId, resp: &Message) -> ClientEvent {
        let status = resp.status().expect("responses only");
        let invite = self.is_invite();
        let timer = |t| TimerId::Client(id, t);
        match self.state {
            ClientState::Calling | ClientState::Trying | ClientState::Proceeding => {
                if status.is_provisional() {
                    if invite {
                        // Any 1xx stops Timer A; Timer B only matters in Calling.
                        ctx.cancel_timer(timer(ClientTimer::A));
                    } else if self.state == ClientState::Trying {
                        // Keep retransmitting, every T2 from now on (TXN-E/F/K).
                        self.interval = ctx.timers.t2;
                    }
                    self.state = ClientState::Proceeding;
                    return ClientEvent::Provisional(resp.clone());
                }
                if invite {
                    ctx.cancel_timer(timer(ClientTimer::A));
                    ctx.cancel_timer(timer(ClientTimer::C));
                    if status.is_success() {
                        // The TU ACKs 2xx end-to-end (TXN-2XX-2).
                        self.state = ClientState::Terminated;
                    } else {
                        self.send_ack(ctx, resp);
                        self.state = ClientState::Completed;
                        ctx.set_timer(timer(ClientTimer::D), ctx.timers.timer_d());
                    }
                } else {
                    ctx.cancel_timer(timer(ClientTimer::E));
                    self.state = ClientState::Completed;
                    ctx.set_timer(timer(ClientTimer::K), ctx.timers.t4);
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

    /// A fatal transport error (ICMP unreachable) for this transaction's
    /// request: while it waits for a final response, it ends with a local
    /// 503 (RFC 3261 §8.1.3.1, §17.1.4; spec TXN-ERR), which is not ACKed.
    pub fn on_transport_error(&mut self, ctx: &mut Ctx, id: ClientTxnId) -> ClientEvent {
        match self.state {
            ClientState::Calling | ClientState::Trying | ClientState::Proceeding => {
                for t in [ClientTimer::A, ClientTimer::C, ClientTimer::E] {
                    ctx.cancel_timer(TimerId::Client(id, t));
                }
                self.state = ClientState::Terminated;
                ClientEvent::Final(
                    self.request
                        .response(super::super::status::StatusCode::SERVICE_UNAVAILABLE),
                )
            }
            ClientState::Completed | ClientState::Terminated => ClientEvent::Nothing,
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
    pub fn on_timer(&mut self, ctx: &mut Ctx, id: ClientTxnId, t: ClientTimer) -> ClientEvent {
        use ClientState::{Calling, Completed, Proceeding, Terminated, Trying};
        match (t, self.state) {
            // Timer B / F: the retransmission timer's last fire is at the deadline.
            (ClientTimer::A, Calling) | (ClientTimer::E, Trying | Proceeding)
                if ctx.now >= self.deadline =>
            {
                self.state = Terminated;
                ClientEvent::Timeout
            }
            (ClientTimer::A, Calling) => {
                ctx.send(self.to, self.request.resent());
                self.interval = self.interval * 2;
                self.rearm(ctx, TimerId::Client(id, t));
                ClientEvent::Nothing
            }
            (ClientTimer::E, Trying | Proceeding) => {
                ctx.send(self.to, self.request.resent());
                if self.state == Trying {
                    self.interval = (self.interval * 2).min(ctx.timers.t2);
                }
                self.rearm(ctx, TimerId::Client(id, t));
                ClientEvent::Nothing
            }
            (ClientTimer::C, Calling | Proceeding) => {
                self.state = Terminated;
                ClientEvent::Timeout
            }
            (ClientTimer::D | ClientTimer::K, Completed) => {
                self.state = Terminated;
                ClientEvent::Nothing
            }
            // A timer for a state already left: harmless.
            _ => ClientEvent::Nothing,
        }
    }
}
