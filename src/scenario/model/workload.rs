//! `[workload]`: the horizon, how calls arrive, how long they hold, who
//! calls whom, and the `call_crash` fault.

use crate::engine::{SimDuration, SimTime};
use crate::keyword::keywords;
use crate::net::NodeId;
use crate::sim::workload::{ReinviteBy, ReinviteTiming, Reinvites};
use crate::sim::{Arrivals, CallCrash, CrashSide, Holding, Pairs, WorkloadSpec};
use crate::sip::ua::ReinviteParam;

use super::super::doc::{Errors, Fields, Item, Value, array, integer, keyword, number, string};
use super::super::error::{InputError, Loc, did_you_mean};
use super::node::Kind;
use super::{Names, probability, seconds};

const WORKLOAD_KEYS: &[&str] = &[
    "horizon_s",
    "calls",
    "start_s",
    "interval_s",
    "spread_s",
    "rate_per_s",
    "holding_s",
    "caller",
    "callee",
    "pairs",
    "caller_group",
    "callee_group",
    "call_crash",
    "arrivals_until_s",
    "reinvites",
];

/// The workload and where its pairs were written (for route errors).
pub(super) type ReadWorkload = (WorkloadSpec, Loc);

/// A holding-time table's `model`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HoldingKind {
    Fixed,
    Exponential,
    LogNormal,
}

keywords!(HoldingKind {
    "fixed" => HoldingKind::Fixed,
    "exponential" => HoldingKind::Exponential,
    "lognormal" => HoldingKind::LogNormal,
});

/// Most calls a workload may place.
const MAX_CALLS: i64 = 100_000_000;

fn read_holding(item: &Item, path: &str, errs: &mut Errors) -> Option<Holding> {
    if !matches!(item.value, Value::Table(_)) {
        return seconds(item, path, errs).map(Holding::Fixed);
    }
    let mut f = Fields::of(item, path, errs)?;
    let (m, mp) = f.require("model", errs)?;
    let h = match keyword::<HoldingKind>(m, &mp, errs)? {
        HoldingKind::Fixed => {
            let s = f.require("s", errs).and_then(|(i, p)| seconds(i, &p, errs));
            f.finish(&["model", "s"], errs);
            Holding::Fixed(s?)
        }
        HoldingKind::Exponential => {
            let mean = f
                .require("mean_s", errs)
                .and_then(|(i, p)| seconds(i, &p, errs));
            f.finish(&["model", "mean_s"], errs);
            Holding::Exponential { mean: mean? }
        }
        HoldingKind::LogNormal => {
            let median = f
                .require("median_s", errs)
                .and_then(|(i, p)| seconds(i, &p, errs));
            let sigma = f
                .require("sigma", errs)
                .and_then(|(i, p)| number(i, &p, 0.0, 10.0, "a lognormal shape (sigma)", errs));
            f.finish(&["model", "median_s", "sigma"], errs);
            Holding::LogNormal {
                median: median?,
                sigma: sigma?,
            }
        }
    };
    Some(h)
}

/// `reinvites = { at_s = [..] | rate_per_h, by, refresher }`: mid-call
/// re-INVITEs of every call.
fn read_reinvites(item: &Item, path: &str, errs: &mut Errors) -> Option<Reinvites> {
    let mut f = Fields::of(item, path, errs)?;
    let at = f.entry("at_s");
    let rate = f.entry("rate_per_h");
    let timing = match (at, rate) {
        (Some((i, p)), None) => {
            let list = match &i.value {
                Value::Array(_) => array(i, &p, errs, seconds)?,
                _ => vec![seconds(i, &p, errs)?],
            };
            Some(ReinviteTiming::At(list))
        }
        (None, Some((i, p))) => number(i, &p, 1e-6, 3600.0, "re-INVITEs per hour of call", errs)
            .map(|r| ReinviteTiming::Rate(r / 3600.0)),
        _ => {
            errs.push(InputError::at(
                &item.loc,
                path,
                "give exactly one of at_s (seconds after the answer, or a list) and rate_per_h",
            ));
            None
        }
    };
    let by = f.entry("by").map_or(Some(ReinviteBy::Caller), |(i, p)| {
        keyword::<ReinviteBy>(i, &p, errs)
    });
    let param = f
        .entry("refresher")
        .map_or(Some(ReinviteParam::Current), |(i, p)| {
            keyword::<ReinviteParam>(i, &p, errs)
        });
    f.finish(&["at_s", "rate_per_h", "by", "refresher"], errs);
    Some(Reinvites {
        timing: timing?,
        by: by?,
        param: param?,
    })
}

