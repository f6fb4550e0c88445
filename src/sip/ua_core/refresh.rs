//! RFC 4028 session timers in the UA core: refreshes sent (re-INVITE or
//! UPDATE, ST-REFRESH-1 to ST-REFRESH-6), refreshes received, and the
//! timers that follow each 2xx (ST-EXPIRE-1, ST-EXPIRE-4).

use crate::engine::SimDuration;
use crate::net::NodeId;
use crate::session_timer::negotiation::{uac_on_2xx, uac_request, uas_decide};
use crate::session_timer::policy::{expiry_delay, refresh_point};
use crate::session_timer::{ExpiryGuard, RefresherEnd};
use crate::session_timer::{Negotiated, Party, RefreshMethod, UacMemory, UasDecision};

use super::super::action::{Ctx, FreeCause, Record, StEvent};
use super::super::message::{HopList, Message, Method, RefresherParam, TimerHeaders};
use super::super::status::StatusCode;
use super::super::timer::{DialogTimer, TimerKind};
use super::super::transaction::{ClientKind, ClientTxnId, ServerTxnId};
use super::{DialogId, UaCore};

/// A dialog's session-timer state.
#[derive(Debug, Clone, Default)]
pub(super) struct SessionState {
    /// What this UA knows and asked for (ST-UAC-17).
    pub(super) mem: UacMemory,
    /// Headers of our last request, for reading its 2xx.
    pub(super) sent: TimerHeaders,
    /// 422s answered with a retry on the current request.
    pub(super) retries_422: u32,
    /// Our refresh transaction in progress (INVITE or UPDATE).
    pub(super) refresh_client: Option<ClientTxnId>,
    /// A refresh waits for an INVITE transaction (GLARE-3, ST-REFRESH-6)
    /// or for a previous refresh to finish.
    deferred: bool,
    /// The peer has sent `Supported: timer` (ST-UAC-19).
    pub(super) peer_supports: bool,
    /// The next refresh hands the refresher role to the peer.
    hand_over: bool,
}

impl SessionState {
    /// The state of a dialog created by an incoming INVITE: what the
    /// request showed of the caller (ST-UAC-17, ST-UAC-19).
    pub(super) fn from_request(req: &TimerHeaders) -> Self {
        SessionState {
            mem: UacMemory {
                learned_min_se: req.min_se,
                ..UacMemory::default()
            },
            peer_supports: req.supported_timer,
            ..SessionState::default()
        }
    }

    /// We sent a request with these session-timer headers.
    pub(super) fn sent_request(&mut self, headers: TimerHeaders) {
        self.sent = headers;
        self.mem.requested_se = headers.session_expires.map(|s| s.delta_s);
    }

    /// A 422 with this Min-SE is answered by a retry (ST-UAC-14, ST-UAC-17).
    pub(super) fn got_422(&mut self, min_se: u32) {
        self.retries_422 += 1;
        self.learn_min_se(min_se);
    }

    /// A Min-SE that binds our later requests (ST-UAC-17).
    fn learn_min_se(&mut self, min_se: u32) {
        self.mem.learned_min_se = Some(self.mem.learned_min_se.unwrap_or(0).max(min_se));
    }
}

impl<L: Copy + Default> UaCore<L> {
    /// Sends a re-INVITE in dialog `d` (a refresh, whatever its purpose:
    /// ST-UAC-13); `hand_over` asks the peer to become the refresher
    /// (ST-UAC-19), if it has shown timer support. Returns whether it went
    /// out now.
    pub fn reinvite(&mut self, ctx: &mut Ctx, d: DialogId, hand_over: bool) -> bool {
        if let Some(leg) = self.legs.get_mut(d) {
            leg.session.hand_over = hand_over && leg.session.peer_supports;
        }
        self.send_refresh(ctx, d, Method::Invite)
    }

    /// The refresh method configured for the peer of dialog `d`.
    fn refresh_method(&self, d: DialogId) -> Option<Method> {
        let leg = self.legs.get(d)?;
        Some(match Self::settings(&self.cfg, leg).refresh_method {
            RefreshMethod::Reinvite => Method::Invite,
            RefreshMethod::Update => Method::Update,
        })
    }

    /// Sends the configured refresh in dialog `d`.
    fn refresh(&mut self, ctx: &mut Ctx, d: DialogId) {
        if let Some(m) = self.refresh_method(d) {
            self.send_refresh(ctx, d, m);
        }
    }

