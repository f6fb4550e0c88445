//! A deterministic mutation fuzzer for the model and experiment readers,
//! shared by the test suite (a short run) and `examples/fuzz_inputs.rs` (a
//! timed run in CI and for campaigns).
//!
//! It mutates the shipped models and experiments (deletions, insertions of
//! TOML tokens and schema words, extreme numbers, duplicated and swapped
//! lines) and checks what every input gets: a validated model or
//! experiment, or errors that each name a line and column, never a panic.
//! Valid models cheap enough by the cost estimate are also run, where only
//! a located capacity error may end them early.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;
use sstsim::engine::SeedSpace;
use sstsim::experiment::cost::run_cost;
use sstsim::experiment::spec::experiment_from_str;
use sstsim::scenario::error::InputErrors;
use sstsim::scenario::model_from_str;
use sstsim::sim::{TraceFilter, World, WorldConfig};

/// Valid models run only below this estimate (engine events).
const RUN_BUDGET: f64 = 20_000.0;

/// Words a mutation may insert: TOML syntax, schema keys and values.
const TOKENS: &[&str] = &[
    "=",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    ",",
    "\"",
    "'",
    "\n",
    "#",
    ".",
    " ",
    "\u{e9}",
    "\\",
    "[[node]]\n",
    "[[link]]\n",
    "[workload]\n",
    "[defaults]\n",
    "[grid]\n",
    "[[zip]]\n",
    "[[fault]]\n",
    "[charts]\n",
    "[sip]\n",
    "id = \"x\"\n",
    "kind = \"b2bua\"\n",
    "kind = \"proxy\"\n",
    "between = [\"alice\", \"alice\"]\n",
    "calls = 0\n",
    "interval_s = 0\n",
    "holding_s = 0\n",
    "rate_per_s = 1e9\n",
    "horizon_s = 1e9\n",
    "session_expires = 90\n",
    "min_se = 1800\n",
    "refresher = \"uas\"\n",
    "session_timers = \"refuse\"\n",
    "loss = 1.0\n",
    "delay_ms = 0\n",
    "stateful = \"dialog\"\n",
    "record_route = true\n",
    "timers = true\n",
    "replications = 100000\n",
    "seed = -1\n",
    "\"tag.t\" = [1, 2]\n",
    "model = \"nowhere.toml\"\n",
    "arrivals_until_s = 1\n",
    "call_crash = { probability = 1.0, side = \"either\" }\n",
    "outages = [[0, 1e9]]\n",
    "true",
    "false",
    "nan",
    "inf",
    "-inf",
    "0",
    "-1",
    "1e309",
    "99999999999999999999999",
    "4294967296",
    "65536",
    "1e-9",
    "0.5",
    "\"\"",
    "[]",
    "{}",
];

/// Numbers a mutation may put in place of a number.
const EXTREMES: &[&str] = &[
    "0",
    "-1",
    "1",
    "0.0",
    "1e-12",
    "0.5",
    "1.0000001",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "1e9",
    "1000000001",
    "1e18",
    "9223372036854775807",
    "9223372036854775808",
    "1e309",
    "nan",
    "inf",
    "-0",
];

/// What an input got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// A valid model, run to its end.
    ModelRun,
    /// A valid model too costly to run here.
    ModelValid,
    /// A valid model whose run ended with a located capacity error.
    ModelLimit,
    /// A valid experiment.
    ExperimentValid,
    /// Located input errors.
    Rejected,
}

/// A failure: the input and what went wrong.
#[derive(Debug)]
pub struct Failure {
    /// The mutated text.
    pub text: String,
    /// The seed file it came from.
    pub from: String,
    /// What went wrong.
    pub what: String,
}

/// The shipped inputs: (file, text, whether it is a model).
pub fn corpus() -> Vec<(PathBuf, String, bool)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for (dir, model) in [("models", true), ("experiments", false)] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            out.push((f, text, model));
        }
    }
    out
}

