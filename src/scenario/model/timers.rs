//! Session-timer keys: `[defaults]`, a UA's or B2BUA's `[[node]]` table and
//! its `peers.<id>` tables, layered `[defaults]` < node < peer.

use crate::session_timer::presets::{
    self, PROFILES, PjsipTimers, RefresherPreference, UNBOUNDED_422_RETRIES,
};
use crate::session_timer::{ProxyInsertedSe, TimerLayer};
use crate::sim::{NodeKind, NodeSpec};
use crate::sip::proxy::ProxyState;
use crate::sip::ua_core::UaConfig;

use super::super::doc::{Errors, Fields, Item, Value, boolean, choice, integer, keyword, number};
use super::super::error::InputError;
use super::{MAX_INTERVAL_S, NodeTimers};

/// The session-timer keys, allowed in `[defaults]`, on UA and B2BUA nodes
/// and in their `peers.<id>` tables.
pub(super) const TIMER_KEYS: &[&str] = &[
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
    "timer_rounding",
    "refresher_end",
    "uas_timer_without_se",
    "uac_timer_without_se",
    "proxy_inserted_se",
    "small_se_unsupported",
    "refresh_alert_s",
    "refresher_param",
    "update_supported",
    "timer_required",
    "small_se_in_2xx",
    "refresh_timeout",
    "refresh_retry",
    "retry_after_503_s",
    "expiry_restart",
    "refresh_jitter_s",
    "refresh_headers",
    "min_se_from_422",
    "on_422_without_min_se",
    "timer_off_below_s",
    "refresher_without_param",
    "lower_se",
    "small_se_supported",
    "keep_timer_on_plain_2xx",
    "reason_phrases",
    "bye_reason",
    "options_to_unsupported",
    "timers",
    "use_timer",
    "refresher_preference",
    "profile",
];

/// Most 422s a UA may be configured to answer with a retry.
const MAX_422_RETRIES: i64 = 100;

