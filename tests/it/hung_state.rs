//! Hung-state measurement validated against closed forms (zero jitter;
//! tolerances from the sample size, 4 standard errors unless stated).

use super::support::node;
use sstsim::engine::SeedSpace;
use sstsim::scenario::model_from_str;
use sstsim::sim::{DialogRow, NodeClass, RunMetrics, Stats, TraceFilter, World};
use sstsim::sip::FreeCause;
use sstsim::sip::Method;

/// Runs a model with dialog rows; returns metrics, rows, an unrun world of
/// the same model (for node names) and the run's counters.
fn run(model: &str, seed: u64) -> (RunMetrics, Vec<DialogRow>, World, Stats) {
    let s = model_from_str("test.toml", model).unwrap_or_else(|e| panic!("{e}"));
    let mut w = World::new(
        s.world.clone(),
        SeedSpace::new(seed, 0, 0),
        TraceFilter::Off,
    );
    w.record_dialogs();
    w.run();
    let stats = w.stats().clone();
    let names = World::new(s.world, SeedSpace::new(seed, 0, 0), TraceFilter::Off);
    let (m, rows) = w.finish();
    (m, rows.expect("rows were asked for"), names, stats)
}

fn latencies(rows: &[DialogRow], w: &World, name: &str) -> Vec<f64> {
    let n = node(w, name);
    rows.iter()
        .filter(|r| r.node == n && r.cause != Some(FreeCause::Crash))
        .filter_map(|r| Some((r.freed?.as_secs_f64()) - r.dead?.as_secs_f64()))
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn a_uas_reclaim_latency_is_uniform_between_g_minus_half_se_and_g() {
    // alice refreshes (bob picks uac), SE = 300, d = 10 ms one way. alice dies
    // at a uniform time inside a 1 h call. bob's BYE point is its last 2xx
    // (sent at t_a + d, t_a = alice's last refresh) + G, G = 300 - min(32, 100) = 268;
    // the crash falls uniformly within a refresh cycle of SE/2 + 2d after t_a, so
    //   latency = G + d - U(0, SE/2 + 2d) ∈ (G - SE/2 - d, G + d) = (117.99, 268.01),
    //   mean = G - SE/4 = 193, sd = (SE/2 + 2d)/sqrt(12) = 43.3.
    let m = r#"
[[node]]
id = "alice"
kind = "ua"
session_timers = "originate"
session_expires = 300
[[node]]
id = "bob"
kind = "ua"
refresher = "uac"
[[link]]
between = ["alice", "bob"]
delay_ms = 10
[workload]
caller = "alice"
callee = "bob"
calls = 2000
interval_s = 1
holding_s = 3600
horizon_s = 6000
call_crash = { probability = 1.0, side = "caller" }
"#;
    let (metrics, rows, w, _) = run(m, 1);
    let lat = latencies(&rows, &w, "bob");
    assert_eq!(lat.len(), 2000, "every call's UAS state is reclaimed");
    let (lo, hi) = lat
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    assert!(
        lo > 117.99 - 1e-9 && hi < 268.01 + 1e-9,
        "range ({lo}, {hi})"
    );
    // With 2000 uniform draws the extremes sit within 0.5% of the ends.
    assert!(lo < 118.99 && hi > 267.0, "range ({lo}, {hi})");
    let tol = 4.0 * 43.3 / (2000f64).sqrt();
    assert!(
        (mean(&lat) - 193.0).abs() < tol,
        "mean {} ± {tol}",
        mean(&lat)
    );
    let ua = metrics.class(NodeClass::Ua);
    assert_eq!(
        (ua.reclaimed, ua.unreclaimed, ua.lost_in_crash),
        (2000, 0, 2000)
    );
    assert_eq!(metrics.calls_dead, 2000);
    assert_eq!(metrics.false_teardowns, 0);
}

#[test]
fn b_a_plain_proxy_off_the_route_frees_only_at_its_fallback_lifetime() {
    // px is dialog-stateful, not timer-aware and does not record-route: it never
    // sees a BYE, so every record lives exactly its fallback lifetime (1000 s).
    let m = r#"
[[node]]
id = "alice"
kind = "ua"
session_timers = "originate"
session_expires = 300
[[node]]
id = "px"
kind = "proxy"
stateful = "dialog"
record_route = false
dialog_fallback_lifetime_s = 1000
[[node]]
id = "bob"
kind = "ua"
[[link]]
between = ["alice", "px"]
delay_ms = 10
[[link]]
between = ["px", "bob"]
delay_ms = 10
[workload]
caller = "alice"
callee = "bob"
calls = 300
interval_s = 2
holding_s = 600
horizon_s = 3000
call_crash = { probability = 1.0, side = "either" }
"#;
    let (metrics, rows, w, _) = run(m, 2);
    let px = node(&w, "px");
    let records: Vec<&DialogRow> = rows.iter().filter(|r| r.node == px).collect();
    assert_eq!(records.len(), 300);
    for r in &records {
        assert_eq!(r.cause, Some(FreeCause::FallbackLifetime));
        let life = r.freed.unwrap().as_secs_f64() - r.created.as_secs_f64();
        assert!((life - 1000.0).abs() < 1e-9, "{life}");
    }
    let plain = metrics.class(NodeClass::ProxyPlain);
    assert_eq!((plain.reclaimed, plain.unreclaimed), (300, 0));
    // The crash is inside the first 600 s of a 1000 s record: latency > 400 s.
    assert!(plain.p50_s > 400.0 && plain.max_s <= 1000.0);
}

fn timerless_peer(mode: &str) -> String {
    format!(
        r#"
[[node]]
id = "alice"
kind = "ua"
session_timers = "{mode}"
session_expires = 300
[[node]]
id = "bob"
kind = "ua"
session_timers = "refuse"
[[link]]
between = ["alice", "bob"]
delay_ms = 10
[workload]
caller = "alice"
callee = "bob"
calls = 500
interval_s = 1
holding_s = 3600
horizon_s = 5000
call_crash = {{ probability = 1.0, side = "callee" }}
"#
    )
}

#[test]
fn c_originate_reclaims_a_call_to_a_peer_without_timers_and_accept_never_does() {
    // originate: alice refreshes alone every 150.02 s (150 s after each 2xx
    // received, 20 ms round trip); the first refresh after bob's death times
    // out on Timer B (32 s). A crash uniform inside a refresh cycle gives
    //   latency ∈ (32 - 0.02, 150.02 + 32), mean 32 + 150.02/2 = 107.01, sd 150.02/sqrt(12) = 43.3,
    // for calls detected this way. Crashes in the last cycle (after the 23rd
    // refresh at 3450.46 s) are cleaned up earlier by the caller's hang-up BYE.
    let (m, rows, w, stats) = run(&timerless_peer("originate"), 3);
    let alice = node(&w, "alice");
    let detected: Vec<f64> = rows
        .iter()
        .filter(|r| r.node == alice && r.cause == Some(FreeCause::RefreshFailed))
        .map(|r| r.freed.unwrap().as_secs_f64() - r.dead.unwrap().as_secs_f64())
        .collect();
    let by_hangup = rows
        .iter()
        .filter(|r| r.node == alice && r.cause == Some(FreeCause::Bye))
        .count();
    assert_eq!(detected.len() + by_hangup, 500);
    // Binomial(500, 149.54/3600 = 0.0415) hang-ups: mean 20.8, sd 4.5.
    assert!((3..=40).contains(&by_hangup), "{by_hangup}");
    let (lo, hi) = detected
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    assert!(lo > 31.98 - 1e-9 && hi < 182.02 + 1e-9, "({lo}, {hi})");
    let tol = 4.0 * 43.3 / (detected.len() as f64).sqrt();
    assert!(
        (mean(&detected) - 107.01).abs() < tol,
        "{} ± {tol}",
        mean(&detected)
    );
    assert_eq!(m.class(NodeClass::Ua).unreclaimed, 0);
    // A dead phone never answers: every BYE toward bob is for a dead call and is lost.
    assert_eq!(
        stats.nodes[node(&w, "bob").index()].received(Method::Bye),
        0
    );
    let originate_hung = m.class(NodeClass::Ua).hung_state_h;
    // accept: no timer at all. Only the caller's own hang-up, at the end of its
    // 3600 s holding time, frees alice's state: a crash uniform over the holding
    // time leaves it hung for U(0, 3600) s, mean 1800, sd 3600/sqrt(12) = 1039.
    let (m, rows, w, _) = run(&timerless_peer("accept"), 3);
    let alice = node(&w, "alice");
    assert!(
        rows.iter()
            .filter(|r| r.node == alice)
            .all(|r| r.cause == Some(FreeCause::Bye)),
        "no timer ever fires"
    );
    // In state-hours: 500 calls × 1800 s / 3600.
    let hung = m.class(NodeClass::Ua).hung_state_h;
    let tol = 4.0 * 1039.0 * (500f64).sqrt() / 3600.0;
    assert!(
        (hung - 500.0 * 1800.0 / 3600.0).abs() < tol,
        "{hung} ± {tol}"
    );
    assert!(
        originate_hung < hung / 10.0,
        "originate {originate_hung} vs accept {hung}"
    );
}

#[test]
fn d_false_teardowns_match_the_refresh_transaction_failure_probability() {
    // bob refreshes by UPDATE every 150 s (SE 300). From 10 s on, every message
    // on the link is lost with p = 0.5 (loss_burst). An UPDATE transaction fails
    // only if all 11 sends (Timer E, T2 cap) lose the request or its response:
    //   P(fail) = (1 - (1-p)^2)^11 = 0.75^11 = 0.042235.
    // A failure ends the call (BYE at Timer F, 182 s into the cycle) before alice's
    // guard (268 s), so each refresh is one Bernoulli trial of a false teardown.
    let m = r#"
[[node]]
id = "alice"
kind = "ua"
session_timers = "originate"
session_expires = 300
refresh_method = "update"
[[node]]
id = "bob"
kind = "ua"
refresh_method = "update"
[[link]]
between = ["alice", "bob"]
delay_ms = 5
[workload]
caller = "alice"
callee = "bob"
calls = 1000
holding_s = 100000
horizon_s = 40000
[[fault]]
kind = "loss_burst"
link = ["alice", "bob"]
from_s = 10
to_s = 100000
loss = 0.5
"#;
    let (metrics, _, _, _) = run(m, 4);
    let p = 0.75f64.powi(11);
    let n = metrics.refresh_requests as f64;
    let rate = metrics.false_teardowns as f64 / n;
    let tol = 4.0 * (p * (1.0 - p) / n).sqrt();
    assert!(n > 15_000.0, "{n} refreshes");
    assert!(
        (rate - p).abs() < tol,
        "{rate} vs {p} ± {tol} over {n} refreshes"
    );
    assert_eq!(metrics.calls_dead, 0, "no fault kills an endpoint");
}

#[test]
fn e_a_b2bua_frees_the_trunk_side_one_bye_path_delay_after_detecting_the_dead_phone() {
    // The phone refreshes leg A (the pbx picks uac for it); when the phone dies,
    // the pbx's guard fires, it ends leg A and sends BYE on leg B, which frees
    // the trunk's record 10 ms later and the carrier's dialog 20 ms later.
    let m = r#"
[[node]]
id = "phone"
kind = "ua"
session_timers = "originate"
session_expires = 300
[[node]]
id = "pbx"
kind = "b2bua"
session_timers = "originate"
  [node.peers.phone]
  refresher = "uac"
[[node]]
id = "trunk"
kind = "proxy"
stateful = "dialog"
record_route = true
timers = true
[[node]]
id = "carrier"
kind = "ua"
[[link]]
between = ["phone", "pbx"]
delay_ms = 1
[[link]]
between = ["pbx", "trunk"]
delay_ms = 10
[[link]]
between = ["trunk", "carrier"]
delay_ms = 10
[workload]
caller = "phone"
callee = "carrier"
calls = 200
interval_s = 3
holding_s = 3600
horizon_s = 5000
call_crash = { probability = 1.0, side = "caller" }
"#;
    let (metrics, rows, w, _) = run(m, 5);
    let (pbx, trunk, carrier) = (node(&w, "pbx"), node(&w, "trunk"), node(&w, "carrier"));
    for call in 0..200u32 {
        let freed = |n| {
            rows.iter()
                .filter(|r| r.call.0 == call && r.node == n)
                .filter_map(|r| r.freed.map(|t| (t.as_secs_f64(), r.cause.unwrap())))
                .collect::<Vec<_>>()
        };
        let p = freed(pbx);
        let leg_a = p
            .iter()
            .find(|x| x.1 == FreeCause::Expiry)
            .expect("leg A expires")
            .0;
        assert!(
            p.iter()
                .any(|x| (x.0 - leg_a).abs() < 1e-9 && x.1 == FreeCause::Expiry),
            "leg B freed with it"
        );
        assert!(
            (freed(trunk)[0].0 - leg_a - 0.010).abs() < 1e-9,
            "call {call}"
        );
        assert!(
            (freed(carrier)[0].0 - leg_a - 0.020).abs() < 1e-9,
            "call {call}"
        );
    }
    // Per class: the trunk's latencies are the pbx's plus 10 ms, exactly.
    let (b, t) = (
        metrics.class(NodeClass::B2bua),
        metrics.class(NodeClass::ProxyTimer),
    );
    assert!(
        (t.mean_s - b.mean_s - 0.010).abs() < 1e-6,
        "{} vs {}",
        t.mean_s,
        b.mean_s
    );
    assert_eq!(t.unreclaimed + b.unreclaimed, 0);
}

fn crash_model(restart: &str) -> String {
    format!(
        r#"
[[node]]
id = "alice"
kind = "ua"
session_timers = "originate"
session_expires = 300
[[node]]
id = "bob"
kind = "ua"
refresher = "uac"
[[link]]
between = ["alice", "bob"]
delay_ms = 10
[workload]
caller = "alice"
callee = "bob"
holding_s = 1000
horizon_s = 1500
[[fault]]
kind = "crash"
node = "bob"
at_s = 100
{restart}
"#
    )
}

fn row_of<'a>(rows: &'a [DialogRow], w: &World, name: &str) -> &'a DialogRow {
    let n = node(w, name);
    rows.iter().find(|r| r.node == n).expect("a row")
}

