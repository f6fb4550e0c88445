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
//!   downstream, TXN-C). On a downstream INVITE timeout it answers 408
//!   upstream. On a non-INVITE timeout it stays silent (TXN-4320).
//! - UPDATE is forwarded like any non-INVITE request (UPD-1).
//! - A timer-aware proxy applies RFC 4028 §8 to every refresh request and
//!   its 2xx (ST-PROXY-1 to ST-PROXY-13).
//! - A dialog-stateful proxy keeps a dialog record (see `record`).

mod config;
pub mod profiles;
mod record;

pub use config::{
    AtExpiry, DialogPolicy, ExpiryFree, Lifetime, OnRefresh, ProxyConfig, ProxyState, Statefulness,
    TimeoutRestart,
};
pub use record::RecordId;

use crate::net::NodeId;
use crate::session_timer::proxy::{proxy_observe, proxy_request, proxy_response, script_check_min};
use crate::session_timer::{ProxyDecision, ProxyMemo, RefreshRequests};

use super::action::{Ctx, FreeCause, Record, StEvent};
use super::message::{Branch, Message, Method, RouteEntry, StartLine, Via};
use super::slab::Slab;
use super::status::StatusCode;
use super::timer::TimerId;
use super::transaction::{ClientEvent, ClientKind, ClientTxnId, ServerTxnId, Transactions};

use record::{DialogRecord, Phase};

/// What a proxy keeps with a client transaction.
#[derive(Debug, Clone, Copy)]
enum ProxyTu {
    /// A request it forwards.
    Forwarded {
        /// The server transaction the request came in on; `None` once this
        /// proxy answered it itself (an INVITE forwarded after its own 422).
        server: Option<ServerTxnId>,
        /// The dialog record the request belongs to, if any.
        record: Option<RecordId>,
        /// A timer-aware proxy's memory of what it forwarded (ST-PROXY-8).
        memo: Option<ProxyMemo>,
    },
    /// A BYE it sends itself at a record's timeout.
    Own {
        /// That record.
        record: RecordId,
    },
}

/// What `after_client_event` knows of the transaction's request.
struct Forwarded {
    server: Option<ServerTxnId>,
    record: Option<RecordId>,
    memo: Option<ProxyMemo>,
}

/// A proxy.
#[derive(Debug, Clone)]
pub struct Proxy {
    me: NodeId,
    cfg: ProxyConfig,
    txns: Transactions<ProxyTu>,
    dialogs: Slab<RecordId, DialogRecord>,
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

    /// Its configuration (fixed for the run).
    pub fn config(&self) -> &ProxyConfig {
        &self.cfg
    }

