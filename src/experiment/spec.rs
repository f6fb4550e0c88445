//! Experiment files: a base model, a grid of key paths to sweep, replications,
//! seed, horizon and chart choices. Reading one validates every point's model
//! before anything runs.

use std::path::Path;
use std::sync::Arc;

use super::overrides::set_path;
use crate::scenario::doc::{self, Errors, Fields, Item, Value, integer, number, string};
use crate::scenario::error::{InputError, InputErrors, Loc, Source};
use crate::scenario::{Scenario, model};
use crate::sim::NodeClass;

/// The experiment shipped as `experiments/modes.toml` and run by default.
pub const DEFAULT_EXPERIMENT: &str = include_str!("../../experiments/modes.toml");
/// The name under which the embedded default experiment reports errors.
pub const DEFAULT_EXPERIMENT_NAME: &str = "experiments/modes.toml (built in)";

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "model",
    "seed",
    "replications",
    "horizon_s",
    "grid",
    "zip",
    "charts",
];
const CHART_KEYS: &[&str] = &["draw", "x", "cdf_at", "tradeoff_class"];
/// The charts an experiment can draw (`[charts] draw`); all by default.
pub const CHART_KINDS: &[&str] = &[
    "reclaim_latency",
    "hung_state",
    "tradeoff",
    "false_teardowns",
    "reclaim_cdf",
];
/// Largest number of points × replications an experiment may ask for.
const MAX_RUNS: u64 = 10_000_000;

/// One swept dimension: a single grid key, or a `[[zip]]` group whose keys
/// take their i-th values together.
#[derive(Debug, Clone)]
pub struct Axis {
    /// Key paths, with where each was written.
    pub keys: Vec<(String, Loc)>,
    /// `values[k][i]`: the i-th value of key k.
    pub values: Vec<Vec<Item>>,
}

impl Axis {
    fn len(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }
}

/// One point of the grid: a validated model and the values that made it.
#[derive(Debug, Clone)]
pub struct Point {
    /// 0-based point index (row-major over the axes, first axis slowest).
    pub index: usize,
    /// The swept values as written in CSV files, one per column.
    pub values: Vec<String>,
    /// The model at this point.
    pub scenario: Scenario,
}

/// What the charts plot.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChartConfig {
    /// The swept key on the x axis (a session-expires key by default).
    pub x: Option<String>,
    /// The point whose reclaim-latency CDF is drawn.
    pub cdf_point: usize,
    /// The node class whose p95 latency the trade-off chart plots.
    pub tradeoff_class: Option<String>,
    /// Which charts to draw, from [`CHART_KINDS`].
    pub draw: Vec<String>,
}

/// A validated experiment.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// Output directory name.
    pub name: String,
    /// What it asks.
    pub description: Option<String>,
    /// The experiment file as named by the user.
    pub source: String,
    /// FNV-1a hash of the experiment text and its model text.
    pub hash: u64,
    /// Master seed.
    pub seed: u64,
    /// Replications per point.
    pub replications: u32,
    /// Swept key paths, one CSV column each, in axis order.
    pub columns: Vec<String>,
    /// Every value of every column, in the order written (for the manifest).
    pub grid: Vec<(String, Vec<String>)>,
    /// All points.
    pub points: Vec<Point>,
    /// Chart choices.
    pub charts: ChartConfig,
}

impl Experiment {
    /// Total runs (points × replications).
    pub fn total_runs(&self) -> u64 {
        self.points.len() as u64 * u64::from(self.replications)
    }
}

/// Reads an experiment file.
pub fn load_experiment(path: &Path) -> Result<Experiment, InputErrors> {
    let text = crate::scenario::read_input(path, "experiment")?;
    experiment_from_str(&path.display().to_string(), &text, path.parent())
}

/// The embedded default experiment.
pub fn default_experiment() -> Result<Experiment, InputErrors> {
    experiment_from_str(DEFAULT_EXPERIMENT_NAME, DEFAULT_EXPERIMENT, None)
}

/// Reads an experiment given as text; `dir` resolves a relative model path.
pub fn experiment_from_str(
    name: &str,
    text: &str,
    dir: Option<&Path>,
) -> Result<Experiment, InputErrors> {
    let source = Source::new(name, text);
    let root = doc::parse(&source).map_err(InputErrors::one)?;
    read_experiment(&root, &source, dir).map_err(|e| InputErrors(e).sorted())
}

