//! `[[node]]` tables: a node's kind and its settings. UAs and B2BUAs take
//! the session-timer keys and `peers.<id>` overrides; proxies take their
//! statefulness, Record-Route and timer keys.

use crate::engine::SimDuration;
use crate::keyword::keywords;
use crate::net::{Keepalive, NatBinding};
use crate::session_timer::negotiation::RFC_MIN_SE;
use crate::session_timer::{
    MinSeIn422, MinSeWithoutSe, ProxyInterval, RefreshRequests, SeIn2xx, SmallSeWithoutTimer,
};
use crate::sim::{NodeKind, NodeSpec};
use crate::sip::proxy::profiles::{PROXY_PROFILES, ProxyPreset, proxy_profile};
use crate::sip::proxy::{
    AtExpiry, ExpiryFree, Lifetime, OnRefresh, ProxyConfig, Statefulness, TimeoutRestart,
};
use crate::sip::ua_core::UaConfig;

use super::super::doc::{Errors, Fields, Item, Value, boolean, choice, integer, keyword, string};
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

/// A proxy's own keys; the timer-rule, dialog and transaction-timer keys
/// are allowed too.
const PROXY_KEYS: &[&str] = &[
    "id",
    "kind",
    "address",
    "profile",
    "stateful",
    "record_route",
    "timers",
];

/// Keys that only a timer-aware proxy uses.
const TIMER_RULE_KEYS: &[&str] = &[
    "session_expires",
    "min_se",
    "sst_interval_s",
    "interval",
    "small_se_without_timer",
    "min_se_without_se",
    "reject_small",
    "min_se_in_422",
    "forward_after_422",
    "script_check_min",
    "check_min_inverted",
    "se_in_2xx",
    "require_in_2xx",
    "refresh_requests",
];

/// Keys that only a dialog-stateful proxy uses.
const DIALOG_KEYS: &[&str] = &[
    "dialog_fallback_lifetime_s",
    "dialog_timeout_s",
    "lifetime",
    "lifetime_on_refresh",
    "timeout_restart",
    "timeout_tick_ms",
    "proxy_bye_on_expiry",
    "expiry_free",
    "terminated_linger_s",
];

/// A proxy's keys as read over its profile, kept for the checks that need
/// the whole model.
#[derive(Debug, Clone)]
pub(super) struct ProxyKeys {
    /// Every value, from the keys or else the profile.
    preset: ProxyPreset,
    /// Its Session-Expires ceiling, seconds, and where it was written.
    pub(super) session_expires: Option<(u32, Loc)>,
    /// Its minimum, seconds, and where it was written.
    pub(super) min_se: (u32, Option<Loc>),
}

