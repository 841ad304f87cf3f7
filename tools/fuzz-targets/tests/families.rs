//! The family targets on generated choice buffers, on the stable toolchain: the honest
//! protocol passes every one, and a mutant fails on some (so the target can crash at all).

use fuzz_targets::families::run_choices;
use protocol_core::rng::{range_inclusive, rng_from_seed, Rng};

fn buffers(seed: u64, count: usize) -> Vec<Vec<u8>> {
    let mut rng: Rng = rng_from_seed(seed);
    (0..count)
        .map(|_| {
            let len = range_inclusive(&mut rng, 0, 1_500) as usize;
            (0..len)
                .map(|_| range_inclusive(&mut rng, 0, 255) as u8)
                .collect()
        })
        .collect()
}

#[test]
fn the_honest_raft_passes_generated_runs_and_a_mutant_fails_some() {
    let inputs = buffers(1, 150);
    for (i, input) in inputs.iter().enumerate() {
        if let Err(failure) = run_choices("raft-election-random", None, input) {
            panic!("input {i} ({} bytes): {failure}", input.len());
        }
    }
    let caught = inputs
        .iter()
        .filter(|input| {
            run_choices("raft-election-random", Some("vote-twice-in-term"), input).is_err()
        })
        .count();
    assert!(
        caught > 0,
        "vote-twice-in-term survived every generated run"
    );
}

#[test]
fn the_honest_mapreduce_passes_generated_runs() {
    for (i, input) in buffers(2, 10).iter().enumerate() {
        if let Err(failure) = run_choices("mr-random", None, input) {
            panic!("input {i} ({} bytes): {failure}", input.len());
        }
    }
}

#[test]
fn the_honest_shard_families_pass_generated_runs_and_a_controller_mutant_fails_some() {
    let inputs = buffers(3, 8);
    for scenario in ["ctrler-random", "shardkv-random"] {
        for (i, input) in inputs.iter().enumerate() {
            if let Err(failure) = run_choices(scenario, None, input) {
                panic!("{scenario} input {i} ({} bytes): {failure}", input.len());
            }
        }
    }
    let caught = inputs
        .iter()
        .filter(|input| {
            run_choices(
                "ctrler-random",
                Some("ctrler-no-duplicate-detection"),
                input,
            )
            .is_err()
        })
        .count();
    // Random bytes rarely make a sharded run that shows its mutants (see the README's
    // fuzzing table); the controller's duplicate-detection mutant shows on some.
    assert!(
        caught > 0,
        "ctrler-no-duplicate-detection survived every generated run"
    );
}
