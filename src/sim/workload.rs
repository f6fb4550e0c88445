//! The calls a run places: arrivals, holding times, caller/callee pairs and
//! the `call_crash` fault. Calls are generated one at a time, in start
//! order, so memory does not grow with the number of calls.
//!
//! Every draw comes from its own named stream (`workload.arrivals`,
//! `workload.holding`, `workload.pairs`, `workload.crash`, `fault.drop_bye`),
//! and each call draws the same number of values from each stream whatever
//! the parameters. Sweep points therefore see the same calls (common random
//! numbers): a higher crash probability crashes a superset of calls.

use rand::RngExt;

use crate::engine::{SeedSpace, SimDuration, SimRng, SimTime, StreamId};
use crate::net::{NodeId, Probability};
use crate::sip::ua::ReinviteParam;

/// How calls arrive.
#[derive(Debug, Clone, PartialEq)]
pub enum Arrivals {
    /// `calls` calls, `interval` apart from `start` (0: all at once).
    Regular {
        /// Number of calls.
        calls: u32,
        /// First start.
        start: SimTime,
        /// Time between starts (0: all at once).
        interval: SimDuration,
    },
    /// `calls` calls at independent uniform times in `[start, start + over)`.
    Spread {
        /// Number of calls.
        calls: u32,
        /// Start of the window.
        start: SimTime,
        /// Window length.
        over: SimDuration,
    },
    /// A Poisson process from `start` until the horizon (or `max_calls`).
    Poisson {
        /// Calls per second.
        rate_per_s: f64,
        /// First possible arrival.
        start: SimTime,
        /// Optional cap on the number of calls.
        max_calls: Option<u32>,
    },
}

/// Holding time: from the answer to the caller's BYE.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Holding {
    /// Always this long.
    Fixed(SimDuration),
    /// Exponential with this mean.
    Exponential {
        /// Mean holding time.
        mean: SimDuration,
    },
    /// Lognormal: `median · exp(sigma · Z)`.
    LogNormal {
        /// Median holding time.
        median: SimDuration,
        /// Shape (standard deviation of the log).
        sigma: f64,
    },
}

/// Who calls whom.
#[derive(Debug, Clone, PartialEq)]
pub enum Pairs {
    /// Each call picks one pair uniformly.
    List(Vec<(NodeId, NodeId)>),
    /// Each call picks a caller and a (different) callee uniformly from groups.
    Groups {
        /// Possible callers.
        callers: Vec<NodeId>,
        /// Possible callees.
        callees: Vec<NodeId>,
    },
}

/// Which endpoint `call_crash` kills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashSide {
    /// The caller dies.
    Caller,
    /// The callee dies.
    Callee,
    /// Either, with equal probability.
    Either,
}

crate::keyword::keywords!(CrashSide {
    "caller" => CrashSide::Caller,
    "callee" => CrashSide::Callee,
    "either" => CrashSide::Either,
});

/// `call_crash`: each call independently loses one endpoint, silently, at a
/// uniform time inside its holding time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallCrash {
    /// Probability per call.
    pub probability: Probability,
    /// Which side.
    pub side: CrashSide,
}

/// Who sends a call's mid-call re-INVITEs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReinviteBy {
    /// The caller's UA.
    Caller,
    /// The callee's UA.
    Callee,
    /// Either, with equal probability, per re-INVITE.
    Either,
}

crate::keyword::keywords!(ReinviteBy {
    "caller" => ReinviteBy::Caller,
    "callee" => ReinviteBy::Callee,
    "either" => ReinviteBy::Either,
});

/// When a call's mid-call re-INVITEs go, after its answer at the caller.
#[derive(Debug, Clone, PartialEq)]
pub enum ReinviteTiming {
    /// At these times after the answer (those before the hang-up).
    At(Vec<SimDuration>),
    /// A Poisson process with this rate per second over the holding time.
    Rate(f64),
}

