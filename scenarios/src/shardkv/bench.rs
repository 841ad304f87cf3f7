//! `sim bench --shards N`: the controller and sharded KV suites' speed, every history
//! checked. Measured, never asserted.

use sim_kit::measure::Stopwatch;
use sim_kit::runner::{run_one, sweep, SweepOptions};
use std::fmt::Write;

/// Two figures: both suites on one seed (one thread), and a sweep of both over
/// `sweep_seeds` seeds on `jobs` threads.
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
    let stopwatch = Stopwatch::start();
    let options = SweepOptions {
        jobs,
        ..SweepOptions::new(1..1 + sweep_seeds)
    };
    let results = sweep(&suite, &options, &|_| {});
    let failed = results.iter().filter(|r| r.failure.is_some()).count();
    let _ = writeln!(
        out,
        "controller + shardkv suites, {sweep_seeds} seeds x {} scenarios on {jobs} threads: {} ({failed} failed)",
        suite.len(),
        stopwatch.elapsed().describe()
    );
    out
}
