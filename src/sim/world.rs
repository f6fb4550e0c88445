//! The world: nodes placed on the network, driven by the engine.
//!
//! This is the only code that turns role actions into engine calls, and it
//! dispatches every world event:
//! - `Send` hands the message to the `Network`, which carries it link by
//!   link to its next SIP hop; one `Deliver` event is scheduled at arrival.
//! - `SetTimer`/`CancelTimer`/`ClearTimers` go to the node's `TimerTable`.
//! - `Record` feeds the counters, the calls in progress (`LiveCalls`), the
//!   fault layer (a planned `call_crash` becomes due when the caller's dialog
//!   is established), the probes and the optional trace.
//!
//! Calls come from the workload generator one at a time. Faults are
//! scheduled world events acted on here, with their state in `Faults`.
//! The probes only observe: nothing here reads them.

use crate::engine::{RunOutcome, Scheduler, SeedSpace, SimRng, SimTime, Simulation, StreamId};
use crate::net::{LinkConfig, LinkId, LossCause, NodeId, Topology};
use crate::net::{LossWindow, NatBinding};
use crate::sip::TimerId;
use crate::sip::action::{Action, Ctx};
use crate::sip::b2bua::B2bua;
use crate::sip::proxy::Proxy;
use crate::sip::slab::{CapacityExceeded, Slab, slab_key};
use crate::sip::ua::Ua;
use crate::sip::{
    CallRef, Command, ForcedAnswer, FreeCause, Message, Method, Record, Role, SipTimers,
};

use super::calls::LiveCalls;
use super::config::{NodeKind, NodeSpec, WorldConfig, classes};
use super::faults::{FaultSpec, Faults};
use super::network::{Carried, Network};
use super::probes::{DialogRow, DialogRows, NodeTraffic, Probes, RunCounters, RunMetrics};
use super::stats::Stats;
use super::timer_table::TimerTable;
use super::trace::{
    DeathCause, FaultEvent, LinkWindow, TraceEvent, TraceFate, TraceFilter, with_link_windows,
};
use super::workload::{CallPlan, Generator, PlannedReinvite};

/// Engine payloads, kept small (16 bytes): they sit in every pending timer's slot.
#[derive(Debug, Clone)]
pub(super) enum Event {
    /// A message arrives at its next SIP hop.
    Deliver(FlightId),
    /// A role's timer fires.
    Timer { node: NodeId, id: TimerId },
    /// A command for a node's role (rare: boxed to keep every other event small).
    Command(Box<(NodeId, Command)>),
    /// The workload starts a call.
    StartCall(Box<CallPlan>),
    /// `call_crash`: the call's endpoint at `node` dies silently.
    CallCrash { call: CallRef, node: NodeId },
    /// A node crashes (its state is lost; true: its host answers ICMP) ...
    NodeCrash(NodeId, bool),
    /// ICMP port unreachable for a request reaches its sender.
    Icmp(FlightId),
    /// ... and comes back empty.
    NodeRestart(NodeId),
}

/// A run ended because the model needs more simultaneous state than a
/// handle can address ([`CapacityExceeded`]).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error(
    "at t = {:.3} s the model needs {capacity}: lower the number of simultaneous calls \
     (workload calls, interval_s or rate_per_s, and holding_s)",
    at.as_secs_f64()
)]
pub struct LimitExceeded {
    /// When it happened.
    pub at: SimTime,
    /// What overflowed.
    pub capacity: CapacityExceeded,
}

slab_key! {
    /// A message in flight.
    pub(super) struct FlightId; "messages in flight"
}

/// A message on its way.
#[derive(Debug)]
struct Flight {
    from: NodeId,
    to: NodeId,
    /// When it was sent: an ICMP error takes as long to come back.
    sent: SimTime,
    msg: Message,
    /// Its line in the trace, if traced: a receiver found down turns its
    /// fate into a loss there.
    traced: Option<u32>,
}

