//! What a run or a sweep will cost, estimated before it starts, so that a
//! horizon of 10^9 s or a grid of a million points is refused with its
//! price instead of running for days.
//!
//! The estimate is deliberately simple and calibrated on the calls
//! benchmark (`benches/calls.rs`, three hops): about 12 engine events per
//! hop for a call's set-up and tear-down, and 3.6 per hop for each refresh.
//! It is meant to be right within a factor of a few, which a test checks
//! against the shipped models.

use super::spec::Experiment;
use crate::net::Topology;
use crate::session_timer::Mode;
use crate::sim::{Arrivals, Holding, NodeKind, Pairs, WorldConfig};

/// Engine events per hop for a call's set-up and tear-down.
const EVENTS_PER_HOP: f64 = 12.0;
/// Engine events per hop for one refresh.
const EVENTS_PER_HOP_REFRESH: f64 = 3.6;
/// Set-up, tear-down and the transactions' lingering (64·T1 = 32 s) that a
/// call's state outlives its holding time by, seconds.
const LINGER_S: f64 = 40.0;
/// Heap per concurrent call and node on its path (1,850 B measured for
/// three nodes: `cargo bench --bench memory`).
const BYTES_PER_CALL_NODE: f64 = 620.0;
/// Engine events per second of one core, for the time shown (the calls
/// benchmark measures 1.6–3.9 M).
const EVENTS_PER_S: f64 = 2e6;

/// Most engine events a command runs without `--force`: about 40 minutes
/// of one core, 50 times the default experiment (estimated at 1.0e8).
pub const MAX_EVENTS: f64 = 5e9;
/// Most heap one run may need without `--force`.
pub const MAX_RUN_BYTES: f64 = 8.0 * (1u64 << 30) as f64;

/// The estimated cost of one run of a model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunCost {
    /// Calls the run places.
    pub calls: f64,
    /// Which keys set the number of calls.
    pub calls_from: &'static str,
    /// Engine events per call.
    pub events_per_call: f64,
    /// Calls in progress at once, at the busiest.
    pub concurrent: f64,
    /// Heap the run needs, bytes.
    pub bytes: f64,
}

impl RunCost {
    /// Engine events of the run.
    pub fn events(&self) -> f64 {
        self.calls * self.events_per_call
    }
}

/// Estimates one run of `cfg`.
pub fn run_cost(cfg: &WorldConfig) -> RunCost {
    let w = &cfg.workload;
    let holding = match w.holding {
        Holding::Fixed(d) => d.as_secs_f64(),
        Holding::Exponential { mean } => mean.as_secs_f64(),
        Holding::LogNormal { median, sigma } => median.as_secs_f64() * (sigma * sigma / 2.0).exp(),
    };
    let lifetime = holding + LINGER_S;
    let end = w.arrivals_until.unwrap_or(w.horizon).as_secs_f64();
    let (calls, calls_from, concurrent) = match w.arrivals {
        Arrivals::Regular {
            calls, interval, ..
        } => {
            let n = f64::from(calls);
            let at_once = if interval.as_nanos() == 0 {
                n
            } else {
                (lifetime / interval.as_secs_f64()).ceil().min(n)
            };
            (n, "workload.calls", at_once)
        }
        Arrivals::Spread { calls, over, .. } => {
            let n = f64::from(calls);
            let share = (lifetime / over.as_secs_f64().max(1e-9)).min(1.0);
            (n, "workload.calls", n * share)
        }
        Arrivals::Poisson {
            rate_per_s,
            start,
            max_calls,
        } => {
            let window = (end - start.as_secs_f64()).max(0.0);
            let n = (rate_per_s * window).min(max_calls.map_or(f64::INFINITY, f64::from));
            let from = if w.arrivals_until.is_some() {
                "workload.rate_per_s × arrivals_until_s"
            } else {
                "workload.rate_per_s × horizon_s"
            };
            (n, from, (rate_per_s * lifetime).min(n))
        }
    };
    let nodes = path_nodes(cfg);
    let hops = (nodes - 1.0).max(1.0);
    // The shortest refresh interval any endpoint asks for (an over-estimate
    // of refreshes, never an under-estimate).
    let refresh_every = cfg
        .nodes
        .iter()
        .filter_map(|n| match &n.kind {
            NodeKind::Ua(c) | NodeKind::B2bua(c) => Some(c),
            NodeKind::Proxy(_) => None,
        })
        .flat_map(|c| std::iter::once(&c.base).chain(c.peers.iter().map(|(_, s)| s)))
        // A refusing endpoint never refreshes (a timer-aware proxy may still
        // make the other end refresh, which a non-refusing one covers).
        .filter(|s| s.mode != Mode::Refuse)
        .map(|s| f64::from(s.session_expires.max(s.min_se)) * s.refresh_at)
        .fold(f64::INFINITY, f64::min);
    let refreshes = if refresh_every.is_finite() && refresh_every > 0.0 {
        (holding / refresh_every).floor()
    } else {
        0.0
    };
    RunCost {
        calls,
        calls_from,
        events_per_call: hops * (EVENTS_PER_HOP + EVENTS_PER_HOP_REFRESH * refreshes),
        concurrent,
        bytes: concurrent * nodes * BYTES_PER_CALL_NODE,
    }
}

