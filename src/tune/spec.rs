//! Tune files (`experiments/tune-*.toml`): a base model, the knobs to
//! search, the conditions the answer must hold under, the objective and the
//! constraints, in the user's terms. Reading one validates everything a
//! search will need before any run starts.

use std::path::Path;
use std::sync::Arc;

use crate::experiment::metrics::{NODE_METRICS, metric_names};
use crate::experiment::spec::{Axis, build_points, content_hash, read_base_model, read_name};
use crate::scenario::doc::{self, Errors, Fields, Item, Value, integer, number, string};
use crate::scenario::error::{InputError, InputErrors, Loc, Source};

/// The keys a tune file may have at its top level.
const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "model",
    "seed",
    "replications",
    "max_replications",
    "refine",
    "knobs",
    "conditions",
    "objective",
    "constraint",
];

/// Most candidates × conditions the first pass may run.
const MAX_FIRST_PASS: usize = 10_000;

/// A knob the search sets.
#[derive(Debug, Clone)]
pub enum Knob {
    /// An integer searched over a log-spaced range and refined between
    /// its grid values (`{ from, to, steps }`).
    Range {
        /// Key path.
        key: String,
        /// Where it was written.
        loc: Loc,
        /// Lower end.
        from: i64,
        /// Upper end.
        to: i64,
        /// Values on the first, coarse grid.
        steps: usize,
    },
    /// Each of these values (`[...]`).
    List {
        /// Key path.
        key: String,
        /// Where it was written.
        loc: Loc,
        /// The values.
        values: Vec<Item>,
    },
}

impl Knob {
    /// The key path it sets.
    pub fn key(&self) -> &str {
        match self {
            Knob::Range { key, .. } | Knob::List { key, .. } => key,
        }
    }

    fn loc(&self) -> &Loc {
        match self {
            Knob::Range { loc, .. } | Knob::List { loc, .. } => loc,
        }
    }
}

/// A metric the objective or a constraint reads, per run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricRef {
    /// A `runs.csv` metric column, by index among [`metric_names`].
    Run(usize),
    /// A `nodes.csv` column of one node.
    Node {
        /// The node's id.
        node: String,
        /// Index among [`NODE_METRICS`].
        metric: usize,
    },
}

/// A metric as the user wrote it, and what it reads.
#[derive(Debug, Clone)]
pub struct Measure {
    /// As written (`proxy_timer_reclaim_p95_s`, `node.edge.messages_per_session_hour`).
    pub name: String,
    /// What it reads.
    pub metric: MetricRef,
}

/// The direction of the objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// Smaller is better.
    Minimize,
    /// Larger is better.
    Maximize,
}

/// A bound on a metric, which must hold under every condition.
#[derive(Debug, Clone)]
pub struct Constraint {
    /// The metric.
    pub measure: Measure,
    /// At most this (`max`), or at least (`min`).
    pub bound: Bound,
}

/// Which side of a bound is allowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// metric ≤ value.
    Max(f64),
    /// metric ≥ value.
    Min(f64),
}

/// A validated tune file.
#[derive(Debug, Clone)]
pub struct TuneSpec {
    /// Output directory name.
    pub name: String,
    /// What it asks.
    pub description: Option<String>,
    /// The file as named by the user.
    pub source: String,
    /// FNV-1a hash of the tune file and its model text.
    pub hash: u64,
    /// Master seed of the first pass (later passes add their index).
    pub seed: u64,
    /// Replications per candidate and condition in the first pass.
    pub replications: u32,
    /// At most this many for a candidate whose decision is close.
    pub max_replications: u32,
    /// Refinement rounds after the first pass.
    pub refine: u32,
    /// The base model's tree.
    pub model: Item,
    /// The knobs, in file order.
    pub knobs: Vec<Knob>,
    /// Conditions: key paths and their values; every combination counts.
    pub conditions: Vec<Axis>,
    /// The objective.
    pub objective: Measure,
    /// Its direction.
    pub goal: Goal,
    /// The constraints.
    pub constraints: Vec<Constraint>,
}

impl TuneSpec {
    /// Number of condition combinations.
    pub fn condition_count(&self) -> usize {
        self.conditions
            .iter()
            .map(|a| a.values.first().map_or(1, Vec::len))
            .product()
    }
}

/// Reads a tune file.
pub fn load_tune(path: &Path) -> Result<TuneSpec, InputErrors> {
    let text = crate::scenario::read_input(path, "tune")?;
    tune_from_str(&path.display().to_string(), &text, path.parent())
}

