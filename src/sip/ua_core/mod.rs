//! The UA core shared by endpoints and B2BUA legs: the dialogs of one node
//! and their transactions, and what RFC 3261 and RFC 4028 make a UA do by
//! itself. It reports to its owner (the policy: [`super::ua::Ua`] or
//! [`super::b2bua::B2bua`]) through [`CoreEvent`]s; the policy decides when
//! to answer, reject or hang up.
//!
//! | module | job |
//! |---|---|
//! | `uac` | the initial INVITE: sending, retrying after 422/420, its answer, ACK |
//! | `uas` | an incoming INVITE: deciding, answering, rejecting; requests in a dialog |
//! | `refresh` | RFC 4028 session timers: refreshes sent and received, expiry |
//! | `retransmit` | the UAS core's 2xx retransmission until the ACK (TXN-2XX-1) |
//!
//! Identifiers on the wire encode table slots, so lookups are O(1):
//! - a tag is `node << 48 | attempt << 32 | dialog handle` (a new attempt
//!   after a 422 gets a new From tag, erratum 1681);
//! - a Via branch is the client transaction's handle;
//! - a Call-ID is `node << 32 | counter`.

mod refresh;
pub use refresh::ReinviteParam;
mod retransmit;
mod uac;
mod uas;

use crate::engine::SimDuration;
use crate::net::NodeId;
use crate::session_timer::TimerSettings;

use super::action::{Ctx, ForcedAnswer, FreeCause, Record, StEvent, StateId};
use super::dialog::Dialog;
use super::message::{CallRef, Message, Tag};
use super::slab::{Key, Slab, slab_key};
use super::status::StatusCode;
use super::timer::{DialogTimer, TimerId, TimerOwner};
use super::transaction::{ClientEvent, ClientKind, ClientTxnId, Transactions};

use refresh::SessionState;
use retransmit::Pending2xx;
use uas::Callee;

slab_key! {
    /// A dialog of one UA or B2BUA; its packed value is in our tag.
    pub struct DialogId; "dialogs at one node"
}

impl DialogId {
    /// One of this dialog's timers.
    pub fn timer(self, t: DialogTimer) -> TimerId {
        TimerId::Dialog(self, t)
    }

    /// The id the dialog's state has in records.
    fn state_id(self) -> StateId {
        StateId(self.raw())
    }
}

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

/// What the core tells its policy. `L` is the policy's link of a leg (a
/// B2BUA's other leg), handed back when the leg is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreEvent<L> {
    /// An initial INVITE arrived; the dialog is `Early` until answered or rejected.
    Incoming(DialogId),
    /// Our initial INVITE was answered; the dialog is confirmed (and may
    /// already be ending, when the UA rejected the 2xx's timer).
    Answered {
        /// The leg's link.
        link: L,
    },
    /// Our initial INVITE failed; the dialog is gone.
    Failed {
        /// The workload call.
        call: CallRef,
        /// The leg's link.
        link: L,
        /// Final status (408 on timeout).
        status: StatusCode,
    },
    /// A confirmed dialog ended (BYE either way, expiry, failure); it is gone.
    Ended {
        /// The workload call.
        call: CallRef,
        /// The leg's link.
        link: L,
        /// Why it ended; a B2BUA ends the other leg for the same cause.
        cause: FreeCause,
    },
}

/// The side of the call a leg started on.
#[derive(Debug, Clone)]
enum Side {
    /// We sent the initial INVITE.
    Uac {
        /// Its first hop, for retries after 422 or 420.
        first_hop: NodeId,
        /// The caller's plan: hang up this long after the answer.
        hangup_after: Option<SimDuration>,
    },
    /// We received it.
    Uas(Callee),
}

/// One dialog of the core with everything kept for it, each part owned by
/// the module that uses it.
#[derive(Debug, Clone)]
struct Leg<L> {
    dialog: Dialog,
    side: Side,
    /// Our INVITE client transaction in progress (initial or re-INVITE).
    invite_client: Option<ClientTxnId>,
    /// Branch of our latest INVITE, reused by the ACK of its 2xx.
    ack_branch: Option<ClientTxnId>,
    /// The 2xx we retransmit until its ACK arrives.
    pending_2xx: Option<Box<Pending2xx>>,
    /// The session timer.
    session: SessionState,
    /// The policy's link.
    link: L,
}

