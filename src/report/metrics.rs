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

/// Renders `m` for the terminal; `names` are the node ids in model order.
pub fn table(m: &RunMetrics, names: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "calls: {} started, {} answered, {} dead (crash, call_crash, swallowed BYE)",
        m.calls_started, m.calls_answered, m.calls_dead
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "State of dead calls: reclaim latency = freed - dead, seconds (Kaplan-Meier over freed and held states)"
    );
    let _ = writeln!(
        s,
        "{:<12} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>13} {:>8}",
        "class",
        "dead",
        "freed",
        "mean",
        "p50",
        "p95",
        "p99",
        "max",
        "held",
        "hung state-h",
        "crashed"
    );
    // The classes the model has (all of them if it names no nodes).
    let present = |c: NodeClass| m.nodes.is_empty() || m.nodes.iter().any(|n| n.class == c);
    for c in NodeClass::ALL.into_iter().filter(|&c| present(c)) {
        let k = m.class(c);
        // A percentile the estimate never reached lies beyond the longest
        // follow-up: shown as ">T", never as a number.
        let pct = |x: f64| {
            if x.is_nan() && k.dead_states > 0 {
                format!(">{}", num(k.followed_s, 0))
            } else {
                num(x, 1)
            }
        };
        let freed = if k.freed_fraction.is_nan() {
            "-".into()
        } else {
            format!("{:.1}%", 100.0 * k.freed_fraction)
        };
        let _ = writeln!(
            s,
            "{:<12} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>13} {:>8}",
            c.name(),
            k.dead_states,
            freed,
            num(k.mean_s, 1),
            pct(k.p50_s),
            pct(k.p95_s),
            pct(k.p99_s),
            num(k.max_s, 1),
            k.unreclaimed,
            num(k.hung_state_h, 2),
            k.lost_in_crash
        );
    }
    let _ = writeln!(
        s,
        "dead: states held when or after their call died; freed: share the node freed; held: still held at the end.\n\
         >T: the percentile is not reached: too few states were freed within T s, the longest any was followed.\n\
         mean and max need every state freed (\"-\" otherwise)."
    );
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
    if !m.nodes.is_empty() {
        s.push('\n');
        s.push_str(&node_table(m, names));
    }
    s
}

/// Per node: the load it carried and the dead-call state it held, scaled
/// so an operator can multiply by their own traffic.
fn node_table(m: &RunMetrics, names: &[String]) -> String {
    let per_h = |x: u64| {
        if m.session_hours > 0.0 {
            num(x as f64 / m.session_hours, 1)
        } else {
            "-".into()
        }
    };
    let per_kcall = |x: f64| {
        if m.calls_started > 0 {
            num(x * 1000.0 / m.calls_started as f64, 2)
        } else {
            "-".into()
        }
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Load per node (per session-hour: per hour of established call)"
    );
    let _ = writeln!(
        s,
        "{:<12} {:<12} {:>9} {:>9} {:>10} {:>12} {:>7} {:>9} {:>13}",
        "node",
        "class",
        "msgs in",
        "msgs out",
        "msgs/s-h",
        "refr tx/s-h",
        "dead",
        "hung s-h",
        "s-h/1k calls"
    );
    for (name, n) in names.iter().zip(&m.nodes) {
        let _ = writeln!(
            s,
            "{:<12} {:<12} {:>9} {:>9} {:>10} {:>12} {:>7} {:>9} {:>13}",
            name,
            n.class.name(),
            n.traffic.messages_received,
            n.traffic.messages_sent,
            per_h(n.messages_handled()),
            per_h(n.traffic.refresh_transactions),
            n.dead_states,
            num(n.hung_state_h, 2),
            per_kcall(n.hung_state_h)
        );
    }
    let _ = writeln!(
        s,
        "msgs/s-h: messages received + sent per session-hour (x concurrent calls = messages per hour);\n\
         refr tx/s-h: refresh transactions per session-hour (each hop's transaction counts at both ends);\n\
         hung s-h: state-hours held by dead calls; s-h/1k calls: the same per 1,000 calls placed."
    );
    s
}