pub(super) fn read_workload(item: &Item, names: &Names, errs: &mut Errors) -> Option<ReadWorkload> {
    let mut f = Fields::of(item, "workload", errs)?;
    let horizon = f
        .require("horizon_s", errs)
        .and_then(|(i, p)| seconds(i, &p, errs));
    let to_time = |d: SimDuration| SimTime::from_nanos(d.as_nanos());
    let start = f
        .entry("start_s")
        .map_or(Some(SimDuration::ZERO), |(i, p)| seconds(i, &p, errs))
        .map(to_time);
    // The drain phase: calls stop starting here; the run goes on until no
    // call is in progress, at most until the horizon.
    let arrivals_until = f
        .entry("arrivals_until_s")
        .map(|(i, p)| seconds(i, &p, errs).map(to_time));
    let calls = f
        .entry("calls")
        .map(|(i, p)| integer(i, &p, 0, MAX_CALLS, "a number of calls", errs).map(|c| c as u32));
    let interval = f.entry("interval_s");
    let spread = f.entry("spread_s");
    let rate = f.entry("rate_per_s");
    let arrivals = match (interval, spread, rate) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
            errs.push(InputError::at(
                &item.loc,
                "workload",
                "give one arrival pattern: interval_s (regular), spread_s (uniform over a window) or rate_per_s (Poisson)",
            ));
            None
        }
        (_, _, Some((i, p))) => {
            number(i, &p, 1e-9, 1e9, "a rate in calls per second", errs).map(|r| {
                Arrivals::Poisson {
                    rate_per_s: r,
                    start: start.unwrap_or_default(),
                    max_calls: calls.flatten(),
                }
            })
        }
        (_, Some((i, p)), _) => seconds(i, &p, errs).map(|over| Arrivals::Spread {
            calls: calls.flatten().unwrap_or(1),
            start: start.unwrap_or_default(),
            over,
        }),
        (Some((i, p)), _, _) => seconds(i, &p, errs).map(|interval| Arrivals::Regular {
            calls: calls.flatten().unwrap_or(1),
            start: start.unwrap_or_default(),
            interval,
        }),
        (None, None, None) => Some(Arrivals::Regular {
            calls: calls.flatten().unwrap_or(1),
            start: start.unwrap_or_default(),
            interval: SimDuration::ZERO,
        }),
    };
    let holding = f.entry("holding_s").map_or(
        Some(Holding::Fixed(SimDuration::from_secs(60))),
        |(i, p)| read_holding(i, &p, errs),
    );
    let pairs = read_pairs(&mut f, item, names, errs);
    let call_crash = f.entry("call_crash").and_then(|(i, p)| {
        let mut cf = Fields::of(i, &p, errs)?;
        let probability = cf
            .require("probability", errs)
            .and_then(|(x, q)| probability(x, &q, errs));
        let side = cf.entry("side").map_or(Some(CrashSide::Either), |(x, q)| {
            keyword::<CrashSide>(x, &q, errs)
        });
        cf.finish(&["probability", "side"], errs);
        Some(CallCrash {
            probability: probability?,
            side: side?,
        })
    });
    let reinvites = f
        .entry("reinvites")
        .map(|(i, p)| read_reinvites(i, &p, errs));
    f.finish(WORKLOAD_KEYS, errs);
    let (pairs, loc) = pairs?;
    Some((
        WorkloadSpec {
            arrivals: arrivals?,
            holding: holding?,
            pairs,
            call_crash,
            reinvites: match reinvites {
                Some(r) => Some(r?),
                None => None,
            },
            arrivals_until: match arrivals_until {
                Some(u) => Some(u?),
                None => None,
            },
            horizon: to_time(horizon?),
        },
        loc,
    ))
}

