//! Call workloads on `models/basic.toml` shared by the `calls` and `memory`
//! benchmarks, so both measure exactly the same work.
#![allow(dead_code)] // each benchmark uses some of these

use sstsim::engine::{SimDuration, SimTime};
use sstsim::net::{LossModel, Probability};
use sstsim::scenario::load_model;
use sstsim::sim::{Arrivals, CallCrash, CrashSide, Holding, NodeKind, WorldConfig};

/// `models/basic.toml` as shipped.
pub fn basic() -> WorldConfig {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/basic.toml");
    load_model(std::path::Path::new(path))
        .expect("basic.toml is valid")
        .world
}

/// Calls in the short-call workload.
pub const CALLS: u32 = 10_000;

/// basic.toml with 1% Bernoulli loss per hop and 10,000 calls 65 s apart.
pub fn short_calls() -> WorldConfig {
    let mut world = basic();
    for l in &mut world.links {
        l.loss = LossModel::Bernoulli(Probability::new(0.01).expect("in range"));
    }
    let w = &mut world.workload;
    w.arrivals = Arrivals::Regular {
        calls: CALLS,
        start: SimTime::ZERO,
        interval: SimDuration::from_secs(65),
    };
    w.holding = Holding::Fixed(SimDuration::from_secs(60));
    w.horizon = SimTime::from_secs(65 * CALLS + 300);
    world
}

/// Calls in the long-call workload.
pub const LONG_CALLS: u32 = 1_000;

/// basic.toml with 1% loss, SE 90 s (alice asks), 1,000 calls of 1 h.
pub fn long_calls() -> WorldConfig {
    let mut world = short_calls();
    for n in &mut world.nodes {
        if let NodeKind::Ua(c) = &mut n.kind {
            c.base.session_expires = 90;
        }
    }
    let w = &mut world.workload;
    w.arrivals = Arrivals::Regular {
        calls: LONG_CALLS,
        start: SimTime::ZERO,
        interval: SimDuration::from_millis(3600),
    };
    w.holding = Holding::Fixed(SimDuration::from_secs(3600));
    w.horizon = SimTime::from_secs(3600 * LONG_CALLS / 1000 + 3600 + 300);
    world
}

/// basic.toml with 1% loss, SE 300 s, 100,000 Poisson calls and `call_crash` 0.1.
pub fn crash_calls(calls: u32) -> WorldConfig {
    let mut world = short_calls();
    for n in &mut world.nodes {
        if let NodeKind::Ua(c) = &mut n.kind {
            c.base.session_expires = 300;
        }
    }
    let w = &mut world.workload;
    w.arrivals = Arrivals::Poisson {
        rate_per_s: 50.0,
        start: SimTime::ZERO,
        max_calls: Some(calls),
    };
    w.holding = Holding::Exponential {
        mean: SimDuration::from_secs(120),
    };
    w.call_crash = Some(CallCrash {
        probability: Probability::new(0.1).expect("in range"),
        side: CrashSide::Either,
    });
    w.horizon = SimTime::from_secs(calls / 50 + 4000);
    world
}
