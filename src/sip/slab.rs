//! A slab with generation-checked `u32` handles.
//!
//! Roles keep transactions and dialogs in slabs and put the handle on the
//! wire (Via branch, tag, Record-Route cookie), so that a response or an
//! in-dialog request finds its state in O(1). A handle is
//! `generation << 20 | index`. A stale handle (its slot was freed and
//! reused) fails the generation check unless the slot went through exactly
//! a multiple of 4096 reuses. Callers therefore also compare identifying
//! fields (Call-ID, CSeq), which makes aliasing harmless.

/// Bits of the handle that hold the slot index: 2^20 (about 1M) live entries per slab.
const INDEX_BITS: u32 = 20;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
const GEN_MASK: u32 = (1 << (32 - INDEX_BITS)) - 1;

#[derive(Debug, Clone)]
struct Entry<T> {
    generation: u32,
    value: Option<T>,
}

/// Entries addressed by handles that encode slot and generation.
#[derive(Debug, Clone)]
pub struct Slab<T> {
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

/// The slot index of a handle: the dense index used for per-entry tables.
#[inline]
pub fn handle_index(handle: u32) -> u32 {
    handle & INDEX_MASK
}

impl<T> Slab<T> {
    /// The handle the next [`Slab::insert`] will return (a transaction must
    /// know its branch before it can build the request that carries it).
    pub fn next_handle(&self) -> u32 {
        match self.free.last() {
            Some(&i) => (self.entries[i as usize].generation << INDEX_BITS) | i,
            None => self.entries.len() as u32,
        }
    }

    /// Stores `value`; returns its handle.
    pub fn insert(&mut self, value: T) -> u32 {
        self.len += 1;
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                let i = self.entries.len() as u32;
                assert!(
                    i <= INDEX_MASK,
                    "more than 2^20 simultaneous transactions or dialogs at one node"
                );
                self.entries.push(Entry {
                    generation: 0,
                    value: None,
                });
                i
            }
        };
        let e = &mut self.entries[index as usize];
        e.value = Some(value);
        (e.generation << INDEX_BITS) | index
    }

    #[inline]
    fn entry(&self, handle: u32) -> Option<&Entry<T>> {
        let e = self.entries.get((handle & INDEX_MASK) as usize)?;
        (e.generation == handle >> INDEX_BITS).then_some(e)
    }

    /// The entry for `handle`, if it is live.
    #[inline]
    pub fn get(&self, handle: u32) -> Option<&T> {
        self.entry(handle)?.value.as_ref()
    }

    /// The entry for `handle`, mutably, if it is live.
    #[inline]
    pub fn get_mut(&mut self, handle: u32) -> Option<&mut T> {
        let e = self.entries.get_mut((handle & INDEX_MASK) as usize)?;
        if e.generation == handle >> INDEX_BITS {
            e.value.as_mut()
        } else {
            None
        }
    }

    /// Removes and returns the entry; its handle (and all copies) go stale.
    pub fn remove(&mut self, handle: u32) -> Option<T> {
        let index = handle & INDEX_MASK;
        let e = self.entries.get_mut(index as usize)?;
        if e.generation != handle >> INDEX_BITS {
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
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.entries.iter().enumerate().filter_map(|(i, e)| {
            e.value
                .as_ref()
                .map(|v| ((e.generation << INDEX_BITS) | i as u32, v))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_handles_miss_after_reuse() {
        let mut s = Slab::default();
        let a = s.insert("a");
        assert_eq!(s.remove(a), Some("a"));
        let b = s.insert("b");
        assert_eq!(handle_index(a), handle_index(b));
        assert_ne!(a, b);
        assert_eq!(s.get(a), None);
        assert_eq!(s.remove(a), None);
        assert_eq!(s.get(b), Some(&"b"));
        assert_eq!(s.len(), 1);
        let next = s.next_handle();
        assert_eq!(s.insert("c"), next);
    }

    #[test]
    fn generation_wraps_within_its_bits() {
        let mut s = Slab::default();
        let mut h = s.insert(0);
        for i in 1..5000 {
            s.remove(h);
            h = s.insert(i);
            assert_eq!(s.get(h), Some(&i));
        }
        assert_eq!(h >> INDEX_BITS, 4999 & GEN_MASK);
    }
}
