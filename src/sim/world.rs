//! The world: nodes placed on the network, driven by the engine.
//!
//! This is the only code that turns role actions into engine calls:
//! - `Send` walks the message across the links of the least-delay path to its
//!   next SIP hop. Each link decides delay and loss from its own per-direction
//!   stream, and one `Deliver` event is scheduled at the arrival time. Nodes
//!   in between relay at the IP level and never see the message, which is how
//!   a proxy that did not record-route is bypassed.
//! - `SetTimer`/`CancelTimer`/`ClearTimers` map a role's `TimerId` to an
//!   engine `TimerKey` through a dense per-node table (O(1)).
//! - `Record` feeds the counters, the probes (hung-state metrics) and the
//!   optional trace.
//!
//! Calls come from the workload generator one at a time; faults are
//! scheduled world events (see `faults.rs`).

use crate::engine::{
    RunOutcome, Scheduler, SeedSpace, SimRng, SimTime, Simulation, StreamId, TimerKey,
};
use crate::net::{
    Direction, DirectionState, Fate, LinkConfig, LinkId, LossCause, NodeId, Topology,
};
use crate::sip::action::{Action, Ctx, TimerId, TimerSpace};
use crate::sip::b2bua::B2bua;
use crate::sip::core::UaConfig;
use crate::sip::proxy::{Proxy, ProxyConfig};
use crate::sip::slab::{Slab, handle_index};
use crate::sip::ua::Ua;
use crate::sip::{CallRef, Command, Message, Role, SipTimers};

use super::faults::{ByeSelection, FaultSpec};
use super::probes::{CallTrack, DialogRow, NodeClass, Probes, RunMetrics};
use super::stats::Stats;
use super::trace::{TraceEvent, TraceFate, TraceFilter};
use super::workload::{CallPlan, Generator, WorkloadSpec};

/// What kind of SIP element a node is.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A user agent.
    Ua(UaConfig),
    /// A proxy.
    Proxy(ProxyConfig),
    /// A B2BUA.
    B2bua(UaConfig),
}

/// A node of the model.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSpec {
    /// Its id in the model file (stream names and traces use it).
    pub name: String,
    /// Its kind and settings.
    pub kind: NodeKind,
}

/// Everything a world is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldConfig {
    /// Nodes; `NodeId(i)` is `nodes[i]`.
    pub nodes: Vec<NodeSpec>,
    /// Links; `LinkId(i)` is `links[i]`.
    pub links: Vec<LinkConfig>,
    /// RFC 3261 timers.
    pub sip: SipTimers,
    /// The calls to place.
    pub workload: WorkloadSpec,
    /// Scheduled faults.
    pub faults: Vec<FaultSpec>,
}

/// Engine payloads, kept small (16 bytes): they sit in every pending timer's slot.
#[derive(Debug, Clone)]
pub(super) enum Event {
    /// A message arrives at its next SIP hop (handle into the in-flight table).
    Deliver(u32),
    /// A role's timer fires.
    Timer { node: NodeId, id: TimerId },
    /// A command for a node's role (rare: boxed to keep every other event small).
    Command(Box<(NodeId, Command)>),
    /// The workload starts a call.
    StartCall(Box<CallPlan>),
    /// `call_crash`: the call's endpoint at `node` dies silently.
    CallCrash { call: CallRef, node: NodeId },
    /// A node crashes (its state is lost) ...
    NodeCrash(NodeId),
    /// ... and comes back empty.
    NodeRestart(NodeId),
}

/// A message on its way.
#[derive(Debug)]
pub(super) struct Flight {
    from: NodeId,
    to: NodeId,
    msg: Message,
}

/// One direction of a link at run time: channel state and its own stream.
pub(super) struct LinkDir {
    state: DirectionState,
    rng: SimRng,
}

/// A node at run time.
pub(super) struct NodeRt {
    pub(super) role: Role,
    rng: SimRng,
    /// Per timer space: `handle_index * slots + slot` → armed engine timer.
    pub(super) timers: [Vec<Option<TimerKey>>; 4],
    /// False while crashed.
    pub(super) up: bool,
}

