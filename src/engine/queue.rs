//! The pending-event set: a 4-ary min-heap of 16-byte keys plus a slot table
//! holding payloads, with O(1) cancel and re-arm.
//!
//! Contract:
//! - Events pop in `(time, seq)` order; `seq` is assigned when an event is
//!   scheduled (or re-armed), so equal-time events pop in scheduling order.
//! - Every scheduled event owns a slot; its [`TimerKey`] (slot index plus the
//!   slot's generation) stays valid until the event fires or is cancelled, so a
//!   key kept after that can never touch a later occupant of the slot.
//! - Cancel and re-arm never search the heap: they invalidate the slot's heap
//!   entry in place (lazy deletion). Invalid entries are skipped when popped,
//!   and the heap is compacted whenever they outnumber the live ones, so its
//!   length stays below `2 × pending + COMPACT_MIN` under any churn.
//!
//! Why this shape: entries are `(time, seq:u32, slot:u32)` packed into one
//! `u128`, compared as integers. They live in a two-tier set
//! (`tiered::Tiered`): a 4-ary heap for the current ~17 s window,
//! and a calendar of coarse buckets for later times. Far timers (most of a
//! SIP simulation) stay out of the heap until their window comes, and
//! cancelled ones are dropped then without a heap pop. Payloads of any size
//! stay in the slot table and never move.

use std::num::NonZeroU32;

use super::tiered::Tiered;
use super::time::SimTime;

/// Stale entries tolerated before compaction is considered at all.
const COMPACT_MIN: usize = 64;

/// Handle to a pending event, for [`EventQueue::cancel`] and [`EventQueue::rearm`].
///
/// A key is dead once its event fired or was cancelled; using a dead key is a
/// harmless no-op (`None` / `false`). Generations are 32-bit: a key would have to
/// outlive 2^32 reuses of its slot to alias, which no run comes near.
#[must_use = "dropping a TimerKey makes the event impossible to cancel; use schedule() for events never cancelled"]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerKey {
    /// Slot index + 1, so that `Option<TimerKey>` stays 8 bytes.
    slot: NonZeroU32,
    generation: u32,
}

impl TimerKey {
    #[inline]
    fn new(slot: u32, generation: u32) -> Self {
        TimerKey {
            slot: NonZeroU32::new(slot + 1).expect("slot index below u32::MAX"),
            generation,
        }
    }
    #[inline]
    fn index(self) -> usize {
        (self.slot.get() - 1) as usize
    }
}

/// One heap entry: `time << 64 | seq << 32 | slot`, so that plain integer order
/// is `(time, seq)` order (seq is unique among entries, so `slot` never decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry(u128);

impl Entry {
    #[inline]
    fn new(time: SimTime, seq: u32, slot: u32) -> Self {
        Entry(((time.as_nanos() as u128) << 64) | ((seq as u128) << 32) | slot as u128)
    }
    #[inline]
    fn time(self) -> SimTime {
        SimTime::from_nanos((self.0 >> 64) as u64)
    }
    #[inline]
    fn seq(self) -> u32 {
        (self.0 >> 32) as u32
    }
    #[inline]
    fn slot(self) -> usize {
        self.0 as u32 as usize
    }
}

/// A slot: the payload of one pending event, or empty when free.
#[derive(Debug)]
struct Slot<P> {
    /// Bumped whenever the slot's event fires or is cancelled; part of [`TimerKey`].
    generation: u32,
    /// The `seq` of the one heap entry that currently represents this slot.
    seq: u32,
    /// `Some` while the event is pending.
    payload: Option<P>,
}

/// Pending events ordered by `(time, seq)`.
#[derive(Debug)]
pub struct EventQueue<P> {
    set: Tiered,
    slots: Vec<Slot<P>>,
    free: Vec<u32>,
    next_seq: u32,
    /// Heap entries whose slot no longer points at them (cancelled or re-armed).
    stale: usize,
    /// Seq limit at which the live entries are renumbered; `u32::MAX` except in tests.
    seq_limit: u32,
}

