//! The UA core shared by endpoints and B2BUA legs: dialogs, transactions,
//! 2xx retransmission, ACK, BYE, re-INVITE/UPDATE, glare, and RFC 4028
//! session timers (negotiation, refresh, expiry, 422/420 retries).
//!
//! The core does what RFC 3261 and RFC 4028 make a UA do by itself. It
//! reports to its owner (the policy: [`super::ua::Ua`] or
//! [`super::b2bua::B2bua`]) through [`CoreEvent`]s left in `events`. The
//! policy decides when to answer, reject or hang up.
//!
//! Identifiers on the wire encode table slots, so lookups are O(1):
//! - a tag is `node << 48 | attempt << 32 | dialog handle` (a new attempt
//!   after a 422 gets a new From tag, erratum 1681);
//! - a Via branch is the client transaction's handle;
//! - a Call-ID is `node << 32 | counter`.

use crate::engine::{SimDuration, SimTime};
use crate::net::NodeId;
use crate::session_timer::negotiation::{uac_on_2xx, uac_request, uas_decide};
use crate::session_timer::policy::{expiry_delay, refresh_delay};
use crate::session_timer::{
    Negotiated, Party, RefreshMethod, TimerSettings, UacMemory, UasDecision,
};

use super::action::{Ctx, FreeCause, Record, StEvent, StateId, TimerKind, TimerSpace};
use super::message::{
    Branch, CallId, CallRef, HopList, Message, Method, RefresherParam, RouteEntry, StartLine, Tag,
    TimerHeaders, Via,
};
use super::slab::Slab;
use super::status::StatusCode;
use super::txn::{ClientEvent, ClientState};
use super::txn_table::Transactions;

/// "No handle" in handle-typed fields.
pub const NONE: u32 = u32::MAX;

/// A UA's session-timer settings: its own, and per-peer overrides.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UaConfig {
    /// Settings for any peer without an override.
    pub base: TimerSettings,
    /// Overrides for dialogs with these peers.
    pub peers: Vec<(NodeId, TimerSettings)>,
}

impl UaConfig {
    /// The settings for dialogs with `peer`.
    pub fn for_peer(&self, peer: NodeId) -> &TimerSettings {
        self.peers
            .iter()
            .find(|(p, _)| *p == peer)
            .map_or(&self.base, |(_, s)| s)
    }
}

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

/// A dialog's session-timer state.
#[derive(Debug, Clone, Default)]
pub struct SessionState {
    /// What this UA knows and asked for (ST-UAC-17).
    pub mem: UacMemory,
    /// Headers of our last refresh request, for reading its 2xx.
    pub sent: TimerHeaders,
    /// 422s answered with a retry on the current request.
    pub retries_422: u32,
    /// Our refresh transaction in progress (INVITE or UPDATE), or `NONE`.
    pub refresh_client: u32,
    /// A re-INVITE refresh waits for an INVITE transaction to finish (GLARE-3).
    pub deferred: bool,
    /// UAS: the 2xx headers and timer decided at the initial INVITE.
    pub answer: Option<Box<(TimerHeaders, Option<Negotiated>)>>,
    /// The peer has sent `Supported: timer` (ST-UAC-19).
    pub peer_supports: bool,
    /// The next refresh hands the refresher role to the peer.
    pub hand_over: bool,
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
    /// The peer UA, whose per-peer settings apply.
    pub peer: NodeId,
    /// We generated the Call-ID (RFC 3261 §14.1 back-off class).
    pub owns_call_id: bool,
    /// State.
    pub state: DialogState,
    /// Our INVITE client transaction in progress (initial or re-INVITE), or `NONE`.
    pub invite_client: u32,
    /// The initial INVITE's server transaction while unanswered, or `NONE`.
    pub invite_server: u32,
    /// Branch of our latest INVITE, reused by the ACK for its 2xx.
    pub ack_branch: u32,
    /// The 2xx we retransmit until the ACK arrives.
    pub pending_2xx: Option<Box<Message>>,
    /// Where the pending 2xx goes (the previous hop of the INVITE).
    pub reply_to: NodeId,
    /// Current 2xx retransmission interval.
    pub retransmit: SimDuration,
    /// When 2xx retransmission gives up (first 2xx + 64·T1).
    pub retransmit_until: SimTime,
    /// Caller's holding time: hang up this long after the 2xx.
    pub holding: Option<SimDuration>,
    /// A B2BUA's other leg, or `NONE`.
    pub link: u32,
    /// `StateCreated` was recorded, so freeing must record `StateFreed`.
    pub counted: bool,
    /// Session timer.
    pub st: SessionState,
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
    /// A confirmed dialog ended (BYE either way, expiry, failure); it is gone.
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
    cfg: UaConfig,
    /// Dialogs by handle (the handle is in our tag).
    pub dialogs: Slab<Dialog>,
    txns: Transactions,
    next_call_id: u32,
    /// Events for the policy; drained after every input.
    pub events: Vec<CoreEvent>,
}

