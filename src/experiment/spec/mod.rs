//! Experiment files: a base model, a grid of key paths to sweep, replications,
//! seed, horizon and chart choices. Reading one validates every point's model
//! before anything runs.
//!
//! This module reads the file and the base model; `grid` expands the axes
//! into validated points; `charts` reads `[charts]`.

mod charts;
mod grid;

pub use charts::{ChartConfig, ChartKind, HeatmapSpec, REFRESHER_CELL};
pub(crate) use grid::build_points;
pub use grid::{Axis, Point};

use std::path::Path;
use std::sync::Arc;

use super::overrides::cell;
use crate::scenario::doc::{self, Errors, Fields, Item, Value, integer, number, string};
use crate::scenario::error::{InputError, InputErrors, Loc, Source};
use charts::{default_charts, read_charts};
use grid::{check_duplicate_keys, read_grid, read_zip};

/// The experiment shipped as `experiments/modes.toml` and run by default.
pub const DEFAULT_EXPERIMENT: &str = include_str!("../../../experiments/modes.toml");
/// The name under which the embedded default experiment reports errors.
pub const DEFAULT_EXPERIMENT_NAME: &str = "experiments/modes.toml (built in)";

/// The keys an experiment file may have at its top level.
pub const TOP_KEYS: &[&str] = &[
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
/// Largest number of points × replications an experiment may ask for.
pub const MAX_RUNS: u64 = 10_000_000;
/// Largest grid: every point is a validated model held in memory (about
/// 20 KB each), so 100,000 points already take 2 GB before a run starts.
pub const MAX_POINTS: u64 = 100_000;

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
    let name = read_name(&mut top, &mut errs);
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
    if let Err(e) = check_grid_size(&axes, replications, &grid_loc) {
        errs.push(e);
        return Err(errs);
    }
    let (columns, grid) = columns_and_grid(&axes);
    let points = build_points(&model, &axes, horizon, &mut errs);
    if !errs.is_empty() {
        return Err(errs);
    }
    let charts = match chart_item {
        Some((c, p)) => read_charts(c, &p, &columns, &points, &mut errs),
        None => Some(default_charts(&columns)),
    };
    // Any problem in [charts] refuses the file, an unknown key included.
    let Some(charts) = charts.filter(|_| errs.is_empty()) else {
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

/// The required `name`: the output directory's, so letters, digits, '_',
/// '-' and '.' only, not starting with '.'.
pub(crate) fn read_name(top: &mut Fields, errs: &mut Errors) -> Option<String> {
    top.require("name", errs).and_then(|(i, p)| {
        let s = string(i, &p, errs)?;
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
    })
}

/// The CSV columns of the axes' keys, and every value of each as written
/// (for the manifest).
pub(crate) fn columns_and_grid(axes: &[Axis]) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let columns = axes
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
    (columns, grid)
}

/// Refuses a grid of more than [`MAX_POINTS`] points or [`MAX_RUNS`] runs,
/// counting with checked arithmetic: 64 two-value axes make 2^64 points,
/// which an unchecked product wraps to 0.
fn check_grid_size(axes: &[Axis], replications: u32, loc: &Loc) -> Result<(), InputError> {
    let sizes: Vec<String> = axes.iter().map(|a| a.len().to_string()).collect();
    let shown = if sizes.len() > 8 {
        format!("{} axes", sizes.len())
    } else {
        sizes.join(" × ")
    };
    let points = axes
        .iter()
        .try_fold(1u64, |n, a| n.checked_mul(a.len() as u64))
        .filter(|&n| n <= MAX_POINTS);
    let Some(points) = points else {
        return Err(InputError::at(
            loc,
            "grid",
            format!(
                "the grid ({shown}) has more than {MAX_POINTS} points, the most an experiment may have \
                 (each point is a model held in memory); split the sweep into several experiments"
            ),
        ));
    };
    if points * u64::from(replications) > MAX_RUNS {
        return Err(InputError::at(
            loc,
            "grid",
            format!(
                "{points} points ({shown}) × {replications} replications is more than {MAX_RUNS} runs, \
                 the most an experiment may have; lower replications or split the sweep"
            ),
        ));
    }
    Ok(())
}

/// The base model: a path relative to the experiment file, or an inline table.
pub(crate) fn read_base_model(
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
            // Shown resolved, so a relative path says where it was looked for.
            let file = std::path::absolute(dir.join(rel)).unwrap_or_else(|_| dir.join(rel));
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
