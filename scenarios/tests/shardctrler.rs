//! The controller's scenarios: every course test and ctrler-random pass fixed seeds with
//! every configuration and answer checked; each controller mutant, and Raft mutants
//! beneath, is caught within a bounded number of seeds by the check named for it.

use scenarios::raft::checks as raft_checks;
use shardctrler::checks::{CONFIG_MINIMAL, CONFIG_SAME_ON_REPLICAS};
use shardctrler::watch::{CONFIG_ONCE_PER_REQUEST, QUERY_FRESH};
use sim_kit::catches::{uncovered, verify, ExpectedCatch};
use sim_kit::runner::{honest_failures, run_one};

#[test]
fn every_controller_scenario_passes_fixed_seeds() {
    let registry = scenarios::registry();
    let names: Vec<&str> = registry
        .select("ctrler-*")
        .unwrap()
        .iter()
        .map(|s| s.name())
        .collect();
    assert_eq!(
        names,
        [
            "ctrler-basic",
            "ctrler-multi",
            "ctrler-minimal-again",
            "ctrler-random"
        ]
    );
    let failures = honest_failures(&registry, "ctrler-*", 1..4);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_configuration_on_every_replica_and_every_query_is_checked() {
    let registry = scenarios::registry();
    let scenario = registry.find("ctrler-basic").unwrap();
    let report = run_one(scenario, &scenario.options(1));
    assert!(report.passed(), "{:?}", report.failure);
    let (configs, reports) = (
        report.metric("configurations").unwrap(),
        report.metric("config-reports").unwrap(),
    );
    assert!(
        configs > 40,
        "TestBasic creates many configurations: {configs}"
    );
    assert!(
        reports >= 3 * configs - 3,
        "every replica reports each: {reports} of {configs}"
    );
    assert!(report.metric("queries-checked").unwrap() > 30);
}

/// Each mutant, the scenarios that must catch it, their seeds, and the check that must fire.
const CATCHES: &[ExpectedCatch] = &[
    // Replicas that break ties each their own way compute different configurations.
    ExpectedCatch::new(
        "ctrler-basic",
        "rebalance-in-local-order",
        1..2,
        CONFIG_SAME_ON_REPLICAS,
    ),
    // Dealing the shards from scratch is balanced but moves more than it must.
    ExpectedCatch::new(
        "ctrler-minimal-again",
        "rebalance-from-scratch",
        1..2,
        CONFIG_MINIMAL,
    ),
    ExpectedCatch::new(
        "ctrler-basic",
        "rebalance-from-scratch",
        1..2,
        CONFIG_MINIMAL,
    ),
    // A follower answering Query(-1) from what it has applied answers an old configuration.
    ExpectedCatch::new("ctrler-multi", "stale-query", 1..2, QUERY_FRESH),
    ExpectedCatch::new("ctrler-random", "stale-query", 1..4, QUERY_FRESH),
    // A Join retried after a lost reply creates a second configuration.
    ExpectedCatch::new(
        "ctrler-random",
        "ctrler-no-duplicate-detection",
        1..2,
        CONFIG_ONCE_PER_REQUEST,
    ),
    // Raft beneath the controller, by Raft's cluster checks.
    ExpectedCatch::new(
        "ctrler-random",
        // Seeds 1..9 show it first as a stall, a log mismatch or replicas that disagree.
        "skip-truncation",
        9..12,
        raft_checks::STATE_MACHINE_SAFETY,
    ),
    ExpectedCatch::new(
        "ctrler-random",
        "forget-vote-on-restart",
        1..2,
        raft_checks::DURABLE_ACROSS_RESTART,
    ),
    ExpectedCatch::new(
        "ctrler-random",
        "vote-twice-in-term",
        1..55,
        raft_checks::ELECTION_SAFETY,
    ),
    // Logs that disagree: Raft's own check sees a committed entry replaced before the
    // replicas' configurations differ.
    ExpectedCatch::new(
        "ctrler-random",
        "skip-consistency-check",
        1..15,
        raft_checks::STATE_MACHINE_SAFETY,
    ),
];

#[test]
fn every_mutant_is_caught_by_its_check_and_the_honest_controller_passes_those_runs() {
    let registry = scenarios::registry();
    let problems = verify(&registry, CATCHES);
    assert!(problems.is_empty(), "{problems:#?}");
    // Figure 8's old-term commit and the message storm are the Raft family's (its long
    // reordering, its stuck check); a Raft that forgets its snapshot on restart trips the
    // controller's own assertion that it applied what Raft did, which is no named check.
    // Raft's mutants that need a storage fault class are pinned by their gates.
    let missing: Vec<&str> = uncovered(&registry, "shardctrler", CATCHES)
        .into_iter()
        .filter(|m| !scenarios::storage_gates::is_gated(m))
        .collect();
    assert_eq!(
        missing,
        [
            "commit-old-term-by-counting",
            "drop-snapshot-on-restart",
            "broadcast-on-every-reply"
        ]
    );
}
