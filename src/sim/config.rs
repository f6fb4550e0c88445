//! What a world is built from: its nodes (kind and settings), links, SIP
//! timers, workload and faults, as the scenario reader validated them.

use crate::net::{LinkConfig, NatBinding};
use crate::sip::proxy::ProxyConfig;
use crate::sip::ua_core::UaConfig;
use crate::sip::{SipOverrides, SipTimers};

use super::faults::FaultSpec;
use super::probes::NodeClass;
use super::workload::WorkloadSpec;

/// What kind of SIP element a node is.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A user agent.
    Ua(UaConfig),
    /// A proxy.
    Proxy(ProxyConfig),
    /// A B2BUA.
    B2bua(UaConfig),
}

impl NodeKind {
    /// True for the kinds that end calls themselves (UAs and B2BUAs): when
    /// one crashes, the calls it holds state for are dead.
    pub fn is_endpoint(&self) -> bool {
        matches!(self, NodeKind::Ua(_) | NodeKind::B2bua(_))
    }
}

/// A node of the model.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSpec {
    /// Its id in the model file (stream names and traces use it).
    pub name: String,
    /// Its kind and settings.
    pub kind: NodeKind,
    /// Its own transaction timers over `[sip]`.
    pub sip: SipOverrides,
    /// A NAT between it and the network, if any.
    pub nat: Option<NatBinding>,
    /// Its address in captures (`address`), if not the default.
    pub address: Option<std::net::SocketAddrV4>,
}

/// Everything a world is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldConfig {
    /// Nodes; `NodeId(i)` is `nodes[i]`.
    pub nodes: Vec<NodeSpec>,
    /// Links; `LinkId(i)` is `links[i]`.
    pub links: Vec<LinkConfig>,
    /// RFC 3261 timers.
    pub sip: SipTimers,
    /// The calls to place.
    pub workload: WorkloadSpec,
    /// Scheduled faults.
    pub faults: Vec<FaultSpec>,
}

/// The metrics class of a node kind.
pub fn class_of(kind: &NodeKind) -> NodeClass {
    match kind {
        NodeKind::Ua(_) => NodeClass::Ua,
        NodeKind::B2bua(_) => NodeClass::B2bua,
        NodeKind::Proxy(p) if p.timers().is_some() => NodeClass::ProxyTimer,
        NodeKind::Proxy(_) => NodeClass::ProxyPlain,
    }
}

pub(super) fn classes(nodes: &[NodeSpec]) -> Vec<NodeClass> {
    nodes.iter().map(|s| class_of(&s.kind)).collect()
}
