//! Link behaviour: one-way delay plus jitter, Bernoulli or Gilbert-Elliott
//! loss, and scheduled outages, per direction.
//!
//! Configuration ([`LinkConfig`]) is data; runtime state ([`DirectionState`])
//! is the Gilbert-Elliott channel state of one direction. The decision
//! ([`LinkConfig::transmit`]) is a pure function of both, the time the packet
//! enters the link, and the direction's own random stream.
//!
//! Common random numbers: every packet draws exactly the same uniforms
//! whatever the loss level, and whether or not it is lost. Two sweep points
//! that differ only in loss probability therefore lose nested sets of packets
//! and see identical delays.

use rand::{Rng, RngExt};

use super::topology::NodeId;
use crate::engine::{SimDuration, SimTime};

/// A probability, checked to lie in [0, 1] when built.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Probability(f64);

impl Probability {
    /// Zero loss.
    pub const ZERO: Probability = Probability(0.0);

    /// `p` if it lies in [0, 1], else `None`.
    pub fn new(p: f64) -> Option<Self> {
        (0.0..=1.0).contains(&p).then_some(Probability(p))
    }

    /// The probability, in [0, 1] (checked when it was built).
    pub fn get(self) -> f64 {
        self.0
    }
}

/// How a direction of a link loses packets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LossModel {
    /// Each packet is lost independently with probability p.
    Bernoulli(Probability),
    /// Two-state Markov channel: before each packet the state moves
    /// good→bad with `p_good_to_bad` or bad→good with `p_bad_to_good`, then
    /// the packet is lost with the state's loss probability.
    GilbertElliott {
        /// P(good → bad) per packet.
        p_good_to_bad: Probability,
        /// P(bad → good) per packet.
        p_bad_to_good: Probability,
        /// Loss probability in the good state.
        loss_good: Probability,
        /// Loss probability in the bad state.
        loss_bad: Probability,
    },
}

impl LossModel {
    /// Long-run loss fraction: p, or the stationary mix of the two states.
    pub fn mean_loss(&self) -> f64 {
        match *self {
            LossModel::Bernoulli(p) => p.get(),
            LossModel::GilbertElliott {
                p_good_to_bad,
                p_bad_to_good,
                loss_good,
                loss_bad,
            } => {
                let (g2b, b2g) = (p_good_to_bad.get(), p_bad_to_good.get());
                if g2b + b2g == 0.0 {
                    return loss_good.get(); // never leaves the initial good state
                }
                let pi_bad = g2b / (g2b + b2g);
                (1.0 - pi_bad) * loss_good.get() + pi_bad * loss_bad.get()
            }
        }
    }
}

/// A link between two nodes, the same in both directions.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkConfig {
    /// One end (`between[0]`).
    pub a: NodeId,
    /// The other end (`between[1]`).
    pub b: NodeId,
    /// Minimum one-way delay.
    pub delay: SimDuration,
    /// Extra delay drawn uniformly from [0, jitter) per packet; packets may reorder.
    pub jitter: SimDuration,
    /// Loss process, independent per direction.
    pub loss: LossModel,
    /// A direction's own loss process in place of `loss` (`loss_toward`).
    pub loss_dir: [Option<LossModel>; 2],
    /// Scheduled outages and loss bursts, in both directions or one.
    pub windows: Vec<LossWindow>,
}

/// A scheduled window of loss on a link: `[from, to)`, in both directions
/// or in one (a one-way failure).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossWindow {
    /// Opens (inclusive).
    pub from: SimTime,
    /// Closes (exclusive).
    pub to: SimTime,
    /// `None`: everything entering the link is lost (an outage); `Some(p)`:
    /// each packet is lost with probability p (a loss burst).
    pub loss: Option<Probability>,
    /// The one direction it affects, if not both.
    pub dir: Option<Direction>,
}

impl LossWindow {
    /// True if a packet entering the link at `t` in direction `dir` falls in it.
    fn covers(&self, t: SimTime, dir: Direction) -> bool {
        self.from <= t && t < self.to && self.dir.is_none_or(|d| d == dir)
    }
}

/// Which way a packet crosses a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From `a` to `b`.
    AtoB,
    /// From `b` to `a`.
    BtoA,
}

impl Direction {
    /// Index 0 or 1, for per-direction arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Runtime state of one direction: the Gilbert-Elliott channel state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirectionState {
    /// True while the channel is in the bad (bursty) state; starts good.
    pub bad: bool,
}

/// Why a packet was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LossCause {
    /// Independent (Bernoulli) loss, or loss in the good state.
    Random,
    /// Loss while the Gilbert-Elliott channel was in its bad state.
    Burst,
    /// The link was in a scheduled outage.
    Outage,
    /// No path leads to the destination.
    NoRoute,
    /// An injected fault (a loss burst, a swallowed BYE).
    Fault,
    /// The receiving node (or the call's endpoint there) is down.
    NodeDown,
    /// The receiving node's NAT binding had closed.
    Nat,
}

