//! A role-level test harness: two or three SIP roles wired directly over
//! `Ctx`/`Action` with a virtual clock and a step bound, no engine, world,
//! model file or workload (quinn-proto's test `Pair` is the model).
//!
//! Every link has the same one-way delay; a message goes straight to its
//! next SIP hop. Timers are kept the way the world keeps them: one per
//! `TimerId`, re-armed in place, cancelled and cleared by owner, so a role
//! sees exactly the inputs it would see in a run. Equal-time inputs are
//! handled in the order they were scheduled. A lossy or broken network is a
//! predicate over (time, from, to, message).

use std::collections::BTreeMap;

use sstsim::engine::{SeedSpace, SimDuration, SimRng, SimTime, StreamId};
use sstsim::net::{NodeId, Topology};
use sstsim::session_timer::TimerSettings;
use sstsim::sip::b2bua::B2bua;
use sstsim::sip::proxy::{Proxy, ProxyConfig};
use sstsim::sip::ua::Ua;
use sstsim::sip::ua_core::UaConfig;
use sstsim::sip::{
    Action, CallRef, Command, Ctx, ForcedAnswer, Message, Record, Role, SipOverrides, SipTimers,
    TimerId,
};

/// Most inputs one `run_until` may handle: a livelock fails instead of hanging.
const MAX_STEPS: usize = 100_000;

/// An input waiting for its time.
enum Input {
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: Message,
    },
    Timer {
        node: NodeId,
        id: TimerId,
    },
    Command {
        node: NodeId,
        cmd: Command,
    },
}

/// A message handed to the network.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Send time.
    pub t: SimTime,
    /// Sender.
    pub from: NodeId,
    /// Next SIP hop.
    pub to: NodeId,
    /// The message.
    pub msg: Message,
    /// False if the network lost it.
    pub delivered: bool,
}

type Loss = Box<dyn FnMut(SimTime, NodeId, NodeId, &Message) -> bool>;
type Answer = Box<dyn FnMut(SimTime, NodeId, &Message) -> Option<ForcedAnswer>>;

/// Roles on a network of equal-delay links.
pub struct Harness {
    now: SimTime,
    roles: Vec<Role>,
    rngs: Vec<SimRng>,
    links: Vec<(NodeId, NodeId)>,
    topo: Topology,
    sip: SipTimers,
    /// Each node's own transaction timers over `sip`.
    own: Vec<SipOverrides>,
    delay: SimDuration,
    seeds: SeedSpace,
    queue: BTreeMap<(SimTime, u64), Input>,
    armed: BTreeMap<(NodeId, TimerId), (SimTime, u64)>,
    seq: u64,
    lose: Loss,
    answer: Answer,
    /// Every message sent, in order.
    pub sent: Vec<Sent>,
    /// Every record, with its time and node.
    pub records: Vec<(SimTime, NodeId, Record)>,
}

impl Harness {
    /// An empty network whose links all have `delay_ms` one-way delay.
    pub fn new(delay_ms: u32) -> Self {
        Harness {
            now: SimTime::ZERO,
            roles: Vec::new(),
            rngs: Vec::new(),
            links: Vec::new(),
            topo: Topology::new(0, &[]),
            sip: SipTimers::default(),
            own: Vec::new(),
            delay: SimDuration::from_millis(delay_ms),
            seeds: SeedSpace::new(1, 0, 0),
            queue: BTreeMap::new(),
            armed: BTreeMap::new(),
            seq: 0,
            lose: Box::new(|_, _, _, _| false),
            answer: Box::new(|_, _, _| None),
            sent: Vec::new(),
            records: Vec::new(),
        }
    }

    /// RFC 3261 timer values for every role.
    pub fn sip_timers(mut self, sip: SipTimers) -> Self {
        self.sip = sip;
        self
    }

