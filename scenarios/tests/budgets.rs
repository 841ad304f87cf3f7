//! A buggy protocol never hangs a sweep: a run that never settles fails 'stuck' at its
//! budget, the same way on every replay, and a run past its wall-clock budget is counted
//! apart as timed out while the sweep goes on.

use sim::{checks, Budget};
use sim_kit::runner::{run_one, sweep, sweep_digest, SweepOptions};
use std::time::Duration;

/// A storm: Raft's leader answers every reply by sending to every follower.
const STORM: &str = "broadcast-on-every-reply";

fn storm_budget() -> Budget {
    Budget {
        max_pending: 20_000,
        ..Budget::DEFAULT
    }
}

#[test]
fn a_storm_fails_stuck_and_the_sweep_finishes() {
    let registry = scenarios::registry();
    let scenarios = registry.select("raft-random").unwrap();
    let options = SweepOptions {
        mutant: Some(STORM.to_string()),
        budget: storm_budget(),
        jobs: 2,
        ..SweepOptions::new(1..4)
    };
    let results = sweep(&scenarios, &options, &|_| {});
    assert_eq!(results.len(), 3);
    for result in &results {
        let failure = result.failure.as_ref().expect("a storm never passes");
        assert_eq!(
            failure.check,
            checks::STUCK,
            "seed {}: {failure}",
            result.seed
        );
        assert!(failure.message.contains("in flight"), "{failure}");
    }
    // The replay of a stuck seed stops at the same event.
    let scenario = scenarios[0];
    let replay = sim_kit::RunOptions {
        budget: storm_budget(),
        ..scenario.options(2).with_mutant(STORM)
    };
    let report = run_one(scenario, &replay);
    let failure = report.failure.expect("stuck again");
    let first = results[1].failure.as_ref().unwrap();
    assert_eq!((failure.time, failure.events), (first.time, first.events));
}

#[test]
fn a_run_past_its_wall_clock_budget_is_timed_out_not_failed() {
    let registry = scenarios::registry();
    let scenarios = registry.select("raft-2a-initial-election").unwrap();
    let options = |jobs| SweepOptions {
        budget: Budget {
            wall: Some(Duration::ZERO),
            ..Budget::DEFAULT
        },
        jobs,
        ..SweepOptions::new(1..5)
    };
    let one = sweep(&scenarios, &options(1), &|_| {});
    assert!(one.iter().all(|r| r.timed_out() && !r.failed()), "{one:#?}");
    // How far a timed-out run got is the machine's business: the digest ignores it.
    let two = sweep(&scenarios, &options(2), &|_| {});
    assert_eq!(sweep_digest(&one), sweep_digest(&two));
}
