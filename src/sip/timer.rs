//! Role timers: one typed enum per table a timer belongs to (client
//! transactions, server transactions, UA dialogs, proxy dialog records),
//! each timer with one slot per entry, and [`TimerId`], which names a timer
//! of one entry by its typed handle.
//!
//! Timers that can never be armed at the same time for one entry share a
//! slot: a client transaction's retransmission timer's last fire is its
//! timeout (A/B, E/F), and the 2xx retransmission timer's last fire is the
//! give-up point. A timer that fires late or for a state already left is a
//! harmless no-op in every role.

use super::proxy::RecordId;
use super::slab::Key;
use super::transaction::{ClientTxnId, ServerTxnId};
use super::ua_core::DialogId;

/// Timers of a client transaction (RFC 3261 §17.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClientTimer {
    /// INVITE client retransmission (T1, doubling, uncapped; TXN-A).
    A,
    /// INVITE client timeout in Calling (64·T1): Timer A's last fire (TXN-B).
    B,
    /// A proxy's overall wait for a final response to an INVITE (TXN-C, > 3 min).
    C,
    /// INVITE client lingering in Completed (≥ 32 s; TXN-D).
    D,
    /// Non-INVITE client retransmission (T1 doubling, capped at T2; TXN-E/F/K).
    E,
    /// Non-INVITE client timeout (64·T1): Timer E's last fire.
    F,
    /// Non-INVITE client lingering in Completed (T4).
    K,
}

impl ClientTimer {
    fn slot(self) -> usize {
        match self {
            ClientTimer::A | ClientTimer::B | ClientTimer::E | ClientTimer::F => 0,
            ClientTimer::D | ClientTimer::K => 1,
            ClientTimer::C => 2,
        }
    }
}

/// Timers of a server transaction (RFC 3261 §17.2, RFC 6026).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServerTimer {
    /// INVITE server retransmission of a 3xx–6xx (T1 doubling, capped at T2; TXN-G/H/I).
    G,
    /// INVITE server wait for the ACK (64·T1).
    H,
    /// INVITE server Confirmed, absorbing ACK retransmissions (T4).
    I,
    /// Non-INVITE server Completed (64·T1; TXN-J).
    J,
    /// INVITE server Accepted after a 2xx, absorbing INVITE retransmissions (RFC 6026, 64·T1).
    L,
}

impl ServerTimer {
    fn slot(self) -> usize {
        match self {
            ServerTimer::G => 0,
            ServerTimer::H => 1,
            ServerTimer::I | ServerTimer::J | ServerTimer::L => 2,
        }
    }
}

/// Timers of a UA's or B2BUA leg's dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DialogTimer {
    /// Retransmit the 2xx until the ACK arrives (TXN-2XX-1).
    Retransmit2xx,
    /// Give up waiting for the ACK at 64·T1 and end the session: the last
    /// fire of `Retransmit2xx` (named in records).
    GiveUp2xx,
    /// The caller hangs up after the holding time.
    Hangup,
    /// Retry a refresh after a 491 (GLARE-2 back-off).
    GlareRetry,
    /// Retry a refresh after a 503 (`retry_after_503_s`).
    RetryRefresh,
    /// Time to refresh the session (refresher side, ST-UAC-12, ST-UAS-8).
    SessionRefresh,
    /// No refresh arrived: send BYE (non-refresher side, ST-EXPIRE-1).
    SessionExpiry,
}

impl DialogTimer {
    fn slot(self) -> usize {
        match self {
            DialogTimer::Retransmit2xx | DialogTimer::GiveUp2xx => 0,
            // One refresh retry waits at a time: a 491's or a 503's.
            DialogTimer::GlareRetry | DialogTimer::RetryRefresh => 1,
            DialogTimer::Hangup => 2,
            DialogTimer::SessionRefresh => 3,
            DialogTimer::SessionExpiry => 4,
        }
    }
}

/// Timers of a dialog-stateful proxy's dialog record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordTimer {
    /// Free a record nobody ended (the fallback lifetime).
    Fallback,
    /// The session interval passed without a refresh (ST-PROXY-13,
    /// ST-PROXY-14), or a product's dialog timeout.
    ProxyExpiry,
    /// A terminated record stops being listed (its timeout is over by then).
    Linger,
}

impl RecordTimer {
    fn slot(self) -> usize {
        match self {
            RecordTimer::Fallback => 0,
            RecordTimer::ProxyExpiry | RecordTimer::Linger => 1,
        }
    }
}

/// Every timer by name, for records and traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimerKind {
    /// A client transaction timer.
    Client(ClientTimer),
    /// A server transaction timer.
    Server(ServerTimer),
    /// A dialog timer.
    Dialog(DialogTimer),
    /// A proxy dialog-record timer.
    Record(RecordTimer),
}

