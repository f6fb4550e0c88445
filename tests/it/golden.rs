//! Golden outputs: the SHA-256 of every output of every shipped model and
//! experiment, so that a refactor provably changes no byte.
//!
//! Covered, per model in `models/`: `sstsim run MODEL` (stdout), `sstsim run
//! MODEL --dialogs FILE` (stdout and the CSV), and `sstsim trace MODEL` as CSV
//! and as a ladder. Per experiment in `experiments/`: every file it writes
//! (CSV, SVG, PNG; the manifest without its wall time).
//!
//! Two sizes:
//! - `golden_outputs_are_unchanged` (CI) runs the models as shipped and each
//!   experiment with 2 replications and 1 h of calls (plus a 30 min drain
//!   where it has one), so that a debug build finishes in seconds; hashes in
//!   `tests/golden/ci.sha256`.
//! - `golden_full_size_outputs_are_unchanged` (ignored; run it with
//!   `cargo test --release --test sstsim golden -- --ignored`) runs the
//!   experiments exactly as shipped; hashes in `tests/golden/full.sha256`.
//!
//! A deliberate change of results regenerates the files with
//! `SSTSIM_BLESS=1` and goes in its own commit that says why.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Output name → bytes.
type Outputs = BTreeMap<String, Vec<u8>>;

fn sstsim(cwd: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run sstsim");
    assert!(
        out.status.success(),
        "sstsim {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sstsim-golden-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temporary directory");
    d
}

/// Shipped files of `dir` with extension `.toml`, by stem, in name order.
fn shipped(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(Path::new(ROOT).join(dir))
        .expect("shipped directory")
        .filter_map(|e| {
            let p = e.expect("entry").path();
            (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        // Tune files are not experiments: `sstsim tune` reads them
        // (tests/it/tune.rs checks its outputs byte for byte).
        .filter(|stem| !stem.starts_with("tune-"))
        .collect();
    v.sort();
    v
}

/// Replaces the temporary directory's path by a fixed word, so that outputs
/// naming a file they wrote hash the same wherever the test runs.
fn scrub(bytes: Vec<u8>, tmp: &Path) -> Vec<u8> {
    let text = String::from_utf8(bytes).expect("text output");
    text.replace(&tmp.display().to_string(), "$TMP")
        .into_bytes()
}

/// `size` names the temporary directory: the two sizes run in parallel.
fn model_outputs(size: &str, out: &mut Outputs) {
    let root = Path::new(ROOT);
    let dir = tmp(&format!("models-{size}"));
    for m in shipped("models") {
        let file = format!("models/{m}.toml");
        out.insert(format!("{file}: run"), sstsim(root, &["run", &file]));
        let csv = dir.join(format!("{m}-dialogs.csv"));
        let csv_arg = csv.display().to_string();
        let stdout = sstsim(root, &["run", &file, "--dialogs", &csv_arg]);
        out.insert(format!("{file}: run --dialogs"), scrub(stdout, &dir));
        out.insert(
            format!("{file}: dialogs.csv"),
            std::fs::read(&csv).expect("dialogs written"),
        );
        for format in ["csv", "ladder"] {
            out.insert(
                format!("{file}: trace --format {format}"),
                sstsim(root, &["trace", &file, "--format", format]),
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every file an experiment wrote, by path relative to its directory.
fn experiment_files(name: &str, dir: &Path, tmp: &Path, out: &mut Outputs) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("output directory") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(dir).expect("inside").display().to_string();
            let mut bytes = std::fs::read(&p).expect("output file");
            if rel == "manifest.json" {
                // Wall time is the one value allowed to differ between runs.
                let text = String::from_utf8(bytes).expect("json");
                let kept: Vec<&str> = text
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("\"wall_time_s\""))
                    .collect();
                bytes = scrub(kept.join("\n").into_bytes(), tmp);
            }
            out.insert(format!("experiments/{name}.toml: {rel}"), bytes);
        }
    }
}

/// The experiment text with `replications` and the horizon cut down: 1 h
/// of calls, and a 30 min drain phase where the experiment has one.
fn reduced(text: &str) -> String {
    let drains = text.contains("arrivals_until_s");
    let mut done = false;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            let key = l.trim_start();
            if !done && key.starts_with("replications") {
                done = true;
                let horizon = if drains { 5400 } else { 3600 };
                format!("replications = 2\nhorizon_s = {horizon}")
            } else if key.starts_with("arrivals_until_s") {
                "arrivals_until_s = 3600".to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(done, "every shipped experiment sets `replications`");
    lines.join("\n")
}

fn experiment_outputs(full: bool, out: &mut Outputs) {
    let dir = tmp(if full { "full" } else { "ci" });
    for e in shipped("experiments") {
        // Relative to the repository, so that the manifest names it the same everywhere.
        let shipped_file = format!("experiments/{e}.toml");
        let file = if full {
            shipped_file
        } else {
            let text =
                std::fs::read_to_string(Path::new(ROOT).join(&shipped_file)).expect("experiment");
            let f = dir.join(format!("{e}.toml"));
            std::fs::write(&f, reduced(&text)).expect("write reduced experiment");
            f.display().to_string()
        };
        let target = dir.join("out").join(&e);
        sstsim(
            Path::new(ROOT),
            &[
                "run",
                &file,
                "--out",
                &target.display().to_string(),
                "--quiet",
                "--threads",
                "2",
            ],
        );
        experiment_files(&e, &target, &dir, out);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares the outputs' hashes with `tests/golden/<file>`, or rewrites it
/// when `SSTSIM_BLESS` is set.
fn check(outputs: &Outputs, file: &str) {
    let path = Path::new(ROOT).join("tests/golden").join(file);
    let mut text = String::from(
        "# SHA-256 of sstsim outputs (tests/it/golden.rs); regenerate only for a\n\
         # deliberate change of results: SSTSIM_BLESS=1 cargo test golden\n",
    );
    for (name, bytes) in outputs {
        text.push_str(&format!("{}  {name}\n", hex(bytes)));
    }
    if std::env::var_os("SSTSIM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("golden dir");
        std::fs::write(&path, &text).expect("write golden file");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (create it with SSTSIM_BLESS=1)", path.display()));
    let parse = |t: &str| -> BTreeMap<String, String> {
        t.lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| l.split_once("  "))
            .map(|(h, n)| (n.to_string(), h.to_string()))
            .collect()
    };
    let (want, got) = (parse(&want), parse(&text));
    let mut diffs = Vec::new();
    for name in want
        .keys()
        .chain(got.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        match (want.get(name), got.get(name)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(_), Some(_)) => diffs.push(format!("changed: {name}")),
            (Some(_), None) => diffs.push(format!("missing: {name}")),
            (None, Some(_)) => diffs.push(format!("new:     {name}")),
            (None, None) => unreachable!("from one of the maps"),
        }
    }
    assert!(
        diffs.is_empty(),
        "outputs differ from {}:\n  {}",
        path.display(),
        diffs.join("\n  ")
    );
}

#[test]
fn golden_outputs_are_unchanged() {
    let mut out = Outputs::new();
    model_outputs("ci", &mut out);
    experiment_outputs(false, &mut out);
    check(&out, "ci.sha256");
}

#[test]
#[ignore = "full-size experiments: run with --release -- --ignored"]
fn golden_full_size_outputs_are_unchanged() {
    let mut out = Outputs::new();
    model_outputs("full", &mut out);
    experiment_outputs(true, &mut out);
    check(&out, "full.sha256");
}
