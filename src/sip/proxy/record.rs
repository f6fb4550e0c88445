//! A dialog-stateful proxy's dialog records: reserved when an initial
//! INVITE passes, holding state from its 2xx until a BYE passes, its
//! transaction fails, its session expires (ST-PROXY-13, ST-PROXY-14) or its
//! fallback lifetime ends. The record's handle rides in the proxy's
//! Record-Route cookie, so in-dialog requests find it in O(1).

use std::num::NonZeroU32;

use crate::net::NodeId;

use super::super::action::{Ctx, FreeCause, Record, StEvent, StateId};
use super::super::message::{
    CallId, CallRef, Cookie, HopList, Message, Method, RouteEntry, StartLine, Tag,
};
use super::super::slab::{Key, slab_key};
use super::super::timer::{RecordTimer, TimerId, TimerKind, TimerOwner};
use super::super::transaction::ClientKind;
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

/// A dialog record.
#[derive(Debug, Clone)]
pub(super) struct DialogRecord {
    call: CallRef,
    pub(super) call_id: CallId,
    /// Set once the 2xx passed; before that the record is only reserved.
    pub(super) confirmed: bool,
    caller_tag: Tag,
    caller: End,
    /// The callee's tag, known from the 2xx.
    callee_tag: Option<Tag>,
    callee: End,
    /// Record-Route entries toward the caller and toward the callee, nearest
    /// first; kept only when this proxy may send BYE at expiry.
    routes: Option<Box<(HopList<RouteEntry>, HopList<RouteEntry>)>>,
}

impl DialogRecord {
    /// A record reserved for the initial INVITE `req` from `from`.
    pub(super) fn reserve(req: &Message, from: NodeId) -> Self {
        let caller = req.contact.unwrap_or(from);
        DialogRecord {
            call: req.call,
            call_id: req.call_id,
            confirmed: false,
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
        }
    }

    /// An in-dialog request passed: remember its sender's CSeq.
    pub(super) fn saw_request(&mut self, req: &Message) {
        let end = if req.from_tag == self.caller_tag {
            &mut self.caller
        } else {
            &mut self.callee
        };
        end.cseq = end.cseq.max(req.cseq);
    }
}

impl Proxy {
    /// Frees record `r` and its timers; a confirmed one records `StateFreed`.
    pub(super) fn free_record(&mut self, ctx: &mut Ctx, r: RecordId, cause: FreeCause) {
        if let Some(rec) = self.dialogs.remove(r) {
            ctx.clear_timers(TimerOwner::Record(r));
            if rec.confirmed {
                ctx.record(Record::StateFreed {
                    call: rec.call,
                    state: StateId(r.raw()),
                    cause,
                });
            }
        }
    }

    pub(super) fn is_confirmed(&self, r: RecordId) -> bool {
        self.dialogs.get(r).is_some_and(|d| d.confirmed)
    }

    /// The 2xx to the initial INVITE passed: the record now holds state.
    pub(super) fn confirm_record(&mut self, ctx: &mut Ctx, r: RecordId, resp: &Message) {
        let me = self.me;
        let bye_on_expiry = self.cfg.bye_on_expiry();
        let fallback = self.cfg.fallback_lifetime();
        let Some(rec) = self.dialogs.get_mut(r) else {
            return;
        };
        rec.confirmed = true;
        rec.callee_tag = resp.to_tag;
        rec.callee = End {
            contact: resp.contact.unwrap_or(rec.callee.contact),
            cseq: 0,
        };
        let rr = resp.record_route().as_slice();
        if bye_on_expiry && let Some(k) = rr.iter().position(|e| e.node == me) {
            let up = rr[..k].iter().rev().copied().collect();
            let down = rr[k + 1..].iter().copied().collect();
            rec.routes = Some(Box::new((up, down)));
        }
        ctx.record(Record::StateCreated {
            call: rec.call,
            state: StateId(r.raw()),
        });
        if let Some(life) = fallback {
            ctx.set_timer(r.timer(RecordTimer::Fallback), life);
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
        }
    }

    /// ST-PROXY-14: at expiry the record goes; a proxy configured to also
    /// sends BYE toward both ends (as Kamailio's dialog module can).
    fn on_expiry(&mut self, ctx: &mut Ctx, r: RecordId) {
        let Some(rec) = self.dialogs.get(r) else {
            return;
        };
        let call = rec.call;
        ctx.record(Record::SessionTimer {
            call,
            event: StEvent::Expired,
        });
        if self.cfg.bye_on_expiry() {
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
                    .start_client(ctx, bye, next, ClientKind::Uac, ProxyTu::Own);
            }
            ctx.record(Record::SessionTimer {
                call,
                event: StEvent::ByeSent(FreeCause::Expiry),
            });
        }
        self.free_record(ctx, r, FreeCause::Expiry);
    }
}