impl TimerKind {
    /// Lower-case name for traces.
    pub fn name(self) -> &'static str {
        use {ClientTimer as C, DialogTimer as D, RecordTimer as R, ServerTimer as S};
        match self {
            TimerKind::Client(t) => match t {
                C::A => "timer_a",
                C::B => "timer_b",
                C::C => "timer_c",
                C::D => "timer_d",
                C::E => "timer_e",
                C::F => "timer_f",
                C::K => "timer_k",
            },
            TimerKind::Server(t) => match t {
                S::G => "timer_g",
                S::H => "timer_h",
                S::I => "timer_i",
                S::J => "timer_j",
                S::L => "timer_l",
            },
            TimerKind::Dialog(t) => match t {
                D::Retransmit2xx => "retransmit_2xx",
                D::GiveUp2xx => "give_up_2xx",
                D::Hangup => "hangup",
                D::GlareRetry => "glare_retry",
                D::RetryRefresh => "retry_refresh",
                D::SessionRefresh => "session_refresh",
                D::SessionExpiry => "session_expiry",
            },
            TimerKind::Record(t) => match t {
                R::Fallback => "fallback_lifetime",
                R::ProxyExpiry => "proxy_expiry",
                R::Linger => "linger",
            },
        }
    }
}

/// A table entry that owns timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimerOwner {
    /// A client transaction.
    Client(ClientTxnId),
    /// A server transaction.
    Server(ServerTxnId),
    /// A UA's or B2BUA leg's dialog.
    Dialog(DialogId),
    /// A proxy's dialog record.
    Record(RecordId),
}

impl TimerOwner {
    /// Timer slots per entry of each table, in table order (client, server, dialog, record).
    pub const SLOTS: [usize; 4] = [3, 3, 5, 2];

    /// The owner's table (0–3) and the dense index of its first timer slot there.
    pub fn table_base(self) -> (usize, usize) {
        let (table, slot) = match self {
            TimerOwner::Client(h) => (0, h.slot()),
            TimerOwner::Server(h) => (1, h.slot()),
            TimerOwner::Dialog(h) => (2, h.slot()),
            TimerOwner::Record(h) => (3, h.slot()),
        };
        (table, slot * Self::SLOTS[table])
    }
}

/// One timer of one table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimerId {
    /// A client transaction's timer.
    Client(ClientTxnId, ClientTimer),
    /// A server transaction's timer.
    Server(ServerTxnId, ServerTimer),
    /// A dialog's timer.
    Dialog(DialogId, DialogTimer),
    /// A proxy dialog record's timer.
    Record(RecordId, RecordTimer),
}

impl TimerId {
    /// The entry the timer belongs to.
    pub fn owner(self) -> TimerOwner {
        match self {
            TimerId::Client(h, _) => TimerOwner::Client(h),
            TimerId::Server(h, _) => TimerOwner::Server(h),
            TimerId::Dialog(h, _) => TimerOwner::Dialog(h),
            TimerId::Record(h, _) => TimerOwner::Record(h),
        }
    }

    /// The timer's name.
    pub fn kind(self) -> TimerKind {
        match self {
            TimerId::Client(_, t) => TimerKind::Client(t),
            TimerId::Server(_, t) => TimerKind::Server(t),
            TimerId::Dialog(_, t) => TimerKind::Dialog(t),
            TimerId::Record(_, t) => TimerKind::Record(t),
        }
    }

    /// Where a per-node timer table keeps this timer: the owner's table and
    /// a dense index there (the entry's base plus the timer's slot).
    pub fn table_index(self) -> (usize, usize) {
        let slot = match self {
            TimerId::Client(_, t) => t.slot(),
            TimerId::Server(_, t) => t.slot(),
            TimerId::Dialog(_, t) => t.slot(),
            TimerId::Record(_, t) => t.slot(),
        };
        let (table, base) = self.owner().table_base();
        (table, base + slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_ids_stay_small() {
        // An engine event carries a node and a timer id in 16 bytes.
        assert!(std::mem::size_of::<TimerId>() <= 8);
    }

    #[test]
    fn slots_fit_their_tables() {
        let d = DialogId::from_raw(3);
        let all = [
            DialogTimer::Retransmit2xx,
            DialogTimer::GiveUp2xx,
            DialogTimer::Hangup,
            DialogTimer::GlareRetry,
            DialogTimer::RetryRefresh,
            DialogTimer::SessionRefresh,
            DialogTimer::SessionExpiry,
        ];
        for t in all {
            let (table, i) = TimerId::Dialog(d, t).table_index();
            assert_eq!(table, 2);
            assert!((15..20).contains(&i), "{t:?} at {i}");
        }
    }
}
