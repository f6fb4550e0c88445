//! Reproducers of the hardening campaign (issue 11): each input once made
//! sstsim panic, give a silently wrong result or clobber good output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sstsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args(args)
        .output()
        .expect("run sstsim")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sstsim-hard-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every file under `dir` with its bytes, sorted by path.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A one-point experiment of a few calls, quick to run.
const TINY: &str = r#"
name = "tiny"
replications = 2
[grid]
"defaults.session_expires" = [90]
[model.defaults]
session_timers = "originate"
[[model.node]]
id = "a"
kind = "ua"
[[model.node]]
id = "b"
kind = "ua"
[[model.link]]
between = ["a", "b"]
delay_ms = 10
[model.workload]
caller = "a"
callee = "b"
calls = 3
interval_s = 10
holding_s = 100
horizon_s = 600
"#;

/// Writes `text` into `dir/name` and returns its path as a string.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// Runs TINY into `dir/out` and returns the finished directory.
fn good_output(dir: &Path) -> PathBuf {
    let exp = write(dir, "tiny.toml", TINY);
    let out = dir.join("out");
    let o = sstsim(&["run", &exp, "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    out
}

#[test]
fn a_grid_of_2_pow_64_points_is_refused_not_wrapped_to_zero() {
    // 64 two-value tag axes: 2^64 points, which an unchecked u64 product
    // wraps to 0 ("0 points", exit 0, empty files over good ones).
    let dir = tmp("grid64");
    let out = good_output(&dir);
    let before = snapshot(&out);
    let axes: String = (0..64)
        .map(|i| format!("\"tag.t{i}\" = [1, 2]\n"))
        .collect();
    let text = TINY.replace(
        "\"defaults.session_expires\" = [90]\n",
        &format!("\"defaults.session_expires\" = [90]\n{axes}"),
    );
    let exp = write(
        &dir,
        "huge.toml",
        &text.replace("name = \"tiny\"", "name = \"huge\""),
    );
    for resume in [false, true] {
        let mut args = vec!["run", &exp, "--out", out.to_str().unwrap(), "--quiet"];
        if resume {
            args.push("--resume");
        }
        let o = sstsim(&args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(
            e.contains("huge.toml:4:1: grid: the grid (65 axes) has more than 100000 points"),
            "{e}"
        );
        assert_eq!(snapshot(&out), before, "the good output is untouched");
    }
    // Just past the bound, counted exactly: 317 × 316 = 100,172 points.
    let many = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    let text = TINY.replace(
        "\"defaults.session_expires\" = [90]\n",
        &format!("\"tag.a\" = [{}]\n\"tag.b\" = [{}]\n", many(317), many(316)),
    );
    let exp = write(&dir, "big.toml", &text);
    let o = sstsim(&[
        "run",
        &exp,
        "--out",
        dir.join("big").to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the grid (317 × 316) has more than 100000 points"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.join("big").exists());
}

fn tiny(seed: u64) -> sstsim::experiment::Experiment {
    let text = TINY.replace(
        "replications = 2",
        &format!("replications = 2\nseed = {seed}"),
    );
    sstsim::experiment::spec::experiment_from_str("tiny.toml", &text, None).unwrap()
}

fn opts(out: &Path) -> sstsim::experiment::runner::RunOptions {
    sstsim::experiment::runner::RunOptions {
        out: out.to_path_buf(),
        threads: 1,
        resume: false,
        shard: None,
        progress: false,
        stop_after: None,
    }
}

#[test]
fn a_second_writer_in_an_output_directory_is_refused_naming_the_holder() {
    use sstsim::experiment::lock::{DirLock, LOCK_FILE};
    let dir = tmp("lock");
    let out = good_output(&dir);
    let before = snapshot(&out);
    let held = DirLock::acquire(&out, "test holder").unwrap();
    let exp = dir.join("tiny.toml");
    let o = sstsim(&[
        "run",
        exp.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--resume",
    ]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    let holder = format!(
        "another sstsim is writing into this directory (pid {}: test holder)",
        std::process::id()
    );
    assert!(e.contains(&holder), "{e}");
    for args in [
        vec!["plot", out.to_str().unwrap()],
        vec![
            "merge",
            "--out",
            out.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
    ] {
        let o = sstsim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(&holder), "{}", stderr(&o));
    }
    drop(held);
    // Released: the directory is as it was, without the lock file.
    assert_eq!(snapshot(&out), before);
    let o = sstsim(&["plot", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!out.join(LOCK_FILE).exists());
}

#[test]
fn a_journal_that_mixes_experiments_is_refused_on_resume() {
    use sstsim::experiment::runner::run_experiment;
    let dir = tmp("mixed");
    let (a, b) = (dir.join("a"), dir.join("b"));
    for (exp, out) in [(tiny(1), &a), (tiny(2), &b)] {
        let mut o = opts(out);
        o.stop_after = Some(1);
        assert_eq!(run_experiment(&exp, &o).unwrap().missing, 1);
    }
    // B's journal gains A's finished run (as two writers once produced).
    let ja = std::fs::read_to_string(a.join("runs.journal")).unwrap();
    let body = ja.split_once('\n').unwrap().1;
    let jb = b.join("runs.journal");
    let mut text = std::fs::read_to_string(&jb).unwrap();
    text.push_str(body);
    std::fs::write(&jb, &text).unwrap();
    let mut o = opts(&b);
    o.resume = true;
    let e = run_experiment(&tiny(2), &o).unwrap_err().to_string();
    let line = text.lines().count();
    assert!(
        e.contains(&format!("runs.journal:{line}: a run of experiment hash")),
        "{e}"
    );
    assert!(e.contains("not this experiment's alone"), "{e}");
    assert!(!b.join("runs.csv").exists());

    // B's own identity on a run B does not have (point 5) is refused too.
    let own = std::fs::read_to_string(&jb).unwrap();
    let mut lines: Vec<&str> = own.lines().take_while(|l| !l.is_empty()).collect();
    lines.truncate(own.lines().count() - body.lines().count());
    let r = lines.iter().rposition(|l| l.starts_with("R,")).unwrap();
    let fields: Vec<&str> = lines[r].split(',').collect();
    let bad = format!("{},{},5,{}", fields[0], fields[1], fields[3..].join(","));
    let fixed: String = lines[..r]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + &bad
        + "\n";
    std::fs::write(&jb, fixed).unwrap();
    let e = run_experiment(&tiny(2), &o).unwrap_err().to_string();
    assert!(e.contains("point 5 replication"), "{e}");
    assert!(
        e.contains("is not a run of this experiment or shard"),
        "{e}"
    );
}

/// Nodes x and y joined by `n` named links (the first loses everything),
/// then the a–b link the calls take.
fn many_links(n: usize) -> String {
    let mut m = String::from(
        "[[node]]\nid = \"a\"\nkind = \"ua\"\n[[node]]\nid = \"b\"\nkind = \"ua\"\n\
         [[node]]\nid = \"x\"\nkind = \"ua\"\n[[node]]\nid = \"y\"\nkind = \"ua\"\n",
    );
    for i in 0..n {
        let loss = if i == 0 { "loss = 1.0\n" } else { "" };
        m.push_str(&format!(
            "[[link]]\nname = \"l{i}\"\nbetween = [\"x\", \"y\"]\n{loss}"
        ));
    }
    m.push_str(
        "[[link]]\nbetween = [\"a\", \"b\"]\ndelay_ms = 10\n\
         [workload]\ncaller = \"a\"\ncallee = \"b\"\ncalls = 3\ninterval_s = 10\nholding_s = 30\nhorizon_s = 200\n",
    );
    m
}

#[test]
fn the_65537th_link_carries_its_own_calls() {
    // Link ids were 16-bit: link 65,536 (a–b) wrapped to link 0 (x–y, which
    // loses every packet), so every message of every call was lost.
    let dir = tmp("links");
    let model = write(&dir, "links.toml", &many_links(65_536));
    let o = sstsim(&["run", &model]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.contains("calls: 3 started, 3 answered"), "{out}");
    // Two UAs, 10 ms apart, no loss: INVITE, 100, 200, ACK, BYE, 200 per call = 18 messages.
    assert!(
        out.contains("network:         18 messages sent, 0 lost"),
        "{out}"
    );
}

#[test]
fn too_many_nodes_is_a_located_error() {
    // 65,535 nodes once panicked in the routing set-up ("too many nodes").
    let dir = tmp("nodes");
    let mut m = String::new();
    for i in 0..65_535 {
        m.push_str(&format!("[[node]]\nid = \"n{i}\"\nkind = \"ua\"\n"));
    }
    m.push_str("[workload]\ncaller = \"n0\"\ncallee = \"n1\"\nhorizon_s = 10\n");
    let model = write(&dir, "nodes.toml", &m);
    let o = sstsim(&["run", &model]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    // Node table 65,535 (index 65,534) starts on line 3 · 65,534 + 1.
    assert!(
        e.contains(&format!("nodes.toml:{}:1: node[65534]: 65535 [[node]] tables: a model may have at most 65534 nodes", 3 * 65_534 + 1)),
        "{e}"
    );
}

/// 2^20 + 1 calls placed at once: one more dialog than a node can address.
const OVERFLOW: &str = r#"
[[node]]
id = "a"
kind = "ua"
[[node]]
id = "b"
kind = "ua"
[[link]]
between = ["a", "b"]
delay_ms = 10
[workload]
caller = "a"
callee = "b"
calls = 1048577
interval_s = 0
holding_s = 60
horizon_s = 100
"#;

const OVERFLOW_MESSAGE: &str = "at t = 0.000 s the model needs more than 1048576 simultaneous \
     dialogs at one node, the most sstsim can hold: lower the number of simultaneous calls";

#[test]
fn more_simultaneous_calls_than_a_node_holds_is_an_input_error() {
    // This panicked in sip/slab.rs ("more than 2^20 simultaneous ...").
    let dir = tmp("overflow-model");
    let model = write(&dir, "overflow.toml", OVERFLOW);
    let o = sstsim(&["run", &model]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains(&format!("overflow.toml: {OVERFLOW_MESSAGE}")),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn a_run_over_the_limit_stops_its_sweep_and_keeps_the_journal() {
    // In a sweep every run panicked in turn and the process exited 101.
    let dir = tmp("overflow-sweep");
    let model = write(&dir, "overflow.toml", OVERFLOW);
    let exp = write(
        &dir,
        "exp.toml",
        &format!(
            "name = \"over\"\nmodel = \"{}\"\nreplications = 2\n[grid]\n\"workload.holding_s\" = [60]\n",
            Path::new(&model).file_name().unwrap().to_str().unwrap()
        ),
    );
    let out = dir.join("out");
    let o = sstsim(&[
        "run",
        &exp,
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "1",
        "--quiet",
    ]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains(&format!("point 0 replication 0: {OVERFLOW_MESSAGE}")),
        "{e}"
    );
    assert!(
        e.contains("the runs that finished are kept in the journal"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
    assert!(out.join("runs.journal").exists() && !out.join("runs.csv").exists());
}

/// TINY run as shards 1/2 and 2/2 into `dir/s1` and `dir/s2`.
fn two_shards(dir: &Path) -> Vec<PathBuf> {
    let exp = write(dir, "tiny.toml", TINY);
    let shards: Vec<PathBuf> = (1..=2).map(|i| dir.join(format!("s{i}"))).collect();
    for (i, d) in shards.iter().enumerate() {
        let shard = format!("{}/2", i + 1);
        let o = sstsim(&[
            "run",
            &exp,
            "--shard",
            &shard,
            "--out",
            d.to_str().unwrap(),
            "--quiet",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    shards
}

#[test]
fn merge_refuses_shard_manifests_that_are_not_shards() {
    // Index 0, an index above the count, and count 0 once panicked in merge.
    let dir = tmp("merge-manifest");
    let shards = two_shards(&dir);
    let manifest = shards[1].join("manifest.json");
    let good = std::fs::read_to_string(&manifest).unwrap();
    assert!(good.contains("\"index\": 2,\n    \"count\": 2"), "{good}");
    for (index, count, says) in [
        (0, 2, "shard 0/2 in manifest.json is not a shard"),
        (3, 2, "shard 3/2 in manifest.json is not a shard"),
        (0, 0, "shard 0/0 in manifest.json is not a shard"),
    ] {
        let bad = good.replace(
            "\"index\": 2,\n    \"count\": 2",
            &format!("\"index\": {index},\n    \"count\": {count}"),
        );
        std::fs::write(&manifest, bad).unwrap();
        let merged = dir.join("merged");
        let o = sstsim(&[
            "merge",
            "--out",
            merged.to_str().unwrap(),
            shards[0].to_str().unwrap(),
            shards[1].to_str().unwrap(),
        ]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(e.contains(says), "{e}");
        assert!(!merged.join("runs.csv").exists());
    }
    // A first shard claiming 4 billion shards is refused without allocating for them.
    std::fs::write(&manifest, &good).unwrap();
    let first = shards[0].join("manifest.json");
    let one = std::fs::read_to_string(&first).unwrap();
    std::fs::write(&first, one.replace("\"count\": 2", "\"count\": 4294967295")).unwrap();
    let o = sstsim(&[
        "merge",
        "--out",
        dir.join("m2").to_str().unwrap(),
        shards[0].to_str().unwrap(),
        shards[1].to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("does not fit"), "{}", stderr(&o));
}

/// Runs sstsim with stdout on `/dev/full` (a device that is always full).
#[cfg(target_os = "linux")]
fn to_full_device(args: &[&str]) -> Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args(args)
        .stdout(full)
        .output()
        .expect("run sstsim")
}

#[cfg(target_os = "linux")]
#[test]
fn output_that_cannot_be_written_is_an_error() {
    // run, trace and experiments exited 0 with their stdout on a full device.
    let dir = tmp("full");
    let model = format!("{}/models/basic.toml", env!("CARGO_MANIFEST_DIR"));
    let exp = write(&dir, "tiny.toml", TINY);
    let out = dir.join("out");
    for args in [
        vec!["run", model.as_str()],
        vec!["trace", model.as_str()],
        vec![
            "run",
            exp.as_str(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
    ] {
        let o = to_full_device(&args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
        assert!(
            e.contains("error: writing to standard output: No space left on device"),
            "{e}"
        );
    }
}

#[cfg(unix)]
#[test]
fn dialogs_never_replace_what_is_not_a_regular_file() {
    // --dialogs renamed its temporary file over a symlink, a FIFO and (as
    // root) a device node.
    use std::os::unix::fs::FileTypeExt;
    let dir = tmp("dialogs");
    let model = format!("{}/models/basic.toml", env!("CARGO_MANIFEST_DIR"));
    let fifo = dir.join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).unwrap();
    // A socket stands in for a device node: a regression must not be able
    // to replace a real device on the machine running the tests.
    let socket = dir.join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    for (path, kind) in [
        (fifo.as_path(), "a FIFO"),
        (sub.as_path(), "a directory"),
        (socket.as_path(), "a socket"),
    ] {
        let o = sstsim(&["run", &model, "--dialogs", path.to_str().unwrap()]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(
            e.contains(&format!("exists and is {kind}, not a regular file")),
            "{e}"
        );
    }
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(
        std::fs::symlink_metadata(&socket)
            .unwrap()
            .file_type()
            .is_socket()
    );
    assert!(
        std::fs::read_dir(&sub).unwrap().next().is_none(),
        "no temporary file left"
    );

    // A link is written through: the link stays, its target gets the rows.
    let target = dir.join("rows.csv");
    let link = dir.join("link.csv");
    std::os::unix::fs::symlink("rows.csv", &link).unwrap();
    let o = sstsim(&["run", &model, "--dialogs", link.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let rows = std::fs::read_to_string(&target).unwrap();
    assert!(
        rows.starts_with("call,node,node_class,created_s,dead_s,freed_s,cause\n"),
        "{rows}"
    );
}

/// Every file under `dir`, by path relative to it.
fn relative(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    snapshot(dir)
        .into_iter()
        .map(|(p, b)| (p.strip_prefix(dir).unwrap().to_path_buf(), b))
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_during_the_final_write_keeps_the_old_set() {
    // The final files used to be written one by one: a full disk left new
    // CSVs beside old charts and manifest, plus temporary files. A file
    // size limit stands in for the full disk: the CSVs fit, a PNG does not.
    let dir = tmp("disk-full");
    let out = good_output(&dir);
    let before = relative(&out);
    let exp = write(
        &dir,
        "tiny9.toml",
        &TINY.replace("replications = 2", "replications = 2\nseed = 9"),
    );
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 100; exec {} run {exp} --out {} --quiet",
            env!("CARGO_BIN_EXE_sstsim"),
            out.display()
        ))
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("File too large"), "{e}");
    // The old set, plus the journal of the runs that finished.
    let mut after = relative(&out);
    after.retain(|(p, _)| p != Path::new("runs.journal"));
    assert_eq!(after, before);
    // Resumed without the limit, it publishes the new set.
    let o = sstsim(&[
        "run",
        &exp,
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--resume",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let fresh = dir.join("fresh");
    let o = sstsim(&["run", &exp, "--out", fresh.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let strip_wall = |files: Vec<(PathBuf, Vec<u8>)>| -> Vec<(PathBuf, Vec<u8>)> {
        files
            .into_iter()
            .filter(|(p, _)| p != Path::new("manifest.json"))
            .collect()
    };
    assert_eq!(strip_wall(relative(&out)), strip_wall(relative(&fresh)));
}

#[test]
fn a_publish_cut_short_is_finished_and_leftovers_are_cleaned() {
    // A crash after the new set was complete but before all of it was moved
    // in; plus temporary files of interrupted atomic writes.
    let dir = tmp("roll-forward");
    let old = good_output(&dir);
    let exp = write(
        &dir,
        "tiny9.toml",
        &TINY.replace("replications = 2", "replications = 2\nseed = 9"),
    );
    let new = dir.join("new");
    let o = sstsim(&["run", &exp, "--out", new.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let staged = old.join(".staging");
    std::fs::create_dir(&staged).unwrap();
    for e in std::fs::read_dir(&new).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if name == "runs.csv" {
            std::fs::copy(e.path(), old.join(&name)).unwrap(); // already moved
        } else if e.path().is_dir() {
            std::fs::create_dir(staged.join(&name)).unwrap();
            for c in std::fs::read_dir(e.path()).unwrap() {
                let c = c.unwrap();
                std::fs::copy(c.path(), staged.join(&name).join(c.file_name())).unwrap();
            }
        } else {
            std::fs::copy(e.path(), staged.join(&name)).unwrap();
        }
    }
    std::fs::write(old.join(".runs.csv.tmp4242"), "half a file").unwrap();
    std::fs::create_dir(old.join(".charts.tmp4242")).unwrap();
    std::fs::create_dir(old.join(".staging.partial")).unwrap();
    let o = sstsim(&["plot", old.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(relative(&old), relative(&new));
}

/// `models/basic.toml` with `from` replaced by `to`, written into `dir`.
fn basic_with(dir: &Path, name: &str, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(format!("{}/models/basic.toml", env!("CARGO_MANIFEST_DIR")))
        .unwrap();
    assert!(text.contains(from), "{from}");
    write(dir, name, &text.replacen(from, to, 1))
}

#[test]
fn the_real_error_comes_first_whatever_the_flags() {
    let dir = tmp("kinds");
    // A syntax error with a model-only flag: the syntax error, not the flag.
    let bad = write(&dir, "syntax.toml", "[[node]\nid = \"a\"\n");
    let o = sstsim(&["run", &bad, "--seed", "3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("syntax.toml:1:8: invalid TOML"),
        "{}",
        stderr(&o)
    );
    // An integer beyond 64 bits is located and quoted, not taken for an experiment.
    let big = basic_with(
        &dir,
        "big.toml",
        "session_expires = 120",
        "session_expires = 99999999999999999999999",
    );
    let o = sstsim(&["run", &big, "--seed", "3"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("session_expires: the integer 99999999999999999999999 does not fit in 64 bits"),
        "{e}"
    );
    assert!(!e.contains("unknown key"), "{e}");
    // An experiment that gains a [[node]] table is still an experiment: its
    // error is the unknown key, not the flag.
    let exp = write(&dir, "exp.toml", &format!("{TINY}\n[[node]]\nid = \"z\"\n"));
    let o = sstsim(&["run", &exp, "--out", dir.join("out").to_str().unwrap()]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("node: unknown key"), "{e}");
    assert!(!e.contains("applies to"), "{e}");
}

#[test]
fn every_error_of_a_model_is_reported_in_one_pass() {
    let dir = tmp("one-pass");
    let text = std::fs::read_to_string(format!("{}/models/basic.toml", env!("CARGO_MANIFEST_DIR")))
        .unwrap();
    let cut = &text[..text.find("[workload]").unwrap()];
    let model = write(&dir, "m.toml", &cut.replacen("delay_ms", "delay_msx", 1));
    let o = sstsim(&["run", &model]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("workload: missing [workload] table"), "{e}");
    assert!(e.contains(".delay_msx: unknown key"), "{e}");
}

#[test]
fn errors_locate_bad_bytes_and_quote_bad_values() {
    let dir = tmp("quotes");
    // Non-UTF-8: line, column and byte offset.
    let p = dir.join("latin1.toml");
    std::fs::write(&p, b"description = \"ok\"\nname = \"caf\xe9\"\n").unwrap();
    let o = sstsim(&["run", p.to_str().unwrap()]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    // "name = \"caf" is 11 characters: the bad byte is column 12, byte 19 + 11 = 30.
    assert!(
        e.contains("latin1.toml:2:12: the input file is not UTF-8 text: byte 30 (0xe9)"),
        "{e}"
    );
    // A self-loop names its node.
    let m = basic_with(
        &dir,
        "loop.toml",
        "between = [\"alice\", \"p1\"]",
        "between = [\"alice\", \"alice\"]",
    );
    let e = stderr(&sstsim(&["run", &m]));
    assert!(
        e.contains("a link from \"alice\" to itself: expected two different node ids"),
        "{e}"
    );
    // A range keeps its upper bound, however large.
    let m = basic_with(&dir, "range.toml", "horizon_s = 300", "horizon_s = 2e9");
    let e = stderr(&sstsim(&["run", &m]));
    assert!(
        e.contains("2000000000 is out of range: expected a time in seconds in [0, 1000000000]"),
        "{e}"
    );
    // trace --call on a model that places no calls.
    let m = basic_with(&dir, "none.toml", "calls = 1", "calls = 0");
    let o = sstsim(&["trace", &m, "--call", "0"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("--call 0: the model places no calls"), "{e}");
    // A model is not an experiment: `point` says so.
    let e = stderr(&sstsim(&["point", &m, "--point", "0"]));
    assert!(
        e.contains("none.toml is a model file; points belong to experiments"),
        "{e}"
    );
}

#[test]
fn merge_validates_what_it_merges() {
    let dir = tmp("merge-values");
    let shards = two_shards(&dir);
    // Shard 2's node and latency rows go, so that only runs.csv is in question.
    for f in ["nodes.csv", "latencies.csv"] {
        let p = shards[1].join(f);
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, format!("{}\n", text.lines().next().unwrap())).unwrap();
    }
    let runs = shards[1].join("runs.csv");
    let good = std::fs::read_to_string(&runs).unwrap();
    let header: Vec<&str> = good.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = good.lines().nth(1).unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "calls_started").unwrap();
    let with = |i: usize, v: &str| {
        let mut r = row.clone();
        r[i] = v;
        format!("{}\n{}\n", header.join(","), r.join(","))
    };
    for (text, says) in [
        (
            with(col, "banana"),
            "column calls_started: \"banana\" is not a number ≥ 0",
        ),
        (
            with(col, "-5"),
            "column calls_started: \"-5\" is not a number ≥ 0",
        ),
        (
            with(0, "7"),
            "point 7 replication 1 is not a run of this shard (2/2)",
        ),
    ] {
        std::fs::write(&runs, &text).unwrap();
        let o = sstsim(&[
            "merge",
            "--out",
            dir.join("m").to_str().unwrap(),
            shards[0].to_str().unwrap(),
            shards[1].to_str().unwrap(),
        ]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(e.contains(says), "{e}");
    }
}
