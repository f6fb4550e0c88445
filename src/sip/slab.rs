//! A slab with generation-checked, typed handles.
//!
//! Roles keep transactions and dialogs in slabs and put the handle on the
//! wire (Via branch, tag, Record-Route cookie), so that a response or an
//! in-dialog request finds its state in O(1). Each kind of entry has its own
//! handle type ([`Key`], declared with `slab_key!`), so a dialog id cannot
//! be passed where a transaction id is wanted.
//!
//! This module is the one owner of how a handle is packed:
//! `generation << 20 | index`. A stale handle (its slot was freed and
//! reused) fails the generation check unless the slot went through exactly
//! a multiple of 4096 reuses. Callers therefore also compare identifying
//! fields (Call-ID, CSeq), which makes aliasing harmless. Per-entry tables
//! elsewhere (the world's timer tables) index by [`Key::slot`].

use std::marker::PhantomData;

/// Bits of the handle that hold the slot index: 2^20 (about 1M) live entries per slab.
const INDEX_BITS: u32 = 20;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
const GEN_MASK: u32 = (1 << (32 - INDEX_BITS)) - 1;

/// Most live entries one slab holds (the handle's index bits).
pub const CAPACITY: usize = 1 << INDEX_BITS;

/// The panic payload of an insert into a full slab. A model that asks for
/// more simultaneous state than a handle can address is an input problem,
/// not a bug: [`crate::sim::World::run_checked`] catches this payload and
/// returns it as an error naming what overflowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityExceeded {
    /// What the slab holds, in words ("dialogs").
    pub what: &'static str,
}

impl std::fmt::Display for CapacityExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "more than {CAPACITY} simultaneous {}, the most sstsim can hold",
            self.what
        )
    }
}

/// A typed slab handle.
pub trait Key: Copy + Eq {
    /// What the handles address, in words, for the capacity error.
    const WHAT: &'static str;
    /// The handle with this packed value (as read back from the wire).
    fn from_raw(raw: u32) -> Self;
    /// The packed value (as put on the wire).
    fn raw(self) -> u32;
    /// The dense slot index, for tables with one row per slab entry.
    #[inline]
    fn slot(self) -> usize {
        (self.raw() & INDEX_MASK) as usize
    }
}

/// Declares a slab handle type: a `u32` newtype implementing [`Key`].
macro_rules! slab_key {
    ($(#[$meta:meta])* $vis:vis struct $name:ident; $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis struct $name(u32);

        impl $crate::sip::slab::Key for $name {
            const WHAT: &'static str = $what;
            #[inline]
            fn from_raw(raw: u32) -> Self {
                $name(raw)
            }
            #[inline]
            fn raw(self) -> u32 {
                self.0
            }
        }
    };
}
pub(crate) use slab_key;

#[derive(Debug, Clone)]
struct Entry<T> {
    generation: u32,
    value: Option<T>,
}

/// Entries addressed by handles of type `K` that encode slot and generation.
#[derive(Debug, Clone)]
pub struct Slab<K, T> {
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
    len: usize,
    key: PhantomData<fn() -> K>,
}

impl<K, T> Default for Slab<K, T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
            key: PhantomData,
        }
    }
}

fn pack(generation: u32, index: u32) -> u32 {
    (generation << INDEX_BITS) | index
}

impl<K: Key, T> Slab<K, T> {
    /// The handle the next [`Slab::insert`] will return (a transaction must
    /// know its branch before it can build the request that carries it).
    pub fn next_key(&self) -> K {
        K::from_raw(match self.free.last() {
            Some(&i) => pack(self.entries[i as usize].generation, i),
            None => self.entries.len() as u32,
        })
    }

    /// Stores `value`; returns its handle.
    pub fn insert(&mut self, value: T) -> K {
        self.len += 1;
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                let i = self.entries.len() as u32;
                if i > INDEX_MASK {
                    self.len -= 1;
                    std::panic::panic_any(CapacityExceeded { what: K::WHAT });
                }
                self.entries.push(Entry {
                    generation: 0,
                    value: None,
                });
                i
            }
        };
        let e = &mut self.entries[index as usize];
        e.value = Some(value);
        K::from_raw(pack(e.generation, index))
    }

    #[inline]
    fn live(&self, key: K) -> Option<&Entry<T>> {
        let raw = key.raw();
        let e = self.entries.get((raw & INDEX_MASK) as usize)?;
        (e.generation == raw >> INDEX_BITS).then_some(e)
    }

    /// The entry for `key`, if it is live.
    #[inline]
    pub fn get(&self, key: K) -> Option<&T> {
        self.live(key)?.value.as_ref()
    }

    /// The entry for `key`, mutably, if it is live.
    #[inline]
    pub fn get_mut(&mut self, key: K) -> Option<&mut T> {
        let raw = key.raw();
        let e = self.entries.get_mut((raw & INDEX_MASK) as usize)?;
        if e.generation == raw >> INDEX_BITS {
            e.value.as_mut()
        } else {
            None
        }
    }

    /// Removes and returns the entry; its handle (and all copies) go stale.
    pub fn remove(&mut self, key: K) -> Option<T> {
        let raw = key.raw();
        let index = raw & INDEX_MASK;
        let e = self.entries.get_mut(index as usize)?;
        if e.generation != raw >> INDEX_BITS {
            return None;
        }
        let v = e.value.take()?;
        e.generation = (e.generation + 1) & GEN_MASK;
        self.free.push(index);
        self.len -= 1;
        Some(v)
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if no entry is live.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Live entries with their handles, in slot order (deterministic).
    pub fn iter(&self) -> impl Iterator<Item = (K, &T)> {
        self.entries.iter().enumerate().filter_map(|(i, e)| {
            e.value
                .as_ref()
                .map(|v| (K::from_raw(pack(e.generation, i as u32)), v))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    slab_key! {
        /// A test handle.
        struct Id; "test entries"
    }

    #[test]
    fn stale_handles_miss_after_reuse() {
        let mut s: Slab<Id, &str> = Slab::default();
        let a = s.insert("a");
        assert_eq!(s.remove(a), Some("a"));
        let b = s.insert("b");
        assert_eq!(a.slot(), b.slot());
        assert_ne!(a, b);
        assert_eq!(s.get(a), None);
        assert_eq!(s.remove(a), None);
        assert_eq!(s.get(b), Some(&"b"));
        assert_eq!(s.len(), 1);
        let next = s.next_key();
        assert_eq!(s.insert("c"), next);
    }

    #[test]
    fn generation_wraps_within_its_bits() {
        let mut s: Slab<Id, u32> = Slab::default();
        let mut h = s.insert(0);
        for i in 1..5000 {
            s.remove(h);
            h = s.insert(i);
            assert_eq!(s.get(h), Some(&i));
        }
        // 4999 reuses of one slot: the generation is 4999 mod 2^12.
        assert_eq!(h.raw() >> INDEX_BITS, 4999 & GEN_MASK);
    }
}
