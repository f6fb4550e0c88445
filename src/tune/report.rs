//! What a tune answers: `recommendation.csv` (every candidate measured,
//! ranked), `recommendation.md` (the answer with its evidence), and the few
//! lines the terminal prints.

use std::fmt::Write;

use super::search::{Status, Verdict, Worst, cells};
use super::spec::{Bound, Goal, TuneSpec};
use crate::experiment::overrides::cell;

/// The answer: the recommended candidate, or none feasible.
pub struct Answer<'a> {
    /// The spec asked.
    pub spec: &'a TuneSpec,
    /// Every candidate, ranked (feasible first, then by the objective).
    pub ranked: Vec<Verdict>,
}

impl Answer<'_> {
    /// The recommendation: the best candidate whose constraints all hold at
    /// their confidence bounds.
    pub fn recommended(&self) -> Option<&Verdict> {
        self.ranked.first().filter(|v| v.feasible())
    }

    /// With nothing feasible: the candidate closest to feasible (the least
    /// total violation, each relative to its bound).
    pub fn closest(&self) -> Option<&Verdict> {
        self.ranked.iter().min_by(|a, b| {
            self.violation(a)
                .total_cmp(&self.violation(b))
                .then(super::search::compare(&a.candidate, &b.candidate))
        })
    }

    fn violation(&self, v: &Verdict) -> f64 {
        self.spec
            .constraints
            .iter()
            .zip(&v.constraints)
            .map(|(c, (w, _))| {
                let (over, scale) = match c.bound {
                    Bound::Max(b) => (w.mean - b, b.abs()),
                    Bound::Min(b) => (b - w.mean, b.abs()),
                };
                if over.is_nan() || over.is_infinite() {
                    f64::MAX / 1e6
                } else {
                    over.max(0.0) / scale.max(1e-9)
                }
            })
            .sum()
    }

    /// The constraint closest to its bound for `v` (relative margin), and
    /// that margin.
    pub fn binding(&self, v: &Verdict) -> Option<(usize, f64)> {
        self.spec
            .constraints
            .iter()
            .zip(&v.constraints)
            .enumerate()
            .map(|(k, (c, (w, _)))| {
                let upper = w.mean + if w.ci95.is_finite() { w.ci95 } else { 0.0 };
                let lower = w.mean - if w.ci95.is_finite() { w.ci95 } else { 0.0 };
                let margin = match c.bound {
                    Bound::Max(b) => b - upper,
                    Bound::Min(b) => lower - b,
                };
                (k, margin)
            })
            .min_by(|a, b| {
                let rel = |(k, m): &(usize, f64)| {
                    let b = match self.spec.constraints[*k].bound {
                        Bound::Max(b) | Bound::Min(b) => b.abs().max(1e-9),
                    };
                    m / b
                };
                rel(a).total_cmp(&rel(b))
            })
    }
}

fn num(x: f64) -> String {
    if x.is_infinite() {
        "not reached".into()
    } else if x.is_nan() {
        String::new()
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
    }
}

fn shown(w: &Worst) -> String {
    if w.mean.is_infinite() {
        "not reached".into()
    } else if w.ci95.is_finite() {
        format!("{} ± {}", num(w.mean), num(w.ci95))
    } else {
        num(w.mean)
    }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Holds => "holds",
        Status::Violated => "violated",
        Status::Unsure => "unsure",
    }
}

fn bound_text(b: Bound) -> String {
    match b {
        Bound::Max(x) => format!("≤ {}", num(x)),
        Bound::Min(x) => format!("≥ {}", num(x)),
    }
}

