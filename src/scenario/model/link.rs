//! `[[link]]` tables: the links between nodes, their delay, jitter, loss
//! model and scheduled outages.

use crate::engine::{SimDuration, SimTime};
use crate::keyword::keywords;
use crate::net::{
    Direction, LinkConfig, LinkId, LossModel, LossWindow, MAX_LINKS, NodeId, Probability,
};

use super::super::doc::{Errors, Fields, Item, Value, array, keyword, string};
use super::super::error::InputError;
use super::{Names, probability, seconds, valid_id};

const LINK_KEYS: &[&str] = &[
    "name",
    "group",
    "between",
    "delay_ms",
    "jitter_ms",
    "loss",
    "loss_toward",
    "outages",
];

/// A loss table's `model`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LossKind {
    Bernoulli,
    GilbertElliott,
}

keywords!(LossKind {
    "bernoulli" => LossKind::Bernoulli,
    "gilbert_elliott" => LossKind::GilbertElliott,
});

/// Longest link delay or jitter: 10^7 ms keeps routing costs (ns · 1024
/// per link) far from overflow.
const MAX_DELAY_MS: f64 = 1e7;

fn millis(item: &Item, path: &str, errs: &mut Errors) -> Option<SimDuration> {
    let ms = super::super::doc::number(
        item,
        path,
        0.0,
        MAX_DELAY_MS,
        "a time in milliseconds",
        errs,
    )?;
    SimDuration::from_secs_f64(ms / 1e3).ok()
}

/// `loss_toward = { <end> = <loss>, ... }`: a direction's own loss,
/// named by the node it travels toward.
fn read_loss_toward(
    item: &Item,
    path: &str,
    (a, b): (NodeId, NodeId),
    node_names: &[String],
    errs: &mut Errors,
) -> [Option<LossModel>; 2] {
    let mut out = [None, None];
    let Some(mut f) = Fields::of(item, path, errs) else {
        return out;
    };
    for e in f.all() {
        let p = format!("{path}.{}", e.key);
        let dir = if e.key == node_names[b.index()] {
            Direction::AtoB
        } else if e.key == node_names[a.index()] {
            Direction::BtoA
        } else {
            errs.push(InputError::at(
                &e.key_loc,
                &p,
                format!(
                    "\"{}\" is not an end of this link: name \"{}\" or \"{}\", the node the packets travel toward",
                    e.key,
                    node_names[a.index()],
                    node_names[b.index()]
                ),
            ));
            continue;
        };
        out[dir.index()] = read_loss(&e.item, &p, errs);
    }
    out
}

/// A loss probability, or a `{ model = ... }` table.
pub(super) fn read_loss(item: &Item, path: &str, errs: &mut Errors) -> Option<LossModel> {
    if !matches!(item.value, Value::Table(_)) {
        return probability(item, path, errs).map(LossModel::Bernoulli);
    }
    let mut f = Fields::of(item, path, errs)?;
    let model = f
        .entry("model")
        .and_then(|(m, mp)| keyword::<LossKind>(m, &mp, errs));
    let p = |f: &mut Fields, key: &str, default: Option<f64>, errs: &mut Errors| match default {
        None => f
            .require(key, errs)
            .and_then(|(x, path)| probability(x, &path, errs)),
        Some(d) => match f.entry(key) {
            Some((x, path)) => probability(x, &path, errs),
            None => Probability::new(d),
        },
    };
    let loss = match model {
        Some(LossKind::Bernoulli) => {
            let x = p(&mut f, "p", None, errs);
            f.finish(&["model", "p"], errs);
            LossModel::Bernoulli(x?)
        }
        Some(LossKind::GilbertElliott) => {
            let g2b = p(&mut f, "p_good_to_bad", None, errs);
            let b2g = p(&mut f, "p_bad_to_good", None, errs);
            let lg = p(&mut f, "loss_good", Some(0.0), errs);
            let lb = p(&mut f, "loss_bad", Some(1.0), errs);
            f.finish(
                &[
                    "model",
                    "p_good_to_bad",
                    "p_bad_to_good",
                    "loss_good",
                    "loss_bad",
                ],
                errs,
            );
            LossModel::GilbertElliott {
                p_good_to_bad: g2b?,
                p_bad_to_good: b2g?,
                loss_good: lg?,
                loss_bad: lb?,
            }
        }
        None => {
            if f.get("model").is_none() {
                errs.push(InputError::at(
                    &item.loc,
                    path,
                    "a loss table needs model = \"bernoulli\" or \"gilbert_elliott\"",
                ));
            }
            return None;
        }
    };
    Some(loss)
}