/// Dialogs and transactions of one UA or B2BUA.
#[derive(Debug, Clone)]
pub struct UaCore<L> {
    me: NodeId,
    cfg: UaConfig,
    legs: Slab<DialogId, Leg<L>>,
    /// Client transactions know the dialog they serve (none for a BYE).
    txns: Transactions<Option<DialogId>>,
    next_call_id: u32,
    /// Events for the policy; drained (last first) after every input.
    pub(crate) events: Vec<CoreEvent<L>>,
}

/// The attempt number of a tag whose rejected INVITE created no dialog.
const NO_DIALOG: u16 = u16::MAX;

impl<L: Copy + Default> UaCore<L> {
    /// An idle core for node `me`.
    pub fn new(me: NodeId, cfg: UaConfig) -> Self {
        let phrases = cfg.base.reason_phrases;
        UaCore {
            me,
            cfg,
            legs: Slab::default(),
            txns: Transactions::with_phrases(phrases),
            next_call_id: 0,
            events: Vec::new(),
        }
    }

    fn tag_of(me: NodeId, d: DialogId, attempt: u16) -> Tag {
        Tag(((me.0 as u64) << 48) | ((attempt as u64) << 32) | d.raw() as u64)
    }

    /// The To tag of a final response that creates no dialog.
    fn dialogless_tag(me: NodeId) -> Tag {
        Tag(((me.0 as u64) << 48) | ((NO_DIALOG as u64) << 32))
    }

    /// The dialog a tag names, if the tag is one of ours for a dialog.
    fn tag_dialog(me: NodeId, tag: Tag) -> Option<DialogId> {
        let ours = (tag.0 >> 48) as u16 == me.0 && (tag.0 >> 32) as u16 != NO_DIALOG;
        ours.then(|| DialogId::from_raw(tag.0 as u32))
    }

    /// The dialog a tag of ours names, if it is live and of this Call-ID.
    fn dialog_of_tag(&self, tag: Tag, call_id: super::message::CallId) -> Option<DialogId> {
        let d = Self::tag_dialog(self.me, tag)?;
        self.legs
            .get(d)
            .is_some_and(|l| l.dialog.call_id == call_id && l.dialog.local_tag == tag)
            .then_some(d)
    }

    /// The dialog a tag of ours names, with its leg: borrows only the
    /// dialog table, so the caller may use the transactions meanwhile.
    fn leg_of_tag(
        legs: &mut Slab<DialogId, Leg<L>>,
        me: NodeId,
        tag: Tag,
        call_id: super::message::CallId,
    ) -> Option<(DialogId, &mut Leg<L>)> {
        let d = Self::tag_dialog(me, tag)?;
        legs.get_mut(d)
            .filter(|l| l.dialog.call_id == call_id && l.dialog.local_tag == tag)
            .map(|l| (d, l))
    }

    fn settings(cfg: &UaConfig, leg: &Leg<L>) -> TimerSettings {
        *cfg.for_peer(leg.dialog.peer)
    }

    /// The response a fault forces on `req`: its status, and the Min-SE and
    /// Retry-After the fault gives.
    fn forced_response(req: &Message, f: ForcedAnswer) -> Message {
        let mut r = req.response(f.status);
        r.timer.min_se = f.min_se;
        r.retry_after_s = f.retry_after_s;
        r
    }

    fn st_record(ctx: &mut Ctx, call: CallRef, event: StEvent) {
        ctx.record(Record::SessionTimer { call, event });
    }

    /// The policy's link of leg `d`.
    pub fn link(&self, d: DialogId) -> Option<L> {
        self.legs.get(d).map(|l| l.link)
    }

    /// Sets the policy's link of leg `d`.
    pub fn set_link(&mut self, d: DialogId, link: L) {
        if let Some(l) = self.legs.get_mut(d) {
            l.link = link;
        }
    }

