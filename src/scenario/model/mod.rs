//! The model-file schema: reads a located TOML tree into a validated
//! [`Scenario`]. Every problem becomes an [`InputError`] naming the file,
//! line, column and key path (`node.p1.stateful`, `link.alice-p1.loss`),
//! saying what is allowed, and suggesting near-miss names.
//!
//! One module per table: `sip`, `timers` (`[defaults]` and the timer keys
//! of UA nodes), `node`, `link`, `workload`, `fault`; `checks` holds the
//! checks that need the whole model.

mod checks;
mod fault;
mod link;
mod node;
mod sip;
mod timers;
mod workload;

use std::collections::BTreeMap;

use crate::engine::SimDuration;
use crate::net::{LinkId, MAX_NODES, NodeId, Probability};
use crate::session_timer::TimerLayer;
use crate::sim::faults::{FaultSpec, MAX_DROP_BYE};
use crate::sim::{NodeSpec, WorldConfig};
use crate::sip::SipTimers;

use super::doc::{Errors, Fields, Item, Value, array, keyword, number, string};
use super::error::{InputError, did_you_mean};
use checks::{check_routes, check_settings};
use fault::read_fault;
use link::read_links;
use node::{Kind, ReadNode, read_node};
use sip::read_sip;
use timers::{read_timer_table, relax_rfc_floor, resolve_ua_configs};
use workload::read_workload;

/// A validated model: the world to build plus what later stages use.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The model file.
    pub source: String,
    /// Its `description`, if any.
    pub description: Option<String>,
    /// Nodes, links, SIP timers and workload.
    pub world: WorldConfig,
    /// `[sip] strict_rfc`: values below the RFC floors are errors.
    pub strict_rfc: bool,
    /// `[defaults]` session-timer settings.
    pub defaults: TimerLayer,
    /// Per node: its own settings and per-peer overrides.
    pub node_timers: Vec<NodeTimers>,
    /// Faults (validated; injected by the world's fault layer).
    pub faults: Vec<FaultSpec>,
}

/// A node's session-timer settings as written (empty for proxies).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeTimers {
    /// Settings on the `[[node]]` table.
    pub layer: TimerLayer,
    /// `peers.<id>` overrides.
    pub peers: Vec<(NodeId, TimerLayer)>,
}

const ROOT_KEYS: &[&str] = &[
    "description",
    "sip",
    "defaults",
    "node",
    "link",
    "workload",
    "fault",
];

/// Longest time accepted anywhere: 10^9 s (about 31 years) keeps all sums far from overflow.
const MAX_SECONDS: f64 = 1e9;
/// Longest session interval (Session-Expires, Min-SE) accepted: a year.
const MAX_INTERVAL_S: i64 = 86_400 * 365;

/// Names and ids known while reading, for references and suggestions.
struct Names {
    nodes: BTreeMap<String, NodeId>,
    /// UA groups (`group = "..."`) and their members.
    groups: BTreeMap<String, Vec<NodeId>>,
    kinds: Vec<Kind>,
    links: BTreeMap<String, LinkId>,
    link_pairs: Vec<(NodeId, NodeId)>,
}