/// FNV-1a 64 over several texts, each followed by a separator.
pub fn content_hash(texts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for t in texts {
        for b in t.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

fn read_experiment(
    root: &Item,
    source: &Arc<Source>,
    dir: Option<&Path>,
) -> Result<Experiment, Errors> {
    let mut errs = Errors::new();
    let Some(mut top) = Fields::of(root, "", &mut errs) else {
        return Err(errs);
    };
    let name = top.require("name", &mut errs).and_then(|(i, p)| {
        let s = string(i, &p, &mut errs)?;
        let ok = !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && !s.starts_with('.');
        if !ok {
            errs.push(InputError::at(
                &i.loc,
                p,
                "the name is the output directory: letters, digits, '_', '-' and '.' only",
            ));
        }
        ok.then_some(s)
    });
    let description = top
        .entry("description")
        .and_then(|(i, p)| string(i, &p, &mut errs));
    let seed = top
        .entry("seed")
        .map_or(Some(1), |(i, p)| {
            integer(i, &p, 0, i64::MAX, "a seed", &mut errs)
        })
        .map(|s| s as u64);
    let replications = top
        .entry("replications")
        .map_or(Some(10), |(i, p)| {
            integer(i, &p, 1, 100_000, "a replication count", &mut errs)
        })
        .map(|r| r as u32);
    let (model, model_text) = match top.require("model", &mut errs) {
        Some((i, p)) => read_base_model(i, &p, dir, &mut errs),
        None => (None, String::new()),
    };
    let horizon = top.entry("horizon_s").and_then(|(i, p)| {
        number(i, &p, 1e-3, 1e9, "a horizon in seconds", &mut errs).map(|_| (i, p))
    });
    let mut axes = Vec::new();
    if let Some((g, p)) = top.entry("grid") {
        read_grid(g, &p, &mut axes, &mut errs);
    }
    if let Some((z, p)) = top.entry("zip") {
        match &z.value {
            Value::Array(groups) => {
                for (i, g) in groups.iter().enumerate() {
                    read_zip(g, &format!("{p}[{i}]"), &mut axes, &mut errs);
                }
            }
            other => errs.push(InputError::at(
                &z.loc,
                p,
                format!("expected [[zip]] tables, found {}", other.type_name()),
            )),
        }
    }
    let grid_loc = top
        .entry("grid")
        .map_or(root.loc.clone(), |(g, _)| g.loc.clone());
    if axes.is_empty() && errs.is_empty() {
        errs.push(InputError::at(
            &grid_loc,
            "grid",
            "the grid is empty: sweep at least one key path, e.g. \"defaults.session_expires\" = [90, 1800]",
        ));
    }
    check_duplicate_keys(&axes, &mut errs);
    let chart_item = top.entry("charts");
    top.finish(TOP_KEYS, &mut errs);
    let (Some(name), Some(seed), Some(replications), Some(model)) =
        (name, seed, replications, model)
    else {
        return Err(errs);
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    let points_count: u64 = axes.iter().map(|a| a.len() as u64).product();
    if points_count.saturating_mul(u64::from(replications)) > MAX_RUNS {
        errs.push(InputError::at(
            &grid_loc,
            "grid",
            format!(
                "{points_count} points × {replications} replications is more than {MAX_RUNS} runs"
            ),
        ));
        return Err(errs);
    }
    let columns: Vec<String> = axes
        .iter()
        .flat_map(|a| a.keys.iter().map(|(k, _)| k.clone()))
        .collect();
    let grid = axes
        .iter()
        .flat_map(|a| {
            a.keys
                .iter()
                .zip(&a.values)
                .map(|((k, _), vs)| (k.clone(), vs.iter().map(cell).collect()))
        })
        .collect();
    let points = build_points(&model, &axes, horizon, &mut errs);
    if !errs.is_empty() {
        return Err(errs);
    }
    let charts = match chart_item {
        Some((c, p)) => read_charts(c, &p, &columns, &points, &mut errs),
        None => Some(default_charts(&columns)),
    };
    let Some(charts) = charts else {
        return Err(errs);
    };
    Ok(Experiment {
        name,
        description,
        source: source.name.clone(),
        hash: content_hash(&[&source.text, &model_text]),
        seed,
        replications,
        columns,
        grid,
        points,
        charts,
    })
}

/// The base model: a path relative to the experiment file, or an inline table.
fn read_base_model(
    item: &Item,
    path: &str,
    dir: Option<&Path>,
    errs: &mut Errors,
) -> (Option<Item>, String) {
    match &item.value {
        Value::Table(_) => (Some(item.clone()), String::new()),
        Value::Str(rel) => {
            let Some(dir) = dir else {
                errs.push(InputError::at(
                    &item.loc,
                    path,
                    "the built-in experiment cannot refer to a model file; write the model inline as [model]",
                ));
                return (None, String::new());
            };
            let file = dir.join(rel);
            match std::fs::read_to_string(&file) {
                Ok(text) => {
                    let src = Source::new(file.display().to_string(), text.clone());
                    match doc::parse(&src) {
                        Ok(tree) => (Some(tree), text),
                        Err(e) => {
                            errs.push(e);
                            (None, text)
                        }
                    }
                }
                Err(e) => {
                    errs.push(InputError::at(
                        &item.loc,
                        path,
                        format!("cannot read model file {}: {e}", file.display()),
                    ));
                    (None, String::new())
                }
            }
        }
        other => {
            errs.push(InputError::at(
                &item.loc,
                path,
                format!(
                    "expected a model file path (relative to this file) or a [model] table, found {}",
                    other.type_name()
                ),
            ));
            (None, String::new())
        }
    }
}

fn values_of(item: &Item, path: &str, errs: &mut Errors) -> Option<Vec<Item>> {
    match &item.value {
        Value::Array(xs) if xs.is_empty() => {
            errs.push(InputError::at(
                &item.loc,
                path,
                "empty list: give at least one value to sweep",
            ));
            None
        }
        Value::Array(xs) => Some(xs.clone()),
        other => {
            errs.push(InputError::at(
                &item.loc,
                path,
                format!(
                    "expected a list of values to sweep, found {}",
                    other.type_name()
                ),
            ));
            None
        }
    }
}

fn read_grid(item: &Item, path: &str, axes: &mut Vec<Axis>, errs: &mut Errors) {
    let Some(mut f) = Fields::of(item, path, errs) else {
        return;
    };
    for e in f.all() {
        let p = format!("{path}.\"{}\"", e.key);
        if let Some(values) = values_of(&e.item, &p, errs) {
            axes.push(Axis {
                keys: vec![(e.key.clone(), e.key_loc.clone())],
                values: vec![values],
            });
        }
    }
}

fn read_zip(item: &Item, path: &str, axes: &mut Vec<Axis>, errs: &mut Errors) {
    let Some(mut f) = Fields::of(item, path, errs) else {
        return;
    };
    let entries = f.all();
    if entries.is_empty() {
        errs.push(InputError::at(
            &item.loc,
            path,
            "an empty [[zip]] group: give key paths with lists of equal length",
        ));
        return;
    }
    let mut axis = Axis {
        keys: Vec::new(),
        values: Vec::new(),
    };
    for e in entries {
        let p = format!("{path}.\"{}\"", e.key);
        let Some(values) = values_of(&e.item, &p, errs) else {
            return;
        };
        if let Some(first) = axis.values.first()
            && first.len() != values.len()
        {
            errs.push(InputError::at(
                &e.item.loc,
                p,
                format!(
                    "{} values, but \"{}\" in the same [[zip]] group has {}: zipped lists must have equal length",
                    values.len(),
                    axis.keys[0].0,
                    first.len()
                ),
            ));
            return;
        }
        axis.keys.push((e.key.clone(), e.key_loc.clone()));
        axis.values.push(values);
    }
    axes.push(axis);
}

fn check_duplicate_keys(axes: &[Axis], errs: &mut Errors) {
    let keys: Vec<&(String, Loc)> = axes.iter().flat_map(|a| &a.keys).collect();
    for (i, (k, loc)) in keys.iter().enumerate() {
        if keys[..i].iter().any(|(j, _)| j == k) {
            errs.push(InputError::at(
                loc,
                k.as_str(),
                "this key path is swept twice (grid and zip, or two zip groups)",
            ));
        }
    }
}

/// A swept value as written in CSV cells and chart legends.
pub fn cell(item: &Item) -> String {
    match &item.value {
        Value::Str(s) | Value::Datetime(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(xs) => format!("[{}]", xs.iter().map(cell).collect::<Vec<_>>().join(" ")),
        Value::Table(t) => format!(
            "{{{}}}",
            t.entries
                .iter()
                .map(|e| format!("{}={}", e.key, cell(&e.item)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// Expands the axes row-major, applies each point's values and validates it.
fn build_points(
    model: &Item,
    axes: &[Axis],
    horizon: Option<(&Item, String)>,
    errs: &mut Errors,
) -> Vec<Point> {
    let mut base = model.clone();
    if let Some((h, _)) = &horizon
        && let Err(m) = set_path(&mut base, "workload.horizon_s", h, &h.loc)
    {
        errs.push(InputError::at(&h.loc, "horizon_s", m));
        return Vec::new();
    }
    let total: usize = axes.iter().map(Axis::len).product();
    let mut points = Vec::with_capacity(total);
    // Errors repeat across points that share a bad value; report each distinct one once.
    let mut seen = std::collections::BTreeSet::new();
    for index in 0..total {
        let mut rest = index;
        let mut picks = vec![0; axes.len()];
        for (a, axis) in axes.iter().enumerate().rev() {
            picks[a] = rest % axis.len();
            rest /= axis.len();
        }
        let mut tree = base.clone();
        let mut values = Vec::new();
        let mut label = Vec::new();
        let mut ok = true;
        for (axis, &pick) in axes.iter().zip(&picks) {
            for ((key, key_loc), vs) in axis.keys.iter().zip(&axis.values) {
                let v = &vs[pick];
                values.push(cell(v));
                label.push(format!("{key} = {}", cell(v)));
                // `tag.*` columns only label points (legends, CSV); they set nothing.
                if key.starts_with("tag.") {
                    continue;
                }
                if let Err(m) = set_path(&mut tree, key, v, key_loc) {
                    let e = InputError::at(key_loc, key.as_str(), m);
                    if seen.insert(e.to_string()) {
                        errs.push(e);
                    }
                    ok = false;
                }
            }
        }
        if !ok {
            continue;
        }
        match model::read_model(&tree) {
            Ok(scenario) => points.push(Point {
                index,
                values,
                scenario,
            }),
            Err(es) => {
                for mut e in es {
                    let plain = e.to_string();
                    if seen.insert(plain) {
                        e.message =
                            format!("{} (at point {index}: {})", e.message, label.join(", "));
                        errs.push(e);
                    }
                }
            }
        }
    }
    points
}

fn default_charts(columns: &[String]) -> ChartConfig {
    ChartConfig {
        x: columns
            .iter()
            .find(|c| c.ends_with("session_expires"))
            .or(columns.first())
            .cloned(),
        cdf_point: 0,
        tradeoff_class: None,
        draw: CHART_KINDS.iter().map(|k| k.to_string()).collect(),
    }
}

fn read_charts(
    item: &Item,
    path: &str,
    columns: &[String],
    points: &[Point],
    errs: &mut Errors,
) -> Option<ChartConfig> {
    let mut f = Fields::of(item, path, errs)?;
    let mut cfg = default_charts(columns);
    let mut ok = true;
    if let Some((x, p)) = f.entry("x") {
        match string(x, &p, errs) {
            Some(s) if columns.contains(&s) => cfg.x = Some(s),
            Some(s) => {
                errs.push(
                    InputError::at(
                        &x.loc,
                        p,
                        format!("\"{s}\" is not a swept key; swept: {}", columns.join(", ")),
                    )
                    .with_hint(crate::scenario::error::did_you_mean(
                        &s,
                        columns.iter().map(String::as_str),
                    )),
                );
                ok = false;
            }
            None => ok = false,
        }
    }
    if let Some((d, p)) = f.entry("draw") {
        match doc::array(d, &p, errs, |i, q, e| doc::choice(i, q, CHART_KINDS, e)) {
            Some(kinds) => cfg.draw = kinds.iter().map(|&k| CHART_KINDS[k].to_string()).collect(),
            None => ok = false,
        }
    }
    if let Some((t, p)) = f.entry("tradeoff_class") {
        let names: Vec<&str> = NodeClass::ALL.iter().map(|c| c.name()).collect();
        match doc::choice(t, &p, &names, errs) {
            Some(i) => cfg.tradeoff_class = Some(names[i].to_string()),
            None => ok = false,
        }
    }
    if let Some((c, p)) = f.entry("cdf_at") {
        match cdf_point(c, &p, columns, points, errs) {
            Some(i) => cfg.cdf_point = i,
            None => ok = false,
        }
    }
    f.finish(CHART_KEYS, errs);
    ok.then_some(cfg)
}

/// The first point whose values match every key of the `cdf_at` table.
fn cdf_point(
    item: &Item,
    path: &str,
    columns: &[String],
    points: &[Point],
    errs: &mut Errors,
) -> Option<usize> {
    let mut f = Fields::of(item, path, errs)?;
    let mut wanted = Vec::new();
    for e in f.all() {
        match columns.iter().position(|c| *c == e.key) {
            Some(col) => wanted.push((col, cell(&e.item))),
            None => {
                errs.push(InputError::at(
                    &e.key_loc,
                    format!("{path}.\"{}\"", e.key),
                    format!("not a swept key; swept: {}", columns.join(", ")),
                ));
                return None;
            }
        }
    }
    let found = points
        .iter()
        .find(|pt| wanted.iter().all(|(c, v)| pt.values[*c] == *v));
    if found.is_none() {
        errs.push(InputError::at(
            &item.loc,
            path,
            "no point of the grid has these values",
        ));
    }
    found.map(|p| p.index)
}
