//! The two standard event-set workloads (`hold`, `churn`) from
//! `shared/bench/event-set-workloads.md`, implemented exactly, once on the
//! sstsim engine and once on a bare `std::collections::BinaryHeap` with lazy
//! cancellation (the baseline every engine is compared with).
//!
//! Both implementations draw the same random numbers in the same order and
//! process events in the same `(time, seq)` order, so their checksums must be
//! equal: that equality is the correctness test of the comparison.
//!
//! Shared by `benches/engine.rs`, `examples/event_set.rs` and the tests
//! (`tests/it/workloads.rs`), which include it by path: it is benchmark
//! code, not part of the library.
//!
//! Nothing here reads a clock: callers time [`Prepared::run`] themselves, so
//! set-up is excluded from the measured loop.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use sstsim::engine::{SimDuration, SimTime, Simulation, TimerKey};

/// Which workload to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// The classic hold model: N pending events, each fires and reschedules itself.
    Hold,
    /// Session-timer churn: N sessions refreshing every SE/2, each refresh
    /// cancelling and re-arming the session's expiry timer.
    Churn,
}

impl Workload {
    /// The name used on command lines and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Hold => "hold",
            Workload::Churn => "churn",
        }
    }

    /// Events counted per step: one pop for hold; a fired refresh plus a cancelled expiry for churn.
    pub fn events_per_step(self) -> u64 {
        match self {
            Workload::Hold => 1,
            Workload::Churn => 2,
        }
    }
}

impl std::str::FromStr for Workload {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "hold" => Ok(Workload::Hold),
            "churn" => Ok(Workload::Churn),
            _ => Err(format!("unknown workload '{s}': allowed are hold, churn")),
        }
    }
}

/// Which event set runs the workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSet {
    /// The sstsim engine ([`Simulation`] with its timer queue).
    Sstsim,
    /// A bare `BinaryHeap<Reverse<(u64, u64)>>` with lazy cancellation.
    BaselineBinaryHeap,
}

impl EventSet {
    /// The name used on command lines and in benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            EventSet::Sstsim => "sstsim",
            EventSet::BaselineBinaryHeap => "baseline_binary_heap",
        }
    }
}

impl std::str::FromStr for EventSet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sstsim" => Ok(EventSet::Sstsim),
            "baseline_binary_heap" => Ok(EventSet::BaselineBinaryHeap),
            _ => Err(format!(
                "unknown engine '{s}': allowed are sstsim, baseline_binary_heap"
            )),
        }
    }
}

/// What a workload run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Counted events: fired plus cancelled.
    pub events: u64,
    /// Events that fired.
    pub fired: u64,
    /// Timers cancelled.
    pub cancelled: u64,
    /// The order-sensitive digest of fired events.
    pub checksum: u64,
    /// The clock at the end, in nanoseconds.
    pub sim_now_ns: u64,
}

/// Session interval of the churn workload: 1800 s.
const SE_NS: u64 = 1_800_000_000_000;
/// Refresh period: SE/2.
const REFRESH_NS: u64 = SE_NS / 2;
/// Upper bound (exclusive) of the refresh jitter: 200 ms.
const JITTER_MAX_NS: u64 = 200_000_000;

/// The checksum step defined by the workload document.
#[inline]
pub fn mix(acc: u64, t: u64, id: u64) -> u64 {
    ((acc ^ t.wrapping_add(id.wrapping_mul(0x9E37_79B9_7F4A_7C15))).wrapping_mul(0x0100_0000_01B3))
        .rotate_left(17)
}

/// The workload's generator: `ChaCha8Rng::seed_from_u64(seed)`, stream `rep`.
pub fn workload_rng(seed: u64, rep: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(rep);
    rng
}

