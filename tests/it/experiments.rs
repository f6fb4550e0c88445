//! Experiments: validation, the parallel runner's determinism across threads,
//! shards and resume, the output files, and the CLI around them.

use std::path::{Path, PathBuf};
use std::process::Command;

use sstsim::cli::shard_from;
use sstsim::experiment::output::Shard;
use sstsim::experiment::runner::{RunOptions, merge, plot, run_experiment};
use sstsim::experiment::spec::experiment_from_str;
use sstsim::experiment::{Experiment, default_experiment};

/// A small sweep: 2 modes × 2 intervals × 3 replications, about 300 calls a run.
const SMALL: &str = r#"
name = "small"
seed = 7
replications = 3
horizon_s = 1800

[grid]
"defaults.session_timers" = ["accept", "originate"]
"defaults.session_expires" = [90, 300]

[charts]
cdf_at = { "defaults.session_timers" = "originate", "defaults.session_expires" = 90 }

[model.defaults]
refresher = "uac"

[[model.node]]
id = "a"
kind = "ua"
group = "callers"

[[model.node]]
id = "p"
kind = "proxy"
stateful = "dialog"
record_route = true
timers = true

[[model.node]]
id = "b"
kind = "ua"
group = "callees"

[[model.link]]
between = ["a", "p"]
group = "hop"
delay_ms = 10
loss = 0.01

[[model.link]]
between = ["p", "b"]
group = "hop"
delay_ms = 20
loss = 0.01

[model.workload]
horizon_s = 600
rate_per_s = 0.2
holding_s = { model = "exponential", mean_s = 200 }
caller_group = "callers"
callee_group = "callees"
call_crash = { probability = 0.2, side = "either" }
"#;

