//! The binary: commands, their outputs, and exit status 2 on bad input.

use std::process::Command;

fn sstsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args(args)
        .output()
        .expect("run sstsim")
}

#[test]
fn bad_usage_exits_with_status_2_and_names_the_option() {
    let out = sstsim(&["run", "--threads", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--threads"), "{err}");

    let out = sstsim(&["trace", "--call", "many", "models/basic.toml"]);
    assert_eq!(out.status.code(), Some(2));

    let out = sstsim(&["no-such-command"]);
    assert_eq!(out.status.code(), Some(2));
}

fn model(name: &str) -> String {
    format!("{}/models/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn trace_ladder_shows_a_complete_call() {
    let out = sstsim(&["trace", &model("basic.toml"), "--format", "ladder"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let header = text.lines().next().unwrap();
    for n in ["alice", "p1", "p2", "bob"] {
        assert!(header.contains(n), "{header}");
    }
    for label in ["INVITE", "100 Trying", "200 OK", "ACK", "BYE"] {
        assert!(text.contains(label), "missing {label}:\n{text}");
    }
    assert!(text.contains("bob: dialog state freed (bye)"), "{text}");
    assert!(
        text.lines().all(|l| l.chars().count() <= 160),
        "fits 160 columns"
    );
}

#[test]
fn trace_csv_has_the_contract_columns() {
    let out = sstsim(&["trace", &model("basic.toml"), "--format", "csv"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    for col in [
        "t_s",
        "from",
        "to",
        "message",
        "cseq",
        "session_expires",
        "refresher",
        "min_se",
        "supported_timer",
        "require_timer",
        "fate",
    ] {
        assert!(header.contains(&col), "missing column {col}: {header:?}");
    }
    let first = text.lines().nth(1).unwrap();
    assert!(
        first.starts_with("0.000000,message,alice,p1,INVITE,1 INVITE,"),
        "{first}"
    );
    // alice-p1 has delay 15 ms and jitter 5 ms: arrival in [0.015, 0.020).
    let cols: Vec<&str> = first.split(',').collect();
    assert_eq!(cols[12], "delivered", "{first}");
    let arrive: f64 = cols[13].parse().unwrap();
    assert!((0.015..0.020).contains(&arrive), "{first}");
}

#[test]
fn trace_of_a_bad_model_exits_2_with_located_errors() {
    let dir = std::env::temp_dir().join(format!("sstsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[[node]]\nid = \"a\"\nkind = \"ua\"\ncolour = 1\n").unwrap();
    let out = sstsim(&["trace", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.toml:4:1: node.a.colour: unknown key"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    let out = sstsim(&["trace", &model("basic.toml"), "--call", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--call 5"));
    let out = sstsim(&["trace", dir.join("missing.toml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn traces_are_byte_identical_for_the_same_seed() {
    let a = sstsim(&[
        "trace",
        &model("carrier.toml"),
        "--call",
        "3",
        "--format",
        "csv",
        "--seed",
        "9",
    ]);
    let b = sstsim(&[
        "trace",
        &model("carrier.toml"),
        "--call",
        "3",
        "--format",
        "csv",
        "--seed",
        "9",
    ]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn run_prints_the_metrics_and_writes_dialogs_csv() {
    let dir = std::env::temp_dir().join(format!("sstsim-run-{}", std::process::id()));
    let csv = dir.join("out/dialogs.csv");
    let out = sstsim(&[
        "run",
        &model("faults.toml"),
        "--dialogs",
        csv.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "reclaim latency",
        "proxy_plain",
        "held",
        "false teardowns",
        "refresh cost",
        "negotiation",
        "events processed",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
    let rows = std::fs::read_to_string(&csv).unwrap();
    let mut lines = rows.lines();
    assert_eq!(
        lines.next(),
        Some("call,node,node_class,created_s,dead_s,freed_s,cause")
    );
    let body: Vec<&str> = lines.collect();
    assert!(body.len() > 100, "{} rows", body.len());
    assert!(
        body.iter().any(|l| l.ends_with(",crash")),
        "bob's crash is recorded"
    );
    assert!(body.iter().any(|l| l.ends_with(",fallback_lifetime")));
    // Same input and seed: byte-identical output and CSV.
    let again = sstsim(&[
        "run",
        &model("faults.toml"),
        "--dialogs",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), rows);
    assert_eq!(again.stdout, text.as_bytes());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn run_rejects_bad_workloads_with_located_errors() {
    let dir = std::env::temp_dir().join(format!("sstsim-badrun-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    let base = std::fs::read_to_string(model("basic.toml")).unwrap();
    std::fs::write(
        &bad,
        base.replace(
            "holding_s = 150",
            "holding_s = 150\ncall_crash = { probability = 2.0, side = \"caler\" }",
        ),
    )
    .unwrap();
    let out = sstsim(&["run", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("workload.call_crash.probability: 2 is out of range"),
        "{err}"
    );
    assert!(
        err.contains("workload.call_crash.side: unknown value \"caler\"")
            && err.contains("did you mean `caller`?"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