/// A node at run time.
struct NodeRt {
    role: Role,
    rng: SimRng,
    timers: TimerTable,
    /// Its transaction timers: `[sip]` with its own values over them.
    sip: SipTimers,
    /// False while crashed.
    up: bool,
    /// While crashed, its host answers requests with ICMP.
    icmp: bool,
    /// Its NAT binding, if behind one.
    nat: Option<NatBinding>,
    /// When its last packet left (it keeps the NAT binding open).
    last_out: SimTime,
}

/// Everything but the engine, so event handlers can borrow it whole.
struct State {
    net: Network,
    nodes: Vec<NodeRt>,
    specs: Vec<NodeSpec>,
    names: Vec<String>,
    calls: Generator,
    horizon: SimTime,
    /// The workload has a drain phase: stop once arrivals are over and no
    /// call is in progress.
    draining: bool,
    /// The generator has placed its last call.
    arrivals_done: bool,
    live: LiveCalls,
    faults: Faults,
    in_flight: Slab<FlightId, Flight>,
    out: Vec<Action>,
    stats: Stats,
    probes: Probes,
    filter: TraceFilter,
    trace: Vec<TraceEvent>,
    /// Link fault windows, merged into the trace when it is read.
    link_windows: Vec<LinkWindow>,
    /// Traced calls already shown dead (the first death counts).
    traced_dead: std::collections::BTreeSet<CallRef>,
    /// Mid-call re-INVITEs of calls not yet answered at the caller; only
    /// looked up, never iterated.
    reinvites: rustc_hash::FxHashMap<CallRef, Vec<PlannedReinvite>>,
}

/// A simulated network of SIP elements.
pub struct World {
    sim: Simulation<Event>,
    st: State,
}

impl World {
    /// Builds the world; `seeds` names the run's random streams.
    pub fn new(cfg: WorldConfig, seeds: SeedSpace, filter: TraceFilter) -> Self {
        let n = cfg.nodes.len();
        let mut links = cfg.links;
        let mut sim = Simulation::new();
        let mut faults = Faults::new(
            links.len(),
            cfg.nodes
                .iter()
                .map(|n| cfg.sip.with(&n.sip).longest_wait())
                .max()
                .unwrap_or_else(|| cfg.sip.longest_wait()),
            seeds.stream(StreamId::for_component("fault", "answer")),
        );
        let mut link_windows = Vec::new();
        for f in &cfg.faults {
            match f {
                FaultSpec::LinkDown {
                    link,
                    from,
                    to,
                    toward,
                } => {
                    let w = LinkWindow {
                        link: *link,
                        from: *from,
                        to: *to,
                        loss: None,
                        toward: *toward,
                    };
                    add_link_window(&mut links, &mut link_windows, w);
                }
                FaultSpec::LossBurst {
                    link,
                    from,
                    to,
                    loss,
                    toward,
                } => {
                    let w = LinkWindow {
                        link: *link,
                        from: *from,
                        to: *to,
                        loss: Some(*loss),
                        toward: *toward,
                    };
                    add_link_window(&mut links, &mut link_windows, w);
                }
                FaultSpec::DropBye { link, calls } => faults.add_drop_bye(*link, calls.clone()),
                FaultSpec::Answer(a) => faults.add_answer(*a),
                FaultSpec::Crash {
                    node,
                    at,
                    restart_after,
                    icmp,
                } => {
                    let s = sim.scheduler();
                    s.schedule_at(*at, Event::NodeCrash(*node, *icmp))
                        .expect("validated time");
                    if let Some(r) = restart_after {
                        s.schedule_at(*at + *r, Event::NodeRestart(*node))
                            .expect("validated time");
                    }
                }
            }
        }
        let names: Vec<String> = cfg.nodes.iter().map(|s| s.name.clone()).collect();
        let net = Network::new(links, &names, &seeds);
        let nodes = cfg
            .nodes
            .iter()
            .enumerate()
            .map(|(i, spec)| NodeRt {
                role: new_role(NodeId(i as u16), &spec.kind),
                rng: seeds.stream(StreamId::for_component("node", &spec.name)),
                timers: TimerTable::default(),
                sip: cfg.sip.with(&spec.sip),
                up: true,
                icmp: false,
                nat: spec.nat,
                last_out: SimTime::ZERO,
            })
            .collect();
        let horizon = cfg.workload.horizon;
        let draining = cfg.workload.arrivals_until.is_some();
        let mut calls = Generator::new(cfg.workload, &seeds);
        let first = calls.next_call();
        let arrivals_done = first.is_none();
        if let Some(plan) = first {
            sim.scheduler()
                .schedule_at(plan.start, Event::StartCall(Box::new(plan)))
                .expect("the clock starts at zero");
        }
        let probes = Probes::new(classes(&cfg.nodes), DialogRows::Skip);
        World {
            sim,
            st: State {
                net,
                nodes,
                specs: cfg.nodes,
                names,
                calls,
                horizon,
                draining,
                arrivals_done,
                live: LiveCalls::default(),
                faults,
                in_flight: Slab::default(),
                out: Vec::new(),
                stats: Stats {
                    nodes: vec![Default::default(); n],
                    ..Stats::default()
                },
                probes,
                filter,
                trace: Vec::new(),
                link_windows,
                traced_dead: Default::default(),
                reinvites: Default::default(),
            },
        }
    }

