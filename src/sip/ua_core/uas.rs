//! The UAS side: an incoming initial INVITE (decided at once, answered or
//! rejected when the policy says), and every request inside a dialog.

use crate::net::NodeId;
use crate::session_timer::negotiation::uas_decide;
use crate::session_timer::{Negotiated, UasDecision};

use super::super::action::{Ctx, FreeCause, Record, StEvent};
use super::super::dialog::{Dialog, DialogState};
use super::super::message::{Message, Method, StartLine, TimerHeaders};
use super::super::status::StatusCode;
use super::super::transaction::{Answer, ServerTxnId};
use super::refresh::SessionState;
use super::{CoreEvent, DialogId, Leg, Side, UaCore};

/// What a UAS keeps for the initial INVITE until it answers it, and until
/// its 2xx is acknowledged.
#[derive(Debug, Clone, Default)]
pub(super) struct Callee {
    /// The INVITE's server transaction, while unanswered.
    pub(super) invite: Option<ServerTxnId>,
    /// The 2xx headers and the timer decided when the INVITE arrived.
    answer: Option<Box<(TimerHeaders, Option<Negotiated>)>>,
    /// The 2xx was sent and no ACK has arrived yet: DLG-5 forbids a BYE.
    pub(super) awaiting_ack: bool,
    /// A hang-up asked for while awaiting the ACK, and why: the BYE goes
    /// when the ACK arrives or the 2xx retransmission gives up.
    pub(super) deferred_bye: Option<FreeCause>,
}

impl<L: Copy + Default> UaCore<L> {
    /// Answers the initial INVITE of an `Early` dialog with 200 OK, starts
    /// retransmitting it until the ACK arrives (TXN-2XX-1), and starts the
    /// session timer decided when the INVITE arrived (t2xx = now, ST-UAS-8).
    pub fn answer(&mut self, ctx: &mut Ctx, d: DialogId) {
        let me = self.me;
        let Some(leg) = self.legs.get_mut(d) else {
            return;
        };
        let Side::Uas(callee) = &mut leg.side else {
            return;
        };
        let (headers, timer) = callee
            .answer
            .take()
            .map_or((TimerHeaders::default(), None), |b| *b);
        let Some((h, txn)) = callee
            .invite
            .and_then(|h| Some((h, self.txns.servers.get(h)?)))
        else {
            return;
        };
        let mut ok = txn.response(StatusCode::OK);
        ok.to_tag = Some(leg.dialog.local_tag);
        ok.contact = Some(me);
        ok.timer = headers;
        ok.timer.allow_update = self.cfg.for_peer(leg.dialog.peer).update_supported;
        let peer = txn.peer;
        self.txns.respond(ctx, h, ok.clone());
        callee.invite = None;
        callee.awaiting_ack = true;
        leg.dialog.state = DialogState::Confirmed;
        let call = leg.dialog.call;
        self.start_2xx_retransmission(ctx, d, ok, peer);
        ctx.record(Record::CallAnswered { call });
        ctx.record(Record::StateCreated {
            call,
            state: d.state_id(),
        });
        self.start_session_timer(ctx, d, timer);
    }

    /// Rejects the initial INVITE of an `Early` dialog; the dialog is gone.
    pub fn reject(&mut self, ctx: &mut Ctx, d: DialogId, status: StatusCode) {
        let Some(leg) = self.legs.get(d) else {
            return;
        };
        if let Side::Uas(Callee {
            invite: Some(h), ..
        }) = leg.side
            && let Some(txn) = self.txns.servers.get(h)
        {
            let mut resp = txn.response(status);
            resp.to_tag = Some(leg.dialog.local_tag);
            self.txns.respond(ctx, h, resp);
        }
        self.free_dialog(ctx, d, FreeCause::Bye);
    }

