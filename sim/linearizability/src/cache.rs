//! The search's memo: (set of linearized operations, model state) pairs already explored,
//! with a memory budget of its own per partition.
//!
//! Packing. The search numbers the completed operations first, in call order, then the open
//! ones (see `search`). A linearized set respects real time, so its completed part is all ones
//! up to a frontier (a process's operations are ordered, and every operation that returned
//! before a linearized one was called is linearized too), then a window as wide as the
//! operations in flight at the frontier, then zeros. An entry keeps a header word (the frontier
//! word and the window's length), the window's words and the open operations' words, back to
//! back in one arena; a table slot is the entry's hash, arena offset and state. On Porcupine's
//! c50 histories that is about a tenth of a whole bitset in its own allocation.

use hashbrown::HashTable;
use protocol_core::collections::FixedState;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes a partition's memo may spend, and what it spends now.
pub(crate) struct MemoryBudget {
    pub max_bytes: Option<usize>,
    pub used_bytes: AtomicUsize,
}

impl MemoryBudget {
    pub fn new(max_bytes: Option<usize>) -> MemoryBudget {
        MemoryBudget {
            max_bytes,
            used_bytes: AtomicUsize::new(0),
        }
    }
}

/// The memo of one partition's search.
pub(crate) struct Cache<'b, S> {
    table: HashTable<Slot<S>>,
    arena: Vec<u64>,
    /// Words of the bitset that hold completed operations, then open ones.
    completed_words: usize,
    open_words: usize,
    hasher: FixedState,
    budget: &'b MemoryBudget,
    /// Bytes this cache has charged to the budget; given back on drop.
    charged_bytes: usize,
}

struct Slot<S> {
    /// Kept so that growing the table need not hash the arena again.
    hash: u64,
    offset: u32,
    state: S,
}

/// The memo would grow past the memory budget.
pub(crate) struct OverBudget;

/// A linearized set as stored: header, window, open words.
struct Packed<'a> {
    header: u64,
    window: &'a [u64],
    open: &'a [u64],
}

impl<'a> Packed<'a> {
    fn of(linearized: &'a [u64], completed_words: usize) -> Packed<'a> {
        let (completed, open) = linearized.split_at(completed_words);
        let frontier = completed.iter().take_while(|&&w| w == u64::MAX).count();
        let end = completed
            .iter()
            .rposition(|&w| w != 0)
            .map_or(frontier, |last| (last + 1).max(frontier));
        let window = &completed[frontier..end];
        Packed {
            header: (frontier as u64) << 32 | window.len() as u64,
            window,
            open,
        }
    }

    fn words(&self) -> usize {
        1 + self.window.len() + self.open.len()
    }

    fn matches(&self, stored: &[u64]) -> bool {
        let window_end = 1 + self.window.len();
        stored[0] == self.header
            && stored[1..window_end] == *self.window
            && stored[window_end..window_end + self.open.len()] == *self.open
    }
}

impl<'b, S: Eq + Hash + Clone> Cache<'b, S> {
    /// A memo for bitsets of `total_words` words whose first `completed_words` hold
    /// completed operations.
    pub fn new(budget: &'b MemoryBudget, completed_words: usize, total_words: usize) -> Self {
        assert!(
            completed_words <= total_words,
            "the completed words are a part"
        );
        Cache {
            table: HashTable::new(),
            arena: Vec::new(),
            completed_words,
            open_words: total_words - completed_words,
            hasher: FixedState::default(),
            budget,
            charged_bytes: 0,
        }
    }

    /// Entries recorded.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Records (`linearized`, `state`); `Ok(false)` if it was already there.
    /// `heap_bytes` is what `state` holds on the heap, for the budget.
    pub fn insert(
        &mut self,
        linearized: &[u64],
        state: &S,
        heap_bytes: usize,
    ) -> Result<bool, OverBudget> {
        assert_eq!(
            linearized.len(),
            self.completed_words + self.open_words,
            "one bitset length per memo"
        );
        let packed = Packed::of(linearized, self.completed_words);
        let hash = self.hash(packed.header, packed.window, packed.open, state);
        let arena = &self.arena;
        let found = self.table.find(hash, |slot| {
            slot.hash == hash
                && slot.state == *state
                && packed.matches(&arena[slot.offset as usize..])
        });
        if found.is_some() {
            return Ok(false);
        }
        self.charge(packed.words(), heap_bytes)?;
        let offset = u32::try_from(self.arena.len()).expect("a memo arena under 32 GiB");
        self.arena.push(packed.header);
        self.arena.extend_from_slice(packed.window);
        self.arena.extend_from_slice(packed.open);
        let slot = Slot {
            hash,
            offset,
            state: state.clone(),
        };
        self.table.insert_unique(hash, slot, |slot| slot.hash);
        Ok(true)
    }

