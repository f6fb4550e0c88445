//! Helpers shared by the behaviour tests.

use sstsim::engine::{SeedSpace, SimTime};
use sstsim::net::NodeId;
use sstsim::scenario::model_from_str;
use sstsim::sim::{TraceEvent, TraceFate, TraceFilter, World};
use sstsim::sip::{Message, Record};

/// Builds a world from model text (panics on model errors: test models are valid).
pub fn world(model: &str, seed: u64, filter: TraceFilter) -> World {
    let s = model_from_str("test.toml", model).unwrap_or_else(|e| panic!("{e}"));
    World::new(s.world, SeedSpace::new(seed, 0, 0), filter)
}

/// alice — p (a proxy) — bob over two 10 ms links, alice calling bob:
/// each node's extra keys, then `workload` (the rest of `[workload]`, and
/// any tables after it, such as faults).
pub fn alice_p_bob(alice: &str, proxy: &str, bob: &str, workload: &str) -> String {
    format!(
        "[[node]]\nid = \"alice\"\nkind = \"ua\"\n{alice}\n\
         [[node]]\nid = \"p\"\nkind = \"proxy\"\n{proxy}\n\
         [[node]]\nid = \"bob\"\nkind = \"ua\"\n{bob}\n\
         [[link]]\nbetween = [\"alice\", \"p\"]\ndelay_ms = 10\n\
         [[link]]\nbetween = [\"p\", \"bob\"]\ndelay_ms = 10\n\
         [workload]\ncaller = \"alice\"\ncallee = \"bob\"\n{workload}\n"
    )
}

/// A node's id by name.
pub fn node(w: &World, name: &str) -> NodeId {
    NodeId(
        w.names()
            .iter()
            .position(|n| n == name)
            .expect("node exists") as u16,
    )
}

/// Messages `from` sent whose label is `label`, with send time and whether delivered.
pub fn sends(w: &World, from: &str, label: &str) -> Vec<(SimTime, bool, Message)> {
    let from = node(w, from);
    w.trace()
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Message {
                t,
                from: f,
                msg,
                fate,
                ..
            } if *f == from && msg.label() == label => {
                Some((*t, matches!(fate, TraceFate::Delivered { .. }), msg.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Records reported by `node`, with their times.
pub fn records(w: &World, name: &str) -> Vec<(SimTime, Record)> {
    let n = node(w, name);
    w.trace()
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Record { t, node, record } if *node == n => Some((*t, *record)),
            _ => None,
        })
        .collect()
}

/// Seconds, for readable expectations.
pub fn secs(t: SimTime) -> f64 {
    t.as_secs_f64()
}
