//! One row per node × dialog state, for `dialogs.csv` (kept only when asked for).

use crate::engine::{SimDuration, SimTime};
use crate::net::NodeId;
use crate::sip::{CallRef, FreeCause};

use super::metrics::NodeClass;

/// One row of `dialogs.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct DialogRow {
    /// The workload call.
    pub call: CallRef,
    /// The node that held the state.
    pub node: NodeId,
    /// The node's class, for per-class statistics.
    pub class: NodeClass,
    /// When it created the state.
    pub created: SimTime,
    /// When the call became dead, if it did.
    pub dead: Option<SimTime>,
    /// When the node freed the state (`None`: still held at the horizon).
    pub freed: Option<SimTime>,
    /// Why (`None` while held).
    pub cause: Option<FreeCause>,
}

impl DialogRow {
    /// The row's reclaim-latency sample, by the rule the class statistics use:
    /// freed − dead for a dead call's state its node freed itself (not lost
    /// in the node's own crash), freed at or after the death.
    pub fn reclaim_latency(&self) -> Option<SimDuration> {
        if self.cause == Some(FreeCause::Crash) {
            return None;
        }
        self.freed?.duration_since(self.dead?).ok()
    }
}

/// Whether a run keeps one row per node × dialog state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogRows {
    /// Keep them (`sstsim run MODEL --dialogs FILE`): memory grows with the run.
    Keep,
    /// Do not (sweeps): memory follows concurrency.
    Skip,
}

/// The rows of a run, if kept.
#[derive(Debug, Default)]
pub(super) struct Rows(Option<Vec<DialogRow>>);

impl Rows {
    pub(super) fn new(keep: DialogRows) -> Self {
        Rows((keep == DialogRows::Keep).then(Vec::new))
    }

    /// Adds a row (a no-op when rows are not kept).
    pub(super) fn push(&mut self, row: impl FnOnce() -> DialogRow) {
        if let Some(rows) = &mut self.0 {
            rows.push(row());
        }
    }

    /// The rows by call, node and creation time (stable: ties keep their order).
    pub(super) fn into_sorted(self) -> Option<Vec<DialogRow>> {
        let mut rows = self.0?;
        rows.sort_by_key(|r| (r.call, r.node, r.created));
        Some(rows)
    }
}