/// Mid-call re-INVITEs (hold/resume, codec change): each is also a
/// session refresh (ST-UAC-13), and may move the refresher role.
#[derive(Debug, Clone, PartialEq)]
pub struct Reinvites {
    /// When.
    pub timing: ReinviteTiming,
    /// Who sends them.
    pub by: ReinviteBy,
    /// Their `refresher` parameter.
    pub param: ReinviteParam,
}

/// One planned mid-call re-INVITE.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlannedReinvite {
    /// After the caller's answer.
    pub after: SimDuration,
    /// The UA that sends it.
    pub node: NodeId,
    /// Its `refresher` parameter.
    pub param: ReinviteParam,
}

/// Most re-INVITEs one call may plan (a guard against a rate typo).
pub const MAX_REINVITES_PER_CALL: usize = 1000;

/// A workload: what calls a run places, and until when it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadSpec {
    /// When calls start.
    pub arrivals: Arrivals,
    /// Holding times.
    pub holding: Holding,
    /// Caller/callee pairs.
    pub pairs: Pairs,
    /// Optional per-call endpoint crashes.
    pub call_crash: Option<CallCrash>,
    /// Optional mid-call re-INVITEs.
    pub reinvites: Option<Reinvites>,
    /// The drain phase: no call starts at or after this time, and the run
    /// ends as soon as no call is in progress (or at the horizon). `None`:
    /// calls start until the horizon and the run ends there.
    pub arrivals_until: Option<SimTime>,
    /// End of the simulated time (with a drain phase: its limit).
    pub horizon: SimTime,
}

impl WorkloadSpec {
    /// One call from `caller` to `callee`, `calls` times `interval` apart.
    pub fn regular(
        caller: NodeId,
        callee: NodeId,
        calls: u32,
        interval: SimDuration,
        holding: SimDuration,
        horizon: SimTime,
    ) -> Self {
        WorkloadSpec {
            arrivals: Arrivals::Regular {
                calls,
                start: SimTime::ZERO,
                interval,
            },
            holding: Holding::Fixed(holding),
            pairs: Pairs::List(vec![(caller, callee)]),
            call_crash: None,
            reinvites: None,
            arrivals_until: None,
            horizon,
        }
    }
}

impl WorkloadSpec {
    /// The number of calls, when fixed (Poisson without a cap: `None`).
    pub fn max_calls(&self) -> Option<u32> {
        match self.arrivals {
            Arrivals::Regular { calls, .. } | Arrivals::Spread { calls, .. } => Some(calls),
            Arrivals::Poisson { max_calls, .. } => max_calls,
        }
    }
}

/// One call to place.
#[derive(Debug, Clone, PartialEq)]
pub struct CallPlan {
    /// Its number (0-based, in start order).
    pub index: u32,
    /// When it starts.
    pub start: SimTime,
    /// The UA that places the call.
    pub caller: NodeId,
    /// The UA it calls (Request-URI).
    pub callee: NodeId,
    /// Holding time.
    pub holding: SimDuration,
    /// `call_crash`: the endpoint to kill and when, as a fraction of the holding time.
    pub crash: Option<(NodeId, f64)>,
    /// A uniform draw per call for faults that select calls by probability.
    pub fault_draw: f64,
    /// Its mid-call re-INVITEs, in time order.
    pub reinvites: Vec<PlannedReinvite>,
}

/// Produces the workload's calls in start order.
pub struct Generator {
    spec: WorkloadSpec,
    arrivals: SimRng,
    holding: SimRng,
    pairs: SimRng,
    crash: SimRng,
    faults: SimRng,
    reinvites: SimRng,
    next: u32,
    /// Arrivals so far as a time (Poisson) or order statistic in [0, 1) (spread).
    position: f64,
}

