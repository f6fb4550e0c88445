//! A dialog-stateful proxy's dialog records: reserved when an initial
//! INVITE passes, holding state from its 2xx until a BYE passes, its
//! transaction fails, its timeout fires (ST-PROXY-13, ST-PROXY-14, or a
//! product's dialog timeout, `DialogPolicy`) or its fallback lifetime
//! ends. The record's handle rides in the proxy's Record-Route cookie, so
//! in-dialog requests find it in O(1).

use std::num::NonZeroU32;

use crate::net::NodeId;

use crate::engine::SimDuration;
use crate::session_timer::ProxyMemo;

use super::super::action::{Ctx, FreeCause, Record, StEvent, StateId};
use super::super::message::{
    CallId, CallRef, Cookie, HopList, Message, Method, RouteEntry, StartLine, Tag,
};
use super::super::slab::{Key, slab_key};
use super::super::timer::{RecordTimer, TimerId, TimerKind, TimerOwner};
use super::super::transaction::ClientKind;
use super::config::{AtExpiry, DialogPolicy, ExpiryFree, Lifetime, OnRefresh, TimeoutRestart};
use super::{Proxy, ProxyTu};

slab_key! {
    /// A dialog record of one proxy; it rides in the proxy's Record-Route cookie.
    pub struct RecordId; "dialog records at one proxy"
}

impl RecordId {
    /// The cookie that names this record in a Record-Route entry.
    pub(super) fn cookie(self) -> Cookie {
        Cookie(NonZeroU32::MIN.saturating_add(self.raw()))
    }

    /// The record a cookie of ours names (it may be stale).
    pub(super) fn of_cookie(c: Cookie) -> Self {
        RecordId::from_raw(c.0.get() - 1)
    }

    fn timer(self, t: RecordTimer) -> TimerId {
        TimerId::Record(self, t)
    }
}

/// One end of a recorded dialog.
#[derive(Debug, Clone, Copy)]
pub(super) struct End {
    /// Its Contact: where a BYE the proxy sends at expiry goes.
    contact: NodeId,
    /// The highest CSeq seen from it.
    cseq: u32,
}

/// Where a record is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Its initial INVITE passed; no 2xx yet, so it holds no state.
    Reserved,
    /// Its 2xx passed: it holds state and runs its timeout.
    Confirmed,
    /// Ended (a BYE passed, or its timeout sent BYEs) but still listed.
    Terminated,
}

/// A dialog record.
#[derive(Debug, Clone)]
pub(super) struct DialogRecord {
    call: CallRef,
    pub(super) call_id: CallId,
    pub(super) phase: Phase,
    caller_tag: Tag,
    caller: End,
    /// The callee's tag, known from the 2xx.
    callee_tag: Option<Tag>,
    callee: End,
    /// Record-Route entries toward the caller and toward the callee, nearest
    /// first; kept only when this proxy may send BYE at expiry.
    routes: Option<Box<(HopList<RouteEntry>, HopList<RouteEntry>)>>,
    /// The initial INVITE's Session-Expires as it arrived.
    invite_se: Option<u32>,
    /// The timeout in force; `None`: none.
    lifetime: Option<SimDuration>,
    /// Its 2xx goes nowhere: the INVITE was forwarded after this proxy's
    /// own 422 (`forward_after_422`).
    pub(super) orphan: bool,
    /// Its own BYE transactions still open after its timeout.
    byes_open: u8,
    /// Why it ended, once terminated.
    ended_by: FreeCause,
}

impl DialogRecord {
    /// A record reserved for the initial INVITE `req` from `from`, whose
    /// Session-Expires arrived as `invite_se`.
    pub(super) fn reserve(req: &Message, from: NodeId, invite_se: Option<u32>) -> Self {
        let caller = req.contact.unwrap_or(from);
        DialogRecord {
            call: req.call,
            call_id: req.call_id,
            phase: Phase::Reserved,
            caller_tag: req.from_tag,
            caller: End {
                contact: caller,
                cseq: req.cseq,
            },
            callee_tag: None,
            callee: End {
                contact: caller,
                cseq: 0,
            },
            routes: None,
            invite_se,
            lifetime: None,
            orphan: false,
            byes_open: 0,
            ended_by: FreeCause::Bye,
        }
    }

