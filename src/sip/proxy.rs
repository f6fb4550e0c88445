//! A SIP proxy: stateless, transaction-stateful, or dialog-stateful.
//!
//! - Requests: an initial request goes to the next hop toward its
//!   Request-URI. An in-dialog request follows its Route set (loose
//!   routing); the proxy removes its own Route entry. A record-routing proxy
//!   adds itself to Record-Route on initial INVITEs, so it stays on the path
//!   of every in-dialog request. One that does not is bypassed by ACK,
//!   re-INVITE, UPDATE and BYE.
//! - A stateful proxy pairs a server transaction (absorbs retransmissions,
//!   answers 100 Trying to INVITE) with a client transaction (retransmits
//!   downstream, Timer C). On a downstream INVITE timeout it answers 408
//!   upstream. On a non-INVITE timeout it stays silent (RFC 4320).
//! - A dialog-stateful proxy keeps a dialog record from the 2xx it forwards
//!   until a BYE passes or its fallback lifetime ends. The record's handle
//!   rides in its Record-Route cookie.

use crate::engine::SimDuration;
use crate::net::NodeId;
use crate::session_timer::negotiation::{proxy_request, proxy_response};
use crate::session_timer::policy::proxy_expiry_delay;
use crate::session_timer::{ProxyDecision, ProxyTimerConfig};

use super::action::{Ctx, FreeCause, Record, StEvent, StateId, TimerKind, TimerSpace};
use super::core::NONE;
use super::message::{
    Branch, CallId, CallRef, HopList, Message, Method, RouteEntry, StartLine, Tag, Via,
};
use super::slab::Slab;
use super::status::StatusCode;
use super::txn::{ClientEvent, ClientState};
use super::txn_table::Transactions;

/// How much state a proxy keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statefulness {
    /// Forwards each message on its own; keeps nothing.
    Stateless,
    /// Keeps transactions only.
    Transaction,
    /// Keeps transactions and a record per dialog.
    Dialog,
}

impl Statefulness {
    /// The model-file spelling.
    pub fn name(self) -> &'static str {
        match self {
            Statefulness::Stateless => "none",
            Statefulness::Transaction => "transaction",
            Statefulness::Dialog => "dialog",
        }
    }
}

/// A proxy's configuration (session-timer fields are used by the timer layer).
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyConfig {
    /// State kept.
    pub stateful: Statefulness,
    /// Adds itself to Record-Route on initial INVITEs.
    pub record_route: bool,
    /// Session-timer aware (RFC 4028 §8).
    pub timers: bool,
    /// Its Session-Expires ceiling, seconds.
    pub session_expires: Option<u32>,
    /// Its minimum session interval, seconds (≥ 90).
    pub min_se: u32,
    /// How long a dialog record lives when nothing else frees it; `None` = forever.
    pub dialog_fallback_lifetime: Option<SimDuration>,
    /// At its session expiry, also send BYE toward both ends (Kamailio-style).
    pub bye_on_expiry: bool,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            stateful: Statefulness::Transaction,
            record_route: false,
            timers: false,
            session_expires: None,
            min_se: 90,
            dialog_fallback_lifetime: None,
            bye_on_expiry: false,
        }
    }
}

/// A dialog record of a dialog-stateful proxy.
#[derive(Debug, Clone)]
struct DialogRecord {
    call: CallRef,
    call_id: CallId,
    /// Set once the 2xx passed; before that the record is only reserved.
    confirmed: bool,
    /// The caller's tag and Contact, and the highest CSeq seen from it.
    caller: (Tag, NodeId, u32),
    /// The callee's tag and Contact, and the highest CSeq seen from it.
    callee: (Option<Tag>, NodeId, u32),
    /// Record-Route entries toward the caller and toward the callee, nearest
    /// first; kept only when this proxy may send BYE at expiry.
    routes: Option<Box<(HopList<RouteEntry>, HopList<RouteEntry>)>>,
}

/// A proxy.
#[derive(Debug, Clone)]
pub struct Proxy {
    me: NodeId,
    cfg: ProxyConfig,
    txns: Transactions,
    dialogs: Slab<DialogRecord>,
}

