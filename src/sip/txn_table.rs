//! A node's transaction tables: client and server transactions in slabs,
//! server transactions indexed by (previous hop, branch). Shared by the UA
//! core and the proxy, which differ only in what they do with the events.

use crate::net::NodeId;

use super::action::{Ctx, TimerKind, TimerSpace};
use super::message::{Branch, Message, Method, Via};
use super::slab::Slab;
use super::txn::{ClientEvent, ClientTxn, ServerIndex, ServerState, ServerTxn};

/// Client and server transactions of one node.
#[derive(Debug, Clone, Default)]
pub struct Transactions {
    /// Client transactions; the handle is the Via branch.
    pub clients: Slab<ClientTxn>,
    /// Server transactions.
    pub servers: Slab<ServerTxn>,
    index: ServerIndex,
}

impl Transactions {
    /// Adds this node's Via to `msg` and starts a client transaction for it
    /// (`timer_c`: a proxy's INVITE, RFC 3261 §16.6).
    pub fn start_client(
        &mut self,
        ctx: &mut Ctx,
        mut msg: Message,
        to: NodeId,
        owner: u32,
        timer_c: bool,
    ) -> u32 {
        let handle = self.clients.next_handle();
        msg.via.push(Via {
            node: ctx.me,
            branch: Branch(handle),
        });
        let txn = ClientTxn::start(ctx, handle, msg, to, owner, timer_c);
        let inserted = self.clients.insert(txn);
        debug_assert_eq!(inserted, handle);
        handle
    }

    /// Frees a client transaction and its timers.
    pub fn free_client(&mut self, ctx: &mut Ctx, h: u32) {
        self.clients.remove(h);
        ctx.clear_timers(TimerSpace::ClientTxn, h);
    }

    /// Creates a server transaction for `req` from `from` (INVITE: 100 Trying
    /// is sent); `keep_request` if the TU will build its response later.
    pub fn new_server(
        &mut self,
        ctx: &mut Ctx,
        req: &Message,
        from: NodeId,
        owner: u32,
        keep_request: bool,
    ) -> u32 {
        let txn = ServerTxn::new(ctx, req, from, owner, keep_request);
        let key = txn.key;
        let h = self.servers.insert(txn);
        self.index.insert(key, h);
        h
    }

    /// Sends `resp` on server transaction `h`.
    pub fn respond(&mut self, ctx: &mut Ctx, h: u32, resp: Message) {
        if let Some(t) = self.servers.get_mut(h) {
            t.respond(ctx, h, resp);
            if t.state == ServerState::Terminated {
                self.free_server(ctx, h);
            }
        }
    }

    /// Frees a server transaction, its index entry and its timers.
    pub fn free_server(&mut self, ctx: &mut Ctx, h: u32) {
        if let Some(t) = self.servers.remove(h) {
            self.index.remove(t.key);
            ctx.clear_timers(TimerSpace::ServerTxn, h);
        }
    }

    /// Handles `req` if it belongs to a live server transaction (a
    /// retransmission, or the ACK of a 3xx–6xx); returns whether it did.
    pub fn absorb(&mut self, ctx: &mut Ctx, from: NodeId, req: &Message) -> bool {
        let Some(h) = self.index.find(from, req) else {
            return false;
        };
        let txn = self
            .servers
            .get_mut(h)
            .expect("indexed transactions are live");
        if !txn.absorbs(req) {
            return false;
        }
        if req.method() == Some(Method::Ack) {
            txn.on_ack(ctx, h);
        } else {
            txn.on_retransmission(ctx);
        }
        true
    }

    /// Feeds a response to the client transaction named by `branch`; `None`
    /// if no live transaction claims it (a stray, e.g. a retransmitted 2xx).
    pub fn on_response(
        &mut self,
        ctx: &mut Ctx,
        branch: Branch,
        resp: &Message,
    ) -> Option<ClientEvent> {
        let h = branch.0;
        match self.clients.get_mut(h) {
            Some(txn) if txn.matches(resp) => Some(txn.on_response(ctx, h, resp)),
            _ => None,
        }
    }

    /// Handles a transaction timer. Server timers are dealt with here; a
    /// client timer's event is returned for the TU.
    pub fn on_timer(&mut self, ctx: &mut Ctx, kind: TimerKind, h: u32) -> Option<ClientEvent> {
        match kind.place().0 {
            TimerSpace::ClientTxn => {
                let txn = self.clients.get_mut(h)?;
                Some(txn.on_timer(ctx, h, kind))
            }
            TimerSpace::ServerTxn => {
                let txn = self.servers.get_mut(h)?;
                // Timer H (no ACK for a 3xx–6xx) needs nothing from the TU.
                txn.on_timer(ctx, h, kind);
                if txn.state == ServerState::Terminated {
                    self.free_server(ctx, h);
                }
                None
            }
            TimerSpace::Dialog | TimerSpace::ProxyDialog => None,
        }
    }

    /// Live client and server transactions.
    pub fn sizes(&self) -> (usize, usize) {
        (self.clients.len(), self.servers.len())
    }
}