    /// An in-dialog request passed: remember its sender's CSeq.
    fn saw_request(&mut self, req: &Message) {
        let end = if req.from_tag == self.caller_tag {
            &mut self.caller
        } else {
            &mut self.callee
        };
        end.cseq = end.cseq.max(req.cseq);
    }
}

/// The timeout a record starts with when its 2xx passes: `se_2xx` is the
/// Session-Expires that 2xx carries upstream, `memo` what a timer-aware
/// proxy remembered of the INVITE.
fn initial_lifetime(
    p: &DialogPolicy,
    invite_se: Option<u32>,
    memo: Option<&ProxyMemo>,
    se_2xx: Option<u32>,
) -> Option<SimDuration> {
    let secs = SimDuration::from_secs;
    match p.lifetime {
        Lifetime::Negotiated => se_2xx.map(secs).or(p.dialog_timeout),
        Lifetime::Interval => match (se_2xx, memo) {
            (Some(_), Some(m)) => Some(secs(m.interval)),
            _ => p.dialog_timeout,
        },
        Lifetime::InviteSe => invite_se.map(secs).or(p.dialog_timeout),
        Lifetime::DialogTimeout => p.dialog_timeout,
    }
}

impl Proxy {
    fn policy(&self) -> DialogPolicy {
        *self
            .cfg
            .dialogs()
            .expect("only a dialog-stateful proxy keeps records")
    }

    /// Frees record `r` and its timers; one that held state records `StateFreed`.
    pub(super) fn free_record(&mut self, ctx: &mut Ctx, r: RecordId, cause: FreeCause) {
        if let Some(rec) = self.dialogs.remove(r) {
            ctx.clear_timers(TimerOwner::Record(r));
            if rec.phase != Phase::Reserved {
                ctx.record(Record::StateFreed {
                    call: rec.call,
                    state: StateId(r.raw()),
                    cause,
                });
            }
        }
    }

    pub(super) fn phase(&self, r: RecordId) -> Option<Phase> {
        self.dialogs.get(r).map(|d| d.phase)
    }

    /// (Re)starts record `r`'s timeout: it fires one lifetime after now,
    /// on the dialog timer's tick grid if it has one.
    fn arm_timeout(&self, ctx: &mut Ctx, r: RecordId, lifetime: SimDuration) {
        let delay = match self.policy().tick {
            Some(tick) if tick > SimDuration::ZERO => {
                let into_tick = ctx.now.as_nanos() % tick.as_nanos();
                SimDuration::from_nanos(lifetime.as_nanos().saturating_sub(into_tick))
            }
            _ => lifetime,
        };
        ctx.set_timer(r.timer(RecordTimer::ProxyExpiry), delay);
    }

    /// The 2xx to the initial INVITE passed: the record now holds state and
    /// starts its timeout. `se_2xx` is the SE that 2xx carries upstream.
    pub(super) fn confirm_record(
        &mut self,
        ctx: &mut Ctx,
        r: RecordId,
        resp: &Message,
        memo: Option<&ProxyMemo>,
        se_2xx: Option<u32>,
    ) {
        let me = self.me;
        let p = self.policy();
        let Some(rec) = self.dialogs.get_mut(r) else {
            return;
        };
        rec.phase = Phase::Confirmed;
        rec.callee_tag = resp.to_tag;
        rec.callee = End {
            contact: resp.contact.unwrap_or(rec.callee.contact),
            cseq: 0,
        };
        let rr = resp.record_route().as_slice();
        if p.at_expiry == AtExpiry::ByeBothEnds
            && let Some(k) = rr.iter().position(|e| e.node == me)
        {
            let up = rr[..k].iter().rev().copied().collect();
            let down = rr[k + 1..].iter().copied().collect();
            rec.routes = Some(Box::new((up, down)));
        }
        let memo = memo.filter(|_| !rec.orphan);
        rec.lifetime = initial_lifetime(&p, rec.invite_se, memo, se_2xx);
        let (call, lifetime) = (rec.call, rec.lifetime);
        ctx.record(Record::StateCreated {
            call,
            state: StateId(r.raw()),
        });
        if let Some(life) = p.fallback_lifetime {
            ctx.set_timer(r.timer(RecordTimer::Fallback), life);
        }
        if let Some(l) = lifetime {
            self.arm_timeout(ctx, r, l);
            Self::record_expiry_set(ctx, call, l);
        }
    }