/// `caller`/`callee`, `pairs = [[a, b], …]`, or `caller_group`/`callee_group`.
fn read_pairs(
    f: &mut Fields,
    item: &Item,
    names: &Names,
    errs: &mut Errors,
) -> Option<(Pairs, Loc)> {
    let single = (f.entry("caller"), f.entry("callee"));
    let list = f.entry("pairs");
    let groups = (f.entry("caller_group"), f.entry("callee_group"));
    let forms = usize::from(single.0.is_some() || single.1.is_some())
        + usize::from(list.is_some())
        + usize::from(groups.0.is_some() || groups.1.is_some());
    if forms != 1 {
        errs.push(InputError::at(
            &item.loc,
            "workload",
            "say who calls whom with exactly one of: caller + callee, pairs = [[caller, callee], …], or caller_group + callee_group",
        ));
        return None;
    }
    let ua = |id: NodeId, loc: &Loc, path: &str, errs: &mut Errors| {
        if names.kinds[id.index()] != Kind::Ua {
            errs.push(InputError::at(
                loc,
                path,
                "calls start and end at nodes of kind \"ua\"",
            ));
        }
    };
    let pair = |a: (&Item, String), b: (&Item, String), errs: &mut Errors| {
        let x = names.node(a.0, &a.1, errs)?;
        let y = names.node(b.0, &b.1, errs)?;
        ua(x, &a.0.loc, &a.1, errs);
        ua(y, &b.0.loc, &b.1, errs);
        if x == y {
            errs.push(InputError::at(
                &b.0.loc,
                &b.1,
                "the callee must differ from the caller",
            ));
            return None;
        }
        Some((x, y))
    };
    if let (Some(a), Some(b)) = single.clone() {
        let loc = a.0.loc.clone();
        return pair(a, b, errs).map(|p| (Pairs::List(vec![p]), loc));
    }
    if single.0.is_some() || single.1.is_some() {
        errs.push(InputError::at(
            &item.loc,
            "workload",
            "caller and callee go together",
        ));
        return None;
    }
    if let Some((i, p)) = list {
        let pairs = array(i, &p, errs, |x, q, e| {
            let Value::Array(two) = &x.value else {
                e.push(InputError::at(&x.loc, q, "expected [caller, callee]"));
                return None;
            };
            if two.len() != 2 {
                e.push(InputError::at(&x.loc, q, "expected [caller, callee]"));
                return None;
            }
            pair(
                (&two[0], format!("{q}[0]")),
                (&two[1], format!("{q}[1]")),
                e,
            )
        })?;
        if pairs.is_empty() {
            errs.push(InputError::at(&i.loc, &p, "at least one pair is needed"));
            return None;
        }
        return Some((Pairs::List(pairs), i.loc.clone()));
    }
    let (Some((ci, cp)), Some((ei, ep))) = groups else {
        errs.push(InputError::at(
            &item.loc,
            "workload",
            "caller_group and callee_group go together",
        ));
        return None;
    };
    let group = |x: &Item, path: &str, errs: &mut Errors| -> Option<Vec<NodeId>> {
        let g = string(x, path, errs)?;
        match names.groups.get(&g) {
            Some(members) => Some(members.clone()),
            None => {
                errs.push(
                    InputError::at(&x.loc, path, format!("no UA has group = \"{g}\""))
                        .with_hint(did_you_mean(&g, names.groups.keys().map(String::as_str))),
                );
                None
            }
        }
    };
    let callers = group(ci, &cp, errs)?;
    let callees = group(ei, &ep, errs)?;
    if callers.len() == 1 && callees == callers {
        errs.push(InputError::at(
            &ei.loc,
            &ep,
            "a group of one UA cannot call itself",
        ));
        return None;
    }
    Some((Pairs::Groups { callers, callees }, ci.loc.clone()))
}
