//! The search: a coarse log-spaced grid first, then rounds that refine
//! the range knob around the best feasible candidate and at the feasible
//! boundary, and add replications where a decision rests on overlapping
//! confidence intervals. Each pass is an experiment of its own (candidates
//! × conditions), run by the experiment runner into `pass-<k>/` with its
//! journal, so an interrupted tune resumes where it stopped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::experiment::Experiment;
use crate::experiment::output::{Results, Shard, read_results};
use crate::experiment::overrides::cell;
use crate::experiment::runner::{RunError, RunOptions, run_experiment};
use crate::experiment::spec::{Axis, ChartConfig, build_points, columns_and_grid, content_hash};
use crate::experiment::summary::mean_ci95;
use crate::scenario::doc::{Errors, Item, Value};
use crate::scenario::error::InputErrors;

use super::spec::{Bound, Goal, Knob, Measure, MetricRef, TuneSpec};

/// One setting of every knob, in knob order.
pub type Candidate = Vec<Item>;

/// The CSV cells of a candidate (its identity).
pub fn cells(c: &Candidate) -> Vec<String> {
    c.iter().map(cell).collect()
}

/// `steps` integers from `from` to `to`, evenly spaced on a log scale.
fn log_grid(from: i64, to: i64, steps: usize) -> Vec<i64> {
    let (a, b) = ((from as f64).ln(), (to as f64).ln());
    let mut v: Vec<i64> = (0..steps)
        .map(|i| (a + (b - a) * i as f64 / (steps - 1) as f64).exp().round() as i64)
        .collect();
    v.dedup();
    v
}

fn int_item(v: i64, like: &Knob) -> Item {
    let loc = match like {
        Knob::Range { loc, .. } | Knob::List { loc, .. } => loc.clone(),
    };
    Item {
        value: Value::Int(v),
        loc,
    }
}

/// The first pass: the range knob's log grid crossed with every list value.
pub fn first_candidates(spec: &TuneSpec) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = vec![Vec::new()];
    for k in &spec.knobs {
        let values: Vec<Item> = match k {
            Knob::Range {
                from, to, steps, ..
            } => log_grid(*from, *to, *steps)
                .into_iter()
                .map(|v| int_item(v, k))
                .collect(),
            Knob::List { values, .. } => values.clone(),
        };
        out = out
            .into_iter()
            .flat_map(|c| {
                values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push(v.clone());
                    c
                })
            })
            .collect();
    }
    out
}

/// The axes of a pass: the candidates as one zipped axis, then the conditions.
pub fn axes(spec: &TuneSpec, candidates: &[Candidate]) -> Vec<Axis> {
    let mut axes = vec![Axis {
        keys: spec
            .knobs
            .iter()
            .map(|k| {
                let loc = match k {
                    Knob::Range { loc, .. } | Knob::List { loc, .. } => loc.clone(),
                };
                (k.key().to_string(), loc)
            })
            .collect(),
        values: (0..spec.knobs.len())
            .map(|i| candidates.iter().map(|c| c[i].clone()).collect())
            .collect(),
    }];
    axes.extend(spec.conditions.iter().cloned());
    axes
}

/// A pass as an experiment: every candidate under every condition.
fn pass_experiment(
    spec: &TuneSpec,
    candidates: &[Candidate],
    seed: u64,
    replications: u32,
    index: usize,
) -> Result<Experiment, InputErrors> {
    let axes = axes(spec, candidates);
    let mut errs = Errors::new();
    let points = build_points(&spec.model, &axes, None, &mut errs);
    if !errs.is_empty() {
        return Err(InputErrors(errs).sorted());
    }
    let (columns, grid) = columns_and_grid(&axes);
    let listing: Vec<String> = candidates.iter().flat_map(cells).collect();
    Ok(Experiment {
        name: format!("{}-pass-{index}", spec.name),
        description: spec.description.clone(),
        source: spec.source.clone(),
        hash: content_hash(&[
            &spec.hash.to_string(),
            &seed.to_string(),
            &listing.join(","),
        ]),
        seed,
        replications,
        columns,
        grid,
        points,
        charts: ChartConfig {
            x: None,
            cdf_point: 0,
            tradeoff_class: None,
            draw: Vec::new(),
            heatmaps: Vec::new(),
        },
    })
}