impl UaCore {
    /// An idle core for node `me`.
    pub fn new(me: NodeId, cfg: UaConfig) -> Self {
        UaCore {
            me,
            cfg,
            dialogs: Slab::default(),
            txns: Transactions::default(),
            next_call_id: 0,
            events: Vec::new(),
        }
    }

    fn tag_of(me: NodeId, handle: u32, attempt: u16) -> Tag {
        Tag(((me.0 as u64) << 48) | ((attempt as u64) << 32) | handle as u64)
    }

    /// The dialog a tag of ours names, if it is ours and live.
    fn dialog_of_tag(&self, tag: Tag, call_id: CallId) -> Option<u32> {
        if (tag.0 >> 48) as u16 != self.me.0 {
            return None;
        }
        let h = tag.0 as u32;
        self.dialogs
            .get(h)
            .is_some_and(|d| d.call_id == call_id && d.local_tag == tag)
            .then_some(h)
    }

    fn settings(&self, d: &Dialog) -> TimerSettings {
        *self.cfg.for_peer(d.peer)
    }

    fn st_record(ctx: &mut Ctx, call: CallRef, event: StEvent) {
        ctx.record(Record::SessionTimer { call, event });
    }

    /// Frees a dialog and its timers; records `StateFreed` if it was counted.
    fn free_dialog(&mut self, ctx: &mut Ctx, d: u32, cause: FreeCause) -> Option<Dialog> {
        let dialog = self.dialogs.remove(d)?;
        ctx.clear_timers(TimerSpace::Dialog, d);
        if dialog.counted {
            ctx.record(Record::StateFreed {
                call: dialog.call,
                state: StateId(d),
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
        let mut msg = Message::new(
            StartLine::Request {
                method,
                target: dl.remote_target,
            },
            dl.local_cseq,
            method,
            dl.call_id,
            dl.local_tag,
            dl.remote_tag,
            Some(me),
            dl.call,
        );
        *msg.route_mut() = dl.route_set;
        // In-dialog INVITEs and UPDATEs are refreshes (ST-UAC-13); callers adjust ACK/BYE.
        msg.refresh = matches!(method, Method::Invite | Method::Update);
        let next = dl.route_set.first().map_or(dl.remote_target, |r| r.node);
        Some((msg, next))
    }

    /// The initial INVITE of dialog `d` (first attempt or a retry after 422/420).
    fn send_initial_invite(&mut self, ctx: &mut Ctx, d: u32) {
        let dl = self.dialogs.get(d).expect("caller checked");
        let s = self.settings(dl);
        let headers = uac_request(&s, s.require_timer, &dl.st.mem, true);
        let mut invite = Message::new(
            StartLine::Request {
                method: Method::Invite,
                target: dl.target,
            },
            dl.local_cseq,
            Method::Invite,
            dl.call_id,
            dl.local_tag,
            None,
            Some(self.me),
            dl.call,
        );
        invite.timer = headers;
        let next = dl.reply_to;
        let txn = self.txns.start_client(ctx, invite, next, d, false);
        let dl = self.dialogs.get_mut(d).expect("caller checked");
        dl.invite_client = txn;
        dl.ack_branch = txn;
        dl.st.sent = headers;
        dl.st.mem.requested_se = headers.session_expires.map(|s| s.delta_s);
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
            local_tag: Self::tag_of(self.me, d, 0),
            remote_tag: None,
            local_cseq: 1,
            remote_cseq: 0,
            route_set: HopList::default(),
            remote_target: target,
            target,
            peer: target,
            owns_call_id: true,
            state: DialogState::Calling,
            invite_client: NONE,
            invite_server: NONE,
            ack_branch: NONE,
            pending_2xx: None,
            reply_to: next,
            retransmit: ctx.timers.t1,
            retransmit_until: SimTime::ZERO,
            holding,
            link,
            counted: false,
            st: SessionState {
                refresh_client: NONE,
                ..SessionState::default()
            },
        };
        let inserted = self.dialogs.insert(dialog);
        debug_assert_eq!(inserted, d);
        self.send_initial_invite(ctx, d);
        Some(d)
    }

    /// Answers the initial INVITE of an `Early` dialog with 200 OK, starts
    /// retransmitting it until the ACK arrives (TXN-2XX-1), and starts the
    /// session timer decided when the INVITE arrived (t2xx = now, ST-UAS-8).
    pub fn answer(&mut self, ctx: &mut Ctx, d: u32) {
        let Some(dl) = self.dialogs.get_mut(d) else {
            return;
        };
        let (h, tag) = (dl.invite_server, dl.local_tag);
        let (headers, timer) = dl
            .st
            .answer
            .take()
            .map_or((TimerHeaders::default(), None), |b| *b);
        let Some(txn) = self.txns.servers.get(h) else {
            return;
        };
        let mut ok = txn.response(StatusCode::OK);
        ok.to_tag = Some(tag);
        ok.contact = Some(self.me);
        ok.timer = headers;
        let peer = txn.peer;
        self.txns.respond(ctx, h, ok.clone());
        let dl = self.dialogs.get_mut(d).expect("checked above");
        dl.invite_server = NONE;
        dl.state = DialogState::Confirmed;
        dl.counted = true;
        dl.reply_to = peer;
        dl.retransmit = ctx.timers.t1;
        dl.retransmit_until = ctx.now + ctx.timers.t1x64();
        dl.pending_2xx = Some(Box::new(ok));
        let call = dl.call;
        ctx.set_timer(TimerKind::Retransmit2xx, d, ctx.timers.t1);
        ctx.record(Record::CallAnswered { call });
        ctx.record(Record::StateCreated {
            call,
            state: StateId(d),
        });
        self.start_session_timer(ctx, d, timer);
    }

    /// Rejects the initial INVITE of an `Early` dialog; the dialog is gone.
    pub fn reject(&mut self, ctx: &mut Ctx, d: u32, status: StatusCode) {
        let Some(dl) = self.dialogs.get(d) else {
            return;
        };
        let (h, tag) = (dl.invite_server, dl.local_tag);
        if let Some(txn) = self.txns.servers.get(h) {
            let mut resp = txn.response(status);
            resp.to_tag = Some(tag);
            self.txns.respond(ctx, h, resp);
        }
        self.free_dialog(ctx, d, FreeCause::Bye);
    }

    /// Ends a confirmed dialog with BYE; the dialog is gone at once (DLG-3).
    pub fn hangup(&mut self, ctx: &mut Ctx, d: u32, cause: FreeCause) {
        let Some(dl) = self.dialogs.get(d) else {
            return;
        };
        if dl.state != DialogState::Confirmed {
            return;
        }
        let call = dl.call;
        if let Some((bye, next)) = self.dialog_request(d, Method::Bye) {
            self.txns.start_client(ctx, bye, next, NONE, false);
        }
        Self::st_record(ctx, call, StEvent::ByeSent(cause));
        self.free_dialog(ctx, d, cause);
    }

    /// Ends dialog `d` with BYE and tells the policy.
    fn end(&mut self, ctx: &mut Ctx, d: u32, cause: FreeCause) {
        let Some(dl) = self.dialogs.get(d) else {
            return;
        };
        if dl.state != DialogState::Confirmed {
            return;
        }
        let (call, link) = (dl.call, dl.link);
        self.hangup(ctx, d, cause);
        self.events.push(CoreEvent::Ended { call, link, cause });
    }

    /// Sends a re-INVITE in dialog `d` (a refresh, whatever its purpose:
    /// ST-UAC-13). Returns whether it went out now.
    pub fn reinvite(&mut self, ctx: &mut Ctx, d: u32, hand_over: bool) -> bool {
        if let Some(dl) = self.dialogs.get_mut(d) {
            dl.st.hand_over = hand_over && dl.st.peer_supports;
        }
        self.send_refresh(ctx, d, Method::Invite)
    }

    /// Sends a refresh request (re-INVITE or UPDATE) in dialog `d`. A
    /// re-INVITE waits while an INVITE transaction is in progress (GLARE-3,
    /// ST-REFRESH-6); an UPDATE waits for a previous refresh to finish.
    fn send_refresh(&mut self, ctx: &mut Ctx, d: u32, method: Method) -> bool {
        let Some(dl) = self.dialogs.get_mut(d) else {
            return false;
        };
        if dl.state != DialogState::Confirmed {
            return false;
        }
        let busy = dl.st.refresh_client != NONE
            || (method == Method::Invite && (dl.invite_client != NONE || dl.pending_2xx.is_some()));
        if busy {
            dl.st.deferred = true;
            return false;
        }
        dl.st.deferred = false;
        let s = self.settings(self.dialogs.get(d).expect("live"));
        let dl = self.dialogs.get(d).expect("live");
        let mut headers = uac_request(&s, s.require_timer, &dl.st.mem, false);
        if dl.st.hand_over
            && let Some(se) = headers.session_expires.as_mut()
        {
            se.refresher = Some(RefresherParam::Uas);
        }
        let (mut msg, next) = self.dialog_request(d, method).expect("live");
        msg.timer = headers;
        let txn = self.txns.start_client(ctx, msg, next, d, false);
        let dl = self.dialogs.get_mut(d).expect("live");
        dl.st.sent = headers;
        dl.st.mem.requested_se = headers.session_expires.map(|s| s.delta_s);
        dl.st.refresh_client = txn;
        dl.st.hand_over = false;
        let call = dl.call;
        ctx.record(Record::RefreshSent { call, method });
        if method == Method::Invite {
            dl.invite_client = txn;
            dl.ack_branch = txn;
        }
        true
    }

    /// Puts `timer` in force on dialog `d` from now (t2xx): the refresher
    /// arms its refresh point, the other side its BYE point; no timer arms
    /// nothing (ST-EXPIRE-4).
    fn start_session_timer(&mut self, ctx: &mut Ctx, d: u32, timer: Option<Negotiated>) {
        let Some(dl) = self.dialogs.get(d) else {
            return;
        };
        let s = self.settings(dl);
        let call = dl.call;
        ctx.cancel_timer(TimerKind::SessionRefresh, d);
        ctx.cancel_timer(TimerKind::SessionExpiry, d);
        let event = match timer {
            Some(n) if n.refresher == Party::Local => {
                ctx.set_timer(
                    TimerKind::SessionRefresh,
                    d,
                    refresh_delay(n.interval_s, s.refresh_at),
                );
                StEvent::Negotiated {
                    interval_s: n.interval_s,
                    local_refresher: true,
                }
            }
            Some(n) => {
                ctx.set_timer(
                    TimerKind::SessionExpiry,
                    d,
                    expiry_delay(n.interval_s, s.expiry_guard),
                );
                StEvent::Negotiated {
                    interval_s: n.interval_s,
                    local_refresher: false,
                }
            }
            None => StEvent::NoTimer,
        };
        self.dialogs.get_mut(d).expect("live").st.mem.active = timer;
        Self::st_record(ctx, call, event);
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
        let Some(via) = resp.via.top() else {
            return;
        };
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

    /// The ACK for `resp`, a 2xx to our INVITE.
    fn ack(&mut self, d: u32, resp: &Message) -> Option<(Message, NodeId)> {
        let me = self.me;
        let branch = self.dialogs.get(d)?.ack_branch;
        let (mut ack, next) = self.dialog_request(d, Method::Ack)?;
        ack.cseq = resp.cseq;
        // The ACK of a refresh's 2xx is refresh traffic; the 2xx says which it was.
        ack.refresh = resp.refresh;
        ack.via.push(Via {
            node: me,
            branch: Branch(branch),
        });
        Some((ack, next))
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
        if self
            .dialogs
            .get(d)
            .is_some_and(|dl| dl.state == DialogState::Confirmed)
            && let Some((ack, next)) = self.ack(d, resp)
        {
            ctx.send(next, ack);
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
                match method {
                    Method::Invite => self.on_invite_final(ctx, owner, h, resp),
                    Method::Update => self.on_refresh_final(ctx, owner, h, Some(resp)),
                    _ => {}
                }
            }
            ClientEvent::Timeout => {
                ctx.record(Record::TxnTimedOut { call, method });
                match method {
                    Method::Invite => self.on_invite_timeout(ctx, owner, h),
                    Method::Update => self.on_refresh_final(ctx, owner, h, None),
                    _ => {}
                }
            }
            ClientEvent::Nothing | ClientEvent::Provisional(_) => {}
        }
        if state == ClientState::Terminated {
            self.txns.free_client(ctx, h);
        }
    }

    fn on_invite_timeout(&mut self, ctx: &mut Ctx, d: u32, txn: u32) {
        match self.dialogs.get(d).map(|dl| dl.state) {
            Some(DialogState::Calling) => self.on_initial_failed(ctx, d, txn, None),
            Some(_) => self.on_refresh_final(ctx, d, txn, None),
            None => {}
        }
    }

    fn on_invite_final(&mut self, ctx: &mut Ctx, d: u32, txn: u32, resp: &Message) {
        let Some(dl) = self.dialogs.get(d) else {
            return;
        };
        let status = resp.status().expect("response");
        if dl.state != DialogState::Calling {
            if status.is_success()
                && let Some((ack, next)) = self.ack(d, resp)
            {
                ctx.send(next, ack);
            }
            self.on_refresh_final(ctx, d, txn, Some(resp));
            return;
        }
        if !status.is_success() {
            self.on_initial_failed(ctx, d, txn, Some(resp));
            return;
        }
        let dl = self.dialogs.get_mut(d).expect("live");
        dl.invite_client = NONE;
        dl.state = DialogState::Confirmed;
        dl.remote_tag = resp.to_tag;
        dl.route_set = *resp.record_route();
        dl.remote_target = resp.contact.unwrap_or(dl.remote_target);
        dl.counted = true;
        dl.st.peer_supports |= resp.timer.supported_timer;
        let (call, holding, sent) = (dl.call, dl.holding, dl.st.sent);
        if let Some((ack, next)) = self.ack(d, resp) {
            ctx.send(next, ack);
        }
        ctx.record(Record::StateCreated {
            call,
            state: StateId(d),
        });
        if let Some(h) = holding {
            ctx.set_timer(TimerKind::Hangup, d, h);
        }
        let s = self.settings(self.dialogs.get(d).expect("live"));
        let timer = uac_on_2xx(&s, &sent, &resp.timer);
        self.start_session_timer(ctx, d, timer);
        self.events.push(CoreEvent::Answered(d));
    }

    /// The initial INVITE got a non-2xx (or timed out, `resp = None`).
    /// 422 and 420-for-timer are retried as a new INVITE with a new From
    /// tag and CSeq + 1 (ST-UAC-6, ST-UAC-14/15, erratum 1681), within
    /// `max_422_retries`; anything else fails the call.
    fn on_initial_failed(&mut self, ctx: &mut Ctx, d: u32, txn: u32, resp: Option<&Message>) {
        let dl = self.dialogs.get(d).expect("caller checked");
        let s = self.settings(dl);
        let status = resp.map_or(StatusCode::REQUEST_TIMEOUT, |r| {
            r.status().expect("response")
        });
        let retry = match (status.0, resp) {
            (422, Some(r)) if dl.st.retries_422 < s.max_422_retries => Some(StEvent::Retry422 {
                min_se: r.timer.min_se.unwrap_or(90),
            }),
            (420, Some(r)) if r.timer.unsupported_timer && dl.st.sent.require_timer => {
                Some(StEvent::Retry420)
            }
            _ => None,
        };
        let dl = self.dialogs.get_mut(d).expect("caller checked");
        if dl.invite_client == txn {
            dl.invite_client = NONE;
        }
        if let Some(event) = retry {
            match event {
                StEvent::Retry422 { min_se } => {
                    dl.st.retries_422 += 1;
                    dl.st.mem.learned_min_se =
                        Some(dl.st.mem.learned_min_se.unwrap_or(0).max(min_se));
                }
                _ => dl.st.mem.drop_require = true,
            }
            let attempt = ((dl.local_tag.0 >> 32) as u16).wrapping_add(1);
            let call = dl.call;
            dl.local_cseq += 1;
            dl.local_tag = Self::tag_of(self.me, d, attempt);
            Self::st_record(ctx, call, event);
            self.send_initial_invite(ctx, d);
            return;
        }
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
    }

    /// Our refresh (re-INVITE or UPDATE) got a final response, or timed out
    /// (`resp = None`). The 2xx re-runs negotiation and restarts the timers
    /// (ST-REFRESH-1, ST-EXPIRE-4). 408, 481 and timeouts end the dialog with
    /// BYE (ST-REFRESH-4). 422 is retried with the larger Min-SE
    /// (ST-REFRESH-3); 491 after the glare back-off (ST-REFRESH-5). Other
    /// codes leave the timers as they were (ST-REFRESH-2).
    fn on_refresh_final(&mut self, ctx: &mut Ctx, d: u32, txn: u32, resp: Option<&Message>) {
        let Some(s) = self.dialogs.get(d).map(|dl| self.settings(dl)) else {
            return;
        };
        let dl = self.dialogs.get_mut(d).expect("live");
        if dl.invite_client == txn {
            dl.invite_client = NONE;
        }
        let own_refresh = dl.st.refresh_client == txn;
        if own_refresh {
            dl.st.refresh_client = NONE;
        }
        let status = resp.map_or(StatusCode::REQUEST_TIMEOUT, |r| {
            r.status().expect("response")
        });
        let method = if txn == dl.ack_branch {
            Method::Invite
        } else {
            Method::Update
        };
        let call = dl.call;
        match status.0 {
            200..=299 => {
                dl.st.retries_422 = 0;
                dl.st.peer_supports |= resp.is_some_and(|r| r.timer.supported_timer);
                let timer = uac_on_2xx(&s, &dl.st.sent, &resp.expect("2xx").timer);
                self.start_session_timer(ctx, d, timer);
            }
            408 | 481 => {
                self.end(ctx, d, FreeCause::RefreshFailed);
                return;
            }
            422 if dl.st.retries_422 < s.max_422_retries => {
                dl.st.retries_422 += 1;
                let min_se = resp.and_then(|r| r.timer.min_se).unwrap_or(90);
                dl.st.mem.learned_min_se = Some(dl.st.mem.learned_min_se.unwrap_or(0).max(min_se));
                Self::st_record(ctx, call, StEvent::Retry422 { min_se });
                self.send_refresh(ctx, d, method);
                return;
            }
            491 => {
                // Glare: retry after the §14.1 back-off, drawn from this node's stream.
                let steps = if dl.owns_call_id {
                    rand::RngExt::random_range(ctx.rng, 210..=400u32)
                } else {
                    rand::RngExt::random_range(ctx.rng, 0..=200u32)
                };
                let backoff = SimDuration::from_millis(10 * steps);
                ctx.set_timer(TimerKind::GlareRetry, d, backoff);
                ctx.record(Record::GlareBackoff { call, backoff });
                return;
            }
            _ => {}
        }
        // A refresh that had to wait for this transaction goes out now.
        if self.dialogs.get(d).is_some_and(|dl| dl.st.deferred) {
            let m = self.refresh_method(d);
            self.send_refresh(ctx, d, m);
        }
    }

    fn refresh_method(&self, d: u32) -> Method {
        let dl = self.dialogs.get(d).expect("live");
        match self.settings(dl).refresh_method {
            RefreshMethod::Reinvite => Method::Invite,
            RefreshMethod::Update => Method::Update,
        }
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
                let h = self.txns.new_server(ctx, &req, from, NONE, false);
                self.txns
                    .respond(ctx, h, req.response(StatusCode::CALL_DOES_NOT_EXIST));
            }
            return;
        };
        let Some(d) = self.dialog_of_tag(to_tag, req.call_id) else {
            // DLG-2: no such dialog (e.g. after a reboot).
            let h = self.txns.new_server(ctx, &req, from, NONE, false);
            self.txns
                .respond(ctx, h, req.response(StatusCode::CALL_DOES_NOT_EXIST));
            return;
        };
        let h = self.txns.new_server(ctx, &req, from, d, false);
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
            Method::Invite | Method::Update => self.on_refresh_request(ctx, from, d, h, &req),
            Method::Ack => unreachable!("handled above"),
        }
    }

    /// A refresh request from the peer (re-INVITE or UPDATE): decide as UAS
    /// (ST-REFRESH-1), answer, and restart the timers from our 2xx.
    fn on_refresh_request(&mut self, ctx: &mut Ctx, from: NodeId, d: u32, h: u32, req: &Message) {
        let dl = self.dialogs.get_mut(d).expect("caller checked");
        dl.st.peer_supports |= req.timer.supported_timer;
        if let Some(m) = req.timer.min_se {
            // ST-UAC-17: a received refresh's Min-SE binds our later requests.
            dl.st.mem.learned_min_se = Some(dl.st.mem.learned_min_se.unwrap_or(0).max(m));
        }
        let call = dl.call;
        let s = self.settings(self.dialogs.get(d).expect("live"));
        match uas_decide(&s, &req.timer) {
            UasDecision::Reject422 { min_se } => {
                let mut r = req.response(StatusCode::SESSION_INTERVAL_TOO_SMALL);
                r.timer.min_se = Some(min_se);
                self.txns.respond(ctx, h, r);
                Self::st_record(ctx, call, StEvent::Rejected422 { min_se });
            }
            UasDecision::Reject420 => {
                let mut r = req.response(StatusCode::BAD_EXTENSION);
                r.timer.unsupported_timer = true;
                self.txns.respond(ctx, h, r);
                Self::st_record(ctx, call, StEvent::Rejected420);
            }
            UasDecision::Accept { headers, timer } => {
                let mut ok = req.response(StatusCode::OK);
                *ok.record_route_mut() = HopList::default();
                ok.contact = Some(self.me);
                ok.timer = headers;
                self.txns.respond(ctx, h, ok.clone());
                if req.method() == Some(Method::Invite) {
                    let dl = self.dialogs.get_mut(d).expect("live");
                    dl.pending_2xx = Some(Box::new(ok));
                    dl.reply_to = from;
                    dl.retransmit = ctx.timers.t1;
                    dl.retransmit_until = ctx.now + ctx.timers.t1x64();
                    ctx.set_timer(TimerKind::Retransmit2xx, d, ctx.timers.t1);
                }
                self.start_session_timer(ctx, d, timer);
            }
        }
    }

    fn on_initial_invite(&mut self, ctx: &mut Ctx, from: NodeId, req: &Message) {
        let peer = req.contact.unwrap_or(from);
        let s = *self.cfg.for_peer(peer);
        let call = req.call;
        let answer = match uas_decide(&s, &req.timer) {
            UasDecision::Reject422 { min_se } => {
                let h = self.txns.new_server(ctx, req, from, NONE, false);
                let mut r = req.response(StatusCode::SESSION_INTERVAL_TOO_SMALL);
                r.timer.min_se = Some(min_se);
                r.to_tag = Some(Self::tag_of(self.me, NONE, 0));
                self.txns.respond(ctx, h, r);
                Self::st_record(ctx, call, StEvent::Rejected422 { min_se });
                return;
            }
            UasDecision::Reject420 => {
                let h = self.txns.new_server(ctx, req, from, NONE, false);
                let mut r = req.response(StatusCode::BAD_EXTENSION);
                r.timer.unsupported_timer = true;
                r.to_tag = Some(Self::tag_of(self.me, NONE, 0));
                self.txns.respond(ctx, h, r);
                Self::st_record(ctx, call, StEvent::Rejected420);
                return;
            }
            UasDecision::Accept { headers, timer } => (headers, timer),
        };
        let d = self.dialogs.next_handle();
        let h = self.txns.new_server(ctx, req, from, d, true);
        let mem = UacMemory {
            learned_min_se: req.timer.min_se,
            ..UacMemory::default()
        };
        let dialog = Dialog {
            call,
            call_id: req.call_id,
            local_tag: Self::tag_of(self.me, d, 0),
            remote_tag: Some(req.from_tag),
            local_cseq: 0,
            remote_cseq: req.cseq,
            route_set: req.record_route().reversed(),
            remote_target: peer,
            target: match req.start {
                StartLine::Request { target, .. } => target,
                StartLine::Response(_) => unreachable!("request"),
            },
            peer,
            owns_call_id: false,
            state: DialogState::Early,
            invite_client: NONE,
            invite_server: h,
            ack_branch: NONE,
            pending_2xx: None,
            reply_to: from,
            retransmit: ctx.timers.t1,
            retransmit_until: SimTime::ZERO,
            holding: None,
            link: NONE,
            counted: false,
            st: SessionState {
                mem,
                peer_supports: req.timer.supported_timer,
                refresh_client: NONE,
                answer: Some(Box::new(answer)),
                ..SessionState::default()
            },
        };
        let inserted = self.dialogs.insert(dialog);
        debug_assert_eq!(inserted, d);
        self.events.push(CoreEvent::Incoming(d));
    }

    /// An ACK for a 2xx: stop retransmitting it; a deferred refresh may go.
    fn on_ack(&mut self, ctx: &mut Ctx, ack: &Message) {
        let Some(tag) = ack.to_tag else {
            return;
        };
        let Some(d) = self.dialog_of_tag(tag, ack.call_id) else {
            return;
        };
        let dl = self.dialogs.get_mut(d).expect("found above");
        if dl.pending_2xx.as_ref().is_some_and(|m| m.cseq == ack.cseq) {
            dl.pending_2xx = None;
            ctx.cancel_timer(TimerKind::Retransmit2xx, d);
            if dl.st.deferred {
                let m = self.refresh_method(d);
                self.send_refresh(ctx, d, m);
            }
        }
    }

    /// Handles a timer of the core's tables.
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
            TimerKind::Retransmit2xx if ctx.now >= dl.retransmit_until => {
                // TXN-2XX-1: no ACK within 64·T1: end the session with BYE.
                dl.pending_2xx = None;
                ctx.record(Record::TimerFired {
                    call,
                    kind: TimerKind::GiveUp2xx,
                });
                self.end(ctx, d, FreeCause::TransactionTimeout);
            }
            TimerKind::Retransmit2xx => {
                if let Some(ok) = &dl.pending_2xx {
                    ctx.send(dl.reply_to, (**ok).clone());
                    dl.retransmit = (dl.retransmit * 2).min(ctx.timers.t2);
                    let left = dl.retransmit_until - ctx.now;
                    ctx.set_timer(TimerKind::Retransmit2xx, d, dl.retransmit.min(left));
                }
            }
            TimerKind::Hangup => {
                ctx.record(Record::TimerFired { call, kind });
                self.end(ctx, d, FreeCause::Bye);
            }
            TimerKind::GlareRetry => {
                ctx.record(Record::TimerFired { call, kind });
                let m = self.refresh_method(d);
                self.send_refresh(ctx, d, m);
            }
            TimerKind::SessionRefresh => {
                Self::st_record(ctx, call, StEvent::RefreshDue);
                let m = self.refresh_method(d);
                self.send_refresh(ctx, d, m);
            }
            TimerKind::SessionExpiry => {
                // ST-EXPIRE-1: no refresh arrived; BYE at SI − min(32, SI/3).
                Self::st_record(ctx, call, StEvent::Expired);
                self.end(ctx, d, FreeCause::Expiry);
            }
            _ => {}
        }
    }

    /// Drops dialog `d` without a word (its UA died): its timers and its
    /// pending transactions go too. The caller records the loss.
    pub fn forget(&mut self, ctx: &mut Ctx, d: u32) {
        let Some(dl) = self.dialogs.remove(d) else {
            return;
        };
        ctx.clear_timers(TimerSpace::Dialog, d);
        for h in [dl.invite_client, dl.st.refresh_client] {
            if h != NONE {
                self.txns.free_client(ctx, h);
            }
        }
        if dl.invite_server != NONE {
            self.txns.free_server(ctx, dl.invite_server);
        }
    }

    /// Live dialogs, client and server transactions (for tests and probes).
    pub fn sizes(&self) -> (usize, usize, usize) {
        let (c, s) = self.txns.sizes();
        (self.dialogs.len(), c, s)
    }

    /// The dialog handle of `call`, if one is live (linear: tests and commands only).
    pub fn dialog_of_call(&self, call: CallRef) -> Option<u32> {
        self.dialogs
            .iter()
            .find(|(_, d)| d.call == call)
            .map(|(h, _)| h)
    }
}
