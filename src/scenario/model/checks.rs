//! Checks that need the whole model: effective session-timer settings
//! against the RFC floors, and routes between every caller and callee.

use std::collections::BTreeMap;

use crate::net::{LinkConfig, NodeId, Topology};
use crate::session_timer::TimerLayer;
use crate::session_timer::negotiation::RFC_MIN_SE;
use crate::sim::{NodeSpec, Pairs};
use crate::sip::message::MAX_HOPS;

use super::super::doc::{Errors, Item, Value};
use super::super::error::{InputError, Loc};
use super::node::{Kind, ReadNode};
use super::workload::ReadWorkload;
use super::{Names, NodeTimers};

fn below_floor(key: &str, value: u32) -> String {
    format!(
        "{key} {value} is below the RFC 4028 floor of {RFC_MIN_SE} s (set [sip] strict_rfc = false to allow it)"
    )
}

/// Effective session-timer settings must respect the RFC floors (unless
/// `strict` is off) and SE ≥ Min-SE, at every level that sets them.
pub(super) fn check_settings(
    defaults: &TimerLayer,
    nodes: &[ReadNode],
    strict: bool,
    root: &Item,
    errs: &mut Errors,
) {
    // Settings errors point at the key that sets the value, else at its partner key.
    let at = |path: &str, key: &str, other: &str| {
        find_key(root, &format!("{path}.{key}"))
            .or_else(|| find_key(root, &format!("{path}.{other}")))
            .unwrap_or_else(|| root.loc.clone())
    };
    let check = |layer: TimerLayer, path: String, errs: &mut Errors| {
        let s = layer.resolve();
        if strict && s.min_se < RFC_MIN_SE {
            errs.push(InputError::at(
                &at(&path, "min_se", "session_expires"),
                format!("{path}.min_se"),
                below_floor("min_se", s.min_se),
            ));
        }
        // session_expires = 0 asks for no timer (RADVISION): no floor applies.
        let asks = s.session_expires > 0;
        if strict && asks && s.session_expires < RFC_MIN_SE {
            errs.push(InputError::at(
                &at(&path, "session_expires", "min_se"),
                format!("{path}.session_expires"),
                below_floor("session_expires", s.session_expires),
            ));
        }
        if asks && s.session_expires < s.min_se {
            errs.push(InputError::at(
                &at(&path, "session_expires", "min_se"),
                format!("{path}.session_expires"),
                format!(
                    "session_expires {} is below min_se {} (RFC 4028 §4: SE ≥ Min-SE)",
                    s.session_expires, s.min_se
                ),
            ));
        }
    };
    check(*defaults, "defaults".into(), errs);
    for n in nodes {
        let path = format!("node.{}", n.spec.name);
        if let Some(p) = &n.proxy {
            let (min_se, min_loc) = &p.min_se;
            if strict && *min_se < RFC_MIN_SE {
                let loc = min_loc.clone().unwrap_or_else(|| root.loc.clone());
                errs.push(InputError::at(
                    &loc,
                    format!("{path}.min_se"),
                    below_floor("min_se", *min_se),
                ));
            }
            if let Some((se, se_loc)) = &p.session_expires
                && se < min_se
            {
                errs.push(InputError::at(
                    se_loc,
                    format!("{path}.session_expires"),
                    format!("session_expires ceiling {se} is below the proxy's min_se {min_se}"),
                ));
            }
            continue;
        }
        // Report a problem once, at the level that introduces it.
        let t: &NodeTimers = &n.timers;
        let sets = |l: &TimerLayer| l.session_expires.is_some() || l.min_se.is_some();
        let node = t.layer.over(defaults);
        if sets(&t.layer) {
            check(node, path.clone(), errs);
        }
        for (peer, layer) in t.peers.iter().filter(|(_, l)| sets(l)) {
            check(
                layer.over(&node),
                format!("{path}.peers.{}", nodes[peer.index()].spec.name),
                errs,
            );
        }
    }
}

