//! The first milestone's demonstration: session-timer expiry on the bare
//! event engine, with no SIP at all.
//!
//! ```text
//! cargo run --release --example demo -- --calls 20000 --session-expires-s 1800
//! ```
//!
//! It exercises the engine on the question sstsim exists for. Calls start, and their refresher refreshes every SE/2. Each refresh
//! re-arms the non-refresher's expiry timer to SE − min(32, SE/3) (RFC 4028
//! §10, ST-EXPIRE-1). Some refreshers crash silently. The non-refresher then
//! reclaims the dead call's state when its expiry fires. The RFC bounds every
//! reclaim latency to the interval (G − SE/2, G], with G = SE − min(32, SE/3).
//! Refreshes here are instantaneous (no network), so the bound is exact.

use std::fmt;
use std::process::ExitCode;

use clap::Parser;
use rand::RngExt;

use sstsim::engine::{SeedSpace, SimDuration, SimTime, Simulation, StreamId, TimerKey};

/// Session-timer expiry on the bare engine: refreshers crash, the
/// non-refreshers' expiry timers reclaim their state (RFC 4028 §10).
#[derive(Debug, Clone, Parser)]
pub struct DemoConfig {
    /// Number of calls.
    #[arg(long, default_value_t = 20_000)]
    pub calls: u32,
    /// Session interval in seconds (RFC 4028 floor: 90).
    #[arg(long, default_value_t = 1800)]
    pub session_expires_s: u32,
    /// Probability that a call's refresher crashes at a uniform time inside the call.
    #[arg(long, default_value_t = 0.25)]
    pub crash_probability: f64,
    /// Mean call holding time in seconds (exponential).
    #[arg(long, default_value_t = 3600)]
    pub mean_holding_s: u32,
    /// Simulated time in seconds.
    #[arg(long, default_value_t = 6 * 3600)]
    pub horizon_s: u32,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            calls: 20_000,
            session_expires_s: 1800,
            crash_probability: 0.25,
            mean_holding_s: 3600,
            horizon_s: 6 * 3600,
            seed: 1,
        }
    }
}

impl DemoConfig {
    /// Checks ranges; the message names the option and what is allowed.
    pub fn validate(self) -> Result<Self, String> {
        if self.session_expires_s < 90 {
            return Err(format!(
                "--session-expires-s {}: must be at least 90 (RFC 4028 §4 minimum)",
                self.session_expires_s
            ));
        }
        if !(0.0..=1.0).contains(&self.crash_probability) {
            return Err(format!(
                "--crash-probability {}: must be a probability in [0, 1]",
                self.crash_probability
            ));
        }
        if self.mean_holding_s == 0 {
            return Err("--mean-holding-s 0: must be at least 1 second".into());
        }
        Ok(self)
    }
}

/// What the demonstration measured.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoReport {
    /// The parameters it ran with.
    pub calls: u32,
    /// Session interval in seconds.
    pub session_expires_s: u32,
    /// Calls ended by a normal hang-up (BYE) before the horizon.
    pub ended_cleanly: u32,
    /// Calls whose refresher crashed before the horizon.
    pub crashed: u32,
    /// Crashed calls whose state the non-refresher freed at its expiry timer.
    pub reclaimed: u32,
    /// Smallest, mean and largest reclaim latency in seconds (0 when none).
    pub latency_s: (f64, f64, f64),
    /// The RFC bound on reclaim latency: (G − SE/2, G] seconds.
    pub bound_s: (f64, f64),
    /// Refreshes sent by live refreshers.
    pub refreshes: u64,
    /// Events the engine processed.
    pub events: u64,
    /// Virtual time simulated, seconds.
    pub horizon_s: u32,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Refresh(u32),
    Expiry(u32),
    Crash(u32),
    Hangup(u32),
}

/// Per-call state: the timers the call owns and when it died.
struct Call {
    refresh: Option<TimerKey>,
    expiry: Option<TimerKey>,
    dead_at: Option<SimTime>,
}

