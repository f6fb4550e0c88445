//! A user agent endpoint: answers every call at once; as caller, hangs up
//! after the holding time.

use crate::engine::SimDuration;
use crate::net::NodeId;

use super::action::Ctx;
use super::message::{CallRef, Message};
use super::timer::TimerId;
use super::ua_core::{CoreEvent, UaConfig, UaCore};

/// Something the workload (or a test) asks a UA to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Call `callee` and hang up `holding` after the answer.
    StartCall {
        /// The workload call number.
        call: CallRef,
        /// The callee node (Request-URI).
        callee: NodeId,
        /// Time from answer to BYE.
        holding: SimDuration,
    },
    /// Send a re-INVITE in the call's dialog (hold, codec change: any
    /// re-INVITE is also a refresh, ST-UAC-13).
    Reinvite {
        /// The workload call whose dialog to use.
        call: CallRef,
        /// The `refresher` parameter it carries.
        param: ReinviteParam,
    },
}

pub use super::ua_core::ReinviteParam;

/// A UA endpoint. Its legs need no link: it bridges nothing.
#[derive(Debug, Clone)]
pub struct Ua {
    core: UaCore<()>,
}

impl Ua {
    /// An idle UA at `me`.
    pub fn new(me: NodeId, cfg: UaConfig) -> Self {
        Ua {
            core: UaCore::new(me, cfg),
        }
    }

    /// Its dialogs and transactions (for inspection).
    pub fn core(&self) -> &UaCore<()> {
        &self.core
    }

    /// Handles a workload or test command.
    pub fn on_command(&mut self, ctx: &mut Ctx, cmd: Command) {
        match cmd {
            Command::StartCall {
                call,
                callee,
                holding,
            } => {
                self.core.invite(ctx, call, callee, Some(holding), ());
            }
            Command::Reinvite { call, param } => {
                if let Some(d) = self.core.dialog_of_call(call) {
                    self.core.reinvite(ctx, d, param);
                }
            }
        }
        self.drain(ctx);
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

    /// Drops the dialog a crashed endpoint held (no BYE, no record).
    pub fn forget(&mut self, ctx: &mut Ctx, state: super::StateId) {
        self.core.forget(ctx, state);
    }

    fn drain(&mut self, ctx: &mut Ctx) {
        while let Some(ev) = self.core.events.pop() {
            if let CoreEvent::Incoming(d) = ev {
                self.core.answer(ctx, d);
            }
        }
    }
}
