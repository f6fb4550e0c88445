//! The network under the SIP elements: links with their own per-direction
//! random streams, and routing over the least-delay path.
//!
//! A message goes from one SIP element to the next SIP hop link by link.
//! Each link decides delay and loss from its configuration, its direction's
//! channel state and that direction's stream; nodes in between relay at the
//! IP level and never see it, which is how a proxy that did not
//! record-route is bypassed.

use crate::engine::{SeedSpace, SimRng, SimTime, StreamId};
use crate::net::{
    Direction, DirectionState, Fate, LinkConfig, LinkId, LossCause, NodeId, Topology,
};

/// One direction of a link at run time: channel state and its own stream.
struct LinkDir {
    state: DirectionState,
    rng: SimRng,
}

/// What became of a message handed to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Carried {
    /// It reaches its next SIP hop at this time.
    Arrives(SimTime),
    /// It was lost on `link` (`None`: no route) for `cause`.
    Lost {
        link: Option<LinkId>,
        cause: LossCause,
    },
    /// A fault swallowed it on `link` (`drop_bye`).
    Swallowed(LinkId),
}

/// Links at run time, and routing.
pub(super) struct Network {
    topo: Topology,
    links: Vec<LinkConfig>,
    dirs: Vec<[LinkDir; 2]>,
}

impl Network {
    /// The network of `nodes` (their model names name the link streams).
    pub(super) fn new(links: Vec<LinkConfig>, nodes: &[String], seeds: &SeedSpace) -> Self {
        let topo = Topology::of_links(nodes.len(), &links);
        let dirs = links
            .iter()
            .map(|l| {
                let (a, b) = (&nodes[l.a.index()], &nodes[l.b.index()]);
                let dir = |from: &str, to: &str| LinkDir {
                    state: DirectionState::default(),
                    rng: seeds.stream(StreamId::for_component("link", &format!("{from}>{to}"))),
                };
                [dir(a, b), dir(b, a)]
            })
            .collect();
        Network { topo, links, dirs }
    }

    /// Routing: the least-delay paths between nodes.
    pub(super) fn topology(&self) -> &Topology {
        &self.topo
    }

    /// The links' configurations.
    pub(super) fn links(&self) -> &[LinkConfig] {
        &self.links
    }

    /// Carries a message sent at `now` from `from` to its next SIP hop `to`,
    /// link by link; `swallowed(link)` says whether a fault takes it on `link`.
    pub(super) fn carry(
        &mut self,
        from: NodeId,
        to: NodeId,
        now: SimTime,
        swallowed: impl Fn(LinkId) -> bool,
    ) -> Carried {
        let mut t = now;
        let mut at = from;
        while at != to {
            let Some((next, link)) = self.topo.next_hop(at, to) else {
                return Carried::Lost {
                    link: None,
                    cause: LossCause::NoRoute,
                };
            };
            if swallowed(link) {
                return Carried::Swallowed(link);
            }
            let cfg = &self.links[link.index()];
            let dir = if cfg.a == at {
                Direction::AtoB
            } else {
                Direction::BtoA
            };
            let d = &mut self.dirs[link.index()][dir.index()];
            match cfg.transmit(dir, &mut d.state, t, &mut d.rng) {
                Fate::Delivered(delay) => {
                    t = t + delay;
                    at = next;
                }
                Fate::Lost(cause) => {
                    return Carried::Lost {
                        link: Some(link),
                        cause,
                    };
                }
            }
        }
        Carried::Arrives(t)
    }
}