/// `max(1, floor(-ln(1 - u) * 1e9))` with `u` uniform in [0, 1): exponential, mean 1 s.
#[inline]
pub fn exp_ns(rng: &mut ChaCha8Rng) -> u64 {
    let u: f64 = rng.random();
    ((-(1.0 - u).ln()) * 1e9).floor().max(1.0) as u64
}

/// Parses a count such as `1_000`, `100k`, `1M` or `3G` (integers only).
pub fn parse_count(s: &str) -> Result<u64, String> {
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let (digits, mult) = match clean.chars().last() {
        Some('k') => (&clean[..clean.len() - 1], 1_000),
        Some('M') => (&clean[..clean.len() - 1], 1_000_000),
        Some('G') => (&clean[..clean.len() - 1], 1_000_000_000),
        _ => (clean.as_str(), 1),
    };
    let allowed = "an integer with optional '_' separators and a k, M or G suffix, e.g. 100k";
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{s}' is not a count: expected {allowed}"));
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|v| v.checked_mul(mult))
        .ok_or_else(|| format!("'{s}' is too large for a 64-bit count"))
}

/// A workload with its initial events already scheduled, ready to run.
pub struct Prepared {
    inner: Inner,
}

enum Inner {
    EngineHold(EngineHold),
    EngineChurn(EngineChurn),
    BaselineHold(BaselineHold),
    BaselineChurn(BaselineChurn),
}

/// Schedules the workload's initial events (the set-up, which callers exclude from timing).
pub fn prepare(set: EventSet, workload: Workload, n: u64, steps: u64, seed: u64) -> Prepared {
    let n = u32::try_from(n).expect("workload size fits in u32");
    let inner = match (set, workload) {
        (EventSet::Sstsim, Workload::Hold) => Inner::EngineHold(EngineHold::new(n, steps, seed)),
        (EventSet::Sstsim, Workload::Churn) => Inner::EngineChurn(EngineChurn::new(n, steps, seed)),
        (EventSet::BaselineBinaryHeap, Workload::Hold) => {
            Inner::BaselineHold(BaselineHold::new(n, steps, seed))
        }
        (EventSet::BaselineBinaryHeap, Workload::Churn) => {
            Inner::BaselineChurn(BaselineChurn::new(n, steps, seed))
        }
    };
    Prepared { inner }
}

impl Prepared {
    /// Runs the event loop to completion (the part that is timed).
    pub fn run(self) -> Counts {
        match self.inner {
            Inner::EngineHold(w) => w.run(),
            Inner::EngineChurn(w) => w.run(),
            Inner::BaselineHold(w) => w.run(),
            Inner::BaselineChurn(w) => w.run(),
        }
    }
}

struct EngineHold {
    sim: Simulation<u32>,
    rng: ChaCha8Rng,
    steps: u64,
}

impl EngineHold {
    fn new(n: u32, steps: u64, seed: u64) -> Self {
        let mut rng = workload_rng(seed, 0);
        let mut sim = Simulation::with_capacity(n as usize).with_event_limit(steps);
        for id in 0..n {
            let at = SimTime::from_nanos(exp_ns(&mut rng));
            sim.scheduler()
                .schedule_at(at, id)
                .expect("initial event in range");
        }
        EngineHold { sim, rng, steps }
    }

    fn run(mut self) -> Counts {
        let mut checksum = 0;
        let rng = &mut self.rng;
        self.sim.run_until(SimTime::MAX, |s, id| {
            checksum = mix(checksum, s.now().as_nanos(), id as u64);
            let d = SimDuration::from_nanos(exp_ns(rng));
            s.schedule_in(d, id).expect("hold stays far from overflow");
        });
        assert_eq!(self.sim.events(), self.steps, "hold ran out of events");
        Counts {
            events: self.steps,
            fired: self.steps,
            cancelled: 0,
            checksum,
            sim_now_ns: self.sim.now().as_nanos(),
        }
    }
}