/// Reads every `[[link]]`; registers their names and ends in `names`.
pub(super) fn read_links(item: &Item, names: &mut Names, errs: &mut Errors) -> Vec<LinkConfig> {
    let Value::Array(xs) = &item.value else {
        errs.push(InputError::at(
            &item.loc,
            "link",
            "expected [[link]] tables",
        ));
        return Vec::new();
    };
    if let Some(x) = xs.get(MAX_LINKS) {
        errs.push(InputError::at(
            &x.loc,
            format!("link[{MAX_LINKS}]"),
            format!(
                "{} [[link]] tables: a model may have at most {MAX_LINKS} links",
                xs.len()
            ),
        ));
        return Vec::new();
    }
    // Names by node index, for default link names.
    let mut node_names = vec![String::new(); names.kinds.len()];
    for (k, v) in &names.nodes {
        node_names[v.index()] = k.clone();
    }
    let mut links = Vec::new();
    for (i, x) in xs.iter().enumerate() {
        let Some(mut f) = Fields::of(x, &format!("link[{i}]"), errs) else {
            continue;
        };
        let ends = f.get("between").and_then(|b| {
            let p = format!("link[{i}].between");
            let ends = array(b, &p, errs, |y, q, e| names.node(y, q, e))?;
            if ends.len() != 2 || ends[0] == ends[1] {
                let found = match &ends[..] {
                    [a, b] if a == b => {
                        format!("a link from \"{}\" to itself", node_names[a.index()])
                    }
                    _ => format!("{} node ids", ends.len()),
                };
                errs.push(InputError::at(
                    &b.loc,
                    &p,
                    format!("{found}: expected two different node ids, e.g. [\"alice\", \"p1\"]"),
                ));
                return None;
            }
            Some((ends[0], ends[1]))
        });
        if ends.is_none() && f.get("between").is_none() {
            errs.push(InputError::at(
                &x.loc,
                format!("link[{i}]"),
                "missing key `between = [node, node]`",
            ));
        }
        let node_name = |n: NodeId| node_names[n.index()].clone();
        let default_name = ends.map(|(a, b)| format!("{}-{}", node_name(a), node_name(b)));
        let name = match f.get("name") {
            Some(n) => match string(n, &format!("link[{i}].name"), errs) {
                Some(s) if valid_id(&s) => Some(s),
                Some(_) => {
                    errs.push(InputError::at(
                        &n.loc,
                        format!("link[{i}].name"),
                        "link names use letters, digits, '_' and '-' only",
                    ));
                    default_name
                }
                None => default_name,
            },
            None => default_name,
        };
        let path = name
            .as_ref()
            .map_or_else(|| format!("link[{i}]"), |n| format!("link.{n}"));
        let name = name.unwrap_or_else(|| format!("#{i}"));
        if names.links.contains_key(&name) {
            errs.push(InputError::at(
                &x.loc,
                &path,
                format!("duplicate link name \"{name}\"; set `name` to tell parallel links apart"),
            ));
        }
        // A link group only names links together for experiments (`link.<group>.<key>`).
        if let Some(g) = f.get("group") {
            let p = format!("{path}.group");
            if string(g, &p, errs).is_some_and(|s| !valid_id(&s)) {
                errs.push(InputError::at(
                    &g.loc,
                    p,
                    "link groups use letters, digits, '_' and '-' only",
                ));
            }
        }
        let delay = f
            .get("delay_ms")
            .and_then(|d| millis(d, &format!("{path}.delay_ms"), errs))
            .unwrap_or(SimDuration::ZERO);
        let jitter = f
            .get("jitter_ms")
            .and_then(|d| millis(d, &format!("{path}.jitter_ms"), errs))
            .unwrap_or(SimDuration::ZERO);
        let loss = match f.get("loss") {
            Some(l) => read_loss(l, &format!("{path}.loss"), errs),
            None => Some(LossModel::Bernoulli(Probability::ZERO)),
        };
        let outages = f
            .get("outages")
            .and_then(|o| {
                array(o, &format!("{path}.outages"), errs, |w, p, e| {
                    let pair = array(w, p, e, seconds)?;
                    if pair.len() != 2 || pair[0] >= pair[1] {
                        e.push(InputError::at(
                            &w.loc,
                            p,
                            "expected [start_s, end_s] with start_s < end_s",
                        ));
                        return None;
                    }
                    Some(LossWindow {
                        from: SimTime::from_nanos(pair[0].as_nanos()),
                        to: SimTime::from_nanos(pair[1].as_nanos()),
                        loss: None,
                        dir: None,
                    })
                })
            })
            .unwrap_or_default();
        let loss_dir = match (f.get("loss_toward"), ends) {
            (Some(t), Some(ends)) => {
                read_loss_toward(t, &format!("{path}.loss_toward"), ends, &node_names, errs)
            }
            _ => [None, None],
        };
        f.finish(LINK_KEYS, errs);
        if let (Some((a, b)), Some(loss)) = (ends, loss) {
            names.links.insert(name, LinkId(links.len() as u32));
            names.link_pairs.push((a, b));
            links.push(LinkConfig {
                a,
                b,
                delay,
                jitter,
                loss,
                loss_dir,
                windows: outages,
            });
        }
    }
    links
}