#[test]
fn a_crashed_node_loses_its_state_and_its_peer_detects_it_by_timeout() {
    // bob dies at 100 s. alice refreshes at 150.02 (150 s after the 2xx at
    // 0.02); no answer, so Timer B fires at 182.02 and alice ends the call.
    let (m, rows, w, _) = run(&crash_model(""), 6);
    let (a, b) = (row_of(&rows, &w, "alice"), row_of(&rows, &w, "bob"));
    assert_eq!(
        (b.cause, b.freed.unwrap().as_secs_f64()),
        (Some(FreeCause::Crash), 100.0)
    );
    assert_eq!(a.cause, Some(FreeCause::RefreshFailed));
    assert!((a.freed.unwrap().as_secs_f64() - 182.02).abs() < 1e-9);
    assert!((m.class(NodeClass::Ua).p50_s - 82.02).abs() < 1e-9);
    assert_eq!(m.calls_dead, 1);
}

#[test]
fn a_restarted_node_answers_481_and_the_peer_detects_it_at_once() {
    // bob comes back empty at 110 s and answers alice's refresh (150.02) with
    // 481 (DLG-2); alice ends the call when it arrives at 150.04.
    let (m, rows, w, stats) = run(&crash_model("restart_after_s = 10"), 6);
    let a = row_of(&rows, &w, "alice");
    assert_eq!(a.cause, Some(FreeCause::RefreshFailed));
    assert!(
        (a.freed.unwrap().as_secs_f64() - 150.04).abs() < 1e-9,
        "{:?}",
        a.freed
    );
    assert!((m.class(NodeClass::Ua).p50_s - 50.04).abs() < 1e-9);
    assert_eq!(
        stats.nodes[node(&w, "bob").index()].received(Method::Invite),
        2,
        "initial + refresh after restart"
    );
}