    /// The workload call and Request-URI of dialog `d`.
    pub fn call_and_target(&self, d: DialogId) -> Option<(CallRef, NodeId)> {
        self.legs.get(d).map(|l| (l.dialog.call, l.dialog.target))
    }

    /// Frees a dialog and its timers; a confirmed one records `StateFreed`.
    fn free_dialog(&mut self, ctx: &mut Ctx, d: DialogId, cause: FreeCause) -> Option<Leg<L>> {
        let leg = self.legs.remove(d)?;
        ctx.clear_timers(TimerOwner::Dialog(d));
        if leg.dialog.is_confirmed() {
            ctx.record(Record::StateFreed {
                call: leg.dialog.call,
                state: d.state_id(),
                cause,
            });
        }
        Some(leg)
    }

    /// Ends a confirmed dialog with BYE; the dialog is gone at once (DLG-3).
    /// A callee whose 2xx is not yet acknowledged sends the BYE only when the
    /// ACK arrives or its 2xx retransmission gives up (DLG-5).
    pub fn hangup(&mut self, ctx: &mut Ctx, d: DialogId, cause: FreeCause) {
        let me = self.me;
        let Some(leg) = self.legs.get_mut(d) else {
            return;
        };
        if !leg.dialog.is_confirmed() {
            return;
        }
        if let Side::Uas(callee) = &mut leg.side
            && callee.awaiting_ack
        {
            callee.deferred_bye.get_or_insert(cause);
            return;
        }
        let call = leg.dialog.call;
        let (mut bye, next) = leg.dialog.request(me, super::message::Method::Bye);
        bye.reason = self
            .cfg
            .for_peer(leg.dialog.peer)
            .bye_reason
            .for_cause(cause);
        self.txns
            .start_client(ctx, bye, next, ClientKind::Uac, None);
        Self::st_record(ctx, call, StEvent::ByeSent(cause));
        self.free_dialog(ctx, d, cause);
    }

    /// Ends dialog `d` with BYE and tells the policy.
    fn end(&mut self, ctx: &mut Ctx, d: DialogId, cause: FreeCause) {
        let Some(leg) = self.legs.get(d) else {
            return;
        };
        if !leg.dialog.is_confirmed() {
            return;
        }
        let (call, link) = (leg.dialog.call, leg.link);
        self.hangup(ctx, d, cause);
        self.events.push(CoreEvent::Ended { call, link, cause });
    }

