//! One call's message flow as CSV or as a ladder diagram.
//!
//! The CSV has one row per message sent (retransmissions included), with
//! its fate, one row per fact a node reported (`kind = event`) and one per
//! fault (`kind = fault`: crashes, restarts, link windows, the instant the
//! call became dead). The ladder draws one lane per node that took part,
//! arrows with the message and its time, `x` where a message was lost, `X`
//! and `R` where a node crashed and restarted, and the session-timer header
//! fields, events and faults on the right. It fits 80–160 columns.

use std::io::Write;

use crate::net::{LinkConfig, NodeId};
use crate::sim::trace::{DeathCause, FaultEvent};
use crate::sim::world::link_name;
use crate::sim::{TraceEvent, TraceFate};
use crate::sip::message::{Message, TimerHeaders};
use crate::sip::{Method, Record};

/// Names the trace refers to: node names and links.
pub struct TraceContext<'a> {
    /// Node names in model order.
    pub names: &'a [String],
    /// Links in model order.
    pub links: &'a [LinkConfig],
}

impl TraceContext<'_> {
    fn node(&self, n: NodeId) -> &str {
        &self.names[n.index()]
    }

    /// " toward <node>" for a one-way window, else nothing.
    fn toward(&self, toward: Option<NodeId>) -> String {
        toward.map_or_else(String::new, |n| format!(" toward {}", self.node(n)))
    }

    fn fate(&self, f: &TraceFate) -> String {
        match f {
            TraceFate::Delivered { .. } => "delivered".into(),
            TraceFate::Lost {
                link: Some(l),
                cause,
            } => {
                format!(
                    "lost:{}@{}",
                    cause.name(),
                    link_name(self.names, self.links, *l)
                )
            }
            TraceFate::Lost { link: None, cause } => format!("lost:{}", cause.name()),
        }
    }
}

impl TraceContext<'_> {
    /// The node a fault happened at (if at one), and the fault in words.
    pub fn fault(&self, f: &FaultEvent) -> (Option<NodeId>, String) {
        let link = |l| link_name(self.names, self.links, l);
        match *f {
            FaultEvent::NodeCrash(n) => (
                Some(n),
                format!("{}: CRASH (its state is lost)", self.node(n)),
            ),
            FaultEvent::NodeRestart(n) => (Some(n), format!("{}: restart (empty)", self.node(n))),
            FaultEvent::EndpointDied(n) => (
                Some(n),
                format!("{}: call_crash, this endpoint dies silently", self.node(n)),
            ),
            FaultEvent::CallDead(why) => {
                let why = match why {
                    DeathCause::NodeCrash(n) => format!("{} crashed", self.node(n)),
                    DeathCause::CallCrash(n) => format!("its endpoint at {} died", self.node(n)),
                    DeathCause::ByeSwallowed(l) => format!("its BYE was swallowed on {}", link(l)),
                };
                (
                    None,
                    format!("CALL DEAD: {why}; state held for it is hung from now"),
                )
            }
            FaultEvent::LinkDown {
                link: l,
                until,
                toward,
            } => (
                None,
                format!(
                    "link {}{} DOWN until {:.3} s",
                    link(l),
                    self.toward(toward),
                    until.as_secs_f64()
                ),
            ),
            FaultEvent::LossBurst {
                link: l,
                until,
                loss,
                toward,
            } => (
                None,
                format!(
                    "link {}{} loses {:.0}% until {:.3} s",
                    link(l),
                    self.toward(toward),
                    100.0 * loss.get(),
                    until.as_secs_f64()
                ),
            ),
            FaultEvent::LinkRestored(l) => (None, format!("link {} restored", link(l))),
        }
    }
}

/// Session-Expires as on the wire: `1800;refresher=uac`, or empty.
fn session_expires(t: &TimerHeaders) -> String {
    t.session_expires
        .map_or(String::new(), |se| match se.refresher {
            Some(r) => format!("{};refresher={}", se.delta_s, r.name()),
            None => se.delta_s.to_string(),
        })
}