impl Names {
    fn node(&self, item: &Item, path: &str, errs: &mut Errors) -> Option<NodeId> {
        let name = string(item, path, errs)?;
        match self.nodes.get(&name) {
            Some(&id) => Some(id),
            None => {
                errs.push(
                    InputError::at(
                        &item.loc,
                        path,
                        format!(
                            "unknown node id \"{name}\"; nodes are: {}",
                            self.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .with_hint(did_you_mean(&name, self.nodes.keys().map(String::as_str))),
                );
                None
            }
        }
    }

    /// A link given as `[a, b]` (either order) or by name.
    fn link(&self, item: &Item, path: &str, errs: &mut Errors) -> Option<LinkId> {
        if let Value::Str(name) = &item.value {
            return match self.links.get(name) {
                Some(&l) => Some(l),
                None => {
                    errs.push(
                        InputError::at(&item.loc, path, format!("unknown link \"{name}\""))
                            .with_hint(did_you_mean(name, self.links.keys().map(String::as_str))),
                    );
                    None
                }
            };
        }
        let ends = array(item, path, errs, |x, p, e| self.node(x, p, e))?;
        if ends.len() != 2 {
            errs.push(InputError::at(
                &item.loc,
                path,
                "expected a link name or [node, node]",
            ));
            return None;
        }
        let found = self
            .link_pairs
            .iter()
            .position(|&(a, b)| (a, b) == (ends[0], ends[1]) || (b, a) == (ends[0], ends[1]));
        if found.is_none() {
            errs.push(InputError::at(
                &item.loc,
                path,
                "no [[link]] joins these two nodes",
            ));
        }
        found.map(|i| LinkId(i as u32))
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Seconds as a duration, from an integer or float field.
fn seconds(item: &Item, path: &str, errs: &mut Errors) -> Option<SimDuration> {
    let s = number(item, path, 0.0, MAX_SECONDS, "a time in seconds", errs)?;
    SimDuration::from_secs_f64(s).ok()
}

fn probability(item: &Item, path: &str, errs: &mut Errors) -> Option<Probability> {
    number(item, path, 0.0, 1.0, "a probability", errs).and_then(Probability::new)
}

/// Reads a model file's text into a validated scenario.
pub fn read_model(root: &Item) -> Result<Scenario, Vec<InputError>> {
    let mut errs = Errors::new();
    let source = root.loc.source.name.clone();
    let Some(mut top) = Fields::of(root, "", &mut errs) else {
        return Err(errs);
    };
    let description = top
        .get("description")
        .and_then(|i| string(i, "description", &mut errs));
    let (sip, strict_rfc) = match top.get("sip") {
        Some(i) => read_sip(i, &mut errs),
        None => (SipTimers::default(), true),
    };
    let defaults = match top.get("defaults") {
        Some(i) => read_timer_table(i, "defaults", &mut errs),
        None => TimerLayer::default(),
    };
    let node_items: Vec<&Item> = match top.get("node") {
        Some(i) => match &i.value {
            Value::Array(xs) => xs.iter().collect(),
            _ => {
                errs.push(InputError::at(&i.loc, "node", "expected [[node]] tables"));
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    if node_items.is_empty() {
        errs.push(InputError::at(
            &root.loc,
            "node",
            "a model needs at least two [[node]] tables",
        ));
    }
    let mut names = Names {
        nodes: BTreeMap::new(),
        groups: BTreeMap::new(),
        kinds: Vec::new(),
        links: BTreeMap::new(),
        link_pairs: Vec::new(),
    };
    if let Some(item) = node_items.get(MAX_NODES) {
        errs.push(InputError::at(
            &item.loc,
            format!("node[{MAX_NODES}]"),
            format!(
                "{} [[node]] tables: a model may have at most {MAX_NODES} nodes",
                node_items.len()
            ),
        ));
        return Err(errs);
    }
    // Pass 1: ids and kinds, so that any table can refer to any node.
    for (i, item) in node_items.iter().enumerate() {
        let Value::Table(t) = &item.value else {
            continue;
        };
        let path = match t.get("id").map(|e| &e.item.value) {
            Some(Value::Str(id)) if valid_id(id) => format!("node.{id}"),
            _ => format!("node[{i}]"),
        };
        let id = t
            .get("id")
            .and_then(|e| string(&e.item, &format!("{path}.id"), &mut errs));
        let kind = t
            .get("kind")
            .and_then(|e| keyword::<Kind>(&e.item, &format!("{path}.kind"), &mut errs));
        match (&id, t.get("id")) {
            (Some(id), Some(e)) if !valid_id(id) => errs.push(InputError::at(
                &e.item.loc,
                format!("{path}.id"),
                "node ids use letters, digits, '_' and '-' only",
            )),
            (Some(id), Some(e)) if names.nodes.contains_key(id) => errs.push(InputError::at(
                &e.item.loc,
                format!("{path}.id"),
                format!("duplicate node id \"{id}\""),
            )),
            (None, None) => errs.push(InputError::at(&item.loc, &path, "missing key `id`")),
            _ => {}
        }
        if t.get("kind").is_none() {
            errs.push(InputError::at(
                &item.loc,
                &path,
                "missing key `kind` (\"ua\", \"proxy\" or \"b2bua\")",
            ));
        }
        let id = id.unwrap_or_else(|| format!("#{i}"));
        names.nodes.entry(id).or_insert(NodeId(i as u16));
        names.kinds.push(kind.unwrap_or(Kind::Ua));
        if let Some(e) = t.get("group")
            && let Value::Str(g) = &e.item.value
        {
            names
                .groups
                .entry(g.clone())
                .or_default()
                .push(NodeId(i as u16));
        }
    }
    // Pass 2: each node's settings.
    let read_nodes: Vec<ReadNode> = node_items
        .iter()
        .enumerate()
        .map(|(i, item)| read_node(item, i, &names, &mut errs))
        .collect();
    let links = match top.get("link") {
        Some(i) => read_links(i, &mut names, &mut errs),
        None => Vec::new(),
    };
    let workload = match top.get("workload") {
        Some(i) => read_workload(i, &names, &mut errs),
        None => {
            errs.push(InputError::at(
                &root.loc,
                "workload",
                "missing [workload] table",
            ));
            None
        }
    };
    let fault_item = top.get("fault");
    let faults = match fault_item {
        Some(i) => {
            array(i, "fault", &mut errs, |x, p, e| read_fault(x, p, &names, e)).unwrap_or_default()
        }
        None => Vec::new(),
    };
    top.finish(ROOT_KEYS, &mut errs);
    let drop_byes = faults
        .iter()
        .filter(|f| matches!(f, FaultSpec::DropBye { .. }))
        .count();
    if drop_byes > MAX_DROP_BYE
        && let Some(i) = fault_item
    {
        errs.push(InputError::at(
            &i.loc,
            "fault",
            format!("{drop_byes} drop_bye faults: at most {MAX_DROP_BYE} are supported"),
        ));
    }

    if !errs.is_empty() {
        return Err(errs);
    }
    let workload = workload.expect("no errors means a workload was read");
    check_settings(&defaults, &read_nodes, strict_rfc, root, &mut errs);
    let (mut nodes, node_timers): (Vec<NodeSpec>, Vec<NodeTimers>) =
        read_nodes.into_iter().map(|n| (n.spec, n.timers)).unzip();
    let node_names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
    let own: Vec<_> = nodes.iter().map(|n| n.address).collect();
    let addrs = crate::net::Addresses::new(&node_names, &own);
    for (i, item) in node_items.iter().enumerate() {
        let a = addrs.of(NodeId(i as u16));
        if let Some(j) = (0..i).find(|&j| addrs.of(NodeId(j as u16)) == a) {
            errs.push(InputError::at(
                &item.loc,
                format!("node.{}.address", node_names[i]),
                format!(
                    "{a} is also node {}'s address: give each node its own",
                    node_names[j]
                ),
            ));
        }
    }
    for (n, item) in nodes.iter().zip(&node_items) {
        let own = sip.with(&n.sip);
        if own.t2 < own.t1 {
            errs.push(InputError::at(
                &item.loc,
                format!("node.{}.t2_ms", n.name),
                format!(
                    "this node's T2 ({} ms) is below its T1 ({} ms); T2 must not be below T1",
                    own.t2.as_nanos() / 1_000_000,
                    own.t1.as_nanos() / 1_000_000
                ),
            ));
        }
    }
    check_routes(&nodes, &links, &workload, &names, &mut errs);
    if !errs.is_empty() {
        return Err(errs);
    }
    resolve_ua_configs(&mut nodes, &node_timers, &defaults);
    if !strict_rfc {
        relax_rfc_floor(&mut nodes);
    }
    Ok(Scenario {
        source,
        description,
        world: WorldConfig {
            nodes,
            links,
            sip,
            workload: workload.0,
            faults: faults.clone(),
        },
        strict_rfc,
        defaults,
        node_timers,
        faults,
    })
}