impl LossCause {
    /// Stable lower-case name for traces and CSV.
    pub fn name(self) -> &'static str {
        match self {
            LossCause::Random => "loss",
            LossCause::Burst => "burst",
            LossCause::Outage => "outage",
            LossCause::NoRoute => "no_route",
            LossCause::Fault => "fault",
            LossCause::NodeDown => "node_down",
            LossCause::Nat => "nat",
        }
    }
}

/// What happened to a packet on one link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Delivered after this one-way delay.
    Delivered(SimDuration),
    /// Lost, and why (outage, burst, random loss).
    Lost(LossCause),
}

impl LinkConfig {
    /// Mean one-way delay in ns (delay + jitter/2): the routing weight.
    pub fn mean_delay_ns(&self) -> u64 {
        self.delay.as_nanos() + self.jitter.as_nanos() / 2
    }

    /// True if a packet entering at `t` in direction `dir` falls in an outage.
    pub fn in_outage(&self, t: SimTime, dir: Direction) -> bool {
        self.windows
            .iter()
            .any(|w| w.loss.is_none() && w.covers(t, dir))
    }

    /// The direction of packets travelling toward `end` (one of `a`, `b`).
    pub fn direction_toward(&self, end: NodeId) -> Direction {
        if end == self.a {
            Direction::BtoA
        } else {
            Direction::AtoB
        }
    }

    /// The loss process of direction `dir`.
    pub fn loss_of(&self, dir: Direction) -> &LossModel {
        self.loss_dir[dir.index()].as_ref().unwrap_or(&self.loss)
    }