fn small() -> Experiment {
    experiment_from_str("small.toml", SMALL, None).expect("valid experiment")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sstsim-exp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn opts(out: &Path, threads: usize) -> RunOptions {
    RunOptions {
        out: out.to_path_buf(),
        threads,
        resume: false,
        shard: None,
        progress: false,
        stop_after: None,
    }
}

/// Every file of a directory but the manifest (wall time, threads), by relative path.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() != "manifest.json" {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// The files in `dir/charts`, by name.
fn chart_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn assert_same_files(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&fa), names(&fb));
    for ((n, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(
            x == y,
            "{n} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn one_and_two_threads_write_identical_files() {
    let exp = small();
    let (a, b) = (tmp("t1"), tmp("t2"));
    let ra = run_experiment(&exp, &opts(&a, 1)).unwrap();
    run_experiment(&exp, &opts(&b, 2)).unwrap();
    assert_eq!(ra.ran, 12);
    assert_same_files(&a, &b);
    // runs.csv: a header and one row per (point, replication), in that order.
    let runs = std::fs::read_to_string(a.join("runs.csv")).unwrap();
    let lines: Vec<&str> = runs.lines().collect();
    assert_eq!(lines.len(), 13);
    assert!(lines[0].starts_with(
        "point,replication,seed,defaults.session_timers,defaults.session_expires,calls_started,"
    ));
    assert!(lines[1].starts_with("0,0,7,accept,90,"));
    assert!(lines[12].starts_with("3,2,7,originate,300,"));
    assert!(
        !a.join("runs.journal").exists(),
        "the journal is removed when done"
    );
}

#[test]
fn three_shards_merged_equal_a_single_run() {
    let exp = small();
    let single = tmp("single");
    run_experiment(&exp, &opts(&single, 2)).unwrap();
    let mut dirs = Vec::new();
    for i in 1..=3 {
        let d = tmp(&format!("shard{i}"));
        let mut o = opts(&d, 1);
        o.shard = Some(Shard { index: i, count: 3 });
        let r = run_experiment(&exp, &o).unwrap();
        assert_eq!(r.ran, 4, "12 runs round-robin over 3 shards");
        assert!(!d.join("summary.csv").exists(), "a shard writes no summary");
        dirs.push(d);
    }
    let merged = tmp("merged");
    merge(&merged, &dirs).unwrap();
    assert_same_files(&single, &merged);

    // A missing shard is an error that names it.
    let err = merge(&tmp("merged2"), &dirs[..2]).unwrap_err().to_string();
    assert!(err.contains("shard 3/3 is missing"), "{err}");

    // So is one that did not finish (its journal only).
    let unfinished = tmp("shard3-unfinished");
    let mut o = opts(&unfinished, 1);
    o.shard = Some(Shard { index: 3, count: 3 });
    o.stop_after = Some(2);
    run_experiment(&exp, &o).unwrap();
    let err = merge(
        &tmp("merged3"),
        &[dirs[0].clone(), dirs[1].clone(), unfinished],
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("incomplete") && err.contains("--resume"),
        "{err}"
    );
}

#[test]
fn an_interrupted_run_resumed_equals_an_uninterrupted_one() {
    let exp = small();
    let whole = tmp("whole");
    run_experiment(&exp, &opts(&whole, 2)).unwrap();

    let part = tmp("part");
    let mut o = opts(&part, 2);
    o.stop_after = Some(5);
    let first = run_experiment(&exp, &o).unwrap();
    assert_eq!((first.ran, first.missing), (5, 7));
    assert!(
        !part.join("runs.csv").exists(),
        "no final file from a partial run"
    );
    // A run torn by the interrupt: a record without its newline is ignored.
    let journal = part.join("runs.journal");
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes.extend_from_slice(b"L,3,1,ua,12.5,true\nR,3,1,7,origin");
    std::fs::write(&journal, bytes).unwrap();

    let mut o = opts(&part, 1);
    o.resume = true;
    let second = run_experiment(&exp, &o).unwrap();
    assert_eq!((second.resumed, second.ran, second.missing), (5, 7, 0));
    assert_same_files(&whole, &part);
}

#[test]
fn starting_over_an_interrupted_run_without_resume_is_refused() {
    let exp = small();
    let d = tmp("no-resume");
    let mut o = opts(&d, 1);
    o.stop_after = Some(3);
    run_experiment(&exp, &o).unwrap();
    let before = std::fs::read(d.join("runs.journal")).unwrap();
    let err = run_experiment(&exp, &opts(&d, 1)).unwrap_err().to_string();
    assert!(err.contains("--resume") && err.contains("remove"), "{err}");
    // The finished runs are kept, untouched.
    assert_eq!(std::fs::read(d.join("runs.journal")).unwrap(), before);
}

#[test]
fn resuming_another_experiments_journal_is_refused() {
    let exp = small();
    let d = tmp("mismatch");
    let mut o = opts(&d, 1);
    o.stop_after = Some(1);
    run_experiment(&exp, &o).unwrap();
    let other =
        experiment_from_str("small.toml", &SMALL.replace("seed = 7", "seed = 8"), None).unwrap();
    let mut o = opts(&d, 1);
    o.resume = true;
    let err = run_experiment(&other, &o).unwrap_err().to_string();
    assert!(err.contains("different experiment"), "{err}");
}

#[test]
fn points_share_random_numbers_within_a_replication() {
    // Arrivals come from the workload's own stream, which common random numbers
    // give every point of a replication: the same calls start at every point,
    // while replications differ.
    let exp = small();
    let d = tmp("crn");
    run_experiment(&exp, &opts(&d, 2)).unwrap();
    let text = std::fs::read_to_string(d.join("runs.csv")).unwrap();
    let started: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[1].to_string(), c[5].to_string())
        })
        .collect();
    for rep in ["0", "1", "2"] {
        let v: Vec<&String> = started
            .iter()
            .filter(|(r, _)| r == rep)
            .map(|x| &x.1)
            .collect();
        assert_eq!(v.len(), 4);
        assert!(v.iter().all(|x| *x == v[0]), "replication {rep}: {v:?}");
    }
    assert_ne!(started[0].1, started[1].1, "replications must differ");
}