/// Reads a tune file given as text; `dir` resolves a relative model path.
pub fn tune_from_str(name: &str, text: &str, dir: Option<&Path>) -> Result<TuneSpec, InputErrors> {
    let source = Source::new(name, text);
    let root = doc::parse(&source).map_err(InputErrors::one)?;
    read_tune(&root, &source, dir).map_err(|e| InputErrors(e).sorted())
}

fn read_tune(root: &Item, source: &Arc<Source>, dir: Option<&Path>) -> Result<TuneSpec, Errors> {
    let mut errs = Errors::new();
    let Some(mut top) = Fields::of(root, "", &mut errs) else {
        return Err(errs);
    };
    let name = read_name(&mut top, &mut errs);
    let description = top
        .entry("description")
        .and_then(|(i, p)| string(i, &p, &mut errs));
    let count =
        |top: &mut Fields, key: &str, default: i64, max: i64, what: &str, errs: &mut Errors| {
            top.entry(key)
                .map_or(Some(default), |(i, p)| integer(i, &p, 1, max, what, errs))
        };
    let seed = top
        .entry("seed")
        .map_or(Some(1), |(i, p)| {
            integer(i, &p, 0, i64::MAX, "a seed", &mut errs)
        })
        .map(|s| s as u64);
    let replications = count(
        &mut top,
        "replications",
        4,
        1000,
        "a replication count",
        &mut errs,
    );
    let max_replications = count(
        &mut top,
        "max_replications",
        16,
        1000,
        "a replication count",
        &mut errs,
    );
    let refine = top.entry("refine").map_or(Some(2), |(i, p)| {
        integer(i, &p, 0, 10, "a number of refinement rounds", &mut errs)
    });
    let (model, model_text) = match top.require("model", &mut errs) {
        Some((i, p)) => {
            let (tree, text) = read_base_model(i, &p, dir, &mut errs);
            // An experiment file as the base: its own model (inline, or a
            // path relative to the experiment file).
            match (&tree, &i.value, dir) {
                (Some(t), Value::Str(rel), Some(d)) if is_experiment(t) => {
                    let exp_dir = d.join(rel).parent().map(Path::to_path_buf);
                    match root_entry(t, "model") {
                        Some((m, _)) => {
                            let (tree, inner) =
                                read_base_model(m, "model", exp_dir.as_deref(), &mut errs);
                            (tree, format!("{text}{inner}"))
                        }
                        None => (None, text),
                    }
                }
                _ => (tree, text),
            }
        }
        None => (None, String::new()),
    };
    let knobs = match top.require("knobs", &mut errs) {
        Some((i, p)) => read_knobs(i, &p, &mut errs),
        None => Vec::new(),
    };
    let conditions = match top.entry("conditions") {
        Some((i, p)) => read_conditions(i, &p, &mut errs),
        None => Vec::new(),
    };
    let objective = match top.require("objective", &mut errs) {
        Some((i, p)) => read_objective(i, &p, &mut errs),
        None => None,
    };
    let constraints = match top.entry("constraint") {
        Some((i, p)) => read_constraints(i, &p, &mut errs),
        None => Vec::new(),
    };
    top.finish(TOP_KEYS, &mut errs);
    if let (Some(r), Some(m), Some((i, p))) = (
        replications,
        max_replications,
        root_entry(root, "max_replications"),
    ) && m < r
    {
        errs.push(InputError::at(
            &i.loc,
            p,
            format!("max_replications {m} is below replications {r}"),
        ));
    }
    let (Some(name), Some(seed), Some(replications), Some(max_replications), Some(refine)) =
        (name, seed, replications, max_replications, refine)
    else {
        return Err(errs);
    };
    let (Some(model), Some((objective, goal))) = (model, objective) else {
        return Err(errs);
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    let spec = TuneSpec {
        name,
        description,
        source: source.name.clone(),
        hash: content_hash(&[&source.text, &model_text]),
        seed,
        replications: replications as u32,
        max_replications: max_replications as u32,
        refine: refine as u32,
        model,
        knobs,
        conditions,
        objective,
        goal,
        constraints,
    };
    check_first_pass(&spec, root, &mut errs);
    if errs.is_empty() { Ok(spec) } else { Err(errs) }
}

/// An experiment file (it has a grid), not a model.
fn is_experiment(tree: &Item) -> bool {
    matches!(&tree.value, Value::Table(t) if t.get("grid").is_some() && t.get("model").is_some())
}

fn root_entry<'a>(root: &'a Item, key: &str) -> Option<(&'a Item, String)> {
    match &root.value {
        Value::Table(t) => t.get(key).map(|e| (&e.item, key.to_string())),
        _ => None,
    }
}

