//! Which mutant shows each storage fault class: a broken variant that a test catches with the
//! class on and not with it off (`scenarios/tests/storage.rs`). A class no mutant needs would
//! be unused or untested.

use crate::mapreduce::checks as mr_checks;
use crate::raft::checks as raft_checks;
use sim::{checks as sim_checks, StorageClass, StorageClasses};
use sim_kit::catches::StorageGate;

const NONE: StorageClasses = StorageClasses::NONE;
/// Torn writes and failed syncs matter only where unsynced writes can be lost.
const UNSYNCED: StorageClasses = StorageClasses::NONE.with_const(StorageClass::UnsyncedLoss);

/// One gate per class (the crash within a step is ABD's: examples/abd/tests/abd.rs).
pub const STORAGE_GATES: &[StorageGate] = &[
    // Replies that do not wait for syncs: a crash takes back a promised entry or vote.
    StorageGate {
        scenarios: "raft-storage",
        mutant: "ack-before-sync",
        class: StorageClass::UnsyncedLoss,
        base: NONE,
        seeds: 1..21,
        checks: &[raft_checks::DURABLE_ACROSS_RESTART, sim_checks::BOOT],
    },
    // A snapshot overwritten in place: torn, it is neither old nor new.
    StorageGate {
        scenarios: "raft-storage",
        mutant: "snapshot-in-place",
        class: StorageClass::TornWrites,
        base: UNSYNCED,
        seeds: 1..21,
        checks: &[sim_checks::BOOT],
    },
    // A latent error taken for a torn tail: acknowledged entries silently cut.
    StorageGate {
        scenarios: "raft-storage",
        mutant: "cut-any-bad-record",
        class: StorageClass::LatentErrors,
        base: NONE,
        seeds: 1..21,
        checks: &[raft_checks::DURABLE_ACROSS_RESTART],
    },
    // A meta write that landed elsewhere leaves the aimed-at copies stale but intact.
    StorageGate {
        scenarios: "raft-storage",
        mutant: "meta-at-fixed-offsets",
        class: StorageClass::MisdirectedWrites,
        base: NONE,
        seeds: 1..41,
        checks: &[raft_checks::DURABLE_ACROSS_RESTART],
    },
    // A failed sync taken for a completed one: the writes it lost were promised.
    StorageGate {
        scenarios: "raft-storage",
        mutant: "ignore-sync-error",
        class: StorageClass::SyncErrors,
        base: UNSYNCED,
        seeds: 1..21,
        checks: &[raft_checks::DURABLE_ACROSS_RESTART, sim_checks::BOOT],
    },
    // MapReduce's shared file system: an output renamed into place unsynced goes with its
    // writer's crash.
    StorageGate {
        scenarios: "mr-crash",
        mutant: "skip-sync",
        class: StorageClass::UnsyncedLoss,
        base: NONE,
        seeds: 1..21,
        checks: &[
            mr_checks::OUTPUT,
            mr_checks::OUTPUT_STABLE,
            mr_checks::JOB_DONE,
        ],
    },
];

/// Whether `mutant` is pinned by a gate here (families that take Raft's mutants leave those
/// to the gates: they need a storage fault class to show).
pub fn is_gated(mutant: &str) -> bool {
    STORAGE_GATES.iter().any(|g| g.mutant == mutant)
}