    /// Handles an incoming message from the previous hop `from`.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Message) {
        if msg.is_request() {
            self.on_request(ctx, from, msg);
        } else {
            self.on_response(ctx, msg);
        }
    }

    /// The request `req` it sent met a fatal transport error (ICMP): its
    /// transaction ends with a local 503.
    pub fn on_transport_error(&mut self, ctx: &mut Ctx, req: &Message) {
        if let Some((id, event)) = self.txns.on_transport_error(ctx, req) {
            self.after_client_event(ctx, id, event);
        }
    }

    fn on_response(&mut self, ctx: &mut Ctx, resp: Message) {
        let Some(via) = resp.via.top() else {
            return;
        };
        if via.node != self.me {
            return;
        }
        match self.txns.on_response(ctx, via.branch, &resp) {
            Some((id, event)) => self.after_client_event(ctx, id, event),
            None => self.on_stray_response(ctx, &resp),
        }
    }

    /// Acts on what a client transaction reported, then frees it if it is done.
    fn after_client_event(&mut self, ctx: &mut Ctx, id: ClientTxnId, event: ClientEvent) {
        let txn = self.txns.clients.get(id).expect("the event came from it");
        let (dialog, method, call) = (txn.tu, txn.request.cseq_method, txn.request.call);
        match (&event, dialog) {
            (ClientEvent::Final(resp), _) => {
                let status = resp.status().expect("response");
                ctx.record(Record::TxnCompleted {
                    call,
                    method,
                    status,
                });
                if let Some(d) = dialog {
                    self.on_final(ctx, d, id, method, Some(resp));
                }
            }
            (ClientEvent::Timeout, _) => {
                ctx.record(Record::TxnTimedOut { call, method });
                if let Some(d) = dialog {
                    self.on_final(ctx, d, id, method, None);
                }
            }
            (ClientEvent::Nothing | ClientEvent::Provisional(_), _) => {}
        }
        self.txns.finish_client(ctx, id);
    }

    /// A final response (`None`: a timeout) to our INVITE or UPDATE in dialog `d`.
    fn on_final(
        &mut self,
        ctx: &mut Ctx,
        d: DialogId,
        txn: ClientTxnId,
        method: super::message::Method,
        resp: Option<&Message>,
    ) {
        use super::dialog::DialogState;
        use super::message::Method;
        let Some(state) = self.legs.get(d).map(|l| l.dialog.state) else {
            return;
        };
        match (method, state, resp) {
            (Method::Invite, DialogState::Calling, Some(r)) => {
                self.on_initial_final(ctx, d, txn, r)
            }
            (Method::Invite, DialogState::Calling, None) => {
                self.on_initial_failed(ctx, d, txn, None)
            }
            (Method::Invite, _, Some(r)) => {
                if r.status().is_some_and(|s| s.is_success()) {
                    self.send_ack(ctx, d, r);
                }
                self.on_refresh_final(ctx, d, txn, method, resp);
            }
            (Method::Invite | Method::Update | Method::Options, _, _) => {
                self.on_refresh_final(ctx, d, txn, method, resp)
            }
            (Method::Ack | Method::Bye, _, _) => {}
        }
    }

    /// Handles one of the core's timers.
    pub fn on_timer(&mut self, ctx: &mut Ctx, id: TimerId) {
        match id {
            TimerId::Client(h, t) => {
                if let Some(event) = self.txns.on_client_timer(ctx, h, t) {
                    self.after_client_event(ctx, h, event);
                }
            }
            TimerId::Server(h, t) => self.txns.on_server_timer(ctx, h, t),
            TimerId::Dialog(d, t) => self.on_dialog_timer(ctx, d, t),
            TimerId::Record(..) => {}
        }
    }

    fn on_dialog_timer(&mut self, ctx: &mut Ctx, d: DialogId, t: DialogTimer) {
        let Some(leg) = self.legs.get(d) else {
            return;
        };
        let call = leg.dialog.call;
        match t {
            DialogTimer::Retransmit2xx | DialogTimer::GiveUp2xx => self.on_retransmit_timer(ctx, d),
            DialogTimer::Hangup => {
                ctx.record(Record::TimerFired {
                    call,
                    kind: super::timer::TimerKind::Dialog(t),
                });
                self.end(ctx, d, FreeCause::Bye);
            }
            DialogTimer::GlareRetry
            | DialogTimer::RetryRefresh
            | DialogTimer::SessionRefresh
            | DialogTimer::SessionExpiry => self.on_session_timer(ctx, d, t),
        }
    }

    /// Drops dialog `d` without a word (its UA died): its timers and its
    /// pending transactions go too. The caller records the loss.
    pub fn forget(&mut self, ctx: &mut Ctx, state: StateId) {
        let d = DialogId::from_raw(state.0);
        let Some(leg) = self.legs.remove(d) else {
            return;
        };
        ctx.clear_timers(TimerOwner::Dialog(d));
        for h in [leg.invite_client, leg.session.refresh_client]
            .into_iter()
            .flatten()
        {
            self.txns.free_client(ctx, h);
        }
        if let Side::Uas(Callee {
            invite: Some(h), ..
        }) = leg.side
        {
            self.txns.free_server(ctx, h);
        }
    }

    /// Live dialogs, client and server transactions (for tests and probes).
    pub fn sizes(&self) -> (usize, usize, usize) {
        let (c, s) = self.txns.sizes();
        (self.legs.len(), c, s)
    }

    /// The dialog of `call`, if one is live (linear: tests and commands only).
    pub fn dialog_of_call(&self, call: CallRef) -> Option<DialogId> {
        self.legs
            .iter()
            .find(|(_, l)| l.dialog.call == call)
            .map(|(d, _)| d)
    }
}
