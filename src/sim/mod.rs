//! The simulated world: SIP roles placed on the network and driven by the
//! engine, the workload that places calls, run counters and traces.

pub mod faults;
pub mod probes;
pub mod stats;
pub mod trace;
pub mod workload;
pub mod world;

pub use probes::{ClassSummary, DialogRow, NodeClass, RunMetrics};
pub use stats::{NodeStats, Stats};
pub use trace::{TraceEvent, TraceFate, TraceFilter};
pub use workload::{Arrivals, CallCrash, CrashSide, Holding, Pairs, WorkloadSpec};
pub use world::{NodeKind, NodeSpec, World, WorldConfig};
