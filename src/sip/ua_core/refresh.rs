//! RFC 4028 session timers in the UA core: refreshes sent (re-INVITE or
//! UPDATE, ST-REFRESH-1 to ST-REFRESH-6), refreshes received, and the
//! timers that follow each 2xx (ST-EXPIRE-1, ST-EXPIRE-4).

use crate::engine::SimDuration;
use crate::net::NodeId;
use crate::session_timer::negotiation::{
    RFC_MIN_SE, keep_roles, uac_on_2xx, uac_request, uas_decide,
};
use crate::session_timer::policy::{expiry_delay, jittered, refresh_point};
use crate::session_timer::{
    ExpiryGuard, ExpiryRestart, MinSeFrom422, No422MinSe, RefreshHeaders, RefreshRetry,
    RefreshTimeout, RefresherEnd, Rounding, UnnamedRefresher,
};
use crate::session_timer::{Negotiated, Party, RefreshMethod, UacMemory, UasDecision};

use super::super::action::{Ctx, FreeCause, Record, StEvent};
use super::super::message::{HopList, Message, Method, RefresherParam, TimerHeaders};
use super::super::status::StatusCode;
use super::super::timer::{DialogTimer, TimerKind};
use super::super::transaction::{ClientKind, ClientTxnId, ServerTxnId};
use super::{CoreEvent, DialogId, UaCore};

/// The `refresher` parameter of a re-INVITE sent for another purpose
/// (hold, codec change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReinviteParam {
    /// Names the current refresher (ST-UAC-18, ST-UAC-19).
    #[default]
    Current,
    /// None: the UAS chooses (RFC 4028 Table 2) or keeps the roles (PJSIP),
    /// per its `refresher_without_param`.
    None,
    /// `refresher=uas`: hand the role to the peer (ST-UAC-19 \[MAY\]),
    /// if it has shown timer support.
    HandOver,
}

crate::keyword::keywords!(ReinviteParam {
    "current" => ReinviteParam::Current,
    "none" => ReinviteParam::None,
    "hand_over" => ReinviteParam::HandOver,
});

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
    /// The peer has listed UPDATE in `Allow` (RFC 4028 §7.4).
    pub(super) peer_allows_update: bool,
    /// The `refresher` parameter of the next request (a re-INVITE for
    /// another purpose may omit it or hand the role over).
    param: ReinviteParam,
    /// The delay of the refresh timer last armed (`refresh_retry`).
    refresh_delay: SimDuration,
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
            peer_allows_update: req.allow_update,
            ..SessionState::default()
        }
    }

    /// We sent a request with these session-timer headers.
    pub(super) fn sent_request(&mut self, headers: TimerHeaders) {
        self.sent = headers;
        self.mem.after_422 = false;
        self.mem.requested_se = headers.session_expires.map(|s| s.delta_s);
    }

    /// A 422 with this Min-SE is answered by a retry (ST-UAC-14,
    /// ST-UAC-17): the Min-SE to honour is the largest seen, or the last
    /// (chan_sip).
    pub(super) fn got_422(&mut self, min_se: u32, from: MinSeFrom422) {
        self.retries_422 += 1;
        self.mem.after_422 = true;
        match from {
            MinSeFrom422::Largest => self.learn_min_se(min_se),
            MinSeFrom422::Last => self.mem.learned_min_se = Some(min_se),
        }
    }

    /// A Min-SE that binds our later requests (ST-UAC-17).
    fn learn_min_se(&mut self, min_se: u32) {
        self.mem.learned_min_se = Some(self.mem.learned_min_se.unwrap_or(0).max(min_se));
    }
}

impl<L: Copy + Default> UaCore<L> {
    /// Sends a re-INVITE in dialog `d` (a refresh, whatever its purpose:
    /// ST-UAC-13) with this `refresher` parameter; a hand-over (ST-UAC-19)
    /// only toward a peer that has shown timer support. Returns whether it
    /// went out now.
    pub fn reinvite(&mut self, ctx: &mut Ctx, d: DialogId, param: ReinviteParam) -> bool {
        if let Some(leg) = self.legs.get_mut(d) {
            leg.session.param = match param {
                ReinviteParam::HandOver if !leg.session.peer_supports => ReinviteParam::Current,
                p => p,
            };
        }
        self.send_refresh(ctx, d, Method::Invite)
    }

