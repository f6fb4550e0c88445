//! Nodes, links and least-delay routing.
//!
//! Routing is hop-by-hop: `next_hop(u, d)` is the neighbour of `u` on a
//! least-mean-delay path to `d`. It is computed per destination with
//! Dijkstra (petgraph), at the first message to that destination, so a model
//! of many nodes starts at once and holds tables only for destinations in
//! use. A leaf (a node with a single link, such as a phone on its proxy) gets
//! no table of its own: every path to it ends with that link, so its
//! neighbour's table routes to it. Equal delays are broken by fewer hops:
//! the internal cost of a link is `delay_ns · 1024 + 1`. Remaining ties go to
//! the lowest neighbour index, then the lowest link index. Every link costs
//! at least 1, so every next hop strictly decreases the cost to `d`, and
//! following next hops from any node traces one consistent shortest path,
//! with no loops, even over zero-delay links.

use std::cell::OnceCell;

use petgraph::graph::{NodeIndex, UnGraph};

/// Index of a node in the model (order of `[[node]]` tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NodeId(pub u16);

/// Index of a link in the model (order of `[[link]]` tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkId(pub u32);

/// Most nodes a model may have: node ids are 16-bit.
pub const MAX_NODES: usize = u16::MAX as usize - 1;
/// Most links a model may have (each holds two random streams and queues).
pub const MAX_LINKS: usize = 1_000_000;

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

/// Delay is scaled by this so that the hop count (added as 1 per link) only breaks ties.
const HOP_SCALE: u64 = 1024;

/// Routes toward one destination.
#[derive(Debug, Clone)]
struct Table {
    /// `next[u]`: (neighbour, link) toward the destination, if reachable and `u` is not it.
    next: Vec<Option<(NodeId, LinkId)>>,
    /// `dist[u]`: least cost (`delay · 1024 + hops`), `u64::MAX` if unreachable.
    dist: Vec<u64>,
}

/// The graph, connectivity, and next-hop tables built on demand.
#[derive(Debug, Clone)]
pub struct Topology {
    graph: UnGraph<(), u64>,
    /// `(a, b)` of each link.
    ends: Vec<(NodeId, NodeId)>,
    /// Cost of each link.
    cost: Vec<u64>,
    /// `(neighbour, link)` of each node, in link order.
    adj: Vec<Vec<(NodeId, LinkId)>>,
    /// The neighbour and only link of a leaf whose neighbour is not a leaf.
    leaf: Vec<Option<(NodeId, LinkId)>>,
    /// Connected component of each node.
    component: Vec<u32>,
    /// Per destination, at first use; leaves route by their neighbour's.
    tables: Vec<OnceCell<Table>>,
}

impl Topology {
    /// Builds routing for `nodes` nodes and links `(a, b, mean_delay_ns)`.
    /// The model bounds both counts ([`MAX_NODES`], [`MAX_LINKS`]).
    pub fn new(nodes: usize, links: &[(NodeId, NodeId, u64)]) -> Self {
        assert!(nodes <= MAX_NODES && links.len() <= MAX_LINKS);
        let mut graph: UnGraph<(), u64> = UnGraph::with_capacity(nodes, links.len());
        for _ in 0..nodes {
            graph.add_node(());
        }
        let cost: Vec<u64> = links
            .iter()
            .map(|&(_, _, w)| w.saturating_mul(HOP_SCALE).saturating_add(1))
            .collect();
        let mut adj = vec![Vec::new(); nodes];
        for (i, &(a, b, _)) in links.iter().enumerate() {
            graph.add_edge(
                NodeIndex::new(a.index()),
                NodeIndex::new(b.index()),
                cost[i],
            );
            let l = LinkId(i as u32);
            adj[a.index()].push((b, l));
            if a != b {
                adj[b.index()].push((a, l));
            }
        }
        let single = |u: usize| match adj[u][..] {
            [(v, l)] if v.index() != u => Some((v, l)),
            _ => None,
        };
        let leaf = (0..nodes)
            .map(|u| single(u).filter(|&(v, _)| single(v.index()).is_none()))
            .collect();
        let component = components(nodes, &adj);
        Topology {
            graph,
            ends: links.iter().map(|&(a, b, _)| (a, b)).collect(),
            cost,
            adj,
            leaf,
            component,
            tables: vec![OnceCell::new(); nodes],
        }
    }

    /// Routing over model links, weighted by their mean delay.
    pub fn of_links(nodes: usize, links: &[super::LinkConfig]) -> Self {
        let weights: Vec<_> = links
            .iter()
            .map(|l| (l.a, l.b, l.mean_delay_ns()))
            .collect();
        Topology::new(nodes, &weights)
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.adj.len()
    }

