//! The search's memo: (set of linearized operations, model state) pairs already explored,
//! with a memory budget shared by every partition being checked at once.

use hashbrown::HashTable;
use protocol_core::collections::FixedState;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes the whole check may spend on memo entries, and what it spends now.
pub(crate) struct MemoryBudget {
    pub max_bytes: Option<usize>,
    pub used_bytes: AtomicUsize,
}

/// The memo of one partition's search.
pub(crate) struct Cache<'b, S> {
    table: HashTable<Slot<S>>,
    hasher: FixedState,
    budget: &'b MemoryBudget,
    /// Bytes this cache has charged to the budget; given back on drop.
    charged_bytes: usize,
}

struct Slot<S> {
    hash: u64,
    linearized: Box<[u64]>,
    state: S,
}

/// The memo would grow past the memory budget.
pub(crate) struct OverBudget {
    pub entries: usize,
}

impl<'b, S: Eq + Hash + Clone> Cache<'b, S> {
    pub fn new(budget: &'b MemoryBudget) -> Self {
        Cache {
            table: HashTable::new(),
            hasher: FixedState::default(),
            budget,
            charged_bytes: 0,
        }
    }

    /// Records (`linearized`, `state`); `Ok(false)` if it was already there.
    /// `heap_bytes` is what `state` holds on the heap, for the budget.
    pub fn insert(
        &mut self,
        linearized: &[u64],
        state: &S,
        heap_bytes: usize,
    ) -> Result<bool, OverBudget> {
        let hash = self.hasher.hash_one((linearized, state));
        let found = self.table.find(hash, |slot| {
            slot.hash == hash && *slot.linearized == *linearized && slot.state == *state
        });
        if found.is_some() {
            return Ok(false);
        }
        // The bitset's and the state's heap, each with allocator overhead; and when the table
        // must grow, its whole new allocation (the old one lives on until the copy is done).
        let mut bytes = linearized.len() * 8 + 16 + heap_bytes + 16;
        if self.table.len() == self.table.capacity() {
            bytes += table_bytes::<S>((self.table.capacity() * 2).max(4));
        }
        let before = self.budget.used_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.charged_bytes += bytes;
        if let Some(max) = self.budget.max_bytes {
            if before + bytes > max {
                return Err(OverBudget {
                    entries: self.table.len(),
                });
            }
        }
        let slot = Slot {
            hash,
            linearized: linearized.into(),
            state: state.clone(),
        };
        self.table.insert_unique(hash, slot, |slot| slot.hash);
        Ok(true)
    }
}

/// Bytes of a table allocation that holds `capacity` slots: buckets are a power of two with at
/// most 7/8 of them full, each a slot and a control byte.
fn table_bytes<S>(capacity: usize) -> usize {
    let buckets = (capacity * 8 / 7).next_power_of_two();
    buckets * (std::mem::size_of::<Slot<S>>() + 1)
}

impl<S> Drop for Cache<'_, S> {
    fn drop(&mut self) {
        self.budget
            .used_bytes
            .fetch_sub(self.charged_bytes, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(max_bytes: Option<usize>) -> MemoryBudget {
        MemoryBudget {
            max_bytes,
            used_bytes: AtomicUsize::new(0),
        }
    }

    #[test]
    fn remembers_pairs_and_gives_back_its_bytes() {
        let budget = budget(None);
        {
            let mut cache = Cache::new(&budget);
            assert!(matches!(cache.insert(&[0b1], &7u32, 0), Ok(true)));
            assert!(matches!(cache.insert(&[0b1], &7u32, 0), Ok(false)));
            assert!(matches!(cache.insert(&[0b1], &8u32, 0), Ok(true)));
            assert!(matches!(cache.insert(&[0b11], &7u32, 0), Ok(true)));
            assert!(budget.used_bytes.load(Ordering::Relaxed) > 0);
        }
        assert_eq!(budget.used_bytes.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn refuses_past_the_budget() {
        let budget = budget(Some(2_000));
        let mut cache = Cache::new(&budget);
        let mut refused = None;
        for state in 0u32..100 {
            if let Err(over) = cache.insert(&[1], &state, 0) {
                refused = Some((state, over.entries));
                break;
            }
        }
        let (state, entries) = refused.expect("2 000 bytes hold fewer than 100 entries");
        assert!(state > 0, "the first entry fits");
        assert_eq!(entries as u32, state);
    }
}
