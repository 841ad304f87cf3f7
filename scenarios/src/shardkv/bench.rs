//! `sim bench --shards N`: the controller and sharded KV suites' speed, every history
//! checked. Measured, never asserted.

use sim_kit::measure::Stopwatch;
use sim_kit::runner::{run_one, sweep, SweepOptions};
use sim_kit::ScenarioRef;
use std::fmt::Write;

/// The course tests that MadRaft's shard_ctrler and shardkv suites pass on every seed (its
/// concurrent1 and concurrent3 stop at their first failing seed, its unreliable3 is empty,
/// and it has no TestRejection, TestMinimalAgain or random scenarios), for a like-for-like
/// figure beside it.
const ALSO_IN_MADRAFT: &[&str] = &[
    "ctrler-basic",
    "ctrler-multi",
    "shardkv-static-shards",
    "shardkv-join-leave",
    "shardkv-snapshot",
    "shardkv-miss-change",
    "shardkv-concurrent2",
    "shardkv-unreliable1",
    "shardkv-unreliable2",
    "shardkv-challenge1-delete",
    "shardkv-challenge2-unaffected",
    "shardkv-challenge2-partial",
];

/// Three figures: both suites on one seed (one thread), a sweep of both over `sweep_seeds`
/// seeds on `jobs` threads, and the same sweep of the tests MadRaft passes.
pub fn run(sweep_seeds: u64, jobs: usize) -> String {
    let mut out = String::new();
    let registry = crate::registry();
    let mut suite = registry
        .select("ctrler-*")
        .expect("the controller family is registered");
    suite.extend(
        registry
            .select("shardkv-*")
            .expect("the shardkv family is registered"),
    );
    let stopwatch = Stopwatch::start();
    let (mut failed, mut ops) = (0, 0);
    for &scenario in &suite {
        let report = run_one(scenario, &scenario.options(1));
        failed += usize::from(!report.passed());
        ops += report.metric("completed").unwrap_or(0);
    }
    let _ = writeln!(
        out,
        "controller + shardkv suites, seed 1, {} scenarios, one thread, every history checked: {} ({ops} client operations, {failed} failed)",
        suite.len(),
        stopwatch.elapsed().describe()
    );
    out.push_str(&sweep_line(
        "controller + shardkv suites",
        &suite,
        sweep_seeds,
        jobs,
    ));
    let like: Vec<ScenarioRef<'_>> = ALSO_IN_MADRAFT
        .iter()
        .map(|name| registry.find(name).expect("a registered scenario"))
        .collect();
    out.push_str(&sweep_line(
        "the tests MadRaft passes",
        &like,
        sweep_seeds,
        jobs,
    ));
    out
}

fn sweep_line(what: &str, suite: &[ScenarioRef<'_>], seeds: u64, jobs: usize) -> String {
    let stopwatch = Stopwatch::start();
    let options = SweepOptions {
        jobs,
        ..SweepOptions::new(1..1 + seeds)
    };
    let results = sweep(suite, &options, &|_| {});
    let failed = results.iter().filter(|r| r.failure.is_some()).count();
    format!(
        "{what}, {seeds} seeds x {} scenarios on {jobs} threads: {} ({failed} failed)\n",
        suite.len(),
        stopwatch.elapsed().describe()
    )
}
