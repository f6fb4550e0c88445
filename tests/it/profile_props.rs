//! Property: any profile with any mix of session-timer keys, on either end
//! of a call through any proxy profile with any mix of proxy keys, under loss, a misbehaving peer and
//! mid-call re-INVITEs, either is rejected by the model reader with an
//! error (never a panic) or runs to its horizon without panicking, and the
//! run's books balance: every call that started is established or failed at
//! the caller.

use proptest::prelude::*;
use sstsim::engine::SeedSpace;
use sstsim::scenario::model_from_str;
use sstsim::session_timer::presets::PROFILES;
use sstsim::sim::{TraceFilter, World};
use sstsim::sip::proxy::profiles::PROXY_PROFILES;

/// Each key with values to draw from: valid ones and a few the reader
/// must refuse.
const KEYS: &[(&str, &[&str])] = &[
    (
        "session_timers",
        &["\"accept\"", "\"originate\"", "\"refuse\"", "\"sometimes\""],
    ),
    ("session_expires", &["0", "90", "120", "600", "1800", "60"]),
    ("min_se", &["90", "120", "300", "30"]),
    ("refresher", &["\"uac\"", "\"uas\"", "\"uac_when_asked\""]),
    (
        "refresh_method",
        &["\"reinvite\"", "\"update\"", "\"update_if_allowed\""],
    ),
    ("refresh_at", &["0.25", "0.5", "0.9", "1.0"]),
    ("expiry_guard", &["\"rfc\"", "\"tenth\"", "\"at_expiry\""]),
    (
        "send_min_se",
        &["\"always\"", "\"when_set\"", "\"after_422\""],
    ),
    ("require_timer", &["true", "false"]),
    ("max_422_retries", &["0", "1", "\"unbounded\""]),
    ("timer_rounding", &["\"exact\"", "\"ms\"", "\"s\""]),
    ("refresher_end", &["\"none\"", "\"guard\"", "\"at_expiry\""]),
    ("uas_timer_without_se", &["true", "false"]),
    ("uac_timer_without_se", &["true", "false"]),
    (
        "proxy_inserted_se",
        &["\"honour\"", "\"ignore\"", "\"replace\""],
    ),
    (
        "small_se_unsupported",
        &["\"accept\"", "\"raise\"", "\"reject\""],
    ),
    ("update_supported", &["true", "false"]),
    ("refresher_param", &["\"none\"", "\"uac\"", "\"uas\""]),
    ("refresh_alert_s", &["30", "5000"]),
    ("timer_required", &["true", "false"]),
    ("small_se_in_2xx", &["\"adopt\"", "\"bye\"", "\"keep\""]),
    ("refresh_timeout", &["\"bye\"", "\"local\""]),
    ("refresh_retry", &["\"none\"", "\"repeat\"", "\"halving\""]),
    ("retry_after_503_s", &["1", "10"]),
    ("expiry_restart", &["\"response\"", "\"request\""]),
    ("refresh_jitter_s", &["0", "5"]),
    ("refresh_headers", &["\"always\"", "\"if_peer_supports\""]),
    ("min_se_from_422", &["\"largest\"", "\"last\""]),
    (
        "on_422_without_min_se",
        &["\"retry\"", "\"give_up\"", "\"end\""],
    ),
    ("timer_off_below_s", &["90"]),
    ("refresher_without_param", &["\"choose\"", "\"keep\""]),
    (
        "lower_se",
        &["\"to_own\"", "\"never\"", "\"to_own_if_above_min_se\""],
    ),
    ("small_se_supported", &["\"reject\"", "\"accept\""]),
    ("keep_timer_on_plain_2xx", &["true", "false"]),
    ("reason_phrases", &["\"rfc\"", "\"chan_sip\""]),
    ("bye_reason", &["\"none\"", "\"sofia-sip\"", "\"pjsip\""]),
    ("options_to_unsupported", &["true", "false"]),
    (
        "timers",
        &["\"no\"", "\"yes\"", "\"required\"", "\"always\""],
    ),
    (
        "use_timer",
        &["\"inactive\"", "\"optional\"", "\"required\"", "\"always\""],
    ),
    (
        "refresher_preference",
        &["\"local\"", "\"remote\"", "\"dont_care\""],
    ),
];

