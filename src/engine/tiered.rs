//! A two-tier event set: a 4-ary min-heap for the current window of time,
//! and a calendar of coarse buckets for everything later.
//!
//! Simulated SIP is dominated by timers far in the future (session refresh
//! and expiry, proxy expiry, fallback lifetimes) that are mostly cancelled
//! or re-armed before they are due. In one flat heap they make every pop
//! pay for a deep, cache-missing tree, and each cancelled one costs a full
//! pop later. Here:
//!
//! - keys are `u128` (time in the high 64 bits), compared as integers;
//! - a key whose bucket (`time >> BUCKET_SHIFT`, about 17 s) lies before
//!   `cur` goes into the heap; later keys go into a ring of `RING` buckets, or
//!   into an overflow list beyond the ring;
//! - invariant: every calendar key is ≥ `cur << BUCKET_SHIFT` (the boundary),
//!   so the heap minimum is the global minimum whenever it is below the
//!   boundary; otherwise the next bucket is moved into the heap first;
//! - moving a bucket drops the keys the caller says are stale, so cancelled
//!   far timers never touch the heap;
//! - the overflow list is redistributed whenever `cur` reaches a multiple of
//!   `RING`, before any of its keys can be due.

/// log2 of a bucket's width in ns: 2^34 ns ≈ 17.2 s.
const BUCKET_SHIFT: u32 = 34;
/// Buckets in the ring: 256 × 17.2 s ≈ 73 min.
const RING: u64 = 256;
/// Children per heap node.
const ARITY: usize = 4;

/// Pushes with growth by a quarter instead of doubling: buckets hold most
/// pending timers, and doubling would leave up to half of that memory idle.
#[inline]
fn push_lean(v: &mut Vec<u128>, key: u128) {
    if v.len() == v.capacity() {
        v.reserve_exact(v.len() / 4 + 16);
    }
    v.push(key);
}

#[inline]
fn bucket_of(key: u128) -> u64 {
    ((key >> 64) as u64) >> BUCKET_SHIFT
}

/// The event set (keys only; liveness is judged by the caller).
#[derive(Debug)]
pub(super) struct Tiered {
    heap: Vec<u128>,
    /// Next bucket to move into the heap; keys in earlier buckets are in the heap.
    cur: u64,
    ring: Vec<Vec<u128>>,
    ring_len: usize,
    overflow: Vec<u128>,
}

impl Tiered {
    /// An empty set; `n` pre-sizes the heap.
    pub(super) fn with_capacity(n: usize) -> Self {
        Tiered {
            heap: Vec::with_capacity(n),
            cur: 0,
            ring: (0..RING).map(|_| Vec::new()).collect(),
            ring_len: 0,
            overflow: Vec::new(),
        }
    }

