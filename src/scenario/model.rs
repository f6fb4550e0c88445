//! The model-file schema: reads a located TOML tree into a validated
//! [`Scenario`]. Every problem becomes an [`InputError`] naming the file,
//! line, column and key path (`node.p1.stateful`, `link.alice-p1.loss`),
//! saying what is allowed, and suggesting near-miss names.

use std::collections::BTreeMap;

use crate::engine::{SimDuration, SimTime};
use crate::net::{LinkConfig, LinkId, LossModel, NodeId, Probability, Topology};
use crate::session_timer::ProxyTimerConfig;
use crate::session_timer::presets::{self, PROFILES};
use crate::session_timer::{
    ExpiryGuard, Mode, RefreshMethod, RefresherPref, SendMinSe, TimerLayer,
};
use crate::sim::faults::{ByeSelection, FaultSpec};
use crate::sim::{
    Arrivals, CallCrash, CrashSide, Holding, NodeKind, NodeSpec, Pairs, WorkloadSpec, WorldConfig,
};
use crate::sip::SipTimers;
use crate::sip::message::MAX_HOPS;
use crate::sip::proxy::{AtExpiry, ProxyConfig, ProxyState, RecordTimers};
use crate::sip::ua_core::UaConfig;

use super::doc::{Errors, Fields, Item, Value, array, boolean, choice, integer, number, string};
use super::error::{InputError, Loc, did_you_mean};

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
    /// Faults (validated; injected by the fault stage).
    pub faults: Vec<FaultSpec>,
}

/// A node's session-timer settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeTimers {
    /// Settings on the `[[node]]` table.
    pub layer: TimerLayer,
    /// `peers.<id>` overrides.
    pub peers: Vec<(NodeId, TimerLayer)>,
    /// A proxy's keys as written.
    proxy: Option<ProxyKeys>,
}

/// A proxy's keys as written.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ProxyKeys {
    /// 0 none, 1 transaction, 2 dialog.
    stateful: usize,
    record_route: bool,
    timers: bool,
    session_expires: Option<u32>,
    min_se: u32,
    fallback: Option<SimDuration>,
    bye_on_expiry: bool,
}

impl Default for ProxyKeys {
    fn default() -> Self {
        ProxyKeys {
            stateful: 1,
            record_route: false,
            timers: false,
            session_expires: None,
            min_se: 90,
            fallback: None,
            bye_on_expiry: false,
        }
    }
}

