//! sstsim: a deterministic discrete-event simulator of SIP Session-Timer
//! (RFC 4028) networks.
//!
//! Layers, each using only those below it (see `docs/ARCHITECTURE.md`):
//!
//! | module | job |
//! |---|---|
//! | [`cli`] | argument parsing, progress, exit codes |
//! | [`experiment`] | sweep grids, replications, seeding, parallel runs, shards, resume, the metric table |
//! | [`report`] | CSV writers, charts, trace and metric tables |
//! | [`scenario`] | model files → validated scenarios, with located errors |
//! | [`sim`] | the world: roles on the network, workload, faults, probes |
//! | [`sip`] | messages, transactions, dialogs, UA / B2BUA / proxy roles (sans-I/O) |
//! | [`session_timer`] | RFC 4028 negotiation, refresh and expiry policy, presets (pure) |
//! | [`net`] | topology, routing, link delay and loss models (pure decisions) |
//! | [`engine`] | virtual clock, event queue, cancellable timers, RNG streams (no SIP) |
//!
//! [`keyword`] sits beside the layers: how files spell configuration enums.
//!
//! Determinism contract: the same input and seed give byte-identical output.
//! No wall clock, unseeded randomness, hash-map iteration order or thread
//! scheduling may reach a simulation result; `clippy.toml` bans the usual
//! culprits.

#![warn(missing_docs)]
#![warn(unreachable_pub)]

pub mod cli;
pub mod engine;
pub mod experiment;
pub mod keyword;
pub mod net;
pub mod report;
pub mod scenario;
pub mod session_timer;
pub mod sim;
pub mod sip;
pub mod tune;