/// `[knobs]`: `"key" = { from, to, steps }` (at most one) or `"key" = [...]`.
fn read_knobs(item: &Item, path: &str, errs: &mut Errors) -> Vec<Knob> {
    let Some(mut f) = Fields::of(item, path, errs) else {
        return Vec::new();
    };
    let mut knobs = Vec::new();
    for e in f.all() {
        let p = format!("{path}.\"{}\"", e.key);
        match &e.item.value {
            Value::Array(xs) if xs.is_empty() => errs.push(InputError::at(
                &e.item.loc,
                &p,
                "empty list: give at least one value",
            )),
            Value::Array(xs) => knobs.push(Knob::List {
                key: e.key.clone(),
                loc: e.key_loc.clone(),
                values: xs.clone(),
            }),
            Value::Table(_) => {
                let Some(mut r) = Fields::of(&e.item, &p, errs) else {
                    continue;
                };
                let int = |r: &mut Fields, k: &str, min: i64, what: &str, errs: &mut Errors| {
                    r.require(k, errs)
                        .and_then(|(i, q)| integer(i, &q, min, 1_000_000_000, what, errs))
                };
                let from = int(&mut r, "from", 1, "an integer", errs);
                let to = int(&mut r, "to", 1, "an integer", errs);
                let steps = r.entry("steps").map_or(Some(8), |(i, q)| {
                    integer(i, &q, 2, 100, "a number of grid values", errs)
                });
                r.finish(&["from", "to", "steps"], errs);
                if let (Some(a), Some(b)) = (from, to)
                    && a >= b
                {
                    errs.push(InputError::at(&e.item.loc, &p, "from must be below to"));
                    continue;
                }
                if let (Some(from), Some(to), Some(steps)) = (from, to, steps) {
                    knobs.push(Knob::Range {
                        key: e.key.clone(),
                        loc: e.key_loc.clone(),
                        from,
                        to,
                        steps: steps as usize,
                    });
                }
            }
            other => errs.push(InputError::at(
                &e.item.loc,
                &p,
                format!(
                    "expected a list of values or a range {{ from, to, steps }}, found {}",
                    other.type_name()
                ),
            )),
        }
    }
    if knobs.is_empty() && errs.is_empty() {
        errs.push(InputError::at(
            &item.loc,
            path,
            "no knobs: give at least one, e.g. \"defaults.session_expires\" = { from = 90, to = 7200 }",
        ));
    }
    let ranges: Vec<&Knob> = knobs
        .iter()
        .filter(|k| matches!(k, Knob::Range { .. }))
        .collect();
    if ranges.len() > 1 {
        errs.push(InputError::at(
            ranges[1].loc(),
            format!("{path}.\"{}\"", ranges[1].key()),
            "at most one knob may be a range (it is the one the search refines); give the others as lists",
        ));
    }
    knobs
}

/// `[conditions]`: `"key" = [...]`, crossed.
fn read_conditions(item: &Item, path: &str, errs: &mut Errors) -> Vec<Axis> {
    let Some(mut f) = Fields::of(item, path, errs) else {
        return Vec::new();
    };
    let mut axes = Vec::new();
    for e in f.all() {
        let p = format!("{path}.\"{}\"", e.key);
        match &e.item.value {
            Value::Array(xs) if !xs.is_empty() => axes.push(Axis {
                keys: vec![(e.key.clone(), e.key_loc.clone())],
                values: vec![xs.clone()],
            }),
            _ => errs.push(InputError::at(
                &e.item.loc,
                &p,
                "expected a non-empty list of values: every one is a condition the answer must hold under",
            )),
        }
    }
    axes
}