/// Everything but the engine, so event handlers can borrow it whole.
pub(super) struct State {
    topo: Topology,
    links: Vec<LinkConfig>,
    link_dirs: Vec<[LinkDir; 2]>,
    pub(super) nodes: Vec<NodeRt>,
    pub(super) specs: Vec<NodeSpec>,
    names: Vec<String>,
    sip: SipTimers,
    calls: Generator,
    horizon: SimTime,
    /// Per link: bitmask of `drop_bye` faults acting on it.
    drop_bye_links: Vec<u8>,
    /// The `drop_bye` selections, by bit.
    drop_bye_rules: Vec<ByeSelection>,
    in_flight: Slab<Flight>,
    out: Vec<Action>,
    stats: Stats,
    pub(super) probes: Probes,
    /// Fault marks of folded calls (dead endpoint, `drop_bye` mask), kept
    /// while their messages may still be in flight.
    lingering: std::collections::BTreeMap<CallRef, (Option<NodeId>, u8)>,
    /// The same calls, in expiry order, for purging.
    lingering_queue: std::collections::VecDeque<(SimTime, CallRef)>,
    filter: TraceFilter,
    trace: Vec<TraceEvent>,
}

/// A simulated network of SIP elements.
pub struct World {
    sim: Simulation<Event>,
    st: State,
}

pub(super) fn space_index(space: TimerSpace) -> usize {
    space as usize
}

impl World {
    /// Builds the world; `seeds` names the run's random streams.
    pub fn new(cfg: WorldConfig, seeds: SeedSpace, filter: TraceFilter) -> Self {
        let n = cfg.nodes.len();
        let mut links = cfg.links;
        let mut sim = Simulation::new();
        let mut drop_bye_links = vec![0u8; links.len()];
        let mut drop_bye_rules = Vec::new();
        for f in &cfg.faults {
            match f {
                FaultSpec::LinkDown { link, from, to } => {
                    links[link.index()].outages.push((*from, *to))
                }
                FaultSpec::LossBurst {
                    link,
                    from,
                    to,
                    loss,
                } => {
                    links[link.index()].bursts.push((*from, *to, *loss));
                }
                FaultSpec::DropBye { link, calls } => {
                    let bit = drop_bye_rules.len();
                    assert!(bit < 8, "at most 8 drop_bye faults (validated)");
                    drop_bye_links[link.index()] |= 1 << bit;
                    drop_bye_rules.push(calls.clone());
                }
                FaultSpec::Crash {
                    node,
                    at,
                    restart_after,
                } => {
                    let s = sim.scheduler();
                    s.schedule_at(*at, Event::NodeCrash(*node))
                        .expect("validated time");
                    if let Some(r) = restart_after {
                        s.schedule_at(*at + *r, Event::NodeRestart(*node))
                            .expect("validated time");
                    }
                }
            }
        }
        let weights: Vec<_> = links
            .iter()
            .map(|l| (l.a, l.b, l.mean_delay_ns()))
            .collect();
        let topo = Topology::new(n, &weights);
        let names: Vec<String> = cfg.nodes.iter().map(|s| s.name.clone()).collect();
        let link_dirs = links
            .iter()
            .map(|l| {
                let (a, b) = (&names[l.a.index()], &names[l.b.index()]);
                let dir = |from: &str, to: &str| LinkDir {
                    state: DirectionState::default(),
                    rng: seeds.stream(StreamId::for_component("link", &format!("{from}>{to}"))),
                };
                [dir(a, b), dir(b, a)]
            })
            .collect();
        let nodes = cfg
            .nodes
            .iter()
            .enumerate()
            .map(|(i, spec)| NodeRt {
                role: new_role(NodeId(i as u16), &spec.kind),
                rng: seeds.stream(StreamId::for_component("node", &spec.name)),
                timers: Default::default(),
                up: true,
            })
            .collect();
        let classes = cfg.nodes.iter().map(|s| class_of(&s.kind)).collect();
        let horizon = cfg.workload.horizon;
        let mut calls = Generator::new(cfg.workload, &seeds);
        if let Some(plan) = calls.next_call() {
            sim.scheduler()
                .schedule_at(plan.start, Event::StartCall(Box::new(plan)))
                .expect("the clock starts at zero");
        }
        World {
            sim,
            st: State {
                topo,
                links,
                link_dirs,
                nodes,
                specs: cfg.nodes,
                names,
                sip: cfg.sip,
                calls,
                horizon,
                drop_bye_links,
                drop_bye_rules,
                in_flight: Slab::default(),
                out: Vec::new(),
                stats: Stats {
                    nodes: vec![Default::default(); n],
                    ..Stats::default()
                },
                probes: Probes::new(classes, false),
                lingering: Default::default(),
                lingering_queue: Default::default(),
                filter,
                trace: Vec::new(),
            },
        }
    }

