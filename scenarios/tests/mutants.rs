//! Every check must be seen to fail: each broken Raft is caught within a bounded number of
//! seeds by the scenarios named for it.

use scenarios::registry;
use scenarios::runner::{first_catch, sweep};

/// Each mutant, the scenarios meant to catch it, and the seeds they get. Every catch below is
/// pinned by a test; the honest Raft must pass the very same runs.
const CATCHES: &[(&str, &str, std::ops::Range<u64>)] = &[
    // Figure 8: an old term's entry committed by counting replicas is later overwritten.
    // The reliable test needs about 50 seeds per catch; with long reordering, about 5 (21 of
    // seeds 0..100 catch it; the first is 16).
    (
        "raft-2c-figure8-unreliable",
        "commit-old-term-by-counting",
        0..20,
    ),
    ("raft-2c-persist*", "forget-vote-on-restart", 0..2),
    ("raft-2b-backup", "skip-consistency-check", 0..2),
    ("raft-2b-rejoin", "skip-consistency-check", 0..2),
    ("raft-2b-rejoin", "skip-truncation", 0..2),
    ("raft-2b-fail-no-agree", "skip-truncation", 0..4),
    (
        "raft-2d-snapshot-install-crash",
        "drop-snapshot-on-restart",
        0..2,
    ),
    (
        "raft-2d-snapshot-all-crash",
        "drop-snapshot-on-restart",
        0..2,
    ),
];

#[test]
fn honest_raft_passes_the_same_seeds() {
    let mut failures = Vec::new();
    for (pattern, _, seeds) in CATCHES {
        let scenarios = registry::select(pattern).unwrap();
        for r in sweep(&scenarios, seeds.clone(), None, 2, &|_| {}) {
            if let Some(f) = r.failure {
                failures.push(format!("{} seed {}: {f}", r.scenario, r.seed));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_raft_mutant_is_caught_by_its_scenarios() {
    let mut missed = Vec::new();
    for (pattern, mutant, seeds) in CATCHES {
        if first_catch(pattern, mutant, seeds.clone()).is_none() {
            missed.push(format!("{pattern} missed {mutant} on seeds {seeds:?}"));
        }
    }
    assert!(missed.is_empty(), "{missed:#?}");
    // Every mutant the scenarios accept has a catch pinned here (vote-twice below).
    for mutant in scenarios::raft::MUTANTS {
        assert!(
            *mutant == "vote-twice-in-term" || CATCHES.iter().any(|(_, m, _)| m == mutant),
            "no pinned catch for {mutant}"
        );
    }
}

#[test]
fn a_forgotten_vote_is_caught_at_the_first_restart() {
    let caught = first_catch("raft-2c-persist1", "forget-vote-on-restart", 0..1);
    let caught = caught.expect("persist1 restarts every server after an election");
    assert_eq!(caught.check, "durable-across-restart");
}

#[test]
fn voting_twice_in_a_term_is_caught() {
    let caught = first_catch("raft-2a-*", "vote-twice-in-term", 0..10);
    assert!(
        caught.is_some(),
        "the 2A scenarios missed a node that votes twice"
    );
    let caught = first_catch("raft-election-random", "vote-twice-in-term", 0..20);
    assert!(
        caught.is_some(),
        "raft-election-random missed a node that votes twice"
    );
}
