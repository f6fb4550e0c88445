//! Where each node is on the wire, for captures: one IPv4 address and UDP
//! port per node, stable across runs.

use std::net::{Ipv4Addr, SocketAddrV4};

use super::NodeId;

/// The UDP port every node listens on unless its address says otherwise.
pub const SIP_PORT: u16 = 5060;

/// One IPv4 address and port per node: 10.0.0.0 + (index + 1) on port
/// 5060 by default (node 0 is 10.0.0.1, node 255 is 10.0.1.0), or the
/// model's `address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addresses {
    names: Vec<String>,
    addrs: Vec<SocketAddrV4>,
}

impl Addresses {
    /// Addresses for nodes named `names`, with the model's own where given.
    pub fn new(names: &[String], own: &[Option<SocketAddrV4>]) -> Self {
        let addrs = (0..names.len())
            .map(|i| {
                own.get(i).copied().flatten().unwrap_or_else(|| {
                    let k = u32::from(Ipv4Addr::new(10, 0, 0, 0)) + i as u32 + 1;
                    SocketAddrV4::new(Ipv4Addr::from(k), SIP_PORT)
                })
            })
            .collect();
        Addresses {
            names: names.to_vec(),
            addrs,
        }
    }

    /// A node's address.
    pub fn of(&self, n: NodeId) -> SocketAddrV4 {
        self.addrs[n.index()]
    }

    /// A node's model id.
    pub fn name(&self, n: NodeId) -> &str {
        &self.names[n.index()]
    }

    /// `<ip>:<port>`.
    pub fn host(&self, n: NodeId) -> String {
        let a = self.of(n);
        format!("{}:{}", a.ip(), a.port())
    }

    /// `sip:<id>@<ip>:<port>`.
    pub fn uri(&self, n: NodeId) -> String {
        format!("sip:{}@{}", self.name(n), self.host(n))
    }
}