    /// Decides one packet entering the link at `t` in direction `dir`:
    /// exactly three uniforms are drawn (jitter, channel transition, loss)
    /// whatever the outcome.
    pub fn transmit<R: Rng>(
        &self,
        dir: Direction,
        state: &mut DirectionState,
        t: SimTime,
        rng: &mut R,
    ) -> Fate {
        let u_jitter: f64 = rng.random();
        let u_state: f64 = rng.random();
        let u_loss: f64 = rng.random();
        let jitter = (self.jitter.as_nanos() as f64 * u_jitter) as u64;
        let delay = self.delay + SimDuration::from_nanos(jitter);
        let lost = match *self.loss_of(dir) {
            LossModel::Bernoulli(p) => (u_loss < p.get()).then_some(LossCause::Random),
            LossModel::GilbertElliott {
                p_good_to_bad,
                p_bad_to_good,
                loss_good,
                loss_bad,
            } => {
                state.bad = if state.bad {
                    u_state >= p_bad_to_good.get()
                } else {
                    u_state < p_good_to_bad.get()
                };
                let (p, cause) = if state.bad {
                    (loss_bad, LossCause::Burst)
                } else {
                    (loss_good, LossCause::Random)
                };
                (u_loss < p.get()).then_some(cause)
            }
        };
        let burst = self
            .windows
            .iter()
            .find(|w| w.loss.is_some() && w.covers(t, dir))
            .and_then(|w| w.loss)
            .is_some_and(|p| u_loss < p.get());
        if self.in_outage(t, dir) {
            Fate::Lost(LossCause::Outage)
        } else if burst {
            Fate::Lost(LossCause::Fault)
        } else if let Some(cause) = lost {
            Fate::Lost(cause)
        } else {
            Fate::Delivered(delay)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{StreamId, stream};

    fn link(loss: LossModel) -> LinkConfig {
        LinkConfig {
            a: NodeId(0),
            b: NodeId(1),
            delay: SimDuration::from_millis(10),
            jitter: SimDuration::from_millis(4),
            loss,
            loss_dir: [None, None],
            windows: vec![LossWindow {
                from: SimTime::from_secs(100),
                to: SimTime::from_secs(160),
                loss: None,
                dir: None,
            }],
        }
    }

    fn p(x: f64) -> Probability {
        Probability::new(x).unwrap()
    }

    #[test]
    fn probability_range_is_checked() {
        assert!(Probability::new(-0.01).is_none());
        assert!(Probability::new(1.01).is_none());
        assert!(Probability::new(f64::NAN).is_none());
        assert_eq!(Probability::new(1.0).unwrap().get(), 1.0);
    }

    #[test]
    fn delay_stays_within_delay_plus_jitter() {
        let l = link(LossModel::Bernoulli(Probability::ZERO));
        let mut rng = stream(1, 0, 0, StreamId::named("t"));
        let mut st = DirectionState::default();
        let mut sum = 0u64;
        for _ in 0..20_000 {
            match l.transmit(Direction::AtoB, &mut st, SimTime::ZERO, &mut rng) {
                Fate::Delivered(d) => {
                    assert!(d >= SimDuration::from_millis(10) && d < SimDuration::from_millis(14));
                    sum += d.as_nanos();
                }
                Fate::Lost(_) => panic!("no loss configured"),
            }
        }
        // Mean 12 ms; sd of the mean = 4 ms / sqrt(12 * 20000) = 0.0082 ms; allow 5 sd.
        let mean_ms = sum as f64 / 20_000.0 / 1e6;
        assert!((mean_ms - 12.0).abs() < 0.041, "{mean_ms}");
    }

    #[test]
    fn outage_loses_everything_in_its_interval_only() {
        let l = link(LossModel::Bernoulli(Probability::ZERO));
        let mut rng = stream(1, 0, 0, StreamId::named("t"));
        let mut st = DirectionState::default();
        let at = |s: u32| SimTime::from_secs(s);
        assert!(matches!(
            l.transmit(Direction::AtoB, &mut st, at(99), &mut rng),
            Fate::Delivered(_)
        ));
        assert_eq!(
            l.transmit(Direction::AtoB, &mut st, at(100), &mut rng),
            Fate::Lost(LossCause::Outage)
        );
        assert_eq!(
            l.transmit(Direction::AtoB, &mut st, at(159), &mut rng),
            Fate::Lost(LossCause::Outage)
        );
        assert!(matches!(
            l.transmit(Direction::AtoB, &mut st, at(160), &mut rng),
            Fate::Delivered(_)
        ));
    }

    #[test]
    fn a_one_way_window_and_loss_touch_only_their_direction() {
        // An outage toward b over [10, 20) s, and loss 1 toward a only.
        let mut l = link(LossModel::Bernoulli(Probability::ZERO));
        l.windows = vec![LossWindow {
            from: SimTime::from_secs(10),
            to: SimTime::from_secs(20),
            loss: None,
            dir: Some(Direction::AtoB),
        }];
        l.loss_dir[Direction::BtoA.index()] = Some(LossModel::Bernoulli(p(1.0)));
        let mut rng = stream(1, 0, 0, StreamId::named("t"));
        let mut st = DirectionState::default();
        let mut fate = |dir, s| l.transmit(dir, &mut st, SimTime::from_secs(s), &mut rng);
        assert_eq!(fate(Direction::AtoB, 10), Fate::Lost(LossCause::Outage));
        assert!(matches!(fate(Direction::AtoB, 20), Fate::Delivered(_)));
        assert_eq!(fate(Direction::BtoA, 5), Fate::Lost(LossCause::Random));
        assert_eq!(fate(Direction::BtoA, 15), Fate::Lost(LossCause::Random));
    }

    #[test]
    fn bernoulli_loss_rate_matches_p() {
        let l = link(LossModel::Bernoulli(p(0.1)));
        let mut rng = stream(2, 0, 0, StreamId::named("t"));
        let mut st = DirectionState::default();
        let n = 50_000;
        let lost = (0..n)
            .filter(|_| {
                matches!(
                    l.transmit(Direction::AtoB, &mut st, SimTime::ZERO, &mut rng),
                    Fate::Lost(_)
                )
            })
            .count();
        // sd = sqrt(0.1 * 0.9 / 50000) = 0.00134; allow 5 sd.
        assert!((lost as f64 / n as f64 - 0.1).abs() < 0.0067, "{lost}");
    }

    #[test]
    fn gilbert_elliott_matches_its_stationary_loss_and_burst_length() {
        let ge = LossModel::GilbertElliott {
            p_good_to_bad: p(0.01),
            p_bad_to_good: p(0.25),
            loss_good: p(0.0),
            loss_bad: p(1.0),
        };
        // pi_bad = 0.01 / 0.26 = 0.03846.
        assert!((ge.mean_loss() - 0.01 / 0.26).abs() < 1e-12);
        let l = link(ge);
        let mut rng = stream(3, 0, 0, StreamId::named("t"));
        let mut st = DirectionState::default();
        let n = 400_000;
        let fates: Vec<bool> = (0..n)
            .map(|_| {
                matches!(
                    l.transmit(Direction::AtoB, &mut st, SimTime::ZERO, &mut rng),
                    Fate::Lost(_)
                )
            })
            .collect();
        let lost = fates.iter().filter(|&&x| x).count() as f64 / n as f64;
        // Bursts: geometric with mean 1 / p_bad_to_good = 4 packets.
        let bursts = fates.windows(2).filter(|w| !w[0] && w[1]).count() as f64;
        let mean_burst = fates.iter().filter(|&&x| x).count() as f64 / bursts;
        // Correlated samples: the loss-fraction sd is about 0.0012 here; allow ~5 sd.
        assert!((lost - 0.03846).abs() < 0.006, "loss {lost}");
        // About 3,800 bursts, sd of the mean burst length = sqrt(12)/sqrt(3800) = 0.056.
        assert!((mean_burst - 4.0).abs() < 0.3, "burst {mean_burst}");
    }

    #[test]
    fn a_higher_loss_probability_loses_a_superset_of_packets() {
        // Common random numbers: same stream, p = 0.05 vs 0.2.
        let run = |x: f64| -> Vec<bool> {
            let l = link(LossModel::Bernoulli(p(x)));
            let mut rng = stream(4, 0, 0, StreamId::named("t"));
            let mut st = DirectionState::default();
            (0..5000)
                .map(|_| {
                    matches!(
                        l.transmit(Direction::AtoB, &mut st, SimTime::ZERO, &mut rng),
                        Fate::Lost(_)
                    )
                })
                .collect()
        };
        let (lo, hi) = (run(0.05), run(0.2));
        assert!(lo.iter().zip(&hi).all(|(l, h)| !l || *h));
    }
}
