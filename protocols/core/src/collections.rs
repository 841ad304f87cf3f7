//! Hash maps for lookups only, with a fixed hasher.
//!
//! std's `HashMap` seeds its hasher from the OS, and hashbrown's default hasher is random too;
//! either would let iteration order differ between runs. These use foldhash with a fixed seed.
//! Even so, never let their iteration order decide behaviour: iterate a `BTreeMap` instead.

pub type FixedState = foldhash::fast::FixedState;
pub type FixedHashMap<K, V> = hashbrown::HashMap<K, V, FixedState>;
pub type FixedHashSet<K> = hashbrown::HashSet<K, FixedState>;

pub fn fixed_hash_map<K, V>() -> FixedHashMap<K, V> {
    FixedHashMap::with_hasher(FixedState::default())
}

pub fn fixed_hash_set<K>() -> FixedHashSet<K> {
    FixedHashSet::with_hasher(FixedState::default())
}
