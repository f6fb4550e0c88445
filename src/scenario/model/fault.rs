//! `[[fault]]` tables: node crashes, link outages, loss bursts and
//! swallowed BYEs, scheduled in simulated time.

use crate::engine::SimTime;
use crate::keyword::keywords;
use crate::sim::faults::{ByeSelection, FaultSpec};

use super::super::doc::{Errors, Fields, Item, array, integer, keyword};
use super::super::error::InputError;
use super::{Names, probability, seconds};

/// A fault's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FaultKind {
    Crash,
    LinkDown,
    LossBurst,
    DropBye,
}

keywords!(FaultKind {
    "crash" => FaultKind::Crash,
    "link_down" => FaultKind::LinkDown,
    "loss_burst" => FaultKind::LossBurst,
    "drop_bye" => FaultKind::DropBye,
});

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
                "missing key `kind` (crash, link_down, loss_burst, drop_bye)",
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
            f.finish(&["kind", "node", "at_s", "restart_after_s"], errs);
            FaultSpec::Crash {
                node: node?,
                at: at?,
                restart_after: restart,
            }
        }
        FaultKind::LinkDown | FaultKind::LossBurst => {
            let link = f
                .require("link", errs)
                .and_then(|(i, p)| names.link(i, &p, errs));
            let from = time(f.require("from_s", errs), errs);
            let to = time(f.require("to_s", errs), errs);
            if let (Some(a), Some(b)) = (from, to)
                && a >= b
            {
                errs.push(InputError::at(
                    &item.loc,
                    f.path("to_s"),
                    "to_s must be after from_s",
                ));
                return None;
            }
            if kind == FaultKind::LinkDown {
                f.finish(&["kind", "link", "from_s", "to_s"], errs);
                FaultSpec::LinkDown {
                    link: link?,
                    from: from?,
                    to: to?,
                }
            } else {
                let loss = f
                    .require("loss", errs)
                    .and_then(|(i, p)| probability(i, &p, errs));
                f.finish(&["kind", "link", "from_s", "to_s", "loss"], errs);
                FaultSpec::LossBurst {
                    link: link?,
                    from: from?,
                    to: to?,
                    loss: loss?,
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
    };
    Some(fault)
}
