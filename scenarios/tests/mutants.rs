//! Every check must be seen to fail: each broken Raft is caught, within a bounded number of
//! seeds, by the check named for it, and the honest Raft passes the very same runs.

use scenarios::raft::checks;
use sim_kit::catches::{uncovered, verify, ExpectedCatch};

/// Each mutant, the scenarios meant to catch it, their seeds, and the check that must fire.
const CATCHES: &[ExpectedCatch] = &[
    // Figure 8: an old term's entry committed by counting replicas, then overwritten by a
    // leader of another branch, which the cluster checker sees as a leader without a
    // committed entry. The reliable test needs about 50 seeds per catch; with long
    // reordering about 5 (21 of seeds 0..100 catch it; the first is 16).
    ExpectedCatch::new(
        "raft-2c-figure8-unreliable",
        "commit-old-term-by-counting",
        0..20,
        checks::LEADER_COMPLETENESS,
    ),
    ExpectedCatch::new(
        "raft-2c-persist*",
        "forget-vote-on-restart",
        0..2,
        checks::DURABLE_ACROSS_RESTART,
    ),
    ExpectedCatch::new(
        "raft-random",
        "forget-vote-on-restart",
        1..3,
        checks::DURABLE_ACROSS_RESTART,
    ),
    ExpectedCatch::new(
        "raft-2b-backup",
        "skip-consistency-check",
        0..2,
        checks::STATE_MACHINE_SAFETY,
    ),
    ExpectedCatch::new(
        "raft-2b-rejoin",
        "skip-consistency-check",
        0..2,
        checks::STATE_MACHINE_SAFETY,
    ),
    ExpectedCatch::new(
        "raft-2b-rejoin",
        "skip-truncation",
        0..2,
        checks::STATE_MACHINE_SAFETY,
    ),
    ExpectedCatch::new(
        "raft-2b-fail-no-agree",
        "skip-truncation",
        0..4,
        // Whole-log matching after every step sees the kept stale suffix before it applies.
        checks::LOG_MATCHING,
    ),
    // A server that forgets its snapshot on restart applies from its log's start again.
    ExpectedCatch::new(
        "raft-2d-snapshot-install-crash",
        "drop-snapshot-on-restart",
        0..2,
        checks::APPLY_ORDER,
    ),
    ExpectedCatch::new(
        "raft-2d-snapshot-all-crash",
        "drop-snapshot-on-restart",
        0..2,
        checks::APPLY_ORDER,
    ),
    ExpectedCatch::new(
        "raft-2a-*",
        "vote-twice-in-term",
        0..10,
        checks::ELECTION_SAFETY,
    ),
    ExpectedCatch::new(
        "raft-election-random",
        "vote-twice-in-term",
        0..20,
        checks::ELECTION_SAFETY,
    ),
    ExpectedCatch::new(
        "raft-random",
        "vote-twice-in-term",
        1..20,
        checks::ELECTION_SAFETY,
    ),
    // A message storm never settles: the run fails at its budget of events in flight.
    ExpectedCatch::new(
        "raft-random",
        "broadcast-on-every-reply",
        1..2,
        sim::checks::STUCK,
    ),
];

#[test]
fn every_raft_mutant_is_caught_by_its_check_and_the_honest_raft_passes_those_runs() {
    let registry = scenarios::registry();
    let problems = verify(&registry, CATCHES);
    assert!(problems.is_empty(), "{problems:#?}");
    // Mutants that need a storage fault class are pinned by their gates (tests/storage.rs).
    let gated = |m: &&str| {
        scenarios::storage_gates::STORAGE_GATES
            .iter()
            .any(|g| g.mutant == *m)
    };
    let missing: Vec<&str> = uncovered(&registry, "raft", CATCHES)
        .into_iter()
        .filter(|m| !gated(m))
        .collect();
    assert!(missing.is_empty(), "no catch pinned for {missing:?}");
}
