//! The network: topology and routing over petgraph, link behaviour
//! (delay, jitter, loss, outages) and NAT bindings, as pure decisions over
//! data.
//!
//! Nothing here reads a clock or owns a generator: callers pass the time a
//! packet enters a link and the link direction's own random stream.

pub mod address;
pub mod link;
pub mod nat;
pub mod topology;

pub use address::{Addresses, SIP_PORT};
pub use link::{
    Direction, DirectionState, Fate, LinkConfig, LossCause, LossModel, LossWindow, Probability,
};
pub use nat::{Keepalive, NatBinding};
pub use topology::{LinkId, MAX_LINKS, MAX_NODES, NodeId, Topology};
