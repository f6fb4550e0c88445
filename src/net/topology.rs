//! Nodes, links and least-delay routing.
//!
//! Routing is hop-by-hop: `next_hop(u, d)` is the neighbour of `u` on a
//! least-mean-delay path to `d`. It is computed once per destination with
//! Dijkstra (petgraph). Equal delays are broken by fewer hops: the internal
//! cost of a link is `delay_ns · 1024 + 1`. Remaining ties go to the lowest
//! neighbour index, then the lowest link index. Every link costs at least 1,
//! so every next hop strictly decreases the cost to `d`, and following next
//! hops from any node traces one consistent shortest path, with no loops,
//! even over zero-delay links.

use petgraph::graph::{NodeIndex, UnGraph};

/// Index of a node in the model (order of `[[node]]` tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NodeId(pub u16);

/// Index of a link in the model (order of `[[link]]` tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkId(pub u16);

impl NodeId {
    /// The index as `usize`, for table lookups.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl LinkId {
    /// The index as `usize`.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

const NO_ROUTE: u16 = u16::MAX;
/// Delay is scaled by this so that the hop count (added as 1 per link) only breaks ties.
const HOP_SCALE: u64 = 1024;

/// The graph plus an all-pairs next-hop table.
#[derive(Debug, Clone)]
pub struct Topology {
    nodes: usize,
    /// `(a, b)` of each link.
    ends: Vec<(NodeId, NodeId)>,
    /// `next[u * n + d]`: (neighbour, link) toward `d`, or `NO_ROUTE`.
    next: Vec<(u16, u16)>,
    /// `dist[u * n + d]`: least cost (`delay · 1024 + hops`), `u64::MAX` if unreachable.
    dist: Vec<u64>,
}

impl Topology {
    /// Builds routing for `nodes` nodes and links `(a, b, mean_delay_ns)`.
    pub fn new(nodes: usize, links: &[(NodeId, NodeId, u64)]) -> Self {
        assert!(nodes < NO_ROUTE as usize, "too many nodes");
        let mut graph: UnGraph<(), (u64, u16)> = UnGraph::with_capacity(nodes, links.len());
        for _ in 0..nodes {
            graph.add_node(());
        }
        let cost = |w: u64| w.saturating_mul(HOP_SCALE).saturating_add(1);
        for (i, &(a, b, w)) in links.iter().enumerate() {
            let (a, b) = (NodeIndex::new(a.index()), NodeIndex::new(b.index()));
            graph.add_edge(a, b, (cost(w), i as u16));
        }
        let mut dist = vec![u64::MAX; nodes * nodes];
        for d in 0..nodes {
            let costs = petgraph::algo::dijkstra(&graph, NodeIndex::new(d), None, |e| e.weight().0);
            for (u, c) in costs {
                dist[u.index() * nodes + d] = c;
            }
        }
        let mut next = vec![(NO_ROUTE, NO_ROUTE); nodes * nodes];
        for u in 0..nodes {
            for d in 0..nodes {
                if u == d || dist[u * nodes + d] == u64::MAX {
                    continue;
                }
                let mut best: Option<(u64, u16, u16)> = None;
                for (i, &(a, b, w)) in links.iter().enumerate() {
                    let v = if a.index() == u {
                        b.index()
                    } else if b.index() == u {
                        a.index()
                    } else {
                        continue;
                    };
                    let rest = dist[v * nodes + d];
                    if rest == u64::MAX {
                        continue;
                    }
                    let cand = (cost(w).saturating_add(rest), v as u16, i as u16);
                    if best.is_none_or(|b| cand < b) {
                        best = Some(cand);
                    }
                }
                let (_, v, l) = best.expect("a reachable node has a neighbour on the way");
                next[u * nodes + d] = (v, l);
            }
        }
        Topology {
            nodes,
            ends: links.iter().map(|&(a, b, _)| (a, b)).collect(),
            next,
            dist,
        }
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes
    }

    /// The two ends of a link.
    pub fn ends(&self, link: LinkId) -> (NodeId, NodeId) {
        self.ends[link.index()]
    }

    /// The neighbour and link on a least-delay path from `from` to `to`.
    #[inline]
    pub fn next_hop(&self, from: NodeId, to: NodeId) -> Option<(NodeId, LinkId)> {
        let (v, l) = self.next[from.index() * self.nodes + to.index()];
        (v != NO_ROUTE).then_some((NodeId(v), LinkId(l)))
    }

    /// True if `to` can be reached from `from` (every node reaches itself).
    pub fn reachable(&self, from: NodeId, to: NodeId) -> bool {
        from == to || self.dist[from.index() * self.nodes + to.index()] != u64::MAX
    }

    /// Least mean one-way delay in ns, if reachable.
    pub fn distance_ns(&self, from: NodeId, to: NodeId) -> Option<u64> {
        let d = self.dist[from.index() * self.nodes + to.index()];
        (d != u64::MAX).then_some(d / HOP_SCALE)
    }

    /// The node sequence of the least-delay path, both ends included.
    pub fn path(&self, from: NodeId, to: NodeId) -> Option<Vec<NodeId>> {
        let mut path = vec![from];
        let mut at = from;
        while at != to {
            at = self.next_hop(at, to)?.0;
            path.push(at);
            assert!(
                path.len() <= self.nodes,
                "routing loop: next hops must decrease the cost"
            );
        }
        Some(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(i: u16) -> NodeId {
        NodeId(i)
    }

    #[test]
    fn least_delay_path_beats_fewest_hops() {
        // 0-1 direct costs 100; 0-2-1 costs 10+10.
        let t = Topology::new(3, &[(n(0), n(1), 100), (n(0), n(2), 10), (n(2), n(1), 10)]);
        assert_eq!(t.path(n(0), n(1)), Some(vec![n(0), n(2), n(1)]));
        assert_eq!(t.distance_ns(n(0), n(1)), Some(20));
        assert_eq!(t.next_hop(n(0), n(1)), Some((n(2), LinkId(1))));
    }

    #[test]
    fn ties_break_to_the_lowest_index_and_paths_are_consistent() {
        // Square 0-1-3 and 0-2-3, equal costs: both go through 1.
        let t = Topology::new(
            4,
            &[
                (n(0), n(2), 5),
                (n(0), n(1), 5),
                (n(1), n(3), 5),
                (n(2), n(3), 5),
            ],
        );
        assert_eq!(t.path(n(0), n(3)), Some(vec![n(0), n(1), n(3)]));
        assert_eq!(t.path(n(3), n(0)), Some(vec![n(3), n(1), n(0)]));
    }

    #[test]
    fn zero_delay_links_route_by_hop_count_without_loops() {
        // 0-1-2 chain plus a 0-2 shortcut, all zero delay: the shortcut wins.
        let t = Topology::new(3, &[(n(0), n(1), 0), (n(1), n(2), 0), (n(0), n(2), 0)]);
        assert_eq!(t.path(n(0), n(2)), Some(vec![n(0), n(2)]));
        let chain = Topology::new(3, &[(n(0), n(1), 0), (n(1), n(2), 0)]);
        assert_eq!(chain.path(n(0), n(2)), Some(vec![n(0), n(1), n(2)]));
        assert_eq!(chain.path(n(2), n(0)), Some(vec![n(2), n(1), n(0)]));
    }

    #[test]
    fn disconnected_nodes_have_no_route() {
        let t = Topology::new(3, &[(n(0), n(1), 1)]);
        assert!(!t.reachable(n(0), n(2)));
        assert_eq!(t.next_hop(n(0), n(2)), None);
        assert!(t.reachable(n(2), n(2)));
    }
}
