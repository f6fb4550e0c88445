//! `[[node]]` tables: a node's kind and its settings. UAs and B2BUAs take
//! the session-timer keys and `peers.<id>` overrides; proxies take their
//! statefulness, Record-Route and timer keys.

use crate::engine::SimDuration;
use crate::keyword::keywords;
use crate::session_timer::ProxyTimerConfig;
use crate::session_timer::negotiation::RFC_MIN_SE;
use crate::sim::{NodeKind, NodeSpec};
use crate::sip::proxy::{AtExpiry, ProxyConfig, ProxyState, RecordTimers, Statefulness};
use crate::sip::ua_core::UaConfig;

use super::super::doc::{Errors, Fields, Item, Value, boolean, integer, keyword, string};
use super::super::error::{InputError, Loc, did_you_mean};
use super::sip::{TXN_TIMER_KEYS, read_node_timers};
use super::timers::{TIMER_KEYS, read_timer_fields, read_timer_table};
use super::{MAX_INTERVAL_S, Names, NodeTimers, seconds};

/// A node's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A user agent.
    Ua,
    /// A proxy.
    Proxy,
    /// A back-to-back user agent.
    B2bua,
}

keywords!(Kind {
    "ua" => Kind::Ua,
    "proxy" => Kind::Proxy,
    "b2bua" => Kind::B2bua,
});

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

/// A proxy's keys as written, kept for the checks that need the whole model.
#[derive(Debug, Clone)]
pub(super) struct ProxyKeys {
    stateful: Statefulness,
    record_route: bool,
    timers: bool,
    /// Its Session-Expires ceiling, seconds, and where it was written.
    pub(super) session_expires: Option<(u32, Loc)>,
    /// Its minimum, seconds, and where it was written.
    pub(super) min_se: (u32, Option<Loc>),
    fallback: Option<SimDuration>,
    bye_on_expiry: bool,
}