/// One run's values of the objective and each constraint (NaN: the metric
/// is undefined in that run, e.g. a percentile not reached).
type RunValues = Vec<f64>;

/// What the passes measured: per candidate, per condition, per run.
#[derive(Debug, Default)]
pub struct Observations {
    by: BTreeMap<Vec<String>, (Candidate, Vec<Vec<RunValues>>)>,
}

impl Observations {
    fn replications(&self, c: &Candidate) -> usize {
        self.by
            .get(&cells(c))
            .and_then(|(_, conds)| conds.first())
            .map_or(0, Vec::len)
    }
}

fn measure_value(m: &Measure, run: &crate::experiment::record::RunRecord, columns: usize) -> f64 {
    let parse = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    match &m.metric {
        MetricRef::Run(i) => run
            .cells
            .get(3 + columns + i)
            .map_or(f64::NAN, |s| parse(s)),
        MetricRef::Node { node, metric } => run
            .nodes
            .iter()
            .find(|n| n.node == *node)
            .and_then(|n| n.cells.get(*metric))
            .map_or(f64::NAN, |s| parse(s)),
    }
}

/// How a search went: its observations and the passes it ran.
pub struct Search {
    /// Everything measured.
    pub observations: Observations,
    /// The passes, as (directory, candidates, replications).
    pub passes: Vec<(PathBuf, usize, u32)>,
}

/// Why a search stopped.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// A refined candidate made an invalid model.
    #[error("{0}")]
    Input(InputErrors),
    /// A pass could not run or be read back.
    #[error("{0}")]
    Run(#[from] RunError),
    /// A pass's files could not be read back.
    #[error("{0}")]
    Read(String),
}

/// How the passes run.
#[derive(Debug, Clone, Copy)]
pub struct RunWith {
    /// Worker threads.
    pub threads: usize,
    /// Continue from the passes' journals.
    pub resume: bool,
    /// Progress bars.
    pub progress: bool,
    /// Run only this slice of every pass; the shards share the output
    /// directory, and each waits for the others before the next pass.
    pub shard: Option<Shard>,
}

/// Runs the search into `out`.
pub fn search(spec: &TuneSpec, out: &Path, how: &RunWith) -> Result<Search, SearchError> {
    let mut s = Search {
        observations: Observations::default(),
        passes: Vec::new(),
    };
    let first = first_candidates(spec);
    run_pass(spec, &mut s, out, &first, spec.seed, spec.replications, how)?;
    // `refine` rounds add candidates; after them, rounds only add
    // replications, until no decision rests on overlapping intervals or
    // every close candidate has `max_replications` (each round adds at
    // least one to each, so this ends).
    for round in 1u32.. {
        let verdicts = evaluate(spec, &s.observations);
        let new = if round <= spec.refine {
            refinements(spec, &verdicts)
        } else {
            Vec::new()
        };
        let more = needs_more(spec, &verdicts, &s.observations);
        if new.is_empty() && more.is_empty() {
            break;
        }
        if !new.is_empty() {
            run_pass(spec, &mut s, out, &new, spec.seed, spec.replications, how)?;
        }
        if !more.is_empty() {
            // Extra replications draw independent streams (seed + round).
            // About doubling, never past max_replications for any of them.
            let reps: Vec<u32> = more
                .iter()
                .map(|c| s.observations.replications(c) as u32)
                .collect();
            let have = reps.iter().copied().max().unwrap_or(0);
            let room = reps
                .iter()
                .map(|r| spec.max_replications.saturating_sub(*r))
                .min()
                .unwrap_or(0);
            let add = have.min(room).max(1);
            let seed = spec.seed + u64::from(round);
            run_pass(spec, &mut s, out, &more, seed, add, how)?;
        }
    }
    Ok(s)
}