#[test]
fn a_swallowed_bye_leaves_state_until_the_session_timer_reclaims_it() {
    // alice hangs up at 60.04; the BYE passes p (which frees its record) and
    // dies on p-bob with every retransmission: the call is dead from 60.05.
    // bob refreshes at 150.02; p forwards it to alice, who answers 481; bob
    // frees its state when that arrives at 150.06 (latency 90.01 s).
    let m = r#"
[[node]]
id = "alice"
kind = "ua"
[[node]]
id = "p"
kind = "proxy"
stateful = "dialog"
record_route = true
timers = true
session_expires = 300
[[node]]
id = "bob"
kind = "ua"
[[link]]
between = ["alice", "p"]
delay_ms = 10
[[link]]
between = ["p", "bob"]
delay_ms = 10
[workload]
caller = "alice"
callee = "bob"
calls = 2
interval_s = 1000
holding_s = 60
horizon_s = 2000
[[fault]]
kind = "drop_bye"
link = ["p", "bob"]
calls = [0]
"#;
    let (metrics, rows, w, stats) = run(m, 7);
    let bob = node(&w, "bob");
    let lost: Vec<&DialogRow> = rows
        .iter()
        .filter(|r| r.node == bob && r.call.0 == 0)
        .collect();
    assert_eq!(lost[0].cause, Some(FreeCause::RefreshFailed));
    assert!((lost[0].dead.unwrap().as_secs_f64() - 60.05).abs() < 1e-9);
    assert!((lost[0].freed.unwrap().as_secs_f64() - 150.06).abs() < 1e-9);
    let fine = rows
        .iter()
        .find(|r| r.node == bob && r.call.0 == 1)
        .unwrap();
    assert_eq!(
        (fine.cause, fine.dead),
        (Some(FreeCause::Bye), None),
        "call 1 is not selected"
    );
    assert_eq!(metrics.calls_dead, 1);
    // Every BYE of call 0 on p-bob is lost, retransmissions included: p's 11
    // (Timer E over 32 s), and bob's own 11 after the refresh fails.
    assert_eq!(stats.messages_lost[4], 22, "{:?}", stats.messages_lost);
}

