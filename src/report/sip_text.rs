//! Simulated messages as SIP text (RFC 3261 §7), for captures that
//! Wireshark and sngrep decode.
//!
//! What the simulator models is written; what it does not is left out
//! rather than invented: no bodies (`Content-Length: 0`), no `CANCEL` in
//! Allow; `Reason` only on the BYEs of products that send one. Each node
//! has one address (see [`Addresses`]); a URI's user part is the node's
//! model id.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::net::{Addresses, NodeId};
use crate::sip::message::{CallId, HopList, Message, Method, RouteEntry, StartLine, Tag};

/// Who the dialog's two ends are, per Call-ID: the sender and target of
/// the first request seen with that Call-ID, and its From tag. Requests in
/// the other direction swap From and To.
#[derive(Debug, Default)]
pub struct Parties {
    by_call: BTreeMap<CallId, (NodeId, NodeId, Tag)>,
}

impl Parties {
    /// The ends of `msg`'s dialog (as From, To), learning them from the
    /// first request of each Call-ID, sent by `from`.
    pub fn ends(&mut self, from: NodeId, msg: &Message) -> (NodeId, NodeId) {
        let (caller, callee, tag) = *self.by_call.entry(msg.call_id).or_insert_with(|| {
            let target = match msg.start {
                StartLine::Request { target, .. } => target,
                StartLine::Response(_) => from,
            };
            (from, target, msg.from_tag)
        });
        if msg.from_tag == tag {
            (caller, callee)
        } else {
            (callee, caller)
        }
    }
}

fn route_lines(out: &mut String, name: &str, hops: &[RouteEntry], a: &Addresses) {
    for h in hops {
        let cookie = h
            .cookie
            .map(|c| format!(";did={:x}", c.0.get()))
            .unwrap_or_default();
        let _ = write!(out, "{name}: <sip:{};lr{cookie}>\r\n", a.host(h.node));
    }
}

fn newest_first(hops: &HopList<RouteEntry>) -> Vec<RouteEntry> {
    hops.as_slice().iter().rev().copied().collect()
}

/// `msg` as SIP text, sent by `from`; `parties` names its dialog's ends.
pub fn render(msg: &Message, from: NodeId, a: &Addresses, parties: &mut Parties) -> String {
    let (from_end, to_end) = parties.ends(from, msg);
    let mut out = String::new();
    let request = match msg.start {
        StartLine::Request { method, target } => {
            let _ = write!(out, "{} {} SIP/2.0\r\n", method.name(), a.uri(target));
            Some(method)
        }
        StartLine::Response(_) => {
            let _ = write!(out, "SIP/2.0 {}\r\n", msg.label());
            None
        }
    };
    for v in msg.via.as_slice().iter().rev() {
        let _ = write!(
            out,
            "Via: SIP/2.0/UDP {};branch=z9hG4bK{:08x}\r\n",
            a.host(v.node),
            v.branch.0
        );
    }
    if request.is_some() {
        // Each hop that forwarded the request took one off (RFC 3261 §16.6).
        let hops = msg.via.len().saturating_sub(1);
        let _ = write!(out, "Max-Forwards: {}\r\n", 70usize.saturating_sub(hops));
    }
    let _ = write!(
        out,
        "From: <{}>;tag={:x}\r\n",
        a.uri(from_end),
        msg.from_tag.0
    );
    let _ = write!(out, "To: <{}>", a.uri(to_end));
    if let Some(t) = msg.to_tag {
        let _ = write!(out, ";tag={:x}", t.0);
    }
    out.push_str("\r\n");
    let _ = write!(out, "Call-ID: {:x}@sstsim\r\n", msg.call_id.0);
    let _ = write!(out, "CSeq: {} {}\r\n", msg.cseq, msg.cseq_method.name());
    if let Some(c) = msg.contact {
        let _ = write!(out, "Contact: <{}>\r\n", a.uri(c));
    }
    route_lines(
        &mut out,
        "Record-Route",
        &newest_first(msg.record_route()),
        a,
    );
    route_lines(&mut out, "Route", msg.route().as_slice(), a);
    let t = &msg.timer;
    let refresh_method = matches!(msg.cseq_method, Method::Invite | Method::Update);
    let success = msg.status().is_some_and(|s| s.is_success());
    if refresh_method && (request.is_some() || success) {
        let _ = write!(
            out,
            "Allow: INVITE, ACK, BYE, OPTIONS{}\r\n",
            if t.allow_update { ", UPDATE" } else { "" }
        );
    }
    if t.supported_timer {
        out.push_str("Supported: timer\r\n");
    }
    if t.require_timer {
        out.push_str("Require: timer\r\n");
    }
    if t.unsupported_timer {
        out.push_str("Unsupported: timer\r\n");
    }
    if let Some(se) = t.session_expires {
        let _ = write!(out, "Session-Expires: {}", se.delta_s);
        if let Some(r) = se.refresher {
            let _ = write!(out, ";refresher={}", r.name());
        }
        out.push_str("\r\n");
    }
    if let Some(m) = t.min_se {
        let _ = write!(out, "Min-SE: {m}\r\n");
    }
    if let Some(r) = msg.retry_after_s {
        let _ = write!(out, "Retry-After: {r}\r\n");
    }
    if let Some(r) = msg.reason {
        let _ = write!(out, "Reason: {}\r\n", r.text());
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{CallRef, Via};
    use crate::sip::status::ByeReason;

    #[test]
    fn a_bye_renders_its_reason_and_the_dialog_ends_swap_for_the_callee() {
        let names: Vec<String> = ["alice", "bob"].iter().map(|s| s.to_string()).collect();
        let a = Addresses::new(&names, &[]);
        let mut parties = Parties::default();
        let (alice, bob) = (NodeId(0), NodeId(1));
        let mut invite = Message::new(
            StartLine::Request {
                method: Method::Invite,
                target: bob,
            },
            1,
            Method::Invite,
            CallId(0x2a),
            Tag(0xa),
            None,
            Some(alice),
            CallRef(0),
        );
        invite.via.push(Via {
            node: alice,
            branch: crate::sip::message::Branch(7),
        });
        let text = render(&invite, alice, &a, &mut parties);
        assert!(text.starts_with("INVITE sip:bob@10.0.0.2:5060 SIP/2.0\r\n"));
        assert!(text.contains("Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK00000007\r\n"));
        assert!(
            text.contains(
                "From: <sip:alice@10.0.0.1:5060>;tag=a\r\nTo: <sip:bob@10.0.0.2:5060>\r\n"
            )
        );
        // bob's BYE: From is bob now, with his tag; the Reason as sofia-sip writes it.
        let mut bye = Message::new(
            StartLine::Request {
                method: Method::Bye,
                target: alice,
            },
            1,
            Method::Bye,
            CallId(0x2a),
            Tag(0xb),
            Some(Tag(0xa)),
            Some(bob),
            CallRef(0),
        );
        bye.reason = Some(ByeReason::SessionTimeout);
        let text = render(&bye, bob, &a, &mut parties);
        assert!(text.contains(
            "From: <sip:bob@10.0.0.2:5060>;tag=b\r\nTo: <sip:alice@10.0.0.1:5060>;tag=a\r\n"
        ));
        assert!(text.contains("Reason: SIP;cause=408;text=\"Session timeout\"\r\n"));
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
    }
}