/// How long a shard waits between looks at the others' passes.
const POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// Waits until every shard of a pass has published its files (the
/// manifest is written last), saying so about once a minute (counted in
/// polls: wall-clock time is not read outside the CLI).
fn wait_for_shards(dir: &Path, count: u32, progress: bool) {
    const POLLS_PER_MINUTE: u64 = 300;
    for polls in 0u64.. {
        let missing: Vec<u32> = (1..=count)
            .filter(|j| {
                !dir.join(format!("shard-{j}-of-{count}/manifest.json"))
                    .is_file()
            })
            .collect();
        if missing.is_empty() {
            return;
        }
        if progress && polls > 0 && polls % POLLS_PER_MINUTE == 0 {
            eprintln!(
                "sstsim tune: waiting for shard(s) {missing:?} of {count} in {}",
                dir.display()
            );
        }
        std::thread::sleep(POLL);
    }
}

fn run_pass(
    spec: &TuneSpec,
    s: &mut Search,
    out: &Path,
    candidates: &[Candidate],
    seed: u64,
    replications: u32,
    how: &RunWith,
) -> Result<(), SearchError> {
    let index = s.passes.len() + 1;
    let exp =
        pass_experiment(spec, candidates, seed, replications, index).map_err(SearchError::Input)?;
    let dir = out.join(format!("pass-{index}"));
    let slice = |sh: Shard| dir.join(format!("shard-{}-of-{}", sh.index, sh.count));
    run_experiment(
        &exp,
        &RunOptions {
            out: how.shard.map_or_else(|| dir.clone(), slice),
            threads: how.threads,
            resume: how.resume,
            shard: how.shard,
            progress: how.progress,
            stop_after: None,
        },
    )?;
    let read = |d: &Path| read_results(d).map_err(|e| SearchError::Read(e.to_string()));
    // Every shard reads every slice, in the same order: the next pass, and
    // the answer, come out the same in all of them.
    let res = match how.shard {
        None => read(&dir)?,
        Some(sh) => {
            wait_for_shards(&dir, sh.count, how.progress);
            let mut runs = Vec::new();
            let mut columns = Vec::new();
            for j in 1..=sh.count {
                let r = read(&slice(Shard {
                    index: j,
                    count: sh.count,
                }))?;
                columns = r.columns;
                runs.extend(r.runs);
            }
            Results::new(columns, runs)
        }
    };
    let conds = spec.condition_count();
    let measures: Vec<&Measure> = std::iter::once(&spec.objective)
        .chain(spec.constraints.iter().map(|c| &c.measure))
        .collect();
    for run in &res.runs {
        let (ci, cond) = (run.point / conds, run.point % conds);
        let c = &candidates[ci];
        let entry = s
            .observations
            .by
            .entry(cells(c))
            .or_insert_with(|| (c.clone(), vec![Vec::new(); conds]));
        entry.1[cond].push(
            measures
                .iter()
                .map(|m| measure_value(m, run, res.columns.len()))
                .collect(),
        );
    }
    s.passes.push((dir, candidates.len(), replications));
    Ok(())
}

/// Whether a constraint holds, decided on the 95% confidence bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// It holds even at the bound of the confidence interval, under every condition.
    Holds,
    /// It is violated beyond the interval under some condition, or the
    /// metric could not be measured there (a percentile not reached).
    Violated,
    /// Neither: the interval straddles the bound.
    Unsure,
}

/// A metric under the worst condition.
#[derive(Debug, Clone, Copy)]
pub struct Worst {
    /// Mean over replications.
    pub mean: f64,
    /// 95% half-width (NaN with one replication).
    pub ci95: f64,
    /// Which condition (index).
    pub condition: usize,
}

/// Everything decided about one candidate.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The knob values.
    pub candidate: Candidate,
    /// Replications per condition.
    pub replications: usize,
    /// The objective under its worst condition (infinite when unmeasured).
    pub objective: Worst,
    /// Each constraint under its worst condition, and its status.
    pub constraints: Vec<(Worst, Status)>,
    /// Every metric (the objective, then each constraint) under every
    /// condition: (mean, 95% half-width); infinite when unmeasured.
    pub by_condition: Vec<Vec<(f64, f64)>>,
}