    /// The two ends of a link.
    pub fn ends(&self, link: LinkId) -> (NodeId, NodeId) {
        self.ends[link.index()]
    }

    /// The node whose table routes to `to`, and the last link if that is
    /// `to`'s neighbour rather than `to`.
    fn resolve(&self, to: NodeId) -> (NodeId, Option<(NodeId, LinkId)>) {
        match self.leaf[to.index()] {
            Some((p, l)) => (p, Some((to, l))),
            None => (to, None),
        }
    }

    /// Destinations with the same class have the same routes from every
    /// other node, up to their last link: the node whose table routes to
    /// them, and whether they are a leaf behind it.
    pub fn route_class(&self, to: NodeId) -> (NodeId, bool) {
        let (d, last) = self.resolve(to);
        (d, last.is_some())
    }

    fn table(&self, d: NodeId) -> &Table {
        self.tables[d.index()].get_or_init(|| self.build(d))
    }

    fn build(&self, d: NodeId) -> Table {
        let n = self.node_count();
        let mut dist = vec![u64::MAX; n];
        let costs = petgraph::algo::dijkstra(&self.graph, NodeIndex::new(d.index()), None, |e| {
            *e.weight()
        });
        for (u, c) in costs {
            dist[u.index()] = c;
        }
        let next = (0..n)
            .map(|u| {
                if u == d.index() || dist[u] == u64::MAX {
                    return None;
                }
                let mut best: Option<(u64, NodeId, LinkId)> = None;
                for &(v, l) in &self.adj[u] {
                    let rest = dist[v.index()];
                    if rest == u64::MAX {
                        continue;
                    }
                    let cand = (self.cost[l.index()].saturating_add(rest), v, l);
                    if best.is_none_or(|b| cand < b) {
                        best = Some(cand);
                    }
                }
                best.map(|(_, v, l)| (v, l))
            })
            .collect();
        Table { next, dist }
    }

    /// The neighbour and link on a least-delay path from `from` to `to`.
    #[inline]
    pub fn next_hop(&self, from: NodeId, to: NodeId) -> Option<(NodeId, LinkId)> {
        if from == to {
            return None;
        }
        let (d, last) = self.resolve(to);
        if from == d {
            return last;
        }
        self.table(d).next[from.index()]
    }

    /// True if `to` can be reached from `from` (every node reaches itself).
    pub fn reachable(&self, from: NodeId, to: NodeId) -> bool {
        self.component[from.index()] == self.component[to.index()]
    }

    /// Least mean one-way delay in ns, if reachable.
    pub fn distance_ns(&self, from: NodeId, to: NodeId) -> Option<u64> {
        if from == to {
            return Some(0);
        }
        if !self.reachable(from, to) {
            return None;
        }
        let (d, last) = self.resolve(to);
        let tail = last.map_or(0, |(_, l)| self.cost[l.index()]);
        let head = if from == d {
            0
        } else {
            self.table(d).dist[from.index()]
        };
        Some(head.saturating_add(tail) / HOP_SCALE)
    }

    /// The node sequence of the least-delay path, both ends included.
    pub fn path(&self, from: NodeId, to: NodeId) -> Option<Vec<NodeId>> {
        let mut path = vec![from];
        let mut at = from;
        while at != to {
            at = self.next_hop(at, to)?.0;
            path.push(at);
            assert!(
                path.len() <= self.node_count(),
                "routing loop: next hops must decrease the cost"
            );
        }
        Some(path)
    }

    /// For every source, the longest run of path elements without a reset
    /// on its least-delay path to `to`. The elements of a path are its nodes
    /// but the last; `resets(n)` says whether element `n` restarts the count
    /// at 1 (a B2BUA restarts the Via stack). `None` where `to` is unreachable
    /// or is the source. One pass over a single table, in order of distance.
    pub fn longest_runs(&self, to: NodeId, resets: impl Fn(NodeId) -> bool) -> Vec<Option<u32>> {
        let n = self.node_count();
        let (d, last) = self.resolve(to);
        let t = self.table(d);
        let mut order: Vec<usize> = (0..n).filter(|&u| t.dist[u] != u64::MAX).collect();
        order.sort_by_key(|&u| t.dist[u]);
        // (run, longest) per node on the way to `d`; when routing through a
        // leaf's neighbour, `d` itself is an element too.
        let mut at: Vec<Option<(u32, u32)>> = vec![None; n];
        for u in order {
            at[u] = if u == d.index() {
                last.map(|_| (1, 1))
            } else {
                // `u`'s run ends before `v` if `v` restarts the count.
                t.next[u].map(|(v, _)| match at[v.index()] {
                    None => (1, 1),
                    Some((run, longest)) => {
                        let r = if resets(v) { 1 } else { run + 1 };
                        (r, longest.max(r))
                    }
                })
            };
        }
        let mut out: Vec<Option<u32>> = at.into_iter().map(|x| x.map(|(_, l)| l)).collect();
        out[to.index()] = None;
        out
    }
}

