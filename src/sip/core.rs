//! The UA core shared by endpoints and B2BUA legs: dialogs, client and
//! server transactions, 2xx retransmission, ACK, BYE, re-INVITE and glare.
//!
//! The core does what RFC 3261 makes a UA do by itself. It reports to its
//! owner (the policy: [`super::ua::Ua`] or [`super::b2bua::B2bua`]) through
//! [`CoreEvent`]s left in `events`. The policy decides when to answer, reject
//! or hang up.
//!
//! Identifiers on the wire encode table slots, so lookups are O(1):
//! - a tag is `node << 32 | dialog handle`;
//! - a Via branch is the client transaction's handle;
//! - a Call-ID is `node << 32 | counter`.

use crate::engine::SimDuration;
use crate::net::NodeId;

use super::action::{Ctx, FreeCause, Record, TimerKind, TimerSpace};
use super::message::{
    Branch, CallId, CallRef, HopList, Message, Method, RouteEntry, StartLine, Tag, TimerHeaders,
    Via,
};
use super::slab::Slab;
use super::status::StatusCode;
use super::txn::{ClientEvent, ClientState};
use super::txn_table::Transactions;

/// "No handle" in handle-typed fields.
pub const NONE: u32 = u32::MAX;

/// Where a dialog stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// We sent the initial INVITE; no final response yet.
    Calling,
    /// We received an initial INVITE and have not answered.
    Early,
    /// Established (2xx sent or received).
    Confirmed,
}

/// One dialog (or dialog attempt) of a UA or B2BUA leg.
#[derive(Debug, Clone)]
pub struct Dialog {
    /// The workload call.
    pub call: CallRef,
    /// Call-ID.
    pub call_id: CallId,
    /// Our tag.
    pub local_tag: Tag,
    /// The peer's tag, once known.
    pub remote_tag: Option<Tag>,
    /// CSeq of our last request.
    pub local_cseq: u32,
    /// CSeq of the peer's last request.
    pub remote_cseq: u32,
    /// Proxies to visit, nearest first.
    pub route_set: HopList<RouteEntry>,
    /// Where in-dialog requests go after the route set (the peer's Contact).
    pub remote_target: NodeId,
    /// The Request-URI of the initial INVITE (a B2BUA forwards the call there).
    pub target: NodeId,
    /// We generated the Call-ID (RFC 3261 §14.1 back-off class).
    pub owns_call_id: bool,
    /// State.
    pub state: DialogState,
    /// Our INVITE client transaction in progress (initial or re-INVITE), or `NONE`.
    pub invite_client: u32,
    /// The initial INVITE's server transaction while unanswered, or `NONE`.
    pub invite_server: u32,
    /// The 2xx we retransmit until the ACK arrives.
    pub pending_2xx: Option<Message>,
    /// Where the pending 2xx goes (the previous hop of the INVITE).
    pub reply_to: NodeId,
    /// Current 2xx retransmission interval.
    pub retransmit: SimDuration,
    /// Our last ACK for a 2xx, resent when the 2xx is retransmitted.
    pub last_ack: Option<Message>,
    /// Caller's holding time: hang up this long after the 2xx.
    pub holding: Option<SimDuration>,
    /// A B2BUA's other leg, or `NONE`.
    pub link: u32,
    /// `StateCreated` was recorded, so freeing must record `StateFreed`.
    pub counted: bool,
}

/// What the core tells its policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreEvent {
    /// An initial INVITE arrived; the dialog is `Early` until answered or rejected.
    Incoming(u32),
    /// Our initial INVITE was answered; the dialog is confirmed.
    Answered(u32),
    /// Our initial INVITE failed; the dialog is gone.
    Failed {
        /// The call.
        call: CallRef,
        /// The dialog's link (B2BUA), or `NONE`.
        link: u32,
        /// Final status (408 on timeout).
        status: StatusCode,
    },
    /// A confirmed dialog ended (BYE either way, failure); it is gone.
    Ended {
        /// The call.
        call: CallRef,
        /// The dialog's link (B2BUA), or `NONE`.
        link: u32,
        /// Why.
        cause: FreeCause,
    },
}

