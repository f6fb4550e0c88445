//! A node's transaction tables: client and server transactions in slabs,
//! server transactions indexed by (previous hop, branch). Shared by the UA
//! core and the proxy, which differ only in what they keep with a client
//! transaction (`U`) and what they do with its events.

use rustc_hash::FxHashMap;

use crate::net::NodeId;

use super::super::action::Ctx;
use super::super::message::{Branch, Message, Method, Via};
use super::super::slab::Slab;
use super::super::status::ReasonPhrases;
use super::super::timer::{ClientTimer, ServerTimer, TimerOwner};
use super::client::{ClientEvent, ClientKind, ClientState, ClientTxn};
use super::server::{Answer, ServerKey, ServerState, ServerTxn};
use super::{ClientTxnId, ServerTxnId};

/// Client and server transactions of one node.
#[derive(Debug, Clone)]
pub struct Transactions<U> {
    /// Client transactions; the handle is the Via branch.
    pub(crate) clients: Slab<ClientTxnId, ClientTxn<U>>,
    /// Server transactions.
    pub(crate) servers: Slab<ServerTxnId, ServerTxn>,
    /// Server transactions by `(previous hop, branch)`. Only ever looked
    /// up, never iterated, so a fast fixed hasher is safe for determinism.
    index: FxHashMap<ServerKey, ServerTxnId>,
    /// The reason phrases of the responses this node sends.
    pub(crate) phrases: ReasonPhrases,
}

impl<U> Transactions<U> {
    /// An empty table whose responses carry these reason phrases.
    pub fn with_phrases(phrases: ReasonPhrases) -> Self {
        Transactions {
            phrases,
            ..Transactions::default()
        }
    }
}

impl<U> Default for Transactions<U> {
    fn default() -> Self {
        Transactions {
            clients: Slab::default(),
            servers: Slab::default(),
            index: FxHashMap::default(),
            phrases: ReasonPhrases::Rfc,
        }
    }
}

impl<U> Transactions<U> {
    /// Adds this node's Via to `msg` and starts a client transaction for it.
    pub fn start_client(
        &mut self,
        ctx: &mut Ctx,
        mut msg: Message,
        to: NodeId,
        kind: ClientKind,
        tu: U,
    ) -> ClientTxnId {
        let id = self.clients.next_key();
        msg.via.push(Via {
            node: ctx.me,
            branch: id.branch(),
        });
        let txn = ClientTxn::start(ctx, id, msg, to, kind, tu);
        let inserted = self.clients.insert(txn);
        debug_assert_eq!(inserted, id);
        id
    }

    /// Frees a client transaction and its timers.
    pub fn free_client(&mut self, ctx: &mut Ctx, id: ClientTxnId) {
        self.clients.remove(id);
        ctx.clear_timers(TimerOwner::Client(id));
    }

    /// Creates a server transaction for `req` from `from` (INVITE: 100 Trying
    /// is sent).
    pub fn new_server(
        &mut self,
        ctx: &mut Ctx,
        req: &Message,
        from: NodeId,
        answer: Answer,
    ) -> ServerTxnId {
        let txn = ServerTxn::new(ctx, req, from, answer);
        let key = txn.key;
        let id = self.servers.insert(txn);
        self.index.insert(key, id);
        id
    }

    /// Answers `req` from `from` at once with `resp`, in a server
    /// transaction of its own (absorbs the request's retransmissions).
    pub fn answer(&mut self, ctx: &mut Ctx, req: &Message, from: NodeId, resp: Message) {
        let id = self.new_server(ctx, req, from, Answer::Now);
        self.respond(ctx, id, resp);
    }

    /// Sends `resp` on server transaction `id`.
    pub fn respond(&mut self, ctx: &mut Ctx, id: ServerTxnId, mut resp: Message) {
        resp.phrases = self.phrases;
        if let Some(t) = self.servers.get_mut(id) {
            t.respond(ctx, id, resp);
            if t.state == ServerState::Terminated {
                self.free_server(ctx, id);
            }
        }
    }

    /// Frees a server transaction, its index entry and its timers.
    pub fn free_server(&mut self, ctx: &mut Ctx, id: ServerTxnId) {
        if let Some(t) = self.servers.remove(id) {
            self.index.remove(&t.key);
            ctx.clear_timers(TimerOwner::Server(id));
        }
    }

    /// Handles `req` if it belongs to a live server transaction (a
    /// retransmission, or the ACK of a 3xx–6xx); returns whether it did.
    pub fn absorb(&mut self, ctx: &mut Ctx, from: NodeId, req: &Message) -> bool {
        let Some(branch) = req.via.top().map(|v| v.branch) else {
            return false;
        };
        let Some(&id) = self.index.get(&(from, branch)) else {
            return false;
        };
        let txn = self
            .servers
            .get_mut(id)
            .expect("indexed transactions are live");
        if !txn.absorbs(req) {
            return false;
        }
        if req.method() == Some(Method::Ack) {
            txn.on_ack(ctx, id);
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
    ) -> Option<(ClientTxnId, ClientEvent)> {
        let id = ClientTxnId::of_branch(branch);
        match self.clients.get_mut(id) {
            Some(txn) if txn.matches(resp) => Some((id, txn.on_response(ctx, id, resp))),
            _ => None,
        }
    }

    /// A transport error for the request `req` this node sent (its top Via
    /// branch names the transaction); the event is for the TU.
    pub fn on_transport_error(
        &mut self,
        ctx: &mut Ctx,
        req: &Message,
    ) -> Option<(ClientTxnId, ClientEvent)> {
        let via = req.via.top()?;
        if via.node != ctx.me {
            return None;
        }
        let id = ClientTxnId::of_branch(via.branch);
        match self.clients.get_mut(id) {
            Some(txn) if txn.matches(req) => Some((id, txn.on_transport_error(ctx, id))),
            _ => None,
        }
    }

    /// Handles a client transaction's timer; its event is for the TU.
    pub fn on_client_timer(
        &mut self,
        ctx: &mut Ctx,
        id: ClientTxnId,
        t: ClientTimer,
    ) -> Option<ClientEvent> {
        Some(self.clients.get_mut(id)?.on_timer(ctx, id, t))
    }

    /// Handles a server transaction's timer; a terminated transaction goes.
    pub fn on_server_timer(&mut self, ctx: &mut Ctx, id: ServerTxnId, t: ServerTimer) {
        if let Some(txn) = self.servers.get_mut(id) {
            txn.on_timer(ctx, id, t);
            if txn.state == ServerState::Terminated {
                self.free_server(ctx, id);
            }
        }
    }

    /// Frees client transaction `id` if it has terminated; returns it.
    pub fn finish_client(&mut self, ctx: &mut Ctx, id: ClientTxnId) -> Option<ClientTxn<U>> {
        if self
            .clients
            .get(id)
            .is_some_and(|t| t.state == ClientState::Terminated)
        {
            ctx.clear_timers(TimerOwner::Client(id));
            return self.clients.remove(id);
        }
        None
    }

    /// Live client and server transactions.
    pub fn sizes(&self) -> (usize, usize) {
        (self.clients.len(), self.servers.len())
    }
}
