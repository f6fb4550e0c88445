//! Faults: what a model schedules to go wrong, and the state the world keeps
//! to make it go wrong. All fault state lives here, owned by the world;
//! measurement never holds or decides any of it.
//!
//! - Node crashes and restarts are scheduled world events.
//! - Link outages and loss bursts become windows in the links' own
//!   configuration when the world is built.
//! - `call_crash` kills one endpoint of a call at a planned fraction of its
//!   holding time after the caller's dialog is established; from then on
//!   every message of that call arriving at the dead endpoint is lost.
//! - `drop_bye` swallows the BYE of selected calls, and every
//!   retransmission of it, on one link.
//! - `answer` makes a node answer chosen requests with a chosen status, in
//!   a window, each with a probability (a misbehaving peer); the node's
//!   role builds the response, so its transactions stay correct.
//!
//! A call's marks (dead endpoint, `drop_bye` selection) live while the call
//! is in progress, and for 64·T1 + T4 after it is over, the longest any of
//! its transactions can still be sending: a dead endpoint stays silent and a
//! swallowed BYE stays swallowed, retransmissions included.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use crate::engine::{SimDuration, SimRng, SimTime};
use crate::net::{LinkId, NodeId, Probability};
use crate::sip::{CallRef, ForcedAnswer, Message, Method};

use super::workload::CallPlan;

/// Which BYEs a `drop_bye` fault swallows.
#[derive(Debug, Clone, PartialEq)]
pub enum ByeSelection {
    /// These workload call numbers.
    Calls(Vec<u32>),
    /// Each call independently with this probability.
    Probability(Probability),
}

/// Which requests an `answer` fault answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestKinds {
    /// Initial INVITEs (no To tag).
    pub initial_invite: bool,
    /// re-INVITEs (in a dialog).
    pub reinvite: bool,
    /// UPDATEs.
    pub update: bool,
}

impl RequestKinds {
    /// Whether `msg` is one of these requests.
    pub fn matches(&self, msg: &Message) -> bool {
        match msg.method() {
            Some(Method::Invite) if msg.to_tag.is_none() => self.initial_invite,
            Some(Method::Invite) => self.reinvite,
            Some(Method::Update) => self.update,
            _ => false,
        }
    }
}

/// A node answers chosen requests with a chosen status.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnswerFault {
    /// The node that misbehaves.
    pub node: NodeId,
    /// The requests it answers so.
    pub requests: RequestKinds,
    /// The answer.
    pub answer: ForcedAnswer,
    /// When the window opens (inclusive).
    pub from: SimTime,
    /// When it closes (exclusive).
    pub to: SimTime,
    /// Each matching request is answered so with this probability.
    pub probability: Probability,
}

/// A scheduled fault.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultSpec {
    /// A node stops silently at `at`; optionally restarts with its state lost.
    Crash {
        /// The node that stops.
        node: NodeId,
        /// When it stops.
        at: SimTime,
        /// Restart this long after the crash.
        restart_after: Option<SimDuration>,
        /// While down, its host answers requests with ICMP port
        /// unreachable instead of silence (TXN-ERR: a 503 at the sender).
        icmp: bool,
    },
    /// A link loses everything during `[from, to)`.
    LinkDown {
        /// The link affected.
        link: LinkId,
        /// When the window opens (inclusive).
        from: SimTime,
        /// When it closes (exclusive).
        to: SimTime,
        /// Only packets travelling toward this end of the link, if set.
        toward: Option<NodeId>,
    },
    /// A link's loss probability is raised during `[from, to)`.
    LossBurst {
        /// The link affected.
        link: LinkId,
        /// When the window opens (inclusive).
        from: SimTime,
        /// When it closes (exclusive).
        to: SimTime,
        /// Loss probability meanwhile.
        loss: Probability,
        /// Only packets travelling toward this end of the link, if set.
        toward: Option<NodeId>,
    },
    /// The BYE of selected calls (and every retransmission) is lost on one link.
    DropBye {
        /// The link whose BYEs it swallows.
        link: LinkId,
        /// Which calls.
        calls: ByeSelection,
    },
    /// A node answers chosen requests with a chosen status.
    Answer(AnswerFault),
}

/// Most `drop_bye` faults a model may have: their selections are bits of a `u8`.
pub const MAX_DROP_BYE: usize = 8;

/// The fault marks of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Marks {
    /// The node where this call's endpoint died: its messages arriving there are lost.
    dead_endpoint: Option<NodeId>,
    /// Bit i set: `drop_bye` fault i swallows this call's BYE.
    drop_bye: u8,
}

/// A `call_crash` waiting for the caller's dialog to be established.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CrashPlan {
    caller: NodeId,
    victim: NodeId,
    /// When, as a fraction of the holding time after the answer.
    fraction: f64,
    holding: SimDuration,
}

/// A `call_crash` due: the endpoint `victim` of `call` dies `after` from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DueCrash {
    pub(super) call: CallRef,
    pub(super) victim: NodeId,
    pub(super) after: SimDuration,
}

/// The world's fault layer.
#[derive(Debug)]
pub(super) struct Faults {
    /// `answer` faults, in model order (the first that applies wins).
    answers: Vec<AnswerFault>,
    /// The stream `answer` faults draw their probability from.
    answer_rng: SimRng,
    /// How long a call's marks outlive it (64·T1 + T4).
    linger: SimDuration,
    /// Per link: bitmask of the `drop_bye` faults acting on it.
    drop_bye_links: Vec<u8>,
    /// The `drop_bye` selections, by bit.
    drop_bye_rules: Vec<ByeSelection>,
    /// Marks of calls in progress (only calls that have any).
    marks: FxHashMap<CallRef, Marks>,
    /// `call_crash` plans of calls in progress, until scheduled.
    plans: FxHashMap<CallRef, CrashPlan>,
    /// Marks of calls that ended since the world last settled.
    ended: Vec<(CallRef, Marks)>,
    /// Marks of ended calls, kept until their expiry. Only looked up,
    /// never iterated, so a fast fixed hasher is safe for determinism.
    lingering: FxHashMap<CallRef, Marks>,
    /// The same calls, in expiry order.
    expiries: VecDeque<(SimTime, CallRef)>,
}