/// Dialogs and transactions of one UA or B2BUA.
#[derive(Debug, Clone)]
pub struct UaCore {
    me: NodeId,
    /// Dialogs by handle (the handle is in our tag).
    pub dialogs: Slab<Dialog>,
    txns: Transactions,
    next_call_id: u32,
    /// Events for the policy; drained after every input.
    pub events: Vec<CoreEvent>,
}

impl UaCore {
    /// An idle core for node `me`.
    pub fn new(me: NodeId) -> Self {
        UaCore {
            me,
            dialogs: Slab::default(),
            txns: Transactions::default(),
            next_call_id: 0,
            events: Vec::new(),
        }
    }

    fn tag_of(&self, handle: u32) -> Tag {
        Tag(((self.me.0 as u64) << 32) | handle as u64)
    }

    /// The dialog a tag of ours names, if it is ours and live.
    fn dialog_of_tag(&self, tag: Tag, call_id: CallId) -> Option<u32> {
        if (tag.0 >> 32) as u16 != self.me.0 {
            return None;
        }
        let h = tag.0 as u32;
        self.dialogs
            .get(h)
            .is_some_and(|d| d.call_id == call_id)
            .then_some(h)
    }

    /// Frees a dialog and its timers; records `StateFreed` if it was counted.
    fn free_dialog(&mut self, ctx: &mut Ctx, d: u32, cause: FreeCause) -> Option<Dialog> {
        let dialog = self.dialogs.remove(d)?;
        ctx.clear_timers(TimerSpace::Dialog, d);
        if dialog.counted {
            ctx.record(Record::StateFreed {
                call: dialog.call,
                state: d,
                cause,
            });
        }
        Some(dialog)
    }

    /// A request inside dialog `d` (CSeq incremented except for ACK) and its next hop.
    fn dialog_request(&mut self, d: u32, method: Method) -> Option<(Message, NodeId)> {
        let me = self.me;
        let dl = self.dialogs.get_mut(d)?;
        if method != Method::Ack {
            dl.local_cseq += 1;
        }
        let msg = Message {
            start: StartLine::Request {
                method,
                target: dl.remote_target,
            },
            cseq: dl.local_cseq,
            cseq_method: method,
            call_id: dl.call_id,
            from_tag: dl.local_tag,
            to_tag: dl.remote_tag,
            via: HopList::default(),
            route: dl.route_set,
            record_route: HopList::default(),
            contact: Some(me),
            timer: TimerHeaders::default(),
            call: dl.call,
        };
        let next = dl.route_set.first().map_or(dl.remote_target, |r| r.node);
        Some((msg, next))
    }

    /// Sends an initial INVITE for `call` toward `target`. Returns the new
    /// dialog, or `None` when no route leads there.
    pub fn invite(
        &mut self,
        ctx: &mut Ctx,
        call: CallRef,
        target: NodeId,
        holding: Option<SimDuration>,
        link: u32,
    ) -> Option<u32> {
        let next = ctx.next_hop(target)?;
        let call_id = CallId(((self.me.0 as u64) << 32) | self.next_call_id as u64);
        self.next_call_id = self.next_call_id.wrapping_add(1);
        let d = self.dialogs.next_handle();
        let dialog = Dialog {
            call,
            call_id,
            local_tag: self.tag_of(d),
            remote_tag: None,
            local_cseq: 1,
            remote_cseq: 0,
            route_set: HopList::default(),
            remote_target: target,
            target,
            owns_call_id: true,
            state: DialogState::Calling,
            invite_client: NONE,
            invite_server: NONE,
            pending_2xx: None,
            reply_to: next,
            retransmit: ctx.timers.t1,
            last_ack: None,
            holding,
            link,
            counted: false,
        };
        let invite = Message {
            start: StartLine::Request {
                method: Method::Invite,
                target,
            },
            cseq: 1,
            cseq_method: Method::Invite,
            call_id,
            from_tag: dialog.local_tag,
            to_tag: None,
            via: HopList::default(),
            route: HopList::default(),
            record_route: HopList::default(),
            contact: Some(self.me),
            timer: TimerHeaders::default(),
            call,
        };
        let inserted = self.dialogs.insert(dialog);
        debug_assert_eq!(inserted, d);
        let txn = self.txns.start_client(ctx, invite, next, d);
        self.dialogs
            .get_mut(d)
            .expect("just inserted")
            .invite_client = txn;
        Some(d)
    }

