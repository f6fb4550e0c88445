//! A back-to-back user agent (Asterisk-like): it terminates the caller's
//! dialog (leg A) and originates its own toward the callee (leg B). It
//! answers A when B answers, rejects A when B fails, and ends the other leg
//! with BYE when either leg ends.

use crate::net::NodeId;

use super::action::{Ctx, TimerKind};
use super::core::{CoreEvent, NONE, UaConfig, UaCore};
use super::message::Message;
use super::status::StatusCode;

/// A B2BUA.
#[derive(Debug, Clone)]
pub struct B2bua {
    /// Both legs' dialogs and transactions.
    pub core: UaCore,
}

impl B2bua {
    /// An idle B2BUA at `me`.
    pub fn new(me: NodeId, cfg: UaConfig) -> Self {
        B2bua {
            core: UaCore::new(me, cfg),
        }
    }

    /// Handles a message from the previous hop `from`.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Message) {
        self.core.on_message(ctx, from, msg);
        self.drain(ctx);
    }

    /// Handles a timer.
    pub fn on_timer(&mut self, ctx: &mut Ctx, kind: TimerKind, handle: u32) {
        self.core.on_timer(ctx, kind, handle);
        self.drain(ctx);
    }

    fn drain(&mut self, ctx: &mut Ctx) {
        while let Some(ev) = self.core.events.pop() {
            match ev {
                CoreEvent::Incoming(a) => {
                    let dl = self.core.dialogs.get(a).expect("incoming dialog is live");
                    let (call, target) = (dl.call, dl.target);
                    match self.core.invite(ctx, call, target, None, a) {
                        Some(b) => self.core.dialogs.get_mut(a).expect("live").link = b,
                        None => self.core.reject(ctx, a, StatusCode::NOT_FOUND),
                    }
                }
                CoreEvent::Answered(b) => {
                    let a = self.core.dialogs.get(b).map_or(NONE, |d| d.link);
                    self.core.answer(ctx, a);
                }
                CoreEvent::Failed { link, status, .. } => {
                    self.core.reject(ctx, link, status);
                }
                CoreEvent::Ended { link, cause, .. } => {
                    self.core.hangup(ctx, link, cause);
                }
            }
        }
    }
}