    fn hash(&self, header: u64, window: &[u64], open: &[u64], state: &S) -> u64 {
        self.hasher.hash_one((header, window, open, state))
    }

    /// Charges an entry of `words` arena words and its state's heap, and what the table or the
    /// arena grows by to hold it; refuses if that, plus the old allocation that lives on while
    /// it is copied, would pass the budget. So the charge follows the memo's real footprint.
    fn charge(&mut self, words: usize, heap_bytes: usize) -> Result<(), OverBudget> {
        let (mut grown, mut copied) = (heap_bytes, 0);
        if self.table.len() == self.table.capacity() {
            let old = table_bytes::<S>(self.table.capacity());
            grown += table_bytes::<S>((self.table.capacity() * 2).max(4)) - old;
            copied = copied.max(old);
        }
        if self.arena.len() + words > self.arena.capacity() {
            let capacity = (self.arena.capacity() * 2).max(self.arena.len() + words);
            grown += (capacity - self.arena.capacity()) * 8;
            self.arena.reserve_exact(capacity - self.arena.len());
            copied = copied.max(self.arena.len() * 8);
        }
        let before = self.budget.used_bytes.fetch_add(grown, Ordering::Relaxed);
        self.charged_bytes += grown;
        match self.budget.max_bytes {
            Some(max) if before + grown + copied > max => Err(OverBudget),
            Some(_) | None => Ok(()),
        }
    }
}

/// Bytes of a table allocation that holds `capacity` slots: buckets are a power of two with at
/// most 7/8 of them full, each a slot and a control byte.
fn table_bytes<S>(capacity: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
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

    #[test]
    fn remembers_pairs_and_gives_back_its_bytes() {
        let budget = MemoryBudget::new(None);
        {
            let mut cache = Cache::new(&budget, 1, 2);
            assert!(matches!(cache.insert(&[0b1, 0], &7u32, 0), Ok(true)));
            assert!(matches!(cache.insert(&[0b1, 0], &7u32, 0), Ok(false)));
            assert!(matches!(cache.insert(&[0b1, 0], &8u32, 0), Ok(true)));
            assert!(matches!(cache.insert(&[0b11, 0], &7u32, 0), Ok(true)));
            assert!(matches!(cache.insert(&[0b1, 1], &7u32, 0), Ok(true)));
            assert!(matches!(cache.insert(&[0b1, 1], &7u32, 0), Ok(false)));
            assert!(budget.used_bytes.load(Ordering::Relaxed) > 0);
        }
        assert_eq!(budget.used_bytes.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn packs_sets_apart_that_differ_only_past_the_frontier() {
        let budget = MemoryBudget::new(None);
        let mut cache = Cache::new(&budget, 3, 4);
        let full = u64::MAX;
        // Many sets with the same frontier and different windows, and the reverse: each is
        // new once, and found again after the table has grown several times.
        let sets: Vec<[u64; 4]> = (0..300u64)
            .map(|n| match n % 3 {
                0 => [full, n, 0, 0],
                1 => [full, full, n, 0],
                _ => [n, 0, 0, n],
            })
            .collect();
        for set in &sets {
            assert!(matches!(cache.insert(set, &0u8, 0), Ok(true)), "{set:?}");
        }
        for set in &sets {
            assert!(matches!(cache.insert(set, &0u8, 0), Ok(false)), "{set:?}");
        }
        let set = [full, 5, 0, 9];
        let packed = Packed::of(&set, 3);
        assert_eq!(
            (packed.header, packed.window, packed.open),
            (1 << 32 | 1, &[5][..], &[9][..])
        );
        let set = [full, full, full, 0];
        let empty = Packed::of(&set, 3);
        assert_eq!((empty.header, empty.window.len()), (3 << 32, 0));
    }

    #[test]
    fn refuses_past_the_budget() {
        let budget = MemoryBudget::new(Some(2_000));
        let mut cache = Cache::new(&budget, 1, 1);
        let mut refused = None;
        for state in 0u32..100 {
            if cache.insert(&[1], &state, 0).is_err() {
                refused = Some((state, cache.len()));
                break;
            }
        }
        let (state, entries) = refused.expect("2 000 bytes hold fewer than 100 entries");
        assert!(state > 0, "the first entry fits");
        assert_eq!(entries as u32, state);
    }
}