impl Verdict {
    /// Every constraint holds at its confidence bound.
    pub fn feasible(&self) -> bool {
        self.constraints.iter().all(|(_, s)| *s == Status::Holds)
    }
}

/// The worst condition of metric `m` for a candidate: the highest mean for
/// an upper bound (or a minimised objective), the lowest otherwise.
fn worst(conds: &[Vec<RunValues>], m: usize, high_is_bad: bool) -> Worst {
    let mut w = Worst {
        mean: if high_is_bad {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        },
        ci95: f64::NAN,
        condition: 0,
    };
    for (c, runs) in conds.iter().enumerate() {
        let xs: Vec<f64> = runs.iter().map(|r| r[m]).collect();
        let (mean, ci) = if xs.iter().any(|x| !x.is_finite()) {
            // Unmeasured in some run: as bad as it gets.
            let bad = if high_is_bad {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            };
            (bad, f64::NAN)
        } else {
            mean_ci95(&xs)
        };
        let worse = if high_is_bad {
            mean > w.mean
        } else {
            mean < w.mean
        };
        if worse || c == 0 {
            w = Worst {
                mean,
                ci95: ci,
                condition: c,
            };
        }
    }
    w
}

fn status(conds: &[Vec<RunValues>], m: usize, bound: Bound) -> Status {
    let mut out = Status::Holds;
    for runs in conds {
        let xs: Vec<f64> = runs.iter().map(|r| r[m]).collect();
        if xs.iter().any(|x| !x.is_finite()) {
            return Status::Violated;
        }
        let (mean, ci) = mean_ci95(&xs);
        let ci = if ci.is_finite() { ci } else { f64::INFINITY };
        let (good, bad) = match bound {
            Bound::Max(b) => (mean + ci <= b, mean - ci > b),
            Bound::Min(b) => (mean - ci >= b, mean + ci < b),
        };
        if bad {
            return Status::Violated;
        }
        if !good {
            out = Status::Unsure;
        }
    }
    out
}

/// Metric `m` under one condition: (mean, 95% half-width), or infinite
/// when some run could not measure it.
fn condition_stat(runs: &[RunValues], m: usize) -> (f64, f64) {
    let xs: Vec<f64> = runs.iter().map(|r| r[m]).collect();
    if xs.iter().any(|x| !x.is_finite()) {
        (f64::INFINITY, f64::NAN)
    } else {
        mean_ci95(&xs)
    }
}

/// The verdict on every candidate measured, in candidate order.
pub fn evaluate(spec: &TuneSpec, obs: &Observations) -> Vec<Verdict> {
    let minimize = spec.goal == Goal::Minimize;
    obs.by
        .values()
        .map(|(cand, conds)| Verdict {
            candidate: cand.clone(),
            replications: conds.first().map_or(0, Vec::len),
            objective: worst(conds, 0, minimize),
            by_condition: (0..=spec.constraints.len())
                .map(|m| conds.iter().map(|runs| condition_stat(runs, m)).collect())
                .collect(),
            constraints: spec
                .constraints
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    let high_is_bad = matches!(c.bound, Bound::Max(_));
                    (
                        worst(conds, k + 1, high_is_bad),
                        status(conds, k + 1, c.bound),
                    )
                })
                .collect(),
        })
        .collect()
}

/// Ranks verdicts: feasible first, then by the objective (worst condition).
pub fn ranked(spec: &TuneSpec, verdicts: &[Verdict]) -> Vec<Verdict> {
    let mut v = verdicts.to_vec();
    let key = |x: &Verdict| match spec.goal {
        Goal::Minimize => x.objective.mean,
        Goal::Maximize => -x.objective.mean,
    };
    v.sort_by(|a, b| {
        b.feasible()
            .cmp(&a.feasible())
            .then(key(a).total_cmp(&key(b)))
            .then(compare(&a.candidate, &b.candidate))
    });
    v
}

