//! What the load generator's clerks ask: a seeded mix of Get, Put and Append over a few keys.
//!
//! Every written value is unique and of one shape, `x PROCESS N y`, so no value is a prefix of
//! another: the checker's polynomial procedure for unique writes then decides every key
//! (`sim/linearizability/src/models/kv_unique.rs`), however long the run. Puts keep values
//! short by resetting them now and then. Keys carry a run tag, so a run against a cluster that
//! earlier runs wrote to reads only its own writes.

use kvraft::Op;
use protocol_core::rng::{derive_seed, range_inclusive, rng_from_seed, Rng};

/// Percentages of the mix: the rest are Appends.
const GET_PERCENT: u64 = 40;
const PUT_PERCENT: u64 = 10;

pub struct Workload {
    rng: Rng,
    process: u64,
    keys: Vec<String>,
    written: u64,
}

impl Workload {
    pub fn new(seed: u64, process: u64, key_count: u32, run_tag: &str) -> Workload {
        assert!(key_count > 0, "a workload needs keys");
        Workload {
            rng: rng_from_seed(derive_seed(seed, "kv-workload", process)),
            process,
            keys: (0..key_count).map(|k| format!("{run_tag}-{k}")).collect(),
            written: 0,
        }
    }

    pub fn next_op(&mut self) -> Op {
        let key = self.keys[range_inclusive(&mut self.rng, 0, self.keys.len() as u64 - 1) as usize]
            .clone();
        let roll = range_inclusive(&mut self.rng, 0, 99);
        if roll < GET_PERCENT {
            return Op::Get { key };
        }
        self.written += 1;
        let value = format!("x {} {} y", self.process, self.written);
        if roll < GET_PERCENT + PUT_PERCENT {
            Op::Put { key, value }
        } else {
            Op::Append { key, value }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn written(op: &Op) -> Option<&str> {
        match op {
            Op::Get { .. } => None,
            Op::Put { value, .. } | Op::Append { value, .. } => Some(value),
        }
    }

    #[test]
    fn the_mix_is_seeded_and_writes_are_unique_and_prefix_free() {
        let ops = |seed| {
            let mut a = Workload::new(seed, 0, 3, "t");
            (0..500).map(|_| a.next_op()).collect::<Vec<_>>()
        };
        assert_eq!(ops(1), ops(1));
        assert_ne!(ops(1), ops(2));
        let mut values = BTreeSet::new();
        for process in 0..3 {
            let mut load = Workload::new(7, process, 3, "t");
            for _ in 0..500 {
                let op = load.next_op();
                assert!(op.key().starts_with("t-"));
                if let Some(value) = written(&op) {
                    assert!(values.insert(value.to_string()), "{value} twice");
                }
            }
        }
        let gets = ops(3).iter().filter(|op| op.is_get()).count();
        assert!((100..300).contains(&gets), "{gets} gets of 500");
        for a in &values {
            for b in &values {
                assert!(a == b || !b.starts_with(a.as_str()), "{a} prefixes {b}");
            }
        }
    }
}