    /// The refresh method configured for the peer of dialog `d`.
    fn refresh_method(&self, d: DialogId) -> Option<Method> {
        let leg = self.legs.get(d)?;
        let s = Self::settings(&self.cfg, leg);
        if s.options_to_unsupported && !leg.session.peer_supports {
            return Some(Method::Options);
        }
        Some(match s.refresh_method {
            RefreshMethod::Reinvite => Method::Invite,
            RefreshMethod::Update => Method::Update,
            RefreshMethod::UpdateIfAllowed if leg.session.peer_allows_update => Method::Update,
            RefreshMethod::UpdateIfAllowed => Method::Invite,
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
        // chan_sip sends plain re-INVITEs to a peer that never showed support.
        if s.refresh_headers == RefreshHeaders::IfPeerSupports && !st.peer_supports {
            headers = TimerHeaders {
                supported_timer: headers.supported_timer,
                ..TimerHeaders::default()
            };
        }
        if let Some(se) = headers.session_expires.as_mut() {
            match st.param {
                ReinviteParam::Current => {}
                ReinviteParam::None => se.refresher = None,
                ReinviteParam::HandOver => se.refresher = Some(RefresherParam::Uas),
            }
        }
        let (mut msg, next) = leg.dialog.request(me, method);
        msg.timer = headers;
        msg.timer.allow_update = s.update_supported;
        let txn = self
            .txns
            .start_client(ctx, msg, next, ClientKind::Uac, Some(d));
        st.sent_request(headers);
        st.refresh_client = Some(txn);
        st.param = ReinviteParam::Current;
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
        // reSIProcate runs no timer below 90 s (`timer_off_below_s`).
        let timer = timer.filter(|n| s.timer_off_below_s.is_none_or(|m| n.interval_s >= m));
        let event = match timer {
            Some(n) if n.refresher == Party::Local => {
                let mut refresh =
                    refresh_point(n.interval_s, s.refresh_alert_s, s.refresh_at, s.rounding);
                if s.refresh_jitter_s > 0 && n.interval_s >= RFC_MIN_SE {
                    // sofia-sip draws the point in [SE/2 − 5, SE/2 + 5] s.
                    let unit = match s.rounding {
                        Rounding::Seconds => SimDuration::from_secs(1),
                        Rounding::Exact | Rounding::Millis => SimDuration::from_millis(1),
                    };
                    let steps = (SimDuration::from_secs(s.refresh_jitter_s).as_nanos()
                        / unit.as_nanos()) as u32;
                    let k = rand::RngExt::random_range(ctx.rng, 0..=2 * steps);
                    refresh = jittered(refresh, k, steps, unit);
                }
                leg.session.refresh_delay = refresh;
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
        method: Method,
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
        let call = leg.dialog.call;
        let st = &mut leg.session;
        match (status.0, resp) {
            (200..=299, Some(r)) => {
                st.retries_422 = 0;
                st.peer_supports |= r.timer.supported_timer;
                st.peer_allows_update |= r.timer.allow_update;
                // chan_sip keeps refreshing when a refresh 2xx has no SE; an
                // OPTIONS keep-alive's 2xx renews the timer as it is.
                let keep = (s.keep_timer_on_plain_2xx && r.timer.session_expires.is_none())
                    || method == Method::Options;
                let timer = match st.mem.active {
                    Some(active) if keep => Some(active),
                    _ => uac_on_2xx(&s, &st.sent, &r.timer),
                };
                self.start_session_timer(ctx, d, timer);
            }
            // chan_sip drops a dialog whose refresh went unanswered
            // without a word (`retrans_pkt`): no BYE to anyone on that leg.
            (408, None) if s.refresh_timeout == RefreshTimeout::Local => {
                Self::st_record(ctx, call, StEvent::DroppedSilently);
                let link = leg.link;
                self.free_dialog(ctx, d, FreeCause::RefreshFailed);
                self.events.push(CoreEvent::Ended {
                    call,
                    link,
                    cause: FreeCause::RefreshFailed,
                });
                return;
            }
            (408 | 481, _) => {
                self.end(ctx, d, FreeCause::RefreshFailed);
                return;
            }
            // A 422 without Min-SE: PJSIP ends the session; chan_sip and
            // the RFC give up on this refresh (the timers run on).
            (422, Some(r))
                if r.timer.min_se.is_none() && s.on_422_without_min_se == No422MinSe::End =>
            {
                self.end(ctx, d, FreeCause::NegotiationFailed);
                return;
            }
            (422, Some(r))
                if r.timer.min_se.is_none() && s.on_422_without_min_se == No422MinSe::GiveUp => {}
            (422, _) if st.retries_422 < s.max_422_retries => {
                let min_se = resp.and_then(|r| r.timer.min_se).unwrap_or(s.floor_s);
                st.got_422(min_se, s.min_se_from_422);
                Self::st_record(ctx, call, StEvent::Retry422 { min_se });
                self.send_refresh(ctx, d, method);
                return;
            }
            (503, Some(r)) if s.retry_after_503_s.is_some() => {
                let after_s = r.retry_after_s.or(s.retry_after_503_s).unwrap_or(0);
                ctx.set_timer(
                    d.timer(DialogTimer::RetryRefresh),
                    SimDuration::from_secs(after_s),
                );
                Self::st_record(ctx, call, StEvent::Retry503 { after_s });
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
        leg.session.peer_allows_update |= req.timer.allow_update;
        if let Some(m) = req.timer.min_se {
            // ST-UAC-17: a received refresh's Min-SE binds our later requests.
            leg.session.learn_min_se(m);
        }
        let call = leg.dialog.call;
        let s = *self.cfg.for_peer(leg.dialog.peer);
        // chan_sip re-arms its timers when a re-INVITE arrives, whatever
        // the answer (`handle_request_invite`).
        let active = leg.session.mem.active;
        if s.expiry_restart == ExpiryRestart::Request
            && req.method() == Some(Method::Invite)
            && active.is_some()
        {
            self.start_session_timer(ctx, d, active);
        }
        if let Some(f) = ctx.forced {
            self.txns.respond(ctx, h, Self::forced_response(req, f));
            Self::st_record(ctx, call, StEvent::FaultAnswer(f.status));
            return;
        }
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
                Self::st_record(
                    ctx,
                    call,
                    StEvent::Rejected422 {
                        min_se: Some(min_se),
                    },
                );
            }
            UasDecision::Reject420 => {
                let mut r = req.response(StatusCode::BAD_EXTENSION);
                r.timer.unsupported_timer = true;
                self.txns.respond(ctx, h, r);
                Self::st_record(ctx, call, StEvent::Rejected420);
            }
            UasDecision::Reject421 => {
                let mut r = req.response(StatusCode::EXTENSION_REQUIRED);
                r.timer.require_timer = true;
                self.txns.respond(ctx, h, r);
                Self::st_record(ctx, call, StEvent::Rejected421);
            }
            UasDecision::Accept {
                mut headers,
                mut timer,
            } => {
                let unnamed = req
                    .timer
                    .session_expires
                    .is_some_and(|se| se.refresher.is_none());
                if unnamed && s.refresher_without_param == UnnamedRefresher::Keep {
                    keep_roles(&mut headers, &mut timer, active);
                }
                let mut ok = req.response(StatusCode::OK);
                *ok.record_route_mut() = HopList::default();
                ok.contact = Some(me);
                ok.timer = headers;
                ok.timer.allow_update = s.update_supported;
                self.txns.respond(ctx, h, ok.clone());
                if req.method() == Some(Method::Invite) {
                    self.start_2xx_retransmission(ctx, d, ok, from);
                }
                self.start_session_timer(ctx, d, timer);
            }
        }
    }

    /// With `refresh_retry`, the refresh fires again until a 2xx restarts
    /// the timers: after the same delay (chan_sip) or after half the last
    /// one while that exceeds 32 s (reSIProcate).
    fn rearm_refresh(&mut self, ctx: &mut Ctx, d: DialogId) {
        let Some(leg) = self.legs.get_mut(d) else {
            return;
        };
        let last = leg.session.refresh_delay;
        let next = match self.cfg.for_peer(leg.dialog.peer).refresh_retry {
            RefreshRetry::None => return,
            RefreshRetry::Repeat => last,
            RefreshRetry::Halving if last / 2 > SimDuration::from_secs(32) => last / 2,
            RefreshRetry::Halving => return,
        };
        if next == SimDuration::ZERO {
            return;
        }
        leg.session.refresh_delay = next;
        ctx.set_timer(d.timer(DialogTimer::SessionRefresh), next);
    }

    /// The refresher's and the non-refresher's timers, and the glare retry.
    pub(super) fn on_session_timer(&mut self, ctx: &mut Ctx, d: DialogId, t: DialogTimer) {
        let Some(call) = self.legs.get(d).map(|l| l.dialog.call) else {
            return;
        };
        match t {
            DialogTimer::GlareRetry | DialogTimer::RetryRefresh => {
                ctx.record(Record::TimerFired {
                    call,
                    kind: TimerKind::Dialog(t),
                });
                self.refresh(ctx, d);
            }
            DialogTimer::SessionRefresh => {
                Self::st_record(ctx, call, StEvent::RefreshDue);
                self.refresh(ctx, d);
                self.rearm_refresh(ctx, d);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_honours_the_largest_or_the_last_min_se_of_the_422s() {
        // Two 422s, Min-SE 300 then 200 (a later element with a lower
        // minimum): ST-UAC-17 keeps the largest, chan_sip the last.
        for (from, want) in [(MinSeFrom422::Largest, 300), (MinSeFrom422::Last, 200)] {
            let mut st = SessionState::default();
            st.got_422(300, from);
            st.got_422(200, from);
            assert_eq!(st.mem.learned_min_se, Some(want));
            assert_eq!(st.retries_422, 2);
            assert!(st.mem.after_422);
            st.sent_request(TimerHeaders::default());
            assert!(!st.mem.after_422);
        }
    }
}
