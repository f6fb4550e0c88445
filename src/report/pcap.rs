//! Traced messages as a pcapng capture: Ethernet, IPv4 and UDP around
//! each message's SIP text, stamped with simulated time (nanosecond
//! resolution), one comment per packet naming its hop and its fate.
//!
//! Seen from the network (every message once, as its sender sent it; a
//! lost one too, as a capture at the sender would show it) or from one
//! node (what its interface carried: what it sent, at the send time, and
//! what reached it, at the arrival time).

use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

use etherparse::PacketBuilder;
use pcap_file::DataLink;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};

use super::sip_text::{Parties, render};
use crate::engine::SimTime;
use crate::net::Addresses;
use crate::net::NodeId;
use crate::sim::{TraceEvent, TraceFate};

/// Where the capture is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vantage {
    /// Every message once, at its send time.
    Network,
    /// One node's interface: what it sent and what reached it.
    Node(NodeId),
}

/// One packet: when, between whom, the SIP text, and the comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// Capture time.
    pub t: SimTime,
    /// Sender.
    pub from: NodeId,
    /// Receiver: the sender's next SIP hop.
    pub to: NodeId,
    /// The SIP message as text.
    pub sip: String,
    /// What became of it.
    pub comment: String,
}

/// A locally administered MAC per node: 02:00:00:00:hi:lo.
fn mac(n: NodeId) -> [u8; 6] {
    let [hi, lo] = n.0.to_be_bytes();
    [2, 0, 0, 0, hi, lo]
}

/// The packets of `trace` as seen from `vantage`, in capture order (time,
/// then trace order); `link_name` names a link in a lost packet's comment.
pub fn packets(
    trace: &[TraceEvent],
    addrs: &Addresses,
    vantage: Vantage,
    link_name: impl Fn(crate::net::LinkId) -> String,
) -> Vec<Packet> {
    let mut parties = Parties::default();
    let mut out: Vec<Packet> = Vec::new();
    for e in trace {
        let TraceEvent::Message {
            t,
            from,
            to,
            msg,
            fate,
        } = e
        else {
            continue;
        };
        let sip = render(msg, *from, addrs, &mut parties);
        let hop = format!(
            "call {}: {} -> {}",
            msg.call.0,
            addrs.name(*from),
            addrs.name(*to)
        );
        let resent = if msg.retransmission {
            " (retransmission)"
        } else {
            ""
        };
        let fate_text = match fate {
            TraceFate::Delivered { at } => format!("delivered at {:.6} s", at.as_secs_f64()),
            TraceFate::Lost {
                link: Some(l),
                cause,
            } => format!("LOST on link {} ({})", link_name(*l), cause.name()),
            TraceFate::Lost { link: None, cause } => format!("LOST ({})", cause.name()),
        };
        let sent = Packet {
            t: *t,
            from: *from,
            to: *to,
            sip: sip.clone(),
            comment: format!("{hop}{resent}: sent, {fate_text}"),
        };
        match vantage {
            Vantage::Network => out.push(sent),
            Vantage::Node(n) => {
                if *from == n {
                    out.push(sent);
                }
                if let TraceFate::Delivered { at } = fate
                    && *to == n
                {
                    out.push(Packet {
                        t: *at,
                        from: *from,
                        to: *to,
                        sip,
                        comment: format!(
                            "{hop}{resent}: received (sent at {:.6} s)",
                            t.as_secs_f64()
                        ),
                    });
                }
            }
        }
    }
    out.sort_by_key(|p| p.t);
    out
}

/// Ethernet + IPv4 + UDP around `p`'s SIP text.
fn frame(p: &Packet, addrs: &Addresses) -> Vec<u8> {
    let (src, dst) = (addrs.of(p.from), addrs.of(p.to));
    let builder = PacketBuilder::ethernet2(mac(p.from), mac(p.to))
        .ipv4(src.ip().octets(), dst.ip().octets(), 64)
        .udp(src.port(), dst.port());
    let payload = p.sip.as_bytes();
    let mut out = Vec::with_capacity(builder.size(payload.len()));
    builder
        .write(&mut out, payload)
        .expect("a SIP message fits in one UDP datagram");
    out
}

/// The capture file's bytes: one Ethernet interface with nanosecond
/// timestamps, then one enhanced packet block per packet.
pub fn pcapng_bytes(packets: &[Packet], addrs: &Addresses, interface: &str) -> Vec<u8> {
    let mut w = PcapNgWriter::new(Vec::new()).expect("writing to memory");
    let idb = InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 0,
        options: vec![
            InterfaceDescriptionOption::IfName(Cow::Owned(interface.to_string())),
            // pcap-file writes timestamps in nanoseconds; say so.
            InterfaceDescriptionOption::IfTsResol(9),
        ],
    };
    w.write_pcapng_block(idb).expect("writing to memory");
    for p in packets {
        let data = frame(p, addrs);
        let block = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_nanos(p.t.as_nanos()),
            original_len: data.len() as u32,
            data: Cow::Owned(data),
            options: vec![EnhancedPacketOption::Comment(Cow::Owned(p.comment.clone()))],
        };
        w.write_pcapng_block(block).expect("writing to memory");
    }
    w.into_inner()
}

/// Writes the capture to `path` atomically; returns the packet count.
pub fn write_pcapng(
    path: &Path,
    packets: &[Packet],
    addrs: &Addresses,
    interface: &str,
) -> std::io::Result<usize> {
    let bytes = pcapng_bytes(packets, addrs, interface);
    super::csv::write_atomically(path, |b| {
        b.extend_from_slice(&bytes);
        Ok(())
    })?;
    Ok(packets.len())
}
