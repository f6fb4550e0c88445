//! The simulated world: SIP roles placed on the network and driven by the
//! engine, the workload that places calls, run counters and traces.

pub mod faults;
pub mod stats;
pub mod trace;
pub mod workload;
pub mod world;

pub use stats::{NodeStats, Stats};
pub use trace::{TraceEvent, TraceFate, TraceFilter};
pub use workload::WorkloadSpec;
pub use world::{NodeKind, NodeSpec, World, WorldConfig};