/// A reported fact in words.
pub fn describe(r: &Record) -> String {
    match *r {
        Record::StateCreated { .. } => "dialog state created".into(),
        Record::StateFreed { cause, .. } => format!("dialog state freed ({})", cause.name()),
        Record::TxnCompleted { method, status, .. } => {
            format!("{} transaction completed: {status}", method.name())
        }
        Record::TxnTimedOut { method, .. } => format!("{} transaction timed out", method.name()),
        Record::TimerFired { kind, .. } => format!("timer {} fired", kind.name()),
        Record::GlareBackoff { backoff, .. } => {
            format!("glare: 491, retry in {:.2} s", backoff.as_secs_f64())
        }
        Record::CallAnswered { .. } => "call answered".into(),
        Record::CallFailed { status, .. } => format!("call failed: {status}"),
        Record::SessionTimer { event, .. } => event.name(),
        Record::RefreshSent { method, .. } => format!("refresh sent ({})", method.name()),
    }
}

fn cseq(m: &Message) -> String {
    format!("{} {}", m.cseq, m.cseq_method.name())
}

/// Writes the trace as CSV.
pub fn write_csv(cx: &TraceContext, trace: &[TraceEvent], out: impl Write) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "t_s",
        "kind",
        "from",
        "to",
        "message",
        "cseq",
        "call_id",
        "session_expires",
        "refresher",
        "min_se",
        "supported_timer",
        "require_timer",
        "fate",
        "arrive_s",
    ])?;
    for e in trace {
        match e {
            TraceEvent::Message {
                t,
                from,
                to,
                msg,
                fate,
            } => {
                let th = &msg.timer;
                let arrive = match fate {
                    TraceFate::Delivered { at } => format!("{:.6}", at.as_secs_f64()),
                    TraceFate::Lost { .. } => String::new(),
                };
                w.write_record([
                    format!("{:.6}", t.as_secs_f64()),
                    "message".into(),
                    cx.node(*from).into(),
                    cx.node(*to).into(),
                    msg.label(),
                    cseq(msg),
                    format!("{:x}", msg.call_id.0),
                    th.session_expires
                        .map_or(String::new(), |s| s.delta_s.to_string()),
                    th.session_expires
                        .and_then(|s| s.refresher)
                        .map_or(String::new(), |r| r.name().into()),
                    th.min_se.map_or(String::new(), |m| m.to_string()),
                    th.supported_timer.to_string(),
                    th.require_timer.to_string(),
                    cx.fate(fate),
                    arrive,
                ])?;
            }
            TraceEvent::Fault { t, fault } => {
                let empty = String::new;
                let (node, what) = cx.fault(fault);
                w.write_record([
                    format!("{:.6}", t.as_secs_f64()),
                    "fault".into(),
                    node.map_or(String::new(), |n| cx.node(n).into()),
                    empty(),
                    what,
                    empty(),
                    empty(),
                    empty(),
                    empty(),
                    empty(),
                    empty(),
                    empty(),
                    empty(),
                    empty(),
                ])?;
            }
            TraceEvent::Record { t, node, record } => {
                let empty = String::new;
                w.write_record([
                    format!("{:.6}", t.as_secs_f64()),
                    "event".into(),
                    cx.node(*node).into(),
                    empty(),
                    describe(record),
                    empty(),
                    empty(),
                    empty(),
                    empty(),
                    empty(),
                    empty(),
                    empty(),
                    empty(),
                    empty(),
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// Header fields worth showing next to an arrow.
fn notes(m: &Message) -> String {
    let t = &m.timer;
    let mut parts = Vec::new();
    // In-dialog requests show their CSeq (refreshes, BYE).
    if m.is_request() && m.to_tag.is_some() && m.method() != Some(Method::Ack) {
        parts.push(format!("CSeq {}", cseq(m)));
    }
    let se = session_expires(t);
    if !se.is_empty() {
        parts.push(format!("SE {se}"));
    }
    if let Some(min) = t.min_se {
        parts.push(format!("Min-SE {min}"));
    }
    if t.supported_timer {
        parts.push("S:timer".into());
    }
    if t.require_timer {
        parts.push("R:timer".into());
    }
    if t.unsupported_timer {
        parts.push("U:timer".into());
    }
    parts.join("  ")
}

/// Draws the trace as a ladder at most about `width` columns wide.
pub fn ladder(cx: &TraceContext, trace: &[TraceEvent], width: usize) -> String {
    // Lanes: nodes that took part, in model order.
    let mut used = vec![false; cx.names.len()];
    for e in trace {
        match e {
            TraceEvent::Message { from, to, .. } => {
                used[from.index()] = true;
                used[to.index()] = true;
            }
            TraceEvent::Record { node, .. } => used[node.index()] = true,
            // A fault at a node that took no part gets no lane of its own.
            TraceEvent::Fault { .. } => {}
        }
    }
    let lanes: Vec<usize> = (0..used.len()).filter(|&i| used[i]).collect();
    if lanes.is_empty() {
        return "(no messages for this call)\n".into();
    }
    let lane_of = |n: NodeId| {
        lanes
            .iter()
            .position(|&l| l == n.index())
            .expect("used node")
    };
    const TIME_W: usize = 11;
    let gaps = lanes.len().saturating_sub(1).max(1);
    let col = ((width.saturating_sub(TIME_W + 30)) / gaps).clamp(12, 26);
    let x = |lane: usize| TIME_W + lane * col;
    let lanes_w = x(lanes.len() - 1) + 1;
    let blank = || {
        let mut row = vec![b' '; lanes_w];
        for l in 0..lanes.len() {
            row[x(l)] = b'|';
        }
        row
    };
    let mut out = String::new();
    // Header: node names centred on their lanes.
    let mut head = vec![b' '; lanes_w + col];
    head[..8].copy_from_slice(b"time (s)");
    for (l, &n) in lanes.iter().enumerate() {
        let name: String = cx.names[n].chars().take(col - 2).collect();
        let start = (x(l) + 1)
            .saturating_sub(name.len().div_ceil(2))
            .max(TIME_W - 1);
        head[start..start + name.len()].copy_from_slice(name.as_bytes());
    }
    out.push_str(String::from_utf8_lossy(&head).trim_end());
    out.push('\n');
    out.push_str(String::from_utf8_lossy(&blank()).trim_end());
    out.push('\n');
    for e in trace {
        // The response arrow already shows a completed transaction.
        if matches!(
            e,
            TraceEvent::Record {
                record: Record::TxnCompleted { .. },
                ..
            }
        ) {
            continue;
        }
        let mut row = blank();
        let time = format!("{:>10.3}", e.time().as_secs_f64());
        row[..time.len()].copy_from_slice(time.as_bytes());
        let note = match e {
            TraceEvent::Message {
                from,
                to,
                msg,
                fate,
                ..
            } => {
                let (a, b) = (x(lane_of(*from)), x(lane_of(*to)));
                let (lo, hi) = (a.min(b), a.max(b));
                for c in row.iter_mut().take(hi).skip(lo + 1) {
                    *c = b'-';
                }
                let lost = matches!(fate, TraceFate::Lost { .. });
                if a < b {
                    row[hi - 1] = if lost { b'x' } else { b'>' };
                } else {
                    row[lo + 1] = if lost { b'x' } else { b'<' };
                }
                let label: String = msg.label().chars().take(hi - lo - 4).collect();
                let start = lo + 1 + (hi - lo - 1).saturating_sub(label.len()) / 2;
                row[start..start + label.len()].copy_from_slice(label.as_bytes());
                let mut n = notes(msg);
                if lost {
                    if !n.is_empty() {
                        n.push_str("  ");
                    }
                    n.push_str(&format!(
                        "LOST ({})",
                        cx.fate(fate).trim_start_matches("lost:")
                    ));
                }
                n
            }
            TraceEvent::Record { node, record, .. } => {
                row[x(lane_of(*node))] = b'*';
                format!("{}: {}", cx.node(*node), describe(record))
            }
            TraceEvent::Fault { fault, .. } => {
                let (node, what) = cx.fault(fault);
                let mark = match fault {
                    FaultEvent::NodeRestart(_) => b'R',
                    _ => b'X',
                };
                if let Some(l) = node.and_then(|n| lanes.iter().position(|&l| l == n.index())) {
                    row[x(l)] = mark;
                }
                format!("!! {what}")
            }
        };
        let mut line = String::from_utf8_lossy(&row).into_owned();
        if !note.is_empty() {
            line.push_str("  ");
            line.push_str(&note);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
