//! SIP over UDP as sans-I/O state machines: messages, transactions
//! (RFC 3261 §17), dialogs, and the UA, B2BUA and proxy roles.
//!
//! A role never touches the engine. It gets a [`action::Ctx`] per input and
//! answers with [`action::Action`]s, so the same code drives a trace, a
//! sweep or a hand-written unit test.
//!
//! | module | job |
//! |---|---|
//! | [`message`], [`status`] | messages as plain data; the status-code table |
//! | [`action`] | what a role is given (`Ctx`) and what it asks for (`Action`, `Record`) |
//! | [`timer`] | typed role timers and the entries that own them |
//! | [`slab`] | typed, generation-checked handles (the one owner of their packing) |
//! | [`transaction`] | client and server transactions and their tables |
//! | [`dialog`] | RFC 3261 dialog state |
//! | [`ua_core`] | UAC, UAS, refreshes and 2xx retransmission shared by UA and B2BUA |
//! | [`ua`], [`b2bua`], [`proxy`] | the roles |

pub mod action;
pub mod b2bua;
pub mod dialog;
pub mod message;
pub mod proxy;
pub mod slab;
pub mod status;
pub mod timer;
pub mod transaction;
pub mod ua;
pub mod ua_core;

pub use action::{Action, Ctx, ForcedAnswer, FreeCause, Record, StEvent, StateId};
pub use message::{CallRef, Message, Method};
pub use proxy::ProxyConfig;
pub use status::StatusCode;
pub use timer::{ClientTimer, DialogTimer, RecordTimer, ServerTimer, TimerId, TimerKind};
pub use transaction::{SipOverrides, SipTimers};
pub use ua::Command;

use crate::net::NodeId;

/// The protocol role of a node.
#[derive(Debug, Clone)]
pub enum Role {
    /// A user agent endpoint.
    Ua(ua::Ua),
    /// A proxy.
    Proxy(proxy::Proxy),
    /// A back-to-back user agent.
    B2bua(b2bua::B2bua),
}

impl Role {
    /// Handles a message from the previous hop `from`.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Message) {
        match self {
            Role::Ua(r) => r.on_message(ctx, from, msg),
            Role::Proxy(r) => r.on_message(ctx, from, msg),
            Role::B2bua(r) => r.on_message(ctx, from, msg),
        }
    }

    /// Handles one of the role's timers.
    pub fn on_timer(&mut self, ctx: &mut Ctx, id: TimerId) {
        match self {
            Role::Ua(r) => r.on_timer(ctx, id),
            Role::Proxy(r) => r.on_timer(ctx, id),
            Role::B2bua(r) => r.on_timer(ctx, id),
        }
    }

    /// A request the role sent met a fatal transport error (ICMP
    /// unreachable from a dead host, TXN-ERR).
    pub fn on_transport_error(&mut self, ctx: &mut Ctx, req: &Message) {
        match self {
            Role::Ua(r) => r.on_transport_error(ctx, req),
            Role::Proxy(r) => r.on_transport_error(ctx, req),
            Role::B2bua(r) => r.on_transport_error(ctx, req),
        }
    }

    /// Drops one dialog state silently (its endpoint died: no BYE, no
    /// record); proxies keep no per-call endpoint state to drop.
    pub fn forget(&mut self, ctx: &mut Ctx, state: StateId) {
        match self {
            Role::Ua(r) => r.forget(ctx, state),
            Role::B2bua(r) => r.forget(ctx, state),
            Role::Proxy(_) => {}
        }
    }

    /// Handles a command; only UAs take commands, others ignore them.
    pub fn on_command(&mut self, ctx: &mut Ctx, cmd: Command) {
        if let Role::Ua(r) = self {
            r.on_command(ctx, cmd);
        }
    }

    /// The model-file name of the role's kind.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Role::Ua(_) => "ua",
            Role::Proxy(_) => "proxy",
            Role::B2bua(_) => "b2bua",
        }
    }
}