    /// A refresh deferred by a transaction in progress goes out, if any.
    pub(super) fn send_deferred_refresh(&mut self, ctx: &mut Ctx, d: DialogId) {
        if self.legs.get(d).is_some_and(|l| l.session.deferred) {
            self.refresh(ctx, d);
        }
    }

    /// Sends a refresh request (re-INVITE or UPDATE) in dialog `d`. A
    /// re-INVITE waits while an INVITE transaction is in progress (GLARE-3,
    /// ST-REFRESH-6); any refresh waits for a previous one to finish.
    fn send_refresh(&mut self, ctx: &mut Ctx, d: DialogId, method: Method) -> bool {
        let me = self.me;
        let Some(leg) = self.legs.get_mut(d) else {
            return false;
        };
        if !leg.dialog.is_confirmed() {
            return false;
        }
        let st = &mut leg.session;
        let busy = st.refresh_client.is_some()
            || (method == Method::Invite
                && (leg.invite_client.is_some() || leg.pending_2xx.is_some()));
        if busy {
            st.deferred = true;
            return false;
        }
        st.deferred = false;
        let s = *self.cfg.for_peer(leg.dialog.peer);
        let mut headers = uac_request(&s, &st.mem);
        if st.hand_over
            && let Some(se) = headers.session_expires.as_mut()
        {
            se.refresher = Some(RefresherParam::Uas);
        }
        let (mut msg, next) = leg.dialog.request(me, method);
        msg.timer = headers;
        let txn = self
            .txns
            .start_client(ctx, msg, next, ClientKind::Uac, Some(d));
        st.sent_request(headers);
        st.refresh_client = Some(txn);
        st.hand_over = false;
        ctx.record(Record::RefreshSent {
            call: leg.dialog.call,
            method,
        });
        if method == Method::Invite {
            leg.invite_client = Some(txn);
            leg.ack_branch = Some(txn);
        }
        true
    }

    /// Puts `timer` in force on dialog `d` from now (t2xx): the refresher
    /// arms its refresh point, the other side its BYE point; no timer arms
    /// nothing (ST-EXPIRE-4).
    pub(super) fn start_session_timer(
        &mut self,
        ctx: &mut Ctx,
        d: DialogId,
        timer: Option<Negotiated>,
    ) {
        let Some(leg) = self.legs.get_mut(d) else {
            return;
        };
        let s = *self.cfg.for_peer(leg.dialog.peer);
        ctx.cancel_timer(d.timer(DialogTimer::SessionRefresh));
        ctx.cancel_timer(d.timer(DialogTimer::SessionExpiry));
        let event = match timer {
            Some(n) if n.refresher == Party::Local => {
                let refresh =
                    refresh_point(n.interval_s, s.refresh_alert_s, s.refresh_at, s.rounding);
                ctx.set_timer(d.timer(DialogTimer::SessionRefresh), refresh);
                // A refresher that ends the call itself arms its end point
                // too, unless it falls before the refresh (RADVISION skips it).
                let end = match s.refresher_end {
                    RefresherEnd::None => None,
                    RefresherEnd::Guard => Some(s.expiry_guard),
                    RefresherEnd::AtExpiry => Some(ExpiryGuard::AtExpiry),
                }
                .map(|g| expiry_delay(n.interval_s, g, s.rounding))
                .filter(|&end| end > refresh);
                if let Some(end) = end {
                    ctx.set_timer(d.timer(DialogTimer::SessionExpiry), end);
                }
                StEvent::Negotiated {
                    interval_s: n.interval_s,
                    local_refresher: true,
                }
            }
            Some(n) => {
                ctx.set_timer(
                    d.timer(DialogTimer::SessionExpiry),
                    expiry_delay(n.interval_s, s.expiry_guard, s.rounding),
                );
                StEvent::Negotiated {
                    interval_s: n.interval_s,
                    local_refresher: false,
                }
            }
            None => StEvent::NoTimer,
        };
        leg.session.mem.active = timer;
        Self::st_record(ctx, leg.dialog.call, event);
    }