impl Generator {
    /// A generator drawing from the run's streams.
    pub fn new(spec: WorkloadSpec, seeds: &SeedSpace) -> Self {
        Generator {
            spec,
            arrivals: seeds.stream(StreamId::named("workload.arrivals")),
            holding: seeds.stream(StreamId::named("workload.holding")),
            pairs: seeds.stream(StreamId::named("workload.pairs")),
            crash: seeds.stream(StreamId::named("workload.crash")),
            faults: seeds.stream(StreamId::named("fault.drop_bye")),
            reinvites: seeds.stream(StreamId::named("workload.reinvite")),
            next: 0,
            position: 0.0,
        }
    }

    /// The workload being generated.
    pub fn spec(&self) -> &WorkloadSpec {
        &self.spec
    }

    /// The next call, or `None` when the workload is exhausted or past the horizon.
    pub fn next_call(&mut self) -> Option<CallPlan> {
        let index = self.next;
        let start = match &self.spec.arrivals {
            Arrivals::Regular {
                calls,
                start,
                interval,
            } => {
                if index >= *calls {
                    return None;
                }
                start
                    .checked_add(interval.checked_mul(index as u64).ok()?)
                    .ok()?
            }
            Arrivals::Spread { calls, start, over } => {
                if index >= *calls {
                    return None;
                }
                // Ascending uniform order statistics, one at a time: the gap
                // to 1 shrinks by U^(1/k) with k calls left (Bentley & Saxe).
                let left = (*calls - index) as f64;
                let u: f64 = self.arrivals.random();
                self.position = 1.0 - (1.0 - self.position) * (1.0 - u).powf(1.0 / left);
                start
                    .checked_add(SimDuration::from_nanos(
                        (over.as_nanos() as f64 * self.position) as u64,
                    ))
                    .ok()?
            }
            Arrivals::Poisson {
                rate_per_s,
                start,
                max_calls,
            } => {
                if max_calls.is_some_and(|m| index >= m) {
                    return None;
                }
                let u: f64 = self.arrivals.random();
                self.position += -(1.0 - u).ln() / rate_per_s;
                start
                    .checked_add(SimDuration::from_secs_f64(self.position).ok()?)
                    .ok()?
            }
        };
        if start > self.spec.horizon || self.spec.arrivals_until.is_some_and(|u| start >= u) {
            return None;
        }
        self.next += 1;
        let holding = self.draw_holding();
        let (caller, callee) = self.draw_pair();
        // Always three crash draws and one fault draw, so that sweeps keep
        // the same calls (common random numbers).
        let (u_crash, u_side, u_when): (f64, f64, f64) = (
            self.crash.random(),
            self.crash.random(),
            self.crash.random(),
        );
        let crash = self.spec.call_crash.and_then(|cc| {
            (u_crash < cc.probability.get()).then(|| {
                let victim = match cc.side {
                    CrashSide::Caller => caller,
                    CrashSide::Callee => callee,
                    CrashSide::Either if u_side < 0.5 => caller,
                    CrashSide::Either => callee,
                };
                (victim, u_when)
            })
        });
        Some(CallPlan {
            index,
            start,
            caller,
            callee,
            holding,
            crash,
            fault_draw: self.faults.random(),
            reinvites: self.plan_reinvites(caller, callee, holding),
        })
    }

    /// A call's re-INVITEs, drawn from its own generator seeded by one draw
    /// per call (common random numbers whatever the timing).
    fn plan_reinvites(
        &mut self,
        caller: NodeId,
        callee: NodeId,
        holding: SimDuration,
    ) -> Vec<PlannedReinvite> {
        let seed: u64 = self.reinvites.random();
        let Some(r) = &self.spec.reinvites else {
            return Vec::new();
        };
        let mut rng = <SimRng as rand::SeedableRng>::seed_from_u64(seed);
        let mut times = Vec::new();
        match &r.timing {
            ReinviteTiming::At(list) => times.extend(list.iter().filter(|&&t| t < holding)),
            ReinviteTiming::Rate(per_s) => {
                let mut t = 0.0;
                loop {
                    let u: f64 = rng.random();
                    t += -(1.0 - u).ln() / per_s;
                    match SimDuration::from_secs_f64(t) {
                        Ok(d) if d < holding && times.len() < MAX_REINVITES_PER_CALL => {
                            times.push(d)
                        }
                        _ => break,
                    }
                }
            }
        }
        times
            .into_iter()
            .map(|after| {
                let node = match r.by {
                    ReinviteBy::Caller => caller,
                    ReinviteBy::Callee => callee,
                    ReinviteBy::Either if rng.random::<f64>() < 0.5 => caller,
                    ReinviteBy::Either => callee,
                };
                PlannedReinvite {
                    after,
                    node,
                    param: r.param,
                }
            })
            .collect()
    }