    /// Keys held, stale ones included.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.heap.len() + self.ring_len + self.overflow.len()
    }

    /// Adds a key.
    #[inline]
    pub(super) fn push(&mut self, key: u128) {
        let b = bucket_of(key);
        if b < self.cur {
            self.heap_push(key);
        } else if b < self.cur + RING {
            push_lean(&mut self.ring[(b % RING) as usize], key);
            self.ring_len += 1;
        } else {
            self.overflow.push(key);
        }
    }

    /// The smallest key, first moving calendar buckets into the heap as
    /// needed. `live` judges keys on the way; the number of stale keys dropped
    /// is added to `dropped`.
    #[inline]
    pub(super) fn peek(
        &mut self,
        live: &mut impl FnMut(u128) -> bool,
        dropped: &mut usize,
    ) -> Option<u128> {
        loop {
            let boundary = (self.cur as u128) << (64 + BUCKET_SHIFT);
            match self.heap.first() {
                Some(&k) if k < boundary => return Some(k),
                _ => {}
            }
            if self.ring_len == 0 && self.overflow.is_empty() {
                return self.heap.first().copied();
            }
            self.advance(live, dropped);
        }
    }

    /// Removes the heap minimum (call after [`Tiered::peek`] returned it).
    #[inline]
    pub(super) fn pop(&mut self) {
        let last = self.heap.pop().expect("peek found a key");
        let len = self.heap.len();
        if len == 0 {
            return;
        }
        let heap = &mut self.heap[..];
        let mut pos = 0;
        loop {
            let first = pos * ARITY + 1;
            let best = if first + ARITY <= len {
                let c = &heap[first..first + ARITY];
                let a = usize::from(c[1] < c[0]);
                let b = 2 + usize::from(c[3] < c[2]);
                first + if c[b] < c[a] { b } else { a }
            } else if first < len {
                (first + 1..len).fold(first, |b, c| if heap[c] < heap[b] { c } else { b })
            } else {
                break;
            };
            heap[pos] = heap[best];
            pos = best;
        }
        self.sift_up(pos, last);
    }

    /// Moves bucket `cur` into the heap (dropping stale keys) and steps `cur`;
    /// jumps over an empty ring to the overflow's earliest bucket.
    #[cold]
    fn advance(&mut self, live: &mut impl FnMut(u128) -> bool, dropped: &mut usize) {
        if self.ring_len == 0 {
            // Nothing in the ring: jump to the first bucket that has keys.
            let next = self
                .overflow
                .iter()
                .map(|&k| bucket_of(k))
                .min()
                .expect("overflow is not empty");
            self.cur = self.cur.max(next);
            self.redistribute();
        }
        let slot = (self.cur % RING) as usize;
        let keys = std::mem::take(&mut self.ring[slot]);
        self.ring_len -= keys.len();
        for &k in &keys {
            if live(k) {
                self.heap_push(k);
            } else {
                *dropped += 1;
            }
        }
        // The bucket's buffer is released: a ring that kept every bucket's
        // largest size would hold memory for keys long gone.
        drop(keys);
        self.cur += 1;
        if self.cur.is_multiple_of(RING) {
            self.redistribute();
        }
    }

    /// Moves overflow keys that now fall inside the ring window into the ring.
    fn redistribute(&mut self) {
        let (cur, ring) = (self.cur, &mut self.ring);
        let mut moved = 0;
        self.overflow.retain(|&k| {
            let b = bucket_of(k);
            if b < cur + RING {
                debug_assert!(b >= cur, "overflow keys are never due before the window");
                push_lean(&mut ring[(b % RING) as usize], k);
                moved += 1;
                false
            } else {
                true
            }
        });
        self.ring_len += moved;
    }

    /// Keeps only the keys `keep` accepts, everywhere; restores the heap.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(u128) -> bool) {
        self.heap.retain(|&k| keep(k));
        let mut ring_len = 0;
        for b in &mut self.ring {
            b.retain(|&k| keep(k));
            ring_len += b.len();
        }
        self.ring_len = ring_len;
        self.overflow.retain(|&k| keep(k));
        self.heapify();
    }

    /// Takes every key out (any order).
    pub(super) fn drain_all(&mut self) -> Vec<u128> {
        let mut all = std::mem::take(&mut self.heap);
        for b in &mut self.ring {
            all.append(b);
        }
        all.append(&mut self.overflow);
        self.ring_len = 0;
        all
    }

    #[inline]
    fn heap_push(&mut self, key: u128) {
        self.heap.push(key);
        self.sift_up(self.heap.len() - 1, key);
    }

    #[inline]
    fn sift_up(&mut self, mut pos: usize, key: u128) {
        let heap = &mut self.heap[..];
        while pos > 0 {
            let parent = (pos - 1) / ARITY;
            let p = heap[parent];
            if key >= p {
                break;
            }
            heap[pos] = p;
            pos = parent;
        }
        heap[pos] = key;
    }

    fn heapify(&mut self) {
        let len = self.heap.len();
        if len < 2 {
            return;
        }
        for start in (0..=(len - 2) / ARITY).rev() {
            let mut pos = start;
            let key = self.heap[pos];
            loop {
                let first = pos * ARITY + 1;
                if first >= len {
                    break;
                }
                let end = (first + ARITY).min(len);
                let best =
                    (first + 1..end).fold(
                        first,
                        |b, c| if self.heap[c] < self.heap[b] { c } else { b },
                    );
                if self.heap[best] >= key {
                    break;
                }
                self.heap[pos] = self.heap[best];
                pos = best;
            }
            self.heap[pos] = key;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(t_ns: u64, seq: u64) -> u128 {
        ((t_ns as u128) << 64) | seq as u128
    }

    #[test]
    fn pops_in_order_across_buckets_ring_turns_and_overflow() {
        let mut t = Tiered::with_capacity(0);
        let mut x = 99u64;
        let mut all = Vec::new();
        let w = 1u64 << BUCKET_SHIFT;
        for seq in 0..5000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Spread over about three ring turns, with clumps of equal times.
            let time = (x >> 11) % (3 * RING * w) / 1000 * 1000;
            let k = key(time, seq);
            t.push(k);
            all.push(k);
        }
        all.sort_unstable();
        let (mut live, mut dropped) = (|_| true, 0);
        let mut out = Vec::new();
        while let Some(k) = t.peek(&mut live, &mut dropped) {
            t.pop();
            out.push(k);
            // Interleave pushes after the current minimum, as a simulation does.
            if out.len() % 7 == 0 {
                let later = k + ((w as u128) << 64) * 2;
                t.push(later);
                all.push(later);
                all.sort_unstable();
            }
        }
        assert_eq!(out, all);
        assert_eq!(dropped, 0);
    }

    #[test]
    fn stale_keys_are_dropped_when_their_bucket_moves() {
        let mut t = Tiered::with_capacity(0);
        let w = 1u64 << BUCKET_SHIFT;
        for i in 0..100u64 {
            t.push(key(10 * w + i, i));
        }
        let mut live = |k: u128| (k as u64).is_multiple_of(2);
        let mut dropped = 0;
        let mut n = 0;
        while t.peek(&mut live, &mut dropped).is_some() {
            t.pop();
            n += 1;
        }
        assert_eq!((n, dropped), (50, 50));
        assert_eq!(t.len(), 0);
    }
}
