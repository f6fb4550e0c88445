//! A back-to-back user agent (Asterisk-like): it terminates the caller's
//! dialog (leg A) and originates its own toward the callee (leg B). It
//! answers A when B answers, rejects A when B fails, and ends the other leg
//! with BYE when either leg ends. Each leg's link is the other leg.

use crate::net::NodeId;

use super::action::Ctx;
use super::message::Message;
use super::status::StatusCode;
use super::timer::TimerId;
use super::ua_core::{CoreEvent, DialogId, UaConfig, UaCore};

/// A B2BUA.
#[derive(Debug, Clone)]
pub struct B2bua {
    core: UaCore<Option<DialogId>>,
}

impl B2bua {
    /// An idle B2BUA at `me`.
    pub fn new(me: NodeId, cfg: UaConfig) -> Self {
        B2bua {
            core: UaCore::new(me, cfg),
        }
    }

    /// Both legs' dialogs and transactions (for inspection).
    pub fn core(&self) -> &UaCore<Option<DialogId>> {
        &self.core
    }

    /// Handles a message from the previous hop `from`.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Message) {
        self.core.on_message(ctx, from, msg);
        self.drain(ctx);
    }

    /// Handles a timer.
    pub fn on_timer(&mut self, ctx: &mut Ctx, id: TimerId) {
        self.core.on_timer(ctx, id);
        self.drain(ctx);
    }

    /// A request it sent met a fatal transport error (ICMP unreachable).
    pub fn on_transport_error(&mut self, ctx: &mut Ctx, req: &super::Message) {
        self.core.on_transport_error(ctx, req);
        self.drain(ctx);
    }

    /// Drops a leg a crash took (no BYE, no record).
    pub fn forget(&mut self, ctx: &mut Ctx, state: super::StateId) {
        self.core.forget(ctx, state);
    }

    fn drain(&mut self, ctx: &mut Ctx) {
        while let Some(ev) = self.core.events.pop() {
            match ev {
                CoreEvent::Incoming(a) => {
                    let Some((call, target)) = self.core.call_and_target(a) else {
                        continue;
                    };
                    match self.core.invite(ctx, call, target, None, Some(a)) {
                        Some(b) => self.core.set_link(a, Some(b)),
                        None => self.core.reject(ctx, a, StatusCode::NOT_FOUND),
                    }
                }
                CoreEvent::Answered { link } => {
                    if let Some(a) = link {
                        self.core.answer(ctx, a);
                    }
                }
                CoreEvent::Failed { link, status, .. } => {
                    if let Some(a) = link {
                        self.core.reject(ctx, a, status);
                    }
                }
                CoreEvent::Ended { link, cause, .. } => {
                    if let Some(other) = link {
                        self.core.hangup(ctx, other, cause);
                    }
                }
            }
        }
    }
}