    /// Dialog records holding state (confirmed or terminated, still listed).
    pub fn dialog_records(&self) -> usize {
        self.dialogs
            .iter()
            .filter(|(_, d)| d.phase != Phase::Reserved)
            .count()
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

    /// Removes our Route entry; returns the next hop and the record our
    /// entry named, if it is live and belongs to this call.
    fn route(&self, ctx: &Ctx, req: &mut Message) -> Option<(NodeId, Option<RecordId>)> {
        let mut cookie = None;
        if req.route().first().is_some_and(|r| r.node == self.me) {
            cookie = req.route_mut().remove_first().and_then(|r| r.cookie);
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
        let record = cookie.map(RecordId::of_cookie).filter(|&r| {
            self.dialogs
                .get(r)
                .is_some_and(|d| d.call_id == req.call_id)
        });
        Some((next, record))
    }

    /// Stateless forwarding's branch: a function of the incoming one, so
    /// retransmissions get the same branch (RFC 3261 §16.11).
    fn stateless_branch(from: NodeId, req: &Message) -> Branch {
        let b = req.via.top().map_or(0, |v| v.branch.0);
        Branch(b.rotate_left(7) ^ (from.0 as u32).wrapping_mul(0x9E37_79B9) ^ 0x5bd1_e995)
    }

    fn on_request(&mut self, ctx: &mut Ctx, from: NodeId, mut req: Message) {
        let method = req.method().expect("request");
        let stateful = self.cfg.is_stateful();
        if stateful && self.txns.absorb(ctx, from, &req) {
            return;
        }
        let arrived_se = req.timer.session_expires.map(|s| s.delta_s);
        let Some((next, routed)) = self.route(ctx, &mut req) else {
            if stateful && method != Method::Ack {
                let resp = req.response(StatusCode::NOT_FOUND);
                self.txns.answer(ctx, &req, from, resp);
            }
            return;
        };
        if let Some(r) = routed {
            // A BYE passing a dialog-stateful proxy ends its record.
            if method == Method::Bye {
                self.bye_passed(ctx, r);
            } else {
                self.relayed_request(ctx, r, &req);
            }
        }
        let initial_invite = method == Method::Invite && req.to_tag.is_none();
        if !stateful || method == Method::Ack {
            if initial_invite && self.cfg.record_route {
                req.record_route_mut().push(RouteEntry {
                    node: self.me,
                    cookie: None,
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
        let server = self
            .txns
            .new_server(ctx, &req, from, super::transaction::Answer::Now);
        let mut upstream = Some(server);
        // RFC 4028 §8.1: a timer-aware proxy processes every refresh request
        // (ST-PROXY-2), unless it only reads in-dialog ones.
        let mut memo = None;
        if let Some(cfg) = self.cfg.timers()
            && matches!(method, Method::Invite | Method::Update)
        {
            let decision = match script_check_min(cfg, &req.timer) {
                Some(min_se) if initial_invite => ProxyDecision::Reject422 {
                    min_se: Some(min_se),
                    then_forward: false,
                },
                _ if !initial_invite && cfg.rules.refresh_requests == RefreshRequests::Pass => {
                    ProxyDecision::Forward(proxy_observe(&req.timer))
                }
                _ => proxy_request(cfg, &mut req.timer),
            };
            match decision {
                ProxyDecision::Forward(m) => memo = Some(m),
                ProxyDecision::Reject422 {
                    min_se,
                    then_forward,
                } => {
                    let mut r = req.response(StatusCode::SESSION_INTERVAL_TOO_SMALL);
                    r.timer.min_se = min_se;
                    self.txns.respond(ctx, server, r);
                    ctx.record(Record::SessionTimer {
                        call: req.call,
                        event: StEvent::Rejected422 { min_se },
                    });
                    if !then_forward {
                        return;
                    }
                    upstream = None;
                }
            }
        }
        let mut record = routed;
        if initial_invite && self.cfg.keeps_dialogs() {
            let mut rec = DialogRecord::reserve(&req, from, arrived_se);
            rec.orphan = upstream.is_none();
            record = Some(self.dialogs.insert(rec));
        }
        if initial_invite && self.cfg.record_route {
            req.record_route_mut().push(RouteEntry {
                node: self.me,
                cookie: record.map(RecordId::cookie),
            });
        }
        let tu = ProxyTu::Forwarded {
            server: upstream,
            record,
            memo,
        };
        self.txns
            .start_client(ctx, req, next, ClientKind::Proxy, tu);
    }

    fn on_response(&mut self, ctx: &mut Ctx, mut resp: Message) {
        match resp.via.top() {
            Some(v) if v.node == self.me => {}
            _ => return,
        }
        let ours = resp.via.pop().expect("checked above");
        let stateful = self.cfg.is_stateful();
        let claimed = if stateful {
            self.txns.on_response(ctx, ours.branch, &resp)
        } else {
            None
        };
        let Some((id, event)) = claimed else {
            // Stateless forwarding, and stray 2xx retransmissions (§16.7 step
            // 5), except those of a 2xx this proxy kept to itself.
            let forward = !stateful
                || (resp.status().is_some_and(|s| s.is_success()) && !self.is_orphan_2xx(&resp));
            if forward && let Some(up) = resp.via.top() {
                let up = up.node;
                ctx.send(up, resp);
            }
            return;
        };
        self.after_client_event(ctx, id, event);
    }

    fn after_client_event(&mut self, ctx: &mut Ctx, id: ClientTxnId, event: ClientEvent) {
        let txn = self.txns.clients.get(id).expect("the event came from it");
        let (tu, method, call) = (txn.tu, txn.request.cseq_method, txn.request.call);
        let (server, record, memo, own) = match tu {
            ProxyTu::Forwarded {
                server,
                record,
                memo,
            } => (server, record, memo, None),
            ProxyTu::Own { record } => (None, None, None, Some(record)),
        };
        match event {
            ClientEvent::Nothing => {}
            ClientEvent::Provisional(resp) => {
                // 100 Trying is hop-by-hop; other provisionals go upstream.
                if let Some(server) = server
                    && resp.status() != Some(StatusCode::TRYING)
                {
                    self.txns.respond(ctx, server, resp);
                }
            }
            ClientEvent::Final(resp) => {
                let status = resp.status().expect("response");
                ctx.record(Record::TxnCompleted {
                    call,
                    method,
                    status,
                });
                if let Some(r) = own {
                    self.own_bye_answered(ctx, r);
                }
                let leg = Forwarded {
                    server,
                    record,
                    memo,
                };
                self.forward_final(ctx, leg, method, resp);
            }
            ClientEvent::Timeout => {
                ctx.record(Record::TxnTimedOut { call, method });
                if let Some(r) = own {
                    self.own_bye_answered(ctx, r);
                }
                if let Some(r) = record {
                    self.free_record(ctx, r, FreeCause::TransactionTimeout);
                }
                if let Some(server) = server {
                    if method == Method::Invite {
                        let txn = self.txns.clients.get(id).expect("freed below");
                        let mut upstream = (*txn.request).clone();
                        upstream.via.pop();
                        self.txns.respond(
                            ctx,
                            server,
                            upstream.response(StatusCode::REQUEST_TIMEOUT),
                        );
                    } else {
                        // TXN-4320: no 408 to a non-INVITE; the upstream client times out itself.
                        self.txns.free_server(ctx, server);
                    }
                }
            }
        }
        if self.txns.finish_client(ctx, id).is_some()
            && let Some(r) = own
        {
            self.own_bye_ended(ctx, r);
        }
    }

    /// A final response from downstream: a 2xx may gain Session-Expires
    /// (ST-PROXY-10 to ST-PROXY-12); it confirms or frees the record of an
    /// initial INVITE, and a refresh 2xx may restart the record's timeout
    /// (ST-PROXY-13); then it goes upstream, unless nobody waits there.
    fn forward_final(&mut self, ctx: &mut Ctx, leg: Forwarded, method: Method, mut resp: Message) {
        let Forwarded {
            server,
            record,
            memo,
        } = leg;
        let success = resp.status().is_some_and(|s| s.is_success());
        let se_2xx = match (&memo, self.cfg.timers()) {
            (Some(m), Some(cfg)) if success => proxy_response(&cfg.rules, m, &mut resp.timer),
            _ => None,
        };
        if let Some(r) = record {
            match self.phase(r) {
                Some(Phase::Reserved) if method == Method::Invite => {
                    if success {
                        self.confirm_record(ctx, r, &resp, memo.as_ref(), se_2xx);
                    } else {
                        self.free_record(ctx, r, FreeCause::Bye);
                    }
                }
                Some(Phase::Confirmed) if success && memo.is_some() => {
                    self.refresh_2xx(ctx, r, memo.as_ref(), se_2xx);
                }
                _ => {}
            }
        }
        if let Some(server) = server {
            self.txns.respond(ctx, server, resp);
        }
    }

    /// True for a 2xx whose Record-Route names a record of ours that was
    /// confirmed behind a 422 it sent itself: nobody upstream waits for it.
    fn is_orphan_2xx(&self, resp: &Message) -> bool {
        resp.record_route()
            .as_slice()
            .iter()
            .find(|e| e.node == self.me)
            .and_then(|e| e.cookie)
            .and_then(|c| self.dialogs.get(RecordId::of_cookie(c)))
            .is_some_and(|d| d.orphan && d.call_id == resp.call_id)
    }

    /// A request it sent met a fatal transport error (ICMP unreachable):
    /// the client transaction ends as if with a 503 (RFC 3261 §16.9), which
    /// goes upstream like any final response.
    pub fn on_transport_error(&mut self, ctx: &mut Ctx, req: &Message) {
        if !self.cfg.is_stateful() {
            return;
        }
        if let Some((id, event)) = self.txns.on_transport_error(ctx, req) {
            let event = match event {
                ClientEvent::Final(mut r) => {
                    r.via.pop();
                    ClientEvent::Final(r)
                }
                other => other,
            };
            self.after_client_event(ctx, id, event);
        }
    }

    /// Handles a timer.
    pub fn on_timer(&mut self, ctx: &mut Ctx, id: TimerId) {
        match id {
            TimerId::Client(h, t) => {
                if let Some(event) = self.txns.on_client_timer(ctx, h, t) {
                    self.after_client_event(ctx, h, event);
                }
            }
            TimerId::Server(h, t) => self.txns.on_server_timer(ctx, h, t),
            TimerId::Record(r, t) => self.on_record_timer(ctx, r, t),
            TimerId::Dialog(..) => {}
        }
    }
}