    /// The master seed of the roles' random streams (glare back-off).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seeds = SeedSpace::new(seed, 0, 0);
        self
    }

    /// Messages for which `lose(t, from, to, msg)` holds are lost.
    pub fn losing(
        mut self,
        lose: impl FnMut(SimTime, NodeId, NodeId, &Message) -> bool + 'static,
    ) -> Self {
        self.lose = Box::new(lose);
        self
    }

    /// A request delivered to `node` for which `answer(t, node, msg)` gives
    /// a status is answered with it, as a misbehaving-peer fault does.
    pub fn answering(
        mut self,
        answer: impl FnMut(SimTime, NodeId, &Message) -> Option<ForcedAnswer> + 'static,
    ) -> Self {
        self.answer = Box::new(answer);
        self
    }

    fn add(&mut self, name: &str, role: impl FnOnce(NodeId) -> Role) -> NodeId {
        let id = NodeId(self.roles.len() as u16);
        self.roles.push(role(id));
        self.rngs
            .push(self.seeds.stream(StreamId::for_component("node", name)));
        self.own.push(SipOverrides::default());
        id
    }

    /// Gives `node` its own transaction timers over the common ones.
    pub fn own_timers(&mut self, node: NodeId, own: SipOverrides) {
        self.own[node.index()] = own;
    }

    /// A UA with these session-timer settings for every peer.
    pub fn ua(&mut self, name: &str, settings: TimerSettings) -> NodeId {
        self.add(name, |me| {
            Role::Ua(Ua::new(
                me,
                UaConfig {
                    base: settings,
                    peers: Vec::new(),
                },
            ))
        })
    }

    /// A proxy.
    pub fn proxy(&mut self, name: &str, cfg: ProxyConfig) -> NodeId {
        self.add(name, |me| Role::Proxy(Proxy::new(me, cfg)))
    }

    /// A B2BUA.
    pub fn b2bua(&mut self, name: &str, cfg: UaConfig) -> NodeId {
        self.add(name, |me| Role::B2bua(B2bua::new(me, cfg)))
    }

    /// Joins `a` and `b` (initial requests route over the fewest hops).
    pub fn link(&mut self, a: NodeId, b: NodeId) {
        self.links.push((a, b));
        let weights: Vec<_> = self.links.iter().map(|&(x, y)| (x, y, 1)).collect();
        self.topo = Topology::new(self.roles.len(), &weights);
    }

    fn push(&mut self, at: SimTime, input: Input) -> u64 {
        self.seq += 1;
        self.queue.insert((at, self.seq), input);
        self.seq
    }

    /// Gives `node` a command at `at`.
    pub fn command(&mut self, at: SimTime, node: NodeId, cmd: Command) {
        self.push(at, Input::Command { node, cmd });
    }

    /// `caller` calls `callee` at `at` and hangs up `holding` after the answer.
    pub fn call(&mut self, at: SimTime, caller: NodeId, callee: NodeId, holding: SimDuration) {
        let call = CallRef(0);
        self.command(
            at,
            caller,
            Command::StartCall {
                call,
                callee,
                holding,
            },
        );
    }

    /// Handles every input up to `t` (inclusive), in time and scheduling order.
    pub fn run_until(&mut self, t: SimTime) {
        for _ in 0..MAX_STEPS {
            let Some((&(at, seq), _)) = self.queue.first_key_value() else {
                self.now = t;
                return;
            };
            if at > t {
                self.now = t;
                return;
            }
            let input = self.queue.remove(&(at, seq)).expect("just seen");
            self.now = at;
            self.handle(input, seq);
        }
        panic!("more than {MAX_STEPS} inputs before {t}: a livelock?");
    }

    fn handle(&mut self, input: Input, seq: u64) {
        let mut out = Vec::new();
        let node = match input {
            Input::Deliver { from, to, msg } => {
                let forced = if msg.is_request() {
                    (self.answer)(self.now, to, &msg)
                } else {
                    None
                };
                self.with_ctx(to, &mut out, forced, |role, ctx| {
                    role.on_message(ctx, from, msg)
                });
                to
            }
            Input::Timer { node, id } => {
                // Only the latest arming of a timer fires.
                if self.armed.get(&(node, id)).map(|a| a.1) != Some(seq) {
                    return;
                }
                self.armed.remove(&(node, id));
                self.with_ctx(node, &mut out, None, |role, ctx| role.on_timer(ctx, id));
                node
            }
            Input::Command { node, cmd } => {
                self.with_ctx(node, &mut out, None, |role, ctx| role.on_command(ctx, cmd));
                node
            }
        };
        for action in out {
            self.apply(node, action);
        }
    }

    fn with_ctx(
        &mut self,
        node: NodeId,
        out: &mut Vec<Action>,
        forced: Option<ForcedAnswer>,
        f: impl FnOnce(&mut Role, &mut Ctx),
    ) {
        let timers = self.sip.with(&self.own[node.index()]);
        let mut ctx = Ctx {
            now: self.now,
            me: node,
            timers: &timers,
            topo: &self.topo,
            rng: &mut self.rngs[node.index()],
            out,
            forced,
        };
        f(&mut self.roles[node.index()], &mut ctx);
    }

    fn apply(&mut self, node: NodeId, action: Action) {
        match action {
            Action::Send { to, msg } => {
                let delivered = !(self.lose)(self.now, node, to, &msg);
                self.sent.push(Sent {
                    t: self.now,
                    from: node,
                    to,
                    msg: msg.clone(),
                    delivered,
                });
                if delivered {
                    let at = self.now + self.delay;
                    self.push(
                        at,
                        Input::Deliver {
                            from: node,
                            to,
                            msg,
                        },
                    );
                }
            }
            Action::SetTimer { id, at } => {
                assert!(at >= self.now, "a timer set in the past");
                let seq = self.push(at, Input::Timer { node, id });
                self.armed.insert((node, id), (at, seq));
            }
            Action::CancelTimer(id) => {
                self.armed.remove(&(node, id));
            }
            Action::ClearTimers(owner) => {
                self.armed
                    .retain(|(n, id), _| !(*n == node && id.owner() == owner));
            }
            Action::Record(r) => self.records.push((self.now, node, r)),
        }
    }

    /// Send times (seconds) of the messages `from` sent with this label
    /// (`INVITE`, `200 OK`, …), delivered or not.
    pub fn sends(&self, from: NodeId, label: &str) -> Vec<f64> {
        self.sent_by(from, label)
            .iter()
            .map(|s| s.t.as_secs_f64())
            .collect()
    }

    /// The messages `from` sent with this label.
    pub fn sent_by(&self, from: NodeId, label: &str) -> Vec<&Sent> {
        self.sent
            .iter()
            .filter(|s| s.from == from && s.msg.label() == label)
            .collect()
    }

    /// The records of `node`, with their times in seconds.
    pub fn records_of(&self, node: NodeId) -> Vec<(f64, Record)> {
        self.records
            .iter()
            .filter(|(_, n, _)| *n == node)
            .map(|(t, _, r)| (t.as_secs_f64(), *r))
            .collect()
    }
}

/// Seconds as a time.
pub fn at(s: f64) -> SimTime {
    SimTime::from_nanos((s * 1e9).round() as u64)
}

/// True if two times in seconds agree to a nanosecond's rounding.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}
