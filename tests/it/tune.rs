//! `sstsim tune`: the search finds a closed-form optimum, reports an
//! infeasible problem with its closest point, and refuses bad files with
//! located errors.

use sstsim::tune::{run_tune, tune_from_str};

/// One call alice → bob over one 10 ms link, held 3600 s, no loss; bob
/// refreshes (he is the UAS and prefers to). His 2xx leaves at 0.01 and each
/// refresh's 2xx reaches him 0.02 s after he sent it, so refresh k goes at
/// 0.01 + k·(SE/2 + 0.02). The call ends at 0.02 + 3600 (alice hangs up).
/// Refreshes in the call: the largest k with k·(SE/2 + 0.02) < 3600.01, over
/// one session-hour: SE 600 → 11 (12 × 300.02 = 3600.24 is too late); any
/// SE ≤ 599 → 12 (12 × 299.52 = 3594.24). So the smallest SE with at most
/// 11.5 refreshes per session-hour is exactly 600.
fn tune_text(bound: &str, refine: u32) -> String {
    format!(
        r#"
name = "closed-form"
seed = 1
replications = 2
max_replications = 4
refine = {refine}

[knobs]
"defaults.session_expires" = {{ from = 90, to = 7200, steps = 8 }}

[objective]
maximize = "refresh_requests_per_session_hour"

[[constraint]]
metric = "refresh_requests_per_session_hour"
{bound}

[model]
[model.defaults]
session_timers = "originate"
[[model.node]]
id = "alice"
kind = "ua"
[[model.node]]
id = "bob"
kind = "ua"
[[model.link]]
between = ["alice", "bob"]
delay_ms = 10
[model.workload]
caller = "alice"
callee = "bob"
calls = 1
holding_s = 3600
horizon_s = 4000
"#
    )
}

