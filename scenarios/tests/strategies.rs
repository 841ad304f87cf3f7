//! Schedule strategies: each changes the schedule of a run and stays a function of its seed;
//! `random` is the default and leaves every trace as it was.

use sim::Strategy;
use sim_kit::runner::run_one;
use sim_kit::RunOptions;

fn run(name: &str, seed: u64, strategy: Strategy) -> sim_kit::RunReport {
    let registry = scenarios::registry();
    let scenario = registry.find(name).unwrap();
    let options = RunOptions {
        strategy,
        ..scenario.options(seed)
    };
    run_one(scenario, &options)
}

#[test]
fn each_strategy_changes_the_schedule_and_replays_exactly() {
    for name in ["raft-election-random", "raft-2c-figure8"] {
        for seed in [1, 2] {
            let random = run(name, seed, Strategy::Random);
            assert_eq!(
                random.trace_hash,
                run(name, seed, Strategy::default()).trace_hash
            );
            for strategy in [Strategy::Pct, Strategy::DelayBound] {
                let a = run(name, seed, strategy);
                let b = run(name, seed, strategy);
                assert_eq!(a.trace_hash, b.trace_hash, "{name} {seed} {strategy:?}");
                assert_ne!(
                    a.trace_hash, random.trace_hash,
                    "{name} {seed} {strategy:?}"
                );
                assert!(a.passed(), "{name} {seed} {strategy:?}: {:?}", a.failure);
            }
        }
    }
}

#[test]
fn rotate_runs_the_strategy_its_seed_picks() {
    for seed in 0..6 {
        let picked = Strategy::Rotate.for_seed(seed);
        let rotated = run("raft-election-random", seed, Strategy::Rotate);
        assert_eq!(
            rotated.trace_hash,
            run("raft-election-random", seed, picked).trace_hash
        );
    }
}
