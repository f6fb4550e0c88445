//! sstsim: a deterministic discrete-event simulator of SIP Session-Timer
//! (RFC 4028) networks.
//!
//! Layers, each using only those below it (see `docs/ARCHITECTURE.md`):
//!
//! | module | job |
//! |---|---|
//! | [`cli`] | argument parsing, progress, exit codes |
//! | [`report`] | CSV writers, summary statistics, charts, trace output |
//! | [`engine`] | virtual clock, event queue, cancellable timers, RNG streams (no SIP) |
//!
//! Later layers (`experiment`, `scenario`, `sim`, `sip`, `session_timer`,
//! `net`) slot in between `report` and `engine` as `docs/ARCHITECTURE.md` says.
//!
//! Determinism contract: the same input and seed give byte-identical output.
//! No wall clock, unseeded randomness, hash-map iteration order or thread
//! scheduling may reach a simulation result; `clippy.toml` bans the usual
//! culprits.

#![warn(missing_docs)]

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