/// Nodes on the path of the workload's first pair (2 if none is found).
fn path_nodes(cfg: &WorldConfig) -> f64 {
    let (a, b) = match &cfg.workload.pairs {
        Pairs::List(l) => match l.first() {
            Some(&p) => p,
            None => return 2.0,
        },
        Pairs::Groups { callers, callees } => {
            let Some(&a) = callers.first() else {
                return 2.0;
            };
            match callees.iter().find(|&&b| b != a) {
                Some(&b) => (a, b),
                None => return 2.0,
            }
        }
    };
    Topology::of_links(cfg.nodes.len(), &cfg.links)
        .path(a, b)
        .map_or(2.0, |p| p.len() as f64)
}

/// Refuses a model run beyond [`MAX_EVENTS`] or [`MAX_RUN_BYTES`].
pub fn check_model(cfg: &WorldConfig) -> Result<(), String> {
    let run = run_cost(cfg);
    refuse("the model", 1, run.events(), &run, 1)
}

/// Refuses an experiment (or the runs of its shard) beyond the limits.
pub fn check_experiment(exp: &Experiment, runs: u64, threads: usize) -> Result<(), String> {
    let costs: Vec<RunCost> = exp
        .points
        .iter()
        .map(|p| run_cost(&p.scenario.world))
        .collect();
    let per_point = costs.iter().map(RunCost::events).sum::<f64>() / costs.len().max(1) as f64;
    let Some(worst) = costs.iter().max_by(|a, b| {
        a.events()
            .total_cmp(&b.events())
            .then(a.bytes.total_cmp(&b.bytes))
    }) else {
        return Ok(());
    };
    refuse(
        "the experiment",
        runs,
        per_point * runs as f64,
        worst,
        threads,
    )
}

/// The error for work beyond the limits, with the estimate and the keys
/// that drive it; `worst` is the costliest run.
fn refuse(
    what: &str,
    runs: u64,
    events: f64,
    worst: &RunCost,
    threads: usize,
) -> Result<(), String> {
    let hours = events / EVENTS_PER_S / threads.max(1) as f64 / 3600.0;
    let why = if events > MAX_EVENTS {
        format!(
            "about {events:.1e} engine events: {runs} run{} (points × replications) of up to {:.1e} calls ({}) \
             × ~{:.0} events per call (more hops and shorter session_expires cost more), \
             about {hours:.1} h on {threads} thread{}; the limit is {MAX_EVENTS:.0e} events",
            if runs == 1 { "" } else { "s" },
            worst.calls,
            worst.calls_from,
            worst.events_per_call,
            if threads == 1 { "" } else { "s" },
        )
    } else if worst.bytes > MAX_RUN_BYTES {
        format!(
            "about {:.1} GiB per run: ~{:.1e} calls in progress at once (from {} and holding_s); \
             the limit is {:.0} GiB",
            worst.bytes / f64::from(1u32 << 30),
            worst.concurrent,
            worst.calls_from,
            MAX_RUN_BYTES / f64::from(1u32 << 30),
        )
    } else {
        return Ok(());
    };
    Err(format!(
        "{what} would take {why}. Shrink it, or run it anyway with --force"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_beyond_the_limit_is_refused_with_its_keys() {
        // 1e6 calls at once on a 14-node path: 1e6 × 14 × 620 B = 8.1 GiB.
        let run = RunCost {
            calls: 1e6,
            calls_from: "workload.calls",
            events_per_call: 100.0,
            concurrent: 1e6,
            bytes: 1e6 * 14.0 * BYTES_PER_CALL_NODE,
        };
        let e = refuse("the model", 1, run.events(), &run, 1).unwrap_err();
        assert_eq!(
            e,
            "the model would take about 8.1 GiB per run: ~1.0e6 calls in progress at once \
             (from workload.calls and holding_s); the limit is 8 GiB. \
             Shrink it, or run it anyway with --force"
        );
        // At 13 nodes (7.5 GiB) it runs.
        let run = RunCost {
            bytes: 1e6 * 13.0 * BYTES_PER_CALL_NODE,
            ..run
        };
        assert_eq!(refuse("the model", 1, run.events(), &run, 1), Ok(()));
    }
}