/// Reads the session-timer keys of a table (other keys are left unread).
pub(super) fn read_timer_fields(f: &mut Fields, errs: &mut Errors) -> TimerLayer {
    let mut l = TimerLayer::default();
    let seconds = |i: &Item, p: &str, min: i64, errs: &mut Errors| {
        integer(
            i,
            p,
            min,
            MAX_INTERVAL_S,
            "an integer number of seconds",
            errs,
        )
        .map(|v| v as u32)
    };
    // Keys spelled by a keyword table.
    macro_rules! keywords {
        ($($key:literal => $field:ident),+ $(,)?) => {
            $(if let Some((i, p)) = f.entry($key) {
                l.$field = keyword(i, &p, errs);
            })+
        };
    }
    keywords! {
        "session_timers" => mode,
        "refresher" => refresher,
        "refresh_method" => refresh_method,
        "expiry_guard" => expiry_guard,
        "send_min_se" => send_min_se,
        "small_se_unsupported" => small_se_unsupported,
        "refresher_param" => refresher_param,
        "refresher_end" => refresher_end,
        "timer_rounding" => rounding,
        "small_se_in_2xx" => small_se_in_2xx,
        "refresh_timeout" => refresh_timeout,
        "refresh_retry" => refresh_retry,
        "expiry_restart" => expiry_restart,
        "refresh_headers" => refresh_headers,
        "min_se_from_422" => min_se_from_422,
        "on_422_without_min_se" => on_422_without_min_se,
        "refresher_without_param" => refresher_without_param,
        "lower_se" => lower_se,
        "small_se_supported" => small_se_supported,
        "reason_phrases" => reason_phrases,
        "bye_reason" => bye_reason,
    }
    macro_rules! booleans {
        ($($key:literal => $field:ident),+ $(,)?) => {
            $(if let Some((i, p)) = f.entry($key) {
                l.$field = boolean(i, &p, errs);
            })+
        };
    }
    booleans! {
        "require_timer" => require_timer,
        "uas_timer_without_se" => uas_timer_without_se,
        "update_supported" => update_supported,
        "timer_required" => timer_required,
        "keep_timer_on_plain_2xx" => keep_timer_on_plain_2xx,
        "options_to_unsupported" => options_to_unsupported,
    }
    if let Some((i, p)) = f.entry("uac_timer_without_se") {
        l.uac_timer_without_se = boolean(i, &p, errs).map(Some);
    }
    if let Some((i, p)) = f.entry("proxy_inserted_se") {
        l.proxy_inserted_se = keyword::<ProxyInsertedSe>(i, &p, errs).map(Some);
    }
    // 0 asks for no Session-Expires (RADVISION); a minimum of 0 means nothing.
    if let Some((i, p)) = f.entry("session_expires") {
        l.session_expires = seconds(i, &p, 0, errs);
    }
    if let Some((i, p)) = f.entry("min_se") {
        l.min_se = seconds(i, &p, 1, errs);
    }
    if let Some((i, p)) = f.entry("refresh_alert_s") {
        l.refresh_alert_s = seconds(i, &p, 1, errs).map(Some);
    }
    if let Some((i, p)) = f.entry("retry_after_503_s") {
        l.retry_after_503_s = seconds(i, &p, 1, errs).map(Some);
    }
    if let Some((i, p)) = f.entry("timer_off_below_s") {
        l.timer_off_below_s = seconds(i, &p, 1, errs).map(Some);
    }
    if let Some((i, p)) = f.entry("refresh_jitter_s") {
        l.refresh_jitter_s = seconds(i, &p, 0, errs);
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
    if let Some((i, p)) = f.entry("max_422_retries") {
        l.max_422_retries = match &i.value {
            // chan_sip and reSIProcate retry without limit; a broken peer
            // would loop forever, so "unbounded" stops at a safety cap.
            Value::Str(s) if s == "unbounded" => Some(UNBOUNDED_422_RETRIES),
            Value::Str(_) => {
                errs.push(InputError::at(
                    &i.loc,
                    &p,
                    format!(
                        "expected a number of retries in [0, {MAX_422_RETRIES}] or \"unbounded\""
                    ),
                ));
                None
            }
            _ => integer(i, &p, 0, MAX_422_RETRIES, "a number of retries", errs).map(|v| v as u32),
        };
    }
    // A product's own words fill what the explicit keys leave unset.
    let mut words = TimerLayer::default();
    let mode_keys: Vec<(&Item, String)> = ["session_timers", "timers", "use_timer"]
        .into_iter()
        .filter_map(|k| f.entry(k))
        .collect();
    if let [_, (second, p), ..] = mode_keys.as_slice() {
        errs.push(InputError::at(
            &second.loc,
            p,
            "give one of session_timers (chan_sip), timers (res_pjsip) and use_timer (PJSUA): they set the same thing",
        ));
    }
    for key in ["timers", "use_timer"] {
        if let Some((i, p)) = f.entry(key)
            && let Some(m) = keyword::<PjsipTimers>(i, &p, errs)
        {
            words = presets::use_timer(m);
        }
    }
    if let Some((i, p)) = f.entry("refresher_preference")
        && let Some(r) = keyword::<RefresherPreference>(i, &p, errs)
    {
        words = words.over(&presets::refresher_preference(r));
    }
    l = l.over(&words);
    // A profile fills whatever is still unset (explicit keys and words win).
    if let Some((i, p)) = f.entry("profile")
        && let Some(c) = choice(i, &p, PROFILES, errs)
    {
        l = l.over(&presets::profile(PROFILES[c]).expect("listed profiles exist"));
    }
    l
}

/// Reads a table of session-timer keys only (`[defaults]`, `peers.<id>`).
pub(super) fn read_timer_table(item: &Item, path: &str, errs: &mut Errors) -> TimerLayer {
    let Some(mut f) = Fields::of(item, path, errs) else {
        return TimerLayer::default();
    };
    let l = read_timer_fields(&mut f, errs);
    f.finish(TIMER_KEYS, errs);
    l
}

/// Fills each UA's and B2BUA's settings: `[defaults]` < node < `peers.<id>`.
pub(super) fn resolve_ua_configs(
    nodes: &mut [NodeSpec],
    timers: &[NodeTimers],
    defaults: &TimerLayer,
) {
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

/// With `[sip] strict_rfc = false`, every element uses the values it is
/// given, below 90 s too: no implied Min-SE of 90 and no floor at 90.
pub(super) fn relax_rfc_floor(nodes: &mut [NodeSpec]) {
    const NO_FLOOR: u32 = 1;
    for spec in nodes {
        match &mut spec.kind {
            NodeKind::Ua(c) | NodeKind::B2bua(c) => {
                c.base.floor_s = NO_FLOOR;
                for (_, s) in &mut c.peers {
                    s.floor_s = NO_FLOOR;
                }
            }
            NodeKind::Proxy(p) => match &mut p.state {
                ProxyState::Transaction { timers: Some(t) } => t.floor_s = NO_FLOOR,
                ProxyState::Dialog {
                    timers: Some(t), ..
                } => t.floor_s = NO_FLOOR,
                _ => {}
            },
        }
    }
}
