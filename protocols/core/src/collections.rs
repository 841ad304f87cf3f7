//! The fixed hasher for hash maps used for lookups only.
//!
//! std's `HashMap` seeds its hasher from the OS, and hashbrown's default hasher is random too;
//! either would let iteration order differ between runs. A lookup table is
//! `hashbrown::HashMap<K, V, FixedState>`: foldhash with a fixed seed. Even so, never let its
//! iteration order decide behaviour: iterate a `BTreeMap` instead.

pub type FixedState = foldhash::fast::FixedState;
