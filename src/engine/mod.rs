//! The discrete-event engine: virtual clock, event queue with cancellable
//! timers, named random streams, and the run loop.
//!
//! This layer knows nothing about SIP. It is generic over the event payload
//! `P`; the simulation world above it decides what events mean. It owns time,
//! the queue and randomness for the whole program: protocol state machines
//! never touch any of the three directly.
//!
//! Determinism contract: a run is a pure function of its initial events, its
//! handler and the seeds of its streams. Equal-time events fire in the order
//! they were scheduled; no iteration order of a hash container, no wall clock
//! and no thread scheduling can reach an event.

pub mod queue;
pub mod rng;
pub mod sim;
mod tiered;
pub mod time;

pub use queue::{EventQueue, TimerKey};
pub use rng::{SeedSpace, SimRng, StreamId, stream};
pub use sim::{RunOutcome, ScheduleError, Scheduler, Simulation, StopReason};
pub use time::{SimDuration, SimTime, TimeError};
