//! ABD under the kit: the honest register passes a sweep, and each broken variant is
//! caught by the check named for it.

use abd::scenario::ACKS_KEPT;
use sim::{StorageClass, StorageClasses};
use sim_kit::catches::{uncovered, verify, verify_gates, ExpectedCatch, StorageGate};
use sim_kit::checks::LINEARIZABLE;
use sim_kit::runner::{sweep, sweep_digest, SweepOptions};

#[test]
fn a_sweep_of_the_honest_register_passes_whatever_the_job_count() {
    let registry = abd::registry();
    let scenarios = registry.select("all").unwrap();
    let options = |jobs| SweepOptions {
        jobs,
        ..SweepOptions::new(1..41)
    };
    let one = sweep(&scenarios, &options(1), &|_| {});
    let failures: Vec<String> = one
        .iter()
        .filter_map(|r| r.failure.as_ref().map(|f| format!("seed {}: {f}", r.seed)))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let two = sweep(&scenarios, &options(2), &|_| {});
    assert_eq!(sweep_digest(&one), sweep_digest(&two));
}

const CATCHES: &[ExpectedCatch] = &[
    // A read that skips its write-back lets a later read see an older value.
    ExpectedCatch::new("abd-random", "skip-write-back", 1..20, LINEARIZABLE),
    // Quorums of a minority need not meet: a read misses a finished write.
    ExpectedCatch::new("abd-random", "minority-quorum", 1..5, LINEARIZABLE),
    ExpectedCatch::new("abd-random", "forget-on-restart", 1..5, ACKS_KEPT),
];

/// An ack sent before the write in one step is lost only to a crash that falls between the
/// two: the crash-mid-step class (seed 15 is the first of 1..100 with the class on; without
/// it, none of 300 seeds).
const GATES: &[StorageGate] = &[StorageGate {
    scenarios: "abd-random",
    mutant: "ack-before-write",
    class: StorageClass::CrashMidStep,
    base: StorageClasses::NONE,
    seeds: 1..21,
    checks: &[ACKS_KEPT],
}];

#[test]
fn an_ack_before_its_write_needs_a_crash_within_a_step() {
    let registry = abd::registry();
    let results = verify_gates(&registry, GATES).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(results.len(), 1);
}

#[test]
fn each_broken_variant_is_caught_by_its_check() {
    let registry = abd::registry();
    let problems = verify(&registry, CATCHES);
    assert!(problems.is_empty(), "{problems:#?}");
    let missing = uncovered(&registry, "abd", CATCHES);
    assert_eq!(
        missing,
        ["ack-before-write"],
        "only the gated mutant is pinned elsewhere"
    );
}
