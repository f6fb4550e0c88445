//! The grid of an experiment: axes (a `[grid]` key, or a `[[zip]]` group
//! of keys that vary together) expanded row-major into points, each a copy
//! of the base model with the point's values written in and validated.

use crate::scenario::doc::{Errors, Fields, Item, Value};
use crate::scenario::error::{InputError, Loc};
use crate::scenario::{Scenario, model};

use super::super::overrides::{cell, set_path};

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
    pub(super) fn len(&self) -> usize {
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
    /// The model's tree with the point's values written in (`sstsim point`
    /// prints it).
    pub document: Item,
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

pub(super) fn read_grid(item: &Item, path: &str, axes: &mut Vec<Axis>, errs: &mut Errors) {
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

pub(super) fn read_zip(item: &Item, path: &str, axes: &mut Vec<Axis>, errs: &mut Errors) {
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

pub(super) fn check_duplicate_keys(axes: &[Axis], errs: &mut Errors) {
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

/// Expands the axes row-major, applies each point's values and validates it.
pub(crate) fn build_points(
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
    // `check_grid_size` has bounded the product.
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
                document: tree,
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