    /// Keeps one row per node × dialog for `dialogs.csv` (call before running).
    pub fn record_dialogs(&mut self) {
        self.st.probes = Probes::new(classes(&self.st.specs), DialogRows::Keep);
    }

    /// Closes the run at the current time and returns its metrics (and dialog rows, if kept).
    pub fn finish(self) -> (RunMetrics, Option<Vec<DialogRow>>) {
        let s = &self.st.stats;
        let counters = RunCounters {
            messages_sent: s.messages_sent,
            messages_lost: s.lost_total(),
            refresh_messages: s.refresh_messages,
            refresh_requests: s.nodes.iter().map(|n| n.refreshes_sent).sum(),
            events: self.sim.events(),
            nodes: s
                .nodes
                .iter()
                .map(|n| NodeTraffic {
                    messages_received: n.messages_received(),
                    messages_sent: n.messages_sent,
                    refresh_transactions: n.refresh_transactions,
                })
                .collect(),
        };
        let open = self.st.live.into_sorted().into_iter().map(|(call, held)| {
            (
                call,
                held.into_iter().map(|h| (h.node, h.created)).collect(),
            )
        });
        self.st.probes.finish(self.sim.now(), open, counters)
    }

    /// Calls in progress (concurrency).
    pub fn live_calls(&self) -> usize {
        self.st.live.len()
    }

    /// Runs to the workload's horizon.
    pub fn run(&mut self) -> RunOutcome {
        let horizon = self.st.horizon;
        self.run_until(horizon)
    }

