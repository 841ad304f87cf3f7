//! The MapReduce family: every scenario passes on fixed seeds, every mutant is caught
//! within a bounded number of seeds, and a run is a function of its seed.

use scenarios::outcome::RunOptions;
use scenarios::registry;
use scenarios::runner::{check_determinism, first_catch, sweep};

#[test]
fn every_mr_scenario_passes_fixed_seeds() {
    let scenarios = registry::select("mr-*").unwrap();
    assert_eq!(scenarios.len(), 8, "the course's seven tests and mr-random");
    let reports = sweep(&scenarios, 1..4, None, 2, &|_| {});
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

/// (mutant, scenarios that must catch it, seeds within which they must)
const CATCHES: &[(&str, &str, u64)] = &[
    ("no-reassign", "mr-crash", 10),
    ("reduce-before-maps-done", "mr-early-exit", 3),
    ("count-duplicate-completions", "mr-crash", 5),
    ("write-in-place", "mr-crash", 10),
    ("serial-tasks", "mr-map-parallelism", 3),
    ("serial-tasks", "mr-reduce-parallelism", 3),
    ("exit-on-wait", "mr-early-exit", 3),
];

#[test]
fn every_mutant_is_caught() {
    let named: Vec<&str> = CATCHES.iter().map(|(m, _, _)| *m).collect();
    for mutant in scenarios::mapreduce::MUTANTS {
        assert!(named.contains(mutant), "no test catches {mutant}");
    }
    for (mutant, pattern, seeds) in CATCHES {
        let caught = first_catch(pattern, mutant, 1..1 + seeds);
        assert!(
            caught.is_some(),
            "{pattern} missed mutant {mutant} in {seeds} seeds"
        );
    }
}

#[test]
fn the_random_scenario_catches_in_place_writes() {
    let caught = first_catch("mr-random", "write-in-place", 1..21);
    assert!(
        caught.is_some(),
        "mr-random missed write-in-place in 20 seeds"
    );
}

#[test]
fn a_seed_replays_to_the_same_trace() {
    for name in ["mr-crash", "mr-random"] {
        let scenario = registry::find(name).unwrap();
        let options = RunOptions {
            seed: 5,
            ..RunOptions::default()
        };
        let report = check_determinism(scenario, &options)
            .unwrap_or_else(|(a, b)| panic!("{name}: trace {a:016x} then {b:016x}"));
        assert!(report.passed(), "{name} seed 5 failed");
        assert_ne!(report.trace_hash, 0);
    }
}