/// Churn event payloads on the engine.
#[derive(Debug, Clone, Copy)]
enum ChurnEvent {
    Refresh(u32),
    /// The session is identified by its timer key; expiry never fires in this workload.
    Expiry,
}

struct EngineChurn {
    sim: Simulation<ChurnEvent>,
    /// Each session's expiry timer: re-armed in place on every refresh.
    expiry: Vec<TimerKey>,
    rng: ChaCha8Rng,
    steps: u64,
}

impl EngineChurn {
    fn new(n: u32, steps: u64, seed: u64) -> Self {
        let mut rng = workload_rng(seed, 0);
        let mut sim = Simulation::with_capacity(2 * n as usize);
        let mut expiry = Vec::with_capacity(n as usize);
        for id in 0..n {
            let ph = rng.random_range(1..REFRESH_NS);
            let s = sim.scheduler();
            s.schedule_at(SimTime::from_nanos(ph), ChurnEvent::Refresh(id))
                .expect("initial event in range");
            let key = s
                .timer_at(SimTime::from_nanos(ph + REFRESH_NS), ChurnEvent::Expiry)
                .expect("initial event in range");
            expiry.push(key);
        }
        sim.next_event_time();
        EngineChurn {
            sim,
            expiry,
            rng,
            steps,
        }
    }

    fn run(mut self) -> Counts {
        let (mut fired, mut cancelled, mut refreshes, mut checksum) = (0u64, 0u64, 0u64, 0u64);
        let steps = self.steps;
        let (rng, expiry) = (&mut self.rng, &mut self.expiry);
        if steps > 0 {
            self.sim.run_until(SimTime::MAX, |s, ev| match ev {
                ChurnEvent::Refresh(id) => {
                    fired += 1;
                    refreshes += 1;
                    let now = s.now();
                    checksum = mix(checksum, now.as_nanos(), id as u64);
                    let d = rng.random_range(0..JITTER_MAX_NS);
                    let next = SimTime::from_nanos(now.as_nanos() + d);
                    s.schedule_at(
                        next + SimDuration::from_nanos(REFRESH_NS),
                        ChurnEvent::Refresh(id),
                    )
                    .expect("refresh in range");
                    // Cancel + re-schedule of the expiry in one O(1) re-arm; the key stays valid.
                    s.rearm_at(expiry[id as usize], next + SimDuration::from_nanos(SE_NS))
                        .expect("expiry is pending until cancelled");
                    cancelled += 1;
                    if refreshes == steps {
                        s.request_stop();
                    }
                }
                ChurnEvent::Expiry => fired += 1,
            });
        }
        Counts {
            events: fired + cancelled,
            fired,
            cancelled,
            checksum,
            sim_now_ns: self.sim.now().as_nanos(),
        }
    }
}

/// Baseline entry tag: `seq << 32 | id` (hold) or `seq << 32 | kind << 31 | id` (churn).
type BaseHeap = BinaryHeap<Reverse<(u64, u64)>>;

const EXPIRY_BIT: u64 = 1 << 31;

struct BaselineHold {
    heap: BaseHeap,
    rng: ChaCha8Rng,
    seq: u64,
    steps: u64,
}

impl BaselineHold {
    fn new(n: u32, steps: u64, seed: u64) -> Self {
        let mut rng = workload_rng(seed, 0);
        let mut heap = BaseHeap::new();
        let mut seq = 0;
        for id in 0..n as u64 {
            heap.push(Reverse((exp_ns(&mut rng), (seq << 32) | id)));
            seq += 1;
        }
        BaselineHold {
            heap,
            rng,
            seq,
            steps,
        }
    }

    fn run(mut self) -> Counts {
        let (mut checksum, mut now) = (0u64, 0u64);
        for _ in 0..self.steps {
            let Reverse((t, tag)) = self.heap.pop().expect("hold never drains");
            now = t;
            let id = tag & 0xFFFF_FFFF;
            checksum = mix(checksum, now, id);
            self.heap.push(Reverse((
                now + exp_ns(&mut self.rng),
                (self.seq << 32) | id,
            )));
            self.seq += 1;
        }
        Counts {
            events: self.steps,
            fired: self.steps,
            cancelled: 0,
            checksum,
            sim_now_ns: now,
        }
    }
}