    /// Runs to the horizon like [`World::run`], but a model that asks for
    /// more simultaneous state than sstsim can address ends the run with
    /// an error instead of a panic. The world must not be run further then.
    pub fn run_checked(&mut self) -> Result<RunOutcome, LimitExceeded> {
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run()));
        run.map_err(|payload| match payload.downcast::<CapacityExceeded>() {
            Ok(cap) => LimitExceeded {
                at: self.now(),
                capacity: *cap,
            },
            Err(other) => std::panic::resume_unwind(other),
        })
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

    /// The run's counters so far (messages, losses, per-node records).
    pub fn stats(&self) -> &Stats {
        &self.st.stats
    }

    /// The recorded trace, in order, with the fault windows of the links its
    /// messages cross.
    pub fn trace(&self) -> Vec<TraceEvent> {
        let topo = self.st.net.topology();
        let mut crossed = vec![false; self.st.net.links().len()];
        let mut involved = vec![false; self.st.names.len()];
        for e in &self.st.trace {
            if let TraceEvent::Record { node, .. } = *e {
                involved[node.index()] = true;
            }
            if let TraceEvent::Message { from, to, .. } = *e {
                involved[from.index()] = true;
                involved[to.index()] = true;
                let mut at = from;
                while let Some((next, link)) = topo.next_hop(at, to).filter(|_| at != to) {
                    crossed[link.index()] = true;
                    at = next;
                }
            }
        }
        let windows: Vec<LinkWindow> = self
            .st
            .link_windows
            .iter()
            .filter(|w| crossed[w.link.index()])
            .copied()
            .collect();
        // Crashes and restarts of nodes the traced calls never touched are
        // not part of their story.
        let trace: Vec<TraceEvent> = self
            .st
            .trace
            .iter()
            .filter(|e| match e {
                TraceEvent::Fault {
                    fault: FaultEvent::NodeCrash(n) | FaultEvent::NodeRestart(n),
                    ..
                } => involved[n.index()],
                _ => true,
            })
            .cloned()
            .collect();
        with_link_windows(&trace, &windows)
    }

    /// Node names in model order.
    pub fn names(&self) -> &[String] {
        &self.st.names
    }

    /// The traced calls a fault killed, in call order.
    pub fn dead_calls(&self) -> Vec<CallRef> {
        self.st.traced_dead.iter().copied().collect()
    }

    /// A node's role (for inspection).
    pub fn role(&self, node: NodeId) -> &Role {
        &self.st.nodes[node.index()].role
    }

    /// The topology the network routes over.
    pub fn topology(&self) -> &Topology {
        self.st.net.topology()
    }

    /// The links' configurations, faults applied.
    pub fn links(&self) -> &[LinkConfig] {
        self.st.net.links()
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
        self.dispatch(sched, ev);
        // Drain phase: once no call will start and none is in progress,
        // every dead-call state that will ever be freed has been.
        if self.draining && self.arrivals_done && self.live.len() == 0 {
            sched.request_stop();
        }
    }

    fn dispatch(&mut self, sched: &mut Scheduler<Event>, ev: Event) {
        let node = match ev {
            Event::Deliver(h) => {
                let f = self
                    .in_flight
                    .remove(h)
                    .expect("in-flight handles are live");
                let rt = &self.nodes[f.to.index()];
                if let Some(nat) = &rt.nat
                    && !nat.open(sched.now(), rt.last_out)
                {
                    // Its NAT binding closed: the packet dies at the NAT.
                    self.lost_on_arrival(&f, LossCause::Nat);
                    return;
                }
                if !self.nodes[f.to.index()].up || self.faults.endpoint_dead(f.msg.call, f.to) {
                    // The receiver (or this call's endpoint there) is gone;
                    // a crashed host that answers ICMP tells the sender.
                    let rt = &self.nodes[f.to.index()];
                    if !rt.up
                        && rt.icmp
                        && f.msg.is_request()
                        && f.msg.method() != Some(Method::Ack)
                    {
                        self.icmp_back(sched, &f);
                    }
                    self.lost_on_arrival(&f, LossCause::NodeDown);
                    return;
                }
                self.stats.messages_delivered += 1;
                self.stats.nodes[f.to.index()].count_received(f.msg.method());
                let forced = self.faults.forced_answer(sched.now(), f.to, &f.msg);
                self.with_ctx(sched, f.to, forced, |role, ctx| {
                    role.on_message(ctx, f.from, f.msg)
                });
                f.to
            }
            Event::Timer { node, id } => {
                self.nodes[node.index()].timers.fired(id);
                self.with_ctx(sched, node, None, |role, ctx| role.on_timer(ctx, id));
                node
            }
            Event::Command(c) => {
                let (node, cmd) = *c;
                if !self.nodes[node.index()].up {
                    return;
                }
                self.with_ctx(sched, node, None, |role, ctx| role.on_command(ctx, cmd));
                node
            }
            Event::StartCall(plan) => match self.start_call(sched, &plan) {
                Some(caller) => caller,
                None => return,
            },
            Event::CallCrash { call, node } => {
                self.crash_call(sched, call, node);
                node
            }
            Event::NodeCrash(node, icmp) => {
                self.trace_fault(sched.now(), FaultEvent::NodeCrash(node));
                self.crash_node(sched, node);
                self.nodes[node.index()].icmp = icmp;
                return;
            }
            Event::Icmp(h) => {
                let f = self
                    .in_flight
                    .remove(h)
                    .expect("in-flight handles are live");
                if !self.nodes[f.to.index()].up {
                    return;
                }
                self.with_ctx(sched, f.to, None, |role, ctx| {
                    role.on_transport_error(ctx, &f.msg)
                });
                f.to
            }
            Event::NodeRestart(node) => {
                self.trace_fault(sched.now(), FaultEvent::NodeRestart(node));
                self.nodes[node.index()].up = true;
                return;
            }
        };
        self.apply(sched, node);
    }

    /// Starts the workload's next call; returns its caller, unless the
    /// caller is down (then the call is over before it began).
    fn start_call(&mut self, sched: &mut Scheduler<Event>, plan: &CallPlan) -> Option<NodeId> {
        match self.calls.next_call() {
            Some(next) => sched
                .schedule_at(next.start, Event::StartCall(Box::new(next)))
                .expect("call starts are increasing"),
            None => self.arrivals_done = true,
        }
        let call = CallRef(plan.index);
        self.live.start(call, plan.caller);
        self.probes.call_started(call, plan.caller, plan.holding);
        self.faults.call_started(plan);
        if !plan.reinvites.is_empty() {
            self.reinvites.insert(call, plan.reinvites.clone());
        }
        self.stats.calls_started += 1;
        if !self.nodes[plan.caller.index()].up {
            if self.live.caller_done(call) {
                self.call_over(call);
            }
            return None;
        }
        let cmd = Command::StartCall {
            call,
            callee: plan.callee,
            holding: plan.holding,
        };
        self.with_ctx(sched, plan.caller, None, |role, ctx| {
            role.on_command(ctx, cmd)
        });
        Some(plan.caller)
    }

    /// The call is over: observers fold it, its fault marks start to expire.
    fn call_over(&mut self, call: CallRef) {
        self.probes.call_over(call);
        self.faults.call_over(call);
        if !self.reinvites.is_empty() {
            self.reinvites.remove(&call);
        }
    }

    /// `node` no longer holds `state` of `call` (freed at `now` for `cause`).
    fn state_freed(
        &mut self,
        now: SimTime,
        call: CallRef,
        node: NodeId,
        state: crate::sip::StateId,
        cause: FreeCause,
    ) {
        if let Some(freed) = self.live.freed(call, node, state) {
            self.probes
                .state_freed(now, call, node, freed.created, cause);
            if freed.call_over {
                self.call_over(call);
            }
        }
    }

    /// `call_crash`: one endpoint of a call dies silently. Its dialog and
    /// transactions vanish (no BYE), and messages for the call arriving
    /// there are lost from now on.
    fn crash_call(&mut self, sched: &Scheduler<Event>, call: CallRef, node: NodeId) {
        let now = sched.now();
        if !self.live.is_live(call) {
            return; // the call already ended
        }
        if self.filter.wants(call) {
            self.trace_fault(now, FaultEvent::EndpointDied(node));
        }
        self.call_died(call, now, DeathCause::CallCrash(node));
        self.faults.endpoint_died(call, node);
        for state in self.live.states_at(call, node) {
            self.state_freed(now, call, node, state, FreeCause::Crash);
            self.with_ctx(sched, node, None, |role, ctx| role.forget(ctx, state));
        }
    }

    /// A node crashes: every state it held is lost (cause `crash`), every
    /// call it was an endpoint of is dead from now, its timers stop, and it
    /// stays silent until a restart brings it back empty.
    fn crash_node(&mut self, sched: &mut Scheduler<Event>, node: NodeId) {
        let now = sched.now();
        let held = self.live.held_at(node);
        for &(call, state) in &held {
            self.state_freed(now, call, node, state, FreeCause::Crash);
        }
        if self.specs[node.index()].kind.is_endpoint() {
            for &(call, _) in &held {
                self.call_died(call, now, DeathCause::NodeCrash(node));
            }
        }
        let rt = &mut self.nodes[node.index()];
        rt.timers.clear_all(sched);
        rt.role = new_role(node, &self.specs[node.index()].kind);
        rt.up = false;
    }

    /// `call` is dead from `now` (a fault; the first one counts).
    fn call_died(&mut self, call: CallRef, now: SimTime, why: DeathCause) {
        self.probes.call_died(call, now);
        if self.filter.wants(call) && self.traced_dead.insert(call) {
            self.trace_fault(now, FaultEvent::CallDead(why));
        }
    }

    /// Traces a fault, if anything is traced.
    fn trace_fault(&mut self, t: SimTime, fault: FaultEvent) {
        if self.filter != TraceFilter::Off {
            self.trace.push(TraceEvent::Fault { t, fault });
        }
    }

    /// Runs `f` on a node's role with a fresh context; actions land in `self.out`.
    fn with_ctx(
        &mut self,
        sched: &Scheduler<Event>,
        node: NodeId,
        forced: Option<ForcedAnswer>,
        f: impl FnOnce(&mut Role, &mut Ctx),
    ) {
        let rt = &mut self.nodes[node.index()];
        let mut ctx = Ctx {
            now: sched.now(),
            me: node,
            timers: &rt.sip,
            topo: self.net.topology(),
            rng: &mut rt.rng,
            out: &mut self.out,
            forced,
        };
        f(&mut rt.role, &mut ctx);
    }

    /// Carries out the actions `node` left in `self.out`.
    fn apply(&mut self, sched: &mut Scheduler<Event>, node: NodeId) {
        let mut out = std::mem::take(&mut self.out);
        for action in out.drain(..) {
            match action {
                Action::Send { to, msg } => self.transmit(sched, node, to, msg),
                Action::SetTimer { id, at } => {
                    self.nodes[node.index()].timers.set(sched, node, id, at)
                }
                Action::CancelTimer(id) => self.nodes[node.index()].timers.cancel(sched, id),
                Action::ClearTimers(owner) => self.nodes[node.index()].timers.clear(sched, owner),
                Action::Record(record) => self.record(sched, node, record),
            }
        }
        self.out = out;
        self.faults.settle(sched.now());
    }

    /// A fact `node` reported.
    fn record(&mut self, sched: &mut Scheduler<Event>, node: NodeId, record: Record) {
        let now = sched.now();
        self.stats.nodes[node.index()].count_record(&record);
        match record {
            Record::StateCreated { call, state } => {
                self.live.created(call, node, state, now);
                self.probes.state_created(now, call, node);
                if let Some(due) = self.faults.state_created(call, node) {
                    sched
                        .schedule_in(
                            due.after,
                            Event::CallCrash {
                                call: due.call,
                                node: due.victim,
                            },
                        )
                        .expect("crash time is within the horizon range");
                }
                // The call's mid-call re-INVITEs count from the caller's answer.
                if self.live.is_caller(call, node)
                    && let Some(list) = self.reinvites.remove(&call)
                {
                    for r in list {
                        let cmd = Command::Reinvite {
                            call,
                            param: r.param,
                        };
                        sched
                            .schedule_in(r.after, Event::Command(Box::new((r.node, cmd))))
                            .expect("re-INVITE times lie within the holding time");
                    }
                }
            }
            Record::StateFreed { call, state, cause } => {
                self.state_freed(now, call, node, state, cause)
            }
            Record::CallFailed { call, .. } => {
                if self.live.is_caller(call, node) && self.live.caller_done(call) {
                    self.call_over(call);
                }
            }
            _ => self.probes.on_record(node, now, &record),
        }
        if self.filter.wants(record.call()) {
            self.trace.push(TraceEvent::Record {
                t: now,
                node,
                record,
            });
        }
    }

    /// Sends `msg` from `from` to its next SIP hop `to`.
    /// `f` died as it arrived (a node down, a NAT closed): counted, and
    /// its traced fate becomes a loss.
    fn lost_on_arrival(&mut self, f: &Flight, cause: LossCause) {
        self.stats.count_loss(cause);
        if let Some(TraceEvent::Message { fate, .. }) =
            f.traced.and_then(|i| self.trace.get_mut(i as usize))
        {
            *fate = TraceFate::Lost { link: None, cause };
        }
    }

    /// Sends ICMP port unreachable for `f` back to its sender, arriving as
    /// long after now as `f` took to come.
    fn icmp_back(&mut self, sched: &mut Scheduler<Event>, f: &Flight) {
        let now = sched.now();
        let back = self.in_flight.insert(Flight {
            from: f.to,
            to: f.from,
            sent: now,
            msg: f.msg.clone(),
            traced: None,
        });
        sched
            .schedule_at(now + (now - f.sent), Event::Icmp(back))
            .expect("the error comes back after now");
    }

    fn transmit(&mut self, sched: &mut Scheduler<Event>, from: NodeId, to: NodeId, msg: Message) {
        self.nodes[from.index()].last_out = sched.now();
        self.stats.messages_sent += 1;
        self.stats.nodes[from.index()].messages_sent += 1;
        if msg.refresh {
            self.stats.refresh_messages += 1;
            if matches!(
                msg.method(),
                Some(Method::Invite | Method::Update | Method::Options)
            ) && !msg.retransmission
            {
                self.stats.nodes[from.index()].refresh_transactions += 1;
                self.stats.nodes[to.index()].refresh_transactions += 1;
            }
        }
        let now = sched.now();
        let bye = msg.method() == Some(Method::Bye);
        let faults = &self.faults;
        let carried = self.net.carry(from, to, now, |link| {
            bye && faults.drops_bye(msg.call, link)
        });
        let fate = match carried {
            Carried::Arrives(at) => TraceFate::Delivered { at },
            Carried::Lost { link, cause } => {
                self.stats.count_loss(cause);
                TraceFate::Lost { link, cause }
            }
            Carried::Swallowed(link) => {
                self.stats.count_loss(LossCause::Fault);
                TraceFate::Lost {
                    link: Some(link),
                    cause: LossCause::Fault,
                }
            }
        };
        let traced = self.filter.wants(msg.call).then(|| {
            self.trace.push(TraceEvent::Message {
                t: now,
                from,
                to,
                msg: msg.clone(),
                fate,
            });
            u32::try_from(self.trace.len() - 1).unwrap_or(u32::MAX)
        });
        if let Carried::Swallowed(link) = carried {
            // drop_bye: the call ended at the sender, so its state elsewhere is hung.
            self.call_died(msg.call, now, DeathCause::ByeSwallowed(link));
        }
        if let Carried::Arrives(at) = carried {
            let h = self.in_flight.insert(Flight {
                from,
                to,
                sent: now,
                msg,
                traced,
            });
            sched
                .schedule_at(at, Event::Deliver(h))
                .expect("arrival is after the send");
        }
    }
}

/// A `link_down` or `loss_burst` fault: its window on the link, and in
/// the trace.
fn add_link_window(links: &mut [LinkConfig], traced: &mut Vec<LinkWindow>, w: LinkWindow) {
    let l = &mut links[w.link.index()];
    let dir = w.toward.map(|n| l.direction_toward(n));
    l.windows.push(LossWindow {
        from: w.from,
        to: w.to,
        loss: w.loss,
        dir,
    });
    traced.push(w);
}

/// A fresh role for a node (at start, and after a crash).
fn new_role(me: NodeId, kind: &NodeKind) -> Role {
    match kind {
        NodeKind::Ua(c) => Role::Ua(Ua::new(me, c.clone())),
        NodeKind::Proxy(p) => Role::Proxy(Proxy::new(me, *p)),
        NodeKind::B2bua(c) => Role::B2bua(B2bua::new(me, c.clone())),
    }
}

/// The link a lost message died on, as `a-b` names (for traces).
pub fn link_name(names: &[String], links: &[LinkConfig], link: LinkId) -> String {
    let l = &links[link.index()];
    format!("{}-{}", names[l.a.index()], names[l.b.index()])
}