    pub(super) fn on_request(&mut self, ctx: &mut Ctx, from: NodeId, req: Message) {
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
                let resp = req.response(StatusCode::CALL_DOES_NOT_EXIST);
                self.txns.answer(ctx, &req, from, resp);
            }
            return;
        };
        let Some((d, leg)) = Self::leg_of_tag(&mut self.legs, self.me, to_tag, req.call_id) else {
            // DLG-2: no such dialog (e.g. after a reboot).
            let resp = req.response(StatusCode::CALL_DOES_NOT_EXIST);
            self.txns.answer(ctx, &req, from, resp);
            return;
        };
        let h = self.txns.new_server(ctx, &req, from, Answer::Now);
        leg.dialog.remote_cseq = leg.dialog.remote_cseq.max(req.cseq);
        let (call, link) = (leg.dialog.call, leg.link);
        match method {
            Method::Bye => {
                // DLG-4: a BYE for a dialog we have gets 200; the dialog ends.
                self.txns.respond(ctx, h, req.response(StatusCode::OK));
                self.free_dialog(ctx, d, FreeCause::Bye);
                self.events.push(CoreEvent::Ended {
                    call,
                    link,
                    cause: FreeCause::Bye,
                });
            }
            Method::Invite if leg.invite_client.is_some() => {
                // GLARE-1: our own INVITE is pending in this dialog.
                self.txns
                    .respond(ctx, h, req.response(StatusCode::REQUEST_PENDING));
            }
            // UPD-1: an UPDATE is answered at once, from either side, in the
            // dialog. UPD-2's cases cannot arise: a UA answers each UPDATE at
            // once and sends its own one at a time, none with an offer.
            Method::Invite | Method::Update => self.on_refresh_request(ctx, from, d, h, &req),
            // An OPTIONS keep-alive is answered; it refreshes nothing here.
            Method::Options => self.txns.respond(ctx, h, req.response(StatusCode::OK)),
            Method::Ack => unreachable!("handled above"),
        }
    }

    /// An initial INVITE: decide at once (ST-UAS-1 to ST-UAS-6, spec §3),
    /// reject with 422 or 420, or keep an `Early` dialog for the policy.
    fn on_initial_invite(&mut self, ctx: &mut Ctx, from: NodeId, req: &Message) {
        let peer = req.contact.unwrap_or(from);
        let s = *self.cfg.for_peer(peer);
        let call = req.call;
        if let Some(f) = ctx.forced {
            let mut r = Self::forced_response(req, f);
            r.to_tag = Some(Self::dialogless_tag(self.me));
            self.txns.answer(ctx, req, from, r);
            Self::st_record(ctx, call, StEvent::FaultAnswer(f.status));
            return;
        }
        let answer = match uas_decide(&s, &req.timer) {
            UasDecision::Reject422 { min_se } => {
                let mut r = req.response(StatusCode::SESSION_INTERVAL_TOO_SMALL);
                r.timer.min_se = Some(min_se);
                r.to_tag = Some(Self::dialogless_tag(self.me));
                self.txns.answer(ctx, req, from, r);
                Self::st_record(
                    ctx,
                    call,
                    StEvent::Rejected422 {
                        min_se: Some(min_se),
                    },
                );
                return;
            }
            UasDecision::Reject420 => {
                let mut r = req.response(StatusCode::BAD_EXTENSION);
                r.timer.unsupported_timer = true;
                r.to_tag = Some(Self::dialogless_tag(self.me));
                self.txns.answer(ctx, req, from, r);
                Self::st_record(ctx, call, StEvent::Rejected420);
                return;
            }
            UasDecision::Reject421 => {
                let mut r = req.response(StatusCode::EXTENSION_REQUIRED);
                r.timer.require_timer = true;
                r.to_tag = Some(Self::dialogless_tag(self.me));
                self.txns.answer(ctx, req, from, r);
                Self::st_record(ctx, call, StEvent::Rejected421);
                return;
            }
            UasDecision::Accept { headers, timer } => (headers, timer),
        };
        let d = self.legs.next_key();
        let h = self.txns.new_server(ctx, req, from, Answer::Later);
        let StartLine::Request { target, .. } = req.start else {
            unreachable!("a request");
        };
        let leg = Leg {
            dialog: Dialog {
                call,
                call_id: req.call_id,
                local_tag: Self::tag_of(self.me, d, 0),
                remote_tag: Some(req.from_tag),
                local_cseq: 0,
                remote_cseq: req.cseq,
                route_set: req.record_route().reversed(),
                remote_target: peer,
                target,
                peer,
                owns_call_id: false,
                state: DialogState::Early,
            },
            side: Side::Uas(Callee {
                invite: Some(h),
                answer: Some(Box::new(answer)),
                ..Callee::default()
            }),
            invite_client: None,
            ack_branch: None,
            pending_2xx: None,
            session: SessionState::from_request(&req.timer),
            link: L::default(),
        };
        let inserted = self.legs.insert(leg);
        debug_assert_eq!(inserted, d);
        self.events.push(CoreEvent::Incoming(d));
    }
}