impl ProxyKeys {
    fn config(&self) -> ProxyConfig {
        let negotiation = ProxyTimerConfig {
            ceiling: self.session_expires,
            min_se: self.min_se,
        };
        let state = match self.stateful {
            0 => ProxyState::Stateless,
            1 => ProxyState::Transaction {
                timers: self.timers.then_some(negotiation),
            },
            _ => ProxyState::Dialog {
                timers: self.timers.then_some(RecordTimers {
                    negotiation,
                    at_expiry: if self.bye_on_expiry {
                        AtExpiry::ByeBothEnds
                    } else {
                        AtExpiry::Drop
                    },
                }),
                fallback_lifetime: self.fallback,
            },
        };
        ProxyConfig {
            state,
            record_route: self.record_route,
        }
    }
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
const SIP_KEYS: &[&str] = &[
    "t1_ms",
    "t2_ms",
    "t4_ms",
    "timer_c_s",
    "transport",
    "strict_rfc",
];
const TIMER_KEYS: &[&str] = &[
    "session_timers",
    "session_expires",
    "min_se",
    "refresher",
    "refresh_method",
    "refresh_at",
    "expiry_guard",
    "send_min_se",
    "require_timer",
    "max_422_retries",
    "profile",
];
const KINDS: &[&str] = &["ua", "proxy", "b2bua"];
const PROXY_KEYS: &[&str] = &[
    "id",
    "kind",
    "stateful",
    "record_route",
    "timers",
    "session_expires",
    "min_se",
    "dialog_fallback_lifetime_s",
    "proxy_bye_on_expiry",
];
const LINK_KEYS: &[&str] = &[
    "name",
    "group",
    "between",
    "delay_ms",
    "jitter_ms",
    "loss",
    "outages",
];
const WORKLOAD_KEYS: &[&str] = &[
    "horizon_s",
    "calls",
    "start_s",
    "interval_s",
    "spread_s",
    "rate_per_s",
    "holding_s",
    "caller",
    "callee",
    "pairs",
    "caller_group",
    "callee_group",
    "call_crash",
];
const FAULT_KINDS: &[&str] = &["crash", "link_down", "loss_burst", "drop_bye"];
/// Longest time accepted anywhere: 10^9 s (about 31 years) keeps all sums far from overflow.
const MAX_SECONDS: f64 = 1e9;

/// Names and ids known while reading, for references and suggestions.
struct Names {
    nodes: BTreeMap<String, NodeId>,
    /// UA groups (`group = "..."`) and their members.
    groups: BTreeMap<String, Vec<NodeId>>,
    kinds: Vec<&'static str>,
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
        found.map(|i| LinkId(i as u16))
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

fn millis(item: &Item, path: &str, errs: &mut Errors) -> Option<SimDuration> {
    // Delays up to 10^7 ms keep routing costs (ns · 1024 per link) far from overflow.
    let ms = number(item, path, 0.0, 1e7, "a time in milliseconds", errs)?;
    SimDuration::from_secs_f64(ms / 1e3).ok()
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
        Some(i) => read_timer_table(i, "defaults", &[], &mut errs),
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
            .and_then(|e| choice(&e.item, &format!("{path}.kind"), KINDS, &mut errs));
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
        names.kinds.push(kind.map_or("ua", |k| KINDS[k]));
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
    let mut nodes: Vec<NodeSpec> = Vec::new();
    let mut node_timers = Vec::new();
    for (i, item) in node_items.iter().enumerate() {
        let (spec, timers) = read_node(item, i, &names, &mut errs);
        nodes.push(spec);
        node_timers.push(timers);
    }
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
    if drop_byes > 8
        && let Some(i) = fault_item
    {
        errs.push(InputError::at(
            &i.loc,
            "fault",
            format!("{drop_byes} drop_bye faults: at most 8 are supported"),
        ));
    }

    if !errs.is_empty() {
        return Err(errs);
    }
    let workload = workload.expect("no errors means a workload was read");
    check_settings(&defaults, &node_timers, &nodes, strict_rfc, root, &mut errs);
    check_routes(&nodes, &links, &workload, &names, &mut errs);
    if !errs.is_empty() {
        return Err(errs);
    }
    resolve_ua_configs(&mut nodes, &node_timers, &defaults);
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

fn read_sip(item: &Item, errs: &mut Errors) -> (SipTimers, bool) {
    let mut s = SipTimers::default();
    let mut strict = true;
    let Some(mut f) = Fields::of(item, "sip", errs) else {
        return (s, strict);
    };
    let ms = |f: &mut Fields, key: &str, min: i64, errs: &mut Errors| {
        let path = f.path(key);
        f.get(key)
            .and_then(|i| {
                integer(
                    i,
                    &path,
                    min,
                    3_600_000,
                    "an integer number of milliseconds",
                    errs,
                )
            })
            .map(|v| SimDuration::from_millis(v as u32))
    };
    if let Some(v) = ms(&mut f, "t1_ms", 1, errs) {
        s.t1 = v;
    }
    if let Some(v) = ms(&mut f, "t2_ms", 1, errs) {
        s.t2 = v;
    }
    if let Some(v) = ms(&mut f, "t4_ms", 0, errs) {
        s.t4 = v;
    }
    if let Some(i) = f.get("timer_c_s")
        && let Some(v) = integer(
            i,
            "sip.timer_c_s",
            181,
            86_400,
            "an integer number of seconds (> 180, RFC 3261 §16.6)",
            errs,
        )
    {
        s.timer_c = SimDuration::from_secs(v as u32);
    }
    if let Some(i) = f.get("transport") {
        choice(i, "sip.transport", &["udp"], errs);
    }
    if let Some(i) = f.get("strict_rfc") {
        strict = boolean(i, "sip.strict_rfc", errs).unwrap_or(true);
    }
    if s.t2 < s.t1 {
        errs.push(InputError::at(
            &item.loc,
            "sip.t2_ms",
            "T2 must not be below T1",
        ));
    }
    f.finish(SIP_KEYS, errs);
    (s, strict)
}

/// Reads the session-timer keys of a table; `extra` keys are allowed and left unread.
fn read_timer_fields(f: &mut Fields, errs: &mut Errors) -> TimerLayer {
    let mut l = TimerLayer::default();
    if let Some((i, p)) = f.entry("session_timers") {
        l.mode = choice(i, &p, &["accept", "originate", "refuse"], errs)
            .map(|c| [Mode::Accept, Mode::Originate, Mode::Refuse][c]);
    }
    if let Some((i, p)) = f.entry("session_expires") {
        l.session_expires =
            integer(i, &p, 1, 86_400 * 365, "an integer number of seconds", errs).map(|v| v as u32);
    }
    if let Some((i, p)) = f.entry("min_se") {
        l.min_se =
            integer(i, &p, 1, 86_400 * 365, "an integer number of seconds", errs).map(|v| v as u32);
    }
    if let Some((i, p)) = f.entry("refresher") {
        l.refresher = choice(i, &p, &["uac", "uas"], errs)
            .map(|c| [RefresherPref::Uac, RefresherPref::Uas][c]);
    }
    if let Some((i, p)) = f.entry("refresh_method") {
        l.refresh_method = choice(i, &p, &["reinvite", "update"], errs)
            .map(|c| [RefreshMethod::Reinvite, RefreshMethod::Update][c]);
    }
    if let Some((i, p)) = f.entry("refresh_at") {
        l.refresh_at = number(i, &p, 0.0, 1.0, "a fraction of the interval", errs).and_then(|x| {
            if x == 0.0 || x == 1.0 {
                errs.push(InputError::at(
                    &i.loc,
                    &p,
                    "refresh_at must lie strictly between 0 and 1",
                ));
                None
            } else {
                Some(x)
            }
        });
    }
    if let Some((i, p)) = f.entry("expiry_guard") {
        l.expiry_guard = choice(i, &p, &["rfc", "at_expiry"], errs)
            .map(|c| [ExpiryGuard::Rfc, ExpiryGuard::AtExpiry][c]);
    }
    if let Some((i, p)) = f.entry("send_min_se") {
        l.send_min_se = choice(i, &p, &["always", "when_set"], errs)
            .map(|c| [SendMinSe::Always, SendMinSe::WhenSet][c]);
    }
    if let Some((i, p)) = f.entry("require_timer") {
        l.require_timer = boolean(i, &p, errs);
    }
    if let Some((i, p)) = f.entry("max_422_retries") {
        l.max_422_retries = integer(i, &p, 0, 100, "a number of retries", errs).map(|v| v as u32);
    }
    // A profile fills whatever this table leaves unset (explicit keys win).
    if let Some((i, p)) = f.entry("profile")
        && let Some(c) = choice(i, &p, PROFILES, errs)
    {
        l = l.over(&presets::profile(PROFILES[c]).expect("listed profiles exist"));
    }
    l
}

fn read_timer_table(item: &Item, path: &str, extra: &[&str], errs: &mut Errors) -> TimerLayer {
    let Some(mut f) = Fields::of(item, path, errs) else {
        return TimerLayer::default();
    };
    let l = read_timer_fields(&mut f, errs);
    let allowed: Vec<&str> = TIMER_KEYS.iter().chain(extra).copied().collect();
    f.finish(&allowed, errs);
    l
}

fn read_node(item: &Item, i: usize, names: &Names, errs: &mut Errors) -> (NodeSpec, NodeTimers) {
    let kind = names.kinds[i];
    let id = names
        .nodes
        .iter()
        .find(|(_, n)| n.index() == i)
        .map_or_else(|| format!("#{i}"), |(k, _)| k.clone());
    let path = format!("node.{id}");
    let mut timers = NodeTimers::default();
    let Some(mut f) = Fields::of(item, &path, errs) else {
        return (
            NodeSpec {
                name: id,
                kind: NodeKind::Ua(UaConfig::default()),
            },
            timers,
        );
    };
    f.get("id");
    f.get("kind");
    let spec_kind = match kind {
        "proxy" => {
            let mut p = ProxyKeys::default();
            if let Some(x) = f.get("stateful")
                && let Some(c) = choice(
                    x,
                    &f.path("stateful"),
                    &["none", "transaction", "dialog"],
                    errs,
                )
            {
                p.stateful = c;
            }
            if let Some(x) = f.get("record_route") {
                p.record_route = boolean(x, &f.path("record_route"), errs).unwrap_or(false);
            }
            if let Some(x) = f.get("timers") {
                p.timers = boolean(x, &f.path("timers"), errs).unwrap_or(false);
                if p.timers && p.stateful == 0 {
                    errs.push(InputError::at(
                        &x.loc,
                        f.path("timers"),
                        "a stateless proxy never requests a timer (RFC 4028 §8); use stateful = \"transaction\" or \"dialog\"",
                    ));
                }
            }
            if let Some(x) = f.get("session_expires") {
                p.session_expires = integer(
                    x,
                    &f.path("session_expires"),
                    1,
                    86_400 * 365,
                    "an integer number of seconds",
                    errs,
                )
                .map(|v| v as u32);
            }
            if let Some(x) = f.get("min_se")
                && let Some(v) = integer(
                    x,
                    &f.path("min_se"),
                    1,
                    86_400 * 365,
                    "an integer number of seconds",
                    errs,
                )
            {
                p.min_se = v as u32;
            }
            if let Some(x) = f.get("dialog_fallback_lifetime_s") {
                let kp = f.path("dialog_fallback_lifetime_s");
                p.fallback =
                    match &x.value {
                        Value::Str(s) if s == "unbounded" => None,
                        Value::Str(s) => {
                            errs.push(InputError::at(&x.loc, &kp, format!(
                            "\"{s}\" is not allowed: give seconds (a number) or \"unbounded\""
                        )));
                            None
                        }
                        _ => seconds(x, &kp, errs),
                    };
                if p.stateful != 2 {
                    errs.push(InputError::at(
                        &x.loc,
                        &kp,
                        "only a dialog-stateful proxy (stateful = \"dialog\") keeps dialog records",
                    ));
                }
            }
            if let Some(x) = f.get("proxy_bye_on_expiry") {
                p.bye_on_expiry = boolean(x, &f.path("proxy_bye_on_expiry"), errs).unwrap_or(false);
                if p.bye_on_expiry && !(p.timers && p.stateful == 2) {
                    errs.push(InputError::at(
                        &x.loc,
                        f.path("proxy_bye_on_expiry"),
                        "only a timer-aware dialog-stateful proxy (timers = true, stateful = \"dialog\") has an expiry to act on",
                    ));
                }
            }
            f.finish(PROXY_KEYS, errs);
            timers.proxy = Some(p);
            NodeKind::Proxy(p.config())
        }
        _ => {
            timers.layer = read_timer_fields(&mut f, errs);
            if let Some(peers) = f.get("peers") {
                let ppath = f.path("peers");
                if let Some(mut pf) = Fields::of(peers, &ppath, errs) {
                    for e in pf.all() {
                        let epath = format!("{ppath}.{}", e.key);
                        match names.nodes.get(&e.key) {
                            Some(&peer) => {
                                let layer = read_timer_table(&e.item, &epath, &[], errs);
                                timers.peers.push((peer, layer));
                            }
                            None => errs.push(
                                InputError::at(
                                    &e.key_loc,
                                    &epath,
                                    format!("unknown peer node id \"{}\"", e.key),
                                )
                                .with_hint(did_you_mean(
                                    &e.key,
                                    names.nodes.keys().map(String::as_str),
                                )),
                            ),
                        }
                    }
                }
            }
            if let Some(g) = f.get("group") {
                let gp = f.path("group");
                if string(g, &gp, errs).is_some() && kind != "ua" {
                    errs.push(InputError::at(
                        &g.loc,
                        gp,
                        "only UAs belong to workload groups",
                    ));
                }
            }
            let allowed: Vec<&str> = ["id", "kind", "group", "peers"]
                .iter()
                .chain(TIMER_KEYS)
                .copied()
                .collect();
            f.finish(&allowed, errs);
            // Resolved against [defaults] once everything is read.
            if kind == "b2bua" {
                NodeKind::B2bua(UaConfig::default())
            } else {
                NodeKind::Ua(UaConfig::default())
            }
        }
    };
    (
        NodeSpec {
            name: id,
            kind: spec_kind,
        },
        timers,
    )
}

fn read_loss(item: &Item, path: &str, errs: &mut Errors) -> Option<LossModel> {
    if !matches!(item.value, Value::Table(_)) {
        return probability(item, path, errs).map(LossModel::Bernoulli);
    }
    let mut f = Fields::of(item, path, errs)?;
    let model = f
        .get("model")
        .and_then(|m| choice(m, &f.path("model"), &["bernoulli", "gilbert_elliott"], errs));
    let p = |f: &mut Fields, key: &str, default: Option<f64>, errs: &mut Errors| match default {
        None => f
            .require(key, errs)
            .and_then(|(x, path)| probability(x, &path, errs)),
        Some(d) => match f.entry(key) {
            Some((x, path)) => probability(x, &path, errs),
            None => Probability::new(d),
        },
    };
    let loss = match model {
        Some(0) => {
            let x = p(&mut f, "p", None, errs);
            f.finish(&["model", "p"], errs);
            LossModel::Bernoulli(x?)
        }
        Some(1) => {
            let g2b = p(&mut f, "p_good_to_bad", None, errs);
            let b2g = p(&mut f, "p_bad_to_good", None, errs);
            let lg = p(&mut f, "loss_good", Some(0.0), errs);
            let lb = p(&mut f, "loss_bad", Some(1.0), errs);
            f.finish(
                &[
                    "model",
                    "p_good_to_bad",
                    "p_bad_to_good",
                    "loss_good",
                    "loss_bad",
                ],
                errs,
            );
            LossModel::GilbertElliott {
                p_good_to_bad: g2b?,
                p_bad_to_good: b2g?,
                loss_good: lg?,
                loss_bad: lb?,
            }
        }
        _ => {
            if f.get("model").is_none() {
                errs.push(InputError::at(
                    &item.loc,
                    path,
                    "a loss table needs model = \"bernoulli\" or \"gilbert_elliott\"",
                ));
            }
            return None;
        }
    };
    Some(loss)
}

fn read_links(item: &Item, names: &mut Names, errs: &mut Errors) -> Vec<LinkConfig> {
    let Value::Array(xs) = &item.value else {
        errs.push(InputError::at(
            &item.loc,
            "link",
            "expected [[link]] tables",
        ));
        return Vec::new();
    };
    let mut links = Vec::new();
    for (i, x) in xs.iter().enumerate() {
        let Some(mut f) = Fields::of(x, &format!("link[{i}]"), errs) else {
            continue;
        };
        let ends = f.get("between").and_then(|b| {
            let p = format!("link[{i}].between");
            let ends = array(b, &p, errs, |y, q, e| names.node(y, q, e))?;
            if ends.len() != 2 || ends[0] == ends[1] {
                errs.push(InputError::at(
                    &b.loc,
                    &p,
                    "expected two different node ids, e.g. [\"alice\", \"p1\"]",
                ));
                return None;
            }
            Some((ends[0], ends[1]))
        });
        if ends.is_none() && f.get("between").is_none() {
            errs.push(InputError::at(
                &x.loc,
                format!("link[{i}]"),
                "missing key `between = [node, node]`",
            ));
        }
        let node_name = |n: NodeId| {
            names
                .nodes
                .iter()
                .find(|(_, v)| **v == n)
                .map(|(k, _)| k.clone())
                .unwrap_or_default()
        };
        let default_name = ends.map(|(a, b)| format!("{}-{}", node_name(a), node_name(b)));
        let name = match f.get("name") {
            Some(n) => match string(n, &format!("link[{i}].name"), errs) {
                Some(s) if valid_id(&s) => Some(s),
                Some(_) => {
                    errs.push(InputError::at(
                        &n.loc,
                        format!("link[{i}].name"),
                        "link names use letters, digits, '_' and '-' only",
                    ));
                    default_name
                }
                None => default_name,
            },
            None => default_name,
        };
        let path = name
            .as_ref()
            .map_or_else(|| format!("link[{i}]"), |n| format!("link.{n}"));
        let name = name.unwrap_or_else(|| format!("#{i}"));
        if names.links.contains_key(&name) {
            errs.push(InputError::at(
                &x.loc,
                &path,
                format!("duplicate link name \"{name}\"; set `name` to tell parallel links apart"),
            ));
        }
        // A link group only names links together for experiments (`link.<group>.<key>`).
        if let Some(g) = f.get("group") {
            let p = format!("{path}.group");
            if string(g, &p, errs).is_some_and(|s| !valid_id(&s)) {
                errs.push(InputError::at(
                    &g.loc,
                    p,
                    "link groups use letters, digits, '_' and '-' only",
                ));
            }
        }
        let delay = f
            .get("delay_ms")
            .and_then(|d| millis(d, &format!("{path}.delay_ms"), errs))
            .unwrap_or(SimDuration::ZERO);
        let jitter = f
            .get("jitter_ms")
            .and_then(|d| millis(d, &format!("{path}.jitter_ms"), errs))
            .unwrap_or(SimDuration::ZERO);
        let loss = match f.get("loss") {
            Some(l) => read_loss(l, &format!("{path}.loss"), errs),
            None => Some(LossModel::Bernoulli(Probability::ZERO)),
        };
        let outages = f
            .get("outages")
            .and_then(|o| {
                array(o, &format!("{path}.outages"), errs, |w, p, e| {
                    let pair = array(w, p, e, seconds)?;
                    if pair.len() != 2 || pair[0] >= pair[1] {
                        e.push(InputError::at(
                            &w.loc,
                            p,
                            "expected [start_s, end_s] with start_s < end_s",
                        ));
                        return None;
                    }
                    Some((
                        SimTime::from_nanos(pair[0].as_nanos()),
                        SimTime::from_nanos(pair[1].as_nanos()),
                    ))
                })
            })
            .unwrap_or_default();
        f.finish(LINK_KEYS, errs);
        if let (Some((a, b)), Some(loss)) = (ends, loss) {
            names.links.insert(name, LinkId(links.len() as u16));
            names.link_pairs.push((a, b));
            links.push(LinkConfig {
                a,
                b,
                delay,
                jitter,
                loss,
                outages,
                bursts: Vec::new(),
            });
        }
    }
    links
}

/// The workload and where its pairs were written (for route errors).
type ReadWorkload = (WorkloadSpec, Loc);

const HOLDING_MODELS: &[&str] = &["fixed", "exponential", "lognormal"];

fn read_holding(item: &Item, path: &str, errs: &mut Errors) -> Option<Holding> {
    if !matches!(item.value, Value::Table(_)) {
        return seconds(item, path, errs).map(Holding::Fixed);
    }
    let mut f = Fields::of(item, path, errs)?;
    let (m, mp) = f.require("model", errs)?;
    let model = choice(m, &mp, HOLDING_MODELS, errs)?;
    let h = match HOLDING_MODELS[model] {
        "fixed" => {
            let s = f.require("s", errs).and_then(|(i, p)| seconds(i, &p, errs));
            f.finish(&["model", "s"], errs);
            Holding::Fixed(s?)
        }
        "exponential" => {
            let mean = f
                .require("mean_s", errs)
                .and_then(|(i, p)| seconds(i, &p, errs));
            f.finish(&["model", "mean_s"], errs);
            Holding::Exponential { mean: mean? }
        }
        _ => {
            let median = f
                .require("median_s", errs)
                .and_then(|(i, p)| seconds(i, &p, errs));
            let sigma = f
                .require("sigma", errs)
                .and_then(|(i, p)| number(i, &p, 0.0, 10.0, "a lognormal shape (sigma)", errs));
            f.finish(&["model", "median_s", "sigma"], errs);
            Holding::LogNormal {
                median: median?,
                sigma: sigma?,
            }
        }
    };
    Some(h)
}

fn read_workload(item: &Item, names: &Names, errs: &mut Errors) -> Option<ReadWorkload> {
    let mut f = Fields::of(item, "workload", errs)?;
    let horizon = f
        .require("horizon_s", errs)
        .and_then(|(i, p)| seconds(i, &p, errs));
    let to_time = |d: SimDuration| SimTime::from_nanos(d.as_nanos());
    let start = f
        .entry("start_s")
        .map_or(Some(SimDuration::ZERO), |(i, p)| seconds(i, &p, errs))
        .map(to_time);
    let calls = f
        .entry("calls")
        .map(|(i, p)| integer(i, &p, 0, 100_000_000, "a number of calls", errs).map(|c| c as u32));
    let interval = f.entry("interval_s");
    let spread = f.entry("spread_s");
    let rate = f.entry("rate_per_s");
    let arrivals = match (interval, spread, rate) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
            errs.push(InputError::at(
                &item.loc,
                "workload",
                "give one arrival pattern: interval_s (regular), spread_s (uniform over a window) or rate_per_s (Poisson)",
            ));
            None
        }
        (_, _, Some((i, p))) => {
            number(i, &p, 1e-9, 1e9, "a rate in calls per second", errs).map(|r| {
                Arrivals::Poisson {
                    rate_per_s: r,
                    start: start.unwrap_or_default(),
                    max_calls: calls.flatten(),
                }
            })
        }
        (_, Some((i, p)), _) => seconds(i, &p, errs).map(|over| Arrivals::Spread {
            calls: calls.flatten().unwrap_or(1),
            start: start.unwrap_or_default(),
            over,
        }),
        (Some((i, p)), _, _) => seconds(i, &p, errs).map(|interval| Arrivals::Regular {
            calls: calls.flatten().unwrap_or(1),
            start: start.unwrap_or_default(),
            interval,
        }),
        (None, None, None) => Some(Arrivals::Regular {
            calls: calls.flatten().unwrap_or(1),
            start: start.unwrap_or_default(),
            interval: SimDuration::ZERO,
        }),
    };
    let holding = f.entry("holding_s").map_or(
        Some(Holding::Fixed(SimDuration::from_secs(60))),
        |(i, p)| read_holding(i, &p, errs),
    );
    let pairs = read_pairs(&mut f, item, names, errs);
    let call_crash = f.entry("call_crash").and_then(|(i, p)| {
        let mut cf = Fields::of(i, &p, errs)?;
        let probability = cf
            .require("probability", errs)
            .and_then(|(x, q)| probability(x, &q, errs));
        let side = cf
            .entry("side")
            .map_or(Some(2), |(x, q)| {
                choice(x, &q, &["caller", "callee", "either"], errs)
            })
            .map(|c| [CrashSide::Caller, CrashSide::Callee, CrashSide::Either][c]);
        cf.finish(&["probability", "side"], errs);
        Some(CallCrash {
            probability: probability?,
            side: side?,
        })
    });
    f.finish(WORKLOAD_KEYS, errs);
    let (pairs, loc) = pairs?;
    Some((
        WorkloadSpec {
            arrivals: arrivals?,
            holding: holding?,
            pairs,
            call_crash,
            horizon: to_time(horizon?),
        },
        loc,
    ))
}

/// `caller`/`callee`, `pairs = [[a, b], …]`, or `caller_group`/`callee_group`.
fn read_pairs(
    f: &mut Fields,
    item: &Item,
    names: &Names,
    errs: &mut Errors,
) -> Option<(Pairs, Loc)> {
    let single = (f.entry("caller"), f.entry("callee"));
    let list = f.entry("pairs");
    let groups = (f.entry("caller_group"), f.entry("callee_group"));
    let forms = usize::from(single.0.is_some() || single.1.is_some())
        + usize::from(list.is_some())
        + usize::from(groups.0.is_some() || groups.1.is_some());
    if forms != 1 {
        errs.push(InputError::at(
            &item.loc,
            "workload",
            "say who calls whom with exactly one of: caller + callee, pairs = [[caller, callee], …], or caller_group + callee_group",
        ));
        return None;
    }
    let ua = |id: NodeId, loc: &Loc, path: &str, errs: &mut Errors| {
        if names.kinds[id.index()] != "ua" {
            errs.push(InputError::at(
                loc,
                path,
                "calls start and end at nodes of kind \"ua\"",
            ));
        }
    };
    let pair = |a: (&Item, String), b: (&Item, String), errs: &mut Errors| {
        let x = names.node(a.0, &a.1, errs)?;
        let y = names.node(b.0, &b.1, errs)?;
        ua(x, &a.0.loc, &a.1, errs);
        ua(y, &b.0.loc, &b.1, errs);
        if x == y {
            errs.push(InputError::at(
                &b.0.loc,
                &b.1,
                "the callee must differ from the caller",
            ));
            return None;
        }
        Some((x, y))
    };
    if let (Some(a), Some(b)) = single.clone() {
        let loc = a.0.loc.clone();
        return pair(a, b, errs).map(|p| (Pairs::List(vec![p]), loc));
    }
    if single.0.is_some() || single.1.is_some() {
        errs.push(InputError::at(
            &item.loc,
            "workload",
            "caller and callee go together",
        ));
        return None;
    }
    if let Some((i, p)) = list {
        let pairs = array(i, &p, errs, |x, q, e| {
            let Value::Array(two) = &x.value else {
                e.push(InputError::at(&x.loc, q, "expected [caller, callee]"));
                return None;
            };
            if two.len() != 2 {
                e.push(InputError::at(&x.loc, q, "expected [caller, callee]"));
                return None;
            }
            pair(
                (&two[0], format!("{q}[0]")),
                (&two[1], format!("{q}[1]")),
                e,
            )
        })?;
        if pairs.is_empty() {
            errs.push(InputError::at(&i.loc, &p, "at least one pair is needed"));
            return None;
        }
        return Some((Pairs::List(pairs), i.loc.clone()));
    }
    let (Some((ci, cp)), Some((ei, ep))) = groups else {
        errs.push(InputError::at(
            &item.loc,
            "workload",
            "caller_group and callee_group go together",
        ));
        return None;
    };
    let group = |x: &Item, path: &str, errs: &mut Errors| -> Option<Vec<NodeId>> {
        let g = string(x, path, errs)?;
        match names.groups.get(&g) {
            Some(members) => Some(members.clone()),
            None => {
                errs.push(
                    InputError::at(&x.loc, path, format!("no UA has group = \"{g}\""))
                        .with_hint(did_you_mean(&g, names.groups.keys().map(String::as_str))),
                );
                None
            }
        }
    };
    let callers = group(ci, &cp, errs)?;
    let callees = group(ei, &ep, errs)?;
    if callers.len() == 1 && callees == callers {
        errs.push(InputError::at(
            &ei.loc,
            &ep,
            "a group of one UA cannot call itself",
        ));
        return None;
    }
    Some((Pairs::Groups { callers, callees }, ci.loc.clone()))
}

fn read_fault(item: &Item, path: &str, names: &Names, errs: &mut Errors) -> Option<FaultSpec> {
    let mut f = Fields::of(item, path, errs)?;
    let kind = match f.get("kind") {
        Some(k) => choice(k, &f.path("kind"), FAULT_KINDS, errs)?,
        None => {
            errs.push(InputError::at(
                &item.loc,
                path,
                "missing key `kind` (crash, link_down, loss_burst, drop_bye)",
            ));
            return None;
        }
    };
    let time = |x: Option<(&Item, String)>, errs: &mut Errors| {
        let (i, p) = x?;
        seconds(i, &p, errs).map(|d| SimTime::from_nanos(d.as_nanos()))
    };
    let fault = match FAULT_KINDS[kind] {
        "crash" => {
            let node = f
                .require("node", errs)
                .and_then(|(i, p)| names.node(i, &p, errs));
            let at = time(f.require("at_s", errs), errs);
            let restart = match f.get("restart_after_s") {
                Some(i) => Some(seconds(i, &f.path("restart_after_s"), errs)?),
                None => None,
            };
            f.finish(&["kind", "node", "at_s", "restart_after_s"], errs);
            FaultSpec::Crash {
                node: node?,
                at: at?,
                restart_after: restart,
            }
        }
        "link_down" | "loss_burst" => {
            let link = f
                .require("link", errs)
                .and_then(|(i, p)| names.link(i, &p, errs));
            let from = time(f.require("from_s", errs), errs);
            let to = time(f.require("to_s", errs), errs);
            if let (Some(a), Some(b)) = (from, to)
                && a >= b
            {
                errs.push(InputError::at(
                    &item.loc,
                    f.path("to_s"),
                    "to_s must be after from_s",
                ));
                return None;
            }
            if FAULT_KINDS[kind] == "link_down" {
                f.finish(&["kind", "link", "from_s", "to_s"], errs);
                FaultSpec::LinkDown {
                    link: link?,
                    from: from?,
                    to: to?,
                }
            } else {
                let loss = f
                    .require("loss", errs)
                    .and_then(|(i, p)| probability(i, &p, errs));
                f.finish(&["kind", "link", "from_s", "to_s", "loss"], errs);
                FaultSpec::LossBurst {
                    link: link?,
                    from: from?,
                    to: to?,
                    loss: loss?,
                }
            }
        }
        _ => {
            let link = f
                .require("link", errs)
                .and_then(|(i, p)| names.link(i, &p, errs));
            let calls = f.get("calls").map(|i| {
                array(i, &f.path("calls"), errs, |x, p, e| {
                    integer(x, p, 0, u32::MAX as i64, "a call number", e).map(|v| v as u32)
                })
            });
            let prob = f
                .get("probability")
                .map(|i| probability(i, &f.path("probability"), errs));
            f.finish(&["kind", "link", "calls", "probability"], errs);
            let calls = match (calls, prob) {
                (Some(c), None) => ByeSelection::Calls(c?),
                (None, Some(p)) => ByeSelection::Probability(p?),
                _ => {
                    errs.push(InputError::at(
                        &item.loc,
                        path,
                        "give exactly one of `calls = [..]` or `probability`",
                    ));
                    return None;
                }
            };
            FaultSpec::DropBye { link: link?, calls }
        }
    };
    Some(fault)
}

/// Effective session-timer settings must respect the RFC floors and SE ≥ Min-SE.
fn check_settings(
    defaults: &TimerLayer,
    node_timers: &[NodeTimers],
    nodes: &[NodeSpec],
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
        if strict && s.min_se < 90 {
            errs.push(InputError::at(&at(&path, "min_se", "session_expires"), format!("{path}.min_se"), format!(
                "min_se {} is below the RFC 4028 floor of 90 s (set [sip] strict_rfc = false to allow it)", s.min_se
            )));
        }
        if strict && s.session_expires < 90 {
            errs.push(InputError::at(&at(&path, "session_expires", "min_se"), format!("{path}.session_expires"), format!(
                "session_expires {} is below the RFC 4028 floor of 90 s (set [sip] strict_rfc = false to allow it)", s.session_expires
            )));
        }
        if s.session_expires < s.min_se {
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
    for (spec, t) in nodes.iter().zip(node_timers) {
        let path = format!("node.{}", spec.name);
        match &spec.kind {
            NodeKind::Proxy(_) => {
                let p = t.proxy.expect("read with the proxy");
                if strict && p.min_se < 90 {
                    errs.push(InputError::at(&at(&path, "min_se", "kind"), format!("{path}.min_se"), format!(
                        "min_se {} is below the RFC 4028 floor of 90 s (set [sip] strict_rfc = false to allow it)", p.min_se
                    )));
                }
                if let Some(se) = p.session_expires
                    && se < p.min_se
                {
                    errs.push(InputError::at(
                        &at(&path, "session_expires", "min_se"),
                        format!("{path}.session_expires"),
                        format!(
                            "session_expires ceiling {se} is below the proxy's min_se {}",
                            p.min_se
                        ),
                    ));
                }
            }
            _ => {
                // Report a problem once, at the level that introduces it.
                let sets = |l: &TimerLayer| l.session_expires.is_some() || l.min_se.is_some();
                let node = t.layer.over(defaults);
                if sets(&t.layer) {
                    check(node, path.clone(), errs);
                }
                for (peer, layer) in t.peers.iter().filter(|(_, l)| sets(l)) {
                    check(
                        layer.over(&node),
                        format!("{path}.peers.{}", nodes[peer.index()].name),
                        errs,
                    );
                }
            }
        }
    }
}

/// Fills each UA's and B2BUA's settings: `[defaults]` < node < `peers.<id>`.
fn resolve_ua_configs(nodes: &mut [NodeSpec], timers: &[NodeTimers], defaults: &TimerLayer) {
    for (spec, t) in nodes.iter_mut().zip(timers) {
        let node = t.layer.over(defaults);
        let cfg = UaConfig {
            base: node.resolve(),
            peers: t
                .peers
                .iter()
                .map(|(p, l)| (*p, l.over(&node).resolve()))
                .collect(),
        };
        match &mut spec.kind {
            NodeKind::Ua(c) | NodeKind::B2bua(c) => *c = cfg,
            NodeKind::Proxy(_) => {}
        }
    }
}

/// The location of a key path like `node.p1.min_se` or `defaults.min_se`, if written in the file.
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
        last = Some(e.key_loc.clone());
        if let Value::Table(next) = &e.item.value {
            table = next;
        }
        i += 1;
    }
    last
}