/// One to four mutations of `text`.
pub fn mutate(text: &str, rng: &mut impl Rng) -> String {
    let mut b = text.as_bytes().to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let at = if b.is_empty() {
            0
        } else {
            rng.random_range(0..b.len())
        };
        match rng.random_range(0..6) {
            0 => {
                let end = (at + rng.random_range(1..40)).min(b.len());
                b.drain(at..end);
            }
            1 => {
                let t = TOKENS[rng.random_range(0..TOKENS.len())];
                b.splice(at..at, t.bytes());
            }
            2 => replace_number(&mut b, at, rng),
            3 => {
                // Duplicate a line (a repeated key or table).
                let (s, e) = line_at(&b, at);
                let line = b[s..e].to_vec();
                b.splice(e..e, line);
            }
            4 => {
                // Move a line elsewhere (a key into another table).
                let (s, e) = line_at(&b, at);
                let line: Vec<u8> = b.drain(s..e).collect();
                let to = if b.is_empty() {
                    0
                } else {
                    rng.random_range(0..b.len())
                };
                let (ts, _) = line_at(&b, to);
                b.splice(ts..ts, line);
            }
            _ => {
                if !b.is_empty() {
                    b[at] = rng.random::<u8>();
                }
            }
        }
    }
    // Invalid UTF-8 is the reader's business (tested apart); keep text.
    String::from_utf8_lossy(&b).into_owned()
}

/// The line (with its newline) around byte `at`.
fn line_at(b: &[u8], at: usize) -> (usize, usize) {
    let at = at.min(b.len());
    let s = b[..at]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    let e = b[at..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |i| at + i + 1);
    (s, e)
}

/// Replaces the first number at or after `at` by an extreme one.
fn replace_number(b: &mut Vec<u8>, at: usize, rng: &mut impl Rng) {
    let Some(s) = (at..b.len()).find(|&i| b[i].is_ascii_digit()) else {
        return;
    };
    let e = (s..b.len())
        .find(|&i| !(b[i].is_ascii_alphanumeric() || matches!(b[i], b'.' | b'-' | b'+' | b'_')))
        .unwrap_or(b.len());
    let x = EXTREMES[rng.random_range(0..EXTREMES.len())];
    b.splice(s..e, x.bytes());
}

/// Every error names a line and a column of the file.
fn located(errs: &InputErrors) -> Result<(), String> {
    match errs.0.iter().find(|e| e.line == 0 || e.column == 0) {
        Some(e) => Err(format!("an error without a location: {e}")),
        None if errs.0.is_empty() => Err("an error without a message".into()),
        None => Ok(()),
    }
}

fn run_model(cfg: WorldConfig) -> Result<Outcome, String> {
    if run_cost(&cfg).events() > RUN_BUDGET {
        return Ok(Outcome::ModelValid);
    }
    let mut w = World::new(cfg, SeedSpace::new(1, 0, 0), TraceFilter::Off);
    match w.run_checked() {
        Ok(_) => {
            w.finish();
            Ok(Outcome::ModelRun)
        }
        Err(_) => Ok(Outcome::ModelLimit),
    }
}

/// Reads (and, if valid and cheap, runs) one input; `Err` is a defect.
pub fn check(name: &str, text: &str, model: bool, dir: &Path) -> Result<Outcome, String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // Tune files (experiments/tune-*.toml) are read by `sstsim tune`.
        let tune = Path::new(name)
            .file_name()
            .and_then(|f| f.to_str())
            .is_some_and(|f| f.starts_with("tune-"));
        if model {
            match model_from_str(name, text) {
                Ok(s) => run_model(s.world),
                Err(e) => located(&e).map(|()| Outcome::Rejected),
            }
        } else if tune {
            match sstsim::tune::tune_from_str(name, text, Some(dir)) {
                Ok(_) => Ok(Outcome::ExperimentValid),
                Err(e) => located(&e).map(|()| Outcome::Rejected),
            }
        } else {
            match experiment_from_str(name, text, Some(dir)) {
                Ok(_) => Ok(Outcome::ExperimentValid),
                Err(e) => located(&e).map(|()| Outcome::Rejected),
            }
        }
    }));
    match outcome {
        Ok(r) => r,
        Err(p) => Err(format!(
            "panic: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    }
}

/// Counts per outcome, and the failures, of `cases` mutated inputs from
/// `seed` (or until `until` says stop).
pub fn campaign(
    seed: u64,
    mut until: impl FnMut(u64) -> bool,
) -> (std::collections::BTreeMap<Outcome, u64>, Vec<Failure>) {
    let corpus = corpus();
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let mut counts = std::collections::BTreeMap::new();
    let mut failures = Vec::new();
    let mut n = 0;
    while !until(n) {
        let (file, text, model) = &corpus[rng.random_range(0..corpus.len())];
        let mutated = mutate(text, &mut rng);
        let name = file.display().to_string();
        match check(&name, &mutated, *model, file.parent().unwrap()) {
            Ok(o) => *counts.entry(o).or_insert(0) += 1,
            Err(what) => failures.push(Failure {
                text: mutated,
                from: name,
                what,
            }),
        }
        n += 1;
    }
    (counts, failures)
}
