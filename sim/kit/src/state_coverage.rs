//! Protocol-state coverage: a family's watch abstracts what it sees into small tuples
//! (a Raft server's role, how far its term lags, how its log lies against the leader's) and
//! hands each tuple it newly enters to a sink. A fuzzer installs the sink and counts the
//! tuples as extra coverage, so an input that reaches a new protocol situation is kept even
//! when it runs no new line of code; see `tools/fuzz-targets/src/state_counters.rs`.
//!
//! Coverage is an output only: nothing a run decides reads it, so a run's trace and verdict
//! are the same with a sink or without. No sink is installed unless a fuzz target installs
//! one, and then the watches skip the abstraction entirely (one thread-local read a step).
//! The sink is per thread because a sweep runs seeds on several threads and a fuzz target
//! on one; it is the one piece of global state a run touches, and it only ever writes out.

use std::cell::Cell;

/// A situation: a family's abstraction of what it saw, packed into a `u64` by [`Tuple`].
pub type Situation = u64;

/// Where situations go: the fuzz target's counters.
pub type Sink = fn(Situation);

thread_local! {
    static SINK: Cell<Option<Sink>> = const { Cell::new(None) };
}

/// Sends this thread's situations to `sink` from now on (`None`: nowhere, the default).
pub fn install(sink: Option<Sink>) {
    SINK.with(|cell| cell.set(sink));
}

/// Whether a sink is installed: a watch computes its tuples only then.
pub fn enabled() -> bool {
    SINK.with(Cell::get).is_some()
}

/// The run entered `situation`.
pub fn observe(situation: Situation) {
    if let Some(sink) = SINK.with(Cell::get) {
        sink(situation);
    }
}

/// A situation built field by field: a family tag and small bucketed values, each in a
/// fixed number of bits, so two different tuples are two different keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuple {
    key: u64,
    bits: u32,
}

impl Tuple {
    /// A tuple of family `tag` (one per family and kind of situation).
    pub fn new(tag: u8) -> Tuple {
        Tuple {
            key: u64::from(tag),
            bits: 8,
        }
    }

    /// Appends `value`, which must fit in `bits` bits.
    pub fn field(self, value: u64, bits: u32) -> Tuple {
        assert!((1..=16).contains(&bits), "a field of {bits} bits");
        assert!(value < 1 << bits, "{value} does not fit in {bits} bits");
        assert!(self.bits + bits <= 64, "a tuple of more than 64 bits");
        Tuple {
            key: self.key | value << self.bits,
            bits: self.bits + bits,
        }
    }

    pub fn key(self) -> Situation {
        self.key
    }
}

/// Buckets a count as 0, 1, 2, ..., `top` or more (`top` itself for anything above).
pub fn bucket(count: u64, top: u64) -> u64 {
    count.min(top)
}

/// The counter a situation lands on among `len`: a fixed mixing of the key (splitmix64's
/// finalizer), so nearby keys spread over the array and the mapping never changes.
pub fn counter_index(situation: Situation, len: usize) -> usize {
    assert!(len > 0, "no counters");
    let mut z = situation.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z % len as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_pack_after_the_tag_and_different_tuples_differ() {
        let tuple = Tuple::new(1).field(2, 2).field(3, 3);
        assert_eq!(tuple.key(), 1 | 2 << 8 | 3 << 10);
        let other = Tuple::new(1).field(3, 2).field(2, 3);
        assert_ne!(tuple.key(), other.key());
        assert_ne!(Tuple::new(1).key(), Tuple::new(2).key());
    }

    #[test]
    #[should_panic(expected = "does not fit")]
    fn a_field_too_wide_for_its_bits_is_a_bug() {
        let _ = Tuple::new(1).field(4, 2);
    }

    thread_local! {
        static SEEN: Cell<u64> = const { Cell::new(0) };
    }

    fn record(situation: Situation) {
        SEEN.with(|seen| seen.set(situation));
    }

    #[test]
    fn situations_reach_the_installed_sink_only() {
        observe(7);
        assert_eq!(SEEN.with(Cell::get), 0, "no sink: nothing recorded");
        assert!(!enabled());
        install(Some(record));
        assert!(enabled());
        observe(9);
        assert_eq!(SEEN.with(Cell::get), 9);
        install(None);
        observe(11);
        assert_eq!(SEEN.with(Cell::get), 9);
    }

    #[test]
    fn counter_indexes_stay_in_range_and_spread() {
        let indexes: std::collections::BTreeSet<usize> =
            (0..64).map(|key| counter_index(key, 4096)).collect();
        assert!(indexes.iter().all(|&i| i < 4096));
        assert!(indexes.len() > 60, "64 keys on {} counters", indexes.len());
    }
}