#[test]
fn summary_holds_mean_and_confidence_half_width() {
    let exp = small();
    let d = tmp("summary");
    run_experiment(&exp, &opts(&d, 2)).unwrap();
    let runs = std::fs::read_to_string(d.join("runs.csv")).unwrap();
    let summary = std::fs::read_to_string(d.join("summary.csv")).unwrap();
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let row0: Vec<&str> = summary.lines().nth(1).unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    assert_eq!(row0[col("replications")], "3");
    // Independent recomputation from runs.csv: mean and t(0.975, 2) = 4.303 · s/√3.
    let rh: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let k = rh.iter().position(|h| *h == "messages_sent").unwrap();
    let xs: Vec<f64> = runs
        .lines()
        .skip(1)
        .take(3)
        .map(|l| l.split(',').nth(k).unwrap().parse().unwrap())
        .collect();
    let mean = xs.iter().sum::<f64>() / 3.0;
    let s = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
    let got_mean: f64 = row0[col("messages_sent_mean")].parse().unwrap();
    let got_h: f64 = row0[col("messages_sent_ci95")].parse().unwrap();
    assert!((got_mean - mean).abs() < 1e-6, "{got_mean} vs {mean}");
    assert!((got_h - 4.303 * s / 3f64.sqrt()).abs() < 1e-5, "{got_h}");
}

#[test]
fn charts_render_and_plot_redraws_them_identically() {
    let exp = small();
    let d = tmp("charts");
    run_experiment(&exp, &opts(&d, 2)).unwrap();
    let charts = d.join("charts");
    for name in [
        "reclaim_latency_ua",
        "reclaim_latency_proxy_timer",
        "hung_state",
        "tradeoff",
        "false_teardowns",
        "reclaim_cdf",
    ] {
        let png = std::fs::read(charts.join(format!("{name}.png"))).unwrap();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{name}.png signature"
        );
        let svg = std::fs::read_to_string(charts.join(format!("{name}.svg"))).unwrap();
        assert!(svg.trim_start().starts_with("<svg"), "{name}.svg root");
    }
    let svg = std::fs::read_to_string(charts.join("reclaim_latency_ua.svg")).unwrap();
    assert!(svg.contains("Reclaim latency of dead calls at ua nodes"));
    assert!(svg.contains("defaults.session_expires (s)"));
    assert!(svg.contains("session_timers=originate p95"));
    let before = files(&d);
    std::fs::remove_dir_all(&charts).unwrap();
    plot(&d).unwrap();
    assert_eq!(before, files(&d));
}

#[test]
fn the_default_experiment_is_valid_and_sweeps_modes_by_intervals() {
    let exp = default_experiment().unwrap();
    assert_eq!(exp.name, "modes");
    assert_eq!(exp.points.len(), 18);
    assert_eq!(
        exp.columns,
        ["defaults.session_timers", "defaults.session_expires"]
    );
    // The shipped file and the embedded text are the same experiment.
    let file = sstsim::experiment::load_experiment(Path::new("experiments/modes.toml")).unwrap();
    assert_eq!(file.hash, exp.hash);
}

#[test]
fn shards_come_from_flags_slurm_or_indexed_jobs() {
    let none = |_: &str| None;
    assert_eq!(shard_from(None, None, none), Ok(None));
    assert_eq!(
        shard_from(Some("2/5"), None, none),
        Ok(Some(Shard { index: 2, count: 5 }))
    );
    assert!(shard_from(Some("0/5"), None, none).is_err());
    assert!(shard_from(Some("6/5"), None, none).is_err());
    let slurm = |k: &str| match k {
        "SLURM_ARRAY_TASK_ID" => Some("12".to_string()),
        "SLURM_ARRAY_TASK_MIN" => Some("10".to_string()),
        "SLURM_ARRAY_TASK_COUNT" => Some("4".to_string()),
        _ => None,
    };
    assert_eq!(
        shard_from(None, None, slurm),
        Ok(Some(Shard { index: 3, count: 4 }))
    );
    // --array=1-7:2: tasks 1, 3, 5, 7 of a count of 4 would map to slices
    // 1, 3, 5, 7 of 4: refused up front.
    let stepped = |k: &str| match k {
        "SLURM_ARRAY_TASK_ID" => Some("3".to_string()),
        "SLURM_ARRAY_TASK_MIN" => Some("1".to_string()),
        "SLURM_ARRAY_TASK_COUNT" => Some("4".to_string()),
        "SLURM_ARRAY_TASK_STEP" => Some("2".to_string()),
        _ => None,
    };
    let err = shard_from(None, None, stepped).unwrap_err();
    assert!(err.contains("SLURM_ARRAY_TASK_STEP=2"), "{err}");
    let k8s = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "0".to_string());
    assert_eq!(
        shard_from(None, Some(3), k8s),
        Ok(Some(Shard { index: 1, count: 3 }))
    );
    assert!(shard_from(None, Some(3), none).is_err());
    let beyond = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "3".to_string());
    assert!(shard_from(None, Some(3), beyond).is_err());
}

