//! The MapReduce family: every scenario passes on fixed seeds, every mutant is caught within
//! a bounded number of seeds by the check named for it, and a run is a function of its seed.

use scenarios::mapreduce::checks;
use sim_kit::catches::{uncovered, verify, ExpectedCatch};
use sim_kit::runner::{check_determinism, honest_failures, sweep, SweepOptions};

#[test]
fn every_mr_scenario_passes_fixed_seeds() {
    let registry = scenarios::registry();
    let scenarios = registry.select("mr-*").unwrap();
    assert_eq!(scenarios.len(), 8, "the course's seven tests and mr-random");
    let options = SweepOptions {
        jobs: 2,
        ..SweepOptions::new(1..4)
    };
    let reports = sweep(&scenarios, &options, &|_| {});
    let failures: Vec<String> = reports
        .iter()
        .filter_map(|r| {
            r.failure
                .as_ref()
                .map(|f| format!("{} seed {}: {f}", r.scenario, r.seed))
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    // Something happened: every run finished a job in virtual time.
    assert!(reports
        .iter()
        .all(|r| r.virtual_time.as_ms() > 1_000 && r.delivered > 0));
}

/// Each mutant, the scenarios that must catch it, the seeds within which they must, and the
/// check that must fire.
const CATCHES: &[ExpectedCatch] = &[
    // A task given to a worker that then crashed is never handed out again.
    ExpectedCatch::new("mr-crash", "no-reassign", 1..11, checks::JOB_DONE),
    ExpectedCatch::new(
        "mr-early-exit",
        "reduce-before-maps-done",
        1..4,
        checks::REDUCE_AFTER_MAPS,
    ),
    // Counting a duplicate completion ends the map phase with maps still missing.
    ExpectedCatch::new(
        "mr-crash",
        "count-duplicate-completions",
        1..6,
        checks::REDUCE_AFTER_MAPS,
    ),
    // Outputs written in place are never renamed, so a crash takes them with it.
    ExpectedCatch::new("mr-crash", "write-in-place", 1..11, checks::LOST_OUTPUT),
    ExpectedCatch::new("mr-random", "write-in-place", 1..21, checks::LOST_OUTPUT),
    ExpectedCatch::new(
        "mr-map-parallelism",
        "serial-tasks",
        1..4,
        checks::MAP_PARALLELISM,
    ),
    ExpectedCatch::new(
        "mr-reduce-parallelism",
        "serial-tasks",
        1..4,
        checks::REDUCE_PARALLELISM,
    ),
    ExpectedCatch::new("mr-early-exit", "exit-on-wait", 1..4, checks::EARLY_EXIT),
];

#[test]
fn every_mutant_is_caught_by_its_check_and_the_honest_job_passes_those_runs() {
    let registry = scenarios::registry();
    let problems = verify(&registry, CATCHES);
    assert!(problems.is_empty(), "{problems:#?}");
    // Mutants that need a storage fault class are pinned by their gates (tests/storage.rs).
    let gated = |m: &&str| {
        scenarios::storage_gates::STORAGE_GATES
            .iter()
            .any(|g| g.mutant == *m)
    };
    let missing: Vec<&str> = uncovered(&registry, "mapreduce", CATCHES)
        .into_iter()
        .filter(|m| !gated(m))
        .collect();
    assert!(missing.is_empty(), "no catch pinned for {missing:?}");
}

#[test]
fn a_seed_replays_to_the_same_trace() {
    let registry = scenarios::registry();
    for name in ["mr-crash", "mr-random"] {
        let scenario = registry.find(name).unwrap();
        let report = check_determinism(scenario, &scenario.options(5))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.passed(), "{name} seed 5 failed");
        assert_ne!(report.trace_hash, 0);
    }
    assert!(honest_failures(&registry, "mr-random", 5..6).is_empty());
}
