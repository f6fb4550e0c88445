//! The metrics of one run as a readable table.

use std::fmt::Write;

use crate::sim::{NodeClass, RunMetrics};

fn num(x: f64, prec: usize) -> String {
    if x.is_nan() {
        "-".into()
    } else {
        format!("{x:.prec$}")
    }
}

/// Renders `m` for the terminal.
pub fn table(m: &RunMetrics) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "calls: {} started, {} answered, {} dead (crash, call_crash, swallowed BYE)",
        m.calls_started, m.calls_answered, m.calls_dead
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "State of dead calls: reclaim latency = freed - dead, seconds (nearest-rank percentiles)"
    );
    let _ = writeln!(
        s,
        "{:<12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11} {:>13} {:>9}",
        "class",
        "reclaimed",
        "mean",
        "p50",
        "p95",
        "p99",
        "max",
        "unreclaimed",
        "hung state-s",
        "crashed"
    );
    for c in NodeClass::ALL {
        let k = m.class(c);
        let _ = writeln!(
            s,
            "{:<12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11} {:>13} {:>9}",
            c.name(),
            k.reclaimed,
            num(k.mean_s, 1),
            num(k.p50_s, 1),
            num(k.p95_s, 1),
            num(k.p99_s, 1),
            num(k.max_s, 1),
            k.unreclaimed,
            num(k.hung_state_s, 0),
            k.lost_in_crash
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "false teardowns: {} live calls ended by a timer ({} per 1,000 session-hours, {} session-hours)",
        m.false_teardowns,
        num(m.false_teardowns_per_1000_session_hours(), 2),
        num(m.session_hours, 1)
    );
    let _ = writeln!(
        s,
        "refresh cost:    {} requests ({} per session-hour), {} messages incl. retransmissions ({} per session-hour)",
        m.refresh_requests,
        num(m.refresh_requests_per_session_hour(), 2),
        m.refresh_messages,
        num(m.refresh_messages_per_session_hour(), 2)
    );
    let hist: Vec<String> = m
        .se_histogram
        .iter()
        .map(|(se, n)| format!("{se} s: {n}"))
        .collect();
    let _ = writeln!(
        s,
        "negotiation:     final SE {{{}}}; refresher caller {} / callee {}; no timer {}; 422 sent {}",
        hist.join(", "),
        m.refresher_caller,
        m.refresher_callee,
        m.no_timer_calls,
        m.rejects_422
    );
    let _ = writeln!(
        s,
        "network:         {} messages sent, {} lost; {} events processed",
        m.messages_sent, m.messages_lost, m.events
    );
    s
}
