//! `sstsim point [EXP] --point N`: one sweep point as a model file, so that
//! `run` (with `--dialogs`) and `trace` can examine it on its own.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::Failure;
use crate::experiment::default_experiment;
use crate::experiment::spec::{Experiment, Point, load_experiment};
use crate::scenario::toml_out::to_toml;

/// Arguments of `sstsim point`.
#[derive(Debug, Clone, Args)]
pub struct PointArgs {
    /// The experiment file; without it, the built-in default experiment.
    pub experiment: Option<PathBuf>,
    /// The point (0-based, as in the `point` column of runs.csv).
    #[arg(long, value_name = "N")]
    pub point: usize,
}

/// The experiment at `path` (the built-in one without a path).
pub(super) fn experiment(path: Option<&Path>) -> Result<Experiment, Failure> {
    if let Some(p) = path
        && super::input::read(p)?.model
    {
        return Err(Failure::Input(format!(
            "error: {} is a model file; points belong to experiments (run or trace the model itself)",
            p.display()
        )));
    }
    let exp = match path {
        Some(p) => load_experiment(p),
        None => default_experiment(),
    };
    exp.map_err(|e| Failure::Input(e.to_string()))
}

/// Point `n` of `exp`, or an error saying which points exist.
pub(super) fn point(exp: &Experiment, n: usize) -> Result<&Point, Failure> {
    exp.points.get(n).ok_or_else(|| {
        Failure::Input(format!(
            "error: --point {n}: experiment \"{}\" has {} point(s), numbered 0 to {}",
            exp.name,
            exp.points.len(),
            exp.points.len().saturating_sub(1)
        ))
    })
}

/// Prints the point's fully resolved model, with a header saying where it
/// came from and how to rerun one of its replications.
pub(super) fn run(args: &PointArgs) -> Result<String, Failure> {
    let exp = experiment(args.experiment.as_deref())?;
    let p = point(&exp, args.point)?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Point {} of experiment \"{}\" ({}), resolved into a model.",
        p.index, exp.name, exp.source
    );
    let set: Vec<String> = exp
        .columns
        .iter()
        .zip(&p.values)
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    if !set.is_empty() {
        let _ = writeln!(s, "# Swept values: {}.", set.join(", "));
    }
    let _ = writeln!(
        s,
        "# Replication r of the sweep is: sstsim run THIS.toml --seed {} --replication r\n\
         # (r from 0 to {}); sstsim trace THIS.toml takes the same flags.\n",
        exp.seed,
        exp.replications.saturating_sub(1)
    );
    s.push_str(&to_toml(&p.document));
    Ok(s)
}
