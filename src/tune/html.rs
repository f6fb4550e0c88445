//! `report.html`: one self-contained page (inline SVG, no scripts, no
//! external files) with the recommendation, the trade-off between the
//! objective and each constraint (feasible points marked, the
//! recommendation highlighted), each metric against the range knob with its
//! bound, and the table of every candidate.

use std::fmt::Write;

use super::report::Answer;
use super::search::{Status, Verdict, cells};
use super::spec::{Bound, Knob};
use crate::report::charts::{ChartError, LineChart, Series};

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn is_best(a: &Answer, v: &Verdict) -> bool {
    a.recommended()
        .is_some_and(|b| cells(&b.candidate) == cells(&v.candidate))
}

/// Objective against one constraint, one marker per candidate.
fn tradeoff(a: &Answer, k: usize) -> LineChart {
    let spec = a.spec;
    let c = &spec.constraints[k];
    let mut groups = [
        ("feasible", Vec::new(), Vec::new(), 0),
        ("not feasible or unsure", Vec::new(), Vec::new(), 1),
        ("recommended", Vec::new(), Vec::new(), 2),
    ];
    for v in &a.ranked {
        let (x, y) = (v.constraints[k].0.mean, v.objective.mean);
        if !x.is_finite() || !y.is_finite() {
            continue;
        }
        let g = if is_best(a, v) {
            2
        } else if v.feasible() {
            0
        } else {
            1
        };
        groups[g].1.push((x, y));
        groups[g].2.push(cells(&v.candidate).join(", "));
    }
    let bound = match c.bound {
        Bound::Max(b) => format!("at most {b}"),
        Bound::Min(b) => format!("at least {b}"),
    };
    LineChart {
        title: format!("Every candidate: objective vs constraint {}", k + 1),
        x_label: format!("{} (worst condition)", c.measure.name),
        y_label: format!("{} (worst condition)", spec.objective.name),
        series: groups
            .into_iter()
            .filter(|g| !g.1.is_empty())
            .map(|(name, points, labels, color)| Series {
                name: name.into(),
                points,
                labels,
                color: Some(color),
                scatter: true,
                ..Series::default()
            })
            .collect(),
        notes: vec![
            format!("The constraint: {} {bound}.", c.measure.name),
            "Labels: the knob values. Feasible: every constraint holds at its 95% confidence bound under every condition.".into(),
        ],
        log_x: false,
        x_categories: Vec::new(),
    }
}

/// One metric against the range knob (log scale), a line per setting of
/// the list knobs, with its bound dashed.
fn against_range(a: &Answer, metric: Option<usize>) -> Option<LineChart> {
    let spec = a.spec;
    let r = spec
        .knobs
        .iter()
        .position(|k| matches!(k, Knob::Range { .. }))?;
    let (name, bound) = match metric {
        None => (spec.objective.name.clone(), None),
        Some(k) => (
            spec.constraints[k].measure.name.clone(),
            Some(spec.constraints[k].bound),
        ),
    };
    // (label, [(log10 x, mean, ci95)]) per setting of the list knobs.
    type Line = (String, Vec<(f64, f64, f64)>);
    let mut lines: Vec<Line> = Vec::new();
    for v in &a.ranked {
        let w = match metric {
            None => v.objective,
            Some(k) => v.constraints[k].0,
        };
        let x: f64 = cells(&v.candidate)[r].parse().ok()?;
        if !w.mean.is_finite() {
            continue;
        }
        let mut key = cells(&v.candidate);
        key.remove(r);
        let label = if key.is_empty() {
            name.clone()
        } else {
            key.join(", ")
        };
        match lines.iter_mut().find(|(l, _)| *l == label) {
            Some((_, pts)) => pts.push((x.log10(), w.mean, w.ci95)),
            None => lines.push((label, vec![(x.log10(), w.mean, w.ci95)])),
        }
    }
    let mut series: Vec<Series> = lines
        .into_iter()
        .map(|(label, mut pts)| {
            pts.sort_by(|p, q| p.0.total_cmp(&q.0));
            Series {
                name: label,
                points: pts.iter().map(|p| (p.0, p.1)).collect(),
                errors: pts.iter().map(|p| p.2).collect(),
                ..Series::default()
            }
        })
        .collect();
    let span = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
    if let Some(b) = bound
        && span.0 <= span.1
    {
        let y = match b {
            Bound::Max(y) | Bound::Min(y) => y,
        };
        series.push(Series {
            name: format!(
                "bound ({})",
                if matches!(b, Bound::Max(_)) {
                    "at most"
                } else {
                    "at least"
                }
            ),
            points: vec![(span.0, y), (span.1, y)],
            dashed: true,
            ..Series::default()
        });
    }
    Some(LineChart {
        title: format!("{name} against {}", spec.knobs[r].key()),
        x_label: format!("{} (log scale)", spec.knobs[r].key()),
        y_label: format!("{name} (worst condition)"),
        series,
        notes: vec!["Error bars: 95% confidence half-widths at the worst condition.".into()],
        log_x: true,
        x_categories: Vec::new(),
    })
}

