//! `[[fault]]` tables: node crashes, link outages, loss bursts and
//! swallowed BYEs, scheduled in simulated time.

use crate::engine::SimTime;
use crate::keyword::keywords;
use crate::net::Probability;
use crate::sim::faults::{AnswerFault, ByeSelection, FaultSpec, RequestKinds};
use crate::sip::{ForcedAnswer, StatusCode};

use super::super::doc::{Errors, Fields, Item, array, boolean, integer, keyword};
use super::super::error::InputError;
use super::node::Kind;
use super::{MAX_INTERVAL_S, Names, probability, seconds};

/// A fault's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FaultKind {
    Crash,
    LinkDown,
    LossBurst,
    DropBye,
    Answer,
}

keywords!(FaultKind {
    "crash" => FaultKind::Crash,
    "link_down" => FaultKind::LinkDown,
    "loss_burst" => FaultKind::LossBurst,
    "drop_bye" => FaultKind::DropBye,
    "answer" => FaultKind::Answer,
});

/// A request an `answer` fault can answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RequestKind {
    InitialInvite,
    Reinvite,
    Update,
}

keywords!(RequestKind {
    "initial_invite" => RequestKind::InitialInvite,
    "reinvite" => RequestKind::Reinvite,
    "update" => RequestKind::Update,
});

/// Keys of an `answer` fault.
const ANSWER_KEYS: &[&str] = &[
    "kind",
    "node",
    "requests",
    "status",
    "min_se",
    "retry_after_s",
    "from_s",
    "to_s",
    "probability",
];

pub(super) fn read_fault(
    item: &Item,
    path: &str,
    names: &Names,
    errs: &mut Errors,
) -> Option<FaultSpec> {
    let mut f = Fields::of(item, path, errs)?;
    let kind = match f.entry("kind") {
        Some((k, kp)) => keyword::<FaultKind>(k, &kp, errs)?,
        None => {
            errs.push(InputError::at(
                &item.loc,
                path,
                "missing key `kind` (crash, link_down, loss_burst, drop_bye, answer)",
            ));
            return None;
        }
    };
    let time = |x: Option<(&Item, String)>, errs: &mut Errors| {
        let (i, p) = x?;
        seconds(i, &p, errs).map(|d| SimTime::from_nanos(d.as_nanos()))
    };
    let fault = match kind {
        FaultKind::Crash => {
            let node = f
                .require("node", errs)
                .and_then(|(i, p)| names.node(i, &p, errs));
            let at = time(f.require("at_s", errs), errs);
            let restart = match f.get("restart_after_s") {
                Some(i) => Some(seconds(i, &f.path("restart_after_s"), errs)?),
                None => None,
            };
            let icmp = match f.entry("icmp") {
                Some((i, p)) => boolean(i, &p, errs)?,
                None => false,
            };
            f.finish(&["kind", "node", "at_s", "restart_after_s", "icmp"], errs);
            FaultSpec::Crash {
                node: node?,
                at: at?,
                restart_after: restart,
                icmp,
            }
        }
        FaultKind::LinkDown | FaultKind::LossBurst => {
            let link = f
                .require("link", errs)
                .and_then(|(i, p)| names.link(i, &p, errs));
            let from = time(f.require("from_s", errs), errs);
            let to = time(f.require("to_s", errs), errs);
            if !window_ok(from, to, item, &f, errs) {
                return None;
            }
            // `toward`: a one-way fault, on the packets travelling toward that end.
            let toward = match (f.entry("toward"), link) {
                (Some((i, p)), Some(l)) => {
                    let n = names.node(i, &p, errs)?;
                    let (a, b) = names.link_pairs[l.index()];
                    if n != a && n != b {
                        errs.push(InputError::at(
                            &i.loc,
                            &p,
                            "not an end of this link: name the node at one end, toward which the packets are lost",
                        ));
                        return None;
                    }
                    Some(n)
                }
                _ => None,
            };
            if kind == FaultKind::LinkDown {
                f.finish(&["kind", "link", "from_s", "to_s", "toward"], errs);
                FaultSpec::LinkDown {
                    link: link?,
                    from: from?,
                    to: to?,
                    toward,
                }
            } else {
                let loss = f
                    .require("loss", errs)
                    .and_then(|(i, p)| probability(i, &p, errs));
                f.finish(&["kind", "link", "from_s", "to_s", "loss", "toward"], errs);
                FaultSpec::LossBurst {
                    link: link?,
                    from: from?,
                    to: to?,
                    loss: loss?,
                    toward,
                }
            }
        }
        FaultKind::DropBye => {
            let link = f
                .require("link", errs)
                .and_then(|(i, p)| names.link(i, &p, errs));
            let calls = f.get("calls").map(|i| {
                array(i, &f.path("calls"), errs, |x, p, e| {
                    integer(x, p, 0, u32::MAX as i64, "a call number", e).map(|v| v as u32)
                })
            });
            let prob = f
                .get("probability")
                .map(|i| probability(i, &f.path("probability"), errs));
            f.finish(&["kind", "link", "calls", "probability"], errs);
            let calls = match (calls, prob) {
                (Some(c), None) => ByeSelection::Calls(c?),
                (None, Some(p)) => ByeSelection::Probability(p?),
                _ => {
                    errs.push(InputError::at(
                        &item.loc,
                        path,
                        "give exactly one of `calls = [..]` or `probability`",
                    ));
                    return None;
                }
            };
            FaultSpec::DropBye { link: link?, calls }
        }
        FaultKind::Answer => {
            let a = read_answer(&mut f, item, names, errs);
            f.finish(ANSWER_KEYS, errs);
            FaultSpec::Answer(a?)
        }
    };
    Some(fault)
}