fn sstsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args(args)
        .output()
        .expect("run sstsim")
}

/// Writes `text` as an experiment file and runs it; returns (status, stderr).
fn run_bad(name: &str, text: &str) -> (Option<i32>, String, PathBuf) {
    let dir = tmp(name);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("exp.toml");
    std::fs::write(&file, text).unwrap();
    let out_dir = dir.join("out");
    let out = sstsim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(!out_dir.exists(), "{name}: nothing may be written");
    (
        out.status.code(),
        String::from_utf8(out.stderr).unwrap(),
        file,
    )
}

fn with_grid(grid: &str) -> String {
    let (head, model) = SMALL.split_once("[charts]").unwrap();
    let model = &model[model.find("[model.defaults]").unwrap()..];
    let head = &head[..head.find("[grid]").unwrap()];
    format!("{head}{grid}\n{model}")
}

#[test]
fn bad_experiments_exit_2_and_point_at_the_problem() {
    let cases: [(&str, String, &[&str]); 7] = [
        (
            "unknown-node",
            with_grid("[grid]\n\"node.pp.timers\" = [true, false]"),
            &[
                "exp.toml:",
                "node.pp.timers",
                "no node id or group \"pp\"",
                "did you mean `p`?",
            ],
        ),
        (
            "unknown-key",
            with_grid("[grid]\n\"defaults.session_expire\" = [90, 180]"),
            &[
                "exp.toml:",
                "unknown key",
                "did you mean `session_expires`?",
            ],
        ),
        (
            "empty-grid",
            with_grid("[grid]"),
            &["exp.toml:", "grid", "the grid is empty"],
        ),
        (
            "empty-values",
            with_grid("[grid]\n\"defaults.session_expires\" = []"),
            &["exp.toml:", "empty list"],
        ),
        (
            "wrong-type",
            with_grid("[grid]\n\"defaults.session_expires\" = [90, \"long\"]"),
            &[
                "exp.toml:",
                "defaults.session_expires",
                "found a string",
                "at point 1",
            ],
        ),
        (
            "below-min-se",
            with_grid("[grid]\n\"defaults.session_expires\" = [60, 300]"),
            &["exp.toml:", "at point 0: defaults.session_expires = 60"],
        ),
        (
            "zip-lengths",
            with_grid(
                "[[zip]]\n\"defaults.session_expires\" = [90, 300]\n\"defaults.min_se\" = [90]",
            ),
            &["exp.toml:", "zipped lists must have equal length"],
        ),
    ];
    for (name, text, wanted) in cases {
        let (code, err, _) = run_bad(name, &text);
        assert_eq!(code, Some(2), "{name}: {err}");
        for w in wanted {
            assert!(err.contains(w), "{name}: missing {w:?} in {err}");
        }
        // Every message names a line and column.
        let first = err.lines().next().unwrap();
        let after = &first[first.find("exp.toml:").unwrap() + 9..];
        let mut nums = after.split(':').take(2).map(|s| s.parse::<usize>());
        assert!(
            matches!((nums.next(), nums.next()), (Some(Ok(l)), Some(Ok(c))) if l > 0 && c > 0),
            "{name}: no line:column in {first}"
        );
    }
    // A value a sweep point sets is reported where it was written: at the
    // offending value on the grid line of the experiment, not in the model.
    let text = with_grid("[grid]\n\"defaults.session_expires\" = [60, 300]");
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("[60").map(|c| (i + 1, c + 2)))
        .unwrap();
    let (_, err, _) = run_bad("below-min-se-line", &text);
    assert!(
        err.contains(&format!("exp.toml:{line}:{col}: defaults.session_expires")),
        "expected {line}:{col}: {err}"
    );
}