    /// Keeps one row per node × dialog for `dialogs.csv` (call before running).
    pub fn record_dialogs(&mut self) {
        let classes = self.st.specs.iter().map(|s| class_of(&s.kind)).collect();
        self.st.probes = Probes::new(classes, true);
    }

    /// Closes the run at the current time and returns its metrics (and dialog rows, if kept).
    pub fn finish(self) -> (RunMetrics, Option<Vec<DialogRow>>) {
        let now = self.sim.now();
        let events = self.sim.events();
        let s = self.st.stats;
        let refreshes = s.nodes.iter().map(|n| n.refreshes_sent).sum();
        self.st.probes.finish(
            now,
            (s.messages_sent, s.lost_total(), s.refresh_messages),
            refreshes,
            events,
        )
    }

    /// Calls whose record is still open (concurrency).
    pub fn tracked_calls(&self) -> usize {
        self.st.probes.tracked_calls()
    }

    /// Runs to the workload's horizon.
    pub fn run(&mut self) -> RunOutcome {
        let horizon = self.st.horizon;
        self.run_until(horizon)
    }

    /// Runs to `t` (inclusive); can be called again with a later time.
    pub fn run_until(&mut self, t: SimTime) -> RunOutcome {
        let st = &mut self.st;
        self.sim.run_until(t, |sched, ev| st.handle(sched, ev))
    }

    /// Schedules a command for a node's role (tests, fault drivers).
    pub fn schedule_command(&mut self, at: SimTime, node: NodeId, cmd: Command) {
        self.sim
            .scheduler()
            .schedule_at(at, Event::Command(Box::new((node, cmd))))
            .expect("commands are scheduled before the run reaches them");
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.st.stats
    }

    /// The recorded trace, in order.
    pub fn trace(&self) -> &[TraceEvent] {
        &self.st.trace
    }

    /// Node names in model order.
    pub fn names(&self) -> &[String] {
        &self.st.names
    }

    /// A node's role (for inspection).
    pub fn role(&self, node: NodeId) -> &Role {
        &self.st.nodes[node.index()].role
    }

    /// The topology.
    pub fn topology(&self) -> &Topology {
        &self.st.topo
    }

    /// The links.
    pub fn links(&self) -> &[LinkConfig] {
        &self.st.links
    }

    /// Messages still in flight.
    pub fn in_flight(&self) -> usize {
        self.st.in_flight.len()
    }

    /// Pending engine events and heap entries (stale ones included).
    pub fn queue_sizes(&mut self) -> (usize, usize) {
        let q = self.sim.scheduler().queue();
        (q.len(), q.heap_len())
    }

    /// Events handled so far.
    pub fn events(&self) -> u64 {
        self.sim.events()
    }

    /// The current time.
    pub fn now(&self) -> SimTime {
        self.sim.now()
    }
}

impl State {
    fn handle(&mut self, sched: &mut Scheduler<Event>, ev: Event) {
        let node = match ev {
            Event::Deliver(h) => {
                let f = self
                    .in_flight
                    .remove(h)
                    .expect("in-flight handles are live");
                if !self.nodes[f.to.index()].up || self.endpoint_dead(f.msg.call, f.to) {
                    // The receiver (or this call's endpoint there) is gone.
                    self.stats.count_loss(LossCause::NodeDown);
                    return;
                }
                self.stats.messages_delivered += 1;
                self.stats.nodes[f.to.index()].count_received(f.msg.method());
                self.with_ctx(sched, f.to, |role, ctx| role.on_message(ctx, f.from, f.msg));
                f.to
            }
            Event::Timer { node, id } => {
                let (space, slot) = id.kind.place();
                let i = handle_index(id.handle) as usize * space.slots() + slot;
                self.nodes[node.index()].timers[space_index(space)][i] = None;
                self.with_ctx(sched, node, |role, ctx| role.on_timer(ctx, id));
                node
            }
            Event::Command(c) => {
                let (node, cmd) = *c;
                if !self.nodes[node.index()].up {
                    return;
                }
                self.with_ctx(sched, node, |role, ctx| role.on_command(ctx, cmd));
                node
            }
            Event::StartCall(plan) => {
                if let Some(next) = self.calls.next_call() {
                    sched
                        .schedule_at(next.start, Event::StartCall(Box::new(next)))
                        .expect("call starts are increasing");
                }
                let call = CallRef(plan.index);
                let mask = self.drop_bye_mask(&plan);
                self.probes.start_call(
                    call,
                    CallTrack::new(plan.caller, plan.holding, plan.crash, mask),
                );
                self.stats.calls_started += 1;
                if !self.nodes[plan.caller.index()].up {
                    self.probes.call_not_started(call);
                    return;
                }
                let cmd = Command::StartCall {
                    call,
                    callee: plan.callee,
                    holding: plan.holding,
                };
                self.with_ctx(sched, plan.caller, |role, ctx| role.on_command(ctx, cmd));
                plan.caller
            }
            Event::CallCrash { call, node } => {
                self.crash_call(sched, call, node);
                node
            }
            Event::NodeCrash(node) => {
                self.crash_node(sched, node);
                return;
            }
            Event::NodeRestart(node) => {
                self.nodes[node.index()].up = true;
                return;
            }
        };
        self.apply(sched, node);
    }

