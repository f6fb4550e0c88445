//! The UAS core's 2xx retransmission (TXN-2XX-1): the INVITE server
//! transaction ends when it sends a 2xx, so the core itself resends the 2xx
//! (T1 doubling to T2) until the ACK arrives, and ends the session with BYE
//! if none has arrived 64·T1 after the first 2xx.

use crate::engine::{SimDuration, SimTime};
use crate::net::NodeId;

use super::super::action::{Ctx, FreeCause, Record};
use super::super::message::Message;
use super::super::timer::{DialogTimer, TimerKind};
use super::{DialogId, Side, UaCore};

/// A 2xx being retransmitted until its ACK arrives.
#[derive(Debug, Clone)]
pub(super) struct Pending2xx {
    /// The 2xx.
    msg: Message,
    /// The previous hop of the INVITE it answers.
    to: NodeId,
    /// Current retransmission interval.
    interval: SimDuration,
    /// When retransmission gives up (first 2xx + 64·T1).
    until: SimTime,
}

impl<L: Copy + Default> UaCore<L> {
    /// `ok`, just sent to `to`, is retransmitted until its ACK arrives.
    pub(super) fn start_2xx_retransmission(
        &mut self,
        ctx: &mut Ctx,
        d: DialogId,
        ok: Message,
        to: NodeId,
    ) {
        let Some(leg) = self.legs.get_mut(d) else {
            return;
        };
        leg.pending_2xx = Some(Box::new(Pending2xx {
            msg: ok,
            to,
            interval: ctx.timers.t1,
            until: ctx.now + ctx.timers.t1x64(),
        }));
        ctx.set_timer(d.timer(DialogTimer::Retransmit2xx), ctx.timers.t1);
    }

    /// The retransmission timer: resend, or give up at 64·T1 and end the
    /// session with BYE (TXN-2XX-1).
    pub(super) fn on_retransmit_timer(&mut self, ctx: &mut Ctx, d: DialogId) {
        let Some(leg) = self.legs.get_mut(d) else {
            return;
        };
        let call = leg.dialog.call;
        let Some(p) = leg.pending_2xx.as_deref_mut() else {
            return;
        };
        if ctx.now >= p.until {
            leg.pending_2xx = None;
            ctx.record(Record::TimerFired {
                call,
                kind: TimerKind::Dialog(DialogTimer::GiveUp2xx),
            });
            // No ACK within 64·T1: a BYE is allowed now (DLG-5). A hang-up
            // that waited for the ACK goes out; otherwise the UAS ends the
            // session itself (TXN-2XX-1).
            match Self::ack_awaited(&mut leg.side) {
                Some(cause) => self.hangup(ctx, d, cause),
                None => self.end(ctx, d, FreeCause::TransactionTimeout),
            }
            return;
        }
        ctx.send(p.to, p.msg.resent());
        p.interval = (p.interval * 2).min(ctx.timers.t2);
        let left = p.until - ctx.now;
        ctx.set_timer(d.timer(DialogTimer::Retransmit2xx), p.interval.min(left));
    }

    /// An ACK arrived outside any server transaction: if it acknowledges the
    /// pending 2xx, retransmission stops and a deferred refresh may go.
    pub(super) fn on_ack(&mut self, ctx: &mut Ctx, ack: &Message) {
        let Some(tag) = ack.to_tag else {
            return;
        };
        let Some((d, leg)) = Self::leg_of_tag(&mut self.legs, self.me, tag, ack.call_id) else {
            return;
        };
        if leg
            .pending_2xx
            .as_ref()
            .is_some_and(|p| p.msg.cseq == ack.cseq)
        {
            leg.pending_2xx = None;
            ctx.cancel_timer(d.timer(DialogTimer::Retransmit2xx));
            if let Some(cause) = Self::ack_awaited(&mut leg.side) {
                // DLG-5: the hang-up that waited for this ACK.
                self.hangup(ctx, d, cause);
                return;
            }
            self.send_deferred_refresh(ctx, d);
        }
    }

    /// The callee's wait for the ACK of its 2xx is over; returns the
    /// hang-up that waited for it, if any.
    fn ack_awaited(side: &mut Side) -> Option<FreeCause> {
        match side {
            Side::Uas(callee) => {
                callee.awaiting_ack = false;
                callee.deferred_bye.take()
            }
            Side::Uac { .. } => None,
        }
    }
}