#[test]
fn the_cli_runs_an_experiment_and_merges_shards() {
    let dir = tmp("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("small.toml");
    std::fs::write(&file, SMALL).unwrap();
    let f = file.to_str().unwrap();
    let whole = dir.join("whole");
    let out = sstsim(&["run", f, "--out", whole.to_str().unwrap(), "--threads", "2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("4 points × 3 replications"), "{text}");
    assert!(
        text.contains("runs.csv") && text.contains("charts"),
        "{text}"
    );
    let mut shards = Vec::new();
    for i in 1..=2 {
        let d = dir.join(format!("s{i}"));
        let out = Command::new(env!("CARGO_BIN_EXE_sstsim"))
            .args(["run", f, "--out", d.to_str().unwrap(), "--shards", "2"])
            .env("JOB_COMPLETION_INDEX", (i - 1).to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        shards.push(d.to_str().unwrap().to_string());
    }
    let merged = dir.join("merged");
    let mut args = vec!["merge", "--out", merged.to_str().unwrap()];
    args.extend(shards.iter().map(String::as_str));
    let out = sstsim(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_files(&whole, &merged);
    let out = sstsim(&["run", f, "--shard", "3/2"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_shipped_experiments_are_valid() {
    for (file, points, columns) in [
        ("experiments/modes.toml", 18, 2),
        ("experiments/loss.toml", 30, 3),
        ("experiments/proxy-mix.toml", 12, 3),
    ] {
        let exp = sstsim::experiment::load_experiment(Path::new(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            (exp.points.len(), exp.columns.len()),
            (points, columns),
            "{file}"
        );
    }
}

#[test]
fn a_group_key_path_sets_every_member_and_tags_set_nothing() {
    use sstsim::net::LossModel;
    let text =
        with_grid("[[zip]]\n\"tag.loss\" = [\"low\", \"high\"]\n\"link.hop.loss\" = [0.01, 0.25]");
    let exp = experiment_from_str("zip.toml", &text, None).unwrap();
    assert_eq!(exp.columns, ["tag.loss", "link.hop.loss"]);
    let losses = |p: usize| -> Vec<f64> {
        exp.points[p]
            .scenario
            .world
            .links
            .iter()
            .map(|l| match l.loss {
                LossModel::Bernoulli(x) => x.get(),
                _ => f64::NAN,
            })
            .collect()
    };
    assert_eq!(losses(0), [0.01, 0.01]);
    assert_eq!(losses(1), [0.25, 0.25]);
    assert_eq!(exp.points[1].values, ["high", "0.25"]);
    // A key the model leaves out is added to every node of the group.
    let text = with_grid("[grid]\n\"node.callers.session_expires\" = [120, 240]");
    let exp = experiment_from_str("node.toml", &text, None).unwrap();
    let se = |p: usize| -> Vec<Option<u32>> {
        exp.points[p]
            .scenario
            .node_timers
            .iter()
            .map(|t| t.layer.session_expires)
            .collect()
    };
    // Nodes a (group callers), p, b.
    assert_eq!(se(0), [Some(120), None, None]);
    assert_eq!(se(1), [Some(240), None, None]);
}

#[test]
fn a_base_model_is_read_relative_to_the_experiment_file() {
    let dir = tmp("relative");
    std::fs::create_dir_all(dir.join("exps")).unwrap();
    std::fs::copy("models/call-crash.toml", dir.join("model.toml")).unwrap();
    let exp_text = "name = \"rel\"\nmodel = \"../model.toml\"\nreplications = 2\n\
                    [grid]\n\"node.edge.session_expires\" = [300, 1800]\n";
    std::fs::write(dir.join("exps/e.toml"), exp_text).unwrap();
    let exp = sstsim::experiment::load_experiment(&dir.join("exps/e.toml")).unwrap();
    assert_eq!(exp.points.len(), 2);
    assert_eq!(exp.total_runs(), 4);

    std::fs::write(
        dir.join("exps/bad.toml"),
        exp_text.replace("../model", "../nope"),
    )
    .unwrap();
    let err = sstsim::experiment::load_experiment(&dir.join("exps/bad.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.toml:2:9: model: cannot read model file"),
        "{err}"
    );
    // The path is shown as looked for, absolute, whatever the working directory.
    let shown = std::path::absolute(dir.join("exps/../nope.toml")).unwrap();
    assert!(err.contains(&shown.display().to_string()), "{err}");
}

#[test]
fn charts_to_draw_are_chosen_and_checked() {
    let text = SMALL.replace(
        "[charts]\n",
        "[charts]\ndraw = [\"hung_state\", \"tradeoff\"]\n",
    );
    let exp = experiment_from_str("draw.toml", &text, None).unwrap();
    let d = tmp("draw");
    run_experiment(&exp, &opts(&d, 2)).unwrap();
    let names = chart_files(&d);
    assert_eq!(
        names,
        [
            "hung_state.png",
            "hung_state.svg",
            "tradeoff.png",
            "tradeoff.svg"
        ]
    );
    let bad = SMALL.replace("[charts]\n", "[charts]\ndraw = [\"hung-state\"]\n");
    let err = experiment_from_str("draw.toml", &bad, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("charts.draw[0]") && err.contains("did you mean `hung_state`?"),
        "{err}"
    );
}

#[test]
fn a_killed_process_resumes_to_the_same_files() {
    // The small sweep with more replications, run by the binary on one thread;
    // SIGKILL once the journal holds a few runs, then `--resume`.
    let dir = tmp("kill");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("k.toml");
    std::fs::write(
        &file,
        SMALL.replace("replications = 3", "replications = 30"),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let (whole, part) = (dir.join("whole"), dir.join("part"));
    let args = |out: &Path| {
        vec![
            "run".to_string(),
            f.to_string(),
            "--out".into(),
            out.display().to_string(),
            "--threads".into(),
            "1".into(),
            "--quiet".into(),
        ]
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args(args(&part))
        .spawn()
        .unwrap();
    let journal = part.join("runs.journal");
    let finished = |j: &Path| {
        std::fs::read_to_string(j)
            // Only newline-terminated records count: the kill may tear the last.
            .map(|t| {
                t.split_inclusive('\n')
                    .filter(|l| l.starts_with("R,") && l.ends_with('\n'))
                    .count()
            })
            .unwrap_or(0)
    };
    while finished(&journal) < 5 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!part.join("runs.csv").exists());
    let done = finished(&journal);
    assert!((5..120).contains(&done), "{done} runs in the journal");

    let mut resume = args(&part);
    resume.push("--resume".into());
    let out = sstsim(&resume.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("{} resumed", done)), "{text}");
    let out = sstsim(&args(&whole).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success());
    assert_same_files(&whole, &part);
}

#[test]
fn ctrl_c_keeps_the_finished_runs_and_says_how_to_continue() {
    let dir = tmp("sigint");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("i.toml");
    std::fs::write(
        &file,
        SMALL.replace("replications = 3", "replications = 30"),
    )
    .unwrap();
    let out = dir.join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args([
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--threads", "1", "--quiet"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let journal = out.join("runs.journal");
    while std::fs::read_to_string(&journal).map_or(0, |t| t.matches("\nR,").count()) < 3 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "ended before the interrupt"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let done = child.wait_with_output().unwrap();
    assert_eq!(done.status.code(), Some(130));
    let err = String::from_utf8(done.stderr).unwrap();
    assert!(
        err.contains("finished runs are kept") && err.contains("--resume"),
        "{err}"
    );
    assert!(journal.exists() && !out.join("runs.csv").exists());
}

#[test]
fn resuming_a_finished_run_reruns_nothing() {
    let exp = small();
    let d = tmp("finished");
    run_experiment(&exp, &opts(&d, 2)).unwrap();
    let before = files(&d);
    let mut o = opts(&d, 1);
    o.resume = true;
    let again = run_experiment(&exp, &o).unwrap();
    assert_eq!((again.ran, again.resumed), (0, 12));
    assert_eq!(before, files(&d));
}

#[test]
fn flags_of_the_other_file_kind_are_refused() {
    let out = sstsim(&["run", "models/basic.toml", "--threads", "2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("--threads applies to experiment files"),
        "{err}"
    );
    let out = sstsim(&["run", "experiments/modes.toml", "--dialogs", "d.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--dialogs applies to model files"), "{err}");
}

#[test]
fn a_point_printed_as_a_model_runs_exactly_like_the_sweep() {
    use sstsim::engine::SeedSpace;
    use sstsim::experiment::metrics::metric_values;
    use sstsim::scenario::model_from_str;
    use sstsim::sim::{TraceFilter, World};
    let dir = tmp("point");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("small.toml");
    std::fs::write(&file, SMALL).unwrap();
    let out = sstsim(&["point", file.to_str().unwrap(), "--point", "3"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("defaults.session_timers = originate, defaults.session_expires = 300"),
        "{text}"
    );
    assert!(text.contains("--seed 7 --replication r"), "{text}");
    // The printed model is the point's model: the same run, metric by metric,
    // for a replication's random streams.
    let exp = small();
    let printed = model_from_str("point.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let metrics = |world: sstsim::sim::WorldConfig| {
        let mut w = World::new(world, SeedSpace::new(7, 0, 2), TraceFilter::Off);
        w.run();
        metric_values(&w.finish().0)
    };
    let (a, b) = (
        metrics(exp.points[3].scenario.world.clone()),
        metrics(printed.world),
    );
    assert!(
        a.iter()
            .zip(&b)
            .all(|(x, y)| x == y || (x.is_nan() && y.is_nan())),
        "{a:?}\n{b:?}"
    );
    // A point that does not exist is a usage error naming the range.
    let out = sstsim(&["point", file.to_str().unwrap(), "--point", "4"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("has 4 point(s), numbered 0 to 3"), "{err}");
}

#[test]
fn heat_maps_draw_one_cell_per_point_and_are_checked() {
    // draw = [] leaves the line charts out; the heat map's CSV repeats the
    // summary's mean of its metric cell for cell.
    let map = "[[charts.heatmap]]\nname = \"hung\"\ntitle = \"Hung state\"\nmetric = [\"hung_state_h\"]\nrows = \"defaults.session_timers\"\ncolumns = \"defaults.session_expires\"\n";
    let with = |map: &str| {
        let cdf = "cdf_at = { \"defaults.session_timers\" = \"originate\", \"defaults.session_expires\" = 90 }\n";
        SMALL.replace(
            &format!("[charts]\n{cdf}"),
            &format!("[charts]\n{cdf}draw = []\n{map}\n"),
        )
    };
    let exp = experiment_from_str("heat.toml", &with(map), None).unwrap();
    let d = tmp("heat");
    run_experiment(&exp, &opts(&d, 2)).unwrap();
    let names = chart_files(&d);
    assert_eq!(
        names,
        ["heatmap_hung.csv", "heatmap_hung.png", "heatmap_hung.svg"]
    );
    let summary = std::fs::read_to_string(d.join("summary.csv")).unwrap();
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "hung_state_h_mean")
        .unwrap();
    let cells = std::fs::read_to_string(d.join("charts/heatmap_hung.csv")).unwrap();
    for line in summary.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let want = format!(
            ",{},{},value,{}",
            f[1],
            f[2],
            f[col].parse::<f64>().unwrap()
        );
        assert!(cells.contains(&want), "{want} not in\n{cells}");
    }
    // Rows, columns and panels must tell the points apart, and name swept keys.
    for (bad, says) in [
        (
            map.replace(
                "columns = \"defaults.session_expires\"",
                "columns = \"defaults.session_timers\"",
            ),
            "fall in the same cell",
        ),
        (
            map.replace(
                "rows = \"defaults.session_timers\"",
                "rows = \"defaults.min_se\"",
            ),
            "is not a swept key",
        ),
        (
            map.replace("\"hung_state_h\"", "\"hung_state\""),
            "did you mean `hung_state_h`?",
        ),
        (format!("{map}colour = \"red\"\n"), "unknown key"),
        (
            map.replace("name = \"hung\"", "name = \"h/u\""),
            "names its files",
        ),
        (
            map.replace("[\"hung_state_h\"]", "[]"),
            "at least one metric",
        ),
    ] {
        let err = experiment_from_str("heat.toml", &with(&bad), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("charts.heatmap[0]") && err.contains(says),
            "{err}"
        );
    }
}