/// Every caller must reach its callee, on a path no longer than the Via stack holds.
fn check_routes(
    nodes: &[NodeSpec],
    links: &[LinkConfig],
    w: &ReadWorkload,
    names: &Names,
    errs: &mut Errors,
) {
    let weights: Vec<_> = links
        .iter()
        .map(|l| (l.a, l.b, l.mean_delay_ns()))
        .collect();
    let topo = Topology::new(nodes.len(), &weights);
    let (spec, loc) = w;
    let pairs: Vec<(NodeId, NodeId)> = match &spec.pairs {
        Pairs::List(l) => l.clone(),
        Pairs::Groups { callers, callees } => callers
            .iter()
            .flat_map(|&a| {
                callees
                    .iter()
                    .filter(move |&&b| b != a)
                    .map(move |&b| (a, b))
            })
            .collect(),
    };
    let name = |n: NodeId| nodes[n.index()].name.clone();
    for (a, b) in pairs {
        match topo.path(a, b) {
            None => {
                errs.push(InputError::at(loc, "workload.caller", format!(
                    "caller \"{}\" cannot reach callee \"{}\": no chain of [[link]]s joins them",
                    name(a),
                    name(b)
                )));
                return;
            }
            Some(path) => {
                // The Via stack grows by one per SIP element until a B2BUA restarts it.
                let mut depth = 0;
                for n in &path[..path.len() - 1] {
                    depth = if names.kinds[n.index()] == "b2bua" {
                        1
                    } else {
                        depth + 1
                    };
                    if depth > MAX_HOPS {
                        errs.push(InputError::at(loc, "workload.caller", format!(
                            "the path from \"{}\" to \"{}\" crosses more than {MAX_HOPS} SIP elements without a B2BUA",
                            name(a),
                            name(b)
                        )));
                        return;
                    }
                }
            }
        }
    }
}