/// Whether a fault's `[from_s, to_s)` window is well formed (says why not).
fn window_ok(
    from: Option<SimTime>,
    to: Option<SimTime>,
    item: &Item,
    f: &Fields,
    errs: &mut Errors,
) -> bool {
    let bad = matches!((from, to), (Some(a), Some(b)) if a >= b);
    if bad {
        errs.push(InputError::at(
            &item.loc,
            f.path("to_s"),
            "to_s must be after from_s",
        ));
    }
    !bad
}

/// An `answer` fault: a UA or B2BUA answers the chosen requests with
/// `status` (400–699) during `[from_s, to_s)` (the whole run by default),
/// each with `probability` (1 by default). A 422 carries `min_se` when
/// given and none otherwise (a broken 422); any status may carry
/// `retry_after_s`.
fn read_answer(
    f: &mut Fields,
    item: &Item,
    names: &Names,
    errs: &mut Errors,
) -> Option<AnswerFault> {
    let node = f.require("node", errs).and_then(|(i, p)| {
        let n = names.node(i, &p, errs)?;
        if names.kinds[n.index()] == Kind::Proxy {
            errs.push(InputError::at(
                &i.loc,
                &p,
                "an answer fault acts on a node of kind \"ua\" or \"b2bua\"",
            ));
            return None;
        }
        Some(n)
    });
    let requests = f.require("requests", errs).and_then(|(i, p)| {
        let list = array(i, &p, errs, keyword::<RequestKind>)?;
        if list.is_empty() {
            errs.push(InputError::at(
                &i.loc,
                &p,
                "name at least one of initial_invite, reinvite, update",
            ));
            return None;
        }
        Some(RequestKinds {
            initial_invite: list.contains(&RequestKind::InitialInvite),
            reinvite: list.contains(&RequestKind::Reinvite),
            update: list.contains(&RequestKind::Update),
        })
    });
    let status = f.require("status", errs).and_then(|(i, p)| {
        integer(i, &p, 400, 699, "a final error status (400–699)", errs)
            .map(|v| StatusCode(v as u16))
    });
    let secs = |key: &str, f: &mut Fields, errs: &mut Errors| {
        f.entry(key).map(|(i, p)| {
            integer(
                i,
                &p,
                0,
                MAX_INTERVAL_S,
                "an integer number of seconds",
                errs,
            )
            .map(|v| v as u32)
        })
    };
    let min_se = secs("min_se", f, errs);
    let retry_after_s = secs("retry_after_s", f, errs);
    if min_se.is_some() && status.is_some_and(|s| s.0 != 422) {
        errs.push(InputError::at(
            &item.loc,
            f.path("min_se"),
            "min_se goes with status = 422 only",
        ));
        return None;
    }
    let time = |key: &str, f: &mut Fields, errs: &mut Errors| {
        f.entry(key)
            .map(|(i, p)| seconds(i, &p, errs).map(|d| SimTime::from_nanos(d.as_nanos())))
    };
    let from = time("from_s", f, errs).unwrap_or(Some(SimTime::ZERO));
    let to = time("to_s", f, errs).unwrap_or(Some(SimTime::MAX));
    if !window_ok(from, to, item, f, errs) {
        return None;
    }
    let probability = match f.entry("probability") {
        Some((i, p)) => probability(i, &p, errs),
        None => Probability::new(1.0),
    };
    Some(AnswerFault {
        node: node?,
        requests: requests?,
        answer: ForcedAnswer {
            status: status?,
            min_se: min_se.flatten(),
            retry_after_s: retry_after_s.flatten(),
        },
        from: from?,
        to: to?,
        probability: probability?,
    })
}