impl Faults {
    /// The fault layer for `links` links; marks outlive their call by `linger`.
    pub(super) fn new(links: usize, linger: SimDuration, answer_rng: SimRng) -> Self {
        Faults {
            answers: Vec::new(),
            answer_rng,
            linger,
            drop_bye_links: vec![0; links],
            drop_bye_rules: Vec::new(),
            marks: FxHashMap::default(),
            plans: FxHashMap::default(),
            ended: Vec::new(),
            lingering: FxHashMap::default(),
            expiries: VecDeque::new(),
        }
    }

    /// Registers an `answer` fault.
    pub(super) fn add_answer(&mut self, a: AnswerFault) {
        self.answers.push(a);
    }

    /// The answer a fault forces on `msg` arriving at `node` now, if any.
    /// A probability below 1 draws once per matching request copy.
    pub(super) fn forced_answer(
        &mut self,
        now: SimTime,
        node: NodeId,
        msg: &Message,
    ) -> Option<ForcedAnswer> {
        if self.answers.is_empty() {
            return None;
        }
        let a = self
            .answers
            .iter()
            .find(|a| a.node == node && a.from <= now && now < a.to && a.requests.matches(msg))?;
        let p = a.probability.get();
        let hit = p >= 1.0 || rand::RngExt::random::<f64>(&mut self.answer_rng) < p;
        hit.then_some(a.answer)
    }

    /// Registers a `drop_bye` fault on `link`.
    pub(super) fn add_drop_bye(&mut self, link: LinkId, calls: ByeSelection) {
        let bit = self.drop_bye_rules.len();
        assert!(bit < MAX_DROP_BYE, "at most 8 drop_bye faults (validated)");
        self.drop_bye_links[link.index()] |= 1 << bit;
        self.drop_bye_rules.push(calls);
    }

    /// A call starts: its `drop_bye` selection and its `call_crash` plan.
    pub(super) fn call_started(&mut self, plan: &CallPlan) {
        let call = CallRef(plan.index);
        let mut mask = 0;
        for (bit, rule) in self.drop_bye_rules.iter().enumerate() {
            let hit = match rule {
                ByeSelection::Calls(list) => list.contains(&plan.index),
                ByeSelection::Probability(p) => plan.fault_draw < p.get(),
            };
            if hit {
                mask |= 1 << bit;
            }
        }
        if mask != 0 {
            self.marks.entry(call).or_default().drop_bye = mask;
        }
        if let Some((victim, fraction)) = plan.crash {
            self.plans.insert(
                call,
                CrashPlan {
                    caller: plan.caller,
                    victim,
                    fraction,
                    holding: plan.holding,
                },
            );
        }
    }

    /// `node` established state for `call`: when it is the caller, the
    /// call's planned crash becomes due, at its fraction of the holding time.
    pub(super) fn state_created(&mut self, call: CallRef, node: NodeId) -> Option<DueCrash> {
        let plan = self.plans.get(&call).filter(|p| p.caller == node)?;
        let after =
            SimDuration::from_nanos((plan.holding.as_nanos() as f64 * plan.fraction) as u64);
        let due = DueCrash {
            call,
            victim: plan.victim,
            after,
        };
        self.plans.remove(&call);
        Some(due)
    }

    /// The endpoint of `call` at `node` died.
    pub(super) fn endpoint_died(&mut self, call: CallRef, node: NodeId) {
        self.marks.entry(call).or_default().dead_endpoint = Some(node);
    }

    /// The call is over: its plan goes, its marks start to expire.
    pub(super) fn call_over(&mut self, call: CallRef) {
        self.plans.remove(&call);
        if let Some(m) = self.marks.remove(&call) {
            self.ended.push((call, m));
        }
    }

    fn marks_of(&self, call: CallRef) -> Option<&Marks> {
        if self.marks.is_empty() && self.lingering.is_empty() {
            return None;
        }
        self.marks.get(&call).or_else(|| self.lingering.get(&call))
    }

    /// True if `call`'s endpoint at `node` is dead: its messages there are lost.
    pub(super) fn endpoint_dead(&self, call: CallRef, node: NodeId) -> bool {
        self.marks_of(call)
            .is_some_and(|m| m.dead_endpoint == Some(node))
    }

    /// True if a `drop_bye` fault swallows `call`'s BYE on `link`.
    pub(super) fn drops_bye(&self, call: CallRef, link: LinkId) -> bool {
        self.drop_bye_links[link.index()] != 0
            && self
                .marks_of(call)
                .is_some_and(|m| m.drop_bye & self.drop_bye_links[link.index()] != 0)
    }

    /// Starts the expiry of the marks of calls that ended, and forgets those
    /// whose expiry has passed (called once the actions of an event are done).
    pub(super) fn settle(&mut self, now: SimTime) {
        if self.ended.is_empty() && self.expiries.is_empty() {
            return;
        }
        for (call, m) in self.ended.drain(..) {
            self.lingering.insert(call, m);
            self.expiries.push_back((now + self.linger, call));
        }
        while let Some(&(until, call)) = self.expiries.front() {
            if until > now {
                break;
            }
            self.expiries.pop_front();
            self.lingering.remove(&call);
        }
    }
}