/// The report's charts, each with a file stem: the objective against each
/// constraint, then the objective and each constraint against the range knob.
pub fn charts(a: &Answer) -> Vec<(String, LineChart)> {
    let spec = a.spec;
    let mut out: Vec<(String, LineChart)> = spec
        .constraints
        .iter()
        .enumerate()
        .map(|(k, c)| {
            (
                format!("tradeoff_{}", stem(&c.measure.name)),
                tradeoff(a, k),
            )
        })
        .collect();
    if let Some(c) = against_range(a, None) {
        out.push((format!("objective_{}", stem(&spec.objective.name)), c));
    }
    for (k, c) in spec.constraints.iter().enumerate() {
        if let Some(ch) = against_range(a, Some(k)) {
            out.push((format!("constraint_{k}_{}", stem(&c.measure.name)), ch));
        }
    }
    out.retain(|(_, c)| !c.series.is_empty());
    out
}

/// A metric name as a file stem.
fn stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The page.
pub fn page(a: &Answer, summary: &str, csv: &str) -> Result<String, ChartError> {
    let spec = a.spec;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} — sstsim tune</title>\n<style>body{{font-family:sans-serif;max-width:1040px;margin:2em auto;color:#222}}table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}th{{background:#f2f2f2}}tr.best td{{background:#fff3c4}}figure{{margin:1.5em 0}}svg{{max-width:100%;height:auto}}pre{{background:#f7f7f7;padding:.8em}}</style>\n</head>\n<body>\n",
        esc(&spec.name)
    );
    let _ = writeln!(h, "<h1>{}: which settings to deploy</h1>", esc(&spec.name));
    if let Some(d) = &spec.description {
        let _ = writeln!(h, "<p>{}</p>", esc(d));
    }
    let _ = writeln!(
        h,
        "<h2 id=\"recommendation\">Recommendation</h2>\n<pre>{}</pre>",
        esc(summary)
    );
    let _ = writeln!(
        h,
        "<p>Feasibility is decided on the 95% confidence bound under the worst of {} condition(s), never on the mean alone; a percentile that is not reached violates any bound on it.</p>",
        spec.condition_count()
    );
    let _ = writeln!(h, "<h2 id=\"charts\">Charts</h2>");
    for (_, c) in charts(a) {
        let svg = c.svg_string()?;
        let svg = svg
            .trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
            .trim_start();
        let _ = writeln!(
            h,
            "<figure>{svg}<figcaption>{}</figcaption></figure>",
            esc(&c.title)
        );
    }
    let _ = writeln!(
        h,
        "<h2 id=\"candidates\">Every candidate</h2>\n<div style=\"overflow-x:auto\">\n<table>"
    );
    let mut rows = csv.lines();
    if let Some(head) = rows.next() {
        let _ = write!(h, "<tr>");
        for c in head.split(',') {
            let _ = write!(h, "<th>{}</th>", esc(c));
        }
        let _ = writeln!(h, "</tr>");
    }
    for (i, line) in rows.enumerate() {
        let best = i == 0 && a.recommended().is_some();
        let _ = write!(h, "<tr{}>", if best { " class=\"best\"" } else { "" });
        for c in line.split(',') {
            let _ = write!(h, "<td>{}</td>", esc(c));
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</table>\n</div>");
    let _ = writeln!(h, "<h2 id=\"constraints\">Constraints</h2>\n<ul>");
    for c in &spec.constraints {
        let b = match c.bound {
            Bound::Max(x) => format!("at most {x}"),
            Bound::Min(x) => format!("at least {x}"),
        };
        let held = a
            .ranked
            .iter()
            .filter(|v| {
                v.constraints
                    .iter()
                    .zip(&spec.constraints)
                    .any(|((_, s), k)| std::ptr::eq(k, c) && *s == Status::Holds)
            })
            .count();
        let _ = writeln!(
            h,
            "<li><code>{}</code> {b}: holds for {held} of {} candidates</li>",
            esc(&c.measure.name),
            a.ranked.len()
        );
    }
    let _ = writeln!(h, "</ul>\n</body>\n</html>");
    Ok(h)
}