impl ProxyKeys {
    /// The proxy's configuration: timer settings count only on a
    /// timer-aware proxy, a fallback only on a dialog-stateful one.
    fn config(&self) -> ProxyConfig {
        let negotiation = ProxyTimerConfig {
            ceiling: self.session_expires.as_ref().map(|s| s.0),
            min_se: self.min_se.0,
            floor_s: RFC_MIN_SE,
        };
        let state = match self.stateful {
            Statefulness::Stateless => ProxyState::Stateless,
            Statefulness::Transaction => ProxyState::Transaction {
                timers: self.timers.then_some(negotiation),
            },
            Statefulness::Dialog => ProxyState::Dialog {
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

/// One node as read.
pub(super) struct ReadNode {
    pub(super) spec: NodeSpec,
    pub(super) timers: NodeTimers,
    pub(super) proxy: Option<ProxyKeys>,
}

/// Reads node `i` (its id and kind were read in the first pass into `names`).
pub(super) fn read_node(item: &Item, i: usize, names: &Names, errs: &mut Errors) -> ReadNode {
    let kind = names.kinds[i];
    let id = names
        .nodes
        .iter()
        .find(|(_, n)| n.index() == i)
        .map_or_else(|| format!("#{i}"), |(k, _)| k.clone());
    let path = format!("node.{id}");
    let mut read = ReadNode {
        spec: NodeSpec {
            name: id,
            kind: NodeKind::Ua(UaConfig::default()),
            sip: Default::default(),
        },
        timers: NodeTimers::default(),
        proxy: None,
    };
    let Some(mut f) = Fields::of(item, &path, errs) else {
        return read;
    };
    f.get("id");
    f.get("kind");
    read.spec.sip = read_node_timers(&mut f, errs);
    match kind {
        Kind::Proxy => {
            let p = read_proxy(&mut f, errs);
            let allowed: Vec<&str> = PROXY_KEYS.iter().chain(TXN_TIMER_KEYS).copied().collect();
            f.finish(&allowed, errs);
            read.spec.kind = NodeKind::Proxy(p.config());
            read.proxy = Some(p);
        }
        Kind::Ua | Kind::B2bua => {
            read.timers = read_ua(f, kind, names, errs);
            // Resolved against [defaults] once everything is read.
            if kind == Kind::B2bua {
                read.spec.kind = NodeKind::B2bua(UaConfig::default());
            }
        }
    }
    read
}

fn read_ua(mut f: Fields, kind: Kind, names: &Names, errs: &mut Errors) -> NodeTimers {
    let mut timers = NodeTimers {
        layer: read_timer_fields(&mut f, errs),
        peers: Vec::new(),
    };
    if let Some(peers) = f.get("peers") {
        let ppath = f.path("peers");
        if let Some(mut pf) = Fields::of(peers, &ppath, errs) {
            for e in pf.all() {
                let epath = format!("{ppath}.{}", e.key);
                match names.nodes.get(&e.key) {
                    Some(&peer) => {
                        let layer = read_timer_table(&e.item, &epath, errs);
                        timers.peers.push((peer, layer));
                    }
                    None => errs.push(
                        InputError::at(
                            &e.key_loc,
                            &epath,
                            format!("unknown peer node id \"{}\"", e.key),
                        )
                        .with_hint(did_you_mean(&e.key, names.nodes.keys().map(String::as_str))),
                    ),
                }
            }
        }
    }
    if let Some(g) = f.get("group") {
        let gp = f.path("group");
        if string(g, &gp, errs).is_some() && kind != Kind::Ua {
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
        .chain(TXN_TIMER_KEYS)
        .copied()
        .collect();
    f.finish(&allowed, errs);
    timers
}

fn read_proxy(f: &mut Fields, errs: &mut Errors) -> ProxyKeys {
    let mut p = ProxyKeys {
        stateful: Statefulness::Transaction,
        record_route: false,
        timers: false,
        session_expires: None,
        min_se: (RFC_MIN_SE, None),
        fallback: None,
        bye_on_expiry: false,
    };
    if let Some((x, kp)) = f.entry("stateful")
        && let Some(s) = keyword::<Statefulness>(x, &kp, errs)
    {
        p.stateful = s;
    }
    if let Some((x, kp)) = f.entry("record_route") {
        p.record_route = boolean(x, &kp, errs).unwrap_or(false);
    }
    if let Some((x, kp)) = f.entry("timers") {
        p.timers = boolean(x, &kp, errs).unwrap_or(false);
        if p.timers && p.stateful == Statefulness::Stateless {
            errs.push(InputError::at(
                &x.loc,
                kp,
                "a stateless proxy never requests a timer (RFC 4028 §8); use stateful = \"transaction\" or \"dialog\"",
            ));
        }
    }
    let interval = |x: &Item, kp: &str, errs: &mut Errors| {
        integer(
            x,
            kp,
            1,
            MAX_INTERVAL_S,
            "an integer number of seconds",
            errs,
        )
        .map(|v| v as u32)
    };
    if let Some((x, kp)) = f.entry("session_expires") {
        let at = f.key_loc("session_expires");
        p.session_expires = interval(x, &kp, errs).map(|v| (v, at.expect("the key was read")));
    }
    if let Some((x, kp)) = f.entry("min_se")
        && let Some(v) = interval(x, &kp, errs)
    {
        p.min_se = (v, f.key_loc("min_se"));
    }
    if let Some((x, kp)) = f.entry("dialog_fallback_lifetime_s") {
        p.fallback = match &x.value {
            Value::Str(s) if s == "unbounded" => None,
            Value::Str(s) => {
                errs.push(InputError::at(
                    &x.loc,
                    &kp,
                    format!("\"{s}\" is not allowed: give seconds (a number) or \"unbounded\""),
                ));
                None
            }
            _ => seconds(x, &kp, errs),
        };
        if p.stateful != Statefulness::Dialog {
            errs.push(InputError::at(
                &x.loc,
                &kp,
                "only a dialog-stateful proxy (stateful = \"dialog\") keeps dialog records",
            ));
        }
    }
    if let Some((x, kp)) = f.entry("proxy_bye_on_expiry") {
        p.bye_on_expiry = boolean(x, &kp, errs).unwrap_or(false);
        if p.bye_on_expiry && !(p.timers && p.stateful == Statefulness::Dialog) {
            errs.push(InputError::at(
                &x.loc,
                kp,
                "only a timer-aware dialog-stateful proxy (timers = true, stateful = \"dialog\") has an expiry to act on",
            ));
        }
    }
    p
}