    fn record_expiry_set(ctx: &mut Ctx, call: CallRef, lifetime: SimDuration) {
        ctx.record(Record::SessionTimer {
            call,
            event: StEvent::ProxyExpirySet {
                interval_s: (lifetime.as_nanos() / 1_000_000_000) as u32,
            },
        });
    }

    /// An in-dialog request other than BYE passed record `r`: remember its
    /// CSeq; a request-restarted timeout starts over, with the request's SE
    /// when the lifetime follows the INVITE's SE and refreshes adopt it.
    pub(super) fn relayed_request(&mut self, ctx: &mut Ctx, r: RecordId, req: &Message) {
        let p = self.policy();
        let Some(rec) = self.dialogs.get_mut(r) else {
            return;
        };
        rec.saw_request(req);
        if rec.phase != Phase::Confirmed || p.restart != TimeoutRestart::InDialogRequest {
            return;
        }
        if p.lifetime == Lifetime::InviteSe
            && p.on_refresh == OnRefresh::Adopt
            && let Some(se) = req.timer.session_expires
        {
            rec.lifetime = Some(SimDuration::from_secs(se.delta_s));
        }
        if let Some(l) = rec.lifetime {
            self.arm_timeout(ctx, r, l);
        }
    }

    /// The 2xx to an in-dialog refresh passed record `r`, carrying `se_2xx`
    /// upstream: a refresh may change the lifetime, and a 2xx-restarted
    /// timeout starts over (ST-PROXY-13).
    pub(super) fn refresh_2xx(
        &mut self,
        ctx: &mut Ctx,
        r: RecordId,
        memo: Option<&ProxyMemo>,
        se_2xx: Option<u32>,
    ) {
        let p = self.policy();
        let Some(rec) = self.dialogs.get_mut(r) else {
            return;
        };
        if rec.phase != Phase::Confirmed {
            return;
        }
        if p.on_refresh == OnRefresh::Adopt
            && let Some(se) = se_2xx
        {
            match (p.lifetime, memo) {
                (Lifetime::Negotiated, _) => rec.lifetime = Some(SimDuration::from_secs(se)),
                (Lifetime::Interval, Some(m)) => {
                    rec.lifetime = Some(SimDuration::from_secs(m.interval))
                }
                _ => {}
            }
        }
        let call = rec.call;
        if p.restart == TimeoutRestart::Refresh2xx
            && se_2xx.is_some()
            && let Some(l) = rec.lifetime
        {
            self.arm_timeout(ctx, r, l);
            Self::record_expiry_set(ctx, call, l);
        }
    }

    /// A UA's BYE passed record `r`: it is freed now, or stays listed as
    /// terminated for the linger.
    pub(super) fn bye_passed(&mut self, ctx: &mut Ctx, r: RecordId) {
        let linger = self.policy().linger;
        match self.phase(r) {
            Some(Phase::Confirmed) if linger > SimDuration::ZERO => {
                self.terminate(ctx, r, FreeCause::Bye);
                ctx.set_timer(r.timer(RecordTimer::Linger), linger);
            }
            Some(Phase::Terminated) | None => {}
            Some(_) => self.free_record(ctx, r, FreeCause::Bye),
        }
    }

    /// Marks record `r` terminated for `cause`; its timeouts stop.
    fn terminate(&mut self, ctx: &mut Ctx, r: RecordId, cause: FreeCause) {
        if let Some(rec) = self.dialogs.get_mut(r) {
            rec.phase = Phase::Terminated;
            rec.ended_by = cause;
            ctx.clear_timers(TimerOwner::Record(r));
        }
    }

