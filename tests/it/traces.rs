//! What a trace shows around the messages: faults, the instant the call
//! died, and messages that met a crashed node, consistent with the counters.

use std::process::Command;

use super::support::{node, world};
use sstsim::net::LossCause;
use sstsim::sim::trace::{DeathCause, FaultEvent};
use sstsim::sim::{TraceEvent, TraceFate, TraceFilter};

fn sstsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args(args)
        .output()
        .expect("run sstsim")
}

/// alice refreshes every SE/2 = 45 s (refresher uac); bob crashes at 40 s
/// and comes back at 200 s. 10 ms link.
const CRASH: &str = r#"
[[node]]
id = "alice"
kind = "ua"
session_timers = "originate"
session_expires = 90
refresher = "uac"
[[node]]
id = "bob"
kind = "ua"
[[link]]
between = ["alice", "bob"]
delay_ms = 10
[workload]
caller = "alice"
callee = "bob"
holding_s = 1000
horizon_s = 400
[[fault]]
kind = "crash"
node = "bob"
at_s = 40
restart_after_s = 160
"#;

#[test]
fn messages_that_meet_a_crashed_node_are_shown_lost_as_the_counters_count_them() {
    // alice's refresh at ~45 s and all its retransmissions reach bob while he
    // is down (40–200 s), as does her BYE when the refresh fails: each one
    // is `node_down` in the trace, exactly as many as the run counted.
    let mut w = world(CRASH, 1, TraceFilter::All);
    w.run();
    let trace = w.trace();
    let bob = node(&w, "bob");
    let down: Vec<f64> = trace
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Message {
                t,
                to,
                fate:
                    TraceFate::Lost {
                        cause: LossCause::NodeDown,
                        ..
                    },
                ..
            } if *to == bob => Some(t.as_secs_f64()),
            _ => None,
        })
        .collect();
    let i = sstsim::sim::stats::LOSS_CAUSES
        .iter()
        .position(|&c| c == LossCause::NodeDown)
        .unwrap();
    assert_eq!(down.len() as u64, w.stats().messages_lost[i]);
    assert!(
        down.len() >= 2,
        "a refresh and its retransmissions: {down:?}"
    );
    assert!(down.iter().all(|&t| (40.0..200.0).contains(&t)), "{down:?}");
    // Nothing sent to bob while he is down shows as delivered.
    assert!(!trace.iter().any(|e| matches!(e,
        TraceEvent::Message { t, to, fate: TraceFate::Delivered { .. }, .. }
            if *to == bob && (40.0..199.99).contains(&t.as_secs_f64()))));
    // The crash, the death of the call and the restart are in the trace,
    // at 40, 40 and 200 s, in that order.
    let faults: Vec<(f64, FaultEvent)> = trace
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Fault { t, fault } => Some((t.as_secs_f64(), *fault)),
            _ => None,
        })
        .collect();
    assert_eq!(
        faults,
        [
            (40.0, FaultEvent::NodeCrash(bob)),
            (40.0, FaultEvent::CallDead(DeathCause::NodeCrash(bob))),
            (200.0, FaultEvent::NodeRestart(bob)),
        ]
    );
}

#[test]
fn a_trace_shows_the_faults_on_its_path_and_no_others() {
    // faults.toml, call 2 (alice → p1 → p2 → bob): bob crashes at 700 s,
    // killing the call; p1–p2 has a loss burst over 1500–1800 s, inside the
    // call's trace (p2 frees its record at its fallback lifetime, ~1828 s).
    // The link_down on p1–carol is on no path of this call.
    let out = sstsim(&[
        "trace",
        "models/faults.toml",
        "--call",
        "2",
        "--format",
        "csv",
    ]);
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    let faults: Vec<&str> = csv.lines().filter(|l| l.contains(",fault,")).collect();
    assert!(
        faults[0].starts_with("700.000000,fault,bob,,bob: CRASH"),
        "{faults:?}"
    );
    assert!(
        faults[1].starts_with("700.000000,fault,,,CALL DEAD: bob crashed"),
        "{faults:?}"
    );
    assert!(
        faults
            .iter()
            .any(|l| l.starts_with("820.000000,fault,bob,,bob: restart"))
    );
    assert!(
        faults
            .iter()
            .any(|l| l.starts_with("1500.000000,fault,,,link p1-p2 loses 30% until 1800.000 s"))
    );
    assert!(
        faults
            .iter()
            .any(|l| l.starts_with("1800.000000,fault,,,link p1-p2 restored"))
    );
    assert!(!csv.contains("p1-carol"), "{csv}");
    // The ladder marks the crash and restart on bob's lane.
    let out = sstsim(&["trace", "models/faults.toml", "--call", "2"]);
    let ladder = String::from_utf8(out.stdout).unwrap();
    let crash = ladder.lines().find(|l| l.contains("bob: CRASH")).unwrap();
    assert!(crash.contains("X  !! bob: CRASH"), "{crash}");
}

#[test]
fn an_experiment_point_traces_like_its_printed_model() {
    // `trace EXP --point N --replication R` runs what the sweep ran: the
    // same trace as the point printed by `sstsim point`, traced with the
    // experiment's seed and the same replication.
    let dir = std::env::temp_dir().join(format!("sstsim-trace-point-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exp = "experiments/proxy-mix.toml";
    let a = sstsim(&[
        "trace",
        exp,
        "--point",
        "4",
        "--replication",
        "3",
        "--call",
        "7",
        "--format",
        "csv",
    ]);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let point = sstsim(&["point", exp, "--point", "4"]);
    let model = dir.join("p4.toml");
    std::fs::write(&model, &point.stdout).unwrap();
    let text = String::from_utf8(point.stdout).unwrap();
    let seed = text
        .split("--seed ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap();
    let b = sstsim(&[
        "trace",
        model.to_str().unwrap(),
        "--seed",
        seed,
        "--replication",
        "3",
        "--call",
        "7",
        "--format",
        "csv",
    ]);
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert!(a.stdout.len() > 200);
    assert_eq!(a.stdout, b.stdout);
    // Another replication is another run.
    let c = sstsim(&[
        "trace",
        exp,
        "--point",
        "4",
        "--replication",
        "2",
        "--call",
        "7",
        "--format",
        "csv",
    ]);
    assert_ne!(a.stdout, c.stdout);
    // Without --point, an experiment is refused with a hint; so is a
    // replication it does not have, and --seed.
    for (args, want) in [
        (vec!["trace", exp], "--point N"),
        (
            vec!["trace", exp, "--point", "0", "--replication", "99"],
            "numbered 0 to",
        ),
        (
            vec!["trace", exp, "--point", "0", "--seed", "3"],
            "--seed applies to model files",
        ),
        (
            vec!["trace", "models/basic.toml", "--point", "0"],
            "--point applies to experiment files",
        ),
    ] {
        let out = sstsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(want), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
