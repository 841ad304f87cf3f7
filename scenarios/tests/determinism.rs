//! A run is a pure function of its seed: same seed, same trace; the job count of a sweep
//! changes nothing; and scheduling changes show up as snapshot diffs.

use scenarios::outcome::RunOptions;
use scenarios::registry;
use scenarios::runner::{check_determinism, run_one, sweep, sweep_digest};

fn options(seed: u64) -> RunOptions {
    RunOptions {
        seed,
        ..RunOptions::default()
    }
}

#[test]
fn every_scenario_gives_one_trace_hash_per_seed() {
    for scenario in registry::all() {
        let report = check_determinism(scenario, &options(3))
            .unwrap_or_else(|(a, b)| panic!("{}: trace {a:016x} then {b:016x}", scenario.name));
        assert_ne!(report.trace_hash, 0, "{}", scenario.name);
    }
}

#[test]
fn different_seeds_give_different_traces() {
    let scenario = registry::find("raft-election-random").unwrap();
    let hashes: std::collections::BTreeSet<u64> = (0..8)
        .map(|seed| run_one(scenario, &options(seed)).trace_hash)
        .collect();
    assert_eq!(hashes.len(), 8);
}

#[test]
fn sweep_results_do_not_depend_on_jobs() {
    // The short 2D tests: cheap, and with crashes, restarts and snapshots in every run.
    let scenarios = registry::select("raft-2d-*").unwrap();
    let one = sweep(&scenarios, 0..8, None, 1, &|_| {});
    let two = sweep(&scenarios, 0..8, None, 2, &|_| {});
    assert_eq!(one, two);
    assert_eq!(sweep_digest(&one), sweep_digest(&two));
    assert_eq!(one.len(), 8 * scenarios.len());
}

#[test]
fn trace_of_a_short_run_is_pinned() {
    let scenario = registry::find("raft-2a-initial-election").unwrap();
    let report = run_one(
        scenario,
        &RunOptions {
            seed: 1,
            full_trace: true,
            ..RunOptions::default()
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
    let scenario = registry::find("raft-election-random").unwrap();
    let report = run_one(scenario, &options(7));
    insta::assert_snapshot!(
        "election_random_seed_7",
        format!(
            "{}\ntrace {:016x}\nsteps {}\nsent {}",
            report.notes.join("\n"),
            report.trace_hash,
            report.steps,
            report.stats.sent
        )
    );
}