/// Runs the demonstration; deterministic in `config.seed`.
pub fn run_demo(config: &DemoConfig) -> Result<DemoReport, String> {
    let se = SimDuration::from_secs(config.session_expires_s);
    let half = se / 2;
    let guard = se - std::cmp::min(SimDuration::from_secs(32), se / 3);
    let horizon = SimTime::from_secs(config.horizon_s);
    let seeds = SeedSpace::new(config.seed, 0, 0);
    let mut starts = seeds.stream(StreamId::named("demo.start"));
    let mut holding = seeds.stream(StreamId::named("demo.holding"));
    let mut crash = seeds.stream(StreamId::named("demo.crash"));

    let mut sim = Simulation::with_capacity(3 * config.calls as usize);
    let mut calls = Vec::with_capacity(config.calls as usize);
    let err = |e: sstsim::engine::ScheduleError| e.to_string();
    for id in 0..config.calls {
        let start = SimTime::from_nanos(starts.random_range(0..600_000_000_000u64));
        let mean = config.mean_holding_s as f64;
        let u: f64 = holding.random();
        let hold = SimDuration::from_secs_f64(-mean * (1.0 - u).ln()).map_err(|e| e.to_string())?;
        let end = start.checked_add(hold).map_err(|e| e.to_string())?;
        let s = sim.scheduler();
        let refresh = s.timer_at(start + half, Event::Refresh(id)).map_err(err)?;
        let expiry = s.timer_at(start + guard, Event::Expiry(id)).map_err(err)?;
        // A call either hangs up at its end or its refresher crashes inside it.
        if crash.random_bool(config.crash_probability) {
            let at = start + SimDuration::from_nanos(crash.random_range(0..=hold.as_nanos()));
            s.schedule_at(at, Event::Crash(id)).map_err(err)?;
        } else {
            s.schedule_at(end, Event::Hangup(id)).map_err(err)?;
        }
        calls.push(Call {
            refresh: Some(refresh),
            expiry: Some(expiry),
            dead_at: None,
        });
    }

    let (mut ended, mut crashed, mut refreshes) = (0u32, 0u32, 0u64);
    let mut latencies: Vec<f64> = Vec::new();
    let mut failure = None;
    sim.run_until(horizon, |s, ev| {
        let now = s.now();
        let result = match ev {
            Event::Refresh(id) => {
                let call = &mut calls[id as usize];
                refreshes += 1;
                let expiry = call.expiry.expect("a live call has an expiry timer");
                s.timer_in(half, Event::Refresh(id))
                    .map(|k| call.refresh = Some(k))
                    .and_then(|()| s.rearm_in(expiry, guard))
            }
            Event::Expiry(id) => {
                let call = &mut calls[id as usize];
                call.expiry = None;
                if let Some(dead) = call.dead_at {
                    latencies.push((now - dead).as_secs_f64());
                }
                Ok(())
            }
            Event::Crash(id) => {
                let call = &mut calls[id as usize];
                crashed += 1;
                call.dead_at = Some(now);
                if let Some(k) = call.refresh.take() {
                    s.cancel(k);
                }
                Ok(())
            }
            Event::Hangup(id) => {
                let call = &mut calls[id as usize];
                ended += 1;
                for k in [call.refresh.take(), call.expiry.take()]
                    .into_iter()
                    .flatten()
                {
                    s.cancel(k);
                }
                Ok(())
            }
        };
        if let Err(e) = result {
            failure.get_or_insert(e.to_string());
            s.request_stop();
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let n = latencies.len();
    let latency_s = if n == 0 {
        (0.0, 0.0, 0.0)
    } else {
        let min = latencies.iter().copied().fold(f64::INFINITY, f64::min);
        let max = latencies.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (min, latencies.iter().sum::<f64>() / n as f64, max)
    };
    Ok(DemoReport {
        calls: config.calls,
        session_expires_s: config.session_expires_s,
        ended_cleanly: ended,
        crashed,
        reclaimed: n as u32,
        latency_s,
        bound_s: ((guard - half).as_secs_f64(), guard.as_secs_f64()),
        refreshes,
        events: sim.events(),
        horizon_s: config.horizon_s,
    })
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (lo, hi) = self.bound_s;
        let (min, mean, max) = self.latency_s;
        writeln!(
            f,
            "sstsim demonstration: session-timer expiry on the event engine (no SIP yet)"
        )?;
        writeln!(
            f,
            "  {} calls, SE = {} s, refresher refreshes every SE/2, {} s simulated",
            self.calls, self.session_expires_s, self.horizon_s
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "  calls ended by hang-up          {:>10}",
            self.ended_cleanly
        )?;
        writeln!(f, "  calls whose refresher crashed   {:>10}", self.crashed)?;
        writeln!(
            f,
            "  dead calls reclaimed by expiry  {:>10}",
            self.reclaimed
        )?;
        writeln!(
            f,
            "  still held at the horizon       {:>10}",
            self.crashed - self.reclaimed
        )?;
        writeln!(
            f,
            "  refreshes                       {:>10}",
            self.refreshes
        )?;
        writeln!(f, "  events processed                {:>10}", self.events)?;
        writeln!(f)?;
        writeln!(
            f,
            "  reclaim latency (s): min {min:.1}  mean {mean:.1}  max {max:.1}"
        )?;
        writeln!(
            f,
            "  RFC 4028 bound:      ({lo:.0}, {hi:.0}]  i.e. (G - SE/2, G] with G = SE - min(32, SE/3)"
        )?;
        writeln!(f)?;
        writeln!(f, "  Options: cargo run --example demo -- --help.")
    }
}

fn main() -> ExitCode {
    let config = DemoConfig::parse();
    match config.validate().and_then(|c| run_demo(&c)) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(m) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reclaim_latency_lies_inside_the_rfc_bound() {
        let report = run_demo(&DemoConfig::default()).unwrap();
        let (lo, hi) = report.bound_s;
        // SE = 1800: G = 1800 - min(32, 600) = 1768; G - SE/2 = 868.
        assert_eq!((lo, hi), (868.0, 1768.0));
        let (min, mean, max) = report.latency_s;
        assert!(report.reclaimed > 1000, "{report:?}");
        assert!(min > lo && max <= hi, "{report:?}");
        assert!(mean > lo && mean < hi);
    }

    #[test]
    fn crash_count_matches_its_probability() {
        let report = run_demo(&DemoConfig::default()).unwrap();
        // Binomial(20000, 0.25): sd = sqrt(20000 * 0.25 * 0.75) = 61.2; allow 5 sd.
        // A few crashes may fall after the 6 h horizon (holding > 6 h has
        // probability e^-6 < 0.3%), so the expected count is barely below 5000.
        let crashed = report.crashed as f64;
        assert!((crashed - 5000.0).abs() < 5.0 * 61.2, "{crashed}");
    }

    #[test]
    fn same_seed_same_report_other_seed_differs() {
        let a = run_demo(&DemoConfig::default()).unwrap();
        let b = run_demo(&DemoConfig::default()).unwrap();
        assert_eq!(a, b);
        let c = run_demo(&DemoConfig {
            seed: 2,
            ..DemoConfig::default()
        })
        .unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn invalid_options_are_rejected_with_the_option_named() {
        let bad = DemoConfig {
            session_expires_s: 60,
            ..DemoConfig::default()
        };
        assert!(bad.validate().unwrap_err().contains("--session-expires-s"));
        let bad = DemoConfig {
            crash_probability: 1.5,
            ..DemoConfig::default()
        };
        assert!(bad.validate().unwrap_err().contains("--crash-probability"));
    }
}
