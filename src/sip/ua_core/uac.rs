//! The UAC side of a dialog: the initial INVITE, its retries after 422 and
//! 420, its answer, and the ACK of every 2xx to our INVITEs (TXN-2XX-2).

use crate::engine::SimDuration;
use crate::net::NodeId;
use crate::session_timer::No422MinSe;
use crate::session_timer::negotiation::{uac_on_2xx, uac_rejects_2xx, uac_request};

use super::super::action::{Ctx, FreeCause, Record, StEvent};
use super::super::dialog::{Dialog, DialogState};
use super::super::message::{CallId, CallRef, HopList, Message, Method, StartLine, Via};
use super::super::status::StatusCode;
use super::super::timer::DialogTimer;
use super::super::transaction::{ClientKind, ClientTxnId};
use super::refresh::SessionState;
use super::{CoreEvent, DialogId, Leg, Side, UaCore};

impl<L: Copy + Default> UaCore<L> {
    /// Sends an initial INVITE for `call` toward `target`; the caller hangs
    /// up `hangup_after` the answer, if given. Returns the new dialog, or
    /// `None` when no route leads there.
    pub fn invite(
        &mut self,
        ctx: &mut Ctx,
        call: CallRef,
        target: NodeId,
        hangup_after: Option<SimDuration>,
        link: L,
    ) -> Option<DialogId> {
        let first_hop = ctx.next_hop(target)?;
        let call_id = CallId(((self.me.0 as u64) << 32) | self.next_call_id as u64);
        self.next_call_id = self.next_call_id.wrapping_add(1);
        let d = self.legs.next_key();
        let leg = Leg {
            dialog: Dialog {
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
            },
            side: Side::Uac {
                first_hop,
                hangup_after,
            },
            invite_client: None,
            ack_branch: None,
            pending_2xx: None,
            session: SessionState::default(),
            link,
        };
        let inserted = self.legs.insert(leg);
        debug_assert_eq!(inserted, d);
        self.send_initial_invite(ctx, d);
        Some(d)
    }

