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
//! - `Record` feeds the counters and the optional trace.

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

use super::stats::Stats;
use super::trace::{TraceEvent, TraceFate, TraceFilter};
use super::workload::WorkloadSpec;

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
}

/// Engine payloads, kept small (16 bytes): they sit in every pending timer's slot.
#[derive(Debug, Clone)]
enum Event {
    /// A message arrives at its next SIP hop (handle into the in-flight table).
    Deliver(u32),
    /// A role's timer fires.
    Timer { node: NodeId, id: TimerId },
    /// A command for a node's role (rare: boxed to keep every other event small).
    Command(Box<(NodeId, Command)>),
    /// The workload starts call `i`.
    NextCall(u32),
}

/// A message on its way.
#[derive(Debug)]
struct Flight {
    from: NodeId,
    to: NodeId,
    msg: Message,
}

/// One direction of a link at run time: channel state and its own stream.
struct LinkDir {
    state: DirectionState,
    rng: SimRng,
}

/// A node at run time.
struct NodeRt {
    role: Role,
    rng: SimRng,
    /// Per timer space: `handle_index * slots + slot` → armed engine timer.
    timers: [Vec<Option<TimerKey>>; 4],
}

/// Everything but the engine, so event handlers can borrow it whole.
struct State {
    topo: Topology,
    links: Vec<LinkConfig>,
    link_dirs: Vec<[LinkDir; 2]>,
    nodes: Vec<NodeRt>,
    names: Vec<String>,
    sip: SipTimers,
    workload: WorkloadSpec,
    in_flight: Slab<Flight>,
    out: Vec<Action>,
    stats: Stats,
    filter: TraceFilter,
    trace: Vec<TraceEvent>,
}

/// A simulated network of SIP elements.
pub struct World {
    sim: Simulation<Event>,
    st: State,
}

fn space_index(space: TimerSpace) -> usize {
    space as usize
}

impl World {
    /// Builds the world; `seeds` names the run's random streams.
    pub fn new(cfg: WorldConfig, seeds: SeedSpace, filter: TraceFilter) -> Self {
        let n = cfg.nodes.len();
        let weights: Vec<_> = cfg
            .links
            .iter()
            .map(|l| (l.a, l.b, l.mean_delay_ns()))
            .collect();
        let topo = Topology::new(n, &weights);
        let names: Vec<String> = cfg.nodes.iter().map(|s| s.name.clone()).collect();
        let link_dirs = cfg
            .links
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
            .map(|(i, spec)| {
                let me = NodeId(i as u16);
                let role = match &spec.kind {
                    NodeKind::Ua(c) => Role::Ua(Ua::new(me, c.clone())),
                    NodeKind::Proxy(p) => Role::Proxy(Proxy::new(me, p.clone())),
                    NodeKind::B2bua(c) => Role::B2bua(B2bua::new(me, c.clone())),
                };
                NodeRt {
                    role,
                    rng: seeds.stream(StreamId::for_component("node", &spec.name)),
                    timers: Default::default(),
                }
            })
            .collect();
        let mut sim = Simulation::new();
        if cfg.workload.calls > 0 {
            sim.scheduler()
                .schedule_at(cfg.workload.start, Event::NextCall(0))
                .expect("the clock starts at zero");
        }
        World {
            sim,
            st: State {
                topo,
                links: cfg.links,
                link_dirs,
                nodes,
                names,
                sip: cfg.sip,
                workload: cfg.workload,
                in_flight: Slab::default(),
                out: Vec::new(),
                stats: Stats {
                    nodes: vec![Default::default(); n],
                    ..Stats::default()
                },
                filter,
                trace: Vec::new(),
            },
        }
    }

    /// Runs to the workload's horizon.
    pub fn run(&mut self) -> RunOutcome {
        let horizon = self.st.workload.horizon;
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
                self.with_ctx(sched, node, |role, ctx| role.on_command(ctx, cmd));
                node
            }
            Event::NextCall(i) => {
                let w = &self.workload;
                if i + 1 < w.calls
                    && let Some(t) = w.start_of(i + 1)
                {
                    sched
                        .schedule_at(t, Event::NextCall(i + 1))
                        .expect("call starts are increasing");
                }
                let cmd = Command::StartCall {
                    call: CallRef(i),
                    callee: w.callee,
                    holding: w.holding,
                };
                let caller = w.caller;
                self.stats.calls_started += 1;
                self.with_ctx(sched, caller, |role, ctx| role.on_command(ctx, cmd));
                caller
            }
        };
        self.apply(sched, node);
    }

    /// Runs `f` on a node's role with a fresh context; actions land in `self.out`.
    fn with_ctx(
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
    fn apply(&mut self, sched: &mut Scheduler<Event>, node: NodeId) {
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
    }

    /// Sends `msg` from `from` to its next SIP hop `to`, link by link.
    fn transmit(&mut self, sched: &mut Scheduler<Event>, from: NodeId, to: NodeId, msg: Message) {
        self.stats.messages_sent += 1;
        let now = sched.now();
        let mut t = now;
        let mut at = from;
        let mut lost = None;
        while at != to {
            let Some((next, link)) = self.topo.next_hop(at, to) else {
                lost = Some((None, LossCause::NoRoute));
                break;
            };
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