#[test]
fn a_link_down_window_fails_a_refresh_and_counts_as_a_false_teardown() {
    // Same call as the crash tests, but bob stays alive: the link is down in
    // [100, 200) s, alice's refresh at 150.02 times out at 182.02, and the
    // healthy call is torn down by its session timer.
    let m = crash_model("").replace(
        "[[fault]]\nkind = \"crash\"\nnode = \"bob\"\nat_s = 100\n",
        "[[fault]]\nkind = \"link_down\"\nlink = [\"alice\", \"bob\"]\nfrom_s = 100\nto_s = 200\n",
    );
    let (metrics, rows, w, _) = run(&m, 8);
    let a = row_of(&rows, &w, "alice");
    assert_eq!(a.cause, Some(FreeCause::RefreshFailed));
    assert!((a.freed.unwrap().as_secs_f64() - 182.02).abs() < 1e-9);
    assert_eq!(a.dead, None, "nobody died: the call was healthy");
    assert_eq!((metrics.calls_dead, metrics.false_teardowns), (0, 1));
}

#[test]
fn percentiles_of_mostly_unfreed_states_read_as_not_reached() {
    // Neither UA supports timers and the dialog-stateful proxy has no timer
    // and no fallback. Every dead call is one whose caller died (no BYE
    // ever comes), so its state at px and bob is never freed: 0 of n freed.
    // The freed-only percentiles would be undefined too; with a few freed
    // they would be small numbers. Kaplan–Meier over all n: not reached.
    let m = r#"
[defaults]
session_timers = "refuse"
[[node]]
id = "alice"
kind = "ua"
[[node]]
id = "px"
kind = "proxy"
stateful = "dialog"
record_route = true
[[node]]
id = "bob"
kind = "ua"
[[link]]
between = ["alice", "px"]
delay_ms = 10
[[link]]
between = ["px", "bob"]
delay_ms = 10
[workload]
caller = "alice"
callee = "bob"
calls = 200
interval_s = 10
holding_s = 600
horizon_s = 3000
call_crash = { probability = 0.5, side = "caller" }
"#;
    let (metrics, _, _, _) = run(m, 3);
    let px = metrics.class(NodeClass::ProxyPlain);
    assert!(px.dead_states > 50, "{px:?}");
    assert_eq!(px.reclaimed, 0);
    assert_eq!(px.unreclaimed, px.dead_states);
    for p in [px.p50_s, px.p95_s, px.p99_s, px.mean_s, px.max_s] {
        assert!(p.is_nan(), "{px:?}");
        assert_eq!(
            sstsim::experiment::cells::fmt_cell(p),
            "",
            "an empty CSV cell"
        );
    }
    let table = sstsim::report::metrics::table(&metrics, &[]);
    let line = table
        .lines()
        .find(|l| l.starts_with("proxy_plain"))
        .expect("a proxy_plain row");
    assert!(line.contains(">"), "not reached shows as >T: {line}");
}