/// The condition a worst case came from, as `key = value, …`.
fn condition_text(spec: &TuneSpec, index: usize) -> String {
    if spec.conditions.is_empty() {
        return "the base model".into();
    }
    let mut rest = index;
    let mut picks = vec![0; spec.conditions.len()];
    for (a, axis) in spec.conditions.iter().enumerate().rev() {
        let n = axis.values.first().map_or(1, Vec::len);
        picks[a] = rest % n;
        rest /= n;
    }
    spec.conditions
        .iter()
        .zip(picks)
        .map(|(axis, p)| format!("{} = {}", axis.keys[0].0, cell(&axis.values[0][p])))
        .collect::<Vec<_>>()
        .join(", ")
}

fn setting(spec: &TuneSpec, v: &Verdict) -> String {
    spec.knobs
        .iter()
        .zip(cells(&v.candidate))
        .map(|(k, c)| format!("{} = {c}", k.key()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `recommendation.csv`: one row per candidate measured, ranked.
pub fn csv(a: &Answer) -> std::io::Result<Vec<u8>> {
    let spec = a.spec;
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["rank".into()];
    header.extend(spec.knobs.iter().map(|k| k.key().to_string()));
    header.extend(["feasible", "replications"].map(String::from));
    header.extend(["objective_worst_mean", "objective_worst_ci95"].map(String::from));
    for c in &spec.constraints {
        let m = &c.measure.name;
        header.extend([
            format!("{m}_worst_mean"),
            format!("{m}_worst_ci95"),
            format!("{m}_bound"),
            format!("{m}_status"),
        ]);
    }
    w.write_record(&header)?;
    for (rank, v) in a.ranked.iter().enumerate() {
        let mut row = vec![(rank + 1).to_string()];
        row.extend(cells(&v.candidate));
        row.push(if v.feasible() { "yes" } else { "no" }.into());
        row.push(v.replications.to_string());
        row.extend([num(v.objective.mean), num(v.objective.ci95)]);
        for (c, (wst, s)) in spec.constraints.iter().zip(&v.constraints) {
            let b = match c.bound {
                Bound::Max(x) => format!("max {x}"),
                Bound::Min(x) => format!("min {x}"),
            };
            row.extend([num(wst.mean), num(wst.ci95), b, status_word(*s).into()]);
        }
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| e.into_error())
}

/// A table of every metric under every condition for `v` (mean ± 95%
/// half-width over its replications).
fn by_condition(s: &mut String, spec: &TuneSpec, v: &Verdict) {
    let names: Vec<&str> = std::iter::once(spec.objective.name.as_str())
        .chain(spec.constraints.iter().map(|c| c.measure.name.as_str()))
        .collect();
    let _ = writeln!(
        s,
        "\n### Under each condition ({} replications each)\n",
        v.replications
    );
    let _ = writeln!(s, "| condition | {} |", names.join(" | "));
    let _ = writeln!(s, "|---|{}", "---|".repeat(names.len()));
    for c in 0..spec.condition_count() {
        let cells: Vec<String> = v
            .by_condition
            .iter()
            .map(|m| {
                let (mean, ci) = m[c];
                shown(&Worst {
                    mean,
                    ci95: ci,
                    condition: c,
                })
            })
            .collect();
        let _ = writeln!(s, "| {} | {} |", condition_text(spec, c), cells.join(" | "));
    }
}

/// One line per constraint: its bound, its worst value, its status and
/// the condition that was worst.
fn constraint_lines(s: &mut String, spec: &TuneSpec, v: &Verdict) {
    for (c, (w, st)) in spec.constraints.iter().zip(&v.constraints) {
        let _ = writeln!(
            s,
            "- `{}` {}: {} ({}, worst under {})",
            c.measure.name,
            bound_text(c.bound),
            shown(w),
            status_word(*st),
            condition_text(spec, w.condition)
        );
    }
}

/// `recommendation.md`: the answer, its evidence, and the runners-up.
pub fn markdown(a: &Answer, passes: &[(std::path::PathBuf, usize, u32)]) -> String {
    let spec = a.spec;
    let mut s = String::new();
    let _ = writeln!(s, "# {}: recommendation\n", spec.name);
    if let Some(d) = &spec.description {
        let _ = writeln!(s, "{d}\n");
    }
    let goal = match spec.goal {
        Goal::Minimize => "minimise",
        Goal::Maximize => "maximise",
    };
    let _ = writeln!(
        s,
        "Objective: {goal} `{}` under the worst of {} condition(s). A constraint holds only if it holds at the 95% confidence bound under every condition; a percentile that is not reached violates any bound on it.\n",
        spec.objective.name,
        spec.condition_count()
    );
    match a.recommended() {
        Some(v) => {
            let _ = writeln!(s, "## Recommended\n\n**{}**\n", setting(spec, v));
            let _ = writeln!(
                s,
                "- `{}`: {} (worst under {})",
                spec.objective.name,
                shown(&v.objective),
                condition_text(spec, v.objective.condition)
            );
            constraint_lines(&mut s, spec, v);
            if let Some((k, m)) = a.binding(v) {
                let _ = writeln!(
                    s,
                    "\nBinding constraint: `{}`, margin {} at its confidence bound.",
                    spec.constraints[k].measure.name,
                    num(m)
                );
            }
            by_condition(&mut s, spec, v);
            let _ = writeln!(s, "\n## Runners-up\n");
            let best = v.objective.mean;
            for r in a.ranked.iter().skip(1).take(5) {
                let why = if !r.feasible() {
                    let broken: Vec<String> = spec
                        .constraints
                        .iter()
                        .zip(&r.constraints)
                        .filter(|(_, (_, st))| *st != Status::Holds)
                        .map(|(c, (w, st))| {
                            format!("`{}` {} ({})", c.measure.name, status_word(*st), shown(w))
                        })
                        .collect();
                    format!("not feasible: {}", broken.join("; "))
                } else if r.objective.mean == best {
                    format!(
                        "the same objective ({}); ranked after by its knob values",
                        shown(&r.objective)
                    )
                } else {
                    format!("worse objective: {}", shown(&r.objective))
                };
                let _ = writeln!(s, "- {}: {why}", setting(spec, r));
            }
        }
        None => {
            let _ = writeln!(s, "## No feasible setting\n");
            if let Some(v) = a.closest() {
                let _ = writeln!(s, "Closest: **{}**\n", setting(spec, v));
                constraint_lines(&mut s, spec, v);
            }
        }
    }
    let _ = writeln!(s, "\n## Passes\n");
    for (dir, n, reps) in passes {
        let name = dir
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "- `{name}/`: {n} candidate(s) × {} condition(s) × {reps} replication(s)",
            spec.condition_count()
        );
    }
    let _ = writeln!(s, "\nEvery candidate measured: `recommendation.csv`.");
    s
}

/// The lines the terminal prints.
pub fn terminal(a: &Answer) -> String {
    let spec = a.spec;
    let mut s = String::new();
    match a.recommended() {
        Some(v) => {
            let _ = writeln!(s, "recommended: {}", setting(spec, v));
            let _ = writeln!(
                s,
                "  {} (worst condition): {}",
                spec.objective.name,
                shown(&v.objective)
            );
            if let Some((k, m)) = a.binding(v) {
                let _ = writeln!(
                    s,
                    "  binding: {} {}, margin {}",
                    spec.constraints[k].measure.name,
                    bound_text(spec.constraints[k].bound),
                    num(m)
                );
            }
        }
        None => {
            let _ = writeln!(s, "no feasible setting");
            if let Some(v) = a.closest() {
                let _ = writeln!(s, "  closest: {}", setting(spec, v));
                for (c, (w, st)) in spec.constraints.iter().zip(&v.constraints) {
                    if *st != Status::Holds {
                        let _ = writeln!(
                            s,
                            "  {} {}: {} ({})",
                            c.measure.name,
                            bound_text(c.bound),
                            shown(w),
                            status_word(*st)
                        );
                    }
                }
            }
        }
    }
    s
}