impl Proxy {
    /// An idle proxy at `me`.
    pub fn new(me: NodeId, cfg: ProxyConfig) -> Self {
        Proxy {
            me,
            cfg,
            txns: Transactions::default(),
            dialogs: Slab::default(),
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &ProxyConfig {
        &self.cfg
    }

    /// Live dialog records (confirmed ones).
    pub fn dialog_records(&self) -> usize {
        self.dialogs.iter().filter(|(_, d)| d.confirmed).count()
    }

    /// Live client and server transactions.
    pub fn transactions(&self) -> (usize, usize) {
        self.txns.sizes()
    }

    /// Handles a message from the previous hop `from`.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Message) {
        if msg.is_request() {
            self.on_request(ctx, from, msg);
        } else {
            self.on_response(ctx, msg);
        }
    }

    /// Removes our Route entry and returns (next hop, our cookie if we were routed).
    fn route(&self, ctx: &Ctx, req: &mut Message) -> Option<(NodeId, Option<u32>)> {
        let mut cookie = None;
        if req.route().first().is_some_and(|r| r.node == self.me) {
            cookie = req.route_mut().remove_first().map(|r| r.cookie);
        }
        let StartLine::Request { target, .. } = req.start else {
            return None;
        };
        // Route set first; once it is used up, an in-dialog request goes
        // straight to its target (IP-level relays only), while an initial
        // request visits every SIP element on the least-delay path.
        let next = match req.route().first() {
            Some(r) => r.node,
            None if req.to_tag.is_some() => target,
            None => ctx.next_hop(target)?,
        };
        Some((next, cookie))
    }

    /// Stateless forwarding's branch: a function of the incoming one, so
    /// retransmissions get the same branch (RFC 3261 §16.11).
    fn stateless_branch(from: NodeId, req: &Message) -> Branch {
        let b = req.via.top().map_or(0, |v| v.branch.0);
        Branch(b.rotate_left(7) ^ (from.0 as u32).wrapping_mul(0x9E37_79B9) ^ 0x5bd1_e995)
    }

    fn on_request(&mut self, ctx: &mut Ctx, from: NodeId, mut req: Message) {
        let method = req.method().expect("request");
        let stateful = self.cfg.stateful != Statefulness::Stateless;
        if stateful && self.txns.absorb(ctx, from, &req) {
            return;
        }
        let Some((next, cookie)) = self.route(ctx, &mut req) else {
            if stateful && method != Method::Ack {
                let h = self.txns.new_server(ctx, &req, from, NONE, false);
                self.txns
                    .respond(ctx, h, req.response(StatusCode::NOT_FOUND));
            }
            return;
        };
        // The dialog record this in-dialog request belongs to, if any.
        let routed = cookie.filter(|&c| {
            self.dialogs
                .get(c)
                .is_some_and(|d| d.call_id == req.call_id)
        });
        if let Some(c) = routed {
            let rec = self.dialogs.get_mut(c).expect("checked");
            let side = if req.from_tag == rec.caller.0 {
                &mut rec.caller.2
            } else {
                &mut rec.callee.2
            };
            *side = (*side).max(req.cseq);
            // A BYE passing a dialog-stateful proxy ends its record.
            if method == Method::Bye {
                self.free_record(ctx, c, FreeCause::Bye);
            }
        }
        let initial_invite = method == Method::Invite && req.to_tag.is_none();
        if !stateful || method == Method::Ack {
            if initial_invite && self.cfg.record_route {
                req.record_route_mut().push(RouteEntry {
                    node: self.me,
                    cookie: 0,
                });
            }
            let branch = Self::stateless_branch(from, &req);
            req.via.push(Via {
                node: self.me,
                branch,
            });
            ctx.send(next, req);
            return;
        }
        let server = self.txns.new_server(ctx, &req, from, NONE, false);
        // RFC 4028 §8.1: a timer-aware proxy processes every refresh request.
        let mut memo = None;
        if self.cfg.timers && matches!(method, Method::Invite | Method::Update) {
            let cfg = ProxyTimerConfig {
                ceiling: self.cfg.session_expires,
                min_se: self.cfg.min_se,
            };
            match proxy_request(&cfg, &mut req.timer) {
                ProxyDecision::Forward(m) => memo = Some(m),
                ProxyDecision::Reject422 { min_se } => {
                    let mut r = req.response(StatusCode::SESSION_INTERVAL_TOO_SMALL);
                    r.timer.min_se = Some(min_se);
                    self.txns.respond(ctx, server, r);
                    ctx.record(Record::SessionTimer {
                        call: req.call,
                        event: StEvent::Rejected422 { min_se },
                    });
                    return;
                }
            }
        }
        let mut record = routed.unwrap_or(NONE);
        if initial_invite && self.cfg.stateful == Statefulness::Dialog {
            let caller = req.contact.unwrap_or(from);
            record = self.dialogs.insert(DialogRecord {
                call: req.call,
                call_id: req.call_id,
                confirmed: false,
                caller: (req.from_tag, caller, req.cseq),
                callee: (None, caller, 0),
                routes: None,
            });
        }
        if initial_invite && self.cfg.record_route {
            req.record_route_mut().push(RouteEntry {
                node: self.me,
                cookie: if record == NONE { 0 } else { record },
            });
        }
        let client = self.txns.start_client(ctx, req, next, server, true);
        let txn = self.txns.clients.get_mut(client).expect("just started");
        txn.aux = record;
        txn.memo = memo;
        self.txns
            .servers
            .get_mut(server)
            .expect("just created")
            .owner = client;
    }

    fn free_record(&mut self, ctx: &mut Ctx, r: u32, cause: FreeCause) {
        if let Some(rec) = self.dialogs.remove(r) {
            ctx.clear_timers(TimerSpace::ProxyDialog, r);
            if rec.confirmed {
                ctx.record(Record::StateFreed {
                    call: rec.call,
                    state: StateId(r),
                    cause,
                });
            }
        }
    }

    fn on_response(&mut self, ctx: &mut Ctx, mut resp: Message) {
        match resp.via.top() {
            Some(v) if v.node == self.me => {}
            _ => return,
        }
        let ours = resp.via.pop().expect("checked above");
        let h = ours.branch.0;
        let stateful = self.cfg.stateful != Statefulness::Stateless;
        let claimed = if stateful {
            self.txns.on_response(ctx, ours.branch, &resp)
        } else {
            None
        };
        let Some(event) = claimed else {
            // Stateless forwarding, and stray 2xx retransmissions (§16.7 step 5).
            let forward = !stateful || resp.status().is_some_and(|s| s.is_success());
            if forward && let Some(up) = resp.via.top() {
                let up = up.node;
                ctx.send(up, resp);
            }
            return;
        };
        self.after_client_event(ctx, h, event);
    }

    fn after_client_event(&mut self, ctx: &mut Ctx, h: u32, event: ClientEvent) {
        let txn = self.txns.clients.get(h).expect("caller checked");
        let (server, record, state, memo) = (txn.owner, txn.aux, txn.state, txn.memo);
        let (method, call) = (txn.request.cseq_method, txn.request.call);
        match event {
            ClientEvent::Nothing => {}
            ClientEvent::Provisional(resp) => {
                // 100 Trying is hop-by-hop; other provisionals go upstream.
                if resp.status() != Some(StatusCode::TRYING) {
                    self.txns.respond(ctx, server, resp);
                }
            }
            ClientEvent::Final(mut resp) => {
                let status = resp.status().expect("response");
                ctx.record(Record::TxnCompleted {
                    call,
                    method,
                    status,
                });
                let initial =
                    method == Method::Invite && record != NONE && !self.is_confirmed(record);
                if initial {
                    if status.is_success() {
                        self.confirm_record(ctx, record, &resp);
                    } else {
                        self.free_record(ctx, record, FreeCause::Bye);
                    }
                }
                // RFC 4028 §8.2: the 2xx may gain SE; its SI sets our expiry (ST-PROXY-13).
                if status.is_success()
                    && let Some(memo) = memo
                    && let Some(si) = proxy_response(&memo, &mut resp.timer)
                    && record != NONE
                    && self.is_confirmed(record)
                {
                    ctx.set_timer(TimerKind::ProxyExpiry, record, proxy_expiry_delay(si));
                    ctx.record(Record::SessionTimer {
                        call,
                        event: StEvent::ProxyExpirySet { interval_s: si },
                    });
                }
                self.txns.respond(ctx, server, resp);
            }
            ClientEvent::Timeout => {
                ctx.record(Record::TxnTimedOut { call, method });
                if record != NONE {
                    self.free_record(ctx, record, FreeCause::TransactionTimeout);
                }
                if method == Method::Invite {
                    let mut upstream = (*self.txns.clients.get(h).expect("live").request).clone();
                    upstream.via.pop();
                    self.txns
                        .respond(ctx, server, upstream.response(StatusCode::REQUEST_TIMEOUT));
                } else {
                    // RFC 4320: no 408 to a non-INVITE; the upstream client times out itself.
                    self.txns.free_server(ctx, server);
                }
            }
        }
        if state == ClientState::Terminated {
            self.txns.free_client(ctx, h);
        }
    }

    fn is_confirmed(&self, r: u32) -> bool {
        self.dialogs.get(r).is_some_and(|d| d.confirmed)
    }

    /// The 2xx to the initial INVITE passed: the record now holds state.
    fn confirm_record(&mut self, ctx: &mut Ctx, r: u32, resp: &Message) {
        let me = self.me;
        let Some(rec) = self.dialogs.get_mut(r) else {
            return;
        };
        rec.confirmed = true;
        rec.callee = (resp.to_tag, resp.contact.unwrap_or(rec.callee.1), 0);
        let rr = resp.record_route().as_slice();
        if self.cfg.bye_on_expiry
            && let Some(k) = rr.iter().position(|e| e.node == me)
        {
            let up = rr[..k].iter().rev().copied().collect();
            let down = rr[k + 1..].iter().copied().collect();
            rec.routes = Some(Box::new((up, down)));
        }
        let call = rec.call;
        ctx.record(Record::StateCreated {
            call,
            state: StateId(r),
        });
        if let Some(life) = self.cfg.dialog_fallback_lifetime {
            ctx.set_timer(TimerKind::Fallback, r, life);
        }
    }

    /// ST-PROXY-14: at expiry the record goes; with `bye_on_expiry` the proxy
    /// also sends BYE toward both ends (as Kamailio's dialog module can).
    fn on_expiry(&mut self, ctx: &mut Ctx, r: u32) {
        let Some(rec) = self.dialogs.get(r) else {
            return;
        };
        let call = rec.call;
        ctx.record(Record::SessionTimer {
            call,
            event: StEvent::Expired,
        });
        if self.cfg.bye_on_expiry {
            let rec = rec.clone();
            let (route_up, route_down) = rec.routes.as_deref().copied().unwrap_or_default();
            let legs = [
                // Toward the callee, as if from the caller.
                (
                    rec.callee.1,
                    rec.caller.0,
                    rec.callee.0,
                    rec.caller.2 + 1,
                    route_down,
                ),
                // Toward the caller, as if from the callee.
                (
                    rec.caller.1,
                    rec.callee.0.unwrap_or(Tag(0)),
                    Some(rec.caller.0),
                    rec.callee.2 + 1,
                    route_up,
                ),
            ];
            for (target, from_tag, to_tag, cseq, route) in legs {
                let mut bye = Message::new(
                    StartLine::Request {
                        method: Method::Bye,
                        target,
                    },
                    cseq,
                    Method::Bye,
                    rec.call_id,
                    from_tag,
                    to_tag,
                    Some(self.me),
                    call,
                );
                *bye.route_mut() = route;
                let next = route.first().map_or(target, |e| e.node);
                self.txns.start_client(ctx, bye, next, NONE, false);
            }
            ctx.record(Record::SessionTimer {
                call,
                event: StEvent::ByeSent(FreeCause::Expiry),
            });
        }
        self.free_record(ctx, r, FreeCause::Expiry);
    }

    /// Handles a timer.
    pub fn on_timer(&mut self, ctx: &mut Ctx, kind: TimerKind, h: u32) {
        match kind.place().0 {
            TimerSpace::ClientTxn | TimerSpace::ServerTxn => {
                if let Some(event) = self.txns.on_timer(ctx, kind, h) {
                    self.after_client_event(ctx, h, event);
                }
            }
            TimerSpace::ProxyDialog => match kind {
                TimerKind::Fallback => {
                    if let Some(rec) = self.dialogs.get(h) {
                        let call = rec.call;
                        ctx.record(Record::TimerFired { call, kind });
                        self.free_record(ctx, h, FreeCause::FallbackLifetime);
                    }
                }
                TimerKind::ProxyExpiry => self.on_expiry(ctx, h),
                _ => {}
            },
            TimerSpace::Dialog => {}
        }
    }
}
