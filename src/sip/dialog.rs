//! RFC 3261 §12 dialog state, and the requests built inside a dialog.
//!
//! A dialog is identified by its Call-ID and the two tags; it keeps the
//! CSeq counters, the route set and the remote target that in-dialog
//! requests follow. Everything else a UA keeps per call (its INVITE
//! transactions, the 2xx it retransmits, the session timer, the owner's
//! link) lives with the UA core.

use crate::net::NodeId;

use super::message::{CallId, CallRef, HopList, Message, Method, RouteEntry, StartLine, Tag};

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
    /// The workload call it serves (simulator metadata copied onto its messages).
    pub(crate) call: CallRef,
    /// Call-ID: with the tags, identifies the dialog (RFC 3261 §12).
    pub(crate) call_id: CallId,
    /// Our tag.
    pub(crate) local_tag: Tag,
    /// The peer's tag, once known.
    pub(crate) remote_tag: Option<Tag>,
    /// CSeq of our last request.
    pub(crate) local_cseq: u32,
    /// CSeq of the peer's last request.
    pub(crate) remote_cseq: u32,
    /// Proxies to visit, nearest first.
    pub(crate) route_set: HopList<RouteEntry>,
    /// Where in-dialog requests go after the route set (the peer's Contact).
    pub(crate) remote_target: NodeId,
    /// The Request-URI of the initial INVITE (a B2BUA forwards the call there).
    pub(crate) target: NodeId,
    /// The peer UA (the remote URI), whose per-peer settings apply.
    pub(crate) peer: NodeId,
    /// We generated the Call-ID (the GLARE-2 back-off class).
    pub(crate) owns_call_id: bool,
    /// Where it stands: only a confirmed dialog holds state.
    pub(crate) state: DialogState,
}

impl Dialog {
    /// True once established: only then does a UA hold state for it.
    pub fn is_confirmed(&self) -> bool {
        self.state == DialogState::Confirmed
    }

    /// A request of this dialog from `me` (CSeq incremented except for
    /// ACK), and its next hop: the first route, else the remote target.
    /// In-dialog INVITEs and UPDATEs are refreshes (ST-UAC-13); callers
    /// adjust ACK and BYE.
    pub fn request(&mut self, me: NodeId, method: Method) -> (Message, NodeId) {
        if method != Method::Ack {
            self.local_cseq += 1;
        }
        let mut msg = Message::new(
            StartLine::Request {
                method,
                target: self.remote_target,
            },
            self.local_cseq,
            method,
            self.call_id,
            self.local_tag,
            self.remote_tag,
            Some(me),
            self.call,
        );
        *msg.route_mut() = self.route_set;
        msg.refresh = matches!(method, Method::Invite | Method::Update | Method::Options);
        let next = self
            .route_set
            .first()
            .map_or(self.remote_target, |r| r.node);
        (msg, next)
    }
}