    /// Answers the initial INVITE of an `Early` dialog with 200 OK and starts
    /// retransmitting it until the ACK arrives (TXN-2XX-1).
    pub fn answer(&mut self, ctx: &mut Ctx, d: u32) {
        let Some(dl) = self.dialogs.get(d) else {
            return;
        };
        let (h, tag) = (dl.invite_server, dl.local_tag);
        let Some(txn) = self.txns.servers.get(h) else {
            return;
        };
        let mut ok = txn.response(StatusCode::OK);
        ok.to_tag = Some(tag);
        ok.contact = Some(self.me);
        let peer = txn.peer;
        self.txns.respond(ctx, h, ok.clone());
        let dl = self.dialogs.get_mut(d).expect("checked above");
        dl.invite_server = NONE;
        dl.state = DialogState::Confirmed;
        dl.counted = true;
        dl.reply_to = peer;
        dl.retransmit = ctx.timers.t1;
        dl.pending_2xx = Some(ok);
        let call = dl.call;
        ctx.set_timer(TimerKind::Retransmit2xx, d, ctx.timers.t1);
        ctx.set_timer(TimerKind::GiveUp2xx, d, ctx.timers.t1x64());
        ctx.record(Record::CallAnswered { call });
        ctx.record(Record::StateCreated { call, state: d });
    }

    /// Rejects the initial INVITE of an `Early` dialog; the dialog is gone.
    pub fn reject(&mut self, ctx: &mut Ctx, d: u32, status: StatusCode) {
        let Some(dl) = self.dialogs.get(d) else {
            return;
        };
        let h = dl.invite_server;
        if let Some(txn) = self.txns.servers.get(h) {
            let mut resp = txn.response(status);
            resp.to_tag = Some(dl.local_tag);
            self.txns.respond(ctx, h, resp);
        }
        self.free_dialog(ctx, d, FreeCause::Bye);
    }

    /// Ends a confirmed dialog with BYE; the dialog is gone at once (DLG-3).
    pub fn hangup(&mut self, ctx: &mut Ctx, d: u32, cause: FreeCause) {
        if self
            .dialogs
            .get(d)
            .is_none_or(|dl| dl.state != DialogState::Confirmed)
        {
            return;
        }
        if let Some((bye, next)) = self.dialog_request(d, Method::Bye) {
            self.txns.start_client(ctx, bye, next, NONE);
        }
        self.free_dialog(ctx, d, cause);
    }

    /// Sends a re-INVITE in dialog `d`, unless an INVITE of ours is already
    /// in progress there (GLARE-3). Returns whether one was sent.
    pub fn reinvite(&mut self, ctx: &mut Ctx, d: u32) -> bool {
        match self.dialogs.get(d) {
            Some(dl) if dl.state == DialogState::Confirmed && dl.invite_client == NONE => {}
            _ => return false,
        }
        let (msg, next) = self
            .dialog_request(d, Method::Invite)
            .expect("dialog is live");
        let txn = self.txns.start_client(ctx, msg, next, d);
        self.dialogs
            .get_mut(d)
            .expect("dialog is live")
            .invite_client = txn;
        true
    }