/// Connected components by union–find, numbered by their lowest node.
fn components(nodes: usize, adj: &[Vec<(NodeId, LinkId)>]) -> Vec<u32> {
    let mut parent: Vec<usize> = (0..nodes).collect();
    fn root(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for (u, ns) in adj.iter().enumerate() {
        for &(v, _) in ns {
            let (a, b) = (root(&mut parent, u), root(&mut parent, v.index()));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    (0..nodes).map(|u| root(&mut parent, u) as u32).collect()
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

    /// All-pairs next hops by the definition, independently of the lazy
    /// tables: Floyd–Warshall costs, then for each (u, d) the least
    /// (link cost + cost from the neighbour, neighbour, link).
    fn reference(nodes: usize, links: &[(NodeId, NodeId, u64)]) -> Vec<Option<(NodeId, LinkId)>> {
        let cost = |w: u64| w * HOP_SCALE + 1;
        let mut dist = vec![u64::MAX; nodes * nodes];
        for u in 0..nodes {
            dist[u * nodes + u] = 0;
        }
        for &(a, b, w) in links {
            let (a, b) = (a.index(), b.index());
            for (x, y) in [(a, b), (b, a)] {
                dist[x * nodes + y] = dist[x * nodes + y].min(cost(w));
            }
        }
        for k in 0..nodes {
            for i in 0..nodes {
                for j in 0..nodes {
                    let (ik, kj) = (dist[i * nodes + k], dist[k * nodes + j]);
                    if ik != u64::MAX && kj != u64::MAX {
                        dist[i * nodes + j] = dist[i * nodes + j].min(ik + kj);
                    }
                }
            }
        }
        let mut next = vec![None; nodes * nodes];
        for u in 0..nodes {
            for d in 0..nodes {
                let mut best: Option<(u64, NodeId, LinkId)> = None;
                for (i, &(a, b, w)) in links.iter().enumerate() {
                    for (x, v) in [(a, b), (b, a)] {
                        let rest = dist[v.index() * nodes + d];
                        if x.index() != u || u == d || rest == u64::MAX {
                            continue;
                        }
                        let cand = (cost(w) + rest, v, LinkId(i as u32));
                        if best.is_none_or(|b| cand < b) {
                            best = Some(cand);
                        }
                    }
                }
                next[u * nodes + d] = best.map(|(_, v, l)| (v, l));
            }
        }
        next
    }

    /// The generated links among `nodes`, self-loops dropped.
    fn graph(nodes: usize, raw: Vec<(u16, u16, u64)>) -> Vec<(NodeId, NodeId, u64)> {
        raw.into_iter()
            .filter(|&(a, b, _)| (a as usize) < nodes && (b as usize) < nodes && a != b)
            .map(|(a, b, w)| (n(a), n(b), w))
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn lazy_tables_and_leaves_route_as_the_definition(
            nodes in 2usize..12,
            raw in proptest::collection::vec((0u16..12, 0u16..12, 0u64..4), 0..20),
        ) {
            // Small delays make ties common; single links make leaves common.
            let links = graph(nodes, raw);
            let t = Topology::new(nodes, &links);
            let want = reference(nodes, &links);
            for u in 0..nodes {
                for d in 0..nodes {
                    let (u16_, d16) = (n(u as u16), n(d as u16));
                    proptest::prop_assert_eq!(t.next_hop(u16_, d16), want[u * nodes + d], "{} -> {}", u, d);
                    proptest::prop_assert_eq!(t.reachable(u16_, d16), u == d || want[u * nodes + d].is_some());
                }
            }
        }

        #[test]
        fn longest_runs_match_the_depth_along_each_path(
            nodes in 2usize..10,
            raw in proptest::collection::vec((0u16..10, 0u16..10, 0u64..3), 0..16),
            resets in proptest::collection::vec(proptest::bool::ANY, 10),
        ) {
            let links = graph(nodes, raw);
            let t = Topology::new(nodes, &links);
            for d in 0..nodes {
                let runs = t.longest_runs(n(d as u16), |x| resets[x.index()]);
                for (a, &run) in runs.iter().enumerate() {
                    // The depth rule as the Via stack applies it, along the path.
                    let want = t.path(n(a as u16), n(d as u16)).filter(|_| a != d).map(|p| {
                        let mut depth = 0u32;
                        let mut most = 0;
                        for x in &p[..p.len() - 1] {
                            depth = if resets[x.index()] { 1 } else { depth + 1 };
                            most = most.max(depth);
                        }
                        most
                    });
                    proptest::prop_assert_eq!(run, want, "{} -> {}", a, d);
                }
            }
        }
    }
}