/// Where the value of a key path like `node.p1.min_se` or `defaults.min_se`
/// was written, if it was: in the model file, or in the experiment's grid
/// for a value a sweep point set (the user wrote it there).
fn find_key(root: &Item, path: &str) -> Option<Loc> {
    let Value::Table(t) = &root.value else {
        return None;
    };
    let parts: Vec<&str> = path.split('.').collect();
    let mut table = t;
    let mut i = 0;
    if parts.first() == Some(&"node") && parts.len() >= 2 {
        let Value::Array(nodes) = &t.get("node")?.item.value else {
            return None;
        };
        table = nodes.iter().find_map(|n| match &n.value {
            Value::Table(nt) if matches!(&nt.get("id")?.item.value, Value::Str(s) if s == parts[1]) => Some(nt),
            _ => None,
        })?;
        i = 2;
    }
    let mut last = None;
    while i < parts.len() {
        let e = table.get(parts[i])?;
        last = Some(e.item.loc.clone());
        if let Value::Table(next) = &e.item.value {
            table = next;
        }
        i += 1;
    }
    last
}

/// Every caller must reach its callee, on a path no longer than the Via stack holds.
///
/// Callers × callees can be 10^8 pairs, so this works per callee: one
/// routing table gives every caller's path depth (`Topology::longest_runs`),
/// and callees that route through the same table share it. The first bad
/// pair in workload order is reported.
pub(super) fn check_routes(
    nodes: &[NodeSpec],
    links: &[LinkConfig],
    w: &ReadWorkload,
    names: &Names,
    errs: &mut Errors,
) {
    let topo = Topology::of_links(nodes.len(), links);
    let (spec, loc) = w;
    let (callers, callees): (Vec<NodeId>, Vec<NodeId>) = match &spec.pairs {
        Pairs::List(l) => l.iter().copied().unzip(),
        Pairs::Groups { callers, callees } => (callers.clone(), callees.clone()),
    };
    let b2bua = |n: NodeId| names.kinds[n.index()] == Kind::B2bua;
    // Depths toward each callee, computed once per callee.
    let mut depths: BTreeMap<NodeId, Vec<Option<u32>>> = BTreeMap::new();
    let mut bad = |a: NodeId, b: NodeId| -> Option<String> {
        let name = |n: NodeId| nodes[n.index()].name.clone();
        if !topo.reachable(a, b) {
            return Some(format!(
                "caller \"{}\" cannot reach callee \"{}\": no chain of [[link]]s joins them",
                name(a),
                name(b)
            ));
        }
        let depth = depths
            .entry(b)
            .or_insert_with(|| topo.longest_runs(b, b2bua))[a.index()];
        (depth.unwrap_or(0) as usize > MAX_HOPS).then(|| {
            format!(
                "the path from \"{}\" to \"{}\" crosses more than {MAX_HOPS} SIP elements without a B2BUA",
                name(a),
                name(b)
            )
        })
    };
    let found = match &spec.pairs {
        Pairs::List(l) => l.iter().find_map(|&(a, b)| bad(a, b)),
        Pairs::Groups { .. } => first_bad_pair(&callers, &callees, &topo, &mut bad),
    };
    if let Some(m) = found {
        errs.push(InputError::at(loc, "workload.caller", m));
    }
}

/// The first (caller, callee ≠ caller) pair, callers outer, that `bad`
/// rejects. Callees that share a component and a depth to every caller
/// behave alike, so only the first two of each class are tried per caller
/// (two, in case one is the caller itself).
fn first_bad_pair(
    callers: &[NodeId],
    callees: &[NodeId],
    topo: &Topology,
    bad: &mut impl FnMut(NodeId, NodeId) -> Option<String>,
) -> Option<String> {
    // A callee's class: the node whose table routes to it, and whether it
    // is reached through that node (a leaf) — see `Topology::route_class`.
    let mut classes: BTreeMap<(NodeId, bool), Vec<NodeId>> = BTreeMap::new();
    for &b in callees {
        let c = classes.entry(topo.route_class(b)).or_default();
        if c.len() < 2 {
            c.push(b);
        }
    }
    for &a in callers {
        let mut first: Option<(usize, String)> = None;
        for members in classes.values() {
            if let Some(&b) = members.iter().find(|&&b| b != a)
                && let Some(m) = bad(a, b)
            {
                // Report the earliest callee in the workload's order.
                let pos = callees.iter().position(|&x| x == b).unwrap_or(usize::MAX);
                if first.as_ref().is_none_or(|(p, _)| pos < *p) {
                    first = Some((pos, m));
                }
            }
        }
        if let Some((_, m)) = first {
            return Some(m);
        }
    }
    None
}