/// Candidates in knob order, numbers by value (90 before 1097), the rest
/// by their spelling: the order ties are broken in.
pub fn compare(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    let num = |i: &Item| match i.value {
        Value::Int(v) => Some(v as f64),
        Value::Float(v) => Some(v),
        _ => None,
    };
    for (x, y) in a.iter().zip(b) {
        let o = match (num(x), num(y)) {
            (Some(p), Some(q)) => p.total_cmp(&q),
            _ => cell(x).cmp(&cell(y)),
        };
        if o != std::cmp::Ordering::Equal {
            return o;
        }
    }
    std::cmp::Ordering::Equal
}

/// The range knob's index, if any.
fn range_knob(spec: &TuneSpec) -> Option<usize> {
    spec.knobs
        .iter()
        .position(|k| matches!(k, Knob::Range { .. }))
}

fn int_of(item: &Item) -> i64 {
    match item.value {
        Value::Int(v) => v,
        _ => 0,
    }
}

/// New range values: halfway (geometrically) between the best feasible
/// candidate and its neighbours, and across every place where feasibility
/// changes between neighbouring values.
fn refinements(spec: &TuneSpec, verdicts: &[Verdict]) -> Vec<Candidate> {
    let Some(r) = range_knob(spec) else {
        return Vec::new();
    };
    let knob = &spec.knobs[r];
    // Group by the other knobs' values, each group sorted by the range value.
    let mut groups: BTreeMap<Vec<String>, Vec<&Verdict>> = BTreeMap::new();
    for v in verdicts {
        let mut key = cells(&v.candidate);
        key.remove(r);
        groups.entry(key).or_default().push(v);
    }
    let best = ranked(spec, verdicts)
        .into_iter()
        .next()
        .filter(Verdict::feasible);
    let mut new: Vec<Candidate> = Vec::new();
    let mut seen: std::collections::BTreeSet<Vec<String>> =
        verdicts.iter().map(|v| cells(&v.candidate)).collect();
    let mut add = |a: &Verdict, b: &Verdict| {
        let (x, y) = (int_of(&a.candidate[r]), int_of(&b.candidate[r]));
        let mid = ((x as f64) * (y as f64)).sqrt().round() as i64;
        if mid <= x.min(y) || mid >= x.max(y) {
            return;
        }
        let mut c = a.candidate.clone();
        c[r] = int_item(mid, knob);
        if seen.insert(cells(&c)) {
            new.push(c);
        }
    };
    for list in groups.values_mut() {
        list.sort_by_key(|v| int_of(&v.candidate[r]));
        for pair in list.windows(2) {
            let is_best = |v: &Verdict| {
                best.as_ref()
                    .is_some_and(|b| cells(&b.candidate) == cells(&v.candidate))
            };
            if pair[0].feasible() != pair[1].feasible() || is_best(pair[0]) || is_best(pair[1]) {
                add(pair[0], pair[1]);
            }
        }
    }
    new
}

/// Candidates whose decision is close: a constraint straddling its bound,
/// or a feasible objective whose interval overlaps the best one's, with
/// replications left to add.
fn needs_more(spec: &TuneSpec, verdicts: &[Verdict], obs: &Observations) -> Vec<Candidate> {
    let ranked = ranked(spec, verdicts);
    let best = ranked.first().filter(|v| v.feasible());
    let overlaps = |v: &Verdict| {
        let Some(b) = best else { return false };
        let (a, c) = (v.objective, b.objective);
        // An objective never measured (a percentile not reached) cannot win.
        if !a.mean.is_finite() {
            return false;
        }
        if !a.ci95.is_finite() || !c.ci95.is_finite() {
            return true;
        }
        (a.mean - a.ci95) <= (c.mean + c.ci95) && (c.mean - c.ci95) <= (a.mean + a.ci95)
    };
    ranked
        .iter()
        .filter(|v| (obs.replications(&v.candidate) as u32) < spec.max_replications)
        .filter(|v| {
            v.constraints.iter().any(|(_, s)| *s == Status::Unsure) || (v.feasible() && overlaps(v))
        })
        .map(|v| v.candidate.clone())
        .collect()
}