    /// The initial INVITE of dialog `d` (first attempt or a retry after 422/420).
    fn send_initial_invite(&mut self, ctx: &mut Ctx, d: DialogId) {
        let me = self.me;
        let leg = self.legs.get_mut(d).expect("the caller holds the dialog");
        let Side::Uac { first_hop, .. } = leg.side else {
            unreachable!("only a UAC sends an initial INVITE");
        };
        let s = Self::settings(&self.cfg, leg);
        let headers = uac_request(&s, &leg.session.mem);
        let dl = &leg.dialog;
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
            Some(me),
            dl.call,
        );
        invite.timer = headers;
        invite.timer.allow_update = s.update_supported;
        let txn = self
            .txns
            .start_client(ctx, invite, first_hop, ClientKind::Uac, Some(d));
        leg.invite_client = Some(txn);
        leg.ack_branch = Some(txn);
        leg.session.sent_request(headers);
    }

    /// A final response to our initial INVITE: a 2xx confirms the dialog,
    /// is ACKed, starts the hang-up plan and the session timer (t2xx =
    /// receipt, ST-UAC-12); anything else fails the attempt.
    pub(super) fn on_initial_final(
        &mut self,
        ctx: &mut Ctx,
        d: DialogId,
        txn: ClientTxnId,
        resp: &Message,
    ) {
        if !resp.status().is_some_and(|s| s.is_success()) {
            self.on_initial_failed(ctx, d, txn, Some(resp));
            return;
        }
        let Some(leg) = self.legs.get_mut(d) else {
            return;
        };
        let s = Self::settings(&self.cfg, leg);
        leg.invite_client = None;
        let link = leg.link;
        leg.session.peer_allows_update |= resp.timer.allow_update;
        let dl = &mut leg.dialog;
        dl.state = DialogState::Confirmed;
        dl.remote_tag = resp.to_tag;
        dl.route_set = *resp.record_route();
        dl.remote_target = resp.contact.unwrap_or(dl.remote_target);
        leg.session.peer_supports |= resp.timer.supported_timer;
        let (call, sent) = (dl.call, leg.session.sent);
        let hangup_after = match leg.side {
            Side::Uac { hangup_after, .. } => hangup_after,
            Side::Uas(_) => None,
        };
        self.send_ack(ctx, d, resp);
        ctx.record(Record::StateCreated {
            call,
            state: d.state_id(),
        });
        if let Some(h) = hangup_after {
            ctx.set_timer(d.timer(DialogTimer::Hangup), h);
        }
        // The policy hears of the answer first (events drain last first),
        // so that a B2BUA answers its other leg before this one ends.
        if uac_rejects_2xx(&s, &resp.timer) {
            Self::st_record(ctx, call, StEvent::Rejected2xx);
            self.end(ctx, d, FreeCause::NegotiationFailed);
        } else {
            let timer = uac_on_2xx(&s, &sent, &resp.timer);
            self.start_session_timer(ctx, d, timer);
        }
        self.events.push(CoreEvent::Answered { link });
    }

    /// The initial INVITE got a non-2xx (or timed out, `resp = None`).
    /// 422 and 420-for-timer are retried as a new INVITE with a new From
    /// tag and CSeq + 1 (ST-UAC-6, ST-UAC-14, ST-UAC-15, erratum 1681),
    /// within `max_422_retries`; anything else fails the call.
    pub(super) fn on_initial_failed(
        &mut self,
        ctx: &mut Ctx,
        d: DialogId,
        txn: ClientTxnId,
        resp: Option<&Message>,
    ) {
        let me = self.me;
        let Some(leg) = self.legs.get_mut(d) else {
            return;
        };
        let s = Self::settings(&self.cfg, leg);
        let status = resp.map_or(StatusCode::REQUEST_TIMEOUT, |r| {
            r.status().expect("response")
        });
        let retry = match (status.0, resp) {
            (422, Some(r))
                if r.timer.min_se.is_none() && s.on_422_without_min_se != No422MinSe::Retry =>
            {
                None
            }
            (422, Some(r)) if leg.session.retries_422 < s.max_422_retries => {
                Some(StEvent::Retry422 {
                    min_se: r.timer.min_se.unwrap_or(s.floor_s),
                })
            }
            (420, Some(r)) if r.timer.unsupported_timer && leg.session.sent.require_timer => {
                Some(StEvent::Retry420)
            }
            _ => None,
        };
        if leg.invite_client == Some(txn) {
            leg.invite_client = None;
        }
        if let Some(event) = retry {
            match event {
                StEvent::Retry422 { min_se } => leg.session.got_422(min_se, s.min_se_from_422),
                _ => leg.session.mem.drop_require = true,
            }
            let dl = &mut leg.dialog;
            let attempt = ((dl.local_tag.0 >> 32) as u16).wrapping_add(1);
            dl.local_cseq += 1;
            dl.local_tag = Self::tag_of(me, d, attempt);
            Self::st_record(ctx, dl.call, event);
            self.send_initial_invite(ctx, d);
            return;
        }
        let Some(leg) = self.free_dialog(ctx, d, FreeCause::Bye) else {
            return;
        };
        let call = leg.dialog.call;
        ctx.record(Record::CallFailed { call, status });
        self.events.push(CoreEvent::Failed {
            call,
            link: leg.link,
            status,
        });
    }

    /// Sends the ACK for `resp`, a 2xx to our INVITE in dialog `d`: end to
    /// end, with the INVITE's branch (TXN-2XX-2).
    pub(super) fn send_ack(&mut self, ctx: &mut Ctx, d: DialogId, resp: &Message) {
        let me = self.me;
        let Some(leg) = self.legs.get_mut(d) else {
            return;
        };
        let Some(branch) = leg.ack_branch else {
            return;
        };
        let (mut ack, next) = leg.dialog.request(me, Method::Ack);
        ack.cseq = resp.cseq;
        // The ACK of a refresh's 2xx is refresh traffic; the 2xx says which it was.
        ack.refresh = resp.refresh;
        ack.via.push(Via {
            node: me,
            branch: branch.branch(),
        });
        ctx.send(next, ack);
    }

    /// A response no transaction claims: a retransmitted 2xx to our INVITE,
    /// which the core ACKs again (TXN-2XX-2).
    pub(super) fn on_stray_response(&mut self, ctx: &mut Ctx, resp: &Message) {
        if resp.cseq_method != Method::Invite || !resp.status().is_some_and(|s| s.is_success()) {
            return;
        }
        let Some(d) = self.dialog_of_tag(resp.from_tag, resp.call_id) else {
            return;
        };
        if self.legs.get(d).is_some_and(|l| l.dialog.is_confirmed()) {
            self.send_ack(ctx, d, resp);
        }
    }
}