/// A metric name: a `runs.csv` metric, or `node.<id>.<nodes.csv column>`.
fn read_measure(item: &Item, path: &str, errs: &mut Errors) -> Option<Measure> {
    let name = string(item, path, errs)?;
    if let Some(i) = metric_names().iter().position(|m| *m == name) {
        return Some(Measure {
            name,
            metric: MetricRef::Run(i),
        });
    }
    if let Some(rest) = name.strip_prefix("node.")
        && let Some((node, col)) = rest.rsplit_once('.')
    {
        if let Some(m) = NODE_METRICS.iter().position(|m| m.name() == col) {
            return Some(Measure {
                name: name.clone(),
                metric: MetricRef::Node {
                    node: node.to_string(),
                    metric: m,
                },
            });
        }
        errs.push(InputError::at(
            &item.loc,
            path,
            format!(
                "unknown node metric \"{col}\"; allowed: {}",
                NODE_METRICS.map(|m| m.name()).join(", ")
            ),
        ));
        return None;
    }
    errs.push(
        InputError::at(
            &item.loc,
            path,
            format!(
                "unknown metric \"{name}\": give a runs.csv metric column (README, Output files) or node.<id>.<nodes.csv column>"
            ),
        )
        .with_hint(crate::scenario::error::did_you_mean(
            &name,
            metric_names().iter().map(String::as_str),
        )),
    );
    None
}

/// `[objective]`: `minimize = "metric"` or `maximize = "metric"`.
fn read_objective(item: &Item, path: &str, errs: &mut Errors) -> Option<(Measure, Goal)> {
    let mut f = Fields::of(item, path, errs)?;
    let min = f.entry("minimize");
    let max = f.entry("maximize");
    let out = match (min, max) {
        (Some((i, p)), None) => read_measure(i, &p, errs).map(|m| (m, Goal::Minimize)),
        (None, Some((i, p))) => read_measure(i, &p, errs).map(|m| (m, Goal::Maximize)),
        _ => {
            errs.push(InputError::at(
                &item.loc,
                path,
                "give exactly one of minimize = \"metric\" and maximize = \"metric\"",
            ));
            None
        }
    };
    f.finish(&["minimize", "maximize"], errs);
    out
}

/// `[[constraint]]`: `metric` with `max` or `min`.
fn read_constraints(item: &Item, path: &str, errs: &mut Errors) -> Vec<Constraint> {
    let Value::Array(list) = &item.value else {
        errs.push(InputError::at(
            &item.loc,
            path,
            format!(
                "expected [[constraint]] tables, found {}",
                item.value.type_name()
            ),
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, c) in list.iter().enumerate() {
        let p = format!("{path}[{k}]");
        let Some(mut f) = Fields::of(c, &p, errs) else {
            continue;
        };
        let measure = f
            .require("metric", errs)
            .and_then(|(i, q)| read_measure(i, &q, errs));
        let value = |x: Option<(&Item, String)>, errs: &mut Errors| {
            x.and_then(|(i, q)| number(i, &q, -1e18, 1e18, "a number", errs))
        };
        let max = value(f.entry("max"), errs);
        let min = value(f.entry("min"), errs);
        let bound = match (f.get("max"), f.get("min")) {
            (Some(_), None) => max.map(Bound::Max),
            (None, Some(_)) => min.map(Bound::Min),
            _ => {
                errs.push(InputError::at(
                    &c.loc,
                    &p,
                    "give exactly one of max and min",
                ));
                None
            }
        };
        f.finish(&["metric", "max", "min"], errs);
        if let (Some(measure), Some(bound)) = (measure, bound) {
            out.push(Constraint { measure, bound });
        }
    }
    out
}

/// Every knob value and condition must make a valid model (checked on the
/// first pass's candidates), node metrics must name a node, and the first
/// pass must not be absurdly large.
fn check_first_pass(spec: &TuneSpec, root: &Item, errs: &mut Errors) {
    let first = super::search::first_candidates(spec);
    let n = first.len() * spec.condition_count();
    if n > MAX_FIRST_PASS {
        errs.push(InputError::at(
            &root.loc,
            "knobs",
            format!(
                "the first pass would run {} candidates × {} conditions = {n} points, more than {MAX_FIRST_PASS}; use fewer steps or values",
                first.len(),
                spec.condition_count()
            ),
        ));
        return;
    }
    let axes = super::search::axes(spec, &first);
    let points = build_points(&spec.model, &axes, None, errs);
    let Some(p) = points.first() else {
        return;
    };
    let names: Vec<&str> = p
        .scenario
        .world
        .nodes
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    for m in std::iter::once(&spec.objective).chain(spec.constraints.iter().map(|c| &c.measure)) {
        if let MetricRef::Node { node, .. } = &m.metric
            && !names.contains(&node.as_str())
        {
            errs.push(InputError::at(
                &root.loc,
                m.name.as_str(),
                format!(
                    "no node \"{node}\" in the model; nodes are: {}",
                    names.join(", ")
                ),
            ));
        }
    }
}
