//! A run is a pure function of its seed: same seed, same trace; the job count of a sweep
//! changes nothing; and scheduling changes show up as snapshot diffs.

use sim::TraceMode;
use sim_kit::runner::{check_determinism, run_one, sweep, sweep_digest, SweepOptions};
use sim_kit::RunOptions;

#[test]
fn every_scenario_gives_one_trace_hash_per_seed() {
    let registry = scenarios::registry();
    for scenario in registry.scenarios() {
        let report = check_determinism(scenario, &scenario.options(3))
            .unwrap_or_else(|e| panic!("{}: {e}", scenario.name()));
        assert_ne!(report.trace_hash, 0, "{}", scenario.name());
    }
}

#[test]
fn different_seeds_give_different_traces() {
    let registry = scenarios::registry();
    let scenario = registry.find("raft-election-random").unwrap();
    let hashes: std::collections::BTreeSet<u64> = (0..8)
        .map(|seed| run_one(scenario, &scenario.options(seed)).trace_hash)
        .collect();
    assert_eq!(hashes.len(), 8);
}

#[test]
fn sweep_results_do_not_depend_on_jobs() {
    // The short 2D tests and two MapReduce tests: cheap, and with crashes, restarts,
    // snapshots and simulated file operations in every run.
    let registry = scenarios::registry();
    let mut scenarios = registry.select("raft-2d-*").unwrap();
    scenarios.extend(registry.select("mr-crash").unwrap());
    scenarios.extend(registry.select("kv-3a-basic").unwrap());
    let options = |jobs| SweepOptions {
        jobs,
        ..SweepOptions::new(0..6)
    };
    let one = sweep(&scenarios, &options(1), &|_| {});
    let two = sweep(&scenarios, &options(2), &|_| {});
    assert_eq!(one, two);
    assert_eq!(sweep_digest(&one), sweep_digest(&two));
    assert_eq!(one.len(), 6 * scenarios.len());
}

#[test]
fn trace_of_a_short_run_is_pinned() {
    let registry = scenarios::registry();
    let scenario = registry.find("raft-2a-initial-election").unwrap();
    let report = run_one(
        scenario,
        &RunOptions {
            trace: TraceMode::Full,
            ..scenario.options(1)
        },
    );
    assert!(report.passed());
    let lines = report.trace_lines.unwrap();
    // The election and the first heartbeats: any scheduling change shows up here.
    let head: Vec<&str> = lines.iter().take(60).map(String::as_str).collect();
    insta::assert_snapshot!("initial_election_seed_1_head", head.join("\n"));
    insta::assert_snapshot!(
        "initial_election_seed_1_summary",
        format!(
            "events {}\ntrace {:016x}\nlast {}",
            lines.len(),
            report.trace_hash,
            lines.last().unwrap()
        )
    );
}

#[test]
fn trace_of_a_faulty_run_is_pinned() {
    let registry = scenarios::registry();
    let scenario = registry.find("raft-election-random").unwrap();
    let report = run_one(scenario, &scenario.options(7));
    let facts: Vec<String> = report
        .facts
        .iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect();
    let metrics: Vec<String> = report
        .metrics
        .iter()
        .map(|(n, v)| format!("{n} {v}"))
        .collect();
    insta::assert_snapshot!(
        "election_random_seed_7",
        format!(
            "{}\n{}\ntrace {:016x}\nsteps {}\nsent {}",
            facts.join("\n"),
            metrics.join(", "),
            report.trace_hash,
            report.events,
            report.stats.sent
        )
    );
}