    /// Our refresh (re-INVITE or UPDATE) got a final response, or timed out
    /// (`resp = None`). The 2xx re-runs negotiation and restarts the timers
    /// (ST-REFRESH-1, ST-EXPIRE-4). 408, 481 and timeouts end the dialog with
    /// BYE (ST-REFRESH-4, DLG-1, UPD-3). 422 is retried with the larger
    /// Min-SE (ST-REFRESH-3); 491 after the GLARE-2 back-off (ST-REFRESH-5).
    /// Other codes leave the timers as they were (ST-REFRESH-2).
    pub(super) fn on_refresh_final(
        &mut self,
        ctx: &mut Ctx,
        d: DialogId,
        txn: ClientTxnId,
        resp: Option<&Message>,
    ) {
        let Some(leg) = self.legs.get_mut(d) else {
            return;
        };
        let s = *self.cfg.for_peer(leg.dialog.peer);
        if leg.invite_client == Some(txn) {
            leg.invite_client = None;
        }
        if leg.session.refresh_client == Some(txn) {
            leg.session.refresh_client = None;
        }
        let status = resp.map_or(StatusCode::REQUEST_TIMEOUT, |r| {
            r.status().expect("response")
        });
        let method = if leg.ack_branch == Some(txn) {
            Method::Invite
        } else {
            Method::Update
        };
        let call = leg.dialog.call;
        let st = &mut leg.session;
        match (status.0, resp) {
            (200..=299, Some(r)) => {
                st.retries_422 = 0;
                st.peer_supports |= r.timer.supported_timer;
                let timer = uac_on_2xx(&s, &st.sent, &r.timer);
                self.start_session_timer(ctx, d, timer);
            }
            (408 | 481, _) => {
                self.end(ctx, d, FreeCause::RefreshFailed);
                return;
            }
            (422, _) if st.retries_422 < s.max_422_retries => {
                let min_se = resp.and_then(|r| r.timer.min_se).unwrap_or(s.floor_s);
                st.got_422(min_se);
                Self::st_record(ctx, call, StEvent::Retry422 { min_se });
                self.send_refresh(ctx, d, method);
                return;
            }
            (491, _) => {
                // GLARE-2: retry after the back-off, drawn from this node's stream.
                let steps = if leg.dialog.owns_call_id {
                    rand::RngExt::random_range(ctx.rng, 210..=400u32)
                } else {
                    rand::RngExt::random_range(ctx.rng, 0..=200u32)
                };
                let backoff = SimDuration::from_millis(10 * steps);
                ctx.set_timer(d.timer(DialogTimer::GlareRetry), backoff);
                ctx.record(Record::GlareBackoff { call, backoff });
                return;
            }
            _ => {}
        }
        // A refresh that had to wait for this transaction goes out now.
        self.send_deferred_refresh(ctx, d);
    }

    /// A refresh request from the peer (re-INVITE or UPDATE) on server
    /// transaction `h`: decide as UAS (ST-REFRESH-1), answer, and restart
    /// the timers from our 2xx.
    pub(super) fn on_refresh_request(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        d: DialogId,
        h: ServerTxnId,
        req: &Message,
    ) {
        let me = self.me;
        let Some(leg) = self.legs.get_mut(d) else {
            return;
        };
        leg.session.peer_supports |= req.timer.supported_timer;
        if let Some(m) = req.timer.min_se {
            // ST-UAC-17: a received refresh's Min-SE binds our later requests.
            leg.session.learn_min_se(m);
        }
        let call = leg.dialog.call;
        let s = *self.cfg.for_peer(leg.dialog.peer);
        // A UA without UPDATE answers 501; the refresh it carried is lost
        // on it, so its timers run on as they were (chan_sip).
        if req.method() == Some(Method::Update) && !s.update_supported {
            self.txns
                .respond(ctx, h, req.response(StatusCode::NOT_IMPLEMENTED));
            return;
        }
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
                ok.contact = Some(me);
                ok.timer = headers;
                self.txns.respond(ctx, h, ok.clone());
                if req.method() == Some(Method::Invite) {
                    self.start_2xx_retransmission(ctx, d, ok, from);
                }
                self.start_session_timer(ctx, d, timer);
            }
        }
    }

    /// The refresher's and the non-refresher's timers, and the glare retry.
    pub(super) fn on_session_timer(&mut self, ctx: &mut Ctx, d: DialogId, t: DialogTimer) {
        let Some(call) = self.legs.get(d).map(|l| l.dialog.call) else {
            return;
        };
        match t {
            DialogTimer::GlareRetry => {
                ctx.record(Record::TimerFired {
                    call,
                    kind: TimerKind::Dialog(t),
                });
                self.refresh(ctx, d);
            }
            DialogTimer::SessionRefresh => {
                Self::st_record(ctx, call, StEvent::RefreshDue);
                self.refresh(ctx, d);
            }
            DialogTimer::SessionExpiry => {
                // ST-EXPIRE-1: no refresh arrived; BYE at SI − min(32, SI/3).
                // Or, for a refresher with `refresher_end`, no refresh 2xx.
                Self::st_record(ctx, call, StEvent::Expired);
                self.end(ctx, d, FreeCause::Expiry);
            }
            _ => {}
        }
    }
}
