//! The calls in progress, as the world knows them: which node holds dialog
//! state for which call since when, and whether the caller is done with it.
//!
//! A call is over when its caller is done (its dialog ended, its INVITE
//! failed, or it never started) and no node holds state for it. The world
//! tells its observers (probes) and the fault layer when that happens; both
//! drop what they keep for the call then. State created for a call that is
//! already over is not tracked: it belongs to no call in progress.
//!
//! Calls sit in an `FxHashMap` with a fixed hasher. It is iterated only
//! after sorting by call, so nothing depends on its order.

use rustc_hash::FxHashMap;

use crate::engine::SimTime;
use crate::net::NodeId;
use crate::sip::{CallRef, StateId};

/// One dialog state a node holds for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Held {
    /// The node holding it.
    pub(super) node: NodeId,
    /// The node-local id of its state.
    pub(super) state: StateId,
    /// When the node created it.
    pub(super) created: SimTime,
}

#[derive(Debug, Clone)]
struct LiveCall {
    caller: NodeId,
    caller_done: bool,
    states: Vec<Held>,
}

/// What freeing a state found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Freed {
    /// When the node had created the state.
    pub(super) created: SimTime,
    /// The call is over with this state gone.
    pub(super) call_over: bool,
}

/// The calls in progress.
#[derive(Debug, Default)]
pub(super) struct LiveCalls {
    calls: FxHashMap<CallRef, LiveCall>,
}

impl LiveCalls {
    /// The workload starts `call` at `caller`.
    pub(super) fn start(&mut self, call: CallRef, caller: NodeId) {
        self.calls.insert(
            call,
            LiveCall {
                caller,
                caller_done: false,
                states: Vec::new(),
            },
        );
    }

    /// True while the call is in progress.
    pub(super) fn is_live(&self, call: CallRef) -> bool {
        self.calls.contains_key(&call)
    }

    /// `node` created state for `call`; ignored for a call that is over.
    pub(super) fn created(&mut self, call: CallRef, node: NodeId, state: StateId, now: SimTime) {
        if let Some(c) = self.calls.get_mut(&call) {
            c.states.push(Held {
                node,
                state,
                created: now,
            });
        }
    }

    /// `node` freed `state` of `call` (the caller's dialog ending makes the
    /// caller done); `None` if the state was not tracked.
    pub(super) fn freed(&mut self, call: CallRef, node: NodeId, state: StateId) -> Option<Freed> {
        let c = self.calls.get_mut(&call)?;
        let i = c
            .states
            .iter()
            .position(|h| h.node == node && h.state == state)?;
        let created = c.states.swap_remove(i).created;
        if node == c.caller {
            c.caller_done = true;
        }
        Some(Freed {
            created,
            call_over: self.close_if_over(call),
        })
    }

    /// The caller will not hold state for `call` any more (its INVITE
    /// failed, or it was down when the call should start); returns whether
    /// the call is over.
    pub(super) fn caller_done(&mut self, call: CallRef) -> bool {
        match self.calls.get_mut(&call) {
            Some(c) => {
                c.caller_done = true;
                self.close_if_over(call)
            }
            None => false,
        }
    }

    /// True if `node` is the caller of live `call`.
    pub(super) fn is_caller(&self, call: CallRef, node: NodeId) -> bool {
        self.calls.get(&call).is_some_and(|c| c.caller == node)
    }

    fn close_if_over(&mut self, call: CallRef) -> bool {
        let over = self
            .calls
            .get(&call)
            .is_some_and(|c| c.caller_done && c.states.is_empty());
        if over {
            self.calls.remove(&call);
        }
        over
    }

    /// The states `node` holds for `call`, in the order they are kept.
    pub(super) fn states_at(&self, call: CallRef, node: NodeId) -> Vec<StateId> {
        self.calls.get(&call).map_or_else(Vec::new, |c| {
            c.states
                .iter()
                .filter(|h| h.node == node)
                .map(|h| h.state)
                .collect()
        })
    }

    /// Every state `node` holds, by call and state id.
    pub(super) fn held_at(&self, node: NodeId) -> Vec<(CallRef, StateId)> {
        let mut held: Vec<(CallRef, StateId)> = self
            .calls
            .iter()
            .flat_map(|(&call, c)| {
                c.states
                    .iter()
                    .filter(|h| h.node == node)
                    .map(move |h| (call, h.state))
            })
            .collect();
        held.sort_unstable();
        held
    }

    /// The calls still in progress, by call, with the states held for them.
    pub(super) fn into_sorted(self) -> Vec<(CallRef, Vec<Held>)> {
        let mut calls: Vec<(CallRef, Vec<Held>)> = self
            .calls
            .into_iter()
            .map(|(call, c)| (call, c.states))
            .collect();
        calls.sort_unstable_by_key(|(call, _)| *call);
        calls
    }

    /// Calls in progress.
    pub(super) fn len(&self) -> usize {
        self.calls.len()
    }
}
