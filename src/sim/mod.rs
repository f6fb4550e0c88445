//! The simulated world: SIP roles placed on the network and driven by the
//! engine, the workload that places calls, the faults that break them, the
//! probes that measure them, run counters and traces.
//!
//! | module | job |
//! |---|---|
//! | [`config`] | what a world is built from (nodes, links, workload, faults) |
//! | `world` | the world: event dispatch, role actions → engine calls |
//! | `network` | links at run time and routing: carries a message hop by hop |
//! | `timer_table` | which engine timer is armed for each role timer |
//! | `calls` | the calls in progress: who holds state for which call |
//! | [`faults`] | fault specs and all fault state (crash plans, marks) |
//! | [`probes`] | observers: fold what happened into [`RunMetrics`] |
//! | [`workload`] | the calls to place, one at a time |
//! | [`stats`], [`trace`] | run counters and traced events |

mod calls;
pub mod config;
pub mod faults;
mod network;
pub mod probes;
pub mod stats;
mod timer_table;
pub mod trace;
pub mod workload;
pub mod world;

pub use config::{NodeKind, NodeSpec, WorldConfig, class_of};
pub use probes::{
    ClassSummary, DialogRow, NodeClass, NodeLoad, NodeTraffic, RunCounters, RunMetrics,
};
pub use stats::{NodeStats, Stats};
pub use trace::{TraceEvent, TraceFate, TraceFilter};
pub use workload::{Arrivals, CallCrash, CrashSide, Holding, Pairs, WorkloadSpec};
pub use world::{LimitExceeded, World};