    /// True if `call`'s endpoint at `node` has died (`call_crash`).
    fn endpoint_dead(&self, call: CallRef, node: NodeId) -> bool {
        match self.probes.calls.get(&call) {
            Some(c) => c.dead_endpoint == Some(node),
            None => self.lingering.get(&call).is_some_and(|l| l.0 == Some(node)),
        }
    }

    /// The `drop_bye` faults that select `call`.
    fn drop_bye_of(&self, call: CallRef) -> u8 {
        match self.probes.calls.get(&call) {
            Some(c) => c.drop_bye,
            None => self.lingering.get(&call).map_or(0, |l| l.1),
        }
    }

    /// Keeps the fault marks of folded calls for 64·T1 + T4 (the longest any
    /// transaction keeps sending), then forgets them: a dead endpoint stays
    /// silent and a swallowed BYE stays swallowed, retransmissions included.
    fn update_lingering(&mut self, now: SimTime) {
        let keep = self.sip.t1x64() + self.sip.t4;
        for (call, dead, mask) in self.probes.folded_faulted.drain(..) {
            self.lingering.insert(call, (dead, mask));
            self.lingering_queue.push_back((now + keep, call));
        }
        while let Some(&(until, call)) = self.lingering_queue.front() {
            if until > now {
                break;
            }
            self.lingering_queue.pop_front();
            self.lingering.remove(&call);
        }
    }

    /// Which `drop_bye` faults select this call.
    fn drop_bye_mask(&self, plan: &CallPlan) -> u8 {
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
        mask
    }

    /// Runs `f` on a node's role with a fresh context; actions land in `self.out`.
    pub(super) fn with_ctx(
        &mut self,
        sched: &Scheduler<Event>,
        node: NodeId,
        f: impl FnOnce(&mut Role, &mut Ctx),
    ) {
        let rt = &mut self.nodes[node.index()];
        let mut ctx = Ctx {
            now: sched.now(),
            me: node,
            timers: &self.sip,
            topo: &self.topo,
            rng: &mut rt.rng,
            out: &mut self.out,
        };
        f(&mut rt.role, &mut ctx);
    }

    /// Carries out the actions `node` left in `self.out`.
    pub(super) fn apply(&mut self, sched: &mut Scheduler<Event>, node: NodeId) {
        let mut out = std::mem::take(&mut self.out);
        for action in out.drain(..) {
            match action {
                Action::Send { to, msg } => self.transmit(sched, node, to, msg),
                Action::SetTimer { id, at } => {
                    let (space, slot) = id.kind.place();
                    let i = handle_index(id.handle) as usize * space.slots() + slot;
                    let table = &mut self.nodes[node.index()].timers[space_index(space)];
                    if table.len() <= i {
                        table.resize(i + space.slots(), None);
                    }
                    let ev = Event::Timer { node, id };
                    match table[i] {
                        Some(key) if same_timer(sched, key, node, id) => {
                            sched
                                .rearm_at(key, at)
                                .expect("timers are set in the future");
                        }
                        old => {
                            if let Some(k) = old {
                                sched.cancel(k);
                            }
                            table[i] = Some(
                                sched
                                    .timer_at(at, ev)
                                    .expect("timers are set in the future"),
                            );
                        }
                    }
                }
                Action::CancelTimer(id) => {
                    let (space, slot) = id.kind.place();
                    let i = handle_index(id.handle) as usize * space.slots() + slot;
                    let table = &mut self.nodes[node.index()].timers[space_index(space)];
                    if let Some(k) = table.get_mut(i).and_then(Option::take) {
                        sched.cancel(k);
                    }
                }
                Action::ClearTimers { space, handle } => {
                    let base = handle_index(handle) as usize * space.slots();
                    let table = &mut self.nodes[node.index()].timers[space_index(space)];
                    for k in table.iter_mut().skip(base).take(space.slots()) {
                        if let Some(k) = k.take() {
                            sched.cancel(k);
                        }
                    }
                }
                Action::Record(record) => {
                    self.stats.nodes[node.index()].count_record(&record);
                    let now = sched.now();
                    self.probes.on_record(now, node, &record);
                    if let crate::sip::Record::StateCreated { call, .. } = record {
                        self.schedule_call_crash(sched, call, node);
                    }
                    if self.filter.wants(record.call()) {
                        self.trace.push(TraceEvent::Record {
                            t: sched.now(),
                            node,
                            record,
                        });
                    }
                }
            }
        }
        self.out = out;
        if !self.probes.folded_faulted.is_empty() || !self.lingering_queue.is_empty() {
            self.update_lingering(sched.now());
        }
    }