impl ProxyKeys {
    /// The proxy's configuration: timer settings count only on a
    /// timer-aware proxy, dialog settings only on a dialog-stateful one.
    fn config(&self) -> ProxyConfig {
        let mut p = self.preset;
        p.min_se = self.min_se.0;
        p.config(self.session_expires.as_ref().map(|s| s.0), RFC_MIN_SE)
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
            nat: None,
            address: None,
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
    if let Some((x, kp)) = f.entry("address") {
        read.spec.address = string(x, &kp, errs).and_then(|s| match s.parse() {
            Ok(a) => Some(a),
            Err(_) => {
                errs.push(InputError::at(
                    &x.loc,
                    &kp,
                    format!("\"{s}\" is not an IPv4 address and port, e.g. \"192.0.2.10:5060\""),
                ));
                None
            }
        });
    }
    match kind {
        Kind::Proxy => {
            let p = read_proxy(&mut f, errs);
            read.spec.sip = read.spec.sip.or(p.preset.sip);
            let allowed: Vec<&str> =
                [PROXY_KEYS, TIMER_RULE_KEYS, DIALOG_KEYS, TXN_TIMER_KEYS].concat();
            f.finish(&allowed, errs);
            read.spec.kind = NodeKind::Proxy(p.config());
            read.proxy = Some(p);
        }
        Kind::Ua | Kind::B2bua => {
            if let Some((x, kp)) = f.entry("nat") {
                read.spec.nat = read_nat(x, &kp, errs);
            }
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
    let allowed: Vec<&str> = ["id", "kind", "group", "peers", "nat", "address"]
        .iter()
        .chain(TIMER_KEYS)
        .chain(TXN_TIMER_KEYS)
        .copied()
        .collect();
    f.finish(&allowed, errs);
    timers
}

/// `nat = { idle_timeout_s, keepalive, keepalive_interval_s }`: a NAT
/// between this node and the network.
fn read_nat(x: &Item, path: &str, errs: &mut Errors) -> Option<NatBinding> {
    let mut f = Fields::of(x, path, errs)?;
    let idle = f
        .require("idle_timeout_s", errs)
        .and_then(|(i, p)| seconds(i, &p, errs));
    let keepalive = match f.entry("keepalive") {
        Some((i, p)) => keyword::<Keepalive>(i, &p, errs),
        None => Some(Keepalive::None),
    };
    let interval = match (f.entry("keepalive_interval_s"), keepalive) {
        (Some((i, p)), _) => seconds(i, &p, errs).filter(|d| {
            let ok = *d > SimDuration::ZERO;
            if !ok {
                errs.push(InputError::at(
                    &i.loc,
                    &p,
                    "keep-alives need a positive interval, in seconds",
                ));
            }
            ok
        }),
        (None, Some(Keepalive::None)) => Some(SimDuration::ZERO),
        (None, _) => {
            errs.push(InputError::at(
                &x.loc,
                f.path("keepalive_interval_s"),
                "a keep-alive needs `keepalive_interval_s` (seconds between keep-alives)",
            ));
            None
        }
    };
    f.finish(
        &["idle_timeout_s", "keepalive", "keepalive_interval_s"],
        errs,
    );
    let idle_timeout = idle?;
    if idle_timeout == SimDuration::ZERO {
        errs.push(InputError::at(
            &x.loc,
            format!("{path}.idle_timeout_s"),
            "a binding that never stays open blocks everything: give more than 0 s",
        ));
        return None;
    }
    Some(NatBinding {
        idle_timeout,
        keepalive: keepalive?,
        interval: interval?,
    })
}

/// A lifetime in seconds, or "unbounded" (`None`).
fn lifetime_or_unbounded(x: &Item, kp: &str, errs: &mut Errors) -> Option<Option<SimDuration>> {
    match &x.value {
        Value::Str(s) if s == "unbounded" => Some(None),
        Value::Str(s) => {
            errs.push(InputError::at(
                &x.loc,
                kp,
                format!("\"{s}\" is not allowed: give seconds (a number) or \"unbounded\""),
            ));
            None
        }
        _ => seconds(x, kp, errs).map(Some),
    }
}

fn read_proxy(f: &mut Fields, errs: &mut Errors) -> ProxyKeys {
    let mut p = ProxyPreset::DEFAULT;
    if let Some((x, kp)) = f.entry("profile")
        && let Some(c) = choice(x, &kp, PROXY_PROFILES, errs)
    {
        p = proxy_profile(PROXY_PROFILES[c]).expect("listed profiles exist");
    }
    // The keys given, and where: checked against the result below.
    let mut given: Vec<Given> = Vec::new();
    macro_rules! read {
        ($key:literal, $read:expr, $field:expr) => {
            if let Some((x, kp)) = f.entry($key) {
                given.push(($key, kp.clone(), x.loc.clone()));
                #[allow(clippy::redundant_closure_call)]
                if let Some(v) = $read(x, &kp, &mut *errs) {
                    $field = v;
                }
            }
        };
    }
    let flag = |x: &Item, kp: &str, errs: &mut Errors| boolean(x, kp, errs);
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
    read!("stateful", keyword::<Statefulness>, p.stateful);
    read!("record_route", flag, p.record_route);
    read!("timers", flag, p.timers);
    let mut min_se = (p.min_se, None);
    if let Some((x, kp)) = f.entry("min_se") {
        given.push(("min_se", kp.clone(), x.loc.clone()));
        if let Some(v) = interval(x, &kp, errs) {
            min_se = (v, f.key_loc("min_se"));
        }
    }
    let mut session_expires = None;
    if let Some((x, kp)) = f.entry("session_expires") {
        given.push(("session_expires", kp.clone(), x.loc.clone()));
        let at = f.key_loc("session_expires");
        session_expires = interval(x, &kp, errs).map(|v| (v, at.expect("the key was read")));
    }
    read!(
        "sst_interval_s",
        |x: &Item, kp: &str, errs: &mut Errors| integer(
            x,
            kp,
            0,
            MAX_INTERVAL_S,
            "an integer number of seconds (0: unset)",
            errs
        )
        .map(|v| v as u32),
        p.sst_interval
    );
    let r = &mut p.rules;
    read!("interval", keyword::<ProxyInterval>, r.interval);
    read!(
        "small_se_without_timer",
        keyword::<SmallSeWithoutTimer>,
        r.small_se_without_timer
    );
    read!(
        "min_se_without_se",
        keyword::<MinSeWithoutSe>,
        r.min_se_without_se
    );
    read!("reject_small", flag, r.reject_small);
    read!("min_se_in_422", keyword::<MinSeIn422>, r.min_se_in_422);
    read!("forward_after_422", flag, r.forward_after_422);
    read!("script_check_min", flag, r.script_check_min);
    read!("check_min_inverted", flag, r.check_min_inverted);
    read!("se_in_2xx", keyword::<SeIn2xx>, r.se_in_2xx);
    read!("require_in_2xx", flag, r.require_in_2xx);
    read!(
        "refresh_requests",
        keyword::<RefreshRequests>,
        r.refresh_requests
    );
    let d = &mut p.dialogs;
    read!(
        "dialog_fallback_lifetime_s",
        lifetime_or_unbounded,
        d.fallback_lifetime
    );
    read!("dialog_timeout_s", lifetime_or_unbounded, d.dialog_timeout);
    read!("lifetime", keyword::<Lifetime>, d.lifetime);
    read!("lifetime_on_refresh", keyword::<OnRefresh>, d.on_refresh);
    read!("timeout_restart", keyword::<TimeoutRestart>, d.restart);
    read!(
        "timeout_tick_ms",
        |x: &Item, kp: &str, errs: &mut Errors| integer(
            x,
            kp,
            0,
            3_600_000,
            "an integer number of milliseconds (0: no tick)",
            errs
        )
        .map(|v| (v > 0).then(|| SimDuration::from_millis(v as u32))),
        d.tick
    );
    read!(
        "proxy_bye_on_expiry",
        |x: &Item, kp: &str, errs: &mut Errors| boolean(x, kp, errs).map(|b| if b {
            AtExpiry::ByeBothEnds
        } else {
            AtExpiry::Drop
        }),
        d.at_expiry
    );
    read!("expiry_free", keyword::<ExpiryFree>, d.expiry_free);
    read!("terminated_linger_s", seconds, d.linger);
    check_proxy_keys(&p, &given, errs);
    ProxyKeys {
        preset: p,
        session_expires,
        min_se,
    }
}

/// A key given on a proxy: its name, path and value's location.
type Given = (&'static str, String, Loc);

/// Keys that mean nothing for what the proxy turned out to be.
fn check_proxy_keys(p: &ProxyPreset, given: &[Given], errs: &mut Errors) {
    let find = |key: &str| given.iter().find(|(k, ..)| *k == key);
    if p.timers
        && p.stateful == Statefulness::Stateless
        && let Some((_, path, loc)) = find("timers").or_else(|| find("stateful"))
    {
        errs.push(InputError::at(
            loc,
            path,
            "a stateless proxy never requests a timer (RFC 4028 §8); use stateful = \"transaction\" or \"dialog\"",
        ));
    }
    for (key, path, loc) in given {
        if DIALOG_KEYS.contains(key) && p.stateful != Statefulness::Dialog {
            errs.push(InputError::at(
                loc,
                path,
                format!(
                    "`{key}` is for a dialog-stateful proxy (stateful = \"dialog\"), which keeps dialog records"
                ),
            ));
        }
        if TIMER_RULE_KEYS.contains(key) && !p.timers {
            errs.push(InputError::at(
                loc,
                path,
                format!("`{key}` is for a timer-aware proxy (timers = true)"),
            ));
        }
    }
}