fn out_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("sstsim-tune-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn the_tuner_finds_the_smallest_se_a_refresh_load_bound_allows() {
    // The coarse log grid from 90 to 7200 in 8 steps has 587 (12 refreshes:
    // infeasible) and 1097 (feasible) around 600; each round halves the
    // bracket geometrically: 802, 686, 635, 610, 598 (infeasible), 604.
    // After 6 rounds the answer lies within 1% of 600, and never below it.
    let spec = tune_from_str("t.toml", &tune_text("max = 11.5", 6), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = out_dir("closed");
    let outcome = run_tune(&spec, &out, 2, false, false).expect("tune runs");
    assert!(outcome.feasible, "{}", outcome.summary);
    let csv = std::fs::read_to_string(out.join("recommendation.csv")).unwrap();
    let first = csv.lines().nth(1).expect("a recommendation");
    let cols: Vec<&str> = first.split(',').collect();
    let se: i64 = cols[1].parse().unwrap();
    assert!((600..=606).contains(&se), "{first}");
    assert_eq!(cols[2], "yes");
    assert_eq!(cols[4].parse::<f64>().unwrap(), 11.0, "{first}");
    // Every candidate below 600 was found infeasible with 12 refreshes.
    for line in csv.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        let (v, load): (i64, f64) = (c[1].parse().unwrap(), c[4].parse().unwrap());
        if v < 600 {
            assert!(c[2] == "no" && load >= 12.0, "{line}");
        }
    }
    let md = std::fs::read_to_string(out.join("recommendation.md")).unwrap();
    assert!(
        md.contains(&format!("defaults.session_expires = {se}")),
        "{md}"
    );
    assert!(
        md.contains("Binding constraint: `refresh_requests_per_session_hour`"),
        "{md}"
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn an_infeasible_problem_is_reported_with_its_closest_point() {
    // At least 100 refreshes per session-hour: the most any SE gives is at
    // SE 90, refresh every 45.02 s: 79 in 3600.01 s. Nothing is feasible;
    // the closest point is SE 90 and the constraint it violates is named.
    let spec =
        tune_from_str("t.toml", &tune_text("min = 100", 1), None).unwrap_or_else(|e| panic!("{e}"));
    let out = out_dir("infeasible");
    let outcome = run_tune(&spec, &out, 2, false, false).expect("tune runs");
    assert!(!outcome.feasible);
    assert!(
        outcome.summary.starts_with("no feasible setting"),
        "{}",
        outcome.summary
    );
    assert!(
        outcome
            .summary
            .contains("closest: defaults.session_expires = 90"),
        "{}",
        outcome.summary
    );
    assert!(
        outcome
            .summary
            .contains("refresh_requests_per_session_hour ≥ 100: 79"),
        "{}",
        outcome.summary
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn bad_tune_files_get_located_errors() {
    let err = |from: &str, to: &str| {
        let text = tune_text("max = 11.5", 1).replace(from, to);
        tune_from_str("bad.toml", &text, None)
            .err()
            .unwrap_or_else(|| panic!("{to} is refused"))
            .to_string()
    };
    let e = err(
        "maximize = \"refresh_requests_per_session_hour\"",
        "maximize = \"refresh_request_per_session_hour\"",
    );
    assert!(e.contains("bad.toml:12:12: objective.maximize: unknown metric \"refresh_request_per_session_hour\""), "{e}");
    assert!(
        e.contains("did you mean `refresh_requests_per_session_hour`?"),
        "{e}"
    );
    let e = err(
        "{ from = 90, to = 7200, steps = 8 }",
        "{ from = 7200, to = 90 }",
    );
    assert!(
        e.contains("knobs.\"defaults.session_expires\": from must be below to"),
        "{e}"
    );
    let e = err(
        "[knobs]\n",
        "[knobs]\n\"defaults.min_se\" = { from = 90, to = 300 }\n",
    );
    assert!(e.contains("at most one knob may be a range"), "{e}");
    let e = err(
        "metric = \"refresh_requests_per_session_hour\"",
        "metric = \"node.carol.messages_received\"",
    );
    assert!(
        e.contains("no node \"carol\" in the model; nodes are: alice, bob"),
        "{e}"
    );
    let e = err("max = 11.5", "max = 11.5\nmin = 3");
    assert!(
        e.contains("constraint[0]: give exactly one of max and min"),
        "{e}"
    );
    let e = err("replications = 2", "replications = 2\nwhatever = 1");
    assert!(e.contains("bad.toml:5:1: whatever: unknown key"), "{e}");
}

#[test]
fn a_tune_is_byte_identical_whatever_the_threads() {
    let spec = tune_from_str("t.toml", &tune_text("max = 11.5", 2), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let read = |threads| {
        let out = out_dir(&format!("det{threads}"));
        run_tune(&spec, &out, threads, false, false).expect("tune runs");
        let files: Vec<Vec<u8>> = ["recommendation.csv", "recommendation.md", "report.html"]
            .iter()
            .map(|f| std::fs::read(out.join(f)).unwrap())
            .collect();
        std::fs::remove_dir_all(&out).ok();
        files
    };
    assert!(read(1) == read(2));
}

#[test]
fn run_refuses_a_tune_file_and_names_the_command() {
    let dir = out_dir("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("t.toml");
    std::fs::write(&f, tune_text("max = 11.5", 1)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args(["run", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("is a tune file ([knobs], [objective]): run it with `sstsim tune"),
        "{e}"
    );
    // A bad tune file: exit 2 with the located error.
    std::fs::write(
        &f,
        tune_text("max = 11.5", 1).replace("steps = 8", "steps = 1"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args([
            "tune",
            f.to_str().unwrap(),
            "--out",
            dir.join("o").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("t.toml:9:62: knobs.\"defaults.session_expires\".steps: 1 is out of range"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A headless browser on PATH, if any.
fn browser() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    [
        "chromium-headless-shell",
        "chromium",
        "chromium-browser",
        "google-chrome",
    ]
    .iter()
    .flat_map(|b| std::env::split_paths(&path).map(move |d| d.join(b)))
    .find(|p| p.is_file())
}

#[test]
fn the_report_loads_in_a_headless_browser() {
    // CI installs chromium-headless-shell and sets SSTSIM_REQUIRE_BROWSER;
    // elsewhere the test runs when a browser is on PATH.
    let Some(bin) = browser() else {
        assert!(
            std::env::var_os("SSTSIM_REQUIRE_BROWSER").is_none(),
            "SSTSIM_REQUIRE_BROWSER is set but no browser is on PATH"
        );
        eprintln!("no headless browser on PATH: report test skipped");
        return;
    };
    let spec = tune_from_str("t.toml", &tune_text("max = 11.5", 1), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = out_dir("browser");
    run_tune(&spec, &out, 2, false, false).expect("tune runs");
    let page = std::fs::canonicalize(out.join("report.html")).unwrap();
    let url = format!("file://{}", page.display());
    let run = |args: &[&str]| {
        std::process::Command::new(&bin)
            .args(["--headless", "--no-sandbox", "--disable-gpu"])
            .args(args)
            .arg(&url)
            .output()
            .expect("the browser runs")
    };
    // The DOM the browser built: every chart and table row is there.
    let dom = String::from_utf8_lossy(&run(&["--dump-dom"]).stdout).into_owned();
    let csv = std::fs::read_to_string(out.join("recommendation.csv")).unwrap();
    let charts = std::fs::read_dir(out.join("charts")).unwrap().count();
    assert!(
        dom.contains("<title>closed-form — sstsim tune</title>"),
        "{dom:.300}"
    );
    assert_eq!(dom.matches("<svg").count(), charts);
    assert_eq!(dom.matches("<tr").count(), csv.lines().count());
    assert!(dom.contains("id=\"recommendation\"") && dom.contains("<table>"));
    // And it renders: a screenshot of the page is a real picture.
    let shot = out.join("shot.png");
    run(&[
        &format!("--screenshot={}", shot.display()),
        "--window-size=1100,2600",
    ]);
    let png = std::fs::read(&shot).expect("a screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(png.len() > 50_000, "{} bytes", png.len());
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn shards_sharing_a_directory_reach_the_same_answer_byte_for_byte() {
    // Three shards, each running its slice of every pass and waiting for
    // the others, write the same files as one unsharded tune (shard 1
    // writes them; the others print the same recommendation).
    use sstsim::experiment::output::Shard;
    use sstsim::tune::run_tune_with;
    use sstsim::tune::search::RunWith;
    let spec = tune_from_str("t.toml", &tune_text("max = 11.5", 2), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let whole = out_dir("unsharded");
    run_tune(&spec, &whole, 1, false, false).expect("tune runs");
    let shared = out_dir("sharded");
    let summaries: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..=3)
            .map(|index| {
                let (spec, shared) = (&spec, &shared);
                s.spawn(move || {
                    let how = RunWith {
                        threads: 1,
                        resume: false,
                        progress: false,
                        shard: Some(Shard { index, count: 3 }),
                    };
                    run_tune_with(spec, shared, &how)
                        .expect("shard runs")
                        .summary
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(summaries.iter().all(|s| *s == summaries[0]));
    for f in ["recommendation.csv", "recommendation.md", "report.html"] {
        assert!(
            std::fs::read(whole.join(f)).unwrap() == std::fs::read(shared.join(f)).unwrap(),
            "{f}"
        );
    }
    assert!(shared.join("pass-1/shard-3-of-3/manifest.json").is_file());
    std::fs::remove_dir_all(&whole).ok();
    std::fs::remove_dir_all(&shared).ok();
}

#[test]
fn an_experiment_file_can_be_the_base() {
    // experiments/products.toml as the base: the tune searches its model
    // (the experiment's grid is not used); a knob on its node group applies.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    let text = r#"
name = "on-products"
model = "products.toml"
replications = 2
refine = 0
[knobs]
"node.asterisk.session_expires" = { from = 90, to = 1800, steps = 3 }
[objective]
minimize = "ua_reclaim_p95_s"
"#;
    let spec = tune_from_str("x.toml", text, Some(&dir)).unwrap_or_else(|e| panic!("{e}"));
    let sstsim::scenario::doc::Value::Table(t) = &spec.model.value else {
        panic!("a model table")
    };
    assert!(t.get("node").is_some() && t.get("grid").is_none());
    // A knob on a group the base model does not have is refused, located.
    let bad = text.replace("node.asterisk.", "node.asterix.");
    let e = tune_from_str("x.toml", &bad, Some(&dir))
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("x.toml:7:1: node.asterix.session_expires"),
        "{e}"
    );
}

#[test]
fn a_killed_tune_resumes_to_the_same_answer() {
    // The process is killed (SIGKILL, as a crash) part-way; `--resume`
    // then finishes it, and the answer is byte for byte the uninterrupted
    // one. Wherever the kill lands (even before the first run or after the
    // last), that must hold.
    let dir = out_dir("killed");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("t.toml");
    std::fs::write(&f, tune_text("max = 11.5", 6)).unwrap();
    let spec = tune_from_str("t.toml", &tune_text("max = 11.5", 6), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let whole = dir.join("whole");
    run_tune(&spec, &whole, 2, false, false).expect("tune runs");
    let out = dir.join("out");
    let args = |resume: bool| {
        let mut a = vec![
            "tune".to_string(),
            f.display().to_string(),
            "--out".into(),
            out.display().to_string(),
            "--quiet".into(),
        ];
        if resume {
            a.push("--resume".into());
        }
        a
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args(args(false))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    let _ = child.kill();
    let _ = child.wait();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args(args(true))
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(
        std::fs::read(whole.join("recommendation.csv")).unwrap()
            == std::fs::read(out.join("recommendation.csv")).unwrap()
    );
    std::fs::remove_dir_all(&dir).ok();
}