/// Proxy keys with values to draw from (a few the reader must refuse).
const PROXY_KEYS: &[(&str, &[&str])] = &[
    ("min_se", &["90", "300", "30"]),
    ("sst_interval_s", &["0", "60", "1800"]),
    (
        "interval",
        &["\"forwarded_se\"", "\"at_least_min_se\"", "\"configured\""],
    ),
    ("reject_small", &["true", "false"]),
    (
        "min_se_in_422",
        &["\"own\"", "\"max_with_request\"", "\"none\""],
    ),
    ("forward_after_422", &["true", "false"]),
    ("script_check_min", &["true", "false"]),
    ("check_min_inverted", &["true", "false"]),
    ("require_in_2xx", &["true", "false"]),
    ("refresh_requests", &["\"negotiate\"", "\"pass\""]),
    ("dialog_timeout_s", &["60", "300", "\"unbounded\""]),
    (
        "lifetime",
        &[
            "\"negotiated\"",
            "\"interval\"",
            "\"invite_se\"",
            "\"dialog_timeout\"",
        ],
    ),
    ("lifetime_on_refresh", &["\"adopt\"", "\"keep\""]),
    (
        "timeout_restart",
        &["\"refresh_2xx\"", "\"in_dialog_request\""],
    ),
    ("timeout_tick_ms", &["0", "1000"]),
    ("proxy_bye_on_expiry", &["true", "false"]),
    (
        "expiry_free",
        &["\"at_expiry\"", "\"first_final\"", "\"transactions_end\""],
    ),
    ("terminated_linger_s", &["0", "5"]),
    ("timer_f_ms", &["30000", "5000"]),
    ("stateful", &["\"transaction\"", "\"dialog\""]),
];

/// A proxy table: a profile (or an RFC timer-aware dialog proxy) and a few
/// drawn keys.
fn proxy_keys() -> impl Strategy<Value = String> {
    (
        prop::option::of(0..PROXY_PROFILES.len()),
        prop::collection::vec((0..PROXY_KEYS.len(), 0..8usize), 0..5),
    )
        .prop_map(|(profile, picks)| {
            let mut lines = match profile {
                Some(p) => vec![format!("profile = \"{}\"", PROXY_PROFILES[p])],
                None => vec![
                    "stateful = \"dialog\"".to_string(),
                    "record_route = true".into(),
                    "timers = true".into(),
                ],
            };
            let mut seen: std::collections::BTreeSet<&str> =
                ["stateful", "record_route", "timers"].into_iter().collect();
            if profile.is_some() {
                seen.clear();
            }
            for (k, v) in picks {
                let (key, values) = PROXY_KEYS[k];
                if seen.insert(key) {
                    lines.push(format!("{key} = {}", values[v % values.len()]));
                }
            }
            lines.join("\n")
        })
}

/// A UA table: maybe a profile, and a handful of drawn keys.
fn ua_keys() -> impl Strategy<Value = String> {
    (
        prop::option::of(0..PROFILES.len()),
        prop::collection::vec((0..KEYS.len(), 0..8usize), 0..6),
    )
        .prop_map(|(profile, picks)| {
            let mut lines = Vec::new();
            if let Some(p) = profile {
                lines.push(format!("profile = \"{}\"", PROFILES[p]));
            }
            let mut seen = std::collections::BTreeSet::new();
            for (k, v) in picks {
                let (key, values) = KEYS[k];
                if seen.insert(key) {
                    lines.push(format!("{key} = {}", values[v % values.len()]));
                }
            }
            lines.join("\n")
        })
}

fn model(alice: &str, proxy: &str, bob: &str, strict: bool, status: u16) -> String {
    format!(
        r#"
[sip]
strict_rfc = {strict}
[[node]]
id = "alice"
kind = "ua"
{alice}
[[node]]
id = "p"
kind = "proxy"
{proxy}
[[node]]
id = "bob"
kind = "ua"
{bob}
[[link]]
between = ["alice", "p"]
loss = 0.05
[[link]]
between = ["p", "bob"]
[workload]
caller = "alice"
callee = "bob"
calls = 6
interval_s = 40
holding_s = 200
horizon_s = 700
reinvites = {{ rate_per_h = 40, by = "either", refresher = "none" }}
[[fault]]
kind = "answer"
node = "bob"
requests = ["reinvite", "update"]
status = {status}
from_s = 100
to_s = 300
probability = 0.5
"#
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_profile_and_keys_are_refused_cleanly_or_run(
        alice in ua_keys(),
        proxy in proxy_keys(),
        bob in ua_keys(),
        strict in any::<bool>(),
        status in prop_oneof![Just(422u16), Just(488), Just(500), Just(503)],
    ) {
        let text = model(&alice, &proxy, &bob, strict, status);
        match model_from_str("prop.toml", &text) {
            Err(e) => prop_assert!(e.to_string().contains("prop.toml:"), "{e}"),
            Ok(s) => {
                let mut w = World::new(s.world, SeedSpace::new(3, 0, 0), TraceFilter::Off);
                w.run();
                let st = w.stats();
                let alice = &st.nodes[0];
                prop_assert_eq!(st.calls_started, 6);
                // The last call starts at 200 s; any INVITE is settled
                // (answered, or failed by Timer B, 32 s) long before 700 s.
                // Each call is established at alice (her dialog confirmed)
                // or failed there.
                prop_assert_eq!(alice.states_created + alice.calls_failed, 6);
            }
        }
    }
}