struct BaselineChurn {
    heap: BaseHeap,
    /// Seq of each session's live expiry entry; any other expiry entry is stale.
    expiry_seq: Vec<u64>,
    rng: ChaCha8Rng,
    seq: u64,
    steps: u64,
}

impl BaselineChurn {
    fn new(n: u32, steps: u64, seed: u64) -> Self {
        let mut rng = workload_rng(seed, 0);
        let mut heap = BaseHeap::new();
        let mut expiry_seq = Vec::with_capacity(n as usize);
        let mut seq = 0;
        for id in 0..n as u64 {
            let ph = rng.random_range(1..REFRESH_NS);
            heap.push(Reverse((ph, (seq << 32) | id)));
            heap.push(Reverse((
                ph + REFRESH_NS,
                ((seq + 1) << 32) | EXPIRY_BIT | id,
            )));
            expiry_seq.push(seq + 1);
            seq += 2;
        }
        BaselineChurn {
            heap,
            expiry_seq,
            rng,
            seq,
            steps,
        }
    }

    fn run(mut self) -> Counts {
        let (mut fired, mut cancelled, mut refreshes, mut checksum, mut now) =
            (0u64, 0u64, 0u64, 0u64, 0u64);
        while refreshes < self.steps {
            let Reverse((t, tag)) = self.heap.pop().expect("churn never drains");
            now = t;
            let id = tag & (EXPIRY_BIT - 1);
            if tag & EXPIRY_BIT != 0 {
                if self.expiry_seq[id as usize] == tag >> 32 {
                    fired += 1;
                }
                continue;
            }
            fired += 1;
            refreshes += 1;
            checksum = mix(checksum, now, id);
            cancelled += 1; // the live expiry entry becomes stale
            let next = now + self.rng.random_range(0..JITTER_MAX_NS);
            self.heap
                .push(Reverse((next + REFRESH_NS, (self.seq << 32) | id)));
            self.heap.push(Reverse((
                next + SE_NS,
                ((self.seq + 1) << 32) | EXPIRY_BIT | id,
            )));
            self.expiry_seq[id as usize] = self.seq + 1;
            self.seq += 2;
        }
        Counts {
            events: fired + cancelled,
            fired,
            cancelled,
            checksum,
            sim_now_ns: now,
        }
    }
}

// Run from the test binary (`tests/it/workloads.rs` includes this file);
// the benchmark and example builds compile them without a test harness.
#[cfg(test)]
#[allow(unused_imports)]
mod tests {
    use super::*;

    #[test]
    fn parse_count_accepts_the_documented_forms() {
        assert_eq!(parse_count("1_000"), Ok(1000));
        assert_eq!(parse_count("100k"), Ok(100_000));
        assert_eq!(parse_count("1M"), Ok(1_000_000));
        assert_eq!(parse_count("3G"), Ok(3_000_000_000));
        assert!(parse_count("1.5M").is_err());
        assert!(parse_count("M").is_err());
        assert!(parse_count("-3").is_err());
        assert!(parse_count("99999999999999999999").is_err());
        assert!(parse_count("20000000000G").is_err());
    }

    #[test]
    fn exp_ns_is_at_least_one_nanosecond() {
        let mut rng = workload_rng(1, 0);
        assert!((0..10_000).all(|_| exp_ns(&mut rng) >= 1));
    }

    #[test]
    fn mix_is_the_documented_formula() {
        // acc=0, t=1, id=0: (1 * 0x100000001B3).rotate_left(17)
        assert_eq!(mix(0, 1, 0), 0x0100_0000_01B3u64.rotate_left(17));
    }
}