    /// One of the BYEs record `r`'s timeout sent got its final response
    /// (a timeout counts): Kamailio frees the record at the first.
    pub(super) fn own_bye_answered(&mut self, ctx: &mut Ctx, r: RecordId) {
        if self.policy().expiry_free == ExpiryFree::FirstFinal {
            self.free_record(ctx, r, FreeCause::Expiry);
        }
    }

    /// One of the BYE transactions record `r`'s timeout sent has ended:
    /// after the last, OpenSIPS keeps the record for the linger.
    pub(super) fn own_bye_ended(&mut self, ctx: &mut Ctx, r: RecordId) {
        let p = self.policy();
        if p.expiry_free != ExpiryFree::TransactionsEnd {
            return;
        }
        let Some(rec) = self.dialogs.get_mut(r) else {
            return;
        };
        rec.byes_open = rec.byes_open.saturating_sub(1);
        if rec.byes_open == 0 {
            if p.linger > SimDuration::ZERO {
                ctx.set_timer(r.timer(RecordTimer::Linger), p.linger);
            } else {
                self.free_record(ctx, r, FreeCause::Expiry);
            }
        }
    }

    /// A record's timer.
    pub(super) fn on_record_timer(&mut self, ctx: &mut Ctx, r: RecordId, t: RecordTimer) {
        match t {
            RecordTimer::Fallback => {
                if let Some(rec) = self.dialogs.get(r) {
                    ctx.record(Record::TimerFired {
                        call: rec.call,
                        kind: TimerKind::Record(t),
                    });
                    self.free_record(ctx, r, FreeCause::FallbackLifetime);
                }
            }
            RecordTimer::ProxyExpiry => self.on_expiry(ctx, r),
            RecordTimer::Linger => {
                if let Some(rec) = self.dialogs.get(r) {
                    let cause = rec.ended_by;
                    self.free_record(ctx, r, cause);
                }
            }
        }
    }

    /// ST-PROXY-14: at expiry the record goes; a proxy configured to also
    /// sends BYE toward both ends (Kamailio `send_bye`, OpenSIPS flag B),
    /// and then frees the record as its `expiry_free` says.
    fn on_expiry(&mut self, ctx: &mut Ctx, r: RecordId) {
        let p = self.policy();
        let Some(rec) = self.dialogs.get(r) else {
            return;
        };
        if rec.phase != Phase::Confirmed {
            return;
        }
        let call = rec.call;
        ctx.record(Record::SessionTimer {
            call,
            event: StEvent::Expired,
        });
        if p.at_expiry == AtExpiry::Drop {
            self.free_record(ctx, r, FreeCause::Expiry);
            return;
        }
        let rec = rec.clone();
        let (route_up, route_down) = rec.routes.as_deref().copied().unwrap_or_default();
        let legs = [
            // Toward the callee, as if from the caller.
            (
                rec.callee.contact,
                rec.caller_tag,
                rec.callee_tag,
                rec.caller.cseq + 1,
                route_down,
            ),
            // Toward the caller, as if from the callee.
            (
                rec.caller.contact,
                rec.callee_tag.unwrap_or(Tag(0)),
                Some(rec.caller_tag),
                rec.callee.cseq + 1,
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
            self.txns
                .start_client(ctx, bye, next, ClientKind::Uac, ProxyTu::Own { record: r });
        }
        ctx.record(Record::SessionTimer {
            call,
            event: StEvent::ByeSent(FreeCause::Expiry),
        });
        match p.expiry_free {
            ExpiryFree::AtExpiry => self.free_record(ctx, r, FreeCause::Expiry),
            ExpiryFree::FirstFinal | ExpiryFree::TransactionsEnd => {
                self.terminate(ctx, r, FreeCause::Expiry);
                if let Some(rec) = self.dialogs.get_mut(r) {
                    rec.byes_open = legs.len() as u8;
                }
            }
        }
    }
}