/// alice (originate, SE 300) — px (timer-aware, record-routing) — bob; a
/// call every 10 s holding 120 s, a fifth of them losing an endpoint.
fn drain_model(alice_mode: &str, workload: &str) -> String {
    format!(
        r#"
[[node]]
id = "alice"
kind = "ua"
session_timers = "{alice_mode}"
session_expires = 300
[[node]]
id = "px"
kind = "proxy"
stateful = "dialog"
record_route = true
timers = true
[[node]]
id = "bob"
kind = "ua"
session_timers = "{alice_mode}"
[[link]]
between = ["alice", "px"]
delay_ms = 10
[[link]]
between = ["px", "bob"]
delay_ms = 10
[workload]
caller = "alice"
callee = "bob"
calls = 1000
interval_s = 10
holding_s = 120
call_crash = {{ probability = 0.2, side = "either" }}
{workload}
"#
    )
}

#[test]
fn a_drain_phase_runs_until_every_dead_state_is_freed() {
    // Without a drain, calls that die in the last SE before the 3,000 s
    // horizon are still held there. With arrivals stopping at 3,000 s and a
    // limit of 10,000 s, timers free every dead-call state (the slowest: a
    // guard at 300 − 32 s after the last 2xx, or the proxy at 300 s), so the
    // run stops once the last call is over, with nothing held: "never"
    // would mean never.
    let (cut, _, _, _) = run(&drain_model("originate", "horizon_s = 3000"), 5);
    assert!(
        cut.class(NodeClass::ProxyTimer).unreclaimed > 0,
        "censored at the horizon"
    );
    let s = model_from_str(
        "test.toml",
        &drain_model("originate", "arrivals_until_s = 3000\nhorizon_s = 10000"),
    )
    .unwrap();
    let mut world = World::new(s.world, SeedSpace::new(5, 0, 0), TraceFilter::Off);
    world.run();
    let end = world.now().as_secs_f64();
    let (m, _) = world.finish();
    assert_eq!(m.calls_started, 300, "calls start at 0, 10, … 2990 s only");
    // The last call starts at 2990 s and hangs up 120 s after its answer;
    // a dead call's states are freed within one SE (300 s) of its last 2xx.
    assert!(
        end > 2990.0 + 120.0 && end < 2990.0 + 120.0 + 300.0,
        "stopped at {end}"
    );
    for c in [NodeClass::Ua, NodeClass::ProxyTimer] {
        let k = m.class(c);
        assert!(k.dead_states > 0 && k.unreclaimed == 0, "{c:?}: {k:?}");
        assert!(k.p95_s.is_finite() && k.mean_s.is_finite(), "{c:?}: {k:?}");
    }
}

#[test]
fn a_drain_phase_ends_at_its_limit_when_state_is_never_freed() {
    // Neither UA supports timers: a dead call's state is never freed, so the
    // run goes on to its limit and still holds those states there.
    let s = model_from_str(
        "test.toml",
        &drain_model("refuse", "arrivals_until_s = 3000\nhorizon_s = 5000"),
    )
    .unwrap();
    let mut world = World::new(s.world, SeedSpace::new(5, 0, 0), TraceFilter::Off);
    world.run();
    assert_eq!(world.now().as_secs_f64(), 5000.0);
    let (m, _) = world.finish();
    assert!(m.class(NodeClass::ProxyTimer).unreclaimed > 0);
}
