//! Fault descriptions from model files. They are parsed and validated now;
//! the injector that drives them arrives with the fault-injection stage.

use crate::engine::{SimDuration, SimTime};
use crate::net::{LinkId, NodeId, Probability};

/// Which BYEs a `drop_bye` fault swallows.
#[derive(Debug, Clone, PartialEq)]
pub enum ByeSelection {
    /// These workload call numbers.
    Calls(Vec<u32>),
    /// Each call independently with this probability.
    Probability(Probability),
}

/// A scheduled fault.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultSpec {
    /// A node stops silently at `at`; optionally restarts with its state lost.
    Crash {
        /// The node.
        node: NodeId,
        /// When.
        at: SimTime,
        /// Restart this long after the crash.
        restart_after: Option<SimDuration>,
    },
    /// A link loses everything during `[from, to)`.
    LinkDown {
        /// The link.
        link: LinkId,
        /// Start.
        from: SimTime,
        /// End.
        to: SimTime,
    },
    /// A link's loss probability is raised during `[from, to)`.
    LossBurst {
        /// The link.
        link: LinkId,
        /// Start.
        from: SimTime,
        /// End.
        to: SimTime,
        /// Loss probability meanwhile.
        loss: Probability,
    },
    /// The BYE of selected calls (and every retransmission) is lost on one link.
    DropBye {
        /// The link.
        link: LinkId,
        /// Which calls.
        calls: ByeSelection,
    },
}

use crate::engine::Scheduler;
use crate::sip::CallRef;

use super::world::{Event, State, new_role};

impl State {
    /// `call_crash`: when the caller's state appears (the answer), the crash is
    /// scheduled at a uniform time inside the holding time.
    pub(super) fn schedule_call_crash(
        &mut self,
        sched: &mut Scheduler<Event>,
        call: CallRef,
        node: NodeId,
    ) {
        let Some(track) = self.probes.calls.get_mut(&call) else {
            return;
        };
        if node != track.caller {
            return;
        }
        let Some((victim, fraction)) = track.crash.take() else {
            return;
        };
        let after = SimDuration::from_nanos((track.holding.as_nanos() as f64 * fraction) as u64);
        sched
            .schedule_in(after, Event::CallCrash { call, node: victim })
            .expect("crash time is within the horizon range");
    }

    /// One endpoint of a call dies silently: its dialog and transactions
    /// vanish (no BYE), and messages for the call arriving there are lost.
    pub(super) fn crash_call(&mut self, sched: &mut Scheduler<Event>, call: CallRef, node: NodeId) {
        let now = sched.now();
        if !self.probes.calls.contains_key(&call) {
            return; // the call already ended
        }
        self.probes.mark_dead(call, now);
        if let Some(track) = self.probes.calls.get_mut(&call) {
            track.dead_endpoint = Some(node);
        }
        for state in self.probes.states_of(node, call) {
            self.probes.crash_state(now, call, node, state);
            self.with_ctx(sched, node, |role, ctx| role.forget(ctx, state));
        }
    }

    /// A node crashes: every state it held is lost (cause `crash`), every
    /// call it was an endpoint of is dead from now, its timers stop, and it
    /// stays silent until a restart brings it back empty.
    pub(super) fn crash_node(&mut self, sched: &mut Scheduler<Event>, node: NodeId) {
        let now = sched.now();
        let endpoint = self.probes.class(node).is_endpoint();
        for call in self.probes.crash_node(now, node) {
            if endpoint {
                self.probes.mark_dead(call, now);
            }
        }
        let rt = &mut self.nodes[node.index()];
        for table in &mut rt.timers {
            for k in table.iter_mut().filter_map(Option::take) {
                sched.cancel(k);
            }
        }
        rt.role = new_role(node, &self.specs[node.index()].kind);
        rt.up = false;
    }
}
