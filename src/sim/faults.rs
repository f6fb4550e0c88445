//! Fault descriptions from model files. They are parsed and validated now;
//! the injector that drives them arrives with the fault-injection stage.

use crate::engine::{SimDuration, SimTime};
use crate::net::{LinkId, NodeId, Probability};

/// Which BYEs a `drop_bye` fault swallows.
#[derive(Debug, Clone, PartialEq)]
pub enum ByeSelection {
    /// These workload call numbers.
    Calls(Vec<u32>),
    /// Each call independently with this probability.
    Probability(Probability),
}

/// A scheduled fault.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultSpec {
    /// A node stops silently at `at`; optionally restarts with its state lost.
    Crash {
        /// The node.
        node: NodeId,
        /// When.
        at: SimTime,
        /// Restart this long after the crash.
        restart_after: Option<SimDuration>,
    },
    /// A link loses everything during `[from, to)`.
    LinkDown {
        /// The link.
        link: LinkId,
        /// Start.
        from: SimTime,
        /// End.
        to: SimTime,
    },
    /// A link's loss probability is raised during `[from, to)`.
    LossBurst {
        /// The link.
        link: LinkId,
        /// Start.
        from: SimTime,
        /// End.
        to: SimTime,
        /// Loss probability meanwhile.
        loss: Probability,
    },
    /// The BYE of selected calls (and every retransmission) is lost on one link.
    DropBye {
        /// The link.
        link: LinkId,
        /// Which calls.
        calls: ByeSelection,
    },
}