    /// Sends `msg` from `from` to its next SIP hop `to`, link by link.
    fn transmit(&mut self, sched: &mut Scheduler<Event>, from: NodeId, to: NodeId, msg: Message) {
        self.stats.messages_sent += 1;
        if msg.refresh {
            self.stats.refresh_messages += 1;
        }
        let now = sched.now();
        let bye_mask = if msg.method() == Some(crate::sip::Method::Bye) {
            self.drop_bye_of(msg.call)
        } else {
            0
        };
        let mut t = now;
        let mut at = from;
        let mut lost = None;
        while at != to {
            let Some((next, link)) = self.topo.next_hop(at, to) else {
                lost = Some((None, LossCause::NoRoute));
                break;
            };
            if bye_mask & self.drop_bye_links[link.index()] != 0 {
                // drop_bye: this call's BYE dies here, every retransmission too;
                // the call ended at the sender, so its state elsewhere is hung.
                self.probes.mark_dead(msg.call, now);
                lost = Some((Some(link), LossCause::Fault));
                break;
            }
            let cfg = &self.links[link.index()];
            let dir = if cfg.a == at {
                Direction::AtoB
            } else {
                Direction::BtoA
            };
            let d = &mut self.link_dirs[link.index()][dir.index()];
            match cfg.transmit(&mut d.state, t, &mut d.rng) {
                Fate::Delivered(delay) => {
                    t = t + delay;
                    at = next;
                }
                Fate::Lost(cause) => {
                    lost = Some((Some(link), cause));
                    break;
                }
            }
        }
        let traced = self.filter.wants(msg.call);
        let fate = match lost {
            Some((link, cause)) => {
                self.stats.count_loss(cause);
                TraceFate::Lost { link, cause }
            }
            None => TraceFate::Delivered { at: t },
        };
        if traced {
            self.trace.push(TraceEvent::Message {
                t: now,
                from,
                to,
                msg: msg.clone(),
                fate,
            });
        }
        if lost.is_none() {
            let h = self.in_flight.insert(Flight { from, to, msg });
            sched
                .schedule_at(t, Event::Deliver(h))
                .expect("arrival is after the send");
        }
    }
}

/// A fresh role for a node (at start, and after a crash).
pub(super) fn new_role(me: NodeId, kind: &NodeKind) -> Role {
    match kind {
        NodeKind::Ua(c) => Role::Ua(Ua::new(me, c.clone())),
        NodeKind::Proxy(p) => Role::Proxy(Proxy::new(me, p.clone())),
        NodeKind::B2bua(c) => Role::B2bua(B2bua::new(me, c.clone())),
    }
}

/// The metrics class of a node kind.
pub fn class_of(kind: &NodeKind) -> NodeClass {
    match kind {
        NodeKind::Ua(_) => NodeClass::Ua,
        NodeKind::B2bua(_) => NodeClass::B2bua,
        NodeKind::Proxy(p) if p.timers => NodeClass::ProxyTimer,
        NodeKind::Proxy(_) => NodeClass::ProxyPlain,
    }
}

/// True if `key` is the pending engine timer for `(node, id)` (re-arm it rather than replace it).
fn same_timer(sched: &Scheduler<Event>, key: TimerKey, node: NodeId, id: TimerId) -> bool {
    matches!(
        sched.queue().get(key),
        Some(Event::Timer { node: n, id: i }) if *n == node && *i == id
    )
}

/// The link a lost message died on, as `a-b` names (for traces).
pub fn link_name(names: &[String], links: &[LinkConfig], link: LinkId) -> String {
    let l = &links[link.index()];
    format!("{}-{}", names[l.a.index()], names[l.b.index()])
}
