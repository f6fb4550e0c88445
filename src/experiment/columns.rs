//! The metric columns of `runs.csv`: stable snake_case names with units, and
//! the one number format every CSV cell uses.

use crate::sim::{NodeClass, RunMetrics};

/// Per-class metric suffixes, in column order.
const CLASS_METRICS: [&str; 9] = [
    "reclaimed",
    "reclaim_mean_s",
    "reclaim_p50_s",
    "reclaim_p95_s",
    "reclaim_p99_s",
    "reclaim_max_s",
    "unreclaimed",
    "hung_state_s",
    "lost_in_crash",
];

/// Run-level metrics before the per-class ones.
const HEAD_METRICS: [&str; 3] = ["calls_started", "calls_answered", "calls_dead"];

/// Run-level metrics after the per-class ones.
const TAIL_METRICS: [&str; 16] = [
    "hung_state_s",
    "false_teardowns",
    "false_teardowns_per_1000_session_hours",
    "session_hours",
    "refresh_requests",
    "refresh_requests_per_session_hour",
    "refresh_messages",
    "refresh_messages_per_session_hour",
    "final_se_mean_s",
    "refresher_caller",
    "refresher_callee",
    "no_timer_calls",
    "rejects_422",
    "messages_sent",
    "messages_lost",
    "events",
];

/// All metric column names, in order (built once).
pub fn metric_names() -> &'static [String] {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut out: Vec<String> = HEAD_METRICS.iter().map(|s| s.to_string()).collect();
        for c in NodeClass::ALL {
            out.extend(CLASS_METRICS.iter().map(|m| format!("{}_{m}", c.name())));
        }
        out.extend(TAIL_METRICS.iter().map(|s| s.to_string()));
        out
    })
}

/// The metric values of one run, in [`metric_names`] order (NaN: undefined).
pub fn metric_values(m: &RunMetrics) -> Vec<f64> {
    let mut out = vec![
        m.calls_started as f64,
        m.calls_answered as f64,
        m.calls_dead as f64,
    ];
    for c in NodeClass::ALL {
        let k = m.class(c);
        out.extend([
            k.reclaimed as f64,
            k.mean_s,
            k.p50_s,
            k.p95_s,
            k.p99_s,
            k.max_s,
            k.unreclaimed as f64,
            k.hung_state_s,
            k.lost_in_crash as f64,
        ]);
    }
    let (se_sum, se_n) = m.se_histogram.iter().fold((0.0, 0u64), |(s, n), &(se, k)| {
        (s + f64::from(se) * k as f64, n + k)
    });
    out.extend([
        NodeClass::ALL
            .iter()
            .map(|&c| m.class(c).hung_state_s)
            .sum(),
        m.false_teardowns as f64,
        m.false_teardowns_per_1000_session_hours(),
        m.session_hours,
        m.refresh_requests as f64,
        m.refresh_requests_per_session_hour(),
        m.refresh_messages as f64,
        m.refresh_messages_per_session_hour(),
        if se_n > 0 {
            se_sum / se_n as f64
        } else {
            f64::NAN
        },
        m.refresher_caller as f64,
        m.refresher_callee as f64,
        m.no_timer_calls as f64,
        m.rejects_422 as f64,
        m.messages_sent as f64,
        m.messages_lost as f64,
        m.events as f64,
    ]);
    out
}

/// A CSV cell: empty for NaN, integers without a fraction, other values with
/// six decimals and trailing zeros removed. Parsing the cell back gives the
/// value every later computation uses, so resumed, merged and direct runs agree.
pub fn fmt_cell(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// Parses a cell written by [`fmt_cell`] (empty → NaN).
pub fn parse_cell(s: &str) -> Option<f64> {
    if s.is_empty() {
        Some(f64::NAN)
    } else {
        s.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip_and_drop_noise() {
        assert_eq!(fmt_cell(3.0), "3");
        assert_eq!(fmt_cell(0.1 + 0.2), "0.3");
        assert_eq!(fmt_cell(-0.0000001), "0");
        assert_eq!(fmt_cell(f64::NAN), "");
        assert_eq!(fmt_cell(1234.5), "1234.5");
        for x in [0.5, 12.345678, 1e-6, 98765.4321] {
            let back = parse_cell(&fmt_cell(x)).unwrap();
            assert!((back - x).abs() <= 5e-7, "{x} -> {back}");
        }
        assert!(parse_cell("").unwrap().is_nan());
    }

    #[test]
    fn names_and_values_line_up() {
        let m = RunMetrics {
            calls_started: 0,
            calls_answered: 0,
            calls_dead: 0,
            classes: Default::default(),
            false_teardowns: 0,
            session_hours: 0.0,
            refresh_requests: 0,
            refresh_messages: 0,
            se_histogram: vec![(90, 1), (180, 3)],
            refresher_caller: 0,
            refresher_callee: 0,
            no_timer_calls: 0,
            rejects_422: 0,
            messages_sent: 0,
            messages_lost: 0,
            events: 7,
        };
        let (n, v) = (metric_names(), metric_values(&m));
        assert_eq!(n.len(), v.len());
        let at = |name: &str| v[n.iter().position(|x| x == name).unwrap()];
        assert_eq!(at("events"), 7.0);
        // (90·1 + 180·3) / 4
        assert_eq!(at("final_se_mean_s"), 157.5);
    }
}