    /// Handles an incoming message from the previous hop `from`.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Message) {
        if msg.is_request() {
            self.on_request(ctx, from, msg);
        } else {
            self.on_response(ctx, msg);
        }
    }

    fn on_response(&mut self, ctx: &mut Ctx, resp: Message) {
        let Some(via) = resp.via.top() else { return };
        if via.node != self.me {
            return;
        }
        let h = via.branch.0;
        let Some(event) = self.txns.on_response(ctx, via.branch, &resp) else {
            self.on_stray_response(ctx, &resp);
            return;
        };
        self.after_client_event(ctx, h, event);
    }

    /// A response no transaction claims: a retransmitted 2xx to our INVITE,
    /// which the core ACKs again (TXN-2XX-2).
    fn on_stray_response(&mut self, ctx: &mut Ctx, resp: &Message) {
        if resp.cseq_method != Method::Invite || !resp.status().is_some_and(|s| s.is_success()) {
            return;
        }
        let Some(d) = self.dialog_of_tag(resp.from_tag, resp.call_id) else {
            return;
        };
        let dl = self.dialogs.get(d).expect("found above");
        if let Some(ack) = dl.last_ack.as_ref().filter(|a| a.cseq == resp.cseq) {
            let next = dl.route_set.first().map_or(dl.remote_target, |r| r.node);
            ctx.send(next, ack.clone());
        }
    }

    /// Acts on what a client transaction reported, then frees it if it is done.
    fn after_client_event(&mut self, ctx: &mut Ctx, h: u32, event: ClientEvent) {
        let txn = self.txns.clients.get(h).expect("caller checked");
        let (owner, method, call, state) = (
            txn.owner,
            txn.request.cseq_method,
            txn.request.call,
            txn.state,
        );
        match &event {
            ClientEvent::Final(resp) => {
                let status = resp.status().expect("response");
                ctx.record(Record::TxnCompleted {
                    call,
                    method,
                    status,
                });
                if method == Method::Invite {
                    self.on_invite_final(ctx, owner, h, resp);
                } else if matches!(status.0, 408 | 481) {
                    self.on_dialog_failure(ctx, owner);
                }
            }
            ClientEvent::Timeout => {
                ctx.record(Record::TxnTimedOut { call, method });
                if method == Method::Invite {
                    self.on_invite_failed(ctx, owner, h, StatusCode::REQUEST_TIMEOUT);
                } else {
                    self.on_dialog_failure(ctx, owner);
                }
            }
            ClientEvent::Nothing | ClientEvent::Provisional(_) => {}
        }
        if state == ClientState::Terminated {
            self.txns.free_client(ctx, h);
        }
    }

    fn on_invite_final(&mut self, ctx: &mut Ctx, d: u32, txn: u32, resp: &Message) {
        let status = resp.status().expect("response");
        let Some(dl) = self.dialogs.get_mut(d) else {
            return;
        };
        if dl.invite_client == txn {
            dl.invite_client = NONE;
        }
        if !status.is_success() {
            self.on_invite_failed(ctx, d, txn, status);
            return;
        }
        let initial = dl.state == DialogState::Calling;
        if initial {
            dl.state = DialogState::Confirmed;
            dl.remote_tag = resp.to_tag;
            dl.route_set = resp.record_route;
            dl.remote_target = resp.contact.unwrap_or(dl.remote_target);
            dl.counted = true;
        }
        let call = dl.call;
        let holding = dl.holding;
        let (mut ack, next) = self.dialog_request(d, Method::Ack).expect("dialog is live");
        ack.cseq = resp.cseq;
        ack.via.push(Via {
            node: self.me,
            branch: Branch(txn),
        });
        ctx.send(next, ack.clone());
        self.dialogs.get_mut(d).expect("dialog is live").last_ack = Some(ack);
        if initial {
            ctx.record(Record::StateCreated { call, state: d });
            if let Some(h) = holding {
                ctx.set_timer(TimerKind::Hangup, d, h);
            }
            self.events.push(CoreEvent::Answered(d));
        }
    }

    fn on_invite_failed(&mut self, ctx: &mut Ctx, d: u32, txn: u32, status: StatusCode) {
        let Some(dl) = self.dialogs.get_mut(d) else {
            return;
        };
        if dl.invite_client == txn {
            dl.invite_client = NONE;
        }
        if dl.state == DialogState::Calling {
            let dialog = self.free_dialog(ctx, d, FreeCause::Bye).expect("live");
            ctx.record(Record::CallFailed {
                call: dialog.call,
                status,
            });
            self.events.push(CoreEvent::Failed {
                call: dialog.call,
                link: dialog.link,
                status,
            });
            return;
        }
        match status.0 {
            // Glare: retry after the §14.1 back-off, drawn from this node's stream.
            491 => {
                let steps = if dl.owns_call_id {
                    rand::RngExt::random_range(ctx.rng, 210..=400u32)
                } else {
                    rand::RngExt::random_range(ctx.rng, 0..=200u32)
                };
                let backoff = SimDuration::from_millis(10 * steps);
                let call = dl.call;
                ctx.set_timer(TimerKind::GlareRetry, d, backoff);
                ctx.record(Record::GlareBackoff { call, backoff });
            }
            408 | 481 => self.on_dialog_failure(ctx, d),
            _ => {}
        }
    }

    /// An in-dialog request got 408/481 or timed out: end the dialog with BYE (DLG-1).
    fn on_dialog_failure(&mut self, ctx: &mut Ctx, d: u32) {
        let Some(dl) = self.dialogs.get(d) else {
            return;
        };
        if dl.state != DialogState::Confirmed {
            return;
        }
        let (call, link) = (dl.call, dl.link);
        self.hangup(ctx, d, FreeCause::RefreshFailed);
        self.events.push(CoreEvent::Ended {
            call,
            link,
            cause: FreeCause::RefreshFailed,
        });
    }

    fn on_request(&mut self, ctx: &mut Ctx, from: NodeId, req: Message) {
        let method = req.method().expect("request");
        if self.txns.absorb(ctx, from, &req) {
            return;
        }
        if method == Method::Ack {
            self.on_ack(ctx, &req);
            return;
        }
        let Some(to_tag) = req.to_tag else {
            if method == Method::Invite {
                self.on_initial_invite(ctx, from, &req);
            } else {
                let h = self.txns.new_server(ctx, &req, from, NONE);
                self.txns
                    .respond(ctx, h, req.response(StatusCode::CALL_DOES_NOT_EXIST));
            }
            return;
        };
        let Some(d) = self.dialog_of_tag(to_tag, req.call_id) else {
            // DLG-2: no such dialog (e.g. after a reboot).
            let h = self.txns.new_server(ctx, &req, from, NONE);
            self.txns
                .respond(ctx, h, req.response(StatusCode::CALL_DOES_NOT_EXIST));
            return;
        };
        let h = self.txns.new_server(ctx, &req, from, d);
        let dl = self.dialogs.get_mut(d).expect("found above");
        dl.remote_cseq = dl.remote_cseq.max(req.cseq);
        let (call, link, invite_pending) = (dl.call, dl.link, dl.invite_client != NONE);
        match method {
            Method::Bye => {
                self.txns.respond(ctx, h, req.response(StatusCode::OK));
                self.free_dialog(ctx, d, FreeCause::Bye);
                self.events.push(CoreEvent::Ended {
                    call,
                    link,
                    cause: FreeCause::Bye,
                });
            }
            Method::Invite if invite_pending => {
                // GLARE-1: our own INVITE is pending in this dialog.
                self.txns
                    .respond(ctx, h, req.response(StatusCode::REQUEST_PENDING));
            }
            Method::Invite => {
                let mut ok = req.response(StatusCode::OK);
                ok.record_route = HopList::default();
                ok.contact = Some(self.me);
                self.txns.respond(ctx, h, ok.clone());
                let dl = self.dialogs.get_mut(d).expect("found above");
                dl.pending_2xx = Some(ok);
                dl.reply_to = from;
                dl.retransmit = ctx.timers.t1;
                ctx.set_timer(TimerKind::Retransmit2xx, d, ctx.timers.t1);
                ctx.set_timer(TimerKind::GiveUp2xx, d, ctx.timers.t1x64());
            }
            Method::Update => {
                let mut ok = req.response(StatusCode::OK);
                ok.contact = Some(self.me);
                self.txns.respond(ctx, h, ok);
            }
            Method::Ack => unreachable!("handled above"),
        }
    }

    fn on_initial_invite(&mut self, ctx: &mut Ctx, from: NodeId, req: &Message) {
        let d = self.dialogs.next_handle();
        let h = self.txns.new_server(ctx, req, from, d);
        let dialog = Dialog {
            call: req.call,
            call_id: req.call_id,
            local_tag: self.tag_of(d),
            remote_tag: Some(req.from_tag),
            local_cseq: 0,
            remote_cseq: req.cseq,
            route_set: req.record_route.reversed(),
            remote_target: req.contact.unwrap_or(from),
            target: match req.start {
                StartLine::Request { target, .. } => target,
                StartLine::Response(_) => unreachable!("request"),
            },
            owns_call_id: false,
            state: DialogState::Early,
            invite_client: NONE,
            invite_server: h,
            pending_2xx: None,
            reply_to: from,
            retransmit: ctx.timers.t1,
            last_ack: None,
            holding: None,
            link: NONE,
            counted: false,
        };
        let inserted = self.dialogs.insert(dialog);
        debug_assert_eq!(inserted, d);
        self.events.push(CoreEvent::Incoming(d));
    }

    /// An ACK for a 2xx: stop retransmitting it.
    fn on_ack(&mut self, ctx: &mut Ctx, ack: &Message) {
        let Some(tag) = ack.to_tag else { return };
        let Some(d) = self.dialog_of_tag(tag, ack.call_id) else {
            return;
        };
        let dl = self.dialogs.get_mut(d).expect("found above");
        if dl.pending_2xx.as_ref().is_some_and(|m| m.cseq == ack.cseq) {
            dl.pending_2xx = None;
            ctx.cancel_timer(TimerKind::Retransmit2xx, d);
            ctx.cancel_timer(TimerKind::GiveUp2xx, d);
        }
    }

    /// Handles a timer of the core's tables. `Hangup` ends the call with BYE.
    pub fn on_timer(&mut self, ctx: &mut Ctx, kind: TimerKind, h: u32) {
        match kind.place().0 {
            TimerSpace::ClientTxn | TimerSpace::ServerTxn => {
                if let Some(event) = self.txns.on_timer(ctx, kind, h) {
                    self.after_client_event(ctx, h, event);
                }
            }
            TimerSpace::Dialog => self.on_dialog_timer(ctx, kind, h),
            TimerSpace::ProxyDialog => {}
        }
    }

    fn on_dialog_timer(&mut self, ctx: &mut Ctx, kind: TimerKind, d: u32) {
        let Some(dl) = self.dialogs.get_mut(d) else {
            return;
        };
        let call = dl.call;
        match kind {
            TimerKind::Retransmit2xx => {
                if let Some(ok) = &dl.pending_2xx {
                    ctx.send(dl.reply_to, ok.clone());
                    dl.retransmit = (dl.retransmit * 2).min(ctx.timers.t2);
                    ctx.set_timer(TimerKind::Retransmit2xx, d, dl.retransmit);
                }
            }
            TimerKind::GiveUp2xx => {
                // TXN-2XX-1: no ACK within 64·T1: end the session with BYE.
                ctx.cancel_timer(TimerKind::Retransmit2xx, d);
                dl.pending_2xx = None;
                let link = dl.link;
                ctx.record(Record::TimerFired { call, kind });
                self.hangup(ctx, d, FreeCause::TransactionTimeout);
                self.events.push(CoreEvent::Ended {
                    call,
                    link,
                    cause: FreeCause::TransactionTimeout,
                });
            }
            TimerKind::Hangup => {
                let link = dl.link;
                ctx.record(Record::TimerFired { call, kind });
                self.hangup(ctx, d, FreeCause::Bye);
                self.events.push(CoreEvent::Ended {
                    call,
                    link,
                    cause: FreeCause::Bye,
                });
            }
            TimerKind::GlareRetry => {
                ctx.record(Record::TimerFired { call, kind });
                self.reinvite(ctx, d);
            }
            _ => {}
        }
    }

    /// Live dialogs, transactions and registered server keys (for tests and probes).
    pub fn sizes(&self) -> (usize, usize, usize) {
        let (c, sv) = self.txns.sizes();
        (self.dialogs.len(), c, sv)
    }

    /// The dialog handle of `call`, if one is live (linear: tests and commands only).
    pub fn dialog_of_call(&self, call: CallRef) -> Option<u32> {
        self.dialogs
            .iter()
            .find(|(_, d)| d.call == call)
            .map(|(h, _)| h)
    }
}