    fn draw_holding(&mut self) -> SimDuration {
        // Two uniforms per call whatever the distribution (common random numbers).
        let (u1, u2): (f64, f64) = (self.holding.random(), self.holding.random());
        let secs = match self.spec.holding {
            Holding::Fixed(d) => return d,
            Holding::Exponential { mean } => -mean.as_secs_f64() * (1.0 - u1).ln(),
            Holding::LogNormal { median, sigma } => {
                // Box–Muller: Z = sqrt(-2 ln U1) cos(2π U2).
                let z = (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                median.as_secs_f64() * (sigma * z).exp()
            }
        };
        SimDuration::from_secs_f64(secs.min(1e9)).unwrap_or(SimDuration::ZERO)
    }

    fn draw_pair(&mut self) -> (NodeId, NodeId) {
        let (u1, u2): (f64, f64) = (self.pairs.random(), self.pairs.random());
        let pick = |n: usize, u: f64| ((u * n as f64) as usize).min(n - 1);
        match &self.spec.pairs {
            Pairs::List(list) => list[pick(list.len(), u1)],
            Pairs::Groups { callers, callees } => {
                let a = callers[pick(callers.len(), u1)];
                // Choose among callees other than the caller.
                let others: usize = callees.iter().filter(|&&c| c != a).count();
                let k = pick(others, u2);
                let b = *callees
                    .iter()
                    .filter(|&&c| c != a)
                    .nth(k)
                    .expect("a callee other than the caller");
                (a, b)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(arrivals: Arrivals, holding: Holding) -> WorkloadSpec {
        WorkloadSpec {
            arrivals,
            holding,
            pairs: Pairs::List(vec![(NodeId(0), NodeId(1))]),
            call_crash: None,
            reinvites: None,
            arrivals_until: None,
            horizon: SimTime::from_secs(1_000_000),
        }
    }

    fn all(g: &mut Generator) -> Vec<CallPlan> {
        std::iter::from_fn(|| g.next_call()).collect()
    }

    #[test]
    fn spread_arrivals_are_sorted_uniforms() {
        let s = spec(
            Arrivals::Spread {
                calls: 20_000,
                start: SimTime::ZERO,
                over: SimDuration::from_secs(1000),
            },
            Holding::Fixed(SimDuration::from_secs(1)),
        );
        let calls = all(&mut Generator::new(s, &SeedSpace::new(1, 0, 0)));
        assert_eq!(calls.len(), 20_000);
        assert!(calls.windows(2).all(|w| w[0].start <= w[1].start));
        assert!(calls.last().unwrap().start < SimTime::from_secs(1000));
        // Uniform on [0, 1000): mean 500, sd of the mean 1000/sqrt(12 * 20000) = 2.04; 5 sd.
        let mean = calls.iter().map(|c| c.start.as_secs_f64()).sum::<f64>() / 20_000.0;
        assert!((mean - 500.0).abs() < 10.2, "{mean}");
        // Fraction in the first quarter: 0.25 ± 5 sd (sd = 0.0031).
        let q = calls
            .iter()
            .filter(|c| c.start < SimTime::from_secs(250))
            .count() as f64
            / 20_000.0;
        assert!((q - 0.25).abs() < 0.0155, "{q}");
    }

    #[test]
    fn poisson_arrivals_have_the_rate() {
        let s = spec(
            Arrivals::Poisson {
                rate_per_s: 2.0,
                start: SimTime::ZERO,
                max_calls: None,
            },
            Holding::Fixed(SimDuration::from_secs(1)),
        );
        let s = WorkloadSpec {
            arrivals_until: None,
            horizon: SimTime::from_secs(10_000),
            ..s
        };
        let n = all(&mut Generator::new(s, &SeedSpace::new(3, 0, 0))).len() as f64;
        // Poisson(20000): sd 141; allow 5 sd.
        assert!((n - 20_000.0).abs() < 707.0, "{n}");
    }

    #[test]
    fn holding_distributions_have_their_means() {
        let n = 40_000;
        let regular = Arrivals::Regular {
            calls: n,
            start: SimTime::ZERO,
            interval: SimDuration::ZERO,
        };
        let mean_of = |h| {
            let calls = all(&mut Generator::new(
                spec(regular.clone(), h),
                &SeedSpace::new(5, 0, 0),
            ));
            calls.iter().map(|c| c.holding.as_secs_f64()).sum::<f64>() / n as f64
        };
        // Exponential mean 120: sd of the mean 120/sqrt(40000) = 0.6; 5 sd.
        let e = mean_of(Holding::Exponential {
            mean: SimDuration::from_secs(120),
        });
        assert!((e - 120.0).abs() < 3.0, "{e}");
        // Lognormal median 100, sigma 0.5: mean 100·e^(0.125) = 113.31;
        // sd = mean·sqrt(e^0.25 - 1) = 60.4, of the mean 0.30; 5 sd.
        let l = mean_of(Holding::LogNormal {
            median: SimDuration::from_secs(100),
            sigma: 0.5,
        });
        assert!((l - 113.315).abs() < 1.5, "{l}");
    }

    #[test]
    fn crash_selection_is_nested_across_probabilities() {
        let regular = Arrivals::Regular {
            calls: 5000,
            start: SimTime::ZERO,
            interval: SimDuration::from_secs(1),
        };
        let run = |p: f64| -> Vec<bool> {
            let mut s = spec(regular.clone(), Holding::Fixed(SimDuration::from_secs(60)));
            s.call_crash = Some(CallCrash {
                probability: Probability::new(p).unwrap(),
                side: CrashSide::Either,
            });
            all(&mut Generator::new(s, &SeedSpace::new(9, 0, 0)))
                .iter()
                .map(|c| c.crash.is_some())
                .collect()
        };
        let (lo, hi) = (run(0.05), run(0.2));
        assert!(
            lo.iter().zip(&hi).all(|(l, h)| !l || *h),
            "common random numbers"
        );
        let rate = hi.iter().filter(|&&x| x).count() as f64 / 5000.0;
        // Binomial(5000, 0.2): sd 0.00566; 5 sd.
        assert!((rate - 0.2).abs() < 0.0283, "{rate}");
    }

    #[test]
    fn group_pairs_never_call_themselves() {
        let mut s = spec(
            Arrivals::Regular {
                calls: 2000,
                start: SimTime::ZERO,
                interval: SimDuration::ZERO,
            },
            Holding::Fixed(SimDuration::from_secs(1)),
        );
        let nodes = vec![NodeId(0), NodeId(1), NodeId(2)];
        s.pairs = Pairs::Groups {
            callers: nodes.clone(),
            callees: nodes,
        };
        let calls = all(&mut Generator::new(s, &SeedSpace::new(2, 0, 0)));
        assert!(calls.iter().all(|c| c.caller != c.callee));
        for n in 0..3 {
            let k = calls.iter().filter(|c| c.caller == NodeId(n)).count() as f64;
            // Binomial(2000, 1/3): sd 21; 5 sd.
            assert!((k - 666.7).abs() < 105.0, "{k}");
        }
    }
}