impl<P> Default for EventQueue<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> EventQueue<P> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for `n` pending events before reallocating.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            set: Tiered::with_capacity(n),
            slots: Vec::with_capacity(n),
            free: Vec::new(),
            next_seq: 0,
            stale: 0,
            seq_limit: u32::MAX,
        }
    }

    /// Number of pending (scheduled, not yet fired or cancelled) events.
    pub fn len(&self) -> usize {
        self.set.len() - self.stale
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries held including stale ones: the memory the event set actually holds.
    pub fn heap_len(&self) -> usize {
        self.set.len()
    }

    /// Slots allocated so far (pending plus free for reuse).
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// True while `key`'s event is still pending.
    pub fn is_pending(&self, key: TimerKey) -> bool {
        self.slots
            .get(key.index())
            .is_some_and(|s| s.generation == key.generation && s.payload.is_some())
    }

    /// The payload of a pending event.
    pub fn get(&self, key: TimerKey) -> Option<&P> {
        let slot = self.slots.get(key.index())?;
        if slot.generation == key.generation {
            slot.payload.as_ref()
        } else {
            None
        }
    }

    /// Schedules `payload` at `at` and returns the key that can cancel or re-arm it.
    pub fn push(&mut self, at: SimTime, payload: P) -> TimerKey {
        let slot = match self.free.pop() {
            Some(i) => i,
            None => {
                let i = u32::try_from(self.slots.len())
                    .expect("more than 2^32 simultaneously pending events");
                self.slots.push(Slot {
                    generation: 0,
                    seq: 0,
                    payload: None,
                });
                i
            }
        };
        let seq = self.take_seq();
        let s = &mut self.slots[slot as usize];
        debug_assert!(s.payload.is_none(), "free slot holds a payload");
        s.seq = seq;
        s.payload = Some(payload);
        let key = TimerKey::new(slot, s.generation);
        self.heap_push(Entry::new(at, seq, slot));
        key
    }

    /// Cancels a pending event and returns its payload; `None` if the key is dead.
    pub fn cancel(&mut self, key: TimerKey) -> Option<P> {
        let s = self.slots.get_mut(key.index())?;
        if s.generation != key.generation {
            return None;
        }
        let payload = s.payload.take()?;
        s.generation = s.generation.wrapping_add(1);
        self.free.push(key.index() as u32);
        self.stale += 1;
        self.maybe_compact();
        Some(payload)
    }

    /// Moves a pending event to `at`, keeping its key and payload. It is ordered
    /// as if scheduled now (a fresh `seq`). Returns `false` if the key is dead.
    pub fn rearm(&mut self, key: TimerKey, at: SimTime) -> bool {
        if !self.is_pending(key) {
            return false;
        }
        let seq = self.take_seq();
        self.slots[key.index()].seq = seq;
        self.stale += 1;
        self.heap_push(Entry::new(at, seq, key.index() as u32));
        self.maybe_compact();
        true
    }

    /// Time of the earliest pending event.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        loop {
            let top = Entry(self.peek_set()?);
            if is_live(&self.slots, top) {
                return Some(top.time());
            }
            self.set.pop();
            self.stale -= 1;
        }
    }

    /// Removes and returns the earliest pending event.
    pub fn pop(&mut self) -> Option<(SimTime, P)> {
        self.pop_due(SimTime::MAX)
    }

    /// The smallest key, moving calendar buckets into the heap as needed and
    /// counting the stale keys dropped on the way.
    #[inline]
    fn peek_set(&mut self) -> Option<u128> {
        let slots = &self.slots;
        let mut dropped = 0;
        let top = self
            .set
            .peek(&mut |k| is_live(slots, Entry(k)), &mut dropped);
        self.stale -= dropped;
        top
    }

    /// Removes and returns the earliest pending event if it is due at or
    /// before `limit`; stale entries met on the way are discarded. One pass
    /// over the root: the run loop's peek and pop in a single step.
    #[inline]
    pub fn pop_due(&mut self, limit: SimTime) -> Option<(SimTime, P)> {
        loop {
            let top = Entry(self.peek_set()?);
            let live = is_live(&self.slots, top);
            if live && top.time() > limit {
                return None;
            }
            self.set.pop();
            if live {
                let s = &mut self.slots[top.slot()];
                let payload = s.payload.take().expect("live slot holds a payload");
                s.generation = s.generation.wrapping_add(1);
                self.free.push(top.slot() as u32);
                self.maybe_compact();
                return Some((top.time(), payload));
            }
            self.stale -= 1;
        }
    }

    #[inline]
    fn take_seq(&mut self) -> u32 {
        if self.next_seq >= self.seq_limit {
            self.renumber();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Reassigns seq 0..n to the live entries in their current order, dropping
    /// stale ones. Runs once per 2^32 schedulings; a sorted array is a valid heap.
    #[cold]
    fn renumber(&mut self) {
        let slots = &self.slots;
        let mut live: Vec<Entry> = self
            .set
            .drain_all()
            .into_iter()
            .map(Entry)
            .filter(|&e| is_live(slots, e))
            .collect();
        live.sort_unstable();
        for (i, e) in live.iter_mut().enumerate() {
            let seq = u32::try_from(i).expect("live events fit in u32");
            *e = Entry::new(e.time(), seq, e.slot() as u32);
            self.slots[e.slot()].seq = seq;
        }
        self.next_seq = u32::try_from(live.len()).expect("live events fit in u32");
        assert!(
            self.next_seq < self.seq_limit,
            "too many pending events to renumber"
        );
        for e in live {
            self.set.push(e.0);
        }
        self.stale = 0;
    }

    fn maybe_compact(&mut self) {
        if self.stale > COMPACT_MIN && 2 * self.stale > self.set.len() - self.stale {
            self.compact();
        }
    }

    /// Drops every stale entry and restores the heap property bottom-up, O(n).
    #[cold]
    fn compact(&mut self) {
        let slots = &self.slots;
        self.set.retain(|k| is_live(slots, Entry(k)));
        self.stale = 0;
    }

    #[inline]
    fn heap_push(&mut self, e: Entry) {
        self.set.push(e.0);
    }

    /// Test hook: renumber once `seq` reaches `limit` instead of `u32::MAX`.
    #[cfg(test)]
    pub(crate) fn set_seq_limit(&mut self, limit: u32) {
        self.seq_limit = limit;
    }
}

/// True if `e` is the entry its slot currently points at (not cancelled or re-armed).
#[inline]
fn is_live<P>(slots: &[Slot<P>], e: Entry) -> bool {
    let s = &slots[e.slot()];
    s.seq == e.seq() && s.payload.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn drain<P>(q: &mut EventQueue<P>) -> Vec<(u64, P)> {
        std::iter::from_fn(|| q.pop().map(|(t, p)| (t.as_nanos(), p))).collect()
    }

    #[test]
    fn pops_in_time_then_scheduling_order() {
        let mut q = EventQueue::new();
        let _ = q.push(SimTime::from_nanos(5), "c");
        let _ = q.push(SimTime::from_nanos(1), "a");
        let _ = q.push(SimTime::from_nanos(5), "d");
        let _ = q.push(SimTime::from_nanos(1), "b");
        assert_eq!(drain(&mut q), vec![(1, "a"), (1, "b"), (5, "c"), (5, "d")]);
    }

    #[test]
    fn cancelled_event_never_pops_and_dead_keys_are_inert() {
        let mut q = EventQueue::new();
        let k = q.push(SimTime::from_nanos(3), 'x');
        let _ = q.push(SimTime::from_nanos(4), 'y');
        assert_eq!(q.cancel(k), Some('x'));
        assert_eq!(q.cancel(k), None);
        assert!(!q.rearm(k, SimTime::from_nanos(9)));
        // The freed slot is reused; the old key must not reach the new occupant.
        let k2 = q.push(SimTime::from_nanos(2), 'z');
        assert_eq!(k2.index(), k.index());
        assert_eq!(q.cancel(k), None);
        assert_eq!(drain(&mut q), vec![(2, 'z'), (4, 'y')]);
    }

    #[test]
    fn rearm_moves_event_and_orders_it_as_newly_scheduled() {
        let mut q = EventQueue::new();
        let k = q.push(SimTime::from_nanos(1), 'a');
        let _ = q.push(SimTime::from_nanos(7), 'b');
        assert!(q.rearm(k, SimTime::from_nanos(7)));
        assert_eq!(q.len(), 2);
        assert_eq!(drain(&mut q), vec![(7, 'b'), (7, 'a')]);
        assert!(!q.is_pending(k));
    }

    #[test]
    fn seq_renumbering_preserves_order_across_the_wrap() {
        let mut q = EventQueue::new();
        q.set_seq_limit(8);
        // Equal times everywhere, so only seq decides the order.
        let t = SimTime::from_nanos(10);
        let a = q.push(t, 'a');
        let b = q.push(t, 'b');
        let _ = q.push(t, 'c');
        assert_eq!(q.cancel(b), Some('b'));
        assert!(q.rearm(a, t)); // a now after c
        let _ = q.push(t, 'd');
        let _ = q.push(t, 'e');
        let _ = q.push(t, 'f'); // seq reaches the limit here: renumber
        let _ = q.push(t, 'g');
        assert_eq!(q.pop(), Some((t, 'c')));
        let _ = q.push(t, 'h');
        let _ = q.push(t, 'i'); // and again
        let order: String = drain(&mut q).into_iter().map(|(_, p)| p).collect();
        assert_eq!(order, "adefghi");
    }

    #[test]
    fn matches_a_sorted_reference_under_random_operations() {
        check_against_reference(u32::MAX, usize::MAX);
    }

    #[test]
    fn matches_the_reference_across_many_seq_renumberings() {
        // ~12,000 seq assignments with a limit of 1024: about a dozen renumberings.
        check_against_reference(1024, 400);
    }

    /// Random push/cancel/rearm/pop against a brute-force reference; `max_live`
    /// forces pops so that renumbering (which needs live < limit) stays possible.
    fn check_against_reference(seq_limit: u32, max_live: usize) {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut q = EventQueue::new();
        q.set_seq_limit(seq_limit);
        // Reference: (time, schedule order, id) of live events.
        let mut reference: Vec<(u64, u64, u32)> = Vec::new();
        let mut keys: Vec<(TimerKey, u32)> = Vec::new();
        let mut order = 0u64;
        let mut now = 0u64;
        let mut popped = Vec::new();
        let mut expected = Vec::new();
        for id in 0..20_000u32 {
            let op = if q.len() >= max_live {
                9
            } else {
                rng.random_range(0..10)
            };
            match op {
                0..=4 => {
                    let t = now + rng.random_range(0..50u64);
                    keys.push((q.push(SimTime::from_nanos(t), id), id));
                    reference.push((t, order, id));
                    order += 1;
                }
                5 | 6 if !keys.is_empty() => {
                    let (k, kid) = keys.swap_remove(rng.random_range(0..keys.len()));
                    if q.cancel(k).is_some() {
                        reference.retain(|r| r.2 != kid);
                    }
                }
                7 if !keys.is_empty() => {
                    let (k, kid) = keys[rng.random_range(0..keys.len())];
                    let t = now + rng.random_range(0..50u64);
                    if q.rearm(k, SimTime::from_nanos(t)) {
                        let r = reference.iter_mut().find(|r| r.2 == kid).unwrap();
                        *r = (t, order, kid);
                        order += 1;
                    }
                }
                _ => {
                    if let Some((t, p)) = q.pop() {
                        now = t.as_nanos();
                        popped.push((now, p));
                        let (i, _) = reference
                            .iter()
                            .enumerate()
                            .min_by_key(|(_, r)| (r.0, r.1))
                            .unwrap();
                        let r = reference.remove(i);
                        expected.push((r.0, r.2));
                    }
                }
            }
            assert_eq!(q.len(), reference.len());
            assert!(q.heap_len() <= 2 * q.len() + COMPACT_MIN + 1);
        }
        assert_eq!(popped, expected);
    }
}
